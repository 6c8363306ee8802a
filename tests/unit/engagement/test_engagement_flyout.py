"""Interceptor kinematics, fire control and the guided batch flight."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bmdsim.catalog import interceptor
from bmdsim.earth.frames import geodetic_to_ecef
from bmdsim.engagement.fire_control import FireControl, aim_azimuth
from bmdsim.engagement.flyout import InterceptorFlight, InterceptorLaunch, Outcome, Phase
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
