"""Predicted threat trajectories: ballistic coasts of estimated states, as functions of time.

Engagement planning and fire control need the threat's position at any time of its
remaining flight. :class:`PredictedTrajectories` integrates the flight layer's ballistic
equations of motion (gravity with J2, Earth rotation, drag by ballistic coefficient,
:func:`bmdsim.flight.propagation.ballistic_aero`) from each estimate to the ground with the
adaptive Dormand-Prince integrator, keeps every step (dense output) and interpolates it
(quintic Hermite on position, velocity and acceleration) at any time.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from bmdsim.core.integrate import DenseOutput, dense_search_keys, dopri5, interpolate_dense
from bmdsim.flight.dynamics import Physics, derivative, ground_event
from bmdsim.flight.propagation import COAST_ATOL, ballistic_aero

#: Longest coast followed [s].
MAX_HORIZON_S: float = 3_600.0
#: Relative tolerance of the prediction (Dormand-Prince 5(4)).
PREDICTION_RTOL: float = 1e-9


@dataclass(frozen=True, slots=True, kw_only=True)
class PredictedTrajectories:
    """Ballistic coasts of ``K`` objects from their estimates to the ground.

    ``t0_s`` ``(K,)`` time of each estimate [s since epoch]; ``impact_s`` ``(K,)`` when it
    reaches the WGS-84 ellipsoid (NaN if not within the horizon); states ECEF [m, m/s].
    """

    t0_s: np.ndarray
    impact_s: np.ndarray
    dense: DenseOutput

    @classmethod
    def from_states(
        cls,
        states,
        t0_s,
        *,
        ballistic_coefficient_kg_m2=None,
        horizon_s: float = MAX_HORIZON_S,
        drag: bool = True,
        rtol: float = PREDICTION_RTOL,
        compiled: bool = True,
    ) -> PredictedTrajectories:
        """Predict ``K`` ECEF states ``(K, 6)`` at times ``t0_s`` (scalar or ``(K,)``) [s].

        ``compiled``: with drag, coast in :func:`bmdsim.flight._coast_kernel.coast`
        (the numpy Dormand-Prince driver's numbers to the integration's accuracy; the driver
        is what ``compiled=False`` and
        ``drag=False`` use)."""
        states = np.asarray(states, dtype=float).reshape(-1, 6)
        k = states.shape[0]
        t0 = np.broadcast_to(np.asarray(t0_s, dtype=float), (k,)).copy()
        aero, mass = ballistic_aero(k, ballistic_coefficient_kg_m2)
        physics = Physics(drag=drag)
        y0 = np.concatenate([states, mass[:, None]], axis=1)
        if compiled and drag and np.isfinite(y0).all() and np.isfinite(t0).all():
            from bmdsim.flight._coast_kernel import NO_TARGET, coast

            t_end, _, hit, dense = coast(aero, t0, y0, t0 + horizon_s, np.ones(k, bool), rtol,
                                         COAST_ATOL, 1e-9, (False, *NO_TARGET), dense=True)  # fmt: skip
            return cls(t0_s=t0, impact_s=np.where(hit, t_end, np.nan), dense=dense)
        sol = dopri5(
            partial(derivative, physics=physics, aero=aero if drag else None),
            t0,
            y0,
            t0 + horizon_s,
            rtol=rtol,
            atol=COAST_ATOL,
            event=ground_event(physics),
            dense=True,
            second_order=3,
        )
        return cls(t0_s=t0, impact_s=np.where(sol.event, sol.t_s, np.nan), dense=sol.dense)

    def __len__(self) -> int:
        return int(self.t0_s.size)

    def states(self, t_s, index) -> np.ndarray:
        """ECEF states ``S + (6,)`` of objects ``index`` at times ``t_s`` (broadcast to a
        shape ``S``); NaN outside ``[t0, impact]``."""
        return interpolate_dense(self.dense, index, t_s, second_order=3)[..., :6]

    def knot_tables(self) -> tuple:
        """The prediction as arrays for compiled code that reproduces :meth:`states` bit for
        bit: ``(offsets (K + 1,) int, t_s (P,), keys (P,), band, y (P, 7), dydt (P, 7))``,
        the knots of :attr:`dense` with the search keys of
        :func:`bmdsim.core.integrate.dense_search_keys` (``band`` 0 and ``keys`` empty when
        there are no knots)."""
        d = self.dense
        if d.t_s.size:
            keys, band = dense_search_keys(d)
        else:
            keys, band = np.zeros(0), 0.0
        return (
            np.ascontiguousarray(d.offsets, dtype=np.intp),
            np.ascontiguousarray(d.t_s, dtype=float),
            np.ascontiguousarray(keys, dtype=float),
            float(band),
            np.ascontiguousarray(d.y, dtype=float),
            np.ascontiguousarray(d.dydt, dtype=float),
        )

    def __call__(self, t_s, index) -> np.ndarray:
        """Same as :meth:`states` (the :data:`~bmdsim.engagement.kinematics.TargetFn` form)."""
        return self.states(t_s, index)


__all__ = ["MAX_HORIZON_S", "PREDICTION_RTOL", "PredictedTrajectories"]
