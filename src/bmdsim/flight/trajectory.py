"""Truth trajectories of flight objects and their sampling.

A :class:`Trajectory` is one object (a reentry vehicle, the stack it rides on, or a spent
stage) from its creation (launch or separation) to its impact: the integrator's accepted
steps as knots (time, ECEF state, acceleration, mass) plus derived events. Between knots it
is sampled with the quintic Hermite interpolant on position, velocity and acceleration
(:func:`bmdsim.core.integrate.hermite`), the integrator's dense output; outside
``[start, end]`` the samples are NaN.

:class:`Ephemeris` samples many objects at many times in one vectorised call (what sensors
need): ``state_at(t_s)`` with ``t_s`` of shape ``(T,)`` returns ``(T, n_objects, 6)``.
Times are scenario times [s] (the flight's launch time plus flight time).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum, StrEnum

import numpy as np

from bmdsim.core.integrate import DenseOutput, hermite, interpolate_dense
from bmdsim.earth.frames import ecef_to_geodetic

#: Altitude [m] below which a descending object is in reentry (the conventional entry
#: interface).
REENTRY_ALTITUDE_M: float = 100_000.0


class Phase(IntEnum):
    """Flight phase of an object at a time."""

    BOOST = 0
    MIDCOURSE = 1
    REENTRY = 2


class ObjectKind(StrEnum):
    """What a flight object is."""

    #: The reentry vehicle (before separation: the whole missile).
    RV = "rv"
    #: A spent stage, or the rest of the stack under the RV after thrust termination.
    BOOSTER = "booster"


@dataclass(frozen=True, slots=True, kw_only=True)
class TrajectoryPoint:
    """One instant of a trajectory: time [s], ECEF state ``(6,)`` [m, m/s], geodetic point."""

    t_s: float
    state: np.ndarray
    lat_deg: float
    lon_deg: float
    alt_m: float

    @classmethod
    def from_state(cls, t_s: float, state) -> TrajectoryPoint:
        s = np.asarray(state, dtype=float)[:6].copy()
        lat, lon, alt = ecef_to_geodetic(s[:3])
        return cls(
            t_s=float(t_s), state=s, lat_deg=float(lat), lon_deg=float(lon), alt_m=float(alt)
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Overflight:
    """A stretch of a ground track over one country: ISO 3166-1 alpha-3 code, entry and exit
    times [s] (the track's first and last times where it starts or ends inside)."""

    country: str
    entry_s: float
    exit_s: float


def _knot_phase(t_s, states, burnout_s, boost_possible) -> np.ndarray:
    r = states[:, :3]
    descending = np.sum(r * states[:, 3:6], axis=1) < 0.0
    alt = ecef_to_geodetic(r)[2]
    phase = np.where(descending & (alt < REENTRY_ALTITUDE_M), Phase.REENTRY, Phase.MIDCOURSE)
    if boost_possible:
        phase = np.where(t_s <= burnout_s, Phase.BOOST, phase)
    return phase.astype(np.int8)


@dataclass(frozen=True, slots=True, kw_only=True)
class Trajectory:
    """One flight object from creation to impact (see the module docstring).

    Knot arrays (``K`` accepted integration steps; at a discontinuity two knots share a time
    and the later one holds after it): ``t_s (K,)`` [s], ``states (K, 6)`` ECEF [m, m/s],
    ``accelerations (K, 3)`` [m/s^2], ``mass_kg (K,)``, geodetic track ``lat_deg, lon_deg,
    alt_m (K,)``, ``phase (K,)`` (:class:`Phase` values). Events: ``start`` (launch or
    separation), ``burnout`` (thrust termination; None for spent stages), ``apogee``,
    ``impact`` (None if the object was still flying at the end of the integration).
    """

    kind: ObjectKind
    label: str
    rcs_m2: float
    t_s: np.ndarray
    states: np.ndarray
    accelerations: np.ndarray
    mass_kg: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    alt_m: np.ndarray
    phase: np.ndarray
    start: TrajectoryPoint
    burnout: TrajectoryPoint | None
    apogee: TrajectoryPoint
    impact: TrajectoryPoint | None

    @classmethod
    def from_knots(
        cls,
        *,
        kind: ObjectKind,
        label: str,
        rcs_m2: float,
        t_s: np.ndarray,
        y: np.ndarray,
        dydt: np.ndarray,
        burnout_s: float | None,
        burnout_state: np.ndarray | None,
        impacted: bool,
    ) -> Trajectory:
        """Build from integrator knots ``y (K, 7)``, ``dydt (K, 7)`` at times ``t_s (K,)``."""
        states = np.ascontiguousarray(y[:, :6])
        lat, lon, alt = ecef_to_geodetic(states[:, :3])
        phase = _knot_phase(
            t_s, states, np.inf if burnout_s is None else burnout_s, burnout_s is not None
        )
        start = TrajectoryPoint.from_state(t_s[0], states[0])
        burnout = (
            None if burnout_s is None else TrajectoryPoint.from_state(burnout_s, burnout_state)
        )
        impact = TrajectoryPoint.from_state(t_s[-1], states[-1]) if impacted else None
        traj = cls(
            kind=kind,
            label=label,
            rcs_m2=float(rcs_m2),
            t_s=np.ascontiguousarray(t_s),
            states=states,
            accelerations=np.ascontiguousarray(dydt[:, 3:6]),
            mass_kg=np.ascontiguousarray(y[:, 6]),
            lat_deg=lat,
            lon_deg=lon,
            alt_m=alt,
            phase=phase,
            start=start,
            burnout=burnout,
            apogee=start,
            impact=impact,
        )
        object.__setattr__(traj, "apogee", traj._find_apogee())
        return traj

    # -- sampling ---------------------------------------------------------------------------
    @property
    def end_s(self) -> float:
        """Last time of the trajectory [s] (impact, or the end of the integration)."""
        return float(self.t_s[-1])

    def _dense(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        y = np.concatenate([self.states, self.mass_kg[:, None]], axis=1)
        f = np.zeros_like(y)
        f[:, :3] = self.states[:, 3:6]
        f[:, 3:6] = self.accelerations
        return self.t_s, y, f

    def state_at(self, t_s) -> np.ndarray:
        """ECEF states ``(..., 6)`` at times ``t_s`` (any shape) [s]; NaN outside
        ``[start, end]``."""
        t = np.asarray(t_s, dtype=float)
        flat = t.ravel()
        out = np.full((flat.size, 6), np.nan)
        ok = (flat >= self.t_s[0]) & (flat <= self.t_s[-1])
        if ok.any():
            tt = flat[ok]
            knots, y = self.t_s, self.states
            if knots.size == 1:
                out[ok] = y[0]
            else:
                j = np.clip(np.searchsorted(knots, tt, side="right") - 1, 0, knots.size - 2)
                h = knots[j + 1] - knots[j]
                safe = np.where(h > 0.0, h, 1.0)
                s = np.clip((tt - knots[j]) / safe, 0.0, 1.0)
                # positions and velocities only (the quintic needs the accelerations, not the
                # mass): the rows of the two knots of each step, component-major
                y0, y1 = y[j].T, y[j + 1].T
                f0 = np.concatenate([y0[3:6], self.accelerations[j].T])
                f1 = np.concatenate([y1[3:6], self.accelerations[j + 1].T])
                val = hermite(safe, y0, f0, y1, f1, s, second_order=3).T
                out[ok] = np.where((h > 0.0)[:, None], val, y[j + 1])
        return out.reshape(*t.shape, 6)

    def geodetic_at(self, t_s) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """``(lat_deg, lon_deg, alt_m)`` at times ``t_s`` [s]; NaN outside the trajectory."""
        return ecef_to_geodetic(self.state_at(t_s)[..., :3])

    def phase_at(self, t_s) -> np.ndarray:
        """:class:`Phase` values at times ``t_s`` (int8; -1 outside the trajectory)."""
        t = np.asarray(t_s, dtype=float)
        s = self.state_at(t)
        r = s[..., :3]
        descending = np.sum(r * s[..., 3:6], axis=-1) < 0.0
        alt = ecef_to_geodetic(r)[2]
        phase = np.where(descending & (alt < REENTRY_ALTITUDE_M), Phase.REENTRY, Phase.MIDCOURSE)
        if self.burnout is not None:
            phase = np.where(t <= self.burnout.t_s, Phase.BOOST, phase)
        return np.where(np.isnan(s[..., 0]), -1, phase).astype(np.int8)

    # -- events -----------------------------------------------------------------------------
    def _find_apogee(self) -> TrajectoryPoint:
        """Highest point: the knot of maximum geocentric radius, refined where the radial
        velocity changes sign (bisection on the interpolant)."""
        r = np.linalg.norm(self.states[:, :3], axis=1)
        k = int(np.argmax(r))
        radial = np.sum(self.states[:, :3] * self.states[:, 3:6], axis=1)
        lo = hi = None
        if k + 1 < r.size and radial[k] > 0.0 > radial[k + 1]:
            lo, hi = self.t_s[k], self.t_s[k + 1]
        elif k > 0 and radial[k - 1] > 0.0 > radial[k]:
            lo, hi = self.t_s[k - 1], self.t_s[k]
        if lo is None:
            return TrajectoryPoint.from_state(self.t_s[k], self.states[k])
        for _ in range(40):
            mid = 0.5 * (lo + hi)
            s = self.state_at(mid)
            if s[:3] @ s[3:] > 0.0:
                lo = mid
            else:
                hi = mid
        return TrajectoryPoint.from_state(0.5 * (lo + hi), self.state_at(0.5 * (lo + hi)))

    def overflown(self, *, step_s: float = 1.0) -> tuple[Overflight, ...]:
        """Countries under the ground track, in order, with entry and exit times.

        The track (sub-object point on the ellipsoid) is sampled every ``step_s`` seconds and
        each change of country is refined by bisection to 1 ms. Stretches over the sea are
        left out; leaving a country and coming back gives two entries.
        """
        from bmdsim.earth import country_at

        t0, t1 = float(self.t_s[0]), float(self.t_s[-1])
        n = max(int(np.ceil((t1 - t0) / step_s)), 1)
        t = np.linspace(t0, t1, n + 1)
        lat, lon, _ = self.geodetic_at(t)
        code = np.asarray(country_at(lat, lon), dtype=object).reshape(-1)
        change = np.nonzero(code[1:] != code[:-1])[0]
        # refine every change between samples i and i + 1 (vectorised bisection)
        lo, hi = t[change].copy(), t[change + 1].copy()
        before = code[change]
        for _ in range(max(int(np.ceil(np.log2(step_s / 1e-3))), 1)):
            mid = 0.5 * (lo + hi)
            la, lo_deg, _ = self.geodetic_at(mid)
            same = np.asarray(country_at(la, lo_deg), dtype=object).reshape(-1) == before
            lo = np.where(same, mid, lo)
            hi = np.where(same, hi, mid)
        cuts = 0.5 * (lo + hi)
        starts = np.concatenate([[t0], cuts])
        ends = np.concatenate([cuts, [t1]])
        runs = np.concatenate([[code[0]], code[change + 1]])
        return tuple(
            Overflight(country=str(c), entry_s=float(a), exit_s=float(b))
            for c, a, b in zip(runs, starts, ends, strict=True)
            if c is not None
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class Ephemeris:
    """Many trajectories sampled together: ``state_at(t_s) -> (..., n_objects, 6)``.

    Build with :meth:`from_trajectories`; ``dense`` holds every object's knots.
    """

    dense: DenseOutput

    @classmethod
    def from_trajectories(cls, trajectories: Sequence[Trajectory]) -> Ephemeris:
        parts = [tr._dense() for tr in trajectories]
        sizes = np.array([p[0].size for p in parts], dtype=np.intp)
        index = np.repeat(np.arange(len(parts)), sizes)
        if parts:
            t = np.concatenate([p[0] for p in parts])
            y = np.concatenate([p[1] for p in parts])
            f = np.concatenate([p[2] for p in parts])
        else:
            t, y, f = np.empty(0), np.empty((0, 7)), np.empty((0, 7))
        offsets = np.concatenate([[0], np.cumsum(sizes)])
        return cls(dense=DenseOutput(index=index, t_s=t, y=y, dydt=f, offsets=offsets))

    @property
    def n_objects(self) -> int:
        return self.dense.offsets.size - 1

    def state_at(self, t_s) -> np.ndarray:
        """ECEF states ``(*t.shape, n_objects, 6)`` of every object at times ``t_s`` [s]
        (NaN where an object does not exist: before its creation, after its impact)."""
        t = np.asarray(t_s, dtype=float)
        obj = np.arange(self.n_objects)
        out = interpolate_dense(self.dense, obj, t[..., None], second_order=3)
        return out[..., :6]


__all__ = [
    "REENTRY_ALTITUDE_M",
    "Ephemeris",
    "ObjectKind",
    "Overflight",
    "Phase",
    "Trajectory",
    "TrajectoryPoint",
]
