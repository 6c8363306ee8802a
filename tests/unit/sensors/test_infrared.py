"""Space infrared: boost-only detection, cloud tops, Earth limb, stereo triangulation,
LOS noise statistics, chunking."""

from __future__ import annotations

import dataclasses
import itertools

import numpy as np
import pytest

from bmdsim.catalog import sensor
from bmdsim.earth import ecef_to_geodetic, geodetic_to_ecef
from bmdsim.sensors import (
    DetectionBatch,
    EcefToLosAngles,
    KeplerOrbit,
    OrbitPlatform,
    SpaceInfrared,
    TruthTable,
    triangulate_lines,
)


def geo(longitude_deg, seed=0, name=None, **kw):
    return SpaceInfrared(
        id=name or f"geo-{longitude_deg:g}",
        type=sensor("sbirs-geo"),
        platform=OrbitPlatform(orbit=KeplerOrbit.geostationary(longitude_deg)),
        seed=seed,
        **kw,
    )


def test_plume_is_seen_only_while_burning_and_above_the_cloud_tops(missile_truth):
    found = geo(10.0, seed=1).observe(0.0, 900.0, missile_truth)
    true = found.take(~found.truth.false_alarm)
    assert len(true) > 20
    assert set(true.truth.object_id) == {"rv"}  # only the object with a plume
    # intensity holds from the last burning sample to the next sample (burnout)
    burn_end = missile_truth.t_s[np.flatnonzero(missile_truth.ir_intensity_w_sr[:, 0] > 0)[-1] + 1]
    assert true.t_s.max() < burn_end
    alt = ecef_to_geodetic(missile_truth.state_at(true.t_s)[:, 0, :3])[2]
    assert alt.min() >= 10e3
    print(f"\nfirst IR detection T+{true.t_s.min():.1f} s at {alt.min() / 1e3:.1f} km altitude")


def test_a_satellite_on_the_far_side_of_the_earth_sees_nothing(missile_truth):
    found = geo(-140.0, seed=1).observe(0.0, 900.0, missile_truth)
    assert np.all(found.truth.false_alarm)


def test_limb_occlusion_against_a_grazing_geometry():
    sat = geo(0.0)
    r_sat, _ = sat.platform.state_at(0.0)
    # target straight beyond the limb: antipode of the sub-satellite point, high up
    behind = geodetic_to_ecef(0.0, 180.0, 5e5)
    near_limb = geodetic_to_ecef(0.0, 80.0, 5e5)  # ~ 81.3 deg is the limb at 0 altitude
    inside_disc = geodetic_to_ecef(10.0, 20.0, 2e4)
    low = geodetic_to_ecef(10.0, 20.0, 5e3)  # below cloud tops
    states = np.stack(
        [np.concatenate([p, np.zeros(3)]) for p in (behind, near_limb, inside_disc, low)]
    )
    vis = sat.visible(0.0, states, np.full(4, 1e5))
    assert vis.tolist() == [False, True, True, False]
    assert r_sat.shape == (3,)


def test_two_geostationary_satellites_triangulate_the_boost(missile_truth):
    a, b = geo(10.0, seed=2), geo(75.0, seed=2)
    da, db = (s.observe(0.0, 900.0, missile_truth) for s in (a, b))
    da, db = (d.take(~d.truth.false_alarm) for d in (da, db))
    common = np.intersect1d(np.round(da.t_s, 6), np.round(db.t_s, 6))
    # the two satellites' frames are not synchronised: pair each of a's frames with b's nearest
    ia = np.flatnonzero(np.isin(np.round(da.t_s, 6), common)) if common.size else np.arange(len(da))
    errors = []
    for i in ia[:10]:  # a handful of pairs
        j = np.argmin(np.abs(db.t_s - da.t_s[i]))
        if abs(db.t_s[j] - da.t_s[i]) > 1.0:
            continue
        lines = []
        for d, k in ((da, i), (db, j)):
            m = EcefToLosAngles(
                sensor_position_ecef=d.sensor_position_ecef[k],
                sensor_basis=d.sensor_basis[k],
                noise_covariance=np.eye(2),
            )
            lines.append((d.sensor_position_ecef[k], m.line_of_sight_ecef(d.z[k, :2])))
        p = triangulate_lines(np.stack([o for o, _ in lines]), np.stack([u for _, u in lines]))
        truth = missile_truth.state_at(np.array([0.5 * (da.t_s[i] + db.t_s[j])]))[0, 0, :3]
        errors.append(np.linalg.norm(p - truth))
    assert len(errors) >= 5
    # 10 µrad at ~38,000 km is ~0.4 km per LOS, plus up to 1 s of motion between unsynchronised frames
    print(f"\nstereo triangulation errors [m]: {np.round(errors)}")
    assert np.median(errors) < 3e3, f"triangulation errors {np.round(errors)} m"


def test_los_noise_has_the_configured_mean_and_sigma_per_axis():
    sat = geo(40.0, seed=3)
    rng = np.random.default_rng(0)
    n = 1500
    pos = geodetic_to_ecef(rng.uniform(25, 45, n), rng.uniform(35, 55, n), rng.uniform(2e4, 1e5, n))
    states = np.concatenate([pos, np.zeros_like(pos)], -1)
    truth = TruthTable.from_arrays(
        [-10.0, 100.0],
        np.stack([states, states]),
        rcs_m2=1.0,
        ir_intensity_w_sr=np.full((2, n), 1e6),
    )
    found = sat.observe(0.0, 20.0, truth)
    found = found.take(~found.truth.false_alarm)
    assert len(found) >= 10_000
    idx = found.truth.object_id.astype(int)
    model = EcefToLosAngles(
        sensor_position_ecef=found.sensor_position_ecef,
        sensor_basis=found.sensor_basis,
        noise_covariance=found.covariance[:, :2, :2],
    )
    err = model.residual(found.z[:, :2], model.function(states[idx]))
    sigma = sat.type.los_sigma_rad
    for axis in range(2):
        mean, std = err[:, axis].mean(), err[:, axis].std(ddof=1)
        assert abs(mean) < 0.03 * sigma, f"axis {axis}: mean {mean:.3g}"
        assert abs(std / sigma - 1.0) < 0.03, f"axis {axis}: std {std:.4g} vs {sigma:.4g}"


def test_minimum_intensity_at_reference_range_is_detected_half_the_time():
    sat = geo(0.0)
    t = sat.type
    from bmdsim.sensors import infrared_detection_probability

    snr = sat.snr(t.min_radiant_intensity_w_sr, t.reference_range_m)
    assert infrared_detection_probability(snr, t.pfa) == pytest.approx(0.5, abs=1e-12)


def test_infrared_windows_do_not_change_the_detections(missile_truth):
    sat = geo(10.0, seed=4)
    whole = sat.observe(0.0, 300.0, missile_truth)
    edges = [0.0, 33.3, 34.0, 77.7, 300.0]
    pieces = DetectionBatch.concat(
        [sat.observe(a, b, missile_truth) for a, b in itertools.pairwise(edges)]
    )
    assert len(whole) == len(pieces) > 10
    for f in ("t_s", "z", "covariance", "snr", "sensor_position_ecef", "sensor_basis"):
        np.testing.assert_array_equal(getattr(whole, f), getattr(pieces, f))


def test_outage_stops_frames(missile_truth):
    sat = geo(10.0, seed=1).with_outage(0.0, 60.0)
    found = sat.observe(0.0, 900.0, missile_truth)
    assert found.t_s.min() >= 60.0
    assert [e.up for e in sat.status_changes(0.0, 900.0)] == [False, True]


def test_false_alarms_fall_on_the_earth_disc():
    sat = dataclasses.replace(
        geo(30.0, seed=5), type=dataclasses.replace(sensor("sbirs-geo"), pfa=1e-7)
    )
    empty = TruthTable.from_arrays(
        [0.0, 1.0], np.zeros((2, 0, 6)), rcs_m2=np.zeros(0), object_id=np.zeros(0, str)
    )
    found = sat.observe(0.0, 400.0, empty)
    lam = sat.false_alarms_per_frame(0.0)
    frames = 200
    assert len(found) / frames == pytest.approx(lam, rel=4 / np.sqrt(lam * frames))
    half_angle = np.arcsin((6_371e3 + 10e3) / np.linalg.norm(found.sensor_position_ecef[0]))
    off = np.hypot(np.tan(found.z[:, 0]), np.tan(found.z[:, 1]))
    assert np.arctan(off).max() <= half_angle + 1e-9


def test_infrared_needs_truth_of_the_window_only(missile_truth):
    from tests.unit.sensors.test_radar import _window_truth

    sat = geo(75.0, seed=6)
    whole = sat.observe(0.0, 200.0, missile_truth)
    edges = [0.0, 31.0, 32.0, 90.0, 200.0]
    pieces = DetectionBatch.concat(
        [
            sat.observe(a, b, _window_truth(missile_truth, a, b))
            for a, b in itertools.pairwise(edges)
        ]
    )
    assert len(whole) == len(pieces) > 10
    np.testing.assert_array_equal(whole.z, pieces.z)
