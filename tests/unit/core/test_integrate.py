"""Batched integrators: accuracy on closed-form problems, per-object times, masks, events,
outputs and dense output."""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.core.integrate import (
    _DP_A,
    _DP_B,
    _DP_C,
    _DP_E,
    IntegrationError,
    dopri5,
    hermite,
    interpolate_dense,
    rk4,
)

OMEGA = np.array([0.5, 1.0, 1.5, 2.0])


def oscillator(t, y, idx):
    """q'' = -w^2 q, one frequency per object; exact q = cos(w t) from q = 1, q' = 0."""
    w = OMEGA[idx]
    return np.stack([y[:, 1], -(w * w) * y[:, 0]], axis=-1)


def start():
    return np.tile([1.0, 0.0], (OMEGA.size, 1))


@pytest.mark.parametrize("method", ["rk4", "dopri5"])
def test_oscillator_matches_closed_form_at_outputs_and_end(method):
    t_out = np.linspace(0.0, 10.0, 41)
    if method == "rk4":
        sol = rk4(oscillator, 0.0, start(), 10.0, step_s=0.01, t_out=t_out, second_order=1)
        tol = 1e-7
    else:
        sol = dopri5(
            oscillator, 0.0, start(), 10.0, rtol=1e-11, atol=1e-12, t_out=t_out, second_order=1
        )
        tol = 1e-8
    exact = np.cos(OMEGA[None, :] * t_out[:, None])
    err = np.abs(sol.y_out[..., 0] - exact).max()
    assert err < tol, f"{method}: max output error {err:.2e}"
    assert np.allclose(sol.t_s, 10.0)
    assert np.abs(sol.y[:, 0] - np.cos(OMEGA * 10.0)).max() < tol


def test_rk4_is_fourth_order():
    """Halving the step divides the global error by ~16."""
    errs = []
    for h in (0.02, 0.01):
        sol = rk4(oscillator, 0.0, start(), 5.0, step_s=h)
        errs.append(np.abs(sol.y[:, 0] - np.cos(OMEGA * 5.0)).max())
    ratio = errs[0] / errs[1]
    assert 14.0 < ratio < 18.0, f"error ratio {ratio:.2f}"


def test_rk4_takes_whole_steps_and_shortens_the_last_one():
    sol = rk4(oscillator, 0.0, start(), 1.05, step_s=0.1, dense=True)
    assert np.all(sol.steps == 11)
    knots = sol.dense.t_s[sol.dense.offsets[0] : sol.dense.offsets[1]]
    assert np.allclose(np.diff(knots)[:-1], 0.1) and np.isclose(knots[-1], 1.05)


def test_dopri5_tableau_matches_scipy():
    from scipy.integrate._ivp.rk import RK45

    a = np.zeros((7, 7))
    for s, row in enumerate(_DP_A):
        a[s, : len(row)] = row
    assert np.allclose(a[:6, :5], RK45.A, rtol=0, atol=1e-15)
    assert np.allclose(_DP_B[:6], RK45.B, atol=1e-15)
    assert np.allclose(_DP_C[:6], RK45.C, atol=1e-15)
    assert np.allclose(_DP_E, -RK45.E, atol=1e-15)  # scipy: 4th minus 5th order


def test_dopri5_error_shrinks_with_tolerance_and_steps_grow():
    errs, steps = [], []
    for rtol in (1e-6, 1e-9):
        sol = dopri5(oscillator, 0.0, start(), 10.0, rtol=rtol, atol=rtol)
        errs.append(np.abs(sol.y[:, 0] - np.cos(OMEGA * 10.0)).max())
        steps.append(sol.steps.sum())
    assert errs[1] < errs[0] / 100.0
    assert steps[1] > steps[0]


def test_objects_have_their_own_start_and_end_times_and_alive_mask():
    t0 = np.array([0.0, 1.0, 2.0, 3.0])
    t1 = np.array([5.0, 4.0, 6.0, 3.0])
    alive = np.array([True, True, False, True])
    t_out = np.arange(0.0, 7.0, 0.5)
    sol = dopri5(oscillator, t0, start(), t1, rtol=1e-10, atol=1e-12, alive=alive, t_out=t_out)
    assert np.allclose(sol.t_s, [5.0, 4.0, 2.0, 3.0])
    assert sol.steps[2] == 0 and sol.steps[3] == 0
    assert np.array_equal(sol.y[2], start()[2])  # not alive: untouched
    for i in (0, 1):
        inside = (t_out >= t0[i]) & (t_out <= t1[i])
        assert not np.isnan(sol.y_out[inside, i, 0]).any()
        assert np.isnan(sol.y_out[~inside, i, 0]).all()
        exact = np.cos(OMEGA[i] * (t_out[inside] - t0[i]))
        assert np.abs(sol.y_out[inside, i, 0] - exact).max() < 1e-8
    assert np.isnan(sol.y_out[:, 2]).all()
    # zero-length interval: only the output at its start time
    assert np.array_equal(sol.y_out[t_out == 3.0, 3, 0], [1.0])
    assert np.isnan(sol.y_out[t_out != 3.0, 3, 0]).all()


@pytest.mark.parametrize("method", ["rk4", "dopri5"])
def test_event_is_located_per_object_without_stopping_the_batch(method):
    """q crosses zero first at t = pi / (2 w); the others continue to t1."""
    stop = np.array([True, False, True, False])

    def g(t, y, idx):
        return np.where(stop[idx], y[:, 0], 1.0)

    t_out = np.linspace(0.0, 4.0, 81)
    kw = dict(event=g, t_out=t_out, second_order=1)
    if method == "rk4":
        sol = rk4(oscillator, 0.0, start(), 4.0, step_s=0.01, **kw)
    else:
        sol = dopri5(oscillator, 0.0, start(), 4.0, rtol=1e-10, atol=1e-12, **kw)
    t_cross = np.pi / (2.0 * OMEGA)
    assert np.array_equal(sol.event, stop)
    err = np.abs(sol.t_s[stop] - t_cross[stop]).max()
    assert err < 1e-8, f"event time error {err:.2e} s"
    assert np.allclose(sol.t_s[~stop], 4.0)
    assert np.abs(sol.y[stop, 0]).max() < 1e-8
    for i in np.nonzero(stop)[0]:
        assert np.isnan(sol.y_out[t_out > sol.t_s[i], i]).all()
        assert not np.isnan(sol.y_out[t_out <= sol.t_s[i], i]).any()


def test_dense_output_interpolates_between_knots_and_is_nan_outside():
    sol = dopri5(oscillator, 0.0, start(), 6.0, rtol=1e-10, atol=1e-12, dense=True, second_order=1)
    t = np.linspace(-1.0, 7.0, 801)
    y = interpolate_dense(sol.dense, np.arange(OMEGA.size)[None, :], t[:, None], second_order=1)
    assert y.shape == (t.size, OMEGA.size, 2)
    inside = (t >= 0.0) & (t <= 6.0)
    exact_q = np.cos(OMEGA[None, :] * t[inside, None])
    exact_v = -OMEGA[None, :] * np.sin(OMEGA[None, :] * t[inside, None])
    assert np.abs(y[inside, :, 0] - exact_q).max() < 1e-8
    assert np.abs(y[inside, :, 1] - exact_v).max() < 1e-7
    assert np.isnan(y[~inside]).all()


def test_hermite_is_exact_for_quintic_positions_and_cubic_others():
    rng = np.random.default_rng(3)
    c = rng.normal(size=6)  # q(t) = sum c_i t^i
    d = rng.normal(size=4)  # m(t) cubic
    h = 1.7

    def q(t, n=0):
        coeffs = np.polynomial.polynomial.polyder(c, n) if n else c
        return np.polynomial.polynomial.polyval(t, coeffs)

    def m(t, n=0):
        coeffs = np.polynomial.polynomial.polyder(d, n) if n else d
        return np.polynomial.polynomial.polyval(t, coeffs)

    def state(t):
        return np.array([[q(t)], [q(t, 1)], [m(t)]]), np.array([[q(t, 1)], [q(t, 2)], [m(t, 1)]])

    y0, f0 = state(0.0)
    y1, f1 = state(h)
    for s in (0.0, 0.3, 0.77, 1.0):
        out = hermite(np.array([h]), y0, f0, y1, f1, np.array([s]), second_order=1)
        expect = state(s * h)[0]
        assert np.allclose(out, expect, rtol=1e-12, atol=1e-12)


def test_invalid_arguments_are_rejected():
    with pytest.raises(ValueError, match="forward"):
        rk4(oscillator, 1.0, start(), 0.0, step_s=0.1)
    with pytest.raises(ValueError, match="non-decreasing"):
        dopri5(oscillator, 0.0, start(), 1.0, t_out=[0.5, 0.2])
    with pytest.raises(IntegrationError):
        dopri5(oscillator, 0.0, start(), 1000.0, max_steps=5)


def test_chunking_does_not_change_results():
    y0 = np.tile(start(), (3, 1))

    def f(t, y, idx):
        return oscillator(t, y, idx % OMEGA.size)

    a = dopri5(f, 0.0, y0, 3.0, rtol=1e-9, atol=1e-12, chunk=5)
    b = dopri5(f, 0.0, y0, 3.0, rtol=1e-9, atol=1e-12)
    assert np.array_equal(a.y, b.y) and np.array_equal(a.steps, b.steps)
