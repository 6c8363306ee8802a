"""Missile types as per-flight parameter arrays for batched flight.

A :class:`~bmdsim.catalog.MissileType` is a stack of stages topped by a reentry vehicle
(RV). For a batch of flights (possibly of different types) :func:`vehicle_table` lays the
figures out as arrays over flights and stages, and collects every drag curve involved in one
:func:`~bmdsim.flight.dynamics.drag_table`.

Objects and their aerodynamics:

* the **stack** in boost: the type's body drag curve on the cross-section of the stage
  burning (``pi d^2 / 4``);
* the **RV** after separation: its own drag curve and reference area;
* a **spent stage** (or the rest of the stack under the RV at thrust termination): a
  tumbling cylinder, :data:`TUMBLING_CYLINDER_DRAG_CURVE` on the mean projected area of a
  randomly oriented cylinder, ``pi r (r + L) / 2`` (Cauchy: a quarter of its surface area).
  Stage lengths are not in the catalog: a stage's length is its share, by mass, of the
  missile's length less the RV's (taken as 2.5 RV diameters).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bmdsim.catalog.missiles import MissileType
from bmdsim.flight.dynamics import drag_table, vacuum_thrust_n

#: Drag coefficient of a tumbling cylinder on its mean projected area (engineering estimate
#: after Hoerner, *Fluid-Dynamic Drag*, ch. on cylinders in cross flow: ~1.2 broadside,
#: ~0.8 end-on, averaged over orientations).
TUMBLING_CYLINDER_DRAG_CURVE: tuple[tuple[float, float], ...] = (
    (0.0, 0.75),
    (0.8, 0.80),
    (1.0, 1.05),
    (1.3, 1.15),
    (2.0, 1.05),
    (4.0, 0.95),
    (10.0, 0.92),
)
#: RV length as a multiple of its diameter (for the stage-length estimate).
RV_LENGTH_PER_DIAMETER: float = 2.5


@dataclass(frozen=True, slots=True, kw_only=True)
class VehicleTable:
    """Per-flight arrays for ``N`` flights, stages padded to ``S`` (zero burn time)."""

    #: ``(N,)`` number of stages.
    n_stages: np.ndarray
    #: ``(N, S)`` per stage: burn time [s], mass flow [kg/s], vacuum thrust [N], nozzle exit
    #: area [m^2], dry and propellant mass [kg], diameter and estimated length [m].
    burn_s: np.ndarray
    mass_flow_kg_s: np.ndarray
    thrust_vac_n: np.ndarray
    exit_area_m2: np.ndarray
    dry_kg: np.ndarray
    propellant_kg: np.ndarray
    diameter_m: np.ndarray
    length_m: np.ndarray
    #: ``(N,)`` RV mass [kg], reference area [m^2], whether it separates.
    rv_mass_kg: np.ndarray
    rv_area_m2: np.ndarray
    rv_separates: np.ndarray
    #: ``(N,)`` rows of ``cd_table``: RV curve, body curve; one row for tumbling stages.
    rv_row: np.ndarray
    body_row: np.ndarray
    tumble_row: int
    cd_table: np.ndarray

    @property
    def launch_mass_kg(self) -> np.ndarray:
        return self.rv_mass_kg + (self.dry_kg + self.propellant_kg).sum(axis=1)

    @property
    def stage_end_s(self) -> np.ndarray:
        """``(N, S)`` burnout time of each stage after launch [s] (stages burn back to back)."""
        return np.cumsum(self.burn_s, axis=1)

    @property
    def total_burn_s(self) -> np.ndarray:
        return self.burn_s.sum(axis=1)


def vehicle_table(missiles: Sequence[MissileType]) -> VehicleTable:
    """Arrays for flights of the given missile types (one entry per flight).

    Each distinct type is laid out once; flights index into those rows.
    """
    kinds: dict[MissileType, int] = {}
    which = np.array([kinds.setdefault(m, len(kinds)) for m in missiles], dtype=np.intp)
    types = list(kinds)
    n = len(types)
    s_max = max(len(m.stages) for m in types)
    curves: dict[tuple, int] = {TUMBLING_CYLINDER_DRAG_CURVE: 0}

    def row(curve) -> int:
        return curves.setdefault(tuple(curve), len(curves))

    shape = (n, s_max)
    burn, mdot, isp, exit_area, dry, prop, diam, length = (np.zeros(shape) for _ in range(8))
    n_st = np.zeros(n, dtype=np.intp)
    rv_mass, rv_area = np.zeros(n), np.zeros(n)
    rv_sep = np.zeros(n, dtype=bool)
    rv_row, body_row = np.zeros(n, dtype=np.intp), np.zeros(n, dtype=np.intp)
    for i, m in enumerate(types):  # once per distinct type (a handful)
        k = len(m.stages)
        n_st[i] = k
        for j, st in enumerate(m.stages):
            burn[i, j], mdot[i, j], isp[i, j] = st.burn_time_s, st.mass_flow_kg_s, st.isp_vac_s
            exit_area[i, j], dry[i, j] = st.nozzle_exit_area_m2, st.dry_mass_kg
            prop[i, j], diam[i, j] = st.propellant_mass_kg, st.diameter_m
        rv = m.reentry_vehicle
        rv_mass[i], rv_area[i], rv_sep[i] = rv.mass_kg, rv.reference_area_m2, rv.separates
        rv_row[i] = row(rv.drag_curve)
        body_row[i] = row(m.body_drag_curve)
        rv_len = RV_LENGTH_PER_DIAMETER * np.sqrt(4.0 * rv.reference_area_m2 / np.pi)
        stage_mass = prop[i, :k] + dry[i, :k]
        length[i, :k] = max(m.length_m - rv_len, 1.0) * stage_mass / stage_mass.sum()
    order = sorted(curves, key=curves.get)
    return VehicleTable(
        n_stages=n_st[which],
        burn_s=burn[which],
        mass_flow_kg_s=mdot[which],
        thrust_vac_n=vacuum_thrust_n(mdot, isp)[which],
        exit_area_m2=exit_area[which],
        dry_kg=dry[which],
        propellant_kg=prop[which],
        diameter_m=diam[which],
        length_m=length[which],
        rv_mass_kg=rv_mass[which],
        rv_area_m2=rv_area[which],
        rv_separates=rv_sep[which],
        rv_row=rv_row[which],
        body_row=body_row[which],
        tumble_row=0,
        cd_table=drag_table(order),
    )


def tumbling_area_m2(diameter_m, length_m) -> np.ndarray:
    """Mean projected area [m^2] of a randomly tumbling cylinder: ``pi r (r + L) / 2``."""
    r = 0.5 * np.asarray(diameter_m, dtype=float)
    return np.pi * r * (r + np.asarray(length_m, dtype=float)) / 2.0


__all__ = [
    "RV_LENGTH_PER_DIAMETER",
    "TUMBLING_CYLINDER_DRAG_CURVE",
    "VehicleTable",
    "tumbling_area_m2",
    "vehicle_table",
]
