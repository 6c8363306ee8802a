"""The result of a run: the event log, truth, tracks, assessments and the summary.

A :class:`Result` is what :func:`bmdsim.run` returns and what the report, CZML,
Parquet and ``summary.json`` writers of :mod:`bmdsim.io` read. Frames and units:
ECEF metres and m/s; times in seconds since the scenario epoch; geodetic in
degrees where a name says ``_deg``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from bmdsim.sim.events import EventLog


@dataclass(frozen=True, slots=True, kw_only=True)
class ObjectTrack:
    """Sampled truth of one object (threat RV, spent stage, interceptor) for plots and CZML.

    id: object id; kind: "rv" | "booster" | "interceptor"; owner: threat id (for a
    threat's objects) or fire-unit id (interceptor); t_s (K,) sample times [s];
    states (K, 6) ECEF [m, m/s]; lat_deg, lon_deg, alt_m (K,); phase (K,) strings
    ("boost" | "midcourse" | "reentry" | "flyout" | "homing").
    """

    id: str
    kind: str
    owner: str
    t_s: np.ndarray
    states: np.ndarray
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    alt_m: np.ndarray
    phase: np.ndarray


@dataclass(frozen=True, slots=True, kw_only=True)
class DebrisField:
    """Fragments of one intercept flown to the ground.

    threat_id; intercept_time_s; lat_deg, lon_deg (F,) ground impact points of the
    fragments; mass_kg (F,); impact_time_s (F,); footprint_geojson: GeoJSON Polygon
    (lon, lat order) holding 95 % of the fragment mass; countries: ISO3 codes touched
    (by mass, descending); places: names of the nearest named places.
    """

    threat_id: str
    intercept_time_s: float
    lat_deg: np.ndarray
    lon_deg: np.ndarray
    mass_kg: np.ndarray
    impact_time_s: np.ndarray
    footprint_geojson: dict
    countries: tuple[str, ...]
    places: tuple[str, ...]


@dataclass(frozen=True, slots=True, kw_only=True)
class SensorSite:
    """Where a sensor was, for maps: id, type, kind ("radar" | "ship_radar" | "space_ir"),
    lat_deg/lon_deg (sub-satellite point for a satellite), boresight_az_deg (None if 360°),
    field_of_regard_deg (full width, None if 360°), max_range_m."""

    id: str
    type: str
    kind: str
    lat_deg: float
    lon_deg: float
    boresight_az_deg: float | None
    field_of_regard_deg: float | None
    max_range_m: float


@dataclass(frozen=True, slots=True, kw_only=True)
class Result:
    """Everything a run produced.

    scenario: the validated :class:`bmdsim.scenario.Scenario`; seed; log: the
    :class:`EventLog`; summary: the ``summary.json`` dict (DESIGN.md contract);
    objects: sampled truth of threats, spent stages and interceptors; debris: one
    :class:`DebrisField` per intercept; sensors: sensor sites; platforms: ship
    tracks as ``{id: (t_s (K,), lat_deg (K,), lon_deg (K,))}``; tracks: a DataFrame
    of track states over time (time_s, track_id, status, lat_deg, lon_deg, alt_m,
    x_m, y_m, z_m, vx_m_s, vy_m_s, vz_m_s, sigma_pos_m); assessments: a DataFrame of
    threat assessments over time (time_s, track_id, threat_id, ipp_lat_deg,
    ipp_lon_deg, ellipse_major_m, ellipse_minor_m, ellipse_orientation_deg,
    time_to_impact_s, country, category, p_allied).
    """

    scenario: object
    seed: int
    log: EventLog
    summary: dict
    objects: tuple[ObjectTrack, ...] = ()
    debris: tuple[DebrisField, ...] = ()
    sensors: tuple[SensorSite, ...] = ()
    platforms: dict = field(default_factory=dict)
    tracks: object = None
    assessments: object = None

    @property
    def events(self):
        """The event log as a pandas DataFrame (time_s, kind, source, subject, text, data)."""
        return self.log.to_frame()

    # -- pictures for notebooks (drawn by bmdsim.sim.plots, imported lazily) ----------------
    def plot_map(self, filename: str | None = None):
        """Map of the run (borders, ground tracks, sensors, ellipses, intercept, debris)."""
        from bmdsim.sim.plots import plot_map

        return plot_map(self, filename=filename)

    def plot_timeline(self, filename: str | None = None):
        """Kill-chain timeline chart (seconds after launch)."""
        from bmdsim.sim.plots import plot_timeline

        return plot_timeline(self, filename=filename)
