"""bmdsim.sim — the clock, the event log, the run loop and the :class:`Result`."""

from bmdsim.sim.engine import EngineSettings, OperatorCommand, Simulation
from bmdsim.sim.events import Event, EventKind, EventLog
from bmdsim.sim.result import DebrisField, ObjectTrack, Result, SensorSite


def run(scenario, seed: int | None = None, *, settings: EngineSettings | None = None,
        progress=None) -> Result:
    """Run ``scenario`` (a :class:`bmdsim.scenario.Scenario`, a bundled name or a path) with
    ``seed`` (default: the scenario's) and return its :class:`Result`."""
    if isinstance(scenario, str):
        from bmdsim.scenario import load_scenario

        scenario = load_scenario(scenario)
    return Simulation(scenario, seed, settings=settings, progress=progress).run()


__all__ = [
    "DebrisField",
    "EngineSettings",
    "Event",
    "EventKind",
    "EventLog",
    "ObjectTrack",
    "OperatorCommand",
    "Result",
    "SensorSite",
    "Simulation",
    "run",
]
