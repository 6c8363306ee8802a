"""The run as a CZML document for Cesium (with :mod:`czml3` 4.x).

Packets: the document (name, clock over the run's activity), one packet per flight object
(threat RV, spent stages, interceptors) with time-tagged ECEF positions in the ``FIXED``
frame (``[t, x, y, z, ...]``, seconds after the scenario epoch, metres) and a path
coloured by kind, sensors (ground radars and satellites' sub-points) as points, ships
with their tracks, defended assets, the intercept point (shown from the intercept on)
and the debris footprint as a ground polygon.

czml3 does not check that sample lists are whole samples; :func:`_samples` does.
"""

from __future__ import annotations

import datetime as dt

import numpy as np

#: RGBA colours by object kind.
KIND_RGBA: dict[str, list[int]] = {
    "rv": [214, 39, 40, 255],
    "booster": [150, 150, 150, 255],
    "interceptor": [31, 119, 180, 255],
    "radar": [44, 160, 44, 255],
    "ship_radar": [23, 190, 207, 255],
    "space_ir": [148, 103, 189, 255],
    "ship": [27, 58, 92, 255],
    "asset": [59, 91, 146, 255],
    "intercept": [255, 215, 0, 255],
    "debris": [255, 127, 14, 110],
}
#: Packet id prefix by object kind.
PREFIX: dict[str, str] = {"rv": "threat", "booster": "booster", "interceptor": "interceptor"}


def _epoch(result) -> dt.datetime:
    epoch = getattr(result.scenario, "epoch", None)
    if epoch is None:
        return dt.datetime(2000, 1, 1, 12, tzinfo=dt.UTC)
    return epoch if epoch.tzinfo is not None else epoch.replace(tzinfo=dt.UTC)


def _at(epoch: dt.datetime, t_s: float) -> dt.datetime:
    return epoch + dt.timedelta(seconds=float(t_s))


def _samples(t_s, values) -> tuple[list[float], np.ndarray, np.ndarray]:
    """Flattened ``[t0, v0..., t1, v1..., ...]`` for finite samples at strictly increasing
    times (of repeated times the last sample is kept); also the kept times and values."""
    t = np.asarray(t_s, dtype=float)
    v = np.asarray(values, dtype=float)
    ok = np.isfinite(t) & np.all(np.isfinite(v), axis=1)
    t, v = t[ok], v[ok]
    order = np.argsort(t, kind="stable")
    t, v = t[order], v[order]
    last = np.append(t[1:] != t[:-1], True)
    t, v = t[last], v[last]
    flat = np.column_stack([t, v]).ravel().tolist()
    width = v.shape[1] + 1
    if len(flat) != width * t.size:
        raise ValueError(f"CZML samples: {len(flat)} values is not {t.size} samples of {width}")
    return flat, t, v


def object_samples(track) -> tuple[np.ndarray, np.ndarray]:
    """The times [s] and ECEF positions ``(K, 3)`` [m] written for an object track."""
    _, t, v = _samples(track.t_s, track.states[:, :3])
    return t, v


def _colour(kind: str):
    from czml3.properties import Color

    return Color(rgba=KIND_RGBA[kind])


def _label(text: str, kind: str):
    from czml3.properties import Label

    return Label(
        text=text,
        font="12px sans-serif",
        fillColor=_colour(kind),
        outlineColor=_black(),
        outlineWidth=2,
        style="FILL_AND_OUTLINE",
        pixelOffset={"cartesian2": [12, -12]},
        horizontalOrigin="LEFT",
    )


def _black():
    from czml3.properties import Color

    return Color(rgba=[0, 0, 0, 255])


def _object_packet(o, epoch, t_end):
    from czml3 import Packet
    from czml3.properties import (
        Path,
        Point,
        PolylineMaterial,
        Position,
        SolidColorMaterial,
    )
    from czml3.types import TimeInterval

    flat, t, _ = _samples(o.t_s, o.states[:, :3])
    if t.size == 0:
        return None
    degree = int(min(5, t.size - 1))
    position = Position(
        epoch=epoch,
        cartesian=flat,
        referenceFrame="FIXED",
        interpolationAlgorithm="LAGRANGE" if degree >= 2 else "LINEAR",
        interpolationDegree=max(degree, 1),
    )
    kind = o.kind if o.kind in KIND_RGBA else "booster"
    return Packet(
        id=f"{PREFIX.get(o.kind, o.kind)}/{o.id}",
        name=f"{o.id} ({o.kind})",
        description=f"{o.kind} of {o.owner}; samples {t[0]:.1f}-{t[-1]:.1f} s after epoch",
        availability=TimeInterval(start=_at(epoch, t[0]), end=_at(epoch, t[-1])),
        position=position,
        path=Path(
            material=PolylineMaterial(solidColor=SolidColorMaterial(color=_colour(kind))),
            width=3.0 if o.kind == "rv" else 2.0,
            leadTime=0.0,
            trailTime=float(t_end),
            resolution=5.0,
        ),
        point=Point(
            pixelSize=9.0 if o.kind == "rv" else 6.0,
            color=_colour(kind),
            outlineColor=_black(),
            outlineWidth=1.0,
        ),
        label=_label(o.id, kind),
    )


def _time_span(result) -> tuple[float, float]:
    starts, ends = [], []
    for o in result.objects:
        t = np.asarray(o.t_s, dtype=float)
        t = t[np.isfinite(t)]
        if t.size:
            starts.append(t.min())
            ends.append(t.max())
    for d in result.debris:
        if np.size(d.impact_time_s):
            ends.append(float(np.nanmax(d.impact_time_s)))
    if not starts:
        duration = float(getattr(result.scenario, "duration_s", 600.0))
        return 0.0, duration
    return max(min(starts) - 10.0, 0.0), max(ends) + 30.0


def czml_document(result):
    """The run as a :class:`czml3.Document` (see the module docstring)."""
    from czml3 import Document, Packet
    from czml3.properties import (
        Clock,
        Color,
        Ellipse,
        Material,
        Path,
        Point,
        Polygon,
        PolylineMaterial,
        Position,
        PositionList,
        SolidColorMaterial,
    )
    from czml3.types import TimeInterval

    epoch = _epoch(result)
    t0, t1 = _time_span(result)
    name = str(result.summary.get("scenario", getattr(result.scenario, "name", "bmdsim")))
    packets = [
        Packet(
            id="document",
            name=name,
            version="1.0",
            clock=Clock(
                interval=TimeInterval(start=_at(epoch, t0), end=_at(epoch, t1)),
                currentTime=_at(epoch, t0),
                multiplier=10.0,
                range="LOOP_STOP",
                step="SYSTEM_CLOCK_MULTIPLIER",
            ),
        )
    ]
    for o in result.objects:
        p = _object_packet(o, epoch, t1 - t0)
        if p is not None:
            packets.append(p)
    for s in result.sensors:
        kind = s.kind if s.kind in KIND_RGBA else "radar"
        where = "sub-satellite point" if s.kind == "space_ir" else "site"
        packets.append(
            Packet(
                id=f"sensor/{s.id}",
                name=f"{s.id} ({s.type})",
                description=f"{s.kind} {where}"
                + (
                    f"; max range {s.max_range_m / 1e3:.0f} km"
                    if np.isfinite(s.max_range_m)
                    else ""
                ),
                position=Position(cartographicDegrees=[float(s.lon_deg), float(s.lat_deg), 0.0]),
                point=Point(
                    pixelSize=8.0, color=_colour(kind), outlineColor=_black(), outlineWidth=1.0
                ),
                label=_label(s.id, kind),
            )
        )
    for pid, (t, lat, lon) in result.platforms.items():
        flat, tk, _ = _samples(t, np.column_stack([lon, lat, np.zeros(np.size(t))]))
        if tk.size == 0:
            continue
        packets.append(
            Packet(
                id=f"ship/{pid}",
                name=str(pid),
                availability=TimeInterval(start=_at(epoch, tk[0]), end=_at(epoch, tk[-1])),
                position=Position(
                    epoch=epoch,
                    cartographicDegrees=flat,
                    interpolationAlgorithm="LINEAR",
                    interpolationDegree=1,
                ),
                path=Path(
                    material=PolylineMaterial(solidColor=SolidColorMaterial(color=_colour("ship"))),
                    width=2.0,
                ),
                point=Point(
                    pixelSize=7.0, color=_colour("ship"), outlineColor=_black(), outlineWidth=1.0
                ),
                label=_label(str(pid), "ship"),
            )
        )
    for a in getattr(result.scenario, "defended_assets", ()):
        radius = float(a.radius_km) * 1e3
        packets.append(
            Packet(
                id=f"asset/{a.id}",
                name=a.name or a.id,
                position=Position(cartographicDegrees=[float(a.lon_deg), float(a.lat_deg), 0.0]),
                ellipse=Ellipse(
                    semiMajorAxis=radius,
                    semiMinorAxis=radius,
                    material=Material(
                        solidColor=SolidColorMaterial(color=Color(rgba=[59, 91, 146, 60]))
                    ),
                    outline=True,
                    outlineColor=_colour("asset"),
                ),
                label=_label(a.name or a.id, "asset"),
            )
        )
    for th in result.summary.get("threats", ()):
        hit = th.get("intercept")
        if not hit:
            continue
        packets.append(
            Packet(
                id=f"intercept/{th['id']}",
                name=f"Intercept of {th['id']}",
                description=(
                    f"by {hit.get('fire_unit', '')} ({hit.get('interceptor', '')}), "
                    f"miss distance {hit.get('miss_distance_m', float('nan')):.2f} m"
                ),
                availability=TimeInterval(start=_at(epoch, hit["time_s"]), end=_at(epoch, t1)),
                position=Position(
                    cartographicDegrees=[
                        float(hit["lon_deg"]),
                        float(hit["lat_deg"]),
                        float(hit["alt_m"]),
                    ]
                ),
                point=Point(
                    pixelSize=14.0,
                    color=_colour("intercept"),
                    outlineColor=_black(),
                    outlineWidth=2.0,
                ),
                label=_label(f"Intercept {th['id']}", "intercept"),
            )
        )
    for k, d in enumerate(result.debris):
        ring = np.asarray(d.footprint_geojson["coordinates"][0], dtype=float)
        if ring.shape[0] >= 2 and np.allclose(ring[0], ring[-1]):
            ring = ring[:-1]
        if ring.shape[0] < 3:
            continue
        flat = np.column_stack([ring, np.zeros(ring.shape[0])]).ravel().tolist()
        if len(flat) != 3 * ring.shape[0]:
            raise ValueError("CZML debris footprint: positions are not (lon, lat, h) triples")
        packets.append(
            Packet(
                id=f"debris/{d.threat_id}/{k}",
                name=f"Debris footprint of {d.threat_id}",
                description=(
                    "95 % of the fragment mass; countries "
                    + ", ".join(d.countries)
                    + "; near "
                    + ", ".join(d.places)
                ),
                availability=TimeInterval(start=_at(epoch, d.intercept_time_s), end=_at(epoch, t1)),
                polygon=Polygon(
                    positions=PositionList(cartographicDegrees=flat),
                    material=Material(solidColor=SolidColorMaterial(color=_colour("debris"))),
                    outline=True,
                    outlineColor=Color(rgba=[255, 127, 14, 255]),
                ),
            )
        )
    return Document(packets=packets)


def scenario_czml(result) -> str:
    """The CZML text of :func:`czml_document`."""
    return czml_document(result).dumps()


__all__ = ["KIND_RGBA", "czml_document", "object_samples", "scenario_czml"]
