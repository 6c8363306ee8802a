"""Compiled (numba, ``cache=True``) geodesy of one point, for the kernels of other layers."""

from __future__ import annotations

import math

import numba
import numpy as np


@numba.njit(cache=True, nogil=True, error_model="numpy", no_cpython_wrapper=True)
def geodetic(x, y, z, a2, e2, e4):
    """:func:`bmdsim.earth.ecef_to_geodetic` of one point: ``(lat [rad], lon [rad], alt [m])``
    (``a2 = A_M**2``, ``e2 = E2``, ``e4 = E2**2``; its arithmetic in its order, libm's
    functions)."""
    rho2 = x * x + y * y
    rho = math.sqrt(rho2)
    p = rho2 / a2
    q = (1.0 - e2) * z * z / a2
    r = (p + q - e4) / 6.0
    s = e4 * p * q / (4.0 * (r * r * r))
    t = np.cbrt(1.0 + s + math.sqrt(s * (2.0 + s)))
    u = r * (1.0 + t + 1.0 / t)
    v = math.sqrt(u * u + e4 * q)
    w = e2 * (u + v - q) / (2.0 * v)
    k = math.sqrt(u + v + w * w) - w
    d = k * rho / (k + e2)
    dz = math.hypot(d, z)
    return 2.0 * math.atan2(z, d + dz), math.atan2(y, x), (k + e2 - 1.0) / k * dz


__all__ = ["geodetic"]
