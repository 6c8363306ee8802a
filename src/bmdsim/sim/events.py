"""The event log: every step of the kill chain as a typed, timestamped record.

Each layer emits its own typed events (track confirmed, threat evaluated, alert
sent, interceptor launched, ...). The engine turns them into :class:`Event`
records in one :class:`EventLog`; the timeline, the after-action report and
``events.parquet`` are views of that log.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache

import numpy as np


class EventKind(StrEnum):
    """The kinds of event of a run, in kill-chain order."""

    LAUNCH = "launch"
    BURNOUT = "burnout"
    SENSOR_DOWN = "sensor_down"
    SENSOR_UP = "sensor_up"
    DETECTION = "detection"
    DETECTIONS_LOST = "detections_lost"
    TRACK_INITIATED = "track_initiated"
    TRACK_CONFIRMED = "track_confirmed"
    TRACK_UPDATED = "track_updated"
    TRACK_DELETED = "track_deleted"
    THREAT_EVALUATED = "threat_evaluated"
    THREAT_UPDATED = "threat_updated"
    THREAT_CATEGORY_CHANGED = "threat_category_changed"
    IMPACT_COUNTRY_CHANGED = "impact_country_changed"
    LAUNCH_POINT_ESTIMATED = "launch_point_estimated"
    MESSAGE_SENT = "message_sent"
    MESSAGE_RECEIVED = "message_received"
    MESSAGE_LOST = "message_lost"
    ALERT_SENT = "alert_sent"
    ALERT_RECEIVED = "alert_received"
    POSTURE_CHANGED = "posture_changed"
    WEAPON_CONTROL_CHANGED = "weapon_control_changed"
    ENGAGEMENT_PLANNED = "engagement_planned"
    ENGAGE_ORDER = "engage_order"
    INTERCEPTOR_LAUNCHED = "interceptor_launched"
    INTERCEPT = "intercept"
    MISS = "miss"
    KILL_ASSESSED = "kill_assessed"
    DEBRIS_IMPACT = "debris_impact"
    THREAT_IMPACT = "threat_impact"
    OPERATOR_COMMAND = "operator_command"


def _plain(value):
    """JSON-safe form of an event datum (numpy scalars/arrays to Python)."""
    if value is None or type(value) in _SCALARS:
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, np.ndarray):
        return value.tolist()
    if isinstance(value, (list, tuple)):
        return [_plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    return value


#: Python types :func:`_plain` returns as they are.
_SCALARS = frozenset({str, float, int, bool})


@cache
def _data_fields(cls) -> tuple[str, ...]:
    """The fields of a layer's event class that :meth:`EventLog.record` puts in ``data``."""
    from dataclasses import fields

    return tuple(
        f.name for f in fields(cls) if f.name not in ("time_s", "kind", "source", "subject")
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Event:
    """One kill-chain event.

    time_s: seconds since the scenario epoch; kind: :class:`EventKind`;
    source: who acted (sensor, tracker, node, fire unit id); subject: what it is
    about (threat, track, interceptor id); text: one human-readable line;
    data: further fields (SI units, degrees where named ``*_deg``).
    """

    time_s: float
    kind: EventKind
    source: str = ""
    subject: str = ""
    text: str = ""
    data: dict = field(default_factory=dict)


class EventLog:
    """Append-only, time-ordered log of :class:`Event` records."""

    def __init__(self) -> None:
        self._events: list[Event] = []
        self._sorted = True

    def add(self, time_s: float, kind: EventKind, *, source: str = "", subject: str = "",
            text: str = "", **data) -> Event:
        event = Event(time_s=float(time_s), kind=EventKind(kind), source=str(source),
                      subject=str(subject), text=text, data=_plain(data))
        if self._events and event.time_s < self._events[-1].time_s:
            self._sorted = False
        self._events.append(event)
        return event

    def record(self, layer_event, *, source: str = "", subject: str = "", text: str = "") -> Event:
        """Log a layer's typed event (a dataclass with ``time_s`` and ``kind``); its other
        fields become the event's data."""
        data = {name: getattr(layer_event, name) for name in _data_fields(type(layer_event))}
        return self.add(layer_event.time_s, EventKind(layer_event.kind), source=source,
                        subject=subject, text=text, **data)

    def __len__(self) -> int:
        return len(self._events)

    def __iter__(self):
        return iter(self.events())

    def events(self) -> list[Event]:
        """All events sorted by time (stable: same-time events keep their order)."""
        if not self._sorted:
            self._events.sort(key=lambda e: e.time_s)
            self._sorted = True
        return list(self._events)

    def first(self, kind: EventKind, **match) -> Event | None:
        """The earliest event of ``kind`` whose fields/data equal ``match``."""
        for e in self.events():
            if e.kind != kind:
                continue
            if all(getattr(e, k, e.data.get(k)) == v for k, v in match.items()):
                return e
        return None

    def to_frame(self):
        """The log as a pandas DataFrame: time_s, kind, source, subject, text, data (JSON)."""
        import pandas as pd

        ev = self.events()
        return pd.DataFrame(
            {
                "time_s": np.array([e.time_s for e in ev], dtype=float),
                "kind": pd.Series([str(e.kind) for e in ev], dtype="string"),
                "source": pd.Series([e.source for e in ev], dtype="string"),
                "subject": pd.Series([e.subject for e in ev], dtype="string"),
                "text": pd.Series([e.text for e in ev], dtype="string"),
                "data": pd.Series(
                    [json.dumps(e.data, sort_keys=True) for e in ev], dtype="string"
                ),
            }
        )
