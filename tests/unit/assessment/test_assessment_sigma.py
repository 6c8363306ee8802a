"""Sigma points and the quadratic surrogate: exact moments, sampling, random streams."""

from __future__ import annotations

import numpy as np

from bmdsim.assessment.sigma import (
    _DRAWS,
    SIGMA_SCALE,
    QuadraticSurrogate,
    principal_sqrt,
    sigma_points,
    standard_normals,
)


def _random_cov(rng, n, d):
    a = rng.normal(size=(n, d, d))
    return a @ np.swapaxes(a, -1, -2) + 0.1 * np.eye(d)


def test_principal_sqrt_factors_the_covariance():
    rng = np.random.default_rng(0)
    p = _random_cov(rng, 20, 7)
    lo = principal_sqrt(p)
    np.testing.assert_allclose(lo @ np.swapaxes(lo, -1, -2), p, rtol=1e-10, atol=1e-12)


def test_surrogate_of_an_axis_quadratic_map_has_exact_moments():
    """For f(x) = c + A (x - m) + sum_i B_i (v_i . (x - m))^2 along the principal axes v_i,
    E f = c + sum_i B_i w_i and Cov f = A P A^T + 2 sum_i w_i^2 B_i B_i^T."""
    rng = np.random.default_rng(1)
    n, d, k = 5, 4, 3
    m = rng.normal(size=(n, d))
    p = _random_cov(rng, n, d)
    w, v = np.linalg.eigh(p)
    c = rng.normal(size=(n, k))
    a = rng.normal(size=(n, k, d))
    b = rng.normal(size=(n, k, d))

    def f(x):  # x (n, q, d)
        dx = x - m[:, None]
        proj = np.einsum("nqd,nde->nqe", dx, v)  # coordinates on the principal axes
        return c[:, None] + np.einsum("nkd,nqd->nqk", a, dx) + np.einsum("nke,nqe->nqk", b, proj**2)

    sur = QuadraticSurrogate.from_sigma_values(f(sigma_points(m, p)))
    mean = c + np.einsum("nke,ne->nk", b, w)
    cov = a @ p @ np.swapaxes(a, -1, -2) + 2.0 * np.einsum("nke,nle,ne->nkl", b, b, w**2)
    np.testing.assert_allclose(sur.mean(), mean, rtol=1e-10, atol=1e-10)
    np.testing.assert_allclose(sur.covariance(), cov, rtol=1e-10, atol=1e-10)
    draws = sur.sample(np.random.default_rng(2).standard_normal((n, 200_000, d)))
    np.testing.assert_allclose(
        draws.mean(axis=1), mean, atol=0.05 * np.sqrt(np.diagonal(cov, 0, 1, 2)).max()
    )


def test_sigma_points_lie_at_sqrt3_sigma_on_the_principal_axes():
    rng = np.random.default_rng(3)
    m = rng.normal(size=(4, 7))
    p = _random_cov(rng, 4, 7)
    pts = sigma_points(m, p)
    assert pts.shape == (4, 15, 7)
    d = pts[:, 1:] - m[:, None]
    maha = np.einsum("nqi,nqi->nq", d, np.linalg.solve(p[:, None], d[..., None])[..., 0])
    np.testing.assert_allclose(maha, SIGMA_SCALE**2, rtol=1e-9)
    np.testing.assert_allclose(pts[:, 1:8] + pts[:, 8:], 2.0 * m[:, None].repeat(7, 1), atol=1e-12)


def test_per_track_streams_do_not_depend_on_the_rest_of_the_batch():
    gens = lambda ids: [np.random.default_rng(i) for i in ids]  # noqa: E731
    alone = standard_normals(gens([5]), 1, 10, 3)
    batch = standard_normals(gens([1, 5, 9]), 3, 10, 3)
    np.testing.assert_array_equal(alone[0], batch[1])


def test_remembered_draws_are_the_generators_draws_and_move_the_generators_on():
    """A stream met again (same bit-generator state) gives the same draws from memory, and
    is left where drawing would have left it."""
    from bmdsim.core.random import stream

    _DRAWS.clear()
    gens = lambda: [stream(3, "assessment", str(i)) for i in (7, 8)]  # noqa: E731
    plain = [g.standard_normal((50, 4)) for g in gens()]
    for _ in range(2):  # drawn, then remembered
        g = gens()
        u = standard_normals(g, 2, 50, 4)
        np.testing.assert_array_equal(u, np.stack(plain))
        after = [stream(3, "assessment", str(i)) for i in (7, 8)]
        for a in after:
            a.standard_normal((50, 4))
        for x, y in zip(g, after, strict=True):
            assert x.bit_generator.state == y.bit_generator.state
            assert x.standard_normal() == y.standard_normal()
    # a moved generator is another state: new draws
    g = gens()
    g[0].standard_normal()
    assert not np.array_equal(standard_normals(g, 2, 50, 4)[0], plain[0])


def test_the_same_generator_put_back_gets_the_same_draws_and_moves_on():
    """The last answer per generator (a track's stream put back in its initial state at
    every step): the same draws, the generator left where drawing leaves it; a generator
    moved elsewhere, or asked for another shape, draws anew; a bit generator whose state
    holds arrays (MT19937) works too."""
    _DRAWS.clear()
    for make in (
        lambda: np.random.default_rng(3),
        lambda: np.random.Generator(np.random.MT19937(3)),
    ):
        g = make()
        start = g.bit_generator.state
        first = standard_normals([g], 1, 30, 2)
        after = g.bit_generator.state
        for _ in range(2):
            g.bit_generator.state = start
            again = standard_normals([g], 1, 30, 2)
            np.testing.assert_array_equal(again, first)
            fresh = make()
            fresh.standard_normal((30, 2))
            assert g.standard_normal() == fresh.standard_normal()
        g.bit_generator.state = after  # elsewhere: new draws, those of the generator
        want = make()
        want.bit_generator.state = after
        np.testing.assert_array_equal(
            standard_normals([g], 1, 30, 2)[0], want.standard_normal((30, 2))
        )
        g.bit_generator.state = start  # another shape
        np.testing.assert_array_equal(
            standard_normals([g], 1, 10, 3)[0], make().standard_normal((10, 3))
        )


def test_sampling_from_streams_is_sampling_the_streams_draws():
    """Row by row from the remembered regressors: bit for bit the batch product at
    standard_normals' draws, and the generators are moved on as drawing moves them."""
    _DRAWS.clear()
    rng = np.random.default_rng(1)
    sur = QuadraticSurrogate(
        f0=rng.normal(size=(3, 2)), a=rng.normal(size=(3, 2, 5)), b=rng.normal(size=(3, 2, 5))
    )
    gens = lambda: [np.random.default_rng(i) for i in (4, 5, 6)]  # noqa: E731
    expected = sur.sample(np.stack([g.standard_normal((40, 5)) for g in gens()]))
    for _ in range(2):  # drawn, then remembered
        g = gens()
        np.testing.assert_array_equal(sur.sample_streams(g, 40), expected)
        moved = gens()
        for x in moved:
            x.standard_normal((40, 5))
        assert [x.bit_generator.state for x in g] == [x.bit_generator.state for x in moved]
    # one generator for the whole batch: drawn every time
    one = sur.sample_streams(np.random.default_rng(2), 40)
    np.testing.assert_array_equal(
        one, sur.sample(np.random.default_rng(2).standard_normal((3, 40, 5)))
    )
