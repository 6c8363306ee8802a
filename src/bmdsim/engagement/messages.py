"""C2 messages: typed, immutable records exchanged between C2 endpoints.

Every message carries its id, its ``source`` and ``target`` endpoints (a C2 node, sensor,
fire unit or platform id of the scenario), the time it was sent and, once delivered, the time
it was received (:meth:`Message.delivered`). Payloads are plain values (ECEF states as
tuples, SI units, seconds since the scenario epoch).
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass

#: :attr:`Message.kind` per message class (a function of the class's name alone)
_KINDS: dict[type, str] = {}


@dataclass(frozen=True, slots=True, kw_only=True)
class Message:
    """Fields every message has; ``received_s`` is NaN until delivery."""

    message_id: int
    source: str
    target: str
    sent_s: float
    received_s: float = math.nan
    threat_id: str = ""

    @property
    def kind(self) -> str:
        """The message type's name in snake case (``engage_order``, ...)."""
        cls = type(self)
        kind = _KINDS.get(cls)
        if kind is None:
            name = cls.__name__
            kind = _KINDS[cls] = "".join(
                "_" + c.lower() if c.isupper() else c for c in name
            ).lstrip("_")
        return kind

    def delivered(self, received_s: float) -> Message:
        """A copy marked received at ``received_s``."""
        return dataclasses.replace(self, received_s=float(received_s))


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreatAlert(Message):
    """Operations centre to fire unit: a threat is coming (``threat_id``), with its predicted
    impact and the category of what it threatens."""

    category: str
    impact_lat_deg: float
    impact_lon_deg: float
    impact_s: float
    threatened_assets: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True, kw_only=True)
class SensorCue(Message):
    """Operations centre to a sensor: look for the threat at this state (ECEF at ``state_s``)."""

    state: tuple[float, ...]
    state_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class EngageOrder(Message):
    """Operations centre to fire unit: engage ``threat_id`` with ``shots`` rounds.

    ``launch_s`` is the planned first launch (the unit launches then, or as soon as it can);
    ``latest_launch_s`` the end of the window; ``target_state`` the track's estimate (ECEF
    at ``state_s``) the unit's fire control starts from; ``target_key`` the engine's key of
    the true object the track follows."""

    order_id: int
    shots: int
    launch_s: float
    latest_launch_s: float
    intercept_s: float
    target_state: tuple[float, ...]
    state_s: float
    target_key: int
    ballistic_coefficient_kg_m2: float = math.nan
    #: the planned launch controls (the fire control's first guess)
    azimuth_rad: float = math.nan
    kick_rad: float = math.nan


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackUpdate(Message):
    """Operations centre to fire unit: a newer estimate of an engaged threat (for fire control
    and the in-flight target updates of its interceptors)."""

    state: tuple[float, ...]
    state_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class StatusReport(Message):
    """Fire unit to operations centre: rounds left, free channels, weapon control status."""

    inventory: int
    channels_free: int
    weapon_control: str


@dataclass(frozen=True, slots=True, kw_only=True)
class LaunchReport(Message):
    """Fire unit to operations centre: rounds launched at a threat and when they intercept."""

    order_id: int
    interceptor_ids: tuple[str, ...]
    launch_s: float
    predicted_intercept_s: float


@dataclass(frozen=True, slots=True, kw_only=True)
class OrderRefusal(Message):
    """Fire unit to operations centre: an order cannot be carried out, and why."""

    order_id: int
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class KillReport(Message):
    """Kill-assessing sensor to operations centre: its verdict on an interceptor's intercept."""

    interceptor_id: str
    killed: bool
    intercept_s: float


__all__ = [
    "EngageOrder",
    "KillReport",
    "LaunchReport",
    "Message",
    "OrderRefusal",
    "SensorCue",
    "StatusReport",
    "ThreatAlert",
    "TrackUpdate",
]
