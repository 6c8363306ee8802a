"""bmdsim — an open simulator of the ballistic-missile-defence kill chain.

The front door: load a scenario, inspect it, run it (see ``docs/``).
"""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("bmdsim")
except PackageNotFoundError:  # running from a source tree without install
    __version__ = "0.0.0"

__all__ = ["__version__"]
