"""Notional sensor types: BMD radars and space-based infrared payloads (public figures).

Two kinds of record, both frozen and SI inside:

* :class:`RadarType` — a radar's detection budget (reference SNR at a reference
  range and radar cross-section), its false-alarm probability and target
  fluctuation model, its field of regard, search/track timing and measurement
  accuracy;
* :class:`InfraredType` — a space-based infrared (OPIR) payload: frame time,
  line-of-sight accuracy, cloud-top altitude below which plumes are hidden, and
  the minimum radiant intensity it detects at a reference range.

The bundled file ``data/sensors.yaml`` is written in the units an analyst reads
(degrees, km, GHz, dB, mrad); :func:`sensor_from_mapping` converts to SI. Each
record cites its sources and lists in ``estimated_fields`` the figures that are
our engineering estimates rather than published numbers.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from enum import IntEnum, StrEnum
from functools import cache
from importlib import resources

import yaml

from bmdsim.catalog.errors import UnknownTypeError


class SensorKind(StrEnum):
    """What a sensor measures."""

    RADAR = "radar"
    SPACE_INFRARED = "space_infrared"


class SwerlingCase(IntEnum):
    """Target fluctuation model for the single-look detection probability.

    Cases II and IV equal I and III for one look, so only 0, 1 and 3 exist here.
    """

    NONFLUCTUATING = 0
    SWERLING_1 = 1
    SWERLING_3 = 3


@dataclass(frozen=True, slots=True, kw_only=True)
class RadarType:
    """A notional radar type. Angles in rad, ranges in m, times in s.

    Detection budget: the mean single-look SNR (power ratio) of a target of
    cross-section ``sigma`` at range ``R`` is
    ``reference_snr * (sigma / reference_rcs_m2) * (reference_range_m / R)**4``
    (radar range equation), times ``10**(track_snr_gain_db/10)`` for a track or
    cued dwell. Accuracy: each axis has a thermal part that scales as
    ``sqrt(reference_snr / snr)`` and a floor added in quadrature.
    """

    id: str
    name: str
    band: str
    frequency_hz: float
    role: str
    reference_snr_db: float
    reference_range_m: float
    reference_rcs_m2: float
    swerling: SwerlingCase
    pfa: float
    azimuth_half_width_rad: float
    min_elevation_rad: float
    max_elevation_rad: float
    search_max_elevation_rad: float
    max_range_m: float
    search_frame_s: float
    track_revisit_s: float
    track_snr_gain_db: float
    beamwidth_rad: float
    range_resolution_m: float
    range_sigma_ref_m: float
    angle_sigma_ref_rad: float
    range_rate_sigma_ref_m_s: float | None
    range_sigma_floor_m: float
    angle_sigma_floor_rad: float
    range_rate_sigma_floor_m_s: float
    sources: tuple[str, ...] = field(default=())
    estimated_fields: tuple[str, ...] = field(default=())
    notes: str = ""

    kind = SensorKind.RADAR

    def __post_init__(self) -> None:
        if not 0.0 < self.pfa < 1.0:
            raise ValueError(f"{self.id}: pfa must be in (0, 1), got {self.pfa}")
        if not 0.0 < self.azimuth_half_width_rad <= math.pi:
            raise ValueError(f"{self.id}: azimuth_half_width_rad must be in (0, pi]")
        if not (
            -math.pi / 2
            <= self.min_elevation_rad
            < self.search_max_elevation_rad
            <= self.max_elevation_rad
            <= math.pi / 2
        ):
            raise ValueError(
                f"{self.id}: need -90 deg <= min_elevation < search_max_elevation "
                "<= max_elevation <= 90 deg"
            )
        for name in (
            "frequency_hz",
            "reference_range_m",
            "reference_rcs_m2",
            "max_range_m",
            "search_frame_s",
            "track_revisit_s",
            "beamwidth_rad",
            "range_resolution_m",
        ):
            if not getattr(self, name) > 0.0:
                raise ValueError(f"{self.id}: {name} must be positive")

    @property
    def reference_snr(self) -> float:
        """Reference SNR as a power ratio (linear)."""
        return 10.0 ** (self.reference_snr_db / 10.0)

    @property
    def track_snr_gain(self) -> float:
        """Track/cued dwell SNR gain as a power ratio (linear)."""
        return 10.0 ** (self.track_snr_gain_db / 10.0)

    @property
    def measures_range_rate(self) -> bool:
        return self.range_rate_sigma_ref_m_s is not None

    @property
    def full_azimuth(self) -> bool:
        """True for 360-degree coverage (several fixed faces or a rotating antenna)."""
        return self.azimuth_half_width_rad >= math.pi


@dataclass(frozen=True, slots=True, kw_only=True)
class InfraredType:
    """A notional space-based infrared payload. Angles in rad, ranges in m, times in s.

    Detection: a plume of radiant intensity ``I`` [W/sr] at slant range ``R``
    gives the (amplitude) signal-to-noise ratio
    ``snr = tau * (I / min_radiant_intensity_w_sr) * (reference_range_m / R)**2``
    where ``tau`` is the Gaussian-noise threshold for ``pfa``; so the minimum
    radiant intensity is detected with probability 0.5 at the reference range.
    """

    id: str
    name: str
    band: str
    role: str
    orbit_class: str
    frame_s: float
    los_sigma_rad: float
    ifov_rad: float
    cloud_top_altitude_m: float
    min_radiant_intensity_w_sr: float
    reference_range_m: float
    pfa: float
    sources: tuple[str, ...] = field(default=())
    estimated_fields: tuple[str, ...] = field(default=())
    notes: str = ""

    kind = SensorKind.SPACE_INFRARED

    def __post_init__(self) -> None:
        if not 0.0 < self.pfa < 1.0:
            raise ValueError(f"{self.id}: pfa must be in (0, 1), got {self.pfa}")
        for name in (
            "frame_s",
            "los_sigma_rad",
            "ifov_rad",
            "min_radiant_intensity_w_sr",
            "reference_range_m",
        ):
            if not getattr(self, name) > 0.0:
                raise ValueError(f"{self.id}: {name} must be positive")
        if self.cloud_top_altitude_m < 0.0:
            raise ValueError(f"{self.id}: cloud_top_altitude_m must be >= 0")


#: Either sensor record.
SensorType = RadarType | InfraredType


def _radar_from_mapping(d: dict) -> RadarType:
    rad = math.radians
    rr = d.get("range_rate_sigma_ref_m_s")
    return RadarType(
        id=d["id"],
        name=d["name"],
        band=d["band"],
        frequency_hz=float(d["frequency_ghz"]) * 1e9,
        role=d.get("role", ""),
        reference_snr_db=float(d["reference_snr_db"]),
        reference_range_m=float(d["reference_range_km"]) * 1e3,
        reference_rcs_m2=float(d["reference_rcs_m2"]),
        swerling=SwerlingCase(int(d["swerling"])),
        pfa=float(d["pfa"]),
        azimuth_half_width_rad=rad(float(d["azimuth_half_width_deg"])),
        min_elevation_rad=rad(float(d["min_elevation_deg"])),
        max_elevation_rad=rad(float(d["max_elevation_deg"])),
        search_max_elevation_rad=rad(float(d["search_max_elevation_deg"])),
        max_range_m=float(d["max_range_km"]) * 1e3,
        search_frame_s=float(d["search_frame_s"]),
        track_revisit_s=float(d["track_revisit_s"]),
        track_snr_gain_db=float(d["track_snr_gain_db"]),
        beamwidth_rad=rad(float(d["beamwidth_deg"])),
        range_resolution_m=float(d["range_resolution_m"]),
        range_sigma_ref_m=float(d["range_sigma_ref_m"]),
        angle_sigma_ref_rad=float(d["angle_sigma_ref_mrad"]) * 1e-3,
        range_rate_sigma_ref_m_s=None if rr is None else float(rr),
        range_sigma_floor_m=float(d.get("range_sigma_floor_m", 0.0)),
        angle_sigma_floor_rad=float(d.get("angle_sigma_floor_mrad", 0.0)) * 1e-3,
        range_rate_sigma_floor_m_s=float(d.get("range_rate_sigma_floor_m_s", 0.0)),
        sources=tuple(d.get("sources", ())),
        estimated_fields=tuple(d.get("estimated_fields", ())),
        notes=d.get("notes", ""),
    )


def _infrared_from_mapping(d: dict) -> InfraredType:
    return InfraredType(
        id=d["id"],
        name=d["name"],
        band=d["band"],
        role=d.get("role", ""),
        orbit_class=d["orbit_class"],
        frame_s=float(d["frame_s"]),
        los_sigma_rad=float(d["los_sigma_urad"]) * 1e-6,
        ifov_rad=float(d["ifov_urad"]) * 1e-6,
        cloud_top_altitude_m=float(d["cloud_top_altitude_km"]) * 1e3,
        min_radiant_intensity_w_sr=float(d["min_radiant_intensity_w_sr"]),
        reference_range_m=float(d["reference_range_km"]) * 1e3,
        pfa=float(d["pfa"]),
        sources=tuple(d.get("sources", ())),
        estimated_fields=tuple(d.get("estimated_fields", ())),
        notes=d.get("notes", ""),
    )


def sensor_from_mapping(data: dict) -> SensorType:
    """Build a sensor record from a plain mapping in file units (degrees, km, GHz, dB,
    mrad, µrad), as in the bundled YAML or a scenario's inline type (validated by the
    caller); ``kind`` selects the record."""
    kind = SensorKind(data["kind"])
    if kind is SensorKind.RADAR:
        return _radar_from_mapping(data)
    return _infrared_from_mapping(data)


@cache
def _bundled() -> dict[str, SensorType]:
    text = resources.files("bmdsim.catalog").joinpath("data/sensors.yaml").read_text("utf-8")
    return {d["id"]: sensor_from_mapping(d) for d in yaml.safe_load(text)["sensors"]}


def sensors() -> dict[str, SensorType]:
    """All bundled sensor types, by catalog id."""
    return dict(_bundled())


def sensor(name: str) -> SensorType:
    """The bundled sensor type ``name``; :class:`UnknownTypeError` lists the known ids."""
    table = _bundled()
    try:
        return table[name]
    except KeyError:
        raise UnknownTypeError("sensor", name, list(table)) from None
