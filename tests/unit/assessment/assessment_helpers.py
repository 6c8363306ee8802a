"""Helpers of the assessment tests: the reference threat flown by the flight layer, tracked
by the sensors and tracking layers up to track confirmation.

The chain (public APIs only): ``flights_from_scenario`` -> ``truth_from_flights`` -> the
scenario's AN/TPY-2 at Kürecik (``sensors_from_scenario``) searching and dwelling on the
tracker's cues at 1 Hz -> ``scans_from_detections`` -> a ``Tracker`` (EKF, ballistic motion
with J2 and Earth rotation, the tracking layer's defaults otherwise), from burnout until the
first confirmed track. Only the reentry vehicle is in the truth (the spent stage is another
object with its own track and impact), and observation starts after burnout: a ballistic
tracker fed with a thrusting missile would report its instantaneous impact point, which is
not where it lands. The boost is seen by the two GEO infrared sensors; their first pair of
simultaneous frames gives a stereo position (the tracking layer's ``StereoInitiator``): the
infrared launch detection.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cache

import numpy as np

from bmdsim.assessment import BoostObservations
from bmdsim.flight.threats import flights_from_scenario
from bmdsim.scenario import load_scenario
from bmdsim.sensors import SpaceInfrared, TruthTable, sensors_from_scenario
from bmdsim.sensors.flight_truth import truth_from_flights
from bmdsim.tracking import (
    BallisticMotion,
    Deleter,
    ExtendedKalmanPredictor,
    ExtendedKalmanUpdater,
    StereoInitiator,
    Tracker,
    scans_from_detections,
)

REFERENCE = "dortyol-2026-03-04"
RADAR_ID = "kurecik-tpy2"


@dataclass(frozen=True, slots=True, kw_only=True)
class Reference:
    """The reference scenario (or its nominal variant) and its threat's flight."""

    scenario: object
    flight: object
    truth: TruthTable  # the RV alone, 1 s grid from launch to impact

    @property
    def launch(self) -> tuple[float, float]:
        return self.flight.launch_lat_deg, self.flight.launch_lon_deg

    @property
    def impact(self):
        return self.flight.rv.impact


@cache
def reference(nominal: bool = False) -> Reference:
    """The reference threat as flown (``nominal``: the same missile without guidance error,
    i.e. on its way to RAF Akrotiri)."""
    scenario = load_scenario(REFERENCE)
    if nominal:
        threat = scenario.threats[0]
        nominal_threat = threat.model_copy(update={"guidance_error": type(threat.guidance_error)()})
        scenario = scenario.model_copy(update={"threats": (nominal_threat,)})
    flight = flights_from_scenario(scenario)[0]
    t = np.arange(0.0, flight.rv.end_s + 1.0, 1.0)
    full = truth_from_flights({scenario.threats[0].id: flight}, t)
    rv = list(full.object_id).index(f"{scenario.threats[0].id}/rv")
    truth = TruthTable.from_arrays(
        t,
        full.states_ecef[:, [rv]],
        rcs_m2=full.rcs_m2[:, [rv]],
        ir_intensity_w_sr=full.ir_intensity_w_sr[:, [rv]],
        object_id=[full.object_id[rv]],
    )
    return Reference(scenario=scenario, flight=flight, truth=truth)


def make_tracker() -> Tracker:
    return Tracker(
        predictor=ExtendedKalmanPredictor(motion=BallisticMotion(q=1e-3)),
        updater=ExtendedKalmanUpdater(iterations=3),
        deleter=Deleter(tentative_coast_s=12.0),
    )


@dataclass(frozen=True, slots=True, kw_only=True)
class Confirmed:
    """Tracks at confirmation over Monte Carlo runs (one row per run that confirmed).

    seeds (R,); tracks: a ``TrackBatch`` with one confirmed track per run (ids = seeds);
    first_detection_s (R,): the radar's first detection of the RV.
    """

    seeds: np.ndarray
    tracks: object
    first_detection_s: np.ndarray


def confirm_tracks(ref: Reference, seeds, *, max_s: float = 90.0) -> Confirmed:
    """Run the radar and tracker chain for each seed until its first confirmed track."""
    scenario = ref.scenario
    entry = next(s for s in scenario.sensors if s.id == RADAR_ID)
    start = float(np.ceil(ref.flight.rv.burnout.t_s))
    rows, kept, firsts = [], [], []
    for seed in seeds:  # one independent run per seed (its own radar noise and tracker)
        radar = sensors_from_scenario(
            scenario.model_copy(update={"sensors": (entry,)}), seed=int(seed)
        ).sensors[0]
        tracker = make_tracker()
        first = None
        for k in np.arange(start, start + max_s):
            det = radar.observe(
                float(k), float(k + 1), ref.truth, tracker.cues(float(k), float(k + 1))
            )
            real = ~det.truth.false_alarm
            if first is None and real.any():
                first = float(det.t_s[real].min())
            events = tracker.step(scans_from_detections(det.without_truth()))
            if events.confirmed:
                tid = events.confirmed[0].track_id
                tr = tracker.tracks.take(tracker.tracks.ids == tid)
                rows.append(tr.with_(ids=np.array([int(seed)])))
                kept.append(int(seed))
                firsts.append(first)
                break
    tracks = rows[0]
    for r in rows[1:]:
        tracks = tracks.concat(r)
    return Confirmed(seeds=np.array(kept), tracks=tracks, first_detection_s=np.array(firsts))


def infrared_launch_detection(ref: Reference, seed: int, track_id: int) -> BoostObservations:
    """The earliest stereo position of the boost from the two GEO infrared sensors."""
    suite = sensors_from_scenario(ref.scenario, seed=seed)
    ir = [s for s in suite.sensors if isinstance(s, SpaceInfrared)]
    launch = ref.flight.launch_time_s
    found = [s.observe(launch, ref.flight.rv.burnout.t_s, ref.truth) for s in ir[:2]]
    scans = [scans_from_detections(f.without_truth()) for f in found]
    stereo = StereoInitiator()
    for a in scans[0]:  # frames in time order: the first pair that triangulates wins
        for b in scans[1]:
            if abs(a.time_s - b.time_s) > stereo.max_gap_s:
                continue
            tracks, _, _ = stereo.initiate_pairs(
                a, np.arange(len(a)), b, np.arange(len(b)), first_id=1
            )
            if len(tracks):
                return BoostObservations.from_tracks(
                    tracks.take(np.array([0])), track_ids=np.array([track_id])
                )
    raise AssertionError("the infrared sensors never saw the boost in stereo")


def with_ids(tracks, ids):
    return replace(tracks, ids=np.asarray(ids, dtype=np.int64))
