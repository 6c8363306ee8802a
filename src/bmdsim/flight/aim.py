"""Aim solver: launch azimuth and boost controls that put the RV on the aim point.

Controls of the boost programme (:mod:`bmdsim.flight.guidance`): launch azimuth ``alpha``,
pitch-over angle ``delta`` and thrust cut-off time ``t_c``. Per profile:

* ``minimum-energy``: ``delta = delta*(t_c)``, the pitch-over that maximises range for a burn
  cut off at ``t_c`` (from the missile's :func:`performance_map`); unknowns ``(alpha, t_c)``;
* ``lofted`` / ``depressed``: full burn; unknowns ``(alpha, delta)`` with ``delta`` below /
  above the full-burn optimum.

The two unknowns are found by a damped Newton iteration on the impact point's east/north
offset from the aim point (finite-difference Jacobian), every flight of the batch and its two
perturbed copies flown together as one batch (:func:`bmdsim.flight.flyout.fly_out`), with
the full equations of motion (rotating Earth, J2, drag). The initial guess comes from the
performance map (non-rotating Earth). Iterations stop below :data:`AIM_TOLERANCE_M`.

The performance map of a missile type (computed once per process) flies a grid of cut-off
times and pitch-over angles from the equator northward on a non-rotating Earth (the
convention of published ranges); :func:`max_range_m` is its full-burn maximum.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache

import numpy as np

from bmdsim.catalog.missiles import MissileType
from bmdsim.earth.frames import ecef_to_enu, ecef_to_geodetic
from bmdsim.flight.dynamics import Physics
from bmdsim.flight.flyout import FlightPlan, fly_out
from bmdsim.flight.guidance import DEFAULT_PROGRAM, BoostProgram, Profile
from bmdsim.flight.vehicle import vehicle_table

#: Newton iterations stop when the impact is this close to the aim point [m].
AIM_TOLERANCE_M: float = 1.0
#: A solution is accepted if the impact is within this distance [m] of the aim point.
AIM_ACCEPT_M: float = 50.0
MAX_ITERATIONS: int = 20
#: Finite-difference steps: azimuth [rad], cut-off [s], lofted/depressed path parameter.
_D_AZIMUTH = 1e-4
_D_CUTOFF = 0.02
_D_PATH = 1e-4
#: Pitch-over angles of the performance map [rad] and lowest cut-off fraction of the burn.
_PITCH_GRID = np.radians(np.geomspace(0.3, 85.0, 44))
_CUTOFF_FRACTIONS = np.concatenate([np.linspace(0.15, 0.8, 9), np.linspace(0.84, 1.0, 5)])


class AimError(ValueError):
    """An aim point the missile cannot reach (or that the solver could not hit)."""

    def __init__(self, message: str, *, distance_m: float, max_range_m: float) -> None:
        super().__init__(message)
        self.distance_m = distance_m
        self.max_range_m = max_range_m


@dataclass(frozen=True, slots=True, kw_only=True)
class PerformanceMap:
    """Ranges of a missile type on a non-rotating Earth (launch on the equator, due north).

    ``cutoff_s (J,)``: cut-off times; ``best_range_m``, ``best_pitch_rad (J,)``: the largest
    range and its pitch-over for each; ``pitch_rad (K,)`` and ``full_range_m (K,)``: range
    against pitch-over at full burn; ``max_range_m``, ``max_pitch_rad``: the full-burn optimum.
    """

    cutoff_s: np.ndarray
    best_range_m: np.ndarray
    best_pitch_rad: np.ndarray
    pitch_rad: np.ndarray
    full_range_m: np.ndarray
    max_range_m: float
    max_pitch_rad: float

    def pitch_for_cutoff(self, cutoff_s) -> np.ndarray:
        """Range-maximising pitch-over [rad] for cut-off times [s] (interpolated)."""
        return np.interp(cutoff_s, self.cutoff_s, self.best_pitch_rad)

    def cutoff_for_range(self, range_m) -> np.ndarray:
        """Cut-off time [s] whose best range is ``range_m`` (interpolated, clipped)."""
        return np.interp(range_m, self.best_range_m, self.cutoff_s)


def _plan(lat, lon, az, pitch, cutoff) -> FlightPlan:
    n = np.size(az)
    z = np.zeros(n)
    return FlightPlan(
        lat_deg=np.broadcast_to(lat, (n,)).astype(float),
        lon_deg=np.broadcast_to(lon, (n,)).astype(float),
        azimuth_rad=np.asarray(az, dtype=float),
        pitch_over_rad=np.asarray(pitch, dtype=float),
        cutoff_s=np.asarray(cutoff, dtype=float),
        speed_error_m_s=z,
        speed_error_fraction=z,
        failed=np.zeros(n, dtype=bool),
    )


def _ground_range(impact_ecef: np.ndarray, lat0, lon0) -> np.ndarray:
    from bmdsim.earth import geodesic_inverse

    lat, lon, _ = ecef_to_geodetic(impact_ecef)
    d = geodesic_inverse(lat0, lon0, lat, lon)[0]
    return np.where(np.isnan(lat), 0.0, d)


def _parabola_peak(x: np.ndarray, y: np.ndarray, k: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Vertex of the parabola through ``(x, y)`` at columns ``k - 1, k, k + 1`` of each row."""
    rows = np.arange(y.shape[0])
    k = np.clip(k, 1, y.shape[1] - 2)
    x0, x1, x2 = x[rows, k - 1], x[rows, k], x[rows, k + 1]
    y0, y1, y2 = y[rows, k - 1], y[rows, k], y[rows, k + 1]
    d01, d12 = (y1 - y0) / (x1 - x0), (y2 - y1) / (x2 - x1)
    curv = (d12 - d01) / (x2 - x0)
    ok = curv < 0.0
    xv = np.where(ok, 0.5 * (x0 + x1) - d01 / np.where(ok, 2.0 * curv, 1.0), x1)
    xv = np.clip(xv, x0, x2)
    yv = np.where(ok, y1 + d01 * (xv - x1) + curv * (xv - x0) * (xv - x1), y1)
    return xv, np.maximum(yv, y1)


@cache
def performance_map(
    missile: MissileType, program: BoostProgram = DEFAULT_PROGRAM
) -> PerformanceMap:
    """The missile's range against cut-off time and pitch-over (see the module docstring)."""
    physics = Physics(rotating=False)
    total = sum(s.burn_time_s for s in missile.stages)
    cut = total * _CUTOFF_FRACTIONS
    pitch = _PITCH_GRID
    j, k = cut.size, pitch.size
    cc, pp = np.meshgrid(cut, pitch, indexing="ij")
    n = cc.size
    table = vehicle_table([missile] * n)
    flown = fly_out(table, _plan(0.0, 0.0, np.zeros(n), pp.ravel(), cc.ravel()), program=program,
                    physics=physics, boosters=False, dense=False)  # fmt: skip
    rng = _ground_range(flown.impact_state[:n, :3], 0.0, 0.0).reshape(j, k)
    logp = np.log(np.broadcast_to(pitch, (j, k)))
    best_logp, _ = _parabola_peak(logp, rng, np.argmax(rng, axis=1))
    # refine around each estimate with a finer local grid
    offsets = np.linspace(-1.0, 1.0, 9) * np.log(pitch[1] / pitch[0])
    lp2 = best_logp[:, None] + offsets[None, :]
    cc2 = np.broadcast_to(cut[:, None], lp2.shape)
    n2 = lp2.size
    table2 = vehicle_table([missile] * n2)
    flown2 = fly_out(table2, _plan(0.0, 0.0, np.zeros(n2), np.exp(lp2.ravel()), cc2.ravel()),
                     program=program, physics=physics, boosters=False, dense=False)  # fmt: skip
    rng2 = _ground_range(flown2.impact_state[:n2, :3], 0.0, 0.0).reshape(lp2.shape)
    best_logp2, best_rng = _parabola_peak(lp2, rng2, np.argmax(rng2, axis=1))
    # the full-burn curve, coarse grid plus its refinement, sorted by pitch
    full_p = np.concatenate([pitch, np.exp(lp2[-1])])
    full_r = np.concatenate([rng[-1], rng2[-1]])
    order = np.argsort(full_p)
    best_range = np.maximum.accumulate(best_rng)  # more burn never flies shorter
    return PerformanceMap(
        cutoff_s=cut,
        best_range_m=best_range,
        best_pitch_rad=np.exp(best_logp2),
        pitch_rad=full_p[order],
        full_range_m=full_r[order],
        max_range_m=float(best_rng[-1]),
        max_pitch_rad=float(np.exp(best_logp2[-1])),
    )


def max_range_m(missile: MissileType) -> float:
    """Maximum range [m] of a missile type: full burn, best pitch-over, non-rotating Earth
    (the convention of published ranges), burnout payload = the catalog RV."""
    return performance_map(missile).max_range_m


@dataclass(frozen=True, slots=True, kw_only=True)
class AimSolution:
    """Nominal controls that put the RV on the aim point (no guidance error)."""

    #: Launch azimuth [rad] clockwise from north.
    azimuth_rad: float
    #: Pitch-over angle [rad].
    pitch_over_rad: float
    #: Thrust cut-off after lift-off [s].
    cutoff_s: float
    #: Distance [m] of the nominal impact from the aim point, and Newton iterations used.
    miss_m: float
    iterations: int


@dataclass(frozen=True, slots=True, kw_only=True)
class _Paths:
    """Per-flight one-parameter families of controls ``p -> (pitch-over, cut-off)``.

    Minimum-energy: ``p`` is the cut-off time and the pitch-over is ``delta*(p)``.
    Lofted / depressed: ``p`` in [0, 2]; on [0, 1] the pitch-over goes at full burn from
    the optimum ``delta*`` to the steepest / flattest angle of the programme ``delta_end``,
    on [1, 2] the pitch-over stays ``delta_end`` and the cut-off comes earlier, down to the
    shortest of the map: every range from the maximum down to a few km has a solution.
    """

    me: np.ndarray
    maps: list
    #: ``(N, J)`` cut-off grid and range-maximising pitch-over of each flight's map.
    map_cutoff_s: np.ndarray
    map_pitch_rad: np.ndarray
    total_s: np.ndarray
    first_cut_s: np.ndarray
    pitch_opt: np.ndarray
    pitch_end: np.ndarray
    lo: np.ndarray
    hi: np.ndarray

    def controls(self, sel: np.ndarray, p: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(pitch_over_rad, cutoff_s)`` for flights ``sel`` at parameters ``p``."""
        me = self.me[sel]
        pitch_me = _interp_rows(p, self.map_cutoff_s[sel], self.map_pitch_rad[sel])
        a = np.clip(p, 0.0, 1.0)
        b = np.clip(p - 1.0, 0.0, 1.0)
        lp = (1.0 - a) * np.log(self.pitch_opt[sel]) + a * np.log(self.pitch_end[sel])
        cut = self.total_s[sel] - b * (self.total_s[sel] - self.first_cut_s[sel])
        return np.where(me, pitch_me, np.exp(lp)), np.where(me, p, cut)

    def step(self, sel: np.ndarray) -> np.ndarray:
        """Finite-difference step of ``p``."""
        return np.where(self.me[sel], _D_CUTOFF, _D_PATH)


def _paths(maps, profile) -> _Paths:
    me = np.array([p is Profile.MINIMUM_ENERGY for p in profile])
    total = np.array([m.cutoff_s[-1] for m in maps])
    first = np.array([m.cutoff_s[0] for m in maps])
    opt = np.array([m.max_pitch_rad for m in maps])
    end = np.array(
        [
            m.pitch_rad[0] if p is Profile.LOFTED else m.pitch_rad[-1]
            for m, p in zip(maps, profile, strict=True)
        ]
    )
    lo = np.where(me, first, 0.0)
    hi = np.where(me, total, 2.0)
    return _Paths(
        me=me, maps=list(maps), map_cutoff_s=np.stack([m.cutoff_s for m in maps]),
        map_pitch_rad=np.stack([m.best_pitch_rad for m in maps]), total_s=total,
        first_cut_s=first, pitch_opt=opt, pitch_end=end, lo=lo, hi=hi,
    )  # fmt: skip


def _interp_rows(x: np.ndarray, xp: np.ndarray, fp: np.ndarray) -> np.ndarray:
    """Row-wise ``np.interp``: ``x (N,)`` in rows of increasing ``xp (N, J)`` (held at ends)."""
    rows = np.arange(x.size)
    j = np.clip(np.sum(xp <= x[:, None], axis=1) - 1, 0, xp.shape[1] - 2)
    x0, x1 = xp[rows, j], xp[rows, j + 1]
    w = np.clip((x - x0) / (x1 - x0), 0.0, 1.0)
    return fp[rows, j] + w * (fp[rows, j + 1] - fp[rows, j])


def _initial_p(paths: _Paths, profile, distance) -> np.ndarray:
    """Initial parameter of each flight's control path from its performance map."""
    p = np.empty(len(paths.maps))
    for i, (m, prof, d) in enumerate(zip(paths.maps, profile, distance, strict=True)):
        if prof is Profile.MINIMUM_ENERGY:
            p[i] = m.cutoff_for_range(d)
            continue
        peak = int(np.argmax(m.full_range_m))
        if prof is Profile.LOFTED:
            xs, ys = m.pitch_rad[: peak + 1][::-1], m.full_range_m[: peak + 1][::-1]
        else:
            xs, ys = m.pitch_rad[peak:], m.full_range_m[peak:]
        # along the path the range decreases: first the full-burn curve ...
        ys = np.minimum.accumulate(ys)
        frac = np.log(xs / xs[0]) / np.log(xs[-1] / xs[0])
        if d >= ys[-1]:
            p[i] = np.interp(-d, -ys, frac)
        else:  # ... then earlier cut-off, scaled from the optimum's range curve
            scaled = m.best_range_m * (ys[-1] / m.max_range_m)
            cut = np.interp(d, scaled, m.cutoff_s)
            p[i] = 1.0 + (m.cutoff_s[-1] - cut) / (m.cutoff_s[-1] - m.cutoff_s[0])
    return np.clip(p, paths.lo, paths.hi)


def solve_aim(
    missiles: Sequence[MissileType],
    launch_lat_deg,
    launch_lon_deg,
    aim_lat_deg,
    aim_lon_deg,
    profiles: Sequence[Profile],
    *,
    program: BoostProgram = DEFAULT_PROGRAM,
) -> list[AimSolution]:
    """Solve the controls of a batch of flights (see the module docstring).

    Raises :class:`AimError` for the first flight whose aim point is out of reach (the
    message gives the distance and the missile's maximum range).
    """
    from bmdsim.earth import geodesic_inverse

    lat0 = np.asarray(launch_lat_deg, dtype=float)
    lon0 = np.asarray(launch_lon_deg, dtype=float)
    lat1 = np.asarray(aim_lat_deg, dtype=float)
    lon1 = np.asarray(aim_lon_deg, dtype=float)
    n = lat0.size
    distance, az0, _ = geodesic_inverse(lat0, lon0, lat1, lon1)
    maps = [performance_map(m, program) for m in missiles]
    for i, (m, pm) in enumerate(zip(missiles, maps, strict=True)):
        if distance[i] > 1.25 * pm.max_range_m:
            raise _reach_error(m, pm, distance[i])
    paths = _paths(maps, profiles)
    az = az0.copy()
    p = _initial_p(paths, profiles, distance)
    p_lo, p_hi = paths.lo, paths.hi
    table = vehicle_table(list(missiles) * 3)
    physics = Physics()

    def residual(sel, az_, p_):
        """Impact offsets (east, north) [m] from the aim points, and their Jacobian with
        respect to (azimuth, p), from each flight and two perturbed copies."""
        dp = paths.step(sel)
        sign = np.where(p_ + dp > p_hi[sel], -1.0, 1.0)  # at the upper bound: backwards
        azs = np.concatenate([az_, az_ + _D_AZIMUTH, az_])
        ps = np.concatenate([p_, p_, p_ + sign * dp])
        s3 = np.concatenate([sel, sel, sel])
        pitch, cutoff = paths.controls(s3, ps)
        sub = _take(table, np.concatenate([sel, sel + n, sel + 2 * n]))
        flown = fly_out(sub, _plan(lat0[s3], lon0[s3], azs, pitch, cutoff), program=program,
                        physics=physics, boosters=False, dense=False)  # fmt: skip
        m = sel.size
        enu = ecef_to_enu(flown.impact_state[: 3 * m, :3], lat1[s3], lon1[s3], 0.0)[:, :2]
        e = enu[:m]
        jac = np.stack(
            [(enu[m : 2 * m] - e) / _D_AZIMUTH, (enu[2 * m :] - e) / (sign * dp)[:, None]], axis=-1
        )
        return e, jac

    iterations = np.zeros(n, dtype=int)
    best_err, best_az, best_p = np.full(n, np.inf), az.copy(), p.copy()
    prev_err, prev_az, prev_p = np.full(n, np.inf), az.copy(), p.copy()
    prev_daz, prev_dp = np.zeros(n), np.zeros(n)
    scale = np.ones(n)
    active = np.arange(n)
    for _ in range(MAX_ITERATIONS):
        if active.size == 0:
            break
        e, jac = residual(active, az[active], p[active])
        err = np.linalg.norm(e, axis=1)
        err = np.where(np.isfinite(err), err, np.inf)
        iterations[active] += 1
        better = err < best_err[active]
        i = active[better]
        best_err[i], best_az[i], best_p[i] = err[better], az[i], p[i]
        # worse than the point the step came from: back to it, half the step
        worse = (err > prev_err[active]) & (scale[active] > 1e-3)
        back = active[worse]
        scale[back] *= 0.5
        az[back] = prev_az[back] + scale[back] * prev_daz[back]
        p[back] = np.clip(prev_p[back] + scale[back] * prev_dp[back], p_lo[back], p_hi[back])
        # a damped Newton step for the others still off target
        go = ~worse & (err > AIM_TOLERANCE_M) & np.all(np.isfinite(jac), axis=(1, 2))
        k = active[go]
        jk, ek = jac[go], e[go]
        det = jk[:, 0, 0] * jk[:, 1, 1] - jk[:, 0, 1] * jk[:, 1, 0]
        ok = np.abs(det) > 1e-12 * np.abs(jk).max(axis=(1, 2)) ** 2
        safe = np.where(ok, det, 1.0)
        d_az = -(jk[:, 1, 1] * ek[:, 0] - jk[:, 0, 1] * ek[:, 1]) / safe
        d_p = -(-jk[:, 1, 0] * ek[:, 0] + jk[:, 0, 0] * ek[:, 1]) / safe
        span = p_hi[k] - p_lo[k]
        lim = np.minimum.reduce(
            [
                np.ones(k.size),
                0.05 / np.maximum(np.abs(d_az), 1e-300),
                0.25 * span / np.maximum(np.abs(d_p), 1e-300),
            ]
        )
        k, d_az, d_p, lim = k[ok], d_az[ok], d_p[ok], lim[ok]
        prev_err[k], prev_az[k], prev_p[k] = err[go][ok], az[k], p[k]
        prev_daz[k], prev_dp[k] = lim * d_az, lim * d_p
        scale[k] = 1.0
        az[k] += prev_daz[k]
        p[k] = np.clip(p[k] + prev_dp[k], p_lo[k], p_hi[k])
        active = np.sort(np.concatenate([back, k]))

    miss = best_err
    out = []
    for i in range(n):  # one record per flight
        if not miss[i] <= AIM_ACCEPT_M:
            pm = maps[i]
            if miss[i] == np.inf or distance[i] > 0.9 * pm.max_range_m:
                raise _reach_error(
                    missiles[i],
                    pm,
                    distance[i],
                    reach=_reach(missiles[i], lat0[i], lon0[i], az0[i], program),
                )
            raise AimError(
                f"aim solver did not converge for {missiles[i].name}: best impact {miss[i]:.0f} m "
                f"from the aim point {distance[i] / 1e3:.0f} km away",
                distance_m=float(distance[i]),
                max_range_m=pm.max_range_m,
            )
        pitch, cutoff = paths.controls(np.array([i]), best_p[i : i + 1])
        out.append(
            AimSolution(
                azimuth_rad=float(np.mod(best_az[i], 2.0 * np.pi)),
                pitch_over_rad=float(pitch[0]),
                cutoff_s=float(cutoff[0]),
                miss_m=float(miss[i]),
                iterations=int(iterations[i]),
            )
        )
    return out


def _take(table, index):
    """Rows ``index`` of a vehicle table (same curves)."""
    from dataclasses import fields, replace

    per_flight = {
        f.name: getattr(table, f.name)[index]
        for f in fields(table)
        if f.name not in ("tumble_row", "cd_table")
    }
    return replace(table, **per_flight)


def _reach(missile, lat0, lon0, azimuth, program) -> float:
    """Full-burn maximum range [m] from a launch point along an azimuth, rotating Earth."""
    pm = performance_map(missile, program)
    pitch = pm.max_pitch_rad * np.exp(np.linspace(-0.6, 0.6, 13))
    k = pitch.size
    total = sum(s.burn_time_s for s in missile.stages)
    flown = fly_out(vehicle_table([missile] * k), _plan(lat0, lon0, np.full(k, azimuth), pitch, np.full(k, total)),
                    program=program, boosters=False, dense=False)  # fmt: skip
    rng = _ground_range(flown.impact_state[:k, :3], lat0, lon0)
    return float(np.max(rng))


def _reach_error(
    missile, pm: PerformanceMap, distance: float, *, reach: float | None = None
) -> AimError:
    extra = "" if reach is None else f"; {reach / 1e3:,.0f} km on this bearing with Earth rotation"
    return AimError(
        f"aim point {distance / 1e3:,.0f} km from the launch point is beyond the reach of "
        f"{missile.name}: maximum range {pm.max_range_m / 1e3:,.0f} km{extra}",
        distance_m=float(distance),
        max_range_m=pm.max_range_m,
    )


__all__ = [
    "AIM_ACCEPT_M",
    "AIM_TOLERANCE_M",
    "AimError",
    "AimSolution",
    "PerformanceMap",
    "max_range_m",
    "performance_map",
    "solve_aim",
]
