"""Debris of the reference intercept (scenario ``dortyol-2026-03-04``): public account
(event-2026-03-04.md, places.md) — the threat was intercepted and its debris fell in the
Dörtyol district of Hatay (Dörtyol at 36.84 N, 36.23 E).

Threat, launch, aim and guidance error as in the bundled scenario (a Shahab-3, RV 1,000 kg,
from near Mahabad at RAF Akrotiri, misguided onto Dörtyol). Intercept 80 s before the RV's
impact, about 116 km up and 150 km up-range, by the scenario's SM-3 Block IB kill vehicle
(23 kg) flying at 3 km/s along the line of sight from the destroyer's station: a closing
speed of about 5.2 km/s.
"""

from __future__ import annotations

import time

import numpy as np
import pytest
import shapely

import bmdsim
from bmdsim.catalog import interceptor, missile
from bmdsim.core.random import stream
from bmdsim.earth import ecef_to_enu, geodesic_inverse, geodetic_to_ecef
from bmdsim.earth.frames import ecef_to_geodetic
from bmdsim.flight import DebrisModel, GuidanceError, fly, impact_report, intercept_debris

DORTYOL = (36.84, 36.23)


@pytest.fixture(scope="module")
def reference():
    scenario = bmdsim.load_scenario("dortyol-2026-03-04")
    threat_spec = scenario.threats[0]
    ge = threat_spec.guidance_error
    kind = missile(threat_spec.missile)
    rv = fly(
        kind,
        (threat_spec.launch.lat_deg, threat_spec.launch.lon_deg),
        (threat_spec.aim.lat_deg, threat_spec.aim.lon_deg),
        launch_time_s=threat_spec.launch.time_s,
        guidance_error=GuidanceError(
            azimuth_bias_rad=np.radians(ge.azimuth_bias_deg), early_cutoff_s=ge.early_cutoff_s
        ),
    ).rv
    unit = next(u for u in scenario.fire_units if u.interceptor == "sm-3-ib")
    ship = next(p for p in scenario.platforms if p.id == unit.platform).waypoints[0]
    kv_kg = interceptor(unit.interceptor).kill_vehicle_mass_kg
    t_int = rv.impact.t_s - 80.0
    threat = rv.state_at(t_int)
    los = threat[:3] - geodetic_to_ecef(ship.lat_deg, ship.lon_deg, 0.0)
    kv = np.concatenate([threat[:3], 3000.0 * los / np.linalg.norm(los)])
    t0 = time.perf_counter()
    debris = intercept_debris(
        threat, kind.reentry_vehicle.mass_kg, kv, kv_kg, t_int, stream(scenario.seed, "debris", "T1"),
        model=DebrisModel(n_fragments=2000),
    )  # fmt: skip
    return rv, t_int, debris, time.perf_counter() - t0


def distance_to_polygon_m(polygon, lat_deg, lon_deg) -> float:
    """Distance [m] from a point to a (lon, lat) polygon, in the point's tangent plane."""
    ring = np.asarray(polygon.exterior.coords)
    xy = ecef_to_enu(geodetic_to_ecef(ring[:, 1], ring[:, 0], 0.0), lat_deg, lon_deg, 0.0)
    return float(shapely.Polygon(xy[:, :2]).distance(shapely.Point(0.0, 0.0)))


def test_reference_intercept_debris_falls_around_dortyol(reference):
    rv, t_int, debris, wall_s = reference
    fp = debris.footprint
    lat_i, lon_i, alt_i = ecef_to_geodetic(debris.fragments.states[0, :3])
    up_range = geodesic_inverse(lat_i, lon_i, rv.impact.lat_deg, rv.impact.lon_deg)[0]
    d_poly = distance_to_polygon_m(fp.polygon, *DORTYOL)
    d_centre = geodesic_inverse(*DORTYOL, fp.centre_lat_deg, fp.centre_lon_deg)[0]
    print(
        f"\nintercept t = {t_int:.1f} s at {lat_i:.3f} N {lon_i:.3f} E, {alt_i / 1e3:.1f} km up, "
        f"{up_range / 1e3:.0f} km up-range; closing {debris.fragments.closing_speed_m_s:.0f} m/s, "
        f"{debris.fragments.specific_energy_j_g:.0f} J/g"
        f"\n{len(debris.fragments)} fragments ({debris.fragments.count.sum():.0f} real > 1 cm), "
        f"breakup + fall + footprint {wall_s:.2f} s; last impact "
        f"{np.nanmax(debris.impacts.t_s) - t_int:.0f} s after the intercept"
        f"\n95 % footprint {fp.area_m2 / 1e6:.0f} km^2, centre {fp.centre_lat_deg:.3f} N "
        f"{fp.centre_lon_deg:.3f} E ({d_centre / 1e3:.1f} km from Dörtyol), "
        f"Dörtyol {d_poly / 1e3:.1f} km from the polygon"
        f"\ncountries by mass: "
        + ", ".join(f"{c.country or 'sea'} {c.mass_kg:.1f} kg" for c in fp.country_masses[:4])
        + "\nplaces: "
        + ", ".join(f"{p.name} ({p.distance_m / 1e3:.1f} km)" for p in fp.places)
    )  # fmt: skip
    assert 100e3 <= alt_i <= 150e3 and 120e3 <= up_range <= 180e3
    assert d_poly <= 25e3, f"Dörtyol {d_poly / 1e3:.1f} km from the 95 % polygon"
    assert fp.countries[0] == "TUR" and fp.country_masses[0].fraction > 0.9
    assert "Dörtyol" in [p.name for p in fp.places]
    assert fp.mass_inside_kg >= 0.95 * fp.landed_mass_kg
    assert debris.impacts.landed.all()
    assert fp.landed_mass_kg == pytest.approx(1023.0, rel=1e-12)


def test_unintercepted_reference_threat_reports_impact_in_turkiye(reference):
    rv = reference[0]
    report = impact_report(rv.impact.lat_deg, rv.impact.lon_deg)
    print(
        f"\nunintercepted impact {report.lat_deg:.3f} N {report.lon_deg:.3f} E, {report.country}: "
        + ", ".join(f"{p.name} ({p.distance_m / 1e3:.1f} km)" for p in report.places)
    )
    assert report.country == "TUR"
    assert report.places[0].name == "Dörtyol" and report.places[0].distance_m < 10e3
