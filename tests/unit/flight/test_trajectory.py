"""Trajectory sampling: shapes, bounds, knots, phases, apogee, raid-wide sampling."""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.catalog import missile
from bmdsim.earth import geodesic_direct
from bmdsim.earth.frames import ecef_to_geodetic
from bmdsim.flight import Phase, fly_many, max_range_m


@pytest.fixture(scope="module")
def raid():
    a, b = missile("sejjil"), missile("shahab-3")
    aims = []
    for m, az in ((a, 280.0), (b, 250.0)):
        lat, lon, _ = geodesic_direct(33.0, 50.0, np.radians(az), 0.7 * max_range_m(m))
        aims.append((float(lat), float(lon)))
    return fly_many([a, b], [(33.0, 50.0), (33.0, 50.0)], aims, launch_times_s=[10.0, 70.0])


def test_state_at_broadcasts_over_any_time_shape(raid):
    rv = raid[0].rv
    t0, t1 = rv.start.t_s, rv.end_s
    assert rv.state_at(0.5 * (t0 + t1)).shape == (6,)
    assert rv.state_at(np.linspace(t0, t1, 7)).shape == (7, 6)
    grid = np.linspace(t0, t1, 12).reshape(3, 4)
    out = rv.state_at(grid)
    assert out.shape == (3, 4, 6)
    assert np.array_equal(out[1, 2], rv.state_at(grid[1, 2]))


def test_samples_are_nan_outside_the_trajectory(raid):
    rv = raid[1].rv
    out = rv.state_at([rv.start.t_s - 1.0, rv.start.t_s, rv.end_s, rv.end_s + 1.0])
    assert np.isnan(out[0]).all() and np.isnan(out[3]).all()
    assert not np.isnan(out[1:3]).any()
    assert np.array_equal(rv.phase_at([rv.start.t_s - 1.0, rv.end_s + 1.0]), [-1, -1])


def test_samples_at_knots_reproduce_the_knots(raid):
    rv = raid[0].rv
    out = rv.state_at(rv.t_s)
    # where two knots share a time (staging, separation) the later one holds
    later = np.append(rv.t_s[1:] != rv.t_s[:-1], True)
    assert np.allclose(out[later], rv.states[later], rtol=0, atol=1e-9)


def test_interpolated_velocity_is_the_derivative_of_position(raid):
    rv = raid[1].rv
    t = np.linspace(rv.burnout.t_s + 1.0, rv.end_s - 1.0, 400)
    h = 1e-3
    fd = (rv.state_at(t + h)[:, :3] - rv.state_at(t - h)[:, :3]) / (2 * h)
    assert np.abs(fd - rv.state_at(t)[:, 3:]).max() < 1e-3


def test_phases_run_boost_midcourse_reentry(raid):
    rv = raid[1].rv
    t = np.linspace(rv.start.t_s, rv.end_s, 3000)
    phase = rv.phase_at(t)
    assert phase[0] == Phase.BOOST and phase[-1] == Phase.REENTRY
    assert np.all(np.diff(phase) >= 0)  # never goes back
    assert np.all(phase[t <= rv.burnout.t_s] == Phase.BOOST)
    alt = ecef_to_geodetic(rv.state_at(t)[:, :3])[2]
    assert np.all(alt[phase == Phase.REENTRY] < 100e3 + 1.0)
    # the knot phases agree with phase_at at the knots
    assert np.array_equal(rv.phase, rv.phase_at(rv.t_s))
    assert np.all(raid[0].boosters[0].phase_at(raid[0].boosters[0].t_s) != Phase.BOOST)


def test_apogee_is_the_highest_point(raid):
    for traj in raid.objects:
        t = np.linspace(traj.start.t_s, traj.end_s, 20001)
        alt = ecef_to_geodetic(traj.state_at(t)[:, :3])[2]
        r = np.linalg.norm(traj.state_at(t)[:, :3], axis=1)
        assert traj.apogee.alt_m >= alt.max() - 5.0
        assert np.linalg.norm(traj.apogee.state[:3]) >= r.max() - 1e-3


def test_raid_samples_every_object_in_one_call(raid):
    t = np.linspace(0.0, 1500.0, 301)
    out = raid.state_at(t)
    assert out.shape == (301, len(raid.objects), 6)
    for j, traj in enumerate(raid.objects):
        assert np.allclose(out[:, j], traj.state_at(t), rtol=0, atol=1e-6, equal_nan=True)
    assert list(raid.object_flight) == [0, 0, 0, 1, 1]
    # a spent stage does not exist before it separates
    stage = raid[0].boosters[0]
    assert np.isnan(raid.state_at(stage.start.t_s - 0.1)[1]).all()
    flight_wise = raid[0].state_at(t)
    assert flight_wise.shape == (301, 3, 6)
    assert np.allclose(flight_wise, out[:, :3], atol=1e-6, equal_nan=True)
