"""Batched flight of missiles from lift-off to impact: boost, staging, separation, coast.

One call flies ``N`` flights (any mix of missile types and controls) as one batch:

* **boost**: fixed-step RK4 (:func:`bmdsim.core.integrate.rk4`, or for batches of up to 256
  flights the bit-identical compiled :func:`bmdsim.flight._boost_kernel.boost_segment`) in
  segments whose ends are the discontinuities of the right-hand side (end of vertical rise,
  end of pitch-over, stage burnouts, thrust termination). Each flight has its own segment
  times, so no step straddles a discontinuity; between segments the spent stage's dry mass
  is dropped and the stage becomes a separate object.
* **thrust termination** at the cut-off time: a burnout speed error is applied as an impulse
  along the velocity; the RV separates from the rest of the stack (which becomes an object);
  spent stages are pushed back by :attr:`BoostProgram.separation_speed_m_s`.
* **coast**: every object (RVs and spent stages) with adaptive Dormand-Prince 5(4) until it
  reaches the WGS-84 ellipsoid (event located per object).

Times here are flight times (0 at lift-off). The result keeps every accepted step as knots
(state, derivative) for Hermite interpolation.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from bmdsim.core.integrate import DenseOutput, dopri5, rk4
from bmdsim.earth.frames import enu_basis, geodetic_to_ecef
from bmdsim.flight.dynamics import Aero, Physics, Thrust, derivative, ground_event
from bmdsim.flight.guidance import DEFAULT_PROGRAM, BoostProgram
from bmdsim.flight.propagation import COAST_ATOL, COAST_RTOL
from bmdsim.flight.vehicle import VehicleTable, tumbling_area_m2

#: RK4 step in boost [s] (segments end exactly on discontinuities).
BOOST_STEP_S: float = 0.5
#: Longest flight followed after lift-off [s].
MAX_FLIGHT_S: float = 7_200.0
#: Largest batch whose boost the compiled kernel flies: it runs the flights one by one,
#: which beats the numpy driver's batched right-hand side only for small batches (reference
#: run: 3 flights 0.07 vs 0.6 ms, 126 flights 8.5 vs 10.9 ms, 616 flights 38 vs 28 ms per
#: segment). Also one chunk of the driver (4096): see :func:`fly_out`.
_COMPILED_MAX_FLIGHTS = 256
#: Object kinds.
RV, BOOSTER = 0, 1


@dataclass(frozen=True, slots=True, kw_only=True)
class FlightPlan:
    """Launch and guidance controls of ``N`` flights (arrays over flights)."""

    #: ``(N,)`` launch point [deg] (on the ellipsoid).
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    #: ``(N,)`` launch azimuth [rad], clockwise from north (guidance bias included).
    azimuth_rad: np.ndarray
    #: ``(N,)`` pitch-over angle [rad].
    pitch_over_rad: np.ndarray
    #: ``(N,)`` thrust termination after lift-off [s] (early cut-off and stage failure
    #: already applied; at most the total burn time).
    cutoff_s: np.ndarray
    #: ``(N,)`` burnout speed error: ``dv = m_s + fraction * |v|`` along the velocity.
    speed_error_m_s: np.ndarray
    speed_error_fraction: np.ndarray
    #: ``(N,)`` True where a stage failed: the RV stays on the stack.
    failed: np.ndarray


@dataclass(frozen=True, slots=True, kw_only=True)
class FlownBatch:
    """Raw result of :func:`fly_out`: flights, their objects and knots (flight times)."""

    #: ``(N,)`` thrust termination time [s] and state ``(N, 7)`` just after it (speed error
    #: applied, before separation).
    burnout_t_s: np.ndarray
    burnout_state: np.ndarray
    #: ``(N,)`` index of each flight's RV object (the stack when the RV stays on it).
    rv_object: np.ndarray
    #: ``(N,)`` True where the RV separated from the stack at thrust termination.
    rv_separated: np.ndarray
    #: ``(M,)`` per object: flight index, kind (:data:`RV` / :data:`BOOSTER`), stage index of
    #: a spent stage (the lowest stage of the piece; -1 for RVs), creation time [s].
    object_flight: np.ndarray
    object_kind: np.ndarray
    object_stage: np.ndarray
    object_start_s: np.ndarray
    #: ``(M,)`` impact time [s] (NaN if none within :data:`MAX_FLIGHT_S`) and ``(M, 7)`` state.
    impact_t_s: np.ndarray
    impact_state: np.ndarray
    #: Knots of every object (boost and coast), or None when not requested.
    dense: DenseOutput | None


def launch_frame(lat_deg, lon_deg, azimuth_rad) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Launch position ``(N, 3)`` [m] and unit ``up`` and ``downrange`` vectors ``(N, 3)``
    (local geodetic vertical; horizontal at ``azimuth_rad`` clockwise from north), ECEF."""
    r0 = geodetic_to_ecef(lat_deg, lon_deg, 0.0)
    basis = enu_basis(lat_deg, lon_deg)  # (N, 3, 3) rows east, north, up
    az = np.asarray(azimuth_rad, dtype=float)
    downrange = np.sin(az)[:, None] * basis[:, 0] + np.cos(az)[:, None] * basis[:, 1]
    return r0, basis[:, 2], downrange


def _segments(table: VehicleTable, cutoff_s: np.ndarray, program: BoostProgram) -> np.ndarray:
    """``(N, B)`` sorted segment boundaries of the boost, clipped to the thrust termination."""
    n = cutoff_s.size
    t_v = program.vertical_rise_s
    cols = [
        np.zeros((n, 1)),
        np.full((n, 1), t_v),
        np.full((n, 1), t_v + program.pitch_over_s),
        table.stage_end_s,
        cutoff_s[:, None],
    ]
    bounds = np.minimum(np.concatenate(cols, axis=1), cutoff_s[:, None])
    return np.sort(bounds, axis=1)


class _Segment:
    """What :func:`fly_out` reads of a boost :class:`bmdsim.core.integrate.Solution`."""

    __slots__ = ("dense", "event", "t_s", "y")

    def __init__(self, t_s: np.ndarray, y: np.ndarray, dense: DenseOutput | None) -> None:
        self.t_s, self.y, self.dense = t_s, y, dense
        self.event = np.zeros(t_s.size, dtype=bool)


def boost_segment_compiled(
    physics: Physics, aero: Aero, thrust: Thrust, a, y, b, step_s, run, dense: bool
):
    """One RK4 boost segment of ``N`` objects from ``a`` to ``b`` ``(N,)`` [s] by the
    compiled kernel (:func:`bmdsim.flight._boost_kernel.boost_segment`, bit-identical to
    :func:`bmdsim.core.integrate.rk4`), with its knots when ``dense``: the segment (``t_s``,
    ``y``, ``event``, ``dense`` as a driver's solution) and the ``(N,)`` flights that reach
    the ground in it (left at their start: the numpy driver locates those crossings).
    Shared with :func:`bmdsim.engagement.kinematics.fly_open_loop`."""
    from bmdsim.flight import _boost_kernel as kern
    from bmdsim.flight.air import air_table
    from bmdsim.flight.dynamics import MACH_STEP

    n = y.shape[0]
    a = np.require(a, float, "CW")
    b = np.require(b, float, "CW")
    run = np.require(run, bool, "CW")
    y_out = np.array(y, dtype=float, order="C")
    t_out = a.copy()
    crossed = np.zeros(n, dtype=bool)
    table = air_table()
    args = (
        a, b, y_out, run, float(step_s), t_out, crossed,
        bool(physics.j2), bool(physics.rotating), bool(physics.drag),
        -1.0 if physics.sphere_radius_m is None else float(physics.sphere_radius_m),
        np.require(aero.area_m2, float, "CW"), np.require(aero.drag_row, np.intp, "CW"),
        np.require(aero.cd_table, float, "CW"), 1.0 / MACH_STEP,
        table.rows, table.alt_min_m, table.inv_step_per_m, table.last_node,
        np.require(thrust.params, float, "CW"), np.empty((6, 7)),
    )  # fmt: skip
    if not dense:
        kern.boost_segment(*args)
        return _Segment(t_out, y_out, None), crossed
    # room for the start knot and every step (one spare: the kernel reports an overflow)
    steps = np.where(run, np.ceil((b - a) / step_s), -2.0)
    room = (steps + 2.0).astype(np.intp)
    k_start = np.zeros(n + 1, dtype=np.intp)
    np.cumsum(room, out=k_start[1:])
    size = int(k_start[-1])
    k_count = np.zeros(n, dtype=np.intp)
    k_t, k_y, k_f = np.empty(size), np.empty((size, 7)), np.empty((size, 7))
    kern.boost_segment_dense(*args, k_start, k_count, k_t, k_y, k_f)
    index = np.repeat(np.arange(n), k_count)
    offsets = np.zeros(n + 1, dtype=np.intp)
    np.cumsum(k_count, out=offsets[1:])
    take = k_start[index] + np.arange(index.size) - offsets[index]
    knots = DenseOutput(index=index, t_s=k_t[take], y=k_y[take], dydt=k_f[take], offsets=offsets)
    return _Segment(t_out, y_out, knots), crossed


def _merge(fast: _Segment, slow, redo: np.ndarray) -> _Segment:
    """The compiled segment with the objects ``redo`` taken from the driver's solution."""
    out = _Segment(
        np.where(redo, slow.t_s, fast.t_s), np.where(redo[:, None], slow.y, fast.y), None
    )
    out.event = redo & slow.event
    if fast.dense is not None:
        d, e = fast.dense, slow.dense
        keep = ~redo[d.index]
        ki = np.concatenate([d.index[keep], e.index])
        kt = np.concatenate([d.t_s[keep], e.t_s])
        order = np.lexsort((kt, ki))
        ki, kt = ki[order], kt[order]
        ky = np.concatenate([d.y[keep], e.y])[order]
        kf = np.concatenate([d.dydt[keep], e.dydt])[order]
        offsets = np.searchsorted(ki, np.arange(redo.size + 1), side="left")
        out.dense = DenseOutput(index=ki, t_s=kt, y=ky, dydt=kf, offsets=offsets)
    return out


#: Event-time tolerance of :func:`bmdsim.core.integrate.dopri5`'s default (the coast kernel's).
_EVENT_TOL_S = 1e-9


def fly_out(
    table: VehicleTable,
    plan: FlightPlan,
    *,
    program: BoostProgram = DEFAULT_PROGRAM,
    physics: Physics | None = None,
    boosters: bool = True,
    dense: bool = True,
    boost_step_s: float = BOOST_STEP_S,
    rtol: float = COAST_RTOL,
    compiled: bool = True,
) -> FlownBatch:
    """Fly ``N`` flights from lift-off to impact (see the module docstring).

    ``boosters=False`` skips the coast of spent stages (the aim solver needs only RVs);
    ``dense=False`` keeps no knots. ``compiled``: fly the boost segments in the compiled
    kernel :func:`bmdsim.flight._boost_kernel.boost_segment` (bit-identical to the numpy
    driver, which ``compiled=False`` uses, knots included; a segment in which a flight
    reaches the ground and batches of more than 256 flights use the driver), and, with the
    default physics, the coast in :func:`bmdsim.flight._coast_kernel.coast` (the driver's
    Dormand-Prince coast to the integration's accuracy, dense knots included).
    """
    physics = Physics() if physics is None else physics
    n = plan.cutoff_s.size
    r0, up, downrange = launch_frame(plan.lat_deg, plan.lon_deg, plan.azimuth_rad)
    y = np.zeros((n, 7))
    y[:, :3] = r0
    y[:, 6] = table.launch_mass_kg
    event = ground_event(physics)
    rows = np.arange(n)
    knots: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    alive = np.ones(n, dtype=bool)
    crashed_t = np.full(n, np.nan)
    # spent stages: (flight, stage, time, state)
    spawned: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
    # thrust terminated before lift-off: the missile stays on its pad (impact at t = 0)
    idle = plan.cutoff_s <= 0.0
    if idle.any():
        i = np.nonzero(idle)[0]
        crashed_t[i] = 0.0
        alive[i] = False
        if dense:
            f0 = derivative(np.zeros(i.size), y[i], i, physics=physics, aero=None)
            knots.append((i, np.zeros(i.size), y[i].copy(), np.asarray(f0)))

    bounds = _segments(table, plan.cutoff_s, program)
    ends = table.stage_end_s
    last_stage = table.n_stages - 1
    t_kick0 = program.vertical_rise_s
    t_kick1 = t_kick0 + program.pitch_over_s
    for k in range(bounds.shape[1] - 1):
        a, b = bounds[:, k], bounds[:, k + 1]
        run = alive & (b > a)
        if not run.any():
            continue
        mid = 0.5 * (a + b)
        stage = np.minimum(np.sum(ends <= mid[:, None], axis=1), last_stage)
        mode = np.where(mid < t_kick0, 0, np.where(mid < t_kick1, 1, 2))
        thrust = Thrust.from_arrays(
            thrust_vac_n=table.thrust_vac_n[rows, stage],
            mass_flow_kg_s=table.mass_flow_kg_s[rows, stage],
            exit_area_m2=table.exit_area_m2[rows, stage],
            mode=mode,
            up=up,
            downrange=downrange,
            kick_start_s=np.full(n, t_kick0),
            kick_duration_s=np.full(n, program.pitch_over_s),
            kick_angle_rad=plan.pitch_over_rad,
        )
        aero = Aero(
            area_m2=np.pi / 4.0 * table.diameter_m[rows, stage] ** 2,
            drag_row=table.body_row,
            cd_table=table.cd_table,
        )
        fast, redo = None, run
        # the driver raises on a step <= 0: that goes to it
        if compiled and boost_step_s > 0.0 and n <= _COMPILED_MAX_FLIGHTS:
            fast, crossed = boost_segment_compiled(
                physics, aero, thrust, a, y, b, boost_step_s, run, dense
            )
            # the driver locates together the crossings in the same step of its chunk (the
            # whole batch here): it redoes the flights that cross, grouped as they would be
            redo = run & crossed
        sol = fast
        if redo.any():
            sol = rk4(
                partial(derivative, physics=physics, aero=aero, thrust=thrust),
                a,
                y,
                b,
                step_s=boost_step_s,
                alive=redo,
                event=event,
                dense=dense,
                second_order=3,
            )
            if fast is not None:
                sol = _merge(fast, sol, redo)
        y = np.where(run[:, None], sol.y, y)
        if dense:
            d = sol.dense
            knots.append((d.index, d.t_s, d.y, d.dydt))
        crashed = sol.event
        crashed_t[crashed] = sol.t_s[crashed]
        alive &= ~crashed
        # staging at the end of a lower stage that is not the end of thrust
        staged = alive & run & (stage < last_stage) & (b >= ends[rows, stage]) & (b < plan.cutoff_s)
        if staged.any():
            i = np.nonzero(staged)[0]
            st = stage[i]
            piece = y[i].copy()
            piece[:, 6] = table.dry_kg[i, st]
            spawned.append((i, st, b[i], piece))
            y[i, 6] -= table.dry_kg[i, st]

    # thrust termination: speed error, then separation
    t_bo = np.where(np.isnan(crashed_t), plan.cutoff_s, crashed_t)
    v = y[:, 3:6]
    speed = np.linalg.norm(v, axis=1)
    dv = plan.speed_error_m_s + plan.speed_error_fraction * speed
    scale = np.where(speed > 0.0, 1.0 + dv / np.where(speed > 0.0, speed, 1.0), 1.0)
    y[:, 3:6] = np.where(alive[:, None], v * scale[:, None], v)
    burnout_state = y.copy()

    separates = alive & table.rv_separates & ~plan.failed
    stage_now = np.minimum(np.sum(ends <= (t_bo - 1e-9)[:, None], axis=1), last_stage)
    if separates.any():
        i = np.nonzero(separates)[0]
        piece = y[i].copy()
        piece[:, 6] = y[i, 6] - table.rv_mass_kg[i]
        spawned.append((i, stage_now[i], t_bo[i], piece))
        y[i, 6] = table.rv_mass_kg[i]

    # --- objects: RVs (indices 0..N-1) then spent stages
    obj_flight = [rows]
    obj_kind = [np.full(n, RV)]
    obj_stage = [np.full(n, -1)]
    obj_t0 = [t_bo]
    obj_y = [y]
    area = [
        np.where(separates, table.rv_area_m2, np.pi / 4.0 * table.diameter_m[rows, stage_now] ** 2)
    ]
    drag_row = [np.where(separates, table.rv_row, table.body_row)]
    for i, st, t, piece in spawned:
        obj_flight.append(i)
        obj_kind.append(np.full(i.size, BOOSTER))
        obj_stage.append(st)
        obj_t0.append(t)
        sp = np.linalg.norm(piece[:, 3:6], axis=1)
        piece = piece.copy()
        piece[:, 3:6] *= (1.0 - program.separation_speed_m_s / np.maximum(sp, 1e-9))[:, None]
        obj_y.append(piece)
        # the piece: stages st.. of the flight (only st at a staging event, st..top at cut-off)
        top = np.where(t >= t_bo[i] - 1e-9, table.n_stages[i], st + 1)
        cols = np.arange(table.burn_s.shape[1])[None, :]
        member = (cols >= st[:, None]) & (cols < top[:, None])
        length = np.sum(np.where(member, table.length_m[i], 0.0), axis=1)
        diam = np.max(np.where(member, table.diameter_m[i], 0.0), axis=1)
        area.append(tumbling_area_m2(diam, length))
        drag_row.append(np.full(i.size, table.tumble_row))
    obj_flight = np.concatenate(obj_flight)
    obj_kind = np.concatenate(obj_kind)
    obj_stage = np.concatenate(obj_stage)
    obj_t0 = np.concatenate(obj_t0)
    obj_y = np.concatenate(obj_y)
    aero = Aero(
        area_m2=np.concatenate(area), drag_row=np.concatenate(drag_row), cd_table=table.cd_table
    )
    m = obj_flight.size
    coast_alive = np.ones(m, dtype=bool)
    coast_alive[:n] = alive
    if not boosters:
        coast_alive[n:] = False
    t_coast_end = np.maximum(obj_t0, MAX_FLIGHT_S)
    if compiled and physics == Physics():
        from bmdsim.flight._coast_kernel import NO_TARGET, coast

        t_c, y_c, event_c, coast_knots = coast(aero, obj_t0, obj_y, t_coast_end, coast_alive,
                                               rtol, COAST_ATOL, _EVENT_TOL_S,
                                               (False, *NO_TARGET), dense=dense)  # fmt: skip
    else:
        sol = dopri5(
            partial(derivative, physics=physics, aero=aero),
            obj_t0,
            obj_y,
            t_coast_end,
            rtol=rtol,
            atol=COAST_ATOL,
            alive=coast_alive,
            event=event,
            dense=dense,
            second_order=3,
        )
        t_c, y_c, event_c, coast_knots = sol.t_s, sol.y, sol.event, sol.dense
    impact_t = np.where(event_c, t_c, np.nan)
    impact_state = np.where(event_c[:, None], y_c, np.nan)
    # flights that hit the ground in boost
    crashed = ~np.isnan(crashed_t)
    impact_t[:n] = np.where(crashed, crashed_t, impact_t[:n])
    impact_state[:n] = np.where(crashed[:, None], y, impact_state[:n])

    dense_out = None
    if dense:
        d = coast_knots
        knots.append((d.index, d.t_s, d.y, d.dydt))
        ki = np.concatenate([kk[0] for kk in knots])
        kt = np.concatenate([kk[1] for kk in knots])
        ky = np.concatenate([kk[2] for kk in knots])
        kf = np.concatenate([kk[3] for kk in knots])
        order = np.lexsort((kt, ki))  # stable: segment order kept at shared times
        ki, kt, ky, kf = ki[order], kt[order], ky[order], kf[order]
        offsets = np.searchsorted(ki, np.arange(m + 1), side="left")
        dense_out = DenseOutput(index=ki, t_s=kt, y=ky, dydt=kf, offsets=offsets)
    return FlownBatch(
        burnout_t_s=t_bo,
        rv_separated=separates,
        burnout_state=burnout_state,
        rv_object=np.arange(n),
        object_flight=obj_flight,
        object_kind=obj_kind,
        object_stage=obj_stage,
        object_start_s=obj_t0,
        impact_t_s=impact_t,
        impact_state=impact_state,
        dense=dense_out,
    )


__all__ = [
    "BOOSTER",
    "BOOST_STEP_S",
    "MAX_FLIGHT_S",
    "RV",
    "FlightPlan",
    "FlownBatch",
    "fly_out",
    "launch_frame",
]
