"""The compiled coast of ``fly_open_loop`` (``flight._coast_kernel``) against the numpy
Dormand-Prince driver, to rounding (``tests.unit.flight.coast_compare``): closing events on predicted threats, ground crossings,
no target, targets with NaN states or outside their knots, flights that never close."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bmdsim.catalog.interceptors import interceptor
from bmdsim.core.integrate import DenseOutput
from bmdsim.earth.frames import geodetic_to_ecef
from bmdsim.engagement import kinematics
from bmdsim.engagement.kinematics import InterceptorKinematics, fly_open_loop
from bmdsim.engagement.prediction import PredictedTrajectories
from tests.unit.flight.coast_compare import assert_close, assert_dense_close

from .synthetic import SHIP_LAT_LON, THREAT_STATE, THREAT_T0_S

SHIP = geodetic_to_ecef(*SHIP_LAT_LON, 0.0)
TYPES = ["sm-3-ib", "pac-3-mse", "sm-6", "sm-3-iia"]
N = 12


@pytest.fixture(scope="module")
def threats():
    """Three predicted threats: the synthetic one and two displaced copies, later."""
    states = np.tile(THREAT_STATE, (3, 1))
    states[1, :3] += [20e3, -10e3, 5e3]
    states[2, 3:] *= 0.97
    return PredictedTrajectories.from_states(states, [THREAT_T0_S, THREAT_T0_S + 5.0, 160.0])


def _args(**kw):
    """``N`` flights toward the threat's path: mixed types, launch times and controls; the
    steep kicks fall back to the ground within the 700 s end time."""
    args = dict(
        type_idx=np.arange(N) % len(TYPES),
        launch_s=np.linspace(230.0, 300.0, N),
        r0_ecef=np.tile(SHIP, (N, 1)),
        v0_ecef=np.tile([3.0, -4.0, 1.0], (N, 1)),
        azimuth_rad=np.linspace(0.9, 1.5, N),
        kick_rad=np.radians([30, 40, 50, 88, 35, 45, 89.5, 60, 25, 55, 87, 42.0]),
        t_end_s=np.full(N, 700.0),
    )
    args.update(kw)
    return args


def _fly(compiled, monkeypatch=None, **kw):
    kin = InterceptorKinematics.from_types([interceptor(name) for name in TYPES])
    if monkeypatch is not None:  # the compiled coast must not reach the numpy driver

        def refuse(*a, **k):
            raise AssertionError("the numpy driver ran the coast")

        monkeypatch.setattr(kinematics, "dopri5", refuse)
    try:
        return fly_open_loop(kin, compiled=compiled, **_args(**kw))
    finally:
        if monkeypatch is not None:
            monkeypatch.undo()


def _assert_same(a, b):
    """The boost bit for bit, the coast to rounding (tests.unit.flight.coast_compare)."""
    for name in ("burnout_s", "burnout_state", "t_s", "state", "closest", "crashed"):
        assert_close(getattr(a, name), getattr(b, name), name)


def test_compiled_coast_equals_the_numpy_driver_with_closing_events_and_ground_crossings(
    threats, monkeypatch
):
    idx = np.arange(N) % 3
    a = _fly(True, monkeypatch, target=threats, target_index=idx)
    b = _fly(False, target=threats, target_index=idx)
    _assert_same(a, b)
    assert b.closest.sum() >= 6 and b.crashed.sum() >= 2, (b.closest, b.crashed)


def test_compiled_coast_without_a_target_flies_to_the_ground_or_the_end_time(monkeypatch):
    a = _fly(True, monkeypatch, t_end_s=np.linspace(400.0, 900.0, N))
    b = _fly(False, t_end_s=np.linspace(400.0, 900.0, N))
    _assert_same(a, b)
    assert b.crashed.any() and (~b.crashed).any() and not b.closest.any()


def test_flights_that_never_close_end_at_their_end_time(threats, monkeypatch):
    """Ended before the approach (the threat still closing): no closest approach."""
    kw = dict(
        target=threats,
        target_index=np.zeros(N, np.intp),
        azimuth_rad=np.full(N, 1.2),
        kick_rad=np.radians(np.linspace(20.0, 60.0, N)),
        t_end_s=np.linspace(330.0, 420.0, N),
    )
    a, b = _fly(True, monkeypatch, **kw), _fly(False, **kw)
    _assert_same(a, b)
    assert not b.closest.any() and not b.crashed.any()
    assert np.array_equal(b.t_s, kw["t_end_s"])


def test_nan_target_states_and_times_outside_the_prediction_do_not_close(threats, monkeypatch):
    """Target 0 has NaN knots over part of its flight, target 1 no knots at all, target 2
    ends (is predicted) only to 330 s: the closing event is off there, as in the driver."""
    d = threats.dense
    y = d.y.copy()
    o0 = slice(d.offsets[0], d.offsets[1])
    y[o0][(d.t_s[o0] > 395.0) & (d.t_s[o0] < 425.0)] = np.nan
    keep = (d.index != 1) & ~((d.index == 2) & (d.t_s > 330.0))
    ki = d.index[keep]
    dense = DenseOutput(
        index=ki, t_s=d.t_s[keep], y=y[keep], dydt=d.dydt[keep],
        offsets=np.searchsorted(ki, np.arange(4), side="left"),
    )  # fmt: skip
    target = dataclasses.replace(threats, dense=dense)
    idx = np.arange(N) % 3
    a = _fly(True, monkeypatch, target=target, target_index=idx)
    b = _fly(False, target=target, target_index=idx)
    _assert_same(a, b)
    assert not b.closest[idx == 1].any()
    in_gap = (idx == 0) & (b.t_s > 395.0) & (b.t_s < 425.0)
    assert not (b.closest & in_gap).any(), b.t_s  # flight 0 closes at 411 s on the full one


def test_a_prediction_without_knots_never_closes(threats, monkeypatch):
    empty = DenseOutput(
        index=np.zeros(0, np.intp), t_s=np.zeros(0), y=np.zeros((0, 7)),
        dydt=np.zeros((0, 7)), offsets=np.zeros(4, np.intp),
    )  # fmt: skip
    target = dataclasses.replace(threats, dense=empty)
    kw = dict(target=target, target_index=np.arange(N) % 3)
    a, b = _fly(True, monkeypatch, **kw), _fly(False, **kw)
    _assert_same(a, b)
    assert not b.closest.any()


def test_another_callable_target_goes_to_the_numpy_driver_with_the_same_result(threats):
    idx = np.arange(N) % 3
    a = _fly(True, target=lambda t, i: threats(t, i), target_index=idx)
    b = _fly(True, target=threats, target_index=idx)
    _assert_same(a, b)
    assert a.closest.any()


def test_knot_tables_reproduce_the_prediction(threats):
    """The search keys and knots handed to the kernel are the dense output's."""
    offsets, kt, keys, band, ky, kf = threats.knot_tables()
    d = threats.dense
    assert np.array_equal(offsets, d.offsets) and np.array_equal(kt, d.t_s)
    assert np.array_equal(ky, d.y) and np.array_equal(kf, d.dydt)
    assert np.array_equal(keys, d.t_s + d.index * band) and band >= 4.0 * np.abs(kt).max()


@pytest.mark.parametrize("beta", [None, 2_500.0])
def test_threat_prediction_coasts_compiled_equal_the_numpy_driver(monkeypatch, beta):
    """``PredictedTrajectories.from_states`` (drag on) coasts in the compiled kernel, never
    in the numpy driver, with the driver's impact times and knots to rounding; one state is
    below the ground (no crossing) and one starts far from it."""
    import bmdsim.engagement.prediction as prediction

    states = np.tile(THREAT_STATE, (4, 1))
    states[1, :3] += [20e3, -10e3, 5e3]
    states[2, 3:] *= 0.9
    states[3, :3] *= 0.999  # ~6 km below the ellipsoid
    t0 = [THREAT_T0_S, THREAT_T0_S + 5.0, 160.0, THREAT_T0_S]
    slow = PredictedTrajectories.from_states(states, t0, ballistic_coefficient_kg_m2=beta,
                                             compiled=False)  # fmt: skip

    def refuse(*a, **k):
        raise AssertionError("the numpy driver ran the prediction")

    monkeypatch.setattr(prediction, "dopri5", refuse)
    fast = PredictedTrajectories.from_states(states, t0, ballistic_coefficient_kg_m2=beta)
    assert np.array_equal(fast.t0_s, slow.t0_s)
    assert_close(fast.impact_s, slow.impact_s, "impact_s")
    assert np.isfinite(fast.impact_s[:3]).all()
    assert_dense_close(fast.dense, slow.dense, "dense")
