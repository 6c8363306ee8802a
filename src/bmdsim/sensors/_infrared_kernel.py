"""A staring infrared sensor's plume looks of one window, compiled (numba, ``cache=True``).

:func:`infrared_looks` samples the objects at the window's frames and decides which plumes
can be seen (:meth:`bmdsim.sensors.SpaceInfrared._visible_from`) and their SNR; between
the two kernels the sensor takes each frame's draws from its stream (only frames with a
visible plume); :func:`infrared_detect` tests each visible plume's draw against its
probability of detection and writes the detections' rows (:data:`bmdsim.sensors.base.Part`).

The arithmetic of :meth:`bmdsim.sensors.SpaceInfrared._frames_numpy`, in its order, with
libm's transcendental functions (equal to rounding: ``tests/unit/sensors/test_fast_paths.py``).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import types

from bmdsim.earth._kernel import geodetic
from bmdsim.sensors._kernel import _F, _F1, _F2, _F3, _JIT, hermite_row, ndtr
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

_B2 = types.Array(types.boolean, 2, "A", readonly=True)
_W2 = types.Array(types.float64, 2, "C")
_W3 = types.Array(types.float64, 3, "C")
_J1 = types.Array(types.int64, 1, "C")
_BW2 = types.Array(types.boolean, 2, "C")

#: Entries of the parameter vector: cloud-top altitude [m], the inflated ellipsoid's
#: semi-axes [m], the detection threshold ``tau``, the minimum radiant intensity [W/sr], the
#: reference range [m], the line-of-sight sigma [rad], ``A_M**2``, ``E2``, ``E2**2``.
P_TOP, P_AXIS_A, P_AXIS_B, P_TAU, P_IMIN, P_REF_RANGE, P_SIGMA, P_A2, P_E2, P_E4 = range(10)
N_PARAMS = 10


@numba.njit(**_JIT, no_cpython_wrapper=True)
def _intensity(t, t_grid, ir, o):
    """:meth:`bmdsim.sensors.TruthTable.ir_intensity_at` of object ``o`` at time ``t``: held
    from the last sample at or before ``t`` (0 outside the grid), the dimmer of the two
    samples between them."""
    size = t_grid.shape[0]
    later = np.searchsorted(t_grid, t, side="right")
    i = later - 1
    held = 0.0
    if i >= 0 and t <= t_grid[size - 1]:
        held = ir[i, o]
    if later > size - 1:
        later = size - 1
    if t > t_grid[later - 1]:
        nxt = ir[later, o]
        if nxt < held or nxt != nxt:  # np.minimum, NaN kept
            return nxt
    return held


@numba.njit((_F1, _F2, _F1, _F3, _F2, _F1, _W3, _W2, _BW2), **_JIT)
def infrared_looks(t_k, sat, t_grid, truth, ir, prm, st, snr, ok):
    """For frames at ``t_k (K,)`` from satellite positions ``sat (K, 3)``: the objects'
    states ``st (K, N, 6)`` (``truth (T, N, 6)`` sampled at ``t_grid``), whether each plume
    can be seen ``ok (K, N)`` (burning per ``ir (T, N)``, above the cloud tops, the line of
    sight clear of the ellipsoid raised to them) and its SNR ``snr (K, N)`` (set where
    ``ok``). Returns the number of frames with a visible plume."""
    n_obj = truth.shape[1]
    top = prm[P_TOP]
    axis_a = prm[P_AXIS_A]
    axis_b = prm[P_AXIS_B]
    seen = 0
    for f in range(t_k.shape[0]):
        hermite_row(t_k[f], t_grid, truth, st[f])
        any_ok = False
        for o in range(n_obj):
            ok[f, o] = False
            intensity = _intensity(t_k[f], t_grid, ir, o)
            if not intensity > 0.0:
                continue
            x = st[f, o, 0]
            y = st[f, o, 1]
            z = st[f, o, 2]
            if not geodetic(x, y, z, prm[P_A2], prm[P_E2], prm[P_E4])[2] >= top:
                continue
            # segment_clears_ellipsoid: the segment in the frame scaled to the unit sphere
            a0 = sat[f, 0] / axis_a
            a1 = sat[f, 1] / axis_a
            a2 = sat[f, 2] / axis_b
            d0 = x / axis_a - a0
            d1 = y / axis_a - a1
            d2 = z / axis_b - a2
            dd = d0 * d0 + d2 * d2 + d1 * d1
            s = -(a0 * d0 + a2 * d2 + a1 * d1) / dd
            if s < 0.0:
                s = 0.0
            elif s > 1.0:
                s = 1.0
            c0 = a0 + s * d0
            c1 = a1 + s * d1
            c2 = a2 + s * d2
            if not (c0 * c0 + c2 * c2 + c1 * c1) >= 1.0:
                continue
            r0 = x - sat[f, 0]
            r1 = y - sat[f, 1]
            r2 = z - sat[f, 2]
            q = prm[P_REF_RANGE] / math.sqrt(r0 * r0 + r1 * r1 + r2 * r2)
            snr[f, o] = prm[P_TAU] * intensity / prm[P_IMIN] * q * q
            ok[f, o] = True
            any_ok = True
        if any_ok:
            seen += 1
    return seen


@numba.njit((_F1, _F2, _F2, _F3, _F3, _F2, _B2, _F3, _F1, _F, _F, _W2, _J1), **_JIT)
def infrared_detect(t_k, sat, vel, basis, st, snr, ok, draws, prm, kind, mode, rows, obj):
    """The detected plumes of :func:`infrared_looks`' frames: frame ``f``'s ``q``-th frame
    with a visible plume uses ``draws[q] (N, 3)`` (row = object): ``ndtr(draw 0) <
    ndtr(snr - tau)`` detects, draws 1-2 are the angle errors. Writes ``rows`` and ``obj``
    (frame by frame, objects in order); returns their number."""
    n_obj = st.shape[1]
    sigma = prm[P_SIGMA]
    tau = prm[P_TAU]
    count = 0
    q = -1
    for f in range(t_k.shape[0]):
        seen = False
        for o in range(n_obj):
            if ok[f, o]:
                seen = True
        if not seen:
            continue
        q += 1
        for o in range(n_obj):
            if not ok[f, o]:
                continue
            if not ndtr(draws[q, o, 0]) < ndtr(snr[f, o] - tau):
                continue
            # EcefToLosAngles: the line of sight in the satellite's frame
            r0 = st[f, o, 0] - sat[f, 0]
            r1 = st[f, o, 1] - sat[f, 1]
            r2 = st[f, o, 2] - sat[f, 2]
            e0 = basis[f, 0, 0] * r0 + basis[f, 0, 2] * r2 + basis[f, 0, 1] * r1
            e1 = basis[f, 1, 0] * r0 + basis[f, 1, 2] * r2 + basis[f, 1, 1] * r1
            e2 = basis[f, 2, 0] * r0 + basis[f, 2, 2] * r2 + basis[f, 2, 1] * r1
            row = rows[count]
            row[R_T] = t_k[f]
            row[R_Z] = math.atan2(e0, e2) + sigma * draws[q, o, 1]
            row[R_Z + 1] = math.atan2(e1, e2) + sigma * draws[q, o, 2]
            row[R_Z + 2] = np.nan
            row[R_Z + 3] = np.nan
            for c in range(16):
                row[R_COV + c] = 0.0
            row[R_COV] = sigma * sigma
            row[R_COV + 5] = sigma * sigma
            row[R_SNR] = snr[f, o]
            row[R_RCS] = np.nan
            for c in range(3):
                row[R_POS + c] = sat[f, c]
                row[R_VEL + c] = vel[f, c]
                for d in range(3):
                    row[R_BASIS + 3 * c + d] = basis[f, c, d]
            row[R_KIND] = kind
            row[R_MODE] = mode
            row[R_FA] = 0.0
            obj[count] = o
            count += 1
    return count
