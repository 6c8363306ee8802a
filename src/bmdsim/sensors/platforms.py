"""Where a sensor is: a fixed site, a ship following waypoints, or a satellite.

A platform answers ``state_at(t_s) -> (position_ecef (..., 3), velocity_ecef (..., 3))``
and ``basis_at(t_s) -> (..., 3, 3)`` (the rows of the sensor's measurement frame in
ECEF) for times ``t_s (...)``. Radars measure in the local east-north-up frame of
their position; satellites in geocentric north-east-down.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from bmdsim.earth.constants import A_M as _A_M
from bmdsim.earth.constants import E2 as _E2
from bmdsim.earth.frames import enu_basis, geodetic_to_ecef
from bmdsim.sensors.models import geocentric_ned_basis
from bmdsim.sensors.orbits import KeplerOrbit


@dataclass(frozen=True, slots=True, kw_only=True)
class FixedSite:
    """A ground site (geodetic degrees, metres above the ellipsoid)."""

    lat_deg: float
    lon_deg: float
    alt_m: float

    def geodetic_at(self, t_s):
        t = np.asarray(t_s, dtype=float)
        return (
            np.full(t.shape, self.lat_deg),
            np.full(t.shape, self.lon_deg),
            np.full(t.shape, self.alt_m),
        )

    def state_at(self, t_s):
        t = np.asarray(t_s, dtype=float)
        r, _ = _site_frame(self.lat_deg, self.lon_deg, self.alt_m)
        return np.broadcast_to(r, (*t.shape, 3)), np.zeros((*t.shape, 3))

    def basis_at(self, t_s):
        t = np.asarray(t_s, dtype=float)
        _, basis = _site_frame(self.lat_deg, self.lon_deg, self.alt_m)
        return np.broadcast_to(basis, (*t.shape, 3, 3))


@lru_cache(maxsize=256)
def _site_frame(lat_deg: float, lon_deg: float, alt_m: float) -> tuple[np.ndarray, np.ndarray]:
    """ECEF position and ENU basis of a fixed site (read-only arrays, computed once)."""
    r = geodetic_to_ecef(lat_deg, lon_deg, alt_m)
    basis = enu_basis(lat_deg, lon_deg)
    r.setflags(write=False)
    basis.setflags(write=False)
    return r, basis


@dataclass(frozen=True, slots=True, kw_only=True)
class WaypointPlatform:
    """A ship (or any surface platform) moving between timed waypoints.

    ``t_s (W,)`` strictly increasing; ``lat_deg (W,)``, ``lon_deg (W,)``; constant
    ``alt_m`` (antenna height). Latitude and longitude are interpolated linearly in
    time between waypoints (legs of a few tens of km, where this and the great
    circle differ by metres); the platform holds its first position before the
    first waypoint and its last after the last. Velocity is the time derivative of
    that path in ECEF (zero while holding).
    """

    t_s: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    alt_m: float

    def __post_init__(self) -> None:
        w = self.t_s.shape[0]
        assert w >= 1 and self.lat_deg.shape == (w,) and self.lon_deg.shape == (w,)
        assert np.all(np.diff(self.t_s) > 0.0), "waypoint times must increase"

    @classmethod
    def from_waypoints(cls, t_s, lat_deg, lon_deg, alt_m: float = 0.0) -> WaypointPlatform:
        return cls(
            t_s=np.atleast_1d(np.asarray(t_s, dtype=float)),
            lat_deg=np.atleast_1d(np.asarray(lat_deg, dtype=float)),
            lon_deg=np.atleast_1d(np.asarray(lon_deg, dtype=float)),
            alt_m=float(alt_m),
        )

    def geodetic_at(self, t_s):
        t = np.asarray(t_s, dtype=float)
        lat = np.interp(t, self.t_s, self.lat_deg)
        lon = np.interp(t, self.t_s, self.lon_deg)
        return lat, lon, np.full(t.shape, self.alt_m)

    def _rates(self, t):
        """d(lat)/dt, d(lon)/dt [deg/s] of the leg containing ``t`` (0 outside)."""
        if self.t_s.shape[0] < 2:
            return np.zeros(t.shape), np.zeros(t.shape)
        i = np.searchsorted(self.t_s, t, side="right") - 1
        i = np.minimum(np.maximum(i, 0), self.t_s.shape[0] - 2)
        dt = self.t_s[i + 1] - self.t_s[i]
        moving = (t >= self.t_s[0]) & (t < self.t_s[-1])
        dlat = np.where(moving, (self.lat_deg[i + 1] - self.lat_deg[i]) / dt, 0.0)
        dlon = np.where(moving, (self.lon_deg[i + 1] - self.lon_deg[i]) / dt, 0.0)
        return dlat, dlon

    def state_at(self, t_s):
        r, v, *_ = self.frame_at(t_s)
        return r, v

    def basis_at(self, t_s):
        return self.frame_at(t_s)[2]

    def frame_at(self, t_s):
        """``(position, velocity, basis, lat_deg, lon_deg, alt_m)`` at times ``t_s (...)``.

        Position: :func:`bmdsim.earth.geodetic_to_ecef` of the interpolated latitude and
        longitude; velocity: its derivative along the leg, ``d r / d(lat, lon)`` by central
        differences (``1e-6`` deg) of that closed form; basis:
        :func:`bmdsim.earth.enu_basis`. The three share one evaluation of the sines and
        cosines (those functions' formulas written out here, so the same numbers: tested
        against them); each time's numbers are independent of the others in the batch.
        """
        return self.frame_trig_at(t_s)[0]

    def frame_trig_at(self, t_s):
        """:meth:`frame_at` and the sines and cosines ``(2, K)`` of its latitudes and
        longitudes (``K`` the number of times; for the radar's refraction model)."""
        from bmdsim.sensors._kernel import surface_frames, waypoint_track

        t = np.asarray(t_s, dtype=float)
        h = 1e-6
        track, ll = waypoint_track(t.reshape(-1), self.t_s, self.lat_deg, self.lon_deg, h)
        # the position and, when moving, its four offsets in one evaluation (np.radians of
        # lat, lat + h, lat - h, lat, lat and lon, lon, lon, lon + h, lon - h: compiled)
        sin, cos = np.sin(ll), np.cos(ll)
        alt = np.full(t.shape, self.alt_m)
        r, v, basis = surface_frames(
            sin[0], cos[0], sin[1], cos[1], alt.reshape(-1), track[2], track[3], _A_M, _E2, h
        )
        lat, lon = track[0].reshape(t.shape), track[1].reshape(t.shape)
        shape = t.shape
        frame = (
            r.reshape(*shape, 3),
            v.reshape(*shape, 3),
            basis.reshape(*shape, 3, 3),
            lat,
            lon,
            alt,
        )
        return frame, sin[:, 0], cos[:, 0]


@dataclass(frozen=True, slots=True, kw_only=True)
class OrbitPlatform:
    """A satellite on a Keplerian orbit (see :mod:`bmdsim.sensors.orbits`)."""

    orbit: KeplerOrbit

    def state_at(self, t_s):
        return self.orbit.state_ecef(t_s)

    def basis_at(self, t_s):
        r, _ = self.orbit.state_ecef(t_s)
        return geocentric_ned_basis(r)


Platform = FixedSite | WaypointPlatform | OrbitPlatform
