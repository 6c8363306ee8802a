"""Compiled (numba, ``cache=True``) Runge-Kutta coast of ballistic objects to an altitude.

One object at a time (a loop the batch cannot avoid: every object takes its own number of
steps and stops at its own crossing), classic Runge-Kutta 4 with a step chosen from the
state (:func:`_step`; no error estimate, no rejected steps): ``h_exo`` above ``alt_endo_m``
(the step shrinks so as to land on that altitude rather than jump through it), below it a
step sized from the drag (short around peak deceleration, up to ``h_endo`` where drag is
negligible), or a fixed ``h_endo`` with ``endo_tol <= 0``. The acceleration is the flight layer's
compiled ballistic one (:func:`bmdsim.flight._kernel.ballistic_acceleration`, what
:func:`bmdsim.flight.dynamics.derivative` evaluates): point-mass and J2 gravity, Coriolis and
centrifugal terms, and the drag of a body of inverse ballistic coefficient
``kappa = Cd_ref A / m`` on the flight layer's air table and a ``(1, G)`` drag-curve table
``cd(M) / Cd_ref``. Tests check it against that function and the coast against the adaptive
Dormand-Prince propagation of :func:`bmdsim.flight.propagation.predict_impact`.

The crossing of the target altitude is located on the cubic Hermite interpolant of the last
step (Illinois regula falsi), then reached by one Runge-Kutta step of that length from the
start of the step. Integration runs backwards in time with ``direction = -1``.

The crossing is a passage from above the target altitude to below it: an object that starts
below the target but moves up (in the direction of integration) is followed until it has
risen above the target and comes back down (a reentering object coasted backwards to its
burnout altitude passes its apogee first).

Status codes: 1 crossed the target altitude; 2 at or below it at the start and moving down;
0 no crossing within ``max_dt_s`` (an orbit), or an apogee below the target.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from bmdsim.earth._kernel import geodetic
from bmdsim.earth.constants import A_M, E2
from bmdsim.flight._kernel import (
    _air,
    _drag_factor,
    altitude,
    ballistic_acceleration,
    vacuum_acceleration,
)

_E4 = E2 * E2

CROSSED = 1
BELOW_AT_START = 2
NO_CROSSING = 0

#: Options of the functions called only from other compiled functions: no Python or C entry
#: points (their wrappers are a good part of the compile time; the callers link the code).
_INNER = dict(cache=True, nogil=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)


@numba.njit(**_INNER, _nrt=False)
def _altitude(x, y, z):
    """Radial height [m] above the WGS-84 ellipsoid (the flight layer's)."""
    return altitude(x, y, z, -1.0)


@numba.njit(
    **_INNER,
    _nrt=False,
    locals={"row": numba.int64, "rotating": numba.boolean},
)
def _accel(x, y, z, vx, vy, vz, kappa, j2, rows, alt_min, inv_step, last_node, cd, inv_mach_step):
    """Ballistic acceleration ``(ax, ay, az)`` [m/s^2], ECEF: the flight layer's
    :func:`bmdsim.flight._kernel.ballistic_acceleration` in the rotating frame with the
    WGS-84 Earth and the drag-ratio table ``cd (1, G)`` (see the module docstring)."""
    # typed locals, not literals: the flight layer's function then compiles once for all
    row = 0
    rotating = True
    return ballistic_acceleration(
        x, y, z, vx, vy, vz, kappa, cd, row, j2, rotating, -1.0,
        rows, alt_min, inv_step, last_node, inv_mach_step,
    )  # fmt: skip


@numba.njit(
    **_INNER,
    _nrt=False,
    locals={"rotating": numba.boolean},
)
def _accel_nu(x, y, z, vx, vy, vz, alt, kappa, j2, rows, alt_min, inv_step, last_node, cd,
              inv_mach_step):  # fmt: skip
    """:func:`_accel` at the known altitude ``alt`` [m] (the same operations), and the drag's
    rate ``nu = rho v Cd kappa / 2`` [1/s] (0 without drag) the step size reads:
    ``(ax, ay, az, nu)``."""
    rotating = True
    ax, ay, az = vacuum_acceleration(x, y, z, vx, vy, vz, j2, rotating)
    nu = 0.0
    if kappa > 0.0:
        lnrho, _lnp, c_sound = _air(alt, rows, alt_min, inv_step, last_node)
        kd = _drag_factor(vx, vy, vz, kappa, lnrho, c_sound, cd, 0, inv_mach_step)
        ax += kd * vx
        ay += kd * vy
        az += kd * vz
        nu = -kd
    return ax, ay, az, nu


@numba.njit(**_INNER, _nrt=False)
def _rk4(s, a1x, a1y, a1z, h, kappa, j2, rows, alt_min, inv_step, last_node, cd,
         inv_mach_step, out):  # fmt: skip
    """One RK4 step of size ``h`` from state ``s`` (6,), whose acceleration is ``(a1x, a1y,
    a1z)`` (:func:`_accel_nu`: one per step start, for the step size, this step and a
    crossing's shorter step), into ``out`` (6,); returns nothing."""
    x, y, z, vx, vy, vz = s[0], s[1], s[2], s[3], s[4], s[5]
    hh = 0.5 * h
    x2, y2, z2 = x + hh * vx, y + hh * vy, z + hh * vz
    vx2, vy2, vz2 = vx + hh * a1x, vy + hh * a1y, vz + hh * a1z
    a2x, a2y, a2z = _accel(
        x2, y2, z2, vx2, vy2, vz2, kappa, j2, rows, alt_min, inv_step, last_node, cd, inv_mach_step
    )
    x3, y3, z3 = x + hh * vx2, y + hh * vy2, z + hh * vz2
    vx3, vy3, vz3 = vx + hh * a2x, vy + hh * a2y, vz + hh * a2z
    a3x, a3y, a3z = _accel(
        x3, y3, z3, vx3, vy3, vz3, kappa, j2, rows, alt_min, inv_step, last_node, cd, inv_mach_step
    )
    x4, y4, z4 = x + h * vx3, y + h * vy3, z + h * vz3
    vx4, vy4, vz4 = vx + h * a3x, vy + h * a3y, vz + h * a3z
    a4x, a4y, a4z = _accel(
        x4, y4, z4, vx4, vy4, vz4, kappa, j2, rows, alt_min, inv_step, last_node, cd, inv_mach_step
    )
    h6 = h / 6.0
    out[0] = x + h6 * (vx + 2.0 * vx2 + 2.0 * vx3 + vx4)
    out[1] = y + h6 * (vy + 2.0 * vy2 + 2.0 * vy3 + vy4)
    out[2] = z + h6 * (vz + 2.0 * vz2 + 2.0 * vz3 + vz4)
    out[3] = vx + h6 * (a1x + 2.0 * a2x + 2.0 * a3x + a4x)
    out[4] = vy + h6 * (a1y + 2.0 * a2y + 2.0 * a3y + a4y)
    out[5] = vz + h6 * (a1z + 2.0 * a2z + 2.0 * a3z + a4z)


@numba.njit(**_INNER, _nrt=False)
def _hermite_altitude(s0, s1, h, u):
    """Altitude at fraction ``u`` of a step on the cubic Hermite interpolant of position."""
    u2 = u * u
    u3 = u2 * u
    c00 = 2.0 * u3 - 3.0 * u2 + 1.0
    c10 = (u3 - 2.0 * u2 + u) * h
    c01 = -2.0 * u3 + 3.0 * u2
    c11 = (u3 - u2) * h
    x = c00 * s0[0] + c10 * s0[3] + c01 * s1[0] + c11 * s1[3]
    y = c00 * s0[1] + c10 * s0[4] + c01 * s1[1] + c11 * s1[4]
    z = c00 * s0[2] + c10 * s0[5] + c01 * s1[2] + c11 * s1[5]
    return _altitude(x, y, z)


#: Shortest step [s] of the drag-sized steps below ``alt_endo`` and of an exo step shortened
#: to land on ``alt_endo``.
_H_MIN_S = 0.05
_H_LAND_MIN_S = 1.0
#: Density scale height [m] of the drag-sized step (of the lower atmosphere; only the step's
#: length depends on it).
_SCALE_HEIGHT_M = 7_000.0


@numba.njit(**_INNER, _nrt=False)
def _step(s0, alt0, nu, direction, h_exo, h_endo, endo_tol, alt_endo):
    """Signed step [s] from state ``s0`` at altitude ``alt0``: ``h_exo`` above ``alt_endo``
    (shortened to land on it when descending in the direction of integration, but not below
    ``_H_LAND_MIN_S``); below it, with ``endo_tol > 0``, the step whose Runge-Kutta error
    scale ``h^5 a_d k^4`` equals ``endo_tol`` [m/s], with ``a_d = nu v`` the drag
    deceleration (``nu = rho v Cd kappa / 2`` [1/s], of :func:`_accel_nu`) and ``k = nu + |v_r| / H`` the rate at
    which it changes (speed loss, density along the path, ``H`` =
    :data:`_SCALE_HEIGHT_M`), between :data:`_H_MIN_S` and ``h_endo``; ``h_endo`` with
    ``endo_tol <= 0`` (fixed steps)."""
    h = h_endo
    if alt0 > alt_endo:
        # radial speed in the direction of integration (negative: descending)
        r = math.sqrt(s0[0] * s0[0] + s0[1] * s0[1] + s0[2] * s0[2])
        vr = direction * (s0[0] * s0[3] + s0[1] * s0[4] + s0[2] * s0[5]) / r
        h = h_exo
        if vr < 0.0:
            to_endo = (alt0 - alt_endo) / -vr
            if to_endo < h:
                h = max(to_endo, min(_H_LAND_MIN_S, h_endo))
    elif endo_tol > 0.0 and nu > 0.0:
        v = math.sqrt(s0[3] * s0[3] + s0[4] * s0[4] + s0[5] * s0[5])
        r = math.sqrt(s0[0] * s0[0] + s0[1] * s0[1] + s0[2] * s0[2])
        vr = abs(s0[0] * s0[3] + s0[1] * s0[4] + s0[2] * s0[5]) / r
        k = nu + vr * (1.0 / _SCALE_HEIGHT_M)
        k2 = k * k
        err = nu * v * k2 * k2
        if err * h_endo**5 > endo_tol:
            h = max((endo_tol / err) ** 0.2, _H_MIN_S)
    return h * direction


@numba.njit(**_INNER, _nrt=False)
def _crossing_fraction(s0, s1, h, alt0, alt1, tgt):
    """Fraction ``u`` of the step ``s0 -> s1`` (length ``h``) at which the cubic Hermite
    interpolant's altitude falls to ``tgt`` (``alt0 > tgt >= alt1``): Illinois regula falsi
    on ``g(u) = alt(u) - tgt`` to 0.1 mm."""
    ua, ga = 0.0, alt0 - tgt
    ub, gb = 1.0, alt1 - tgt
    side = 0
    u = 1.0
    for _ in range(60):
        u = (ua * gb - ub * ga) / (gb - ga)
        g = _hermite_altitude(s0, s1, h, u) - tgt
        if abs(g) < 1e-4:
            break
        if g > 0.0:
            ua, ga = u, g
            if side == 1:
                gb *= 0.5
            side = 1
        else:
            ub, gb = u, g
            if side == -1:
                ga *= 0.5
            side = -1
    return u


@numba.njit(**_INNER)
def _coast_one(
    s0, s1, kap, tgt, direction, h_exo, h_endo, endo_tol, alt_endo, max_dt, j2,
    rows, alt_min, inv_step, last_node, cd, inv_mach_step, knots_t, knots_y, o,
):  # fmt: skip
    """Coast one object from the state ``s0 (6,)`` (overwritten: it ends as the state at the
    crossing or where the coast stopped; ``s1 (6,)`` is scratch) until its altitude falls to
    ``tgt``; returns the elapsed time [s] and the status. The first step ends go to row
    ``o`` of ``knots_t``, ``knots_y`` (as many as their ``K`` columns hold); returns their
    number third."""
    kmax = knots_t.shape[1]
    t = 0.0
    alt0 = _altitude(s0[0], s0[1], s0[2])
    nk = 0
    if kmax > 0:
        knots_t[o, 0] = 0.0
        for c in range(6):
            knots_y[o, 0, c] = s0[c]
        nk = 1
    status = NO_CROSSING
    # the crossing counts once the object is above the target: a state starting below
    # it (e.g. a reentering object coasted backwards to a higher altitude) first rises
    armed = alt0 > tgt
    if not armed:
        vr0 = direction * (s0[0] * s0[3] + s0[1] * s0[4] + s0[2] * s0[5])
        if vr0 <= 0.0:
            status = BELOW_AT_START
    while status == NO_CROSSING and abs(t) < max_dt:
        a1x, a1y, a1z, nu = _accel_nu(
            s0[0], s0[1], s0[2], s0[3], s0[4], s0[5], alt0, kap, j2,
            rows, alt_min, inv_step, last_node, cd, inv_mach_step,
        )  # fmt: skip
        h = _step(s0, alt0, nu, direction, h_exo, h_endo, endo_tol, alt_endo)
        _rk4(s0, a1x, a1y, a1z, h, kap, j2, rows, alt_min, inv_step, last_node, cd, inv_mach_step,
             s1)  # fmt: skip
        alt1 = _altitude(s1[0], s1[1], s1[2])
        if not armed:
            if alt1 > tgt:
                armed = True
            elif alt1 < alt0:
                break  # turned back down without reaching the target altitude
            t += h
        elif alt1 <= tgt:
            u = _crossing_fraction(s0, s1, h, alt0, alt1, tgt)
            _rk4(s0, a1x, a1y, a1z, u * h, kap, j2, rows, alt_min, inv_step, last_node, cd,
                 inv_mach_step, s1)  # fmt: skip
            t += u * h
            status = CROSSED
        else:
            t += h
        for c in range(6):
            s0[c] = s1[c]
        alt0 = alt1
        if nk < kmax:
            knots_t[o, nk] = t
            for c in range(6):
                knots_y[o, nk, c] = s0[c]
            nk += 1
    return t, status, nk


@numba.njit(cache=True, nogil=True)
def coast_kernel(
    y0, kappa, target_alt, direction, h_exo, h_endo, endo_tol, alt_endo, max_dt, j2,
    rows, alt_min, inv_step, last_node, cd, inv_mach_step,
    out_dt, out_y, out_status, knots_t, knots_y, n_knots,
):  # fmt: skip
    """Coast objects ``y0`` ``(M, 6)`` (ECEF) until their altitude falls to ``target_alt (M,)``.

    Writes the elapsed time ``out_dt (M,)`` [s] (negative backwards), the state there
    ``out_y (M, 6)`` and ``out_status (M,)``. When ``knots_t`` has ``K > 0`` columns the
    first ``K`` step ends of each object (its start included) go to ``knots_t (M, K)`` and
    ``knots_y (M, K, 6)`` and their number to ``n_knots (M,)``.
    """
    kmax = knots_t.shape[1]
    s0 = np.empty(6)
    s1 = np.empty(6)
    for o in range(y0.shape[0]):
        for c in range(6):
            s0[c] = y0[o, c]
        t, status, nk = _coast_one(
            s0, s1, kappa[o], target_alt[o], direction, h_exo, h_endo, endo_tol, alt_endo,
            max_dt, j2, rows, alt_min, inv_step, last_node, cd, inv_mach_step, knots_t, knots_y, o,
        )  # fmt: skip
        out_dt[o] = t
        for c in range(6):
            out_y[o, c] = s0[c]
        out_status[o] = status
        if kmax > 0:
            n_knots[o] = nk


@numba.njit(**_INNER)
def _coast_multi_one(
    s0, s1, sc, kap, target_alt, direction, h_exo, h_endo, endo_tol, alt_endo, max_dt, j2,
    rows, alt_min, inv_step, last_node, cd, inv_mach_step, out_dt, out_y, out_status,
    armed, done, knots_t, knots_y, knots_alt, knots_h,
):  # fmt: skip
    """:func:`coast_kernel_multi` of one object from ``s0 (6,)`` (overwritten; ``s1``, ``sc``
    (6,) scratch) to its targets ``target_alt (J,)``, into ``out_dt (J,)``, ``out_y (J, 6)``,
    ``out_status (J,)`` (``armed``, ``done`` (J,) scratch). The first ``K`` step starts (``K``
    the rows of ``knots_t``) go to ``knots_t`` (elapsed time), ``knots_y (K, 6)``,
    ``knots_alt`` (altitude) and ``knots_h`` (the step taken from there); returns their
    number (the states a new coast from the same start takes, step for step)."""
    nt = target_alt.shape[0]
    kmax = knots_t.shape[0]
    nk = 0
    t = 0.0
    alt0 = _altitude(s0[0], s0[1], s0[2])
    vr0 = direction * (s0[0] * s0[3] + s0[1] * s0[4] + s0[2] * s0[5])
    left = 0
    for j in range(nt):
        armed[j] = alt0 > target_alt[j]
        done[j] = False
        out_status[j] = NO_CROSSING
        if not armed[j] and vr0 <= 0.0:
            done[j] = True
            out_status[j] = BELOW_AT_START
            out_dt[j] = 0.0
            for c in range(6):
                out_y[j, c] = s0[c]
        else:
            left += 1
    while left > 0 and abs(t) < max_dt:
        a1x, a1y, a1z, nu = _accel_nu(
            s0[0], s0[1], s0[2], s0[3], s0[4], s0[5], alt0, kap, j2,
            rows, alt_min, inv_step, last_node, cd, inv_mach_step,
        )  # fmt: skip
        h = _step(s0, alt0, nu, direction, h_exo, h_endo, endo_tol, alt_endo)
        if nk < kmax:
            knots_t[nk] = t
            knots_alt[nk] = alt0
            knots_h[nk] = h
            for c in range(6):
                knots_y[nk, c] = s0[c]
            nk += 1
        _rk4(s0, a1x, a1y, a1z, h, kap, j2, rows, alt_min, inv_step, last_node, cd, inv_mach_step,
             s1)  # fmt: skip
        alt1 = _altitude(s1[0], s1[1], s1[2])
        for j in range(nt):
            if done[j]:
                continue
            tgt = target_alt[j]
            if not armed[j]:
                if alt1 > tgt:
                    armed[j] = True
                elif alt1 < alt0:
                    # turned back down without reaching this target altitude
                    done[j] = True
                    left -= 1
                    out_dt[j] = t
                    for c in range(6):
                        out_y[j, c] = s0[c]
            elif alt1 <= tgt:
                u = _crossing_fraction(s0, s1, h, alt0, alt1, tgt)
                _rk4(s0, a1x, a1y, a1z, u * h, kap, j2, rows, alt_min, inv_step, last_node,
                     cd, inv_mach_step, sc)  # fmt: skip
                done[j] = True
                left -= 1
                out_dt[j] = t + u * h
                out_status[j] = CROSSED
                for c in range(6):
                    out_y[j, c] = sc[c]
        t += h
        for c in range(6):
            s0[c] = s1[c]
        alt0 = alt1
    for j in range(nt):
        if not done[j]:
            out_dt[j] = t
            for c in range(6):
                out_y[j, c] = s0[c]
    # the last state reached, as a step start (a later coast goes on from it)
    if nk < kmax:
        knots_t[nk] = t
        knots_alt[nk] = alt0
        knots_h[nk] = 0.0  # not taken
        for c in range(6):
            knots_y[nk, c] = s0[c]
        nk += 1
    return nk


@numba.njit(cache=True, nogil=True)
def coast_kernel_multi(
    y0, kappa, target_alt, direction, h_exo, h_endo, endo_tol, alt_endo, max_dt, j2,
    rows, alt_min, inv_step, last_node, cd, inv_mach_step,
    out_dt, out_y, out_status,
):  # fmt: skip
    """:func:`coast_kernel` to several target altitudes at once: ``target_alt (M, J)``.

    One pass per object: the step sequence of :func:`coast_kernel` does not depend on the
    target altitude, so each target's crossing is located on the same steps with the same
    operations as a separate call would make (identical results, one integration instead
    of ``J``). Writes ``out_dt (M, J)``, ``out_y (M, J, 6)`` and ``out_status (M, J)``.
    """
    nt = target_alt.shape[1]
    s0 = np.empty(6)
    s1 = np.empty(6)
    sc = np.empty(6)
    armed = np.empty(nt, np.bool_)
    done = np.empty(nt, np.bool_)
    kt = np.empty(0)
    ky = np.empty((0, 6))
    for o in range(y0.shape[0]):
        for c in range(6):
            s0[c] = y0[o, c]
        _coast_multi_one(
            s0, s1, sc, kappa[o], target_alt[o], direction, h_exo, h_endo, endo_tol, alt_endo,
            max_dt, j2, rows, alt_min, inv_step, last_node, cd, inv_mach_step,
            out_dt[o], out_y[o], out_status[o], armed, done, kt, ky, kt, kt,
        )  # fmt: skip


@numba.njit(**_INNER)
def _coast_from_knots(
    s0, s1, kap, tgt, direction, h_exo, h_endo, endo_tol, alt_endo, max_dt, j2,
    rows, alt_min, inv_step, last_node, cd, inv_mach_step,
    knots_t, knots_y, knots_alt, knots_h, nk,
):  # fmt: skip
    """:func:`_coast_one` (no knots kept) from the state of the first knot, reading each step
    it takes from the ``nk`` knots of an earlier coast from the same state (of
    :func:`_coast_multi_one`: the same steps) while they last, integrating after. The same
    operations, so the same results; ``s0`` ends as the final state. Returns the elapsed
    time [s] and the status."""
    for c in range(6):
        s0[c] = knots_y[0, c]
    t = 0.0
    alt0 = _altitude(s0[0], s0[1], s0[2])
    status = NO_CROSSING
    armed = alt0 > tgt
    if not armed:
        vr0 = direction * (s0[0] * s0[3] + s0[1] * s0[4] + s0[2] * s0[5])
        if vr0 <= 0.0:
            status = BELOW_AT_START
    k = 0
    while status == NO_CROSSING and abs(t) < max_dt:
        if k + 1 < nk:  # the step from knot k to knot k + 1, as it was taken
            h = knots_h[k]
            for c in range(6):
                s1[c] = knots_y[k + 1, c]
            alt1 = knots_alt[k + 1]
        else:
            a1x, a1y, a1z, nu = _accel_nu(
                s0[0], s0[1], s0[2], s0[3], s0[4], s0[5], alt0, kap, j2,
                rows, alt_min, inv_step, last_node, cd, inv_mach_step,
            )  # fmt: skip
            h = _step(s0, alt0, nu, direction, h_exo, h_endo, endo_tol, alt_endo)
            _rk4(s0, a1x, a1y, a1z, h, kap, j2, rows, alt_min, inv_step, last_node, cd,
                 inv_mach_step, s1)  # fmt: skip
            alt1 = _altitude(s1[0], s1[1], s1[2])
        k += 1
        if not armed:
            if alt1 > tgt:
                armed = True
            elif alt1 < alt0:
                break  # turned back down without reaching the target altitude
            t += h
        elif alt1 <= tgt:
            u = _crossing_fraction(s0, s1, h, alt0, alt1, tgt)
            # the step start's acceleration (not kept with the knots)
            a1x, a1y, a1z, _nu = _accel_nu(
                s0[0], s0[1], s0[2], s0[3], s0[4], s0[5], alt0, kap, j2,
                rows, alt_min, inv_step, last_node, cd, inv_mach_step,
            )  # fmt: skip
            _rk4(s0, a1x, a1y, a1z, u * h, kap, j2, rows, alt_min, inv_step, last_node, cd,
                 inv_mach_step, s1)  # fmt: skip
            t += u * h
            status = CROSSED
        else:
            t += h
        for c in range(6):
            s0[c] = s1[c]
        alt0 = alt1
    return t, status


@numba.njit(**_INNER)
def _lin(a, frac, nj):
    """``a (J,)`` at the fractional index ``frac`` (linear, beyond the ends too; NaN reads
    the first interval): the numpy path's ``lin`` of one row."""
    f0 = 0.0 if frac != frac else frac
    j0 = math.floor(f0) if abs(f0) < 1e18 else (0 if f0 < 0.0 else nj - 2)
    if j0 < 0:
        j0 = 0
    elif j0 > nj - 2:
        j0 = nj - 2
    f = frac - j0
    return (1.0 - f) * a[j0] + f * a[j0 + 1]


@numba.njit(cache=True, nogil=True, error_model="numpy")
def burnout_match(
    y0, kappa, alt, speed_bo, cutoff, downrange, h_exo, h_endo, endo_tol, alt_endo, max_dt,
    j2,
    rows, alt_min, inv_step, last_node, cd, inv_mach_step,
    out_frac, out_y, out_dt, out_burn, out_down, out_ok,
):  # fmt: skip
    """The boost-profile match of :meth:`bmdsim.assessment.launch.LaunchPointEstimator.
    _burnout` for states ``y0 (M, 6)`` (ECEF) with ``kappa (M,)`` (drag, >= 0) against the
    burnout tables ``alt``, ``speed_bo``, ``cutoff``, ``downrange`` ``(M, J)`` of each row's
    azimuth: coasted back through the ``J`` burnout altitudes in one pass, the zero of the
    speed residual interpolated, and coasted back to that altitude on the same steps
    (:func:`_coast_from_knots`). Writes the fractional profile index ``out_frac``, the state
    there ``out_y (M, 6)``, the elapsed time ``out_dt`` (negative), the burn duration and the
    downrange at the index, and ``out_ok`` (the match and the coast succeeded)."""
    m, nj = alt.shape
    s0 = np.empty(6)
    s1 = np.empty(6)
    sc = np.empty(6)
    armed = np.empty(nj, np.bool_)
    done = np.empty(nj, np.bool_)
    dt_j = np.empty(nj)
    y_j = np.empty((nj, 6))
    st_j = np.empty(nj, np.int8)
    kmax = 2_048
    kt = np.empty(kmax)
    ky = np.empty((kmax, 6))
    ka = np.empty(kmax)
    kh = np.empty(kmax)
    resid = np.empty(nj)
    for o in range(m):
        for c in range(6):
            s0[c] = y0[o, c]
        kap = kappa[o]
        nk = _coast_multi_one(
            s0, s1, sc, kap, alt[o], -1.0, h_exo, h_endo, endo_tol, alt_endo, max_dt, j2,
            rows, alt_min, inv_step, last_node, cd, inv_mach_step,
            dt_j, y_j, st_j, armed, done, kt, ky, ka, kh,
        )  # fmt: skip
        # residuals fall with j: the zero lies after the last positive one
        npos = 0
        for j in range(nj):
            if st_j[j] == CROSSED:
                sp = math.sqrt(
                    y_j[j, 3] * y_j[j, 3] + y_j[j, 4] * y_j[j, 4] + y_j[j, 5] * y_j[j, 5]
                )
                resid[j] = sp - speed_bo[o, j]
            else:
                resid[j] = np.nan
            if resid[j] > 0.0:
                npos += 1
        k = min(max(npos, 1), nj - 1)
        r0 = resid[k - 1]
        r1 = resid[k]
        w = r0 / (r0 - r1)
        if w < -1.0:
            w = -1.0
        elif w > 2.0:
            w = 2.0
        frac = (k - 1) + w  # mild extrapolation beyond the table
        h = _lin(alt[o], frac, nj)
        ok = math.isfinite(r0) and math.isfinite(r1) and r0 != r1 and math.isfinite(h)
        if nk == 0:  # no step kept: start again from the state
            for c in range(6):
                ky[0, c] = y0[o, c]
        t, status = _coast_from_knots(
            s0, s1, kap, h if ok else 0.0, -1.0, h_exo, h_endo, endo_tol, alt_endo, max_dt, j2,
            rows, alt_min, inv_step, last_node, cd, inv_mach_step, kt, ky, ka, kh, nk,
        )  # fmt: skip
        out_frac[o] = frac
        for c in range(6):
            out_y[o, c] = s0[c]
        out_dt[o] = t
        out_burn[o] = _lin(cutoff[o], frac, nj)
        out_down[o] = _lin(downrange[o], frac, nj)
        out_ok[o] = ok and status == CROSSED


@numba.njit(cache=True, nogil=True)
def accelerations(y, kappa, j2, rows, alt_min, inv_step, last_node, cd, inv_mach_step):
    """``(M, 3)`` accelerations of states ``y (M, 6)`` (what :func:`coast_kernel` integrates)."""
    out = np.empty((y.shape[0], 3))
    for o in range(y.shape[0]):
        ax, ay, az = _accel(
            y[o, 0], y[o, 1], y[o, 2], y[o, 3], y[o, 4], y[o, 5], kappa[o], j2,
            rows, alt_min, inv_step, last_node, cd, inv_mach_step,
        )  # fmt: skip
        out[o, 0] = ax
        out[o, 1] = ay
        out[o, 2] = az
    return out


# -- ground points and tangent planes: the arithmetic of bmdsim.earth.frames, operation for
# operation (IEEE +, -, *, /, sqrt and libm hypot give the bits numpy gives); the
# transcendental steps (r**3, cbrt, arctan2, sin, cos) stay with numpy, between the kernels.
@numba.njit(cache=True, nogil=True)
def geodetic_head(xyz, rho, p, q, r):
    """First steps of :func:`bmdsim.earth.frames.ecef_to_geodetic` (Vermeille) for ECEF
    points ``xyz (M, 3)``: ``rho``, ``p``, ``q``, ``r`` ``(M,)``."""
    a2 = A_M * A_M
    for i in range(xyz.shape[0]):
        x = xyz[i, 0]
        y = xyz[i, 1]
        z = xyz[i, 2]
        rho2 = x * x + y * y
        rho[i] = math.sqrt(rho2)
        pi = rho2 / a2
        qi = (1.0 - E2) * z * z / a2
        p[i] = pi
        q[i] = qi
        r[i] = (pi + qi - _E4) / 6.0


@numba.njit(cache=True, nogil=True)
def geodetic_middle(p, q, r3, arg):
    """``1 + s + sqrt(s (2 + s))`` ``(M,)`` (the argument of the cube root) with
    ``s = e^4 p q / (4 r^3)``, from ``r3 = r**3``."""
    for i in range(p.shape[0]):
        s = _E4 * p[i] * q[i] / (4.0 * r3[i])
        arg[i] = 1.0 + s + math.sqrt(s * (2.0 + s))


@numba.njit(cache=True, nogil=True)
def geodetic_tail(xyz, rho, q, r, t, den, alt):
    """Last steps: from the cube root ``t (M,)``, the denominator ``D + hypot(D, z)`` of the
    latitude's half-angle arctangent into ``den (M,)`` and the height [m] into ``alt``."""
    for i in range(xyz.shape[0]):
        ti = t[i]
        qi = q[i]
        u = r[i] * (1.0 + ti + 1.0 / ti)
        v = math.sqrt(u * u + _E4 * qi)
        w = E2 * (u + v - qi) / (2.0 * v)
        k = math.sqrt(u + v + w * w) - w
        d = k * rho[i] / (k + E2)
        dz = math.hypot(d, xyz[i, 2])
        den[i] = d + dz
        alt[i] = (k + E2 - 1.0) / k * dz


@numba.njit(**_INNER, _nrt=False)
def _ground_row(s, c, so, co, out):
    """ECEF ``out (3,)`` of a ground point (zero height) from the sines and cosines of its
    latitude (``s``, ``c``) and longitude (``so``, ``co``): the arithmetic of
    :func:`bmdsim.earth.frames.geodetic_to_ecef`."""
    n = A_M / math.sqrt(1.0 - E2 * s * s)
    out[0] = (n + 0.0) * c * co
    out[1] = (n + 0.0) * c * so
    out[2] = (n * (1.0 - E2) + 0.0) * s


@numba.njit(**_INNER, _nrt=False)
def _east_north(s, c, so, co, out):
    """East and north unit vectors (rows 0 and 1 of ``out``, ECEF) from the sines and
    cosines of latitude (``s``, ``c``) and longitude (``so``, ``co``): the first two rows
    of :func:`bmdsim.earth.frames.enu_basis`."""
    out[0, 0] = -so
    out[0, 1] = co
    out[0, 2] = 0.0
    out[1, 0] = -s * co
    out[1, 1] = -s * so
    out[1, 2] = c


@numba.njit(cache=True, nogil=True)
def tangent_plane(sl, cl, so, co, site, basis):
    """Ground points ``site (M, 3)`` (ECEF, zero height) and their east, north unit vectors
    ``basis (M, 2, 3)`` from the sines and cosines of latitude and longitude ``(M,)``: the
    arithmetic of :func:`bmdsim.earth.frames.geodetic_to_ecef` and
    :func:`bmdsim.earth.frames.enu_basis`."""
    for i in range(sl.shape[0]):
        s = sl[i]
        c = cl[i]
        _ground_row(s, c, so[i], co[i], site[i])
        _east_north(s, c, so[i], co[i], basis[i])


@numba.njit(cache=True, nogil=True)
def enu_rows(sl, cl, so, co, basis):
    """East, north, up unit vectors ``basis (M, 3, 3)`` (rows, ECEF) from the sines and
    cosines of latitude and longitude ``(M,)``: :func:`bmdsim.earth.frames.enu_basis`."""
    for i in range(sl.shape[0]):
        s = sl[i]
        c = cl[i]
        _east_north(s, c, so[i], co[i], basis[i])
        basis[i, 2, 0] = c * co[i]
        basis[i, 2, 1] = c * so[i]
        basis[i, 2, 2] = s


@numba.njit(cache=True, nogil=True)
def surrogate_moments(enu, t, scale, f0, a, b, mean):
    """:meth:`bmdsim.assessment.sigma.QuadraticSurrogate.from_sigma_values` of the values
    ``f = [east, north, t]`` at ``2d + 1`` sigma points (``enu (N, 2d + 1, 2)``, ``t (N,
    2d + 1)``) and its :meth:`~bmdsim.assessment.sigma.QuadraticSurrogate.mean`, operation
    for operation: ``f0 (N, 3)``, ``a``, ``b`` ``(N, d, 3)`` (the transposes of the
    surrogate's), ``mean (N, 3)`` (``f0 + b_1 + .. + b_d``, summed in that order as numpy
    sums ``d < 8`` terms)."""
    n, m = t.shape
    d = (m - 1) // 2
    s2 = 2.0 * scale
    ss2 = 2.0 * scale * scale
    for i in range(n):
        for c in range(3):
            v0 = enu[i, 0, c] if c < 2 else t[i, 0]
            f0[i, c] = v0
            two_f0 = 2.0 * v0
            acc = 0.0
            for j in range(d):
                if c < 2:
                    vp = enu[i, 1 + j, c]
                    vm = enu[i, 1 + d + j, c]
                else:
                    vp = t[i, 1 + j]
                    vm = t[i, 1 + d + j]
                a[i, j, c] = (vp - vm) / s2
                bj = (vp + vm - two_f0) / ss2
                b[i, j, c] = bj
                acc = bj if j == 0 else acc + bj
            mean[i, c] = v0 + acc


@numba.njit(cache=True, nogil=True)
def ground_ecef(sl, cl, so, co, out):
    """ECEF ``out (M, 3)`` of ground points (zero height) from the sines and cosines of
    their latitude and longitude ``(M,)``: :func:`bmdsim.earth.frames.geodetic_to_ecef`."""
    for i in range(sl.shape[0]):
        _ground_row(sl[i], cl[i], so[i], co[i], out[i])


@numba.njit(cache=True, nogil=True)
def augment(x, p, kappa, kappa_var, out_x, out_p):
    """:func:`bmdsim.assessment.impact.augmented_state` of 7-state tracks ``x (N, 7)``,
    ``p (N, 7, 7)`` into ``out_x (N, 7)``, ``out_p (N, 7, 7)`` (zeroed): a row whose
    ``kappa`` variance is not at most ``kappa_var`` (or NaN) gets the prior ``kappa``,
    ``kappa_var``, uncorrelated; the others keep theirs."""
    for i in range(x.shape[0]):
        for c in range(6):
            out_x[i, c] = x[i, c]
            for e in range(6):
                out_p[i, c, e] = p[i, c, e]
        if p[i, 6, 6] <= kappa_var:
            out_x[i, 6] = x[i, 6]
            for c in range(7):
                out_p[i, 6, c] = p[i, 6, c]
                out_p[i, c, 6] = p[i, c, 6]
        else:
            out_x[i, 6] = kappa
            out_p[i, 6, 6] = kappa_var


@numba.njit(cache=True, nogil=True)
def sigma_from_eigh(m, w, v, scale, out):
    """The ``2d + 1`` sigma points ``out (N, 2d + 1, d)`` of means ``m (N, d)`` from the
    eigen-decomposition ``w (N, d)``, ``v (N, d, d)`` of their covariances: the arithmetic
    of :func:`bmdsim.assessment.sigma.sigma_points` after ``eigh`` (``sqrt(maximum(w, 0))``
    with numpy's NaN and signed-zero rules)."""
    n, d = m.shape
    for i in range(n):
        for k in range(d):
            out[i, 0, k] = m[i, k]
        for c in range(d):  # principal axis c: column c of v scaled
            wc = w[i, c]
            sc = math.sqrt(wc if (wc >= 0.0 or wc != wc) else 0.0)
            for k in range(d):
                s = scale * (v[i, k, c] * sc)
                out[i, 1 + c, k] = m[i, k] + s
                out[i, 1 + d + c, k] = m[i, k] - s


# -- the sigma-point impact prediction fused (ImpactPredictor, compiled path): its own
# arithmetic (numba's libm), equal to the numpy path's to rounding.
@numba.njit(**_INNER, _nrt=False)
def _geodetic_one(x, y, z):
    """Geodetic latitude and longitude [deg] of the ECEF point ``(x, y, z)`` [m]
    (:func:`bmdsim.earth._kernel.geodetic`, Vermeille's closed form)."""
    lat, lon, _ = geodetic(x, y, z, A_M * A_M, E2, _E4)
    return math.degrees(lat), math.degrees(lon)


@numba.njit(**_INNER, _nrt=False)
def _plane(lat_deg, lon_deg, site, basis):
    """Ground point ``site (3,)`` (ECEF) and east, north unit vectors ``basis (2, 3)`` at
    ``lat_deg``, ``lon_deg`` (:func:`tangent_plane` of one point)."""
    lat = math.radians(lat_deg)
    lon = math.radians(lon_deg)
    s = math.sin(lat)
    c = math.cos(lat)
    so = math.sin(lon)
    co = math.cos(lon)
    _ground_row(s, c, so, co, site)
    _east_north(s, c, so, co, basis)


@numba.njit(**_INNER, _nrt=False)
def _fit(imp, t_imp, site, basis, scale, f0, ab):
    """Quadratic surrogate of ``[east, north, t]`` over the sigma points (impact points
    ``imp (2d + 1, 3)`` ECEF in the plane ``site``, ``basis``; times ``t_imp (2d + 1,)``):
    ``f0 (3,)`` and ``ab (2d, 3)`` (rows ``a_1 .. a_d``, then ``b_1 .. b_d``)
    (:meth:`bmdsim.assessment.sigma.QuadraticSurrogate.from_sigma_values`)."""
    m = t_imp.shape[0]
    d = (m - 1) // 2
    s2 = 2.0 * scale
    ss2 = 2.0 * scale * scale
    for c in range(3):
        for j in range(m):
            if c < 2:
                dx = imp[j, 0] - site[0]
                dy = imp[j, 1] - site[1]
                dz = imp[j, 2] - site[2]
                val = dx * basis[c, 0] + dy * basis[c, 1] + dz * basis[c, 2]
            else:
                val = t_imp[j]
            if j == 0:
                f0[c] = val
            elif j <= d:
                ab[j - 1, c] = val  # f(+s L_j) for now
            else:
                vp = ab[j - 1 - d, c]
                ab[j - 1 - d, c] = (vp - val) / s2
                ab[j - 1, c] = (vp + val - 2.0 * f0[c]) / ss2


@numba.njit(cache=True, nogil=True)
def impact_sigma(
    m, w, v, scale, times, h_exo, h_endo, endo_tol, alt_endo, max_dt, j2,
    rows, alt_min, inv_step, last_node, cd, inv_mach_step, k_ellipse,
    valid, lat, lon, cov2, t_mean, t_std, impact_ecef, semi_major, semi_minor, azimuth,
    site, basis, f0, ab,
):  # fmt: skip
    """The sigma-point impact prediction of tracks ``m (N, 7)`` (``[r, v, kappa]``, ECEF)
    from the eigen-decomposition ``w (N, d)``, ``v (N, d, d)`` of their covariances, estimate
    times ``times (N,)`` [s]: the ``2d + 1`` sigma points (:func:`sigma_from_eigh`) coasted
    to the ground (:func:`coast_kernel`, ``kappa`` below zero taken as zero), the quadratic
    surrogate of ``[east, north, t]`` in the tangent plane at the central impact, then again
    at the surrogate's mean point.

    Writes, per track: ``valid`` (every sigma point reached the ground); the mean point
    ``lat``, ``lon`` [deg], its ECEF ``impact_ecef (N, 3)``, the east-north covariance
    ``cov2 (N, 2, 2)`` [m^2], mean impact time ``t_mean`` and its standard deviation
    ``t_std`` [s], the ellipse of scale ``k_ellipse`` (semi-axes [m], major-axis azimuth
    [rad] clockwise from north in ``[0, pi)``), all NaN where not valid; and, valid or not,
    the plane ``site (N, 3)``, ``basis (N, 2, 3)`` at the mean point and the surrogate there
    ``f0 (N, 3)``, ``ab (N, 2d, 3)`` (for :func:`impact_samples`).
    """
    n, d = m.shape  # d = 7
    npts = 2 * d + 1
    pt = np.empty(d)
    s1 = np.empty(6)
    sq = np.empty(d)
    imp = np.empty((npts, 3))
    t_imp = np.empty(npts)
    kt = np.empty((1, 0))
    ky = np.empty((1, 0, 6))
    site0 = np.empty(3)
    basis0 = np.empty((2, 3))
    g0 = np.empty(3)
    gab = np.empty((2 * d, 3))
    nan = np.nan
    for i in range(n):
        for c in range(d):
            wc = w[i, c]
            sq[c] = math.sqrt(wc if (wc >= 0.0 or wc != wc) else 0.0)
        ok = True
        for j in range(npts):
            c = (j - 1) % d
            for k in range(d):
                x = m[i, k]
                if j > 0:
                    sk = scale * (v[i, k, c] * sq[c])
                    x = x + sk if j <= d else x - sk
                pt[k] = x
            kap = pt[6]
            if kap < 0.0:
                kap = 0.0
            dt, status, _ = _coast_one(
                pt, s1, kap, 0.0, 1.0, h_exo, h_endo, endo_tol, alt_endo, max_dt, j2,
                rows, alt_min, inv_step, last_node, cd, inv_mach_step, kt, ky, 0,
            )  # fmt: skip
            ok = ok and status == CROSSED
            for k in range(3):
                imp[j, k] = pt[k]
            t_imp[j] = times[i] + dt
        valid[i] = ok
        # first pass in the tangent plane at the central impact, to find the mean point
        la, lo = _geodetic_one(imp[0, 0], imp[0, 1], imp[0, 2])
        _plane(la, lo, site0, basis0)
        _fit(imp, t_imp, site0, basis0, scale, g0, gab)
        me = g0[0]
        mn = g0[1]
        for j in range(d):
            me += gab[d + j, 0]
            mn += gab[d + j, 1]
        px = site0[0] + (me * basis0[0, 0] + mn * basis0[1, 0])
        py = site0[1] + (me * basis0[0, 1] + mn * basis0[1, 1])
        pz = site0[2] + (me * basis0[0, 2] + mn * basis0[1, 2])
        la, lo = _geodetic_one(px, py, pz)
        # second pass about the mean point
        _plane(la, lo, site[i], basis[i])
        _fit(imp, t_imp, site[i], basis[i], scale, f0[i], ab[i])
        mt = f0[i, 2]
        for j in range(d):
            mt += ab[i, d + j, 2]
        c00 = 0.0
        c01 = 0.0
        c11 = 0.0
        c22 = 0.0
        for j in range(d):
            ae, an, at = ab[i, j, 0], ab[i, j, 1], ab[i, j, 2]
            be, bn, bt = ab[i, d + j, 0], ab[i, d + j, 1], ab[i, d + j, 2]
            c00 += ae * ae + 2.0 * (be * be)
            c01 += ae * an + 2.0 * (be * bn)
            c11 += an * an + 2.0 * (bn * bn)
            c22 += at * at + 2.0 * (bt * bt)
        if not ok:
            lat[i] = nan
            lon[i] = nan
            t_mean[i] = nan
            t_std[i] = nan
            semi_major[i] = nan
            semi_minor[i] = nan
            azimuth[i] = nan
            for k in range(3):
                impact_ecef[i, k] = nan
            for k in range(4):
                cov2[i, k // 2, k % 2] = nan
            continue
        lat[i] = la
        lon[i] = lo
        t_mean[i] = mt
        t_std[i] = math.sqrt(c22 if c22 > 0.0 else 0.0)
        for k in range(3):
            impact_ecef[i, k] = site[i, k]
        cov2[i, 0, 0] = c00
        cov2[i, 0, 1] = c01
        cov2[i, 1, 0] = c01
        cov2[i, 1, 1] = c11
        # eigenvalues and major axis of the symmetric 2x2 covariance, closed form
        half = 0.5 * (c00 - c11)
        rad = math.sqrt(half * half + c01 * c01)
        mid = 0.5 * (c00 + c11)
        big = mid + rad
        small = mid - rad
        semi_major[i] = k_ellipse * math.sqrt(big if big > 0.0 else 0.0)
        semi_minor[i] = k_ellipse * math.sqrt(small if small > 0.0 else 0.0)
        # major axis at angle phi from east towards north: azimuth pi/2 - phi in [0, pi)
        az = 0.5 * math.pi - 0.5 * math.atan2(2.0 * c01, c00 - c11)
        azimuth[i] = az if az < math.pi else az - math.pi


@numba.njit(cache=True, nogil=True)
def impact_samples(uu, f0, ab, site, basis, enu, t, x, y, z, rho, q, r, arg):
    """Impact samples of one track from the regressors ``uu (S, 2d)`` (``[u, u * u]`` of
    standard normal draws) of its surrogate ``f0 (3,)``, ``ab (2d, 3)`` (of
    :func:`impact_sigma`): east, north ``enu (S, 2)`` [m] and times ``t (S,)`` [s]; their
    points ``x``, ``y``, ``z`` ``(S,)`` (ECEF) in the tangent plane ``site (3,)``,
    ``basis (2, 3)``, and the first steps of their geodetic latitude (Vermeille, as
    :func:`geodetic_head`, :func:`geodetic_middle`): ``rho``, ``q``, ``r`` and the argument
    of the cube root ``arg`` ``(S,)``; :func:`samples_tail` follows."""
    a2 = A_M * A_M
    k2 = ab.shape[0]
    for s in range(uu.shape[0]):
        e0 = 0.0
        e1 = 0.0
        e2 = 0.0
        for j in range(k2):
            u = uu[s, j]
            e0 += u * ab[j, 0]
            e1 += u * ab[j, 1]
            e2 += u * ab[j, 2]
        e = e0 + f0[0]
        nn = e1 + f0[1]
        enu[s, 0] = e
        enu[s, 1] = nn
        t[s] = e2 + f0[2]
        px = site[0] + (e * basis[0, 0] + nn * basis[1, 0])
        py = site[1] + (e * basis[0, 1] + nn * basis[1, 1])
        pz = site[2] + (e * basis[0, 2] + nn * basis[1, 2])
        x[s] = px
        y[s] = py
        z[s] = pz
        rho2 = px * px + py * py
        rho[s] = math.sqrt(rho2)
        p = rho2 / a2
        qi = (1.0 - E2) * pz * pz / a2
        ri = (p + qi - _E4) / 6.0
        q[s] = qi
        r[s] = ri
        sv = _E4 * p * qi / (4.0 * (ri * ri * ri))
        arg[s] = 1.0 + sv + math.sqrt(sv * (2.0 + sv))


@numba.njit(cache=True, nogil=True)
def samples_tail(z, rho, q, r, t, den):
    """The denominator ``den (M,)`` of the latitude's half-angle arctangent
    (``lat = 2 atan2(z, den)``) from the cube root ``t (M,)`` and the terms of
    :func:`impact_samples` (:func:`geodetic_tail` without the height)."""
    for i in range(z.shape[0]):
        ti = t[i]
        qi = q[i]
        u = r[i] * (1.0 + ti + 1.0 / ti)
        v = math.sqrt(u * u + _E4 * qi)
        w = E2 * (u + v - qi) / (2.0 * v)
        k = math.sqrt(u + v + w * w) - w
        d = k * rho[i] / (k + E2)
        zi = z[i]
        den[i] = d + math.sqrt(d * d + zi * zi)


@numba.njit(cache=True, nogil=True)
def classify(looks, log_rcs, states, kappa_var, drag, min_looks, log_threshold, drag_alt,
             sigma_max, kappa_threshold, out):  # fmt: skip
    """:meth:`bmdsim.assessment.discrimination.Discriminator.classify` of tracks (``looks``,
    ``log_rcs`` (N,), ``states (N, d)`` ECEF, ``kappa_var (N,)`` the variance of ``kappa``
    when ``drag``) into ``out (N,)`` int8: 0 unknown, 1 RV, 2 spent stage; the numpy
    path's comparisons, its altitude (the flight layer's) and ``sqrt(max(var, 0))``."""
    for i in range(out.shape[0]):
        c = 0
        lr = log_rcs[i]
        if looks[i] >= min_looks and math.isfinite(lr):
            c = 2 if lr > log_threshold else 1
        if drag:
            kappa = states[i, 6]
            var = kappa_var[i]
            sigma = math.sqrt(var if (var >= 0.0 or var != var) else 0.0)
            alt = _altitude(states[i, 0], states[i, 1], states[i, 2])
            if alt < drag_alt and math.isfinite(kappa) and sigma <= sigma_max:
                c = 2 if kappa > kappa_threshold else 1
        out[i] = c


@numba.njit(cache=True, nogil=True)
def altitude_rate(states, alt, rdot):
    """Radial height ``alt (N,)`` [m] (the flight layer's :func:`altitude`) and ``r . v``
    ``rdot (N,)`` [m^2/s] of ECEF states ``(N, d >= 6)``."""
    for i in range(states.shape[0]):
        x, y, z = states[i, 0], states[i, 1], states[i, 2]
        alt[i] = _altitude(x, y, z)
        rdot[i] = x * states[i, 3] + y * states[i, 4] + z * states[i, 5]


@numba.njit(**_INNER, _nrt=False)
def _finite_abs(x):
    """``nan_to_num(abs(x))``: NaN 0, infinity the largest float."""
    a = abs(x)
    if a != a:
        return 0.0
    if a == math.inf:
        return 1.7976931348623157e308
    return a


@numba.njit(cache=True, nogil=True)
def model_covariance(down, burn, az, rel_down, rel_time, out):
    """:meth:`bmdsim.assessment.launch.LaunchPointEstimator._model_covariance` into
    ``out (N, 3, 3)``: along-track ``rel_down |down|`` [m] at azimuth ``az`` [rad], in time
    ``rel_time |burn|`` [s] (non-finite values as ``nan_to_num``)."""
    for i in range(out.shape[0]):
        u0, u1 = math.sin(az[i]), math.cos(az[i])
        sd = rel_down * _finite_abs(down[i])
        v = sd * sd
        st = rel_time * _finite_abs(burn[i])
        out[i, 0, 0] = v * u0 * u0
        out[i, 0, 1] = v * u0 * u1
        out[i, 0, 2] = 0.0
        out[i, 1, 0] = v * u1 * u0
        out[i, 1, 1] = v * u1 * u1
        out[i, 1, 2] = 0.0
        out[i, 2, 0] = 0.0
        out[i, 2, 1] = 0.0
        out[i, 2, 2] = st * st


@numba.njit(**_INNER, _nrt=False)
def _azimuth_bins(az, n):
    """:meth:`BoostProfile._azimuth_weights` of one azimuth: bins and the second's weight."""
    two_pi = 2.0 * np.pi
    x = (az % two_pi) / two_pi * n
    fl = math.floor(x)
    a0 = int(fl) % n
    return a0, (a0 + 1) % n, x - fl


@numba.njit(cache=True, nogil=True)
def burnout_tables(az, tables, out):
    """:meth:`bmdsim.assessment.launch.BoostProfile.burnout_tables` of azimuths ``az (M,)``
    from the stacked tables ``(K, A, J)`` into ``out (K, M, J)`` (linear in azimuth)."""
    n_tab, n_az, nj = tables.shape
    for i in range(az.shape[0]):
        a0, a1, w = _azimuth_bins(az[i], n_az)
        w0 = 1.0 - w
        for k in range(n_tab):
            for j in range(nj):
                out[k, i, j] = w0 * tables[k, a0, j] + w * tables[k, a1, j]


@numba.njit(cache=True, nogil=True)
def boost_at_altitude(alt, frac, az, grid, tau, down, nj, tau_out, down_out):
    """:meth:`bmdsim.assessment.launch.BoostProfile.at_altitude` of ``(M,)`` points from the
    filled tables ``tau``, ``down`` ``(A, J, H)`` on altitudes ``grid (H,)`` (trilinear;
    NaN for a NaN altitude or fraction)."""
    n_az = tau.shape[0]
    nh = grid.shape[0]
    top = grid[nh - 1]
    for i in range(alt.shape[0]):
        j = frac[i]
        h = alt[i]
        if j != j or h != h:
            tau_out[i] = np.nan
            down_out[i] = np.nan
            continue
        j = min(max(j, 0.0), nj - 1.0)
        h = min(max(h, 0.0), top)
        k = np.searchsorted(grid, h, side="right") - 1
        k = min(max(k, 0), nh - 2)
        w = (h - grid[k]) / (grid[k + 1] - grid[k])
        a0, a1, wa = _azimuth_bins(az[i], n_az)
        lo = math.floor(j)
        hi = min(lo + 1, nj - 1)
        f = j - lo
        w0, f0, wa0 = 1.0 - w, 1.0 - f, 1.0 - wa
        tau_out[i] = _trilinear(tau, a0, a1, lo, hi, k, w0, w, f0, f, wa0, wa)
        down_out[i] = _trilinear(down, a0, a1, lo, hi, k, w0, w, f0, f, wa0, wa)


@numba.njit(**_INNER, _nrt=False)
def _trilinear(t, a0, a1, lo, hi, k, w0, w, f0, f, wa0, wa):
    """One value of :func:`boost_at_altitude` (the numpy path's order of operations)."""
    v0 = f0 * (w0 * t[a0, lo, k] + w * t[a0, lo, k + 1]) + f * (
        w0 * t[a0, hi, k] + w * t[a0, hi, k + 1]
    )
    v1 = f0 * (w0 * t[a1, lo, k] + w * t[a1, lo, k + 1]) + f * (
        w0 * t[a1, hi, k] + w * t[a1, hi, k + 1]
    )
    return wa0 * v0 + wa * v1


@numba.njit(cache=True, nogil=True)
def launch_mixture(f, ok, model, scale, clean, mu, cov):
    """The mixture over missile types of :meth:`bmdsim.assessment.launch.LaunchPointEstimator._combine`
    (and of its infrared estimates): for each type ``k`` the quadratic surrogate of the
    values ``f (K, N, 2d + 1, 3)`` at the sigma points (``[east, north, t]``), its exact mean
    and covariance plus ``model (K, N, 3, 3)``; the types with ``ok (K, N)`` weighted
    equally. ``clean``: ``ok`` is set (the types whose mean is finite), and non-finite
    moments read as ``nan_to_num``. Into ``mu (N, 3)``, ``cov (N, 3, 3)``."""
    n_types, n, m, _ = f.shape
    d = (m - 1) // 2
    s2 = 2.0 * scale
    ss2 = 2.0 * scale * scale
    means = np.empty((n_types, 3))
    covs = np.empty((n_types, 3, 3))
    a = np.empty((3, d))
    b = np.empty((3, d))
    for i in range(n):
        for k in range(n_types):
            finite = True
            for c in range(3):
                v0 = f[k, i, 0, c]
                two_f0 = 2.0 * v0
                acc = 0.0
                for j in range(d):
                    vp = f[k, i, 1 + j, c]
                    vm = f[k, i, 1 + d + j, c]
                    a[c, j] = (vp - vm) / s2
                    bj = (vp + vm - two_f0) / ss2
                    b[c, j] = bj
                    acc = bj if j == 0 else acc + bj
                mk = v0 + acc
                finite = finite and math.isfinite(mk)
                means[k, c] = mk if not clean or math.isfinite(mk) else _nan_to_num(mk)
            for c in range(3):
                for e in range(3):
                    sa = 0.0
                    sb = 0.0
                    for j in range(d):
                        sa += a[c, j] * a[e, j]
                        sb += b[c, j] * b[e, j]
                    v = (sa + 2.0 * sb) + model[k, i, c, e]
                    covs[k, c, e] = v if not clean or math.isfinite(v) else _nan_to_num(v)
            if clean:
                ok[k, i] = finite
        n_ok = 0
        for k in range(n_types):
            if ok[k, i]:
                n_ok += 1
        w = 1.0 / max(n_ok, 1)
        for c in range(3):
            acc = 0.0
            for k in range(n_types):
                acc += (w if ok[k, i] else 0.0) * means[k, c]
            mu[i, c] = acc
        for c in range(3):
            for e in range(3):
                acc = 0.0
                for k in range(n_types):
                    acc += (w if ok[k, i] else 0.0) * covs[k, c, e]
                acc2 = 0.0
                for k in range(n_types):
                    wk = w if ok[k, i] else 0.0
                    acc2 += wk * (means[k, c] - mu[i, c]) * (means[k, e] - mu[i, e])
                cov[i, c, e] = acc + acc2


@numba.njit(**_INNER, _nrt=False)
def _nan_to_num(x):
    """``numpy.nan_to_num`` of one float."""
    if x != x:
        return 0.0
    if x == math.inf:
        return 1.7976931348623157e308
    if x == -math.inf:
        return -1.7976931348623157e308
    return x
