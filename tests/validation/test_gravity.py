"""J2 gravity against an independent closed form and against WGS-84 normal gravity.

References:
* The J2 geopotential U = -GM/r [1 - J2 (a/r)^2 P2(sin phi)], P2(x) = (3x^2 - 1)/2, phi the
  geocentric latitude (e.g. Vallado, *Fundamentals of Astrodynamics and Applications*, 4th ed.,
  sec. 8.7); the acceleration is -grad U, here by central finite differences of U (an
  implementation independent of the closed-form gradient in ``bmdsim.earth.gravity``).
* WGS-84 normal gravity on the ellipsoid, Somigliana's formula
  gamma(phi) = gamma_e (1 + k sin^2 phi) / sqrt(1 - e^2 sin^2 phi), k = b gamma_p / (a gamma_e) - 1,
  gamma_e = 9.7803253359 m/s^2, gamma_p = 9.8321849378 m/s^2 (NIMA TR8350.2, 3rd ed., eq. 4-1).
  The normal field also carries the ellipsoid's J4, J6...; a J2-only model plus the
  centrifugal term therefore agrees to about 1e-5, not exactly (measured 1.2e-5 at the pole).
"""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.earth.constants import A_M, B_M, E2, GM_M3_S2, J2
from bmdsim.earth.frames import enu_basis, geodetic_to_ecef
from bmdsim.earth.gravity import gravitation_ecef, gravity_ecef

GAMMA_E = 9.7803253359
GAMMA_P = 9.8321849378


def _j2_potential(r: np.ndarray) -> np.ndarray:
    rn = np.linalg.norm(r, axis=-1)
    sin_phi = r[..., 2] / rn
    p2 = 0.5 * (3.0 * sin_phi**2 - 1.0)
    return -GM_M3_S2 / rn * (1.0 - J2 * (A_M / rn) ** 2 * p2)


def _minus_gradient_fd(r: np.ndarray, h: float = 8.0) -> np.ndarray:
    out = np.empty_like(r)
    for k in range(3):
        dr = np.zeros(3)
        dr[k] = h
        out[..., k] = -(_j2_potential(r + dr) - _j2_potential(r - dr)) / (2.0 * h)
    return out


def test_j2_gravitation_is_minus_gradient_of_the_j2_potential():
    rng = np.random.default_rng(2)
    n = 300
    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    lon = rng.uniform(-180.0, 180.0, n)
    alt = np.concatenate(
        [rng.uniform(-500.0, 1.0e5, n // 2), rng.uniform(1.0e5, 3.6e7, n - n // 2)]
    )
    r = geodetic_to_ecef(lat, lon, alt)
    ours = gravitation_ecef(r)
    ref = _minus_gradient_fd(r)
    err = np.linalg.norm(ours - ref, axis=-1) / np.linalg.norm(ref, axis=-1)
    # finite-difference rounding ~ eps |U| / h ~ 1e-9 relative at the surface
    assert err.max() < 5e-9, f"max relative difference {err.max():.1e}"


def test_j2_term_alone_matches_the_potential_difference():
    """Isolates the J2 part (1e-3 of the total) so that the test is sensitive to its sign/scale."""
    r = geodetic_to_ecef(np.array([0.0, 35.0, 60.0, 89.0]), 20.0, 500e3)
    j2_part = gravitation_ecef(r) - gravitation_ecef(r, j2=False)
    rn = np.linalg.norm(r, axis=-1, keepdims=True)
    ref = _minus_gradient_fd(r) + GM_M3_S2 * r / rn**3
    np.testing.assert_allclose(j2_part, ref, rtol=2e-5, atol=5e-9)


def _somigliana(lat_deg):
    s2 = np.sin(np.radians(lat_deg)) ** 2
    k = B_M * GAMMA_P / (A_M * GAMMA_E) - 1.0
    return GAMMA_E * (1.0 + k * s2) / np.sqrt(1.0 - E2 * s2)


@pytest.mark.parametrize(("lat", "gamma"), [(0.0, GAMMA_E), (90.0, GAMMA_P), (-90.0, GAMMA_P)])
def test_surface_gravity_at_equator_and_poles_matches_wgs84_normal_gravity(lat, gamma):
    g = np.linalg.norm(gravity_ecef(geodetic_to_ecef(lat, 0.0, 0.0)))
    rel = abs(g / gamma - 1.0)
    assert rel < 1.5e-5, f"|g| = {g:.10f} vs {gamma} m/s^2: relative {rel:.1e}"


def test_surface_gravity_at_all_latitudes_matches_somigliana_in_size_and_direction():
    lat = np.linspace(-90.0, 90.0, 181)
    g = gravity_ecef(geodetic_to_ecef(lat, 33.0, 0.0))
    mag = np.linalg.norm(g, axis=-1)
    rel = np.abs(mag / _somigliana(lat) - 1.0)
    assert rel.max() < 1.5e-5, f"max relative difference {rel.max():.1e}"
    up = enu_basis(lat, 33.0)[..., 2, :]
    cos_dev = -np.einsum("ij,ij->i", g, up) / mag
    deflection_arcsec = np.degrees(np.arccos(np.clip(cos_dev, -1.0, 1.0))) * 3600.0
    # the normal-gravity vector is perpendicular to the ellipsoid; J2-only tilts it < 2"
    assert deflection_arcsec.max() < 2.0, f"max deflection {deflection_arcsec.max():.2f} arcsec"
