"""The reference scenario: the destroyer's SM-3 intercepts the reference threat.

Reference: the public reporting of 4 March 2026 (``shared/reference/event-2026-03-04.md``):
land- and sea-based missile defence systems were alerted and a sea-based interceptor was
launched less than 10 minutes after the threat was identified; the threat was intercepted
before it reached Turkish territory.

The threat flies as the flight layer flies it (``flights_from_scenario``). The engine is not
used here: a perfect-track stand-in built from that true trajectory reports the threat to
the operations centre from its burnout on (the assessment does not evaluate powered flight),
with its true impact point, as a threat to Allied territory. Everything else is the
engagement layer as the engine runs it: C2 latencies, posture, weapon control, planning,
assignment, fire control, guided flight, kill assessment, with the scenario's seed.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from bmdsim.assessment.types import ThreatCategory
from bmdsim.earth import country_at
from bmdsim.engagement import EngagementSystem, ThreatReport
from bmdsim.flight.threats import flights_from_scenario
from bmdsim.scenario import load_scenario


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    old = os.environ.get("BMDSIM_CACHE_DIR")
    os.environ["BMDSIM_CACHE_DIR"] = str(tmp_path_factory.mktemp("bmdsim-cache"))
    sc = load_scenario("dortyol-2026-03-04")
    rv = flights_from_scenario(sc)[0].rv
    system = EngagementSystem.from_scenario(sc)
    impact = rv.impact
    first_report_s = rv.burnout.t_s
    dead = [np.inf]

    def truth(t, idx):
        s = rv.state_at(np.asarray(t, dtype=float))
        return np.where((np.asarray(t) > dead[0])[..., None], np.nan, s)

    def report(t):
        return ThreatReport(
            threat_id="T1",
            target_key=0,
            time_s=t,
            state=tuple(rv.state_at(t)),
            category=ThreatCategory.ALLIED_TERRITORY,
            impact_lat_deg=impact.lat_deg,
            impact_lon_deg=impact.lon_deg,
            impact_s=impact.t_s,
            p_allied=1.0,
        )

    events, t = [], 0.0
    while t < impact.t_s + 30.0 and t < dead[0] + 30.0:
        reports = [report(t)] if first_report_s <= t < min(impact.t_s, dead[0]) else []
        new = system.advance(t + 1.0, threats=reports, target_states=truth)
        dead[0] = min([dead[0]] + [e.time_s for e in new if e.kind == "intercept"])
        events += new
        t += 1.0
    yield sc, rv, system, events
    if old is None:
        os.environ.pop("BMDSIM_CACHE_DIR", None)
    else:
        os.environ["BMDSIM_CACHE_DIR"] = old


def test_land_and_sea_based_systems_are_alerted(run):
    sc, _, _, events = run
    alerted = {e.source for e in events if e.kind == "alert_received"}
    assert alerted == {fu.id for fu in sc.fire_units}  # the destroyer and both Patriots


def test_the_destroyer_launches_one_sm3_within_ten_minutes_of_launch(run):
    sc, _, system, events = run
    launches = [e for e in events if e.kind == "interceptor_launched"]
    assert (
        launches and launches[0].source == "ddg-sm3" and launches[0].interceptor_type == "sm-3-ib"
    )
    assert all(e.source == "ddg-sm3" for e in launches)  # the Patriots are out of range
    after_launch = launches[0].time_s - sc.threats[0].launch.time_s
    assert after_launch < 600.0, f"interceptor launch {after_launch:.0f} s after the threat's"
    print(f"SM-3 launched at {launches[0].time_s:.1f} s, {after_launch:.0f} s after the threat")
    assert system.inventory()["ddg-sm3"] == sc.fire_units[0].inventory - len(launches)


def test_the_sm3_hits_the_threat_over_turkiye_before_it_lands(run):
    sc, rv, _, events = run
    end = next(e for e in events if e.kind in ("intercept", "miss"))
    sm3 = sc.fire_units[0].interceptor_type
    summary = (
        f"closest approach {end.time_s:.1f} s at {end.lat_deg:.2f} N {end.lon_deg:.2f} E, "
        f"{end.alt_m / 1e3:.0f} km, miss {end.miss_distance_m:.3f} m, Pk {end.kill_probability:.3f}, "
        f"closing {end.closing_speed_m_s:.0f} m/s, divert {end.divert_used_m_s:.0f} m/s; "
        f"the seed's kill draw: {'destroyed' if end.killed else 'survived'}"
    )
    assert end.miss_distance_m < sm3.lethal_radius_m, summary
    assert end.kill_probability > 0.8, summary
    assert sm3.min_intercept_alt_m <= end.alt_m <= sm3.max_intercept_alt_m, summary
    assert end.time_s < rv.impact.t_s, summary
    assert country_at(end.lat_deg, end.lon_deg) == "TUR", summary
    print(summary)
