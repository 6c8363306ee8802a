"""Flight-layer benchmark: batched ballistic coasts against two peers, same run.

Workload: ``--n`` ballistic objects (MRBM midcourse/reentry states: 50-300 km up, 2-4 km/s,
flight-path angle -10..40 deg, any heading, over the Middle East), drag on (USSA76 air,
Mach-dependent Cd, beta 5,000 kg/m^2), J2 and Earth rotation, propagated over 600 s with the
states output every 10 s and the ground impact located (most objects land within 600 s).
Same equations of motion and tolerances (Dormand-Prince 5(4), ``COAST_RTOL``/``COAST_ATOL``)
for all three:

* **bmdsim**: :func:`bmdsim.flight.propagate`, the batched integrator of
  :mod:`bmdsim.core.integrate` (numpy driver, per-object steps, compiled derivative kernel);
* **scipy**: ``scipy.integrate.solve_ivp(method="RK45")`` with a ground event and ``t_eval``,
  one trajectory at a time (the derivative is bmdsim's compiled kernel on one object), timed
  on ``--scipy-sample`` trajectories and extrapolated to ``--n``;
* **numba loop**: the same integrator written as one compiled loop over objects (here below:
  the same tableau, error norm, PI step control, quintic Hermite outputs and Illinois event
  location as bmdsim's driver, calling the same per-object acceleration function).

Prints trajectories per second, the ratios (goal: >= 100x the scipy loop, within 2x of the
numba loop) and the largest difference between the three answers. Then the time to fly a raid
of ``--raid`` missiles (all catalog types, random launch points and aims at 30-90 % of range):
aim solving and boost-to-impact flight of every missile and spent stage, one batch.

Run: ``.venv/bin/python benchmarks/flight.py`` (``--n 10000``, about 20 s on 2 cores);
the README figures are for ``--n 100000``.
"""

from __future__ import annotations

import argparse
import math
import time

import numba
import numpy as np

from bmdsim.core.integrate import _DP_AM, _DP_C, _DP_E
from bmdsim.earth.constants import B_M, E2
from bmdsim.earth.frames import enu_vector_to_ecef, geodetic_to_ecef
from bmdsim.flight import propagate
from bmdsim.flight._kernel import acceleration_one
from bmdsim.flight.air import air_table
from bmdsim.flight.dynamics import MACH_STEP, Physics, derivative, ground_event
from bmdsim.flight.propagation import COAST_ATOL, COAST_RTOL, ballistic_aero


def states(n: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng(seed)
    lat, lon = rng.uniform(25.0, 45.0, n), rng.uniform(30.0, 60.0, n)
    r = geodetic_to_ecef(lat, lon, rng.uniform(50e3, 300e3, n))
    speed = rng.uniform(2000.0, 4000.0, n)
    gamma = np.radians(rng.uniform(-10.0, 40.0, n))
    az = rng.uniform(0.0, 2.0 * np.pi, n)
    enu = np.stack(
        [
            speed * np.cos(gamma) * np.sin(az),
            speed * np.cos(gamma) * np.cos(az),
            speed * np.sin(gamma),
        ],
        axis=-1,
    )
    return np.concatenate([r, enu_vector_to_ecef(enu, lat, lon)], axis=1)


# --- scipy peer ---------------------------------------------------------------------------------


def scipy_loop(y: np.ndarray, t_out: np.ndarray) -> np.ndarray:
    from scipy.integrate import solve_ivp

    physics = Physics()
    aero, mass = ballistic_aero(1)
    idx = np.zeros(1, dtype=np.intp)
    g = ground_event(physics)
    out = np.full((t_out.size, y.shape[0], 6), np.nan)

    def fun(t, s):
        return derivative(t, s[None], idx, physics=physics, aero=aero)[0]

    def ground(t, s):
        return g(t, s[None], idx)[0]

    ground.terminal = True
    ground.direction = -1.0
    for i, s0 in enumerate(y):
        sol = solve_ivp(fun, (0.0, t_out[-1]), np.append(s0, mass[0]), method="RK45", t_eval=t_out,
                        events=ground, rtol=COAST_RTOL, atol=COAST_ATOL)  # fmt: skip
        out[: sol.t.size, i] = sol.y[:6].T
    return out


# --- numba per-object peer ------------------------------------------------------------------


@numba.njit(cache=True, nogil=True, _nrt=False)
def _f(t, y, out, o, j2, rot, drag, area, row, cd, inv_m, rows, amin, inv_s, last, tp):
    ax, ay, az, dm = acceleration_one(
        t, y[0], y[1], y[2], y[3], y[4], y[5], y[6], o, j2, rot, drag, -1.0, area, row, cd,
        inv_m, rows, amin, inv_s, last, False, tp,
    )  # fmt: skip
    out[0] = y[3]
    out[1] = y[4]
    out[2] = y[5]
    out[3] = ax
    out[4] = ay
    out[5] = az
    out[6] = dm


@numba.njit(cache=True, nogil=True, _nrt=False)
def _alt(y):
    rho2 = y[0] * y[0] + y[1] * y[1]
    r2 = rho2 + y[2] * y[2]
    return math.sqrt(r2) - B_M / math.sqrt(1.0 - E2 * rho2 / r2)


@numba.njit(cache=True, nogil=True, _nrt=False)
def _hermite(h, y0, f0, y1, f1, s, out):
    """Same interpolant as bmdsim.core.integrate.hermite (second_order=3, k=7)."""
    s2 = s * s
    s3 = s2 * s
    s4 = s3 * s
    s5 = s4 * s
    b0 = 1.0 - 10.0 * s3 + 15.0 * s4 - 6.0 * s5
    b1 = s - 6.0 * s3 + 8.0 * s4 - 3.0 * s5
    b2 = 0.5 * s2 - 1.5 * s3 + 1.5 * s4 - 0.5 * s5
    b3 = 0.5 * s3 - s4 + 0.5 * s5
    b4 = -4.0 * s3 + 7.0 * s4 - 3.0 * s5
    b5 = 1.0 - b0
    d0 = -30.0 * s2 + 60.0 * s3 - 30.0 * s4
    d1 = 1.0 - 18.0 * s2 + 32.0 * s3 - 15.0 * s4
    d2 = s - 4.5 * s2 + 6.0 * s3 - 2.5 * s4
    d3 = 1.5 * s2 - 4.0 * s3 + 2.5 * s4
    d4 = -12.0 * s2 + 28.0 * s3 - 15.0 * s4
    for c in range(3):
        q0, v0, a0 = y0[c], y0[c + 3], f0[c + 3]
        q1, v1, a1 = y1[c], y1[c + 3], f1[c + 3]
        out[c] = b0 * q0 + h * b1 * v0 + h * h * b2 * a0 + h * h * b3 * a1 + h * b4 * v1 + b5 * q1
        out[c + 3] = d0 / h * (q0 - q1) + d1 * v0 + h * d2 * a0 + h * d3 * a1 + d4 * v1
    c00 = 2.0 * s3 - 3.0 * s2 + 1.0
    c10 = s3 - 2.0 * s2 + s
    c01 = -2.0 * s3 + 3.0 * s2
    c11 = s3 - s2
    out[6] = c00 * y0[6] + h * c10 * f0[6] + c01 * y1[6] + h * c11 * f1[6]


@numba.njit(cache=True, nogil=True, _nrt=False)
def numba_loop_kernel(Y0, t_end, t_out, out, rtol, atol, A, C, E, K, y, yn, ytmp, ye, fe,
                      j2, rot, drag, area, row, cd, inv_m, rows, amin, inv_s, last_node, tp):  # fmt: skip
    n_obj = Y0.shape[0]
    n_out = t_out.shape[0]
    for o in range(n_obj):
        for c in range(7):
            y[c] = Y0[o, c]
        t = 0.0
        _f(t, y, K[0], o, j2, rot, drag, area, row, cd, inv_m, rows, amin, inv_s, last_node, tp)
        g = _alt(y)
        p = 0
        while p < n_out and t_out[p] <= t:
            for c in range(6):
                out[p, o, c] = y[c]
            p += 1
        # initial step (Hairer-Norsett-Wanner), as the batched driver
        d0 = 0.0
        d1 = 0.0
        for c in range(7):
            sc = atol[c] + rtol * abs(y[c])
            d0 += (y[c] / sc) ** 2
            d1 += (K[0, c] / sc) ** 2
        d0 = math.sqrt(d0 / 7.0)
        d1 = math.sqrt(d1 / 7.0)
        h0 = 1e-6 if (d0 < 1e-5 or d1 < 1e-5) else 0.01 * d0 / d1
        h0 = min(h0, t_end - t)
        for c in range(7):
            ytmp[c] = y[c] + h0 * K[0, c]
        _f(
            t + h0,
            ytmp,
            K[1],
            o,
            j2,
            rot,
            drag,
            area,
            row,
            cd,
            inv_m,
            rows,
            amin,
            inv_s,
            last_node,
            tp,
        )
        d2 = 0.0
        for c in range(7):
            sc = atol[c] + rtol * abs(y[c])
            d2 += ((K[1, c] - K[0, c]) / sc) ** 2
        d2 = math.sqrt(d2 / 7.0) / h0
        dm = max(d1, d2)
        h1 = max(1e-6, h0 * 1e-3) if dm <= 1e-15 else (0.01 / dm) ** 0.2
        H = min(100.0 * h0, h1)
        err_old = 1e-4
        while True:
            remaining = t_end - t
            last = H * (1.0 + 1e-9) >= remaining
            h = remaining if last else H
            for s in range(1, 7):
                for c in range(7):
                    acc = 0.0
                    for i in range(s):
                        acc += A[s, i] * K[i, c]
                    ytmp[c] = y[c] + h * acc
                _f(
                    t + C[s] * h,
                    ytmp,
                    K[s],
                    o,
                    j2,
                    rot,
                    drag,
                    area,
                    row,
                    cd,
                    inv_m,
                    rows,
                    amin,
                    inv_s,
                    last_node,
                    tp,
                )
            norm = 0.0
            for c in range(7):
                e = 0.0
                for i in range(7):
                    e += E[i] * K[i, c]
                sc = atol[c] + rtol * max(abs(y[c]), abs(ytmp[c]))
                q = h * e / sc
                norm += q * q
            norm = math.sqrt(norm / 7.0)
            accept = norm <= 1.0
            nrm = max(norm, 1e-10)
            fac = 0.9 * nrm ** (-0.2 + 0.04 * 0.75) * err_old**0.04
            fac = min(max(fac, 0.2), 10.0)
            if not accept:
                fac = min(fac, 1.0)
                H = h * fac
                continue
            tn = t_end if last else t + h
            for c in range(7):
                yn[c] = ytmp[c]
            done = last
            gn = _alt(yn)
            if g > 0.0 and gn <= 0.0:  # Illinois on the step's interpolant
                a, b, ga, gb, side = 0.0, 1.0, g, gn, 0
                for _ in range(60):
                    s = (a * gb - b * ga) / (gb - ga) if ga - gb > 0.0 else 0.5 * (a + b)
                    s = min(max(s, a), b)
                    _hermite(tn - t, y, K[0], yn, K[6], s, ye)
                    gs = _alt(ye)
                    if gs > 0.0:
                        if side == 1:
                            gb *= 0.5
                        a, ga, side = s, gs, 1
                    else:
                        if side == -1:
                            ga *= 0.5
                        b, gb, side = s, gs, -1
                    if (b - a) * (tn - t) <= 1e-9 or gs == 0.0:
                        break
                _hermite(tn - t, y, K[0], yn, K[6], b, ye)
                tn = t + b * (tn - t)
                for c in range(7):
                    yn[c] = ye[c]
                _f(
                    tn,
                    yn,
                    K[6],
                    o,
                    j2,
                    rot,
                    drag,
                    area,
                    row,
                    cd,
                    inv_m,
                    rows,
                    amin,
                    inv_s,
                    last_node,
                    tp,
                )
                done = True
            while p < n_out and t_out[p] <= tn:
                hs = tn - t
                _hermite(hs, y, K[0], yn, K[6], min(max((t_out[p] - t) / hs, 0.0), 1.0), fe)
                for c in range(6):
                    out[p, o, c] = fe[c]
                p += 1
            t = tn
            g = gn
            for c in range(7):
                y[c] = yn[c]
                K[0, c] = K[6, c]
            err_old = nrm
            H = h * fac
            if done:
                break


def numba_loop(y: np.ndarray, t_out: np.ndarray) -> np.ndarray:
    n = y.shape[0]
    aero, mass = ballistic_aero(n)
    table = air_table()
    out = np.full((t_out.size, n, 6), np.nan)
    y0 = np.concatenate([y, mass[:, None]], axis=1)
    numba_loop_kernel(
        y0, float(t_out[-1]), t_out, out, COAST_RTOL, COAST_ATOL, _DP_AM, _DP_C, _DP_E,
        np.zeros((7, 7)), np.zeros(7), np.zeros(7), np.zeros(7), np.zeros(7), np.zeros(7),
        True, True, True, aero.area_m2, aero.drag_row, aero.cd_table, 1.0 / MACH_STEP,
        table.rows, table.alt_min_m, table.inv_step_per_m, table.last_node, np.zeros((0, 13)),
    )  # fmt: skip
    return out


def timed(fn, *args, repeat: int = 1):
    best, result = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn(*args)
        best = min(best, time.perf_counter() - t0)
    return best, result


def raid(n: int, seed: int) -> tuple[float, int]:
    """Seconds to fly ``n`` missiles with :func:`bmdsim.flight.fly_many`, and the objects."""
    from bmdsim.catalog import missiles
    from bmdsim.earth import geodesic_direct
    from bmdsim.flight import fly_many, max_range_m

    rng = np.random.default_rng(seed)
    types = list(missiles().values())
    chosen = [types[i % len(types)] for i in range(n)]
    for m in types:  # performance maps: computed once per type and process, not timed
        max_range_m(m)
    launch = np.column_stack([rng.uniform(30.0, 38.0, n), rng.uniform(45.0, 55.0, n)])
    reach = np.array([max_range_m(m) for m in chosen]) * rng.uniform(0.3, 0.9, n)
    lat, lon, _ = geodesic_direct(
        launch[:, 0], launch[:, 1], rng.uniform(0.0, 2.0 * np.pi, n), reach
    )
    t0 = time.perf_counter()
    flown = fly_many(
        chosen, launch, np.column_stack([lat, lon]), launch_times_s=rng.uniform(0.0, 300.0, n)
    )
    return time.perf_counter() - t0, len(flown.objects)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, default=10_000, help="trajectories (README: 100000)")
    parser.add_argument(
        "--scipy-sample", type=int, default=20, help="trajectories timed with scipy"
    )
    parser.add_argument("--repeat", type=int, default=1, help="best of this many runs")
    parser.add_argument(
        "--raid", type=int, default=100, help="missiles flown with fly_many (0: skip)"
    )
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    y = states(args.n, args.seed)
    t_out = np.linspace(0.0, 600.0, 61)
    # warm up (numba compilation / cache load), not timed
    propagate(y[:8], t_out)
    numba_loop(y[:8], t_out)

    t_batch, out_batch = timed(propagate, y, t_out, repeat=args.repeat)
    t_numba, out_numba = timed(numba_loop, y, t_out, repeat=args.repeat)
    k = min(args.scipy_sample, args.n)
    t_scipy, out_scipy = timed(scipy_loop, y[:k], t_out)
    t_scipy_all = t_scipy * args.n / k

    landed = np.isnan(out_batch[-1, :, 0]).mean()
    diff_numba = np.nanmax(np.linalg.norm(out_batch[..., :3] - out_numba[..., :3], axis=-1))
    nan_mismatch = int(np.sum(np.isnan(out_batch[..., 0]) != np.isnan(out_numba[..., 0])))
    diff_scipy = np.nanmax(np.linalg.norm(out_batch[:, :k, :3] - out_scipy[..., :3], axis=-1))

    print(f"{args.n} ballistic coasts with drag, 600 s, 61 outputs; {landed:.0%} reach the ground")
    print(f"{'method':34s} {'time [s]':>10s} {'traj/s':>10s}")
    print(f"{'bmdsim.flight.propagate (batched)':34s} {t_batch:10.2f} {args.n / t_batch:10.0f}")
    print(f"{'numba per-object loop':34s} {t_numba:10.2f} {args.n / t_numba:10.0f}")
    print(
        f"{f'scipy solve_ivp loop (x{args.n / k:g})':34s} {t_scipy_all:10.1f} {args.n / t_scipy_all:10.0f}"
    )
    print(f"batched vs scipy loop: {t_scipy_all / t_batch:.0f}x faster (goal >= 100x)")
    print(f"batched vs numba loop: {t_batch / t_numba:.2f}x the numba time (goal <= 2x)")
    print(f"max position difference: batched-numba {diff_numba:.2e} m ({nan_mismatch} NaN mismatches), "
          f"batched-scipy {diff_scipy:.2e} m")  # fmt: skip
    if args.raid:
        seconds, objects = raid(args.raid, args.seed)
        print(
            f"fly_many: {args.raid} missiles (aim solved, boost to impact, {objects} objects) in {seconds:.2f} s"
        )


if __name__ == "__main__":
    main()
