"""Full runs: discrimination keeps interceptors off spent stages.

Gulf salvo, the scenario's seed (7, as ``bmdsim run gulf-salvo-notional``): before
discrimination 5 of its 6 interceptors went to "stage 1" objects; now none does (2
interceptors, both at RVs). A track that never got enough radar looks to be classed (an
*unknown* object) may still be engaged: nothing is dismissed without evidence.
"""

from __future__ import annotations

import json

import pandas as pd
import pytest

import bmdsim


@pytest.fixture(scope="module")
def gulf():
    scenario = bmdsim.load_scenario("gulf-salvo-notional")
    return bmdsim.run(scenario, seed=scenario.seed)


def _data(rows):
    return pd.DataFrame([json.loads(d) if isinstance(d, str) else d for d in rows["data"]])


def test_no_interceptor_goes_to_a_spent_stage_in_the_gulf_salvo(gulf):
    targets = [e["target_object"] for t in gulf.summary["threats"] for e in t["engagements"]]
    assert targets, "no engagement at all"
    assert all(x == "rv" for x in targets), targets


def test_threat_events_carry_the_object_class_and_stages_are_not_threats(gulf):
    ev = gulf.events
    rows = ev[ev["kind"].isin(["threat_evaluated", "threat_updated"])]
    df = _data(rows).assign(time_s=rows["time_s"].to_numpy())
    assert set(df["object_class"]) <= {"rv", "spent stage", "unknown"}
    assert {"rv", "spent stage"} <= set(df["object_class"])
    stages = df[df["object_class"] == "spent stage"]
    assert (stages["category"] == "no threat to land").all()
    # no engagement is ordered against a track last classed a spent stage
    orders = ev[ev["kind"] == "engage_order"]
    for t, subject in zip(orders["time_s"], orders["subject"], strict=True):
        tid = int(str(subject).removeprefix("track-"))
        seen = df[(df["track_id"] == tid) & (df["time_s"] <= t)]
        assert seen.empty or seen["object_class"].iloc[-1] != "spent stage", (t, subject)
