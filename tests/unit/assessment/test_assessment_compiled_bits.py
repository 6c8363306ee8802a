"""The compiled paths of the assessment give the numpy paths' results: bit for bit where they
do the same operations, to rounding where they use numba's own arithmetic (the impact
prediction)."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bmdsim.assessment import ImpactPredictor
from bmdsim.assessment.impact import _ground_point, _tangent
from bmdsim.core.random import stream
from bmdsim.earth.frames import ecef_to_geodetic, enu_basis, geodetic_to_ecef


def _bits(a) -> bytes:
    return np.ascontiguousarray(a).tobytes()


def _points(n: int, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    lat = np.concatenate([rng.uniform(-90.0, 90.0, n), [90.0, -90.0, 0.0, 36.84]])
    lon = np.concatenate([rng.uniform(-180.0, 180.0, n), [0.0, 45.0, 180.0, 36.2]])
    alt = np.concatenate([rng.uniform(-5e3, 2e6, n), [0.0, 1.0, -1.0, 3.0]])
    alt[: n // 4] = rng.normal(0.0, 50.0, n // 4)  # near the ground, as impact samples
    return geodetic_to_ecef(lat, lon, alt)


def test_compiled_ground_points_are_ecef_to_geodetic_bit_for_bit():
    xyz = _points(20_000)
    lat, lon, _ = ecef_to_geodetic(xyz)
    la, lo = _ground_point(xyz)
    assert _bits(la) == _bits(lat) and _bits(lo) == _bits(lon)
    # strided and batched inputs, small batches
    states = np.concatenate([xyz, np.ones_like(xyz)], axis=1).reshape(-1, 4, 6)
    for x in (states[..., :3], states[:1, 0, :3], states[0, 0, :3]):
        lat, lon, _ = ecef_to_geodetic(x)
        la, lo = _ground_point(x)
        assert la.shape == lat.shape and _bits(la) == _bits(lat) and _bits(lo) == _bits(lon)


def test_compiled_tangent_planes_are_geodetic_to_ecef_and_enu_basis_bit_for_bit():
    lat, lon, _ = ecef_to_geodetic(_points(5_000, seed=1))
    site, basis = _tangent(lat, lon)
    assert _bits(site) == _bits(geodetic_to_ecef(lat, lon, 0.0))
    assert _bits(basis) == _bits(enu_basis(lat, lon)[:, :2])
    assert all(
        _bits(a) == _bits(b) for a, b in zip(_tangent(lat, lon, False), (site, basis), strict=True)
    )


def _impact_tracks(n: int = 6):
    rng = np.random.default_rng(3)
    lat, lon = rng.uniform(30.0, 40.0, n), rng.uniform(35.0, 50.0, n)
    site = geodetic_to_ecef(lat, lon, rng.uniform(80e3, 300e3, n))
    g, az = np.radians(rng.uniform(-30.0, 15.0, n)), np.radians(rng.uniform(0.0, 360.0, n))
    v_enu = 2800.0 * np.stack([np.cos(g) * np.sin(az), np.cos(g) * np.cos(az), np.sin(g)], 1)
    v = np.einsum("ni,nij->nj", v_enu, enu_basis(lat, lon))
    a = rng.normal(size=(n, 6, 6))
    s = np.diag([300.0] * 3 + [30.0] * 3)
    cov = s @ (a @ np.swapaxes(a, -1, -2) / 6.0) @ s
    x = np.concatenate([site, v], axis=1)
    x[0, 2] = -1e5  # below the ground: an invalid row
    return x, cov


#: Largest differences allowed between the compiled impact prediction and the numpy one
#: (numba's own arithmetic, other summation orders): relative, and absolute floors for
#: values near zero (east/north offsets [m], azimuths [rad], degrees).
_IMPACT_RTOL = 1e-12
_IMPACT_ATOL = {"enu_m": 1e-8, "ellipse_azimuth_rad": 1e-13, "lat_deg": 1e-12, "lon_deg": 1e-12}


@pytest.mark.parametrize("streams", [True, False], ids=["stream-per-track", "one-generator"])
def test_compiled_impact_prediction_equals_the_numpy_one_to_rounding(streams):
    """The fused compiled sigma-point prediction (coasts, fits, moments, ellipses in one
    kernel; samples and their ground points in a second) against the numpy path: the same
    valid rows, NaN where the numpy path has NaN, every number within ~1e-12 relative."""
    x, cov = _impact_tracks()
    n = x.shape[0]

    def rng():
        return [stream(7, "t", str(i)) for i in range(n)] if streams else stream(7, "t")

    out = [
        ImpactPredictor(compiled=c).predict_states(x, cov, 100.0, 90.0, rng())
        for c in (True, False)
    ]
    assert not out[0].valid[0] and out[0].valid[1:].all()
    assert np.array_equal(out[0].valid, out[1].valid)
    pairs = []
    for f in dataclasses.fields(out[0]):
        a, b = getattr(out[0], f.name), getattr(out[1], f.name)
        if f.name == "samples":
            pairs += [
                (g.name, getattr(a, g.name), getattr(b, g.name)) for g in dataclasses.fields(a)
            ]
        else:
            pairs.append((f.name, a, b))
    for name, a, b in pairs:
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        assert a.shape == b.shape and np.array_equal(np.isnan(a), np.isnan(b)), name
        ok = np.isfinite(b)
        err = np.abs(a[ok] - b[ok])
        bound = _IMPACT_RTOL * np.abs(b[ok]) + _IMPACT_ATOL.get(name, 0.0)
        worst = float(np.max(err / np.maximum(np.abs(b[ok]), 1e-300))) if err.size else 0.0
        print(f"{name}: max abs {err.max() if err.size else 0.0:.3g}, max rel {worst:.3g}")
        assert np.all(err <= bound), f"{name}: max abs error {err.max():.3g}, rel {worst:.3g}"


def test_compiled_launch_estimates_equal_the_numpy_ones_to_rounding():
    from dataclasses import replace

    from bmdsim.assessment import BoostObservations, LaunchPointEstimator
    from bmdsim.catalog.missiles import missile
    from tests.unit.assessment.assessment_helpers import reference

    fast = LaunchPointEstimator.for_missiles([missile("shahab-3"), missile("emad")])
    slow = replace(fast, compiled=False)
    ref = reference()
    t_ir = ref.flight.launch_time_s + 55.0
    obs = BoostObservations(
        track_ids=np.array([7]),
        time_s=np.array([t_ir]),
        position_ecef=ref.flight.rv.state_at(t_ir)[None, :3],
        covariance=np.eye(3)[None] * 500.0**2,
    )
    times = ref.flight.rv.burnout.t_s + np.array([30.0, 200.0])
    x = np.stack([ref.flight.rv.state_at(t) for t in times])
    p = np.diag([50.0, 50, 50, 5, 5, 5])[None].repeat(2, 0) ** 2
    ids = np.array([7, 8])
    a, b = (e.estimate_states(x, p, times, times[1], track_ids=ids, boost=obs)
            for e in (fast, slow))  # fmt: skip
    assert list(a.method) == [2, 1]  # infrared and boost-profile estimates
    # an observation without a track id, matched by consistency
    free = replace(obs, track_ids=np.array([-1]))
    c, d = (e.estimate_states(x, p, times, times[1], track_ids=ids, boost=free)
            for e in (fast, slow))  # fmt: skip
    assert sorted(c.method) == [1, 2]  # matched to one of the tracks
    # the mixture's sums in a compiled kernel (numpy's matmul sums in another order)
    worst = 0.0
    for one, other in ((a, b), (c, d)):
        for f in dataclasses.fields(one):
            u, v = getattr(one, f.name), getattr(other, f.name)
            if f.name == "country":
                assert list(u) == list(v)
            elif u is not None and np.asarray(u).dtype.kind == "f":
                u, v = np.asarray(u), np.asarray(v)
                assert np.array_equal(np.isnan(u), np.isnan(v)), f.name
                scale = np.max(np.abs(v[np.isfinite(v)]), initial=1.0)
                err = float(np.nanmax(np.abs(u - v), initial=0.0)) / scale
                worst = max(worst, err)
                assert err <= 1e-12, f"{f.name}: relative error {err:.1e}"
            elif u is not None:
                assert _bits(np.asarray(u)) == _bits(np.asarray(v)), f.name
    print(f"largest relative error of the compiled launch estimates: {worst:.1e}")


def test_compiled_surrogate_and_local_offsets_are_the_numpy_ones_bit_for_bit():
    from bmdsim.assessment.impact import _surrogate
    from bmdsim.assessment.launch import _enu_of

    rng = np.random.default_rng(5)
    for d in (3, 7, 9):
        enu = rng.normal(0.0, 1e4, (4, 2 * d + 1, 2))
        t = rng.uniform(0.0, 600.0, (4, 2 * d + 1))
        (s1, m1), (s2, m2) = _surrogate(enu, t), _surrogate(enu, t, False)
        assert _bits(m1) == _bits(m2)
        for name in ("f0", "a", "b"):
            u, v = getattr(s1, name), getattr(s2, name)
            assert u.strides == v.strides or name == "f0"
            assert _bits(u) == _bits(v), name
        assert _bits(s1.covariance()) == _bits(s2.covariance())
    lat, lon = rng.uniform(-80.0, 80.0, (5, 15)), rng.uniform(-180.0, 180.0, (5, 15))
    lat0, lon0 = lat[:, :1] + 0.3, lon[:, :1] - 0.2
    assert _bits(_enu_of(lat, lon, lat0, lon0)) == _bits(_enu_of(lat, lon, lat0, lon0, False))
    one = (lat[0], lon[0], lat0[:, 0].repeat(3)[:15], lon0[:, 0].repeat(3)[:15])
    assert _bits(_enu_of(*one)) == _bits(_enu_of(*one, False))


def test_frames_preallocated_outputs_equal_the_stacked_forms_bit_for_bit():
    """``geodetic_to_ecef`` and ``enu_basis`` write their components into one array; the
    values are those of the former ``np.stack(np.broadcast_arrays(...))`` forms."""
    from bmdsim.earth.constants import A_M, E2

    def g2e(lat_deg, lon_deg, alt_m):
        lat = np.radians(np.asarray(lat_deg, dtype=float))
        lon = np.radians(np.asarray(lon_deg, dtype=float))
        alt = np.asarray(alt_m, dtype=float)
        slat, clat = np.sin(lat), np.cos(lat)
        n = A_M / np.sqrt(1.0 - E2 * slat * slat)
        x = (n + alt) * clat * np.cos(lon)
        y = (n + alt) * clat * np.sin(lon)
        z = (n * (1.0 - E2) + alt) * slat
        return np.stack(np.broadcast_arrays(x, y, z), axis=-1)

    def basis(lat_deg, lon_deg):
        lat = np.radians(np.asarray(lat_deg, dtype=float))
        lon = np.radians(np.asarray(lon_deg, dtype=float))
        sl, cl = np.sin(lat), np.cos(lat)
        so, co = np.sin(lon), np.cos(lon)
        zero = np.zeros_like(sl * so)
        east = np.stack(np.broadcast_arrays(-so, co, zero), axis=-1)
        north = np.stack(np.broadcast_arrays(-sl * co, -sl * so, cl), axis=-1)
        up = np.stack(np.broadcast_arrays(cl * co, cl * so, sl), axis=-1)
        return np.stack([east, north, up], axis=-2)

    rng = np.random.default_rng(11)
    lat, lon = rng.uniform(-90.0, 90.0, (40, 50)), rng.uniform(-180.0, 180.0, (40, 50))
    alt = rng.uniform(-1e3, 1e6, (40, 50))
    cases = [
        (lat, lon, alt), (lat, lon, 0.0), (lat[:, :1], lon[:1], alt), (36.8, 36.1, 120.0),
        (lat[0], 36.1, 0.0), (lat[:, 0], lon[:, 3], alt[:, 5]), ([10, 20], [30, 40], [0, 1]),
        (np.array([90.0, -90.0, 0.0, np.nan]), np.array([0.0, 180.0, -180.0, 1.0]), 0.0),
    ]  # fmt: skip
    for la, lo, h in cases:
        new, ref = geodetic_to_ecef(la, lo, h), g2e(la, lo, h)
        assert new.shape == ref.shape and new.dtype == ref.dtype and _bits(new) == _bits(ref)
        new, ref = enu_basis(la, lo), basis(la, lo)
        assert new.shape == ref.shape and _bits(new) == _bits(ref)


def test_boost_tables_read_by_flat_position_equal_the_indexed_reads_bit_for_bit():
    from bmdsim.assessment.launch import _fill_up, boost_profile
    from bmdsim.catalog.missiles import missile

    prof = boost_profile(missile("shahab-3"))
    rng = np.random.default_rng(2)
    alt = rng.uniform(-1e3, prof.alt_grid_m[-1] + 5e3, 500)
    frac = rng.uniform(-0.5, prof.n_ranges - 0.5, 500)
    az = rng.uniform(-7.0, 7.0, 500)
    nj = prof.n_ranges
    j = np.clip(frac, 0.0, nj - 1.0)
    h = np.clip(alt, 0.0, prof.alt_grid_m[-1])
    k = np.clip(np.searchsorted(prof.alt_grid_m, h, side="right") - 1, 0, prof.alt_grid_m.size - 2)
    w = (h - prof.alt_grid_m[k]) / (prof.alt_grid_m[k + 1] - prof.alt_grid_m[k])
    a0, a1, wa = prof._azimuth_weights(az)
    lo = np.floor(j).astype(np.intp)
    hi = np.minimum(lo + 1, nj - 1)
    f = j - lo

    def table(arr):  # the indexed form
        filled = _fill_up(arr)

        def at(a, jj):
            return (1.0 - w) * filled[a, jj, k] + w * filled[a, jj, k + 1]

        def along_j(a):
            return (1.0 - f) * at(a, lo) + f * at(a, hi)

        return (1.0 - wa) * along_j(a0) + wa * along_j(a1)

    tau, down = prof.at_altitude(alt, frac, az)
    assert _bits(tau) == _bits(table(prof.time_to_alt_s))
    assert _bits(down) == _bits(table(prof.downrange_at_alt_m))


def test_disc_counts_skipping_far_samples_are_the_full_counts():
    """Samples outside every disc's latitude/longitude neighbourhood are skipped without
    computing their position; the counts are those of testing every sample."""
    from bmdsim.assessment.threat import _disc_kernel, disc_neighbourhoods
    from bmdsim.earth.geodesic import geodesic_direct

    rng = np.random.default_rng(4)
    lat_c = np.array([37.0, 38.35, 37.0, 36.59, 34.59, 89.9, -60.0, 0.0])
    lon_c = np.array([35.43, 37.79, 35.32, 36.17, 32.99, 10.0, 179.95, -179.99])
    radius = np.array([8e3, 5e3, 15e3, 10e3, 8e3, 50e3, 1e6, 2e3])
    centres = geodetic_to_ecef(lat_c, lon_c, 0.0)
    near = disc_neighbourhoods(lat_c, lon_c, radius)
    # samples around each centre, many just inside or outside its edge, and far ones
    n, s = lat_c.size, 4_000
    az = rng.uniform(0.0, 2.0 * np.pi, (n, s))
    dist = radius[:, None] * rng.choice([0.5, 0.999999, 1.0, 1.000001, 1.2, 3.0, 30.0], (n, s))
    lat, lon, _ = geodesic_direct(np.repeat(lat_c, s).reshape(n, s),
                                  np.repeat(lon_c, s).reshape(n, s), az, dist)  # fmt: skip
    lat[:, :100] = rng.uniform(-90.0, 90.0, (n, 100))
    lon[:, :100] = rng.uniform(-180.0, 180.0, (n, 100))
    valid = np.ones(n, bool)
    fast, full = np.zeros((n, n), np.int64), np.zeros((n, n), np.int64)
    every = near.copy()
    every[:, 2:] = np.inf  # no sample skipped: the test of every sample
    _disc_kernel()(valid, lat, lon, centres, radius**2, near, fast)
    _disc_kernel()(valid, lat, lon, centres, radius**2, every, full)
    assert np.array_equal(fast, full)
    assert np.all(np.diag(full) > s // 4)  # the edges were exercised


def test_compiled_augmented_state_is_the_numpy_one_bit_for_bit():
    from bmdsim.assessment import DragPrior
    from bmdsim.assessment.impact import augmented_state

    rng = np.random.default_rng(8)
    prior = DragPrior()
    x = rng.normal(size=(6, 7))
    p = rng.normal(size=(6, 7, 7))
    p[:, 6, 6] = [1e-12, prior.kappa_sigma_m2_kg**2, 1.0, np.nan, 0.0, 2e-4**2]
    for args in ((x, p), (x[:, :6], p[:, :6, :6]), (x[:1], p[:1])):
        a, b = augmented_state(*args, prior), augmented_state(*args, prior, False)
        assert _bits(a[0]) == _bits(b[0]) and _bits(a[1]) == _bits(b[1])


def test_compiled_sigma_points_are_the_numpy_ones_bit_for_bit():
    from bmdsim.assessment.sigma import sigma_points

    rng = np.random.default_rng(9)
    for d in (3, 7):
        a = rng.normal(size=(20, d, d))
        p = a @ np.swapaxes(a, -1, -2) * rng.uniform(1e-6, 1e6, (20, 1, 1))
        p[0] = 0.0  # zero and rounding-negative eigenvalues
        p[1] = np.outer(a[1, 0], a[1, 0])
        m = rng.normal(0.0, 1e6, (20, d))
        for scale in (np.sqrt(3.0), 1.0):
            assert _bits(sigma_points(m, p, scale)) == _bits(sigma_points(m, p, scale, False))


def test_the_steps_kept_streams_start_where_new_streams_start():
    from bmdsim.assessment import Assessor, ImpactPredictor, ThreatEvaluator

    a = Assessor(impact_predictor=ImpactPredictor(), threat_evaluator=ThreatEvaluator(), seed=5)
    for _ in range(3):
        kept = a._fresh_streams([3, 9])
        drawn = [g.standard_normal(4) for g in kept]  # moves them on
        new = [stream(5, "assessment", str(i)).standard_normal(4) for i in (3, 9)]
        assert all(_bits(u) == _bits(v) for u, v in zip(drawn, new, strict=True))
    a.seed = 6
    assert _bits(a._fresh_streams([3])[0].standard_normal(2)) == _bits(
        stream(6, "assessment", "3").standard_normal(2)
    )


def test_compiled_burnout_match_is_the_numpy_one_bit_for_bit():
    """The fused boost-profile match (one multi-target coast, the second coast replayed from
    its steps) against the two coasts and the numpy interpolation: states along the
    reference flight (rising, near apogee, descending, in reentry), perturbed, with and
    without drag, and a state whose matched altitude lies beyond the table."""
    from dataclasses import replace

    from bmdsim.assessment import LaunchPointEstimator
    from bmdsim.catalog.missiles import missile
    from tests.unit.assessment.assessment_helpers import reference

    fast = LaunchPointEstimator.for_missiles([missile("shahab-3")])
    slow = replace(fast, compiled=False)
    ref = reference()
    rv = ref.flight.rv
    # in powered flight (below every burnout altitude, rising: no match), then ballistic
    times = np.concatenate([
        np.linspace(ref.flight.launch_time_s + 30.0, rv.burnout.t_s - 5.0, 4),
        np.linspace(rv.burnout.t_s + 5.0, rv.end_s - 5.0, 40),
    ])  # fmt: skip
    x = np.stack([rv.state_at(t) for t in times])
    rng = np.random.default_rng(8)
    x = np.concatenate([x, x + rng.normal(0.0, 1.0, x.shape) * np.array([2e3] * 3 + [0.0] * 3)])
    x[:, 3:6] *= rng.uniform(0.97, 1.03, (x.shape[0], 1))  # speeds off the profile's
    x[4:8, 3:6] *= 0.6  # far too slow or too fast for the nominal boosts: extrapolated
    x[8:12, 3:6] *= 1.25
    kappa = np.where(rng.random(x.shape[0]) < 0.5, 0.0, 2e-4)
    x7 = np.concatenate([x, kappa[:, None]], axis=1)
    t = np.concatenate([times, times])
    prof = fast.profiles[0]
    a, b = fast._burnout(prof, x7, t), slow._burnout(prof, x7, t)
    assert a.ok.any() and not a.ok.all()
    for f in dataclasses.fields(a):
        assert _bits(np.asarray(getattr(a, f.name))) == _bits(np.asarray(getattr(b, f.name))), (
            f.name
        )


@pytest.mark.filterwarnings("ignore:invalid value encountered in cast:RuntimeWarning")
def test_compiled_boost_table_reads_and_model_covariance_equal_the_numpy_ones():
    from dataclasses import replace

    from bmdsim.assessment.launch import (
        LaunchPointEstimator,
        _at_altitude,
        _burnout_tables,
        boost_profile,
    )
    from bmdsim.catalog.missiles import missile

    prof = boost_profile(missile("shahab-3"))
    rng = np.random.default_rng(3)
    alt = rng.uniform(-1e3, prof.alt_grid_m[-1] + 5e3, 500)
    frac = rng.uniform(-0.5, prof.n_ranges - 0.5, 500)
    az = rng.uniform(-7.0, 7.0, 500)
    alt[:3], frac[3:6] = np.nan, np.nan
    for u, v in zip(_at_altitude(prof, alt, frac, az), prof.at_altitude(alt, frac, az),
                    strict=True):  # fmt: skip
        assert _bits(u) == _bits(v)
    fast, slow = _burnout_tables(prof, az), prof.burnout_tables(az)
    assert fast.keys() == slow.keys()
    for name in fast:
        assert _bits(fast[name]) == _bits(slow[name]), name
    est = LaunchPointEstimator.for_missiles([missile("shahab-3")])
    down = rng.uniform(-4e5, 4e5, 50)
    burn = rng.uniform(0.0, 200.0, 50)
    down[:2] = [np.nan, -np.nan]
    a = est._model_covariance(down, burn, az[:50])
    b = replace(est, compiled=False)._model_covariance(down, burn, az[:50])
    err = np.max(np.abs(a - b) / np.maximum(np.abs(b), 1e-300))
    assert err <= 4e-16, f"relative error {err:.1e}"
