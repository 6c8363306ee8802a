"""The reference flight of the bundled scenario ``dortyol-2026-03-04`` (event-2026-03-04.md,
places.md): a Shahab-3 aimed from north-western Iran at RAF Akrotiri (34.59, 32.99) whose
guidance error puts its impact near Dörtyol, Hatay (36.84, 36.23).

The guidance errors below were found by Newton iteration on (azimuth bias, early cut-off)
with :func:`bmdsim.flight.fly`; the tests check that they land within 10 km of Dörtyol.

Geometry, checked here against the borders of :func:`bmdsim.earth.country_at`: from Tabriz
(38.08, 46.29) every ballistic path toward Akrotiri or Dörtyol first crosses Türkiye's Hakkari
province (the Iran-Iraq-Türkiye tripoint is at 37.14 N, south of the path), and the
Tabriz -> Dörtyol path stays in Türkiye all the way; a path "through Iraqi and Syrian
airspace" (as reported) needs a launch point farther south, e.g. Mahabad (36.76, 45.72).
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bmdsim.catalog import missile
from bmdsim.earth import country_at, geodesic_inverse
from bmdsim.flight import GuidanceError, fly

AKROTIRI = (34.59, 32.99)
DORTYOL = (36.84, 36.23)
TABRIZ = (38.08, 46.29)
MAHABAD = (36.76, 45.72)
#: Launch azimuth error and early thrust termination that take a Shahab-3 aimed at
#: Akrotiri to Dörtyol.
ERROR_FROM_TABRIZ = GuidanceError(azimuth_bias_rad=np.radians(8.74), early_cutoff_s=5.40)
ERROR_FROM_MAHABAD = GuidanceError(azimuth_bias_rad=np.radians(12.07), early_cutoff_s=5.45)


@pytest.fixture(scope="module")
def flights():
    m = missile("shahab-3")
    return {
        "nominal": fly(m, TABRIZ, AKROTIRI),
        "tabriz": fly(m, TABRIZ, AKROTIRI, guidance_error=ERROR_FROM_TABRIZ),
        "mahabad": fly(m, MAHABAD, AKROTIRI, guidance_error=ERROR_FROM_MAHABAD),
    }


def distance_m(point, lat, lon) -> float:
    return float(geodesic_inverse(point[0], point[1], lat, lon)[0])


def test_nominal_flight_lands_on_akrotiri(flights):
    rv = flights["nominal"].rv
    assert distance_m(AKROTIRI, rv.impact.lat_deg, rv.impact.lon_deg) <= 100.0
    assert rv.overflown()[-1].country == "GBR"  # the Sovereign Base Area


@pytest.mark.parametrize("key", ["tabriz", "mahabad"])
def test_guidance_error_lands_near_dortyol(flights, key):
    rv = flights[key].rv
    d = distance_m(DORTYOL, rv.impact.lat_deg, rv.impact.lon_deg)
    assert d <= 10_000.0, f"{key}: impact {d / 1e3:.2f} km from Dörtyol"
    assert country_at(rv.impact.lat_deg, rv.impact.lon_deg) == "TUR"
    # same nominal solution, the error applied on top
    assert flights[key].solution.miss_m <= 100.0


def overflown_codes(traj):
    return [o.country for o in traj.overflown()]


def test_overflown_from_tabriz_is_iran_then_turkiye(flights):
    assert overflown_codes(flights["tabriz"].rv) == ["IRN", "TUR"]
    assert overflown_codes(flights["nominal"].rv)[:3] == ["IRN", "TUR", "IRQ"]


def test_overflown_from_mahabad_crosses_iraq_and_syria_before_turkiye(flights):
    codes = overflown_codes(flights["mahabad"].rv)
    assert codes[:4] == ["IRN", "IRQ", "SYR", "TUR"]
    assert codes[-1] == "TUR"


@pytest.mark.parametrize("key", ["tabriz", "mahabad", "nominal"])
def test_overflown_times_are_ordered_and_agree_with_a_dense_track(flights, key):
    rv = flights[key].rv
    crossings = rv.overflown()
    assert crossings[0].entry_s == rv.start.t_s
    for a, b in itertools.pairwise(crossings):
        assert a.entry_s < a.exit_s <= b.entry_s
    # independent: the country under the track every 0.05 s, away from the crossings
    t = np.arange(rv.start.t_s, rv.end_s, 0.05)
    lat, lon, _ = rv.geodetic_at(t)
    code = np.asarray(country_at(lat, lon), dtype=object)
    for c in crossings:
        inside = (t > c.entry_s + 0.01) & (t < c.exit_s - 0.01)
        assert np.all(code[inside] == c.country), c
    land = np.array([x is not None for x in code])
    covered = np.zeros(t.size, bool)
    for c in crossings:
        covered |= (t >= c.entry_s - 0.01) & (t <= c.exit_s + 0.01)
    assert np.all(covered[land])
