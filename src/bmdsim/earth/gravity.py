"""Gravitation (point mass + J2) and rotating-frame accelerations, ECEF, SI units."""

from __future__ import annotations

import numpy as np

from bmdsim.earth.constants import A_M, GM_M3_S2, J2, OMEGA_RAD_S

#: Earth's angular velocity vector in ECEF [rad/s].
OMEGA_ECEF = np.array([0.0, 0.0, OMEGA_RAD_S])


def gravitation_ecef(r_ecef, *, j2: bool = True) -> np.ndarray:
    """Gravitational acceleration ``(..., 3)`` [m/s^2] at ECEF positions ``(..., 3)`` [m].

    Point mass plus the J2 zonal term (Vallado, *Fundamentals of Astrodynamics*,
    eq. 8-30):

        a = -GM r / |r|^3 - 3/2 J2 GM a_e^2 / |r|^5 *
            [x (1 - 5 z^2/r^2), y (1 - 5 z^2/r^2), z (3 - 5 z^2/r^2)]

    This is gravitation only: the centrifugal term of the rotating frame is in
    :func:`rotating_frame_acceleration`.
    """
    r = np.asarray(r_ecef, dtype=float)
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    r2 = x * x + y * y + z * z
    rn = np.sqrt(r2)
    k = -GM_M3_S2 / (r2 * rn)
    ax, ay, az = k * x, k * y, k * z
    if j2:
        c = -1.5 * J2 * GM_M3_S2 * A_M * A_M / (r2 * r2 * rn)
        zr = 5.0 * z * z / r2
        ax = ax + c * x * (1.0 - zr)
        ay = ay + c * y * (1.0 - zr)
        az = az + c * z * (3.0 - zr)
    return np.stack([ax, ay, az], axis=-1)


def rotating_frame_acceleration(r_ecef, v_ecef) -> np.ndarray:
    """Coriolis plus centrifugal acceleration ``-2 w x v - w x (w x r)`` in ECEF [m/s^2].

    ``w = (0, 0, OMEGA)``; written out in components so it broadcasts cheaply:
    Coriolis ``(2 w vy, -2 w vx, 0)``, centrifugal ``(w^2 x, w^2 y, 0)``.
    """
    r = np.asarray(r_ecef, dtype=float)
    v = np.asarray(v_ecef, dtype=float)
    w = OMEGA_RAD_S
    w2 = w * w
    ax = 2.0 * w * v[..., 1] + w2 * r[..., 0]
    ay = -2.0 * w * v[..., 0] + w2 * r[..., 1]
    az = np.zeros_like(ax)
    return np.stack([ax, ay, az], axis=-1)


def gravity_ecef(r_ecef, *, j2: bool = True) -> np.ndarray:
    """Effective gravity felt at rest on the rotating Earth: gravitation + centrifugal [m/s^2]."""
    r = np.asarray(r_ecef, dtype=float)
    return gravitation_ecef(r, j2=j2) + rotating_frame_acceleration(r, np.zeros_like(r))
