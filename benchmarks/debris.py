"""Debris benchmark: a hit-to-kill breakup flown to the ground, against two peers, same run.

Workload: a 1,000 kg reentry vehicle hit by a 23 kg kill vehicle at 110 km over Hatay
(closing speed ~5 km/s), broken into ``--n`` representative fragments by
:func:`bmdsim.flight.generate_fragments` (ballistic coefficients ~0.1 to ~500 kg/m^2), then
flown to the ground with drag (USSA76, J2, Earth rotation) and the 95 % mass footprint built.

* **bmdsim**: :func:`bmdsim.flight.fly_debris` — one batch, Dormand-Prince 5(4) with
  per-object steps, terminal-descent handoff to the quasi-steady fall, in the compiled
  kernels of :mod:`bmdsim.flight._debris_kernel`;
* **numpy path**: the same call with ``compiled=False`` (the batched numpy driver the kernels
  follow); the largest difference of their landing points is reported (they agree to the
  integration's accuracy: the compiled loop's step control takes the C library's ``pow``);
* **full integration**: the same batch integrated all the way to the ground
  (``terminal_handoff=False``, i.e. :func:`bmdsim.flight.predict_impact`), which light
  fragments make long (thousands of stability-limited steps for a fall of an hour or more);
* **scipy loop**: ``scipy.integrate.solve_ivp(method="RK45")`` one fragment at a time with
  the same compiled derivative and a ground event, on ``--scipy-sample`` fragments spread over
  the ballistic coefficients, extrapolated to ``--n``.

Prints wall times, fragments per second, ratios and the largest impact-point difference
between the handoff and the full integration.

Run: ``.venv/bin/python benchmarks/debris.py`` (about 30 s; ``--n 2000 --scipy-sample 8``).
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np

from bmdsim.earth import geodesic_inverse
from bmdsim.earth.frames import enu_vector_to_ecef, geodetic_to_ecef
from bmdsim.flight import DebrisModel, fly_debris, footprint, generate_fragments
from bmdsim.flight.debris import FALL_RTOL
from bmdsim.flight.dynamics import Physics, derivative, ground_event
from bmdsim.flight.propagation import COAST_ATOL, ballistic_aero


def breakup(n: int, seed: int):
    lat, lon, alt = 36.85, 36.7, 110e3
    r = geodetic_to_ecef(lat, lon, alt)
    threat = np.concatenate([r, enu_vector_to_ecef(np.array([-2300.0, 0.0, -1000.0]), lat, lon)])
    kv = np.concatenate([r, enu_vector_to_ecef(np.array([2000.0, 600.0, 1500.0]), lat, lon)])
    return generate_fragments(
        threat, 1000.0, kv, 23.0, np.random.default_rng(seed), model=DebrisModel(n_fragments=n)
    )


def scipy_loop(states: np.ndarray, beta: np.ndarray, max_s: float) -> np.ndarray:
    """Impact times [s] of fragments flown one at a time by scipy's RK45."""
    from scipy.integrate import solve_ivp

    physics = Physics()
    idx = np.zeros(1, dtype=np.intp)
    g = ground_event(physics)
    out = np.full(len(states), np.nan)
    for i, (s0, b) in enumerate(zip(states, beta, strict=True)):
        aero, mass = ballistic_aero(1, b)

        def fun(t, s, aero=aero):
            return derivative(t, s[None], idx, physics=physics, aero=aero)[0]

        def ground(t, s):
            return g(t, s[None], idx)[0]

        ground.terminal = True
        ground.direction = -1.0
        sol = solve_ivp(fun, (0.0, max_s), np.append(s0, mass[0]), method="RK45",
                        events=ground, rtol=FALL_RTOL, atol=COAST_ATOL)  # fmt: skip
        if sol.t_events[0].size:
            out[i] = sol.t_events[0][0]
    return out


def best_of(repeat: int, fn):
    best, result = np.inf, None
    for _ in range(repeat):
        t0 = time.perf_counter()
        result = fn()
        best = min(best, time.perf_counter() - t0)
    return best, result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=2000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--scipy-sample", type=int, default=8)
    args = ap.parse_args()

    frags = breakup(args.n, 1)
    fly_debris(replace(frags, states=frags.states[:4], mass_kg=frags.mass_kg[:4],
                       ballistic_coefficient_kg_m2=frags.ballistic_coefficient_kg_m2[:4]), 0.0)  # fmt: skip
    footprint(fly_debris(frags, 0.0))  # warm-up: compiled kernels, borders, gazetteer

    t_gen, frags = best_of(args.repeat, lambda: breakup(args.n, 1))
    t_fly, imp = best_of(args.repeat, lambda: fly_debris(frags, 0.0))
    t_np, imp_np = best_of(args.repeat, lambda: fly_debris(frags, 0.0, compiled=False))
    same_flags = all(np.array_equal(getattr(imp, k), getattr(imp_np, k))
                     for k in ("landed", "terminal"))  # fmt: skip
    d_np = geodesic_inverse(imp.lat_deg, imp.lon_deg, imp_np.lat_deg, imp_np.lon_deg)[0]
    t_fp, fp = best_of(args.repeat, lambda: footprint(imp))
    t_full, full = best_of(1, lambda: fly_debris(frags, 0.0, terminal_handoff=False,
                                                 max_fall_s=30_000.0))  # fmt: skip
    d = geodesic_inverse(imp.lat_deg, imp.lon_deg, full.lat_deg, full.lon_deg)[0]
    dt = np.abs(imp.t_s - full.t_s) / full.t_s

    beta = frags.ballistic_coefficient_kg_m2
    pick = np.argsort(beta)[np.linspace(0, args.n - 1, args.scipy_sample).astype(int)]
    t_sp, t_scipy = best_of(1, lambda: scipy_loop(frags.states[pick], beta[pick], 30_000.0))
    t_sp_all = t_sp * args.n / args.scipy_sample
    sp_err = np.nanmax(np.abs(t_scipy - full.t_s[pick]))

    n = args.n
    print(f"{n} fragments, beta {beta.min():.2g}-{beta.max():.3g} kg/m^2, "
          f"{imp.terminal.sum()} handed off to terminal descent; "
          f"last impact {np.nanmax(imp.t_s):.0f} s after the breakup")  # fmt: skip
    print(f"{'step':<44}{'wall s':>9}{'fragments/s':>13}{'bmdsim faster by':>18}")
    print(f"{'generate_fragments':<44}{t_gen:>9.4f}{n / t_gen:>13,.0f}")
    print(f"{'fly_debris (terminal handoff)':<44}{t_fly:>9.3f}{n / t_fly:>13,.0f}{1:>18}")
    print(f"{'  same, numpy path (compiled=False)':<44}{t_np:>9.3f}{n / t_np:>13,.0f}"
          f"{t_np / t_fly:>18.1f}")  # fmt: skip
    print(f"{'full integration to the ground (bmdsim)':<44}{t_full:>9.3f}{n / t_full:>13,.0f}"
          f"{t_full / t_fly:>18.1f}")  # fmt: skip
    print(f"{'scipy RK45 loop (extrapolated)':<44}{t_sp_all:>9.1f}{n / t_sp_all:>13,.0f}"
          f"{t_sp_all / t_fly:>18.0f}")  # fmt: skip
    print(f"{'footprint (95 % mass, countries, places)':<44}{t_fp:>9.4f}")
    print(f"compiled vs numpy path: landing points within {np.nanmax(d_np):.3f} m, "
          f"flags {'identical' if same_flags else 'DIFFERENT'}")  # fmt: skip
    print(f"handoff vs full integration: impact points within {np.nanmax(d):.1f} m, "
          f"fall times within {100 * np.nanmax(dt):.2f} %; scipy vs full: impact times within "
          f"{sp_err:.2e} s")  # fmt: skip
    print(f"footprint {fp.area_m2 / 1e6:.0f} km^2, countries {', '.join(fp.countries)}, "
          f"places {', '.join(p.name for p in fp.places)}")  # fmt: skip


if __name__ == "__main__":
    main()
