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
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from scipy import special

from bmdsim.catalog.sensors import RadarType
from bmdsim.core.random import stream
from bmdsim.sensors.base import Sensor, assemble, scan_indices, standard_normals
from bmdsim.sensors.detection import (
    detection_probability,
    detection_statistic,
    measurement_sigma,
    radar_rcs,
    radar_snr,
)
from bmdsim.sensors.geometry import STANDARD_REFRACTION_K, refracted_elevation
from bmdsim.sensors.models import EcefToRangeAzElRangeRate, wrap_angle
from bmdsim.sensors.outages import OutageSchedule
from bmdsim.sensors.platforms import FixedSite, WaypointPlatform
from bmdsim.sensors.truth import TruthTable
from bmdsim.sensors.types import CueSet, DetectionBatch, DetectionMode, MeasurementKind

#: Sectors a search frame is swept in: sector ``s`` of frame ``k`` is searched as a snapshot
#: at ``phase + (k + s / SEARCH_SECTORS) * search_frame_s``.
SEARCH_SECTORS = 10

#: Half-width of the range-rate interval a false alarm's Doppler is drawn from [m/s].
FALSE_ALARM_RANGE_RATE_M_S = 8000.0

#: Ranges beyond this are "far" in the dwell range gate's sort key [m].
_FAR_M = 1.0e9


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

    # -- geometry -------------------------------------------------------------------

    def _sector_fraction(self, az):
        """Place ``u in [0, 1)`` of azimuths in the sweep of the sector."""
        t = self.type
        if t.full_azimuth:
            return np.mod(az, 2.0 * np.pi) / (2.0 * np.pi)
        off = wrap_angle(az - self.boresight_az_rad)
        return np.clip(
            (off + t.azimuth_half_width_rad) / (2.0 * t.azimuth_half_width_rad), 0.0, 1.0 - 1e-12
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

    # -- looks ----------------------------------------------------------------------

    def _detect(self, t_look, obj, draws, truth, *, gain, el_top):
        """Evaluate looks (flat: times ``(L,)``, object indices ``(L,)``, draws ``(L, 5)``)
        and return the arrays of those detected. Window and outages are the caller's."""
        states = truth.states_of(t_look, obj)
        z, ok, el_app, pos, vel, basis = self._geometry(t_look, states)
        ok &= el_app <= el_top
        t = self.type
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            snr = gain * radar_snr(
                z[:, 0],
                truth.rcs_of(t_look, obj),
                reference_snr=t.reference_snr,
                reference_range_m=t.reference_range_m,
                reference_rcs_m2=t.reference_rcs_m2,
            )
            pd = detection_probability(snr, t.pfa, t.swerling)
        u = special.ndtr(draws[:, 0])
        hit = np.flatnonzero(ok & (u < pd))
        snr_h = snr[hit]
        sigma = self._sigma(snr_h)
        dim = self.measurement_kind.dim
        zn = z[hit, :dim] + sigma * draws[hit, 1 : 1 + dim]
        zn[:, 1] = np.mod(zn[:, 1], 2.0 * np.pi)
        statistic = detection_statistic(u[hit], snr_h, t.swerling)
        rcs = self._rcs((statistic - 1.0) / gain, zn[:, 0])
        size = t_look.shape[0]
        return dict(
            t_s=t_look[hit],
            z=zn,
            sigma=sigma,
            snr=snr_h,
            rcs_m2=rcs,
            sensor_position_ecef=np.broadcast_to(pos, (size, 3))[hit],
            sensor_velocity_ecef=np.broadcast_to(vel, (size, 3))[hit],
            sensor_basis=np.broadcast_to(basis, (size, 3, 3))[hit],
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
        t = self.type
        cols = [
            measurement_sigma(
                snr,
                reference_snr=t.reference_snr,
                sigma_ref=t.range_sigma_ref_m,
                sigma_floor=t.range_sigma_floor_m,
            ),
            measurement_sigma(
                snr,
                reference_snr=t.reference_snr,
                sigma_ref=t.angle_sigma_ref_rad,
                sigma_floor=t.angle_sigma_floor_rad,
            ),
            measurement_sigma(
                snr,
                reference_snr=t.reference_snr,
                sigma_ref=t.angle_sigma_ref_rad,
                sigma_floor=t.angle_sigma_floor_rad,
            ),
        ]
        if t.measures_range_rate:
            cols.append(
                measurement_sigma(
                    snr,
                    reference_snr=t.reference_snr,
                    sigma_ref=t.range_rate_sigma_ref_m_s,
                    sigma_floor=t.range_rate_sigma_floor_m_s,
                )
            )
        return np.stack(cols, axis=-1)

    def _search(self, t0_s, t1_s, truth, down):
        t = self.type
        sub = t.search_frame_s / SEARCH_SECTORS
        phase = self.phase_s(t.search_frame_s, "search")
        # sub-frame j: snapshot at phase + j * sub of sector j % SEARCH_SECTORS
        js = scan_indices(t0_s, t1_s, phase, sub, 1e-9 * sub)
        t_j = phase + js * sub
        keep = (t_j >= t0_s) & (t_j < t1_s) & ~down(t_j)
        js, t_j = js[keep], t_j[keep]
        n = truth.n_objects
        if js.size == 0 or n == 0:
            return None
        r = truth.positions_at(t_j)
        pos, _ = self.platform.state_at(t_j)
        basis = self.platform.basis_at(t_j)
        r -= pos[:, None, :]
        with np.errstate(invalid="ignore"):
            east = np.einsum("ki,kni->kn", basis[:, 0], r)
            north = np.einsum("ki,kni->kn", basis[:, 1], r)
            az = np.mod(np.arctan2(east, north), 2.0 * np.pi)
        sector = np.floor(self._sector_fraction(az) * SEARCH_SECTORS)
        sweep = js % SEARCH_SECTORS
        take = (sector == sweep[:, None]) & np.isfinite(az)
        if not np.any(take):
            return None
        # one draw per frame: (N, 10); sub-frames of even and odd sector use columns 0-4 and
        # 5-9, so an object seen in two adjacent sectors of a frame gets independent noise
        frames = np.floor_divide(js, SEARCH_SECTORS)
        uniq, row = np.unique(frames, return_inverse=True)
        per_frame = standard_normals(self, "search", uniq, n, 10)
        k, i = np.nonzero(take)
        col = 5 * (sweep[k] % 2)[:, None] + np.arange(5)
        draws = per_frame[row[k][:, None], i[:, None], col]
        return self._detect(t_j[k], i, draws, truth, gain=1.0, el_top=t.search_max_elevation_rad)

    def _false_alarms(self, t0_s, t1_s, down):
        t = self.type
        frame = t.search_frame_s
        phase = self.phase_s(frame, "search")
        ks = scan_indices(t0_s, t1_s, phase, frame, frame)
        lam = self.false_alarms_per_frame()
        threshold = -math.log(t.pfa)
        rows = []
        for k in ks:  # one small Poisson batch per frame
            draws = _frame_false_alarm_draws(self.seed, self.id, int(k), lam)
            if draws is not None:
                rows.append((phase + k * frame, draws))
        if not rows:
            return None
        t_start = np.concatenate([np.full(len(d), t0) for t0, d in rows])
        d = np.concatenate([r[1] for r in rows])
        rng_m = d[:, 0] * t.max_range_m
        if t.full_azimuth:
            az = d[:, 1] * 2.0 * np.pi
        else:
            az = np.mod(
                self.boresight_az_rad + (2.0 * d[:, 1] - 1.0) * t.azimuth_half_width_rad,
                2.0 * np.pi,
            )
        el = self.min_elevation_rad + d[:, 2] * (
            t.search_max_elevation_rad - self.min_elevation_rad
        )
        rate = (2.0 * d[:, 3] - 1.0) * FALSE_ALARM_RANGE_RATE_M_S
        statistic = threshold - np.log1p(-d[:, 4])
        sub = frame / SEARCH_SECTORS
        t_look = t_start + sub * np.floor(self._sector_fraction(az) * SEARCH_SECTORS)
        keep = (t_look >= t0_s) & (t_look < t1_s) & ~down(t_look)
        if not np.any(keep):
            return None
        t_look, rng_m, az, el, rate, statistic = (
            a[keep] for a in (t_look, rng_m, az, el, rate, statistic)
        )
        snr = statistic - 1.0
        pos, vel = self.platform.state_at(t_look)
        basis = self.platform.basis_at(t_look)
        dim = self.measurement_kind.dim
        z = np.stack([rng_m, az, el, rate], axis=-1)[:, :dim]
        return dict(
            t_s=t_look,
            z=z,
            sigma=self._sigma(snr),
            snr=snr,
            rcs_m2=self._rcs(snr, rng_m),
            sensor_position_ecef=pos,
            sensor_velocity_ecef=vel,
            sensor_basis=basis,
            object_id=np.full(t_look.shape, ""),
            false_alarm=np.ones(t_look.shape, bool),
        )

    def _dwells(self, t0_s, t1_s, truth, cues, down):
        t = self.type
        if cues is None or len(cues) == 0 or truth.n_objects == 0:
            return None
        period = t.track_revisit_s
        phase = self.phase_s(period, "track")
        js = scan_indices(t0_s, t1_s, phase, period, 1e-9 * period)
        t_tick = phase + js * period
        active = cues.active_at(t_tick)
        busy = np.any(active, axis=1)
        js, t_tick, active = js[busy], t_tick[busy], active[busy]
        if js.size == 0:
            return None
        n = truth.n_objects
        states = truth.state_at(t_tick)
        pos, _ = self.platform.state_at(t_tick)
        # (tick, cue) pairs in service; each pair is one dwell on the cue's predicted centre
        pj, pc = np.nonzero(active)
        centre = (
            cues.position_ecef[pc]
            + cues.velocity_ecef[pc] * (t_tick[pj] - cues.t_ref_s[pc])[:, None]
        )
        gate = cues.radius_m[pc] + t.range_resolution_m
        with np.errstate(invalid="ignore", divide="ignore"):
            dc = centre - pos[pj]
            rc = np.linalg.norm(dc, axis=-1)
            uc = dc / rc[:, None]
            cos_half = np.cos(np.maximum(0.5 * t.beamwidth_rad, np.arctan2(cues.radius_m[pc], rc)))
            do = states[..., :3] - pos[:, None, :]
            ro = np.linalg.norm(do, axis=-1)
            uo = do / ro[..., None]
        # candidates by range gate: objects sorted by range at each tick, one searchsorted
        # per dwell over the ticks laid end to end (offset per tick); then the exact tests
        r_key = np.where(np.isfinite(ro), np.minimum(ro, _FAR_M), _FAR_M)
        order = np.argsort(r_key, axis=1)
        offset = np.arange(js.size)[:, None] * (4.0 * _FAR_M)
        key = (np.take_along_axis(r_key, order, axis=1) + offset).ravel()
        base = pj * (4.0 * _FAR_M) + rc
        lo = np.searchsorted(key, base - gate - 1.0, side="left")
        hi = np.searchsorted(key, base + gate + 1.0, side="right")
        counts = hi - lo
        p = np.repeat(np.arange(pj.size), counts)
        flat = lo[p] + np.arange(p.size) - np.repeat(np.cumsum(counts) - counts, counts)
        j = pj[p]
        obj = order.ravel()[flat]
        with np.errstate(invalid="ignore"):
            cosang = np.einsum("ci,ci->c", uc[p], uo[j, obj])
            inside = (cosang >= cos_half[p]) & (np.abs(ro[j, obj] - rc[p]) <= gate[p])
        hit = np.zeros((js.size, n), dtype=bool)
        hit[j[inside], obj[inside]] = True
        hit &= ((t_tick >= t0_s) & (t_tick < t1_s) & ~down(t_tick))[:, None]
        if not np.any(hit):
            return None
        draws = standard_normals(self, "track", js, n, 5)
        j, i = np.nonzero(hit)
        return self._detect(
            t_tick[j], i, draws[j, i], truth, gain=t.track_snr_gain, el_top=t.max_elevation_rad
        )

    def observe(
        self, t0_s: float, t1_s: float, truth: TruthTable, cues: CueSet | None = None
    ) -> DetectionBatch:
        """Search, dwell and false-alarm detections with look times in ``[t0_s, t1_s)``."""
        intervals = self.down_intervals(t1_s)

        def down(t):
            return OutageSchedule.down_mask(t, intervals)

        parts = []
        for mode, found in (
            (DetectionMode.SEARCH, self._search(t0_s, t1_s, truth, down)),
            (DetectionMode.SEARCH, self._false_alarms(t0_s, t1_s, down)),
            (DetectionMode.TRACK, self._dwells(t0_s, t1_s, truth, cues, down)),
        ):
            if found is not None and found["t_s"].size:
                parts.append(
                    assemble(sensor_id=self.id, kind=self.measurement_kind, mode=mode, **found)
                )
        return DetectionBatch.concat(parts)


@lru_cache(maxsize=4096)
def _frame_false_alarm_draws(seed: int, sensor_id: str, k: int, lam: float) -> np.ndarray | None:
    """Uniform draws ``(count, 5)`` of the false alarms of search frame ``k`` (read-only;
    None when there are none): a Poisson count of mean ``lam`` then the draws, from the
    sensor's ``("search-false-alarms", k)`` stream (:meth:`Sensor.rng`). A frame spans
    several engine steps, so the same frame is asked for more than once."""
    rng = stream(seed, "sensor", sensor_id, "search-false-alarms", str(k))
    count = int(rng.poisson(lam))
    if count == 0:
        return None
    draws = rng.random((count, 5))
    draws.setflags(write=False)
    return draws
