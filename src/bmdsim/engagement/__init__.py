"""Engagement: from an evaluated threat to an interceptor's intercept.

"Alerted land- and sea-based missile defence systems and launched an interceptor to defeat
the threat": the C2 network (:class:`C2Network`), posture, weapon control and rules of
engagement (:class:`PostureState`, :class:`WeaponControlState`,
:class:`EngagementAuthority`), engagement planning with flyout tables and the full flyout
(:class:`EngagementPlanner`, :class:`FireControl`), weapon-target assignment
(:class:`OptimalAssigner`, :class:`GreedyAssigner`), the guided interceptor flight
(:class:`InterceptorFlight`: staged boost, zero-effort-miss midcourse guidance with in-flight
target updates, proportional-navigation homing on a seeker, hit-to-kill miss distance and
``Pk``), kill assessment (:class:`KillAssessor`), the battle manager at the operations centre
(:class:`BattleManager`) and the fire units (:class:`FireUnit`).

:class:`EngagementSystem` wires them for a scenario; the engine advances it step by step.
``docs/models/engagement.md`` gives the equations and sources.
"""

from bmdsim.engagement.assignment import (
    Assigner,
    Assignment,
    GreedyAssigner,
    OptimalAssigner,
    WtaProblem,
)
from bmdsim.engagement.battle_manager import BattleManager, BattleStep, UnitRecord
from bmdsim.engagement.c2 import C2Network, Link
from bmdsim.engagement.doctrine import (
    EngagementAuthority,
    EngagementRules,
    PostureState,
    WeaponControlState,
)
from bmdsim.engagement.events import (
    AlertReceived,
    AlertSent,
    EngagementEvent,
    EngagementPlanned,
    EngageOrderIssued,
    EngageOrderRefused,
    InterceptorLaunched,
    InterceptResult,
    KillAssessed,
    MessageLost,
    MessageReceived,
    MessageSent,
    PostureChanged,
    WeaponControlChanged,
)
from bmdsim.engagement.fire_control import FireControl, FireControlSolution
from bmdsim.engagement.fire_unit import FireUnit, FireUnitStep
from bmdsim.engagement.flyout import (
    InterceptorBatch,
    InterceptorFlight,
    InterceptorLaunch,
    Outcome,
    Phase,
)
from bmdsim.engagement.guidance import ProportionalNavigation, Seeker, ZeroEffortMissGuidance
from bmdsim.engagement.kill_assessment import KillAssessor
from bmdsim.engagement.kinematics import InterceptorKinematics, LaunchProgram, fly_open_loop
from bmdsim.engagement.planning import (
    EngagementPlan,
    EngagementPlanner,
    Launcher,
    launchers_from_scenario,
)
from bmdsim.engagement.prediction import PredictedTrajectories
from bmdsim.engagement.system import EngagementSystem
from bmdsim.engagement.tables import FlyoutTable, build_table, flyout_table
from bmdsim.engagement.threats import ThreatReport, threat_reports

__all__ = [
    "AlertReceived",
    "AlertSent",
    "Assigner",
    "Assignment",
    "BattleManager",
    "BattleStep",
    "C2Network",
    "EngageOrderIssued",
    "EngageOrderRefused",
    "EngagementAuthority",
    "EngagementEvent",
    "EngagementPlan",
    "EngagementPlanned",
    "EngagementPlanner",
    "EngagementRules",
    "EngagementSystem",
    "FireControl",
    "FireControlSolution",
    "FireUnit",
    "FireUnitStep",
    "FlyoutTable",
    "GreedyAssigner",
    "InterceptResult",
    "InterceptorBatch",
    "InterceptorFlight",
    "InterceptorKinematics",
    "InterceptorLaunch",
    "InterceptorLaunched",
    "KillAssessed",
    "KillAssessor",
    "LaunchProgram",
    "Launcher",
    "Link",
    "MessageLost",
    "MessageReceived",
    "MessageSent",
    "OptimalAssigner",
    "Outcome",
    "Phase",
    "PostureChanged",
    "PostureState",
    "PredictedTrajectories",
    "ProportionalNavigation",
    "Seeker",
    "ThreatReport",
    "UnitRecord",
    "WeaponControlChanged",
    "WeaponControlState",
    "WtaProblem",
    "ZeroEffortMissGuidance",
    "build_table",
    "fly_open_loop",
    "flyout_table",
    "launchers_from_scenario",
    "threat_reports",
]
