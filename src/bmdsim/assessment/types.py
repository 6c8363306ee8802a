"""Assessment data types: impact and launch predictions, threat evaluations, events.

Every record is a batch over tracks (track axis first). Ground uncertainties are 2x2
covariances in the local east-north plane [m^2] at the record's mean point (WGS-84
ellipsoid); an error ellipse of probability ``p`` has semi-axes ``sqrt(k2 lambda_i)`` with
``lambda_i`` the covariance eigenvalues and ``k2 = -2 ln(1 - p)`` (the chi-square quantile
with two degrees of freedom: 5.991 for 95 %, 1.386 for 50 %), and its orientation is the
azimuth of the major axis, clockwise from north in ``[0, pi)``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from enum import IntEnum
from functools import cache

import numpy as np

#: Label of the sea (no country) in country lists and probabilities.
SEA = "sea"


def ellipse_scale(probability) -> np.ndarray:
    """``k`` such that the ellipse ``d^T P^-1 d <= k^2`` holds ``probability`` of a 2-D
    Gaussian: ``k^2 = -2 ln(1 - p)``."""
    p = np.asarray(probability, dtype=float)
    if np.any((p <= 0.0) | (p >= 1.0)):
        raise ValueError("probability must be in (0, 1)")
    return np.sqrt(-2.0 * np.log1p(-p))


@cache
def _scale(probability: float) -> float:
    """``float(ellipse_scale(probability))``, once per probability."""
    return float(ellipse_scale(probability))


@dataclass(frozen=True, slots=True, kw_only=True)
class ErrorEllipse:
    """Error ellipses of a batch: semi-axes [m] and major-axis azimuth [rad, clockwise from
    north, in ``[0, pi)``] holding ``probability`` of a Gaussian ground distribution."""

    semi_major_m: np.ndarray
    semi_minor_m: np.ndarray
    azimuth_rad: np.ndarray
    probability: float

    @classmethod
    def from_covariance(cls, covariance_enu_m2, probability: float = 0.95) -> ErrorEllipse:
        """Ellipses of covariances ``(..., 2, 2)`` in the east-north plane [m^2]."""
        cov = np.asarray(covariance_enu_m2, dtype=float)
        w, v = np.linalg.eigh(0.5 * (cov + np.swapaxes(cov, -1, -2)))
        w = np.maximum(w, 0.0)
        k = _scale(float(probability))
        major = v[..., :, 1]  # (east, north) of the largest eigenvalue
        az = np.mod(np.arctan2(major[..., 0], major[..., 1]), np.pi)
        az = np.where(az >= np.pi, 0.0, az)
        return cls(
            semi_major_m=k * np.sqrt(w[..., 1]),
            semi_minor_m=k * np.sqrt(w[..., 0]),
            azimuth_rad=az,
            probability=float(probability),
        )

    @property
    def area_m2(self) -> np.ndarray:
        return np.pi * self.semi_major_m * self.semi_minor_m


def _take(record, index, skip=()):
    out = {}
    for f in fields(record):
        value = getattr(record, f.name)
        if f.name in skip or value is None or np.ndim(value) == 0:
            out[f.name] = value
        elif hasattr(value, "take") and not isinstance(value, np.ndarray):
            out[f.name] = value.take(index)
        else:
            out[f.name] = value[index]
    return type(record)(**out)


@dataclass(frozen=True, slots=True, kw_only=True)
class GroundSamples:
    """Sampled ground points of a batch (``S`` per track).

    lat_deg, lon_deg (N, S): WGS-84 geodetic [deg]; t_s (N, S): time at the point [s since
    epoch]; enu_m (N, S, 2): east, north [m] about the record's mean point.
    """

    lat_deg: np.ndarray
    lon_deg: np.ndarray
    t_s: np.ndarray
    enu_m: np.ndarray

    def take(self, index) -> GroundSamples:
        return _take(self, index)

    @property
    def n_samples(self) -> int:
        return int(self.lat_deg.shape[1])


@dataclass(frozen=True, slots=True, kw_only=True)
class _GroundEstimate:
    """Shared part of impact and launch estimates (a mean ground point with uncertainty)."""

    #: ``(N,)`` track numbers.
    track_ids: np.ndarray
    #: Time the estimate was made [s since epoch].
    time_s: float
    #: ``(N,)`` False where no estimate could be made (see the producer's docs).
    valid: np.ndarray
    #: ``(N,)`` mean point, WGS-84 geodetic [deg].
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    #: ``(N, 2, 2)`` covariance [m^2] in the east-north plane at the mean point.
    covariance_enu_m2: np.ndarray
    #: ``(N,)`` mean time of the event [s since epoch] and its standard deviation [s].
    event_time_s: np.ndarray
    event_time_std_s: np.ndarray
    #: Optional sampled ground points.
    samples: GroundSamples | None = None

    def __len__(self) -> int:
        return int(self.track_ids.shape[0])

    def ellipse(self, probability: float = 0.95) -> ErrorEllipse:
        """Error ellipses holding ``probability`` (Gaussian approximation)."""
        return ErrorEllipse.from_covariance(self.covariance_enu_m2, probability)

    def position_ecef(self) -> np.ndarray:
        """``(N, 3)`` mean point on the ellipsoid, ECEF [m]."""
        from bmdsim.earth.frames import geodetic_to_ecef

        return geodetic_to_ecef(self.lat_deg, self.lon_deg, 0.0)

    def offset_enu_m(self, lat_deg, lon_deg) -> np.ndarray:
        """``(N, 2)`` east, north [m] of points ``(N,)`` (on the ellipsoid) from the means."""
        from bmdsim.earth.frames import ecef_to_enu, geodetic_to_ecef

        pts = geodetic_to_ecef(lat_deg, lon_deg, 0.0)
        return ecef_to_enu(pts, self.lat_deg, self.lon_deg, 0.0)[..., :2]

    def mahalanobis_squared(self, lat_deg, lon_deg) -> np.ndarray:
        """``(N,)`` squared Mahalanobis distance of points ``(N,)`` from the means."""
        from bmdsim.core.linalg import mahalanobis_squared

        return mahalanobis_squared(self.offset_enu_m(lat_deg, lon_deg), self.covariance_enu_m2)

    def contains(self, lat_deg, lon_deg, probability: float = 0.95) -> np.ndarray:
        """``(N,)`` whether each point lies inside the ellipse of ``probability``."""
        k = ellipse_scale(probability)
        return self.mahalanobis_squared(lat_deg, lon_deg) <= k * k


@dataclass(frozen=True, slots=True, kw_only=True)
class ImpactPrediction(_GroundEstimate):
    """Predicted impact points of a batch of tracks (see :class:`ImpactPredictor`).

    ``event_time_s`` is the mean impact time; ``impact_ecef`` the mean impact point on the
    ellipsoid; ``ellipse_*`` the 95 % error ellipse; ``samples``, when kept, the sampled
    impact points (the basis of country and asset probabilities).
    """

    #: ``(N, 3)`` mean impact point, ECEF [m].
    impact_ecef: np.ndarray
    #: ``(N,)`` 95 % ellipse semi-axes [m] and major-axis azimuth [rad].
    ellipse_semi_major_m: np.ndarray
    ellipse_semi_minor_m: np.ndarray
    ellipse_azimuth_rad: np.ndarray

    @property
    def impact_time_s(self) -> np.ndarray:
        return self.event_time_s

    @property
    def impact_time_std_s(self) -> np.ndarray:
        return self.event_time_std_s

    @property
    def time_to_impact_s(self) -> np.ndarray:
        """``(N,)`` mean time from :attr:`time_s` to impact [s]."""
        return self.event_time_s - self.time_s

    def take(self, index) -> ImpactPrediction:
        return _take(self, index, skip=("time_s",))


class LaunchMethod(IntEnum):
    """How a launch point was estimated."""

    #: No estimate (the track does not reach the ground backwards).
    NONE = 0
    #: Backward ballistic arc corrected by the catalog's nominal boost profile.
    BOOST_PROFILE = 1
    #: Infrared observation of the boost, traced down the nominal boost profile.
    INFRARED = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class LaunchEstimate(_GroundEstimate):
    """Estimated launch points of a batch of tracks (see :class:`LaunchPointEstimator`).

    ``event_time_s`` is the estimated launch time; ``country`` the ISO alpha-3 code at the
    mean launch point (:data:`SEA` at sea); ``method`` (N,) :class:`LaunchMethod` values;
    ``burnout_time_s`` (N,) the estimated end of powered flight [s since epoch] (NaN when
    the track's arc matched no nominal boost).
    """

    country: np.ndarray
    method: np.ndarray
    burnout_time_s: np.ndarray

    @property
    def launch_time_s(self) -> np.ndarray:
        return self.event_time_s

    def take(self, index) -> LaunchEstimate:
        return _take(self, index, skip=("time_s",))


class ThreatCategory(IntEnum):
    """What a threat endangers; the value orders severity (higher is more severe).

    The rule that assigns it is :meth:`bmdsim.assessment.ThreatEvaluator.categorise`.
    """

    NONE = 0
    NON_ALLIED_TERRITORY = 1
    ALLIED_TERRITORY = 2
    DEFENDED_ASSET = 3

    @property
    def label(self) -> str:
        return _CATEGORY_LABELS[self]


_CATEGORY_LABELS = {
    ThreatCategory.NONE: "no threat to land",
    ThreatCategory.NON_ALLIED_TERRITORY: "threat to non-Allied territory",
    ThreatCategory.ALLIED_TERRITORY: "threat to Allied territory",
    ThreatCategory.DEFENDED_ASSET: "threat to a defended asset",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreatAssessment:
    """Threat evaluation of a batch of tracks at ``time_s`` (see :class:`ThreatEvaluator`).

    countries (C,): ISO alpha-3 codes of every country some impact sample of the batch fell
    in, then :data:`SEA`; country_probability (N, C): probability of impact in each (rows
    sum to 1); allied (C,): membership of each in the scenario's alliance on its date.
    most_likely_country (N,) and its probability; most_likely_land_country (N,): the most
    likely country ignoring the sea (None when no sample fell on land);
    most_likely_territory (N,): the Natural Earth territory name most samples fell in
    (``"Akrotiri"``, ``"Turkey"``, :data:`SEA`); nearest_place (N,) and
    nearest_place_distance_m (N,): the gazetteer place nearest the mean impact point.
    p_allied, p_non_allied, p_sea (N,): probabilities of impact on Allied land, other land,
    the sea. asset_ids (A,), asset_probability (N, A): probability of impact inside each
    defended asset's disc; value_at_risk (N,): ``sum_a value_a P(asset a)``.
    time_to_impact_s (N,). category (N,) int8
    (:class:`ThreatCategory`); rank (N,) 1 = most urgent (see the evaluator's rule).
    object_class (N,) int8: :class:`bmdsim.assessment.discrimination.ObjectClass` (RV, spent
    stage, unknown; all unknown when not given). A spent stage's category is ``NONE``.
    """

    track_ids: np.ndarray
    time_s: float
    countries: tuple[str, ...]
    country_probability: np.ndarray
    allied: np.ndarray
    most_likely_country: np.ndarray
    most_likely_probability: np.ndarray
    most_likely_land_country: np.ndarray
    most_likely_territory: np.ndarray
    nearest_place: np.ndarray
    nearest_place_distance_m: np.ndarray
    p_allied: np.ndarray
    p_non_allied: np.ndarray
    p_sea: np.ndarray
    asset_ids: tuple[str, ...]
    asset_probability: np.ndarray
    value_at_risk: np.ndarray
    time_to_impact_s: np.ndarray
    category: np.ndarray
    rank: np.ndarray
    object_class: np.ndarray | None = None

    def __post_init__(self) -> None:
        if self.object_class is None:
            object.__setattr__(self, "object_class", np.zeros(len(self.track_ids), np.int8))

    def __len__(self) -> int:
        return int(self.track_ids.shape[0])

    def probability_of(self, country: str) -> np.ndarray:
        """``(N,)`` probability of impact in ``country`` (ISO alpha-3 or :data:`SEA`)."""
        if country not in self.countries:
            return np.zeros(len(self))
        return self.country_probability[:, self.countries.index(country)]

    def categories(self) -> list[ThreatCategory]:
        return [ThreatCategory(int(c)) for c in self.category]


@dataclass(frozen=True, slots=True, kw_only=True)
class AirspaceCrossing:
    """One stretch of a predicted trajectory over one country (or the sea).

    track_id; country: ISO alpha-3 or :data:`SEA`; entry_s, exit_s: times over it [s since
    epoch]; min_alt_m, max_alt_m: altitude range of the trajectory there [m];
    below_100km: whether any of it is under 100 km (the conventional upper edge of
    national airspace; a midcourse missile flies above it, in space).
    """

    track_id: int
    country: str
    entry_s: float
    exit_s: float
    min_alt_m: float
    max_alt_m: float
    below_100km: bool


# ---- events -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class ThreatEvaluated:
    """A track was evaluated for the first time (time_s: epoch seconds)."""

    time_s: float
    track_id: int
    category: str
    most_likely_country: str
    probability: float
    most_likely_land_country: str
    p_allied: float
    impact_lat_deg: float
    impact_lon_deg: float
    ellipse_semi_major_m: float
    ellipse_semi_minor_m: float
    ellipse_azimuth_deg: float
    time_to_impact_s: float
    rank: int
    object_class: str = "unknown"
    kind: str = "threat_evaluated"


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreatUpdated:
    """A periodic re-evaluation of a track (at most one per track per period)."""

    time_s: float
    track_id: int
    category: str
    most_likely_country: str
    probability: float
    p_allied: float
    impact_lat_deg: float
    impact_lon_deg: float
    ellipse_semi_major_m: float
    ellipse_semi_minor_m: float
    time_to_impact_s: float
    rank: int
    object_class: str = "unknown"
    kind: str = "threat_updated"


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreatCategoryChanged:
    """A track's threat category changed (labels of :class:`ThreatCategory`)."""

    time_s: float
    track_id: int
    previous: str
    current: str
    p_allied: float
    kind: str = "threat_category_changed"


@dataclass(frozen=True, slots=True, kw_only=True)
class ImpactCountryChanged:
    """A track's most likely impact country changed (e.g. CYP -> TUR)."""

    time_s: float
    track_id: int
    previous: str
    current: str
    probability: float
    kind: str = "impact_country_changed"


@dataclass(frozen=True, slots=True, kw_only=True)
class LaunchPointEstimated:
    """A track's launch point was estimated for the first time."""

    time_s: float
    track_id: int
    lat_deg: float
    lon_deg: float
    country: str
    launch_time_s: float
    ellipse_semi_major_m: float
    ellipse_semi_minor_m: float
    method: str
    kind: str = "launch_point_estimated"


AssessmentEvent = (
    ThreatEvaluated
    | ThreatUpdated
    | ThreatCategoryChanged
    | ImpactCountryChanged
    | LaunchPointEstimated
)

__all__ = [
    "SEA",
    "AirspaceCrossing",
    "AssessmentEvent",
    "ErrorEllipse",
    "GroundSamples",
    "ImpactCountryChanged",
    "ImpactPrediction",
    "LaunchEstimate",
    "LaunchMethod",
    "LaunchPointEstimated",
    "ThreatAssessment",
    "ThreatCategory",
    "ThreatCategoryChanged",
    "ThreatEvaluated",
    "ThreatUpdated",
    "ellipse_scale",
]
