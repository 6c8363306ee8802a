"""Engagement events: typed, timestamped records of every step the engagement layer takes.

Every event has ``time_s`` (seconds since the scenario epoch), ``source`` (who acted: a C2
endpoint, fire unit or interceptor id), ``subject`` (what it is about: a threat, message or
interceptor id) and a ``kind`` matching :class:`bmdsim.sim.events.EventKind`; :meth:`text`
is one human-readable line and :meth:`data` the remaining fields (SI units, degrees where
named ``*_deg``). The engine turns them into its event log.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, fields

_COMMON = ("time_s", "source", "subject", "kind")


@dataclass(frozen=True, slots=True, kw_only=True)
class EngagementEvent:
    """Fields every engagement event has (see the module docstring)."""

    time_s: float
    source: str = ""
    subject: str = ""

    def data(self) -> dict:
        """The event's own fields (everything but time, source, subject and kind)."""
        return {f.name: getattr(self, f.name) for f in fields(self) if f.name not in _COMMON}

    def text(self) -> str:
        return f"{self.kind} {self.subject}".strip()  # type: ignore[attr-defined]


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageSent(EngagementEvent):
    """A C2 message left its sender (``subject``: the message id)."""

    message_kind: str
    target: str
    threat_id: str = ""
    route: tuple[str, ...] = ()
    kind: str = "message_sent"

    def text(self) -> str:
        return f"{self.source} sent {self.message_kind} to {self.target}"


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageReceived(EngagementEvent):
    """A C2 message reached its addressee (``source``: the addressee)."""

    message_kind: str
    sender: str
    sent_s: float
    threat_id: str = ""
    attempts: int = 1
    kind: str = "message_received"

    @property
    def latency_s(self) -> float:
        return self.time_s - self.sent_s

    def data(self) -> dict:
        return {**EngagementEvent.data(self), "latency_s": self.latency_s}

    def text(self) -> str:
        return (
            f"{self.source} received {self.message_kind} from {self.sender} "
            f"after {self.latency_s:.1f} s"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class MessageLost(EngagementEvent):
    """One transmission of a message was lost on a link (``source``: the link's sending end).

    ``retry_s`` is when it is sent again, or NaN when it is given up (``final``)."""

    message_kind: str
    link: str
    attempt: int
    retry_s: float
    final: bool
    reason: str = "link loss"
    threat_id: str = ""
    kind: str = "message_lost"

    def text(self) -> str:
        what = "given up" if self.final else f"retry at {self.retry_s:.1f} s"
        return f"{self.message_kind} lost on {self.link} (attempt {self.attempt}, {what}): {self.reason}"


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertSent(EngagementEvent):
    """The operations centre alerted a fire unit of a threat (``subject``: threat id)."""

    fire_unit_id: str
    category: str
    kind: str = "alert_sent"

    def text(self) -> str:
        return f"{self.source} alerted {self.fire_unit_id} of {self.subject} ({self.category})"


@dataclass(frozen=True, slots=True, kw_only=True)
class AlertReceived(EngagementEvent):
    """A fire unit received an alert (``source``: the fire unit)."""

    sent_s: float
    kind: str = "alert_received"

    def text(self) -> str:
        return f"{self.source} alerted of {self.subject}"


@dataclass(frozen=True, slots=True, kw_only=True)
class PostureChanged(EngagementEvent):
    """The defence posture changed (``subject``: the new level)."""

    level: str
    previous: str
    note: str = ""
    kind: str = "posture_changed"

    def text(self) -> str:
        extra = f": {self.note}" if self.note else ""
        return f"posture {self.previous} -> {self.level}{extra}"


@dataclass(frozen=True, slots=True, kw_only=True)
class WeaponControlChanged(EngagementEvent):
    """A fire unit's weapon control status changed (``subject``: the fire unit)."""

    status: str
    previous: str
    kind: str = "weapon_control_changed"

    def text(self) -> str:
        return f"{self.subject} weapons {self.previous} -> {self.status}"


@dataclass(frozen=True, slots=True, kw_only=True)
class EngagementPlanned(EngagementEvent):
    """The battle manager planned (or ruled out) an engagement of a threat by a fire unit.

    Times in seconds since the epoch (NaN where there is no window); ``shots``: rounds
    assigned (0: not assigned); ``doctrine``: ``shoot-look-shoot`` or ``salvo``."""

    fire_unit_id: str
    feasible: bool
    shots: int
    doctrine: str
    earliest_launch_s: float
    latest_launch_s: float
    launch_s: float
    intercept_s: float
    intercept_lat_deg: float
    intercept_lon_deg: float
    intercept_alt_m: float
    reason: str = ""
    kind: str = "engagement_planned"

    def text(self) -> str:
        if not self.feasible:
            return f"{self.fire_unit_id} cannot engage {self.subject}: {self.reason}"
        if self.shots == 0:
            why = f" ({self.reason})" if self.reason else ""
            return f"{self.fire_unit_id} could engage {self.subject}, not assigned{why}"
        return (
            f"{self.fire_unit_id} to engage {self.subject} with {self.shots} round(s), launch "
            f"{self.launch_s:.0f} s, intercept {self.intercept_s:.0f} s at "
            f"{self.intercept_alt_m / 1e3:.0f} km"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class EngageOrderIssued(EngagementEvent):
    """The operations centre ordered a fire unit to engage (``subject``: threat id)."""

    fire_unit_id: str
    shots: int
    launch_s: float
    order_id: int
    kind: str = "engage_order"

    def text(self) -> str:
        return f"{self.source} ordered {self.fire_unit_id} to engage {self.subject} ({self.shots} round(s))"


@dataclass(frozen=True, slots=True, kw_only=True)
class EngageOrderRefused(EngagementEvent):
    """A fire unit could not carry out an order (``source``: the fire unit)."""

    order_id: int
    reason: str
    kind: str = "engage_order"

    def text(self) -> str:
        return (
            f"{self.source} cannot carry out order {self.order_id} on {self.subject}: {self.reason}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class InterceptorLaunched(EngagementEvent):
    """An interceptor left its launcher (``source``: fire unit, ``subject``: threat id)."""

    interceptor_id: str
    interceptor_type: str
    lat_deg: float
    lon_deg: float
    azimuth_deg: float
    kick_deg: float
    predicted_intercept_s: float
    predicted_miss_m: float
    kind: str = "interceptor_launched"

    def text(self) -> str:
        return (
            f"{self.source} launched {self.interceptor_id} ({self.interceptor_type}) at "
            f"{self.subject}, predicted intercept {self.predicted_intercept_s:.0f} s"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class InterceptResult(EngagementEvent):
    """End of an interceptor's flight (``source``: interceptor id, ``subject``: threat id).

    ``kind`` is ``intercept`` when the threat was destroyed, ``miss`` otherwise. At a closest
    approach: its time, point and miss distance; ``reason`` says why a flight ended without
    one (``time of flight``, ``target lost``, ``ground``, ``passed``)."""

    fire_unit_id: str
    #: the engine's key of the true target (``ThreatReport.target_key``)
    target_key: int
    killed: bool
    miss_distance_m: float
    kill_probability: float
    lat_deg: float
    lon_deg: float
    alt_m: float
    closing_speed_m_s: float
    time_of_flight_s: float
    divert_used_m_s: float
    reason: str = ""
    kind: str = "miss"

    def text(self) -> str:
        if math.isnan(self.miss_distance_m):
            return f"{self.source} ended without intercepting {self.subject}: {self.reason}"
        verdict = "destroyed" if self.killed else "survived"
        return (
            f"{self.source} passed {self.subject} at {self.miss_distance_m:.2f} m, "
            f"{self.alt_m / 1e3:.0f} km altitude: target {verdict}"
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class KillAssessed(EngagementEvent):
    """A sensor's verdict on an intercept (``source``: the assessing sensor or node)."""

    interceptor_id: str
    assessed_killed: bool
    truth_killed: bool
    kind: str = "kill_assessed"

    @property
    def correct(self) -> bool:
        return self.assessed_killed == self.truth_killed

    def text(self) -> str:
        verdict = "killed" if self.assessed_killed else "not killed"
        return f"{self.source} assessed {self.subject} {verdict} after {self.interceptor_id}"


__all__ = [
    "AlertReceived",
    "AlertSent",
    "EngageOrderIssued",
    "EngageOrderRefused",
    "EngagementEvent",
    "EngagementPlanned",
    "InterceptResult",
    "InterceptorLaunched",
    "KillAssessed",
    "MessageLost",
    "MessageReceived",
    "MessageSent",
    "PostureChanged",
    "WeaponControlChanged",
]
