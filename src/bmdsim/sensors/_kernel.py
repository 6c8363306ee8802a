"""Compiled (numba, ``cache=True``) loops of the sensors layer.

``hermite_rows`` is :meth:`bmdsim.sensors.TruthTable.state_at` for one time per row: the
same cubic Hermite polynomial with the same operations in the same order (IEEE arithmetic,
no fused multiply-add: numba contracts nothing without ``fastmath``), so its numbers are
bit-identical to the numpy expression it replaces (``tests/unit/sensors/test_truth.py``);
it saves the numpy call overhead of a few looks per engine step.
"""

from __future__ import annotations

import numba
import numpy as np


@numba.njit(cache=True, nogil=True)
def hermite_rows(t, t_grid, states):
    """States ``(K, N, 6)`` at times ``t (K,)`` from samples ``states (T, N, 6)`` at
    ``t_grid (T,)`` (NaN outside ``[t_grid[0], t_grid[-1]]``)."""
    k_count = t.shape[0]
    n_obj = states.shape[1]
    last = t_grid.shape[0] - 1
    out = np.empty((k_count, n_obj, 6))
    for k in range(k_count):
        tk = t[k]
        if not (tk >= t_grid[0] and tk <= t_grid[last]):
            out[k] = np.nan
            continue
        # searchsorted(t_grid, tk, side="right") - 1, clipped to [0, T - 2]
        i = np.searchsorted(t_grid, tk, side="right") - 1
        if i > last - 1:
            i = last - 1
        if i < 0:
            i = 0
        h = t_grid[i + 1] - t_grid[i]
        s = (tk - t_grid[i]) / h
        s2 = s * s
        s3 = s * s * s
        w0 = 2.0 * s3 - 3.0 * s2 + 1.0
        w1 = (s3 - 2.0 * s2 + s) * h
        w2 = -2.0 * s3 + 3.0 * s2
        w3 = (s3 - s2) * h
        w4 = (6.0 * s2 - 6.0 * s) / h
        w5 = 3.0 * s2 - 4.0 * s + 1.0
        w6 = (-6.0 * s2 + 6.0 * s) / h
        w7 = 3.0 * s2 - 2.0 * s
        for j in range(n_obj):
            for c in range(3):
                p0 = states[i, j, c]
                v0 = states[i, j, c + 3]
                p1 = states[i + 1, j, c]
                v1 = states[i + 1, j, c + 3]
                out[k, j, c] = w0 * p0 + w1 * v0 + w2 * p1 + w3 * v1
                out[k, j, c + 3] = w4 * p0 + w5 * v0 + w6 * p1 + w7 * v1
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy")
def dwell_pairs(pos, pj, pc, cue_pos, cue_vel, cue_t_ref, cue_radius, t_tick, range_res_m):
    """Dwells ``p`` of (tick ``pj[p]``, cue ``pc[p]``) pairs: range ``rc (P,)`` from the
    radar at ``pos (K, 3)`` to the cue's predicted centre, unit direction ``uc (P, 3)`` and
    range gate ``radius + range_res_m`` ``(P,)`` (numpy's arithmetic, in its order)."""
    n_pairs = pj.shape[0]
    rc = np.empty(n_pairs)
    uc = np.empty((n_pairs, 3))
    gate = np.empty(n_pairs)
    for p in range(n_pairs):
        j = pj[p]
        c = pc[p]
        dt = t_tick[j] - cue_t_ref[c]
        d0 = cue_pos[c, 0] + cue_vel[c, 0] * dt - pos[j, 0]
        d1 = cue_pos[c, 1] + cue_vel[c, 1] * dt - pos[j, 1]
        d2 = cue_pos[c, 2] + cue_vel[c, 2] * dt - pos[j, 2]
        r = np.sqrt(d0 * d0 + d1 * d1 + d2 * d2)  # np.linalg.norm's sum order
        rc[p] = r
        uc[p, 0] = d0 / r
        uc[p, 1] = d1 / r
        uc[p, 2] = d2 / r
        gate[p] = cue_radius[c] + range_res_m
    return rc, uc, gate


@numba.njit(cache=True, nogil=True, error_model="numpy")
def dwell_hits(pos, states, pj, rc, uc, gate, cos_half):
    """``hit (K, N)``: object ``n`` (``states (K, N, >=3)`` ECEF) is in dwell ``p`` at tick
    ``pj[p]`` — its range within ``gate[p]`` of ``rc[p]`` and the cosine of its angle from
    ``uc[p]`` at least ``cos_half[p]``. The dot product is summed as numpy's ``einsum``
    sums three terms (``(x0 y0 + x2 y2) + x1 y1``), the norm as ``np.linalg.norm``."""
    k_count = states.shape[0]
    n_obj = states.shape[1]
    ro = np.empty((k_count, n_obj))
    uo = np.empty((k_count, n_obj, 3))
    for j in range(k_count):
        for n in range(n_obj):
            d0 = states[j, n, 0] - pos[j, 0]
            d1 = states[j, n, 1] - pos[j, 1]
            d2 = states[j, n, 2] - pos[j, 2]
            r = np.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
            ro[j, n] = r
            uo[j, n, 0] = d0 / r
            uo[j, n, 1] = d1 / r
            uo[j, n, 2] = d2 / r
    hit = np.zeros((k_count, n_obj), dtype=np.bool_)
    for p in range(pj.shape[0]):
        j = pj[p]
        for n in range(n_obj):
            if np.abs(ro[j, n] - rc[p]) <= gate[p]:
                cosang = uc[p, 0] * uo[j, n, 0] + uc[p, 2] * uo[j, n, 2] + uc[p, 1] * uo[j, n, 1]
                if cosang >= cos_half[p]:
                    hit[j, n] = True
    return hit
