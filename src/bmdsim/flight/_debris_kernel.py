"""Compiled (numba, ``cache=True``) fall of debris fragments for :func:`bmdsim.flight.fly_debris`.

The same computation as the numpy path of ``fly_debris`` (the batched Dormand-Prince 5(4)
driver of :mod:`bmdsim.core.integrate` with ``second_order=3``, the event function
``_terminal_event`` of :mod:`bmdsim.flight.debris` and the compiled ballistic right-hand side
:func:`bmdsim.flight._kernel.ballistic_acceleration`), one object at a time inside each call,
with the same operations in the same order, but for the step control's powers (below), so that
the results agree with the driver's to the integration's accuracy:

* stages, error norm (RMS over the 7 components of ``h err / (atol + rtol max(|y|, |y_new|))``)
  and the Hermite interpolant exactly as the driver's kernels;
* the Hairer-Norsett-Wanner initial step and the PI step control (``beta = 0.04``);
* the event ``g = min(altitude, max(v_h - 0.5 m/s, |a| / g0 - 0.02))`` (the acceleration only
  where ``v_h <= 0.5 m/s``) and its Illinois search on the quintic Hermite interpolant.

The powers of the step control (``norm^-0.17``, ``err_old^0.04``) are the C library's
``pow`` (:func:`step_powers`), inside the compiled loop of step attempts (:func:`fall_steps`);
the driver's ``np.power`` is, on CPUs with AVX-512, a vector (SVML) routine that differs from
it in the last bit for a few per cent of arguments. A last-bit change of a step size can flip a
step's acceptance, after which the step sequences differ: results then agree with the driver
to the integration's accuracy (``tests/unit/flight/test_debris_kernel.py``), not bit for bit.

Kept as the driver does it, not per object:

* the batch advances in lockstep (one step attempt of every live object per iteration, as
  the driver does; :func:`lockstep`);
* the Illinois search runs for every object crossing in the same step attempt until all of them
  have converged (the driver's stopping rule), so the objects crossing together are located
  together (:func:`commit`).

numpy's ``einsum`` sums the 3 products of the event's dot products in order over the
columns of a component-major array, but as ``(x0 y0 + x2 y2) + x1 y1`` over contiguous rows
(a batch of one object, or the F-ordered arrays the driver's ``Y[:, idx]`` compactions make).
The kernels follow the layout the driver's arrays would have (``row_major`` of
:func:`_event_set`, ``layout`` of :func:`commit`) and the size of every batch it would pass.

Layout: ``Z`` ``(4, N, 7)`` holds per object the state ``Y``, its derivative ``F``, and the
trial step's ``Yn``, ``Fn``; ``S`` ``(N_ROWS, N)`` the per-object scalars (rows ``S_*``).
Nothing is allocated in the kernels (compiled without the reference-counting runtime).
"""

from __future__ import annotations

import math

import numba
import numpy as np

from bmdsim.core.integrate import (
    DP_ERROR_WEIGHTS,
    DP_STAGE_MATRIX,
    hermite_state,
    interp_scalar,
)
from bmdsim.earth.constants import A_M, B_M, G0_M_S2
from bmdsim.flight._kernel import (
    _INNER,
    _air,
    altitude,
    ballistic_acceleration,
    vacuum_acceleration,
)

# rows of S
S_T, S_TEND, S_H, S_ERR, S_G, S_STEP, S_TN, S_NORM, S_LAST, S_END, S_DM = range(11)
N_ROWS = 11
# rows of the locate work array L
L_A, L_B, L_GA, L_GB, L_SIDE, L_S, L_H = range(7)
N_LOCATE_ROWS = 7

#: Exponent of the error norm in the PI step control (Hairer-Norsett-Wanner II.4, dopri5:
#: ``-1/5 + 0.75 beta`` with ``beta = 0.04``), as in :mod:`bmdsim.core.integrate`; chunk
#: size and step budget of :func:`bmdsim.core.integrate.dopri5`'s defaults.
PI_EXPONENT = -0.2 + 0.04 * 0.75
CHUNK, MAX_STEPS = 4096, 100_000

#: Horizontal speed [m/s] and acceleration [1/g0] of the terminal-descent test (as in debris.py).
TERMINAL_HORIZONTAL_SPEED_M_S = 0.5
TERMINAL_ACCELERATION_G = 0.02

# Dormand-Prince 5(4): stage matrix and error weights (the driver's)
DP_A = DP_STAGE_MATRIX
DP_E = DP_ERROR_WEIGHTS
_AA = A_M * A_M
_BB = B_M * B_M


@numba.njit(cache=True, nogil=True, _nrt=False)
def _rhs(y, out, area_o, row, cd_table, rows, alt_min, inv_step, last_node, inv_mach):
    """``dy/dt`` of one fragment's state ``y`` ``(7,)`` into ``out`` (ballistic, with drag,
    J2, rotating frame, WGS-84 altitude): ``derivative_kernel``'s arithmetic."""
    kappa = area_o / y[6]
    ax, ay, az = ballistic_acceleration(
        y[0], y[1], y[2], y[3], y[4], y[5], kappa, cd_table, row, True, True, -1.0,
        rows, alt_min, inv_step, last_node, inv_mach,
    )  # fmt: skip
    out[0] = y[3]
    out[1] = y[4]
    out[2] = y[5]
    out[3] = ax
    out[4] = ay
    out[5] = az
    out[6] = 0.0


@numba.njit(cache=True, nogil=True, _nrt=False)
def _event_set(cnt, row_major, ids, src, srow, gout, busy, work, area, drag_row, cd_table,
               rows, alt_min, inv_step, last_node, inv_mach):  # fmt: skip
    """``_terminal_event`` on a batch of ``cnt`` objects (object ``ids[k]`` with state
    ``src[srow[k]]``): writes ``g`` into ``gout[k]``. ``row_major``: the driver passes the
    batch's states ``(cnt, 7)`` with contiguous rows (numpy's ``einsum`` then sums the dot
    products as ``(x0 y0 + x2 y2) + x1 y1``; otherwise, columns of a component-major array,
    in order). ``busy`` ``(>= cnt,)`` and ``work`` ``(7,)`` are scratch."""
    single = row_major or cnt == 1
    n_low = 0
    for k in range(cnt):
        y = src[srow[k]]
        x, yy, z, vx, vy, vz = y[0], y[1], y[2], y[3], y[4], y[5]
        gout[k] = altitude(x, yy, z, -1.0)
        nx = x / _AA
        ny = yy / _AA
        nz = z / _BB
        nn = math.sqrt((nx * nx + ny * ny) + nz * nz)
        ux = nx / nn
        uy = ny / nn
        uz = nz / nn
        if single:
            vr = (vx * ux + vz * uz) + vy * uy
            vh2 = ((vx * vx + vz * vz) + vy * vy) - vr * vr
        else:
            vr = (vx * ux + vy * uy) + vz * uz
            vh2 = ((vx * vx + vy * vy) + vz * vz) - vr * vr
        b = math.sqrt(max(vh2, 0.0)) - TERMINAL_HORIZONTAL_SPEED_M_S
        busy[k] = b
        if b <= 0.0:
            n_low += 1
    single_low = n_low == 1
    for k in range(cnt):
        b = busy[k]
        if b <= 0.0:
            o = ids[k]
            _rhs(src[srow[k]], work, area[o], drag_row[o], cd_table, rows, alt_min, inv_step,
                 last_node, inv_mach)  # fmt: skip
            ax, ay, az = work[3], work[4], work[5]
            if single_low:
                s2 = (ax * ax + az * az) + ay * ay
            else:
                s2 = (ax * ax + ay * ay) + az * az
            a = math.sqrt(s2) / G0_M_S2 - TERMINAL_ACCELERATION_G
            b = max(b, a)
        gout[k] = min(gout[k], b)


@numba.njit(**_INNER, _nrt=False)
def first_step(m, act, Z, S, y1, f1, rtol, atol, area, drag_row, cd_table, rows, alt_min,
               inv_step, last_node, inv_mach):  # fmt: skip
    """First derivative and the first part of the Hairer-Norsett-Wanner initial step of the
    ``m`` objects ``act[:m]`` (states in ``Z[0]``, times ``S[S_T]``, ends ``S[S_TEND]``):
    writes ``F``, ``h0`` (row ``S_STEP``) and ``max(d1, d2)`` (row ``S_DM``); the caller
    finishes ``h1`` with numpy's power."""
    Y, F = Z[0], Z[1]
    for j in range(m):
        o = act[j]
        _rhs(Y[o], F[o], area[o], drag_row[o], cd_table, rows, alt_min, inv_step, last_node,
             inv_mach)  # fmt: skip
    for j in range(m):
        o = act[j]
        y = Y[o]
        f = F[o]
        s0 = 0.0
        s1 = 0.0
        for c in range(7):
            sc = atol[c] + rtol * abs(y[c])
            q = y[c] / sc
            s0 += q * q
            q = f[c] / sc
            s1 += q * q
        d0 = math.sqrt(s0 / 7)
        d1 = math.sqrt(s1 / 7)
        if d0 < 1e-5 or d1 < 1e-5:
            h0 = 1e-6
        else:
            h0 = 0.01 * d0 / (d1 if d1 > 0 else 1.0)
        h0 = min(h0, S[S_TEND, o] - S[S_T, o])
        for c in range(7):
            y1[c] = y[c] + h0 * f[c]
        _rhs(y1, f1, area[o], drag_row[o], cd_table, rows, alt_min, inv_step, last_node,
             inv_mach)  # fmt: skip
        s2 = 0.0
        for c in range(7):
            sc = atol[c] + rtol * abs(y[c])
            q = (f1[c] - f[c]) / sc
            s2 += q * q
        d2 = math.sqrt(s2 / 7) / h0
        S[S_STEP, o] = h0
        S[S_DM, o] = max(d1, d2)


@numba.njit(cache=True, nogil=True, _nrt=False)
def start(m, act, Z, S, work, y1, f1, gbuf, busy, rtol, atol, area, drag_row, cd_table, rows,
          alt_min, inv_step, last_node, inv_mach):  # fmt: skip
    """:func:`first_step` and the event value (row ``S_G``) of the ``m`` objects ``act[:m]``."""
    first_step(m, act, Z, S, y1, f1, rtol, atol, area, drag_row, cd_table, rows, alt_min,
               inv_step, last_node, inv_mach)  # fmt: skip
    _event_set(m, False, act, Z[0], act, gbuf, busy, work, area, drag_row, cd_table, rows,
               alt_min, inv_step, last_node, inv_mach)  # fmt: skip
    for j in range(m):
        o = act[j]
        S[S_G, o] = gbuf[j]


@numba.njit(cache=True, nogil=True, _nrt=False)
def trial(m, act, Z, S, K, nrm, eo, rtol, atol, area, drag_row, cd_table, rows, alt_min,
          inv_step, last_node, inv_mach):  # fmt: skip
    """One Dormand-Prince 5(4) step attempt of each of the ``m`` objects ``act[:m]`` from
    ``(T, Y, F)`` with step ``H`` (shortened to land on ``Tend``): writes ``Yn``, ``Fn``, the
    step, ``Tn``, the error norm, whether it is the last step, and for the step control
    ``nrm[j] = max(norm, 1e-10)``, ``eo[j] = err_old``. ``K`` ``(7, N, 7)`` (stage, object,
    component) is scratch."""
    Y, F, Yn, Fn = Z[0], Z[1], Z[2], Z[3]
    for j in range(m):
        o = act[j]
        t = S[S_T, o]
        remaining = S[S_TEND, o] - t
        hh = S[S_H, o]
        last = hh * (1.0 + 1e-9) >= remaining
        if last:
            S[S_STEP, o] = remaining
            S[S_TN, o] = S[S_TEND, o]
        else:
            S[S_STEP, o] = hh
            S[S_TN, o] = t + hh
        S[S_LAST, o] = 1.0 if last else 0.0
        S[S_END, o] = 0.0
        for c in range(7):
            K[0, o, c] = F[o, c]
    # stage by stage over the batch: the objects' derivative evaluations are independent,
    # so the processor overlaps them (one object's stages form a chain of dependent ones)
    for s in range(1, 7):
        for j in range(m):
            o = act[j]
            h = S[S_STEP, o]
            y = Y[o]
            ys = Yn[o]
            # the driver's stage kernel: per component A[s,0] K0 (+ A[s,i] Ki)..., then Y + h .
            a = DP_A[s, 0]
            for c in range(7):
                ys[c] = a * K[0, o, c]
            for i in range(1, s):
                a = DP_A[s, i]
                if a != 0.0:
                    for c in range(7):
                        ys[c] += a * K[i, o, c]
            for c in range(7):
                ys[c] = y[c] + h * ys[c]
            _rhs(ys, K[s, o], area[o], drag_row[o], cd_table, rows, alt_min, inv_step,
                 last_node, inv_mach)  # fmt: skip
    for j in range(m):
        o = act[j]
        h = S[S_STEP, o]
        y = Y[o]
        ys = Yn[o]
        e = Fn[o]  # the error estimate first, then the derivative at the new state
        w = DP_E[0]
        for c in range(7):
            e[c] = w * K[0, o, c]
        for i in range(2, 7):
            w = DP_E[i]
            for c in range(7):
                e[c] += w * K[i, o, c]
        norm = 0.0
        for c in range(7):
            sc = atol[c] + rtol * max(abs(y[c]), abs(ys[c]))
            q = h * e[c] / sc
            norm += q * q
        for c in range(7):
            e[c] = K[6, o, c]
        norm = np.sqrt(norm / 7)
        S[S_NORM, o] = norm
        nrm[j] = max(norm, 1e-10)
        eo[j] = S[S_ERR, o]


#: The driver's ``_hermite_kernel`` for one object, ``k = 7``, ``second_order = 3``.
_hermite_one = hermite_state


@numba.njit(**_INNER, _nrt=False)
def control(m, act, S, p1, p2, grp):
    """PI step control and acceptance of the step attempts of :func:`trial` given
    ``p1 = nrm ** (-0.17)`` and ``p2 = eo ** 0.04`` (numpy's powers): writes the next step
    (row ``S_H``) and, for the accepted objects, ``err_old``; gathers the accepted objects in
    ``grp``. Returns their number, or -1 on step-size underflow."""
    n_acc = m - m  # int64, not a literal
    for j in range(m):
        o = act[j]
        norm = S[S_NORM, o]
        h = S[S_STEP, o]
        fac = 0.9 * p1[j] * p2[j]
        fac = min(max(fac, 0.2), 10.0)
        accept = norm <= 1.0
        if not accept:
            fac = min(fac, 1.0)
            if h <= 1e-12 * max(1.0, abs(S[S_T, o])):
                return -1
        S[S_H, o] = h * fac  # H_next (max_step_s is infinite)
        if accept:
            S[S_ERR, o] = max(norm, 1e-10)
            grp[n_acc] = o
            n_acc += 1
    return n_acc


@numba.njit(**_INNER, _nrt=False)
def crossings(n_acc, grp, S, gbuf, L):
    """Given the event values ``gbuf[:n_acc]`` at the accepted objects' new states, move the
    objects whose event went from positive to zero or below to the front of ``grp`` (the order
    within a batch does not matter: every operation is per object), with their bracket values
    in ``L``; update the event row ``S_G`` (0 at a crossing). Returns their number."""
    n_cross = n_acc - n_acc
    for k in range(n_acc):
        o = grp[k]
        gn = gbuf[k]
        if S[S_G, o] > 0.0 and gn <= 0.0:
            L[L_GA, n_cross] = S[S_G, o]
            L[L_GB, n_cross] = gn
            grp[n_cross], grp[k] = grp[k], grp[n_cross]
            n_cross += 1
            S[S_G, o] = 0.0
        else:
            S[S_G, o] = gn
    for k in range(n_cross):
        o = grp[k]
        L[L_A, k] = 0.0
        L[L_B, k] = 1.0
        L[L_SIDE, k] = 0.0
        L[L_H, k] = S[S_TN, o] - S[S_T, o]
    return n_cross


@numba.njit(**_INNER, _nrt=False)
def locate_points(n_cross, grp, L, Z, Ys):
    """One Illinois iterate of the crossings ``grp[:n_cross]``: the fraction of the step
    (row ``L_S`` of ``L``) and the interpolated state there (rows of ``Ys``)."""
    Y, F, Yn, Fn = Z[0], Z[1], Z[2], Z[3]
    for k in range(n_cross):
        o = grp[k]
        a = L[L_A, k]
        b = L[L_B, k]
        ga = L[L_GA, k]
        gb = L[L_GB, k]
        denom = ga - gb
        if denom > 0.0:
            s = (a * gb - b * ga) / (-denom)
        else:
            s = 0.5 * (a + b)
        s = min(max(s, a), b)
        L[L_S, k] = s
        _hermite_one(L[L_H, k], Y[o], F[o], Yn[o], Fn[o], s, Ys[k])


@numba.njit(**_INNER, _nrt=False)
def locate_update(n_cross, gbuf, L, tol_s):
    """Keep the brackets ``[a, b]`` with ``g(a) > 0 >= g(b)`` given the event values
    ``gbuf[:n_cross]`` at the iterates (Illinois halving on the stale end). Returns whether
    the search is over (every bracket within ``tol_s`` or on the surface)."""
    done = True
    for k in range(n_cross):
        gs = gbuf[k]
        s = L[L_S, k]
        side = L[L_SIDE, k]
        pos = gs > 0.0
        ga = L[L_GA, k]
        gb = L[L_GB, k]
        ga_new = gs if pos else ga
        gb_new = gb if pos else gs
        if pos and side == 1.0:
            gb_new = 0.5 * gb_new
        if not pos and side == -1.0:
            ga_new = 0.5 * ga_new
        L[L_SIDE, k] = 1.0 if pos else -1.0
        if pos:
            L[L_A, k] = s
        else:
            L[L_B, k] = s
        L[L_GA, k] = ga_new
        L[L_GB, k] = gb_new
        if not ((L[L_B, k] - L[L_A, k]) * L[L_H, k] <= tol_s or gs == 0.0):
            done = False
    return done


@numba.njit(**_INNER, _nrt=False)
def locate_finish(n_cross, grp, L, Z, S, Ys):
    """End the crossings at the bracket's far end ``b`` (``g <= 0``): new time and state."""
    Y, F, Yn, Fn = Z[0], Z[1], Z[2], Z[3]
    for k in range(n_cross):
        o = grp[k]
        b = L[L_B, k]
        h = L[L_H, k]
        S[S_TN, o] = S[S_T, o] + b * h
        _hermite_one(h, Y[o], F[o], Yn[o], Fn[o], b, Ys[k])
        for c in range(7):
            Yn[o, c] = Ys[k, c]
        S[S_LAST, o] = 2.0  # ended by the event


@numba.njit(**_INNER, _nrt=False)
def retire(m, act, n_acc, grp, Z, S, t_fin, y_fin, hit):
    """Accept the steps of ``grp[:n_acc]`` (``T, Y, F <- Tn, Yn, Fn``) and remove the objects
    that ended (``t_fin``, ``y_fin``, ``hit`` at their index) from ``act``. Returns the number
    of objects still live, negated minus one when some ended (``-(n + 1)``)."""
    Y, F, Yn, Fn = Z[0], Z[1], Z[2], Z[3]
    ended = False
    for k in range(n_acc):
        o = grp[k]
        S[S_T, o] = S[S_TN, o]
        for c in range(7):
            Y[o, c] = Yn[o, c]
            F[o, c] = Fn[o, c]
        if S[S_LAST, o] != 0.0:
            ended = True
            S[S_END, o] = 1.0
            t_fin[o] = S[S_T, o]
            for c in range(7):
                y_fin[o, c] = Y[o, c]
            hit[o] = S[S_LAST, o] == 2.0
    n = 0
    for j in range(m):
        o = act[j]
        if S[S_END, o] != 0.0:
            continue
        act[n] = o
        n += 1
    return -(n + 1) if ended else n


@numba.njit(cache=True, nogil=True, _nrt=False)
def commit(m, act, Z, S, p1, p2, grp, seq, L, Ys, gbuf, busy, work, layout, t_fin, y_fin,
           hit, tol_s, area, drag_row, cd_table, rows, alt_min, inv_step, last_node, inv_mach):  # fmt: skip
    """Finish the step attempt of :func:`trial` given ``p1 = nrm ** (-0.17)`` and
    ``p2 = eo ** 0.04`` (numpy's powers): PI step control, acceptance, the event on the
    accepted states, the Illinois search of the crossings (together), the update, and the
    objects that ended (``t_fin``, ``y_fin``, ``hit`` at their original index) removed from
    ``act``. Returns the number of objects still live, or -1 on step-size underflow.

    ``grp`` ``(N,)`` int and ``seq`` ``(N,)`` (``0..N-1``), ``L`` ``(N_LOCATE_ROWS, N)``,
    ``Ys`` ``(N, 7)``, ``gbuf``, ``busy`` ``(N,)``, ``work`` ``(>= 7,)``: scratch.

    ``layout[0]``: 1 while the driver's state array is C-ordered (component-major rows), 0
    once it is F-ordered (numpy's ``Y[:, idx]`` returns F-ordered arrays): it decides the
    layout of the states the driver hands to the event function, hence numpy's summation
    order there (:func:`_event_set`). Updated as the driver's arrays change."""
    n_acc = control(m, act, S, p1, p2, grp)
    if n_acc <= 0:
        return m if n_acc == 0 else -1
    all_accepted = n_acc == m
    # event on the accepted states (one batch of n_acc, as the driver's call): the driver's
    # Yn has the layout of its Y; not all accepted, it passes Yn[:, accepted] (F-ordered)
    _event_set(n_acc, layout[0] == 0 or not all_accepted, grp, Z[2], grp, gbuf, busy, work,
               area, drag_row, cd_table, rows, alt_min, inv_step, last_node, inv_mach)  # fmt: skip
    n_cross = crossings(n_acc, grp, S, gbuf, L)
    if n_cross:
        for _ in range(60):
            locate_points(n_cross, grp, L, Z, Ys)
            # the driver's search works on Y[:, crossing] copies: F-ordered
            _event_set(n_cross, True, grp, Ys, seq, gbuf, busy, work, area, drag_row,
                       cd_table, rows, alt_min, inv_step, last_node, inv_mach)  # fmt: skip
            if locate_update(n_cross, gbuf, L, tol_s):
                break
        locate_finish(n_cross, grp, L, Z, S, Ys)
    # layout of the driver's Y after the update: all accepted, Y becomes Yn (a C-ordered
    # copy where crossings were located); objects removed: Y[:, keep] (F-ordered)
    if all_accepted and n_cross:
        layout[0] = 1
    n = retire(m, act, n_acc, grp, Z, S, t_fin, y_fin, hit)
    if n < 0:
        layout[0] = 0
        n = -n - 1
    return n




def physics_arguments(aero) -> tuple:
    """The physics arguments of the kernels (``area, drag_row, cd_table, rows, alt_min,
    inv_step, last_node, inv_mach``) for objects with drag ``aero`` (a
    :class:`~bmdsim.flight.dynamics.Aero`), in the dtypes of their one compiled signature."""
    from bmdsim.flight.air import air_table
    from bmdsim.flight.dynamics import MACH_STEP

    table = air_table()
    return (
        np.ascontiguousarray(aero.area_m2, dtype=float),
        np.ascontiguousarray(aero.drag_row, dtype=np.intp),
        np.ascontiguousarray(aero.cd_table, dtype=float), table.rows, float(table.alt_min_m),
        float(table.inv_step_per_m), int(table.last_node), 1.0 / MACH_STEP,
    )  # fmt: skip


def state_arrays(t0, y0, t1) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``(Z, S, K)`` of objects with states ``y0 (N, 7)`` going from ``t0`` to ``t1`` [s]
    (scalars or ``(N,)``): ``Z (4, N, 7)`` (``Y`` set, ``F``, ``Yn``, ``Fn``), ``S
    (N_ROWS, N)`` (times set), ``K (7, N, 7)`` the stage scratch."""
    n = y0.shape[0]
    Z = np.zeros((4, n, 7))
    Z[0] = y0
    S = np.zeros((N_ROWS, n))
    S[S_T] = t0
    S[S_TEND] = t1
    return Z, S, np.empty((7, n, 7))


@numba.njit(**_INNER, _nrt=False)
def step_powers(m, nrm, eo, p1, p2):
    """The step control's powers ``p1 = nrm ** PI_EXPONENT``, ``p2 = eo ** 0.04`` of the ``m``
    step attempts of :func:`trial` (the C library's ``pow``: numpy's vectorised ``pow``, the
    driver's, may differ in the last bit)."""
    for j in range(m):
        p1[j] = nrm[j] ** PI_EXPONENT
        p2[j] = eo[j] ** 0.04


@numba.njit(cache=True, nogil=True, _nrt=False)
def fall_steps(m, act, budget, Z, S, K, nrm, eo, p1, p2, grp, seq, L, Ys, gbuf, busy, work,
               layout, t_fin, y_fin, hit, tol_s, rtol, atol, area, drag_row, cd_table, rows,
               alt_min, inv_step, last_node, inv_mach):  # fmt: skip
    """Up to ``budget`` step attempts of every live object ``act[:m]`` (:func:`trial`,
    :func:`step_powers`, :func:`commit`): the lockstep loop of :func:`lockstep` in one call.
    Returns ``(m, attempts)``, ``m`` the objects still live (-1: step-size underflow)."""
    n = 0
    while m > 0 and n < budget:
        n += 1
        trial(m, act, Z, S, K, nrm, eo, rtol, atol, area, drag_row, cd_table, rows, alt_min,
              inv_step, last_node, inv_mach)  # fmt: skip
        step_powers(m, nrm, eo, p1, p2)
        m = commit(m, act, Z, S, p1, p2, grp, seq, L, Ys, gbuf, busy, work, layout, t_fin,
                   y_fin, hit, tol_s, area, drag_row, cd_table, rows, alt_min, inv_step,
                   last_node, inv_mach)  # fmt: skip
    return m, n


def lockstep(todo, S, start_chunk, run_steps) -> None:
    """The loop that drives the kernels like :func:`bmdsim.core.integrate.dopri5`'s driver:
    chunks of ``CHUNK`` objects of ``todo``; per chunk, ``start_chunk(m, act)`` (the first
    derivative, event value and :func:`first_step`), the initial step finished (numpy's
    power), then step attempts of every live object in lockstep by ``run_steps(m, act,
    budget)`` (compiled: :func:`fall_steps` or the coast's), which returns ``(m, attempts)``
    after at most ``budget`` attempts, earlier when it must hand back (e.g. to grow a
    buffer). Raises :class:`bmdsim.core.integrate.IntegrationError` as the driver does."""
    from bmdsim.core.integrate import IntegrationError

    for first in range(0, todo.size, CHUNK):
        act = np.array(todo[first : first + CHUNK], dtype=np.intp)
        m = act.size
        start_chunk(m, act)
        h0, dm = S[S_STEP, act], S[S_DM, act]
        h1 = np.where(
            dm <= 1e-15, np.maximum(1e-6, h0 * 1e-3), (0.01 / np.where(dm > 0, dm, 1.0)) ** 0.2
        )
        S[S_H, act] = np.minimum(100.0 * h0, h1)
        S[S_ERR, act] = 1e-4
        n_iter = 0
        while m:
            if n_iter >= MAX_STEPS:
                raise IntegrationError(
                    f"{m} object(s) did not reach their end time within {MAX_STEPS} steps"
                )
            m, k = run_steps(m, act, MAX_STEPS - n_iter)
            n_iter += k
            if m < 0:
                raise IntegrationError("step size underflow in dopri5")


@numba.njit(cache=True, nogil=True, _nrt=False)
def quasi_steady_times(ground, up, h0, beta, mach_pts, cd_pts, cd_ref, rows, alt_min, inv_step,
                       last_node, out_t, out_v0):  # fmt: skip
    """Vertical terminal fall of ``M`` fragments: for fragment ``i`` from altitude ``h0[i]``
    [m] down the local vertical ``up[i]`` to ``ground[i]`` (ECEF, ``(M, 3)``), with ballistic
    coefficient ``beta[i]`` [kg/m^2]: the fall time ``out_t[i]`` [s], the integral of
    ``dh / v_t(h)`` by Simpson's rule on 64 intervals, and the terminal speed at the ground
    ``out_v0[i]`` [m/s]. ``v_t = sqrt(2 beta g Cd_ref / (rho Cd(M)))`` with the effective
    gravity along the vertical (J2 gravitation and centrifugal term), the air table's density
    and speed of sound, and ``Cd(M)`` interpolated on the curve ``(mach_pts, cd_pts)`` by a
    fixed-point iteration of 4 steps on the Mach number: the arithmetic of
    :func:`bmdsim.flight.debris._quasi_steady_fall` per point (to rounding)."""
    n_pts = 65
    for i in range(h0.shape[0]):
        total = 0.0
        for q in range(n_pts):
            h = h0[i] * (q / 64.0)
            x = ground[i, 0] + h * up[i, 0]
            y = ground[i, 1] + h * up[i, 1]
            z = ground[i, 2] + h * up[i, 2]
            ax, ay, az = vacuum_acceleration(x, y, z, 0.0, 0.0, 0.0, True, True)
            g = -(ax * up[i, 0] + ay * up[i, 1] + az * up[i, 2])
            lnrho, _lnp, c = _air(h, rows, alt_min, inv_step, last_node)
            k = 2.0 * beta[i] * g * cd_ref / math.exp(lnrho)
            v = math.sqrt(k / cd_pts[0])
            for _ in range(4):
                v = math.sqrt(k / interp_scalar(v / c, mach_pts, cd_pts))
            w = 1.0 if q == 0 or q == n_pts - 1 else (4.0 if q % 2 == 1 else 2.0)
            total += w / v
            if q == 0:
                out_v0[i] = v
        out_t[i] = h0[i] / (3.0 * 64) * total
