"""Country borders: which country a point lies in, names, geometries, rings for maps.

Data: Natural Earth 4.1.0 Admin-0 countries at 1:10m (public domain), converted from
the TopoJSON of ``world-atlas@2.0.2`` by ``tools/build_geography.py`` into
``data/borders.npz`` (sources, code choices and licences in ``docs/geography.md``).
The quantization of that TopoJSON puts vertices on a grid of 0.0036 deg of longitude by
0.0017 deg of latitude (about 400 m by 190 m), and 1:10m borders are generalised at
the few-hundred-metre level: answers within about a kilometre of a border or a
coast are only as good as that.

Codes are ISO 3166-1 alpha-3. Each Natural Earth feature carries the code of the
state with sovereignty over it; notably Akrotiri and Dhekelia (UK Sovereign Base
Areas) are ``GBR``, and the Republic of Cyprus, the UN buffer zone and the north of
the island are ``CYP``. A few codes are not ISO codes: ``XKX`` (Kosovo), ``XSP``
(Spratly Islands, disputed), ``XSC`` (Scarborough Reef, disputed). The Vatican is too
small for the data (points there read ``ITA``).

Geometries are in longitude/latitude order (x = lon_deg, y = lat_deg), WGS-84 degrees.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import cache
from importlib import resources

import numpy as np

from bmdsim.earth.geography import UnknownNameError


@dataclass(frozen=True, slots=True, kw_only=True)
class BorderRing:
    """One closed ring of a country's outline, for plotting.

    ``lonlat_deg``: ``(n, 2)`` array of ``[lon_deg, lat_deg]`` (GeoJSON order), first
    point repeated last. ``feature`` is the Natural Earth feature name (several
    features can share one code: "Cyprus", "N. Cyprus", ...). ``hole`` marks an
    interior ring (e.g. Lesotho's outline inside South Africa's)."""

    iso3: str
    feature: str
    hole: bool
    lonlat_deg: np.ndarray


class _Borders:
    """Decoded borders, lookup grid and the mixed cells' clipped polygons (filled lazily)."""

    def __init__(self, path=None) -> None:
        import shapely

        if path is None:
            path = resources.files("bmdsim.earth") / "data" / "borders.npz"
        with path.open("rb") as f, np.load(f) as z:
            d = {name: z[name] for name in z.files}
        self.feature_iso3 = d["feature_iso3"].astype(object)
        self.feature_name = d["feature_name"].astype(object)
        self.names = dict(zip(d["country_iso3"].tolist(), d["country_name"].tolist(), strict=True))
        # integer grid coordinates, delta-encoded per ring
        q = np.cumsum(d["coords_delta"].astype(np.int64), axis=0)
        ring_off = d["ring_offsets"]
        starts, lengths = ring_off[:-1], np.diff(ring_off)
        before = np.zeros_like(q)
        before[1:] = q[:-1]
        q -= np.repeat(before[starts], lengths, axis=0)
        sx, sy, tx, ty = d["transform"]
        coords = np.column_stack([q[:, 0] * sx + tx, q[:, 1] * sy + ty])
        coords[d["exact_index"]] = d["exact_xy"]
        self.geoms = shapely.from_ragged_array(
            shapely.GeometryType.MULTIPOLYGON,
            coords,
            (ring_off, d["polygon_offsets"], d["feature_offsets"]),
        )
        self.bounds = shapely.bounds(self.geoms)
        self.grid_deg = float(d["grid_deg"])
        self.grid = d["grid"].ravel()
        self.n_lon = d["grid"].shape[1]
        self.mixed_cells = d["mixed_cells"]
        self.mixed_offsets = d["mixed_offsets"]
        self.mixed_features = d["mixed_features"]
        # code of feature k at k, None (sea) at -1
        self.code_lut = np.append(self.feature_iso3, None)
        self.name_lut = np.append(self.feature_name, None)
        # clipped candidate polygons of the mixed cells, filled as points need them
        self._clip_lock = threading.Lock()
        self._edge_start = np.full(self.mixed_features.size, -1, dtype=np.int64)
        self._edge_stop = np.full(self.mixed_features.size, -1, dtype=np.int64)
        self._edges = np.empty((0, 4))

    def feature_at(self, lat: np.ndarray, lon: np.ndarray, *, wrap: bool = False) -> np.ndarray:
        """Feature index of each point (1-D arrays, deg), -1 at sea or for NaN.

        ``wrap``: bring the longitudes into ``[-180, 180)`` first (as
        ``mod(lon + 180, 360) - 180``); without it they must be there already."""
        lat = np.ascontiguousarray(lat, dtype=float)
        lon = np.ascontiguousarray(lon, dtype=float)
        out = np.empty(lat.shape, dtype=np.int64)
        # the points in mixed cells, listed by the grid pass (pages touched only as filled)
        index = np.empty(lat.shape, dtype=np.int64)
        cell = np.empty(lat.shape, dtype=np.int64)
        lat_m, lon_m = np.empty(lat.shape), np.empty(lat.shape)
        n_mixed = _grid_kernel()(
            lat, lon, self.grid, self.n_lon, self.grid_deg, wrap, out, index, cell, lat_m, lon_m
        )
        if n_mixed < 0:
            raise ValueError("latitude outside [-90, 90] deg")
        if n_mixed:
            m = slice(0, n_mixed)
            self._resolve_mixed(out, index[m], lat_m[m], lon_m[m], cell[m])
        return out

    def _resolve_mixed(self, out, mixed, lat, lon, cell) -> None:
        """Points ``mixed`` of ``out`` (in mixed cells ``cell``, at ``lat``, ``lon``): the
        first candidate feature of their cell whose polygon contains them (boundary
        included), else -1.

        Each candidate is tested against its polygon clipped to the cell (a few dozen
        edges, clipped by GEOS once per process and kept), by the compiled crossing-number
        test of :func:`_mixed_points`."""
        kernel = _mixed_kernel()
        # one compiled call when every candidate of the cells met is clipped already
        edge_start, edge_stop, edges = self._edge_start, self._edge_stop, self._edges
        args = (self.mixed_cells, self.mixed_offsets, self.mixed_features)
        if kernel(out, mixed, lat, lon, cell, *args, edge_start, edge_stop, edges):
            return
        row = np.searchsorted(self.mixed_cells, cell)
        rows = np.unique(row)
        start, count = self.mixed_offsets[rows], np.diff(self.mixed_offsets)[rows]
        # every candidate (cell, feature) pair of the cells touched
        pairs = np.repeat(start - np.cumsum(count) + count, count) + np.arange(count.sum())
        edge_start, edge_stop, edges = self._clipped_edges(pairs)
        done = kernel(out, mixed, lat, lon, cell, *args, edge_start, edge_stop, edges)
        assert done, "every candidate of the cells met is clipped"

    def _clipped_edges(self, pairs) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(start, stop, edges)``: edges ``(E, 4)`` ``[x0, y0, x1, y1]`` (lon, lat deg) of
        every candidate pair's polygon clipped to its cell, pair ``j``'s in rows
        ``start[j]:stop[j]``; clips the pairs of ``pairs`` not clipped yet."""
        with self._clip_lock:
            todo = pairs[self._edge_start[pairs] < 0]
            if todo.size:
                self._clip(todo)
            return self._edge_start, self._edge_stop, self._edges

    def _clip(self, pairs) -> None:
        import shapely

        row = np.searchsorted(self.mixed_offsets, pairs, side="right") - 1
        c = self.mixed_cells[row]
        lat0 = (c // self.n_lon) * self.grid_deg - 90.0
        lon0 = (c % self.n_lon) * self.grid_deg - 180.0
        # the cell with a margin: a point the grid pass put in the cell may lie a rounding
        # error outside it
        pad = 1e-7
        boxes = shapely.box(
            lon0 - pad, lat0 - pad, lon0 + self.grid_deg + pad, lat0 + self.grid_deg + pad
        )
        clipped = shapely.intersection(self.geoms[self.mixed_features[pairs]], boxes)
        parts, owner = shapely.get_parts(clipped, return_index=True)
        while True:  # collections and multi-parts down to single geometries
            multi = shapely.get_num_geometries(parts) > 1
            if not multi.any():
                break
            sub, k = shapely.get_parts(parts, return_index=True)
            parts, owner = sub, owner[k]
        polygon = shapely.get_type_id(parts) == 3
        rings, ring_owner = shapely.get_rings(parts[polygon], return_index=True)
        ring_pair = owner[polygon][ring_owner]
        xy, ring = shapely.get_coordinates(rings, return_index=True)
        e = np.flatnonzero(ring[1:] == ring[:-1])  # consecutive vertices of one ring
        new = np.column_stack([xy[e], xy[e + 1]])
        per_pair = np.bincount(ring_pair[ring[e]], minlength=pairs.size)
        base = self._edges.shape[0]
        stop = base + np.cumsum(per_pair)
        edge_start, edge_stop = self._edge_start.copy(), self._edge_stop.copy()
        edge_start[pairs], edge_stop[pairs] = stop - per_pair, stop
        # new arrays, never written in place: a concurrent reader keeps a consistent set
        self._edges = np.concatenate([self._edges, new])
        self._edge_start, self._edge_stop = edge_start, edge_stop


def _grid_lookup(
    lat, lon, grid, n_lon, grid_deg, wrap, state, index, cell, lat_m, lon_m
):  # pragma: no cover
    """Grid pass of :meth:`_Borders.feature_at` (compiled by :func:`_grid_kernel`).

    Writes each point's grid state (-1 sea or non-finite, k feature, -2 mixed) and lists
    the mixed points (index, cell, latitude, wrapped longitude) first in ``index``, ``cell``,
    ``lat_m``, ``lon_m``; returns how many, or -1 at a latitude beyond +-90 deg. The
    arithmetic is numpy's: ``mod(lon + 180, 360) - 180`` (Python/numpy float modulo), cell
    indices truncated."""
    n_lat = grid.size // n_lon
    n_mixed = 0
    for p in range(lat.size):
        la = lat[p]
        if abs(la) > 90.0:
            return -1
        lo = lon[p]
        if wrap:
            t = lo + 180.0
            if not (t >= 0.0 and t < 360.0):
                t = t % 360.0  # Python's float modulo, as numpy's
            lo = t - 180.0
        if not (math.isfinite(la) and math.isfinite(lo)):
            state[p] = -1
            continue
        i = min(int((la + 90.0) / grid_deg), n_lat - 1)
        j = min(int((lo + 180.0) / grid_deg), n_lon - 1)
        c = i * n_lon + j
        state[p] = grid[c]
        if grid[c] == -2:
            index[n_mixed] = p
            cell[n_mixed] = c
            lat_m[n_mixed] = la
            lon_m[n_mixed] = lo
            n_mixed += 1
    return n_mixed


@cache
def _grid_kernel():
    import numba

    return numba.njit(cache=True, nogil=True)(_grid_lookup)


def _mixed_points(
    out, mixed, lat, lon, cell, mixed_cells, mixed_offsets, features, edge_start, edge_stop,
    edges,
):  # pragma: no cover
    """Compiled part of :meth:`_Borders._resolve_mixed`: ``out[mixed[q]]`` is the first of
    point ``q``'s candidates — the features ``features[j]``, ``j`` in
    ``mixed_offsets[r]:mixed_offsets[r + 1]`` of its cell's row ``r`` in ``mixed_cells`` —
    whose clipped polygon (edges ``edge_start[j]:edge_stop[j]`` of ``edges``) contains it,
    else -1. Returns False, writing nothing, when some candidate of the cells met is not
    clipped yet (``edge_start[j] < 0``).

    A point is in a polygon (closed rings, holes included) when it lies on one of its
    edges (exact collinearity test) or when a ray from it towards +x crosses its edges an
    odd number of times (W. R. Franklin's PNPOLY rule: an edge counts when its end points
    lie on opposite sides of the ray's line, the upper end point excluded)."""
    for q in range(mixed.size):
        r = np.searchsorted(mixed_cells, cell[q])
        for j in range(mixed_offsets[r], mixed_offsets[r + 1]):
            if edge_start[j] < 0:
                return False
    for q in range(mixed.size):
        x, y = lon[q], lat[q]
        r = np.searchsorted(mixed_cells, cell[q])
        found = -1
        for j in range(mixed_offsets[r], mixed_offsets[r + 1]):
            inside = False
            for e in range(edge_start[j], edge_stop[j]):
                x0, y0, x1, y1 = edges[e, 0], edges[e, 1], edges[e, 2], edges[e, 3]
                if min(x0, x1) <= x <= max(x0, x1) and min(y0, y1) <= y <= max(y0, y1):
                    if (x1 - x0) * (y - y0) == (y1 - y0) * (x - x0):
                        inside = True
                        break
                if (y0 > y) != (y1 > y):
                    if x < (x1 - x0) * (y - y0) / (y1 - y0) + x0:
                        inside = not inside
            if inside:
                found = features[j]
                break
        out[mixed[q]] = found
    return True


@cache
def _mixed_kernel():
    import numba

    return numba.njit(cache=True, nogil=True)(_mixed_points)


@cache
def _borders() -> _Borders:
    return _Borders()


def country_at(lat_deg, lon_deg):
    """ISO 3166-1 alpha-3 code of the country at each point, ``None`` at sea.

    ``lat_deg``, ``lon_deg``: WGS-84 geodetic degrees, scalars or arrays that
    broadcast; longitudes in any turn (``370`` is ``10``). A scalar query returns a
    ``str`` or ``None``; an array query an object array of the broadcast shape. A
    point on a border gets one of the countries that share it; NaN gives ``None``.
    """
    return _lookup(lat_deg, lon_deg, _borders().code_lut)


def territory_at(lat_deg, lon_deg):
    """Natural Earth name of the territory at each point (``"N. Cyprus"``,
    ``"Akrotiri"``, ``"Turkey"``, ...), ``None`` at sea; shapes as :func:`country_at`.

    Finer than the country code where several territories share one code."""
    return _lookup(lat_deg, lon_deg, _borders().name_lut)


def feature_index_at(lat_deg, lon_deg) -> np.ndarray:
    """Index of the Natural Earth feature at each point, ``-1`` at sea or for NaN.

    The one look-up behind both :func:`country_at` and :func:`territory_at`:
    ``feature_labels()`` maps the indices to codes and names (``codes[k]`` is
    ``country_at``, ``names[k]`` is ``territory_at``), so a caller that needs both,
    or integer labels, looks each point up once. Arguments as :func:`country_at`;
    returns an ``int64`` array of the broadcast shape (0-d for scalars).
    """
    lat, lon = np.broadcast_arrays(np.asarray(lat_deg, float), np.asarray(lon_deg, float))
    return _borders().feature_at(lat.ravel(), lon.ravel(), wrap=True).reshape(lat.shape)


def feature_labels() -> tuple[np.ndarray, np.ndarray]:
    """``(codes, names)``: read-only object arrays of the ISO alpha-3 code and the
    territory name of each feature of :func:`feature_index_at`, each with one more
    entry, ``None`` (the sea), last, so that index ``-1`` reads ``None``."""
    b = _borders()
    codes, names = b.code_lut.view(), b.name_lut.view()
    codes.flags.writeable = False
    names.flags.writeable = False
    return codes, names


def _lookup(lat_deg, lon_deg, lut: np.ndarray):
    feature = feature_index_at(lat_deg, lon_deg)
    values = lut[feature.ravel()]
    return values[0] if feature.shape == () else values.reshape(feature.shape)


def country_name(iso3: str) -> str:
    """English short name of a country (``"TUR" -> "Türkiye"``)."""
    names = _borders().names
    try:
        return names[iso3]
    except KeyError:
        raise UnknownNameError("country code", iso3, countries()) from None


def countries() -> list[str]:
    """Sorted alpha-3 codes that :func:`country_at` can return."""
    return sorted(set(_borders().feature_iso3))


def country_geometry(iso3: str):
    """Shapely (Multi)Polygon of a country in lon/lat degrees: the union of its features
    (``"CYP"`` is the whole island but the two UK Sovereign Base Areas)."""
    return _country_geometry(_check(iso3))


@cache
def _country_geometry(iso3: str):
    import shapely

    b = _borders()
    parts = b.geoms[b.feature_iso3 == iso3]
    return parts[0] if len(parts) == 1 else shapely.union_all(parts)


def _check(iso3: str) -> str:
    if iso3 not in set(_borders().feature_iso3):
        raise UnknownNameError("country code", iso3, countries())
    return iso3


def border_rings(bbox: tuple[float, float, float, float] | None = None) -> list[BorderRing]:
    """Every ring of every polygon whose bounding box meets ``bbox``.

    ``bbox = (lon_min_deg, lat_min_deg, lon_max_deg, lat_max_deg)``; ``None`` for the
    whole world. Rings are whole (not clipped to ``bbox``), in GeoJSON order."""
    import shapely

    b = _borders()
    parts, part_feature = shapely.get_parts(b.geoms, return_index=True)
    if bbox is not None:
        x0, y0, x1, y1 = bbox
        pb = shapely.bounds(parts)
        keep = (pb[:, 0] <= x1) & (pb[:, 2] >= x0) & (pb[:, 1] <= y1) & (pb[:, 3] >= y0)
        parts, part_feature = parts[keep], part_feature[keep]
    rings = []
    for poly, k in zip(parts, part_feature, strict=True):
        for r, ring in enumerate(shapely.get_rings(poly)):
            rings.append(
                BorderRing(
                    iso3=b.feature_iso3[k],
                    feature=b.feature_name[k],
                    hole=r > 0,
                    lonlat_deg=shapely.get_coordinates(ring),
                )
            )
    return rings
