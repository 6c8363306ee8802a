"""Sensor geometry: radar horizon with refraction, Earth-limb occlusion, LOS triangulation.

All positions ECEF (WGS-84) in metres; functions broadcast over leading axes.
"""

from __future__ import annotations

import math

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
    :func:`refraction_site` (broadcasting against the targets). The arithmetic between the
    trigonometric functions is compiled (:mod:`bmdsim.sensors._kernel`; the same numbers)."""
    from bmdsim.sensors._kernel import normal_cross_dot, ray_clears

    n_s, r_eff, sy = site
    target = np.asarray(target_ecef, dtype=float)
    lat_t, lon_t, h_t = ecef_to_geodetic(target)
    lat, lon = np.radians(lat_t), np.radians(lon_t)
    shape = lat.shape
    if (
        len(shape) == 1
        and np.shape(n_s) == (*shape, 3)
        and np.shape(r_eff) == shape
        and np.shape(sy) == shape
    ):  # one site row per target (a radar's looks): no broadcasting

        def flat(x, *tail):
            return x

    else:
        shape = np.broadcast_shapes(shape, np.shape(n_s)[:-1], np.shape(r_eff), np.shape(sy))
        size = math.prod(shape)

        def flat(x, *tail):
            return np.broadcast_to(x, (*shape, *tail)).reshape(size, *tail)

    cross, dot = normal_cross_dot(
        flat(n_s, 3), flat(np.cos(lat)), flat(np.cos(lon)), flat(np.sin(lon)), flat(np.sin(lat))
    )
    theta = np.arctan2(cross, dot).reshape(shape)
    phi = theta / k
    px = (r_eff + h_t) * np.sin(phi)
    py = (r_eff + h_t) * np.cos(phi)
    dx, dy = px, py - sy
    elevation = np.arctan2(dy, dx)
    # closest point of the segment to the centre: S + s (P - S), s clipped to [0, 1]
    clear = ray_clears(flat(dx), flat(dy), flat(sy), flat(r_eff)).reshape(shape)
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
