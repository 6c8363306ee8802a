"""The tracker's compiled scan step gives the role-by-role path's tracks and events.

Each scenario runs two trackers side by side on the same scans — one with
``compiled=True`` (:class:`bmdsim.tracking.fused.ScanKernels`), one with ``compiled=False``
(every role called in turn, the numpy reference) — and compares every array of the track
record after every step and every event: the discrete parts (ids, counters, status, hit
histories, event kinds, times and tracks) exactly, the estimates to rounding (the compiled
step orders some floating-point operations differently: the gate's distances, the
out-of-sequence update, the IMM combination). The largest relative error is printed.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from tracking_helpers import RADAR_SIGMA, fly, launch_state, radar_at

from bmdsim.earth.frames import ecef_to_geodetic, geodetic_to_ecef
from bmdsim.sensors.models import EcefToLosAngles, EcefToRangeAzElRangeRate, geocentric_ned_basis
from bmdsim.sensors.types import DetectionBatch, DetectionMode, MeasurementKind
from bmdsim.tracking import (
    BallisticMotion,
    BoostMotion,
    Deleter,
    ExtendedKalmanPredictor,
    ExtendedKalmanUpdater,
    InitialState,
    InteractingMultipleModelPredictor,
    Scan,
    SinglePointInitiator,
    Tracker,
    TrackEvents,
    scans_from_detections,
)
from bmdsim.tracking.fused import ScanKernels
from bmdsim.tracking.types import TrackBatch

RR = np.diag([*RADAR_SIGMA**2, 4.0])  # range, azimuth, elevation, range rate


def _imm(iterations=3):
    return dict(
        predictor=InteractingMultipleModelPredictor(
            predictors=(
                ExtendedKalmanPredictor(motion=BoostMotion(q=1000.0, drag=True)),
                ExtendedKalmanPredictor(motion=BallisticMotion(q=1e-3, drag=True)),
            ),
            transition_rates=[[0.0, 0.02], [1e-4, 0.0]],
        ),
        updater=ExtendedKalmanUpdater(iterations=iterations),
        initiator=SinglePointInitiator(initial=InitialState(ndim=7, mode_probabilities=(0.5, 0.5))),
        deleter=Deleter(tentative_coast_s=12.0),
    )


def _ekf():
    return dict(
        predictor=ExtendedKalmanPredictor(motion=BallisticMotion(q=0.01)),
        updater=ExtendedKalmanUpdater(),
    )


def _doppler_radar(lat_deg, lon_deg):
    site = radar_at(lat_deg, lon_deg)
    return EcefToRangeAzElRangeRate(
        sensor_position_ecef=site.sensor_position_ecef,
        sensor_velocity_ecef=np.zeros(3),
        sensor_basis=site.sensor_basis,
        noise_covariance=RR,
    )


def _radar_scan(t, model, rows, rng, sensor, false_alarms=0, coverage=None):
    m = model.noise_covariance.shape[0]
    sigma = np.sqrt(np.diag(model.noise_covariance))
    z = model.function(rows) + rng.normal(size=(len(rows), m)) * sigma
    if false_alarms:
        near = z[:1] if len(z) else np.array([[800e3, 1.0, 0.3, 0.0][:m]])
        fa = near + rng.normal(size=(false_alarms, m)) * sigma * np.array([300, 5, 5, 50][:m])
        z = np.concatenate([z, fa])
    rcs = rng.exponential(0.1, len(z))
    rcs[rng.random(len(z)) < 0.2] = np.nan  # some looks without a measured RCS
    return Scan(
        time_s=float(t),
        sensor_id=sensor,
        z=z,
        noise=np.repeat(model.noise_covariance[None], len(z), 0),
        model=model,
        rcs_m2=rcs,
        coverage=coverage,
    )


#: Largest difference allowed between the compiled and the role path's estimates, in units
#: of the estimate's own uncertainty (a state component: its standard deviation; a
#: covariance entry: ``sqrt(P_ii P_jj)``; a mode probability: absolute). Both paths round
#: differently (the gate's and the IMM combination's operations, numba's ``log``/``exp``
#: against numpy's); the IMM's mode likelihoods carry a last-place difference over the
#: steps of a track to ~1e-9 of a standard deviation.
TOL = 1e-8
#: Any other float of the record: relative (at least 1 in the unit).
RTOL = 1e-12
#: An event's state and position sigma: relative (at least 1 in the unit); the track
#: record, compared in units of its uncertainty, is the tight check.
EVENT_RTOL = 1e-6
_ERRORS: list[float] = []


def _check(err: float, where: str, name: str, tol: float) -> None:
    _ERRORS.append(err)
    assert err <= tol, f"{where}: {name} differs by {err:.2e} (tolerance {tol:.0e})"


def _scaled_error(x: np.ndarray, y: np.ndarray, scale: np.ndarray) -> float:
    """Largest ``|x - y| / scale`` (infinities and NaN must be equal)."""
    finite = np.isfinite(y)
    assert np.array_equal(np.isfinite(x), finite)
    assert np.array_equal(x[~finite], y[~finite], equal_nan=True)
    d = np.abs(np.where(finite, x, 0.0) - np.where(finite, y, 0.0)) / np.where(finite, scale, 1.0)
    return float(d.max(initial=0.0))


def _assert_same_batch(a: TrackBatch, b: TrackBatch, where: str):
    sigma = np.sqrt(np.diagonal(b.covariances, axis1=-2, axis2=-1))
    mode_sigma = np.sqrt(np.diagonal(b.mode_covariances, axis1=-2, axis2=-1))
    scales = {
        "states": sigma,
        "covariances": sigma[..., :, None] * sigma[..., None, :],
        "mode_states": mode_sigma,
        "mode_covariances": mode_sigma[..., :, None] * mode_sigma[..., None, :],
        "mode_probabilities": np.ones_like(b.mode_probabilities),
    }
    for f in dataclasses.fields(TrackBatch):
        x, y = getattr(a, f.name), getattr(b, f.name)
        assert x.dtype == y.dtype and x.shape == y.shape, f"{where}: {f.name}"
        if f.name in scales:
            _check(_scaled_error(x, y, scales[f.name]), where, f.name, TOL)
        elif x.dtype == float:
            _check(_scaled_error(x, y, np.maximum(np.abs(y), 1.0)), where, f.name, RTOL)
        else:
            assert np.array_equal(x, y), f"{where}: {f.name} differs"


def _assert_same_events(ev_a: TrackEvents, ev_b: TrackEvents, where: str):
    a, b = ev_a.all(), ev_b.all()
    assert len(a) == len(b), f"{where}: events differ"
    for e, f in zip(a, b, strict=True):
        assert type(e) is type(f), f"{where}: events differ"
        for field in dataclasses.fields(e):
            u, v = getattr(e, field.name), getattr(f, field.name)
            if field.name in ("state", "position_sigma_m"):
                u, v = np.atleast_1d(u), np.atleast_1d(v)
                name = f"{type(e).__name__}.{field.name}"
                err = _scaled_error(u, v, np.maximum(np.abs(v), 1.0))
                assert err <= EVENT_RTOL, f"{where}: {name} differs by {err:.2e}"
            else:
                assert u == v, f"{where}: {type(e).__name__}.{field.name} differs"


def _assert_same(a: Tracker, b: Tracker, ev_a: TrackEvents, ev_b: TrackEvents, where: str):
    _assert_same_events(ev_a, ev_b, where)
    _assert_same_batch(a.tracks, b.tracks, where)


def _run_both(roles, steps, *, cue=None, query_times=()):
    """Run the compiled and the role path over ``steps`` (lists of scans)."""
    _ERRORS.clear()
    fast, slow = Tracker(**roles()), Tracker(**roles(), compiled=False)
    assert fast._compiled_step() is not None and slow._compiled_step() is None
    if cue is not None:
        _assert_same(fast, slow, fast.cue(*cue), slow.cue(*cue), "cue")
    for i, scans in enumerate(steps):
        ev_fast, ev_slow = fast.step(scans), slow.step(scans)
        _assert_same(fast, slow, ev_fast, ev_slow, f"step {i}")
        for t in query_times:
            _assert_same_batch(fast.tracks_at(t), slow.tracks_at(t), f"step {i} at {t} s")
    print(f"largest difference compiled vs role path: {max(_ERRORS, default=0.0):.2e}")
    return fast


def test_compiled_step_equals_role_path_through_boost_separation_and_late_scans():
    """IMM tracks of a boosting missile and a second object seen by two Doppler radars, one
    of them delivering 2.5 s late (out-of-sequence updates), with false alarms near the
    targets (ambiguous pairs) and detections without measured RCS."""
    radar_a, radar_b = _doppler_radar(37.0, 44.5), _doppler_radar(35.5, 43.0)
    x0 = launch_state(35.8, 45.5, 20e3, [-300.0, 300.0, 1200.0])
    x1 = x0 + np.r_[3000.0, -2000.0, 1500.0, 20.0, -30.0, 10.0]
    truth = fly(np.stack([x0, x1]), 80.0, dt_s=0.5, thrust_m_s2=40.0, burn_s=25.0)
    rng = np.random.default_rng(21)
    steps, late = [], []
    for k in range(1, 161):
        t = 0.5 * k
        scans = [_radar_scan(t, radar_a, truth[k], rng, "a", false_alarms=int(k % 7 == 0))]
        late.append(_radar_scan(t, radar_b, truth[k, :1], rng, "b", false_alarms=int(k % 5 == 0)))
        scans += [s for s in late if s.time_s <= t - 2.5]
        late = [s for s in late if s.time_s > t - 2.5]
        steps.append(scans)
    fast = _run_both(_imm, steps, query_times=(80.3,))
    assert len(fast.tracks) >= 2


def test_compiled_step_equals_role_path_with_stereo_infrared_and_radar_handover():
    """Two angle-only infrared sensors start a track (stereo); a radar with a coverage
    function takes it over."""
    sats = [geodetic_to_ecef(0.0, 20.0, 35_786e3), geodetic_to_ecef(0.0, 75.0, 35_786e3)]
    ir = [
        EcefToLosAngles(
            sensor_position_ecef=p,
            sensor_basis=geocentric_ned_basis(p),
            noise_covariance=np.eye(2) * 1e-9,
        )
        for p in sats
    ]
    radar = _doppler_radar(37.0, 44.5)
    truth = fly(
        launch_state(35.5, 45.0, 10e3, [-100.0, 100.0, 600.0]), 60.0, thrust_m_s2=30.0, burn_s=60.0
    )[:, 0]

    def above_20_km(states):
        return ecef_to_geodetic(states[:, :3])[2] > 20e3

    rng = np.random.default_rng(8)
    steps = []
    for k in range(1, 60):
        scans = []
        for name, model, offset in (("geo-1", ir[0], 0.0), ("geo-2", ir[1], 0.3)):
            z = model.function(truth[k : k + 1]) + rng.normal(size=(1, 2)) * np.sqrt(1e-9)
            scans.append(
                Scan(
                    time_s=k + offset,
                    sensor_id=name,
                    z=z,
                    noise=model.noise_covariance[None],
                    model=model,
                )
            )
        if k >= 30:
            scans.append(
                _radar_scan(k + 0.6, radar, truth[k : k + 1], rng, "radar", coverage=above_20_km)
            )
        steps.append(scans)
    fast = _run_both(_imm, steps)
    assert len(fast.tracks) >= 1


def test_compiled_step_equals_role_path_for_a_single_model_ekf_with_misses():
    """A single-model EKF tracker, a target that is missed now and then and finally lost
    (misses, confirmation, deletion), a cue-started track and a known bias."""
    radar = radar_at(37.0, 44.5)
    truth = fly(launch_state(36.0, 46.0, 150e3, [-1500, 1500, 1500]), 60.0)[:, 0]
    rng = np.random.default_rng(9)
    steps = []
    for k in range(1, 90):
        rows = truth[k : k + 1] if k < 50 and k % 4 else truth[:0]
        steps.append([_radar_scan(k, radar, rows, rng, "radar", false_alarms=int(k % 3 == 0))])
    p = np.diag([2e3**2] * 3 + [200.0**2] * 3)

    def roles():
        return dict(**_ekf(), biases={"radar": np.array([5.0, 1e-4, 0.0])})

    _run_both(roles, steps, cue=(0.0, truth[:1] + 100.0, p[None]))


def _three_modes():
    roles = _imm()
    roles["predictor"] = InteractingMultipleModelPredictor(
        predictors=(
            *roles["predictor"].predictors,
            ExtendedKalmanPredictor(motion=BallisticMotion(q=1.0, drag=True)),
        ),
        transition_rates=[[0.0, 0.02, 0.01], [1e-4, 0.0, 1e-3], [0.0, 1e-2, 0.0]],
    )
    roles["initiator"] = SinglePointInitiator(
        initial=InitialState(ndim=7, mode_probabilities=(0.4, 0.4, 0.2))
    )
    return roles


@pytest.mark.parametrize(
    "roles", [lambda: _imm(iterations=1), _three_modes], ids=["one-iteration", "three-modes"]
)
def test_compiled_step_equals_role_path_for_other_updaters_and_mode_sets(roles):
    """One Gauss-Newton iteration, or three motion modes, with late scans and a radar sweep
    whose detections have their own look times (that scan goes role by role)."""
    radar_a, radar_b = _doppler_radar(37.0, 44.5), _doppler_radar(35.5, 43.0)
    truth = fly(launch_state(35.8, 45.5, 40e3, [-300.0, 300.0, 1500.0]), 30.0, dt_s=0.5)[:, 0]
    rng = np.random.default_rng(4)
    steps, late = [], []
    for k in range(2, 61):
        scans = [_radar_scan(0.5 * k, radar_a, truth[k : k + 1], rng, "a")]
        if k == 40:  # one sweep: the detection and a false alarm 0.3 s apart
            sweep = _radar_scan(0.5 * k, radar_b, truth[k : k + 1], rng, "b", false_alarms=1)
            scans.append(dataclasses.replace(sweep, detection_times_s=0.5 * k + np.r_[0.0, 0.3]))
        late.append(_radar_scan(0.5 * k, radar_b, truth[k : k + 1], rng, "b"))
        scans += [s for s in late if s.time_s <= 0.5 * k - 1.5]
        late = [s for s in late if s.time_s > 0.5 * k - 1.5]
        steps.append(scans)
    _run_both(roles, steps)


def test_compiled_step_is_built_only_for_compiled_roles():
    from bmdsim.tracking import UnscentedKalmanUpdater

    assert ScanKernels.for_tracker(Tracker(**_imm())) is not None
    assert ScanKernels.for_tracker(Tracker(**_ekf())) is not None
    ukf = Tracker(predictor=_ekf()["predictor"], updater=UnscentedKalmanUpdater())
    assert ukf._compiled_step() is None
    tracker = Tracker(**_ekf())
    first = tracker._compiled_step()
    tracker.updater = UnscentedKalmanUpdater()  # a role swapped after construction
    assert first is not None and tracker._compiled_step() is None


def test_scans_group_detections_by_bin_sensor_kind_and_mode_in_time_order():
    """scans_from_detections against a plain dictionary grouping of the same batch."""
    rng = np.random.default_rng(3)
    b = 300
    radar = radar_at(37.0, 44.5)
    t = np.round(rng.uniform(0.0, 3.0, b), 2)
    sensor = rng.choice(np.array(["ship", "tpy-2", "sbirs-1"]), b)
    kind = np.where(sensor == "sbirs-1", MeasurementKind.LOS_ANGLES, MeasurementKind.RANGE_AZ_EL)
    mode = rng.choice(np.array([DetectionMode.SEARCH, DetectionMode.TRACK], np.int8), b)
    batch = DetectionBatch(
        t_s=t,
        sensor_id=sensor,
        kind=kind.astype(np.int8),
        mode=mode,
        z=rng.normal(size=(b, 4)),
        covariance=np.repeat(np.eye(4)[None], b, 0),
        snr=np.ones(b),
        sensor_position_ecef=np.repeat(radar.sensor_position_ecef[None], b, 0),
        sensor_velocity_ecef=np.zeros((b, 3)),
        sensor_basis=np.repeat(radar.sensor_basis[None], b, 0),
        rcs_m2=rng.uniform(0.1, 1.0, b),
    )
    groups: dict = {}
    bins = np.floor((t - t.min()) / 0.5).astype(np.int64)
    for i in range(b):
        groups.setdefault((bins[i], str(sensor[i]), int(kind[i]), int(mode[i])), []).append(i)
    expected = []
    for key in sorted(groups):
        rows = sorted(groups[key], key=lambda i: (t[i], i))
        expected.append((t[rows[0]], key[1], rows))
    expected.sort(key=lambda e: e[0])  # stable: ties keep the key order
    scans = scans_from_detections(batch)
    assert len(scans) == len(expected)
    for scan, (t0, sensor_id, rows) in zip(scans, expected, strict=True):
        assert scan.time_s == t0 and scan.sensor_id == sensor_id
        m = scan.z.shape[1]
        assert np.array_equal(scan.z, batch.z[rows, :m])
        assert np.array_equal(scan.rcs_m2, batch.rcs_m2[rows])
        assert np.array_equal(scan.times_s, t[rows])


def test_deleter_finds_tracks_below_ground_as_a_full_height_check_does():
    rng = np.random.default_rng(2)
    n = 400
    lat, lon = rng.uniform(-90, 90, n), rng.uniform(-180, 180, n)
    alt = rng.choice([-5e3, -501.0, -499.0, 0.0, 1e3, 500e3], n)
    states = np.zeros((n, 6))
    states[:, :3] = geodetic_to_ecef(lat, lon, alt)
    tracks = TrackBatch.new(
        ids=np.arange(n),
        states=states,
        covariances=np.repeat(np.eye(6)[None], n, 0),
        times_s=np.zeros(n),
        mode_probabilities=np.ones((n, 1)),
    )
    for deleter in (Deleter(), Deleter(min_altitude_m=600.0)):
        gone, reasons = deleter.delete(tracks, 1.0)
        below = ecef_to_geodetic(states[:, :3])[2] < deleter.min_altitude_m
        assert np.array_equal(gone, below) and set(reasons[below]) == {"ground"}


def test_deletion_pretest_never_hides_a_deletion():
    """``Tracker._nothing_to_delete`` (compiled) is True only when the deleter and the
    confirmer delete nothing: random tracks near every limit (coast, divergence, ground,
    failed confirmation)."""
    rng = np.random.default_rng(7)
    tracker = Tracker(**_ekf())
    deleter, confirmer = tracker.deleter, tracker.confirmer
    n = 3
    skipped = deleted = 0

    def pick(common, *edges):  # mostly a harmless value, sometimes one at a limit
        return np.where(rng.random(n) < 0.8, common, rng.choice(np.array(edges), n))

    for _ in range(400):
        alt = pick(300e3, -600.0, -500.0 + 1e-6, -400.0, 5e3)
        states = np.zeros((n, 6))
        states[:, :3] = geodetic_to_ecef(rng.uniform(-80, 80, n), rng.uniform(-180, 180, n), alt)
        sigma = deleter.max_position_sigma_m * pick(0.5, 1.0 - 1e-12, 1.0 + 1e-12, 2.0)
        tracks = TrackBatch.new(
            ids=np.arange(n),
            states=states,
            covariances=np.repeat(np.eye(6)[None], n, 0) * (sigma**2)[:, None, None],
            times_s=np.zeros(n),
            mode_probabilities=np.ones((n, 1)),
            status=rng.integers(0, 2, n).astype(np.int8),
        )
        tracker.tracks = tracks.with_(
            last_update_s=-pick(1.0, 11.9, 12.0, 12.1, 29.9, 30.1, 40.0),
            opportunities=rng.integers(1, 8, n),
            history=pick(31, 0, 1, 3, 7, 12).astype(np.uint64),
        )
        gone, _ = deleter.delete(tracker.tracks, 0.0)
        failed = confirmer.failed(tracker.tracks)
        if tracker._nothing_to_delete(0.0):
            skipped += 1
            assert not gone.any() and not failed.any()
        deleted += bool(gone.any() or failed.any())
    assert skipped > 0 and deleted > 0


def _cued_tracks(rng, k, time_s):
    """``k`` IMM tracks of varied states (7: with ``kappa``) started by a cue at ``time_s``."""
    states = np.concatenate(
        [
            geodetic_to_ecef(
                rng.uniform(35, 38, k), rng.uniform(42, 46, k), rng.uniform(5e4, 4e5, k)
            ),
            rng.normal(size=(k, 3)) * 2000.0,
            rng.uniform(0.0, 2e-3, (k, 1)),
        ],
        axis=1,
    )
    p = np.diag([300.0**2] * 3 + [30.0**2] * 3 + [1e-4**2])
    return states, np.repeat(p[None], k, axis=0)


@pytest.mark.parametrize("seed", range(3))
def test_out_of_sequence_updates_equal_the_role_path_to_rounding(seed):
    """Tracks updated at 10 s (modes apart), then by radar and infrared detections taken
    0.5 to 12 s earlier (retrodicted measurement and lag noise, past one Runge-Kutta
    sub-step): one compiled scan against the role path's numpy update."""
    rng = np.random.default_rng(seed)
    states, p = _cued_tracks(rng, 3, 0.0)
    radar = _doppler_radar(36.9, 40.2)
    sat = geodetic_to_ecef(0.0, 45.0, 35_786e3)
    ir = EcefToLosAngles(
        sensor_position_ecef=sat, sensor_basis=geocentric_ned_basis(sat),
        noise_covariance=np.eye(2) * 1e-10,
    )  # fmt: skip
    truth = BallisticMotion(q=0.0, drag=False, j2=True)
    first = _radar_scan(10.0, radar, truth.function(states[:, :6], 10.0), rng, "a")
    for model, sensor in ((radar, "b"), (ir, "c")):
        lag = rng.uniform(0.5, 12.0)
        rows = truth.function(states[:, :6], 10.0 - lag)
        if sensor == "b":
            late = _radar_scan(10.0 - lag, model, rows, rng, sensor)
        else:
            z = model.function(rows) + rng.normal(size=(3, 2)) * 1e-5
            late = Scan(time_s=10.0 - lag, sensor_id=sensor, z=z,
                        noise=np.repeat(model.noise_covariance[None], 3, 0), model=model)  # fmt: skip
        fast, slow = Tracker(**_imm()), Tracker(**_imm(), compiled=False)
        for tracker in (fast, slow):
            tracker.cue(0.0, states, p, confirmed=True)
            tracker.step([first])
        _ERRORS.clear()
        _assert_same(fast, slow, fast.step([late]), slow.step([late]), sensor)
        assert np.all(fast.tracks.hits == 3), (
            f"every late detection updated its track: {fast.tracks.hits}"
        )
        assert np.all(fast.tracks.times_s == 10.0)
        print(f"{type(model).__name__}: largest difference {max(_ERRORS):.2e}")
        assert max(_ERRORS) <= 1e-10  # S mixes metres and radians: LU and Cholesky differ


def test_compiled_prediction_equals_the_predictors_to_rounding():
    """Mode mixing (the closed-form mode transition matrices), every mode's propagation and
    the combination, over steps of either sign, against the IMM predictor's own."""
    rng = np.random.default_rng(0)
    states, p = _cued_tracks(rng, 4, 0.0)
    tracker = Tracker(**_imm())
    tracker.cue(0.0, states, p)
    tracker.step([_radar_scan(1.0, _doppler_radar(36.9, 40.2), states[:, :6], rng, "a")])
    kernels = tracker._compiled_step()
    tracks = tracker.tracks
    for t in (1.0, 1.0 + 1e-9, -3.5, 25.0, -40.0):
        got, want = kernels.predict(tracks, t), tracker.predictor.predict(tracks, t)
        _ERRORS.clear()
        _assert_same_batch(got, want, f"at {t} s")
        assert max(_ERRORS) <= 1e-13, f"at {t} s: {max(_ERRORS):.2e}"


def test_scan_geometry_is_the_updaters_compiled_geometry():
    from bmdsim.tracking.fused import _scan_geometry
    from bmdsim.tracking.updater import _compiled_geometry

    site = radar_at(36.9, 36.2)
    for model in (
        _doppler_radar(36.9, 36.2),
        site,
        EcefToLosAngles(
            sensor_position_ecef=site.sensor_position_ecef,
            sensor_basis=site.sensor_basis,
            noise_covariance=np.eye(2),
        ),
    ):
        (kind, pos, vel, basis), one = _scan_geometry(model)
        want = _compiled_geometry(model, 1)
        assert one[0] == want[0] == kind
        for got_g, got, exp in zip(one[1:], (pos, vel, basis), want[1:], strict=True):
            assert np.array_equal(got_g, exp) and got_g.shape == exp.shape
            assert np.array_equal(got, exp[0]) and got.flags.c_contiguous
    assert _scan_geometry(object()) is None


@pytest.mark.parametrize("use_range_rate", [False, True])
def test_compiled_initiation_equals_the_initiator_to_rounding(use_range_rate):
    """Single-point initiation of a Doppler radar's detections (some without a measured
    RCS) appended to existing tracks: the compiled path against the initiator's numpy."""
    rng = np.random.default_rng(5)
    radar = _doppler_radar(36.9, 40.2)
    states, p = _cued_tracks(rng, 6, 0.0)

    def roles():
        out = _imm()
        out["initiator"] = dataclasses.replace(out["initiator"], use_range_rate=use_range_rate)
        return out

    fast, slow = Tracker(**roles()), Tracker(**roles(), compiled=False)
    scan = _radar_scan(0.0, radar, states[:, :6], rng, "a")
    scan = dataclasses.replace(scan, rcs_m2=np.r_[0.1, np.nan, 0.0, 2.0, np.inf, 0.5])
    for tracker in (fast, slow):
        far = states[:2] + np.r_[5e5, -5e5, 0.0, 0.0, 0.0, 0.0, 0.0]
        tracker.cue(0.0, far, p[:2])  # two tracks before, far from the detections
    _ERRORS.clear()
    _assert_same(fast, slow, fast.step([scan]), slow.step([scan]), "initiation")
    assert len(fast.tracks) == 8
    assert np.array_equal(fast.tracks.rcs_looks[2:], [1, 0, 0, 1, 0, 1])
    print(f"largest difference {max(_ERRORS):.2e}")
    # with the range rate the information spans 2 m/s (radial) to 3 km/s (tangential)
    assert max(_ERRORS) <= 1e-9
