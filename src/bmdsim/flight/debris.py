"""Debris of a hit-to-kill intercept: fragments, their fall with drag, the ground footprint.

Four steps (equations, parameters and sources in ``docs/models/debris.md``):

1. :func:`generate_fragments` breaks the threat and the kill vehicle up with the NASA
   Standard Breakup Model for collisions (Johnson, Krisko, Liou & Anz-Meador, "NASA's new
   breakup model of EVOLVE 4.0", *Adv. Space Res.* 28(9):1377-1384, 2001): number of
   fragments larger than ``Lc``, ``N(Lc) = 0.1 M^0.75 Lc^-1.71``; the bimodal (>11 cm) and
   unimodal (<8 cm) distributions of ``log10(A/m)``; the area ``A(Lc)``; the ejection speed
   ``log10(dv) ~ N(0.9 log10(A/m) + 2.9, 0.4)``. The cloud is represented by ``F``
   *representative* fragments (log-uniform, stratified sizes), each standing for ``count``
   real fragments and carrying their mass, so that mass and momentum are conserved exactly:
   every fragment starts at the intercept point with the velocity of the centre of mass of
   the two bodies (perfectly inelastic collision) plus its ejection velocity, the ejection
   velocities having zero mass-weighted mean.
2. :func:`fly_debris` flies every fragment to the ground in one batch with the flight
   layer's equations of motion (:func:`bmdsim.flight.dynamics.derivative`: J2, Earth
   rotation, USSA76 drag from the fragment's ballistic coefficient) and the batched
   Dormand-Prince integrator of :mod:`bmdsim.core.integrate`. Still air (no wind). A
   fragment that has slowed to its terminal descent (horizontal speed and acceleration
   nearly zero) is handed off to the quasi-steady solution of the same equations: it falls
   vertically at its terminal speed, the fall time being a quadrature over altitude; light
   fragments would otherwise need thousands of stability-limited steps.
3. :func:`footprint`: the polygon holding ``mass_fraction`` of the landed mass (convex hull
   of the fragments left after trimming the outermost mass by a mass-weighted Mahalanobis
   distance, iterated to a fixed point), countries by mass and the named places inside or
   nearest to it.
4. :func:`impact_report`: country and nearest places of a single impact point (an
   unintercepted threat).

Frames: states are ECEF (WGS-84) ``[x, y, z, vx, vy, vz]`` in m and m/s; geographic output
in WGS-84 degrees; polygons in (lon, lat) order (GeoJSON).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from enum import StrEnum
from functools import partial
from typing import TYPE_CHECKING

import numpy as np

from bmdsim.core.integrate import dopri5
from bmdsim.earth.constants import A_M, B_M, G0_M_S2
from bmdsim.earth.frames import (
    ecef_to_enu,
    ecef_to_geodetic,
    enu_basis,
    enu_to_ecef,
    geodetic_to_ecef,
)
from bmdsim.earth.gravity import gravity_ecef
from bmdsim.flight.air import air_table, interpolate
from bmdsim.flight.dynamics import Physics, altitude, derivative
from bmdsim.flight.propagation import (
    COAST_ATOL,
    GENERIC_RV_DRAG_CURVE,
    ballistic_aero,
    predict_impact,
)

#: Exponent of the cumulative size distribution of collision fragments (Johnson et al. 2001).
SIZE_EXPONENT: float = 1.71
#: Characteristic lengths [m] between which the small- and large-fragment A/m distributions
#: are bridged (Johnson et al. 2001).
BRIDGE_M: tuple[float, float] = (0.08, 0.11)
#: Mean and spread of ``log10(dv [m/s])`` for collision fragments: ``(slope, offset, sigma)``
#: in ``mu = slope * log10(A/m) + offset`` (Johnson et al. 2001).
COLLISION_DELTA_V: tuple[float, float, float] = (0.9, 2.9, 0.4)
#: Horizontal speed [m/s] and acceleration [m/s^2 / g0] below which a falling fragment is in
#: terminal descent and handed off to the quasi-steady fall.
TERMINAL_HORIZONTAL_SPEED_M_S: float = 0.5
TERMINAL_ACCELERATION_G: float = 0.02
#: Smallest fraction of the landed mass for a country to count as touched by the debris.
COUNTRY_MIN_FRACTION: float = 1e-3
#: Longest fall :func:`fly_debris` follows [s] (fragments still aloft are reported not landed).
MAX_FALL_S: float = 7_200.0
#: Relative tolerance of the fragments' fall (Dormand-Prince 5(4), per step).
FALL_RTOL: float = 1e-6

if TYPE_CHECKING:
    import shapely

    from bmdsim.earth.geography.places import Place

_LN10 = np.log(10.0)
_CD_REF = GENERIC_RV_DRAG_CURVE[-1][1]


class AreaToMassClass(StrEnum):
    """Which large-fragment (>11 cm) A/m distribution of the breakup model applies."""

    #: Spacecraft-like structures (Johnson et al. 2001, eq. 6, "S/C").
    SPACECRAFT = "spacecraft"
    #: Rocket bodies (eq. 5, "R/B").
    ROCKET_BODY = "rocket-body"


@dataclass(frozen=True, slots=True, kw_only=True)
class DebrisModel:
    """Parameters of the breakup and of the fragments' flight (defaults: a catastrophic
    hit-to-kill intercept; see ``docs/models/debris.md``)."""

    #: Number of representative fragments ``F`` (the real cloud holds many more).
    n_fragments: int = 1_000
    #: Smallest characteristic length represented [m].
    min_length_m: float = 0.01
    #: Largest characteristic length [m]; ``None``: the length at which the breakup model's
    #: expected fragment mass between :attr:`min_length_m` and it equals the fragmenting mass.
    max_length_m: float | None = None
    area_to_mass: AreaToMassClass = AreaToMassClass.SPACECRAFT
    #: Multiplies every sampled A/m: below 1 for bodies denser than the spacecraft the
    #: model was fitted to (A/m ~ 1 / (bulk density * Lc) at a given size). The size range
    #: stays the model's; the number of fragments scales by about this factor.
    area_to_mass_factor: float = 1.0
    #: Hypersonic drag coefficient of a tumbling fragment on its mean cross-section.
    drag_coefficient: float = 1.0
    #: Energy-to-target-mass ratio [J/g] above which a collision is catastrophic.
    catastrophic_threshold_j_g: float = 40.0
    #: Multiplier of the breakup model's ejection speeds.
    delta_v_scale: float = 1.0
    #: Ejection speeds are capped at this fraction of the closing speed.
    delta_v_cap_fraction: float = 1.0
    #: Concentration of the ejection directions (von Mises-Fisher) about the kill vehicle's
    #: velocity relative to the threat; 0: isotropic, as in the breakup model.
    cone_concentration: float = 0.0
    #: Mass of a warhead that survives a catastrophic breakup as one piece [kg] (0: none).
    warhead_mass_kg: float = 0.0
    #: Ballistic coefficient of a surviving warhead or of the remnant of a non-catastrophic
    #: collision [kg/m^2].
    warhead_ballistic_coefficient_kg_m2: float = 2_000.0

    def __post_init__(self) -> None:
        if self.n_fragments < 2:
            raise ValueError(f"n_fragments must be >= 2, got {self.n_fragments}")
        if not 1e-4 <= self.min_length_m < 1.0:
            raise ValueError(f"min_length_m must be in [1e-4, 1) m, got {self.min_length_m}")
        if self.max_length_m is not None and self.max_length_m <= self.min_length_m:
            raise ValueError("max_length_m must exceed min_length_m")
        positive = ("drag_coefficient", "catastrophic_threshold_j_g", "delta_v_cap_fraction",
                    "warhead_ballistic_coefficient_kg_m2", "area_to_mass_factor")  # fmt: skip
        for name in positive:
            if not getattr(self, name) > 0.0:
                raise ValueError(f"{name} must be > 0, got {getattr(self, name)}")
        if self.delta_v_scale < 0.0 or self.cone_concentration < 0.0 or self.warhead_mass_kg < 0:
            raise ValueError("delta_v_scale, cone_concentration and warhead_mass_kg must be >= 0")


# --- the breakup model (Johnson et al. 2001) ----------------------------------------------------


def cumulative_number(length_m, mass_kg) -> np.ndarray:
    """Number of collision fragments larger than ``length_m`` [m]: ``0.1 M^0.75 Lc^-1.71``
    with ``M`` [kg] the breakup model's mass parameter (Johnson et al. 2001, eq. 4)."""
    return 0.1 * np.asarray(mass_kg, float) ** 0.75 * np.asarray(length_m, float) ** -SIZE_EXPONENT


def area_from_length(length_m) -> np.ndarray:
    """Mean cross-sectional area [m^2] of a fragment of characteristic length [m] (eq. 8)."""
    lc = np.asarray(length_m, dtype=float)
    return np.where(lc < 0.00167, 0.540424 * lc * lc, 0.556945 * lc**2.0047077)


def _ramp(lam, lo, hi, v_lo, v_hi, a, b, c):
    """``v_lo`` for ``lam <= lo``, ``v_hi`` for ``lam >= hi``, ``a + b (lam + c)`` between."""
    return np.where(lam <= lo, v_lo, np.where(lam >= hi, v_hi, a + b * (lam + c)))


def area_to_mass_parameters(length_m, kind: AreaToMassClass) -> np.ndarray:
    """``(5, n)``: ``alpha, mu1, sigma1, mu2, sigma2`` of the bimodal distribution of
    ``log10(A/m [m^2/kg])`` of fragments larger than 11 cm (eqs. 5, 6):
    ``alpha N(mu1, sigma1) + (1 - alpha) N(mu2, sigma2)``."""
    lam = np.log10(np.atleast_1d(np.asarray(length_m, dtype=float)))
    one = np.ones_like(lam)
    if AreaToMassClass(kind) is AreaToMassClass.ROCKET_BODY:
        alpha = _ramp(lam, -1.4, 0.0, 1.0, 0.5, 1.0, -0.3571, 1.4)
        mu1 = _ramp(lam, -0.5, 0.0, -0.45, -0.9, -0.45, -0.9, 0.5)
        s1 = 0.55 * one
        mu2 = -0.9 * one
        s2 = _ramp(lam, -1.0, 0.1, 0.28, 0.1, 0.28, -0.1636, 1.0)
    else:
        alpha = _ramp(lam, -1.95, 0.55, 0.0, 1.0, 0.3, 0.4, 1.2)
        mu1 = _ramp(lam, -1.1, 0.0, -0.6, -0.95, -0.6, -0.318, 1.1)
        s1 = _ramp(lam, -1.3, -0.3, 0.1, 0.3, 0.1, 0.2, 1.3)
        mu2 = _ramp(lam, -0.7, -0.1, -1.2, -2.0, -1.2, -1.333, 0.7)
        s2 = _ramp(lam, -0.5, -0.3, 0.5, 0.3, 0.5, -1.0, 0.5)
    return np.stack([alpha, mu1, s1, mu2, s2])


def small_area_to_mass_parameters(length_m) -> np.ndarray:
    """``(2, n)``: ``mu, sigma`` of the normal distribution of ``log10(A/m)`` of fragments
    smaller than 8 cm (eq. 7)."""
    lam = np.log10(np.atleast_1d(np.asarray(length_m, dtype=float)))
    mu = _ramp(lam, -1.75, -1.25, -0.3, -1.0, -0.3, -1.4, 1.75)
    sigma = np.where(lam <= -3.5, 0.2, 0.2 + 0.1333 * (lam + 3.5))
    return np.stack([mu, sigma])


def _large_weight(length_m) -> np.ndarray:
    """Probability that a fragment follows the large-fragment distribution: 0 below 8 cm, 1
    above 11 cm, linear between (the bridge)."""
    lo, hi = BRIDGE_M
    return np.clip((np.asarray(length_m, dtype=float) - lo) / (hi - lo), 0.0, 1.0)


def sample_area_to_mass(length_m, kind: AreaToMassClass, rng: np.random.Generator) -> np.ndarray:
    """One ``A/m`` [m^2/kg] per characteristic length [m], drawn from the breakup model."""
    lc = np.atleast_1d(np.asarray(length_m, dtype=float))
    n = lc.size
    alpha, mu1, s1, mu2, s2 = area_to_mass_parameters(lc, kind)
    mu_s, s_s = small_area_to_mass_parameters(lc)
    u_bridge, u_mode = rng.random(n), rng.random(n)
    z = rng.standard_normal(n)
    large = u_bridge < _large_weight(lc)
    first = u_mode < alpha
    mu = np.where(large, np.where(first, mu1, mu2), mu_s)
    sigma = np.where(large, np.where(first, s1, s2), s_s)
    return 10.0 ** (mu + sigma * z)


def ejection_speed_m_s(area_to_mass_m2_kg, rng: np.random.Generator) -> np.ndarray:
    """Ejection speed [m/s] of collision fragments of the given A/m [m^2/kg] (eq. 12):
    ``log10(dv) ~ N(0.9 log10(A/m) + 2.9, 0.4)``; directions are drawn separately."""
    chi = np.log10(np.atleast_1d(np.asarray(area_to_mass_m2_kg, dtype=float)))
    slope, offset, sigma = COLLISION_DELTA_V
    return 10.0 ** (slope * chi + offset + sigma * rng.standard_normal(chi.size))


def mean_fragment_mass(length_m, kind: AreaToMassClass) -> np.ndarray:
    """Expected mass [kg] of a fragment of characteristic length [m]: ``A(Lc) E[1/(A/m)]``,
    with ``E[10^-chi] = 10^(-mu + sigma^2 ln(10) / 2)`` for normal ``chi``."""
    lc = np.atleast_1d(np.asarray(length_m, dtype=float))
    alpha, mu1, s1, mu2, s2 = area_to_mass_parameters(lc, kind)
    mu_s, s_s = small_area_to_mass_parameters(lc)

    def inv(mu, s):
        return 10.0 ** (-mu + 0.5 * _LN10 * s * s)

    w = _large_weight(lc)
    large = alpha * inv(mu1, s1) + (1.0 - alpha) * inv(mu2, s2)
    return area_from_length(lc) * (w * large + (1.0 - w) * inv(mu_s, s_s))


def expected_mass(min_length_m, max_length_m, mass_parameter_kg, kind: AreaToMassClass) -> float:
    """Expected total mass [kg] of the fragments between two characteristic lengths [m]:
    ``integral of -dN/dLc E[m | Lc] dLc`` (trapezoid on 2,000 log-spaced nodes)."""
    lc = np.geomspace(min_length_m, max_length_m, 2_000)
    y = SIZE_EXPONENT * cumulative_number(lc, mass_parameter_kg) * mean_fragment_mass(lc, kind)
    return float(np.sum(0.5 * (y[1:] + y[:-1]) * np.diff(np.log(lc))))  # y = -dN/dln(Lc) E[m]


def mass_closing_length_m(
    min_length_m: float, budget_kg: float, mass_parameter_kg: float, kind: AreaToMassClass
) -> float:
    """The characteristic length [m] at which the expected mass of the fragments from
    ``min_length_m`` up reaches ``budget_kg`` (at most 100 m)."""
    lc = np.geomspace(min_length_m, 100.0, 4_000)
    dens = SIZE_EXPONENT * cumulative_number(lc, mass_parameter_kg) * mean_fragment_mass(lc, kind)
    ln = np.log(lc)
    cum = np.concatenate([[0.0], np.cumsum(0.5 * (dens[1:] + dens[:-1]) * np.diff(ln))])
    if cum[-1] <= budget_kg:
        return 100.0
    return float(np.exp(np.interp(budget_kg, cum, ln)))


# --- fragments ---------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class FragmentBatch:
    """Representative fragments of one breakup, at the intercept time, ECEF.

    Fragment ``i`` stands for ``count[i]`` real fragments of characteristic length
    ``length_m[i]`` and area-to-mass ratio ``area_to_mass_m2_kg[i]`` that fly together; it
    carries their total mass ``mass_kg[i]``. ``sum(mass_kg)`` is the mass of both bodies and
    ``sum(mass_kg * states[:, 3:])`` their momentum. A surviving warhead or remnant is one
    fragment with ``remnant`` True (``count`` 1, ``length_m`` NaN).
    """

    #: ``(F, 6)`` ECEF state at the intercept [m, m/s].
    states: np.ndarray
    #: ``(F,)`` mass carried [kg].
    mass_kg: np.ndarray
    #: ``(F,)`` ballistic coefficient ``m / (Cd A)`` [kg/m^2] (hypersonic Cd).
    ballistic_coefficient_kg_m2: np.ndarray
    #: ``(F,)`` number of real fragments represented (the breakup model's number times
    #: :attr:`mass_scale`).
    count: np.ndarray
    #: ``(F,)`` characteristic length [m].
    length_m: np.ndarray
    #: ``(F,)`` area-to-mass ratio [m^2/kg].
    area_to_mass_m2_kg: np.ndarray
    #: ``(F, 3)`` ejection velocity relative to the centre of mass [m/s].
    delta_v_m_s: np.ndarray
    #: ``(F,)`` True for a surviving warhead or the remnant of a non-catastrophic collision.
    remnant: np.ndarray
    #: ``(3,)`` velocity of the centre of mass of both bodies [m/s].
    centre_of_mass_velocity_m_s: np.ndarray
    #: Speed of the kill vehicle relative to the threat [m/s].
    closing_speed_m_s: float
    #: Impact energy over the heavier body's mass [J/g]; catastrophic above the threshold.
    specific_energy_j_g: float
    catastrophic: bool
    #: Mass parameter ``M`` of the size distribution [kg].
    mass_parameter_kg: float
    #: Fragmenting mass over the mass of the sampled cloud: every count is scaled by it so
    #: that the masses add up exactly (close to 1 with the default size range).
    mass_scale: float

    def __len__(self) -> int:
        return int(self.mass_kg.size)


def von_mises_fisher_directions(
    axis: np.ndarray, kappa: float, n: int, rng: np.random.Generator
) -> np.ndarray:
    """``(n, 3)`` unit vectors from the von Mises-Fisher distribution of concentration
    ``kappa`` about the unit vector ``axis`` (uniform for ``kappa = 0``); the cosine to the
    axis is drawn by inversion of its exact CDF on the 2-sphere (Wood, *Commun. Stat. Simul.
    Comput.* 23(1), 1994)."""
    u, phi = rng.random(n), rng.uniform(0.0, 2.0 * np.pi, n)
    if kappa > 0.0:
        w = 1.0 + np.log(u + (1.0 - u) * np.exp(-2.0 * kappa)) / kappa
    else:
        w = 2.0 * u - 1.0
    e1 = np.cross(axis, [1.0, 0.0, 0.0] if abs(axis[0]) < 0.9 else [0.0, 1.0, 0.0])
    e1 /= np.linalg.norm(e1)
    e2 = np.cross(axis, e1)
    s = np.sqrt(np.clip(1.0 - w * w, 0.0, None))
    return w[:, None] * axis + (s * np.cos(phi))[:, None] * e1 + (s * np.sin(phi))[:, None] * e2


def generate_fragments(
    threat_state,
    threat_mass_kg: float,
    kill_vehicle_state,
    kill_vehicle_mass_kg: float,
    rng: np.random.Generator,
    *,
    model: DebrisModel | None = None,
) -> FragmentBatch:
    """Break up a threat hit by a kill vehicle (ECEF states ``(6,)`` [m, m/s], masses [kg]).

    Breakup model: NASA Standard Breakup Model for collisions (module docstring). The
    collision is catastrophic when ``0.5 m_light v_closing^2 / m_heavy`` exceeds
    :attr:`DebrisModel.catastrophic_threshold_j_g`; the mass parameter is then the sum of
    the masses, otherwise ``m_light v_closing^2`` (v in km/s) and the rest of the mass
    survives as one remnant. Sizes are stratified log-uniform between the model's smallest
    and largest lengths, each weighted by the number of real fragments it represents; the
    numbers are scaled by one common factor (:attr:`FragmentBatch.mass_scale`) so that the
    masses add up to the fragmenting mass exactly. All fragments start at the centre of mass of the
    two bodies.
    """
    model = DebrisModel() if model is None else model
    st = np.asarray(threat_state, dtype=float)
    sk = np.asarray(kill_vehicle_state, dtype=float)
    if st.shape != (6,) or sk.shape != (6,):
        raise ValueError("threat_state and kill_vehicle_state must be (6,) ECEF states")
    mt, mk = float(threat_mass_kg), float(kill_vehicle_mass_kg)
    if not (mt > 0.0 and mk > 0.0):
        raise ValueError("masses must be > 0 kg")
    total = mt + mk
    r0 = (mt * st[:3] + mk * sk[:3]) / total
    v_cm = (mt * st[3:] + mk * sk[3:]) / total
    v_rel = sk[3:] - st[3:]
    closing = float(np.linalg.norm(v_rel))
    light, heavy = min(mt, mk), max(mt, mk)
    energy_j_g = 0.5 * light * closing**2 / heavy / 1_000.0
    catastrophic = energy_j_g >= model.catastrophic_threshold_j_g
    if catastrophic:
        mass_param = total
        remnant_kg = model.warhead_mass_kg
        if remnant_kg >= mt:
            raise ValueError("warhead_mass_kg must be less than the threat's mass")
    else:
        mass_param = min(light * (closing / 1_000.0) ** 2, total)
        remnant_kg = total - mass_param
    budget = total - remnant_kg

    n = model.n_fragments - (1 if remnant_kg > 0.0 else 0)
    kind = model.area_to_mass
    lo = model.min_length_m
    hi = model.max_length_m
    if hi is None:
        hi = mass_closing_length_m(lo, budget, mass_param, kind)
    span = np.log(hi / lo)
    lc = lo * np.exp(span * (np.arange(n) + rng.random(n)) / n)
    # number represented: -dN/dLc / (n q(Lc)), q(Lc) = 1 / (Lc span) the log-uniform density
    count = SIZE_EXPONENT * cumulative_number(lc, mass_param) * span / n
    am = model.area_to_mass_factor * sample_area_to_mass(lc, kind, rng)
    each_kg = area_from_length(lc) / am
    scale = budget / float(count @ each_kg)  # mass closure: one factor on every count
    count = count * scale
    mass = count * each_kg
    beta = 1.0 / (model.drag_coefficient * am)

    # ejection speeds (eq. 12), capped, in directions about the relative velocity
    speed = model.delta_v_scale * ejection_speed_m_s(am, rng)
    speed = np.minimum(speed, model.delta_v_cap_fraction * closing)
    axis = v_rel / closing if closing > 0.0 else np.array([1.0, 0.0, 0.0])
    dv = speed[:, None] * von_mises_fisher_directions(axis, model.cone_concentration, n, rng)
    dv -= (mass @ dv) / budget  # zero net momentum relative to the centre of mass

    remnant = np.zeros(n, bool)
    length = lc
    if remnant_kg > 0.0:
        mass = np.append(mass, remnant_kg)
        beta = np.append(beta, model.warhead_ballistic_coefficient_kg_m2)
        count = np.append(count, 1.0)
        length = np.append(length, np.nan)
        am = np.append(
            am, 1.0 / (model.drag_coefficient * model.warhead_ballistic_coefficient_kg_m2)
        )
        dv = np.vstack([dv, np.zeros(3)])
        remnant = np.append(remnant, True)
    states = np.empty((mass.size, 6))
    states[:, :3] = r0
    states[:, 3:] = v_cm + dv
    return FragmentBatch(
        states=states,
        mass_kg=mass,
        ballistic_coefficient_kg_m2=beta,
        count=count,
        length_m=length,
        area_to_mass_m2_kg=am,
        delta_v_m_s=dv,
        remnant=remnant,
        centre_of_mass_velocity_m_s=v_cm,
        closing_speed_m_s=closing,
        specific_energy_j_g=energy_j_g,
        catastrophic=bool(catastrophic),
        mass_parameter_kg=float(mass_param),
        mass_scale=scale,
    )


# --- fall to the ground ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class DebrisImpacts:
    """Where and when each fragment reached the ground (NaN for those still aloft after the
    longest fall), with the mass it carries."""

    #: ``(F,)`` geodetic impact point [deg].
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    #: ``(F,)`` impact time [s] (scenario time).
    t_s: np.ndarray
    #: ``(F,)`` mass carried [kg].
    mass_kg: np.ndarray
    #: ``(F,)`` speed at impact [m/s].
    speed_m_s: np.ndarray
    #: ``(F,)`` True for fragments that reached the ground.
    landed: np.ndarray
    #: ``(F,)`` True where the fall ended in the quasi-steady terminal descent.
    terminal: np.ndarray

    def __len__(self) -> int:
        return int(self.mass_kg.size)


def _up(r: np.ndarray) -> np.ndarray:
    """``(M, 3)`` outward normal of the ellipsoid through each point (direction only)."""
    n = r / np.array([A_M * A_M, A_M * A_M, B_M * B_M])
    return n / np.linalg.norm(n, axis=1, keepdims=True)


def _terminal_event(f):
    """Event ``g(t, y, idx)``: positive while the object is above the ground and not yet in
    terminal descent: ``min(altitude, max(v_h - 0.5 m/s, |a| / g0 - 0.02))`` with ``v_h``
    the horizontal speed (the acceleration is evaluated only where ``v_h <= 0.5 m/s``;
    elsewhere ``g = min(altitude, v_h - 0.5 m/s)``, of the same sign)."""

    def g(t, y, idx):
        x, yy, z = y[:, 0], y[:, 1], y[:, 2]
        h = altitude(x, yy, z)
        up = _up(y[:, :3])
        v = y[:, 3:6]
        vr = np.einsum("ij,ij->i", v, up)
        vh2 = np.einsum("ij,ij->i", v, v) - vr * vr
        busy = np.sqrt(np.maximum(vh2, 0.0)) - TERMINAL_HORIZONTAL_SPEED_M_S
        low = np.flatnonzero(busy <= 0.0)
        if low.size:
            tt = np.broadcast_to(np.asarray(t, dtype=float), h.shape)[low]
            acc = np.asarray(f(tt, y[low], np.asarray(idx)[low]))[:, 3:6]
            a = np.sqrt(np.einsum("ij,ij->i", acc, acc)) / G0_M_S2 - TERMINAL_ACCELERATION_G
            busy[low] = np.maximum(busy[low], a)
        return np.minimum(h, busy)

    return g


def terminal_speed_m_s(alt_m, ballistic_coefficient_kg_m2, gravity_m_s2) -> np.ndarray:
    """Speed [m/s] at which drag balances gravity in still air, ``sqrt(2 beta g Cd_ref /
    (rho Cd(M)))`` with the Mach-dependent curve of :func:`bmdsim.flight.predict_impact`
    (fixed-point iteration on the Mach number)."""
    h = np.asarray(alt_m, dtype=float)
    lnrho, _, c = interpolate(air_table(), h.ravel())
    rho, c = np.exp(lnrho).reshape(h.shape), c.reshape(h.shape)
    mach_pts, cd_pts = np.array(GENERIC_RV_DRAG_CURVE).T
    k = 2.0 * np.asarray(ballistic_coefficient_kg_m2) * np.asarray(gravity_m_s2) * _CD_REF / rho
    v = np.sqrt(k / cd_pts[0])
    for _ in range(4):
        v = np.sqrt(k / np.interp(v / c, mach_pts, cd_pts))
    return v


def _quasi_steady_fall(r, beta, compiled: bool = True
                       ) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:  # fmt: skip
    """Vertical terminal fall from ECEF points ``r`` ``(M, 3)``: ground point (lat, lon),
    fall time [s] and speed at the ground [m/s]. Time = integral of dh / v_t(h) (Simpson,
    64 intervals in altitude). ``compiled``: the 65 points of each fall in one compiled
    loop (:func:`bmdsim.flight._debris_kernel.quasi_steady_times`, the same arithmetic to
    rounding) instead of numpy arrays ``(M, 65)``."""
    lat, lon, _ = ecef_to_geodetic(r)
    h0 = altitude(r[:, 0], r[:, 1], r[:, 2])
    ground = geodetic_to_ecef(lat, lon, 0.0)
    up = enu_basis(lat, lon)[:, 2, :]
    if compiled:
        from bmdsim.flight import _debris_kernel as dk

        table = air_table()
        mach_pts, cd_pts = np.array(GENERIC_RV_DRAG_CURVE, dtype=float).T
        t, v0 = np.empty(h0.shape[0]), np.empty(h0.shape[0])
        dk.quasi_steady_times(
            np.ascontiguousarray(ground), np.ascontiguousarray(up), np.ascontiguousarray(h0),
            np.ascontiguousarray(beta, dtype=float), np.ascontiguousarray(mach_pts),
            np.ascontiguousarray(cd_pts), float(_CD_REF), table.rows, float(table.alt_min_m),
            float(table.inv_step_per_m), int(table.last_node), t, v0,
        )  # fmt: skip
        return lat, lon, t, v0
    s = np.linspace(0.0, 1.0, 65)
    h = h0[:, None] * s[None, :]
    pts = ground[:, None, :] + h[..., None] * up[:, None, :]
    g = -np.sum(gravity_ecef(pts) * up[:, None, :], axis=-1)
    vt = terminal_speed_m_s(h, beta[:, None], g)
    w = np.ones(65)
    w[1:-1:2], w[2:-1:2] = 4.0, 2.0
    t = h0 / (3.0 * 64) * np.sum(w / vt, axis=1)
    return lat, lon, t, vt[:, 0]


def fly_debris(
    fragments: FragmentBatch,
    t_s: float,
    *,
    drag: bool = True,
    terminal_handoff: bool = True,
    max_fall_s: float = MAX_FALL_S,
    rtol: float = FALL_RTOL,
    compiled: bool = True,
) -> DebrisImpacts:
    """Fly fragments from their states at scenario time ``t_s`` [s] to the ground, in one batch.

    Equations of motion of :mod:`bmdsim.flight.dynamics` (J2, Earth rotation, USSA76 drag
    with the Mach curve of :func:`bmdsim.flight.predict_impact` scaled to each fragment's
    ballistic coefficient), still air. With ``terminal_handoff`` (and drag) a fragment whose
    horizontal speed is below 0.5 m/s and whose acceleration is below 0.02 g0 finishes its
    fall quasi-steadily: straight down at its local terminal speed. Otherwise (or with
    ``drag=False``) every fragment is integrated to the ground by
    :func:`~bmdsim.flight.predict_impact`. Fragments still aloft after ``max_fall_s`` get NaN
    and ``landed`` False.

    ``compiled`` (with the handoff): the fall is integrated by the compiled kernels of
    :mod:`bmdsim.flight._debris_kernel`, which reproduce the batched Dormand-Prince driver of
    :mod:`bmdsim.core.integrate` with the event ``_terminal_event`` bit for bit;
    ``compiled=False`` runs that numpy driver (the reference).
    """
    states = np.asarray(fragments.states, dtype=float)
    beta = np.asarray(fragments.ballistic_coefficient_kg_m2, dtype=float)
    n = states.shape[0]
    if not (drag and terminal_handoff):
        imp = predict_impact(
            states, t0_s=t_s, drag=drag, ballistic_coefficient_kg_m2=beta,
            max_coast_s=max_fall_s, rtol=rtol,
        )  # fmt: skip
        landed = np.isfinite(imp.t_s)
        return DebrisImpacts(
            lat_deg=imp.lat_deg, lon_deg=imp.lon_deg, t_s=imp.t_s,
            mass_kg=np.asarray(fragments.mass_kg, dtype=float),
            speed_m_s=np.linalg.norm(imp.state[:, 3:], axis=1), landed=landed,
            terminal=np.zeros(n, bool),
        )  # fmt: skip
    aero, unit_mass = ballistic_aero(n, beta)
    y0 = np.concatenate([states, unit_mass[:, None]], axis=1)
    t_end = float(t_s) + max_fall_s
    if compiled and max_fall_s > 0.0:
        t_fin, y_fin, event = _fall_compiled(float(t_s), y0, t_end, aero, rtol)
    else:
        f = partial(derivative, physics=Physics(), aero=aero)
        sol = dopri5(
            f, float(t_s), y0, t_end, rtol=rtol, atol=COAST_ATOL,
            event=_terminal_event(f), second_order=3,
        )  # fmt: skip
        t_fin, y_fin, event = sol.t_s, sol.y, sol.event
    r = y_fin[:, :3]
    h_end = altitude(r[:, 0], r[:, 1], r[:, 2])
    hit = event & (h_end <= 1.0)
    term = event & ~hit
    lat, lon, _ = ecef_to_geodetic(r)
    t = np.where(hit, t_fin, np.nan)
    speed = np.where(hit, np.linalg.norm(y_fin[:, 3:6], axis=1), np.nan)
    lat = np.where(event, lat, np.nan)
    lon = np.where(event, lon, np.nan)
    if term.any():
        la, lo, dt, vg = _quasi_steady_fall(r[term], beta[term], compiled)
        lat[term], lon[term] = la, lo
        t[term] = t_fin[term] + dt
        speed[term] = vg
    return DebrisImpacts(
        lat_deg=lat, lon_deg=lon, t_s=t, mass_kg=np.asarray(fragments.mass_kg, dtype=float),
        speed_m_s=speed, landed=event.copy(), terminal=term,
    )  # fmt: skip


#: Event-time tolerance of :func:`bmdsim.core.integrate.dopri5`'s defaults, which the numpy
#: path uses (its chunk size and step budget are :mod:`bmdsim.flight._debris_kernel`'s).
_EVENT_TOL_S = 1e-9


def _fall_compiled(t0_s: float, y0: np.ndarray, t_end_s: float, aero, rtol: float):
    """``(t_s, y, event)`` of :func:`bmdsim.core.integrate.dopri5` with the event
    :func:`_terminal_event` for the states ``y0`` ``(N, 7)`` from ``t0_s`` to ``t_end_s`` [s],
    computed by :mod:`bmdsim.flight._debris_kernel`: the driver's operations, except the
    step control's powers, the C library's ``pow`` (numpy's vectorised one may differ in the
    last bit), so that the numbers agree with the numpy driver to rounding.

    The live objects advance in lockstep, one step attempt each per iteration as in the
    driver, the iterations in compiled calls (:func:`~bmdsim.flight._debris_kernel.fall_steps`),
    and the objects crossing the event in the same attempt are located together (the
    driver's stopping rule of the Illinois search couples them)."""
    from bmdsim.flight import _debris_kernel as dk

    n = y0.shape[0]
    phys = dk.physics_arguments(aero)
    atol = np.broadcast_to(np.asarray(COAST_ATOL, dtype=float), (7,)).copy()
    rtol = float(rtol)
    Z, S, K = dk.state_arrays(t0_s, y0, t_end_s)
    t_fin = np.full(n, t0_s)
    y_fin = y0.copy()
    hit = np.zeros(n, bool)
    work, y1, f1 = np.empty(7), np.empty(7), np.empty(7)
    buf = np.empty((6, min(n, dk.CHUNK)))
    nrm, eo, p1, p2, gbuf, busy = buf
    grp = np.empty(n, dtype=np.intp)
    seq = np.arange(n, dtype=np.intp)
    L = np.empty((dk.N_LOCATE_ROWS, n))
    Ys = np.empty((n, 7))
    layout = np.ones(1, dtype=np.int64)

    def start_chunk(m, act):
        layout[0] = 1  # the driver's state array starts C-ordered
        dk.start(m, act, Z, S, work, y1, f1, gbuf, busy, rtol, atol, *phys)

    def run_steps(m, act, budget):
        return dk.fall_steps(m, act, budget, Z, S, K, nrm, eo, p1, p2, grp, seq, L, Ys, gbuf,
                             busy, work, layout, t_fin, y_fin, hit, _EVENT_TOL_S, rtol, atol,
                             *phys)  # fmt: skip

    dk.lockstep(np.arange(n, dtype=np.intp), S, start_chunk, run_steps)
    return t_fin, y_fin, hit


# --- footprint, countries, places --------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class CountryMass:
    """Debris mass [kg] that landed in a country (ISO 3166-1 alpha-3; ``None``: at sea) and
    its fraction of the landed mass."""

    country: str | None
    mass_kg: float
    fraction: float


@dataclass(frozen=True, slots=True, kw_only=True)
class ImpactReport:
    """Where an object (an unintercepted threat) hits: country (``None`` at sea) and the
    nearest named places (``distance_m`` from the impact point), nearest first."""

    lat_deg: float
    lon_deg: float
    country: str | None
    places: tuple[Place, ...]

    def summary(self) -> dict:
        """JSON-ready ``{lat_deg, lon_deg, country, places}``."""
        return {
            "lat_deg": self.lat_deg,
            "lon_deg": self.lon_deg,
            "country": self.country,
            "places": [_place_dict(p) for p in self.places],
        }


@dataclass(frozen=True, slots=True, kw_only=True)
class DebrisFootprint:
    """Ground footprint of a debris cloud.

    ``polygon``: shapely Polygon in (lon, lat) degrees holding at least ``mass_fraction``
    of the landed mass (``mass_inside_kg``); ``geojson`` the same as a GeoJSON Polygon
    dict. ``country_masses``: all landed mass by country, heaviest first. ``places``: named
    places inside the polygon or nearest to it; their ``distance_m`` is the distance to
    the polygon (0 inside).
    """

    polygon: shapely.Polygon
    geojson: dict
    mass_fraction: float
    mass_inside_kg: float
    landed_mass_kg: float
    total_mass_kg: float
    area_m2: float
    #: Mass-weighted centre of the fragments kept in the footprint [deg].
    centre_lat_deg: float
    centre_lon_deg: float
    country_masses: tuple[CountryMass, ...]
    places: tuple[Place, ...]

    @property
    def countries(self) -> tuple[str, ...]:
        """Countries where at least :data:`COUNTRY_MIN_FRACTION` of the landed mass fell,
        heaviest first (ISO alpha-3; the sea left out)."""
        return tuple(
            c.country
            for c in self.country_masses
            if c.country is not None and c.fraction >= COUNTRY_MIN_FRACTION
        )

    def summary(self) -> dict:
        """JSON-ready ``{countries, places, footprint_geojson, ...}`` for ``summary.json``."""
        return {
            "countries": list(self.countries),
            "countries_mass_kg": {
                ("sea" if c.country is None else c.country): c.mass_kg for c in self.country_masses
            },
            "places": [_place_dict(p) for p in self.places],
            "footprint_geojson": self.geojson,
            "mass_fraction": self.mass_fraction,
            "mass_inside_kg": self.mass_inside_kg,
            "landed_mass_kg": self.landed_mass_kg,
            "area_km2": self.area_m2 / 1e6,
            "centre": {"lat_deg": self.centre_lat_deg, "lon_deg": self.centre_lon_deg},
        }


def _place_dict(p) -> dict:
    return {
        "name": p.name,
        "country": p.country,
        "lat_deg": p.lat_deg,
        "lon_deg": p.lon_deg,
        "distance_km": None if p.distance_m is None else p.distance_m / 1e3,
    }


def impact_report(lat_deg: float, lon_deg: float, *, k: int = 5) -> ImpactReport:
    """Country (``None`` at sea) and the ``k`` nearest named places of an impact point [deg]."""
    from bmdsim.earth.geography.borders import country_at
    from bmdsim.earth.geography.places import nearest_places

    lat, lon = float(lat_deg), float(lon_deg)
    return ImpactReport(
        lat_deg=lat, lon_deg=lon, country=country_at(lat, lon),
        places=tuple(nearest_places(lat, lon, k=k)),
    )  # fmt: skip


def trim_by_mass(xy, weight, mass_fraction: float, *, max_iter: int = 50) -> np.ndarray:
    """Boolean mask of the points ``xy`` ``(n, 2)`` kept when the outermost
    ``1 - mass_fraction`` of the ``weight`` is trimmed by Mahalanobis distance.

    Concentration steps (Rousseeuw & Van Driessen, *Technometrics* 41(3), 1999, with mass
    weights): from all points, compute the weighted mean and covariance of the kept set,
    keep the points nearest to it in that metric until their weight reaches the fraction,
    repeat until the set no longer changes. A ridge of 1 m^2 keeps the covariance regular
    (coincident or collinear points).
    """
    xy = np.asarray(xy, dtype=float)
    w = np.asarray(weight, dtype=float)
    keep = np.ones(w.size, bool)
    target = mass_fraction * w.sum()
    for _ in range(max_iter):
        wk = w[keep]
        mu = wk @ xy[keep] / wk.sum()
        d = xy[keep] - mu
        cov = (wk[:, None] * d).T @ d / wk.sum() + np.eye(2)
        e = xy - mu
        d2 = np.einsum("ni,ij,nj->n", e, np.linalg.inv(cov), e)
        order = np.argsort(d2, kind="stable")
        cum = np.cumsum(w[order])
        n_keep = min(int(np.searchsorted(cum, target * (1.0 - 1e-12))) + 1, w.size)
        new = np.zeros(w.size, bool)
        new[order[:n_keep]] = True
        if np.array_equal(new, keep):
            break
        keep = new
    return keep


def footprint(
    impacts: DebrisImpacts,
    mass_fraction: float = 0.95,
    *,
    min_radius_m: float = 100.0,
    n_places: int = 5,
) -> DebrisFootprint:
    """The ground footprint holding ``mass_fraction`` of the landed debris mass.

    Method: landed fragments are projected on the plane tangent to the ellipsoid at their
    mass-weighted centre (ENU, metres); :func:`trim_by_mass` keeps the innermost
    ``mass_fraction`` of the mass in that metric; the polygon is the convex hull of the
    kept impact points in (lon, lat) degrees, longitudes unwrapped about the centre, so it
    holds every kept point. Where the kept points span less than ``min_radius_m`` squared
    (one point, a line), the polygon is their hull widened by ``min_radius_m`` in the plane. Countries by mass from
    :func:`bmdsim.earth.country_at` of every landed fragment; places from the gazetteer
    (:func:`bmdsim.earth.nearest_places` about the centre and the hull's vertices), sorted
    by distance to the polygon, then to the centre.
    """
    import shapely
    from pyproj import Geod

    from bmdsim.earth.geography.borders import country_at
    from bmdsim.earth.geography.places import nearest_places

    if not 0.0 < mass_fraction <= 1.0:
        raise ValueError(f"mass_fraction must be in (0, 1], got {mass_fraction}")
    landed = np.asarray(impacts.landed, bool) & np.isfinite(impacts.lat_deg)
    mass = np.asarray(impacts.mass_kg, dtype=float)
    if not landed.any():
        raise ValueError("no fragment reached the ground")
    lat, lon, w = impacts.lat_deg[landed], impacts.lon_deg[landed], mass[landed]
    xyz = geodetic_to_ecef(lat, lon, 0.0)
    c_lat, c_lon, _ = ecef_to_geodetic(w @ xyz / w.sum())
    xy = ecef_to_enu(xyz, c_lat, c_lon, 0.0)[:, :2]
    keep = trim_by_mass(xy, w, mass_fraction)
    k_lat, k_lon, _ = ecef_to_geodetic(w[keep] @ xyz[keep] / w[keep].sum())
    # longitudes unwrapped about the centre (left exactly as given where no turn is needed)
    lon_u = np.where(
        np.abs(lon - c_lon) <= 180.0, lon, c_lon + np.mod(lon - c_lon + 180.0, 360.0) - 180.0
    )

    spread = shapely.convex_hull(shapely.multipoints(xy[keep]))
    if spread.geom_type == "Polygon" and spread.area >= min_radius_m**2:
        polygon = shapely.convex_hull(shapely.multipoints(np.column_stack([lon_u, lat])[keep]))
    else:  # one point or a line: widen it in the plane
        ring = np.asarray(spread.buffer(min_radius_m, quad_segs=8).exterior.coords)
        e = np.column_stack([ring, np.zeros(len(ring))])
        v_lat, v_lon, _ = ecef_to_geodetic(enu_to_ecef(e, c_lat, c_lon, 0.0))
        v_lon = float(c_lon) + (np.mod(v_lon - c_lon + 180.0, 360.0) - 180.0)
        polygon = shapely.Polygon(np.column_stack([v_lon, v_lat]))
    vertices = np.asarray(polygon.exterior.coords)
    inside = shapely.intersects_xy(polygon, lon_u, lat)
    area, _ = Geod(ellps="WGS84").geometry_area_perimeter(polygon)

    codes = np.asarray(country_at(lat, lon), dtype=object)
    names, which = np.unique(np.where(codes == None, "", codes).astype(str), return_inverse=True)  # noqa: E711
    per = np.bincount(which.ravel(), weights=w, minlength=names.size)
    landed_mass = float(w.sum())
    country_masses = tuple(
        CountryMass(country=str(names[i]) or None, mass_kg=float(per[i]),
                    fraction=float(per[i]) / landed_mass)
        for i in np.argsort(-per, kind="stable")
    )  # fmt: skip

    q_lat = np.concatenate([[k_lat], vertices[:, 1]])
    q_lon = np.concatenate([[k_lon], vertices[:, 0]])
    found = nearest_places(q_lat, q_lon, k=max(n_places, 5))
    candidates = {(p.name, p.lat_deg, p.lon_deg): p for row in found for p in row}
    cand = list(candidates.values())
    p_xy = ecef_to_enu(
        geodetic_to_ecef([p.lat_deg for p in cand], [p.lon_deg for p in cand], 0.0),
        c_lat, c_lon, 0.0,
    )[:, :2]  # fmt: skip
    v_xy = ecef_to_enu(geodetic_to_ecef(vertices[:, 1], vertices[:, 0], 0.0), c_lat, c_lon, 0.0)
    p_lon = float(c_lon) + (
        np.mod(np.array([p.lon_deg for p in cand]) - c_lon + 180.0, 360.0) - 180.0
    )
    d_poly = np.where(
        shapely.intersects_xy(polygon, p_lon, [p.lat_deg for p in cand]),
        0.0,
        shapely.distance(shapely.Polygon(v_xy[:, :2]), shapely.points(p_xy)),
    )
    d_centre = np.hypot(*(p_xy - ecef_to_enu(geodetic_to_ecef(k_lat, k_lon, 0.0),
                                             c_lat, c_lon, 0.0)[:2]).T)  # fmt: skip
    order = np.lexsort((d_centre, d_poly))[:n_places]
    places = tuple(replace(cand[i], distance_m=float(d_poly[i])) for i in order)

    return DebrisFootprint(
        polygon=polygon,
        geojson=json.loads(shapely.to_geojson(polygon)),
        mass_fraction=float(mass_fraction),
        mass_inside_kg=float(w[inside].sum()),
        landed_mass_kg=landed_mass,
        total_mass_kg=float(mass.sum()),
        area_m2=abs(float(area)),
        centre_lat_deg=float(k_lat),
        centre_lon_deg=float(k_lon),
        country_masses=country_masses,
        places=places,
    )


# --- the whole chain ---------------------------------------------------------------------------


@dataclass(frozen=True, slots=True, kw_only=True)
class Debris:
    """Fragments of one intercept, their impacts and their footprint."""

    t_s: float
    fragments: FragmentBatch
    impacts: DebrisImpacts
    footprint: DebrisFootprint


def intercept_debris(
    threat_state,
    threat_mass_kg: float,
    kill_vehicle_state,
    kill_vehicle_mass_kg: float,
    t_s: float,
    rng: np.random.Generator,
    *,
    model: DebrisModel | None = None,
    mass_fraction: float = 0.95,
) -> Debris:
    """:func:`generate_fragments`, :func:`fly_debris` and :func:`footprint` for an intercept
    at scenario time ``t_s`` [s] (ECEF states ``(6,)``, masses [kg])."""
    frags = generate_fragments(
        threat_state, threat_mass_kg, kill_vehicle_state, kill_vehicle_mass_kg, rng, model=model
    )
    impacts = fly_debris(frags, t_s)
    return Debris(
        t_s=float(t_s), fragments=frags, impacts=impacts,
        footprint=footprint(impacts, mass_fraction),
    )  # fmt: skip


__all__ = [
    "BRIDGE_M",
    "COLLISION_DELTA_V",
    "COUNTRY_MIN_FRACTION",
    "FALL_RTOL",
    "MAX_FALL_S",
    "SIZE_EXPONENT",
    "AreaToMassClass",
    "CountryMass",
    "Debris",
    "DebrisFootprint",
    "DebrisImpacts",
    "DebrisModel",
    "FragmentBatch",
    "ImpactReport",
    "area_from_length",
    "area_to_mass_parameters",
    "cumulative_number",
    "ejection_speed_m_s",
    "expected_mass",
    "fly_debris",
    "footprint",
    "generate_fragments",
    "impact_report",
    "intercept_debris",
    "mass_closing_length_m",
    "mean_fragment_mass",
    "sample_area_to_mass",
    "small_area_to_mass_parameters",
    "terminal_speed_m_s",
    "trim_by_mass",
    "von_mises_fisher_directions",
]
