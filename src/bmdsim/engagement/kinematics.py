"""Interceptor kinematics: staged boost on an open-loop programme, then a coast.

A batch of interceptors (any mix of catalog types) flies with the flight layer's equations
of motion (:func:`bmdsim.flight.dynamics.derivative`: gravity with J2, Coriolis and
centrifugal terms, USSA76 drag on a per-body ``Cd(M)`` curve, rocket thrust with the
nozzle's ambient-pressure loss) and the batched integrators of :mod:`bmdsim.core.integrate`.

The boost follows the open-loop programme of :class:`LaunchProgram` (the phases of the
flight layer's missiles, with interceptor timings): a vertical rise, a pitch-over that tilts
the thrust from the launcher's vertical toward the launch azimuth by the *kick angle*, a hold
of that attitude to the end of the first stage (so that the kick angle sets the flight-path
angle even for a short burn), then a gravity turn (thrust along the velocity relative to the
air) through the other stages. The two controls are the launch azimuth and the kick angle;
the fire-control solver and the flyout tables choose them.

Mass bookkeeping follows :class:`bmdsim.catalog.interceptors.InterceptorType`: a stage's dry
mass drops at its burnout, the last stage's too when the kill vehicle separates (the kill
vehicle then flies on alone). The drag reference area is the burning stage's cross-section,
then the last stage's.

State per interceptor: ``[x, y, z, vx, vy, vz, m]`` in ECEF [m, m/s, kg]; times in seconds
since the scenario epoch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from functools import partial

import numpy as np

from bmdsim.catalog.interceptors import InterceptorType
from bmdsim.core.integrate import DenseOutput, dopri5, rk4
from bmdsim.earth.frames import ecef_to_geodetic, enu_basis
from bmdsim.flight.dynamics import Aero, Physics, Thrust, derivative, drag_table, vacuum_thrust_n
from bmdsim.flight.flyout import boost_segment_compiled

#: RK4 step of powered flight [s] (segments end exactly on the programme's discontinuities).
BOOST_STEP_S: float = 0.05
#: Relative tolerance of coasts in open-loop flyouts (Dormand-Prince 5(4)).
COAST_RTOL: float = 1e-9
#: Absolute tolerances of coasts: position [m], velocity [m/s], mass [kg].
COAST_ATOL: np.ndarray = np.array([1e-3, 1e-3, 1e-3, 1e-6, 1e-6, 1e-6, 1e-3])

TargetFn = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``fn(t_s (M,), index (M,)) -> (M, 6)``: ECEF states of targets ``index`` at times ``t_s``
(NaN where a target does not exist at that time)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class LaunchProgram:
    """Open-loop boost programme shared by every interceptor type (engineering estimates:
    a vertical-launch-system or canister egress, then a short turn toward the azimuth)."""

    #: Thrust along the launcher's vertical for this long after launch [s].
    vertical_rise_s: float = 1.0
    #: The thrust then tilts at a constant rate to the kick angle over this time [s], and
    #: holds that attitude to the end of the first stage (at least); a gravity turn follows.
    pitch_over_s: float = 2.0

    def __post_init__(self) -> None:
        if self.vertical_rise_s < 0.0 or self.pitch_over_s <= 0.0:
            raise ValueError("vertical_rise_s must be >= 0 s and pitch_over_s > 0 s")


DEFAULT_PROGRAM = LaunchProgram()


@dataclass(frozen=True, slots=True, kw_only=True)
class InterceptorKinematics:
    """Per-type figures of a set of interceptor types as arrays (types ``T``, stages ``S``,
    padded with zero burn time). Build it with :meth:`from_types`."""

    types: tuple[InterceptorType, ...]
    program: LaunchProgram
    #: ``(T,)`` number of stages.
    n_stages: np.ndarray
    #: ``(T, S)`` burn time [s], mass flow [kg/s], vacuum thrust [N], nozzle exit area [m^2],
    #: dry mass [kg], diameter [m] of each stage.
    burn_s: np.ndarray
    mass_flow_kg_s: np.ndarray
    thrust_vac_n: np.ndarray
    exit_area_m2: np.ndarray
    dry_kg: np.ndarray
    diameter_m: np.ndarray
    #: ``(T, S)`` burnout time of each stage after launch [s] (stages burn back to back).
    stage_end_s: np.ndarray
    #: ``(T,)`` launch mass and kill-vehicle mass [kg]; whether the kill vehicle separates.
    launch_mass_kg: np.ndarray
    kv_mass_kg: np.ndarray
    kv_separates: np.ndarray
    #: ``(T,)`` drag reference area after burnout [m^2].
    coast_area_m2: np.ndarray
    #: ``(T,)`` row of each type's body drag curve in ``cd_table``.
    drag_row: np.ndarray
    cd_table: np.ndarray

    @classmethod
    def from_types(
        cls, types: Sequence[InterceptorType], program: LaunchProgram = DEFAULT_PROGRAM
    ) -> InterceptorKinematics:
        types = tuple(types)
        if not types:
            raise ValueError("at least one interceptor type is needed")
        n, s_max = len(types), max(len(t.stages) for t in types)
        burn, mdot, isp, exit_area, dry, diam = (np.zeros((n, s_max)) for _ in range(6))
        n_st = np.zeros(n, dtype=np.intp)
        curves: dict[tuple, int] = {}
        rows = np.zeros(n, dtype=np.intp)
        for i, t in enumerate(types):  # a handful of types: setup, not a hot path
            n_st[i] = len(t.stages)
            for j, st in enumerate(t.stages):
                burn[i, j], mdot[i, j], isp[i, j] = st.burn_time_s, st.mass_flow_kg_s, st.isp_vac_s
                exit_area[i, j], dry[i, j], diam[i, j] = (
                    st.nozzle_exit_area_m2,
                    st.dry_mass_kg,
                    st.diameter_m,
                )
            rows[i] = curves.setdefault(tuple(t.body_drag_curve), len(curves))
        last_d = diam[np.arange(n), n_st - 1]
        return cls(
            types=types,
            program=program,
            n_stages=n_st,
            burn_s=burn,
            mass_flow_kg_s=mdot,
            thrust_vac_n=vacuum_thrust_n(mdot, isp),
            exit_area_m2=exit_area,
            dry_kg=dry,
            diameter_m=diam,
            stage_end_s=np.cumsum(burn, axis=1),
            launch_mass_kg=np.array([t.launch_mass_kg for t in types]),
            kv_mass_kg=np.array([t.kill_vehicle_mass_kg for t in types]),
            kv_separates=np.array([t.kill_vehicle_separates for t in types]),
            coast_area_m2=np.pi / 4.0 * last_d**2,
            drag_row=rows,
            cd_table=drag_table(sorted(curves, key=curves.get)),
        )

    @property
    def burnout_s(self) -> np.ndarray:
        """``(T,)`` time from launch to the last stage's burnout [s]."""
        return self.burn_s.sum(axis=1)

    def boundaries(self, type_idx) -> np.ndarray:
        """``(N, B)`` flight times [s] of the programme's discontinuities (end of vertical
        rise, end of pitch-over, every stage burnout), sorted, padded by repeating the last."""
        type_idx = np.asarray(type_idx, dtype=np.intp)
        p = self.program
        t_v = np.full((type_idx.size, 1), p.vertical_rise_s)
        t_p = t_v + p.pitch_over_s
        ends = self.stage_end_s[type_idx]
        # padded stages end at the last burnout (zero burn time)
        return np.sort(np.concatenate([t_v, t_p, ends], axis=1), axis=1)

    def stage_at(self, type_idx, flight_s) -> np.ndarray:
        """``(N,)`` stage burning at flight time ``flight_s`` [s] (left-closed), or -1 after
        burnout."""
        type_idx = np.asarray(type_idx, dtype=np.intp)
        ends = self.stage_end_s[type_idx]
        stage = np.sum(ends <= np.asarray(flight_s, dtype=float)[:, None], axis=1)
        return np.where(stage < self.n_stages[type_idx], stage, -1)

    def thrust(self, type_idx, stage, launch_s, kick_rad, up, downrange, flight_s) -> Thrust:
        """The :class:`~bmdsim.flight.dynamics.Thrust` table of a batch: stage ``stage``
        (``-1``: not thrusting), steering mode by flight time ``flight_s`` (vertical rise;
        pitch-over and hold to the end of the first stage; gravity turn), ``up`` and
        ``downrange`` ``(N, 3)`` unit ECEF vectors."""
        type_idx = np.asarray(type_idx, dtype=np.intp)
        st = np.asarray(stage, dtype=np.intp)
        burning = st >= 0
        s = np.where(burning, st, 0)
        p = self.program
        hold_until = np.maximum(p.vertical_rise_s + p.pitch_over_s, self.stage_end_s[type_idx, 0])
        mode = np.where(flight_s < p.vertical_rise_s, 0, np.where(flight_s < hold_until, 1, 2))
        return Thrust.from_arrays(
            thrust_vac_n=np.where(burning, self.thrust_vac_n[type_idx, s], 0.0),
            mass_flow_kg_s=np.where(burning, self.mass_flow_kg_s[type_idx, s], 0.0),
            exit_area_m2=np.where(burning, self.exit_area_m2[type_idx, s], 0.0),
            mode=mode,
            up=up,
            downrange=downrange,
            kick_start_s=np.asarray(launch_s, dtype=float) + p.vertical_rise_s,
            kick_duration_s=np.full(type_idx.size, p.pitch_over_s),
            kick_angle_rad=kick_rad,
        )

    def aero(self, type_idx, stage) -> Aero:
        """Drag of a batch: the burning stage's cross-section, after burnout the last stage's."""
        type_idx = np.asarray(type_idx, dtype=np.intp)
        st = np.asarray(stage, dtype=np.intp)
        d = self.diameter_m[type_idx, np.where(st >= 0, st, 0)]
        area = np.where(st >= 0, np.pi / 4.0 * d**2, self.coast_area_m2[type_idx])
        return Aero(area_m2=area, drag_row=self.drag_row[type_idx], cd_table=self.cd_table)

    def staging_mass_drop(self, type_idx, ended_stage) -> np.ndarray:
        """``(N,)`` mass [kg] shed when stage ``ended_stage`` burns out (its dry mass; for the
        last stage with a separating kill vehicle, the dry mass too: only the kill vehicle
        flies on)."""
        type_idx = np.asarray(type_idx, dtype=np.intp)
        s = np.asarray(ended_stage, dtype=np.intp)
        last = s == self.n_stages[type_idx] - 1
        drops = (~last) | self.kv_separates[type_idx]
        return np.where(drops, self.dry_kg[type_idx, s], 0.0)


def launch_axes(r0_ecef, azimuth_rad) -> tuple[np.ndarray, np.ndarray]:
    """Unit ``up`` (geodetic vertical) and ``downrange`` (horizontal at ``azimuth_rad``
    clockwise from north) ECEF vectors ``(N, 3)`` at launch points ``r0_ecef`` ``(N, 3)``."""
    lat, lon, _ = ecef_to_geodetic(np.asarray(r0_ecef, dtype=float))
    basis = enu_basis(lat, lon)  # (N, 3, 3) rows east, north, up
    az = np.asarray(azimuth_rad, dtype=float)
    down = np.sin(az)[:, None] * basis[:, 0] + np.cos(az)[:, None] * basis[:, 1]
    return basis[:, 2], down


@dataclass(frozen=True, slots=True, kw_only=True)
class OpenLoopResult:
    """Result of :func:`fly_open_loop` over ``N`` interceptors."""

    #: ``(N,)`` burnout time [s since epoch] and ``(N, 7)`` state just after it.
    burnout_s: np.ndarray
    burnout_state: np.ndarray
    #: ``(N,)`` end time of each flight: its closest approach when ``target`` was given and
    #: one was found, its ground impact, or ``t_end_s``.
    t_s: np.ndarray
    #: ``(N, 7)`` state at ``t_s``.
    state: np.ndarray
    #: ``(N,)`` True where a closest approach to the target ended the flight.
    closest: np.ndarray
    #: ``(N,)`` True where the interceptor reached the ground first.
    crashed: np.ndarray
    #: Knots of every flight (boost and coast) when ``dense=True``.
    dense: DenseOutput | None


def _closing_event(target: TargetFn, target_index: np.ndarray, armed_from_s: np.ndarray):
    """``g = -(dr . dv)`` (range times range rate, sign flipped): positive while closing,
    zero at the closest approach; 1 (no event) before burnout and where the target does not
    exist."""

    def g(t, y, idx):
        tgt = target(np.asarray(t, dtype=float), target_index[idx])
        dr = tgt[:, :3] - y[:, :3]
        dv = tgt[:, 3:6] - y[:, 3:6]
        val = -np.einsum("ij,ij->i", dr, dv)
        return np.where((t >= armed_from_s[idx]) & np.isfinite(val), val, 1.0)

    return g


def _ground_or_closing(ground, closing):
    def g(t, y, idx):
        return np.minimum(ground(t, y, idx), closing(t, y, idx))

    return g


def _target_tables(target, target_index, armed_s: np.ndarray, n: int) -> tuple | None:
    """The target arguments of :mod:`bmdsim.flight._coast_kernel`: none, or a
    :class:`~bmdsim.engagement.prediction.PredictedTrajectories` as its knot tables; None
    for any other target (the numpy driver calls it)."""
    from bmdsim.engagement.prediction import PredictedTrajectories
    from bmdsim.flight import _coast_kernel as oc

    if target is None:
        return (False, *oc.NO_TARGET)
    if type(target) is not PredictedTrajectories:
        return None
    # a writable copy: one compiled signature
    tidx = np.broadcast_to(np.asarray(target_index, dtype=np.intp), (n,)).copy()
    if tidx.size and (tidx.min() < 0 or tidx.max() >= len(target)):
        return None  # numpy's indexing errors or wraps: the driver's behaviour
    offsets, kt, keys, band, ky, kf = target.knot_tables()
    return (True, np.ascontiguousarray(armed_s, dtype=float), tidx, offsets, kt, keys, band,
            ky, kf)  # fmt: skip


class BoostCache:
    """The ends of compiled boosts (burnout time and state, row by row) keyed on their exact
    inputs: interceptor type, launch time, position and velocity, controls, end time, with
    the programme, physics and step. Keeps the latest ``size`` rows."""

    def __init__(self, size: int = 512) -> None:
        self.size = int(size)
        self._rows: dict[tuple, tuple] = {}
        self.hits = 0

    def lookup(self, keys: list) -> list:
        """The cached ``(type, burnout_s, state)`` of each key, or None."""
        rows = self._rows
        return [rows.get(k) for k in keys]

    def store(self, keys: list, values: list) -> None:
        rows = self._rows
        for k, v in zip(keys, values, strict=True):
            rows[k] = v
        while len(rows) > self.size:
            del rows[next(iter(rows))]


def _boost_compiled(kin, type_idx, launch_s, t_end, r0, v0, az, kick, up, down, y0, alive,
                    physics, step_s, cache):  # fmt: skip
    """``(t_s, y)`` after the boost of every flight by the compiled RK4 kernel
    (:func:`bmdsim.flight._boost_kernel.boost_segment`: each object alone, so a subset of
    the rows flies as it would in the whole batch), every segment's tables built at once;
    rows found in ``cache`` are not flown again. None where the numpy driver must fly it
    (a segment ending before it starts, a flight reaching the ground)."""
    from bmdsim.flight import _boost_kernel as kern
    from bmdsim.flight.air import air_table
    from bmdsim.flight.dynamics import MACH_STEP

    t_now = launch_s.copy()
    y = y0.copy()
    todo = np.flatnonzero(alive)
    keys = hits = None
    if cache is not None and todo.size:
        shared = (kin.program, physics, float(step_s))
        data = np.concatenate(
            [launch_s[:, None], r0, v0, az[:, None], kick[:, None], t_end[:, None]], axis=1
        )
        types = kin.types
        keys = [(shared, id(types[type_idx[i]]), data[i].tobytes()) for i in todo]
        hits = cache.lookup(keys)
        miss = []
        for j, (i, h) in enumerate(zip(todo, hits, strict=True)):
            if h is not None and h[0] is types[type_idx[i]]:
                t_now[i] = h[1]
                y[i] = h[2]
            else:
                miss.append(j)
        if len(miss) < todo.size:
            cache.hits += todo.size - len(miss)
            keys = [keys[j] for j in miss]
            todo = todo[miss]
    if todo.size == 0:
        return t_now, y
    ti = type_idx[todo]
    m = todo.size
    ls = launch_s[todo]
    p = kin.program
    bounds = kin.boundaries(ti)  # (M, B) flight times
    starts = np.concatenate([np.zeros((m, 1)), bounds[:, :-1]], axis=1)
    a = np.ascontiguousarray((ls[:, None] + starts).T)  # (B, M) epoch seconds
    b = np.ascontiguousarray(np.minimum(ls[:, None] + bounds, t_end[todo, None]).T)
    if np.any(b < a):
        return None
    run = b > a
    # each segment's stage, steering and drag (as InterceptorKinematics.thrust / aero)
    mid = 0.5 * (starts + bounds)
    ends = kin.stage_end_s[ti]  # (M, S)
    stage = np.sum(ends[:, None, :] <= mid[:, :, None], axis=2)
    stage = np.where(stage < kin.n_stages[ti, None], stage, -1)  # (M, B)
    burning = stage >= 0
    s = np.where(burning, stage, 0)
    rows_t = ti[:, None]
    hold_until = np.maximum(p.vertical_rise_s + p.pitch_over_s, kin.stage_end_s[ti, 0])
    mode = np.where(mid < p.vertical_rise_s, 0, np.where(mid < hold_until[:, None], 1, 2))
    nb = bounds.shape[1]
    tp = np.empty((nb, m, 13))
    tp[:, :, 0] = np.where(burning, kin.thrust_vac_n[rows_t, s], 0.0).T
    tp[:, :, 1] = np.where(burning, kin.mass_flow_kg_s[rows_t, s], 0.0).T
    tp[:, :, 2] = np.where(burning, kin.exit_area_m2[rows_t, s], 0.0).T
    tp[:, :, 3] = mode.T
    tp[:, :, 4:7] = up[todo]
    tp[:, :, 7:10] = down[todo]
    tp[:, :, 10] = ls + p.vertical_rise_s
    tp[:, :, 11] = p.pitch_over_s
    tp[:, :, 12] = kick[todo]
    d = kin.diameter_m[rows_t, s]
    area = np.ascontiguousarray(
        np.where(burning, np.pi / 4.0 * d**2, kin.coast_area_m2[ti, None]).T
    )
    drag_row = np.ascontiguousarray(kin.drag_row[ti], dtype=np.intp)
    staged = burning & np.isclose(bounds, kin.stage_end_s[rows_t, s])
    drop = kin.dry_kg[rows_t, s]
    last = s == kin.n_stages[ti, None] - 1
    drop = np.where(~last | kin.kv_separates[ti, None], drop, 0.0)
    table = air_table()
    phys = (
        bool(physics.j2), bool(physics.rotating), bool(physics.drag),
        -1.0 if physics.sphere_radius_m is None else float(physics.sphere_radius_m),
    )  # fmt: skip
    tables = (
        np.require(kin.cd_table, float, "CW"), 1.0 / MACH_STEP, table.rows, table.alt_min_m,
        table.inv_step_per_m, table.last_node,
    )  # fmt: skip
    ym = np.ascontiguousarray(y[todo])
    tm = ls.copy()
    t_out = np.empty(m)
    crossed = np.zeros(m, dtype=bool)
    work = np.empty((6, 7))
    for k in range(nb):
        rk = run[k]
        if not rk.any():
            continue
        t_out[:] = a[k]
        kern.boost_segment(
            a[k], b[k], ym, rk, float(step_s), t_out, crossed, *phys, area[k], drag_row,
            *tables, tp[k], work,
        )  # fmt: skip
        if crossed.any():  # the driver locates ground crossings
            return None
        tm = np.where(rk, t_out, tm)
        ended = rk & staged[:, k]
        if ended.any():
            ym[ended, 6] -= drop[ended, k]
    t_now[todo] = tm
    y[todo] = ym
    if keys is not None:
        cache.store(keys, [(kin.types[ti[j]], tm[j], ym[j].copy()) for j in range(m)])
    return t_now, y


#: Event-time tolerance of :func:`bmdsim.core.integrate.dopri5`'s default.
_EVENT_TOL_S = 1e-9


def fly_open_loop(
    kin: InterceptorKinematics,
    type_idx,
    launch_s,
    r0_ecef,
    v0_ecef,
    azimuth_rad,
    kick_rad,
    t_end_s,
    *,
    physics: Physics | None = None,
    target: TargetFn | None = None,
    target_index=None,
    dense: bool = False,
    boost_step_s: float = BOOST_STEP_S,
    rtol: float = COAST_RTOL,
    compiled: bool = True,
    boost_cache: BoostCache | None = None,
) -> OpenLoopResult:
    """Fly ``N`` interceptors on the open-loop programme from launch to ``t_end_s``.

    ``type_idx`` ``(N,)`` rows of ``kin``; ``launch_s`` ``(N,)`` [s]; ``r0_ecef``,
    ``v0_ecef`` ``(N, 3)`` launch position and launcher velocity (a ship's motion) [m, m/s];
    ``azimuth_rad``, ``kick_rad`` ``(N,)`` the two controls; ``t_end_s`` ``(N,)`` [s]. With
    ``target`` (a :data:`TargetFn`) and ``target_index`` ``(N,)`` each flight stops at its
    first closest approach to its target after burnout (located on the step interpolant).
    Every flight stops at the ground. ``dense``: keep every step's knots (interpolate them
    with :func:`bmdsim.core.integrate.interpolate_dense`, ``second_order=3``).
    ``compiled``: fly the boost segments in the compiled kernel of
    :func:`bmdsim.flight.flyout.boost_segment_compiled` and the coast in that of
    :mod:`bmdsim.flight._coast_kernel` (the boost bit-identical to the numpy driver, the
    coast equal to it to the integration's accuracy; ``compiled=False`` uses the driver;
    ``dense=True`` and a boost segment in which an interceptor
    reaches the ground use the driver too, and so does a coast with a non-default
    ``physics`` or a ``target`` other than ``None`` or a
    :class:`~bmdsim.engagement.prediction.PredictedTrajectories`). ``boost_cache``: a
    :class:`BoostCache` of compiled boosts (the fire control's Newton iterations and the
    fire unit's solve at launch fly the same boosts again); the same results.
    """
    physics = Physics() if physics is None else physics
    type_idx = np.asarray(type_idx, dtype=np.intp)
    n = type_idx.size
    launch_s = np.broadcast_to(np.asarray(launch_s, dtype=float), (n,)).copy()
    t_end = np.broadcast_to(np.asarray(t_end_s, dtype=float), (n,)).copy()
    r0 = np.asarray(r0_ecef, dtype=float).reshape(n, 3)
    v0 = np.asarray(v0_ecef, dtype=float).reshape(n, 3)
    az = np.broadcast_to(np.asarray(azimuth_rad, dtype=float), (n,))
    kick = np.broadcast_to(np.asarray(kick_rad, dtype=float), (n,))
    up, down = launch_axes(r0, az)
    y = np.zeros((n, 7))
    y[:, :3], y[:, 3:6], y[:, 6] = r0, v0, kin.launch_mass_kg[type_idx]
    from bmdsim.flight.dynamics import ground_event

    ground = ground_event(physics)
    knots: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    # flights with non-finite inputs are not flown (they end at launch)
    alive = np.isfinite(y).all(axis=1) & np.isfinite(launch_s) & np.isfinite(kick)
    alive &= np.isfinite(up).all(axis=1) & np.isfinite(down).all(axis=1)
    crashed = np.zeros(n, dtype=bool)
    t_now = launch_s.copy()

    # --- boost: one RK4 segment per programme phase / stage
    fast = None
    if compiled and not dense and boost_step_s > 0.0:
        fast = _boost_compiled(
            kin, type_idx, launch_s, t_end, r0, v0, az, kick, up, down, y, alive, physics,
            boost_step_s, boost_cache,
        )  # fmt: skip
    if fast is not None:
        t_now, y = fast
    bounds = kin.boundaries(type_idx) if fast is None else np.zeros((n, 0))  # (N, B)
    starts = np.concatenate([np.zeros((n, 1)), bounds[:, :-1]], axis=1)
    for k in range(bounds.shape[1]):
        a = launch_s + starts[:, k]
        b = np.minimum(launch_s + bounds[:, k], t_end)
        run = alive & (b > a)
        if not run.any():
            continue
        mid = 0.5 * (starts[:, k] + bounds[:, k])
        stage = kin.stage_at(type_idx, mid)
        thrust = kin.thrust(type_idx, stage, launch_s, kick, up, down, mid)
        aero = kin.aero(type_idx, stage)
        sol = None
        # the driver raises on b < a and a step <= 0: those go to it
        if compiled and not dense and boost_step_s > 0.0 and not np.any(b < a):
            fast, crossed = boost_segment_compiled(
                physics, aero, thrust, a, y, b, boost_step_s, run, False
            )
            if not crossed.any():  # a crossing: the driver locates it
                sol = fast
        if sol is None:
            sol = rk4(
                partial(derivative, physics=physics, aero=aero, thrust=thrust),
                a,
                y,
                b,
                step_s=boost_step_s,
                alive=run,
                event=ground,
                dense=dense,
                second_order=3,
            )
        y = np.where(run[:, None], sol.y, y)
        t_now = np.where(run, sol.t_s, t_now)
        if dense:
            d = sol.dense
            knots.append((d.index, d.t_s, d.y, d.dydt))
        crashed |= sol.event
        alive &= ~sol.event
        ended = (
            alive
            & run
            & (stage >= 0)
            & np.isclose(bounds[:, k], kin.stage_end_s[type_idx, np.maximum(stage, 0)])
        )
        if ended.any():
            y[ended, 6] -= kin.staging_mass_drop(type_idx[ended], stage[ended])
    burnout_s = t_now.copy()
    burnout_state = y.copy()

    # --- coast: adaptive, to the closest approach, the ground or the end time
    closest = np.zeros(n, dtype=bool)
    run = alive & (t_end > t_now)
    if run.any():
        stage = np.full(n, -1)
        aero = kin.aero(type_idx, stage)
        tgt = None
        if compiled and not dense and physics == Physics() and not np.any(t_end < t_now):
            tgt = _target_tables(target, target_index, burnout_s, n)
        if tgt is not None:
            from bmdsim.flight._coast_kernel import coast

            t_c, y_c, event_c, _ = coast(
                aero, t_now, y, t_end, run, rtol, COAST_ATOL, _EVENT_TOL_S, tgt
            )
        else:
            event = ground
            if target is not None:
                tidx = np.asarray(target_index, dtype=np.intp)
                event = _ground_or_closing(ground, _closing_event(target, tidx, burnout_s))
            sol = dopri5(
                partial(derivative, physics=physics, aero=aero),
                t_now,
                y,
                t_end,
                rtol=rtol,
                atol=COAST_ATOL,
                alive=run,
                event=event,
                dense=dense,
                second_order=3,
            )
            t_c, y_c, event_c = sol.t_s, sol.y, sol.event
            if dense:
                d = sol.dense
                knots.append((d.index, d.t_s, d.y, d.dydt))
        y = np.where(run[:, None], y_c, y)
        t_now = np.where(run, t_c, t_now)
        hit = run & event_c
        if hit.any():
            from bmdsim.flight.dynamics import altitude

            h = altitude(y[:, 0], y[:, 1], y[:, 2], sphere_radius_m=physics.sphere_radius_m)
            on_ground = hit & (h <= 1.0)
            crashed |= on_ground
            closest = hit & ~on_ground
    dense_out = None
    if dense:
        ki = np.concatenate([kk[0] for kk in knots]) if knots else np.zeros(0, np.intp)
        kt = np.concatenate([kk[1] for kk in knots]) if knots else np.zeros(0)
        ky = np.concatenate([kk[2] for kk in knots]) if knots else np.zeros((0, 7))
        kf = np.concatenate([kk[3] for kk in knots]) if knots else np.zeros((0, 7))
        order = np.lexsort((kt, ki))
        ki, kt, ky, kf = ki[order], kt[order], ky[order], kf[order]
        offsets = np.searchsorted(ki, np.arange(n + 1), side="left")
        dense_out = DenseOutput(index=ki, t_s=kt, y=ky, dydt=kf, offsets=offsets)
    return OpenLoopResult(
        burnout_s=burnout_s,
        burnout_state=burnout_state,
        t_s=t_now,
        state=y,
        closest=closest,
        crashed=crashed,
        dense=dense_out,
    )


__all__ = [
    "BOOST_STEP_S",
    "COAST_ATOL",
    "COAST_RTOL",
    "DEFAULT_PROGRAM",
    "BoostCache",
    "InterceptorKinematics",
    "LaunchProgram",
    "OpenLoopResult",
    "TargetFn",
    "fly_open_loop",
    "launch_axes",
]
