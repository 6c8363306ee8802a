"""Inline SVG charts of the HTML report: kill-chain timeline, altitude against ground range,
impact-ellipse size over time. Times are seconds after the first launch."""

from __future__ import annotations

from html import escape

import numpy as np

from bmdsim.earth.geodesic import geodesic_inverse
from bmdsim.io.svg import SvgChart, shape_svg
from bmdsim.sim.plots import (
    COLOURS,
    PHASE_COLOURS,
    detection_times,
    launch_time_s,
    milestones,
    phase_runs,
    sensor_kinds,
    threat_assessments,
    threat_phase_spans,
)

#: Colour of each kill-chain lane (see :data:`bmdsim.sim.plots.LANES`).
LANE_COLOURS: dict[str, str] = {
    "Threat": "#b2182b",
    "Sensors": "#7b4fb0",
    "Tracking": "#2a9d55",
    "C2": "#e07b00",
    "Weapons": "#1f6fb4",
}
_SENSOR_KIND = {"space_ir": "space IR", "radar": "radar", "ship_radar": "ship radar"}


def duration_text(seconds: float) -> str:
    """``"4 min 15 s"`` / ``"42 s"`` (rounded to the second)."""
    s = round(float(seconds))
    if abs(s) < 60:
        return f"{s} s"
    m, r = divmod(abs(s), 60)
    return f"{'-' if s < 0 else ''}{m} min {r:02d} s"


def _legend(chart: SvgChart, items, *, x: float, y: float, dy: float = 18.0) -> None:
    """Legend rows at pixel ``(x, y)``: ``(label, colour, kind)`` with kind "line",
    "dash", "box" or a marker shape."""
    out = []
    for k, (label, colour, kind) in enumerate(items):
        yy = y + k * dy
        c = escape(colour)
        if kind in ("line", "dash"):
            dash = ' stroke-dasharray="6 4"' if kind == "dash" else ""
            out.append(
                f'<line x1="{x:.1f}" y1="{yy:.1f}" x2="{x + 22:.1f}" y2="{yy:.1f}" '
                f'stroke="{c}" stroke-width="3"{dash}/>'
            )
        elif kind == "box":
            out.append(
                f'<rect x="{x:.1f}" y="{yy - 6:.1f}" width="22" height="12" rx="2" '
                f'fill="{c}" opacity="0.85"/>'
            )
        else:
            out.append(shape_svg(kind, x + 11, yy, 5.0, colour))
        out.append(
            f'<text class="legend" x="{x + 30:.1f}" y="{yy:.1f}" dy="0.32em">{escape(label)}</text>'
        )
    chart.raw("".join(out))


def timeline_svg(result) -> str:
    """The kill chain: flight-phase band, one row per sensor with a tick per detection, one
    row per step of :func:`bmdsim.sim.plots.milestones` with its time after launch."""
    t0 = launch_time_s(result)
    steps = milestones(result)
    dets = detection_times(result)
    kinds = sensor_kinds(result)
    spans = threat_phase_spans(result)
    ends = [m.time_s - t0 for m in steps] + [b - t0 for _a, b, _p in spans]
    ends += [float(v.max()) - t0 for v in dets.values()]
    t_max = max([*ends, 10.0])
    row_h = 24
    n_rows = 1 + len(dets) + len(steps)
    top, bottom, left, right = 34, 40, 200, 30
    chart = SvgChart(
        width=960,
        height=top + bottom + row_h * n_rows,
        margin=(top, right, bottom, left),
        x_range=(-0.02 * t_max, 1.08 * t_max),
        y_range=(0.0, float(n_rows)),
        label="Kill-chain timeline",
    )

    def yc(k: float) -> float:
        h = chart.height - top - bottom
        return top + (k + 0.5) / n_rows * h

    # row shading and labels
    labels = ["Threat flight phase"]
    labels += [f"{s} \u00b7 {_SENSOR_KIND.get(kinds.get(s, ''), 'sensor')}" for s in dets]
    labels += [m.label for m in steps]
    for k, text in enumerate(labels):
        y = yc(k)
        if k % 2 == 0:
            chart.raw(
                f'<rect class="rowband" x="0" y="{y - row_h / 2:.1f}" '
                f'width="{chart.width}" height="{row_h}"/>'
            )
        chart.text(left - 12, y, text, cls="rowlabel", anchor="end", dy=4, data=False)
    # detection-to-launch band
    first_det = next((m for m in steps if m.key in ("ir_detection", "radar_detection")), None)
    launch = next((m for m in steps if m.key == "interceptor_launch"), None)
    if first_det is not None and launch is not None:
        a, b = float(chart.px(first_det.time_s - t0)), float(chart.px(launch.time_s - t0))
        chart.raw(
            f'<rect class="band" x="{a:.1f}" y="{top - 6}" width="{max(b - a, 1):.1f}" '
            f'height="{chart.height - top - bottom + 6}"/>'
        )
        chart.raw(
            f'<text class="bandlabel" x="{(a + b) / 2:.1f}" y="{top - 12}" '
            f'text-anchor="middle">detection \u2192 interceptor launch: '
            f"{escape(duration_text(launch.time_s - first_det.time_s))}</text>"
        )
    # ticks and grid (drawn over the shading)
    chart.axes(xlabel="seconds after launch", yticks=[], grid=True)
    # flight phases
    y = yc(0)
    for a, b, ph in spans:
        xa, xb = float(chart.px(a - t0)), float(chart.px(b - t0))
        chart.raw(
            f'<rect x="{xa:.1f}" y="{y - 7:.1f}" width="{max(xb - xa, 1):.1f}" '
            f'height="14" rx="3" fill="{escape(PHASE_COLOURS.get(ph, "#999"))}">'
            f"<title>{escape(f'{ph}: {a - t0:.0f}-{b - t0:.0f} s')}</title></rect>"
        )
        if xb - xa > 60:
            chart.text((xa + xb) / 2, y, ph, cls="inbar", anchor="middle", dy=4, data=False)
    # detections per sensor
    for k, (sid, times) in enumerate(dets.items(), start=1):
        y = yc(k)
        colour = COLOURS.get(kinds.get(sid, "radar"), COLOURS["radar"])
        rel = times - t0
        xa, xb = float(chart.px(rel.min())), float(chart.px(rel.max()))
        chart.raw(
            f'<rect x="{xa:.1f}" y="{y - 3:.1f}" width="{max(xb - xa, 1):.1f}" '
            f'height="6" rx="3" fill="{escape(colour)}" opacity="0.25"/>'
        )
        shown = rel if rel.size <= 300 else rel[np.linspace(0, rel.size - 1, 300).astype(int)]
        path = " ".join(f"M{float(chart.px(t)):.1f} {y - 7:.1f}v14" for t in shown)
        chart.raw(
            f'<path d="{path}" stroke="{escape(colour)}" stroke-width="1.2">'
            f"<title>{escape(f'{sid}: {rel.size} detections, {rel.min():.0f}-{rel.max():.0f} s')}"
            f"</title></path>"
        )
        chart.text(xa, y, f"{rel.min():.0f} s", cls="note", anchor="end", dx=-6, dy=4, data=False)
    # kill-chain steps
    base = 1 + len(dets)
    pts = [(float(chart.px(m.time_s - t0)), yc(base + i)) for i, m in enumerate(steps)]
    if len(pts) > 1:
        chart.raw(
            '<polyline class="stair" fill="none" points="'
            + " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
            + '"/>'
        )
    for m, (x, y) in zip(steps, pts, strict=True):
        rel = m.time_s - t0
        who = f" \u00b7 {m.source}" if m.source else ""
        chart.raw(
            shape_svg(
                "circle",
                x,
                y,
                6.0,
                LANE_COLOURS.get(m.lane, "#555"),
                title=f"{m.label}: {rel:.1f} s after launch{who}",
            )
        )
        right_side = x < chart.width - right - 150
        chart.text(
            x,
            y,
            f"{rel:.0f} s{who}",
            cls="steplabel",
            anchor="start" if right_side else "end",
            dx=10 if right_side else -10,
            dy=4,
            data=False,
        )
    _legend(
        chart,
        [(lane, LANE_COLOURS[lane], "circle") for lane in LANE_COLOURS],
        x=chart.width - right - 110,
        y=yc(base) + 2,
        dy=18,
    )
    return chart.render()


def _ground_range_km(ref_lat: float, ref_lon: float, lat, lon) -> np.ndarray:
    lat = np.asarray(lat, dtype=float)
    lon = np.asarray(lon, dtype=float)
    out = np.full(lat.shape, np.nan)
    ok = np.isfinite(lat) & np.isfinite(lon)
    if ok.any():
        out[ok] = geodesic_inverse(ref_lat, ref_lon, lat[ok], lon[ok])[0] / 1e3
    return out


def altitude_svg(result) -> str:
    """Altitude against ground range from the (first) threat's launch point: the threat
    coloured by phase, spent stages, interceptors and the intercept points."""
    threats = result.summary.get("threats", ())
    rvs = [o for o in result.objects if o.kind == "rv"]
    if threats:
        ref = (threats[0]["launch"]["lat_deg"], threats[0]["launch"]["lon_deg"])
    elif rvs:
        ref = (float(rvs[0].lat_deg[0]), float(rvs[0].lon_deg[0]))
    else:
        ref = (0.0, 0.0)
    curves = []
    for o in result.objects:
        curves.append(
            (
                o,
                _ground_range_km(*ref, o.lat_deg, o.lon_deg),
                np.asarray(o.alt_m, dtype=float) / 1e3,
            )
        )
    xs = np.concatenate([c[1] for c in curves]) if curves else np.zeros(1)
    ys = np.concatenate([c[2] for c in curves]) if curves else np.zeros(1)
    x_hi = float(np.nanmax(xs)) if np.isfinite(xs).any() else 1.0
    y_hi = float(np.nanmax(ys)) if np.isfinite(ys).any() else 1.0
    chart = SvgChart(
        width=640,
        height=380,
        margin=(18, 20, 46, 58),
        x_range=(0.0, x_hi * 1.03),
        y_range=(0.0, y_hi * 1.12),
        label="Altitude against ground range",
    )
    chart.axes(xlabel="ground range from launch point [km]", ylabel="altitude [km]")
    if y_hi * 1.12 > 100.0:
        chart.line([0.0, x_hi * 1.03], [100.0, 100.0], colour="#9aa3ad", width=1.0, dash="4 4")
        chart.text(x_hi * 1.03, 100.0, "100 km", cls="note", anchor="end", dy=-5)
    legend = {}
    for o, gx, gy in curves:
        if o.kind == "booster":
            chart.line(
                gx,
                gy,
                colour=COLOURS["booster"],
                width=1.5,
                dash="6 4",
                title=f"{o.id} (spent stage)",
            )
            legend["spent stage"] = (COLOURS["booster"], "dash")
            continue
        for a, b, ph in phase_runs(o.phase):
            colour = PHASE_COLOURS.get(ph, "#555")
            chart.line(
                gx[a:b],
                gy[a:b],
                colour=colour,
                width=3.0 if o.kind == "rv" else 2.2,
                title=f"{o.id}: {ph}",
            )
            legend[ph] = (colour, "line")
        if o.kind == "rv" and np.isfinite(gy).any():
            k = int(np.nanargmax(gy))
            chart.marker(
                gx[k],
                gy[k],
                colour=PHASE_COLOURS["midcourse"],
                size=3.5,
                title=f"apogee {gy[k]:.0f} km",
            )
            chart.text(gx[k], gy[k], f"apogee {gy[k]:.0f} km", cls="note", anchor="middle", dy=-10)
    for th in threats:
        hit = th.get("intercept")
        if hit:
            gx = _ground_range_km(*ref, [hit["lat_deg"]], [hit["lon_deg"]])[0]
            chart.marker(
                gx,
                hit["alt_m"] / 1e3,
                colour="#111111",
                shape="star",
                size=6.0,
                title=f"intercept of {th['id']} at {hit['alt_m'] / 1e3:.0f} km",
            )
            legend["intercept"] = ("#111111", "star")
    _legend(
        chart, [(k, c, kind) for k, (c, kind) in legend.items()], x=chart.width - 130, y=34, dy=18
    )
    return chart.render()


def assessment_svg(result) -> str | None:
    """95 % impact-ellipse semi-axes [km] over time, per track; ``None`` without
    assessments."""
    a = threat_assessments(result)
    if a is None:
        return None
    t0 = launch_time_s(result)
    t = np.asarray(a["time_s"], dtype=float) - t0
    major = np.asarray(a["ellipse_major_m"], dtype=float) / 1e3
    minor = np.asarray(a["ellipse_minor_m"], dtype=float) / 1e3
    hi = float(np.nanmax(major)) if np.isfinite(major).any() else 1.0
    steps = {m.key: m.time_s - t0 for m in milestones(result)}
    t_hi = max(float(np.nanmax(t)), steps.get("intercept", 0.0))
    chart = SvgChart(
        width=640,
        height=380,
        margin=(18, 20, 46, 58),
        x_range=(float(np.nanmin(t)) - 5.0, t_hi + 10.0),
        y_range=(0.0, hi * 1.1),
        label="Impact ellipse size over time",
    )
    chart.axes(xlabel="seconds after launch", ylabel="95 % semi-axis [km]")
    tracks = np.asarray(a["track_id"]).astype(str)
    for tid in dict.fromkeys(tracks):
        sel = tracks == tid
        chart.line(
            t[sel],
            major[sel],
            colour=COLOURS["predicted"],
            width=2.4,
            title=f"{tid}: semi-major axis",
        )
        chart.line(
            t[sel],
            minor[sel],
            colour=COLOURS["ellipse"],
            width=2.0,
            dash="6 4",
            title=f"{tid}: semi-minor axis",
        )
    marks = [
        (steps[k], label)
        for k, label in (
            ("track_confirmed", "track confirmed"),
            ("threat_evaluated", "threat evaluated"),
            ("interceptor_launch", "interceptor launch"),
            ("intercept", "intercept"),
        )
        if k in steps
    ]
    for k, (x, label) in enumerate(marks):
        chart.line([x, x], [0.0, hi * 1.1], colour="#9aa3ad", width=1.0, dash="3 3")
        right = float(chart.px(x)) > chart.width - chart.right - 110
        chart.text(
            x,
            hi * 1.1,
            label,
            cls="note",
            anchor="end" if right else "start",
            dx=-4 if right else 4,
            dy=14 + 14 * (k % 2),
        )
    _legend(
        chart,
        [
            ("semi-major axis", COLOURS["predicted"], "line"),
            ("semi-minor axis", COLOURS["ellipse"], "dash"),
        ],
        x=chart.width - 150,
        y=70,
    )
    return chart.render()


__all__ = ["LANE_COLOURS", "altitude_svg", "assessment_svg", "duration_text", "timeline_svg"]
