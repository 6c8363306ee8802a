"""Engagement-layer benchmark: each part against a peer measured in the same run.

1. **Flyout table** (:func:`bmdsim.engagement.build_table`, SM-3 IB): the fan of kick angles
   flown as one batch, against the same trajectories flown one at a time with the same code
   (timed on ``--fan-sample`` of them, extrapolated); the largest difference between the two
   answers is printed.
2. **Guided flight** (:class:`bmdsim.engagement.InterceptorFlight`): ``--salvo`` SM-3s with
   seeker noise against a ballistic threat in one batch, against the same interceptors
   flown one at a time (``--flight-sample`` of them, extrapolated).
3. **Planning** (:class:`bmdsim.engagement.EngagementPlanner`): the tables plus the full
   flyout on the first opportunity, with and without the edge refinement, against a full
   flyout at every launch time of the window (1 s apart, one batch).
4. **Weapon-target assignment**: the exact assigner (``linear_sum_assignment`` / ``milp``)
   against brute force on 3 x 3 instances, and the greedy assigner against the exact one on
   raid-sized instances (time and value gap).

Run: ``.venv/bin/python benchmarks/engagement.py`` (about 15 s on 2 shared cores).
"""

from __future__ import annotations

import argparse
import itertools
import os
import tempfile
import time

import numpy as np

from bmdsim.catalog import interceptor
from bmdsim.core.integrate import interpolate_dense
from bmdsim.earth.frames import enu_basis, geodetic_to_ecef
from bmdsim.engagement import (
    EngagementPlanner,
    GreedyAssigner,
    InterceptorFlight,
    InterceptorKinematics,
    InterceptorLaunch,
    Launcher,
    OptimalAssigner,
    PredictedTrajectories,
    Seeker,
    ThreatReport,
    WtaProblem,
    build_table,
    fly_open_loop,
)
from bmdsim.engagement.planning import _ground_range
from bmdsim.engagement.tables import DEFAULT_SETTINGS, TABLE_EARTH_RADIUS_M
from bmdsim.engagement.threats import ThreatCategory
from bmdsim.flight.dynamics import Physics

SM3 = interceptor("sm-3-ib")
#: the reference scenario's destroyer station
SHIP = geodetic_to_ecef(35.30, 34.90, 0.0)


def ballistic_state(lat_deg, lon_deg, alt_m, azimuth_deg, flight_path_deg, speed_m_s):
    """ECEF state of an object at a geodetic point, heading and flight-path angle [deg]."""
    r = geodetic_to_ecef(lat_deg, lon_deg, alt_m)
    east, north, up = enu_basis(lat_deg, lon_deg)
    az, g = np.radians(azimuth_deg), np.radians(flight_path_deg)
    v = speed_m_s * (np.cos(g) * (np.sin(az) * east + np.cos(az) * north) + np.sin(g) * up)
    return np.concatenate([r, v])


#: an MRBM-like reentry vehicle after burnout over north-western Iran, landing in the Gulf of
#: Iskenderun at t = 507 s (the engagement tests' synthetic threat)
THREAT_T0_S = 150.0
THREAT_STATE = ballistic_state(37.3, 45.6, 150e3, 264.5, 22.0, 2780.0)


def best_of(fn, repeat: int) -> tuple[float, object]:
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def bench_table(fan_sample: int, repeat: int) -> None:
    s = DEFAULT_SETTINGS
    kicks = np.radians(np.linspace(s.min_kick_deg, s.max_kick_deg, s.n_kicks))
    t_batch, table = best_of(lambda: build_table(SM3), repeat)
    kin = InterceptorKinematics.from_types([SM3])
    physics = Physics(j2=False, rotating=False, sphere_radius_m=TABLE_EARTH_RADIUS_M)
    r0 = np.array([[TABLE_EARTH_RADIUS_M, 0.0, 0.0]])
    t_max = SM3.max_time_of_flight_s * (1 + s.margin)
    sample = np.linspace(0, kicks.size - 1, fan_sample).astype(int)

    def one_by_one():
        return [
            fly_open_loop(
                kin,
                [0],
                0.0,
                r0,
                np.zeros((1, 3)),
                0.0,
                kicks[[j]],
                t_max,
                physics=physics,
                dense=True,
            )
            for j in sample
        ]

    t_serial, singles = best_of(one_by_one, 1)
    t_serial *= kicks.size / sample.size
    batch = fly_open_loop(
        kin,
        np.zeros(kicks.size, np.intp),
        0.0,
        np.repeat(r0, kicks.size, 0),
        np.zeros((kicks.size, 3)),
        0.0,
        kicks,
        t_max,
        physics=physics,
        dense=True,
    )
    times = np.linspace(10.0, 400.0, 40)
    diff = 0.0
    for j, res in zip(sample, singles, strict=True):
        a = interpolate_dense(res.dense, 0, times, second_order=3)
        b = interpolate_dense(batch.dense, j, times, second_order=3)
        diff = max(diff, float(np.nanmax(np.linalg.norm(a[:, :3] - b[:, :3], axis=1))))
    print(f"flyout table, SM-3 IB ({kicks.size} trajectories, {table.tof_s.size} cells):")
    print(
        f"  batched fan {t_batch:6.2f} s | one at a time {t_serial:6.2f} s (extrapolated from "
        f"{sample.size}) | ratio {t_serial / t_batch:5.1f}x | max position difference {diff:.1e} m"
    )


def _launches(plan, n, suffix=""):
    return [
        InterceptorLaunch(
            interceptor_id=f"i{j}{suffix}",
            fire_unit_id="ddg",
            threat_id="T1",
            interceptor_type=SM3,
            target_key=0,
            launch_s=plan.launch_s,
            position_ecef=tuple(SHIP),
            azimuth_rad=plan.azimuth_rad,
            kick_rad=plan.kick_rad,
            target_state=tuple(THREAT_STATE),
            estimate_s=THREAT_T0_S,
        )
        for j in range(n)
    ]


def _fly(flight, traj, t0):
    events, t = [], t0
    while flight.in_flight():
        flight.update_targets("T1", t, traj.states(t, 0))
        events += flight.advance(t, t + 2.0, traj)
        t += 2.0
    return events


def bench_flight(traj, plan, salvo: int, sample: int, repeat: int) -> None:
    seeker = Seeker(angle_noise_rad=20e-6)

    def batch():
        flight = InterceptorFlight(seed=1, seeker=seeker)
        flight.launch(_launches(plan, salvo))
        return _fly(flight, traj, plan.launch_s)

    def serial():
        out = []
        for j in range(sample):
            flight = InterceptorFlight(seed=1, seeker=seeker)
            flight.launch(_launches(plan, 1, suffix=f"-{j}"))
            out += _fly(flight, traj, plan.launch_s)
        return out

    t_batch, ev = best_of(batch, repeat)
    t_serial, _ = best_of(serial, 1)
    t_serial *= salvo / sample
    miss = np.array([e.miss_distance_m for e in ev])
    print(f"guided flight, {salvo} SM-3 IB against one ballistic threat (seeker noise 20 urad):")
    print(
        f"  one batch {t_batch:6.2f} s | one at a time {t_serial:6.2f} s (extrapolated from "
        f"{sample}) | ratio {t_serial / t_batch:5.1f}x | miss median {np.median(miss):.3f} m, "
        f"max {miss.max():.3f} m"
    )


def bench_planning(traj, repeat: int) -> None:
    report = ThreatReport(
        threat_id="T1",
        time_s=THREAT_T0_S,
        state=tuple(THREAT_STATE),
        category=ThreatCategory.ALLIED_TERRITORY,
    )
    units = [
        Launcher(fire_unit_id="ddg", interceptor=SM3, site_ecef=tuple(SHIP)),
        Launcher(
            fire_unit_id="patriot",
            interceptor=interceptor("pac-3-mse"),
            site_ecef=tuple(geodetic_to_ecef(36.40, 35.95, 20.0)),
        ),
    ]
    fast = EngagementPlanner()
    refined = EngagementPlanner(refine_edges=True)
    t_fast, plans = best_of(
        lambda: fast.plan(THREAT_T0_S, [report], units, trajectories=traj), repeat
    )
    t_ref, plans_ref = best_of(
        lambda: refined.plan(THREAT_T0_S, [report], units, trajectories=traj), repeat
    )

    def full_sweep():
        """Full flyout at every launch time (1 s apart) of the (table) window, one batch."""
        rows = []
        for f, u in enumerate(units):
            p = plans[("T1", u.fire_unit_id)]
            table = fast.table(u.interceptor)
            lo = max(p.earliest_launch_s - 5.0, THREAT_T0_S - 100.0)
            tl = np.arange(lo, p.latest_launch_s + 5.0, 1.0)
            # first guesses: among intercept times 0.25 s apart along the threat's path, the one
            # whose table launch time is nearest, with the table's kick
            cand = np.arange(THREAT_T0_S, traj.impact_s[0], 0.25)
            pip = traj.states(cand, np.zeros(cand.size, np.intp))[:, :3]
            rng = _ground_range(TABLE_EARTH_RADIUS_M, np.asarray(u.site_ecef), pip)
            alt = np.linalg.norm(pip, axis=1) - TABLE_EARTH_RADIUS_M
            tof, kicks, _ = table.lookup(rng, alt)
            good = np.isfinite(tof)
            cand, launch_c, kicks = cand[good], (cand - tof)[good], kicks[good]
            j = np.argmin(np.abs(launch_c[None, :] - tl[:, None]), axis=1)
            t_i, kick = cand[j], kicks[j]
            rows += [
                (0, f, float(a), float(b), float(c)) for a, b, c in zip(tl, t_i, kick, strict=True)
            ]
        sol = fast.solve(rows, units, traj)
        ok = np.array([not r for r in fast.check(sol, rows, units, traj)])
        return rows, ok

    t_full, (rows, ok) = best_of(full_sweep, 1)
    lines = []
    for f, u in enumerate(units):
        sel = np.array([r[1] == f for r in rows])
        tl = np.array([r[2] for r in rows])[sel][ok[sel]]
        p = plans_ref[("T1", u.fire_unit_id)]
        lines.append(
            f"{u.fire_unit_id} window {p.earliest_launch_s:.1f}..{p.latest_launch_s:.1f} s "
            f"(sweep {tl.min():.0f}..{tl.max():.0f} s)"
        )
    print(f"planning, 1 threat x 2 units ({len(rows)} launch times in the full sweep):")
    print(
        f"  tables + first opportunity {t_fast:5.2f} s | with refined edges {t_ref:5.2f} s | "
        f"full flyout sweep {t_full:6.2f} s | ratios {t_full / t_fast:5.1f}x, {t_full / t_ref:4.1f}x"
    )
    print("  " + "; ".join(lines))


def _problem(rng, k, f, **kw):
    return WtaProblem.build(
        rng.uniform(1.0, 10.0, k), rng.uniform(0.3, 0.9, (k, f)) * (rng.random((k, f)) < 0.7), **kw
    )


def bench_wta(seed: int) -> None:
    rng = np.random.default_rng(seed)
    small = [
        _problem(
            rng,
            3,
            3,
            max_shots=rng.integers(0, 3, (3, 3)),
            max_per_threat=2,
            inventory=rng.integers(1, 4, 3),
            channels=2,
        )
        for _ in range(20)
    ]

    def brute(p):
        best = 0.0
        for n in itertools.product(*[range(int(m) + 1) for m in p.max_shots.ravel()]):
            s = np.array(n).reshape(p.shape)
            if not p.violations(s):
                best = max(best, p.expected_value(s))
        return best

    t0 = time.perf_counter()
    exact = [OptimalAssigner().assign(p).expected_value for p in small]
    t_opt = (time.perf_counter() - t0) / len(small)
    t0 = time.perf_counter()
    ref = [brute(p) for p in small]
    t_brute = (time.perf_counter() - t0) / len(small)
    err = max(abs(a - b) for a, b in zip(exact, ref, strict=True))
    print("weapon-target assignment:")
    print(
        f"  3 x 3 salvos: exact {t_opt * 1e3:6.2f} ms | brute force {t_brute * 1e3:7.2f} ms | "
        f"ratio {t_brute / t_opt:5.1f}x | largest value difference {err:.1e}"
    )
    for k, f, mpt in ((20, 8, 3), (40, 10, 2), (60, 12, 1)):
        probs = [
            _problem(
                rng,
                k,
                f,
                max_shots=2,
                max_per_threat=mpt,
                inventory=rng.integers(3, 8, f),
                channels=rng.integers(2, 6, f),
            )
            for _ in range(5)
        ]
        t0 = time.perf_counter()
        opt = [OptimalAssigner().assign(p) for p in probs]
        t_opt = (time.perf_counter() - t0) / len(probs)
        t0 = time.perf_counter()
        gre = [GreedyAssigner().assign(p) for p in probs]
        t_gre = (time.perf_counter() - t0) / len(probs)
        gaps = np.array(
            [1 - g.expected_value / o.expected_value for g, o in zip(gre, opt, strict=True)]
        )
        print(
            f"  {k} threats x {f} units, <= {mpt} rounds each ({opt[0].method}): exact "
            f"{t_opt * 1e3:7.1f} ms | greedy {t_gre * 1e3:6.2f} ms | greedy value gap mean "
            f"{gaps.mean():.2%}, max {gaps.max():.2%}"
        )


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--fan-sample", type=int, default=10)
    ap.add_argument("--salvo", type=int, default=32)
    ap.add_argument("--flight-sample", type=int, default=3)
    ap.add_argument("--repeat", type=int, default=2)
    ap.add_argument("--seed", type=int, default=0)
    args = ap.parse_args()
    os.environ.setdefault("BMDSIM_CACHE_DIR", tempfile.mkdtemp(prefix="bmdsim-bench-"))
    traj = PredictedTrajectories.from_states(THREAT_STATE[None], THREAT_T0_S)
    # warm up the compiled kernels
    build_table(interceptor("pac-3-mse"))
    bench_table(args.fan_sample, args.repeat)
    report = ThreatReport(
        threat_id="T1",
        time_s=THREAT_T0_S,
        state=tuple(THREAT_STATE),
        category=ThreatCategory.ALLIED_TERRITORY,
    )
    unit = Launcher(fire_unit_id="ddg", interceptor=SM3, site_ecef=tuple(SHIP))
    plan = EngagementPlanner().plan(
        THREAT_T0_S, [report], [unit], ready_s={"ddg": 240.0}, trajectories=traj
    )[("T1", "ddg")]
    bench_flight(traj, plan, args.salvo, args.flight_sample, args.repeat)
    bench_planning(traj, args.repeat)
    bench_wta(args.seed)


if __name__ == "__main__":
    main()
