"""Tracking data types: the track store as arrays, measurement predictions, track events.

Tracks are ECEF (WGS-84) states ``[x, y, z, vx, vy, vz(, kappa)]`` [m, m/s, m^2/kg] with
covariances. A :class:`TrackBatch` holds every track of a tracker as arrays with the track
axis first; filters keep one estimate per motion mode (``M = 1`` for a single-model filter,
``M > 1`` for an interacting multiple model filter) and the combined estimate beside them.
"""

from __future__ import annotations

from dataclasses import dataclass, field, fields
from enum import IntEnum

import numpy as np


class TrackStatus(IntEnum):
    """Life-cycle state of a track."""

    TENTATIVE = 0
    CONFIRMED = 1
    DELETED = 2


_TENTATIVE = int(TrackStatus.TENTATIVE)  # a plain int: np.full converts an enum slowly


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackBatch:
    """Every track of a tracker, as arrays (track axis first).

    ids (N,) int64: track numbers, never reused.
    states (N, n), covariances (N, n, n): combined estimate, ECEF, SI, valid at ``times_s``.
    mode_states (N, M, n), mode_covariances (N, M, n, n), mode_probabilities (N, M): the
        estimate conditioned on each motion mode (``M = 1``: the combined estimate itself).
    times_s (N,): time of the estimate [s since epoch].
    last_update_s (N,): time of the last measurement update; initiated_s (N,): first one.
    status (N,) int8: :class:`TrackStatus`.
    hits (N,): measurement updates so far; opportunities (N,): scans that could have
        updated the track; history (N,) uint64: hit (1) / miss (0) bits of the last
        opportunities, newest in bit 0.
    sensors (N,) uint64: bit set of the sensor indices that have updated the track.
    quality (N,): fraction of hits over the recent opportunities, in [0, 1].
    reported_s (N,): time of the last 'track updated' event (sampling of those events).
    rcs_log10_mean (N,): smoothed mean of ``log10`` of the measured radar cross-section
        [m^2] of the radar detections that updated (or started) the track (a fading-memory
        mean, see :class:`bmdsim.tracking.Tracker`), NaN before the first;
        rcs_looks (N,) int64: how many such detections (infrared detections carry none).
        The mean of log-RCS, not of RCS: a fluctuating target's looks spread over decades.
    """

    ids: np.ndarray
    states: np.ndarray
    covariances: np.ndarray
    mode_states: np.ndarray
    mode_covariances: np.ndarray
    mode_probabilities: np.ndarray
    times_s: np.ndarray
    last_update_s: np.ndarray
    initiated_s: np.ndarray
    status: np.ndarray
    hits: np.ndarray
    opportunities: np.ndarray
    history: np.ndarray
    sensors: np.ndarray
    quality: np.ndarray
    reported_s: np.ndarray
    rcs_log10_mean: np.ndarray
    rcs_looks: np.ndarray

    @classmethod
    def empty(cls, ndim: int, n_modes: int = 1) -> TrackBatch:
        """A batch with no track, for states of ``ndim`` and ``n_modes`` motion modes."""
        return cls.new(
            ids=np.zeros(0, np.int64),
            states=np.zeros((0, ndim)),
            covariances=np.zeros((0, ndim, ndim)),
            times_s=np.zeros(0),
            mode_probabilities=np.zeros((0, n_modes)),
        )

    @classmethod
    def new(
        cls,
        *,
        ids: np.ndarray,
        states: np.ndarray,
        covariances: np.ndarray,
        times_s: np.ndarray,
        mode_probabilities: np.ndarray,
        sensors: np.ndarray | None = None,
        status: np.ndarray | None = None,
        rcs_m2: np.ndarray | None = None,
    ) -> TrackBatch:
        """New tracks (one hit each) with every mode starting at the same estimate;
        ``rcs_m2 (N,)``: the measured RCS of each one's first detection (NaN: none)."""
        n = states.shape[0]
        if rcs_m2 is None:  # no RCS measured: no looks, NaN mean
            log_rcs, looks = np.full(n, np.nan), np.zeros(n, np.int64)
        else:
            rcs = np.asarray(rcs_m2, dtype=float)
            measured = np.isfinite(rcs) & (rcs > 0.0)
            with np.errstate(divide="ignore", invalid="ignore"):
                log_rcs = np.where(measured, np.log10(np.where(measured, rcs, 1.0)), np.nan)
            looks = measured.astype(np.int64)
        m = mode_probabilities.shape[1]
        times = np.asarray(times_s, dtype=float)
        times = times.copy() if times.shape == (n,) else np.broadcast_to(times, (n,)).copy()
        return cls(
            ids=np.asarray(ids, np.int64),
            states=states,
            covariances=covariances,
            mode_states=np.repeat(states[:, None], m, axis=1),
            mode_covariances=np.repeat(covariances[:, None], m, axis=1),
            mode_probabilities=mode_probabilities,
            times_s=times,
            last_update_s=times.copy(),
            initiated_s=times.copy(),
            status=(np.full(n, _TENTATIVE, np.int8) if status is None else status),
            hits=np.ones(n, np.int64),
            opportunities=np.ones(n, np.int64),
            history=np.ones(n, np.uint64),
            sensors=np.zeros(n, np.uint64) if sensors is None else sensors.astype(np.uint64),
            quality=np.ones(n),
            reported_s=np.full(n, -np.inf),
            rcs_log10_mean=log_rcs,
            rcs_looks=looks,
        )

    def __len__(self) -> int:
        return int(self.ids.shape[0])

    @property
    def ndim(self) -> int:
        return int(self.states.shape[1])

    @property
    def n_modes(self) -> int:
        return int(self.mode_probabilities.shape[1])

    def take(self, index) -> TrackBatch:
        """The tracks at ``index`` (integer array or boolean mask)."""
        return TrackBatch(**{name: getattr(self, name)[index] for name in _FIELDS})

    def concat(self, other: TrackBatch) -> TrackBatch:
        """This batch followed by ``other``."""
        return TrackBatch(
            **{
                name: np.concatenate([getattr(self, name), getattr(other, name)])
                for name in _FIELDS
            }
        )

    def put(self, index: np.ndarray, rows: TrackBatch) -> TrackBatch:
        """A copy with the tracks at integer ``index`` replaced by ``rows``."""
        out = {}
        for name in _FIELDS:
            a = getattr(self, name).copy()
            a[index] = getattr(rows, name)
            out[name] = a
        return TrackBatch(**out)

    def with_(self, **changes) -> TrackBatch:
        """A copy with some arrays replaced."""
        values = {name: getattr(self, name) for name in _FIELDS}
        values.update(changes)  # an unknown name fails in the constructor
        return TrackBatch(**values)

    def index_of(self, track_ids) -> np.ndarray:
        """Row indices of ``track_ids`` (all must be present)."""
        order = np.argsort(self.ids)
        pos = np.searchsorted(self.ids[order], np.asarray(track_ids))
        return order[pos]


_FIELDS = tuple(f.name for f in fields(TrackBatch))


@dataclass(frozen=True, slots=True, kw_only=True)
class MeasurementPrediction:
    """Predicted measurements of a batch of states for one measurement model.

    z (K, m): predicted measurement; innovation_covariance (K, m, m) = ``H P H^T + R``;
    cross_covariance (K, n, m) = ``P H^T`` (state-measurement); jacobian (K, m, n): ``H``
    (exact for the EKF, the statistical linearisation for the UKF).
    """

    z: np.ndarray
    innovation_covariance: np.ndarray
    cross_covariance: np.ndarray
    jacobian: np.ndarray


# ---- events -------------------------------------------------------------------------------
@dataclass(frozen=True, slots=True, kw_only=True)
class TrackInitiated:
    """A tentative track was started (time_s: epoch seconds; state ECEF)."""

    time_s: float
    track_id: int
    sensor_id: str
    state: tuple[float, ...]
    kind: str = "track_initiated"


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackConfirmed:
    """A track passed its confirmation test (M of N)."""

    time_s: float
    track_id: int
    state: tuple[float, ...]
    position_sigma_m: float
    kind: str = "track_confirmed"


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackUpdated:
    """A confirmed track was updated (sampled: at most one event per track per period)."""

    time_s: float
    track_id: int
    sensor_id: str
    state: tuple[float, ...]
    position_sigma_m: float
    quality: float
    kind: str = "track_updated"


@dataclass(frozen=True, slots=True, kw_only=True)
class TrackDeleted:
    """A track was dropped (reason: 'coasted', 'failed_confirmation', 'ground', 'diverged')."""

    time_s: float
    track_id: int
    reason: str
    was_confirmed: bool
    kind: str = "track_deleted"


TrackEvent = TrackInitiated | TrackConfirmed | TrackUpdated | TrackDeleted


@dataclass(slots=True)
class TrackEvents:
    """Events of one or more tracker steps, in time order within each kind."""

    initiated: list[TrackInitiated] = field(default_factory=list)
    confirmed: list[TrackConfirmed] = field(default_factory=list)
    updated: list[TrackUpdated] = field(default_factory=list)
    deleted: list[TrackDeleted] = field(default_factory=list)

    def extend(self, other: TrackEvents) -> None:
        self.initiated.extend(other.initiated)
        self.confirmed.extend(other.confirmed)
        self.updated.extend(other.updated)
        self.deleted.extend(other.deleted)

    def all(self) -> list[TrackEvent]:
        """Every event, sorted by time (stable: initiated < confirmed < updated < deleted)."""
        events: list[TrackEvent] = [*self.initiated, *self.confirmed, *self.updated, *self.deleted]
        return sorted(events, key=lambda e: e.time_s)

    def __len__(self) -> int:
        return len(self.initiated) + len(self.confirmed) + len(self.updated) + len(self.deleted)


@dataclass(frozen=True, slots=True, kw_only=True)
class Scan:
    """The detections of one sensor at one time, as the tracker consumes them.

    time_s: measurement time [s since epoch]; sensor_id: the sensor's name;
    z (K, m): measurements; noise (K, m, m): their covariances;
    model: the sensor's measurement model at ``time_s`` (ECEF state -> measurement), with
    ``function``/``jacobian`` and either ``inverse(z) -> (K, 3)`` ECEF positions (radar) or
    ``line_of_sight_ecef(z) -> unit vectors (K, 3)`` from ``sensor_position_ecef`` (angle-only
    IR) — the models of :mod:`bmdsim.sensors.models`;
    coverage: optional ``states (N, n) -> bool (N,)``, the tracks the sensor could have
    detected (a track outside it is not charged a miss); ``None``: every track that this
    sensor has updated before.
    detection_times_s: optional ``(K,)`` time of each detection when they differ (a radar
    beam sweeping its sector); ``time_s`` is then a time inside their span, and each
    track is predicted to the time of each detection it may have produced.
    rcs_m2: optional ``(K,)`` measured radar cross-section of each detection [m^2] (NaN or
    ``None``: not measured, e.g. infrared).
    """

    time_s: float
    sensor_id: str
    z: np.ndarray
    noise: np.ndarray
    model: object
    coverage: object = None
    detection_times_s: np.ndarray | None = None
    rcs_m2: np.ndarray | None = None

    def __len__(self) -> int:
        return int(self.z.shape[0])

    @property
    def times_s(self) -> np.ndarray:
        """``(K,)`` time of each detection [s]."""
        if self.detection_times_s is None:
            return np.full(len(self), float(self.time_s))
        return np.asarray(self.detection_times_s, dtype=float)

    @property
    def angle_only(self) -> bool:
        return not hasattr(self.model, "inverse") and hasattr(self.model, "line_of_sight_ecef")
