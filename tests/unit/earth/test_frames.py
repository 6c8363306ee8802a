"""Unit tests of the WGS-84 frame conversions on points whose answer is known in closed form."""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.earth.constants import A_M, B_M
from bmdsim.earth.frames import (
    aer_to_ecef,
    aer_to_enu,
    ecef_to_aer,
    ecef_to_enu,
    ecef_to_geodetic,
    ecef_vector_to_enu,
    enu_basis,
    enu_to_aer,
    enu_to_ecef,
    enu_vector_to_ecef,
    geodetic_to_ecef,
)


@pytest.mark.parametrize(
    ("lat", "lon", "alt", "xyz"),
    [
        (0.0, 0.0, 0.0, (A_M, 0.0, 0.0)),
        (0.0, 90.0, 0.0, (0.0, A_M, 0.0)),
        (0.0, 180.0, 1000.0, (-(A_M + 1000.0), 0.0, 0.0)),
        (90.0, 0.0, 0.0, (0.0, 0.0, B_M)),
        (-90.0, 0.0, 500.0, (0.0, 0.0, -(B_M + 500.0))),
    ],
)
def test_geodetic_to_ecef_matches_axis_points(lat, lon, alt, xyz):
    np.testing.assert_allclose(geodetic_to_ecef(lat, lon, alt), xyz, rtol=0, atol=1e-8)


@pytest.mark.parametrize(
    ("xyz", "lat", "alt"),
    [
        ((A_M, 0.0, 0.0), 0.0, 0.0),
        ((0.0, 0.0, B_M + 100.0), 90.0, 100.0),
        ((0.0, 0.0, -(B_M - 2000.0)), -90.0, -2000.0),
        ((A_M + 35_786_000.0, 0.0, 0.0), 0.0, 35_786_000.0),
    ],
)
def test_ecef_to_geodetic_on_axes(xyz, lat, alt):
    lat_out, _, alt_out = ecef_to_geodetic(np.array(xyz))
    assert lat_out == pytest.approx(lat, abs=1e-12)
    assert alt_out == pytest.approx(alt, abs=1e-6)


def test_ecef_to_geodetic_longitude_is_stable_across_the_antimeridian():
    lat, lon, alt = 10.0, np.array([179.9999999, -179.9999999, 180.0]), 100.0
    _, lon_out, _ = ecef_to_geodetic(geodetic_to_ecef(lat, lon, alt))
    np.testing.assert_allclose(np.abs(lon_out), np.abs(lon), atol=1e-9)
    assert np.sign(lon_out[0]) == 1 and np.sign(lon_out[1]) == -1


def test_ecef_to_geodetic_recovers_height_of_a_point_along_the_normal():
    """A point h metres along the ellipsoid normal has height h and the foot's latitude."""
    lat, lon = 37.25, -121.5
    foot = geodetic_to_ecef(lat, lon, 0.0)
    up = enu_basis(lat, lon)[2]
    for h in (-900.0, 1.0, 1.0e5, 4.0e7):
        lat_o, lon_o, alt_o = ecef_to_geodetic(foot + h * up)
        assert lat_o == pytest.approx(lat, abs=1e-11)
        assert lon_o == pytest.approx(lon, abs=1e-11)
        assert alt_o == pytest.approx(h, abs=1e-6 + 1e-15 * abs(h))


def test_enu_basis_is_orthonormal_and_right_handed():
    rng = np.random.default_rng(3)
    lat, lon = rng.uniform(-90, 90, 50), rng.uniform(-180, 180, 50)
    basis = enu_basis(lat, lon)
    np.testing.assert_allclose(
        basis @ np.swapaxes(basis, -1, -2), np.broadcast_to(np.eye(3), basis.shape), atol=1e-15
    )
    np.testing.assert_allclose(np.linalg.det(basis), 1.0, atol=1e-14)


def test_enu_basis_at_origin_is_y_z_x():
    np.testing.assert_allclose(enu_basis(0.0, 0.0), [[0, 1, 0], [0, 0, 1], [1, 0, 0]], atol=1e-16)


def test_site_itself_is_the_enu_origin():
    site = (41.0, 29.0, 120.0)
    np.testing.assert_allclose(ecef_to_enu(geodetic_to_ecef(*site), *site), 0.0, atol=1e-9)


def test_point_straight_above_site_is_at_zenith():
    site = (-33.9, 151.2, 50.0)
    above = geodetic_to_ecef(site[0], site[1], site[2] + 12_345.0)
    az, el, rng = ecef_to_aer(above, *site)
    assert el == pytest.approx(np.pi / 2, abs=1e-9)
    assert rng == pytest.approx(12_345.0, abs=1e-8)
    assert 0.0 <= az < 2 * np.pi


@pytest.mark.parametrize(
    ("enu", "az", "el"),
    [
        ((0.0, 1.0, 0.0), 0.0, 0.0),
        ((1.0, 0.0, 0.0), np.pi / 2, 0.0),
        ((0.0, -1.0, 0.0), np.pi, 0.0),
        ((-1.0, 0.0, 0.0), 3 * np.pi / 2, 0.0),
        ((1.0, 1.0, np.sqrt(2.0)), np.pi / 4, np.pi / 4),
    ],
)
def test_enu_to_aer_cardinal_directions(enu, az, el):
    az_o, el_o, r_o = enu_to_aer(np.array(enu))
    assert az_o == pytest.approx(az, abs=1e-15)
    assert el_o == pytest.approx(el, abs=1e-15)
    assert r_o == pytest.approx(np.linalg.norm(enu), rel=1e-15)


def test_azimuth_is_in_zero_two_pi_just_west_of_north():
    az, _, _ = enu_to_aer(np.array([-1e-300, 1.0, 0.0]))
    assert 0.0 <= az < 2 * np.pi


def test_aer_to_enu_inverts_enu_to_aer():
    enu = np.array([[1200.0, -3400.0, 560.0], [-5.0, 7.0, -2.0]])
    np.testing.assert_allclose(aer_to_enu(*enu_to_aer(enu)), enu, rtol=1e-14, atol=1e-12)


def test_vector_rotations_are_inverse_of_each_other():
    v = np.array([[100.0, -20.0, 3.0], [0.0, 0.0, 7000.0]])
    lat, lon = np.array([12.0, -80.0]), np.array([45.0, 170.0])
    back = enu_vector_to_ecef(ecef_vector_to_enu(v, lat, lon), lat, lon)
    np.testing.assert_allclose(back, v, atol=1e-10)


def test_aer_to_ecef_and_enu_to_ecef_agree():
    site = (36.8, 36.2, 10.0)
    enu = np.array([1.0e5, -2.0e5, 3.0e5])
    np.testing.assert_allclose(
        aer_to_ecef(*enu_to_aer(enu), *site), enu_to_ecef(enu, *site), rtol=0, atol=1e-7
    )
