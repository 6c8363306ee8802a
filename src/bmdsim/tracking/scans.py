"""From the sensors' detection stream to the scans the tracker processes."""

from __future__ import annotations

import numpy as np

from bmdsim.sensors.models import model_for
from bmdsim.sensors.types import DetectionBatch, MeasurementKind
from bmdsim.tracking.types import Scan


def scans_from_detections(
    batch: DetectionBatch, *, max_span_s: float = 0.5, coverage=None
) -> list[Scan]:
    """Split a :class:`DetectionBatch` into scans, in time order.

    A scan holds one sensor's detections of one measurement kind and one detection mode
    whose look times fall in the same ``max_span_s`` bin (a radar's beam sweeps its sector,
    so the detections of a frame have their own times; each keeps it, see
    :attr:`Scan.detection_times_s`). Search and track (dwell) looks are separate scans: a
    radar may see an object in its search sweep and in a dwell on the object's track a few
    milliseconds apart, and the tracker takes at most one detection per track per scan
    (with both in one scan the second would start a duplicate track). The
    scan's measurement model (:func:`bmdsim.sensors.models.model_for`) has the sensor
    geometry of the scan's first look, so it broadcasts over every track; keep
    ``max_span_s`` short enough for a moving sensor (a ship covers a few metres in 0.5 s).
    Measurement covariances and measured RCS stay per detection; truth labels are not
    passed on.
    ``coverage``: optional mapping sensor id -> ``(time_s, states (N, n)) -> bool (N,)``.
    """
    if len(batch) == 0:
        return []
    t = batch.t_s
    bins = np.floor((t - t.min()) / max_span_s).astype(np.int64)
    # groups ordered by (bin, sensor, kind, mode); rows by time within each (stable)
    keys = (bins, batch.sensor_id, batch.kind, batch.mode)
    order = np.lexsort((t, *keys[::-1]))
    start = np.zeros(len(order), bool)
    start[0] = True
    for key in keys:
        k = key[order]
        start[1:] |= k[1:] != k[:-1]
    bounds = np.append(np.flatnonzero(start), len(order))
    scans = []
    for g in range(len(bounds) - 1):  # a loop over scans, not over objects
        rows = order[bounds[g] : bounds[g + 1]]
        first = rows[0]
        kind = MeasurementKind(int(batch.kind[first]))
        m = kind.dim
        noise = batch.covariance[rows, :m, :m]
        model = model_for(
            kind,
            sensor_position_ecef=batch.sensor_position_ecef[first],
            sensor_velocity_ecef=batch.sensor_velocity_ecef[first],
            sensor_basis=batch.sensor_basis[first],
            noise_covariance=noise,
        )
        sensor_id = str(batch.sensor_id[first])
        times = t[rows]
        time_s = float(times[0])
        cov = None
        if coverage is not None and sensor_id in coverage:
            fn = coverage[sensor_id]

            def cov(states, fn=fn, time_s=time_s):
                return fn(time_s, states)

        scans.append(
            Scan(
                time_s=time_s,
                sensor_id=sensor_id,
                z=batch.z[rows, :m],
                noise=noise,
                model=model,
                coverage=cov,
                detection_times_s=None if np.all(times == time_s) else times,
                rcs_m2=batch.rcs_m2[rows],
            )
        )
    scans.sort(key=lambda s: s.time_s)
    return scans
