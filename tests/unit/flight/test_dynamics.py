"""Equations of motion: compiled kernel against the numpy reference, air table against
USSA76, altitude against exact geodetic height, and each force term on its own."""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.earth.atmosphere import atmosphere
from bmdsim.earth.constants import G0_M_S2, OMEGA_RAD_S
from bmdsim.earth.frames import ecef_to_geodetic, geodetic_to_ecef
from bmdsim.earth.gravity import gravitation_ecef, rotating_frame_acceleration
from bmdsim.flight.air import air
from bmdsim.flight.dynamics import (
    Aero,
    Physics,
    Thrust,
    altitude,
    derivative,
    derivative_reference,
    drag_table,
)
from bmdsim.flight.propagation import ballistic_aero


def random_batch(n=2000, seed=0):
    rng = np.random.default_rng(seed)
    r = geodetic_to_ecef(
        rng.uniform(-85, 85, n), rng.uniform(-180, 180, n), rng.uniform(-500.0, 600e3, n)
    )
    v = rng.normal(size=(n, 3)) * rng.uniform(0.0, 4000.0, (n, 1))
    y = np.concatenate([r, v, rng.uniform(300.0, 20000.0, (n, 1))], axis=1)
    aero, _ = ballistic_aero(n, rng.uniform(50.0, 1e4, n))
    up = r / np.linalg.norm(r, axis=1, keepdims=True)
    dr = np.cross(up, [0.0, 0.0, 1.0])
    dr /= np.linalg.norm(dr, axis=1, keepdims=True)
    thrust = Thrust.from_arrays(
        thrust_vac_n=rng.uniform(1e5, 4e5, n) * (rng.random(n) < 0.8),
        mass_flow_kg_s=rng.uniform(50.0, 150.0, n),
        exit_area_m2=rng.uniform(0.2, 0.8, n),
        mode=rng.integers(0, 3, n),
        up=up,
        downrange=dr,
        kick_start_s=np.full(n, 5.0),
        kick_duration_s=np.full(n, 4.0),
        kick_angle_rad=rng.uniform(0.0, 0.2, n),
    )
    return y, aero, thrust, rng.uniform(0.0, 20.0, n)


@pytest.mark.parametrize(
    "physics",
    [
        Physics(),
        Physics(j2=False, rotating=False),
        Physics(drag=False),
        Physics(sphere_radius_m=6_371e3),
    ],
    ids=["full", "inertial-point-mass", "vacuum", "sphere"],
)
@pytest.mark.parametrize("powered", [False, True])
def test_compiled_kernel_matches_numpy_reference(physics, powered):
    y, aero, thrust, t = random_batch()
    idx = np.arange(y.shape[0])
    th = thrust if powered else None
    a = derivative(t, y, idx, physics=physics, aero=aero, thrust=th)
    b = derivative_reference(t, y, idx, physics=physics, aero=aero, thrust=th)
    err = np.max(np.abs(a - b) / (np.abs(b) + 1e-9))
    assert err < 1e-11, f"max relative difference {err:.1e}"


def test_ballistic_vacuum_terms_equal_earth_gravity_functions():
    y, aero, _, t = random_batch(500, seed=1)
    idx = np.arange(500)
    d = derivative(t, y, idx, physics=Physics(drag=False), aero=aero)
    expect = gravitation_ecef(y[:, :3]) + rotating_frame_acceleration(y[:, :3], y[:, 3:6])
    assert np.allclose(d[:, 3:6], expect, rtol=1e-12, atol=1e-12)
    assert np.array_equal(d[:, :3], y[:, 3:6])
    assert np.all(d[:, 6] == 0.0)
    d = derivative(t, y, idx, physics=Physics(drag=False, rotating=False, j2=False), aero=None)
    assert np.allclose(d[:, 3:6], gravitation_ecef(y[:, :3], j2=False), rtol=1e-12, atol=0)


def test_drag_is_opposite_to_velocity_with_the_standard_magnitude():
    """a = rho v^2 Cd A / (2 m) at 30 km, Mach ~ 10 (Cd = 0.2 on a flat curve)."""
    r = geodetic_to_ecef(30.0, 40.0, 30_000.0)[None]
    v = np.array([[3000.0, 0.0, 0.0]])
    y = np.concatenate([r, v, [[1000.0]]], axis=1)
    aero = Aero(
        area_m2=np.array([0.5]),
        drag_row=np.array([0]),
        cd_table=drag_table([((0.0, 0.2), (30.0, 0.2))]),
    )
    with_drag = derivative(0.0, y, [0], physics=Physics(), aero=aero)
    without = derivative(0.0, y, [0], physics=Physics(drag=False), aero=aero)
    a = (with_drag - without)[0, 3:6]
    rho = atmosphere(altitude(*r[0])).density_kg_m3
    expect = rho * 3000.0**2 * 0.2 * 0.5 / (2.0 * 1000.0)
    assert np.allclose(a, [-expect, 0.0, 0.0], rtol=1e-5)


def test_vertical_thrust_at_sea_level_loses_the_exit_pressure_force():
    r = geodetic_to_ecef(0.0, 0.0, 0.0)[None]
    y = np.concatenate([r, [[0.0, 0.0, 0.0, 10_000.0]]], axis=1)
    up = r / np.linalg.norm(r)
    thrust = Thrust.from_arrays(
        thrust_vac_n=[300_000.0], mass_flow_kg_s=[100.0], exit_area_m2=[0.5], mode=[0],
        up=up, downrange=[[0.0, 0.0, 1.0]], kick_start_s=[5.0], kick_duration_s=[4.0],
        kick_angle_rad=[0.0],
    )  # fmt: skip
    d = derivative(0.0, y, [0], physics=Physics(), aero=None, thrust=thrust)
    g = derivative(0.0, y, [0], physics=Physics(), aero=None)
    a = (d - g)[0, 3:6]
    assert np.allclose(a, up[0] * (300_000.0 - 101_325.0 * 0.5) / 10_000.0, rtol=1e-6)
    assert d[0, 6] == -100.0
    # ~ g0 sanity: the effective gravity at the equator is below g0
    assert 9.7 < np.linalg.norm(g[0, 3:6]) < G0_M_S2


def test_pitch_over_tilts_thrust_linearly_toward_downrange():
    r = geodetic_to_ecef(0.0, 0.0, 1000.0)[None]
    y = np.concatenate([r, [[0.0, 0.0, 100.0, 10_000.0]]], axis=1)
    up = r / np.linalg.norm(r)
    north = np.array([[0.0, 0.0, 1.0]])
    thrust = Thrust.from_arrays(
        thrust_vac_n=[1e5], mass_flow_kg_s=[50.0], exit_area_m2=[0.0], mode=[1], up=up,
        downrange=north, kick_start_s=[5.0], kick_duration_s=[4.0], kick_angle_rad=[0.1],
    )  # fmt: skip
    base = derivative(0.0, y, [0], physics=Physics(drag=False), aero=None)
    for t, angle in ((4.0, 0.0), (7.0, 0.05), (9.0, 0.1), (20.0, 0.1)):
        d = derivative(t, y, [0], physics=Physics(drag=False), aero=None, thrust=thrust)
        a = (d - base)[0, 3:6] / 10.0
        assert np.allclose(a, np.cos(angle) * up[0] + np.sin(angle) * north[0], atol=1e-12)


def test_air_table_matches_the_standard_atmosphere():
    z = np.random.default_rng(2).uniform(-5_000.0, 999_000.0, 50_000)
    std = atmosphere(z)
    rho, p, c = air(z)
    # the standard's own kinks (layer boundaries, upper segments) are smoothed over one cell
    kinks = np.array([0, 11, 20, 32, 47, 51, 71, 80, 84.852, 86, 91, 100, 110, 120, 150, 500]) * 1e3
    geometric = kinks * 6_356_766.0 / (6_356_766.0 - kinks)  # geopotential -> geometric
    near = np.min(np.abs(z[:, None] - np.concatenate([kinks, geometric])[None]), axis=1) < 60.0
    far = ~near
    e_rho = np.abs(rho / std.density_kg_m3 - 1.0)
    e_p = np.abs(p / std.pressure_pa - 1.0)
    e_c = np.abs(c - std.speed_of_sound_m_s)
    assert e_rho[far].max() < 2e-6, f"density {e_rho[far].max():.1e}"
    assert e_p[far].max() < 2e-6, f"pressure {e_p[far].max():.1e}"
    assert e_c[far].max() < 2e-3, f"speed of sound {e_c[far].max():.1e} m/s"
    assert e_rho.max() < 1e-4 and e_p.max() < 1e-4 and e_c.max() < 0.2


def test_altitude_is_within_0p6_m_of_geodetic_height_below_100_km():
    rng = np.random.default_rng(4)
    h = rng.uniform(0.0, 100e3, 20_000)
    r = geodetic_to_ecef(rng.uniform(-90, 90, h.size), rng.uniform(-180, 180, h.size), h)
    err = np.abs(altitude(r[:, 0], r[:, 1], r[:, 2]) - h).max()
    assert err < 0.6, f"{err:.3f} m"
    surface = geodetic_to_ecef(rng.uniform(-90, 90, 100), rng.uniform(-180, 180, 100), 0.0)
    assert np.abs(altitude(*surface.T)).max() < 1e-6
    assert np.allclose(ecef_to_geodetic(surface)[2], 0.0, atol=1e-6)


def test_rotation_terms_vanish_in_the_inertial_frame():
    r = geodetic_to_ecef(10.0, 20.0, 100e3)[None]
    y = np.concatenate([r, [[100.0, 200.0, 300.0, 1.0]]], axis=1)
    rot = derivative(0.0, y, [0], physics=Physics(drag=False), aero=None)
    ine = derivative(0.0, y, [0], physics=Physics(drag=False, rotating=False), aero=None)
    diff = (rot - ine)[0, 3:6]
    w = OMEGA_RAD_S
    expect = [2 * w * 200.0 + w * w * r[0, 0], -2 * w * 100.0 + w * w * r[0, 1], 0.0]
    assert np.allclose(diff, expect, rtol=1e-12, atol=1e-15)
