"""Debris of an intercept: conservation laws of the fragment cloud, the fall to the ground,
the footprint polygon, countries and places."""

from __future__ import annotations

import json
from dataclasses import replace

import numpy as np
import pytest
import shapely

from bmdsim.earth import geodesic_inverse
from bmdsim.earth.frames import enu_vector_to_ecef, geodetic_to_ecef
from bmdsim.flight import (
    DebrisImpacts,
    DebrisModel,
    FragmentBatch,
    fly_debris,
    footprint,
    generate_fragments,
    impact_report,
    intercept_debris,
    predict_impact,
)
from bmdsim.flight.debris import trim_by_mass, von_mises_fisher_directions

SITE = (36.85, 36.7, 110e3)  # above Hatay, east of the Gulf of Iskenderun
DORTYOL = (36.84, 36.23)
THREAT_KG, KV_KG = 1000.0, 23.0


def state(lat, lon, alt, v_enu) -> np.ndarray:
    r = geodetic_to_ecef(lat, lon, alt)
    return np.concatenate([r, enu_vector_to_ecef(np.asarray(v_enu, float), lat, lon)])


@pytest.fixture(scope="module")
def bodies():
    threat = state(*SITE, [-2300.0, 0.0, -1000.0])
    kv = state(*SITE, [2000.0, 600.0, 1500.0])
    return threat, kv


@pytest.fixture(scope="module")
def cloud(bodies):
    return generate_fragments(
        bodies[0], THREAT_KG, bodies[1], KV_KG, np.random.default_rng(7), model=DebrisModel()
    )


def momentum(f: FragmentBatch) -> np.ndarray:
    return f.mass_kg @ f.states[:, 3:]


# --- breakup ------------------------------------------------------------------------------------


def test_fragment_masses_add_up_to_both_bodies(cloud):
    assert isinstance(cloud, FragmentBatch)
    assert len(cloud) == 1000
    total = cloud.mass_kg.sum()
    assert total == pytest.approx(THREAT_KG + KV_KG, rel=1e-12), f"sum {total!r} kg"
    assert np.all(cloud.mass_kg > 0.0) and np.all(cloud.count > 0.0)
    assert cloud.catastrophic  # 23 kg at 5 km/s on a tonne: hundreds of J/g
    assert 0.8 < cloud.mass_scale < 1.25, cloud.mass_scale


def test_fragment_cloud_momentum_equals_perfectly_inelastic_collision(bodies, cloud):
    threat, kv = bodies
    p_in = THREAT_KG * threat[3:] + KV_KG * kv[3:]
    err = np.linalg.norm(momentum(cloud) - p_in) / np.linalg.norm(p_in)
    assert err < 1e-12, f"relative momentum error {err:.2e}"
    v_cm = momentum(cloud) / cloud.mass_kg.sum()
    expected = p_in / (THREAT_KG + KV_KG)
    dv = np.linalg.norm(v_cm - expected)
    assert dv < 1e-8, f"centre-of-mass velocity off by {dv:.2e} m/s"
    np.testing.assert_allclose(cloud.centre_of_mass_velocity_m_s, expected, atol=1e-9)
    # every fragment starts at the centre of mass of the two bodies
    np.testing.assert_allclose(cloud.states[:, :3], np.broadcast_to(threat[:3], (1000, 3)))


def test_ejection_speeds_are_capped_by_the_closing_speed(bodies):
    threat, kv = bodies
    model = DebrisModel(delta_v_cap_fraction=0.05)
    f = generate_fragments(threat, THREAT_KG, kv, KV_KG, np.random.default_rng(1), model=model)
    closing = np.linalg.norm(kv[3:] - threat[3:])
    assert f.closing_speed_m_s == pytest.approx(closing)
    speed = np.linalg.norm(f.delta_v_m_s, axis=1)
    # the momentum correction moves speeds by at most its own (small) size
    shift = np.linalg.norm(f.delta_v_m_s.T @ f.mass_kg) / f.mass_kg.sum()
    assert shift < 1e-9
    assert speed.max() <= 0.05 * closing * 1.05, speed.max()


def test_von_mises_fisher_directions_have_the_known_mean_cosine():
    """Mean cosine to the axis of a von Mises-Fisher sample on the sphere: coth(k) - 1/k."""
    axis = np.array([0.6, -0.8, 0.0])
    rng = np.random.default_rng(3)
    for kappa in (0.0, 2.0, 10.0):
        u = von_mises_fisher_directions(axis, kappa, 200_000, rng)
        np.testing.assert_allclose(np.linalg.norm(u, axis=1), 1.0, atol=1e-12)
        expected = 0.0 if kappa == 0.0 else 1.0 / np.tanh(kappa) - 1.0 / kappa
        err = abs((u @ axis).mean() - expected)
        assert err < 0.005, f"kappa {kappa}: mean cosine off by {err:.4f}"


def test_cone_concentration_sends_fast_ejecta_along_the_relative_velocity(bodies):
    threat, kv = bodies
    axis = (kv[3:] - threat[3:]) / np.linalg.norm(kv[3:] - threat[3:])
    model = DebrisModel(cone_concentration=5.0, n_fragments=2000)
    f = generate_fragments(threat, THREAT_KG, kv, KV_KG, np.random.default_rng(3), model=model)
    speed = np.linalg.norm(f.delta_v_m_s, axis=1)
    fast = speed > 500.0  # far above the momentum shift of the heavy fragments
    cosine = (f.delta_v_m_s[fast] @ axis) / speed[fast]
    assert cosine.mean() > 0.7, cosine.mean()
    p_in = THREAT_KG * threat[3:] + KV_KG * kv[3:]
    assert np.linalg.norm(momentum(f) - p_in) / np.linalg.norm(p_in) < 1e-12


def test_non_catastrophic_collision_leaves_a_remnant(bodies):
    """Below 40 J/g the model's mass is m_p v^2 (v in km/s) and the rest is one piece."""
    threat = bodies[0]
    slow = threat.copy()
    slow[3:] += enu_vector_to_ecef(np.array([0.0, 300.0, 0.0]), SITE[0], SITE[1])
    f = generate_fragments(threat, THREAT_KG, slow, 5.0, np.random.default_rng(2))
    energy = 0.5 * 5.0 * 300.0**2 / THREAT_KG / 1e3
    assert f.specific_energy_j_g == pytest.approx(energy)
    assert not f.catastrophic
    assert f.mass_parameter_kg == pytest.approx(5.0 * 0.3**2)
    assert f.remnant.sum() == 1
    assert f.mass_kg[f.remnant][0] == pytest.approx(THREAT_KG + 5.0 - 5.0 * 0.09)
    assert f.mass_kg.sum() == pytest.approx(THREAT_KG + 5.0, rel=1e-12)
    p_in = THREAT_KG * threat[3:] + 5.0 * slow[3:]
    assert np.linalg.norm(momentum(f) - p_in) / np.linalg.norm(p_in) < 1e-12


def test_surviving_warhead_is_one_heavy_fragment(bodies):
    threat, kv = bodies
    model = DebrisModel(warhead_mass_kg=600.0, warhead_ballistic_coefficient_kg_m2=3000.0)
    f = generate_fragments(threat, THREAT_KG, kv, KV_KG, np.random.default_rng(4), model=model)
    assert f.remnant.sum() == 1 and len(f) == model.n_fragments
    assert f.mass_kg[f.remnant][0] == 600.0
    assert f.ballistic_coefficient_kg_m2[f.remnant][0] == 3000.0
    assert f.mass_kg.sum() == pytest.approx(THREAT_KG + KV_KG, rel=1e-12)
    p_in = THREAT_KG * threat[3:] + KV_KG * kv[3:]
    assert np.linalg.norm(momentum(f) - p_in) / np.linalg.norm(p_in) < 1e-12
    with pytest.raises(ValueError, match="warhead_mass_kg"):
        generate_fragments(
            threat, THREAT_KG, kv, KV_KG, np.random.default_rng(4),
            model=DebrisModel(warhead_mass_kg=THREAT_KG),
        )  # fmt: skip


def test_same_rng_state_gives_the_same_cloud(bodies):
    threat, kv = bodies
    a = generate_fragments(threat, THREAT_KG, kv, KV_KG, np.random.default_rng(11))
    b = generate_fragments(threat, THREAT_KG, kv, KV_KG, np.random.default_rng(11))
    c = generate_fragments(threat, THREAT_KG, kv, KV_KG, np.random.default_rng(12))
    np.testing.assert_array_equal(a.states, b.states)
    np.testing.assert_array_equal(a.mass_kg, b.mass_kg)
    assert not np.array_equal(a.mass_kg, c.mass_kg)


def test_ballistic_coefficient_is_mass_over_drag_area(cloud):
    beta = 1.0 / (DebrisModel().drag_coefficient * cloud.area_to_mass_m2_kg)
    np.testing.assert_allclose(cloud.ballistic_coefficient_kg_m2, beta, rtol=1e-14)


def test_area_to_mass_factor_scales_ballistic_coefficients_and_counts(bodies):
    threat, kv = bodies
    base = generate_fragments(threat, THREAT_KG, kv, KV_KG, np.random.default_rng(5))
    dense = generate_fragments(
        threat, THREAT_KG, kv, KV_KG, np.random.default_rng(5),
        model=DebrisModel(area_to_mass_factor=0.1),
    )  # fmt: skip
    np.testing.assert_allclose(dense.length_m, base.length_m)
    np.testing.assert_allclose(
        dense.ballistic_coefficient_kg_m2, 10 * base.ballistic_coefficient_kg_m2
    )
    assert dense.count.sum() == pytest.approx(0.1 * base.count.sum(), rel=1e-9)
    assert dense.mass_kg.sum() == pytest.approx(THREAT_KG + KV_KG, rel=1e-12)


@pytest.mark.parametrize(
    "kwargs",
    [{"n_fragments": 1}, {"min_length_m": 0.0}, {"max_length_m": 0.005}, {"drag_coefficient": 0},
     {"cone_concentration": -1.0}, {"area_to_mass_factor": 0.0}],
)  # fmt: skip
def test_invalid_model_parameters_are_rejected(kwargs):
    with pytest.raises(ValueError):
        DebrisModel(**kwargs)


# --- fall -----------------------------------------------------------------------------------------


def subset(f: FragmentBatch, idx) -> FragmentBatch:
    return replace(
        f,
        states=f.states[idx],
        mass_kg=f.mass_kg[idx],
        ballistic_coefficient_kg_m2=f.ballistic_coefficient_kg_m2[idx],
    )


def test_vacuum_fall_matches_predict_impact(cloud):
    """Drag off: fly_debris lands each fragment where predict_impact does, and so does the
    terminal-handoff path for fragments whose drag is negligible (beta = 1e12 kg/m^2)."""
    idx = np.arange(0, 1000, 50)
    frags = subset(cloud, idx)
    ref = predict_impact(frags.states, t0_s=100.0, drag=False, rtol=1e-10)
    vac = fly_debris(frags, 100.0, drag=False, rtol=1e-10)
    d = geodesic_inverse(ref.lat_deg, ref.lon_deg, vac.lat_deg, vac.lon_deg)[0]
    assert d.max() < 1e-3, f"max distance {d.max():.2e} m"
    np.testing.assert_allclose(vac.t_s, ref.t_s, atol=1e-6)
    stiff = replace(frags, ballistic_coefficient_kg_m2=np.full(idx.size, 1e12))
    hand = fly_debris(stiff, 100.0, rtol=1e-10)
    assert hand.landed.all() and not hand.terminal.any()
    d = geodesic_inverse(ref.lat_deg, ref.lon_deg, hand.lat_deg, hand.lon_deg)[0]
    assert d.max() < 1.0, f"max distance {d.max():.3f} m"
    np.testing.assert_allclose(hand.t_s, ref.t_s, atol=1e-3)


def test_terminal_handoff_agrees_with_integrating_to_the_ground(cloud):
    """Quasi-steady terminal descent vs the full equations of motion down to the ground."""
    speed = np.linalg.norm(cloud.delta_v_m_s, axis=1)
    idx = np.flatnonzero(speed < 300.0)[::25]
    frags = subset(cloud, idx)
    fast = fly_debris(frags, 0.0)
    full = fly_debris(frags, 0.0, terminal_handoff=False, max_fall_s=30_000.0)
    assert fast.terminal.sum() >= idx.size // 2 and full.landed.all() and fast.landed.all()
    d = geodesic_inverse(fast.lat_deg, fast.lon_deg, full.lat_deg, full.lon_deg)[0]
    rel_t = np.abs(fast.t_s - full.t_s) / full.t_s
    rel_v = np.abs(fast.speed_m_s / full.speed_m_s - 1.0)
    assert d.max() < 25.0, f"max ground distance {d.max():.1f} m"
    assert rel_t.max() < 0.005, f"max relative fall-time error {rel_t.max():.2e}"
    assert rel_v.max() < 0.02, f"max relative impact-speed error {rel_v.max():.2e}"


def test_compiled_quasi_steady_fall_matches_the_numpy_one():
    """The compiled terminal descent (one loop per fragment) against the numpy arrays."""
    from bmdsim.flight.debris import _quasi_steady_fall

    rng = np.random.default_rng(5)
    m = 300
    r = geodetic_to_ecef(rng.uniform(-80, 80, m), rng.uniform(-180, 180, m), rng.uniform(0, 60e3, m))
    beta = 10.0 ** rng.uniform(-1.0, 3.0, m)
    ref = _quasi_steady_fall(r, beta, compiled=False)
    got = _quasi_steady_fall(r, beta, compiled=True)
    for name, a, b in zip(("lat", "lon", "time", "speed"), ref, got, strict=True):
        err = np.max(np.abs(a - b) / np.maximum(np.abs(a), 1e-300))
        assert err < 1e-13, f"{name}: max relative difference {err:.1e}"


def test_light_fragments_land_after_heavy_ones_and_all_land(cloud):
    imp = fly_debris(cloud, 50.0)
    assert isinstance(imp, DebrisImpacts) and imp.landed.all()
    assert np.all(imp.t_s > 50.0)
    beta = cloud.ballistic_coefficient_kg_m2
    heavy, light = beta > 100.0, beta < 3.0
    assert np.median(imp.t_s[heavy]) < np.median(imp.t_s[light])
    # terminal speed at sea level sqrt(2 beta g Cd_ref / (rho Cd(0))) for the light ones
    v0 = np.sqrt(2.0 * beta[light] * 9.8 * 0.28 / (1.225 * 0.30))
    np.testing.assert_allclose(
        imp.speed_m_s[light & imp.terminal], v0[imp.terminal[light]], rtol=0.01
    )


def test_fragments_still_aloft_after_the_longest_fall_are_not_landed(cloud):
    frags = subset(cloud, np.argsort(cloud.ballistic_coefficient_kg_m2)[:5])
    imp = fly_debris(frags, 0.0, max_fall_s=30.0)
    assert not imp.landed.any() and np.isnan(imp.lat_deg).all() and np.isnan(imp.t_s).all()


# --- footprint ---------------------------------------------------------------------------------


def synthetic_impacts(lat, lon, mass) -> DebrisImpacts:
    lat = np.asarray(lat, float)
    n = lat.size
    return DebrisImpacts(
        lat_deg=lat, lon_deg=np.asarray(lon, float), t_s=np.full(n, 1.0),
        mass_kg=np.asarray(mass, float), speed_m_s=np.full(n, 10.0),
        landed=np.ones(n, bool), terminal=np.zeros(n, bool),
    )  # fmt: skip


def test_footprint_holds_the_requested_mass_fraction():
    rng = np.random.default_rng(0)
    n = 4000
    lat = DORTYOL[0] + 0.05 * rng.standard_normal(n)
    lon = DORTYOL[1] + 0.03 + 0.10 * rng.standard_normal(n)
    mass = rng.lognormal(0.0, 1.0, n)
    for fraction in (0.5, 0.95):
        fp = footprint(synthetic_impacts(lat, lon, mass), fraction)
        inside = shapely.intersects_xy(fp.polygon, lon, lat)
        share = mass[inside].sum() / mass.sum()
        assert fraction <= share < fraction + 0.03, (fraction, share)
        assert fp.mass_inside_kg == pytest.approx(mass[inside].sum())
    assert fp.polygon.is_valid and fp.polygon.geom_type == "Polygon"
    assert fp.landed_mass_kg == pytest.approx(mass.sum())


def test_footprint_geojson_is_lon_lat_and_json_ready():
    rng = np.random.default_rng(1)
    lat = DORTYOL[0] + 0.02 * rng.standard_normal(300)
    lon = DORTYOL[1] + 0.02 * rng.standard_normal(300)
    fp = footprint(synthetic_impacts(lat, lon, np.ones(300)))
    gj = fp.geojson
    assert gj["type"] == "Polygon"
    ring = np.asarray(gj["coordinates"][0])
    assert np.all(np.abs(ring[:, 0] - DORTYOL[1]) < 0.2)  # x = lon
    assert np.all(np.abs(ring[:, 1] - DORTYOL[0]) < 0.2)  # y = lat
    np.testing.assert_array_equal(ring[0], ring[-1])
    summary = json.loads(json.dumps(fp.summary()))
    assert summary["countries"] == ["TUR"] and summary["footprint_geojson"] == gj
    assert summary["places"][0]["name"] == "Dörtyol"


def test_footprint_of_coincident_impacts_is_a_small_disc():
    fp = footprint(synthetic_impacts([36.9] * 3, [36.3] * 3, [1.0, 2.0, 3.0]), min_radius_m=100.0)
    assert fp.area_m2 == pytest.approx(np.pi * 100.0**2, rel=0.02)
    assert fp.polygon.contains(shapely.Point(36.3, 36.9))
    assert fp.mass_inside_kg == pytest.approx(6.0)


def test_footprint_countries_by_mass_and_places_inside_first():
    # most mass around Dörtyol (TUR), a little at sea in the Gulf, a trace in Syria
    lat = [36.84, 36.85, 36.83, 36.86, 36.70, 36.20]
    lon = [36.23, 36.25, 36.22, 36.26, 35.95, 37.16]
    mass = [300.0, 300.0, 200.0, 150.0, 49.9, 0.1]
    fp = footprint(synthetic_impacts(lat, lon, mass), 0.9)
    assert [c.country for c in fp.country_masses] == ["TUR", None, "SYR"]
    assert fp.country_masses[0].mass_kg == pytest.approx(950.0)
    assert fp.country_masses[0].fraction == pytest.approx(0.95)
    assert fp.countries == ("TUR",)  # Syria's 0.01 % is below COUNTRY_MIN_FRACTION
    assert fp.places[0].name == "Dörtyol" and fp.places[0].distance_m == 0.0
    d = [p.distance_m for p in fp.places]
    assert d == sorted(d) and len(d) == 5


def test_trimming_keeps_the_innermost_mass_of_a_gaussian_cloud():
    """With equal weights and a Gaussian cloud the kept set is the chi-square(2) ellipse:
    points beyond the 95 % quantile (5.991) of the true metric are almost all trimmed."""
    rng = np.random.default_rng(2)
    cov = np.array([[9.0e6, 3.0e6], [3.0e6, 4.0e6]])
    xy = rng.multivariate_normal([1e3, -2e3], cov, 20_000)
    keep = trim_by_mass(xy, np.ones(len(xy)), 0.95)
    assert keep.mean() == pytest.approx(0.95, abs=1e-4)
    e = xy - [1e3, -2e3]
    d2 = np.einsum("ni,ij,nj->n", e, np.linalg.inv(cov), e)
    agree = np.mean(keep == (d2 <= 5.991))
    assert agree > 0.99, f"agreement with the true 95 % ellipse {agree:.4f}"


def test_impact_report_names_country_and_nearest_places():
    land = impact_report(*DORTYOL)
    assert land.country == "TUR"
    assert land.places[0].name == "Dörtyol" and land.places[0].distance_m < 1_000.0
    assert len(land.places) == 5
    sea = impact_report(36.70, 35.95)  # Gulf of Iskenderun
    assert sea.country is None and sea.places[0].country == "TUR"
    assert json.loads(json.dumps(sea.summary()))["country"] is None


def test_intercept_debris_runs_the_chain(bodies):
    threat, kv = bodies
    d = intercept_debris(
        threat, THREAT_KG, kv, KV_KG, 600.0, np.random.default_rng(9),
        model=DebrisModel(n_fragments=300),
    )  # fmt: skip
    assert len(d.fragments) == 300 and d.impacts.landed.all()
    assert d.footprint.mass_inside_kg >= 0.95 * d.footprint.landed_mass_kg
    assert "TUR" in d.footprint.countries
