"""Compiled (numba, ``cache=True``) guided flight of interceptors: the whole frame loop of
:meth:`bmdsim.engagement.flyout.InterceptorFlight.advance` in one call.

The same models and the same arithmetic, operation for operation, as the numpy reference
(:meth:`~bmdsim.engagement.flyout.InterceptorFlight.advance_reference`), so that both give
bit-identical flights (tests compare them):

* the frame loop over the interceptors in lockstep (frame timing, staging, the ends of
  flights in the same order);
* the guidance laws of :mod:`bmdsim.engagement.guidance` (zero-effort-miss midcourse,
  augmented proportional navigation on the seeker's alpha-beta estimate, the acceleration
  limits), written out per interceptor; numpy's three-term dot products (``einsum``) add
  ``(a0 b0 + a2 b2) + a1 b1`` and its norms ``(a0² + a1²) + a2²``, and so do these;
* each frame's integration: classical RK4 with the flight layer's compiled right-hand side
  (:func:`bmdsim.flight._kernel.acceleration_one`, a compiled call) plus the held command, as
  :func:`bmdsim.core.integrate.rk4` steps it, and the closest approach located on the step's
  quintic Hermite interpolant by the integrator's Illinois search (interceptors crossing in
  the same step are searched together, as the batched search does: its stopping test is
  over all of them);
* the targets' true states: the quintic Hermite interpolation of
  :meth:`bmdsim.flight.trajectory.Trajectory.state_at` on knot tables (several targets
  concatenated, ``offsets``), NaN outside a trajectory or after its end time.

Nothing here allocates: the kernel runs without numba's reference-counting runtime (as the
flight layer's derivative kernel does), every work array comes from the caller.
"""

from __future__ import annotations

import math

import numba

from bmdsim.core.integrate import hermite_state, quintic_hermite_state
from bmdsim.earth.constants import OMEGA_RAD_S
from bmdsim.flight._kernel import acceleration_one, altitude, vacuum_acceleration

BOOST = 0
MIDCOURSE = 1
TERMINAL = 2
ENDED = 3

#: End codes written by :func:`advance_kernel` (reasons of the flights' ends).
END_TARGET_LOST = 0
END_TIME_OF_FLIGHT = 1
END_PASSED = 2
END_CLOSEST_APPROACH = 3
END_GROUND = 4

#: Illinois iterations of the closest-approach search (:func:`bmdsim.core.integrate`'s).
_EVENT_ITERATIONS = 60
#: Objects per chunk of :func:`bmdsim.core.integrate.rk4` (searched separately).
_CHUNK = 4096

#: Options of the functions called only from other compiled functions: no Python or C entry
#: points (their wrappers are a good part of the compile time; the callers link the code).
_INNER = dict(cache=True, nogil=True, no_cpython_wrapper=True, no_cfunc_wrapper=True)


@numba.njit(**_INNER, _nrt=False)
def _dot(a0, a1, a2, b0, b1, b2):
    """numpy's ``einsum('i,i->', a, b)`` over three terms, in its order of addition."""
    return (a0 * b0 + a2 * b2) + a1 * b1


@numba.njit(**_INNER, _nrt=False)
def _norm(a0, a1, a2):
    """numpy's ``linalg.norm`` of a 3-vector, in its order of addition."""
    return math.sqrt((a0 * a0 + a1 * a1) + a2 * a2)


@numba.njit(**_INNER, _nrt=False)
def _maximum(a, b):
    """``numpy.maximum`` of two numbers (NaN in ``a`` propagates; ``b`` is not NaN)."""
    return a if not a < b else b


@numba.njit(**_INNER, _nrt=False)
def _minimum(a, b):
    """``numpy.minimum`` of two numbers (NaN in ``a`` propagates; ``b`` is not NaN)."""
    return a if not a > b else b


@numba.njit(**_INNER, _nrt=False)
def _clip(x, lo, hi):
    """``numpy.clip`` of a number (not NaN)."""
    if x < lo:
        x = lo
    if x > hi:
        x = hi
    return x


@numba.njit(cache=True, nogil=True, _nrt=False)  # called by the tests too
def _target(tab, t, knots_t, knots_y, knots_a, offsets, end_s, out):
    """True state of target table ``tab`` at ``t`` [s] into ``out`` ``(6,)`` (NaN: none)."""
    nan = math.nan
    for c in range(6):
        out[c] = nan
    if tab < 0:
        return
    lo = offsets[tab]
    hi = offsets[tab + 1]
    if not (t >= knots_t[lo] and t <= knots_t[hi - 1]) or t > end_s[tab]:
        return
    if hi - lo == 1:
        for c in range(6):
            out[c] = knots_y[lo, c]
        return
    # numpy.searchsorted(side="right") - 1, clipped to the steps
    a = lo
    b = hi
    while a < b:
        m = (a + b) >> 1
        if knots_t[m] <= t:
            a = m + 1
        else:
            b = m
    j = a - 1
    if j < lo:
        j = lo
    if j > hi - 2:
        j = hi - 2
    h = knots_t[j + 1] - knots_t[j]
    if not h > 0.0:
        for c in range(6):
            out[c] = knots_y[j + 1, c]
        return
    s = _clip((t - knots_t[j]) / h, 0.0, 1.0)
    quintic_hermite_state(s, h, knots_y[j], knots_a[j], knots_y[j + 1], knots_a[j + 1], 0, out)


@numba.njit(**_INNER, _nrt=False)
def _closing(armed, t, y, tab, knots_t, knots_y, knots_a, offsets, end_s, tgt):
    """Event ``g = -Δr·Δv`` of the flyout at ``t`` for state ``y`` ``(7,)``; 1 (never an
    event) before burnout or where the target does not exist."""
    if not armed:
        return 1.0
    _target(tab, t, knots_t, knots_y, knots_a, offsets, end_s, tgt)
    val = -_dot(
        tgt[0] - y[0], tgt[1] - y[1], tgt[2] - y[2], tgt[3] - y[3], tgt[4] - y[4], tgt[5] - y[5]
    )
    if not math.isfinite(val):
        return 1.0
    return val


@numba.njit(
    **_INNER,
    _nrt=False,
    locals={"powered": numba.boolean},
)
def _rhs(t, y, o, a_cmd, out, phys, tp, area, drag_row):
    """``dy/dt`` ``(7,)`` of interceptor ``o``: the flight layer's equations of motion with
    its frame's thrust and drag, plus the held command ``a_cmd[o]``."""
    j2, rotating, drag, sphere, cd_table, inv_mach, rows, alt_min, inv_step, last_node = phys
    powered = True  # a typed local: the flight layer's function compiles once
    ax, ay, az, dm = acceleration_one(
        t, y[0], y[1], y[2], y[3], y[4], y[5], y[6], o, j2, rotating, drag, sphere, area,
        drag_row, cd_table, inv_mach, rows, alt_min, inv_step, last_node, powered, tp,
    )  # fmt: skip
    out[0] = y[3]
    out[1] = y[4]
    out[2] = y[5]
    out[3] = ax + a_cmd[o, 0]
    out[4] = ay + a_cmd[o, 1]
    out[5] = az + a_cmd[o, 2]
    out[6] = dm


@numba.njit(**_INNER, _nrt=False)
def _guidance(o, h, tr, t, y, phase, frame, a_cmd, u_est, udot_est, dv_used, meas_t,
              est, est_t, est_a, noise, a_max, budget, nav, acq, j2, rotating, model):  # fmt: skip
    """Command of interceptor ``o`` for its next frame of length ``h`` [s] from the true
    target state ``tr`` ``(6,)``: :meth:`InterceptorFlight._guidance` for one interceptor."""
    (zem_n, zem_min_tgo, perfect, noise_rad, seeker_frame_s, alpha, beta) = model
    to = t[o]
    # the uplinked estimate extrapolated to now (InterceptorFlight._estimate_at)
    dt = to - est_t[o]
    ea0, ea1, ea2 = est_a[o, 0], est_a[o, 1], est_a[o, 2]
    ep0 = est[o, 0] + est[o, 3] * dt + 0.5 * ea0 * dt * dt
    ep1 = est[o, 1] + est[o, 4] * dt + 0.5 * ea1 * dt * dt
    ep2 = est[o, 2] + est[o, 5] * dt + 0.5 * ea2 * dt * dt
    ev0 = est[o, 3] + ea0 * dt
    ev1 = est[o, 4] + ea1 * dt
    ev2 = est[o, 5] + ea2 * dt
    p0, p1, p2 = ep0 - y[o, 0], ep1 - y[o, 1], ep2 - y[o, 2]  # rel_est_p
    v0, v1, v2 = ev0 - y[o, 3], ev1 - y[o, 4], ev2 - y[o, 5]  # rel_est_v
    tp0, tp1, tp2 = tr[0] - y[o, 0], tr[1] - y[o, 1], tr[2] - y[o, 2]  # rel_true
    rng_true = _norm(tp0, tp1, tp2)
    was_terminal = phase[o] == TERMINAL
    terminal = was_terminal or rng_true <= acq
    newly = terminal and not was_terminal
    # the target's acceleration relative to the interceptor's own free fall
    g0, g1, g2 = vacuum_acceleration(
        y[o, 0], y[o, 1], y[o, 2], y[o, 3], y[o, 4], y[o, 5], j2, rotating
    )
    ra0, ra1, ra2 = ea0 - g0, ea1 - g1, ea2 - g2
    if not terminal:
        # ZeroEffortMissGuidance.command with the Coriolis part of the relative acceleration
        if rotating:
            w = OMEGA_RAD_S
            c0 = -2.0 * (0.0 * v2 - w * v1)
            c1 = -2.0 * (w * v0 - 0.0 * v2)
            c2 = -2.0 * (0.0 * v1 - 0.0 * v0)
        else:
            c0 = c1 = c2 = 0.0
        q0, q1, q2 = ra0 - c0, ra1 - c1, ra2 - c2
        v2sum = _maximum(_dot(v0, v1, v2, v0, v1, v2), 1e-12)
        tgo = _maximum(_maximum(-_dot(p0, p1, p2, v0, v1, v2) / v2sum, 0.0), zem_min_tgo)
        z0 = p0 + v0 * tgo + (0.5 * c0 + q0 / 3.0) * tgo * tgo
        z1 = p1 + v1 * tgo + (0.5 * c1 + q1 / 3.0) * tgo * tgo
        z2 = p2 + v2 * tgo + (0.5 * c2 + q2 / 3.0) * tgo * tgo
        r = _norm(p0, p1, p2)
        u0, u1, u2 = p0 / r, p1 / r, p2 / r
        d = _dot(z0, z1, z2, u0, u1, u2)
        t2 = tgo * tgo
        a0 = zem_n * (z0 - d * u0) / t2
        a1 = zem_n * (z1 - d * u1) / t2
        a2 = zem_n * (z2 - d * u2) / t2
    else:
        # line of sight to the true target
        rv0, rv1, rv2 = tr[3] - y[o, 3], tr[4] - y[o, 4], tr[5] - y[o, 5]
        ut0, ut1, ut2 = tp0 / rng_true, tp1 / rng_true, tp2 / rng_true
        dvu = _dot(rv0, rv1, rv2, ut0, ut1, ut2)
        udt0 = (rv0 - dvu * ut0) / rng_true
        udt1 = (rv1 - dvu * ut1) / rng_true
        udt2 = (rv2 - dvu * ut2) / rng_true
        # closing speed and LOS rate from the uplinked track
        r_est = _norm(p0, p1, p2)
        vc = -_dot(p0, p1, p2, v0, v1, v2) / r_est
        if perfect:
            um0, um1, um2 = ut0, ut1, ut2
            udm0, udm1, udm2 = udt0, udt1, udt2
        else:
            k = frame[o] % noise.shape[1]
            n0 = noise[o, k, 0]
            n1 = noise[o, k, 1]
            frame[o] += 1
            # Seeker.measure: perpendicular_basis, noise averaged over the frame
            nu = _norm(ut0, ut1, ut2)
            w0, w1, w2 = ut0 / nu, ut1 / nu, ut2 / nu
            if abs(w2) < 0.9:
                hx, hy, hz = 0.0, 0.0, 1.0
            else:
                hx, hy, hz = 1.0, 0.0, 0.0
            e0 = w1 * hz - w2 * hy
            e1 = w2 * hx - w0 * hz
            e2 = w0 * hy - w1 * hx
            ne = _norm(e0, e1, e2)
            e0, e1, e2 = e0 / ne, e1 / ne, e2 / ne
            f0 = w1 * e2 - w2 * e1
            f1 = w2 * e0 - w0 * e2
            f2 = w0 * e1 - w1 * e0
            sigma = noise_rad / math.sqrt(_maximum(h / seeker_frame_s, 1.0))
            zz0 = ut0 + sigma * (n0 * e0 + n1 * f0)
            zz1 = ut1 + sigma * (n0 * e1 + n1 * f1)
            zz2 = ut2 + sigma * (n0 * e2 + n1 * f2)
            nz = _norm(zz0, zz1, zz2)
            zz0, zz1, zz2 = zz0 / nz, zz1 / nz, zz2 / nz
            # the rate estimate starts from the uplinked track's geometry
            ue0, ue1, ue2 = p0 / r_est, p1 / r_est, p2 / r_est
            dve = _dot(v0, v1, v2, ue0, ue1, ue2)
            ude0 = (v0 - dve * ue0) / r_est
            ude1 = (v1 - dve * ue1) / r_est
            ude2 = (v2 - dve * ue2) / r_est
            if newly:
                um0, um1, um2 = zz0, zz1, zz2
                udm0, udm1, udm2 = ude0, ude1, ude2
            else:
                # Seeker.filter (alpha-beta)
                dtp = to - meas_t[o]
                pr0 = u_est[o, 0] + dtp * udot_est[o, 0]
                pr1 = u_est[o, 1] + dtp * udot_est[o, 1]
                pr2 = u_est[o, 2] + dtp * udot_est[o, 2]
                rs0, rs1, rs2 = zz0 - pr0, zz1 - pr1, zz2 - pr2
                um0 = pr0 + alpha * rs0
                um1 = pr1 + alpha * rs1
                um2 = pr2 + alpha * rs2
                nm = _norm(um0, um1, um2)
                um0, um1, um2 = um0 / nm, um1 / nm, um2 / nm
                gain = beta / _maximum(dtp, 1e-9)
                ud0 = udot_est[o, 0] + gain * rs0
                ud1 = udot_est[o, 1] + gain * rs1
                ud2 = udot_est[o, 2] + gain * rs2
                du = _dot(ud0, ud1, ud2, um0, um1, um2)
                udm0, udm1, udm2 = ud0 - du * um0, ud1 - du * um1, ud2 - du * um2
            u_est[o, 0], u_est[o, 1], u_est[o, 2] = um0, um1, um2
            udot_est[o, 0], udot_est[o, 1], udot_est[o, 2] = udm0, udm1, udm2
        # ProportionalNavigation.from_los with the type's navigation ratio, augmented by the
        # relative acceleration
        a0 = nav * vc * udm0 + 0.5 * nav * ra0
        a1 = nav * vc * udm1 + 0.5 * nav * ra1
        a2 = nav * vc * udm2 + 0.5 * nav * ra2
        da = _dot(a0, a1, a2, um0, um1, um2)
        a0, a1, a2 = a0 - da * um0, a1 - da * um1, a2 - da * um2
    if terminal:
        phase[o] = TERMINAL
    # limit_acceleration
    mag = _norm(a0, a1, a2)
    cap = _minimum(a_max, _maximum(budget - dv_used[o], 0.0) / _maximum(h, 1e-12))
    scale = cap / _maximum(mag, 1e-300) if mag > cap else 1.0
    a0, a1, a2 = a0 * scale, a1 * scale, a2 * scale
    a_cmd[o, 0], a_cmd[o, 1], a_cmd[o, 2] = a0, a1, a2
    dv_used[o] += _norm(a0, a1, a2) * h


@numba.njit(**_INNER, _nrt=False)
def _setup_frame(o, t1, state, per_type, frame_params, model, phys, work):
    """Interceptor ``o``'s next frame: its end (the next programme boundary in boost, the
    next guidance update otherwise, at most ``t1`` and the end of its time of flight), the
    guidance command where one is due, and the frame's thrust and drag."""
    (t, y, phase, frame, a_cmd, u_est, udot_est, dv_used, meas_t, next_cmd,
     type_, launch, kick, up, down, est, est_t, est_a, noise) = state  # fmt: skip
    (n_stages, stage_end, thrust_vac, mass_flow, exit_area, area_tab, drag_row_t, bounds,
     hold_until, _drop, a_max_t, budget_t, nav_t, acq_t, max_tof_t) = per_type  # fmt: skip
    mid_frame_s, frames_per_tgo = frame_params[0], frame_params[1]
    vertical_rise_s, pitch_over_s = frame_params[3], frame_params[4]
    seeker_frame_s = model[4]
    truth, tp, area, drag_row = work[1], work[2], work[3], work[4]
    t_end, nxt, stage = work[5], work[6], work[7]
    ty = type_[o]
    to = t[o]
    fs = to - launch[o]
    nb = math.inf
    for b in range(bounds.shape[1]):
        bv = bounds[ty, b]
        if bv > fs + 1e-9 and bv < nb:
            nb = bv
    nxt[o] = nb
    boost = phase[o] == BOOST
    if not boost and to >= next_cmd[o] - 1e-9:
        # guidance update: the frame's length, then the command
        r0 = truth[o, 0] - y[o, 0]
        r1 = truth[o, 1] - y[o, 1]
        r2 = truth[o, 2] - y[o, 2]
        rng_t = _norm(r0, r1, r2)
        rv0 = truth[o, 3] - y[o, 3]
        rv1 = truth[o, 4] - y[o, 4]
        rv2 = truth[o, 5] - y[o, 5]
        vc_t = -_dot(r0, r1, r2, rv0, rv1, rv2) / rng_t
        acq = acq_t[ty]
        h = mid_frame_s
        if phase[o] == TERMINAL or rng_t <= acq:
            tgo = rng_t / _maximum(vc_t, 1e-9)
            h = _clip(tgo / frames_per_tgo, seeker_frame_s, mid_frame_s)
        if vc_t > 0.0:
            to_acq = (rng_t - acq) / _maximum(vc_t, 1e-9)
        else:
            to_acq = math.inf
        if to_acq > 0.0:
            h = _minimum(h, _maximum(to_acq, seeker_frame_s))
        h = _minimum(h, launch[o] + max_tof_t[ty] - to)
        _guidance(
            o, h, truth[o], t, y, phase, frame, a_cmd, u_est, udot_est, dv_used, meas_t,
            est, est_t, est_a, noise, a_max_t[ty], budget_t[ty], nav_t[ty], acq, phys[0],
            phys[1], model,
        )  # fmt: skip
        meas_t[o] = to
        next_cmd[o] = to + h
    te = _minimum(launch[o] + nb if boost else next_cmd[o], t1)
    te = _minimum(te, launch[o] + max_tof_t[ty])
    t_end[o] = te
    if boost:
        a_cmd[o, 0] = 0.0
        a_cmd[o, 1] = 0.0
        a_cmd[o, 2] = 0.0
    # this frame's thrust and drag (InterceptorKinematics.thrust and .aero)
    fs_mid = 0.5 * (to + te) - launch[o]
    st = -1
    if boost:
        st = 0
        for s in range(stage_end.shape[1]):
            if stage_end[ty, s] <= fs_mid:
                st += 1
        if st >= n_stages[ty]:
            st = -1
    stage[o] = st
    sb = st if st >= 0 else 0
    tp[o, 0] = thrust_vac[ty, sb] if st >= 0 else 0.0
    tp[o, 1] = mass_flow[ty, sb] if st >= 0 else 0.0
    tp[o, 2] = exit_area[ty, sb] if st >= 0 else 0.0
    if fs_mid < vertical_rise_s:
        tp[o, 3] = 0.0
    elif fs_mid < hold_until[ty]:
        tp[o, 3] = 1.0
    else:
        tp[o, 3] = 2.0
    for c in range(3):
        tp[o, 4 + c] = up[o, c]
        tp[o, 7 + c] = down[o, c]
    tp[o, 10] = launch[o] + vertical_rise_s
    tp[o, 11] = pitch_over_s
    tp[o, 12] = kick[o]
    area[o] = area_tab[ty, st + 1]
    drag_row[o] = drag_row_t[ty]


@numba.njit(**_INNER, _nrt=False)
def _fly_frame(o, chunk, boost_step_s, state, targets, phys, work):
    """RK4 of interceptor ``o`` over its frame, as :func:`bmdsim.core.integrate.rk4` steps
    it; a step in which the closing event crosses zero is kept for the search."""
    t, y, phase, a_cmd = state[0], state[1], state[2], state[4]
    knots_t, knots_y, knots_a, offsets, end_s, tab = targets
    tp, area, drag_row, t_end = work[2], work[3], work[4], work[5]
    crossed, cross_iter, cross_chunk = work[8], work[9], work[10]
    t_a, t_b, y_a, f_a, y_b, f_b, g_a, g_b = (
        work[11], work[12], work[13], work[14], work[15], work[16], work[17], work[18]
    )  # fmt: skip
    kst, ys, tgt = work[24], work[25], work[26]
    to = t[o]
    te = t_end[o]
    boost = phase[o] == BOOST
    step = _maximum(boost_step_s if boost else te - to, 1e-9)
    ty_tab = tab[o]
    for c in range(7):
        ys[0, c] = y[o, c]
    _rhs(to, ys[0], o, a_cmd, kst[0], phys, tp, area, drag_row)
    g = _closing(not boost, to, ys[0], ty_tab, knots_t, knots_y, knots_a, offsets, end_s, tgt)
    it = 0
    while True:
        it += 1
        remaining = te - to
        last = step * (1.0 + 1e-9) >= remaining
        h = remaining if last else step
        tn = te if last else to + h
        hh = 0.5 * h
        for c in range(7):
            ys[1, c] = ys[0, c] + hh * kst[0, c]
        _rhs(to + hh, ys[1], o, a_cmd, kst[1], phys, tp, area, drag_row)
        for c in range(7):
            ys[1, c] = ys[0, c] + hh * kst[1, c]
        _rhs(to + hh, ys[1], o, a_cmd, kst[2], phys, tp, area, drag_row)
        for c in range(7):
            ys[1, c] = ys[0, c] + h * kst[2, c]
        _rhs(to + h, ys[1], o, a_cmd, kst[3], phys, tp, area, drag_row)
        h6 = h / 6.0
        for c in range(7):
            ys[2, c] = ys[0, c] + h6 * (kst[0, c] + 2.0 * (kst[1, c] + kst[2, c]) + kst[3, c])
        _rhs(tn, ys[2], o, a_cmd, kst[4], phys, tp, area, drag_row)
        gn = _closing(not boost, tn, ys[2], ty_tab, knots_t, knots_y, knots_a, offsets, end_s,
                      tgt)  # fmt: skip
        if g > 0.0 and gn <= 0.0:
            # a closest approach in this step: searched afterwards, with the others
            crossed[o] = True
            cross_iter[o] = it
            cross_chunk[o] = chunk
            t_a[o] = to
            t_b[o] = tn
            for c in range(7):
                y_a[o, c] = ys[0, c]
                f_a[o, c] = kst[0, c]
                y_b[o, c] = ys[2, c]
                f_b[o, c] = kst[4, c]
            g_a[o] = g
            g_b[o] = gn
            return
        to = tn
        g = gn
        for c in range(7):
            ys[0, c] = ys[2, c]
            kst[0, c] = kst[4, c]
        if last:
            break
    t[o] = to
    for c in range(7):
        y[o, c] = ys[0, c]


@numba.njit(
    **_INNER,
    _nrt=False,
    locals={"armed": numba.boolean},
)
def _locate(k, m, event_tol_s, state, targets, work):
    """The Illinois search of :func:`bmdsim.core.integrate` for the closest approaches of
    the interceptors crossing in the same step and chunk as ``act[k]``, jointly (its
    stopping test is over all of them); each ends at its approach."""
    t, y = state[0], state[1]
    knots_t, knots_y, knots_a, offsets, end_s, tab = targets
    act = work[0]
    crossed, cross_iter, cross_chunk = work[8], work[9], work[10]
    t_a, t_b, y_a, f_a, y_b, f_b, g_a, g_b = (
        work[11], work[12], work[13], work[14], work[15], work[16], work[17], work[18]
    )  # fmt: skip
    s_lo, s_hi, ga, gb, side = work[19], work[20], work[21], work[22], work[23]
    ys, tgt = work[25], work[26]
    armed = True  # a typed local: ``_closing`` compiles once
    it = cross_iter[act[k]]
    chunk = cross_chunk[act[k]]
    for kk in range(k, m):
        p = act[kk]
        if crossed[p] and cross_iter[p] == it and cross_chunk[p] == chunk:
            s_lo[p] = 0.0
            s_hi[p] = 1.0
            ga[p] = g_a[p]
            gb[p] = g_b[p]
            side[p] = 0
    for _ in range(_EVENT_ITERATIONS):
        done = True
        for kk in range(k, m):
            p = act[kk]
            if not (crossed[p] and cross_iter[p] == it and cross_chunk[p] == chunk):
                continue
            a_ = s_lo[p]
            b_ = s_hi[p]
            denom = ga[p] - gb[p]
            if denom > 0.0:
                s = (a_ * gb[p] - b_ * ga[p]) / (-denom)
            else:
                s = 0.5 * (a_ + b_)
            s = _clip(s, a_, b_)
            hs = t_b[p] - t_a[p]
            quintic_hermite_state(s, hs, y_a[p], f_a[p], y_b[p], f_b[p], 3, ys[3])
            gs = _closing(armed, t_a[p] + s * hs, ys[3], tab[p], knots_t, knots_y, knots_a,
                          offsets, end_s, tgt)  # fmt: skip
            pos = gs > 0.0
            ga_new = gs if pos else ga[p]
            gb_new = gb[p] if pos else gs
            if pos and side[p] == 1:
                gb_new = 0.5 * gb_new
            if not pos and side[p] == -1:
                ga_new = 0.5 * ga_new
            side[p] = 1 if pos else -1
            if pos:
                s_lo[p] = s
            else:
                s_hi[p] = s
            ga[p] = ga_new
            gb[p] = gb_new
            if not ((s_hi[p] - s_lo[p]) * hs <= event_tol_s or gs == 0.0):
                done = False
        if done:
            break
    for kk in range(k, m):
        p = act[kk]
        if not (crossed[p] and cross_iter[p] == it and cross_chunk[p] == chunk):
            continue
        s = s_hi[p]
        hs = t_b[p] - t_a[p]
        t[p] = t_a[p] + s * hs
        hermite_state(hs, y_a[p], f_a[p], y_b[p], f_b[p], s, y[p])
        cross_iter[p] = -1  # searched


@numba.njit(cache=True, nogil=True, _nrt=False, locals={"m": numba.int64, "mm": numba.int64})
def advance_kernel(t1, state, per_type, targets, phys, frame_params, model, work, ev_idx, ev_code):
    """Fly every interceptor still flying to ``t1`` [s] (see the module docstring).

    ``state``: the flight's per-interceptor arrays, updated in place; ``per_type``: the
    types' tables; ``targets``: knot tables and each interceptor's table (-1: none);
    ``phys``: the equations of motion's settings and tables; ``frame_params``: frame and
    programme timings; ``model``: guidance and seeker parameters; ``work``: work arrays.
    Writes the interceptors whose flights ended, in order, to ``ev_idx`` with their end
    codes (``END_*``) in ``ev_code``; returns how many (-1: the loop did not finish).
    """
    t, y, phase, type_, launch = state[0], state[1], state[2], state[10], state[11]
    n_stages, stage_end = per_type[0], per_type[1]
    staging_drop, max_tof_t = per_type[9], per_type[14]
    knots_t, knots_y, knots_a, offsets, end_s, tab = targets
    boost_step_s, event_tol_s, max_iterations = frame_params[2], frame_params[5], frame_params[6]
    act, truth, t_end, nxt, stage = work[0], work[1], work[5], work[6], work[7]
    crossed, cross_iter = work[8], work[9]
    n = t.shape[0]
    n_ev = 0
    iterations = 0
    while True:
        iterations += 1
        if iterations > max_iterations:
            return -1
        m = 0
        for i in range(n):
            if phase[i] != ENDED and t[i] < t1 - 1e-12:
                act[m] = i
                m += 1
        if m == 0:
            break
        # the truth: gone targets end their interceptors; so does the time of flight
        for k in range(m):
            o = act[k]
            _target(tab[o], t[o], knots_t, knots_y, knots_a, offsets, end_s, truth[o])
        for k in range(m):
            o = act[k]
            if not math.isfinite(truth[o, 0]):
                phase[o] = ENDED
                ev_idx[n_ev] = o
                ev_code[n_ev] = END_TARGET_LOST
                n_ev += 1
        for k in range(m):
            o = act[k]
            if phase[o] != ENDED and t[o] - launch[o] >= max_tof_t[type_[o]]:
                phase[o] = ENDED
                ev_idx[n_ev] = o
                ev_code[n_ev] = END_TIME_OF_FLIGHT
                n_ev += 1
        # passed already: an armed interceptor opening from its target
        for k in range(m):
            o = act[k]
            if phase[o] == ENDED or phase[o] == BOOST:
                continue
            d = _dot(
                truth[o, 0] - y[o, 0], truth[o, 1] - y[o, 1], truth[o, 2] - y[o, 2],
                truth[o, 3] - y[o, 3], truth[o, 4] - y[o, 4], truth[o, 5] - y[o, 5],
            )  # fmt: skip
            if d >= 0.0:
                phase[o] = ENDED
                ev_idx[n_ev] = o
                ev_code[n_ev] = END_PASSED
                n_ev += 1
        mm = 0
        for k in range(m):
            if phase[act[k]] != ENDED:
                act[mm] = act[k]
                mm += 1
        m = mm
        if m == 0:
            continue
        # frames: boost to the next programme boundary, guided frames otherwise
        for k in range(m):
            _setup_frame(act[k], t1, state, per_type, frame_params, model, phys, work)
        # integrate each frame (objects with nothing to integrate stay where they are)
        n_todo = 0
        for k in range(m):
            o = act[k]
            crossed[o] = False
            if t_end[o] > t[o]:
                _fly_frame(o, n_todo // _CHUNK, boost_step_s, state, targets, phys, work)
                n_todo += 1
        # the closest approaches, searched jointly per step and chunk
        for k in range(m):
            if crossed[act[k]] and cross_iter[act[k]] >= 0:
                _locate(k, m, event_tol_s, state, targets, work)
        # staging and burnout at programme boundaries (frames end exactly on them)
        for k in range(m):
            o = act[k]
            if phase[o] != BOOST:
                continue
            ty = type_[o]
            nb = nxt[o]
            if not (t_end[o] == launch[o] + nb and t[o] == t_end[o]):
                continue
            st = stage[o]
            if st >= 0 and nb == stage_end[ty, st]:
                y[o, 6] -= staging_drop[ty, st]
                if st == n_stages[ty] - 1:
                    phase[o] = MIDCOURSE
        for k in range(m):
            o = act[k]
            if crossed[o]:
                phase[o] = ENDED
                ev_idx[n_ev] = o
                ev_code[n_ev] = END_CLOSEST_APPROACH
                n_ev += 1
        for k in range(m):
            o = act[k]
            if phase[o] == ENDED:
                continue
            if altitude(y[o, 0], y[o, 1], y[o, 2], -1.0) < 0.0 and t[o] - launch[o] > 1.0:
                phase[o] = ENDED
                ev_idx[n_ev] = o
                ev_code[n_ev] = END_GROUND
                n_ev += 1
    return n_ev
