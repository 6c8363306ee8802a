"""Predicted path: the countries under a track's predicted trajectory, with times.

Each track's mean state (with ``kappa`` as for the impact prediction) is coasted forward to
the ground and, optionally, backward until the ballistic arc meets the ground or reaches a
given time (e.g. the estimated launch time), with the integrator's steps kept as knots.
The arc is sampled every ``step_s`` seconds (cubic Hermite on position and velocity between
knots) and the country under each sample (``country_at`` of the geodetic point) is grouped
into stretches. A stretch records its altitudes: national airspace ends, by convention,
around 100 km, so a midcourse missile "crossing Iraqi airspace" is in fact in space above
Iraq; ``below_100km`` says which stretches touch airspace proper.

The backward arc is drag-free: integrating drag backwards in time is unstable in the lower
atmosphere (it accelerates the object), drag is negligible above the burnout altitudes of
ballistic missiles, and below them the ballistic arc is fictitious anyway. Reading the
backward arc: before burnout the missile was under thrust, so the ballistic arc
and the true path part within the last ~100 km before the launch point; the countries
crossed are right except near the launch point (see :mod:`bmdsim.assessment.launch`).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from bmdsim.assessment.coast import BallisticCoast
from bmdsim.assessment.impact import DragPrior, augmented_state
from bmdsim.assessment.types import SEA, AirspaceCrossing
from bmdsim.earth.frames import ecef_to_geodetic

#: Knots kept per coast (fixed steps: ample for any suborbital flight).
_MAX_KNOTS = 4_000


def _dense(knots_t, knots_y, n, step_s) -> tuple[np.ndarray, np.ndarray]:
    """Times ``(T,)`` (increasing) and ECEF positions ``(T, 3)`` every ``step_s`` along the
    knots ``(K,)``, ``(K, 6)`` (first ``n``; times monotonic in either direction)."""
    t, y = knots_t[:n], knots_y[:n]
    if n < 2:
        return t.copy(), y[:, :3].copy()
    if t[-1] < t[0]:
        t, y = t[::-1], y[::-1]
    grid = np.arange(t[0], t[-1], step_s)
    grid = np.append(grid, t[-1])
    i = np.clip(np.searchsorted(t, grid, side="right") - 1, 0, n - 2)
    h = (t[i + 1] - t[i])[:, None]
    s = (grid[:, None] - t[i][:, None]) / np.where(h > 0.0, h, 1.0)
    s2, s3 = s * s, s * s * s
    p0, v0, p1, v1 = y[i, :3], y[i, 3:], y[i + 1, :3], y[i + 1, 3:]
    pos = (
        (2 * s3 - 3 * s2 + 1) * p0
        + (s3 - 2 * s2 + s) * h * v0
        + (-2 * s3 + 3 * s2) * p1
        + (s3 - s2) * h * v1
    )
    return grid, pos


@dataclass(frozen=True, slots=True, kw_only=True)
class PathPredictor:
    """Countries under each track's predicted trajectory (see the module docstring).

    coast: the ballistic integrator; drag_prior: ``kappa`` for tracks without one;
    step_s: sampling step of the ground track [s]; backward: include the arc before the
    track's time.
    """

    coast: BallisticCoast = field(default_factory=BallisticCoast)
    drag_prior: DragPrior = field(default_factory=DragPrior)
    step_s: float = 1.0
    backward: bool = True

    def predict(self, tracks, *, since_s=None, launches=None) -> list[tuple[AirspaceCrossing, ...]]:
        """One tuple of :class:`AirspaceCrossing` per track of a ``TrackBatch``, in time
        order. ``since_s`` (scalar or ``(N,)``): start the backward arc no earlier than this
        [s since epoch]. ``launches``: a :class:`~bmdsim.assessment.types.LaunchEstimate` of
        the same tracks; the backward arc then starts at the estimated burnout, and the
        powered flight before it is one stretch over the launch country (from the launch
        time, altitude from 0)."""
        return self.predict_states(
            tracks.states, tracks.covariances, tracks.times_s,
            track_ids=tracks.ids, since_s=since_s, launches=launches,
        )  # fmt: skip

    def predict_states(
        self, states, covariances, times_s, *, track_ids=None, since_s=None, launches=None
    ) -> list[tuple[AirspaceCrossing, ...]]:
        """As :meth:`predict` from ECEF arrays ``(N, 6|7)`` and times ``(N,)`` [s]."""
        from bmdsim.earth.geography.borders import country_at

        x, _ = augmented_state(states, covariances, self.drag_prior)
        n = x.shape[0]
        times = np.broadcast_to(np.asarray(times_s, dtype=float), (n,))
        ids = np.arange(n) if track_ids is None else np.asarray(track_ids)
        since = np.broadcast_to(
            np.asarray(-np.inf if since_s is None else since_s, dtype=float), (n,)
        )
        since = np.where(np.isnan(since), -np.inf, since)
        if launches is not None:
            burnout = np.where(launches.valid, launches.burnout_time_s, np.nan)
            since = np.where(np.isfinite(burnout), np.maximum(since, burnout), since)
        kappa = np.maximum(x[:, 6], 0.0)
        fwd = self.coast.to_altitude(x[:, :6], kappa, knots=_MAX_KNOTS)
        back = (
            self.coast.to_altitude(x[:, :6], 0.0, backward=True, knots=_MAX_KNOTS)
            if self.backward
            else None
        )
        out = []
        for i in range(n):  # once per track and evaluation: assembling its own list
            tf, pf = _dense(fwd.knots_dt_s[i], fwd.knots_state[i], fwd.n_knots[i], self.step_s)
            t_all, p_all = tf + times[i], pf
            if back is not None:
                tb, pb = _dense(
                    back.knots_dt_s[i], back.knots_state[i], back.n_knots[i], self.step_s
                )
                keep = tb + times[i] >= since[i]
                t_all = np.concatenate([tb[keep][:-1] + times[i], t_all])
                p_all = np.concatenate([pb[keep][:-1], p_all])
            lat, lon, alt = ecef_to_geodetic(p_all)
            code = np.asarray(country_at(lat, lon), dtype=object).reshape(-1)
            code[np.equal(code, None)] = SEA
            stretches = _stretches(int(ids[i]), t_all, code, alt)
            if launches is not None and launches.valid[i] and np.isfinite(since[i]) and stretches:
                stretches = _with_boost(stretches, launches, i)
            out.append(stretches)
        return out


def _with_boost(stretches, launches, i) -> tuple[AirspaceCrossing, ...]:
    """Prepend the powered flight (launch to the arc's start) over the launch country."""
    first = stretches[0]
    country = str(launches.country[i])
    t0 = float(launches.launch_time_s[i])
    if country == first.country:
        merged = replace(first, entry_s=min(t0, first.entry_s), min_alt_m=0.0, below_100km=True)
        return (merged, *stretches[1:])
    boost = AirspaceCrossing(
        track_id=first.track_id,
        country=country,
        entry_s=t0,
        exit_s=first.entry_s,
        min_alt_m=0.0,
        max_alt_m=first.min_alt_m,
        below_100km=True,
    )
    return (boost, *stretches)


def _stretches(track_id, t, code, alt) -> tuple[AirspaceCrossing, ...]:
    if t.size == 0:
        return ()
    change = np.flatnonzero(code[1:] != code[:-1]) + 1
    starts = np.concatenate([[0], change])
    ends = np.concatenate([change, [t.size]])
    out = []
    for a, b in zip(starts, ends, strict=True):
        # a stretch runs from the midpoint with the previous sample to that with the next
        entry = t[a] if a == 0 else 0.5 * (t[a - 1] + t[a])
        exit_ = t[b - 1] if b == t.size else 0.5 * (t[b - 1] + t[b])
        seg = alt[a:b]
        out.append(
            AirspaceCrossing(
                track_id=track_id,
                country=str(code[a]),
                entry_s=float(entry),
                exit_s=float(exit_),
                min_alt_m=float(seg.min()),
                max_alt_m=float(seg.max()),
                below_100km=bool(seg.min() < 100_000.0),
            )
        )
    return tuple(out)


__all__ = ["PathPredictor"]
