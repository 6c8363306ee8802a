"""Predictors: move every track (every motion mode of every track) to a new time at once.

Role contract: ``predict(tracks: TrackBatch, time_s) -> TrackBatch`` returns the tracks with
states, covariances and ``times_s`` at ``time_s`` (a scalar or one time per track); nothing
else changes. ``propagate(states, covariances, dt) -> (states, covariances)`` is the same on
bare arrays (used by the IMM and for out-of-sequence measurements).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from bmdsim.core.linalg import safe_cholesky, symmetrise
from bmdsim.tracking.motion import gaussian_predict
from bmdsim.tracking.types import TrackBatch


class MotionModel(Protocol):
    """What a predictor needs from a motion model (see :mod:`bmdsim.tracking.motion`)."""

    @property
    def ndim(self) -> int: ...

    def function(self, states: np.ndarray, dt) -> np.ndarray: ...

    def transition(self, states: np.ndarray, dt) -> tuple[np.ndarray, np.ndarray]: ...

    def process_noise(self, dt) -> np.ndarray: ...


def _combine(mode_states, mode_covariances, probabilities):
    """Moment-matched mixture mean ``(N, n)`` and covariance ``(N, n, n)`` over the mode axis."""
    x = np.einsum("nm,nmi->ni", probabilities, mode_states)
    d = mode_states - x[:, None]
    p = np.einsum(
        "nm,nmij->nij", probabilities, mode_covariances + d[..., :, None] * d[..., None, :]
    )
    return x, symmetrise(p)


def _single_mode(tracks: TrackBatch, x: np.ndarray, p: np.ndarray, times: np.ndarray) -> TrackBatch:
    return tracks.with_(
        states=x, covariances=p, mode_states=x[:, None], mode_covariances=p[:, None], times_s=times
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtendedKalmanPredictor:
    """``x <- f(x, dt)``, ``P <- F P F^T + Q(dt)`` with the model's transition matrix ``F``."""

    motion: MotionModel

    def propagate(self, states, covariances, dt) -> tuple[np.ndarray, np.ndarray]:
        """States ``(K, n)`` and covariances ``(K, n, n)`` moved by ``dt`` ``(K,)`` seconds.

        A motion model with ``constrain(states, covariances)`` (e.g. ``kappa >= 0``) has its
        constraint applied to the states first. Motion models with a ``kernel_spec`` (the
        ballistic and boost models) are propagated by one compiled pass
        (:func:`bmdsim.tracking.motion.gaussian_predict`); :meth:`propagate_reference` is
        the numpy path."""
        if hasattr(self.motion, "kernel_spec"):
            k = states.shape[0]
            _, _, _, x, p = gaussian_predict(
                (self.motion,), states[:, None], covariances[:, None], np.ones((k, 1)),
                np.ones((k, 1, 1)), dt,
            )  # fmt: skip
            return x, p
        return self.propagate_reference(states, covariances, dt)

    def propagate_reference(self, states, covariances, dt) -> tuple[np.ndarray, np.ndarray]:
        """Numpy path of :meth:`propagate`."""
        constrain = getattr(self.motion, "constrain", None)
        if constrain is not None:
            states = constrain(states, covariances)
        x, f = self.motion.transition(states, dt)
        p = f @ covariances @ np.swapaxes(f, -1, -2) + self.motion.process_noise(
            np.broadcast_to(dt, x.shape[:1])
        )
        return x, symmetrise(p)

    def predict(self, tracks: TrackBatch, time_s) -> TrackBatch:
        times = np.broadcast_to(np.asarray(time_s, dtype=float), tracks.times_s.shape).copy()
        x, p = self.propagate(tracks.states, tracks.covariances, times - tracks.times_s)
        return _single_mode(tracks, x, p, times)


@dataclass(frozen=True, slots=True, kw_only=True)
class UnscentedKalmanPredictor:
    """Unscented transform of the motion function (scaled sigma points, ``2n + 1`` per track).

    ``alpha``, ``beta``, ``kappa`` are the usual scaling parameters (Wan & van der Merwe 2000);
    the defaults (1, 2, 0) put the points at ``+/- sqrt(n)`` sigma with a zero-weight centre
    for the mean, so every covariance weight is non-negative.
    """

    motion: MotionModel
    alpha: float = 1.0
    beta: float = 2.0
    kappa: float = 0.0

    def propagate(self, states, covariances, dt) -> tuple[np.ndarray, np.ndarray]:
        k, n = states.shape
        pts, wm, wc = sigma_points(states, covariances, self.alpha, self.beta, self.kappa)
        dt_pts = np.repeat(np.broadcast_to(np.asarray(dt, dtype=float), (k,)), 2 * n + 1)
        moved = self.motion.function(pts.reshape(-1, n), dt_pts).reshape(k, 2 * n + 1, n)
        x = np.einsum("s,ksi->ki", wm, moved)
        d = moved - x[:, None]
        p = np.einsum("s,ksi,ksj->kij", wc, d, d) + self.motion.process_noise(
            np.broadcast_to(dt, (k,))
        )
        return x, symmetrise(p)

    def predict(self, tracks: TrackBatch, time_s) -> TrackBatch:
        times = np.broadcast_to(np.asarray(time_s, dtype=float), tracks.times_s.shape).copy()
        x, p = self.propagate(tracks.states, tracks.covariances, times - tracks.times_s)
        return _single_mode(tracks, x, p, times)


def sigma_points(states, covariances, alpha=1.0, beta=2.0, kappa=0.0):
    """Scaled sigma points ``(K, 2n+1, n)`` and mean/covariance weights ``(2n+1,)``."""
    n = states.shape[-1]
    lam = alpha * alpha * (n + kappa) - n
    s = safe_cholesky(covariances) * np.sqrt(n + lam)
    cols = np.swapaxes(s, -1, -2)  # rows are the columns of the factor
    pts = np.concatenate([states[:, None], states[:, None] + cols, states[:, None] - cols], axis=1)
    wm = np.full(2 * n + 1, 0.5 / (n + lam))
    wc = wm.copy()
    wm[0] = lam / (n + lam)
    wc[0] = lam / (n + lam) + (1.0 - alpha * alpha + beta)
    return pts, wm, wc


def markov_matrices(lam: np.ndarray, dt) -> np.ndarray:
    """Mode transition matrices ``expm(Lambda |dt|)`` ``(K, M, M)`` of a rate matrix
    ``lam (M, M)`` (rows summing to zero) over ``dt (K,)`` [s] (see
    :meth:`InteractingMultipleModelPredictor.markov`)."""
    dt = np.abs(np.asarray(dt, dtype=float)).reshape(-1)
    if dt.size == 0:
        return np.zeros((0, *lam.shape))
    if lam.shape[0] == 2:
        s = -np.trace(lam)
        frac = dt if s == 0.0 else -np.expm1(-s * dt) / s
        return np.eye(2) + frac[:, None, None] * lam
    from scipy.linalg import expm

    uniq, inv = np.unique(np.round(dt, 9), return_inverse=True)
    mats = np.stack([expm(lam * u) for u in uniq])
    return mats[inv.reshape(-1)]


@dataclass(frozen=True, slots=True, kw_only=True)
class InteractingMultipleModelPredictor:
    """IMM prediction (Blom & Bar-Shalom 1988): mix the mode estimates, then predict each mode.

    ``predictors`` — one single-model predictor per mode (e.g. boost, ballistic);
    ``transition_rates`` (M, M) [1/s] — off-diagonal mode switching rates; the Markov matrix
    over a step ``dt`` is ``expm(Lambda dt)`` with the diagonal set so rows sum to zero, so
    switching probabilities scale with the time between updates. The updater
    (:class:`bmdsim.tracking.updater.KalmanUpdater`) updates every mode and the mode
    probabilities.
    """

    predictors: tuple
    transition_rates: np.ndarray

    @property
    def n_modes(self) -> int:
        return len(self.predictors)

    def markov(self, dt: np.ndarray) -> np.ndarray:
        """Mode transition matrices ``(K, M, M)`` over ``|dt|`` (row: from, column: to).

        Two modes: the closed form ``expm(Lambda t) = I + (1 - exp(-s t)) / s Lambda`` with
        ``s = lambda_01 + lambda_10`` (``Lambda^2 = -s Lambda``); more modes: one matrix
        exponential per distinct ``|dt|``.
        """
        return markov_matrices(self.generator(), dt)

    def generator(self) -> np.ndarray:
        """The rate matrix ``Lambda`` ``(M, M)`` [1/s]: off-diagonal switching rates, each
        row summing to zero."""
        lam = np.array(self.transition_rates, dtype=float)
        np.fill_diagonal(lam, 0.0)
        np.fill_diagonal(lam, -lam.sum(axis=1))
        return lam

    def _compiled_motions(self):
        """The modes' motion models if every mode is an EKF prediction with a compiled
        motion model, else None."""
        motions = []
        for predictor in self.predictors:
            motion = getattr(predictor, "motion", None)
            if not isinstance(predictor, ExtendedKalmanPredictor) or not hasattr(
                motion, "kernel_spec"
            ):
                return None
            motions.append(motion)
        return tuple(motions)

    def predict(self, tracks: TrackBatch, time_s) -> TrackBatch:
        """Mix, predict every mode, combine (one compiled pass for compiled motion models;
        :meth:`predict_reference` is the numpy path)."""
        motions = self._compiled_motions()
        if motions is None:
            return self.predict_reference(tracks, time_s)
        times = np.broadcast_to(np.asarray(time_s, dtype=float), tracks.times_s.shape).copy()
        xs, ps, c, x, p = gaussian_predict(
            motions, tracks.mode_states, tracks.mode_covariances, tracks.mode_probabilities,
            self.markov(times - tracks.times_s), times - tracks.times_s,
        )  # fmt: skip
        return tracks.with_(
            states=x,
            covariances=p,
            mode_states=xs,
            mode_covariances=ps,
            mode_probabilities=c,
            times_s=times,
        )

    def predict_reference(self, tracks: TrackBatch, time_s) -> TrackBatch:
        """Numpy path of :meth:`predict`."""
        times = np.broadcast_to(np.asarray(time_s, dtype=float), tracks.times_s.shape).copy()
        dt = times - tracks.times_s
        mu = tracks.mode_probabilities
        pi = self.markov(dt)
        c = np.einsum("kij,ki->kj", pi, mu)  # predicted mode probabilities
        c = np.maximum(c, 1e-300)
        w = pi * mu[:, :, None] / c[:, None, :]  # w[k, i, j] = P(mode i before | j after)
        xs, ps = tracks.mode_states, tracks.mode_covariances
        x0 = np.einsum("kij,kin->kjn", w, xs)
        d = xs[:, :, None, :] - x0[:, None, :, :]  # (k, i, j, n)
        p0 = np.einsum("kij,kiab->kjab", w, ps) + np.einsum("kij,kija,kijb->kjab", w, d, d)
        new_x = np.empty_like(x0)
        new_p = np.empty_like(p0)
        for j, predictor in enumerate(self.predictors):
            reference = getattr(predictor, "propagate_reference", predictor.propagate)
            new_x[:, j], new_p[:, j] = reference(x0[:, j], p0[:, j], dt)
        x, p = _combine(new_x, new_p, c)
        return tracks.with_(
            states=x,
            covariances=p,
            mode_states=new_x,
            mode_covariances=new_p,
            mode_probabilities=c,
            times_s=times,
        )

    def propagate(self, states, covariances, dt) -> tuple[np.ndarray, np.ndarray]:
        """Bare-array propagation with the last mode (the ballistic one by convention)."""
        return self.predictors[-1].propagate(states, covariances, dt)
