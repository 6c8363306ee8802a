"""Compiled (numba, ``cache=True``) propagation of track states and transition matrices.

One pass per track over the classic Runge-Kutta stages of the state ``[r, v(, kappa)]`` and
of its transition matrix ``dF/dt = A(x) F``, with the acceleration and its analytic Jacobian
computed together (one air-table lookup per stage). Gravity with the rotating-frame terms, the
height and the drag curve are the flight layer's compiled functions
(:func:`bmdsim.flight._kernel.vacuum_acceleration`, ``altitude``, ``_cd``); the air lookup is
this module's own because it also gives the density's height derivative. The arithmetic is that of
:class:`bmdsim.tracking.motion.BallisticMotion`'s numpy reference
(``function_reference`` / ``transition_reference``, itself on the flight layer's equations
of motion); the tests hold them together. A track batch is a few to a few hundred rows, so
the cost of one numpy call per stage and per operation (dozens per step) outweighs the
arithmetic: this loop does the whole step in one call.

Every track takes its own number of sub-steps, ``ceil(|dt| / max_step)``, so a track's
prediction does not depend on the other tracks of the batch.

Below the propagation: the sensors layer's measurement models and the (iterated) EKF update
(:func:`ekf_update_kernel`), then the tracker's compiled scan step
(:mod:`bmdsim.tracking.fused`): the prediction of tracks to a time (:func:`predict_at_kernel`),
one whole scan (:func:`scan_kernel`: prediction, gating, association, in-sequence and
out-of-sequence updates, IMM combination, track counters) and a deletion pre-test
(:func:`may_delete_kernel`). The prediction and the in-sequence update repeat the roles'
arithmetic operation by operation (same order, no fused multiply-add: numba compiles
without fast-math); the gate's distances (Cholesky instead of LU), the out-of-sequence
update (against the numpy path of :class:`bmdsim.tracking.tracker.RetrodictedMeasurement`)
and the IMM combination (numba's ``log``/``exp``) agree with the role path to rounding.
"""

from __future__ import annotations

import math

import numba
import numpy as np

from bmdsim.earth.constants import A_M, GM_M3_S2, J2, OMEGA_RAD_S
from bmdsim.flight._kernel import _cd, altitude, vacuum_acceleration

_J2_K = -1.5 * J2 * GM_M3_S2 * A_M * A_M

#: Options of the functions called only from other compiled functions: no Python or C entry
#: points (their wrappers are a good part of the compile time; the callers link the code).
_INNER = dict(cache=True, nogil=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)


@numba.njit(**_INNER)
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


@numba.njit(
    **_INNER,
    locals={"row0": numba.int64, "rotating": numba.boolean},
)
def _accel_jacobian(
    x, want_a, j2, drag, kap, cd_table, inv_mach_step, cd_ref, rows, alt_min, inv_step,
    last_node, acc, jac,
):  # fmt: skip
    """Acceleration ``acc (3,)`` at state ``x`` and, with ``want_a``, its Jacobian
    ``jac (3, 7)`` (columns: position, velocity, kappa)."""
    w = OMEGA_RAD_S
    # typed locals, not literals: the flight layer's functions compile once for all callers
    row0 = 0
    rotating = True
    px, py, pz = x[0], x[1], x[2]
    vx, vy, vz = x[3], x[4], x[5]
    ax, ay, az = vacuum_acceleration(px, py, pz, vx, vy, vz, j2, rotating)
    acc[0] = ax
    acc[1] = ay
    acc[2] = az
    r2 = px * px + py * py + pz * pz
    r = math.sqrt(r2)
    inv_r2 = 1.0 / r2
    if want_a:
        # point mass: -GM/r^3 (I - 3 r r^T / r^2) = k I - 3 k r r^T / r^2
        k = -GM_M3_S2 * inv_r2 / r
        p = (px, py, pz)
        for i in range(3):
            for j in range(3):
                g = -3.0 * k * p[i] * p[j] * inv_r2
                if i == j:
                    g += k
                jac[i, j] = g
        if j2:
            # a_J2 = c u, u = (x s, y s, z (s + 2)), s = 1 - 5 z^2 / r^2
            c = _J2_K * inv_r2 * inv_r2 / r
            zr = 5.0 * pz * pz * inv_r2
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
        h = altitude(px, py, pz, -1.0)
        rho, drho, c_sound = _air_rho(h, rows, alt_min, inv_step, last_node)
        v = math.sqrt(vx * vx + vy * vy + vz * vz)
        ratio = _cd(cd_table, row0, v / c_sound, inv_mach_step) / cd_ref
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


@numba.njit(**_INNER)
def _move(
    xi, n, h_all, max_step, want_f, j2, drag, cd_table, inv_mach_step, cd_ref, rows, alt_min,
    inv_step, last_node, f, acc, jac, xs, kx, fs, mk,
):  # fmt: skip
    """Move one state ``xi (7,)`` (first ``n`` used) by ``h_all`` seconds in place; with
    ``want_f`` its transition matrix into ``f (7, 7)``. ``drag``: ``kappa = xi[6]`` drags
    (projected to ``>= 0`` first); otherwise ``xi[6]`` is carried. The rest: scratch."""
    kap = 0.0
    if drag:
        kap = xi[6] if xi[6] > 0.0 else 0.0
        xi[6] = kap
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
    xi = np.zeros(7)
    kx = np.empty((4, 6))
    f = np.empty((7, 7))
    fs = np.empty((7, 7))
    mk = np.empty((4, 7, 7))
    for o in range(X.shape[0]):
        for i in range(n):
            xi[i] = X[o, i]
        _move(
            xi, n, dt[o], max_step, want_f, j2, drag, cd_table, inv_mach_step, cd_ref, rows,
            alt_min, inv_step, last_node, f, acc, jac, xs, kx, fs, mk,
        )  # fmt: skip
        for i in range(n):
            out_x[o, i] = xi[i]
        if want_f:
            for i in range(n):
                for j in range(n):
                    out_f[o, i, j] = f[i, j]


@numba.njit(cache=True, nogil=True, locals={"with_f": numba.boolean})
def imm_predict_kernel(
    mode_x, mode_p, mu, pi, dt, drag, q, q_kappa, j2, max_step, cd_table, inv_mach_step,
    cd_ref, rows, alt_min, inv_step, last_node, out_mode_x, out_mode_p, out_mu, out_x, out_p,
):  # fmt: skip
    """Interacting multiple model prediction of ``K`` tracks with ``M`` modes, in one pass.

    Inputs: mode states ``(K, M, n)`` and covariances ``(K, M, n, n)``, probabilities
    ``mu (K, M)``, Markov matrices ``pi (K, M, M)`` over ``dt (K,)``; per mode the motion:
    ``drag (M,)``, white-acceleration density ``q (M,)`` [m^2/s^3], ``kappa`` random-walk
    density ``q_kappa (M,)``, ``j2 (M,)``, ``max_step (M,)``. Mixing (Blom & Bar-Shalom),
    projection of a negative ``kappa`` of a drag mode (``x - P e e^T x / e^T P e``),
    propagation ``x <- f(x)``, ``P <- F P F^T + Q`` and the moment-matched combination are
    those of the numpy path (:mod:`bmdsim.tracking.predictor`).
    """
    k_n, m_n, n = mode_x.shape
    with_f = True  # a typed local: ``_move`` compiles once for every kernel
    acc = np.empty(3)
    jac = np.zeros((3, 7))
    xs = np.empty(7)
    xi = np.zeros(7)
    kx = np.empty((4, 6))
    f = np.empty((7, 7))
    fs = np.empty((7, 7))
    mk = np.empty((4, 7, 7))
    p0 = np.empty((n, n))
    fp = np.empty((n, n))
    c = np.empty(m_n)
    w = np.empty(m_n)
    for k in range(k_n):
        for j in range(m_n):
            t = 0.0
            for i in range(m_n):
                t += pi[k, i, j] * mu[k, i]
            c[j] = t if t > 1e-300 else 1e-300
        h_all = dt[k]
        ah = abs(h_all)
        for j in range(m_n):
            # mixing into mode j
            for i in range(m_n):
                w[i] = pi[k, i, j] * mu[k, i] / c[j]
            for a in range(n):
                t = 0.0
                for i in range(m_n):
                    t += w[i] * mode_x[k, i, a]
                xi[a] = t
            for a in range(n):
                for b in range(n):
                    t = 0.0
                    for i in range(m_n):
                        t += w[i] * (
                            mode_p[k, i, a, b]
                            + (mode_x[k, i, a] - xi[a]) * (mode_x[k, i, b] - xi[b])
                        )
                    p0[a, b] = t
            if drag[j] and n == 7 and xi[6] < 0.0 and p0[6, 6] > 0.0:
                r = xi[6] / p0[6, 6]
                for a in range(n):
                    xi[a] -= p0[a, 6] * r
                xi[6] = 0.0
            _move(
                xi, n, h_all, max_step[j], with_f, j2[j], drag[j] and n == 7, cd_table,
                inv_mach_step, cd_ref, rows, alt_min, inv_step, last_node, f, acc, jac, xs,
                kx, fs, mk,
            )  # fmt: skip
            for a in range(n):
                out_mode_x[k, j, a] = xi[a]
            # P = F P0 F^T + Q
            for a in range(n):
                for b in range(n):
                    t = 0.0
                    for e in range(n):
                        t += f[a, e] * p0[e, b]
                    fp[a, b] = t
            for a in range(n):
                for b in range(a, n):
                    t = 0.0
                    for e in range(n):
                        t += fp[a, e] * f[b, e]
                    out_mode_p[k, j, a, b] = t
            qj = q[j]
            for a in range(3):
                out_mode_p[k, j, a, a] += qj * ah * ah * ah / 3.0
                out_mode_p[k, j, a, a + 3] += qj * ah * ah / 2.0
                out_mode_p[k, j, a + 3, a + 3] += qj * ah
            if n == 7:
                out_mode_p[k, j, 6, 6] += q_kappa[j] * ah
            for a in range(n):
                for b in range(a + 1, n):
                    out_mode_p[k, j, b, a] = out_mode_p[k, j, a, b]
            out_mu[k, j] = c[j]
        # moment-matched combination
        for a in range(n):
            t = 0.0
            for j in range(m_n):
                t += c[j] * out_mode_x[k, j, a]
            out_x[k, a] = t
        for a in range(n):
            for b in range(a, n):
                t = 0.0
                for j in range(m_n):
                    t += c[j] * (
                        out_mode_p[k, j, a, b]
                        + (out_mode_x[k, j, a] - out_x[k, a]) * (out_mode_x[k, j, b] - out_x[k, b])
                    )
                out_p[k, a, b] = t
                out_p[k, b, a] = t


# ---- measurement models and the (iterated) EKF update ---------------------------------------
#: Measurement kinds of :class:`bmdsim.sensors.types.MeasurementKind` the kernels evaluate.
RANGE_AZ_EL, RANGE_AZ_EL_RATE, LOS_ANGLES = 0, 1, 2
_TWO_PI = 2.0 * math.pi


@numba.njit(**_INNER)
def _wrap(a):
    return (a + math.pi) % _TWO_PI - math.pi


@numba.njit(**_INNER)
def _measure(kind, x, pos, vel, basis, z, h):
    """Measurement ``z (m,)`` and Jacobian ``h (m, n)`` (zero beyond its columns) of state
    ``x`` for one sensor geometry: the arithmetic of :mod:`bmdsim.sensors.models`."""
    n = x.shape[0]
    for i in range(h.shape[0]):
        for j in range(n):
            h[i, j] = 0.0
    r0 = x[0] - pos[0]
    r1 = x[1] - pos[1]
    r2 = x[2] - pos[2]
    d0 = basis[0, 0] * r0 + basis[0, 1] * r1 + basis[0, 2] * r2
    d1 = basis[1, 0] * r0 + basis[1, 1] * r1 + basis[1, 2] * r2
    d2 = basis[2, 0] * r0 + basis[2, 1] * r1 + basis[2, 2] * r2
    loc = np.empty((3, 3))
    if kind == LOS_ANGLES:
        z[0] = math.atan2(d0, d2)
        z[1] = math.atan2(d1, d2)
        q1 = d0 * d0 + d2 * d2
        q2 = d1 * d1 + d2 * d2
        loc[0, 0] = d2 / q1
        loc[0, 1] = 0.0
        loc[0, 2] = -d0 / q1
        loc[1, 0] = 0.0
        loc[1, 1] = d2 / q2
        loc[1, 2] = -d1 / q2
        rows = 2
    else:
        e, nn, u = d0, d1, d2
        hh2 = e * e + nn * nn
        hh = math.sqrt(hh2)
        rr2 = hh2 + u * u
        rr = math.sqrt(rr2)
        z[0] = math.hypot(hh, u)
        z[1] = math.atan2(e, nn) % _TWO_PI
        z[2] = math.atan2(u, hh)
        loc[0, 0] = e / rr
        loc[0, 1] = nn / rr
        loc[0, 2] = u / rr
        loc[1, 0] = nn / hh2
        loc[1, 1] = -e / hh2
        loc[1, 2] = 0.0
        loc[2, 0] = -u * e / (rr2 * hh)
        loc[2, 1] = -u * nn / (rr2 * hh)
        loc[2, 2] = hh / rr2
        rows = 3
    for i in range(rows):
        for j in range(3):
            h[i, j] = loc[i, 0] * basis[0, j] + loc[i, 1] * basis[1, j] + loc[i, 2] * basis[2, j]
    if kind == RANGE_AZ_EL_RATE:
        v0 = x[3] - vel[0]
        v1 = x[4] - vel[1]
        v2 = x[5] - vel[2]
        rng = math.sqrt(r0 * r0 + r1 * r1 + r2 * r2)
        u0 = r0 / rng
        u1 = r1 / rng
        u2 = r2 / rng
        rate = u0 * v0 + u1 * v1 + u2 * v2
        z[3] = (r0 * v0 + r1 * v1 + r2 * v2) / z[0]
        h[3, 0] = (v0 - rate * u0) / rng
        h[3, 1] = (v1 - rate * u1) / rng
        h[3, 2] = (v2 - rate * u2) / rng
        h[3, 3] = u0
        h[3, 4] = u1
        h[3, 5] = u2


@numba.njit(**_INNER)
def _residual(kind, za, zb, out):
    m = out.shape[0]
    for i in range(m):
        out[i] = za[i] - zb[i]
    if kind == LOS_ANGLES:
        for i in range(m):
            out[i] = _wrap(out[i])
    else:
        out[1] = _wrap(out[1])


@numba.njit(cache=True, nogil=True)
def measure_kernel(kind, X, pos, vel, basis, out_z, out_h):
    """``z (K, m)`` and ``H (K, m, n)`` of states ``X (K, n)``; the geometry arrays
    ``pos (G, 3)``, ``vel (G, 3)``, ``basis (G, 3, 3)`` have ``G = 1`` or ``K`` rows."""
    g_n = pos.shape[0]
    for k in range(X.shape[0]):
        g = 0 if g_n == 1 else k
        _measure(kind, X[k], pos[g], vel[g], basis[g], out_z[k], out_h[k])


@numba.njit(**_INNER)
def _cholesky(s, m, low):
    """Lower Cholesky factor of ``s[:m, :m]`` into ``low``; False if not positive definite."""
    for i in range(m):
        for j in range(i + 1):
            t = s[i, j]
            for q in range(j):
                t -= low[i, q] * low[j, q]
            if i == j:
                if t <= 0.0:
                    return False
                low[i, i] = math.sqrt(t)
            else:
                low[i, j] = t / low[j, j]
    return True


@numba.njit(**_INNER)
def _chol_solve(low, m, b):
    """Solve ``L L^T y = b`` in place (``b (m,)``)."""
    for i in range(m):
        t = b[i]
        for q in range(i):
            t -= low[i, q] * b[q]
        b[i] = t / low[i, i]
    for i in range(m - 1, -1, -1):
        t = b[i]
        for q in range(i + 1, m):
            t -= low[q, i] * b[q]
        b[i] = t / low[i, i]


@numba.njit(**_INNER, locals={"with_f": numba.boolean})
def _ekf_row(
    kind, x0, p0, zk, rk, pos, vel, basis, iterations, retro, lag_s, motion, out_x, out_p,
    out_nu, out_s, zi, h, cross, s, low, gain, nu, col, xi, ikh, tmp, kr, back, hb, fm, acc,
    jac, xs, kx, fs, mk,
):  # fmt: skip
    """(Iterated) EKF update of one state ``x0 (n,)``, covariance ``p0 (n, n)`` with one
    measurement ``zk (m,)`` of noise ``rk (m, m)`` into ``out_x``, ``out_p``, ``out_nu``,
    ``out_s``; returns ``(ok, log_likelihood)`` (``ok`` False if an innovation covariance
    is not positive definite).

    ``retro``: the measurement was taken ``lag_s < 0`` seconds before the state's time (an
    out-of-sequence update, :class:`bmdsim.tracking.tracker.RetrodictedMeasurement`): the
    measurement model is ``h(f(x, lag_s))`` with Jacobian ``H(f(x)) F``, ``f`` the motion
    ``motion = (drag, j2, max_step, *tables)`` (:func:`_move`). The rest: scratch."""
    n = x0.shape[0]
    m = zk.shape[0]
    ll = 0.0
    with_f = True  # a typed local, not a literal: ``_move`` compiles once for every caller
    for a in range(n):
        xi[a] = x0[a]
    for it in range(iterations):
        if retro:
            for a in range(n):
                back[a] = xi[a]
            _move(
                back, n, lag_s, motion[2], with_f, motion[1], motion[0] and n == 7, motion[3],
                motion[4], motion[5], motion[6], motion[7], motion[8], motion[9], fm, acc,
                jac, xs, kx, fs, mk,
            )  # fmt: skip
            _measure(kind, back[:n], pos, vel, basis, zi, hb)
            for a in range(m):
                for b in range(n):
                    t = 0.0
                    for e in range(n):
                        t += hb[a, e] * fm[e, b]
                    h[a, b] = t
        else:
            _measure(kind, xi, pos, vel, basis, zi, h)
        for a in range(n):
            for b in range(m):
                t = 0.0
                for e in range(n):
                    t += p0[a, e] * h[b, e]
                cross[a, b] = t
        for a in range(m):
            for b in range(m):
                t = rk[a, b]
                for e in range(n):
                    t += h[a, e] * cross[e, b]
                s[a, b] = t
        for a in range(m):
            for b in range(a + 1, m):
                t = 0.5 * (s[a, b] + s[b, a])
                s[a, b] = t
                s[b, a] = t
        if not _cholesky(s, m, low):
            return False, ll
        # gain = cross S^-1 (row by row: S is symmetric)
        for a in range(n):
            for b in range(m):
                col[b] = cross[a, b]
            _chol_solve(low, m, col)
            for b in range(m):
                gain[a, b] = col[b]
        _residual(kind, zk, zi, nu)
        if it == 0:
            for a in range(m):
                out_nu[a] = nu[a]
                for b in range(m):
                    out_s[a, b] = s[a, b]
            for a in range(m):
                col[a] = nu[a]
            _chol_solve(low, m, col)
            d2 = 0.0
            logdet = 0.0
            for a in range(m):
                d2 += nu[a] * col[a]
                logdet += 2.0 * math.log(low[a, a])
            ll = -0.5 * (d2 + logdet + m * math.log(2.0 * math.pi))
        else:
            for a in range(m):
                t = 0.0
                for e in range(n):
                    t += h[a, e] * (x0[e] - xi[e])
                nu[a] -= t
        for a in range(n):
            t = x0[a]
            for b in range(m):
                t += gain[a, b] * nu[b]
            xi[a] = t
    for a in range(n):
        out_x[a] = xi[a]
    # Joseph form (I - K H) P (I - K H)^T + K R K^T with the last linearisation
    for a in range(n):
        for b in range(n):
            t = 1.0 if a == b else 0.0
            for e in range(m):
                t -= gain[a, e] * h[e, b]
            ikh[a, b] = t
    for a in range(n):
        for b in range(n):
            t = 0.0
            for e in range(n):
                t += ikh[a, e] * p0[e, b]
            tmp[a, b] = t
    for a in range(n):
        for b in range(m):
            t = 0.0
            for e in range(m):
                t += gain[a, e] * rk[e, b]
            kr[a, b] = t
    for a in range(n):
        for b in range(n):
            t = 0.0
            for e in range(n):
                t += tmp[a, e] * ikh[b, e]
            for e in range(m):
                t += kr[a, e] * gain[b, e]
            out_p[a, b] = t
    for a in range(n):
        for b in range(a + 1, n):
            t = 0.5 * (out_p[a, b] + out_p[b, a])
            out_p[a, b] = t
            out_p[b, a] = t
    return True, ll


@numba.njit(**_INNER)
def _ekf_scratch(n, m):
    return (
        np.empty(m), np.empty((m, n)), np.empty((n, m)), np.empty((m, m)), np.empty((m, m)),
        np.empty((n, m)), np.empty(m), np.empty(m), np.empty(n), np.empty((n, n)),
        np.empty((n, n)), np.empty((n, m)), np.zeros(7), np.empty((m, n)), np.empty((7, 7)),
        np.empty(3), np.zeros((3, 7)), np.empty(7), np.empty((4, 6)), np.empty((7, 7)),
        np.empty((4, 7, 7)),
    )  # fmt: skip


@numba.njit(**_INNER)
def _no_motion():
    """A ``motion`` argument of :func:`_ekf_row` for updates without retrodiction (never
    read; its types are those of the tracker's tables, so ``_ekf_row`` compiles once)."""
    return (False, False, 1.0, np.zeros((1, 1)), 1.0, 1.0, np.zeros((1, 6)), 0.0, 1.0, 0)


@numba.njit(cache=True, nogil=True, locals={"retro": numba.boolean})
def ekf_update_kernel(
    kind, X, P, Z, R, pos, vel, basis, iterations, out_x, out_p, out_ll, out_nu, out_s
):
    """(Iterated) EKF update of states ``X (K, n)``, covariances ``P (K, n, n)`` with
    measurements ``Z (K, m)`` of noise ``R (K, m, m)`` — the arithmetic of
    :meth:`bmdsim.tracking.updater.ExtendedKalmanUpdater.update_arrays` (Gauss-Newton
    relinearisation, Joseph form with the last linearisation, likelihood at the prediction).
    Returns False if an innovation covariance is not positive definite (the caller then
    takes the numpy path, which raises or copes)."""
    k_n, n = X.shape
    m = Z.shape[1]
    g_n = pos.shape[0]
    scratch = _ekf_scratch(n, m)
    motion = _no_motion()
    retro = False  # a typed local: ``_ekf_row`` compiles once for every caller
    for k in range(k_n):
        g = 0 if g_n == 1 else k
        ok, ll = _ekf_row(
            kind, X[k], P[k], Z[k], R[k], pos[g], vel[g], basis[g], iterations, retro, 0.0,
            motion, out_x[k], out_p[k], out_nu[k], out_s[k], *scratch,
        )  # fmt: skip
        if not ok:
            return False
        out_ll[k] = ll
    return True


@numba.njit(**_INNER)
def _markov_into(pi, lam, switching, dt):
    """The IMM's mode transition matrix ``pi (M, M)`` over ``dt`` for one or two modes: one
    mode ``[[1]]``; two the closed form ``I + (1 - exp(-s |dt|)) / s Lambda``
    (:func:`bmdsim.tracking.predictor.markov_matrices`, ``s = -trace Lambda``)."""
    m_n = pi.shape[0]
    if m_n == 1:
        pi[0, 0] = 1.0
        return
    ah = abs(dt)
    frac = ah if switching == 0.0 else math.expm1(-switching * ah) / -switching
    for i in range(m_n):
        for j in range(m_n):
            pi[i, j] = frac * lam[i, j] + (1.0 if i == j else 0.0)


@numba.njit(**_INNER)
def _markov_all(pi_given, lam, switching, dt):
    """Mode transition matrices ``(K, M, M)`` over ``dt (K,)``: ``pi_given`` if it has rows
    (more than two modes, computed by the caller), else :func:`_markov_into`'s."""
    if pi_given.shape[0] > 0:
        return pi_given
    m_n = lam.shape[0]
    pi = np.empty((dt.shape[0], m_n, m_n))
    for k in range(dt.shape[0]):
        _markov_into(pi[k], lam, switching, dt[k])
    return pi


@numba.njit(cache=True, nogil=True)
def predict_at_kernel(
    mode_x, mode_p, mu, times, t_s, pi_given, motion_cfg, cd_table, rows,
):  # fmt: skip
    """Tracks (mode states ``(N, M, n)``, covariances, probabilities ``(N, M)``, estimate
    times ``(N,)``) predicted to ``t_s``: :func:`imm_predict_kernel` with the mode
    transition matrices of :func:`_markov_all`. Returns the mode states, mode covariances,
    mode probabilities, combined states, combined covariances and times. ``motion_cfg``,
    ``cd_table``, ``rows``: the modes' motion, as :func:`scan_kernel` takes it."""
    (
        lam, switching, drag, q, q_kappa, j2, max_step, _r_drag, _r_j2, _r_step, _r_q,
        _r_q_kappa, inv_mach_step, cd_ref, alt_min, inv_step, last_node,
    ) = _unpack_motion(motion_cfg)  # fmt: skip
    k_n, m_n, n = mode_x.shape
    dt = np.empty(k_n)
    out_t = np.empty(k_n)
    for k in range(k_n):
        out_t[k] = t_s
        dt[k] = t_s - times[k]
    pi = _markov_all(pi_given, lam, switching, dt)
    out = (
        np.empty((k_n, m_n, n)), np.empty((k_n, m_n, n, n)), np.empty((k_n, m_n)),
        np.empty((k_n, n)), np.empty((k_n, n, n)),
    )  # fmt: skip
    imm_predict_kernel(
        mode_x, mode_p, mu, pi, dt, drag, q, q_kappa, j2, max_step, cd_table, inv_mach_step,
        cd_ref, rows, alt_min, inv_step, last_node, *out,
    )  # fmt: skip
    return (*out, out_t)


@numba.njit(**_INNER)
def _largest_eigenvalue_3(a):
    """Largest eigenvalue of the symmetric ``a[:3, :3]`` (lower triangle read), in closed
    form (the trigonometric solution of the characteristic cubic, Smith 1961, *Commun.
    ACM* 4(4)): for the largest root the formula is accurate to rounding."""
    a00, a11, a22 = a[0, 0], a[1, 1], a[2, 2]
    a10, a20, a21 = a[1, 0], a[2, 0], a[2, 1]
    off = a10 * a10 + a20 * a20 + a21 * a21
    if off == 0.0:
        return max(a00, a11, a22)
    q = (a00 + a11 + a22) / 3.0
    b00, b11, b22 = a00 - q, a11 - q, a22 - q
    p = math.sqrt((b00 * b00 + b11 * b11 + b22 * b22 + 2.0 * off) / 6.0)
    det = (
        b00 * (b11 * b22 - a21 * a21) - a10 * (a10 * b22 - a21 * a20)
        + a20 * (a10 * a21 - b11 * a20)
    )  # fmt: skip
    r = det / (2.0 * p * p * p)
    r = -1.0 if r < -1.0 else (1.0 if r > 1.0 else r)
    return q + 2.0 * p * math.cos(math.acos(r) / 3.0)


@numba.njit(cache=True, nogil=True)
def cue_kernel(states, covariances, t_start, t_end, n_sigma, min_radius):
    """Radar cues of tracks (ECEF ``states (C, n)``, ``covariances (C, n, n)`` at
    ``t_start``): ``(t_start (C,), t_end (C,), t_ref (C,), position (C, 3), velocity
    (C, 3), radius (C,))`` with radius ``max(n_sigma sqrt(lambda_max(P_pos)), min_radius)``
    (:meth:`bmdsim.tracking.Tracker.cues`). A NaN radius: a covariance was not finite."""
    c = states.shape[0]
    o_start, o_end, o_ref = np.empty(c), np.empty(c), np.empty(c)
    pos, vel, radius = np.empty((c, 3)), np.empty((c, 3)), np.empty(c)
    for k in range(c):
        o_start[k] = t_start
        o_end[k] = t_end
        o_ref[k] = t_start
        for i in range(3):
            pos[k, i] = states[k, i]
            vel[k, i] = states[k, 3 + i]
        lam = _largest_eigenvalue_3(covariances[k])
        r = n_sigma * math.sqrt(lam) if lam >= 0.0 else math.nan
        radius[k] = r if not r < min_radius else min_radius
    return o_start, o_end, o_ref, pos, vel, radius


# ---- the tracker's compiled scan step -------------------------------------------------------
@numba.njit(**_INNER)
def _track_side(h, p, extra, cross, out):
    """``symmetrise(H P H^T + extra)`` into ``out (m, m)`` (``extra`` None: no extra term)."""
    m, n = h.shape
    for a in range(n):
        for b in range(m):
            t = 0.0
            for e in range(n):
                t += p[a, e] * h[b, e]
            cross[a, b] = t
    for a in range(m):
        for b in range(m):
            t = 0.0 if extra is None else extra[a, b]
            for e in range(n):
                t += h[a, e] * cross[e, b]
            out[a, b] = t
    for a in range(m):
        for b in range(a + 1, m):
            t = 0.5 * (out[a, b] + out[b, a])
            out[a, b] = t
            out[b, a] = t


@numba.njit(**_INNER)
def _pair_test(kind, zp, hph, zd, rd, weights, s, low, nu, col, terms):
    """Chi-square test of one detection ``zd (m,)`` of noise ``rd (m, m)`` against a track
    whose modes predict ``zp (M, m)`` with track-side covariances ``hph (M, m, m)`` and
    probabilities ``weights (M,)`` (the arithmetic of
    :meth:`bmdsim.tracking.hypothesiser.ChiSquareGater.test_pairs`, through a Cholesky
    factor): ``(ok, d2, cost)`` — the smallest mode ``d^2`` and minus twice the log of the
    mode mixture's likelihood; ``ok`` False if an ``S = hph + rd`` is not positive definite.
    The rest: scratch."""
    n_m, m = zp.shape
    d2_min = np.inf
    top = -np.inf
    for j in range(n_m):
        for a in range(m):
            for b in range(m):
                s[a, b] = hph[j, a, b] + rd[a, b]
        if not _cholesky(s, m, low):
            return False, 0.0, 0.0
        _residual(kind, zd, zp[j], nu)
        for a in range(m):
            col[a] = nu[a]
        _chol_solve(low, m, col)
        d2 = 0.0
        logdet = 0.0
        for a in range(m):
            d2 += nu[a] * col[a]
            logdet += 2.0 * math.log(low[a, a])
        if d2 < d2_min or d2 != d2:
            d2_min = d2
        w = weights[j] if weights[j] > 1e-300 else 1e-300
        terms[j] = math.log(w) - 0.5 * (d2 + logdet)
        if terms[j] > top:
            top = terms[j]
    total = 0.0
    for j in range(n_m):
        total += math.exp(terms[j] - top)
    return True, d2_min, -2.0 * (top + math.log(total)) + m * math.log(2.0 * math.pi)


@numba.njit(**_INNER, locals={"with_f": numba.boolean})
def _lag_noise(kind, x, lag_s, q, q_kappa, motion, pos, vel, basis, out, zb, hb, q_mat, sc):
    """``H Q(|lag_s|) H^T`` ``(m, m)`` into ``out``: the process noise of the retrodiction
    motion (white acceleration of density ``q``, ``kappa`` random walk ``q_kappa``) over
    the lag, in measurement space, with ``H`` at ``x (n,)`` moved by ``lag_s``
    (:meth:`bmdsim.tracking.tracker.RetrodictedMeasurement.lag_noise`). ``sc``: the scratch
    of :func:`_ekf_scratch`."""
    n = x.shape[0]
    m = out.shape[0]
    back, fm = sc[12], sc[14]
    acc, jac, xs, kx, fs, mk = sc[15], sc[16], sc[17], sc[18], sc[19], sc[20]
    with_f = False  # a typed local: ``_move`` compiles once for every caller
    for a in range(n):
        back[a] = x[a]
    _move(
        back, n, lag_s, motion[2], with_f, motion[1], motion[0] and n == 7, motion[3],
        motion[4], motion[5], motion[6], motion[7], motion[8], motion[9], fm, acc, jac, xs,
        kx, fs, mk,
    )  # fmt: skip
    _measure(kind, back[:n], pos, vel, basis, zb, hb)
    ah = abs(lag_s)
    for a in range(n):
        for b in range(n):
            q_mat[a, b] = 0.0
    for a in range(3):
        q_mat[a, a] = q * ah * ah * ah / 3.0
        q_mat[a, a + 3] = q * ah * ah / 2.0
        q_mat[a + 3, a] = q * ah * ah / 2.0
        q_mat[a + 3, a + 3] = q * ah
    if n == 7:
        q_mat[6, 6] = q_kappa * ah
    for a in range(m):
        for b in range(m):
            t = 0.0
            for e in range(n):
                he = 0.0
                for f in range(n):
                    he += hb[a, f] * q_mat[f, e]
                t += he * hb[b, e]
            out[a, b] = t


@numba.njit(**_INNER)
def _bits(word, mask):
    """Number of set bits of ``word & mask`` (uint64)."""
    x = word & mask
    count = 0
    while x:
        x &= x - np.uint64(1)
        count += 1
    return count


@numba.njit(**_INNER)
def _bookkeeping(
    rows, dets, t, bit, rcs, memory_looks, period, covered, quality_mask, quality_window,
    confirm_m, confirm_mask, last_update, hits, opportunities, history, sensors, quality,
    reported, rcs_mean, rcs_looks, status, out_due, out_confirmed,
):  # fmt: skip
    """A scan's track counters, in place, in the order of :class:`bmdsim.tracking.Tracker`'s
    role path (same arithmetic).

    1. The tracks ``rows (A,)`` updated at ``t`` by the detections ``dets (A,)``: last
       update, hits, opportunities, hit history, sensor bits (``bit``), log-RCS mean and
       looks (the detection's RCS ``rcs[d]`` if ``rcs`` has rows and it is finite and
       positive; gain ``1 / min(looks, memory_looks)``), quality; ``out_due[a]``: a
       confirmed track whose last 'track updated' event is ``period`` old (its ``reported``
       time set to ``t``).
    2. Misses: every other track that this sensor has updated, inside its coverage
       (``covered (N,)``; no rows: everywhere) and not updated since ``t``, gets a miss;
       if any did, every track's quality is recomputed.
    3. M-of-N confirmation (``confirm_m < 0``: none): a tentative track with at least
       ``confirm_m`` hits in ``history & confirm_mask`` is confirmed (``out_confirmed``).

    Quality is ``bits(history & quality_mask) / max(min(opportunities, quality_window), 1)``.
    Returns whether any track got a miss.
    """
    n_t = last_update.shape[0]
    one = np.uint64(1)
    updated = np.zeros(n_t, np.bool_)
    has_rcs = rcs.shape[0] > 0
    for a in range(rows.shape[0]):
        r = rows[a]
        updated[r] = True
        if last_update[r] < t:
            last_update[r] = t
        hits[r] += 1
        opportunities[r] += 1
        history[r] = (history[r] << one) | one
        sensors[r] |= bit
        if has_rcs:
            value = rcs[dets[a]]
            looks = rcs_looks[r]
            if math.isfinite(value) and value > 0.0:
                prev = rcs_mean[r] if looks > 0 else 0.0
                gain = min(max(looks + 1, 1), memory_looks)
                rcs_mean[r] = prev + (math.log10(value) - prev) / gain
                rcs_looks[r] = looks + 1
        quality[r] = _bits(history[r], quality_mask) / max(min(opportunities[r], quality_window), 1)
        out_due[a] = status[r] == 1 and t - reported[r] >= period
        if out_due[a]:
            reported[r] = t
    missed = False
    for i in range(n_t):
        inside = covered.shape[0] == 0 or covered[i]
        if inside and (sensors[i] & bit) != 0 and not updated[i] and last_update[i] < t:
            history[i] = history[i] << one
            opportunities[i] += 1
            missed = True
    if missed:
        for i in range(n_t):
            quality[i] = _bits(history[i], quality_mask) / max(
                min(opportunities[i], quality_window), 1
            )
    for i in range(n_t):
        out_confirmed[i] = False
        if confirm_m >= 0 and status[i] == 0 and _bits(history[i], confirm_mask) >= confirm_m:
            status[i] = 1
            out_confirmed[i] = True
    return missed


@numba.njit(**_INNER)
def _unpack_motion(cfg):
    """The motion arguments packed by :func:`bmdsim.tracking.fused.motion_config`:
    ``(lam (M, M), switching, drag (M,) bool, q (M,), q_kappa (M,), j2 (M,) bool,
    max_step (M,), r_drag, r_j2, r_max_step, r_q, r_q_kappa, inv_mach_step, cd_ref, alt_min,
    inv_step, last_node)`` from ``[M, switching, drag, q, q_kappa, j2, max_step (M each),
    lam (M * M), r_drag, r_j2, r_max_step, r_q, r_q_kappa, inv_mach_step, cd_ref, alt_min,
    inv_step, last_node]``."""
    m_n = int(cfg[0])
    switching = cfg[1]
    drag = np.empty(m_n, np.bool_)
    q = np.empty(m_n)
    q_kappa = np.empty(m_n)
    j2 = np.empty(m_n, np.bool_)
    max_step = np.empty(m_n)
    for j in range(m_n):
        drag[j] = cfg[2 + j] != 0.0
        q[j] = cfg[2 + m_n + j]
        q_kappa[j] = cfg[2 + 2 * m_n + j]
        j2[j] = cfg[2 + 3 * m_n + j] != 0.0
        max_step[j] = cfg[2 + 4 * m_n + j]
    o = 2 + 5 * m_n
    lam = np.empty((m_n, m_n))
    for i in range(m_n):
        for j in range(m_n):
            lam[i, j] = cfg[o + i * m_n + j]
    o += m_n * m_n
    return (
        lam, switching, drag, q, q_kappa, j2, max_step, cfg[o] != 0.0, cfg[o + 1] != 0.0,
        cfg[o + 2], cfg[o + 3], cfg[o + 4], cfg[o + 5], cfg[o + 6], cfg[o + 7], cfg[o + 8],
        int(cfg[o + 9]),
    )  # fmt: skip


@numba.njit(**_INNER)
def _unpack_settings(cfg):
    """The tracker settings packed by :meth:`bmdsim.tracking.fused.ScanKernels._tracker_constants`:
    ``(threshold, iterations, plain_gnn, memory_looks, period, quality_window, confirm_m,
    quality_mask, confirm_mask)`` from ``[threshold, iterations, plain_gnn, memory_looks,
    period, quality_window, confirm_m (< 0: no confirmation), confirm_n]``."""
    quality_window = int(cfg[5])
    confirm_m = int(cfg[6])
    confirm_n = int(cfg[7])
    quality_mask = np.uint64((1 << quality_window) - 1)
    confirm_mask = np.uint64((1 << confirm_n) - 1) if confirm_m >= 0 else np.uint64(0)
    return (
        cfg[0], int(cfg[1]), cfg[2] != 0.0, int(cfg[3]), cfg[4], quality_window, confirm_m,
        quality_mask, confirm_mask,
    )  # fmt: skip


#: Outcomes of :func:`scan_kernel`.
SCAN_DONE, SCAN_FAILED, SCAN_AMBIGUOUS = 0, 1, 2


@numba.njit(cache=True, nogil=True, locals={"with_f": numba.boolean})
def scan_kernel(
    kind, pos, vel, basis, z, noise, rcs, t_s, settings, motion_cfg, cd_table, rows,
    mode_x, mode_p, mu, times, states, covariances, pi_given,
    forced, forced_rows, forced_dets, bit, covered,
    last_update, hits, opportunities, history, sensors, quality, reported, rcs_mean, rcs_looks,
    status,
):  # fmt: skip
    """One scan of the tracker (:meth:`bmdsim.tracking.fused.ScanKernels.process`) in one
    pass: prediction, gating, association, update, IMM combination and counters.

    Scan: measurement kind and one sensor geometry (``pos (3,)``, ``vel (3,)``,
    ``basis (3, 3)``), detections ``z (K, m)``, ``noise (K, m, m)``, measured RCS
    ``rcs (K,)`` (no rows: none), time ``t_s``; ``settings`` the tracker's settings
    (:func:`_unpack_settings`: gate threshold on ``d^2``, iterations of the iterated EKF,
    plain GNN, RCS memory, event period, quality window, M of N); ``motion_cfg`` the modes'
    and the retrodiction's motion (:func:`_unpack_motion`) with the tables ``cd_table``,
    ``rows`` of :func:`_move`. Tracks: mode states ``mode_x (N, M, n)``, mode
    covariances, probabilities ``mu (N, M)``, estimate times ``(N,)``, combined states and
    covariances; the modes' motion (:func:`imm_predict_kernel`) with the mode transition
    matrices of :func:`_markov_all`; the retrodiction motion of out-of-sequence detections
    (``r_*``: drag, J2, sub-step, white-acceleration and ``kappa`` densities) and the
    tables of :func:`_move`. Counters: as :func:`_bookkeeping`.

    1. Every mode of every track predicted to ``t_s``.
    2. Gating (the role path's :class:`bmdsim.tracking.hypothesiser.ChiSquareGater`): a pair
       is a candidate when, for some predicted mode, every wrapped residual component lies
       inside ``box = sqrt(g (diag(H P H^T) + R_max))`` (``R_max`` the scan's largest
       detection variances); a candidate is tested exactly (:func:`_pair_test`): a track
       whose estimate is older than the scan with its predicted modes and probabilities,
       a newer one (out of sequence) with its modes as they are, through the retrodicted
       measurement ``h(f(x, t_s - t))``, ``H F`` and the lag noise (:func:`_lag_noise`)
       added to the track side, and its current probabilities. Kept if ``d^2 <= g``.
    3. Association: with ``plain_gnn`` and every kept pair the only one of its track and
       of its detection, every kept pair; otherwise the kernel stops with
       :data:`SCAN_AMBIGUOUS` and the kept pairs, for the caller's associator, and is
       called again with ``forced`` and its assignment ``forced_rows``, ``forced_dets``.
    4. The (iterated) EKF update (:func:`_ekf_row`) of every mode of each assigned track:
       predicted modes, or for an out-of-sequence pair the modes as they are with the
       retrodicted measurement and the lag noise added to the detection's; then the IMM
       output (:func:`bmdsim.tracking.updater.imm_combine`'s arithmetic).
    5. The counters (:func:`_bookkeeping`).

    Returns ``(outcome, changed, n_due, n_confirmed, index, pairs, estimate, counters)``:
    changed whether the track record changed (an update, a miss or a confirmation; if not,
    estimate and counters are the arrays given); index the rows of the ``n_due`` updated
    confirmed tracks due a 'track updated' event, then those of the ``n_confirmed`` tracks
    just confirmed, then the detections left unassigned; pairs ``(5, P)`` the kept pairs'
    track, detection, ``d^2``, cost and index among the tested pairs (forward pairs
    first); estimate the new ``(states, covariances, mode_states, mode_covariances,
    mode_probabilities, times)``; counters the new counter arrays (in the argument order).
    :data:`SCAN_FAILED`: a covariance was not positive definite (nothing is usable).
    """
    (
        lam, switching, drag, q, q_kappa, j2, max_step, r_drag, r_j2, r_max_step, r_q,
        r_q_kappa, inv_mach_step, cd_ref, alt_min, inv_step, last_node,
    ) = _unpack_motion(motion_cfg)  # fmt: skip
    (
        threshold, iterations, plain_gnn, memory_looks, period, quality_window, confirm_m,
        quality_mask, confirm_mask,
    ) = _unpack_settings(settings)  # fmt: skip
    k_n, m_n, n = mode_x.shape
    d_n, m = z.shape
    with_f = True  # a typed local: ``_move`` compiles once for every caller
    inputs = (states, covariances, mode_x, mode_p, mu, times)
    counters_in = (
        last_update, hits, opportunities, history, sensors, quality, reported, rcs_mean,
        rcs_looks, status,
    )  # fmt: skip
    no_index = np.zeros(0, np.int64)
    motion = (
        r_drag, r_j2, r_max_step, cd_table, inv_mach_step, cd_ref, rows, alt_min, inv_step,
        last_node,
    )  # fmt: skip
    # 1. prediction
    dt = np.empty(k_n)
    for k in range(k_n):
        dt[k] = t_s - times[k]
    pi = _markov_all(pi_given, lam, switching, dt)
    pmx, pmp = np.empty((k_n, m_n, n)), np.empty((k_n, m_n, n, n))
    pmu, px, pp = np.empty((k_n, m_n)), np.empty((k_n, n)), np.empty((k_n, n, n))
    imm_predict_kernel(
        mode_x, mode_p, mu, pi, dt, drag, q, q_kappa, j2, max_step, cd_table, inv_mach_step,
        cd_ref, rows, alt_min, inv_step, last_node, pmx, pmp, pmu, px, pp,
    )  # fmt: skip
    sc = _ekf_scratch(n, m)
    # lag noise of each out-of-sequence track (computed when first needed)
    lag = np.empty((k_n, m, m))
    lag_done = np.zeros(k_n, np.bool_)
    q_mat = np.empty((n, n))
    zb = np.empty(m)
    hb = np.empty((m, n))
    # 2. gating
    cap = k_n * d_n  # every pair at most once
    pt = np.empty(cap, np.int64)
    pd = np.empty(cap, np.int64)
    pd2 = np.empty(cap)
    pcost = np.empty(cap)
    pidx = np.empty(cap, np.int64)
    kept = 0
    f_n = 0
    if not forced and d_n > 0:
        h = np.empty((m, n))
        cross = np.empty((n, m))
        zp = np.empty((m_n, m))
        hph = np.empty((m_n, m, m))
        box = np.empty((m_n, m))
        nu = np.empty(m)
        s = np.empty((m, m))
        low = np.empty((m, m))
        col = np.empty(m)
        terms = np.empty(m_n)
        r_max = np.empty(m)
        for c in range(m):
            r_max[c] = noise[0, c, c]
            for d in range(1, d_n):
                if noise[d, c, c] > r_max[c]:
                    r_max[c] = noise[d, c, c]
        cand = np.empty(d_n, np.bool_)
        for fwd_pass in (True, False):
            tested = 0
            for i in range(k_n):
                forward = dt[i] >= 0.0
                if forward != fwd_pass:  # forward tracks' pairs first
                    continue
                # candidates from the modes predicted to the scan
                any_cand = False
                for d in range(d_n):
                    cand[d] = False
                for j in range(m_n):
                    _measure(kind, pmx[i, j], pos, vel, basis, zp[j], h)
                    _track_side(h, pmp[i, j], None, cross, hph[j])
                    for c in range(m):
                        box[j, c] = math.sqrt(threshold * (hph[j, c, c] + r_max[c]))
                    for d in range(d_n):
                        if cand[d]:
                            continue
                        _residual(kind, z[d], zp[j], nu)
                        inside = True
                        for c in range(m):
                            if not abs(nu[c]) <= box[j, c]:
                                inside = False
                                break
                        if inside:
                            cand[d] = True
                            any_cand = True
                if not any_cand:
                    continue
                weights = pmu[i]
                if not forward:  # the retrodicted measurement of every mode, with the lag
                    _lag_noise(
                        kind, states[i], dt[i], r_q, r_q_kappa, motion, pos, vel, basis,
                        lag[i], zb, hb, q_mat, sc,
                    )  # fmt: skip
                    lag_done[i] = True
                    back, fm = sc[12], sc[14]
                    for j in range(m_n):
                        for a in range(n):
                            back[a] = mode_x[i, j, a]
                        _move(
                            back, n, dt[i], r_max_step, with_f, r_j2, r_drag and n == 7,
                            cd_table, inv_mach_step, cd_ref, rows, alt_min, inv_step,
                            last_node, fm, sc[15], sc[16], sc[17], sc[18], sc[19], sc[20],
                        )  # fmt: skip
                        _measure(kind, back[:n], pos, vel, basis, zp[j], hb)
                        for a in range(m):
                            for b in range(n):
                                t = 0.0
                                for e in range(n):
                                    t += hb[a, e] * fm[e, b]
                                h[a, b] = t
                        _track_side(h, mode_p[i, j], lag[i], cross, hph[j])
                    weights = mu[i]
                for d in range(d_n):
                    if not cand[d]:
                        continue
                    ok, d2, cost = _pair_test(
                        kind, zp, hph, z[d], noise[d], weights, s, low, nu, col, terms
                    )
                    if not ok:
                        return (
                            SCAN_FAILED, False, 0, 0, no_index, np.empty((5, 0)), inputs,
                            counters_in,
                        )  # fmt: skip
                    if d2 <= threshold:
                        pt[kept] = i
                        pd[kept] = d
                        pd2[kept] = d2
                        pcost[kept] = cost
                        pidx[kept] = tested + (0 if fwd_pass else f_n)
                        kept += 1
                    tested += 1
            if fwd_pass:
                f_n = tested
    pairs = np.empty((5, kept))
    for a in range(kept):
        pairs[0, a] = pt[a]
        pairs[1, a] = pd[a]
        pairs[2, a] = pd2[a]
        pairs[3, a] = pcost[a]
        pairs[4, a] = pidx[a]
    # 3. association
    if forced:
        a_rows, a_dets = forced_rows, forced_dets
    else:
        distinct = plain_gnn
        if distinct:
            seen_t = np.zeros(k_n, np.bool_)
            seen_d = np.zeros(d_n, np.bool_)
            for a in range(kept):
                if seen_t[pt[a]] or seen_d[pd[a]]:
                    distinct = False
                    break
                seen_t[pt[a]] = True
                seen_d[pd[a]] = True
        if not distinct:
            return SCAN_AMBIGUOUS, False, 0, 0, no_index, pairs, inputs, counters_in
        a_rows, a_dets = pt[:kept], pd[:kept]
    # 4. update
    o_x, o_p, o_mx, o_mp, o_mu, o_t = inputs
    if a_rows.shape[0] > 0:
        o_x, o_p = states.copy(), covariances.copy()
        o_mx, o_mp, o_mu, o_t = mode_x.copy(), mode_p.copy(), mu.copy(), times.copy()
    ll = np.empty(m_n)
    out_nu = np.empty(m)
    out_s = np.empty((m, m))
    rk = np.empty((m, m))
    xc = np.empty(n)
    w = np.empty(m_n)
    for a in range(a_rows.shape[0]):
        r = a_rows[a]
        d = a_dets[a]
        forward = dt[r] >= 0.0
        if forward:
            src_x, src_p, prior = pmx[r], pmp[r], pmu[r]
            for b in range(m):
                for c in range(m):
                    rk[b, c] = noise[d, b, c]
        else:
            src_x, src_p, prior = mode_x[r], mode_p[r], mu[r]
            if not lag_done[r]:
                _lag_noise(
                    kind, states[r], dt[r], r_q, r_q_kappa, motion, pos, vel, basis, lag[r],
                    zb, hb, q_mat, sc,
                )  # fmt: skip
                lag_done[r] = True
            for b in range(m):
                for c in range(m):
                    rk[b, c] = noise[d, b, c] + lag[r, b, c]
        for j in range(m_n):
            ok, ll_j = _ekf_row(
                kind, src_x[j], src_p[j], z[d], rk, pos, vel, basis, iterations, not forward,
                dt[r], motion, o_mx[r, j], o_mp[r, j], out_nu, out_s, *sc,
            )  # fmt: skip
            if not ok:
                return SCAN_FAILED, False, 0, 0, no_index, pairs, inputs, counters_in
            ll[j] = ll_j
        if forward:
            o_t[r] = t_s
        # the IMM output (imm_combine)
        if m_n == 1:
            for i in range(n):
                o_x[r, i] = o_mx[r, 0, i]
                for k in range(n):
                    o_p[r, i, k] = o_mp[r, 0, i, k]
            continue
        top = -np.inf
        for j in range(m_n):
            w[j] = math.log(prior[j] if prior[j] > 1e-300 else 1e-300) + ll[j]
            if top == top and (w[j] > top or w[j] != w[j]):  # numpy's max: NaN wins
                top = w[j]
        total = 0.0
        for j in range(m_n):
            w[j] = math.exp(w[j] - top)
            total += w[j]
        norm = 0.0
        for j in range(m_n):
            v = w[j] / total
            w[j] = v if v > 1e-12 else 1e-12
            norm += w[j]
        for j in range(m_n):
            w[j] = w[j] / norm
            o_mu[r, j] = w[j]
        for i in range(n):
            t = 0.0
            for j in range(m_n):
                t += w[j] * o_mx[r, j, i]
            xc[i] = t
            o_x[r, i] = t
        for i in range(n):
            for k in range(n):
                t = 0.0
                for j in range(m_n):
                    t += w[j] * (
                        o_mp[r, j, i, k] + (o_mx[r, j, i] - xc[i]) * (o_mx[r, j, k] - xc[k])
                    )
                o_p[r, i, k] = t
        for i in range(n):
            for k in range(i + 1, n):
                t = 0.5 * (o_p[r, i, k] + o_p[r, k, i])
                o_p[r, i, k] = t
                o_p[r, k, i] = t
    # 5. counters
    counters = (
        last_update.copy(), hits.copy(), opportunities.copy(), history.copy(), sensors.copy(),
        quality.copy(), reported.copy(), rcs_mean.copy(), rcs_looks.copy(), status.copy(),
    )  # fmt: skip
    due = np.empty(a_rows.shape[0], np.bool_)
    confirmed = np.empty(k_n, np.bool_)
    missed = _bookkeeping(
        a_rows, a_dets, t_s, bit, rcs, memory_looks, period, covered, quality_mask,
        quality_window, confirm_m, confirm_mask, *counters, due, confirmed,
    )  # fmt: skip
    n_due = 0
    for a in range(a_rows.shape[0]):
        n_due += due[a]
    n_confirmed = 0
    for i in range(k_n):
        n_confirmed += confirmed[i]
    used = np.zeros(d_n, np.bool_)
    for a in range(a_dets.shape[0]):
        used[a_dets[a]] = True
    n_free = 0
    for d in range(d_n):
        n_free += not used[d]
    index = np.empty(n_due + n_confirmed + n_free, np.int64)
    q = 0
    for a in range(a_rows.shape[0]):
        if due[a]:
            index[q] = a_rows[a]
            q += 1
    for i in range(k_n):
        if confirmed[i]:
            index[q] = i
            q += 1
    for d in range(d_n):
        if not used[d]:
            index[q] = d
            q += 1
    if a_rows.shape[0] == 0 and not missed and n_confirmed == 0:  # the record as it was
        return SCAN_DONE, False, 0, 0, index, pairs, inputs, counters_in
    return (
        SCAN_DONE,
        True,
        n_due,
        n_confirmed,
        index,
        pairs,
        (o_x, o_p, o_mx, o_mp, o_mu, o_t),
        counters,
    )


@numba.njit(cache=True, nogil=True)
def initiate_kernel(
    kind, pos, vel, basis, z, noise, dets, n_used, x_prior, info_prior, out_x, out_p
):  # fmt: skip
    """Tentative track estimates from single radar detections
    (:class:`bmdsim.tracking.initiator.SinglePointInitiator`, the same formulas).

    Detection ``dets[j]`` of ``z (K, m)``, ``noise (K, m, m)`` (range, azimuth, elevation
    (, range rate); one sensor geometry): the position from the measurement's inverse, the
    rest from the prior mean ``x_prior (n,)``; one Gauss-Newton step in information form
    with the first ``n_used`` measurement components: ``P = (info_prior + H^T R^-1 H)^-1``
    (symmetrised) into ``out_p[j]``, ``x = x0 + P H^T R^-1 nu`` into ``out_x[j]``. Returns
    False if a matrix was not positive definite (nothing is usable then).
    """
    k = dets.shape[0]
    n = x_prior.shape[0]
    m = z.shape[1]
    x0 = np.empty(n)
    zp = np.empty(m)
    h = np.empty((m, n))
    nu = np.empty(m)
    r = np.empty((n_used, n_used))
    low = np.empty((n_used, n_used))
    rh = np.empty((n_used, n))
    col = np.empty(n_used)
    info = np.empty((n, n))
    low_i = np.empty((n, n))
    grad = np.empty(n)
    p = np.empty((n, n))
    e = np.empty(n)
    for j in range(k):
        d = dets[j]
        for a in range(n):
            x0[a] = x_prior[a]
        rng, az, el = z[d, 0], z[d, 1], z[d, 2]
        ce = math.cos(el)
        e0, e1, e2 = rng * ce * math.sin(az), rng * ce * math.cos(az), rng * math.sin(el)
        for a in range(3):
            x0[a] = pos[a] + basis[0, a] * e0 + basis[1, a] * e1 + basis[2, a] * e2
        _measure(kind, x0, pos, vel, basis, zp, h)
        _residual(kind, z[d], zp, nu)
        for a in range(n_used):
            for b in range(n_used):
                r[a, b] = noise[d, a, b]
        if not _cholesky(r, n_used, low):
            return False
        # R^-1 H column by column, then the information and the gradient
        for b in range(n):
            for a in range(n_used):
                col[a] = h[a, b]
            _chol_solve(low, n_used, col)
            for a in range(n_used):
                rh[a, b] = col[a]
        for a in range(n):
            for b in range(n):
                t = info_prior[a, b]
                for c in range(n_used):
                    t += h[c, a] * rh[c, b]
                info[a, b] = t
            t = 0.0
            for c in range(n_used):
                t += rh[c, a] * nu[c]
            grad[a] = t
        if not _cholesky(info, n, low_i):
            return False
        for b in range(n):
            for a in range(n):
                e[a] = 1.0 if a == b else 0.0
            _chol_solve(low_i, n, e)
            for a in range(n):
                p[a, b] = e[a]
        for a in range(n):
            t = x0[a]
            for b in range(n):
                t += p[a, b] * grad[b]
            out_x[j, a] = t
            for b in range(n):
                out_p[j, a, b] = 0.5 * (p[a, b] + p[b, a])
    return True


@numba.njit(cache=True, nogil=True)
def may_delete_kernel(
    time_s, last_update, status, covariances, states, opportunities, history,
    tentative_coast_s, confirmed_coast_s, sigma2_limit, reach2, confirm_m, confirm_n,
    confirm_mask,
):  # fmt: skip
    """Whether any track may be deleted at ``time_s`` (a superset test of
    :class:`bmdsim.tracking.deleter.Deleter` and :meth:`MOfNConfirmer.failed`): coasted
    longer than its limit, mean position variance above ``sigma2_limit`` (the caller's
    limit is a little below the deleter's), inside the sphere of squared radius ``reach2``
    (maybe below ground), or tentative with ``confirm_n`` opportunities and fewer than
    ``confirm_m`` hits among the newest ``confirm_n`` (``confirm_mask``)."""
    for i in range(last_update.shape[0]):
        limit = confirmed_coast_s if status[i] == 1 else tentative_coast_s
        if time_s - last_update[i] > limit:
            return True
        if (
            covariances[i, 0, 0] + covariances[i, 1, 1] + covariances[i, 2, 2]
        ) / 3.0 > sigma2_limit:
            return True
        r2 = states[i, 0] * states[i, 0] + states[i, 1] * states[i, 1] + states[i, 2] * states[i, 2]
        if r2 < reach2:
            return True
        if (
            status[i] == 0
            and opportunities[i] >= confirm_n
            and _bits(history[i], confirm_mask) < confirm_m
        ):
            return True
    return False
