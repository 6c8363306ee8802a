"""Property tests of the frame conversions: round trips and broadcasting over batch shapes."""

from __future__ import annotations

import numpy as np
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from bmdsim.earth.frames import (
    aer_to_ecef,
    aer_to_enu,
    ecef_to_aer,
    ecef_to_enu,
    ecef_to_geodetic,
    enu_to_aer,
    enu_to_ecef,
    geodetic_to_ecef,
)

LAT = st.floats(-90.0, 90.0)
LON = st.floats(-180.0, 180.0)
ALT = st.floats(-5_000.0, 4.0e7)  # deep below sea level to beyond geostationary
SITE_ALT = st.floats(-500.0, 5_000.0)
SHAPES = st.sampled_from([(), (1,), (7,), (3, 4)])


def _wrap_deg(d):
    return (d + 180.0) % 360.0 - 180.0


@settings(max_examples=300, deadline=None)
@given(lat=LAT, lon=LON, alt=ALT)
def test_geodetic_ecef_round_trip(lat, lon, alt):
    lat2, lon2, alt2 = ecef_to_geodetic(geodetic_to_ecef(lat, lon, alt))
    r = max(abs(alt), 6.4e6)
    assert abs(alt2 - alt) <= 1e-6 + 1e-15 * r
    assert abs(lat2 - lat) <= 1e-10
    if abs(lat) < 89.999999:  # longitude is undefined at the poles
        assert abs(_wrap_deg(lon2 - lon)) * np.cos(np.radians(lat)) <= 1e-10


@settings(max_examples=200, deadline=None)
@given(
    x=st.floats(-5.0e7, 5.0e7),
    y=st.floats(-5.0e7, 5.0e7),
    z=st.floats(-5.0e7, 5.0e7),
)
def test_ecef_geodetic_round_trip(x, y, z):
    xyz = np.array([x, y, z])
    assume(np.linalg.norm(xyz) >= 6.2e6)  # any point from ~170 km below the surface outwards
    back = geodetic_to_ecef(*ecef_to_geodetic(xyz))
    assert np.linalg.norm(back - xyz) <= 1e-6 + 1e-15 * np.linalg.norm(xyz)


@settings(max_examples=200, deadline=None)
@given(
    lat=LAT,
    lon=LON,
    h=SITE_ALT,
    enu=hnp.arrays(float, 3, elements=st.floats(-3.0e6, 3.0e6)),
)
def test_enu_ecef_round_trip(lat, lon, h, enu):
    back = ecef_to_enu(enu_to_ecef(enu, lat, lon, h), lat, lon, h)
    assert np.linalg.norm(back - enu) <= 1e-8 * (1.0 + np.linalg.norm(enu)) + 1e-8


@settings(max_examples=200, deadline=None)
@given(
    az=st.floats(0.0, 2.0 * np.pi, exclude_max=True),
    el=st.floats(-np.pi / 2 + 1e-6, np.pi / 2 - 1e-6),
    rng=st.floats(1.0, 4.0e7),
)
def test_aer_enu_round_trip(az, el, rng):
    az2, el2, rng2 = enu_to_aer(aer_to_enu(az, el, rng))
    daz = abs((az2 - az + np.pi) % (2.0 * np.pi) - np.pi)
    assert daz * np.cos(el) <= 1e-12
    assert abs(el2 - el) <= 1e-12
    assert abs(rng2 - rng) <= 1e-14 * rng + 1e-9
    assert 0.0 <= az2 < 2.0 * np.pi


@settings(max_examples=100, deadline=None)
@given(
    lat=LAT,
    lon=LON,
    h=SITE_ALT,
    az=st.floats(0.0, 2.0 * np.pi, exclude_max=True),
    el=st.floats(-0.5, np.pi / 2 - 1e-3),
    rng=st.floats(10.0, 5.0e6),
)
def test_aer_ecef_round_trip(lat, lon, h, az, el, rng):
    az2, el2, rng2 = ecef_to_aer(aer_to_ecef(az, el, rng, lat, lon, h), lat, lon, h)
    daz = abs((az2 - az + np.pi) % (2.0 * np.pi) - np.pi)
    assert daz * rng * np.cos(el) <= 1e-6
    assert abs(el2 - el) * rng <= 1e-6
    assert abs(rng2 - rng) <= 1e-6


@settings(max_examples=60, deadline=None)
@given(shape=SHAPES, seed=st.integers(0, 2**32 - 1))
def test_conversions_broadcast_over_batch_shapes(shape, seed):
    """Each function maps (), (N,), (T, N) batches elementwise, same as a flat loop."""
    rng = np.random.default_rng(seed)
    lat = rng.uniform(-90.0, 90.0, shape)
    lon = rng.uniform(-180.0, 180.0, shape)
    alt = rng.uniform(-1e3, 1e6, shape)
    xyz = geodetic_to_ecef(lat, lon, alt)
    assert xyz.shape == (*shape, 3)
    out = ecef_to_geodetic(xyz)
    assert all(o.shape == shape for o in out)
    # one site against a batch of targets, and a batch of sites against one target
    enu = ecef_to_enu(xyz, 41.0, 29.0, 100.0)
    assert enu.shape == (*shape, 3)
    aer = ecef_to_aer(xyz, 41.0, 29.0, 100.0)
    assert all(a.shape == shape for a in aer)
    enu_sites = ecef_to_enu(xyz[(0,) * len(shape)] if shape else xyz, lat, lon, alt)
    assert enu_sites.shape == (*shape, 3)
    back = enu_to_ecef(enu, 41.0, 29.0, 100.0)
    np.testing.assert_allclose(back, xyz, rtol=0, atol=1e-6)
    # the batch result equals the element-by-element result
    flat = [ecef_to_enu(p, 41.0, 29.0, 100.0) for p in xyz.reshape(-1, 3)]
    np.testing.assert_array_equal(enu.reshape(-1, 3), np.array(flat).reshape(-1, 3))
