"""Weapon-target assignment: the assigner contract, optimality against brute force, greedy gap."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from bmdsim.engagement.assignment import (
    Assigner,
    GreedyAssigner,
    OptimalAssigner,
    WtaProblem,
)

ASSIGNERS = [OptimalAssigner(), GreedyAssigner()]


def _random_problem(rng, k, f, *, max_shots_hi=3, per_threat_hi=4) -> WtaProblem:
    return WtaProblem.build(
        rng.uniform(1.0, 10.0, k),
        rng.uniform(0.2, 0.9, (k, f)) * (rng.random((k, f)) < 0.75),
        max_shots=rng.integers(0, max_shots_hi, (k, f)),
        max_per_threat=rng.integers(1, per_threat_hi, k),
        inventory=rng.integers(0, 5, f),
        channels=rng.integers(1, 3, f),
    )


def _brute_force(p: WtaProblem) -> float:
    best = 0.0
    for n in itertools.product(*[range(int(m) + 1) for m in p.max_shots.ravel()]):
        shots = np.array(n).reshape(p.shape)
        if not p.violations(shots):
            best = max(best, p.expected_value(shots))
    return best


@pytest.mark.parametrize("assigner", ASSIGNERS, ids=lambda a: type(a).__name__)
def test_assigner_contract_admissible_and_value_consistent(assigner: Assigner):
    rng = np.random.default_rng(11)
    for _ in range(30):
        p = _random_problem(rng, int(rng.integers(1, 6)), int(rng.integers(1, 5)))
        a = assigner.assign(p)
        assert a.shots.shape == p.shape and a.shots.dtype.kind == "i"
        assert p.violations(a.shots) == []
        assert np.all(a.shots[p.pk <= 0.0] == 0)
        assert a.expected_value == pytest.approx(p.expected_value(a.shots))
        assert all(n > 0 for _, _, n in a.pairs())


@pytest.mark.parametrize("assigner", ASSIGNERS, ids=lambda a: type(a).__name__)
def test_assigner_contract_edge_cases(assigner: Assigner):
    empty = WtaProblem.build(np.zeros(0), np.zeros((0, 2)), inventory=[1, 1], channels=[1, 1])
    assert assigner.assign(empty).shots.shape == (0, 2)
    dry = WtaProblem.build([5.0], [[0.9]], inventory=[0], channels=[1])
    assert assigner.assign(dry).shots.sum() == 0
    single = WtaProblem.build(
        [5.0], [[0.9]], max_shots=2, max_per_threat=2, inventory=[4], channels=[1]
    )
    a = assigner.assign(single)
    assert a.shots[0, 0] == 2 and a.expected_value == pytest.approx(5.0 * (1 - 0.1**2))


def test_optimal_matches_brute_force_on_small_instances():
    rng = np.random.default_rng(2026)
    methods = set()
    for trial in range(40):
        p = _random_problem(rng, 3, 3)
        a = OptimalAssigner().assign(p)
        methods.add(a.method)
        best = _brute_force(p)
        assert a.expected_value == pytest.approx(best, abs=1e-9), (
            f"trial {trial}: {a.expected_value} vs {best}"
        )
    assert methods == {"milp", "linear_sum_assignment"}


def test_single_shot_problems_use_the_assignment_solver_and_are_optimal():
    rng = np.random.default_rng(5)
    for _ in range(20):
        p = WtaProblem.build(
            rng.uniform(1.0, 10.0, 3),
            rng.uniform(0.0, 0.9, (3, 3)),
            max_shots=1,
            max_per_threat=1,
            inventory=rng.integers(0, 3, 3),
            channels=2,
        )
        a = OptimalAssigner().assign(p)
        assert a.method == "linear_sum_assignment"
        assert a.expected_value == pytest.approx(_brute_force(p), abs=1e-9)


def test_greedy_gap_to_optimal_on_raid_sized_instances():
    """Greedy against the exact MILP on 20 threats x 8 fire units (salvos of up to 3)."""
    rng = np.random.default_rng(7)
    gaps = []
    for _ in range(12):
        p = WtaProblem.build(
            rng.uniform(1.0, 10.0, 20),
            rng.uniform(0.3, 0.9, (20, 8)) * (rng.random((20, 8)) < 0.6),
            max_shots=2,
            max_per_threat=3,
            inventory=rng.integers(2, 6, 8),
            channels=rng.integers(2, 5, 8),
        )
        opt = OptimalAssigner().assign(p).expected_value
        greedy = GreedyAssigner().assign(p).expected_value
        assert greedy <= opt + 1e-9
        gaps.append(1.0 - greedy / opt)
    gaps = np.array(gaps)
    assert gaps.mean() < 0.05 and gaps.max() < 0.12, (
        f"greedy gap: mean {gaps.mean():.2%}, max {gaps.max():.2%}"
    )


def test_expected_value_counts_independent_shots():
    p = WtaProblem.build(
        [10.0, 4.0],
        [[0.8, 0.5], [0.0, 0.6]],
        max_shots=2,
        max_per_threat=3,
        inventory=[3, 3],
        channels=[2, 2],
    )
    shots = np.array([[1, 1], [0, 2]])
    assert p.expected_value(shots) == pytest.approx(10 * (1 - 0.2 * 0.5) + 4 * (1 - 0.4**2))
    assert "more rounds than a pair allows (or at an infeasible pair)" in p.violations(
        [[0, 0], [1, 0]]
    )


def test_problem_rejects_bad_inputs():
    with pytest.raises(ValueError):
        WtaProblem.build([1.0], [[1.5]], inventory=[1], channels=[1])
    with pytest.raises(ValueError):
        WtaProblem.build([-1.0], [[0.5]], inventory=[1], channels=[1])


def test_exact_assigner_falls_back_to_greedy_beyond_its_limits():
    rng = np.random.default_rng(3)
    p = _random_problem(rng, 6, 5, max_shots_hi=3, per_threat_hi=4)
    a = OptimalAssigner(max_combinations=2).assign(p)
    assert a.method.startswith("greedy (fallback") and p.violations(a.shots) == []
    with pytest.raises(ValueError):
        OptimalAssigner(max_combinations=2, fallback=None).assign(p)
