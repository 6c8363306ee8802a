"""Compiled (numba, ``cache=True``) fixed-step RK4 boost segments of a batch of powered objects.

One call integrates one segment of a boost (a steering phase or a stage) for every object of
the batch: classical RK4 with fixed steps from each object's ``t0`` to its ``t1`` (the last
step shortened to end exactly at ``t1``), the flight layer's compiled right-hand side
(:func:`bmdsim.flight._kernel.acceleration_one`, a plain compiled call) and the ground event
(:func:`bmdsim.flight._kernel.altitude`), with the same operations in the same order as
:func:`bmdsim.core.integrate.rk4` (the driver's arithmetic is elementwise per object, so each
object runs alone here and gives bit-identical states).

A step in which an object reaches the ground is not located here: the kernel reports it
(``crossed``) and the caller integrates that segment again with the numpy driver, whose
Illinois search locates the crossings of all objects crossing in the same step together.
The thrust table, the drag areas and rows of the segment come from the caller (the numpy
:class:`bmdsim.flight.dynamics.Thrust` and :class:`bmdsim.flight.dynamics.Aero`). Nothing is
allocated in the kernel (compiled without the reference-counting runtime). Used by the
threat flight (:func:`bmdsim.flight.flyout.fly_out`) and the interceptors' open-loop flight
(:func:`bmdsim.engagement.kinematics.fly_open_loop`).
"""

from __future__ import annotations

import numba

from bmdsim.flight._kernel import acceleration_one, altitude


@numba.njit(cache=True, nogil=True, no_cpython_wrapper=True, no_cfunc_wrapper=True, _nrt=False)
def _rhs(t, y, o, out, j2, rotating, drag, sphere_radius_m, area, drag_row, cd_table,
         inv_mach_step, rows, alt_min, inv_step, last_node, powered, tp):  # fmt: skip
    """``dy/dt`` ``(7,)`` of object ``o`` as :func:`bmdsim.flight._kernel.derivative_kernel`
    writes it."""
    ax, ay, az, dm = acceleration_one(
        t, y[0], y[1], y[2], y[3], y[4], y[5], y[6], o, j2, rotating, drag, sphere_radius_m,
        area, drag_row, cd_table, inv_mach_step, rows, alt_min, inv_step, last_node, powered, tp,
    )  # fmt: skip
    out[0] = y[3]
    out[1] = y[4]
    out[2] = y[5]
    out[3] = ax
    out[4] = ay
    out[5] = az
    out[6] = dm


@numba.njit(cache=True, nogil=True, no_cpython_wrapper=True, no_cfunc_wrapper=True, _nrt=False)
def _segment(t0, t1, Y, run, step_s, t_out, crossed, j2, rotating, drag, sphere_radius_m, area,
             drag_row, cd_table, inv_mach_step, rows, alt_min, inv_step, last_node, powered,
             tp, work, dense, k_start, k_count, k_t, k_y, k_f):  # fmt: skip
    """The RK4 loop of :func:`boost_segment`; with ``dense`` each object's knots (its start
    and every step's end: time, state, derivative) are written from row ``k_start[o]`` of
    ``k_t`` ``(K,)``, ``k_y``, ``k_f`` ``(K, 7)``, their number to ``k_count[o]``; an object
    whose knots would pass ``k_start[o + 1]`` is reported in ``crossed`` too."""
    n = Y.shape[0]
    for o in range(n):
        crossed[o] = False
        if not run[o]:
            continue
        y0, k1, k2, k3, k4, yn = work[0], work[1], work[2], work[3], work[4], work[5]
        for c in range(7):
            y0[c] = Y[o, c]
        t = t0[o]
        te = t1[o]
        _rhs(t, y0, o, k1, j2, rotating, drag, sphere_radius_m, area, drag_row, cd_table,
             inv_mach_step, rows, alt_min, inv_step, last_node, powered, tp)  # fmt: skip
        g = altitude(y0[0], y0[1], y0[2], sphere_radius_m)
        hit = False
        kk = 0
        if dense:
            kk = k_start[o]
            k_t[kk] = t
            for c in range(7):
                k_y[kk, c] = y0[c]
                k_f[kk, c] = k1[c]
            kk += 1
        while True:
            remaining = te - t
            last = step_s * (1.0 + 1e-9) >= remaining
            h = remaining if last else step_s
            tn = te if last else t + h
            hh = 0.5 * h
            for c in range(7):
                yn[c] = y0[c] + hh * k1[c]
            _rhs(t + hh, yn, o, k2, j2, rotating, drag, sphere_radius_m, area, drag_row,
                 cd_table, inv_mach_step, rows, alt_min, inv_step, last_node, powered,
                 tp)  # fmt: skip
            for c in range(7):
                yn[c] = y0[c] + hh * k2[c]
            _rhs(t + hh, yn, o, k3, j2, rotating, drag, sphere_radius_m, area, drag_row,
                 cd_table, inv_mach_step, rows, alt_min, inv_step, last_node, powered,
                 tp)  # fmt: skip
            for c in range(7):
                yn[c] = y0[c] + h * k3[c]
            _rhs(t + h, yn, o, k4, j2, rotating, drag, sphere_radius_m, area, drag_row,
                 cd_table, inv_mach_step, rows, alt_min, inv_step, last_node, powered,
                 tp)  # fmt: skip
            h6 = h / 6.0
            for c in range(7):
                yn[c] = y0[c] + h6 * (k1[c] + 2.0 * (k2[c] + k3[c]) + k4[c])
            _rhs(tn, yn, o, k1, j2, rotating, drag, sphere_radius_m, area, drag_row, cd_table,
                 inv_mach_step, rows, alt_min, inv_step, last_node, powered, tp)  # fmt: skip
            gn = altitude(yn[0], yn[1], yn[2], sphere_radius_m)
            if g > 0.0 and gn <= 0.0:
                hit = True
                break
            if dense:
                if kk >= k_start[o + 1]:
                    hit = True
                    break
                k_t[kk] = tn
                for c in range(7):
                    k_y[kk, c] = yn[c]
                    k_f[kk, c] = k1[c]
                kk += 1
            t = tn
            g = gn
            for c in range(7):
                y0[c] = yn[c]
            if last:
                break
        if hit:
            crossed[o] = True
            continue
        if dense:
            k_count[o] = kk - k_start[o]
        t_out[o] = t
        for c in range(7):
            Y[o, c] = y0[c]


@numba.njit(
    cache=True,
    nogil=True,
    _nrt=False,
    locals={"powered": numba.boolean, "dense": numba.boolean},
)
def boost_segment(
    t0, t1, Y, run, step_s, t_out, crossed, j2, rotating, drag, sphere_radius_m, area,
    drag_row, cd_table, inv_mach_step, rows, alt_min, inv_step, last_node, tp, work,
):  # fmt: skip
    """RK4 of the objects ``o`` with ``run[o]`` from ``t0[o]`` to ``t1[o]`` [s] with
    steps of ``step_s`` [s]; states ``Y`` ``(N, 7)`` are updated in place and the end times
    written to ``t_out``. An object whose altitude goes from > 0 to <= 0 in a step is
    left at its start state with ``crossed[o] = True`` (the caller redoes the segment).
    ``work`` ``(6, 7)`` scratch."""
    powered = True  # typed locals: the flight layer's function and _segment compile once
    dense = False
    # no knots: arrays of the knot arguments' types stand in for them (never touched)
    _segment(t0, t1, Y, run, step_s, t_out, crossed, j2, rotating, drag, sphere_radius_m,
             area, drag_row, cd_table, inv_mach_step, rows, alt_min, inv_step, last_node,
             powered, tp, work, dense, drag_row, drag_row, t_out, Y, Y)  # fmt: skip


@numba.njit(
    cache=True,
    nogil=True,
    _nrt=False,
    locals={"powered": numba.boolean, "dense": numba.boolean},
)
def boost_segment_dense(
    t0, t1, Y, run, step_s, t_out, crossed, j2, rotating, drag, sphere_radius_m, area,
    drag_row, cd_table, inv_mach_step, rows, alt_min, inv_step, last_node, tp, work,
    k_start, k_count, k_t, k_y, k_f,
):  # fmt: skip
    """:func:`boost_segment` keeping each object's knots (see :func:`_segment`): rows
    ``k_start[o]`` to ``k_start[o] + k_count[o]`` of ``k_t`` ``(K,)`` [s], ``k_y`` and
    ``k_f`` ``(K, 7)`` (state and derivative), its start first; ``k_start`` ``(N + 1,)``
    bounds each object's rows (an object that would need more is reported in ``crossed``)."""
    powered = True
    dense = True
    _segment(t0, t1, Y, run, step_s, t_out, crossed, j2, rotating, drag, sphere_radius_m,
             area, drag_row, cd_table, inv_mach_step, rows, alt_min, inv_step, last_node,
             powered, tp, work, dense, k_start, k_count, k_t, k_y, k_f)  # fmt: skip
