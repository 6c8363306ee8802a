"""Missile and interceptor types as a scenario gives them: a catalog id, an inline type
with every field, or ``{extends: <catalog id>, <field>: <override>, ...}``.

An extension starts from the catalog record, merges the overrides into it (mappings merge
key by key, lists such as ``stages`` are replaced whole), and is then validated like an
inline type. Unless overridden, its ``id`` is ``<base id>-custom`` and its name
``<base name> (custom)``.
"""

from __future__ import annotations

import itertools
from dataclasses import asdict
from enum import StrEnum
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    Discriminator,
    Field,
    Strict,
    Tag,
    model_validator,
)
from pydantic_core import PydanticCustomError

from bmdsim.catalog.interceptors import (
    InterceptorRole,
    InterceptorType,
    KillMechanism,
    SeekerKind,
    interceptor,
    interceptor_from_mapping,
    interceptors,
)
from bmdsim.catalog.missiles import MissileType, missile, missile_from_mapping, missiles
from bmdsim.scenario.fields import (
    DurationS,
    Id,
    NonNegativeFloat,
    Number,
    PositiveDurationS,
    PositiveFloat,
    SpecModel,
    Text,
    number_field,
)

_CATALOG_ID = "catalog-id"
_INLINE = "inline-type"


def _check_curve(curve: tuple[tuple[float, float], ...]) -> tuple[tuple[float, float], ...]:
    machs = [m for m, _ in curve]
    if machs[0] < 0 or any(b <= a for a, b in itertools.pairwise(machs)):
        raise PydanticCustomError(
            "drag_curve", "Mach numbers must start >= 0 and increase strictly",
            {"allowed": "pairs [mach, cd] with strictly increasing mach >= 0 and cd > 0"},
        )
    if any(cd <= 0 for _, cd in curve):
        raise PydanticCustomError(
            "drag_curve", "drag coefficients must be positive",
            {"allowed": "pairs [mach, cd] with strictly increasing mach >= 0 and cd > 0"},
        )
    return curve


#: Drag coefficient vs Mach: ``[[mach, cd], ...]``, Mach strictly increasing.
DragCurveSpec = Annotated[
    tuple[tuple[Number, Number], ...], Field(min_length=1), AfterValidator(_check_curve)
]


class MissileClass(StrEnum):
    SRBM = "SRBM"
    MRBM = "MRBM"
    IRBM = "IRBM"
    ICBM = "ICBM"


class Propulsion(StrEnum):
    LIQUID = "liquid"
    SOLID = "solid"


class StageSpec(SpecModel):
    """One propulsive stage (see :class:`bmdsim.catalog.missiles.Stage`)."""

    name: Text
    propellant_mass_kg: PositiveFloat
    dry_mass_kg: NonNegativeFloat
    burn_time_s: PositiveDurationS
    isp_vac_s: number_field("vacuum specific impulse [s]", gt=0.0, le=500.0)
    nozzle_exit_area_m2: NonNegativeFloat
    diameter_m: PositiveFloat


class ReentryVehicleSpec(SpecModel):
    mass_kg: PositiveFloat
    reference_area_m2: PositiveFloat
    drag_curve: DragCurveSpec
    rcs_m2: PositiveFloat
    separates: bool = True


def _deep_merge(base: dict[str, Any], overrides: dict[str, Any]) -> dict[str, Any]:
    out = dict(base)
    for key, value in overrides.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _deep_merge(out[key], value)
        else:
            out[key] = value
    return out


def _extend(data: Any, kind: str, table: dict[str, Any]) -> Any:
    """Merge ``{extends: id, ...overrides}`` onto the catalog record ``id``."""
    if not isinstance(data, dict) or "extends" not in data:
        return data
    base_id = data["extends"]
    if not isinstance(base_id, str) or base_id not in table:
        raise PydanticCustomError(
            "unknown_type",
            f"unknown {kind} type to extend",
            {"field": "extends", "value": base_id, "allowed": "one of: " + ", ".join(sorted(table))},
        )
    base = asdict(table[base_id])
    base["id"] = f"{base_id}-custom"
    base["name"] = f"{base['name']} (custom)"
    overrides = {k: v for k, v in data.items() if k != "extends"}
    return {**_deep_merge(base, overrides), "extends": base_id}


def _known(kind: str, table_fn):
    def check(name: str) -> str:
        table = table_fn()
        if name not in table:
            raise PydanticCustomError(
                "unknown_type",
                f"unknown {kind} type",
                {"allowed": "one of: " + ", ".join(sorted(table))},
            )
        return name

    def schema_extra(schema: dict[str, Any]) -> None:
        schema["enum"] = sorted(table_fn())

    return check, schema_extra


_missile_check, _missile_schema = _known("missile", missiles)
_interceptor_check, _interceptor_schema = _known("interceptor", interceptors)

CatalogMissileId = Annotated[
    str, Strict(), AfterValidator(_missile_check),
    Field(description="missile catalog id", json_schema_extra=_missile_schema),
]
CatalogInterceptorId = Annotated[
    str, Strict(), AfterValidator(_interceptor_check),
    Field(description="interceptor catalog id", json_schema_extra=_interceptor_schema),
]


class MissileSpec(SpecModel):
    """A missile type given in the scenario (fields of :class:`bmdsim.catalog.MissileType`)."""

    extends: CatalogMissileId | None = None
    id: Id
    name: Text
    missile_class: MissileClass
    propulsion: Propulsion
    stages: Annotated[tuple[StageSpec, ...], Field(min_length=1)]
    reentry_vehicle: ReentryVehicleSpec
    length_m: PositiveFloat
    body_drag_curve: DragCurveSpec
    booster_rcs_m2: PositiveFloat
    published_range_km: PositiveFloat
    sources: tuple[Text, ...] = ()
    notes: Text = ""

    @model_validator(mode="before")
    @classmethod
    def _merge_extended(cls, data: Any) -> Any:
        return _extend(data, "missile", missiles())

    def to_type(self) -> MissileType:
        return missile_from_mapping(self.model_dump(mode="json"))


class InterceptorSpec(SpecModel):
    """An interceptor type given in the scenario (fields of
    :class:`bmdsim.catalog.interceptors.InterceptorType`)."""

    extends: CatalogInterceptorId | None = None
    id: Id
    name: Text
    role: InterceptorRole
    kill_mechanism: KillMechanism
    seeker: SeekerKind
    stages: Annotated[tuple[StageSpec, ...], Field(min_length=1)]
    kill_vehicle_mass_kg: PositiveFloat
    kill_vehicle_separates: bool
    length_m: PositiveFloat
    body_drag_curve: DragCurveSpec
    max_speed_m_s: PositiveFloat
    published_launch_mass_kg: PositiveFloat | None = None
    divert_accel_max_m_s2: PositiveFloat
    divert_delta_v_m_s: PositiveFloat | None = None
    seeker_acquisition_range_m: PositiveFloat
    navigation_ratio: number_field("proportional-navigation constant", gt=0.0, le=10.0)
    min_intercept_alt_m: NonNegativeFloat
    max_intercept_alt_m: PositiveFloat
    max_range_m: PositiveFloat
    max_time_of_flight_s: PositiveDurationS
    reaction_time_s: DurationS
    salvo_interval_s: DurationS
    lethal_radius_m: PositiveFloat
    pk_max: number_field("kill probability at zero miss distance", gt=0.0, le=1.0)
    sources: tuple[Text, ...] = ()
    estimated_fields: tuple[Text, ...] = ()
    notes: Text = ""

    @model_validator(mode="before")
    @classmethod
    def _merge_extended(cls, data: Any) -> Any:
        return _extend(data, "interceptor", interceptors())

    @model_validator(mode="after")
    def _altitude_band(self) -> InterceptorSpec:
        if self.max_intercept_alt_m <= self.min_intercept_alt_m:
            raise PydanticCustomError(
                "altitude_band", "must be above min_intercept_alt_m",
                {"field": "max_intercept_alt_m", "value": self.max_intercept_alt_m,
                 "allowed": f"a number > {self.min_intercept_alt_m:g}"},
            )
        return self

    def to_type(self) -> InterceptorType:
        return interceptor_from_mapping(self.model_dump(mode="json"))


def _reference_kind(value: Any) -> str | None:
    if isinstance(value, str):
        return _CATALOG_ID
    if isinstance(value, dict | MissileSpec | InterceptorSpec):
        return _INLINE
    return None


def _reference(spec: type[SpecModel], catalog_id: Any, kind: str):
    return Annotated[
        Annotated[catalog_id, Tag(_CATALOG_ID)] | Annotated[spec, Tag(_INLINE)],
        Discriminator(
            _reference_kind,
            custom_error_type="type_reference",
            custom_error_message=f"not a {kind} type",
            custom_error_context={
                "allowed": f"a {kind} catalog id, an inline {kind} type (a mapping), "
                "or {extends: <catalog id>, <field>: <override>, ...}"
            },
        ),
    ]


#: A missile type: catalog id, inline type or extension.
MissileRef = _reference(MissileSpec, CatalogMissileId, "missile")
#: An interceptor type: catalog id, inline type or extension.
InterceptorRef = _reference(InterceptorSpec, CatalogInterceptorId, "interceptor")


def missile_type(ref: str | MissileSpec) -> MissileType:
    """The :class:`MissileType` a validated reference names."""
    return missile(ref) if isinstance(ref, str) else ref.to_type()


def interceptor_type(ref: str | InterceptorSpec) -> InterceptorType:
    """The :class:`InterceptorType` a validated reference names."""
    return interceptor(ref) if isinstance(ref, str) else ref.to_type()
