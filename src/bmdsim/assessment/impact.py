"""Impact point prediction (IPP): where and when each track's object reaches the ground.

Each track's ECEF state and covariance (6 states, or 7 with ``kappa``, the tracker's inverse
ballistic coefficient) is pushed to the WGS-84 ellipsoid with the flight layer's ballistic
equations (:class:`~bmdsim.assessment.coast.BallisticCoast`: J2 gravity, Earth rotation,
USSA76 drag). Two methods:

* ``sigma-points`` (default): the ``2d + 1 = 15`` sigma points of the 7-dimensional state
  (position, velocity, ``kappa``) are coasted to the ground; the impact east/north (in the
  tangent plane at the mean impact point) and impact time are fitted by the quadratic
  surrogate of :mod:`bmdsim.assessment.sigma`, which gives the exact mean and covariance of
  the surrogate and as many impact samples as wanted for the cost of a matrix product;
* ``monte-carlo``: ``samples_per_track`` states drawn from each track's Gaussian are coasted
  one by one (the reference the surrogate is tested against; ~60x the cost).

A track with 6 states gets ``kappa`` from :class:`DragPrior`; a 7-state track whose
``kappa`` standard deviation exceeds the prior's (drag not yet observed, the tracker's
initial guess still in place) gets the prior too. ``kappa`` below zero in a sigma point or a
sample means no drag.

For a track still in powered flight the result is its *instantaneous* impact point: where
it would land if the thrust stopped now.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum

import numpy as np

from bmdsim.assessment.coast import CROSSED, BallisticCoast, _drag_ratio_table
from bmdsim.assessment.sigma import (
    SIGMA_SCALE,
    QuadraticSurrogate,
    principal_sqrt,
    sigma_points,
    standard_normals,
)
from bmdsim.assessment.types import ErrorEllipse, GroundSamples, ImpactPrediction, _scale
from bmdsim.earth.frames import ecef_to_geodetic, enu_basis, geodetic_to_ecef


class ImpactMethod(StrEnum):
    """How the state uncertainty is carried to the ground (see the module docstring)."""

    SIGMA_POINTS = "sigma-points"
    MONTE_CARLO = "monte-carlo"


@dataclass(frozen=True, slots=True, kw_only=True)
class DragPrior:
    """Prior of the drag of a threat whose track has no (observed) drag state.

    ``ballistic_coefficient_kg_m2``: the prior's ``beta = m / (Cd_ref A)``; ``relative_sigma``:
    the standard deviation of ``kappa = 1 / beta`` relative to its mean. The default
    (5,000 kg/m^2 +- 50 %: ``beta`` from ~3,300 to 10,000 within one sigma) spans slender
    MRBM reentry vehicles (the catalog's are 4,000-8,000 kg/m^2).
    """

    ballistic_coefficient_kg_m2: float = 5_000.0
    relative_sigma: float = 0.5

    @property
    def kappa_m2_kg(self) -> float:
        return 1.0 / self.ballistic_coefficient_kg_m2

    @property
    def kappa_sigma_m2_kg(self) -> float:
        return self.relative_sigma / self.ballistic_coefficient_kg_m2


def augmented_state(
    states, covariances, prior: DragPrior, compiled: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """``(N, 7)`` states ``[r, v, kappa]`` and ``(N, 7, 7)`` covariances for the coast.

    6-state tracks get ``kappa`` from ``prior`` (uncorrelated); 7-state tracks keep theirs
    unless its standard deviation exceeds the prior's (then the prior replaces it and its
    correlations). ``compiled``: 7-state tracks in one compiled kernel (copies and one
    comparison: the same arrays).
    """
    x = np.asarray(states, dtype=float)
    p = np.asarray(covariances, dtype=float)
    n, d = x.shape
    out_x = np.empty((n, 7))
    out_p = np.zeros((n, 7, 7))
    if compiled and d == 7 and p.shape == (n, 7, 7):
        from bmdsim.assessment import _kernel

        _kernel.augment(
            np.require(x, float, "CW"), np.require(p, float, "CW"),
            prior.kappa_m2_kg, prior.kappa_sigma_m2_kg**2, out_x, out_p,
        )  # fmt: skip
        return out_x, out_p
    out_x[:, :6] = x[:, :6]
    out_p[:, :6, :6] = p[:, :6, :6]
    use_prior = np.ones(n, bool)
    if d == 7:
        use_prior = ~(p[:, 6, 6] <= prior.kappa_sigma_m2_kg**2)
        keep = ~use_prior
        out_x[keep, 6] = x[keep, 6]
        out_p[keep, 6, :] = p[keep, 6, :7]
        out_p[keep, :, 6] = p[keep, :7, 6]
    out_x[use_prior, 6] = prior.kappa_m2_kg
    out_p[use_prior, 6, 6] = prior.kappa_sigma_m2_kg**2
    return out_x, out_p


def _ground_point(ecef, compiled: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Geodetic latitude and longitude [deg] ``(...)`` of ECEF points ``(..., 3)`` (of
    :func:`_geodetic`)."""
    lat, lon, _ = _geodetic(ecef, compiled)
    return lat, lon


def _geodetic(ecef, compiled: bool = True) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Geodetic latitude, longitude [deg] and height [m] ``(...)`` of ECEF points
    ``(..., 3)``: those of :func:`bmdsim.earth.frames.ecef_to_geodetic`, bit for bit.
    ``compiled``: its arithmetic in three compiled kernels between numpy's ``r**3``,
    ``cbrt`` and ``arctan2`` (a few calls instead of some thirty array operations: small
    batches cost a third), else that function."""
    if not compiled:
        return ecef_to_geodetic(ecef)
    from bmdsim.assessment import _kernel

    xyz = np.asarray(ecef, dtype=float)
    shape = xyz.shape[:-1]
    flat = xyz.reshape(-1, 3)
    if not (flat.flags.c_contiguous and flat.flags.writeable):  # one compiled signature
        flat = flat.copy()
    m = flat.shape[0]
    rho, p, q, r = np.empty(m), np.empty(m), np.empty(m), np.empty(m)
    _kernel.geodetic_head(flat, rho, p, q, r)
    arg = np.empty(m)
    _kernel.geodetic_middle(p, q, r**3, arg)
    t = np.cbrt(arg)
    den, alt = np.empty(m), np.empty(m)
    _kernel.geodetic_tail(flat, rho, q, r, t, den, alt)
    lat = 2.0 * np.arctan2(flat[:, 2], den)
    lon = np.arctan2(flat[:, 1], flat[:, 0])
    return np.degrees(lat).reshape(shape), np.degrees(lon).reshape(shape), alt.reshape(shape)


def _tangent(lat_deg, lon_deg, compiled: bool = True) -> tuple[np.ndarray, np.ndarray]:
    """Ground points ``(N,)`` on the ellipsoid, ECEF ``(N, 3)``, and their east, north unit
    vectors ``(N, 2, 3)``: :func:`bmdsim.earth.frames.geodetic_to_ecef` and
    :func:`bmdsim.earth.frames.enu_basis`, bit for bit. ``compiled``: the sines and cosines
    taken once (numpy), the rest in one compiled kernel."""
    if not compiled:
        return geodetic_to_ecef(lat_deg, lon_deg, 0.0), enu_basis(lat_deg, lon_deg)[:, :2]
    from bmdsim.assessment import _kernel

    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    m = lat.shape[0]
    site, basis = np.empty((m, 3)), np.empty((m, 2, 3))
    _kernel.tangent_plane(np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon), site, basis)
    return site, basis


def _enu_rows(lat_deg, lon_deg, compiled: bool = True) -> np.ndarray:
    """:func:`bmdsim.earth.frames.enu_basis` ``(N, 3, 3)`` of points ``(N,)``, bit for bit
    (``compiled``: the sines and cosines from numpy, the rest in one compiled kernel)."""
    if not compiled:
        return enu_basis(lat_deg, lon_deg)
    from bmdsim.assessment import _kernel

    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    basis = np.empty((lat.shape[0], 3, 3))
    _kernel.enu_rows(np.sin(lat), np.cos(lat), np.sin(lon), np.cos(lon), basis)
    return basis


def _ground_ecef(lat_deg, lon_deg) -> np.ndarray:
    """``geodetic_to_ecef(lat_deg, lon_deg, 0.0)`` ``(..., 3)`` of points ``(...)`` (one
    shape), bit for bit: the sines and cosines from numpy, the rest in a compiled kernel."""
    from bmdsim.assessment import _kernel

    lat = np.radians(np.asarray(lat_deg, dtype=float))
    lon = np.radians(np.asarray(lon_deg, dtype=float))
    out = np.empty((*lat.shape, 3))
    _kernel.ground_ecef(
        np.sin(lat).ravel(), np.cos(lat).ravel(), np.sin(lon).ravel(), np.cos(lon).ravel(),
        out.reshape(-1, 3),
    )  # fmt: skip
    return out


def _vector_to_enu(vec, lat_deg, lon_deg, compiled: bool = True) -> np.ndarray:
    """:func:`bmdsim.earth.frames.ecef_vector_to_enu` of vectors ``(N, 3)`` at points
    ``(N,)`` (the same product, on :func:`_enu_rows`)."""
    basis = _enu_rows(lat_deg, lon_deg, compiled)
    return np.einsum("...ij,...j->...i", basis, np.asarray(vec, dtype=float))


def _enu_offsets(points_ecef, plane) -> np.ndarray:
    """East, north ``(N, K, 2)`` of points ``(N, K, 3)`` in the tangent ``plane`` (of
    :func:`_tangent`) of each row."""
    site, basis = plane
    return (points_ecef - site[:, None]) @ np.swapaxes(basis, -1, -2)


def _surrogate(enu, t, compiled: bool = True) -> tuple[QuadraticSurrogate, np.ndarray]:
    """The quadratic surrogate of ``[east, north, t]`` at the sigma points (``enu (N, M,
    2)``, ``t (N, M)``) and its mean ``(N, 3)``: ``QuadraticSurrogate.from_sigma_values``
    and ``.mean()``, bit for bit (``compiled``: in one kernel, with ``a`` and ``b`` laid
    out in memory as numpy lays them, so that products of them take the same path)."""
    d = (t.shape[1] - 1) // 2
    if not compiled or d >= 8:  # numpy sums 8 terms or more pairwise
        sur = QuadraticSurrogate.from_sigma_values(np.concatenate([enu, t[..., None]], axis=-1))
        return sur, sur.mean()
    from bmdsim.assessment import _kernel

    n = t.shape[0]
    f0, a, b, mean = np.empty((n, 3)), np.empty((n, d, 3)), np.empty((n, d, 3)), np.empty((n, 3))
    _kernel.surrogate_moments(
        np.require(enu, float, "CW"), np.require(t, float, "CW"), SIGMA_SCALE, f0, a, b, mean
    )
    return QuadraticSurrogate(f0=f0, a=np.swapaxes(a, 1, 2), b=np.swapaxes(b, 1, 2)), mean


#: Samples taken to the ground per block of rows: the conversion is element-wise (and the
#: products row-wise), so blocks change no bit, and their temporaries stay small.
_GROUND_BLOCK = 8_192


def _samples_to_ground(enu, t, plane, compiled: bool = True) -> GroundSamples:
    """Sampled east/north offsets ``(N, S, 2)`` in the tangent ``plane`` of each row (of
    :func:`_tangent`) to lat/lon."""
    n, s, _ = enu.shape
    site, basis = plane
    lat, lon = np.empty((n, s)), np.empty((n, s))
    step = max(1, _GROUND_BLOCK // max(s, 1))
    for i in range(0, n, step):  # blocks of rows
        rows = slice(i, i + step)
        ecef = site[rows, None] + enu[rows] @ basis[rows]
        la, lo = _ground_point(ecef.reshape(-1, 3), compiled)
        lat[rows], lon[rows] = la.reshape(-1, s), lo.reshape(-1, s)
    return GroundSamples(lat_deg=lat, lon_deg=lon, t_s=t, enu_m=enu)


def _compiled_samples(rng, s: int, d: int, site, basis, f0, ab) -> GroundSamples:
    """``s`` impact samples per track of the surrogates ``f0 (N, 3)``, ``ab (N, 2d, 3)`` in
    the planes ``site``, ``basis`` (of :func:`bmdsim.assessment._kernel.impact_sigma`) from
    the standard normals of ``rng`` (one generator, or one per track, as
    :meth:`QuadraticSurrogate.sample_streams` draws them), with their ground points."""
    from bmdsim.assessment import _kernel
    from bmdsim.assessment.sigma import _DRAWS, _generators

    n = f0.shape[0]
    if isinstance(rng, np.random.Generator):
        u = rng.standard_normal((n, s, d))
        regressors = np.concatenate([u, u * u], axis=-1)
    else:
        regressors = [_DRAWS.regressors(g, s, d) for g in _generators(rng, n)]
    enu, t = np.empty((n, s, 2)), np.empty((n, s))
    x, y, z = np.empty((n, s)), np.empty((n, s)), np.empty((n, s))
    rho, q, r, arg = np.empty((n, s)), np.empty((n, s)), np.empty((n, s)), np.empty((n, s))
    den = np.empty((n, s))
    for i in range(n):  # one call per track (each its own stream's regressors)
        _kernel.impact_samples(
            regressors[i], f0[i], ab[i], site[i], basis[i],
            enu[i], t[i], x[i], y[i], z[i], rho[i], q[i], r[i], arg[i],
        )  # fmt: skip
    np.cbrt(arg, out=arg)
    _kernel.samples_tail(z.reshape(-1), rho.reshape(-1), q.reshape(-1), r.reshape(-1),
                         arg.reshape(-1), den.reshape(-1))  # fmt: skip
    lat = np.arctan2(z, den, out=z)  # half the latitude
    lat *= 360.0 / np.pi
    lon = np.arctan2(y, x, out=y)
    lon *= 180.0 / np.pi
    return GroundSamples(lat_deg=lat, lon_deg=lon, t_s=t, enu_m=enu)


@dataclass(frozen=True, slots=True, kw_only=True)
class ImpactPredictor:
    """Predicts impact points, ellipses and times of a batch of tracks (one call for all).

    coast: the ballistic integrator; drag_prior: ``kappa`` where the track has none;
    method: :class:`ImpactMethod`; samples_per_track: impact samples kept per track
    (0: none; the Monte Carlo method needs at least 2); compiled: the sigma-point method
    in compiled kernels (:meth:`_sigma_points_compiled`: numba's arithmetic, equal to the
    numpy path, ``False``, to rounding).
    """

    coast: BallisticCoast = field(default_factory=BallisticCoast)
    drag_prior: DragPrior = field(default_factory=DragPrior)
    method: ImpactMethod = ImpactMethod.SIGMA_POINTS
    samples_per_track: int = 1_000
    compiled: bool = True

    def predict(self, tracks, t_s: float, rng=None) -> ImpactPrediction:
        """Impact predictions of every track of a :class:`bmdsim.tracking.TrackBatch`.

        ``t_s``: the time of the prediction [s since epoch] (time to impact is counted from
        it; each track is coasted from its own estimate time ``tracks.times_s``). ``rng``: a
        :class:`numpy.random.Generator`, or one per track (e.g.
        ``stream(seed, "assessment", str(track_id))``), needed when samples are drawn.
        """
        return self.predict_states(
            tracks.states, tracks.covariances, tracks.times_s, t_s, rng, track_ids=tracks.ids
        )

    def predict_states(
        self, states, covariances, times_s, t_s: float, rng=None, *, track_ids=None
    ) -> ImpactPrediction:
        """As :meth:`predict` from arrays: ECEF ``states (N, 6|7)``, ``covariances``,
        estimate times ``times_s`` (scalar or ``(N,)``) [s]."""
        x, p = augmented_state(states, covariances, self.drag_prior, self.compiled)
        n = x.shape[0]
        times = np.broadcast_to(np.asarray(times_s, dtype=float), (n,))
        ids = np.arange(n, dtype=np.int64) if track_ids is None else np.asarray(track_ids)
        s = self.samples_per_track
        if s and rng is None:
            raise ValueError("an rng is needed to draw impact samples")
        if self.method == ImpactMethod.MONTE_CARLO:
            if s < 2:
                raise ValueError("the Monte Carlo method needs samples_per_track >= 2")
            return self._monte_carlo(x, p, times, float(t_s), ids, rng)
        return self._sigma_points(x, p, times, float(t_s), ids, rng)

    # -- methods ----------------------------------------------------------------------------
    def _coast(self, points) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        flat = points.reshape(-1, 7)
        res = self.coast.to_altitude(flat[:, :6], np.maximum(flat[:, 6], 0.0))
        shape = points.shape[:-1]
        return (
            res.state[:, :3].reshape(*shape, 3),
            res.dt_s.reshape(shape),
            (res.status == CROSSED).reshape(shape),
        )

    def _sigma_points(self, x, p, times, t_s, ids, rng) -> ImpactPrediction:
        if self.compiled:
            return self._sigma_points_compiled(x, p, times, t_s, ids, rng)
        jit = self.compiled
        pts = sigma_points(x, p, compiled=jit)
        impact, dt, ok = self._coast(pts)
        valid = ok.all(axis=1)
        t_imp = times[:, None] + dt
        # first pass in the tangent plane at the central impact, to find the mean point
        plane = _tangent(*_ground_point(impact[:, 0], jit), jit)
        mean0 = _surrogate(_enu_offsets(impact, plane), t_imp, jit)[1]
        mean_ecef = plane[0] + np.einsum("ni,nij->nj", mean0[:, :2], plane[1])
        lat, lon = _ground_point(mean_ecef, jit)
        # second pass about the mean point
        plane = _tangent(lat, lon, jit)
        sur, mean = _surrogate(_enu_offsets(impact, plane), t_imp, jit)
        cov = sur.covariance()
        samples = None
        if self.samples_per_track:
            draw = sur.sample_streams(rng, self.samples_per_track)
            samples = _samples_to_ground(draw[..., :2], draw[..., 2], plane, jit)
        return self._record(
            ids, t_s, valid, lat, lon, cov[:, :2, :2], mean[:, 2], cov[:, 2, 2], samples,
            site=plane[0] if jit else None,
        )  # fmt: skip

    def _sigma_points_compiled(self, x, p, times, t_s, ids, rng) -> ImpactPrediction:
        """:meth:`_sigma_points` in two compiled kernels (numba's arithmetic: equal to the
        numpy path's to rounding): the sigma points, their coasts, the two surrogate fits,
        moments and ellipses in one call for the batch; the samples' draws, ground points
        and the first steps of their latitudes in one call per track, then numpy's cube
        roots and arctangents over the batch."""
        from bmdsim.assessment import _kernel
        from bmdsim.flight.air import air_table
        from bmdsim.flight.dynamics import MACH_STEP

        n, d = x.shape
        w, v = np.linalg.eigh(0.5 * (p + np.swapaxes(p, -1, -2)))
        c = self.coast
        table = air_table()
        valid = np.empty(n, bool)
        lat, lon, t_mean, t_std = np.empty(n), np.empty(n), np.empty(n), np.empty(n)
        major, minor, azimuth = np.empty(n), np.empty(n), np.empty(n)
        cov, impact_ecef = np.empty((n, 2, 2)), np.empty((n, 3))
        site, basis = np.empty((n, 3)), np.empty((n, 2, 3))
        f0, ab = np.empty((n, 3)), np.empty((n, 2 * d, 3))
        _kernel.impact_sigma(
            x, w, np.require(v, float, "CW"), SIGMA_SCALE, np.require(times, float, "CW"),
            float(c.h_exo_s), float(c.h_endo_s), float(c.endo_error_m_s), float(c.alt_endo_m),
            float(c.max_dt_s),
            bool(c.j2), table.rows, table.alt_min_m, table.inv_step_per_m, table.last_node,
            _drag_ratio_table(), 1.0 / MACH_STEP, _scale(0.95),
            valid, lat, lon, cov, t_mean, t_std, impact_ecef, major, minor, azimuth,
            site, basis, f0, ab,
        )  # fmt: skip
        samples = None
        s = self.samples_per_track
        if s:
            samples = _compiled_samples(rng, s, d, site, basis, f0, ab)
        return ImpactPrediction(
            track_ids=np.asarray(ids, dtype=np.int64),
            time_s=t_s,
            valid=valid,
            lat_deg=lat,
            lon_deg=lon,
            covariance_enu_m2=cov,
            event_time_s=t_mean,
            event_time_std_s=t_std,
            samples=samples,
            impact_ecef=impact_ecef,
            ellipse_semi_major_m=major,
            ellipse_semi_minor_m=minor,
            ellipse_azimuth_rad=azimuth,
        )

    def _monte_carlo(self, x, p, times, t_s, ids, rng) -> ImpactPrediction:
        n, s = x.shape[0], self.samples_per_track
        u = standard_normals(rng, n, s, 7)
        states = x[:, None] + u @ np.swapaxes(principal_sqrt(p), -1, -2)
        impact, dt, ok = self._coast(states)
        t_imp = np.where(ok, times[:, None] + dt, np.nan)
        impact = np.where(ok[..., None], impact, np.nan)
        valid = ok.mean(axis=1) >= 0.5
        centre = np.nanmean(impact, axis=1)
        centre[~valid] = x[~valid, :3]
        plane = _tangent(*_ground_point(centre))
        enu = _enu_offsets(impact, plane)
        mean_enu = np.nanmean(enu, axis=1)
        # move the mean point onto the sample mean (it is on the ellipsoid already to ~m)
        mean_ecef = plane[0] + np.einsum("ni,nij->nj", np.nan_to_num(mean_enu), plane[1])
        lat, lon = _ground_point(mean_ecef)
        enu = _enu_offsets(impact, _tangent(lat, lon))
        d = enu - np.nanmean(enu, axis=1, keepdims=True)
        cnt = np.maximum(ok.sum(axis=1) - 1, 1)
        cov = np.einsum("nsi,nsj->nij", np.nan_to_num(d), np.nan_to_num(d)) / cnt[:, None, None]
        t_ok = np.where(valid[:, None], t_imp, 0.0)
        t_mean = np.nanmean(t_ok, axis=1)
        t_var = np.nanvar(t_ok, axis=1, ddof=1)
        s_lat, s_lon = _ground_point(impact.reshape(-1, 3))
        samples = GroundSamples(
            lat_deg=s_lat.reshape(n, s), lon_deg=s_lon.reshape(n, s), t_s=t_imp, enu_m=enu
        )
        return self._record(ids, t_s, valid, lat, lon, cov, t_mean, t_var, samples)

    @staticmethod
    def _record(
        ids, t_s, valid, lat, lon, cov, t_mean, t_var, samples, site=None
    ) -> ImpactPrediction:
        """The record; ``site``: ``geodetic_to_ecef(lat, lon, 0.0)`` when already made (the
        mean impact points, ECEF ``(N, 3)``)."""
        nan = ~valid
        lat = np.where(nan, np.nan, lat)
        lon = np.where(nan, np.nan, lon)
        cov = np.where(nan[:, None, None], np.nan, cov)
        t_mean = np.where(nan, np.nan, t_mean)
        t_std = np.where(nan, np.nan, np.sqrt(np.maximum(t_var, 0.0)))
        finite = bool(np.isfinite(cov).all())  # nan_to_num changes nothing then
        ell = ErrorEllipse.from_covariance(cov if finite else np.nan_to_num(cov), 0.95)
        if site is None:
            site = geodetic_to_ecef(np.nan_to_num(lat), np.nan_to_num(lon), 0.0)
            impact_ecef = site * np.where(nan, np.nan, 1.0)[:, None]
        else:  # the same bits: a valid row times 1.0, an invalid one NaN (NaN * x is NaN)
            impact_ecef = np.where(nan[:, None], np.nan, site)
        return ImpactPrediction(
            track_ids=np.asarray(ids, dtype=np.int64),
            time_s=t_s,
            valid=valid,
            lat_deg=lat,
            lon_deg=lon,
            covariance_enu_m2=cov,
            event_time_s=t_mean,
            event_time_std_s=t_std,
            samples=samples,
            impact_ecef=impact_ecef,
            ellipse_semi_major_m=np.where(nan, np.nan, ell.semi_major_m),
            ellipse_semi_minor_m=np.where(nan, np.nan, ell.semi_minor_m),
            ellipse_azimuth_rad=np.where(nan, np.nan, ell.azimuth_rad),
        )


__all__ = ["SIGMA_SCALE", "DragPrior", "ImpactMethod", "ImpactPredictor", "augmented_state"]
