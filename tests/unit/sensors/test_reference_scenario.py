"""The reference scenario dortyol-2026-03-04 through the flight layer and the sensors:
infrared sees the boost within the reported timelines, Kürecik and the destroyer first detect
the threat at plausible times and ranges (printed with ``-s``).

Timelines (../shared/reference/): space IR detects boost plumes "within seconds to tens of
seconds of launch" (defence.md); the whole kill chain — threat identified, trajectory
confirmed, systems alerted, interceptor launched — took under 10 minutes
(event-2026-03-04.md); an MRBM flight of ~1,000-1,300 km lasts ~8-12 minutes
(validation.md), so first detections must come within the first few minutes of flight.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from bmdsim.earth import ecef_to_geodetic
from bmdsim.flight import GuidanceError, fly
from bmdsim.scenario import load_scenario
from bmdsim.sensors import DetectionMode, Radar, SpaceInfrared, sensors_from_scenario
from bmdsim.sensors.flight_truth import truth_from_flights


def _guidance_error(spec) -> GuidanceError:
    failure = spec.stage_failure
    return GuidanceError(
        azimuth_bias_rad=math.radians(spec.azimuth_bias_deg),
        burnout_speed_error_m_s=spec.burnout_speed_error_m_s or 0.0,
        burnout_speed_error_fraction=spec.burnout_speed_error_frac or 0.0,
        early_cutoff_s=spec.early_cutoff_s,
        failed_stage=None if failure is None else failure.stage,
        failure_time_s=0.0 if failure is None else failure.time_s,
    )


@pytest.fixture(scope="module")
def run():
    scenario = load_scenario("dortyol-2026-03-04")
    threat = scenario.threats[0]
    flight = fly(
        threat.missile_type,
        (threat.launch.lat_deg, threat.launch.lon_deg),
        (threat.aim.lat_deg, threat.aim.lon_deg),
        launch_time_s=threat.launch.time_s,
        profile=threat.profile.value,
        guidance_error=_guidance_error(threat.guidance_error),
    )
    t = np.arange(0.0, max(o.end_s for o in flight.objects) + 2.0, 1.0)
    truth = truth_from_flights({threat.id: flight}, t)
    suite = sensors_from_scenario(scenario)
    found = suite.observe(0.0, float(t[-1]), truth)
    return scenario, flight, truth, suite, found


def _first(found, sensor_id):
    mine = found.take((found.sensor_id == sensor_id) & ~found.truth.false_alarm)
    return mine


def test_space_infrared_sees_the_boost_within_tens_of_seconds(run):
    scenario, flight, truth, suite, found = run
    launch, burnout = flight.launch_time_s, flight.rv.burnout.t_s
    ir = [s for s in suite.sensors if isinstance(s, SpaceInfrared)]
    assert len(ir) >= 2
    firsts = []
    for s in ir:
        mine = _first(found, s.id)
        assert len(mine) > 10, f"{s.id} saw the plume {len(mine)} times"
        assert np.all(mine.t_s <= burnout), "infrared sees the plume only while it burns"
        assert set(mine.truth.object_id) == {f"{scenario.threats[0].id}/rv"}
        alt = ecef_to_geodetic(truth.state_at(mine.t_s[:1])[0, 0, :3])[2]
        firsts.append(mine.t_s[0] - launch)
        print(
            f"\n{s.id}: first detection T+{firsts[-1]:.1f} s at {alt / 1e3:.1f} km altitude, "
            f"{len(mine)} detections until burnout T+{burnout - launch:.1f} s"
        )
    assert max(firsts) < 90.0, f"first IR detections at T+{firsts} s"
    assert min(firsts) > 10.0, "the plume is hidden below the cloud tops at lift-off"


def test_kurecik_and_the_destroyer_first_detect_at_plausible_times_and_ranges(run):
    _, flight, truth, suite, found = run
    launch = flight.launch_time_s
    impact = flight.rv.impact.t_s
    radars = [s for s in suite.sensors if isinstance(s, Radar)]
    assert {r.type.id for r in radars} == {"an-tpy-2-fbm", "spy-1d"}
    for r in radars:
        mine = _first(found, r.id)
        assert len(mine) > 0, f"{r.id} never detected the threat"
        assert np.all(mine.mode == DetectionMode.SEARCH)  # no cues given in this test
        k = 0
        obj = list(truth.object_id).index(mine.truth.object_id[k])
        state = truth.state_at(mine.t_s[k : k + 1])[0, obj]
        rng_km = np.linalg.norm(state[:3] - mine.sensor_position_ecef[k]) / 1e3
        alt_km = ecef_to_geodetic(state[:3])[2] / 1e3
        t_after = mine.t_s[k] - launch
        print(
            f"\n{r.id}: first detection T+{t_after:.1f} s of {mine.truth.object_id[k]}, "
            f"range {rng_km:.0f} km, altitude {alt_km:.0f} km, SNR {mine.snr_db[k]:.1f} dB; "
            f"{len(mine)} search detections; impact T+{impact - launch:.0f} s"
        )
        assert 20.0 < t_after < 240.0, f"{r.id} first detection at T+{t_after:.0f} s"
        assert rng_km <= r.type.max_range_m / 1e3
        assert t_after < impact - launch - 240.0, (
            "first detection leaves minutes for the kill chain"
        )


def test_flight_truth_carries_stack_and_rv_signatures(run):
    scenario, flight, truth, _, _ = run
    m = flight.missile
    rv = list(truth.object_id).index(f"{scenario.threats[0].id}/rv")
    separation = min(b.start.t_s for b in flight.boosters)
    t = truth.t_s
    rcs = truth.rcs_m2[:, rv]
    assert np.all(rcs[t < separation] == m.booster_rcs_m2)
    assert np.all(rcs[t >= separation] == m.reentry_vehicle.rcs_m2)
    for b in range(truth.n_objects):
        if b != rv:
            assert np.all(truth.rcs_m2[:, b] == m.booster_rcs_m2)
            assert np.all(truth.ir_intensity_w_sr[:, b] == 0.0)
    ir = truth.ir_intensity_w_sr[:, rv]
    burning = (t >= flight.launch_time_s) & (t < flight.rv.burnout.t_s)
    stage = m.stages[0]
    expected = 0.3 * stage.mass_flow_kg_s * stage.isp_vac_s * 9.80665
    np.testing.assert_allclose(ir[burning], expected)
    assert np.all(ir[~burning] == 0.0)
    np.testing.assert_allclose(
        truth.state_at(t[burning][-1:])[0, rv], flight.rv.state_at(t[burning][-1]), rtol=1e-12
    )
