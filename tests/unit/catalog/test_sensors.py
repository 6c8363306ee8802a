"""Sensor catalog: bundled records, unit conversion, sources and estimate flags, validation."""

from __future__ import annotations

import dataclasses
import math
from importlib import resources

import pytest
import yaml

from bmdsim.catalog import (
    InfraredType,
    RadarType,
    SensorKind,
    SwerlingCase,
    UnknownTypeError,
    sensor,
    sensors,
)
from bmdsim.catalog.sensors import sensor_from_mapping


def _raw():
    text = resources.files("bmdsim.catalog").joinpath("data/sensors.yaml").read_text("utf-8")
    return {d["id"]: d for d in yaml.safe_load(text)["sensors"]}


def test_bundled_sensor_ids_and_kinds():
    table = sensors()
    assert set(table) == {"an-tpy-2-fbm", "spy-1d", "sbirs-geo", "sbirs-heo"}
    assert isinstance(table["an-tpy-2-fbm"], RadarType) and isinstance(table["spy-1d"], RadarType)
    assert (
        isinstance(table["sbirs-geo"], InfraredType)
        and table["sbirs-heo"].kind is SensorKind.SPACE_INFRARED
    )


def test_file_units_are_converted_to_si():
    tpy = sensor("an-tpy-2-fbm")
    assert tpy.azimuth_half_width_rad == pytest.approx(math.radians(60.0))
    assert tpy.reference_range_m == 1.0e6 and tpy.frequency_hz == pytest.approx(9.5e9)
    assert tpy.angle_sigma_ref_rad == pytest.approx(0.35e-3)
    assert tpy.reference_snr == pytest.approx(10**2.2)
    assert tpy.swerling is SwerlingCase.SWERLING_1
    geo = sensor("sbirs-geo")
    assert geo.los_sigma_rad == pytest.approx(10e-6) and geo.cloud_top_altitude_m == 10e3


def test_every_record_cites_sources_and_flags_real_fields_as_estimates():
    raw = _raw()
    for name, record in sensors().items():
        assert record.sources, name
        unknown = set(record.estimated_fields) - set(raw[name])
        assert not unknown, f"{name}: estimated_fields name missing keys {unknown}"


def test_ship_radar_is_less_sensitive_than_the_forward_based_radar():
    tpy, spy = sensor("an-tpy-2-fbm"), sensor("spy-1d")

    def snr_db(t, range_m):
        return (
            t.reference_snr_db
            + 40 * math.log10(t.reference_range_m / range_m)
            - 10 * math.log10(t.reference_rcs_m2)
        )

    assert snr_db(spy, 5e5) < snr_db(tpy, 5e5) - 10.0
    assert spy.full_azimuth and not tpy.full_azimuth


def test_unknown_sensor_lists_the_known_ids():
    with pytest.raises(UnknownTypeError, match="an-tpy-2-fbm"):
        sensor("an-fps-117")


def test_records_are_frozen_and_validated():
    tpy = sensor("an-tpy-2-fbm")
    with pytest.raises(dataclasses.FrozenInstanceError):
        tpy.pfa = 0.1
    bad = dict(_raw()["an-tpy-2-fbm"], pfa=1.5)
    with pytest.raises(ValueError, match="pfa"):
        sensor_from_mapping(bad)
    bad = dict(_raw()["an-tpy-2-fbm"], search_max_elevation_deg=80)
    with pytest.raises(ValueError, match="elevation"):
        sensor_from_mapping(bad)
