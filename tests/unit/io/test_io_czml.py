"""scenario.czml: packets, sample lengths and positions against the truth."""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace

import numpy as np
import pytest

from bmdsim.io.czml import czml_document, object_samples, scenario_czml
from bmdsim.sim.result import ObjectTrack


@pytest.fixture(scope="module")
def packets(result):
    return {p["id"]: p for p in json.loads(scenario_czml(result))}


def _iso(s: str) -> dt.datetime:
    return dt.datetime.fromisoformat(s.replace("Z", "+00:00"))


def test_document_packet_comes_first_with_a_clock(result):
    doc = json.loads(scenario_czml(result))
    first = doc[0]
    assert first["id"] == "document" and first["version"] == "1.0"
    start, end = (_iso(s) for s in first["clock"]["interval"].split("/"))
    launch = result.scenario.epoch + dt.timedelta(seconds=120.0)
    assert start <= launch < end
    debris_end = max(float(d.impact_time_s.max()) for d in result.debris)
    assert end >= result.scenario.epoch + dt.timedelta(seconds=debris_end)


def test_object_positions_are_whole_samples_matching_the_truth(result, packets):
    epoch = result.scenario.epoch
    for o in result.objects:
        prefix = {"rv": "threat", "booster": "booster", "interceptor": "interceptor"}[o.kind]
        p = packets[f"{prefix}/{o.id}"]
        pos = p["position"]
        assert pos["referenceFrame"] == "FIXED"
        assert _iso(pos["epoch"]) == epoch
        values = np.asarray(pos["cartesian"], dtype=float)
        t_true, r_true = object_samples(o)
        assert values.size == 4 * t_true.size, (o.id, values.size, t_true.size)
        samples = values.reshape(-1, 4)
        assert np.all(np.diff(samples[:, 0]) > 0.0)
        np.testing.assert_array_equal(samples[:, 0], t_true)
        err = np.max(np.abs(samples[:, 1:] - r_true))
        assert err < 1e-6, f"{o.id}: max position difference {err} m"
        # every truth sample is written (object tracks here have distinct finite times)
        assert t_true.size == np.unique(o.t_s).size
        a, b = (_iso(s) for s in p["availability"].split("/"))
        assert a == epoch + dt.timedelta(seconds=float(t_true[0]))
        assert abs((b - epoch).total_seconds() - t_true[-1]) < 1e-5


def test_path_colour_depends_on_the_kind(packets):
    rv = packets["threat/T1"]["path"]["material"]["solidColor"]["color"]["rgba"]
    interceptor = packets["interceptor/ddg-sm3-1"]["path"]["material"]["solidColor"]["color"]
    assert rv != interceptor["rgba"]


def test_repeated_and_nan_samples_are_dropped_keeping_the_last(result):
    t = np.array([0.0, 1.0, 1.0, 2.0, 3.0])
    states = np.zeros((5, 6))
    states[:, 0] = [10.0, 11.0, 12.0, 13.0, np.nan]
    track = ObjectTrack(
        id="x",
        kind="booster",
        owner="T1",
        t_s=t,
        states=states,
        lat_deg=np.zeros(5),
        lon_deg=np.zeros(5),
        alt_m=np.zeros(5),
        phase=np.array(["midcourse"] * 5),
    )
    doc = json.loads(scenario_czml(replace(result, objects=(track,))))
    values = next(p for p in doc if p["id"] == "booster/x")["position"]["cartesian"]
    assert values == [0.0, 10.0, 0.0, 0.0, 1.0, 12.0, 0.0, 0.0, 2.0, 13.0, 0.0, 0.0]


def test_sensors_ships_assets_intercept_and_debris_have_packets(result, packets):
    for s in result.sensors:
        lon, lat, h = packets[f"sensor/{s.id}"]["position"]["cartographicDegrees"]
        assert (lat, lon, h) == (s.lat_deg, s.lon_deg, 0.0)
    ship = packets["ship/ddg-east-med"]["position"]["cartographicDegrees"]
    assert len(ship) % 4 == 0 and len(ship) // 4 == result.platforms["ddg-east-med"][0].size
    for a in result.scenario.defended_assets:
        assert f"asset/{a.id}" in packets
    hit = result.summary["threats"][0]["intercept"]
    lon, lat, alt = packets["intercept/T1"]["position"]["cartographicDegrees"]
    assert (lat, lon, alt) == pytest.approx((hit["lat_deg"], hit["lon_deg"], hit["alt_m"]))
    poly = packets["debris/T1/0"]["polygon"]["positions"]["cartographicDegrees"]
    ring = np.asarray(result.debris[0].footprint_geojson["coordinates"][0])[:-1]
    assert len(poly) == 3 * ring.shape[0]
    np.testing.assert_allclose(np.asarray(poly).reshape(-1, 3)[:, :2], ring)


def test_czml_document_is_a_czml3_document(result):
    from czml3 import Document

    doc = czml_document(result)
    assert isinstance(doc, Document)
    assert len(doc.packets) == len(json.loads(doc.dumps()))
