"""Compiled (numba, ``cache=True``) loop over objects for the equations of motion.

The same arithmetic as :func:`bmdsim.flight.dynamics.derivative_reference`, one object at a
time, so that a batch derivative costs one pass over memory instead of one pass per numpy
operation. Tests check it against the numpy reference. Imported on first use only.

The ballistic part (:func:`ballistic_acceleration`: gravity, rotating-frame terms, drag on
the air table and a Mach drag curve) and the radial height (:func:`altitude`) are the one
compiled copy of that physics: the assessment layer's fixed-step coast calls them too, and
the tracking layer's motion model calls :func:`vacuum_acceleration` and :func:`altitude`
(plain compiled calls, not numba-level inlining: LLVM inlines where it pays, and the first
run compiles each function once instead of once per call site).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from bmdsim.earth.constants import A_M, B_M, E2, GM_M3_S2, J2, OMEGA_RAD_S

_J2_K = -1.5 * J2 * GM_M3_S2 * A_M * A_M

#: Options of the functions called only from other compiled functions: no Python or C entry
#: points (their wrappers are a good part of the compile time; the callers link the code).
_INNER = dict(cache=True, nogil=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)


@numba.njit(**_INNER, _nrt=False)
def altitude(x, y, z, sphere_radius_m):
    """Radial height [m] of the ECEF point ``(x, y, z)`` above the WGS-84 ellipsoid, or above
    a sphere of radius ``sphere_radius_m`` when that is ``> 0`` (pass ``-1.0`` for the
    ellipsoid): the arithmetic of :func:`bmdsim.flight.dynamics.altitude`."""
    rho2 = x * x + y * y
    r2 = rho2 + z * z
    r = math.sqrt(r2)
    if sphere_radius_m > 0.0:
        return r - sphere_radius_m
    return r - B_M / math.sqrt(1.0 - E2 * rho2 / r2)


@numba.njit(**_INNER, _nrt=False)
def _air(h, rows, alt_min, inv_step, last_node):
    x = (h - alt_min) * inv_step
    if x < 0.0:
        x = 0.0
    elif x > last_node - 1e-9:
        x = last_node - 1e-9
    i = int(x)
    s = x - i
    s2 = s * s
    s3 = s2 * s
    h01 = 3.0 * s2 - 2.0 * s3
    h10 = s3 - 2.0 * s2 + s
    h11 = s3 - s2
    lnrho = (
        rows[i, 0] + h01 * (rows[i + 1, 0] - rows[i, 0]) + h10 * rows[i, 3] + h11 * rows[i + 1, 3]
    )
    lnp = rows[i, 1] + h01 * (rows[i + 1, 1] - rows[i, 1]) + h10 * rows[i, 4] + h11 * rows[i + 1, 4]
    c = rows[i, 2] + h01 * (rows[i + 1, 2] - rows[i, 2]) + h10 * rows[i, 5] + h11 * rows[i + 1, 5]
    return lnrho, lnp, c


@numba.njit(**_INNER, _nrt=False)
def _cd(cd_table, row, mach, inv_mach_step):
    n = cd_table.shape[1]
    x = mach * inv_mach_step
    if x < 0.0:
        x = 0.0
    elif x > n - 1 - 1e-9:
        x = n - 1 - 1e-9
    i = int(x)
    w = x - i
    lo = cd_table[row, i]
    return lo + w * (cd_table[row, i + 1] - lo)


@numba.njit(**_INNER, _nrt=False)
def vacuum_acceleration(x, y, z, vx, vy, vz, j2, rotating):
    """``(ax, ay, az)`` [m/s^2] in vacuum at ECEF ``(x, y, z)`` [m] moving at ``(vx, vy, vz)``
    [m/s]: point-mass gravitation, with ``j2`` the J2 term, and with ``rotating`` the
    Coriolis and centrifugal terms of the frame turning with the Earth."""
    w = OMEGA_RAD_S
    r2 = x * x + y * y + z * z
    r = math.sqrt(r2)
    inv_r2 = 1.0 / r2
    k = -GM_M3_S2 * inv_r2 / r
    if j2:
        c = _J2_K * inv_r2 * inv_r2 / r
        zr = 5.0 * z * z * inv_r2
        kxy = k + c * (1.0 - zr)
        ax = kxy * x
        ay = kxy * y
        az = (k + c * (3.0 - zr)) * z
    else:
        ax = k * x
        ay = k * y
        az = k * z
    if rotating:
        ax += (2.0 * w) * vy + (w * w) * x
        ay += (w * w) * y - (2.0 * w) * vx
    return ax, ay, az


@numba.njit(**_INNER, _nrt=False)
def ballistic_acceleration(
    x, y, z, vx, vy, vz, kappa, cd_table, cd_row, j2, rotating, sphere_radius_m,
    rows, alt_min, inv_step, last_node, inv_mach_step,
):  # fmt: skip
    """``(ax, ay, az)`` [m/s^2] of a ballistic body at ECEF ``(x, y, z)`` [m], ``(vx, vy, vz)``
    [m/s]: :func:`vacuum_acceleration` plus, when ``kappa > 0``, the drag
    ``-1/2 rho(h) |v| v cd_table[cd_row](M) kappa`` of air at rest in the frame.

    ``kappa`` [m^2/kg]: the drag area per unit mass that multiplies the drag table, ``A / m``
    with a table of ``Cd(M)`` or ``Cd_ref A / m`` with a table of ``Cd(M) / Cd_ref`` (``<= 0``:
    no drag, no air lookup). ``h``: :func:`altitude` (``sphere_radius_m``). Air: the cubic
    Hermite table of :func:`bmdsim.flight.air.air_table` (``rows``, ``alt_min``, ``inv_step``,
    ``last_node``); Mach ``M = |v| / c(h)`` on the drag table's grid (``inv_mach_step``).
    """
    ax, ay, az = vacuum_acceleration(x, y, z, vx, vy, vz, j2, rotating)
    if kappa > 0.0:
        h = altitude(x, y, z, sphere_radius_m)
        lnrho, _lnp, c_sound = _air(h, rows, alt_min, inv_step, last_node)
        kd = _drag_factor(vx, vy, vz, kappa, lnrho, c_sound, cd_table, cd_row, inv_mach_step)
        ax += kd * vx
        ay += kd * vy
        az += kd * vz
    return ax, ay, az


@numba.njit(**_INNER, _nrt=False)
def _drag_factor(vx, vy, vz, kappa, lnrho, c_sound, cd_table, cd_row, inv_mach_step):
    """``-1/2 rho |v| Cd(M) kappa`` [1/s]: the drag acceleration is this times the velocity."""
    v = math.sqrt(vx * vx + vy * vy + vz * vz)
    cd = _cd(cd_table, cd_row, v / c_sound, inv_mach_step)
    return -0.5 * math.exp(lnrho) * v * cd * kappa


@numba.njit(
    **_INNER,
    _nrt=False,
    locals={"row": numba.int64},
)
def acceleration_one(
    t, x, y, z, vx, vy, vz, m, o, j2, rotating, drag, sphere_radius_m, area, drag_row,
    cd_table, inv_mach_step, rows, alt_min, inv_step, last_node, powered, tp,
):  # fmt: skip
    """``(ax, ay, az, dm/dt)`` of one object (index ``o`` into the parameter arrays; ``tp``
    the thrust table of :class:`bmdsim.flight.dynamics.Thrust`): :func:`ballistic_acceleration`
    with ``kappa = A / m`` and the thrust while it burns."""
    kappa = 0.0
    row = 0
    if drag:
        kappa = area[o] / m
        row = drag_row[o]
    thrust = powered and tp[o, 0] > 0.0
    if thrust and kappa > 0.0:  # ballistic_acceleration with the air looked up once
        ax, ay, az = vacuum_acceleration(x, y, z, vx, vy, vz, j2, rotating)
        h = altitude(x, y, z, sphere_radius_m)
        lnrho, lnp, c_sound = _air(h, rows, alt_min, inv_step, last_node)
        kd = _drag_factor(vx, vy, vz, kappa, lnrho, c_sound, cd_table, row, inv_mach_step)
        ax += kd * vx
        ay += kd * vy
        az += kd * vz
    else:
        ax, ay, az = ballistic_acceleration(
            x, y, z, vx, vy, vz, kappa, cd_table, row, j2, rotating, sphere_radius_m,
            rows, alt_min, inv_step, last_node, inv_mach_step,
        )  # fmt: skip
        lnp = 0.0
        if thrust:
            h = altitude(x, y, z, sphere_radius_m)
            _lnrho, lnp, _c = _air(h, rows, alt_min, inv_step, last_node)
    dm = 0.0
    if thrust:
        force = tp[o, 0] - math.exp(lnp) * tp[o, 2]
        if force < 0.0:
            force = 0.0
        md = tp[o, 3]
        v = math.sqrt(vx * vx + vy * vy + vz * vz)
        if md == 2.0 and v > 0.0:
            ux = vx / v
            uy = vy / v
            uz = vz / v
        elif md == 1.0:
            s = (t - tp[o, 10]) / tp[o, 11]
            if s < 0.0:
                s = 0.0
            elif s > 1.0:
                s = 1.0
            th = tp[o, 12] * s
            ct = math.cos(th)
            st = math.sin(th)
            ux = ct * tp[o, 4] + st * tp[o, 7]
            uy = ct * tp[o, 5] + st * tp[o, 8]
            uz = ct * tp[o, 6] + st * tp[o, 9]
        else:
            ux = tp[o, 4]
            uy = tp[o, 5]
            uz = tp[o, 6]
        fa = force / m
        ax += fa * ux
        ay += fa * uy
        az += fa * uz
        dm = -tp[o, 1]
    return ax, ay, az, dm


# compiled without the reference-counting runtime: the kernel allocates nothing, and with
# it numba increments/decrements the parameter arrays on every inlined per-object call
# (10x slower)
@numba.njit(cache=True, nogil=True, _nrt=False)
def derivative_kernel(
    t, Y, idx, out, j2, rotating, drag, sphere_radius_m, area, drag_row, cd_table,
    inv_mach_step, rows, alt_min, inv_step, last_node, powered, tp,
):  # fmt: skip
    """Write ``dy/dt`` of component-major states ``Y`` ``(7, M)`` into ``out`` ``(7, M)``."""
    for j in range(Y.shape[1]):
        ax, ay, az, dm = acceleration_one(
            t[j], Y[0, j], Y[1, j], Y[2, j], Y[3, j], Y[4, j], Y[5, j], Y[6, j], idx[j],
            j2, rotating, drag, sphere_radius_m, area, drag_row, cd_table, inv_mach_step,
            rows, alt_min, inv_step, last_node, powered, tp,
        )  # fmt: skip
        out[0, j] = Y[3, j]
        out[1, j] = Y[4, j]
        out[2, j] = Y[5, j]
        out[3, j] = ax
        out[4, j] = ay
        out[5, j] = az
        out[6, j] = dm


_EMPTY = np.zeros(0)
_EMPTY_THRUST = np.zeros((0, 13))
_EMPTY_CD = np.zeros((1, 2))
_EMPTY_ROW = np.zeros(0, dtype=np.intp)
