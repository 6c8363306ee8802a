"""A small valid scenario and a table of malformed variants with the exact problem paths
they must produce (shared by the loader tests and the command-line tests)."""

from __future__ import annotations

import copy
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

BASE: dict[str, Any] = {
    "name": "unit-base",
    "description": "Valid scenario that the malformed cases start from.",
    "epoch": "2026-03-04T10:00:00Z",
    "duration_s": 1200,
    "seed": 1,
    "alliance": "NATO",
    "posture": {"initial": "normal", "changes": [{"time_s": 900, "level": "heightened"}]},
    "threats": [
        {
            "id": "T1",
            "missile": "shahab-3",
            "launch": {"lat_deg": 36.76, "lon_deg": 45.72, "time_s": 60},
            "aim": {"lat_deg": 34.59, "lon_deg": 32.99},
            "guidance_error": {"azimuth_bias_deg": 2.0, "early_cutoff_s": 3.0},
        }
    ],
    "platforms": [
        {
            "id": "ship",
            "waypoints": [
                {"time_s": 0, "lat_deg": 35.30, "lon_deg": 34.90},
                {"time_s": 1200, "lat_deg": 35.32, "lon_deg": 34.93},
            ],
            "max_speed_kn": 30,
        }
    ],
    "sensors": [
        {"id": "geo1", "type": "sbirs-geo", "orbit": {"kind": "geo", "lon_deg": 39.0}},
        {
            "id": "radar",
            "type": "an-tpy-2-fbm",
            "site": {"lat_deg": 38.35, "lon_deg": 37.79, "alt_m": 1900},
            "boresight_az_deg": 105,
            "outages": [{"start_s": 100, "end_s": 200}],
        },
        {"id": "ship-radar", "type": "spy-1d", "platform": "ship"},
    ],
    "fire_units": [
        {
            "id": "ship-sm3",
            "interceptor": "sm-3-ib",
            "platform": "ship",
            "inventory": 4,
            "sensor": "ship-radar",
            "defends": ["base"],
        },
        {
            "id": "patriot",
            "interceptor": "pac-3-mse",
            "site": {"lat_deg": 37.0, "lon_deg": 35.43},
            "inventory": 8,
        },
    ],
    "defended_assets": [
        {"id": "base", "lat_deg": 37.0, "lon_deg": 35.43, "radius_km": 8, "value": 10}
    ],
    "c2": {
        "nodes": [{"id": "ops", "role": "ops-centre"}],
        "links": [
            {"source": "radar", "target": "ops", "latency_s": 1.0},
            {"source": "ops", "target": "ship-sm3", "latency_s": 2.0},
        ],
    },
}


@dataclass(frozen=True)
class Case:
    """A malformed scenario: ``text`` (raw file content) or a ``mutate`` of :data:`BASE`,
    and the exact paths of the problems it must produce, in order."""

    name: str
    paths: tuple[str, ...]
    mutate: Callable[[dict[str, Any]], Any] | None = None
    text: str | None = None

    def write(self, directory: Path) -> Path:
        path = directory / f"{self.name}.yaml"
        if self.text is not None:
            path.write_text(self.text, encoding="utf-8")
        else:
            data = copy.deepcopy(BASE)
            self.mutate(data)
            path.write_text(yaml.safe_dump(data, sort_keys=False), encoding="utf-8")
        return path


def _set(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    """Mutation setting the dotted ``path`` (list indices as numbers) to ``value``."""
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]

    def mutate(data: dict[str, Any]) -> None:
        node = data
        for key in keys[:-1]:
            node = node[key]
        node[keys[-1]] = value

    return mutate


def _drop(path: str) -> Callable[[dict[str, Any]], None]:
    keys = [int(k) if k.isdigit() else k for k in path.split(".")]

    def mutate(data: dict[str, Any]) -> None:
        node = data
        for key in keys[:-1]:
            node = node[key]
        del node[keys[-1]]

    return mutate


def _append(path: str, value: Any) -> Callable[[dict[str, Any]], None]:
    def mutate(data: dict[str, Any]) -> None:
        node = data
        for key in path.split("."):
            node = node[int(key) if key.isdigit() else key]
        node.append(value)

    return mutate


CASES: list[Case] = [
    Case("not-yaml", ("<file>",), text="name: [unclosed\nepoch: 2026-03-04T10:00:00Z\n"),
    Case("empty-file", ("<file>",), text=""),
    Case("comments-only", ("<file>",), text="# nothing here\n"),
    Case("not-a-mapping", ("<file>",), text="- name: a list\n- of things\n"),
    Case("duplicate-yaml-key", ("<file>",),
         text="name: a\nname: b\nepoch: 2026-03-04T10:00:00Z\nduration_s: 10\nthreats: []\n"),
    Case("duration-wrong-type", ("duration_s",), _set("duration_s", "long")),
    Case("duration-nan", ("duration_s",), _set("duration_s", float("nan"))),
    Case("seed-boolean", ("seed",), _set("seed", True)),
    Case("latitude-out-of-range", ("threats[0].launch.lat_deg",),
         _set("threats.0.launch.lat_deg", 95.0)),
    Case("longitude-out-of-range", ("defended_assets[0].lon_deg",),
         _set("defended_assets.0.lon_deg", 200.0)),
    Case("unknown-missile-type", ("threats[0].missile",), _set("threats.0.missile", "scud-z")),
    Case("missile-wrong-type", ("threats[0].missile",), _set("threats.0.missile", 5)),
    Case("unknown-extended-missile", ("threats[0].missile.extends",),
         _set("threats.0.missile", {"extends": "scud-z"})),
    Case("unknown-key-top-level", ("foo",), _set("foo", 1)),
    Case("unknown-key-depth-3", ("threats[0].launch.height_m",),
         _set("threats.0.launch.height_m", 10)),
    Case("unknown-key-depth-4", ("threats[0].missile.reentry_vehicle.mas_kg",),
         _set("threats.0.missile", {"extends": "shahab-3", "reentry_vehicle": {"mas_kg": 1}})),
    Case("unknown-key-in-c2-link", ("c2.links[0].latncy_s",), _set("c2.links.0.latncy_s", 1)),
    Case("launch-after-end", ("threats[0].launch.time_s",), _set("threats.0.launch.time_s", 5000)),
    Case("duplicate-id", ("defended_assets[1].id",),
         _append("defended_assets",
                 {"id": "base", "lat_deg": 36.0, "lon_deg": 36.0, "radius_km": 5})),
    Case("unknown-platform-reference", ("sensors[2].platform",),
         _set("sensors.2.platform", "no-such-ship")),
    Case("negative-inventory", ("fire_units[0].inventory",), _set("fire_units.0.inventory", -1)),
    Case("outage-start-after-end", ("sensors[1].outages[0].end_s",),
         _set("sensors.1.outages.0", {"start_s": 300, "end_s": 200})),
    Case("outage-after-run", ("sensors[1].outages[0].end_s",),
         _set("sensors.1.outages.0.end_s", 5000)),
    Case("bad-epoch", ("epoch",), _set("epoch", "yesterday")),
    Case("epoch-without-time-zone", ("epoch",), _set("epoch", "2026-03-04T10:00:00")),
    Case("missing-aim", ("threats[0].aim",), _drop("threats.0.aim")),
    Case("no-threats", ("threats",), _set("threats", [])),
    Case("bad-weapon-control", ("fire_units[0].weapon_control",),
         _set("fire_units.0.weapon_control", "loose")),
    Case("unknown-interceptor", ("fire_units[1].interceptor",),
         _set("fire_units.1.interceptor", "thaad")),
    Case("unknown-sensor-type", ("sensors[0].type",), _set("sensors.0.type", "aegis-9000")),
    Case("aim-equals-launch", ("threats[0].aim",),
         _set("threats.0.aim", {"lat_deg": 36.76, "lon_deg": 45.72})),
    Case("aim-beyond-range", ("threats[0].aim",),
         _set("threats.0.aim", {"lat_deg": 41.9, "lon_deg": 12.5})),
    Case("waypoints-not-increasing", ("platforms[0].waypoints[1].time_s",),
         _set("platforms.0.waypoints.1.time_s", 0)),
    Case("waypoint-too-fast", ("platforms[0].waypoints[1]",),
         _set("platforms.0.waypoints.1", {"time_s": 60, "lat_deg": 36.0, "lon_deg": 35.5})),
    Case("bad-orbit-kind", ("sensors[0].orbit.kind",),
         _set("sensors.0.orbit", {"kind": "leo", "lon_deg": 39.0})),
    Case("orbit-missing-elements", ("sensors[0].orbit.eccentricity",),
         _set("sensors.0.orbit", {"kind": "heo", "semi_major_axis_km": 26554,
                                  "inclination_deg": 63.4, "raan_deg": 0,
                                  "arg_perigee_deg": 270, "mean_anomaly_deg": 0})),
    Case("unknown-alliance", ("alliance",), _set("alliance", "WARSAW")),
    Case("early-cutoff-longer-than-burn", ("threats[0].guidance_error.early_cutoff_s",),
         _set("threats.0.guidance_error.early_cutoff_s", 500)),
    Case("failure-of-missing-stage", ("threats[0].guidance_error.stage_failure.stage",),
         _set("threats.0.guidance_error.stage_failure", {"stage": 3, "time_s": 10})),
    Case("unknown-c2-endpoint", ("c2.links[0].target",), _set("c2.links.0.target", "nowhere")),
    Case("posture-change-after-end", ("posture.changes[0].time_s",),
         _set("posture.changes.0.time_s", 1500)),
    Case("unknown-posture-level", ("posture.initial",), _set("posture.initial", "panic")),
    Case("unknown-defended-asset", ("fire_units[0].defends[0]",),
         _set("fire_units.0.defends", ["nowhere"])),
    Case("fire-unit-site-and-platform", ("fire_units[0]",),
         _set("fire_units.0.site", {"lat_deg": 35.0, "lon_deg": 35.0})),
    Case("mtbf-without-mttr", ("sensors[1].mttr_s",), _set("sensors.1.mtbf_s", 3600)),
    Case("c2-not-a-mapping", ("c2",), _set("c2", [])),
    Case("sectored-radar-without-boresight", ("sensors[1].boresight_az_deg",),
         _drop("sensors.1.boresight_az_deg")),
    Case("inline-interceptor-altitude-band", ("fire_units[0].interceptor.max_intercept_alt_m",),
         _set("fire_units.0.interceptor",
              {"extends": "sm-3-ib", "max_intercept_alt_m": 50_000})),
    Case("negative-radius", ("defended_assets[0].radius_km",),
         _set("defended_assets.0.radius_km", -5)),
]
