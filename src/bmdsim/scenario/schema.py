"""The scenario file schema (pydantic v2): one frozen record per section of the file.

Files use degrees, kilometres and knots where people think in them; every record offers
SI properties (``lat_rad``, ``radius_m``, ``ecef_m``, ...) for the layers that consume
it. Field checks live on the fields; checks that relate several fields or sections
(ids unique, references resolve, times inside the run, ...) are in
:mod:`bmdsim.scenario.checks` and run when a :class:`Scenario` is built.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from enum import StrEnum
from typing import Annotated, Any, Literal

import numpy as np
from pydantic import AfterValidator, Field, Strict, field_validator, model_validator
from pydantic_core import PydanticCustomError

from bmdsim.catalog.interceptors import InterceptorType
from bmdsim.catalog.missiles import MissileType
from bmdsim.scenario.errors import ScenarioError
from bmdsim.scenario.fields import (
    AltM,
    AzimuthDeg,
    Count,
    DurationS,
    Id,
    Iso3,
    LatDeg,
    LonDeg,
    Multiplier,
    PositiveCount,
    PositiveDurationS,
    PositiveFloat,
    Probability,
    SpecModel,
    Text,
    TimeS,
    number_field,
)
from bmdsim.scenario.types import (
    InterceptorRef,
    MissileRef,
    interceptor_type,
    missile_type,
)

KNOT_M_S = 1852.0 / 3600.0

#: Sensor types known without the sensor catalog (used if it cannot be imported).
FALLBACK_SENSOR_TYPES = ("an-tpy-2-fbm", "sbirs-geo", "sbirs-heo", "spy-1d")


def sensor_catalog() -> dict[str, Any] | None:
    """The sensor catalog ``{id: record}``, or None where it cannot be imported."""
    try:
        from bmdsim.catalog.sensors import sensors
    except ImportError:
        return None
    return sensors()


def sensor_type_ids() -> tuple[str, ...]:
    table = sensor_catalog()
    return FALLBACK_SENSOR_TYPES if table is None else tuple(sorted(table))


def _known_sensor(name: str) -> str:
    known = sensor_type_ids()
    if name not in known:
        raise PydanticCustomError(
            "unknown_type", "unknown sensor type", {"allowed": "one of: " + ", ".join(known)}
        )
    return name


def _sensor_schema(schema: dict[str, Any]) -> None:
    schema["enum"] = list(sensor_type_ids())


SensorTypeId = Annotated[
    str, Strict(), AfterValidator(_known_sensor),
    Field(description="sensor catalog id", json_schema_extra=_sensor_schema),
]


# ---------------------------------------------------------------- places


class GeoPoint(SpecModel):
    """A point on the ground (WGS-84 geodetic degrees)."""

    lat_deg: LatDeg
    lon_deg: LonDeg

    @property
    def lat_rad(self) -> float:
        return math.radians(self.lat_deg)

    @property
    def lon_rad(self) -> float:
        return math.radians(self.lon_deg)


class Site(GeoPoint):
    """A fixed site: geodetic position and height above the ellipsoid."""

    alt_m: AltM = 0.0

    @property
    def ecef_m(self) -> np.ndarray:
        """Position ``(3,)`` in ECEF [m]."""
        from bmdsim.earth.frames import geodetic_to_ecef

        return geodetic_to_ecef(self.lat_deg, self.lon_deg, self.alt_m)


class LaunchPoint(GeoPoint):
    """Where and when a threat lifts off (``time_s`` after the epoch)."""

    time_s: TimeS


# ---------------------------------------------------------------- threats


class Profile(StrEnum):
    MINIMUM_ENERGY = "minimum-energy"
    LOFTED = "lofted"
    DEPRESSED = "depressed"


class StageFailure(SpecModel):
    """Stage ``stage`` (0-based) stops thrusting ``time_s`` after its ignition; later
    stages do not ignite."""

    stage: Count
    time_s: DurationS


class GuidanceError(SpecModel):
    """Misguidance of a threat: where it flies instead of its aim point.

    ``azimuth_bias_deg`` turns the whole flight plane about the launch point's vertical
    (an azimuth misalignment of the guidance platform). Give the burnout speed error
    either as a fraction of the nominal burnout speed or in m/s, not both.
    ``early_cutoff_s`` ends thrust that long before the nominal burnout.
    """

    azimuth_bias_deg: number_field(
        "launch azimuth error [deg], + clockwise: the flight plane turns about the launch "
        "point's vertical", ge=-90.0, le=90.0) = 0.0
    burnout_speed_error_frac: number_field("burnout speed error as a fraction",
                                           gt=-1.0, lt=1.0) | None = None
    burnout_speed_error_m_s: number_field("burnout speed error [m/s]",
                                          ge=-5000.0, le=5000.0) | None = None
    early_cutoff_s: number_field("thrust termination this long before nominal burnout [s]",
                                 ge=0.0) = 0.0
    stage_failure: StageFailure | None = None

    @property
    def azimuth_bias_rad(self) -> float:
        return math.radians(self.azimuth_bias_deg)

    @property
    def is_nominal(self) -> bool:
        return self == GuidanceError()


class Threat(SpecModel):
    """One ballistic missile: its type, launch, aim point, trajectory profile and misguidance."""

    id: Id
    name: Text = ""
    missile: MissileRef
    launch: LaunchPoint
    aim: GeoPoint
    profile: Profile = Profile.MINIMUM_ENERGY
    guidance_error: GuidanceError = GuidanceError()

    @property
    def missile_type(self) -> MissileType:
        return missile_type(self.missile)


# ---------------------------------------------------------------- sensors and platforms


class Outage(SpecModel):
    """A planned outage: the sensor is off for ``start_s <= t < end_s``."""

    start_s: TimeS
    end_s: TimeS


class GeoOrbit(SpecModel):
    """Geostationary orbit over longitude ``lon_deg``."""

    kind: Literal["geo"]
    lon_deg: LonDeg

    @property
    def lon_rad(self) -> float:
        return math.radians(self.lon_deg)


class HeoOrbit(SpecModel):
    """Keplerian elements at the epoch, in the inertial frame that coincides with ECEF at the
    epoch (so the RAAN is counted from the Greenwich meridian at ``t = 0``)."""

    kind: Literal["heo"]
    semi_major_axis_km: number_field("semi-major axis [km]", gt=6378.137, le=100_000.0)
    eccentricity: number_field("eccentricity", ge=0.0, lt=1.0)
    inclination_deg: number_field("inclination [deg]", ge=0.0, le=180.0)
    raan_deg: number_field("right ascension of the ascending node [deg]", ge=0.0, lt=360.0)
    arg_perigee_deg: number_field("argument of perigee [deg]", ge=0.0, lt=360.0)
    mean_anomaly_deg: number_field("mean anomaly at the epoch [deg]", ge=0.0, lt=360.0)

    @property
    def semi_major_axis_m(self) -> float:
        return self.semi_major_axis_km * 1000.0

    @property
    def perigee_radius_m(self) -> float:
        return self.semi_major_axis_m * (1.0 - self.eccentricity)

    @property
    def elements_rad(self) -> tuple[float, float, float, float]:
        """(inclination, RAAN, argument of perigee, mean anomaly) [rad]."""
        return tuple(  # type: ignore[return-value]
            math.radians(v)
            for v in (self.inclination_deg, self.raan_deg, self.arg_perigee_deg,
                      self.mean_anomaly_deg)
        )


Orbit = Annotated[GeoOrbit | HeoOrbit, Field(discriminator="kind")]


class Placement(StrEnum):
    SITE = "site"
    PLATFORM = "platform"
    ORBIT = "orbit"


class Sensor(SpecModel):
    """One sensor: a catalog type placed at a site, on a platform or in orbit.

    ``boresight_az_deg`` is the face normal of a sectored radar. Random failures follow
    ``mtbf_s`` (mean time between failures) and ``mttr_s`` (mean time to repair), both or
    neither; ``outages`` are planned.
    """

    id: Id
    name: Text = ""
    type: SensorTypeId
    site: Site | None = None
    platform: Id | None = None
    orbit: Orbit | None = None
    boresight_az_deg: AzimuthDeg | None = None
    outages: tuple[Outage, ...] = ()
    mtbf_s: PositiveDurationS | None = None
    mttr_s: PositiveDurationS | None = None

    @property
    def placements(self) -> tuple[Placement, ...]:
        """Which of site, platform, orbit are given (a valid scenario has exactly one)."""
        given = {Placement.SITE: self.site, Placement.PLATFORM: self.platform,
                 Placement.ORBIT: self.orbit}
        return tuple(p for p, v in given.items() if v is not None)

    @property
    def placement(self) -> Placement:
        return self.placements[0]

    @property
    def boresight_az_rad(self) -> float | None:
        return None if self.boresight_az_deg is None else math.radians(self.boresight_az_deg)

    @property
    def sensor_type(self):
        """The catalog record of this sensor's type (``bmdsim.catalog.sensors``)."""
        from bmdsim.catalog.sensors import sensor

        return sensor(self.type)


class Waypoint(SpecModel):
    time_s: TimeS
    lat_deg: LatDeg
    lon_deg: LonDeg


class PlatformKind(StrEnum):
    SHIP = "ship"


class Platform(SpecModel):
    """A moving platform (a ship) following timed waypoints.

    Between waypoints the position moves linearly in latitude and longitude (short legs);
    before the first and after the last waypoint the platform holds position.
    ``max_speed_kn``, when given, bounds the speed the legs may ask for.
    """

    id: Id
    name: Text = ""
    kind: PlatformKind = PlatformKind.SHIP
    waypoints: Annotated[tuple[Waypoint, ...], Field(min_length=1)]
    max_speed_kn: PositiveFloat | None = None

    @property
    def max_speed_m_s(self) -> float | None:
        return None if self.max_speed_kn is None else self.max_speed_kn * KNOT_M_S

    def position_at(self, t_s) -> tuple[np.ndarray, np.ndarray]:
        """Latitude and longitude [deg] at times ``t_s`` (any shape) [s since epoch]."""
        t = np.asarray(t_s, dtype=float)
        times = np.array([w.time_s for w in self.waypoints])
        lats = np.array([w.lat_deg for w in self.waypoints])
        lons = np.array([w.lon_deg for w in self.waypoints])
        return np.interp(t, times, lats), np.interp(t, times, lons)


# ---------------------------------------------------------------- defence


class WeaponControl(StrEnum):
    """Weapon control status: ``hold`` fire only in self-defence, ``tight`` at targets
    assessed hostile, ``free`` at any target not identified friendly."""

    HOLD = "hold"
    TIGHT = "tight"
    FREE = "free"


class FireUnit(SpecModel):
    """A launcher group of one interceptor type at a site or on a platform.

    ``channels`` engagements at once; ``readiness_s`` from engage order to first launch
    at normal posture (scaled by the posture's readiness multiplier) — the interceptor's
    own ``reaction_time_s`` comes on top; ``salvo_size`` rounds per engagement; ``sensor``
    is its own fire-control sensor (optional); ``defends`` the assets it is assigned
    (empty: any).
    """

    id: Id
    name: Text = ""
    interceptor: InterceptorRef
    site: Site | None = None
    platform: Id | None = None
    inventory: Count
    channels: PositiveCount = 1
    readiness_s: DurationS = 0.0
    weapon_control: WeaponControl = WeaponControl.TIGHT
    salvo_size: PositiveCount = 1
    sensor: Id | None = None
    defends: tuple[Id, ...] = ()

    @property
    def interceptor_type(self) -> InterceptorType:
        return interceptor_type(self.interceptor)

    @property
    def placement(self) -> Placement:
        return Placement.SITE if self.site is not None else Placement.PLATFORM


class DefendedAsset(SpecModel):
    """A place to protect: a disc of ``radius_km`` around a point; ``value`` weights it."""

    id: Id
    name: Text = ""
    lat_deg: LatDeg
    lon_deg: LonDeg
    alt_m: AltM = 0.0
    radius_km: number_field("radius of the defended area [km]", gt=0.0, le=1000.0)
    value: PositiveFloat = 1.0

    @property
    def radius_m(self) -> float:
        return self.radius_km * 1000.0

    @property
    def ecef_m(self) -> np.ndarray:
        from bmdsim.earth.frames import geodetic_to_ecef

        return geodetic_to_ecef(self.lat_deg, self.lon_deg, self.alt_m)


# ---------------------------------------------------------------- command and control


class C2NodeRole(StrEnum):
    OPS_CENTRE = "ops-centre"
    COMMAND = "command"
    RELAY = "relay"


class C2Node(SpecModel):
    id: Id
    name: Text = ""
    role: C2NodeRole = C2NodeRole.OPS_CENTRE
    site: Site | None = None


class C2Link(SpecModel):
    """A message path between two C2 endpoints (a node, sensor, fire unit or platform id).

    Delivery takes ``latency_s`` plus a uniform draw in ``[0, jitter_s]``; a message is
    lost with probability ``loss_probability``.
    """

    source: Id
    target: Id
    latency_s: DurationS
    jitter_s: DurationS = 0.0
    loss_probability: Probability = 0.0
    bidirectional: bool = True


class DecisionDelays(SpecModel):
    """Human and procedural delays at normal posture [s] (scaled by the posture level's
    ``decision_delay_multiplier``)."""

    threat_evaluation_s: DurationS = 20.0
    engagement_authorisation_s: DurationS = 60.0
    kill_assessment_s: DurationS = 10.0


class C2(SpecModel):
    nodes: tuple[C2Node, ...] = ()
    links: tuple[C2Link, ...] = ()
    decision_delays: DecisionDelays = DecisionDelays()


# ---------------------------------------------------------------- posture


class PostureLevel(StrEnum):
    NORMAL = "normal"
    HEIGHTENED = "heightened"
    HIGH = "high"


class PostureLevelSpec(SpecModel):
    """Multipliers a posture level applies to decision delays and fire-unit readiness."""

    decision_delay_multiplier: Multiplier
    readiness_multiplier: Multiplier


#: Level table used where a scenario does not override a level (notional).
DEFAULT_POSTURE_LEVELS: dict[PostureLevel, PostureLevelSpec] = {
    PostureLevel.NORMAL: PostureLevelSpec(decision_delay_multiplier=1.0, readiness_multiplier=1.0),
    PostureLevel.HEIGHTENED: PostureLevelSpec(
        decision_delay_multiplier=0.6, readiness_multiplier=0.5
    ),
    PostureLevel.HIGH: PostureLevelSpec(decision_delay_multiplier=0.35, readiness_multiplier=0.25),
}


class PostureChange(SpecModel):
    time_s: TimeS
    level: PostureLevel
    note: Text = ""


class Posture(SpecModel):
    """The defence posture: the initial level, the level table, and timed changes."""

    initial: PostureLevel = PostureLevel.NORMAL
    levels: dict[PostureLevel, PostureLevelSpec] = Field(
        default_factory=lambda: dict(DEFAULT_POSTURE_LEVELS)
    )
    changes: tuple[PostureChange, ...] = ()

    @field_validator("levels", mode="after")
    @classmethod
    def _fill_defaults(cls, levels: dict[PostureLevel, PostureLevelSpec]):
        return {**DEFAULT_POSTURE_LEVELS, **levels}

    def level_at(self, t_s: float) -> PostureLevel:
        """The posture level in force at ``t_s`` [s since epoch]."""
        level = self.initial
        for change in self.changes:
            if change.time_s <= t_s:
                level = change.level
        return level

    def spec_at(self, t_s: float) -> PostureLevelSpec:
        return self.levels[self.level_at(t_s)]


# ---------------------------------------------------------------- the scenario


class AllianceSpec(SpecModel):
    """An alliance: a name known to :mod:`bmdsim.earth.geography.alliances` (``NATO``,
    ``EU``; membership on the epoch's date), or any name with its ``members`` listed."""

    name: Annotated[str, Strict(), Field(min_length=1)]
    members: Annotated[tuple[Iso3, ...], Field(min_length=1)] | None = None


def _alliance_schema(schema: dict[str, Any]) -> None:
    """JSON Schema of ``alliance``: the name shorthand is also accepted."""
    schema["anyOf"].insert(0, {"type": "string", "description": "a bundled alliance: NATO or EU"})


def _utc_epoch(value: Any) -> datetime:
    allowed = {"allowed": "an ISO-8601 UTC instant such as 2026-03-04T10:00:00Z"}
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            raise PydanticCustomError("epoch", "not an ISO-8601 date and time", allowed) from None
    if not isinstance(value, datetime):
        if isinstance(value, date):
            raise PydanticCustomError("epoch", "a date without a time of day", allowed)
        raise PydanticCustomError("epoch", "not an ISO-8601 date and time", allowed)
    if value.tzinfo is None or value.utcoffset() is None:
        raise PydanticCustomError("epoch", "no time zone (write Z for UTC)", allowed)
    return value.astimezone(UTC)


class Scenario(SpecModel):
    """A validated scenario. Build one with :func:`bmdsim.load_scenario` or
    :meth:`Scenario.from_mapping`; both raise :class:`ScenarioError` listing every problem."""

    name: Id
    description: Text = ""
    epoch: Annotated[datetime, Field(description="scenario time zero, ISO-8601 UTC")]
    duration_s: number_field("length of the run [s]", gt=0.0, le=30 * 86400.0)
    seed: Annotated[int, Strict(), Field(ge=0, description="default random seed")] = 0
    alliance: Annotated[AllianceSpec | None, Field(json_schema_extra=_alliance_schema)] = None
    posture: Posture = Posture()
    threats: Annotated[tuple[Threat, ...], Field(min_length=1)]
    sensors: tuple[Sensor, ...] = ()
    platforms: tuple[Platform, ...] = ()
    fire_units: tuple[FireUnit, ...] = ()
    defended_assets: tuple[DefendedAsset, ...] = ()
    c2: C2 = C2()

    @field_validator("epoch", mode="before")
    @classmethod
    def _epoch_utc(cls, value: Any) -> datetime:
        return _utc_epoch(value)

    @field_validator("alliance", mode="before")
    @classmethod
    def _alliance_name(cls, value: Any) -> Any:
        return {"name": value} if isinstance(value, str) else value

    @model_validator(mode="after")
    def _cross_checks(self) -> Scenario:
        from bmdsim.scenario.checks import cross_field_problems

        problems = cross_field_problems(self)
        if problems:
            raise ScenarioError(problems)
        return self

    @classmethod
    def from_mapping(cls, data: Any, *, source: str | None = None) -> Scenario:
        """Validate a parsed scenario file; :class:`ScenarioError` lists every problem."""
        from pydantic import ValidationError

        from bmdsim.scenario.errors import problems_from_validation_error

        try:
            return cls.model_validate(data)
        except ValidationError as exc:
            raise ScenarioError(problems_from_validation_error(exc, cls), source=source) from None
        except ScenarioError as exc:
            raise ScenarioError(exc.problems, source=source) from None

    @property
    def alliance_date(self) -> date:
        """The date (UTC) on which alliance membership is evaluated."""
        return self.epoch.date()

    def alliance_members(self) -> frozenset[str]:
        """ISO alpha-3 codes of the alliance's members on :attr:`alliance_date`
        (empty without an alliance)."""
        if self.alliance is None:
            return frozenset()
        if self.alliance.members is not None:
            return frozenset(self.alliance.members)
        from bmdsim.earth.geography.alliances import alliance_members

        return alliance_members(self.alliance.name, self.alliance_date)

    def component(self, component_id: str):
        """The threat, sensor, platform, fire unit, defended asset or C2 node with this id."""
        for group in (self.threats, self.sensors, self.platforms, self.fire_units,
                      self.defended_assets, self.c2.nodes):
            for item in group:
                if item.id == component_id:
                    return item
        raise KeyError(component_id)
