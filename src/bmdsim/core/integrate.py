"""Batched ODE integrators: every object of a batch carries its own time and step.

The system is ``dy/dt = f(t, y, idx)`` for ``N`` independent objects with ``k`` state
components. ``f`` receives the objects still being integrated (a compact sub-batch):

* ``t``   ``(M,)``   each object's own time [s];
* ``y``   ``(M, k)`` their states (a transposed view of a component-major array, so that
  ``y[:, j]`` is contiguous);
* ``idx`` ``(M,)``   their indices in the original batch, to look up per-object parameters;

and returns ``(M, k)``. An optional event function ``g(t, y, idx) -> (M,)`` stops an object
when ``g`` goes from positive to zero or negative (e.g. altitude crossing the ground); the
crossing is located per object on the step's interpolant, without stopping the rest of the
batch.

Two methods share one driver:

* :func:`rk4` — classical fixed-step Runge-Kutta 4 (the last step of each object is shortened
  to land on its end time), for powered flight between discontinuities.
* :func:`dopri5` — Dormand-Prince 5(4) with per-object error control (Dormand & Prince, *J.
  Comp. Appl. Math.* 6:19, 1980; step control as in Hairer, Norsett & Wanner, *Solving Ordinary
  Differential Equations I*, sec. II.4), for long coasts.

Interpolation between accepted steps (outputs at requested times, event location, dense
output kept for later sampling) is Hermite: cubic on ``(y, dy/dt)`` at both ends; for a
second-order system declared with ``second_order=n`` (``y = [q (n), dq/dt (n), rest]``) the
positions ``q`` are interpolated by the quintic Hermite polynomial on ``(q, dq/dt, d2q/dt2)``
at both ends and the velocities by its derivative (see :func:`hermite`).

The driver is numpy; the batch is processed in chunks of ``chunk`` objects (4,096 by default,
so that a step's arrays stay in cache) and the arithmetic that numpy would do in many passes
over memory (Dormand-Prince stage sums, error norm, Hermite interpolation) runs in small
compiled kernels (numba, ``cache=True``). Chunks are independent: results do not depend on the
chunk size.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numba
import numpy as np

DerivativeFn = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
EventFn = Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]


class IntegrationError(RuntimeError):
    """An integration could not reach its end (step budget exhausted or step underflow)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class DenseOutput:
    """Accepted steps of a batched integration, as knots sorted by (object, time).

    Object ``i``'s knots are ``slice(offsets[i], offsets[i + 1])``; its first knot is its
    start and its last its end (or event). Interpolate with :func:`hermite` between knots.
    """

    #: ``(K,)`` object index of each knot.
    index: np.ndarray
    #: ``(K,)`` time of each knot [s].
    t_s: np.ndarray
    #: ``(K, k)`` state at each knot.
    y: np.ndarray
    #: ``(K, k)`` derivative at each knot.
    dydt: np.ndarray
    #: ``(N + 1,)`` start of each object's knots.
    offsets: np.ndarray


@dataclass(frozen=True, slots=True, kw_only=True)
class Solution:
    """Result of a batched integration; arrays over the batch axis ``N``."""

    #: ``(N,)`` time each object reached: its end time, its event time, or its start time if
    #: it was not alive [s].
    t_s: np.ndarray
    #: ``(N, k)`` state at ``t_s``.
    y: np.ndarray
    #: ``(N,)`` True where the event stopped the object.
    event: np.ndarray
    #: ``(N,)`` accepted steps per object.
    steps: np.ndarray
    #: Total number of derivative evaluations, summed over objects.
    evaluations: int
    #: ``(T, N, k)`` states at the requested output times; NaN before an object's start,
    #: after its end or event, and for objects not alive. ``None`` if no times were requested.
    y_out: np.ndarray | None
    #: Knots of every accepted step when ``dense=True``, else ``None``.
    dense: DenseOutput | None


# --- interpolation ---------------------------------------------------------------------------


def hermite(h, y0, f0, y1, f1, s, *, second_order: int = 0) -> np.ndarray:
    """Hermite interpolant on one step, evaluated at fraction ``s`` in [0, 1] of the step.

    ``h`` is the step length [s] and ``y0, f0, y1, f1`` the states and derivatives at its
    ends, all component-major: ``h, s`` shaped ``(M,)``, the others ``(k, M)``; returns
    ``(k, M)``. Components without second-order structure use the cubic Hermite polynomial
    (exact for cubics). With ``second_order=n`` components ``0..n-1`` are positions whose
    derivatives are components ``n..2n-1``: positions use the quintic Hermite polynomial on
    position, velocity and acceleration at both ends (exact for quintics), velocities its
    time derivative, and components ``2n..`` the cubic.

    Float arrays of exactly these shapes go to the compiled kernel (same operations in the
    same order: identical results, without numpy's per-operation overhead on small batches).
    """
    arrays = (h, y0, f0, y1, f1, s)
    if all(isinstance(a, np.ndarray) and a.dtype == np.float64 for a in arrays):
        k_m = y0.shape
        if (
            y0.ndim == 2 and f0.shape == k_m and y1.shape == k_m and f1.shape == k_m
            and h.shape == (k_m[1],) and s.shape == (k_m[1],) and 2 * second_order <= k_m[0]
        ):  # fmt: skip
            out = np.empty(k_m)
            _hermite_kernel(h, y0, f0, y1, f1, s, int(second_order), out)
            return out
    s2 = s * s
    s3 = s2 * s
    # cubic Hermite basis
    c00 = 2.0 * s3 - 3.0 * s2 + 1.0
    c10 = s3 - 2.0 * s2 + s
    c01 = -2.0 * s3 + 3.0 * s2
    c11 = s3 - s2
    out = c00 * y0 + (h * c10) * f0 + c01 * y1 + (h * c11) * f1
    n = second_order
    if n:
        s4 = s3 * s
        s5 = s4 * s
        q0, v0, a0 = y0[:n], y0[n : 2 * n], f0[n : 2 * n]
        q1, v1, a1 = y1[:n], y1[n : 2 * n], f1[n : 2 * n]
        h2 = h * h
        b0 = 1.0 - 10.0 * s3 + 15.0 * s4 - 6.0 * s5
        b1 = s - 6.0 * s3 + 8.0 * s4 - 3.0 * s5
        b2 = 0.5 * s2 - 1.5 * s3 + 1.5 * s4 - 0.5 * s5
        b3 = 0.5 * s3 - s4 + 0.5 * s5
        b4 = -4.0 * s3 + 7.0 * s4 - 3.0 * s5
        b5 = 1.0 - b0
        out[:n] = (
            b0 * q0 + (h * b1) * v0 + (h2 * b2) * a0 + (h2 * b3) * a1 + (h * b4) * v1 + b5 * q1
        )
        # derivatives of the quintic basis with respect to s, divided by h for d/dt
        d0 = -30.0 * s2 + 60.0 * s3 - 30.0 * s4
        d1 = 1.0 - 18.0 * s2 + 32.0 * s3 - 15.0 * s4
        d2 = s - 4.5 * s2 + 6.0 * s3 - 2.5 * s4
        d3 = 1.5 * s2 - 4.0 * s3 + 2.5 * s4
        d4 = -12.0 * s2 + 28.0 * s3 - 15.0 * s4
        out[n : 2 * n] = (d0 / h) * (q0 - q1) + d1 * v0 + (h * d2) * a0 + (h * d3) * a1 + d4 * v1
    return out


def dense_search_keys(dense: DenseOutput) -> tuple[np.ndarray, float]:
    """Search keys of the knots of a non-empty :class:`DenseOutput` for one global
    ``searchsorted``: each object's times shifted into its own disjoint band,
    ``keys = t_s + index * band`` (``band`` a power of two above 4 times the largest
    ``|t_s| + 1``); a time ``t`` of object ``o`` is sought as ``t + o * band``."""
    span = float(np.max(np.abs(dense.t_s))) + 1.0
    band = 2.0 ** np.ceil(np.log2(4.0 * span))
    return dense.t_s + dense.index * band, band


def interpolate_dense(dense: DenseOutput, objects, t_s, *, second_order: int = 0) -> np.ndarray:
    """States of ``objects`` at times ``t_s`` from a :class:`DenseOutput`, vectorised.

    ``objects`` (int indices) and ``t_s`` [s] broadcast against each other to a shape ``S``;
    returns ``S + (k,)``. NaN where ``t_s`` is outside an object's knot interval or the object
    has no knots. At a time shared by two knots (a discontinuity between segments) the later
    knot wins.
    """
    obj, t = np.broadcast_arrays(np.asarray(objects, dtype=np.intp), np.asarray(t_s, dtype=float))
    shape = obj.shape
    obj = obj.ravel()
    t = t.ravel()
    k = dense.y.shape[1]
    out = np.full((t.size, k), np.nan)
    if dense.t_s.size == 0 or t.size == 0:
        return out.reshape(*shape, k)
    start = dense.offsets[obj]
    stop = dense.offsets[obj + 1]
    has = stop - start >= 1
    first = np.where(has, dense.t_s[np.minimum(start, dense.t_s.size - 1)], np.inf)
    last = np.where(has, dense.t_s[np.maximum(stop - 1, 0)], -np.inf)
    ok = has & (t >= first) & (t <= last)
    if not ok.any():
        return out.reshape(*shape, k)
    keys, band = dense_search_keys(dense)
    o, tt = obj[ok], t[ok]
    j = np.searchsorted(keys, tt + o * band, side="right") - 1
    j = np.clip(j, dense.offsets[o], dense.offsets[o + 1] - 2)
    single = dense.offsets[o + 1] - dense.offsets[o] == 1
    j = np.where(single, dense.offsets[o], j)
    j1 = np.where(single, j, j + 1)
    h = dense.t_s[j1] - dense.t_s[j]
    safe_h = np.where(h > 0.0, h, 1.0)
    s = np.clip((tt - dense.t_s[j]) / safe_h, 0.0, 1.0)
    val = hermite(
        safe_h,
        dense.y[j].T,
        dense.dydt[j].T,
        dense.y[j1].T,
        dense.dydt[j1].T,
        s,
        second_order=second_order,
    ).T
    val = np.where((h > 0.0)[:, None], val, dense.y[j1])
    out[ok] = val
    return out.reshape(*shape, k)


# --- Runge-Kutta tableaus ----------------------------------------------------------------------

# Dormand-Prince 5(4): nodes, stage matrix, 5th-order weights (= last row, FSAL), error weights
_DP_C = np.array([0.0, 1 / 5, 3 / 10, 4 / 5, 8 / 9, 1.0, 1.0])
_DP_A = (
    (),
    (1 / 5,),
    (3 / 40, 9 / 40),
    (44 / 45, -56 / 15, 32 / 9),
    (19372 / 6561, -25360 / 2187, 64448 / 6561, -212 / 729),
    (9017 / 3168, -355 / 33, 46732 / 5247, 49 / 176, -5103 / 18656),
    (35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84),
)
_DP_B = np.array([35 / 384, 0.0, 500 / 1113, 125 / 192, -2187 / 6784, 11 / 84, 0.0])
#: 5th-order minus embedded 4th-order weights.
_DP_E = np.array(
    [
        71 / 57600,
        0.0,
        -71 / 16695,
        71 / 1920,
        -17253 / 339200,
        22 / 525,
        -1 / 40,
    ]
)


#: The stage matrix as a dense (7, 7) array for the compiled stage kernel.
_DP_AM = np.zeros((7, 7))
for _s, _row in enumerate(_DP_A):
    _DP_AM[_s, : len(_row)] = _row
#: The Dormand-Prince stage matrix ``(7, 7)`` and error weights ``(7,)`` for compiled copies
#: of the driver (:mod:`bmdsim.flight._debris_kernel`).
DP_STAGE_MATRIX = _DP_AM
DP_ERROR_WEIGHTS = _DP_E


# Stage arithmetic of Dormand-Prince, fused into one pass over memory (numpy would make one
# pass per operation; with large batches the step is memory-bound). Generic: any (k, M).
@numba.njit(cache=True, nogil=True)
def _dp_stage_kernel(Y, K, s, h, A, out):  # pragma: no cover - compiled
    k, m = Y.shape
    for c in range(k):
        for j in range(m):
            out[c, j] = A[s, 0] * K[0, c, j]
        for i in range(1, s):
            a = A[s, i]
            if a != 0.0:
                for j in range(m):
                    out[c, j] += a * K[i, c, j]
        for j in range(m):
            out[c, j] = Y[c, j] + h[j] * out[c, j]


@numba.njit(cache=True, nogil=True)
def _dp_error_kernel(Y, Yn, K, h, E, rtol, atol, norm):  # pragma: no cover - compiled
    k, m = Y.shape
    for j in range(m):
        norm[j] = 0.0
    for c in range(k):
        for j in range(m):
            e = E[0] * K[0, c, j]
            for i in range(2, 7):
                e += E[i] * K[i, c, j]
            sc = atol[c] + rtol * max(abs(Y[c, j]), abs(Yn[c, j]))
            q = h[j] * e / sc
            norm[j] += q * q
    for j in range(m):
        norm[j] = np.sqrt(norm[j] / k)


@numba.njit(cache=True, nogil=True, _nrt=False)
def interp_scalar(x, xp, fp):
    """``numpy.interp(x, xp, fp)`` of one ``x`` for compiled code (numpy's algorithm in
    ``numpy/_core/src/multiarray/compiled_base.c``: ends held, NaN propagated, the exact
    sample at a knot, its NaN fallbacks); ``xp`` increasing."""
    w = xp.shape[0]
    if w == 1:
        return fp[0]
    if np.isnan(x):
        return x
    if x < xp[0]:
        return fp[0]
    if x >= xp[w - 1]:
        return fp[w - 1]
    j = np.searchsorted(xp, x, side="right") - 1
    if xp[j] == x:
        return fp[j]
    slope = (fp[j + 1] - fp[j]) / (xp[j + 1] - xp[j])
    res = slope * (x - xp[j]) + fp[j]
    if np.isnan(res):
        res = slope * (x - xp[j + 1]) + fp[j + 1]
        if np.isnan(res) and fp[j] == fp[j + 1]:
            res = fp[j]
    return res


@numba.njit(cache=True, nogil=True, _nrt=False)
def quintic_hermite_weights(s, h):
    """Weights of the quintic Hermite interpolant (second-order states: positions with
    their velocities and accelerations at both ends of a step of length ``h`` [s]) at
    fraction ``s``: position weights ``b0..b5`` (of ``q0, v0, a0, a1, v1, q1``) and
    velocity weights ``d0..d4`` (of ``q0 - q1, v0, a0, a1, v1``). The one formula of
    :func:`hermite` and of the compiled flight kernels that reproduce it."""
    s2 = s * s
    s3 = s2 * s
    s4 = s3 * s
    s5 = s4 * s
    h2 = h * h
    b0 = 1.0 - 10.0 * s3 + 15.0 * s4 - 6.0 * s5
    b1 = h * (s - 6.0 * s3 + 8.0 * s4 - 3.0 * s5)
    b2 = h2 * (0.5 * s2 - 1.5 * s3 + 1.5 * s4 - 0.5 * s5)
    b3 = h2 * (0.5 * s3 - s4 + 0.5 * s5)
    b4 = h * (-4.0 * s3 + 7.0 * s4 - 3.0 * s5)
    b5 = 1.0 - b0
    d0 = (-30.0 * s2 + 60.0 * s3 - 30.0 * s4) / h
    d1 = 1.0 - 18.0 * s2 + 32.0 * s3 - 15.0 * s4
    d2 = h * (s - 4.5 * s2 + 6.0 * s3 - 2.5 * s4)
    d3 = h * (1.5 * s2 - 4.0 * s3 + 2.5 * s4)
    d4 = -12.0 * s2 + 28.0 * s3 - 15.0 * s4
    return b0, b1, b2, b3, b4, b5, d0, d1, d2, d3, d4


@numba.njit(cache=True, nogil=True, _nrt=False)
def quintic_hermite_state(s, h, y0, a0, y1, a1, ai, out):
    """Position and velocity (``out[0:6]``) of one object at fraction ``s`` of a step of
    length ``h`` [s] on the quintic Hermite interpolant: knot states ``y0``, ``y1``
    (positions ``0:3``, velocities ``3:6``) with accelerations ``a0[ai:ai + 3]``,
    ``a1[ai:ai + 3]`` (``ai = 3`` for derivatives laid out as the states, 0 for a table of
    accelerations)."""
    b0, b1, b2, b3, b4, b5, d0, d1, d2, d3, d4 = quintic_hermite_weights(s, h)
    for c in range(3):
        q0 = y0[c]
        v0 = y0[3 + c]
        acc0 = a0[ai + c]
        q1 = y1[c]
        v1 = y1[3 + c]
        acc1 = a1[ai + c]
        out[c] = b0 * q0 + b1 * v0 + b2 * acc0 + b3 * acc1 + b4 * v1 + b5 * q1
        out[3 + c] = d0 * (q0 - q1) + d1 * v0 + d2 * acc0 + d3 * acc1 + d4 * v1


@numba.njit(cache=True, nogil=True, _nrt=False)
def hermite_state(h, y0, f0, y1, f1, s, out):
    """:func:`hermite` (``second_order=3``) of one object with states ``(7,)`` (position,
    velocity, mass) and their derivatives, at fraction ``s`` of a step of length ``h`` [s],
    into ``out (7,)``: the quintic interpolant for position and velocity, the cubic one for
    the mass."""
    s2 = s * s
    s3 = s2 * s
    c00 = 2.0 * s3 - 3.0 * s2 + 1.0
    c10 = h * (s3 - 2.0 * s2 + s)
    c01 = -2.0 * s3 + 3.0 * s2
    c11 = h * (s3 - s2)
    out[6] = c00 * y0[6] + c10 * f0[6] + c01 * y1[6] + c11 * f1[6]
    quintic_hermite_state(s, h, y0, f0, y1, f1, 3, out)


@numba.njit(cache=True, nogil=True)
def _hermite_kernel(h, y0, f0, y1, f1, s, n, out):  # pragma: no cover - compiled
    """Compiled :func:`hermite` on component-major arrays (one pass over memory)."""
    k, m = y0.shape
    for j in range(m):
        sj = s[j]
        hj = h[j]
        s2 = sj * sj
        s3 = s2 * sj
        c00 = 2.0 * s3 - 3.0 * s2 + 1.0
        c10 = hj * (s3 - 2.0 * s2 + sj)
        c01 = -2.0 * s3 + 3.0 * s2
        c11 = hj * (s3 - s2)
        for c in range(2 * n, k):
            out[c, j] = c00 * y0[c, j] + c10 * f0[c, j] + c01 * y1[c, j] + c11 * f1[c, j]
        if n:
            b0, b1, b2, b3, b4, b5, d0, d1, d2, d3, d4 = quintic_hermite_weights(sj, hj)
            for c in range(n):
                q0 = y0[c, j]
                v0 = y0[n + c, j]
                a0 = f0[n + c, j]
                q1 = y1[c, j]
                v1 = y1[n + c, j]
                a1 = f1[n + c, j]
                out[c, j] = b0 * q0 + b1 * v0 + b2 * a0 + b3 * a1 + b4 * v1 + b5 * q1
                out[n + c, j] = d0 * (q0 - q1) + d1 * v0 + d2 * a0 + d3 * a1 + d4 * v1


def _as_km(f: DerivativeFn, t, Y, idx) -> np.ndarray:
    """Call ``f`` on a component-major state ``(k, M)``; return its result component-major."""
    return np.ascontiguousarray(np.asarray(f(t, Y.T, idx), dtype=float).T)


def _rk4_step(f, t, Y, F, h, idx):
    """One classical RK4 step (component-major); ``F = f(t, Y)`` is given."""
    hh = 0.5 * h
    k2 = _as_km(f, t + hh, Y + hh * F, idx)
    k3 = _as_km(f, t + hh, Y + hh * k2, idx)
    k4 = _as_km(f, t + h, Y + h * k3, idx)
    return Y + (h / 6.0) * (F + 2.0 * (k2 + k3) + k4)


def _dopri5_step(f, t, Y, F, h, idx, rtol, atol):
    """One Dormand-Prince 5(4) step: ``(Y_new, F_new, error norm)`` (component-major).

    ``atol`` is ``(k, 1)``; the norm is the RMS over components of
    ``err / (atol + rtol * max(|Y|, |Y_new|))``.
    """
    K = np.empty((7, *Y.shape))
    K[0] = F
    Ys = np.empty_like(Y)
    for s in range(1, 7):
        _dp_stage_kernel(Y, K, s, h, _DP_AM, Ys)
        K[s] = _as_km(f, t + _DP_C[s] * h, Ys, idx)
    # the last stage was evaluated at y_new (first same as last)
    norm = np.empty(Y.shape[1])
    _dp_error_kernel(Y, Ys, K, h, _DP_E, rtol, atol[:, 0], norm)
    return Ys, K[6], norm


def _initial_step(f, t, Y, F, idx, rtol, atol, t_end) -> np.ndarray:
    """Hairer-Norsett-Wanner initial step size (sec. II.4), per object."""
    scale = atol + rtol * np.abs(Y)
    d0 = np.sqrt(np.mean((Y / scale) ** 2, axis=0))
    d1 = np.sqrt(np.mean((F / scale) ** 2, axis=0))
    h0 = np.where((d0 < 1e-5) | (d1 < 1e-5), 1e-6, 0.01 * d0 / np.where(d1 > 0, d1, 1.0))
    h0 = np.minimum(h0, t_end - t)
    F1 = _as_km(f, t + h0, Y + h0 * F, idx)
    d2 = np.sqrt(np.mean(((F1 - F) / scale) ** 2, axis=0)) / h0
    dm = np.maximum(d1, d2)
    h1 = np.where(
        dm <= 1e-15, np.maximum(1e-6, h0 * 1e-3), (0.01 / np.where(dm > 0, dm, 1.0)) ** 0.2
    )
    return np.minimum(100.0 * h0, h1)


# --- the driver ----------------------------------------------------------------------------------


def _locate_event(g, f, t0, Y0, F0, t1, Y1, F1, idx, g0, g1, second_order, tol_s):
    """Illinois (modified regula falsi) search for g = 0 on each step's interpolant.

    ``g0 > 0 >= g1``; returns ``(t, Y, F)`` at the crossing, component-major.
    """
    h = t1 - t0
    a = np.zeros_like(h)
    b = np.ones_like(h)
    ga = g0.copy()
    gb = g1.copy()
    side = np.zeros(h.shape, dtype=np.int8)
    s = b.copy()
    Ys = np.empty_like(Y0)
    n_it = 0
    for _ in range(60):
        n_it += 1
        denom = ga - gb  # > 0 while the bracket holds
        s = np.where(
            denom > 0.0, (a * gb - b * ga) / np.where(denom > 0.0, -denom, 1.0), 0.5 * (a + b)
        )
        s = np.clip(s, a, b)
        _hermite_kernel(h, Y0, F0, Y1, F1, s, second_order, Ys)
        gs = np.asarray(g(t0 + s * h, Ys.T, idx), dtype=float)
        pos = gs > 0.0
        # keep the bracket [a, b] with g(a) > 0 >= g(b); Illinois halving on the stale end
        ga_new = np.where(pos, gs, ga)
        gb_new = np.where(pos, gb, gs)
        gb_new = np.where(pos & (side == 1), 0.5 * gb_new, gb_new)
        ga_new = np.where(~pos & (side == -1), 0.5 * ga_new, ga_new)
        side = np.where(pos, 1, -1).astype(np.int8)
        a = np.where(pos, s, a)
        b = np.where(pos, b, s)
        ga, gb = ga_new, gb_new
        if np.all(((b - a) * h <= tol_s) | (gs == 0.0)):
            break
    s = b  # g(b) <= 0: the object is at or just past the surface
    t = t0 + s * h
    Y = hermite(h, Y0, F0, Y1, F1, s, second_order=second_order)
    F = _as_km(f, t, Y, idx)
    return t, Y, F


def _fill_outputs(y_out, t_out, ia, Ta, Tna, Ya, Fa, Yna, Fna, second_order, *, include_start):
    """Interpolate the outputs falling in each object's step ``(Ta, Tna]`` (or ``[Ta, Tna]``)."""
    lo = np.searchsorted(t_out, Ta, side="left" if include_start else "right")
    hi = np.searchsorted(t_out, Tna, side="right")
    cnt = hi - lo
    if not cnt.any():
        return
    rep = np.repeat(np.arange(ia.size), cnt)
    jj = np.repeat(lo, cnt) + (np.arange(rep.size) - np.repeat(np.cumsum(cnt) - cnt, cnt))
    hs = (Tna - Ta)[rep]
    hs = np.where(hs > 0.0, hs, 1.0)  # zero-length step: s = 0 gives the start state
    s = np.clip((t_out[jj] - Ta[rep]) / hs, 0.0, 1.0)
    vals = np.empty((Ya.shape[0], rep.size))
    _hermite_kernel(hs, Ya[:, rep], Fa[:, rep], Yna[:, rep], Fna[:, rep], s, second_order, vals)
    y_out[jj, ia[rep]] = vals.T


class _Driver:
    """Shared state of one batched integration; :meth:`run` integrates one chunk of objects."""

    def __init__(self, method, f, event, t_out, dense, second_order, max_steps, event_tol_s,
                 step, rtol, atol, max_step_s, n_obj, k):  # fmt: skip
        self.method, self.f, self.event = method, f, event
        self.t_out, self.dense, self.second_order = t_out, dense, second_order
        self.max_steps, self.event_tol_s = max_steps, event_tol_s
        self.step, self.rtol, self.atol, self.max_step_s = step, rtol, atol, max_step_s
        self.knots: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self.evaluations = 0
        self.steps = np.zeros(n_obj, np.int64)
        self.y_out = None if t_out is None else np.full((t_out.size, n_obj, k), np.nan)

    def run(self, idx, t0, t1, y0, t_fin, y_fin, hit):
        f, event, so = self.f, self.event, self.second_order
        T = t0[idx].copy()
        Tend = t1[idx].copy()
        Y = np.ascontiguousarray(y0[idx].T)
        F = _as_km(f, T, Y, idx)
        self.evaluations += idx.size
        G = np.asarray(event(T, Y.T, idx), dtype=float) if event is not None else None
        if self.y_out is not None:  # outputs exactly at the start time
            _fill_outputs(self.y_out, self.t_out, idx, T, T, Y, F, Y, F, so, include_start=True)
        if self.dense:
            self.knots.append((idx.copy(), T.copy(), Y.T.copy(), F.T.copy()))
        if self.method == "rk4":
            H = np.broadcast_to(np.asarray(self.step, dtype=float), t0.shape)[idx].copy()
            if np.any(H <= 0.0):
                raise ValueError("rk4 step must be > 0")
            err_old = None
        else:
            if self.step is None:
                H = _initial_step(f, T, Y, F, idx, self.rtol, self.atol, Tend)
                self.evaluations += idx.size
            else:
                H = np.broadcast_to(np.asarray(self.step, dtype=float), t0.shape)[idx].copy()
            err_old = np.full(idx.size, 1e-4)
        H = np.minimum(H, self.max_step_s)

        n_iter = 0
        while idx.size:
            n_iter += 1
            if n_iter > self.max_steps:
                raise IntegrationError(
                    f"{idx.size} object(s) did not reach their end time within {self.max_steps} steps"
                )
            remaining = Tend - T
            last = H * (1.0 + 1e-9) >= remaining
            h = np.where(last, remaining, H)
            Tn = np.where(last, Tend, T + h)
            if self.method == "rk4":
                Yn = _rk4_step(f, T, Y, F, h, idx)
                Fn = _as_km(f, Tn, Yn, idx)
                self.evaluations += 4 * idx.size
                accept = None
                H_next = H
            else:
                Yn, Fn, norm = _dopri5_step(f, T, Y, F, h, idx, self.rtol, self.atol)
                self.evaluations += 6 * idx.size
                accept = norm <= 1.0
                # PI step-size control (Hairer-Norsett-Wanner II.4, dopri5 with beta = 0.04)
                nrm = np.maximum(norm, 1e-10)
                fac = 0.9 * nrm ** (-0.2 + 0.04 * 0.75) * err_old**0.04
                fac = np.clip(fac, 0.2, 10.0)
                fac = np.where(accept, fac, np.minimum(fac, 1.0))
                H_next = np.minimum(h * fac, self.max_step_s)
                err_old = np.where(accept, nrm, err_old)
                bad = ~accept & (h <= 1e-12 * np.maximum(1.0, np.abs(T)))
                if bad.any():
                    raise IntegrationError("step size underflow in dopri5")
                if not accept.any():
                    H = H_next
                    continue
                if accept.all():
                    accept = None

            # the accepted sub-batch
            sel = slice(None) if accept is None else np.nonzero(accept)[0]
            ia = idx[sel]
            Ta, Tna = T[sel], Tn[sel]
            Ya, Fa = Y[:, sel], F[:, sel]
            Yna, Fna = Yn[:, sel], Fn[:, sel]
            ended = last[sel]
            ev = np.zeros(ia.size, bool)
            Gn = None
            if event is not None:
                Gn = np.asarray(event(Tna, Yna.T, ia), dtype=float)
                cross = (G[sel] > 0.0) & (Gn <= 0.0)
                if cross.any():
                    c = np.nonzero(cross)[0]
                    tc, Yc, Fc = _locate_event(
                        event, f, Ta[c], Ya[:, c], Fa[:, c], Tna[c], Yna[:, c], Fna[:, c],
                        ia[c], G[sel][c], Gn[c], so, self.event_tol_s,
                    )  # fmt: skip
                    self.evaluations += c.size
                    Tna, Yna, Fna = Tna.copy(), Yna.copy(), Fna.copy()
                    Tna[c], Yna[:, c], Fna[:, c] = tc, Yc, Fc
                    Gn[c] = 0.0
                    ev[c] = True
                    ended = ended | ev
            if self.y_out is not None:
                _fill_outputs(
                    self.y_out, self.t_out, ia, Ta, Tna, Ya, Fa, Yna, Fna, so, include_start=False
                )
            if self.dense:
                self.knots.append((ia.copy(), Tna.copy(), Yna.T.copy(), Fna.T.copy()))
            self.steps[ia] += 1

            if accept is None:
                T, Y, F, G = Tna, Yna, Fna, Gn
            else:
                T[sel], Y[:, sel], F[:, sel] = Tna, Yna, Fna
                if G is not None:
                    G[sel] = Gn
            H = H_next
            if ended.any():
                done = np.zeros(idx.size, bool)
                hit_local = np.zeros(idx.size, bool)
                done[sel] = ended
                hit_local[sel] = ev
                t_fin[idx[done]] = T[done]
                y_fin[idx[done]] = Y[:, done].T
                hit[idx[hit_local]] = True
                keep = ~done
                idx, T, Tend, H = idx[keep], T[keep], Tend[keep], H[keep]
                Y, F = Y[:, keep], F[:, keep]
                if G is not None:
                    G = G[keep]
                if err_old is not None:
                    err_old = err_old[keep]


def _integrate(
    method: str,
    f: DerivativeFn,
    t0,
    y0,
    t1,
    *,
    step,
    rtol,
    atol,
    max_step_s: float,
    alive,
    event: EventFn | None,
    t_out,
    dense: bool,
    second_order: int,
    max_steps: int,
    event_tol_s: float,
    chunk: int,
) -> Solution:
    y0 = np.asarray(y0, dtype=float)
    if y0.ndim != 2:
        raise ValueError(f"y0 must be (N, k), got shape {y0.shape}")
    n_obj, k = y0.shape
    t0 = np.broadcast_to(np.asarray(t0, dtype=float), (n_obj,)).copy()
    t1 = np.broadcast_to(np.asarray(t1, dtype=float), (n_obj,)).copy()
    if np.any(t1 < t0):
        raise ValueError("integration runs forward only: every t1 must be >= t0")
    live = np.ones(n_obj, bool) if alive is None else np.asarray(alive, dtype=bool).copy()
    if live.shape != (n_obj,):
        raise ValueError(f"alive must be ({n_obj},), got {live.shape}")
    if t_out is not None:
        t_out = np.asarray(t_out, dtype=float)
        if t_out.ndim != 1 or np.any(np.diff(t_out) < 0.0):
            raise ValueError("t_out must be a 1-D non-decreasing array of times")
    atol_km = None
    if method == "dopri5":
        atol_km = np.broadcast_to(np.asarray(atol, dtype=float), (k,))[:, None]
    drv = _Driver(method, f, event, t_out, dense, second_order, max_steps, event_tol_s,
                  step, rtol, atol_km, max_step_s, n_obj, k)  # fmt: skip
    t_fin = t0.copy()
    y_fin = y0.copy()
    hit = np.zeros(n_obj, bool)

    # alive objects with t1 == t0: nothing to integrate, one knot / output at their start
    still = np.nonzero(live & (t1 <= t0))[0]
    if still.size and (dense or t_out is not None):
        Ys = np.ascontiguousarray(y0[still].T)
        Fs = _as_km(f, t0[still], Ys, still)
        drv.evaluations += still.size
        if dense:
            drv.knots.append((still, t0[still].copy(), Ys.T.copy(), Fs.T.copy()))
        if t_out is not None:
            _fill_outputs(drv.y_out, t_out, still, t0[still], t0[still], Ys, Fs, Ys, Fs,
                          second_order, include_start=True)  # fmt: skip
    todo = np.nonzero(live & (t1 > t0))[0]
    for start in range(0, todo.size, chunk):
        drv.run(todo[start : start + chunk], t0, t1, y0, t_fin, y_fin, hit)

    dense_out = None
    if dense:
        if drv.knots:
            ki = np.concatenate([kk[0] for kk in drv.knots])
            kt = np.concatenate([kk[1] for kk in drv.knots])
            ky = np.concatenate([kk[2] for kk in drv.knots])
            kf = np.concatenate([kk[3] for kk in drv.knots])
            order = np.lexsort((kt, ki))
            ki, kt, ky, kf = ki[order], kt[order], ky[order], kf[order]
        else:
            ki, kt = np.empty(0, np.intp), np.empty(0)
            ky, kf = np.empty((0, k)), np.empty((0, k))
        offsets = np.searchsorted(ki, np.arange(n_obj + 1), side="left")
        dense_out = DenseOutput(index=ki, t_s=kt, y=ky, dydt=kf, offsets=offsets)
    return Solution(
        t_s=t_fin,
        y=y_fin,
        event=hit,
        steps=drv.steps,
        evaluations=int(drv.evaluations),
        y_out=drv.y_out,
        dense=dense_out,
    )


def rk4(
    f: DerivativeFn,
    t0,
    y0,
    t1,
    *,
    step_s,
    alive=None,
    event: EventFn | None = None,
    t_out=None,
    dense: bool = False,
    second_order: int = 0,
    max_steps: int = 1_000_000,
    event_tol_s: float = 1e-9,
    chunk: int = 4096,
) -> Solution:
    """Fixed-step classical RK4 over a batch, each object from ``t0`` to ``t1``.

    ``t0, t1`` [s]: scalars or ``(N,)``; ``y0``: ``(N, k)``; ``step_s``: scalar or ``(N,)``.
    Each object takes steps of ``step_s`` from its ``t0``; its last step is shortened to end
    exactly at its ``t1``. ``alive`` ``(N,)`` bool: objects to integrate (others keep their
    initial state and NaN outputs). ``event``: see the module docstring. ``t_out``: sorted
    output times [s], shared by the batch. ``dense``: keep every accepted step's knots.
    """
    return _integrate(
        "rk4", f, t0, y0, t1, step=step_s, rtol=None, atol=None, max_step_s=np.inf,
        alive=alive, event=event, t_out=t_out, dense=dense, second_order=second_order,
        max_steps=max_steps, event_tol_s=event_tol_s, chunk=chunk,
    )  # fmt: skip


def dopri5(
    f: DerivativeFn,
    t0,
    y0,
    t1,
    *,
    rtol: float = 1e-9,
    atol=1e-6,
    first_step_s=None,
    max_step_s: float = np.inf,
    alive=None,
    event: EventFn | None = None,
    t_out=None,
    dense: bool = False,
    second_order: int = 0,
    max_steps: int = 100_000,
    event_tol_s: float = 1e-9,
    chunk: int = 4096,
) -> Solution:
    """Adaptive Dormand-Prince 5(4) over a batch, each object with its own step size.

    Local error control per object: the step is accepted when the RMS over components of
    ``err / (atol + rtol * max(|y_old|, |y_new|))`` is <= 1 (``atol`` scalar or ``(k,)``, in
    the units of each component). Step-size factor ``0.9 * norm^(-1/5)`` clipped to
    [0.2, 10], at most ``max_step_s``. Other arguments as in :func:`rk4`. Raises
    :class:`IntegrationError` if some object needs more than ``max_steps`` iterations.
    """
    return _integrate(
        "dopri5", f, t0, y0, t1, step=first_step_s, rtol=rtol, atol=atol,
        max_step_s=max_step_s, alive=alive, event=event, t_out=t_out, dense=dense,
        second_order=second_order, max_steps=max_steps, event_tol_s=event_tol_s, chunk=chunk,
    )  # fmt: skip


__all__ = [
    "DenseOutput",
    "DerivativeFn",
    "EventFn",
    "IntegrationError",
    "Solution",
    "dense_search_keys",
    "dopri5",
    "hermite",
    "interpolate_dense",
    "rk4",
]
