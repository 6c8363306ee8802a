"""The battle manager's doctrine, assignment and re-planning, with windows given by a stub.

A stub planner gives each threat x unit pair a fixed launch window and time of flight (its
first opportunity: the earliest launch in the window once the unit is ready), so that the
battle manager's decisions can be checked exactly and quickly: fall-back to the lower tier
when the upper tier's channels are busy, re-planning when a channel frees up (and not
before), deferred shots that do not hold a channel, visible saturation, inventory beliefs.
The fire units are played by hand: launch and kill reports are delivered to the manager.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field, replace

import pytest

from bmdsim.catalog import interceptor
from bmdsim.earth.frames import geodetic_to_ecef
from bmdsim.engagement.battle_manager import BattleManager, UnitRecord
from bmdsim.engagement.c2 import C2Network, Link
from bmdsim.engagement.doctrine import PostureState, WeaponControlState
from bmdsim.engagement.messages import EngageOrder, KillReport, LaunchReport, StatusReport
from bmdsim.engagement.planning import EngagementPlan, Launcher
from bmdsim.engagement.threats import ThreatCategory, ThreatReport
from bmdsim.scenario.schema import DecisionDelays

OPS = "ops"
LATENCY_S = 1.0
READINESS_S = 10.0


@dataclass
class _Round:
    plans: dict
    flown: list = field(default_factory=list)
    #: seconds the flyout finds the shot later than the tables' first opportunity
    retry_s: float = 0.0

    def __post_init__(self):
        self.rows = {
            key: (0, 0, 0, p.launch_s, p.intercept_s) for key, p in self.plans.items() if p.feasible
        }

    def fly(self, pairs):
        out = {}
        for key in pairs:
            p = self.plans.get(key)
            if p is not None and p.feasible and not p.flown:
                late = replace(
                    p, launch_s=p.launch_s + self.retry_s, intercept_s=p.intercept_s + self.retry_s
                )
                self.plans[key] = out[key] = replace(late, flown=True)
                self.flown.append(key)
        return out


class StubPlanner:
    """Windows ``{(threat, unit): (earliest_launch_s, latest_launch_s, time_of_flight_s)}``."""

    def __init__(self, windows, retry_s=0.0):
        self.windows = windows
        self.retry_s = retry_s
        self.calls: list[tuple[float, tuple[str, ...]]] = []
        self.rounds: list[_Round] = []

    def prepare(self, t_s, threats, launchers, *, ready_s=None, trajectories=None):
        self.calls.append((t_s, tuple(th.threat_id for th in threats)))
        plans = {}
        for th in threats:
            for L in launchers:
                key = (th.threat_id, L.fire_unit_id)
                base = dict(
                    threat_id=th.threat_id,
                    fire_unit_id=L.fire_unit_id,
                    interceptor_id=L.interceptor.id,
                    planned_s=t_s,
                )
                w = self.windows.get(key)
                if w is None:
                    plans[key] = EngagementPlan(feasible=False, reason="out of range", **base)
                    continue
                first = max(ready_s[L.fire_unit_id], w[0])
                if first > w[1]:
                    plans[key] = EngagementPlan(
                        feasible=False, reason="window closes before the unit can fire", **base
                    )
                    continue
                plans[key] = EngagementPlan(
                    feasible=True,
                    earliest_launch_s=w[0],
                    latest_launch_s=w[1],
                    launch_s=first,
                    intercept_s=first + w[2],
                    intercept_alt_m=100e3,
                    flown=False,
                    **base,
                )
        rnd = _Round(plans, retry_s=self.retry_s)
        self.rounds.append(rnd)
        return rnd

    def plan(self, t_s, threats, launchers, *, ready_s=None, fly_until_s=None):
        """Every pair flown (the planner's one-call form)."""
        rnd = self.prepare(t_s, threats, launchers, ready_s=ready_s)
        rnd.fly(list(rnd.plans))
        return rnd.plans


def _unit(uid, itype, channels, salvo=1, inventory=10) -> UnitRecord:
    return UnitRecord(
        launcher=Launcher(
            fire_unit_id=uid,
            interceptor=interceptor(itype),
            site_ecef=tuple(geodetic_to_ecef(26.0, 53.0, 0.0)),
        ),
        inventory=inventory,
        channels=channels,
        readiness_s=READINESS_S,
        salvo_size=salvo,
    )


def _manager(windows, units, **kw) -> tuple[BattleManager, StubPlanner]:
    planner = StubPlanner(windows)
    net = C2Network([Link(source=OPS, target=u.id, latency_s=LATENCY_S) for u in units])
    posture = PostureState(
        decision_delays=DecisionDelays(
            threat_evaluation_s=0.0, engagement_authorisation_s=0.0, kill_assessment_s=0.0
        )
    )
    bm = BattleManager(
        node=OPS,
        units=units,
        network=net,
        posture=posture,
        weapon_control=WeaponControlState({u.id: "free" for u in units}),
        planner=planner,
        **kw,
    )
    return bm, planner


def _threat(tid, value=1.0) -> ThreatReport:
    return ThreatReport(
        threat_id=tid,
        time_s=0.0,
        state=(7e6, 0.0, 0.0, 0.0, 1e3, 0.0),
        category=ThreatCategory.ALLIED_TERRITORY,
        p_allied=value,
        impact_lat_deg=25.0,
        impact_lon_deg=51.0,
    )


class _Driver:
    """Steps a battle manager every second, delivering scheduled messages."""

    def __init__(self, bm, threats):
        self.bm, self.threats = bm, threats
        self.inbox: dict[float, list] = {}
        self.orders: list[tuple[float, EngageOrder]] = []
        self.events: list = []  # the engagement_planned events
        self.t = 0.0

    def deliver(self, t, message):
        self.inbox.setdefault(float(t), []).append(message.delivered(t))

    def run(self, until_s):
        while self.t <= until_s:
            step = self.bm.step(self.t, self.inbox.pop(self.t, []), self.threats)
            self.events += [e for e in step.events if e.kind == "engagement_planned"]
            self.orders += [(self.t, m) for m in step.messages if isinstance(m, EngageOrder)]
            self.t += 1.0

    def orders_for(self, tid):
        return [(t, o) for t, o in self.orders if o.threat_id == tid]


def _kill(t, order, iid, killed=True):
    return KillReport(
        message_id=0,
        source=order.target,
        target=OPS,
        sent_s=t,
        threat_id=order.threat_id,
        interceptor_id=iid,
        killed=killed,
        intercept_s=t,
    )


def _launched(t, order, ids, intercept_s=None):
    return LaunchReport(
        message_id=0,
        source=order.target,
        target=OPS,
        sent_s=t,
        threat_id=order.threat_id,
        order_id=order.order_id,
        interceptor_ids=tuple(ids),
        launch_s=t,
        predicted_intercept_s=t + 100.0 if intercept_s is None else intercept_s,
    )


# the upper tier can shoot early and look; the middle one at once but too late to look; the
# lower tier only late (terminal)
UPPER_WINDOW = (0.0, 200.0, 100.0)
MIDDLE_WINDOW = (0.0, 60.0, 290.0)
LOWER_WINDOW = (300.0, 320.0, 30.0)
LOWER_DUE_S = 300.0 - (LATENCY_S + READINESS_S + 10.0)  # PAC-3 reaction 10 s


def test_threats_beyond_the_upper_tiers_channels_fall_back_to_the_lower_tiers():
    threats = [_threat("A", 3.0), _threat("B", 2.0), _threat("C", 1.0)]
    windows = {}
    for th in threats:
        windows[(th.threat_id, "upper")] = UPPER_WINDOW
        windows[(th.threat_id, "middle")] = MIDDLE_WINDOW
        windows[(th.threat_id, "lower")] = LOWER_WINDOW
    units = [
        _unit("upper", "sm-3-ib", 1),
        _unit("middle", "sm-6", 1, salvo=2),
        _unit("lower", "pac-3-mse", 3, salvo=2),
    ]
    bm, _ = _manager(windows, units)
    drv = _Driver(bm, threats)
    drv.run(330.0)

    def planned(tid, unit):
        return [e for e in drv.events if e.subject == tid and e.fire_unit_id == unit]

    # the most valuable threat gets the upper tier's one channel: one round, shoot-look-shoot,
    # the other units kept for the second shot
    [(t_a, o_a)] = drv.orders_for("A")
    assert t_a == 0.0 and o_a.target == "upper" and o_a.shots == 1
    assert planned("A", "upper")[0].doctrine == "shoot-look-shoot"
    for unit in ("middle", "lower"):
        e = planned("A", unit)[0]
        assert e.feasible and e.shots == 0 and "shoot-look-shoot" in e.reason
    # the next falls back at once to a salvo from the unit that can fire now
    [(t_b, o_b)] = drv.orders_for("B")
    assert t_b == 0.0 and o_b.target == "middle" and o_b.shots == 2
    e = planned("B", "middle")[0]
    assert e.doctrine == "salvo" and "fall-back" in e.reason
    assert planned("B", "upper")[0].reason == "saturated: all 1 fire channels busy"
    # the last is seen saturated on both, then engaged by the lower tier when its shot falls
    # due (not held back for a second shot that never comes)
    assert planned("C", "upper")[0].reason == "saturated: all 1 fire channels busy"
    assert planned("C", "middle")[0].reason == "saturated: all 1 fire channels busy"
    [(t_c, o_c)] = drv.orders_for("C")
    assert o_c.target == "lower" and o_c.shots == 2
    assert LOWER_DUE_S - 4.0 <= t_c <= LOWER_DUE_S, t_c
    assert o_c.launch_s == pytest.approx(300.0)


@pytest.mark.parametrize("predicted_intercept_s", [120.0, math.nan])
def test_a_threat_waiting_for_a_channel_is_planned_when_it_frees_up_and_not_before(
    predicted_intercept_s,
):
    """The channel frees when the round's flight is expected to have ended (its predicted
    intercept + 2 s), or at the kill assessment when there is no prediction."""
    threats = [_threat("A", 2.0), _threat("B", 1.0)]
    windows = {("A", "upper"): (0.0, 400.0, 100.0), ("B", "upper"): (0.0, 400.0, 100.0)}
    bm, planner = _manager(windows, [_unit("upper", "sm-3-ib", 1)])
    drv = _Driver(bm, threats)
    drv.run(0.0)
    [(_, order)] = drv.orders
    assert order.threat_id == "A"
    drv.deliver(22.0, _launched(21.0, order, ["upper-1"], predicted_intercept_s))
    drv.deliver(130.0, _kill(129.0, order, "upper-1"))
    drv.run(140.0)
    freed_s = 122.0 if math.isfinite(predicted_intercept_s) else 130.0
    [(t_b, o_b)] = drv.orders_for("B")
    assert t_b == freed_s
    assert o_b.launch_s == pytest.approx(freed_s + LATENCY_S + READINESS_S + 8.0)
    # planned at the start and when the channel freed, nothing in between
    assert [t for t, _ in planner.calls] == [0.0, freed_s]
    assert bm.threat_status("A") == "killed" and bm.threat_status("B") == "engaging"


def test_a_shot_not_yet_due_is_deferred_and_does_not_hold_the_channel():
    # A (lofted) can be shot at only from 300 s; B, seen later, can be shot at once
    windows = {("A", "upper"): (300.0, 400.0, 150.0), ("B", "upper"): (0.0, 400.0, 100.0)}
    bm, planner = _manager(windows, [_unit("upper", "sm-3-ib", 1)])
    drv = _Driver(bm, [_threat("A")])
    drv.run(49.0)
    assert not drv.orders
    deferred = next(e for e in drv.events if e.subject == "A")
    assert deferred.feasible and deferred.shots == 0 and deferred.reason.startswith("deferred")
    drv.threats = [_threat("A"), _threat("B")]
    drv.run(50.0)
    [(t_b, o_b)] = drv.orders_for("B")
    assert t_b == 50.0
    drv.deliver(200.0, _launched(70.0, o_b, ["upper-1"]))
    drv.deliver(201.0, _kill(200.0, o_b, "upper-1"))
    drv.run(320.0)
    [(t_a, o_a)] = drv.orders_for("A")
    due_s = 300.0 - (LATENCY_S + READINESS_S + 8.0)  # SM-3 reaction 8 s
    assert due_s - 4.0 <= t_a <= due_s and o_a.launch_s == pytest.approx(300.0)
    # A was planned when seen, when B came (both in one call), when the channel freed,
    # and when its shot fell due: no plan on every step while it waited
    assert len(planner.calls) <= 4
    assert all(len(r.flown) <= 2 for r in planner.rounds)


def test_with_no_channel_free_a_new_threat_is_reported_saturated_and_not_flown():
    windows = {(t, "upper"): (0.0, 400.0, 100.0) for t in "ABC"}
    bm, planner = _manager(windows, [_unit("upper", "sm-3-ib", 2)])
    drv = _Driver(bm, [_threat("A", 2.0), _threat("B", 1.0)])
    drv.run(9.0)
    assert sorted(o.threat_id for _, o in drv.orders) == ["A", "B"]
    drv.threats = [*drv.threats, _threat("C", 3.0)]
    drv.run(30.0)
    assert len(drv.orders) == 2
    c = [e for e in drv.events if e.subject == "C"]
    assert len(c) == 1 and c[0].feasible and c[0].reason == "saturated: all 2 fire channels busy"
    # the full flyout is spent only on shots that can be taken
    assert planner.calls[-1] == (10.0, ("C",)) and planner.rounds[-1].flown == []


def test_a_status_report_overtaking_its_launch_report_does_not_lose_rounds():
    windows = {(t, "upper"): (0.0, 400.0, 100.0) for t in "AB"}
    bm, _ = _manager(windows, [_unit("upper", "sm-3-ib", 2, inventory=4)])
    drv = _Driver(bm, [_threat("A", 2.0), _threat("B", 1.0)])
    drv.run(0.0)
    assert bm.rounds_believed("upper") == 2
    (_, oa), (_, ob) = drv.orders
    status = StatusReport(
        message_id=0,
        source="upper",
        target=OPS,
        sent_s=20.0,
        inventory=3,
        channels_free=0,
        weapon_control="free",
    )
    # A's round left (3 in the unit), B's is still to go: the status comes first
    drv.deliver(22.0, status)
    drv.deliver(22.0, _launched(20.0, oa, ["upper-1"]))
    drv.run(22.0)
    assert bm.rounds_believed("upper") == 2  # 4 - 1 fired - 1 ordered
    assert ob.shots == 1


def test_a_threat_that_left_the_picture_is_not_planned_again():
    windows = {("A", "upper"): (300.0, 400.0, 150.0)}
    bm, planner = _manager(windows, [_unit("upper", "sm-3-ib", 1)])
    drv = _Driver(bm, [_threat("A")])
    drv.run(10.0)
    drv.threats = []  # the track was dropped
    drv.run(400.0)
    assert not drv.orders and len(planner.calls) == 1
    assert math.isinf(bm.next_due_s())


def test_a_due_shot_the_flyout_finds_a_little_later_is_ordered_not_deferred_again():
    windows = {("A", "upper"): (0.0, 400.0, 100.0)}
    bm, planner = _manager(windows, [_unit("upper", "sm-3-ib", 1)])
    planner.retry_s = 15.0  # the flyout converges only on the opportunity 15 s later
    drv = _Driver(bm, [_threat("A")])
    drv.run(30.0)
    [(t, order)] = drv.orders
    assert t == 0.0 and order.launch_s == pytest.approx(LATENCY_S + READINESS_S + 8.0 + 15.0)
    assert len(planner.calls) == 1


def test_a_threat_no_unit_can_take_is_planned_again_less_and_less_often():
    bm, planner = _manager({}, [_unit("upper", "sm-3-ib", 1)])
    drv = _Driver(bm, [_threat("A")])
    drv.run(200.0)
    assert not drv.orders
    assert [t for t, _ in planner.calls] == [0.0, 10.0, 20.0, 40.0, 80.0, 160.0]
    [event] = drv.events  # said once
    assert not event.feasible and event.reason == "out of range"


@pytest.mark.parametrize(
    ("change_s", "applied_s", "applied_to_s"), [(13.0, 13.0, 13.0), (57.0, 5.0, 100.0)]
)
def test_a_weapon_control_change_is_acted_on_when_it_takes_effect(
    change_s, applied_s, applied_to_s
):
    """A change between the re-planning clock's ticks makes the threat planned again at its
    time, whether it is applied then or ahead of it."""
    bm, planner = _manager({}, [_unit("upper", "sm-3-ib", 1), _unit("lower", "pac-3-mse", 1)])
    drv = _Driver(bm, [_threat("A")])
    drv.run(applied_s - 1.0)
    bm.weapon_control.command(change_s, "lower", "tight")
    bm.weapon_control.advance(applied_to_s)
    drv.run(200.0)
    times = [t for t, _ in planner.calls]
    assert change_s in times and change_s - 1.0 not in times and change_s + 1.0 not in times
    assert [t for t in times if t < change_s] == [0.0, 10.0, 20.0, 40.0][
        : 2 if change_s < 20 else 4
    ]


def test_the_rules_get_the_units_position_where_they_use_it():
    """The engagement authority's own rules use a unit's position only at weapons hold (a
    self-defence threat); another authority gets it at every status."""
    from bmdsim.engagement.doctrine import EngagementAuthority

    class Other(EngagementAuthority):
        """Rules of its own (which may use the position at any status)."""

    for authority, hold_only in ((EngagementAuthority(), True), (Other(), False)):
        bm, _ = _manager({}, [_unit("u", "sm-3-ib", 1)], authority=authority)
        bm.weapon_control.command(0.0, "u", "hold")
        bm.weapon_control.advance(0.0)
        seen = []
        original = EngagementAuthority.permits

        def spy(self, threat, _original=original, _seen=seen, **kw):
            _seen.append((str(kw["status"]), kw["unit_position_ecef"] is not None))
            return _original(self, threat, **kw)

        EngagementAuthority.permits = spy
        try:
            _Driver(bm, [_threat("A")]).run(0.0)
            bm.weapon_control.command(1.0, "u", "free")
            bm.weapon_control.advance(1.0)
            drv = _Driver(bm, [_threat("A")])
            drv.t = 1.0
            drv.run(1.0)
        finally:
            EngagementAuthority.permits = original
        assert seen == [("hold", True), ("free", not hold_only)], seen


def test_the_units_permissions_are_found_again_whenever_what_they_depend_on_changes():
    from bmdsim.engagement.battle_manager import _ThreatFile
    from bmdsim.engagement.doctrine import EngagementAuthority

    units = [_unit("upper", "sm-3-ib", 1), _unit("lower", "pac-3-mse", 1)]
    bm, _ = _manager({}, units)
    bm.weapon_control.command(0.0, "lower", "tight")
    bm.weapon_control.advance(0.0)
    f = _ThreatFile(report=_threat("A"))
    calls = []
    original = EngagementAuthority.permits

    def spy(self, threat, _original=original, _calls=calls, **kw):
        _calls.append(kw["status"])
        return _original(self, threat, **kw)

    def permitted(t):
        calls.clear()
        got = bm._permitted(t, f, units)
        memo, f.permitted = f.permitted, None
        fresh = bm._permitted(t, f, units)  # found afresh
        f.permitted = memo
        assert got == fresh
        return got, len(calls) - len(units)  # permits calls by the first

    EngagementAuthority.permits = spy
    try:
        assert permitted(1.0) == (
            ([True, False], ["", "weapons tight: awaiting engagement authorisation"]),
            2,
        )
        assert permitted(2.0)[1] == 0  # nothing changed: kept
        f.report = _threat("A")  # a new report (equal, but another object)
        assert permitted(3.0)[1] == 2 and permitted(4.0)[1] == 0
        f.authorised = True
        assert permitted(5.0) == (([True, True], ["", ""]), 2)
        bm._inventory["upper"] = 0
        assert permitted(6.0) == (([False, True], ["no rounds left", ""]), 2)
        bm.weapon_control.command(7.0, "lower", "free")
        bm.weapon_control.advance(7.0)
        assert permitted(7.0)[1] == 2 and permitted(8.0)[1] == 0
        bm.weapon_control.command(9.0, "lower", "hold")
        bm.weapon_control.advance(9.0)
        for t in (9.0, 10.0):  # a unit at weapons hold: its position counts, never kept
            oks, n = permitted(t)
            assert n == 2 and oks[0][1] is False
    finally:
        EngagementAuthority.permits = original


class _CopyingDriver(_Driver):
    """A driver handing the battle manager a new list every step (never a quiet step)."""

    def run(self, until_s):
        while self.t <= until_s:
            step = self.bm.step(self.t, self.inbox.pop(self.t, []), list(self.threats))
            self.events += [e for e in step.events if e.kind == "engagement_planned"]
            self.orders += [(self.t, m) for m in step.messages if isinstance(m, EngageOrder)]
            self.t += 1.0


@pytest.mark.parametrize("driver", [_Driver, _CopyingDriver])
def test_quiet_steps_on_the_same_picture_change_nothing(driver):
    """A step on the same picture object with no message skips its work until something
    falls due (a channel release, a kill assessment, a deferred shot, the re-plan clock):
    the same orders, plans and next decision times as full steps on a copy of the picture."""
    windows = {
        ("A", "upper"): (0.0, 400.0, 100.0),
        ("B", "upper"): (0.0, 400.0, 100.0),
        ("C", "upper"): (300.0, 400.0, 150.0),
        ("D", "upper"): (0.0, 0.0, 0.0),
    }
    bm, planner = _manager(windows, [_unit("upper", "sm-3-ib", 1)])
    drv = driver(bm, [_threat(k) for k in "ABCD"])
    due = []
    drv.run(0.0)
    [(_, order)] = drv.orders
    drv.deliver(22.0, _launched(21.0, order, ["upper-1"], 120.0))
    drv.deliver(130.0, _kill(129.0, order, "upper-1", killed=False))
    while drv.t <= 340.0:
        drv.run(drv.t)
        due.append(bm.next_due_s())
    got = (
        [(t, o.threat_id, o.shots, o.launch_s) for t, o in drv.orders],
        [(e.time_s, e.subject, e.shots, e.reason) for e in drv.events],
        [t for t, _ in planner.calls],
        due,
    )
    ref_bm, ref_planner = _manager(windows, [_unit("upper", "sm-3-ib", 1)])
    ref = _CopyingDriver(ref_bm, [_threat(k) for k in "ABCD"])
    ref_due = []
    ref.run(0.0)
    [(_, ref_order)] = ref.orders
    ref.deliver(22.0, _launched(21.0, ref_order, ["upper-1"], 120.0))
    ref.deliver(130.0, _kill(129.0, ref_order, "upper-1", killed=False))
    while ref.t <= 340.0:
        ref.run(ref.t)
        ref_due.append(ref_bm.next_due_s())
    want = (
        [(t, o.threat_id, o.shots, o.launch_s) for t, o in ref.orders],
        [(e.time_s, e.subject, e.shots, e.reason) for e in ref.events],
        [t for t, _ in ref_planner.calls],
        ref_due,
    )
    assert got == want
    assert len(got[0]) >= 2 and len(got[2]) >= 5, got  # an order after the channel freed


def test_a_picture_changed_in_place_is_not_taken_for_the_same_picture():
    """A caller that appends a report to the list it handed over last step gets the same
    plans and orders as one handing over a new list (the quiet-step test compares the
    reports, not only the list object)."""
    windows = {("A", "upper"): (0.0, 400.0, 100.0), ("B", "upper"): (0.0, 400.0, 100.0)}

    def run(driver_cls):
        bm, planner = _manager(windows, [_unit("upper", "sm-3-ib", 2)])
        drv = driver_cls(bm, [_threat("A")])
        drv.run(5.0)
        drv.threats.append(_threat("B"))  # in place
        drv.run(12.0)
        return [(t, o.threat_id) for t, o in drv.orders], [t for t, _ in planner.calls]

    same_list, copies = run(_Driver), run(_CopyingDriver)
    assert same_list == copies
    assert any(tid == "B" for _, tid in same_list[0]), same_list
