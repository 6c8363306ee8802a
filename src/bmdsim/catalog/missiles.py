"""Notional ballistic-missile types (public open-source figures, see each record's sources).

A missile is a stack of :class:`Stage` records and a :class:`ReentryVehicle`.
All quantities SI. Thrust follows the rocket equation with ambient-pressure
loss: ``F = mdot * g0 * isp_vac_s - p_ambient * nozzle_exit_area_m2``, with
``mdot = propellant_mass_kg / burn_time_s`` (constant mass flow).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache
from importlib import resources

import yaml

from bmdsim.catalog.errors import UnknownTypeError

#: A drag-coefficient curve: ``((mach, cd), ...)`` with strictly increasing Mach.
DragCurve = tuple[tuple[float, float], ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class Stage:
    """One propulsive stage. Its dry mass separates at burnout (except the last
    stage when the RV does not separate)."""

    name: str
    propellant_mass_kg: float
    dry_mass_kg: float
    burn_time_s: float
    isp_vac_s: float
    nozzle_exit_area_m2: float
    diameter_m: float

    @property
    def mass_flow_kg_s(self) -> float:
        return self.propellant_mass_kg / self.burn_time_s


@dataclass(frozen=True, slots=True, kw_only=True)
class ReentryVehicle:
    """The warhead-carrying body that reaches the target."""

    mass_kg: float
    reference_area_m2: float
    drag_curve: DragCurve
    rcs_m2: float
    separates: bool = True

    @property
    def ballistic_coefficient_kg_m2(self) -> float:
        """beta = m / (Cd A), with the hypersonic (last-point) Cd of the curve."""
        return self.mass_kg / (self.drag_curve[-1][1] * self.reference_area_m2)


@dataclass(frozen=True, slots=True, kw_only=True)
class MissileType:
    """A notional missile type; records cite their sources and flag estimates."""

    id: str
    name: str
    missile_class: str
    propulsion: str
    stages: tuple[Stage, ...]
    reentry_vehicle: ReentryVehicle
    length_m: float
    body_drag_curve: DragCurve
    booster_rcs_m2: float
    published_range_km: float
    sources: tuple[str, ...] = field(default=())
    notes: str = ""

    @property
    def launch_mass_kg(self) -> float:
        return self.reentry_vehicle.mass_kg + sum(
            s.propellant_mass_kg + s.dry_mass_kg for s in self.stages
        )

    @property
    def total_burn_time_s(self) -> float:
        return sum(s.burn_time_s for s in self.stages)


def _curve(raw) -> DragCurve:
    return tuple((float(m), float(c)) for m, c in raw)


def missile_from_mapping(data: dict) -> MissileType:
    """Build a :class:`MissileType` from a plain mapping (bundled YAML or a scenario's
    inline type, already validated by the caller)."""
    rv = dict(data["reentry_vehicle"])
    rv["drag_curve"] = _curve(rv["drag_curve"])
    return MissileType(
        id=data["id"],
        name=data["name"],
        missile_class=data["missile_class"],
        propulsion=data["propulsion"],
        stages=tuple(Stage(**s) for s in data["stages"]),
        reentry_vehicle=ReentryVehicle(**rv),
        length_m=float(data["length_m"]),
        body_drag_curve=_curve(data["body_drag_curve"]),
        booster_rcs_m2=float(data["booster_rcs_m2"]),
        published_range_km=float(data["published_range_km"]),
        sources=tuple(data.get("sources", ())),
        notes=data.get("notes", ""),
    )


@cache
def _bundled() -> dict[str, MissileType]:
    text = resources.files("bmdsim.catalog").joinpath("data/missiles.yaml").read_text("utf-8")
    return {d["id"]: missile_from_mapping(d) for d in yaml.safe_load(text)["missiles"]}


def missiles() -> dict[str, MissileType]:
    """All bundled missile types, by catalog id."""
    return dict(_bundled())


def missile(name: str) -> MissileType:
    """The bundled missile type ``name``; :class:`UnknownTypeError` lists the known ids."""
    table = _bundled()
    try:
        return table[name]
    except KeyError:
        raise UnknownTypeError("missile", name, list(table)) from None
