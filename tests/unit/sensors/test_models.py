"""Measurement models: values against pymap3d, analytic Jacobians against finite differences,
broadcasting, inverses and angle wrapping."""

from __future__ import annotations

import numpy as np
import pymap3d
import pytest

from bmdsim.earth import enu_basis, geodetic_to_ecef
from bmdsim.sensors import (
    EcefToLosAngles,
    EcefToRangeAzEl,
    EcefToRangeAzElRangeRate,
    geocentric_ned_basis,
    wrap_angle,
)
from bmdsim.sensors.orbits import KeplerOrbit

SITE = (38.35, 37.79, 2000.0)


def _radar_model(cls, n, rng):
    lat = rng.uniform(-60, 60, n)
    lon = rng.uniform(-180, 180, n)
    alt = rng.uniform(0, 3000, n)
    kwargs = dict(
        sensor_position_ecef=geodetic_to_ecef(lat, lon, alt),
        sensor_basis=enu_basis(lat, lon),
        noise_covariance=np.broadcast_to(np.eye(cls.ndim_meas), (n, cls.ndim_meas, cls.ndim_meas)),
    )
    if cls is EcefToRangeAzElRangeRate:
        kwargs["sensor_velocity_ecef"] = rng.normal(0, 10, (n, 3))
    model = cls(**kwargs)
    # targets 100-1500 km away, 5-80 deg elevation, any azimuth
    rng_m = rng.uniform(1e5, 1.5e6, n)
    az = rng.uniform(0, 2 * np.pi, n)
    el = rng.uniform(np.radians(5), np.radians(80), n)
    pos = model.inverse(np.stack([rng_m, az, el], axis=-1))
    vel = rng.normal(0, 2000, (n, 3))
    return model, np.concatenate([pos, vel], axis=-1)


def _los_model(n, rng):
    orbit = KeplerOrbit.geostationary(40.0)
    sat, _ = orbit.state_ecef(rng.uniform(0, 86400, n))
    basis = geocentric_ned_basis(sat)
    lat = rng.uniform(20, 50, n)
    lon = rng.uniform(20, 60, n)
    target = geodetic_to_ecef(lat, lon, rng.uniform(0, 3e5, n))
    model = EcefToLosAngles(
        sensor_position_ecef=sat, sensor_basis=basis, noise_covariance=np.eye(2) * 1e-10
    )
    return model, np.concatenate([target, rng.normal(0, 2000, (n, 3))], axis=-1)


def _finite_difference(model, x, step):
    n, d = x.shape
    m = model.ndim_meas
    jac = np.zeros((n, m, d))
    for k in range(d):  # loop over the 6 state components, not over objects
        e = np.zeros(d)
        e[k] = step[k]
        diff = model.residual(model.function(x + e), model.function(x - e))
        jac[:, :, k] = diff / (2 * step[k])
    return jac


@pytest.mark.parametrize("cls", [EcefToRangeAzEl, EcefToRangeAzElRangeRate])
def test_radar_jacobian_matches_central_differences(cls):
    rng = np.random.default_rng(1)
    model, x = _radar_model(cls, 500, rng)
    jac = model.jacobian(x)
    fd = _finite_difference(model, x, step=np.array([1.0, 1.0, 1.0, 0.01, 0.01, 0.01]))
    scale = np.max(np.abs(fd), axis=2, keepdims=True)
    err = np.max(np.abs(jac - fd) / scale)
    assert jac.shape == (500, cls.ndim_meas, 6)
    assert err < 1e-6, f"max relative Jacobian error {err:.2e}"


def test_los_jacobian_matches_central_differences():
    rng = np.random.default_rng(2)
    model, x = _los_model(500, rng)
    jac = model.jacobian(x)
    fd = _finite_difference(model, x, step=np.array([10.0, 10.0, 10.0, 1.0, 1.0, 1.0]))
    scale = np.max(np.abs(fd), axis=2, keepdims=True)
    err = np.max(np.abs(jac - fd) / scale)
    assert err < 1e-6, f"max relative Jacobian error {err:.2e}"


def test_range_az_el_matches_pymap3d():
    rng = np.random.default_rng(3)
    target = geodetic_to_ecef(
        rng.uniform(30, 45, 200), rng.uniform(30, 50, 200), rng.uniform(0, 5e5, 200)
    )
    model = EcefToRangeAzEl(
        sensor_position_ecef=geodetic_to_ecef(*SITE),
        sensor_basis=enu_basis(*SITE[:2]),
        noise_covariance=np.eye(3),
    )
    z = model.function(target)
    az_deg, el_deg, srange = pymap3d.ecef2aer(*target.T, *SITE, deg=True)
    az, el = np.radians(az_deg), np.radians(el_deg)
    assert np.max(np.abs(z[:, 0] - srange)) < 1e-6
    assert np.max(np.abs(wrap_angle(z[:, 1] - az))) < 1e-12
    assert np.max(np.abs(z[:, 2] - el)) < 1e-12


def test_range_rate_is_relative_velocity_along_the_line_of_sight():
    s = geodetic_to_ecef(*SITE)
    vs = np.array([5.0, -3.0, 1.0])
    x = np.concatenate([s + np.array([3e5, 4e5, 0.0]), np.array([100.0, 200.0, 50.0])])
    model = EcefToRangeAzElRangeRate(
        sensor_position_ecef=s,
        sensor_velocity_ecef=vs,
        sensor_basis=enu_basis(*SITE[:2]),
        noise_covariance=np.eye(4),
    )
    expected = np.dot([3e5, 4e5, 0.0], [95.0, 203.0, 49.0]) / 5e5
    assert model.function(x)[3] == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("shape", [(), (7,), (5, 7)])
def test_models_broadcast_over_leading_axes(shape):
    rng = np.random.default_rng(4)
    s = geodetic_to_ecef(*SITE)
    x = np.concatenate(
        [s + rng.normal(0, 3e5, (*shape, 3)) + [0, 0, 4e5], rng.normal(0, 1e3, (*shape, 3))],
        axis=-1,
    )
    model = EcefToRangeAzElRangeRate(
        sensor_position_ecef=s,
        sensor_velocity_ecef=np.zeros(3),
        sensor_basis=enu_basis(*SITE[:2]),
        noise_covariance=np.eye(4),
    )
    assert model.function(x).shape == (*shape, 4)
    assert model.jacobian(x).shape == (*shape, 4, 6)
    flat = model.function(x.reshape(-1, 6)).reshape(*shape, 4)
    np.testing.assert_array_equal(model.function(x), flat)


def test_radar_inverse_round_trips():
    rng = np.random.default_rng(5)
    model, x = _radar_model(EcefToRangeAzEl, 300, rng)
    back = model.inverse(model.function(x))
    assert np.max(np.linalg.norm(back - x[:, :3], axis=-1)) < 1e-6


def test_los_unit_vector_points_at_the_target():
    rng = np.random.default_rng(6)
    model, x = _los_model(300, rng)
    u = model.line_of_sight_ecef(model.function(x))
    d = x[:, :3] - model.sensor_position_ecef
    d /= np.linalg.norm(d, axis=-1, keepdims=True)
    assert np.max(np.linalg.norm(u - d, axis=-1)) < 1e-12


def test_azimuth_residual_wraps_across_north():
    model = EcefToRangeAzEl(
        sensor_position_ecef=np.zeros(3), sensor_basis=np.eye(3), noise_covariance=np.eye(3)
    )
    r = model.residual(
        np.array([1.0, np.radians(1.0), 0.0]), np.array([1.0, np.radians(359.0), 0.0])
    )
    assert r[1] == pytest.approx(np.radians(2.0), abs=1e-12)


def test_geocentric_ned_basis_is_right_handed_and_orthonormal():
    rng = np.random.default_rng(7)
    r = rng.normal(0, 4e7, (50, 3))
    b = geocentric_ned_basis(r)
    np.testing.assert_allclose(
        b @ np.swapaxes(b, -1, -2), np.broadcast_to(np.eye(3), (50, 3, 3)), atol=1e-12
    )
    np.testing.assert_allclose(np.linalg.det(b), 1.0, atol=1e-12)
    np.testing.assert_allclose(b[:, 2], -r / np.linalg.norm(r, axis=-1, keepdims=True), atol=1e-12)
