"""Engagement planning: intercept opportunities of every threat x fire unit pair.

For each threat (its track's estimate, coasted ballistically:
:class:`~bmdsim.engagement.prediction.PredictedTrajectories`) and each fire unit,
:meth:`EngagementPlanner.plan` finds:

1. **from the flyout tables** (:mod:`bmdsim.engagement.tables`), for candidate intercept
   times every ``time_step_s`` along the threat's predicted path: the ground range and
   altitude of the predicted intercept point (PIP) from the launcher, the interceptor's
   time of flight there, hence the launch time ``t_launch = t_intercept - tof``, and
   whether the PIP lies inside the interceptor's kinematic envelope (altitude band, maximum
   range, time of flight between the end of boost plus ``min_coast_s`` and the maximum,
   reachable at all). The feasible candidates give the window: earliest and latest launch
   and intercept times. The unit's first opportunity is the earliest intercept whose launch
   is not before the unit can fire (``ready_s``);
2. **with the full flyout** (:class:`~bmdsim.engagement.fire_control.FireControl`, all pairs
   in one batch): the launch controls for that opportunity and the predicted closest
   approach; the plan is feasible if it converges inside the envelope (else the next
   opportunities a few seconds later are tried). With ``fly_until_s`` only the
   opportunities launched by then are flown (the battle manager orders only those); a later
   one is a *table plan* (``flown`` false: feasible by the tables, launch controls from the
   tables, no predicted miss), flown when it is planned again nearer its launch;
3. optionally (``refine_edges``) the window's edges, by flying the full flyout at launch
   times every ``edge_step_s`` within ``edge_span_s`` of each table edge (one batch) and
   taking the midpoint between the last feasible and the first infeasible launch time.

Positions are ECEF (WGS-84), times seconds since the scenario epoch.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import numpy as np

from bmdsim.catalog.interceptors import InterceptorType
from bmdsim.earth.frames import ecef_to_geodetic, geodetic_to_ecef
from bmdsim.engagement.fire_control import FireControl, FireControlSolution, aim_azimuth
from bmdsim.engagement.kinematics import (
    DEFAULT_PROGRAM,
    BoostCache,
    InterceptorKinematics,
    LaunchProgram,
)
from bmdsim.engagement.prediction import PredictedTrajectories
from bmdsim.engagement.tables import (
    DEFAULT_SETTINGS,
    TABLE_EARTH_RADIUS_M,
    FlyoutTable,
    TableSettings,
    flyout_table,
)
from bmdsim.engagement.threats import ThreatReport
from bmdsim.flight.dynamics import Physics


@dataclass(frozen=True, slots=True, kw_only=True)
class Launcher:
    """A fire unit as planning sees it: its interceptor type and where it is.

    A fixed site (``site_ecef``) or a platform (``platform``, anything with
    ``position_at(t_s) -> (lat_deg, lon_deg)``, at sea level)."""

    fire_unit_id: str
    interceptor: InterceptorType
    site_ecef: tuple[float, float, float] | None = None
    platform: object | None = None

    def position_ecef(self, t_s) -> np.ndarray:
        """Launcher position ``(..., 3)`` [m] at times ``t_s``."""
        t = np.asarray(t_s, dtype=float)
        if self.site_ecef is not None:
            return np.broadcast_to(np.asarray(self.site_ecef, float), (*t.shape, 3)).copy()
        lat, lon = self.platform.position_at(t)  # type: ignore[union-attr]
        return geodetic_to_ecef(lat, lon, 0.0)

    def velocity_ecef(self, t_s) -> np.ndarray:
        """Launcher velocity ``(..., 3)`` [m/s] (central difference over 1 s)."""
        t = np.asarray(t_s, dtype=float)
        if self.site_ecef is not None:
            return np.zeros((*t.shape, 3))
        return 0.5 * (self.position_ecef(t + 1.0) - self.position_ecef(t - 1.0))


def launchers_from_scenario(scenario) -> list[Launcher]:
    """One :class:`Launcher` per fire unit of ``scenario``."""
    out = []
    for fu in scenario.fire_units:
        if fu.site is not None:
            out.append(
                Launcher(
                    fire_unit_id=fu.id,
                    interceptor=fu.interceptor_type,
                    site_ecef=tuple(float(v) for v in fu.site.ecef_m),
                )
            )
        else:
            out.append(
                Launcher(
                    fire_unit_id=fu.id,
                    interceptor=fu.interceptor_type,
                    platform=scenario.component(fu.platform),
                )
            )
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class EngagementPlan:
    """The intercept opportunity of one threat by one fire unit (SI, epoch seconds, NaN where
    undefined). ``feasible`` with an empty ``reason``, or not with the reason."""

    threat_id: str
    fire_unit_id: str
    interceptor_id: str
    planned_s: float
    feasible: bool
    reason: str = ""
    #: the window (table, edges refined by the full flyout when asked)
    earliest_launch_s: float = math.nan
    latest_launch_s: float = math.nan
    earliest_intercept_s: float = math.nan
    latest_intercept_s: float = math.nan
    #: the first opportunity: launch no earlier than ``ready_s``
    ready_s: float = math.nan
    launch_s: float = math.nan
    intercept_s: float = math.nan
    intercept_ecef: tuple[float, float, float] = (math.nan, math.nan, math.nan)
    intercept_lat_deg: float = math.nan
    intercept_lon_deg: float = math.nan
    intercept_alt_m: float = math.nan
    ground_range_m: float = math.nan
    azimuth_rad: float = math.nan
    kick_rad: float = math.nan
    predicted_miss_m: float = math.nan
    closing_speed_m_s: float = math.nan
    edges_refined: bool = False
    #: the first opportunity was flown with the full flyout (False: table plan only)
    flown: bool = True

    @property
    def time_of_flight_s(self) -> float:
        return self.intercept_s - self.launch_s


def _ground_range(table_radius: float, a_ecef: np.ndarray, b_ecef: np.ndarray) -> np.ndarray:
    """Great-circle distance [m] on the table's sphere between the directions of two points."""
    ua = a_ecef / np.linalg.norm(a_ecef, axis=-1, keepdims=True)
    ub = b_ecef / np.linalg.norm(b_ecef, axis=-1, keepdims=True)
    cross = np.linalg.norm(np.cross(ua, ub), axis=-1)
    return table_radius * np.arctan2(cross, np.einsum("...i,...i->...", ua, ub))


class EngagementPlanner:
    """Plans intercept opportunities (see the module docstring)."""

    def __init__(
        self,
        *,
        time_step_s: float = 1.0,
        min_coast_s: float = 2.0,
        refine_edges: bool = False,
        edge_span_s: float = 8.0,
        edge_step_s: float = 0.5,
        retry_offsets_s: tuple[float, ...] = (5.0, 15.0),
        program: LaunchProgram = DEFAULT_PROGRAM,
        table_settings: TableSettings = DEFAULT_SETTINGS,
        cache_dir=None,
        physics: Physics | None = None,
        tolerance_m: float = 2.0,
    ) -> None:
        self.time_step_s = float(time_step_s)
        self.min_coast_s = float(min_coast_s)
        self.refine_edges = bool(refine_edges)
        self.edge_span_s = float(edge_span_s)
        self.edge_step_s = float(edge_step_s)
        self.retry_offsets_s = tuple(retry_offsets_s)
        self.program = program
        self.table_settings = table_settings
        self.cache_dir = cache_dir
        self.physics = Physics() if physics is None else physics
        self.tolerance_m = float(tolerance_m)
        self._kin: dict[tuple[InterceptorType, ...], InterceptorKinematics] = {}
        #: boosts flown by this planner's fire controls (its fire units' too)
        self._boosts = BoostCache()

    # ------------------------------------------------------------------ collaborators
    def table(self, itype: InterceptorType) -> FlyoutTable:
        return flyout_table(itype, self.program, self.table_settings, directory=self.cache_dir)

    def fire_control(self, types: Sequence[InterceptorType]) -> FireControl:
        key = tuple(types)
        if key not in self._kin:
            self._kin[key] = InterceptorKinematics.from_types(key, self.program)
        return FireControl(
            self._kin[key],
            physics=self.physics,
            tolerance_m=self.tolerance_m,
            boost_cache=self._boosts,
        )

    @staticmethod
    def trajectories(threats: Sequence[ThreatReport]) -> PredictedTrajectories:
        """Ballistic predictions of the threats' estimates."""
        states = np.array([t.state for t in threats], dtype=float).reshape(-1, 6)
        beta = np.array([t.ballistic_coefficient_kg_m2 for t in threats], dtype=float)
        from bmdsim.flight.propagation import DEFAULT_BALLISTIC_COEFFICIENT_KG_M2

        beta = np.where(np.isfinite(beta) & (beta > 0), beta, DEFAULT_BALLISTIC_COEFFICIENT_KG_M2)
        return PredictedTrajectories.from_states(
            states, np.array([t.time_s for t in threats]), ballistic_coefficient_kg_m2=beta
        )

    # ------------------------------------------------------------------ the verb
    def plan(
        self,
        t_s: float,
        threats: Sequence[ThreatReport],
        launchers: Sequence[Launcher],
        *,
        ready_s: Mapping[str, float] | None = None,
        trajectories: PredictedTrajectories | None = None,
        fly_until_s: Mapping[str, float] | None = None,
    ) -> dict[tuple[str, str], EngagementPlan]:
        """Plans of every threat x launcher pair at ``t_s``, keyed ``(threat_id,
        fire_unit_id)``. ``ready_s``: earliest launch time of each fire unit (default
        ``t_s``); ``trajectories``: the threats' predictions (made here if not given);
        ``fly_until_s``: per fire unit, the latest first-opportunity launch time flown with
        the full flyout (later ones are table plans; default: every one is flown)."""
        rnd = self.prepare(t_s, threats, launchers, ready_s=ready_s, trajectories=trajectories)
        if fly_until_s is None:
            rnd.fly(rnd.opportunities)
        else:
            rnd.fly(
                key
                for key in rnd.opportunities
                if rnd.plans[key].launch_s <= fly_until_s.get(key[1], math.inf) + 1e-9
            )
        out = rnd.plans
        if self.refine_edges and out:
            out = self._refine(out, threats, launchers, rnd.trajectories, rnd.windows, rnd.t_grid)
        return out

    def prepare(
        self,
        t_s: float,
        threats: Sequence[ThreatReport],
        launchers: Sequence[Launcher],
        *,
        ready_s: Mapping[str, float] | None = None,
        trajectories: PredictedTrajectories | None = None,
    ) -> PlanningRound:
        """Step 1 of :meth:`plan` for every threat x launcher pair: the windows and first
        opportunities from the tables (table plans, ``flown`` false); the returned
        :class:`PlanningRound` flies the pairs chosen (:meth:`PlanningRound.fly`)."""
        ready = {L.fire_unit_id: float(t_s) for L in launchers}
        if ready_s:
            ready.update({k: float(v) for k, v in ready_s.items()})
        out: dict[tuple[str, str], EngagementPlan] = {}
        rows: dict[tuple[str, str], tuple[int, int, int, float, float]] = {}
        if not threats or not launchers:
            return PlanningRound(
                planner=self,
                t_s=float(t_s),
                threats=threats,
                launchers=launchers,
                trajectories=trajectories,
                t_grid=np.zeros(0),
                windows={},
                ready=ready,
                plans=out,
                rows=rows,
            )
        traj = self.trajectories(threats) if trajectories is None else trajectories
        k_thr = len(threats)
        end = np.where(np.isfinite(traj.impact_s), traj.impact_s, traj.t0_s + 3600.0)
        t_grid = np.arange(t_s, float(end.max()) + self.time_step_s, self.time_step_s)
        pip = traj.states(t_grid[:, None], np.arange(k_thr)[None, :])  # (T, K, 6)
        pip_alt = ecef_to_geodetic(pip[..., :3])[2]

        windows: dict[tuple[int, int], dict] = {}
        for f, L in enumerate(launchers):  # a handful of units; arrays over times x threats
            it = L.interceptor
            tab = self.table(it)
            r_l = L.position_ecef(t_s)
            alt_l = float(ecef_to_geodetic(r_l)[2])
            rng = _ground_range(tab.earth_radius_m, r_l, pip[..., :3])  # (T, K)
            tof, kick, _ = tab.lookup(rng, pip_alt - alt_l)
            t_l = t_grid[:, None] - tof
            ok = (
                np.isfinite(tof)
                & (pip_alt >= it.min_intercept_alt_m)
                & (pip_alt <= it.max_intercept_alt_m)
                & (rng <= it.max_range_m)
                & (tof <= it.max_time_of_flight_s)
                & (tof >= it.total_burn_time_s + self.min_coast_s)
            )
            r_ready = ready[L.fire_unit_id]
            first_i, first_launch, first_intercept = self._first_opportunities(
                ok, t_l, t_grid, r_ready
            )
            any_ok = ok.any(axis=0)
            for k, th in enumerate(threats):
                info = {"ok": ok[:, k], "t_l": t_l[:, k], "kick": kick[:, k], "rng": rng[:, k]}
                windows[(k, f)] = info
                key = (th.threat_id, L.fire_unit_id)
                if not any_ok[k]:
                    reason = self._why_not(it, pip_alt[:, k], rng[:, k], tof[:, k])
                    out[key] = self._infeasible(th, L, t_s, reason)
                    continue
                if first_i[k] < 0:
                    out[key] = self._infeasible(
                        th,
                        L,
                        t_s,
                        "window closes before the unit can fire",
                        info,
                        t_grid,
                        r_ready,
                    )
                    continue
                rows[key] = (
                    k,
                    f,
                    int(first_i[k]),
                    float(first_launch[k]),
                    float(first_intercept[k]),
                )
        table = self._table_plans(
            list(rows.values()), threats, launchers, traj, windows, t_grid, ready
        )
        for (k, f), plan in table.items():
            out[(threats[k].threat_id, launchers[f].fire_unit_id)] = plan
        return PlanningRound(
            planner=self,
            t_s=float(t_s),
            threats=threats,
            launchers=launchers,
            trajectories=traj,
            t_grid=t_grid,
            windows=windows,
            ready=ready,
            plans=out,
            rows=rows,
        )

    # ------------------------------------------------------------------ helpers
    @staticmethod
    def _why_not(it: InterceptorType, alt, rng, tof) -> str:
        fin = np.isfinite(alt)
        if not fin.any():
            return "no predicted trajectory"
        if np.all(rng[fin] > it.max_range_m):
            return "out of range"
        band = fin & (alt >= it.min_intercept_alt_m) & (alt <= it.max_intercept_alt_m)
        if not band.any():
            return "outside the altitude band"
        if not np.isfinite(tof[band & (rng <= it.max_range_m)]).any():
            return "not reachable within the time of flight"
        return "outside the kinematic envelope"

    def _infeasible(self, th, L, t_s, reason, info=None, t_grid=None, ready=math.nan):
        kw = {}
        if info is not None:
            col = info["ok"]
            kw = {
                "earliest_launch_s": float(info["t_l"][col].min()),
                "latest_launch_s": float(info["t_l"][col].max()),
                "earliest_intercept_s": float(t_grid[col].min()),
                "latest_intercept_s": float(t_grid[col].max()),
            }
        return EngagementPlan(
            threat_id=th.threat_id,
            fire_unit_id=L.fire_unit_id,
            interceptor_id=L.interceptor.id,
            planned_s=float(t_s),
            feasible=False,
            reason=reason,
            ready_s=float(ready),
            **kw,
        )

    @staticmethod
    def _first_opportunities(ok, t_l, t_grid, ready):
        """The first opportunity of every threat (columns of ``ok``, ``t_l`` ``(T, K)``): the
        earliest intercept launched at or after ``ready``, interpolated between grid
        candidates where the previous one launches before it. Arrays ``(K,)``: the grid
        index (-1 where there is none), the launch and intercept times."""
        good = ok & (t_l >= ready)
        has = good.any(axis=0)
        i = np.where(has, np.argmax(good, axis=0), -1)
        cols = np.arange(ok.shape[1])
        launch = np.full(ok.shape[1], np.nan)
        intercept = np.full(ok.shape[1], np.nan)
        ih = np.maximum(i, 0)
        launch[has] = t_l[ih, cols][has]
        intercept[has] = t_grid[ih][has]
        prev = np.maximum(ih - 1, 0)
        t_prev = t_l[prev, cols]
        interp = has & (i > 0) & ok[prev, cols] & (t_prev < ready)
        if interp.any():
            j, c = ih[interp], cols[interp]
            frac = (ready - t_l[j - 1, c]) / (t_l[j, c] - t_l[j - 1, c])
            launch[interp] = ready
            intercept[interp] = t_grid[j - 1] + frac * (t_grid[j] - t_grid[j - 1])
        return i, launch, intercept

    def solve(self, rows, launchers, traj) -> FireControlSolution:
        """Full flyout (fire control) for candidate rows ``(threat index, launcher index,
        launch_s, intercept_s, kick0_rad)``: first guesses aim at the threat's predicted
        position at ``intercept_s`` with the kick angle ``kick0_rad``."""
        types = sorted({launchers[f].interceptor for _, f, *_ in rows}, key=lambda t: t.id)
        fc = self.fire_control(types)
        k = np.array([r[0] for r in rows], dtype=np.intp)
        f = np.array([r[1] for r in rows], dtype=np.intp)
        launch = np.array([r[2] for r in rows])
        intercept = np.array([r[3] for r in rows])
        kick0 = np.array([r[4] for r in rows])
        r0 = np.array([launchers[j].position_ecef(t) for j, t in zip(f, launch, strict=True)])
        v0 = np.array([launchers[j].velocity_ecef(t) for j, t in zip(f, launch, strict=True)])
        pip = traj.states(intercept, k)
        az0 = aim_azimuth(r0, pip[:, :3])
        tidx = np.array([types.index(launchers[j].interceptor) for j in f], dtype=np.intp)
        return fc.solve(tidx, launch, r0, v0, traj, k, az0, kick0)

    def check(self, sol: FireControlSolution, rows, launchers, traj) -> list[str]:
        """Why each full-flyout solution is not a feasible intercept ('' where it is):
        ``rows[j] = (threat index, launcher index, ...)``; not converged on the target, or its
        closest approach outside the altitude band, beyond the range or the time of flight,
        or after the threat lands."""
        _, _, alt = sol.intercept_geodetic
        reasons = []
        for j, (k, f, *_rest) in enumerate(rows):
            it = launchers[f].interceptor
            if not sol.converged[j]:
                reasons.append("full flyout did not converge on the target")
                continue
            r0 = launchers[f].position_ecef(sol.launch_s[j])
            rng = float(_ground_range(TABLE_EARTH_RADIUS_M, r0, sol.interceptor_state[j, :3]))
            tof = float(sol.time_of_flight_s[j])
            impact = traj.impact_s[k]
            if not it.min_intercept_alt_m <= alt[j] <= it.max_intercept_alt_m:
                reasons.append("full flyout: intercept outside the altitude band")
            elif rng > it.max_range_m:
                reasons.append("full flyout: intercept out of range")
            elif tof > it.max_time_of_flight_s:
                reasons.append("full flyout: time of flight too long")
            elif math.isfinite(impact) and sol.intercept_s[j] >= impact:
                reasons.append("full flyout: threat lands first")
            else:
                reasons.append("")
        return reasons

    def _solve_candidates(self, cand, threats, launchers, traj, windows, t_grid, ready):
        plans: dict[tuple[int, int], EngagementPlan] = {}
        todo = list(cand)
        first = {(c[0], c[1]): c for c in todo}
        offsets = (0.0, *self.retry_offsets_s)
        for attempt, offset in enumerate(offsets):
            rows = []
            for k, f, i, launch, intercept in todo:
                w = windows[(k, f)]
                if offset:
                    # a later opportunity, further inside the window
                    j = int(np.searchsorted(t_grid, intercept + offset))
                    if (
                        j >= t_grid.size
                        or not w["ok"][j]
                        or w["t_l"][j] < ready[launchers[f].fire_unit_id]
                    ):
                        continue
                    i, launch, intercept = j, float(w["t_l"][j]), float(t_grid[j])
                rows.append((k, f, launch, intercept, float(w["kick"][i])))
            if not rows:
                break
            sol = self.solve(rows, launchers, traj)
            reasons = self.check(sol, rows, launchers, traj)
            retry = []
            for j, row in enumerate(rows):
                k, f = row[0], row[1]
                plan = self._plan_from(
                    sol,
                    j,
                    threats[k],
                    launchers[f],
                    windows[(k, f)],
                    t_grid,
                    ready[launchers[f].fire_unit_id],
                    reasons[j],
                )
                if reasons[j] and attempt + 1 < len(offsets):
                    retry.append(first[(k, f)])
                    if (k, f) not in plans:
                        plans[(k, f)] = plan
                    continue
                plans[(k, f)] = plan
            todo = retry
            if not todo:
                break
        return plans

    def _table_plans(self, rows, threats, launchers, traj, windows, t_grid, ready):
        """Plans of first opportunities not flown (``rows`` as the candidates): launch and
        intercept times, intercept point and kick angle from the tables (one batch)."""
        plans: dict[tuple[int, int], EngagementPlan] = {}
        if not rows:
            return plans
        k = np.array([r[0] for r in rows], dtype=np.intp)
        intercept = np.array([r[4] for r in rows])
        pip = traj.states(intercept, k)[:, :3]
        lat, lon, alt = ecef_to_geodetic(pip)
        r0 = np.array([launchers[r[1]].position_ecef(r[3]) for r in rows]).reshape(-1, 3)
        az = aim_azimuth(r0, pip)
        for j, (kk, f, i, launch, t_int) in enumerate(rows):
            L = launchers[f]
            w = windows[(kk, f)]
            col = w["ok"]
            plans[(kk, f)] = EngagementPlan(
                threat_id=threats[kk].threat_id,
                fire_unit_id=L.fire_unit_id,
                interceptor_id=L.interceptor.id,
                planned_s=float(t_grid[0]),
                feasible=True,
                earliest_launch_s=float(w["t_l"][col].min()),
                latest_launch_s=float(w["t_l"][col].max()),
                earliest_intercept_s=float(t_grid[col].min()),
                latest_intercept_s=float(t_grid[col].max()),
                ready_s=float(ready[L.fire_unit_id]),
                launch_s=float(launch),
                intercept_s=float(t_int),
                intercept_ecef=tuple(float(v) for v in pip[j]),
                intercept_lat_deg=float(lat[j]),
                intercept_lon_deg=float(lon[j]),
                intercept_alt_m=float(alt[j]),
                ground_range_m=float(w["rng"][i]),
                azimuth_rad=float(az[j]),
                kick_rad=float(w["kick"][i]),
                flown=False,
            )
        return plans

    def _plan_from(self, sol, j, th, L, w, t_grid, ready, reason) -> EngagementPlan:
        col = w["ok"]
        lat, lon, alt = (float(np.asarray(v)[j]) for v in sol.intercept_geodetic)
        r0 = L.position_ecef(sol.launch_s[j])
        return EngagementPlan(
            threat_id=th.threat_id,
            fire_unit_id=L.fire_unit_id,
            interceptor_id=L.interceptor.id,
            planned_s=float(t_grid[0]),
            feasible=not reason,
            reason=reason,
            earliest_launch_s=float(w["t_l"][col].min()),
            latest_launch_s=float(w["t_l"][col].max()),
            earliest_intercept_s=float(t_grid[col].min()),
            latest_intercept_s=float(t_grid[col].max()),
            ready_s=float(ready),
            launch_s=float(sol.launch_s[j]),
            intercept_s=float(sol.intercept_s[j]),
            intercept_ecef=tuple(float(v) for v in sol.interceptor_state[j, :3]),
            intercept_lat_deg=lat,
            intercept_lon_deg=lon,
            intercept_alt_m=alt,
            ground_range_m=float(
                _ground_range(TABLE_EARTH_RADIUS_M, r0, sol.interceptor_state[j, :3])
            ),
            azimuth_rad=float(sol.azimuth_rad[j]),
            kick_rad=float(sol.kick_rad[j]),
            predicted_miss_m=float(sol.miss_m[j]),
            closing_speed_m_s=float(sol.closing_speed_m_s[j]),
        )

    def _refine(self, plans, threats, launchers, traj, windows, t_grid):
        """Window edges by the full flyout (see the module docstring)."""
        idx_t = {th.threat_id: k for k, th in enumerate(threats)}
        idx_f = {L.fire_unit_id: f for f, L in enumerate(launchers)}
        offsets = np.arange(-self.edge_span_s, self.edge_span_s + 1e-9, self.edge_step_s)
        rows, tags = [], []
        for key, plan in plans.items():
            if not math.isfinite(plan.earliest_launch_s):
                continue
            k, f = idx_t[key[0]], idx_f[key[1]]
            w = windows[(k, f)]
            ok = np.nonzero(w["ok"])[0]
            for edge, name in (
                (plan.earliest_launch_s, "earliest"),
                (plan.latest_launch_s, "latest"),
            ):
                i_edge = ok[0] if name == "earliest" else ok[-1]
                # an edge at the end of the prediction is a data limit, not a kinematic one
                if i_edge == 0 or i_edge == t_grid.size - 1:
                    continue
                for d in offsets:
                    tl = edge + d
                    # first guess: the table candidate launched nearest that time
                    i = ok[np.argmin(np.abs(w["t_l"][ok] - tl))]
                    rows.append((k, f, tl, float(t_grid[i]), float(w["kick"][i])))
                    tags.append((key, name, d))
        if not rows:
            return plans
        sol = self.solve(rows, launchers, traj)
        feasible = np.array([not r for r in self.check(sol, rows, launchers, traj)])
        new = {}
        for key, plan in plans.items():
            fields = {}
            for name in ("earliest", "latest"):
                sel = [j for j, tag in enumerate(tags) if tag[0] == key and tag[1] == name]
                if not sel:
                    continue
                tl = np.array([rows[j][2] for j in sel])
                fe = feasible[sel]
                flips = np.nonzero(fe[:-1] != fe[1:])[0]
                if flips.size == 0:
                    continue
                # inner edge: the flip nearest the table edge
                c = flips[np.argmin(np.abs(tl[flips] - getattr(plan, f"{name}_launch_s")))]
                fields[f"{name}_launch_s"] = float(0.5 * (tl[c] + tl[c + 1]))
            if fields:
                from dataclasses import replace

                new[key] = replace(plan, edges_refined=True, **fields)
            else:
                new[key] = plan
        return new


@dataclass(slots=True, kw_only=True)
class PlanningRound:
    """One planning pass (:meth:`EngagementPlanner.prepare`): the threats, launchers and
    predictions at ``t_s``, each pair's window, and ``plans`` — table plans of the first
    opportunities (``flown`` false) and the infeasible pairs with their reasons, keyed
    ``(threat_id, fire_unit_id)``. :meth:`fly` replaces chosen table plans by flown ones."""

    planner: EngagementPlanner
    t_s: float
    threats: Sequence[ThreatReport]
    launchers: Sequence[Launcher]
    trajectories: PredictedTrajectories | None
    t_grid: np.ndarray
    windows: dict
    ready: dict[str, float]
    plans: dict[tuple[str, str], EngagementPlan]
    rows: dict[tuple[str, str], tuple[int, int, int, float, float]]

    @property
    def opportunities(self) -> list[tuple[str, str]]:
        """The pairs with a first opportunity by the tables (in planning order)."""
        return list(self.rows)

    def fly(self, pairs) -> dict[tuple[str, str], EngagementPlan]:
        """Fly the first opportunities of ``pairs`` (keys; those not yet flown, one batch)
        with the full flyout, trying later opportunities where that fails; the new plans
        (also put in :attr:`plans`)."""
        want = set(pairs)
        rows = [r for key, r in self.rows.items() if key in want and not self.plans[key].flown]
        if not rows:
            return {}
        p = self.planner
        solved = p._solve_candidates(
            rows,
            self.threats,
            self.launchers,
            self.trajectories,
            self.windows,
            self.t_grid,
            self.ready,
        )
        out = {}
        for (k, f), plan in solved.items():
            key = (self.threats[k].threat_id, self.launchers[f].fire_unit_id)
            self.plans[key] = out[key] = plan
        return out


__all__ = [
    "EngagementPlan",
    "EngagementPlanner",
    "Launcher",
    "PlanningRound",
    "launchers_from_scenario",
]
