"""Predictor/updater contract, one test body for every filter variant."""

from __future__ import annotations

import numpy as np
import pytest
from tracking_helpers import RADAR_SIGMA, fly, launch_state, radar_at

from bmdsim.tracking import (
    BallisticMotion,
    BoostMotion,
    ExtendedKalmanPredictor,
    ExtendedKalmanUpdater,
    InteractingMultipleModelPredictor,
    TrackBatch,
    UnscentedKalmanPredictor,
    UnscentedKalmanUpdater,
)

R = np.diag(RADAR_SIGMA**2)


def _imm():
    return InteractingMultipleModelPredictor(
        predictors=(
            ExtendedKalmanPredictor(motion=BoostMotion(q=400.0)),
            ExtendedKalmanPredictor(motion=BallisticMotion(q=0.01)),
        ),
        transition_rates=np.array([[0.0, 0.02], [1e-4, 0.0]]),
    )


FILTERS = {
    "ekf": (
        lambda: ExtendedKalmanPredictor(motion=BallisticMotion(q=0.01)),
        ExtendedKalmanUpdater,
        1,
    ),
    "ukf": (
        lambda: UnscentedKalmanPredictor(motion=BallisticMotion(q=0.01)),
        UnscentedKalmanUpdater,
        1,
    ),
    "imm-ekf": (_imm, ExtendedKalmanUpdater, 2),
    "imm-ukf": (_imm, UnscentedKalmanUpdater, 2),
}


def _tracks(truth0, rng, n_modes, n=50):
    p0 = np.diag([500.0**2] * 3 + [50.0**2] * 3)
    x = truth0 + rng.multivariate_normal(np.zeros(6), p0, n)
    return TrackBatch.new(
        ids=np.arange(n),
        states=x,
        covariances=np.repeat(p0[None], n, 0),
        times_s=np.zeros(n),
        mode_probabilities=np.full((n, n_modes), 1.0 / n_modes),
    )


@pytest.mark.parametrize("name", FILTERS)
def test_filter_converges_and_keeps_covariances_positive_definite(name):
    make_predictor, updater_cls, n_modes = FILTERS[name]
    predictor, updater = make_predictor(), updater_cls()
    radar = radar_at(37.0, 44.5)
    truth = fly(launch_state(36.0, 46.0, 120e3, [-1500, 1500, 1800]), 60.0)[:, 0]
    rng = np.random.default_rng(7)
    tracks = _tracks(truth[0], rng, n_modes)
    n = len(tracks)
    for k in range(1, 61):
        tracks = predictor.predict(tracks, float(k))
        assert np.all(tracks.times_s == k)
        z = radar.function(truth[k]) + rng.normal(size=(n, 3)) * RADAR_SIGMA
        before = np.trace(tracks.covariances, axis1=1, axis2=2)
        tracks, ll = updater.update(tracks, z, np.repeat(R[None], n, 0), radar)
        assert ll.shape == (n,) and np.all(np.isfinite(ll))
        assert np.all(np.trace(tracks.covariances, axis1=1, axis2=2) < before)
        p = tracks.mode_covariances.reshape(-1, 6, 6)
        assert np.allclose(p, np.swapaxes(p, -1, -2), rtol=0, atol=1e-9 * np.abs(p).max())
        assert np.all(np.linalg.eigvalsh(p) > 0.0)
        assert np.allclose(tracks.mode_probabilities.sum(1), 1.0)
    rms = np.sqrt(np.mean(np.sum((tracks.states[:, :3] - truth[60, :3]) ** 2, axis=1)))
    sigma = np.sqrt(np.mean(np.trace(tracks.covariances[:, :3, :3], axis1=1, axis2=2)))
    assert rms < 60.0, f"{name}: position RMS error {rms:.1f} m after 60 updates"
    assert 0.5 < rms / sigma < 1.6, f"{name}: RMS error / filter sigma = {rms / sigma:.2f}"


@pytest.mark.parametrize("name", ["ekf", "ukf"])
def test_ekf_and_ukf_agree_on_a_mildly_nonlinear_update(name):
    radar = radar_at(37.0, 44.5)
    x = launch_state(36.0, 46.0, 120e3, [-1500, 1500, 1800])[None]
    p = np.diag([30.0**2] * 3 + [5.0**2] * 3)[None]
    tracks = TrackBatch.new(
        ids=np.arange(1),
        states=x,
        covariances=p,
        times_s=np.zeros(1),
        mode_probabilities=np.ones((1, 1)),
    )
    z = radar.function(x) + np.array([[15.0, 2e-3, -1e-3]])
    ekf, _ = ExtendedKalmanUpdater().update(tracks, z, R[None], radar)
    out, _ = FILTERS[name][1]().update(tracks, z, R[None], radar)
    assert np.max(np.abs(out.states - ekf.states)[:, :3]) < 0.5
    assert np.allclose(out.covariances, ekf.covariances, rtol=2e-2, atol=1e-3)


def test_azimuth_residual_wraps_across_north():
    radar = radar_at(0.0, 0.0)
    # target due north, slightly east/west: azimuth near 0 / 2 pi
    x = launch_state(2.0, 0.0, 100e3, [0, 100, 0])[None]
    p = np.diag([100.0**2] * 3 + [10.0**2] * 3)[None]
    tracks = TrackBatch.new(
        ids=np.arange(1),
        states=x,
        covariances=p,
        times_s=np.zeros(1),
        mode_probabilities=np.ones((1, 1)),
    )
    z = radar.function(x)
    z[0, 1] = 2 * np.pi - 1e-4 if z[0, 1] < 1.0 else 1e-4
    for updater in (ExtendedKalmanUpdater(), UnscentedKalmanUpdater()):
        out, _ = updater.update(tracks, z, R[None], radar)
        assert np.linalg.norm(out.states[0, :3] - x[0, :3]) < 100.0


def test_imm_prefers_boost_mode_under_thrust_and_ballistic_after_burnout():
    radar = radar_at(37.0, 44.5)
    truth = fly(
        launch_state(36.0, 46.0, 20e3, [-300, 300, 1200]), 120.0, thrust_m_s2=30.0, burn_s=60.0
    )[:, 0]
    rng = np.random.default_rng(3)
    predictor, updater = _imm(), ExtendedKalmanUpdater()
    tracks = _tracks(truth[0], rng, 2, n=20)
    mu = []
    for k in range(1, 121):
        tracks = predictor.predict(tracks, float(k))
        z = radar.function(truth[k]) + rng.normal(size=(20, 3)) * RADAR_SIGMA
        tracks, _ = updater.update(tracks, z, np.repeat(R[None], 20, 0), radar)
        mu.append(tracks.mode_probabilities.mean(0))
    mu = np.array(mu)
    assert mu[30:58, 0].mean() > 0.8, f"boost probability in boost {mu[30:58, 0].mean():.2f}"
    assert mu[80:, 1].mean() > 0.9, f"ballistic probability after burnout {mu[80:, 1].mean():.2f}"


def test_drag_state_converges_to_the_ballistic_coefficient_in_reentry():
    """kappa = Cd_hyp A / m = 1 / beta for the flight layer's body of ballistic coefficient beta."""
    from bmdsim.flight.propagation import propagate

    beta = 5000.0  # kg/m^2
    x0 = launch_state(35.0, 40.0, 90e3, [-2500.0, 1500.0, -2000.0])
    t = np.arange(0.0, 31.0)
    truth = propagate(x0[None], t, ballistic_coefficient_kg_m2=beta)[:, 0]
    assert np.all(np.isfinite(truth)), "still flying at 30 s"
    radar = radar_at(34.5, 38.5)
    rng = np.random.default_rng(13)
    n = 20
    p0 = np.diag([100.0**2] * 3 + [20.0**2] * 3 + [5e-4**2])
    x = np.concatenate([truth[0], [1e-3]]) + rng.multivariate_normal(
        np.zeros(7), np.diag([100.0**2] * 3 + [20.0**2] * 3 + [0.0]), n
    )
    tracks = TrackBatch.new(
        ids=np.arange(n),
        states=x,
        covariances=np.repeat(p0[None], n, 0),
        times_s=np.zeros(n),
        mode_probabilities=np.ones((n, 1)),
    )
    predictor = ExtendedKalmanPredictor(motion=BallisticMotion(q=0.01, drag=True, q_kappa=1e-10))
    updater = ExtendedKalmanUpdater()
    for k in range(1, 31):
        tracks = predictor.predict(tracks, t[k])
        z = radar.function(truth[k]) + rng.normal(size=(n, 3)) * RADAR_SIGMA
        tracks, _ = updater.update(tracks, z, np.repeat(R[None], n, 0), radar)
    kappa = tracks.states[:, 6]
    rel = np.abs(kappa.mean() * beta - 1.0)
    assert rel < 0.1, f"mean kappa {kappa.mean():.3e} vs 1/beta {1 / beta:.3e} ({rel:.1%})"
    pos = np.sqrt(np.mean(np.sum((tracks.states[:, :3] - truth[30, :3]) ** 2, axis=1)))
    sigma = np.sqrt(np.mean(np.trace(tracks.covariances[:, :3, :3], axis1=1, axis2=2)))
    assert pos < 2.0 * sigma, f"position RMS error {pos:.1f} m vs filter sigma {sigma:.1f} m"


def _drag_tracks(rng, n_modes):
    """Three 7-state tracks (one with a negative kappa) with distinct mode estimates."""
    x = np.stack(
        [
            launch_state(36.0, 46.0, 150e3, [-1500, 1500, 2000]),
            launch_state(35.0, 45.0, 40e3, [3000, 100, -500]),
            launch_state(33.0, 40.0, 60e3, [-1500, 1000, -2500]),
        ]
    )
    x = np.concatenate([x, [[2e-3], [-1e-3], [5e-3]]], axis=1)
    scale = np.array([300.0] * 3 + [30.0] * 3 + [1e-3])
    a = rng.normal(size=(3, 7, 7))
    p = (a @ np.swapaxes(a, 1, 2)) * scale[:, None] * scale[None]
    tracks = TrackBatch.new(
        ids=np.arange(3),
        states=x,
        covariances=p,
        times_s=np.zeros(3),
        mode_probabilities=np.full((3, n_modes), 1.0 / n_modes),
    )
    spread = rng.normal(size=tracks.mode_states.shape) * scale * 0.2
    return tracks.with_(mode_states=tracks.mode_states + spread), scale


def test_compiled_imm_prediction_matches_the_numpy_path():
    rng = np.random.default_rng(21)
    tracks, _ = _drag_tracks(rng, 2)
    predictor = InteractingMultipleModelPredictor(
        predictors=(
            ExtendedKalmanPredictor(motion=BoostMotion(q=1000.0, drag=True)),
            ExtendedKalmanPredictor(motion=BallisticMotion(q=1e-3, drag=True)),
        ),
        transition_rates=np.array([[0.0, 0.02], [1e-4, 0.0]]),
    )
    for t in (1.0, np.array([1.0, 3.5, -2.0])):
        fast, ref = predictor.predict(tracks, t), predictor.predict_reference(tracks, t)
        for name in ("states", "mode_states", "mode_probabilities"):
            assert np.array_equal(getattr(fast, name), getattr(ref, name)), name
        for name in ("covariances", "mode_covariances"):
            a, b = getattr(fast, name), getattr(ref, name)
            err = np.max(np.abs(a - b) / np.sqrt(np.einsum("...ii,...jj->...ij", b, b)))
            assert err < 1e-12, f"{name}: {err:.1e} of the correlation scale"


@pytest.mark.parametrize("kind", ["range-az-el", "range-az-el-rate", "los"])
@pytest.mark.parametrize("iterations", [1, 3])
def test_compiled_ekf_update_matches_the_numpy_path(kind, iterations):
    from bmdsim.earth.frames import geodetic_to_ecef
    from bmdsim.sensors.models import (
        EcefToLosAngles,
        EcefToRangeAzElRangeRate,
        geocentric_ned_basis,
    )

    rng = np.random.default_rng(22)
    tracks, scale = _drag_tracks(rng, 1)
    radar = radar_at(37.0, 44.5)
    if kind == "range-az-el":
        model, sigma = radar, RADAR_SIGMA
    elif kind == "range-az-el-rate":
        model = EcefToRangeAzElRangeRate(
            sensor_position_ecef=radar.sensor_position_ecef,
            sensor_velocity_ecef=np.array([3.0, -2.0, 1.0]),
            sensor_basis=radar.sensor_basis,
            noise_covariance=None,
        )
        sigma = np.array([*RADAR_SIGMA, 1.0])
    else:
        sat = geodetic_to_ecef(0.0, 60.0, 35_786e3)
        model = EcefToLosAngles(
            sensor_position_ecef=sat, sensor_basis=geocentric_ned_basis(sat), noise_covariance=None
        )
        sigma = np.array([2e-5, 2e-5])
    noise = np.repeat(np.diag(sigma**2)[None], 3, 0)
    z = model.function(tracks.states + rng.normal(size=(3, 7)) * scale * 0.5)
    updater = ExtendedKalmanUpdater(iterations=iterations)
    args = (tracks.states, tracks.covariances, z, noise, model)
    fast, ref = updater.update_arrays(*args), updater.update_arrays_reference(*args)
    for name, a, b in zip(("x", "P", "log-likelihood", "innovation", "S"), fast, ref, strict=True):
        err = np.max(np.abs(a - b)) / np.max(np.abs(b))
        assert err < 1e-11, f"{name}: relative error {err:.1e}"
    pred = updater.predict_measurement(tracks.states, tracks.covariances, model, noise)
    assert np.allclose(pred.z, model.function(tracks.states), rtol=1e-15, atol=1e-9)
    assert np.allclose(pred.jacobian[..., :6], model.jacobian(tracks.states), rtol=1e-13, atol=0)
