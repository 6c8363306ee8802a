"""WGS-84 frames and geodesics against independent implementations and published examples.

References:
* PROJ via pyproj, ``Transformer.from_crs("EPSG:4979", "EPSG:4978")`` (geodetic 3-D to
  geocentric; the forward transform is exact closed form). Its inverse is itself approximate at
  altitude (``reference/validation.md``), so our inverse is checked against the known geodetic
  input of the forward transform instead.
* pymap3d (M. Hirsch, https://github.com/geospace-code/pymap3d) for ENU and AER.
* GeographicLib documentation examples (C. F. F. Karney, *Algorithms for geodesics*,
  J. Geodesy 87:43-55, 2013): Wellington to Salamanca inverse problem, Perth direct problem.
"""

from __future__ import annotations

import numpy as np
import pymap3d
import pytest
from pyproj import Transformer

from bmdsim.earth.constants import A_M, E2
from bmdsim.earth.frames import (
    ecef_to_aer,
    ecef_to_enu,
    ecef_to_geodetic,
    enu_to_aer,
    geodetic_to_ecef,
)
from bmdsim.earth.geodesic import geodesic_direct, geodesic_inverse

N_POINTS = 10_000


@pytest.fixture(scope="module")
def geodetic_points():
    """Random points: all latitudes (uniform on the sphere) and heights -1 km .. 40,000 km."""
    rng = np.random.default_rng(20260304)
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, N_POINTS)))
    lon = rng.uniform(-180.0, 180.0, N_POINTS)
    alt = np.concatenate(
        [
            rng.uniform(-1_000.0, 100_000.0, N_POINTS // 2),  # flight and sensor heights
            10.0 ** rng.uniform(5.0, np.log10(4.0e7), N_POINTS - N_POINTS // 2),  # to 40,000 km
        ]
    )
    lat[:4] = [90.0, -90.0, 0.0, 89.9999]  # poles and equator included
    return lat, lon, alt


def _horizontal_error_m(lat, lon, alt, lat2, lon2):
    """Distance [m] on the surface of height ``alt`` between two nearby geodetic positions."""
    s2 = np.sin(np.radians(lat)) ** 2
    n = A_M / np.sqrt(1.0 - E2 * s2)
    m = A_M * (1.0 - E2) / (1.0 - E2 * s2) ** 1.5
    dlat = np.radians(lat2 - lat)
    dlon = np.radians((lon2 - lon + 180.0) % 360.0 - 180.0)
    return np.hypot((m + alt) * dlat, (n + alt) * np.cos(np.radians(lat)) * dlon)


def test_geodetic_to_ecef_matches_proj_to_1_mm(geodetic_points):
    lat, lon, alt = geodetic_points
    xyz = geodetic_to_ecef(lat, lon, alt)
    tr = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=False)
    ref = np.stack(tr.transform(lat, lon, alt), axis=-1)
    err = np.linalg.norm(xyz - ref, axis=-1)
    assert err.max() <= 1e-3, f"max |ours - PROJ| = {err.max():.2e} m"


def test_ecef_to_geodetic_recovers_forward_input_to_1_mm(geodetic_points):
    """Inverse of PROJ's exact forward transform recovers the known (lat, lon, h)."""
    lat, lon, alt = geodetic_points
    tr = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=False)
    xyz = np.stack(tr.transform(lat, lon, alt), axis=-1)
    lat2, lon2, alt2 = ecef_to_geodetic(xyz)
    dh = np.abs(alt2 - alt)
    pole = np.abs(lat) == 90.0  # longitude is arbitrary there
    dxy = _horizontal_error_m(lat, np.where(pole, lon2, lon), alt, lat2, lon2)
    assert dh.max() <= 1e-3, f"max height error {dh.max():.2e} m"
    assert dxy.max() <= 1e-3, f"max horizontal error {dxy.max():.2e} m"


@pytest.fixture(scope="module")
def site_target_pairs():
    rng = np.random.default_rng(7)
    n = 2_000
    site = (
        np.degrees(np.arcsin(rng.uniform(-0.99, 0.99, n))),
        rng.uniform(-180.0, 180.0, n),
        rng.uniform(-400.0, 3_000.0, n),
    )
    target = geodetic_to_ecef(
        site[0] + rng.uniform(-20.0, 20.0, n),
        site[1] + rng.uniform(-20.0, 20.0, n),
        rng.uniform(0.0, 1.5e6, n),
    )
    return site, target


def test_ecef_to_enu_matches_pymap3d(site_target_pairs):
    site, target = site_target_pairs
    ours = ecef_to_enu(target, *site)
    ref = np.stack(pymap3d.ecef2enu(*target.T, *site, deg=True), axis=-1)
    err = np.linalg.norm(ours - ref, axis=-1)
    assert err.max() <= 1e-6, f"max |ours - pymap3d| = {err.max():.2e} m"


def test_ecef_to_aer_matches_pymap3d(site_target_pairs):
    site, target = site_target_pairs
    az, el, rng_m = ecef_to_aer(target, *site)
    az_ref, el_ref, rng_ref = pymap3d.ecef2aer(*target.T, *site, deg=True)
    daz = np.abs((np.degrees(az) - az_ref + 180.0) % 360.0 - 180.0)
    # azimuth is ill-defined at the zenith: weight its error by the horizontal distance
    daz_m = np.radians(daz) * rng_ref * np.cos(np.radians(el_ref))
    assert daz_m.max() <= 1e-6, f"max azimuth error x horizontal range {daz_m.max():.2e} m"
    assert np.abs(np.degrees(el) - el_ref).max() <= 1e-9
    assert np.abs(rng_m - rng_ref).max() <= 1e-6
    assert np.all((az >= 0.0) & (az < 2.0 * np.pi))


def test_geodesic_inverse_matches_geographiclib_wellington_salamanca():
    """GeographicLib docs: s12 = 19959679.267 m, azi1 = 161.067669986 deg, azi2 = 18.825195123 deg."""
    dist, az12, az21 = geodesic_inverse(-41.32, 174.81, 40.96, -5.50)
    assert dist == pytest.approx(19_959_679.267, abs=1e-3)
    assert np.degrees(az12) == pytest.approx(161.067669986, abs=1e-9)
    # azi2 is the forward azimuth at point 2; the back azimuth points the other way
    assert np.degrees(az21) == pytest.approx(18.825195123 + 180.0, abs=1e-9)


def test_geodesic_direct_matches_geographiclib_perth_example():
    """GeographicLib docs: 20,000 km south-west of Perth is (32.11195529 N, 63.95925278 W)."""
    lat, lon, back = geodesic_direct(-32.06, 115.74, np.radians(225.0), 20_000e3)
    assert lat == pytest.approx(32.11195529, abs=1e-8)
    assert lon == pytest.approx(-63.95925278, abs=1e-8)
    assert 0.0 <= back < 2.0 * np.pi


def test_short_geodesics_agree_with_chord_and_enu_azimuth():
    """Over 1 km the geodesic equals the chord (to < 1e-5 m) and the ENU azimuth (< 1e-7 rad)."""
    rng = np.random.default_rng(11)
    n = 500
    lat1 = rng.uniform(-80.0, 80.0, n)
    lon1 = rng.uniform(-180.0, 180.0, n)
    az = rng.uniform(0.0, 2.0 * np.pi, n)
    lat2, lon2, _ = geodesic_direct(lat1, lon1, az, 1_000.0)
    p1 = geodetic_to_ecef(lat1, lon1, 0.0)
    p2 = geodetic_to_ecef(lat2, lon2, 0.0)
    chord = np.linalg.norm(p2 - p1, axis=-1)
    assert np.abs(chord - 1_000.0).max() < 1e-5
    enu_az, _, _ = enu_to_aer(ecef_to_enu(p2, lat1, lon1, 0.0))
    daz = np.abs((enu_az - az + np.pi) % (2.0 * np.pi) - np.pi)
    assert daz.max() < 1e-7, f"max azimuth difference {daz.max():.1e} rad"


def test_geodesic_direct_then_inverse_round_trips():
    rng = np.random.default_rng(12)
    n = 1_000
    lat1 = rng.uniform(-89.0, 89.0, n)
    lon1 = rng.uniform(-180.0, 180.0, n)
    az = rng.uniform(0.0, 2.0 * np.pi, n)
    dist = rng.uniform(1.0, 1.5e7, n)
    lat2, lon2, back = geodesic_direct(lat1, lon1, az, dist)
    d, az12, az21 = geodesic_inverse(lat1, lon1, lat2, lon2)
    np.testing.assert_allclose(d, dist, rtol=0, atol=1e-6)
    np.testing.assert_allclose(np.abs((az12 - az + np.pi) % (2 * np.pi) - np.pi), 0.0, atol=1e-9)
    np.testing.assert_allclose(np.abs((az21 - back + np.pi) % (2 * np.pi) - np.pi), 0.0, atol=1e-9)
    assert np.all((az12 >= 0.0) & (az12 < 2.0 * np.pi) & (az21 >= 0.0) & (az21 < 2.0 * np.pi))


@pytest.mark.parametrize("shape", [(), (4,), (3, 5)])
def test_geodesic_functions_broadcast(shape):
    lat2 = np.full(shape, 10.0)
    d, a12, a21 = geodesic_inverse(0.0, 0.0, lat2, 5.0)
    assert d.shape == a12.shape == a21.shape == shape
    lat, lon, back = geodesic_direct(lat2, 0.0, 1.0, np.full(shape, 1e5))
    assert lat.shape == lon.shape == back.shape == shape
