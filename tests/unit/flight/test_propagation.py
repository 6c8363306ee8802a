"""Ballistic propagation of state batches: shapes, ordering, ground stop, options."""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.earth.frames import ecef_to_geodetic, enu_vector_to_ecef, geodetic_to_ecef
from bmdsim.flight import predict_impact, propagate


def rv_states(n=6, seed=0):
    rng = np.random.default_rng(seed)
    lat, lon = rng.uniform(20, 50, n), rng.uniform(20, 60, n)
    r = geodetic_to_ecef(lat, lon, rng.uniform(100e3, 250e3, n))
    enu = np.column_stack(
        [rng.normal(0, 2000, n), rng.normal(0, 2000, n), rng.uniform(-1500, 500, n)]
    )
    return np.concatenate([r, enu_vector_to_ecef(enu, lat, lon)], axis=1)


def test_output_shape_and_time_order():
    s = rv_states()
    t = np.array([300.0, 0.0, 50.0, 50.0, 10.0])
    out = propagate(s, t)
    assert out.shape == (5, 6, 6)
    assert np.array_equal(out[1], s)  # t = 0 is the initial state
    sorted_out = propagate(s, np.sort(t))
    assert np.allclose(out[np.argsort(t, kind="stable")], sorted_out, equal_nan=True)
    assert np.array_equal(out[2], out[3], equal_nan=True)


def test_objects_stop_at_the_ground_and_are_nan_after():
    s = rv_states()
    t = np.linspace(0.0, 1500.0, 301)
    out = propagate(s, t)
    imp = predict_impact(s)
    for i in range(s.shape[0]):
        before = t <= imp.t_s[i]
        assert not np.isnan(out[before, i]).any() and np.isnan(out[~before, i]).all()
        alt = ecef_to_geodetic(out[before, i, :3])[2]
        assert alt.min() > -1.0
    assert np.all(np.abs(ecef_to_geodetic(imp.state[:, :3])[2]) < 1e-3)
    through = propagate(s, t, stop_at_ground=False)
    assert not np.isnan(through).any()


def test_drag_and_ballistic_coefficient_shorten_the_flight():
    s = rv_states(3, seed=2)
    vacuum = predict_impact(s, drag=False)
    light = predict_impact(s, ballistic_coefficient_kg_m2=500.0)
    heavy = predict_impact(s, ballistic_coefficient_kg_m2=[1e5, 1e5, 1e5])
    speed = lambda imp: np.linalg.norm(imp.state[:, 3:], axis=1)  # noqa: E731
    assert np.all(speed(light) < speed(heavy)) and np.all(speed(heavy) < speed(vacuum) + 1.0)
    assert np.all(light.t_s > heavy.t_s)
    with pytest.raises(ValueError, match="ballistic"):
        propagate(s, [0.0, 1.0], ballistic_coefficient_kg_m2=-1.0)


def test_rotating_flag_changes_the_frame():
    s = rv_states(2, seed=3)
    t = np.array([0.0, 100.0])
    rot = propagate(s, t, drag=False)
    ine = propagate(s, t, drag=False, rotating=False)
    assert np.linalg.norm(rot[1, :, :3] - ine[1, :, :3], axis=1).min() > 100.0


def test_invalid_inputs_are_rejected():
    s = rv_states(2)
    with pytest.raises(ValueError, match=">= 0"):
        propagate(s, [-1.0, 2.0])
    with pytest.raises(ValueError, match=r"\(N, 6\)"):
        propagate(s[:, :5], [1.0])
    assert propagate(s, []).shape == (0, 2, 6)
