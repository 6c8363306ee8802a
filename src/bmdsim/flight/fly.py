"""Fly missiles at aim points: :func:`fly` (one) and :func:`fly_many` (a raid, one batch).

Each flight: the aim solver (:mod:`bmdsim.flight.aim`) finds the nominal controls with no
guidance error; the guidance error (:class:`~bmdsim.flight.guidance.GuidanceError`) is then
applied to those controls and every flight of the raid is flown together, boost to impact,
with its spent stages (:func:`bmdsim.flight.flyout.fly_out`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from bmdsim.catalog.missiles import MissileType
from bmdsim.flight.aim import AimSolution, solve_aim
from bmdsim.flight.flyout import BOOSTER, FlightPlan, fly_out
from bmdsim.flight.guidance import DEFAULT_PROGRAM, BoostProgram, GuidanceError, Profile
from bmdsim.flight.trajectory import Ephemeris, ObjectKind, Trajectory
from bmdsim.flight.vehicle import vehicle_table


@dataclass(frozen=True, slots=True, kw_only=True)
class Flight:
    """One missile's flight: the RV's trajectory (the whole missile until separation) and
    the spent stages that separated from it (radar targets too). Times are scenario times."""

    missile: MissileType
    launch_lat_deg: float
    launch_lon_deg: float
    aim_lat_deg: float
    aim_lon_deg: float
    launch_time_s: float
    profile: Profile
    #: Nominal controls (without the guidance error).
    solution: AimSolution
    guidance_error: GuidanceError
    rv: Trajectory
    boosters: tuple[Trajectory, ...]
    #: Time [s] the RV separated from the stack (thrust termination), or None if it never
    #: did (stage failure, or a type whose RV stays on the last stage): then :attr:`rv` is
    #: the whole remaining stack to impact.
    rv_separation_s: float | None = None

    @property
    def objects(self) -> tuple[Trajectory, ...]:
        """The RV, then the spent stages in order of separation."""
        return (self.rv, *self.boosters)

    def state_at(self, t_s) -> np.ndarray:
        """ECEF states ``(*t.shape, n_objects, 6)`` of :attr:`objects` at times ``t_s`` [s]
        (NaN where an object does not exist)."""
        return np.stack([o.state_at(t_s) for o in self.objects], axis=-2)


@dataclass(frozen=True, slots=True, kw_only=True)
class Raid:
    """Flights flown together, and all their objects sampled as one batch.

    ``object_flight[j]`` is the flight of object ``j`` of :meth:`state_at` and
    ``objects[j]`` its trajectory (each flight's RV, then its spent stages). Build with
    :meth:`from_flights`.
    """

    flights: tuple[Flight, ...]
    objects: tuple[Trajectory, ...]
    object_flight: np.ndarray
    ephemeris: Ephemeris

    @classmethod
    def from_flights(cls, flights: Sequence[Flight]) -> Raid:
        objects = tuple(o for f in flights for o in f.objects)
        owner = np.repeat(np.arange(len(flights)), [len(f.objects) for f in flights])
        return cls(
            flights=tuple(flights),
            objects=objects,
            object_flight=owner,
            ephemeris=Ephemeris.from_trajectories(objects),
        )

    def __len__(self) -> int:
        return len(self.flights)

    def __getitem__(self, i: int) -> Flight:
        return self.flights[i]

    def state_at(self, t_s) -> np.ndarray:
        """ECEF states ``(*t.shape, n_objects, 6)`` of every object at times ``t_s`` [s]."""
        return self.ephemeris.state_at(t_s)


def _as_pairs(points, n: int, name: str) -> np.ndarray:
    a = np.asarray(points, dtype=float)
    if a.shape == (2,):
        a = np.broadcast_to(a, (n, 2))
    if a.shape != (n, 2):
        raise ValueError(f"{name} must be (lat_deg, lon_deg) or ({n}, 2), got shape {a.shape}")
    return a


def _as_list(value, n: int, name: str) -> list:
    if value is None or isinstance(value, (str, GuidanceError, MissileType)):
        return [value] * n
    out = list(value)
    if len(out) != n:
        raise ValueError(f"{name} must have one entry per flight ({n}), got {len(out)}")
    return out


def fly_many(
    missiles: MissileType | Sequence[MissileType],
    launches,
    aims,
    *,
    launch_times_s=0.0,
    profiles: str | Profile | Sequence[str | Profile] = Profile.MINIMUM_ENERGY,
    guidance_errors: GuidanceError | Sequence[GuidanceError | None] | None = None,
    program: BoostProgram = DEFAULT_PROGRAM,
) -> Raid:
    """Fly ``N`` missiles, each from its launch point ``(lat_deg, lon_deg)`` at its aim point.

    ``missiles``: one type for all, or one per flight; ``launches``, ``aims``: ``(2,)`` or
    ``(N, 2)`` degrees; ``launch_times_s``: scalar or ``(N,)`` scenario times of lift-off;
    ``profiles``, ``guidance_errors``: one for all or one per flight. Without guidance error
    each RV lands within :data:`~bmdsim.flight.aim.AIM_TOLERANCE_M` (1 m) of its aim point
    (Earth rotation included); an unreachable aim raises
    :class:`~bmdsim.flight.aim.AimError`.
    """
    n = max(
        1 if isinstance(missiles, MissileType) else len(missiles),
        np.asarray(launches, dtype=float).reshape(-1, 2).shape[0],
        np.asarray(aims, dtype=float).reshape(-1, 2).shape[0],
        np.size(launch_times_s),
        1 if isinstance(profiles, str) else len(profiles),
        1
        if guidance_errors is None or isinstance(guidance_errors, GuidanceError)
        else len(guidance_errors),
    )
    types = _as_list(missiles, n, "missiles")
    launch = _as_pairs(launches, n, "launches")
    aim = _as_pairs(aims, n, "aims")
    t_launch = np.asarray(launch_times_s, dtype=float)
    if t_launch.size not in (1, n):
        raise ValueError(f"launch_times_s must be a scalar or have one entry per flight ({n})")
    t_launch = np.broadcast_to(t_launch.reshape(-1), (n,))
    profile = [Profile(p) for p in _as_list(profiles, n, "profiles")]
    errors = [
        GuidanceError() if e is None else e for e in _as_list(guidance_errors, n, "guidance_errors")
    ]
    for m, e in zip(types, errors, strict=True):
        if e.failed_stage is not None and e.failed_stage >= len(m.stages):
            raise ValueError(
                f"failed_stage {e.failed_stage}: {m.name} has {len(m.stages)} stage(s)"
            )

    solutions = solve_aim(
        types, launch[:, 0], launch[:, 1], aim[:, 0], aim[:, 1], profile, program=program
    )

    table = vehicle_table(types)
    nominal_cut = np.array([s.cutoff_s for s in solutions])
    cutoff = np.maximum(nominal_cut - np.array([e.early_cutoff_s for e in errors]), 0.0)
    failed = np.array([e.failed_stage is not None for e in errors])
    ignition = np.concatenate([np.zeros((n, 1)), table.stage_end_s[:, :-1]], axis=1)
    fail_t = np.array(
        [
            ignition[i, e.failed_stage] + e.failure_time_s if e.failed_stage is not None else np.inf
            for i, e in enumerate(errors)
        ]
    )
    cutoff = np.minimum(cutoff, fail_t)
    plan = FlightPlan(
        lat_deg=launch[:, 0].copy(),
        lon_deg=launch[:, 1].copy(),
        azimuth_rad=np.array(
            [s.azimuth_rad + e.azimuth_bias_rad for s, e in zip(solutions, errors, strict=True)]
        ),
        pitch_over_rad=np.array([s.pitch_over_rad for s in solutions]),
        cutoff_s=cutoff,
        speed_error_m_s=np.array([e.burnout_speed_error_m_s for e in errors]),
        speed_error_fraction=np.array([e.burnout_speed_error_fraction for e in errors]),
        failed=failed,
    )
    flown = fly_out(table, plan, program=program)
    return Raid.from_flights(
        _flights(flown, types, launch, aim, t_launch, profile, solutions, errors)
    )


def _flights(flown, types, launch, aim, t_launch, profile, solutions, errors) -> list[Flight]:
    """Split the batch's knots into trajectories (per object) and flights."""
    d = flown.dense
    per_flight: list[list[Trajectory]] = [[] for _ in types]
    rvs: list[Trajectory | None] = [None] * len(types)
    for j in range(flown.object_flight.size):  # assembling records, once per object
        a, b = d.offsets[j], d.offsets[j + 1]
        if b <= a:
            continue
        i = int(flown.object_flight[j])
        t0 = t_launch[i]
        is_rv = flown.object_kind[j] != BOOSTER
        m = types[i]
        if is_rv:
            label, rcs = "rv", m.reentry_vehicle.rcs_m2
        else:
            st = int(flown.object_stage[j])
            top = flown.object_start_s[j] >= flown.burnout_t_s[i] - 1e-9
            label = (
                f"stage {st + 1}"
                if not top or st == len(m.stages) - 1
                else f"stages {st + 1}-{len(m.stages)}"
            )
            rcs = m.booster_rcs_m2
        traj = Trajectory.from_knots(
            kind=ObjectKind.RV if is_rv else ObjectKind.BOOSTER,
            label=label,
            rcs_m2=rcs,
            t_s=d.t_s[a:b] + t0,
            y=d.y[a:b],
            dydt=d.dydt[a:b],
            burnout_s=float(flown.burnout_t_s[i] + t0) if is_rv else None,
            burnout_state=flown.burnout_state[i] if is_rv else None,
            impacted=bool(np.isfinite(flown.impact_t_s[j])),
        )
        if is_rv:
            rvs[i] = traj
        else:
            per_flight[i].append(traj)
    return [
        Flight(
            missile=types[i],
            launch_lat_deg=float(launch[i, 0]),
            launch_lon_deg=float(launch[i, 1]),
            aim_lat_deg=float(aim[i, 0]),
            aim_lon_deg=float(aim[i, 1]),
            launch_time_s=float(t_launch[i]),
            profile=profile[i],
            solution=solutions[i],
            guidance_error=errors[i],
            rv=rvs[i],
            boosters=tuple(sorted(per_flight[i], key=lambda tr: tr.t_s[0])),
            rv_separation_s=float(flown.burnout_t_s[i] + t_launch[i])
            if flown.rv_separated[i]
            else None,
        )
        for i in range(len(types))
    ]


def fly(
    missile: MissileType,
    launch: tuple[float, float],
    aim: tuple[float, float],
    *,
    launch_time_s: float = 0.0,
    profile: str | Profile = Profile.MINIMUM_ENERGY,
    guidance_error: GuidanceError | None = None,
    program: BoostProgram = DEFAULT_PROGRAM,
) -> Flight:
    """Fly one missile from ``launch`` to ``aim`` (``(lat_deg, lon_deg)``); see :func:`fly_many`."""
    return fly_many(
        [missile],
        [launch],
        [aim],
        launch_times_s=launch_time_s,
        profiles=[profile],
        guidance_errors=[guidance_error],
        program=program,
    )[0]


__all__ = ["Flight", "Raid", "fly", "fly_many"]
