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

from dataclasses import dataclass, field, replace

import numpy as np

from bmdsim.earth.constants import A_M
from bmdsim.tracking.associator import GlobalNearestNeighbourAssociator
from bmdsim.tracking.deleter import Deleter, MOfNConfirmer, recent_hits
from bmdsim.tracking.hypothesiser import ChiSquareGater
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


@dataclass(slots=True)
class _Pairs:
    """Track-side predictions of the candidate pairs of one scan (tracker internal).

    Pairs are ordered ``order``: first those whose detection is newer than the track
    (``ahead``: the track predicted to the detection time), then the out-of-sequence ones
    (``behind``: the track as it is, with ``retro`` and its lag noise).
    """

    track: np.ndarray
    order: np.ndarray
    n_ahead: int = 0
    ahead: TrackBatch | None = None
    behind: TrackBatch | None = None
    retro: RetrodictedMeasurement | None = None
    lag: np.ndarray | None = None


def _velocity_row(states: np.ndarray) -> np.ndarray:
    """``[v, a ~ 0]`` direction of motion of states (N, n) for the first 6 columns."""
    out = np.zeros((states.shape[0], 6))
    out[:, :3] = states[:, 3:6]
    return out


def _retrodiction_motion(predictor):
    motion = getattr(predictor, "motion", None)
    return motion if motion is not None else predictor.predictors[-1].motion


try:  # numpy's own LAPACK ufunc behind np.linalg.eigvalsh (UPLO="L")
    from numpy.linalg import _umath_linalg

    _EIGVALSH_LO = _umath_linalg.eigvalsh_lo
except (ImportError, AttributeError):
    _EIGVALSH_LO = None


def _largest_eigenvalues(a: np.ndarray) -> np.ndarray:
    """Largest eigenvalue ``(N,)`` of each symmetric ``(N, k, k)`` matrix (lower triangle).

    The same LAPACK routine and bits as ``np.linalg.eigvalsh(a)[:, -1]``, called through
    numpy's generalised ufunc directly: for the few tracks of a step, the checks and the
    error-state context of the public wrapper cost more than the decomposition. Falls back
    to the public function for anything but a real float64 stack, or where the ufunc is
    not importable.
    """
    gufunc = _EIGVALSH_LO
    if gufunc is None or a.dtype != np.float64 or a.ndim != 3:
        return np.linalg.eigvalsh(a)[:, -1]
    with np.errstate(all="ignore", invalid="raise"):
        try:
            w = gufunc(a, signature="d->d")
        except FloatingPointError:
            return np.linalg.eigvalsh(a)[:, -1]
    return w[:, -1]


@dataclass(slots=True, kw_only=True)
class Tracker:
    """Steppable tracker assembled from roles (each swappable).

    predictor (``predict``/``propagate``), updater (``predict_measurement``/``update``),
    gater (``hypothesise``), associator (``associate``), initiator (``initiate`` from radar),
    stereo_initiator (two angle-only scans; default: a :class:`StereoInitiator` with the
    initiator's initial state), confirmer (``confirm``/``failed``), deleter
    (``delete``). ``update_event_period_s``: at most one 'track updated' event per track per
    period. ``biases``: known registration bias per sensor id, subtracted from its
    measurements (same units as the measurement). ``rcs_memory_looks``: the track's log-RCS
    estimate is the plain mean of its first looks, then a fading-memory mean over about
    this many looks (gain ``1 / min(looks, rcs_memory_looks)``), so the looks of the whole
    missile before its RV separated fade from the track that follows the RV.
    ``compiled``: with the compiled roles (an IMM or EKF predictor of compiled motion
    models, :class:`ExtendedKalmanUpdater`, :class:`ChiSquareGater`), process a scan of one
    of the sensors layer's measurement models in a few compiled calls
    (:class:`bmdsim.tracking.fused.ScanKernels`, the same results to rounding); False: always
    role by role.
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
    rcs_memory_looks: int = 16
    compiled: bool = True
    tracks: TrackBatch = None
    time_s: float = -np.inf
    _next_id: int = 1
    _sensor_bits: dict = field(default_factory=dict)
    _pending_los: dict = field(default_factory=dict)
    _predicted: tuple = ()
    _cues: tuple = ()
    _cue_ids: tuple = ()
    _prior: tuple = ()
    _delete_args: tuple = ()
    _kernels: object = None

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
        kernels = self._compiled_step()
        for scan in sorted(scans, key=lambda s: s.time_s):
            scan = self._registered(scan)
            if kernels is None or not kernels.process(self, scan, events):
                hyp, pairs, predicted = self._hypothesise(scan)
                rows, dets = self.associator.associate(hyp, len(self.tracks), len(scan))
                self._update(scan, rows, dets, hyp, pairs, events)
                self._account_misses(scan, rows, predicted.states)
                self._confirm(scan.time_s, events)
                self._initiate(scan, np.setdiff1d(np.arange(len(scan)), dets), events)
            self.time_s = max(self.time_s, scan.time_s)
        self._delete(self.time_s, events)
        return events

    def _compiled_step(self):
        """The compiled scan step of the current roles (None: role by role)."""
        if not self.compiled:
            return None
        kernels = self._kernels
        if kernels is None or not kernels.serves(self):
            from bmdsim.tracking.fused import ScanKernels

            kernels = ScanKernels.for_tracker(self)
            self._kernels = kernels
        return kernels

    def tracks_at(self, time_s: float) -> TrackBatch:
        """Live tracks predicted to ``time_s`` (the stored estimates are not changed).

        The last answer is kept while the tracks, the time, the predictor and ``compiled``
        are the same (a run asks for the same time for its track picture, its assessment and
        the next step's radar cues); callers share it and must not modify it."""
        last = self._predicted
        if (last and last[0] is self.tracks and last[1] == time_s and last[2] is self.predictor
                and last[3] == self.compiled):  # fmt: skip
            return last[4]
        kernels = self._compiled_step()
        if kernels is None:
            out = self.predictor.predict(self.tracks, time_s)
        else:
            out = kernels.predict(self.tracks, time_s)
        self._predicted = (self.tracks, float(time_s), self.predictor, self.compiled, out)
        return out

    def cues(
        self, t_start_s: float, t_end_s: float, *, n_sigma: float = 4.0, min_radius_m: float = 300.0
    ):
        """Radar cues for every live track over ``[t_start_s, t_end_s)``.

        Each track predicted to ``t_start_s`` gives a :class:`bmdsim.sensors.types.CueSet`
        entry moving with the track's velocity, of radius ``n_sigma`` times the largest
        position standard deviation (at least ``min_radius_m``); ``cue_id`` is the track id.
        The last answer is kept while the predicted tracks (the same object, see
        :meth:`tracks_at`) and the arguments are the same; callers must not modify it.
        ``compiled``: the largest eigenvalue in closed form
        (:func:`bmdsim.tracking._kernel.cue_kernel`, equal to numpy's ``eigvalsh`` to
        rounding); otherwise numpy's.
        """
        from bmdsim.sensors.types import CueSet

        tr = self.tracks_at(t_start_s)
        c = len(tr)
        if c == 0:
            return CueSet.empty()
        key = (float(t_start_s), float(t_end_s), float(n_sigma), float(min_radius_m))
        last = self._cues
        if last and last[0] is tr and last[1] == key:
            return last[2]
        ids = self._cue_ids
        if not ids or ids[0] is not tr.ids:  # the ids change only with new or deleted tracks
            ids = self._cue_ids = (tr.ids, tr.ids.astype(str))
        out = None
        if self.compiled:
            from bmdsim.tracking._kernel import cue_kernel

            t_start, t_end, t_ref, pos, vel, radius = cue_kernel(tr.states, tr.covariances, *key)
            if not np.isnan(radius).any():  # else numpy's eigvalsh raises
                out = CueSet(
                    t_start_s=t_start, t_end_s=t_end, t_ref_s=t_ref, position_ecef=pos,
                    velocity_ecef=vel, radius_m=radius, cue_id=ids[1],
                )  # fmt: skip
        if out is None:
            sigma = np.sqrt(_largest_eigenvalues(tr.covariances[:, :3, :3]))
            t_start = np.full(c, key[0])
            out = CueSet(
                t_start_s=t_start,
                t_end_s=np.full(c, key[1]),
                t_ref_s=t_start.copy(),
                position_ecef=tr.states[:, :3].copy(),
                velocity_ecef=tr.states[:, 3:6].copy(),
                radius_m=np.maximum(n_sigma * sigma, min_radius_m),
                cue_id=ids[1],
            )
        self._cues = (tr, key, out)
        return out

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
        # every other field kept (detection times, measured RCS)
        return replace(scan, z=scan.z - np.asarray(bias, dtype=float))

    def _mode_measurements(self, tracks: TrackBatch, model, m: int, lag=None):
        """Predicted measurements ``(P, M, m)`` and their track-side covariances
        ``(P, M, m, m)`` of every motion mode of ``tracks`` (``lag (P, m, m)``: extra
        track-side noise, the same for every mode)."""
        k, n_modes, n = tracks.mode_states.shape
        extra = np.zeros((k * n_modes, m, m)) if lag is None else np.repeat(lag, n_modes, axis=0)
        mp = self.updater.predict_measurement(
            tracks.mode_states.reshape(k * n_modes, n),
            tracks.mode_covariances.reshape(k * n_modes, n, n),
            model,
            extra,
        )
        return mp.z.reshape(k, n_modes, m), mp.innovation_covariance.reshape(k, n_modes, m, m), mp

    def _hypothesise(self, scan: Scan):
        """Gated pairs, with each pair's track predicted to its detection's time.

        Every motion mode of a track is gated (an IMM track's gate is the union of its mode
        gates) and a pair costs minus twice the log of the mode mixture's likelihood: a
        detection that only an improbable mode explains (thrust seen by a precise radar
        when the angle-only infrared track had drifted to its ballistic mode) still reaches
        the track, whose update then restores the mode probabilities.
        """
        tr = self.tracks
        n_modes = tr.n_modes
        t_det = scan.times_s
        coarse = self.predictor.predict(tr, scan.time_s)
        m = scan.z.shape[1]
        z_c, s_c, mp = self._mode_measurements(coarse, scan.model, m)
        spread = float(np.max(np.abs(t_det - scan.time_s), initial=0.0))
        widen = None
        if spread > 0.0:  # how far each prediction moves in measurement space over the spread
            flat = coarse.mode_states.reshape(-1, tr.ndim)
            rate = np.einsum("kmi,ki->km", mp.jacobian[:, :, :6], _velocity_row(flat))
            widen = 1.5 * np.abs(rate) * spread
        ti, di = self.gater.candidates(mp, scan.z, scan.noise, scan.model, widen)
        if n_modes > 1 and ti.size:  # a pair is a candidate if any of its modes is
            key = np.unique((ti // n_modes) * len(scan) + di)
            ti, di = key // len(scan), key % len(scan)
        dt = t_det[di] - tr.times_s[ti]
        fwd = dt >= 0.0
        pairs = _Pairs(track=ti, order=np.concatenate([np.flatnonzero(fwd), np.flatnonzero(~fwd)]))
        if spread == 0.0:
            pairs.ahead = coarse.take(ti[fwd])
            z_f, s_f = z_c[ti[fwd]], s_c[ti[fwd]]
        else:
            pairs.ahead = self.predictor.predict(tr.take(ti[fwd]), t_det[di[fwd]])
            z_f, s_f, _ = self._mode_measurements(pairs.ahead, scan.model, m)
        z_pred, hph, weights = [z_f], [s_f], [pairs.ahead.mode_probabilities]
        if (~fwd).any():  # out-of-sequence: update the newer estimate with a retrodicted model
            pairs.behind = tr.take(ti[~fwd])
            pairs.retro = RetrodictedMeasurement(
                scan.model, _retrodiction_motion(self.predictor), dt[~fwd]
            )
            pairs.lag = pairs.retro.lag_noise(pairs.behind.states)
            retro_modes = RetrodictedMeasurement(
                scan.model, pairs.retro.motion, np.repeat(dt[~fwd], n_modes)
            )
            z_o, s_o, _ = self._mode_measurements(pairs.behind, retro_modes, m, pairs.lag)
            z_pred.append(z_o)
            hph.append(s_o)
            weights.append(pairs.behind.mode_probabilities)
        pairs.n_ahead = int(fwd.sum())
        o = pairs.order
        hyp = self.gater.test_pairs(
            ti[o],
            di[o],
            np.concatenate(z_pred),
            np.concatenate(hph),
            scan.z,
            scan.noise,
            scan.model,
            weights=np.concatenate(weights),
        )
        return hyp, pairs, coarse

    def _update(self, scan, rows, dets, hyp, pairs, events):
        if rows.size == 0:
            return
        tr = self.tracks
        p = hyp.pair[hyp.find(rows, dets, len(scan))]
        ahead = p < pairs.n_ahead
        merged = tr.take(rows)
        if ahead.any():
            up, _ = self.updater.update(
                pairs.ahead.take(p[ahead]), scan.z[dets[ahead]], scan.noise[dets[ahead]], scan.model
            )
            merged = merged.put(np.flatnonzero(ahead), up)
        if (~ahead).any():
            q = p[~ahead] - pairs.n_ahead
            retro = RetrodictedMeasurement(pairs.retro.model, pairs.retro.motion, pairs.retro.dt[q])
            up, _ = self.updater.update(
                pairs.behind.take(q),
                scan.z[dets[~ahead]],
                scan.noise[dets[~ahead]] + pairs.lag[q],
                retro,
            )
            merged = merged.put(np.flatnonzero(~ahead), up)
        t_det = scan.times_s[dets]
        bit = self._sensor_bits[scan.sensor_id]
        merged = merged.with_(
            last_update_s=np.maximum(merged.last_update_s, t_det),
            hits=merged.hits + 1,
            opportunities=merged.opportunities + 1,
            history=(merged.history << np.uint64(1)) | np.uint64(1),
            sensors=merged.sensors | bit,
            **_with_rcs(
                merged,
                None if scan.rcs_m2 is None else scan.rcs_m2[dets],
                self.rcs_memory_looks,
            ),
        )
        merged = merged.with_(quality=_quality(merged.history, merged.opportunities))
        due = (merged.status == TrackStatus.CONFIRMED) & (
            t_det - merged.reported_s >= self.update_event_period_s
        )
        for i in np.flatnonzero(due):
            events.updated.append(
                TrackUpdated(
                    time_s=float(t_det[i]),
                    track_id=int(merged.ids[i]),
                    sensor_id=scan.sensor_id,
                    state=tuple(float(v) for v in merged.states[i]),
                    position_sigma_m=_sigma(merged.covariances[i]),
                    quality=float(merged.quality[i]),
                )
            )
        reported = merged.reported_s.copy()
        reported[due] = t_det[due]
        self.tracks = tr.put(rows, merged.with_(reported_s=reported))

    def _account_misses(self, scan, rows, predicted_states):
        """Charge a miss to every track the scan's sensor could have updated but did not
        (``predicted_states``: the tracks at the scan time, for its coverage)."""
        tr = self.tracks
        bit = self._sensor_bits[scan.sensor_id]
        expected = (tr.sensors & bit) != 0
        if scan.coverage is not None and len(tr):
            expected &= np.asarray(scan.coverage(predicted_states), bool)
        expected[rows] = False
        expected &= tr.last_update_s < float(np.min(scan.times_s, initial=scan.time_s))
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
        for i in np.flatnonzero(ok):  # at the time of the update that confirmed the track
            events.confirmed.append(self._confirmed_event(self.tracks, i, self.tracks.times_s[i]))

    def _initiate(self, scan: Scan, free: np.ndarray, events):
        if free.size == 0:
            return
        if not scan.angle_only:
            if self._initiate_compiled(scan, free, events):
                return
            new = self.initiator.initiate(scan, free, self._next_id)
            if scan.rcs_m2 is not None:
                new = new.with_(**_with_rcs(new, scan.rcs_m2[free], self.rcs_memory_looks))
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

    def _initiate_compiled(self, scan: Scan, free: np.ndarray, events) -> bool:
        """:meth:`_initiate` for a :class:`SinglePointInitiator` and a radar model of the
        kernels, the estimates in one compiled call
        (:func:`bmdsim.tracking._kernel.initiate_kernel`, the same formulas; equal to
        rounding); False, with nothing done, where it does not apply."""
        initiator = self.initiator
        if not self.compiled or type(initiator) is not SinglePointInitiator:
            return False
        from bmdsim.tracking.fused import _kernel_geometry

        geometry = _kernel_geometry(scan.model)
        if geometry is None or geometry[0] == 2:
            return False
        prior = self._prior
        if not prior or prior[0] is not initiator:
            x, info = initiator.initial.prior(1)
            prior = self._prior = (initiator, x[0], info[0], initiator.initial.probabilities(1)[0])
        tr = self.tracks
        if tr.states.shape[1] != prior[1].shape[0] or tr.n_modes != prior[3].shape[0]:
            return False
        from bmdsim.tracking._kernel import initiate_kernel

        z = np.ascontiguousarray(scan.z, dtype=float)
        m, k, n = z.shape[1], len(free), prior[1].shape[0]
        x, p = np.empty((k, n)), np.empty((k, n, n))
        if not initiate_kernel(
            *geometry, z, np.ascontiguousarray(scan.noise, dtype=float),
            np.ascontiguousarray(free, dtype=np.int64),
            m if initiator.use_range_rate else min(m, 3), prior[1], prior[2], x, p,
        ):  # fmt: skip
            return False
        new = TrackBatch.new(
            ids=self._next_id + np.arange(k), states=x, covariances=p,
            times_s=scan.times_s[free], mode_probabilities=np.repeat(prior[3][None], k, 0),
            sensors=np.full(k, self._sensor_bits[scan.sensor_id]),
            rcs_m2=None if scan.rcs_m2 is None else scan.rcs_m2[free],
        )  # fmt: skip
        self._add(new, scan.sensor_id, events)
        return True

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
        if self._nothing_to_delete(time_s):
            return
        gone, reasons = self.deleter.delete(self.tracks, time_s)
        failed = self.confirmer.failed(self.tracks)
        if not (gone.any() or failed.any()):
            return
        reasons[failed & ~gone] = "failed_confirmation"
        gone = gone | failed
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

    def _nothing_to_delete(self, time_s: float) -> bool:
        """A compiled pre-test for the default deleter and confirmer: True when no track can
        be deleted now (the roles decide otherwise; the test errs only towards asking them)."""
        tr = self.tracks
        if len(tr) == 0:
            return True
        deleter, confirmer = self.deleter, self.confirmer
        kept = self._delete_args
        if not kept or kept[0] is not deleter or kept[1] is not confirmer:
            kept = self._delete_args = (deleter, confirmer, _deletion_pretest(deleter, confirmer))
        limits = kept[2]
        if not self.compiled or limits is None:
            return False
        from bmdsim.tracking._kernel import may_delete_kernel

        return not may_delete_kernel(
            float(time_s), tr.last_update_s, tr.status, tr.covariances, tr.states,
            tr.opportunities, tr.history, *limits,
        )  # fmt: skip

    def _confirmed_event(self, tracks: TrackBatch, i: int, time_s: float) -> TrackConfirmed:
        return TrackConfirmed(
            time_s=float(time_s),
            track_id=int(tracks.ids[i]),
            state=tuple(float(v) for v in tracks.states[i]),
            position_sigma_m=_sigma(tracks.covariances[i]),
        )


def _deletion_pretest(deleter, confirmer) -> tuple | None:
    """The limits :func:`bmdsim.tracking._kernel.may_delete_kernel` takes for the default
    deleter and confirmer (None for other roles)."""
    if type(deleter) is not Deleter or type(confirmer) is not MOfNConfirmer:
        return None
    reach = A_M + max(deleter.min_altitude_m, 0.0) + 2.0
    return (
        float(deleter.tentative_coast_s), float(deleter.confirmed_coast_s),
        (deleter.max_position_sigma_m * (1.0 - 1e-9)) ** 2, reach * reach, confirmer.m,
        confirmer.n, np.uint64((1 << confirmer.n) - 1),
    )  # fmt: skip


def _sigma(p: np.ndarray) -> float:
    return float(np.sqrt(np.trace(p[:3, :3]) / 3.0))


def _with_rcs(tracks: TrackBatch, rcs_m2, memory_looks: int) -> dict:
    """``rcs_log10_mean`` and ``rcs_looks`` of ``tracks`` after one detection each with
    measured RCS ``rcs_m2 (N,)`` [m^2] (NaN or ``None``: none measured, unchanged): the
    mean moves towards the look's log10 RCS by ``1 / min(looks, memory_looks)``."""
    if rcs_m2 is None:
        return {}
    mean, looks = rcs_update(tracks.rcs_log10_mean, tracks.rcs_looks, rcs_m2, memory_looks)
    return {"rcs_log10_mean": mean, "rcs_looks": looks}


def rcs_update(mean, looks, rcs_m2, memory_looks: int) -> tuple[np.ndarray, np.ndarray]:
    """Log-RCS means ``(N,)`` and look counts ``(N,)`` after one look each of measured RCS
    ``rcs_m2 (N,)`` (see :func:`_with_rcs`)."""
    rcs = np.asarray(rcs_m2, dtype=float)
    ok = np.isfinite(rcs) & (rcs > 0.0)
    new_looks = looks + ok
    with np.errstate(divide="ignore", invalid="ignore"):
        log_rcs = np.log10(np.where(ok, rcs, 1.0))
        prev = np.where(looks > 0, mean, 0.0)
        new_mean = prev + (log_rcs - prev) / np.clip(new_looks, 1, max(int(memory_looks), 1))
    return np.where(ok, new_mean, mean), new_looks.astype(np.int64)


def _quality(history: np.ndarray, opportunities: np.ndarray, window: int = 10) -> np.ndarray:
    n = np.minimum(opportunities, window)
    return recent_hits(history, window) / np.maximum(n, 1)
