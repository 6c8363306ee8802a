"""Gating and global nearest neighbour association."""

from __future__ import annotations

import numpy as np
from tracking_helpers import RADAR_SIGMA, launch_state, radar_at

from bmdsim.tracking import (
    ChiSquareGater,
    ExtendedKalmanUpdater,
    GlobalNearestNeighbourAssociator,
    Hypotheses,
)

R = np.diag(RADAR_SIGMA**2)


def test_gnn_finds_the_global_optimum_where_greedy_nearest_fails():
    # track 0 is nearest to detection 0, but giving 0 to track 0 leaves track 1 with nothing
    hyp = Hypotheses(
        track=np.array([0, 0, 1]),
        detection=np.array([0, 1, 0]),
        distance2=np.array([0.1, 1.0, 0.5]),
        cost=np.array([0.1, 1.0, 0.5]),
        pair=np.arange(3),
    )
    t, d = GlobalNearestNeighbourAssociator().associate(hyp, 2, 2)
    assert dict(zip(t.tolist(), d.tolist(), strict=True)) == {0: 1, 1: 0}


def test_gnn_assigns_unambiguous_pairs_directly_and_never_reuses_a_detection():
    rng = np.random.default_rng(0)
    n = 200
    t = np.concatenate([np.arange(n), rng.integers(0, n, 50)])
    d = np.concatenate([np.arange(n), rng.integers(0, n, 50)])
    c = rng.uniform(0, 10, t.size)
    hyp = Hypotheses(track=t, detection=d, distance2=c, cost=c, pair=np.arange(t.size))
    tt, dd = GlobalNearestNeighbourAssociator().associate(hyp, n, n)
    assert len(np.unique(tt)) == len(tt) and len(np.unique(dd)) == len(dd)
    assert len(tt) == n, "a perfect matching exists (the diagonal) and has the most pairs"


def test_chi_square_gate_keeps_the_true_detection_and_rejects_far_ones():
    radar = radar_at(37.0, 44.5)
    rng = np.random.default_rng(1)
    n = 300
    x = np.stack(
        [launch_state(36.0 + 0.01 * i, 46.0, 150e3, [-1500, 1500, 1000]) for i in range(n)]
    )
    p = np.repeat(np.diag([50.0**2] * 3 + [5.0**2] * 3)[None], n, 0)
    truth = x + np.concatenate([rng.normal(0, 50.0, (n, 3)), np.zeros((n, 3))], 1)
    z = radar.function(truth) + rng.normal(size=(n, 3)) * RADAR_SIGMA
    far = radar.function(x + np.array([5e3, 0, 0, 0, 0, 0]))
    zz = np.concatenate([z, far])
    noise = np.repeat(R[None], 2 * n, 0)
    pred = ExtendedKalmanUpdater().predict_measurement(x, p, radar, np.zeros((n, 3, 3)))
    hyp = ChiSquareGater(probability=0.9999).hypothesise(pred, zz, noise, radar)
    own = hyp.track == hyp.detection
    assert own.sum() >= n - 1, f"{n - own.sum()} true detections gated out"
    assert np.all(hyp.detection < n), "a detection 5 km away passed the gate"
    # the exact test agrees with a brute-force Mahalanobis distance
    s = pred.innovation_covariance[hyp.track] + R
    nu = radar.residual(zz[hyp.detection], pred.z[hyp.track])
    d2 = np.einsum("ki,ki->k", nu, np.linalg.solve(s, nu[..., None])[..., 0])
    assert np.allclose(d2, hyp.distance2)
