"""Keplerian (two-body) orbits of sensor satellites, expressed in ECEF.

Inertial frame convention: the inertial frame coincides with ECEF at the
scenario epoch (``t = 0``) and the Earth turns about ``z`` at ``OMEGA_RAD_S``, so
``r_ecef(t) = R3(OMEGA t) r_inertial(t)`` and right ascensions (RAAN) are counted
from the Greenwich meridian at the epoch. Precession, nutation, polar motion and
perturbations (J2, drag, luni-solar) are ignored: over a scenario of an hour a
geostationary satellite's two-body position is good to a few km, far inside the
infrared sensor's needs.

Propagation: mean anomaly advanced linearly, Kepler's equation ``M = E - e sin E``
solved by Newton's method, then perifocal to inertial rotation (Vallado,
*Fundamentals of Astrodynamics and Applications*, 4th ed., algorithms 2 and 10).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from bmdsim.earth.constants import GM_M3_S2, OMEGA_RAD_S

#: Geostationary radius [m]: circular orbit whose mean motion equals the Earth's rotation.
GEOSTATIONARY_RADIUS_M = (GM_M3_S2 / OMEGA_RAD_S**2) ** (1.0 / 3.0)


def solve_kepler(mean_anomaly_rad, eccentricity, *, tol: float = 1e-14) -> np.ndarray:
    """Eccentric anomaly ``E`` [rad] with ``M = E - e sin E`` (elliptic, ``0 <= e < 1``)."""
    m = np.mod(np.asarray(mean_anomaly_rad, dtype=float), 2.0 * np.pi)
    e = np.asarray(eccentricity, dtype=float)
    ecc = np.where(e > 0.8, np.pi, m)
    if e.ndim == 0 and e == 0.0:  # circular: Newton's first step is exactly 0 (E = M)
        return ecc
    # each element iterates until its own step is below ``tol`` and then stays put, so its
    # value does not depend on the other elements of the batch
    active = np.ones(ecc.shape, dtype=bool)
    for _ in range(50):
        step = (ecc - e * np.sin(ecc) - m) / (1.0 - e * np.cos(ecc))
        ecc = np.where(active, ecc - step, ecc)
        active &= np.abs(step) >= tol
        if not np.any(active):
            break
    return ecc


@dataclass(frozen=True, slots=True, kw_only=True)
class KeplerOrbit:
    """Classical orbital elements at the epoch (SI, radians; see module docstring for the
    inertial frame)."""

    semi_major_axis_m: float
    eccentricity: float
    inclination_rad: float
    raan_rad: float
    arg_perigee_rad: float
    mean_anomaly_rad: float

    def __post_init__(self) -> None:
        if not 0.0 <= self.eccentricity < 1.0:
            raise ValueError(f"eccentricity must be in [0, 1), got {self.eccentricity}")
        if self.semi_major_axis_m * (1.0 - self.eccentricity) < 6.4e6:
            raise ValueError("perigee below the Earth's surface")

    @classmethod
    def geostationary(cls, longitude_deg: float) -> KeplerOrbit:
        """A geostationary orbit above ``longitude_deg`` (deg east)."""
        return cls(
            semi_major_axis_m=GEOSTATIONARY_RADIUS_M,
            eccentricity=0.0,
            inclination_rad=0.0,
            raan_rad=0.0,
            arg_perigee_rad=0.0,
            mean_anomaly_rad=math.radians(longitude_deg),
        )

    @classmethod
    def molniya(
        cls,
        *,
        apogee_longitude_deg: float,
        eccentricity: float = 0.72,
        inclination_deg: float = 63.4,
        arg_perigee_deg: float = 270.0,
        mean_anomaly_deg: float = 180.0,
    ) -> KeplerOrbit:
        """A Molniya-type highly elliptical orbit (period half a sidereal day).

        With the defaults the satellite is at apogee, over the northern hemisphere,
        at the epoch; ``apogee_longitude_deg`` places that apogee's sub-satellite
        longitude at the epoch.
        """
        period = math.pi / OMEGA_RAD_S
        a = (GM_M3_S2 * (period / (2.0 * math.pi)) ** 2) ** (1.0 / 3.0)
        # at apogee the argument of latitude is argp + 180 deg; its longitude from the node
        # is atan2(cos i sin u, cos u), so place the node to put the apogee at the longitude.
        u = math.radians(arg_perigee_deg + 180.0)
        inc = math.radians(inclination_deg)
        offset = math.atan2(math.cos(inc) * math.sin(u), math.cos(u))
        return cls(
            semi_major_axis_m=a,
            eccentricity=eccentricity,
            inclination_rad=inc,
            raan_rad=math.radians(apogee_longitude_deg) - offset,
            arg_perigee_rad=math.radians(arg_perigee_deg),
            mean_anomaly_rad=math.radians(mean_anomaly_deg),
        )

    @property
    def period_s(self) -> float:
        return 2.0 * math.pi * math.sqrt(self.semi_major_axis_m**3 / GM_M3_S2)

    def inertial_state(self, t_s) -> tuple[np.ndarray, np.ndarray]:
        """Inertial position and velocity ``(..., 3)`` [m, m/s] at times ``t_s (...)``."""
        t = np.asarray(t_s, dtype=float)
        a, e = self.semi_major_axis_m, self.eccentricity
        n, b, p_hat, q_hat = _perifocal_constants(self)
        ecc = solve_kepler(self.mean_anomaly_rad + n * t, e)
        ce, se = np.cos(ecc), np.sin(ecc)
        # perifocal position and velocity
        xp, yp = a * (ce - e), b * se
        edot = n / (1.0 - e * ce)
        vxp, vyp = -a * se * edot, b * ce * edot
        r = xp[..., None] * p_hat + yp[..., None] * q_hat
        v = vxp[..., None] * p_hat + vyp[..., None] * q_hat
        return r, v

    def state_ecef(self, t_s) -> tuple[np.ndarray, np.ndarray]:
        """ECEF position and velocity ``(..., 3)`` [m, m/s] at times ``t_s (...)``.

        ``r_ecef = R3(w t) r_i``, ``v_ecef = R3(w t) v_i - w x r_ecef``.
        """
        from bmdsim.sensors._kernel import orbit_states

        t = np.asarray(t_s, dtype=float)
        n, b, p_hat, q_hat = _perifocal_constants(self)
        ecc = solve_kepler(self.mean_anomaly_rad + n * t, self.eccentricity)
        ang = OMEGA_RAD_S * t
        # inertial_state's perifocal arithmetic and the rotation, compiled (same numbers)
        if t.ndim != 1:
            ecc, ang = ecc.reshape(-1), ang.reshape(-1)
        r, v = orbit_states(
            np.cos(ecc),
            np.sin(ecc),
            np.cos(ang),
            np.sin(ang),
            self.semi_major_axis_m,
            b,
            self.eccentricity,
            n,
            p_hat,
            q_hat,
            OMEGA_RAD_S,
        )
        if t.ndim != 1:
            r, v = r.reshape(*t.shape, 3), v.reshape(*t.shape, 3)
        return r, v


@lru_cache(maxsize=256)
def _perifocal_constants(orbit: KeplerOrbit):
    """Mean motion [rad/s], semi-minor axis [m] and the perifocal axes ``P``, ``Q`` (3,) in
    the inertial frame of an orbit (read-only; computed once per orbit)."""
    a, e = orbit.semi_major_axis_m, orbit.eccentricity
    n = math.sqrt(GM_M3_S2 / a**3)
    b = a * math.sqrt(1.0 - e * e)
    co, so = math.cos(orbit.raan_rad), math.sin(orbit.raan_rad)
    cw, sw = math.cos(orbit.arg_perigee_rad), math.sin(orbit.arg_perigee_rad)
    ci, si = math.cos(orbit.inclination_rad), math.sin(orbit.inclination_rad)
    p_hat = np.array([co * cw - so * sw * ci, so * cw + co * sw * ci, sw * si])
    q_hat = np.array([-co * sw - so * cw * ci, -so * sw + co * cw * ci, cw * si])
    p_hat.setflags(write=False)
    q_hat.setflags(write=False)
    return n, b, p_hat, q_hat
