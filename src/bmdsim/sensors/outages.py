"""Sensor outages: scheduled windows and random failures (MTBF / MTTR).

A sensor that is down makes no looks and so produces no detections, true or
false; its status changes are reported as :class:`SensorStatusChange` records.
Random failures form an alternating renewal process from ``t = 0``: up times
exponential with mean ``mtbf_s``, repair times exponential with mean
``mttr_s``, drawn in order from one stream, so the timeline is the same however
far or in how many pieces it is asked for.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bmdsim.sensors.types import SensorStatusChange


@dataclass(frozen=True, slots=True, kw_only=True)
class OutageSchedule:
    """Scheduled down windows ``[start_s, end_s)`` and an optional random failure process."""

    windows_s: tuple[tuple[float, float], ...] = ()
    mtbf_s: float | None = None
    mttr_s: float | None = None

    def __post_init__(self) -> None:
        for start, end in self.windows_s:
            if not end > start:
                raise ValueError(f"outage window must have end > start, got {(start, end)}")
        if (self.mtbf_s is None) != (self.mttr_s is None):
            raise ValueError("give both mtbf_s and mttr_s, or neither")
        if self.mtbf_s is not None and not (self.mtbf_s > 0.0 and self.mttr_s > 0.0):
            raise ValueError("mtbf_s and mttr_s must be positive")

    def with_window(self, start_s: float, end_s: float) -> OutageSchedule:
        """This schedule plus one more down window (an operator command)."""
        return OutageSchedule(
            windows_s=(*self.windows_s, (float(start_s), float(end_s))),
            mtbf_s=self.mtbf_s,
            mttr_s=self.mttr_s,
        )

    def intervals(self, until_s: float, rng_factory) -> list[tuple[float, float, str]]:
        """Merged, sorted down intervals ``(start_s, end_s, cause)`` that begin before
        ``until_s``. ``rng_factory()`` returns the sensor's outage stream (called only
        when random failures are modelled)."""
        raw = [(float(a), float(b), "scheduled") for a, b in self.windows_s if a < until_s]
        if self.mtbf_s is not None:
            rng = rng_factory()
            t = 0.0
            while True:
                t += rng.exponential(self.mtbf_s)
                if t >= until_s:
                    break
                repair = rng.exponential(self.mttr_s)
                raw.append((t, t + repair, "failure"))
                t += repair
        raw.sort()
        merged: list[list] = []
        for a, b, cause in raw:
            if merged and a <= merged[-1][1]:
                merged[-1][1] = max(merged[-1][1], b)
            else:
                merged.append([a, b, cause])
        return [(a, b, c) for a, b, c in merged]

    @staticmethod
    def down_mask(t_s, intervals) -> np.ndarray:
        """True where times ``t_s (...)`` fall in one of the merged ``intervals``."""
        t = np.asarray(t_s, dtype=float)
        if not intervals:
            return np.zeros(t.shape, dtype=bool)
        starts = np.array([a for a, _, _ in intervals])
        ends = np.array([b for _, b, _ in intervals])
        i = np.searchsorted(starts, t, side="right") - 1
        return (i >= 0) & (t < ends[np.clip(i, 0, None)])

    @staticmethod
    def status_changes(
        sensor_id: str, t0_s: float, t1_s: float, intervals
    ) -> list[SensorStatusChange]:
        """Down and up transitions with ``t0_s <= t < t1_s``, in time order."""
        out = []
        for a, b, cause in intervals:
            if t0_s <= a < t1_s:
                out.append(SensorStatusChange(t_s=a, sensor_id=sensor_id, up=False, cause=cause))
            if t0_s <= b < t1_s:
                out.append(SensorStatusChange(t_s=b, sensor_id=sensor_id, up=True, cause=cause))
        out.sort(key=lambda e: e.t_s)
        return out
