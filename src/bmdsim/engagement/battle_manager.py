"""The battle manager at the BMD operations centre: alert, plan, assign, order, re-engage.

:class:`BattleManager` is steppable: :meth:`BattleManager.step` acts at ``t_s`` on the
messages that have reached the operations centre and on the threat picture it holds then
(:class:`~bmdsim.engagement.threats.ThreatReport`, from the tracker and the threat
evaluation). For each threat:

1. **threat evaluation**: once a threat is assessed to endanger what the rules of engagement
   protect (:class:`~bmdsim.engagement.doctrine.EngagementAuthority`), the crew decides
   within the posture-scaled threat-evaluation delay, then **alerts** every fire unit (land
   and sea) and, at the postures that say so, cues the fire-control sensors;
2. **engagement authorisation** follows within its own posture-scaled delay (fire units at
   weapons free need not wait for it);
3. **planning** (:class:`~bmdsim.engagement.planning.EngagementPlanner`) of every threat
   needing an engagement x every unit permitted to engage it, each unit's earliest launch
   being now plus the order's expected C2 delay plus its readiness (posture-scaled) plus the
   interceptor's reaction time; **shoot-look-shoot** where a second launch after the first
   intercept's kill assessment still fits in the window, a **salvo** (the units' salvo
   sizes) otherwise;
4. **weapon-target assignment** (:class:`~bmdsim.engagement.assignment.Assigner`) over the
   rounds and channels the operations centre believes free, maximising expected defended
   value; **engage orders** to the assigned units;
5. **track updates** to the engaged units every ``track_update_interval_s`` (their fire
   control and the interceptors' in-flight updates);
6. **kill assessment** reports: a threat declared destroyed is closed; one that survived is
   planned again while windows remain.

Planning happens only when something changes (alert, authorisation, a refusal, a negative
kill assessment, a posture or weapon-control change), not at every step.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from bmdsim.engagement.assignment import Assigner, OptimalAssigner, WtaProblem
from bmdsim.engagement.c2 import C2Network
from bmdsim.engagement.doctrine import EngagementAuthority, PostureState, WeaponControlState
from bmdsim.engagement.events import (
    AlertSent,
    EngagementEvent,
    EngagementPlanned,
    EngageOrderIssued,
)
from bmdsim.engagement.messages import (
    EngageOrder,
    KillReport,
    LaunchReport,
    Message,
    OrderRefusal,
    SensorCue,
    StatusReport,
    ThreatAlert,
    TrackUpdate,
)
from bmdsim.engagement.planning import EngagementPlan, EngagementPlanner, Launcher
from bmdsim.engagement.threats import ThreatReport
from bmdsim.scenario.schema import WeaponControl


@dataclass(frozen=True, slots=True, kw_only=True)
class UnitRecord:
    """A fire unit as the operations centre knows it."""

    launcher: Launcher
    inventory: int
    channels: int
    readiness_s: float
    salvo_size: int
    defends: tuple[str, ...] = ()
    sensor: str | None = None

    @property
    def id(self) -> str:
        return self.launcher.fire_unit_id


@dataclass(slots=True, kw_only=True)
class _Order:
    unit: str
    shots: int
    issued_s: float
    interceptors: set[str] = field(default_factory=set)
    launched: bool = False
    open: bool = True


@dataclass(slots=True, kw_only=True)
class _ThreatFile:
    report: ThreatReport
    permitted_since_s: float = math.nan
    alert_due_s: float = math.nan
    alerted_s: float = math.nan
    authorise_due_s: float = math.nan
    authorised: bool = False
    needs_plan: bool = False
    closed: str = ""  # "killed" when declared destroyed
    orders: dict[int, _Order] = field(default_factory=dict)
    last_update_s: float = -math.inf
    planned_rounds: int = 0


@dataclass(frozen=True, slots=True, kw_only=True)
class BattleStep:
    """What one :meth:`BattleManager.step` produced."""

    messages: tuple[Message, ...]
    events: tuple[EngagementEvent, ...]
    plans: tuple[EngagementPlan, ...] = ()


class BattleManager:
    """The operations centre's battle manager (see the module docstring)."""

    def __init__(
        self,
        *,
        node: str,
        units: Sequence[UnitRecord],
        network: C2Network,
        posture: PostureState,
        weapon_control: WeaponControlState,
        authority: EngagementAuthority | None = None,
        planner: EngagementPlanner | None = None,
        assigner: Assigner | None = None,
        kill_observation_s: float = 4.0,
        track_update_interval_s: float = 4.0,
        new_id=None,
    ) -> None:
        self.node = node
        self.units = {u.id: u for u in units}
        self.network = network
        self.posture = posture
        self.weapon_control = weapon_control
        self.authority = EngagementAuthority() if authority is None else authority
        self.planner = EngagementPlanner() if planner is None else planner
        self.assigner = OptimalAssigner() if assigner is None else assigner
        self.kill_observation_s = float(kill_observation_s)
        self.track_update_interval_s = float(track_update_interval_s)
        self._new_id = network.next_message_id if new_id is None else new_id
        self._files: dict[str, _ThreatFile] = {}
        self._inventory = {u.id: int(u.inventory) for u in units}
        self._orders = 0
        self._last_posture = None
        self._last_wcs: dict[str, WeaponControl] = {}

    # ------------------------------------------------------------------ queries
    def threat_status(self, threat_id: str) -> str:
        f = self._files.get(threat_id)
        if f is None:
            return "unknown"
        if f.closed:
            return f.closed
        if any(o.open for o in f.orders.values()):
            return "engaging"
        if not math.isnan(f.alerted_s):
            return "alerted"
        return "tracking"

    def rounds_believed(self, unit: str) -> int:
        """Rounds the operations centre believes the unit has left (orders counted)."""
        return self._inventory[unit]

    def _channels_believed(self, unit: str) -> int:
        busy = sum(
            1 for f in self._files.values() for o in f.orders.values() if o.open and o.unit == unit
        )
        return max(self.units[unit].channels - busy, 0)

    def next_due_s(self) -> float:
        """Next time a decision falls due (inf if none)."""
        times = []
        for f in self._files.values():
            if f.closed:
                continue
            if math.isnan(f.alerted_s) and not math.isnan(f.alert_due_s):
                times.append(f.alert_due_s)
            if not f.authorised and not math.isnan(f.authorise_due_s):
                times.append(f.authorise_due_s)
            if any(o.open for o in f.orders.values()):
                times.append(f.last_update_s + self.track_update_interval_s)
        return min(times) if times else math.inf

    def _ready_s(self, t: float, unit: UnitRecord) -> float:
        latency = self.network.mean_delay_s(self.node, unit.id)
        if not math.isfinite(latency):
            return math.inf
        mult = self.posture.readiness_multiplier(t)
        return t + latency + unit.readiness_s * mult + unit.launcher.interceptor.reaction_time_s

    # ------------------------------------------------------------------ the step
    def step(
        self, t_s: float, received: Sequence[Message], threats: Sequence[ThreatReport]
    ) -> BattleStep:
        """Act at ``t_s`` on the messages ``received`` and the threat picture ``threats``."""
        messages: list[Message] = []
        events: list[EngagementEvent] = []
        self._receive(t_s, received)
        self._doctrine_changes(t_s)
        for report in threats:
            f = self._files.get(report.threat_id)
            if f is None:
                f = self._files[report.threat_id] = _ThreatFile(report=report)
            elif report.time_s >= f.report.time_s:
                f.report = report
            self._evaluate(t_s, f, messages, events)
        plans = self._plan_and_assign(t_s, messages, events)
        self._track_updates(t_s, messages)
        return BattleStep(messages=tuple(messages), events=tuple(events), plans=tuple(plans))

    def _receive(self, t: float, received: Sequence[Message]) -> None:
        for m in received:
            f = self._files.get(m.threat_id)
            if isinstance(m, LaunchReport) and f is not None:
                o = f.orders.get(m.order_id)
                if o is not None:
                    o.interceptors |= set(m.interceptor_ids)
                    o.launched = True
                    # rounds ordered but not fired come back
                    self._inventory[o.unit] += o.shots - len(m.interceptor_ids)
            elif isinstance(m, OrderRefusal) and f is not None:
                o = f.orders.get(m.order_id)
                if o is not None and o.open:
                    o.open = False
                    if not o.launched:
                        self._inventory[o.unit] += o.shots
                    f.needs_plan = not f.closed
            elif isinstance(m, StatusReport) and m.source in self._inventory:
                # the unit's count, less what is ordered and not yet reported fired
                pending = sum(
                    o.shots
                    for g in self._files.values()
                    for o in g.orders.values()
                    if o.open and not o.launched and o.unit == m.source
                )
                self._inventory[m.source] = m.inventory - pending
            elif isinstance(m, KillReport) and f is not None:
                for o in f.orders.values():
                    if m.interceptor_id in o.interceptors:
                        o.interceptors.discard(m.interceptor_id)
                        if not o.interceptors and o.launched:
                            o.open = False
                if m.killed:
                    f.closed = "killed"
                    for o in f.orders.values():
                        o.open = False
                elif not any(o.open for o in f.orders.values()):
                    f.needs_plan = True

    def undeliverable(self, message: Message) -> None:
        """The network gave up a message of the operations centre: an engage order that
        never reached its unit is void (its rounds come back, the threat is planned again)."""
        if not isinstance(message, EngageOrder):
            return
        f = self._files.get(message.threat_id)
        o = None if f is None else f.orders.get(message.order_id)
        if o is not None and o.open and not o.launched:
            o.open = False
            self._inventory[o.unit] += o.shots
            f.needs_plan = not f.closed

    def _doctrine_changes(self, t: float) -> None:
        """A posture or weapon-control change makes every open threat worth planning again."""
        level = self.posture.level_at(t)
        wcs = {u: self.weapon_control.status_at(u, t) for u in self.units}
        changed = (self._last_posture is not None and level != self._last_posture) or (
            self._last_wcs and wcs != self._last_wcs
        )
        self._last_posture, self._last_wcs = level, wcs
        if changed:
            for f in self._files.values():
                if (
                    not f.closed
                    and not math.isnan(f.alerted_s)
                    and not any(o.open for o in f.orders.values())
                ):
                    f.needs_plan = True

    def _evaluate(self, t: float, f: _ThreatFile, messages, events) -> None:
        r = f.report
        if f.closed:
            return
        if math.isnan(f.permitted_since_s) and r.hostile and self.authority.category_permitted(r):
            f.permitted_since_s = t
            f.alert_due_s = t + self.posture.decision_delay_s("threat_evaluation_s", t)
        if math.isnan(f.alerted_s) and not math.isnan(f.alert_due_s) and t >= f.alert_due_s - 1e-9:
            f.alerted_s = t
            for u in self.units.values():
                messages.append(
                    ThreatAlert(
                        message_id=self._new_id(),
                        source=self.node,
                        target=u.id,
                        sent_s=t,
                        threat_id=r.threat_id,
                        category=r.category.label,
                        impact_lat_deg=r.impact_lat_deg,
                        impact_lon_deg=r.impact_lon_deg,
                        impact_s=r.impact_s,
                        threatened_assets=r.threatened_assets,
                    )
                )
                events.append(
                    AlertSent(
                        time_s=t,
                        source=self.node,
                        subject=r.threat_id,
                        fire_unit_id=u.id,
                        category=r.category.label,
                    )
                )
            if self.posture.cues_sensors_on_alert(t):
                self._cue(t, r, self.units.values(), messages)
            f.authorise_due_s = t + self.posture.decision_delay_s("engagement_authorisation_s", t)
            f.needs_plan = True  # units at weapons free may engage at once
        if not f.authorised and not math.isnan(f.authorise_due_s) and t >= f.authorise_due_s - 1e-9:
            f.authorised = True
            f.needs_plan = True

    def _cue(self, t, r: ThreatReport, units, messages) -> None:
        for s in sorted({u.sensor for u in units if u.sensor}):
            messages.append(
                SensorCue(
                    message_id=self._new_id(),
                    source=self.node,
                    target=s,
                    sent_s=t,
                    threat_id=r.threat_id,
                    state=r.state,
                    state_s=r.time_s,
                )
            )

    def _plan_and_assign(self, t: float, messages, events) -> list[EngagementPlan]:
        files = [
            f
            for f in self._files.values()
            if f.needs_plan
            and not f.closed
            and not math.isnan(f.alerted_s)
            and not any(o.open for o in f.orders.values())
        ]
        if not files:
            return []
        units = list(self.units.values())
        # who may engage what, now
        allowed = np.zeros((len(files), len(units)), dtype=bool)
        reasons: dict[tuple[int, int], str] = {}
        for i, f in enumerate(files):
            for j, u in enumerate(units):
                ok, why = self.authority.permits(
                    f.report,
                    status=self.weapon_control.status_at(u.id, t),
                    defends=u.defends,
                    unit_position_ecef=u.launcher.position_ecef(t),
                    authorised=f.authorised,
                )
                if ok and self._inventory[u.id] < 1:
                    ok, why = False, "no rounds left"
                allowed[i, j] = ok
                reasons[(i, j)] = why
        waiting = [i for i, f in enumerate(files) if not allowed[i].any() and not f.authorised]
        active = [i for i in range(len(files)) if i not in waiting]
        if not active:
            return []
        files = [files[i] for i in active]
        allowed = allowed[active]
        reasons = {(a, j): reasons[(i, j)] for a, i in enumerate(active) for j in range(len(units))}
        cols = [j for j in range(len(units)) if allowed[:, j].any()]
        plans: dict[tuple[str, str], EngagementPlan] = {}
        if cols:
            sub_units = [units[j] for j in cols]
            ready = {u.id: self._ready_s(t, u) for u in sub_units}
            plans = self.planner.plan(
                t, [f.report for f in files], [u.launcher for u in sub_units], ready_s=ready
            )
        k, nu = len(files), len(units)
        pk = np.zeros((k, nu))
        feasible = np.zeros((k, nu), dtype=bool)
        for i, f in enumerate(files):
            for j, u in enumerate(units):
                p = plans.get((f.report.threat_id, u.id))
                if allowed[i, j] and p is not None and p.feasible:
                    feasible[i, j] = True
                    pk[i, j] = u.launcher.interceptor.pk_max
        # shoot-look-shoot where, after this round's intercept and its kill assessment, some
        # unit can still fire within its window: this round's shot then comes from a unit
        # whose intercept leaves that time (the others are kept for the second shot)
        looks = np.zeros((k, nu), dtype=bool)
        for i, f in enumerate(files):
            for j, u in enumerate(units):
                if not feasible[i, j]:
                    continue
                p = plans[(f.report.threat_id, u.id)]
                look = (
                    p.intercept_s
                    + self.kill_observation_s
                    + self.posture.decision_delay_s("kill_assessment_s", t)
                    + self.network.mean_delay_s(u.sensor or u.id, self.node)
                )
                looks[i, j] = any(
                    self._ready_s(look, v) <= plans[(f.report.threat_id, v.id)].latest_launch_s
                    for jv, v in enumerate(units)
                    if feasible[i, jv]
                )
        sls = looks.any(axis=1)
        plan_feasible = feasible.copy()
        feasible = np.where(sls[:, None], looks, feasible)
        pk = np.where(feasible, pk, 0.0)
        salvo = np.array([u.salvo_size for u in units], dtype=np.int64)
        max_shots = np.where(sls[:, None], 1, salvo[None, :]) * feasible
        max_per_threat = np.where(
            sls, 1, np.max(np.where(feasible, salvo[None, :], 0), axis=1, initial=0)
        )
        problem = WtaProblem.build(
            [self.authority.value(f.report) for f in files],
            pk,
            max_shots=max_shots,
            max_per_threat=max_per_threat,
            inventory=[max(self._inventory[u.id], 0) for u in units],
            channels=[self._channels_believed(u.id) for u in units],
        )
        assignment = self.assigner.assign(problem)
        out_plans: list[EngagementPlan] = []
        for i, f in enumerate(files):
            f.needs_plan = False
            for j, u in enumerate(units):
                p = plans.get((f.report.threat_id, u.id))
                shots = int(assignment.shots[i, j])
                doctrine = "shoot-look-shoot" if sls[i] else "salvo"
                if p is None:
                    reason = reasons[(i, j)] if not allowed[i, j] else "not planned"
                else:
                    out_plans.append(p)
                    reason = (
                        p.reason if not p.feasible else ("" if allowed[i, j] else reasons[(i, j)])
                    )
                    if plan_feasible[i, j] and not feasible[i, j]:
                        reason = "kept for a later shot: shoot-look-shoot"
                events.append(
                    self._planned_event(t, f, u, p, shots, doctrine, reason, plan_feasible[i, j])
                )
                if shots > 0 and p is not None:
                    self._order(t, f, u, p, shots, messages, events)
        return out_plans

    @staticmethod
    def _planned_event(t, f, u, p, shots, doctrine, reason, feasible) -> EngagementPlanned:
        nan = math.nan
        return EngagementPlanned(
            time_s=t,
            source="battle-manager",
            subject=f.report.threat_id,
            fire_unit_id=u.id,
            feasible=bool(feasible),
            shots=shots,
            doctrine=doctrine,
            earliest_launch_s=p.earliest_launch_s if p else nan,
            latest_launch_s=p.latest_launch_s if p else nan,
            launch_s=p.launch_s if p else nan,
            intercept_s=p.intercept_s if p else nan,
            intercept_lat_deg=p.intercept_lat_deg if p else nan,
            intercept_lon_deg=p.intercept_lon_deg if p else nan,
            intercept_alt_m=p.intercept_alt_m if p else nan,
            reason=reason,
        )

    def _order(self, t, f: _ThreatFile, u: UnitRecord, p: EngagementPlan, shots, messages, events):
        self._orders += 1
        oid = self._orders
        r = f.report
        messages.append(
            EngageOrder(
                message_id=self._new_id(),
                source=self.node,
                target=u.id,
                sent_s=t,
                threat_id=r.threat_id,
                order_id=oid,
                shots=shots,
                launch_s=p.launch_s,
                latest_launch_s=p.latest_launch_s,
                intercept_s=p.intercept_s,
                target_state=r.state,
                state_s=r.time_s,
                target_key=r.target_key,
                ballistic_coefficient_kg_m2=r.ballistic_coefficient_kg_m2,
                azimuth_rad=p.azimuth_rad,
                kick_rad=p.kick_rad,
            )
        )
        events.append(
            EngageOrderIssued(
                time_s=t,
                source=self.node,
                subject=r.threat_id,
                fire_unit_id=u.id,
                shots=shots,
                launch_s=p.launch_s,
                order_id=oid,
            )
        )
        f.orders[oid] = _Order(unit=u.id, shots=shots, issued_s=t)
        f.last_update_s = t
        f.planned_rounds += shots
        self._inventory[u.id] -= shots
        if not self.posture.cues_sensors_on_alert(t):
            self._cue(t, r, [u], messages)

    def _track_updates(self, t: float, messages) -> None:
        for f in self._files.values():
            if f.closed or t < f.last_update_s + self.track_update_interval_s - 1e-9:
                continue
            units = sorted({o.unit for o in f.orders.values() if o.open})
            if not units:
                continue
            f.last_update_s = t
            for u in units:
                messages.append(
                    TrackUpdate(
                        message_id=self._new_id(),
                        source=self.node,
                        target=u,
                        sent_s=t,
                        threat_id=f.report.threat_id,
                        state=f.report.state,
                        state_s=f.report.time_s,
                    )
                )


__all__ = ["BattleManager", "BattleStep", "UnitRecord"]
