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
