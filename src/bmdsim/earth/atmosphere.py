"""U.S. Standard Atmosphere 1976 (USSA76), -5 km to 1,000 km geometric altitude, vectorised.

Source: *U.S. Standard Atmosphere, 1976*, NOAA-S/T 76-1562 (NASA-TM-X-74335), U.S. Government
Printing Office, Washington D.C., 1976 (Part 1: defining equations and constants; Table I:
temperature, pressure, density; Table III: speed of sound). The upper-atmosphere coefficients
were cross-checked against S. S. Pietrobon's public-domain implementation of the standard
(Public Domain Aeronautical Software, ``ussa1976``, 1999).

Below 86 km (84.852 km geopotential) the seven standard layers are evaluated with the exact
closed forms of the standard: linear molecular-scale temperature ``T_M`` in geopotential
height ``H = r0 Z / (r0 + Z)``, hydrostatic pressure (power law, or exponential in the
isothermal layers), ``rho = P M0 / (R* T_M)``. Between 80 and 86 km the kinetic temperature is
``T = T_M M / M0`` with the standard's tabulated molecular-weight ratio, linearly interpolated.

Above 86 km the standard defines the kinetic temperature in four segments (isothermal to
91 km, elliptical to 110 km, linear to 120 km, exponential to 1,000 km) and the number
densities of N2, O, O2, Ar, He and H by vertical diffusion equations with the standard's
boundary values, eddy and molecular diffusion coefficients, thermal-diffusion factors and flux
terms. This module integrates those equations once, on first use (about 20 ms), on a 10 m
grid (trapezoidal rule, vectorised: the only coupling is one-way, N2 -> O, O2 -> Ar, He -> H);
``P = n k T`` and ``rho = sum(n_i M_i) / N_A``. The result matches the standard's Table I to
0.03 % from 86 to 1,000 km (see ``tests/validation/test_atmosphere.py``). Pressure and density
at an arbitrary altitude above 86 km are linearly interpolated in ``log`` on that grid
(interpolation error < 1e-5 relative); the temperature is the exact closed form.
The equations are written out in ``docs/models/earth.md``.

Speed of sound: ``c = sqrt(gamma R* T_M / M0)`` (eq. 50) below 86 km. The standard gives no
speed of sound above 86 km (the continuum assumption fails there); this module uses the same
formula with the *kinetic* temperature, ``sqrt(gamma R* T / M0)``, continuous to 0.02 % at 86 km.

Outside the standard's range:

* below -5 km (the standard's lowest table altitude) every quantity is clamped to its -5 km value;
* above 1,000 km density and pressure are **0** and the temperature/speed of sound keep the
  exponential temperature law (which tends to T_inf = 1,000 K); drag is negligible there.

NaN altitudes propagate to NaN outputs.

Fast path for the flight equations of motion: :func:`density` reads a precomputed table of
``ln rho`` on a uniform 10 m grid from -5 km to 1,000 km (one multiply, one floor, two gathers,
one exp per point; error < 1e-4 relative everywhere, see the tests). The same table and a
scalar kernel are available to numba code: :func:`density_table` returns the arrays and
``density_jit`` (created on first access, ``numba.njit(cache=True)``) evaluates one altitude.
"""

from __future__ import annotations

from typing import NamedTuple

import numpy as np

# --- constants of the standard (Part 1) -------------------------------------------------------
#: Universal gas constant R* [J / (kmol K)] (the standard's value, not CODATA).
R_STAR: float = 8314.32
#: Sea-level mean molecular weight M0 [kg/kmol].
M0: float = 28.9644
#: Standard gravity g0 [m/s^2].
G0: float = 9.80665
#: Effective Earth radius r0 for geopotential height [m].
R0_M: float = 6_356_766.0
#: Boltzmann constant k [J/K] (the standard's value).
K_BOLTZMANN: float = 1.380622e-23
#: Avogadro constant N_A [1/kmol] (the standard's value).
N_AVOGADRO: float = 6.022169e26
#: Ratio of specific heats of air.
GAMMA: float = 1.40
#: Sea-level pressure [Pa] and temperature [K].
P0_PA: float = 101_325.0
T0_K: float = 288.15

#: Valid range of the model, geometric altitude [m]; outside it see the module docstring.
ALT_MIN_M: float = -5_000.0
ALT_MAX_M: float = 1_000_000.0
#: Geometric altitude [m] where the lower (mixed) model hands over to the upper model.
Z7_M: float = 86_000.0

# --- lower atmosphere: the seven layers (base heights and gradients, Table 4) -----------------
_HB = np.array([0.0, 11_000.0, 20_000.0, 32_000.0, 47_000.0, 51_000.0, 71_000.0, 84_852.0])
_LM = np.array([-6.5e-3, 0.0, 1.0e-3, 2.8e-3, 0.0, -2.8e-3, -2.0e-3])  # K per geopotential m
_A_STAR = G0 * M0 / R_STAR  # g0 M0 / R*  [K/m]


def _layer_bases() -> tuple[np.ndarray, np.ndarray]:
    tb = np.empty(7)
    pb = np.empty(7)
    tb[0], pb[0] = T0_K, P0_PA
    for b in range(6):
        dh = _HB[b + 1] - _HB[b]
        tb[b + 1] = tb[b] + _LM[b] * dh
        if _LM[b] == 0.0:
            pb[b + 1] = pb[b] * np.exp(-_A_STAR * dh / tb[b])
        else:
            pb[b + 1] = pb[b] * (tb[b] / tb[b + 1]) ** (_A_STAR / _LM[b])
    return tb, pb


_TB, _PB = _layer_bases()

# Molecular-weight ratio M/M0 from 80 to 86 km at 0.5 km steps (the standard's table).
_MW_RATIO = np.array(
    [
        1.000000, 0.999996, 0.999989, 0.999971, 0.999941, 0.999909, 0.999870,
        0.999829, 0.999786, 0.999741, 0.999694, 0.999641, 0.999579,
    ]
)  # fmt: skip
_MW_Z = np.linspace(80_000.0, 86_000.0, _MW_RATIO.size)


def _lower(z_m: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Exact USSA76 below 86 km: (pressure Pa, density kg/m^3, kinetic T K, molecular-scale T_M K)."""
    h = R0_M * z_m / (R0_M + z_m)
    b = np.clip(np.searchsorted(_HB, h, side="right") - 1, 0, 6)
    tb, pb, lm = _TB[b], _PB[b], _LM[b]
    dh = h - _HB[b]
    tm = tb + lm * dh
    iso = lm == 0.0
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.where(iso, 1.0, tb / tm)
        expo = np.where(iso, -_A_STAR * dh / tb, _A_STAR / np.where(iso, 1.0, lm) * np.log(ratio))
    p = pb * np.exp(expo)
    rho = p * (M0 / R_STAR) / tm
    t = tm * np.interp(z_m, _MW_Z, _MW_RATIO, left=1.0, right=_MW_RATIO[-1])
    return p, rho, t, tm


# --- upper atmosphere: kinetic temperature ----------------------------------------------------
T7_K: float = 186.8673  # kinetic temperature at 86 km
_Z8, _Z9, _Z10 = 91_000.0, 110_000.0, 120_000.0
_TC, _A_ELL, _a_ELL = 263.1905, -76.3232, 19_942.9  # elliptical segment: T_c [K], A [K], |a| [m]
_T9, _LK9, _T10 = 240.0, 0.012, 360.0
T_INF_K: float = 1000.0
_LAMBDA = _LK9 / (T_INF_K - _T10)  # 1.875e-5 per m


def _upper_temperature(z_m: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Kinetic temperature [K] and its gradient dT/dZ [K/m] above 86 km (any z >= 86 km)."""
    z = np.asarray(z_m, dtype=float)
    b_ell = np.clip((z - _Z8) / _a_ELL, -1.0, 1.0)
    root = np.sqrt(1.0 - b_ell * b_ell)
    xi = (z - _Z10) * (R0_M + _Z10) / (R0_M + z)
    decay = (T_INF_K - _T10) * np.exp(-_LAMBDA * xi)
    seg = np.searchsorted(np.array([_Z8, _Z9, _Z10]), z, side="right")
    t = np.choose(
        seg, [np.full_like(z, T7_K), _TC + _A_ELL * root, _T9 + _LK9 * (z - _Z9), T_INF_K - decay]
    )
    with np.errstate(divide="ignore", invalid="ignore"):
        dt_ell = -_A_ELL * b_ell / (_a_ELL * np.where(root > 0.0, root, 1.0))
    dt_exp = _LAMBDA * ((R0_M + _Z10) / (R0_M + z)) ** 2 * decay
    dt = np.choose(seg, [np.zeros_like(z), dt_ell, np.full_like(z, _LK9), dt_exp])
    return t, dt


# --- upper atmosphere: number densities -------------------------------------------------------
# species order: N2, O, O2, Ar, He, H
_M_I = np.array([28.0134, 15.9994, 31.9988, 39.948, 4.0026, 1.00797])  # kg/kmol
_N7 = np.array([1.129794e20, 8.6e16, 3.030898e19, 1.3514e18, 7.58173e14])  # 1/m^3 at 86 km
_ALPHA = np.array([0.0, 0.0, 0.0, 0.0, -0.40, -0.25])  # thermal-diffusion coefficients
# molecular diffusion D_i = a_i (T / 273.15)^b_i / n, for O, O2, Ar, He, H
_A_DIFF = np.array([np.nan, 6.986e20, 4.863e20, 4.487e20, 1.700e21, 3.305e21])  # 1/(m s)
_B_DIFF = np.array([np.nan, 0.750, 0.750, 0.870, 0.691, 0.500])
# vertical flux terms v_i / (D_i + K) = Q (Z - U)^2 exp(-W (Z - U)^3), O..He
_Q_FLUX = np.array([np.nan, -5.809644e-13, 1.366212e-13, 9.434079e-14, -2.457369e-13])  # 1/m^3
_U_FLUX = np.array([np.nan, 56_903.11, 86_000.0, 86_000.0, 86_000.0])  # m
_W_FLUX = np.array([np.nan, 2.706240e-14, 8.333333e-14, 8.333333e-14, 6.666667e-13])  # 1/m^3
# additional O term below 97 km: q (u - Z)^2 exp(-w (u - Z)^3)
_QO, _UO, _WO = -3.416248e-12, 97_000.0, 5.008765e-13
_Z_MIX = 100_000.0  # below: mean molecular weight M0 in the mixing terms
_K7, _Z_EDDY, _Z_EDDY_END, _A_EDDY = 120.0, 95_000.0, 115_000.0, 4.0e8  # eddy diffusion
_Z_H0, _Z11 = 150_000.0, 500_000.0  # hydrogen: computed from 150 km; reference level 500 km
_N_H11 = 8.0e10  # 1/m^3, hydrogen at 500 km
_PHI_H = 7.2e11  # 1/(m^2 s), vertical flux of hydrogen
_TD = 273.15


def _cumtrapz(f: np.ndarray, dz: float) -> np.ndarray:
    out = np.empty_like(f)
    out[0] = 0.0
    np.cumsum(0.5 * dz * (f[1:] + f[:-1]), out=out[1:])
    return out


def _upper_number_densities(z: np.ndarray, dz: float) -> tuple[np.ndarray, np.ndarray]:
    """Number densities ``(6, n)`` [1/m^3] and kinetic temperature on a uniform grid from 86 km."""
    t, dtdz = _upper_temperature(z)
    g = G0 * (R0_M / (R0_M + z)) ** 2
    dz_e = z - _Z_EDDY
    with np.errstate(divide="ignore", over="ignore"):
        eddy = np.where(
            z < _Z_EDDY,
            _K7,
            np.where(z < _Z_EDDY_END, _K7 * np.exp(1.0 - _A_EDDY / (_A_EDDY - dz_e * dz_e)), 0.0),
        )
    gr = g / (R_STAR * t)
    mixed = z < _Z_MIX
    n = np.zeros((6, z.size))
    # N2: mixed (M0) below 100 km, diffusive (M_N2) above
    f_n2 = np.where(mixed, M0, _M_I[0]) * gr
    n[0] = _N7[0] * T7_K / t * np.exp(-_cumtrapz(f_n2, dz))

    def diffusive(i: int, n_sum: np.ndarray, m_mean: np.ndarray) -> np.ndarray:
        d = _A_DIFF[i] * (t / _TD) ** _B_DIFF[i] / n_sum
        m_mix = np.where(mixed, M0, m_mean)
        f = gr * (d * _M_I[i] + m_mix * eddy + _ALPHA[i] * d * R_STAR * dtdz / g) / (d + eddy)
        a = z - _U_FLUX[i]
        f = f + _Q_FLUX[i] * a * a * np.exp(-_W_FLUX[i] * a * a * a)
        if i == 1:
            a = np.maximum(_UO - z, 0.0)
            f = f + _QO * a * a * np.exp(-_WO * a * a * a)
        return _N7[i] * T7_K / t * np.exp(-_cumtrapz(f, dz))

    # O and O2 diffuse through N2; Ar and He through N2 + O + O2 (the standard's convention)
    m_n2 = np.full_like(z, _M_I[0])
    n[1] = diffusive(1, n[0], m_n2)
    n[2] = diffusive(2, n[0], m_n2)
    heavy = n[0] + n[1] + n[2]
    m_heavy = (n[0] * _M_I[0] + n[1] * _M_I[1] + n[2] * _M_I[2]) / heavy
    n[3] = diffusive(3, heavy, m_heavy)
    n[4] = diffusive(4, heavy, m_heavy)

    # H: from 150 km, flux-limited below 500 km, diffusive equilibrium above
    i11 = round((_Z11 - z[0]) / dz)
    t11 = t[i11]
    tau = _cumtrapz(_M_I[5] * gr, dz)
    tau = tau - tau[i11]  # integral of g M_H / (R* T) from 500 km
    n_all = heavy + n[3] + n[4]
    d_h = _A_DIFF[5] * (t / _TD) ** _B_DIFF[5] / n_all
    power = (t / t11) ** (1.0 + _ALPHA[5])
    flux_int = _cumtrapz(np.where(z <= _Z11, _PHI_H / d_h * power * np.exp(tau), 0.0), dz)
    flux_int = flux_int - flux_int[i11]  # integral from 500 km
    n_h = (_N_H11 - flux_int) * np.exp(-tau) / power
    n[5] = np.where(z >= _Z_H0, n_h, 0.0)
    return n, t


# --- precomputed tables -----------------------------------------------------------------------
#: Grid step of the precomputed tables [m].
TABLE_STEP_M: float = 10.0


def _build_tables() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Uniform grid -5 km .. 1,000 km: altitude [m], ln(pressure/Pa), ln(density/(kg/m^3))."""
    z = np.linspace(ALT_MIN_M, ALT_MAX_M, round((ALT_MAX_M - ALT_MIN_M) / TABLE_STEP_M) + 1)
    up = z >= Z7_M
    log_p = np.empty_like(z)
    log_rho = np.empty_like(z)
    p, rho, _, _ = _lower(z[~up])
    log_p[~up], log_rho[~up] = np.log(p), np.log(rho)
    n, t = _upper_number_densities(z[up], TABLE_STEP_M)
    log_p[up] = np.log(n.sum(axis=0) * K_BOLTZMANN * t)
    log_rho[up] = np.log((n * _M_I[:, None]).sum(axis=0) / N_AVOGADRO)
    return z, log_p, log_rho


_TABLE_INV_STEP = 1.0 / TABLE_STEP_M
_TABLE_LAST = round((ALT_MAX_M - ALT_MIN_M) / TABLE_STEP_M)  # index of the 1,000 km node
# (ln p, slope, ln rho, slope) tables, built on first use (about 20 ms) so that importing is cheap
_TABLES: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray] | None = None
# the density table as a plain global for the numba kernel (set when the tables are built)
_TABLE_LOG_RHO: np.ndarray = np.empty(0)


def _tables() -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """``(ln p, d ln p per node, ln rho, d ln rho per node)`` on the uniform grid."""
    global _TABLES, _TABLE_LOG_RHO
    if _TABLES is None:
        _, log_p, log_rho = _build_tables()
        slope_p = np.append(np.diff(log_p), 0.0)
        slope_rho = np.append(np.diff(log_rho), 0.0)
        for a in (log_p, slope_p, log_rho, slope_rho):
            a.setflags(write=False)
        _TABLE_LOG_RHO = log_rho
        _TABLES = (log_p, slope_p, log_rho, slope_rho)
    return _TABLES


def _lerp_log(table: np.ndarray, slope: np.ndarray, alt_m) -> np.ndarray:
    """``exp`` of the linear interpolation of a log table at altitudes [m], any shape.

    Clamped to the -5 km node below -5 km, 0 above 1,000 km, NaN for NaN.
    """
    alt = np.asarray(alt_m, dtype=float)
    x = alt.reshape(-1) - ALT_MIN_M
    x *= _TABLE_INV_STEP
    xc = np.clip(x, 0.0, float(_TABLE_LAST))  # NaN stays NaN
    i = np.fmax(xc, 0.0).astype(np.intp)  # NaN -> node 0, for indexing only
    w = xc - i  # NaN propagates into the result
    out = table[i]
    w *= slope[i]
    out += w
    np.exp(out, out=out)
    out[x > _TABLE_LAST] = 0.0
    return out.reshape(alt.shape)


class Atmosphere(NamedTuple):
    """Atmospheric state; each field has the shape of the altitude input.

    Unpacks as ``density, pressure, temperature, speed_of_sound``.
    """

    #: Mass density [kg/m^3].
    density_kg_m3: np.ndarray
    #: Pressure [Pa].
    pressure_pa: np.ndarray
    #: Kinetic temperature [K].
    temperature_k: np.ndarray
    #: Speed of sound [m/s] (above 86 km from the kinetic temperature, see module docstring).
    speed_of_sound_m_s: np.ndarray


def atmosphere(alt_m) -> Atmosphere:
    """USSA76 density, pressure, temperature and speed of sound at geometric altitudes [m].

    ``alt_m`` is height above mean sea level (in the simulator: the WGS-84 ellipsoidal height),
    any shape. Exact closed forms below 86 km; above, the standard's upper model (see the
    module docstring). Below -5 km values are clamped to -5 km; above 1,000 km density and
    pressure are 0.
    """
    alt = np.asarray(alt_m, dtype=float)
    z = np.maximum(alt, ALT_MIN_M)  # NaN propagates through maximum
    flat = z.reshape(-1)
    rho = np.empty_like(flat)
    p = np.empty_like(flat)
    t = np.empty_like(flat)
    tm = np.empty_like(flat)
    low = flat < Z7_M
    if low.any():
        p[low], rho[low], t[low], tm[low] = _lower(flat[low])
    high = ~low
    if high.any():
        zh = flat[high]
        th, _ = _upper_temperature(zh)
        log_p, slope_p, log_rho, slope_rho = _tables()
        p[high] = _lerp_log(log_p, slope_p, zh)
        rho[high] = _lerp_log(log_rho, slope_rho, zh)
        t[high] = th
        tm[high] = th
    c = np.sqrt((GAMMA * R_STAR / M0) * tm)
    shape = alt.shape
    return Atmosphere(rho.reshape(shape), p.reshape(shape), t.reshape(shape), c.reshape(shape))


def density(alt_m) -> np.ndarray:
    """USSA76 mass density [kg/m^3] at geometric altitudes [m], any shape (fast table path).

    Linear interpolation of ``ln rho`` on a 10 m grid; relative error < 1e-4 everywhere
    against :func:`atmosphere`. Clamped to the -5 km value below -5 km; 0 above 1,000 km.
    """
    _, _, log_rho, slope_rho = _tables()
    return _lerp_log(log_rho, slope_rho, alt_m)


def density_table() -> tuple[float, float, np.ndarray]:
    """``(alt_min_m, inv_step_per_m, log_rho)`` of the fast density table, for numba kernels.

    ``rho(z) = exp(lerp(log_rho, (z - alt_min_m) * inv_step_per_m))``; the array is read-only.
    """
    return ALT_MIN_M, _TABLE_INV_STEP, _tables()[2]


def _density_scalar(alt_m: float) -> float:
    """One altitude [m] -> density [kg/m^3]; same rule as :func:`density` (numba-compilable).

    Reads the module global ``_TABLE_LOG_RHO``: call :func:`_tables` first (``density_jit``
    does; numba freezes the array into the compiled code).
    """
    x = (alt_m - ALT_MIN_M) * _TABLE_INV_STEP
    if x != x:  # NaN
        return x
    if x > _TABLE_LAST:
        return 0.0
    x = max(x, 0.0)
    i = min(int(x), _TABLE_LAST - 1)
    w = x - i
    lo = _TABLE_LOG_RHO[i]
    return np.exp(lo + w * (_TABLE_LOG_RHO[i + 1] - lo))


def __getattr__(name: str):
    # ``density_jit``: numba-compiled scalar density, created on first access so that
    # importing this module does not import numba.
    if name == "density_jit":
        import numba

        _tables()
        fn = numba.njit(cache=True, nogil=True)(_density_scalar)
        globals()[name] = fn
        return fn
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "ALT_MAX_M",
    "ALT_MIN_M",
    "Atmosphere",
    "atmosphere",
    "density",
    "density_table",
]
