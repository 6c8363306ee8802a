"""Launch point estimation: nominal boost tables, boost-profile and infrared methods."""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.assessment import BoostObservations, LaunchMethod, LaunchPointEstimator, boost_profile
from bmdsim.catalog.missiles import missile
from bmdsim.earth.geodesic import geodesic_inverse
from tests.unit.assessment.assessment_helpers import reference

P_TRACK = np.diag([50.0, 50, 50, 5, 5, 5])[None] ** 2


@pytest.fixture(scope="module")
def estimator():
    return LaunchPointEstimator.for_missiles([missile("shahab-3")])


def test_boost_profile_tables_are_monotone_and_feel_earth_rotation():
    prof = boost_profile(missile("shahab-3"))
    assert prof.cutoff_s.shape == (prof.azimuth_rad.size, prof.n_ranges)
    for a in (prof.cutoff_s, prof.burnout_alt_m, prof.burnout_speed_m_s, prof.burnout_downrange_m):
        assert np.all(np.diff(a, axis=1) > 0.0)
    assert prof.cutoff_s.max() <= missile("shahab-3").total_burn_time_s + 1e-9
    # Earth rotation: the boosts for the same fraction of the range differ east and west
    east = prof.burnout_tables(np.array([np.pi / 2]))["burnout_downrange_m"]
    west = prof.burnout_tables(np.array([3 * np.pi / 2]))["burnout_downrange_m"]
    assert np.all(np.abs(east / west - 1.0) > 0.02)
    tau, down = prof.at_altitude(np.array([0.0, 10e3, 30e3]), np.full(3, 3.0), np.zeros(3))
    assert tau[0] == 0.0 and down[0] < 1.0
    assert np.all(np.diff(tau) > 0.0) and np.all(np.diff(down) >= 0.0)
    assert down[1] < 5_000.0, "near-vertical rise through the cloud tops"


@pytest.mark.parametrize("nominal", [True, False])
def test_boost_profile_method_finds_the_launch_point_after_burnout(estimator, nominal):
    ref = reference(nominal=nominal)
    lat0, lon0 = ref.launch
    for dt in (20.0, 200.0):
        t = ref.flight.rv.burnout.t_s + dt
        le = estimator.estimate_states(ref.flight.rv.state_at(t)[None], P_TRACK, t, t)
        err, _, _ = geodesic_inverse(le.lat_deg[0], le.lon_deg[0], lat0, lon0)
        t_err = le.launch_time_s[0] - ref.flight.launch_time_s
        assert le.method[0] == LaunchMethod.BOOST_PROFILE and le.country[0] == "IRN"
        assert err < 2_000.0, f"launch point error {err / 1e3:.2f} km"
        assert abs(t_err) < 2.0, f"launch time error {t_err:+.2f} s"
        assert le.contains(np.array([lat0]), np.array([lon0]), 0.95)[0]
        assert abs(le.burnout_time_s[0] - ref.flight.rv.burnout.t_s) < 3.0


def test_infrared_observation_pins_the_launch_point(estimator):
    ref = reference()
    lat0, lon0 = ref.launch
    t_ir = ref.flight.launch_time_s + 55.0
    obs = BoostObservations(
        track_ids=np.array([7]),
        time_s=np.array([t_ir]),
        position_ecef=ref.flight.rv.state_at(t_ir)[None, :3],
        covariance=np.eye(3)[None] * 500.0**2,
    )
    t = ref.flight.rv.burnout.t_s + 30.0
    x = ref.flight.rv.state_at(t)[None]
    le = estimator.estimate_states(x, P_TRACK, t, t, track_ids=np.array([7]), boost=obs)
    err, _, _ = geodesic_inverse(le.lat_deg[0], le.lon_deg[0], lat0, lon0)
    assert le.method[0] == LaunchMethod.INFRARED
    assert err < 500.0, f"launch point error {err:.0f} m"
    assert abs(le.launch_time_s[0] - ref.flight.launch_time_s) < 1.0
    assert le.ellipse().semi_major_m[0] < 5_000.0
    # an observation without a track id is matched by consistency; a far one is not
    unassigned = BoostObservations(
        track_ids=np.array([-1, -1]),
        time_s=np.array([t_ir, t_ir]),
        position_ecef=np.stack([obs.position_ecef[0], obs.position_ecef[0] + [3e5, 0.0, 0.0]]),
        covariance=np.repeat(obs.covariance, 2, 0),
    )
    le2 = estimator.estimate_states(x, P_TRACK, t, t, boost=unassigned)
    assert le2.method[0] == LaunchMethod.INFRARED
    far = BoostObservations(
        track_ids=np.array([-1]),
        time_s=np.array([t_ir]),
        position_ecef=unassigned.position_ecef[1:],
        covariance=obs.covariance,
    )
    assert (
        estimator.estimate_states(x, P_TRACK, t, t, boost=far).method[0]
        == LaunchMethod.BOOST_PROFILE
    )


def test_mixture_over_missile_types_widens_the_estimate():
    ref = reference()
    t = ref.flight.rv.burnout.t_s + 30.0
    x = ref.flight.rv.state_at(t)[None]
    one = LaunchPointEstimator.for_missiles([missile("shahab-3")]).estimate_states(x, P_TRACK, t, t)
    two = LaunchPointEstimator.for_missiles(
        [missile("shahab-3"), missile("sejjil")]
    ).estimate_states(x, P_TRACK, t, t)
    assert two.valid[0]
    assert two.ellipse().area_m2[0] >= one.ellipse().area_m2[0]


def test_an_observation_after_burnout_is_not_used(estimator):
    """A 'boost' estimate taken after thrust termination (an IMM slow to switch modes) would
    put the launch point downrange: it is ignored, the boost-profile method answers."""
    ref = reference()
    lat0, lon0 = ref.launch
    t_late = ref.flight.rv.burnout.t_s + 5.0
    late = BoostObservations(
        track_ids=np.array([3]),
        time_s=np.array([t_late]),
        position_ecef=ref.flight.rv.state_at(t_late)[None, :3],
        covariance=np.eye(3)[None] * 100.0**2,
    )
    t = ref.flight.rv.burnout.t_s + 10.0
    x = ref.flight.rv.state_at(t)[None]
    le = estimator.estimate_states(x, P_TRACK, t, t, track_ids=np.array([3]), boost=late)
    err, _, _ = geodesic_inverse(le.lat_deg[0], le.lon_deg[0], lat0, lon0)
    assert le.method[0] == LaunchMethod.BOOST_PROFILE
    assert err < 2_000.0
