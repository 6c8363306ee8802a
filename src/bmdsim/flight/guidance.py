"""Boost guidance programme, trajectory profiles and guidance errors (records only).

The boost follows the classic open-loop programme of ballistic missiles (Zarchan, *Tactical
and Strategic Missile Guidance*, ch. on ballistic targets; Wright/UCS technical notes):

1. **vertical rise** for :attr:`BoostProgram.vertical_rise_s`, thrust along the local vertical
   of the launch point;
2. **pitch-over**: over :attr:`BoostProgram.pitch_over_s` the thrust tilts at a constant rate
   from the vertical toward the launch azimuth, to the pitch-over angle (the control that
   shapes the trajectory);
3. **gravity turn**: thrust along the velocity relative to the air (zero angle of attack),
   through every stage;
4. **thrust cut-off** at the solved cut-off time (the other control), then separation of the
   reentry vehicle from the spent stage(s).
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Profile(StrEnum):
    """How the aim solver spends the missile's energy on a range shorter than its maximum.

    * ``minimum-energy``: the pitch-over that maximises range for the burn, with the burn cut
      off early enough to land on the aim point (the least burnout speed for that range);
    * ``lofted``: full burn, steeper than minimum-energy (higher apogee, longer flight);
    * ``depressed``: full burn, flatter (lower apogee, shorter flight).
    """

    MINIMUM_ENERGY = "minimum-energy"
    LOFTED = "lofted"
    DEPRESSED = "depressed"


@dataclass(frozen=True, slots=True, kw_only=True)
class BoostProgram:
    """Timing of the open-loop boost programme (engineering estimates, the same for every
    catalog missile)."""

    #: Vertical rise after lift-off [s].
    vertical_rise_s: float = 6.0
    #: Duration of the pitch-over manoeuvre [s].
    pitch_over_s: float = 6.0
    #: Time between thrust termination and the separation of the reentry vehicle [s].
    separation_delay_s: float = 0.0
    #: Speed [m/s] with which a spent stage is pushed back at separation (along -velocity).
    separation_speed_m_s: float = 1.0


DEFAULT_PROGRAM = BoostProgram()


@dataclass(frozen=True, slots=True, kw_only=True)
class GuidanceError:
    """Misguidance and failures of one flight, in SI units (no error by default).

    * ``azimuth_bias_rad``: launch azimuth error, positive clockwise seen from above: the
      whole flight plane turns about the launch point's vertical.
    * ``burnout_speed_error_m_s`` and ``burnout_speed_error_fraction``: a velocity error
      along the velocity at thrust termination, ``dv = m_s + fraction * |v|`` (give either).
    * ``early_cutoff_s``: thrust terminated this many seconds before the nominal (solved)
      cut-off time; later stages do not ignite.
    * ``failed_stage`` (0-based index) and ``failure_time_s``: that stage stops thrusting
      ``failure_time_s`` after its ignition; later stages do not ignite and the reentry
      vehicle does not separate (the stack falls as one object).
    """

    azimuth_bias_rad: float = 0.0
    burnout_speed_error_m_s: float = 0.0
    burnout_speed_error_fraction: float = 0.0
    early_cutoff_s: float = 0.0
    failed_stage: int | None = None
    failure_time_s: float = 0.0

    def __post_init__(self) -> None:
        if self.early_cutoff_s < 0.0:
            raise ValueError(f"early_cutoff_s must be >= 0 s, got {self.early_cutoff_s}")
        if not -1.0 < self.burnout_speed_error_fraction < 1.0:
            raise ValueError("burnout_speed_error_fraction must be in (-1, 1)")
        if self.failed_stage is not None and (self.failed_stage < 0 or self.failure_time_s < 0.0):
            raise ValueError("failed_stage and failure_time_s must be >= 0")

    @property
    def is_nominal(self) -> bool:
        """True when the record describes no error at all."""
        return self == GuidanceError()


__all__ = ["DEFAULT_PROGRAM", "BoostProgram", "GuidanceError", "Profile"]
