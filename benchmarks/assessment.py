"""Impact point prediction throughput and accuracy, measured in the same run against the
alternatives it replaces.

Workload: 100 simultaneous tracks of MRBM-class objects (60-250 km up, 2-3.5 km/s, flight-path
angle -40..40 deg, westward over the Middle East), each with a tracker-like covariance
(position sigma ~300 m, velocity sigma ~30 m/s, random correlations) and the drag prior
(beta 5,000 kg/m^2 +- 50 %), 1,000 impact samples per track. Methods:

(a) bmdsim ``ImpactPredictor`` (sigma points: 15 coasts per track, quadratic surrogate, 1,000
    samples per track drawn from it, mean, 2x2 covariance, 95 % ellipse, time statistics);
(b) the same predictor's Monte Carlo method: all 100,000 sampled states coasted one by one
    with the same compiled fixed-step RK4;
(c) every sampled state through the flight layer's accurate propagator
    (``bmdsim.flight.predict_impact``: adaptive Dormand-Prince 5(4), rtol 1e-10), timed on a
    subset and extrapolated.

Accuracy: (a) against (b) on the same tracks (mean impact distance relative to the ellipse,
semi-axes, impact-time spread), and the fixed-step coast against (c) on single states.
Threat evaluation (country look-ups of every sample, asset probabilities, nearest place) and
launch point estimation are timed on the same batch. Single thread (BLAS threads set to 1).

Run: ``.venv/bin/python benchmarks/assessment.py`` (about 30 s); ``--tracks``, ``--samples``,
``--accurate-subset``, ``--repeat`` to change.
"""

from __future__ import annotations

import os

for _var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS", "NUMBA_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import argparse  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402


def make_tracks(n: int, seed: int = 0):
    """ECEF states (N, 6) and covariances (N, 6, 6) of MRBM-class tracks."""
    from bmdsim.earth.frames import enu_basis, geodetic_to_ecef

    rng = np.random.default_rng(seed)
    lat = rng.uniform(34.0, 38.0, n)
    lon = rng.uniform(40.0, 45.0, n)
    alt = rng.uniform(60e3, 250e3, n)
    az = np.radians(rng.uniform(240.0, 300.0, n))
    speed = rng.uniform(2000.0, 3500.0, n)
    gamma = np.radians(rng.uniform(-40.0, 40.0, n))
    v_enu = np.stack(
        [
            speed * np.cos(gamma) * np.sin(az),
            speed * np.cos(gamma) * np.cos(az),
            speed * np.sin(gamma),
        ],
        axis=-1,
    )
    v = np.einsum("ni,nij->nj", v_enu, enu_basis(lat, lon))
    x = np.concatenate([geodetic_to_ecef(lat, lon, alt), v], axis=1)
    a = rng.normal(size=(n, 6, 6))
    s = np.diag([300.0] * 3 + [30.0] * 3)
    p = s @ (a @ np.swapaxes(a, -1, -2) / 6.0) @ s
    return x, p


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        t = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t)
    return best, out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tracks", type=int, default=100)
    parser.add_argument("--samples", type=int, default=1000)
    parser.add_argument("--accurate-subset", type=int, default=2000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()

    from bmdsim.assessment import (
        Assessor,
        DragPrior,
        ImpactMethod,
        ImpactPredictor,
        LaunchPointEstimator,
        ThreatEvaluator,
    )
    from bmdsim.assessment.coast import BallisticCoast
    from bmdsim.assessment.impact import augmented_state
    from bmdsim.assessment.sigma import principal_sqrt
    from bmdsim.earth.geodesic import geodesic_inverse
    from bmdsim.flight import predict_impact
    from bmdsim.scenario import load_scenario

    n, s = args.tracks, args.samples
    x, p = make_tracks(n)
    rngs = lambda: [np.random.default_rng(i) for i in range(n)]  # noqa: E731
    sp = ImpactPredictor(samples_per_track=s)
    mc = ImpactPredictor(method=ImpactMethod.MONTE_CARLO, samples_per_track=s)
    sp.predict_states(x[:2], p[:2], 0.0, 0.0, rngs()[:2])  # compile / load caches
    mc.predict_states(x[:2], p[:2], 0.0, 0.0, rngs()[:2])

    t_sp, imp = best_of(lambda: sp.predict_states(x, p, 0.0, 0.0, rngs()), args.repeat)
    t_mc, ref = best_of(lambda: mc.predict_states(x, p, 0.0, 0.0, rngs()), max(1, args.repeat // 3))

    # (c): the accurate propagator on a subset of the sampled states
    xa, pa = augmented_state(x, p, DragPrior())
    u = np.random.default_rng(9).standard_normal((n, s, 7))
    states = (xa[:, None] + u @ np.swapaxes(principal_sqrt(pa), -1, -2)).reshape(-1, 7)
    k = min(args.accurate_subset, states.shape[0])
    pick = np.random.default_rng(3).choice(states.shape[0], k, replace=False)
    sub = states[pick]
    beta = 1.0 / np.maximum(sub[:, 6], 1e-6)
    t0 = time.perf_counter()
    accurate = predict_impact(sub[:, :6], ballistic_coefficient_kg_m2=beta)
    t_acc = (time.perf_counter() - t0) * states.shape[0] / k
    fast = BallisticCoast().to_altitude(sub[:, :6], 1.0 / beta)
    both = np.isfinite(accurate.t_s) & (fast.status == 1)
    d_coast = np.linalg.norm(fast.state[both, :3] - accurate.state[both, :3], axis=1)
    dt_coast = np.abs(fast.dt_s[both] - accurate.t_s[both])

    # sigma points against Monte Carlo on the same tracks
    d_mean, _, _ = geodesic_inverse(imp.lat_deg, imp.lon_deg, ref.lat_deg, ref.lon_deg)
    sigma_mean = np.sqrt(ref.mahalanobis_squared(imp.lat_deg, imp.lon_deg))
    cover = {}
    for prob in (0.5, 0.95):
        inside = [
            imp.take(np.full(s, i)).contains(ref.samples.lat_deg[i], ref.samples.lon_deg[i], prob)
            for i in range(n)
        ]
        cover[prob] = np.mean(inside, axis=1)
    rel_major = imp.ellipse_semi_major_m / ref.ellipse_semi_major_m - 1.0
    rel_minor = imp.ellipse_semi_minor_m / ref.ellipse_semi_minor_m - 1.0
    rel_tstd = imp.impact_time_std_s / ref.impact_time_std_s - 1.0

    scenario = load_scenario("dortyol-2026-03-04")
    evaluator = ThreatEvaluator.from_scenario(scenario)
    evaluator.evaluate(imp)
    t_eval, _ = best_of(lambda: evaluator.evaluate(imp), args.repeat)
    est = LaunchPointEstimator.for_missiles([t.missile_type for t in scenario.threats])
    est.estimate_states(x[:2], p[:2], 0.0, 0.0)
    t_launch, _ = best_of(lambda: est.estimate_states(x, p, 0.0, 0.0), args.repeat)
    assessor = Assessor.from_scenario(scenario)
    del assessor  # built once above for its caches; the step is the sum of the parts

    total = n * s
    print(f"{n} tracks x {s} samples = {total:,} impact samples, single thread")
    print()
    print("| method | wall s | samples/s | ratio |")
    print("|---|---:|---:|---|")
    print(
        f"| (a) sigma points + surrogate (`ImpactPredictor`) | {t_sp:.3f} | {total / t_sp:,.0f} | 1 |"
    )
    print(
        f"| (b) Monte Carlo, fixed-step RK4 per sample | {t_mc:.2f} | {total / t_mc:,.0f} | "
        f"(a) {t_mc / t_sp:.0f}x faster |"
    )
    print(
        f"| (c) `flight.predict_impact` per sample (adaptive DOPRI, {k:,} run, extrapolated) | "
        f"{t_acc:.1f} | {total / t_acc:,.0f} | (a) {t_acc / t_sp:,.0f}x faster |"
    )
    print()
    print(f"goal: <= 0.100 s for {n} tracks x {s} samples -> {t_sp:.3f} s")
    print()
    print("accuracy of (a) against (b), per track (max | median):")
    print(
        f"  mean impact difference in (b)'s standard deviations: {sigma_mean.max():.3f} | "
        f"{np.median(sigma_mean):.3f} (Monte Carlo noise ~{np.sqrt(2.0 / s):.3f}); "
        f"{d_mean.max():.0f} | {np.median(d_mean):.0f} m; median 95 % semi-axes "
        f"{np.median(ref.ellipse_semi_major_m) / 1e3:.1f} x {np.median(ref.ellipse_semi_minor_m) / 1e3:.1f} km"
    )
    print(
        "  (b)'s samples inside (a)'s 95 % ellipse: "
        f"{cover[0.95].min():.1%} .. {cover[0.95].max():.1%} (median {np.median(cover[0.95]):.1%}); "
        f"inside the 50 % ellipse: {cover[0.5].min():.1%} .. {cover[0.5].max():.1%} "
        f"(median {np.median(cover[0.5]):.1%})"
    )
    print(
        f"  95 % semi-major axis: {np.abs(rel_major).max():.1%} | {np.median(np.abs(rel_major)):.1%}; "
        f"semi-minor: {np.abs(rel_minor).max():.1%} | {np.median(np.abs(rel_minor)):.1%}; "
        f"impact-time sigma: {np.abs(rel_tstd).max():.1%} | {np.median(np.abs(rel_tstd)):.1%} "
        f"(Monte Carlo noise with {s} samples: ~{1 / np.sqrt(2 * s):.1%})"
    )
    print(
        f"fixed-step coast against (c) on {both.sum():,} states: impact point max "
        f"{d_coast.max():.2f} m, median {np.median(d_coast):.2f} m; time max {dt_coast.max() * 1e3:.1f} ms"
    )
    print()
    print(
        f"threat evaluation of the batch (countries, territories, 5 assets, nearest place): {t_eval:.3f} s"
    )
    print(f"launch point estimation of the batch (8 nominal burns x 8 azimuths): {t_launch:.3f} s")


if __name__ == "__main__":
    main()
