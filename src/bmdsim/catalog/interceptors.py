"""Notional interceptor types (public open-source figures, see each record's sources).

An interceptor is a stack of :class:`~bmdsim.catalog.missiles.Stage` records (the same
propulsion model as the threat missiles, so the flight layer flies both with one set of
equations) topped by a kill vehicle, plus the envelope and end-game figures that
engagement planning needs. All quantities SI.

Mass bookkeeping follows :class:`~bmdsim.catalog.missiles.MissileType`: each stage's dry
mass drops at its burnout, except the last stage's when the kill vehicle does not
separate (``kill_vehicle_separates=False``: the kill vehicle flies on with it).

The single-shot kill probability against a miss distance ``d`` [m] is the Carleton
damage function ``Pk(d) = pk_max * exp(-(d / lethal_radius_m)**2)``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from functools import cache
from importlib import resources

import numpy as np
import yaml

from bmdsim.catalog.errors import UnknownTypeError
from bmdsim.catalog.missiles import DragCurve, Stage


class InterceptorRole(StrEnum):
    """Where in the threat's flight the interceptor engages it."""

    EXO = "exo"  # exo-atmospheric (midcourse)
    ENDO = "endo"  # endo-atmospheric (terminal)


class KillMechanism(StrEnum):
    HIT_TO_KILL = "hit-to-kill"
    BLAST_FRAG = "blast-frag"


class SeekerKind(StrEnum):
    INFRARED = "infrared"
    ACTIVE_RADAR = "active-radar"


@dataclass(frozen=True, slots=True, kw_only=True)
class InterceptorType:
    """A notional interceptor type; records cite their sources and list their estimated fields.

    Distances in metres, times in seconds, accelerations in m/s^2. Altitudes are above
    the WGS-84 ellipsoid; ``max_range_m`` is the ground range from the launcher.
    """

    id: str
    name: str
    role: InterceptorRole
    kill_mechanism: KillMechanism
    seeker: SeekerKind
    stages: tuple[Stage, ...]
    kill_vehicle_mass_kg: float
    kill_vehicle_separates: bool
    length_m: float
    body_drag_curve: DragCurve
    #: published maximum speed [m/s]; the stage estimates are tuned to reach it
    max_speed_m_s: float
    #: published launch mass [kg], None where the sources give none
    published_launch_mass_kg: float | None
    #: largest lateral acceleration of the kill vehicle in the end game [m/s^2]
    divert_accel_max_m_s2: float
    #: divert propellant budget [m/s]; None for aerodynamic manoeuvre (no budget)
    divert_delta_v_m_s: float | None
    seeker_acquisition_range_m: float
    #: proportional-navigation constant N (dimensionless)
    navigation_ratio: float
    min_intercept_alt_m: float
    max_intercept_alt_m: float
    max_range_m: float
    max_time_of_flight_s: float
    #: engage order to first launch, at normal readiness [s]
    reaction_time_s: float
    #: time between two rounds of one salvo [s]
    salvo_interval_s: float
    lethal_radius_m: float
    pk_max: float
    sources: tuple[str, ...] = field(default=())
    estimated_fields: tuple[str, ...] = field(default=())
    notes: str = ""

    @property
    def launch_mass_kg(self) -> float:
        return self.kill_vehicle_mass_kg + sum(
            s.propellant_mass_kg + s.dry_mass_kg for s in self.stages
        )

    @property
    def total_burn_time_s(self) -> float:
        return sum(s.burn_time_s for s in self.stages)

    @property
    def ideal_delta_v_m_s(self) -> float:
        """Tsiolkovsky velocity increment in vacuum [m/s], with the staging described
        in the module docstring (no gravity or drag losses)."""
        from bmdsim.earth.constants import G0_M_S2

        mass = self.launch_mass_kg
        dv = 0.0
        for i, s in enumerate(self.stages):
            dv += s.isp_vac_s * G0_M_S2 * np.log(mass / (mass - s.propellant_mass_kg))
            mass -= s.propellant_mass_kg
            if i < len(self.stages) - 1 or self.kill_vehicle_separates:
                mass -= s.dry_mass_kg
        return float(dv)

    def kill_probability(self, miss_distance_m) -> np.ndarray:
        """Single-shot kill probability for miss distances ``(...)`` [m] (Carleton function)."""
        d = np.asarray(miss_distance_m, dtype=float)
        return self.pk_max * np.exp(-((d / self.lethal_radius_m) ** 2))


def _curve(raw) -> DragCurve:
    return tuple((float(m), float(c)) for m, c in raw)


def _optional_float(value) -> float | None:
    return None if value is None else float(value)


def interceptor_from_mapping(data: dict) -> InterceptorType:
    """Build an :class:`InterceptorType` from a plain mapping (bundled YAML or a
    scenario's inline type, already validated by the caller)."""
    return InterceptorType(
        id=data["id"],
        name=data["name"],
        role=InterceptorRole(data["role"]),
        kill_mechanism=KillMechanism(data["kill_mechanism"]),
        seeker=SeekerKind(data["seeker"]),
        stages=tuple(
            Stage(name=s["name"], **{k: float(v) for k, v in s.items() if k != "name"})
            for s in data["stages"]
        ),
        kill_vehicle_mass_kg=float(data["kill_vehicle_mass_kg"]),
        kill_vehicle_separates=bool(data["kill_vehicle_separates"]),
        length_m=float(data["length_m"]),
        body_drag_curve=_curve(data["body_drag_curve"]),
        max_speed_m_s=float(data["max_speed_m_s"]),
        published_launch_mass_kg=_optional_float(data.get("published_launch_mass_kg")),
        divert_accel_max_m_s2=float(data["divert_accel_max_m_s2"]),
        divert_delta_v_m_s=_optional_float(data.get("divert_delta_v_m_s")),
        seeker_acquisition_range_m=float(data["seeker_acquisition_range_m"]),
        navigation_ratio=float(data["navigation_ratio"]),
        min_intercept_alt_m=float(data["min_intercept_alt_m"]),
        max_intercept_alt_m=float(data["max_intercept_alt_m"]),
        max_range_m=float(data["max_range_m"]),
        max_time_of_flight_s=float(data["max_time_of_flight_s"]),
        reaction_time_s=float(data["reaction_time_s"]),
        salvo_interval_s=float(data["salvo_interval_s"]),
        lethal_radius_m=float(data["lethal_radius_m"]),
        pk_max=float(data["pk_max"]),
        sources=tuple(data.get("sources", ())),
        estimated_fields=tuple(data.get("estimated_fields", ())),
        notes=data.get("notes", ""),
    )


@cache
def _bundled() -> dict[str, InterceptorType]:
    text = resources.files("bmdsim.catalog").joinpath("data/interceptors.yaml").read_text("utf-8")
    return {d["id"]: interceptor_from_mapping(d) for d in yaml.safe_load(text)["interceptors"]}


def interceptors() -> dict[str, InterceptorType]:
    """All bundled interceptor types, by catalog id."""
    return dict(_bundled())


def interceptor(name: str) -> InterceptorType:
    """The bundled interceptor type ``name``; :class:`UnknownTypeError` lists the known ids."""
    table = _bundled()
    try:
        return table[name]
    except KeyError:
        raise UnknownTypeError("interceptor", name, list(table)) from None
