"""The engagement layer as one steppable object for the engine.

:class:`EngagementSystem` wires the parts of :mod:`bmdsim.engagement` for a scenario: the
C2 network, the posture and weapon-control states, the battle manager at the operations
centre, one :class:`~bmdsim.engagement.fire_unit.FireUnit` per fire unit, the interceptors'
guided flight and the kill assessor. :meth:`EngagementSystem.advance` moves it to a time,
stopping at every instant something is due (a message arrival, a decision, a launch, a
verdict) so that event times are exact, and returns the events. At each such instant, in
order: posture and weapon-control changes; interceptor flight up to it (intercepts and
misses); kill-assessment verdicts due (sent as messages); messages arrived; the battle
manager's step; each fire unit's step (launches, in-flight target updates); messages sent.

Operator commands (:meth:`command_posture`, :meth:`command_weapon_control`) take effect at
their time. Randomness: C2 draws per link, seeker noise and kill draws per interceptor,
kill-assessment errors per interceptor, all from ``seed`` and stable names.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from operator import attrgetter

from bmdsim.core.random import stream
from bmdsim.engagement.assignment import Assigner
from bmdsim.engagement.battle_manager import BattleManager, UnitRecord
from bmdsim.engagement.c2 import C2Network
from bmdsim.engagement.doctrine import (
    EngagementAuthority,
    EngagementRules,
    PostureState,
    WeaponControlState,
)
from bmdsim.engagement.events import EngagementEvent, KillAssessed
from bmdsim.engagement.fire_unit import FireUnit
from bmdsim.engagement.flyout import InterceptorBatch, InterceptorFlight, TargetStatesFn
from bmdsim.engagement.guidance import Seeker
from bmdsim.engagement.kill_assessment import KillAssessor
from bmdsim.engagement.messages import KillReport, Message, SensorCue
from bmdsim.engagement.planning import EngagementPlanner, launchers_from_scenario
from bmdsim.engagement.threats import ThreatReport

#: Name of the operations centre when the scenario has no C2 node.
DEFAULT_OPS_CENTRE = "bmd-ops"


_time_of = attrgetter("time_s")


@dataclass(frozen=True, slots=True, kw_only=True)
class PendingVerdict:
    verdict: KillAssessed
    fire_unit_id: str


class EngagementSystem:
    """Everything of the engagement layer for one run (see the module docstring)."""

    def __init__(
        self,
        *,
        network: C2Network,
        posture: PostureState,
        weapon_control: WeaponControlState,
        battle_manager: BattleManager,
        fire_units: Sequence[FireUnit],
        flight: InterceptorFlight,
        kill_assessor: KillAssessor,
        seed: int = 0,
        max_step_s: float = 1.0,
        start_s: float = 0.0,
    ) -> None:
        self.network = network
        self.posture = posture
        self.weapon_control = weapon_control
        self.battle_manager = battle_manager
        self.fire_units = {fu.id: fu for fu in fire_units}
        self.flight = flight
        self.kill_assessor = kill_assessor
        self.seed = int(seed)
        self.max_step_s = float(max_step_s)
        self.t_s = float(start_s)
        self._verdicts: list[PendingVerdict] = []
        #: sensor cues delivered to sensors (for the engine's sensors to act on)
        self.cues: list[SensorCue] = []

    @classmethod
    def from_scenario(
        cls,
        scenario,
        *,
        seed: int | None = None,
        planner: EngagementPlanner | None = None,
        assigner: Assigner | None = None,
        rules: EngagementRules | None = None,
        seeker: Seeker | None = None,
        kill_assessor: KillAssessor | None = None,
        max_step_s: float = 1.0,
        network: C2Network | None = None,
    ) -> EngagementSystem:
        """The engagement layer of ``scenario`` (seed: the scenario's unless given)."""
        seed = scenario.seed if seed is None else int(seed)
        network = C2Network.from_scenario(scenario, seed=seed) if network is None else network
        ops = (
            [n.id for n in scenario.c2.nodes if n.role == "ops-centre"]
            or [n.id for n in scenario.c2.nodes]
            or [DEFAULT_OPS_CENTRE]
        )
        node = ops[0]
        posture = PostureState.from_scenario(scenario, source=node)
        wcs = WeaponControlState.from_scenario(scenario)
        planner = EngagementPlanner() if planner is None else planner
        kill_assessor = KillAssessor() if kill_assessor is None else kill_assessor
        launchers = {L.fire_unit_id: L for L in launchers_from_scenario(scenario)}
        records, units = [], []
        for fu in scenario.fire_units:
            L = launchers[fu.id]
            records.append(
                UnitRecord(
                    launcher=L,
                    inventory=fu.inventory,
                    channels=fu.channels,
                    readiness_s=fu.readiness_s,
                    salvo_size=fu.salvo_size,
                    defends=fu.defends,
                    sensor=fu.sensor,
                )
            )
            units.append(
                FireUnit(
                    launcher=L,
                    inventory=fu.inventory,
                    channels=fu.channels,
                    readiness_s=fu.readiness_s,
                    salvo_size=fu.salvo_size,
                    ops_centre=node,
                    posture=posture,
                    weapon_control=wcs,
                    planner=planner,
                    new_id=network.next_message_id,
                    defends=fu.defends,
                    sensor=fu.sensor,
                )
            )
        bm = BattleManager(
            node=node,
            units=records,
            network=network,
            posture=posture,
            weapon_control=wcs,
            authority=EngagementAuthority(rules),
            planner=planner,
            assigner=assigner,
            kill_observation_s=kill_assessor.observation_s,
        )
        flight = InterceptorFlight(seed=seed, seeker=seeker)
        return cls(
            network=network,
            posture=posture,
            weapon_control=wcs,
            battle_manager=bm,
            fire_units=units,
            flight=flight,
            kill_assessor=kill_assessor,
            seed=seed,
            max_step_s=max_step_s,
        )

    # ------------------------------------------------------------------ commands
    def command_posture(
        self, t_s: float, level, *, note: str = "", source: str = "operator"
    ) -> None:
        """Operator command: posture ``level`` from ``t_s`` on."""
        self.posture.command(t_s, level, note=note, source=source)

    def command_weapon_control(
        self, t_s: float, fire_unit: str, status, *, source: str = "operator"
    ) -> None:
        """Operator command: ``fire_unit``'s weapon control status from ``t_s`` on."""
        self.weapon_control.command(t_s, fire_unit, status, source=source)

    def command(self, command) -> None:
        """An operator command with ``time_s``, ``action`` (``posture``: ``value`` the level;
        ``weapon_control``: ``target`` the fire unit, ``value`` the status) and ``source``
        (optional), e.g. the engine's ``OperatorCommand``."""
        source = getattr(command, "source", "operator") or "operator"
        if command.action == "posture":
            self.command_posture(command.time_s, command.value, source=source)
        elif command.action == "weapon_control":
            self.command_weapon_control(
                command.time_s, command.target, command.value, source=source
            )
        else:
            raise ValueError(
                f"the engagement layer takes posture and weapon_control commands, not {command.action!r}"
            )

    # ------------------------------------------------------------------ views
    @property
    def interceptors(self) -> InterceptorBatch:
        return self.flight.batch

    def inventory(self) -> dict[str, int]:
        """Rounds left per fire unit (the units' own counts)."""
        return {u: fu.inventory for u, fu in self.fire_units.items()}

    def next_time_s(self) -> float:
        """The next instant something is due (inf if nothing is)."""
        # (the minimum in the order of the list network, battle manager, fire units,
        # verdicts, posture, weapon control)
        t = self.network.next_time_s()
        x = self.battle_manager.next_due_s()
        if x < t:
            t = x
        for fu in self.fire_units.values():
            x = fu.next_launch_s()
            if x < t:
                t = x
        for v in self._verdicts:
            x = v.verdict.time_s
            if x < t:
                t = x
        x = self.posture.next_change_s()
        if x < t:
            t = x
        x = self.weapon_control.next_change_s()
        return x if x < t else t

    # ------------------------------------------------------------------ stepping
    def advance(
        self, until_s: float, *, threats: Sequence[ThreatReport], target_states: TargetStatesFn
    ) -> list[EngagementEvent]:
        """Move to ``until_s`` [s] with the threat picture ``threats`` (valid over the step)
        and the true states of the targets ``target_states(t, target_keys)``; the events,
        in time order."""
        if until_s < self.t_s:
            raise ValueError(f"advance runs forward: {until_s} < {self.t_s}")
        events: list[EngagementEvent] = []
        first = True
        while first or self.t_s < until_s:
            first = False
            t = min(until_s, self.t_s + self.max_step_s)
            nxt = self.next_time_s()
            if self.t_s < nxt < t:
                t = nxt
            events.extend(self._instant(t, threats, target_states))
            self.t_s = t
        if len(events) > 1:
            events.sort(key=_time_of)
        return events

    def _flight_results(self, results, events: list[EngagementEvent]) -> None:
        """Log ended flights, free their channels, schedule their kill assessments."""
        for r in results:
            events.append(r)
            fu = self.fire_units.get(r.fire_unit_id)
            if fu is not None:
                fu.flight_ended(r.source)
            assessor = fu.sensor if fu is not None and fu.sensor else r.fire_unit_id
            delay = self.posture.decision_delay_s("kill_assessment_s", r.time_s)
            rng = stream(self.seed, "engagement", "kill-assessment", r.source)
            verdict = self.kill_assessor.assess(
                r, assessor=assessor, decision_delay_s=delay, rng=rng
            )
            self._verdicts.append(PendingVerdict(verdict=verdict, fire_unit_id=r.fire_unit_id))

    def _instant(self, t: float, threats, target_states) -> list[EngagementEvent]:
        events: list[EngagementEvent] = []
        # (each part is asked only when something of it is due by t: the same results)
        if self.posture.next_change_s() <= t:
            events += self.posture.advance(t)
        if self.weapon_control.next_change_s() <= t:
            events += self.weapon_control.advance(t)
        if len(self.flight):
            self._flight_results(self.flight.advance(self.t_s, t, target_states), events)
        outgoing: list[Message] = []
        due: list[PendingVerdict] = []
        if self._verdicts:
            due = [v for v in self._verdicts if v.verdict.time_s <= t + 1e-9]
            self._verdicts = [v for v in self._verdicts if v.verdict.time_s > t + 1e-9]
        for v in due:
            k = v.verdict
            events.append(k)
            outgoing.append(
                KillReport(
                    message_id=self.network.next_message_id(),
                    source=k.source,
                    target=self.battle_manager.node,
                    sent_s=k.time_s,
                    threat_id=k.subject,
                    interceptor_id=k.interceptor_id,
                    killed=k.assessed_killed,
                    intercept_s=k.time_s,
                )
            )
        for m in outgoing:
            events += self.network.send(m)
        outgoing = []
        delivered: list[Message] = []
        if self.network.next_time_s() <= t:
            delivered, net_events = self.network.deliver(t)
            events += net_events
        for m in self.network.given_up():
            if m.source == self.battle_manager.node:
                self.battle_manager.undeliverable(m)
        node = self.battle_manager.node
        to_bm = [m for m in delivered if m.target == node] if delivered else delivered
        step = self.battle_manager.step(t, to_bm, threats)
        events += step.events
        outgoing += step.messages
        for m in delivered:
            if isinstance(m, SensorCue):
                self.cues.append(m)
        for uid, fu in self.fire_units.items():
            mine = [m for m in delivered if m.target == uid] if delivered else delivered
            if not mine and fu.next_launch_s() > t + 1e-9:
                continue  # an idle step of the unit: nothing to act on
            res = fu.step(t, mine)
            events += res.events
            outgoing += res.messages
            if res.launches:
                self.flight.launch(list(res.launches))
                # a round launched before t flies to t now
                self._flight_results(self.flight.advance(t, t, target_states), events)
            for threat_id, ts, state in res.uplinks:
                self.flight.update_targets(threat_id, ts, state)
        for m in outgoing:
            events += self.network.send(m)
        return events


__all__ = ["DEFAULT_OPS_CENTRE", "EngagementSystem"]
