"""Filter covariance consistency (NEES) over Monte Carlo runs of a ballistic flight.

Reference: Bar-Shalom, Li & Kirubarajan, *Estimation with Applications to Tracking and
Navigation* (2001), sec. 5.4: for a consistent filter the normalised estimation error
squared ``e^T P^-1 e`` averaged over ``M`` runs is ``chi2(M n) / M`` distributed; its
two-sided 95 % band for ``n = 6``, ``M = 100`` is ``[chi2.ppf(0.025, 600), chi2.ppf(0.975,
600)] / 100``. Truth is the flight layer's Dormand-Prince propagation (J2, Earth rotation),
independent of the tracker's RK4 motion model.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy.stats import chi2

from bmdsim.earth.frames import enu_basis, geodetic_to_ecef
from bmdsim.flight.propagation import propagate
from bmdsim.sensors.models import EcefToRangeAzEl
from bmdsim.tracking import (
    BallisticMotion,
    ExtendedKalmanPredictor,
    ExtendedKalmanUpdater,
    TrackBatch,
    UnscentedKalmanPredictor,
    UnscentedKalmanUpdater,
)

RUNS = 100
STEPS = 200
SIGMA = np.array([10.0, 1e-3, 1e-3])


@pytest.mark.parametrize(
    ("predictor_cls", "updater_cls"),
    [
        (ExtendedKalmanPredictor, ExtendedKalmanUpdater),
        (UnscentedKalmanPredictor, UnscentedKalmanUpdater),
    ],
)
def test_average_nees_inside_95_percent_band_on_90_percent_of_updates(predictor_cls, updater_cls):
    lat, lon = 36.0, 46.0
    x0 = np.concatenate(
        [
            geodetic_to_ecef(lat, lon, 120e3),
            np.array([-1500.0, 1500.0, 1800.0]) @ enu_basis(lat, lon),
        ]
    )
    t = np.arange(STEPS + 1, dtype=float)
    truth = propagate(x0[None], t, drag=False)[:, 0]  # (T+1, 6)
    assert np.all(np.isfinite(truth)), "the flight stays above ground for the whole test"
    radar = EcefToRangeAzEl(
        sensor_position_ecef=geodetic_to_ecef(37.0, 44.5, 0.0),
        sensor_basis=enu_basis(37.0, 44.5),
        noise_covariance=np.diag(SIGMA**2),
    )
    rng = np.random.default_rng(20260304)
    p0 = np.diag([1000.0**2] * 3 + [100.0**2] * 3)
    tracks = TrackBatch.new(
        ids=np.arange(RUNS),
        states=truth[0] + rng.multivariate_normal(np.zeros(6), p0, RUNS),
        covariances=np.repeat(p0[None], RUNS, 0),
        times_s=np.zeros(RUNS),
        mode_probabilities=np.ones((RUNS, 1)),
    )
    predictor = predictor_cls(motion=BallisticMotion(q=1e-6))
    updater = updater_cls()
    noise = np.repeat(np.diag(SIGMA**2)[None], RUNS, 0)
    lo, hi = chi2.ppf([0.025, 0.975], 6 * RUNS) / RUNS
    anees = np.empty(STEPS)
    for k in range(1, STEPS + 1):
        tracks = predictor.predict(tracks, t[k])
        z = radar.function(truth[k]) + rng.normal(size=(RUNS, 3)) * SIGMA
        tracks, _ = updater.update(tracks, z, noise, radar)
        e = tracks.states - truth[k]
        nees = np.einsum("ki,ki->k", e, np.linalg.solve(tracks.covariances, e[..., None])[..., 0])
        anees[k - 1] = nees.mean()
    inside = np.mean((anees >= lo) & (anees <= hi))
    assert inside >= 0.90, (
        f"average NEES inside [{lo:.2f}, {hi:.2f}] on {inside:.1%} of updates "
        f"(mean {anees.mean():.2f}, min {anees.min():.2f}, max {anees.max():.2f})"
    )
