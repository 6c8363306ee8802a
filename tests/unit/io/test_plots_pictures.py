"""bmdsim.sim.plots: notebook pictures and the picture data shared with the report."""

from __future__ import annotations

import math
from dataclasses import replace

import numpy as np
import pytest

from bmdsim.earth.geodesic import geodesic_inverse
from bmdsim.sim.plots import (
    ellipse_lonlat,
    launch_time_s,
    map_bbox,
    milestones,
    phase_runs,
    plot_map,
    plot_timeline,
    sector_lonlat,
)
from bmdsim.sim.result import SensorSite


def test_milestones_follow_the_kill_chain(result):
    steps = milestones(result)
    keys = [m.key for m in steps]
    assert keys[0] == "launch"
    times = [m.time_s for m in steps]
    assert times == sorted(times)
    for key in (
        "ir_detection",
        "radar_detection",
        "track_confirmed",
        "threat_evaluated",
        "alert_sent",
        "alert_received",
        "engage_order",
        "interceptor_launch",
        "intercept",
        "kill_assessed",
        "debris_impact",
    ):
        assert key in keys, key
    by_key = {m.key: m for m in steps}
    assert by_key["ir_detection"].source.startswith("sbirs")
    assert by_key["radar_detection"].source == "kurecik-tpy2"
    tl = result.summary["timeline"]
    t0 = launch_time_s(result)
    assert by_key["ir_detection"].time_s - t0 == pytest.approx(tl["first_detection"])
    assert by_key["intercept"].time_s - t0 == pytest.approx(tl["intercept"])


def test_milestones_ignore_false_tracks_and_events_before_launch(result):
    from bmdsim.sim.events import EventKind, EventLog

    log = EventLog()
    log.add(10.0, EventKind.TRACK_INITIATED, source="tracker", subject="99")  # before launch
    log.add(130.0, EventKind.TRACK_CONFIRMED, source="tracker", subject="77")  # false track
    for e in result.log.events():
        log.add(e.time_s, e.kind, source=e.source, subject=e.subject, text=e.text, **e.data)
    summary = dict(result.summary)
    summary["threats"] = [{**result.summary["threats"][0], "tracks": ["TRK-1"]}]
    steps = {m.key: m for m in milestones(replace(result, log=log, summary=summary))}
    assert steps["track_initiated"].subject == "TRK-1"
    assert steps["track_confirmed"].subject == "TRK-1"
    # without track labels in the summary every track counts, but never before launch
    steps = {m.key: m for m in milestones(replace(result, log=log))}
    assert steps["track_initiated"].subject == "TRK-1"
    assert steps["track_confirmed"].subject == "77"


def test_phase_runs_join_consecutive_segments():
    runs = phase_runs(np.array(["boost", "boost", "midcourse", "midcourse", "reentry"]))
    assert runs == [(0, 3, "boost"), (2, 5, "midcourse"), (4, 5, "reentry")]
    assert phase_runs(np.array([], dtype=str)) == []


def test_ellipse_outline_has_the_semi_axes_along_the_orientation():
    lat, lon = 36.8, 36.2
    ring = ellipse_lonlat(lat, lon, 40_000.0, 10_000.0, 30.0, n=73)
    assert np.allclose(ring[0], ring[-1])
    dist, az, _ = geodesic_inverse(lat, lon, ring[:, 1], ring[:, 0])
    assert dist[0] == pytest.approx(40_000.0, rel=1e-9)
    assert math.degrees(az[0]) == pytest.approx(30.0, abs=1e-6)
    assert dist[18] == pytest.approx(10_000.0, rel=1e-9)  # theta = 90 deg
    assert math.degrees(az[18]) == pytest.approx(120.0, abs=1e-6)
    assert dist.max() == pytest.approx(40_000.0, rel=1e-9)


def test_radar_sector_spans_the_field_of_regard_to_max_range():
    site = SensorSite(
        id="r",
        type="t",
        kind="radar",
        lat_deg=38.35,
        lon_deg=37.79,
        boresight_az_deg=105.0,
        field_of_regard_deg=120.0,
        max_range_m=2.0e6,
    )
    ring = sector_lonlat(site, n=61)
    assert ring[0].tolist() == ring[-1].tolist() == [37.79, 38.35]
    dist, az, _ = geodesic_inverse(38.35, 37.79, ring[1:-1, 1], ring[1:-1, 0])
    np.testing.assert_allclose(dist, 2.0e6, rtol=1e-9)
    assert math.degrees(az[0]) == pytest.approx(45.0, abs=1e-6)
    assert math.degrees(az[-1]) == pytest.approx(165.0, abs=1e-6)
    full = replace(site, field_of_regard_deg=None, boresight_az_deg=None, max_range_m=1e5)
    d, _, _ = geodesic_inverse(38.35, 37.79, sector_lonlat(full)[:, 1], sector_lonlat(full)[:, 0])
    np.testing.assert_allclose(d, 1e5, rtol=1e-9)


def test_map_bbox_holds_the_ground_picture_but_not_satellites(result):
    lon0, lat0, lon1, lat1 = map_bbox(result)
    assert lon0 < 32.99 < 45.72 < lon1
    assert lat0 < 34.59 and lat1 > 38.35
    assert lat0 > 30.0  # the GEO sub-points on the equator are left out


def test_plot_map_and_timeline_return_and_save_figures(result, tmp_path):
    from matplotlib.figure import Figure

    fig = plot_map(result, filename=tmp_path / "map.png")
    assert isinstance(fig, Figure)
    assert (tmp_path / "map.png").stat().st_size > 30_000
    fig2 = result.plot_timeline(filename=str(tmp_path / "timeline.png"))
    assert isinstance(fig2, Figure)
    assert (tmp_path / "timeline.png").stat().st_size > 20_000
    labels = [t.get_text() for t in fig2.axes[0].get_yticklabels()]
    assert "Track confirmed" in labels and "Intercept" in labels
    import matplotlib.pyplot as plt

    plt.close(fig)
    plt.close(fig2)


def test_plot_timeline_without_events(result):
    import matplotlib.pyplot as plt

    from bmdsim.sim.events import EventLog

    fig = plot_timeline(replace(result, log=EventLog()))
    plt.close(fig)
