"""Discrimination: which tracked objects are reentry vehicles and which spent stages.

After separation a missile's RV and its spent stage fly side by side and both are tracked;
only the RV is worth an interceptor. Two features tell them apart:

* **radar cross-section**: a spent MRBM tank is of order 1-10 m^2, an RV 0.01-0.1 m^2
  (``../shared/reference/threats.md``; the catalog's ``booster_rcs_m2`` and
  ``reentry_vehicle.rcs_m2``). Each track keeps a smoothed mean of log10 of the RCS its
  radar detections measured (``TrackBatch.rcs_log10_mean``, ``rcs_looks``). The mean of
  log-RCS is a geometric mean, which for a Swerling 1 target is ``0.56`` of its mean RCS
  (``E[log10 Exp(1)] = -0.25``); the default threshold ``0.25 m^2`` on that geometric mean
  sits between the catalog's largest RV (0.08 m^2: geometric mean 0.045 m^2, a little more
  for the detected looks, which are the stronger ones) and smallest tank (2 m^2: 1.1 m^2),
  about three standard deviations of an 8-look mean (0.56 / sqrt(8) = 0.2 decade) from
  each.
* **drag** in the atmosphere: with a drag state (7th state ``kappa = Cd A / m`` [m^2/kg])
  a track below ``drag_altitude_m`` whose ``kappa`` is known to better than a third of
  ``kappa_threshold_m2_kg`` (1e-3 m^2/kg, a ballistic coefficient of 1,000 kg/m^2; several
  thousand for a slender RV, a few hundred at most for a tumbling tank) is classed by it;
  where reliable, drag overrides the RCS.

Rule (:meth:`Discriminator.classify`): drag when reliable; else RCS once the track has at
least ``min_looks`` radar looks; else :attr:`ObjectClass.UNKNOWN` (treated as a possible
RV: a track is never dismissed without evidence).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import IntEnum

import numpy as np


class ObjectClass(IntEnum):
    """What a tracked object is, as far as the defence can tell."""

    UNKNOWN = 0
    RV = 1
    SPENT_STAGE = 2

    @property
    def label(self) -> str:
        return _LABELS[self]


_LABELS = {
    ObjectClass.UNKNOWN: "unknown",
    ObjectClass.RV: "rv",
    ObjectClass.SPENT_STAGE: "spent stage",
}


@dataclass(frozen=True, slots=True, kw_only=True)
class Discriminator:
    """Classes tracks as RV / spent stage / unknown (module docstring).

    rcs_threshold_m2: threshold on the geometric mean of the measured RCS [m^2];
    min_looks: radar looks needed before the RCS is used; kappa_threshold_m2_kg: threshold on
    the estimated ``Cd A / m`` [m^2/kg]; drag_altitude_m: below it the drag estimate may be
    used [m]; kappa_relative_sigma: the drag estimate is reliable when its standard
    deviation is at most this fraction of ``kappa_threshold_m2_kg``; compiled: the rule in
    one compiled kernel (the same comparisons and arithmetic as the numpy path, ``False``).
    """

    rcs_threshold_m2: float = 0.25
    min_looks: int = 8
    kappa_threshold_m2_kg: float = 1.0e-3
    drag_altitude_m: float = 60.0e3
    kappa_relative_sigma: float = 1.0 / 3.0
    compiled: bool = True

    def classify(self, tracks) -> np.ndarray:
        """``(N,)`` int8 :class:`ObjectClass` of the tracks of a
        :class:`bmdsim.tracking.TrackBatch` (ECEF states)."""
        n = len(tracks)
        if n == 0:
            return np.full(0, ObjectClass.UNKNOWN, np.int8)
        if self.compiled:
            from bmdsim.assessment import _kernel

            out = np.empty(n, np.int8)
            s = tracks.states
            drag = s.shape[1] >= 7
            _kernel.classify(
                np.require(tracks.rcs_looks, np.int64), np.require(tracks.rcs_log10_mean, float),
                np.require(s, float, "C"),
                np.require(tracks.covariances[:, 6, 6] if drag else np.zeros(n), float, "C"),
                drag, self.min_looks, float(np.log10(self.rcs_threshold_m2)),
                self.drag_altitude_m, self.kappa_relative_sigma * self.kappa_threshold_m2_kg,
                self.kappa_threshold_m2_kg, out,
            )  # fmt: skip
            return out
        out = np.full(n, ObjectClass.UNKNOWN, np.int8)
        looks = np.asarray(tracks.rcs_looks)
        log_rcs = np.asarray(tracks.rcs_log10_mean, dtype=float)
        by_rcs = (looks >= self.min_looks) & np.isfinite(log_rcs)
        big = log_rcs > np.log10(self.rcs_threshold_m2)
        out[by_rcs & big] = ObjectClass.SPENT_STAGE
        out[by_rcs & ~big] = ObjectClass.RV
        if tracks.states.shape[1] >= 7:
            from bmdsim.flight.dynamics import altitude

            s = tracks.states
            kappa = s[:, 6]
            sigma = np.sqrt(np.maximum(tracks.covariances[:, 6, 6], 0.0))
            alt = altitude(s[:, 0], s[:, 1], s[:, 2])
            reliable = (
                (alt < self.drag_altitude_m)
                & np.isfinite(kappa)
                & (sigma <= self.kappa_relative_sigma * self.kappa_threshold_m2_kg)
            )
            high = kappa > self.kappa_threshold_m2_kg
            out[reliable & high] = ObjectClass.SPENT_STAGE
            out[reliable & ~high] = ObjectClass.RV
        return out


__all__ = ["Discriminator", "ObjectClass"]
