"""Fast ballistic coast of large batches to an altitude (the ground, or a burnout height).

:class:`BallisticCoast` maps ECEF states ``(M, 6)`` and inverse ballistic coefficients
``kappa = Cd_ref A / m`` [m^2/kg] to the time and state at which each object's altitude
falls to a target, forwards (impact) or backwards in time (where a rising object came
from). The equations are the flight layer's (:mod:`bmdsim.flight.dynamics`: J2 gravity,
Earth rotation, USSA76 drag with the generic reentry-vehicle drag curve
:data:`bmdsim.flight.propagation.GENERIC_RV_DRAG_CURVE`, the tracker's ``kappa`` convention);
the integrator is a compiled RK4 (:mod:`bmdsim.assessment._kernel`) whose steps are set by
the state alone (no error control, no rejected steps) instead of the flight layer's adaptive
Dormand-Prince: the impact-point predictor pushes hundreds of thousands of sample states to
the ground per second of simulated time. Above ``alt_endo_m`` the step is 20 s; below it the
step is sized from the drag (its deceleration and the rates at which speed and density
change along the path), at most 10 s where drag is negligible and a few tenths of a second
around peak deceleration.

Accuracy against :func:`bmdsim.flight.propagation.predict_impact` (``rtol = 1e-10``) for
MRBM-class states (300-1,300 km ground range, ``beta`` 1,000-10,000 kg/m^2) with the default
steps is tested in ``tests/unit/assessment`` and documented
in ``docs/models/assessment.md``: impact points agree to metres, impact times to
milliseconds, far below any impact ellipse a tracker can support.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

#: Status of :class:`CoastResult`: crossed the target altitude.
CROSSED = 1
#: Status: at or below the target altitude at the start.
BELOW_AT_START = 2
#: Status: no crossing within the time limit.
NO_CROSSING = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class CoastResult:
    """Where a batch of coasting objects reaches a target altitude.

    dt_s (M,): elapsed time [s] (negative for a backward coast); state (M, 6): ECEF state
    there [m, m/s]; status (M,) int8: :data:`CROSSED`, :data:`BELOW_AT_START` or
    :data:`NO_CROSSING`. With knots requested: knots_dt_s (M, K) elapsed time of each
    step end (the start first), knots_state (M, K, 6) the states there, n_knots (M,) how
    many of the K columns are used.
    """

    dt_s: np.ndarray
    state: np.ndarray
    status: np.ndarray
    knots_dt_s: np.ndarray | None = None
    knots_state: np.ndarray | None = None
    n_knots: np.ndarray | None = None

    @property
    def crossed(self) -> np.ndarray:
        return self.status == CROSSED


@cache
def _drag_ratio_table() -> np.ndarray:
    """``(1, G)`` ``Cd(M) / Cd_ref`` of the generic RV curve on the flight layer's Mach grid."""
    from bmdsim.flight.dynamics import drag_table
    from bmdsim.flight.propagation import GENERIC_RV_DRAG_CURVE

    table = drag_table([GENERIC_RV_DRAG_CURVE]) / GENERIC_RV_DRAG_CURVE[-1][1]
    table.setflags(write=False)
    return table


@dataclass(frozen=True, slots=True, kw_only=True)
class BallisticCoast:
    """RK4 coast to an altitude with steps set by the state (see the module docstring).

    h_exo_s: step above ``alt_endo_m`` [s]; h_endo_s: longest step below it [s];
    endo_error_m_s: the drag-sized step's error scale below ``alt_endo_m`` [m/s]
    (:func:`bmdsim.assessment._kernel._step`; ``<= 0``: fixed ``h_endo_s`` steps);
    alt_endo_m: the altitude under which drag matters [m]; max_dt_s: longest coast [s];
    j2: include J2.
    """

    h_exo_s: float = 20.0
    h_endo_s: float = 10.0
    endo_error_m_s: float = 0.1
    alt_endo_m: float = 100_000.0
    max_dt_s: float = 3_600.0
    j2: bool = True

    def __post_init__(self) -> None:
        if not (self.h_exo_s > 0.0 and self.h_endo_s > 0.0 and self.max_dt_s > 0.0):
            raise ValueError("steps and max_dt_s must be > 0 s")

    def to_altitude(
        self,
        states,
        kappa_m2_kg=0.0,
        *,
        target_alt_m=0.0,
        backward: bool = False,
        knots: int = 0,
    ) -> CoastResult:
        """Coast ECEF ``states (M, 6)`` until their altitude falls to ``target_alt_m``.

        ``kappa_m2_kg``: scalar or ``(M,)`` inverse ballistic coefficient (``<= 0``: no
        drag); ``target_alt_m``: scalar or ``(M,)`` [m] above the WGS-84 ellipsoid (radial
        height, as the flight layer's); ``backward``: integrate back in time; ``knots``:
        keep the first ``knots`` step ends of each object (for trajectories).
        """
        from bmdsim.assessment import _kernel
        from bmdsim.flight.air import air_table
        from bmdsim.flight.dynamics import MACH_STEP

        y0 = np.require(np.asarray(states, dtype=float).reshape(-1, 6), float, "CW")
        m = y0.shape[0]
        # writable C arrays always (one compiled signature of the kernels)
        kappa = np.require(np.broadcast_to(np.asarray(kappa_m2_kg, float), (m,)), float, "CW")
        target = np.require(np.broadcast_to(np.asarray(target_alt_m, float), (m,)), float, "CW")
        table = air_table()
        out_dt = np.empty(m)
        out_y = np.empty((m, 6))
        status = np.empty(m, np.int8)
        kt = np.empty((m, knots))
        ky = np.empty((m, knots, 6))
        nk = np.zeros(m, np.int64)
        _kernel.coast_kernel(
            y0, kappa, target, -1.0 if backward else 1.0,
            float(self.h_exo_s), float(self.h_endo_s), float(self.endo_error_m_s),
            float(self.alt_endo_m),
            float(self.max_dt_s), bool(self.j2),
            table.rows, table.alt_min_m, table.inv_step_per_m, table.last_node,
            _drag_ratio_table(), 1.0 / MACH_STEP,
            out_dt, out_y, status, kt, ky, nk,
        )  # fmt: skip
        if knots == 0:
            return CoastResult(dt_s=out_dt, state=out_y, status=status)
        return CoastResult(
            dt_s=out_dt, state=out_y, status=status, knots_dt_s=kt, knots_state=ky, n_knots=nk
        )

    def to_altitudes(self, states, kappa_m2_kg=0.0, *, target_alts_m, backward: bool = False
                     ) -> CoastResult:  # fmt: skip
        """:meth:`to_altitude` for several target altitudes per object in one integration.

        ``target_alts_m (M, J)`` (or ``(J,)`` for every object) [m]. Returns a
        :class:`CoastResult` with ``dt_s (M, J)``, ``state (M, J, 6)``, ``status (M, J)``:
        column ``j`` equals what ``to_altitude(..., target_alt_m=target_alts_m[:, j])``
        returns (the same steps and operations), at the cost of one coast.
        """
        from bmdsim.assessment import _kernel
        from bmdsim.flight.air import air_table
        from bmdsim.flight.dynamics import MACH_STEP

        y0 = np.require(np.asarray(states, dtype=float).reshape(-1, 6), float, "CW")
        m = y0.shape[0]
        # writable C arrays always (one compiled signature of the kernels)
        kappa = np.require(np.broadcast_to(np.asarray(kappa_m2_kg, float), (m,)), float, "CW")
        alts = np.asarray(target_alts_m, float)
        target = np.require(np.broadcast_to(alts, (m, alts.shape[-1])), float, "CW")
        nt = target.shape[1]
        table = air_table()
        out_dt = np.empty((m, nt))
        out_y = np.empty((m, nt, 6))
        status = np.empty((m, nt), np.int8)
        _kernel.coast_kernel_multi(
            y0, kappa, target, -1.0 if backward else 1.0,
            float(self.h_exo_s), float(self.h_endo_s), float(self.endo_error_m_s),
            float(self.alt_endo_m),
            float(self.max_dt_s), bool(self.j2),
            table.rows, table.alt_min_m, table.inv_step_per_m, table.last_node,
            _drag_ratio_table(), 1.0 / MACH_STEP,
            out_dt, out_y, status,
        )  # fmt: skip
        return CoastResult(dt_s=out_dt, state=out_y, status=status)

    def acceleration(self, states, kappa_m2_kg=0.0) -> np.ndarray:
        """ECEF acceleration ``(M, 3)`` [m/s^2] the coast integrates (for tests and docs)."""
        from bmdsim.assessment import _kernel
        from bmdsim.flight.air import air_table
        from bmdsim.flight.dynamics import MACH_STEP

        y = np.asarray(states, dtype=float).reshape(-1, 6)
        kappa = np.broadcast_to(np.asarray(kappa_m2_kg, float), (y.shape[0],))
        table = air_table()
        return _kernel.accelerations(
            np.ascontiguousarray(y), np.ascontiguousarray(kappa), bool(self.j2),
            table.rows, table.alt_min_m, table.inv_step_per_m, table.last_node,
            _drag_ratio_table(), 1.0 / MACH_STEP,
        )  # fmt: skip


__all__ = ["BELOW_AT_START", "CROSSED", "NO_CROSSING", "BallisticCoast", "CoastResult"]
