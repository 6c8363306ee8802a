"""Build the run's sensors from a validated scenario's sensor entries.

Each entry names a catalog type and exactly one placement: a ``site`` (radar), a
``platform`` id (a ship following waypoints; radar) or an ``orbit`` (geostationary
or Keplerian elements; infrared). Planned outages and MTBF/MTTR become the
sensor's :class:`~bmdsim.sensors.outages.OutageSchedule`. Ship antennas sit
``SHIP_ANTENNA_HEIGHT_M`` above the sea (the scenario gives the ship's track only).
"""

from __future__ import annotations

import math

import numpy as np

from bmdsim.catalog.sensors import InfraredType, RadarType, sensor
from bmdsim.sensors.base import Sensor
from bmdsim.sensors.infrared import SpaceInfrared
from bmdsim.sensors.orbits import KeplerOrbit
from bmdsim.sensors.outages import OutageSchedule
from bmdsim.sensors.platforms import FixedSite, OrbitPlatform, WaypointPlatform
from bmdsim.sensors.radar import Radar
from bmdsim.sensors.suite import SensorSuite

#: Height of a destroyer's phased-array faces above the waterline [m] (estimate: the
#: SPY-1D faces of an Arleigh Burke-class ship sit on the deckhouse, ~15-25 m up).
SHIP_ANTENNA_HEIGHT_M = 20.0


def orbit_from_scenario(orbit) -> KeplerOrbit:
    """A :class:`KeplerOrbit` from a scenario ``GeoOrbit`` or ``HeoOrbit`` (both use the
    inertial frame that coincides with ECEF at the epoch)."""
    if orbit.kind == "geo":
        return KeplerOrbit.geostationary(orbit.lon_deg)
    return KeplerOrbit(
        semi_major_axis_m=orbit.semi_major_axis_km * 1e3,
        eccentricity=orbit.eccentricity,
        inclination_rad=math.radians(orbit.inclination_deg),
        raan_rad=math.radians(orbit.raan_deg),
        arg_perigee_rad=math.radians(orbit.arg_perigee_deg),
        mean_anomaly_rad=math.radians(orbit.mean_anomaly_deg),
    )


def platform_from_scenario(platform, *, antenna_height_m: float = SHIP_ANTENNA_HEIGHT_M):
    """A :class:`WaypointPlatform` from a scenario ``Platform`` (timed waypoints)."""
    wps = platform.waypoints
    return WaypointPlatform.from_waypoints(
        [w.time_s for w in wps],
        [w.lat_deg for w in wps],
        [w.lon_deg for w in wps],
        antenna_height_m,
    )


def sensor_from_scenario(entry, scenario, *, seed: int) -> Sensor:
    """One scenario sensor entry as a :class:`Radar` or :class:`SpaceInfrared`."""
    spec = sensor(entry.type)
    outages = OutageSchedule(
        windows_s=tuple((o.start_s, o.end_s) for o in entry.outages),
        mtbf_s=entry.mtbf_s,
        mttr_s=entry.mttr_s,
    )
    if isinstance(spec, InfraredType):
        if entry.orbit is None:
            raise ValueError(f"sensor {entry.id}: infrared type {spec.id} needs an orbit")
        return SpaceInfrared(
            id=entry.id,
            type=spec,
            platform=OrbitPlatform(orbit=orbit_from_scenario(entry.orbit)),
            outages=outages,
            seed=seed,
        )
    assert isinstance(spec, RadarType)
    if entry.site is not None:
        platform = FixedSite(
            lat_deg=entry.site.lat_deg, lon_deg=entry.site.lon_deg, alt_m=entry.site.alt_m
        )
    elif entry.platform is not None:
        ships = {p.id: p for p in scenario.platforms}
        platform = platform_from_scenario(ships[entry.platform])
    else:
        raise ValueError(f"sensor {entry.id}: radar type {spec.id} needs a site or a platform")
    boresight = 0.0 if entry.boresight_az_deg is None else math.radians(entry.boresight_az_deg)
    return Radar(
        id=entry.id,
        type=spec,
        platform=platform,
        boresight_az_rad=float(np.mod(boresight, 2.0 * np.pi)),
        outages=outages,
        seed=seed,
    )


def sensors_from_scenario(scenario, *, seed: int | None = None) -> SensorSuite:
    """All of a scenario's sensors, seeded with ``seed`` (default: the scenario's seed)."""
    s = scenario.seed if seed is None else seed
    return SensorSuite(
        sensors=tuple(sensor_from_scenario(e, scenario, seed=s) for e in scenario.sensors)
    )
