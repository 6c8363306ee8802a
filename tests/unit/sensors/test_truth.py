"""Truth table: Hermite interpolation accuracy, existence (NaN) handling, signature hold."""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.sensors import KeplerOrbit, TruthTable


def _orbit_truth(dt_s):
    orbit = KeplerOrbit(
        semi_major_axis_m=7.0e6,
        eccentricity=0.05,
        inclination_rad=0.9,
        raan_rad=0.3,
        arg_perigee_rad=1.0,
        mean_anomaly_rad=0.2,
    )
    t = np.arange(0.0, 600.0 + dt_s / 2, dt_s)
    r, v = orbit.inertial_state(t)
    return orbit, TruthTable.from_arrays(t, np.concatenate([r, v], -1)[:, None, :], rcs_m2=1.0)


def test_hermite_interpolation_of_an_orbit_sampled_every_second_is_millimetre_accurate():
    orbit, truth = _orbit_truth(1.0)
    tq = np.linspace(0.0, 600.0, 1237)
    got = truth.state_at(tq)[:, 0]
    r, v = orbit.inertial_state(tq)
    pos_err = np.max(np.linalg.norm(got[:, :3] - r, axis=-1))
    vel_err = np.max(np.linalg.norm(got[:, 3:] - v, axis=-1))
    assert pos_err < 1e-3, f"position error {pos_err:.2e} m"
    assert vel_err < 1e-2, f"velocity error {vel_err:.2e} m/s"


def test_interpolation_is_exact_at_the_samples_and_nan_outside():
    _, truth = _orbit_truth(10.0)
    got = truth.state_at(truth.t_s)[:, 0]
    np.testing.assert_allclose(got, truth.states_ecef[:, 0], rtol=0, atol=1e-6)
    assert np.all(np.isnan(truth.state_at(np.array([-0.1, 600.1]))))


def test_objects_that_do_not_exist_interpolate_to_nan():
    t = np.arange(5.0)
    states = np.zeros((5, 2, 6))
    states[:2, 1] = np.nan  # object 1 launched between samples 1 and 2
    truth = TruthTable.from_arrays(t, states, rcs_m2=[1.0, 2.0])
    got = truth.state_at(np.array([1.5, 2.5]))
    assert np.all(np.isfinite(got[:, 0]))
    assert np.all(np.isnan(got[0, 1])) and np.all(np.isfinite(got[1, 1]))


def test_per_object_look_times_are_honoured():
    _, truth = _orbit_truth(1.0)
    two = TruthTable.from_arrays(truth.t_s, np.repeat(truth.states_ecef, 2, axis=1), rcs_m2=1.0)
    t = np.array([[10.25, 300.5]])
    got = two.state_at(t)
    np.testing.assert_allclose(got[0, 0], truth.state_at([10.25])[0, 0])
    np.testing.assert_allclose(got[0, 1], truth.state_at([300.5])[0, 0])


def test_radar_cross_section_holds_the_last_sample():
    t = np.array([0.0, 10.0, 20.0])
    rcs = np.array([[1.0], [2.0], [3.0]])
    truth = TruthTable.from_arrays(t, np.zeros((3, 1, 6)), rcs_m2=rcs)
    assert truth.rcs_at(np.array([15.0]))[0, 0] == 2.0


def test_plume_between_samples_is_the_dimmer_of_the_two():
    """No plume is seen after burnout: a look between the last burning sample and the
    first dark one sees none; between two burning samples, the dimmer one."""
    t = np.array([0.0, 10.0, 20.0, 30.0])
    ir = np.array([[5.0], [3.0], [0.0], [0.0]])
    truth = TruthTable.from_arrays(t, np.zeros((4, 1, 6)), rcs_m2=1.0, ir_intensity_w_sr=ir)
    got = truth.ir_intensity_at(np.array([0.0, 5.0, 10.0, 15.0, 20.0, 35.0]))[:, 0].tolist()
    assert got == [5.0, 3.0, 3.0, 0.0, 0.0, 0.0]


def test_truth_requires_increasing_times():
    with pytest.raises(AssertionError):
        TruthTable.from_arrays([0.0, 0.0], np.zeros((2, 1, 6)), rcs_m2=1.0)


def test_stack_puts_objects_side_by_side():
    t = np.array([0.0, 1.0])
    a = TruthTable.from_arrays(t, np.zeros((2, 1, 6)), rcs_m2=1.0, object_id=["a"])
    b = TruthTable.from_arrays(
        t,
        np.ones((2, 2, 6)),
        rcs_m2=[2.0, 3.0],
        ir_intensity_w_sr=np.ones((2, 2)),
        object_id=["b", "c"],
    )
    both = TruthTable.stack([a, b])
    assert both.object_id.tolist() == ["a", "b", "c"]
    assert both.rcs_m2.shape == (2, 3) and both.rcs_m2[0].tolist() == [1.0, 2.0, 3.0]
    assert both.ir_intensity_w_sr[0].tolist() == [0.0, 1.0, 1.0]
