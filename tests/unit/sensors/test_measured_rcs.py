"""Measured RCS: the radar inverts its own range equation at each look's fluctuating
detection statistic; infrared detections carry none (NaN)."""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.catalog import sensor
from bmdsim.catalog.sensors import SwerlingCase
from bmdsim.sensors import FixedSite, KeplerOrbit, OrbitPlatform, Radar, SpaceInfrared
from bmdsim.sensors.detection import (
    detection_probability,
    detection_statistic,
    radar_rcs,
    radar_snr,
)

PFA = 1e-6


def test_radar_rcs_inverts_the_range_equation():
    kw = dict(reference_snr=20.0, reference_range_m=5e5, reference_rcs_m2=1.0)
    r = np.array([1e5, 7e5, 2e6])
    rcs = np.array([0.01, 0.3, 8.0])
    back = radar_rcs(radar_snr(r, rcs, **kw), r, **kw)
    np.testing.assert_allclose(back, rcs, rtol=1e-12)


@pytest.mark.parametrize("case", list(SwerlingCase))
def test_statistic_exceeds_the_threshold_exactly_when_the_look_is_detected(case):
    rng = np.random.default_rng(1)
    u = rng.random(20000)
    snr = np.full(u.shape, 20.0)
    x = detection_statistic(u, snr, case)
    pd = detection_probability(snr, PFA, case)
    threshold = -np.log(PFA)
    near = np.abs(u - pd) < 1e-9
    assert np.array_equal((x > threshold)[~near], (u < pd)[~near])
    # the statistic's mean is 1 + SNR (noise power 1) in every Swerling case
    mean = x.mean()
    assert abs(mean - 21.0) < 4.0 * x.std() / np.sqrt(x.size), f"mean {mean:.3f} vs 21"


def test_swerling_1_measured_rcs_fluctuates_exponentially():
    """Swerling 1 at high SNR: measured SNR ~ SNR * Exp(1): std/mean ~ 1."""
    u = np.random.default_rng(2).random(50000)
    x = detection_statistic(u, np.full(u.shape, 1e4), SwerlingCase.SWERLING_1)
    s = x - 1.0
    cv = s.std() / s.mean()
    assert abs(cv - 1.0) < 0.03, f"coefficient of variation {cv:.3f}"


def test_radar_detections_measure_the_rv_and_the_booster_apart(missile_truth):
    """Truth: RV 0.05 m2, booster 5 m2 on the same path (conftest); ten seeds pooled."""
    rv, booster = [], []
    for seed in range(10):
        radar = Radar(
            id="kurecik",
            type=sensor("an-tpy-2-fbm"),
            platform=FixedSite(lat_deg=38.35, lon_deg=37.79, alt_m=2000.0),
            boresight_az_rad=np.radians(110.0),
            seed=seed,
        )
        det = radar.observe(0.0, 900.0, missile_truth)
        assert np.all(np.isfinite(det.rcs_m2)) and np.all(det.rcs_m2 > 0.0)
        log_rcs = np.log10(det.rcs_m2)
        real = ~det.truth.false_alarm
        rv.append(log_rcs[real & (det.truth.object_id == "rv")])
        booster.append(log_rcs[real & (det.truth.object_id == "booster")])
        taken = det.take(np.arange(len(det)) % 2 == 0).without_truth()
        np.testing.assert_array_equal(taken.rcs_m2, det.rcs_m2[::2])
    rv, booster = np.concatenate(rv), np.concatenate(booster)
    assert rv.size > 50 and booster.size > 50
    # Swerling 1: E[log10 Exp(1)] = -gamma / ln 10 = -0.2507, std 0.557 decades; the
    # booster is strong enough that only looks above threshold hardly bias it
    err = booster.mean() + 0.2507 - np.log10(5.0)
    assert abs(err) < 3.0 * 0.557 / np.sqrt(booster.size), f"booster log10 RCS off by {err:.3f}"
    # the RV's detected looks are biased up (only its strong echoes cross the threshold),
    # yet it stays far below a 0.5 m2 discrimination threshold
    assert booster.mean() - rv.mean() > 1.0, f"{booster.mean():.2f} vs {rv.mean():.2f}"
    assert np.mean(rv > np.log10(0.5)) < 0.02


def test_infrared_detections_have_no_rcs(missile_truth):
    sat = SpaceInfrared(
        id="geo",
        type=sensor("sbirs-geo"),
        platform=OrbitPlatform(orbit=KeplerOrbit.geostationary(45.0)),
        seed=0,
    )
    det = sat.observe(0.0, 200.0, missile_truth)
    assert len(det) > 0
    assert np.all(np.isnan(det.rcs_m2))
