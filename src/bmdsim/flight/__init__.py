"""Threat flight: truth trajectories of ballistic missiles and their spent stages.

Front door:

* :func:`fly` / :func:`fly_many` — solve the aim (azimuth, pitch-over, cut-off) and fly
  missiles boost to impact on the rotating WGS-84 Earth, with guidance errors
  (:class:`GuidanceError`) and trajectory :class:`Profile`; results are :class:`Flight`
  (RV and spent stages as :class:`Trajectory`) and :class:`Raid` (all objects sampled as
  one batch);
* :func:`propagate` / :func:`predict_impact` — ballistic propagation of state batches;
* :func:`max_range_m`, :class:`AimError`;
* debris of an intercept (:mod:`~bmdsim.flight.debris`): :func:`generate_fragments`
  (:class:`DebrisModel`), :func:`fly_debris`, :func:`footprint`, :func:`intercept_debris`, and
  :func:`impact_report` for an unintercepted threat.

Models: equations of motion :mod:`~bmdsim.flight.dynamics`, boost and staging
:mod:`~bmdsim.flight.flyout`, aim solver :mod:`~bmdsim.flight.aim`.
"""

from bmdsim.flight.aim import AimError, AimSolution, max_range_m
from bmdsim.flight.debris import (
    AreaToMassClass,
    CountryMass,
    Debris,
    DebrisFootprint,
    DebrisImpacts,
    DebrisModel,
    FragmentBatch,
    ImpactReport,
    fly_debris,
    footprint,
    generate_fragments,
    impact_report,
    intercept_debris,
)
from bmdsim.flight.fly import Flight, Raid, fly, fly_many
from bmdsim.flight.guidance import BoostProgram, GuidanceError, Profile
from bmdsim.flight.propagation import Impact, predict_impact, propagate
from bmdsim.flight.trajectory import (
    Ephemeris,
    ObjectKind,
    Overflight,
    Phase,
    Trajectory,
    TrajectoryPoint,
)

__all__ = [
    "AimError",
    "AimSolution",
    "AreaToMassClass",
    "BoostProgram",
    "CountryMass",
    "Debris",
    "DebrisFootprint",
    "DebrisImpacts",
    "DebrisModel",
    "Ephemeris",
    "Flight",
    "FragmentBatch",
    "GuidanceError",
    "Impact",
    "ImpactReport",
    "ObjectKind",
    "Overflight",
    "Phase",
    "Profile",
    "Raid",
    "Trajectory",
    "TrajectoryPoint",
    "fly",
    "fly_debris",
    "fly_many",
    "footprint",
    "generate_fragments",
    "impact_report",
    "intercept_debris",
    "max_range_m",
    "predict_impact",
    "propagate",
]
