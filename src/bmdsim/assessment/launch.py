"""Launch point estimation: where and when a track's missile lifted off.

A ballistic track only knows the free-flight arc that began at thrust termination; the
powered flight before it is not ballistic, so the arc traced backwards to the ground misses
the launch point by tens of kilometres. The estimator corrects for the boost with the
catalog's nominal boost of the expected missile types (:class:`BoostProfile`, flown once per
type by the flight layer's aim solver: minimum-energy trajectories at several ranges).

**Boost-profile method** (no infrared observation). For each profile ``j`` (a cut-off time
``t_c,j``; burnout altitude ``h_j``, speed ``v_j``, downrange ``D_j``) the track state is
coasted backwards (with drag) to ``h_j``, where the arc's speed is ``s_j``. The residual
``s_j - v_j`` falls with ``j`` (a higher burnout is slower on the arc, a longer burn is
faster), and its zero, interpolated between profiles, gives the burn ``t_c*`` and burnout
altitude ``h*`` that make the arc and the nominal boost meet. The arc at ``h*`` is the
estimated burnout point ``B`` at time ``t_B``; the launch point lies ``D(t_c*)`` back from
``B``'s ground point along the ground track, and the launch time is ``t_B - t_c*``.

**Infrared method** (a boost observation: a position ``p`` [ECEF] with covariance at time
``t_p``, e.g. the state of a stereo infrared track at its initiation). The launch point is
``p``'s ground point moved back by the nominal downrange ``d(h_p)`` at ``p``'s altitude (a
few kilometres: the missile rises nearly vertically), toward the track's burnout point;
the launch time is ``t_p - tau(h_p)``, ``tau`` the nominal time to climb to ``h_p``. The
nominal tables are those of the burn ``t_c*`` matched as above when the track is ballistic,
else an average over the profiles.

Uncertainty: the track's (or the observation's) Gaussian is carried by sigma points and the
quadratic surrogate of :mod:`bmdsim.assessment.sigma`; the spread of the estimates over the
missile types adds to it (a mixture), and the boost model adds a fraction of the
powered-flight offsets (``downrange_relative_sigma`` of the downrange, along the ground
track; ``time_relative_sigma`` of the boost duration).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np

from bmdsim.assessment.coast import CROSSED, BallisticCoast
from bmdsim.assessment.impact import (
    DragPrior,
    _enu_rows,
    _geodetic,
    _ground_ecef,
    _ground_point,
    _tangent,
    _vector_to_enu,
    augmented_state,
)
from bmdsim.assessment.sigma import QuadraticSurrogate, sigma_points
from bmdsim.assessment.types import SEA, LaunchEstimate, LaunchMethod
from bmdsim.earth.frames import ecef_to_geodetic, geodetic_to_ecef
from bmdsim.flight.dynamics import altitude


@dataclass(frozen=True, slots=True, kw_only=True)
class BoostProfile:
    """Nominal boosts of one missile type at several ranges and launch azimuths.

    Earth rotation makes a boost launched east go farther downrange than one launched west
    (a few per cent), so the tables have an azimuth axis ``A`` (launch azimuths
    ``azimuth_rad``, evenly spaced, clockwise from north) besides the range axis ``J``
    (burns cut off for ranges from a quarter to nine tenths of the maximum).

    cutoff_s (A, J): burn durations, increasing along ``J``; burnout_alt_m,
    burnout_speed_m_s, burnout_downrange_m (A, J): where each ends (downrange: ground
    distance from the launch point [m]); alt_grid_m (H,): altitudes; time_to_alt_s,
    downrange_at_alt_m (A, J, H): when and how far downrange each boost passes them (NaN
    above its burnout altitude). Launch latitude: ``launch_lat_deg``.
    """

    missile_id: str
    launch_lat_deg: float
    azimuth_rad: np.ndarray
    cutoff_s: np.ndarray
    burnout_alt_m: np.ndarray
    burnout_speed_m_s: np.ndarray
    burnout_downrange_m: np.ndarray
    alt_grid_m: np.ndarray
    time_to_alt_s: np.ndarray
    downrange_at_alt_m: np.ndarray

    @classmethod
    def from_missile(
        cls,
        missile,
        *,
        range_fractions=(0.25, 0.35, 0.45, 0.55, 0.65, 0.75, 0.85, 0.92),
        n_azimuths: int = 8,
        launch_lat_deg: float = 35.0,
        launch_lon_deg: float = 45.0,
        alt_step_m: float = 250.0,
    ) -> BoostProfile:
        """Fly minimum-energy trajectories of ``missile`` (a catalog
        :class:`~bmdsim.catalog.missiles.MissileType`) to these fractions of its maximum
        range along ``n_azimuths`` launch azimuths from a reference launch point (one
        batch: the flight layer's aim solver and fly-out) and tabulate their boosts."""
        from bmdsim.earth.geodesic import geodesic_direct, geodesic_inverse
        from bmdsim.flight import fly_many, max_range_m

        frac = np.asarray(range_fractions, dtype=float)
        az = np.arange(n_azimuths) * (2.0 * np.pi / n_azimuths)
        aa, ff = np.meshgrid(az, frac, indexing="ij")
        lat2, lon2, _ = geodesic_direct(
            launch_lat_deg, launch_lon_deg, aa.ravel(), ff.ravel() * max_range_m(missile)
        )
        raid = fly_many(missile, (launch_lat_deg, launch_lon_deg), np.stack([lat2, lon2], axis=1))
        shape = aa.shape
        cut, h_bo, v_bo, d_bo = (np.empty(shape) for _ in range(4))
        curves = []
        for i, flight in enumerate(raid.flights):  # reference flights, once per missile type
            bo = flight.rv.burnout
            t = np.linspace(0.0, bo.t_s - flight.launch_time_s, 600) + flight.launch_time_s
            lat, lon, alt = flight.rv.geodetic_at(t)
            alt = np.maximum.accumulate(np.maximum(alt, 0.0))
            dist, _, _ = geodesic_inverse(launch_lat_deg, launch_lon_deg, lat, lon)
            a, j = np.unravel_index(i, shape)
            cut[a, j] = bo.t_s - flight.launch_time_s
            h_bo[a, j] = bo.alt_m
            v_bo[a, j] = float(np.linalg.norm(bo.state[3:6]))
            d_bo[a, j] = float(dist[-1])
            curves.append((t - flight.launch_time_s, alt, dist))
        grid = np.arange(0.0, h_bo.max() + alt_step_m, alt_step_m)
        tau = np.full((*shape, grid.size), np.nan)
        down = np.full((*shape, grid.size), np.nan)
        for i, (t, alt, dist) in enumerate(curves):
            a, j = np.unravel_index(i, shape)
            inside = grid <= alt[-1]
            tau[a, j, inside] = np.interp(grid[inside], alt, t)
            down[a, j, inside] = np.interp(grid[inside], alt, dist)
        order = np.argsort(cut, axis=1)

        def sort(x):
            return np.take_along_axis(x, order.reshape(*order.shape, *(1,) * (x.ndim - 2)), 1)

        return cls(
            missile_id=missile.id,
            launch_lat_deg=launch_lat_deg,
            azimuth_rad=az,
            cutoff_s=sort(cut),
            burnout_alt_m=sort(h_bo),
            burnout_speed_m_s=sort(v_bo),
            burnout_downrange_m=sort(d_bo),
            alt_grid_m=grid,
            time_to_alt_s=sort(tau),
            downrange_at_alt_m=sort(down),
        )

    @property
    def n_ranges(self) -> int:
        return int(self.cutoff_s.shape[1])

    def _azimuth_weights(self, azimuth_rad) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Bracketing azimuth bins ``(M,)``, ``(M,)`` and the weight of the second."""
        n = self.azimuth_rad.size
        x = np.mod(np.asarray(azimuth_rad, dtype=float), 2.0 * np.pi) / (2.0 * np.pi) * n
        a0 = np.floor(x).astype(np.intp) % n
        return a0, (a0 + 1) % n, x - np.floor(x)

    def burnout_tables(self, azimuth_rad) -> dict[str, np.ndarray]:
        """``(M, J)`` cut-off, burnout altitude, speed and downrange for launch azimuths
        ``(M,)`` (linear between the tabulated azimuths)."""
        a0, a1, w = self._azimuth_weights(azimuth_rad)
        w = w[:, None]
        return {
            name: (1.0 - w) * getattr(self, name)[a0] + w * getattr(self, name)[a1]
            for name in ("cutoff_s", "burnout_alt_m", "burnout_speed_m_s", "burnout_downrange_m")
        }

    def at_altitude(self, alt_m, fraction, azimuth_rad) -> tuple[np.ndarray, np.ndarray]:
        """Nominal time to climb to ``alt_m (M,)`` and downrange there, for boosts at
        fractional range index ``fraction (M,)`` in ``[0, J - 1]`` and launch azimuths
        ``(M,)`` (linear between tables; a boost that never reaches the altitude uses the
        next longer one that does)."""
        nj = self.n_ranges
        j = np.clip(np.asarray(fraction, dtype=float), 0.0, nj - 1.0)
        h = np.clip(np.asarray(alt_m, dtype=float), 0.0, self.alt_grid_m[-1])
        k = np.clip(
            np.searchsorted(self.alt_grid_m, h, side="right") - 1, 0, self.alt_grid_m.size - 2
        )
        w = (h - self.alt_grid_m[k]) / (self.alt_grid_m[k + 1] - self.alt_grid_m[k])
        a0, a1, wa = self._azimuth_weights(azimuth_rad)
        lo = np.floor(j).astype(np.intp)
        hi = np.minimum(lo + 1, nj - 1)
        f = j - lo
        w0, f0, wa0 = 1.0 - w, 1.0 - f, 1.0 - wa
        # flat positions of the (azimuth, range, altitude) cells read: [a, jj, k] of an
        # (A, J, H) table is its ravel()[(a J + jj) H + k]
        n_h = self.alt_grid_m.size
        cells = {
            (ia, ij): (a * nj + jj) * n_h + k
            for ia, a in enumerate((a0, a1))
            for ij, jj in enumerate((lo, hi))
        }

        def table(arr):
            flat = _filled(arr).ravel()  # (A, J, H), read-only

            def at(ia, ij):
                cell = cells[ia, ij]
                return w0 * flat.take(cell) + w * flat.take(cell + 1)

            def along_j(ia):
                return f0 * at(ia, 0) + f * at(ia, 1)

            return wa0 * along_j(0) + wa * along_j(1)

        return table(self.time_to_alt_s), table(self.downrange_at_alt_m)


def _fill_up(a: np.ndarray) -> np.ndarray:
    """Tables ``a (A, J, H)`` with NaN (above a boost's burnout) filled from the next
    longer burn (which reaches higher), and above the longest from its last value."""
    out = a.copy()
    for j in range(out.shape[1] - 2, -1, -1):
        gap = np.isnan(out[:, j])
        out[:, j][gap] = out[:, j + 1][gap]
    last = out[:, -1]
    idx = np.where(np.isnan(last), 0, np.arange(last.shape[-1]))
    np.maximum.accumulate(idx, axis=-1, out=idx)
    out[:, -1] = np.take_along_axis(last, idx, axis=-1)
    return out


def _finite(x: np.ndarray) -> np.ndarray:
    """``nan_to_num(x)`` (``x`` itself when all finite: nothing to change)."""
    return x if np.isfinite(x).all() else np.nan_to_num(x)


#: :func:`_fill_up` of the tables met, by the identity of the table (kept alive here, so its
#: id is not reused): a profile's tables are never modified, and are filled once.
_FILLED: dict[int, tuple[np.ndarray, np.ndarray]] = {}


def _filled(a: np.ndarray) -> np.ndarray:
    """:func:`_fill_up` of ``a``, computed once per table (read-only)."""
    hit = _FILLED.get(id(a))
    if hit is not None and hit[0] is a:
        return hit[1]
    out = _fill_up(a)
    out.setflags(write=False)
    if len(_FILLED) >= 64:  # profiles are few (one per missile type); tests make more
        _FILLED.clear()
    _FILLED[id(a)] = (a, out)
    return out


@cache
def boost_profile(missile) -> BoostProfile:
    """:meth:`BoostProfile.from_missile` with the defaults, computed once per type."""
    return BoostProfile.from_missile(missile)


@dataclass(frozen=True, slots=True, kw_only=True)
class BoostObservations:
    """Positions of missiles seen in powered flight (e.g. stereo infrared).

    track_ids (K,): the track each belongs to; time_s (K,) [s since epoch]; position_ecef
    (K, 3) [m]; covariance (K, 3, 3) [m^2]. The earliest (lowest) observation of a boost
    gives the best launch point.
    """

    track_ids: np.ndarray
    time_s: np.ndarray
    position_ecef: np.ndarray
    covariance: np.ndarray

    @classmethod
    def from_tracks(cls, tracks, *, track_ids=None) -> BoostObservations:
        """From the position part of tracks (a ``TrackBatch``), optionally re-labelled with
        the ids of the tracks they are to serve."""
        ids = tracks.ids if track_ids is None else track_ids
        return cls(
            track_ids=np.asarray(ids, dtype=np.int64),
            time_s=np.asarray(tracks.times_s, dtype=float),
            position_ecef=np.asarray(tracks.states[:, :3], dtype=float),
            covariance=np.asarray(tracks.covariances[:, :3, :3], dtype=float),
        )

    def __len__(self) -> int:
        return int(self.track_ids.shape[0])


@dataclass(frozen=True, slots=True, kw_only=True)
class _Burnout:
    """Matched burnout of sigma points ``(M,)``: fractional profile index, position, velocity,
    time [s since epoch], burn duration, downrange; ``ok`` where the match succeeded."""

    fraction: np.ndarray
    position: np.ndarray
    velocity: np.ndarray
    t_s: np.ndarray
    burn_s: np.ndarray
    downrange_m: np.ndarray
    ok: np.ndarray


#: The four burnout tables of a profile stacked ``(4, A, J)`` (cut-off, altitude, speed,
#: downrange), by the identity of the profile (kept alive here): profiles are never modified.
_STACKED: dict[int, tuple[BoostProfile, np.ndarray]] = {}
_BURNOUT_NAMES = ("cutoff_s", "burnout_alt_m", "burnout_speed_m_s", "burnout_downrange_m")


def _burnout_tables(profile: BoostProfile, azimuth_rad: np.ndarray) -> dict[str, np.ndarray]:
    """:meth:`BoostProfile.burnout_tables` in one compiled kernel (the same operations)."""
    from bmdsim.assessment import _kernel

    hit = _STACKED.get(id(profile))
    if hit is None or hit[0] is not profile:
        if len(_STACKED) >= 64:  # profiles are few (one per missile type); tests make more
            _STACKED.clear()
        stacked = np.stack([np.asarray(getattr(profile, k), dtype=float) for k in _BURNOUT_NAMES])
        hit = _STACKED[id(profile)] = (profile, np.ascontiguousarray(stacked))
    tables = hit[1]
    out = np.empty((tables.shape[0], len(azimuth_rad), tables.shape[2]))
    _kernel.burnout_tables(np.ascontiguousarray(azimuth_rad, dtype=float), tables, out)
    return dict(zip(_BURNOUT_NAMES, out, strict=True))


def _at_altitude(profile: BoostProfile, alt_m, fraction, azimuth_rad):
    """:meth:`BoostProfile.at_altitude` in one compiled kernel (the same operations)."""
    from bmdsim.assessment import _kernel

    alt = np.ascontiguousarray(alt_m, dtype=float)
    tau, down = np.empty(alt.shape), np.empty(alt.shape)
    _kernel.boost_at_altitude(
        alt, np.ascontiguousarray(fraction, dtype=float),
        np.ascontiguousarray(azimuth_rad, dtype=float),
        np.ascontiguousarray(profile.alt_grid_m, dtype=float),
        _filled(profile.time_to_alt_s), _filled(profile.downrange_at_alt_m),
        profile.n_ranges, tau, down,
    )  # fmt: skip
    return tau, down


def _mixture(f, ok, model, *, clean: bool) -> tuple[np.ndarray, np.ndarray]:
    """Mean ``(N, 3)`` and covariance ``(N, 3, 3)`` of the mixture over missile types of the
    surrogates of ``f (K, N, 2d + 1, 3)`` plus ``model (K, N, 3, 3)``, in one compiled
    kernel (:func:`bmdsim.assessment._kernel.launch_mixture`; ``ok (K, N)`` is set when
    ``clean``)."""
    from bmdsim.assessment import _kernel
    from bmdsim.assessment.sigma import SIGMA_SCALE

    n = f.shape[1]
    mu, cov = np.empty((n, 3)), np.empty((n, 3, 3))
    _kernel.launch_mixture(f, ok, model, float(SIGMA_SCALE), clean, mu, cov)
    return mu, cov


def _offset_point(lat, lon, azimuth_rad, distance_m) -> tuple[np.ndarray, np.ndarray]:
    from bmdsim.earth.geodesic import geodesic_direct

    lat2, lon2, _ = geodesic_direct(lat, lon, azimuth_rad, distance_m)
    return lat2, lon2


def _enu_of(lat, lon, lat0, lon0, compiled: bool = True) -> np.ndarray:
    """East, north ``(..., 2)`` of ground points about ground points (broadcast):
    ``ecef_to_enu(geodetic_to_ecef(lat, lon, 0), lat0, lon0, 0)``, bit for bit
    (``compiled``: the points and the frames from compiled kernels, the same product)."""
    if not compiled:
        from bmdsim.earth.frames import ecef_to_enu

        return ecef_to_enu(geodetic_to_ecef(lat, lon, 0.0), lat0, lon0, 0.0)[..., :2]
    lat, lon = np.broadcast_arrays(np.asarray(lat, dtype=float), np.asarray(lon, dtype=float))
    lat0, lon0 = np.broadcast_arrays(np.asarray(lat0, dtype=float), np.asarray(lon0, dtype=float))
    xyz = _ground_ecef(lat, lon)
    site, basis = _ground_ecef(lat0, lon0), _enu_rows(lat0.ravel(), lon0.ravel())
    basis = basis.reshape(*lat0.shape, 3, 3)
    return np.einsum("...ij,...j->...i", basis, xyz - site)[..., :2]


@dataclass(frozen=True, slots=True, kw_only=True)
class LaunchPointEstimator:
    """Estimates launch points and times of a batch of tracks (module docstring).

    profiles: nominal boosts of the expected missile types; coast: the backward
    integrator; drag_prior: ``kappa`` of tracks without one; downrange_relative_sigma,
    time_relative_sigma: standard deviations of the boost model's downrange and duration
    relative to their size (guidance and propulsion dispersions, a boost shaped unlike the
    nominal one); reentry_alt_m: a track descending below this altitude gets no estimate
    (its backward arc crosses air whose drag on the object is unknown); gate: squared
    Mahalanobis distance under which an observation without a track id is matched to a
    track's boost-profile estimate; compiled: ground points and local frames in the compiled
    kernels of :mod:`bmdsim.assessment.impact` (the numpy path's bits: ``False``).
    """

    profiles: tuple[BoostProfile, ...]
    coast: BallisticCoast = field(default_factory=BallisticCoast)
    drag_prior: DragPrior = field(default_factory=DragPrior)
    downrange_relative_sigma: float = 0.1
    time_relative_sigma: float = 0.03
    gate: float = 16.0
    reentry_alt_m: float = 100_000.0
    compiled: bool = True

    def __post_init__(self) -> None:
        if not self.profiles:
            raise ValueError("the launch point estimator needs at least one boost profile")

    @classmethod
    def for_missiles(cls, missiles, **kwargs) -> LaunchPointEstimator:
        """With the (cached) profiles of catalog missile types (duplicates dropped)."""
        unique = {m.id: m for m in missiles}
        return cls(profiles=tuple(boost_profile(m) for m in unique.values()), **kwargs)

    # -- the boost-profile match ------------------------------------------------------------
    def _burnout(self, profile: BoostProfile, x7: np.ndarray, times: np.ndarray) -> _Burnout:
        m = x7.shape[0]
        kappa = np.maximum(x7[:, 6], 0.0)
        jit = self.compiled
        lat, lon, _ = _geodetic(x7[:, :3], jit)
        v = _vector_to_enu(x7[:, 3:6], lat, lon, jit)
        az = np.arctan2(v[:, 0], v[:, 1])
        tab = _burnout_tables(profile, az) if jit else profile.burnout_tables(az)  # (M, J) each
        alt, speed_bo = tab["burnout_alt_m"], tab["burnout_speed_m_s"]
        nj = profile.n_ranges
        if jit:
            return self._burnout_compiled(tab, x7, kappa, times)
        # every sigma point coasted back once, through the burnout altitudes of all the burns
        res = self.coast.to_altitudes(x7[:, :6], kappa, target_alts_m=alt, backward=True)
        speed = np.linalg.norm(res.state[:, :, 3:6], axis=2)
        resid = np.where(res.status == CROSSED, speed - speed_bo, np.nan)
        # residuals fall with j: the zero lies after the last positive one
        k = np.clip(np.sum(resid > 0.0, axis=1), 1, nj - 1)
        r0 = np.take_along_axis(resid, (k - 1)[:, None], 1)[:, 0]
        r1 = np.take_along_axis(resid, k[:, None], 1)[:, 0]
        w = np.clip(r0 / (r0 - r1), -1.0, 2.0)  # mild extrapolation beyond the table
        frac = (k - 1) + w

        def lin(a):  # (M, J) at the fractional index, linear (and beyond the table)
            j0 = np.clip(np.floor(np.nan_to_num(frac)).astype(np.intp), 0, nj - 2)
            f = frac - j0
            rows = np.arange(m)
            return (1.0 - f) * a[rows, j0] + f * a[rows, j0 + 1]

        h = lin(alt)
        ok = np.isfinite(r0) & np.isfinite(r1) & (r0 != r1) & np.isfinite(h)
        res = self.coast.to_altitude(
            x7[:, :6], kappa, target_alt_m=np.where(ok, h, 0.0), backward=True
        )
        ok &= res.status == CROSSED
        return _Burnout(
            fraction=frac,
            position=res.state[:, :3],
            velocity=res.state[:, 3:6],
            t_s=times + res.dt_s,
            burn_s=lin(tab["cutoff_s"]),
            downrange_m=lin(tab["burnout_downrange_m"]),
            ok=ok,
        )

    def _burnout_compiled(self, tab, x7, kappa, times) -> _Burnout:
        """:meth:`_burnout` after the tables: the two coasts and the residual's zero in one
        compiled kernel (:func:`bmdsim.assessment._kernel.burnout_match`: the second coast
        reads the steps of the first; the same operations)."""
        from bmdsim.assessment import _kernel
        from bmdsim.assessment.coast import _drag_ratio_table
        from bmdsim.flight.air import air_table
        from bmdsim.flight.dynamics import MACH_STEP

        m = x7.shape[0]
        c = self.coast
        table = air_table()
        frac, y, dt = np.empty(m), np.empty((m, 6)), np.empty(m)
        burn, down, ok = np.empty(m), np.empty(m), np.empty(m, bool)
        _kernel.burnout_match(
            np.ascontiguousarray(x7[:, :6]), np.ascontiguousarray(kappa),
            *(np.ascontiguousarray(tab[name]) for name in (
                "burnout_alt_m", "burnout_speed_m_s", "cutoff_s", "burnout_downrange_m")),
            float(c.h_exo_s), float(c.h_endo_s), float(c.endo_error_m_s), float(c.alt_endo_m),
            float(c.max_dt_s),
            bool(c.j2), table.rows, table.alt_min_m, table.inv_step_per_m, table.last_node,
            _drag_ratio_table(), 1.0 / MACH_STEP,
            frac, y, dt, burn, down, ok,
        )  # fmt: skip
        return _Burnout(
            fraction=frac,
            position=y[:, :3],
            velocity=y[:, 3:6],
            t_s=times + dt,
            burn_s=burn,
            downrange_m=down,
            ok=ok,
        )

    def _profile_launch(self, b: _Burnout) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """Launch ``(lat, lon, t)`` from matched burnouts, and the along-track azimuth."""
        lat, lon, _ = _geodetic(b.position, self.compiled)
        v = _vector_to_enu(b.velocity, lat, lon, self.compiled)
        az = np.arctan2(v[:, 0], v[:, 1])
        back = np.mod(az + np.pi, 2.0 * np.pi)
        la, lo = _offset_point(lat, lon, back, np.where(b.ok, b.downrange_m, 0.0))
        return la, lo, b.t_s - b.burn_s, az

    # -- the estimate -------------------------------------------------------------------------
    def estimate(
        self, tracks, t_s: float, *, boost: BoostObservations | None = None
    ) -> LaunchEstimate:
        """Launch estimates of every track of a ``TrackBatch`` (see the module docstring).

        ``boost``: optional boost observations; those whose ``track_ids`` name a track of
        the batch serve it, those with id ``-1`` are matched to the track whose
        boost-profile estimate they fit best (within :attr:`gate`).
        """
        return self.estimate_states(
            tracks.states, tracks.covariances, tracks.times_s, t_s,
            track_ids=tracks.ids, boost=boost,
        )  # fmt: skip

    def estimate_states(
        self, states, covariances, times_s, t_s: float, *, track_ids=None, boost=None
    ) -> LaunchEstimate:
        """As :meth:`estimate` from ECEF arrays ``(N, 6|7)`` and times (scalar or ``(N,)``)."""
        x, p = augmented_state(states, covariances, self.drag_prior, self.compiled)
        n = x.shape[0]
        times = np.broadcast_to(np.asarray(times_s, dtype=float), (n,))
        ids = np.arange(n, dtype=np.int64) if track_ids is None else np.asarray(track_ids, np.int64)
        pts = sigma_points(x, p, compiled=self.compiled)  # (N, 15, 7)
        s = pts.shape[1]
        flat = pts.reshape(-1, 7)
        t_flat = np.repeat(times, s)
        per_type = []
        for prof in self.profiles:  # one batched match per expected missile type
            b = self._burnout(prof, flat, t_flat)
            la, lo, tl, az = self._profile_launch(b)
            per_type.append((prof, b, la.reshape(n, s), lo.reshape(n, s), tl.reshape(n, s), az))
        prior = self._combine(
            [(la, lo, tl, b.ok.reshape(n, s), b.downrange_m.reshape(n, s), b.burn_s.reshape(n, s),
              az.reshape(n, s)) for _, b, la, lo, tl, az in per_type]
        )  # fmt: skip
        lat, lon, cov, t_mean, t_var, valid = prior
        # in reentry the backward arc runs through air whose drag on this object is known
        # only to the prior: no estimate (the Assessor keeps the last exo-atmospheric one)
        alt = altitude(x[:, 0], x[:, 1], x[:, 2])
        descending = np.einsum("ij,ij->i", x[:, :3], x[:, 3:6]) < 0.0
        valid &= ~(descending & (alt < self.reentry_alt_m))
        # burnout time: the central sigma point's, averaged over the types that matched
        ok_t = np.stack([b.ok.reshape(n, s)[:, 0] for _, b, *_ in per_type], 1)
        t_bo = np.stack([b.t_s.reshape(n, s)[:, 0] for _, b, *_ in per_type], 1)
        burnout = np.where(
            ok_t.any(axis=1),
            np.sum(np.where(ok_t, t_bo, 0.0), axis=1) / np.maximum(ok_t.sum(axis=1), 1),
            np.nan,
        )
        method = np.where(valid, LaunchMethod.BOOST_PROFILE, LaunchMethod.NONE).astype(np.int8)
        if boost is not None and len(boost):
            obs = self._assign(boost, ids, lat, lon, cov, valid, burnout)
            rows = np.flatnonzero(obs >= 0)
            if rows.size:
                ir = self._infrared(boost, obs[rows], per_type, rows, s, x[rows])
                lat[rows], lon[rows], cov[rows], t_mean[rows], t_var[rows] = ir
                valid[rows] = True
                method[rows] = LaunchMethod.INFRARED
        return self._record(ids, t_s, valid, lat, lon, cov, t_mean, t_var, method, burnout)

    def _combine(self, per_type):
        """Mixture over missile types of the sigma-point surrogates of ``(e, n, t)``."""
        la0, lo0 = per_type[0][0][:, 0], per_type[0][1][:, 0]
        if self.compiled:
            n, s = per_type[0][0].shape
            f = np.empty((len(per_type), n, s, 3))
            model = np.empty((len(per_type), n, 3, 3))
            oks = np.empty((len(per_type), n), bool)
            for k, (la, lo, tl, ok, down, burn, az) in enumerate(per_type):
                f[k, ..., :2] = _enu_of(la, lo, la0[:, None], lo0[:, None], True)
                f[k, ..., 2] = tl
                f[k][~ok] = 0.0
                model[k] = self._model_covariance(down[:, 0], burn[:, 0], az[:, 0])
                oks[k] = ok.all(axis=1)
            mu, cov = _mixture(f, oks, model, clean=False)
            lat, lon = self._ground_from_enu(mu[:, :2], la0, lo0)
            return lat, lon, cov[:, :2, :2].copy(), mu[:, 2].copy(), cov[:, 2, 2].copy(), oks.any(0)
        means, covs, oks = [], [], []
        for la, lo, tl, ok, down, burn, az in per_type:
            enu = _enu_of(la, lo, la0[:, None], lo0[:, None], self.compiled)
            f = np.concatenate([enu, tl[..., None]], -1)
            sur = QuadraticSurrogate.from_sigma_values(np.where(ok[..., None], f, 0.0))
            mu, c = sur.mean(), sur.covariance()
            c = c + self._model_covariance(down[:, 0], burn[:, 0], az[:, 0])
            means.append(mu)
            covs.append(c)
            oks.append(ok.all(axis=1))
        means, covs = np.stack(means, 1), np.stack(covs, 1)  # (N, T, 3), (N, T, 3, 3)
        ok = np.stack(oks, 1)
        w = ok / np.maximum(ok.sum(axis=1, keepdims=True), 1)
        mu = np.einsum("nt,nti->ni", w, means)
        d = means - mu[:, None]
        cov = np.einsum("nt,ntij->nij", w, covs) + np.einsum("nt,nti,ntj->nij", w, d, d)
        valid = ok.any(axis=1)
        lat, lon = self._ground_from_enu(mu[:, :2], la0, lo0)
        return lat, lon, cov[:, :2, :2].copy(), mu[:, 2].copy(), cov[:, 2, 2].copy(), valid

    def _model_covariance(self, downrange_m, burn_s, azimuth_rad) -> np.ndarray:
        """``(N, 3, 3)`` boost-model uncertainty: along the ground track
        ``downrange_relative_sigma * downrange``, in time ``time_relative_sigma * burn``
        (``compiled``: in one compiled kernel, the same operations)."""
        if self.compiled:
            from bmdsim.assessment import _kernel

            out = np.empty((len(downrange_m), 3, 3))
            _kernel.model_covariance(
                np.ascontiguousarray(downrange_m, dtype=float),
                np.ascontiguousarray(burn_s, dtype=float),
                np.ascontiguousarray(azimuth_rad, dtype=float),
                float(self.downrange_relative_sigma), float(self.time_relative_sigma), out,
            )  # fmt: skip
            return out
        u = np.stack([np.sin(azimuth_rad), np.cos(azimuth_rad)], axis=-1)
        sd = self.downrange_relative_sigma * _finite(np.abs(downrange_m))
        out = np.zeros((u.shape[0], 3, 3))
        out[:, :2, :2] = (sd * sd)[:, None, None] * u[:, :, None] * u[:, None, :]
        out[:, 2, 2] = (self.time_relative_sigma * _finite(np.abs(burn_s))) ** 2
        return out

    def _ground_from_enu(self, enu, lat0, lon0) -> tuple[np.ndarray, np.ndarray]:
        site, basis = _tangent(lat0, lon0, self.compiled)
        pts = site + np.einsum("ni,nij->nj", enu, basis)
        return _ground_point(pts, self.compiled)

    def _assign(self, boost, ids, lat, lon, cov, valid, burnout) -> np.ndarray:
        """Observation row for each track (-1: none): the earliest observation with the
        track's id; observations with an unknown id go to the track whose boost-profile
        estimate they fit best (gated). An observation later than a track's estimated
        burnout (plus a second) was not made in powered flight and is not used for it."""
        n = ids.size
        out = np.full(n, -1, np.int64)
        order = np.argsort(boost.time_s, kind="stable")[::-1]  # earliest last: it wins
        pos = {int(t): i for i, t in enumerate(ids)}
        late_for = np.nan_to_num(burnout, nan=np.inf) + 1.0

        def powered(k, i):
            return boost.time_s[k] <= late_for[i]

        for k in order:  # observations are few (one per launch)
            i = pos.get(int(boost.track_ids[k]))
            if i is not None and powered(k, i):
                out[i] = k
        free = [k for k in order if int(boost.track_ids[k]) not in pos]
        if not free:
            return out
        from bmdsim.core.linalg import mahalanobis_squared

        olat, olon, _ = ecef_to_geodetic(boost.position_ecef[free])
        for k, la, lo in zip(free, olat, olon, strict=True):
            cand = np.flatnonzero(valid & (out < 0) & (boost.time_s[k] <= late_for))
            if cand.size == 0:
                continue
            d = _enu_of(
                np.full(cand.size, la), np.full(cand.size, lo), lat[cand], lon[cand],
                self.compiled,
            )  # fmt: skip
            obs_cov = boost.covariance[k][:2, :2]
            m2 = mahalanobis_squared(d, cov[cand] + obs_cov)
            best = int(np.argmin(m2))
            if m2[best] <= self.gate:
                out[cand[best]] = k
        return out

    def _infrared(self, boost, obs, per_type, rows, s, x_rows):
        """Launch estimates of tracks ``rows`` (states ``x_rows``) from their observations
        ``obs``: back from the observation along the track's heading."""
        m = rows.size
        pts = sigma_points(  # (m, 7, 3)
            boost.position_ecef[obs], boost.covariance[obs], compiled=self.compiled
        )
        q = pts.shape[1]
        jit = self.compiled
        lat, lon, alt = _geodetic(pts.reshape(-1, 3), jit)
        lat, lon, alt = lat.reshape(m, q), lon.reshape(m, q), alt.reshape(m, q)
        t_obs = boost.time_s[obs]
        xl, xo, _ = _geodetic(x_rows[:, :3], jit)
        vn = _vector_to_enu(x_rows[:, 3:6], xl, xo, jit)
        heading_now = np.arctan2(vn[:, 0], vn[:, 1])
        means, covs, oks = [], [], []
        if jit:
            f_all = np.empty((len(per_type), m, q, 3))
            model = np.empty((len(per_type), m, 3, 3))
        for k, (prof, b, *_) in enumerate(per_type):
            ok_b = b.ok.reshape(-1, s)[rows, 0]
            frac = np.where(ok_b, b.fraction.reshape(-1, s)[rows, 0], 0.5 * (prof.n_ranges - 1))
            # launch azimuth: the ground track's heading at the matched burnout, else now
            bv = b.velocity.reshape(-1, s, 3)[rows, 0]
            bl, bo_, _ = _geodetic(b.position.reshape(-1, s, 3)[rows, 0], jit)
            ve = _vector_to_enu(bv, bl, bo_, jit)
            heading = np.where(ok_b, np.arctan2(ve[:, 0], ve[:, 1]), heading_now)
            at = _at_altitude if jit else BoostProfile.at_altitude
            tau, down = at(prof, alt.ravel(), np.repeat(frac, q), np.repeat(heading, q))
            tau, down = tau.reshape(m, q), down.reshape(m, q)
            back = np.broadcast_to(np.mod(heading + np.pi, 2.0 * np.pi)[:, None], (m, q))
            la, lo = _offset_point(lat, lon, back, down)
            if jit:
                f_all[k, ..., :2] = _enu_of(la, lo, lat[:, :1], lon[:, :1], True)
                f_all[k, ..., 2] = t_obs[:, None] - tau
                model[k] = self._model_covariance(down[:, 0], tau[:, 0], heading)
                continue
            f = np.concatenate(
                [_enu_of(la, lo, lat[:, :1], lon[:, :1], jit), (t_obs[:, None] - tau)[..., None]],
                -1,
            )
            sur = QuadraticSurrogate.from_sigma_values(f)
            c = sur.covariance() + self._model_covariance(down[:, 0], tau[:, 0], heading)
            means.append(sur.mean())
            covs.append(c)
            oks.append(np.isfinite(sur.mean()).all(axis=1))
        if jit:
            mu, cov = _mixture(f_all, np.empty((len(per_type), m), bool), model, clean=True)
            la, lo = self._ground_from_enu(mu[:, :2], lat[:, 0], lon[:, 0])
            return la, lo, cov[:, :2, :2], mu[:, 2], cov[:, 2, 2]
        means, covs = np.stack(means, 1), np.stack(covs, 1)
        ok = np.stack(oks, 1)
        w = ok / np.maximum(ok.sum(axis=1, keepdims=True), 1)
        mu = np.einsum("nt,nti->ni", w, np.nan_to_num(means))
        d = np.nan_to_num(means) - mu[:, None]
        cov = np.einsum("nt,ntij->nij", w, np.nan_to_num(covs)) + np.einsum(
            "nt,nti,ntj->nij", w, d, d
        )
        la, lo = self._ground_from_enu(mu[:, :2], lat[:, 0], lon[:, 0])
        return la, lo, cov[:, :2, :2], mu[:, 2], cov[:, 2, 2]

    @staticmethod
    def _record(ids, t_s, valid, lat, lon, cov, t_mean, t_var, method, burnout) -> LaunchEstimate:
        from bmdsim.earth.geography.borders import country_at

        nan = ~valid
        lat = np.where(nan, np.nan, lat)
        lon = np.where(nan, np.nan, lon)
        code = np.full(lat.shape, None, dtype=object)
        if valid.any():
            code[valid] = np.asarray(country_at(lat[valid], lon[valid]), dtype=object).reshape(-1)
        code[valid & np.equal(code, None)] = SEA
        return LaunchEstimate(
            track_ids=ids,
            time_s=float(t_s),
            valid=valid,
            lat_deg=lat,
            lon_deg=lon,
            covariance_enu_m2=np.where(nan[:, None, None], np.nan, cov),
            event_time_s=np.where(nan, np.nan, t_mean),
            event_time_std_s=np.where(nan, np.nan, np.sqrt(np.maximum(t_var, 0.0))),
            country=code,
            method=method,
            burnout_time_s=burnout,
        )


__all__ = ["BoostObservations", "BoostProfile", "LaunchPointEstimator", "boost_profile"]
