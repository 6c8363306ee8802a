"""A radar's looks of one window, compiled (numba, ``cache=True``): two kernels per window.

:func:`radar_looks` finds the window's looks: the search snapshots and busy track ticks in
``[t0, t1)`` (the radar up), the platform's geometry and the objects' states at those
times, the objects in each snapshot's sector and in each dwell. Between the two kernels the
radar takes the looks' random draws from their scans' streams (numpy generators).
:func:`radar_detect` evaluates the looks: SNR, probability of detection against the draw,
range and sector, the 4/3-Earth refracted horizon and elevation limits, and writes the
detected looks' detection rows (noisy measurements, covariance, SNR, measured RCS, the
radar's position and basis: :data:`bmdsim.sensors.base.Part`) into an array the caller
allocates.

The arithmetic is that of the numpy path (:meth:`bmdsim.sensors.Radar._parts_numpy`), in its
order; the transcendental functions are numba's (libm) instead of numpy's vectorised ones, so
the numbers agree with it to rounding (``tests/unit/sensors/test_fast_paths.py``).
Swerling cases 1 and 3 only (case 0 needs ``scipy.special.chndtr``: the numpy path).
"""

from __future__ import annotations

import math

import numba
import numpy as np
from numba import types

from bmdsim.core.integrate import interp_scalar
from bmdsim.earth._kernel import geodetic
from bmdsim.sensors._kernel import (
    _F,
    _F1,
    _F2,
    _F3,
    _I,
    _I1,
    _JIT,
    _U1,
    hermite_row,
    ndtr,
    pcg64_normal,
    pcg64_seeded,
    waypoint_rates,
)
from bmdsim.sensors.types import (
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
)

_I2 = types.Array(types.int64, 2, "A", readonly=True)
_W1 = types.Array(types.float64, 1, "C")
_W2 = types.Array(types.float64, 2, "C")
_W3 = types.Array(types.float64, 3, "C")
_J1 = types.Array(types.int64, 1, "C")
_INLINE = dict(cache=True, nogil=True, error_model="numpy", no_cpython_wrapper=True)

#: Entries of a radar's parameter vector (:meth:`bmdsim.sensors.Radar._constants`).
(
    P_SUB,
    P_SEARCH_PHASE,
    P_PERIOD,
    P_TRACK_PHASE,
    P_FULL_AZIMUTH,
    P_BORESIGHT,
    P_HALF_WIDTH,
    P_RANGE_RES,
    P_HALF_BEAM,
    P_SECTORS,
    P_K,
    P_A,
    P_E2,
    P_A_SQRT,
    P_ALT,
    P_H,
    P_MAX_RANGE,
    P_PFA,
    P_THRESHOLD,
    P_REF_SNR,
    P_REF_RANGE,
    P_REF_RCS,
    P_MIN_EL,
    P_SEARCH_TOP,
    P_TRACK_TOP,
    P_TRACK_GAIN,
    P_SWERLING,
    P_DIM,
    P_KIND,
    P_FA_RATE,
    P_THERMAL,  # 4 entries
) = range(31)
P_FLOOR2 = P_THERMAL + 4  # 4 entries
N_PARAMS = P_FLOOR2 + 4

#: Columns of a look time's geometry row: position, velocity, ENU basis (row-major), the
#: refraction model's site normal, ``kR`` and ``kR + h``.
G_POS, G_VEL, G_BASIS, G_NORMAL, G_REFF, G_SY = 0, 3, 6, 15, 18, 19
N_GEOM = 20

#: ``counts`` entries: look times, search snapshots among them, looks, search looks.
C_ROWS, C_SEARCH_ROWS, C_LOOKS, C_SEARCH_LOOKS = range(4)

_TWO_PI = 2.0 * np.pi


@numba.njit(**_INLINE)
def _is_down(t, down):
    """``OutageSchedule.down_mask`` of one time: merged intervals ``down (2, D)``."""
    i = np.searchsorted(down[0], t, side="right") - 1
    return i >= 0 and t < down[1, i]


@numba.njit(**_INLINE)
def _surface_xyz(lat_deg, lon_deg, alt, a_m, e2, out):
    """:func:`bmdsim.earth.geodetic_to_ecef` of one point into ``out (3,)``."""
    lat = np.radians(lat_deg)
    lon = np.radians(lon_deg)
    sl = math.sin(lat)
    cl = math.cos(lat)
    nn = a_m / math.sqrt(1.0 - e2 * sl * sl)
    out[0] = (nn + alt) * cl * math.cos(lon)
    out[1] = (nn + alt) * cl * math.sin(lon)
    out[2] = (nn * (1.0 - e2) + alt) * sl


@numba.njit(**_INLINE)
def _ship_row(t, t_wp, lat_wp, lon_wp, prm, g):
    """Geometry row ``g (N_GEOM,)`` of a waypoint platform at time ``t``:
    :meth:`bmdsim.sensors.WaypointPlatform.frame_trig_at` and
    :func:`bmdsim.sensors.geometry.refraction_site`'s arithmetic."""
    a_m = prm[P_A]
    e2 = prm[P_E2]
    alt = prm[P_ALT]
    h = prm[P_H]
    lat = interp_scalar(t, t_wp, lat_wp)
    lon = interp_scalar(t, t_wp, lon_wp)
    dlat, dlon = waypoint_rates(t, t_wp, lat_wp, lon_wp)
    _surface_xyz(lat, lon, alt, a_m, e2, g[G_POS : G_POS + 3])
    for c in range(3):
        g[G_VEL + c] = 0.0
    if dlat != 0.0 or dlon != 0.0:
        p1 = np.empty(3)
        p2 = np.empty(3)
        p3 = np.empty(3)
        p4 = np.empty(3)
        _surface_xyz(lat + h, lon, alt, a_m, e2, p1)
        _surface_xyz(lat - h, lon, alt, a_m, e2, p2)
        _surface_xyz(lat, lon + h, alt, a_m, e2, p3)
        _surface_xyz(lat, lon - h, alt, a_m, e2, p4)
        for c in range(3):
            d_lat = (p1[c] - p2[c]) / (2.0 * h)
            d_lon = (p3[c] - p4[c]) / (2.0 * h)
            g[G_VEL + c] = d_lat * dlat + d_lon * dlon
    rlat = np.radians(lat)
    rlon = np.radians(lon)
    sl = math.sin(rlat)
    cl = math.cos(rlat)
    so = math.sin(rlon)
    co = math.cos(rlon)
    b = G_BASIS
    g[b + 0] = -so
    g[b + 1] = co
    g[b + 2] = 0.0
    g[b + 3] = -sl * co
    g[b + 4] = -sl * so
    g[b + 5] = cl
    g[b + 6] = cl * co
    g[b + 7] = cl * so
    g[b + 8] = sl
    g[G_NORMAL + 0] = cl * co
    g[G_NORMAL + 1] = cl * so
    g[G_NORMAL + 2] = sl
    r_eff = prm[P_K] * (prm[P_A_SQRT] / (1.0 - e2 * sl * sl))
    g[G_REFF] = r_eff
    g[G_SY] = r_eff + alt


@numba.njit(**_INLINE)
def _scan_times(t0, t1, phase, period, out_t, out_j, start, cap, down):
    """Scans ``k`` starting at ``phase + k period`` in ``[t0, t1)`` (``scan_list``'s
    floating-point tests with a span of ``1e-9 period``), the sensor up: times and indices
    written from ``start``; returns the new count."""
    span = 1e-9 * period
    k0 = int(np.floor((t0 - span - phase) / period))
    k1 = int(np.ceil((t1 - phase) / period))
    count = start
    for k in range(k0, k1 + 1):
        tk = phase + k * period
        if tk < t1 and tk + span > t0 and t0 <= tk:
            if down.shape[1] and _is_down(tk, down):
                continue
            if count < cap:
                out_t[count] = tk
                out_j[count] = k
                count += 1
    return count


@numba.njit(
    (
        _F,
        _F,
        _F1,
        types.boolean,
        _F1,
        _F2,
        _F2,
        _F1,
        _F1,
        _F1,
        _F2,
        _F2,
        _F1,
        _F1,
        _F3,
        _W1,
        _J1,
        _W2,
        _W3,
        _J1,
        _J1,
        _J1,
        _J1,
    ),
    **_JIT,
)
def radar_looks(
    t0,
    t1,
    prm,
    fixed,
    site,
    waypoints,
    down,
    cue_t0,
    cue_t1,
    cue_tref,
    cue_pos,
    cue_vel,
    cue_radius,
    t_grid,
    truth,
    t_all,
    idx,
    geom,
    st,
    row_looks,
    look_row,
    look_obj,
    counts,
):
    """The looks of window ``[t0, t1)``.

    Look times (rows): the search snapshots (sub-frame ``j`` at ``search phase + j sub``),
    then the track ticks (``track phase + j period``) with a cue active (``cue_t0 <= t <
    cue_t1``), leaving out times when the radar is down (merged intervals ``down (2, D)``):
    ``t_all``, ``idx`` (``j``), ``geom (K, N_GEOM)`` (the ``site`` row when ``fixed``, else
    the platform's at its ``waypoints (3, W)``: times, latitudes, longitudes [s, deg]),
    ``st (K, N, 6)`` (the objects of ``truth``
    ``(T, N, 6)`` sampled at ``t_grid``). Looks: ``(look_row, look_obj)``, first each
    snapshot's objects in its sector (azimuth finite, sector ``floor(u * sectors)`` equal
    to ``j % sectors``), then each tick's objects inside a dwell (range within ``radius +
    range resolution`` of the predicted cue centre's, direction within ``max(beamwidth / 2,
    atan(radius / range))``), row-major; ``row_looks (K,)`` their number per row.
    ``counts``: :data:`C_ROWS`, ...; arrays are filled up to their capacity."""
    cap_rows = t_all.shape[0]
    cap_looks = look_row.shape[0]
    n_obj = truth.shape[1]
    t_wp = waypoints[0]
    lat_wp = waypoints[1]
    lon_wp = waypoints[2]
    ks = 0
    if n_obj:
        ks = _scan_times(t0, t1, prm[P_SEARCH_PHASE], prm[P_SUB], t_all, idx, 0, cap_rows, down)
    k_all = ks
    n_cues = cue_t0.shape[0]
    if n_obj and n_cues:
        k_all = _scan_times(
            t0, t1, prm[P_TRACK_PHASE], prm[P_PERIOD], t_all, idx, ks, cap_rows, down
        )
        # keep the busy ticks (a cue active)
        kept = ks
        for r in range(ks, k_all):
            tk = t_all[r]
            busy = False
            for c in range(n_cues):
                if cue_t0[c] <= tk and tk < cue_t1[c]:
                    busy = True
                    break
            if busy:
                t_all[kept] = tk
                idx[kept] = idx[r]
                kept += 1
        k_all = kept
    for r in range(k_all):
        if fixed:
            for c in range(N_GEOM):
                geom[r, c] = site[c]
        else:
            _ship_row(t_all[r], t_wp, lat_wp, lon_wp, prm, geom[r])
        hermite_row(t_all[r], t_grid, truth, st[r])
        row_looks[r] = 0
    n_looks = 0
    # search: the objects in the snapshot's sector
    full = prm[P_FULL_AZIMUTH] != 0.0
    boresight = prm[P_BORESIGHT]
    half_width = prm[P_HALF_WIDTH]
    width = 2.0 * half_width
    sectors = int(prm[P_SECTORS])
    for r in range(ks):
        g = geom[r]
        sweep = idx[r] % sectors
        for i in range(n_obj):
            r0 = st[r, i, 0] - g[G_POS]
            r1 = st[r, i, 1] - g[G_POS + 1]
            r2 = st[r, i, 2] - g[G_POS + 2]
            b = G_BASIS
            east = g[b + 0] * r0 + g[b + 2] * r2 + g[b + 1] * r1
            north = g[b + 3] * r0 + g[b + 5] * r2 + g[b + 4] * r1
            az = np.mod(math.atan2(east, north), _TWO_PI)
            if not np.isfinite(az):
                continue
            if full:
                u = np.mod(az, _TWO_PI) / _TWO_PI
            else:
                off = np.mod(az - boresight + np.pi, _TWO_PI) - np.pi
                u = (off + half_width) / width
                if u < 0.0:
                    u = 0.0
                if u > 1.0 - 1e-12:
                    u = 1.0 - 1e-12
            if np.floor(u * sectors) == sweep and n_looks < cap_looks:
                look_row[n_looks] = r
                look_obj[n_looks] = i
                row_looks[r] += 1
                n_looks += 1
    n_search = n_looks
    # track: objects inside a dwell on an active cue's predicted centre
    half_beam = prm[P_HALF_BEAM]
    range_res = prm[P_RANGE_RES]
    hit = np.zeros(n_obj, dtype=np.bool_)
    for r in range(ks, k_all):
        tk = t_all[r]
        g = geom[r]
        hit[:] = False
        for c in range(n_cues):
            if not (cue_t0[c] <= tk and tk < cue_t1[c]):
                continue
            dt = tk - cue_tref[c]
            d0 = cue_pos[c, 0] + cue_vel[c, 0] * dt - g[G_POS]
            d1 = cue_pos[c, 1] + cue_vel[c, 1] * dt - g[G_POS + 1]
            d2 = cue_pos[c, 2] + cue_vel[c, 2] * dt - g[G_POS + 2]
            rc = math.sqrt(d0 * d0 + d1 * d1 + d2 * d2)
            u0 = d0 / rc
            u1 = d1 / rc
            u2 = d2 / rc
            gate = cue_radius[c] + range_res
            half = math.atan2(cue_radius[c], rc)
            if not (half > half_beam or half != half):  # np.maximum, NaN kept
                half = half_beam
            cos_half = math.cos(half)
            for n in range(n_obj):
                o0 = st[r, n, 0] - g[G_POS]
                o1 = st[r, n, 1] - g[G_POS + 1]
                o2 = st[r, n, 2] - g[G_POS + 2]
                ro = math.sqrt(o0 * o0 + o1 * o1 + o2 * o2)
                if np.abs(ro - rc) <= gate:
                    cosang = u0 * (o0 / ro) + u2 * (o2 / ro) + u1 * (o1 / ro)
                    if cosang >= cos_half:
                        hit[n] = True
        for n in range(n_obj):
            if hit[n] and n_looks < cap_looks:
                look_row[n_looks] = r
                look_obj[n_looks] = n
                row_looks[r] += 1
                n_looks += 1
    counts[C_ROWS] = k_all
    counts[C_SEARCH_ROWS] = ks
    counts[C_LOOKS] = n_looks
    counts[C_SEARCH_LOOKS] = n_search


@numba.njit(**_INLINE)
def _swerling3_survival(x, s):
    """``P(X > x)`` of the square-law statistic at mean SNR ``s >= 0``, Swerling 3
    (:func:`bmdsim.sensors.detection._statistic_survival`)."""
    if s > 0.0:
        half = 1.0 + 0.5 * s
        return (1.0 + x / half + 2.0 / s) / (1.0 + 2.0 / s) * math.exp(-x / half)
    return math.exp(-x)


@numba.njit(
    (
        _F1,
        _F2,
        _F1,
        _F3,
        _F2,
        _F1,
        types.boolean,
        _I1,
        _I1,
        _I1,
        _I1,
        _I1,
        _I,
        _F3,
        _U1,
        _I2,
        _W2,
        _J1,
    ),
    **_JIT,
)
def radar_detect(
    prm,
    geom,
    t_all,
    st,
    rcs,
    t_grid,
    held,
    idx,
    row_looks,
    look_row,
    look_obj,
    counts,
    first_frame,
    search_draws,
    track_prefix,
    track_keys,
    out_rows,
    out_obj,
):
    """Evaluate the looks of :func:`radar_looks` and write the detected ones (search looks
    first, each in look order) as detection rows ``out_rows`` (the columns ``R_*`` of
    :mod:`bmdsim.sensors.types`) and their objects ``out_obj``; returns their number.

    A search look of snapshot ``j`` uses row ``obj`` of ``search_draws[j // sectors -
    first_frame]`` (a frame's ``(N, 10)`` draws), columns ``5 (j % 2)`` to ``5 (j % 2) + 4``;
    a track look uses row ``obj`` of its tick's ``standard_normal((N, 5))``, drawn here from
    the tick's stream (entropy ``track_prefix + track_keys[q]``, ``q`` counting the ticks
    with looks: :func:`bmdsim.sensors._kernel.stream_normals`'s numbers). Draw 0 decides
    the detection (``ndtr(draw) < Pd``; the same uniform gives the detection statistic),
    draws 1 to ``dim`` the measurement errors. The cross-section is ``rcs[0, obj]``, or
    held from the samples ``rcs (T, N)`` at ``t_grid`` when ``held``.
    """
    k_search = counts[C_SEARCH_ROWS]
    n_looks = counts[C_LOOKS]
    n_search = counts[C_SEARCH_LOOKS]
    sectors = int(prm[P_SECTORS])
    full = prm[P_FULL_AZIMUTH] != 0.0
    boresight = prm[P_BORESIGHT]
    half_width = prm[P_HALF_WIDTH]
    max_range = prm[P_MAX_RANGE]
    pfa = prm[P_PFA]
    threshold = prm[P_THRESHOLD]
    ref_snr = prm[P_REF_SNR]
    ref_range = prm[P_REF_RANGE]
    ref_rcs = prm[P_REF_RCS]
    min_el = prm[P_MIN_EL]
    swerling = int(prm[P_SWERLING])
    dim = int(prm[P_DIM])
    k = prm[P_K]
    a_m = prm[P_A]
    e2 = prm[P_E2]
    a2 = a_m * a_m
    e4 = e2 * e2
    last = t_grid.shape[0] - 1
    # track draw bank index of each tick row
    bank = np.empty(geom.shape[0], dtype=np.int64)
    q = 0
    for r in range(k_search, counts[C_ROWS]):
        bank[r] = q
        if row_looks[r]:
            q += 1
    draw = np.empty(5)
    n_obj = st.shape[1]
    tick_draws = np.empty(5 * n_obj)
    tick_bank = -1
    state = np.empty(4, dtype=np.uint64)
    count = 0
    for i in range(n_looks):
        r = look_row[i]
        o = look_obj[i]
        search = i < n_search
        if search:
            f = idx[r] // sectors - first_frame
            col = 5 * (idx[r] % 2)
            for c in range(5):
                draw[c] = search_draws[f, o, col + c]
            gain = 1.0
            top = prm[P_SEARCH_TOP]
        else:
            if bank[r] != tick_bank:  # the tick's standard_normal((N, 5)), in order
                tick_bank = bank[r]
                key = track_keys[tick_bank]
                seeded = pcg64_seeded(track_prefix, key[0], key[1], key[2], key[3])
                for c in range(4):
                    state[c] = seeded[c]
                for c in range(5 * n_obj):
                    tick_draws[c] = pcg64_normal(state)
            for c in range(5):
                draw[c] = tick_draws[5 * o + c]
            gain = prm[P_TRACK_GAIN]
            top = prm[P_TRACK_TOP]
        g = geom[r]
        x = st[r, o, 0]
        y = st[r, o, 1]
        z = st[r, o, 2]
        r0 = x - g[G_POS]
        r1 = y - g[G_POS + 1]
        r2 = z - g[G_POS + 2]
        b = G_BASIS
        e = g[b + 0] * r0 + g[b + 2] * r2 + g[b + 1] * r1
        nn = g[b + 3] * r0 + g[b + 5] * r2 + g[b + 4] * r1
        u = g[b + 6] * r0 + g[b + 8] * r2 + g[b + 7] * r1
        horiz = math.hypot(e, nn)
        rng = math.hypot(horiz, u)
        if not rng <= max_range:
            continue
        az_raw = math.atan2(e, nn)
        if not full:
            off = np.mod(np.mod(az_raw, _TWO_PI) - boresight + np.pi, _TWO_PI) - np.pi
            if not np.abs(off) <= half_width:
                continue
        # SNR and the single-look probability of detection against the draw
        if held:
            t = t_all[r]
            value = 0.0
            if t >= t_grid[0] and t <= t_grid[last]:
                value = rcs[np.searchsorted(t_grid, t, side="right") - 1, o]
        else:
            value = rcs[0, o]
        qq = ref_range / rng
        qq = qq * qq
        snr = gain * (ref_snr * (value / ref_rcs) * qq * qq)
        s = snr if not snr < 0.0 else 0.0  # np.maximum(snr, 0), NaN kept
        if swerling == 1:
            pd = pfa ** (1.0 / (1.0 + s))
        elif s > 0.0:
            half = 1.0 + 0.5 * s
            pd = (1.0 + threshold / half + 2.0 / s) / (1.0 + 2.0 / s) * math.exp(-threshold / half)
        else:
            pd = pfa
        uu = ndtr(draw[0])
        if not uu < pd:
            continue
        # refracted_elevation_from: the target's geodetic position (ecef_to_geodetic) ...
        lat, lon, h_t = geodetic(x, y, z, a2, e2, e4)
        # ... the angle between the site's and the target's normals ...
        cl = math.cos(lat)
        t0n = cl * math.cos(lon)
        t1n = cl * math.sin(lon)
        t2n = math.sin(lat)
        a0 = g[G_NORMAL]
        a1 = g[G_NORMAL + 1]
        a2n = g[G_NORMAL + 2]
        c0 = a1 * t2n - a2n * t1n
        c1 = a2n * t0n - a0 * t2n
        c2 = a0 * t1n - a1 * t0n
        theta = math.atan2(math.sqrt(c0 * c0 + c1 * c1 + c2 * c2), a0 * t0n + a2n * t2n + a1 * t1n)
        # ... and the straight ray over the sphere of radius kR
        phi = theta / k
        r_eff = g[G_REFF]
        sy = g[G_SY]
        dx = (r_eff + h_t) * math.sin(phi)
        dy = (r_eff + h_t) * math.cos(phi) - sy
        dd = dx * dx + dy * dy
        sc = -(sy * dy) / dd
        if sc < 0.0:
            sc = 0.0
        elif sc > 1.0:
            sc = 1.0
        cx = sc * dx
        cy = sy + sc * dy
        if not (cx * cx + cy * cy) >= r_eff * r_eff:
            continue
        el_app = math.atan2(dy, dx)
        if not (np.isfinite(el_app) and el_app >= min_el and el_app <= top):
            continue
        # detected: the detection statistic of the same uniform, measurements, RCS
        if swerling == 1:
            stat = -(1.0 + s) * math.log(uu)
        else:
            lo = -30.0
            hi = math.log(max(1.0 + s, 1.0)) + 8.0
            for _ in range(80):
                mid = 0.5 * (lo + hi)
                if _swerling3_survival(math.exp(mid), s) > uu:
                    lo = mid
                else:
                    hi = mid
            stat = math.exp(0.5 * (lo + hi))
        row = out_rows[count]
        sigma = np.empty(4)
        for c in range(dim):
            sigma[c] = math.sqrt(prm[P_THERMAL + c] / snr + prm[P_FLOOR2 + c])
        z0 = rng + sigma[0] * draw[1]
        row[R_T] = t_all[r]
        row[R_Z] = z0
        row[R_Z + 1] = np.mod(np.mod(az_raw, _TWO_PI) + sigma[1] * draw[2], _TWO_PI)
        row[R_Z + 2] = math.atan2(u, horiz) + sigma[2] * draw[3]
        row[R_Z + 3] = np.nan
        if dim == 4:
            closing = r0 * (st[r, o, 3] - g[G_VEL]) + r2 * (st[r, o, 5] - g[G_VEL + 2])
            closing += r1 * (st[r, o, 4] - g[G_VEL + 1])
            row[R_Z + 3] = closing / rng + sigma[3] * draw[4]
        for c in range(16):
            row[R_COV + c] = 0.0
        for c in range(dim):
            row[R_COV + 5 * c] = sigma[c] * sigma[c]
        row[R_SNR] = snr
        m = z0 / ref_range
        m = m * m
        row[R_RCS] = ref_rcs * ((stat - 1.0) / gain / ref_snr) * m * m
        for c in range(3):
            row[R_POS + c] = g[G_POS + c]
            row[R_VEL + c] = g[G_VEL + c]
        for c in range(9):
            row[R_BASIS + c] = g[G_BASIS + c]
        row[R_KIND] = prm[P_KIND]
        row[R_MODE] = 0.0 if search else 1.0
        row[R_FA] = 0.0
        out_obj[count] = o
        count += 1
    return count


@numba.njit((_F2, _F, _F1, types.boolean, _F1, _F2, _W2), **_JIT)
def radar_false_alarms(draws, t_start, prm, fixed, site, waypoints, rows):
    """Detection rows ``rows (count, N_ROW)`` of a search frame's false alarms from their
    uniform draws ``(count, 5)`` (:meth:`bmdsim.sensors.Radar._false_alarm_frame_numpy`'s
    arithmetic): a uniform cell (range, azimuth in the sector, apparent elevation in the
    search fence), a range rate uniform in ``+- P_FA_RATE``, the noise statistic above the
    threshold, looked at when the sweep passes its azimuth (frame start ``t_start``); the
    radar's geometry then (the ``site`` row when ``fixed``, else at its ``waypoints``)."""
    full = prm[P_FULL_AZIMUTH] != 0.0
    boresight = prm[P_BORESIGHT]
    half_width = prm[P_HALF_WIDTH]
    min_el = prm[P_MIN_EL]
    dim = int(prm[P_DIM])
    g = np.empty(N_GEOM)
    for c in range(N_GEOM):
        g[c] = site[c]
    for i in range(draws.shape[0]):
        rng = draws[i, 0] * prm[P_MAX_RANGE]
        if full:
            az = draws[i, 1] * 2.0 * np.pi
            u = np.mod(az, _TWO_PI) / _TWO_PI
        else:
            az = np.mod(boresight + (2.0 * draws[i, 1] - 1.0) * half_width, 2.0 * np.pi)
            off = np.mod(az - boresight + np.pi, _TWO_PI) - np.pi
            u = (off + half_width) / (2.0 * half_width)
            if not u >= 0.0:  # np.maximum(u, 0), NaN kept
                u = 0.0 if u == u else u
            if u > 1.0 - 1e-12:
                u = 1.0 - 1e-12
        el = min_el + draws[i, 2] * (prm[P_SEARCH_TOP] - min_el)
        rate = (2.0 * draws[i, 3] - 1.0) * prm[P_FA_RATE]
        snr = prm[P_THRESHOLD] - math.log1p(-draws[i, 4]) - 1.0
        t_look = t_start + prm[P_SUB] * np.floor(u * prm[P_SECTORS])
        if not fixed:
            _ship_row(t_look, waypoints[0], waypoints[1], waypoints[2], prm, g)
        row = rows[i]
        row[R_T] = t_look
        row[R_Z] = rng
        row[R_Z + 1] = az
        row[R_Z + 2] = el
        row[R_Z + 3] = rate if dim == 4 else np.nan
        for c in range(16):
            row[R_COV + c] = 0.0
        for c in range(dim):
            row[R_COV + 5 * c] = prm[P_THERMAL + c] / snr + prm[P_FLOOR2 + c]  # sigma**2
        q = rng / prm[P_REF_RANGE]
        q = q * q
        row[R_SNR] = snr
        row[R_RCS] = prm[P_REF_RCS] * (snr / prm[P_REF_SNR]) * q * q
        for c in range(3):
            row[R_POS + c] = g[G_POS + c]
            row[R_VEL + c] = g[G_VEL + c]
        for c in range(9):
            row[R_BASIS + c] = g[G_BASIS + c]
        row[R_KIND] = prm[P_KIND]
        row[R_MODE] = 0.0
        row[R_FA] = 1.0
