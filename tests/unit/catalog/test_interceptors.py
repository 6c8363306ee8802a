"""Interceptor catalog: records, sources, published figures, kill probability, look-up errors."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from bmdsim.catalog import UnknownTypeError, interceptor, interceptors
from bmdsim.catalog.interceptors import (
    InterceptorRole,
    InterceptorType,
    KillMechanism,
    interceptor_from_mapping,
)
from bmdsim.earth.atmosphere import atmosphere
from bmdsim.earth.constants import G0_M_S2

MACH_SEA_LEVEL_M_S = 340.294  # USSA76 speed of sound at 0 m

#: Figures of the project's reference notes (defence.md, from public fact sheets and
#: encyclopaedic articles): role, kill mechanism, max speed [m/s], top of the intercept
#: band [m], max range [m].
PUBLISHED = {
    "sm-3-ib": ("exo", "hit-to-kill", 3000.0, 500e3, 700e3),
    "sm-3-iia": ("exo", "hit-to-kill", 4500.0, 1000e3, 1200e3),
    "sm-6": ("endo", "blast-frag", 3.5 * MACH_SEA_LEVEL_M_S, 35e3, 240e3),
    "pac-3-mse": ("endo", "hit-to-kill", 5.0 * MACH_SEA_LEVEL_M_S, 35e3, 60e3),
    "aster-30-b1": ("endo", "blast-frag", 4.5 * MACH_SEA_LEVEL_M_S, 20e3, 35e3),
}


def test_catalog_holds_the_five_interceptors():
    assert set(interceptors()) == set(PUBLISHED)
    assert all(isinstance(t, InterceptorType) for t in interceptors().values())


def test_unknown_id_error_lists_known_ids():
    with pytest.raises(UnknownTypeError) as info:
        interceptor("thaad")
    assert isinstance(info.value, KeyError)
    message = str(info.value)
    assert "'thaad'" in message
    for known in PUBLISHED:
        assert known in message


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_every_record_cites_sources_and_flags_real_fields_as_estimates(name):
    t = interceptor(name)
    assert t.sources and all(s.strip() for s in t.sources)
    field_names = {f.name for f in dataclasses.fields(InterceptorType)}
    assert t.estimated_fields
    assert set(t.estimated_fields) <= field_names
    assert "stages" in t.estimated_fields  # stage figures are engineering estimates
    published = {"max_speed_m_s", "max_range_m", "max_intercept_alt_m", "role"}
    assert not published & set(t.estimated_fields)


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_records_match_the_published_figures(name):
    role, kill, speed, top_m, range_m = PUBLISHED[name]
    t = interceptor(name)
    assert t.role is InterceptorRole(role)
    assert t.kill_mechanism is KillMechanism(kill)
    assert t.max_speed_m_s == pytest.approx(speed, rel=0.01)
    assert t.max_intercept_alt_m == top_m
    assert t.max_range_m == range_m
    assert 0 <= t.min_intercept_alt_m < t.max_intercept_alt_m
    if role == "exo":
        assert t.min_intercept_alt_m >= 70e3 and t.kill_vehicle_separates
        assert t.divert_delta_v_m_s is not None


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_records_are_physically_sane(name):
    t = interceptor(name)
    assert 0 < t.pk_max <= 1 and t.lethal_radius_m > 0
    assert 2 <= t.navigation_ratio <= 6
    assert t.divert_accel_max_m_s2 > 0 and t.seeker_acquisition_range_m > 0
    assert t.reaction_time_s >= 0 and t.salvo_interval_s >= 0
    assert t.max_time_of_flight_s * t.max_speed_m_s > t.max_range_m  # range reachable in time
    machs = [m for m, _ in t.body_drag_curve]
    assert machs == sorted(machs) and all(cd > 0 for _, cd in t.body_drag_curve)
    for stage in t.stages:
        assert stage.propellant_mass_kg > 0 and stage.burn_time_s > 0
        assert 200 <= stage.isp_vac_s <= 320


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_launch_mass_matches_the_published_value_where_one_is_given(name):
    t = interceptor(name)
    if t.published_launch_mass_kg is None:
        pytest.skip("no published launch mass")
    assert t.launch_mass_kg == pytest.approx(t.published_launch_mass_kg, rel=0.05)


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_ideal_delta_v_leaves_room_for_gravity_and_drag_losses(name):
    """Tsiolkovsky delta-v, recomputed here, exceeds the published max speed by 10-70 %
    (endo-atmospheric interceptors lose most to drag)."""
    t = interceptor(name)
    mass, dv = t.launch_mass_kg, 0.0
    for i, s in enumerate(t.stages):
        dv += s.isp_vac_s * G0_M_S2 * np.log(mass / (mass - s.propellant_mass_kg))
        mass -= s.propellant_mass_kg
        if i < len(t.stages) - 1 or t.kill_vehicle_separates:
            mass -= s.dry_mass_kg
    assert t.ideal_delta_v_m_s == pytest.approx(dv, rel=1e-12)
    ratio = dv / t.max_speed_m_s
    assert 1.1 < ratio < 1.7, f"ideal delta-v / max speed = {ratio:.3f}"


def _peak_speed(t: InterceptorType, *, climb_deg: float, dt: float = 0.01) -> float:
    """Peak speed [m/s] of a point-mass flyout in a vertical plane over a flat Earth:
    thrust ``mdot g0 Isp - p Ae`` along the velocity (straight up for 1 s, then a 2 s
    turn to ``climb_deg``, then a gravity turn), drag ``0.5 rho v^2 Cd(M) A`` with the
    USSA76 atmosphere and the burning stage's cross-section, gravity ``g0 (Re/(Re+h))^2``."""
    r_earth = 6.371e6
    curve = np.array(t.body_drag_curve)
    mass = t.launch_mass_kg
    x = h = 0.0
    vx, vh = 0.0, 1e-3
    clock, peak = 0.0, 0.0
    climb = np.radians(climb_deg)
    for i, s in enumerate(t.stages):
        mdot, area = s.propellant_mass_kg / s.burn_time_s, np.pi * s.diameter_m**2 / 4
        for _ in range(round(s.burn_time_s / dt)):
            rho, p, _, c = (float(q) for q in atmosphere(max(h, 0.0)))
            v = np.hypot(vx, vh)
            thrust = mdot * G0_M_S2 * s.isp_vac_s - p * s.nozzle_exit_area_m2
            if clock < 1.0:
                ux, uh = 0.0, 1.0
            elif clock < 3.0:
                ux, uh = np.cos(climb), np.sin(climb)
            else:
                ux, uh = vx / v, vh / v
            drag = 0.5 * rho * v * np.interp(v / c, curve[:, 0], curve[:, 1]) * area
            g = G0_M_S2 * (r_earth / (r_earth + h)) ** 2
            vx += (thrust * ux - drag * vx) / mass * dt
            vh += ((thrust * uh - drag * vh) / mass - g) * dt
            x += vx * dt
            h += vh * dt
            mass -= mdot * dt
            clock += dt
            peak = max(peak, float(np.hypot(vx, vh)))
        if i < len(t.stages) - 1 or t.kill_vehicle_separates:
            mass -= s.dry_mass_kg
    return peak


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_stage_estimates_reach_the_published_max_speed(name):
    t = interceptor(name)
    climb = 75.0 if t.role is InterceptorRole.EXO else 50.0
    peak = _peak_speed(t, climb_deg=climb, dt=0.02)
    error = peak / t.max_speed_m_s - 1.0
    assert abs(error) < 0.03, f"{name}: peak {peak:.0f} m/s vs {t.max_speed_m_s:.0f} ({error:+.1%})"


def test_kill_probability_is_a_carleton_function_that_broadcasts():
    t = interceptor("sm-6")
    assert t.kill_probability(0.0) == pytest.approx(t.pk_max)
    assert t.kill_probability(t.lethal_radius_m) == pytest.approx(t.pk_max / np.e)
    miss = np.linspace(0.0, 50.0, 12).reshape(3, 4)
    pk = t.kill_probability(miss)
    assert pk.shape == (3, 4)
    assert np.all(np.diff(pk.ravel()) < 0)
    np.testing.assert_allclose(pk, t.pk_max * np.exp(-((miss / t.lethal_radius_m) ** 2)))


def test_hit_to_kill_needs_a_smaller_miss_than_blast_fragmentation():
    assert interceptor("sm-3-ib").lethal_radius_m < interceptor("sm-6").lethal_radius_m
    assert interceptor("pac-3-mse").lethal_radius_m < interceptor("aster-30-b1").lethal_radius_m


@pytest.mark.parametrize("name", sorted(PUBLISHED))
def test_record_round_trips_through_a_mapping(name):
    t = interceptor(name)
    assert interceptor_from_mapping(dataclasses.asdict(t)) == t


def test_returned_table_is_a_copy():
    table = interceptors()
    table.pop("sm-6")
    assert "sm-6" in interceptors()
