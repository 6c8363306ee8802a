"""The multi-sensor, multi-target tracker: detections in, system tracks and events out.

Centralised measurement fusion: every scan of every sensor updates the one system track per
object, scans processed in measurement-time order. A scan older than a track's estimate
(network latency) is an out-of-sequence measurement: it updates the track at its current
time through the retrodicted measurement ``h(f(x, tau - t))`` (Bar-Shalom's one-step
retrodiction with the process noise over the lag added to the measurement noise,
conservative), so no history has to be replayed. The tracker never sees truth and draws
no random numbers.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bmdsim.tracking.associator import GlobalNearestNeighbourAssociator
from bmdsim.tracking.deleter import Deleter, MOfNConfirmer, recent_hits
from bmdsim.tracking.hypothesiser import ChiSquareGater, Hypotheses
from bmdsim.tracking.initiator import SinglePointInitiator, StereoInitiator, tracks_from_cue
from bmdsim.tracking.types import (
    Scan,
    TrackBatch,
    TrackConfirmed,
    TrackDeleted,
    TrackEvents,
    TrackInitiated,
    TrackStatus,
    TrackUpdated,
)
from bmdsim.tracking.updater import measurement_jacobian


class RetrodictedMeasurement:
    """Measurement model of a state at ``t`` for a measurement taken at ``t + dt`` (dt < 0).

    ``function(x) = h(f(x, dt))``, ``jacobian(x) = H(f(x, dt)) F(dt)`` — the composition of
    a sensor's model with a motion model, ECEF.
    """

    def __init__(self, model, motion, dt: np.ndarray):
        self.model = model
        self.motion = motion
        self.dt = np.asarray(dt, dtype=float)
        self.wrapped_indices = tuple(getattr(model, "wrapped_indices", ()))
        if hasattr(model, "residual"):
            self.residual = model.residual

    def _dt(self, k: int) -> np.ndarray:
        return np.repeat(self.dt, k // max(len(self.dt), 1))

    def function(self, states):
        return self.model.function(self.motion.function(states, self._dt(len(states))))

    def jacobian(self, states):
        back, f = self.motion.transition(states, self._dt(len(states)))
        return measurement_jacobian(self.model, back) @ f

    def lag_noise(self, states) -> np.ndarray:
        """``H Q(|dt|) H^T`` ``(K, m, m)``: the process noise over the lag, in measurement space."""
        back = self.motion.function(states, self.dt)
        h = measurement_jacobian(self.model, back)
        return h @ self.motion.process_noise(self.dt) @ np.swapaxes(h, -1, -2)


def _retrodiction_motion(predictor):
    motion = getattr(predictor, "motion", None)
    return motion if motion is not None else predictor.predictors[-1].motion


@dataclass(slots=True, kw_only=True)
class Tracker:
    """Steppable tracker assembled from roles (each swappable).

    predictor (``predict``/``propagate``), updater (``predict_measurement``/``update``),
    gater (``hypothesise``), associator (``associate``), initiator (``initiate`` from radar),
    stereo_initiator (two angle-only scans; default: a :class:`StereoInitiator` with the
    initiator's initial state), confirmer (``confirm``/``failed``), deleter
    (``delete``). ``update_event_period_s``: at most one 'track updated' event per track per
    period. ``biases``: known registration bias per sensor id, subtracted from its
    measurements (same units as the measurement).
    """

    predictor: object
    updater: object
    gater: object = field(default_factory=ChiSquareGater)
    associator: object = field(default_factory=GlobalNearestNeighbourAssociator)
    initiator: object = field(default_factory=SinglePointInitiator)
    stereo_initiator: object = None
    confirmer: object = field(default_factory=MOfNConfirmer)
    deleter: object = field(default_factory=Deleter)
    update_event_period_s: float = 10.0
    biases: dict = field(default_factory=dict)
    tracks: TrackBatch = None
    time_s: float = -np.inf
    _next_id: int = 1
    _sensor_bits: dict = field(default_factory=dict)
    _pending_los: dict = field(default_factory=dict)

    def __post_init__(self):
        if self.stereo_initiator is None:
            self.stereo_initiator = StereoInitiator(initial=self.initiator.initial)
        if self.tracks is None:
            probs = self.initiator.initial.mode_probabilities
            self.tracks = TrackBatch.empty(self.initiator.initial.ndim, len(probs))

    # -- the step -------------------------------------------------------------------------
    def step(self, scans) -> TrackEvents:
        """Process scans (any order; sorted by measurement time) and return the events."""
        events = TrackEvents()
        for scan in sorted(scans, key=lambda s: s.time_s):
            scan = self._registered(scan)
            hyp, fwd, predicted, retro = self._hypothesise(scan)
            rows, dets = self.associator.associate(hyp, len(self.tracks), len(scan))
            self._update(scan, rows, dets, fwd, predicted, retro, events)
            self._account_misses(scan, rows, predicted, fwd)
            self._confirm(scan.time_s, events)
            self._initiate(scan, np.setdiff1d(np.arange(len(scan)), dets), events)
            self.time_s = max(self.time_s, scan.time_s)
        self._delete(self.time_s, events)
        return events

    def tracks_at(self, time_s: float) -> TrackBatch:
        """Live tracks predicted to ``time_s`` (the stored estimates are not changed)."""
        return self.predictor.predict(self.tracks, time_s)

    def cue(self, time_s: float, states, covariances, *, confirmed: bool = False) -> TrackEvents:
        """Start tracks from an external cue (ECEF states and covariances at ``time_s``)."""
        probs = np.asarray(self.initiator.initial.mode_probabilities, dtype=float)
        new = tracks_from_cue(
            time_s, states, covariances, self._next_id, probs / probs.sum(), confirmed=confirmed
        )
        events = TrackEvents()
        self._add(new, "cue", events)
        if confirmed:
            for i in range(len(new)):
                events.confirmed.append(self._confirmed_event(new, i, time_s))
        return events

    # -- parts of the step ------------------------------------------------------------------
    def _registered(self, scan: Scan) -> Scan:
        if scan.sensor_id not in self._sensor_bits:
            if len(self._sensor_bits) >= 64:
                raise ValueError("the tracker supports at most 64 sensors")
            self._sensor_bits[scan.sensor_id] = np.uint64(1 << len(self._sensor_bits))
        bias = self.biases.get(scan.sensor_id)
        if bias is None:
            return scan
        return Scan(
            time_s=scan.time_s,
            sensor_id=scan.sensor_id,
            z=scan.z - np.asarray(bias, dtype=float),
            noise=scan.noise,
            model=scan.model,
            coverage=scan.coverage,
        )

    def _hypothesise(self, scan: Scan):
        tr = self.tracks
        fwd = np.flatnonzero(tr.times_s <= scan.time_s)
        back = np.flatnonzero(tr.times_s > scan.time_s)
        predicted = self.predictor.predict(tr.take(fwd), scan.time_s)
        zero = np.zeros((len(fwd), scan.z.shape[1], scan.z.shape[1]))
        mp = self.updater.predict_measurement(
            predicted.states, predicted.covariances, scan.model, zero
        )
        hyp = self.gater.hypothesise(mp, scan.z, scan.noise, scan.model)
        hyp = Hypotheses(
            track=fwd[hyp.track], detection=hyp.detection, distance2=hyp.distance2, cost=hyp.cost
        )
        retro = None
        if back.size:
            old = tr.take(back)
            model = RetrodictedMeasurement(
                scan.model, _retrodiction_motion(self.predictor), scan.time_s - old.times_s
            )
            lag = model.lag_noise(old.states)
            mpo = self.updater.predict_measurement(old.states, old.covariances, model, lag)
            ho = self.gater.hypothesise(mpo, scan.z, scan.noise, model)
            hyp = hyp.concat(
                Hypotheses(
                    track=back[ho.track],
                    detection=ho.detection,
                    distance2=ho.distance2,
                    cost=ho.cost,
                )
            )
            retro = (back, model, lag)
        return hyp, fwd, predicted, retro

    def _update(self, scan, rows, dets, fwd, predicted, retro, events):
        if rows.size == 0:
            return
        tr = self.tracks
        pos_in_fwd = np.full(len(tr), -1)
        pos_in_fwd[fwd] = np.arange(len(fwd))
        is_fwd = pos_in_fwd[rows] >= 0
        merged = tr.take(rows)
        if is_fwd.any():
            sel = pos_in_fwd[rows[is_fwd]]
            up, _ = self.updater.update(
                predicted.take(sel), scan.z[dets[is_fwd]], scan.noise[dets[is_fwd]], scan.model
            )
            merged = merged.put(np.flatnonzero(is_fwd), up)
        if (~is_fwd).any():
            back, model, lag = retro
            pos_in_back = np.full(len(tr), -1)
            pos_in_back[back] = np.arange(len(back))
            sel = pos_in_back[rows[~is_fwd]]
            sub = RetrodictedMeasurement(model.model, model.motion, model.dt[sel])
            up, _ = self.updater.update(
                tr.take(rows[~is_fwd]),
                scan.z[dets[~is_fwd]],
                scan.noise[dets[~is_fwd]] + lag[sel],
                sub,
            )
            merged = merged.put(np.flatnonzero(~is_fwd), up)
        bit = self._sensor_bits[scan.sensor_id]
        merged = merged.with_(
            last_update_s=np.maximum(merged.last_update_s, scan.time_s),
            hits=merged.hits + 1,
            opportunities=merged.opportunities + 1,
            history=(merged.history << np.uint64(1)) | np.uint64(1),
            sensors=merged.sensors | bit,
        )
        merged = merged.with_(quality=_quality(merged.history, merged.opportunities))
        due = (merged.status == TrackStatus.CONFIRMED) & (
            scan.time_s - merged.reported_s >= self.update_event_period_s
        )
        for i in np.flatnonzero(due):
            events.updated.append(
                TrackUpdated(
                    time_s=scan.time_s,
                    track_id=int(merged.ids[i]),
                    sensor_id=scan.sensor_id,
                    state=tuple(float(v) for v in merged.states[i]),
                    position_sigma_m=_sigma(merged.covariances[i]),
                    quality=float(merged.quality[i]),
                )
            )
        reported = merged.reported_s.copy()
        reported[due] = scan.time_s
        self.tracks = tr.put(rows, merged.with_(reported_s=reported))

    def _account_misses(self, scan, rows, predicted, fwd):
        tr = self.tracks
        bit = self._sensor_bits[scan.sensor_id]
        expected = (tr.sensors & bit) != 0
        if scan.coverage is not None and fwd.size:
            covered = np.zeros(len(tr), bool)
            covered[fwd] = np.asarray(scan.coverage(predicted.states), bool)
            expected &= covered
        expected[rows] = False
        expected &= tr.last_update_s < scan.time_s
        if not expected.any():
            return
        history = tr.history.copy()
        history[expected] = history[expected] << np.uint64(1)
        opportunities = tr.opportunities + expected
        self.tracks = tr.with_(
            history=history,
            opportunities=opportunities,
            quality=_quality(history, opportunities),
        )

    def _confirm(self, time_s, events):
        ok = self.confirmer.confirm(self.tracks)
        if not ok.any():
            return
        status = self.tracks.status.copy()
        status[ok] = TrackStatus.CONFIRMED
        self.tracks = self.tracks.with_(status=status)
        for i in np.flatnonzero(ok):
            events.confirmed.append(self._confirmed_event(self.tracks, i, time_s))

    def _initiate(self, scan: Scan, free: np.ndarray, events):
        if free.size == 0:
            return
        if not scan.angle_only:
            new = self.initiator.initiate(scan, free, self._next_id)
            self._add(
                new.with_(sensors=np.full(len(new), self._sensor_bits[scan.sensor_id])),
                scan.sensor_id,
                events,
            )
            return
        # angle-only: pair with another sensor's recent unclaimed lines of sight (stereo)
        left = free
        for other_id, (other, rows) in list(self._pending_los.items()):
            if other_id == scan.sensor_id or left.size == 0:
                continue
            new, used_other, used_here = self.stereo_initiator.initiate_pairs(
                other, rows, scan, left, self._next_id
            )
            if len(new):
                bits = self._sensor_bits[other_id] | self._sensor_bits[scan.sensor_id]
                self._add(new.with_(sensors=np.full(len(new), bits)), scan.sensor_id, events)
                left = np.setdiff1d(left, used_here)
                self._pending_los[other_id] = (other, np.setdiff1d(rows, used_other))
        self._pending_los[scan.sensor_id] = (scan, left)
        gap = self.stereo_initiator.max_gap_s
        for other_id in [
            k for k, (s, _) in self._pending_los.items() if scan.time_s - s.time_s > gap
        ]:
            del self._pending_los[other_id]

    def _add(self, new: TrackBatch, sensor_id: str, events):
        self._next_id += len(new)
        self.tracks = self.tracks.concat(new)
        for i in range(len(new)):
            events.initiated.append(
                TrackInitiated(
                    time_s=float(new.times_s[i]),
                    track_id=int(new.ids[i]),
                    sensor_id=sensor_id,
                    state=tuple(float(v) for v in new.states[i]),
                )
            )

    def _delete(self, time_s, events):
        gone, reasons = self.deleter.delete(self.tracks, time_s)
        failed = self.confirmer.failed(self.tracks)
        reasons[failed & ~gone] = "failed_confirmation"
        gone = gone | failed
        if not gone.any():
            return
        tr = self.tracks
        for i in np.flatnonzero(gone):
            events.deleted.append(
                TrackDeleted(
                    time_s=time_s,
                    track_id=int(tr.ids[i]),
                    reason=str(reasons[i]),
                    was_confirmed=bool(tr.status[i] == TrackStatus.CONFIRMED),
                )
            )
        self.tracks = tr.take(~gone)

    def _confirmed_event(self, tracks: TrackBatch, i: int, time_s: float) -> TrackConfirmed:
        return TrackConfirmed(
            time_s=float(time_s),
            track_id=int(tracks.ids[i]),
            state=tuple(float(v) for v in tracks.states[i]),
            position_sigma_m=_sigma(tracks.covariances[i]),
        )


def _sigma(p: np.ndarray) -> float:
    return float(np.sqrt(np.trace(p[:3, :3]) / 3.0))


def _quality(history: np.ndarray, opportunities: np.ndarray, window: int = 10) -> np.ndarray:
    n = np.minimum(opportunities, window)
    return recent_hits(history, window) / np.maximum(n, 1)
