"""Compiled (numba, ``cache=True``) propagation of track states and transition matrices.

One pass per track over the classic Runge-Kutta stages of the state ``[r, v(, kappa)]`` and
of its transition matrix ``dF/dt = A(x) F``, with the acceleration and its analytic Jacobian
computed together (one air-table lookup per stage). The arithmetic is that of
:class:`bmdsim.tracking.motion.BallisticMotion`'s numpy reference
(``function_reference`` / ``transition_reference``, itself on the flight layer's equations
of motion); the tests hold them together. A track batch is a few to a few hundred rows, so
the cost of one numpy call per stage and per operation (dozens per step) outweighs the
arithmetic: this loop does the whole step in one call.

Every track takes its own number of sub-steps, ``ceil(|dt| / max_step)``, so a track's
prediction does not depend on the other tracks of the batch.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from bmdsim.earth.constants import A_M, B_M, E2, GM_M3_S2, J2, OMEGA_RAD_S
from bmdsim.flight._kernel import _cd

_J2_K = -1.5 * J2 * GM_M3_S2 * A_M * A_M


@numba.njit(cache=True, nogil=True, inline="always")
def _air_rho(h, rows, alt_min, inv_step, last_node):
    """Density, its height derivative [kg/m^4] and the speed of sound at height ``h``
    (the flight layer's cubic Hermite air table, differentiated analytically)."""
    x = (h - alt_min) * inv_step
    clamped = False
    if x < 0.0:
        x = 0.0
        clamped = True
    elif x > last_node - 1e-9:
        x = last_node - 1e-9
        clamped = True
    i = int(x)
    s = x - i
    s2 = s * s
    s3 = s2 * s
    h01 = 3.0 * s2 - 2.0 * s3
    h10 = s3 - 2.0 * s2 + s
    h11 = s3 - s2
    d01 = 6.0 * s - 6.0 * s2
    d10 = 3.0 * s2 - 4.0 * s + 1.0
    d11 = 3.0 * s2 - 2.0 * s
    r0 = rows[i, 0]
    r1 = rows[i + 1, 0]
    lnrho = r0 + h01 * (r1 - r0) + h10 * rows[i, 3] + h11 * rows[i + 1, 3]
    dln = (d01 * (r1 - r0) + d10 * rows[i, 3] + d11 * rows[i + 1, 3]) * inv_step
    if clamped:
        dln = 0.0
    c = rows[i, 2] + h01 * (rows[i + 1, 2] - rows[i, 2]) + h10 * rows[i, 5] + h11 * rows[i + 1, 5]
    rho = math.exp(lnrho)
    return rho, rho * dln, c


@numba.njit(cache=True, nogil=True, inline="always")
def _accel_jacobian(
    x, want_a, j2, drag, kap, cd_table, inv_mach_step, cd_ref, rows, alt_min, inv_step,
    last_node, acc, jac,
):  # fmt: skip
    """Acceleration ``acc (3,)`` at state ``x`` and, with ``want_a``, its Jacobian
    ``jac (3, 7)`` (columns: position, velocity, kappa)."""
    w = OMEGA_RAD_S
    px, py, pz = x[0], x[1], x[2]
    vx, vy, vz = x[3], x[4], x[5]
    rho2 = px * px + py * py
    r2 = rho2 + pz * pz
    r = math.sqrt(r2)
    inv_r2 = 1.0 / r2
    k = -GM_M3_S2 * inv_r2 / r
    c = 0.0
    zr = 0.0
    if j2:
        c = _J2_K * inv_r2 * inv_r2 / r
        zr = 5.0 * pz * pz * inv_r2
        kxy = k + c * (1.0 - zr)
        acc[0] = kxy * px + (2.0 * w) * vy + (w * w) * px
        acc[1] = kxy * py + (w * w) * py - (2.0 * w) * vx
        acc[2] = (k + c * (3.0 - zr)) * pz
    else:
        acc[0] = k * px + (2.0 * w) * vy + (w * w) * px
        acc[1] = k * py + (w * w) * py - (2.0 * w) * vx
        acc[2] = k * pz
    if want_a:
        # point mass: -GM/r^3 (I - 3 r r^T / r^2) = k I - 3 k r r^T / r^2
        p = (px, py, pz)
        for i in range(3):
            for j in range(3):
                g = -3.0 * k * p[i] * p[j] * inv_r2
                if i == j:
                    g += k
                jac[i, j] = g
        if j2:
            # a_J2 = c u, u = (x s, y s, z (s + 2)), s = 1 - 5 z^2 / r^2
            s = 1.0 - zr
            u = (px * s, py * s, pz * (s + 2.0))
            dcf = -5.0 * c * inv_r2  # dc/dr = dcf * r
            dsf = 10.0 * pz * pz * inv_r2 * inv_r2  # ds/dr = dsf * r - 10 z / r^2 e_z
            dsz = -10.0 * pz * inv_r2
            for i in range(3):
                for j in range(3):
                    ds_j = dsf * p[j] + (dsz if j == 2 else 0.0)
                    du = p[i] * ds_j
                    if i == j:
                        du += s
                    if i == 2 and j == 2:
                        du += 2.0
                    jac[i, j] += u[i] * dcf * p[j] + c * du
        jac[0, 0] += w * w
        jac[1, 1] += w * w
        for i in range(3):
            for j in range(3, 7):
                jac[i, j] = 0.0
        jac[0, 4] = 2.0 * w
        jac[1, 3] = -2.0 * w
    if drag:
        h = r - B_M / math.sqrt(1.0 - E2 * rho2 * inv_r2)
        rho, drho, c_sound = _air_rho(h, rows, alt_min, inv_step, last_node)
        v = math.sqrt(vx * vx + vy * vy + vz * vz)
        ratio = _cd(cd_table, 0, v / c_sound, inv_mach_step) / cd_ref
        rho_e = rho * ratio
        kd = -0.5 * rho_e * kap * v
        acc[0] += kd * vx
        acc[1] += kd * vy
        acc[2] += kd * vz
        if want_a:
            # partials with Cd(M) held (its slope neglected); the radial as the height gradient
            vs = v if v > 1e-9 else 1e-9
            vv = (vx, vy, vz)
            up = (px / r, py / r, pz / r)
            fk = -0.5 * rho_e * vs
            fr = -0.5 * drho * ratio * kap * vs
            for i in range(3):
                jac[i, 6] = fk * vv[i]
                for j in range(3):
                    d = vv[i] * vv[j] / vs
                    if i == j:
                        d += vs
                    jac[i, 3 + j] -= 0.5 * rho_e * kap * d
                    jac[i, j] += fr * vv[i] * up[j]


@numba.njit(cache=True, nogil=True)
def propagate_kernel(
    X, dt, max_step, want_f, j2, drag, cd_table, inv_mach_step, cd_ref, rows, alt_min,
    inv_step, last_node, out_x, out_f,
):  # fmt: skip
    """States ``X (N, n)`` (n = 6 or 7) moved by ``dt (N,)`` into ``out_x``; with ``want_f``
    the transition matrices into ``out_f (N, n, n)``.

    ``drag``: the 7th column is ``kappa`` [m^2/kg] and drags the state (projected to
    ``kappa >= 0`` before use; the projected value is returned); without it a 7th column is
    carried unchanged (``F[6, 6] = 1``).
    """
    n = X.shape[1]
    acc = np.empty(3)
    jac = np.zeros((3, 7))
    xs = np.empty(7)
    xi = np.empty(7)
    kx = np.empty((4, 6))
    f = np.empty((7, 7))
    fs = np.empty((7, 7))
    mk = np.empty((4, 7, 7))
    for o in range(X.shape[0]):
        for i in range(n):
            xi[i] = X[o, i]
        if n < 7:
            xi[6] = 0.0
        kap = 0.0
        if drag:
            kap = xi[6] if xi[6] > 0.0 else 0.0
            xi[6] = kap
        h_all = dt[o]
        m = math.ceil(abs(h_all) / max_step)
        if m < 1:
            m = 1
        h = h_all / m
        if want_f:
            for i in range(7):
                for j in range(7):
                    f[i, j] = 1.0 if i == j else 0.0
        for _ in range(m):
            for st in range(4):
                a = 0.0 if st == 0 else (h if st == 3 else 0.5 * h)
                for i in range(6):
                    xs[i] = xi[i] + a * kx[st - 1, i] if st > 0 else xi[i]
                _accel_jacobian(
                    xs, want_f, j2, drag, kap, cd_table, inv_mach_step, cd_ref, rows,
                    alt_min, inv_step, last_node, acc, jac,
                )  # fmt: skip
                kx[st, 0] = xs[3]
                kx[st, 1] = xs[4]
                kx[st, 2] = xs[5]
                kx[st, 3] = acc[0]
                kx[st, 4] = acc[1]
                kx[st, 5] = acc[2]
                if want_f:
                    # fs = F + a * M_{st-1}; M_st = A(xs) fs with A = [[0, I, 0], [J], [0]]
                    for i in range(n):
                        for j in range(n):
                            fs[i, j] = f[i, j] + a * mk[st - 1, i, j] if st > 0 else f[i, j]
                    for j in range(n):
                        for i in range(3):
                            mk[st, i, j] = fs[3 + i, j]
                            t = 0.0
                            for q in range(6):
                                t += jac[i, q] * fs[q, j]
                            if n == 7 and drag:
                                t += jac[i, 6] * fs[6, j]
                            mk[st, 3 + i, j] = t
                        if n == 7:
                            mk[st, 6, j] = 0.0
            for i in range(6):
                xi[i] += h / 6.0 * (kx[0, i] + 2.0 * kx[1, i] + 2.0 * kx[2, i] + kx[3, i])
            if want_f:
                for i in range(n):
                    for j in range(n):
                        f[i, j] += (
                            h
                            / 6.0
                            * (mk[0, i, j] + 2.0 * mk[1, i, j] + 2.0 * mk[2, i, j] + mk[3, i, j])
                        )
        for i in range(n):
            out_x[o, i] = xi[i]
        if want_f:
            for i in range(n):
                for j in range(n):
                    out_f[o, i, j] = f[i, j]
