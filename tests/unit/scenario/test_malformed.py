"""Every malformed scenario raises ScenarioError naming the exact field path."""

from __future__ import annotations

import pytest

from bmdsim.scenario import Problem, ScenarioError, load_scenario
from tests.unit.scenario.cases import CASES, Case


def test_the_table_holds_at_least_twenty_cases_with_unique_names():
    names = [c.name for c in CASES]
    assert len(names) >= 20
    assert len(set(names)) == len(names)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_malformed_scenario_reports_exact_paths(case: Case, tmp_path):
    path = case.write(tmp_path)
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    problems = info.value.problems
    assert tuple(p.path for p in problems) == case.paths, str(info.value)
    assert all(isinstance(p, Problem) and p.message for p in problems)
    lines = str(info.value).splitlines()
    assert len(lines) == len(problems)
    assert all(line.startswith(f"{p.path}: ") for line, p in zip(lines, problems, strict=True))


def test_missing_file_is_a_file_problem(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path / "absent.yaml")
    (problem,) = info.value.problems
    assert problem.path == "<file>"
    assert problem.value == str(tmp_path / "absent.yaml")
    assert "dortyol-2026-03-04" in problem.allowed


def test_directory_is_a_file_problem(tmp_path):
    with pytest.raises(ScenarioError) as info:
        load_scenario(tmp_path)
    assert [p.path for p in info.value.problems] == ["<file>"]


def test_unknown_bundled_name_lists_the_bundled_scenarios():
    with pytest.raises(ScenarioError) as info:
        load_scenario("no-such-scenario")
    (problem,) = info.value.problems
    assert problem.path == "<file>"
    assert "dortyol-2026-03-04" in problem.allowed and "gulf-salvo-notional" in problem.allowed


def test_non_utf8_file_is_a_file_problem(tmp_path):
    path = tmp_path / "latin1.yaml"
    path.write_bytes("name: Dörtyol\n".encode("latin-1"))
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert [p.path for p in info.value.problems] == ["<file>"]


def test_yaml_error_message_gives_the_line(tmp_path):
    (case,) = [c for c in CASES if c.name == "not-yaml"]
    with pytest.raises(ScenarioError) as info:
        load_scenario(case.write(tmp_path))
    assert "line 2" in info.value.problems[0].message


def test_messages_give_value_and_allowed_range(tmp_path):
    (case,) = [c for c in CASES if c.name == "latitude-out-of-range"]
    with pytest.raises(ScenarioError) as info:
        load_scenario(case.write(tmp_path))
    (problem,) = info.value.problems
    assert problem.value == 95.0
    assert problem.allowed == "a number in [-90, 90]"
    assert str(problem) == (
        "threats[0].launch.lat_deg: out of range; got 95.0; allowed: a number in [-90, 90]"
    )


def test_unknown_ids_list_the_known_ones(tmp_path):
    (case,) = [c for c in CASES if c.name == "unknown-missile-type"]
    with pytest.raises(ScenarioError) as info:
        load_scenario(case.write(tmp_path))
    (problem,) = info.value.problems
    assert problem.value == "scud-z"
    for known in ("shahab-3", "ghadr-110", "sejjil"):
        assert known in problem.allowed


def test_unknown_key_suggests_the_close_one(tmp_path):
    (case,) = [c for c in CASES if c.name == "unknown-key-in-c2-link"]
    with pytest.raises(ScenarioError) as info:
        load_scenario(case.write(tmp_path))
    (problem,) = info.value.problems
    assert "did you mean 'latency_s'" in problem.message
    assert "latency_s" in problem.allowed and "jitter_s" in problem.allowed


def test_several_problems_are_reported_together(tmp_path):
    import copy

    import yaml

    from tests.unit.scenario.cases import BASE

    data = copy.deepcopy(BASE)
    data["threats"][0]["launch"]["lat_deg"] = -91
    data["fire_units"][0]["inventory"] = -2
    data["extra"] = True
    path = tmp_path / "many.yaml"
    path.write_text(yaml.safe_dump(data), encoding="utf-8")
    with pytest.raises(ScenarioError) as info:
        load_scenario(path)
    assert sorted(p.path for p in info.value.problems) == [
        "extra", "fire_units[0].inventory", "threats[0].launch.lat_deg",
    ]
