"""Shared fixtures of the engagement tests: a synthetic ballistic threat and a table cache."""

from __future__ import annotations

import os

import numpy as np
import pytest

from bmdsim.earth.frames import enu_basis, geodetic_to_ecef


def ballistic_state(lat_deg, lon_deg, alt_m, azimuth_deg, flight_path_deg, speed_m_s):
    """ECEF state ``(6,)`` of an object at a geodetic point moving at ``speed_m_s`` toward
    ``azimuth_deg`` with flight-path angle ``flight_path_deg``."""
    r = geodetic_to_ecef(lat_deg, lon_deg, alt_m)
    east, north, up = enu_basis(lat_deg, lon_deg)
    az, g = np.radians(azimuth_deg), np.radians(flight_path_deg)
    v = speed_m_s * (np.cos(g) * (np.sin(az) * east + np.cos(az) * north) + np.sin(g) * up)
    return np.concatenate([r, v])


#: An MRBM-like reentry vehicle after burnout: at t = 150 s it climbs through 150 km over
#: north-western Iran heading west (apogee ~214 km at ~270 s); it lands in the Gulf of
#: Iskenderun (36.28 N, 35.97 E) at t = 507 s.
THREAT_T0_S = 150.0
THREAT_STATE = ballistic_state(37.3, 45.6, 150e3, 264.5, 22.0, 2780.0)
#: A notional destroyer station in the Eastern Mediterranean (the reference scenario's).
SHIP_LAT_LON = (35.30, 34.90)


@pytest.fixture(scope="session")
def threat():
    """The synthetic threat's true trajectory (a ballistic coast with drag)."""
    from bmdsim.engagement.prediction import PredictedTrajectories

    return PredictedTrajectories.from_states(THREAT_STATE[None], THREAT_T0_S)


@pytest.fixture(scope="session", autouse=True)
def _table_cache(tmp_path_factory):
    """Flyout tables go to a temporary cache directory, not the user's."""
    old = os.environ.get("BMDSIM_CACHE_DIR")
    os.environ["BMDSIM_CACHE_DIR"] = str(tmp_path_factory.mktemp("bmdsim-cache"))
    yield
    if old is None:
        os.environ.pop("BMDSIM_CACHE_DIR", None)
    else:
        os.environ["BMDSIM_CACHE_DIR"] = old
