"""bmdsim.assessment — what a track means: where it lands, where it came from, whom it threatens.

Types (:mod:`~bmdsim.assessment.types`), models (the fast ballistic coast
:mod:`~bmdsim.assessment.coast`, sigma points and a quadratic surrogate
:mod:`~bmdsim.assessment.sigma`, nominal boosts :class:`BoostProfile`) and algorithms as
roles: :class:`ImpactPredictor` (impact point, ellipse, time, samples),
:class:`LaunchPointEstimator` (launch point and time), :class:`ThreatEvaluator` (countries,
alliance, defended assets, category, ranking), :class:`PathPredictor` (countries under the
predicted trajectory), and the :class:`Assessor` the engine calls once per tracker update,
with its :class:`ThreatMonitor` of events. Every role acts on all tracks of a batch at once.
"""

from bmdsim.assessment.assessor import AssessmentStep, Assessor, ThreatMonitor
from bmdsim.assessment.coast import BallisticCoast, CoastResult
from bmdsim.assessment.impact import DragPrior, ImpactMethod, ImpactPredictor
from bmdsim.assessment.launch import (
    BoostObservations,
    BoostProfile,
    LaunchPointEstimator,
    boost_profile,
)
from bmdsim.assessment.path import PathPredictor
from bmdsim.assessment.threat import DefendedArea, ThreatEvaluator
from bmdsim.assessment.types import (
    SEA,
    AirspaceCrossing,
    AssessmentEvent,
    ErrorEllipse,
    GroundSamples,
    ImpactCountryChanged,
    ImpactPrediction,
    LaunchEstimate,
    LaunchMethod,
    LaunchPointEstimated,
    ThreatAssessment,
    ThreatCategory,
    ThreatCategoryChanged,
    ThreatEvaluated,
    ThreatUpdated,
    ellipse_scale,
)

__all__ = [
    "SEA",
    "AirspaceCrossing",
    "AssessmentEvent",
    "AssessmentStep",
    "Assessor",
    "BallisticCoast",
    "BoostObservations",
    "BoostProfile",
    "CoastResult",
    "DefendedArea",
    "DragPrior",
    "ErrorEllipse",
    "GroundSamples",
    "ImpactCountryChanged",
    "ImpactMethod",
    "ImpactPrediction",
    "ImpactPredictor",
    "LaunchEstimate",
    "LaunchMethod",
    "LaunchPointEstimated",
    "LaunchPointEstimator",
    "PathPredictor",
    "ThreatAssessment",
    "ThreatCategory",
    "ThreatCategoryChanged",
    "ThreatEvaluated",
    "ThreatEvaluator",
    "ThreatMonitor",
    "ThreatUpdated",
    "boost_profile",
    "ellipse_scale",
]
