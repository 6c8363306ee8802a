"""Geodesics on the WGS-84 ellipsoid (inverse and direct problems), vectorised.

Thin wrapper over :class:`pyproj.Geod` (``ellps="WGS84"``), which implements Karney's
algorithms (C. F. F. Karney, *Algorithms for geodesics*, J. Geodesy 87:43-55, 2013; accurate
to about 15 nm). Inputs broadcast against each other; outputs have the broadcast shape.

Angles: latitude/longitude in degrees (the public convention for positions), azimuths in
radians clockwise from true north in ``[0, 2 pi)``, distances in metres.
"""

from __future__ import annotations

from functools import cache

import numpy as np

_TWO_PI = 2.0 * np.pi


@cache
def _geod():
    from pyproj import Geod

    return Geod(ellps="WGS84")


def _azimuth_rad(az_deg: np.ndarray) -> np.ndarray:
    az = np.mod(np.radians(az_deg), _TWO_PI)
    return np.where(az >= _TWO_PI, 0.0, az)  # mod can round up to exactly 2 pi


def geodesic_inverse(
    lat1_deg, lon1_deg, lat2_deg, lon2_deg
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Shortest path between two points: ``(distance_m, azimuth12_rad, azimuth21_rad)``.

    ``azimuth12_rad`` is the forward azimuth at point 1 towards point 2; ``azimuth21_rad`` the
    azimuth at point 2 back towards point 1 (pyproj's "back azimuth"). For coincident points
    the distance is 0 and the azimuths are those pyproj returns (0 or pi).
    """
    lat1, lon1, lat2, lon2 = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (lat1_deg, lon1_deg, lat2_deg, lon2_deg))
    )
    shape = lat1.shape
    az12, az21, dist = _geod().inv(
        lon1.ravel(), lat1.ravel(), lon2.ravel(), lat2.ravel(), return_back_azimuth=True
    )
    return (
        np.asarray(dist, dtype=float).reshape(shape),
        _azimuth_rad(np.asarray(az12, dtype=float)).reshape(shape),
        _azimuth_rad(np.asarray(az21, dtype=float)).reshape(shape),
    )


def geodesic_direct(
    lat_deg, lon_deg, azimuth_rad, distance_m
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Point reached from ``(lat, lon)`` along ``azimuth_rad`` after ``distance_m`` metres.

    Returns ``(lat_deg, lon_deg in [-180, 180], back_azimuth_rad)``, the back azimuth being the
    azimuth at the end point towards the start point.
    """
    lat, lon, az, dist = np.broadcast_arrays(
        *(np.asarray(a, dtype=float) for a in (lat_deg, lon_deg, azimuth_rad, distance_m))
    )
    shape = lat.shape
    lon2, lat2, back = _geod().fwd(
        lon.ravel(),
        lat.ravel(),
        np.degrees(az.ravel()),
        dist.ravel(),
        return_back_azimuth=True,
    )
    return (
        np.asarray(lat2, dtype=float).reshape(shape),
        np.asarray(lon2, dtype=float).reshape(shape),
        _azimuth_rad(np.asarray(back, dtype=float)).reshape(shape),
    )


__all__ = ["geodesic_direct", "geodesic_inverse"]
