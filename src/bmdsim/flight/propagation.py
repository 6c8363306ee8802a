"""Ballistic propagation of state batches: states at requested times, and impact points.

Both functions integrate the equations of motion of :mod:`bmdsim.flight.dynamics` for a
batch of unpowered objects with the adaptive Dormand-Prince 5(4) integrator of
:mod:`bmdsim.core.integrate` (per-object steps) and locate the ground crossing of each object
on the quintic Hermite interpolant of its last step.

Drag of an object known only by its ballistic coefficient ``beta = m / (Cd_ref A)``
[kg/m^2] uses the Mach-dependent curve :data:`GENERIC_RV_DRAG_CURVE` scaled so that its
hypersonic value ``Cd_ref`` matches: ``a_drag = -rho |v| v Cd(M) / (2 beta Cd_ref)``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import numpy as np

from bmdsim.core.integrate import dopri5
from bmdsim.earth.frames import ecef_to_geodetic
from bmdsim.flight.dynamics import Aero, Physics, derivative, drag_table, ground_event

#: Drag curve ``((mach, cd), ...)`` of a generic slender sphere-cone reentry vehicle
#: (engineering estimate: subsonic ~0.3, transonic peak ~0.5, hypersonic ~0.28), used for
#: objects given by a ballistic coefficient only.
GENERIC_RV_DRAG_CURVE: tuple[tuple[float, float], ...] = (
    (0.0, 0.30),
    (0.8, 0.33),
    (1.0, 0.48),
    (1.2, 0.52),
    (2.0, 0.40),
    (4.0, 0.32),
    (8.0, 0.29),
    (20.0, 0.28),
)
#: Ballistic coefficient [kg/m^2] used when none is given (a slender MRBM reentry vehicle).
DEFAULT_BALLISTIC_COEFFICIENT_KG_M2: float = 5_000.0
#: Relative tolerance of coasts (per-step local error, Dormand-Prince 5(4)).
COAST_RTOL: float = 1e-10
#: Absolute tolerances of coasts: position [m], velocity [m/s], mass [kg].
COAST_ATOL: np.ndarray = np.array([1e-4, 1e-4, 1e-4, 1e-7, 1e-7, 1e-7, 1e-3])
#: Longest coast :func:`predict_impact` follows before giving up on an object [s].
MAX_COAST_S: float = 7_200.0


@dataclass(frozen=True, slots=True, kw_only=True)
class Impact:
    """Where and when a batch of objects reaches the ground (NaN for those that do not)."""

    #: ``(N,)`` impact time [s].
    t_s: np.ndarray
    #: ``(N, 6)`` ECEF state at impact [m, m/s].
    state: np.ndarray
    #: ``(N,)`` geodetic impact point [deg].
    lat_deg: np.ndarray
    lon_deg: np.ndarray


def ballistic_aero(n: int, ballistic_coefficient_kg_m2=None) -> tuple[Aero, np.ndarray]:
    """Aerodynamics for ``n`` objects given by their ballistic coefficient (scalar or
    ``(n,)``); returns ``(aero, mass_kg)`` with unit masses and areas ``1 / (beta Cd_ref)``."""
    beta = (
        DEFAULT_BALLISTIC_COEFFICIENT_KG_M2
        if ballistic_coefficient_kg_m2 is None
        else ballistic_coefficient_kg_m2
    )
    beta = np.broadcast_to(np.asarray(beta, dtype=float), (n,))
    if np.any(beta <= 0.0):
        raise ValueError("ballistic coefficients must be > 0 kg/m^2")
    cd_ref = GENERIC_RV_DRAG_CURVE[-1][1]
    aero = Aero(
        area_m2=1.0 / (beta * cd_ref),
        drag_row=np.zeros(n, dtype=np.intp),
        cd_table=drag_table([GENERIC_RV_DRAG_CURVE]),
    )
    return aero, np.ones(n)


def _with_mass(states, mass) -> np.ndarray:
    states = np.asarray(states, dtype=float)
    if states.ndim != 2 or states.shape[1] != 6:
        raise ValueError(f"states must be (N, 6), got {states.shape}")
    return np.concatenate([states, mass[:, None]], axis=1)


def propagate(
    states,
    t_s,
    *,
    j2: bool = True,
    drag: bool = True,
    rotating: bool = True,
    ballistic_coefficient_kg_m2=None,
    stop_at_ground: bool = True,
    rtol: float = COAST_RTOL,
) -> np.ndarray:
    """States ``(len(t_s), N, 6)`` of ballistic objects at times ``t_s`` [s].

    ``states`` ``(N, 6)``: position [m] and velocity [m/s] at t = 0 in ECEF (with
    ``rotating=False``: an inertial frame, no Earth-rotation terms, air at rest in it).
    ``t_s``: times >= 0 in any order. ``ballistic_coefficient_kg_m2``: scalar or ``(N,)``
    (default :data:`DEFAULT_BALLISTIC_COEFFICIENT_KG_M2`), used when ``drag`` is on. With
    ``stop_at_ground`` an object stops when it reaches the WGS-84 ellipsoid; its states at
    later times are NaN.
    """
    t = np.asarray(t_s, dtype=float)
    if t.ndim != 1:
        raise ValueError("t_s must be 1-D")
    if np.any(t < 0.0):
        raise ValueError("propagate runs forward from t = 0: every t_s must be >= 0")
    physics = Physics(j2=j2, drag=drag, rotating=rotating)
    n = np.asarray(states).shape[0]
    aero, mass = ballistic_aero(n, ballistic_coefficient_kg_m2)
    y0 = _with_mass(states, mass)
    order = np.argsort(t, kind="stable")
    t_sorted = t[order]
    t_end = float(t_sorted[-1]) if t.size else 0.0
    sol = dopri5(
        partial(derivative, physics=physics, aero=aero if drag else None),
        0.0,
        y0,
        t_end,
        rtol=rtol,
        atol=COAST_ATOL,
        event=ground_event(physics) if stop_at_ground else None,
        t_out=t_sorted,
        second_order=3,
    )
    if np.array_equal(order, np.arange(t.size)):
        return sol.y_out[:, :, :6]
    out = np.empty((t.size, n, 6))
    out[order] = sol.y_out[:, :, :6]
    return out


def predict_impact(
    states,
    *,
    t0_s=0.0,
    j2: bool = True,
    drag: bool = True,
    rotating: bool = True,
    ballistic_coefficient_kg_m2=None,
    sphere_radius_m: float | None = None,
    max_coast_s: float = MAX_COAST_S,
    rtol: float = COAST_RTOL,
) -> Impact:
    """Impact time, state and point of ballistic objects with ECEF ``states`` ``(N, 6)`` at
    times ``t0_s`` [s] (scalar or ``(N,)``).

    Physics as in :func:`propagate`; ``sphere_radius_m``: a spherical Earth of that radius
    (altitude and ground) instead of the WGS-84 ellipsoid. Objects still flying after
    ``max_coast_s`` get NaN. The impact altitude is zero to well under 1 m.
    """
    physics = Physics(j2=j2, drag=drag, rotating=rotating, sphere_radius_m=sphere_radius_m)
    n = np.asarray(states).shape[0]
    aero, mass = ballistic_aero(n, ballistic_coefficient_kg_m2)
    y0 = _with_mass(states, mass)
    t0 = np.broadcast_to(np.asarray(t0_s, dtype=float), (n,))
    sol = dopri5(
        partial(derivative, physics=physics, aero=aero if drag else None),
        t0,
        y0,
        t0 + max_coast_s,
        rtol=rtol,
        atol=COAST_ATOL,
        event=ground_event(physics),
        second_order=3,
    )
    t = np.where(sol.event, sol.t_s, np.nan)
    state = np.where(sol.event[:, None], sol.y[:, :6], np.nan)
    lat, lon, _ = ecef_to_geodetic(state[:, :3])
    return Impact(t_s=t, state=state, lat_deg=lat, lon_deg=lon)


__all__ = [
    "COAST_ATOL",
    "COAST_RTOL",
    "DEFAULT_BALLISTIC_COEFFICIENT_KG_M2",
    "GENERIC_RV_DRAG_CURVE",
    "Impact",
    "ballistic_aero",
    "predict_impact",
    "propagate",
]
