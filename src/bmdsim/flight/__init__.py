"""Threat flight: truth trajectories of ballistic missiles and their spent stages.

Front door:

* :func:`fly` / :func:`fly_many` — solve the aim (azimuth, pitch-over, cut-off) and fly
  missiles boost to impact on the rotating WGS-84 Earth, with guidance errors
  (:class:`GuidanceError`) and trajectory :class:`Profile`; results are :class:`Flight`
  (RV and spent stages as :class:`Trajectory`) and :class:`Raid` (all objects sampled as
  one batch);
* :func:`propagate` / :func:`predict_impact` — ballistic propagation of state batches;
* :func:`max_range_m`, :class:`AimError`.

Models: equations of motion :mod:`~bmdsim.flight.dynamics`, boost and staging
:mod:`~bmdsim.flight.flyout`, aim solver :mod:`~bmdsim.flight.aim`.
"""

from bmdsim.flight.aim import AimError, AimSolution, max_range_m
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
    "BoostProgram",
    "Ephemeris",
    "Flight",
    "GuidanceError",
    "Impact",
    "ObjectKind",
    "Overflight",
    "Phase",
    "Profile",
    "Raid",
    "Trajectory",
    "TrajectoryPoint",
    "fly",
    "fly_many",
    "max_range_m",
    "predict_impact",
    "propagate",
]
