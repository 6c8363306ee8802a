"""Compiled (numba, ``cache=True``) ballistic coast to the ground or to a closest approach.

It serves the coasts of :func:`bmdsim.flight.flyout.fly_out` (threat flights and the aim
solver's, event: the ground) and of :func:`bmdsim.engagement.kinematics.fly_open_loop`
(interceptors, event: the ground or the closest approach to a target); :func:`coast` drives
it. The same computation as their numpy path (the batched
Dormand-Prince 5(4) driver of :mod:`bmdsim.core.integrate` with ``second_order=3``, the
default :class:`~bmdsim.flight.dynamics.Physics` and the event ``min(altitude, closing)``),
to the integration's accuracy (the step control's powers are the C library's ``pow``, the
driver's numpy's: see :mod:`bmdsim.flight._debris_kernel`). The Dormand-Prince pieces are
those of the debris fall
(:mod:`bmdsim.flight._debris_kernel`: :func:`~bmdsim.flight._debris_kernel.first_step`,
:func:`~bmdsim.flight._debris_kernel.trial`, the step control, the Illinois search and the
update), the step attempts in lockstep in one compiled loop (:func:`coast_steps`); this module
adds the event:

* ``ground``: the radial height of :func:`bmdsim.flight._kernel.altitude` (WGS-84);
* ``closing`` (with a target): ``-(dr . dv)`` with ``dr``, ``dv`` the target's position and
  velocity relative to the interceptor, 1 before the flight's burnout (``armed``) and where
  the target's state is not finite. The target is a
  dense trajectory passed as its knot tables (e.g.
  :meth:`bmdsim.engagement.prediction.PredictedTrajectories.knot_tables`): its state at
  ``t`` is :func:`bmdsim.core.integrate.interpolate_dense` reproduced for one time (the same
  global search key ``t + index * band``, the same clipping, the quintic Hermite
  interpolant). numpy's ``einsum`` over the (C-ordered) differences sums the dot product as
  ``(x0 y0 + x2 y2) + x1 y1``; so does :func:`_event_set`.

Target arrays (``tgt``): ``(has_target, armed (N,), target_index (N,), offsets, t_s, keys,
band, y, dydt)``; without a target, empty arrays.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from bmdsim.flight._debris_kernel import (
    L_H,
    L_S,
    S_G,
    S_T,
    S_TN,
    _hermite_one,
    _rhs,
    control,
    crossings,
    first_step,
    locate_finish,
    locate_points,
    locate_update,
    retire,
    step_powers,
    trial,
)
from bmdsim.flight._kernel import _INNER, altitude


@numba.njit(**_INNER, _nrt=False)
def _target_state(o, t, offsets, kt, keys, band, ky, kf, out):
    """State ``(7,)`` of target ``o`` at time ``t`` [s] into ``out`` as
    :func:`bmdsim.core.integrate.interpolate_dense` computes it; False where that is NaN
    (``t`` outside the target's knots, or no knots)."""
    start = offsets[o]
    stop = offsets[o + 1]
    if stop - start < 1 or not (t >= kt[start] and t <= kt[stop - 1]):
        return False
    # searchsorted(keys, t + o * band, side="right") - 1 (keys of other targets lie in
    # other bands: the search stays within this target's knots)
    q = t + o * band
    lo = start
    hi = stop
    while lo < hi:
        mid = (lo + hi) // 2
        if keys[mid] <= q:
            lo = mid + 1
        else:
            hi = mid
    j = min(max(lo - 1, start), stop - 2)
    if stop - start == 1:
        j = start
        j1 = j
    else:
        j1 = j + 1
    h = kt[j1] - kt[j]
    if h > 0.0:
        s = min(max((t - kt[j]) / h, 0.0), 1.0)
        _hermite_one(h, ky[j], kf[j], ky[j1], kf[j1], s, out)
    else:
        for c in range(7):
            out[c] = ky[j1, c]
    return True


@numba.njit(**_INNER, _nrt=False)
def _event_set(cnt, ids, times, src, srow, gout, work, has_target, armed, tindex, offsets, kt,
               keys, band, ky, kf):  # fmt: skip
    """The coast's event on a batch of ``cnt`` objects (object ``ids[k]`` at time
    ``times[k]`` with state ``src[srow[k]]``) into ``gout[k]``: the altitude, or with a
    target ``min(altitude, closing)``. ``work`` ``(7,)``: scratch."""
    for k in range(cnt):
        o = ids[k]
        y = src[srow[k]]
        gr = altitude(y[0], y[1], y[2], -1.0)
        if not has_target:
            gout[k] = gr
            continue
        t = times[k]
        cl = 1.0
        if t >= armed[o] and _target_state(tindex[o], t, offsets, kt, keys, band, ky, kf, work):
            d0 = work[0] - y[0]
            d1 = work[1] - y[1]
            d2 = work[2] - y[2]
            w0 = work[3] - y[3]
            w1 = work[4] - y[4]
            w2 = work[5] - y[5]
            val = -((d0 * w0 + d2 * w2) + d1 * w1)
            if math.isfinite(val):
                cl = val
        gout[k] = cl if cl < gr else gr  # np.minimum (the altitude is never NaN here)


@numba.njit(cache=True, nogil=True, _nrt=False)
def start(m, act, Z, S, y1, f1, gbuf, tbuf, work, rtol, atol, area, drag_row, cd_table, rows,
          alt_min, inv_step, last_node, inv_mach, has_target, armed, tindex, offsets, kt, keys,
          band, ky, kf, dense, n_knots, knot_t, knot_y, knot_f):  # fmt: skip
    """First derivative, first part of the initial step
    (:func:`~bmdsim.flight._debris_kernel.first_step`) and event value (row ``S_G``) of the
    ``m`` objects ``act[:m]``; with ``dense``, their first knot (time, state, derivative)."""
    first_step(m, act, Z, S, y1, f1, rtol, atol, area, drag_row, cd_table, rows, alt_min,
               inv_step, last_node, inv_mach)  # fmt: skip
    for j in range(m):
        tbuf[j] = S[S_T, act[j]]
    _event_set(m, act, tbuf, Z[0], act, gbuf, work, has_target, armed, tindex, offsets, kt,
               keys, band, ky, kf)  # fmt: skip
    for j in range(m):
        S[S_G, act[j]] = gbuf[j]
    if dense:
        for j in range(m):
            _knot(act[j], Z, S, n_knots, knot_t, knot_y, knot_f)


@numba.njit(**_INNER, _nrt=False)
def _knot(o, Z, S, n_knots, knot_t, knot_y, knot_f):
    """Append object ``o``'s time, state and derivative (``S_T``, ``Z[0]``, ``Z[1]``) to its
    knots (the caller keeps room for one more)."""
    q = n_knots[o]
    knot_t[o, q] = S[S_T, o]
    for c in range(7):
        knot_y[o, q, c] = Z[0][o, c]
        knot_f[o, q, c] = Z[1][o, c]
    n_knots[o] = q + 1


@numba.njit(cache=True, nogil=True, _nrt=False)
def commit(m, act, Z, S, p1, p2, grp, seq, L, Ys, gbuf, tbuf, work, t_fin, y_fin, hit, tol_s,
           area, drag_row, cd_table, rows, alt_min, inv_step, last_node, inv_mach, has_target,
           armed, tindex, offsets, kt, keys, band, ky, kf, dense, n_knots, knot_t, knot_y,
           knot_f):  # fmt: skip
    """Finish the step attempt of :func:`~bmdsim.flight._debris_kernel.trial` given the step
    control's powers ``p1``, ``p2`` (as :func:`bmdsim.flight._debris_kernel.commit`, with this coast's
    event): step control, the event on the accepted states, the Illinois search of the
    crossings (together), the update, and the objects that ended (``t_fin``, ``y_fin``,
    ``hit`` at their index) removed from ``act``. Returns the number of objects still
    live, or -1 on step-size underflow. ``tbuf`` ``(N,)``: scratch. With ``dense``, every
    accepted step's end becomes a knot of its object (at a located crossing with the
    derivative evaluated there, as the driver does)."""
    n_acc = control(m, act, S, p1, p2, grp)
    if n_acc <= 0:
        return m if n_acc == 0 else -1
    for k in range(n_acc):
        tbuf[k] = S[S_TN, grp[k]]
    _event_set(n_acc, grp, tbuf, Z[2], grp, gbuf, work, has_target, armed, tindex, offsets,
               kt, keys, band, ky, kf)  # fmt: skip
    n_cross = crossings(n_acc, grp, S, gbuf, L)
    if n_cross:
        for _ in range(60):
            locate_points(n_cross, grp, L, Z, Ys)
            for k in range(n_cross):
                tbuf[k] = S[S_T, grp[k]] + L[L_S, k] * L[L_H, k]
            _event_set(n_cross, grp, tbuf, Ys, seq, gbuf, work, has_target, armed, tindex,
                       offsets, kt, keys, band, ky, kf)  # fmt: skip
            if locate_update(n_cross, gbuf, L, tol_s):
                break
        locate_finish(n_cross, grp, L, Z, S, Ys)
        if dense:  # the driver's f at the located state (the step's end derivative otherwise)
            for k in range(n_cross):
                o = grp[k]
                _rhs(Z[2][o], Z[3][o], area[o], drag_row[o], cd_table, rows, alt_min,
                     inv_step, last_node, inv_mach)  # fmt: skip
    n = retire(m, act, n_acc, grp, Z, S, t_fin, y_fin, hit)
    if dense:
        for k in range(n_acc):
            _knot(grp[k], Z, S, n_knots, knot_t, knot_y, knot_f)
    return n if n >= 0 else -n - 1


#: Target tables of a coast without a target (one compiled signature).
NO_TARGET = (
    np.zeros(0), np.zeros(0, dtype=np.intp), np.zeros(1, dtype=np.intp), np.zeros(0),
    np.zeros(0), 0.0, np.zeros((0, 7)), np.zeros((0, 7)),
)  # fmt: skip

__all__ = ["NO_TARGET", "commit", "start"]


@numba.njit(cache=True, nogil=True, _nrt=False)
def coast_steps(m, act, budget, Z, S, K, nrm, eo, p1, p2, grp, seq, L, Ys, gbuf, tbuf, work,
                t_fin, y_fin, hit, tol_s, rtol, atol, area, drag_row, cd_table, rows, alt_min,
                inv_step, last_node, inv_mach, has_target, armed, tindex, offsets, kt, keys,
                band, ky, kf, dense, n_knots, knot_t, knot_y, knot_f):  # fmt: skip
    """Up to ``budget`` step attempts of every live object ``act[:m]``
    (:func:`~bmdsim.flight._debris_kernel.trial`, the step control's powers, :func:`commit`)
    in one call, handing back early when a dense coast's knot tables are full. Returns
    ``(m, attempts)``, ``m`` the objects still live (-1: step-size underflow)."""
    n = 0
    cap = knot_t.shape[1]
    while m > 0 and n < budget:
        n += 1
        trial(m, act, Z, S, K, nrm, eo, rtol, atol, area, drag_row, cd_table, rows, alt_min,
              inv_step, last_node, inv_mach)  # fmt: skip
        step_powers(m, nrm, eo, p1, p2)
        m = commit(m, act, Z, S, p1, p2, grp, seq, L, Ys, gbuf, tbuf, work, t_fin, y_fin, hit,
                   tol_s, area, drag_row, cd_table, rows, alt_min, inv_step, last_node,
                   inv_mach, has_target, armed, tindex, offsets, kt, keys, band, ky, kf, dense,
                   n_knots, knot_t, knot_y, knot_f)  # fmt: skip
        if dense and m > 0:
            full = False
            for o in range(n_knots.shape[0]):
                if n_knots[o] >= cap:
                    full = True
            if full:
                break
    return m, n


#: Knots kept per object at first by a dense :func:`coast` (doubled as needed).
_KNOTS_FIRST = 64


def coast(aero, t0, y0, t1, run, rtol: float, atol, event_tol_s: float, tgt: tuple, *,
          dense: bool = False):  # fmt: skip
    """``(t_s, y, event, knots)`` of :func:`bmdsim.core.integrate.dopri5`
    (``second_order=3``, default :class:`~bmdsim.flight.dynamics.Physics`, event ground or
    ``min(ground, closing)``) for the states ``y0 (N, 7)`` of the objects ``run`` from
    ``t0`` to ``t1`` ``(N,)`` [s] with drag ``aero`` (a
    :class:`~bmdsim.flight.dynamics.Aero`), computed by this module's kernels
    (to the integration's accuracy). The live objects advance in lockstep, one step
    attempt each per iteration as in the driver (:func:`bmdsim.flight._debris_kernel.lockstep`); ``tgt``:
    ``(False, *NO_TARGET)`` or the target tables (see the module docstring). ``dense``:
    ``knots`` is the driver's :class:`~bmdsim.core.integrate.DenseOutput` (every accepted
    step's knot), else None."""
    from bmdsim.core.integrate import DenseOutput
    from bmdsim.flight import _debris_kernel as dk
    from bmdsim.flight.dynamics import Physics, derivative

    n = y0.shape[0]
    phys = dk.physics_arguments(aero)
    atol = np.ascontiguousarray(atol, dtype=float)
    rtol = float(rtol)
    Z, S, K = dk.state_arrays(t0, y0, t1)
    t_fin = np.array(t0, dtype=float)
    y_fin = np.array(y0, dtype=float)
    hit = np.zeros(n, bool)
    work, y1, f1 = np.empty(7), np.empty(7), np.empty(7)
    nrm, eo, p1, p2, gbuf, tbuf = np.empty((6, n))
    grp = np.empty(n, dtype=np.intp)
    seq = np.arange(n, dtype=np.intp)
    L = np.empty((dk.N_LOCATE_ROWS, n))
    Ys = np.empty((n, 7))
    cap = _KNOTS_FIRST if dense else 1
    n_knots = np.zeros(n if dense else 1, dtype=np.int64)
    knot = [np.empty((n_knots.size, cap)), np.empty((n_knots.size, cap, 7)),
            np.empty((n_knots.size, cap, 7))]  # fmt: skip

    def start_chunk(m, act):
        start(m, act, Z, S, y1, f1, gbuf, tbuf, work, rtol, atol, *phys, *tgt, dense, n_knots,
              *knot)  # fmt: skip

    def run_steps(m, act, budget):
        m, k = coast_steps(m, act, budget, Z, S, K, nrm, eo, p1, p2, grp, seq, L, Ys, gbuf,
                           tbuf, work, t_fin, y_fin, hit, event_tol_s, rtol, atol, *phys, *tgt,
                           dense, n_knots, *knot)  # fmt: skip
        if dense and n_knots.max() >= knot[0].shape[1]:  # room for the next step's knots
            size = 2 * knot[0].shape[1]
            for i, a in enumerate(knot):
                grown = np.empty((a.shape[0], size, *a.shape[2:]))
                grown[:, : a.shape[1]] = a
                knot[i] = grown
        return m, k

    live = np.asarray(run, dtype=bool)
    dk.lockstep(np.nonzero(live & (t1 > t0))[0], S, start_chunk, run_steps)
    if not dense:
        return t_fin, y_fin, hit, None
    # objects with nothing to integrate: one knot at their start (the driver's)
    still = np.nonzero(live & (t1 <= t0))[0]
    if still.size:
        # as the driver: the derivative of the component-major copy's transpose
        ys = np.ascontiguousarray(y_fin[still].T)
        f_still = np.asarray(derivative(t_fin[still], ys.T, still, physics=Physics(), aero=aero))
        for j, o in enumerate(still):
            knot[0][o, 0], knot[1][o, 0], knot[2][o, 0] = t_fin[o], y_fin[o], f_still[j]
            n_knots[o] = 1
    used = np.arange(knot[0].shape[1])[None, :] < n_knots[:, None]
    index = np.nonzero(used)[0].astype(np.intp)
    knots = DenseOutput(index=index, t_s=knot[0][used], y=knot[1][used], dydt=knot[2][used],
                        offsets=np.searchsorted(index, np.arange(n + 1), side="left"))  # fmt: skip
    return t_fin, y_fin, hit, knots
