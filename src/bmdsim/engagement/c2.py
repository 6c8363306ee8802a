"""The C2 network: messages between endpoints over links with latency, jitter and loss.

Endpoints are the ids the scenario's ``c2.links`` join (C2 nodes, sensors, fire units,
platforms). A message travels along the route of least mean latency (Dijkstra over
``latency + jitter / 2``), hop by hop, relays forwarding at once. On each hop a transmission
takes ``latency_s`` plus a uniform draw in ``[0, jitter_s]`` and is lost with probability
``loss_probability``; the sending end notices a loss when the acknowledgement does not come
within its timeout (``2 (latency + jitter) + ack_margin_s``) and sends again, up to
``max_attempts`` transmissions per hop. Each loss is a :class:`MessageLost` event (with the
retry time, or ``final`` when the message is given up, and then the sender learns it:
:meth:`C2Network.given_up`); a message with no route is lost at once. Nothing disappears
silently.

Every random draw comes from one stream per link, ``bmdsim.core.random.stream(seed, "c2",
link_id)``, made when the message is sent, so a run is reproducible and adding a link never
changes another link's draws. The network is steppable: :meth:`C2Network.send` schedules,
:meth:`C2Network.deliver` hands over what has arrived by a given time.
"""

from __future__ import annotations

import heapq
import itertools
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from bmdsim.core.random import stream
from bmdsim.engagement.events import EngagementEvent, MessageLost, MessageReceived, MessageSent
from bmdsim.engagement.messages import Message


@dataclass(frozen=True, slots=True, kw_only=True)
class Link:
    """A message path between two endpoints (see the module docstring)."""

    source: str
    target: str
    latency_s: float
    jitter_s: float = 0.0
    loss_probability: float = 0.0
    bidirectional: bool = True

    @property
    def id(self) -> str:
        return f"{self.source}->{self.target}"

    @property
    def mean_delay_s(self) -> float:
        return self.latency_s + 0.5 * self.jitter_s

    @property
    def timeout_s(self) -> float:
        """Longest a delivered transmission can take, there and back [s]."""
        return 2.0 * (self.latency_s + self.jitter_s)


class C2Network:
    """Links between endpoints and the messages in transit (see the module docstring)."""

    def __init__(
        self,
        links: Iterable[Link],
        *,
        seed: int = 0,
        max_attempts: int = 4,
        ack_margin_s: float = 0.5,
    ) -> None:
        if max_attempts < 1:
            raise ValueError("max_attempts must be >= 1")
        self.links: tuple[Link, ...] = tuple(links)
        self.seed = int(seed)
        self.max_attempts = int(max_attempts)
        self.ack_margin_s = float(ack_margin_s)
        self._rng = {link.id: stream(self.seed, "c2", link.id) for link in self.links}
        self._adjacent: dict[str, list[tuple[str, Link]]] = {}
        for link in self.links:
            self._adjacent.setdefault(link.source, []).append((link.target, link))
            if link.bidirectional:
                self._adjacent.setdefault(link.target, []).append((link.source, link))
        # routes found, per (source, target), on the adjacency they were found on
        self._routes: dict[tuple[str, str], tuple[Link, ...] | None] = {}
        self._routes_of: dict[str, list[tuple[str, Link]]] = self._adjacent
        self._queue: list[tuple[float, int, str, object]] = []
        self._given_up: list[Message] = []
        self._seq = itertools.count()
        self._ids = itertools.count(1)

    @classmethod
    def from_scenario(cls, scenario, *, seed: int | None = None, **kwargs) -> C2Network:
        """The links of ``scenario.c2`` (seed: the scenario's unless given)."""
        links = [
            Link(
                source=k.source,
                target=k.target,
                latency_s=k.latency_s,
                jitter_s=k.jitter_s,
                loss_probability=k.loss_probability,
                bidirectional=k.bidirectional,
            )
            for k in scenario.c2.links
        ]
        return cls(links, seed=scenario.seed if seed is None else seed, **kwargs)

    # ------------------------------------------------------------------ routing
    @property
    def endpoints(self) -> frozenset[str]:
        return frozenset(self._adjacent)

    def route(self, source: str, target: str) -> tuple[Link, ...] | None:
        """The links of the least-mean-latency path, or None where there is none (found
        once per pair, while the network's adjacency is the same object)."""
        if self._routes_of is not self._adjacent:
            self._routes, self._routes_of = {}, self._adjacent
        key = (source, target)
        try:
            return self._routes[key]
        except KeyError:
            path = self._routes[key] = self._find_route(source, target)
            return path

    def _find_route(self, source: str, target: str) -> tuple[Link, ...] | None:
        """Dijkstra over :attr:`links` by mean delay (see :meth:`route`)."""
        if source == target:
            return ()
        best = {source: 0.0}
        prev: dict[str, tuple[str, Link]] = {}
        heap = [(0.0, source)]
        while heap:
            d, node = heapq.heappop(heap)
            if node == target:
                break
            if d > best.get(node, math.inf):
                continue
            for nxt, link in self._adjacent.get(node, ()):
                nd = d + link.mean_delay_s
                if nd < best.get(nxt, math.inf):
                    best[nxt] = nd
                    prev[nxt] = (node, link)
                    heapq.heappush(heap, (nd, nxt))
        if target not in prev:
            return None
        path: list[Link] = []
        node = target
        while node != source:
            node, link = prev[node]
            path.append(link)
        return tuple(reversed(path))

    def mean_delay_s(self, source: str, target: str) -> float:
        """Mean delivery time along the route [s] (inf where there is none), no losses."""
        path = self.route(source, target)
        return math.inf if path is None else sum(k.mean_delay_s for k in path)

    def next_message_id(self) -> int:
        return next(self._ids)

    # ------------------------------------------------------------------ sending
    def send(self, message: Message) -> list[EngagementEvent]:
        """Schedule ``message`` (sent at ``message.sent_s``); returns the send event (and the
        loss event where there is no route). Every draw for its journey is made now."""
        t = float(message.sent_s)
        path = self.route(message.source, message.target)
        events: list[EngagementEvent] = [
            MessageSent(
                time_s=t,
                source=message.source,
                subject=str(message.message_id),
                message_kind=message.kind,
                target=message.target,
                threat_id=message.threat_id,
                route=() if path is None else tuple(k.id for k in path),
            )
        ]
        if path is None:
            events.append(
                MessageLost(
                    time_s=t,
                    source=message.source,
                    subject=str(message.message_id),
                    message_kind=message.kind,
                    link=f"{message.source}->{message.target}",
                    attempt=1,
                    retry_s=math.nan,
                    final=True,
                    reason="no route",
                    threat_id=message.threat_id,
                )
            )
            return events
        node = message.source
        attempts_total = 0
        for link in path:
            nxt = link.target if node == link.source else link.source
            rng = self._rng[link.id]
            timeout = link.timeout_s + self.ack_margin_s
            arrived = False
            for attempt in range(1, self.max_attempts + 1):
                attempts_total += 1
                lost = rng.random() < link.loss_probability
                delay = link.latency_s + rng.uniform(0.0, link.jitter_s)
                if not lost:
                    t += delay
                    arrived = True
                    break
                final = attempt == self.max_attempts
                retry = t + timeout
                if final:
                    self._push(retry, "given_up", message)
                self._push(
                    retry,
                    "event",
                    MessageLost(
                        time_s=retry,
                        source=node,
                        subject=str(message.message_id),
                        message_kind=message.kind,
                        link=link.id,
                        attempt=attempt,
                        retry_s=math.nan if final else retry,
                        final=final,
                        threat_id=message.threat_id,
                    ),
                )
                t = retry
            if not arrived:
                return events
            node = nxt
        self._push(t, "message", (message.delivered(t), attempts_total))
        return events

    def _push(self, t: float, kind: str, payload: object) -> None:
        heapq.heappush(self._queue, (t, next(self._seq), kind, payload))

    def deliver(self, until_s: float) -> tuple[list[Message], list[EngagementEvent]]:
        """Messages that have reached their addressee by ``until_s`` (in order of arrival,
        each with its ``received_s``) and the events of that time (receptions, losses)."""
        messages: list[Message] = []
        events: list[EngagementEvent] = []
        while self._queue and self._queue[0][0] <= until_s:
            t, _, kind, payload = heapq.heappop(self._queue)
            if kind == "event":
                events.append(payload)  # type: ignore[arg-type]
                continue
            if kind == "given_up":
                self._given_up.append(payload)  # type: ignore[arg-type]
                continue
            msg, attempts = payload  # type: ignore[misc]
            messages.append(msg)
            events.append(
                MessageReceived(
                    time_s=t,
                    source=msg.target,
                    subject=str(msg.message_id),
                    message_kind=msg.kind,
                    sender=msg.source,
                    sent_s=msg.sent_s,
                    threat_id=msg.threat_id,
                    attempts=attempts,
                )
            )
        return messages, events

    def given_up(self) -> list[Message]:
        """Messages given up (after their last lost transmission) by the last
        :meth:`deliver`s, for their senders to act on; each is returned once."""
        out, self._given_up = self._given_up, []
        return out

    @property
    def in_transit(self) -> int:
        """Scheduled deliveries and loss events not yet handed over."""
        return len(self._queue)

    def next_time_s(self) -> float:
        """Time of the next scheduled delivery or loss (inf if none)."""
        return self._queue[0][0] if self._queue else math.inf


def send_all(network: C2Network, messages: Sequence[Message]) -> list[EngagementEvent]:
    """Send several messages; their events in order."""
    out: list[EngagementEvent] = []
    for m in messages:
        out.extend(network.send(m))
    return out


__all__ = ["C2Network", "Link", "send_all"]
