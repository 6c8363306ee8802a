"""Sensor geometry: radar horizon with refraction, Earth-limb occlusion, LOS triangulation.

All positions ECEF (WGS-84) in metres; functions broadcast over leading axes.
"""

from __future__ import annotations

import numpy as np

from bmdsim.earth.constants import A_M, B_M, E2
from bmdsim.earth.frames import ecef_to_geodetic

#: Effective Earth-radius factor of the standard atmosphere's refraction (4/3 Earth).
STANDARD_REFRACTION_K = 4.0 / 3.0


def gaussian_radius_m(lat_deg) -> np.ndarray:
    """Gaussian mean radius of curvature ``sqrt(M N)`` of the WGS-84 ellipsoid [m]."""
    s = np.sin(np.radians(np.asarray(lat_deg, dtype=float)))
    w2 = 1.0 - E2 * s * s
    return A_M * np.sqrt(1.0 - E2) / w2


def _normal(lat_deg, lon_deg) -> np.ndarray:
    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    c = np.cos(lat)
    x, y, z = c * np.cos(lon), c * np.sin(lon), np.sin(lat)
    out = np.empty((*np.broadcast_shapes(x.shape, z.shape), 3))
    out[..., 0] = x
    out[..., 1] = y
    out[..., 2] = z
    return out


def refracted_elevation(
    site_lat_deg, site_lon_deg, site_alt_m, target_ecef, *, k: float = STANDARD_REFRACTION_K
) -> tuple[np.ndarray, np.ndarray]:
    """Apparent elevation of targets and whether their ray clears the Earth, 4/3-Earth model.

    Refraction in a standard atmosphere bends radar rays with about a quarter of the
    Earth's curvature; the classic equivalent is straight rays over a sphere of
    radius ``k R`` (``k = 4/3``; Skolnik, *Introduction to Radar Systems*, 3rd ed.,
    sec. 8.2; Doerry, Sandia SAND2013-3899). Here ``R`` is the ellipsoid's Gaussian
    radius at the site, the ground arc between site and target is ``R * theta``
    (``theta`` the angle between their geodetic normals) and heights are geodetic.
    In that geometry the site is at ``S = (0, kR + h_s)`` and the target at
    ``P = (kR + h_t) (sin(theta/k), cos(theta/k))``.

    Returns ``(elevation_rad, clear)``: the apparent elevation of ``P`` seen from
    ``S`` (what the radar's beam points at; ``(...)``), and ``clear`` — the segment
    ``S P`` stays outside the sphere of radius ``kR`` (the target is above the
    radar horizon). Target ECEF ``(..., 3)``; NaN targets give ``clear = False``.
    """
    site = refraction_site(site_lat_deg, site_lon_deg, site_alt_m, k=k)
    return refracted_elevation_from(site, target_ecef, k=k)


def refraction_site(site_lat_deg, site_lon_deg, site_alt_m, *, k: float = STANDARD_REFRACTION_K):
    """The site's part of :func:`refracted_elevation`: ``(normal (..., 3), kR (...),
    kR + h_s (...))`` — computed once for a site and reused for many targets."""
    n_s = _normal(site_lat_deg, site_lon_deg)
    r_eff = k * gaussian_radius_m(site_lat_deg)
    return n_s, r_eff, r_eff + np.asarray(site_alt_m, dtype=float)


def refracted_elevation_from(site, target_ecef, *, k: float = STANDARD_REFRACTION_K):
    """:func:`refracted_elevation` of targets ``(..., 3)`` from a site given by
    :func:`refraction_site` (broadcasting against the targets)."""
    n_s, r_eff, sy = site
    target = np.asarray(target_ecef, dtype=float)
    lat_t, lon_t, h_t = ecef_to_geodetic(target)
    n_t = _normal(lat_t, lon_t)
    a, b = n_s, n_t  # |n_s x n_t| by components (np.cross is slow), broadcasting
    c0 = a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1]
    c1 = a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2]
    c2 = a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    cross = np.sqrt(c0 * c0 + c1 * c1 + c2 * c2)
    theta = np.arctan2(cross, np.einsum("...i,...i->...", n_s, n_t))
    phi = theta / k
    px = (r_eff + h_t) * np.sin(phi)
    py = (r_eff + h_t) * np.cos(phi)
    dx, dy = px, py - sy
    elevation = np.arctan2(dy, dx)
    # closest point of the segment to the centre: S + s (P - S), s clipped to [0, 1]
    # (maximum/minimum: np.clip's values, NaN kept, without its Python overhead)
    dd = dx * dx + dy * dy
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.minimum(np.maximum(-(sy * dy) / dd, 0.0), 1.0)
    cx, cy = s * dx, sy + s * dy
    clear = (cx * cx + cy * cy) >= r_eff * r_eff
    return elevation, clear & np.isfinite(elevation)


def segment_clears_ellipsoid(p_from, p_to, *, inflate_m: float = 0.0) -> np.ndarray:
    """True where the segment ``p_from -> p_to`` (ECEF ``(..., 3)``) does not enter the
    WGS-84 ellipsoid raised by ``inflate_m`` (semi-axes ``a + h``, ``a + h``, ``b + h``).

    Exact for that ellipsoid: coordinates are scaled to the unit sphere, where the
    closest point of the segment to the centre decides. Used for Earth-limb
    occlusion of a line of sight (``inflate_m`` = cloud-top or grazing altitude).
    """
    scale = np.array([A_M + inflate_m, A_M + inflate_m, B_M + inflate_m])
    a = np.asarray(p_from, dtype=float) / scale
    b = np.asarray(p_to, dtype=float) / scale
    d = b - a
    dd = np.einsum("...i,...i->...", d, d)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.clip(-np.einsum("...i,...i->...", a, d) / dd, 0.0, 1.0)
    c = a + s[..., None] * d
    return np.einsum("...i,...i->...", c, c) >= 1.0


def triangulate_lines(origins, directions) -> np.ndarray:
    """Least-squares intersection of lines of sight: the point ``(..., 3)`` minimising the
    sum of squared perpendicular distances to the lines ``origins (..., M, 3) +
    t * directions (..., M, 3)`` (ECEF; directions need not be unit). Needs ``M >= 2``
    non-parallel lines — stereo infrared gives a launch position this way.

    Solves ``sum_i (I - u_i u_i^T) x = sum_i (I - u_i u_i^T) o_i``.
    """
    o = np.asarray(origins, dtype=float)
    u = np.asarray(directions, dtype=float)
    u = u / np.linalg.norm(u, axis=-1, keepdims=True)
    proj = np.eye(3) - u[..., :, None] * u[..., None, :]
    lhs = proj.sum(axis=-3)
    rhs = np.einsum("...mij,...mj->...i", proj, o)
    return np.linalg.solve(lhs, rhs[..., None])[..., 0]


def altitude_m(r_ecef) -> np.ndarray:
    """Geodetic altitude [m] of ECEF positions ``(..., 3)``."""
    return ecef_to_geodetic(r_ecef)[2]
