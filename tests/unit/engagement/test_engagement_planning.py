"""Engagement planning: windows, first opportunities, envelopes and reasons."""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.catalog import interceptor
from bmdsim.earth.frames import geodetic_to_ecef
from bmdsim.engagement.planning import EngagementPlanner, Launcher, launchers_from_scenario
from bmdsim.engagement.threats import ThreatCategory, ThreatReport
from bmdsim.scenario import load_scenario

from .synthetic import SHIP_LAT_LON, THREAT_STATE, THREAT_T0_S, ballistic_state

SHIP = Launcher(
    fire_unit_id="ddg",
    interceptor=interceptor("sm-3-ib"),
    site_ecef=tuple(geodetic_to_ecef(*SHIP_LAT_LON, 0.0)),
)
NEAR = Launcher(
    fire_unit_id="near",
    interceptor=interceptor("pac-3-mse"),
    site_ecef=tuple(geodetic_to_ecef(36.40, 35.95, 20.0)),
)
FAR = Launcher(
    fire_unit_id="far",
    interceptor=interceptor("pac-3-mse"),
    site_ecef=tuple(geodetic_to_ecef(41.0, 29.0, 50.0)),
)  # Istanbul, far away


def _report(threat_id="T1", state=THREAT_STATE, t=THREAT_T0_S) -> ThreatReport:
    return ThreatReport(
        threat_id=threat_id, time_s=t, state=tuple(state), category=ThreatCategory.ALLIED_TERRITORY
    )


@pytest.fixture(scope="module")
def plans(threat):
    return EngagementPlanner().plan(
        THREAT_T0_S,
        [_report()],
        [SHIP, NEAR, FAR],
        ready_s={"ddg": 250.0, "near": 300.0},
        trajectories=threat,
    )


def test_every_threat_unit_pair_gets_a_plan(plans):
    assert set(plans) == {("T1", "ddg"), ("T1", "near"), ("T1", "far")}


@pytest.mark.parametrize("unit", ["ddg", "near"])
def test_first_opportunity_lies_in_the_window_and_the_envelope(plans, threat, unit):
    p = plans[("T1", unit)]
    it = (SHIP if unit == "ddg" else NEAR).interceptor
    assert p.feasible and p.reason == ""
    assert p.earliest_launch_s <= p.launch_s <= p.latest_launch_s
    assert p.launch_s >= p.ready_s
    assert p.earliest_intercept_s - 2.0 <= p.intercept_s <= p.latest_intercept_s + 2.0
    assert it.min_intercept_alt_m <= p.intercept_alt_m <= it.max_intercept_alt_m
    assert it.total_burn_time_s < p.time_of_flight_s <= it.max_time_of_flight_s
    assert p.ground_range_m <= it.max_range_m
    assert p.predicted_miss_m < 2.0
    # the planned point is on the threat's predicted path at the intercept time
    on_path = threat.states(p.intercept_s, 0)[:3]
    assert np.linalg.norm(np.asarray(p.intercept_ecef) - on_path) < 5.0


def test_first_opportunity_is_the_earliest_launch_once_ready(plans):
    p = plans[("T1", "ddg")]
    assert p.launch_s == pytest.approx(250.0, abs=0.5)  # the window is open when ready


def test_unit_out_of_reach_says_so(plans):
    p = plans[("T1", "far")]
    assert not p.feasible and p.reason == "out of range" and np.isnan(p.launch_s)


def test_window_closed_before_the_unit_is_ready(threat):
    p = EngagementPlanner().plan(
        THREAT_T0_S, [_report()], [SHIP], ready_s={"ddg": 450.0}, trajectories=threat
    )[("T1", "ddg")]
    assert not p.feasible and p.reason == "window closes before the unit can fire"
    assert p.latest_launch_s < 450.0 and np.isfinite(p.earliest_launch_s)


def test_several_threats_and_units_in_one_call():
    late = ballistic_state(37.3, 45.6, 150e3, 263.0, 24.0, 2750.0)
    out = EngagementPlanner().plan(
        THREAT_T0_S, [_report(), _report("T2", late)], [SHIP, NEAR], ready_s={"ddg": 240.0}
    )
    assert len(out) == 4
    assert out[("T1", "ddg")].feasible and out[("T2", "ddg")].feasible
    assert out[("T1", "ddg")].intercept_s != out[("T2", "ddg")].intercept_s


def test_launchers_from_scenario_place_ships_on_their_track():
    sc = load_scenario("dortyol-2026-03-04")
    launchers = {L.fire_unit_id: L for L in launchers_from_scenario(sc)}
    ship = launchers["ddg-sm3"]
    assert ship.site_ecef is None and ship.interceptor.id == "sm-3-ib"
    speed = np.linalg.norm(ship.velocity_ecef(900.0))
    assert 0.5 < speed < 5.0  # a slow patrol, a few knots
    assert np.allclose(launchers["patriot-adana"].velocity_ecef([0.0, 10.0]), 0.0)


def test_opportunities_not_yet_due_are_table_plans_until_flown(threat, plans):
    """``fly_until_s`` leaves later opportunities as table plans (not flown); flying one gives
    the same plan as planning it in full."""
    kw = dict(ready_s={"ddg": 250.0, "near": 300.0}, trajectories=threat)
    out = EngagementPlanner().plan(
        THREAT_T0_S, [_report()], [SHIP, NEAR, FAR], fly_until_s={"ddg": 260.0, "near": 0.0}, **kw
    )
    assert out[("T1", "ddg")].flown and out[("T1", "ddg")] == plans[("T1", "ddg")]
    table = out[("T1", "near")]
    full = plans[("T1", "near")]
    assert table.feasible and not table.flown and np.isnan(table.predicted_miss_m)
    assert table.launch_s == full.launch_s
    assert (table.earliest_launch_s, table.latest_launch_s) == (
        full.earliest_launch_s,
        full.latest_launch_s,
    )
    assert abs(table.intercept_s - full.intercept_s) < 2.0
    assert abs(np.degrees(table.azimuth_rad - full.azimuth_rad)) < 2.0
    assert not out[("T1", "far")].feasible
    rnd = EngagementPlanner().prepare(THREAT_T0_S, [_report()], [SHIP, NEAR, FAR], **kw)
    assert rnd.opportunities == [("T1", "ddg"), ("T1", "near")]
    assert not any(p.flown for p in rnd.plans.values() if p.feasible)
    flown = rnd.fly([("T1", "near")])
    assert flown == {("T1", "near"): full} and rnd.plans[("T1", "near")] == full
    assert rnd.fly([("T1", "near")]) == {}  # flown once
