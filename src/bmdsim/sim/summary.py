"""From a finished :class:`~bmdsim.sim.engine.Simulation` to its :class:`~bmdsim.sim.result.Result`
and the ``summary.json`` dict of DESIGN.md's public contract."""

from __future__ import annotations

import math

import numpy as np

from bmdsim.sim.events import EventKind
from bmdsim.sim.result import ObjectTrack, Result, SensorSite

_PHASES = {0: "boost", 1: "midcourse", 2: "reentry"}


def json_number(x, digits: int = 3):
    """A JSON number rounded for stable output (None for NaN/inf)."""
    if x is None:
        return None
    x = float(x)
    if not math.isfinite(x):
        return None
    return round(x, digits)


def _first(log, kind: EventKind, *, subject: str | None = None, after: float = -math.inf,
           where=None):
    for e in log.events():
        if e.kind != kind or e.time_s < after:
            continue
        if subject is not None and e.subject != subject:
            continue
        if where is not None and not where(e):
            continue
        return e
    return None


def _threat_summary(sim, tid: str) -> dict:

    f = sim.flights[tid]
    threat = next(t for t in sim.scenario.threats if t.id == tid)
    overflown = [o.country for o in f.rv.overflown()]
    killed = tid in sim.killed_s
    impact = None
    if not killed and f.rv.impact is not None:
        imp = f.rv.impact
        from bmdsim.flight.debris import impact_report

        report = impact_report(imp.lat_deg, imp.lon_deg)
        impact = {"lat_deg": json_number(imp.lat_deg, 5), "lon_deg": json_number(imp.lon_deg, 5),
                  "country": report.country, "time_s": json_number(imp.t_s),
                  "places": [p.name for p in report.places]}
    tracks = sorted(k for k, v in sim.track_threat.items() if v == tid)
    predicted = None
    launch_estimate = None
    for step in sim.assessment_steps:
        ids = [int(i) for i in step.threats.track_ids]
        hit = [i for i, k in enumerate(ids) if k in tracks]
        if not hit:
            continue
        i = hit[0]
        if predicted is None:
            ell = step.impacts.ellipse(0.95)
            c = step.threats.most_likely_country[i]
            predicted = {
                "time_s": json_number(step.time_s), "lat_deg": json_number(step.impacts.lat_deg[i], 5),
                "lon_deg": json_number(step.impacts.lon_deg[i], 5),
                "country": None if c is None else str(c),
                "ellipse_major_m": json_number(ell.semi_major_m[i], 1),
                "ellipse_minor_m": json_number(ell.semi_minor_m[i], 1),
            }
        if launch_estimate is None and step.launches is not None and step.launches.valid[i]:
            from bmdsim.earth import geodesic_inverse

            la, lo = float(step.launches.lat_deg[i]), float(step.launches.lon_deg[i])
            err, _, _ = geodesic_inverse(la, lo, f.launch_lat_deg, f.launch_lon_deg)
            launch_estimate = {"lat_deg": json_number(la, 5), "lon_deg": json_number(lo, 5),
                               "error_m": json_number(err, 1), "time_s": json_number(step.time_s)}
        if predicted is not None and launch_estimate is not None:
            break
    return {
        "id": tid,
        "missile": f.missile.id,
        "launch": {"lat_deg": json_number(f.launch_lat_deg, 5), "lon_deg": json_number(f.launch_lon_deg, 5),
                   "time_s": json_number(f.launch_time_s)},
        "aim": {"lat_deg": json_number(threat.aim.lat_deg, 5), "lon_deg": json_number(threat.aim.lon_deg, 5)},
        "overflown_countries": overflown,
        "tracks": tracks,
        "predicted_impact": predicted,
        "launch_point_estimate": launch_estimate,
        "intercepted": killed,
        "intercept": sim.intercept_summary(tid),
        "engagements": sim.engagement_summaries(tid),
        "impact": impact,
        "debris": sim.debris_summary(tid),
    }


def _timeline(sim) -> dict:
    """Seconds after the first launch of each kill-chain step (None if it did not happen)."""
    log = sim.log
    launches = [f.launch_time_s for f in sim.flights.values()]
    t0 = min(launches) if launches else 0.0

    def after(kind, where=None):
        e = _first(log, kind, where=where)
        return None if e is None else json_number(e.time_s - t0, 2)

    return {
        "first_detection": after(EventKind.DETECTION),
        "first_ir_detection": after(EventKind.DETECTION,
                                    lambda e: "sbirs" in e.source or "ir" in e.source.lower()),
        "track_confirmed": after(EventKind.TRACK_CONFIRMED),
        "threat_evaluated": after(EventKind.THREAT_EVALUATED),
        "alert_sent": after(EventKind.ALERT_SENT),
        "alert_received": after(EventKind.ALERT_RECEIVED),
        "engage_order": after(EventKind.ENGAGE_ORDER),
        "interceptor_launch": after(EventKind.INTERCEPTOR_LAUNCHED),
        "intercept": after(EventKind.INTERCEPT),
        "kill_assessed": after(EventKind.KILL_ASSESSED),
        "debris_impact": after(EventKind.DEBRIS_IMPACT),
        "threat_impact": after(EventKind.THREAT_IMPACT),
    }


def build_summary(sim) -> dict:
    """The ``summary.json`` dict of a finished run (DESIGN.md contract)."""
    return {
        "scenario": sim.scenario.name,
        "seed": sim.seed,
        "epoch": sim.scenario.epoch.isoformat(),
        "threats": [_threat_summary(sim, tid) for tid in sim.threat_ids],
        "timeline": _timeline(sim),
        "interceptors_used": sim.interceptors_used(),
        "detections_lost": sim.detections_lost,
        "sensors": {
            e.id: {"detections": sim.detection_counts.get(e.id, [0, 0])[0],
                   "false_alarms": sim.detection_counts.get(e.id, [0, 0])[1]}
            for e in sim.scenario.sensors
        },
        "end_time_s": json_number(sim.time_s),
    }


def _object_tracks(sim) -> tuple[ObjectTrack, ...]:
    out = []
    for tid, f in sim.flights.items():
        for traj in f.objects:
            end = min(traj.end_s, sim.killed_s.get(tid, math.inf)) if traj is f.rv else traj.end_s
            t = np.arange(traj.t_s[0], end, 2.0)
            t = np.append(t, end)
            states = traj.state_at(t)
            lat, lon, alt = traj.geodetic_at(t)
            phase = np.array([_PHASES.get(int(p), "") for p in traj.phase_at(t)])
            kind = "rv" if traj is f.rv else "booster"
            out.append(ObjectTrack(id=f"{tid}/{traj.label}", kind=kind, owner=tid, t_s=t,
                                   states=states, lat_deg=lat, lon_deg=lon, alt_m=alt,
                                   phase=phase))
    return tuple(out)


def _interceptor_tracks(sim) -> tuple[ObjectTrack, ...]:
    """Interceptor paths from the engine's per-step samples (phase: "flyout" through boost and midcourse, "homing" in the terminal phase)."""
    from bmdsim.earth.frames import ecef_to_geodetic
    from bmdsim.engagement.flyout import Phase

    batch = sim.engagement.interceptors
    out = []
    for iid, rows in sim.interceptor_samples.items():
        a = np.asarray(rows, dtype=float)
        i = batch.ids.index(iid)
        ok = np.isfinite(a[:, 1])
        a = a[ok]
        if a.shape[0] == 0:
            continue
        lat, lon, alt = ecef_to_geodetic(a[:, 1:4])
        phase = np.where(a[:, 7] == int(Phase.TERMINAL), "homing", "flyout")
        out.append(ObjectTrack(id=iid, kind="interceptor", owner=batch.fire_unit_ids[i],
                               t_s=a[:, 0], states=a[:, 1:7], lat_deg=lat, lon_deg=lon,
                               alt_m=alt, phase=phase))
    return tuple(out)


def _debris_fields(sim) -> tuple:
    from bmdsim.sim.result import DebrisField

    out = []
    for tid, d in sim.debris.items():
        fp = d.footprint
        imp = d.impacts
        out.append(DebrisField(
            threat_id=tid, intercept_time_s=d.t_s, lat_deg=imp.lat_deg, lon_deg=imp.lon_deg,
            mass_kg=imp.mass_kg, impact_time_s=imp.t_s, footprint_geojson=fp.geojson,
            countries=tuple(fp.countries), places=tuple(p.name for p in fp.places),
        ))
    return tuple(out)


def _sensor_sites(sim) -> tuple[SensorSite, ...]:
    from bmdsim.catalog.sensors import SensorKind
    from bmdsim.earth.frames import ecef_to_geodetic

    out = []
    for entry in sim.scenario.sensors:
        sensor = sim.sensors[entry.id]
        r, _ = sensor.platform.state_at(np.array(0.0))
        lat, lon, _ = ecef_to_geodetic(np.asarray(r).reshape(3))
        t = sensor.type
        if t.kind is SensorKind.RADAR:
            kind = "ship_radar" if entry.platform is not None else "radar"
            width = float(np.degrees(2.0 * t.azimuth_half_width_rad))
            sector = width < 359.0
            out.append(SensorSite(
                id=entry.id, type=entry.type, kind=kind, lat_deg=float(lat), lon_deg=float(lon),
                boresight_az_deg=entry.boresight_az_deg if sector else None,
                field_of_regard_deg=width if sector else None, max_range_m=float(t.max_range_m),
            ))
        else:
            out.append(SensorSite(
                id=entry.id, type=entry.type, kind="space_ir", lat_deg=float(lat),
                lon_deg=float(lon), boresight_az_deg=None, field_of_regard_deg=None,
                max_range_m=float("nan"),
            ))
    return tuple(out)


def _platforms(sim) -> dict:
    """Ship tracks ``{id: (t_s, lat_deg, lon_deg)}`` over the run."""
    out = {}
    for p in sim.scenario.platforms:
        t = np.linspace(0.0, max(sim.time_s, 1.0), 50)
        lat, lon = p.position_at(t)
        out[p.id] = (t, np.asarray(lat), np.asarray(lon))
    return out


def build_result(sim) -> Result:
    """The :class:`Result` of a finished simulation."""
    import pandas as pd

    tracks = pd.DataFrame(
        sim.track_rows,
        columns=["time_s", "track_id", "status", "lat_deg", "lon_deg", "alt_m", "x_m", "y_m",
                 "z_m", "vx_m_s", "vy_m_s", "vz_m_s", "sigma_pos_m"],
    )
    assessments = pd.DataFrame(
        sim.assessment_rows,
        columns=["time_s", "track_id", "threat_id", "ipp_lat_deg", "ipp_lon_deg",
                 "ellipse_major_m", "ellipse_minor_m", "ellipse_orientation_deg",
                 "time_to_impact_s", "country", "category", "p_allied"],
    )
    return Result(
        scenario=sim.scenario,
        seed=sim.seed,
        log=sim.log,
        summary=build_summary(sim),
        objects=_object_tracks(sim) + _interceptor_tracks(sim),
        debris=_debris_fields(sim),
        sensors=_sensor_sites(sim),
        platforms=_platforms(sim),
        tracks=tracks,
        assessments=assessments,
    )
