"""From the sensors' detection stream to the scans the tracker processes."""

from __future__ import annotations

import numpy as np

from bmdsim.sensors.models import model_for
from bmdsim.sensors.types import DetectionBatch, MeasurementKind
from bmdsim.tracking.types import Scan

_KINDS = {int(k): k for k in MeasurementKind}


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
    passed on. A scan's arrays may be views of the batch's (consecutive rows).
    ``coverage``: optional mapping sensor id -> ``(time_s, states (N, n)) -> bool (N,)``.
    """
    if len(batch) == 0:
        return []
    t = batch.t_s
    bins = np.floor((t - t.min()) / max_span_s).astype(np.int64)
    # groups ordered by (bin, sensor, kind, mode); rows by time within each (stable). A
    # batch holds a few detections, so the keys are sorted as Python tuples (the same
    # order as a stable lexsort of the arrays, without numpy's string comparisons).
    times_list = t.tolist()
    sensor_ids = batch.sensor_id.tolist()
    kinds = batch.kind.tolist()
    keys = list(zip(bins.tolist(), sensor_ids, kinds, batch.mode.tolist(), strict=True))
    order = sorted(range(len(keys)), key=lambda i: (keys[i], times_list[i]))
    bounds = [0]
    bounds += [j for j in range(1, len(order)) if keys[order[j]] != keys[order[j - 1]]]
    bounds.append(len(order))
    rcs_all = batch.rcs_m2
    scans = []
    for g in range(len(bounds) - 1):  # a loop over scans, not over objects
        lo, hi = bounds[g], bounds[g + 1]
        group = order[lo:hi]
        first = group[0]
        if group[-1] - first == hi - lo - 1 and group == list(range(first, first + hi - lo)):
            rows = slice(first, first + hi - lo)  # consecutive rows: views, no copies
        else:
            rows = np.asarray(group, dtype=np.intp)
        kind = _KINDS[kinds[first]]
        m = kind.dim
        noise = batch.covariance[rows, :m, :m]
        model = model_for(
            kind,
            sensor_position_ecef=batch.sensor_position_ecef[first],
            sensor_velocity_ecef=batch.sensor_velocity_ecef[first],
            sensor_basis=batch.sensor_basis[first],
            noise_covariance=noise,
        )
        sensor_id = sensor_ids[first]
        time_s = times_list[first]
        same_time = all(times_list[i] == time_s for i in group)
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
                detection_times_s=None if same_time else t[rows],
                rcs_m2=None if rcs_all is None else rcs_all[rows],
            )
        )
    scans.sort(key=lambda s: s.time_s)
    return scans
