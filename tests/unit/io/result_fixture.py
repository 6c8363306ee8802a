"""A :class:`bmdsim.sim.result.Result` built from real pieces, for the output writers' tests.

The reference threat of ``dortyol-2026-03-04`` is flown with :func:`bmdsim.flight.fly`
(its guidance error included); sensor sites, ship track and defended assets come from the
scenario and the sensor catalog. What the engine would add is synthesised here, simply
but consistently: the event log of the kill chain, noisy track states, converging impact
assessments, an interceptor climbing from the destroyer to the threat, and a debris field
down-range of the intercept. The summary follows the DESIGN.md contract.
"""

from __future__ import annotations

import math
from functools import cache

import numpy as np
import pandas as pd

import bmdsim
from bmdsim.catalog.missiles import missile
from bmdsim.catalog.sensors import InfraredType, sensor
from bmdsim.earth import ecef_to_geodetic, geodetic_to_ecef
from bmdsim.earth.geodesic import geodesic_direct, geodesic_inverse
from bmdsim.earth.geography.borders import country_at
from bmdsim.earth.geography.places import nearest_places
from bmdsim.flight import GuidanceError, fly
from bmdsim.flight.trajectory import Phase
from bmdsim.sim.events import EventKind, EventLog
from bmdsim.sim.result import DebrisField, ObjectTrack, Result, SensorSite

SCENARIO = "dortyol-2026-03-04"
SEED = 20260304
#: The fixture's intercept happens when the threat, descending, passes this altitude [m].
INTERCEPT_ALT_M = 85_000.0
#: Interceptor time of flight [s].
FLYOUT_S = 150.0

PHASE_NAMES = {
    int(Phase.BOOST): "boost",
    int(Phase.MIDCOURSE): "midcourse",
    int(Phase.REENTRY): "reentry",
}


def _object_track(traj, t_s, *, id_, kind, owner) -> ObjectTrack:
    states = traj.state_at(t_s)
    lat, lon, alt = ecef_to_geodetic(states[:, :3])
    phase = np.array([PHASE_NAMES[int(p)] for p in traj.phase_at(t_s)])
    return ObjectTrack(
        id=id_,
        kind=kind,
        owner=owner,
        t_s=t_s,
        states=states,
        lat_deg=lat,
        lon_deg=lon,
        alt_m=alt,
        phase=phase,
    )


def _ship_position(scenario, t_s):
    wps = scenario.platforms[0].waypoints
    tw = np.array([w.time_s for w in wps])
    lat = np.interp(t_s, tw, [w.lat_deg for w in wps])
    lon = np.interp(t_s, tw, [w.lon_deg for w in wps])
    return lat, lon


def _interceptor(t_launch, t_hit, start_latlon, hit_state) -> ObjectTrack:
    """A smooth climb along the geodesic from the ship to the intercept point."""
    t = np.linspace(t_launch, t_hit, 76)
    s = (t - t_launch) / (t_hit - t_launch)
    hit_lat, hit_lon, hit_alt = ecef_to_geodetic(hit_state[:3])
    dist, az, _ = geodesic_inverse(start_latlon[0], start_latlon[1], hit_lat, hit_lon)
    lat, lon, _ = geodesic_direct(start_latlon[0], start_latlon[1], az, dist * s**1.2)
    alt = 5.0 + (hit_alt - 5.0) * np.sin(0.5 * math.pi * s) ** 0.8
    r = geodetic_to_ecef(lat, lon, alt)
    v = np.gradient(r, t, axis=0)
    phase = np.where(t >= t_hit - 12.0, "homing", "flyout")
    return ObjectTrack(
        id="ddg-sm3-1",
        kind="interceptor",
        owner="ddg-sm3",
        t_s=t,
        states=np.concatenate([r, v], axis=1),
        lat_deg=lat,
        lon_deg=lon,
        alt_m=alt,
        phase=phase,
    )


def _debris(t_hit, hit_state, rng) -> DebrisField:
    import shapely

    lat0, lon0, _ = ecef_to_geodetic(hit_state[:3])
    v_enu_az = _ground_azimuth(hit_state)
    n = 240
    along = rng.normal(25_000.0, 9_000.0, n)
    cross = rng.normal(0.0, 3_000.0, n)
    dist = np.hypot(along, cross)
    az = v_enu_az + np.arctan2(cross, along)
    lat, lon, _ = geodesic_direct(lat0, lon0, az, dist)
    mass = rng.lognormal(0.0, 1.2, n)
    impact_t = t_hit + 60.0 + dist / 120.0
    centre = np.average(np.column_stack([lon, lat]), axis=0, weights=mass)
    d = np.hypot(lon - centre[0], lat - centre[1])
    order = np.argsort(d)
    cum = np.cumsum(mass[order]) / mass.sum()
    keep = order[: int(np.searchsorted(cum, 0.95)) + 1]
    hull = shapely.convex_hull(shapely.multipoints(np.column_stack([lon[keep], lat[keep]])))
    footprint = shapely.geometry.mapping(hull)
    footprint = {
        "type": "Polygon",
        "coordinates": [[list(map(float, p)) for p in footprint["coordinates"][0]]],
    }
    codes = country_at(lat, lon)
    by_mass: dict[str, float] = {}
    for c, m in zip(codes, mass, strict=True):
        if c is not None:
            by_mass[c] = by_mass.get(c, 0.0) + float(m)
    countries = tuple(sorted(by_mass, key=lambda c: -by_mass[c]))
    places = tuple(p.name for p in nearest_places(centre[1], centre[0], k=3, min_population=15_000))
    return DebrisField(
        threat_id="T1",
        intercept_time_s=float(t_hit),
        lat_deg=lat,
        lon_deg=lon,
        mass_kg=mass,
        impact_time_s=impact_t,
        footprint_geojson=footprint,
        countries=countries,
        places=places,
    )


def _ground_azimuth(state) -> float:
    from bmdsim.earth import ecef_vector_to_enu

    lat, lon, _ = ecef_to_geodetic(state[:3])
    e, n, _ = ecef_vector_to_enu(state[3:6], lat, lon)
    return float(np.arctan2(e, n))


def _sensor_sites(scenario, ship_latlon) -> tuple[SensorSite, ...]:
    sites = []
    for entry in scenario.sensors:
        spec = sensor(entry.type)
        if isinstance(spec, InfraredType):
            sites.append(
                SensorSite(
                    id=entry.id,
                    type=entry.type,
                    kind="space_ir",
                    lat_deg=0.0,
                    lon_deg=float(entry.orbit.lon_deg),
                    boresight_az_deg=None,
                    field_of_regard_deg=None,
                    max_range_m=42_000e3,
                )
            )
            continue
        full = spec.full_azimuth
        if entry.site is not None:
            lat, lon, kind = entry.site.lat_deg, entry.site.lon_deg, "radar"
        else:
            lat, lon, kind = ship_latlon[0], ship_latlon[1], "ship_radar"
        sites.append(
            SensorSite(
                id=entry.id,
                type=entry.type,
                kind=kind,
                lat_deg=float(lat),
                lon_deg=float(lon),
                boresight_az_deg=None if full else float(entry.boresight_az_deg or 0.0),
                field_of_regard_deg=None if full else math.degrees(2 * spec.azimuth_half_width_rad),
                max_range_m=spec.max_range_m,
            )
        )
    return tuple(sites)


@cache
def build_result() -> Result:
    """The fixture run (built once per process; treat it as read-only)."""
    scenario = bmdsim.load_scenario(SCENARIO)
    rng = np.random.default_rng(SEED)
    th = scenario.threats[0]
    ge = GuidanceError(
        azimuth_bias_rad=math.radians(th.guidance_error.azimuth_bias_deg),
        early_cutoff_s=th.guidance_error.early_cutoff_s,
    )
    flight = fly(
        missile(th.missile),
        (th.launch.lat_deg, th.launch.lon_deg),
        (th.aim.lat_deg, th.aim.lon_deg),
        launch_time_s=th.launch.time_s,
        profile=th.profile.value,
        guidance_error=ge,
    )
    rv = flight.rv
    t0 = th.launch.time_s
    # intercept: the descending RV passes INTERCEPT_ALT_M
    tt = np.arange(rv.apogee.t_s, rv.end_s, 0.5)
    alt = rv.geodetic_at(tt)[2]
    t_hit = float(tt[np.argmax(alt < INTERCEPT_ALT_M)])
    hit_state = rv.state_at(t_hit)
    t_ilaunch = t_hit - FLYOUT_S

    t_rv = np.append(np.arange(t0, t_hit, 2.0), t_hit)
    objects = [_object_track(rv, t_rv, id_="T1", kind="rv", owner="T1")]
    for k, b in enumerate(flight.boosters):
        tb = np.append(np.arange(b.t_s[0], b.end_s, 4.0), b.end_s)
        objects.append(_object_track(b, tb, id_=f"T1-stage{k + 1}", kind="booster", owner="T1"))
    ship_lat, ship_lon = _ship_position(scenario, t_ilaunch)
    interceptor = _interceptor(t_ilaunch, t_hit, (float(ship_lat), float(ship_lon)), hit_state)
    objects.append(interceptor)
    debris = _debris(t_hit, hit_state, rng)

    # kill chain
    log = EventLog()
    t_burn = rv.burnout.t_s
    log.add(
        t0,
        EventKind.LAUNCH,
        source="T1",
        subject="T1",
        text="Launch of T1 (shahab-3)",
        lat_deg=th.launch.lat_deg,
        lon_deg=th.launch.lon_deg,
    )
    log.add(t_burn, EventKind.BURNOUT, source="T1", subject="T1", text="Thrust termination")
    for sid, start in (("sbirs-geo-west", t0 + 17.0), ("sbirs-geo-east", t0 + 23.0)):
        for t in np.arange(start, t_burn + 8.0, 10.0):
            log.add(t, EventKind.DETECTION, source=sid, subject="T1", text="IR detection")
    t_radar = t0 + 96.0
    for sid, start in (("kurecik-tpy2", t_radar), ("ddg-spy1", t0 + 330.0)):
        for t in np.arange(start, t_hit, 2.0):
            log.add(t, EventKind.DETECTION, source=sid, subject="T1", text="radar detection")
    t_init, t_conf = t_radar + 2.0, t_radar + 8.0
    log.add(
        t_init,
        EventKind.TRACK_INITIATED,
        source="tracker",
        subject="TRK-1",
        text="Track TRK-1 initiated",
    )
    log.add(
        t_conf,
        EventKind.TRACK_CONFIRMED,
        source="tracker",
        subject="TRK-1",
        text="Track TRK-1 confirmed (ballistic)",
    )
    for t in np.arange(t_conf + 2.0, t_hit, 2.0):
        log.add(t, EventKind.TRACK_UPDATED, source="tracker", subject="TRK-1")
    t_eval = t_conf + 30.0
    log.add(
        t_eval,
        EventKind.THREAT_EVALUATED,
        source="aircom-bmd",
        subject="TRK-1",
        text="Impact predicted in TUR: allied territory <Hatay & Gaziantep>",
    )
    log.add(
        t_eval + 1.0,
        EventKind.ALERT_SENT,
        source="aircom-bmd",
        subject="ddg-sm3",
        text="Alert to fire units",
    )
    log.add(
        t_eval + 3.2,
        EventKind.ALERT_RECEIVED,
        source="ddg-sm3",
        subject="TRK-1",
        text="Alert received",
    )
    t_order = t_ilaunch - 30.0
    log.add(
        t_order - 20.0,
        EventKind.ENGAGEMENT_PLANNED,
        source="ddg-sm3",
        subject="TRK-1",
        text="Intercept window found",
    )
    log.add(
        t_order, EventKind.ENGAGE_ORDER, source="aircom-bmd", subject="ddg-sm3", text="Engage TRK-1"
    )
    log.add(
        t_ilaunch,
        EventKind.INTERCEPTOR_LAUNCHED,
        source="ddg-sm3",
        subject="ddg-sm3-1",
        text="SM-3 Block IB launched",
    )
    hit_lat, hit_lon, hit_alt = (float(x) for x in ecef_to_geodetic(hit_state[:3]))
    log.add(
        t_hit,
        EventKind.INTERCEPT,
        source="ddg-sm3-1",
        subject="T1",
        text="Intercept of T1",
        miss_distance_m=0.42,
        lat_deg=hit_lat,
        lon_deg=hit_lon,
        alt_m=hit_alt,
    )
    log.add(
        t_hit + 15.0,
        EventKind.KILL_ASSESSED,
        source="ddg-sm3",
        subject="T1",
        text="Kill assessed: destroyed",
    )
    log.add(
        float(debris.impact_time_s.min()),
        EventKind.DEBRIS_IMPACT,
        source="T1",
        subject="T1",
        text="First debris on the ground",
        n_fragments=int(debris.lat_deg.size),
    )
    log.add(
        1500.0,
        EventKind.POSTURE_CHANGED,
        source="aircom-bmd",
        subject="NATO",
        text="Posture raised to heightened",
    )

    # tracks: noisy RV states from the first radar detection
    t_tr = np.arange(t_init, t_hit, 2.0)
    truth = rv.state_at(t_tr)
    sigma = 400.0 * np.exp(-(t_tr - t_init) / 120.0) + 30.0
    est = truth.copy()
    est[:, :3] += rng.normal(size=(t_tr.size, 3)) * sigma[:, None]
    lat, lon, alt = ecef_to_geodetic(est[:, :3])
    tracks = pd.DataFrame(
        {
            "time_s": t_tr,
            "track_id": "TRK-1",
            "status": np.where(t_tr < t_conf, "tentative", "confirmed"),
            "lat_deg": lat,
            "lon_deg": lon,
            "alt_m": alt,
            "x_m": est[:, 0],
            "y_m": est[:, 1],
            "z_m": est[:, 2],
            "vx_m_s": est[:, 3],
            "vy_m_s": est[:, 4],
            "vz_m_s": est[:, 5],
            "sigma_pos_m": sigma,
        }
    )

    # assessments: impact predictions converging on the true impact point
    t_as = np.arange(t_conf, t_hit, 4.0)
    imp = rv.impact
    frac = np.exp(-(t_as - t_conf) / 90.0)
    major = 4_000.0 + 60_000.0 * frac
    minor = 1_500.0 + 12_000.0 * frac
    err_n = rng.normal(size=t_as.size) * 0.3 * major
    az_fl = _ground_azimuth(imp.state)
    ipp_lat, ipp_lon, _ = geodesic_direct(imp.lat_deg, imp.lon_deg, az_fl, err_n)
    country = [c or "" for c in country_at(ipp_lat, ipp_lon)]
    assessments = pd.DataFrame(
        {
            "time_s": t_as,
            "track_id": "TRK-1",
            "threat_id": "T1",
            "ipp_lat_deg": ipp_lat,
            "ipp_lon_deg": ipp_lon,
            "ellipse_major_m": major,
            "ellipse_minor_m": minor,
            "ellipse_orientation_deg": np.full(t_as.size, math.degrees(az_fl) % 180.0),
            "time_to_impact_s": imp.t_s - t_as,
            "country": country,
            "category": np.where(np.array(country) == "TUR", "allied-territory", "other"),
            "p_allied": np.clip(0.6 + 0.4 * (1 - frac), 0, 1),
        }
    )
    first = assessments.iloc[0]
    lpe_lat, lpe_lon, _ = geodesic_direct(th.launch.lat_deg, th.launch.lon_deg, 1.0, 3_200.0)
    summary = {
        "scenario": scenario.name,
        "seed": SEED,
        "threats": [
            {
                "id": "T1",
                "missile": th.missile,
                "launch": {
                    "lat_deg": th.launch.lat_deg,
                    "lon_deg": th.launch.lon_deg,
                    "time_s": t0,
                },
                "aim": {"lat_deg": th.aim.lat_deg, "lon_deg": th.aim.lon_deg},
                "overflown_countries": ["IRN", "IRQ", "TUR", "SYR", "TUR"],
                "predicted_impact": {
                    "lat_deg": float(first.ipp_lat_deg),
                    "lon_deg": float(first.ipp_lon_deg),
                    "country": first.country,
                    "ellipse_major_m": float(first.ellipse_major_m),
                    "ellipse_minor_m": float(first.ellipse_minor_m),
                },
                "launch_point_estimate": {
                    "lat_deg": float(lpe_lat),
                    "lon_deg": float(lpe_lon),
                    "error_m": 3_200.0,
                },
                "intercepted": True,
                "intercept": {
                    "time_s": t_hit,
                    "lat_deg": hit_lat,
                    "lon_deg": hit_lon,
                    "alt_m": hit_alt,
                    "fire_unit": "ddg-sm3",
                    "interceptor": "sm-3-ib",
                    "miss_distance_m": 0.42,
                },
                "impact": None,
                "debris": {
                    "countries": list(debris.countries),
                    "places": list(debris.places),
                    "footprint_geojson": debris.footprint_geojson,
                },
            }
        ],
        "timeline": {
            "first_detection": t0 + 17.0 - t0,
            "track_confirmed": t_conf - t0,
            "threat_evaluated": t_eval - t0,
            "alert_sent": t_eval + 1.0 - t0,
            "engage_order": t_order - t0,
            "interceptor_launch": t_ilaunch - t0,
            "intercept": t_hit - t0,
        },
        "interceptors_used": 1,
    }
    t_plat = np.arange(0.0, scenario.duration_s + 1.0, 60.0)
    plat_lat, plat_lon = _ship_position(scenario, t_plat)
    return Result(
        scenario=scenario,
        seed=SEED,
        log=log,
        summary=summary,
        objects=tuple(objects),
        debris=(debris,),
        sensors=_sensor_sites(scenario, (plat_lat[0], plat_lon[0])),
        platforms={"ddg-east-med": (t_plat, plat_lat, plat_lon)},
        tracks=tracks,
        assessments=assessments,
    )
