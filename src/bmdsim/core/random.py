"""Seeded random streams.

Every random draw in bmdsim comes from a :class:`numpy.random.Generator` derived
from the run's seed and a *stable name* (a sensor id, a threat id, ...). Adding a
sensor therefore never changes another sensor's noise, and a Monte Carlo sample
gives the same numbers whichever worker runs it.
"""

from __future__ import annotations

import hashlib
from functools import lru_cache

import numpy as np


@lru_cache(maxsize=8192)
def _name_key(name: str) -> tuple[int, ...]:
    digest = hashlib.sha256(name.encode("utf-8")).digest()
    return tuple(int.from_bytes(digest[i : i + 4], "little") for i in range(0, 16, 4))


def stream(seed: int, *names: str) -> np.random.Generator:
    """Return an independent generator for ``(seed, *names)``.

    The same seed and names always give the same stream, on any machine and in
    any process; different names give statistically independent streams
    (``numpy.random.SeedSequence`` entropy mixing of the seed and a SHA-256 of
    each name).
    """
    if seed < 0:
        raise ValueError(f"seed must be a non-negative integer, got {seed}")
    entropy = [int(seed)]
    for name in names:
        entropy.extend(_name_key(name))
    if seed < 2**32:
        # the same 32-bit words SeedSequence makes of the list, without its per-int coercion
        return np.random.Generator(
            np.random.PCG64(np.random.SeedSequence(np.array(entropy, dtype=np.uint32)))
        )
    return np.random.Generator(np.random.PCG64(np.random.SeedSequence(entropy)))
