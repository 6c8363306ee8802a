"""Notional, public-source types: missiles, sensors, interceptors (frozen records from bundled data)."""

from bmdsim.catalog.errors import UnknownTypeError
from bmdsim.catalog.missiles import MissileType, ReentryVehicle, Stage, missile, missiles

__all__ = ["MissileType", "ReentryVehicle", "Stage", "UnknownTypeError", "missile", "missiles"]
