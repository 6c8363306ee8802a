"""Track initiation: new tentative tracks from detections no track claimed, or from cues.

Role contract: ``initiate(scan, detections (K,) indices, first_id) -> TrackBatch`` for radar
(single-point with a velocity prior); :meth:`StereoInitiator.initiate_pairs` for two
angle-only scans; :func:`tracks_from_cue` for an external cue (a state with covariance).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from bmdsim.core.linalg import symmetrise
from bmdsim.tracking.types import Scan, TrackBatch, TrackStatus
from bmdsim.tracking.updater import measurement_jacobian, residual


@dataclass(frozen=True, slots=True, kw_only=True)
class InitialState:
    """What a new track starts with besides its position.

    ndim: 6, or 7 with ``kappa`` [m^2/kg]; velocity_sigma_m_s: prior standard deviation of
    each ECEF velocity component about zero; kappa_m2_kg, kappa_sigma: prior of the drag
    state; mode_probabilities: initial IMM mode probabilities (one entry per mode).
    """

    ndim: int = 6
    velocity_sigma_m_s: float = 3000.0
    kappa_m2_kg: float = 1e-3
    kappa_sigma: float = 1e-3
    mode_probabilities: tuple[float, ...] = (1.0,)

    def prior(self, k: int) -> tuple[np.ndarray, np.ndarray]:
        """Prior mean ``(k, n)`` and information (inverse covariance) ``(k, n, n)``."""
        x = np.zeros((k, self.ndim))
        info = np.zeros((k, self.ndim, self.ndim))
        i = np.arange(3, 6)
        info[:, i, i] = 1.0 / self.velocity_sigma_m_s**2
        if self.ndim == 7:
            x[:, 6] = self.kappa_m2_kg
            info[:, 6, 6] = 1.0 / self.kappa_sigma**2
        return x, info

    def probabilities(self, k: int) -> np.ndarray:
        mu = np.asarray(self.mode_probabilities, dtype=float)
        return np.repeat((mu / mu.sum())[None], k, axis=0)


def _information_fit(x0, info0, models_and_rows, n_components=None):
    """One Gauss-Newton step of the prior ``(x0, info0)`` with measurements (information form).

    ``models_and_rows``: list of ``(model, z (k, m), noise (k, m, m))``; only the first
    ``n_components`` measurement components are used (all if None); returns ``(x, P)``.
    """
    info = info0.copy()
    grad = np.zeros_like(x0)
    c = slice(None) if n_components is None else slice(0, n_components)
    for model, zz, rr in models_and_rows:
        h = measurement_jacobian(model, x0)[:, c]
        nu = residual(model, zz, model.function(x0))[:, c]
        rr = rr[:, c, c]
        rinv_h = np.linalg.solve(rr, h)
        info += np.swapaxes(h, -1, -2) @ rinv_h
        grad += np.einsum("kmi,km->ki", rinv_h, nu)
    p = symmetrise(np.linalg.inv(info))
    return x0 + np.einsum("kij,kj->ki", p, grad), p


@dataclass(frozen=True, slots=True, kw_only=True)
class SinglePointInitiator:
    """One radar detection -> a tentative track.

    Position from the model's inverse (range, angles -> ECEF); velocity from the prior
    (zero mean, ``velocity_sigma_m_s`` per axis); covariance from the measurement
    information plus the prior: ``P = (H^T R^-1 H + P0^-1)^-1`` at the initial state.

    A range rate, if measured, is not used by default (``use_range_rate``): with the
    tangential velocity unknown by kilometres per second, the range rate one second later
    depends on it quadratically (``v_t^2 dt / range``, ~10 m/s), which a linearised
    covariance cannot represent; leaving the radial velocity to the prior keeps the second
    detection inside the gate, and the following updates use the range rate.
    """

    initial: InitialState = InitialState()
    use_range_rate: bool = False

    def initiate(self, scan: Scan, detections: np.ndarray, first_id: int) -> TrackBatch:
        k = len(detections)
        z = scan.z[detections]
        r = scan.noise[detections]
        x0, info0 = self.initial.prior(k)
        x0[:, :3] = scan.model.inverse(z)
        x, p = _information_fit(x0, info0, [(scan.model, z, r)], None if self.use_range_rate else 3)
        return TrackBatch.new(
            ids=first_id + np.arange(k),
            states=x,
            covariances=p,
            times_s=scan.times_s[detections],
            mode_probabilities=self.initial.probabilities(k),
        )


def closest_approach(o1, u1, o2, u2) -> tuple[np.ndarray, np.ndarray]:
    """Midpoints ``(..., 3)`` and miss distances ``(...)`` of pairs of rays ``o + s u``.

    Rays are ECEF lines of sight from origins ``o`` with unit vectors ``u``; parameters are
    clipped to ``s >= 0`` (in front of the sensors).
    """
    w = o1 - o2
    b = np.einsum("...i,...i->...", u1, u2)
    d = np.einsum("...i,...i->...", u1, w)
    e = np.einsum("...i,...i->...", u2, w)
    den = np.maximum(1.0 - b * b, 1e-12)
    s1 = np.maximum((b * e - d) / den, 0.0)
    s2 = np.maximum((e - b * d) / den, 0.0)
    p1 = o1 + s1[..., None] * u1
    p2 = o2 + s2[..., None] * u2
    return 0.5 * (p1 + p2), np.linalg.norm(p1 - p2, axis=-1)


@dataclass(frozen=True, slots=True, kw_only=True)
class StereoInitiator:
    """Two angle-only scans of different sensors -> tentative tracks by triangulation.

    Every pair of lines of sight is intersected (closest approach); pairs whose miss
    distance is under ``gate_sigma`` times the expected miss (the angular noise times the
    ranges, plus the motion ``max_speed_m_s`` over the time between scans) are candidates; a
    global nearest neighbour assignment on the normalised miss picks one partner each.
    Position and covariance come from both measurements in information form; velocity
    from the prior.
    """

    initial: InitialState = InitialState()
    gate_sigma: float = 4.0
    max_speed_m_s: float = 7000.0
    max_gap_s: float = 2.0

    def initiate_pairs(
        self, a: Scan, rows_a: np.ndarray, b: Scan, rows_b: np.ndarray, first_id: int
    ) -> tuple[TrackBatch, np.ndarray, np.ndarray]:
        """New tracks at ``max(a.time_s, b.time_s)`` and the rows of ``a`` and ``b`` used."""
        empty = np.zeros(0, np.int64)
        if len(rows_a) == 0 or len(rows_b) == 0 or abs(a.time_s - b.time_s) > self.max_gap_s:
            return (
                TrackBatch.empty(self.initial.ndim, len(self.initial.mode_probabilities)),
                empty,
                empty,
            )
        ua = a.model.line_of_sight_ecef(a.z[rows_a])
        ub = b.model.line_of_sight_ecef(b.z[rows_b])
        oa = np.broadcast_to(a.model.sensor_position_ecef, ua.shape)
        ob = np.broadcast_to(b.model.sensor_position_ecef, ub.shape)
        mid, miss = closest_approach(oa[:, None], ua[:, None], ob[None, :], ub[None, :])
        ra = np.linalg.norm(mid - oa[:, None], axis=-1)
        rb = np.linalg.norm(mid - ob[None, :], axis=-1)
        sa = np.sqrt(np.max(np.diagonal(a.noise[rows_a], axis1=1, axis2=2), axis=-1))
        sb = np.sqrt(np.max(np.diagonal(b.noise[rows_b], axis1=1, axis2=2), axis=-1))
        expected = np.hypot(ra * sa[:, None], rb * sb[None, :]) + self.max_speed_m_s * abs(
            a.time_s - b.time_s
        )
        score = miss / np.maximum(expected, 1.0)
        feasible = score <= self.gate_sigma
        if not feasible.any():
            return (
                TrackBatch.empty(self.initial.ndim, len(self.initial.mode_probabilities)),
                empty,
                empty,
            )
        cost = np.where(feasible, score, 1e9)
        ia, ib = linear_sum_assignment(cost)
        ok = feasible[ia, ib]
        ia, ib = ia[ok], ib[ok]
        k = len(ia)
        x0, info0 = self.initial.prior(k)
        x0[:, :3] = mid[ia, ib]
        za, zb = a.z[rows_a[ia]], b.z[rows_b[ib]]
        x, p = _information_fit(
            x0, info0, [(a.model, za, a.noise[rows_a[ia]]), (b.model, zb, b.noise[rows_b[ib]])]
        )
        ta, tb = a.times_s[rows_a[ia]], b.times_s[rows_b[ib]]
        gap = np.abs(ta - tb)
        p[:, :3, :3] += np.eye(3) * ((self.max_speed_m_s * gap) ** 2 / 3.0)[:, None, None]
        tracks = TrackBatch.new(
            ids=first_id + np.arange(k),
            states=x,
            covariances=p,
            times_s=np.maximum(ta, tb),
            mode_probabilities=self.initial.probabilities(k),
        )
        return tracks, rows_a[ia], rows_b[ib]


def tracks_from_cue(
    time_s: float,
    states: np.ndarray,
    covariances: np.ndarray,
    first_id: int,
    mode_probabilities: np.ndarray,
    *,
    confirmed: bool = False,
) -> TrackBatch:
    """Tracks started from an external cue (e.g. a launch warning handed over as a state).

    ``states (k, n)`` ECEF and ``covariances (k, n, n)`` at ``time_s``.
    """
    k = states.shape[0]
    status = np.full(k, TrackStatus.CONFIRMED if confirmed else TrackStatus.TENTATIVE, np.int8)
    return TrackBatch.new(
        ids=first_id + np.arange(k),
        states=np.asarray(states, dtype=float),
        covariances=symmetrise(np.asarray(covariances, dtype=float)),
        times_s=np.full(k, float(time_s)),
        mode_probabilities=np.repeat(np.asarray(mode_probabilities, float)[None], k, axis=0),
        status=status,
    )
