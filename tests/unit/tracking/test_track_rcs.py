"""Each track keeps the running mean of log10 of the measured RCS of the radar detections
that started and updated it; detections without a measured RCS leave it unchanged."""

from __future__ import annotations

import numpy as np
from tracking_helpers import RADAR_SIGMA, fly, launch_state, radar_at

from bmdsim.sensors.types import DetectionBatch
from bmdsim.tracking import (
    BallisticMotion,
    ExtendedKalmanPredictor,
    ExtendedKalmanUpdater,
    Scan,
    Tracker,
    TrackStatus,
    scans_from_detections,
)
from bmdsim.tracking.types import TrackBatch

R = np.diag(RADAR_SIGMA**2)


def _tracker():
    return Tracker(
        predictor=ExtendedKalmanPredictor(motion=BallisticMotion(q=0.01)),
        updater=ExtendedKalmanUpdater(),
    )


def test_tracks_of_an_rv_and_a_tank_estimate_their_rcs_apart():
    """RV 0.05 m2 and tank 5 m2, 2 km apart, Swerling 1 looks (RCS * Exp(1)); each track's
    log10 RCS estimate is the fading-memory mean of its own detections' log10 RCS."""
    radar = radar_at(37.0, 44.5)
    x0 = launch_state(36.0, 46.0, 150e3, [-1500, 1500, 1500])
    side = np.cross(x0[:3], x0[3:])
    offset = np.concatenate([2000.0 * side / np.linalg.norm(side), np.zeros(3)])
    truth = fly(np.stack([x0, x0 + offset]), 40.0)
    true_rcs = np.array([0.05, 5.0])
    rng = np.random.default_rng(3)
    tracker = _tracker()
    seen = {0: [], 1: []}
    for k in range(1, 41):
        z = radar.function(truth[k]) + rng.normal(size=(2, 3)) * RADAR_SIGMA
        rcs = true_rcs * rng.exponential(size=2)
        seen[0].append(np.log10(rcs[0]))
        seen[1].append(np.log10(rcs[1]))
        scan = Scan(
            time_s=float(k),
            sensor_id="radar",
            z=z,
            noise=np.repeat(R[None], 2, 0),
            model=radar,
            rcs_m2=rcs,
        )
        tracker.step([scan])
    tr = tracker.tracks.take(tracker.tracks.status == TrackStatus.CONFIRMED)
    assert len(tr) == 2
    obj = [int(np.argmin(np.linalg.norm(truth[40, :, :3] - x[:3], axis=1))) for x in tr.states]
    assert sorted(obj) == [0, 1]
    for i, o in enumerate(obj):
        assert tr.rcs_looks[i] == 40
        expected = 0.0
        for n, value in enumerate(seen[o], start=1):
            expected += (value - expected) / min(n, tracker.rcs_memory_looks)
        np.testing.assert_allclose(tr.rcs_log10_mean[i], expected, rtol=0, atol=1e-12)
    rv, tank = tr.rcs_log10_mean[obj.index(0)], tr.rcs_log10_mean[obj.index(1)]
    assert tank - rv > 1.0, f"tank {tank:.2f} vs rv {rv:.2f}"


def test_fading_memory_forgets_the_looks_before_separation():
    """A track that saw the whole missile (5 m2) for 30 looks, then only the RV (0.05 m2):
    after 3 memory lengths of RV looks its estimate is within 0.1 decade of the RV's."""
    radar = radar_at(37.0, 44.5)
    truth = fly(launch_state(36.0, 46.0, 120e3, [-1500, 1500, 1800]), 80.0)[:, 0]
    rng = np.random.default_rng(5)
    tracker = _tracker()
    for k in range(1, 31 + 3 * tracker.rcs_memory_looks):
        z = radar.function(truth[k : k + 1]) + rng.normal(size=(1, 3)) * RADAR_SIGMA
        rcs = np.array([5.0 if k <= 30 else 0.05])
        tracker.step(
            [Scan(time_s=float(k), sensor_id="r", z=z, noise=R[None], model=radar, rcs_m2=rcs)]
        )
    assert len(tracker.tracks) == 1
    err = tracker.tracks.rcs_log10_mean[0] - np.log10(0.05)
    assert 0.0 < err < 0.1, f"{err:.3f} decades above the RV's"


def test_detections_without_rcs_leave_the_estimate_unchanged():
    radar = radar_at(37.0, 44.5)
    truth = fly(launch_state(36.0, 46.0, 120e3, [-1500, 1500, 1800]), 10.0)[:, 0]
    rng = np.random.default_rng(0)
    tracker = _tracker()
    for k in range(1, 11):
        z = radar.function(truth[k : k + 1]) + rng.normal(size=(1, 3)) * RADAR_SIGMA
        rcs = np.array([2.0]) if k <= 3 else (np.array([np.nan]) if k % 2 else None)
        tracker.step(
            [Scan(time_s=float(k), sensor_id="r", z=z, noise=R[None], model=radar, rcs_m2=rcs)]
        )
    assert len(tracker.tracks) == 1
    assert tracker.tracks.rcs_looks[0] == 3 and tracker.tracks.hits[0] == 10
    np.testing.assert_allclose(tracker.tracks.rcs_log10_mean[0], np.log10(2.0), atol=1e-12)


def test_new_tracks_without_a_measured_rcs_have_none():
    tracks = TrackBatch.new(
        ids=np.arange(3),
        states=np.zeros((3, 6)),
        covariances=np.zeros((3, 6, 6)),
        times_s=0.0,
        mode_probabilities=np.ones((3, 1)),
        rcs_m2=np.array([np.nan, 0.1, -1.0]),
    )
    np.testing.assert_array_equal(tracks.rcs_looks, [0, 1, 0])
    assert np.isnan(tracks.rcs_log10_mean[[0, 2]]).all()
    np.testing.assert_allclose(tracks.rcs_log10_mean[1], -1.0)


def test_scans_from_detections_carry_each_detection_rcs():
    empty = DetectionBatch.empty()
    assert empty.rcs_m2.shape == (0,)
    radar = radar_at(37.0, 44.5)
    b = 3
    z = np.full((b, 4), np.nan)
    z[:, :3] = [[3e5, 1.0, 0.3], [3.1e5, 1.1, 0.31], [3.2e5, 1.2, 0.32]]
    cov = np.zeros((b, 4, 4))
    cov[:, :3, :3] = R
    batch = DetectionBatch(
        t_s=np.array([0.0, 0.1, 0.2]),
        sensor_id=np.full(b, "r"),
        kind=np.zeros(b, np.int8),
        mode=np.zeros(b, np.int8),
        z=z,
        covariance=cov,
        snr=np.full(b, 100.0),
        rcs_m2=np.array([0.1, 3.0, 0.02]),
        sensor_position_ecef=np.repeat(radar.sensor_position_ecef[None], b, 0),
        sensor_velocity_ecef=np.zeros((b, 3)),
        sensor_basis=np.repeat(radar.sensor_basis[None], b, 0),
    )
    (scan,) = scans_from_detections(batch)
    np.testing.assert_array_equal(scan.rcs_m2, [0.1, 3.0, 0.02])


def test_a_registration_bias_keeps_the_detection_times_and_rcs_of_a_scan():
    radar = radar_at(37.0, 44.5)
    z = np.array([[3e5, 1.0, 0.3], [3.1e5, 1.1, 0.31]])
    scan = Scan(
        time_s=1.0,
        sensor_id="r",
        z=z,
        noise=np.repeat(R[None], 2, 0),
        model=radar,
        detection_times_s=np.array([1.0, 1.2]),
        rcs_m2=np.array([0.1, 3.0]),
    )
    tracker = Tracker(
        predictor=ExtendedKalmanPredictor(motion=BallisticMotion(q=0.01)),
        updater=ExtendedKalmanUpdater(),
        biases={"r": [10.0, 0.0, 0.0]},
    )
    out = tracker._registered(scan)
    np.testing.assert_array_equal(out.z, z - [10.0, 0.0, 0.0])
    np.testing.assert_array_equal(out.detection_times_s, [1.0, 1.2])
    np.testing.assert_array_equal(out.rcs_m2, [0.1, 3.0])
