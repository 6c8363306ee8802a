"""report.html: self-contained, escaped, with the map data and charts it promises."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from html.parser import HTMLParser

import pytest

from bmdsim.io.charts import altitude_svg, assessment_svg, duration_text, timeline_svg
from bmdsim.io.mapdata import MAX_ELLIPSES, map_data
from bmdsim.io.report import DISCLAIMER, report_html, script_json, where
from bmdsim.io.svg import nice_ticks
from bmdsim.sim.events import EventKind, EventLog
from bmdsim.sim.result import Result

EVIL = "<script>alert('x')</script>&</style>"


@pytest.fixture(scope="module")
def page(result):
    return report_html(result)


class _Tags(HTMLParser):
    def __init__(self):
        super().__init__()
        self.tags: list[tuple[str, dict]] = []
        self.scripts: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        self.tags.append((tag, dict(attrs)))
        self._in_script = tag == "script"

    def handle_endtag(self, tag):
        self._in_script = False

    def handle_data(self, data):
        if self._in_script:
            self.scripts.append(data)


def _map_json(page: str) -> dict:
    m = re.search(r'<script type="application/json" id="map-data">(.*?)</script>', page, re.S)
    assert m is not None
    return json.loads(m.group(1))


def test_report_is_one_self_contained_page(page):
    parser = _Tags()
    parser.feed(page)
    for tag, attrs in parser.tags:
        assert tag != "link", attrs
        assert "src" not in attrs, (tag, attrs)
        for key in ("href", "xlink:href"):
            assert not str(attrs.get(key, "")).startswith(("http:", "https:", "//")), attrs
    assert "@import" not in page
    assert not re.search(r"url\((?!data:)(?!#default#VML)", page), "url() to something else"
    csp = next(
        a["content"]
        for t, a in parser.tags
        if t == "meta" and a.get("http-equiv") == "Content-Security-Policy"
    )
    assert "default-src 'none'" in csp
    assert 'version="1.9.4"' in page or 't.version="1.9.4"' in page
    assert "sourceMappingURL" not in page


def test_report_headline_and_disclaimer(page, result):
    h1 = re.search(r"<h1>(.*?)</h1>", page, re.S).group(1)
    assert "INTERCEPTED" in h1 and "Shahab-3 intercepted over" in h1
    assert DISCLAIMER in page
    assert "dortyol-2026-03-04" in page
    assert "4 March 2026" in page
    tl = result.summary["timeline"]
    assert duration_text(tl["interceptor_launch"] - tl["first_detection"]) in page


def test_report_has_map_charts_and_tables(page):
    assert page.count('<svg class="chart"') == 3
    for title in (
        "Kill chain",
        "Altitude against ground range",
        "Impact prediction over time",
        "Assessment over time",
        "Events",
        "Sensors",
        "Threats",
    ):
        assert f"<h2>{title}</h2>" in page, title
    for label in (
        "First IR detection",
        "First radar detection",
        "Track confirmed",
        "Threat evaluated",
        "Alert sent",
        "Alert received",
        "Engage order",
        "Interceptor launch",
        "Intercept",
        "Kill assessed",
        "Debris impact",
    ):
        assert label in page, label


def test_map_data_layers(result, page):
    data = _map_json(page)
    assert len(data["land"]) > 20
    assert {"TUR", "SYR", "IRQ", "IRN", "CYP"} <= {c["iso3"] for c in data["land"]}
    assert next(c for c in data["land"] if c["iso3"] == "TUR")["member"] is True
    assert next(c for c in data["land"] if c["iso3"] == "SYR")["member"] is False
    names = [o["name"] for o in data["overlays"]]
    for name in (
        "Threat ground track",
        "Spent stages",
        "Interceptor and intercept",
        "Impact predictions (95 %)",
        "Debris",
        "Sensors and coverage",
        "Ships",
        "Defended assets",
        "Named places",
        "Intended path (aim)",
    ):
        assert name in names, name
    layers = {o["name"]: o["items"] for o in data["overlays"]}
    phases = {
        it["tip"].split(":")[0].split()[-1]
        for it in layers["Threat ground track"]
        if it["t"] == "line"
    }
    assert phases == {"boost", "midcourse", "reentry"}
    ellipses = [it for it in layers["Impact predictions (95 %)"] if it["t"] == "poly"]
    assert 2 <= len(ellipses) <= MAX_ELLIPSES
    stars = [it for it in layers["Interceptor and intercept"] if it.get("shape") == "star"]
    hit = result.summary["threats"][0]["intercept"]
    assert stars[0]["ll"] == pytest.approx([hit["lat_deg"], hit["lon_deg"]], abs=1e-5)
    wedges = [it for it in layers["Sensors and coverage"] if it["t"] == "poly"]
    assert len(wedges) == 2  # Kürecik and the ship; satellites get markers
    (lat0, lon0), (lat1, lon1) = data["view"]
    assert lat0 < 34.6 and lat1 > 38.3 and lon0 < 33.0 and lon1 > 45.7


def test_text_is_escaped_everywhere(result):
    log = EventLog()
    for e in result.log.events():
        log.add(e.time_s, e.kind, source=e.source, subject=e.subject, text=e.text, **e.data)
    log.add(130.0, EventKind.THREAT_EVALUATED, source=EVIL, subject=EVIL, text=EVIL)
    summary = json.loads(json.dumps(result.summary))
    summary["scenario"] = EVIL
    summary["threats"][0]["debris"]["places"] = [EVIL]
    debris = (replace(result.debris[0], places=(EVIL,)),)
    evil = replace(result, log=log, summary=summary, debris=debris)
    page = report_html(evil)
    assert EVIL not in page
    assert "<script>alert" not in page
    data = _map_json(page)
    assert any(EVIL in it.get("tip", "") for o in data["overlays"] for it in o["items"])
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt;" in page
    assert "</" not in script_json({"a": EVIL})


def test_report_of_a_run_without_intercept_or_extras(result):
    summary = json.loads(json.dumps(result.summary))
    t = summary["threats"][0]
    t["intercepted"] = False
    t["intercept"] = None
    t["impact"] = {"lat_deg": 36.84, "lon_deg": 36.23, "country": "TUR"}
    t["debris"] = {"countries": [], "places": [], "footprint_geojson": None}
    summary["timeline"]["interceptor_launch"] = None
    summary["interceptors_used"] = 0
    bare = Result(
        scenario=result.scenario,
        seed=1,
        log=EventLog(),
        summary=summary,
        objects=tuple(o for o in result.objects if o.kind == "rv"),
    )
    page = report_html(bare)
    assert "NOT INTERCEPTED" in page
    assert "not intercepted: impact in Türkiye" in page
    assert "No impact assessments in this run." in page
    assert "<h2>Assessment over time</h2>" not in page


def test_where_names_sites_towns_and_bearings():
    assert where(34.59, 32.99) == "RAF Akrotiri (United Kingdom)"
    assert where(36.7631, 45.7222) == "Iran, at Mahābād"
    assert where(36.3, 37.2) == "Syria, 12 km N of Aleppo"
    assert where(36.6, 36.5) == "Türkiye, 17 km NE of Kırıkhan"


def test_charts_are_svg_with_escaped_labels(result):
    for svg in (timeline_svg(result), altitude_svg(result), assessment_svg(result)):
        assert svg.startswith('<svg class="chart" viewBox=') and svg.endswith("</svg>")
        assert "nan" not in svg.lower().replace("nanmax", "")
    assert "detection \u2192 interceptor launch" in timeline_svg(result)
    assert assessment_svg(replace(result, assessments=None)) is None


def test_nice_ticks_are_round_and_cover_the_range():
    assert nice_ticks(0.0, 540.0).tolist() == [0.0, 200.0, 400.0, 600.0]
    assert nice_ticks(0.0, 480.0).tolist() == [0.0, 100.0, 200.0, 300.0, 400.0, 500.0]
    assert nice_ticks(0.0, 1.0).tolist() == [0.0, 0.2, 0.4, 0.6, 0.8, 1.0]
    t = nice_ticks(-3.0, 212.0)
    assert t[0] <= -3.0 and t[-1] >= 212.0


def test_duration_text():
    assert duration_text(42.4) == "42 s"
    assert duration_text(275.2) == "4 min 35 s"
    assert duration_text(600) == "10 min 00 s"


def test_map_data_is_json_ready(result):
    text = script_json(map_data(result))
    assert len(text) < 1_500_000
    json.loads(text)
