"""DetectionBatch: concatenation order, selection, truth stripping, measurement groups."""

from __future__ import annotations

import numpy as np

from bmdsim.earth import enu_basis, geodetic_to_ecef
from bmdsim.sensors import DetectionBatch, EcefToRangeAzElRangeRate, MeasurementKind
from bmdsim.sensors.base import assemble


def _batch(sensor_id, times, kind=MeasurementKind.RANGE_AZ_EL_RATE):
    b = len(times)
    dim = MeasurementKind(kind).dim
    return assemble(
        sensor_id=sensor_id,
        t_s=np.asarray(times, float),
        kind=kind,
        mode=0,
        z=np.arange(b * dim, dtype=float).reshape(b, dim),
        sigma=np.ones((b, dim)),
        snr=np.full(b, 100.0),
        sensor_position_ecef=np.zeros((b, 3)),
        sensor_velocity_ecef=np.zeros((b, 3)),
        sensor_basis=np.broadcast_to(np.eye(3), (b, 3, 3)),
        object_id=[f"{sensor_id}{i}" for i in range(b)],
        false_alarm=np.zeros(b, bool),
    )


def test_concat_sorts_by_time_then_sensor_id():
    out = DetectionBatch.concat(
        [_batch("b", [3.0, 1.0]), _batch("a", [1.0, 2.0]), DetectionBatch.empty()]
    )
    assert out.t_s.tolist() == [1.0, 1.0, 2.0, 3.0]
    assert out.sensor_id.tolist() == ["a", "b", "a", "b"]
    assert out.truth.object_id.tolist() == ["a0", "b1", "a1", "b0"]


def test_concat_of_nothing_is_empty():
    assert len(DetectionBatch.concat([])) == 0
    assert len(DetectionBatch.concat([DetectionBatch.empty(), DetectionBatch.empty()])) == 0


def test_without_truth_hides_labels_and_concat_keeps_them_hidden():
    b = _batch("a", [1.0, 2.0])
    stripped = b.without_truth()
    assert stripped.truth is None
    assert DetectionBatch.concat([stripped, b]).truth is None
    np.testing.assert_array_equal(stripped.z, b.z)


def test_padding_and_between():
    b = DetectionBatch.concat([_batch("ir", [1.0], MeasurementKind.LOS_ANGLES), _batch("r", [5.0])])
    assert np.isnan(b.z[0, 2:]).all() and np.all(b.covariance[0, 2:, :] == 0.0)
    assert len(b.between(0.0, 5.0)) == 1 and len(b.between(0.0, 5.0001)) == 2


def test_measurement_groups_give_models_that_reproduce_noise_free_measurements():
    site = (38.35, 37.79, 2000.0)
    pos = geodetic_to_ecef(*site)
    basis = enu_basis(*site[:2])
    model = EcefToRangeAzElRangeRate(
        sensor_position_ecef=pos,
        sensor_velocity_ecef=np.zeros(3),
        sensor_basis=basis,
        noise_covariance=np.eye(4),
    )
    x = np.array([[*(pos + np.array([4e5, 2e5, 3e5])), 1e3, -2e3, 5e2]] * 3)
    z = model.function(x)
    b = assemble(
        sensor_id="r",
        t_s=np.arange(3.0),
        kind=MeasurementKind.RANGE_AZ_EL_RATE,
        mode=0,
        z=z,
        sigma=np.ones((3, 4)),
        snr=np.ones(3),
        sensor_position_ecef=np.tile(pos, (3, 1)),
        sensor_velocity_ecef=np.zeros((3, 3)),
        sensor_basis=np.tile(basis, (3, 1, 1)),
        object_id=["x"] * 3,
        false_alarm=np.zeros(3, bool),
    )
    ((index, grouped, zg, r),) = b.measurement_groups()
    assert index.tolist() == [0, 1, 2] and zg.shape == (3, 4) and r.shape == (3, 4, 4)
    np.testing.assert_allclose(grouped.function(x), zg)


def test_to_dataframe_has_truth_columns():
    df = _batch("a", [1.0, 2.0]).to_dataframe()
    assert {"t_s", "sensor_id", "snr_db", "z0", "sigma3", "truth_object_id", "false_alarm"} <= set(
        df.columns
    )


def test_take_and_without_truth_equal_batches_built_and_checked_field_by_field():
    """The unchecked constructions of ``take`` and ``without_truth`` give the batch the
    checked constructor gives from the same arrays."""
    import dataclasses

    b = DetectionBatch.concat([_batch("a", [1.0, 4.0, 2.0]), _batch("b", [3.0])])
    for index in (np.array([2, 0]), np.array([True, False, True, True]), np.zeros(0, int)):
        got = b.take(index)
        values = {f.name: getattr(b, f.name) for f in dataclasses.fields(b) if f.name != "truth"}
        want = DetectionBatch(**{k: v[index] for k, v in values.items()}, truth=b.truth.take(index))
        for f in dataclasses.fields(b):
            if f.name != "truth":
                np.testing.assert_array_equal(getattr(got, f.name), getattr(want, f.name))
        np.testing.assert_array_equal(got.truth.object_id, want.truth.object_id)
    stripped = b.without_truth()
    assert stripped.truth is None and len(stripped) == len(b)
    for f in dataclasses.fields(b):
        if f.name != "truth":
            assert getattr(stripped, f.name) is getattr(b, f.name)


def test_empty_batches_are_shared_and_empty():
    assert DetectionBatch.empty() is DetectionBatch.empty()
    assert DetectionBatch.empty(with_truth=False).truth is None
    assert len(DetectionBatch.empty()) == 0 and DetectionBatch.empty().truth is not None


def test_concat_of_one_batch_in_time_order_is_that_batch_sorted():
    """A single batch comes back in the order a full sort gives (ties sorted too)."""
    import dataclasses

    rng = np.random.default_rng(3)
    for _ in range(200):
        times = np.sort(rng.choice([1.0, 2.0, 2.5, 3.0, 4.0], int(rng.integers(1, 6))))
        sensor = str(rng.choice(["a", "b"]))
        b = _batch(sensor, times)
        if rng.random() < 0.5:  # two sensors, one batch: ties need the sort
            b = DetectionBatch.concat([b, _batch("c", times[::-1])])
        for keep in (b, b.without_truth()):
            got = DetectionBatch.concat([keep, DetectionBatch.empty()])
            order = np.lexsort((keep.sensor_id, keep.t_s))
            for f in dataclasses.fields(keep):
                if f.name != "truth":
                    np.testing.assert_array_equal(
                        getattr(got, f.name), getattr(keep, f.name)[order]
                    )
            assert (got.truth is None) == (keep.truth is None)
            assert (
                DetectionBatch.concat([keep, DetectionBatch.empty(with_truth=False)]).truth is None
            )
