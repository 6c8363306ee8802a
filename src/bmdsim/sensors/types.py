"""Data types of the sensors layer: truth in, detections out, cues and status changes.

Everything is a frozen record of arrays with the batch axis first. Frames: ECEF
(WGS-84) metres and metres per second; times in seconds since the scenario epoch.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import IntEnum

import numpy as np

#: Width of the padded measurement vector of a :class:`DetectionBatch`.
MAX_MEASUREMENT_DIM = 4

#: Columns of a sensor's detection rows ``(B, N_ROW)`` (:data:`bmdsim.sensors.base.Part`):
#: look time, measurement padded with NaN to 4, covariance ``4 x 4`` (row-major), SNR,
#: measured RCS (NaN: none), the sensor's position, velocity and basis (row-major), and the
#: measurement kind, detection mode and false-alarm flag as exact small numbers.
R_T = 0
R_Z = 1
R_COV = 5
R_SNR = 21
R_RCS = 22
R_POS = 23
R_VEL = 26
R_BASIS = 29
R_KIND = 38
R_MODE = 39
R_FA = 40
N_ROW = 41


class MeasurementKind(IntEnum):
    """What a detection's measurement vector ``z`` holds (SI units, rad)."""

    #: ``[range_m, azimuth_rad, elevation_rad]`` in the sensor's local ENU frame.
    RANGE_AZ_EL = 0
    #: ``[range_m, azimuth_rad, elevation_rad, range_rate_m_s]``.
    RANGE_AZ_EL_RATE = 1
    #: ``[alpha_rad, beta_rad]``: line-of-sight angles in the sensor's frame (see
    #: :class:`bmdsim.sensors.models.EcefToLosAngles`).
    LOS_ANGLES = 2

    @property
    def dim(self) -> int:
        return (3, 4, 2)[self.value]


class DetectionMode(IntEnum):
    """How the look that produced a detection was scheduled."""

    SEARCH = 0
    #: A track or cued dwell (radar), revisited at the track rate.
    TRACK = 1
    #: A staring infrared frame.
    FRAME = 2


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectionTruth:
    """Truth labels of a detection batch, kept apart for scoring (never for the tracker).

    ``object_id (B,)`` is the truth object's id, ``""`` for a false alarm;
    ``false_alarm (B,)`` bool.
    """

    object_id: np.ndarray
    false_alarm: np.ndarray

    def take(self, index) -> DetectionTruth:
        return DetectionTruth(object_id=self.object_id[index], false_alarm=self.false_alarm[index])


@dataclass(frozen=True, slots=True, kw_only=True)
class DetectionBatch:
    """A batch of ``B`` detections (reports), as the sensors hand them on.

    Fields (batch axis first):

    * ``t_s (B,)`` — time of the look [s];
    * ``sensor_id (B,)`` — str;
    * ``kind (B,)`` — :class:`MeasurementKind` codes (int8);
    * ``mode (B,)`` — :class:`DetectionMode` codes (int8);
    * ``z (B, 4)`` — measurement, padded with NaN beyond ``kind.dim``;
    * ``covariance (B, 4, 4)`` — measurement noise covariance, zero-padded;
    * ``snr (B,)`` — mean SNR of the look, linear (radar: power ratio;
      infrared: amplitude ratio); for a false alarm, the threshold-crossing
      statistic;
    * ``rcs_m2 (B,)`` — the radar's measured radar cross-section [m^2]: its range
      equation inverted at the look's measured detection statistic and measured range
      (so it fluctuates as the target's Swerling case); NaN for an infrared detection
      (defaults to NaN when not given);
    * ``sensor_position_ecef (B, 3)``, ``sensor_velocity_ecef (B, 3)`` — where the
      sensor was at ``t_s`` [m, m/s];
    * ``sensor_basis (B, 3, 3)`` — rows are the sensor frame's axes in ECEF (radar:
      local east, north, up; infrared: geocentric north, east, down);
    * ``truth`` — :class:`DetectionTruth`, or ``None`` once stripped by
      :meth:`without_truth` for the tracker.
    """

    t_s: np.ndarray
    sensor_id: np.ndarray
    kind: np.ndarray
    mode: np.ndarray
    z: np.ndarray
    covariance: np.ndarray
    snr: np.ndarray
    sensor_position_ecef: np.ndarray
    sensor_velocity_ecef: np.ndarray
    sensor_basis: np.ndarray
    truth: DetectionTruth | None = None
    rcs_m2: np.ndarray | None = None

    def __post_init__(self) -> None:
        b = self.t_s.shape[0]
        if self.rcs_m2 is None:
            object.__setattr__(self, "rcs_m2", np.full(b, np.nan))
        assert self.rcs_m2.shape == (b,)
        assert self.t_s.shape == (b,)
        assert self.sensor_id.shape == (b,) and self.kind.shape == (b,)
        assert self.mode.shape == (b,) and self.snr.shape == (b,)
        assert self.z.shape == (b, MAX_MEASUREMENT_DIM)
        assert self.covariance.shape == (b, MAX_MEASUREMENT_DIM, MAX_MEASUREMENT_DIM)
        assert self.sensor_position_ecef.shape == (b, 3)
        assert self.sensor_velocity_ecef.shape == (b, 3)
        assert self.sensor_basis.shape == (b, 3, 3)
        if self.truth is not None:
            assert self.truth.object_id.shape == (b,) and self.truth.false_alarm.shape == (b,)

    def __len__(self) -> int:
        return int(self.t_s.shape[0])

    @property
    def snr_db(self) -> np.ndarray:
        return 10.0 * np.log10(self.snr)

    @classmethod
    def empty(cls, *, with_truth: bool = True) -> DetectionBatch:
        """A batch of no detections (one shared instance of each kind)."""
        out = _EMPTY.get((cls, with_truth))
        if out is None:
            out = _EMPTY[(cls, with_truth)] = cls._make_empty(with_truth)
        return out

    @classmethod
    def _make_empty(cls, with_truth: bool) -> DetectionBatch:
        d = MAX_MEASUREMENT_DIM
        truth = (
            DetectionTruth(object_id=np.zeros(0, dtype="<U1"), false_alarm=np.zeros(0, bool))
            if with_truth
            else None
        )
        return cls(
            t_s=np.zeros(0),
            sensor_id=np.zeros(0, dtype="<U1"),
            kind=np.zeros(0, np.int8),
            mode=np.zeros(0, np.int8),
            z=np.zeros((0, d)),
            covariance=np.zeros((0, d, d)),
            snr=np.zeros(0),
            sensor_position_ecef=np.zeros((0, 3)),
            sensor_velocity_ecef=np.zeros((0, 3)),
            sensor_basis=np.zeros((0, 3, 3)),
            truth=truth,
        )

    def take(self, index) -> DetectionBatch:
        """The detections selected by an integer index array or a boolean mask."""
        return _checked_already(
            DetectionBatch,
            t_s=self.t_s[index],
            sensor_id=self.sensor_id[index],
            kind=self.kind[index],
            mode=self.mode[index],
            z=self.z[index],
            covariance=self.covariance[index],
            snr=self.snr[index],
            rcs_m2=self.rcs_m2[index],
            sensor_position_ecef=self.sensor_position_ecef[index],
            sensor_velocity_ecef=self.sensor_velocity_ecef[index],
            sensor_basis=self.sensor_basis[index],
            truth=None if self.truth is None else self.truth.take(index),
        )

    def between(self, t0_s: float, t1_s: float) -> DetectionBatch:
        """The detections with ``t0_s <= t_s < t1_s``."""
        return self.take((self.t_s >= t0_s) & (self.t_s < t1_s))

    def without_truth(self) -> DetectionBatch:
        """The same detections with the truth labels removed: what a tracker may see."""
        values = {f: getattr(self, f) for f in _BATCH_FIELDS}
        values["truth"] = None
        return _checked_already(DetectionBatch, **values)

    @staticmethod
    def concat(batches) -> DetectionBatch:
        """Concatenate batches and sort by time (ties: by sensor id, then input order).

        Truth labels are kept only if every batch has them. One batch (the others empty)
        whose times strictly increase is returned as it is (its arrays shared).
        """
        batches = [b for b in batches]
        if not batches:
            return DetectionBatch.empty()
        keep_truth = all(b.truth is not None for b in batches)
        parts = [b for b in batches if len(b)] or batches[:1]
        if len(parts) == 1:
            only = parts[0]
            t = only.t_s
            if t.shape[0] < 2 or (t[1:] > t[:-1]).all():  # no ties, already in time order
                return only if keep_truth or only.truth is None else only.without_truth()

        def cat(name):
            return np.concatenate([getattr(b, name) for b in parts])

        t_s, sensor_id = cat("t_s"), cat("sensor_id")
        order = np.lexsort((sensor_id, t_s))
        truth = None
        if keep_truth:
            truth = DetectionTruth(
                object_id=np.concatenate([b.truth.object_id for b in parts])[order],
                false_alarm=np.concatenate([b.truth.false_alarm for b in parts])[order],
            )
        return _checked_already(
            DetectionBatch,
            t_s=t_s[order],
            sensor_id=sensor_id[order],
            kind=cat("kind")[order],
            mode=cat("mode")[order],
            z=cat("z")[order],
            covariance=cat("covariance")[order],
            snr=cat("snr")[order],
            rcs_m2=cat("rcs_m2")[order],
            sensor_position_ecef=cat("sensor_position_ecef")[order],
            sensor_velocity_ecef=cat("sensor_velocity_ecef")[order],
            sensor_basis=cat("sensor_basis")[order],
            truth=truth,
        )

    def measurement_groups(self):
        """Split by measurement kind for filtering.

        Returns a list of ``(index, model, z, R)``: the row indices ``(b,)`` of one
        :class:`MeasurementKind`, its batched measurement model (see
        :mod:`bmdsim.sensors.models`), the unpadded measurements ``(b, m)`` and
        covariances ``(b, m, m)``.
        """
        from bmdsim.sensors.models import model_for

        groups = []
        for kind in MeasurementKind:
            index = np.flatnonzero(self.kind == kind)
            if index.size == 0:
                continue
            m = kind.dim
            cov = self.covariance[index, :m, :m]
            model = model_for(
                kind,
                sensor_position_ecef=self.sensor_position_ecef[index],
                sensor_velocity_ecef=self.sensor_velocity_ecef[index],
                sensor_basis=self.sensor_basis[index],
                noise_covariance=cov,
            )
            groups.append((index, model, self.z[index, :m], cov))
        return groups

    def to_dataframe(self):
        """A pandas DataFrame, one row per detection (measurement and 1-sigma columns by
        name; truth columns when present). For logs and reports."""
        import pandas as pd

        cols = {
            "t_s": self.t_s,
            "sensor_id": self.sensor_id,
            "kind": np.array([k.name.lower() for k in MeasurementKind])[self.kind],
            "mode": np.array([m.name.lower() for m in DetectionMode])[self.mode],
            "snr_db": self.snr_db,
            "rcs_m2": self.rcs_m2,
        }
        for i in range(MAX_MEASUREMENT_DIM):
            cols[f"z{i}"] = self.z[:, i]
            cols[f"sigma{i}"] = np.sqrt(self.covariance[:, i, i])
        for i, axis in enumerate("xyz"):
            cols[f"sensor_{axis}_m"] = self.sensor_position_ecef[:, i]
        if self.truth is not None:
            cols["truth_object_id"] = self.truth.object_id
            cols["false_alarm"] = self.truth.false_alarm
        return pd.DataFrame(cols)


#: The fields of a :class:`DetectionBatch`, and the shared empty batches.
_BATCH_FIELDS = tuple(f.name for f in fields(DetectionBatch))
_EMPTY: dict = {}


def _checked_already(cls, **values):
    """A frozen record from field values that already satisfy its checks (rows taken from a
    checked batch): ``__init__`` and ``__post_init__`` skipped."""
    out = object.__new__(cls)
    for name, value in values.items():
        object.__setattr__(out, name, value)
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class CueSet:
    """Volumes a radar is asked to revisit at its track rate (tracks or cues).

    Cue ``c`` is active for ``t_start_s[c] <= t < t_end_s[c]``; its centre moves as
    ``position_ecef[c] + velocity_ecef[c] * (t - t_ref_s[c])`` (ECEF, m, m/s) and it
    covers a sphere of ``radius_m[c]`` about that centre (the dwell is at least one
    beam wide). The tracker or the engine builds cues from tracks or infrared
    warnings; the sensors layer never derives them from truth.
    """

    t_start_s: np.ndarray
    t_end_s: np.ndarray
    t_ref_s: np.ndarray
    position_ecef: np.ndarray
    velocity_ecef: np.ndarray
    radius_m: np.ndarray
    cue_id: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype="<U1"))

    def __post_init__(self) -> None:
        c = self.t_start_s.shape[0]
        assert self.t_end_s.shape == (c,) and self.t_ref_s.shape == (c,)
        assert self.position_ecef.shape == (c, 3) and self.velocity_ecef.shape == (c, 3)
        assert self.radius_m.shape == (c,)
        assert self.cue_id.shape in ((c,), (0,))

    def __len__(self) -> int:
        return int(self.t_start_s.shape[0])

    @classmethod
    def empty(cls) -> CueSet:
        return cls(
            t_start_s=np.zeros(0),
            t_end_s=np.zeros(0),
            t_ref_s=np.zeros(0),
            position_ecef=np.zeros((0, 3)),
            velocity_ecef=np.zeros((0, 3)),
            radius_m=np.zeros(0),
        )

    @classmethod
    def from_states(
        cls, *, t_start_s, t_end_s, t_ref_s, state_ecef, radius_m, cue_id=None
    ) -> CueSet:
        """Cues from ECEF states ``(C, 6)`` valid at ``t_ref_s``; scalars broadcast."""
        state = np.atleast_2d(np.asarray(state_ecef, dtype=float))
        c = state.shape[0]

        def vec(x):
            return np.broadcast_to(np.asarray(x, dtype=float), (c,)).copy()

        return cls(
            t_start_s=vec(t_start_s),
            t_end_s=vec(t_end_s),
            t_ref_s=vec(t_ref_s),
            position_ecef=state[:, :3].copy(),
            velocity_ecef=state[:, 3:6].copy(),
            radius_m=vec(radius_m),
            cue_id=np.zeros(0, dtype="<U1") if cue_id is None else np.asarray(cue_id, dtype=str),
        )

    def position_at(self, t_s) -> np.ndarray:
        """Cue centres ``(..., C, 3)`` at times ``t_s (...)`` (ECEF, m)."""
        dt = np.asarray(t_s, dtype=float)[..., None] - self.t_ref_s
        return self.position_ecef + self.velocity_ecef * dt[..., None]

    def active_at(self, t_s) -> np.ndarray:
        """Mask ``(..., C)`` of the cues active at times ``t_s (...)``."""
        t = np.asarray(t_s, dtype=float)[..., None]
        return (self.t_start_s <= t) & (t < self.t_end_s)


@dataclass(frozen=True, slots=True, kw_only=True)
class SensorStatusChange:
    """A sensor went down or came back up (``up``) at ``t_s``; ``cause`` is
    ``"scheduled"`` (scenario or operator outage) or ``"failure"`` (random, MTBF/MTTR)."""

    t_s: float
    sensor_id: str
    up: bool
    cause: str
