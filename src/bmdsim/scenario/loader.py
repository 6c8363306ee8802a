"""Loading scenarios: bundled names or YAML files, every failure a :class:`ScenarioError`."""

from __future__ import annotations

import copy
import os
from functools import cache
from importlib import resources
from pathlib import Path
from typing import Any

import yaml

from bmdsim.scenario.errors import FILE_PATH, Problem, ScenarioError
from bmdsim.scenario.schema import Scenario

_SUFFIXES = (".yaml", ".yml")
_JSON_SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"


class _StrictLoader(yaml.SafeLoader):
    """YAML safe loader that rejects a key repeated in one mapping."""


def _construct_mapping(loader: _StrictLoader, node: yaml.MappingNode, deep: bool = False):
    seen: set[Any] = set()
    for key_node, _ in node.value:
        if key_node.tag == "tag:yaml.org,2002:merge":
            continue
        key = loader.construct_object(key_node, deep=True)
        try:
            repeated = key in seen
        except TypeError:  # unhashable key: let the base constructor report it
            break
        if repeated:
            raise yaml.constructor.ConstructorError(
                "while constructing a mapping", node.start_mark,
                f"found duplicate key {key!r}", key_node.start_mark,
            )
        seen.add(key)
    return yaml.SafeLoader.construct_mapping(loader, node, deep=deep)


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping)


def _file_error(message: str, value: Any, allowed: str, source: str | None) -> ScenarioError:
    return ScenarioError([Problem(path=FILE_PATH, message=message, value=value, allowed=allowed)],
                         source=source)


def _bundled_dir():
    return resources.files("bmdsim.scenario").joinpath("data")


@cache
def _bundled_files() -> dict[str, str]:
    """Bundled scenario name -> YAML text."""
    out = {}
    for entry in sorted(_bundled_dir().iterdir(), key=lambda e: e.name):
        if entry.name.endswith(_SUFFIXES):
            out[entry.name.rsplit(".", 1)[0]] = entry.read_text("utf-8")
    return out


def bundled_scenarios() -> list[tuple[str, str]]:
    """``(name, description)`` of every bundled scenario, sorted by name."""
    out = []
    for name, text in _bundled_files().items():
        data = yaml.safe_load(text)
        out.append((name, str(data.get("description", "")).strip()))
    return out


def scenario_from_yaml(text: str, *, source: str | None = None) -> Scenario:
    """Parse and validate scenario YAML text; :class:`ScenarioError` lists every problem."""
    mapping_hint = "a YAML mapping with the keys " + ", ".join(Scenario.model_fields)
    try:
        data = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f" at line {mark.line + 1}, column {mark.column + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc)
        raise _file_error(f"not valid YAML: {problem}{where}", source or "<text>",
                          "YAML text", source) from None
    if data is None:
        raise _file_error("the file is empty", source or "<text>", mapping_hint, source)
    if not isinstance(data, dict):
        raise _file_error(f"the file holds a {type(data).__name__}, not a mapping",
                          _preview(data), mapping_hint, source)
    return Scenario.from_mapping(data, source=source)


def _preview(data: Any) -> Any:
    return data if not isinstance(data, list | str) or len(data) < 5 else f"{data[:3]!r}..."


def _as_path(name_or_path: str | os.PathLike) -> Path | None:
    """The file meant by ``name_or_path``, or None for a bundled scenario name."""
    if isinstance(name_or_path, os.PathLike):
        return Path(name_or_path)
    text = str(name_or_path)
    if text in _bundled_files():
        return None
    if text.endswith(_SUFFIXES) or os.sep in text or "/" in text or Path(text).exists():
        return Path(text)
    return None


def load_scenario(name_or_path: str | os.PathLike) -> Scenario:
    """A validated :class:`Scenario` from a bundled name (see :func:`bundled_scenarios`)
    or a path to a YAML file. Any problem — unknown name, missing file, not YAML, empty,
    invalid fields — raises :class:`ScenarioError` listing them all."""
    path = _as_path(name_or_path)
    bundled = list(_bundled_files())
    allowed = "a path to a .yaml/.yml file or a bundled scenario: " + ", ".join(bundled)
    if path is None:
        name = str(name_or_path)
        if name not in _bundled_files():
            raise _file_error("no bundled scenario or file of that name", name, allowed, name)
        return scenario_from_yaml(_bundled_files()[name], source=f"bundled:{name}")
    source = str(path)
    if not path.exists():
        raise _file_error("no such file", source, allowed, source)
    if not path.is_file():
        raise _file_error("not a regular file", source, allowed, source)
    try:
        text = path.read_text("utf-8")
    except UnicodeDecodeError:
        raise _file_error("not UTF-8 text", source, "a UTF-8 YAML file", source) from None
    except OSError as exc:
        raise _file_error(f"cannot be read ({exc.strerror})", source, allowed, source) from None
    return scenario_from_yaml(text, source=source)


def _partial(prop: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """An override of a nested mapping merges key by key: none of its keys is required."""
    ref = prop.get("$ref", "")
    target = defs.get(ref.rsplit("/", 1)[-1]) if ref.startswith("#/$defs/") else None
    if target is None or target.get("type") != "object":
        return prop
    return {
        "type": "object",
        "properties": {k: _partial(v, defs) for k, v in target.get("properties", {}).items()},
        "additionalProperties": target.get("additionalProperties", True),
    }


def scenario_json_schema() -> dict[str, Any]:
    """JSON Schema (draft 2020-12) of the scenario file format.

    A type given as ``{extends: <catalog id>, ...}`` needs only ``extends``; the schema
    says so with an ``anyOf`` of the full type and that extension form.
    """
    schema = copy.deepcopy(Scenario.model_json_schema())
    defs = schema["$defs"]
    for name in ("MissileSpec", "InterceptorSpec"):
        full = defs[name]
        extension = {
            "type": "object",
            "title": f"{full.get('title', name)} (extension of a catalog type)",
            "required": ["extends"],
            "properties": {k: _partial(v, defs) for k, v in full["properties"].items()},
            "additionalProperties": False,
        }
        schema["$defs"][name] = {"title": full.get("title", name),
                                 "description": full.get("description", ""),
                                 "anyOf": [full, extension]}
    return {"$schema": _JSON_SCHEMA_DIALECT, "title": "bmdsim scenario", **{
        k: v for k, v in schema.items() if k != "title"}}
