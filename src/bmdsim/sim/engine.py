"""The engine: one clock that wires flight -> sensors -> tracking -> assessment -> engagement.

:class:`Simulation` is steppable (DESIGN.md, "One engine, steppable"): ``advance(until_s)``
moves every layer to ``until_s`` in fixed steps of ``step_s``; :meth:`Simulation.command`
queues timed operator commands (posture, weapon control status, sensor outage);
:meth:`Simulation.run` is a loop over ``advance`` that ends when every threat is resolved.
Monte Carlo campaigns call :func:`run`, a live picture drives the same object at
wall-clock pace. There is no other engine.

One step ``[t0, t1)``:

1. operator commands due in the step; sensor outages and returns (events);
2. truth of every object on a sub-step grid: the threats' precomputed flights (an RV
   killed by an intercept stops existing then), interceptors in flight, as a
   :class:`bmdsim.sensors.TruthTable`;
3. every sensor observes the window, radars cued by the tracker's tracks;
4. detections travel to the operations centre over their C2 link (latency, jitter, loss)
   and the tracker processes those that have arrived;
5. the assessor evaluates the confirmed tracks; the battle manager acts on what has reached
   it (alerts, engagement orders, launches);
6. interceptors fly; an intercept ends the threat and makes a debris field.

Truth is read only to fly objects and to label detections for scoring, never by the
tracker, the assessor or the battle manager.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bmdsim.core.random import stream
from bmdsim.sim.events import EventKind, EventLog
from bmdsim.sim.summary import json_number


@dataclass(frozen=True, slots=True, kw_only=True)
class EngineSettings:
    """Numerical settings of the engine.

    step_s: engine step [s]; truth_substeps: truth samples per step for the sensors'
    interpolation; assessment_period_s: how often confirmed tracks are re-assessed [s];
    track_sample_period_s: how often track states are recorded for the result [s];
    end_margin_s: how long the run goes on after the last threat ends [s].
    """

    step_s: float = 1.0
    truth_substeps: int = 4
    assessment_period_s: float = 2.0
    track_sample_period_s: float = 2.0
    end_margin_s: float = 30.0

    def __post_init__(self) -> None:
        if not self.step_s > 0.0:
            raise ValueError(f"step_s must be > 0, got {self.step_s}")
        if self.truth_substeps < 1:
            raise ValueError(f"truth_substeps must be >= 1, got {self.truth_substeps}")


@dataclass(frozen=True, slots=True, kw_only=True)
class OperatorCommand:
    """A timed operator command.

    action: ``"posture"`` (value: level name), ``"weapon_control"`` (target: fire-unit id,
    value: ``hold``/``tight``/``free``) or ``"sensor_outage"`` (target: sensor id,
    value: outage duration [s]).
    """

    time_s: float
    action: str
    target: str = ""
    value: object = None

    def __post_init__(self) -> None:
        if self.action not in ("posture", "weapon_control", "sensor_outage"):
            raise ValueError(
                f"unknown operator command {self.action!r}; allowed: posture, "
                "weapon_control, sensor_outage"
            )


@dataclass(slots=True)
class _PendingDetections:
    """Detections on their way to the operations centre (without their truth labels), with
    arrival times. Each queued batch keeps its earliest and latest arrival, so that a batch
    wholly due or wholly in flight is told by two comparisons."""

    batches: list = field(default_factory=list)
    arrivals: list = field(default_factory=list)
    bounds: list = field(default_factory=list)

    def push(self, batch, arrival_s: np.ndarray) -> None:
        if len(batch):
            arrival = np.asarray(arrival_s, dtype=float)
            self.batches.append(batch)
            self.arrivals.append(arrival)
            self.bounds.append((float(arrival.min()), float(arrival.max())))

    def pop_until(self, t_s: float):
        """Detections that have arrived by ``t_s`` (any order), removed from the queue."""
        from bmdsim.sensors import DetectionBatch

        if not self.batches or min(lo for lo, _ in self.bounds) > t_s:
            return None
        out, keep_b, keep_a, keep_r = [], [], [], []
        for b, a, (lo, hi) in zip(self.batches, self.arrivals, self.bounds, strict=True):
            if hi <= t_s:
                out.append(b)
            elif lo > t_s:
                keep_b.append(b)
                keep_a.append(a)
                keep_r.append((lo, hi))
            else:
                due = a <= t_s
                out.append(b.take(np.flatnonzero(due)))
                rest = a[~due]
                keep_b.append(b.take(np.flatnonzero(~due)))
                keep_a.append(rest)
                keep_r.append((float(rest.min()), hi))
        self.batches, self.arrivals, self.bounds = keep_b, keep_a, keep_r
        return DetectionBatch.concat(out) if out else None


def _link_table(scenario) -> dict[str, tuple[float, float, float]]:
    """Sensor id -> (latency_s, jitter_s, loss probability) of its link to an operations
    centre (first matching link of the scenario's C2; zero latency if none is given)."""
    table: dict[str, tuple[float, float, float]] = {}
    c2 = scenario.c2
    if c2 is None:
        return table
    centres = {n.id for n in c2.nodes if str(getattr(n.role, "value", n.role)) == "ops-centre"}
    for link in c2.links:
        if link.target in centres and link.source not in table:
            table[link.source] = (link.latency_s, link.jitter_s, link.loss_probability)
    return table


class Simulation:
    """One scenario run, advanced step by step (see the module docstring).

    ``scenario``: a validated :class:`bmdsim.scenario.Scenario`; ``seed``: the run's seed
    (default: the scenario's); ``settings``: :class:`EngineSettings`; ``progress``: an
    optional callable ``progress(time_s, end_s)`` called after each step.
    """

    def __init__(self, scenario, seed: int | None = None, *, settings: EngineSettings | None = None,
                 progress=None) -> None:
        from bmdsim.assessment import Assessor
        from bmdsim.engagement import EngagementSystem
        from bmdsim.flight.threats import flights_from_scenario
        from bmdsim.sensors.placement import sensors_from_scenario

        self.scenario = scenario
        self.seed = int(scenario.seed if seed is None else seed)
        self.settings = settings or EngineSettings()
        self.progress = progress
        self.log = EventLog()
        self.time_s = 0.0
        self.end_s = float(scenario.duration_s)
        self._commands: list[OperatorCommand] = []
        # truth of the threats: flown once, killed RVs are masked from their kill time
        self.threat_ids = [t.id for t in scenario.threats]
        self.raid = flights_from_scenario(scenario) if scenario.threats else None
        self.flights = dict(zip(self.threat_ids, self.raid.flights if self.raid else (), strict=True))
        self.killed_s: dict[str, float] = {}
        self._impact_logged: set[str] = set()
        # every true object an interceptor may be sent at: (threat id, trajectory), keyed by
        # position in this list (the engagement layer's ``target_key``)
        self.targets = [(tid, traj) for tid, f in self.flights.items() for traj in f.objects]
        assert self.raid is None or all(
            a is b for (_, a), b in zip(self.targets, self.raid.objects, strict=True)
        ), "target keys follow the raid's object order"
        # sensing, tracking, assessment
        self.sensors = sensors_from_scenario(scenario, seed=self.seed)
        self.tracker = _default_tracker()
        # the tracker is a boost/ballistic IMM: its boost mode (index 0) marks powered flight
        self.assessor = Assessor.from_scenario(scenario, seed=self.seed, powered_mode=0)
        self._links = _link_table(scenario)
        self._pending = _PendingDetections()
        self._truth_steps: dict[tuple[float, float], int] = {}  # (t0, t1) -> first block row
        self._first_detection: dict[tuple[str, str], float] = {}
        self._first_seen: set[tuple[str, str]] = set()  # (sensor, object id) counted already
        #: sensor id -> [detections of real objects, false alarms] (scoring)
        self.detection_counts: dict[str, list[int]] = {}
        self._last_assessment_s = -np.inf
        self._last_track_sample_s = -np.inf
        #: track estimates sampled for the result: (times, ids, status, states, position
        #: covariances) per sample, rows of :attr:`track_rows` when asked
        self._track_samples: list[tuple] = []
        self._track_rows: list[tuple] | None = None
        self.assessment_rows: list[tuple] = []
        self.assessment_steps: list = []
        self.track_threat: dict[int, str] = {}
        self.track_target: dict[int, int] = {}
        self.detections_lost = 0
        # engagement: C2, posture, battle manager, fire units, interceptors in flight
        self.engagement = EngagementSystem.from_scenario(scenario, seed=self.seed)
        self._reports: list = []
        self._reports_s = -np.inf
        self.interceptor_samples: dict[str, list[tuple]] = {}
        self.intercepts: dict[str, object] = {}
        self.debris: dict[str, object] = {}
        self.launched: list = []
        self._step_index = 0
        self._log_launches()

    # -- public --------------------------------------------------------------------------
    def command(self, command: OperatorCommand) -> None:
        """Queue a timed operator command (applied in the step that contains its time)."""
        if command.time_s < self.time_s:
            raise ValueError(
                f"command at {command.time_s} s is in the past (simulation time {self.time_s} s)"
            )
        self._commands.append(command)
        self._commands.sort(key=lambda c: c.time_s)

    def advance(self, until_s: float) -> None:
        """Advance every layer to ``until_s`` [s since epoch] (clamped to the scenario end)."""
        until = min(float(until_s), self.end_s)
        step = self.settings.step_s
        while self.time_s < until - 1e-9:
            t1 = min(self.time_s + step, until)
            self._step(self.time_s, t1)
            self.time_s = t1
            if self.progress is not None:
                self.progress(self.time_s, self.end_s)

    @property
    def finished(self) -> bool:
        """True when the scenario time is over, or every threat has ended (impact or kill)
        and the end margin has passed."""
        if self.time_s >= self.end_s - 1e-9:
            return True
        return self.time_s >= self.threats_resolved_s() + self.settings.end_margin_s

    def threats_resolved_s(self) -> float:
        """Time by which every threat's RV has ended (killed or impacted) [s]."""
        ends = []
        for tid, f in self.flights.items():
            end = f.rv.end_s
            ends.append(min(end, self.killed_s.get(tid, np.inf)))
        return max(ends, default=0.0)

    def run(self):
        """Advance until :attr:`finished` and return the :class:`bmdsim.sim.result.Result`."""
        while not self.finished:
            self.advance(self.time_s + self.settings.step_s)
        from bmdsim.sim.summary import build_result

        return build_result(self)

    # -- the step ------------------------------------------------------------------------
    def _step(self, t0: float, t1: float) -> None:
        from bmdsim.tracking import scans_from_detections

        self._apply_commands(t0, t1)
        for change in self.sensors.status_changes(t0, t1):
            kind = EventKind.SENSOR_UP if change.up else EventKind.SENSOR_DOWN
            self.log.add(change.t_s, kind, source=change.sensor_id,
                         text=f"{change.sensor_id} {'back up' if change.up else 'down'} ({change.cause})",
                         cause=change.cause)
        truth = self._truth(t0, t1)
        if truth is not None:
            detections = self.sensors.observe(t0, t1, truth, self.tracker.cues(t0, t1))
            if len(detections):
                sensors, of_sensor = _sensor_groups(detections.sensor_id)
                self._log_first_detections(detections, sensors, of_sensor)
                self._send_detections(detections, sensors, of_sensor)
        arrived = self._pending.pop_until(t1)
        if arrived is not None and len(arrived):
            events = self.tracker.step(scans_from_detections(arrived))  # truth stripped
            self._log_track_events(events)
        if t1 - self._last_track_sample_s >= self.settings.track_sample_period_s - 1e-9:
            self._sample_tracks(t1)
        if t1 - self._last_assessment_s >= self.settings.assessment_period_s - 1e-9:
            self._assess(t1)
        self._engage(t0, t1)
        self._log_impacts(t0, t1)
        self._step_index += 1

    # -- parts ---------------------------------------------------------------------------
    def _apply_commands(self, t0: float, t1: float) -> None:
        due = [c for c in self._commands if c.time_s < t1]
        self._commands = [c for c in self._commands if c.time_s >= t1]
        for c in due:
            self.log.add(c.time_s, EventKind.OPERATOR_COMMAND, source="operator", subject=c.target,
                         text=f"operator: {c.action} {c.target} {c.value}".strip(),
                         action=c.action, value=c.value)
            if c.action == "sensor_outage":
                self.sensors = self.sensors.with_outage(c.target, c.time_s, c.time_s + float(c.value))
            else:
                self._engagement_command(c)

    def _engagement_command(self, command: OperatorCommand) -> None:
        """Posture and weapon-control commands go to the engagement layer."""
        self.engagement.command(command)

    def _truth(self, t0: float, t1: float):
        """TruthTable of the threats' objects on the step's sub-grid (killed RVs masked)."""
        if self.raid is None:
            return None
        from bmdsim.sensors.flight_truth import truth_from_flights

        n = self.settings.truth_substeps
        first = self._truth_steps.get((t0, t1))
        if first is not None:  # a step of the block: its rows are the step's own grid
            truth = self._truth_slice(first, first + n + 1)
        else:
            grid = np.linspace(t0, t1, n + 1)
            truth = self._truth_rows(grid)
            if truth is None:  # off the nominal grid: flights sampled for the next block
                self._truth_block = truth_from_flights(self.flights, self._block_grid(t0, t1))
                truth = self._truth_rows(grid)
        if self.killed_s:
            states = truth.states_ecef.copy()
            for j, oid in enumerate(truth.object_id):
                tid, label = str(oid).split("/", 1)
                if label == "rv" and tid in self.killed_s:
                    states[truth.t_s >= self.killed_s[tid], j] = np.nan
            from dataclasses import replace

            truth = replace(truth, states_ecef=states)
        return truth

    def _block_grid(self, t0: float, t1: float) -> np.ndarray:
        """Truth sample times of the steps from ``[t0, t1)`` on, for ``_TRUTH_BLOCK_STEPS``
        nominal steps (the times ``advance`` makes: ``t1 = min(t0 + step, end)``); records
        where each step's rows start (``_truth_steps``)."""
        n, step = self.settings.truth_substeps, self.settings.step_s
        grids = [np.linspace(t0, t1, n + 1)]
        # where each step's rows start (a step's grid continues from the last one's end)
        self._truth_steps = {(t0, t1): 0}
        for k in range(1, _TRUTH_BLOCK_STEPS):
            if t1 >= self.end_s - 1e-9:
                break
            t0, t1 = t1, min(t1 + step, self.end_s)
            grids.append(np.linspace(t0, t1, n + 1)[1:])
            self._truth_steps[(t0, t1)] = k * n
        return np.concatenate(grids)

    def _truth_rows(self, grid: np.ndarray):
        """The rows of the cached truth block on exactly ``grid``, or None (one flight-layer
        evaluation serves a block of steps; the values are those of the step's own grid)."""
        block = getattr(self, "_truth_block", None)
        if block is None:
            return None
        i = int(np.searchsorted(block.t_s, grid[0]))
        j = i + grid.size
        if j > block.t_s.size or not np.array_equal(block.t_s[i:j], grid):
            return None
        return self._truth_slice(i, j)

    def _truth_slice(self, i: int, j: int):
        """Rows ``i:j`` of the cached truth block as a TruthTable."""
        from bmdsim.sensors.truth import TruthTable

        block = self._truth_block
        rcs = block.rcs_m2 if block.rcs_m2.ndim == 1 else block.rcs_m2[i:j]
        ir = None if block.ir_intensity_w_sr is None else block.ir_intensity_w_sr[i:j]
        return TruthTable(t_s=block.t_s[i:j], states_ecef=block.states_ecef[i:j],
                          object_id=block.object_id, rcs_m2=rcs, ir_intensity_w_sr=ir)

    def _log_first_detections(self, detections, sensors, of_sensor) -> None:
        """Count each sensor's detections (real objects, false alarms) and log a 'detection'
        event for its first detection of each threat (scoring labels; the tracker never
        sees them). ``sensors``, ``of_sensor``: the batch's sensor ids (sorted) and each
        detection's index into them."""
        if detections.truth is None:
            return
        real = ~detections.truth.false_alarm
        n_real = np.bincount(of_sensor[real], minlength=sensors.size)
        n_false = np.bincount(of_sensor[~real], minlength=sensors.size)
        for j, sensor in enumerate(sensors.tolist()):
            counts = self.detection_counts.setdefault(sensor, [0, 0])
            counts[0] += int(n_real[j])
            counts[1] += int(n_false[j])
        seen = self._first_seen
        for k in np.flatnonzero(real):
            sensor = str(detections.sensor_id[k])
            obj = str(detections.truth.object_id[k])
            if (sensor, obj) in seen:
                continue
            seen.add((sensor, obj))
            threat = obj.split("/", 1)[0]
            key = (sensor, threat)
            if key in self._first_detection:
                continue
            t = float(detections.t_s[k])
            self._first_detection[key] = t
            self.log.add(t, EventKind.DETECTION, source=sensor, subject=threat,
                         text=f"{sensor} first detects {threat} ({obj})",
                         object_id=obj, snr_db=float(detections.snr_db[k]),
                         first=True)

    def _send_detections(self, detections, sensors, of_sensor) -> None:
        """Detections travel to the operations centre: latency + uniform jitter, loss per
        detection (counted in a visible event). One batch per step goes on its way, each
        detection with its own arrival time (the draws are per sensor and step)."""
        from bmdsim.sensors.base import shared_stream

        n = len(detections)
        delay = np.empty(n)
        lost = np.zeros(n, dtype=bool)
        names = sensors.tolist()
        for j, sensor in enumerate(names):
            rows = np.flatnonzero(of_sensor == j) if len(names) > 1 else np.arange(n)
            latency, jitter, loss = self._links.get(sensor, (0.0, 0.0, 0.0))
            if jitter == 0.0 and loss == 0.0:  # nothing to draw (the stream is this step's own)
                delay[rows] = latency + np.zeros(rows.size)
                continue
            # stream(seed, "c2-detections", sensor, str(step)), drawn from at once
            rng = shared_stream(self.seed, ("c2-detections", sensor), str(self._step_index))
            delay[rows] = latency + rng.uniform(0.0, jitter, rows.size)
            if loss == 0.0:  # the loss draws would all be kept (u < 0 never holds)
                continue
            gone = rng.random(rows.size) < loss
            if gone.any():
                lost[rows[gone]] = True
                self.detections_lost += int(gone.sum())
                self.log.add(float(detections.t_s[rows[gone]].min()), EventKind.DETECTIONS_LOST,
                             source=sensor, text=f"{int(gone.sum())} detections from {sensor} lost on the link",
                             count=int(gone.sum()))
        if lost.any():
            keep = np.flatnonzero(~lost)
            self._pending.push(detections.without_truth().take(keep),
                               detections.t_s[keep] + delay[keep])  # fmt: skip
        else:
            self._pending.push(detections.without_truth(), detections.t_s + delay)

    def _log_track_events(self, events) -> None:
        for e in events.all():
            text = {
                "track_initiated": f"track {e.track_id} initiated",
                "track_confirmed": f"track {e.track_id} confirmed",
                "track_updated": f"track {e.track_id} updated",
                "track_deleted": f"track {e.track_id} deleted",
            }[e.kind]
            if e.kind == "track_confirmed":
                threat = self._label_tracks([e.track_id], e.time_s, np.asarray(e.state[:3]))[0]
                if threat:
                    text += f" ({threat})"
            self.log.record(e, source="tracker", subject=str(e.track_id), text=text)

    def _label_tracks(self, track_ids, t_s: float, positions) -> list[str]:
        """The true object nearest to each confirmed track (within 20 km) at ``t_s``: its
        threat id for scoring and the report, and its key for the interceptors' seekers
        (which see the real object); '' for a false track. One batched look-up over every
        object of the raid. Never read by the tracker, the assessor or the battle manager's
        decisions."""
        ids = np.atleast_1d(np.asarray(track_ids))
        if self.raid is None or ids.size == 0:
            return [""] * ids.size
        objects = self._object_positions(float(t_s))  # (n_objects, 3)
        d = np.linalg.norm(np.asarray(positions, dtype=float).reshape(-1, 1, 3)
                           - objects[None], axis=2)
        d = np.where(np.isfinite(d), d, np.inf)
        best = np.argmin(d, axis=1)
        out = []
        for tid, key, dist in zip(ids, best, d[np.arange(ids.size), best], strict=True):
            if dist > 20_000.0:
                out.append("")
                continue
            self.track_target[int(tid)] = int(key)
            self.track_threat[int(tid)] = self.targets[int(key)][0]
            out.append(self.targets[int(key)][0])
        return out

    def _object_positions(self, t_s: float) -> np.ndarray:
        """True ECEF positions ``(n_objects, 3)`` of every object of the raid at ``t_s``
        (NaN where an object does not exist; killed RVs included): the truth block's row at
        that time when it has one (the same interpolation of the same trajectories), else
        the raid's."""
        block = getattr(self, "_truth_block", None)
        if block is not None:
            j = int(np.searchsorted(block.t_s, t_s))
            if j < block.t_s.size and block.t_s[j] == t_s:
                return block.states_ecef[j, :, :3]
        return self.raid.state_at(np.array(t_s))[:, :3]

    def _sample_tracks(self, t_s: float) -> None:
        """Keep the live tracks' estimates at ``t_s`` for the result (:attr:`track_rows`)."""
        from bmdsim.tracking import TrackStatus

        self._last_track_sample_s = t_s
        tracks = self.tracker.tracks
        if tracks is None or not len(tracks):
            return
        if not (np.asarray(tracks.status) != TrackStatus.DELETED).any():
            return
        tr = self.tracker.tracks_at(t_s)
        rows = np.flatnonzero(np.asarray(tr.status) != TrackStatus.DELETED)
        self._track_samples.append((
            np.full(rows.size, t_s), tr.ids[rows], np.asarray(tr.status)[rows],
            tr.states[rows, :6], tr.covariances[rows, :3, :3],
        ))  # fmt: skip
        self._track_rows = None

    @property
    def track_rows(self) -> list[tuple]:
        """Every sampled track estimate: ``(time_s, track_id, status, lat_deg, lon_deg, alt_m,
        x, y, z [m], vx, vy, vz [m/s], sigma_pos_m)``, ECEF, in sampling order (position
        sigma: root of the trace of the position covariance)."""
        from bmdsim.earth.frames import ecef_to_geodetic

        if self._track_rows is None:
            if not self._track_samples:
                self._track_rows = []
                return self._track_rows
            t, ids, status, states, cov = (
                np.concatenate(c) for c in zip(*self._track_samples, strict=True)
            )
            lat, lon, alt = ecef_to_geodetic(states[:, :3])
            sigma = np.sqrt(np.trace(cov, axis1=1, axis2=2))
            columns = (t.tolist(), ids.tolist(), status.tolist(), lat.tolist(), lon.tolist(),
                       alt.tolist(), states.tolist(), sigma.tolist())  # fmt: skip
            self._track_rows = [(ts, tid, st, la, lo, al, *x, sg)
                                for ts, tid, st, la, lo, al, x, sg in zip(*columns, strict=True)]  # fmt: skip
        return self._track_rows

    def _assess(self, t_s: float) -> None:
        from bmdsim.tracking import TrackStatus

        self._last_assessment_s = t_s
        tracks = self.tracker.tracks
        if tracks is None or not np.any(np.asarray(tracks.status) == TrackStatus.CONFIRMED):
            return
        tr = self.tracker.tracks_at(t_s)
        # which true object each confirmed track follows now (objects separate after burnout;
        # scoring and the interceptors' seekers only)
        confirmed = np.asarray(tr.status) == TrackStatus.CONFIRMED
        self._label_tracks(tr.ids[confirmed], t_s, tr.states[confirmed, :3])
        step = self.assessor.step(tr, t_s)
        self.assessment_steps.append(step)
        for e in step.events:
            threat = self.track_threat.get(int(e.track_id), "")
            self.log.record(e, source="bmd-ops", subject=str(e.track_id),
                            text=_assessment_text(e, threat))
        imp = step.impacts  # its 95 % ellipses are kept with it (NaN where not valid)
        th = step.threats
        for i, tid in enumerate(th.track_ids):
            self.assessment_rows.append((
                t_s, int(tid), self.track_threat.get(int(tid), ""),
                float(imp.lat_deg[i]), float(imp.lon_deg[i]),
                float(imp.ellipse_semi_major_m[i]), float(imp.ellipse_semi_minor_m[i]),
                float(np.degrees(imp.ellipse_azimuth_rad[i])), float(imp.time_to_impact_s[i]),
                "" if th.most_likely_country[i] is None else str(th.most_likely_country[i]),
                _category_label(th.category[i]), float(th.p_allied[i]),
            ))
        from bmdsim.engagement.threats import threat_reports

        self._reports = threat_reports(
            tr, step.impacts, step.threats,
            target_of=lambda k: self.track_target.get(int(k), -1),
            name_of=lambda k: f"track-{int(k)}",
        )
        self._reports_s = t_s

    # -- engagement ----------------------------------------------------------------------
    def _target_states(self, t_s, keys) -> np.ndarray:
        """True ECEF states ``(M, 6)`` of target objects ``keys (M,)`` at times ``t_s (M,)``
        (NaN once an RV is destroyed); for the interceptors' flight and seekers."""
        t = np.asarray(t_s, dtype=float).reshape(-1)
        k = np.asarray(keys).reshape(-1)
        out = np.full((t.size, 6), np.nan)
        for key in np.unique(k[k >= 0]):  # a loop over engaged objects, few
            rows = np.flatnonzero(k == key)
            tid, traj = self.targets[int(key)]
            states = traj.state_at(t[rows])
            dead = self.killed_s.get(tid, np.inf) if traj is self.flights[tid].rv else np.inf
            states[t[rows] > dead] = np.nan
            out[rows] = states
        return out

    def _target_trajectory(self, key: int):
        """The true trajectory of target object ``key`` and the time after which it no longer
        exists [s] (what :meth:`_target_states` interpolates; the compiled interceptor flight
        interpolates it itself)."""
        tid, traj = self.targets[int(key)]
        dead = self.killed_s.get(tid, np.inf) if traj is self.flights[tid].rv else np.inf
        return traj, dead

    def _engage(self, t0: float, t1: float) -> None:
        """The engagement layer over ``[t0, t1]`` with the latest threat reports."""
        from bmdsim.engagement.flyout import TargetTruth

        truth = TargetTruth(states=self._target_states, trajectory=self._target_trajectory)
        events = self.engagement.advance(t1, threats=self._reports, target_states=truth)
        for e in events:
            self.log.record(e, source=e.source, subject=e.subject, text=e.text())
            if e.kind == "interceptor_launched":
                self.launched.append(e)
            elif e.kind in ("intercept", "miss"):
                self._intercept_result(e)
        self._sample_interceptors()

    def _sample_interceptors(self) -> None:
        batch = self.engagement.interceptors
        for i, iid in enumerate(batch.ids):
            rows = self.interceptor_samples.setdefault(iid, [])
            t = float(batch.t_s[i])
            if rows and rows[-1][0] >= t:
                continue
            rows.append((t, *map(float, batch.state[i, :6]), int(batch.phase[i])))

    def _intercept_result(self, e) -> None:
        """An interceptor's flight ended: on a kill, the threat object ends and breaks up."""
        if e.target_key < 0:
            return
        tid, traj = self.targets[e.target_key]
        self.intercepts.setdefault(tid, [])
        self.intercepts[tid].append(e)
        if not e.killed or traj is not self.flights[tid].rv or tid in self.killed_s:
            return
        from bmdsim.flight import intercept_debris

        self.killed_s[tid] = e.time_s
        threat_state = traj.state_at(np.array([e.time_s]))[0]
        threat_mass = float(np.interp(e.time_s, traj.t_s, traj.mass_kg))
        kv_state = self._interceptor_state(e.source, e.time_s, threat_state)
        itype = next(fu.interceptor_type for fu in self.scenario.fire_units
                     if fu.id == e.fire_unit_id)
        debris = intercept_debris(threat_state, threat_mass, kv_state,
                                  itype.kill_vehicle_mass_kg, e.time_s,
                                  stream(self.seed, "debris", tid))
        self.debris[tid] = debris
        fp = debris.footprint
        landed = debris.impacts.t_s[np.isfinite(debris.impacts.t_s)]
        where = ", ".join(p.name for p in fp.places[:3])
        self.log.add(float(landed.min()) if landed.size else e.time_s, EventKind.DEBRIS_IMPACT,
                     source=tid, subject=tid,
                     text=f"debris of {tid} falls in {', '.join(fp.countries) or 'the sea'}"
                          + (f" near {where}" if where else ""),
                     countries=list(fp.countries), places=[p.name for p in fp.places],
                     last_impact_s=float(landed.max()) if landed.size else None)

    def _interceptor_state(self, interceptor_id: str, t_s: float, threat_state) -> np.ndarray:
        """The kill vehicle's ECEF state at the intercept: at the threat's position, with the
        velocity of its last recorded sample."""
        rows = self.interceptor_samples.get(interceptor_id) or []
        batch = self.engagement.interceptors
        if interceptor_id in batch.ids:
            i = batch.ids.index(interceptor_id)
            velocity = batch.state[i, 3:6]
        else:
            velocity = np.asarray(rows[-1][4:7]) if rows else np.zeros(3)
        return np.concatenate([threat_state[:3], velocity])

    # -- views for the result ------------------------------------------------------------
    def interceptors_used(self) -> int:
        return len(self.launched)

    def intercept_summary(self, threat_id: str) -> dict | None:
        """The intercept that destroyed a threat (None if none did), for summary.json."""
        kill = [r for r in self.intercepts.get(threat_id) or [] if r.killed]
        return self._shot_summary(kill[0]) if kill else None

    def engagement_summaries(self, threat_id: str) -> list[dict]:
        """Every interceptor flown at one of the threat's objects: outcome and closest approach."""
        return [self._shot_summary(r) for r in self.intercepts.get(threat_id) or []]

    def _shot_summary(self, r) -> dict:
        launch = next((x for x in self.launched if x.interceptor_id == r.source), None)
        _, traj = self.targets[r.target_key]
        return {
            "time_s": json_number(r.time_s), "lat_deg": json_number(r.lat_deg, 5),
            "lon_deg": json_number(r.lon_deg, 5), "alt_m": json_number(r.alt_m, 1),
            "fire_unit": r.fire_unit_id,
            "interceptor": None if launch is None else launch.interceptor_type,
            "interceptor_id": r.source, "target_object": traj.label,
            "miss_distance_m": json_number(r.miss_distance_m, 3),
            "kill_probability": json_number(r.kill_probability, 4), "killed": bool(r.killed),
            "closing_speed_m_s": json_number(r.closing_speed_m_s, 1), "reason": r.reason,
        }

    def debris_summary(self, threat_id: str) -> dict | None:
        debris = self.debris.get(threat_id)
        if debris is None:
            return None
        out = debris.footprint.summary()
        out["places"] = [p["name"] if isinstance(p, dict) else str(p) for p in out["places"]]
        return out

    def _log_launches(self) -> None:
        for tid, f in self.flights.items():
            self.log.add(f.launch_time_s, EventKind.LAUNCH, source=tid, subject=tid,
                         text=f"{tid}: {f.missile.name} launched from ({f.launch_lat_deg:.2f}, "
                              f"{f.launch_lon_deg:.2f})",
                         lat_deg=f.launch_lat_deg, lon_deg=f.launch_lon_deg,
                         missile=f.missile.id)
            if f.rv.burnout is not None:
                self.log.add(f.rv.burnout.t_s, EventKind.BURNOUT, source=tid, subject=tid,
                             text=f"{tid}: burnout at {f.rv.burnout.alt_m / 1e3:.0f} km",
                             alt_m=f.rv.burnout.alt_m)

    def _log_impacts(self, t0: float, t1: float) -> None:
        """Threat impacts (RVs not killed) in the step."""
        from bmdsim.earth import country_at

        for tid, f in self.flights.items():
            imp = f.rv.impact
            if imp is None or tid in self._impact_logged or tid in self.killed_s:
                continue
            if t0 <= imp.t_s < t1 or (imp.t_s < t1 and self._step_index == 0):
                self._impact_logged.add(tid)
                country = country_at(imp.lat_deg, imp.lon_deg)
                self.log.add(imp.t_s, EventKind.THREAT_IMPACT, source=tid, subject=tid,
                             text=f"{tid} impacts at ({imp.lat_deg:.3f}, {imp.lon_deg:.3f}) "
                                  f"{country or 'sea'}",
                             lat_deg=imp.lat_deg, lon_deg=imp.lon_deg, country=country)


def _sensor_groups(sensor_id: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``np.unique(sensor_id, return_inverse=True)`` (sorted ids, each detection's index
    into them), without sorting strings when one sensor made every detection (most steps)."""
    first = sensor_id[0]
    if (sensor_id == first).all():
        return sensor_id[:1], np.zeros(sensor_id.shape[0], dtype=np.intp)
    return np.unique(sensor_id, return_inverse=True)


#: Engine steps of threat truth sampled by one call of the flight layer.
_TRUTH_BLOCK_STEPS = 32


def _category_label(value) -> str:
    from bmdsim.assessment import ThreatCategory

    return ThreatCategory(int(value)).label


def _assessment_text(e, threat: str) -> str:
    who = f"track {e.track_id}" + (f" ({threat})" if threat else "")
    if e.kind == "threat_evaluated":
        return (f"{who}: {e.category}, impact most likely {e.most_likely_country} "
                f"(p={e.probability:.2f}), {e.time_to_impact_s:.0f} s to impact")
    if e.kind == "threat_updated":
        return f"{who}: {e.category}, {e.most_likely_country} p={e.probability:.2f}"
    if e.kind == "threat_category_changed":
        return f"{who}: category {e.previous} -> {e.current}"
    if e.kind == "impact_country_changed":
        return f"{who}: impact country {e.previous} -> {e.current} (p={e.probability:.2f})"
    if e.kind == "launch_point_estimated":
        return f"{who}: launch point ({e.lat_deg:.2f}, {e.lon_deg:.2f}) {e.country}"
    return who


def _default_tracker():
    """The tracker of a run: boost/ballistic IMM, iterated EKF updates (docs/models/tracking.md).

    7 states ``[r, v, kappa]``: the ballistic mode estimates drag, which a spent stage shows
    right after separation and every object in reentry (without it the tracks lose them and
    new ones start). Boost thrust is white acceleration noise of ``q = 1000 m^2/s^3``
    (~30 m/s^2 per sqrt(s)): with less, the boost-phase radar innovations are biased by the
    unmodelled thrust (mean NIS 11 for 4 dof at ``q = 400`` on the reference run, 5 at 1000).
    """
    from bmdsim.tracking import (
        BallisticMotion,
        BoostMotion,
        Deleter,
        ExtendedKalmanPredictor,
        ExtendedKalmanUpdater,
        InitialState,
        InteractingMultipleModelPredictor,
        SinglePointInitiator,
        Tracker,
    )

    return Tracker(
        predictor=InteractingMultipleModelPredictor(
            predictors=(
                ExtendedKalmanPredictor(motion=BoostMotion(q=1000.0, drag=True)),
                ExtendedKalmanPredictor(motion=BallisticMotion(q=1e-3, drag=True)),
            ),
            transition_rates=[[0.0, 0.02], [1e-4, 0.0]],
        ),
        updater=ExtendedKalmanUpdater(iterations=3),
        initiator=SinglePointInitiator(
            initial=InitialState(ndim=7, mode_probabilities=(0.5, 0.5))
        ),
        deleter=Deleter(tentative_coast_s=12.0),
    )
