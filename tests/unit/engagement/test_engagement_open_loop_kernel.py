"""The compiled boost of ``fly_open_loop`` against the numpy driver: the boost bit for bit, the
coast that follows to the integration's accuracy (``tests.unit.flight.coast_compare``)."""

from __future__ import annotations

import numpy as np
import pytest

from bmdsim.catalog.interceptors import interceptor
from bmdsim.earth.frames import geodetic_to_ecef
from bmdsim.engagement.kinematics import InterceptorKinematics, fly_open_loop
from bmdsim.flight.dynamics import Physics
from tests.unit.flight.coast_compare import assert_close

from .synthetic import SHIP_LAT_LON

SHIP = geodetic_to_ecef(*SHIP_LAT_LON, 0.0)
TYPES = ["sm-3-ib", "pac-3-mse", "sm-6", "aster-30-b1", "sm-3-iia"]


def _fly(compiled, **kw):
    kin = InterceptorKinematics.from_types([interceptor(name) for name in TYPES])
    n = 8
    args = dict(
        type_idx=np.arange(n) % len(TYPES),
        launch_s=np.linspace(5.0, 40.0, n),
        r0_ecef=np.tile(SHIP, (n, 1)),
        v0_ecef=np.tile([3.0, -4.0, 1.0], (n, 1)),
        azimuth_rad=np.linspace(0.1, 5.9, n),
        kick_rad=np.radians(np.linspace(5.0, 80.0, n)),
    )
    args.update(kw)
    if "t_end_s" not in args:  # the last one at burnout
        burnout = args["launch_s"] + kin.burnout_s[args["type_idx"]]
        args["t_end_s"] = burnout + np.linspace(300.0, 0.0, n)
    return fly_open_loop(kin, compiled=compiled, **args)


def _assert_same(a, b):
    for name in ("burnout_s", "burnout_state"):  # the boost: the same kernel arithmetic
        x, y = getattr(a, name), getattr(b, name)
        assert np.array_equal(x, y, equal_nan=True), (name, x, y)
    for name in ("t_s", "state", "closest", "crashed"):
        assert_close(getattr(a, name), getattr(b, name), name)


def test_compiled_boost_and_coast_equal_the_numpy_driver():
    """Several types, flights ending at burnout and in the coast."""
    _assert_same(_fly(True), _fly(False))


def test_compiled_equals_numpy_with_a_closing_event(threat):
    n = 8
    kw = dict(
        launch_s=np.full(n, 250.0),
        t_end_s=np.full(n, 650.0),
        azimuth_rad=np.full(n, 1.2),
        target=threat,
        target_index=np.zeros(n, np.intp),
    )
    a, b = _fly(True, **kw), _fly(False, **kw)
    _assert_same(a, b)
    assert b.closest.any(), b.closest


def test_compiled_equals_numpy_when_flights_hit_the_ground_in_the_boost_and_coast():
    """Without J2 and rotation: kicks past the horizontal dive into the ground during the
    boost (the segment goes to the driver's search), the others fall back in the coast; a
    launch just below the surface and non-finite inputs too."""
    n = 8
    r0 = np.tile(SHIP, (n, 1))
    r0[3] *= 1.0 - 1e-7
    r0[5, 0] = np.nan
    kw = dict(
        kick_rad=np.radians([89.0, 150.0, 85.0, 80.0, 70.0, 120.0, 89.9, 45.0]),
        t_end_s=np.full(n, 900.0),
        r0_ecef=r0,
        physics=Physics(j2=False, rotating=False),
    )
    a, b = _fly(True, **kw), _fly(False, **kw)
    _assert_same(a, b)
    dived = [1]  # on the ground before their last burnout: the boost ended there
    assert b.crashed[dived].all() and np.array_equal(b.t_s[dived], b.burnout_s[dived])


@pytest.mark.parametrize("name", TYPES)
def test_compiled_boost_equals_numpy_per_type(name):
    kin = InterceptorKinematics.from_types([interceptor(name)])
    res = [
        fly_open_loop(
            kin,
            [0, 0],
            0.0,
            np.tile(SHIP, (2, 1)),
            np.zeros((2, 3)),
            [0.5, 2.0],
            np.radians([30.0, 70.0]),
            120.0,
            compiled=c,
        )
        for c in (True, False)
    ]
    _assert_same(*res)


def test_boosts_from_the_cache_equal_the_flown_ones_bit_for_bit(threat):
    """A cache filled by one batch serves the rows flown again (alone or beside new rows)
    with the same results; a row whose inputs differ in one control is flown."""
    from bmdsim.engagement.kinematics import BoostCache

    n = 8
    kw = dict(
        launch_s=np.full(n, 250.0),
        t_end_s=np.full(n, 650.0),
        target=threat,
        target_index=np.zeros(n, np.intp),
    )
    cache = BoostCache()
    plain = _fly(True, **kw)
    first = _fly(True, boost_cache=cache, **kw)
    assert cache.hits == 0
    _assert_same(first, plain)
    again = _fly(True, boost_cache=cache, **kw)
    assert cache.hits == n
    _assert_same(again, plain)
    # half the rows with another kick: those are flown, the rest come from the cache
    kick = np.radians(np.linspace(5.0, 80.0, n))
    kick[::2] += 1e-4
    mixed = _fly(True, boost_cache=cache, kick_rad=kick, **kw)
    assert cache.hits == n + n // 2
    _assert_same(mixed, _fly(False, kick_rad=kick, **kw))


def test_boost_cache_keeps_its_latest_rows():
    from bmdsim.engagement.kinematics import BoostCache

    cache = BoostCache(size=3)
    cache.store([1, 2, 3, 4], ["a", "b", "c", "d"])
    assert cache.lookup([1, 2, 4]) == [None, "b", "d"]
