"""WGS-84 frames: geodetic, ECEF, local ENU and AER (azimuth, elevation, range).

Conventions (all functions broadcast over leading axes):

* ECEF: Earth-centred, Earth-fixed, WGS-84, metres, arrays ``(..., 3)``.
* Geodetic: latitude and longitude in **degrees** (the public contract, DESIGN.md),
  ellipsoidal height ``alt_m`` in metres.
* ENU: local east-north-up at a site, metres, ``(..., 3)``.
* AER: azimuth clockwise from true north in ``[0, 2*pi)`` rad, elevation above the
  local ellipsoid tangent plane in rad, slant range in m.
"""

from __future__ import annotations

import numpy as np

from bmdsim.earth.constants import A_M, E2

_E4 = E2 * E2


def geodetic_to_ecef(lat_deg, lon_deg, alt_m) -> np.ndarray:
    """Geodetic (deg, deg, m) to ECEF ``(..., 3)`` in metres (closed form, exact)."""
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    alt = np.asarray(alt_m, dtype=float)
    slat, clat = np.sin(lat), np.cos(lat)
    n = A_M / np.sqrt(1.0 - E2 * slat * slat)
    nh = n + alt
    out = np.empty((*np.broadcast_shapes(lat.shape, lon.shape, alt.shape), 3))
    out[..., 0] = nh * clat * np.cos(lon)
    out[..., 1] = nh * clat * np.sin(lon)
    out[..., 2] = (n * (1.0 - E2) + alt) * slat
    return out


def ecef_to_geodetic(xyz) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ECEF ``(..., 3)`` metres to geodetic ``(lat_deg, lon_deg, alt_m)``.

    Vermeille's closed-form solution (J. Geodesy 76:451, 2002; 85:105, 2011),
    exact to rounding (well below 1 mm) for every point farther than ~45 km from
    the Earth's centre, i.e. any altitude from the deep crust to beyond
    geostationary orbit. The latitude uses the half-angle form
    ``2 atan(z / (D + sqrt(D^2 + z^2)))``, stable at the poles; the longitude is
    ``atan2(y, x)`` in ``(-180, 180]``.
    """
    xyz = np.asarray(xyz, dtype=float)
    x, y, z = xyz[..., 0], xyz[..., 1], xyz[..., 2]
    rho2 = x * x + y * y
    rho = np.sqrt(rho2)
    p = rho2 / (A_M * A_M)
    q = (1.0 - E2) * z * z / (A_M * A_M)
    r = (p + q - _E4) / 6.0
    s = _E4 * p * q / (4.0 * r**3)
    t = np.cbrt(1.0 + s + np.sqrt(s * (2.0 + s)))
    u = r * (1.0 + t + 1.0 / t)
    v = np.sqrt(u * u + _E4 * q)
    w = E2 * (u + v - q) / (2.0 * v)
    k = np.sqrt(u + v + w * w) - w
    d = k * rho / (k + E2)
    dz = np.hypot(d, z)
    lat = 2.0 * np.arctan2(z, d + dz)
    alt = (k + E2 - 1.0) / k * dz
    lon = np.arctan2(y, x)
    return np.degrees(lat), np.degrees(lon), alt


def enu_basis(lat_deg, lon_deg) -> np.ndarray:
    """Rows are the east, north, up unit vectors in ECEF: ``(..., 3, 3)``.

    ``enu = basis @ (r_ecef - r_site)``; ``r_ecef - r_site = basis^T @ enu``.
    """
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    sl, cl = np.sin(lat), np.cos(lat)
    so, co = np.sin(lon), np.cos(lon)
    out = np.empty((*np.broadcast_shapes(lat.shape, lon.shape), 3, 3))
    out[..., 0, 0] = -so
    out[..., 0, 1] = co
    out[..., 0, 2] = 0.0
    out[..., 1, 0] = -sl * co
    out[..., 1, 1] = -sl * so
    out[..., 1, 2] = cl
    out[..., 2, 0] = cl * co
    out[..., 2, 1] = cl * so
    out[..., 2, 2] = sl
    return out


def ecef_vector_to_enu(vec, lat_deg, lon_deg) -> np.ndarray:
    """Rotate a free ECEF vector (velocity, direction) ``(..., 3)`` into local ENU."""
    basis = enu_basis(lat_deg, lon_deg)
    return np.einsum("...ij,...j->...i", basis, np.asarray(vec, dtype=float))


def enu_vector_to_ecef(vec, lat_deg, lon_deg) -> np.ndarray:
    """Rotate a free ENU vector ``(..., 3)`` into ECEF."""
    basis = enu_basis(lat_deg, lon_deg)
    return np.einsum("...ji,...j->...i", basis, np.asarray(vec, dtype=float))


def ecef_to_enu(xyz, lat_deg, lon_deg, alt_m) -> np.ndarray:
    """Positions ECEF ``(..., 3)`` to ENU ``(..., 3)`` metres about the geodetic site."""
    site = geodetic_to_ecef(lat_deg, lon_deg, alt_m)
    return ecef_vector_to_enu(np.asarray(xyz, dtype=float) - site, lat_deg, lon_deg)


def enu_to_ecef(enu, lat_deg, lon_deg, alt_m) -> np.ndarray:
    """Positions ENU ``(..., 3)`` about the geodetic site to ECEF ``(..., 3)`` metres."""
    site = geodetic_to_ecef(lat_deg, lon_deg, alt_m)
    return site + enu_vector_to_ecef(enu, lat_deg, lon_deg)


def enu_to_aer(enu) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ENU ``(..., 3)`` to ``(azimuth_rad in [0, 2 pi), elevation_rad, range_m)``."""
    enu = np.asarray(enu, dtype=float)
    e, n, u = enu[..., 0], enu[..., 1], enu[..., 2]
    horiz = np.hypot(e, n)
    az = np.mod(np.arctan2(e, n), 2.0 * np.pi)
    az = np.where(az < 2.0 * np.pi, az, 0.0)  # mod(-tiny, 2 pi) rounds to 2 pi
    el = np.arctan2(u, horiz)
    return az, el, np.hypot(horiz, u)


def aer_to_enu(az_rad, el_rad, range_m) -> np.ndarray:
    """Azimuth, elevation (rad), slant range (m) to ENU ``(..., 3)`` metres."""
    az = np.asarray(az_rad, dtype=float)
    el = np.asarray(el_rad, dtype=float)
    rng = np.asarray(range_m, dtype=float)
    ce = np.cos(el)
    return np.stack(
        np.broadcast_arrays(rng * ce * np.sin(az), rng * ce * np.cos(az), rng * np.sin(el)),
        axis=-1,
    )


def ecef_to_aer(xyz, lat_deg, lon_deg, alt_m) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """ECEF positions ``(..., 3)`` to AER as seen from a geodetic site."""
    return enu_to_aer(ecef_to_enu(xyz, lat_deg, lon_deg, alt_m))


def aer_to_ecef(az_rad, el_rad, range_m, lat_deg, lon_deg, alt_m) -> np.ndarray:
    """AER from a geodetic site to ECEF positions ``(..., 3)``."""
    return enu_to_ecef(aer_to_enu(az_rad, el_rad, range_m), lat_deg, lon_deg, alt_m)
