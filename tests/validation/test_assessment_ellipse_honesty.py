"""Impact ellipses at track confirmation are honest over 500 Monte Carlo runs.

The reference threat (dortyol-2026-03-04) is flown by the flight layer and tracked from
burnout by the scenario's AN/TPY-2 and a ballistic EKF tracker until its first confirmed
track (``assessment_helpers.confirm_tracks``: 500 independent radar noise seeds, one tracker
each); every confirmed track is then assessed in one batched call. For a calibrated
Gaussian prediction the truth impact (the flight layer's, not the assessment's coast) falls
inside the ellipse of probability ``p`` with probability ``p``; over 500 runs the binomial
standard error is 1.0 % at 95 % and 2.2 % at 50 %, so the bands 95 +- 3 % and 50 +- 5 % are
about 3 and 2.2 standard errors wide. The truth and the predictions come from independent
integrations (the flight layer's adaptive Dormand-Prince with the RV's own drag curve and
ballistic coefficient; the assessment's fixed-step RK4 with the tracker's state and a drag
prior of 5,000 kg/m^2 +- 50 %).

Cost: 5-12 s for the 500 tracker runs (machine load) and under 1 s for the assessment.
"""

from __future__ import annotations

import time

import numpy as np
import pytest

from bmdsim.assessment import ImpactPredictor
from tests.unit.assessment.assessment_helpers import confirm_tracks, reference

RUNS = 500


@pytest.mark.slow
def test_truth_impact_inside_95_and_50_percent_ellipses_at_confirmation_over_500_runs():
    ref = reference()
    start = time.perf_counter()
    confirmed = confirm_tracks(ref, range(RUNS))
    chain_s = time.perf_counter() - start
    tracks = confirmed.tracks
    assert len(tracks) == RUNS, f"only {len(tracks)} of {RUNS} runs confirmed a track"
    start = time.perf_counter()
    impacts = ImpactPredictor().predict(
        tracks, float(np.max(tracks.times_s)), np.random.default_rng(1)
    )
    ipp_s = time.perf_counter() - start
    lat = np.full(RUNS, ref.impact.lat_deg)
    lon = np.full(RUNS, ref.impact.lon_deg)
    assert impacts.valid.all()
    in95 = impacts.contains(lat, lon, 0.95).mean()
    in50 = impacts.contains(lat, lon, 0.50).mean()
    d2 = impacts.mahalanobis_squared(lat, lon)
    dt = impacts.impact_time_s - ref.impact.t_s
    print(
        f"\n{RUNS} runs: chain {chain_s:.1f} s, assessment {ipp_s:.2f} s; inside 95 % ellipse "
        f"{in95:.1%}, inside 50 % ellipse {in50:.1%}; mean squared Mahalanobis distance "
        f"{d2.mean():.2f} (2 expected); median 95 % semi-axes "
        f"{np.median(impacts.ellipse_semi_major_m) / 1e3:.1f} x "
        f"{np.median(impacts.ellipse_semi_minor_m) / 1e3:.1f} km; impact time error "
        f"{dt.mean():+.1f} +- {dt.std():.1f} s (predicted sigma "
        f"{np.median(impacts.impact_time_std_s):.1f} s); confirmation T+"
        f"{np.median(tracks.times_s - ref.flight.launch_time_s):.0f} s (median)"
    )
    assert abs(in95 - 0.95) <= 0.03, f"truth inside the 95 % ellipse in {in95:.1%} of runs"
    assert abs(in50 - 0.50) <= 0.05, f"truth inside the 50 % ellipse in {in50:.1%} of runs"
