"""Shared fixtures of the engagement tests: a synthetic ballistic threat and a table cache."""

from __future__ import annotations

import os

import pytest

from .synthetic import SHIP_LAT_LON, THREAT_STATE, THREAT_T0_S, ballistic_state

__all__ = ["SHIP_LAT_LON", "THREAT_STATE", "THREAT_T0_S", "ballistic_state"]


@pytest.fixture(scope="session")
def threat():
    """The synthetic threat's true trajectory (a ballistic coast with drag)."""
    from bmdsim.engagement.prediction import PredictedTrajectories

    return PredictedTrajectories.from_states(THREAT_STATE[None], THREAT_T0_S)


@pytest.fixture(scope="session", autouse=True)
def _table_cache(tmp_path_factory):
    """Flyout tables go to a temporary cache directory, not the user's."""
    old = os.environ.get("BMDSIM_CACHE_DIR")
    os.environ["BMDSIM_CACHE_DIR"] = str(tmp_path_factory.mktemp("bmdsim-cache"))
    yield
    if old is None:
        os.environ.pop("BMDSIM_CACHE_DIR", None)
    else:
        os.environ["BMDSIM_CACHE_DIR"] = old
