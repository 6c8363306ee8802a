"""Gazetteer: exact-name look-up and nearest places."""

from __future__ import annotations

import numpy as np
import pytest
from pyproj import Geod

from bmdsim.earth import nearest_places as lazy_nearest_places
from bmdsim.earth import place as lazy_place
from bmdsim.earth.geography import UnknownNameError, country_at
from bmdsim.earth.geography.places import Place, PlaceKind, ascii_name, nearest_places, place

GEOD = Geod(ellps="WGS84")

# reference coordinates: shared/reference/places.md (rounded to 0.01 deg) and, for the
# military sites, the Wikipedia articles cited in data/sites.csv
REFERENCE = {
    "Dörtyol": (36.84, 36.23, "TUR", PlaceKind.POPULATED_PLACE),
    "İskenderun": (36.59, 36.17, "TUR", PlaceKind.POPULATED_PLACE),
    "Antakya": (36.20, 36.16, "TUR", PlaceKind.POPULATED_PLACE),
    "Adana": (37.00, 35.32, "TUR", PlaceKind.POPULATED_PLACE),
    "Malatya": (38.35, 38.31, "TUR", PlaceKind.POPULATED_PLACE),
    "Limassol": (34.70, 33.03, "CYP", PlaceKind.POPULATED_PLACE),
    "Nicosia": (35.17, 33.36, "CYP", PlaceKind.POPULATED_PLACE),
    "Tabriz": (38.08, 46.29, "IRN", PlaceKind.POPULATED_PLACE),
    "Kermanshah": (34.31, 47.07, "IRN", PlaceKind.POPULATED_PLACE),
    "Mosul": (36.34, 43.13, "IRQ", PlaceKind.POPULATED_PLACE),
    "Aleppo": (36.20, 37.16, "SYR", PlaceKind.POPULATED_PLACE),
    "Kürecik Radar Station": (38.34944, 37.79361, "TUR", PlaceKind.RADAR_SITE),
    "İncirlik Air Base": (37.00194, 35.42583, "TUR", PlaceKind.AIR_BASE),
    "RAF Akrotiri": (34.59056, 32.98778, "GBR", PlaceKind.AIR_BASE),
    "Ramstein Air Base": (49.43683, 7.60033, "DEU", PlaceKind.AIR_BASE),
}


@pytest.mark.parametrize("name", list(REFERENCE))
def test_place_is_found_where_the_reference_puts_it(name):
    lat, lon, country, kind = REFERENCE[name]
    p = place(name)
    assert isinstance(p, Place) and p.name == name
    assert (p.country, p.kind) == (country, kind)
    _, _, d = GEOD.inv(lon, lat, p.lon_deg, p.lat_deg)
    assert d < 2_500.0, f"{name}: {d:.0f} m from the reference coordinates"


def test_places_lie_in_the_country_their_record_names():
    for name in REFERENCE:
        p = place(name)
        assert country_at(p.lat_deg, p.lon_deg) == p.country, name


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("Dortyol", "Dörtyol"),
        ("dörtyol", "Dörtyol"),
        ("DORTYOL", "Dörtyol"),
        ("Iskenderun", "İskenderun"),
        ("iskenderun", "İskenderun"),
        ("Kurecik", "Kürecik Radar Station"),
        ("Kürecik", "Kürecik Radar Station"),
        ("Incirlik", "İncirlik Air Base"),
        ("Akrotiri", "RAF Akrotiri"),
        ("Ramstein", "Ramstein Air Base"),
        ("Urmia", "Orūmīyeh"),
        ("Girne", "Kyrenia"),
        ("Lefkosa", "Nicosia"),
    ],
)
def test_place_lookup_ignores_accents_and_case_and_knows_aliases(query, expected):
    assert place(query).name == expected


def test_place_prefers_the_most_populous_and_filters_by_country():
    assert place("Athens").country == "GRC"
    assert place("Athens", country="USA").country == "USA"
    assert place("Athens", country="USA").population < place("Athens").population


def test_place_does_not_match_substrings():
    """Adana is Adana, never a town whose alternate names merely contain "Adana"."""
    p = place("Adana")
    assert p.country == "TUR" and p.population > 1_000_000


def test_unknown_place_lists_close_matches():
    with pytest.raises(UnknownNameError) as err:
        place("Adanna")
    assert "Adana" in err.value.suggestions
    assert "unknown place 'Adanna'" in str(err.value)
    with pytest.raises(UnknownNameError):
        place("Dörtyol", country="SYR")


def test_ascii_name_folds_turkish_and_other_letters():
    assert ascii_name("Dörtyol") == "Dortyol"
    assert ascii_name("İskenderun") == "Iskenderun"
    assert ascii_name("Reyhanlı") == "Reyhanli"
    assert ascii_name("Yayladağı") == "Yayladagi"
    assert ascii_name("Kürecik") == "Kurecik"
    assert ascii_name("Øresund Straße") == "Oresund Strasse"


def test_nearest_to_dortyol_is_dortyol():
    lat, lon = 36.84, 36.23  # reported debris location, shared/reference/places.md
    near = nearest_places(lat, lon, k=5)
    assert len(near) == 5 and near[0].name == "Dörtyol"
    assert all(p.distance_m is not None for p in near)
    d = [p.distance_m for p in near]
    assert d == sorted(d)
    _, _, exact = GEOD.inv(lon, lat, near[0].lon_deg, near[0].lat_deg)
    assert abs(near[0].distance_m - exact) < 1e-6
    assert near[0].distance_m < 500.0


def test_nearest_to_raf_akrotiri_is_the_air_base_then_limassol_when_towns_only():
    lat, lon = 34.59, 32.99
    assert nearest_places(lat, lon, k=1)[0].name == "RAF Akrotiri"
    towns = nearest_places(lat, lon, k=3, min_population=100_000)
    assert towns[0].name == "Limassol"
    assert all(p.population >= 100_000 for p in towns)


def test_nearest_places_is_exact_against_brute_force():
    """The k-d tree answer equals sorting every place by its geodesic distance."""
    from bmdsim.earth.geography.places import _gazetteer

    g = _gazetteer()
    rng = np.random.default_rng(11)
    lat = np.concatenate([rng.uniform(30, 42, 6), [89.0, -60.0, 0.0]])
    lon = np.concatenate([rng.uniform(25, 50, 6), [0.0, 179.9, -179.9]])
    results = nearest_places(lat, lon, k=4)
    for la, lo, got in zip(lat, lon, results, strict=True):
        n = g.lat_deg.size
        _, _, d = GEOD.inv(np.full(n, lo), np.full(n, la), g.lon_deg, g.lat_deg)
        best = np.sort(d)[:4]
        assert np.allclose([p.distance_m for p in got], best, rtol=0, atol=1e-6)


def test_nearest_place_names_is_the_nearest_of_nearest_places():
    """The record-free look-up (with or without the ECEF points) gives the nearest place
    and its distance of ``nearest_places(k=1)``, for places and towns only."""
    from bmdsim.earth.frames import geodetic_to_ecef
    from bmdsim.earth.geography.places import nearest_place_names

    rng = np.random.default_rng(5)
    lat = np.concatenate([rng.uniform(30, 42, 40), [34.59, 36.84, 89.0, -60.0]])
    lon = np.concatenate([rng.uniform(25, 50, 40), [32.99, 36.23, 0.0, 179.9]])
    for pop in (0, 100_000):
        want = nearest_places(lat, lon, k=1, min_population=pop)
        for ecef in (None, geodetic_to_ecef(lat, lon, 0.0)):
            names, dist = nearest_place_names(lat, lon, ecef=ecef, min_population=pop)
            assert list(names) == [w[0].name for w in want]
            assert np.array_equal(dist, [w[0].distance_m for w in want])
    names, dist = nearest_place_names(np.zeros(0), np.zeros(0))
    assert names.shape == dist.shape == (0,)


def test_nearest_place_names_along_a_walk_reuses_its_neighbourhood_exactly():
    """Points moving a few km at a time (as mean impact points do from step to step) are
    answered from the kept neighbourhood, and the answers are those of the tree search;
    a jump far away moves the neighbourhood."""
    from bmdsim.earth.geography import places as gaz

    rng = np.random.default_rng(2)
    lat = 36.5 + np.cumsum(rng.normal(0.0, 0.03, (300, 2)), axis=0)
    lon = 36.0 + np.cumsum(rng.normal(0.0, 0.03, (300, 2)), axis=0)
    lat[150], lon[150] = (49.4, 7.6), (-33.9, 151.2)  # Ramstein, Sydney
    moved = 0
    for la, lo in zip(lat, lon, strict=True):
        before = gaz._LOCAL.get(0)
        names, dist = gaz.nearest_place_names(la, lo)
        moved += gaz._LOCAL.get(0) is not before
        want = nearest_places(la, lo, k=1)
        assert list(names) == [w[0].name for w in want]
        assert np.array_equal(dist, [w[0].distance_m for w in want])
    assert 1 <= moved < 60, moved  # mostly answered from the neighbourhood


def test_nearest_places_vectorised_shapes():
    one = nearest_places(36.84, 36.23, k=2)
    assert isinstance(one, list) and isinstance(one[0], Place)
    many = nearest_places(
        np.array([[36.84, 37.0], [34.59, 38.08]]), np.array([[36.23, 35.32], [32.99, 46.29]]), k=2
    )
    assert len(many) == 4 and all(len(row) == 2 for row in many)
    assert [row[0].name for row in many] == ["Dörtyol", "Adana", "RAF Akrotiri", "Tabriz"]
    with pytest.raises(ValueError):
        nearest_places(36.84, 36.23, k=0)


def test_lazy_exports_from_earth():
    assert lazy_place is place and lazy_nearest_places is nearest_places
