"""Batched linear algebra on ``(..., n)`` vectors and ``(..., n, n)`` matrices."""

from __future__ import annotations

import numpy as np


def symmetrise(p: np.ndarray) -> np.ndarray:
    """Return ``(P + P^T) / 2`` over the last two axes of a batch of matrices."""
    return 0.5 * (p + np.swapaxes(p, -1, -2))


def safe_cholesky(p: np.ndarray, *, jitter: float = 1e-12, max_tries: int = 8) -> np.ndarray:
    """Lower Cholesky factor of a batch of symmetric PSD matrices ``(..., n, n)``.

    Matrices that fail (semi-definite, rounding) get a diagonal jitter scaled to
    their own trace, multiplied by 10 at each try; the matrices that succeed
    are untouched. Raises ``numpy.linalg.LinAlgError`` if a matrix is still not
    positive definite after ``max_tries``.
    """
    p = symmetrise(np.asarray(p, dtype=float))
    n = p.shape[-1]
    try:
        return np.linalg.cholesky(p)
    except np.linalg.LinAlgError:
        pass
    flat = p.reshape(-1, n, n).copy()
    out = np.zeros_like(flat)
    eye = np.eye(n)
    scale = np.maximum(np.trace(flat, axis1=1, axis2=2) / n, np.finfo(float).tiny)
    for i in range(flat.shape[0]):  # only reached for ill-conditioned batches
        eps = jitter
        for _ in range(max_tries + 1):
            try:
                out[i] = np.linalg.cholesky(flat[i] + eps * scale[i] * eye)
                break
            except np.linalg.LinAlgError:
                eps *= 10.0
        else:
            raise np.linalg.LinAlgError(f"matrix {i} of the batch is not positive definite")
    return out.reshape(p.shape)


def mahalanobis_squared(d: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Squared Mahalanobis distance ``d^T S^-1 d`` for batches ``d (..., n)``, ``S (..., n, n)``.

    Solved through the Cholesky factor (no explicit inverse).
    """
    d = np.asarray(d, dtype=float)
    lower = safe_cholesky(s)
    y = np.linalg.solve(lower, d[..., None])[..., 0]
    return np.einsum("...i,...i->...", y, y)
