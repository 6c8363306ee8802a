"""Impact point prediction: ellipse algebra, agreement with the propagator and Monte Carlo."""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.assessment import DragPrior, ErrorEllipse, ImpactMethod, ImpactPredictor, ellipse_scale
from bmdsim.assessment.impact import augmented_state
from bmdsim.earth.frames import enu_basis, geodetic_to_ecef
from bmdsim.earth.geodesic import geodesic_inverse
from bmdsim.flight.propagation import predict_impact
from bmdsim.tracking import TrackBatch


def _state(lat=36.8, lon=42.0, alt=200e3, speed=2900.0, gamma_deg=10.0, az_deg=275.0):
    g, a = np.radians(gamma_deg), np.radians(az_deg)
    v = np.array([speed * np.cos(g) * np.sin(a), speed * np.cos(g) * np.cos(a), speed * np.sin(g)])
    return np.concatenate([geodetic_to_ecef(lat, lon, alt), v @ enu_basis(lat, lon)])


def _track_covariances(n, seed=0, pos_m=300.0, vel_m_s=30.0):
    rng = np.random.default_rng(seed)
    a = rng.normal(size=(n, 6, 6))
    s = np.diag([pos_m] * 3 + [vel_m_s] * 3)
    return s @ (a @ np.swapaxes(a, -1, -2) / 6.0) @ s


def test_ellipse_scale_is_the_two_dof_chi_square_quantile():
    from scipy.stats import chi2

    for p in (0.5, 0.95, 0.99):
        assert ellipse_scale(p) ** 2 == pytest.approx(chi2.ppf(p, 2), rel=1e-12)
    with pytest.raises(ValueError):
        ellipse_scale(1.0)


def test_ellipse_axes_and_orientation():
    cov = np.array([np.diag([100.0**2, 400.0**2]), np.diag([400.0**2, 100.0**2])])
    rot = np.radians(30.0)  # major axis 30 deg east of north
    u = np.array([np.sin(rot), np.cos(rot)])
    w = np.array([np.cos(rot), -np.sin(rot)])
    cov = np.concatenate([cov, (400.0**2 * np.outer(u, u) + 100.0**2 * np.outer(w, w))[None]])
    e = ErrorEllipse.from_covariance(cov, 0.95)
    k = np.sqrt(-2.0 * np.log(0.05))
    np.testing.assert_allclose(e.semi_major_m, 400.0 * k)
    np.testing.assert_allclose(e.semi_minor_m, 100.0 * k)
    np.testing.assert_allclose(np.degrees(e.azimuth_rad), [0.0, 90.0, 30.0], atol=1e-9)


def test_certain_state_predicts_the_propagators_impact():
    x = np.stack([_state(), _state(gamma_deg=-20.0, speed=2500.0)])
    beta = 7000.0
    prior = DragPrior(ballistic_coefficient_kg_m2=beta, relative_sigma=1e-9)
    imp = ImpactPredictor(drag_prior=prior).predict_states(
        x, np.zeros((2, 6, 6)), 100.0, 90.0, np.random.default_rng(0)
    )
    ref = predict_impact(x, ballistic_coefficient_kg_m2=beta)
    d, _, _ = geodesic_inverse(imp.lat_deg, imp.lon_deg, ref.lat_deg, ref.lon_deg)
    assert d.max() < 3.0, f"{d.max():.2f} m from the propagator's impact"
    np.testing.assert_allclose(imp.impact_time_s, 100.0 + ref.t_s, atol=0.01)
    np.testing.assert_allclose(imp.time_to_impact_s, 10.0 + ref.t_s, atol=0.01)
    assert imp.ellipse_semi_major_m.max() < 1.0
    assert np.abs(imp.samples.enu_m).max() < 1.0


def test_sigma_points_agree_with_monte_carlo_propagation_of_every_sample():
    n = 6
    x = np.repeat(_state()[None], n, 0)
    x[:, 3:] *= np.linspace(0.85, 1.0, n)[:, None]
    for scale in (1.0, 3.0):  # velocity sigma ~30 and ~90 m/s
        p = _track_covariances(n) * scale**2
        sp = ImpactPredictor(samples_per_track=0).predict_states(x, p, 0.0, 0.0)
        mc = ImpactPredictor(
            method=ImpactMethod.MONTE_CARLO, samples_per_track=4000
        ).predict_states(x, p, 0.0, 0.0, np.random.default_rng(5))
        d, _, _ = geodesic_inverse(sp.lat_deg, sp.lon_deg, mc.lat_deg, mc.lon_deg)
        rel = d / mc.ellipse_semi_minor_m
        assert rel.max() < 0.05, f"means {d.round()} m apart ({rel.max():.1%} of the minor axis)"
        np.testing.assert_allclose(sp.ellipse_semi_major_m, mc.ellipse_semi_major_m, rtol=0.05)
        np.testing.assert_allclose(sp.ellipse_semi_minor_m, mc.ellipse_semi_minor_m, rtol=0.05)
        np.testing.assert_allclose(sp.impact_time_std_s, mc.impact_time_std_s, rtol=0.08)
        # the Monte Carlo impacts fall inside the sigma-point ellipses as often as they should
        lat, lon = mc.samples.lat_deg.T, mc.samples.lon_deg.T  # (S, N)
        inside = np.mean([sp.contains(la, lo, 0.95) for la, lo in zip(lat, lon, strict=True)], 0)
        assert np.all(np.abs(inside - 0.95) < 0.015), f"coverage {inside.round(3)}"


def test_samples_follow_the_prediction_and_streams_are_per_track():
    x = np.repeat(_state()[None], 3, 0)
    p = _track_covariances(3, seed=2)
    ids = np.array([4, 9, 11])
    pred = ImpactPredictor(samples_per_track=20_000)
    imp = pred.predict_states(
        x, p, 0.0, 0.0, [np.random.default_rng(i) for i in ids], track_ids=ids
    )
    enu = imp.samples.enu_m
    np.testing.assert_allclose(enu.mean(axis=1), 0.0, atol=0.03 * imp.ellipse_semi_minor_m.min())
    cov = np.einsum("nsi,nsj->nij", enu, enu) / enu.shape[1]
    np.testing.assert_allclose(cov, imp.covariance_enu_m2, rtol=0.05, atol=1e-3 * cov.max())
    one = pred.predict_states(
        x[1:2], p[1:2], 0.0, 0.0, [np.random.default_rng(9)], track_ids=ids[1:2]
    )
    np.testing.assert_array_equal(one.samples.lat_deg[0], imp.samples.lat_deg[1])


def test_drag_prior_replaces_an_unobserved_kappa_only():
    prior = DragPrior(ballistic_coefficient_kg_m2=5000.0, relative_sigma=0.5)
    x7 = np.zeros((2, 7))
    x7[:, 6] = [1.4e-4, 1e-3]
    p7 = np.zeros((2, 7, 7))
    p7[:, 6, 6] = [(1e-5) ** 2, (1e-3) ** 2]
    xa, pa = augmented_state(x7, p7, prior)
    assert xa[0, 6] == 1.4e-4 and pa[0, 6, 6] == (1e-5) ** 2
    assert xa[1, 6] == prior.kappa_m2_kg and pa[1, 6, 6] == pytest.approx(
        prior.kappa_sigma_m2_kg**2
    )
    x6, p6 = augmented_state(np.zeros((1, 6)), np.eye(6)[None], prior)
    assert x6[0, 6] == pytest.approx(2e-4) and p6[0, 6, 6] == pytest.approx(1e-8)


def test_track_below_ground_gives_an_invalid_prediction_and_predict_takes_track_batches():
    good, bad = _state(), _state(alt=-1000.0, gamma_deg=-30.0)
    tracks = TrackBatch.new(
        ids=np.array([1, 2]),
        states=np.stack([good, bad]),
        covariances=_track_covariances(2),
        times_s=np.array([50.0, 50.0]),
        mode_probabilities=np.ones((2, 1)),
    )
    imp = ImpactPredictor(samples_per_track=10).predict(tracks, 55.0, np.random.default_rng(0))
    assert list(imp.valid) == [True, False]
    assert np.isnan(imp.lat_deg[1]) and np.isfinite(imp.lat_deg[0])
    assert list(imp.track_ids) == [1, 2]
    assert len(imp.take(np.array([0]))) == 1
    with pytest.raises(ValueError, match="rng"):
        ImpactPredictor().predict(tracks, 55.0)


def test_a_prediction_is_the_same_whether_the_draws_are_remembered_or_not():
    """Named streams created afresh at every step (the assessor's): the remembered draws
    give bit-identical samples, and a batch with a new track only draws for that track."""
    from bmdsim.assessment.sigma import _DRAWS
    from bmdsim.core.random import stream

    x = np.repeat(_state()[None], 3, 0)
    x[:, 3:] *= np.array([1.0, 0.97, 0.94])[:, None]
    p = _track_covariances(3, seed=4)
    pred = ImpactPredictor(samples_per_track=500)
    ids = np.array([3, 5, 8])

    def run(rows):
        gens = [stream(0, "assessment", str(i)) for i in ids[rows]]
        return pred.predict_states(x[rows], p[rows], 0.0, 0.0, gens, track_ids=ids[rows])

    _DRAWS.clear()
    cold = run([0, 1])
    warm = run([0, 1])
    grown = run([0, 1, 2])
    for name in ("lat_deg", "lon_deg", "t_s", "enu_m"):
        np.testing.assert_array_equal(getattr(warm.samples, name), getattr(cold.samples, name))
        np.testing.assert_array_equal(getattr(grown.samples, name)[:2], getattr(cold.samples, name))
    _DRAWS.clear()
    alone = run([2])
    np.testing.assert_array_equal(grown.samples.lat_deg[2], alone.samples.lat_deg[0])
