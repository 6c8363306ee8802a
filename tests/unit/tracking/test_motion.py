"""Motion models: analytic gravity gradient and transition matrices against finite differences."""

from __future__ import annotations

import numpy as np
import pytest
from tracking_helpers import launch_state

from bmdsim.earth.gravity import gravitation_ecef
from bmdsim.tracking.motion import BallisticMotion, BoostMotion, gravity_gradient


def _points():
    return np.array(
        [
            launch_state(36.0, 46.0, 150e3, [0, 0, 0])[:3],
            launch_state(-20.0, 170.0, 900e3, [0, 0, 0])[:3],
            launch_state(80.0, -30.0, 30e3, [0, 0, 0])[:3],
        ]
    )


@pytest.mark.parametrize("j2", [False, True])
def test_gravity_gradient_matches_central_differences(j2):
    r = _points()
    g = gravity_gradient(r, j2=j2)
    h = 1.0
    fd = np.stack(
        [
            (gravitation_ecef(r + h * e, j2=j2) - gravitation_ecef(r - h * e, j2=j2)) / (2 * h)
            for e in np.eye(3)
        ],
        axis=-1,
    )
    err = np.max(np.abs(g - fd)) / np.max(np.abs(fd))
    assert err < 1e-7, f"relative error {err:.2e}"
    assert np.allclose(g, np.swapaxes(g, -1, -2), atol=1e-20), "a potential's gradient is symmetric"


def _fd_transition(model, x, dt, steps):
    n = x.shape[1]
    out = np.zeros((x.shape[0], n, n))
    for j in range(n):
        d = np.zeros(n)
        d[j] = steps[j]
        out[:, :, j] = (model.function(x + d, dt) - model.function(x - d, dt)) / (2 * steps[j])
    return out


@pytest.mark.parametrize("dt", [1.0, 30.0, -5.0])
def test_ballistic_transition_matches_finite_differences(dt):
    model = BallisticMotion()
    x = np.stack(
        [
            launch_state(36.0, 46.0, 150e3, [-1500, 1500, 2000]),
            launch_state(10.0, -60.0, 400e3, [3000, 100, -500]),
        ]
    )
    moved, f = model.transition(x, dt)
    fd = _fd_transition(model, x, dt, [1.0] * 3 + [0.01] * 3)
    err = np.max(np.abs(f - fd))
    assert np.allclose(moved, model.function(x, dt), rtol=0, atol=1e-9)
    assert err < 1e-6 * max(1.0, abs(dt)), f"max |F - F_fd| = {err:.2e}"


def test_drag_transition_matches_finite_differences():
    model = BallisticMotion(drag=True, max_step_s=0.5)
    x = np.concatenate([launch_state(33.0, 40.0, 40e3, [-1500, 1000, -2500]), [2e-3]])[None]
    moved, f = model.transition(x, 2.0)
    fd = _fd_transition(model, x, 2.0, [1.0] * 3 + [0.01] * 3 + [1e-6])
    # per column, relative to the column's largest entry: the drag partials neglect the slope
    # of Cd(Mach) and take the radial as the altitude gradient (~5e-4 of the column scale)
    rel = np.max(np.abs(f - fd), axis=1) / np.max(np.abs(fd), axis=1)
    assert np.max(rel) < 1e-3, f"worst column-relative error {np.max(rel):.2e}"
    # drag decelerates: speed falls faster than without drag
    no_drag = BallisticMotion().function(x[:, :6], 2.0)
    assert np.linalg.norm(moved[0, 3:6]) < np.linalg.norm(no_drag[0, 3:6]) - 1.0


def test_propagation_forward_then_back_returns_to_start():
    model = BallisticMotion()
    x = launch_state(36.0, 46.0, 150e3, [-1500, 1500, 2000])[None]
    back = model.function(model.function(x, 120.0), -120.0)
    assert np.max(np.abs(back - x)[:, :3]) < 1e-3


def test_rk4_step_size_converges():
    x = launch_state(36.0, 46.0, 150e3, [-1500, 1500, 2000])[None]
    coarse = BallisticMotion(max_step_s=10.0).function(x, 300.0)
    fine = BallisticMotion(max_step_s=0.5).function(x, 300.0)
    err = np.linalg.norm(coarse[0, :3] - fine[0, :3])
    assert err < 0.05, f"10 s RK4 sub-steps drift {err:.3f} m over 300 s"


@pytest.mark.parametrize(
    "model",
    [BallisticMotion(q=2.0), BallisticMotion(q=2.0, drag=True), BoostMotion(q=900.0, drag=True)],
)
def test_process_noise_is_symmetric_positive_semidefinite(model):
    q = model.process_noise(np.array([0.5, 1.0, -3.0]))
    assert q.shape == (3, model.ndim, model.ndim)
    assert np.allclose(q, np.swapaxes(q, -1, -2))
    assert np.all(np.linalg.eigvalsh(q) > -1e-12)


def test_boost_motion_keeps_drag_state_and_matches_ballistic_kinematics():
    x = np.concatenate([launch_state(36.0, 46.0, 20e3, [-100, 100, 900]), [1e-3]])[None]
    moved, f = BoostMotion(drag=True).transition(x, 1.0)
    assert moved[0, 6] == x[0, 6] and f[0, 6, 6] == 1.0
    assert np.allclose(moved[:, :6], BallisticMotion().function(x[:, :6], 1.0))


def _mixed_states():
    x = np.stack(
        [
            launch_state(36.0, 46.0, 150e3, [-1500, 1500, 2000]),
            launch_state(10.0, -60.0, 40e3, [3000, 100, -500]),
            launch_state(33.0, 40.0, 20e3, [-1500, 1000, -2500]),
        ]
    )
    return np.concatenate([x, [[2e-3], [0.0], [5e-3]]], axis=1)


@pytest.mark.parametrize("drag", [False, True])
def test_compiled_propagation_matches_the_numpy_reference(drag):
    """The kernel (analytic air-density slope) against the numpy reference (central
    difference over 25 m): states to 1e-11 relative, F to 1e-5 of each row's scale."""
    x = _mixed_states() if drag else _mixed_states()[:, :6]
    model = BallisticMotion(drag=drag, max_step_s=2.0)
    for dt in (1.0, -3.0, np.array([1.0, 7.0, -2.5])):
        moved, f = model.transition(x, dt)
        ref, f_ref = model.transition_reference(x, dt)
        assert np.allclose(model.function(x, dt), moved, rtol=1e-14, atol=0.0)
        assert np.allclose(model.function_reference(x, dt), ref, rtol=1e-14, atol=0.0)
        err = np.max(np.abs(moved - ref) / np.maximum(np.abs(ref), 1.0))
        assert err < 1e-11, f"state relative error {err:.1e}"
        scale = np.max(np.abs(f_ref), axis=2, keepdims=True)
        ferr = np.max(np.abs(f - f_ref) / scale)
        assert ferr < 1e-5, f"transition error {ferr:.1e} of the row scale"


def test_prediction_of_a_track_does_not_depend_on_the_rest_of_the_batch():
    x = _mixed_states()
    model = BallisticMotion(drag=True, max_step_s=2.0)
    dt = np.array([1.0, 9.0, -5.0])
    both, f = model.transition(x, dt)
    for i in range(3):
        one, f1 = model.transition(x[i : i + 1], dt[i : i + 1])
        assert np.array_equal(one[0], both[i]) and np.array_equal(f1[0], f[i])


def test_negative_drag_state_is_projected_to_zero_and_never_thrusts():
    x = _mixed_states()[1:2].copy()
    x[0, 6] = -4e-3
    model = BallisticMotion(drag=True)
    moved = model.function(x, 2.0)
    assert moved[0, 6] == 0.0
    zero = x.copy()
    zero[0, 6] = 0.0
    assert np.allclose(moved, model.function(zero, 2.0), rtol=1e-15, atol=0.0)
    # projection in the covariance metric: correlated components move with kappa
    p = np.diag([100.0**2] * 3 + [10.0**2] * 3 + [1e-3**2])
    p[3, 6] = p[6, 3] = 0.5 * 10.0 * 1e-3
    out = model.constrain(x, p[None])
    assert out[0, 6] == 0.0
    assert np.isclose(out[0, 3] - x[0, 3], -p[3, 6] / p[6, 6] * x[0, 6])
    assert np.array_equal(out[0, :3], x[0, :3]) and np.array_equal(out[0, 4:6], x[0, 4:6])
