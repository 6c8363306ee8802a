"""Kill assessment: a sensor's verdict on an intercept, some time after it, possibly wrong.

After an interceptor's flight ends, the assessing sensor (the fire unit's fire-control sensor,
or the unit itself) looks at the scene for ``observation_s`` and the crew decides after the
posture-scaled kill-assessment delay. The verdict errs with fixed probabilities: a destroyed
threat is declared destroyed with probability ``p_declare_kill`` (otherwise it is engaged
again for nothing), a surviving threat is declared destroyed with probability
``p_false_kill`` (then it leaks unless another engagement is under way). A flight that ended
without a closest approach (self-destruct, target lost) is known to have failed.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from bmdsim.engagement.events import InterceptResult, KillAssessed


@dataclass(frozen=True, slots=True, kw_only=True)
class KillAssessor:
    """Verdict model (see the module docstring)."""

    observation_s: float = 4.0
    p_declare_kill: float = 0.95
    p_false_kill: float = 0.05

    def __post_init__(self) -> None:
        if not (0.0 <= self.p_false_kill <= 1.0 and 0.0 <= self.p_declare_kill <= 1.0):
            raise ValueError("probabilities must be in [0, 1]")
        if self.observation_s < 0.0:
            raise ValueError("observation_s must be >= 0 s")

    def assess(
        self,
        result: InterceptResult,
        *,
        assessor: str,
        decision_delay_s: float,
        rng: np.random.Generator,
    ) -> KillAssessed:
        """The verdict on ``result`` by ``assessor``, dated when it is made: the end of the
        flight plus the observation time plus ``decision_delay_s``."""
        draw = rng.random()
        if math.isnan(result.miss_distance_m):
            verdict = False
        elif result.killed:
            verdict = bool(draw < self.p_declare_kill)
        else:
            verdict = bool(draw < self.p_false_kill)
        return KillAssessed(
            time_s=result.time_s + self.observation_s + decision_delay_s,
            source=assessor,
            subject=result.subject,
            interceptor_id=result.source,
            assessed_killed=verdict,
            truth_killed=result.killed,
        )


__all__ = ["KillAssessor"]
