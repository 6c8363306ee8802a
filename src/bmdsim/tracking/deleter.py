"""Track confirmation (M of N) and deletion.

Role contracts: ``Confirmer.confirm(tracks) -> bool (N,)`` (tentative tracks that pass now);
``Deleter.delete(tracks, time_s) -> (bool (N,), reasons (N,) str)``.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from bmdsim.earth.constants import A_M
from bmdsim.earth.frames import ecef_to_geodetic
from bmdsim.tracking.types import TrackBatch, TrackStatus


def recent_hits(history: np.ndarray, n: int) -> np.ndarray:
    """Number of hit bits among the newest ``n`` bits of each ``uint64`` history word."""
    mask = np.uint64((1 << n) - 1)
    return np.bitwise_count(np.asarray(history, np.uint64) & mask).astype(np.int64)


@dataclass(frozen=True, slots=True, kw_only=True)
class MOfNConfirmer:
    """Confirm a tentative track when ``m`` of its first ``n`` opportunities were hits.

    An opportunity is a scan of a sensor that has updated the track (and whose coverage
    holds it). A tentative track that has had ``n`` opportunities without ``m`` hits fails
    confirmation (see :meth:`failed`).
    """

    m: int = 3
    n: int = 5

    def confirm(self, tracks: TrackBatch) -> np.ndarray:
        tentative = tracks.status == TrackStatus.TENTATIVE
        return tentative & (recent_hits(tracks.history, self.n) >= self.m)

    def failed(self, tracks: TrackBatch) -> np.ndarray:
        tentative = tracks.status == TrackStatus.TENTATIVE
        hits = recent_hits(tracks.history, self.n)
        return tentative & (tracks.opportunities >= self.n) & (hits < self.m)


@dataclass(frozen=True, slots=True, kw_only=True)
class Deleter:
    """Drop tracks that coasted too long, grew too uncertain, or reached the ground.

    tentative_coast_s / confirmed_coast_s: longest time without an update [s] (the
    tentative limit outlasts a 10 s radar search frame, so a track started in search
    survives to the next frame even when nobody cues the radar);
    max_position_sigma_m: largest RMS position standard deviation
    ``sqrt(trace P_pos / 3)`` [m]; min_altitude_m: a track below this geodetic height
    [m] has impacted.
    """

    tentative_coast_s: float = 12.0
    confirmed_coast_s: float = 30.0
    max_position_sigma_m: float = 20_000.0
    min_altitude_m: float = -500.0

    def delete(self, tracks: TrackBatch, time_s: float) -> tuple[np.ndarray, np.ndarray]:
        n = len(tracks)
        reasons = np.full(n, "", dtype=object)
        if n == 0:
            return np.zeros(0, bool), reasons
        confirmed = tracks.status == TrackStatus.CONFIRMED
        limit = np.where(confirmed, self.confirmed_coast_s, self.tentative_coast_s)
        coasted = time_s - tracks.last_update_s > limit
        sigma = np.sqrt(np.trace(tracks.covariances[:, :3, :3], axis1=1, axis2=2) / 3.0)
        diverged = sigma > self.max_position_sigma_m
        # a point at geocentric distance r is at least r - a above the ellipsoid: only
        # tracks inside the sphere of radius a + max(min_altitude, 0) (+1 m) need a height
        r = tracks.states[:, :3]
        reach = A_M + max(self.min_altitude_m, 0.0) + 1.0
        low = np.einsum("ij,ij->i", r, r) < reach * reach
        ground = np.zeros(n, bool)
        if low.any():
            ground[low] = ecef_to_geodetic(r[low])[2] < self.min_altitude_m
        gone = coasted | diverged | ground
        if gone.any():  # the last reason that applies
            reasons[coasted] = "coasted"
            reasons[diverged] = "diverged"
            reasons[ground] = "ground"
        return gone, reasons
