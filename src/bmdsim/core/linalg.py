"""Batched linear algebra on ``(..., n)`` vectors and ``(..., n, n)`` matrices."""

from __future__ import annotations

import numpy as np


def symmetrise(p: np.ndarray) -> np.ndarray:
    """Return ``(P + P^T) / 2`` over the last two axes of a batch of matrices."""
    return 0.5 * (p + np.swapaxes(p, -1, -2))


def safe_cholesky(p: np.ndarray, *, jitter: float = 1e-12, max_tries: int = 8) -> np.ndarray:
    """Lower Cholesky factor of a batch of symmetric PSD matrices ``(..., n, n)``.

    Matrices that fail (semi-definite, rounding) get a diagonal jitter scaled to
    their own trace (``jitter * trace / n``), multiplied by 10 at each retry;
    the matrices that factor as they are are untouched (failures are isolated
    by bisecting the batch, so one bad matrix costs O(log N) batched
    factorisations, not a Python loop over the batch). Raises
    ``numpy.linalg.LinAlgError`` if a matrix is still not positive definite
    after ``max_tries`` retries.
    """
    p = symmetrise(np.asarray(p, dtype=float))
    n = p.shape[-1]
    try:
        return np.linalg.cholesky(p)
    except np.linalg.LinAlgError:
        pass
    flat = p.reshape(-1, n, n)
    out = np.zeros_like(flat)
    failed: list[int] = []
    _factor_isolating_failures(flat, np.arange(flat.shape[0]), out, failed)
    eye = np.eye(n)
    for i in failed:  # only the matrices that really failed get jitter
        scale = max(np.trace(flat[i]) / n, np.finfo(float).tiny)
        eps = jitter
        for _ in range(max_tries + 1):
            try:
                out[i] = np.linalg.cholesky(flat[i] + eps * scale * eye)
                break
            except np.linalg.LinAlgError:
                eps *= 10.0
        else:
            raise np.linalg.LinAlgError(f"matrix {i} of the batch is not positive definite")
    return out.reshape(p.shape)


def _factor_isolating_failures(
    flat: np.ndarray, idx: np.ndarray, out: np.ndarray, failed: list[int]
) -> None:
    """Batched Cholesky of ``flat[idx]`` into ``out``; bisects to find the members that fail."""
    try:
        out[idx] = np.linalg.cholesky(flat[idx])
    except np.linalg.LinAlgError:
        if idx.size == 1:
            failed.append(int(idx[0]))
            return
        half = idx.size // 2
        _factor_isolating_failures(flat, idx[:half], out, failed)
        _factor_isolating_failures(flat, idx[half:], out, failed)


def mahalanobis_squared(d: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Squared Mahalanobis distance ``d^T S^-1 d`` for batches ``d (..., n)``, ``S (..., n, n)``.

    Solved through the Cholesky factor (no explicit inverse).
    """
    d = np.asarray(d, dtype=float)
    lower = safe_cholesky(s)
    y = np.linalg.solve(lower, d[..., None])[..., 0]
    return np.einsum("...i,...i->...", y, y)
