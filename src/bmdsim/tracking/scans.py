"""From the sensors' detection stream to the scans the tracker processes."""

from __future__ import annotations

import numpy as np

from bmdsim.sensors.models import model_for
from bmdsim.sensors.types import DetectionBatch, MeasurementKind
from bmdsim.tracking.types import Scan


def scans_from_detections(batch: DetectionBatch, coverage=None) -> list[Scan]:
    """Split a :class:`DetectionBatch` into scans: one per (sensor, look time, measurement kind).

    Each scan gets its sensor's measurement model (:func:`bmdsim.sensors.models.model_for`)
    with the sensor geometry of that look (one sensor position and basis, so the model
    broadcasts over every track); the measurement covariances stay per detection. Truth
    labels, if any, are not passed on. ``coverage``: optional mapping sensor id ->
    ``(time_s, states (N, n)) -> bool (N,)`` (which tracks the sensor could see).
    """
    if len(batch) == 0:
        return []
    keys = np.rec.fromarrays([batch.sensor_id, batch.t_s, batch.kind], names="s,t,k")
    uniq, inverse = np.unique(keys, return_inverse=True)
    order = np.argsort(inverse, kind="stable")
    bounds = np.searchsorted(inverse[order], np.arange(len(uniq) + 1))
    scans = []
    for g, key in enumerate(uniq):
        rows = order[bounds[g] : bounds[g + 1]]
        kind = MeasurementKind(int(key["k"]))
        m = kind.dim
        first = rows[0]
        noise = batch.covariance[rows, :m, :m]
        model = model_for(
            kind,
            sensor_position_ecef=batch.sensor_position_ecef[first],
            sensor_velocity_ecef=batch.sensor_velocity_ecef[first],
            sensor_basis=batch.sensor_basis[first],
            noise_covariance=noise,
        )
        sensor_id = str(key["s"])
        time_s = float(key["t"])
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
            )
        )
    return scans
