"""The tracker's life cycle, multi-sensor fusion, out-of-sequence measurements, initiation paths."""

from __future__ import annotations

import numpy as np
from tracking_helpers import RADAR_SIGMA, fly, launch_state, radar_at

from bmdsim.earth.frames import geodetic_to_ecef
from bmdsim.sensors.models import EcefToLosAngles, EcefToRangeAzElRangeRate, geocentric_ned_basis
from bmdsim.tracking import (
    BallisticMotion,
    BoostMotion,
    ExtendedKalmanPredictor,
    ExtendedKalmanUpdater,
    InitialState,
    InteractingMultipleModelPredictor,
    Scan,
    SinglePointInitiator,
    Tracker,
    TrackEvents,
    TrackStatus,
    UnscentedKalmanUpdater,
)

R = np.diag(RADAR_SIGMA**2)


def _tracker(**kw):
    return Tracker(
        predictor=ExtendedKalmanPredictor(motion=BallisticMotion(q=0.01)),
        updater=ExtendedKalmanUpdater(),
        **kw,
    )


def _imm_tracker():
    return Tracker(
        predictor=InteractingMultipleModelPredictor(
            predictors=(
                ExtendedKalmanPredictor(motion=BoostMotion(q=400.0)),
                ExtendedKalmanPredictor(motion=BallisticMotion(q=0.01)),
            ),
            transition_rates=np.array([[0.0, 0.02], [1e-4, 0.0]]),
        ),
        updater=ExtendedKalmanUpdater(),
        initiator=SinglePointInitiator(initial=InitialState(mode_probabilities=(0.5, 0.5))),
    )


def _scan(t, radar, truth_rows, rng, sensor="radar", fa=0):
    z = radar.function(truth_rows) + rng.normal(size=(len(truth_rows), 3)) * RADAR_SIGMA
    if fa:
        z = np.concatenate(
            [
                z,
                np.stack(
                    [
                        rng.uniform(100e3, 1500e3, fa),
                        rng.uniform(0, 2 * np.pi, fa),
                        rng.uniform(0, 1.2, fa),
                    ],
                    1,
                ),
            ]
        )
    return Scan(
        time_s=float(t), sensor_id=sensor, z=z, noise=np.repeat(R[None], len(z), 0), model=radar
    )


def test_life_cycle_emits_initiated_confirmed_sampled_updates_and_deleted():
    radar = radar_at(37.0, 44.5)
    truth = fly(launch_state(36.0, 46.0, 120e3, [-1500, 1500, 1800]), 60.0)[:, 0]
    rng = np.random.default_rng(0)
    tracker = _tracker(update_event_period_s=10.0)
    events = TrackEvents()
    for k in range(1, 41):
        events.extend(tracker.step([_scan(k, radar, truth[k : k + 1], rng)]))
    for k in range(41, 76):  # the target is no longer detected
        events.extend(tracker.step([_scan(k, radar, truth[:0], rng)]))
    assert [e.track_id for e in events.initiated] == [1]
    assert [(e.track_id, e.time_s) for e in events.confirmed] == [(1, 3.0)]
    assert [e.time_s for e in events.updated] == [4.0, 14.0, 24.0, 34.0]
    assert [(e.track_id, e.reason, e.was_confirmed) for e in events.deleted] == [
        (1, "coasted", True)
    ]
    assert events.deleted[0].time_s > 40.0 + tracker.deleter.confirmed_coast_s
    kinds = [e.kind for e in events.all()]
    assert kinds[0] == "track_initiated" and kinds[-1] == "track_deleted"


def test_tracker_is_deterministic_and_ignores_scan_order_within_a_step():
    radar = radar_at(37.0, 44.5)
    truth = fly(launch_state(36.0, 46.0, 120e3, [-1500, 1500, 1800]), 20.0)[:, 0]
    rng = np.random.default_rng(4)
    scans = [_scan(k, radar, truth[k : k + 1], rng, fa=20) for k in range(1, 21)]
    a, b = _tracker(), _tracker()
    for i in range(0, 20, 4):
        a.step(scans[i : i + 4])
        b.step(scans[i : i + 4][::-1])
    assert np.array_equal(a.tracks.ids, b.tracks.ids)
    assert np.array_equal(a.tracks.states, b.tracks.states)


def test_closely_spaced_objects_keep_distinct_tracks():
    """An RV and its booster 300 m apart, separating at 3 m/s, keep one track each."""
    radar = radar_at(37.0, 44.5)
    x0 = launch_state(36.0, 46.0, 150e3, [-1500, 1500, 1500])
    sep = np.concatenate([np.zeros(3), 3.0 * x0[3:] / np.linalg.norm(x0[3:])])
    offset = np.concatenate(
        [300.0 * np.cross(x0[:3], x0[3:]) / np.linalg.norm(np.cross(x0[:3], x0[3:])), np.zeros(3)]
    )
    truth = fly(np.stack([x0, x0 + offset - sep]), 120.0)
    rng = np.random.default_rng(2)
    tracker = _tracker()
    events = TrackEvents()
    owner = {}
    for k in range(1, 121):
        events.extend(tracker.step([_scan(k, radar, truth[k], rng, fa=5)]))
        confirmed = tracker.tracks.take(tracker.tracks.status == TrackStatus.CONFIRMED)
        for tid, x in zip(confirmed.ids, confirmed.states, strict=True):
            d = np.linalg.norm(truth[k, :, :3] - x[:3], axis=1)
            if d.min() < 150.0:
                owner.setdefault(int(tid), set()).add(int(d.argmin()))
    assert not [e for e in events.deleted if e.was_confirmed]
    assert sorted(owner) == [1, 2] and owner[1] != owner[2]
    assert all(len(objects) == 1 for objects in owner.values()), owner


def test_track_survives_burnout_and_ship_to_land_radar_handover_with_one_id():
    ship_site = geodetic_to_ecef(35.0, 34.5, 20.0)
    ship = EcefToRangeAzElRangeRate(
        sensor_position_ecef=ship_site,
        sensor_velocity_ecef=np.zeros(3),
        sensor_basis=radar_at(35.0, 34.5).sensor_basis,
        noise_covariance=np.diag([*RADAR_SIGMA**2, 1.0]),
    )
    land = radar_at(38.35, 37.79)
    truth = fly(
        launch_state(35.5, 45.0, 0.0, [-40.0, 40.0, 120.0]), 400.0, thrust_m_s2=35.0, burn_s=80.0
    )[:, 0]
    rng = np.random.default_rng(5)
    tracker = _imm_tracker()
    events = TrackEvents()
    rr = np.diag([*RADAR_SIGMA**2, 1.0])
    for k in range(30, 350):  # impact near 370 s
        scans = []
        if k < 200:  # ship radar: boost, burnout at 80 s, early midcourse
            z = ship.function(truth[k : k + 1]) + rng.normal(size=(1, 4)) * np.sqrt(np.diag(rr))
            scans.append(Scan(time_s=float(k), sensor_id="ship", z=z, noise=rr[None], model=ship))
        if k >= 180:  # land radar takes over
            scans.append(_scan(k, land, truth[k : k + 1], rng, sensor="land"))
        events.extend(tracker.step(scans))
    ids = {e.track_id for e in events.initiated}
    assert ids == {1}, f"tracks started: {sorted(ids)}"
    assert not events.deleted
    err = np.linalg.norm(tracker.tracks.states[0, :3] - truth[349, :3])
    assert err < 200.0, f"final position error {err:.0f} m"


def test_out_of_sequence_scans_update_tracks_as_well_as_in_order_ones():
    radar_a, radar_b = radar_at(37.0, 44.5), radar_at(35.0, 43.0)
    truth = fly(launch_state(36.0, 46.0, 150e3, [-1500, 1500, 1500]), 140.0, dt_s=0.5)[:, 0]
    rng = np.random.default_rng(6)
    scans = {}
    for k in range(2, 281):
        t = 0.5 * k
        radar, name = (radar_a, "a") if k % 2 == 0 else (radar_b, "b")
        scans[t] = _scan(t, radar, truth[k : k + 1], rng, sensor=name)
    in_order, late = _tracker(), _tracker()
    times = sorted(scans)
    for t in times:
        in_order.step([scans[t]])
    # scans of radar b reach the tracker 3 s late, after newer scans of radar a
    pending = []
    for t in times:
        pending.append(scans[t])
        due = [s for s in pending if s.sensor_id == "a" or s.time_s <= t - 3.0]
        pending = [s for s in pending if s not in due]
        # deliver in arrival order: each arrival is its own step (no re-sorting by the tracker)
        for s in due:
            late.step([s])
    late.step(pending)
    assert len(late.tracks) == 1 and late.tracks.ids[0] == 1
    t_end = 140.0
    a = in_order.tracks_at(t_end)
    b = late.tracks_at(t_end)
    err_a = np.linalg.norm(a.states[0, :3] - truth[280, :3])
    err_b = np.linalg.norm(b.states[0, :3] - truth[280, :3])
    sig_b = np.sqrt(np.trace(b.covariances[0, :3, :3]))
    sig_a = np.sqrt(np.trace(a.covariances[0, :3, :3]))
    assert err_b < 3.0 * sig_b, f"late: error {err_b:.1f} m vs sigma {sig_b:.1f} m"
    assert sig_b < 1.5 * sig_a, f"late sigma {sig_b:.1f} m vs in-order {sig_a:.1f} m"
    assert abs(err_b - err_a) < 2.0 * sig_a


def test_stereo_lines_of_sight_initiate_a_track():
    sat1 = geodetic_to_ecef(0.0, 20.0, 35_786e3)
    sat2 = geodetic_to_ecef(0.0, 75.0, 35_786e3)
    sigma = 30e-6
    models = {
        name: EcefToLosAngles(
            sensor_position_ecef=pos,
            sensor_basis=geocentric_ned_basis(pos),
            noise_covariance=np.eye(2) * sigma**2,
        )
        for name, pos in [("geo-1", sat1), ("geo-2", sat2)]
    }
    truth = fly(
        launch_state(35.5, 45.0, 10e3, [-100.0, 100.0, 600.0]), 60.0, thrust_m_s2=30.0, burn_s=60.0
    )[:, 0]
    rng = np.random.default_rng(8)
    tracker = _imm_tracker()
    events = TrackEvents()
    for k in range(1, 30):
        scans = []
        for name, offset in (("geo-1", 0.0), ("geo-2", 0.2)):
            m = models[name]
            z = m.function(truth[k : k + 1]) + rng.normal(size=(1, 2)) * sigma
            scans.append(
                Scan(
                    time_s=k + offset, sensor_id=name, z=z, noise=m.noise_covariance[None], model=m
                )
            )
        events.extend(tracker.step(scans))
    assert [e.track_id for e in events.initiated] == [1]
    assert [e.track_id for e in events.confirmed] == [1]
    err = np.linalg.norm(tracker.tracks.states[0, :3] - truth[29, :3])
    assert err < 3_000.0, f"stereo IR track position error {err:.0f} m"


def test_cue_starts_a_track_that_radar_detections_then_update():
    radar = radar_at(37.0, 44.5)
    truth = fly(launch_state(36.0, 46.0, 150e3, [-1500, 1500, 1500]), 30.0)[:, 0]
    rng = np.random.default_rng(9)
    tracker = _tracker()
    p = np.diag([2e3**2] * 3 + [200.0**2] * 3)
    ev = tracker.cue(
        0.0, truth[:1] + rng.multivariate_normal(np.zeros(6), p, 1), p[None], confirmed=True
    )
    assert [e.track_id for e in ev.initiated] == [1] and [e.track_id for e in ev.confirmed] == [1]
    events = TrackEvents()
    for k in range(1, 31):
        events.extend(tracker.step([_scan(k, radar, truth[k : k + 1], rng)]))
    assert not events.initiated and len(tracker.tracks) == 1
    assert np.linalg.norm(tracker.tracks.states[0, :3] - truth[30, :3]) < 100.0


def test_known_registration_bias_is_removed():
    radar = radar_at(37.0, 44.5)
    truth = fly(launch_state(36.0, 46.0, 150e3, [-1500, 1500, 1500]), 60.0)[:, 0]
    bias = np.array([300.0, 5e-3, 0.0])
    errors = {}
    for name, biases in (("ignored", {}), ("corrected", {"radar": bias})):
        rng = np.random.default_rng(10)
        tracker = _tracker(biases=biases)
        for k in range(1, 61):
            s = _scan(k, radar, truth[k : k + 1], rng)
            tracker.step(
                [Scan(time_s=s.time_s, sensor_id="radar", z=s.z + bias, noise=s.noise, model=radar)]
            )
        errors[name] = np.linalg.norm(tracker.tracks.states[0, :3] - truth[60, :3])
    assert errors["corrected"] < errors["ignored"] / 3.0, errors


def test_ukf_tracker_tracks_with_false_alarms():
    radar = radar_at(37.0, 44.5)
    truth = fly(launch_state(36.0, 46.0, 150e3, [-1500, 1500, 1500]), 40.0)[:, 0]
    rng = np.random.default_rng(11)
    tracker = Tracker(
        predictor=ExtendedKalmanPredictor(motion=BallisticMotion(q=0.01)),
        updater=UnscentedKalmanUpdater(),
    )
    events = TrackEvents()
    for k in range(1, 41):
        events.extend(tracker.step([_scan(k, radar, truth[k : k + 1], rng, fa=30)]))
    confirmed = tracker.tracks.take(tracker.tracks.status == TrackStatus.CONFIRMED)
    assert len(confirmed) == 1
    assert np.linalg.norm(confirmed.states[0, :3] - truth[40, :3]) < 100.0


def test_detections_of_one_sweep_are_each_used_at_their_own_look_time():
    """A sector sweep: three targets seen at 0.0, 0.4, 0.8 s into each frame, one scan."""
    radar = radar_at(37.0, 44.5)
    x0 = [launch_state(36.0 + 0.3 * i, 46.0, 150e3, [-1500, 1500, 1500]) for i in range(3)]
    truth = fly(np.stack(x0), 30.0, dt_s=0.2)  # (151, 3, 6)
    rng = np.random.default_rng(12)
    tracker = _tracker()
    offsets = np.array([0, 2, 4])  # samples of 0.2 s
    for k in range(1, 30):
        rows = 5 * k + offsets
        states = truth[rows, np.arange(3)]
        z = radar.function(states) + rng.normal(size=(3, 3)) * RADAR_SIGMA
        scan = Scan(
            time_s=float(k),
            sensor_id="radar",
            z=z,
            noise=np.repeat(R[None], 3, 0),
            model=radar,
            detection_times_s=k + 0.2 * offsets,
        )
        tracker.step([scan])
    assert len(tracker.tracks) == 3 and np.all(tracker.tracks.status == TrackStatus.CONFIRMED)
    assert np.allclose(tracker.tracks.times_s, 29 + 0.2 * offsets)
    err = np.linalg.norm(
        tracker.tracks.states[:, :3] - truth[145 + offsets, np.arange(3), :3], axis=1
    )
    assert np.all(err < 100.0), err


def test_imm_track_takes_a_detection_that_only_its_improbable_mode_explains():
    """Gating is per motion mode: a boosting target whose angle-only track drifted to the
    ballistic mode still takes the precise radar detection, and the update restores the
    boost mode (the reference run's infrared-to-radar handover)."""
    radar = radar_at(37.0, 44.5)
    truth = fly(launch_state(36.0, 46.0, 20e3, [-300, 300, 1200]), 6.0, thrust_m_s2=60.0, burn_s=10)
    tracker = _imm_tracker()
    x = truth[0, 0].copy()
    p = np.diag([10.0**2] * 3 + [1.0**2] * 3)
    events = tracker.cue(0.0, x[None], p[None], confirmed=True)
    assert len(events.confirmed) == 1
    tr = tracker.tracks
    # the ballistic mode is almost certain, and alone would gate the detection out
    tracker.tracks = tr.with_(mode_probabilities=np.array([[1e-4, 1.0 - 1e-4]]))
    z = radar.function(truth[6, :1])
    scan = Scan(time_s=6.0, sensor_id="radar", z=z, noise=R[None], model=radar)
    coarse = tracker.predictor.predict(tracker.tracks, 6.0)
    ballistic = tracker.updater.predict_measurement(
        coarse.mode_states[:, 1], coarse.mode_covariances[:, 1], radar, R[None]
    )
    nu = z - ballistic.z
    d2 = float(nu[0] @ np.linalg.solve(ballistic.innovation_covariance[0], nu[0]))
    assert d2 > tracker.gater.threshold(3), f"ballistic-mode d2 {d2:.1f} inside the gate"
    events = tracker.step([scan])
    assert not events.initiated, "the detection started a new track"
    assert tracker.tracks.hits[0] == 2
    assert tracker.tracks.mode_probabilities[0, 0] > 0.9


def test_search_and_dwell_looks_of_one_object_a_few_ms_apart_update_one_track():
    """A radar's search sweep and its dwell on the track see the object 60 ms apart: two
    scans, both updating the track, no duplicate track."""
    from bmdsim.sensors.types import DetectionBatch, DetectionMode, MeasurementKind
    from bmdsim.tracking import scans_from_detections

    radar = radar_at(37.0, 44.5)
    truth = fly(launch_state(36.0, 46.0, 150e3, [-1500, 1500, 1000]), 10.0, dt_s=0.5)[:, 0]
    rng = np.random.default_rng(5)
    times = np.array([0.0, 1.0, 2.0, 3.0, 3.06])
    modes = [DetectionMode.TRACK] * 4 + [DetectionMode.SEARCH]
    rows = [truth[0], truth[2], truth[4], truth[6], truth[6] + np.r_[truth[6, 3:] * 0.06, 0, 0, 0]]
    z = radar.function(np.array(rows)) + rng.normal(size=(5, 3)) * RADAR_SIGMA
    k = len(times)
    cov = np.zeros((k, 4, 4))
    cov[:, :3, :3] = R
    batch = DetectionBatch(
        t_s=times,
        sensor_id=np.full(k, "radar"),
        kind=np.full(k, MeasurementKind.RANGE_AZ_EL, np.int8),
        mode=np.array(modes, np.int8),
        z=np.concatenate([z, np.full((k, 1), np.nan)], axis=1),
        covariance=cov,
        snr=np.full(k, 100.0),
        sensor_position_ecef=np.repeat(radar.sensor_position_ecef[None], k, 0),
        sensor_velocity_ecef=np.zeros((k, 3)),
        sensor_basis=np.repeat(radar.sensor_basis[None], k, 0),
    )
    scans = scans_from_detections(batch)
    assert [len(s) for s in scans] == [1, 1, 1, 1, 1]
    tracker = _tracker()
    events = TrackEvents()
    for s in scans:
        events.extend(tracker.step([s]))
    assert len(events.initiated) == 1, f"{len(events.initiated)} tracks started"
    assert tracker.tracks.hits[0] == 5
