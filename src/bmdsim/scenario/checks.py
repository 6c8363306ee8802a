"""Checks that relate several fields or sections of a scenario.

Each check returns :class:`~bmdsim.scenario.errors.Problem` records with the exact path
of the offending field, so a user sees every problem of this kind at once. They run
after the field checks have passed (see :meth:`Scenario._cross_checks`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any

from bmdsim.scenario.errors import Problem

if TYPE_CHECKING:
    from bmdsim.scenario.schema import Scenario, Sensor

#: Mean Earth radius (IUGG) [m], for the great-circle sanity checks below.
_MEAN_RADIUS_M = 6_371_008.8
#: How far beyond its published range a threat may be aimed (the range is approximate).
RANGE_MARGIN = 1.10
#: Aim and launch points closer than this are an error [m].
MIN_AIM_DISTANCE_M = 1_000.0
#: Lowest perigee altitude accepted for a HEO sensor [m].
MIN_PERIGEE_ALT_M = 200_000.0

#: (kind, orbit class, sectored) of the sensor types known without the sensor catalog.
_FALLBACK_SENSOR_RULES = {
    "an-tpy-2-fbm": ("radar", None, True),
    "spy-1d": ("radar", None, False),
    "sbirs-geo": ("space_infrared", "geo", False),
    "sbirs-heo": ("space_infrared", "heo", False),
}


def great_circle_m(lat1_deg: float, lon1_deg: float, lat2_deg: float, lon2_deg: float) -> float:
    """Great-circle distance on the mean sphere [m] (haversine)."""
    p1, p2 = math.radians(lat1_deg), math.radians(lat2_deg)
    dp, dl = p2 - p1, math.radians(lon2_deg - lon1_deg)
    h = math.sin(dp / 2) ** 2 + math.cos(p1) * math.cos(p2) * math.sin(dl / 2) ** 2
    return 2.0 * _MEAN_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def cross_field_problems(s: Scenario) -> list[Problem]:
    """Every cross-field problem of a scenario whose fields are individually valid."""
    return [
        *_unique_ids(s),
        *_alliance(s),
        *_posture(s),
        *_threats(s),
        *_sensors(s),
        *_platforms(s),
        *_fire_units(s),
        *_c2(s),
    ]


def _ids(items: Iterable[Any]) -> list[str]:
    return [item.id for item in items]


def _one_of(ids: list[str], what: str) -> str:
    return f"one of the {what} ids: {', '.join(ids)}" if ids else f"none ({what}s list is empty)"


def _unique_ids(s: Scenario) -> Iterator[Problem]:
    seen: dict[str, str] = {}
    groups = {
        "threats": s.threats, "sensors": s.sensors, "platforms": s.platforms,
        "fire_units": s.fire_units, "defended_assets": s.defended_assets, "c2.nodes": s.c2.nodes,
    }
    for group, items in groups.items():
        for i, item in enumerate(items):
            path = f"{group}[{i}].id"
            if item.id in seen:
                yield Problem(path=path, message="duplicate id", value=item.id,
                              allowed=f"an id used nowhere else in the scenario "
                                      f"(already used at {seen[item.id]})")
            else:
                seen[item.id] = path


def _alliance(s: Scenario) -> Iterator[Problem]:
    if s.alliance is None or s.alliance.members is not None:
        return
    name = s.alliance.name
    shape = "or a mapping {name: ..., members: [ISO alpha-3 codes]}"
    try:
        from bmdsim.earth.geography.alliances import alliance_members
    except ImportError:
        known = ["NATO", "EU"]
        if name.upper() not in known:
            yield Problem(path="alliance", message="unknown alliance", value=name,
                          allowed=f"{', '.join(known)}, {shape}")
        return
    try:
        alliance_members(name, s.alliance_date)
    except LookupError as exc:
        known = getattr(exc, "suggestions", None) or ["NATO", "EU"]
        yield Problem(path="alliance", message="unknown alliance", value=name,
                      allowed=f"{', '.join(known)}, {shape}")


def _posture(s: Scenario) -> Iterator[Problem]:
    previous = -math.inf
    for i, change in enumerate(s.posture.changes):
        path = f"posture.changes[{i}].time_s"
        if change.time_s >= s.duration_s:
            yield Problem(path=path, message="after the end of the run", value=change.time_s,
                          allowed=f"a time in [0, {s.duration_s:g}) (duration_s)")
        elif change.time_s <= previous:
            yield Problem(path=path, message="posture changes must be in time order",
                          value=change.time_s, allowed=f"a time > {previous:g}")
        previous = max(previous, change.time_s)


def _threats(s: Scenario) -> Iterator[Problem]:
    for i, threat in enumerate(s.threats):
        base = f"threats[{i}]"
        launch, aim = threat.launch, threat.aim
        if launch.time_s >= s.duration_s:
            yield Problem(path=f"{base}.launch.time_s", message="launch after the end of the run",
                          value=launch.time_s,
                          allowed=f"a time in [0, {s.duration_s:g}) (duration_s)")
        distance_m = great_circle_m(launch.lat_deg, launch.lon_deg, aim.lat_deg, aim.lon_deg)
        missile = threat.missile_type
        limit_m = RANGE_MARGIN * missile.published_range_km * 1000.0
        if distance_m < MIN_AIM_DISTANCE_M:
            yield Problem(path=f"{base}.aim", message="aim point equals the launch point",
                          value={"lat_deg": aim.lat_deg, "lon_deg": aim.lon_deg},
                          allowed=f"a point at least {MIN_AIM_DISTANCE_M / 1000:g} km "
                                  "from the launch point")
        elif distance_m > limit_m:
            yield Problem(path=f"{base}.aim",
                          message=f"aim point {distance_m / 1000:.0f} km from the launch point, "
                                  f"beyond the range of {missile.id} "
                                  f"({missile.published_range_km:g} km)",
                          value={"lat_deg": aim.lat_deg, "lon_deg": aim.lon_deg},
                          allowed=f"a point within {limit_m / 1000:.0f} km of the launch point")
        yield from _guidance_error(f"{base}.guidance_error", threat.guidance_error, missile)


def _guidance_error(base: str, err, missile) -> Iterator[Problem]:
    if err.burnout_speed_error_frac is not None and err.burnout_speed_error_m_s is not None:
        yield Problem(path=f"{base}.burnout_speed_error_m_s",
                      message="give burnout_speed_error_frac or burnout_speed_error_m_s, not both",
                      value=err.burnout_speed_error_m_s, allowed="null when "
                      "burnout_speed_error_frac is given")
    burn_s = missile.total_burn_time_s
    if err.early_cutoff_s >= burn_s:
        yield Problem(path=f"{base}.early_cutoff_s", message="not shorter than the total burn",
                      value=err.early_cutoff_s,
                      allowed=f"a number in [0, {burn_s:g}) ({missile.id} burns {burn_s:g} s)")
    failure = err.stage_failure
    if failure is not None:
        n = len(missile.stages)
        if failure.stage >= n:
            yield Problem(path=f"{base}.stage_failure.stage", message="no such stage",
                          value=failure.stage,
                          allowed=f"an integer in [0, {n - 1}] ({missile.id} has {n} stage(s))")
        elif failure.time_s >= missile.stages[failure.stage].burn_time_s:
            stage_burn = missile.stages[failure.stage].burn_time_s
            yield Problem(path=f"{base}.stage_failure.time_s",
                          message="after the stage's burnout", value=failure.time_s,
                          allowed=f"a number in [0, {stage_burn:g}) (the stage burns "
                                  f"{stage_burn:g} s)")


def _sensor_rule(type_id: str) -> tuple[str, str | None, bool]:
    """(kind, orbit class, sectored) of a sensor type, from the catalog where it loads."""
    from bmdsim.scenario.schema import sensor_catalog

    table = sensor_catalog()
    if table is not None and type_id in table:
        record = table[type_id]
        kind = str(getattr(record, "kind", ""))
        sectored = kind == "radar" and not getattr(record, "full_azimuth", True)
        return kind, getattr(record, "orbit_class", None), sectored
    return _FALLBACK_SENSOR_RULES.get(type_id, ("", None, False))


def _sensors(s: Scenario) -> Iterator[Problem]:
    platforms = _ids(s.platforms)
    for i, sensor in enumerate(s.sensors):
        base = f"sensors[{i}]"
        yield from _sensor_placement(base, sensor, platforms)
        for j, outage in enumerate(sensor.outages):
            path = f"{base}.outages[{j}]"
            if outage.end_s <= outage.start_s:
                yield Problem(path=f"{path}.end_s", message="outage ends before it starts",
                              value=outage.end_s, allowed=f"a time > start_s ({outage.start_s:g})")
            elif outage.end_s > s.duration_s:
                yield Problem(path=f"{path}.end_s", message="outage ends after the run",
                              value=outage.end_s,
                              allowed=f"a time <= {s.duration_s:g} (duration_s)")
        if (sensor.mtbf_s is None) != (sensor.mttr_s is None):
            missing = "mttr_s" if sensor.mttr_s is None else "mtbf_s"
            yield Problem(path=f"{base}.{missing}",
                          message="random failures need both mtbf_s and mttr_s",
                          allowed="a positive number of seconds")


def _sensor_placement(base: str, sensor: Sensor, platforms: list[str]) -> Iterator[Problem]:
    placements = sensor.placements
    kind, orbit_class, sectored = _sensor_rule(sensor.type)
    if kind == "space_infrared":
        if sensor.orbit is None:
            yield Problem(path=f"{base}.orbit", message=f"{sensor.type} is space-based",
                          allowed="an orbit {kind: geo, lon_deg} or {kind: heo, ...}")
        elif orbit_class is not None and sensor.orbit.kind != orbit_class:
            yield Problem(path=f"{base}.orbit.kind", message=f"{sensor.type} flies in {orbit_class}",
                          value=sensor.orbit.kind, allowed=orbit_class)
        for extra in ("site", "platform"):
            if getattr(sensor, extra) is not None:
                yield Problem(path=f"{base}.{extra}", message=f"{sensor.type} is space-based",
                              value=getattr(sensor, extra), allowed="absent (give orbit only)")
        if sensor.boresight_az_deg is not None:
            yield Problem(path=f"{base}.boresight_az_deg",
                          message="not used by a space-based sensor",
                          value=sensor.boresight_az_deg, allowed="absent")
    else:
        if len(placements) != 1 or sensor.orbit is not None:
            yield Problem(path=base, message="give exactly one of site or platform",
                          value=[p.value for p in placements],
                          allowed="site {lat_deg, lon_deg, alt_m} or platform: <platform id>")
        if sectored and sensor.boresight_az_deg is None:
            yield Problem(path=f"{base}.boresight_az_deg",
                          message=f"{sensor.type} is a sectored radar: its face needs a direction",
                          allowed="an azimuth in [0, 360) [deg]")
    if sensor.platform is not None and sensor.platform not in platforms:
        yield Problem(path=f"{base}.platform", message="unknown platform", value=sensor.platform,
                      allowed=_one_of(platforms, "platform"))
    orbit = sensor.orbit
    if orbit is not None and orbit.kind == "heo":
        from bmdsim.earth.constants import A_M

        if orbit.perigee_radius_m - A_M < MIN_PERIGEE_ALT_M:
            yield Problem(path=f"{base}.orbit.eccentricity",
                          message="perigee below 200 km altitude", value=orbit.eccentricity,
                          allowed="a value with a*(1-e) - 6378.137 km >= 200 km")


def _platforms(s: Scenario) -> Iterator[Problem]:
    for i, platform in enumerate(s.platforms):
        points = platform.waypoints
        for j in range(1, len(points)):
            a, b = points[j - 1], points[j]
            path = f"platforms[{i}].waypoints[{j}]"
            if b.time_s <= a.time_s:
                yield Problem(path=f"{path}.time_s", message="waypoint times must increase",
                              value=b.time_s, allowed=f"a time > {a.time_s:g}")
                continue
            limit = platform.max_speed_m_s
            speed = great_circle_m(a.lat_deg, a.lon_deg, b.lat_deg, b.lon_deg) / (
                b.time_s - a.time_s
            )
            if limit is not None and speed > limit * 1.001:
                yield Problem(path=path,
                              message=f"reaching it needs {speed / (1852.0 / 3600.0):.1f} kn, "
                                      f"above max_speed_kn",
                              value={"time_s": b.time_s, "lat_deg": b.lat_deg,
                                     "lon_deg": b.lon_deg},
                              allowed=f"a waypoint reachable at {platform.max_speed_kn:g} kn")


def _fire_units(s: Scenario) -> Iterator[Problem]:
    platforms, sensors, assets = _ids(s.platforms), _ids(s.sensors), _ids(s.defended_assets)
    for i, unit in enumerate(s.fire_units):
        base = f"fire_units[{i}]"
        if (unit.site is None) == (unit.platform is None):
            given = [k for k in ("site", "platform") if getattr(unit, k) is not None]
            yield Problem(path=base, message="give exactly one of site or platform", value=given,
                          allowed="site {lat_deg, lon_deg, alt_m} or platform: <platform id>")
        if unit.platform is not None and unit.platform not in platforms:
            yield Problem(path=f"{base}.platform", message="unknown platform", value=unit.platform,
                          allowed=_one_of(platforms, "platform"))
        if unit.sensor is not None and unit.sensor not in sensors:
            yield Problem(path=f"{base}.sensor", message="unknown sensor", value=unit.sensor,
                          allowed=_one_of(sensors, "sensor"))
        for k, asset in enumerate(unit.defends):
            if asset not in assets:
                yield Problem(path=f"{base}.defends[{k}]", message="unknown defended asset",
                              value=asset, allowed=_one_of(assets, "defended asset"))


def _c2(s: Scenario) -> Iterator[Problem]:
    endpoints = list(dict.fromkeys(
        [*_ids(s.c2.nodes), *_ids(s.sensors), *_ids(s.fire_units), *_ids(s.platforms)]
    ))
    allowed = ("an id of a C2 node, sensor, fire unit or platform"
               + (f": {', '.join(endpoints)}" if endpoints else " (none defined)"))
    for i, link in enumerate(s.c2.links):
        for end in ("source", "target"):
            value = getattr(link, end)
            if value not in endpoints:
                yield Problem(path=f"c2.links[{i}].{end}", message="unknown endpoint",
                              value=value, allowed=allowed)
        if link.source == link.target:
            yield Problem(path=f"c2.links[{i}].target", message="a link joins two endpoints",
                          value=link.target, allowed=f"an id other than {link.source!r}")
