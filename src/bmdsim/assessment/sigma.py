"""Gaussian state uncertainty through a nonlinear map: sigma points and a quadratic surrogate.

For a state ``x ~ N(m, P)`` of dimension ``d`` write ``x = m + L u`` with ``u ~ N(0, I)`` and
``L = V diag(sqrt(w))`` the principal square root (``P = V diag(w) V^T``: the columns of
``L`` are the principal axes of the uncertainty, scaled by their standard deviations). The
``2d + 1`` sigma points are ``m`` and ``m +- s L_i`` (``s = sqrt(3)``, the scaling that
matches the Gaussian's fourth moment along each axis: Julier & Uhlmann, *Proc. IEEE*
92(3), 2004). Evaluating a map ``f`` at them fixes, along each axis, the quadratic

    f(u) ~ f0 + sum_i a_i u_i + sum_i b_i u_i^2,
    a_i = (f(+s) - f(-s)) / (2 s),   b_i = (f(+s) + f(-s) - 2 f0) / (2 s^2),

(the second-order divided-difference model of Norgaard, Poulsen & Ravn, *Automatica*
36:1627, 2000, without the cross terms), whose moments are exact for ``u ~ N(0, I)``:

    E f = f0 + sum_i b_i,      Cov f = sum_i a_i a_i^T + 2 sum_i b_i b_i^T,

and which can be sampled at the cost of a matrix product: ``S`` draws of ``u`` give ``S``
draws of ``f`` without evaluating ``f`` again. With ``f`` the impact point of a ballistic
state this costs ``2d + 1`` trajectory integrations per track instead of one per sample.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

#: Sigma-point spread in standard deviations along each principal axis.
SIGMA_SCALE: float = float(np.sqrt(3.0))


def principal_sqrt(covariance) -> np.ndarray:
    """``L (..., d, d)`` with ``L L^T = P`` whose columns are the principal axes of ``P``
    scaled by their standard deviations (negative eigenvalues from rounding are zeroed)."""
    p = np.asarray(covariance, dtype=float)
    w, v = np.linalg.eigh(0.5 * (p + np.swapaxes(p, -1, -2)))
    return v * np.sqrt(np.maximum(w, 0.0))[..., None, :]


def sigma_points(mean, covariance, scale: float = SIGMA_SCALE, compiled: bool = True) -> np.ndarray:
    """``(N, 2d + 1, d)`` points ``m, m + s L_1, .., m + s L_d, m - s L_1, .., m - s L_d``.

    ``compiled``: the arithmetic after numpy's ``eigh`` in one compiled kernel (the same
    operations and bits), else numpy's."""
    m = np.asarray(mean, dtype=float)
    p = np.asarray(covariance, dtype=float)
    if not compiled or m.ndim != 2 or p.shape != (*m.shape, m.shape[-1]):
        sl = scale * np.swapaxes(principal_sqrt(p), -1, -2)  # rows: s L_i
        return np.concatenate([m[:, None], m[:, None] + sl, m[:, None] - sl], axis=1)
    from bmdsim.assessment import _kernel

    w, v = np.linalg.eigh(0.5 * (p + np.swapaxes(p, -1, -2)))
    n, d = m.shape
    out = np.empty((n, 2 * d + 1, d))
    _kernel.sigma_from_eigh(
        np.require(m, float, "CW"), np.require(w, float, "CW"), np.require(v, float, "CW"),
        float(scale), out,
    )  # fmt: skip
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class QuadraticSurrogate:
    """``f(u) = f0 + a u + b (u * u)`` for ``u ~ N(0, I_d)``, batched over ``N``.

    f0 (N, k); a (N, k, d); b (N, k, d).
    """

    f0: np.ndarray
    a: np.ndarray
    b: np.ndarray

    @classmethod
    def from_sigma_values(cls, values, scale: float = SIGMA_SCALE) -> QuadraticSurrogate:
        """From ``f`` at the points of :func:`sigma_points`: ``values (N, 2d + 1, k)``."""
        v = np.asarray(values, dtype=float)
        d = (v.shape[1] - 1) // 2
        f0 = v[:, 0]
        plus = v[:, 1 : d + 1]
        minus = v[:, d + 1 :]
        a = np.swapaxes((plus - minus) / (2.0 * scale), 1, 2)
        b = np.swapaxes((plus + minus - 2.0 * f0[:, None]) / (2.0 * scale * scale), 1, 2)
        return cls(f0=f0, a=a, b=b)

    def mean(self) -> np.ndarray:
        """``(N, k)`` exact mean under ``u ~ N(0, I)``."""
        return self.f0 + self.b.sum(axis=-1)

    def covariance(self) -> np.ndarray:
        """``(N, k, k)`` exact covariance under ``u ~ N(0, I)``."""
        a, b = self.a, self.b
        return a @ np.swapaxes(a, -1, -2) + 2.0 * (b @ np.swapaxes(b, -1, -2))

    def sample(self, u) -> np.ndarray:
        """``(N, S, k)`` values at standard normal draws ``u (N, S, d)``."""
        u = np.asarray(u, dtype=float)
        uu = np.concatenate([u, u * u], axis=-1)
        ab = np.concatenate([self.a, self.b], axis=-1)
        return self.f0[:, None] + uu @ np.swapaxes(ab, -1, -2)

    def sample_streams(self, rng, s: int) -> np.ndarray:
        """``(N, S, k)`` values at ``S`` standard normal draws per row from ``rng`` (one
        generator, or one per row as for :func:`standard_normals`): bit for bit
        ``self.sample(standard_normals(rng, N, S, d))``.

        With one generator per row, each row is computed on its own from the regressors
        ``[u, u * u]`` of its stream, remembered by the stream's exact state (see
        :func:`standard_normals`): a track's named stream, created afresh at every step,
        costs a look-up and one ``(S, 2d) x (2d, k)`` product, and no batch-sized
        temporary is made."""
        n, k, d = self.a.shape
        if isinstance(rng, np.random.Generator):
            return self.sample(rng.standard_normal((n, s, d)))
        gens = _generators(rng, n)
        ab_t = np.swapaxes(np.concatenate([self.a, self.b], axis=-1), -1, -2)  # (N, 2d, k)
        out = np.empty((n, s, k))
        for i, g in enumerate(gens):  # one product per track (independent named streams)
            np.matmul(_DRAWS.regressors(g, s, d), ab_t[i], out=out[i])
            out[i] += self.f0[i]
        return out


def standard_normals(rng, n: int, s: int, d: int) -> np.ndarray:
    """``(n, s, d)`` standard normal draws: from one generator, or from one generator per
    row when ``rng`` is a sequence of ``n`` generators (so that a track's draws do not
    depend on the other tracks of the batch).

    Per-row generators in a state met before give the draws they gave then from memory
    (the draws are a function of the bit generator's exact state; the generator is moved
    on to the state the draw leaves, as if it had drawn): a track's named stream, created
    afresh at every step, costs one look-up instead of ``s * d`` draws."""
    if isinstance(rng, np.random.Generator):
        return rng.standard_normal((n, s, d))
    out = np.empty((n, s, d))
    for i, g in enumerate(_generators(rng, n)):  # one draw per track (named streams)
        out[i] = _DRAWS.regressors(g, s, d)[:, :d]
    return out


def _generators(rng, n: int) -> list[np.random.Generator]:
    gens = list(rng)
    if len(gens) != n:
        raise ValueError(f"need one generator per track: {n}, got {len(gens)}")
    return gens


def _freeze(value):
    """A hashable copy of a bit generator's state (nested dicts, arrays, numbers)."""
    if isinstance(value, dict):
        return tuple((k, _freeze(v)) for k, v in value.items())
    if isinstance(value, np.ndarray):
        return (value.dtype.str, value.shape, value.tobytes())
    if isinstance(value, list | tuple):
        return tuple(_freeze(v) for v in value)
    return value


class _DrawMemory:
    """Standard normal draws ``u (s, d)`` by the exact state of the generator that made them,
    kept as the read-only regressors ``[u, u * u] (s, 2d)``, least recently used out beyond
    ``max_bytes`` (64 MiB: ~580 tracks of 1,000 seven-dimensional draws)."""

    def __init__(self, max_bytes: int = 64 << 20) -> None:
        self._kept: OrderedDict = OrderedDict()
        self._bytes = 0
        self._max_bytes = max_bytes
        self._lock = threading.Lock()
        #: id of a generator met -> (the generator, its state then, s, d, the regressors,
        #: the state after): the last answer per generator (a track's stream, put back in
        #: its initial state at every step, asks again for the same draws)
        self._last: dict[int, tuple] = {}

    def regressors(self, gen: np.random.Generator, s: int, d: int) -> np.ndarray:
        """``[u, u * u]`` of ``u = gen.standard_normal((s, d))``; ``gen`` is left in the
        state that draw leaves."""
        bg = gen.bit_generator
        state = bg.state
        last = self._last.get(id(gen))
        if last is not None and last[0] is gen and last[2] == s and last[3] == d:
            try:
                same = bool(last[1] == state)
            except ValueError:  # a state holding arrays: compared by the frozen key below
                same = False
            if same:  # the same generator in the same state: the same draws
                bg.state = last[5]
                return last[4]
        uu = self._regressors(gen, state, s, d)
        with self._lock:
            if len(self._last) >= 256:  # the tracks of a step, not every generator met
                self._last.clear()
            self._last[id(gen)] = (gen, state, s, d, uu, bg.state)
        return uu

    def _regressors(self, gen: np.random.Generator, state, s: int, d: int) -> np.ndarray:
        """:meth:`regressors` by the exact state ``state`` of ``gen``."""
        key = (s, d, _freeze(state))
        with self._lock:
            hit = self._kept.get(key)
            if hit is not None:
                self._kept.move_to_end(key)
        if hit is not None:
            gen.bit_generator.state = hit[1]
            return hit[0]
        u = gen.standard_normal((s, d))
        uu = np.concatenate([u, u * u], axis=-1)
        uu.flags.writeable = False
        with self._lock:
            if key not in self._kept:
                self._kept[key] = (uu, gen.bit_generator.state)
                self._bytes += uu.nbytes
            while self._bytes > self._max_bytes and len(self._kept) > 1:
                self._bytes -= self._kept.popitem(last=False)[1][0].nbytes
        return uu

    def clear(self) -> None:
        with self._lock:
            self._kept.clear()
            self._last.clear()
            self._bytes = 0


_DRAWS = _DrawMemory()


__all__ = [
    "SIGMA_SCALE",
    "QuadraticSurrogate",
    "principal_sqrt",
    "sigma_points",
    "standard_normals",
]
