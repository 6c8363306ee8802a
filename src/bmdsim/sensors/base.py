"""The sensor role: ``observe(t0_s, t1_s, truth, cues) -> DetectionBatch``.

Every sensor is an immutable object built once per run from its type, platform,
outage schedule and the run's seed. ``observe`` is a pure function of the window
and its inputs, and gives the same detections whether a run is observed in one
window or in many: each look belongs to a scan (search frame, track tick or
infrared frame) with a fixed index, the scan's random draws come from
``bmdsim.core.random.stream(seed, "sensor", sensor_id, <scan kind>, str(index))``,
and a detection is returned by the window that contains its look time.
Within a scan, object ``i`` uses row ``i`` of one ``standard_normal((N, k))``
draw, so appending objects to the truth never changes the earlier objects' noise.

A sensor hands its detections on as *parts* (:meth:`Sensor.detection_parts`: flat
arrays of one measurement kind and mode, unsorted); ``observe`` and
:class:`bmdsim.sensors.SensorSuite` merge parts into one time-sorted
:class:`DetectionBatch` (:func:`batch_of_parts`) once, not once per sensor.
"""

from __future__ import annotations

import math
import threading
from abc import ABC, abstractmethod
from dataclasses import dataclass, field, replace
from functools import lru_cache

import numpy as np

from bmdsim.core.random import _name_key, stream
from bmdsim.sensors.outages import OutageSchedule
from bmdsim.sensors.truth import TruthTable
from bmdsim.sensors.types import (
    MAX_MEASUREMENT_DIM,
    N_ROW,
    R_BASIS,
    R_COV,
    R_FA,
    R_KIND,
    R_MODE,
    R_POS,
    R_RCS,
    R_SNR,
    R_T,
    R_VEL,
    R_Z,
    CueSet,
    DetectionBatch,
    DetectionTruth,
    SensorStatusChange,
    _checked_already,
)

#: A detection part: ``B`` unsorted detections of one sensor as a dict of ``sensor_id``
#: (str), ``rows (B, N_ROW)`` float (the columns ``R_*`` of :mod:`bmdsim.sensors.types`:
#: look time, measurement padded with NaN to 4, covariance, SNR, measured RCS or NaN, the
#: sensor's position, velocity and basis, kind, mode, false-alarm flag) and ``object_id
#: (B,)`` str. :func:`part` makes one from named arrays; compiled paths write the rows.
Part = dict


@dataclass(frozen=True, slots=True, kw_only=True)
class Sensor(ABC):
    """Common part of every sensor: identity, seed, outages, scan timing.

    ``_memo`` holds values derived from the sensor alone (constants of its type and
    platform, random draws of scans that span several windows); it is never compared,
    and a :func:`dataclasses.replace` copy starts with an empty one.
    """

    id: str
    seed: int = 0
    outages: OutageSchedule = field(default_factory=OutageSchedule)
    _memo: dict = field(default_factory=dict, init=False, repr=False, compare=False)

    @abstractmethod
    def detection_parts(
        self, t0_s: float, t1_s: float, truth: TruthTable, cues: CueSet | None = None
    ) -> list[Part]:
        """Detections whose look time lies in ``[t0_s, t1_s)``, as parts (see :data:`Part`;
        empty parts left out)."""

    def observe(
        self, t0_s: float, t1_s: float, truth: TruthTable, cues: CueSet | None = None
    ) -> DetectionBatch:
        """Detections whose look time lies in ``[t0_s, t1_s)``, sorted by time."""
        return batch_of_parts(self.detection_parts(t0_s, t1_s, truth, cues))

    def rng(self, *names: str) -> np.random.Generator:
        """This sensor's stream for ``names`` (e.g. ``"search", "12"``): the same generator
        as ``bmdsim.core.random.stream(seed, "sensor", id, *names)``, made faster
        (:func:`sensor_stream`)."""
        return sensor_stream(self.seed, self.id, *names)

    def phase_s(self, period_s: float, which: str) -> float:
        """Offset in ``[0, period_s)`` of a periodic schedule (fixed per seed and sensor),
        so that sensors do not all scan in step."""
        return _schedule_fraction(self.seed, self.id, which) * period_s

    def down_intervals(self, until_s: float) -> list[tuple[float, float, str]]:
        return self.outages.intervals(until_s, lambda: self.rng("outages"))

    def down_mask(self, t_s: float, t1_s: float):
        """``down(t) -> bool mask`` of this sensor's outages for look times before ``t1_s``,
        or None when the sensor has no outage at all (no mask needed)."""
        o = self.outages
        if not o.windows_s and o.mtbf_s is None:
            return None
        intervals = self.down_intervals(t1_s)
        if not intervals:
            return None

        def down(t):
            return OutageSchedule.down_mask(t, intervals)

        return down

    def status_changes(self, t0_s: float, t1_s: float) -> list[SensorStatusChange]:
        """Down/up transitions of this sensor with ``t0_s <= t < t1_s``."""
        o = self.outages
        if not o.windows_s and o.mtbf_s is None:  # never down (asked every engine step)
            return []
        return OutageSchedule.status_changes(self.id, t0_s, t1_s, self.down_intervals(t1_s))

    def with_outage(self, start_s: float, end_s: float):
        """The same sensor with one more scheduled down window (an operator command)."""
        return replace(self, outages=self.outages.with_window(start_s, end_s))

    def scan_rng(self, scan: str, index: int) -> np.random.Generator:
        """The generator of :meth:`rng` ``(scan, str(index))`` at its start, for immediate
        use: a generator shared by this thread, reset by the next call (never keep it).
        About 4x cheaper than a new generator (:func:`scan_generator`)."""
        return scan_generator(self.seed, self.id, scan, index)

    def scan_normals(self, scan: str, index: int, n_objects: int, k: int) -> np.ndarray:
        """``self.scan_rng(scan, index).standard_normal((n_objects, k))``, drawn in one
        compiled call (:func:`bmdsim.sensors._kernel.stream_normals`; the same numbers)."""
        from bmdsim.sensors._kernel import stream_normals

        out = np.empty((n_objects, k))
        prefix = _prefix_words(self.seed, ("sensor", self.id, scan))
        stream_normals(prefix, *_name_key(str(index)), n_objects * k, out.reshape(-1))
        return out

    def scan_draws(self, scan: str, index: int, n_objects: int, k: int) -> np.ndarray:
        """``standard_normal((n_objects, k))`` of scan ``index``'s stream, kept for the
        scan's next windows (read-only). A scan that spans several windows (a search
        frame) is asked for again; the last ``_MEMO_SCANS`` scans of each kind are kept."""
        memo = self._memo.setdefault(("draws", scan, n_objects, k), {})
        draws = memo.get(index)
        if draws is None:
            draws = self.scan_normals(scan, index, n_objects, k)
            draws.setflags(write=False)
            if len(memo) >= _MEMO_SCANS:
                memo.pop(next(iter(memo), None), None)  # safe if another thread evicted it
            memo[index] = draws
        return draws


#: Scans of one kind whose draws a sensor keeps (:meth:`Sensor.scan_draws`).
_MEMO_SCANS = 8


@lru_cache(maxsize=1024)
def _schedule_fraction(seed: int, sensor_id: str, which: str) -> float:
    """The first draw of the sensor's ``("schedule", which)`` stream (asked every step)."""
    return float(stream(seed, "sensor", sensor_id, "schedule", which).random())


def _int_words(value: int) -> list[int]:
    """``value`` as little-endian 32-bit words, as :class:`numpy.random.SeedSequence` reads
    an integer of its entropy (zero is one word)."""
    if value < 0:
        raise ValueError(f"seed must be a non-negative integer, got {value}")
    words = [0] if value == 0 else []
    while value:
        words.append(value & 0xFFFFFFFF)
        value >>= 32
    return words


@lru_cache(maxsize=1024)
def _entropy_prefix(seed: int, names: tuple[str, ...]) -> tuple[int, ...]:
    return tuple(_int_words(seed)) + tuple(w for name in names for w in _name_key(name))


def sensor_stream(seed: int, sensor_id: str, *names: str) -> np.random.Generator:
    """``bmdsim.core.random.stream(seed, "sensor", sensor_id, *names)``, the same generator.

    ``stream`` hands ``SeedSequence`` its entropy as a list of Python integers, which
    costs about 30 us to read; here the same 32-bit words go in as one ``uint32`` array
    (about 3 us), the fixed leading names' words computed once.
    """
    prefix = _entropy_prefix(seed, ("sensor", sensor_id, *names[:-1]))
    words = prefix + _name_key(names[-1]) if names else prefix
    seq = np.random.SeedSequence(np.array(words, dtype=np.uint32))
    return np.random.Generator(np.random.PCG64(seq))


_thread = threading.local()


@lru_cache(maxsize=1024)
def _prefix_words(seed: int, names: tuple[str, ...]) -> np.ndarray:
    words = np.array(_entropy_prefix(seed, names), dtype=np.uint32)
    words.setflags(write=False)
    return words


def scan_generator(seed: int, sensor_id: str, scan: str, index: int) -> np.random.Generator:
    """``stream(seed, "sensor", sensor_id, scan, str(index))`` at its start, as a generator
    shared by the calling thread (reset by the next call: draw from it at once); see
    :func:`shared_stream`."""
    return shared_stream(seed, ("sensor", sensor_id, scan), str(index))


def shared_stream(seed: int, names: tuple[str, ...], last: str) -> np.random.Generator:
    """``bmdsim.core.random.stream(seed, *names, last)`` at its start, as a generator shared
    by the calling thread (reset by the next call of this function or of
    :func:`scan_generator`: draw from it at once). For streams made by the thousand whose
    leading names repeat (a sensor's scans, a link's steps).

    The same numbers as a new generator: the stream's ``SeedSequence`` state words and
    PCG64's seeding (``state = 0``, ``inc = 2 seq + 1``, step, add the initial state, step)
    are computed by :func:`bmdsim.sensors._kernel.pcg64_seeded` (numpy's algorithms, 128-bit
    arithmetic in 64-bit words; the words of ``seed`` and ``names`` kept per pair), and the
    result set as the shared ``PCG64``'s state (tested against ``bmdsim.core.random.stream``).
    A new ``Generator`` costs ~6x as much.
    """
    from bmdsim.sensors._kernel import pcg64_seeded

    s_hi, s_lo, i_hi, i_lo = pcg64_seeded(_prefix_words(seed, names), *_name_key(last))
    gen = getattr(_thread, "generator", None)
    if gen is None:
        gen = _thread.generator = np.random.Generator(np.random.PCG64(0))
    gen.bit_generator.state = {
        "bit_generator": "PCG64",
        "state": {"state": (s_hi << 64) | s_lo, "inc": (i_hi << 64) | i_lo},
        "has_uint32": 0,
        "uinteger": 0,
    }
    return gen


def poisson_uniforms(seed: int, sensor_id: str, scan: str, indices, lam, width: int):
    """For scans ``indices`` (ints) with means ``lam (B,)``: each scan's stream's
    ``poisson(lam)`` count, then ``random((count, width))`` — ``(counts (B,) int64, [draws
    (count, width) or None per scan])``, the numbers of :func:`scan_generator`'s generator.
    Compiled (:func:`bmdsim.sensors._kernel.poisson_uniform_streams`: one call for every
    scan) when every mean is below 10 (numpy's multiplication method), else numpy."""
    lam = np.asarray(lam, dtype=float)
    size = len(indices)
    out = [None] * size
    if size and np.all((lam >= 0.0) & (lam < 10.0)):
        from bmdsim.sensors._kernel import poisson_uniform_streams

        keys = np.array([_name_key(str(k)) for k in indices], dtype=np.int64)
        prefix = _prefix_words(seed, ("sensor", sensor_id, scan))
        counts = np.empty(size, dtype=np.int64)
        rows = np.empty((max(size, 8), width))
        total = poisson_uniform_streams(prefix, keys, lam, width, counts, rows)
        if total > rows.shape[0]:
            rows = np.empty((total, width))
            poisson_uniform_streams(prefix, keys, lam, width, counts, rows)
        start = 0
        for f, count in enumerate(counts.tolist()):
            if count:
                out[f] = rows[start : start + count]
                start += count
        return counts, out
    counts = np.zeros(size, dtype=np.int64)
    for f, (k, mean) in enumerate(zip(indices, lam.tolist(), strict=True)):
        rng = scan_generator(seed, sensor_id, scan, int(k))
        count = int(rng.poisson(mean))
        if count:
            counts[f] = count
            out[f] = rng.random((count, width))
    return counts, out


def scan_indices(t0_s: float, t1_s: float, phase_s: float, period_s: float, span_s: float):
    """Indices ``k`` of scans starting at ``phase_s + k period_s`` and lasting ``span_s``
    that overlap ``[t0_s, t1_s)``."""
    return np.array(scan_list(t0_s, t1_s, phase_s, period_s, span_s), dtype=np.int64)


def scan_list(t0_s: float, t1_s: float, phase_s: float, period_s: float, span_s: float):
    """:func:`scan_indices` as a list of Python ints (the same floating-point tests)."""
    k0 = math.floor((t0_s - span_s - phase_s) / period_s)
    k1 = math.ceil((t1_s - phase_s) / period_s)
    out = []
    for k in range(k0, k1 + 1):
        start = phase_s + k * period_s
        if start < t1_s and start + span_s > t0_s:
            out.append(k)
    return out


def standard_normals(sensor: Sensor, scan: str, indices, n_objects: int, k: int) -> np.ndarray:
    """Draws ``(len(indices), n_objects, k)``: one ``standard_normal((n_objects, k))`` per
    scan from that scan's own stream."""
    out = np.empty((len(indices), n_objects, k))
    for row, index in enumerate(indices):  # one generator per scan, not per object
        out[row] = sensor.scan_normals(scan, int(index), n_objects, k)
    return out


def part(
    *,
    sensor_id: str,
    kind,
    mode,
    t_s,
    z,
    sigma,
    snr,
    sensor_position_ecef,
    sensor_velocity_ecef,
    sensor_basis,
    object_id,
    false_alarm,
    rcs_m2=None,
) -> Part:
    """A :data:`Part` from its arrays (``z``, ``sigma`` ``(B, m)``, ``m <= 4``; ``mode`` one
    code or one per detection; ``rcs_m2`` None: NaN)."""
    t = np.asarray(t_s, dtype=float)
    b = t.shape[0]
    z = np.asarray(z, dtype=float)
    m = z.shape[1]
    rows = np.empty((b, N_ROW))
    rows[:, R_T] = t
    rows[:, R_Z : R_Z + 4] = np.nan
    rows[:, R_Z : R_Z + m] = z
    # covariance diag(sigma**2): every fifth element of the row-major 4 x 4
    rows[:, R_COV : R_COV + 16] = 0.0
    rows[:, R_COV : R_COV + 5 * m : 5] = np.square(np.asarray(sigma, dtype=float))
    rows[:, R_SNR] = snr
    rows[:, R_RCS] = np.nan if rcs_m2 is None else rcs_m2
    rows[:, R_POS : R_POS + 3] = np.reshape(sensor_position_ecef, (b, 3))
    rows[:, R_VEL : R_VEL + 3] = np.reshape(sensor_velocity_ecef, (b, 3))
    rows[:, R_BASIS : R_BASIS + 9] = np.reshape(sensor_basis, (b, 9))
    rows[:, R_KIND] = int(kind)
    rows[:, R_MODE] = mode
    rows[:, R_FA] = np.asarray(false_alarm, dtype=bool).reshape(b)
    return dict(
        sensor_id=sensor_id, rows=rows, object_id=np.asarray(object_id, dtype=str).reshape(b)
    )


def batch_of_parts(parts) -> DetectionBatch:
    """One :class:`DetectionBatch` of detection parts, sorted by time (ties: by sensor id,
    then part order, then order within the part) — the order
    :meth:`DetectionBatch.concat` gives batches made of the same parts (one compiled merge,
    :func:`bmdsim.sensors._kernel.merge_rows`)."""
    from bmdsim.sensors._kernel import merge_rows

    parts = [p for p in parts if p["rows"].shape[0]]
    if not parts:
        return DetectionBatch.empty()
    ids = [p["sensor_id"] for p in parts]
    if len(parts) == 1:
        rows, object_id = parts[0]["rows"], parts[0]["object_id"]
    else:
        rows = np.concatenate([p["rows"] for p in parts])
        object_id = np.concatenate([p["object_id"] for p in parts])
    b = rows.shape[0]
    names = sorted(set(ids))
    if len(names) == 1:
        rank = np.zeros(b, dtype=np.int64)
    else:
        # sensor ids as their ranks (Python's str order is numpy's: by code point)
        sizes = [p["rows"].shape[0] for p in parts]
        rank = np.repeat(np.array([names.index(i) for i in ids], dtype=np.int64), sizes)
    d = MAX_MEASUREMENT_DIM
    t_s, snr, rcs = np.empty(b), np.empty(b), np.empty(b)
    z, cov = np.empty((b, d)), np.empty((b, d, d))
    pos, vel, basis = np.empty((b, 3)), np.empty((b, 3)), np.empty((b, 3, 3))
    kind, mode = np.empty(b, dtype=np.int8), np.empty(b, dtype=np.int8)
    false_alarm, order = np.empty(b, dtype=bool), np.empty(b, dtype=np.int64)
    merge_rows(rows, rank, t_s, z, cov, snr, rcs, pos, vel, basis, kind, mode, false_alarm, order)
    sensor_id = np.full(b, names[0]) if len(names) == 1 else np.array(names)[rank[order]]
    # every field (B, ...) by construction: the constructor's checks skipped
    return _checked_already(
        DetectionBatch,
        t_s=t_s,
        sensor_id=sensor_id,
        kind=kind,
        mode=mode,
        z=z,
        covariance=cov,
        snr=snr,
        rcs_m2=rcs,
        sensor_position_ecef=pos,
        sensor_velocity_ecef=vel,
        sensor_basis=basis,
        truth=DetectionTruth(object_id=object_id[order], false_alarm=false_alarm),
    )


def assemble(
    *,
    sensor_id: str,
    t_s,
    kind,
    mode,
    z,
    sigma,
    snr,
    sensor_position_ecef,
    sensor_velocity_ecef,
    sensor_basis,
    object_id,
    false_alarm,
    rcs_m2=None,
) -> DetectionBatch:
    """A :class:`DetectionBatch` from flat ``(B, ...)`` arrays; ``z`` and ``sigma`` are
    ``(B, m)`` with ``m <= 4`` (padded here), noise uncorrelated between axes; ``rcs_m2``
    ``(B,)`` the measured RCS (``None``: NaN, a sensor that measures none)."""
    b = np.shape(t_s)[0]
    m = np.shape(z)[1]
    zp = np.full((b, 4), np.nan)
    zp[:, :m] = z
    cov = np.zeros((b, 4, 4))
    idx = np.arange(m)
    cov[:, idx, idx] = np.asarray(sigma) ** 2
    return DetectionBatch(
        t_s=np.asarray(t_s, dtype=float),
        sensor_id=np.full(b, sensor_id),
        kind=np.broadcast_to(np.asarray(kind, np.int8), (b,)).copy(),
        mode=np.broadcast_to(np.asarray(mode, np.int8), (b,)).copy(),
        z=zp,
        covariance=cov,
        snr=np.asarray(snr, dtype=float),
        rcs_m2=None if rcs_m2 is None else np.asarray(rcs_m2, dtype=float).reshape(b),
        sensor_position_ecef=np.asarray(sensor_position_ecef, dtype=float).reshape(b, 3),
        sensor_velocity_ecef=np.asarray(sensor_velocity_ecef, dtype=float).reshape(b, 3),
        sensor_basis=np.asarray(sensor_basis, dtype=float).reshape(b, 3, 3),
        truth=DetectionTruth(
            object_id=np.asarray(object_id, dtype=str).reshape(b),
            false_alarm=np.asarray(false_alarm, dtype=bool).reshape(b),
        ),
    )
