"""bmdsim.tracking — from the detection stream to system tracks.

Types (:mod:`~bmdsim.tracking.types`), motion models (:mod:`~bmdsim.tracking.motion`) and
algorithms as roles: predictors, updaters (EKF, UKF, IMM), a chi-square gater, a global
nearest neighbour associator, initiators (single-point radar, stereo lines of sight, cues),
M-of-N confirmation, deletion, and the :class:`Tracker` that assembles them. Every role acts
on all tracks of a batch at once.
"""

from bmdsim.tracking.associator import GlobalNearestNeighbourAssociator
from bmdsim.tracking.deleter import Deleter, MOfNConfirmer
from bmdsim.tracking.hypothesiser import ChiSquareGater, Hypotheses
from bmdsim.tracking.initiator import (
    InitialState,
    SinglePointInitiator,
    StereoInitiator,
    tracks_from_cue,
)
from bmdsim.tracking.motion import BallisticMotion, BoostMotion, gravity_gradient
from bmdsim.tracking.predictor import (
    ExtendedKalmanPredictor,
    InteractingMultipleModelPredictor,
    UnscentedKalmanPredictor,
)
from bmdsim.tracking.scans import scans_from_detections
from bmdsim.tracking.tracker import RetrodictedMeasurement, Tracker
from bmdsim.tracking.types import (
    MeasurementPrediction,
    Scan,
    TrackBatch,
    TrackConfirmed,
    TrackDeleted,
    TrackEvents,
    TrackInitiated,
    TrackStatus,
    TrackUpdated,
)
from bmdsim.tracking.updater import ExtendedKalmanUpdater, UnscentedKalmanUpdater

__all__ = [
    "BallisticMotion",
    "BoostMotion",
    "ChiSquareGater",
    "Deleter",
    "ExtendedKalmanPredictor",
    "ExtendedKalmanUpdater",
    "GlobalNearestNeighbourAssociator",
    "Hypotheses",
    "InitialState",
    "InteractingMultipleModelPredictor",
    "MOfNConfirmer",
    "MeasurementPrediction",
    "RetrodictedMeasurement",
    "Scan",
    "SinglePointInitiator",
    "StereoInitiator",
    "TrackBatch",
    "TrackConfirmed",
    "TrackDeleted",
    "TrackEvents",
    "TrackInitiated",
    "TrackStatus",
    "TrackUpdated",
    "Tracker",
    "UnscentedKalmanPredictor",
    "UnscentedKalmanUpdater",
    "gravity_gradient",
    "scans_from_detections",
    "tracks_from_cue",
]
