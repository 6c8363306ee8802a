"""Updaters: fold one measurement per track into every track of a batch at once.

Role contract (shared by :class:`ExtendedKalmanUpdater` and :class:`UnscentedKalmanUpdater`):

* ``predict_measurement(states (K, n), covariances (K, n, n), model, noise (K, m, m))
  -> MeasurementPrediction`` — predicted measurement, innovation and cross covariances;
* ``update(tracks, z (K, m), noise (K, m, m), model) -> (TrackBatch, log_likelihood (K,))`` —
  ``tracks`` already predicted to the measurement time, row ``k`` updated with ``z[k]``.
  Every motion mode of every track is updated; with more than one mode the mode
  probabilities are re-weighted by the mode likelihoods (IMM) and the combined estimate is
  the moment-matched mixture.

The covariance update is the Joseph form ``(I - K H) P (I - K H)^T + K R K^T``, which keeps
covariances symmetric positive definite in floating point. For the UKF ``H`` is the
statistical linearisation ``P_xz^T P^-1`` and ``R`` the part of ``S`` it leaves
unexplained (``S - H P H^T``), so the Joseph form equals the textbook UKF update in exact
arithmetic.

A measurement model is any object with ``function(states (K, n>=6)) -> (K, m)`` and
``jacobian(states) -> (K, m, 6 or n)`` in ECEF (e.g. the sensors layer's
``EcefToRangeAzEl``); angular components listed in its ``wrapped_indices`` (if any)
get their residuals wrapped to ``(-pi, pi]``.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from bmdsim.core.linalg import symmetrise
from bmdsim.tracking.predictor import sigma_points
from bmdsim.tracking.types import MeasurementPrediction, TrackBatch


def residual(model, z: np.ndarray, z_pred: np.ndarray) -> np.ndarray:
    """``z - z_pred`` with the model's angular components wrapped to ``(-pi, pi]``."""
    fn = getattr(model, "residual", None)
    if fn is not None:
        return fn(z, z_pred)
    d = np.asarray(z, dtype=float) - z_pred
    wrapped = tuple(getattr(model, "wrapped_indices", ()))
    if wrapped:
        d = d.copy()
        idx = list(wrapped)
        d[..., idx] = np.mod(d[..., idx] + np.pi, 2.0 * np.pi) - np.pi
    return d


def measurement_jacobian(model, states: np.ndarray) -> np.ndarray:
    """Model Jacobian padded with zero columns to the state dimension: ``(K, m, n)``
    (compiled for the sensors layer's models, see :func:`_compiled_geometry`)."""
    states = np.asarray(states, dtype=float)
    geometry = _compiled_geometry(model, states.shape[0]) if states.ndim == 2 else None
    if geometry is not None:
        from bmdsim.tracking._kernel import measure_kernel

        kind, pos, vel, basis = geometry
        k, n = states.shape
        m = (3, 4, 2)[kind]
        z, h = np.empty((k, m)), np.empty((k, m, n))
        measure_kernel(kind, np.ascontiguousarray(states), pos, vel, basis, z, h)
        return h
    h = np.asarray(model.jacobian(states), dtype=float)
    n = states.shape[-1]
    if h.shape[-1] == n:
        return h
    out = np.zeros((*h.shape[:-1], n))
    out[..., : h.shape[-1]] = h
    return out


def _compiled_geometry(model, k: int):
    """``(kind, position (G, 3), velocity (G, 3), basis (G, 3, 3))`` of a sensors-layer
    measurement model that :mod:`bmdsim.tracking._kernel` evaluates (``G`` is 1 or ``k``),
    else None (any other model takes the numpy path)."""
    kind = _model_kinds().get(type(model))
    if kind is None:
        return None
    pos = np.asarray(model.sensor_position_ecef, dtype=float).reshape(-1, 3)
    basis = np.asarray(model.sensor_basis, dtype=float).reshape(-1, 3, 3)
    vel = (
        np.asarray(model.sensor_velocity_ecef, dtype=float).reshape(-1, 3)
        if kind == 1
        else np.zeros((1, 3))
    )
    if {pos.shape[0], basis.shape[0], vel.shape[0]} - {1, k}:
        return None
    if not (pos.shape[0] == basis.shape[0] == vel.shape[0]):
        g = max(pos.shape[0], basis.shape[0], vel.shape[0])
        pos = np.broadcast_to(pos, (g, 3))
        basis = np.broadcast_to(basis, (g, 3, 3))
        vel = np.broadcast_to(vel, (g, 3))
    return kind, np.ascontiguousarray(pos), np.ascontiguousarray(vel), np.ascontiguousarray(basis)


@cache
def _model_kinds() -> dict:
    """Measurement kind codes of :mod:`bmdsim.tracking._kernel` by sensors-layer model type."""
    from bmdsim.sensors.models import EcefToLosAngles, EcefToRangeAzEl, EcefToRangeAzElRangeRate

    return {EcefToRangeAzEl: 0, EcefToRangeAzElRangeRate: 1, EcefToLosAngles: 2}


def _solve_gain(cross: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Kalman gain ``P_xz S^-1`` ``(K, n, m)`` (through a solve, no inverse)."""
    return np.swapaxes(np.linalg.solve(s, np.swapaxes(cross, -1, -2)), -1, -2)


def log_likelihood(nu: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Gaussian log density of innovations ``nu (K, m)`` with covariances ``S (K, m, m)``."""
    m = nu.shape[-1]
    _sign, logdet = np.linalg.slogdet(s)
    d2 = np.einsum("ki,ki->k", nu, np.linalg.solve(s, nu[..., None])[..., 0])
    return -0.5 * (d2 + logdet + m * np.log(2.0 * np.pi))


def imm_combine(mode_probabilities, x, p, ll):
    """The interacting multiple model's output after every mode was updated.

    ``mode_probabilities (K, M)`` before the update; updated mode states ``x (K, M, n)``,
    covariances ``p (K, M, n, n)`` and mode log likelihoods ``ll (K, M)``. Returns the
    combined states ``(K, n)`` and covariances ``(K, n, n)`` (moment-matched mixture), the
    new mode probabilities ``(K, M)`` (each at least 1e-12) and the mixture's log
    likelihood ``(K,)``.
    """
    logw = np.log(np.maximum(mode_probabilities, 1e-300)) + ll
    top = logw.max(axis=1, keepdims=True)
    w = np.exp(logw - top)
    total = w.sum(axis=1, keepdims=True)
    mu = w / total
    mu = np.maximum(mu, 1e-12)
    mu /= mu.sum(axis=1, keepdims=True)
    xc = np.einsum("km,kmi->ki", mu, x)
    d = x - xc[:, None]
    pc = symmetrise(np.einsum("km,kmij->kij", mu, p + d[..., :, None] * d[..., None, :]))
    return xc, pc, mu, (top + np.log(total))[:, 0]


@dataclass(frozen=True, slots=True, kw_only=True)
class KalmanUpdater:
    """Common Joseph-form update; subclasses provide :meth:`predict_measurement`."""

    def predict_measurement(self, states, covariances, model, noise) -> MeasurementPrediction:
        raise TypeError("use ExtendedKalmanUpdater or UnscentedKalmanUpdater")

    def update_arrays(self, states, covariances, z, noise, model):
        """Update bare arrays: ``(states, covariances, log_likelihood, innovation, S)``."""
        pred = self.predict_measurement(states, covariances, model, noise)
        nu = residual(model, z, pred.z)
        s = pred.innovation_covariance
        k = _solve_gain(pred.cross_covariance, s)
        x = states + np.einsum("kij,kj->ki", k, nu)
        h = pred.jacobian
        n = states.shape[-1]
        ikh = np.eye(n) - k @ h
        r_eff = s - h @ covariances @ np.swapaxes(h, -1, -2)
        p = ikh @ covariances @ np.swapaxes(ikh, -1, -2) + k @ r_eff @ np.swapaxes(k, -1, -2)
        return x, symmetrise(p), log_likelihood(nu, s), nu, s

    def update(self, tracks: TrackBatch, z, noise, model) -> tuple[TrackBatch, np.ndarray]:
        """Tracks (predicted to the measurement time) updated with ``z`` (one row per track)."""
        k_tracks, m_modes, n = tracks.mode_states.shape
        if m_modes == 1:
            x, p, ll, _, _ = self.update_arrays(tracks.states, tracks.covariances, z, noise, model)
            out = tracks.with_(
                states=x, covariances=p, mode_states=x[:, None], mode_covariances=p[:, None]
            )
            return out, ll
        zr = np.repeat(np.asarray(z, dtype=float), m_modes, axis=0)
        rr = np.repeat(np.asarray(noise, dtype=float), m_modes, axis=0)
        x, p, ll, _, _ = self.update_arrays(
            tracks.mode_states.reshape(-1, n),
            tracks.mode_covariances.reshape(-1, n, n),
            zr,
            rr,
            model,
        )
        x = x.reshape(k_tracks, m_modes, n)
        p = p.reshape(k_tracks, m_modes, n, n)
        xc, pc, mu, ll = imm_combine(tracks.mode_probabilities, x, p, ll.reshape(k_tracks, m_modes))
        out = tracks.with_(
            states=xc, covariances=pc, mode_states=x, mode_covariances=p, mode_probabilities=mu
        )
        return out, ll


@dataclass(frozen=True, slots=True, kw_only=True)
class ExtendedKalmanUpdater(KalmanUpdater):
    """EKF: ``z = h(x)``, ``H = dh/dx`` at the predicted state, ``S = H P H^T + R``.

    ``iterations > 1``: iterated EKF (Bell & Cathey 1993, a Gauss-Newton solution of the
    MAP problem): ``x_{i+1} = x + K_i (z - h(x_i) - H_i (x - x_i))`` with ``H_i``, ``K_i``
    relinearised at ``x_i``; the covariance uses the last linearisation. It matters when a
    precise measurement meets a vague prediction (new tracks: a range rate with the
    tangential velocity still unknown).
    """

    iterations: int = 1

    def update_arrays(self, states, covariances, z, noise, model):
        """``(states, covariances, log_likelihood, innovation, S)`` after the update.

        The sensors layer's range/azimuth/elevation(/range rate) and line-of-sight models
        are evaluated by one compiled pass (:func:`bmdsim.tracking._kernel.ekf_update_kernel`,
        the same arithmetic); :meth:`update_arrays_reference` is the numpy path."""
        geometry = _compiled_geometry(model, states.shape[0])
        if geometry is not None and states.shape[0]:
            from bmdsim.tracking._kernel import ekf_update_kernel

            kind, pos, vel, basis = geometry
            k, n = states.shape
            m = np.shape(z)[-1]
            out = (
                np.empty((k, n)), np.empty((k, n, n)), np.empty(k), np.empty((k, m)),
                np.empty((k, m, m)),
            )  # fmt: skip
            ok = ekf_update_kernel(
                kind,
                np.ascontiguousarray(states, dtype=float),
                np.ascontiguousarray(covariances, dtype=float),
                np.ascontiguousarray(z, dtype=float),
                np.ascontiguousarray(noise, dtype=float),
                pos, vel, basis, max(1, int(self.iterations)), *out,
            )  # fmt: skip
            if ok:
                return out
        return self.update_arrays_reference(states, covariances, z, noise, model)

    def update_arrays_reference(self, states, covariances, z, noise, model):
        """Numpy path of :meth:`update_arrays`."""
        if self.iterations <= 1:
            return KalmanUpdater.update_arrays(self, states, covariances, z, noise, model)
        x_i = states
        for it in range(self.iterations):
            h = measurement_jacobian(model, x_i)
            cross = covariances @ np.swapaxes(h, -1, -2)
            s = symmetrise(h @ cross + noise)
            k = _solve_gain(cross, s)
            nu = residual(model, z, model.function(x_i))
            if it == 0:  # at the prediction: the innovation and its covariance
                nu0, s0 = nu, s
            else:
                nu = nu - np.einsum("kmi,ki->km", h, states - x_i)
            x_i = states + np.einsum("kij,kj->ki", k, nu)
        n = states.shape[-1]
        ikh = np.eye(n) - k @ h
        p = ikh @ covariances @ np.swapaxes(ikh, -1, -2) + k @ noise @ np.swapaxes(k, -1, -2)
        return x_i, symmetrise(p), log_likelihood(nu0, s0), nu0, s0

    def predict_measurement(self, states, covariances, model, noise) -> MeasurementPrediction:
        geometry = _compiled_geometry(model, states.shape[0])
        if geometry is not None:
            from bmdsim.tracking._kernel import measure_kernel

            kind, pos, vel, basis = geometry
            k, n = states.shape
            m = np.shape(noise)[-1]
            z, h = np.empty((k, m)), np.empty((k, m, n))
            measure_kernel(kind, np.ascontiguousarray(states, dtype=float), pos, vel, basis, z, h)
        else:
            z = np.asarray(model.function(states), dtype=float)
            h = measurement_jacobian(model, states)
        cross = covariances @ np.swapaxes(h, -1, -2)
        s = symmetrise(h @ cross + noise)
        return MeasurementPrediction(
            z=z, innovation_covariance=s, cross_covariance=cross, jacobian=h
        )


@dataclass(frozen=True, slots=True, kw_only=True)
class UnscentedKalmanUpdater(KalmanUpdater):
    """UKF: sigma points through the measurement function (scaled unscented transform).

    Angular components are averaged as residuals about the centre point's measurement so
    that azimuths near the 0/2 pi cut average correctly.
    """

    alpha: float = 1.0
    beta: float = 2.0
    kappa: float = 0.0

    def predict_measurement(self, states, covariances, model, noise) -> MeasurementPrediction:
        k, n = states.shape
        m = np.asarray(noise).shape[-1]
        pts, wm, wc = sigma_points(states, covariances, self.alpha, self.beta, self.kappa)
        zs = np.asarray(model.function(pts.reshape(-1, n)), dtype=float).reshape(k, 2 * n + 1, m)
        centre = zs[:, 0]
        dz = residual(model, zs, centre[:, None])
        mean_offset = np.einsum("s,ksi->ki", wm, dz)
        z = centre + mean_offset
        dz = dz - mean_offset[:, None]
        dx = pts - states[:, None]
        s = symmetrise(np.einsum("s,ksi,ksj->kij", wc, dz, dz) + noise)
        cross = np.einsum("s,ksi,ksj->kij", wc, dx, dz)
        # statistical linearisation H = P_xz^T P^-1 (for the Joseph form)
        h = np.swapaxes(np.linalg.solve(covariances, cross), -1, -2)
        return MeasurementPrediction(
            z=z, innovation_covariance=s, cross_covariance=cross, jacobian=h
        )
