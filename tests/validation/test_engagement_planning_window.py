"""Engagement planning: the launch window against a brute-force sweep of the full flyout.

Reference: for each launch time on a 0.25 s grid around each window edge, the full flyout
(fire control: open-loop boost on the solved controls, coast to the closest approach) is
solved from the previous launch time's solution (continuation from a point well inside the
window, found by a scan of kick angles), and declared feasible when it converges on the
target inside the interceptor's envelope. The window edge is where feasibility flips. The
planner must find it within 1 s (its table-only edge is reported too).
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from bmdsim.catalog import interceptor
from bmdsim.earth.frames import geodetic_to_ecef
from bmdsim.engagement.planning import EngagementPlanner, Launcher
from bmdsim.engagement.prediction import PredictedTrajectories
from bmdsim.engagement.threats import ThreatCategory, ThreatReport
from tests.unit.engagement.synthetic import SHIP_LAT_LON, THREAT_STATE, THREAT_T0_S

STEP_S = 0.25
SPAN_S = 3.0


@pytest.fixture(scope="module", autouse=True)
def _cache(tmp_path_factory):
    old = os.environ.get("BMDSIM_CACHE_DIR")
    os.environ["BMDSIM_CACHE_DIR"] = str(tmp_path_factory.mktemp("bmdsim-cache"))
    yield
    if old is None:
        os.environ.pop("BMDSIM_CACHE_DIR", None)
    else:
        os.environ["BMDSIM_CACHE_DIR"] = old


LAUNCHERS = [
    Launcher(
        fire_unit_id="ddg",
        interceptor=interceptor("sm-3-ib"),
        site_ecef=tuple(geodetic_to_ecef(*SHIP_LAT_LON, 0.0)),
    ),
    # a notional Patriot battery near the threat's impact point
    Launcher(
        fire_unit_id="patriot",
        interceptor=interceptor("pac-3-mse"),
        site_ecef=tuple(geodetic_to_ecef(36.40, 35.95, 20.0)),
    ),
]


def _start(planner, traj, f, t_launch):
    """A feasible full-flyout solution for a launch at ``t_launch`` by scanning kick angles
    and aim points along the threat's path."""
    itype = LAUNCHERS[f].interceptor
    kicks = np.radians(np.arange(5.0, 111.0, 10.0))
    leads = (150.0, 75.0) if itype.role == "exo" else (40.0, 15.0)
    # aim at points the prediction covers
    aims = [np.clip(t_launch + lead, THREAT_T0_S + 60.0, traj.impact_s[0] - 3.0) for lead in leads]
    rows = [(0, f, t_launch, float(a), float(k)) for a in aims for k in kicks]
    sol = planner.solve(rows, LAUNCHERS, traj)
    ok = [j for j, r in enumerate(planner.check(sol, rows, LAUNCHERS, traj)) if not r]
    assert ok, f"no feasible start for {LAUNCHERS[f].fire_unit_id} at {t_launch:.1f} s"
    j = min(ok, key=lambda i: sol.time_of_flight_s[i])  # the low trajectory, as planned
    return float(sol.azimuth_rad[j]), float(sol.kick_rad[j])


def _brute_force_edges(planner, traj, plans):
    """Edges of every (unit, side) by continuation outward from inside the window."""
    sweeps = []  # (unit, side, times)
    for f, L in enumerate(LAUNCHERS):
        p = plans[("T1", L.fire_unit_id)]
        for side, edge in (("earliest", p.earliest_launch_s), ("latest", p.latest_launch_s)):
            sign = 1.0 if side == "latest" else -1.0
            times = edge + sign * np.arange(-SPAN_S, SPAN_S + 1e-9, STEP_S)
            sweeps.append((f, side, times))
    guess = [_start(planner, traj, f, times[0]) for f, _, times in sweeps]
    feasible = np.zeros((len(sweeps), sweeps[0][2].size), dtype=bool)
    kin = planner.fire_control([L.interceptor for L in LAUNCHERS])
    for step in range(sweeps[0][2].size):  # one batch per step: every sweep together
        f_idx = np.array([f for f, _, _ in sweeps])
        launch = np.array([times[step] for _, _, times in sweeps])
        r0 = np.array([LAUNCHERS[f].position_ecef(t) for f, t in zip(f_idx, launch, strict=True)])
        types = np.array(
            [[L.interceptor for L in LAUNCHERS].index(LAUNCHERS[f].interceptor) for f in f_idx]
        )
        sol = kin.solve(
            types,
            launch,
            r0,
            np.zeros_like(r0),
            traj,
            np.zeros(len(sweeps), np.intp),
            np.array([g[0] for g in guess]),
            np.array([g[1] for g in guess]),
        )
        rows = [(0, f, t) for f, t in zip(f_idx, launch, strict=True)]
        ok = np.array([not r for r in planner.check(sol, rows, LAUNCHERS, traj)])
        feasible[:, step] = ok
        guess = [
            (float(sol.azimuth_rad[i]), float(sol.kick_rad[i])) if sol.converged[i] else guess[i]
            for i in range(len(sweeps))
        ]
    edges = {}
    for i, (f, side, times) in enumerate(sweeps):
        flips = np.nonzero(feasible[i, :-1] & ~feasible[i, 1:])[0]
        assert feasible[i, 0] and flips.size, (
            f"{LAUNCHERS[f].fire_unit_id} {side}: no edge in the sweep"
        )
        c = flips[0]
        edges[(LAUNCHERS[f].fire_unit_id, side)] = 0.5 * (times[c] + times[c + 1])
    return edges


@pytest.mark.slow
def test_launch_window_matches_a_brute_force_sweep_of_the_full_flyout_within_1_s():
    traj = PredictedTrajectories.from_states(THREAT_STATE[None], THREAT_T0_S)
    report = ThreatReport(
        threat_id="T1",
        time_s=THREAT_T0_S,
        state=tuple(THREAT_STATE),
        category=ThreatCategory.ALLIED_TERRITORY,
    )
    table_only = EngagementPlanner().plan(THREAT_T0_S, [report], LAUNCHERS, trajectories=traj)
    planner = EngagementPlanner(refine_edges=True)
    plans = planner.plan(THREAT_T0_S, [report], LAUNCHERS, trajectories=traj)
    assert all(p.feasible and p.edges_refined for p in plans.values())
    edges = _brute_force_edges(planner, traj, plans)
    lines = []
    worst = 0.0
    for (unit, side), brute in edges.items():
        planned = getattr(plans[("T1", unit)], f"{side}_launch_s")
        table = getattr(table_only[("T1", unit)], f"{side}_launch_s")
        worst = max(worst, abs(planned - brute))
        lines.append(
            f"{unit} {side}: brute force {brute:.2f} s, planner {planned:.2f} s, "
            f"table only {table:.2f} s"
        )
    report_text = "; ".join(lines)
    assert worst <= 1.0, report_text
    # the table alone is already within a few seconds
    assert all(
        abs(getattr(table_only[("T1", u)], f"{s}_launch_s") - b) < 5.0
        for (u, s), b in edges.items()
    ), report_text
    print(report_text)
