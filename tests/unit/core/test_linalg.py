"""Batched linear algebra: symmetrise, safe Cholesky, Mahalanobis distance."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.distance import mahalanobis

from bmdsim.core.linalg import mahalanobis_squared, safe_cholesky, symmetrise


def _random_spd(rng: np.random.Generator, batch: tuple[int, ...], n: int) -> np.ndarray:
    a = rng.normal(size=(*batch, n, n))
    return a @ np.swapaxes(a, -1, -2) + n * np.eye(n)


def test_symmetrise_returns_symmetric_part():
    p = np.arange(18.0).reshape(2, 3, 3)
    s = symmetrise(p)
    np.testing.assert_array_equal(s, np.swapaxes(s, -1, -2))
    np.testing.assert_allclose(s + (p - np.swapaxes(p, -1, -2)) / 2, p)


@pytest.mark.parametrize("batch", [(), (7,), (3, 4)])
def test_safe_cholesky_of_spd_batch_reconstructs_the_matrix(batch):
    p = _random_spd(np.random.default_rng(1), batch, 6)
    lower = safe_cholesky(p)
    assert lower.shape == p.shape
    np.testing.assert_allclose(lower @ np.swapaxes(lower, -1, -2), p, rtol=1e-12, atol=1e-12)
    np.testing.assert_array_equal(np.triu(lower, 1), 0.0)


def test_safe_cholesky_handles_singular_psd_matrices_with_small_jitter():
    rng = np.random.default_rng(2)
    good = _random_spd(rng, (3,), 6)
    v = rng.normal(size=(2, 6, 3))
    singular = v @ np.swapaxes(v, -1, -2)  # rank 3 of 6: PSD, not PD
    batch = np.concatenate([good, singular])
    lower = safe_cholesky(batch)
    assert np.all(np.isfinite(lower))
    rebuilt = lower @ np.swapaxes(lower, -1, -2)
    # well-conditioned members are untouched; singular ones change by a tiny jitter only
    np.testing.assert_allclose(rebuilt[:3], good, rtol=1e-12, atol=1e-12)
    scale = np.trace(singular, axis1=1, axis2=2)[:, None, None] / 6
    err = np.abs(rebuilt[3:] - singular) / scale
    assert err.max() < 1e-9, f"relative change {err.max():.1e}"


def test_safe_cholesky_handles_rounding_negative_eigenvalue():
    """A PSD matrix built with a slightly negative eigenvalue from rounding still factors."""
    q, _ = np.linalg.qr(np.random.default_rng(4).normal(size=(4, 4)))
    p = q @ np.diag([1e6, 1.0, 1e-3, -1e-12]) @ q.T
    lower = safe_cholesky(p)
    np.testing.assert_allclose(lower @ lower.T, p, atol=1e-3)


def test_safe_cholesky_rejects_indefinite_matrix():
    with pytest.raises(np.linalg.LinAlgError):
        safe_cholesky(np.diag([1.0, -1.0]))


def test_mahalanobis_squared_matches_scipy():
    rng = np.random.default_rng(5)
    s = _random_spd(rng, (50,), 4)
    d = rng.normal(size=(50, 4)) * 3.0
    ours = mahalanobis_squared(d, s)
    ref = np.array([mahalanobis(d[i], np.zeros(4), np.linalg.inv(s[i])) ** 2 for i in range(50)])
    np.testing.assert_allclose(ours, ref, rtol=1e-11)


def test_mahalanobis_squared_broadcasts_one_covariance_over_many_residuals():
    rng = np.random.default_rng(6)
    s = _random_spd(rng, (), 3)
    d = rng.normal(size=(5, 8, 3))
    ours = mahalanobis_squared(d, np.broadcast_to(s, (5, 8, 3, 3)))
    ref = np.einsum("...i,ij,...j->...", d, np.linalg.inv(s), d)
    np.testing.assert_allclose(ours, ref, rtol=1e-12)
    assert mahalanobis_squared(d[0, 0], s).shape == ()
