"""Guidance laws and the seeker model of the kill vehicle (vectorised over interceptors).

* :class:`ProportionalNavigation` — true proportional navigation, the terminal homing law:
  ``a_c = N' Vc dλ/dt`` (Zarchan, *Tactical and Strategic Missile Guidance*, 6th ed., ch. 2),
  in vector form ``a_c = N' Vc du/dt`` with ``u`` the unit line of sight from interceptor to
  target and ``du/dt = (Δv - (Δv·u) u) / |Δr|`` its rate (perpendicular to ``u``, of
  magnitude ``dλ/dt``), ``Vc = -Δr·Δv / |Δr|`` the closing speed.
* :class:`ZeroEffortMissGuidance` — midcourse guidance toward the predicted intercept:
  ``a_c = N' ZEM⊥ / t_go²`` with the zero-effort miss of the relative motion, its component
  perpendicular to the line of sight, and ``t_go`` the time of closest approach of the
  relative motion (Zarchan, ch. 8, predictive guidance). Without relative acceleration and
  near a collision course (relative velocity along the line of sight, so that
  ``t_go = |Δr| / Vc``) it equals proportional navigation with the same ``N'``. The relative acceleration
  has two parts: a constant one ``Δa_c`` (the Coriolis term of the relative velocity, a
  target manoeuvre) and the gravity-gradient one ``Δa_g``, proportional to the separation
  and so decaying linearly to zero on a collision course:
  ``ZEM = Δr + Δv t_go + Δa_c t_go² / 2 + Δa_g t_go² / 3``.
* :class:`Seeker` — the kill vehicle's seeker: acquisition range, frame period, and
  line-of-sight angle noise; the line-of-sight rate is estimated from the noisy measurements
  by an alpha-beta filter per interceptor (perfect when the noise is zero).

Commanded accelerations are limited in magnitude (:func:`limit_acceleration`) by the
interceptor's divert capability and, where it has one, its divert velocity budget.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


def _dot(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.einsum("...i,...i->...", a, b)


def line_of_sight(rel_pos: np.ndarray, rel_vel: np.ndarray):
    """Line-of-sight geometry of relative states ``Δr = r_T - r_M``, ``Δv = v_T - v_M``
    ``(..., 3)``: unit LOS ``u``, its rate ``du/dt`` [rad/s as a vector], range [m] and
    closing speed [m/s]."""
    rng = np.linalg.norm(rel_pos, axis=-1)
    u = rel_pos / rng[..., None]
    vc = -_dot(rel_pos, rel_vel) / rng
    udot = (rel_vel - _dot(rel_vel, u)[..., None] * u) / rng[..., None]
    return u, udot, rng, vc


@dataclass(frozen=True, slots=True, kw_only=True)
class ProportionalNavigation:
    """True proportional navigation ``a_c = N' Vc du/dt`` (perpendicular to the LOS)."""

    #: ``N'``; None: each interceptor type's catalog value (passed to :meth:`from_los`).
    navigation_ratio: float | None = None

    def from_los(self, u, udot, closing_speed, navigation_ratio=None, rel_acc=None) -> np.ndarray:
        """Command ``(..., 3)`` [m/s^2] from a (measured) unit LOS ``u``, its rate ``udot``
        and the closing speed [m/s]; ``navigation_ratio`` overrides :attr:`navigation_ratio`
        (scalar or ``(...,)``). With ``rel_acc`` (the target's acceleration relative to the
        interceptor's own free fall, ``(..., 3)``) the law is augmented proportional
        navigation, ``+ N' Δa⊥ / 2`` (Zarchan, ch. 8): in space the relative gravity of two
        bodies far apart is the 'target manoeuvre' it cancels."""
        n = self.navigation_ratio if navigation_ratio is None else navigation_ratio
        if n is None:
            raise ValueError("no navigation ratio: give one here or to the law")
        n = np.asarray(n, dtype=float)[..., None]
        a = n * np.asarray(closing_speed)[..., None] * udot
        if rel_acc is not None:
            a = a + 0.5 * n * np.asarray(rel_acc, dtype=float)
        return a - _dot(a, u)[..., None] * u

    def command(self, rel_pos, rel_vel, navigation_ratio=None, rel_acc=None) -> np.ndarray:
        """Command ``(..., 3)`` from exact relative position and velocity (perfect seeker)."""
        u, udot, _, vc = line_of_sight(np.asarray(rel_pos, float), np.asarray(rel_vel, float))
        return self.from_los(u, udot, vc, navigation_ratio, rel_acc)


@dataclass(frozen=True, slots=True, kw_only=True)
class ZeroEffortMissGuidance:
    """Midcourse law ``a_c = N' ZEM⊥ / t_go²`` (see the module docstring)."""

    navigation_ratio: float = 3.0
    #: ``t_go`` is not taken below this [s] (the terminal law takes over well before).
    min_time_to_go_s: float = 0.5

    def time_to_go(self, rel_pos, rel_vel) -> np.ndarray:
        """Time of closest approach of straight-line relative motion [s] (>= 0)."""
        v2 = np.maximum(_dot(rel_vel, rel_vel), 1e-12)
        return np.maximum(-_dot(rel_pos, rel_vel) / v2, 0.0)

    def zero_effort_miss(self, rel_pos, rel_vel, t_go, constant_acc=0.0, gradient_acc=0.0):
        """``ZEM`` ``(..., 3)`` [m] (see the module docstring)."""
        t = np.asarray(t_go)[..., None]
        return (
            rel_pos
            + rel_vel * t
            + (0.5 * np.asarray(constant_acc) + np.asarray(gradient_acc) / 3.0) * t * t
        )

    def command(self, rel_pos, rel_vel, constant_acc=0.0, gradient_acc=0.0) -> np.ndarray:
        """Command ``(..., 3)`` [m/s^2] for relative position and velocity (target minus
        interceptor, ECEF) and the two parts of the relative acceleration."""
        rel_pos = np.asarray(rel_pos, float)
        rel_vel = np.asarray(rel_vel, float)
        t_go = np.maximum(self.time_to_go(rel_pos, rel_vel), self.min_time_to_go_s)
        zem = self.zero_effort_miss(rel_pos, rel_vel, t_go, constant_acc, gradient_acc)
        u = rel_pos / np.linalg.norm(rel_pos, axis=-1, keepdims=True)
        perp = zem - _dot(zem, u)[..., None] * u
        return self.navigation_ratio * perp / (t_go * t_go)[..., None]


@dataclass(frozen=True, slots=True, kw_only=True)
class Seeker:
    """The kill vehicle's seeker and its line-of-sight rate estimator.

    The seeker measures the unit line of sight every ``frame_s`` once the target is within
    the interceptor type's acquisition range, with independent Gaussian angle noise of
    ``angle_noise_rad`` on each of the two axes perpendicular to it. The rate ``du/dt`` is
    estimated by an alpha-beta filter (gains ``alpha``, ``beta``) started at acquisition
    from the uplinked track; with zero noise the exact geometric rate is used.
    """

    #: seeker frame period [s] (100 Hz, estimate)
    frame_s: float = 0.01
    #: one-sigma angle noise per frame and axis [rad] (an IR focal plane's sub-pixel
    #: centroid, estimate)
    angle_noise_rad: float = 20e-6
    alpha: float = 0.2
    beta: float = 0.02

    def __post_init__(self) -> None:
        if self.frame_s <= 0.0 or self.angle_noise_rad < 0.0:
            raise ValueError("frame_s must be > 0 s and angle_noise_rad >= 0 rad")
        if not (0.0 < self.alpha <= 1.0 and 0.0 < self.beta < 2.0):
            raise ValueError("alpha in (0, 1] and beta in (0, 2) are required")

    @property
    def perfect(self) -> bool:
        return self.angle_noise_rad == 0.0

    def measure(self, u_true: np.ndarray, noise: np.ndarray, dt_s=None) -> np.ndarray:
        """Noisy unit LOS ``(M, 3)`` from the true one and standard normal draws ``(M, 2)``.

        Over a guidance frame ``dt_s`` ``(M,)`` [s] longer than the seeker's frame, the
        measurement is the mean of the frames in it (noise ``/ sqrt(dt_s / frame_s)``)."""
        e1, e2 = perpendicular_basis(u_true)
        sigma = np.full(u_true.shape[0], self.angle_noise_rad)
        if dt_s is not None:
            sigma = sigma / np.sqrt(np.maximum(np.asarray(dt_s, float) / self.frame_s, 1.0))
        z = u_true + sigma[:, None] * (noise[:, :1] * e1 + noise[:, 1:2] * e2)
        return z / np.linalg.norm(z, axis=1, keepdims=True)

    def filter(self, u_est, udot_est, z, dt_s) -> tuple[np.ndarray, np.ndarray]:
        """One alpha-beta update of LOS ``u_est`` and rate ``udot_est`` ``(M, 3)`` with the
        measurement ``z`` after ``dt_s`` ``(M,)`` [s]."""
        dt = np.asarray(dt_s, float)[:, None]
        pred = u_est + dt * udot_est
        resid = z - pred
        u = pred + self.alpha * resid
        u /= np.linalg.norm(u, axis=1, keepdims=True)
        udot = udot_est + (self.beta / np.maximum(dt, 1e-9)) * resid
        # the rate of a unit vector is perpendicular to it
        udot = udot - _dot(udot, u)[:, None] * u
        return u, udot


def perpendicular_basis(v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Two unit vectors ``(N, 3)`` perpendicular to ``v`` ``(N, 3)`` and to each other."""
    u = v / np.linalg.norm(v, axis=1, keepdims=True)
    helper = np.where(np.abs(u[:, 2:3]) < 0.9, [[0.0, 0.0, 1.0]], [[1.0, 0.0, 0.0]])
    e1 = np.cross(u, helper)
    e1 /= np.linalg.norm(e1, axis=1, keepdims=True)
    return e1, np.cross(u, e1)


def limit_acceleration(a, a_max, dv_left, dt_s) -> np.ndarray:
    """Scale commands ``a`` ``(M, 3)`` to at most ``a_max`` ``(M,)`` [m/s^2] and to what the
    remaining divert budget ``dv_left`` ``(M,)`` [m/s] (inf: none) allows over ``dt_s``."""
    mag = np.linalg.norm(a, axis=1)
    cap = np.minimum(a_max, np.maximum(dv_left, 0.0) / np.maximum(dt_s, 1e-12))
    scale = np.where(mag > cap, cap / np.maximum(mag, 1e-300), 1.0)
    return a * scale[:, None]


__all__ = [
    "ProportionalNavigation",
    "Seeker",
    "ZeroEffortMissGuidance",
    "limit_acceleration",
    "line_of_sight",
    "perpendicular_basis",
]
