"""Pictures of a run for notebooks (matplotlib), and the picture data they share with the report.

:func:`plot_map` draws the region (country borders of the bundled geography), the threat's
ground track coloured by flight phase, spent stages, the interceptor, sensor coverage, ship
tracks, the evolving 95 % impact ellipses, the intercept point and the debris footprint;
:func:`plot_timeline` draws the kill chain against seconds after launch. Both return a
:class:`matplotlib.figure.Figure` and save it when ``filename`` is given; matplotlib is
imported only when they are called (with the Agg backend when no display is available).

The rest of the module is the data behind the pictures, with no plotting import, used
here and by the HTML report of :mod:`bmdsim.io`: the kill-chain :func:`milestones` read
from the event log, per-sensor :func:`detection_times`, flight-phase runs, and ground
outlines (impact ellipses, radar sectors) as longitude/latitude rings.
"""

from __future__ import annotations

import math
import os
import sys
from dataclasses import dataclass

import numpy as np

from bmdsim.earth.geodesic import geodesic_direct
from bmdsim.sim.events import EventKind

#: Colours of flight phases (threat and interceptor), shared with the HTML report.
PHASE_COLOURS: dict[str, str] = {
    "boost": "#f28e2b",
    "midcourse": "#d62728",
    "reentry": "#8c2d7e",
    "flyout": "#1f77b4",
    "homing": "#17becf",
}
#: Colours of the other things drawn on maps and charts.
COLOURS: dict[str, str] = {
    "booster": "#8a8a8a",
    "interceptor": "#1f77b4",
    "intercept": "#111111",
    "radar": "#2ca02c",
    "ship_radar": "#17becf",
    "space_ir": "#9467bd",
    "ship": "#1b3a5c",
    "ellipse": "#e377c2",
    "predicted": "#c2185b",
    "aim": "#555555",
    "debris": "#ff7f0e",
    "asset": "#3b5b92",
    "launch": "#7f2704",
}
#: Kill-chain lanes in the order they are drawn.
LANES: tuple[str, ...] = ("Threat", "Sensors", "Tracking", "C2", "Weapons")

_SENSOR_KIND_LABEL = {"space_ir": "space IR", "radar": "radar", "ship_radar": "ship radar"}


@dataclass(frozen=True, slots=True, kw_only=True)
class Milestone:
    """One step of the kill chain, the first time it happened.

    key: stable name ("launch", "ir_detection", ...); label: for people; time_s: scenario
    time [s]; lane: one of :data:`LANES`; source, subject: from the event (the sensor for
    a detection, the fire unit for a launch, ...)."""

    key: str
    label: str
    time_s: float
    lane: str
    source: str = ""
    subject: str = ""


# (key, label, lane, event kinds): the steps read directly from the log, first occurrence
_STEPS: tuple[tuple[str, str, str, tuple[EventKind, ...]], ...] = (
    ("launch", "Launch", "Threat", (EventKind.LAUNCH,)),
    ("burnout", "Burnout", "Threat", (EventKind.BURNOUT,)),
    ("track_initiated", "Track initiated", "Tracking", (EventKind.TRACK_INITIATED,)),
    ("track_confirmed", "Track confirmed", "Tracking", (EventKind.TRACK_CONFIRMED,)),
    ("threat_evaluated", "Threat evaluated", "C2", (EventKind.THREAT_EVALUATED,)),
    ("alert_sent", "Alert sent", "C2", (EventKind.ALERT_SENT,)),
    ("alert_received", "Alert received", "C2", (EventKind.ALERT_RECEIVED,)),
    ("engage_order", "Engage order", "C2", (EventKind.ENGAGE_ORDER,)),
    ("interceptor_launch", "Interceptor launch", "Weapons", (EventKind.INTERCEPTOR_LAUNCHED,)),
    ("intercept", "Intercept", "Weapons", (EventKind.INTERCEPT,)),
    ("miss", "Miss", "Weapons", (EventKind.MISS,)),
    ("kill_assessed", "Kill assessed", "Weapons", (EventKind.KILL_ASSESSED,)),
    ("debris_impact", "Debris impact", "Threat", (EventKind.DEBRIS_IMPACT,)),
    ("threat_impact", "Threat impact", "Threat", (EventKind.THREAT_IMPACT,)),
)


def sensor_kinds(result) -> dict[str, str]:
    """Sensor id -> kind ("radar" | "ship_radar" | "space_ir") of the run's sensor sites."""
    return {s.id: s.kind for s in result.sensors}


def launch_time_s(result) -> float:
    """Scenario time [s] of the first launch: the first LAUNCH event, else the earliest
    threat launch of the summary, else 0."""
    first = result.log.first(EventKind.LAUNCH)
    if first is not None:
        return first.time_s
    times = [t["launch"]["time_s"] for t in result.summary.get("threats", ()) if t.get("launch")]
    return float(min(times)) if times else 0.0


def detection_times(result) -> dict[str, np.ndarray]:
    """Scenario times [s] of the DETECTION events from the first launch on, per source
    sensor, sensors in order of first detection."""
    out: dict[str, list[float]] = {}
    t_launch = launch_time_s(result)
    for e in result.log.events():
        if e.kind == EventKind.DETECTION and e.time_s >= t_launch - 1e-9:
            out.setdefault(e.source, []).append(e.time_s)
    return {k: np.asarray(v, dtype=float) for k, v in out.items()}


#: Event kinds whose subject is a track: only tracks of a threat count for the kill chain.
_TRACK_SUBJECT_KINDS = frozenset(
    {EventKind.TRACK_INITIATED, EventKind.TRACK_CONFIRMED, EventKind.THREAT_EVALUATED}
)


def threat_track_ids(result) -> set[str]:
    """Ids (as strings) of the tracks the summary attributes to a threat (``tracks`` of
    each threat entry); empty when the summary does not say."""
    return {str(k) for t in result.summary.get("threats", ()) for k in t.get("tracks", ()) or ()}


def milestones(result) -> list[Milestone]:
    """The kill chain read from the event log: the first event of each step, in time order.

    Only events from the first launch on count, and, when the summary attributes tracks to
    threats, only those tracks' initiation, confirmation and evaluation (a false track
    does not start the kill chain). Detections are split by the kind of the detecting
    sensor (from ``result.sensors``): "First IR detection" (space IR) and "First radar
    detection" (ground and ship radars; also a sensor absent from ``result.sensors``)."""
    kinds = sensor_kinds(result)
    t_launch = launch_time_s(result)
    tracks = threat_track_ids(result)
    found: dict[str, Milestone] = {}
    wanted = {k: (key, label, lane) for key, label, lane, ks in _STEPS for k in ks}
    for e in result.log.events():
        if e.time_s < t_launch - 1e-9:
            continue
        if tracks and e.kind in _TRACK_SUBJECT_KINDS and e.subject not in tracks:
            continue
        if e.kind == EventKind.DETECTION:
            ir = kinds.get(e.source) == "space_ir"
            key, label = (
                ("ir_detection", "First IR detection")
                if ir
                else ("radar_detection", "First radar detection")
            )
            lane = "Sensors"
        elif e.kind in wanted:
            key, label, lane = wanted[e.kind]
        else:
            continue
        if key not in found:
            found[key] = Milestone(
                key=key, label=label, time_s=e.time_s, lane=lane, source=e.source, subject=e.subject
            )
    return sorted(found.values(), key=lambda m: m.time_s)


def threat_assessments(result):
    """The assessments DataFrame restricted to tracks of a threat (rows with a non-empty
    ``threat_id``) when there are any such rows, else all of it; ``None`` when empty."""
    a = result.assessments
    if a is None or len(a) == 0:
        return None
    if "threat_id" in a.columns:
        labelled = a["threat_id"].fillna("").astype(str) != ""
        if labelled.any():
            a = a[labelled]
    return a.reset_index(drop=True)


def phase_runs(phase) -> list[tuple[int, int, str]]:
    """Contiguous runs of equal phase: ``(start, stop, phase)`` with ``stop`` exclusive;
    each run but the last is extended by one sample so that drawn segments join."""
    p = np.asarray(phase).astype(str)
    if p.size == 0:
        return []
    cut = np.flatnonzero(p[1:] != p[:-1]) + 1
    starts = np.concatenate([[0], cut])
    stops = np.concatenate([cut, [p.size]])
    return [
        (int(a), int(min(b + 1, p.size)), str(p[a])) for a, b in zip(starts, stops, strict=True)
    ]


def ellipse_lonlat(
    lat_deg: float,
    lon_deg: float,
    semi_major_m: float,
    semi_minor_m: float,
    orientation_deg: float,
    n: int = 73,
) -> np.ndarray:
    """Ground outline ``(n, 2)`` [lon_deg, lat_deg] (closed) of an ellipse centred on a point.

    ``orientation_deg``: azimuth of the major axis, clockwise from north. Each outline
    point lies at the ellipse's polar radius along its azimuth, on the WGS-84 geodesic."""
    theta = np.linspace(0.0, 2.0 * math.pi, n)
    a, b = float(semi_major_m), float(semi_minor_m)
    radius = a * b / np.sqrt((b * np.cos(theta)) ** 2 + (a * np.sin(theta)) ** 2)
    az = math.radians(orientation_deg) + theta
    lat, lon, _ = geodesic_direct(lat_deg, lon_deg, az, radius)
    return np.column_stack([lon, lat])


def sector_lonlat(site, n: int = 61, range_m: float | None = None) -> np.ndarray:
    """Ground outline ``(k, 2)`` [lon_deg, lat_deg] (closed) of a radar's coverage: the
    wedge of its field of regard out to ``range_m`` (default its max range), or a circle
    for a radar that sees all round."""
    r = float(site.max_range_m if range_m is None else range_m)
    if site.field_of_regard_deg is None or site.field_of_regard_deg >= 360.0:
        az = np.linspace(0.0, 2.0 * math.pi, n)
        lat, lon, _ = geodesic_direct(site.lat_deg, site.lon_deg, az, r)
        return np.column_stack([lon, lat])
    half = math.radians(site.field_of_regard_deg) / 2.0
    centre = math.radians(site.boresight_az_deg or 0.0)
    az = np.linspace(centre - half, centre + half, n)
    lat, lon, _ = geodesic_direct(site.lat_deg, site.lon_deg, az, r)
    apex = [[site.lon_deg, site.lat_deg]]
    return np.concatenate([apex, np.column_stack([lon, lat]), apex])


def map_bbox(result, pad_deg: float = 0.8) -> tuple[float, float, float, float]:
    """``(lon_min, lat_min, lon_max, lat_max)`` [deg] around everything on the ground of
    the run (objects, ground and ship sensors, ships, defended assets, debris, launch and
    aim points), padded; satellites' sub-points are left out."""
    lon, lat = [], []
    for o in result.objects:
        ok = np.isfinite(o.lat_deg) & np.isfinite(o.lon_deg)
        lon.append(o.lon_deg[ok])
        lat.append(o.lat_deg[ok])
    for s in result.sensors:
        if s.kind != "space_ir":
            lon.append([s.lon_deg])
            lat.append([s.lat_deg])
    for _t, la, lo in result.platforms.values():
        lon.append(lo)
        lat.append(la)
    for d in result.debris:
        lon.append(d.lon_deg)
        lat.append(d.lat_deg)
    for a in getattr(result.scenario, "defended_assets", ()):
        lon.append([a.lon_deg])
        lat.append([a.lat_deg])
    for t in result.summary.get("threats", ()):
        for key in ("launch", "aim", "impact"):
            p = t.get(key)
            if p:
                lon.append([p["lon_deg"]])
                lat.append([p["lat_deg"]])
    lon_a = np.concatenate([np.asarray(v, float) for v in lon]) if lon else np.zeros(1)
    lat_a = np.concatenate([np.asarray(v, float) for v in lat]) if lat else np.zeros(1)
    ok = np.isfinite(lon_a) & np.isfinite(lat_a)
    lon_a, lat_a = lon_a[ok], lat_a[ok]
    if lon_a.size == 0:
        lon_a, lat_a = np.zeros(1), np.zeros(1)
    return (
        float(lon_a.min() - pad_deg),
        float(max(lat_a.min() - pad_deg, -85.0)),
        float(lon_a.max() + pad_deg),
        float(min(lat_a.max() + pad_deg, 85.0)),
    )


def threat_phase_spans(result) -> list[tuple[float, float, str]]:
    """``(t0_s, t1_s, phase)`` scenario-time spans of the threat RVs' flight phases."""
    spans = []
    for o in result.objects:
        if o.kind != "rv":
            continue
        for a, b, ph in phase_runs(o.phase):
            spans.append((float(o.t_s[a]), float(o.t_s[b - 1]), ph))
    return spans


# -- matplotlib ----------------------------------------------------------------------------
def _pyplot():
    import matplotlib

    headless = sys.platform.startswith("linux") and not (
        os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")
    )
    if headless and "matplotlib.pyplot" not in sys.modules:
        matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def _finish(fig, filename):
    if filename is not None:
        fig.savefig(os.fspath(filename), dpi=150, bbox_inches="tight")
    return fig


def plot_map(result, filename=None):
    """Map of the run on a longitude/latitude plate (aspect corrected at mid-latitude).

    Draws the bundled country borders (alliance members tinted), threat ground tracks
    coloured by phase, spent stages, interceptors, ground-radar coverage, ship tracks,
    the 95 % impact ellipses of the assessments, the intercept points and debris
    footprints. Returns the Figure; saves it to ``filename`` when given."""
    plt = _pyplot()
    from matplotlib.patches import Polygon as MplPolygon

    from bmdsim.earth.geography.borders import border_rings

    lon0, lat0, lon1, lat1 = map_bbox(result)
    fig, ax = plt.subplots(figsize=(11, 7.5))
    ax.set_facecolor("#dbe7f0")
    members = _alliance_members(result)
    for ring in border_rings(bbox=(lon0, lat0, lon1, lat1)):
        face = "#dbe7f0" if ring.hole else ("#eef1e6" if ring.iso3 in members else "#f7f4ec")
        ax.add_patch(
            MplPolygon(
                ring.lonlat_deg,
                closed=True,
                facecolor=face,
                edgecolor="#9c9689",
                linewidth=0.5,
                zorder=1,
            )
        )
    for s in result.sensors:
        if s.kind == "space_ir":
            continue
        ring = sector_lonlat(s)
        c = COLOURS.get(s.kind, COLOURS["radar"])
        ax.fill(ring[:, 0], ring[:, 1], color=c, alpha=0.05, zorder=2)
        ax.plot(ring[:, 0], ring[:, 1], color=c, lw=0.7, alpha=0.6, zorder=2)
        ax.plot(s.lon_deg, s.lat_deg, marker="^", color=c, ms=8, mec="white", zorder=6)
        ax.annotate(
            s.id,
            (s.lon_deg, s.lat_deg),
            xytext=(5, 5),
            textcoords="offset points",
            fontsize=7,
            color="#333",
        )
    for pid, (_t, la, lo) in result.platforms.items():
        ax.plot(lo, la, color=COLOURS["ship"], lw=1.5, zorder=3)
        ax.plot(lo[-1], la[-1], marker="s", color=COLOURS["ship"], ms=5, zorder=6)
        ax.annotate(
            pid,
            (lo[-1], la[-1]),
            xytext=(5, -10),
            textcoords="offset points",
            fontsize=7,
            color=COLOURS["ship"],
        )
    for a in getattr(result.scenario, "defended_assets", ()):
        ring = ellipse_lonlat(a.lat_deg, a.lon_deg, a.radius_km * 1e3, a.radius_km * 1e3, 0.0)
        ax.plot(ring[:, 0], ring[:, 1], color=COLOURS["asset"], lw=0.8, zorder=3)
        ax.annotate(
            a.name or a.id,
            (a.lon_deg, a.lat_deg),
            xytext=(4, -9),
            textcoords="offset points",
            fontsize=7,
            color=COLOURS["asset"],
        )
    _draw_ellipses(ax, result)
    for d in result.debris:
        ring = np.asarray(d.footprint_geojson["coordinates"][0], dtype=float)
        ax.fill(
            ring[:, 0],
            ring[:, 1],
            color=COLOURS["debris"],
            alpha=0.35,
            zorder=4,
            label="debris footprint (95 % of mass)",
        )
        ax.scatter(d.lon_deg, d.lat_deg, s=2, color=COLOURS["debris"], zorder=4)
    seen: set[str] = set()
    for o in result.objects:
        if o.kind == "booster":
            ax.plot(
                o.lon_deg,
                o.lat_deg,
                color=COLOURS["booster"],
                lw=1.0,
                ls="--",
                zorder=5,
                label=None if "booster" in seen else "spent stage",
            )
            seen.add("booster")
            continue
        for a, b, ph in phase_runs(o.phase):
            ax.plot(
                o.lon_deg[a:b],
                o.lat_deg[a:b],
                color=PHASE_COLOURS.get(ph, "#444"),
                lw=2.2 if o.kind == "rv" else 1.6,
                zorder=7,
                label=None if ph in seen else ph,
            )
            seen.add(ph)
    for t in result.summary.get("threats", ()):
        la, lo = t["launch"]["lat_deg"], t["launch"]["lon_deg"]
        ax.plot(lo, la, marker="o", color=COLOURS["launch"], ms=6, zorder=8)
        ax.annotate(
            f"{t['id']} launch", (lo, la), xytext=(5, 5), textcoords="offset points", fontsize=8
        )
        aim = t.get("aim")
        if aim:
            ax.plot(
                aim["lon_deg"], aim["lat_deg"], marker="x", color=COLOURS["aim"], ms=7, zorder=8
            )
            ax.annotate(
                "aim",
                (aim["lon_deg"], aim["lat_deg"]),
                xytext=(5, -10),
                textcoords="offset points",
                fontsize=7,
                color=COLOURS["aim"],
            )
        hit = t.get("intercept")
        if hit:
            ax.plot(
                hit["lon_deg"],
                hit["lat_deg"],
                marker="*",
                color=COLOURS["intercept"],
                mec="white",
                ms=16,
                zorder=9,
                label="intercept",
            )
        imp = t.get("impact")
        if imp:
            ax.plot(
                imp["lon_deg"],
                imp["lat_deg"],
                marker="X",
                color="#b2182b",
                ms=10,
                zorder=9,
                label="impact",
            )
    ax.set_xlim(lon0, lon1)
    ax.set_ylim(lat0, lat1)
    ax.set_aspect(1.0 / math.cos(math.radians(0.5 * (lat0 + lat1))))
    ax.set_xlabel("longitude [deg]")
    ax.set_ylabel("latitude [deg]")
    ax.set_title(f"{result.summary.get('scenario', '')}  (seed {result.seed})")
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0), fontsize=8, frameon=False)
    ax.grid(color="white", lw=0.5, alpha=0.6)
    return _finish(fig, filename)


def _alliance_members(result) -> frozenset[str]:
    members = getattr(result.scenario, "alliance_members", None)
    return members() if callable(members) else frozenset()


def _draw_ellipses(ax, result, max_ellipses: int = 8) -> None:
    a = threat_assessments(result)
    if a is None:
        return
    rows = a.iloc[np.unique(np.linspace(0, len(a) - 1, min(max_ellipses, len(a))).astype(int))]
    for k, row in enumerate(rows.itertuples(index=False)):
        ring = ellipse_lonlat(
            row.ipp_lat_deg,
            row.ipp_lon_deg,
            row.ellipse_major_m,
            row.ellipse_minor_m,
            row.ellipse_orientation_deg,
        )
        ax.plot(
            ring[:, 0],
            ring[:, 1],
            color=COLOURS["ellipse"],
            zorder=4,
            lw=0.8 + 1.2 * k / max(len(rows) - 1, 1),
            alpha=0.35 + 0.65 * k / max(len(rows) - 1, 1),
            label="95 % impact ellipse" if k == len(rows) - 1 else None,
        )
    ax.plot(
        a["ipp_lon_deg"],
        a["ipp_lat_deg"],
        ".",
        color=COLOURS["predicted"],
        ms=2,
        zorder=4,
        label="predicted impact points",
    )


def plot_timeline(result, filename=None):
    """Kill-chain timeline against seconds after launch.

    A band of the threat's flight phases, one row per sensor with a tick at each detection,
    then one row per kill-chain step (:func:`milestones`) with its time. Returns the Figure;
    saves it to ``filename`` when given."""
    plt = _pyplot()

    t0 = launch_time_s(result)
    steps = milestones(result)
    dets = detection_times(result)
    kinds = sensor_kinds(result)
    rows = [
        "flight phase",
        *[f"{s} ({_SENSOR_KIND_LABEL.get(kinds.get(s, ''), 'sensor')})" for s in dets],
        *[m.label for m in steps],
    ]
    fig, ax = plt.subplots(figsize=(11, 0.9 + 0.32 * len(rows)))
    y = {name: len(rows) - 1 - i for i, name in enumerate(rows)}
    for a, b, ph in threat_phase_spans(result):
        ax.barh(
            y["flight phase"],
            b - a,
            left=a - t0,
            height=0.6,
            color=PHASE_COLOURS.get(ph, "#999"),
            label=ph,
        )
    for s, name in zip(dets, rows[1 : 1 + len(dets)], strict=True):
        t = dets[s] - t0
        c = COLOURS.get(kinds.get(s, "radar"), COLOURS["radar"])
        ax.barh(y[name], t.max() - t.min(), left=t.min(), height=0.18, color=c, alpha=0.35)
        ax.vlines(t, y[name] - 0.25, y[name] + 0.25, color=c, lw=0.6)
    lane_colour = {
        "Threat": "#7f2704",
        "Sensors": "#6a3d9a",
        "Tracking": "#2ca02c",
        "C2": "#d95f02",
        "Weapons": "#1f77b4",
    }
    xs = [m.time_s - t0 for m in steps]
    ys = [y[m.label] for m in steps]
    ax.plot(xs, ys, color="#bbbbbb", lw=0.8, zorder=1)
    for m, xv, yv in zip(steps, xs, ys, strict=True):
        ax.plot(xv, yv, "o", color=lane_colour[m.lane], ms=6, zorder=3)
        ax.annotate(f"{xv:.0f} s", (xv, yv), xytext=(6, -3), textcoords="offset points", fontsize=8)
    ax.set_yticks(list(y.values()), list(y.keys()), fontsize=8)
    t_max = max([*xs, *(b - t0 for _a, b, _p in threat_phase_spans(result)), 1.0])
    ax.set_xlim(min(-0.02 * t_max, *xs, 0.0), 1.1 * t_max)
    ax.set_xlabel("seconds after launch")
    ax.grid(axis="x", color="#e5e5e5")
    ax.set_axisbelow(True)
    for side in ("top", "right"):
        ax.spines[side].set_visible(False)
    handles, labels = ax.get_legend_handles_labels()
    uniq = dict(zip(labels, handles, strict=True))
    if uniq:
        ax.legend(
            uniq.values(),
            uniq.keys(),
            loc="lower right",
            bbox_to_anchor=(1.0, 1.0),
            fontsize=8,
            ncols=len(uniq),
            frameon=False,
        )
    ax.set_title("Kill chain", loc="left")
    fig.tight_layout()
    return _finish(fig, filename)


__all__ = [
    "COLOURS",
    "LANES",
    "PHASE_COLOURS",
    "Milestone",
    "detection_times",
    "ellipse_lonlat",
    "launch_time_s",
    "map_bbox",
    "milestones",
    "phase_runs",
    "plot_map",
    "plot_timeline",
    "sector_lonlat",
    "sensor_kinds",
    "threat_assessments",
    "threat_phase_spans",
    "threat_track_ids",
]
