"""A set of sensors observed together: one merged, time-sorted detection stream."""

from __future__ import annotations

from dataclasses import dataclass

from bmdsim.sensors.base import Sensor, batch_of_parts
from bmdsim.sensors.truth import TruthTable
from bmdsim.sensors.types import CueSet, DetectionBatch, SensorStatusChange


@dataclass(frozen=True, slots=True, kw_only=True)
class SensorSuite:
    """Sensors of a run, by id (ids must be unique)."""

    sensors: tuple[Sensor, ...]

    def __post_init__(self) -> None:
        ids = [s.id for s in self.sensors]
        if len(set(ids)) != len(ids):
            raise ValueError(f"sensor ids must be unique, got {ids}")

    def __getitem__(self, sensor_id: str) -> Sensor:
        for s in self.sensors:
            if s.id == sensor_id:
                return s
        raise KeyError(sensor_id)

    def __len__(self) -> int:
        return len(self.sensors)

    def observe(
        self,
        t0_s: float,
        t1_s: float,
        truth: TruthTable,
        cues: CueSet | dict[str, CueSet] | None = None,
    ) -> DetectionBatch:
        """All sensors' detections with look times in ``[t0_s, t1_s)``, sorted by time.

        ``cues`` is one :class:`CueSet` for every sensor or a mapping from sensor id
        to its own cues. The loop is over sensors; each sensor is vectorised over
        objects and scans. The sensors' detection parts are merged once (the same batch
        as concatenating each sensor's ``observe``).
        """
        parts = []
        for s in self.sensors:
            c = cues.get(s.id) if isinstance(cues, dict) else cues
            parts.extend(s.detection_parts(t0_s, t1_s, truth, c))
        return batch_of_parts(parts)

    def status_changes(self, t0_s: float, t1_s: float) -> list[SensorStatusChange]:
        """Every sensor's down/up transitions in ``[t0_s, t1_s)``, in time order."""
        out = [e for s in self.sensors for e in s.status_changes(t0_s, t1_s)]
        out.sort(key=lambda e: (e.t_s, e.sensor_id))
        return out

    def with_outage(self, sensor_id: str, start_s: float, end_s: float) -> SensorSuite:
        """The same suite with one sensor down in ``[start_s, end_s)`` (operator command)."""
        self[sensor_id]  # raises KeyError for an unknown id
        return SensorSuite(
            sensors=tuple(
                s.with_outage(start_s, end_s) if s.id == sensor_id else s for s in self.sensors
            )
        )
