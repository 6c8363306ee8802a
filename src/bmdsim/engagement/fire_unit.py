"""A fire unit: acts on the orders that reach it, launches, reports.

:class:`FireUnit` is steppable (:meth:`FireUnit.step`): it acts only on the messages that
reached it. An alert makes it acknowledge the threat; an engage order is carried out when
the unit has rounds, a free channel and weapons not on hold, and can fire within the window:
its first round leaves at the planned launch time or, if later, when the order arrived plus
its readiness (scaled by the posture) plus the interceptor's reaction time, the others at the
type's salvo interval. At a salvo's first launch its fire control solves the launch controls
of all its rounds, for their launch times, from the newest estimate of the threat it has. It reports every launch
and its status (rounds left, free channels) to the operations centre, refuses orders it
cannot carry out (with the reason) — also an order none of whose rounds could be fired at
launch time (no fire-control solution), so that the operations centre plans the threat
again — and relays track updates to its interceptors in flight.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from bmdsim.earth.frames import ecef_to_geodetic
from bmdsim.engagement.doctrine import PostureState, WeaponControlState
from bmdsim.engagement.events import (
    AlertReceived,
    EngagementEvent,
    EngageOrderRefused,
    InterceptorLaunched,
)
from bmdsim.engagement.fire_control import aim_azimuth
from bmdsim.engagement.flyout import InterceptorLaunch
from bmdsim.engagement.messages import (
    EngageOrder,
    LaunchReport,
    Message,
    OrderRefusal,
    StatusReport,
    ThreatAlert,
    TrackUpdate,
)
from bmdsim.engagement.planning import EngagementPlanner, Launcher
from bmdsim.engagement.prediction import PredictedTrajectories
from bmdsim.scenario.schema import WeaponControl


@dataclass(frozen=True, slots=True, kw_only=True)
class _Solution:
    """The fire control's launch controls for one round (SI, radians, epoch seconds)."""

    converged: bool
    azimuth_rad: float
    kick_rad: float
    intercept_s: float
    miss_m: float


@dataclass(slots=True, kw_only=True)
class _Engagement:
    order: EngageOrder
    launch_times: list[float]
    state: tuple[float, ...]
    state_s: float
    interceptors: list[str] = field(default_factory=list)
    in_flight: int = 0
    reported: bool = False
    #: launch controls of rounds solved ahead of their launch (the rest of a salvo)
    solutions: dict[float, _Solution] = field(default_factory=dict)


@dataclass(frozen=True, slots=True, kw_only=True)
class FireUnitStep:
    """What one :meth:`FireUnit.step` produced."""

    messages: tuple[Message, ...]
    events: tuple[EngagementEvent, ...]
    launches: tuple[InterceptorLaunch, ...]
    #: in-flight target updates: ``(threat_id, time_s, state)``
    uplinks: tuple[tuple[str, float, tuple[float, ...]], ...]


#: The step of a unit with no message and no launch due.
_IDLE = FireUnitStep(messages=(), events=(), launches=(), uplinks=())


class FireUnit:
    """One fire unit (see the module docstring)."""

    def __init__(
        self,
        *,
        launcher: Launcher,
        inventory: int,
        channels: int,
        readiness_s: float,
        salvo_size: int,
        ops_centre: str,
        posture: PostureState,
        weapon_control: WeaponControlState,
        planner: EngagementPlanner,
        new_id,
        defends: tuple[str, ...] = (),
        sensor: str | None = None,
    ) -> None:
        self.launcher = launcher
        self.id = launcher.fire_unit_id
        self.interceptor = launcher.interceptor
        self.inventory = int(inventory)
        self.channels = int(channels)
        self.readiness_s = float(readiness_s)
        self.salvo_size = int(salvo_size)
        self.ops_centre = ops_centre
        self.posture = posture
        self.weapon_control = weapon_control
        self.planner = planner
        self.defends = tuple(defends)
        self.sensor = sensor
        self._new_id = new_id
        self._engagements: dict[int, _Engagement] = {}
        self._alerts: dict[str, float] = {}
        self._rounds = 0
        #: the earliest scheduled launch (inf: none); launches are scheduled and fired only
        #: in a step that is not idle, which sets it again
        self._next_launch = math.inf

    # ------------------------------------------------------------------ state
    @property
    def channels_busy(self) -> int:
        return sum(1 for e in self._engagements.values() if e.launch_times or e.in_flight)

    @property
    def channels_free(self) -> int:
        return max(self.channels - self.channels_busy, 0)

    def next_launch_s(self) -> float:
        """Time of the next scheduled launch (inf if none)."""
        return self._next_launch

    def _scheduled_launch_s(self) -> float:
        times = [t for e in self._engagements.values() for t in e.launch_times]
        return min(times) if times else math.inf

    def earliest_launch_s(self, order_received_s: float) -> float:
        """Earliest launch after an order received at ``order_received_s`` [s]."""
        mult = self.posture.readiness_multiplier(order_received_s)
        return order_received_s + self.readiness_s * mult + self.interceptor.reaction_time_s

    def _status(self, t: float) -> StatusReport:
        return StatusReport(
            message_id=self._new_id(),
            source=self.id,
            target=self.ops_centre,
            sent_s=t,
            inventory=self.inventory,
            channels_free=self.channels_free,
            weapon_control=str(self.weapon_control.status_at(self.id, t)),
        )

    def flight_ended(self, interceptor_id: str) -> None:
        """An interceptor of this unit ended its flight (its channel frees up with the last)."""
        for e in self._engagements.values():
            if interceptor_id in e.interceptors and e.in_flight > 0:
                e.in_flight -= 1

    # ------------------------------------------------------------------ the step
    def step(self, t_s: float, received: Sequence[Message]) -> FireUnitStep:
        """Act at ``t_s`` on the messages ``received`` (addressed to this unit)."""
        if not received and self._next_launch > t_s + 1e-9:
            return _IDLE  # no message, no launch due (what _launch_due acts on): nothing to do
        messages: list[Message] = []
        events: list[EngagementEvent] = []
        uplinks: list[tuple[str, float, tuple[float, ...]]] = []
        for m in received:
            if isinstance(m, ThreatAlert):
                if m.threat_id not in self._alerts:
                    self._alerts[m.threat_id] = m.received_s
                    events.append(
                        AlertReceived(
                            time_s=m.received_s,
                            source=self.id,
                            subject=m.threat_id,
                            sent_s=m.sent_s,
                        )
                    )
            elif isinstance(m, EngageOrder):
                refusal = self._accept(m)
                if refusal:
                    events.append(
                        EngageOrderRefused(
                            time_s=m.received_s,
                            source=self.id,
                            subject=m.threat_id,
                            order_id=m.order_id,
                            reason=refusal,
                        )
                    )
                    messages.append(
                        OrderRefusal(
                            message_id=self._new_id(),
                            source=self.id,
                            target=self.ops_centre,
                            sent_s=m.received_s,
                            threat_id=m.threat_id,
                            order_id=m.order_id,
                            reason=refusal,
                        )
                    )
            elif isinstance(m, TrackUpdate):
                for e in self._engagements.values():
                    if e.order.threat_id == m.threat_id and m.state_s >= e.state_s:
                        e.state, e.state_s = m.state, m.state_s
                if any(
                    e.order.threat_id == m.threat_id and e.in_flight
                    for e in self._engagements.values()
                ):
                    uplinks.append((m.threat_id, m.state_s, m.state))
        launches = self._launch_due(t_s, events, messages)
        self._next_launch = self._scheduled_launch_s()
        return FireUnitStep(
            messages=tuple(messages),
            events=tuple(events),
            launches=tuple(launches),
            uplinks=tuple(uplinks),
        )

    def _accept(self, order: EngageOrder) -> str:
        """Schedule an order's rounds; the reason it cannot be carried out, or ''."""
        t = order.received_s
        status = self.weapon_control.status_at(self.id, t)
        if status == WeaponControl.HOLD:
            return "weapons hold"
        if self.inventory < 1:
            return "no rounds left"
        if self.channels_free < 1:
            return "no free channel"
        first = max(order.launch_s, self.earliest_launch_s(t))
        if first > order.latest_launch_s:
            return f"cannot fire before the window closes ({first:.1f} s > {order.latest_launch_s:.1f} s)"
        shots = min(order.shots, self.inventory - self._scheduled())
        if shots < 1:
            return "no rounds left"
        times = [first + j * self.interceptor.salvo_interval_s for j in range(shots)]
        self._engagements[order.order_id] = _Engagement(
            order=order, launch_times=times, state=order.target_state, state_s=order.state_s
        )
        return ""

    def _scheduled(self) -> int:
        return sum(len(e.launch_times) for e in self._engagements.values())

    def _launch_due(self, t_s, events, messages) -> list[InterceptorLaunch]:
        launches: list[InterceptorLaunch] = []
        for oid, e in self._engagements.items():
            due = [tl for tl in e.launch_times if tl <= t_s + 1e-9]
            if not due:
                continue
            e.launch_times = [tl for tl in e.launch_times if tl > t_s + 1e-9]
            # the fire control solves a salvo's rounds together, at its first launch
            todo = [tl for tl in due if tl not in e.solutions]
            if todo:
                times = todo + e.launch_times
                sol = self._fire_control(e, np.array(times))
                for j, tl in enumerate(times):
                    e.solutions[tl] = _Solution(
                        converged=bool(sol.converged[j]),
                        azimuth_rad=float(sol.azimuth_rad[j]),
                        kick_rad=float(sol.kick_rad[j]),
                        intercept_s=float(sol.intercept_s[j]),
                        miss_m=float(sol.miss_m[j]),
                    )
            shots = [e.solutions.pop(tl) for tl in due]
            for tl, shot in zip(due, shots, strict=True):
                if self.inventory < 1:
                    break
                if not shot.converged:
                    events.append(
                        EngageOrderRefused(
                            time_s=tl,
                            source=self.id,
                            subject=e.order.threat_id,
                            order_id=oid,
                            reason="no fire-control solution at launch",
                        )
                    )
                    continue
                self._rounds += 1
                self.inventory -= 1
                iid = f"{self.id}-{self._rounds}"
                r0 = self.launcher.position_ecef(tl)
                launch = InterceptorLaunch(
                    interceptor_id=iid,
                    fire_unit_id=self.id,
                    threat_id=e.order.threat_id,
                    interceptor_type=self.interceptor,
                    target_key=e.order.target_key,
                    launch_s=float(tl),
                    position_ecef=tuple(float(v) for v in r0),
                    velocity_ecef=tuple(float(v) for v in self.launcher.velocity_ecef(tl)),
                    azimuth_rad=shot.azimuth_rad,
                    kick_rad=shot.kick_rad,
                    target_state=e.state,
                    estimate_s=e.state_s,
                    predicted_intercept_s=shot.intercept_s,
                )
                launches.append(launch)
                e.interceptors.append(iid)
                e.in_flight += 1
                lat, lon, _ = ecef_to_geodetic(r0)
                events.append(
                    InterceptorLaunched(
                        time_s=float(tl),
                        source=self.id,
                        subject=e.order.threat_id,
                        interceptor_id=iid,
                        interceptor_type=self.interceptor.id,
                        lat_deg=float(lat),
                        lon_deg=float(lon),
                        azimuth_deg=float(np.degrees(shot.azimuth_rad)),
                        kick_deg=float(np.degrees(shot.kick_rad)),
                        predicted_intercept_s=shot.intercept_s,
                        predicted_miss_m=shot.miss_m,
                    )
                )
            if not e.launch_times and not e.reported and e.interceptors:
                e.reported = True
                messages.append(
                    LaunchReport(
                        message_id=self._new_id(),
                        source=self.id,
                        target=self.ops_centre,
                        sent_s=t_s,
                        threat_id=e.order.threat_id,
                        order_id=oid,
                        interceptor_ids=tuple(e.interceptors),
                        launch_s=float(due[0]),
                        predicted_intercept_s=shots[0].intercept_s,
                    )
                )
                messages.append(self._status(t_s))
            elif not e.launch_times and not e.reported:
                # nothing could be fired: the order is void, the operations centre re-plans
                e.reported = True
                why = (
                    "no rounds left" if self.inventory < 1 else "no fire-control solution at launch"
                )
                messages.append(
                    OrderRefusal(
                        message_id=self._new_id(),
                        source=self.id,
                        target=self.ops_centre,
                        sent_s=t_s,
                        threat_id=e.order.threat_id,
                        order_id=oid,
                        reason=why,
                    )
                )
        return launches

    def _fire_control(self, e: _Engagement, launch_s: np.ndarray):
        """Launch controls for rounds at ``launch_s`` against the newest estimate."""
        beta = e.order.ballistic_coefficient_kg_m2
        traj = PredictedTrajectories.from_states(
            np.asarray(e.state, float)[None],
            e.state_s,
            ballistic_coefficient_kg_m2=beta if math.isfinite(beta) else None,
        )
        fc = self.planner.fire_control([self.interceptor])
        tab = self.planner.table(self.interceptor)
        n = launch_s.size
        r0 = self.launcher.position_ecef(launch_s)
        v0 = self.launcher.velocity_ecef(launch_s)
        # first guess: the planned intercept, kick from the table
        t_int = np.full(n, e.order.intercept_s) + (launch_s - launch_s[0])
        pip = traj.states(t_int, np.zeros(n, np.intp))
        from bmdsim.engagement.planning import _ground_range

        alt_l = ecef_to_geodetic(r0)[2]
        rng = _ground_range(tab.earth_radius_m, r0, pip[:, :3])
        _, kick, _ = tab.lookup(rng, ecef_to_geodetic(pip[:, :3])[2] - alt_l)
        az = aim_azimuth(r0, pip[:, :3])
        if math.isfinite(e.order.azimuth_rad) and math.isfinite(e.order.kick_rad):
            az = np.where(np.isfinite(az), az, e.order.azimuth_rad)
            kick = np.where(np.isfinite(kick), kick, e.order.kick_rad)
            # the planned solution is the best guess for a launch at the planned time
            at_plan = np.abs(launch_s - e.order.launch_s) < 1.0
            az = np.where(at_plan, e.order.azimuth_rad, az)
            kick = np.where(at_plan, e.order.kick_rad, kick)
        kick = np.where(np.isfinite(kick), kick, np.radians(45.0))
        az = np.where(np.isfinite(az), az, 0.0)
        return fc.solve(
            np.zeros(n, np.intp), launch_s, r0, v0, traj, np.zeros(n, np.intp), az, kick
        )


__all__ = ["FireUnit", "FireUnitStep"]
