"""The compiled fall of debris fragments (:mod:`bmdsim.flight._debris_kernel`) against the
numpy path it follows (``fly_debris(..., compiled=False)``: the batched Dormand-Prince
driver of :mod:`bmdsim.core.integrate` with the event ``_terminal_event``), to the
integration's accuracy; the kernels' pieces (event function, right-hand side) bit for bit."""

from __future__ import annotations

from dataclasses import replace
from functools import partial

import numpy as np
import pytest

from bmdsim.earth.frames import enu_vector_to_ecef, geodetic_to_ecef
from bmdsim.flight import DebrisModel, fly_debris, generate_fragments
from bmdsim.flight import _debris_kernel as dk
from bmdsim.flight.air import air_table
from bmdsim.flight.debris import _terminal_event
from bmdsim.flight.dynamics import MACH_STEP, Physics, derivative
from bmdsim.flight.propagation import ballistic_aero
from tests.unit.flight.coast_compare import assert_close

FIELDS = ("lat_deg", "lon_deg", "t_s", "speed_m_s", "landed", "terminal")


def state(lat, lon, alt, v_enu) -> np.ndarray:
    r = geodetic_to_ecef(lat, lon, alt)
    return np.concatenate([r, enu_vector_to_ecef(np.asarray(v_enu, float), lat, lon)])


def breakup(seed: int, n: int, alt_m: float = 110e3):
    threat = state(36.85, 36.7, alt_m, [-2300.0, 0.0, -1000.0])
    kv = state(36.85, 36.7, alt_m, [2000.0, 600.0, 1500.0])
    return generate_fragments(
        threat, 1000.0, kv, 23.0, np.random.default_rng(seed), model=DebrisModel(n_fragments=n)
    )


def subset(f, idx):
    return replace(f, states=f.states[idx], mass_kg=f.mass_kg[idx],
                   ballistic_coefficient_kg_m2=f.ballistic_coefficient_kg_m2[idx])  # fmt: skip


def assert_same(frags, t_s, **kw):
    """The compiled fall against the numpy driver: to the integration's accuracy (the step
    control's powers are the C library's, see ``tests.unit.flight.coast_compare``); flags
    exactly, floats within 1e-6 of their field's scale (observed up to 1.2e-7)."""
    fast = fly_debris(frags, t_s, **kw)
    ref = fly_debris(frags, t_s, compiled=False, **kw)
    for name in FIELDS:
        assert_close(getattr(fast, name), getattr(ref, name), name, rtol=1e-6)
    return fast


@pytest.fixture(scope="module")
def cloud():
    return breakup(7, 1000)


def test_compiled_fall_of_a_whole_cloud_matches_the_numpy_driver(cloud):
    fast = assert_same(cloud, 50.0)
    assert fast.landed.all() and fast.terminal.sum() > 900


@pytest.mark.parametrize("size", [1, 2, 3, 17])
def test_compiled_fall_of_small_batches_matches_the_numpy_driver(cloud, size):
    """Batches of one object take numpy's other summation order in the event function."""
    rng = np.random.default_rng(size)
    for _ in range(3):
        assert_same(subset(cloud, rng.choice(len(cloud), size, replace=False)), 0.0)


def test_compiled_fall_matches_for_other_seeds_heights_and_tolerances():
    assert_same(breakup(3, 120, alt_m=60e3), 10.0)
    assert_same(breakup(11, 80), 0.0, rtol=1e-6)


def test_compiled_fall_of_a_low_intercept_matches_the_numpy_driver():
    """An intercept at 33 km: many fragments reach terminal descent in the same steps, after
    the driver's arrays have been compacted (F-ordered), which changes numpy's summation
    order in the event function."""
    assert_same(breakup(5, 1000, alt_m=33e3), 521.9370507748891)


def test_compiled_fall_ending_at_the_longest_fall_matches_the_numpy_driver(cloud):
    """Objects stopped by the end time (not the event) keep their state there."""
    fast = assert_same(subset(cloud, np.arange(0, 1000, 40)), 0.0, max_fall_s=45.0)
    assert not fast.landed.all()


def test_compiled_event_function_is_bit_identical_to_the_numpy_one():
    """``_event_set`` against ``_terminal_event`` on states near terminal descent (horizontal
    speeds around 0.5 m/s, so that the acceleration branch is taken for some), batches of
    1, 2 and 9 objects, in both layouts the driver hands to the event function (numpy sums
    the dot products in another order over contiguous rows)."""
    rng = np.random.default_rng(0)
    n = 9
    beta = 10.0 ** rng.uniform(-1, 3, n)
    aero, _ = ballistic_aero(n, beta)
    f = partial(derivative, physics=Physics(), aero=aero)
    g = _terminal_event(f)
    table = air_table()
    phys = (aero.area_m2, aero.drag_row, aero.cd_table, table.rows, float(table.alt_min_m),
            float(table.inv_step_per_m), int(table.last_node), 1.0 / MACH_STEP)  # fmt: skip
    for _ in range(50):
        lat, lon = rng.uniform(-80, 80, n), rng.uniform(-180, 180, n)
        r = geodetic_to_ecef(lat, lon, rng.uniform(-10.0, 30e3, n))
        v_enu = np.column_stack([rng.normal(0, 0.4, (n, 2)), -rng.uniform(1, 300, n)])
        v = np.stack([enu_vector_to_ecef(v_enu[i], lat[i], lon[i]) for i in range(n)])
        y = np.column_stack([r, v, np.ones(n)])
        for size in (1, 2, n):
            ids = np.arange(size, dtype=np.intp)
            for row_major in (False, True):
                # the driver passes transposed component-major arrays, C- or F-ordered
                Yk = (np.asfortranarray if row_major else np.ascontiguousarray)(y[:size].T)
                ref = g(np.zeros(size), Yk.T, ids)
                out = np.empty(size)
                dk._event_set(size, row_major, ids, np.ascontiguousarray(y[:size]), ids, out,
                              np.empty(size), np.empty(7), *phys)  # fmt: skip
                np.testing.assert_array_equal(out, ref)
