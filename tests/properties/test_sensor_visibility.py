"""Radar visibility against independent geometry over random sites and targets (hypothesis).

Independent references:
* horizon: on the 4/3-Earth sphere of radius k R (R the ellipsoid's Gaussian radius at the
  site), two points at heights h1, h2 see each other iff their central angle is at most
  acos(kR / (kR + h1)) + acos(kR / (kR + h2)) (sum of the tangent angles);
* azimuth: pymap3d.ecef2aer;
* apparent elevation: el = atan2(r2 cos(phi) - r1, r2 sin(phi)) in that sphere's plane.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pymap3d
from hypothesis import given, settings
from hypothesis import strategies as st

from bmdsim.catalog import sensor
from bmdsim.earth import enu_basis, geodetic_to_ecef
from bmdsim.sensors import CueSet, FixedSite, Radar, TruthTable, wrap_angle
from bmdsim.sensors.geometry import gaussian_radius_m

K = 4.0 / 3.0


def _target(lat0, lon0, theta, azimuth, h_t):
    """Target whose geodetic normal is at angle ``theta`` from the site's, toward ``azimuth``."""
    e, n, u = enu_basis(lat0, lon0)
    normal = np.cos(theta) * u + np.sin(theta) * (np.cos(azimuth) * n + np.sin(azimuth) * e)
    lat = np.degrees(np.arcsin(normal[2]))
    lon = np.degrees(np.arctan2(normal[1], normal[0]))
    return geodetic_to_ecef(lat, lon, h_t)


def _detected(radar, target):
    state = np.concatenate([target, np.zeros(3)])
    truth = TruthTable.from_arrays(
        [-100.0, 1000.0], np.stack([state[None], state[None]]), rcs_m2=1.0
    )
    cues = CueSet.from_states(
        t_start_s=0.0, t_end_s=30.0, t_ref_s=0.0, state_ecef=state, radius_m=1e3
    )
    found = radar.observe(0.0, 30.0, truth, cues)
    return int(np.sum(~found.truth.false_alarm))


def _wide_open(type_id, **changes):
    """A radar type that would see anything above its horizon (huge SNR, no range limit)."""
    base = sensor(type_id)
    defaults = dict(
        reference_snr_db=150.0,
        pfa=1e-30,
        max_range_m=1e8,
        search_max_elevation_rad=np.pi / 2,
        max_elevation_rad=np.pi / 2,
        min_elevation_rad=-0.5,
    )
    defaults.update(changes)
    return dataclasses.replace(base, **defaults)


sites = st.tuples(st.floats(-60.0, 60.0), st.floats(-180.0, 180.0), st.floats(0.0, 3000.0))


@settings(max_examples=150, deadline=None)
@given(
    site=sites,
    theta=st.floats(0.0, 0.25),
    azimuth=st.floats(0.0, 2 * np.pi),
    h_t=st.floats(100.0, 1.2e6),
    seed=st.integers(0, 1000),
)
def test_object_below_the_radar_horizon_is_never_detected(site, theta, azimuth, h_t, seed):
    lat0, lon0, h_s = site
    radar = Radar(
        id="r",
        type=_wide_open("spy-1d"),
        seed=seed,
        platform=FixedSite(lat_deg=lat0, lon_deg=lon0, alt_m=h_s),
    )
    r_eff = K * gaussian_radius_m(lat0)
    reach = np.arccos(r_eff / (r_eff + h_s)) + np.arccos(r_eff / (r_eff + h_t))
    phi = theta / K
    hits = _detected(radar, _target(lat0, lon0, theta, azimuth, h_t))
    if phi > reach * (1 + 1e-6) + 1e-9:
        assert hits == 0, f"detected {hits} times beyond the horizon (phi {phi:.6f} > {reach:.6f})"
    elif phi < reach * (1 - 1e-3) and theta > 1e-4:
        assert hits > 0, "missed a target well above the horizon"


@settings(max_examples=150, deadline=None)
@given(
    site=sites,
    theta=st.floats(1e-3, 0.15),
    azimuth=st.floats(0.0, 2 * np.pi),
    h_t=st.floats(1e3, 6e5),
    boresight=st.floats(0.0, 2 * np.pi),
    seed=st.integers(0, 1000),
)
def test_object_outside_the_field_of_regard_is_never_detected(
    site, theta, azimuth, h_t, boresight, seed
):
    lat0, lon0, h_s = site
    radar = Radar(
        id="r",
        type=_wide_open("an-tpy-2-fbm"),
        boresight_az_rad=boresight,
        seed=seed,
        platform=FixedSite(lat_deg=lat0, lon_deg=lon0, alt_m=h_s),
    )
    target = _target(lat0, lon0, theta, azimuth, h_t)
    az_deg, _, _ = pymap3d.ecef2aer(*target, lat0, lon0, h_s, deg=True)
    off = abs(wrap_angle(np.radians(az_deg) - boresight))
    half = radar.type.azimuth_half_width_rad
    hits = _detected(radar, target)
    if off > half + 1e-6:
        assert hits == 0, f"detected {hits} times {np.degrees(off):.3f} deg off boresight"


@settings(max_examples=150, deadline=None)
@given(
    site=sites,
    theta=st.floats(1e-3, 0.12),
    azimuth=st.floats(0.0, 2 * np.pi),
    h_t=st.floats(1e3, 6e5),
    mask_deg=st.floats(-1.0, 10.0),
    seed=st.integers(0, 1000),
)
def test_object_below_the_elevation_mask_is_never_detected(
    site, theta, azimuth, h_t, mask_deg, seed
):
    lat0, lon0, h_s = site
    radar = Radar(
        id="r",
        type=_wide_open("spy-1d"),
        seed=seed,
        elevation_mask_rad=np.radians(mask_deg),
        platform=FixedSite(lat_deg=lat0, lon_deg=lon0, alt_m=h_s),
    )
    r_eff = K * gaussian_radius_m(lat0)
    phi = theta / K
    el = np.arctan2((r_eff + h_t) * np.cos(phi) - (r_eff + h_s), (r_eff + h_t) * np.sin(phi))
    hits = _detected(radar, _target(lat0, lon0, theta, azimuth, h_t))
    if el < np.radians(mask_deg) - 1e-7:
        assert hits == 0, (
            f"detected {hits} times at {np.degrees(el):.4f} deg under a {mask_deg:.3f} deg mask"
        )
    elif el > max(np.radians(mask_deg), -np.arccos(r_eff / (r_eff + h_s))) + 1e-4:
        # above the mask and above the radar's horizon (a negative mask can reach below
        # the horizon dip, where the 4/3-Earth bulge hides the target)
        assert hits > 0, "missed a target above the mask and the horizon"


def test_low_target_below_the_horizon_dip_is_not_detected_even_under_a_negative_mask():
    """Regression: a radar at sea level, a target 1 km up 199 km away (beyond the 4/3-Earth
    horizon, 4.12 km * sqrt(1000) = 130 km) under a -1 deg mask is hidden by the Earth."""
    radar = Radar(id="r", type=_wide_open("spy-1d"), seed=0,
                  elevation_mask_rad=np.radians(-1.0),
                  platform=FixedSite(lat_deg=0.0, lon_deg=0.0, alt_m=0.0))
    assert _detected(radar, _target(0.0, 0.0, 0.03125, 0.0, 1000.0)) == 0
