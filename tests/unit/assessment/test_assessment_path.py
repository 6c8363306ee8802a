"""Predicted path: countries under the predicted trajectory against the flight's truth."""

from __future__ import annotations

import numpy as np

from bmdsim.assessment import SEA, DragPrior, LaunchPointEstimator, PathPredictor
from tests.unit.assessment.assessment_helpers import reference

P = np.diag([50.0, 50, 50, 5, 5, 5])[None] ** 2


def test_predicted_path_crosses_the_countries_the_flight_crosses():
    """From a state after burnout, backwards to the estimated burnout and launch and
    forwards to impact: Iran, Iraq, Syria, Türkiye as the flight layer's ground track."""
    ref = reference()
    t = ref.flight.rv.burnout.t_s + 30.0
    x = ref.flight.rv.state_at(t)[None]
    est = LaunchPointEstimator.for_missiles([ref.flight.missile])
    launches = est.estimate_states(x, P, t, t)
    path = PathPredictor().predict_states(x, P, t, launches=launches)[0]
    truth = [o for o in ref.flight.rv.overflown() if o.country]
    land = [p for p in path if p.country != SEA]
    assert [p.country for p in land] == [o.country for o in truth]
    for p, o in zip(land, truth, strict=True):
        assert abs(p.entry_s - o.entry_s) < 5.0, (p, o)
        assert abs(p.exit_s - o.exit_s) < 5.0, (p, o)
    assert path[0].min_alt_m == 0.0 and path[0].below_100km  # from the launch pad
    assert path[-1].min_alt_m < 1.0  # to the ground
    over_syria = [p for p in path if p.country == "SYR"]
    assert not over_syria[0].below_100km, "midcourse over Syria is in space"


def test_paths_without_backward_arc_start_at_the_track():
    ref = reference()
    t = ref.flight.rv.burnout.t_s + 100.0
    x = ref.flight.rv.state_at(t)[None]
    beta = ref.flight.missile.reentry_vehicle.ballistic_coefficient_kg_m2
    prior = DragPrior(ballistic_coefficient_kg_m2=beta, relative_sigma=0.01)
    path = PathPredictor(backward=False, drag_prior=prior).predict_states(x, P, t)[0]
    assert path[0].entry_s == t
    assert abs(path[-1].exit_s - ref.impact.t_s) < 0.5
