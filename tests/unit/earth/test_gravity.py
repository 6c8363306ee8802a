"""Unit tests of gravitation, J2 and the rotating-frame accelerations."""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.earth.constants import A_M, B_M, GM_M3_S2, OMEGA_RAD_S
from bmdsim.earth.gravity import gravitation_ecef, gravity_ecef, rotating_frame_acceleration


def test_point_mass_gravitation_is_gm_over_r_squared_towards_the_centre():
    r = np.array([[7.0e6, 0.0, 0.0], [0.0, -8.0e6, 1.0e6], [1.0e6, 2.0e6, -3.0e6]])
    a = gravitation_ecef(r, j2=False)
    rn = np.linalg.norm(r, axis=-1, keepdims=True)
    np.testing.assert_allclose(a, -GM_M3_S2 * r / rn**3, rtol=1e-15)


def test_j2_makes_equatorial_pull_stronger_and_polar_pull_weaker_than_point_mass():
    """At equal radius the oblate Earth pulls harder at the equator than at the pole."""
    r = 7.0e6
    eq = np.linalg.norm(gravitation_ecef(np.array([r, 0.0, 0.0])))
    pole = np.linalg.norm(gravitation_ecef(np.array([0.0, 0.0, r])))
    point = GM_M3_S2 / r**2
    assert eq > point > pole


def test_gravitation_is_axially_symmetric_and_equatorially_mirrored():
    r = np.array([3.0e6, 4.0e6, 5.0e6])
    a = gravitation_ecef(r)
    c, s = np.cos(0.7), np.sin(0.7)
    rot = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]])
    np.testing.assert_allclose(gravitation_ecef(rot @ r), rot @ a, rtol=1e-14)
    mirror = np.diag([1.0, 1.0, -1.0])
    np.testing.assert_allclose(gravitation_ecef(mirror @ r), mirror @ a, rtol=1e-14)


def test_j2_gravitation_on_the_equatorial_plane_has_no_z_component():
    a = gravitation_ecef(np.array([[A_M, 0.0, 0.0], [0.0, 9.0e6, 0.0]]))
    assert np.all(a[:, 2] == 0.0)


def test_coriolis_is_perpendicular_to_velocity_and_spin_axis():
    r = np.zeros(3)
    v = np.array([[100.0, 200.0, 300.0], [-7000.0, 10.0, 0.0]])
    a = rotating_frame_acceleration(r, v)
    np.testing.assert_allclose(np.einsum("ij,ij->i", a, v), 0.0, atol=1e-12)
    np.testing.assert_allclose(a, -2.0 * np.cross([0.0, 0.0, OMEGA_RAD_S], v), rtol=1e-15)


def test_centrifugal_equals_minus_omega_cross_omega_cross_r():
    r = np.array([4.0e6, -3.0e6, 2.0e6])
    w = np.array([0.0, 0.0, OMEGA_RAD_S])
    expected = -np.cross(w, np.cross(w, r))
    np.testing.assert_allclose(rotating_frame_acceleration(r, np.zeros(3)), expected, rtol=1e-15)


def test_effective_gravity_at_pole_has_no_centrifugal_part():
    r = np.array([0.0, 0.0, B_M])
    np.testing.assert_array_equal(gravity_ecef(r), gravitation_ecef(r))


def test_effective_gravity_at_sea_level_is_about_9_8():
    r = np.array([[A_M, 0.0, 0.0], [0.0, 0.0, B_M]])
    g = np.linalg.norm(gravity_ecef(r), axis=-1)
    assert g[0] == pytest.approx(9.780, abs=2e-3)
    assert g[1] == pytest.approx(9.832, abs=2e-3)


@pytest.mark.parametrize("shape", [(), (5,), (4, 3)])
def test_gravity_functions_broadcast_over_leading_axes(shape):
    rng = np.random.default_rng(0)
    r = rng.normal(size=(*shape, 3)) * 7.0e6
    v = rng.normal(size=(*shape, 3)) * 1.0e3
    assert gravitation_ecef(r).shape == (*shape, 3)
    assert gravity_ecef(r).shape == (*shape, 3)
    assert rotating_frame_acceleration(r, v).shape == (*shape, 3)
    flat = gravitation_ecef(r.reshape(-1, 3)).reshape(r.shape)
    np.testing.assert_array_equal(gravitation_ecef(r), flat)
