"""Threat reports: a confirmed track joined with the assessment layer's evaluation."""

from __future__ import annotations

import numpy as np

from bmdsim.assessment import Assessor
from bmdsim.assessment.types import ThreatCategory
from bmdsim.engagement import threat_reports
from bmdsim.engagement.threats import ASSET_THRESHOLD, ThreatReport
from bmdsim.scenario import load_scenario
from bmdsim.tracking.types import TrackBatch, TrackStatus

from .synthetic import THREAT_STATE, THREAT_T0_S


def test_reports_carry_the_track_estimate_and_its_assessment():
    sc = load_scenario("dortyol-2026-03-04")
    kappa = 1.0 / 4000.0  # a drag-estimating track: 7th state 1 / beta
    state = np.concatenate([THREAT_STATE, [kappa]])[None]
    cov = np.diag([100.0**2] * 3 + [5.0**2] * 3 + [1e-10])[None]
    tracks = TrackBatch.new(
        ids=np.array([7]),
        states=state,
        covariances=cov,
        times_s=np.array([THREAT_T0_S]),
        mode_probabilities=np.ones((1, 1)),
        status=np.array([TrackStatus.CONFIRMED], np.int8),
    )
    step = Assessor.from_scenario(sc).step(tracks, THREAT_T0_S)
    (r,) = threat_reports(tracks, step.impacts, step.threats, target_of={7: 3})
    assert (r.threat_id, r.track_id, r.target_key, r.time_s) == ("track-7", 7, 3, THREAT_T0_S)
    np.testing.assert_allclose(r.state, THREAT_STATE)
    assert r.ballistic_coefficient_kg_m2 == 4000.0
    # the synthetic threat falls into the Gulf of Iskenderun coast: Allied territory
    assert r.category == ThreatCategory.ALLIED_TERRITORY and r.p_allied > 0.5
    assert abs(r.impact_lat_deg - 36.28) < 0.2 and abs(r.impact_lon_deg - 35.97) < 0.2
    assert set(r.asset_probability) == {a.id for a in sc.defended_assets}
    named = threat_reports(tracks, step.impacts, step.threats, name_of=lambda i: f"T{i}")
    assert named[0].threat_id == "T7" and named[0].target_key == -1


def test_threatened_assets_are_those_above_the_threshold():
    r = ThreatReport(
        threat_id="T1",
        time_s=0.0,
        state=(0.0,) * 6,
        category=ThreatCategory.DEFENDED_ASSET,
        asset_probability={"a": ASSET_THRESHOLD, "b": ASSET_THRESHOLD / 2, "c": 0.9},
    )
    assert r.threatened_assets == ("a", "c")


def _one_track(log_rcs: float, looks: int) -> TrackBatch:
    return TrackBatch.new(
        ids=np.array([7]),
        states=THREAT_STATE[None],
        covariances=np.diag([100.0**2] * 3 + [5.0**2] * 3)[None],
        times_s=np.array([THREAT_T0_S]),
        mode_probabilities=np.ones((1, 1)),
        status=np.array([TrackStatus.CONFIRMED], np.int8),
    ).with_(rcs_log10_mean=np.array([log_rcs]), rcs_looks=np.array([looks]))


def test_a_spent_stage_is_assessed_not_a_threat_and_reported_not_hostile():
    from bmdsim.assessment.discrimination import ObjectClass
    from bmdsim.assessment.types import ThreatEvaluated
    from bmdsim.engagement.doctrine import EngagementAuthority, WeaponControl

    sc = load_scenario("dortyol-2026-03-04")
    tank = _one_track(np.log10(3.0), 20)
    step = Assessor.from_scenario(sc).step(tank, THREAT_T0_S)
    assert step.threats.object_class[0] == ObjectClass.SPENT_STAGE
    assert step.threats.category[0] == ThreatCategory.NONE and step.threats.p_allied[0] > 0.5
    (ev,) = [e for e in step.events if isinstance(e, ThreatEvaluated)]
    assert ev.object_class == "spent stage" and ev.category == ThreatCategory.NONE.label
    (r,) = threat_reports(tank, step.impacts, step.threats)
    assert not r.hostile and r.spent_stage and r.category == ThreatCategory.NONE
    authority = EngagementAuthority()
    for status in WeaponControl:
        ok, reason = authority.permits(
            r, status=status, unit_position_ecef=THREAT_STATE[:3], authorised=True
        )
        assert not ok and "spent stage" in reason

    rv = _one_track(np.log10(0.05), 20)
    step = Assessor.from_scenario(sc).step(rv, THREAT_T0_S)
    assert step.threats.object_class[0] == ObjectClass.RV
    assert step.threats.category[0] == ThreatCategory.ALLIED_TERRITORY
    (r,) = threat_reports(rv, step.impacts, step.threats)
    assert r.hostile and r.object_class == "rv" and r.category == ThreatCategory.ALLIED_TERRITORY
    ok, _ = EngagementAuthority().permits(r, status=WeaponControl.FREE)
    assert ok
