"""Fire control: the launch azimuth and kick angle that put an interceptor on its target.

For an interceptor launched at a given time, :meth:`FireControl.solve` finds the two controls
of the open-loop programme (:mod:`bmdsim.engagement.kinematics`) for which the unguided
flyout passes through the target's predicted trajectory: at the first closest approach after
burnout the miss vector (perpendicular to the relative velocity, so two-dimensional) is
driven to zero by Newton's method with a finite-difference Jacobian. Every candidate of a
batch and its two perturbed copies fly in one integration per iteration; candidates that
have converged drop out.

A solution's residual miss is what the kill vehicle's divert must still remove on a perfect
prediction; the guided flight (:mod:`bmdsim.engagement.flyout`) does that with the in-flight
target updates.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bmdsim.earth.frames import ecef_to_enu, ecef_to_geodetic
from bmdsim.engagement.kinematics import (
    BoostCache,
    InterceptorKinematics,
    TargetFn,
    fly_open_loop,
)
from bmdsim.flight.dynamics import Physics

#: Finite-difference step of the controls [rad].
FD_STEP_RAD: float = 1e-4
#: Largest Newton step of either control [rad].
MAX_STEP_RAD: float = 0.08
#: Bounds of the kick angle [rad] (from the launcher's vertical).
KICK_BOUNDS_RAD: tuple[float, float] = (np.radians(0.2), np.radians(115.0))


@dataclass(frozen=True, slots=True, kw_only=True)
class FireControlSolution:
    """Solutions for ``N`` candidate launches (arrays over candidates; ECEF, SI).

    ``intercept_s`` and the states are at the flyout's first closest approach to the target
    after burnout (NaN where none was found); ``miss_m`` is the distance there.
    """

    launch_s: np.ndarray
    azimuth_rad: np.ndarray
    kick_rad: np.ndarray
    intercept_s: np.ndarray
    #: ``(N, 7)`` interceptor state (with mass) and ``(N, 6)`` target state at ``intercept_s``
    interceptor_state: np.ndarray
    target_state: np.ndarray
    miss_m: np.ndarray
    converged: np.ndarray
    iterations: np.ndarray

    @property
    def time_of_flight_s(self) -> np.ndarray:
        return self.intercept_s - self.launch_s

    @property
    def closing_speed_m_s(self) -> np.ndarray:
        return np.linalg.norm(self.target_state[:, 3:6] - self.interceptor_state[:, 3:6], axis=1)

    @property
    def intercept_geodetic(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Latitude, longitude [deg] and height [m] of the interceptor at ``intercept_s``."""
        return ecef_to_geodetic(self.interceptor_state[:, :3])


def aim_azimuth(r0_ecef, point_ecef) -> np.ndarray:
    """``(N,)`` azimuth [rad, clockwise from north] of ``point_ecef`` seen from ``r0_ecef``."""
    r0 = np.asarray(r0_ecef, dtype=float)
    lat, lon, h = ecef_to_geodetic(r0)
    enu = ecef_to_enu(np.asarray(point_ecef, dtype=float), lat, lon, h)
    return np.mod(np.arctan2(enu[..., 0], enu[..., 1]), 2.0 * np.pi)


class FireControl:
    """Solves launch controls for batches of candidate launches (see the module docstring).

    ``kinematics``: the interceptor types; ``tolerance_m``: a candidate has converged when
    its miss is below this; ``max_iterations``: Newton iterations at most;
    ``boost_cache``: boosts flown before (:class:`~bmdsim.engagement.kinematics.BoostCache`,
    shared by the solvers of one planner) are not flown again.
    """

    def __init__(
        self,
        kinematics: InterceptorKinematics,
        *,
        physics: Physics | None = None,
        tolerance_m: float = 2.0,
        max_iterations: int = 8,
        boost_cache: BoostCache | None = None,
    ) -> None:
        self.kinematics = kinematics
        self.boost_cache = boost_cache
        self.physics = Physics() if physics is None else physics
        self.tolerance_m = float(tolerance_m)
        self.max_iterations = int(max_iterations)

    def solve(
        self,
        type_idx,
        launch_s,
        r0_ecef,
        v0_ecef,
        target: TargetFn,
        target_index,
        azimuth0_rad,
        kick0_rad,
    ) -> FireControlSolution:
        """Controls for ``N`` launches: interceptor type rows ``type_idx``, launch times
        ``launch_s`` [s], launch positions and launcher velocities ``(N, 3)`` (ECEF), the
        target of each (``target(t, target_index)``), and first guesses of the controls."""
        kin = self.kinematics
        type_idx = np.asarray(type_idx, dtype=np.intp)
        n = type_idx.size
        launch = np.broadcast_to(np.asarray(launch_s, dtype=float), (n,)).copy()
        r0 = np.asarray(r0_ecef, dtype=float).reshape(n, 3)
        v0 = np.asarray(v0_ecef, dtype=float).reshape(n, 3)
        tgt_idx = np.broadcast_to(np.asarray(target_index, dtype=np.intp), (n,)).copy()
        az = np.broadcast_to(np.asarray(azimuth0_rad, dtype=float), (n,)).copy()
        kick = np.broadcast_to(np.asarray(kick0_rad, dtype=float), (n,)).copy()
        max_tof = np.array([t.max_time_of_flight_s for t in kin.types])[type_idx]
        t_end = launch + max_tof * 1.25

        t_cpa = np.full(n, np.nan)
        s_int = np.full((n, 7), np.nan)
        s_tgt = np.full((n, 6), np.nan)
        miss = np.full(n, np.nan)
        done = np.zeros(n, dtype=bool)
        # a candidate without a usable first guess or launch point is not flown
        failed = ~(np.isfinite(az) & np.isfinite(kick) & np.isfinite(launch))
        failed |= ~np.all(np.isfinite(r0) & np.isfinite(v0), axis=1)
        iters = np.zeros(n, dtype=np.intp)
        d = FD_STEP_RAD
        lo, hi = KICK_BOUNDS_RAD
        for it in range(self.max_iterations + 1):
            act = np.nonzero(~done & ~failed)[0]
            if act.size == 0:
                break
            m = act.size
            rep = np.concatenate([act, act, act])
            az_v = np.concatenate([az[act], az[act] + d, az[act]])
            kick_v = np.concatenate([kick[act], kick[act], kick[act] + d])
            res = fly_open_loop(
                kin,
                type_idx[rep],
                launch[rep],
                r0[rep],
                v0[rep],
                az_v,
                kick_v,
                t_end[rep],
                physics=self.physics,
                target=target,
                target_index=tgt_idx[rep],
                boost_cache=self.boost_cache,
            )
            tt = target(res.t_s, tgt_idx[rep])
            mv = res.state[:, :3] - tt[:, :3]  # miss vectors (3m, 3)
            ok = res.closest[:m] & res.closest[m : 2 * m] & res.closest[2 * m :]
            nominal = np.arange(m)
            t_cpa[act] = np.where(res.closest[:m], res.t_s[:m], np.nan)
            s_int[act] = res.state[:m]
            s_tgt[act] = tt[:m]
            miss[act] = np.where(res.closest[:m], np.linalg.norm(mv[:m], axis=1), np.nan)
            iters[act] += 1
            conv = res.closest[:m] & (miss[act] < self.tolerance_m)
            done[act[conv]] = True
            step = ok & ~conv
            failed[act[~ok & ~conv]] = True
            if not step.any() or it == self.max_iterations:
                continue
            # basis perpendicular to the nominal relative velocity
            j = nominal[step]
            dv = tt[j, 3:6] - res.state[j, 3:6]
            e1, e2 = _perpendicular_basis(dv)
            m0 = np.stack([np.einsum("ij,ij->i", mv[j], e1), np.einsum("ij,ij->i", mv[j], e2)], 1)
            ma = mv[j + m]
            mk = mv[j + 2 * m]
            ja = np.stack([np.einsum("ij,ij->i", ma, e1), np.einsum("ij,ij->i", ma, e2)], 1)
            jk = np.stack([np.einsum("ij,ij->i", mk, e1), np.einsum("ij,ij->i", mk, e2)], 1)
            jac = np.stack([(ja - m0) / d, (jk - m0) / d], axis=2)  # (s, 2, 2)
            det = np.linalg.det(jac)
            good = np.abs(det) > 1e-12
            delta = np.zeros((j.size, 2))
            if good.any():
                delta[good] = -np.linalg.solve(jac[good], m0[good][..., None])[..., 0]
            scale = np.minimum(1.0, MAX_STEP_RAD / np.maximum(np.abs(delta).max(axis=1), 1e-300))
            delta *= scale[:, None]
            ii = act[j]
            az[ii] = np.mod(az[ii] + delta[:, 0], 2.0 * np.pi)
            kick[ii] = np.clip(kick[ii] + delta[:, 1], lo, hi)
            failed[ii[~good]] = True
        return FireControlSolution(
            launch_s=launch,
            azimuth_rad=az,
            kick_rad=kick,
            intercept_s=t_cpa,
            interceptor_state=s_int,
            target_state=s_tgt,
            miss_m=miss,
            converged=done,
            iterations=iters,
        )


def _perpendicular_basis(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors ``(N, 3)`` perpendicular to ``v`` ``(N, 3)`` and to each other."""
    u = v / np.linalg.norm(v, axis=1, keepdims=True)
    helper = np.where(np.abs(u[:, 2:3]) < 0.9, [[0.0, 0.0, 1.0]], [[1.0, 0.0, 0.0]])
    e1 = np.cross(u, helper)
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    return e1, np.cross(u, e1)


__all__ = [
    "FD_STEP_RAD",
    "KICK_BOUNDS_RAD",
    "MAX_STEP_RAD",
    "FireControl",
    "FireControlSolution",
    "aim_azimuth",
]
