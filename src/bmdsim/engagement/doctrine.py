"""Posture, weapon control and engagement authority: the rules the battle manager follows.

* :class:`PostureState` — the alliance's defence posture over time: the scenario's initial
  level and timed changes plus operator commands. A level scales the human and procedural
  decision delays (threat evaluation, engagement authorisation, kill assessment) by its
  ``decision_delay_multiplier`` and the fire units' readiness (time from engage order to
  launch) by its ``readiness_multiplier``; at the levels in ``cueing_levels`` fire-control
  sensors are cued as soon as a threat is alerted (otherwise only once an engagement is
  ordered).
* :class:`WeaponControlState` — each fire unit's weapon control status over time
  (``hold`` / ``tight`` / ``free``), changed by operator commands.
* :class:`EngagementAuthority` — who may engage what (:meth:`EngagementAuthority.permits`):

  - the threat must endanger Allied territory or a defended asset; a threat to non-Allied
    territory only where :attr:`EngagementRules.engage_non_allied` allows it, and never a
    threat to no land;
  - a unit with assigned assets (``defends``) engages threats to those assets or (area
    defence) threats more likely than not to fall on Allied land; a unit with none, any
    permitted threat;
  - ``hold``: self-defence only (predicted impact within ``self_defence_radius_m`` of the
    unit); ``tight``: threats evaluated hostile, after the operations centre's engagement
    authorisation; ``free``: any permitted threat, without waiting for the authorisation.

  :meth:`EngagementAuthority.value` is a threat's defended value for weapon-target
  assignment: its value at risk (defended assets), or at least ``allied_territory_value``
  times its probability of impact on Allied land.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

import numpy as np

from bmdsim.assessment.types import ThreatCategory
from bmdsim.engagement.events import PostureChanged, WeaponControlChanged
from bmdsim.engagement.threats import ThreatReport
from bmdsim.scenario.schema import (
    DEFAULT_POSTURE_LEVELS,
    DecisionDelays,
    PostureLevel,
    PostureLevelSpec,
    WeaponControl,
)

#: Decisions whose delays the posture scales (fields of :class:`bmdsim.scenario.DecisionDelays`).
DECISIONS = ("threat_evaluation_s", "engagement_authorisation_s", "kill_assessment_s")


class PostureState:
    """The posture level over time and what it implies (see the module docstring)."""

    def __init__(
        self,
        *,
        initial: PostureLevel = PostureLevel.NORMAL,
        levels: Mapping[PostureLevel, PostureLevelSpec] | None = None,
        changes: Iterable[tuple[float, PostureLevel, str]] = (),
        decision_delays: DecisionDelays | None = None,
        cueing_levels: Iterable[PostureLevel] = (PostureLevel.HEIGHTENED, PostureLevel.HIGH),
        source: str = "",
    ) -> None:
        self.levels = {**DEFAULT_POSTURE_LEVELS, **(levels or {})}
        self.decision_delays = DecisionDelays() if decision_delays is None else decision_delays
        self.cueing_levels = frozenset(PostureLevel(c) for c in cueing_levels)
        self.source = source
        self._initial = PostureLevel(initial)
        self._times: list[float] = []
        self._changes: list[tuple[float, PostureLevel, str, str]] = []
        self._reported = 0  # changes already reported as events
        self._previous = self._initial
        for t, level, note in changes:
            self.command(t, level, note=note, source=source)

    @classmethod
    def from_scenario(cls, scenario, *, source: str | None = None, **kwargs) -> PostureState:
        """The scenario's posture (initial level, level table, timed changes) and decision
        delays; ``source``: who sets it (default: the first C2 node, else ``posture``)."""
        if source is None:
            source = scenario.c2.nodes[0].id if scenario.c2.nodes else "posture"
        p = scenario.posture
        return cls(
            initial=p.initial,
            levels=p.levels,
            changes=[(c.time_s, c.level, c.note) for c in p.changes],
            decision_delays=scenario.c2.decision_delays,
            source=source,
            **kwargs,
        )

    def command(self, t_s: float, level, *, note: str = "", source: str = "operator") -> None:
        """Set the posture to ``level`` from ``t_s`` on (an operator command or a timed
        change). Commands for times already reported are not allowed."""
        level = PostureLevel(level)
        if self._reported and t_s < self._changes[self._reported - 1][0]:
            raise ValueError("a posture change cannot precede one already in force")
        k = bisect.bisect_right(self._times, t_s)
        self._times.insert(k, float(t_s))
        self._changes.insert(k, (float(t_s), level, note, source))

    def advance(self, t_s: float) -> list[PostureChanged]:
        """Events for the changes that took effect up to ``t_s`` (each once)."""
        events: list[PostureChanged] = []
        while self._reported < len(self._changes) and self._changes[self._reported][0] <= t_s:
            t, level, note, source = self._changes[self._reported]
            self._reported += 1
            if level != self._previous:
                events.append(
                    PostureChanged(
                        time_s=t,
                        source=source or self.source,
                        subject=str(level),
                        level=str(level),
                        previous=str(self._previous),
                        note=note,
                    )
                )
            self._previous = level
        return events

    def next_change_s(self) -> float:
        """Time of the next change not yet in force (inf if none)."""
        if self._reported < len(self._changes):
            return self._changes[self._reported][0]
        return math.inf

    def level_at(self, t_s: float) -> PostureLevel:
        k = bisect.bisect_right(self._times, t_s)
        return self._initial if k == 0 else self._changes[k - 1][1]

    def spec_at(self, t_s: float) -> PostureLevelSpec:
        return self.levels[self.level_at(t_s)]

    def decision_delay_s(self, decision: str, t_s: float) -> float:
        """Delay [s] of ``decision`` (one of :data:`DECISIONS`) taken at ``t_s``."""
        if decision not in DECISIONS:
            raise ValueError(f"unknown decision {decision!r}; one of {DECISIONS}")
        base = float(getattr(self.decision_delays, decision))
        return base * self.spec_at(t_s).decision_delay_multiplier

    def readiness_multiplier(self, t_s: float) -> float:
        return float(self.spec_at(t_s).readiness_multiplier)

    def readiness_multipliers(self, t_s) -> np.ndarray:
        """:meth:`readiness_multiplier` at an array of times (same shape)."""
        t = np.asarray(t_s, dtype=float)
        table = np.array(
            [self.levels[self._initial].readiness_multiplier]
            + [self.levels[c[1]].readiness_multiplier for c in self._changes],
            dtype=float,
        )
        return table[np.searchsorted(np.asarray(self._times, dtype=float), t, side="right")]

    def cues_sensors_on_alert(self, t_s: float) -> bool:
        return self.level_at(t_s) in self.cueing_levels


class WeaponControlState:
    """Each fire unit's weapon control status over time (operator commands)."""

    def __init__(self, initial: Mapping[str, WeaponControl]) -> None:
        self._initial = {u: WeaponControl(s) for u, s in initial.items()}
        self._changes: dict[str, list[tuple[float, WeaponControl, str]]] = {u: [] for u in initial}
        self._pending: list[tuple[float, str, WeaponControl, str]] = []
        self._revision = 0
        self._latest_s = -math.inf

    @classmethod
    def from_scenario(cls, scenario) -> WeaponControlState:
        return cls({fu.id: fu.weapon_control for fu in scenario.fire_units})

    @property
    def fire_units(self) -> tuple[str, ...]:
        return tuple(self._initial)

    def command(self, t_s: float, fire_unit: str, status, *, source: str = "operator") -> None:
        """Set ``fire_unit``'s status from ``t_s`` on."""
        if fire_unit not in self._initial:
            raise KeyError(f"unknown fire unit {fire_unit!r}; known: {sorted(self._initial)}")
        self._pending.append((float(t_s), fire_unit, WeaponControl(status), source))
        self._pending.sort(key=lambda c: c[0])

    def advance(self, t_s: float) -> list[WeaponControlChanged]:
        """Apply the commands due by ``t_s``; events for the actual changes."""
        events: list[WeaponControlChanged] = []
        while self._pending and self._pending[0][0] <= t_s:
            t, unit, status, source = self._pending.pop(0)
            previous = self.status_at(unit, t)
            self._changes[unit].append((t, status, source))
            self._revision += 1
            self._latest_s = max(self._latest_s, t)
            if status != previous:
                events.append(
                    WeaponControlChanged(
                        time_s=t,
                        source=source,
                        subject=unit,
                        status=str(status),
                        previous=str(previous),
                    )
                )
        return events

    def next_change_s(self) -> float:
        """Time of the next command not yet applied (inf if none)."""
        return self._pending[0][0] if self._pending else math.inf

    @property
    def revision(self) -> tuple[int, float]:
        """How many changes have been applied and the latest of their times [s]: while it
        is the same, :meth:`status_at` gives the same status at any time at or after that
        latest time."""
        return self._revision, self._latest_s

    def status_at(self, fire_unit: str, t_s: float) -> WeaponControl:
        status = self._initial[fire_unit]
        for t, s, _ in self._changes[fire_unit]:
            if t <= t_s:
                status = s
        return status


@dataclass(frozen=True, slots=True, kw_only=True)
class EngagementRules:
    """Rules of engagement (see the module docstring)."""

    #: Engage threats whose predicted impact is on non-Allied land.
    engage_non_allied: bool = False
    #: ``hold``: engage only threats predicted to fall this close to the unit [m].
    self_defence_radius_m: float = 25_000.0
    #: Value of a certain impact on Allied land away from any defended asset.
    allied_territory_value: float = 1.0
    #: Value of a certain impact on non-Allied land (when such threats may be engaged).
    non_allied_value: float = 0.5


#: Categories whose threats may always be engaged, and the one the rules may allow (module
#: constants: an enum member's lookup costs more than the test).
_ALWAYS_ENGAGED = frozenset({ThreatCategory.DEFENDED_ASSET, ThreatCategory.ALLIED_TERRITORY})
_NON_ALLIED = ThreatCategory.NON_ALLIED_TERRITORY


class EngagementAuthority:
    """Decides whether a fire unit may engage a threat, and what the threat is worth."""

    def __init__(self, rules: EngagementRules | None = None) -> None:
        self.rules = EngagementRules() if rules is None else rules

    def category_permitted(self, threat: ThreatReport) -> bool:
        c = threat.category
        if c in _ALWAYS_ENGAGED:
            return True
        return c == _NON_ALLIED and self.rules.engage_non_allied

    def permits(
        self,
        threat: ThreatReport,
        *,
        status: WeaponControl,
        defends: tuple[str, ...] = (),
        unit_position_ecef=None,
        authorised: bool = False,
    ) -> tuple[bool, str]:
        """``(allowed, reason)`` for a unit with weapon control ``status``, assigned assets
        ``defends``, at ``unit_position_ecef`` (for self-defence), when the operations centre
        has (``authorised``) or has not yet authorised engagements of the threat."""
        status = WeaponControl(status)
        if threat.spent_stage:
            return False, "spent stage (discriminated, not a threat to engage)"
        if status == WeaponControl.HOLD:
            if unit_position_ecef is None or not math.isfinite(threat.impact_lat_deg):
                return False, "weapons hold"
            from bmdsim.earth.frames import geodetic_to_ecef

            impact = geodetic_to_ecef(threat.impact_lat_deg, threat.impact_lon_deg, 0.0)
            d = float(np.linalg.norm(impact - np.asarray(unit_position_ecef, float)))
            if d > self.rules.self_defence_radius_m:
                return False, "weapons hold (no self-defence threat)"
            return True, ""
        if not self.category_permitted(threat):
            return False, f"rules of engagement: {threat.category.label}"
        if status == WeaponControl.TIGHT:
            if not threat.hostile:
                return False, "weapons tight: not evaluated hostile"
            if not authorised:
                return False, "weapons tight: awaiting engagement authorisation"
        if (
            defends
            and threat.category == ThreatCategory.DEFENDED_ASSET
            and not set(defends) & set(threat.threatened_assets)
            and threat.p_allied < 0.5
        ):
            return False, "threat to assets the unit does not defend"
        return True, ""

    def value(self, threat: ThreatReport) -> float:
        """Defended value of a threat (see the module docstring)."""
        v = max(threat.value_at_risk, self.rules.allied_territory_value * threat.p_allied)
        if self.rules.engage_non_allied:
            v += self.rules.non_allied_value * threat.p_non_allied
        return float(v)


__all__ = [
    "DECISIONS",
    "EngagementAuthority",
    "EngagementRules",
    "PostureState",
    "WeaponControlState",
]
