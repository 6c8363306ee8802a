"""The sensor role: ``observe(t0_s, t1_s, truth, cues) -> DetectionBatch``.

Every sensor is an immutable object built once per run from its type, platform,
outage schedule and the run's seed. ``observe`` is a pure function of the window
and its inputs, and gives the same detections whether a run is observed in one
window or in many: each look belongs to a scan (search frame, track tick or
infrared frame) with a fixed index, the scan's random draws come from
``bmdsim.core.random.stream(seed, "sensor", sensor_id, <scan kind>, str(index))``,
and a detection is returned by the window that contains its look time.
Within a scan, object ``i`` uses row ``i`` of one ``standard_normal((N, k))``
draw, so appending objects to the truth never changes the earlier objects' noise.
"""

from __future__ import annotations

import math
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from bmdsim.core.random import stream
from bmdsim.sensors.outages import OutageSchedule
from bmdsim.sensors.truth import TruthTable
from bmdsim.sensors.types import CueSet, DetectionBatch, DetectionTruth, SensorStatusChange


@dataclass(frozen=True, slots=True, kw_only=True)
class Sensor(ABC):
    """Common part of every sensor: identity, seed, outages, scan timing."""

    id: str
    seed: int = 0
    outages: OutageSchedule = field(default_factory=OutageSchedule)

    @abstractmethod
    def observe(
        self, t0_s: float, t1_s: float, truth: TruthTable, cues: CueSet | None = None
    ) -> DetectionBatch:
        """Detections whose look time lies in ``[t0_s, t1_s)``, sorted by time."""

    def rng(self, *names: str) -> np.random.Generator:
        """This sensor's stream for ``names`` (e.g. ``"search", "12"``)."""
        return stream(self.seed, "sensor", self.id, *names)

    def phase_s(self, period_s: float, which: str) -> float:
        """Offset in ``[0, period_s)`` of a periodic schedule (fixed per seed and sensor),
        so that sensors do not all scan in step."""
        return _schedule_fraction(self.seed, self.id, which) * period_s

    def down_intervals(self, until_s: float) -> list[tuple[float, float, str]]:
        return self.outages.intervals(until_s, lambda: self.rng("outages"))

    def status_changes(self, t0_s: float, t1_s: float) -> list[SensorStatusChange]:
        """Down/up transitions of this sensor with ``t0_s <= t < t1_s``."""
        return OutageSchedule.status_changes(self.id, t0_s, t1_s, self.down_intervals(t1_s))

    def with_outage(self, start_s: float, end_s: float):
        """The same sensor with one more scheduled down window (an operator command)."""
        return replace(self, outages=self.outages.with_window(start_s, end_s))


@lru_cache(maxsize=1024)
def _schedule_fraction(seed: int, sensor_id: str, which: str) -> float:
    """The first draw of the sensor's ``("schedule", which)`` stream (asked every step)."""
    return float(stream(seed, "sensor", sensor_id, "schedule", which).random())


def scan_indices(t0_s: float, t1_s: float, phase_s: float, period_s: float, span_s: float):
    """Indices ``k`` of scans starting at ``phase_s + k period_s`` and lasting ``span_s``
    that overlap ``[t0_s, t1_s)``."""
    k0 = math.floor((t0_s - span_s - phase_s) / period_s)
    k1 = math.ceil((t1_s - phase_s) / period_s)
    k = np.arange(k0, k1 + 1)
    start = phase_s + k * period_s
    return k[(start < t1_s) & (start + span_s > t0_s)]


def standard_normals(sensor: Sensor, scan: str, indices, n_objects: int, k: int) -> np.ndarray:
    """Draws ``(len(indices), n_objects, k)``: one ``standard_normal((n_objects, k))`` per
    scan from that scan's own stream."""
    out = np.empty((len(indices), n_objects, k))
    for row, index in enumerate(indices):  # one generator per scan, not per object
        out[row] = sensor.rng(scan, str(int(index))).standard_normal((n_objects, k))
    return out


def assemble(
    *,
    sensor_id: str,
    t_s,
    kind,
    mode,
    z,
    sigma,
    snr,
    sensor_position_ecef,
    sensor_velocity_ecef,
    sensor_basis,
    object_id,
    false_alarm,
    rcs_m2=None,
) -> DetectionBatch:
    """A :class:`DetectionBatch` from flat ``(B, ...)`` arrays; ``z`` and ``sigma`` are
    ``(B, m)`` with ``m <= 4`` (padded here), noise uncorrelated between axes; ``rcs_m2``
    ``(B,)`` the measured RCS (``None``: NaN, a sensor that measures none)."""
    b = np.shape(t_s)[0]
    m = np.shape(z)[1]
    zp = np.full((b, 4), np.nan)
    zp[:, :m] = z
    cov = np.zeros((b, 4, 4))
    idx = np.arange(m)
    cov[:, idx, idx] = np.asarray(sigma) ** 2
    return DetectionBatch(
        t_s=np.asarray(t_s, dtype=float),
        sensor_id=np.full(b, sensor_id),
        kind=np.broadcast_to(np.asarray(kind, np.int8), (b,)).copy(),
        mode=np.broadcast_to(np.asarray(mode, np.int8), (b,)).copy(),
        z=zp,
        covariance=cov,
        snr=np.asarray(snr, dtype=float),
        rcs_m2=None if rcs_m2 is None else np.asarray(rcs_m2, dtype=float).reshape(b),
        sensor_position_ecef=np.asarray(sensor_position_ecef, dtype=float).reshape(b, 3),
        sensor_velocity_ecef=np.asarray(sensor_velocity_ecef, dtype=float).reshape(b, 3),
        sensor_basis=np.asarray(sensor_basis, dtype=float).reshape(b, 3, 3),
        truth=DetectionTruth(
            object_id=np.asarray(object_id, dtype=str).reshape(b),
            false_alarm=np.asarray(false_alarm, dtype=bool).reshape(b),
        ),
    )
