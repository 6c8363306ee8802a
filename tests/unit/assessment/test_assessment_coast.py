"""The fast ballistic coast against the flight layer's equations and adaptive propagator."""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.assessment.coast import BELOW_AT_START, CROSSED, NO_CROSSING, BallisticCoast
from bmdsim.earth.frames import ecef_to_geodetic, enu_basis, geodetic_to_ecef
from bmdsim.flight.dynamics import Physics, altitude, derivative
from bmdsim.flight.propagation import ballistic_aero, predict_impact


def _mrbm_states(m: int, seed: int = 7) -> tuple[np.ndarray, np.ndarray]:
    """Midcourse/reentry states of MRBM-class objects (ECEF) and ballistic coefficients."""
    rng = np.random.default_rng(seed)
    lat, lon = 37.0, 43.0
    alt = rng.uniform(60e3, 250e3, m)
    r = geodetic_to_ecef(lat + rng.normal(size=m), lon + rng.normal(size=m), alt)
    az = np.radians(rng.uniform(240.0, 300.0, m))
    speed = rng.uniform(2000.0, 3500.0, m)
    gamma = np.radians(rng.uniform(-40.0, 40.0, m))
    v_enu = np.stack(
        [
            speed * np.cos(gamma) * np.sin(az),
            speed * np.cos(gamma) * np.cos(az),
            speed * np.sin(gamma),
        ],
        axis=-1,
    )
    return np.concatenate([r, v_enu @ enu_basis(lat, lon)], axis=1), rng.uniform(1000.0, 10000.0, m)


def test_acceleration_is_the_flight_layers_equations_of_motion():
    x, beta = _mrbm_states(300)
    x[:100, 2] -= 180e3  # some deep in the atmosphere too
    aero, mass = ballistic_aero(len(x), beta)
    ref = derivative(
        0.0, np.concatenate([x, mass[:, None]], 1), np.arange(len(x)), physics=Physics(), aero=aero
    )
    got = BallisticCoast().acceleration(x, 1.0 / beta)
    err = np.max(np.abs(got - ref[:, 3:6]) / np.linalg.norm(ref[:, 3:6], axis=1, keepdims=True))
    assert err < 1e-12, f"relative acceleration difference {err:.1e}"


def test_impacts_agree_with_the_adaptive_propagator_to_metres():
    """The default drag-sized steps: 1.24 m, 6.4 ms (fixed 1 s steps: 1.12 m, 8.9 ms)."""
    x, beta = _mrbm_states(200)
    ref = predict_impact(x, ballistic_coefficient_kg_m2=beta)
    res = BallisticCoast().to_altitude(x, 1.0 / beta)
    assert np.all(res.status == CROSSED)
    d = np.linalg.norm(res.state[:, :3] - ref.state[:, :3], axis=1)
    dt = np.abs(res.dt_s - ref.t_s)
    alt = ecef_to_geodetic(res.state[:, :3])[2]
    assert d.max() < 3.0, (
        f"impact point difference max {d.max():.2f} m, median {np.median(d):.2f} m"
    )
    assert dt.max() < 0.008, f"impact time difference max {dt.max() * 1e3:.1f} ms"
    assert np.abs(alt).max() < 0.1, f"impact altitude {np.abs(alt).max():.3f} m"


def test_fixed_endo_steps_remain_available_and_agree_with_the_drag_sized_ones():
    """``endo_error_m_s=0``: fixed ``h_endo_s`` steps below 100 km (the earlier default)."""
    x, beta = _mrbm_states(100)
    fixed = BallisticCoast(h_endo_s=1.0, endo_error_m_s=0.0).to_altitude(x, 1.0 / beta)
    sized = BallisticCoast().to_altitude(x, 1.0 / beta)
    d = np.linalg.norm(fixed.state[:, :3] - sized.state[:, :3], axis=1)
    assert np.all(fixed.status == CROSSED) and np.all(sized.status == CROSSED)
    assert d.max() < 3.0, f"fixed 1 s vs drag-sized steps: {d.max():.2f} m"
    assert np.abs(fixed.dt_s - sized.dt_s).max() < 0.015


def test_backward_coast_from_impact_returns_to_a_rising_start():
    """Backwards from the impact, the coast rises over the apogee and stops where it falls
    (backwards) through the start altitude: the start itself for a state on the way up."""
    x, _ = _mrbm_states(60)
    x = x[altitude(x[:, 0], x[:, 1], x[:, 2]) > 120e3]
    coast = BallisticCoast()
    fwd = coast.to_altitude(x, 0.0)
    start_alt = altitude(x[:, 0], x[:, 1], x[:, 2])
    back = coast.to_altitude(fwd.state, 0.0, target_alt_m=start_alt, backward=True)
    rising = np.einsum("ij,ij->i", x[:, :3], x[:, 3:]) > 0.0
    assert rising.sum() >= 5 and (~rising).sum() >= 5
    assert np.all(back.status == CROSSED)
    err = np.linalg.norm(back.state[rising, :3] - x[rising, :3], axis=1)
    assert err.max() < 1.0, f"round trip position error {err.max():.3f} m"
    np.testing.assert_allclose(back.dt_s[rising], -fwd.dt_s[rising], atol=1e-3)
    # a falling start: the same altitude on the rising branch, earlier
    assert np.all(back.dt_s[~rising] < -fwd.dt_s[~rising])
    np.testing.assert_allclose(altitude(*back.state[~rising, :3].T), start_alt[~rising], atol=1e-3)


def test_status_below_at_start_no_crossing_and_rise_from_below():
    lat, lon = 35.0, 40.0
    basis = enu_basis(lat, lon)
    down = np.concatenate([geodetic_to_ecef(lat, lon, 5e3), np.array([0.0, 0.0, -100.0]) @ basis])
    orbit_r = geodetic_to_ecef(0.0, 0.0, 400e3)
    v_circ = np.sqrt(3.986004418e14 / np.linalg.norm(orbit_r)) + 7.292115e-5 * np.linalg.norm(
        orbit_r
    )
    orbit = np.concatenate([orbit_r, [0.0, 0.0, v_circ]])
    up = np.concatenate([geodetic_to_ecef(lat, lon, 5e3), np.array([0.0, 1000.0, 1000.0]) @ basis])
    res = BallisticCoast(max_dt_s=1800.0).to_altitude(
        np.stack([down, orbit, up]), 0.0, target_alt_m=np.array([10e3, 0.0, 10e3])
    )
    assert list(res.status) == [BELOW_AT_START, NO_CROSSING, CROSSED]
    assert altitude(*res.state[2, :3]) == pytest.approx(10e3, abs=0.01)
    low = BallisticCoast().to_altitude(up[None], 0.0, target_alt_m=200e3)  # apogee below it
    assert low.status[0] == NO_CROSSING


def test_knots_trace_the_whole_coast():
    x, beta = _mrbm_states(3)
    res = BallisticCoast().to_altitude(x, 1.0 / beta, knots=2000)
    for i in range(3):
        n = res.n_knots[i]
        assert res.knots_dt_s[i, 0] == 0.0 and res.knots_dt_s[i, n - 1] == res.dt_s[i]
        np.testing.assert_array_equal(res.knots_state[i, n - 1], res.state[i])
        assert np.all(np.diff(res.knots_dt_s[i, :n]) > 0.0)


@pytest.mark.parametrize("backward", [False, True])
def test_several_target_altitudes_in_one_coast_equal_separate_coasts(backward):
    """Each column of ``to_altitudes`` is bit-identical to its own ``to_altitude`` call:
    crossings from above, targets above the start (rise first, or never), below at start."""
    x, beta = _mrbm_states(120, seed=11)
    coast = BallisticCoast()
    targets = np.stack(
        [np.full(120, 300e3), np.full(120, 150e3), np.linspace(40e3, 120e3, 120),
         np.full(120, 60e3), np.full(120, 5e3), np.zeros(120)], axis=1,
    )  # fmt: skip
    multi = coast.to_altitudes(x, 1.0 / beta, target_alts_m=targets, backward=backward)
    statuses = set()
    for j in range(targets.shape[1]):
        one = coast.to_altitude(x, 1.0 / beta, target_alt_m=targets[:, j], backward=backward)
        statuses.update(one.status.tolist())
        assert np.array_equal(multi.status[:, j], one.status), f"status differs, target {j}"
        assert np.array_equal(multi.dt_s[:, j], one.dt_s, equal_nan=True), (
            f"target {j}: dt differs by {np.nanmax(np.abs(multi.dt_s[:, j] - one.dt_s)):.3e} s"
        )
        assert np.array_equal(multi.state[:, j], one.state, equal_nan=True), f"target {j}: state"
    assert {CROSSED, BELOW_AT_START} <= statuses, f"cases covered: {statuses}"
