"""Threat evaluation: country and asset probabilities, alliance, category rule, ranking."""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import pytest

from bmdsim.assessment import (
    SEA,
    DefendedArea,
    GroundSamples,
    ImpactPrediction,
    ThreatCategory,
    ThreatEvaluator,
)
from bmdsim.earth.frames import enu_basis, geodetic_to_ecef
from bmdsim.earth.geodesic import geodesic_direct
from bmdsim.scenario import load_scenario

DORTYOL = (36.84, 36.23)
AKROTIRI = (34.59056, 32.98778)


def _impacts(centres, sigma_m, n=4000, seed=0, tti=300.0) -> ImpactPrediction:
    """Isotropic Gaussian impact samples about ``centres`` [(lat, lon)]."""
    rng = np.random.default_rng(seed)
    c = np.asarray(centres, dtype=float)
    k = len(c)
    enu = rng.normal(size=(k, n, 2)) * np.asarray(sigma_m, float).reshape(-1, 1, 1)
    site = geodetic_to_ecef(c[:, 0], c[:, 1], 0.0)
    from bmdsim.earth.frames import ecef_to_geodetic

    lat, lon, _ = ecef_to_geodetic(site[:, None] + enu @ enu_basis(c[:, 0], c[:, 1])[:, :2])
    cov = np.einsum("nsi,nsj->nij", enu, enu) / n
    return ImpactPrediction(
        track_ids=np.arange(k),
        time_s=0.0,
        valid=np.ones(k, bool),
        lat_deg=c[:, 0],
        lon_deg=c[:, 1],
        covariance_enu_m2=cov,
        event_time_s=np.full(k, tti),
        event_time_std_s=np.ones(k),
        samples=GroundSamples(lat_deg=lat, lon_deg=lon, t_s=np.full((k, n), tti), enu_m=enu),
        impact_ecef=site,
        ellipse_semi_major_m=np.zeros(k),
        ellipse_semi_minor_m=np.zeros(k),
        ellipse_azimuth_rad=np.zeros(k),
    )


@pytest.fixture(scope="module")
def evaluator():
    return ThreatEvaluator.from_scenario(load_scenario("dortyol-2026-03-04"))


def test_country_probabilities_sum_to_one_with_the_sea_included(evaluator):
    imp = _impacts([DORTYOL, AKROTIRI, (34.0, 34.5)], [25_000.0, 20_000.0, 5_000.0])
    th = evaluator.evaluate(imp)
    assert th.countries[-1] == SEA
    np.testing.assert_allclose(th.country_probability.sum(axis=1), 1.0, atol=1e-12)
    np.testing.assert_allclose(th.p_allied + th.p_non_allied + th.p_sea, 1.0, atol=1e-12)
    assert th.p_sea[0] > 0.05 and th.p_sea[2] == 1.0  # the Gulf of Iskenderun; open sea
    assert th.most_likely_country[2] == SEA and th.most_likely_land_country[2] is None
    assert th.category[2] == ThreatCategory.NONE


def test_alliance_membership_on_the_scenario_date(evaluator):
    imp = _impacts([DORTYOL, AKROTIRI], [40_000.0, 30_000.0])
    th = evaluator.evaluate(imp)
    allied = dict(zip(th.countries, th.allied, strict=True))
    assert allied["TUR"] and allied["GBR"] and not allied["CYP"] and not allied[SEA]
    if "SYR" in allied:
        assert not allied["SYR"]


def test_asset_probability_is_the_fraction_of_samples_in_the_disc():
    asset = DefendedArea(id="a", lat_deg=36.0, lon_deg=36.0, radius_m=10_000.0)
    ev = ThreatEvaluator(assets=(asset,), nearest_place=False)
    sigma = 10_000.0
    imp = _impacts([(36.0, 36.0)], [sigma], n=40_000, seed=3)
    p = ev.evaluate(imp).asset_probability[0, 0]
    expected = 1.0 - np.exp(-0.5)  # Rayleigh: P(r <= sigma)
    assert p == pytest.approx(expected, abs=0.01)
    # an asset 5 sigma away is never hit
    lat, lon, _ = geodesic_direct(36.0, 36.0, 0.0, 5 * sigma + asset.radius_m)
    far = DefendedArea(id="far", lat_deg=float(lat), lon_deg=float(lon), radius_m=asset.radius_m)
    assert (
        ThreatEvaluator(assets=(far,), nearest_place=False).evaluate(imp).asset_probability[0, 0]
        < 1e-3
    )


@pytest.mark.parametrize(
    ("p_asset", "p_allied", "p_non", "category"),
    [
        (0.5, 0.5, 0.0, ThreatCategory.DEFENDED_ASSET),
        (0.05, 0.3, 0.6, ThreatCategory.ALLIED_TERRITORY),
        (0.0, 0.05, 0.6, ThreatCategory.NON_ALLIED_TERRITORY),
        (0.0, 0.05, 0.05, ThreatCategory.NONE),
        (np.nan, np.nan, np.nan, ThreatCategory.NONE),
    ],
)
def test_category_rule(p_asset, p_allied, p_non, category):
    ev = ThreatEvaluator(asset_threshold=0.1, territory_threshold=0.1)
    assert ev.categorise([p_asset], [p_allied], [p_non])[0] == category


def test_ranking_by_category_then_time_to_impact_then_value():
    cat = np.array([2, 3, 2, 2, 0])
    tti = np.array([300.0, 400.0, 200.0, 200.0, 10.0])
    value = np.array([0.0, 0.0, 1.0, 5.0, 0.0])
    assert list(ThreatEvaluator.rank(cat, tti, value)) == [4, 1, 3, 2, 5]
    for n in (0, 1):  # one track or none: the sort's answer without sorting
        one = ThreatEvaluator.rank(cat[:n], tti[:n], value[:n])
        assert one.dtype == np.int64 and list(one) == list(range(1, n + 1))
    nan = ThreatEvaluator.rank(np.array([1]), np.array([np.nan]), np.array([np.nan]))
    assert list(nan) == [1]


def test_akrotiri_is_gbr_territory_on_cyprus(evaluator):
    """A tight impact on RAF Akrotiri: GBR (an Ally) by country, Akrotiri by territory,
    the air base by place, and the defended asset."""
    th = evaluator.evaluate(_impacts([AKROTIRI], [500.0]))
    assert th.most_likely_country[0] == "GBR"
    assert th.most_likely_territory[0] == "Akrotiri"
    assert th.nearest_place[0] == "RAF Akrotiri"
    assert th.category[0] == ThreatCategory.DEFENDED_ASSET
    assert th.asset_probability[0, th.asset_ids.index("raf-akrotiri")] == 1.0
    assert th.probability_of("GBR")[0] == th.country_probability[0, th.countries.index("GBR")]


def test_invalid_predictions_are_blank_and_rank_last(evaluator):
    imp = _impacts([DORTYOL, DORTYOL], [20_000.0, 20_000.0])
    imp = imp.__class__(
        **{
            **{f: getattr(imp, f) for f in imp.__dataclass_fields__},
            "valid": np.array([False, True]),
        }
    )
    th = evaluator.evaluate(imp)
    assert np.isnan(th.country_probability[0]).all() and th.most_likely_country[0] is None
    assert th.category[0] == ThreatCategory.NONE and th.rank[0] == 2
    assert th.category[1] == ThreatCategory.ALLIED_TERRITORY


def test_a_batch_with_no_valid_prediction_is_evaluated_without_error(evaluator):
    """Every track of the batch failed to reach the ground (e.g. all still rising)."""
    from dataclasses import replace

    imp = _impacts([DORTYOL, AKROTIRI], [10_000.0, 10_000.0])
    nan = np.full_like(imp.samples.lat_deg, np.nan)
    imp = replace(
        imp, valid=np.zeros(2, bool), samples=replace(imp.samples, lat_deg=nan, lon_deg=nan)
    )
    th = evaluator.evaluate(imp)
    assert list(th.most_likely_land_country) == [None, None]
    assert np.all(np.isnan(th.p_allied)) or np.all(th.p_allied == 0.0)


def _string_frequencies(lookup, lat, lon, ok):
    """Reference counting on the labels themselves (codes as strings, np.unique)."""
    codes = np.asarray(lookup(lat[ok], lon[ok]), dtype=object).reshape(-1)
    codes[np.equal(codes, None)] = SEA
    names, idx = np.unique(codes.astype(str), return_inverse=True)
    names = [str(x) for x in names]
    if SEA in names:
        j = names.index(SEA)
        order = [*range(j), *range(j + 1, len(names)), j]
        remap = np.empty(len(names), np.intp)
        remap[order] = np.arange(len(names))
        idx = remap[idx]
        names = [names[k] for k in order]
    n, c = lat.shape[0], len(names)
    rows = np.nonzero(ok)[0]
    counts = np.bincount(rows * c + idx.reshape(-1), minlength=n * c).reshape(n, c)
    return tuple(names), counts / np.maximum(ok.sum(axis=1), 1)[:, None]


def test_country_and_territory_counts_equal_counting_the_labels_themselves(evaluator):
    """Integer labels ordered as the strings: the same label tuples (sorted, sea last) and
    bit-identical probabilities as counting the strings of country_at / territory_at."""
    from bmdsim.earth.geography.borders import country_at, territory_at

    imp = _impacts([DORTYOL, AKROTIRI, (34.0, 34.5), (36.3, 36.6)], [40e3, 20e3, 5e3, 30e3])
    lat, lon = imp.samples.lat_deg.copy(), imp.samples.lon_deg.copy()
    lat[3, :50] = np.nan  # unusable samples of a valid row
    valid = np.array([True, True, True, False])
    imp = replace(imp, valid=valid, samples=replace(imp.samples, lat_deg=lat, lon_deg=lon))
    th = evaluator.evaluate(imp)
    ok = valid[:, None] & np.isfinite(lat) & np.isfinite(lon)
    for lookup, labels, p in (
        (country_at, th.countries, th.country_probability),
        (territory_at, None, None),
    ):
        names, ref = _string_frequencies(lookup, lat, lon, ok)
        ref[~valid] = np.nan
        if labels is None:  # territories: only the most likely one is kept
            j = np.argmax(np.nan_to_num(ref, nan=-1.0), axis=1)
            expected = [names[k] if v else None for k, v in zip(j, valid, strict=True)]
            assert list(th.most_likely_territory) == expected
            continue
        assert labels == names and labels[-1] == SEA and len(labels) >= 4
        np.testing.assert_array_equal(p, ref)


def test_asset_counts_equal_the_numpy_chord_test_at_the_rim():
    """Samples scattered across each disc's rim (10 um to 10 m from it): the compiled count
    is that of geodetic_to_ecef and a numpy sum of squares, sample for sample."""
    assets = (
        DefendedArea(id="a", lat_deg=36.0, lon_deg=36.0, radius_m=10_000.0),
        DefendedArea(id="b", lat_deg=36.05, lon_deg=36.1, radius_m=7_500.0, value=3.0),
    )
    ev = ThreatEvaluator(assets=assets, nearest_place=False)
    rng = np.random.default_rng(11)
    lat, lon = [], []
    for a in assets:
        az = rng.uniform(0.0, 360.0, 3000)
        d = a.radius_m * (1.0 + rng.normal(size=3000) * np.r_[1e-9, 1e-6, 1e-3].repeat(1000))
        la, lo, _ = geodesic_direct(np.full(3000, a.lat_deg), np.full(3000, a.lon_deg), az, d)
        lat.append(la)
        lon.append(lo)
    imp = _impacts([(36.0, 36.0), (36.05, 36.1)], [1.0, 1.0], n=6000)
    lat, lon = np.array(lat), np.array(lon)
    lat[0, :10] = np.nan
    imp = replace(imp, samples=replace(imp.samples, lat_deg=lat, lon_deg=lon))
    p = ev.evaluate(imp).asset_probability
    ok = np.isfinite(lat) & np.isfinite(lon)
    pts = geodetic_to_ecef(np.where(ok, lat, 0.0), np.where(ok, lon, 0.0), 0.0)
    count = np.maximum(ok.sum(axis=1), 1)
    for k, a in enumerate(assets):
        d2 = np.sum((pts - geodetic_to_ecef(a.lat_deg, a.lon_deg, 0.0)) ** 2, axis=-1)
        inside = np.sum((d2 <= a.radius_m**2) & ok, axis=1)
        np.testing.assert_array_equal(p[:, k], inside / count)
    assert 0.3 < p[0, 0] < 0.7 and 0.3 < p[1, 1] < 0.7  # the rim is crossed both ways


def test_compiled_summary_equals_the_numpy_expressions(evaluator):
    """The one-pass summary of each row (sums over the allied / sea / other countries met,
    most likely country, land country and territory, asset probabilities, value at risk,
    category) against the straightforward numpy expressions on the returned frequencies,
    with invalid rows, unusable samples and rows with no land."""
    from bmdsim.assessment.threat import category_rule
    from bmdsim.earth.geography.borders import territory_at

    imp = _impacts(
        [DORTYOL, AKROTIRI, (34.0, 34.5), (36.3, 36.6), (35.0, 31.0)],
        [40e3, 20e3, 5e3, 30e3, 3e3],
    )
    lat, lon = imp.samples.lat_deg.copy(), imp.samples.lon_deg.copy()
    lat[3, :50] = np.nan
    valid = np.array([True, True, True, False, True])
    imp = replace(imp, valid=valid, samples=replace(imp.samples, lat_deg=lat, lon_deg=lon))
    th = evaluator.evaluate(imp)
    p = th.country_probability
    allied = np.array([c in evaluator.alliance_members for c in th.countries])
    sea = np.array([c == SEA for c in th.countries])
    np.testing.assert_array_equal(th.allied, allied)
    np.testing.assert_array_equal(th.p_allied, p[:, allied].sum(axis=1))
    np.testing.assert_array_equal(th.p_sea, p[:, sea].sum(axis=1))
    np.testing.assert_array_equal(th.p_non_allied, p[:, ~allied & ~sea].sum(axis=1))
    j = np.argmax(np.where(np.isnan(p), -1.0, p), axis=1)
    names = np.array([*th.countries, None], dtype=object)
    assert list(th.most_likely_country) == [
        names[k] if v else None for k, v in zip(j, valid, strict=True)
    ]
    np.testing.assert_array_equal(
        th.most_likely_probability, np.where(valid, p[range(5), j], np.nan)
    )
    land = np.where(sea, -1.0, np.where(np.isnan(p), -1.0, p))
    jl = np.argmax(land, axis=1)
    has = valid & (land[range(5), jl] > 0.0)
    assert list(th.most_likely_land_country) == list(names[np.where(has, jl, -1)])
    assert th.most_likely_land_country[4] is None  # every sample at sea
    ok = valid[:, None] & np.isfinite(lat) & np.isfinite(lon)
    t_names, t_ref = _string_frequencies(territory_at, lat, lon, ok)
    jt = np.argmax(t_ref, axis=1)
    assert list(th.most_likely_territory) == [
        t_names[k] if v else None for k, v in zip(jt, valid, strict=True)
    ]
    values = np.array([a.value for a in evaluator.assets])
    var = th.asset_probability @ values
    np.testing.assert_allclose(th.value_at_risk, var, rtol=1e-15, atol=0.0)
    assert np.array_equal(np.isnan(th.value_at_risk), ~valid)
    pmax = np.where(valid, th.asset_probability.max(axis=1), np.nan)
    np.testing.assert_array_equal(
        th.category,
        category_rule(evaluator.asset_threshold, evaluator.territory_threshold, pmax,
                      th.p_allied, th.p_non_allied),
    )  # fmt: skip
    assert th.category.dtype == np.int8 and th.category[0] == ThreatCategory.ALLIED_TERRITORY
