"""Comparison of the compiled Dormand-Prince loops with the numpy driver they follow.

The compiled loops take the step control's powers with the C library's ``pow`` where the
driver uses numpy's vectorised one (they may differ in the last bit). A last-bit change of a
step size can flip a step's acceptance, after which the two step sequences differ: the
results then agree to the integration's accuracy (``rtol`` 1e-10 per step), not bit for bit,
and dense outputs may hold different knots. Float fields are compared relative to their
field's scale (observed: up to ~1e-7 for closing-event times, ~1e-9 for states), integer and
boolean fields exactly, dense outputs by their interpolated states.
"""

from __future__ import annotations

import numpy as np

#: Largest difference allowed, relative to the field's largest magnitude.
RTOL = 1e-6


def assert_close(x, y, name: str, rtol: float = RTOL) -> float:
    """Assert ``x`` equals ``y`` (same shape, NaN where ``y`` is NaN; floats within ``rtol``
    of the field's scale); returns the relative difference."""
    x, y = np.asarray(x), np.asarray(y)
    assert x.shape == y.shape, f"{name}: shape {x.shape} != {y.shape}"
    if x.dtype.kind not in "fc":
        assert np.array_equal(x, y), f"{name} differs"
        return 0.0
    nan = np.isnan(y)
    assert np.array_equal(np.isnan(x), nan), f"{name}: NaN at different places"
    if nan.all():
        return 0.0
    scale = max(float(np.max(np.abs(y[~nan]))), 1e-300)
    err = float(np.max(np.abs(x[~nan] - y[~nan]))) / scale
    assert err <= rtol, f"{name}: relative difference {err:.2e} (allowed {rtol:.0e})"
    return err


def assert_dense_close(a, b, name: str, rtol: float = RTOL, samples: int = 64) -> float:
    """Two dense outputs (:class:`bmdsim.core.integrate.DenseOutput`) of the same objects
    whose step sequences may differ: the same objects with knots, the same first and last
    knot times, and the interpolated states at ``samples`` times per object within
    ``rtol`` of the field's scale. Returns the largest relative difference."""
    from bmdsim.core.integrate import interpolate_dense

    n = a.offsets.size - 1
    assert b.offsets.size - 1 == n, f"{name}: {n} objects != {b.offsets.size - 1}"
    count_a, count_b = np.diff(a.offsets), np.diff(b.offsets)
    assert np.array_equal(count_a > 0, count_b > 0), f"{name}: objects with knots differ"
    has = np.flatnonzero(count_a > 0)
    if has.size == 0:
        return 0.0
    first = a.t_s[a.offsets[has]]
    last = a.t_s[a.offsets[has + 1] - 1]
    err = assert_close(first, b.t_s[b.offsets[has]], f"{name}: first knot", rtol)
    err = max(err, assert_close(last, b.t_s[b.offsets[has + 1] - 1], f"{name}: last knot", rtol))
    # strictly inside: at a knot time shared by two segments either side may be taken
    s = np.linspace(0.0, 1.0, samples + 2)[1:-1]
    t = first[:, None] + (last - first)[:, None] * s[None, :]
    ya = interpolate_dense(a, has[:, None], t)
    yb = interpolate_dense(b, has[:, None], t)
    for c in range(ya.shape[-1]):
        err = max(err, assert_close(ya[..., c], yb[..., c], f"{name}: state[{c}]", rtol))
    return err
