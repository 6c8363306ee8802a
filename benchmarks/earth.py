"""Earth-layer benchmark: frame conversions and country lookup against peers, same run.

Prints throughput (points per second, best of ``--repeat`` runs) of
``bmdsim.earth.geodetic_to_ecef`` / ``ecef_to_geodetic`` against PROJ (pyproj ``Transformer``,
EPSG:4979 <-> EPSG:4978) and pymap3d on the same vectorised numpy inputs, the ratios, and the
maximum error of each against an exact reference:

* forward: the closed form evaluated in extended precision (``numpy.longdouble``);
* inverse: the known geodetic input of that exact forward transform (height error and
  horizontal error, metres).

Then USSA76 density throughput (fast table and exact model) against the ``ambiance`` package.
Then, if ``bmdsim.earth.country_at`` is importable, its throughput on random points in a
Middle-East / East-Mediterranean box against a naive lookup (shapely ``contains_xy`` of every
prepared country geometry in turn, measured on a subset and expressed per point), and the
fraction of points on which the two answers agree.

Run: ``.venv/bin/python benchmarks/earth.py`` (about 30 s; ``--n`` sets the number of points).
"""

from __future__ import annotations

import argparse
import time

import numpy as np

from bmdsim.earth.constants import A_M, E2
from bmdsim.earth.frames import ecef_to_geodetic, geodetic_to_ecef

BOX = (25.0, 45.0, 20.0, 65.0)  # lat_min, lat_max, lon_min, lon_max [deg]


def best_time(fn, repeat: int) -> float:
    best = np.inf
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - t0)
    return best


def exact_forward(lat_deg, lon_deg, alt_m) -> np.ndarray:
    """Closed-form geodetic -> ECEF in extended precision (the reference)."""
    ld = np.longdouble
    lat = np.asarray(lat_deg, ld) * (np.pi / ld(180))
    lon = np.asarray(lon_deg, ld) * (np.pi / ld(180))
    h = np.asarray(alt_m, ld)
    s, c = np.sin(lat), np.cos(lat)
    n = ld(A_M) / np.sqrt(1 - ld(E2) * s * s)
    return np.stack(
        [(n + h) * c * np.cos(lon), (n + h) * c * np.sin(lon), (n * (1 - ld(E2)) + h) * s], -1
    )


def horizontal_error_m(lat, lon, alt, lat2, lon2) -> np.ndarray:
    s2 = np.sin(np.radians(lat)) ** 2
    n = A_M / np.sqrt(1.0 - E2 * s2)
    m = A_M * (1.0 - E2) / (1.0 - E2 * s2) ** 1.5
    dlon = np.radians((lon2 - lon + 180.0) % 360.0 - 180.0)
    return np.hypot((m + alt) * np.radians(lat2 - lat), (n + alt) * np.cos(np.radians(lat)) * dlon)


def frames(n: int, repeat: int, rng: np.random.Generator) -> None:
    import pymap3d
    from pyproj import Transformer

    lat = np.degrees(np.arcsin(rng.uniform(-1.0, 1.0, n)))
    lon = rng.uniform(-180.0, 180.0, n)
    alt = rng.uniform(-1_000.0, 1.5e6, n)  # the simulator's domain: ground to high midcourse
    ref = exact_forward(lat, lon, alt)
    xyz = ref.astype(float)
    x, y, z = xyz[:, 0].copy(), xyz[:, 1].copy(), xyz[:, 2].copy()
    fwd = Transformer.from_crs("EPSG:4979", "EPSG:4978", always_xy=False)
    inv = Transformer.from_crs("EPSG:4978", "EPSG:4979", always_xy=False)

    forward = {
        "bmdsim": lambda: geodetic_to_ecef(lat, lon, alt),
        "pyproj": lambda: np.stack(fwd.transform(lat, lon, alt), -1),
        "pymap3d": lambda: np.stack(pymap3d.geodetic2ecef(lat, lon, alt, deg=True), -1),
    }
    inverse = {
        "bmdsim": lambda: ecef_to_geodetic(xyz),
        "pyproj": lambda: inv.transform(x, y, z),
        "pymap3d": lambda: pymap3d.ecef2geodetic(x, y, z, deg=True),
    }
    print(f"\n## Frames: {n:,} points, heights -1 km .. 1,500 km, best of {repeat}")
    print(f"{'function':<20}{'library':<10}{'points/s':>13}{'bmdsim/lib':>12}   max error vs exact")
    ours_rate = {}
    for name, cases in (("geodetic_to_ecef", forward), ("ecef_to_geodetic", inverse)):
        for lib, fn in cases.items():
            out = fn()
            rate = n / best_time(fn, repeat)
            if lib == "bmdsim":
                ours_rate[name] = rate
            if name == "geodetic_to_ecef":
                err = np.linalg.norm((np.asarray(out, np.longdouble) - ref).astype(float), axis=-1)
                err_txt = f"{err.max():.1e} m (3-D)"
            else:
                la, lo, h = (np.asarray(a, float) for a in out)
                dh = np.abs(h - alt).max()
                dxy = horizontal_error_m(lat, lon, alt, la, lo).max()
                err_txt = f"h {dh:.1e} m, horiz {dxy:.1e} m"
            ratio = rate / ours_rate[name]
            ratio_txt = "1.00" if lib == "bmdsim" else f"{1.0 / ratio:.2f}"
            print(f"{name:<20}{lib:<10}{rate:>13,.0f}{ratio_txt:>12}   {err_txt}")


def air(n: int, repeat: int, rng: np.random.Generator) -> None:
    from bmdsim.earth.atmosphere import atmosphere, density

    z = rng.uniform(0.0, 81_000.0, n)  # ambiance's range
    rows = [  # (name, function returning the density)
        ("bmdsim density (table)", lambda: density(z)),
        ("bmdsim atmosphere (exact)", lambda: atmosphere(z).density_kg_m3),
    ]
    try:
        import ambiance

        rows.append(("ambiance Atmosphere(z).density", lambda: ambiance.Atmosphere(z).density))
    except ImportError:
        print("(ambiance not installed: peer skipped)")
    exact = atmosphere(z).density_kg_m3
    print(f"\n## Atmosphere: {n:,} heights 0 .. 81 km, best of {repeat}")
    print(f"{'':<32}{'points/s':>13}   max rel. density error vs exact USSA76")
    for name, fn in rows:
        rate = n / best_time(fn, repeat)
        err = np.abs(fn() / exact - 1.0).max()
        print(f"{name:<32}{rate:>13,.0f}   {err:.1e}")


def countries(n: int, n_naive: int, repeat: int, rng: np.random.Generator) -> None:
    try:
        from bmdsim.earth import country_at
        from bmdsim.earth.geography.borders import countries as all_countries
        from bmdsim.earth.geography.borders import country_geometry
    except (ImportError, AttributeError) as exc:
        print(f"\n## country_at: skipped (not importable: {exc})")
        return
    import shapely

    lat = rng.uniform(BOX[0], BOX[1], n)
    lon = rng.uniform(BOX[2], BOX[3], n)
    t0 = time.perf_counter()
    country_at(0.0, 0.0)  # load the data once
    load_s = time.perf_counter() - t0
    ours = country_at(lat, lon)
    rate = n / best_time(lambda: country_at(lat, lon), repeat)

    codes = all_countries()
    geoms = [country_geometry(c) for c in codes]
    shapely.prepare(geoms)
    lat_s, lon_s = lat[:n_naive], lon[:n_naive]

    def naive():
        out = np.full(n_naive, None, dtype=object)
        for code, g in zip(codes, geoms, strict=True):
            out[shapely.contains_xy(g, lon_s, lat_s)] = code
        return out

    ref = naive()
    naive_rate = n_naive / best_time(naive, max(1, repeat - 1))
    agree = np.mean(ref == ours[:n_naive])
    box = f"lat {BOX[0]:.0f}..{BOX[1]:.0f}, lon {BOX[2]:.0f}..{BOX[3]:.0f} deg"
    print(f"\n## country_at: {n:,} random points, {box}; data load {load_s * 1e3:.0f} ms")
    naive_txt = f"naive: contains_xy of {len(codes)} prepared countries ({n_naive:,} points)"
    print(f"{'country_at':<62}{rate:>13,.0f} points/s")
    print(f"{naive_txt:<62}{naive_rate:>13,.0f} points/s")
    print(f"{'ratio country_at / naive':<62}{rate / naive_rate:>13,.0f}")
    print(f"{'answers agree on the naive subset':<62}{agree * 100:>12.3f} %")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--n", type=int, default=1_000_000, help="points per measurement")
    parser.add_argument("--n-naive", type=int, default=100_000, help="points for the naive lookup")
    parser.add_argument("--repeat", type=int, default=3, help="best of this many runs")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    frames(args.n, args.repeat, rng)
    air(args.n, args.repeat, rng)
    countries(args.n, args.n_naive, args.repeat, rng)


if __name__ == "__main__":
    main()
