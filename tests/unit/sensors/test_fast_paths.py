"""The sensors' fast paths give the numbers of the plain numpy formulas they replace.

Each reference below is the numpy expression the layer used before (kept here as the
specification): the compiled kernels (:mod:`bmdsim.sensors._kernel`), the written-out
frames, the stream seeding and the one-merge detection batch must reproduce it to the bit
(``tobytes`` equality), on random inputs with NaN and edge cases. The radar's compiled looks
(:mod:`bmdsim.sensors._radar_kernel`, libm's transcendental functions) must detect the same
looks as its numpy path, with numbers equal to rounding (the errors are printed).
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bmdsim.catalog import sensor
from bmdsim.core.random import stream
from bmdsim.earth import enu_basis, geodetic_to_ecef
from bmdsim.earth.frames import ecef_to_geodetic
from bmdsim.sensors import (
    CueSet,
    DetectionBatch,
    DetectionMode,
    FixedSite,
    KeplerOrbit,
    MeasurementKind,
    OutageSchedule,
    Radar,
    SensorSuite,
    TruthTable,
    WaypointPlatform,
    geocentric_ned_basis,
    refracted_elevation,
)
from bmdsim.sensors import radar as radar_module
from bmdsim.sensors._kernel import (
    dwell_hits,
    dwell_pairs,
    false_alarm_means,
    pcg64_seeded,
    seed_words,
)
from bmdsim.sensors.base import (
    assemble,
    batch_of_parts,
    part,
    scan_generator,
    scan_indices,
    scan_list,
    sensor_stream,
    shared_stream,
)
from bmdsim.sensors.geometry import gaussian_radius_m


def _same(a, b) -> bool:
    a, b = np.asarray(a), np.asarray(b)
    return a.shape == b.shape and a.dtype == b.dtype and a.tobytes() == b.tobytes()


# -- references: the numpy formulas -------------------------------------------------------


def _hermite_reference(truth: TruthTable, t):
    i = np.clip(np.searchsorted(truth.t_s, t, side="right") - 1, 0, truth.t_s.size - 2)
    inside = (t >= truth.t_s[0]) & (t <= truth.t_s[-1])
    a, b = truth.states_ecef[i], truth.states_ecef[i + 1]
    h = truth.t_s[i + 1] - truth.t_s[i]
    s = (t - truth.t_s[i]) / h
    s2, s3 = s * s, s * s * s
    w = np.stack(
        [
            2.0 * s3 - 3.0 * s2 + 1.0,
            (s3 - 2.0 * s2 + s) * h,
            -2.0 * s3 + 3.0 * s2,
            (s3 - s2) * h,
            (6.0 * s2 - 6.0 * s) / h,
            3.0 * s2 - 4.0 * s + 1.0,
            (-6.0 * s2 + 6.0 * s) / h,
            3.0 * s2 - 2.0 * s,
        ],
        axis=-1,
    )[:, None, :, None]
    p0, v0, p1, v1 = a[..., :3], a[..., 3:], b[..., :3], b[..., 3:]
    out = np.empty(a.shape)
    out[..., :3] = w[..., 0, :] * p0 + w[..., 1, :] * v0 + w[..., 2, :] * p1 + w[..., 3, :] * v1
    out[..., 3:] = w[..., 4, :] * p0 + w[..., 5, :] * v0 + w[..., 6, :] * p1 + w[..., 7, :] * v1
    out[~inside] = np.nan
    return out


def _refraction_reference(site_lat, site_lon, site_alt, target, k):
    def normal(lat_deg, lon_deg):
        lat, lon = np.radians(lat_deg), np.radians(lon_deg)
        c = np.cos(lat)
        return np.stack(np.broadcast_arrays(c * np.cos(lon), c * np.sin(lon), np.sin(lat)), -1)

    lat_t, lon_t, h_t = ecef_to_geodetic(target)
    n_s, n_t = normal(site_lat, site_lon), normal(lat_t, lon_t)
    a, b = np.broadcast_arrays(n_s, n_t)
    c0 = a[..., 1] * b[..., 2] - a[..., 2] * b[..., 1]
    c1 = a[..., 2] * b[..., 0] - a[..., 0] * b[..., 2]
    c2 = a[..., 0] * b[..., 1] - a[..., 1] * b[..., 0]
    theta = np.arctan2(np.sqrt(c0 * c0 + c1 * c1 + c2 * c2), np.einsum("...i,...i->...", n_s, n_t))
    r_eff = k * gaussian_radius_m(site_lat)
    phi = theta / k
    sy = r_eff + np.asarray(site_alt, dtype=float)
    dx = (r_eff + h_t) * np.sin(phi)
    dy = (r_eff + h_t) * np.cos(phi) - sy
    elevation = np.arctan2(dy, dx)
    with np.errstate(invalid="ignore", divide="ignore"):
        s = np.clip(-(sy * dy) / (dx * dx + dy * dy), 0.0, 1.0)
    cx, cy = s * dx, sy + s * dy
    return elevation, ((cx * cx + cy * cy) >= r_eff * r_eff) & np.isfinite(elevation)


# -- truth, geometry, platforms ---------------------------------------------------------------


def test_truth_rows_match_the_numpy_hermite_polynomial_bit_for_bit():
    rng = np.random.default_rng(0)
    for _ in range(300):
        t_n, n = int(rng.integers(2, 7)), int(rng.integers(1, 5))
        t_s = np.cumsum(rng.uniform(0.1, 2.0, t_n)) + rng.uniform(-100.0, 1000.0)
        states = rng.normal(size=(t_n, n, 6)) * np.array([7e6] * 3 + [7e3] * 3)
        states[rng.random((t_n, n)) < 0.15] = np.nan
        truth = TruthTable.from_arrays(t_s, states, rcs_m2=1.0)
        t = rng.uniform(t_s[0] - 0.5, t_s[-1] + 0.5, int(rng.integers(1, 6)))
        t[0] = t_s[int(rng.integers(0, t_n))]
        got = truth.state_at(t)
        assert _same(got, _hermite_reference(truth, t))
        per_look = truth.states_of(np.repeat(t[:, None], n, 1), np.tile(np.arange(n), (t.size, 1)))
        assert _same(got, per_look)


def test_refracted_elevation_matches_the_numpy_formula_bit_for_bit():
    rng = np.random.default_rng(1)
    for trial in range(400):
        shape = [(1,), (5,), (2, 3), ()][trial % 4]
        lat, lon = rng.uniform(-80, 80, shape), rng.uniform(-180, 180, shape)
        alt = rng.uniform(-100.0, 3000.0, shape)
        if trial % 3 == 0:  # one site, many targets
            lat, lon, alt = (np.asarray(x).reshape(-1)[0] for x in (lat, lon, alt))
        target = geodetic_to_ecef(
            lat + rng.normal(size=shape) * 8.0,
            lon + rng.normal(size=shape) * 8.0,
            rng.uniform(-1e4, 1e6, shape),
        )
        if trial % 7 == 0:
            target.reshape(-1, 3)[0] = np.nan
        if trial % 11 == 0:  # targets at the site (0/0 in the segment parameter)
            target = np.broadcast_to(geodetic_to_ecef(lat, lon, alt), target.shape).copy()
        k = [4.0 / 3.0, 1.0, 1.25][trial % 3]
        got = refracted_elevation(lat, lon, alt, target, k=k)
        want = _refraction_reference(lat, lon, alt, target, k)
        assert _same(got[0], want[0]) and _same(got[1], want[1])


def test_geocentric_ned_basis_matches_cross_and_stack_bit_for_bit():
    rng = np.random.default_rng(2)
    for shape in [(3,), (1, 3), (7, 3), (2, 4, 3)] * 50:
        r = rng.normal(size=shape) * 10 ** rng.uniform(5, 8)
        up = r / np.linalg.norm(r, axis=-1, keepdims=True)
        east = np.stack([-up[..., 1], up[..., 0], np.zeros_like(up[..., 0])], axis=-1)
        east = east / np.linalg.norm(east, axis=-1, keepdims=True)
        want = np.stack([np.cross(up, east), east, -up], axis=-2)
        assert _same(geocentric_ned_basis(r), want)


def test_kepler_state_matches_the_numpy_rotation_bit_for_bit():
    rng = np.random.default_rng(3)
    from bmdsim.earth.constants import OMEGA_RAD_S

    for trial in range(300):
        orbit = KeplerOrbit(
            semi_major_axis_m=rng.uniform(2.7e7, 4.3e7),
            eccentricity=[0.0, 0.3, 0.72][trial % 3],
            inclination_rad=rng.uniform(0.0, 3.0),
            raan_rad=rng.uniform(0.0, 6.0),
            arg_perigee_rad=rng.uniform(0.0, 6.0),
            mean_anomaly_rad=rng.uniform(0.0, 6.0),
        )
        t = rng.uniform(-1e4, 1e5, [(), (3,), (2, 2)][trial % 3])
        r_i, v_i = orbit.inertial_state(t)
        c, s = np.cos(OMEGA_RAD_S * t), np.sin(OMEGA_RAD_S * t)

        def rot(v, c=c, s=s):
            x, y = v[..., 0], v[..., 1]
            return np.stack([c * x + s * y, -s * x + c * y, v[..., 2]], axis=-1)

        r = rot(r_i)
        v = rot(v_i) + OMEGA_RAD_S * np.stack(
            [r[..., 1], -r[..., 0], np.zeros_like(r[..., 0])], axis=-1
        )
        got = orbit.state_ecef(t)
        assert _same(got[0], r) and _same(got[1], v)


def test_infrared_false_alarm_means_match_the_pixel_count_bit_for_bit():
    rng = np.random.default_rng(11)
    for _ in range(300):
        sat = rng.normal(size=(int(rng.integers(1, 5)), 3)) * 10 ** rng.uniform(6.0, 7.7)
        rc, ifov, pfa = 6.381e6, rng.uniform(1e-6, 1e-4), 10 ** rng.uniform(-9.0, -5.0)
        sin_half = np.minimum(rc / np.linalg.norm(sat, axis=-1), 1.0)
        pixels = 2.0 * np.pi * (1.0 - np.sqrt(1.0 - sin_half * sin_half)) / ifov**2
        assert _same(false_alarm_means(sat, rc, ifov**2, pfa), pfa * pixels)


@pytest.mark.parametrize("when", ["moving", "holding", "mixed"])
def test_ship_frame_matches_geodetic_to_ecef_and_enu_basis_bit_for_bit(when):
    rng = np.random.default_rng({"moving": 4, "holding": 5, "mixed": 6}[when])
    for _ in range(100):
        ship = WaypointPlatform.from_waypoints(
            [0.0, 300.0, 900.0], rng.uniform(-60, 60, 3), rng.uniform(-170, 170, 3), 25.0
        )
        t = {
            "moving": rng.uniform(0.0, 899.0, 4),
            "holding": rng.uniform(901.0, 2000.0, 4),
            "mixed": np.array([100.0, 950.0, 500.0, -10.0]),
        }[when]
        pos, vel, basis, lat, lon, _ = ship.frame_at(t)
        lat_ref = np.interp(t, ship.t_s, ship.lat_deg)
        lon_ref = np.interp(t, ship.t_s, ship.lon_deg)
        assert _same(lat, lat_ref) and _same(lon, lon_ref)
        assert _same(pos, geodetic_to_ecef(lat_ref, lon_ref, np.full(4, 25.0)))
        assert _same(basis, enu_basis(lat_ref, lon_ref))
        h = 1e-6
        i = np.clip(np.searchsorted(ship.t_s, t, side="right") - 1, 0, 1)
        moving = (t >= 0.0) & (t < 900.0)
        dt = ship.t_s[i + 1] - ship.t_s[i]
        dlat = np.where(moving, (ship.lat_deg[i + 1] - ship.lat_deg[i]) / dt, 0.0)
        dlon = np.where(moving, (ship.lon_deg[i + 1] - ship.lon_deg[i]) / dt, 0.0)

        def r(la, lo):
            return geodetic_to_ecef(la, lo, np.full(4, 25.0))

        v = (r(lat_ref + h, lon_ref) - r(lat_ref - h, lon_ref)) / (2.0 * h) * dlat[:, None] + (
            r(lat_ref, lon_ref + h) - r(lat_ref, lon_ref - h)
        ) / (2.0 * h) * dlon[:, None]
        v[~moving] = 0.0  # at rest: +0 (also in a batch with moving times)
        assert _same(vel, v)
        for j in range(4):  # each time's numbers are those of a batch of one
            one = ship.frame_at(t[j : j + 1])
            assert _same(one[0][0], pos[j]) and _same(one[1][0], vel[j])


# -- dwells -------------------------------------------------------------------------------


def test_dwell_kernels_match_the_numpy_gate_bit_for_bit():
    rng = np.random.default_rng(7)
    hits = 0
    for trial in range(500):
        k, n, c = int(rng.integers(1, 4)), int(rng.integers(1, 6)), int(rng.integers(1, 5))
        pos = rng.normal(size=(k, 3)) * 6.4e6
        if trial % 2:
            pos = np.broadcast_to(pos[0], (k, 3))
        states = np.concatenate(
            [pos[:, None, :] + rng.normal(size=(k, n, 3)) * 1e6, rng.normal(size=(k, n, 3))],
            axis=-1,
        )
        states[rng.random((k, n)) < 0.1] = np.nan
        src = np.nan_to_num(states[int(rng.integers(0, k)), rng.integers(0, n, c)])
        cue_pos = src[:, :3] + rng.normal(size=(c, 3)) * 3e3
        cue_vel = src[:, 3:]
        t_ref = 100.0 + rng.uniform(-1.0, 1.0, c)
        radius = rng.uniform(300.0, 2e4, c)
        t_tick = 100.0 + np.arange(k)
        pj, pc = np.nonzero(rng.random((k, c)) < 0.8)
        # the numpy gate
        centre = cue_pos[pc] + cue_vel[pc] * (t_tick[pj] - t_ref[pc])[:, None]
        with np.errstate(invalid="ignore", divide="ignore"):
            dc = centre - pos[pj]
            rc = np.linalg.norm(dc, axis=-1)
            uc = dc / rc[:, None]
            cos_half = np.cos(np.maximum(0.01, np.arctan2(radius[pc], rc)))
            do = states[..., :3] - pos[:, None, :]
            ro = np.linalg.norm(do, axis=-1)
            uo = do / ro[..., None]
            gate = radius[pc] + 150.0
            p, obj = np.nonzero(np.abs(ro[pj] - rc[:, None]) <= gate[:, None])
            cosang = np.einsum("ci,ci->c", uc[p], uo[pj[p], obj])
            inside = (cosang >= cos_half[p]) & (np.abs(ro[pj[p], obj] - rc[p]) <= gate[p])
        want = np.zeros((k, n), bool)
        want[pj[p][inside], obj[inside]] = True
        got_rc, got_uc, got_gate = dwell_pairs(
            pos, pj, pc, cue_pos, cue_vel, t_ref, radius, t_tick, 150.0
        )
        assert _same(got_rc, rc) and _same(got_uc, uc) and _same(got_gate, gate)
        assert _same(dwell_hits(pos, states, pj, rc, uc, gate, cos_half), want)
        hits += want.sum()
    assert hits > 200, f"only {hits} hits: the test exercises too few dwells"


def test_sorted_and_dense_range_gates_give_the_same_detections(missile_truth, monkeypatch):
    """The numpy path's two dwell gates (every pair compiled; objects sorted by range)."""
    monkeypatch.setattr(radar_module.Radar, "_parts", radar_module.Radar._parts_numpy)
    radar = Radar(
        id="kurecik",
        type=sensor("an-tpy-2-fbm"),
        platform=FixedSite(lat_deg=38.35, lon_deg=37.79, alt_m=2000.0),
        boresight_az_rad=np.radians(110.0),
        seed=5,
    )
    t = np.arange(0.0, 600.0, 10.0)
    st = missile_truth.state_at(t)[:, 1]
    ok = np.all(np.isfinite(st), axis=1)
    cues = CueSet.from_states(
        t_start_s=t[ok], t_end_s=t[ok] + 10.0, t_ref_s=t[ok], state_ecef=st[ok], radius_m=5e3
    )
    dense = radar.observe(0.0, 600.0, missile_truth, cues)
    monkeypatch.setattr(radar_module, "_DENSE_GATE_PAIRS", -1)
    fresh = dataclasses.replace(radar)
    sorted_gate = fresh.observe(0.0, 600.0, missile_truth, cues)
    assert np.count_nonzero(dense.mode == DetectionMode.TRACK) > 20
    for f in dataclasses.fields(DetectionBatch):
        if f.name != "truth":
            assert _same(getattr(dense, f.name), getattr(sorted_gate, f.name)), f.name


# -- random streams -----------------------------------------------------------------------


def test_seed_words_and_pcg64_state_match_numpy_seed_sequence():
    rng = np.random.default_rng(8)
    for _ in range(500):
        prefix = rng.integers(0, 2**32, int(rng.integers(0, 20)), dtype=np.uint64).astype(np.uint32)
        key = tuple(int(x) for x in rng.integers(0, 2**32, 4))
        entropy = np.concatenate([prefix, np.array(key, dtype=np.uint32)])
        want = np.random.SeedSequence(entropy).generate_state(8, np.uint32)
        assert np.array_equal(seed_words(prefix, *key), want)
        state = np.random.PCG64(np.random.SeedSequence(entropy)).state["state"]
        s_hi, s_lo, i_hi, i_lo = pcg64_seeded(prefix, *key)
        assert (s_hi << 64) | s_lo == state["state"] and (i_hi << 64) | i_lo == state["inc"]


def test_compiled_stream_normals_equal_numpy_standard_normal_bit_for_bit():
    """numpy's PCG64 and ziggurat in a kernel (the radar's track draws) give numpy's
    ``standard_normal`` of the same stream, the ziggurat's rare branches included."""
    from bmdsim.core.random import _name_key
    from bmdsim.sensors._kernel import stream_normals
    from bmdsim.sensors.base import _prefix_words

    rng = np.random.default_rng(11)
    draws = 0
    for _ in range(1000):
        seed, index = int(rng.integers(0, 2**40)), int(rng.integers(0, 10**7))
        count = int(rng.integers(1, 600))
        got = np.empty(count)
        prefix = _prefix_words(seed, ("sensor", "ddg-spy1", "track"))
        stream_normals(prefix, *_name_key(str(index)), count, got)
        want = stream(seed, "sensor", "ddg-spy1", "track", str(index)).standard_normal(count)
        assert _same(got, want), (seed, index)
        draws += count
    assert draws > 200_000


def test_compiled_poisson_counts_and_uniforms_equal_each_scans_generator():
    """``poisson_uniforms`` (compiled below a mean of 10, numpy above) gives each scan
    generator's ``poisson(lam)`` then ``random((count, width))``, bit for bit."""
    from bmdsim.sensors.base import poisson_uniforms

    rng = np.random.default_rng(12)
    rows = 0
    for trial in range(200):
        size = int(rng.integers(1, 70))
        lam = rng.uniform(0.0, 9.99 if trial % 10 else 30.0, size)
        lam[rng.random(size) < 0.1] = 0.0
        indices = rng.integers(0, 10**6, size).tolist()
        width = int(rng.integers(1, 6))
        counts, draws = poisson_uniforms(7, "geo", "frame-false-alarms", indices, lam, width)
        for f, k in enumerate(indices):
            gen = scan_generator(7, "geo", "frame-false-alarms", k)
            count = int(gen.poisson(lam[f]))
            assert counts[f] == count
            if count:
                assert _same(draws[f], gen.random((count, width)))
                rows += count
            else:
                assert draws[f] is None
    assert rows > 10_000


@pytest.mark.parametrize("seed", [0, 1, 987654321, 2**40 + 3])
def test_sensor_streams_equal_core_random_streams(seed):
    rng = np.random.default_rng(seed % 1000)
    for sensor_id, scan in [("kurecik-tpy2", "track"), ("sbirs-geo-west", "frame"), ("", "x")]:
        for index in rng.integers(-5, 10**7, 5):
            want = stream(seed, "sensor", sensor_id, scan, str(index))
            fast = scan_generator(seed, sensor_id, scan, int(index))
            a = (fast.standard_normal((3, 5)), fast.poisson(0.7), fast.random((2, 3)))
            b = (want.standard_normal((3, 5)), want.poisson(0.7), want.random((2, 3)))
            assert np.array_equal(a[0], b[0]) and a[1] == b[1] and np.array_equal(a[2], b[2])
            new = sensor_stream(seed, sensor_id, scan, str(index))
            again = stream(seed, "sensor", sensor_id, scan, str(index))
            assert np.array_equal(new.random(4), again.random(4))


@pytest.mark.parametrize("seed", [0, 5, 2**33 + 1])
def test_shared_streams_equal_core_random_streams(seed):
    """The engine's C2 link draws: ``stream(seed, "c2-detections", sensor_id, str(step))``."""
    for sensor_id in ("kurecik-tpy2", "ddg-spy1", ""):
        for step in (0, 1, 17, 581, 10**6):
            want = stream(seed, "c2-detections", sensor_id, str(step))
            fast = shared_stream(seed, ("c2-detections", sensor_id), str(step))
            a = (fast.uniform(0.0, 0.5, 7), fast.random(3))
            b = (want.uniform(0.0, 0.5, 7), want.random(3))
            assert np.array_equal(a[0], b[0]) and np.array_equal(a[1], b[1]), (sensor_id, step)


def test_scan_list_matches_scan_indices_float_tests():
    rng = np.random.default_rng(9)
    for _ in range(2000):
        period = float(rng.choice([0.1, 1.0, 2.0, 5.0, 10.0]))
        phase = float(rng.uniform(0.0, period))
        t0 = float(rng.uniform(-20.0, 1000.0))
        t1 = t0 + float(rng.choice([0.25, 1.0, 7.3, 100.0]))
        span = float(rng.choice([1e-9 * period, period]))
        k0 = int(np.floor((t0 - span - phase) / period))
        k = np.arange(k0, int(np.ceil((t1 - phase) / period)) + 1)
        start = phase + k * period
        want = k[(start < t1) & (start + span > t0)]
        assert scan_list(t0, t1, phase, period, span) == want.tolist()
        assert np.array_equal(scan_indices(t0, t1, phase, period, span), want)


# -- detection batches ------------------------------------------------------------------------


def _random_part(rng, sensor_id, kind, mode, size, ids):
    """The named arrays of a random part (``part(**fields)`` makes it)."""
    m = MeasurementKind(kind).dim
    return dict(
        sensor_id=sensor_id,
        kind=kind,
        mode=mode,
        t_s=rng.choice([10.0, 10.5, 11.0, 11.25], size),
        z=rng.normal(size=(size, m)),
        sigma=rng.uniform(0.1, 2.0, (size, m)),
        snr=rng.uniform(1.0, 100.0, size),
        rcs_m2=None if kind == MeasurementKind.LOS_ANGLES else rng.uniform(0.01, 5.0, size),
        sensor_position_ecef=rng.normal(size=(size, 3)),
        sensor_velocity_ecef=rng.normal(size=(size, 3)),
        sensor_basis=rng.normal(size=(size, 3, 3)),
        object_id=rng.choice(ids, size),
        false_alarm=rng.random(size) < 0.3,
    )


def test_one_merge_of_parts_equals_concatenating_each_sensors_batch():
    rng = np.random.default_rng(10)
    sensors = [
        ("sbirs-geo-west", MeasurementKind.LOS_ANGLES, DetectionMode.FRAME),
        ("ddg", MeasurementKind.RANGE_AZ_EL_RATE, DetectionMode.SEARCH),
        ("kurecik-tpy2", MeasurementKind.RANGE_AZ_EL, DetectionMode.TRACK),
    ]
    for _ in range(100):
        per_sensor, all_parts = [], []
        for sensor_id, kind, mode in sensors:
            fields = [
                _random_part(rng, sensor_id, kind, mode, int(rng.integers(0, 4)), ["T1/rv", ""])
                for _ in range(int(rng.integers(0, 3)))
            ]
            all_parts += [part(**f) for f in fields]
            batches = [assemble(**f) for f in fields if len(f["t_s"])]
            per_sensor.append(DetectionBatch.concat(batches))
        got = batch_of_parts(all_parts)
        want = DetectionBatch.concat(per_sensor)
        for f in dataclasses.fields(DetectionBatch):
            if f.name != "truth":
                assert _same(getattr(got, f.name), getattr(want, f.name)), f.name
        assert _same(got.truth.object_id, want.truth.object_id)
        assert _same(got.truth.false_alarm, want.truth.false_alarm)


def test_suite_merge_equals_concatenating_each_sensors_observation(missile_truth):
    suite = SensorSuite(
        sensors=(
            Radar(
                id="kurecik",
                type=sensor("an-tpy-2-fbm"),
                platform=FixedSite(lat_deg=38.35, lon_deg=37.79, alt_m=2000.0),
                boresight_az_rad=np.radians(110.0),
            ),
            Radar(
                id="ddg",
                type=sensor("spy-1d"),
                platform=WaypointPlatform.from_waypoints([0, 900], [35.3, 35.5], [34.9, 35.4], 25),
            ),
        )
    )
    for t0 in (0.0, 150.0, 300.0):
        got = suite.observe(t0, t0 + 60.0, missile_truth)
        want = DetectionBatch.concat(
            [s.observe(t0, t0 + 60.0, missile_truth) for s in suite.sensors]
        )
        assert len(got) == len(want) > 0
        for f in dataclasses.fields(DetectionBatch):
            if f.name != "truth":
                assert _same(getattr(got, f.name), getattr(want, f.name)), f.name


def test_a_copied_sensor_starts_without_the_originals_memo(missile_truth):
    radar = Radar(
        id="kurecik",
        type=sensor("an-tpy-2-fbm"),
        platform=FixedSite(lat_deg=38.35, lon_deg=37.79, alt_m=2000.0),
    )
    radar.observe(100.0, 200.0, missile_truth)
    assert radar._memo
    assert not radar.with_outage(0.0, 1.0)._memo
    assert radar == dataclasses.replace(radar)  # the memo is not part of equality
    frame = radar.scan_draws("search", 12, 3, 10)
    assert np.array_equal(
        frame, stream(0, "sensor", "kurecik", "search", "12").standard_normal((3, 10))
    )


def test_truth_knows_whether_anything_exists_or_burns():
    t = np.arange(3.0)
    dead = TruthTable.from_arrays(t, np.full((3, 2, 6), np.nan), rcs_m2=1.0)
    assert not dead.any_exists() and not dead.any_plume()
    live = TruthTable.from_arrays(
        t, np.zeros((3, 2, 6)), rcs_m2=1.0, ir_intensity_w_sr=np.array([[0, 0], [0, 5e4], [0, 0]])
    )
    assert live.any_exists() and live.any_plume()


# -- a radar's looks ------------------------------------------------------------------------


def _radars():
    kurecik = FixedSite(lat_deg=38.35, lon_deg=37.79, alt_m=2000.0)
    ship = WaypointPlatform.from_waypoints(
        [0, 300, 900], [35.3, 35.4, 35.5], [34.9, 35.1, 35.4], 25
    )
    tpy2, spy1 = sensor("an-tpy-2-fbm"), sensor("spy-1d")
    yield Radar(id="kurecik", type=tpy2, platform=kurecik, boresight_az_rad=np.radians(110.0))
    yield Radar(id="ddg", type=spy1, platform=ship, seed=3)
    # Swerling 3 and 0 (the numpy detection statistic), a ship with a sector
    for case, seed in ((3, 4), (0, 5)):
        yield Radar(
            id=f"ddg-{case}",
            type=dataclasses.replace(spy1, swerling=case),
            platform=ship,
            seed=seed,
        )
    yield Radar(
        id="sector-ship",
        type=tpy2,
        platform=ship,
        boresight_az_rad=np.radians(80.0),
        elevation_mask_rad=0.01,
        seed=6,
    )
    # scheduled and random outages
    yield Radar(
        id="ddg-outages",
        type=spy1,
        platform=ship,
        seed=7,
        outages=OutageSchedule(windows_s=((100.0, 150.0),), mtbf_s=120.0, mttr_s=20.0),
    )


#: Largest differences allowed between the compiled looks and the numpy path (libm's
#: transcendental functions instead of numpy's: rounding): relative, and absolute for
#: angles and range rates near zero.
_LOOK_RTOL = 1e-12
_LOOK_ATOL = {"z": 1e-12}


def _max_relative_error(a, b, atol=0.0):
    a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
    both_nan = np.isnan(a) & np.isnan(b)
    err = np.abs(a - b) / np.maximum(np.abs(b), 1e-300)
    err = np.where(both_nan | (np.abs(a - b) <= atol), 0.0, err)
    return float(err.max()) if err.size else 0.0


@pytest.mark.parametrize("index", range(6))
def test_compiled_looks_match_the_numpy_looks(missile_truth, monkeypatch, index):
    """The two compiled kernels (``Radar._parts``) give the numpy path's detections: the
    same looks detected, numbers equal to rounding (Swerling 1, 3 and 0 — the last takes
    the numpy path — fixed site and ship, sector and full azimuth, (N,) and (T, N) RCS,
    outages; false alarms too)."""
    radar = list(_radars())[index]
    t = np.arange(0.0, 600.0, 10.0)
    st = missile_truth.state_at(t)[:, 1]
    ok = np.all(np.isfinite(st), axis=1)
    cues = CueSet.from_states(
        t_start_s=t[ok], t_end_s=t[ok] + 10.0, t_ref_s=t[ok], state_ecef=st[ok], radius_m=5e3
    )
    # the same objects with a held (T, N) cross-section
    held = TruthTable.stack([missile_truth, missile_truth])
    batches = []
    paths = [
        (radar_module.Radar._parts, radar_module.Radar._false_alarm_frame_of),
        (radar_module.Radar._parts_numpy, radar_module.Radar._false_alarm_frame_numpy),
    ]
    for parts, false_alarms in paths:
        monkeypatch.setattr(radar_module.Radar, "_parts", parts)
        monkeypatch.setattr(radar_module.Radar, "_false_alarm_frame_of", false_alarms)
        fresh = dataclasses.replace(radar)
        got = [fresh.observe(t0, t0 + 7.0, truth, cues) for truth in (missile_truth, held)
               for t0 in np.arange(0.0, 700.0, 7.0)]  # fmt: skip
        batches.append(DetectionBatch.concat(got))
    compiled, numpy_looks = batches
    assert len(compiled) > 50 and compiled.truth.false_alarm.any()
    _batches_agree(compiled, numpy_looks, radar.id)


def test_waypoint_track_matches_np_interp_and_the_leg_rates_bit_for_bit():
    from bmdsim.sensors._kernel import waypoint_track

    rng = np.random.default_rng(13)
    for trial in range(500):
        w = int(rng.integers(1, 5))
        t_wp = np.cumsum(rng.uniform(1.0, 500.0, w)) - 200.0
        lat_wp, lon_wp = rng.uniform(-60, 60, w), rng.uniform(-170, 170, w)
        if trial % 5 == 0 and w > 1:
            lat_wp[1] = lat_wp[0]  # a leg along a parallel
        t = rng.uniform(t_wp[0] - 100.0, t_wp[-1] + 100.0, int(rng.integers(1, 7)))
        t[0] = t_wp[int(rng.integers(0, w))]  # on a waypoint
        track, ll = waypoint_track(t, t_wp, lat_wp, lon_wp, 1e-6)
        lat, lon = np.interp(t, t_wp, lat_wp), np.interp(t, t_wp, lon_wp)
        assert _same(track[0], lat) and _same(track[1], lon)
        if w >= 2:
            i = np.clip(np.searchsorted(t_wp, t, side="right") - 1, 0, w - 2)
            moving = (t >= t_wp[0]) & (t < t_wp[-1])
            dt = t_wp[i + 1] - t_wp[i]
            dlat = np.where(moving, (lat_wp[i + 1] - lat_wp[i]) / dt, 0.0)
            dlon = np.where(moving, (lon_wp[i + 1] - lon_wp[i]) / dt, 0.0)
        else:
            dlat = dlon = np.zeros(t.shape)
        assert _same(track[2], dlat) and _same(track[3], dlon)
        la, lo = lat[None], lon[None]
        if dlat.any() or dlon.any():
            want_lat = np.radians(np.concatenate([la, la + 1e-6, la - 1e-6, la, la]))
            want_lon = np.radians(np.concatenate([lo, lo, lo, lo + 1e-6, lo - 1e-6]))
        else:
            want_lat, want_lon = np.radians(la), np.radians(lo)
        assert _same(ll[0], want_lat) and _same(ll[1], want_lon)


# -- a staring sensor's frame grid ----------------------------------------------------------


def _infrared(seed, pfa=1e-7, **kw):
    from bmdsim.sensors import OrbitPlatform, SpaceInfrared

    return SpaceInfrared(
        id="geo",
        type=dataclasses.replace(sensor("sbirs-geo"), pfa=pfa),
        platform=OrbitPlatform(orbit=KeplerOrbit.geostationary(40.0)),
        seed=seed,
        **kw,
    )


def test_frame_blocks_hold_each_frames_own_state_and_false_alarm_draws():
    sat = _infrared(3)
    for b in (0, 1, 7):
        block = sat._frame_block(b)
        for f in (0, 1, 30, 63):
            k = int(block.k[f])
            t = sat._phase() + np.array([k]) * sat.type.frame_s
            r, v = sat.platform.state_at(t)
            assert _same(block.t[f : f + 1], t)
            assert _same(block.position[f : f + 1], r) and _same(block.velocity[f : f + 1], v)
            assert _same(block.basis[f : f + 1], geocentric_ned_basis(r))
            rng = stream(3, "sensor", "geo", "frame-false-alarms", str(k))
            count = int(rng.poisson(false_alarm_means(r, 6_381e3, sat.type.ifov_rad**2, 1e-7)[0]))
            assert block.fa_count[f] == count
            if count:
                assert _same(block.fa_draws[f], rng.random((count, 3)))


@pytest.mark.parametrize("block", [1, 3])
def test_infrared_detections_do_not_depend_on_the_frame_blocks(missile_truth, monkeypatch, block):
    from bmdsim.sensors import infrared

    windows = [(0.0, 1.0), (1.0, 2.5), (2.5, 7.0), (7.0, 130.0), (130.0, 131.0), (131.0, 400.0)]
    kw = dict(outages=dataclasses.replace(_infrared(0).outages, windows_s=((20.0, 41.0),)))
    want = [_infrared(5, **kw).observe(a, b, missile_truth) for a, b in windows]
    monkeypatch.setattr(infrared, "FRAME_BLOCK", block)
    got = [_infrared(5, **kw).observe(a, b, missile_truth) for a, b in windows]
    assert sum(len(w) for w in want) > 50
    for g, w in zip(got, want, strict=True):
        for f in dataclasses.fields(DetectionBatch):
            if f.name != "truth":
                assert _same(getattr(g, f.name), getattr(w, f.name)), f.name
        assert _same(g.truth.object_id, w.truth.object_id)


def _batches_agree(compiled, numpy_path, label):
    """The same detections (discrete fields exact), numbers equal to rounding; prints the
    largest relative errors."""
    assert len(compiled) == len(numpy_path)
    for name in ("t_s", "sensor_id", "kind", "mode"):
        assert np.array_equal(getattr(compiled, name), getattr(numpy_path, name)), name
    assert np.array_equal(compiled.truth.object_id, numpy_path.truth.object_id)
    assert np.array_equal(compiled.truth.false_alarm, numpy_path.truth.false_alarm)
    errors = {
        name: _max_relative_error(
            getattr(compiled, name), getattr(numpy_path, name), _LOOK_ATOL.get(name, 1e-15)
        )
        for name in (
            "z",
            "covariance",
            "snr",
            "rcs_m2",
            "sensor_position_ecef",
            "sensor_velocity_ecef",
            "sensor_basis",
        )
    }
    print(f"{label}: max relative errors {errors}")
    assert max(errors.values()) <= _LOOK_RTOL, f"max relative errors {errors}"


@pytest.mark.parametrize("seed", [0, 5])
def test_compiled_plume_looks_match_the_numpy_looks(missile_truth, monkeypatch, seed):
    """The infrared sensor's compiled frames (``SpaceInfrared._frames``) detect the plumes
    its numpy path detects, with numbers equal to rounding."""
    from bmdsim.sensors import infrared

    two = TruthTable.stack([missile_truth, missile_truth])  # (T, N) cross-sections, 2 objects
    # one-frame windows and windows of several frames (some without a visible plume)
    windows = [(a, a + 1.0) for a in np.arange(0.0, 60.0, 1.0)]
    windows += [(a, a + 7.0) for a in np.arange(60.0, 400.0, 7.0)]
    batches = []
    for frames in (infrared.SpaceInfrared._frames, infrared.SpaceInfrared._frames_numpy):
        monkeypatch.setattr(infrared.SpaceInfrared, "_frames", frames)
        sat = _infrared(seed, pfa=1e-9)
        got = [sat.observe(a, b, truth) for truth in (missile_truth, two) for a, b in windows]
        batches.append(DetectionBatch.concat(got))
    compiled, numpy_path = batches
    assert int(np.count_nonzero(~compiled.truth.false_alarm)) > 50
    _batches_agree(compiled, numpy_path, f"infrared seed {seed}")


# -- a radar's glue -------------------------------------------------------------------------


@pytest.mark.parametrize("type_name", ["an-tpy-2-fbm", "spy-1d"])
def test_search_sectors_match_the_numpy_sector_test(type_name):
    from bmdsim.sensors._kernel import search_takes

    rng = np.random.default_rng(21)
    for trial in range(200):
        radar = Radar(
            id="r",
            type=sensor(type_name),
            platform=FixedSite(lat_deg=38.35, lon_deg=37.79, alt_m=2000.0),
            boresight_az_rad=rng.uniform(-7.0, 7.0),
        )
        k_count, n_obj = int(rng.integers(1, 5)), int(rng.integers(1, 40))
        east, north = rng.normal(size=(2, k_count, n_obj)) * 1e5
        east[rng.random(east.shape) < 0.1] = np.nan
        if trial % 5 == 0:  # azimuths on the sector edges
            north[:] = 1.0
            east[:] = np.tan(radar.boresight_az_rad + radar.type.azimuth_half_width_rad)
        js = rng.integers(-30, 3000, k_count)
        atan = np.arctan2(east, north)
        az = np.mod(atan, 2.0 * np.pi)
        sector = np.floor(radar._sector_fraction(az) * radar_module.SEARCH_SECTORS)
        want = ((sector == (js % radar_module.SEARCH_SECTORS)[:, None]) & np.isfinite(az)).nonzero()
        t = radar.type
        got = search_takes(
            atan,
            js,
            t.full_azimuth,
            radar.boresight_az_rad,
            t.azimuth_half_width_rad,
            radar_module.SEARCH_SECTORS,
        )
        assert _same(got[0], want[0]) and _same(got[1], want[1])


def test_ship_refraction_matches_refraction_site_bit_for_bit():
    from bmdsim.sensors.geometry import refraction_site

    rng = np.random.default_rng(22)
    for trial in range(50):
        w = int(rng.integers(1, 5))
        ship = WaypointPlatform.from_waypoints(
            np.cumsum(rng.uniform(10.0, 500.0, w)),
            rng.uniform(-80.0, 80.0, w),
            rng.uniform(-180.0, 180.0, w),
            rng.uniform(0.0, 50.0),
        )
        radar = Radar(
            id="r", type=sensor("spy-1d"), platform=ship, refraction_k=[4 / 3, 1.0][trial % 2]
        )
        t = np.sort(rng.uniform(-100.0, 2500.0, int(rng.integers(1, 30))))
        looks = radar._looks_geometry(t)
        want = refraction_site(looks.lat_deg, looks.lon_deg, looks.alt_m, k=radar.refraction_k)
        for g, w_ in zip(looks.refraction, want, strict=True):
            assert _same(g, w_)
