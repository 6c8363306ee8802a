"""Atomic writers, canonical summary.json and the Parquet event log."""

from __future__ import annotations

import json
import math
import os

import numpy as np
import pyarrow.parquet as pq
import pytest

from bmdsim.io import (
    OUTPUT_FILES,
    summary_json,
    to_jsonable,
    write_atomic,
    write_events,
    write_outputs,
    write_summary,
)
from tests.unit.io.result_fixture import build_result

THREAT_KEYS = {
    "id",
    "missile",
    "launch",
    "aim",
    "overflown_countries",
    "predicted_impact",
    "launch_point_estimate",
    "intercepted",
    "intercept",
    "impact",
    "debris",
}
TIMELINE_KEYS = {
    "first_detection",
    "track_confirmed",
    "threat_evaluated",
    "alert_sent",
    "engage_order",
    "interceptor_launch",
    "intercept",
}


def test_write_atomic_writes_text_and_bytes_and_leaves_no_temporary(tmp_path):
    write_atomic(tmp_path / "a.txt", "Dörtyol\n")
    write_atomic(tmp_path / "b.bin", b"\x00\x01")
    assert (tmp_path / "a.txt").read_text(encoding="utf-8") == "Dörtyol\n"
    assert (tmp_path / "b.bin").read_bytes() == b"\x00\x01"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "b.bin"]
    assert oct((tmp_path / "a.txt").stat().st_mode & 0o777) == oct(0o644)


def test_write_atomic_replaces_whole_file(tmp_path):
    target = tmp_path / "s.json"
    write_atomic(target, "x" * 10_000)
    write_atomic(target, "short")
    assert target.read_text() == "short"


def test_write_atomic_failure_keeps_old_file_and_removes_temporary(tmp_path, monkeypatch):
    target = tmp_path / "s.json"
    write_atomic(target, "old")

    def broken_replace(src, dst):
        raise OSError("disk on fire")

    monkeypatch.setattr(os, "replace", broken_replace)
    with pytest.raises(OSError, match="disk on fire"):
        write_atomic(target, "new")
    monkeypatch.undo()
    assert target.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["s.json"]


def test_write_atomic_needs_an_existing_directory(tmp_path):
    with pytest.raises(FileNotFoundError):
        write_atomic(tmp_path / "missing" / "x.txt", "x")


def test_to_jsonable_handles_numpy_nan_and_rounding():
    value = {
        "a": np.float64(1.0) / 3.0,
        "b": np.nan,
        "c": np.int64(7),
        "d": np.bool_(True),
        "e": (1, 2),
        "f": np.array([0.1, np.inf]),
        3: -0.0,
    }
    out = to_jsonable(value)
    assert out == {
        "a": 0.333333333333,
        "b": None,
        "c": 7,
        "d": True,
        "e": [1, 2],
        "f": [0.1, None],
        "3": 0.0,
    }
    assert isinstance(out["c"], int) and isinstance(out["d"], bool)
    with pytest.raises(TypeError, match="cannot write object"):
        to_jsonable(object())


def test_summary_json_is_canonical(result):
    text = summary_json(result.summary)
    assert text.endswith("}\n")
    data = json.loads(text)
    # sorted keys at every level: re-dumping with sort_keys reproduces the text
    assert json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n" == text
    as_numpy = json.loads(text)
    as_numpy["threats"][0]["launch"]["lat_deg"] = np.float64(
        result.summary["threats"][0]["launch"]["lat_deg"]
    )
    as_numpy["timeline"]["intercept"] = np.float64(result.summary["timeline"]["intercept"])
    assert summary_json(as_numpy) == text


def test_two_identical_runs_give_byte_identical_summaries(tmp_path):
    """The fixture is built twice from scratch (flight included)."""
    a = write_summary(build_result.__wrapped__(), tmp_path / "a.json").read_bytes()
    b = write_summary(build_result.__wrapped__(), tmp_path / "b.json").read_bytes()
    assert a == b


def test_summary_follows_the_design_contract(result, tmp_path):
    data = json.loads(write_summary(result, tmp_path / "summary.json").read_text("utf-8"))
    assert {"scenario", "seed", "threats", "timeline", "interceptors_used"} <= set(data)
    threat = data["threats"][0]
    assert THREAT_KEYS <= set(threat)
    assert set(threat["intercept"]) >= {
        "time_s",
        "lat_deg",
        "lon_deg",
        "alt_m",
        "fire_unit",
        "interceptor",
        "miss_distance_m",
    }
    assert threat["impact"] is None
    assert TIMELINE_KEYS <= set(data["timeline"])
    assert threat["debris"]["footprint_geojson"]["type"] == "Polygon"


def test_nan_in_summary_is_written_as_null(result, tmp_path):
    from dataclasses import replace

    summary = json.loads(summary_json(result.summary))
    summary["threats"][0]["launch_point_estimate"]["error_m"] = float("nan")
    path = write_summary(replace(result, summary=summary), tmp_path / "s.json")
    text = path.read_text()
    assert "NaN" not in text
    assert json.loads(text)["threats"][0]["launch_point_estimate"]["error_m"] is None


def test_events_parquet_round_trips_the_log(result, tmp_path):
    path = write_events(result, tmp_path / "events.parquet")
    table = pq.read_table(path)
    assert table.num_rows == len(result.log)
    assert table.column_names == ["time_s", "kind", "source", "subject", "text", "data"]
    frame = table.to_pandas()
    expected = result.events
    np.testing.assert_array_equal(frame["time_s"].to_numpy(), expected["time_s"].to_numpy())
    assert list(frame["kind"]) == [str(k) for k in expected["kind"]]
    assert np.all(np.diff(frame["time_s"].to_numpy()) >= 0.0)
    hit = frame[frame["kind"] == "intercept"].iloc[0]
    assert math.isclose(json.loads(hit["data"])["miss_distance_m"], 0.42)
    meta = table.schema.metadata
    assert meta[b"bmdsim.scenario"] == b"dortyol-2026-03-04"
    assert meta[b"bmdsim.seed"] == str(result.seed).encode()
    assert meta[b"bmdsim.epoch"].startswith(b"2026-03-04T10:00:00")


def test_write_outputs_writes_the_four_files(result, tmp_path):
    out = tmp_path / "run" / "nested"
    paths = write_outputs(result, out)
    assert set(paths) == set(OUTPUT_FILES)
    assert sorted(p.name for p in out.iterdir()) == sorted(OUTPUT_FILES.values())
    for role, path in paths.items():
        assert path == out / OUTPUT_FILES[role]
        assert path.stat().st_size > 1_000, role
