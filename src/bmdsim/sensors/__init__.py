"""Sensors: space infrared, ground and ship radars, from truth to a detection stream.

Truth comes in as a :class:`TruthTable` (sampled ECEF states and signatures);
each sensor's ``observe(t0_s, t1_s, truth, cues)`` returns the
:class:`DetectionBatch` of what it measured in that window — measurements,
covariances and SNR, with truth labels kept apart for scoring. Measurement
models (:mod:`bmdsim.sensors.models`) are shared with the tracker.
"""

from bmdsim.sensors.base import Sensor
from bmdsim.sensors.detection import (
    detection_probability,
    gaussian_threshold,
    infrared_detection_probability,
    measurement_sigma,
    radar_snr,
    required_snr,
)
from bmdsim.sensors.geometry import refracted_elevation, segment_clears_ellipsoid, triangulate_lines
from bmdsim.sensors.infrared import SpaceInfrared
from bmdsim.sensors.models import (
    EcefToLosAngles,
    EcefToRangeAzEl,
    EcefToRangeAzElRangeRate,
    geocentric_ned_basis,
    model_for,
    wrap_angle,
)
from bmdsim.sensors.orbits import KeplerOrbit
from bmdsim.sensors.outages import OutageSchedule
from bmdsim.sensors.placement import sensors_from_scenario
from bmdsim.sensors.platforms import FixedSite, OrbitPlatform, WaypointPlatform
from bmdsim.sensors.radar import Radar
from bmdsim.sensors.suite import SensorSuite
from bmdsim.sensors.truth import TruthTable
from bmdsim.sensors.types import (
    CueSet,
    DetectionBatch,
    DetectionMode,
    DetectionTruth,
    MeasurementKind,
    SensorStatusChange,
)

__all__ = [
    "CueSet",
    "DetectionBatch",
    "DetectionMode",
    "DetectionTruth",
    "EcefToLosAngles",
    "EcefToRangeAzEl",
    "EcefToRangeAzElRangeRate",
    "FixedSite",
    "KeplerOrbit",
    "MeasurementKind",
    "OrbitPlatform",
    "OutageSchedule",
    "Radar",
    "Sensor",
    "SensorStatusChange",
    "SensorSuite",
    "SpaceInfrared",
    "TruthTable",
    "WaypointPlatform",
    "detection_probability",
    "gaussian_threshold",
    "geocentric_ned_basis",
    "infrared_detection_probability",
    "measurement_sigma",
    "model_for",
    "radar_snr",
    "refracted_elevation",
    "required_snr",
    "segment_clears_ellipsoid",
    "sensors_from_scenario",
    "triangulate_lines",
    "wrap_angle",
]
