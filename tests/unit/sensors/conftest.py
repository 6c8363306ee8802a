"""Shared fixtures: a crude powered + ballistic trajectory built here (independent of
bmdsim.flight), so the sensor tests run on plain arrays."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.integrate import solve_ivp

from bmdsim.earth import (
    ecef_to_geodetic,
    enu_basis,
    geodetic_to_ecef,
    gravitation_ecef,
    rotating_frame_acceleration,
)
from bmdsim.sensors import TruthTable

TABRIZ = (38.08, 46.29)
AKROTIRI = (34.59, 32.99)


def _initial_azimuth_rad(a, b):
    la1, lo1, la2, lo2 = map(np.radians, (*a, *b))
    y = np.sin(lo2 - lo1) * np.cos(la2)
    x = np.cos(la1) * np.sin(la2) - np.sin(la1) * np.cos(la2) * np.cos(lo2 - lo1)
    return np.arctan2(y, x)


def synthetic_missile(
    *,
    launch=TABRIZ,
    aim=AKROTIRI,
    burn_s=100.0,
    accel_m_s2=38.0,
    pitch_deg=45.0,
    dt_s=1.0,
    t_launch_s=0.0,
    t_end_s=900.0,
):
    """Times (T,), ECEF states (T, 6) NaN outside flight, and a burning mask (T,).

    Thrust of constant magnitude along a direction that turns from vertical to
    ``pitch_deg`` elevation (toward ``aim``) during the burn, then free flight on the
    rotating Earth (gravity with J2 + Coriolis/centrifugal) until ground impact.
    """
    az = _initial_azimuth_rad(launch, aim)
    basis = enu_basis(*launch)
    r0 = geodetic_to_ecef(*launch, 0.0)

    def thrust_dir(t):
        el = np.radians(90.0 - (90.0 - pitch_deg) * min(max((t - 10.0) / 60.0, 0.0), 1.0))
        enu = np.array([np.cos(el) * np.sin(az), np.cos(el) * np.cos(az), np.sin(el)])
        return enu @ basis

    def rhs(t, y):
        r, v = y[:3], y[3:]
        a = gravitation_ecef(r) + rotating_frame_acceleration(r, v)
        if t < burn_s:
            a = a + accel_m_s2 * thrust_dir(t)
        return np.concatenate([v, a])

    def ground(t, y):
        return ecef_to_geodetic(y[:3])[2] if t > 5.0 else 1.0

    ground.terminal = True
    ground.direction = -1
    t_eval = np.arange(0.0, t_end_s - t_launch_s + dt_s / 2, dt_s)
    sol = solve_ivp(
        rhs,
        (0.0, t_eval[-1]),
        np.concatenate([r0, np.zeros(3)]),
        t_eval=t_eval,
        events=ground,
        rtol=1e-10,
        atol=1e-6,
        max_step=5.0,
    )
    states = np.full((t_eval.size, 6), np.nan)
    states[: sol.y.shape[1]] = sol.y.T
    burning = (t_eval < burn_s) & np.isfinite(states[:, 0])
    return t_launch_s + t_eval, states, burning


@pytest.fixture(scope="session")
def missile_truth():
    """A Tabriz -> Akrotiri MRBM-like flight: RV (0.05 m2) and booster (5 m2) as one
    object pair sharing the trajectory; plume 1e5 W/sr during the 100 s burn."""
    t, s, burning = synthetic_missile()
    states = np.stack([s, s], axis=1)
    ir = np.stack([np.where(burning, 1e5, 0.0), np.zeros_like(t)], axis=1)
    rcs = np.array([0.05, 5.0])
    return TruthTable.from_arrays(
        t, states, rcs_m2=rcs, ir_intensity_w_sr=ir, object_id=["rv", "booster"]
    )
