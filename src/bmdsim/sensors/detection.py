"""Detection physics: radar range equation, single-look detection probability, accuracy.

Radar (square-law detector, one look, noise power 1, threshold ``T = -ln(Pfa)``):

* non-fluctuating target (Swerling 0/V): ``Pd = Q1(sqrt(2 SNR), sqrt(2 T))``, the
  Marcum Q function, evaluated as the survival function of a non-central
  chi-square with 2 degrees of freedom and non-centrality ``2 SNR`` at ``2 T``;
* Swerling 1 (and 2, identical for one look): ``Pd = Pfa ** (1 / (1 + SNR))``;
* Swerling 3 (and 4): ``Pd = (1 + 2/SNR)**-1 * (1 + T/(1 + SNR/2) + 2/SNR)
  * exp(-T / (1 + SNR/2))`` (Swerling 1960; Mahafza, *Radar Systems Analysis and
  Design Using MATLAB*, 3rd ed., sec. 2.11, with N = 1).

Here ``SNR`` is the mean single-look signal-to-noise power ratio. Infrared (a
point source on a focal plane, additive Gaussian noise of unit standard
deviation): ``Pd = Phi(SNR - tau)`` with ``tau = Phi^-1(1 - Pfa)``, SNR an
amplitude ratio.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from bmdsim.catalog.sensors import SwerlingCase


def radar_snr(range_m, rcs_m2, *, reference_snr, reference_range_m, reference_rcs_m2) -> np.ndarray:
    """Mean single-look SNR (power ratio) from the radar range equation scaled from a
    reference: ``SNR = SNR_ref * (rcs / rcs_ref) * (R_ref / R)**4``."""
    r = np.asarray(range_m, dtype=float)
    q = (reference_range_m / r) ** 2
    return reference_snr * (np.asarray(rcs_m2, dtype=float) / reference_rcs_m2) * q * q


def radar_rcs(snr, range_m, *, reference_snr, reference_range_m, reference_rcs_m2) -> np.ndarray:
    """Radar cross-section [m^2] that the radar equation of :func:`radar_snr` gives for
    SNR ``snr`` (power ratio) at range ``range_m`` [m]: ``rcs = rcs_ref * (SNR / SNR_ref)
    * (R / R_ref)**4`` (the radar's own estimate of a target's RCS)."""
    q = (np.asarray(range_m, dtype=float) / reference_range_m) ** 2
    return reference_rcs_m2 * (np.asarray(snr, dtype=float) / reference_snr) * q * q


def _statistic_survival(x, snr, case: SwerlingCase) -> np.ndarray:
    """``P(X > x)`` of the square-law statistic ``X`` (noise power 1) at mean SNR ``snr``."""
    if case is SwerlingCase.SWERLING_1:
        return np.exp(-x / (1.0 + snr))
    if case is SwerlingCase.SWERLING_3:
        half = 1.0 + 0.5 * snr
        with np.errstate(divide="ignore", invalid="ignore"):
            sf = (1.0 + x / half + 2.0 / snr) / (1.0 + 2.0 / snr) * np.exp(-x / half)
        return np.where(snr > 0.0, sf, np.exp(-x))
    return 1.0 - special.chndtr(2.0 * x, 2.0, 2.0 * snr)


def detection_statistic(u, snr, swerling: SwerlingCase | int) -> np.ndarray:
    """The square-law detection statistic (noise power 1) of a look at mean SNR ``snr``
    whose uniform draw is ``u`` in ``(0, 1)``: ``x`` with ``P(X > x) = u``.

    A look is detected when ``u < Pd = P(X > T)``, i.e. exactly when this statistic
    exceeds the threshold ``T``; so one draw decides the detection and gives the
    fluctuating echo power of the detected look (Swerling 1: ``x = -(1 + SNR) ln u``, in
    closed form; Swerling 0 and 3: bisection on ``log x`` to 1e-12 relative accuracy).
    ``x - 1`` is the look's measured SNR (the statistic's mean is ``1 + SNR``).
    """
    uu = np.asarray(u, dtype=float)
    s = np.maximum(np.asarray(snr, dtype=float), 0.0)
    case = SwerlingCase(int(swerling))
    if case is SwerlingCase.SWERLING_1:
        return -(1.0 + s) * np.log(uu)
    uu, s = np.broadcast_arrays(uu, s)
    lo = np.full(uu.shape, -30.0)
    hi = np.full(uu.shape, np.log(np.maximum(1.0 + s, 1.0)) + 8.0)
    for _ in range(80):
        mid = 0.5 * (lo + hi)
        above = _statistic_survival(np.exp(mid), s, case) > uu
        lo = np.where(above, mid, lo)
        hi = np.where(above, hi, mid)
    return np.exp(0.5 * (lo + hi))


def detection_probability(snr, pfa: float, swerling: SwerlingCase | int) -> np.ndarray:
    """Single-look probability of detection for mean SNR ``snr`` (power ratio, >= 0)."""
    s = np.maximum(np.asarray(snr, dtype=float), 0.0)
    case = SwerlingCase(int(swerling))
    threshold = -np.log(pfa)
    if case is SwerlingCase.SWERLING_1:
        return np.power(pfa, 1.0 / (1.0 + s))
    if case is SwerlingCase.SWERLING_3:
        half = 1.0 + 0.5 * s
        with np.errstate(divide="ignore", invalid="ignore"):
            pd = (1.0 + threshold / half + 2.0 / s) / (1.0 + 2.0 / s) * np.exp(-threshold / half)
        return np.where(s > 0.0, pd, pfa)
    return 1.0 - special.chndtr(2.0 * threshold, 2.0, 2.0 * s)


def required_snr(pd, pfa: float, swerling: SwerlingCase | int) -> np.ndarray:
    """Mean single-look SNR (power ratio) that gives detection probability ``pd`` (> pfa).

    Closed form for Swerling 1 (``ln(Pfa) / ln(Pd) - 1``); otherwise a vectorised
    bisection on ``log(SNR)`` to 1e-12 relative accuracy.
    """
    p = np.asarray(pd, dtype=float)
    case = SwerlingCase(int(swerling))
    if case is SwerlingCase.SWERLING_1:
        return np.log(pfa) / np.log(p) - 1.0
    lo = np.full(p.shape, -20.0)
    hi = np.full(p.shape, 20.0)
    for _ in range(60):
        mid = 0.5 * (lo + hi)
        above = detection_probability(np.exp(mid), pfa, case) >= p
        hi = np.where(above, mid, hi)
        lo = np.where(above, lo, mid)
    return np.exp(0.5 * (lo + hi))


def gaussian_threshold(pfa: float) -> float:
    """Threshold ``tau = Phi^-1(1 - Pfa)`` in noise standard deviations."""
    return float(-special.ndtri(pfa))


def infrared_detection_probability(snr, pfa: float) -> np.ndarray:
    """``Pd = Phi(SNR - tau)`` for an amplitude SNR in unit-variance Gaussian noise."""
    return special.ndtr(np.asarray(snr, dtype=float) - gaussian_threshold(pfa))


def measurement_sigma(snr, *, reference_snr: float, sigma_ref: float, sigma_floor: float):
    """One-sigma accuracy at mean SNR ``snr``: a thermal part ``sigma_ref * sqrt(SNR_ref /
    SNR)`` (angle, range and Doppler estimates all scale as ``1/sqrt(SNR)``; Richards,
    *Fundamentals of Radar Signal Processing*, sec. 7.6) and a floor in quadrature."""
    s = np.asarray(snr, dtype=float)
    return np.sqrt(sigma_ref * sigma_ref * reference_snr / s + sigma_floor * sigma_floor)
