"""bmdsim — an open simulator of the ballistic-missile-defence kill chain.

The front door: load a scenario, inspect it, run it (see ``docs/``).
"""

import importlib
from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bmdsim")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"

# name -> module that defines it, imported on first use so that ``import bmdsim`` stays fast
_LAZY = {
    "Scenario": "bmdsim.scenario",
    "ScenarioError": "bmdsim.scenario",
    "load_scenario": "bmdsim.scenario",
    "run": "bmdsim.sim",
    "Result": "bmdsim.sim",
    "Simulation": "bmdsim.sim",
}


def __getattr__(name: str):
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'bmdsim' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


__all__ = ["__version__", *_LAZY]
