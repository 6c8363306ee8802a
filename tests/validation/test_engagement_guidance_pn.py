"""Proportional navigation against its textbook solution, and hit-to-kill miss distances.

References:

* Zarchan, *Tactical and Strategic Missile Guidance* (AIAA), ch. 2: in the linearised
  engagement (constant closing speed ``Vc``, zero-lag guidance, non-manoeuvring target) a
  heading error ``He`` makes proportional navigation command
  ``n_c(t) = -V_M He N' / t_F (1 - t/t_F)^(N' - 2)``, with ``t_F = R_0 / Vc``: constant
  for ``N' = 2``, falling linearly to zero at intercept for ``N' = 3``, quadratically for
  ``N' = 4``, cubically for ``N' = 5`` -- a larger ``N'`` corrects earlier and ends with less
  acceleration. The miss is zero.
* The same law in 3-D, flown by the full interceptor model against a ballistic target with
  perfect information, must hit (miss < 1 m); with seeker angle noise the miss distribution
  is reported.
"""

from __future__ import annotations

import os

import numpy as np
import pytest

from bmdsim.catalog import interceptor
from bmdsim.earth.frames import geodetic_to_ecef
from bmdsim.engagement.flyout import InterceptorFlight, InterceptorLaunch
from bmdsim.engagement.guidance import ProportionalNavigation, Seeker
from bmdsim.engagement.planning import EngagementPlanner, Launcher
from bmdsim.engagement.prediction import PredictedTrajectories
from bmdsim.engagement.threats import ThreatCategory, ThreatReport
from tests.unit.engagement.synthetic import SHIP_LAT_LON, THREAT_STATE, THREAT_T0_S


def _linear_engagement(ratios, *, v_m=3000.0, v_t=1000.0, r0=40_000.0, he_deg=0.5, dt=1e-3):
    """Head-on planar engagement, the missile launched off the collision course by ``He``;
    the batch flies one missile per navigation ratio. Returns times, commands (lateral,
    along the initial normal) and final misses."""
    n = len(ratios)
    he = np.radians(he_deg)
    pm = np.zeros((n, 3))
    vm = np.tile([v_m * np.cos(he), v_m * np.sin(he), 0.0], (n, 1))
    pt = np.tile([r0, 0.0, 0.0], (n, 1))
    vt = np.tile([-v_t, 0.0, 0.0], (n, 1))
    law = ProportionalNavigation()
    nav = np.asarray(ratios, dtype=float)

    def accel(pm, vm):
        return law.command(pt_now - pm, vt - vm, nav)

    t_f = r0 / (v_m + v_t)
    steps = round(0.999 * t_f / dt)
    ts, cmds = [], []
    t = 0.0
    for _ in range(steps):  # classical RK4 on the missile, the target moves uniformly
        pt_now = pt + vt * t
        a1 = accel(pm, vm)
        ts.append(t)
        cmds.append(a1[:, 1])
        pt_now = pt + vt * (t + dt / 2)
        a2 = accel(pm + vm * dt / 2, vm + a1 * dt / 2)
        a3 = accel(pm + (vm + a1 * dt / 2) * dt / 2, vm + a2 * dt / 2)
        pt_now = pt + vt * (t + dt)
        a4 = accel(pm + (vm + a2 * dt / 2) * dt, vm + a3 * dt)
        pm = pm + dt * (vm + dt / 6 * (a1 + a2 + a3))
        vm = vm + dt / 6 * (a1 + 2 * a2 + 2 * a3 + a4)
        t += dt
    # closest approach of the remaining (straight-line) relative motion
    dr, dv = (pt + vt * t) - pm, vt - vm
    miss = np.linalg.norm(np.cross(dr, dv), axis=1) / np.linalg.norm(dv, axis=1)
    return np.array(ts), np.array(cmds), miss, t_f


def test_pn_command_history_matches_zarchan_closed_form_for_ratios_3_to_5():
    ratios = [3.0, 4.0, 5.0]
    v_m, he = 3000.0, np.radians(0.5)
    t, cmd, miss, t_f = _linear_engagement(ratios, v_m=v_m, he_deg=0.5)
    msgs = []
    for j, n in enumerate(ratios):
        ref = -v_m * he * n / t_f * (1.0 - t / t_f) ** (n - 2.0)
        sel = t <= 0.95 * t_f
        err = np.max(np.abs(cmd[sel, j] - ref[sel])) / abs(ref[0])
        msgs.append(
            f"N'={n:g}: max error {err:.3%} of n_c(0) = {abs(ref[0]):.2f} m/s^2, miss {miss[j]:.2e} m"
        )
        assert err < 1e-3, "; ".join(msgs)
        assert miss[j] < 0.05, "; ".join(msgs)
    # the textbook behaviour: larger N' commands more at first and less near the end
    early, late = cmd[0], cmd[int(0.8 * t_f / (t[1] - t[0]))]
    assert np.all(np.diff(np.abs(early)) > 0) and np.all(np.diff(np.abs(late)) < 0), msgs
    print("; ".join(msgs))


@pytest.fixture(scope="module")
def engagement(tmp_path_factory):
    """The SM-3 from the destroyer's station against the synthetic ballistic threat."""
    old = os.environ.get("BMDSIM_CACHE_DIR")
    os.environ["BMDSIM_CACHE_DIR"] = str(tmp_path_factory.mktemp("bmdsim-cache"))
    traj = PredictedTrajectories.from_states(THREAT_STATE[None], THREAT_T0_S)
    ship = geodetic_to_ecef(*SHIP_LAT_LON, 0.0)
    report = ThreatReport(
        threat_id="T1",
        time_s=THREAT_T0_S,
        state=tuple(THREAT_STATE),
        category=ThreatCategory.ALLIED_TERRITORY,
    )
    unit = Launcher(fire_unit_id="ddg", interceptor=interceptor("sm-3-ib"), site_ecef=tuple(ship))
    plan = EngagementPlanner().plan(
        THREAT_T0_S, [report], [unit], ready_s={"ddg": 240.0}, trajectories=traj
    )[("T1", "ddg")]
    yield traj, ship, plan
    if old is None:
        os.environ.pop("BMDSIM_CACHE_DIR", None)
    else:
        os.environ["BMDSIM_CACHE_DIR"] = old


def _fly(traj, ship, plan, n, seeker, seed=0):
    flight = InterceptorFlight(seed=seed, seeker=seeker)
    flight.launch(
        [
            InterceptorLaunch(
                interceptor_id=f"sm3-{j}",
                fire_unit_id="ddg",
                threat_id="T1",
                interceptor_type=interceptor("sm-3-ib"),
                target_key=0,
                launch_s=plan.launch_s,
                position_ecef=tuple(ship),
                azimuth_rad=plan.azimuth_rad,
                kick_rad=plan.kick_rad,
                target_state=tuple(traj.states(plan.launch_s, 0)),
                estimate_s=plan.launch_s,
            )
            for j in range(n)
        ]
    )
    events, t = [], plan.launch_s
    while flight.in_flight():
        flight.update_targets("T1", t, traj.states(t, 0))  # perfect track, every 2 s
        events += flight.advance(t, t + 2.0, traj)
        t += 2.0
    return events


def test_pn_homing_hits_a_ballistic_target_with_perfect_information(engagement):
    traj, ship, plan = engagement
    (e,) = _fly(traj, ship, plan, 1, Seeker(angle_noise_rad=0.0))
    assert e.miss_distance_m < 1.0, f"miss {e.miss_distance_m:.3e} m"
    assert e.divert_used_m_s < interceptor("sm-3-ib").divert_delta_v_m_s
    print(
        f"perfect information: miss {e.miss_distance_m:.2e} m, closing {e.closing_speed_m_s:.0f} m/s, "
        f"divert {e.divert_used_m_s:.1f} m/s, intercept at {e.alt_m / 1e3:.0f} km"
    )


def test_miss_distribution_with_seeker_noise_is_reported(engagement):
    """32 interceptors, independent seeker noise of 20 and 100 urad per frame and axis."""
    traj, ship, plan = engagement
    lethal = interceptor("sm-3-ib").lethal_radius_m
    lines = []
    for sigma in (20e-6, 100e-6):
        ev = _fly(traj, ship, plan, 32, Seeker(angle_noise_rad=sigma), seed=7)
        miss = np.array([e.miss_distance_m for e in ev])
        dv = np.array([e.divert_used_m_s for e in ev])
        p50, p90, pmax = np.percentile(miss, [50, 90, 100])
        lines.append(
            f"sigma {sigma * 1e6:.0f} urad: miss median {p50:.3f} m, 90 % {p90:.3f} m, max "
            f"{pmax:.3f} m; divert median {np.median(dv):.0f} m/s; mean Pk "
            f"{np.mean([e.kill_probability for e in ev]):.3f}"
        )
        assert np.all(np.isfinite(miss)) and len(ev) == 32, lines
        if sigma == 20e-6:
            assert p90 < lethal, "; ".join(lines)
    print("; ".join(lines))
