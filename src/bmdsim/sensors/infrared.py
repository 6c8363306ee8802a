"""Space-based infrared launch detection (SBIRS-class, notional).

A staring sensor on a satellite takes a frame every ``frame_s`` (frame ``k`` at
``phase + k * frame_s``). An object is seen in a frame if it exists, its plume
burns (radiant intensity > 0), it is above the cloud tops
(``cloud_top_altitude_m``) and the line of sight from the satellite clears the
Earth's limb (the WGS-84 ellipsoid raised by the cloud-top altitude,
:func:`bmdsim.sensors.geometry.segment_clears_ellipsoid`). It is then detected
with probability ``Phi(SNR - tau)`` (:mod:`bmdsim.sensors.detection`), SNR from
its intensity and range (:class:`bmdsim.catalog.sensors.InfraredType`).

Measurement: line-of-sight angles ``[alpha, beta]`` in the satellite's
geocentric north-east-down frame (:class:`bmdsim.sensors.models.EcefToLosAngles`)
plus independent Gaussian errors of ``los_sigma_rad`` per axis (pixel-limited
centroiding; constant). No range: two satellites seeing the same plume give a
position by triangulation (:func:`bmdsim.sensors.geometry.triangulate_lines`).
Light time (0.13 s from GEO) is neglected.

False alarms: per frame, Poisson with mean ``pfa * n_pixels``, ``n_pixels`` the
solid angle of the Earth's disc (to cloud tops) over ``ifov_rad**2``; each at a
point uniform in area on the visible cap, with the Gaussian exceedance statistic
as its SNR.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy import special

from bmdsim.catalog.sensors import InfraredType
from bmdsim.earth.constants import R_MEAN_M
from bmdsim.sensors.base import Sensor, assemble, scan_indices, standard_normals
from bmdsim.sensors.detection import gaussian_threshold
from bmdsim.sensors.geometry import altitude_m, segment_clears_ellipsoid
from bmdsim.sensors.models import EcefToLosAngles
from bmdsim.sensors.outages import OutageSchedule
from bmdsim.sensors.platforms import OrbitPlatform
from bmdsim.sensors.truth import TruthTable
from bmdsim.sensors.types import CueSet, DetectionBatch, DetectionMode, MeasurementKind


@dataclass(frozen=True, slots=True, kw_only=True)
class SpaceInfrared(Sensor):
    """An infrared payload on a satellite."""

    type: InfraredType
    platform: OrbitPlatform

    def pixels_on_earth(self, t_s) -> np.ndarray:
        """Pixels covering the Earth's disc (to cloud tops) at times ``t_s (...)``."""
        r, _ = self.platform.state_at(t_s)
        rc = R_MEAN_M + self.type.cloud_top_altitude_m
        sin_half = np.minimum(rc / np.linalg.norm(r, axis=-1), 1.0)
        solid = 2.0 * np.pi * (1.0 - np.sqrt(1.0 - sin_half * sin_half))
        return solid / self.type.ifov_rad**2

    def false_alarms_per_frame(self, t_s) -> np.ndarray:
        return self.type.pfa * self.pixels_on_earth(t_s)

    def snr(self, intensity_w_sr, range_m) -> np.ndarray:
        """Amplitude SNR of a plume of ``intensity_w_sr`` at ``range_m``."""
        t = self.type
        q = t.reference_range_m / np.asarray(range_m, dtype=float)
        tau = gaussian_threshold(t.pfa)
        return tau * np.asarray(intensity_w_sr, dtype=float) / t.min_radiant_intensity_w_sr * q * q

    def visible(self, t_s, states_ecef, intensity_w_sr) -> np.ndarray:
        """Plume visibility of objects ``(..., 6)`` at times ``t_s`` broadcasting against
        them (burning, above cloud tops, not behind the limb)."""
        states = np.asarray(states_ecef, dtype=float)
        sat, _ = self.platform.state_at(t_s)
        return self._visible_from(sat, states, intensity_w_sr)

    def _visible_from(self, sat_ecef, states, intensity_w_sr):
        top = self.type.cloud_top_altitude_m
        with np.errstate(invalid="ignore"):
            return (
                (np.asarray(intensity_w_sr) > 0.0)
                & (altitude_m(states[..., :3]) >= top)
                & segment_clears_ellipsoid(sat_ecef, states[..., :3], inflate_m=top)
            )

    def _frames(self, t0_s, t1_s, truth, down):
        t = self.type
        phase = self.phase_s(t.frame_s, "frame")
        ks = scan_indices(t0_s, t1_s, phase, t.frame_s, 1e-9 * t.frame_s)
        n = truth.n_objects
        if ks.size == 0 or n == 0:
            return None
        t_k = phase + ks * t.frame_s
        keep = (t_k >= t0_s) & (t_k < t1_s) & ~down(t_k)
        ks, t_k = ks[keep], t_k[keep]
        if ks.size == 0:
            return None
        intensity = truth.ir_intensity_at(t_k)
        lit = np.any(intensity > 0.0, axis=0)  # objects with a plume in these frames
        if not np.any(lit):
            return None
        cols = np.flatnonzero(lit)
        states = truth.state_at(t_k)[:, cols]
        intensity = intensity[:, cols]
        sat, vel = self.platform.state_at(t_k)
        ok = self._visible_from(sat[:, None, :], states, intensity)
        basis = self.platform.basis_at(t_k)
        with np.errstate(invalid="ignore", divide="ignore"):
            rng = np.linalg.norm(states[..., :3] - sat[:, None, :], axis=-1)
            snr = self.snr(intensity, rng)
            pd = special.ndtr(snr - gaussian_threshold(t.pfa))
        draws = standard_normals(self, "frame", ks, n, 3)[:, cols]
        hit = ok & (special.ndtr(draws[..., 0]) < pd)
        m, c = np.nonzero(hit)
        if m.size == 0:
            return None
        model = EcefToLosAngles(
            sensor_position_ecef=sat[m], sensor_basis=basis[m], noise_covariance=np.zeros(2)
        )
        sigma = np.full((m.size, 2), t.los_sigma_rad)
        z = model.function(states[m, c]) + sigma * draws[m, c, 1:3]
        return dict(
            t_s=t_k[m],
            z=z,
            sigma=sigma,
            snr=snr[m, c],
            sensor_position_ecef=sat[m],
            sensor_velocity_ecef=vel[m],
            sensor_basis=basis[m],
            object_id=truth.object_id[cols[c]],
            false_alarm=np.zeros(m.shape, bool),
        )

    def _false_alarms(self, t0_s, t1_s, down):
        t = self.type
        phase = self.phase_s(t.frame_s, "frame")
        ks = scan_indices(t0_s, t1_s, phase, t.frame_s, 1e-9 * t.frame_s)
        t_k = phase + ks * t.frame_s
        keep = (t_k >= t0_s) & (t_k < t1_s) & ~down(t_k)
        ks, t_k = ks[keep], t_k[keep]
        if ks.size == 0:
            return None
        lam = self.false_alarms_per_frame(t_k)
        times, draws = [], []
        for k, tk, mean in zip(ks, t_k, lam, strict=True):  # one small batch per frame
            rng = self.rng("frame-false-alarms", str(int(k)))
            count = int(rng.poisson(mean))
            if count:
                times.append(np.full(count, tk))
                draws.append(rng.random((count, 3)))
        if not times:
            return None
        t_fa = np.concatenate(times)
        d = np.concatenate(draws)
        sat, vel = self.platform.state_at(t_fa)
        basis = self.platform.basis_at(t_fa)
        rc = R_MEAN_M + t.cloud_top_altitude_m
        rs = np.linalg.norm(sat, axis=-1)
        cos_max = rc / rs
        cos_g = 1.0 - d[:, 0] * (1.0 - cos_max)  # uniform in area on the visible cap
        sin_g = np.sqrt(1.0 - cos_g * cos_g)
        psi = 2.0 * np.pi * d[:, 1]
        up = sat / rs[:, None]
        north, east = basis[:, 0], basis[:, 1]
        point = rc * (
            cos_g[:, None] * up
            + sin_g[:, None] * (np.cos(psi)[:, None] * north + np.sin(psi)[:, None] * east)
        )
        model = EcefToLosAngles(
            sensor_position_ecef=sat, sensor_basis=basis, noise_covariance=np.zeros(2)
        )
        z = model.function(point)
        statistic = -special.ndtri(t.pfa * (1.0 - d[:, 2]))
        return dict(
            t_s=t_fa,
            z=z,
            sigma=np.full((t_fa.size, 2), t.los_sigma_rad),
            snr=statistic,
            sensor_position_ecef=sat,
            sensor_velocity_ecef=vel,
            sensor_basis=basis,
            object_id=np.full(t_fa.shape, ""),
            false_alarm=np.ones(t_fa.shape, bool),
        )

    def observe(
        self, t0_s: float, t1_s: float, truth: TruthTable, cues: CueSet | None = None
    ) -> DetectionBatch:
        """Frame detections (plumes and false alarms) with frame times in ``[t0_s, t1_s)``.
        ``cues`` are ignored (a staring sensor sees its whole field every frame)."""
        intervals = self.down_intervals(t1_s)

        def down(t):
            return OutageSchedule.down_mask(t, intervals)

        parts = []
        for found in (self._frames(t0_s, t1_s, truth, down), self._false_alarms(t0_s, t1_s, down)):
            if found is not None:
                parts.append(
                    assemble(
                        sensor_id=self.id,
                        kind=MeasurementKind.LOS_ANGLES,
                        mode=DetectionMode.FRAME,
                        **found,
                    )
                )
        return DetectionBatch.concat(parts)
