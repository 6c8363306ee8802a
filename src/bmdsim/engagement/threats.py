"""What the battle manager knows of a threat: a track's estimate and its threat evaluation.

:class:`ThreatReport` joins one confirmed track (:class:`bmdsim.tracking.TrackBatch` row:
ECEF state, covariance, drag parameter) with its assessment
(:class:`bmdsim.assessment.types.ImpactPrediction` and
:class:`~bmdsim.assessment.types.ThreatAssessment`: predicted impact, category, threatened
defended assets, value at risk). :func:`threat_reports` builds them for a batch.

A track the assessment classes as a spent stage
(:class:`bmdsim.assessment.discrimination.ObjectClass`) is reported not hostile, with
category ``NONE``: the rules of engagement then permit no fire unit to engage it (nor
self-defence under weapons hold, see :class:`bmdsim.engagement.doctrine.EngagementAuthority`).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import numpy as np

from bmdsim.assessment.discrimination import ObjectClass
from bmdsim.assessment.types import ThreatCategory

#: A defended asset counts as threatened from this impact probability on.
ASSET_THRESHOLD: float = 0.05


@dataclass(frozen=True, slots=True, kw_only=True)
class ThreatReport:
    """One threat as the operations centre sees it at ``time_s`` (ECEF, SI, epoch seconds).

    ``target_key`` is the engine's key of the true object the track follows (for the
    interceptor flight's truth); ``asset_probability`` maps defended asset ids to the probability of
    impact inside them; ``value_at_risk = sum value * P(asset)``; ``p_allied`` and
    ``p_non_allied`` the probabilities of impact on Allied and other land; ``object_class``
    the discrimination's label (``"rv"``, ``"spent stage"``, ``"unknown"``).
    """

    threat_id: str
    track_id: int = -1
    target_key: int = -1
    time_s: float
    state: tuple[float, ...]
    ballistic_coefficient_kg_m2: float = math.nan
    category: ThreatCategory
    hostile: bool = True
    impact_lat_deg: float = math.nan
    impact_lon_deg: float = math.nan
    impact_s: float = math.nan
    asset_probability: Mapping[str, float] | None = None
    value_at_risk: float = 0.0
    p_allied: float = 0.0
    p_non_allied: float = 0.0
    object_class: str = "unknown"

    @property
    def spent_stage(self) -> bool:
        """Whether the track was discriminated as a spent stage (never engaged)."""
        return self.object_class == ObjectClass.SPENT_STAGE.label

    @property
    def threatened_assets(self) -> tuple[str, ...]:
        """Defended assets with an impact probability of at least :data:`ASSET_THRESHOLD`."""
        probs = self.asset_probability or {}
        return tuple(a for a, p in probs.items() if p >= ASSET_THRESHOLD)

    @property
    def state_array(self) -> np.ndarray:
        return np.asarray(self.state, dtype=float)


def threat_reports(
    tracks,
    impacts,
    threats,
    *,
    target_of: Callable[[int], int] | Mapping[int, int] | None = None,
    name_of: Callable[[int], str] | None = None,
) -> list[ThreatReport]:
    """Reports for the tracks assessed in ``impacts`` / ``threats`` (batches over the same
    track ids, e.g. an :class:`bmdsim.assessment.AssessmentStep`'s), with the estimates of
    ``tracks`` (a :class:`bmdsim.tracking.TrackBatch`).

    ``target_of``: track id -> the engine's key of its true object (default -1: unknown);
    ``name_of``: track id -> the threat's name (default ``"track-<id>"``).
    """
    out: list[ThreatReport] = []
    if len(threats) == 0:
        return out
    rows = tracks.index_of(threats.track_ids)
    kappa = tracks.states[rows, 6] if tracks.ndim > 6 else np.full(rows.size, np.nan)
    classes = np.asarray(threats.object_class)
    for j, tid in enumerate(np.asarray(threats.track_ids)):  # a handful of threats
        tid = int(tid)
        if target_of is None:
            target = -1
        elif callable(target_of):
            target = int(target_of(tid))
        else:
            target = int(target_of.get(tid, -1))
        k = float(kappa[j])
        beta = 1.0 / k if np.isfinite(k) and k > 0.0 else math.nan
        cls = ObjectClass(int(classes[j]))
        stage = cls is ObjectClass.SPENT_STAGE
        out.append(
            ThreatReport(
                threat_id=name_of(tid) if name_of else f"track-{tid}",
                track_id=tid,
                target_key=target,
                time_s=float(tracks.times_s[rows[j]]),
                state=tuple(float(v) for v in tracks.states[rows[j], :6]),
                ballistic_coefficient_kg_m2=beta,
                category=ThreatCategory.NONE if stage else ThreatCategory(int(threats.category[j])),
                hostile=not stage,
                object_class=cls.label,
                impact_lat_deg=float(impacts.lat_deg[j]),
                impact_lon_deg=float(impacts.lon_deg[j]),
                impact_s=float(impacts.event_time_s[j]),
                asset_probability={
                    a: float(p)
                    for a, p in zip(threats.asset_ids, threats.asset_probability[j], strict=True)
                },
                value_at_risk=float(threats.value_at_risk[j]),
                p_allied=float(threats.p_allied[j]),
                p_non_allied=float(threats.p_non_allied[j]),
            )
        )
    return out


__all__ = ["ASSET_THRESHOLD", "ThreatCategory", "ThreatReport", "threat_reports"]
