"""C2 network: routing, latency and jitter, visible losses and retries, determinism."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bmdsim.engagement.c2 import C2Network, Link
from bmdsim.engagement.events import MessageLost, MessageReceived, MessageSent
from bmdsim.engagement.messages import StatusReport, ThreatAlert


def _alert(net: C2Network, source="ops", target="unit", t=0.0) -> ThreatAlert:
    return ThreatAlert(
        message_id=net.next_message_id(),
        source=source,
        target=target,
        sent_s=t,
        threat_id="T1",
        category="threat to Allied territory",
        impact_lat_deg=36.0,
        impact_lon_deg=36.0,
        impact_s=500.0,
    )


def test_message_arrives_after_latency_plus_jitter_and_every_step_is_an_event():
    net = C2Network([Link(source="ops", target="unit", latency_s=2.0, jitter_s=0.5)], seed=1)
    sent = net.send(_alert(net, t=10.0))
    assert [type(e) for e in sent] == [MessageSent]
    assert net.deliver(12.0 - 1e-9) == ([], [])
    msgs, events = net.deliver(20.0)
    assert len(msgs) == 1 and 12.0 <= msgs[0].received_s <= 12.5
    assert [type(e) for e in events] == [MessageReceived]
    assert events[0].time_s == msgs[0].received_s
    assert events[0].data()["latency_s"] == pytest.approx(msgs[0].received_s - 10.0)


def test_jitter_is_uniform_over_its_interval():
    net = C2Network([Link(source="ops", target="unit", latency_s=1.0, jitter_s=2.0)], seed=3)
    for i in range(2000):
        net.send(_alert(net, t=float(i)))
    msgs, _ = net.deliver(1e9)
    delay = np.array([m.received_s - m.sent_s for m in msgs])
    assert delay.min() >= 1.0 and delay.max() <= 3.0
    # mean of U(1, 3) is 2 with standard error 0.58 / sqrt(2000) = 0.013
    assert abs(delay.mean() - 2.0) < 0.05, f"mean delay {delay.mean():.4f} s"


def test_lost_transmissions_are_retried_visibly_and_never_vanish():
    link = Link(source="ops", target="unit", latency_s=1.0, jitter_s=0.2, loss_probability=0.5)
    net = C2Network([link], seed=7, max_attempts=3)
    n = 400
    for i in range(n):
        net.send(_alert(net, t=float(i)))
    msgs, events = net.deliver(1e9)
    lost = [e for e in events if isinstance(e, MessageLost)]
    given_up = {e.subject for e in lost if e.final}
    delivered = {str(m.message_id) for m in msgs}
    # every message is either delivered or given up with an event, never both, never neither
    assert not given_up & delivered
    assert len(given_up) + len(delivered) == n
    # P(lost 3 times) = 1/8: 50 expected of 400 (binomial sd 6.6)
    assert 25 <= len(given_up) <= 75, f"{len(given_up)} messages given up"
    retried = [e for e in lost if not e.final]
    assert all(e.retry_s == pytest.approx(e.time_s) for e in retried)
    # a retry comes one acknowledgement timeout after the lost transmission
    assert all(math.isnan(e.retry_s) for e in lost if e.final)
    received = [e for e in events if isinstance(e, MessageReceived)]
    assert max(e.attempts for e in received) == 3


def test_retry_waits_for_the_acknowledgement_timeout():
    link = Link(source="ops", target="unit", latency_s=1.0, jitter_s=0.5, loss_probability=1.0)
    net = C2Network([link], seed=0, max_attempts=2, ack_margin_s=0.5)
    net.send(_alert(net, t=100.0))
    _, events = net.deliver(1e9)
    assert [e.attempt for e in events] == [1, 2]
    timeout = 2.0 * (1.0 + 0.5) + 0.5
    assert events[0].time_s == pytest.approx(100.0 + timeout)
    assert events[1].time_s == pytest.approx(100.0 + 2 * timeout) and events[1].final


def test_message_without_route_is_lost_at_once_with_a_reason():
    net = C2Network([Link(source="ops", target="unit", latency_s=1.0)], seed=0)
    events = net.send(_alert(net, target="nowhere", t=5.0))
    assert isinstance(events[-1], MessageLost)
    assert events[-1].final and events[-1].reason == "no route" and events[-1].time_s == 5.0


def test_route_takes_the_least_latency_path_through_relays():
    links = [
        Link(source="radar", target="ops", latency_s=1.0),
        Link(source="ops", target="ship", latency_s=2.0),
        Link(source="radar", target="ship", latency_s=5.0),
        Link(source="ship", target="sm3", latency_s=0.2),
    ]
    net = C2Network(links, seed=0)
    assert [k.id for k in net.route("radar", "sm3")] == ["radar->ops", "ops->ship", "ship->sm3"]
    assert net.mean_delay_s("sm3", "radar") == pytest.approx(3.2)  # bidirectional links
    one_way = C2Network([Link(source="a", target="b", latency_s=1.0, bidirectional=False)])
    assert one_way.route("b", "a") is None and one_way.route("a", "a") == ()
    msg = StatusReport(
        message_id=1,
        source="radar",
        target="sm3",
        sent_s=0.0,
        inventory=3,
        channels_free=1,
        weapon_control="tight",
    )
    net.send(msg)
    delivered, _ = net.deliver(10.0)
    assert delivered[0].received_s == pytest.approx(3.2)


def test_same_seed_same_deliveries_and_links_draw_independently():
    def run(extra_link: bool):
        links = [
            Link(source="ops", target="unit", latency_s=1.0, jitter_s=1.0, loss_probability=0.3)
        ]
        if extra_link:
            links.append(Link(source="ops", target="other", latency_s=1.0, jitter_s=1.0))
        net = C2Network(links, seed=42)
        for i in range(50):
            net.send(_alert(net, t=float(i)))
            if extra_link:
                net.send(_alert(net, target="other", t=float(i)))
        msgs, _ = net.deliver(1e9)
        return sorted(m.received_s for m in msgs if m.target == "unit")

    assert run(False) == run(False)
    # adding a link and traffic on it does not change this link's draws
    assert run(False) == run(True)


def test_network_from_scenario_links_every_fire_unit_to_the_operations_centre():
    from bmdsim.scenario import load_scenario

    sc = load_scenario("dortyol-2026-03-04")
    net = C2Network.from_scenario(sc)
    for fu in sc.fire_units:
        assert math.isfinite(net.mean_delay_s("aircom-bmd", fu.id))
    assert net.mean_delay_s("ddg-spy1", "ddg-sm3") == pytest.approx(0.2)


def test_routes_are_found_once_per_pair_and_again_on_a_new_adjacency():
    links = [
        Link(source="ops", target="relay", latency_s=1.0),
        Link(source="relay", target="unit", latency_s=1.0),
        Link(source="ops", target="unit", latency_s=5.0),
    ]
    net = C2Network(links)
    ends = ["ops", "relay", "unit", "nowhere"]
    for a in ends:
        for b in ends:
            assert net.route(a, b) == net._find_route(a, b)
            assert net.route(a, b) is net.route(a, b) or net.route(a, b) == ()
    assert [k.id for k in net.route("ops", "unit")] == ["ops->relay", "relay->unit"]
    # the adjacency replaced (a link gone): routes are found on it
    net._adjacent = {"ops": [("unit", links[2])], "unit": [("ops", links[2])]}
    assert [k.id for k in net.route("ops", "unit")] == ["ops->unit"]
    assert net.route("ops", "relay") is None


def test_message_kind_is_the_snake_case_class_name_for_every_message_type():
    import re

    from bmdsim.engagement import messages

    for name in dir(messages):
        cls = getattr(messages, name)
        if isinstance(cls, type) and issubclass(cls, messages.Message):
            expected = re.sub(r"(?<!^)([A-Z])", r"_\1", cls.__name__).lower()
            assert cls.kind.fget(object.__new__(cls)) == expected
            assert cls.kind.fget(object.__new__(cls)) == expected  # remembered
