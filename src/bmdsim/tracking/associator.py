"""Data association: pick at most one detection per track and one track per detection.

Role contract: ``associate(hypotheses, n_tracks, n_detections) -> (track (A,), detection (A,))``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment

from bmdsim.tracking.hypothesiser import Hypotheses


@dataclass(frozen=True, slots=True, kw_only=True)
class GlobalNearestNeighbourAssociator:
    """Global nearest neighbour: the assignment of gated pairs with the most pairs, then the
    least total cost (``d^2 + ln det 2 pi S``), solved with
    :func:`scipy.optimize.linear_sum_assignment`.

    Pairs whose track and detection each have a single gated partner are assigned
    directly; only the ambiguous rest goes to one assignment problem (the cost matrix of
    every ambiguous track x detection of the scan, non-gated pairs forbidden).
    """

    def associate(
        self, hypotheses: Hypotheses, n_tracks: int, n_detections: int
    ) -> tuple[np.ndarray, np.ndarray]:
        t, d, c = hypotheses.track, hypotheses.detection, hypotheses.cost
        if t.size == 0:
            e = np.zeros(0, np.int64)
            return e, e.copy()
        per_track = np.bincount(t, minlength=n_tracks)
        per_det = np.bincount(d, minlength=n_detections)
        simple = (per_track[t] == 1) & (per_det[d] == 1)
        out_t, out_d = [t[simple]], [d[simple]]
        hard = ~simple
        if hard.any():
            ht, hd, hc = t[hard], d[hard], c[hard]
            rows, ti = np.unique(ht, return_inverse=True)
            cols, di = np.unique(hd, return_inverse=True)
            forbidden = float(np.max(np.abs(hc))) * 4.0 * (len(rows) + len(cols)) + 1e6
            big = forbidden * 0.5
            # shift to positive costs below 'big' so that more pairs always win over fewer
            cost = np.full((len(rows), len(cols)), forbidden)
            cost[ti, di] = hc - hc.min() + 1.0 - big
            r, k = linear_sum_assignment(cost)
            ok = cost[r, k] < 0.0
            out_t.append(rows[r[ok]])
            out_d.append(cols[k[ok]])
        return np.concatenate(out_t), np.concatenate(out_d)
