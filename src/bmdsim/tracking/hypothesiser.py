"""Gating: which detections of a scan each track may have produced, and at what cost.

Role contract: ``hypothesise(prediction, z (K, m), noise (K, m, m), model) -> Hypotheses``
for all tracks against all detections of one scan in one call.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy.stats import chi2

from bmdsim.tracking.types import MeasurementPrediction
from bmdsim.tracking.updater import residual


@dataclass(frozen=True, slots=True, kw_only=True)
class Hypotheses:
    """Track-detection pairs that pass the gate (pair axis first).

    track (P,), detection (P,): row indices into the tracks and the scan;
    distance2 (P,): squared Mahalanobis distance of the innovation;
    cost (P,): ``d^2 + ln det(2 pi S)`` — minus twice the Gaussian log likelihood, the cost a
    global nearest neighbour assignment minimises;
    pair (P,): index of each kept pair among the candidate pairs that were tested.
    """

    track: np.ndarray
    detection: np.ndarray
    distance2: np.ndarray
    cost: np.ndarray
    pair: np.ndarray

    @classmethod
    def none(cls) -> Hypotheses:
        e = np.zeros(0, np.int64)
        return cls(
            track=e, detection=e.copy(), distance2=np.zeros(0), cost=np.zeros(0), pair=e.copy()
        )

    def find(self, track: np.ndarray, detection: np.ndarray, n_detections: int) -> np.ndarray:
        """Positions in this set of the given (track, detection) pairs (all must be present)."""
        key = self.track * n_detections + self.detection
        order = np.argsort(key)
        return order[np.searchsorted(key[order], track * n_detections + detection)]


@dataclass(frozen=True, slots=True, kw_only=True)
class ChiSquareGater:
    """Ellipsoidal chi-square gate on the innovation, ``d^2 <= chi2.ppf(probability, m)``.

    The innovation covariance of a pair is ``S_ij = H P_i H^T + R_j`` (each detection keeps
    its own noise). A box pre-gate (component-wise, with the largest detection noise of the
    scan) leaves only candidates for the exact test: detections are sorted on the first
    measurement component (range for a radar, an angle about boresight for an IR sensor:
    never wrapped) and each track's window found by binary search, so the cost is
    ``O((N + K) log K)`` plus the candidates, not ``N x K``. ``chunk`` bounds the memory
    of the candidate expansion.
    """

    probability: float = 0.9999
    chunk: int = 2048

    def threshold(self, m: int) -> float:
        return _chi2_quantile(self.probability, int(m))

    def hypothesise(self, prediction: MeasurementPrediction, z, noise, model) -> Hypotheses:
        """All pairs of predicted tracks ``(N,)`` and detections ``(K,)`` inside the gate.

        ``prediction`` holds ``z (N, m)`` and, as its innovation covariance, the track part
        of it (``H P H^T``, plus any extra track-side noise); ``noise (K, m, m)`` is each
        detection's measurement covariance.
        """
        ti, di = self.candidates(prediction, z, noise, model)
        return self.test_pairs(
            ti, di, prediction.z[ti], prediction.innovation_covariance[ti], z, noise, model
        )

    def candidates(self, prediction, z, noise, model, widen=None) -> tuple[np.ndarray, np.ndarray]:
        """Pairs ``(track, detection)`` inside a component-wise box gate.

        The box half-width per component is ``sqrt(g (S_track + R_max))`` plus ``widen (N, m)``
        (e.g. how far the prediction moves over the spread of detection times).
        """
        z = np.asarray(z, dtype=float)
        noise = np.asarray(noise, dtype=float)
        n, m = prediction.z.shape
        if n == 0 or z.shape[0] == 0:
            e = np.zeros(0, np.int64)
            return e, e.copy()
        g = self.threshold(m)
        hph = prediction.innovation_covariance
        r_max = np.max(np.diagonal(noise, axis1=1, axis2=2), axis=0)
        box = np.sqrt(g * (np.diagonal(hph, axis1=1, axis2=2) + r_max))  # (N, m)
        if widen is not None:
            box = box + widen
        return _box_candidates(prediction.z, box, z, model, self.chunk)

    def test_pairs(self, ti, di, z_pred, hph, z, noise, model, weights=None) -> Hypotheses:
        """Exact chi-square test of candidate pairs.

        ``z_pred (P, m)`` and ``hph (P, m, m)`` are the track side of each pair (predicted to
        the detection's time); ``z (K, m)``, ``noise (K, m, m)`` the scan's detections.
        With a mode axis, ``z_pred (P, M, m)``, ``hph (P, M, m, m)`` and mode probabilities
        ``weights (P, M)``: a pair passes if any mode's ``d^2`` does, its ``distance2`` is
        the smallest mode ``d^2`` and its cost minus twice the log of the mixture's
        likelihood.
        """
        if len(ti) == 0:
            return Hypotheses.none()
        z_pred = np.asarray(z_pred, dtype=float)
        hph = np.asarray(hph, dtype=float)
        m = z_pred.shape[-1]
        if z_pred.ndim == 2:
            z_pred, hph = z_pred[:, None], hph[:, None]
            weights = np.ones((len(ti), 1))
        zd = np.asarray(z, dtype=float)[di][:, None]
        nu = residual(model, np.broadcast_to(zd, z_pred.shape), z_pred)
        s = hph + np.asarray(noise, dtype=float)[di][:, None]
        _, logdet = np.linalg.slogdet(s)
        d2_modes = np.einsum("pki,pki->pk", nu, np.linalg.solve(s, nu[..., None])[..., 0])
        d2 = d2_modes.min(axis=1)
        keep = d2 <= self.threshold(m)
        terms = np.log(np.maximum(weights, 1e-300)) - 0.5 * (d2_modes + logdet)
        top = terms.max(axis=1)
        cost = -2.0 * (top + np.log(np.exp(terms - top[:, None]).sum(axis=1)))
        cost = cost + m * np.log(2.0 * np.pi)
        return Hypotheses(
            track=ti[keep],
            detection=di[keep],
            distance2=d2[keep],
            cost=cost[keep],
            pair=np.flatnonzero(keep),
        )


@lru_cache(maxsize=64)
def _chi2_quantile(probability: float, dof: int) -> float:
    return float(chi2.ppf(probability, dof))


def _box_candidates(z_pred, box, z, model, chunk):
    """Pairs (track, detection) with every residual component inside the track's box."""
    order = np.argsort(z[:, 0], kind="stable")
    z0 = z[order, 0]
    lo = np.searchsorted(z0, z_pred[:, 0] - box[:, 0], side="left")
    hi = np.searchsorted(z0, z_pred[:, 0] + box[:, 0], side="right")
    counts = hi - lo
    ti_all, di_all = [], []
    n = z_pred.shape[0]
    start = 0
    while start < n:
        # a block of tracks whose candidates fit in about chunk * 64 pairs
        csum = np.cumsum(counts[start:])
        stop = start + max(1, int(np.searchsorted(csum, chunk * 64, side="right")))
        stop = min(stop, n)
        c = counts[start:stop]
        total = int(c.sum())
        if total:
            ti = np.repeat(np.arange(start, stop), c)
            offsets = np.arange(total) - np.repeat(np.cumsum(c) - c, c)
            di = order[np.repeat(lo[start:stop], c) + offsets]
            nu = residual(model, z[di], z_pred[ti])
            inside = np.all(np.abs(nu) <= box[ti], axis=-1)
            ti_all.append(ti[inside])
            di_all.append(di[inside])
        start = stop
    if not ti_all:
        e = np.zeros(0, np.int64)
        return e, e.copy()
    return np.concatenate(ti_all), np.concatenate(di_all)
