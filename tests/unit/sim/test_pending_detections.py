"""The engine's queue of detections in flight to the operations centre."""

import numpy as np

from bmdsim.sensors import DetectionBatch
from bmdsim.sim.engine import _PendingDetections


def _batch(t_s, sensor):
    b = len(t_s)
    d = 4
    return DetectionBatch(
        t_s=np.asarray(t_s, float), sensor_id=np.full(b, sensor), kind=np.zeros(b, np.int8),
        mode=np.zeros(b, np.int8), z=np.zeros((b, d)), covariance=np.zeros((b, d, d)),
        snr=np.arange(b, dtype=float), sensor_position_ecef=np.zeros((b, 3)),
        sensor_velocity_ecef=np.zeros((b, 3)), sensor_basis=np.zeros((b, 3, 3)),
    )


def test_each_detection_is_delivered_once_at_the_first_pop_after_its_arrival():
    rng = np.random.default_rng(3)
    queue = _PendingDetections()
    sent = []  # (arrival, t_s, sensor)
    delivered = []
    for step in range(40):
        t0 = float(step)
        for sensor in ("a", "b"):
            n = int(rng.integers(0, 4))
            t = np.sort(t0 + rng.random(n))
            arrival = t + rng.uniform(0.5, 4.0, n)
            queue.push(_batch(t, sensor), arrival)
            sent += [(float(a), float(x), sensor) for a, x in zip(arrival, t, strict=True)]
        out = queue.pop_until(t0 + 1.0)
        done = {(x, s) for x, s, _ in delivered}
        expected = sorted((x, s) for a, x, s in sent if a <= t0 + 1.0 and (x, s) not in done)
        got = [] if out is None else list(zip(out.t_s.tolist(), out.sensor_id.tolist(), strict=True))
        assert sorted(got) == expected, f"step {step}: {got} != {expected}"
        delivered += [(x, s, t0) for x, s in got]
    rest = queue.pop_until(np.inf)
    n_rest = 0 if rest is None else len(rest)
    assert len(delivered) + n_rest == len(sent)
    assert len({(x, s) for x, s, _ in delivered}) == len(delivered), "a detection delivered twice"


def test_nothing_due_gives_none_and_keeps_the_queue():
    queue = _PendingDetections()
    queue.push(_batch([0.1, 0.2], "a"), np.array([5.0, 6.0]))
    assert queue.pop_until(4.9) is None
    out = queue.pop_until(5.5)
    assert out.t_s.tolist() == [0.1]
    assert queue.pop_until(7.0).t_s.tolist() == [0.2]
    assert queue.pop_until(8.0) is None
