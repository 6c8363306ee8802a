"""The tracker's scan step in a few compiled calls, for the compiled roles.

:class:`bmdsim.tracking.Tracker` processes a scan role by role (predictor, updater, gater,
associator, ...), each role a handful of numpy operations on every track. A run hands it
small batches (a few tracks, one or two detections a scan), where the fixed cost of those
operations and of rebuilding the track record outweighs the arithmetic. When the roles are
the compiled ones — an IMM or EKF predictor whose motion models have ``kernel_spec``, the
:class:`~bmdsim.tracking.updater.ExtendedKalmanUpdater` and the
:class:`~bmdsim.tracking.hypothesiser.ChiSquareGater` — and the scan's measurement model is
one of the sensors layer's (one sensor geometry, one detection time), :class:`ScanKernels`
does the same work with the kernels of :mod:`bmdsim.tracking._kernel`: one prediction of
every mode of every track, one gating pass (box pre-gate, exact chi-square test of each
mode), one (iterated) EKF update of every mode of the assigned tracks, and the track record
rebuilt once.

The results are those of the role path, to the bit: the prediction and the update are the
same compiled arithmetic (the same kernels, row by row), the IMM mode-probability update is
the same numpy code (:func:`bmdsim.tracking.updater.imm_combine`), and an out-of-sequence
update keeps the roles' numpy path (:class:`bmdsim.tracking.tracker.RetrodictedMeasurement`).
Only the gate's own numbers — each pair's ``d^2`` and cost, which decide whether a pair is
kept and rank competing pairs — are computed by a compiled loop (Cholesky) rather than by
numpy's LU factorisations; they agree to rounding, so a decision can only differ for a pair
within a few units in the last place of the gate threshold or of a tie between two
assignments. ``tests/unit/tracking/test_fused.py`` runs both paths side by side.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from bmdsim.tracking._kernel import (
    gate_kernel,
    imm_mix_kernel,
    imm_predict_kernel,
    imm_update_kernel,
    measure_kernel,
    propagate_kernel,
    retro_gate_kernel,
    track_bookkeeping_kernel,
)
from bmdsim.tracking.associator import GlobalNearestNeighbourAssociator
from bmdsim.tracking.deleter import MOfNConfirmer
from bmdsim.tracking.hypothesiser import ChiSquareGater, Hypotheses
from bmdsim.tracking.motion import _tables
from bmdsim.tracking.predictor import (
    ExtendedKalmanPredictor,
    InteractingMultipleModelPredictor,
    markov_matrices,
)
from bmdsim.tracking.tracker import RetrodictedMeasurement, _sigma
from bmdsim.tracking.types import TrackBatch, TrackUpdated
from bmdsim.tracking.updater import (
    ExtendedKalmanUpdater,
    _compiled_geometry,
    _model_kinds,
    imm_combine,
    log_likelihood,
)

_NO_ROWS = np.zeros(0, np.int64)
_EYE2 = np.eye(2)


@dataclass(frozen=True, slots=True)
class ScanKernels:
    """Per-tracker constants of the compiled scan step (see the module docstring).

    predictor, updater, gater: the roles it stands for (the tracker checks they are still
    its own); generator: the IMM's rate matrix (None for a single-model EKF); specs: the
    modes' motion parameters as :func:`bmdsim.tracking._kernel.imm_predict_kernel` takes
    them; retro_motion: the motion model of out-of-sequence measurements and retro_spec
    its ``(drag, j2, max_step_s)``; switching_rate: with two modes, the sum of the two
    switching rates (``-trace Lambda``).
    """

    predictor: object
    updater: object
    gater: object
    generator: np.ndarray | None
    specs: tuple
    retro_motion: object
    retro_spec: tuple
    switching_rate: float = 0.0

    @classmethod
    def for_tracker(cls, tracker) -> ScanKernels | None:
        """The compiled step of ``tracker``'s roles, or None if a role has no compiled form."""
        predictor = tracker.predictor
        if type(tracker.updater) is not ExtendedKalmanUpdater:
            return None
        if type(tracker.gater) is not ChiSquareGater:
            return None
        if type(predictor) is InteractingMultipleModelPredictor:
            motions = predictor._compiled_motions()
            if motions is None:
                return None
            generator = predictor.generator()
            retro_motion = predictor.predictors[-1].motion
        elif type(predictor) is ExtendedKalmanPredictor and hasattr(
            predictor.motion, "kernel_spec"
        ):
            motions = (predictor.motion,)
            generator = None
            retro_motion = predictor.motion
        else:
            return None
        specs = [motion.kernel_spec() for motion in motions]
        drag, _, _, j2, max_step = retro_motion.kernel_spec()
        return cls(
            predictor=predictor,
            updater=tracker.updater,
            gater=tracker.gater,
            generator=generator,
            specs=tuple(
                np.array([spec[i] for spec in specs], dtype=dtype)
                for i, dtype in enumerate((bool, float, float, bool, float))
            ),
            retro_motion=retro_motion,
            retro_spec=(bool(drag), bool(j2), float(max_step)),
            switching_rate=0.0 if generator is None else -np.trace(generator),
        )

    def serves(self, tracker) -> bool:
        """Whether ``tracker``'s roles are still the ones this step was built for."""
        return (
            tracker.predictor is self.predictor
            and tracker.updater is self.updater
            and tracker.gater is self.gater
        )

    # -- prediction ------------------------------------------------------------------------
    def predict_arrays(self, tracks: TrackBatch, time_s) -> tuple:
        """``(mode_states, mode_covariances, mode_probabilities, states, covariances,
        times_s)`` of ``tracks`` predicted to ``time_s`` — the predictor's ``predict``."""
        k = tracks.ids.shape[0]
        if type(time_s) is float or np.ndim(time_s) == 0:
            times = np.full(k, float(time_s))
        else:
            times = np.broadcast_to(np.asarray(time_s, dtype=float), (k,)).copy()
        dt = times - tracks.times_s
        if self.generator is None:
            mode_x, mode_p = tracks.states[:, None], tracks.covariances[:, None]
            mu, markov = np.ones((k, 1)), np.ones((k, 1, 1))
        else:
            mode_x, mode_p = tracks.mode_states, tracks.mode_covariances
            mu, markov = tracks.mode_probabilities, self._markov(dt)
        m, n = mode_x.shape[1], mode_x.shape[2]
        out = (
            np.empty((k, m, n)), np.empty((k, m, n, n)), np.empty((k, m)), np.empty((k, n)),
            np.empty((k, n, n)),
        )  # fmt: skip
        imm_predict_kernel(
            np.ascontiguousarray(mode_x, dtype=float), np.ascontiguousarray(mode_p, dtype=float),
            np.ascontiguousarray(mu, dtype=float), np.ascontiguousarray(markov, dtype=float), dt,
            *self.specs, *_tables(), *out,
        )  # fmt: skip
        if self.generator is None:
            x, p = out[3], out[4]
            return x[:, None], p[:, None], tracks.mode_probabilities, x, p, times
        return (*out, times)

    def _markov(self, dt: np.ndarray) -> np.ndarray:
        """The IMM's mode transition matrices over ``dt`` (``markov_matrices``, the same
        operations, with the two-mode constants computed once)."""
        lam = self.generator
        if lam.shape[0] != 2 or dt.size == 0:
            return markov_matrices(lam, dt)
        s = self.switching_rate
        # -expm1(-s |dt|) / s, with the sign moved to the divisor (the same bits)
        frac = np.abs(dt) if s == 0.0 else np.expm1(-s * np.abs(dt)) / -s
        out = frac[:, None, None] * lam
        out += _EYE2
        return out

    def predict(self, tracks: TrackBatch, time_s) -> TrackBatch:
        """``tracks`` predicted to ``time_s`` (the predictor's ``predict``, same numbers)."""
        mode_x, mode_p, mu, x, p, times = self.predict_arrays(tracks, time_s)
        return TrackBatch(
            ids=tracks.ids, states=x, covariances=p, mode_states=mode_x,
            mode_covariances=mode_p, mode_probabilities=mu, times_s=times,
            last_update_s=tracks.last_update_s, initiated_s=tracks.initiated_s,
            status=tracks.status, hits=tracks.hits, opportunities=tracks.opportunities,
            history=tracks.history, sensors=tracks.sensors, quality=tracks.quality,
            reported_s=tracks.reported_s, rcs_log10_mean=tracks.rcs_log10_mean,
            rcs_looks=tracks.rcs_looks,
        )  # fmt: skip

    # -- the scan --------------------------------------------------------------------------
    def process(self, tracker, scan, events) -> bool:
        """Hypothesise, associate, update, count misses, confirm and initiate for one
        (registered) scan, as the tracker's role path does. False, with nothing done, if
        the scan needs that path: detections at several times, a measurement model without
        a compiled form, or a covariance that is not positive definite where the compiled
        code factors it (the role path's numpy copes)."""
        if scan.detection_times_s is not None:
            return False
        geometries = _scan_geometry(scan.model)
        if geometries is None:
            return False
        geometry, geometry_g = geometries
        tr = tracker.tracks
        n_det = len(scan)
        dets = _NO_ROWS
        if len(tr):
            z = np.ascontiguousarray(scan.z, dtype=float)
            noise = np.ascontiguousarray(scan.noise, dtype=float)
            coarse = self.predict_arrays(tr, scan.time_s)
            rows = pair = _NO_ROWS
            n_ahead, behind = 0, None
            if n_det:
                gated = self._hypothesise(tr, scan, coarse, geometry, geometry_g, z, noise)
                if gated is None:
                    return False
                hyp, n_ahead, behind = gated
                rows, dets, pair = _associate(tracker.associator, hyp, len(tr), n_det)
            estimate = None
            if rows.size:
                estimate = self._estimate(
                    tracker, scan, coarse, geometry, geometry_g, z, noise, rows, dets, pair,
                    n_ahead, behind,
                )  # fmt: skip
                if estimate is None:
                    return False
            self._commit(tracker, scan, coarse, rows, dets, estimate, events)
        if dets.size < n_det:  # detections left to start tracks
            free = np.ones(n_det, bool)
            free[dets] = False
            tracker._initiate(scan, np.flatnonzero(free), events)
        return True

    def _hypothesise(self, tr, scan, coarse, geometry, geometry_g, z, noise):
        """Gated pairs as :class:`Hypotheses` (tested pairs ordered: tracks predicted
        forward first, then the out-of-sequence ones), the number of forward pairs and, if
        any, the out-of-sequence pairs' ``(RetrodictedMeasurement, lag noise)``; None if a
        covariance could not be factored."""
        kind, pos, vel, basis = geometry
        g = self.gater.threshold(z.shape[1])
        ok, t, d, d2, cost, pair, tested, bt, bd = gate_kernel(
            kind, coarse[0], coarse[1], coarse[2], tr.times_s, float(scan.time_s), pos, vel,
            basis, z, noise, g,
        )  # fmt: skip
        if not ok:
            return None
        hyp = Hypotheses(track=t, detection=d, distance2=d2, cost=cost, pair=pair)
        n_behind = len(bt)
        if n_behind == 0:
            return hyp, tested, None
        # out of sequence: the track as it is, with the retrodicted measurement
        retro = RetrodictedMeasurement(
            scan.model, self.retro_motion, float(scan.time_s) - tr.times_s[bt]
        )
        lag = self._lag_noise(tr.states[bt], retro.dt, geometry_g)
        b_d2, b_cost = np.empty(n_behind), np.empty(n_behind)
        if not retro_gate_kernel(
            kind, tr.mode_states[bt], tr.mode_covariances[bt], tr.mode_probabilities[bt],
            retro.dt, lag, bd, *self.retro_spec, *_tables(), pos, vel, basis, z, noise, b_d2,
            b_cost,
        ):  # fmt: skip
            return None
        keep = b_d2 <= g
        hyp = Hypotheses(
            track=np.concatenate([hyp.track, bt[keep]]),
            detection=np.concatenate([hyp.detection, bd[keep]]),
            distance2=np.concatenate([hyp.distance2, b_d2[keep]]),
            cost=np.concatenate([hyp.cost, b_cost[keep]]),
            pair=np.concatenate([hyp.pair, tested + np.flatnonzero(keep)]),
        )
        return hyp, tested, (retro, lag)

    def _lag_noise(self, states, dt, geometry_g) -> np.ndarray:
        """:meth:`RetrodictedMeasurement.lag_noise` of ``states (K, n)`` over the lags
        ``dt (K,)`` for the scan's compiled geometry: the same kernels (the motion's
        propagation, the model's Jacobian) called directly, and the same numpy products."""
        kind, pos, vel, basis = geometry_g
        drag, j2, max_step = self.retro_spec
        k, n = states.shape
        m = (3, 4, 2)[kind]
        back, h = np.empty((k, n)), np.empty((k, m, n))
        propagate_kernel(
            states, dt, max_step, False, j2, drag and n == 7, *_tables(), back,
            np.empty((0, n, n)),
        )  # fmt: skip
        measure_kernel(kind, back, pos, vel, basis, np.empty((k, m)), h)
        return h @ self.retro_motion.process_noise(dt) @ np.swapaxes(h, -1, -2)

    def _estimate(
        self, tracker, scan, coarse, geometry, geometry_g, z, noise, rows, dets, pair, n_ahead,
        behind,
    ):  # fmt: skip
        """The tracks' states, covariances, mode states, mode covariances, mode
        probabilities and times with ``rows`` updated by ``dets`` (new arrays), or None if
        an innovation covariance could not be factored."""
        kind, pos, vel, basis = geometry
        tr = tracker.tracks
        estimate = states, covariances, mode_x, mode_p, mu, times = (
            tr.states.copy(), tr.covariances.copy(), tr.mode_states.copy(),
            tr.mode_covariances.copy(), tr.mode_probabilities.copy(), tr.times_s.copy(),
        )  # fmt: skip
        # with no out-of-sequence pair tested, every assignment is ahead
        ahead = None if behind is None else pair < n_ahead
        all_ahead = ahead is None or bool(ahead.all())
        if all_ahead or ahead.any():
            ra, da = (rows, dets) if all_ahead else (rows[ahead], dets[ahead])
            prior_mu = coarse[2][ra]
            a, n_modes = prior_mu.shape
            ll, shift = np.empty((a, n_modes)), np.empty((a, n_modes))
            if not imm_update_kernel(
                kind, coarse[0], coarse[1], ra, z, noise, da, pos, vel, basis,
                max(1, int(self.updater.iterations)), np.log(np.maximum(prior_mu, 1e-300)),
                float(scan.time_s), mode_x, mode_p, times, ll, shift,
            ):  # fmt: skip
                return None
            if n_modes <= 2:
                w = np.exp(shift) if n_modes == 2 else shift
                imm_mix_kernel(ra, w, mode_x, mode_p, states, covariances, mu)
            else:
                states[ra], covariances[ra], mu[ra], _ = imm_combine(
                    prior_mu, mode_x[ra], mode_p[ra], ll
                )
        if not all_ahead:  # out of sequence: the updater's numpy path, operation by operation
            retro, lag = behind
            q = pair[~ahead] - n_ahead
            rb, db = rows[~ahead], dets[~ahead]
            model = RetrodictedMeasurement(retro.model, retro.motion, retro.dt[q])
            noise_b = scan.noise[db] + lag[q]
            if self.updater.iterations > 1:
                up = self._update_behind(tr, rb, scan.z[db], noise_b, model, geometry_g)
            else:
                batch, _ = self.updater.update(tr.take(rb), scan.z[db], noise_b, model)
                up = tuple(getattr(batch, name) for name in _ESTIMATE[:5])
            for target, values in zip(estimate, up, strict=False):
                target[rb] = values
        return estimate

    def _update_behind(self, tr, rows, z, noise, retro, geometry_g) -> tuple:
        """``ExtendedKalmanUpdater.update`` (iterated) of the tracks ``rows`` with the
        out-of-sequence measurement model ``retro`` — the same numpy operations on the same
        arrays (:meth:`~bmdsim.tracking.updater.ExtendedKalmanUpdater.update_arrays_reference`
        and :func:`~bmdsim.tracking.updater.imm_combine`), with one propagation a
        Gauss-Newton iteration instead of two (the state path does not depend on whether
        the transition matrix is integrated beside it). Returns the states, covariances,
        mode states, mode covariances and mode probabilities."""
        mode_x = tr.mode_states[rows]
        k, n_modes, n = mode_x.shape
        if n_modes == 1:
            states, covariances = tr.states[rows], tr.covariances[rows]
        else:
            z = np.repeat(z, n_modes, axis=0)
            noise = np.repeat(noise, n_modes, axis=0)
            states = mode_x.reshape(-1, n)
            covariances = tr.mode_covariances[rows].reshape(-1, n, n)
        kind, pos, vel, basis = geometry_g
        drag, j2, max_step = self.retro_spec
        drag = drag and n == 7
        tables = _tables()
        dt = retro.dt if n_modes == 1 else np.repeat(retro.dt, n_modes)
        rows_x, m = len(states), noise.shape[-1]
        # scratch of the kernels (each iteration's products are new arrays)
        back, f = np.empty((rows_x, n)), np.empty((rows_x, n, n))
        zb, hb = np.empty((rows_x, m)), np.empty((rows_x, m, n))
        x_i = states
        for it in range(self.updater.iterations):
            # motion.transition (the state as motion.function)
            propagate_kernel(x_i, dt, max_step, True, j2, drag, *tables, back, f)
            measure_kernel(kind, back, pos, vel, basis, zb, hb)
            h = hb @ f
            cross = covariances @ h.transpose(0, 2, 1)
            s = h @ cross + noise
            s = 0.5 * (s + s.transpose(0, 2, 1))
            gain = np.linalg.solve(s, cross.transpose(0, 2, 1)).transpose(0, 2, 1)
            nu = retro.residual(z, retro.model.function(back))
            if it == 0:  # at the prediction: the innovation and its covariance
                nu0, s0 = nu, s
            else:
                nu = nu - np.einsum("kmi,ki->km", h, states - x_i)
            x_i = states + np.einsum("kij,kj->ki", gain, nu)
        ikh = _eye(n) - gain @ h
        p = ikh @ covariances @ ikh.transpose(0, 2, 1) + gain @ noise @ gain.transpose(0, 2, 1)
        x, p, ll = x_i, 0.5 * (p + p.transpose(0, 2, 1)), log_likelihood(nu0, s0)
        mu = tr.mode_probabilities[rows]
        if n_modes == 1:
            return x, p, x[:, None], p[:, None], mu
        x = x.reshape(k, n_modes, n)
        p = p.reshape(k, n_modes, n, n)
        if n_modes > 2:
            xc, pc, mu, _ = imm_combine(mu, x, p, ll.reshape(k, n_modes))
            return xc, pc, x, p, mu
        # imm_combine's first steps in numpy, the rest compiled (same operations)
        logw = np.log(np.maximum(mu, 1e-300)) + ll.reshape(k, n_modes)
        top = logw.max(axis=1, keepdims=True)
        xc, pc, mu = np.empty((k, n)), np.empty((k, n, n)), np.empty((k, n_modes))
        imm_mix_kernel(np.arange(k), np.exp(logw - top), x, p, xc, pc, mu)
        return xc, pc, x, p, mu

    def _commit(self, tracker, scan, coarse, rows, dets, estimate, events) -> None:
        """The new track record: ``estimate`` (None: unchanged) and every track's counters,
        misses and confirmations (:func:`bmdsim.tracking._kernel.track_bookkeeping_kernel`),
        with their events."""
        tr = tracker.tracks
        t = float(scan.time_s)
        counters = (
            tr.last_update_s.copy(), tr.hits.copy(), tr.opportunities.copy(), tr.history.copy(),
            tr.sensors.copy(), tr.quality.copy(), tr.reported_s.copy(), tr.rcs_log10_mean.copy(),
            tr.rcs_looks.copy(), tr.status.copy(),
        )  # fmt: skip
        has_rcs = scan.rcs_m2 is not None and rows.size > 0
        rcs_ok, log_rcs = _NO_LOOKS, _NO_RCS
        if has_rcs:
            rcs = np.asarray(scan.rcs_m2[dets], dtype=float)
            rcs_ok = np.isfinite(rcs) & (rcs > 0.0)
            log_rcs = np.log10(np.where(rcs_ok, rcs, 1.0))
        if scan.coverage is None:
            covered = np.ones(len(tr), bool)
        else:
            covered = np.asarray(scan.coverage(coarse[3]), bool)
        confirmer = tracker.confirmer
        own_confirm = type(confirmer) is MOfNConfirmer
        due = np.empty(len(rows), bool)
        confirmed = np.empty(len(tr), bool)
        missed = track_bookkeeping_kernel(
            rows, t, tracker._sensor_bits[scan.sensor_id], has_rcs, rcs_ok, log_rcs,
            max(int(tracker.rcs_memory_looks), 1), float(tracker.update_event_period_s),
            covered, _QUALITY_MASK, _QUALITY_WINDOW, confirmer.m if own_confirm else -1,
            np.uint64((1 << confirmer.n) - 1) if own_confirm else np.uint64(0), *counters,
            due, confirmed,
        )  # fmt: skip
        any_confirmed = bool(confirmed.any())
        if estimate is not None or missed or any_confirmed:
            if estimate is None:
                states, covariances, mode_x, mode_p, mu, times = (
                    tr.states, tr.covariances, tr.mode_states, tr.mode_covariances,
                    tr.mode_probabilities, tr.times_s,
                )  # fmt: skip
            else:
                states, covariances, mode_x, mode_p, mu, times = estimate
            last, hits, opportunities, history, sensors, quality, reported, rcs, looks, status = (
                counters
            )
            tracker.tracks = out = TrackBatch(
                ids=tr.ids, states=states, covariances=covariances, mode_states=mode_x,
                mode_covariances=mode_p, mode_probabilities=mu, times_s=times,
                last_update_s=last, initiated_s=tr.initiated_s, status=status, hits=hits,
                opportunities=opportunities, history=history, sensors=sensors, quality=quality,
                reported_s=reported, rcs_log10_mean=rcs, rcs_looks=looks,
            )  # fmt: skip
        else:
            out = tr
        for r in rows[due]:
            events.updated.append(
                TrackUpdated(
                    time_s=t,
                    track_id=int(out.ids[r]),
                    sensor_id=scan.sensor_id,
                    state=tuple(float(v) for v in out.states[r]),
                    position_sigma_m=_sigma(out.covariances[r]),
                    quality=float(out.quality[r]),
                )
            )
        if any_confirmed:
            for i in np.flatnonzero(confirmed):  # at the time of the update that confirmed it
                events.confirmed.append(tracker._confirmed_event(out, i, out.times_s[i]))
        if not own_confirm:
            tracker._confirm(t, events)


_ESTIMATE = (
    "states", "covariances", "mode_states", "mode_covariances", "mode_probabilities", "times_s",
)  # fmt: skip
_COUNTERS = (
    "last_update_s", "hits", "opportunities", "history", "sensors", "quality", "reported_s",
    "rcs_log10_mean", "rcs_looks", "status",
)  # fmt: skip
_QUALITY_WINDOW = 10  # opportunities (bmdsim.tracking.tracker._quality)
_QUALITY_MASK = np.uint64((1 << _QUALITY_WINDOW) - 1)
_NO_LOOKS = np.zeros(0, bool)
_NO_RCS = np.zeros(0)


def _scan_geometry(model):
    """``(geometry, geometry_g)`` of a scan's measurement model for the kernels: ``(kind,
    position (3,), velocity (3,), basis (3, 3))`` and the same as
    :func:`~bmdsim.tracking.updater._compiled_geometry` gives it (``(1, 3)``, ``(1, 3)``,
    ``(1, 3, 3)``); None for a model without a compiled form or with several geometries."""
    kind = _model_kinds().get(type(model))
    if kind is None:
        return None
    pos = np.ascontiguousarray(model.sensor_position_ecef, dtype=float)
    basis = np.ascontiguousarray(model.sensor_basis, dtype=float)
    vel = np.ascontiguousarray(model.sensor_velocity_ecef, dtype=float) if kind == 1 else _NO_VEL
    if pos.shape == (3,) and basis.shape == (3, 3) and vel.shape == (3,):
        one = (kind, pos.reshape(1, 3), vel.reshape(1, 3), basis.reshape(1, 3, 3))
        return (kind, pos, vel, basis), one
    one = _compiled_geometry(model, 1)  # any other shapes: the general form
    if one is None:
        return None
    kind, pos, vel, basis = one
    return (kind, pos[0], vel[0], basis[0]), one


_NO_VEL = np.zeros(3)  # the sensor velocity of models that have none (read only by kernels)


def _associate(associator, hyp: Hypotheses, n_tracks: int, n_det: int):
    """``(rows, dets, pair)``: the associator's assignment and each one's tested pair."""
    t, d = hyp.track, hyp.detection
    if t.size == 0:
        return _NO_ROWS, _NO_ROWS, _NO_ROWS
    if type(associator) is GlobalNearestNeighbourAssociator and _distinct(t) and _distinct(d):
        return t, d, hyp.pair  # each pair the only one of its track and its detection
    rows, dets = associator.associate(hyp, n_tracks, n_det)
    if rows.size == 0:
        return _NO_ROWS, _NO_ROWS, _NO_ROWS
    return rows, dets, hyp.pair[hyp.find(rows, dets, n_det)]


@cache
def _eye(n: int) -> np.ndarray:
    return np.eye(n)


def _distinct(values: np.ndarray) -> bool:
    """Whether no value repeats (small integer arrays)."""
    return len(values) < 2 or len(set(values.tolist())) == len(values)
