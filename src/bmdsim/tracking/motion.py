"""Motion models for tracks in ECEF: ballistic (gravity with J2, Earth rotation, drag) and boost.

State layout (ECEF, WGS-84, SI): ``[x, y, z, vx, vy, vz]`` [m, m/s], optionally followed by
``kappa = Cd * A / m`` [m^2/kg], the inverse ballistic coefficient, when drag is estimated.

Every model has the same four members, batched over tracks (leading axis ``N``):

* ``ndim`` — state dimension (6 or 7);
* ``function(states (N, n), dt (N,) or ()) -> (N, n)`` — the state after ``dt`` seconds
  (``dt`` may be negative: retrodiction);
* ``transition(states, dt) -> (states_after (N, n), F (N, n, n))`` — the same propagation with the
  state transition matrix ``F = d x(t + dt) / d x(t)``;
* ``process_noise(dt) -> (N, n, n)`` — the discrete process noise over ``|dt|``.

The continuous dynamics are the flight layer's (:mod:`bmdsim.flight.dynamics`):
``d r / dt = v``, ``d v / dt = a(r, v, kappa)`` with
``a = g_J2(r) - 2 w x v - w x (w x r) - 1/2 rho(h) kappa Cd(M)/Cd_hyp |v| v`` (ECEF; the
atmosphere co-rotates, so the air-relative velocity is the ECEF velocity). ``F`` comes from integrating
``dF/dt = A(x(t)) F`` with the same classic Runge-Kutta stages as the state, where ``A`` is the
analytic Jacobian: the point-mass + J2 gravity gradient, the rotating-frame terms and the drag
partials.

``kappa`` is physically non-negative. A negative estimate (noise, or thrust read as negative
drag while the filter's ballistic mode competes with its boost mode) is projected to zero
before each propagation (estimate projection, Simon 2010, *IET Control Theory Appl.* 4(8)),
so that drag can never act as thrust; the propagated state carries the projected value.

``function`` and ``transition`` run a compiled loop over tracks (:mod:`._kernel`);
``function_reference`` and ``transition_reference`` are the numpy versions they are tested
against.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from bmdsim.earth.constants import A_M, GM_M3_S2, J2, OMEGA_RAD_S

_CORIOLIS_V = np.array(
    [[0.0, 2.0 * OMEGA_RAD_S, 0.0], [-2.0 * OMEGA_RAD_S, 0.0, 0.0], [0.0, 0.0, 0.0]]
)
_CENTRIFUGAL_R = np.diag([OMEGA_RAD_S**2, OMEGA_RAD_S**2, 0.0])
_DRAG_TABLE: list = []


def _generic_drag_table(drag_table, curve) -> np.ndarray:
    """The flight layer's drag table of the generic RV curve, built once."""
    if not _DRAG_TABLE:
        _DRAG_TABLE.append(drag_table([curve]))
    return _DRAG_TABLE[0]


def gravity_gradient(r_ecef: np.ndarray, *, j2: bool = True) -> np.ndarray:
    """Gradient ``d g / d r`` ``(..., 3, 3)`` [1/s^2] of :func:`gravitation_ecef` at ECEF ``r``.

    Point mass: ``-GM/r^3 (I - 3 r r^T / r^2)``. J2: with ``c = -3/2 J2 GM a^2 / r^5`` and
    ``s = 1 - 5 z^2 / r^2`` the acceleration is ``c u``, ``u = (x s, y s, z (s + 2))``, so the
    gradient is ``u (dc/dr)^T + c du/dr`` with ``dc/dr = -5 c r / r^2`` and
    ``ds/dr = 10 z^2 r / r^4 - 10 z e_z / r^2``.
    """
    r = np.asarray(r_ecef, dtype=float)
    x, y, z = r[..., 0], r[..., 1], r[..., 2]
    r2 = x * x + y * y + z * z
    rn = np.sqrt(r2)
    k = GM_M3_S2 / (r2 * rn)
    rr = r[..., :, None] * r[..., None, :]
    eye = np.eye(3)
    g = -k[..., None, None] * (eye - 3.0 * rr / r2[..., None, None])
    if j2:
        c = -1.5 * J2 * GM_M3_S2 * A_M * A_M / (r2 * r2 * rn)
        s = 1.0 - 5.0 * z * z / r2
        u = np.stack([x * s, y * s, z * (s + 2.0)], axis=-1)
        dc = (-5.0 * c / r2)[..., None] * r
        ds = (10.0 * z * z / (r2 * r2))[..., None] * r
        ds[..., 2] -= 10.0 * z / r2
        du = s[..., None, None] * eye + r[..., :, None] * ds[..., None, :]
        du[..., 2, 2] += 2.0
        g = g + u[..., :, None] * dc[..., None, :] + c[..., None, None] * du
    return g


def _white_acceleration_noise(q: float, dt, ndim: int, q_extra: float = 0.0) -> np.ndarray:
    """Discretised continuous white-noise acceleration, spectral density ``q`` [m^2/s^3].

    ``Q = q [[dt^3/3 I, dt^2/2 I], [dt^2/2 I, dt I]]``; a 7th state gets a random walk
    ``q_extra |dt|``.
    """
    dt = np.abs(np.atleast_1d(np.asarray(dt, dtype=float)))
    out = np.zeros((dt.shape[0], ndim, ndim))
    i3 = np.arange(3)
    out[:, i3, i3] = (q * dt**3 / 3.0)[:, None]
    out[:, i3, i3 + 3] = (q * dt**2 / 2.0)[:, None]
    out[:, i3 + 3, i3] = (q * dt**2 / 2.0)[:, None]
    out[:, i3 + 3, i3 + 3] = (q * dt)[:, None]
    if ndim == 7:
        out[:, 6, 6] = q_extra * dt
    return out


def _propagate(states, dt, want_f: bool, *, j2: bool, drag: bool, max_step: float):
    """``(states (N, n), F (N, n, n))`` after ``dt`` (compiled RK4, :mod:`._kernel`);
    ``F`` only with ``want_f`` (else the states alone)."""
    from bmdsim.tracking._kernel import propagate_kernel

    x = np.ascontiguousarray(states, dtype=float)
    k, n = x.shape
    # a writable C array always (one compiled signature of the kernel)
    dt = np.require(np.broadcast_to(np.asarray(dt, dtype=float), (k,)), float, "CW")
    out_x = np.empty((k, n))
    out_f = np.empty((k, n, n) if want_f else (0, n, n))
    propagate_kernel(x, dt, float(max_step), want_f, j2, drag and n == 7, *_tables(), out_x, out_f)
    return (out_x, out_f) if want_f else out_x


@cache
def _tables():
    """Arguments of the kernels for the air and the generic RV drag curve."""
    from bmdsim.flight.air import air_table
    from bmdsim.flight.dynamics import MACH_STEP, drag_table
    from bmdsim.flight.propagation import GENERIC_RV_DRAG_CURVE

    table = air_table()
    return (
        _generic_drag_table(drag_table, GENERIC_RV_DRAG_CURVE), 1.0 / MACH_STEP,
        GENERIC_RV_DRAG_CURVE[-1][1], table.rows, table.alt_min_m, table.inv_step_per_m,
        table.last_node,
    )  # fmt: skip


def gaussian_predict(motions, mode_states, mode_covariances, probabilities, markov, dt):
    """Interacting multiple model prediction (or, with one mode, an EKF prediction) of
    tracks whose modes all move with compiled motion models (:meth:`BallisticMotion.kernel_spec`).

    ``mode_states (K, M, n)``, ``mode_covariances (K, M, n, n)``, ``probabilities (K, M)``,
    ``markov (K, M, M)`` (row: from), ``dt (K,)``. Returns the predicted mode states,
    mode covariances, mode probabilities and the combined states and covariances.
    """
    from bmdsim.tracking._kernel import imm_predict_kernel

    k, m, n = mode_states.shape
    specs = [motion.kernel_spec() for motion in motions]
    out = (
        np.empty((k, m, n)), np.empty((k, m, n, n)), np.empty((k, m)), np.empty((k, n)),
        np.empty((k, n, n)),
    )  # fmt: skip
    imm_predict_kernel(
        np.ascontiguousarray(mode_states, dtype=float),
        np.ascontiguousarray(mode_covariances, dtype=float),
        np.ascontiguousarray(probabilities, dtype=float),
        np.ascontiguousarray(markov, dtype=float),
        np.ascontiguousarray(np.broadcast_to(np.asarray(dt, dtype=float), (k,))),
        np.array([s[0] for s in specs]), np.array([s[1] for s in specs], dtype=float),
        np.array([s[2] for s in specs], dtype=float), np.array([s[3] for s in specs]),
        np.array([s[4] for s in specs], dtype=float), *_tables(), *out,
    )  # fmt: skip
    return out


@dataclass(frozen=True, slots=True, kw_only=True)
class BallisticMotion:
    """Ballistic flight in ECEF: J2 gravity, Coriolis and centrifugal terms, optional drag.

    The dynamics are the flight layer's (:func:`bmdsim.flight.dynamics.derivative`).
    ``drag=True`` adds the 7th state ``kappa = Cd A / m`` [m^2/kg] (inverse ballistic
    coefficient, with the hypersonic Cd) and the drag acceleration
    ``-1/2 rho(h) kappa Cd(M)/Cd_hyp |v| v`` (USSA76 air, generic RV drag curve). ``q`` [m^2/s^3] is the spectral
    density of the white acceleration noise that covers unmodelled forces; ``q_kappa``
    [m^4/kg^2/s] the random-walk density of ``kappa``. ``max_step_s`` bounds the Runge-Kutta
    sub-step (each track takes ``ceil(|dt| / max_step_s)`` equal sub-steps).
    """

    q: float = 1e-3
    drag: bool = False
    q_kappa: float = 1e-8
    j2: bool = True
    max_step_s: float = 10.0

    @property
    def ndim(self) -> int:
        return 7 if self.drag else 6

    # -- continuous dynamics -------------------------------------------------------------
    def _flight_inputs(self, states: np.ndarray):
        """Flight-layer state ``[r, v, m = 1]`` and drag parameters for ``kappa`` (unit mass)."""
        from bmdsim.flight.dynamics import Aero, Physics, drag_table
        from bmdsim.flight.propagation import GENERIC_RV_DRAG_CURVE

        k = states.shape[0]
        y = np.empty((k, 7))
        y[:, :6] = states[:, :6]
        y[:, 6] = 1.0
        physics = Physics(j2=self.j2, drag=self.drag)
        aero = None
        if self.drag:
            cd_ref = GENERIC_RV_DRAG_CURVE[-1][1]
            aero = Aero(
                area_m2=np.maximum(states[:, 6], 0.0) / cd_ref,
                drag_row=np.zeros(k, dtype=np.intp),
                cd_table=_generic_drag_table(drag_table, GENERIC_RV_DRAG_CURVE),
            )
        return y, physics, aero

    def derivative(self, states: np.ndarray) -> np.ndarray:
        """Time derivative ``(N, n)`` of ECEF states ``(N, n)``.

        The flight layer's equations of motion (:func:`bmdsim.flight.dynamics.derivative`:
        J2 gravity, Coriolis and centrifugal terms, and with ``drag`` the drag of a body whose
        ``Cd(M) A / m`` is ``kappa`` scaled by the generic reentry-vehicle drag curve,
        ``kappa = Cd_hypersonic A / m``).
        """
        from bmdsim.flight.dynamics import derivative

        y, physics, aero = self._flight_inputs(states)
        d = derivative(0.0, y, np.arange(states.shape[0]), physics=physics, aero=aero)
        out = np.zeros_like(states)
        out[:, :6] = d[:, :6]
        return out

    def _density(self, r: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Effective density ``rho Cd(M) / Cd_hyp`` and its height derivative at ECEF ``r``.

        Flight-layer air (USSA76 table) and generic RV drag curve; the slope of ``Cd(M)`` is
        neglected in the derivative.
        """
        from bmdsim.flight.air import air
        from bmdsim.flight.dynamics import altitude
        from bmdsim.flight.propagation import GENERIC_RV_DRAG_CURVE

        h = altitude(r[:, 0], r[:, 1], r[:, 2])
        dh = 25.0
        rho, _, c = air(h)
        curve = np.asarray(GENERIC_RV_DRAG_CURVE)
        mach = np.linalg.norm(v, axis=-1) / c
        ratio = np.interp(mach, curve[:, 0], curve[:, 1]) / curve[-1, 1]
        return rho * ratio, (air(h + dh)[0] - air(h - dh)[0]) / (2.0 * dh) * ratio

    def derivative_jacobian(self, states: np.ndarray) -> np.ndarray:
        """``A = d f / d x`` ``(N, n, n)`` of :meth:`derivative` (analytic)."""
        n = self.ndim
        r, v = states[:, :3], states[:, 3:6]
        a = np.zeros((states.shape[0], n, n))
        a[:, 0, 3] = a[:, 1, 4] = a[:, 2, 5] = 1.0
        a[:, 3:6, 0:3] = gravity_gradient(r, j2=self.j2) + _CENTRIFUGAL_R
        a[:, 3:6, 3:6] = _CORIOLIS_V
        if self.drag:
            # drag partials with Cd held at its hypersonic value (Cd(M) varies slowly there)
            rho, drho = self._density(r, v)
            kappa = np.maximum(states[:, 6], 0.0)
            speed = np.maximum(np.linalg.norm(v, axis=-1), 1e-9)
            vv = v[:, :, None] * v[:, None, :] / speed[:, None, None]
            a[:, 3:6, 3:6] -= (0.5 * rho * kappa)[:, None, None] * (
                speed[:, None, None] * np.eye(3) + vv
            )
            a[:, 3:6, 6] = -(0.5 * rho * speed)[:, None] * v
            up = r / np.linalg.norm(r, axis=-1, keepdims=True)
            a[:, 3:6, 0:3] -= (0.5 * drho * kappa * speed)[:, None, None] * (
                v[:, :, None] * up[:, None, :]
            )
        return a

    def kernel_spec(self) -> tuple[bool, float, float, bool, float]:
        """``(drag, q, q_kappa, j2, max_step_s)`` for the compiled predictor."""
        return (self.drag, self.q, self.q_kappa, self.j2, self.max_step_s)

    def constrain(self, states: np.ndarray, covariances: np.ndarray) -> np.ndarray:
        """States with ``kappa >= 0``: estimate projection in the covariance's metric.

        ``x - P e (e^T P e)^-1 (e^T x)`` for the rows whose ``kappa = e^T x`` is negative: the
        position and velocity move with ``kappa`` along their correlation (a negative
        ``kappa`` fitted to an acceleration along the velocity is taken back entirely,
        Simon 2010, *IET Control Theory Appl.* 4(8)); the covariance is kept.
        """
        if not self.drag:
            return states
        neg = states[:, 6] < 0.0
        if not neg.any():
            return states
        out = np.array(states, dtype=float)
        p = covariances[neg]
        out[neg] -= p[:, :, 6] * (out[neg, 6] / np.maximum(p[:, 6, 6], 1e-300))[:, None]
        out[neg, 6] = 0.0
        return out

    # -- discrete propagation -------------------------------------------------------------
    def function(self, states, dt) -> np.ndarray:
        """States ``(N, n)`` propagated by ``dt`` seconds (RK4, ECEF; compiled)."""
        return _propagate(states, dt, False, j2=self.j2, drag=self.drag, max_step=self.max_step_s)

    def transition(self, states, dt) -> tuple[np.ndarray, np.ndarray]:
        """Propagated states ``(N, n)`` and transition matrices ``F`` ``(N, n, n)`` over ``dt``.

        ``F`` integrates ``dF/dt = A(x(t)) F`` with the RK4 stages of the state (compiled).
        """
        return _propagate(states, dt, True, j2=self.j2, drag=self.drag, max_step=self.max_step_s)

    def _start(self, states, dt):
        """Numpy reference: projected start states, per-track sub-step counts and sizes."""
        x = np.array(states, dtype=float)
        if self.drag:
            x[:, 6] = np.maximum(x[:, 6], 0.0)
        dt = np.broadcast_to(np.asarray(dt, dtype=float), x.shape[:1])
        m = np.maximum(1, np.ceil(np.abs(dt) / self.max_step_s)).astype(np.int64)
        return x, m, dt / m

    def function_reference(self, states, dt) -> np.ndarray:
        """Numpy reference of :meth:`function`."""
        x, steps, h = self._start(states, dt)
        for s in range(int(steps.max(initial=1))):
            hc = np.where((s < steps)[:, None], h[:, None], 0.0)
            k1 = self.derivative(x)
            k2 = self.derivative(x + 0.5 * hc * k1)
            k3 = self.derivative(x + 0.5 * hc * k2)
            k4 = self.derivative(x + hc * k3)
            x = x + hc / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
        return x

    def transition_reference(self, states, dt) -> tuple[np.ndarray, np.ndarray]:
        """Numpy reference of :meth:`transition`."""
        x, steps, h = self._start(states, dt)
        f = np.broadcast_to(np.eye(self.ndim), (x.shape[0], self.ndim, self.ndim)).copy()
        for s in range(int(steps.max(initial=1))):
            hs = np.where(s < steps, h, 0.0)
            hc = hs[:, None]
            hm = hs[:, None, None]
            x1 = x
            a1 = self.derivative_jacobian(x1)
            k1 = self.derivative(x1)
            x2 = x + 0.5 * hc * k1
            a2 = self.derivative_jacobian(x2)
            k2 = self.derivative(x2)
            x3 = x + 0.5 * hc * k2
            a3 = self.derivative_jacobian(x3)
            k3 = self.derivative(x3)
            x4 = x + hc * k3
            a4 = self.derivative_jacobian(x4)
            k4 = self.derivative(x4)
            x = x + hc / 6.0 * (k1 + 2.0 * k2 + 2.0 * k3 + k4)
            # RK4 for the linear matrix ODE, with A evaluated at the same stage states
            m1 = a1 @ f
            m2 = a2 @ (f + 0.5 * hm * m1)
            m3 = a3 @ (f + 0.5 * hm * m2)
            m4 = a4 @ (f + hm * m3)
            f = f + hm / 6.0 * (m1 + 2.0 * m2 + 2.0 * m3 + m4)
        return x, f

    def process_noise(self, dt) -> np.ndarray:
        """Discrete process noise ``(N, n, n)`` over ``|dt|`` (white acceleration, kappa walk)."""
        return _white_acceleration_noise(self.q, dt, self.ndim, self.q_kappa)


@dataclass(frozen=True, slots=True, kw_only=True)
class BoostMotion:
    """Powered flight: gravity and rotation as :class:`BallisticMotion`, thrust as process noise.

    The unknown thrust acceleration (tens of m/s^2 along the velocity, changing at staging
    and burnout) is modelled as white acceleration noise of spectral density ``q``
    [m^2/s^3]; ``q = 900`` covers ~30 m/s^2 changes over one second. The drag state, if
    present, is held constant (drag is negligible beside thrust). Used as the boost mode of
    the IMM in :class:`bmdsim.tracking.predictor.InteractingMultipleModelPredictor`.
    """

    q: float = 900.0
    drag: bool = False
    j2: bool = True
    max_step_s: float = 10.0

    @property
    def ndim(self) -> int:
        return 7 if self.drag else 6

    def kernel_spec(self) -> tuple[bool, float, float, bool, float]:
        """``(drag, q, q_kappa, j2, max_step_s)`` for the compiled predictor (kappa held)."""
        return (False, self.q, 0.0, self.j2, self.max_step_s)

    def function(self, states, dt) -> np.ndarray:
        """States ``(N, n)`` propagated by ``dt`` seconds under gravity and rotation only."""
        return _propagate(states, dt, False, j2=self.j2, drag=False, max_step=self.max_step_s)

    def transition(self, states, dt) -> tuple[np.ndarray, np.ndarray]:
        """Propagated states and transition matrices ``(N, n, n)`` (kappa held constant)."""
        return _propagate(states, dt, True, j2=self.j2, drag=False, max_step=self.max_step_s)

    def process_noise(self, dt) -> np.ndarray:
        """Discrete white-acceleration process noise ``(N, n, n)`` over ``|dt|``."""
        return _white_acceleration_noise(self.q, dt, self.ndim, 0.0)
