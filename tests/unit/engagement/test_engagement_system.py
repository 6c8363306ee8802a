"""The engagement layer end to end: battle manager, fire units, C2, flight, kill assessment.

A synthetic threat (a ballistic coast toward the Gulf of Iskenderun, see ``conftest``) is
reported to the operations centre by a perfect-track stand-in built from its true
trajectory; the engine will give the tracker's reports instead.
"""

from __future__ import annotations

import copy
from importlib import resources

import numpy as np
import pytest
import yaml

from bmdsim.earth.frames import ecef_to_geodetic
from bmdsim.engagement.planning import EngagementPlanner
from bmdsim.engagement.system import EngagementSystem
from bmdsim.engagement.threats import ThreatCategory, ThreatReport
from bmdsim.scenario import Scenario

from .synthetic import THREAT_T0_S

REFERENCE = yaml.safe_load(
    resources.files("bmdsim.scenario").joinpath("data/dortyol-2026-03-04.yaml").read_text("utf-8")
)
FIRST_REPORT_S = THREAT_T0_S


def _scenario(**changes) -> Scenario:
    data = copy.deepcopy(REFERENCE)
    for mod in changes.values():
        mod(data)
    return Scenario.from_mapping(data)


def _run(system: EngagementSystem, threat, *, until_s=540.0, step_s=1.0, start_s=140.0):
    """Advance the system with perfect reports of the threat; the threat stops existing at
    a kill. Returns the events."""
    impact_s = float(threat.impact_s[0])
    lat, lon, _ = ecef_to_geodetic(threat.states(impact_s - 1e-6, 0)[:3])
    dead = [np.inf]

    def truth(t, idx):
        s = threat.states(np.asarray(t), np.zeros(np.shape(idx), np.intp))
        return np.where((np.asarray(t) > dead[0])[..., None], np.nan, s)

    events, t = [], start_s
    system.t_s = start_s
    while t < min(until_s, dead[0] + 30.0):  # a kill is assessed within 30 s
        reports = []
        if FIRST_REPORT_S <= t < min(impact_s, dead[0]):
            reports = [
                ThreatReport(
                    threat_id="T1",
                    target_key=0,
                    time_s=t,
                    state=tuple(threat.states(t, 0)),
                    category=ThreatCategory.ALLIED_TERRITORY,
                    impact_lat_deg=float(lat),
                    impact_lon_deg=float(lon),
                    impact_s=impact_s,
                    p_allied=1.0,
                )
            ]
        new = system.advance(t + step_s, threats=reports, target_states=truth)
        for e in new:
            if e.kind == "intercept":
                dead[0] = min(dead[0], e.time_s)
        events += new
        t += step_s
    return events


def _first(events, kind, **match):
    for e in events:
        if e.kind == kind and all(getattr(e, k) == v for k, v in match.items()):
            return e
    return None


@pytest.fixture(scope="module")
def planner():
    return EngagementPlanner()


def test_kill_chain_alerts_orders_launches_and_assesses(threat, planner):
    sc = _scenario()
    system = EngagementSystem.from_scenario(sc, seed=1, planner=planner)
    events = _run(system, threat)
    delays = sc.c2.decision_delays
    alerts = [e for e in events if e.kind == "alert_sent"]
    assert {e.fire_unit_id for e in alerts} == {"ddg-sm3", "patriot-incirlik", "patriot-adana"}
    # threat evaluation, then engagement authorisation, at normal posture
    assert alerts[0].time_s == pytest.approx(FIRST_REPORT_S + 1.0 + delays.threat_evaluation_s)
    order = _first(events, "engage_order", fire_unit_id="ddg-sm3")
    assert order.time_s == pytest.approx(alerts[0].time_s + delays.engagement_authorisation_s)
    launch = _first(events, "interceptor_launched")
    fu = sc.fire_units[0]
    received = _first(events, "message_received", message_kind="engage_order")
    assert (
        launch.time_s
        >= received.time_s + fu.readiness_s + fu.interceptor_type.reaction_time_s - 1e-9
    )
    end = _first(events, "intercept") or _first(events, "miss")
    assert end.miss_distance_m < 1.0 and end.alt_m > fu.interceptor_type.min_intercept_alt_m
    verdict = _first(events, "kill_assessed")
    assert verdict.time_s == pytest.approx(end.time_s + 4.0 + delays.kill_assessment_s)
    assert system.inventory()["ddg-sm3"] == fu.inventory - 1
    # every message sent was received or visibly lost
    sent = {e.subject for e in events if e.kind == "message_sent"}
    done = {e.subject for e in events if e.kind == "message_received"}
    lost = {e.subject for e in events if e.kind == "message_lost" and e.final}
    in_transit = system.network.in_transit
    assert len(sent - done - lost) <= in_transit
    # events come in time order
    times = [e.time_s for e in events]
    assert times == sorted(times)


def test_heightened_posture_launches_sooner(threat, planner):
    normal = _run(EngagementSystem.from_scenario(_scenario(), planner=planner), threat)
    raised = _run(
        EngagementSystem.from_scenario(
            _scenario(p=lambda d: d["posture"].update(initial="heightened")), planner=planner
        ),
        threat,
    )
    t_normal = _first(normal, "interceptor_launched").time_s
    t_raised = _first(raised, "interceptor_launched").time_s
    d = REFERENCE["c2"]["decision_delays"]
    saved = (d["threat_evaluation_s"] + d["engagement_authorisation_s"]) * (1 - 0.6)
    assert t_normal - t_raised >= saved - 1.0, f"{t_normal:.1f} vs {t_raised:.1f}"


def test_weapons_hold_prevents_launches_and_says_why(threat, planner):
    def hold(d):
        for fu in d["fire_units"]:
            fu["weapon_control"] = "hold"

    system = EngagementSystem.from_scenario(_scenario(h=hold), planner=planner)
    events = _run(system, threat, until_s=400.0)
    assert _first(events, "interceptor_launched") is None
    planned = [e for e in events if e.kind == "engagement_planned" and e.fire_unit_id == "ddg-sm3"]
    assert planned and "hold" in planned[0].reason


def test_operator_weapons_free_command_skips_the_authorisation_wait(threat, planner):
    system = EngagementSystem.from_scenario(_scenario(), planner=planner)
    system.command_weapon_control(150.0, "ddg-sm3", "free")
    events = _run(system, threat, until_s=400.0)
    changed = _first(events, "weapon_control_changed")
    assert changed.subject == "ddg-sm3" and changed.status == "free"
    alert = _first(events, "alert_sent")
    order = _first(events, "engage_order")
    assert order.time_s == pytest.approx(alert.time_s)


def test_surviving_threat_is_re_engaged_by_the_lower_tier_and_rounds_are_spent(threat, planner):
    """A nearly useless SM-3 (Pk 0.02) shoots first; after its kill assessment a Patriot
    near the predicted impact, kept for that second shot, engages."""

    def layered(d):
        d["posture"]["initial"] = "high"
        d["fire_units"][0]["interceptor"] = {
            "extends": "sm-3-ib",
            "pk_max": 0.02,
            "min_intercept_alt_m": 20000,
        }
        d["fire_units"].append(
            {
                "id": "patriot-arsuz",
                "interceptor": "pac-3-mse",
                "site": {"lat_deg": 36.40, "lon_deg": 35.95, "alt_m": 20},
                "inventory": 8,
                "channels": 2,
                "readiness_s": 60,
                "weapon_control": "tight",
            }
        )
        d["c2"]["links"].append(
            {"source": "aircom-bmd", "target": "patriot-arsuz", "latency_s": 1.5, "jitter_s": 0.5}
        )

    system = EngagementSystem.from_scenario(_scenario(layer=layered), seed=4, planner=planner)
    events = _run(system, threat)
    launches = [e for e in events if e.kind == "interceptor_launched"]
    assert [e.source for e in launches] == ["ddg-sm3", "patriot-arsuz"]
    first = _first(events, "engagement_planned", fire_unit_id="patriot-arsuz")
    assert first.shots == 0 and "shoot-look-shoot" in first.reason
    verdict = _first(events, "kill_assessed")
    assert not verdict.assessed_killed and launches[1].time_s > verdict.time_s
    assert system.inventory()["ddg-sm3"] == 5 and system.inventory()["patriot-arsuz"] == 7


def test_lossy_links_delay_the_chain_visibly_but_do_not_break_it(threat, planner):
    def lossy(d):
        d["posture"]["initial"] = "heightened"
        for link in d["c2"]["links"]:
            if link["target"] == "ddg-sm3":
                link["loss_probability"] = 0.5

    system = EngagementSystem.from_scenario(_scenario(l=lossy), seed=11, planner=planner)
    events = _run(system, threat)
    lost = [e for e in events if e.kind == "message_lost"]
    assert lost and all(e.link in ("aircom-bmd->ddg-sm3", "ddg-spy1->ddg-sm3") for e in lost)
    assert _first(events, "interceptor_launched") is not None


def test_stepping_finely_or_coarsely_gives_the_same_timeline(threat, planner):
    fine = _run(EngagementSystem.from_scenario(_scenario(), seed=2, planner=planner), threat)
    coarse = _run(
        EngagementSystem.from_scenario(_scenario(), seed=2, planner=planner), threat, step_s=4.0
    )
    for kind in ("alert_received", "interceptor_launched", "kill_assessed"):
        a, b = _first(fine, kind), _first(coarse, kind)
        # the reports come every step: decisions start from the first report seen
        assert a.time_s == pytest.approx(b.time_s, abs=4.0), kind


def test_threat_outside_the_rules_is_not_alerted(threat, planner):
    system = EngagementSystem.from_scenario(_scenario(), planner=planner)
    report = ThreatReport(
        threat_id="T9",
        time_s=THREAT_T0_S,
        state=tuple(threat.states(THREAT_T0_S, 0)),
        category=ThreatCategory.NON_ALLIED_TERRITORY,
        p_non_allied=1.0,
    )
    events = system.advance(300.0, threats=[report], target_states=threat)
    assert not [e for e in events if e.kind in ("alert_sent", "engage_order")]


def _run_raid(system: EngagementSystem, threats, *, until_s=560.0, step_s=1.0, start_s=140.0):
    """Advance the system with perfect reports of several threats (``threats``: their
    predictions, one object each); a threat stops existing at a kill. Returns the events."""
    k = len(threats.t0_s)
    dead = np.full(k, np.inf)
    impact = threats.impact_s
    lat, lon, _ = ecef_to_geodetic(threats.states(impact - 1e-6, np.arange(k))[:, :3])

    def truth(t, idx):
        t = np.asarray(t, dtype=float)
        idx = np.asarray(idx, dtype=np.intp)
        s = threats.states(t, idx)
        return np.where((t > dead[idx])[..., None], np.nan, s)

    events, t = [], start_s
    system.t_s = start_s
    while t < until_s:
        live = [j for j in range(k) if threats.t0_s[j] <= t < min(impact[j], dead[j])]
        reports = [
            ThreatReport(
                threat_id=f"T{j + 1}",
                target_key=j,
                time_s=t,
                state=tuple(threats.states(t, j)),
                category=ThreatCategory.ALLIED_TERRITORY,
                impact_lat_deg=float(lat[j]),
                impact_lon_deg=float(lon[j]),
                impact_s=float(impact[j]),
                p_allied=1.0,
            )
            for j in live
        ]
        new = system.advance(t + step_s, threats=reports, target_states=truth)
        for e in new:
            if e.kind == "intercept" and e.killed:
                j = int(e.subject[1:]) - 1
                dead[j] = min(dead[j], e.time_s)
        events += new
        t += step_s
    return events


def _raid_scenario(d):
    """The destroyer with one fire channel, a Patriot battery near the threats' impact point,
    everything at weapons free and high posture."""
    d["posture"]["initial"] = "high"
    d["fire_units"][0]["channels"] = 1
    d["fire_units"].append(
        {
            "id": "patriot-arsuz",
            "interceptor": "pac-3-mse",
            "site": {"lat_deg": 36.40, "lon_deg": 35.95, "alt_m": 20},
            "inventory": 8,
            "channels": 3,
            "readiness_s": 60,
            "weapon_control": "tight",
        }
    )
    d["c2"]["links"].append(
        {"source": "aircom-bmd", "target": "patriot-arsuz", "latency_s": 1.5, "jitter_s": 0.5}
    )
    for fu in d["fire_units"]:
        fu["weapon_control"] = "free"


def test_a_raid_beyond_the_upper_tiers_channels_is_engaged_by_the_lower_tier(planner):
    """Three threats on one path, 8 s apart, against a destroyer with one fire channel and a
    Patriot battery: the destroyer takes the first (shoot-look-shoot), the Patriot, no longer
    kept for a second shot that cannot come, engages the others; every threat is engaged."""
    from bmdsim.engagement.prediction import PredictedTrajectories

    from .synthetic import THREAT_STATE

    t0 = THREAT_T0_S + np.array([0.0, 8.0, 16.0])
    threats = PredictedTrajectories.from_states(np.repeat(THREAT_STATE[None], 3, axis=0), t0)
    system = EngagementSystem.from_scenario(_scenario(raid=_raid_scenario), seed=3, planner=planner)
    events = _run_raid(system, threats)
    launches = [e for e in events if e.kind == "interceptor_launched"]
    by_threat = {
        e.subject: {x.source for x in launches if x.subject == e.subject} for e in launches
    }
    assert set(by_threat) == {"T1", "T2", "T3"}, by_threat
    assert "ddg-sm3" in by_threat["T1"]
    assert "patriot-arsuz" in by_threat["T2"] | by_threat["T3"]
    saturated = [
        e
        for e in events
        if e.kind == "engagement_planned"
        and e.fire_unit_id == "ddg-sm3"
        and "saturated" in e.reason
    ]
    assert saturated, "the destroyer's busy channel is reported"
    assert {e.subject for e in events if e.kind in ("intercept", "miss")} == {"T1", "T2", "T3"}
