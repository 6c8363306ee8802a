"""The compiled boost segments and coast of :func:`bmdsim.flight.flyout.fly_out` against the
numpy drivers: the boost bit for bit, the coast to rounding (its step control's powers are the
C library's), knots included."""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.catalog import missile
from bmdsim.flight.dynamics import Physics
from bmdsim.flight.flyout import FlightPlan, fly_out
from bmdsim.flight.vehicle import vehicle_table
from tests.unit.flight.coast_compare import assert_close, assert_dense_close

# single stage, two stages, short burns; nominal, lofted (steep), depressed (flat) pitch-over,
# early cut-off, stage failure, speed errors, and a flight too flat that crashes in boost
_NAMES = ["shahab-3", "sejjil", "sejjil", "fattah-1", "emad", "khorramshahr", "sejjil", "shahab-3"]
_PITCH = np.array([0.15, 0.12, 0.05, 0.30, 0.40, 0.08, 0.20, 1.2])
_CUTOFF = np.array([110.0, 105.0, 70.0, 45.0, 110.0, 95.0, 30.0, 110.0])
_SPEED_M_S = np.array([0.0, 2.0, 0.0, -3.0, 0.0, 1.5, 0.0, 0.0])
_SPEED_FRACTION = np.array([0.0, 0.0, 1e-3, 0.0, -2e-3, 0.0, 0.0, 0.0])
_FAILED = np.array([False, False, False, False, False, False, True, False])


def _plan() -> FlightPlan:
    n = len(_NAMES)
    return FlightPlan(
        lat_deg=np.append(np.linspace(28.0, 36.0, n - 1), 30.0),
        lon_deg=np.append(np.linspace(45.0, 55.0, n - 1), 50.0),
        azimuth_rad=np.append(np.linspace(-2.0, 2.5, n - 1), 1.0),
        pitch_over_rad=_PITCH, cutoff_s=_CUTOFF,
        speed_error_m_s=_SPEED_M_S, speed_error_fraction=_SPEED_FRACTION, failed=_FAILED,
    )  # fmt: skip


def _same(a, b) -> None:
    for name in ("burnout_t_s", "burnout_state", "rv_separated", "object_flight", "object_kind",
                 "object_stage", "object_start_s", "impact_t_s", "impact_state"):  # fmt: skip
        assert_close(getattr(a, name), getattr(b, name), name)
    if a.dense is None:
        assert b.dense is None
        return
    assert_dense_close(a.dense, b.dense, "dense")


@pytest.mark.parametrize("dense", [True, False])
@pytest.mark.parametrize(
    "physics", [Physics(), Physics(rotating=False), Physics(j2=False, drag=False)]
)
def test_compiled_flight_matches_the_numpy_driver(dense, physics):
    table = vehicle_table([missile(m) for m in _NAMES])
    plan = _plan()
    fast = fly_out(table, plan, physics=physics, dense=dense, compiled=True)
    slow = fly_out(table, plan, physics=physics, dense=dense, compiled=False)
    _same(fast, slow)
    # the too-flat flight crashed in boost (its segment went to the driver)
    assert fast.impact_t_s[len(_NAMES) - 1] < _CUTOFF[-1]


def test_compiled_boost_matches_with_another_step_and_without_boosters():
    table = vehicle_table([missile(m) for m in _NAMES[:-1]])
    n = len(_NAMES) - 1
    plan = FlightPlan(
        lat_deg=np.full(n, 30.0), lon_deg=np.full(n, 50.0), azimuth_rad=np.full(n, 1.0),
        pitch_over_rad=_PITCH[:n], cutoff_s=_CUTOFF[:n], speed_error_m_s=np.zeros(n),
        speed_error_fraction=np.zeros(n), failed=np.zeros(n, bool),
    )  # fmt: skip
    for step in (0.3, 1.0):
        fast = fly_out(table, plan, boosters=False, boost_step_s=step, compiled=True)
        slow = fly_out(table, plan, boosters=False, boost_step_s=step, compiled=False)
        _same(fast, slow)


@pytest.mark.parametrize("dense", [False, True])
def test_compiled_coast_is_used_and_matches_the_numpy_driver(monkeypatch, dense):
    """With the default physics the coast (RVs and tumbling spent stages, to the ground)
    runs in :mod:`bmdsim.flight._coast_kernel`, never in the numpy driver, and gives the
    driver's flights to the integration's accuracy, dense outputs included (their knot
    buffers grow past the first 4 a flight here)."""
    import bmdsim.flight._coast_kernel as coast_kernel
    import bmdsim.flight.flyout as flyout

    table = vehicle_table([missile(m) for m in _NAMES])
    plan = _plan()
    slow = fly_out(table, plan, dense=dense, compiled=False)

    def no_driver(*args, **kwargs):
        raise AssertionError("the numpy coast was called")

    monkeypatch.setattr(flyout, "dopri5", no_driver)
    monkeypatch.setattr(coast_kernel, "_KNOTS_FIRST", 4)
    fast = fly_out(table, plan, dense=dense, compiled=True)
    _same(fast, slow)
    assert np.all(np.isfinite(fast.impact_t_s)), "every object reaches the ground"
    assert (fast.object_kind != fast.object_kind[0]).any(), "spent stages coasted too"
