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
from bmdsim.earth.constants import A_M, B_M, E2, R_MEAN_M
from bmdsim.sensors.base import Part, Sensor, part, poisson_uniforms, scan_list
from bmdsim.sensors.detection import gaussian_threshold
from bmdsim.sensors.geometry import altitude_m, segment_clears_ellipsoid
from bmdsim.sensors.models import EcefToLosAngles, geocentric_ned_basis
from bmdsim.sensors.platforms import OrbitPlatform
from bmdsim.sensors.truth import TruthTable
from bmdsim.sensors.types import N_ROW, CueSet, DetectionMode, MeasurementKind

#: Frames of the satellite's frame grid computed together (:meth:`SpaceInfrared._frame_block`).
FRAME_BLOCK = 64

#: Frame blocks a sensor keeps.
_MEMO_BLOCKS = 4


@dataclass(frozen=True, slots=True, kw_only=True)
class _FrameBlock:
    """Consecutive frames ``k (B,)`` of a staring sensor: times ``t (B,)``, the satellite's
    ECEF ``position``, ``velocity (B, 3)`` and geocentric NED ``basis (B, 3, 3)``, and each
    frame's false alarms: a Poisson count ``fa_count (B,)`` and uniform draws ``(count, 3)``
    (None without any) from the frame's ``("frame-false-alarms", k)`` stream, and their
    detections (computed once for the block; each is that of its frame alone)."""

    k: np.ndarray
    t: np.ndarray
    position: np.ndarray
    velocity: np.ndarray
    basis: np.ndarray
    fa_count: np.ndarray
    fa_draws: list
    fa_part: Part | None  # the block's false alarms, frame by frame (read-only rows)
    fa_start: list  # (B + 1,): frame f's false alarms are rows fa_start[f]:fa_start[f + 1]


@dataclass(frozen=True, slots=True, kw_only=True)
class SpaceInfrared(Sensor):
    """An infrared payload on a satellite."""

    type: InfraredType
    platform: OrbitPlatform

    def pixels_on_earth(self, t_s) -> np.ndarray:
        """Pixels covering the Earth's disc (to cloud tops) at times ``t_s (...)``."""
        r, _ = self.platform.state_at(t_s)
        return self._pixels_from(r)

    def _pixels_from(self, r) -> np.ndarray:
        """:meth:`pixels_on_earth` of a satellite at ECEF ``r (..., 3)``."""
        rc = R_MEAN_M + self.type.cloud_top_altitude_m
        sin_half = np.minimum(rc / _norm(r), 1.0)
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

    def _phase(self) -> float:
        phase = self._memo.get("phase")
        if phase is None:
            phase = self._memo["phase"] = self.phase_s(self.type.frame_s, "frame")
        return phase

    def _frame_block(self, b: int) -> _FrameBlock:
        """Frames ``b * FRAME_BLOCK`` to ``(b + 1) * FRAME_BLOCK - 1``: the satellite's state
        and basis and each frame's false-alarm draws, computed once for the block (kept for
        the next windows; the last ``_MEMO_BLOCKS``)."""
        memo = self._memo.setdefault("frame-blocks", {})
        block = memo.get(b)
        if block is None:
            block = memo[b] = self._frame_block_of(
                np.arange(b * FRAME_BLOCK, (b + 1) * FRAME_BLOCK, dtype=np.int64)
            )
            if len(memo) > _MEMO_BLOCKS:
                memo.pop(next(iter(memo), None), None)  # safe if another thread evicted it
        return block

    def _frame_block_of(self, ks: np.ndarray) -> _FrameBlock:
        """:meth:`_frame_block` of frames ``ks (B,)``. Each frame's numbers are those of the
        frame alone (elementwise arithmetic; its own false-alarm stream)."""
        from bmdsim.sensors._kernel import false_alarm_means

        t = self.type
        t_k = self._phase() + ks * t.frame_s
        sat, vel = self.platform.state_at(t_k)
        basis = geocentric_ned_basis(sat)
        rc = R_MEAN_M + t.cloud_top_altitude_m
        lam = false_alarm_means(sat, rc, t.ifov_rad**2, t.pfa)  # pfa * _pixels_from(sat)
        # each frame's Poisson count and uniforms from its own stream (one compiled call)
        counts, draws = poisson_uniforms(
            self.seed, self.id, "frame-false-alarms", ks.tolist(), lam, 3
        )
        for a in (t_k, sat, vel, basis, counts):
            a.setflags(write=False)
        fa_part = self._false_alarms(t_k, sat, vel, basis, counts, draws)
        if fa_part is not None:
            fa_part["rows"].setflags(write=False)
        return _FrameBlock(
            k=ks,
            t=t_k,
            position=sat,
            velocity=vel,
            basis=basis,
            fa_count=counts,
            fa_draws=draws,
            fa_part=fa_part,
            fa_start=[0, *np.cumsum(counts).tolist()],
        )

    def _frames(self, ks, t_k, sat, vel, basis, truth):
        """The plume detections of frames ``ks`` (times ``t_k (K,)``, the satellite's state
        and basis there), or None: :meth:`_frames_numpy` in two compiled kernels
        (:mod:`bmdsim.sensors._infrared_kernel`) with each frame's draws between them."""
        from bmdsim.sensors import _infrared_kernel as ik

        n = truth.n_objects
        k = t_k.shape[0]
        st = np.empty((k, n, 6))
        snr = np.empty((k, n))
        ok = np.empty((k, n), dtype=bool)
        ir = truth.ir_intensity_w_sr
        seen = ik.infrared_looks(
            t_k, sat, truth.t_s, truth.states_ecef, ir, self._kernel_params(), st, snr, ok
        )
        if seen == 0:
            return None
        # one generator per frame with a visible plume, in frame order
        frames = ks.tolist() if seen == k else [int(ks[f]) for f in np.flatnonzero(ok.any(1))]
        draws = [self.scan_normals("frame", j, n, 3) for j in frames]
        draws = draws[0][None] if seen == 1 else np.stack(draws)
        rows = np.empty((k * n, N_ROW))
        obj = np.empty(k * n, dtype=np.int64)
        h = ik.infrared_detect(
            t_k,
            sat,
            vel,
            basis,
            st,
            snr,
            ok,
            draws,
            self._kernel_params(),
            float(MeasurementKind.LOS_ANGLES),
            float(DetectionMode.FRAME),
            rows,
            obj,
        )
        if h == 0:
            return None
        return dict(sensor_id=self.id, rows=rows[:h], object_id=truth.object_id[obj[:h]])

    def _kernel_params(self) -> np.ndarray:
        """The parameter vector of :mod:`bmdsim.sensors._infrared_kernel` (kept)."""
        p = self._memo.get("params")
        if p is None:
            from bmdsim.sensors import _infrared_kernel as ik

            t = self.type
            top = t.cloud_top_altitude_m
            p = np.zeros(ik.N_PARAMS)
            p[ik.P_TOP] = top
            p[ik.P_AXIS_A] = A_M + top
            p[ik.P_AXIS_B] = B_M + top
            p[ik.P_TAU] = gaussian_threshold(t.pfa)
            p[ik.P_IMIN] = t.min_radiant_intensity_w_sr
            p[ik.P_REF_RANGE] = t.reference_range_m
            p[ik.P_SIGMA] = t.los_sigma_rad
            p[ik.P_A2] = A_M * A_M
            p[ik.P_E2] = E2
            p[ik.P_E4] = E2 * E2
            p.setflags(write=False)
            self._memo["params"] = p
        return p

    def _frames_numpy(self, ks, t_k, sat, vel, basis, truth):
        """The reference path of :meth:`_frames` (numpy)."""
        t = self.type
        n = truth.n_objects
        intensity = truth.ir_intensity_at(t_k)
        lit = (intensity > 0.0).any(axis=0)  # objects with a plume in these frames
        if not lit.any():
            return None
        cols = np.flatnonzero(lit)
        states = truth.state_at(t_k)[:, cols]
        intensity = intensity[:, cols]
        ok = self._visible_from(sat[:, None, :], states, intensity)
        seen = np.flatnonzero(ok.any(axis=1))  # frames where a plume can be seen
        if seen.size == 0:
            return None
        with np.errstate(invalid="ignore", divide="ignore"):
            rng = _norm(states[..., :3] - sat[:, None, :])
            snr = self.snr(intensity, rng)
            pd = special.ndtr(snr - gaussian_threshold(t.pfa))
        draws = np.zeros((ks.size, cols.size, 3))
        for f in seen:  # one generator per frame (and only for frames with a visible plume)
            draws[f] = self.scan_rng("frame", int(ks[f])).standard_normal((n, 3))[cols]
        hit = ok & (special.ndtr(draws[..., 0]) < pd)
        m, c = hit.nonzero()
        if m.size == 0:
            return None
        model = EcefToLosAngles(
            sensor_position_ecef=sat[m], sensor_basis=basis[m], noise_covariance=np.zeros(2)
        )
        sigma = np.full((m.size, 2), t.los_sigma_rad)
        z = model.function(states[m, c]) + sigma * draws[m, c, 1:3]
        return part(
            sensor_id=self.id,
            kind=MeasurementKind.LOS_ANGLES,
            mode=DetectionMode.FRAME,
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

    def _false_alarms(self, t_k, sat, vel, basis, fa_count, fa_draws):
        t = self.type
        rc = R_MEAN_M + t.cloud_top_altitude_m
        frames = np.flatnonzero(fa_count)
        if not frames.size:
            return None
        at = np.repeat(frames, fa_count[frames])
        t_fa = t_k[at]
        d = (
            fa_draws[frames[0]]
            if frames.size == 1
            else np.concatenate([fa_draws[f] for f in frames])
        )
        sat, vel, basis = sat[at], vel[at], basis[at]
        rs = _norm(sat)
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
        return part(
            sensor_id=self.id,
            kind=MeasurementKind.LOS_ANGLES,
            mode=DetectionMode.FRAME,
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

    def detection_parts(
        self, t0_s: float, t1_s: float, truth: TruthTable, cues: CueSet | None = None
    ) -> list[Part]:
        """Frame detections (plumes and false alarms) with frame times in ``[t0_s, t1_s)``.
        ``cues`` are ignored (a staring sensor sees its whole field every frame)."""
        ks = self._frame_list(t0_s, t1_s)
        if not ks:
            return []
        parts = []
        if truth.n_objects and truth.any_plume():
            found = self._frames(*self._frame_rows(ks)[:5], truth)
            if found is not None:
                parts.append(found)
        found = self._frame_false_alarms(ks)
        if found is not None:
            parts.append(found)
        return parts

    def _frame_list(self, t0_s: float, t1_s: float) -> list[int]:
        """Indices of the frames with times in ``[t0_s, t1_s)`` (sensor up)."""
        frame = self.type.frame_s
        phase = self._phase()
        ks = [
            k
            for k in scan_list(t0_s, t1_s, phase, frame, 1e-9 * frame)
            if t0_s <= phase + k * frame < t1_s
        ]
        o = self.outages
        if ks and (o.windows_s or o.mtbf_s is not None):
            down = self.down_mask(t0_s, t1_s)
            if down is not None:
                up = ~down(phase + np.array(ks, dtype=np.int64) * frame)
                ks = [k for k, keep in zip(ks, up.tolist(), strict=True) if keep]
        return ks

    def _frame_rows(self, ks: list[int]):
        """``(indices (K,), times (K,), position, velocity (K, 3), basis (K, 3, 3),
        false-alarm counts (K,), their draws (list of (count, 3)))`` of frames ``ks`` from the
        frame grid (:meth:`_frame_block`)."""
        b0, b1 = ks[0] // FRAME_BLOCK, ks[-1] // FRAME_BLOCK
        if b0 == b1 and ks[-1] - ks[0] == len(ks) - 1:  # consecutive frames of one block
            block = self._frame_block(b0)
            i0 = ks[0] - b0 * FRAME_BLOCK
            sel = slice(i0, i0 + len(ks))
            rows = [block.k[sel], block.t[sel], block.position[sel], block.velocity[sel]]
            rows += [block.basis[sel], block.fa_count[sel], block.fa_draws[sel]]
            return rows
        blocks = [self._frame_block(b) for b in range(b0, b1 + 1)]
        at = np.array(ks, dtype=np.int64) - b0 * FRAME_BLOCK
        names = ("k", "t", "position", "velocity", "basis", "fa_count")
        rows = [np.concatenate([getattr(b, name) for b in blocks])[at] for name in names]
        draws = [d for b in blocks for d in b.fa_draws]
        rows.append([draws[i] for i in at.tolist()])
        return rows

    def _frame_false_alarms(self, ks: list[int]) -> Part | None:
        """The false alarms of frames ``ks`` (rows of their blocks' parts), or None."""
        b0 = ks[0] // FRAME_BLOCK
        if ks[-1] // FRAME_BLOCK == b0 and ks[-1] - ks[0] == len(ks) - 1:
            spans = [(self._frame_block(b0), ks[0] - b0 * FRAME_BLOCK, len(ks))]
        else:
            spans = []
            for k in ks:
                b = k // FRAME_BLOCK
                spans.append((self._frame_block(b), k - b * FRAME_BLOCK, 1))
        rows, ids = [], []
        for block, i, count in spans:
            start, stop = block.fa_start[i], block.fa_start[i + count]
            if stop > start:
                rows.append(block.fa_part["rows"][start:stop])
                ids.append(block.fa_part["object_id"][start:stop])
        if not rows:
            return None
        if len(rows) > 1:
            rows, ids = [np.concatenate(rows)], [np.concatenate(ids)]
        return dict(sensor_id=self.id, rows=rows[0], object_id=ids[0])


def _norm(v) -> np.ndarray:
    """``np.linalg.norm(v, axis=-1)``: the same sum of squares, without its overhead."""
    return np.sqrt(np.add.reduce(v * v, axis=-1))
