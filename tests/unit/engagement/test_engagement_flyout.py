"""Interceptor kinematics, fire control and the guided batch flight."""

from __future__ import annotations

import dataclasses
from types import SimpleNamespace

import numpy as np
import pytest

from bmdsim.catalog import interceptor
from bmdsim.earth.frames import geodetic_to_ecef
from bmdsim.engagement.fire_control import FireControl, aim_azimuth
from bmdsim.engagement.flyout import (
    InterceptorFlight,
    InterceptorLaunch,
    Outcome,
    Phase,
    TargetTruth,
)
from bmdsim.engagement.guidance import Seeker
from bmdsim.engagement.kinematics import InterceptorKinematics, fly_open_loop
from bmdsim.engagement.planning import EngagementPlanner, Launcher
from bmdsim.engagement.threats import ThreatCategory, ThreatReport

from .synthetic import SHIP_LAT_LON, THREAT_STATE, THREAT_T0_S

SHIP = geodetic_to_ecef(*SHIP_LAT_LON, 0.0)
SM3 = interceptor("sm-3-ib")


@pytest.fixture(scope="module")
def plan(threat):
    """The SM-3's first opportunity from the ship with a launch no earlier than 250 s."""
    report = ThreatReport(
        threat_id="T1",
        time_s=THREAT_T0_S,
        state=tuple(THREAT_STATE),
        category=ThreatCategory.ALLIED_TERRITORY,
    )
    ship = Launcher(fire_unit_id="ddg", interceptor=SM3, site_ecef=tuple(SHIP))
    plans = EngagementPlanner().plan(
        THREAT_T0_S, [report], [ship], ready_s={"ddg": 250.0}, trajectories=threat
    )
    p = plans[("T1", "ddg")]
    assert p.feasible, p.reason
    return p


def _launch(plan, n=1, *, suffix="") -> list[InterceptorLaunch]:
    return [
        InterceptorLaunch(
            interceptor_id=f"i{j}{suffix}",
            fire_unit_id="ddg",
            threat_id="T1",
            interceptor_type=SM3,
            target_key=0,
            launch_s=plan.launch_s,
            position_ecef=tuple(SHIP),
            azimuth_rad=plan.azimuth_rad,
            kick_rad=plan.kick_rad,
            target_state=tuple(THREAT_STATE),
            estimate_s=THREAT_T0_S,
        )
        for j in range(n)
    ]


def _fly(flight: InterceptorFlight, threat, t0, t1, chunk_s, *, uplink_s=2.0):
    events, t = [], t0
    next_uplink = t0
    while t < t1 and flight.in_flight():
        if t >= next_uplink:
            flight.update_targets("T1", t, threat.states(t, 0))
            next_uplink += uplink_s
        events += flight.advance(t, min(t + chunk_s, t1), threat)
        t += chunk_s
    return events


def test_open_loop_boost_stages_and_burns_out_with_the_kill_vehicle_mass():
    kin = InterceptorKinematics.from_types([SM3, interceptor("pac-3-mse")])
    res = fly_open_loop(
        kin,
        [0, 1],
        10.0,
        np.tile(SHIP, (2, 1)),
        np.zeros((2, 3)),
        1.0,
        np.radians([40.0, 60.0]),
        200.0,
    )
    pac = interceptor("pac-3-mse")
    np.testing.assert_allclose(
        res.burnout_s, [10.0 + SM3.total_burn_time_s, 10.0 + pac.total_burn_time_s]
    )
    assert res.burnout_state[0, 6] == pytest.approx(SM3.kill_vehicle_mass_kg)
    # the PAC-3 kill vehicle stays on the burnt-out motor
    assert res.burnout_state[1, 6] == pytest.approx(
        pac.kill_vehicle_mass_kg + pac.stages[-1].dry_mass_kg
    )
    speed = np.linalg.norm(res.burnout_state[:, 3:6], axis=1)
    assert speed[0] == pytest.approx(SM3.max_speed_m_s, rel=0.03)


def test_fire_control_converges_and_its_solution_flies_through_the_target(threat):
    kin = InterceptorKinematics.from_types([SM3])
    fc = FireControl(kin, tolerance_m=1.0)
    launch = np.array([240.0, 270.0, 300.0])
    pip = threat.states(launch + 150.0, np.zeros(3, np.intp))
    sol = fc.solve(
        np.zeros(3, np.intp),
        launch,
        np.tile(SHIP, (3, 1)),
        np.zeros((3, 3)),
        threat,
        np.zeros(3, np.intp),
        aim_azimuth(np.tile(SHIP, (3, 1)), pip[:, :3]),
        np.radians([50.0, 50.0, 50.0]),
    )
    assert sol.converged.all() and np.all(sol.miss_m < 1.0), sol.miss_m
    assert np.all(sol.iterations <= 6)
    again = fly_open_loop(
        kin,
        np.zeros(3, np.intp),
        launch,
        np.tile(SHIP, (3, 1)),
        np.zeros((3, 3)),
        sol.azimuth_rad,
        sol.kick_rad,
        launch + 400.0,
        target=threat,
        target_index=np.zeros(3, np.intp),
    )
    miss = np.linalg.norm(
        again.state[:, :3] - threat.states(again.t_s, np.zeros(3, np.intp))[:, :3], axis=1
    )
    np.testing.assert_allclose(miss, sol.miss_m, atol=1e-3)
    assert np.all(sol.closing_speed_m_s > 3000.0)


def test_guided_interceptor_hits_with_perfect_information(threat, plan):
    flight = InterceptorFlight(seed=1, seeker=Seeker(angle_noise_rad=0.0))
    flight.launch(_launch(plan))
    events = _fly(flight, threat, plan.launch_s, plan.launch_s + 400.0, 5.0)
    assert len(events) == 1
    e = events[0]
    assert e.miss_distance_m < 1.0, f"miss {e.miss_distance_m:.3g} m"
    assert e.kind in ("intercept", "miss") and e.reason == ""
    assert e.time_s == pytest.approx(plan.intercept_s, abs=1.0)
    assert e.divert_used_m_s < 100.0 and e.closing_speed_m_s > 3000.0
    b = flight.batch
    assert b.phase[0] == Phase.ENDED and b.outcome[0] in (Outcome.KILL, Outcome.SURVIVED)
    assert b.state[0, 6] == pytest.approx(SM3.kill_vehicle_mass_kg)
    assert flight.in_flight() == []


def test_advancing_in_small_or_large_steps_gives_the_same_flight(threat, plan):
    out = []
    for chunk in (0.5, 6.0):  # the same uplink times (every 6 s) either way
        flight = InterceptorFlight(seed=3, seeker=Seeker(angle_noise_rad=20e-6))
        flight.launch(_launch(plan, 2))
        events = _fly(flight, threat, plan.launch_s, plan.launch_s + 400.0, chunk, uplink_s=6.0)
        out.append(sorted((e.source, e.time_s, e.miss_distance_m, e.killed) for e in events))
    for a, b in zip(*out, strict=True):
        assert a[0] == b[0] and a[3] == b[3]
        assert a[1] == pytest.approx(b[1], abs=1e-6)
        assert a[2] == pytest.approx(b[2], abs=1e-3)


def test_flight_ends_when_its_target_no_longer_exists(threat, plan):
    flight = InterceptorFlight(seed=0)
    flight.launch(_launch(plan))
    gone_after = plan.launch_s + 60.0

    def target(t, idx):
        s = threat.states(t, idx * 0)
        return np.where((np.asarray(t) > gone_after)[:, None], np.nan, s)

    events = flight.advance(plan.launch_s, plan.launch_s + 120.0, target)
    assert len(events) == 1 and events[0].reason == "target lost" and not events[0].killed
    assert np.isnan(events[0].miss_distance_m) and flight.batch.outcome[0] == Outcome.NO_INTERCEPT


def test_kill_draw_depends_on_seed_and_interceptor_id_only(threat, plan):
    def outcome(seed, n):
        flight = InterceptorFlight(seed=seed, seeker=Seeker(angle_noise_rad=0.0))
        flight.launch(_launch(plan, n))
        ev = _fly(flight, threat, plan.launch_s, plan.launch_s + 400.0, 20.0)
        return {e.source: e.killed for e in ev}

    one, three = outcome(5, 1), outcome(5, 3)
    assert one["i0"] == three["i0"]  # more interceptors in the batch change nothing for i0


def test_duplicate_interceptor_ids_are_rejected(plan):
    flight = InterceptorFlight()
    flight.launch(_launch(plan))
    with pytest.raises(ValueError):
        flight.launch(_launch(plan))


def test_interceptor_at_a_track_without_truth_ends_without_intercept(threat, plan):
    """An engaged false track (no true object: target key -1) is never asked for."""
    (launch,) = _launch(plan)
    flight = InterceptorFlight(seed=0)
    flight.launch([dataclasses.replace(launch, target_key=-1)])

    def target(t, keys):
        assert np.all(np.asarray(keys) >= 0)
        return threat.states(t, keys)

    events = flight.advance(plan.launch_s, plan.launch_s + 5.0, target)
    assert len(events) == 1 and events[0].reason == "target lost" and events[0].target_key == -1


# ---------------------------------------------------------------------- compiled flight
def _trajectory(threat, shift_s=0.0):
    """The synthetic threat's predicted coast as a flight-layer trajectory (its knots),
    ``shift_s`` later."""
    from bmdsim.flight.trajectory import ObjectKind, Trajectory

    d = threat.dense
    k = slice(d.offsets[0], d.offsets[1])
    return Trajectory.from_knots(
        kind=ObjectKind.RV, label="T", rcs_m2=0.1, t_s=d.t_s[k] + shift_s, y=d.y[k],
        dydt=d.dydt[k], burnout_s=None, burnout_state=None, impacted=True,
    )  # fmt: skip


def _truth(trajs, end_s):
    """The engine's form of the truth: ``Trajectory.state_at``, NaN after each end time; as a
    plain function and as a :class:`TargetTruth` (the compiled flight's)."""

    def states(t, keys):
        t = np.asarray(t, dtype=float).reshape(-1)
        keys = np.asarray(keys).reshape(-1)
        out = np.full((t.size, 6), np.nan)
        for key in np.unique(keys):
            rows = np.flatnonzero(keys == key)
            s = trajs[int(key)].state_at(t[rows])
            s[t[rows] > end_s[int(key)]] = np.nan
            out[rows] = s
        return out

    return states, TargetTruth(states=states, trajectory=lambda key: (trajs[key], end_s[key]))


def _fly_truth(flight, trajs, target, t0, t1, chunk_s, uplink_s=2.0):
    events, t, next_uplink = [], t0, t0
    while t < t1 and flight.in_flight():
        if t >= next_uplink:
            for key, threat_id in enumerate(("T1", "T2")):
                flight.update_targets(threat_id, t, trajs[key].state_at(t))
            next_uplink += uplink_s
        events += flight.advance(t, min(t + chunk_s, t1), target)
        t += chunk_s
    return events


def _mixed_launches(plan):
    """Two SM-3s at the threat, one at a second target that ends in flight, one at a track
    without truth, one PAC-3 MSE (out of its reach)."""
    sm3 = _launch(plan, 5, suffix="-sm3")
    return [
        sm3[0],
        sm3[1],
        dataclasses.replace(sm3[2], threat_id="T2", target_key=1),
        dataclasses.replace(sm3[3], target_key=-1),
        dataclasses.replace(
            sm3[4], interceptor_type=interceptor("pac-3-mse"), kick_rad=np.radians(30.0)
        ),
    ]


def _flown(threat, plan, compiled, seeker, launches, chunk_s=5.0):
    trajs = [_trajectory(threat), _trajectory(threat, 2.0)]
    states, truth = _truth(trajs, [np.inf, plan.launch_s + 100.0])
    flight = InterceptorFlight(seed=7, seeker=seeker, compiled=compiled)
    flight.launch(launches)
    target = truth if compiled else states
    events = _fly_truth(flight, trajs, target, plan.launch_s, plan.launch_s + 400.0, chunk_s)
    return events, flight.batch


def _assert_same_flights(fast, ref):
    (ev_f, b_f), (ev_r, b_r) = fast, ref
    assert [e.source for e in ev_f] == [e.source for e in ev_r]
    for ef, er in zip(ev_f, ev_r, strict=True):
        for x, y in zip(dataclasses.astuple(ef), dataclasses.astuple(er), strict=True):
            same = x == y or (isinstance(x, float) and np.isnan(x) and np.isnan(y))
            assert same, f"{ef.source}: compiled {x!r}, reference {y!r}"
    for name in ("t_s", "state", "phase", "outcome", "divert_used_m_s", "intercept_s", "miss_m",
                 "intercept_point", "killed"):  # fmt: skip
        a, b = getattr(b_f, name), getattr(b_r, name)
        err = np.nanmax(np.abs(a.astype(float) - b.astype(float)), initial=0.0)
        assert np.array_equal(a, b, equal_nan=True), f"{name}: compiled - reference up to {err:.3g}"


def test_compiled_flight_is_bit_identical_to_the_numpy_reference(threat, plan):
    """The compiled kernel (whole frame loop, RK4, closest-approach search, guidance, seeker
    filter, in-kernel target interpolation) against :meth:`advance_reference` with the same
    truth given as a plain function: same events, same states to the last bit."""
    launches = _mixed_launches(plan)
    fast = _flown(threat, plan, True, Seeker(), launches)
    ref = _flown(threat, plan, False, Seeker(), launches)
    _assert_same_flights(fast, ref)
    ends = {e.source: e for e in fast[0]}
    assert ends["i0-sm3"].reason == ends["i1-sm3"].reason == ""  # closest approaches
    assert ends["i2-sm3"].reason == ends["i3-sm3"].reason == "target lost"
    assert ends["i4-sm3"].reason == "time of flight"
    assert ends["i0-sm3"].miss_distance_m < 1.0, ends["i0-sm3"].miss_distance_m


def test_compiled_flight_searches_simultaneous_closest_approaches_together(threat, plan):
    """Two identical interceptors (perfect seeker) cross in the same step: the batched
    search's stopping test covers both, and so does the kernel's."""
    launches = _launch(plan, 2)
    fast = _flown(threat, plan, True, Seeker(angle_noise_rad=0.0), launches, chunk_s=7.0)
    ref = _flown(threat, plan, False, Seeker(angle_noise_rad=0.0), launches, chunk_s=7.0)
    _assert_same_flights(fast, ref)
    (a, b) = fast[0]
    assert a.time_s == b.time_s and a.miss_distance_m == b.miss_distance_m < 1.0


def test_compiled_target_interpolation_matches_trajectory_state_at(threat):
    from bmdsim.engagement import _flyout_kernel as kern

    trajs = [_trajectory(threat), _trajectory(threat, 3.0)]
    kt = np.concatenate([tr.t_s for tr in trajs])
    ky = np.concatenate([tr.states for tr in trajs])
    ka = np.concatenate([tr.accelerations for tr in trajs])
    offsets = np.array([0, trajs[0].t_s.size, kt.size], dtype=np.intp)
    end = np.array([np.inf, 400.0])
    rng = np.random.default_rng(0)
    times = np.concatenate([rng.uniform(140.0, 520.0, 500), trajs[0].t_s[:20], [150.0, 507.0]])
    out = np.empty(6)
    for tab, tr in enumerate(trajs):
        want = tr.state_at(times)
        want[times > end[tab]] = np.nan
        got = np.empty_like(want)
        for i, t in enumerate(times):
            kern._target(tab, t, kt, ky, ka, offsets, end, out)
            got[i] = out
        err = np.nanmax(np.abs(got - want))
        assert np.array_equal(got, want, equal_nan=True), f"table {tab}: up to {err:.3g}"


def test_the_batch_snapshot_is_kept_until_a_launch_a_flight_step_or_an_end(threat, plan):
    flight = InterceptorFlight(seed=0)
    empty = flight.batch
    assert len(empty) == 0 and flight.batch is empty
    flight.launch(_launch(plan))
    b0 = flight.batch
    assert b0 is not empty and b0.ids == ("i0",) and flight.batch is b0
    assert not b0.state.flags.writeable  # shared snapshots cannot be changed by a reader
    _, truth = _truth([_trajectory(threat)], [np.inf])
    # an advance that flies nothing (not past the interceptor's own time) keeps it
    assert flight.advance(plan.launch_s, plan.launch_s, truth) == []
    assert flight.batch is b0
    flight.update_targets("T1", plan.launch_s, threat.states(np.array([plan.launch_s]), 0)[0])
    assert flight.batch is b0  # the target estimate is not part of the snapshot
    flight.advance(plan.launch_s, plan.launch_s + 5.0, truth)
    b1 = flight.batch
    assert b1 is not b0 and b1.t_s[0] == plan.launch_s + 5.0 and b0.t_s[0] == plan.launch_s
    np.testing.assert_array_equal(b1.state, flight._y)
    # what only a launch or an end changes is shared by the snapshots in between
    assert b1.outcome is b0.outcome and b1.ids is b0.ids and b1.launch_s is b0.launch_s
    flight._end(0, None, "test")
    b2 = flight.batch
    assert b2 is not b1 and b2.phase[0] == Phase.ENDED and b1.phase[0] != Phase.ENDED
    assert b2.outcome[0] == Outcome.NO_INTERCEPT and b1.outcome[0] == Outcome.FLYING
    for name in ("t_s", "state", "phase", "outcome", "divert_used_m_s", "intercept_s",
                 "miss_m", "intercept_point", "killed", "target", "launch_s"):  # fmt: skip
        got = getattr(b2, name)
        want = getattr(flight, {"t_s": "_t", "state": "_y", "divert_used_m_s": "_dv_used",
                                "intercept_s": "_t_cpa", "miss_m": "_miss",
                                "intercept_point": "_p_cpa", "launch_s": "_launch"}.get(
            name, "_" + name))  # fmt: skip
        np.testing.assert_array_equal(got, want)
    assert flight.advance(plan.launch_s + 5.0, plan.launch_s + 10.0, truth) == []
    assert flight.batch is b2  # nothing flying: nothing changed
    # the kernel's physics tables: kept per physics, kinematics and air table
    tables = flight._physics_tables()
    assert flight._physics_tables() is tables
    flight.physics = dataclasses.replace(flight.physics, j2=False)
    assert flight._physics_tables() is not tables and flight._physics_tables()[0] is False


def _knots_reference(flight, trajectory, flying):
    """The targets' tables of :meth:`InterceptorFlight._target_knots`, found afresh."""
    keys = flight._target
    known = flying & (keys >= 0)
    want = np.unique(keys[known])
    tab = np.full(len(flight), -1, np.intp)
    tab[known] = np.searchsorted(want, keys[known])
    ends = [float(trajectory(int(k))[1]) for k in want]
    return tab, np.array(ends) if ends else np.zeros(1)


def test_the_targets_tables_follow_the_launches_the_flights_and_the_targets_end_times(plan):
    flight = InterceptorFlight(seed=0)
    flight.launch(
        [
            dataclasses.replace(L, target_key=k)
            for L, k in zip(_launch(plan, 3), [1, -1, 4], strict=True)
        ]
    )

    def track(n, v):
        t = np.arange(n, dtype=float)
        return SimpleNamespace(t_s=t, states=np.full((n, 7), v), accelerations=np.full((n, 3), v))

    trajs = {1: track(3, 1.0), 4: track(5, 4.0), 2: track(2, 2.0)}
    end = {1: np.inf, 4: np.inf, 2: np.inf}

    def trajectory(k):
        return trajs[k], end[k]

    def check(flying):
        out = flight._target_knots(trajectory, np.array(flying))
        tab, ends = _knots_reference(flight, trajectory, np.array(flying))
        np.testing.assert_array_equal(out[-1], tab)
        np.testing.assert_array_equal(out[-2], ends)
        return out

    a = check([True, True, True])
    b = check([True, True, True])
    assert b[-1] is a[-1] and b[-2] is a[-2] and b[0] is a[0]  # kept
    assert list(a[-1]) == [0, -1, 1] and a[3].tolist() == [0, 3, 8]
    c = check([False, True, True])  # the first ended: one target left
    assert list(c[-1]) == [-1, -1, 0] and c[0].size == 5
    end[4] = 123.0  # the target is destroyed
    d = check([False, True, True])
    assert d[-2].tolist() == [123.0] and d[-1] is c[-1]
    flight.launch([dataclasses.replace(_launch(plan, 1, suffix="x")[0], target_key=2)])
    e = check([False, True, True, True])  # a new launch: a new keys array
    assert list(e[-1]) == [-1, -1, 1, 0] and e[-2].tolist() == [np.inf, 123.0]
    check([True, False, False, True])
    check([False, False, False, False])


def test_apparent_acceleration_is_the_ballistic_right_hand_side_bit_for_bit(threat):
    from bmdsim.flight.dynamics import derivative

    flight = InterceptorFlight(seed=0)
    rng = np.random.default_rng(5)
    states = threat.states(THREAT_T0_S + np.linspace(0.0, 300.0, 7), np.zeros(7, np.intp))
    assert np.isfinite(states).all()
    states = states + rng.normal(0.0, [1e3, 1e3, 1e3, 10.0, 10.0, 10.0], (7, 6))
    y = np.concatenate([states, np.ones((7, 1))], axis=1)
    want = np.asarray(derivative(0.0, y, np.arange(7), physics=flight.physics, aero=None))
    got = flight._apparent_acceleration(states)
    assert np.array_equal(got, want[:, 3:6])
    assert flight._apparent_acceleration(np.zeros((0, 6))).shape == (0, 3)
