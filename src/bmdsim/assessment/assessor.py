"""The assessment step the engine calls once per tracker update, and its events.

:class:`Assessor` runs, for every confirmed track of a ``TrackBatch`` in one batched call:
impact prediction (with samples), threat evaluation, launch point estimation, and, for a
track assessed for the first time, its predicted path. :class:`ThreatMonitor` turns the
succession of assessments into the events of the timeline:

* :class:`~bmdsim.assessment.types.ThreatEvaluated` the first time a track is assessed;
* :class:`~bmdsim.assessment.types.ThreatUpdated` at most once per ``update_event_period_s``;
* :class:`~bmdsim.assessment.types.ThreatCategoryChanged` and
  :class:`~bmdsim.assessment.types.ImpactCountryChanged` when the reported category or most
  likely impact country changes (e.g. ``CYP -> TUR``);
* :class:`~bmdsim.assessment.types.LaunchPointEstimated` the first time a launch point is
  found.

Hysteresis (``margin``): the reported most likely country changes only when another
country's probability exceeds the reported one's by more than the margin; a category is
raised as soon as the rule gives a higher one, and lowered only when the rule with every
threshold lowered by the margin still gives a lower one. Each track's impact samples come
from its own random stream ``stream(seed, "assessment", str(track_id))``, drawn afresh at
every step: the same standard normals each time (common random numbers), so the
probabilities of a track move only when its estimate moves, not with sampling noise.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from bmdsim.assessment.discrimination import Discriminator, ObjectClass
from bmdsim.assessment.impact import ImpactPredictor
from bmdsim.assessment.launch import BoostObservations, LaunchPointEstimator
from bmdsim.assessment.path import PathPredictor
from bmdsim.assessment.threat import ThreatEvaluator, category_rule
from bmdsim.assessment.types import (
    AirspaceCrossing,
    AssessmentEvent,
    ImpactCountryChanged,
    ImpactPrediction,
    LaunchEstimate,
    LaunchMethod,
    LaunchPointEstimated,
    ThreatAssessment,
    ThreatCategory,
    ThreatCategoryChanged,
    ThreatEvaluated,
    ThreatUpdated,
)
from bmdsim.core.random import stream


def _label(value) -> str:
    return "" if value is None else str(value)


@dataclass(slots=True)
class _Memory:
    category: int
    country: str
    reported_s: float
    launch_reported: bool = False


@dataclass(slots=True, kw_only=True)
class ThreatMonitor:
    """Events from successive assessments, with hysteresis (see the module docstring)."""

    evaluator: ThreatEvaluator
    update_event_period_s: float = 10.0
    margin: float = 0.05
    _memory: dict[int, _Memory] = field(default_factory=dict)

    def reported_categories(self, threats: ThreatAssessment) -> np.ndarray:
        """``(N,)`` categories with hysteresis against the reported ones (new tracks: the
        rule's)."""
        strict = np.asarray(threats.category)
        out = strict.copy()
        loose = None  # the rule with every threshold lowered by the margin, when needed
        for i, tid in enumerate(threats.track_ids.tolist()):  # bookkeeping per track
            mem = self._memory.get(tid)
            if mem is not None and strict[i] < mem.category:
                if loose is None:
                    loose = self._loose_categories(threats)
                out[i] = mem.category if loose[i] >= mem.category else loose[i]
        return out

    def _loose_categories(self, threats: ThreatAssessment) -> np.ndarray:
        """``(N,)`` categories by the rule with every threshold lowered by the margin."""
        ev = self.evaluator
        p_asset = (
            threats.asset_probability.max(axis=1)
            if threats.asset_probability.shape[1]
            else np.zeros(len(threats))
        )
        return category_rule(
            max(ev.asset_threshold - self.margin, 1e-9),
            max(ev.territory_threshold - self.margin, 1e-9),
            p_asset, threats.p_allied, threats.p_non_allied,
        )  # fmt: skip

    def reported_countries(self, threats: ThreatAssessment) -> np.ndarray:
        """``(N,)`` most likely countries with hysteresis against the reported ones."""
        out = np.asarray(threats.most_likely_country, dtype=object).copy()
        for i, tid in enumerate(threats.track_ids):
            mem = self._memory.get(int(tid))
            if mem is None or out[i] is None or mem.country == out[i]:
                continue
            if mem.country in threats.countries:
                p_old = threats.country_probability[i, threats.countries.index(mem.country)]
                if threats.most_likely_probability[i] <= p_old + self.margin:
                    out[i] = mem.country
        return out

    def observe(
        self,
        threats: ThreatAssessment,
        impacts: ImpactPrediction,
        launches: LaunchEstimate | None = None,
    ) -> list[AssessmentEvent]:
        """Events of one assessment step (``threats`` carrying the reported categories and
        countries, e.g. from :class:`Assessor`); updates the memory."""
        t = float(threats.time_s)
        events: list[AssessmentEvent] = []
        # the 95 % ellipses the predictor made (rows of invalid predictions are skipped)
        semi_major, semi_minor = impacts.ellipse_semi_major_m, impacts.ellipse_semi_minor_m
        azimuth = impacts.ellipse_azimuth_rad
        for i, tid in enumerate(threats.track_ids):  # one record per track
            tid = int(tid)
            if not impacts.valid[i]:
                continue
            cat = int(threats.category[i])
            country = _label(threats.most_likely_country[i])
            mem = self._memory.get(tid)
            periodic = mem is not None and t - mem.reported_s >= self.update_event_period_s
            common = (
                None
                if not (mem is None or periodic)
                else {
                    "time_s": t,
                    "track_id": tid,
                    "category": ThreatCategory(cat).label,
                    "most_likely_country": country,
                    "probability": float(threats.most_likely_probability[i]),
                    "p_allied": float(threats.p_allied[i]),
                    "impact_lat_deg": float(impacts.lat_deg[i]),
                    "impact_lon_deg": float(impacts.lon_deg[i]),
                    "ellipse_semi_major_m": float(semi_major[i]),
                    "ellipse_semi_minor_m": float(semi_minor[i]),
                    "time_to_impact_s": float(impacts.time_to_impact_s[i]),
                    "rank": int(threats.rank[i]),
                    "object_class": ObjectClass(int(threats.object_class[i])).label,
                }
            )
            if mem is None:
                events.append(
                    ThreatEvaluated(
                        **common,
                        most_likely_land_country=_label(threats.most_likely_land_country[i]),
                        ellipse_azimuth_deg=float(np.degrees(azimuth[i])),
                    )
                )
                mem = self._memory[tid] = _Memory(category=cat, country=country, reported_s=t)
            else:
                if cat != mem.category:
                    events.append(
                        ThreatCategoryChanged(
                            time_s=t,
                            track_id=tid,
                            previous=ThreatCategory(mem.category).label,
                            current=ThreatCategory(cat).label,
                            p_allied=float(threats.p_allied[i]),
                        )
                    )
                    mem.category = cat
                if country != mem.country:
                    events.append(
                        ImpactCountryChanged(
                            time_s=t,
                            track_id=tid,
                            previous=mem.country,
                            current=country,
                            probability=float(threats.most_likely_probability[i]),
                        )
                    )
                    mem.country = country
                if periodic:
                    events.append(ThreatUpdated(**common))
                    mem.reported_s = t
            if launches is not None and launches.valid[i] and not mem.launch_reported:
                le = launches.ellipse(0.95)
                events.append(
                    LaunchPointEstimated(
                        time_s=t,
                        track_id=tid,
                        lat_deg=float(launches.lat_deg[i]),
                        lon_deg=float(launches.lon_deg[i]),
                        country=_label(launches.country[i]),
                        launch_time_s=float(launches.launch_time_s[i]),
                        ellipse_semi_major_m=float(le.semi_major_m[i]),
                        ellipse_semi_minor_m=float(le.semi_minor_m[i]),
                        method=LaunchMethod(int(launches.method[i])).name.lower(),
                    )
                )
                mem.launch_reported = True
        return events

    def known(self, track_id: int) -> bool:
        """Whether the track has been assessed before."""
        return int(track_id) in self._memory

    def forget(self, track_ids) -> None:
        """Drop the memory of tracks (deleted by the tracker)."""
        for tid in np.atleast_1d(track_ids):
            self._memory.pop(int(tid), None)


@dataclass(frozen=True, slots=True, kw_only=True)
class AssessmentStep:
    """What one :meth:`Assessor.step` produced (batches over the assessed tracks)."""

    time_s: float
    impacts: ImpactPrediction
    threats: ThreatAssessment
    launches: LaunchEstimate | None
    #: Predicted paths of the tracks assessed for the first time, by track id.
    paths: dict[int, tuple[AirspaceCrossing, ...]]
    events: tuple[AssessmentEvent, ...]


@dataclass(slots=True, kw_only=True)
class Assessor:
    """Impact, threat, launch and path assessment of all confirmed tracks in one call.

    Collaborators come in through the constructor; :meth:`from_scenario` assembles the
    defaults for a scenario (its alliance on its date, its defended assets, the boost
    profiles of its threat types as the expected types in theatre). ``seed`` names the
    random streams of the impact samples.

    A track that gets no launch estimate at a step (in reentry, see
    :class:`LaunchPointEstimator`) keeps the last one it had.

    ``powered_mode``: with an interacting multiple model tracker, the index of its boost
    (thrusting) mode. A rising track whose probability of that mode exceeds
    ``powered_threshold``, and that has not been seen ballistic before, is in powered
    flight: its impact point would only be an instantaneous one, so it is not assessed; instead its earliest powered estimate (position and covariance, from any
    track status) is kept as the track's boost observation for the launch point estimator
    (the infrared method, when the boost was seen from space). ``None``: every confirmed
    track is taken as ballistic.

    ``discriminator``: classes each assessed track as RV, spent stage or unknown
    (:mod:`bmdsim.assessment.discrimination`); a spent stage's category is reported as
    ``NONE`` (not a threat to engage), whatever its impact point.

    ``launch_refresh_s`` [s]: a launch point is a fixed place and time, and the boost-profile
    match that estimates it is the costliest part of a step; it is re-run per track, only
    for a track seen for the first time, whose boost observations changed, whose last
    estimate was not valid (unless the track is now in reentry, where none is made), or
    whose last estimate is ``launch_refresh_s`` old. The other tracks keep their last
    estimates (a batch's ``time_s`` is the step's; each row is at most
    ``launch_refresh_s`` old). ``0``: every step.
    """

    impact_predictor: ImpactPredictor
    threat_evaluator: ThreatEvaluator
    launch_estimator: LaunchPointEstimator | None = None
    path_predictor: PathPredictor | None = None
    monitor: ThreatMonitor | None = None
    seed: int = 0
    powered_mode: int | None = None
    powered_threshold: float = 0.5
    discriminator: Discriminator = field(default_factory=Discriminator)
    launch_refresh_s: float = 10.0
    _boost_seen: dict = field(default_factory=dict)
    _launch_rows: dict = field(default_factory=dict)
    _ballistic_seen: set = field(default_factory=set)
    _launch_memory: dict = field(default_factory=dict)
    #: (estimator, its profiles' lowest burnout altitude [m]); (row dicts, their stacked
    #: arrays) of the last :meth:`_launch_estimates`: pure functions of what they keep.
    _lowest: tuple = (None, 0.0)
    _stacked: tuple = ((), {})
    #: (the boost dict, its size, :meth:`boost_observations` of it): entries are only added
    _boost_built: tuple = (None, 0, None)
    #: per track id: (seed, a generator of its stream, the stream's initial state)
    _streams: dict = field(default_factory=dict)
    #: (the boost observations of the last step, each track's key of them)
    _boost_keys: tuple = (None, {})

    def __post_init__(self) -> None:
        if self.monitor is None:
            self.monitor = ThreatMonitor(evaluator=self.threat_evaluator)

    def _powered(self, tracks, alt, rdot) -> np.ndarray:
        """``(N,)`` tracks in powered flight: rising and below the lowest burnout altitude of
        the expected missile types (certainly still thrusting), or, with
        :attr:`powered_mode`, rising with the boost mode likely and not seen ballistic
        before (a reentering object decelerated by drag also favours the boost mode of a
        drag-free IMM, hence the rising test). ``alt``, ``rdot`` (N,): :func:`_altitudes`."""
        n = len(tracks)
        if n == 0:
            return np.zeros(0, bool)
        rising = rdot > 0.0
        powered = np.zeros(n, bool)
        if self.launch_estimator is not None:
            powered |= rising & (alt < self._lowest_burnout_alt())
        ids = tracks.ids.tolist()
        if self.powered_mode is not None and tracks.n_modes > self.powered_mode:
            likely = tracks.mode_probabilities[:, self.powered_mode] > self.powered_threshold
            seen = np.array([i in self._ballistic_seen for i in ids], dtype=bool)
            powered |= likely & rising & ~seen
        self._ballistic_seen.update(i for i, p in zip(ids, powered.tolist(), strict=True) if not p)
        return powered

    def _lowest_burnout_alt(self) -> float:
        """The lowest burnout altitude of the launch estimator's profiles [m] (kept per
        estimator: profiles are not modified)."""
        est, value = self._lowest
        if est is not self.launch_estimator:
            est = self.launch_estimator
            value = min(float(p.burnout_alt_m.min()) for p in est.profiles)
            self._lowest = (est, value)
        return value

    def _latched(self, launches: LaunchEstimate) -> LaunchEstimate:
        """Launch estimates with, for tracks that get none now (in reentry), the last one
        they had."""
        if bool(np.all(launches.valid)):  # nothing to fill: remember them (never modified)
            for i, tid in enumerate(launches.track_ids.tolist()):  # bookkeeping per track
                self._launch_memory[tid] = {
                    name: getattr(launches, name)[i] for name in _LAUNCH_ROWS
                }
            return launches
        out = {name: np.array(getattr(launches, name), copy=True) for name in _LAUNCH_ROWS}
        for i, tid in enumerate(launches.track_ids):  # bookkeeping per track
            tid = int(tid)
            if launches.valid[i]:
                self._launch_memory[tid] = {name: out[name][i] for name in _LAUNCH_ROWS}
            elif tid in self._launch_memory:
                for name, value in self._launch_memory[tid].items():
                    out[name][i] = value
        return replace(launches, **out)

    def _launch_estimates(self, tracks, time_s: float, boost, alt, rdot) -> LaunchEstimate:
        """The launch estimator's answer for ``tracks``: re-run only for the tracks whose
        last estimate no longer stands (see :attr:`launch_refresh_s`), the others keep
        theirs. Estimates are per track (the sigma points of one track never meet another's),
        so a track's estimate is the same (to rounding) whether made alone or in a batch; boost
        observations without a track id are matched across the batch, so with any of those
        a refresh re-runs the whole batch. ``alt``, ``rdot`` (N,): :func:`_altitudes` of the
        tracks."""
        ids = np.asarray(tracks.ids, dtype=np.int64)
        reentry = (rdot < 0.0) & (alt < self.launch_estimator.reentry_alt_m)
        anonymous = boost is not None and bool(np.any(boost.track_ids < 0))
        # a track's boost key: the observations serving it (its own and anonymous ones),
        # kept per read-only observation set (the kept ones: the same object until an
        # observation is added)
        kept_boost, key_of = self._boost_keys
        if kept_boost is not boost:
            key_of = {}
            frozen = boost is not None and not any(
                a.flags.writeable for a in (boost.track_ids, boost.time_s, boost.position_ecef)
            )
            self._boost_keys = (boost, key_of) if frozen else (None, {})

        def boost_key(tid: int):
            if boost is None:
                return None
            if tid in key_of:
                return key_of[tid]
            own = (boost.track_ids == tid) | (boost.track_ids < 0)
            key = None
            if own.any():
                key = (boost.track_ids[own].tobytes(), boost.time_s[own].tobytes(),
                       boost.position_ecef[own].tobytes())  # fmt: skip
            key_of[tid] = key
            return key

        keys = [boost_key(t) for t in ids.tolist()]
        memory = self._launch_rows
        need = np.zeros(ids.size, bool)
        for i, tid in enumerate(ids.tolist()):  # bookkeeping per track
            last = memory.get(tid)
            need[i] = (
                last is None
                or time_s - last[0] >= self.launch_refresh_s
                or last[1] != keys[i]
                or not (last[2]["valid"] or reentry[i])
            )
        if anonymous and need.any():
            need[:] = True
        if need.any():
            est = self.launch_estimator.estimate(tracks.take(need), time_s, boost=boost)
            for k, i in enumerate(np.flatnonzero(need)):
                memory[int(ids[i])] = (
                    float(time_s),
                    keys[i],
                    {name: getattr(est, name)[k] for name in _LAUNCH_ROWS},
                )
        rows = [memory[int(t)][2] for t in ids]
        kept, stacked = self._stacked
        if len(kept) != len(rows) or any(a is not b for a, b in zip(kept, rows, strict=False)):
            # the same rows (the same dicts, held here) stack to the same arrays; the caller
            # (_latched) copies them before changing any
            stacked = {name: np.array([r[name] for r in rows]).reshape(
                (ids.size, *np.shape(rows[0][name]))) if rows else np.zeros((0,))
                for name in _LAUNCH_ROWS}  # fmt: skip
            for arr in stacked.values():
                arr.setflags(write=False)  # shared by the steps' estimates
            self._stacked = (rows, stacked)
        return LaunchEstimate(track_ids=ids.copy(), time_s=float(time_s), **stacked)

    def _remember_boost(self, tracks, powered: np.ndarray) -> None:
        """Keep the earliest powered estimate of each track."""
        for i in np.flatnonzero(powered):  # new powered tracks are few
            tid = int(tracks.ids[i])
            if tid not in self._boost_seen:
                self._boost_seen[tid] = (
                    float(tracks.times_s[i]),
                    np.array(tracks.states[i, :3], dtype=float),
                    np.array(tracks.covariances[i, :3, :3], dtype=float),
                )

    def boost_observations(self) -> BoostObservations | None:
        """The earliest powered estimates kept so far, by track id (None if none; read-only
        arrays, the same object until a track's is added)."""
        if not self._boost_seen:
            return None
        seen, size, built = self._boost_built
        if seen is self._boost_seen and size == len(seen):
            return built
        ids = np.array(list(self._boost_seen), dtype=np.int64)
        rows = list(self._boost_seen.values())
        built = BoostObservations(
            track_ids=ids,
            time_s=np.array([r[0] for r in rows]),
            position_ecef=np.stack([r[1] for r in rows]),
            covariance=np.stack([r[2] for r in rows]),
        )
        for arr in (built.track_ids, built.time_s, built.position_ecef, built.covariance):
            arr.setflags(write=False)  # kept for the next steps
        self._boost_built = (self._boost_seen, len(rows), built)
        return built

    @classmethod
    def from_scenario(cls, scenario, *, seed: int | None = None, **kwargs) -> Assessor:
        """Defaults for ``scenario`` (a :class:`bmdsim.scenario.Scenario`)."""
        evaluator = kwargs.pop("threat_evaluator", None) or ThreatEvaluator.from_scenario(scenario)
        launch = kwargs.pop("launch_estimator", None) or LaunchPointEstimator.for_missiles(
            [t.missile_type for t in scenario.threats]
        )
        return cls(
            impact_predictor=kwargs.pop("impact_predictor", None) or ImpactPredictor(),
            threat_evaluator=evaluator,
            launch_estimator=launch,
            path_predictor=kwargs.pop("path_predictor", None) or PathPredictor(),
            seed=scenario.seed if seed is None else seed,
            **kwargs,
        )

    def rngs(self, track_ids) -> list[np.random.Generator]:
        """One named stream per track: ``stream(seed, "assessment", str(track_id))``."""
        return [stream(self.seed, "assessment", str(int(i))) for i in track_ids]

    def _fresh_streams(self, track_ids) -> list[np.random.Generator]:
        """:meth:`rngs` for this step's own use: each track's generator, made once, is put
        back in its stream's initial state (what a new ``stream(...)`` would be) instead of
        being made again; nothing outside the step holds them."""
        out = []
        for i in track_ids:  # one per track
            tid = int(i)
            kept = self._streams.get(tid)
            if kept is None or kept[0] != self.seed:
                g = stream(self.seed, "assessment", str(tid))
                kept = self._streams[tid] = (self.seed, g, g.bit_generator.state)
            else:
                kept[1].bit_generator.state = kept[2]
            out.append(kept[1])
        return out

    def step(
        self, tracks, time_s: float, *, boost: BoostObservations | None = None
    ) -> AssessmentStep:
        """Assess the confirmed tracks of a ``TrackBatch`` at ``time_s`` [s since epoch].

        ``boost``: boost observations for the launch point estimator (e.g. from stereo
        infrared tracks), besides those kept from powered tracks (:attr:`powered_mode`).
        Returns the batches (over the confirmed ballistic tracks, in their order), the paths
        of tracks seen for the first time and the events.
        """
        from bmdsim.tracking.types import TrackStatus

        status = np.asarray(tracks.status)
        alt, rdot = _altitudes(tracks.states)
        powered = self._powered(tracks, alt, rdot)
        self._remember_boost(tracks, powered & (status != TrackStatus.DELETED))
        kept = self.boost_observations()
        if kept is not None:
            boost = kept if boost is None else _concat_boost(boost, kept)
        assessed = (status == TrackStatus.CONFIRMED) & ~powered
        if not assessed.all():  # the batch itself when every track is assessed (read only)
            tracks = tracks.take(assessed)
            alt, rdot = alt[assessed], rdot[assessed]
        impacts = self.impact_predictor.predict(tracks, time_s, self._fresh_streams(tracks.ids))
        threats = self.threat_evaluator.evaluate(impacts)
        monitor = self.monitor
        object_class = self.discriminator.classify(tracks)
        category = monitor.reported_categories(threats)
        category = np.where(
            object_class == ObjectClass.SPENT_STAGE, ThreatCategory.NONE, category
        ).astype(np.int8)
        country = monitor.reported_countries(threats)
        if len(threats):
            j = [threats.countries.index(c) if c in threats.countries else -1 for c in country]
            prob = np.array(
                [threats.country_probability[i, k] if k >= 0 else np.nan for i, k in enumerate(j)]
            )
        else:
            prob = np.zeros(0)
        threats = replace(
            threats,
            category=category,
            object_class=object_class,
            most_likely_country=country,
            most_likely_probability=prob,
            rank=self.threat_evaluator.rank(
                category, threats.time_to_impact_s, threats.value_at_risk
            ),
        )
        launches = None
        if self.launch_estimator is not None and len(tracks):
            launches = self._latched(self._launch_estimates(tracks, time_s, boost, alt, rdot))
        paths: dict[int, tuple[AirspaceCrossing, ...]] = {}
        new = np.array([not monitor.known(i) for i in tracks.ids], dtype=bool)
        if self.path_predictor is not None and new.any():
            sub = tracks.take(new)
            found = self.path_predictor.predict(
                sub, launches=None if launches is None else launches.take(new)
            )
            paths = {int(i): p for i, p in zip(sub.ids, found, strict=True)}
        events = monitor.observe(threats, impacts, launches)
        return AssessmentStep(
            time_s=float(time_s),
            impacts=impacts,
            threats=threats,
            launches=launches,
            paths=paths,
            events=tuple(events),
        )


_LAUNCH_ROWS = (
    "valid", "lat_deg", "lon_deg", "covariance_enu_m2", "event_time_s", "event_time_std_s",
    "country", "method", "burnout_time_s",
)  # fmt: skip


def _altitudes(states) -> tuple[np.ndarray, np.ndarray]:
    """Radial height [m] above the ellipsoid (:func:`bmdsim.flight.dynamics.altitude`) and
    ``r . v`` [m^2/s] (its sign: rising or descending) of ECEF states ``(N, d >= 6)``, in
    one compiled call."""
    from bmdsim.assessment import _kernel

    n = states.shape[0]
    alt, rdot = np.empty(n), np.empty(n)
    _kernel.altitude_rate(np.require(states, float, "C"), alt, rdot)
    return alt, rdot


def _concat_boost(a: BoostObservations, b: BoostObservations) -> BoostObservations:
    return BoostObservations(
        track_ids=np.concatenate([a.track_ids, b.track_ids]),
        time_s=np.concatenate([a.time_s, b.time_s]),
        position_ecef=np.concatenate([a.position_ecef, b.position_ecef]),
        covariance=np.concatenate([a.covariance, b.covariance]),
    )


__all__ = ["AssessmentStep", "Assessor", "ThreatMonitor"]
