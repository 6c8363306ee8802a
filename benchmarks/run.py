"""End-to-end speed of the engine: simulated seconds per wall-clock second.

Two cases, each timed in this run:

* the reference scenario ``dortyol-2026-03-04`` end to end (flight, sensors, tracking,
  assessment, engagement, debris; outputs not written);
* a raid of N MRBMs (default 100) built from the gulf scenario's sensors and defences: salvos
  from three launch areas at three bases, launched over two minutes, every intercept making
  its debris field.

Baseline: real time (1 sim-second per wall-second). Goals (end-to-end issue): reference
>= 1,000x real time, raid >= 10x real time.

    .venv/bin/python benchmarks/run.py               # reference + raid of 100
    .venv/bin/python benchmarks/run.py --raid 20     # smaller raid
    .venv/bin/python benchmarks/run.py --profile     # top of the profile of the reference run
    .venv/bin/python benchmarks/run.py --raid 0 --repeat 5 --layers
        # reference only: best and median of 5 runs, and the time of each layer per run
"""

from __future__ import annotations

import argparse
import cProfile
import pstats
import time
from collections import Counter
from contextlib import contextmanager
from importlib import resources

import numpy as np
import yaml

import bmdsim
from bmdsim.scenario import Scenario
from bmdsim.sim import Simulation

LAUNCH_AREAS = [(30.28, 57.08), (29.62, 52.53), (27.20, 56.30)]  # Kerman, Shiraz, Bandar Abbas
AIMS = [(25.117, 51.315), (24.25, 54.55), (25.918, 50.591)]  # Al Udeid, Al Dhafra, Isa AB (Bahrain)
MISSILES = ["emad", "kheibar-shekan", "shahab-3"]


def raid_scenario(n: int, seed: int = 1) -> Scenario:
    """The gulf scenario's defences against ``n`` missiles (launch points jittered by up to
    ~20 km, launches spread over two minutes)."""
    text = resources.files("bmdsim.scenario").joinpath("data/gulf-salvo-notional.yaml").read_text()
    data = yaml.safe_load(text)
    rng = np.random.default_rng(seed)
    threats = []
    for i in range(n):
        lat, lon = LAUNCH_AREAS[i % 3]
        threats.append(
            {
                "id": f"R{i + 1:03d}",
                "missile": MISSILES[i % 3] if (i % 3) != 2 else "emad",
                "launch": {
                    "lat_deg": float(lat + rng.uniform(-0.2, 0.2)),
                    "lon_deg": float(lon + rng.uniform(-0.2, 0.2)),
                    "time_s": float(60.0 + 120.0 * i / max(n - 1, 1)),
                },
                "aim": {"lat_deg": AIMS[i % 3][0], "lon_deg": AIMS[i % 3][1]},
            }
        )
    data["threats"] = threats
    data["name"] = f"gulf-raid-{n}"
    for unit in data["fire_units"]:
        unit["inventory"] = max(unit["inventory"], n)
    return Scenario.from_mapping(data)


def timed(scenario, seed: int) -> tuple[float, float, object]:
    t0 = time.perf_counter()
    sim = Simulation(scenario, seed)
    result = sim.run()
    wall = time.perf_counter() - t0
    return sim.time_s, wall, result


#: (module, owner, attribute, label): the entry points timed by ``--layers``; indented
#: labels are parts of the label above them.
LAYERS = [
    ("bmdsim.sim.engine", "Simulation", "__init__", "run set-up (threat flights, aim solve)"),
    ("bmdsim.sensors.suite", "SensorSuite", "observe", "sensors"),
    ("bmdsim.tracking.tracker", "Tracker", "step", "tracking"),
    ("bmdsim.tracking.tracker", "Tracker", "cues", "radar cues"),
    ("bmdsim.assessment.assessor", "Assessor", "step", "assessment"),
    ("bmdsim.assessment.impact", "ImpactPredictor", "predict", "  impact points"),
    ("bmdsim.assessment.threat", "ThreatEvaluator", "evaluate", "  threat evaluation"),
    ("bmdsim.assessment.launch", "LaunchPointEstimator", "estimate", "  launch points"),
    ("bmdsim.engagement.system", "EngagementSystem", "advance", "engagement"),
    ("bmdsim.flight", None, "intercept_debris", "debris fields (at intercepts)"),
    ("bmdsim.sim.summary", None, "build_result", "result"),
]


@contextmanager
def layer_timer():
    """Wrap the :data:`LAYERS` entry points with wall-clock timers; yields the totals [s]."""
    import importlib

    totals: Counter = Counter()
    undo = []
    for module, owner, name, label in LAYERS:
        host = importlib.import_module(module)
        if owner is not None:
            host = getattr(host, owner)
        original = getattr(host, name)

        def timed_call(*args, _f=original, _label=label, **kwargs):
            t = time.perf_counter()
            try:
                return _f(*args, **kwargs)
            finally:
                totals[_label] += time.perf_counter() - t

        setattr(host, name, timed_call)
        undo.append((host, name, original))
    try:
        yield totals
    finally:
        for host, name, original in undo:
            setattr(host, name, original)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--raid", type=int, default=100, help="missiles in the raid (0: skip)")
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--profile", action="store_true", help="profile the reference run")
    ap.add_argument("--repeat", type=int, default=1, help="timed reference runs (best, median)")
    ap.add_argument(
        "--layers",
        action="store_true",
        help="time each layer of the reference runs (after the timed runs)",
    )
    args = ap.parse_args()

    ref = bmdsim.load_scenario("dortyol-2026-03-04")
    timed(ref, args.seed)  # warm caches (numba, flyout tables), not counted
    runs = [timed(ref, args.seed) for _ in range(max(args.repeat, 1))]
    walls = sorted(r[1] for r in runs)
    sim_s, wall, result = runs[0][0], walls[0], runs[0][2]
    t = result.summary["threats"][0]
    spread = ""
    if len(walls) > 1:
        spread = (
            f" (best of {len(walls)}; median {walls[len(walls) // 2]:.2f} s = "
            f"{sim_s / walls[len(walls) // 2]:,.0f}x)"
        )
    print(
        f"reference  {ref.name}: {sim_s:.0f} sim-s in {wall:.2f} s wall = "
        f"{sim_s / wall:,.0f}x real time (goal 1,000x){spread}; intercepted={t['intercepted']}"
    )
    if args.layers:
        n = max(args.repeat, 1)
        with layer_timer() as totals:
            t0 = time.perf_counter()
            for _ in range(n):
                timed(ref, args.seed)
            per_run = (time.perf_counter() - t0) / n
        print(
            f"layers of the reference run (mean of {n}, {per_run * 1000:.0f} ms a run with "
            "the timers):"
        )
        for *_, label in LAYERS:
            ms = totals[label] / n * 1000
            print(f"  {label:42s} {ms:7.1f} ms {ms / (per_run * 1000):6.1%}")
    if args.profile:
        prof = cProfile.Profile()
        prof.enable()
        timed(ref, args.seed)
        prof.disable()
        pstats.Stats(prof).sort_stats("cumulative").print_stats(25)
    if args.raid:
        raid = raid_scenario(args.raid)
        sim_s, wall, result = timed(raid, args.seed)
        s = result.summary
        hit = sum(x["intercepted"] for x in s["threats"])
        print(
            f"raid       {args.raid} missiles: {sim_s:.0f} sim-s in {wall:.2f} s wall = "
            f"{sim_s / wall:,.1f}x real time (goal 10x); {hit}/{args.raid} intercepted, "
            f"{s['interceptors_used']} interceptors, {len(result.debris)} debris fields"
        )


if __name__ == "__main__":
    main()
