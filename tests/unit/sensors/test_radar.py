"""Radars: determinism and chunking, cues and track dwells, sectors, outages, false alarms,
moving platforms, measurement noise statistics and empirical Pd."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from bmdsim.catalog import sensor
from bmdsim.earth import enu_basis, geodetic_to_ecef
from bmdsim.sensors import (
    CueSet,
    DetectionBatch,
    DetectionMode,
    EcefToRangeAzEl,
    FixedSite,
    OutageSchedule,
    Radar,
    SensorSuite,
    TruthTable,
    WaypointPlatform,
    detection_probability,
    measurement_sigma,
    wrap_angle,
)

KURECIK = FixedSite(lat_deg=38.35, lon_deg=37.79, alt_m=2000.0)


def kurecik(seed=0, **kw):
    return Radar(
        id="kurecik",
        type=sensor("an-tpy-2-fbm"),
        platform=KURECIK,
        boresight_az_rad=np.radians(110.0),
        seed=seed,
        **kw,
    )


def ship(seed=0):
    platform = WaypointPlatform.from_waypoints(
        [0.0, 400.0, 900.0], [35.3, 35.5, 35.5], [34.9, 35.1, 35.4], 25.0
    )
    return Radar(id="ddg", type=sensor("spy-1d"), platform=platform, seed=seed)


def _cues_from_truth_every(truth, period_s, radius_m=5e3):
    """Cue the booster object along its own path (the test plays the tracker's role)."""
    t = np.arange(truth.t_s[0], truth.t_s[-1], period_s)
    st = truth.state_at(t)[:, 1]
    ok = np.all(np.isfinite(st), axis=1)
    return CueSet.from_states(
        t_start_s=t[ok],
        t_end_s=t[ok] + period_s,
        t_ref_s=t[ok],
        state_ecef=st[ok],
        radius_m=radius_m,
    )


def _assert_same(a: DetectionBatch, b: DetectionBatch):
    assert len(a) == len(b)
    for f in dataclasses.fields(DetectionBatch):
        if f.name == "truth":
            continue
        np.testing.assert_array_equal(getattr(a, f.name), getattr(b, f.name), err_msg=f.name)
    np.testing.assert_array_equal(a.truth.object_id, b.truth.object_id)
    np.testing.assert_array_equal(a.truth.false_alarm, b.truth.false_alarm)


@pytest.mark.parametrize("make", [kurecik, ship])
def test_observing_in_many_windows_gives_the_same_detections_as_one(make, missile_truth):
    radar = make(seed=3)
    cues = _cues_from_truth_every(missile_truth, 20.0)
    whole = radar.observe(0.0, 900.0, missile_truth, cues)
    edges = [0.0, 0.5, 37.3, 100.0, 100.2, 333.333, 512.9, 900.0]
    pieces = DetectionBatch.concat(
        [radar.observe(a, b, missile_truth, cues) for a, b in itertools.pairwise(edges)]
    )
    assert len(whole) > 50
    _assert_same(whole, pieces)


def test_same_seed_same_detections_and_other_seeds_differ(missile_truth):
    a = kurecik(seed=5).observe(0.0, 900.0, missile_truth)
    b = kurecik(seed=5).observe(0.0, 900.0, missile_truth)
    c = kurecik(seed=6).observe(0.0, 900.0, missile_truth)
    _assert_same(a, b)
    assert len(a) != len(c) or not np.array_equal(a.z, c.z, equal_nan=True)


def test_adding_a_sensor_never_changes_another_sensors_detections(missile_truth):
    alone = SensorSuite(sensors=(kurecik(seed=1),)).observe(0.0, 900.0, missile_truth)
    both = SensorSuite(sensors=(ship(seed=1), kurecik(seed=1))).observe(0.0, 900.0, missile_truth)
    _assert_same(alone, both.take(both.sensor_id == "kurecik"))


def test_appending_objects_keeps_earlier_objects_noise(missile_truth):
    radar = kurecik(seed=2)
    extra = TruthTable.from_arrays(
        missile_truth.t_s,
        np.concatenate([missile_truth.states_ecef, missile_truth.states_ecef[:, :1]], axis=1),
        rcs_m2=[0.05, 5.0, 0.05],
        object_id=["rv", "booster", "copy"],
    )
    a = radar.observe(0.0, 900.0, missile_truth)
    b = radar.observe(0.0, 900.0, extra)
    keep = b.truth.object_id != "copy"
    _assert_same(a, b.take(keep))


def test_cues_add_track_dwells_at_the_revisit_rate(missile_truth):
    radar = kurecik(seed=1)
    cues = _cues_from_truth_every(missile_truth, 1.0)
    found = radar.observe(0.0, 900.0, missile_truth, cues)
    track = found.take(found.mode == DetectionMode.TRACK)
    booster = track.take(track.truth.object_id == "booster")
    assert len(booster) > 200
    gaps = np.diff(booster.t_s)
    assert np.all(np.abs(gaps - np.round(gaps)) < 1e-9), "dwells fall on the 1 s revisit grid"
    assert np.median(gaps) == pytest.approx(1.0)
    # the RV shares the trajectory, so it is inside every dwell too
    assert np.sum(track.truth.object_id == "rv") > 100
    uncued = radar.observe(0.0, 900.0, missile_truth)
    assert np.all(uncued.mode == DetectionMode.SEARCH)


def test_cue_elsewhere_produces_no_dwell_detections(missile_truth):
    far = geodetic_to_ecef(30.0, 20.0, 1e5)
    cues = CueSet.from_states(
        t_start_s=0.0,
        t_end_s=900.0,
        t_ref_s=0.0,
        state_ecef=np.concatenate([far, np.zeros(3)]),
        radius_m=1e4,
    )
    found = kurecik(seed=1).observe(0.0, 900.0, missile_truth, cues)
    assert not np.any(found.mode == DetectionMode.TRACK)


def test_boresight_away_from_the_threat_sees_nothing_but_false_alarms(missile_truth):
    radar = dataclasses.replace(kurecik(seed=1), boresight_az_rad=np.radians(290.0))
    found = radar.observe(0.0, 900.0, missile_truth, _cues_from_truth_every(missile_truth, 1.0))
    assert np.all(found.truth.false_alarm)


def test_scheduled_outage_silences_the_radar_and_is_logged(missile_truth):
    cues = _cues_from_truth_every(missile_truth, 1.0)
    radar = kurecik(seed=1).with_outage(150.0, 250.0)
    found = radar.observe(0.0, 900.0, missile_truth, cues)
    assert not np.any((found.t_s >= 150.0) & (found.t_s < 250.0))
    assert np.any(found.t_s >= 250.0) and np.any(found.t_s < 150.0)
    events = radar.status_changes(0.0, 900.0)
    assert [(e.t_s, e.up, e.cause) for e in events] == [
        (150.0, False, "scheduled"),
        (250.0, True, "scheduled"),
    ]
    assert radar.status_changes(0.0, 200.0) == events[:1]


def test_random_failures_follow_mtbf_and_mttr():
    radar = kurecik(seed=4, outages=OutageSchedule(mtbf_s=900.0, mttr_s=100.0))
    horizon = 2.0e6
    intervals = radar.down_intervals(horizon)
    down = sum(min(b, horizon) - a for a, b, _ in intervals)
    assert down / horizon == pytest.approx(0.1, abs=0.01), f"down fraction {down / horizon:.4f}"
    assert all(c == "failure" for _, _, c in intervals)
    chunked = radar.status_changes(0.0, 5e4) + radar.status_changes(5e4, 1e5)
    assert chunked == radar.status_changes(0.0, 1e5)


def test_false_alarm_count_is_poisson_with_the_volume_mean():
    radar = dataclasses.replace(
        kurecik(seed=9), type=dataclasses.replace(sensor("an-tpy-2-fbm"), pfa=1e-7)
    )
    empty = TruthTable.from_arrays(
        [0.0, 1.0], np.zeros((2, 0, 6)), rcs_m2=np.zeros(0), object_id=np.zeros(0, str)
    )
    frames = 2000
    found = radar.observe(0.0, frames * radar.type.search_frame_s, empty)
    lam = radar.false_alarms_per_frame()
    assert np.all(found.truth.false_alarm)
    mean = len(found) / frames
    assert mean == pytest.approx(lam, abs=4 * np.sqrt(lam / frames)), (
        f"mean {mean:.3f} vs {lam:.3f}"
    )
    # uniform over the searched volume
    assert found.z[:, 0].max() <= radar.type.max_range_m
    off = np.abs(wrap_angle(found.z[:, 1] - radar.boresight_az_rad))
    assert off.max() <= radar.type.azimuth_half_width_rad + 1e-12
    assert np.all(found.snr > -np.log(1e-7) - 1.0)


def test_ship_detections_carry_the_platform_position_at_the_look(missile_truth):
    radar = ship(seed=1)
    found = radar.observe(0.0, 900.0, missile_truth, _cues_from_truth_every(missile_truth, 1.0))
    assert len(found) > 20
    pos, vel = radar.platform.state_at(found.t_s)
    np.testing.assert_allclose(found.sensor_position_ecef, pos, atol=1e-6)
    speed = np.linalg.norm(vel[(found.t_s > 10) & (found.t_s < 390)], axis=-1)
    np.testing.assert_allclose(speed, speed[0], rtol=1e-3)  # a steady leg
    lat, lon, _ = radar.platform.geodetic_at(found.t_s)
    np.testing.assert_allclose(found.sensor_basis, enu_basis(lat, lon), atol=1e-12)


def _static_field(radar, n, range_m, seed=0):
    """Objects at a fixed slant range, spread over the search fence (static ECEF)."""
    rng = np.random.default_rng(seed)
    site = radar.platform
    az = radar.boresight_az_rad + rng.uniform(-0.9, 0.9, n) * radar.type.azimuth_half_width_rad
    el = rng.uniform(np.radians(2.0), np.radians(12.0), n)
    model = EcefToRangeAzEl(
        sensor_position_ecef=geodetic_to_ecef(site.lat_deg, site.lon_deg, site.alt_m),
        sensor_basis=enu_basis(site.lat_deg, site.lon_deg),
        noise_covariance=np.eye(3),
    )
    pos = model.inverse(np.stack([np.full(n, range_m), az, el], -1))
    states = np.concatenate([pos, np.zeros_like(pos)], -1)
    return TruthTable.from_arrays([-1e4, 1e5], np.stack([states, states]), rcs_m2=0.1), model


def test_measurement_errors_have_the_configured_mean_and_sigma_per_axis():
    radar = kurecik(seed=11)
    truth, model = _static_field(radar, 2500, 600e3)
    found = radar.observe(0.0, 100.0, truth)
    found = found.take(~found.truth.false_alarm)
    assert len(found) >= 10_000
    idx = found.truth.object_id.astype(int)
    true_z = model.function(truth.states_ecef[0, idx])
    err = np.column_stack([model.residual(found.z[:, :3], true_z), found.z[:, 3]])  # static: rate 0
    t = radar.type
    snr = found.snr
    expected_snr = t.reference_snr * (t.reference_range_m / 600e3) ** 4
    np.testing.assert_allclose(snr, expected_snr, rtol=1e-6)
    configured = [
        measurement_sigma(
            expected_snr,
            reference_snr=t.reference_snr,
            sigma_ref=t.range_sigma_ref_m,
            sigma_floor=t.range_sigma_floor_m,
        ),
        measurement_sigma(
            expected_snr,
            reference_snr=t.reference_snr,
            sigma_ref=t.angle_sigma_ref_rad,
            sigma_floor=t.angle_sigma_floor_rad,
        ),
        measurement_sigma(
            expected_snr,
            reference_snr=t.reference_snr,
            sigma_ref=t.angle_sigma_ref_rad,
            sigma_floor=t.angle_sigma_floor_rad,
        ),
        measurement_sigma(
            expected_snr,
            reference_snr=t.reference_snr,
            sigma_ref=t.range_rate_sigma_ref_m_s,
            sigma_floor=t.range_rate_sigma_floor_m_s,
        ),
    ]
    for axis, sigma in enumerate(configured):
        np.testing.assert_allclose(np.sqrt(found.covariance[:, axis, axis]), sigma, rtol=1e-12)
        mean, std = err[:, axis].mean(), err[:, axis].std(ddof=1)
        assert abs(mean) < 0.03 * sigma, f"axis {axis}: mean {mean:.3g} vs sigma {sigma:.3g}"
        assert abs(std / sigma - 1.0) < 0.03, f"axis {axis}: std {std:.4g} vs sigma {sigma:.4g}"


def test_empirical_detection_rate_matches_the_swerling_probability():
    radar = kurecik(seed=12)
    range_m = 1.35e6  # SNR ~ 16.8 dB: Pd ~ 0.6
    truth, _ = _static_field(radar, 3000, range_m, seed=1)
    looks = 3000 * 10
    found = radar.observe(0.0, 100.0, truth)
    hits = np.sum(~found.truth.false_alarm)
    t = radar.type
    pd = detection_probability(
        t.reference_snr * (t.reference_range_m / range_m) ** 4, t.pfa, t.swerling
    )
    sd = np.sqrt(pd * (1 - pd) / looks)
    assert hits / looks == pytest.approx(pd, abs=4 * sd), f"rate {hits / looks:.4f} vs Pd {pd:.4f}"


def _window_truth(truth, a, b):
    """The samples of ``truth`` in ``[a, b]`` only, as the engine builds per step."""
    keep = (truth.t_s >= a) & (truth.t_s <= b)
    ir = None if truth.ir_intensity_w_sr is None else truth.ir_intensity_w_sr[keep]
    return TruthTable(
        t_s=truth.t_s[keep],
        states_ecef=truth.states_ecef[keep],
        object_id=truth.object_id,
        rcs_m2=truth.rcs_m2,
        ir_intensity_w_sr=ir,
    )


@pytest.mark.parametrize("make", [kurecik, ship])
def test_truth_covering_only_each_window_gives_the_same_detections(make, missile_truth):
    """The engine hands each step a truth table of that step only: no look may need truth
    from before the window (e.g. at the start of a search frame begun earlier)."""
    radar = make(seed=8)
    cues = _cues_from_truth_every(missile_truth, 1.0)
    whole = radar.observe(0.0, 900.0, missile_truth, cues)
    edges = [0.0, 3.0, 10.0, 11.0, 57.0, 200.0, 201.0, 613.0, 900.0]
    pieces = DetectionBatch.concat(
        [
            radar.observe(a, b, _window_truth(missile_truth, a, b), cues)
            for a, b in itertools.pairwise(edges)
        ]
    )
    _assert_same(whole, pieces)
