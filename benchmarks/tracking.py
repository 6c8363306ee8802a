"""Tracking throughput and accuracy against Stone Soup and FilterPy, measured in the same run.

N ballistic targets (ECEF, J2 gravity, Earth rotation) seen by one radar at 1 Hz for
300 s (sigma range 10 m, sigma angles 1 mrad), known association; each target is tracked by

(a) Stone Soup's ``ExtendedKalmanPredictor``/``ExtendedKalmanUpdater`` with its
    ``CartesianToElevationBearingRange`` measurement model (rotated into the radar's ENU
    frame) and a ballistic transition model written for it (one target per call);
(b) FilterPy's ``ExtendedKalmanFilter`` (one filter object per target), same dynamics;
(c) bmdsim's batched EKF (``ExtendedKalmanPredictor`` + ``ExtendedKalmanUpdater`` on every
    target at once) with the sensors layer's ``EcefToRangeAzEl``.

All three get the same measurements, the same initial states and covariances, the same
process noise and the same dynamics: point-mass + J2 gravity and the Coriolis/centrifugal
terms, one RK4 step per second for the state and the transition matrix (for the peers a
scalar implementation of those equations, for bmdsim its batched motion model). Peers are
timed on a subset of targets when N is large and extrapolated linearly (they loop over
targets; the output says so). A last run times bmdsim's full life cycle (gating, GNN
association, initiation, confirmation, deletion) on N = 1,000 targets with false alarms.

Run: ``.venv/bin/python benchmarks/tracking.py`` (about 2 minutes);
``--quick`` for N = 1, 10, 100 only; ``--n 1 10 100 1000`` to choose; ``--reference`` for
``Tracker.step`` alone on the reference scenario, the compiled scan step against the
role-by-role path on the same recorded scans (about 30 s).
"""

from __future__ import annotations

import argparse
import math
import time
from datetime import datetime, timedelta

import numpy as np

from bmdsim.earth.constants import A_M, GM_M3_S2, J2, OMEGA_RAD_S
from bmdsim.earth.frames import enu_basis, geodetic_to_ecef
from bmdsim.sensors.models import EcefToRangeAzEl
from bmdsim.tracking import (
    BallisticMotion,
    ExtendedKalmanPredictor,
    ExtendedKalmanUpdater,
    Scan,
    TrackBatch,
    Tracker,
)

RADAR_LAT, RADAR_LON = 38.35, 37.79
SIGMA = np.array([10.0, 1e-3, 1e-3])  # range m, azimuth rad, elevation rad
R = np.diag(SIGMA**2)
STEPS = 300
Q = 0.01  # white acceleration spectral density [m^2/s^3], all filters
P0 = np.diag([1000.0**2] * 3 + [100.0**2] * 3)
BURN_IN = 10  # updates left out of the RMSE


# ---- scenario ------------------------------------------------------------------------------
def make_scenario(n: int, seed: int = 0):
    """Truth (T+1, N, 6), measurements (T, N, 3), initial states (N, 6) and the radar model."""
    rng = np.random.default_rng(seed)
    lat = rng.uniform(33.0, 37.0, n)
    lon = rng.uniform(43.0, 47.0, n)
    alt = rng.uniform(80e3, 150e3, n)
    heading = np.radians(rng.uniform(250.0, 290.0, n))
    ground = rng.uniform(2200.0, 2800.0, n)
    up = rng.uniform(1300.0, 1700.0, n)
    v_enu = np.stack([ground * np.sin(heading), ground * np.cos(heading), up], axis=-1)
    r0 = geodetic_to_ecef(lat, lon, alt)
    v0 = np.einsum("nji,nj->ni", enu_basis(lat, lon), v_enu)
    x = np.concatenate([r0, v0], axis=1)
    fine = BallisticMotion(q=0.0, max_step_s=0.25)
    truth = [x]
    for _ in range(STEPS):
        x = fine.function(x, 1.0)
        truth.append(x)
    truth = np.stack(truth)
    radar = EcefToRangeAzEl(
        sensor_position_ecef=geodetic_to_ecef(RADAR_LAT, RADAR_LON, 1500.0),
        sensor_basis=enu_basis(RADAR_LAT, RADAR_LON),
        noise_covariance=R,
    )
    z = radar.function(truth[1:]) + rng.normal(size=(STEPS, n, 3)) * SIGMA
    z[..., 1] = np.mod(z[..., 1], 2 * np.pi)
    x0 = truth[0] + rng.multivariate_normal(np.zeros(6), P0, n)
    return truth, z, x0, radar


def rmse(estimates: np.ndarray, truth: np.ndarray) -> float:
    """Position RMSE [m] over updates after the burn-in: estimates/truth (T, N, 6)."""
    d = estimates[BURN_IN:, :, :3] - truth[1 + BURN_IN :, : estimates.shape[1], :3]
    return float(np.sqrt(np.mean(np.sum(d * d, axis=-1))))


# ---- scalar dynamics for the peers (same equations, one target per call) ------------------
def _accel_and_gradient(x):
    rx, ry, rz, vx, vy, _vz = x
    r2 = rx * rx + ry * ry + rz * rz
    rn = math.sqrt(r2)
    k = GM_M3_S2 / (r2 * rn)
    c = -1.5 * J2 * GM_M3_S2 * A_M * A_M / (r2 * r2 * rn)
    s = 1.0 - 5.0 * rz * rz / r2
    w = OMEGA_RAD_S
    a = np.array(
        [
            -k * rx + c * rx * s + 2 * w * vy + w * w * rx,
            -k * ry + c * ry * s - 2 * w * vx + w * w * ry,
            -k * rz + c * rz * (s + 2.0),
        ]
    )
    r = np.array([rx, ry, rz])
    g = -k * (np.eye(3) - 3.0 * np.outer(r, r) / r2)
    u = np.array([rx * s, ry * s, rz * (s + 2.0)])
    dc = -5.0 * c / r2 * r
    ds = 10.0 * rz * rz / (r2 * r2) * r
    ds[2] -= 10.0 * rz / r2
    du = s * np.eye(3) + np.outer(r, ds)
    du[2, 2] += 2.0
    g += np.outer(u, dc) + c * du
    g[0, 0] += w * w
    g[1, 1] += w * w
    return a, g


_COR = np.array([[0.0, 2 * OMEGA_RAD_S, 0.0], [-2 * OMEGA_RAD_S, 0.0, 0.0], [0.0, 0.0, 0.0]])


def _deriv(x):
    a, g = _accel_and_gradient(x)
    amat = np.zeros((6, 6))
    amat[0:3, 3:6] = np.eye(3)
    amat[3:6, 0:3] = g
    amat[3:6, 3:6] = _COR
    return np.concatenate([x[3:], a]), amat


def scalar_transition(x, dt):
    """One RK4 step of state and transition matrix (same equations as BallisticMotion)."""
    k1, a1 = _deriv(x)
    k2, a2 = _deriv(x + 0.5 * dt * k1)
    k3, a3 = _deriv(x + 0.5 * dt * k2)
    k4, a4 = _deriv(x + dt * k3)
    xn = x + dt / 6.0 * (k1 + 2 * k2 + 2 * k3 + k4)
    m1 = a1
    m2 = a2 @ (np.eye(6) + 0.5 * dt * m1)
    m3 = a3 @ (np.eye(6) + 0.5 * dt * m2)
    m4 = a4 @ (np.eye(6) + dt * m3)
    f = np.eye(6) + dt / 6.0 * (m1 + 2 * m2 + 2 * m3 + m4)
    return xn, f


def scalar_q(dt):
    q = np.zeros((6, 6))
    i = np.arange(3)
    q[i, i] = Q * dt**3 / 3
    q[i, i + 3] = q[i + 3, i] = Q * dt**2 / 2
    q[i + 3, i + 3] = Q * dt
    return q


# ---- (a) Stone Soup -------------------------------------------------------------------------
def run_stonesoup(z, x0, radar, n_run):
    from scipy.spatial.transform import Rotation
    from stonesoup.base import Property
    from stonesoup.models.base import GaussianModel, TimeVariantModel
    from stonesoup.models.measurement.nonlinear import CartesianToElevationBearingRange
    from stonesoup.models.transition.base import TransitionModel
    from stonesoup.predictor.kalman import ExtendedKalmanPredictor as SSPredictor
    from stonesoup.types.array import CovarianceMatrix, StateVector
    from stonesoup.types.detection import Detection
    from stonesoup.types.hypothesis import SingleHypothesis
    from stonesoup.types.state import GaussianState
    from stonesoup.updater.kalman import ExtendedKalmanUpdater as SSUpdater

    class BallisticEcef(TransitionModel, GaussianModel, TimeVariantModel):
        """ECEF ballistic transition (J2 gravity, rotation), state [x, y, z, vx, vy, vz]."""

        q: float = Property(default=Q)

        @property
        def ndim_state(self):
            return 6

        def function(self, state, noise=False, time_interval=None, **kwargs):
            dt = time_interval.total_seconds()
            xn, _ = scalar_transition(np.asarray(state.state_vector, float).ravel(), dt)
            return StateVector(xn)

        def jacobian(self, state, time_interval=None, **kwargs):
            dt = time_interval.total_seconds()
            _, f = scalar_transition(np.asarray(state.state_vector, float).ravel(), dt)
            return f

        def covar(self, time_interval=None, **kwargs):
            return CovarianceMatrix(scalar_q(time_interval.total_seconds()))

    # Stone Soup rotates by Rz(-tz) Ry(ty) Rx(-tx); choose the angles that give ECEF -> ENU
    a, b, c = Rotation.from_matrix(radar.sensor_basis).as_euler("zyx")
    model = CartesianToElevationBearingRange(
        ndim_state=6,
        mapping=(0, 1, 2),
        noise_covar=np.diag([SIGMA[2] ** 2, SIGMA[1] ** 2, SIGMA[0] ** 2]),
        translation_offset=StateVector(radar.sensor_position_ecef),
        rotation_offset=StateVector([-c, b, -a]),
    )
    predictor = SSPredictor(BallisticEcef())
    updater = SSUpdater(model)
    t0 = datetime(2026, 3, 4)
    # same data: elevation, bearing = pi/2 - azimuth (counter-clockwise from east), range
    zs = np.stack([z[..., 2], np.pi / 2 - z[..., 1], z[..., 0]], axis=-1)
    est = np.zeros((z.shape[0], n_run, 6))
    start = time.perf_counter()
    for i in range(n_run):
        state = GaussianState(StateVector(x0[i]), CovarianceMatrix(P0), timestamp=t0)
        for k in range(z.shape[0]):
            ts = t0 + timedelta(seconds=k + 1)
            prediction = predictor.predict(state, timestamp=ts)
            det = Detection(StateVector(zs[k, i]), timestamp=ts, measurement_model=model)
            state = updater.update(SingleHypothesis(prediction, det))
            est[k, i] = np.asarray(state.state_vector, float).ravel()
    return time.perf_counter() - start, est


# ---- (b) FilterPy ---------------------------------------------------------------------------
def run_filterpy(z, x0, radar, n_run):
    from filterpy.kalman import ExtendedKalmanFilter

    site = radar.sensor_position_ecef
    basis = radar.sensor_basis

    class BallisticEKF(ExtendedKalmanFilter):
        def predict_x(self, u=0):
            xn, _ = scalar_transition(self.x.ravel(), 1.0)
            self.x = xn.reshape(6, 1)

    def hx(x):
        e, n, u = basis @ (x.ravel()[:3] - site)
        h = math.hypot(e, n)
        return np.array(
            [[math.hypot(h, u)], [math.atan2(e, n) % (2 * math.pi)], [math.atan2(u, h)]]
        )

    def hjac(x):
        e, n, u = basis @ (x.ravel()[:3] - site)
        h2 = e * e + n * n
        h = math.sqrt(h2)
        r2 = h2 + u * u
        r = math.sqrt(r2)
        jl = np.array(
            [
                [e / r, n / r, u / r],
                [n / h2, -e / h2, 0.0],
                [-u * e / (r2 * h), -u * n / (r2 * h), h / r2],
            ]
        )
        out = np.zeros((3, 6))
        out[:, :3] = jl @ basis
        return out

    def resid(a, b):
        d = a - b
        d[1] = (d[1] + math.pi) % (2 * math.pi) - math.pi
        return d

    est = np.zeros((z.shape[0], n_run, 6))
    start = time.perf_counter()
    for i in range(n_run):
        f = BallisticEKF(dim_x=6, dim_z=3)
        f.x = x0[i].reshape(6, 1).copy()
        f.P = P0.copy()
        f.R = R.copy()
        f.Q = scalar_q(1.0)
        for k in range(z.shape[0]):
            _, f.F = scalar_transition(f.x.ravel(), 1.0)
            f.predict()
            f.update(z[k, i].reshape(3, 1), hjac, hx, residual=resid)
            est[k, i] = f.x.ravel()
    return time.perf_counter() - start, est


# ---- (c) bmdsim -----------------------------------------------------------------------------
def run_bmdsim(z, x0, radar):
    n = x0.shape[0]
    predictor = ExtendedKalmanPredictor(motion=BallisticMotion(q=Q))
    updater = ExtendedKalmanUpdater()
    noise = np.broadcast_to(R, (n, 3, 3))
    est = np.zeros((z.shape[0], n, 6))
    start = time.perf_counter()
    tracks = TrackBatch.new(
        ids=np.arange(n),
        states=x0.copy(),
        covariances=np.repeat(P0[None], n, axis=0),
        times_s=np.zeros(n),
        mode_probabilities=np.ones((n, 1)),
    )
    for k in range(z.shape[0]):
        tracks = predictor.predict(tracks, float(k + 1))
        tracks, _ = updater.update(tracks, z[k], noise, radar)
        est[k] = tracks.states
    return time.perf_counter() - start, est


def run_life_cycle(n: int, false_alarms_per_scan: float, seed: int = 1):
    """bmdsim's full tracker (gating, GNN, M-of-N, deletion) on n targets plus false alarms."""
    truth, z, _, radar = make_scenario(n, seed)
    rng = np.random.default_rng(seed + 100)
    tracker = Tracker(
        predictor=ExtendedKalmanPredictor(motion=BallisticMotion(q=Q)),
        updater=ExtendedKalmanUpdater(),
    )
    start = time.perf_counter()
    confirmed_ids = set()
    for k in range(STEPS):
        n_fa = rng.poisson(false_alarms_per_scan)
        fa = np.stack(
            [
                rng.uniform(200e3, 1500e3, n_fa),
                rng.uniform(0, 2 * np.pi, n_fa),
                rng.uniform(0, 1.0, n_fa),
            ],
            axis=-1,
        )
        zz = np.concatenate([z[k], fa])
        scan = Scan(
            time_s=float(k + 1),
            sensor_id="radar",
            z=zz,
            noise=np.broadcast_to(R, (len(zz), 3, 3)),
            model=radar,
        )
        events = tracker.step([scan])
        confirmed_ids.update(e.track_id for e in events.confirmed)
    wall = time.perf_counter() - start
    tr = tracker.tracks
    live = tr.status == 1
    d = np.linalg.norm(tr.states[live, None, :3] - truth[-1][None, :, :3], axis=-1)
    matched = d.min(axis=1) < 1000.0
    return {
        "wall_s": wall,
        "us_per_target_update": wall / (n * STEPS) * 1e6,
        "confirmed_tracks_alive": int(live.sum()),
        "confirmed_tracks_on_a_target": int(matched.sum()),
        "targets_held": len(set(d.argmin(axis=1)[matched])),
        "tracks_ever_confirmed": len(confirmed_ids),
        "final_position_rmse_m": float(np.sqrt(np.mean(d.min(axis=1)[matched] ** 2))),
    }


def run_reference(reps: int = 5) -> dict:
    """``Tracker.step`` on the reference run, compiled scan step against role by role.

    The engine's calls to its tracker (steps, cues, track pictures) on the reference scenario
    (``dortyol-2026-03-04``, seed 0) are recorded once, then replayed by fresh trackers with
    the same roles, ``compiled=True`` and ``compiled=False`` in turn (best of ``reps`` each,
    CPU time of the steps alone); both must end with the same track ids and statuses, and
    the largest difference of their states (relative to the states' scale) is reported: the
    compiled scan agrees with the role path to rounding, not bit for bit.
    """
    import bmdsim
    from bmdsim.sim import Simulation

    calls, engine = [], []
    originals = Tracker.step, Tracker.cues, Tracker.tracks_at

    def step(self, scans):
        scans = list(scans)
        engine[:] = [self]
        calls.append(("step", scans))
        return originals[0](self, scans)

    def cues(self, t0, t1, **kw):
        calls.append(("cues", (t0, t1)))
        return originals[1](self, t0, t1, **kw)

    def tracks_at(self, t):
        calls.append(("at", t))
        return originals[2](self, t)

    Tracker.step, Tracker.cues, Tracker.tracks_at = step, cues, tracks_at
    try:
        Simulation(bmdsim.load_scenario("dortyol-2026-03-04"), 0).run()
    finally:
        Tracker.step, Tracker.cues, Tracker.tracks_at = originals
    roles = ("predictor", "updater", "gater", "associator", "initiator", "stereo_initiator",
             "confirmer", "deleter", "update_event_period_s", "biases", "rcs_memory_looks")  # fmt: skip

    def replay(compiled: bool):
        tracker = Tracker(**{r: getattr(engine[0], r) for r in roles}, compiled=compiled)
        cpu = 0.0
        for kind, arg in calls:
            if kind == "step":
                start = time.process_time()
                tracker.step(arg)
                cpu += time.process_time() - start
            elif kind == "cues":
                tracker.cues(*arg)
            else:
                tracker.tracks_at(arg)
        return cpu, tracker.tracks

    best = {True: math.inf, False: math.inf}
    last = {}
    for _ in range(reps):
        for compiled in (False, True):
            cpu, last[compiled] = replay(compiled)
            best[compiled] = min(best[compiled], cpu)
    fast, slow = last[True], last[False]
    same_ids = np.array_equal(fast.ids, slow.ids) and np.array_equal(
        np.asarray(fast.status), np.asarray(slow.status)
    )
    state_diff = (
        float(np.nanmax(np.abs(fast.states - slow.states)) / np.nanmax(np.abs(slow.states)))
        if same_ids and slow.states.size
        else float("nan")
    )
    n_scans = sum(len(arg) for kind, arg in calls if kind == "step")
    return {
        "steps": sum(kind == "step" for kind, _ in calls),
        "scans": n_scans,
        "role_path_ms": best[False] * 1e3,
        "compiled_ms": best[True] * 1e3,
        "role_path_us_per_scan": best[False] / n_scans * 1e6,
        "compiled_us_per_scan": best[True] / n_scans * 1e6,
        "speed_up": best[False] / best[True],
        "same_track_ids": same_ids,
        "max_rel_state_difference": state_diff,
    }


def _shown(key: str, value) -> str:
    """A result value as printed: relative differences in scientific notation."""
    if not isinstance(value, float):
        return str(value)
    return f"{value:.2e}" if key.startswith("max_rel") else f"{value:.2f}"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, nargs="+", default=[1, 10, 100, 1000])
    parser.add_argument(
        "--quick", action="store_true", help="N = 1, 10, 100 and a small life-cycle run"
    )
    parser.add_argument(
        "--stonesoup-max", type=int, default=10, help="targets run by Stone Soup at most"
    )
    parser.add_argument(
        "--filterpy-max", type=int, default=100, help="targets run by FilterPy at most"
    )
    parser.add_argument(
        "--reference",
        action="store_true",
        help="only Tracker.step on the reference run: compiled scan step vs role by role",
    )
    args = parser.parse_args()
    if args.reference:
        res = run_reference()
        print("Tracker.step on the reference run (CPU time of the steps, best of 5 replays):")
        for k, v in res.items():
            print(f"  {k}: {_shown(k, v)}")
        return
    sizes = [1, 10, 100] if args.quick else args.n
    print(
        f"{STEPS} scans at 1 Hz, one radar, sigma range {SIGMA[0]:.0f} m, angles {SIGMA[1] * 1e3:.0f} mrad, known association"
    )
    header = f"{'N':>6} {'filter':>10} {'targets run':>11} {'wall s':>9} {'us/upd':>9} {'RMSE m':>8} {'speed-up':>9}"
    print(header)
    rows = []
    for n in sizes:
        truth, z, x0, radar = make_scenario(n)
        t_b, est_b = run_bmdsim(z, x0, radar)
        us_b = t_b / (n * STEPS) * 1e6
        rmse_b = rmse(est_b, truth)
        n_ss = min(n, args.stonesoup_max)
        t_s, est_s = run_stonesoup(z, x0, radar, n_ss)
        n_fp = min(n, args.filterpy_max)
        t_f, est_f = run_filterpy(z, x0, radar, n_fp)
        us_s = t_s / (n_ss * STEPS) * 1e6
        us_f = t_f / (n_fp * STEPS) * 1e6
        rmse_bs = rmse(est_b[:, :n_ss], truth)
        for name, n_run, t, us, err in [
            ("stonesoup", n_ss, t_s * n / n_ss, us_s, rmse(est_s, truth)),
            ("filterpy", n_fp, t_f * n / n_fp, us_f, rmse(est_f, truth)),
            ("bmdsim", n, t_b, us_b, rmse_b),
        ]:
            extrap = "*" if n_run < n else " "
            print(
                f"{n:>6} {name:>10} {n_run:>11} {t:>8.3f}{extrap} {us:>9.1f} {err:>8.2f} {us / us_b:>8.1f}x"
            )
        print(f"{'':>6} bmdsim RMSE on the Stone Soup subset: {rmse_bs:.2f} m")
        rows.append((n, us_s / us_b, us_f / us_b))
    print("* extrapolated linearly from the targets run (the peers loop over targets)")
    print("speed-up = peer's us per target-update / bmdsim's (throughput ratio)")
    n_life = 100 if args.quick else 1000
    res = run_life_cycle(n_life, false_alarms_per_scan=50.0)
    print(
        f"\nfull life cycle, N = {n_life}, 50 false alarms per scan (uniform in range 200-1500 km, all azimuths, el 0-1 rad):"
    )
    for k, v in res.items():
        print(f"  {k}: {_shown(k, v)}")


if __name__ == "__main__":
    main()
