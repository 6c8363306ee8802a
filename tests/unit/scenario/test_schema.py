"""The validated scenario model: bundled scenarios, catalog references, SI properties."""

from __future__ import annotations

import copy
import dataclasses
import json
import math
from pathlib import Path

import numpy as np
import pydantic
import pytest
import yaml

import bmdsim
from bmdsim.catalog import interceptor, missile
from bmdsim.earth.frames import geodetic_to_ecef
from bmdsim.scenario import (
    PostureLevel,
    Problem,
    Profile,
    Scenario,
    ScenarioError,
    WeaponControl,
    bundled_scenarios,
    load_scenario,
    scenario_from_yaml,
    scenario_json_schema,
)
from tests.unit.scenario.cases import BASE

ROOT = Path(__file__).resolve().parents[3]
EXAMPLE = ROOT / "examples" / "scenarios" / "test-range-notional.yaml"


def _with(**changes) -> dict:
    data = copy.deepcopy(BASE)
    data.update(changes)
    return data


def _threat_missile(value) -> Scenario:
    data = copy.deepcopy(BASE)
    data["threats"][0]["missile"] = value
    return Scenario.from_mapping(data)


# ---------------------------------------------------------------- bundled scenarios


def test_bundled_scenarios_are_listed_with_descriptions():
    listed = dict(bundled_scenarios())
    assert {"dortyol-2026-03-04", "gulf-salvo-notional"} <= set(listed)
    assert all(text and "\n" not in text for text in listed.values())


@pytest.mark.parametrize("name", [n for n, _ in bundled_scenarios()])
def test_every_bundled_scenario_validates_and_is_named_after_its_file(name):
    scenario = load_scenario(name)
    assert scenario.name == name
    assert scenario.threats
    for threat in scenario.threats:
        assert threat.missile_type.published_range_km > 0
    for unit in scenario.fire_units:
        assert unit.interceptor_type.sources


def test_front_door_exports_load_scenario_and_scenario():
    scenario = bmdsim.load_scenario("dortyol-2026-03-04")
    assert isinstance(scenario, bmdsim.Scenario)
    assert bmdsim.ScenarioError is ScenarioError


def test_reference_scenario_matches_the_public_reporting():
    s = load_scenario("dortyol-2026-03-04")
    assert s.epoch.isoformat() == "2026-03-04T10:00:00+00:00"
    members = s.alliance_members()
    assert "TUR" in members and "GBR" in members and "CYP" not in members
    (threat,) = s.threats
    assert threat.missile_type.id == "shahab-3"
    assert (threat.aim.lat_deg, threat.aim.lon_deg) == (34.59, 32.99)  # RAF Akrotiri
    assert threat.guidance_error.azimuth_bias_deg > 0  # deflected north, toward Hatay
    assert 0 < threat.guidance_error.early_cutoff_s < threat.missile_type.total_burn_time_s
    types = sorted(x.type for x in s.sensors)
    assert types == ["an-tpy-2-fbm", "sbirs-geo", "sbirs-geo", "spy-1d"]
    kurecik = s.component("kurecik-tpy2")
    assert (kurecik.site.lat_deg, kurecik.site.lon_deg) == (38.35, 37.79)
    assert 100 <= kurecik.boresight_az_deg <= 110
    ship = s.component("ddg-east-med")
    lat, lon = ship.position_at(0.0)
    assert (float(lat), float(lon)) == (35.3, 34.9)
    assert s.component("ddg-sm3").interceptor_type.id == "sm-3-ib"
    assert {a.id for a in s.defended_assets} == {
        "incirlik", "kurecik", "adana", "iskenderun", "raf-akrotiri"}
    assert s.posture.level_at(0.0) is PostureLevel.NORMAL
    assert s.posture.level_at(s.duration_s - 1) is PostureLevel.HEIGHTENED


def test_gulf_scenario_uses_a_listed_coalition_and_several_profiles():
    s = load_scenario("gulf-salvo-notional")
    assert s.alliance.members is not None
    assert s.alliance_members() >= {"QAT", "ARE", "USA"}
    assert len(s.threats) == 4
    assert {t.profile for t in s.threats} == set(Profile)


def test_example_scenario_validates():
    s = load_scenario(EXAMPLE)
    assert s.name == "test-range-notional"
    assert s.threats[0].missile_type.id == "mrbm-target"
    assert s.alliance is None and s.alliance_members() == frozenset()


# ---------------------------------------------------------------- catalog references


def test_inline_missile_type_is_used_as_given():
    inline = dataclasses.asdict(missile("shahab-3"))
    inline.update(id="my-mrbm", name="My MRBM", published_range_km=1500)
    inline["stages"][0]["burn_time_s"] = 95.0
    s = _threat_missile(inline)
    m = s.threats[0].missile_type
    assert (m.id, m.name, m.published_range_km) == ("my-mrbm", "My MRBM", 1500.0)
    assert m.stages[0].burn_time_s == 95.0
    assert m.reentry_vehicle == missile("shahab-3").reentry_vehicle


def test_extends_overrides_only_the_given_fields():
    s = _threat_missile({"extends": "shahab-3", "reentry_vehicle": {"mass_kg": 650}})
    m, base = s.threats[0].missile_type, missile("shahab-3")
    assert m.id == "shahab-3-custom" and m.name == "Shahab-3 (custom)"
    assert m.reentry_vehicle.mass_kg == 650
    assert m.reentry_vehicle.drag_curve == base.reentry_vehicle.drag_curve
    assert m.stages == base.stages
    assert m.launch_mass_kg == pytest.approx(base.launch_mass_kg - 350)


def test_extends_replaces_lists_whole():
    stage = {"name": "s1", "propellant_mass_kg": 9000, "dry_mass_kg": 1500, "burn_time_s": 80,
             "isp_vac_s": 250, "nozzle_exit_area_m2": 0.5, "diameter_m": 1.2}
    s = _threat_missile({"extends": "sejjil", "id": "one-stage", "stages": [stage]})
    m = s.threats[0].missile_type
    assert m.id == "one-stage" and len(m.stages) == 1 and m.stages[0].propellant_mass_kg == 9000


def test_inline_interceptor_extension():
    data = copy.deepcopy(BASE)
    data["fire_units"][1]["interceptor"] = {"extends": "pac-3-mse", "max_range_m": 80_000}
    s = Scenario.from_mapping(data)
    t = s.fire_units[1].interceptor_type
    assert t.max_range_m == 80_000
    assert t.stages == interceptor("pac-3-mse").stages
    assert t.kill_probability(0.0) == interceptor("pac-3-mse").pk_max


def test_catalog_reference_objects_are_accepted_from_python():
    s = Scenario.from_mapping(BASE)
    again = Scenario.from_mapping(s.model_dump())
    assert again == s


# ---------------------------------------------------------------- SI views and behaviour


def test_si_properties_convert_units():
    s = Scenario.from_mapping(BASE)
    asset = s.defended_assets[0]
    assert asset.radius_m == 8000.0
    np.testing.assert_allclose(asset.ecef_m, geodetic_to_ecef(37.0, 35.43, 0.0), rtol=0, atol=0)
    radar = s.component("radar")
    np.testing.assert_allclose(radar.site.ecef_m, geodetic_to_ecef(38.35, 37.79, 1900.0))
    assert radar.boresight_az_rad == pytest.approx(math.radians(105))
    assert s.platforms[0].max_speed_m_s == pytest.approx(30 * 1852 / 3600)
    assert s.threats[0].guidance_error.azimuth_bias_rad == pytest.approx(math.radians(2.0))
    assert s.sensors[0].orbit.lon_rad == pytest.approx(math.radians(39.0))


def test_platform_interpolates_and_holds_position():
    p = Scenario.from_mapping(BASE).platforms[0]
    lat, lon = p.position_at(np.array([[-10.0, 0.0], [600.0, 5000.0]]))
    assert lat.shape == (2, 2)
    np.testing.assert_allclose(lat, [[35.30, 35.30], [35.31, 35.32]])
    np.testing.assert_allclose(lon, [[34.90, 34.90], [34.915, 34.93]])


def test_posture_defaults_fill_levels_not_given():
    data = _with(posture={"initial": "high", "levels": {
        "high": {"decision_delay_multiplier": 0.1, "readiness_multiplier": 0.2}}})
    posture = Scenario.from_mapping(data).posture
    assert posture.spec_at(0).decision_delay_multiplier == 0.1
    assert posture.levels[PostureLevel.NORMAL].readiness_multiplier == 1.0
    assert set(posture.levels) == set(PostureLevel)


def test_defaults_are_applied():
    data = copy.deepcopy(BASE)
    del data["seed"], data["posture"], data["c2"]
    s = Scenario.from_mapping(data)
    assert s.seed == 0
    assert s.posture.initial is PostureLevel.NORMAL and s.posture.changes == ()
    assert s.fire_units[1].weapon_control is WeaponControl.TIGHT
    assert s.fire_units[1].channels == 1 and s.fire_units[1].salvo_size == 1
    assert s.c2.decision_delays.threat_evaluation_s == 20.0


def test_epoch_with_offset_is_converted_to_utc():
    s = Scenario.from_mapping(_with(epoch="2026-03-04T13:00:00+03:00"))
    assert s.epoch.isoformat() == "2026-03-04T10:00:00+00:00"
    assert s.alliance_date.isoformat() == "2026-03-04"


def test_yaml_timestamp_is_accepted_unquoted():
    text = yaml.safe_dump(BASE, sort_keys=False).replace(
        "'2026-03-04T10:00:00Z'", "2026-03-04T10:00:00Z")
    assert "epoch: 2026-03-04T10:00:00Z" in text
    assert scenario_from_yaml(text).epoch.hour == 10


def test_alliance_membership_follows_the_epoch_date():
    before = Scenario.from_mapping(_with(epoch="2023-01-01T00:00:00Z")).alliance_members()
    after = Scenario.from_mapping(_with(epoch="2024-06-01T00:00:00Z")).alliance_members()
    assert "SWE" not in before and "SWE" in after


def test_scenario_is_immutable():
    s = Scenario.from_mapping(BASE)
    with pytest.raises(pydantic.ValidationError):
        s.duration_s = 10.0
    with pytest.raises(pydantic.ValidationError):
        s.threats[0].launch.lat_deg = 0.0


def test_component_lookup_by_id():
    s = Scenario.from_mapping(BASE)
    assert s.component("ship-sm3") is s.fire_units[0]
    with pytest.raises(KeyError):
        s.component("nope")


def test_scenario_error_lists_one_line_per_problem():
    err = ScenarioError([
        Problem(path="a.b", message="out of range", value=3, allowed="a number <= 2"),
        Problem(path="c", message="required key is missing", allowed="a string"),
    ])
    assert str(err).splitlines() == [
        "a.b: out of range; got 3; allowed: a number <= 2",
        "c: required key is missing; allowed: a string",
    ]
    assert not isinstance(err, ValueError)


# ---------------------------------------------------------------- JSON Schema


def test_json_schema_is_json_and_lists_the_top_level_fields():
    schema = json.loads(json.dumps(scenario_json_schema()))
    assert set(schema["properties"]) == set(Scenario.model_fields)
    assert set(schema["required"]) == {"name", "epoch", "duration_s", "threats"}
    assert schema["additionalProperties"] is False
    catalog_ids = schema["$defs"]["Threat"]["properties"]["missile"]["oneOf"][0]["enum"]
    assert "shahab-3" in catalog_ids


def _json_ready(data):
    return json.loads(json.dumps(data, default=lambda o: o.isoformat()))


def _bundled_and_example_documents():
    from importlib import resources

    folder = resources.files("bmdsim.scenario").joinpath("data")
    texts = [f.read_text("utf-8") for f in folder.iterdir() if f.name.endswith(".yaml")]
    texts.append(EXAMPLE.read_text("utf-8"))
    return [_json_ready(yaml.safe_load(t)) for t in texts]


def test_json_schema_is_a_valid_schema_that_accepts_the_shipped_scenarios():
    jsonschema = pytest.importorskip("jsonschema")
    schema = scenario_json_schema()
    jsonschema.Draft202012Validator.check_schema(schema)
    validator = jsonschema.Draft202012Validator(schema)
    documents = [*_bundled_and_example_documents(), _json_ready(BASE)]
    extended = copy.deepcopy(BASE)
    extended["threats"][0]["missile"] = {"extends": "shahab-3", "reentry_vehicle": {"mass_kg": 1}}
    documents.append(extended)
    for document in documents:
        errors = [e.message for e in validator.iter_errors(document)]
        assert errors == [], (document["name"], errors)


def test_json_schema_rejects_unknown_keys_and_ids():
    jsonschema = pytest.importorskip("jsonschema")
    validator = jsonschema.Draft202012Validator(scenario_json_schema())
    bad = copy.deepcopy(BASE)
    bad["threats"][0]["launch"]["height_m"] = 3
    bad["sensors"][0]["type"] = "aegis-9000"
    assert len(list(validator.iter_errors(_json_ready(bad)))) >= 2


def test_json_schema_allows_an_extension_with_only_extends():
    defs = scenario_json_schema()["$defs"]
    for name in ("MissileSpec", "InterceptorSpec"):
        forms = defs[name]["anyOf"]
        assert forms[0]["required"][:2] == ["id", "name"]
        assert forms[1]["required"] == ["extends"]
        assert forms[1]["additionalProperties"] is False


def _models_below(model, seen=None):
    import typing

    seen = set() if seen is None else seen
    if model in seen:
        return seen
    seen.add(model)
    stack = [f.annotation for f in model.model_fields.values()]
    while stack:
        tp = stack.pop()
        if isinstance(tp, type) and issubclass(tp, pydantic.BaseModel):
            _models_below(tp, seen)
        stack.extend(a for a in typing.get_args(tp) if a is not Ellipsis)
    return seen


def test_docs_describe_every_field_of_the_format():
    import re

    text = (ROOT / "docs" / "scenario-format.md").read_text(encoding="utf-8")
    missing = sorted(
        f"{model.__name__}.{name}"
        for model in _models_below(Scenario)
        for name in model.model_fields
        if not re.search(rf"\b{re.escape(name)}\b", text)
    )
    assert missing == []
