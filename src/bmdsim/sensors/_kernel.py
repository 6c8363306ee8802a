"""Compiled (numba, ``cache=True``) loops of the sensors layer, shared by the radar and
infrared kernels (:mod:`bmdsim.sensors._radar_kernel`, :mod:`bmdsim.sensors._infrared_kernel`).

* ``hermite_row``/``hermite_rows``: :meth:`bmdsim.sensors.TruthTable.state_at` at one time
  per row, the same cubic Hermite polynomial with the same operations in the same order
  (IEEE arithmetic, no fused multiply-add): bit-identical (``tests/unit/sensors/test_truth.py``);
* platform and orbit geometry, search and dwell helpers and ``ndtr`` (the normal CDF
  through the C library's ``erf``/``erfc``): numpy's formulas with the C library's
  transcendental functions, equal to the numpy paths to rounding (the kernels' ECEF to
  geodetic conversion is :func:`bmdsim.earth._kernel.geodetic`);
* numpy's random streams re-implemented for draws inside kernels: ``SeedSequence`` mixing
  and PCG64 seeding (``seed_words``, ``pcg64_seeded``), the PCG64 step, ``next_double``,
  the ziggurat standard normal (numpy's tables, shipped in ``data/ziggurat_normal.npz``) and
  the Poisson multiplication method: bit-identical to numpy's generators, by test
  (``tests/unit/sensors/test_fast_paths.py``);
* ``merge_rows``: a step's detection rows merged in the order of a stable lexsort.
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import types

from bmdsim.core.integrate import interp_scalar
from bmdsim.sensors.types import (
    R_BASIS,
    R_COV,
    R_FA,
    R_KIND,
    R_MODE,
    R_POS,
    R_RCS,
    R_SNR,
    R_T,
    R_VEL,
    R_Z,
)

# inputs as read-only arrays of any layout: one compiled version accepts writable, read-only
# and broadcast (stride-0) arrays alike
_F1 = types.Array(types.float64, 1, "A", readonly=True)
_F2 = types.Array(types.float64, 2, "A", readonly=True)
_F3 = types.Array(types.float64, 3, "A", readonly=True)
_I1 = types.Array(types.int64, 1, "A", readonly=True)
_U1 = types.Array(types.uint32, 1, "A", readonly=True)
_F = types.float64
_I = types.int64
_JIT = dict(cache=True, nogil=True, error_model="numpy")


@numba.njit((_F2, _I1, _I1, _F2, _F2, _F1, _F1, _F1, _F), **_JIT)
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


@numba.njit((_F2, _F3, _I1, _F1, _F2, _F1, _F1), **_JIT)
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


@numba.njit(**_JIT, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _cross_dot(a, b0, b1, b2):
    """``(|a x b|, a . b)`` of the vector ``a (3,)`` and ``b = (b0, b1, b2)``, the dot summed
    as numpy's ``einsum`` sums three terms (``(a0 b0 + a2 b2) + a1 b1``)."""
    a0 = a[0]
    a1 = a[1]
    a2 = a[2]
    c0 = a1 * b2 - a2 * b1
    c1 = a2 * b0 - a0 * b2
    c2 = a0 * b1 - a1 * b0
    return np.sqrt(c0 * c0 + c1 * c1 + c2 * c2), a0 * b0 + a2 * b2 + a1 * b1


@numba.njit((_F2, _F1, _F1, _F1, _F1), **_JIT)
def normal_cross_dot(n_s, clat, clon, slon, slat):
    """Geodetic normals ``n_t = (clat clon, clat slon, slat)`` of targets ``(V,)`` (cosines
    and sines given) against site normals ``n_s (V, 3)``: ``|n_s x n_t| (V,)`` and
    ``n_s . n_t (V,)`` (the dot summed as numpy's ``einsum`` sums three terms)."""
    size = clat.shape[0]
    cross = np.empty(size)
    dot = np.empty(size)
    for i in range(size):
        cross[i], dot[i] = _cross_dot(n_s[i], clat[i] * clon[i], clat[i] * slon[i], slat[i])
    return cross, dot


@numba.njit(**_JIT, no_cpython_wrapper=True, no_cfunc_wrapper=True)
def _segment_clears(x, y, sy, r_eff):
    """Whether the segment from ``(0, sy)`` to ``(x, sy + y)`` stays outside the circle of
    radius ``r_eff``: its closest point to the centre, the segment parameter clipped to
    ``[0, 1]`` (NaN kept, as ``np.clip``)."""
    dd = x * x + y * y
    s = -(sy * y) / dd
    if s < 0.0:
        s = 0.0
    elif s > 1.0:
        s = 1.0
    cx = s * x
    cy = sy + s * y
    return (cx * cx + cy * cy) >= r_eff * r_eff


@numba.njit((_F1, _F1, _F1, _F1), **_JIT)
def ray_clears(dx, dy, sy, r_eff):
    """Whether the segment from ``(0, sy)`` to ``(dx, sy + dy)`` stays outside the circle of
    radius ``r_eff`` (all ``(V,)``): its closest point to the centre, the segment parameter
    clipped to ``[0, 1]`` (NaN kept, as ``np.clip``)."""
    size = dx.shape[0]
    out = np.empty(size, dtype=np.bool_)
    for i in range(size):
        out[i] = _segment_clears(dx[i], dy[i], sy[i], r_eff[i])
    return out


@numba.njit((_F1, _F1, _F1, _F1, _F, _F, _F, _F, _F1, _F1, _F), **_JIT)
def orbit_states(ce, se, c, s, a, b, e, n, p_hat, q_hat, omega):
    """ECEF position and velocity ``(M, 3)`` on a Kepler orbit from the cosines and sines of
    the eccentric anomaly (``ce``, ``se``) and of the Earth's rotation angle (``c``, ``s``),
    all ``(M,)``: :meth:`bmdsim.sensors.KeplerOrbit.state_ecef`'s arithmetic, in its order."""
    size = ce.shape[0]
    r = np.empty((size, 3))
    v = np.empty((size, 3))
    for i in range(size):
        xp = a * (ce[i] - e)
        yp = b * se[i]
        edot = n / (1.0 - e * ce[i])
        vxp = -a * se[i] * edot
        vyp = b * ce[i] * edot
        ri0 = xp * p_hat[0] + yp * q_hat[0]
        ri1 = xp * p_hat[1] + yp * q_hat[1]
        ri2 = xp * p_hat[2] + yp * q_hat[2]
        vi0 = vxp * p_hat[0] + vyp * q_hat[0]
        vi1 = vxp * p_hat[1] + vyp * q_hat[1]
        vi2 = vxp * p_hat[2] + vyp * q_hat[2]
        r0 = c[i] * ri0 + s[i] * ri1
        r1 = -s[i] * ri0 + c[i] * ri1
        r[i, 0] = r0
        r[i, 1] = r1
        r[i, 2] = ri2
        v[i, 0] = c[i] * vi0 + s[i] * vi1 + omega * r1
        v[i, 1] = -s[i] * vi0 + c[i] * vi1 + omega * -r0
        v[i, 2] = vi2 + omega * 0.0
    return r, v


@numba.njit((_F2, _F2, _F2, _F2, _F1, _F1, _F1, _F, _F, _F), **_JIT)
def surface_frames(slat, clat, slon, clon, alt, dlat, dlon, a_m, e2, h):
    """Position, velocity ``(K, 3)`` and east-north-up basis ``(K, 3, 3)`` of a surface
    platform from the sines and cosines ``(R, K)`` of its latitude and longitude (row 0)
    and, when ``R == 5``, of the four offsets ``lat +- h``, ``lon +- h`` [deg] whose central
    differences give ``d r / d(lat, lon)``; ``dlat``, ``dlon`` ``(K,)`` the rates [deg/s]
    (velocity +0 where both are 0). :func:`bmdsim.earth.geodetic_to_ecef` and
    :func:`bmdsim.earth.enu_basis` arithmetic, in their order."""
    rows, size = slat.shape
    xyz = np.empty((rows, size, 3))
    for q in range(rows):
        for i in range(size):
            sl = slat[q, i]
            nn = a_m / np.sqrt(1.0 - e2 * sl * sl)
            xyz[q, i, 0] = (nn + alt[i]) * clat[q, i] * clon[q, i]
            xyz[q, i, 1] = (nn + alt[i]) * clat[q, i] * slon[q, i]
            xyz[q, i, 2] = (nn * (1.0 - e2) + alt[i]) * sl
    r = xyz[0].copy()
    v = np.zeros((size, 3))
    if rows == 5:
        for i in range(size):
            if dlat[i] != 0.0 or dlon[i] != 0.0:
                for c in range(3):
                    d_lat = (xyz[1, i, c] - xyz[2, i, c]) / (2.0 * h)
                    d_lon = (xyz[3, i, c] - xyz[4, i, c]) / (2.0 * h)
                    v[i, c] = d_lat * dlat[i] + d_lon * dlon[i]
    basis = np.empty((size, 3, 3))
    for i in range(size):
        sl = slat[0, i]
        cl = clat[0, i]
        so = slon[0, i]
        co = clon[0, i]
        basis[i, 0, 0] = -so
        basis[i, 0, 1] = co
        basis[i, 0, 2] = 0.0
        basis[i, 1, 0] = -sl * co
        basis[i, 1, 1] = -sl * so
        basis[i, 1, 2] = cl
        basis[i, 2, 0] = cl * co
        basis[i, 2, 1] = cl * so
        basis[i, 2, 2] = sl
    return r, v, basis


# numpy.random.SeedSequence's constants (numpy/random/bit_generator.pyx), as uint64 so that the
# 32-bit arithmetic below stays unsigned
_M32 = np.uint64(0xFFFFFFFF)
_INIT_A = np.uint64(0x43B0D7E5)
_MULT_A = np.uint64(0x931E8875)
_INIT_B = np.uint64(0x8B51F9DD)
_MULT_B = np.uint64(0x58F38DED)
_MIX_MULT_L = np.uint64(0xCA01F9DD)
_MIX_MULT_R = np.uint64(0x4973F715)
_XSHIFT = np.uint64(16)


@numba.njit(cache=True, nogil=True)
def _hashmix(value, hash_const):
    value = (value ^ hash_const) & _M32
    hash_const = (hash_const * _MULT_A) & _M32
    value = (value * hash_const) & _M32
    return (value ^ (value >> _XSHIFT)) & _M32, hash_const


@numba.njit(cache=True, nogil=True)
def _mix(x, y):
    r = (_MIX_MULT_L * x - _MIX_MULT_R * y) & _M32
    return (r ^ (r >> _XSHIFT)) & _M32


@numba.njit((_U1, _I, _I, _I, _I), **_JIT)
def seed_words(prefix, k0, k1, k2, k3):
    """``numpy.random.SeedSequence(entropy).generate_state(8, np.uint32)`` (as uint64 values)
    for the entropy words ``prefix (uint32 array) + [k0, k1, k2, k3]`` (no spawn key):
    numpy's pool of 4 words, hash and mix constants and order, in 32-bit arithmetic."""
    n_prefix = prefix.shape[0]
    size = n_prefix + 4
    entropy = np.empty(size, dtype=np.uint64)
    for i in range(n_prefix):
        entropy[i] = prefix[i]
    entropy[n_prefix] = k0
    entropy[n_prefix + 1] = k1
    entropy[n_prefix + 2] = k2
    entropy[n_prefix + 3] = k3
    pool = np.zeros(4, dtype=np.uint64)
    hash_const = _INIT_A
    for i in range(4):
        pool[i], hash_const = _hashmix(entropy[i], hash_const)
    for i_src in range(4):
        for i_dst in range(4):
            if i_src != i_dst:
                h, hash_const = _hashmix(pool[i_src], hash_const)
                pool[i_dst] = _mix(pool[i_dst], h)
    for i_src in range(4, size):
        for i_dst in range(4):
            h, hash_const = _hashmix(entropy[i_src], hash_const)
            pool[i_dst] = _mix(pool[i_dst], h)
    out = np.empty(8, dtype=np.uint64)
    hash_const = _INIT_B
    for i in range(8):
        value = (pool[i % 4] ^ hash_const) & _M32
        hash_const = (hash_const * _MULT_B) & _M32
        value = (value * hash_const) & _M32
        out[i] = (value ^ (value >> _XSHIFT)) & _M32
    return out


_M64_LO32 = np.uint64(0xFFFFFFFF)
_U32 = np.uint64(32)
_U63 = np.uint64(63)
_ONE = np.uint64(1)
#: PCG64's multiplier (numpy's ``PCG64``: 128-bit LCG), high and low 64 bits.
_PCG_MULT_HI = np.uint64(0x2360ED051FC65DA4)
_PCG_MULT_LO = np.uint64(0x4385DF649FCCF645)


@numba.njit(cache=True, nogil=True)
def _mulhi64(a, b):
    """The high 64 bits of the 128-bit product of two unsigned 64-bit integers."""
    a_lo = a & _M64_LO32
    a_hi = a >> _U32
    b_lo = b & _M64_LO32
    b_hi = b >> _U32
    lo_lo = a_lo * b_lo
    hi_lo = a_hi * b_lo
    lo_hi = a_lo * b_hi
    hi_hi = a_hi * b_hi
    cross = (lo_lo >> _U32) + (hi_lo & _M64_LO32) + lo_hi
    return hi_hi + (hi_lo >> _U32) + (cross >> _U32)


@numba.njit(types.UniTuple(types.uint64, 4)(_U1, _I, _I, _I, _I), **_JIT)
def pcg64_seeded(prefix, k0, k1, k2, k3):
    """numpy's ``PCG64(SeedSequence(prefix + [k0, k1, k2, k3]))`` state: ``(state high,
    state low, increment high, increment low)`` 64-bit words — :func:`seed_words` then
    PCG64's seeding (``inc = 2 seq + 1``; ``state = (inc + initstate) * mult + inc``, all mod
    2**128), numpy's word order."""
    w = seed_words(prefix, k0, k1, k2, k3)
    init_hi = (w[1] << _U32) | w[0]
    init_lo = (w[3] << _U32) | w[2]
    seq_hi = (w[5] << _U32) | w[4]
    seq_lo = (w[7] << _U32) | w[6]
    inc_hi = (seq_hi << _ONE) | (seq_lo >> _U63)
    inc_lo = (seq_lo << _ONE) | _ONE
    # inc + initstate
    s_lo = inc_lo + init_lo
    s_hi = inc_hi + init_hi + (_ONE if s_lo < inc_lo else np.uint64(0))
    # * mult
    p_lo = s_lo * _PCG_MULT_LO
    p_hi = _mulhi64(s_lo, _PCG_MULT_LO) + s_lo * _PCG_MULT_HI + s_hi * _PCG_MULT_LO
    # + inc
    st_lo = p_lo + inc_lo
    st_hi = p_hi + inc_hi + (_ONE if st_lo < p_lo else np.uint64(0))
    return st_hi, st_lo, inc_hi, inc_lo


@numba.njit((_F2, _F3, _F3), **_JIT)
def east_north(pos, basis, states):
    """East and north ``(K, N)`` components of objects ``states (K, N, >=3)`` relative to
    radar positions ``pos (K, 3)`` in its ENU ``basis (K, 3, 3)`` (numpy's ``einsum`` sum
    order)."""
    k_count = states.shape[0]
    n_obj = states.shape[1]
    east = np.empty((k_count, n_obj))
    north = np.empty((k_count, n_obj))
    for k in range(k_count):
        for n in range(n_obj):
            r0 = states[k, n, 0] - pos[k, 0]
            r1 = states[k, n, 1] - pos[k, 1]
            r2 = states[k, n, 2] - pos[k, 2]
            east[k, n] = basis[k, 0, 0] * r0 + basis[k, 0, 2] * r2 + basis[k, 0, 1] * r1
            north[k, n] = basis[k, 1, 0] * r0 + basis[k, 1, 2] * r2 + basis[k, 1, 1] * r1
    return east, north


@numba.njit((_F2, _F2, _F2, _F3), **_JIT)
def local_and_closing(states, pos, vel, basis):
    """For looks ``(L,)``: the target's ENU offset ``(e, n, u)`` from the radar
    (``basis @ (r - pos)``) and ``(r - pos) . (v - vel)`` (numpy's ``einsum`` sum order)."""
    size = states.shape[0]
    e = np.empty(size)
    n = np.empty(size)
    u = np.empty(size)
    dot = np.empty(size)
    for i in range(size):
        r0 = states[i, 0] - pos[i, 0]
        r1 = states[i, 1] - pos[i, 1]
        r2 = states[i, 2] - pos[i, 2]
        e[i] = basis[i, 0, 0] * r0 + basis[i, 0, 2] * r2 + basis[i, 0, 1] * r1
        n[i] = basis[i, 1, 0] * r0 + basis[i, 1, 2] * r2 + basis[i, 1, 1] * r1
        u[i] = basis[i, 2, 0] * r0 + basis[i, 2, 2] * r2 + basis[i, 2, 1] * r1
        v0 = states[i, 3] - vel[i, 0]
        v1 = states[i, 4] - vel[i, 1]
        v2 = states[i, 5] - vel[i, 2]
        dot[i] = r0 * v0 + r2 * v2 + r1 * v1
    return e, n, u, dot


@numba.njit((_F2, _F, _F, _F), **_JIT)
def false_alarm_means(sat, rc, ifov2, pfa):
    """Mean false alarms per frame ``pfa * pixels (M,)`` of staring sensors at ECEF
    ``sat (M, 3)``: the Earth's disc to radius ``rc`` [m] over pixels of ``ifov2`` [sr]
    (:meth:`bmdsim.sensors.SpaceInfrared.pixels_on_earth`'s arithmetic, in its order)."""
    size = sat.shape[0]
    out = np.empty(size)
    two_pi = 2.0 * np.pi
    for i in range(size):
        x = sat[i, 0]
        y = sat[i, 1]
        z = sat[i, 2]
        sin_half = rc / np.sqrt(x * x + y * y + z * z)
        if sin_half > 1.0:
            sin_half = 1.0
        solid = two_pi * (1.0 - np.sqrt(1.0 - sin_half * sin_half))
        out[i] = pfa * (solid / ifov2)
    return out


@numba.njit(cache=True, nogil=True, error_model="numpy", no_cpython_wrapper=True)
def waypoint_rates(t, t_wp, lat_wp, lon_wp):
    """``(dlat/dt, dlon/dt)`` [deg/s] of a waypoint platform at time ``t``: its leg's rates,
    0 outside the legs (before the first waypoint and from the last on)."""
    w = t_wp.shape[0]
    if not (w >= 2 and t >= t_wp[0] and t < t_wp[w - 1]):
        return 0.0, 0.0
    j = np.searchsorted(t_wp, t, side="right") - 1
    if j > w - 2:
        j = w - 2
    if j < 0:
        j = 0
    dt = t_wp[j + 1] - t_wp[j]
    return (lat_wp[j + 1] - lat_wp[j]) / dt, (lon_wp[j + 1] - lon_wp[j]) / dt


@numba.njit((_F1, _F1, _F1, _F1, _F), **_JIT)
def waypoint_track(t, t_wp, lat_wp, lon_wp, h):
    """A waypoint platform at times ``t (K,)``: ``(lat, lon, dlat/dt, dlon/dt) (4, K)``
    [deg, deg/s] (``np.interp`` and the leg's rates, 0 outside the legs) and the latitudes
    and longitudes [rad] ``(2, R, K)`` of :meth:`bmdsim.sensors.WaypointPlatform.frame_at`
    (``R = 5``: the position and its four ``+- h`` [deg] offsets when moving, else 1)."""
    size = t.shape[0]
    out = np.empty((4, size))
    moving = False
    for i in range(size):
        x = t[i]
        out[0, i] = interp_scalar(x, t_wp, lat_wp)
        out[1, i] = interp_scalar(x, t_wp, lon_wp)
        dlat, dlon = waypoint_rates(x, t_wp, lat_wp, lon_wp)
        out[2, i] = dlat
        out[3, i] = dlon
        if dlat != 0.0 or dlon != 0.0:
            moving = True
    rows = 5 if moving else 1
    ll = np.empty((2, rows, size))
    for i in range(size):
        lat = out[0, i]
        lon = out[1, i]
        ll[0, 0, i] = np.radians(lat)
        ll[1, 0, i] = np.radians(lon)
        if moving:
            ll[0, 1, i] = np.radians(lat + h)
            ll[0, 2, i] = np.radians(lat - h)
            ll[0, 3, i] = np.radians(lat)
            ll[0, 4, i] = np.radians(lat)
            ll[1, 1, i] = np.radians(lon)
            ll[1, 2, i] = np.radians(lon)
            ll[1, 3, i] = np.radians(lon + h)
            ll[1, 4, i] = np.radians(lon - h)
    return out, ll


@numba.njit((_F2, _I1, types.boolean, _F, _F, _I), **_JIT)
def search_takes(atan, js, full_azimuth, boresight, half_width, sectors):
    """Search looks ``(k, i)`` (row-major order) of snapshots ``js (K,)`` on objects whose
    azimuth ``mod(atan, 2 pi)`` (``atan (K, N)`` the ``arctan2`` of east over north) is
    finite and in the sweep's sector ``js % sectors``: :meth:`bmdsim.sensors.Radar._search_looks`'s
    ``floor(sector_fraction(az) * sectors)`` test, in its order."""
    k_count, n_obj = atan.shape
    two_pi = 2.0 * np.pi
    width = 2.0 * half_width
    out_k = np.empty(k_count * n_obj, dtype=np.int64)
    out_i = np.empty(k_count * n_obj, dtype=np.int64)
    count = 0
    for k in range(k_count):
        sweep = js[k] % sectors
        for i in range(n_obj):
            az = np.mod(atan[k, i], two_pi)
            if not np.isfinite(az):
                continue
            if full_azimuth:
                u = np.mod(az, two_pi) / two_pi
            else:
                off = np.mod(az - boresight + np.pi, two_pi) - np.pi
                u = (off + half_width) / width
                if u < 0.0:
                    u = 0.0
                if u > 1.0 - 1e-12:
                    u = 1.0 - 1e-12
            if np.floor(u * sectors) == sweep:
                out_k[count] = k
                out_i[count] = i
                count += 1
    return out_k[:count].copy(), out_i[:count].copy()


@numba.njit((_F2, _F2, _F1, _F, _F, _F), **_JIT)
def site_refraction(sin_ll, cos_ll, alt, k, a_sqrt, e2):
    """:func:`bmdsim.sensors.geometry.refraction_site` of sites at latitudes and longitudes
    whose sines and cosines are ``sin_ll``, ``cos_ll (2, K)``, altitudes ``alt (K,)``:
    the geodetic normal ``(K, 3)``, ``kR`` and ``kR + h`` ``(K,)`` (``a_sqrt = A_M *
    sqrt(1 - E2)``; :func:`bmdsim.sensors.geometry.gaussian_radius_m`'s arithmetic)."""
    size = alt.shape[0]
    normal = np.empty((size, 3))
    r_eff = np.empty(size)
    sy = np.empty(size)
    for i in range(size):
        s = sin_ll[0, i]
        c = cos_ll[0, i]
        normal[i, 0] = c * cos_ll[1, i]
        normal[i, 1] = c * sin_ll[1, i]
        normal[i, 2] = s
        w2 = 1.0 - e2 * s * s
        r = k * (a_sqrt / w2)
        r_eff[i] = r
        sy[i] = r + alt[i]
    return normal, r_eff, sy


# -- detection rows (:data:`bmdsim.sensors.base.Part`) ---------------------------------------

_B1W = types.Array(types.int8, 1, "C")
_BOOL1W = types.Array(types.boolean, 1, "C")
_F1W = types.Array(types.float64, 1, "C")
_F2W = types.Array(types.float64, 2, "C")
_F3W = types.Array(types.float64, 3, "C")
_I1W = types.Array(types.int64, 1, "C")


@numba.njit(
    (_F2, _I1, _F1W, _F2W, _F3W, _F1W, _F1W, _F2W, _F2W, _F3W, _B1W, _B1W, _BOOL1W, _I1W),
    **_JIT,
)
def merge_rows(rows, rank, t, z, cov, snr, rcs, pos, vel, basis, kind, mode, fa, order):
    """Detection rows ``(B, N_ROW)`` of several parts laid end to end, sorted by look time,
    ties by the sensor's ``rank (B,)`` then by position (``np.lexsort((rank, t))``), into
    a detection batch's arrays; ``order (B,)`` the rows taken."""
    size = rows.shape[0]
    by_rank = np.argsort(rank, kind="mergesort")
    tt = np.empty(size)
    for i in range(size):
        tt[i] = rows[by_rank[i], R_T]
    by_time = np.argsort(tt, kind="mergesort")
    for i in range(size):
        j = by_rank[by_time[i]]
        order[i] = j
        t[i] = rows[j, R_T]
        for c in range(4):
            z[i, c] = rows[j, R_Z + c]
            for d in range(4):
                cov[i, c, d] = rows[j, R_COV + 4 * c + d]
        snr[i] = rows[j, R_SNR]
        rcs[i] = rows[j, R_RCS]
        for c in range(3):
            pos[i, c] = rows[j, R_POS + c]
            vel[i, c] = rows[j, R_VEL + c]
            for d in range(3):
                basis[i, c, d] = rows[j, R_BASIS + 3 * c + d]
        kind[i] = np.int8(rows[j, R_KIND])
        mode[i] = np.int8(rows[j, R_MODE])
        fa[i] = rows[j, R_FA] != 0.0


# -- helpers of the compiled looks (inlined into callers) ------------------------------------
_SQRT1_2 = 1.0 / math.sqrt(2.0)


@numba.njit(cache=True, nogil=True, error_model="numpy", no_cpython_wrapper=True)
def ndtr(a):
    """``scipy.special.ndtr``: the standard normal CDF (cephes' branches, libm's erf)."""
    x = a * _SQRT1_2
    z = np.abs(x)
    if z < _SQRT1_2:
        return 0.5 + 0.5 * math.erf(x)
    y = 0.5 * math.erfc(z)
    if x > 0.0:
        return 1.0 - y
    return y


@numba.njit(cache=True, nogil=True, error_model="numpy", no_cpython_wrapper=True)
def hermite_row(tk, t_grid, states, out):
    """:meth:`bmdsim.sensors.TruthTable.state_at` of every object at one time ``tk``:
    ``out (N, 6)``, the cubic Hermite polynomial between the samples ``states (T, N, 6)`` at
    ``t_grid (T,)`` that bracket it (NaN outside ``[t_grid[0], t_grid[-1]]``)."""
    n_obj = states.shape[1]
    last = t_grid.shape[0] - 1
    if not (tk >= t_grid[0] and tk <= t_grid[last]):
        out[:, :] = np.nan
        return
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
            out[j, c] = w0 * p0 + w1 * v0 + w2 * p1 + w3 * v1
            out[j, c + 3] = w4 * p0 + w5 * v0 + w6 * p1 + w7 * v1


@numba.njit((_F1, _F1, _F3), **_JIT)
def hermite_rows(t, t_grid, states):
    """States ``(K, N, 6)`` at times ``t (K,)`` from samples ``states (T, N, 6)`` at
    ``t_grid (T,)`` (NaN outside ``[t_grid[0], t_grid[-1]]``): :func:`hermite_row` at each
    time."""
    out = np.empty((t.shape[0], states.shape[1], 6))
    for k in range(t.shape[0]):
        hermite_row(t[k], t_grid, states, out[k])
    return out


# -- numpy's PCG64 and standard normal, for draws inside a kernel ------------------------------
# numpy/random/src/pcg64/pcg64.h (XSL-RR output of the 128-bit LCG, stepped first) and
# numpy/random/src/distributions/distributions.c (random_standard_normal: the 256-layer
# ziggurat; numpy's tables, as numba keeps them). The same numbers as
# ``numpy.random.Generator(PCG64(...)).standard_normal`` (tests/unit/sensors/test_fast_paths.py).

#: numpy's ziggurat tables (numba keeps them for its own numpy Generator support).
def _ziggurat_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, float, float]:
    """numpy's tables of its 256-layer ziggurat for standard normals (``ki_double``,
    ``wi_double``, ``fi_double``, ``ziggurat_nor_r``, ``ziggurat_nor_inv_r`` of
    ``numpy/random/src/distributions/ziggurat_constants.h``), shipped in
    ``sensors/data/ziggurat_normal.npz``; the compiled normals are tested equal to numpy's."""
    from importlib import resources

    path = resources.files("bmdsim.sensors") / "data" / "ziggurat_normal.npz"
    with path.open("rb") as f, np.load(f) as z:
        return z["ki"], z["wi"], z["fi"], float(z["r"]), float(z["inv_r"])


_ZIG_KI, _ZIG_WI, _ZIG_FI, _ZIG_NOR_R, _ZIG_NOR_INV_R = _ziggurat_tables()
_U8_MASK = np.uint64(0xFF)
_U52_MASK = np.uint64(0x000FFFFFFFFFFFFF)
_U8 = np.uint64(8)
_U11 = np.uint64(11)
_U58 = np.uint64(58)
_U64 = np.uint64(64)
_U63_MASK = np.uint64(63)


@numba.njit(cache=True, nogil=True, error_model="numpy", no_cpython_wrapper=True)
def pcg64_next(state):
    """The next 64-bit output of numpy's ``PCG64`` whose state is ``state (4,) uint64``
    (:func:`pcg64_seeded`'s words; stepped in place)."""
    s_hi = state[0]
    s_lo = state[1]
    p_lo = s_lo * _PCG_MULT_LO
    p_hi = _mulhi64(s_lo, _PCG_MULT_LO) + s_lo * _PCG_MULT_HI + s_hi * _PCG_MULT_LO
    n_lo = p_lo + state[3]
    n_hi = p_hi + state[2] + (_ONE if n_lo < p_lo else np.uint64(0))
    state[0] = n_hi
    state[1] = n_lo
    v = n_hi ^ n_lo
    rot = n_hi >> _U58
    return (v >> rot) | (v << ((_U64 - rot) & _U63_MASK))


@numba.njit(cache=True, nogil=True, error_model="numpy", no_cpython_wrapper=True)
def pcg64_double(state):
    """numpy's ``next_double``: a uniform in ``[0, 1)`` from the top 53 bits."""
    return float(pcg64_next(state) >> _U11) * (1.0 / 9007199254740992.0)


@numba.njit(cache=True, nogil=True, error_model="numpy", no_cpython_wrapper=True)
def pcg64_normal(state):
    """numpy's ``random_standard_normal`` (ziggurat) from the generator ``state``."""
    while True:
        r = pcg64_next(state)
        idx = r & _U8_MASK
        r >>= _U8
        sign = r & _ONE
        rabs = (r >> _ONE) & _U52_MASK
        x = float(rabs) * _ZIG_WI[idx]
        if sign:
            x = -x
        if rabs < _ZIG_KI[idx]:
            return x
        if idx == 0:
            while True:
                xx = -_ZIG_NOR_INV_R * math.log1p(-pcg64_double(state))
                yy = -math.log1p(-pcg64_double(state))
                if yy + yy > xx * xx:
                    if (rabs >> _U8) & _ONE:
                        return -(_ZIG_NOR_R + xx)
                    return _ZIG_NOR_R + xx
        elif (_ZIG_FI[idx - 1] - _ZIG_FI[idx]) * pcg64_double(state) + _ZIG_FI[idx] < math.exp(
            -0.5 * x * x
        ):
            return x


@numba.njit((_U1, _I, _I, _I, _I, _I, types.Array(types.float64, 1, "C")), **_JIT)
def stream_normals(prefix, k0, k1, k2, k3, count, out):
    """The first ``count`` standard normals of the stream whose entropy is ``prefix + [k0,
    k1, k2, k3]`` (:func:`pcg64_seeded`) into ``out``: numpy's ``standard_normal`` of that
    ``PCG64``, flattened."""
    s = pcg64_seeded(prefix, k0, k1, k2, k3)
    state = np.empty(4, dtype=np.uint64)
    state[0] = s[0]
    state[1] = s[1]
    state[2] = s[2]
    state[3] = s[3]
    for i in range(count):
        out[i] = pcg64_normal(state)


@numba.njit(
    (
        _U1,
        types.Array(types.int64, 2, "A", readonly=True),
        _F1,
        _I,
        types.Array(types.int64, 1, "C"),
        types.Array(types.float64, 2, "C"),
    ),
    **_JIT,
)
def poisson_uniform_streams(prefix, keys, lam, width, counts, draws):
    """For each stream ``b`` (entropy ``prefix + keys[b]``, :func:`pcg64_seeded`): numpy's
    ``poisson(lam[b])`` (``0 <= lam < 10``: its multiplication method), then ``random((count,
    width))`` — ``counts[b]`` and the uniforms, stream after stream, in the rows of ``draws``
    while they fit. Returns the rows needed."""
    cap = draws.shape[0]
    state = np.empty(4, dtype=np.uint64)
    total = 0
    for b in range(keys.shape[0]):
        seeded = pcg64_seeded(prefix, keys[b, 0], keys[b, 1], keys[b, 2], keys[b, 3])
        for c in range(4):
            state[c] = seeded[c]
        count = 0
        if lam[b] != 0.0:  # random_poisson_mult
            enlam = math.exp(-lam[b])
            prod = 1.0
            while True:
                prod *= pcg64_double(state)
                if prod > enlam:
                    count += 1
                else:
                    break
        counts[b] = count
        for i in range(count):
            for c in range(width):
                u = pcg64_double(state)
                if total + i < cap:
                    draws[total + i, c] = u
        total += count
    return total
