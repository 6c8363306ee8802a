"""Gating: which detections of a scan each track may have produced, and at what cost.

Role contract: ``hypothesise(prediction, z (K, m), noise (K, m, m), model) -> Hypotheses``
for all tracks against all detections of one scan in one call.
"""

from __future__ import annotations

from dataclasses import dataclass

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
    global nearest neighbour assignment minimises.
    """

    track: np.ndarray
    detection: np.ndarray
    distance2: np.ndarray
    cost: np.ndarray

    @classmethod
    def none(cls) -> Hypotheses:
        e = np.zeros(0, np.int64)
        return cls(track=e, detection=e.copy(), distance2=np.zeros(0), cost=np.zeros(0))

    def concat(self, other: Hypotheses) -> Hypotheses:
        return Hypotheses(
            track=np.concatenate([self.track, other.track]),
            detection=np.concatenate([self.detection, other.detection]),
            distance2=np.concatenate([self.distance2, other.distance2]),
            cost=np.concatenate([self.cost, other.cost]),
        )


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
        return float(chi2.ppf(self.probability, m))

    def hypothesise(self, prediction: MeasurementPrediction, z, noise, model) -> Hypotheses:
        """All pairs of predicted tracks ``(N,)`` and detections ``(K,)`` inside the gate.

        ``prediction`` holds ``z (N, m)`` and, as its innovation covariance, the track part
        of it (``H P H^T``, plus any extra track-side noise); ``noise (K, m, m)`` is each
        detection's measurement covariance.
        """
        z = np.asarray(z, dtype=float)
        noise = np.asarray(noise, dtype=float)
        n, m = prediction.z.shape
        k = z.shape[0]
        if n == 0 or k == 0:
            return Hypotheses.none()
        g = self.threshold(m)
        hph = prediction.innovation_covariance
        r_max = np.max(np.diagonal(noise, axis1=1, axis2=2), axis=0)
        box = np.sqrt(g * (np.diagonal(hph, axis1=1, axis2=2) + r_max))  # (N, m)
        ti, di = _box_candidates(prediction.z, box, z, model, self.chunk)
        if ti.size == 0:
            return Hypotheses.none()
        nu = residual(model, z[di], prediction.z[ti])
        s = hph[ti] + noise[di]
        _sign, logdet = np.linalg.slogdet(s)
        d2 = np.einsum("pi,pi->p", nu, np.linalg.solve(s, nu[..., None])[..., 0])
        keep = d2 <= g
        cost = d2 + logdet + m * np.log(2.0 * np.pi)
        return Hypotheses(track=ti[keep], detection=di[keep], distance2=d2[keep], cost=cost[keep])


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
