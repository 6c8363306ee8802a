"""Weapon-target assignment: how many rounds each fire unit fires at each threat.

The problem (:class:`WtaProblem`): threats ``k`` of value ``v_k``, fire units ``f`` with
single-shot kill probabilities ``p_kf`` (0 where the unit cannot engage the threat in time),
at most ``max_shots[k, f]`` rounds from a unit at a threat and ``max_per_threat[k]`` rounds
in all at a threat (1 for shoot-look-shoot, the salvo size otherwise), ``inventory[f]``
rounds and ``channels[f]`` simultaneous engagements per unit (an engaged threat takes one
channel whatever the number of rounds). Maximise the expected defended value

    EV = sum_k v_k (1 - prod_f (1 - p_kf) ** n_kf)

(independent shots). Two assigners share the :class:`Assigner` contract:

* :class:`OptimalAssigner` — exact. With one round per threat the problem is an assignment
  of threats to unit slots (``min(channels, inventory)`` slots per unit), solved by
  :func:`scipy.optimize.linear_sum_assignment`; otherwise a 0-1 program over the shot
  combinations of each threat (every vector ``n_k`` within the limits, value
  ``v_k (1 - prod (1 - p)^n)``: linear in the choice), solved by
  :func:`scipy.optimize.milp` (HiGHS).
* :class:`GreedyAssigner` — adds one round at a time where it gains most expected value
  (the classic greedy for the static WTA), as a fallback for large instances.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True, slots=True, kw_only=True)
class WtaProblem:
    """One assignment problem (see the module docstring); arrays ``(K,)``, ``(K, F)``,
    ``(F,)``."""

    values: np.ndarray
    pk: np.ndarray
    max_shots: np.ndarray
    max_per_threat: np.ndarray
    inventory: np.ndarray
    channels: np.ndarray

    @classmethod
    def build(cls, values, pk, *, max_shots=1, max_per_threat=1, inventory, channels) -> WtaProblem:
        """Broadcast and check the inputs; pairs with ``pk <= 0`` get no rounds."""
        values = np.asarray(values, dtype=float)
        pk = np.asarray(pk, dtype=float)
        if pk.ndim != 2 or pk.shape[0] != values.size:
            raise ValueError(f"pk must be (K, F) with K = {values.size}, got {pk.shape}")
        k, f = pk.shape
        ms = np.broadcast_to(np.asarray(max_shots, dtype=np.int64), (k, f)).copy()
        ms[pk <= 0.0] = 0
        mpt = np.broadcast_to(np.asarray(max_per_threat, dtype=np.int64), (k,)).copy()
        inv = np.broadcast_to(np.asarray(inventory, dtype=np.int64), (f,)).copy()
        ch = np.broadcast_to(np.asarray(channels, dtype=np.int64), (f,)).copy()
        if np.any(pk > 1.0) or np.any(values < 0.0):
            raise ValueError("kill probabilities must be <= 1 and values >= 0")
        if np.any(ms < 0) or np.any(mpt < 0) or np.any(inv < 0) or np.any(ch < 0):
            raise ValueError("shot limits, inventories and channels must be >= 0")
        return cls(
            values=values,
            pk=np.clip(pk, 0.0, 1.0),
            max_shots=ms,
            max_per_threat=mpt,
            inventory=inv,
            channels=ch,
        )

    @property
    def shape(self) -> tuple[int, int]:
        return self.pk.shape  # type: ignore[return-value]

    def expected_value(self, shots) -> float:
        """``EV`` of a shot matrix ``(K, F)``."""
        n = np.asarray(shots)
        survive = np.prod((1.0 - self.pk) ** n, axis=1)
        return float(np.sum(self.values * (1.0 - survive)))

    def violations(self, shots) -> list[str]:
        """The constraints a shot matrix breaks (empty when it is admissible)."""
        n = np.asarray(shots)
        out = []
        if np.any(n < 0):
            out.append("negative shots")
        if np.any(n > self.max_shots):
            out.append("more rounds than a pair allows (or at an infeasible pair)")
        if np.any(n.sum(axis=1) > self.max_per_threat):
            out.append("more rounds at a threat than allowed")
        if np.any(n.sum(axis=0) > self.inventory):
            out.append("more rounds than in inventory")
        if np.any((n > 0).sum(axis=0) > self.channels):
            out.append("more engagements than channels")
        return out


@dataclass(frozen=True, slots=True, kw_only=True)
class Assignment:
    """A solution: ``shots (K, F)`` rounds, its expected value and the method used."""

    shots: np.ndarray
    expected_value: float
    method: str

    def pairs(self) -> list[tuple[int, int, int]]:
        """``(threat, unit, rounds)`` of every engagement."""
        k, f = np.nonzero(self.shots)
        return [(int(a), int(b), int(self.shots[a, b])) for a, b in zip(k, f, strict=True)]


class Assigner(ABC):
    """Role: assign rounds to threats (:meth:`assign`)."""

    @abstractmethod
    def assign(self, problem: WtaProblem) -> Assignment:
        """An admissible shot matrix for ``problem``."""


class GreedyAssigner(Assigner):
    """One round at a time, where the expected value gains most (see the module docstring)."""

    def assign(self, problem: WtaProblem) -> Assignment:
        k, f = problem.shape
        shots = np.zeros((k, f), np.int64)
        if k == 0 or f == 0:
            return Assignment(shots=shots, expected_value=0.0, method="greedy")
        survive = np.ones(k)
        inv = problem.inventory.copy()
        ch = problem.channels.copy()
        while True:
            gain = problem.values[:, None] * survive[:, None] * problem.pk
            ok = (
                (shots < problem.max_shots)
                & (shots.sum(axis=1, keepdims=True) < problem.max_per_threat[:, None])
                & (inv[None, :] > 0)
                & ((shots > 0) | (ch[None, :] > 0))
            )
            gain = np.where(ok, gain, 0.0)
            best = int(np.argmax(gain))
            a, b = divmod(best, f)
            if gain[a, b] <= 0.0:
                break
            if shots[a, b] == 0:
                ch[b] -= 1
            shots[a, b] += 1
            inv[b] -= 1
            survive[a] *= 1.0 - problem.pk[a, b]
        return Assignment(
            shots=shots, expected_value=problem.expected_value(shots), method="greedy"
        )


class OptimalAssigner(Assigner):
    """Exact assignment (see the module docstring).

    ``max_combinations``: most shot combinations per threat the 0-1 program takes;
    ``time_limit_s``: the MILP solver's time limit. Beyond either, or if the solver fails,
    ``fallback`` assigns (default :class:`GreedyAssigner`; ``None``: raise) and the
    assignment's method says so.
    """

    def __init__(
        self,
        *,
        max_combinations: int = 20_000,
        time_limit_s: float = 10.0,
        fallback: Assigner | None = GreedyAssigner(),  # noqa: B008 (stateless)
    ) -> None:
        self.max_combinations = int(max_combinations)
        self.time_limit_s = float(time_limit_s)
        self.fallback = fallback

    def assign(self, problem: WtaProblem) -> Assignment:
        k, f = problem.shape
        if k == 0 or f == 0:
            return Assignment(shots=np.zeros((k, f), np.int64), expected_value=0.0, method="empty")
        if np.all(np.minimum(problem.max_per_threat, problem.max_shots.sum(axis=1)) <= 1):
            return self._lsa(problem)
        try:
            return self._milp(problem)
        except (ValueError, RuntimeError) as exc:
            if self.fallback is None:
                raise
            out = self.fallback.assign(problem)
            return Assignment(
                shots=out.shots,
                expected_value=out.expected_value,
                method=f"{out.method} (fallback: {exc})",
            )

    @staticmethod
    def _lsa(problem: WtaProblem) -> Assignment:
        from scipy.optimize import linear_sum_assignment

        k, f = problem.shape
        slots = np.minimum(problem.channels, problem.inventory)
        unit_of = np.repeat(np.arange(f), slots)
        shots = np.zeros((k, f), np.int64)
        if unit_of.size:
            gain = problem.values[:, None] * problem.pk[:, unit_of]
            allowed = (problem.max_shots[:, unit_of] > 0) & (problem.max_per_threat[:, None] > 0)
            gain = np.where(allowed, gain, 0.0)
            rows, cols = linear_sum_assignment(-gain)
            take = gain[rows, cols] > 0.0
            np.add.at(shots, (rows[take], unit_of[cols[take]]), 1)
        return Assignment(
            shots=shots,
            expected_value=problem.expected_value(shots),
            method="linear_sum_assignment",
        )

    def _combinations(self, problem: WtaProblem, k: int) -> np.ndarray:
        """``(C, F)`` every non-zero shot vector of threat ``k`` within the limits."""
        f = problem.shape[1]
        units = np.nonzero(problem.max_shots[k] > 0)[0]
        cap = int(problem.max_per_threat[k])
        if units.size == 0 or cap == 0:
            return np.zeros((0, f), np.int64)
        # unit by unit, keeping only partial vectors whose total stays within the cap
        combos = np.zeros((1, 0), np.int64)
        for u in units:
            total = combos.sum(axis=1)
            parts = []
            for n in range(min(int(problem.max_shots[k, u]), cap) + 1):
                keep = combos[total + n <= cap]
                parts.append(np.concatenate([keep, np.full((keep.shape[0], 1), n)], axis=1))
            combos = np.concatenate(parts, axis=0)
            if combos.shape[0] > self.max_combinations:
                raise ValueError(
                    f"threat {k}: more than {self.max_combinations} shot combinations "
                    "(max_combinations); use GreedyAssigner"
                )
        combos = combos[combos.sum(axis=1) > 0]
        out = np.zeros((combos.shape[0], f), np.int64)
        out[:, units] = combos
        return out

    def _milp(self, problem: WtaProblem) -> Assignment:
        from scipy.optimize import Bounds, LinearConstraint, milp
        from scipy.sparse import coo_matrix

        k, f = problem.shape
        combos = [self._combinations(problem, i) for i in range(k)]
        owner = np.concatenate([np.full(c.shape[0], i) for i, c in enumerate(combos)])
        n = np.concatenate(combos, axis=0) if owner.size else np.zeros((0, f), np.int64)
        if owner.size == 0:
            return Assignment(shots=np.zeros((k, f), np.int64), expected_value=0.0, method="milp")
        survive = np.prod((1.0 - problem.pk[owner]) ** n, axis=1)
        value = problem.values[owner] * (1.0 - survive)
        m = owner.size
        # one combination per threat; rounds per unit; channels per unit
        one = coo_matrix((np.ones(m), (owner, np.arange(m))), shape=(k, m))
        rounds = n.T.astype(float)
        engaged = (n > 0).T.astype(float)
        from scipy.sparse import vstack

        a = vstack([one, coo_matrix(rounds), coo_matrix(engaged)]).tocsr()
        ub = np.concatenate([np.ones(k), problem.inventory, problem.channels]).astype(float)
        res = milp(
            -value,
            constraints=LinearConstraint(a, -np.inf, ub),
            integrality=np.ones(m),
            bounds=Bounds(0.0, 1.0),
            options={"time_limit": self.time_limit_s},
        )
        if res.x is None or res.status != 0:
            raise RuntimeError(f"weapon-target assignment MILP not solved: {res.message}")
        chosen = res.x > 0.5
        shots = np.zeros((k, f), np.int64)
        np.add.at(shots, owner[chosen], n[chosen])
        return Assignment(shots=shots, expected_value=problem.expected_value(shots), method="milp")


__all__ = ["Assigner", "Assignment", "GreedyAssigner", "OptimalAssigner", "WtaProblem"]
