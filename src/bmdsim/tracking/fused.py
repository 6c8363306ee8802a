"""The tracker's scan step in one compiled call, for the compiled roles.

:class:`bmdsim.tracking.Tracker` processes a scan role by role (predictor, updater, gater,
associator, ...), each role a handful of numpy operations on every track. A run hands it
small batches (a few tracks, one or two detections a scan), where the fixed cost of those
operations and of rebuilding the track record outweighs the arithmetic. When the roles are
the compiled ones — an IMM or EKF predictor whose motion models have ``kernel_spec``, the
:class:`~bmdsim.tracking.updater.ExtendedKalmanUpdater` and the
:class:`~bmdsim.tracking.hypothesiser.ChiSquareGater` — and the scan's measurement model is
one of the sensors layer's (one sensor geometry, one detection time), :class:`ScanKernels`
does the same work in one call of :func:`bmdsim.tracking._kernel.scan_kernel`: the
prediction of every mode of every track, gating (box pre-gate, exact chi-square test of
each mode), the association when every gated pair is the only one of its track and of its
detection (otherwise the associator decides and the kernel is called again with its
assignment), the (iterated) EKF update of every mode of the assigned tracks — an
out-of-sequence detection through the retrodicted measurement of
:class:`bmdsim.tracking.tracker.RetrodictedMeasurement` — the IMM combination and the
track counters; the track record is rebuilt once.

The arithmetic is the role path's, in compiled loops: the prediction and the in-sequence
update are the same kernels as the roles', row by row; the gate's distances (Cholesky
instead of LU), the out-of-sequence update, the lag noise and the IMM combination are the
same formulas with another order of the floating-point operations, so the results agree
with the role path to rounding (and a gate decision can only differ for a pair within
rounding of the threshold). ``tests/unit/tracking/test_fused.py`` runs both paths side by
side.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bmdsim.tracking._kernel import SCAN_AMBIGUOUS, SCAN_FAILED, predict_at_kernel, scan_kernel
from bmdsim.tracking.associator import GlobalNearestNeighbourAssociator
from bmdsim.tracking.deleter import MOfNConfirmer
from bmdsim.tracking.hypothesiser import ChiSquareGater, Hypotheses
from bmdsim.tracking.motion import _tables
from bmdsim.tracking.predictor import (
    ExtendedKalmanPredictor,
    InteractingMultipleModelPredictor,
    markov_matrices,
)
from bmdsim.tracking.tracker import _sigma
from bmdsim.tracking.types import TrackBatch, TrackUpdated
from bmdsim.tracking.updater import ExtendedKalmanUpdater, _compiled_geometry, _model_kinds

_NO_ROWS = np.zeros(0, np.int64)
_NO_RCS = np.zeros(0)


@dataclass(frozen=True, slots=True)
class ScanKernels:
    """Per-tracker constants of the compiled scan step (see the module docstring).

    predictor, updater, gater: the roles it stands for (the tracker checks they are still
    its own); generator: the IMM's rate matrix (None for a single-model EKF) and lam the
    kernels' form of it (``[[0]]`` for one mode); specs: the modes' motion parameters as
    :func:`bmdsim.tracking._kernel.imm_predict_kernel` takes them; retro_motion: the
    motion model of out-of-sequence measurements and retro_spec its ``(drag, j2,
    max_step, q, q_kappa)``; switching_rate: with two modes, the sum of the two switching
    rates (``-trace Lambda``); closed_form: the kernels compute the mode transition
    matrices (one or two modes; more: :func:`markov_matrices` here). The rest: the
    kernels' arguments that do not change from scan to scan.
    """

    predictor: object
    updater: object
    gater: object
    generator: np.ndarray | None
    lam: np.ndarray
    specs: tuple
    retro_motion: object
    retro_spec: tuple
    switching_rate: float = 0.0
    closed_form: bool = True
    _motion_args: tuple = ()
    _constants: dict = field(default_factory=dict)

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
        drag, q, q_kappa, j2, max_step = retro_motion.kernel_spec()
        out = cls(
            predictor=predictor,
            updater=tracker.updater,
            gater=tracker.gater,
            generator=generator,
            lam=np.zeros((1, 1)) if generator is None else np.ascontiguousarray(generator),
            specs=tuple(
                np.array([spec[i] for spec in specs], dtype=dtype)
                for i, dtype in enumerate((bool, float, float, bool, float))
            ),
            retro_motion=retro_motion,
            retro_spec=(bool(drag), bool(j2), float(max_step), float(q), float(q_kappa)),
            switching_rate=0.0 if generator is None else float(-np.trace(generator)),
            closed_form=generator is None or generator.shape[0] <= 2,
        )
        object.__setattr__(out, "_motion_args", motion_config(out))
        return out

    def serves(self, tracker) -> bool:
        """Whether ``tracker``'s roles are still the ones this step was built for."""
        return (
            tracker.predictor is self.predictor
            and tracker.updater is self.updater
            and tracker.gater is self.gater
        )

    def _markov_given(self, tracks: TrackBatch, time_s: float) -> np.ndarray:
        """The mode transition matrices the kernels take: none (they compute them) with
        one or two modes, else :func:`markov_matrices` over each track's step."""
        if self.closed_form:
            return _NO_PI
        return np.ascontiguousarray(markov_matrices(self.generator, time_s - tracks.times_s))

    # -- prediction ------------------------------------------------------------------------
    def predict_arrays(self, tracks: TrackBatch, time_s: float) -> tuple:
        """``(mode_states, mode_covariances, mode_probabilities, states, covariances,
        times_s)`` of ``tracks`` predicted to ``time_s`` — the predictor's ``predict``."""
        t = float(time_s)
        return predict_at_kernel(
            tracks.mode_states, tracks.mode_covariances, tracks.mode_probabilities,
            tracks.times_s, t, self._markov_given(tracks, t), *self._motion_args,
        )  # fmt: skip

    def predict(self, tracks: TrackBatch, time_s) -> TrackBatch:
        """``tracks`` predicted to ``time_s`` (the predictor's ``predict``)."""
        if np.ndim(time_s) != 0:  # a time per track: the predictor itself
            return self.predictor.predict(tracks, time_s)
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
        a compiled form, tracks of another state size than the retrodiction motion's, or a
        covariance that is not positive definite where the compiled code factors it (the
        role path's numpy copes)."""
        if scan.detection_times_s is not None:
            return False
        geometry = _kernel_geometry(scan.model)
        if geometry is None:
            return False
        tr = tracker.tracks
        if not len(tr):
            tracker._initiate(scan, np.arange(len(scan)), events)
            return True
        if tr.states.shape[1] != self.retro_motion.ndim:
            return False
        result = self._scan(tracker, scan, tr, geometry)
        if result is None:
            return False
        _, changed, n_due, n_confirmed, index, _, estimate, counters = result
        if changed:
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
            if n_due or n_confirmed:
                self._events(tracker, scan, out, index, n_due, n_confirmed, events)
        if type(tracker.confirmer) is not MOfNConfirmer:
            tracker._confirm(float(scan.time_s), events)
        if len(index) > n_due + n_confirmed:  # detections left to start tracks
            tracker._initiate(scan, index[n_due + n_confirmed :], events)
        return True

    def _scan(self, tracker, scan, tr: TrackBatch, geometry):
        """:func:`scan_kernel`'s result for ``scan`` and the tracks ``tr`` (with the
        associator's assignment where the gated pairs are ambiguous), or None if it
        failed."""
        t = float(scan.time_s)
        z = np.ascontiguousarray(scan.z, dtype=float)
        rcs = _NO_RCS if scan.rcs_m2 is None else np.ascontiguousarray(scan.rcs_m2, dtype=float)
        if scan.coverage is None:
            covered = _NO_COVER
        else:  # the tracks at the scan time, for the sensor's coverage
            covered = np.asarray(scan.coverage(self.predict_arrays(tr, t)[3]), bool)
        constants = self._tracker_constants(tracker, z.shape[1])
        head = (
            *geometry, z, np.ascontiguousarray(scan.noise, dtype=float), rcs, t, constants,
            *self._motion_args, tr.mode_states, tr.mode_covariances, tr.mode_probabilities,
            tr.times_s, tr.states, tr.covariances, self._markov_given(tr, t),
        )  # fmt: skip
        tail = (
            tracker._sensor_bits[scan.sensor_id], covered, tr.last_update_s, tr.hits,
            tr.opportunities, tr.history, tr.sensors, tr.quality, tr.reported_s,
            tr.rcs_log10_mean, tr.rcs_looks, tr.status,
        )  # fmt: skip
        result = scan_kernel(*head, False, _NO_ROWS, _NO_ROWS, *tail)
        if result[0] == SCAN_AMBIGUOUS:  # the associator decides
            pairs = result[5]
            ints = pairs[[0, 1, 4]].astype(np.int64)
            hyp = Hypotheses(
                track=ints[0], detection=ints[1], distance2=pairs[2], cost=pairs[3], pair=ints[2]
            )
            rows, dets = tracker.associator.associate(hyp, len(tr), len(scan))
            rows = np.ascontiguousarray(rows, dtype=np.int64)
            dets = np.ascontiguousarray(dets, dtype=np.int64)
            result = scan_kernel(*head, True, rows, dets, *tail)
        if result[0] == SCAN_FAILED:
            return None
        return result

    def _tracker_constants(self, tracker, m: int) -> np.ndarray:
        """:func:`scan_kernel`'s ``settings`` from the tracker's, kept while they are the
        same: ``[threshold, iterations, plain_gnn, memory_looks, period, quality_window,
        confirm_m (-1: not the M-of-N confirmer), confirm_n]``."""
        confirmer, associator = tracker.confirmer, tracker.associator
        looks, period = tracker.rcs_memory_looks, tracker.update_event_period_s
        kept = self._constants.get(m)
        if (
            kept is not None and kept[0] is associator and kept[1] is confirmer
            and kept[2] == looks and kept[3] == period
        ):  # fmt: skip
            return kept[4]
        own_confirm = type(confirmer) is MOfNConfirmer
        found = np.array(
            [
                self.gater.threshold(m), max(1, int(self.updater.iterations)),
                type(associator) is GlobalNearestNeighbourAssociator, max(int(looks), 1),
                float(period), _QUALITY_WINDOW, confirmer.m if own_confirm else -1,
                confirmer.n if own_confirm else 0,
            ],
            dtype=float,
        )  # fmt: skip
        self._constants[m] = (associator, confirmer, looks, period, found)
        return found

    @staticmethod
    def _events(tracker, scan, out: TrackBatch, index, n_due: int, n_confirmed: int, events):
        """The 'track updated' events of the ``index[:n_due]`` tracks and the 'track
        confirmed' events of the next ``n_confirmed``."""
        t = float(scan.time_s)
        for r in index[:n_due].tolist():
            events.updated.append(
                TrackUpdated(
                    time_s=t,
                    track_id=int(out.ids[r]),
                    sensor_id=scan.sensor_id,
                    state=tuple(out.states[r].tolist()),
                    position_sigma_m=_sigma(out.covariances[r]),
                    quality=float(out.quality[r]),
                )
            )
        for i in index[n_due : n_due + n_confirmed].tolist():  # at the confirming update
            events.confirmed.append(tracker._confirmed_event(out, i, out.times_s[i]))


_QUALITY_WINDOW = 10  # opportunities (bmdsim.tracking.tracker._quality)
_NO_PI = np.zeros((0, 1, 1))
_NO_COVER = np.zeros(0, bool)  # no coverage function: every track is covered


def motion_config(kernels: ScanKernels) -> tuple:
    """``(motion_cfg, cd_table, rows)``: the motion arguments of :func:`scan_kernel` and
    :func:`predict_at_kernel` (one float array, unpacked by the kernels'
    ``_unpack_motion``, and the drag and air tables)."""
    drag, q, q_kappa, j2, max_step = kernels.specs
    r_drag, r_j2, r_max_step, r_q, r_q_kappa = kernels.retro_spec
    cd_table, inv_mach_step, cd_ref, rows, alt_min, inv_step, last_node = _tables()
    m_n = len(drag)
    cfg = np.concatenate(
        [
            [m_n, kernels.switching_rate], drag, q, q_kappa, j2, max_step,
            np.broadcast_to(kernels.lam, (m_n, m_n)).ravel(),
            [r_drag, r_j2, r_max_step, r_q, r_q_kappa, inv_mach_step, cd_ref, alt_min,
             inv_step, last_node],
        ]
    ).astype(float)  # fmt: skip
    assert int(cfg[-1]) == last_node and cfg.shape[0] == 12 + 5 * m_n + m_n * m_n
    return cfg, cd_table, rows


def _kernel_geometry(model):
    """``(kind, position (3,), velocity (3,), basis (3, 3))`` of a scan's measurement model
    for :func:`scan_kernel`, or None (see :func:`_scan_geometry`)."""
    kind = _model_kinds().get(type(model))
    if kind is None:
        return None
    pos, basis = model.sensor_position_ecef, model.sensor_basis
    vel = model.sensor_velocity_ecef if kind == 1 else _NO_VEL
    if (
        pos.shape == (3,) and basis.shape == (3, 3) and vel.shape == (3,)
        and pos.dtype == basis.dtype == vel.dtype == np.float64
        and pos.flags.c_contiguous and basis.flags.c_contiguous and vel.flags.c_contiguous
    ):  # fmt: skip
        return kind, pos, vel, basis
    geometries = _scan_geometry(model)
    return None if geometries is None else geometries[0]


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
