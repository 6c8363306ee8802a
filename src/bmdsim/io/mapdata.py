"""The report map's content as plain data, drawn by the page's script with Leaflet.

:func:`map_data` returns a JSON-ready dict:

* ``view``, ``limit``: ``[[lat_min, lon_min], [lat_max, lon_max]]`` [deg] to fit, and to
  keep panning within;
* ``land``: country polygons of the bundled borders (``rings``: outer ring then holes,
  ``[lat, lon]`` pairs), clipped to ``limit`` and simplified to about 300 m; ``member``
  marks the scenario alliance's members on its date;
* ``overlays``: named layers of items (``t``: "line", "poly", "circle" (radius in metres),
  "dot" (pixels), "sym" (a marker shape), "label"), each with colours and a tooltip;
* ``legend``: ``(label, colour, kind)`` rows.

Coordinates are rounded to 1e-4 deg (about 10 m), enough for a regional map.
"""

from __future__ import annotations

import numpy as np

from bmdsim.earth.geodesic import geodesic_direct, geodesic_inverse
from bmdsim.sim.plots import (
    COLOURS,
    PHASE_COLOURS,
    ellipse_lonlat,
    launch_time_s,
    map_bbox,
    phase_runs,
    sector_lonlat,
    threat_assessments,
)

#: Simplification tolerance of the country outlines [deg].
SIMPLIFY_DEG: float = 0.003
#: At most this many impact ellipses are drawn (evenly spaced in the assessments).
MAX_ELLIPSES: int = 10
#: At most this many predicted impact points are drawn (evenly spaced in the assessments).
MAX_IPP_DOTS: int = 120
#: At most this many debris fragments are drawn.
MAX_FRAGMENTS: int = 400


def _ll(lat, lon, digits: int = 4) -> list[list[float]]:
    """``[[lat, lon], ...]`` of the finite points, rounded."""
    lat = np.asarray(lat, dtype=float).ravel()
    lon = np.asarray(lon, dtype=float).ravel()
    ok = np.isfinite(lat) & np.isfinite(lon)
    return np.round(np.column_stack([lat[ok], lon[ok]]), digits).tolist()


def _pt(lat, lon) -> list[float]:
    return [round(float(lat), 5), round(float(lon), 5)]


def _ring_ll(lonlat) -> list[list[float]]:
    a = np.asarray(lonlat, dtype=float)
    return _ll(a[:, 1], a[:, 0])


def _land(view, limit, members) -> tuple[list[dict], list[dict]]:
    """Country polygons clipped to ``limit`` and labels of the countries in ``view``."""
    import shapely

    from bmdsim.earth.geography.borders import border_rings, country_name

    lon0, lat0, lon1, lat1 = limit
    rings = border_rings(bbox=limit)
    polys: list[tuple[str, shapely.Polygon]] = []
    k = 0
    while k < len(rings):
        outer = rings[k]
        holes = []
        k += 1
        while k < len(rings) and rings[k].hole:
            if len(rings[k].lonlat_deg) >= 4:
                holes.append(rings[k].lonlat_deg)
            k += 1
        if len(outer.lonlat_deg) >= 4:
            polys.append((outer.iso3, shapely.Polygon(outer.lonlat_deg, holes)))
    land: list[dict] = []
    area: dict[str, tuple[float, object]] = {}
    vbox = shapely.box(*view)
    for iso3, poly in polys:
        geom = shapely.make_valid(poly)
        geom = shapely.clip_by_rect(geom, lon0, lat0, lon1, lat1)
        geom = shapely.simplify(geom, SIMPLIFY_DEG, preserve_topology=True)
        for part in shapely.get_parts(geom):
            if part.geom_type != "Polygon" or part.is_empty or part.area < 2e-5:
                continue
            land.append(
                {
                    "iso3": iso3,
                    "member": iso3 in members,
                    "rings": [
                        _ring_ll(part.exterior.coords),
                        *(_ring_ll(h.coords) for h in part.interiors),
                    ],
                }
            )
            inside = shapely.intersection(part, vbox)
            if not inside.is_empty and inside.area > area.get(iso3, (0.0, None))[0]:
                area[iso3] = (inside.area, inside)
    span = (view[2] - view[0]) * (view[3] - view[1])
    labels = []
    for iso3, (a, geom) in sorted(area.items()):
        if a < 0.004 * span:
            continue
        p = shapely.point_on_surface(geom)
        try:
            name = country_name(iso3)
        except LookupError:
            name = iso3
        labels.append({"t": "label", "ll": _pt(p.y, p.x), "text": name, "cls": "country"})
    for item in land:
        item["name"] = _country_name(item["iso3"])
    return land, labels


def _country_name(iso3: str) -> str:
    from bmdsim.earth.geography.borders import country_name

    try:
        return country_name(iso3)
    except LookupError:
        return iso3


def _geodesic_line(a, b, n: int = 48) -> list[list[float]]:
    dist, az, _ = geodesic_inverse(a[0], a[1], b[0], b[1])
    lat, lon, _ = geodesic_direct(a[0], a[1], az, np.linspace(0.0, float(dist), n))
    return _ll(lat, lon)


def _fmt_t(result, t_s: float) -> str:
    return f"T+{t_s - launch_time_s(result):.0f} s"


def _threat_layer(result) -> dict:
    items = []
    for o in result.objects:
        if o.kind != "rv":
            continue
        for a, b, ph in phase_runs(o.phase):
            items.append(
                {
                    "t": "line",
                    "ll": _ll(o.lat_deg[a:b], o.lon_deg[a:b]),
                    "c": PHASE_COLOURS.get(ph, "#444444"),
                    "w": 4,
                    "tip": f"{o.id} {ph}: {_fmt_t(result, o.t_s[a])} to "
                    f"{_fmt_t(result, o.t_s[b - 1])}, "
                    f"{np.nanmax(o.alt_m[a:b]) / 1e3:.0f} km max altitude",
                }
            )
    for th in result.summary.get("threats", ()):
        la, lo = th["launch"]["lat_deg"], th["launch"]["lon_deg"]
        items.append(
            {
                "t": "sym",
                "ll": _pt(la, lo),
                "shape": "circle",
                "size": 6,
                "c": COLOURS["launch"],
                "tip": f"{th['id']} launch ({th.get('missile', '')}) "
                f"{la:.2f}\u00b0N {lo:.2f}\u00b0E",
                "label": f"{th['id']} launch",
            }
        )
        imp = th.get("impact")
        if imp:
            items.append(
                {
                    "t": "sym",
                    "ll": _pt(imp["lat_deg"], imp["lon_deg"]),
                    "shape": "diamond",
                    "size": 7,
                    "c": "#b2182b",
                    "tip": f"{th['id']} impact in {imp.get('country') or 'sea'}",
                    "label": f"{th['id']} impact",
                }
            )
    return {"name": "Threat ground track", "show": True, "items": items}


def _stages_layer(result) -> dict | None:
    items = []
    for o in result.objects:
        if o.kind != "booster":
            continue
        items.append(
            {
                "t": "line",
                "ll": _ll(o.lat_deg, o.lon_deg),
                "c": COLOURS["booster"],
                "w": 2,
                "dash": "6 5",
                "tip": f"{o.id} (spent stage)",
            }
        )
        ok = np.flatnonzero(np.isfinite(o.lat_deg))
        if ok.size and np.asarray(o.alt_m, float)[ok[-1]] < 1_000.0:
            items.append(
                {
                    "t": "dot",
                    "ll": _pt(o.lat_deg[ok[-1]], o.lon_deg[ok[-1]]),
                    "r": 4,
                    "c": "#5f5f5f",
                    "fc": "#bdbdbd",
                    "tip": f"{o.id} impact, {_fmt_t(result, o.t_s[ok[-1]])}",
                }
            )
    return {"name": "Spent stages", "show": True, "items": items} if items else None


def _intended_layer(result) -> dict | None:
    items = []
    for th in result.summary.get("threats", ()):
        aim = th.get("aim")
        if not aim:
            continue
        a = (th["launch"]["lat_deg"], th["launch"]["lon_deg"])
        b = (aim["lat_deg"], aim["lon_deg"])
        items.append(
            {
                "t": "line",
                "ll": _geodesic_line(a, b),
                "c": COLOURS["aim"],
                "w": 1.5,
                "dash": "2 6",
                "op": 0.8,
                "tip": f"{th['id']}: intended path to the aim",
            }
        )
        items.append(
            {
                "t": "sym",
                "ll": _pt(*b),
                "shape": "diamond",
                "size": 6,
                "c": COLOURS["aim"],
                "tip": f"{th['id']} aim point",
                "label": f"{th['id']} aim",
            }
        )
    return {"name": "Intended path (aim)", "show": True, "items": items} if items else None


def _assessment_layer(result) -> dict | None:
    items = []
    a = threat_assessments(result)
    if a is not None:
        idx = np.unique(np.linspace(0, len(a) - 1, min(MAX_ELLIPSES, len(a))).astype(int))
        rows = a.iloc[idx]
        n = len(rows)
        for k, row in enumerate(rows.itertuples(index=False)):
            ring = ellipse_lonlat(
                row.ipp_lat_deg,
                row.ipp_lon_deg,
                row.ellipse_major_m,
                row.ellipse_minor_m,
                row.ellipse_orientation_deg,
            )
            f = k / max(n - 1, 1)
            items.append(
                {
                    "t": "poly",
                    "ll": _ring_ll(ring),
                    "c": COLOURS["ellipse"],
                    "fc": COLOURS["ellipse"],
                    "fo": 0.03 + 0.12 * f,
                    "w": 1 + 1.5 * f,
                    "op": 0.35 + 0.65 * f,
                    "tip": f"95 % impact ellipse at {_fmt_t(result, row.time_s)} ({row.track_id}): "
                    f"{row.ellipse_major_m / 1e3:.1f} \u00d7 "
                    f"{row.ellipse_minor_m / 1e3:.1f} km, {row.country or 'sea'}",
                }
            )
        # the predicted impact point over time, as dots (early predictions can jump far)
        pick = np.unique(np.linspace(0, len(a) - 1, min(MAX_IPP_DOTS, len(a))).astype(int))
        for row in a.iloc[pick].itertuples(index=False):
            if not (np.isfinite(row.ipp_lat_deg) and np.isfinite(row.ipp_lon_deg)):
                continue
            items.append(
                {
                    "t": "dot",
                    "ll": _pt(row.ipp_lat_deg, row.ipp_lon_deg),
                    "r": 2.2,
                    "c": COLOURS["predicted"],
                    "fc": COLOURS["predicted"],
                    "fo": 0.85,
                    "w": 0,
                    "tip": f"predicted impact at {_fmt_t(result, row.time_s)} "
                    f"({row.track_id}): {row.country or 'sea'}",
                }
            )
    for th in result.summary.get("threats", ()):
        p = th.get("predicted_impact")
        if p and p.get("lat_deg") is not None:
            items.append(
                {
                    "t": "sym",
                    "ll": _pt(p["lat_deg"], p["lon_deg"]),
                    "shape": "diamond",
                    "size": 6,
                    "c": COLOURS["predicted"],
                    "tip": f"{th['id']} predicted impact at track confirmation "
                    f"({p.get('country') or 'sea'})",
                }
            )
        lpe = th.get("launch_point_estimate")
        if lpe and lpe.get("lat_deg") is not None:
            items.append(
                {
                    "t": "circle",
                    "ll": _pt(lpe["lat_deg"], lpe["lon_deg"]),
                    "r_m": max(float(lpe.get("error_m") or 0.0), 500.0),
                    "c": COLOURS["launch"],
                    "fc": COLOURS["launch"],
                    "fo": 0.08,
                    "w": 1,
                    "dash": "3 3",
                    "tip": f"{th['id']} launch point estimate; the circle reaches the true "
                    f"launch point ({float(lpe.get('error_m') or 0.0) / 1e3:.1f} km)",
                }
            )
    return {"name": "Impact predictions (95 %)", "show": True, "items": items} if items else None


def _interceptor_layer(result) -> dict | None:
    items = []
    for o in result.objects:
        if o.kind != "interceptor":
            continue
        for a, b, ph in phase_runs(o.phase):
            items.append(
                {
                    "t": "line",
                    "ll": _ll(o.lat_deg[a:b], o.lon_deg[a:b]),
                    "c": PHASE_COLOURS.get(ph, COLOURS["interceptor"]),
                    "w": 3,
                    "tip": f"{o.id} ({o.owner}) {ph}",
                }
            )
        items.append(
            {
                "t": "dot",
                "ll": _pt(o.lat_deg[0], o.lon_deg[0]),
                "r": 4,
                "c": COLOURS["interceptor"],
                "fc": "#ffffff",
                "tip": f"{o.id} launch, {_fmt_t(result, o.t_s[0])}",
            }
        )
    for th in result.summary.get("threats", ()):
        hit = th.get("intercept")
        if hit:
            items.append(
                {
                    "t": "sym",
                    "ll": _pt(hit["lat_deg"], hit["lon_deg"]),
                    "shape": "star",
                    "size": 11,
                    "c": "#111111",
                    "tip": f"Intercept of {th['id']} at {_fmt_t(result, hit['time_s'])}, "
                    f"{hit['alt_m'] / 1e3:.0f} km altitude, by {hit.get('fire_unit', '')} "
                    f"({hit.get('interceptor', '')}), miss distance "
                    f"{float(hit.get('miss_distance_m') or 0.0):.1f} m",
                    "label": "intercept",
                }
            )
    return {"name": "Interceptor and intercept", "show": True, "items": items} if items else None


def _debris_layer(result) -> dict | None:
    items = []
    for d in result.debris:
        ring = np.asarray(d.footprint_geojson["coordinates"][0], dtype=float)
        items.append(
            {
                "t": "poly",
                "ll": _ring_ll(ring),
                "c": COLOURS["debris"],
                "fc": COLOURS["debris"],
                "fo": 0.3,
                "w": 2,
                "tip": f"Debris footprint of {d.threat_id} (95 % of mass): "
                + ", ".join(d.countries)
                + " \u2014 near "
                + ", ".join(d.places),
            }
        )
        n = np.size(d.lat_deg)
        idx = np.linspace(0, n - 1, min(n, MAX_FRAGMENTS)).astype(int) if n else []
        for i in idx:
            items.append(
                {
                    "t": "dot",
                    "ll": _pt(d.lat_deg[i], d.lon_deg[i]),
                    "r": 1.6,
                    "c": "#b35806",
                    "fc": "#b35806",
                    "fo": 0.8,
                    "w": 0,
                }
            )
    return {"name": "Debris", "show": True, "items": items} if items else None


def _sensor_layer(result) -> dict | None:
    items = []
    for s in result.sensors:
        colour = COLOURS.get(s.kind, COLOURS["radar"])
        if s.kind == "space_ir":
            items.append(
                {
                    "t": "sym",
                    "ll": _pt(s.lat_deg, s.lon_deg),
                    "shape": "square",
                    "size": 6,
                    "c": colour,
                    "tip": f"{s.id} ({s.type}) sub-satellite point",
                    "label": s.id,
                }
            )
            continue
        items.append(
            {
                "t": "poly",
                "ll": _ring_ll(sector_lonlat(s)),
                "c": colour,
                "fc": colour,
                "fo": 0.025,
                "w": 1.2,
                "op": 0.8,
                "dash": "5 4",
                "tip": f"{s.id} ({s.type}) field of regard to {s.max_range_m / 1e3:.0f} km",
            }
        )
        items.append(
            {
                "t": "sym",
                "ll": _pt(s.lat_deg, s.lon_deg),
                "shape": "triangle",
                "size": 7,
                "c": colour,
                "tip": f"{s.id} ({s.type})",
                "label": s.id,
            }
        )
    return {"name": "Sensors and coverage", "show": True, "items": items} if items else None


def _ships_layer(result) -> dict | None:
    items = []
    for pid, (_t, lat, lon) in result.platforms.items():
        ll = _ll(lat, lon)
        if not ll:
            continue
        items.append({"t": "line", "ll": ll, "c": COLOURS["ship"], "w": 3, "tip": f"{pid} track"})
        items.append(
            {
                "t": "sym",
                "ll": ll[-1],
                "shape": "square",
                "size": 5,
                "c": COLOURS["ship"],
                "tip": str(pid),
                "label": str(pid),
            }
        )
    return {"name": "Ships", "show": True, "items": items} if items else None


def _assets_layer(result) -> dict | None:
    items = []
    scenario = result.scenario
    for a in getattr(scenario, "defended_assets", ()):
        items.append(
            {
                "t": "circle",
                "ll": _pt(a.lat_deg, a.lon_deg),
                "r_m": a.radius_km * 1e3,
                "c": COLOURS["asset"],
                "fc": COLOURS["asset"],
                "fo": 0.12,
                "w": 1.5,
                "tip": f"Defended asset: {a.name or a.id} (radius {a.radius_km:g} km, "
                f"value {a.value:g})",
            }
        )
        items.append(
            {"t": "label", "ll": _pt(a.lat_deg, a.lon_deg), "text": a.name or a.id, "cls": "asset"}
        )
    for f in getattr(scenario, "fire_units", ()):
        if f.site is None:
            continue
        items.append(
            {
                "t": "sym",
                "ll": _pt(f.site.lat_deg, f.site.lon_deg),
                "shape": "circle",
                "size": 4,
                "c": COLOURS["interceptor"],
                "tip": f"Fire unit {f.id} ({f.name or f.interceptor})",
            }
        )
    return {"name": "Defended assets", "show": True, "items": items} if items else None


def _places_layer(result, view) -> dict | None:
    from bmdsim.earth.geography.places import nearest_places

    anchors = []
    for th in result.summary.get("threats", ()):
        for key in ("intercept", "impact", "predicted_impact"):
            p = th.get(key)
            if p and p.get("lat_deg") is not None:
                anchors.append((p["lat_deg"], p["lon_deg"]))
    for d in result.debris:
        if np.size(d.lat_deg):
            anchors.append((float(np.mean(d.lat_deg)), float(np.mean(d.lon_deg))))
    if not anchors:
        return None
    lat = np.array([a[0] for a in anchors])
    lon = np.array([a[1] for a in anchors])
    seen: dict[str, object] = {}
    for group in nearest_places(lat, lon, k=5, min_population=20_000):
        for p in group:
            seen.setdefault(f"{p.name}|{p.country}", p)
    lon0, lat0, lon1, lat1 = view
    items = []
    for p in seen.values():
        if not (lon0 <= p.lon_deg <= lon1 and lat0 <= p.lat_deg <= lat1):
            continue
        items.append(
            {
                "t": "dot",
                "ll": _pt(p.lat_deg, p.lon_deg),
                "r": 2.5,
                "c": "#333333",
                "fc": "#333333",
                "tip": f"{p.name} ({p.country}), population {p.population:,}",
            }
        )
        items.append(
            {"t": "label", "ll": _pt(p.lat_deg, p.lon_deg), "text": p.name, "cls": "place"}
        )
    return {"name": "Named places", "show": True, "items": items} if items else None


def _legend(result) -> list[dict]:
    """Legend rows for what the map shows."""
    kinds = {o.kind for o in result.objects}
    phases = {str(p) for o in result.objects if o.kind == "rv" for p in np.unique(o.phase)}
    threats = result.summary.get("threats", ())
    sensor_kinds = {s.kind for s in result.sensors}
    rows = [
        (ph.capitalize(), PHASE_COLOURS[ph], "line")
        for ph in ("boost", "midcourse", "reentry")
        if ph in phases
    ]
    present = [
        ("booster" in kinds, "Spent stage", COLOURS["booster"], "dash"),
        (any(t.get("aim") for t in threats), "Intended path", COLOURS["aim"], "dot-line"),
        ("interceptor" in kinds, "Interceptor", PHASE_COLOURS["flyout"], "line"),
        (any(t.get("intercept") for t in threats), "Intercept", "#111111", "star"),
        (any(t.get("impact") for t in threats), "Impact", "#b2182b", "diamond"),
        (threat_assessments(result) is not None, "95 % impact ellipse", COLOURS["ellipse"], "ring"),
        (
            threat_assessments(result) is not None,
            "Predicted impact",
            COLOURS["predicted"],
            "circle",
        ),
        (bool(result.debris), "Debris footprint", COLOURS["debris"], "box"),
        (bool(sensor_kinds - {"space_ir"}), "Radar coverage", COLOURS["radar"], "ring"),
        ("space_ir" in sensor_kinds, "Satellite sub-point", COLOURS["space_ir"], "square"),
        (bool(result.platforms), "Ship track", COLOURS["ship"], "line"),
        (
            bool(getattr(result.scenario, "defended_assets", ())),
            "Defended asset",
            COLOURS["asset"],
            "ring",
        ),
    ]
    rows += [(label, c, kind) for ok, label, c, kind in present if ok]
    if getattr(result.scenario, "alliance", None) is not None:
        rows.append((f"{result.scenario.alliance.name} member", "#c9d6bb", "box"))
    return [{"label": label, "c": c, "kind": kind} for label, c, kind in rows]


def map_data(result) -> dict:
    """The map's content (see the module docstring)."""
    view = map_bbox(result)
    span = max(view[2] - view[0], view[3] - view[1])
    pad = max(8.0, 0.6 * span)
    limit = (
        max(view[0] - pad, -180.0),
        max(view[1] - pad, -85.0),
        min(view[2] + pad, 180.0),
        min(view[3] + pad, 85.0),
    )
    members_fn = getattr(result.scenario, "alliance_members", None)
    members = members_fn() if callable(members_fn) else frozenset()
    land, country_labels = _land(view, limit, members)
    overlays = [
        _sensor_layer(result),
        _assets_layer(result),
        _ships_layer(result),
        _intended_layer(result),
        _stages_layer(result),
        _assessment_layer(result),
        _debris_layer(result),
        _threat_layer(result),
        _interceptor_layer(result),
        _places_layer(result, view),
        {"name": "Country names", "show": True, "items": country_labels},
    ]
    return {
        "view": [[view[1], view[0]], [view[3], view[2]]],
        "limit": [[limit[1], limit[0]], [limit[3], limit[2]]],
        "land": land,
        "overlays": [o for o in overlays if o is not None],
        "legend": _legend(result),
    }


__all__ = ["MAX_ELLIPSES", "MAX_FRAGMENTS", "MAX_IPP_DOTS", "SIMPLIFY_DEG", "map_data"]
