"""Flying missiles: staging and separation, guidance errors, profiles, the public API."""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.catalog import missile
from bmdsim.earth import geodesic_direct, geodesic_inverse
from bmdsim.earth.frames import ecef_to_geodetic
from bmdsim.flight import (
    AimError,
    GuidanceError,
    ObjectKind,
    Profile,
    fly,
    fly_many,
    max_range_m,
    predict_impact,
)
from bmdsim.flight.aim import performance_map
from bmdsim.flight.flyout import FlightPlan, fly_out
from bmdsim.flight.vehicle import vehicle_table

LAUNCH = (32.0, 52.0)


def aim_at(m, fraction, azimuth_deg=300.0, launch=LAUNCH):
    lat, lon, _ = geodesic_direct(
        launch[0], launch[1], np.radians(azimuth_deg), fraction * max_range_m(m)
    )
    return float(lat), float(lon)


@pytest.fixture(scope="module")
def sejjil():
    m = missile("sejjil")
    return fly(m, LAUNCH, aim_at(m, 0.8), launch_time_s=100.0)


def test_two_stage_missile_drops_its_first_stage_then_releases_the_rv(sejjil):
    m = sejjil.missile
    s1, s2 = m.stages
    rv = sejjil.rv
    assert [b.label for b in sejjil.boosters] == ["stage 1", "stage 2"]
    first, second = sejjil.boosters
    assert first.start.t_s == pytest.approx(100.0 + s1.burn_time_s)
    assert first.mass_kg[0] == pytest.approx(s1.dry_mass_kg)
    assert second.start.t_s == pytest.approx(rv.burnout.t_s)
    # RV trajectory: launch mass, propellant burnt, stage dropped, then the RV alone
    assert rv.mass_kg[0] == pytest.approx(m.launch_mass_kg)
    at_staging = np.nonzero(np.isclose(rv.t_s, first.start.t_s))[0]
    assert at_staging.size == 2  # one knot before, one after the drop
    before, after = rv.mass_kg[at_staging]
    assert before == pytest.approx(m.launch_mass_kg - s1.propellant_mass_kg, rel=1e-9)
    assert after == pytest.approx(before - s1.dry_mass_kg, rel=1e-9)
    assert rv.mass_kg[-1] == pytest.approx(m.reentry_vehicle.mass_kg)
    burnt = sejjil.solution.cutoff_s - s1.burn_time_s
    left = s2.propellant_mass_kg - burnt * s2.mass_flow_kg_s
    assert second.mass_kg[0] == pytest.approx(s2.dry_mass_kg + left, rel=1e-9)
    assert {b.kind for b in sejjil.boosters} == {ObjectKind.BOOSTER} and rv.kind is ObjectKind.RV
    assert rv.rcs_m2 == m.reentry_vehicle.rcs_m2 and first.rcs_m2 == m.booster_rcs_m2


def test_boost_segments_end_on_the_programme_discontinuities(sejjil):
    rv = sejjil.rv
    t = rv.t_s - rv.start.t_s
    for event in (6.0, 12.0, sejjil.missile.stages[0].burn_time_s, sejjil.solution.cutoff_s):
        assert np.any(np.abs(t - event) < 1e-9), event


def test_spent_stages_fall_short_of_the_rv(sejjil):
    launch = np.array(LAUNCH)
    rng = [geodesic_inverse(*launch, o.impact.lat_deg, o.impact.lon_deg)[0] for o in sejjil.objects]
    assert rng[1] < rng[2] < rng[0]


def test_boost_step_is_converged():
    """RK4 in boost at 0.5 s against 0.125 s: the impact moves by less than 20 m."""
    m = missile("shahab-3")
    table = vehicle_table([m, m])
    plan = FlightPlan(
        lat_deg=np.full(2, 30.0), lon_deg=np.full(2, 50.0), azimuth_rad=np.full(2, 1.0),
        pitch_over_rad=np.full(2, 0.15), cutoff_s=np.full(2, 105.0), speed_error_m_s=np.zeros(2),
        speed_error_fraction=np.zeros(2), failed=np.zeros(2, bool),
    )  # fmt: skip
    a = fly_out(table, plan, boosters=False, dense=False, boost_step_s=0.5)
    b = fly_out(table, plan, boosters=False, dense=False, boost_step_s=0.125)
    d = np.linalg.norm(a.impact_state[0, :3] - b.impact_state[0, :3])
    assert d < 20.0, f"{d:.1f} m"


def test_a_pitch_over_too_flat_crashes_during_boost_and_is_reported():
    m = missile("shahab-3")
    table = vehicle_table([m])
    plan = FlightPlan(
        lat_deg=np.array([30.0]), lon_deg=np.array([50.0]), azimuth_rad=np.array([1.0]),
        pitch_over_rad=np.array([1.2]), cutoff_s=np.array([110.0]), speed_error_m_s=np.zeros(1),
        speed_error_fraction=np.zeros(1), failed=np.zeros(1, bool),
    )  # fmt: skip
    out = fly_out(table, plan)
    assert out.impact_t_s[0] < 110.0 and abs(ecef_to_geodetic(out.impact_state[0, :3])[2]) < 1.0


@pytest.fixture(scope="module")
def shahab_errors():
    m = missile("shahab-3")
    aim = aim_at(m, 0.7)
    errors = [
        None,
        GuidanceError(early_cutoff_s=5.0),
        GuidanceError(burnout_speed_error_m_s=30.0),
        GuidanceError(burnout_speed_error_fraction=-0.01),
        GuidanceError(azimuth_bias_rad=np.radians(2.0)),
        GuidanceError(failed_stage=0, failure_time_s=60.0),
    ]
    return fly_many(m, LAUNCH, aim, guidance_errors=errors)


def test_guidance_errors_act_in_physical_units(shahab_errors):
    nominal, early, faster, slower, _biased, failed = shahab_errors.flights
    base = nominal.rv
    ground = [
        geodesic_inverse(*LAUNCH, f.rv.impact.lat_deg, f.rv.impact.lon_deg)
        for f in shahab_errors.flights
    ]
    # early cut-off: thrust ends 5 s sooner, the RV falls short
    assert early.rv.burnout.t_s == pytest.approx(base.burnout.t_s - 5.0)
    assert ground[1][0] < ground[0][0] - 50e3
    # burnout speed error: +30 m/s, -1 %, along the velocity
    v0 = np.linalg.norm(base.burnout.state[3:])
    assert np.linalg.norm(faster.rv.burnout.state[3:]) == pytest.approx(v0 + 30.0, abs=1e-6)
    assert np.linalg.norm(slower.rv.burnout.state[3:]) == pytest.approx(0.99 * v0, abs=1e-6)
    assert ground[2][0] > ground[0][0] > ground[3][0]
    # azimuth bias: +2 deg turns the flight plane clockwise
    turn = np.degrees(ground[4][1] - ground[0][1])
    assert 1.5 < turn < 2.5, turn
    # stage failure: thrust stops 60 s after ignition, no separation, the stack falls
    assert failed.rv.burnout.t_s == pytest.approx(60.0)
    assert failed.boosters == () and failed.rv_separation_s is None
    assert nominal.rv_separation_s == pytest.approx(nominal.rv.burnout.t_s)
    assert failed.rv.mass_kg[-1] > nominal.rv.mass_kg[-1] + 1000.0
    # every flight shares the nominal solution
    assert len({f.solution for f in shahab_errors.flights}) == 1


def test_thrust_terminated_before_lift_off_leaves_the_missile_on_its_pad():
    m = missile("shahab-3")
    f = fly(m, LAUNCH, aim_at(m, 0.5), guidance_error=GuidanceError(early_cutoff_s=500.0))
    assert f.rv.impact.t_s == 0.0 and f.boosters == ()
    assert geodesic_inverse(*LAUNCH, f.rv.impact.lat_deg, f.rv.impact.lon_deg)[0] < 1.0


def test_guidance_error_record_validates_its_fields():
    with pytest.raises(ValueError, match="early_cutoff_s"):
        GuidanceError(early_cutoff_s=-1.0)
    with pytest.raises(ValueError, match="fraction"):
        GuidanceError(burnout_speed_error_fraction=1.5)
    assert GuidanceError().is_nominal and not GuidanceError(early_cutoff_s=1.0).is_nominal
    m = missile("shahab-3")
    with pytest.raises(ValueError, match="failed_stage"):
        fly(m, LAUNCH, aim_at(m, 0.5), guidance_error=GuidanceError(failed_stage=1))


def test_profiles_order_apogee_and_flight_time():
    m = missile("emad")
    aim = aim_at(m, 0.6)
    raid = fly_many(m, LAUNCH, aim, profiles=["lofted", Profile.MINIMUM_ENERGY, "depressed"])
    lofted, me, depressed = (f.rv for f in raid.flights)
    assert lofted.apogee.alt_m > me.apogee.alt_m > depressed.apogee.alt_m
    assert lofted.end_s > me.end_s > depressed.end_s
    for f in raid.flights:
        assert geodesic_inverse(*aim, f.rv.impact.lat_deg, f.rv.impact.lon_deg)[0] < 100.0
    # full burn on the lofted/depressed branches at 60 % of range; the minimum-energy burn is cut
    total = m.total_burn_time_s
    assert raid[0].solution.cutoff_s == pytest.approx(total)
    assert raid[1].solution.cutoff_s < total


def test_fly_many_broadcasts_and_checks_shapes():
    m = missile("shahab-3")
    aims = [aim_at(m, f) for f in (0.4, 0.6)]
    raid = fly_many(m, LAUNCH, aims, launch_times_s=[0.0, 30.0])
    assert len(raid) == 2 and raid[1].launch_time_s == 30.0
    assert raid[1].rv.start.t_s == 30.0
    with pytest.raises(ValueError, match="aims"):
        fly_many(m, [LAUNCH, LAUNCH, LAUNCH], aims)
    # one launch point and one aim for three launch times: three flights
    assert len(fly_many(m, LAUNCH, aims[0], launch_times_s=[0.0, 1.0, 2.0])) == 3
    with pytest.raises(ValueError, match="profiles"):
        fly_many(m, LAUNCH, aims, profiles=["lofted"])


def test_flights_are_deterministic():
    m = missile("fattah-1")
    a = fly(m, LAUNCH, aim_at(m, 0.5))
    b = fly(m, LAUNCH, aim_at(m, 0.5))
    assert np.array_equal(a.rv.states, b.rv.states) and a.solution == b.solution


def test_aim_error_is_a_value_error_with_the_figures():
    m = missile("kheibar-shekan")
    with pytest.raises(AimError) as info:
        fly(m, LAUNCH, aim_at(m, 1.5))
    assert isinstance(info.value, ValueError)
    assert info.value.max_range_m == pytest.approx(max_range_m(m))


def test_performance_map_is_monotone_and_gives_max_range():
    pm = performance_map(missile("sejjil"))
    assert np.all(np.diff(pm.best_range_m) >= 0.0)
    assert pm.max_range_m == pytest.approx(pm.best_range_m[-1], rel=1e-6)
    assert pm.full_range_m.max() <= pm.max_range_m * 1.001
    assert pm.pitch_for_cutoff(pm.cutoff_s[-1]) == pytest.approx(pm.max_pitch_rad)


def test_dense_output_agrees_with_repropagation_from_a_midcourse_state():
    """The RV's interpolated state mid-coast, propagated again (same drag curve and beta),
    lands within a few metres of the RV's impact."""
    m = missile("shahab-3")
    f = fly(m, LAUNCH, aim_at(m, 0.8))
    rv = f.rv
    t_mid = 0.5 * (rv.burnout.t_s + rv.end_s) + 0.37
    state = rv.state_at(t_mid)
    beta = m.reentry_vehicle.ballistic_coefficient_kg_m2
    imp = predict_impact(state[None], t0_s=t_mid, ballistic_coefficient_kg_m2=beta)
    d = np.linalg.norm(imp.state[0, :3] - rv.impact.state[:3])
    assert d < 5.0, f"{d:.2f} m"
    assert imp.t_s[0] == pytest.approx(rv.impact.t_s, abs=0.01)
