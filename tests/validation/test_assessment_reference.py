"""The reference event through the assessment: launch point, category, intended target.

Reference: ../shared/reference/event-2026-03-04.md (fired from Iran; headed for Türkiye,
an Ally; a Turkish official said it may have been aimed at a military installation in
Cyprus, not an Ally, and veered off course) and places.md (RAF Akrotiri 34.59 N 32.99 E, in
the UK Sovereign Base Area: ``country_at`` reports GBR there, a NATO member, while the rest
of the island is CYP). The flight layer flies the scenario's threat; the radar and tracker
chain of ``assessment_helpers`` confirms a track (the scenario's seed); the scenario's
:class:`~bmdsim.assessment.Assessor` assesses it. Figures are printed with ``-s``.
"""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.assessment import Assessor, LaunchMethod, ThreatCategory
from bmdsim.earth.geodesic import geodesic_inverse
from tests.unit.assessment.assessment_helpers import (
    confirm_tracks,
    infrared_launch_detection,
    reference,
)


@pytest.fixture(scope="module")
def confirmed():
    ref = reference()
    seed = ref.scenario.seed
    c = confirm_tracks(ref, [seed])
    boost = infrared_launch_detection(ref, seed, track_id=int(c.tracks.ids[0]))
    step = Assessor.from_scenario(ref.scenario).step(
        c.tracks, float(c.tracks.times_s[0]), boost=boost
    )
    return ref, c, step


def test_launch_point_within_5_km_at_confirmation(confirmed):
    ref, c, step = confirmed
    le = step.launches
    lat0, lon0 = ref.launch
    err, _, _ = geodesic_inverse(le.lat_deg[0], le.lon_deg[0], lat0, lon0)
    dt = le.launch_time_s[0] - ref.flight.launch_time_s
    # the same track without the infrared detection: the boost-profile method alone
    prior = Assessor.from_scenario(ref.scenario).launch_estimator.estimate(
        c.tracks, float(c.tracks.times_s[0])
    )
    err_prior, _, _ = geodesic_inverse(prior.lat_deg[0], prior.lon_deg[0], lat0, lon0)
    print(
        f"\nlaunch point at confirmation (T+{c.tracks.times_s[0] - ref.flight.launch_time_s:.0f}"
        f" s): error {err / 1e3:.2f} km, launch time {dt:+.1f} s, 95 % ellipse "
        f"{le.ellipse().semi_major_m[0] / 1e3:.1f} x {le.ellipse().semi_minor_m[0] / 1e3:.1f} km "
        f"({LaunchMethod(int(le.method[0])).name.lower()}, {le.country[0]}); boost profile "
        f"alone: {err_prior / 1e3:.2f} km, {prior.launch_time_s[0] - ref.flight.launch_time_s:+.1f} s"
    )
    assert le.method[0] == LaunchMethod.INFRARED
    assert le.country[0] == "IRN"
    assert err <= 5_000.0, f"launch point error {err / 1e3:.2f} km"
    assert abs(dt) <= 10.0, f"launch time error {dt:+.1f} s"
    assert err_prior <= 10_000.0, f"boost-profile launch point error {err_prior / 1e3:.2f} km"


def test_reference_threat_is_a_threat_to_allied_territory_with_turkiye_most_likely(confirmed):
    _, _, step = confirmed
    th = step.threats
    probs = {
        c: round(float(p), 3) for c, p in zip(th.countries, th.country_probability[0], strict=True)
    }
    print(
        f"\ncategory at confirmation: {ThreatCategory(int(th.category[0])).label}; countries "
        f"{probs}; P(Allied) {th.p_allied[0]:.2f}; nearest place {th.nearest_place[0]}"
    )
    assert th.category[0] == ThreatCategory.ALLIED_TERRITORY
    land = {c: p for c, p in probs.items() if c != "sea"}
    assert max(land, key=land.get) == "TUR"
    assert th.most_likely_land_country[0] == "TUR"
    assert th.allied[list(th.countries).index("TUR")]


def test_same_missile_without_guidance_error_is_evaluated_as_aimed_at_cyprus():
    """At confirmation the impact distribution centres on the Akrotiri area of Cyprus (the
    island is CYP, not an Ally, but for the Sovereign Base Area, GBR); no Türkiye at all.
    Later in flight, the ellipse shrinks onto RAF Akrotiri (a defended asset)."""
    ref = reference(nominal=True)
    c = confirm_tracks(ref, [ref.scenario.seed])
    assessor = Assessor.from_scenario(ref.scenario)
    step = assessor.step(c.tracks, float(c.tracks.times_s[0]))
    th, imp = step.threats, step.impacts
    probs = {
        c: round(float(p), 3) for c, p in zip(th.countries, th.country_probability[0], strict=True)
    }
    akrotiri = (34.59, 32.99)
    miss, _, _ = geodesic_inverse(imp.lat_deg[0], imp.lon_deg[0], *akrotiri)
    print(
        f"\nnominal flight at confirmation: mean impact {miss / 1e3:.1f} km from RAF Akrotiri, "
        f"95 % ellipse {imp.ellipse_semi_major_m[0] / 1e3:.0f} km; countries {probs}; most "
        f"likely land country {th.most_likely_land_country[0]}, territory "
        f"{th.most_likely_territory[0]}; category {ThreatCategory(int(th.category[0])).label}"
    )
    assert th.most_likely_land_country[0] == "CYP"
    assert probs.get("TUR", 0.0) == 0.0
    assert imp.contains(np.array([akrotiri[0]]), np.array([akrotiri[1]]), 0.95)[0]
    # late in flight (one minute before impact) the prediction sits on RAF Akrotiri
    t_late = ref.impact.t_s - 60.0
    state = ref.flight.rv.state_at(t_late)[None]
    late = c.tracks.with_(
        states=state,
        covariances=np.diag([30.0, 30, 30, 3, 3, 3])[None] ** 2,
        times_s=np.array([t_late]),
    )
    step = assessor.step(late, t_late)
    th = step.threats
    print(
        f"one minute before impact: most likely {th.most_likely_country[0]} "
        f"({th.most_likely_territory[0]}, near {th.nearest_place[0]}), category "
        f"{ThreatCategory(int(th.category[0])).label}"
    )
    assert th.most_likely_territory[0] == "Akrotiri"
    assert th.nearest_place[0] == "RAF Akrotiri"
    assert th.category[0] == ThreatCategory.DEFENDED_ASSET
