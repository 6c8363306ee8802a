"""Posture levels, weapon control status and engagement authority."""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.assessment.types import ThreatCategory
from bmdsim.earth.frames import geodetic_to_ecef
from bmdsim.engagement.doctrine import (
    EngagementAuthority,
    EngagementRules,
    PostureState,
    WeaponControlState,
)
from bmdsim.engagement.events import PostureChanged, WeaponControlChanged
from bmdsim.engagement.threats import ThreatReport
from bmdsim.scenario import load_scenario
from bmdsim.scenario.schema import DecisionDelays, PostureLevel, WeaponControl


def _threat(category, **kw) -> ThreatReport:
    return ThreatReport(threat_id="T1", time_s=0.0, state=(0.0,) * 6, category=category, **kw)


def test_posture_change_shortens_decision_delays_and_readiness_as_configured():
    sc = load_scenario("dortyol-2026-03-04")
    posture = PostureState.from_scenario(sc)
    delays = sc.c2.decision_delays
    change = sc.posture.changes[0]
    heightened = sc.posture.levels[PostureLevel.HEIGHTENED]
    for decision in ("threat_evaluation_s", "engagement_authorisation_s", "kill_assessment_s"):
        before = posture.decision_delay_s(decision, change.time_s - 1.0)
        after = posture.decision_delay_s(decision, change.time_s)
        assert before == getattr(delays, decision)
        assert after == pytest.approx(before * heightened.decision_delay_multiplier)
        assert after < before
    assert posture.readiness_multiplier(change.time_s) == heightened.readiness_multiplier
    assert posture.readiness_multiplier(0.0) == 1.0


def test_posture_changes_are_events_once_and_operator_commands_add_to_the_schedule():
    posture = PostureState(
        changes=[(100.0, PostureLevel.HEIGHTENED, "raised")],
        decision_delays=DecisionDelays(threat_evaluation_s=40.0),
        source="ops",
    )
    assert posture.advance(99.0) == []
    ev = posture.advance(100.0)
    assert len(ev) == 1 and isinstance(ev[0], PostureChanged)
    assert (ev[0].previous, ev[0].level, ev[0].note, ev[0].source) == (
        "normal",
        "heightened",
        "raised",
        "ops",
    )
    assert posture.advance(200.0) == []
    posture.command(250.0, "high", note="operator")
    assert posture.next_change_s() == 250.0
    ev = posture.advance(300.0)
    assert [e.level for e in ev] == ["high"] and ev[0].source == "operator"
    assert posture.decision_delay_s("threat_evaluation_s", 300.0) == pytest.approx(40.0 * 0.35)
    with pytest.raises(ValueError):
        posture.command(50.0, "normal")  # before a change already in force


def test_sensors_are_cued_on_alert_only_at_raised_postures():
    posture = PostureState(changes=[(10.0, PostureLevel.HEIGHTENED, "")])
    assert not posture.cues_sensors_on_alert(0.0)
    assert posture.cues_sensors_on_alert(10.0)


def test_weapon_control_commands_change_status_with_events():
    wcs = WeaponControlState({"u1": WeaponControl.TIGHT, "u2": WeaponControl.FREE})
    wcs.command(50.0, "u1", "hold", source="operator")
    wcs.command(60.0, "u2", "free")  # no change: no event
    assert wcs.status_at("u1", 49.0) == WeaponControl.TIGHT
    ev = wcs.advance(100.0)
    assert len(ev) == 1 and isinstance(ev[0], WeaponControlChanged)
    assert (ev[0].subject, ev[0].previous, ev[0].status, ev[0].time_s) == (
        "u1",
        "tight",
        "hold",
        50.0,
    )
    assert wcs.status_at("u1", 60.0) == WeaponControl.HOLD
    with pytest.raises(KeyError):
        wcs.command(0.0, "u9", "free")


@pytest.mark.parametrize(
    ("category", "non_allied", "allowed"),
    [
        (ThreatCategory.DEFENDED_ASSET, False, True),
        (ThreatCategory.ALLIED_TERRITORY, False, True),
        (ThreatCategory.NON_ALLIED_TERRITORY, False, False),
        (ThreatCategory.NON_ALLIED_TERRITORY, True, True),
        (ThreatCategory.NONE, True, False),
    ],
)
def test_rules_engage_allied_territory_and_assets_and_non_allied_only_if_allowed(
    category, non_allied, allowed
):
    auth = EngagementAuthority(EngagementRules(engage_non_allied=non_allied))
    ok, reason = auth.permits(_threat(category), status=WeaponControl.FREE)
    assert ok is allowed
    assert (reason == "") is allowed


def test_weapons_tight_waits_for_hostile_evaluation_and_authorisation():
    auth = EngagementAuthority()
    t = _threat(ThreatCategory.ALLIED_TERRITORY)
    assert not auth.permits(t, status=WeaponControl.TIGHT, authorised=False)[0]
    assert auth.permits(t, status=WeaponControl.TIGHT, authorised=True)[0]
    assert auth.permits(t, status=WeaponControl.FREE, authorised=False)[0]
    not_hostile = _threat(ThreatCategory.ALLIED_TERRITORY, hostile=False)
    assert not auth.permits(not_hostile, status=WeaponControl.TIGHT, authorised=True)[0]


def test_weapons_hold_engages_only_in_self_defence():
    auth = EngagementAuthority(EngagementRules(self_defence_radius_m=20e3))
    unit = geodetic_to_ecef(37.0, 35.43, 60.0)
    near = _threat(ThreatCategory.DEFENDED_ASSET, impact_lat_deg=37.05, impact_lon_deg=35.45)
    far = _threat(ThreatCategory.DEFENDED_ASSET, impact_lat_deg=36.5, impact_lon_deg=36.2)
    assert auth.permits(near, status=WeaponControl.HOLD, unit_position_ecef=unit)[0]
    ok, reason = auth.permits(far, status=WeaponControl.HOLD, unit_position_ecef=unit)
    assert not ok and "hold" in reason


def test_point_defence_unit_leaves_threats_to_other_assets():
    auth = EngagementAuthority()
    other = _threat(ThreatCategory.DEFENDED_ASSET, asset_probability={"kurecik": 0.9}, p_allied=0.4)
    own = _threat(ThreatCategory.DEFENDED_ASSET, asset_probability={"adana": 0.9}, p_allied=0.4)
    kw = {"status": WeaponControl.FREE, "defends": ("adana", "incirlik")}
    assert not auth.permits(other, **kw)[0]
    assert auth.permits(own, **kw)[0]


def test_threat_value_is_its_value_at_risk_or_its_allied_territory_share():
    auth = EngagementAuthority(EngagementRules(allied_territory_value=2.0))
    assert (
        auth.value(_threat(ThreatCategory.DEFENDED_ASSET, value_at_risk=8.0, p_allied=1.0)) == 8.0
    )
    assert auth.value(_threat(ThreatCategory.ALLIED_TERRITORY, p_allied=0.75)) == 1.5


def test_readiness_multipliers_over_times_match_the_scalar_lookup():
    posture = PostureState(changes=[(100.0, "heightened", ""), (250.0, "high", "")])
    t = np.array([[0.0, 99.9, 100.0], [249.0, 250.0, 1e4]])
    expect = [[posture.readiness_multiplier(v) for v in row] for row in t]
    assert posture.readiness_multipliers(t).tolist() == expect
    assert expect[0][0] == 1.0 and expect[1][2] == 0.25
