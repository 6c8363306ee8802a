"""The after-action report: one self-contained HTML page that works offline.

Everything is inlined: Leaflet 1.9.4 (``data/leaflet/``, BSD-2-Clause) and its stylesheet,
the page's stylesheet and script (``data/report.css``, ``data/report.js``), the map's
content as JSON (:func:`bmdsim.io.mapdata.map_data`: country borders of the bundled
geography as the only base layer, no tile server) and the charts as SVG
(:mod:`bmdsim.io.charts`). A Content-Security-Policy forbids any network request.

Content: a header with the headline (intercepted or not, where, detection to interceptor
launch, scenario and date, the notional-data disclaimer), key figures, the map, the
kill-chain timeline, altitude against ground range, the impact-ellipse size over time, the
threats, sensors, the assessment over time and the event log. Every text placed in the
page is escaped (:func:`html.escape`; JSON with ``<``, ``>`` and ``&`` escaped).
"""

from __future__ import annotations

import base64
import datetime as dt
import json
import re
from functools import cache
from html import escape
from importlib import resources

import numpy as np

from bmdsim.io.charts import altitude_svg, assessment_svg, duration_text, timeline_svg
from bmdsim.io.files import to_jsonable
from bmdsim.io.mapdata import map_data
from bmdsim.sim.events import EventKind
from bmdsim.sim.plots import detection_times, launch_time_s, milestones, threat_assessments

#: Event kinds of which only the first per source is listed in the events table.
VERBOSE_KINDS: frozenset[EventKind] = frozenset(
    {
        EventKind.DETECTION,
        EventKind.TRACK_UPDATED,
        EventKind.MESSAGE_SENT,
        EventKind.MESSAGE_RECEIVED,
    }
)
#: At most this many rows in the events table and in the assessment table.
MAX_EVENT_ROWS: int = 500
MAX_ASSESSMENT_ROWS: int = 40

DISCLAIMER = (
    "Notional simulation. Built from public reporting and public-source estimates of "
    "weapon performance; every figure the public record does not give is an assumption. "
    "Not intelligence, not an operational assessment."
)

_LANE = {
    EventKind.LAUNCH: "Threat",
    EventKind.BURNOUT: "Threat",
    EventKind.THREAT_IMPACT: "Threat",
    EventKind.DEBRIS_IMPACT: "Threat",
    EventKind.SENSOR_DOWN: "Sensors",
    EventKind.SENSOR_UP: "Sensors",
    EventKind.DETECTION: "Sensors",
    EventKind.TRACK_INITIATED: "Tracking",
    EventKind.TRACK_CONFIRMED: "Tracking",
    EventKind.TRACK_UPDATED: "Tracking",
    EventKind.TRACK_DELETED: "Tracking",
    EventKind.INTERCEPTOR_LAUNCHED: "Weapons",
    EventKind.INTERCEPT: "Weapons",
    EventKind.MISS: "Weapons",
    EventKind.KILL_ASSESSED: "Weapons",
    EventKind.ENGAGEMENT_PLANNED: "Weapons",
    EventKind.WEAPON_CONTROL_CHANGED: "Weapons",
}


# -- assets --------------------------------------------------------------------------------
def _data_text(*parts: str) -> str:
    return resources.files("bmdsim.io").joinpath("data", *parts).read_text(encoding="utf-8")


def _data_bytes(*parts: str) -> bytes:
    return resources.files("bmdsim.io").joinpath("data", *parts).read_bytes()


def _no_closing_tag(text: str, tag: str) -> str:
    if re.search(rf"</{tag}", text, flags=re.IGNORECASE):
        raise ValueError(f"inlined asset contains '</{tag}'")
    return text


@cache
def leaflet_css() -> str:
    """Leaflet's stylesheet with its images as data URIs (unvendored ones dropped)."""
    css = _data_text("leaflet", "leaflet.css")

    def inline(m: re.Match) -> str:
        name = m.group(1)
        try:
            png = _data_bytes("leaflet", "images", name)
        except FileNotFoundError:
            return "none"
        return f"url(data:image/png;base64,{base64.b64encode(png).decode('ascii')})"

    css = re.sub(r"url\(images/([A-Za-z0-9_.-]+)\)", inline, css)
    return _no_closing_tag(css, "style")


@cache
def leaflet_js() -> str:
    """Leaflet's script without its source-map comment."""
    js = _data_text("leaflet", "leaflet.js")
    js = re.sub(r"\n//# sourceMappingURL=\S*\s*$", "\n", js)
    return _no_closing_tag(js, "script")


def script_json(value) -> str:
    """``value`` as JSON safe inside ``<script>`` (``<``, ``>``, ``&``, U+2028/9 escaped)."""
    text = json.dumps(
        to_jsonable(value, digits=10), ensure_ascii=False, allow_nan=False, separators=(",", ":")
    )
    for ch, rep in (
        ("<", "\\u003c"),
        (">", "\\u003e"),
        ("&", "\\u0026"),
        ("\u2028", "\\u2028"),
        ("\u2029", "\\u2029"),
    ):
        text = text.replace(ch, rep)
    return text


# -- words ---------------------------------------------------------------------------------
def _country(iso3: str | None) -> str:
    if not iso3:
        return "international waters"
    from bmdsim.earth.geography.borders import country_name

    try:
        return country_name(iso3)
    except LookupError:
        return iso3


def _compass(az_rad: float) -> str:
    names = ("N", "NE", "E", "SE", "S", "SW", "W", "NW")
    return names[int(np.round(np.degrees(az_rad) / 45.0)) % 8]


def locate(lat_deg: float, lon_deg: float) -> tuple[str, str, str]:
    """Where a point is, for sentences: ``(country, how, name)`` with ``how`` "site" (a
    military site of the gazetteer within 5 km), "at" (a town within 3 km) or "near"
    (``name`` is then ``"24 km SE of Suruç"``, from the nearest town of 15,000 people or
    more), or "" when there is no town at all."""
    from bmdsim.earth.geodesic import geodesic_inverse
    from bmdsim.earth.geography.borders import country_at
    from bmdsim.earth.geography.places import PlaceKind, nearest_places

    country = _country(country_at(lat_deg, lon_deg))
    site = nearest_places(lat_deg, lon_deg, k=1)
    if site and site[0].kind != PlaceKind.POPULATED_PLACE and site[0].distance_m < 5_000.0:
        return country, "site", site[0].name
    near = nearest_places(lat_deg, lon_deg, k=1, min_population=15_000)
    if not near:
        return country, "", ""
    p = near[0]
    dist, az, _ = geodesic_inverse(p.lat_deg, p.lon_deg, lat_deg, lon_deg)
    if float(dist) < 3_000.0:
        return country, "at", p.name
    return country, "near", f"{float(dist) / 1e3:.0f} km {_compass(float(az))} of {p.name}"


def where(lat_deg: float, lon_deg: float) -> str:
    """``"Türkiye, 24 km SE of Suruç"``, ``"Iran, at Mahābād"``, ``"RAF Akrotiri (United
    Kingdom)"`` or just the country (see :func:`locate`)."""
    country, how, name = locate(lat_deg, lon_deg)
    if how == "site":
        return f"{name} ({country})"
    if how == "at":
        return f"{country}, at {name}"
    return f"{country}, {name}" if how else country


def _from(lat_deg: float, lon_deg: float) -> str:
    """``"from Mahābād, Iran"`` / ``"24 km SE of Suruç, Türkiye"`` (for 'launched ...')."""
    country, how, name = locate(lat_deg, lon_deg)
    if how == "site":
        return f"from {name} ({country})"
    if how == "at":
        return f"from {name}, {country}"
    return f"{name}, {country}" if how else f"from {country}"


def _at(lat_deg: float, lon_deg: float) -> str:
    """``"RAF Akrotiri (United Kingdom)"`` / ``"Limassol, Cyprus"`` / ``"a point 11 km SW
    of Limassol, Cyprus"`` (for 'aimed at ...')."""
    country, how, name = locate(lat_deg, lon_deg)
    if how == "site":
        return f"{name} ({country})"
    if how == "at":
        return f"{name}, {country}"
    return f"a point {name}, {country}" if how else f"a point in {country}"


def _missile_name(ref: str) -> str:
    from bmdsim.catalog.missiles import missile

    try:
        return missile(ref).name
    except (LookupError, ValueError):
        return str(ref)


def _interceptor_name(ref: str) -> str:
    from bmdsim.catalog.interceptors import interceptor

    try:
        return interceptor(ref).name
    except (LookupError, ValueError):
        return str(ref)


def _epoch(result) -> dt.datetime | None:
    return getattr(result.scenario, "epoch", None)


def _utc(result, t_s: float, fmt: str = "%H:%M:%S") -> str:
    epoch = _epoch(result)
    if epoch is None:
        return ""
    return (epoch + dt.timedelta(seconds=float(t_s))).strftime(fmt)


def _num(v, fmt: str = "{:.1f}", none: str = "\u2014") -> str:
    try:
        x = float(v)
    except (TypeError, ValueError):
        return none
    return fmt.format(x) if np.isfinite(x) else none


def _km(metres) -> str:
    return _num(None if metres is None else float(metres) / 1e3)


def _latlon(p) -> str:
    if not p or p.get("lat_deg") is None:
        return "\u2014"
    la, lo = float(p["lat_deg"]), float(p["lon_deg"])
    return (
        f"{abs(la):.3f}\u00b0{'N' if la >= 0 else 'S'} {abs(lo):.3f}\u00b0{'E' if lo >= 0 else 'W'}"
    )


# -- sections ------------------------------------------------------------------------------
def headline(result) -> tuple[bool | None, str, str]:
    """(intercepted?, title, lede) of the page."""
    threats = result.summary.get("threats", [])
    tl = result.summary.get("timeline", {}) or {}
    n_hit = sum(bool(t.get("intercepted")) for t in threats)
    bits = []
    if len(threats) == 1:
        t = threats[0]
        name = _missile_name(t.get("missile", "threat"))
        hit = t.get("intercept")
        if t.get("intercepted") and hit:
            title = f"{name} intercepted over {where(hit['lat_deg'], hit['lon_deg'])}"
        elif t.get("impact"):
            imp = t["impact"]
            title = f"{name} not intercepted: impact in {where(imp['lat_deg'], imp['lon_deg'])}"
        else:
            title = f"{name} not intercepted"
        la = t["launch"]
        bits.append(
            f"Launched {_from(la['lat_deg'], la['lon_deg'])} at {_utc(result, la['time_s'])} UTC"
        )
        if t.get("aim"):
            bits[-1] += f", aimed at {_at(t['aim']['lat_deg'], t['aim']['lon_deg'])}"
        if hit:
            bits.append(
                f"intercepted {duration_text(hit['time_s'] - la['time_s'])} after launch "
                f"at {hit['alt_m'] / 1e3:.0f} km altitude by {hit.get('fire_unit', '')} "
                f"({_interceptor_name(hit.get('interceptor', ''))})"
            )
        deb = t.get("debris") or {}
        if deb.get("countries"):
            places = ", ".join(deb.get("places", [])[:3])
            bits.append(
                "debris fell in "
                + ", ".join(_country(c) for c in deb["countries"])
                + (f" near {places}" if places else "")
            )
    else:
        title = f"{n_hit} of {len(threats)} threats intercepted"
    ok = None if not threats else n_hit == len(threats)
    if tl.get("first_detection") is not None and tl.get("interceptor_launch") is not None:
        bits.append(
            "first detection to interceptor launch: "
            + duration_text(tl["interceptor_launch"] - tl["first_detection"])
        )
    elif tl.get("first_detection") is not None:
        bits.append(f"first detection {tl['first_detection']:.0f} s after launch")
    lede = "; ".join(bits) + "." if bits else ""
    return ok, title, lede[:1].upper() + lede[1:]


def _stat(value: str, key: str, sub: str = "", cls: str = "") -> str:
    s = f'<div class="s">{escape(sub)}</div>' if sub else ""
    return (
        f'<div class="stat {escape(cls)}"><div class="v">{escape(value)}</div>'
        f'<div class="k">{escape(key)}</div>{s}</div>'
    )


def _stats(result) -> str:
    summary = result.summary
    threats = summary.get("threats", [])
    tl = summary.get("timeline", {}) or {}
    cards = []
    fd, il = tl.get("first_detection"), tl.get("interceptor_launch")
    if fd is not None and il is not None:
        cards.append(
            _stat(
                duration_text(il - fd),
                "detection \u2192 interceptor launch",
                f"first detection T+{fd:.0f} s",
                "hl" if il - fd < 600 else "",
            )
        )
    n_hit = sum(bool(t.get("intercepted")) for t in threats)
    if len(threats) > 1:
        cards.append(
            _stat(
                f"{n_hit} / {len(threats)}",
                "threats intercepted",
                "",
                "hl" if n_hit == len(threats) else "bad",
            )
        )
    hits = [t["intercept"] for t in threats if t.get("intercept")]
    if hits:
        h = hits[0]
        cards.append(
            _stat(
                f"{h['alt_m'] / 1e3:.0f} km",
                "intercept altitude",
                f"T+{h['time_s'] - threats[0]['launch']['time_s']:.0f} s, miss "
                f"{_num(h.get('miss_distance_m'), '{:.2f}')} m",
            )
        )
    rvs = [o for o in result.objects if o.kind == "rv"]
    if rvs:
        alt = np.nanmax(rvs[0].alt_m) / 1e3
        cards.append(
            _stat(f"{alt:.0f} km", "threat apogee", f"flown {rvs[0].t_s[-1] - rvs[0].t_s[0]:.0f} s")
        )
    if threats and threats[0].get("predicted_impact"):
        p = threats[0]["predicted_impact"]
        cards.append(
            _stat(
                _country(p.get("country")),
                "predicted impact at confirmation",
                f"95 % semi-axes {_km(p.get('ellipse_major_m'))} \u00d7 "
                f"{_km(p.get('ellipse_minor_m'))} km",
            )
        )
    if threats and threats[0].get("launch_point_estimate"):
        lpe = threats[0]["launch_point_estimate"]
        err = lpe.get("error_m")
        cards.append(
            _stat(
                f"{_num(err, '{:.1f}')} m"
                if err is not None and err < 1e3
                else f"{_num(None if err is None else err / 1e3, '{:.1f}')} km",
                "launch point error",
                _latlon(lpe),
            )
        )
    cards.append(_stat(str(summary.get("interceptors_used", 0)), "interceptors used"))
    deb = [t.get("debris") for t in threats if t.get("debris")]
    if deb and deb[0].get("countries"):
        cards.append(
            _stat(
                ", ".join(_country(c) for c in deb[0]["countries"]),
                "debris fell in",
                ", ".join(deb[0].get("places", [])[:3]),
            )
        )
    return '<div class="stats">' + "".join(cards) + "</div>"


def _threat_facts(result) -> str:
    out = []
    for t in result.summary.get("threats", []):
        rows = [("Missile", f"{_missile_name(t.get('missile', ''))} ({t.get('missile', '')})")]
        la = t["launch"]
        rows.append(
            (
                "Launch",
                f"{_latlon(la)} at {_utc(result, la['time_s'])} UTC "
                f"(T0 = {la['time_s']:.0f} s after the epoch)",
            )
        )
        if t.get("aim"):
            rows.append(
                (
                    "Aim",
                    f"{_latlon(t['aim'])} \u2014 {where(t['aim']['lat_deg'], t['aim']['lon_deg'])}",
                )
            )
        if t.get("overflown_countries"):
            rows.append(
                ("Overflown", " \u2192 ".join(_country(c) for c in t["overflown_countries"]))
            )
        p = t.get("predicted_impact")
        if p:
            rows.append(
                (
                    "Predicted impact at confirmation",
                    f"{_latlon(p)}, {_country(p.get('country'))}; 95 % semi-axes "
                    f"{_km(p.get('ellipse_major_m'))} \u00d7 "
                    f"{_km(p.get('ellipse_minor_m'))} km",
                )
            )
        lpe = t.get("launch_point_estimate")
        if lpe:
            rows.append(
                (
                    "Launch point estimate",
                    f"{_latlon(lpe)}, error {_num(lpe.get('error_m'), '{:.0f}')} m",
                )
            )
        hit = t.get("intercept")
        if hit:
            rows.append(
                (
                    "Intercept",
                    f"T+{hit['time_s'] - la['time_s']:.1f} s at {_latlon(hit)}, "
                    f"{hit['alt_m'] / 1e3:.1f} km, by {hit.get('fire_unit', '')} "
                    f"({_interceptor_name(hit.get('interceptor', ''))}), miss distance "
                    f"{_num(hit.get('miss_distance_m'), '{:.2f}')} m",
                )
            )
        else:
            rows.append(("Intercept", "none"))
        imp = t.get("impact")
        if imp:
            rows.append(("Impact", f"{_latlon(imp)}, {_country(imp.get('country'))}"))
        deb = t.get("debris") or {}
        if deb.get("countries") or deb.get("places"):
            rows.append(
                (
                    "Debris",
                    ", ".join(_country(c) for c in deb.get("countries", []))
                    + (" \u2014 near " + ", ".join(deb["places"]) if deb.get("places") else ""),
                )
            )
        dl = "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
        out.append(f'<h3>{escape(str(t.get("id", "")))}</h3><dl class="facts">{dl}</dl>')
    return "".join(out) or "<p>No threats.</p>"


def _sensor_table(result) -> str:
    t0 = launch_time_s(result)
    dets = detection_times(result)
    rows = []
    for s in result.sensors:
        if s.kind == "space_ir":
            cover = "sub-satellite point"
        elif s.field_of_regard_deg is None:
            cover = f"360\u00b0 to {s.max_range_m / 1e3:.0f} km"
        else:
            cover = (
                f"{s.field_of_regard_deg:.0f}\u00b0 about {s.boresight_az_deg:.0f}\u00b0 "
                f"to {s.max_range_m / 1e3:.0f} km"
            )
        d = dets.get(s.id)
        first = f"{d.min() - t0:.0f}" if d is not None and d.size else "\u2014"
        counted = (result.summary.get("sensors") or {}).get(s.id)
        if counted is not None:
            count = f"{counted['detections']:,}"
        else:
            count = str(d.size) if d is not None else "0"
        kind = {"space_ir": "space IR", "ship_radar": "ship radar"}.get(s.kind, s.kind)
        rows.append(
            f"<tr><td><b>{escape(s.id)}</b><br><small>{escape(s.type)} \u00b7 "
            f"{escape(kind)}</small></td>"
            f"<td>{escape(_latlon({'lat_deg': s.lat_deg, 'lon_deg': s.lon_deg}))}"
            f'<br><small>{escape(cover)}</small></td><td class="num">{first}</td>'
            f'<td class="num">{count}</td></tr>'
        )
    head = (
        "<tr><th>Sensor</th><th>Position and coverage</th>"
        '<th class="num">First det. [s]</th><th class="num">Detections of threats</th></tr>'
    )
    return (
        f'<div class="tablewrap"><table><thead>{head}</thead><tbody>{"".join(rows)}'
        "</tbody></table></div>"
    )


def _assessment_table(result) -> str | None:
    a = threat_assessments(result)
    if a is None:
        return None
    t0 = launch_time_s(result)
    idx = np.unique(np.linspace(0, len(a) - 1, min(MAX_ASSESSMENT_ROWS, len(a))).astype(int))
    rows = []
    for _, r in a.iloc[idx].iterrows():
        rows.append(
            "<tr>"
            f'<td class="num">{_num(r.get("time_s") - t0, "{:.0f}")}</td>'
            f"<td>{escape(str(r.get('track_id', '')))}</td>"
            f"<td>{escape(str(r.get('threat_id', '') or ''))}</td>"
            f"<td>{escape(_latlon({'lat_deg': r.get('ipp_lat_deg'), 'lon_deg': r.get('ipp_lon_deg')}))}</td>"
            f"<td>{escape(_country(r.get('country') or None))}</td>"
            f"<td>{escape(str(r.get('category', '') or ''))}</td>"
            f'<td class="num">{_num(r.get("ellipse_major_m", np.nan) / 1e3)} \u00d7 '
            f"{_num(r.get('ellipse_minor_m', np.nan) / 1e3)}</td>"
            f'<td class="num">{_num(r.get("ellipse_orientation_deg"), "{:.0f}")}</td>'
            f'<td class="num">{_num(r.get("time_to_impact_s"), "{:.0f}")}</td>'
            f'<td class="num">{_num(r.get("p_allied"), "{:.2f}")}</td>'
            "</tr>"
        )
    head = (
        '<tr><th class="num">T+ [s]</th><th>Track</th><th>Threat</th>'
        "<th>Predicted impact</th><th>Country</th><th>Category</th>"
        '<th class="num">95 % semi-axes [km]</th><th class="num">Major axis az [\u00b0]</th>'
        '<th class="num">Time to impact [s]</th><th class="num">P(allied)</th></tr>'
    )
    note = ""
    if len(idx) < len(a):
        note = (
            f'<tr class="note-row"><td colspan="10">{len(idx)} of {len(a)} assessments, '
            "evenly spaced in the run.</td></tr>"
        )
    return (
        f'<div class="tablewrap"><table><thead>{head}</thead><tbody>{"".join(rows)}{note}'
        "</tbody></table></div>"
    )


def _events_table(result) -> str:
    t0 = launch_time_s(result)
    seen: set[tuple[str, str]] = set()
    rows, omitted = [], 0
    for e in result.log.events():
        if e.kind in VERBOSE_KINDS:
            key = (str(e.kind), e.source)
            if key in seen:
                omitted += 1
                continue
            seen.add(key)
        if len(rows) >= MAX_EVENT_ROWS:
            omitted += 1
            continue
        lane = _LANE.get(e.kind, "C2")
        text = e.text
        if e.kind in VERBOSE_KINDS:
            text = (text + " " if text else "") + "(first of its kind from this source)"
        rows.append(
            f'<tr><td class="num">{e.time_s - t0:.1f}</td>'
            f'<td class="num">{escape(_utc(result, e.time_s))}</td>'
            f'<td><span class="kind {lane}">{escape(str(e.kind).replace("_", " "))}</span></td>'
            f"<td>{escape(e.source)}</td><td>{escape(e.subject)}</td><td>{escape(text)}</td></tr>"
        )
    note = ""
    if omitted:
        note = (
            f'<tr class="note-row"><td colspan="6">{omitted} further events not listed '
            "(repeated detections, track updates and messages; all are in "
            "events.parquet).</td></tr>"
        )
    head = (
        '<tr><th class="num">T+ [s]</th><th class="num">UTC</th><th>Event</th>'
        "<th>Source</th><th>Subject</th><th>Details</th></tr>"
    )
    return (
        f'<div class="tablewrap"><table><thead>{head}</thead><tbody>{"".join(rows)}{note}'
        "</tbody></table></div>"
    )


def _card(title: str, body: str, sub: str = "", extra: str = "") -> str:
    s = f'<p class="sub">{escape(sub)}</p>' if sub else ""
    return f'<section class="card"{extra}><h2>{escape(title)}</h2>{s}{body}</section>'


def report_html(result) -> str:
    """The report page for a :class:`~bmdsim.sim.result.Result` (see the module docstring)."""
    from bmdsim import __version__

    summary = result.summary
    name = str(summary.get("scenario", getattr(result.scenario, "name", "")))
    epoch = _epoch(result)
    date = f"{epoch.day} {epoch:%B %Y, %H:%M} UTC" if epoch is not None else ""
    ok, title, lede = headline(result)
    status = ""
    if ok is not None:
        status = (
            f'<span class="status {"ok" if ok else "fail"}">'
            f"{'INTERCEPTED' if ok else 'NOT INTERCEPTED'}</span>"
        )
    description = str(getattr(result.scenario, "description", "") or "")
    header = (
        '<header class="hero"><div class="wrap">'
        f'<div class="kicker">bmdsim after-action report \u00b7 <b>{escape(name)}</b> \u00b7 '
        f"{escape(date)} \u00b7 seed {escape(str(result.seed))}</div>"
        f"<h1>{status}{escape(title)}</h1>"
        f'<p class="lede">{escape(lede)}</p>'
        f'<div class="disclaimer"><strong>Notional data.</strong><span>{escape(DISCLAIMER)}'
        "</span></div></div></header>"
    )
    steps = milestones(result)
    t0 = launch_time_s(result)
    step_line = " \u00b7 ".join(f"{m.label} {m.time_s - t0:.0f} s" for m in steps[:4])
    sections = [
        _stats(result),
        _card(
            "Map",
            '<div id="map" role="region" aria-label="Map of the engagement"></div>',
            "Country borders only (Natural Earth); drag to pan, scroll to zoom, toggle layers "
            "at the top right; hover for details. Ellipses darken as the track matures.",
        ),
        _card(
            "Kill chain",
            timeline_svg(result),
            f"Seconds after launch. {step_line}" + (" \u2026" if len(steps) > 4 else ""),
        ),
        '<div class="grid2">'
        + _card(
            "Altitude against ground range",
            altitude_svg(result),
            "Ground range from the launch point along the WGS-84 geodesic.",
        )
        + _card(
            "Impact prediction over time",
            assessment_svg(result) or "<p>No impact assessments in this run.</p>",
            "Semi-axes of the 95 % impact ellipse of each track.",
        )
        + "</div>",
        '<div class="grid2">'
        + _card("Threats", _threat_facts(result), description)
        + _card(
            "Sensors",
            _sensor_table(result),
            "Sites and coverage; detection counts from the event log.",
        )
        + "</div>",
    ]
    at = _assessment_table(result)
    if at is not None:
        sections.append(
            _card(
                "Assessment over time",
                at,
                "Impact point prediction and threat evaluation, per track.",
            )
        )
    sections.append(
        _card(
            "Events",
            _events_table(result),
            "The kill chain as logged (times after launch and UTC).",
        )
    )
    footer = (
        '<footer class="wrap">'
        f"Generated by bmdsim {escape(__version__)} \u00b7 scenario {escape(name)} \u00b7 seed "
        f"{escape(str(result.seed))} \u00b7 epoch {escape(epoch.isoformat() if epoch else '')}. "
        "Map: Leaflet 1.9.4 \u00a9 2010\u20132023 Volodymyr Agafonkin, \u00a9 2010\u20132011 "
        "CloudMade (BSD-2-Clause); borders: Natural Earth (public domain). "
        f"{escape(DISCLAIMER)}</footer>"
    )
    csp = (
        "default-src 'none'; img-src data:; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; font-src data:"
    )
    return "".join(
        [
            '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            f'<meta http-equiv="Content-Security-Policy" content="{csp}">',
            f"<title>{escape(title)} \u2014 {escape(name)}</title>",
            f"<style>{leaflet_css()}</style>",
            f"<style>{_no_closing_tag(_data_text('report.css'), 'style')}</style>",
            "</head><body>",
            header,
            '<main class="wrap">',
            *sections,
            "</main>",
            footer,
            f'<script type="application/json" id="map-data">{script_json(map_data(result))}'
            "</script>",
            f"<script>{leaflet_js()}</script>",
            f"<script>{_no_closing_tag(_data_text('report.js'), 'script')}</script>",
            "</body></html>\n",
        ]
    )


__all__ = ["DISCLAIMER", "locate", "report_html", "script_json", "where"]
