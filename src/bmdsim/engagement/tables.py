"""Flyout tables: minimum time of flight over (ground range, altitude) per interceptor type.

A table is built by flying a fan of interceptors of one type on the open-loop programme of
:mod:`bmdsim.engagement.kinematics` in one batched integration, one trajectory per kick
angle, over a spherical, non-rotating Earth without J2 (so that a trajectory depends on its
kick angle only, not on the launch point or azimuth). Each trajectory is resampled on the
range grid; between two neighbouring kick angles the altitude at a grid range is
interpolated linearly, and each ``(range, altitude)`` cell keeps the earliest arrival over
the fan with its kick angle and speed. Cells no trajectory reaches within the type's
maximum time of flight are NaN.

The tables are approximations for planning (a rotating ellipsoidal Earth changes the time
of flight by up to a few seconds); :mod:`bmdsim.engagement.fire_control` checks the best
candidates with the full flyout.

Tables are cached on disk in ``$BMDSIM_CACHE_DIR`` or else ``$XDG_CACHE_HOME/bmdsim`` (or
``~/.cache/bmdsim``), one ``.npz`` file per interceptor record, named by a hash of the record,
the launch programme and the table settings; written atomically (a temporary file, then
:func:`os.replace`), rebuilt when missing or unreadable, and kept in memory only when the
directory cannot be written.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from bmdsim.catalog.interceptors import InterceptorType
from bmdsim.core.integrate import interpolate_dense
from bmdsim.engagement.kinematics import (
    DEFAULT_PROGRAM,
    InterceptorKinematics,
    LaunchProgram,
    fly_open_loop,
)
from bmdsim.flight.dynamics import Physics

#: Bumped whenever the table algorithm changes (part of the cache key).
TABLE_VERSION: int = 1
#: Radius of the table's spherical Earth [m] (IUGG mean radius R1).
TABLE_EARTH_RADIUS_M: float = 6_371_008.8


@dataclass(frozen=True, slots=True, kw_only=True)
class TableSettings:
    """Resolution of a flyout table."""

    #: Kick angles of the fan [deg]: ``n_kicks`` from ``min_kick_deg`` to ``max_kick_deg``.
    n_kicks: int = 150
    min_kick_deg: float = 0.5
    max_kick_deg: float = 110.0
    #: Grid points in range and altitude; the grid extends ``margin`` beyond the type's
    #: maximum range and altitude.
    n_range: int = 241
    n_alt: int = 241
    margin: float = 0.15
    #: Sampling of each trajectory [s].
    sample_s: float = 0.25


DEFAULT_SETTINGS = TableSettings()


@dataclass(frozen=True, slots=True, kw_only=True)
class FlyoutTable:
    """Earliest arrival of one interceptor type over ``(ground range, altitude)``.

    Ground range is along the great circle [m] on a sphere of radius ``earth_radius_m``,
    altitude above the launcher [m]. Arrays are ``(n_range, n_alt)``; NaN: not reachable.
    """

    interceptor_id: str
    key: str
    earth_radius_m: float
    range_m: np.ndarray
    alt_m: np.ndarray
    #: time of flight [s], kick angle of the programme [rad], speed at arrival [m/s]
    tof_s: np.ndarray
    kick_rad: np.ndarray
    speed_m_s: np.ndarray

    def lookup(self, range_m, alt_m) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Bilinear interpolation of ``(tof_s, kick_rad, speed_m_s)`` at ``range_m``,
        ``alt_m`` (broadcast together); NaN outside the grid or where a corner is NaN."""
        r, h = np.broadcast_arrays(np.asarray(range_m, float), np.asarray(alt_m, float))
        dr = self.range_m[1] - self.range_m[0]
        dh = self.alt_m[1] - self.alt_m[0]
        x = (r - self.range_m[0]) / dr
        z = (h - self.alt_m[0]) / dh
        inside = (x >= 0) & (x <= self.range_m.size - 1) & (z >= 0) & (z <= self.alt_m.size - 1)
        i = np.clip(np.floor(np.where(inside, x, 0.0)).astype(np.intp), 0, self.range_m.size - 2)
        k = np.clip(np.floor(np.where(inside, z, 0.0)).astype(np.intp), 0, self.alt_m.size - 2)
        wx = np.where(inside, x, 0.0) - i
        wz = np.where(inside, z, 0.0) - k
        out = []
        for a in (self.tof_s, self.kick_rad, self.speed_m_s):
            v = (
                (1 - wx) * (1 - wz) * a[i, k]
                + wx * (1 - wz) * a[i + 1, k]
                + (1 - wx) * wz * a[i, k + 1]
                + wx * wz * a[i + 1, k + 1]
            )
            out.append(np.where(inside, v, np.nan))
        return out[0], out[1], out[2]


#: :func:`table_key` by the identities of its (frozen) arguments, which it holds (so that
#: their ids stay theirs); cleared when it grows past :data:`_KEYS_MAX` entries
_KEYS: dict[tuple[int, int, int], tuple[object, object, object, str]] = {}
_KEYS_MAX = 256


def table_key(
    itype: InterceptorType,
    program: LaunchProgram = DEFAULT_PROGRAM,
    settings: TableSettings = DEFAULT_SETTINGS,
) -> str:
    """Hash (16 hex digits) of everything a table depends on (worked out once per set of
    argument objects: they are frozen)."""
    ids = (id(itype), id(program), id(settings))
    hit = _KEYS.get(ids)
    if hit is not None and hit[0] is itype and hit[1] is program and hit[2] is settings:
        return hit[3]
    key = _table_key(itype, program, settings)
    if len(_KEYS) >= _KEYS_MAX:
        _KEYS.clear()
    _KEYS[ids] = (itype, program, settings, key)
    return key


def _table_key(itype: InterceptorType, program: LaunchProgram, settings: TableSettings) -> str:
    """:func:`table_key` worked out: SHA-256 of the arguments' fields as sorted JSON."""
    blob = json.dumps(
        {
            "version": TABLE_VERSION,
            "radius": TABLE_EARTH_RADIUS_M,
            "interceptor": dataclasses.asdict(itype),
            "program": dataclasses.asdict(program),
            "settings": dataclasses.asdict(settings),
        },
        sort_keys=True,
        default=str,
    )
    return hashlib.sha256(blob.encode("utf-8")).hexdigest()[:16]


def build_table(
    itype: InterceptorType,
    program: LaunchProgram = DEFAULT_PROGRAM,
    settings: TableSettings = DEFAULT_SETTINGS,
) -> FlyoutTable:
    """Fly the fan (one batched integration) and grid it (see the module docstring)."""
    radius = TABLE_EARTH_RADIUS_M
    kin = InterceptorKinematics.from_types([itype], program)
    kicks = np.radians(np.linspace(settings.min_kick_deg, settings.max_kick_deg, settings.n_kicks))
    nk = kicks.size
    t_max = itype.max_time_of_flight_s * (1.0 + settings.margin)
    r0 = np.tile([radius, 0.0, 0.0], (nk, 1))  # equator, prime meridian; azimuth 0: north
    physics = Physics(j2=False, rotating=False, sphere_radius_m=radius)
    res = fly_open_loop(
        kin,
        np.zeros(nk, np.intp),
        0.0,
        r0,
        np.zeros((nk, 3)),
        0.0,
        kicks,
        t_max,
        physics=physics,
        dense=True,
    )
    t = np.arange(0.0, t_max + 1e-9, settings.sample_s)
    y = interpolate_dense(res.dense, np.arange(nk)[:, None], t[None, :], second_order=3)
    pos = y[..., :3]  # (K, T, 3)
    rad = np.linalg.norm(pos, axis=-1)
    alt = rad - radius
    rng = radius * np.arctan2(np.hypot(pos[..., 1], pos[..., 2]), pos[..., 0])
    speed = np.linalg.norm(y[..., 3:6], axis=-1)
    # a trajectory ends at the ground (after lift-off) or where the interpolant has no data
    gone = ~np.isfinite(alt) | ((alt < -1.0) & (t[None, :] > 1.0))
    gone = np.logical_or.accumulate(gone, axis=1)
    rng = np.where(gone, np.nan, rng)

    r_grid = np.linspace(0.0, itype.max_range_m * (1.0 + settings.margin), settings.n_range)
    h_grid = np.linspace(0.0, itype.max_intercept_alt_m * (1.0 + settings.margin), settings.n_alt)
    # each trajectory on the range grid: first arrival at each grid range
    T = np.full((nk, r_grid.size), np.nan)
    H = np.full_like(T, np.nan)
    V = np.full_like(T, np.nan)
    for j in range(nk):  # setup of a table (seconds once per type), not a hot path
        ok = np.isfinite(rng[j])
        rj = np.maximum.accumulate(rng[j][ok])
        rj = rj + np.arange(rj.size) * 1e-9  # strictly increasing for interpolation
        reach = r_grid <= rj[-1]
        T[j, reach] = np.interp(r_grid[reach], rj, t[ok])
        H[j, reach] = np.interp(r_grid[reach], rj, alt[j][ok])
        V[j, reach] = np.interp(r_grid[reach], rj, speed[j][ok])
    # between neighbouring kicks: altitude at a grid range varies ~linearly with the kick
    h0, h1 = H[:-1, :, None], H[1:, :, None]  # (K-1, R, 1)
    hk = h_grid[None, None, :]
    dh = h1 - h0
    with np.errstate(invalid="ignore", divide="ignore"):
        w = np.where(np.abs(dh) > 0.0, (hk - h0) / dh, np.where(hk == h0, 0.0, np.nan))
    valid = (w >= 0.0) & (w <= 1.0)
    tt = np.where(valid, T[:-1, :, None] + w * (T[1:, :, None] - T[:-1, :, None]), np.inf)
    best = np.argmin(tt, axis=0)  # (R, A)
    tof = np.take_along_axis(tt, best[None], axis=0)[0]
    wb = np.take_along_axis(np.where(valid, w, 0.0), best[None], axis=0)[0]
    kick = kicks[best] + wb * (kicks[best + 1] - kicks[best])
    vv = np.where(valid, V[:-1, :, None] + w * (V[1:, :, None] - V[:-1, :, None]), np.nan)
    spd = np.take_along_axis(vv, best[None], axis=0)[0]
    reach = np.isfinite(tof) & (tof <= itype.max_time_of_flight_s * (1.0 + settings.margin))
    return FlyoutTable(
        interceptor_id=itype.id,
        key=table_key(itype, program, settings),
        earth_radius_m=radius,
        range_m=r_grid,
        alt_m=h_grid,
        tof_s=np.where(reach, tof, np.nan),
        kick_rad=np.where(reach, kick, np.nan),
        speed_m_s=np.where(reach, spd, np.nan),
    )


# ---------------------------------------------------------------- the cache


def cache_dir() -> Path:
    """``$BMDSIM_CACHE_DIR``, else ``$XDG_CACHE_HOME/bmdsim``, else ``~/.cache/bmdsim``."""
    explicit = os.environ.get("BMDSIM_CACHE_DIR")
    if explicit:
        return Path(explicit)
    xdg = os.environ.get("XDG_CACHE_HOME")
    base = Path(xdg) if xdg else Path.home() / ".cache"
    return base / "bmdsim"


_MEMORY: dict[str, FlyoutTable] = {}
_FIELDS = ("range_m", "alt_m", "tof_s", "kick_rad", "speed_m_s")


def _path(directory: Path, itype: InterceptorType, key: str) -> Path:
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in itype.id)
    return directory / f"flyout-{safe}-{key}.npz"


def _read(path: Path, itype: InterceptorType, key: str) -> FlyoutTable | None:
    try:
        with np.load(path, allow_pickle=False) as data:
            if str(data["key"]) != key:
                return None
            arrays = {name: np.array(data[name], dtype=float) for name in _FIELDS}
            radius = float(data["earth_radius_m"])
    except (OSError, KeyError, ValueError, EOFError):
        return None
    shape = (arrays["range_m"].size, arrays["alt_m"].size)
    if any(arrays[n].shape != shape for n in ("tof_s", "kick_rad", "speed_m_s")):
        return None
    return FlyoutTable(interceptor_id=itype.id, key=key, earth_radius_m=radius, **arrays)


def _write(path: Path, table: FlyoutTable) -> bool:
    """Write atomically; False where the directory cannot be written."""
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=path.stem, suffix=".tmp", dir=path.parent)
    except OSError:
        return False
    try:
        with os.fdopen(fd, "wb") as fh:
            np.savez(
                fh,
                key=np.array(table.key),
                earth_radius_m=np.array(table.earth_radius_m),
                **{name: getattr(table, name) for name in _FIELDS},
            )
        os.replace(tmp, path)
        return True
    except OSError:
        try:
            os.unlink(tmp)
        except OSError:
            pass
        return False


def flyout_table(
    itype: InterceptorType,
    program: LaunchProgram = DEFAULT_PROGRAM,
    settings: TableSettings = DEFAULT_SETTINGS,
    *,
    directory: Path | str | None = None,
) -> FlyoutTable:
    """The flyout table of ``itype``: from memory, else the disk cache, else built (and
    cached: on disk when ``directory`` (default :func:`cache_dir`) can be written, in memory
    in any case). A missing or corrupt file is rebuilt."""
    key = table_key(itype, program, settings)
    if key in _MEMORY:
        return _MEMORY[key]
    directory = cache_dir() if directory is None else Path(directory)
    path = _path(directory, itype, key)
    table = _read(path, itype, key) if path.exists() else None
    if table is None:
        table = build_table(itype, program, settings)
        _write(path, table)
    _MEMORY[key] = table
    return table


def clear_memory_cache() -> None:
    """Forget the tables held in memory (the disk cache stays)."""
    _MEMORY.clear()


__all__ = [
    "DEFAULT_SETTINGS",
    "TABLE_EARTH_RADIUS_M",
    "TABLE_VERSION",
    "FlyoutTable",
    "TableSettings",
    "build_table",
    "cache_dir",
    "clear_memory_cache",
    "flyout_table",
    "table_key",
]
