"""Discrimination: RV / spent stage / unknown from the track's log-RCS and, low in the
atmosphere, its drag estimate."""

from __future__ import annotations

import numpy as np

from bmdsim.assessment.discrimination import Discriminator, ObjectClass
from bmdsim.earth.frames import geodetic_to_ecef
from bmdsim.tracking import TrackBatch


def _tracks(log_rcs, looks, alt_m=150e3, kappa=None, kappa_sigma=1.0):
    n = len(log_rcs)
    pos = geodetic_to_ecef(np.full(n, 36.0), np.full(n, 36.0), np.asarray(alt_m, float))
    vel = -2000.0 * pos / np.linalg.norm(pos, axis=1)[:, None]
    ndim = 6 if kappa is None else 7
    states = np.zeros((n, ndim))
    states[:, :3], states[:, 3:6] = pos, vel
    cov = np.repeat(np.eye(ndim)[None], n, 0)
    if kappa is not None:
        states[:, 6] = kappa
        cov[:, 6, 6] = np.asarray(kappa_sigma, float) ** 2
    return TrackBatch.new(
        ids=np.arange(n),
        states=states,
        covariances=cov,
        times_s=0.0,
        mode_probabilities=np.ones((n, 1)),
    ).with_(rcs_log10_mean=np.asarray(log_rcs, float), rcs_looks=np.asarray(looks, np.int64))


def test_rcs_above_the_threshold_is_a_spent_stage_below_it_an_rv():
    d = Discriminator()
    thr = np.log10(d.rcs_threshold_m2)
    tr = _tracks([np.log10(1.1), np.log10(0.05), thr + 1e-6, thr - 1e-6], [20, 20, 8, 8])
    np.testing.assert_array_equal(
        d.classify(tr),
        [ObjectClass.SPENT_STAGE, ObjectClass.RV, ObjectClass.SPENT_STAGE, ObjectClass.RV],
    )


def test_too_few_looks_or_no_rcs_is_unknown():
    d = Discriminator()
    tr = _tracks([1.0, np.nan, -2.0], [d.min_looks - 1, 0, d.min_looks - 1])
    assert np.all(d.classify(tr) == ObjectClass.UNKNOWN)
    assert d.classify(_tracks([], [])).shape == (0,)


def test_reliable_drag_low_in_the_atmosphere_overrides_the_rcs():
    d = Discriminator()
    k = d.kappa_threshold_m2_kg
    good = k / 10.0  # sigma well below a third of the threshold
    tr = _tracks(
        log_rcs=[-1.5, 0.5, -1.5, 0.5, -1.5],
        looks=[20] * 5,
        alt_m=[40e3, 40e3, 150e3, 40e3, 40e3],
        kappa=[5e-3, 1e-4, 5e-3, 5e-3, 5e-3],
        kappa_sigma=[good, good, good, k, good],
    )
    np.testing.assert_array_equal(
        d.classify(tr),
        [
            ObjectClass.SPENT_STAGE,  # RV-sized echo but tank-like drag: drag wins
            ObjectClass.RV,  # tank-sized echo but RV-like drag
            ObjectClass.RV,  # too high for drag: the RCS decides
            ObjectClass.SPENT_STAGE,  # drag too uncertain: the RCS decides
            ObjectClass.SPENT_STAGE,
        ],
    )


def test_labels():
    assert [c.label for c in ObjectClass] == ["unknown", "rv", "spent stage"]


def test_compiled_rule_equals_the_numpy_rule():
    """The compiled classification against the numpy path over random tracks (RCS around
    the threshold, few and many looks, NaNs, altitudes around the drag altitude, kappa and
    its variance around the thresholds, negative and NaN variances), with and without a
    drag state."""
    from dataclasses import replace

    rng = np.random.default_rng(4)
    n = 2_000
    d = Discriminator()
    log_rcs = np.log10(d.rcs_threshold_m2) + rng.normal(0.0, 0.5, n)
    log_rcs[rng.random(n) < 0.1] = np.nan
    looks = rng.integers(0, 2 * d.min_looks, n)
    alt = d.drag_altitude_m * rng.uniform(0.5, 1.5, n)
    kappa = d.kappa_threshold_m2_kg * rng.uniform(0.0, 2.0, n)
    kappa[rng.random(n) < 0.05] = np.nan
    sigma = d.kappa_relative_sigma * d.kappa_threshold_m2_kg * rng.uniform(0.5, 1.5, n)
    for drag in (True, False):
        tr = _tracks(log_rcs, looks, alt, kappa if drag else None, sigma)
        if drag:
            var = tr.covariances.copy()
            var[:10, 6, 6] = -1e-12
            var[10:20, 6, 6] = np.nan
            tr = tr.with_(covariances=var)
        got = d.classify(tr)
        want = replace(d, compiled=False).classify(tr)
        assert np.array_equal(got, want), int(np.sum(got != want))
        assert set(np.unique(got)) == {0, 1, 2}
