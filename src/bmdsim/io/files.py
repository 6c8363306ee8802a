"""Writing a run's output files, atomically: ``summary.json``, ``events.parquet``,
``report.html`` and ``scenario.czml``.

Every file is written by :func:`write_atomic`: the bytes go to a temporary file in the
target's directory, are flushed to disk, and the temporary file is renamed over the
target (``os.replace``), so a reader sees the old file or the whole new one, never a
part; on error the temporary file is removed.

``summary.json`` is canonical: keys sorted, two-space indent, UTF-8, floats rounded to
:data:`SUMMARY_DIGITS` significant digits and written by Python's shortest ``repr``, NaN
and infinities as ``null``; two identical runs give byte-identical files.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import math
import os
import tempfile
from enum import Enum
from pathlib import Path, PurePath

import numpy as np

#: Significant digits kept for floats in ``summary.json`` (1e-12 relative: a micrometre
#: on a thousand kilometres).
SUMMARY_DIGITS: int = 12

#: File names written by :func:`write_outputs`, by role.
OUTPUT_FILES: dict[str, str] = {
    "summary": "summary.json",
    "events": "events.parquet",
    "report": "report.html",
    "czml": "scenario.czml",
}


def write_atomic(path, data: bytes | str, *, mode: int = 0o644) -> Path:
    """Write ``data`` (``str`` is encoded as UTF-8) to ``path`` atomically; return the path.

    The parent directory must exist. The file gets permission bits ``mode``."""
    path = Path(path)
    payload = data.encode("utf-8") if isinstance(data, str) else bytes(data)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(payload)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, mode)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)
    return path


def _fsync_dir(directory: Path) -> None:
    """Make the rename durable (POSIX); a no-op where directories cannot be opened."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def to_jsonable(value, *, digits: int = SUMMARY_DIGITS):
    """``value`` as plain JSON data: numpy scalars and arrays to Python, tuples to lists,
    floats rounded to ``digits`` significant digits (NaN and infinities to ``None``),
    dates to ISO-8601, enums to their values, paths to strings; dict keys to strings."""
    if value is None or isinstance(value, (bool, np.bool_)):
        return None if value is None else bool(value)
    if isinstance(value, (int, np.integer)):
        return int(value)
    if isinstance(value, (float, np.floating)):
        x = float(value)
        if not math.isfinite(x):
            return None
        x = float(f"{x:.{digits}g}")
        return 0.0 if x == 0.0 else x
    if isinstance(value, Enum):
        return to_jsonable(value.value, digits=digits)
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return {str(k): to_jsonable(v, digits=digits) for k, v in value.items()}
    if isinstance(value, (list, tuple, np.ndarray)):
        return [to_jsonable(v, digits=digits) for v in value]
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    if isinstance(value, PurePath):
        return str(value)
    raise TypeError(f"cannot write {type(value).__name__} to JSON: {value!r}")


def summary_json(summary: dict) -> str:
    """The canonical text of ``summary.json`` for a summary dict (see the module doc)."""
    return (
        json.dumps(
            to_jsonable(summary), sort_keys=True, indent=2, ensure_ascii=False, allow_nan=False
        )
        + "\n"
    )


def write_summary(result, path) -> Path:
    """Write ``result.summary`` as canonical JSON to ``path`` (atomically)."""
    return write_atomic(path, summary_json(result.summary))


def events_table(result):
    """The event log as a :class:`pyarrow.Table` (columns of :attr:`Result.events`:
    time_s float64 [s since the scenario epoch], kind, source, subject, text, data as a
    JSON string) with the scenario name, epoch and seed in the schema metadata."""
    import pyarrow as pa

    frame = result.events
    schema = pa.schema(
        [
            ("time_s", pa.float64()),
            ("kind", pa.string()),
            ("source", pa.string()),
            ("subject", pa.string()),
            ("text", pa.string()),
            ("data", pa.string()),
        ]
    )
    columns = {
        "time_s": np.asarray(frame["time_s"], dtype=float),
        **{
            name: [str(v) for v in frame[name]]
            for name in ("kind", "source", "subject", "text", "data")
        },
    }
    table = pa.Table.from_pydict(columns, schema=schema)
    meta = {
        "bmdsim.scenario": str(result.summary.get("scenario", _scenario_name(result))),
        "bmdsim.seed": str(result.seed),
        "bmdsim.epoch": _epoch_iso(result),
    }
    return table.replace_schema_metadata(meta)


def _scenario_name(result) -> str:
    return str(getattr(result.scenario, "name", ""))


def _epoch_iso(result) -> str:
    epoch = getattr(result.scenario, "epoch", None)
    return epoch.isoformat() if epoch is not None else ""


def write_events(result, path) -> Path:
    """Write the event log (:func:`events_table`) as Parquet to ``path`` (atomically)."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    sink = pa.BufferOutputStream()
    pq.write_table(events_table(result), sink)
    return write_atomic(path, sink.getvalue().to_pybytes())


def write_czml(result, path) -> Path:
    """Write the run as a CZML document (:func:`bmdsim.io.czml.scenario_czml`)."""
    from bmdsim.io.czml import scenario_czml

    return write_atomic(path, scenario_czml(result))


def write_report(result, path) -> Path:
    """Write the self-contained HTML report (:func:`bmdsim.io.report.report_html`)."""
    from bmdsim.io.report import report_html

    return write_atomic(path, report_html(result))


def write_outputs(result, out_dir) -> dict[str, Path]:
    """Write ``summary.json``, ``events.parquet``, ``report.html`` and ``scenario.czml``
    into ``out_dir`` (created if needed); return their paths by role ("summary",
    "events", "report", "czml")."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    writers = {
        "summary": write_summary,
        "events": write_events,
        "report": write_report,
        "czml": write_czml,
    }
    return {role: writers[role](result, out / name) for role, name in OUTPUT_FILES.items()}


__all__ = [
    "OUTPUT_FILES",
    "SUMMARY_DIGITS",
    "events_table",
    "summary_json",
    "to_jsonable",
    "write_atomic",
    "write_czml",
    "write_events",
    "write_outputs",
    "write_report",
    "write_summary",
]
