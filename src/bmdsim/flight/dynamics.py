"""Equations of motion of a batch of flight objects in ECEF (or a non-rotating frame).

State per object ``y = [x, y, z, vx, vy, vz, m]`` (m, m/s, kg), ECEF (WGS-84). The derivative
is ``[v, a, dm/dt]`` with

    a = g(r) - 2 w x v - w x (w x r) + a_drag + F/m * u

* ``g(r)``: gravitation, point mass plus J2 (:func:`bmdsim.earth.gravitation_ecef`; Vallado,
  *Fundamentals of Astrodynamics and Applications*, eq. 8-30);
* ``-2 w x v - w x (w x r)``: Coriolis and centrifugal terms of the frame rotating with the
  Earth at ``w = (0, 0, OMEGA)`` (omitted when ``Physics.rotating`` is False: the frame is then
  inertial and the Earth and its air do not rotate);
* ``a_drag = -rho |v| v Cd(M) A / (2 m)``: drag of the air, at rest in the frame, with USSA76
  density at the object's altitude, Mach number ``M = |v| / c`` and a per-body drag curve
  ``Cd(M)`` (Zarchan, *Tactical and Strategic Missile Guidance*, ch. on ballistic targets);
* ``F = mdot g0 Isp_vac - p(h) A_exit``: rocket thrust with the ambient-pressure loss of the
  nozzle, along the steering direction ``u``; ``dm/dt = -mdot`` while thrusting.

Altitude for the air is measured radially above the ellipsoid,
``h = |r| - b / sqrt(1 - e^2 cos^2(phi_gc))`` (geocentric latitude ``phi_gc``): it is zero
exactly on the ellipsoid and differs from the geodetic height by at most 5.6e-6 h (0.56 m at
100 km, where it changes the density by 1e-4 relative).
With ``Physics.sphere_radius_m`` the Earth is a sphere instead (``h = |r| - R``).

Everything is vectorised over the batch; :func:`derivative` is the one entry point (the
integrators of :mod:`bmdsim.core.integrate` call it through a closure).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bmdsim.earth.constants import A_M, B_M, E2, G0_M_S2, GM_M3_S2, J2, OMEGA_RAD_S
from bmdsim.flight.air import air_table, interpolate

#: Mach grid of the drag tables: 0 to MACH_MAX in steps of MACH_STEP.
MACH_STEP: float = 0.01
MACH_MAX: float = 40.0
_N_MACH = round(MACH_MAX / MACH_STEP)
_J2_K = -1.5 * J2 * GM_M3_S2 * A_M * A_M


@dataclass(frozen=True, slots=True, kw_only=True)
class Physics:
    """Which forces act, and the shape of the Earth."""

    #: Include the J2 zonal harmonic of gravity.
    j2: bool = True
    #: Include aerodynamic drag.
    drag: bool = True
    #: ECEF frame rotating with the Earth (Coriolis, centrifugal); False: inertial frame,
    #: non-rotating Earth and air.
    rotating: bool = True
    #: Spherical Earth of this radius [m] for altitude (air, ground) instead of WGS-84.
    sphere_radius_m: float | None = None


def drag_table(curves) -> np.ndarray:
    """``(B, G)`` drag coefficients on the Mach grid from ``B`` curves ``((mach, cd), ...)``.

    Each curve is interpolated linearly (exact at grid Mach numbers, i.e. multiples of
    :data:`MACH_STEP`) and held constant beyond its ends.
    """
    grid = np.linspace(0.0, MACH_MAX, _N_MACH + 1)
    out = np.empty((len(curves), grid.size))
    for b, curve in enumerate(curves):
        pts = np.asarray(curve, dtype=float)
        out[b] = np.interp(grid, pts[:, 0], pts[:, 1])
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Aero:
    """Per-object aerodynamics: ``Cd(M) * area`` with ``Cd`` from row ``drag_row`` of
    ``cd_table`` (:func:`drag_table`)."""

    #: ``(N,)`` reference area [m^2] (0: no drag).
    area_m2: np.ndarray
    #: ``(N,)`` row of ``cd_table``.
    drag_row: np.ndarray
    #: ``(B, G)`` drag coefficient on the Mach grid.
    cd_table: np.ndarray


#: Columns of :attr:`Thrust.params`.
THRUST_COLUMNS: tuple[str, ...] = (
    "thrust_vac_n", "mass_flow_kg_s", "exit_area_m2", "mode", "up_x", "up_y", "up_z",
    "downrange_x", "downrange_y", "downrange_z", "kick_start_s", "kick_duration_s",
    "kick_angle_rad",
)  # fmt: skip


@dataclass(frozen=True, slots=True, kw_only=True)
class Thrust:
    """Per-object propulsion and steering for one powered segment, one row per object.

    Columns (:data:`THRUST_COLUMNS`): vacuum thrust [N] (0: not thrusting), propellant mass
    flow [kg/s], nozzle exit area [m^2], steering mode, ``up`` and ``downrange`` unit
    vectors (ECEF), pitch-over start [s], duration [s] and angle [rad]. Steering mode: 0
    along ``up`` (vertical rise), 1 pitch-over (``up`` tilted toward ``downrange`` by an
    angle growing linearly from 0 at the start to the pitch-over angle after the
    duration), 2 along the velocity relative to the air (gravity turn). Build it with
    :meth:`from_arrays`.
    """

    #: ``(N, 13)`` parameters, columns as :data:`THRUST_COLUMNS`.
    params: np.ndarray

    @classmethod
    def from_arrays(
        cls, *, thrust_vac_n, mass_flow_kg_s, exit_area_m2, mode, up, downrange,
        kick_start_s, kick_duration_s, kick_angle_rad,
    ) -> Thrust:  # fmt: skip
        """Pack per-object arrays (``(N,)``; ``up``, ``downrange`` ``(N, 3)``) into a table."""
        up = np.asarray(up, dtype=float)
        cols = [thrust_vac_n, mass_flow_kg_s, exit_area_m2, mode]
        cols += [up[:, 0], up[:, 1], up[:, 2]]
        dr = np.asarray(downrange, dtype=float)
        cols += [dr[:, 0], dr[:, 1], dr[:, 2], kick_start_s, kick_duration_s, kick_angle_rad]
        n = up.shape[0]
        params = np.stack([np.broadcast_to(np.asarray(c, dtype=float), (n,)) for c in cols], axis=1)
        return cls(params=np.ascontiguousarray(params))


def altitude(x, y, z, *, sphere_radius_m: float | None = None) -> np.ndarray:
    """Radial height [m] above the WGS-84 ellipsoid (or a sphere) of ECEF points.

    Zero exactly on the surface; within 5.6e-6 h of the geodetic height h (0.56 m at 100 km).
    """
    rho2 = x * x + y * y
    r2 = rho2 + z * z
    r = np.sqrt(r2)
    if sphere_radius_m is not None:
        return r - sphere_radius_m
    return r - B_M / np.sqrt(1.0 - E2 * rho2 / r2)


def _cd_lookup(cd_table: np.ndarray, rows: np.ndarray, mach: np.ndarray) -> np.ndarray:
    x = mach * (1.0 / MACH_STEP)
    np.clip(x, 0.0, _N_MACH - 1e-9, out=x)
    i = x.astype(np.intp)
    w = x - i
    flat = rows * (_N_MACH + 1) + i
    tab = cd_table.ravel()
    lo = tab[flat]
    return lo + w * (tab[flat + 1] - lo)


def derivative_reference(
    t, y, idx, *, physics: Physics, aero: Aero | None, thrust: Thrust | None = None
):
    """Numpy reference of :func:`derivative` (same arguments, same result to rounding).

    ``dy/dt`` ``(M, 7)`` for states ``y`` ``(M, 7)`` of objects ``idx`` at times ``t`` [s].

    ECEF (or inertial, see :class:`Physics`); see the module docstring for the equations.
    ``aero`` and ``thrust`` hold per-object parameters indexed by ``idx``; ``aero=None`` or
    ``physics.drag=False``: no drag; ``thrust=None``: ballistic. The result is a transposed
    view of a component-major array (cheap for :mod:`bmdsim.core.integrate`).
    """
    x, yy, z = y[:, 0], y[:, 1], y[:, 2]
    vx, vy, vz = y[:, 3], y[:, 4], y[:, 5]
    m = y[:, 6]
    out = np.empty((7, x.size))
    out[0], out[1], out[2] = vx, vy, vz
    rho2 = x * x + yy * yy
    r2 = rho2 + z * z
    r = np.sqrt(r2)
    inv_r2 = 1.0 / r2
    k = -GM_M3_S2 * inv_r2 / r
    ax, ay, az = out[3], out[4], out[5]
    if physics.j2:
        c = _J2_K * inv_r2 * inv_r2 / r
        zr = 5.0 * z * z * inv_r2
        kxy = k + c * (1.0 - zr)
        np.multiply(kxy, x, out=ax)
        np.multiply(kxy, yy, out=ay)
        np.multiply(k + c * (3.0 - zr), z, out=az)
    else:
        np.multiply(k, x, out=ax)
        np.multiply(k, yy, out=ay)
        np.multiply(k, z, out=az)
    if physics.rotating:
        w = OMEGA_RAD_S
        ax += (2.0 * w) * vy + (w * w) * x
        ay += (w * w) * yy - (2.0 * w) * vx
    out[6] = 0.0
    use_drag = physics.drag and aero is not None
    use_thrust = thrust is not None
    if use_drag or use_thrust:
        if physics.sphere_radius_m is not None:
            h = r - physics.sphere_radius_m
        else:
            h = r - B_M / np.sqrt(1.0 - E2 * rho2 * inv_r2)
        lnrho, lnp, c_sound = interpolate(air_table(), h)
        v2 = vx * vx + vy * vy + vz * vz
        v = np.sqrt(v2)
        inv_m = 1.0 / m
        if use_drag:
            rho = np.exp(lnrho)
            cd = _cd_lookup(aero.cd_table, aero.drag_row[idx], v / c_sound)
            kd = (-0.5 * rho) * v * cd * aero.area_m2[idx] * inv_m
            ax += kd * vx
            ay += kd * vy
            az += kd * vz
        if use_thrust:
            p = np.exp(lnp)
            tp = thrust.params[idx]
            force = np.maximum(tp[:, 0] - p * tp[:, 2], 0.0)
            mode = tp[:, 3]
            up = tp[:, 4:7]
            dr = tp[:, 7:10]
            theta = tp[:, 12] * np.clip((t - tp[:, 10]) / tp[:, 11], 0.0, 1.0)
            u = np.where(
                (mode == 1)[:, None], np.cos(theta)[:, None] * up + np.sin(theta)[:, None] * dr, up
            )
            moving = (mode == 2) & (v > 0.0)
            vel_dir = np.stack([vx, vy, vz], axis=-1) / np.where(v > 0.0, v, 1.0)[:, None]
            u = np.where(moving[:, None], vel_dir, u)
            fa = force * inv_m
            ax += fa * u[:, 0]
            ay += fa * u[:, 1]
            az += fa * u[:, 2]
            out[6] = -np.where(tp[:, 0] > 0.0, tp[:, 1], 0.0)
    return out.T


def derivative(t, y, idx, *, physics: Physics, aero: Aero | None, thrust: Thrust | None = None):
    """``dy/dt`` ``(M, 7)`` for states ``y`` ``(M, 7)`` of objects ``idx`` at times ``t`` [s].

    ECEF (or inertial, see :class:`Physics`); see the module docstring for the equations.
    ``aero`` and ``thrust`` hold per-object parameters indexed by ``idx``; ``aero=None`` or
    ``physics.drag=False``: no drag; ``thrust=None``: ballistic. Evaluated by a compiled loop
    over objects (:mod:`bmdsim.flight._kernel`, numba); :func:`derivative_reference` is the
    numpy reference it is tested against. Returns a transposed view of a component-major
    array (what :mod:`bmdsim.core.integrate` works in).
    """
    from bmdsim.flight import _kernel as kern

    yk = np.ascontiguousarray(np.asarray(y, dtype=float).T)
    m = yk.shape[1]
    t = np.asarray(t, dtype=float)
    if t.shape != (m,) or not t.flags.writeable:  # one compiled signature: writable C
        t = np.require(np.broadcast_to(t, (m,)), float, "CW")
    idx = np.asarray(idx, dtype=np.intp)
    out = np.empty((7, m))
    table = air_table()
    use_drag = physics.drag and aero is not None
    if use_drag:
        area, drag_row, cd_table = aero.area_m2, aero.drag_row, aero.cd_table
    else:
        area, drag_row, cd_table = kern._EMPTY, kern._EMPTY_ROW, kern._EMPTY_CD
    tp = kern._EMPTY_THRUST if thrust is None else thrust.params
    kern.derivative_kernel(
        t, yk, idx, out, physics.j2, physics.rotating, use_drag,
        -1.0 if physics.sphere_radius_m is None else float(physics.sphere_radius_m),
        area, drag_row, cd_table, 1.0 / MACH_STEP,
        table.rows, table.alt_min_m, table.inv_step_per_m, table.last_node,
        thrust is not None, tp,
    )  # fmt: skip
    return out.T


def ground_event(physics: Physics):
    """Event function ``g(t, y, idx) -> (M,)``: the altitude [m] of :func:`altitude`."""
    radius = physics.sphere_radius_m

    def g(t, y, idx):
        return altitude(y[:, 0], y[:, 1], y[:, 2], sphere_radius_m=radius)

    return g


def vacuum_thrust_n(mass_flow_kg_s, isp_vac_s) -> np.ndarray:
    """Vacuum thrust ``mdot g0 Isp`` [N]."""
    return np.asarray(mass_flow_kg_s, dtype=float) * G0_M_S2 * np.asarray(isp_vac_s, dtype=float)


__all__ = [
    "MACH_MAX",
    "MACH_STEP",
    "THRUST_COLUMNS",
    "Aero",
    "Physics",
    "Thrust",
    "altitude",
    "derivative",
    "derivative_reference",
    "drag_table",
    "ground_event",
    "vacuum_thrust_n",
]
