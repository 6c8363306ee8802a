"""Sensors-layer throughput: 1,000 objects x 10 sensors x 600 s, and a peer in the same run.

Scene: 1,000 ballistic objects launched over 200 s in a 800 km x 600 km box of the Middle
East (simple ENU kinematics, sampled every second, NaN before launch and after impact),
30 % with a burning plume during their first 100 s, RCS log-uniform 0.01-10 m²; ten sensors:
two SBIRS-class GEO and one HEO infrared payload, four AN/TPY-2-class radars and three
SPY-1D-class ship radars (moving); 100 objects are cued to every radar (a fresh cue every
10 s, the benchmark playing the tracker's part), so track dwells run at 1 Hz alongside the
search fences.

Prints, for one call of ``SensorSuite.observe(0, 600)`` (best of ``--repeat``): the
detections per sensor, detections per second of wall time, and "looks" per second (object x
scan pairs evaluated: visibility, SNR, Pd, noise). Then the same run stepped in 10 s
windows (as the engine calls it), checked identical. Then the peer: Stone Soup's
``RadarElevationBearingRange.measure`` (noisy elevation, bearing, range of each ground truth
in a local Cartesian frame, no horizon or Pd model) on the same objects and search frames
of one radar, timed on a subset (it loops over objects in Python) — measurements per second
and the ratio to bmdsim's looks per second for that radar alone.

Run: ``.venv/bin/python benchmarks/sensors.py`` (about 30 s).
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np

from bmdsim.catalog import sensor
from bmdsim.earth.frames import enu_basis, enu_to_ecef, geodetic_to_ecef
from bmdsim.sensors import (
    CueSet,
    DetectionBatch,
    FixedSite,
    KeplerOrbit,
    OrbitPlatform,
    Radar,
    SensorSuite,
    SpaceInfrared,
    TruthTable,
    WaypointPlatform,
)

REF = (36.5, 42.0)  # centre of the launch box [deg]
DURATION_S = 600.0


def scene(n: int, seed: int = 0) -> TruthTable:
    """``n`` ballistic objects on a flat-Earth ENU approximation about ``REF``."""
    rng = np.random.default_rng(seed)
    t = np.arange(0.0, DURATION_S + 1.0, 1.0)
    launch = rng.uniform(0.0, 200.0, n)
    p0 = np.column_stack([rng.uniform(-4e5, 4e5, n), rng.uniform(-3e5, 3e5, n), np.zeros(n)])
    speed = rng.uniform(2000.0, 3500.0, n)
    gamma = np.radians(rng.uniform(35.0, 50.0, n))
    az = np.radians(rng.uniform(200.0, 320.0, n))
    v0 = speed[:, None] * np.column_stack(
        [np.cos(gamma) * np.sin(az), np.cos(gamma) * np.cos(az), np.sin(gamma)]
    )
    dt = t[:, None] - launch[None, :]  # (T, N)
    g = np.array([0.0, 0.0, -9.8])
    enu = p0 + v0 * dt[..., None] + 0.5 * g * dt[..., None] ** 2
    vel = v0 + g * dt[..., None]
    alive = (dt >= 0.0) & (enu[..., 2] >= 0.0)
    pos = enu_to_ecef(enu, *REF, 0.0)
    vel_ecef = np.einsum("ji,tnj->tni", enu_basis(*REF), vel)
    states = np.concatenate([pos, vel_ecef], axis=-1)
    states[~alive] = np.nan
    plume = rng.random(n) < 0.3
    ir = np.where(alive & (dt < 100.0) & plume, 1e5, 0.0)
    rcs = 10.0 ** rng.uniform(-2.0, 1.0, n)
    return TruthTable.from_arrays(t, states, rcs_m2=rcs, ir_intensity_w_sr=ir)


def sensors(seed: int = 0) -> SensorSuite:
    tpy, spy = sensor("an-tpy-2-fbm"), sensor("spy-1d")
    geo, heo = sensor("sbirs-geo"), sensor("sbirs-heo")

    def ship(i, lat, lon):
        return Radar(
            id=f"ship-{i}",
            type=spy,
            seed=seed,
            platform=WaypointPlatform.from_waypoints(
                [0.0, 600.0], [lat, lat + 0.05], [lon, lon + 0.05], 20.0
            ),
        )

    return SensorSuite(
        sensors=(
            SpaceInfrared(
                id="geo-39",
                type=geo,
                seed=seed,
                platform=OrbitPlatform(orbit=KeplerOrbit.geostationary(39.0)),
            ),
            SpaceInfrared(
                id="geo-75",
                type=geo,
                seed=seed,
                platform=OrbitPlatform(orbit=KeplerOrbit.geostationary(75.0)),
            ),
            SpaceInfrared(
                id="heo-1",
                type=heo,
                seed=seed,
                platform=OrbitPlatform(orbit=KeplerOrbit.molniya(apogee_longitude_deg=40.0)),
            ),
            Radar(
                id="tpy-kurecik",
                type=tpy,
                seed=seed,
                boresight_az_rad=np.radians(105.0),
                platform=FixedSite(lat_deg=38.35, lon_deg=37.79, alt_m=1900.0),
            ),
            Radar(
                id="tpy-2",
                type=tpy,
                seed=seed,
                boresight_az_rad=np.radians(80.0),
                platform=FixedSite(lat_deg=37.0, lon_deg=35.4, alt_m=60.0),
            ),
            Radar(
                id="tpy-3",
                type=tpy,
                seed=seed,
                boresight_az_rad=np.radians(130.0),
                platform=FixedSite(lat_deg=40.5, lon_deg=39.0, alt_m=1500.0),
            ),
            Radar(
                id="tpy-4",
                type=tpy,
                seed=seed,
                boresight_az_rad=np.radians(60.0),
                platform=FixedSite(lat_deg=33.0, lon_deg=36.0, alt_m=500.0),
            ),
            ship(1, 35.3, 34.9),
            ship(2, 34.0, 33.5),
            ship(3, 36.3, 34.5),
        )
    )


def cues_for(truth: TruthTable, n_cued: int, period_s: float = 10.0) -> CueSet:
    """A fresh cue every ``period_s`` on each of the first ``n_cued`` objects (5 km radius)."""
    t = np.arange(0.0, DURATION_S, period_s)
    st = truth.state_at(t)[:, :n_cued].reshape(-1, 6)
    t_rep = np.repeat(t, n_cued)
    ok = np.all(np.isfinite(st), axis=1)
    return CueSet.from_states(
        t_start_s=t_rep[ok],
        t_end_s=t_rep[ok] + period_s,
        t_ref_s=t_rep[ok],
        state_ecef=st[ok],
        radius_m=5e3,
    )


def looks(suite: SensorSuite, truth: TruthTable, cues: CueSet) -> int:
    """Object x scan pairs the suite evaluates in [0, DURATION_S)."""
    total = 0
    for s in suite.sensors:
        if isinstance(s, Radar):
            total += truth.n_objects * int(DURATION_S / s.type.search_frame_s)
            active = cues.active_at(np.arange(0.0, DURATION_S, s.type.track_revisit_s))
            total += truth.n_objects * int(np.sum(np.any(active, axis=1)))
        else:
            total += truth.n_objects * int(DURATION_S / s.type.frame_s)
    return total


def best_time(fn, repeat):
    best, out = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def stone_soup_rate(radar: Radar, truth: TruthTable, n_sub: int, frames: int) -> float:
    """Stone Soup measurements per second on ``n_sub`` objects x ``frames`` search frames."""
    from datetime import datetime, timedelta

    from stonesoup.sensor.radar import RadarElevationBearingRange
    from stonesoup.types.array import CovarianceMatrix, StateVector
    from stonesoup.types.groundtruth import GroundTruthState

    t = radar.type
    sigma = np.array([t.angle_sigma_ref_rad, t.angle_sigma_ref_rad, t.range_sigma_ref_m])
    ss = RadarElevationBearingRange(
        position_mapping=(0, 1, 2),
        noise_covar=CovarianceMatrix(np.diag(sigma**2)),
        ndim_state=6,
        position=StateVector([0.0, 0.0, 0.0]),
        max_range=t.max_range_m,
    )
    site = radar.platform
    origin = geodetic_to_ecef(site.lat_deg, site.lon_deg, site.alt_m)
    basis = enu_basis(site.lat_deg, site.lon_deg)
    times = np.arange(frames) * t.search_frame_s
    states = truth.state_at(times)[:, :n_sub]
    enu = np.einsum("ij,tnj->tni", basis, states[..., :3] - origin)
    venu = np.einsum("ij,tnj->tni", basis, states[..., 3:])
    epoch = datetime(2026, 3, 4, 10)
    count = 0
    t0 = time.perf_counter()
    for k in range(frames):  # Stone Soup: one GroundTruthState object per object and scan
        when = epoch + timedelta(seconds=float(times[k]))
        ok = np.isfinite(enu[k, :, 0])
        truths = {
            GroundTruthState(StateVector(np.r_[enu[k, i], venu[k, i]]), timestamp=when)
            for i in np.flatnonzero(ok)
        }
        count += len(ss.measure(truths, noise=True))
    return count / (time.perf_counter() - t0)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--n", type=int, default=1000, help="objects")
    ap.add_argument("--cued", type=int, default=100, help="objects cued to every radar")
    ap.add_argument("--repeat", type=int, default=2)
    args = ap.parse_args()

    truth = scene(args.n)
    suite = sensors()
    cues = cues_for(truth, args.cued)
    n_looks = looks(suite, truth, cues)

    wall, found = best_time(lambda: suite.observe(0.0, DURATION_S, truth, cues), args.repeat)
    print(f"{args.n} objects x {len(suite)} sensors x {DURATION_S:.0f} s, {args.cued} cued objects")
    for sid in dict.fromkeys(found.sensor_id):
        mine = found.sensor_id == sid
        fa = int(np.sum(found.truth.false_alarm & mine))
        print(f"  {sid:12s} {int(mine.sum()):8d} detections ({fa} false alarms)")
    print(
        f"one window:   {len(found):,} detections in {wall:.2f} s -> "
        f"{len(found) / wall:,.0f} detections/s, {n_looks / wall:,.0f} looks/s"
    )

    def stepped():
        edges = np.arange(0.0, DURATION_S + 1.0, 10.0)
        return DetectionBatch.concat(
            [suite.observe(a, b, truth, cues) for a, b in itertools.pairwise(edges)]
        )

    wall_s, found_s = best_time(stepped, 1)
    same = len(found_s) == len(found) and np.array_equal(found_s.z, found.z, equal_nan=True)
    print(
        f"10 s windows: {len(found_s):,} detections in {wall_s:.2f} s -> "
        f"{len(found_s) / wall_s:,.0f} detections/s (identical to one window: {same})"
    )

    radar = suite["tpy-kurecik"]
    frames = int(DURATION_S / radar.type.search_frame_s)
    wall_r, alone = best_time(lambda: radar.observe(0.0, DURATION_S, truth), args.repeat)
    ours = args.n * frames / wall_r
    n_sub = min(args.n, 100)
    try:
        peer = stone_soup_rate(radar, truth, n_sub, frames)
    except ImportError:
        print("peer: stonesoup not installed (pip install -e '.[bench]')")
        return
    print(
        f"one radar, search only: bmdsim {ours:,.0f} looks/s ({len(alone)} detections); "
        f"Stone Soup RadarElevationBearingRange.measure {peer:,.0f} measurements/s "
        f"({n_sub} objects x {frames} frames) -> bmdsim faster by {ours / peer:,.0f}x"
    )


if __name__ == "__main__":
    main()
