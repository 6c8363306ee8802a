"""Ground and ship BMD radars: search fence, track/cued dwells, false alarms.

Looks
    *Search*: frame ``k`` starts at ``phase + k * search_frame_s``; the beam sweeps
    the azimuth sector in ``SEARCH_SECTORS`` steps, each a snapshot: sub-frame ``s``
    looks at ``search_frame_s * s / SEARCH_SECTORS`` after the frame start at the
    objects whose azimuth then lies in the ``s``-th slice of the sector (an object
    crossing a slice boundary against the sweep may be seen twice or missed in a
    frame, as with a real raster). Each look needs truth only at its own time, so a
    window's truth table need only cover the window. Only the search fence (apparent
    elevation up to ``search_max_elevation_rad``) is searched.
    *Track*: tick ``j`` at ``phase + j * track_revisit_s``; for each cue active at
    the tick the radar dwells on the cue's predicted centre. An object is in the
    dwell if its direction is within ``max(beamwidth / 2, atan(radius / range))``
    of the cue's and its range within ``radius + range_resolution``; the dwell
    covers the whole field of regard in elevation and has ``track_snr_gain_db``
    more SNR. One dwell detection per object and tick at most.

Visibility (every look): the object exists, the 4/3-Earth ray clears the Earth
(:func:`bmdsim.sensors.geometry.refracted_elevation`), its apparent elevation is
within ``[elevation mask, max]``, its azimuth within the sector about the
boresight, its range within ``max_range_m``. A visible object is detected with
the single-look probability of its mean SNR (:mod:`bmdsim.sensors.detection`).

Measurements: ``[range, azimuth, elevation(, range rate)]`` from the true
geometry (:class:`bmdsim.sensors.models.EcefToRangeAzElRangeRate`, geometric
elevation: the radar corrects refraction) plus independent Gaussian errors of
standard deviation :func:`bmdsim.sensors.detection.measurement_sigma` at the
look's mean SNR; the reported ``snr`` is that mean SNR.

Measured RCS: the look's square-law statistic ``x`` follows from the same uniform draw
that decided its detection (:func:`bmdsim.sensors.detection.detection_statistic`: the
look is detected exactly when ``x`` exceeds the threshold), so it fluctuates as the
radar type's Swerling case; the radar inverts its own range equation at the measured SNR
``(x - 1) / gain`` (a dwell's ``track_snr_gain`` removed) and the measured range
(:func:`bmdsim.sensors.detection.radar_rcs`) and reports ``rcs_m2``. A false alarm's RCS
is that of its statistic at its range.

False alarms: per search frame, Poisson with mean ``pfa * n_cells`` where
``n_cells`` counts the range cells times beam positions of the searched volume;
each is a uniform cell (range, azimuth, apparent elevation) with a range rate
uniform in ``+/- FALSE_ALARM_RANGE_RATE_M_S`` and the detection statistic of
noise above the threshold (``-ln Pfa + Exp(1)``; its ``snr`` is that minus one).
Dwells cover a few hundred cells and make no false alarms (``< 1e-5`` per dwell).
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special

from bmdsim.catalog.sensors import RadarType, SwerlingCase
from bmdsim.core.random import _name_key
from bmdsim.earth.constants import A_M, E2
from bmdsim.sensors.base import Part, Sensor, _prefix_words, part, scan_list
from bmdsim.sensors.detection import (
    detection_probability,
    detection_statistic,
    radar_rcs,
    radar_snr,
)
from bmdsim.sensors.geometry import (
    STANDARD_REFRACTION_K,
    refracted_elevation,
    refracted_elevation_from,
    refraction_site,
)
from bmdsim.sensors.models import EcefToRangeAzElRangeRate, wrap_angle
from bmdsim.sensors.platforms import FixedSite, WaypointPlatform
from bmdsim.sensors.truth import TruthTable
from bmdsim.sensors.types import N_ROW, R_T, CueSet, DetectionMode, MeasurementKind

#: Sectors a search frame is swept in: sector ``s`` of frame ``k`` is searched as a snapshot
#: at ``phase + (k + s / SEARCH_SECTORS) * search_frame_s``.
SEARCH_SECTORS = 10

#: Half-width of the range-rate interval a false alarm's Doppler is drawn from [m/s].
FALSE_ALARM_RANGE_RATE_M_S = 8000.0

#: Ranges beyond this are "far" in the dwell range gate's sort key [m].
_FAR_M = 1.0e9

#: Above this many (dwell, object) pairs the range gate sorts objects by range instead of
#: testing every pair (same candidates after the exact tests).
_DENSE_GATE_PAIRS = 65536

#: Largest workspace (look times x objects) a radar keeps between windows.
_WORKSPACE_KEPT = 1 << 16

#: Search frames whose false alarms a radar keeps (a frame spans several engine steps).
_MEMO_FRAMES = 8

_TWO_PI = 2.0 * np.pi
_FIVE = np.arange(5)

# ecef_to_geodetic's constants (bmdsim.earth.frames), for the compiled looks
_A2 = A_M * A_M
_E2 = E2
_E4 = E2 * E2
# gaussian_radius_m's numerator A_M * sqrt(1 - E2)
_A_SQRT = A_M * np.sqrt(1.0 - E2)


@dataclass(frozen=True, slots=True, kw_only=True)
class _Constants:
    """What a radar's looks need that depends on the radar alone (computed once)."""

    frame_s: float
    sub_s: float
    search_phase_s: float
    period_s: float
    track_phase_s: float
    false_alarms_per_frame: float
    threshold: float
    min_elevation_rad: float
    dim: int
    kind: MeasurementKind
    swerling_1: bool  # Pd = pfa ** (1 / (1 + snr)), statistic -(1 + snr) ln u
    sigma_thermal: np.ndarray  # (m,): sigma_ref**2 * reference_snr per axis
    sigma_floor2: np.ndarray  # (m,): sigma_floor**2 per axis
    site: _Site | None  # a fixed site's geometry
    compiled: bool  # looks evaluated by bmdsim.sensors._radar_kernel (Swerling 1 and 3)
    outages: bool  # the radar has an outage schedule (else no down mask is needed)
    params: np.ndarray  # (N_PARAMS,): the compiled looks' parameters
    site_row: np.ndarray  # (N_GEOM,): a fixed site's geometry row (zeros for a ship)
    waypoints: np.ndarray  # (3, W): a ship's waypoint times, latitudes, longitudes
    track_prefix: np.ndarray  # uint32: entropy words of the ("sensor", id, "track") streams


#: Rows of a fixed site's pre-broadcast geometry (:class:`_Site`); longer batches broadcast.
_SITE_ROWS = 64


@dataclass(frozen=True, slots=True, kw_only=True)
class _Site:
    """A fixed site's geometry as read-only rows (slices of them are the arrays that
    broadcasting or ``np.full`` would give, without the call overhead), and the site's part
    of the refraction model (:func:`bmdsim.sensors.geometry.refraction_site`)."""

    position: np.ndarray  # (_SITE_ROWS, 3), stride 0
    velocity: np.ndarray  # (_SITE_ROWS, 3) zeros
    basis: np.ndarray  # (_SITE_ROWS, 3, 3), stride 0
    lat_deg: np.ndarray  # (_SITE_ROWS,)
    lon_deg: np.ndarray
    alt_m: np.ndarray
    refraction: tuple  # (normal (_SITE_ROWS, 3), kR (_SITE_ROWS,), kR + h (_SITE_ROWS,))

    @classmethod
    def of(cls, platform: FixedSite, k: float) -> _Site:
        pos, _ = platform.state_at(np.zeros(1))
        basis = platform.basis_at(np.zeros(1))
        rows = [
            np.full(_SITE_ROWS, x) for x in (platform.lat_deg, platform.lon_deg, platform.alt_m)
        ]
        n_s, r_eff, sy = refraction_site(*(r[:1] for r in rows), k=k)
        out = cls(
            position=np.broadcast_to(pos[0], (_SITE_ROWS, 3)),
            velocity=np.zeros((_SITE_ROWS, 3)),
            basis=np.broadcast_to(basis[0], (_SITE_ROWS, 3, 3)),
            lat_deg=rows[0],
            lon_deg=rows[1],
            alt_m=rows[2],
            refraction=(
                np.broadcast_to(n_s[0], (_SITE_ROWS, 3)),
                np.full(_SITE_ROWS, r_eff[0]),
                np.full(_SITE_ROWS, sy[0]),
            ),
        )
        for a in (out.velocity, *rows, *out.refraction[1:]):
            a.setflags(write=False)
        return out

    def refraction_rows(self, n: int):
        """The site's part of the refraction model for ``n`` looks."""
        if n <= _SITE_ROWS:
            return tuple(a[:n] for a in self.refraction)
        return tuple(a[0] for a in self.refraction)

    def rows(self, n: int):
        """``(position, velocity, basis, lat, lon, alt)`` of ``n`` looks."""
        if n <= _SITE_ROWS:
            return (
                self.position[:n],
                self.velocity[:n],
                self.basis[:n],
                self.lat_deg[:n],
                self.lon_deg[:n],
                self.alt_m[:n],
            )
        return (
            np.broadcast_to(self.position[0], (n, 3)),
            np.zeros((n, 3)),
            np.broadcast_to(self.basis[0], (n, 3, 3)),
            np.full(n, self.lat_deg[0]),
            np.full(n, self.lon_deg[0]),
            np.full(n, self.alt_m[0]),
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class _Looks:
    """Platform geometry at the distinct look times ``t_s (K,)`` of one window."""

    t_s: np.ndarray
    position: np.ndarray  # (K, 3)
    velocity: np.ndarray  # (K, 3)
    basis: np.ndarray  # (K, 3, 3)
    lat_deg: np.ndarray  # (K,)
    lon_deg: np.ndarray
    alt_m: np.ndarray
    refraction: tuple | None = None  # refraction_site at the K times (a moving platform)


@dataclass(frozen=True, slots=True, kw_only=True)
class Radar(Sensor):
    """A BMD radar on a fixed site or a ship.

    ``boresight_az_rad`` (clockwise from north) centres the azimuth sector of a
    limited-sector type; ``elevation_mask_rad`` overrides the type's minimum
    elevation (terrain at a site); ``refraction_k`` is the effective-Earth factor.
    """

    type: RadarType
    platform: FixedSite | WaypointPlatform
    boresight_az_rad: float = 0.0
    elevation_mask_rad: float | None = None
    refraction_k: float = STANDARD_REFRACTION_K

    @property
    def min_elevation_rad(self) -> float:
        if self.elevation_mask_rad is None:
            return self.type.min_elevation_rad
        return self.elevation_mask_rad

    @property
    def measurement_kind(self) -> MeasurementKind:
        if self.type.measures_range_rate:
            return MeasurementKind.RANGE_AZ_EL_RATE
        return MeasurementKind.RANGE_AZ_EL

    def search_cells(self) -> float:
        """Resolution cells in the searched volume: range cells x beam positions."""
        t = self.type
        width = 2.0 * t.azimuth_half_width_rad
        height = t.search_max_elevation_rad - self.min_elevation_rad
        beams = max(width / t.beamwidth_rad, 1.0) * max(height / t.beamwidth_rad, 1.0)
        return beams * t.max_range_m / t.range_resolution_m

    def false_alarms_per_frame(self) -> float:
        """Mean number of false alarms per search frame."""
        return self.type.pfa * self.search_cells()

    def _constants(self) -> _Constants:
        c = self._memo.get("constants")
        if c is not None:
            return c
        t = self.type
        refs = [
            (t.range_sigma_ref_m, t.range_sigma_floor_m),
            (t.angle_sigma_ref_rad, t.angle_sigma_floor_rad),
            (t.angle_sigma_ref_rad, t.angle_sigma_floor_rad),
        ]
        if t.measures_range_rate:
            refs.append((t.range_rate_sigma_ref_m_s, t.range_rate_sigma_floor_m_s))
        site = None
        if isinstance(self.platform, FixedSite):
            site = _Site.of(self.platform, self.refraction_k)
        params, site_row = self._kernel_params(refs, site)
        c = _Constants(
            frame_s=t.search_frame_s,
            sub_s=t.search_frame_s / SEARCH_SECTORS,
            search_phase_s=self.phase_s(t.search_frame_s, "search"),
            period_s=t.track_revisit_s,
            track_phase_s=self.phase_s(t.track_revisit_s, "track"),
            false_alarms_per_frame=self.false_alarms_per_frame(),
            threshold=-math.log(t.pfa),
            min_elevation_rad=self.min_elevation_rad,
            dim=self.measurement_kind.dim,
            kind=self.measurement_kind,
            swerling_1=SwerlingCase(int(t.swerling)) is SwerlingCase.SWERLING_1,
            # measurement_sigma's sqrt(sigma_ref * sigma_ref * reference_snr / snr + floor**2)
            sigma_thermal=np.array([r * r * t.reference_snr for r, _ in refs]),
            sigma_floor2=np.array([f * f for _, f in refs]),
            site=site,
            compiled=SwerlingCase(int(t.swerling)) is not SwerlingCase.NONFLUCTUATING,
            outages=bool(self.outages.windows_s) or self.outages.mtbf_s is not None,
            params=params,
            site_row=site_row,
            waypoints=_waypoints(self.platform),
            track_prefix=_prefix_words(self.seed, ("sensor", self.id, "track")),
        )
        self._memo["constants"] = c
        return c

    def _kernel_params(self, refs, site: _Site | None):
        """The parameter vector of :mod:`bmdsim.sensors._radar_kernel` and a fixed site's
        geometry row (read-only)."""
        from bmdsim.sensors import _radar_kernel as rk

        t = self.type
        p = np.zeros(rk.N_PARAMS)
        p[rk.P_SUB] = t.search_frame_s / SEARCH_SECTORS
        p[rk.P_SEARCH_PHASE] = self.phase_s(t.search_frame_s, "search")
        p[rk.P_PERIOD] = t.track_revisit_s
        p[rk.P_TRACK_PHASE] = self.phase_s(t.track_revisit_s, "track")
        p[rk.P_FULL_AZIMUTH] = float(t.full_azimuth)
        p[rk.P_BORESIGHT] = self.boresight_az_rad
        p[rk.P_HALF_WIDTH] = t.azimuth_half_width_rad
        p[rk.P_RANGE_RES] = t.range_resolution_m
        p[rk.P_HALF_BEAM] = 0.5 * t.beamwidth_rad
        p[rk.P_SECTORS] = SEARCH_SECTORS
        p[rk.P_K] = self.refraction_k
        p[rk.P_A] = A_M
        p[rk.P_E2] = E2
        p[rk.P_A_SQRT] = _A_SQRT
        p[rk.P_ALT] = 0.0 if site is not None else self.platform.alt_m
        p[rk.P_H] = 1e-6  # WaypointPlatform.frame_at's central-difference step [deg]
        p[rk.P_MAX_RANGE] = t.max_range_m
        p[rk.P_PFA] = t.pfa
        p[rk.P_THRESHOLD] = -math.log(t.pfa)
        p[rk.P_REF_SNR] = t.reference_snr
        p[rk.P_REF_RANGE] = t.reference_range_m
        p[rk.P_REF_RCS] = t.reference_rcs_m2
        p[rk.P_MIN_EL] = self.min_elevation_rad
        p[rk.P_SEARCH_TOP] = t.search_max_elevation_rad
        p[rk.P_TRACK_TOP] = t.max_elevation_rad
        p[rk.P_TRACK_GAIN] = t.track_snr_gain
        p[rk.P_SWERLING] = int(t.swerling)
        p[rk.P_DIM] = len(refs)
        p[rk.P_KIND] = int(self.measurement_kind)
        p[rk.P_FA_RATE] = FALSE_ALARM_RANGE_RATE_M_S
        for axis, (ref, floor) in enumerate(refs):
            p[rk.P_THERMAL + axis] = ref * ref * t.reference_snr
            p[rk.P_FLOOR2 + axis] = floor * floor
        row = np.zeros(rk.N_GEOM)
        if site is not None:
            row[rk.G_POS : rk.G_POS + 3] = site.position[0]
            row[rk.G_BASIS : rk.G_BASIS + 9] = site.basis[0].ravel()
            row[rk.G_NORMAL : rk.G_NORMAL + 3] = site.refraction[0][0]
            row[rk.G_REFF] = site.refraction[1][0]
            row[rk.G_SY] = site.refraction[2][0]
        p.setflags(write=False)
        row.setflags(write=False)
        return p, row

    # -- geometry -------------------------------------------------------------------

    def _sector_fraction(self, az):
        """Place ``u in [0, 1)`` of azimuths in the sweep of the sector."""
        t = self.type
        if t.full_azimuth:
            return np.mod(az, 2.0 * np.pi) / (2.0 * np.pi)
        off = wrap_angle(az - self.boresight_az_rad)
        # np.clip's values (NaN kept) without its Python overhead
        return np.minimum(
            np.maximum((off + t.azimuth_half_width_rad) / (2.0 * t.azimuth_half_width_rad), 0.0),
            1.0 - 1e-12,
        )

    def _geometry(self, t_look, states):
        """True measurements and visibility of looks at ``t_look (...)`` on ``states (..., 6)``.

        Returns ``(z (..., 4), visible_for (...), el_app (...), pos, vel, basis)``
        with ``visible_for`` the visibility without the elevation upper limit.
        """
        pos, vel = self.platform.state_at(t_look)
        basis = self.platform.basis_at(t_look)
        lat, lon, alt = self.platform.geodetic_at(t_look)
        model = EcefToRangeAzElRangeRate(
            sensor_position_ecef=pos,
            sensor_velocity_ecef=vel,
            sensor_basis=basis,
            noise_covariance=np.zeros(4),
        )
        with np.errstate(invalid="ignore", divide="ignore"):
            z = model.function(states)
            el_app, clear = refracted_elevation(lat, lon, alt, states[..., :3], k=self.refraction_k)
            ok = clear & (z[..., 0] <= self.type.max_range_m) & (el_app >= self.min_elevation_rad)
            if not self.type.full_azimuth:
                off = wrap_angle(z[..., 1] - self.boresight_az_rad)
                ok &= np.abs(off) <= self.type.azimuth_half_width_rad
        return z, ok, el_app, pos, vel, basis

    def visible(self, t_s, states_ecef, *, search: bool = False) -> np.ndarray:
        """Whether objects at ECEF ``states_ecef (..., 6)`` at times ``t_s (...)`` can be
        seen (horizon, sector, elevation limits, range); ``search`` uses the search
        fence's upper elevation instead of the field of regard's."""
        t = np.broadcast_to(np.asarray(t_s, dtype=float), np.shape(states_ecef)[:-1])
        _, ok, el_app, *_ = self._geometry(t, np.asarray(states_ecef, dtype=float))
        top = self.type.search_max_elevation_rad if search else self.type.max_elevation_rad
        return ok & (el_app <= top)

    def _looks_geometry(self, t_s: np.ndarray) -> _Looks:
        """Platform position, velocity, ENU basis and geodetic position at times ``(K,)``
        (each time on its own: the same numbers in any batch)."""
        site = self._constants().site
        refraction = None
        if site is not None:
            pos, vel, basis, lat, lon, alt = site.rows(t_s.shape[0])
        else:
            from bmdsim.sensors._kernel import site_refraction

            (pos, vel, basis, lat, lon, alt), sin_ll, cos_ll = self.platform.frame_trig_at(t_s)
            # refraction_site(lat, lon, alt, k) from the frame's sines and cosines (compiled)
            refraction = site_refraction(sin_ll, cos_ll, alt, self.refraction_k, _A_SQRT, _E2)
        return _Looks(
            t_s=t_s,
            position=pos,
            velocity=vel,
            basis=basis,
            lat_deg=lat,
            lon_deg=lon,
            alt_m=alt,
            refraction=refraction,
        )

    # -- looks ----------------------------------------------------------------------

    def _detect_numpy(self, looks: _Looks, states, at, obj, draws, truth, gain, el_top):
        """Evaluate looks (flat: look-time rows ``at (L,)`` of ``looks``, object indices
        ``obj (L,)``, true states ``(L, 6)``, draws ``(L, 5)``, SNR gain and upper
        elevation limit ``(L,)``) and return ``(index (H,), arrays)`` of those detected.

        Every quantity is computed look by look (elementwise), so a look's numbers do not
        depend on the other looks; the tests are made cheapest first (range and sector,
        then the draw against Pd, then the refracted horizon and elevation limits), and the
        evaluation stops when no look is left."""
        t = self.type
        c = self._constants()
        if c.site is not None:
            pos, vel, basis, *_ = c.site.rows(at.shape[0])
        else:
            pos, vel, basis = looks.position[at], looks.velocity[at], looks.basis[at]
        # EcefToRangeAzElRangeRate.function: range, azimuth (elevation and range rate of the
        # detected looks below); the local offset and closing product compiled
        from bmdsim.sensors._kernel import local_and_closing

        e, n, u, closing = local_and_closing(states, pos, vel, basis)
        horiz = np.hypot(e, n)
        rng = np.hypot(horiz, u)
        az = np.mod(np.arctan2(e, n), _TWO_PI)
        ok = rng <= t.max_range_m
        if not t.full_azimuth:
            ok &= np.abs(wrap_angle(az - self.boresight_az_rad)) <= t.azimuth_half_width_rad
        if not ok.any():
            return None
        snr = gain * radar_snr(
            rng,
            truth.rcs_of(looks.t_s[at], obj),
            reference_snr=t.reference_snr,
            reference_range_m=t.reference_range_m,
            reference_rcs_m2=t.reference_rcs_m2,
        )
        pd = detection_probability(snr, t.pfa, t.swerling)
        uu = special.ndtr(draws[:, 0])
        ok &= uu < pd
        if not ok.any():
            return None
        if c.site is not None:
            site = c.site.refraction_rows(at.shape[0])
        else:
            site = refraction_site(
                looks.lat_deg[at], looks.lon_deg[at], looks.alt_m[at], k=self.refraction_k
            )
        el_app, clear = refracted_elevation_from(site, states[:, :3], k=self.refraction_k)
        ok &= clear & (el_app >= c.min_elevation_rad) & (el_app <= el_top)
        hit = np.flatnonzero(ok)
        if hit.size == 0:
            return None
        if hit.size == ok.size:
            snr_h, u_h = snr, uu
        else:
            snr_h, u_h = snr[hit], uu[hit]
        sigma = np.sqrt(c.sigma_thermal / snr_h[:, None] + c.sigma_floor2)
        dim = c.dim
        z = np.empty((hit.size, dim))
        z[:, 0] = rng[hit]
        z[:, 1] = az[hit]
        z[:, 2] = np.arctan2(u[hit], horiz[hit])
        if dim == 4:
            z[:, 3] = closing[hit] / rng[hit]
        zn = z + sigma * draws[hit, 1 : 1 + dim]
        zn[:, 1] = np.mod(zn[:, 1], _TWO_PI)
        statistic = detection_statistic(u_h, snr_h, t.swerling)
        rcs = self._rcs((statistic - 1.0) / gain[hit], zn[:, 0])
        return hit, dict(
            z=zn,
            sigma=sigma,
            snr=snr_h,
            rcs_m2=rcs,
            sensor_position_ecef=pos[hit],
            sensor_velocity_ecef=vel[hit],
            sensor_basis=basis[hit],
            object_id=truth.object_id[obj[hit]],
            false_alarm=np.zeros(hit.shape, bool),
        )

    def _rcs(self, snr, range_m):
        """Measured RCS [m^2] of looks at measured SNR ``snr`` and range ``range_m``."""
        t = self.type
        return radar_rcs(
            snr,
            range_m,
            reference_snr=t.reference_snr,
            reference_range_m=t.reference_range_m,
            reference_rcs_m2=t.reference_rcs_m2,
        )

    def _sigma(self, snr):
        """Measurement 1-sigma ``(..., m)`` at mean SNR ``snr (...)``
        (:func:`bmdsim.sensors.detection.measurement_sigma` per axis)."""
        c = self._constants()
        return np.sqrt(c.sigma_thermal / np.asarray(snr, dtype=float)[..., None] + c.sigma_floor2)

    def _search_times(self, t0_s, t1_s, down):
        """Sub-frame indices and snapshot times in ``[t0_s, t1_s)`` (radar up)."""
        c = self._constants()
        sub, phase = c.sub_s, c.search_phase_s
        js = [
            j
            for j in scan_list(t0_s, t1_s, phase, sub, 1e-9 * sub)
            if t0_s <= phase + j * sub < t1_s
        ]
        if not js:
            return None
        js = np.array(js, dtype=np.int64)
        t_j = phase + js * sub
        if down is not None:
            up = ~down(t_j)
            js, t_j = js[up], t_j[up]
        return js, t_j

    def _tick_times(self, t0_s, t1_s, cues, down):
        """Track ticks in ``[t0_s, t1_s)`` with an active cue: ``(times (K,), active (K, C))``."""
        c = self._constants()
        period, phase = c.period_s, c.track_phase_s
        js = [
            j
            for j in scan_list(t0_s, t1_s, phase, period, 1e-9 * period)
            if t0_s <= phase + j * period < t1_s
        ]
        if not js:
            return None
        js = np.array(js, dtype=np.int64)
        t_tick = phase + js * period
        if down is not None:
            up = ~down(t_tick)
            js, t_tick = js[up], t_tick[up]
        active = cues.active_at(t_tick)
        busy = active.any(axis=1)
        if not busy.all():
            js, t_tick, active = js[busy], t_tick[busy], active[busy]
        if js.size == 0:
            return None
        return js, t_tick, active

    def _search_looks(self, js, states, looks, at):
        """Search looks of sub-frames ``js`` (snapshot rows ``at`` of ``looks``, object
        states ``(K, N, 6)`` there): ``(rows (L,), objects (L,), draws (L, 5))`` or None."""
        n = states.shape[1]
        if self._constants().site is not None:  # a fixed site: broadcast constants
            pos = looks.position[: js.size]
            basis = looks.basis[: js.size]
        else:
            pos, basis = looks.position[at], looks.basis[at]
        from bmdsim.sensors._kernel import east_north, search_takes

        t = self.type
        east, north = east_north(pos, basis, states)
        # the objects in each snapshot's sector: floor(_sector_fraction(az) * SEARCH_SECTORS)
        # equal to the sweep, azimuth finite (compiled after numpy's arctan2)
        k, i = search_takes(
            np.arctan2(east, north),
            js,
            t.full_azimuth,
            self.boresight_az_rad,
            t.azimuth_half_width_rad,
            SEARCH_SECTORS,
        )
        if k.size == 0:
            return None
        # one draw per frame: (N, 10); sub-frames of even and odd sector use columns 0-4 and
        # 5-9, so an object seen in two adjacent sectors of a frame gets independent noise
        frames = js[k] // SEARCH_SECTORS
        col = 5 * (js[k] % 2)[:, None] + _FIVE
        if frames[0] == frames[-1] and (frames == frames[0]).all():
            draws = self.scan_draws("search", int(frames[0]), n, 10)[i[:, None], col]
        else:
            uniq, row = np.unique(frames, return_inverse=True)
            per_frame = np.stack([self.scan_draws("search", int(f), n, 10) for f in uniq])
            draws = per_frame[row[:, None], i[:, None], col]
        return k, i, draws

    def _dwell_hits(self, t_tick, active, states, looks, at, cues):
        """``hit (K, N)``: objects inside a dwell at each tick (states ``(K, N, 6)``)."""
        t = self.type
        n = states.shape[1]
        k = t_tick.shape[0]
        if self._constants().site is not None:  # a fixed site: broadcast constants
            pos = looks.position[:k]
        else:
            pos = looks.position[at]
        # (tick, cue) pairs in service; each pair is one dwell on the cue's predicted centre
        pj, pc = active.nonzero()
        if pj.size * n <= _DENSE_GATE_PAIRS:  # every (dwell, object) pair, compiled
            from bmdsim.sensors._kernel import dwell_hits, dwell_pairs

            rc, uc, gate = dwell_pairs(
                pos,
                pj,
                pc,
                cues.position_ecef,
                cues.velocity_ecef,
                cues.t_ref_s,
                cues.radius_m,
                t_tick,
                t.range_resolution_m,
            )
            cos_half = np.cos(np.maximum(0.5 * t.beamwidth_rad, np.arctan2(cues.radius_m[pc], rc)))
            return dwell_hits(pos, states, pj, rc, uc, gate, cos_half)
        centre = (
            cues.position_ecef[pc]
            + cues.velocity_ecef[pc] * (t_tick[pj] - cues.t_ref_s[pc])[:, None]
        )
        gate = cues.radius_m[pc] + t.range_resolution_m
        dc = centre - pos[pj]
        rc = np.sqrt(np.add.reduce(dc * dc, axis=-1))  # np.linalg.norm(dc, axis=-1)
        uc = dc / rc[:, None]
        cos_half = np.cos(np.maximum(0.5 * t.beamwidth_rad, np.arctan2(cues.radius_m[pc], rc)))
        do = states[..., :3] - pos[:, None, :]
        ro = np.sqrt(np.add.reduce(do * do, axis=-1))
        uo = do / ro[..., None]
        p, obj = _range_gate_candidates(ro, rc, gate, pj)
        j = pj[p]
        cosang = np.einsum("ci,ci->c", uc[p], uo[j, obj])
        inside = (cosang >= cos_half[p]) & (np.abs(ro[j, obj] - rc[p]) <= gate[p])
        hit = np.zeros((k, n), dtype=bool)
        hit[j[inside], obj[inside]] = True
        return hit

    def _false_alarm_frame(self, k: int):
        """Every false alarm of search frame ``k`` (look times anywhere in the frame):
        ``(look times (list), part, first and last look time)``, or None. Kept for the
        frame's next windows."""
        memo = self._memo.setdefault("false-alarm-frames", {})
        if k in memo:
            return memo[k]
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            out = self._false_alarm_frame_of(k)
        if len(memo) >= _MEMO_FRAMES:
            memo.pop(next(iter(memo), None), None)  # safe if another thread evicted it
        memo[k] = out
        return out

    def _false_alarm_frame_of(self, k: int):
        """:meth:`_false_alarm_frame`'s value, its rows from one compiled call
        (:func:`bmdsim.sensors._radar_kernel.radar_false_alarms`)."""
        from bmdsim.sensors import _radar_kernel as rk

        c = self._constants()
        d = _frame_false_alarm_draws(self.seed, self.id, k, c.false_alarms_per_frame)
        if d is None:
            return None
        rows = np.empty((d.shape[0], N_ROW))
        t_start = c.search_phase_s + k * c.frame_s
        rk.radar_false_alarms(
            d, t_start, c.params, c.site is not None, c.site_row, c.waypoints, rows
        )
        rows.setflags(write=False)
        times = rows[:, R_T].tolist()
        fa = dict(sensor_id=self.id, rows=rows, object_id=np.full(d.shape[0], ""))
        return times, fa, min(times), max(times)

    def _false_alarm_frame_numpy(self, k: int):
        """The reference path of :meth:`_false_alarm_frame_of` (numpy)."""
        c = self._constants()
        t = self.type
        d = _frame_false_alarm_draws(self.seed, self.id, k, c.false_alarms_per_frame)
        out = None
        if d is not None:
            t_start = c.search_phase_s + k * c.frame_s
            rng_m = d[:, 0] * t.max_range_m
            if t.full_azimuth:
                az = d[:, 1] * 2.0 * np.pi
            else:
                az = np.mod(
                    self.boresight_az_rad + (2.0 * d[:, 1] - 1.0) * t.azimuth_half_width_rad,
                    2.0 * np.pi,
                )
            el = c.min_elevation_rad + d[:, 2] * (t.search_max_elevation_rad - c.min_elevation_rad)
            rate = (2.0 * d[:, 3] - 1.0) * FALSE_ALARM_RANGE_RATE_M_S
            statistic = c.threshold - np.log1p(-d[:, 4])
            t_look = t_start + c.sub_s * np.floor(self._sector_fraction(az) * SEARCH_SECTORS)
            snr = statistic - 1.0
            pos, vel = self.platform.state_at(t_look)
            basis = self.platform.basis_at(t_look)
            size = t_look.shape[0]
            out = (
                t_look.tolist(),
                part(
                    sensor_id=self.id,
                    kind=c.kind,
                    mode=DetectionMode.SEARCH,
                    t_s=t_look,
                    z=np.stack([rng_m, az, el, rate], axis=-1)[:, : c.dim],
                    sigma=self._sigma(snr),
                    snr=snr,
                    rcs_m2=self._rcs(snr, rng_m),
                    sensor_position_ecef=pos,
                    sensor_velocity_ecef=vel,
                    sensor_basis=basis,
                    object_id=np.full(size, ""),
                    false_alarm=np.ones(size, bool),
                ),
            )
            out[1]["rows"].setflags(write=False)
            out = (*out, min(out[0]), max(out[0]))
        return out

    def _false_alarms(self, t0_s, t1_s, down):
        """The part of the false alarms looked at in ``[t0_s, t1_s)`` (radar up), or None."""
        c = self._constants()
        ks = scan_list(t0_s, t1_s, c.search_phase_s, c.frame_s, c.frame_s)
        found = []
        whole = True
        for k in ks:  # frames with a false alarm looked at in the window
            frame = self._false_alarm_frame(k)
            if frame is None:
                continue
            times, fa, first, last = frame
            if t0_s <= first and last < t1_s:  # all of the frame's false alarms
                found.append(fa)
            elif first < t1_s and last >= t0_s and any(t0_s <= t < t1_s for t in times):
                found.append(fa)
                whole = False
        if not found:
            return None
        if len(found) == 1:
            rows, object_id = found[0]["rows"], found[0]["object_id"]
        else:
            rows = np.concatenate([f["rows"] for f in found])
            object_id = np.concatenate([f["object_id"] for f in found])
        if not whole or down is not None:
            t_look = rows[:, R_T]
            keep = (t_look >= t0_s) & (t_look < t1_s)
            if down is not None:
                keep &= ~down(t_look)
            if not keep.any():
                return None
            rows, object_id = rows[keep], object_id[keep]
        return dict(sensor_id=self.id, rows=rows, object_id=object_id)

    def detection_parts(
        self, t0_s: float, t1_s: float, truth: TruthTable, cues: CueSet | None = None
    ) -> list[Part]:
        """Search, false-alarm and dwell detections with look times in ``[t0_s, t1_s)``."""
        return self._parts(t0_s, t1_s, truth, cues)

    def _parts(self, t0_s, t1_s, truth, cues) -> list[Part]:
        """:meth:`_parts_numpy`'s detections from two compiled kernels
        (:mod:`bmdsim.sensors._radar_kernel`): the looks, their draws (numpy generators,
        the same streams and order), the evaluation. The looks' search and dwell detections
        make one part (``mode`` per detection), the false alarms another."""
        c = self._constants()
        if not c.compiled:
            return self._parts_numpy(t0_s, t1_s, truth, cues)
        from bmdsim.sensors import _radar_kernel as rk

        down = self.down_mask(t0_s, t1_s) if c.outages else None
        fa = self._false_alarms(t0_s, t1_s, down)
        n = truth.n_objects
        if not (n and truth.any_exists()):
            return [] if fa is None else [fa]
        span = t1_s - t0_s
        n_cues = 0 if cues is None else len(cues)
        cap = int(span / c.sub_s) + 3
        if n_cues:
            cap += int(span / c.period_s) + 3
        else:
            cues = _NO_CUES
        t_all, idx, geom, st, row_looks, look_row, look_obj, counts = self._workspace(cap, n)
        rk.radar_looks(
            t0_s,
            t1_s,
            c.params,
            c.site is not None,
            c.site_row,
            c.waypoints,
            self._down_array(t1_s) if c.outages else _NO_DOWN,
            cues.t_start_s,
            cues.t_end_s,
            cues.t_ref_s,
            cues.position_ecef,
            cues.velocity_ecef,
            cues.radius_m,
            truth.t_s,
            truth.states_ecef,
            t_all,
            idx,
            geom,
            st,
            row_looks,
            look_row,
            look_obj,
            counts,
        )
        n_rows, n_search_rows, n_looks, n_search = counts.tolist()
        if n_looks == 0:
            return [] if fa is None else [fa]
        # the looks' draws: a search frame's (N, 10) (kept), a tick's (N, 5)
        first_frame = 0
        search_draws = _NO_DRAWS
        track_keys = _NO_KEYS
        if n_search:
            first_frame = int(idx[0]) // SEARCH_SECTORS
            last_frame = int(idx[n_search_rows - 1]) // SEARCH_SECTORS
            if first_frame == last_frame:
                search_draws = self.scan_draws("search", first_frame, n, 10)[None]
            else:
                search_draws = np.stack(
                    [
                        self.scan_draws("search", f, n, 10)
                        for f in range(first_frame, last_frame + 1)
                    ]
                )
        if n_search < n_looks:  # the entropy of each tick with looks (drawn in the kernel)
            busy = row_looks[n_search_rows:n_rows].tolist()
            ticks = idx[n_search_rows:n_rows].tolist()
            track_keys = np.array(
                [_name_key(str(j)) for j, b in zip(ticks, busy, strict=True) if b],
                dtype=np.int64,
            )
        rcs = truth.rcs_m2
        held = rcs.ndim == 2
        rows = np.empty((n_looks, N_ROW))
        obj = np.empty(n_looks, dtype=np.int64)
        h = rk.radar_detect(
            c.params,
            geom,
            t_all,
            st,
            rcs if held else rcs.reshape(1, -1),
            truth.t_s,
            held,
            idx,
            row_looks,
            look_row,
            look_obj,
            counts,
            first_frame,
            search_draws,
            c.track_prefix,
            track_keys,
            rows,
            obj,
        )
        if h == 0:
            return [] if fa is None else [fa]
        if h < n_looks:
            rows, obj = rows[:h], obj[:h]
        looks = dict(sensor_id=self.id, rows=rows, object_id=truth.object_id[obj])
        return [looks] if fa is None else [looks, fa]

    def _workspace(self, cap: int, n: int):
        """Scratch arrays of :mod:`bmdsim.sensors._radar_kernel` for ``cap`` look times of
        ``n`` objects: times, indices, geometry rows, states, looks per row, looks' rows and
        objects, counts. Nothing in them outlives a window; this thread's are kept for the
        next windows unless larger than ``_WORKSPACE_KEPT`` look-object pairs."""
        key = ("workspace", threading.get_ident())
        ws = self._memo.get(key)
        if ws is None or ws[0].shape[0] < cap or ws[3].shape[1] != n:
            cap = max(cap, 8)
            ws = (
                np.empty(cap),
                np.empty(cap, dtype=np.int64),
                np.empty((cap, _rk_n_geom())),
                np.empty((cap, n, 6)),
                np.empty(cap, dtype=np.int64),
                np.empty(cap * n, dtype=np.int64),
                np.empty(cap * n, dtype=np.int64),
                np.empty(4, dtype=np.int64),
            )
            if cap * max(n, 1) <= _WORKSPACE_KEPT:  # a long window's stays temporary
                self._memo[key] = ws
        return ws

    def _down_array(self, t1_s: float) -> np.ndarray:
        """The merged down intervals that begin before ``t1_s`` as ``(2, D)`` starts, ends."""
        intervals = self.down_intervals(t1_s)
        if not intervals:
            return _NO_DOWN
        return np.array([[a for a, _, _ in intervals], [b for _, b, _ in intervals]])

    def _parts_numpy(self, t0_s, t1_s, truth, cues) -> list[Part]:
        """The reference path of :meth:`_parts` (numpy; also Swerling 0's looks): search,
        false-alarm and dwell parts."""
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            return self._looks_numpy(t0_s, t1_s, truth, cues)

    def _looks_numpy(self, t0_s, t1_s, truth, cues) -> list[Part]:
        down = self.down_mask(t0_s, t1_s)
        search = dwell = None
        if truth.n_objects and truth.any_exists():
            search = self._search_times(t0_s, t1_s, down)
            if cues is not None and len(cues):
                dwell = self._tick_times(t0_s, t1_s, cues, down)
        fa = self._false_alarms(t0_s, t1_s, down)
        if search is None and dwell is None:
            return [fa] if fa is not None else []
        # the window's look times: search snapshots, then track ticks
        times = [x[1] for x in (search, dwell) if x is not None]
        t_all = times[0] if len(times) == 1 else np.concatenate(times)
        looks = self._looks_geometry(t_all)
        states = truth.state_at(t_all)
        rows, objs, draws, gains, tops = [], [], [], [], []
        n_search = 0
        if search is not None:
            js = search[0]
            at = np.arange(js.size)
            found = self._search_looks(js, states[: js.size], looks, at)
            if found is not None:
                k, i, dr = found
                rows.append(k)
                objs.append(i)
                draws.append(dr)
                n_search = k.size
                gains.append(np.ones(k.size))
                tops.append(np.full(k.size, self.type.search_max_elevation_rad))
        if dwell is not None:
            js, t_tick, active = dwell
            first = t_all.shape[0] - js.size
            at = np.arange(first, t_all.shape[0])
            hit = self._dwell_hits(t_tick, active, states[first:], looks, at, cues)
            if hit.any():
                n = truth.n_objects
                j, i = hit.nonzero()
                ticks, row = _unique(j)
                tick_draws = np.stack(
                    [self.scan_rng("track", int(js[q])).standard_normal((n, 5)) for q in ticks]
                )
                rows.append(first + j)
                objs.append(i)
                draws.append(tick_draws[row, i])
                gains.append(np.full(j.size, self.type.track_snr_gain))
                tops.append(np.full(j.size, self.type.max_elevation_rad))
        search_part = dwell_part = None
        if rows:
            cat = (lambda x: x[0]) if len(rows) == 1 else np.concatenate
            at, obj = cat(rows), cat(objs)
            found = self._detect_numpy(
                looks, states[at, obj], at, obj, cat(draws), truth, cat(gains), cat(tops)
            )
            if found is not None:
                hit, arrays = found
                is_search = hit < n_search
                n_hit_search = int(np.count_nonzero(is_search))
                if n_hit_search:
                    search_part = self._look_part(
                        DetectionMode.SEARCH, t_all, at, hit, arrays, is_search, n_hit_search
                    )
                if n_hit_search < hit.size:
                    dwell_part = self._look_part(
                        DetectionMode.TRACK,
                        t_all,
                        at,
                        hit,
                        arrays,
                        ~is_search,
                        hit.size - n_hit_search,
                    )
        return [p for p in (search_part, fa, dwell_part) if p is not None]

    def _look_part(self, mode, t_all, at, hit, arrays, sel, count) -> Part:
        """The part of detected looks ``hit[sel]`` (``count`` of them) of one mode."""
        if count < hit.size:
            hit = hit[sel]
            arrays = {key: a[sel] for key, a in arrays.items()}
        return part(
            sensor_id=self.id, kind=self._constants().kind, mode=mode, t_s=t_all[at[hit]], **arrays
        )


#: Placeholders of the compiled looks' inputs (read-only).
_NO_DOWN = np.zeros((2, 0))
_NO_DRAWS = np.zeros((1, 1, 10))
_NO_KEYS = np.zeros((1, 4), dtype=np.int64)
for _a in (_NO_DOWN, _NO_DRAWS, _NO_KEYS):
    _a.setflags(write=False)
_NO_CUES = CueSet.empty()


def _waypoints(platform) -> np.ndarray:
    """A waypoint platform's times, latitudes and longitudes ``(3, W)`` (read-only; one
    zero column for a fixed site)."""
    if isinstance(platform, WaypointPlatform):
        out = np.stack([platform.t_s, platform.lat_deg, platform.lon_deg]).astype(float)
    else:
        out = np.zeros((3, 1))
    out.setflags(write=False)
    return out


def _rk_n_geom() -> int:
    from bmdsim.sensors._radar_kernel import N_GEOM

    return N_GEOM


def _unique(values: np.ndarray):
    """``np.unique(values, return_inverse=True)`` of a few integers, one value the common
    case."""
    if (values == values[0]).all():
        return values[:1], np.zeros(values.shape, dtype=np.intp)
    return np.unique(values, return_inverse=True)


def _range_gate_candidates(ro, rc, gate, pj):
    """(dwell, object) pairs whose ranges may be within the gate (a superset of the exact
    test): objects sorted by range at each tick, one searchsorted per dwell over the ticks
    laid end to end (offset per tick)."""
    k = ro.shape[0]
    r_key = np.where(np.isfinite(ro), np.minimum(ro, _FAR_M), _FAR_M)
    order = np.argsort(r_key, axis=1)
    offset = np.arange(k)[:, None] * (4.0 * _FAR_M)
    key = (np.take_along_axis(r_key, order, axis=1) + offset).ravel()
    base = pj * (4.0 * _FAR_M) + rc
    lo = np.searchsorted(key, base - gate - 1.0, side="left")
    hi = np.searchsorted(key, base + gate + 1.0, side="right")
    counts = hi - lo
    p = np.repeat(np.arange(pj.size), counts)
    flat = lo[p] + np.arange(p.size) - np.repeat(np.cumsum(counts) - counts, counts)
    return p, order.ravel()[flat]


@lru_cache(maxsize=4096)
def _frame_false_alarm_draws(seed: int, sensor_id: str, k: int, lam: float) -> np.ndarray | None:
    """Uniform draws ``(count, 5)`` of the false alarms of search frame ``k`` (read-only;
    None when there are none): a Poisson count of mean ``lam`` then the draws, from the
    sensor's ``("search-false-alarms", k)`` stream (:meth:`Sensor.rng`). A frame spans
    several engine steps, so the same frame is asked for more than once."""
    from bmdsim.sensors.base import poisson_uniforms

    draws = poisson_uniforms(seed, sensor_id, "search-false-alarms", [k], [lam], 5)[1][0]
    if draws is None:
        return None
    draws.setflags(write=False)
    return draws
