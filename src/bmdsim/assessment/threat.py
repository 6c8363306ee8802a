"""Threat evaluation: whose territory and which defended assets each track endangers.

From the impact samples of an :class:`~bmdsim.assessment.types.ImpactPrediction` (every
sample equally likely) the evaluator counts, per track:

* the probability of impact in each country (``country_at`` of each sample; the sea is a
  category of its own, so each row sums to 1), and whether each country belongs to the
  scenario's alliance on the scenario's date;
* the most likely country, the most likely *land* country and the most likely territory
  (Natural Earth's finer names: ``country_at`` reports the UK Sovereign Base Area of
  Akrotiri on Cyprus as ``GBR``, an Ally, while the rest of the island is ``CYP``, not an
  Ally: "aimed at Cyprus" and "aimed at RAF Akrotiri" are told apart only by territory and
  place), and the gazetteer place nearest the mean impact point;
* the probability of impact inside each defended asset's disc (ground distance from the
  asset's point at most its radius).

Category rule (:meth:`ThreatEvaluator.categorise`), most severe first:

1. ``DEFENDED_ASSET`` when some asset's probability is at least ``asset_threshold``;
2. ``ALLIED_TERRITORY`` when the probability of impact on Allied land is at least
   ``territory_threshold``;
3. ``NON_ALLIED_TERRITORY`` when the probability of impact on other land is at least
   ``territory_threshold``;
4. ``NONE`` otherwise (the sea, most likely), and for tracks without a valid prediction.

Ranking across simultaneous threats: by category (most severe first), then by time to
impact (soonest first), then by value at risk ``sum_a value_a P(asset a)`` (largest first).
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from functools import cache, lru_cache

import numpy as np

from bmdsim.assessment.types import SEA, ImpactPrediction, ThreatAssessment, ThreatCategory
from bmdsim.earth.constants import A_M, E2
from bmdsim.earth.frames import geodetic_to_ecef


@dataclass(frozen=True, slots=True, kw_only=True)
class DefendedArea:
    """A defended asset as the evaluator sees it: a disc on the ground.

    id; lat_deg, lon_deg: centre [deg]; radius_m [m]; value: its weight.
    """

    id: str
    lat_deg: float
    lon_deg: float
    radius_m: float
    value: float = 1.0

    @classmethod
    def from_scenario(cls, asset) -> DefendedArea:
        """From a :class:`bmdsim.scenario.DefendedAsset`."""
        return cls(
            id=asset.id,
            lat_deg=asset.lat_deg,
            lon_deg=asset.lon_deg,
            radius_m=asset.radius_m,
            value=asset.value,
        )


@cache
def _label_table(kind: int) -> tuple[tuple[str, ...], np.ndarray]:
    """Every label of one kind (0: country codes, 1: territory names), sorted, with
    :data:`SEA` last, and ``(F + 1,)`` the position in that tuple of each border feature's
    label (the last entry, read by feature index ``-1``, is the sea)."""
    from bmdsim.earth.geography.borders import feature_labels

    lut = feature_labels()[kind]
    labels = [SEA if x is None else str(x) for x in lut]
    names = (*sorted(set(labels) - {SEA}), SEA)
    position = {name: i for i, name in enumerate(names)}
    return names, np.array([position[x] for x in labels], dtype=np.intp)


def _met(names, counts) -> tuple[tuple[str, ...], np.ndarray, np.ndarray]:
    """Labels met (of ``names``, sorted, :data:`SEA` last) in the counts ``(N, len(names))``,
    their positions in ``names`` ``(C,)``, and their labels as an object array with ``None``
    last (:func:`_labels`)."""
    met = counts.any(axis=0)
    key = (id(names), met.tobytes())
    hit = _MET.get(key)
    if hit is None or hit[0] is not names:
        idx = np.flatnonzero(met)
        kept = tuple(names[j] for j in idx)
        labels = _labels(kept)
        labels.setflags(write=False)
        if len(_MET) >= 4096:  # label sets are few (the countries around the impacts)
            _MET.clear()
        hit = _MET[key] = (names, kept, idx, labels)
    _, kept, idx, labels = hit
    return kept, idx, labels


#: (id of a label table, mask of its labels met) -> (the table, labels met, their positions,
#: their object labels); the tables are :func:`_label_table`'s, kept for the process
_MET: dict = {}


@lru_cache(maxsize=256)
def _country_flags(countries: tuple[str, ...], members: frozenset[str]):
    """``(C,)`` read-only masks of the countries ``countries`` (of :func:`_met`): allied,
    the sea, other land."""
    allied = np.array([c in members for c in countries], dtype=bool)
    is_sea = np.array([c == SEA for c in countries], dtype=bool)
    other = ~allied & ~is_sea
    for a in (allied, is_sea, other):
        a.setflags(write=False)
    return allied, is_sea, other


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreatEvaluator:
    """Evaluates impact predictions against territories, an alliance and defended assets.

    alliance_members: ISO alpha-3 codes of the alliance's members on the scenario's date;
    assets: the defended areas; asset_threshold, territory_threshold: probabilities of the
    category rule (module docstring); nearest_place: look up the gazetteer place nearest
    each mean impact point.
    """

    alliance_members: frozenset[str] = frozenset()
    assets: tuple[DefendedArea, ...] = ()
    asset_threshold: float = 0.1
    territory_threshold: float = 0.1
    nearest_place: bool = True
    _asset_ecef: np.ndarray = field(init=False, repr=False)
    _asset_near: np.ndarray = field(init=False, repr=False)
    #: ``(A,)`` squared radii [m^2] and values of the assets
    _asset_radius2: np.ndarray = field(init=False, repr=False)
    _asset_values: np.ndarray = field(init=False, repr=False)

    def __post_init__(self) -> None:
        if not (0.0 < self.asset_threshold <= 1.0 and 0.0 < self.territory_threshold <= 1.0):
            raise ValueError("thresholds must be in (0, 1]")
        ecef = (
            geodetic_to_ecef(
                [a.lat_deg for a in self.assets], [a.lon_deg for a in self.assets], 0.0
            )
            if self.assets
            else np.zeros((0, 3))
        )
        object.__setattr__(self, "_asset_ecef", ecef.reshape(-1, 3))
        object.__setattr__(self, "_asset_near", disc_neighbourhoods(
            [a.lat_deg for a in self.assets], [a.lon_deg for a in self.assets],
            [a.radius_m for a in self.assets],
        ))  # fmt: skip
        radius = np.array([a.radius_m for a in self.assets], dtype=float)
        object.__setattr__(self, "_asset_radius2", radius**2)
        object.__setattr__(
            self, "_asset_values", np.array([a.value for a in self.assets], dtype=float)
        )

    @classmethod
    def from_scenario(cls, scenario, **kwargs) -> ThreatEvaluator:
        """Alliance members on the scenario's date and its defended assets."""
        return cls(
            alliance_members=frozenset(scenario.alliance_members()),
            assets=tuple(DefendedArea.from_scenario(a) for a in scenario.defended_assets),
            **kwargs,
        )

    # -- the rule -------------------------------------------------------------------------
    def categorise(self, p_asset_max, p_allied, p_non_allied) -> np.ndarray:
        """``(N,)`` int8 :class:`ThreatCategory` values from the probabilities (see the
        module docstring). NaN probabilities (no valid prediction) give ``NONE``."""
        return category_rule(
            self.asset_threshold, self.territory_threshold, p_asset_max, p_allied, p_non_allied
        )

    @staticmethod
    def rank(category, time_to_impact_s, value_at_risk) -> np.ndarray:
        """``(N,)`` ranks, 1 = most urgent: category (severe first), time to impact (soonest
        first), value at risk (largest first); unknown times go last within a category."""
        tti = np.asarray(time_to_impact_s, dtype=float)
        var = np.asarray(value_at_risk, float)
        if tti.ndim == 1 and tti.size <= 1 and var.shape == tti.shape == np.shape(category):
            return np.ones(tti.size, np.int64)  # one track (or none): nothing to order
        order = np.lexsort(
            (
                -(var if np.isfinite(var).all() else np.nan_to_num(var)),
                np.where(np.isfinite(tti), tti, np.inf),
                -np.asarray(category, dtype=np.int64),
            )
        )
        rank = np.empty(len(order), np.int64)
        rank[order] = np.arange(1, len(order) + 1)
        return rank

    # -- evaluation -----------------------------------------------------------------------
    def evaluate(self, impacts: ImpactPrediction) -> ThreatAssessment:
        """Threat assessment of every track of ``impacts`` (which must carry samples)."""
        from bmdsim.earth.geography.borders import feature_index_at

        if impacts.samples is None:
            raise ValueError("threat evaluation needs impact samples (samples_per_track > 0)")
        n = len(impacts)
        valid = np.asarray(impacts.valid, bool)
        lat = np.asarray(impacts.samples.lat_deg, dtype=float)
        lon = np.asarray(impacts.samples.lon_deg, dtype=float)
        if valid.all():  # one look-up for countries and territories
            feature = feature_index_at(lat, lon)
        else:
            feature = np.full(lat.shape, -1, dtype=np.int64)
            feature[valid] = feature_index_at(lat[valid], lon[valid])
        countries, country_of = _label_table(0)
        territories, territory_of = _label_table(1)
        by_country = np.zeros((n, len(countries)), dtype=np.int64)
        by_territory = np.zeros((n, len(territories)), dtype=np.int64)
        usable = np.zeros(n, dtype=np.int64)
        _count_kernel()(
            valid, lat, lon, feature, country_of, territory_of, by_country, by_territory, usable
        )
        # labels met (countries and territories), then every frequency, sum, most likely
        # label and the category of each row in one compiled pass (the numpy expressions'
        # order of operations; see _summarise)
        countries, c_idx, country_labels = _met(countries, by_country)
        territories, t_idx, territory_labels = _met(territories, by_territory)
        allied, is_sea, _ = _country_flags(countries, self.alliance_members)
        na = len(self.assets)
        inside = np.zeros((n, na), dtype=np.int64)
        if na:
            _disc_kernel()(
                valid, lat, lon, self._asset_ecef, self._asset_radius2, self._asset_near, inside
            )
        p_country, p_territory = np.empty((n, c_idx.size)), np.empty((n, t_idx.size))
        p_asset = np.empty((n, na))
        sums = np.empty((5, n))  # p_allied, p_sea, p_non_allied, best_p, value_at_risk
        picks = np.empty((4, n), dtype=np.intp)  # best, land, territory, category
        _summary_kernel()(
            valid, by_country, c_idx, by_territory, t_idx, usable, allied, is_sea, inside,
            self._asset_values, self.asset_threshold, self.territory_threshold,
            p_country, p_territory, p_asset, sums, picks,
        )  # fmt: skip
        p_allied, p_sea, p_non_allied, best_p, value_at_risk = sums
        best = country_labels[picks[0]]
        best_land = country_labels[picks[1]]
        best_territory = territory_labels[picks[2]]
        category = picks[3].astype(np.int8)
        tti = impacts.time_to_impact_s
        place, place_d = self._nearest_places(impacts)
        return ThreatAssessment(
            track_ids=impacts.track_ids,
            time_s=impacts.time_s,
            countries=countries,
            country_probability=p_country,
            allied=allied,
            most_likely_country=best,
            most_likely_probability=best_p,
            most_likely_land_country=best_land,
            most_likely_territory=best_territory,
            nearest_place=place,
            nearest_place_distance_m=place_d,
            p_allied=p_allied,
            p_non_allied=p_non_allied,
            p_sea=p_sea,
            asset_ids=tuple(a.id for a in self.assets),
            asset_probability=p_asset,
            value_at_risk=value_at_risk,
            time_to_impact_s=tti,
            category=category,
            rank=self.rank(category, tti, value_at_risk),
        )

    def _nearest_places(self, impacts: ImpactPrediction) -> tuple[np.ndarray, np.ndarray]:
        n = len(impacts)
        names = np.full(n, None, dtype=object)
        dist = np.full(n, np.nan)
        rows = np.flatnonzero(np.asarray(impacts.valid, bool))
        if not self.nearest_place or rows.size == 0:
            return names, dist
        from bmdsim.earth.geography.places import nearest_place_names

        names[rows], dist[rows] = nearest_place_names(
            impacts.lat_deg[rows], impacts.lon_deg[rows], ecef=impacts.impact_ecef[rows]
        )
        return names, dist


def category_rule(
    asset_threshold: float, territory_threshold: float, p_asset_max, p_allied, p_non_allied
) -> np.ndarray:
    """:meth:`ThreatEvaluator.categorise` with the thresholds given (both ``> 0``): ``(N,)``
    int8 :class:`ThreatCategory` values. A NaN probability compares false with a positive
    threshold, as its ``nan_to_num`` (0) would: it gives ``NONE``."""
    p_asset_max = np.asarray(p_asset_max, dtype=float)
    p_allied = np.asarray(p_allied, dtype=float)
    p_non_allied = np.asarray(p_non_allied, dtype=float)
    cat = np.zeros(p_allied.shape, np.int8)  # ThreatCategory.NONE
    cat[p_non_allied >= territory_threshold] = ThreatCategory.NON_ALLIED_TERRITORY
    cat[p_allied >= territory_threshold] = ThreatCategory.ALLIED_TERRITORY
    cat[p_asset_max >= asset_threshold] = ThreatCategory.DEFENDED_ASSET
    return cat


def _labels(names: tuple[str, ...]) -> np.ndarray:
    """``(C + 1,)`` object array of ``names`` then ``None`` (read at index -1)."""
    out = np.empty(len(names) + 1, dtype=object)
    out[: len(names)] = names
    return out


def _count_samples(
    valid, lat, lon, feature, country_of, territory_of, countries, territories, usable
):  # pragma: no cover
    """Add, for each valid row ``i``, its usable samples (finite ``lat``, ``lon`` (N, S)) to
    ``usable[i]`` and to the counts ``countries``, ``territories`` (N, C) of their labels:
    ``country_of[f]``, ``territory_of[f]`` for border feature ``f = feature[i, j]`` (-1,
    the sea, reads the last entry). Compiled by :func:`_count_kernel`."""
    n, s = lat.shape
    for i in range(n):
        if not valid[i]:
            continue
        for j in range(s):
            if math.isfinite(lat[i, j]) and math.isfinite(lon[i, j]):
                f = feature[i, j]
                countries[i, country_of[f]] += 1
                territories[i, territory_of[f]] += 1
                usable[i] += 1


@cache
def _count_kernel():
    import numba

    return numba.njit(cache=True, nogil=True)(_count_samples)


def _summarise(
    valid,
    by_country,
    c_idx,
    by_territory,
    t_idx,
    usable,
    allied,
    is_sea,
    inside,
    values,
    asset_threshold,
    territory_threshold,
    p_country,
    p_territory,
    p_asset,
    sums,
    picks,
):  # pragma: no cover
    """Per row ``i`` of the counts ``by_country``, ``by_territory`` (all labels), ``inside``
    (assets) of ``usable[i]`` samples: the frequencies of the labels met (``c_idx``,
    ``t_idx``, their columns) into ``p_country``, ``p_territory`` and of the assets into
    ``p_asset`` (count / max(usable, 1), NaN where not ``valid``); into ``sums`` the
    probabilities of the ``allied``, the sea (``is_sea``) and the other countries met
    (summed in column order), the most likely country's and the value at risk
    (``sum_a values[a] p_asset[a]``); into ``picks`` the most likely country, land country
    and territory (positions among those met: the first of the largest counts, i.e. of the
    largest frequencies; -1, read as ``None``, where not valid or, for land, where no sample
    fell on land) and the category (:func:`category_rule`). Compiled by
    :func:`_summary_kernel`."""
    nan = np.nan
    for i in range(valid.shape[0]):
        ok = valid[i]
        u = float(max(usable[i], 1))
        pa = 0.0
        ps = 0.0
        pn = 0.0
        jb, cb, jl, cl = -1, -1, -1, -2
        for k in range(c_idx.shape[0]):
            c = by_country[i, c_idx[k]]
            p = c / u if ok else nan
            p_country[i, k] = p
            if allied[k]:
                pa += p
            elif is_sea[k]:
                ps += p
            else:
                pn += p
            if c > cb:
                jb, cb = k, c
            land = -1 if is_sea[k] else c
            if land > cl:
                jl, cl = k, land
        jt, ct = -1, -1
        for k in range(t_idx.shape[0]):
            c = by_territory[i, t_idx[k]]
            p_territory[i, k] = c / u if ok else nan
            if c > ct:
                jt, ct = k, c
        var = 0.0
        pmax = 0.0 if ok else nan
        for a in range(inside.shape[1]):
            p = inside[i, a] / u if ok else nan
            p_asset[i, a] = p
            var += values[a] * p
            if a == 0 or p > pmax or p != p:
                pmax = p
        sums[0, i] = pa
        sums[1, i] = ps
        sums[2, i] = pn
        sums[3, i] = p_country[i, jb] if (ok and jb >= 0) else nan
        sums[4, i] = var
        picks[0, i] = jb if ok else -1
        picks[1, i] = jl if (ok and cl > 0) else -1
        picks[2, i] = jt if ok else -1
        cat = 0  # ThreatCategory.NONE; NaN compares false
        if pn >= territory_threshold:
            cat = 1
        if pa >= territory_threshold:
            cat = 2
        if pmax >= asset_threshold:
            cat = 3
        picks[3, i] = cat


@cache
def _summary_kernel():
    import numba

    return numba.njit(cache=True, nogil=True)(_summarise)


def disc_neighbourhoods(lat_deg, lon_deg, radius_m) -> np.ndarray:
    """``(A, 4)`` latitude, longitude [deg] of discs' centres on the ellipsoid and the
    half-widths [deg] of a latitude band and of a longitude band (wrapped) outside which
    no point of the ellipsoid is within ``radius_m (A,)`` (chord) of the centre: a point
    out of either band is out of the disc, without computing its position.

    Bounds (``b`` the semi-minor axis, ``psi`` geocentric latitude): a chord between points
    of the ellipsoid is at least ``2 b sin(gamma / 2)``, ``gamma`` the angle between their
    radius vectors, at least ``|psi_1 - psi_2| >= (1 - e^2) |phi_1 - phi_2|``; and at least
    its equatorial part ``2 sqrt(rho_1 rho_2) |sin(dlon / 2)|`` with ``rho = N cos(phi) >=
    a cos(phi)``, ``cos(phi)`` bounded below over the latitude band. The radius is taken 1 %
    + 1 m larger and each band 1e-4 deg wider than the bound, far beyond rounding."""
    lat = np.asarray(lat_deg, dtype=float).reshape(-1)
    lon = np.asarray(lon_deg, dtype=float).reshape(-1)
    r = np.asarray(radius_m, dtype=float).reshape(-1) * 1.01 + 1.0
    b = A_M * math.sqrt(1.0 - E2)
    q_lat = r / (2.0 * b)
    with np.errstate(invalid="ignore"):
        dlat = (
            np.where(
                q_lat < 1.0,
                np.degrees(2.0 * np.arcsin(np.minimum(q_lat, 1.0)) / (1.0 - E2)),
                np.inf,
            )
            + 1e-4
        )
        top = np.minimum(np.abs(lat) + dlat, 90.0)
        c = np.sqrt(np.maximum(np.cos(np.radians(top)), 0.0) * np.cos(np.radians(np.abs(lat))))
        q_lon = np.where(c > 0.0, r / (2.0 * A_M * np.where(c > 0.0, c, 1.0)), np.inf)
        dlon = (
            np.where(q_lon < 1.0, np.degrees(2.0 * np.arcsin(np.minimum(q_lon, 1.0))), np.inf)
            + 1e-4
        )
    return np.stack([lat, lon, dlat, dlon], axis=-1).reshape(-1, 4)


def _count_in_discs(valid, lat_deg, lon_deg, centres, radius2, near, out):  # pragma: no cover
    """Add to ``out (N, A)`` the usable samples ``(N, S)`` (finite, of valid rows) on the
    ellipsoid whose squared chord to ``centres (A, 3)`` (ECEF) is at most ``radius2 (A,)``
    [m^2]. A sample outside every disc's neighbourhood ``near (A, 4)``
    (:func:`disc_neighbourhoods`) is in no disc: its position is not computed.

    Compiled by :func:`_disc_kernel`. The arithmetic is that of
    :func:`bmdsim.earth.frames.geodetic_to_ecef` at zero altitude, then ``(dx^2 + dy^2) +
    dz^2`` (the order of numpy's sum over a last axis of 3), operation for operation, so
    the counts are those of the numpy expressions."""
    rad = np.pi / 180.0
    one_minus_e2 = 1.0 - E2
    n, s = lat_deg.shape
    for i in range(n):
        if not valid[i]:
            continue
        for j in range(s):
            if not (math.isfinite(lat_deg[i, j]) and math.isfinite(lon_deg[i, j])):
                continue
            close = False
            for a in range(near.shape[0]):
                if abs(lat_deg[i, j] - near[a, 0]) <= near[a, 2]:
                    dlon = abs(lon_deg[i, j] - near[a, 1]) % 360.0
                    if min(dlon, 360.0 - dlon) <= near[a, 3]:
                        close = True
                        break
            if not close:
                continue
            lat = lat_deg[i, j] * rad
            lon = lon_deg[i, j] * rad
            slat = np.sin(lat)
            clat = np.cos(lat)
            nu = A_M / np.sqrt(1.0 - E2 * slat * slat)
            x = (nu + 0.0) * clat * np.cos(lon)
            y = (nu + 0.0) * clat * np.sin(lon)
            z = (nu * one_minus_e2 + 0.0) * slat
            for a in range(centres.shape[0]):
                dx = x - centres[a, 0]
                dy = y - centres[a, 1]
                dz = z - centres[a, 2]
                if dx * dx + dy * dy + dz * dz <= radius2[a]:
                    out[i, a] += 1


@cache
def _disc_kernel():
    import numba

    return numba.njit(cache=True, nogil=True)(_count_in_discs)


__all__ = ["DefendedArea", "ThreatEvaluator"]
