"""Notional, public-source types: missiles, sensors, interceptors (frozen records from bundled data)."""

from bmdsim.catalog.errors import UnknownTypeError
from bmdsim.catalog.interceptors import InterceptorType, interceptor, interceptors
from bmdsim.catalog.missiles import MissileType, ReentryVehicle, Stage, missile, missiles
from bmdsim.catalog.sensors import (
    InfraredType,
    RadarType,
    SensorKind,
    SensorType,
    SwerlingCase,
    sensor,
    sensors,
)

__all__ = [
    "InfraredType",
    "InterceptorType",
    "MissileType",
    "RadarType",
    "ReentryVehicle",
    "SensorKind",
    "SensorType",
    "Stage",
    "SwerlingCase",
    "UnknownTypeError",
    "interceptor",
    "interceptors",
    "missile",
    "missiles",
    "sensor",
    "sensors",
]
