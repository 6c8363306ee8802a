"""Sensors placed from scenario entries (the bundled reference scenario and inline ones)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from bmdsim.earth import ecef_to_geodetic
from bmdsim.scenario import load_scenario
from bmdsim.sensors import FixedSite, OrbitPlatform, Radar, SpaceInfrared, WaypointPlatform
from bmdsim.sensors.placement import SHIP_ANTENNA_HEIGHT_M, sensors_from_scenario


@pytest.fixture(scope="module")
def reference():
    return load_scenario("dortyol-2026-03-04")


def test_reference_scenario_sensors_are_placed_as_written(reference):
    suite = sensors_from_scenario(reference)
    assert len(suite) == len(reference.sensors)
    for entry in reference.sensors:
        s = suite[entry.id]
        assert s.type.id == entry.type and s.seed == reference.seed
        if entry.orbit is not None:
            assert isinstance(s, SpaceInfrared) and isinstance(s.platform, OrbitPlatform)
            lat, lon, alt = ecef_to_geodetic(s.platform.state_at(0.0)[0])
            assert abs(lat) < 1e-9 and lon == pytest.approx(entry.orbit.lon_deg, abs=1e-9)
        elif entry.site is not None:
            assert isinstance(s, Radar) and isinstance(s.platform, FixedSite)
            assert (s.platform.lat_deg, s.platform.lon_deg, s.platform.alt_m) == (
                entry.site.lat_deg,
                entry.site.lon_deg,
                entry.site.alt_m,
            )
            assert s.boresight_az_rad == pytest.approx(math.radians(entry.boresight_az_deg))
        else:
            assert isinstance(s, Radar) and isinstance(s.platform, WaypointPlatform)
            ship = {p.id: p for p in reference.platforms}[entry.platform]
            t = np.array([w.time_s for w in ship.waypoints])
            lat, lon, alt = s.platform.geodetic_at(t)
            np.testing.assert_allclose(lat, [w.lat_deg for w in ship.waypoints])
            np.testing.assert_allclose(lon, [w.lon_deg for w in ship.waypoints])
            assert np.all(alt == SHIP_ANTENNA_HEIGHT_M)


def test_seed_override_and_outages(reference):
    data = reference.model_dump(mode="json")
    data["sensors"][2]["outages"] = [{"start_s": 100.0, "end_s": 200.0}]
    data["sensors"][2]["mtbf_s"] = 3600.0
    data["sensors"][2]["mttr_s"] = 60.0
    scenario = type(reference).from_mapping(data)
    suite = sensors_from_scenario(scenario, seed=7)
    s = suite[data["sensors"][2]["id"]]
    assert s.seed == 7
    assert s.outages.windows_s == ((100.0, 200.0),) and s.outages.mtbf_s == 3600.0
    assert s.status_changes(0.0, 300.0)[0].t_s == 100.0
