"""The reference run's tracking, end to end through the engine: one system track per object.

The scenario ``dortyol-2026-03-04`` (seed 0) to 360 s: space IR detects the boost and starts
a track by stereo triangulation; the Kürecik radar and then the ship's radar take it over
(cued by the track); at burnout the RV and the spent stage separate and are two objects.
Truth is used here only to score the tracks.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pytest

import bmdsim
from bmdsim.sim.engine import Simulation

#: A track within this distance of a true object holds it [m].
HOLD_M = 5_000.0
#: Time after separation for the two objects to be resolved (radar range resolution) [s].
RESOLVE_S = 10.0
END_S = 360.0


@pytest.fixture(scope="module")
def reference_run():
    sim = Simulation(bmdsim.load_scenario("dortyol-2026-03-04"), seed=0)
    sim.advance(END_S)
    return sim


def _holders(sim):
    """``{time: {object label: set of confirmed track ids within HOLD_M}}`` from the
    engine's track samples, and the confirmed ids that hold no object at some sample."""
    flight = sim.flights["T1"]
    labels = [o.label for o in flight.objects]
    rows = defaultdict(list)
    for r in sim.track_rows:
        if r[2] == 1:  # confirmed
            rows[r[0]].append((r[1], np.array(r[6:9])))
    held, stray = {}, set()
    for t, tracks in sorted(rows.items()):
        truth = flight.state_at(np.array([t]))[0][:, :3]
        held[t] = {lab: set() for lab in labels}
        for tid, pos in tracks:
            d = np.linalg.norm(truth - pos, axis=1)
            if not np.isfinite(d).any() or np.nanmin(d) > HOLD_M:
                stray.add((t, tid))
                continue
            held[t][labels[int(np.nanargmin(d))]].add(tid)
    return held, stray


def test_rv_keeps_one_track_from_ir_through_radar_handover_and_each_object_has_one(
    reference_run,
):
    sim = reference_run
    events = sim.log.events()
    first = {}
    for e in events:
        if e.kind == "detection" and e.subject == "T1":
            first.setdefault(e.source, e.time_s)
    confirmed = [(e.time_s, int(e.subject)) for e in events if e.kind == "track_confirmed"]
    deleted = {int(e.subject): e.time_s for e in events if e.kind == "track_deleted"}
    flight = sim.flights["T1"]
    separation_s = min(b.start.t_s for b in flight.boosters)
    radar_first = [t for s, t in first.items() if not s.startswith("sbirs")]
    ir_first = [t for s, t in first.items() if s.startswith("sbirs")]
    held, stray = _holders(sim)

    print(
        "\nfirst detections:",
        {s: round(t, 1) for s, t in sorted(first.items(), key=lambda x: x[1])},
    )
    print("separation at", round(separation_s, 1), "s")
    print(
        "confirmed tracks:", [(round(t, 1), i, sim.track_threat.get(i, "")) for t, i in confirmed]
    )
    print(
        "deleted confirmed tracks:", {i: round(deleted[i], 1) for _, i in confirmed if i in deleted}
    )
    spans = defaultdict(list)
    for t, objs in held.items():
        for lab, ids in objs.items():
            for i in ids:
                spans[(lab, i)].append(t)
    for (lab, i), ts in sorted(spans.items(), key=lambda x: x[1][0]):
        print(
            f"  track {i} holds T1/{lab} from {ts[0]:.0f} s to {ts[-1]:.0f} s ({len(ts)} samples)"
        )

    # the order of the story: IR first, both radars before separation
    assert ir_first and len(radar_first) >= 2, f"first detections {first}"
    assert max(ir_first) < min(radar_first) < max(radar_first) < separation_s

    # no confirmed false track: every confirmation is labelled with the threat
    labels = {i: sim.track_threat.get(i, "") for _, i in confirmed}
    assert all(v == "T1" for v in labels.values()), f"confirmed tracks and labels {labels}"
    assert not stray, f"confirmed tracks holding no object (time, id): {sorted(stray)[:10]}"

    # the IR track: confirmed before any radar detection, holds the RV (the whole missile
    # until separation) alone through both radar handovers
    ir_track_t, ir_track = confirmed[0]
    assert ir_track_t < min(radar_first), f"first confirmation at {ir_track_t:.1f} s"
    handover = [t for t in held if ir_track_t + 2.0 <= t < separation_s]
    assert handover and max(handover) > max(radar_first), "samples through the handovers"
    bad = {t: held[t]["rv"] for t in handover if held[t]["rv"] != {ir_track}}
    assert not bad, (
        f"the RV's confirmed tracks at IR-to-radar handover times (want {ir_track}): {bad}"
    )
    assert ir_track not in deleted, f"track {ir_track} deleted at {deleted.get(ir_track)} s"

    # after separation: one track per object, the IR track continuing on one of them, at
    # most one new track per separated object, none dropped
    separated = [o.label for o in flight.objects if o.label != "rv"]
    assert len(confirmed) <= 1 + len(separated), f"confirmed tracks {confirmed}"
    resolved = [t for t in held if t >= separation_s + RESOLVE_S]
    assert resolved and max(resolved) >= END_S - 2.0
    owners = {}
    for lab in ["rv", *separated]:
        ids = {frozenset(held[t][lab]) for t in resolved}
        assert len(ids) == 1 and len(next(iter(ids))) == 1, (
            f"T1/{lab} held by {sorted(map(sorted, ids))} after separation"
        )
        owners[lab] = next(iter(next(iter(ids))))
    assert len(set(owners.values())) == len(owners), f"one track per object: {owners}"
    assert ir_track in owners.values(), f"the IR track continues on one object: {owners}"
    assert not any(i in deleted for i in owners.values()), f"deleted: {deleted}"
