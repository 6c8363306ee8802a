"""Fuzzed scenarios: any input either validates or raises ScenarioError, never anything else."""

from __future__ import annotations

import copy
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from bmdsim.scenario import Scenario, ScenarioError
from tests.unit.scenario.cases import BASE


def _paths(node: Any, prefix: tuple = ()) -> list[tuple]:
    out = [prefix] if prefix else []
    if isinstance(node, dict):
        for key, value in node.items():
            out += _paths(value, (*prefix, key))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            out += _paths(value, (*prefix, i))
    return out


PATHS = _paths(BASE)

scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**6, 10**6),
    st.floats(allow_nan=True, allow_infinity=True), st.text(max_size=12),
    st.sampled_from(["shahab-3", "sm-3-ib", "spy-1d", "ship", "radar", "geo", "heo", "NATO"]),
)
values = st.recursive(
    scalars,
    lambda inner: st.one_of(st.lists(inner, max_size=3),
                            st.dictionaries(st.text(max_size=8), inner, max_size=3)),
    max_leaves=6,
)
edits = st.lists(
    st.tuples(st.sampled_from(PATHS), st.sampled_from(["set", "delete", "extra"]), values),
    min_size=1, max_size=3,
)


def _has(node: Any, key: Any) -> bool:
    if isinstance(node, dict):
        return key in node
    return isinstance(node, list) and isinstance(key, int) and key < len(node)


def _apply(data: dict, path: tuple, action: str, value: Any) -> None:
    node = data
    for key in path[:-1]:
        if _has(node, key):
            node = node[key]
        else:
            return
    last = path[-1]
    if isinstance(node, dict):
        if action == "delete":
            node.pop(last, None)
        elif action == "extra":
            node[f"unknown_{last}"] = value
        else:
            node[last] = value
    elif isinstance(node, list) and isinstance(last, int) and last < len(node):
        if action == "delete":
            del node[last]
        else:
            node[last] = value


@settings(max_examples=300, deadline=None)
@given(edits)
def test_fuzzed_scenario_validates_or_reports_problems(changes):
    data = copy.deepcopy(BASE)
    for path, action, value in changes:
        _apply(data, path, action, value)
    try:
        Scenario.from_mapping(data)
    except ScenarioError as exc:
        assert exc.problems
        for problem in exc.problems:
            assert problem.path and problem.message
            assert str(problem).startswith(problem.path)
