"""Measurement models: ECEF states to what a sensor measures, batched, with Jacobians.

Each model maps target states ``x (..., 6)`` (ECEF ``[x, y, z, vx, vy, vz]``, m and
m/s; a ``(..., 3)`` position is accepted where velocity is not used) to measurements
``z (..., m)`` and exposes

* ``function(state_ecef) -> (..., m)``,
* ``jacobian(state_ecef) -> (..., m, 6)`` (analytic),
* ``covariance() -> (..., m, m)`` (the measurement noise ``R``),
* ``residual(z_a, z_b) -> (..., m)`` (``z_a - z_b`` with angles wrapped to
  ``[-pi, pi)``),

and the radar models an ``inverse(z) -> (..., 3)`` ECEF position. The sensor
geometry is part of the model and broadcasts against the states: a single sensor
(``sensor_position_ecef (3,)``, ``sensor_basis (3, 3)``) or one per measurement
(``(B, 3)``, ``(B, 3, 3)``). ``sensor_basis`` rows are the sensor frame's unit axes
in ECEF: for a radar the local east, north, up of its site
(:func:`bmdsim.earth.enu_basis`); for a satellite see :func:`geocentric_ned_basis`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bmdsim.earth.frames import aer_to_enu
from bmdsim.sensors.types import MeasurementKind

_TWO_PI = 2.0 * np.pi


def wrap_angle(a) -> np.ndarray:
    """Angles wrapped to ``[-pi, pi)``."""
    return np.mod(np.asarray(a, dtype=float) + np.pi, _TWO_PI) - np.pi


def geocentric_ned_basis(r_ecef) -> np.ndarray:
    """Geocentric north-east-down axes ``(..., 3, 3)`` (rows, in ECEF) at positions ``(..., 3)``.

    ``down = -r/|r|``, ``east = z x r / |z x r|``, ``north = east x down``.
    Undefined on the polar axis (no satellite orbit used here passes over a pole).
    """
    r = np.asarray(r_ecef, dtype=float)
    # the arithmetic of norm, np.cross and np.stack, written out (same numbers, fewer calls)
    up = r / np.sqrt(np.add.reduce(r * r, axis=-1, keepdims=True))
    u0, u1, u2 = up[..., 0], up[..., 1], up[..., 2]
    e0, e1 = -u1, u0
    en = np.sqrt(e0 * e0 + e1 * e1 + 0.0)
    e0, e1, e2 = e0 / en, e1 / en, 0.0 / en
    out = np.empty((*r.shape[:-1], 3, 3))
    out[..., 0, 0] = u1 * e2 - u2 * e1
    out[..., 0, 1] = u2 * e0 - u0 * e2
    out[..., 0, 2] = u0 * e1 - u1 * e0
    out[..., 1, 0] = e0
    out[..., 1, 1] = e1
    out[..., 1, 2] = e2
    out[..., 2, :] = -up
    return out


def _local(basis, v):
    """Rotate ECEF vectors ``(..., 3)`` into the frame of ``basis (..., 3, 3)``."""
    return np.einsum("...ij,...j->...i", basis, v)


def _to_ecef_rows(basis, d_local):
    """Chain rule: ``d_local (..., m, 3)`` derivatives w.r.t. local coordinates to ECEF."""
    return np.einsum("...mi,...ij->...mj", d_local, basis)


@dataclass(frozen=True, slots=True, kw_only=True)
class EcefToRangeAzEl:
    """ECEF target position to ``[range_m, azimuth_rad, elevation_rad]`` seen from a site.

    ``d = basis @ (r - s)`` (local east, north, up); ``range = |d|``,
    ``azimuth = atan2(e, n)`` in ``[0, 2 pi)`` clockwise from north,
    ``elevation = atan2(u, hypot(e, n))`` (geometric; refraction is corrected by the
    radar). Singular at zero range and at the zenith.
    """

    sensor_position_ecef: np.ndarray
    sensor_basis: np.ndarray
    noise_covariance: np.ndarray

    kind = MeasurementKind.RANGE_AZ_EL
    ndim_meas = 3
    angle_axes = (1, 2)

    def _enu(self, state_ecef):
        x = np.asarray(state_ecef, dtype=float)
        return _local(self.sensor_basis, x[..., :3] - self.sensor_position_ecef)

    def function(self, state_ecef) -> np.ndarray:
        d = self._enu(state_ecef)
        e, n, u = d[..., 0], d[..., 1], d[..., 2]
        horiz = np.hypot(e, n)
        return np.stack(
            [np.hypot(horiz, u), np.mod(np.arctan2(e, n), _TWO_PI), np.arctan2(u, horiz)],
            axis=-1,
        )

    def _position_jacobian_local(self, d):
        e, n, u = d[..., 0], d[..., 1], d[..., 2]
        h2 = e * e + n * n
        h = np.sqrt(h2)
        r2 = h2 + u * u
        r = np.sqrt(r2)
        zero = np.zeros_like(e)
        d_range = np.stack([e / r, n / r, u / r], axis=-1)
        d_az = np.stack([n / h2, -e / h2, zero], axis=-1)
        d_el = np.stack([-u * e / (r2 * h), -u * n / (r2 * h), h / r2], axis=-1)
        return np.stack([d_range, d_az, d_el], axis=-2)

    def jacobian(self, state_ecef) -> np.ndarray:
        """``(..., 3, 6)``: position columns analytic, velocity columns zero."""
        d = self._enu(state_ecef)
        jp = _to_ecef_rows(self.sensor_basis, self._position_jacobian_local(d))
        return np.concatenate([jp, np.zeros_like(jp)], axis=-1)

    def covariance(self) -> np.ndarray:
        return np.asarray(self.noise_covariance, dtype=float)

    def residual(self, z_a, z_b) -> np.ndarray:
        r = np.asarray(z_a, dtype=float) - np.asarray(z_b, dtype=float)
        r[..., 1] = wrap_angle(r[..., 1])
        return r

    def inverse(self, z) -> np.ndarray:
        """ECEF positions ``(..., 3)`` of measurements ``(..., >=3)`` (range, az, el)."""
        z = np.asarray(z, dtype=float)
        enu = aer_to_enu(z[..., 1], z[..., 2], z[..., 0])
        return self.sensor_position_ecef + np.einsum("...ji,...j->...i", self.sensor_basis, enu)


@dataclass(frozen=True, slots=True, kw_only=True)
class EcefToRangeAzElRangeRate(EcefToRangeAzEl):
    """ECEF state to ``[range_m, azimuth_rad, elevation_rad, range_rate_m_s]``.

    ``range_rate = (r - s) . (v - v_s) / |r - s|`` with the sensor's own ECEF
    velocity ``v_s`` (a ship), so it is the Doppler the radar measures.
    """

    sensor_velocity_ecef: np.ndarray

    kind = MeasurementKind.RANGE_AZ_EL_RATE
    ndim_meas = 4

    def _relative(self, state_ecef):
        x = np.asarray(state_ecef, dtype=float)
        dr = x[..., :3] - self.sensor_position_ecef
        dv = x[..., 3:6] - self.sensor_velocity_ecef
        return dr, dv

    def function(self, state_ecef) -> np.ndarray:
        aer = EcefToRangeAzEl.function(self, state_ecef)
        dr, dv = self._relative(state_ecef)
        rate = np.einsum("...i,...i->...", dr, dv) / aer[..., 0]
        return np.concatenate([aer, rate[..., None]], axis=-1)

    def jacobian(self, state_ecef) -> np.ndarray:
        """``(..., 4, 6)``; the range-rate row is
        ``[(dv - rate * u) / range, u]`` with ``u = dr / range``."""
        j3 = EcefToRangeAzEl.jacobian(self, state_ecef)
        dr, dv = self._relative(state_ecef)
        rng = np.linalg.norm(dr, axis=-1, keepdims=True)
        u = dr / rng
        rate = np.einsum("...i,...i->...", u, dv)[..., None]
        row = np.concatenate([(dv - rate * u) / rng, u], axis=-1)
        return np.concatenate([j3, row[..., None, :]], axis=-2)


@dataclass(frozen=True, slots=True, kw_only=True)
class EcefToLosAngles:
    """ECEF target position to line-of-sight angles ``[alpha_rad, beta_rad]``.

    With ``d = basis @ (r - s)`` in the sensor frame (axes 1, 2 across the
    boresight, axis 3 along it — for a satellite, geocentric north, east, down),
    ``alpha = atan2(d1, d3)``, ``beta = atan2(d2, d3)``: the LOS's tilt from
    boresight in the two planes containing it. Regular for every LOS within 90 deg
    of the boresight, which holds for any Earth-looking LOS from orbit. Near the
    boresight both angles are the LOS's perpendicular angular offsets, so an
    isotropic LOS error of ``sigma`` rad per axis is ``sigma`` on each angle.
    """

    sensor_position_ecef: np.ndarray
    sensor_basis: np.ndarray
    noise_covariance: np.ndarray

    kind = MeasurementKind.LOS_ANGLES
    ndim_meas = 2
    angle_axes = (0, 1)

    def _local(self, state_ecef):
        x = np.asarray(state_ecef, dtype=float)
        return _local(self.sensor_basis, x[..., :3] - self.sensor_position_ecef)

    def function(self, state_ecef) -> np.ndarray:
        d = self._local(state_ecef)
        return np.stack(
            [np.arctan2(d[..., 0], d[..., 2]), np.arctan2(d[..., 1], d[..., 2])], axis=-1
        )

    def jacobian(self, state_ecef) -> np.ndarray:
        """``(..., 2, 6)``; velocity columns zero."""
        d = self._local(state_ecef)
        d1, d2, d3 = d[..., 0], d[..., 1], d[..., 2]
        q1 = d1 * d1 + d3 * d3
        q2 = d2 * d2 + d3 * d3
        zero = np.zeros_like(d1)
        d_alpha = np.stack([d3 / q1, zero, -d1 / q1], axis=-1)
        d_beta = np.stack([zero, d3 / q2, -d2 / q2], axis=-1)
        jp = _to_ecef_rows(self.sensor_basis, np.stack([d_alpha, d_beta], axis=-2))
        return np.concatenate([jp, np.zeros_like(jp)], axis=-1)

    def covariance(self) -> np.ndarray:
        return np.asarray(self.noise_covariance, dtype=float)

    def residual(self, z_a, z_b) -> np.ndarray:
        return wrap_angle(np.asarray(z_a, dtype=float) - np.asarray(z_b, dtype=float))

    def line_of_sight_ecef(self, z) -> np.ndarray:
        """Unit LOS vectors ``(..., 3)`` in ECEF for measured angles ``(..., 2)``."""
        z = np.asarray(z, dtype=float)
        local = np.stack([np.tan(z[..., 0]), np.tan(z[..., 1]), np.ones_like(z[..., 0])], axis=-1)
        local = local / np.linalg.norm(local, axis=-1, keepdims=True)
        return np.einsum("...ji,...j->...i", self.sensor_basis, local)


MeasurementModel = EcefToRangeAzEl | EcefToRangeAzElRangeRate | EcefToLosAngles


def model_for(
    kind: MeasurementKind,
    *,
    sensor_position_ecef,
    sensor_basis,
    noise_covariance,
    sensor_velocity_ecef=None,
) -> MeasurementModel:
    """The measurement model of a :class:`MeasurementKind` with the given geometry."""
    kind = MeasurementKind(kind)
    if kind is MeasurementKind.RANGE_AZ_EL:
        return EcefToRangeAzEl(
            sensor_position_ecef=sensor_position_ecef,
            sensor_basis=sensor_basis,
            noise_covariance=noise_covariance,
        )
    if kind is MeasurementKind.RANGE_AZ_EL_RATE:
        vel = (
            np.zeros_like(sensor_position_ecef)
            if sensor_velocity_ecef is None
            else sensor_velocity_ecef
        )
        return EcefToRangeAzElRangeRate(
            sensor_position_ecef=sensor_position_ecef,
            sensor_velocity_ecef=vel,
            sensor_basis=sensor_basis,
            noise_covariance=noise_covariance,
        )
    return EcefToLosAngles(
        sensor_position_ecef=sensor_position_ecef,
        sensor_basis=sensor_basis,
        noise_covariance=noise_covariance,
    )
