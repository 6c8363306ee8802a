"""The battle manager at the BMD operations centre: alert, plan, assign, order, re-engage.

:class:`BattleManager` is steppable: :meth:`BattleManager.step` acts at ``t_s`` on the
messages that have reached the operations centre and on the threat picture it holds then
(:class:`~bmdsim.engagement.threats.ThreatReport`, from the tracker and the threat
evaluation; a threat whose track has left the picture is not planned). For each threat:

1. **threat evaluation**: once a threat is assessed to endanger what the rules of engagement
   protect (:class:`~bmdsim.engagement.doctrine.EngagementAuthority`), the crew decides
   within the posture-scaled threat-evaluation delay, then **alerts** every fire unit (land
   and sea) and, at the postures that say so, cues the fire-control sensors;
2. **engagement authorisation** follows within its own posture-scaled delay (fire units at
   weapons free need not wait for it);
3. **planning** (:class:`~bmdsim.engagement.planning.EngagementPlanner`) of every threat
   needing an engagement x every unit permitted to engage it: each unit's first
   opportunity, its earliest launch being now plus the order's expected C2 delay plus its
   readiness (posture-scaled) plus the interceptor's reaction time. A shot is **due** when
   that launch is within ``commit_margin_s`` of the unit's earliest launch; only due shots
   are flown with the full flyout and ordered. A later one is **deferred**: the threat is
   planned again when it falls due (the channel is not held meanwhile);
4. **doctrine**: **shoot-look-shoot** where a unit's intercept leaves time for the kill
   assessment and a second launch within some unit's window (a *look shot*): the first
   round is one look shot and the units that cannot look are kept for the second shot.
   Otherwise a **salvo** (the units' salvo sizes). When every look shot of a threat is due
   but none can be taken (no free channel, no rounds), the threat **falls back** to a salvo
   from the units that can fire now (the lower tier);
5. **weapon-target assignment** (:class:`~bmdsim.engagement.assignment.Assigner`) of the due
   shots over the rounds and channels the operations centre believes free, maximising
   expected defended value (look shots and salvo threats first, then the fall-backs with
   what is left); **engage orders** to the assigned units;
6. **track updates** to the engaged units every ``track_update_interval_s`` (their fire
   control and the interceptors' in-flight updates);
7. **kill assessment** reports: a threat declared destroyed is closed; one that survived is
   planned again while windows remain.

Planning happens only when something can change its outcome: a threat's alert or (where a
unit is at weapons tight) authorisation; a refused, undelivered or failed order; a negative
kill assessment; a posture or weapon-control change; a deferred shot falling due; rounds or
a fire channel freeing up on a unit a waiting threat could use; and, for a threat that no
unit can take now, every ``replan_interval_s`` (on a common clock, so that such threats are
planned together; every 2nd, 4th, then 8th tick while that lasts) as its track improves.
Never while an order on the threat is open. A fire channel is held from the order until its
rounds' flights are expected to have ended (the predicted intercept the unit reports at
launch, plus ``channel_release_margin_s``) or their kill assessments are in, whichever is
first (or until the order's refusal). Every plan of a threat x unit pair is an event when
its outcome changes, with the reason a feasible shot was not taken (deferred, kept for
shoot-look-shoot, saturated: no free channel, no rounds left).
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
    #: when its rounds' flights are expected to have ended (reported at launch) [s]
    release_s: float = math.inf

    def holds_channel(self, t_s: float) -> bool:
        """Whether the order takes one of its unit's channels at ``t_s``: until it is refused
        or launched, then until its rounds' flights are expected to have ended or their kill
        assessments are in, whichever is first."""
        if self.open and not self.launched:
            return True
        return bool(self.interceptors) and t_s < self.release_s


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
    #: when the threat must be planned again without any other cause (inf: only on a cause)
    replan_s: float = math.inf
    #: units whose freed rounds or channels would let a shot at the threat be taken
    wants: frozenset[str] = frozenset()
    #: consecutive plans in which no unit could take the threat at all
    hopeless_plans: int = 0
    #: the last planned outcome logged per unit (events only when it changes)
    logged: dict[str, tuple] = field(default_factory=dict)
    #: the units' permissions last found and what they were found from (see
    #: :meth:`BattleManager._permitted`)
    permitted: tuple | None = None

    @property
    def engaged(self) -> bool:
        for o in self.orders.values():
            if o.open:
                return True
        return False


@dataclass(frozen=True, slots=True, kw_only=True)
class BattleStep:
    """What one :meth:`BattleManager.step` produced."""

    messages: tuple[Message, ...]
    events: tuple[EngagementEvent, ...]
    plans: tuple[EngagementPlan, ...] = ()


#: A step with nothing to send, log or show.
_QUIET = BattleStep(messages=(), events=(), plans=())


class BattleManager:
    """The operations centre's battle manager (see the module docstring).

    ``commit_margin_s``: a shot is ordered when its planned launch is at most this much after
    the unit's earliest launch (later ones are deferred); ``replan_interval_s``: period of
    the common clock on which threats no unit can take now are planned again.
    """

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
        commit_margin_s: float = 4.0,
        replan_interval_s: float = 10.0,
        channel_release_margin_s: float = 2.0,
        new_id=None,
    ) -> None:
        if commit_margin_s <= 0.0 or replan_interval_s <= 0.0:
            raise ValueError("commit_margin_s and replan_interval_s must be > 0 s")
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
        self.commit_margin_s = float(commit_margin_s)
        self.replan_interval_s = float(replan_interval_s)
        self.channel_release_margin_s = float(channel_release_margin_s)
        self._new_id = network.next_message_id if new_id is None else new_id
        self._files: dict[str, _ThreatFile] = {}
        self._inventory = {u.id: int(u.inventory) for u in units}
        self._orders = 0
        self._live: dict[int, _Order] = {}  # orders that may still hold a channel
        self._delays: dict[tuple[str, str], float] = {}
        self._picture: frozenset[str] = frozenset()
        self._launch_reported_s: dict[str, float] = {}
        self._last_posture = None
        self._last_wcs: dict[str, WeaponControl] = {}
        # (the weapon-control revision, the time) at which _last_wcs was found
        self._wcs_at: tuple[tuple[int, float], float] | None = None
        # the threat picture of the last full step and the time before which a step with
        # that picture, no message and no doctrine change has nothing to do (see _quiet_s)
        self._seen: Sequence[ThreatReport] | None = None
        self._seen_reports: tuple[ThreatReport, ...] = ()
        self._quiet_s = -math.inf
        # next_due_s, kept until the files change (a full step, an undeliverable order)
        self._due_s: float | None = None

    # ------------------------------------------------------------------ queries
    def threat_status(self, threat_id: str) -> str:
        f = self._files.get(threat_id)
        if f is None:
            return "unknown"
        if f.closed:
            return f.closed
        if f.engaged:
            return "engaging"
        if not math.isnan(f.alerted_s):
            return "alerted"
        return "tracking"

    def rounds_believed(self, unit: str) -> int:
        """Rounds the operations centre believes the unit has left (orders counted)."""
        return self._inventory[unit]

    def channels_believed(self, unit: str) -> int:
        """Fire channels the operations centre believes free on the unit (at its last step)."""
        busy = sum(1 for o in self._live.values() if o.unit == unit)
        return max(self.units[unit].channels - busy, 0)

    def _release(self, t: float) -> None:
        """Orders no longer holding a channel free it: threats waiting for it are planned."""
        done = [k for k, o in self._live.items() if not o.holds_channel(t)]
        for k in done:
            self._resources_freed(self._live.pop(k).unit)

    def _delay(self, source: str, target: str) -> float:
        key = (source, target)
        d = self._delays.get(key)
        if d is None:
            d = self._delays[key] = self.network.mean_delay_s(source, target)
        return d

    def next_due_s(self) -> float:
        """Next time a decision falls due (inf if none)."""
        if self._due_s is None:
            self._due_s = self._next_due_s()
        return self._due_s

    def _next_due_s(self) -> float:
        # (the minimum of the times in this order, taken in place)
        best = math.inf
        isnan = math.isnan
        picture = self._picture
        interval = self.track_update_interval_s
        for f in self._files.values():
            if f.closed:
                continue
            engaged = False
            for o in f.orders.values():
                if o.open:
                    engaged = True
                    x = f.last_update_s + interval
                    if x < best:
                        best = x
                    break
            if f.report.threat_id not in picture:
                continue  # decisions wait for the threat to be in the picture again
            if isnan(f.alerted_s) and not isnan(f.alert_due_s) and f.alert_due_s < best:
                best = f.alert_due_s
            if not f.authorised and not isnan(f.authorise_due_s) and f.authorise_due_s < best:
                best = f.authorise_due_s
            if not engaged and f.replan_s < best:
                best = f.replan_s
        return best

    def _ready_s(self, t: float, unit: UnitRecord) -> float:
        latency = self._delay(self.node, unit.id)
        if not math.isfinite(latency):
            return math.inf
        mult = self.posture.readiness_multiplier(t)
        return t + latency + unit.readiness_s * mult + unit.launcher.interceptor.reaction_time_s

    # ------------------------------------------------------------------ the step
    def step(
        self, t_s: float, received: Sequence[Message], threats: Sequence[ThreatReport]
    ) -> BattleStep:
        """Act at ``t_s`` on the messages ``received`` and the threat picture ``threats``.

        A step with no message, the same picture as the last step (the same sequence object
        holding the same report objects: a caller that changes its list in place is seen),
        no posture or weapon-control change and before anything falls due (see
        :meth:`_quiet_until`) does nothing."""
        doctrine_done = False
        if (not received and threats is self._seen and t_s < self._quiet_s - 1e-9
                and _same_reports(threats, self._seen_reports)):  # fmt: skip
            if not self._doctrine_changes(t_s):
                return _QUIET
            doctrine_done = True
        self._due_s = None
        messages: list[Message] = []
        events: list[EngagementEvent] = []
        if received:
            self._receive(t_s, received)
        if self._live:
            self._release(t_s)
        if not doctrine_done:
            self._doctrine_changes(t_s)
        files = self._files
        for report in threats:
            f = files.get(report.threat_id)
            if f is None:
                f = files[report.threat_id] = _ThreatFile(report=report)
            elif report.time_s >= f.report.time_s:
                f.report = report
            if not f.closed:  # (a closed file has nothing to evaluate)
                self._evaluate(t_s, f, messages, events)
        self._picture = frozenset([r.threat_id for r in threats])
        plans = self._plan_and_assign(t_s, messages, events)
        self._track_updates(t_s, messages)
        self._seen = threats
        self._seen_reports = tuple(threats)
        self._quiet_s = self._quiet_until()
        if not messages and not events and not plans:
            return _QUIET
        return BattleStep(messages=tuple(messages), events=tuple(events), plans=tuple(plans))

    def _quiet_until(self) -> float:
        """After a full step: the time up to which (exclusive, less 1e-9 s) a step with the
        same picture, no message and no doctrine change does nothing: the next decision due
        (alert, authorisation, re-plan, track update: :meth:`next_due_s`) and the next
        channel release; -inf while a threat waits to be planned. Until then, without
        messages, nothing else changes: the same reports were evaluated at the last step,
        orders open and not launched hold their channels until a message, the picture is
        the same."""
        for f in self._files.values():
            if f.needs_plan and not f.closed:
                return -math.inf
        t = self.next_due_s()
        for o in self._live.values():
            if o.launched and o.interceptors and o.release_s < t:
                t = o.release_s
        return t

    def _receive(self, t: float, received: Sequence[Message]) -> None:
        freed: set[str] = set()
        for m in received:
            f = self._files.get(m.threat_id)
            if isinstance(m, LaunchReport):
                self._launch_reported_s[m.source] = max(
                    m.sent_s, self._launch_reported_s.get(m.source, -math.inf)
                )
            if isinstance(m, LaunchReport) and f is not None:
                o = f.orders.get(m.order_id)
                if o is not None:
                    o.interceptors |= set(m.interceptor_ids)
                    o.launched = True
                    if math.isfinite(m.predicted_intercept_s):
                        o.release_s = m.predicted_intercept_s + self.channel_release_margin_s
                    # rounds ordered but not fired come back
                    back = o.shots - len(m.interceptor_ids)
                    self._inventory[o.unit] += back
                    if back > 0:
                        freed.add(o.unit)
                    if not o.interceptors:
                        o.open = False
                        f.needs_plan = not f.closed
                        freed.add(o.unit)
            elif isinstance(m, OrderRefusal) and f is not None:
                o = f.orders.get(m.order_id)
                if o is not None and o.open:
                    o.open = False
                    if not o.launched:
                        self._inventory[o.unit] += o.shots
                    f.needs_plan = not f.closed
                    freed.add(o.unit)
            elif isinstance(m, StatusReport) and m.source in self._inventory:
                # the unit's count, less what is ordered and not yet reported fired. Both that
                # and the centre's own count (rounds ordered and not returned) can only fall
                # short of the truth (a launch or refusal report may still be on its way):
                # the larger is kept. A status older than a launch report is stale.
                if m.sent_s < self._launch_reported_s.get(m.source, -math.inf):
                    continue
                pending = sum(
                    o.shots
                    for o in self._live.values()
                    if o.open and not o.launched and o.unit == m.source
                )
                if m.inventory - pending > self._inventory[m.source]:
                    self._inventory[m.source] = m.inventory - pending
                    freed.add(m.source)
            elif isinstance(m, KillReport) and f is not None:
                for o in f.orders.values():
                    if m.interceptor_id in o.interceptors:
                        o.interceptors.discard(m.interceptor_id)
                        if not o.interceptors and o.launched:
                            o.open = False
                            freed.add(o.unit)
                if m.killed:
                    f.closed = "killed"
                    for o in f.orders.values():
                        o.open = False
                elif not f.engaged:
                    f.needs_plan = True
        for unit in freed:
            self._resources_freed(unit)

    def _resources_freed(self, unit: str) -> None:
        """Rounds or a channel of ``unit`` came free: threats waiting for it are planned."""
        for f in self._files.values():
            if unit in f.wants and not f.closed:
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
            self._resources_freed(o.unit)
            self._due_s, self._quiet_s = None, -math.inf

    def _doctrine_changes(self, t: float) -> bool:
        """A posture or weapon-control change makes every open threat worth planning again
        (returns whether there was one)."""
        level = self.posture.level_at(t)
        revision = self.weapon_control.revision
        at = self._wcs_at
        if at is not None and at[0] == revision and revision[1] <= at[1] <= t:
            # no change applied since, none between the last step and now: the same statuses
            wcs = self._last_wcs
        else:
            wcs = {u: self.weapon_control.status_at(u, t) for u in self.units}
        self._wcs_at = (revision, t)
        changed = (self._last_posture is not None and level != self._last_posture) or (
            wcs is not self._last_wcs and self._last_wcs and wcs != self._last_wcs
        )
        self._last_posture, self._last_wcs = level, wcs
        if changed:
            for f in self._files.values():
                if not f.closed and not math.isnan(f.alerted_s) and not f.engaged:
                    f.needs_plan = True
        return bool(changed)

    def _evaluate(self, t: float, f: _ThreatFile, messages, events) -> None:
        if f.closed or (f.authorised and not math.isnan(f.alerted_s)):
            return  # (alerted and authorised: nothing left to evaluate)
        r = f.report
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
            # the authorisation changes what units at weapons tight may do, nothing else
            if any(self.weapon_control.status_at(u, t) == WeaponControl.TIGHT for u in self.units):
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

    # ------------------------------------------------------------------ planning
    def _to_plan(self, t: float) -> list[_ThreatFile]:
        return [
            f
            for f in self._files.values()
            if (f.needs_plan or f.replan_s <= t + 1e-9)
            and not f.closed
            and not math.isnan(f.alerted_s)
            and f.report.threat_id in self._picture
            and not f.engaged
        ]

    def _permitted(self, t: float, f: _ThreatFile, units) -> tuple[list[bool], list[str]]:
        """Whether each unit may engage the threat of ``f`` now, and why not ('' if it may).

        Kept on the file while its inputs are the same: the report (the same object), the
        authorisation, each unit's weapon control status and whether it has rounds, the
        authority and its rules; never where the unit's position counts (a unit at weapons
        hold: self-defence; or an authority of another type, whose rules may use it)."""
        authority = self.authority
        plain_rules = type(authority) is EngagementAuthority
        statuses = tuple(self.weapon_control.status_at(u.id, t) for u in units)
        stocked = tuple(self._inventory[u.id] >= 1 for u in units)
        key = (f.authorised, statuses, stocked, authority, authority.rules, tuple(units))
        memo = f.permitted
        reusable = plain_rules and WeaponControl.HOLD not in statuses
        if reusable and memo is not None and memo[0] is f.report and memo[1] == key:
            return memo[2], memo[3]
        oks, whys = [], []
        for u, status, has_rounds in zip(units, statuses, stocked, strict=True):
            # the rules use the unit's position only at weapons hold (self-defence)
            where = (
                u.launcher.position_ecef(t)
                if status == WeaponControl.HOLD or not plain_rules
                else None
            )
            ok, why = authority.permits(
                f.report,
                status=status,
                defends=u.defends,
                unit_position_ecef=where,
                authorised=f.authorised,
            )
            if ok and not has_rounds:
                ok, why = False, "no rounds left"
            oks.append(ok)
            whys.append(why)
        f.permitted = (f.report, key, oks, whys) if reusable else None
        return oks, whys

    def _plan_and_assign(self, t: float, messages, events) -> list[EngagementPlan]:
        files = self._to_plan(t)
        if not files:
            return []
        units = list(self.units.values())
        # who may engage what, now
        allowed = np.zeros((len(files), len(units)), dtype=bool)
        reasons: dict[tuple[int, int], str] = {}
        for i, f in enumerate(files):
            oks, whys = self._permitted(t, f, units)
            allowed[i] = oks
            for j, why in enumerate(whys):
                reasons[(i, j)] = why
        # threats no unit may engage before the authorisation wait for it
        active = [i for i, f in enumerate(files) if allowed[i].any() or f.authorised]
        if not active:
            return []
        files = [files[i] for i in active]
        allowed = allowed[active]
        reasons = {(a, j): reasons[(i, j)] for a, i in enumerate(active) for j in range(len(units))}
        cols = [j for j in range(len(units)) if allowed[:, j].any()]
        ready = np.full(len(units), math.inf)
        rnd = None
        if cols:
            for j in cols:
                ready[j] = self._ready_s(t, units[j])
            rnd = self.planner.prepare(
                t,
                [f.report for f in files],
                [units[j].launcher for j in cols],
                ready_s={units[j].id: ready[j] for j in cols},
            )
        d = self._decide(t, files, units, allowed, rnd, ready)
        plans = {} if rnd is None else rnd.plans
        out_plans: list[EngagementPlan] = []
        for i, f in enumerate(files):
            f.needs_plan = False
            rows = d.shots[i]
            for j, u in enumerate(units):
                p = plans.get((f.report.threat_id, u.id))
                if p is not None:
                    out_plans.append(p)
                shots = int(rows[j])
                reason = self._reason(d, i, j, p, allowed[i, j], reasons[(i, j)])
                doctrine = "shoot-look-shoot" if d.sls[i] and not d.fallback[i] else "salvo"
                key = (bool(d.feasible[i, j]), shots, doctrine, reason)
                if shots > 0 or f.logged.get(u.id) != key:
                    f.logged[u.id] = key
                    events.append(
                        self._planned_event(t, f, u, p, shots, doctrine, reason, d.feasible[i, j])
                    )
                if shots > 0 and p is not None:
                    self._order(t, f, u, p, shots, messages, events)
            f.hopeless_plans = f.hopeless_plans + 1 if d.hopeless[i] else 0
            if rows.any():
                f.replan_s, f.wants = math.inf, frozenset()
            else:
                f.replan_s = d.replan_s[i]
                f.wants = frozenset(units[j].id for j in np.flatnonzero(d.wanted[i]))
        return out_plans

    def _decide(self, t, files, units, allowed, rnd, ready) -> _Decision:
        """Doctrine and weapon-target assignment of the due shots (see the module docstring).

        The pairs are first judged on their table plans; the shots that could be taken
        (candidates on units with a free channel and rounds) are flown with the full flyout
        (one batch), and judged again on what the flyout found."""
        k = len(files)
        inventory = np.array([max(self._inventory[u.id], 0) for u in units], dtype=np.int64)
        channels = np.array([self.channels_believed(u.id) for u in units], dtype=np.int64)
        free = (inventory > 0) & (channels > 0)
        for _ in range(3):
            a = self._judge(t, files, units, allowed, rnd, ready)
            cand_a = a.due & np.where(a.sls[:, None], a.look, a.feasible)
            maybe_b = (a.sls & ~a.pending_look)[:, None] & a.due & ~a.look
            fly = (cand_a | maybe_b) & ~a.flown & free[None, :]
            if rnd is None or not fly.any():
                break
            rows, cols = np.nonzero(fly)
            rnd.fly(
                (files[i].report.threat_id, units[j].id) for i, j in zip(rows, cols, strict=True)
            )
        pk_max = np.array([u.launcher.interceptor.pk_max for u in units])
        salvo = np.array([u.salvo_size for u in units], dtype=np.int64)
        values = [self.authority.value(f.report) for f in files]
        # first: look shots of shoot-look-shoot threats, salvos of the others
        shots = self._assign(values, pk_max, cand_a & a.flown, a.sls, salvo, inventory, channels)
        # then: threats whose every look shot is due but none could be taken fall back to a
        # salvo from the units that can fire now, with what is left
        fallback_rows = a.sls & ~a.pending_look & (shots.sum(axis=1) == 0)
        cand_b = fallback_rows[:, None] & a.due & ~a.look
        fallback_rows &= cand_b.any(axis=1)
        if (cand_b & a.flown).any():
            left_inv = inventory - shots.sum(axis=0)
            left_ch = channels - (shots > 0).sum(axis=0)
            no_look = np.zeros(k, dtype=bool)
            shots += self._assign(
                values, pk_max, cand_b & a.flown, no_look, salvo, left_inv, left_ch
            )
        fallback = fallback_rows & (shots.sum(axis=1) > 0)
        # when to plan again a threat left without a shot: when a deferred shot falls due;
        # when a unit it could use frees up (wanted); on the common clock when a candidate
        # was left unflown, or when no unit can take it at all (its track may yet bring a
        # window: every tick at first, then every 2nd, 4th, 8th while it stays so)
        # (a deferred shot is planned again on a grid of half the margin, so that shots falling
        # due together are planned together, with between half and all the margin left)
        half = 0.5 * self.commit_margin_s
        commit_s = np.where(
            a.feasible & ~a.due, np.floor((t + a.slack - half) / half) * half, np.inf
        )
        wanted = (cand_a | cand_b) & (shots == 0)
        replan = commit_s.min(axis=1, initial=np.inf)
        hopeless = ~a.feasible.any(axis=1)
        streak = np.array([f.hopeless_plans for f in files], dtype=float)
        period = self.replan_interval_s * np.where(hopeless, 2.0 ** np.minimum(streak, 3.0), 1.0)
        clock = (np.floor(t / period + 1e-9) + 1.0) * period
        idle = hopeless | (wanted & ~a.flown & free[None, :]).any(axis=1)
        replan = np.where(idle, np.minimum(replan, clock), replan)
        return _Decision(
            feasible=a.feasible,
            due=a.due,
            look=a.look,
            sls=a.sls,
            fallback=fallback,
            fallback_rows=fallback_rows,
            shots=shots,
            wanted=wanted,
            commit_s=commit_s,
            replan_s=replan,
            hopeless=hopeless,
            channels_left=channels - (shots > 0).sum(axis=0),
            rounds_left=inventory - shots.sum(axis=0),
            unit_ids=tuple(u.id for u in units),
        )

    def _judge(self, t, files, units, allowed, rnd, ready) -> _Judgement:
        """Feasible, due and look shots ``(K, U)`` from the planning round's current plans.
        Whether a shot is due is judged on its first opportunity by the tables (a flown plan
        may launch a little later, where the flyout failed at that opportunity)."""
        plans = {} if rnd is None else rnd.plans
        k, nu = len(files), len(units)
        feasible = np.zeros((k, nu), dtype=bool)
        launch = np.full((k, nu), np.nan)
        intercept = np.full((k, nu), np.nan)
        latest = np.full((k, nu), np.nan)
        flown = np.zeros((k, nu), dtype=bool)
        for i, f in enumerate(files):
            for j, u in enumerate(units):
                key = (f.report.threat_id, u.id)
                p = plans.get(key)
                if allowed[i, j] and p is not None and p.feasible:
                    feasible[i, j] = True
                    launch[i, j] = rnd.rows[key][3]
                    intercept[i, j] = p.intercept_s
                    latest[i, j] = p.latest_launch_s
                    flown[i, j] = p.flown
        slack = np.where(feasible, launch - ready[None, :], np.inf)
        due = feasible & (slack <= self.commit_margin_s + 1e-9)
        # look shots: after this intercept, its kill assessment and its report, some unit
        # can still launch within its window
        kill_delay = self.posture.decision_delay_s("kill_assessment_s", t)
        report = np.array([self._delay(u.sensor or u.id, self.node) for u in units])
        order = np.array([self._delay(self.node, u.id) for u in units])
        readiness = np.array([u.readiness_s for u in units])
        reaction = np.array([u.launcher.interceptor.reaction_time_s for u in units])
        look_s = intercept + self.kill_observation_s + kill_delay + report[None, :]  # (K, U)
        mult = self.posture.readiness_multipliers(np.where(feasible, look_s, t))
        second = (
            look_s[:, :, None] + order[None, None, :] + readiness[None, None, :] * mult[:, :, None]
        ) + reaction[None, None, :]  # (K, U first, U second)
        with np.errstate(invalid="ignore"):
            can = feasible[:, None, :] & (second <= latest[:, None, :])
        look = feasible & can.any(axis=2)
        return _Judgement(
            feasible=feasible,
            flown=flown,
            slack=slack,
            due=due,
            look=look,
            sls=look.any(axis=1),
            pending_look=(look & ~due).any(axis=1),
        )

    def _assign(self, values, pk_max, cand, sls, salvo, inventory, channels) -> np.ndarray:
        """Rounds ``(K, U)`` for the candidate shots ``cand``: one round at a
        shoot-look-shoot threat, up to the units' salvo sizes at the others."""
        k, nu = cand.shape
        if not cand.any():
            return np.zeros((k, nu), np.int64)
        pk = np.where(cand, pk_max[None, :], 0.0)
        max_shots = np.where(sls[:, None], 1, salvo[None, :]) * cand
        max_per_threat = np.where(
            sls, 1, np.max(np.where(cand, salvo[None, :], 0), axis=1, initial=0)
        )
        problem = WtaProblem.build(
            values,
            pk,
            max_shots=max_shots,
            max_per_threat=max_per_threat,
            inventory=inventory,
            channels=channels,
        )
        return np.asarray(self.assigner.assign(problem).shots, dtype=np.int64)

    def _reason(self, d: _Decision, i: int, j: int, p, allowed: bool, why: str) -> str:
        """Why the pair ``(i, j)`` was or was not given rounds ('' when nothing to say)."""
        if p is None:
            return why if not allowed else "not planned"
        if not p.feasible:
            return p.reason
        if not allowed:
            return why
        if d.shots[i, j] > 0:
            return (
                "fall-back: no shoot-look-shoot first shot could be taken" if d.fallback[i] else ""
            )
        kept = d.sls[i] and not d.look[i, j]
        if not d.due[i, j]:
            if kept:
                return "kept for a later shot: shoot-look-shoot"
            return f"deferred: order due at {d.commit_s[i, j]:.0f} s"
        if kept and not d.fallback_rows[i]:
            return "kept for a later shot: shoot-look-shoot"
        if d.channels_left[j] <= 0:
            return f"saturated: all {self.units[d.unit_ids[j]].channels} fire channels busy"
        if d.rounds_left[j] <= 0:
            return "saturated: no rounds left"
        return "" if d.shots[i].any() else "not assigned"

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
        o = _Order(unit=u.id, shots=shots, issued_s=t)
        f.orders[oid] = o
        self._live[oid] = o
        f.last_update_s = t
        self._inventory[u.id] -= shots
        if not self.posture.cues_sensors_on_alert(t):
            self._cue(t, r, [u], messages)

    def _track_updates(self, t: float, messages) -> None:
        for f in self._files.values():
            if not f.orders or f.closed:
                continue  # (no order: no open one, no unit to update)
            if t < f.last_update_s + self.track_update_interval_s - 1e-9:
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


@dataclass(frozen=True, slots=True, kw_only=True)
class _Judgement:
    """Arrays ``(K threats, U units)`` (``(K,)`` for the per-threat ones) of one judgement
    of the plans: ``slack`` is a shot's launch after the unit's earliest launch [s]."""

    feasible: np.ndarray
    flown: np.ndarray
    slack: np.ndarray
    due: np.ndarray
    look: np.ndarray
    sls: np.ndarray
    pending_look: np.ndarray


@dataclass(frozen=True, slots=True, kw_only=True)
class _Decision:
    """One planning round's doctrine and assignment, arrays ``(K threats, U units)``."""

    feasible: np.ndarray
    due: np.ndarray
    look: np.ndarray
    sls: np.ndarray
    fallback: np.ndarray
    #: threats whose every look shot was due and taken by none (fall-back candidates)
    fallback_rows: np.ndarray
    shots: np.ndarray
    wanted: np.ndarray
    commit_s: np.ndarray
    replan_s: np.ndarray
    #: threats no unit can take at all
    hopeless: np.ndarray
    channels_left: np.ndarray
    rounds_left: np.ndarray
    unit_ids: tuple[str, ...]



def _same_reports(threats: Sequence[ThreatReport], seen: tuple[ThreatReport, ...]) -> bool:
    """Whether ``threats`` holds the report objects ``seen``, in order (identity)."""
    return len(threats) == len(seen) and all(a is b for a, b in zip(threats, seen, strict=True))

__all__ = ["BattleManager", "BattleStep", "UnitRecord"]
