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
    its own noise). A cheap box pre-gate on every pair (component-wise, with the largest
    detection noise of the scan) leaves only candidates for the exact test, so the cost
    stays near linear in tracks x detections. ``chunk`` bounds the memory of the box gate.
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
        ti_list, di_list = [], []
        for start in range(0, n, self.chunk):
            sl = slice(start, min(n, start + self.chunk))
            nu = residual(model, z[None, :, :], prediction.z[sl, None, :])  # (n, K, m)
            inside = np.all(np.abs(nu) <= box[sl, None, :], axis=-1)
            ti, di = np.nonzero(inside)
            ti_list.append(ti + start)
            di_list.append(di)
        ti = np.concatenate(ti_list)
        di = np.concatenate(di_list)
        if ti.size == 0:
            return Hypotheses.none()
        nu = residual(model, z[di], prediction.z[ti])
        s = hph[ti] + noise[di]
        sign, logdet = np.linalg.slogdet(s)
        d2 = np.einsum("pi,pi->p", nu, np.linalg.solve(s, nu[..., None])[..., 0])
        keep = d2 <= g
        cost = d2 + logdet + m * np.log(2.0 * np.pi)
        return Hypotheses(track=ti[keep], detection=di[keep], distance2=d2[keep], cost=cost[keep])
