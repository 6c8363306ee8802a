"""Kepler propagation: invariants, geostationary hold, Molniya apogee, and agreement with a
numerical two-body integration (scipy)."""

from __future__ import annotations

import numpy as np
from scipy.integrate import solve_ivp

from bmdsim.earth import ecef_to_geodetic
from bmdsim.earth.constants import GM_M3_S2
from bmdsim.sensors import KeplerOrbit


def test_two_body_state_matches_numerical_integration_over_six_hours():
    """Reference: direct integration of r'' = -GM r / |r|^3 (scipy DOP853, rtol 1e-12)."""
    orbit = KeplerOrbit.molniya(apogee_longitude_deg=40.0)
    r0, v0 = orbit.inertial_state(0.0)
    t = np.linspace(0.0, 6 * 3600.0, 25)
    sol = solve_ivp(
        lambda _, y: np.concatenate([y[3:], -GM_M3_S2 * y[:3] / np.linalg.norm(y[:3]) ** 3]),
        (0, t[-1]),
        np.concatenate([r0, v0]),
        t_eval=t,
        method="DOP853",
        rtol=1e-12,
        atol=1e-6,
    )
    r, _ = orbit.inertial_state(t)
    err = np.max(np.linalg.norm(r - sol.y[:3].T, axis=-1))
    assert err < 1.0, f"position error vs integration {err:.3f} m"


def test_energy_and_angular_momentum_are_conserved():
    orbit = KeplerOrbit(
        semi_major_axis_m=2.6e7,
        eccentricity=0.7,
        inclination_rad=1.1,
        raan_rad=2.0,
        arg_perigee_rad=4.0,
        mean_anomaly_rad=1.0,
    )
    r, v = orbit.inertial_state(np.linspace(0.0, 2 * orbit.period_s, 400))
    energy = 0.5 * np.sum(v * v, -1) - GM_M3_S2 / np.linalg.norm(r, axis=-1)
    h = np.cross(r, v)
    assert np.ptp(energy) / abs(energy.mean()) < 1e-12
    assert np.max(np.linalg.norm(h - h[0], axis=-1)) / np.linalg.norm(h[0]) < 1e-12
    np.testing.assert_allclose(energy, -GM_M3_S2 / (2 * orbit.semi_major_axis_m), rtol=1e-12)


def test_geostationary_satellite_stays_over_its_longitude():
    orbit = KeplerOrbit.geostationary(57.0)
    r, v = orbit.state_ecef(np.linspace(0.0, 86400.0, 97))
    lat, lon, alt = ecef_to_geodetic(r)
    assert np.max(np.abs(lat)) < 1e-9 and np.max(np.abs(lon - 57.0)) < 1e-9
    np.testing.assert_allclose(alt, 35_786e3, atol=2e3)
    assert np.max(np.linalg.norm(v, axis=-1)) < 1e-6


def test_molniya_apogee_is_over_the_requested_point():
    orbit = KeplerOrbit.molniya(apogee_longitude_deg=40.0)
    r, _ = orbit.state_ecef(0.0)
    lat, lon, alt = ecef_to_geodetic(r)
    assert abs(lat - 63.4) < 0.3 and abs(lon - 40.0) < 1e-6
    assert abs(orbit.period_s - 43_082.0) < 2.0
    assert 39_000e3 < alt < 40_500e3
