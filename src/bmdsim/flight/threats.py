"""A scenario's threats as flights: the truth the rest of the chain observes."""

from __future__ import annotations

from bmdsim.flight.fly import Raid, fly_many
from bmdsim.flight.guidance import GuidanceError


def guidance_error_from_spec(spec) -> GuidanceError:
    """The flight layer's :class:`GuidanceError` (SI) from a scenario's guidance-error entry
    (:class:`bmdsim.scenario.schema.GuidanceError`, degrees) or ``None``."""
    if spec is None:
        return GuidanceError()
    failure = spec.stage_failure
    return GuidanceError(
        azimuth_bias_rad=spec.azimuth_bias_rad,
        burnout_speed_error_m_s=spec.burnout_speed_error_m_s or 0.0,
        burnout_speed_error_fraction=spec.burnout_speed_error_frac or 0.0,
        early_cutoff_s=spec.early_cutoff_s,
        failed_stage=None if failure is None else failure.stage,
        failure_time_s=0.0 if failure is None else failure.time_s,
    )


def flights_from_scenario(scenario) -> Raid:
    """Fly every threat of ``scenario`` (in the order of ``scenario.threats``) as one batch.

    Launch and aim points in degrees, launch times in scenario seconds; each threat's
    missile type is its catalog or inline type, its profile and guidance error as given.
    """
    threats = scenario.threats
    return fly_many(
        [t.missile_type for t in threats],
        [(t.launch.lat_deg, t.launch.lon_deg) for t in threats],
        [(t.aim.lat_deg, t.aim.lon_deg) for t in threats],
        launch_times_s=[t.launch.time_s for t in threats],
        profiles=[t.profile.value for t in threats],
        guidance_errors=[guidance_error_from_spec(t.guidance_error) for t in threats],
    )
