"""End-to-end runs of the engine: the reference scenario and its failure variants.

Reference: the public account of 4 March 2026 (``shared/reference/event-2026-03-04.md``):
the missile crossed Iraqi and Syrian airspace toward Türkiye, NATO identified it, confirmed
its trajectory, alerted land- and sea-based systems and launched an interceptor "in less than
10 minutes"; a sea-based interceptor from the Eastern Mediterranean defeated it and debris
fell in Dörtyol (Hatay).
"""

from __future__ import annotations

import itertools
import json
from importlib import resources

import numpy as np
import pytest
import yaml

import bmdsim
from bmdsim.earth import geodetic_to_ecef
from bmdsim.io.files import summary_json
from bmdsim.scenario import Scenario
from bmdsim.sim import Simulation

DORTYOL = (36.84, 36.23)  # reference/places.md


def _reference_mapping() -> dict:
    text = resources.files("bmdsim.scenario").joinpath("data/dortyol-2026-03-04.yaml").read_text()
    return yaml.safe_load(text)


@pytest.fixture(scope="module")
def reference():
    return bmdsim.run(bmdsim.load_scenario("dortyol-2026-03-04"), seed=0)


def _first_appearances(codes):
    seen = []
    for c in codes:
        if c not in seen:
            seen.append(c)
    return seen


def _distance_to_polygon_m(geojson: dict, lat_deg: float, lon_deg: float) -> float:
    """Distance [m] from a point to a GeoJSON polygon (0 inside), in the local ENU plane."""
    from shapely.geometry import Point, Polygon

    from bmdsim.earth import ecef_to_enu

    ring = np.asarray(geojson["coordinates"][0], dtype=float)  # (lon, lat)
    enu = ecef_to_enu(geodetic_to_ecef(ring[:, 1], ring[:, 0], 0.0), lat_deg, lon_deg, 0.0)
    return float(Polygon(enu[:, :2]).distance(Point(0.0, 0.0)))


def test_reference_threat_overflies_iran_iraq_syria_then_turkiye(reference):
    codes = reference.summary["threats"][0]["overflown_countries"]
    assert _first_appearances(codes)[:4] == ["IRN", "IRQ", "SYR", "TUR"], codes


def test_reference_predicted_impact_at_first_evaluation_is_in_turkiye(reference):
    predicted = reference.summary["threats"][0]["predicted_impact"]
    assert predicted is not None and predicted["country"] == "TUR", predicted


def test_reference_threat_is_intercepted_by_the_destroyers_sm3(reference):
    t = reference.summary["threats"][0]
    assert t["intercepted"], t["intercept"]
    assert t["intercept"]["fire_unit"] == "ddg-sm3" and t["intercept"]["interceptor"] == "sm-3-ib"
    assert t["impact"] is None
    print(f"intercept: {t['intercept']}")


def test_reference_debris_footprint_lies_within_25_km_of_dortyol(reference):
    debris = reference.summary["threats"][0]["debris"]
    d = _distance_to_polygon_m(debris["footprint_geojson"], *DORTYOL)
    assert d <= 25_000.0, f"footprint {d / 1e3:.1f} km from Dörtyol; places {debris['places']}"
    assert "TUR" in debris["countries"]
    print(f"footprint distance to Dörtyol: {d / 1e3:.1f} km; places {debris['places'][:3]}")


def test_reference_first_detection_to_interceptor_launch_under_ten_minutes(reference):
    tl = reference.summary["timeline"]
    elapsed = tl["interceptor_launch"] - tl["first_detection"]
    assert 0.0 < elapsed < 600.0, tl
    order = ["first_detection", "track_confirmed", "threat_evaluated", "alert_sent",
             "engage_order", "interceptor_launch", "intercept"]
    times = [tl[k] for k in order]
    assert all(a <= b for a, b in itertools.pairwise(times)), tl
    print(f"first detection to interceptor launch: {elapsed:.0f} s; timeline {tl}")


def test_reference_summary_has_every_contract_field(reference):
    s = reference.summary
    for key in ("scenario", "seed", "threats", "timeline", "interceptors_used"):
        assert key in s
    t = s["threats"][0]
    for key in ("id", "missile", "launch", "aim", "overflown_countries", "predicted_impact",
                "launch_point_estimate", "intercepted", "intercept", "impact", "debris"):
        assert key in t, key
    for key in ("lat_deg", "lon_deg", "country", "ellipse_major_m", "ellipse_minor_m"):
        assert key in t["predicted_impact"]
    for key in ("countries", "places", "footprint_geojson"):
        assert key in t["debris"]
    assert s["interceptors_used"] >= 1


def test_same_seed_gives_byte_identical_summary(reference):
    again = bmdsim.run(bmdsim.load_scenario("dortyol-2026-03-04"), seed=0)
    assert summary_json(again.summary) == summary_json(reference.summary)


def test_no_fire_unit_in_range_reports_a_leaker_with_impact_and_places():
    data = _reference_mapping()
    data["fire_units"] = [u for u in data["fire_units"] if u["id"].startswith("patriot")]
    data["c2"]["links"] = [k for k in data["c2"]["links"] if k["target"] != "ddg-sm3"]
    result = bmdsim.run(Scenario.from_mapping(data), seed=0)
    t = result.summary["threats"][0]
    assert not t["intercepted"] and t["intercept"] is None
    assert t["impact"]["country"] == "TUR" and "Dörtyol" in t["impact"]["places"], t["impact"]
    assert result.summary["interceptors_used"] == 0


def test_every_sensor_down_gives_no_detection_and_no_engagement():
    data = _reference_mapping()
    for s in data["sensors"]:
        s["outages"] = [{"start_s": 0, "end_s": data["duration_s"]}]
    sim = Simulation(Scenario.from_mapping(data), seed=0)
    result = sim.run()
    kinds = set(result.events["kind"])
    assert "detection" not in kinds and "track_confirmed" not in kinds
    assert "interceptor_launched" not in kinds and "engage_order" not in kinds
    assert "sensor_down" in kinds  # the outage is visible in the log
    assert result.summary["threats"][0]["impact"]["country"] == "TUR"
    assert result.summary["timeline"]["first_detection"] is None


def test_operator_commands_are_applied_and_logged():
    from bmdsim.sim import OperatorCommand

    sim = Simulation(bmdsim.load_scenario("dortyol-2026-03-04"), seed=0)
    sim.command(OperatorCommand(time_s=10.0, action="weapon_control", target="ddg-sm3",
                                value="hold"))
    sim.command(OperatorCommand(time_s=10.0, action="sensor_outage", target="kurecik-tpy2",
                                value=600.0))
    result = sim.run()
    kinds = list(result.events["kind"])
    assert kinds.count("operator_command") == 2
    assert "interceptor_launched" not in kinds  # the only unit in range holds fire
    radar = result.events[(result.events["kind"] == "detection")
                          & (result.events["source"] == "kurecik-tpy2")]
    assert radar.empty


def test_a_lossy_link_loses_detections_visibly_and_the_chain_still_works():
    """Half the TPY-2's detections lost on its link to the operations centre: every loss
    is counted and logged (one event per step with losses, counts adding up to the total),
    the other sensors' links lose nothing, and the kill chain still ends in an intercept."""
    data = _reference_mapping()
    for link in data["c2"]["links"]:
        if link["source"] == "kurecik-tpy2":
            link["loss_probability"] = 0.5
    result = bmdsim.run(Scenario.from_mapping(data), seed=0)
    lost = result.events[result.events["kind"] == "detections_lost"]
    total = result.summary["detections_lost"]
    sent = result.summary["sensors"]["kurecik-tpy2"]
    n_sent = sent["detections"] + sent["false_alarms"]
    assert 0.35 * n_sent < total < 0.65 * n_sent, f"{total} of {n_sent} lost"
    assert set(lost["source"]) == {"kurecik-tpy2"}
    assert sum(json.loads(d)["count"] for d in lost["data"]) == total
    assert result.summary["threats"][0]["intercepted"]


def test_each_steps_truth_is_the_flights_sampled_on_its_own_grid():
    """The truth handed to the sensors in a step (rows of a cached block of steps, found by
    the step's bounds; any other step samples a new block) equals the flights sampled on
    that step's grid, bit for bit, on nominal and irregular steps alike."""
    from bmdsim.sensors.flight_truth import truth_from_flights

    sim = Simulation(bmdsim.load_scenario("dortyol-2026-03-04"), seed=0)
    n = sim.settings.truth_substeps
    bounds = [(0.0, 1.0), (1.0, 2.0), (2.0, 2.7), (2.7, 3.7), (3.7, 4.0)]
    bounds += [(t, t + 1.0) for t in np.arange(150.0, 190.0)]  # crosses a block's end
    for t0, t1 in bounds:
        got = sim._truth(t0, t1)
        want = truth_from_flights(sim.flights, np.linspace(t0, t1, n + 1))
        assert np.array_equal(got.t_s, want.t_s)
        assert np.array_equal(got.states_ecef, want.states_ecef, equal_nan=True), (t0, t1)
