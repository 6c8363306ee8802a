"""A synthetic ballistic threat and a ship station shared by the engagement tests."""

from __future__ import annotations

import numpy as np

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
