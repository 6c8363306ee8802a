"""Guidance laws, seeker model and acceleration limits."""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.engagement.guidance import (
    ProportionalNavigation,
    Seeker,
    ZeroEffortMissGuidance,
    limit_acceleration,
    line_of_sight,
)


def test_true_pn_is_n_vc_lambda_dot_perpendicular_to_the_line_of_sight():
    # planar: target 10 km ahead, drifting sideways at 50 m/s, closing at 3 km/s
    rel_p = np.array([10_000.0, 0.0, 0.0])
    rel_v = np.array([-3000.0, 50.0, 0.0])
    a = ProportionalNavigation(navigation_ratio=4.0).command(rel_p, rel_v)
    lam_dot = 50.0 / 10_000.0
    np.testing.assert_allclose(a, [0.0, 4.0 * 3000.0 * lam_dot, 0.0], atol=1e-12)
    # broadcasting over a batch, per-object ratios
    pn = ProportionalNavigation()
    b = pn.command(np.stack([rel_p, rel_p]), np.stack([rel_v, rel_v]), navigation_ratio=[3.0, 5.0])
    np.testing.assert_allclose(b[:, 1], [3.0 * 15.0, 5.0 * 15.0])
    with pytest.raises(ValueError):
        pn.command(rel_p, rel_v)


def test_augmented_pn_adds_half_n_times_the_perpendicular_relative_acceleration():
    rel_p = np.array([10_000.0, 0.0, 0.0])
    rel_v = np.array([-3000.0, 0.0, 0.0])
    rel_a = np.array([5.0, 2.0, -1.0])  # the along-LOS part is dropped
    a = ProportionalNavigation(navigation_ratio=4.0).command(rel_p, rel_v, rel_acc=rel_a)
    np.testing.assert_allclose(a, [0.0, 4.0, -2.0], atol=1e-12)


def test_zero_effort_miss_law_equals_pn_on_a_near_collision_course():
    rng = np.random.default_rng(0)
    rel_p = rng.normal(size=(50, 3)) * 1e4
    u = rel_p / np.linalg.norm(rel_p, axis=1, keepdims=True)
    rel_v = -4000.0 * u + rng.normal(size=(50, 3)) * 2.0  # small drift across the LOS
    zem = ZeroEffortMissGuidance(navigation_ratio=3.0).command(rel_p, rel_v)
    pn = ProportionalNavigation(navigation_ratio=3.0).command(rel_p, rel_v)
    np.testing.assert_allclose(zem, pn, rtol=1e-5, atol=1e-9)


def test_zero_effort_miss_uses_half_the_constant_and_a_third_of_the_gradient_acceleration():
    law = ZeroEffortMissGuidance()
    p, v, t = np.array([1e4, 0, 0]), np.array([-1e3, 0, 0]), 10.0
    zem = law.zero_effort_miss(
        p, v, t, constant_acc=np.array([0, 6.0, 0]), gradient_acc=np.array([0, 0, 3.0])
    )
    np.testing.assert_allclose(zem, [0.0, 300.0, 100.0])
    assert law.time_to_go(p, v) == pytest.approx(10.0)


def test_line_of_sight_rate_is_perpendicular_and_gives_closing_speed():
    rng = np.random.default_rng(1)
    p, v = rng.normal(size=(20, 3)) * 1e4, rng.normal(size=(20, 3)) * 1e3
    u, udot, r, vc = line_of_sight(p, v)
    np.testing.assert_allclose(np.einsum("ij,ij->i", u, udot), 0.0, atol=1e-15)
    np.testing.assert_allclose(vc, -np.einsum("ij,ij->i", p, v) / r)
    # central difference of the unit LOS
    dt = 1e-3
    ua = (p + v * dt) / np.linalg.norm(p + v * dt, axis=1, keepdims=True)
    ub = (p - v * dt) / np.linalg.norm(p - v * dt, axis=1, keepdims=True)
    np.testing.assert_allclose((ua - ub) / (2 * dt), udot, rtol=1e-5, atol=1e-12)


def test_acceleration_limit_and_divert_budget():
    a = np.array([[300.0, 400.0, 0.0], [3.0, 4.0, 0.0], [30.0, 40.0, 0.0]])
    out = limit_acceleration(
        a, np.array([100.0, 100.0, 100.0]), np.array([np.inf, np.inf, 5.0]), 0.1
    )
    np.testing.assert_allclose(np.linalg.norm(out, axis=1), [100.0, 5.0, 50.0])
    np.testing.assert_allclose(out[0] / 100.0, [0.6, 0.8, 0.0])
    spent = limit_acceleration(a[:1], np.array([100.0]), np.array([0.0]), 0.1)
    np.testing.assert_array_equal(spent, 0.0)


def test_seeker_noise_has_the_stated_angle_sigma_and_frames_average_it():
    seeker = Seeker(angle_noise_rad=50e-6, frame_s=0.01)
    rng = np.random.default_rng(2)
    u = np.tile([0.0, 0.6, 0.8], (20_000, 1))
    z = seeker.measure(u, rng.standard_normal((20_000, 2)))
    angle = np.arccos(np.clip(z @ u[0], -1, 1))
    # the angle off the true LOS is Rayleigh with sigma 50 urad: rms = sqrt(2) sigma
    assert np.sqrt(np.mean(angle**2)) == pytest.approx(np.sqrt(2) * 50e-6, rel=0.03)
    z4 = seeker.measure(u, rng.standard_normal((20_000, 2)), dt_s=np.full(20_000, 0.04))
    angle4 = np.arccos(np.clip(z4 @ u[0], -1, 1))
    assert np.sqrt(np.mean(angle4**2)) == pytest.approx(np.sqrt(2) * 25e-6, rel=0.03)


def test_alpha_beta_filter_tracks_a_steadily_turning_line_of_sight():
    seeker = Seeker(angle_noise_rad=0.0)
    omega = 0.02  # rad/s about z
    dt = 0.01
    u_est, udot_est = np.array([[1.0, 0.0, 0.0]]), np.zeros((1, 3))
    for k in range(1, 400):
        t = k * dt
        z = np.array([[np.cos(omega * t), np.sin(omega * t), 0.0]])
        u_est, udot_est = seeker.filter(u_est, udot_est, z, np.array([dt]))
    true_rate = omega * np.array([-np.sin(omega * t), np.cos(omega * t), 0.0])
    np.testing.assert_allclose(udot_est[0], true_rate, atol=1e-4 * omega)


def test_seeker_rejects_bad_settings():
    with pytest.raises(ValueError):
        Seeker(frame_s=0.0)
    with pytest.raises(ValueError):
        Seeker(alpha=0.0)
