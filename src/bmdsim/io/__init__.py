"""Output of a run: ``summary.json``, ``events.parquet``, the self-contained HTML report and
CZML for Cesium.

Front door: :func:`write_outputs` (all four files into a directory) and the single-file
writers :func:`write_summary`, :func:`write_events`, :func:`write_report`,
:func:`write_czml`, all atomic (:func:`write_atomic`). The report is built by
:func:`bmdsim.io.report.report_html`, the CZML by :func:`bmdsim.io.czml.czml_document`.
"""

from bmdsim.io.files import (
    OUTPUT_FILES,
    events_table,
    summary_json,
    to_jsonable,
    write_atomic,
    write_czml,
    write_events,
    write_outputs,
    write_report,
    write_summary,
)

__all__ = [
    "OUTPUT_FILES",
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
