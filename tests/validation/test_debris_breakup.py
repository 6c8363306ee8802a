"""The fragment sampler against the NASA Standard Breakup Model as published.

Reference: N. L. Johnson, P. H. Krisko, J.-C. Liou, P. D. Anz-Meador, "NASA's new breakup
model of EVOLVE 4.0", Adv. Space Res. 28(9):1377-1384 (2001): cumulative number of collision
fragments ``N(Lc) = 0.1 M^0.75 Lc^-1.71`` (eq. 4), distributions of ``log10(A/m)`` for
rocket bodies, spacecraft (>11 cm, eqs. 5-6) and small fragments (<8 cm, eq. 7), area
``A = 0.556945 Lc^2.0047077`` (eq. 8), ejection speeds ``log10(dv) ~ N(0.9 chi + 2.9, 0.4)``
(eq. 12). The parameter values below were worked out by hand from those equations.
"""

from __future__ import annotations

import numpy as np
import pytest
from scipy import stats

from bmdsim.earth.frames import enu_vector_to_ecef, geodetic_to_ecef
from bmdsim.flight import AreaToMassClass, DebrisModel, generate_fragments
from bmdsim.flight.debris import (
    area_to_mass_parameters,
    ejection_speed_m_s,
    mean_fragment_mass,
    sample_area_to_mass,
    small_area_to_mass_parameters,
)

SC, RB = AreaToMassClass.SPACECRAFT, AreaToMassClass.ROCKET_BODY
THREAT_KG, KV_KG = 1000.0, 23.0


def nasa_cumulative(lc, mass_kg):
    """Eq. 4 of Johnson et al. (2001), written out here independently of the package."""
    return 0.1 * mass_kg**0.75 * lc**-1.71


@pytest.fixture(scope="module")
def cloud():
    lat, lon, alt = 36.85, 36.7, 110e3
    r = geodetic_to_ecef(lat, lon, alt)
    threat = np.concatenate([r, enu_vector_to_ecef(np.array([-2300.0, 0.0, -1000.0]), lat, lon)])
    kv = np.concatenate([r, enu_vector_to_ecef(np.array([2000.0, 600.0, 1500.0]), lat, lon)])
    return generate_fragments(
        threat, THREAT_KG, kv, KV_KG, np.random.default_rng(2001), model=DebrisModel()
    )


def test_sampled_sizes_reproduce_the_nasa_cumulative_number(cloud):
    """Weighted number of sampled fragments above Lc vs N(Lc) - N(Lc_max), and the size CDF."""
    m = THREAT_KG + KV_KG
    lc, count = cloud.length_m, cloud.count / cloud.mass_scale  # the model's own numbers
    lo, hi = DebrisModel().min_length_m, lc.max()
    x = np.geomspace(lo * 1.01, hi * 0.9, 25)
    above = np.array([count[lc > xi].sum() for xi in x])
    expected = nasa_cumulative(x, m) - nasa_cumulative(hi, m)
    rel = np.abs(above / expected - 1.0)
    assert rel.max() < 0.02, f"largest relative error of N(>Lc): {rel.max():.4f}"
    total = count.sum() / (nasa_cumulative(lo, m) - nasa_cumulative(hi, m))
    assert total == pytest.approx(1.0, abs=2e-3), f"N(>Lc_min) ratio {total:.5f}"
    # the normalised size CDF (weights by number) against the formula: a weighted sample's
    # CDF steps by each weight (up to 0.8 % at the small end), so it cannot come closer
    order = np.argsort(lc)
    w = count[order] / count.sum()
    cdf_hat = np.cumsum(w)
    cdf = (nasa_cumulative(lo, m) - nasa_cumulative(lc[order], m)) / (
        nasa_cumulative(lo, m) - nasa_cumulative(hi, m)
    )
    ks = np.max(np.abs(cdf_hat - cdf))
    assert ks < w.max() + 1e-3, f"KS distance of the weighted size CDF: {ks:.2e}"
    print(f"\nN(>1 cm) = {count.sum():.0f} fragments, Lc_max {hi:.3f} m, "
          f"max rel. error of N(>Lc) {rel.max():.2e}, KS {ks:.2e}")  # fmt: skip


@pytest.mark.parametrize(
    ("kind", "lc", "params"),
    [
        (SC, 1.0, (0.78, -0.95, 0.3, -2.0, 0.3)),
        (SC, 0.2, (0.500412, -0.727528, 0.220206, -1.201373, 0.5)),
        (RB, 0.5, (0.607558, -0.629073, 0.55, -0.9, 0.165648)),
    ],
)
def test_large_fragment_area_to_mass_follows_the_bimodal_distribution(kind, lc, params):
    np.testing.assert_allclose(area_to_mass_parameters(lc, kind)[:, 0], params, atol=2e-5)
    a, mu1, s1, mu2, s2 = params
    chi = np.log10(sample_area_to_mass(np.full(20_000, lc), kind, np.random.default_rng(5)))

    def cdf(x):
        return a * stats.norm.cdf(x, mu1, s1) + (1.0 - a) * stats.norm.cdf(x, mu2, s2)

    res = stats.kstest(chi, cdf)
    assert res.pvalue > 1e-3, f"KS statistic {res.statistic:.4f}, p = {res.pvalue:.2e}"


@pytest.mark.parametrize(
    ("lc", "mu", "sigma"), [(0.01, -0.3, 0.39995), (0.05, -0.928558, 0.493123)]
)
def test_small_fragment_area_to_mass_follows_the_normal_distribution(lc, mu, sigma):
    np.testing.assert_allclose(small_area_to_mass_parameters(lc)[:, 0], (mu, sigma), atol=2e-5)
    chi = np.log10(sample_area_to_mass(np.full(20_000, lc), SC, np.random.default_rng(6)))
    res = stats.kstest(chi, stats.norm(mu, sigma).cdf)
    assert res.pvalue > 1e-3, f"KS statistic {res.statistic:.4f}, p = {res.pvalue:.2e}"


def test_bridge_between_8_and_11_cm_mixes_the_two_distributions():
    """At 9.5 cm half the fragments follow each distribution (linear bridge)."""
    lc = 0.095
    a, mu1, s1, mu2, s2 = area_to_mass_parameters(lc, SC)[:, 0]
    mu, sigma = small_area_to_mass_parameters(lc)[:, 0]
    chi = np.log10(sample_area_to_mass(np.full(40_000, lc), SC, np.random.default_rng(7)))

    def cdf(x):
        large = a * stats.norm.cdf(x, mu1, s1) + (1.0 - a) * stats.norm.cdf(x, mu2, s2)
        return 0.5 * large + 0.5 * stats.norm.cdf(x, mu, sigma)

    res = stats.kstest(chi, cdf)
    assert res.pvalue > 1e-3, f"KS statistic {res.statistic:.4f}, p = {res.pvalue:.2e}"


def test_ejection_speeds_follow_the_collision_distribution():
    rng = np.random.default_rng(8)
    am = 10.0 ** rng.uniform(-2.5, 0.5, 30_000)
    dv = ejection_speed_m_s(am, rng)
    z = (np.log10(dv) - (0.9 * np.log10(am) + 2.9)) / 0.4
    res = stats.kstest(z, "norm")
    assert res.pvalue > 1e-3, f"KS statistic {res.statistic:.4f}, p = {res.pvalue:.2e}"


@pytest.mark.parametrize("lc", [0.02, 0.095, 0.3, 1.0])
def test_mean_fragment_mass_matches_monte_carlo(lc):
    """Closed-form E[A / (A/m)] (log-normal mean) against the sample mean."""
    am = sample_area_to_mass(np.full(400_000, lc), SC, np.random.default_rng(9))
    area = 0.556945 * lc**2.0047077
    mc = np.mean(area / am)
    rel = float(mean_fragment_mass(lc, SC)[0] / mc - 1.0)
    assert abs(rel) < 0.01, f"relative difference {rel:.4f}"


def test_mass_budget_closes_on_average():
    """With the solved largest size the sampled cloud's mass equals the fragmenting mass on
    average: the mass scale of many clouds averages to 1."""
    lat, lon = 36.85, 36.7
    r = geodetic_to_ecef(lat, lon, 110e3)
    threat = np.concatenate([r, [0.0, 0.0, -2500.0]])
    kv = np.concatenate([r, [0.0, 0.0, 3000.0]])
    rng = np.random.default_rng(10)
    scales = [
        generate_fragments(threat, THREAT_KG, kv, KV_KG, rng, model=DebrisModel(n_fragments=400))
        .mass_scale for _ in range(40)
    ]  # fmt: skip
    mean = 1.0 / np.mean(1.0 / np.asarray(scales))  # scale = budget / sampled mass
    assert mean == pytest.approx(1.0, abs=0.04), f"harmonic mean mass scale {mean:.4f}"
