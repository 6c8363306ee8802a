"""Helpers of the tracking tests: a radar, ballistic and boosting truths."""

from __future__ import annotations

import numpy as np

from bmdsim.earth.frames import enu_basis, geodetic_to_ecef
from bmdsim.earth.gravity import gravitation_ecef, rotating_frame_acceleration
from bmdsim.sensors.models import EcefToRangeAzEl

RADAR_SIGMA = np.array([10.0, 1e-3, 1e-3])  # range m, azimuth rad, elevation rad


def radar_at(lat_deg: float, lon_deg: float, alt_m: float = 0.0) -> EcefToRangeAzEl:
    r = np.diag(RADAR_SIGMA**2)
    return EcefToRangeAzEl(
        sensor_position_ecef=geodetic_to_ecef(lat_deg, lon_deg, alt_m),
        sensor_basis=enu_basis(lat_deg, lon_deg),
        noise_covariance=r,
    )


def launch_state(lat_deg, lon_deg, alt_m, v_enu) -> np.ndarray:
    """ECEF state (6,) at a geodetic point with an ENU velocity [m/s]."""
    r = geodetic_to_ecef(lat_deg, lon_deg, alt_m)
    return np.concatenate([r, np.asarray(v_enu, float) @ enu_basis(lat_deg, lon_deg)])


def fly(states, t_end_s, dt_s=1.0, thrust_m_s2=0.0, burn_s=0.0, substeps=20):
    """Truth ``(T+1, N, 6)`` at ``0, dt, ..`` — RK4 of gravity (J2) + rotation + thrust.

    Thrust acceleration along the velocity until ``burn_s``. Independent of the tracker's
    motion models (own integrator, fine steps).
    """
    x = np.array(states, dtype=float, ndmin=2)
    out = [x.copy()]
    h = dt_s / substeps
    t = 0.0

    def deriv(x, t):
        r, v = x[:, :3], x[:, 3:]
        a = gravitation_ecef(r) + rotating_frame_acceleration(r, v)
        if t < burn_s:
            a = a + thrust_m_s2 * v / np.linalg.norm(v, axis=1, keepdims=True)
        return np.concatenate([v, a], axis=1)

    for _ in range(round(t_end_s / dt_s)):
        for _ in range(substeps):
            k1 = deriv(x, t)
            k2 = deriv(x + 0.5 * h * k1, t + 0.5 * h)
            k3 = deriv(x + 0.5 * h * k2, t + 0.5 * h)
            k4 = deriv(x + h * k3, t + h)
            x = x + h / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
            t += h
        out.append(x.copy())
    return np.stack(out)
