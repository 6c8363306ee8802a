"""The ``bmdsim`` command line: version, scenario list, validation, JSON Schema."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

import bmdsim
from bmdsim.cli.main import app
from tests.unit.scenario.cases import CASES, Case

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "examples" / "scenarios" / "test-range-notional.yaml"

runner = CliRunner()


def test_version_prints_the_package_version():
    result = runner.invoke(app, ["--version"])
    assert result.exit_code == 0
    assert result.stdout.strip() == f"bmdsim {bmdsim.__version__}"


def test_scenarios_lists_every_bundled_scenario():
    result = runner.invoke(app, ["scenarios"])
    assert result.exit_code == 0
    assert "dortyol-2026-03-04" in result.stdout
    assert "gulf-salvo-notional" in result.stdout


@pytest.mark.parametrize("name", ["dortyol-2026-03-04", "gulf-salvo-notional"])
def test_validate_bundled_scenario_exits_zero_with_a_summary(name):
    result = runner.invoke(app, ["validate", name])
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith(f"{name}: valid")
    assert "threats (" in result.stdout and "fire units (" in result.stdout


def test_validate_summary_counts_the_reference_scenario():
    result = runner.invoke(app, ["validate", "dortyol-2026-03-04"])
    assert "alliance NATO: 32 members on 2026-03-04" in result.stdout
    assert "posture normal -> heightened at 1500 s" in result.stdout
    assert "6 sm-3-ib, 32 pac-3-mse interceptors" in result.stdout


def test_validate_example_file_exits_zero():
    result = runner.invoke(app, ["validate", str(EXAMPLE)])
    assert result.exit_code == 0, result.output
    assert "test-range-notional: valid" in result.stdout


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.name)
def test_validate_malformed_file_exits_two_with_one_line_per_problem(case: Case, tmp_path):
    path = case.write(tmp_path)
    result = runner.invoke(app, ["validate", str(path)])
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    lines = result.stderr.splitlines()
    assert lines[0] == f"{path}: {len(case.paths)} problem(s)"
    assert [line.split(": ", 1)[0] for line in lines[1:]] == list(case.paths)
    assert result.stdout == ""


def test_validate_missing_file_exits_two():
    result = runner.invoke(app, ["validate", "no/such/file.yaml"])
    assert result.exit_code == 2
    assert "<file>: no such file" in result.stderr
    assert "Traceback" not in result.output


def test_schema_prints_json_listing_the_top_level_fields():
    result = runner.invoke(app, ["schema"])
    assert result.exit_code == 0
    schema = json.loads(result.stdout)
    assert schema["$schema"].startswith("https://json-schema.org/")
    assert {"name", "epoch", "duration_s", "threats", "sensors", "platforms", "fire_units",
            "defended_assets", "c2", "posture", "alliance", "seed"} <= set(schema["properties"])
    assert schema["additionalProperties"] is False


def test_console_script_reports_problems_without_traceback(tmp_path):
    (case,) = [c for c in CASES if c.name == "latitude-out-of-range"]
    path = case.write(tmp_path)
    code = "import sys; from bmdsim.cli.main import app; sys.argv[0] = 'bmdsim'; app()"
    proc = subprocess.run([sys.executable, "-c", code, "validate", str(path)],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 2
    assert "Traceback" not in proc.stdout + proc.stderr
    assert "threats[0].launch.lat_deg: out of range; got 95.0" in proc.stderr
