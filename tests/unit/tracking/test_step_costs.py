"""The per-step shortcuts of the tracking layer: the kept cue set, the direct eigenvalue
call, the scan grouping and the plain new-track batch give what the straightforward code
gives, bit for bit, and the kept cue set is dropped when its inputs change."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from tracking_helpers import RADAR_SIGMA, fly, launch_state, radar_at

from bmdsim.sensors.types import DetectionBatch, DetectionMode, MeasurementKind
from bmdsim.tracking import (
    BallisticMotion,
    ExtendedKalmanPredictor,
    ExtendedKalmanUpdater,
    Scan,
    TrackBatch,
    Tracker,
    scans_from_detections,
)
from bmdsim.tracking.tracker import _largest_eigenvalues

R = np.diag(RADAR_SIGMA**2)


def _tracker_with_two_tracks():
    radar = radar_at(37.0, 44.5)
    truth = np.concatenate(
        [
            fly(launch_state(36.0, 46.0, 150e3, [-1500, 1500, 1500]), 3.0),
            fly(launch_state(36.2, 46.3, 160e3, [-1400, 1600, 1200]), 3.0),
        ],
        axis=1,
    )
    rng = np.random.default_rng(3)
    tracker = Tracker(
        predictor=ExtendedKalmanPredictor(motion=BallisticMotion(q=0.01)),
        updater=ExtendedKalmanUpdater(),
    )

    def scan(k):
        z = radar.function(truth[k]) + rng.normal(size=(2, 3)) * RADAR_SIGMA
        return Scan(
            time_s=float(k), sensor_id="radar", z=z, noise=np.repeat(R[None], 2, 0), model=radar
        )

    tracker.step([scan(0)])
    tracker.step([scan(1)])
    return tracker, scan


def _expected_radius(tracker, t_s, n_sigma=4.0, min_radius_m=300.0):
    tr = tracker.tracks_at(t_s)
    sigma = np.sqrt(np.linalg.eigvalsh(tr.covariances[:, :3, :3])[:, -1])
    return np.maximum(n_sigma * sigma, min_radius_m)


def _assert_radius(got, want):
    """The compiled cue radius (closed-form eigenvalue) against numpy's, to rounding."""
    err = float(np.max(np.abs(got - want) / want))
    print(f"cue radius: largest relative difference from numpy's eigvalsh {err:.1e}")
    assert err <= 1e-13


@pytest.mark.parametrize("seed", range(3))
def test_closed_form_largest_eigenvalue_equals_numpys_eigvalsh_to_rounding(seed):
    """Position covariances of every shape a track has (ill-conditioned, diagonal, with
    repeated eigenvalues) through the compiled cue kernel."""
    from bmdsim.tracking._kernel import cue_kernel

    rng = np.random.default_rng(seed)
    k = 200
    a = rng.normal(size=(k, 7, 7)) * 10.0 ** rng.uniform(-3, 3, (k, 7, 1))
    cov = (a @ np.swapaxes(a, 1, 2)) * 10.0 ** rng.uniform(-2, 8, (k, 1, 1))
    cov[:20, :3, :3] = np.eye(3) * rng.uniform(1.0, 1e6, (20, 1, 1))  # isotropic
    cov[20:40, :3, :3] = np.diag([4.0, 4.0, 1.0]) * rng.uniform(1.0, 1e6, (20, 1, 1))
    cov[40:60, :3, :3] = np.diag([1.0, 2.0, 3.0])  # diagonal
    want = np.linalg.eigvalsh(cov[:, :3, :3])[:, -1]
    states = rng.normal(size=(k, 7))
    *_, radius = cue_kernel(states, cov, 0.0, 1.0, 1.0, 0.0)
    err = float(np.max(np.abs(radius**2 - want) / want))
    print(f"largest eigenvalue: largest relative difference from eigvalsh {err:.1e}")
    assert err <= 1e-13


def test_cue_set_is_kept_for_the_same_tracks_and_arguments_and_rebuilt_when_they_change():
    tracker, scan = _tracker_with_two_tracks()
    first = tracker.cues(1.5, 2.5)
    assert len(first) == 2
    assert tracker.cues(1.5, 2.5) is first
    _assert_radius(first.radius_m, _expected_radius(tracker, 1.5))
    np.testing.assert_array_equal(first.cue_id, tracker.tracks.ids.astype(str))

    later_end = tracker.cues(1.5, 3.0)
    assert later_end is not first and np.all(later_end.t_end_s == 3.0)
    wider = tracker.cues(1.5, 3.0, n_sigma=6.0)
    assert wider is not later_end
    _assert_radius(wider.radius_m, _expected_radius(tracker, 1.5, n_sigma=6.0))
    other_time = tracker.cues(1.75, 3.0)
    assert np.all(other_time.t_start_s == 1.75) and np.all(other_time.t_ref_s == 1.75)
    _assert_radius(other_time.radius_m, _expected_radius(tracker, 1.75))

    before = tracker.cues(2.0, 3.0)
    tracker.step([scan(2)])  # new track estimates at t = 2
    after = tracker.cues(2.0, 3.0)
    assert after is not before
    np.testing.assert_array_equal(after.position_ecef, tracker.tracks_at(2.0).states[:, :3])
    _assert_radius(after.radius_m, _expected_radius(tracker, 2.0))
    assert np.any(after.radius_m != before.radius_m)


@pytest.mark.parametrize("n", [1, 3, 17])
def test_largest_eigenvalues_are_numpys_eigvalsh_bits(n):
    rng = np.random.default_rng(n)
    a = rng.normal(size=(n, 7, 7))
    cov = (a @ np.swapaxes(a, 1, 2)) * 10.0 ** rng.uniform(-2, 8, (n, 1, 1))
    view = cov[:, :3, :3]  # strided, as the tracker passes it
    np.testing.assert_array_equal(_largest_eigenvalues(view), np.linalg.eigvalsh(view)[:, -1])
    single = np.ascontiguousarray(view[:, :2, :2], dtype=np.float32)  # other dtypes: fallback
    np.testing.assert_array_equal(_largest_eigenvalues(single), np.linalg.eigvalsh(single)[:, -1])


def test_largest_eigenvalues_raise_like_numpy_on_nan():
    bad = np.full((2, 3, 3), np.nan)
    with pytest.raises(np.linalg.LinAlgError):
        np.linalg.eigvalsh(bad)
    with pytest.raises(np.linalg.LinAlgError):
        _largest_eigenvalues(bad)


def _reference_grouping(batch, max_span_s=0.5):
    """The lexsort grouping of the arrays: rows of each scan in scan order."""
    t = batch.t_s
    bins = np.floor((t - t.min()) / max_span_s).astype(np.int64)
    keys = (bins, batch.sensor_id, batch.kind, batch.mode)
    order = np.lexsort((t, *keys[::-1]))
    start = np.zeros(len(order), bool)
    start[0] = True
    for key in keys:
        k = key[order]
        start[1:] |= k[1:] != k[:-1]
    bounds = np.append(np.flatnonzero(start), len(order))
    groups = [order[a:b] for a, b in itertools.pairwise(bounds)]
    return sorted(groups, key=lambda rows: t[rows[0]])


def test_scans_group_rows_as_a_stable_lexsort_of_bin_sensor_kind_mode_and_time():
    rng = np.random.default_rng(11)
    k = 60
    kind = rng.choice([0, 1, 2], k).astype(np.int8)
    t = np.round(rng.uniform(0.0, 2.0, k), 1)  # ties in time, several per bin
    z = rng.normal(size=(k, 4))
    cov = np.repeat(np.eye(4)[None], k, 0) * rng.uniform(1, 2, (k, 1, 1))
    batch = DetectionBatch(
        t_s=t,
        sensor_id=rng.choice(["b-radar", "a-radar", "sat-1", "a"], k),
        kind=kind,
        mode=rng.choice([DetectionMode.SEARCH, DetectionMode.TRACK], k).astype(np.int8),
        z=z,
        covariance=cov,
        snr=np.full(k, 50.0),
        sensor_position_ecef=rng.normal(size=(k, 3)) * 6e6,
        sensor_velocity_ecef=rng.normal(size=(k, 3)),
        sensor_basis=np.repeat(np.eye(3)[None], k, 0),
        rcs_m2=rng.uniform(0.1, 1.0, k),
    )
    scans = scans_from_detections(batch)
    groups = _reference_grouping(batch)
    assert len(scans) == len(groups)
    for scan, rows in zip(scans, groups, strict=True):
        m = MeasurementKind(int(kind[rows[0]])).dim
        assert scan.sensor_id == str(batch.sensor_id[rows[0]])
        assert scan.time_s == t[rows[0]]
        np.testing.assert_array_equal(scan.z, z[rows, :m])
        np.testing.assert_array_equal(scan.noise, cov[rows, :m, :m])
        np.testing.assert_array_equal(scan.rcs_m2, batch.rcs_m2[rows])
        if np.all(t[rows] == t[rows[0]]):
            assert scan.detection_times_s is None
        else:
            np.testing.assert_array_equal(scan.detection_times_s, t[rows])
        np.testing.assert_array_equal(
            scan.model.sensor_position_ecef, batch.sensor_position_ecef[rows[0]]
        )


def test_new_tracks_without_rcs_have_no_looks_and_with_rcs_the_log_mean():
    x = np.zeros((3, 6))
    p = np.repeat(np.eye(6)[None], 3, 0)
    mu = np.ones((3, 1))
    plain = TrackBatch.new(
        ids=np.arange(3), states=x, covariances=p, times_s=5.0, mode_probabilities=mu
    )
    assert np.all(np.isnan(plain.rcs_log10_mean)) and plain.rcs_looks.tolist() == [0, 0, 0]
    assert plain.times_s.tolist() == [5.0] * 3 and plain.status.dtype == np.int8
    times = np.array([1.0, 2.0, 3.0])
    seen = TrackBatch.new(
        ids=np.arange(3),
        states=x,
        covariances=p,
        times_s=times,
        mode_probabilities=mu,
        rcs_m2=np.array([10.0, np.nan, 0.0]),
    )
    assert seen.rcs_looks.tolist() == [1, 0, 0]
    assert seen.rcs_log10_mean[0] == 1.0 and np.all(np.isnan(seen.rcs_log10_mean[1:]))
    assert seen.times_s is not times and seen.initiated_s.tolist() == [1.0, 2.0, 3.0]
