"""Guided flight of interceptors: one batch, advanced step by step by the engine.

:class:`InterceptorFlight` holds every interceptor launched in a run as arrays
(:class:`InterceptorBatch`) and advances them together with :meth:`InterceptorFlight.advance`
(those still flying, under an alive mask). Each interceptor flies 3-DOF with the flight
layer's equations of motion (:func:`bmdsim.flight.dynamics.derivative`) plus its commanded
acceleration, integrated with :func:`bmdsim.core.integrate.rk4`:

1. **boost** on the open-loop programme the fire control solved (launch azimuth and kick
   angle, :mod:`bmdsim.engagement.kinematics`), staging at each burnout;
2. **midcourse** (after the last burnout): zero-effort-miss guidance toward the predicted
   intercept with the latest *in-flight target update* (:meth:`InterceptorFlight.update_targets`;
   between updates the target estimate is extrapolated with its apparent acceleration);
3. **terminal homing** once the target is within the seeker's acquisition range: true
   proportional navigation on the seeker's line-of-sight rate (noisy measurements every
   seeker frame, alpha-beta rate estimate), navigation ratio and divert acceleration limit
   from the catalog, divert velocity budget where the type has one.

Commands are computed at the start of each guidance frame and held over it (a digital
autopilot without lag). The first closest approach to the true target after burnout ends
the flight: it is located on the step's interpolant, its distance is the miss distance, and
the kill is drawn with the type's ``Pk(miss)`` (:meth:`InterceptorType.kill_probability`)
from a stream named after the interceptor. A flight also ends past the type's maximum time
of flight, when its target no longer exists, or at the ground.

Two implementations fly the same model: a compiled one (:mod:`bmdsim.engagement._flyout_kernel`,
numba: the whole frame loop of a call in one kernel, the targets' true states interpolated in
it) when ``target_states`` is a :class:`TargetTruth` (it gives the targets' trajectories) and
the guidance models are the stock ones; otherwise the numpy reference
(:meth:`InterceptorFlight.advance_reference`). Both give bit-identical flights.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import IntEnum
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from bmdsim.catalog.interceptors import InterceptorType
from bmdsim.core.integrate import rk4
from bmdsim.core.random import stream
from bmdsim.earth.constants import OMEGA_RAD_S
from bmdsim.earth.frames import ecef_to_geodetic
from bmdsim.engagement.events import InterceptResult
from bmdsim.engagement.guidance import (
    ProportionalNavigation,
    Seeker,
    ZeroEffortMissGuidance,
    limit_acceleration,
    line_of_sight,
)
from bmdsim.engagement.kinematics import (
    BOOST_STEP_S,
    DEFAULT_PROGRAM,
    InterceptorKinematics,
    LaunchProgram,
    launch_axes,
)
from bmdsim.flight.dynamics import MACH_STEP, Physics, altitude, derivative

if TYPE_CHECKING:
    from bmdsim.flight.trajectory import Trajectory

TargetStatesFn = Callable[[np.ndarray, np.ndarray], np.ndarray]
"""``fn(t_s (M,), target (M,)) -> (M, 6)``: true ECEF states of targets at times (NaN where a
target no longer exists)."""


@dataclass(frozen=True, slots=True, kw_only=True)
class TargetTruth:
    """The true targets, as :meth:`InterceptorFlight.advance` flies against them fastest.

    Callable as a :data:`TargetStatesFn` (``states``). ``trajectory(key) -> (trajectory,
    end_s)`` gives target ``key``'s true :class:`~bmdsim.flight.trajectory.Trajectory` and
    the time after which the target no longer exists [s] (inf: to the trajectory's end);
    ``states`` must be exactly ``trajectory.state_at(t)``, NaN after ``end_s`` (the compiled
    flight interpolates the trajectory itself, with the same arithmetic).
    """

    states: TargetStatesFn
    trajectory: Callable[[int], tuple[Trajectory, float]]

    def __call__(self, t_s, keys) -> np.ndarray:
        return self.states(t_s, keys)


#: Seeker noise draws kept per interceptor (reused cyclically beyond).
_NOISE_DRAWS = 8192
#: Time tolerance of the closest-approach search [s] (:func:`bmdsim.core.integrate.rk4`'s).
_EVENT_TOL_S = 1e-9
#: Frames of one :meth:`InterceptorFlight.advance` call beyond which it gives up.
_MAX_FRAMES = 10_000_000
#: Reasons of the ends of flights, by the compiled kernel's end codes.
_END_REASONS = ("target lost", "time of flight", "passed", "", "ground")


class Phase(IntEnum):
    BOOST = 0
    MIDCOURSE = 1
    TERMINAL = 2
    ENDED = 3


#: :attr:`Phase.ENDED` as a plain int (an enum member's lookup costs more than the compare)
_ENDED = int(Phase.ENDED)


class Outcome(IntEnum):
    FLYING = 0
    KILL = 1  # closest approach, target destroyed
    SURVIVED = 2  # closest approach, target not destroyed
    NO_INTERCEPT = 3  # ended without a closest approach (time of flight, target lost, ground)


@dataclass(frozen=True, slots=True, kw_only=True)
class InterceptorLaunch:
    """What a fire unit gives an interceptor at launch (ECEF, SI, scenario time)."""

    interceptor_id: str
    fire_unit_id: str
    threat_id: str
    interceptor_type: InterceptorType
    #: key of the true target for the engine's ``target_states`` function
    target_key: int
    launch_s: float
    position_ecef: tuple[float, float, float]
    velocity_ecef: tuple[float, float, float] = (0.0, 0.0, 0.0)
    azimuth_rad: float
    kick_rad: float
    #: the track's estimate of the target at ``estimate_s`` (the first target update)
    target_state: tuple[float, ...]
    estimate_s: float
    predicted_intercept_s: float = float("nan")


@dataclass(frozen=True, slots=True, kw_only=True)
class InterceptorBatch:
    """Every interceptor of a run, as arrays over interceptors (a snapshot).

    ``state (N, 7)`` ECEF position, velocity and mass at ``t_s (N,)``; ``phase`` and
    ``outcome`` are :class:`Phase` and :class:`Outcome` values; ``intercept_s``,
    ``miss_m`` and ``intercept_point (N, 3)`` describe the closest approach (NaN if none).
    """

    ids: tuple[str, ...]
    fire_unit_ids: tuple[str, ...]
    threat_ids: tuple[str, ...]
    type_ids: tuple[str, ...]
    target: np.ndarray
    launch_s: np.ndarray
    t_s: np.ndarray
    state: np.ndarray
    phase: np.ndarray
    outcome: np.ndarray
    divert_used_m_s: np.ndarray
    intercept_s: np.ndarray
    miss_m: np.ndarray
    intercept_point: np.ndarray
    killed: np.ndarray

    def __len__(self) -> int:
        return len(self.ids)

    @property
    def alive(self) -> np.ndarray:
        return self.phase != Phase.ENDED


def _kernel():
    """The compiled flight (:mod:`bmdsim.engagement._flyout_kernel`; numba, imported once
    it is first needed)."""
    global _KERNEL
    if _KERNEL is None:
        from bmdsim.engagement import _flyout_kernel

        _KERNEL = _flyout_kernel
    return _KERNEL


_KERNEL = None


def _grow(a: np.ndarray, rows) -> np.ndarray:
    return np.concatenate([a, np.asarray(rows, dtype=a.dtype).reshape(-1, *a.shape[1:])])


def _known_targets(target_states: TargetStatesFn) -> TargetStatesFn:
    """``target_states`` for keys >= 0; NaN (no such object: e.g. an engaged false track)
    for negative keys, without asking."""

    def fn(t, keys):
        t = np.asarray(t, dtype=float)
        keys = np.asarray(keys)
        known = keys >= 0
        if known.all():
            return np.asarray(target_states(t, keys), dtype=float)
        out = np.full((keys.size, 6), np.nan)
        if known.any():
            out[known] = target_states(np.broadcast_to(t, keys.shape)[known], keys[known])
        return out

    return fn


class InterceptorFlight:
    """All interceptors of a run; see the module docstring.

    ``seed`` names the random streams (seeker noise, kill draws) with each interceptor's id;
    ``seeker``, ``midcourse`` and ``terminal`` are the models; ``midcourse_frame_s`` the
    guidance frame before acquisition [s]. ``compiled``: fly with the compiled kernel where
    possible (see the module docstring); False: always the numpy reference.
    """

    def __init__(
        self,
        *,
        seed: int = 0,
        seeker: Seeker | None = None,
        midcourse: ZeroEffortMissGuidance | None = None,
        terminal: ProportionalNavigation | None = None,
        physics: Physics | None = None,
        program: LaunchProgram = DEFAULT_PROGRAM,
        midcourse_frame_s: float = 0.25,
        frames_per_time_to_go: float = 50.0,
        boost_step_s: float = BOOST_STEP_S,
        compiled: bool = True,
    ) -> None:
        self.seed = int(seed)
        self.compiled = bool(compiled)
        self.seeker = Seeker() if seeker is None else seeker
        self.midcourse = ZeroEffortMissGuidance() if midcourse is None else midcourse
        self.terminal = ProportionalNavigation() if terminal is None else terminal
        self.physics = Physics() if physics is None else physics
        self.program = program
        self.midcourse_frame_s = float(midcourse_frame_s)
        self.frames_per_time_to_go = float(frames_per_time_to_go)
        self.boost_step_s = float(boost_step_s)
        self._types: list[InterceptorType] = []
        self._kin: InterceptorKinematics | None = None
        self._per_type: dict[str, np.ndarray] = {}
        # compiled flight: the types' tables, the targets' knots, work arrays (built lazily)
        self._type_tables: tuple | None = None
        self._knots: tuple[tuple, tuple] | None = None
        self._work: tuple | None = None
        self._ids: list[str] = []
        self._units: list[str] = []
        self._threats: list[str] = []
        n = 0
        self._type = np.zeros(n, np.intp)
        self._target = np.zeros(n, np.intp)
        self._launch = np.zeros(n)
        self._t = np.zeros(n)
        self._y = np.zeros((n, 7))
        self._phase = np.zeros(n, np.int8)
        #: flights not ended, counted and marked (a new mask) at each launch and end
        self._n_live = 0
        self._live_mask = np.zeros(n, bool)
        # no flight not ended is before this time (less 1e-12 s): the last compiled advance's
        # end, lowered by launches
        self._t_floor = math.inf
        # the kernel's state arguments (the arrays are replaced only at a launch)
        self._state_args: tuple | None = None
        self._outcome = np.zeros(n, np.int8)
        self._up = np.zeros((n, 3))
        self._down = np.zeros((n, 3))
        self._kick = np.zeros(n)
        self._est = np.zeros((n, 6))  # target estimate (uplinked) ...
        self._est_t = np.zeros(n)  # ... valid at this time
        self._est_a = np.zeros((n, 3))  # its apparent acceleration
        self._dv_used = np.zeros(n)
        self._a_cmd = np.zeros((n, 3))
        self._u_est = np.zeros((n, 3))
        self._udot_est = np.zeros((n, 3))
        self._frame = np.zeros(n, np.int64)
        self._noise = np.zeros((n, _NOISE_DRAWS, 2))
        self._kill_draw = np.zeros(n)
        self._t_cpa = np.zeros(n)
        self._miss = np.zeros(n)
        self._p_cpa = np.zeros((n, 3))
        self._killed = np.zeros(n, bool)
        self._meas_t = np.zeros(n)  # time of each interceptor's last guidance update [s]
        self._next_cmd = np.zeros(n)  # ... and of its next one [s]
        # the snapshot :attr:`batch` last made (read-only arrays), until a flight changes;
        # its parts that only a launch or the end of a flight change (ids, targets, launch
        # times, outcomes, closest approaches), until one does
        self._snapshot: InterceptorBatch | None = None
        self._settled: tuple | None = None
        # the equations of motion's settings and tables for the kernel, per physics,
        # kinematics and air table (all frozen)
        self._phys: tuple | None = None
        self._model: tuple | None = None
        # the kernel's end-of-flight outputs (kept between calls, per number of flights)
        self._ev: tuple[np.ndarray, np.ndarray] | None = None
        # the targets' tables of the last compiled advance: the target keys array and the
        # interceptors with a known target flying then -> (the distinct keys, the
        # interceptors' tables); the targets' end times -> their array
        self._target_tab: tuple | None = None
        self._target_end: tuple | None = None

    # ------------------------------------------------------------------ bookkeeping
    def __len__(self) -> int:
        return len(self._ids)

    def _type_index(self, itype: InterceptorType) -> int:
        for i, t in enumerate(self._types):
            if t == itype:
                return i
        self._types.append(itype)
        self._kin = InterceptorKinematics.from_types(self._types, self.program)
        self._type_tables = None
        # per-type figures as arrays, indexed by type row
        self._per_type = {
            name: np.array([getattr(t, name) for t in self._types], dtype=float)
            for name in (
                "divert_accel_max_m_s2",
                "navigation_ratio",
                "seeker_acquisition_range_m",
                "max_time_of_flight_s",
            )
        }
        self._per_type["divert_delta_v_m_s"] = np.array(
            [np.inf if t.divert_delta_v_m_s is None else t.divert_delta_v_m_s for t in self._types]
        )
        return len(self._types) - 1

    @property
    def kinematics(self) -> InterceptorKinematics | None:
        return self._kin

    @property
    def batch(self) -> InterceptorBatch:
        """A snapshot of every interceptor (read-only arrays; the same object until a
        launch, a flight step or the end of a flight changes what it shows)."""
        snap = self._snapshot
        if snap is None:

            def frozen(a: np.ndarray) -> np.ndarray:
                c = a.copy()
                c.flags.writeable = False
                return c

            settled = self._settled
            if settled is None or len(settled[0]) != len(self._ids):
                settled = self._settled = (
                    tuple(self._ids),
                    tuple(self._units),
                    tuple(self._threats),
                    tuple(self._types[i].id for i in self._type),
                    frozen(self._target),
                    frozen(self._launch),
                    frozen(self._outcome),
                    frozen(self._t_cpa),
                    frozen(self._miss),
                    frozen(self._p_cpa),
                    frozen(self._killed),
                )
            snap = self._snapshot = InterceptorBatch(
                ids=settled[0],
                fire_unit_ids=settled[1],
                threat_ids=settled[2],
                type_ids=settled[3],
                target=settled[4],
                launch_s=settled[5],
                t_s=frozen(self._t),
                state=frozen(self._y),
                phase=frozen(self._phase),
                outcome=settled[6],
                divert_used_m_s=frozen(self._dv_used),
                intercept_s=settled[7],
                miss_m=settled[8],
                intercept_point=settled[9],
                killed=settled[10],
            )
        return snap

    def in_flight(self, threat_id: str | None = None) -> list[str]:
        """Ids of the interceptors still flying (at ``threat_id`` if given)."""
        return [
            self._ids[i]
            for i in np.nonzero(self._phase != Phase.ENDED)[0]
            if threat_id is None or self._threats[i] == threat_id
        ]

    # ------------------------------------------------------------------ launches and updates
    def launch(self, launches: Sequence[InterceptorLaunch]) -> None:
        """Add interceptors; each starts at its launch time and position."""
        if not launches:
            return
        self._snapshot = self._settled = None
        rows = [self._type_index(L.interceptor_type) for L in launches]
        kin = self._kin
        assert kin is not None
        r0 = np.array([L.position_ecef for L in launches], dtype=float)
        v0 = np.array([L.velocity_ecef for L in launches], dtype=float)
        az = np.array([L.azimuth_rad for L in launches])
        up, down = launch_axes(r0, az)
        y = np.zeros((len(launches), 7))
        y[:, :3], y[:, 3:6] = r0, v0
        y[:, 6] = kin.launch_mass_kg[rows]
        est = np.array([L.target_state for L in launches], dtype=float).reshape(-1, 6)
        est_t = np.array([L.estimate_s for L in launches], dtype=float)
        noise = np.empty((len(launches), _NOISE_DRAWS, 2))
        kill = np.empty(len(launches))
        for j, L in enumerate(launches):  # one stream per interceptor: order-independent
            if L.interceptor_id in self._ids:
                raise ValueError(f"interceptor id {L.interceptor_id!r} already flying")
            noise[j] = stream(self.seed, "engagement", "seeker", L.interceptor_id).standard_normal(
                (_NOISE_DRAWS, 2)
            )
            kill[j] = stream(self.seed, "engagement", "kill", L.interceptor_id).random()
            self._ids.append(L.interceptor_id)
            self._units.append(L.fire_unit_id)
            self._threats.append(L.threat_id)
        n = len(launches)
        self._type = _grow(self._type, rows)
        self._target = _grow(self._target, [L.target_key for L in launches])
        self._launch = _grow(self._launch, [L.launch_s for L in launches])
        self._t = _grow(self._t, [L.launch_s for L in launches])
        self._y = _grow(self._y, y)
        self._phase = _grow(self._phase, np.full(n, Phase.BOOST))
        self._outcome = _grow(self._outcome, np.full(n, Outcome.FLYING))
        self._up = _grow(self._up, up)
        self._down = _grow(self._down, down)
        self._kick = _grow(self._kick, [L.kick_rad for L in launches])
        self._est = _grow(self._est, est)
        self._est_t = _grow(self._est_t, est_t)
        self._est_a = _grow(self._est_a, self._apparent_acceleration(est))
        self._dv_used = _grow(self._dv_used, np.zeros(n))
        self._a_cmd = _grow(self._a_cmd, np.zeros((n, 3)))
        self._u_est = _grow(self._u_est, np.zeros((n, 3)))
        self._udot_est = _grow(self._udot_est, np.zeros((n, 3)))
        self._frame = _grow(self._frame, np.zeros(n, np.int64))
        self._noise = _grow(self._noise, noise)
        self._kill_draw = _grow(self._kill_draw, kill)
        self._t_cpa = _grow(self._t_cpa, np.full(n, np.nan))
        self._miss = _grow(self._miss, np.full(n, np.nan))
        self._p_cpa = _grow(self._p_cpa, np.full((n, 3), np.nan))
        self._killed = _grow(self._killed, np.zeros(n, bool))
        self._meas_t = _grow(self._meas_t, [L.launch_s for L in launches])
        self._next_cmd = _grow(self._next_cmd, [L.launch_s for L in launches])
        self._t_floor = min(self._t_floor, min(float(L.launch_s) for L in launches))
        self._live_mask = self._phase != _ENDED
        self._n_live = int(np.count_nonzero(self._live_mask))

    def _apparent_acceleration(self, states: np.ndarray) -> np.ndarray:
        """Gravity (J2) and rotating-frame acceleration of ballistic states ``(M, 6)``."""
        m = states.shape[0]
        if m == 0:
            return np.zeros((0, 3))
        y = np.empty((m, 7))
        y[:, :6] = states
        y[:, 6] = 1.0
        # the times as the compiled right-hand side takes them (writable, one per state)
        t = np.zeros(m)
        idx = np.arange(m)
        return np.asarray(derivative(t, y, idx, physics=self.physics, aero=None))[:, 3:6]

    def update_targets(self, threat_id: str, t_s: float, state) -> list[str]:
        """In-flight target update: the interceptors flying at ``threat_id`` take the
        estimate ``state`` (ECEF ``(6,)``, valid at ``t_s``) as their target from now on.
        Returns the ids updated."""
        sel = np.array([th == threat_id for th in self._threats], dtype=bool) & (
            self._phase != _ENDED
        )
        if not sel.any():
            return []
        s = np.asarray(state, dtype=float).reshape(1, 6)
        newer = sel & (t_s >= self._est_t)
        self._est[newer] = s
        self._est_t[newer] = t_s
        self._est_a[newer] = self._apparent_acceleration(s)
        return [self._ids[i] for i in np.nonzero(newer)[0]]

    # ------------------------------------------------------------------ stepping
    def _estimate_at(self, i: np.ndarray, t: np.ndarray) -> np.ndarray:
        dt = (t - self._est_t[i])[:, None]
        a = self._est_a[i]
        out = np.empty((i.size, 6))
        out[:, :3] = self._est[i, :3] + self._est[i, 3:6] * dt + 0.5 * a * dt * dt
        out[:, 3:6] = self._est[i, 3:6] + a * dt
        return out

    def _guidance(self, i: np.ndarray, truth: np.ndarray, h: np.ndarray) -> None:
        """Commands of guided interceptors ``i`` for their next frame of length ``h``."""
        kin = self._kin
        assert kin is not None
        t = self._t[i]
        y = self._y[i]
        est = self._estimate_at(i, t)
        rel_est_p = est[:, :3] - y[:, :3]
        rel_est_v = est[:, 3:6] - y[:, 3:6]
        ti = self._type[i]
        a_max = self._per_type["divert_accel_max_m_s2"][ti]
        budget = self._per_type["divert_delta_v_m_s"][ti]
        nav = self._per_type["navigation_ratio"][ti]
        acq = self._per_type["seeker_acquisition_range_m"][ti]
        rel_true = truth[:, :3] - y[:, :3]
        rng_true = np.linalg.norm(rel_true, axis=1)
        terminal = (self._phase[i] == Phase.TERMINAL) | (rng_true <= acq)
        newly = terminal & (self._phase[i] != Phase.TERMINAL)
        a = np.zeros((i.size, 3))
        # the target's acceleration relative to the interceptor's own free fall
        rel_acc = self._est_a[i] - self._apparent_acceleration(y[:, :6])
        mid = ~terminal
        if mid.any():
            coriolis = self._coriolis(rel_est_v[mid])
            a[mid] = self.midcourse.command(
                rel_est_p[mid], rel_est_v[mid], coriolis, rel_acc[mid] - coriolis
            )
        if terminal.any():
            j = np.nonzero(terminal)[0]
            ii = i[j]
            u_true, udot_true, _, _ = line_of_sight(rel_true[j], truth[j, 3:6] - y[j, 3:6])
            # closing speed from the uplinked track (a passive seeker measures no range)
            _, _, _, vc = line_of_sight(rel_est_p[j], rel_est_v[j])
            if self.seeker.perfect:
                u_m, udot_m = u_true, udot_true
            else:
                k = self._frame[ii] % _NOISE_DRAWS
                z = self.seeker.measure(u_true, self._noise[ii, k], h[j])
                self._frame[ii] += 1
                fresh = newly[j]
                u_prev = np.where(fresh[:, None], z, self._u_est[ii])
                # the rate estimate starts from the uplinked track's geometry
                _, udot_e, _, _ = line_of_sight(rel_est_p[j], rel_est_v[j])
                ud_prev = np.where(fresh[:, None], udot_e, self._udot_est[ii])
                dt_prev = np.where(fresh, 1.0, t[j] - self._meas_t[ii])
                u_m, udot_m = self.seeker.filter(u_prev, ud_prev, z, dt_prev)
                u_m = np.where(fresh[:, None], z, u_m)
                udot_m = np.where(fresh[:, None], udot_e, udot_m)
                self._u_est[ii], self._udot_est[ii] = u_m, udot_m
            a[j] = self.terminal.from_los(u_m, udot_m, vc, nav[j], rel_acc[j])
        self._phase[i[terminal]] = Phase.TERMINAL
        a = limit_acceleration(a, a_max, budget - self._dv_used[i], h)
        self._a_cmd[i] = a
        self._dv_used[i] += np.linalg.norm(a, axis=1) * h

    def _coriolis(self, rel_vel: np.ndarray) -> np.ndarray:
        """Coriolis acceleration ``-2 w x v`` of relative velocities (zero if not rotating)."""
        if not self.physics.rotating:
            return np.zeros_like(rel_vel)
        w = np.array([0.0, 0.0, OMEGA_RAD_S])
        return -2.0 * np.cross(w, rel_vel)

    def _rhs(self, t, y, idx, *, aero, thrust):
        out = derivative(t, y, idx, physics=self.physics, aero=aero, thrust=thrust)
        out[:, 3:6] += self._a_cmd[idx]
        return out

    def _closing(self, target_states: TargetStatesFn):
        def g(t, y, idx):
            tgt = target_states(np.asarray(t, dtype=float), self._target[idx])
            val = -np.einsum("ij,ij->i", tgt[:, :3] - y[:, :3], tgt[:, 3:6] - y[:, 3:6])
            armed = (self._phase[idx] != Phase.BOOST) & np.isfinite(val)
            return np.where(armed, val, 1.0)

        return g

    def advance(
        self, t0_s: float, t1_s: float, target_states: TargetStatesFn
    ) -> list[InterceptResult]:
        """Fly every interceptor still flying from its own time (its launch, or ``t0_s``)
        to ``t1_s`` [s]; ``target_states`` gives the true targets (a :class:`TargetTruth`
        for the compiled flight). Returns the flights that ended, as events."""
        if t1_s < t0_s:
            raise ValueError("advance runs forward: t1_s must be >= t0_s")
        trajectory = getattr(target_states, "trajectory", None)
        if (
            self._kin is None
            or trajectory is None
            or not self.compiled
            or type(self.seeker) is not Seeker
            or type(self.midcourse) is not ZeroEffortMissGuidance
            or type(self.terminal) is not ProportionalNavigation
        ):
            return self.advance_reference(t0_s, t1_s, target_states)
        if not self._n_live or t1_s <= self._t_floor:
            return []  # nothing flying, or every flight at t1_s already
        # the flights not ended (the kernel flies those not yet at t1_s; one already there
        # only brings its target's knots)
        flying = self._live_mask
        self._snapshot = None
        kern = _kernel()
        n = len(self)
        if self._ev is None or self._ev[0].shape[0] != n:
            self._ev = (np.empty(n, np.intp), np.empty(n, np.int8))
        ev_idx, ev_code = self._ev
        n_ev = kern.advance_kernel(
            float(t1_s), self._state_arrays(), self._compiled_tables(),
            self._target_knots(trajectory, flying), self._physics_tables(),
            self._frame_params(), self._model_params(), self._work_arrays(n), ev_idx, ev_code,
        )  # fmt: skip
        if n_ev < 0:
            raise RuntimeError(f"interceptor flight did not reach t = {t1_s} s")
        self._t_floor = float(t1_s)
        if n_ev == 0:
            return []
        truth = _known_targets(target_states)
        return [
            self._end(int(k), truth, "")
            if c == kern.END_CLOSEST_APPROACH
            else self._end(int(k), None, _END_REASONS[int(c)])
            for k, c in zip(ev_idx[:n_ev], ev_code[:n_ev], strict=True)
        ]

    # ------------------------------------------------------------------ compiled flight
    def _state_arrays(self) -> tuple:
        """The per-interceptor arrays the kernel reads and updates in place."""
        args = self._state_args
        if args is not None and args[0] is self._t and args[1] is self._y:
            return args  # (the same arrays: replaced together at a launch)
        args = self._state_args = (
            self._t, self._y, self._phase, self._frame, self._a_cmd, self._u_est,
            self._udot_est, self._dv_used, self._meas_t, self._next_cmd, self._type,
            self._launch, self._kick, self._up, self._down, self._est, self._est_t,
            self._est_a, self._noise,
        )  # fmt: skip
        return args

    def _compiled_tables(self) -> tuple:
        """Per-type tables of the kernel (built once per set of types): stages, thrust,
        drag area by stage (column 0: after burnout), programme boundaries, attitude hold,
        staging mass drops, guidance limits."""
        if self._type_tables is None:
            kin = self._kin
            assert kin is not None
            nt, ns = kin.burn_s.shape
            rows = np.arange(nt)
            area = np.stack([kin.aero(rows, np.full(nt, st)).area_m2 for st in range(-1, ns)], 1)
            drop = np.stack([kin.staging_mass_drop(rows, np.full(nt, st)) for st in range(ns)], 1)
            p = kin.program
            hold = np.maximum(p.vertical_rise_s + p.pitch_over_s, kin.stage_end_s[:, 0])
            c = np.ascontiguousarray
            per = self._per_type
            self._type_tables = (
                c(kin.n_stages, dtype=np.intp), c(kin.stage_end_s, dtype=float),
                c(kin.thrust_vac_n, dtype=float), c(kin.mass_flow_kg_s, dtype=float),
                c(kin.exit_area_m2, dtype=float), c(area, dtype=float),
                c(kin.drag_row, dtype=np.intp), c(kin.boundaries(rows), dtype=float),
                c(hold, dtype=float), c(drop, dtype=float),
                c(per["divert_accel_max_m_s2"]), c(per["divert_delta_v_m_s"]),
                c(per["navigation_ratio"]), c(per["seeker_acquisition_range_m"]),
                c(per["max_time_of_flight_s"]),
            )  # fmt: skip
        return self._type_tables

    def _target_knots(self, trajectory, flying: np.ndarray) -> tuple:
        """Knot tables of the targets of the interceptors ``flying`` (one per target,
        concatenated; kept while the targets' trajectories stay the same objects), their end
        times, and each interceptor's table (-1: none, a negative key)."""
        keys = self._target
        # the distinct keys and each interceptor's table: kept while the keys array (replaced
        # at each launch) and the interceptors flying at known targets are the same (the
        # same mask object, or an equal one)
        tabs = self._target_tab
        if tabs is not None and tabs[0] is keys and tabs[4] is flying:
            want, tab = tabs[2], tabs[3]
        else:
            known = flying & (keys >= 0)
            mask = known.tobytes()
            if tabs is not None and tabs[0] is keys and tabs[1] == mask:
                want, tab = tabs[2], tabs[3]
            else:
                want = [int(k) for k in np.unique(keys[known])]
                tab = np.full(len(self), -1, np.intp)
                tab[known] = np.searchsorted(np.array(want, dtype=keys.dtype), keys[known])
            self._target_tab = (keys, mask, want, tab, flying)
        trajs, ends = [], []
        for key in want:
            traj, end_s = trajectory(key)
            trajs.append(traj)
            ends.append(float(end_s))
        cached = self._knots
        if (
            cached is not None
            and len(cached[0]) == len(trajs)
            and all(a is b for a, b in zip(cached[0], trajs, strict=True))
        ):
            knots = cached[1]
        else:
            if trajs:
                kt = np.concatenate([np.asarray(tr.t_s, dtype=float) for tr in trajs])
                ky = np.concatenate([np.asarray(tr.states, dtype=float)[:, :6] for tr in trajs])
                ka = np.concatenate([np.asarray(tr.accelerations, dtype=float) for tr in trajs])
                sizes = [np.asarray(tr.t_s).size for tr in trajs]
                if min(sizes) < 1:
                    raise ValueError("a target trajectory without knots")
            else:
                kt, ky, ka, sizes = np.zeros(1), np.zeros((1, 6)), np.zeros((1, 3)), []
            offsets = np.concatenate([[0], np.cumsum(sizes, dtype=np.intp)]).astype(np.intp)
            knots = (
                np.ascontiguousarray(kt), np.ascontiguousarray(ky), np.ascontiguousarray(ka),
                offsets,
            )  # fmt: skip
            self._knots = (tuple(trajs), knots)
        key_ends = tuple(ends)
        cached_end = self._target_end
        if cached_end is not None and cached_end[0] == key_ends:
            end = cached_end[1]
        else:
            end = np.array(ends, dtype=float) if ends else np.zeros(1)
            self._target_end = (key_ends, end)
        return (*knots, end, tab)

    def _physics_tables(self) -> tuple:
        from bmdsim.flight.air import air_table

        kin = self._kin
        assert kin is not None
        ph = self.physics
        table = air_table()
        cached = self._phys
        if cached is not None and cached[0] is ph and cached[1] is kin and cached[2] is table:
            return cached[3]
        tables = (
            bool(ph.j2), bool(ph.rotating), bool(ph.drag),
            -1.0 if ph.sphere_radius_m is None else float(ph.sphere_radius_m),
            kin.cd_table, 1.0 / MACH_STEP, table.rows, float(table.alt_min_m),
            float(table.inv_step_per_m), int(table.last_node),
        )  # fmt: skip
        self._phys = (ph, kin, table, tables)
        return tables

    def _frame_params(self) -> tuple:
        p = self.program
        return (
            self.midcourse_frame_s, self.frames_per_time_to_go, self.boost_step_s,
            float(p.vertical_rise_s), float(p.pitch_over_s), _EVENT_TOL_S, _MAX_FRAMES,
        )  # fmt: skip

    def _model_params(self) -> tuple:
        s, m = self.seeker, self.midcourse
        cached = self._model
        if cached is not None and cached[0] is s and cached[1] is m:
            return cached[2]  # (frozen records: the same objects, the same figures)
        params = (
            float(m.navigation_ratio), float(m.min_time_to_go_s), bool(s.perfect),
            float(s.angle_noise_rad), float(s.frame_s), float(s.alpha), float(s.beta),
        )  # fmt: skip
        self._model = (s, m, params)
        return params

    def _work_arrays(self, n: int) -> tuple:
        """Work arrays of the kernel for ``n`` interceptors (kept between calls)."""
        if self._work is None or self._work[0].shape[0] != n:
            f1 = lambda: np.zeros(n)  # noqa: E731
            f7 = lambda: np.zeros((n, 7))  # noqa: E731
            self._work = (
                np.zeros(n, np.intp), np.zeros((n, 6)), np.zeros((n, 13)), f1(),
                np.zeros(n, np.intp), f1(), f1(), np.zeros(n, np.int64), np.zeros(n, bool),
                np.zeros(n, np.int64), np.zeros(n, np.int64), f1(), f1(), f7(), f7(), f7(),
                f7(), f1(), f1(), f1(), f1(), f1(), f1(), np.zeros(n, np.int8),
                np.zeros((5, 7)), np.zeros((4, 7)), np.zeros(6),
            )  # fmt: skip
        return self._work

    # ------------------------------------------------------------------ numpy reference
    def advance_reference(
        self, t0_s: float, t1_s: float, target_states: TargetStatesFn
    ) -> list[InterceptResult]:
        """:meth:`advance` in numpy, one :func:`bmdsim.core.integrate.rk4` call per frame
        with the target states from ``target_states`` (any :data:`TargetStatesFn`): the
        reference the compiled flight is tested against."""
        if t1_s < t0_s:
            raise ValueError("advance runs forward: t1_s must be >= t0_s")
        events: list[InterceptResult] = []
        kin = self._kin
        if kin is None:
            return events
        self._snapshot = self._settled = None
        n = len(self)
        target_states = _known_targets(target_states)
        closing = self._closing(target_states)
        max_tof = self._per_type["max_time_of_flight_s"][self._type]
        while True:
            act = np.nonzero((self._phase != Phase.ENDED) & (self._t < t1_s - 1e-12))[0]
            if act.size == 0:
                break
            t = self._t[act]
            flight_s = t - self._launch[act]
            # the truth: gone targets end their interceptors
            truth = target_states(t, self._target[act])
            gone = ~np.isfinite(truth[:, 0])
            late = flight_s >= max_tof[act]
            stop = gone | late
            if stop.any():
                for k, why in ((gone, "target lost"), (late & ~gone, "time of flight")):
                    for j in np.nonzero(k)[0]:
                        events.append(self._end(act[j], None, why))
                keep = ~stop
                act, t, flight_s, truth = act[keep], t[keep], flight_s[keep], truth[keep]
                if act.size == 0:
                    continue
            # passed already: an armed interceptor opening from its target
            armed = self._phase[act] != Phase.BOOST
            rel_p = truth[:, :3] - self._y[act, :3]
            rel_v = truth[:, 3:6] - self._y[act, 3:6]
            opening = armed & (np.einsum("ij,ij->i", rel_p, rel_v) >= 0.0)
            if opening.any():
                for j in np.nonzero(opening)[0]:
                    events.append(self._end(act[j], None, "passed"))
                keep = ~opening
                act, t, flight_s, truth = act[keep], t[keep], flight_s[keep], truth[keep]
                if act.size == 0:
                    continue
            # frames: boost to the next programme boundary, guided frames otherwise
            bounds = kin.boundaries(self._type[act])  # (M, B) flight times
            nxt = np.where(bounds > flight_s[:, None] + 1e-9, bounds, np.inf).min(axis=1)
            boost = self._phase[act] == Phase.BOOST
            guided = ~boost
            # guidance updates: at the end of each guided frame (commands held in between;
            # an integration step cut short by t1_s does not start a new frame)
            need = guided & (t >= self._next_cmd[act] - 1e-9)
            if need.any():
                k = np.nonzero(need)[0]
                h = np.full(k.size, self.midcourse_frame_s)
                _, _, rng_t, vc_t = line_of_sight(rel_p[k], rel_v[k])
                # terminal frames shrink with the time to go, down to the seeker's frame
                tgo = rng_t / np.maximum(vc_t, 1e-9)
                acq = self._per_type["seeker_acquisition_range_m"][self._type[act[k]]]
                term = (self._phase[act[k]] == Phase.TERMINAL) | (rng_t <= acq)
                h_term = np.clip(
                    tgo / self.frames_per_time_to_go, self.seeker.frame_s, self.midcourse_frame_s
                )
                h = np.where(term, h_term, h)
                # approaching acquisition: do not overshoot it by more than a seeker frame
                to_acq = np.where(vc_t > 0, (rng_t - acq) / np.maximum(vc_t, 1e-9), np.inf)
                h = np.where(to_acq > 0, np.minimum(h, np.maximum(to_acq, self.seeker.frame_s)), h)
                h = np.minimum(h, self._launch[act[k]] + max_tof[act[k]] - t[k])
                g_idx = act[k]
                self._guidance(g_idx, truth[k], h)
                self._meas_t[g_idx] = t[k]
                self._next_cmd[g_idx] = t[k] + h
            t_end = np.where(
                boost,
                np.minimum(self._launch[act] + nxt, t1_s),
                np.minimum(self._next_cmd[act], t1_s),
            )
            t_end = np.minimum(t_end, self._launch[act] + max_tof[act])
            step = np.where(boost, self.boost_step_s, t_end - t)
            step = np.maximum(step, 1e-9)
            self._a_cmd[act[boost]] = 0.0
            # per-object thrust and drag for this frame
            stage = np.full(n, -1)
            fs_mid = 0.5 * (t + t_end) - self._launch[act]
            stage[act] = np.where(boost, kin.stage_at(self._type[act], fs_mid), -1)
            mode_t = np.zeros(n)
            mode_t[act] = fs_mid
            thrust = kin.thrust(
                self._type, stage, self._launch, self._kick, self._up, self._down, mode_t
            )
            aero = kin.aero(self._type, stage)
            alive = np.zeros(n, bool)
            alive[act] = True
            t0_all = self._t.copy()
            t1_all = self._t.copy()
            t1_all[act] = t_end
            step_all = np.ones(n)
            step_all[act] = step
            sol = rk4(
                partial(self._rhs, aero=aero, thrust=thrust),
                t0_all,
                self._y,
                t1_all,
                step_s=step_all,
                alive=alive,
                event=closing,
                second_order=3,
            )
            self._t[act] = sol.t_s[act]
            self._y[act] = sol.y[act]
            # staging and burnout at programme boundaries (frames end exactly on them)
            ended_seg = boost & (t_end == self._launch[act] + nxt) & (self._t[act] == t_end)
            if ended_seg.any():
                e = act[ended_seg]
                st = stage[e]
                nb = nxt[ended_seg]
                burnt = (st >= 0) & (nb == kin.stage_end_s[self._type[e], np.maximum(st, 0)])
                if burnt.any():
                    b = e[burnt]
                    self._y[b, 6] -= kin.staging_mass_drop(self._type[b], st[burnt])
                    last = st[burnt] == kin.n_stages[self._type[b]] - 1
                    self._phase[b[last]] = Phase.MIDCOURSE
            hit = act[sol.event[act]]
            for k in hit:
                events.append(self._end(k, target_states, ""))
            down = act[(self._phase[act] != Phase.ENDED)]
            if down.size:
                h_alt = altitude(self._y[down, 0], self._y[down, 1], self._y[down, 2])
                for k in down[(h_alt < 0.0) & (self._t[down] - self._launch[down] > 1.0)]:
                    events.append(self._end(k, None, "ground"))
        return events

    def _end(self, k: int, target_states: TargetStatesFn | None, reason: str) -> InterceptResult:
        """End flight ``k``: at a closest approach when ``target_states`` is given."""
        itype = self._types[self._type[k]]
        self._snapshot = self._settled = None
        self._phase[k] = Phase.ENDED
        self._live_mask = self._phase != _ENDED
        self._n_live = int(np.count_nonzero(self._live_mask))
        pos = self._y[k, :3]
        lat, lon, alt = (float(v) for v in ecef_to_geodetic(pos))
        miss = pk = closing = np.nan
        killed = False
        if target_states is not None:
            tgt = target_states(np.array([self._t[k]]), self._target[k : k + 1])[0]
            rel = tgt[:3] - pos
            miss = float(np.linalg.norm(rel))
            closing = float(np.linalg.norm(tgt[3:6] - self._y[k, 3:6]))
            pk = float(itype.kill_probability(miss))
            killed = bool(self._kill_draw[k] < pk)
            self._t_cpa[k] = self._t[k]
            self._miss[k] = miss
            self._p_cpa[k] = pos
            self._killed[k] = killed
            self._outcome[k] = Outcome.KILL if killed else Outcome.SURVIVED
        else:
            self._outcome[k] = Outcome.NO_INTERCEPT
        return InterceptResult(
            time_s=float(self._t[k]),
            source=self._ids[k],
            subject=self._threats[k],
            fire_unit_id=self._units[k],
            target_key=int(self._target[k]),
            killed=killed,
            miss_distance_m=miss,
            kill_probability=pk,
            lat_deg=lat,
            lon_deg=lon,
            alt_m=alt,
            closing_speed_m_s=closing,
            time_of_flight_s=float(self._t[k] - self._launch[k]),
            divert_used_m_s=float(self._dv_used[k]),
            reason=reason,
            kind="intercept" if killed else "miss",
        )


__all__ = [
    "InterceptorBatch",
    "InterceptorFlight",
    "InterceptorLaunch",
    "Outcome",
    "Phase",
    "TargetStatesFn",
    "TargetTruth",
]
