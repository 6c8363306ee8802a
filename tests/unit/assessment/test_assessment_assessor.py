"""The engine's assessment step: confirmed tracks only, events, hysteresis, empty batches."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bmdsim.assessment import (
    Assessor,
    ImpactCountryChanged,
    ThreatCategory,
    ThreatCategoryChanged,
    ThreatEvaluated,
    ThreatMonitor,
    ThreatUpdated,
)
from bmdsim.tracking import TrackBatch, TrackStatus
from tests.unit.assessment.assessment_helpers import reference


@pytest.fixture(scope="module")
def assessor_and_ref():
    ref = reference()
    return Assessor.from_scenario(ref.scenario), ref


def _tracks(ref, times, ids, status, sigma_pos=200.0, sigma_vel=20.0):
    states = np.stack([ref.flight.rv.state_at(t) for t in times])
    cov = np.diag([sigma_pos] * 3 + [sigma_vel] * 3) ** 2
    return TrackBatch.new(
        ids=np.asarray(ids),
        states=states,
        covariances=np.repeat(cov[None], len(times), 0),
        times_s=np.asarray(times, float),
        mode_probabilities=np.ones((len(times), 1)),
        status=np.asarray(status, np.int8),
    )


def test_step_assesses_confirmed_tracks_and_reports_each_once(assessor_and_ref):
    assessor, ref = assessor_and_ref
    assessor = replace(assessor, monitor=None)
    t0 = ref.flight.rv.burnout.t_s + 20.0
    tracks = _tracks(ref, [t0, t0], [3, 4], [TrackStatus.CONFIRMED, TrackStatus.TENTATIVE])
    step = assessor.step(tracks, t0)
    assert list(step.impacts.track_ids) == [3] and list(step.threats.track_ids) == [3]
    kinds = [e.kind for e in step.events]
    assert kinds == ["threat_evaluated", "launch_point_estimated"]
    assert set(step.paths) == {3}
    ev = step.events[0]
    assert isinstance(ev, ThreatEvaluated) and ev.most_likely_country == "TUR"
    again = assessor.step(_tracks(ref, [t0 + 1.0], [3], [TrackStatus.CONFIRMED]), t0 + 1.0)
    assert again.paths == {} and all(e.kind != "threat_evaluated" for e in again.events)
    later = assessor.step(_tracks(ref, [t0 + 12.0], [3], [TrackStatus.CONFIRMED]), t0 + 12.0)
    assert any(isinstance(e, ThreatUpdated) for e in later.events)


def test_same_track_gets_the_same_samples_every_step(assessor_and_ref):
    assessor, ref = assessor_and_ref
    t0 = ref.flight.rv.burnout.t_s + 20.0
    tr = _tracks(ref, [t0], [8], [TrackStatus.CONFIRMED])
    a = assessor.impact_predictor.predict(tr, t0, assessor.rngs(tr.ids))
    b = assessor.impact_predictor.predict(tr, t0, assessor.rngs(tr.ids))
    np.testing.assert_array_equal(a.samples.enu_m, b.samples.enu_m)


def test_empty_batch_gives_an_empty_step(assessor_and_ref):
    assessor, ref = assessor_and_ref
    tr = _tracks(ref, [300.0], [1], [TrackStatus.TENTATIVE])
    step = assessor.step(tr, 300.0)
    assert len(step.impacts) == 0 and len(step.threats) == 0 and step.events == ()


def test_monitor_reports_country_and_category_changes_with_hysteresis(assessor_and_ref):
    """A synthetic sequence: Cyprus (non-Allied), then a near tie, then Türkiye (Allied)."""
    assessor, ref = assessor_and_ref
    ev = assessor.threat_evaluator
    monitor = ThreatMonitor(evaluator=ev, margin=0.05)
    t0 = ref.flight.rv.burnout.t_s + 20.0
    step = assessor.step(_tracks(ref, [t0], [5], [TrackStatus.CONFIRMED]), t0)
    base_threats, impacts = step.threats, step.impacts

    def threats(p_cyp, p_tur, time_s):
        p_sea = 1.0 - p_cyp - p_tur
        probs = np.array([[p_cyp, p_tur, p_sea]])
        best = ["CYP", "TUR", "sea"][int(np.argmax(probs))]
        cat = ev.categorise([0.0], [p_tur], [p_cyp])
        return replace(
            base_threats,
            time_s=time_s,
            countries=("CYP", "TUR", "sea"),
            allied=np.array([False, True, False]),
            country_probability=probs,
            most_likely_country=np.array([best], dtype=object),
            most_likely_probability=np.array([probs.max()]),
            p_allied=np.array([p_tur]),
            p_non_allied=np.array([p_cyp]),
            p_sea=np.array([p_sea]),
            category=cat,
        )

    seq = [(0.7, 0.0), (0.48, 0.50), (0.3, 0.6), (0.3, 0.07), (0.3, 0.02)]
    log = []
    for k, (p_cyp, p_tur) in enumerate(seq):
        th = threats(p_cyp, p_tur, t0 + k)
        th = replace(
            th,
            category=monitor.reported_categories(th),
            most_likely_country=monitor.reported_countries(th),
        )
        log.append(monitor.observe(th, impacts))
    assert isinstance(log[0][0], ThreatEvaluated)
    assert log[0][0].category == ThreatCategory.NON_ALLIED_TERRITORY.label
    # TUR 0.50 vs CYP 0.48: inside the margin, no change of country; category raised at once
    assert not any(isinstance(e, ImpactCountryChanged) for e in log[1])
    assert [e.current for e in log[1] if isinstance(e, ThreatCategoryChanged)] == [
        ThreatCategory.ALLIED_TERRITORY.label
    ]
    changed = [e for e in log[2] if isinstance(e, ImpactCountryChanged)]
    assert [(e.previous, e.current) for e in changed] == [("CYP", "TUR")]
    # P(Allied) 0.07 is within the margin of the 0.1 threshold: still Allied territory
    assert not any(isinstance(e, ThreatCategoryChanged) for e in log[3])
    lowered = [e for e in log[4] if isinstance(e, ThreatCategoryChanged)]
    assert [e.current for e in lowered] == [ThreatCategory.NON_ALLIED_TERRITORY.label]


def test_powered_tracks_are_not_assessed_but_give_the_launch_point(assessor_and_ref):
    """With an IMM tracker's boost mode named, a thrusting track is skipped and its earliest
    estimate becomes the boost observation of its later ballistic assessment."""
    _, ref = assessor_and_ref
    assessor = Assessor.from_scenario(ref.scenario, powered_mode=0)
    t_boost = ref.flight.launch_time_s + 55.0
    boost = _tracks(ref, [t_boost], [21], [TrackStatus.CONFIRMED], sigma_pos=500.0)
    boost = boost.with_(mode_probabilities=np.array([[0.95, 0.05]]))
    step = assessor.step(boost, t_boost)
    assert len(step.impacts) == 0 and step.events == ()
    t = ref.flight.rv.burnout.t_s + 20.0
    later = _tracks(ref, [t], [21], [TrackStatus.CONFIRMED])
    later = later.with_(mode_probabilities=np.array([[0.01, 0.99]]))
    step = assessor.step(later, t)
    assert list(step.impacts.track_ids) == [21]
    assert step.launches.method[0] == 2  # LaunchMethod.INFRARED
    launch = next(e for e in step.events if e.kind == "launch_point_estimated")
    assert launch.method == "infrared" and launch.country == "IRN"


def test_reentering_tracks_are_assessed_and_keep_their_last_launch_estimate(assessor_and_ref):
    """Drag makes a reentering object favour an IMM's boost mode: descending, it is still
    assessed; in reentry it gets no new launch estimate and keeps its exo-atmospheric one."""
    _, ref = assessor_and_ref
    assessor = Assessor.from_scenario(ref.scenario, powered_mode=0)
    t1 = ref.flight.rv.burnout.t_s + 100.0
    early = _tracks(ref, [t1], [31], [TrackStatus.CONFIRMED])
    first = assessor.step(early.with_(mode_probabilities=np.array([[0.01, 0.99]])), t1)
    assert first.launches.valid[0]
    t2 = ref.impact.t_s - 20.0  # deep in reentry, descending
    late = _tracks(ref, [t2], [31], [TrackStatus.CONFIRMED])
    late = late.with_(mode_probabilities=np.array([[0.99, 0.01]]))
    fresh = assessor.launch_estimator.estimate(late, t2)
    assert not fresh.valid[0]
    step = assessor.step(late, t2)
    assert list(step.impacts.track_ids) == [31]
    assert step.launches.valid[0]
    assert step.launches.lat_deg[0] == first.launches.lat_deg[0]
    assert step.launches.launch_time_s[0] == first.launches.launch_time_s[0]
    # a track first seen in reentry, boost mode favoured: descending, so not powered
    new = _tracks(ref, [t2], [32], [TrackStatus.CONFIRMED])
    new = new.with_(mode_probabilities=np.array([[0.99, 0.01]]))
    assert list(assessor.step(new, t2).impacts.track_ids) == [32]


def test_a_rising_track_below_every_burnout_altitude_is_powered(assessor_and_ref):
    """Without any IMM hint: 15 km up and climbing, the missile is still thrusting; its
    estimate becomes the boost observation that a later track of the same flight uses."""
    _, ref = assessor_and_ref
    assessor = Assessor.from_scenario(ref.scenario)
    t_boost = ref.flight.launch_time_s + 60.0
    step = assessor.step(_tracks(ref, [t_boost], [41], [TrackStatus.CONFIRMED], 800.0), t_boost)
    assert len(step.impacts) == 0
    t = ref.flight.rv.burnout.t_s + 20.0
    step = assessor.step(_tracks(ref, [t], [42], [TrackStatus.CONFIRMED]), t)  # another id
    assert step.launches.method[0] == 2  # LaunchMethod.INFRARED, matched by consistency


def test_launch_estimates_are_refreshed_per_track_and_equal_a_fresh_batch(assessor_and_ref):
    """A track joining the batch is estimated alone; the others keep their estimate until
    it is ``launch_refresh_s`` old; every row equals what a fresh batch estimate gives."""
    assessor, ref = assessor_and_ref
    assessor = replace(assessor, monitor=None, _launch_rows={}, _boost_seen={},
                       _ballistic_seen=set(), _launch_memory={})  # fmt: skip
    calls = []
    estimator = assessor.launch_estimator
    original = estimator.estimate

    class Counting:
        def __getattr__(self, name):
            return getattr(estimator, name)

        def estimate(self, tracks, t_s, *, boost=None):
            calls.append([int(i) for i in tracks.ids])
            return original(tracks, t_s, boost=boost)

    assessor = replace(assessor, launch_estimator=Counting())
    t0 = ref.flight.rv.burnout.t_s + 20.0
    c = TrackStatus.CONFIRMED
    first = assessor.step(_tracks(ref, [t0], [3], [c]), t0)
    both = _tracks(ref, [t0, t0 + 2.0], [3, 4], [c, c])
    second = assessor.step(both, t0 + 2.0)
    assert calls == [[3], [4]], f"estimator calls {calls}"
    np.testing.assert_array_equal(second.launches.lat_deg[0], first.launches.lat_deg[0])
    assessor.step(both, t0 + 1.0 + assessor.launch_refresh_s)
    assert calls[-1] == [3], f"track 3 refreshed after {assessor.launch_refresh_s} s: {calls}"
    fresh = original(both, t0 + 2.0)
    assert second.launches.valid[1] == fresh.valid[1]
    for name in ("lat_deg", "lon_deg", "covariance_enu_m2", "event_time_s"):
        # alone or in a batch: the same operations per track, up to the order of a sum
        np.testing.assert_allclose(getattr(second.launches, name)[1], getattr(fresh, name)[1],
                                   rtol=1e-12, atol=0.0, err_msg=name)  # fmt: skip
