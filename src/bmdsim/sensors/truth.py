"""Truth as the sensors see it: sampled ECEF states of every object and their signatures.

A :class:`TruthTable` holds ``N`` objects sampled on one time grid ``t_s (T,)``:
ECEF states ``(T, N, 6)`` with NaN where an object does not exist (before launch,
after impact), radar cross-sections and infrared plume radiant intensities.
Sensors ask for states at arbitrary look times; positions and velocities are
interpolated with cubic Hermite polynomials (position and velocity at both ends
of the interval, exact at the samples, error O(h^4 * jerk) in position), and
signatures are held from the last sample at or before the look time. A look
time outside the grid, or in an interval with a NaN end, gives NaN (the object
does not exist there).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np


@dataclass(frozen=True, slots=True, kw_only=True)
class TruthTable:
    """Sampled truth of ``N`` objects.

    * ``t_s (T,)`` — strictly increasing sample times [s], ``T >= 2``;
    * ``states_ecef (T, N, 6)`` — ECEF ``[x, y, z, vx, vy, vz]`` [m, m/s], NaN where
      the object does not exist;
    * ``object_id (N,)`` — stable string ids (labels of detections);
    * ``rcs_m2 (N,)`` or ``(T, N)`` — mean radar cross-section [m²];
    * ``ir_intensity_w_sr (T, N)`` or ``None`` — plume radiant intensity in the
      infrared band [W/sr], 0 when no plume burns.
    """

    t_s: np.ndarray
    states_ecef: np.ndarray
    object_id: np.ndarray
    rcs_m2: np.ndarray
    ir_intensity_w_sr: np.ndarray | None = None
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        t, n = self.states_ecef.shape[:2]
        assert self.t_s.shape == (t,) and t >= 2, "need at least two samples"
        assert self.states_ecef.shape == (t, n, 6)
        t_s = self.t_s
        assert (t_s[1:] > t_s[:-1]).all(), "t_s must be strictly increasing"  # np.diff's test
        assert self.object_id.shape == (n,)
        assert self.rcs_m2.shape in ((n,), (t, n))
        if self.ir_intensity_w_sr is not None:
            assert self.ir_intensity_w_sr.shape == (t, n)

    @property
    def n_objects(self) -> int:
        return int(self.states_ecef.shape[1])

    def any_exists(self) -> bool:
        """Whether some object has a finite sample (else every look time gives NaN)."""
        out = self._memo.get("exists")
        if out is None:
            out = self._memo["exists"] = bool(np.isfinite(self.states_ecef[..., 0]).any())
        return out

    def any_plume(self) -> bool:
        """Whether some sample has a plume (else :meth:`ir_intensity_at` is 0 everywhere)."""
        out = self._memo.get("plume")
        if out is None:
            ir = self.ir_intensity_w_sr
            out = self._memo["plume"] = ir is not None and bool(np.any(ir > 0.0))
        return out

    @classmethod
    def from_arrays(
        cls, t_s, states_ecef, *, rcs_m2, ir_intensity_w_sr=None, object_id=None
    ) -> TruthTable:
        """Build from array-likes; ``object_id`` defaults to ``"0", "1", ...``;
        a scalar or ``(N,)`` ``rcs_m2`` is broadcast."""
        states = np.asarray(states_ecef, dtype=float)
        n = states.shape[1]
        ids = np.arange(n).astype(str) if object_id is None else np.asarray(object_id, dtype=str)
        rcs = np.asarray(rcs_m2, dtype=float)
        if rcs.ndim == 0:
            rcs = np.full(n, float(rcs))
        ir = None if ir_intensity_w_sr is None else np.asarray(ir_intensity_w_sr, dtype=float)
        return cls(
            t_s=np.asarray(t_s, dtype=float),
            states_ecef=states,
            object_id=ids,
            rcs_m2=rcs,
            ir_intensity_w_sr=ir,
        )

    @staticmethod
    def stack(tables) -> TruthTable:
        """Objects of several tables on the same time grid, side by side (threats,
        interceptors, debris). Cross-sections become ``(T, N)``; missing plumes are 0."""
        tables = list(tables)
        t = tables[0].t_s
        assert all(np.array_equal(tb.t_s, t) for tb in tables), "tables need the same time grid"
        rcs = [np.broadcast_to(tb.rcs_m2, tb.states_ecef.shape[:2]) for tb in tables]
        ir = [
            np.zeros(tb.states_ecef.shape[:2])
            if tb.ir_intensity_w_sr is None
            else tb.ir_intensity_w_sr
            for tb in tables
        ]
        return TruthTable(
            t_s=t,
            states_ecef=np.concatenate([tb.states_ecef for tb in tables], axis=1),
            object_id=np.concatenate([tb.object_id for tb in tables]),
            rcs_m2=np.concatenate(rcs, axis=1),
            ir_intensity_w_sr=np.concatenate(ir, axis=1),
        )

    def _locate(self, t):
        """Interval index ``i`` with ``t_s[i] <= t <= t_s[i+1]`` and a validity mask."""
        t = np.asarray(t, dtype=float)
        i = np.searchsorted(self.t_s, t, side="right") - 1
        inside = (t >= self.t_s[0]) & (t <= self.t_s[-1])
        return np.clip(i, 0, self.t_s.shape[0] - 2), inside

    def state_at(self, t_s) -> np.ndarray:
        """States ``(K, N, 6)`` of every object at look times.

        ``t_s`` is either ``(K,)`` (one time for all objects) or ``(K, N)`` (a look time
        per object). Cubic Hermite interpolation of position with its velocity; velocity
        is the derivative of that polynomial. NaN outside the grid or where a bracketing
        sample is NaN.
        """
        t = np.asarray(t_s, dtype=float)
        n = self.n_objects
        if t.ndim == 1:
            return self._rows_at(t)
        assert t.ndim == 2 and t.shape[1] == n, "t_s must be (K,) or (K, N)"
        return self.states_of(t, np.broadcast_to(np.arange(n), t.shape))

    def _rows_at(self, t: np.ndarray) -> np.ndarray:
        """:meth:`state_at` for one time per row: the Hermite weights are per row, so the
        (K, N, 6) work is a handful of multiply-adds (the polynomial of :meth:`states_of`,
        compiled: :func:`bmdsim.sensors._kernel.hermite_rows`)."""
        from bmdsim.sensors._kernel import hermite_rows

        return hermite_rows(
            np.asarray(t, dtype=float), self.t_s, np.asarray(self.states_ecef, dtype=float)
        )

    def positions_at(self, t_s) -> np.ndarray:
        """Positions ``(K, N, 3)`` of every object at times ``t_s (K,)``: the position part
        of :meth:`state_at` (half the work)."""
        t = np.asarray(t_s, dtype=float)
        i, inside = self._locate(t)
        h = self.t_s[i + 1] - self.t_s[i]
        s = (t - self.t_s[i]) / h
        s2, s3 = s * s, s * s * s
        w = [
            (2.0 * s3 - 3.0 * s2 + 1.0)[:, None, None],
            ((s3 - 2.0 * s2 + s) * h)[:, None, None],
            (-2.0 * s3 + 3.0 * s2)[:, None, None],
            ((s3 - s2) * h)[:, None, None],
        ]
        a = self.states_ecef[i]
        out = w[0] * a[..., :3]
        out += w[1] * a[..., 3:]
        b = self.states_ecef[i + 1]
        out += w[2] * b[..., :3]
        out += w[3] * b[..., 3:]
        out[~inside] = np.nan
        return out

    def states_of(self, t_s, index) -> np.ndarray:
        """States ``(..., 6)`` of objects ``index (...)`` at times ``t_s (...)`` (same shape):
        the look-by-look form of :meth:`state_at`."""
        t = np.asarray(t_s, dtype=float)
        cols = np.asarray(index)
        i, inside = self._locate(t)
        a = self.states_ecef[i, cols]
        b = self.states_ecef[i + 1, cols]
        h = (self.t_s[i + 1] - self.t_s[i])[..., None]
        s = (t[..., None] - self.t_s[i][..., None]) / h
        s2, s3 = s * s, s * s * s
        h00 = 2.0 * s3 - 3.0 * s2 + 1.0
        h10 = s3 - 2.0 * s2 + s
        h01 = -2.0 * s3 + 3.0 * s2
        h11 = s3 - s2
        p0, v0, p1, v1 = a[..., :3], a[..., 3:], b[..., :3], b[..., 3:]
        pos = h00 * p0 + h10 * h * v0 + h01 * p1 + h11 * h * v1
        d00 = (6.0 * s2 - 6.0 * s) / h
        d10 = 3.0 * s2 - 4.0 * s + 1.0
        d01 = (-6.0 * s2 + 6.0 * s) / h
        d11 = 3.0 * s2 - 2.0 * s
        vel = d00 * p0 + d10 * v0 + d01 * p1 + d11 * v1
        out = np.concatenate([pos, vel], axis=-1)
        out[~inside] = np.nan
        return out

    def _hold(self, values: np.ndarray, t_s, index=None) -> np.ndarray:
        t = np.asarray(t_s, dtype=float)
        if index is None:
            n = self.n_objects
            if t.ndim == 1:
                t = np.broadcast_to(t[:, None], (t.shape[0], n))
            index = np.broadcast_to(np.arange(n), t.shape)
        i = np.searchsorted(self.t_s, t, side="right") - 1
        inside = (i >= 0) & (t <= self.t_s[-1])
        out = values[np.maximum(i, 0), index]
        return np.where(inside, out, 0.0)

    def rcs_at(self, t_s) -> np.ndarray:
        """Radar cross-section ``(K, N)`` [m²] at look times ``(K,)`` or ``(K, N)``."""
        if self.rcs_m2.ndim == 1:
            t = np.asarray(t_s, dtype=float)
            shape = (t.shape[0], self.n_objects)
            return np.broadcast_to(self.rcs_m2, shape)
        return self._hold(self.rcs_m2, t_s)

    def rcs_of(self, t_s, index) -> np.ndarray:
        """Radar cross-section [m²] of objects ``index (...)`` at times ``t_s (...)``."""
        if self.rcs_m2.ndim == 1:
            return self.rcs_m2[np.asarray(index)]
        return self._hold(self.rcs_m2, t_s, np.asarray(index))

    def ir_intensity_at(self, t_s) -> np.ndarray:
        """Plume radiant intensity ``(K, N)`` [W/sr] at look times (0 without a plume).

        Between two samples the plume counts only as bright as the dimmer of the two: a
        look between the last burning sample and the first one after burnout sees no plume
        (holding the earlier sample would show a plume up to one sample after burnout)."""
        t = np.asarray(t_s, dtype=float)
        if self.ir_intensity_w_sr is None:
            return np.zeros((t.shape[0], self.n_objects))
        held = self._hold(self.ir_intensity_w_sr, t_s)
        tt = np.broadcast_to(t[:, None], held.shape) if t.ndim == 1 else t
        later = np.minimum(np.searchsorted(self.t_s, tt, side="right"), self.t_s.shape[0] - 1)
        between = tt > self.t_s[later - 1]
        nxt = self.ir_intensity_w_sr[later, np.broadcast_to(np.arange(self.n_objects), tt.shape)]
        return np.where(between, np.minimum(held, nxt), held)
