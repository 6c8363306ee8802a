"""A fire unit's handling of orders: what it tells the operations centre."""

from __future__ import annotations

import itertools
from types import SimpleNamespace

import numpy as np

from bmdsim.catalog import interceptor
from bmdsim.earth.frames import geodetic_to_ecef
from bmdsim.engagement.doctrine import PostureState, WeaponControlState
from bmdsim.engagement.fire_unit import FireUnit
from bmdsim.engagement.messages import EngageOrder, OrderRefusal
from bmdsim.engagement.planning import EngagementPlanner, Launcher


def _unit(salvo_size=1) -> FireUnit:
    ids = itertools.count(1)
    return FireUnit(
        launcher=Launcher(
            fire_unit_id="u",
            interceptor=interceptor("sm-3-ib"),
            site_ecef=tuple(geodetic_to_ecef(26.0, 53.0, 0.0)),
        ),
        inventory=4,
        channels=1,
        readiness_s=10.0,
        salvo_size=salvo_size,
        ops_centre="ops",
        posture=PostureState(),
        weapon_control=WeaponControlState({"u": "free"}),
        planner=EngagementPlanner(),
        new_id=lambda: next(ids),
    )


def _order(shots=1) -> EngageOrder:
    return EngageOrder(
        message_id=1,
        source="ops",
        target="u",
        sent_s=0.0,
        threat_id="T1",
        order_id=7,
        shots=shots,
        launch_s=30.0,
        latest_launch_s=60.0,
        intercept_s=130.0,
        target_state=(7e6, 0.0, 0.0, 0.0, 1e3, 0.0),
        state_s=0.0,
        target_key=0,
    )


def test_an_order_that_cannot_be_fired_at_launch_time_is_refused_and_frees_the_channel():
    fu = _unit()
    order = _order()
    assert not fu.step(1.0, [order.delivered(1.0)]).messages
    assert fu.channels_free == 0

    # no fire-control solution at the launch time
    def no_solution(e, t):
        nan = np.full(np.size(t), np.nan)
        return SimpleNamespace(
            converged=np.zeros(np.size(t), dtype=bool),
            azimuth_rad=nan,
            kick_rad=nan,
            intercept_s=nan,
            miss_m=nan,
        )

    fu._fire_control = no_solution
    step = fu.step(30.0, [])
    assert not step.launches
    [refusal] = [m for m in step.messages if isinstance(m, OrderRefusal)]
    assert refusal.order_id == 7 and refusal.reason == "no fire-control solution at launch"
    assert fu.channels_free == 1 and fu.inventory == 4
    assert not fu.step(31.0, []).messages  # said once


def test_a_salvo_is_solved_by_the_fire_control_once_at_its_first_launch():
    fu = _unit(salvo_size=2)
    calls = []

    def solve(e, t):
        calls.append(np.asarray(t).tolist())
        n = np.size(t)
        return SimpleNamespace(
            converged=np.ones(n, dtype=bool),
            azimuth_rad=np.full(n, 1.0),
            kick_rad=np.full(n, 0.5),
            intercept_s=np.asarray(t) + 100.0,
            miss_m=np.zeros(n),
        )

    fu._fire_control = solve
    fu.step(1.0, [_order(shots=2).delivered(1.0)])
    gap = fu.interceptor.salvo_interval_s
    first = fu.step(30.0, [])
    second = fu.step(30.0 + gap, [])
    assert [x.launch_s for x in (*first.launches, *second.launches)] == [30.0, 30.0 + gap]
    assert calls == [[30.0, 30.0 + gap]]
    assert second.launches[0].predicted_intercept_s == 130.0 + gap
    assert fu.inventory == 2


def test_a_unit_with_no_message_and_no_launch_due_does_nothing_until_its_launch_falls_due():
    fu = _unit()
    assert fu.step(0.0, []) == fu.step(0.5, [])  # nothing scheduled: empty steps
    fu.step(1.0, [_order().delivered(1.0)])
    solved = []

    def solution(e, t):
        solved.append(np.array(t))
        n = np.size(t)
        return SimpleNamespace(
            converged=np.ones(n, dtype=bool),
            azimuth_rad=np.full(n, 0.5),
            kick_rad=np.full(n, 0.7),
            intercept_s=np.full(n, 130.0),
            miss_m=np.zeros(n),
        )

    fu._fire_control = solution
    for t in (2.0, 29.0, 30.0 - 2e-9):  # before the launch (30 s): idle
        step = fu.step(t, [])
        assert not step.launches and not step.messages and not step.events
    assert not solved and fu.inventory == 4
    step = fu.step(30.0 - 5e-10, [])  # within the launch tolerance (1e-9 s): it launches
    assert [L.launch_s for L in step.launches] == [30.0] and fu.inventory == 3
    assert fu.step(31.0, []).launches == ()
