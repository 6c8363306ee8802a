"""Threat flight: truth trajectories of ballistic missiles and other flight objects.

Equations of motion in ECEF (:mod:`~bmdsim.flight.dynamics`), batched ballistic
propagation (:func:`propagate`, :func:`predict_impact`).
"""

from bmdsim.flight.propagation import Impact, predict_impact, propagate

__all__ = ["Impact", "predict_impact", "propagate"]
