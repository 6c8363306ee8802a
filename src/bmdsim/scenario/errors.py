"""Scenario problems: what is wrong, where (a field path such as ``threats[0].launch.lat_deg``),
the bad value and what is allowed.

:func:`problems_from_validation_error` turns pydantic's errors into :class:`Problem` records;
the "allowed" text is read from the schema itself (field types, bounds, enum values and
known keys), so it stays true when the schema changes.
"""

from __future__ import annotations

import difflib
import enum
import types
import typing
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any, Literal, Union, get_args, get_origin

import annotated_types
from pydantic import BaseModel, Discriminator, Tag, ValidationError
from pydantic.fields import FieldInfo

#: Path of problems that concern the whole file (not YAML, empty, missing, ...).
FILE_PATH = "<file>"


class _Missing:
    def __repr__(self) -> str:
        return "(missing)"


#: The ``value`` of a problem about a key that is absent.
MISSING: Any = _Missing()


@dataclass(frozen=True, slots=True, kw_only=True)
class Problem:
    """One thing wrong with a scenario."""

    path: str
    message: str
    value: Any = MISSING
    allowed: str = ""

    def __str__(self) -> str:
        text = f"{self.path}: {self.message}"
        if self.value is not MISSING:
            text += f"; got {_short_repr(self.value)}"
        if self.allowed:
            text += f"; allowed: {self.allowed}"
        return text


class ScenarioError(Exception):
    """A scenario that cannot be used; ``problems`` lists every problem found.

    ``str()`` gives one line per problem. Not a ``ValueError`` on purpose: it passes
    through pydantic validators unchanged.
    """

    def __init__(self, problems: list[Problem], *, source: str | None = None) -> None:
        self.problems = list(problems)
        self.source = source
        super().__init__(str(self))

    def __str__(self) -> str:
        return "\n".join(str(p) for p in self.problems)


def _short_repr(value: Any, limit: int = 80) -> str:
    if isinstance(value, enum.Enum):
        value = value.value
    text = value.isoformat() if isinstance(value, date) else repr(value)
    return text if len(text) <= limit else text[: limit - 3] + "..."


def format_path(loc: tuple[Any, ...]) -> str:
    """``("threats", 0, "launch", "lat_deg")`` -> ``threats[0].launch.lat_deg``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += f".{part}" if out else str(part)
    return out or FILE_PATH


# ---------------------------------------------------------------- walking the schema
#
# A pydantic error location is a tuple of keys: field names, list indices, dict keys and,
# inside discriminated unions, the tag of the union member. Walking the schema along it
# tells which keys are tags (left out of user-facing paths) and which type sits at the end
# (its description becomes the "allowed" text).

_Node = tuple[Any, list[Any]]  # (type, metadata such as bounds and patterns)


def _unwrap(tp: Any, meta: list[Any]) -> _Node:
    while get_origin(tp) is Annotated:
        args = get_args(tp)
        tp, meta = args[0], [*meta, *args[1:]]
    # a Field(...) inside Annotated carries its constraints in its own metadata
    meta = [*meta, *(c for m in meta if isinstance(m, FieldInfo) for c in m.metadata)]
    return tp, meta


def _is_union(tp: Any) -> bool:
    return get_origin(tp) in (Union, types.UnionType)


def _is_model(tp: Any) -> bool:
    return isinstance(tp, type) and issubclass(tp, BaseModel)


def _field(model: type[BaseModel], key: str) -> FieldInfo | None:
    for name, info in model.model_fields.items():
        if key in (name, info.alias):
            return info
    return None


def _literal_values(model: type[BaseModel]) -> set[Any]:
    """Values of the model's ``Literal`` fields (the tags of a ``discriminator="kind"`` union)."""
    out: set[Any] = set()
    for info in model.model_fields.values():
        if get_origin(info.annotation) is Literal:
            out.update(get_args(info.annotation))
    return out


def _tag_member(members: list[Any], key: Any) -> Any | None:
    """The union member that ``key`` selects as a tag, or None if ``key`` is no tag."""
    for member in members:
        mtp, mmeta = _unwrap(member, [])
        if any(isinstance(m, Tag) and m.tag == key for m in mmeta):
            return mtp
    models = [_unwrap(m, [])[0] for m in members]
    models = [m for m in models if _is_model(m)]
    if any(_field(m, key) is not None for m in models if isinstance(key, str)):
        return None
    for model in models:
        if key in _literal_values(model):
            return model
    return None


def _step(node: _Node, key: Any) -> tuple[_Node, bool] | None:
    """The node reached from ``node`` by the loc element ``key``, and whether ``key`` was a
    union tag; None where the schema has no such element."""
    tp, _meta = _unwrap(*node)
    if _is_union(tp):
        members = [m for m in get_args(tp) if m is not type(None)]
        tagged = _tag_member(members, key)
        if tagged is not None:
            return (tagged, []), True
        for member in members:
            found = _step((member, []), key)
            if found is not None:
                return found
        return None
    if _is_model(tp) and isinstance(key, str):
        info = _field(tp, key)
        return None if info is None else ((info.annotation, [*info.metadata, info]), False)
    origin, args = get_origin(tp), get_args(tp)
    if origin in (list, tuple, typing.Sequence) and isinstance(key, int):
        if origin is tuple and args and args[-1] is not Ellipsis:
            return ((args[key], []), False) if key < len(args) else None
        return ((args[0], []), False) if args else None
    if origin is dict and args:
        return ((args[1], []), False)
    return None


def _walk(root: type[BaseModel], loc: tuple[Any, ...]) -> tuple[_Node | None, tuple[Any, ...]]:
    """The node at ``loc`` (None if the schema ends earlier) and the user-facing loc."""
    node: _Node | None = (root, [])
    user: list[Any] = []
    for key in loc:
        if key == "[key]":
            continue
        step = _step(node, key) if node is not None else None
        if step is None:
            node = None
            user.append(key)
            continue
        node, is_tag = step
        if not is_tag:
            user.append(key)
    return node, tuple(user)


def _num(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else f"{value:.10g}"


def _bounds(meta: list[Any]) -> str:
    lo = hi = None
    lo_open = hi_open = False
    for m in meta:
        if isinstance(m, annotated_types.Ge):
            lo = m.ge
        elif isinstance(m, annotated_types.Gt):
            lo, lo_open = m.gt, True
        elif isinstance(m, annotated_types.Le):
            hi = m.le
        elif isinstance(m, annotated_types.Lt):
            hi, hi_open = m.lt, True
    if lo is not None and hi is not None:
        return f" in {'(' if lo_open else '['}{_num(lo)}, {_num(hi)}{')' if hi_open else ']'}"
    if lo is not None:
        return f" {'>' if lo_open else '>='} {_num(lo)}"
    if hi is not None:
        return f" {'<' if hi_open else '<='} {_num(hi)}"
    return ""


def _model_keys(model: type[BaseModel]) -> list[str]:
    return [info.alias or name for name, info in model.model_fields.items()]


def describe(tp: Any, meta: list[Any] | None = None) -> str:
    """Plain-words description of what a field of type ``tp`` accepts."""
    tp, meta = _unwrap(tp, list(meta or ()))
    described = next((m.description for m in meta if isinstance(m, FieldInfo)), None)
    for m in meta:
        if isinstance(m, Discriminator) and "allowed" in (m.custom_error_context or {}):
            return str(m.custom_error_context["allowed"])
    if _is_union(tp):
        members = get_args(tp)
        parts = [describe(m) for m in members if m is not type(None)]
        text = " or ".join(dict.fromkeys(parts))
        return text + (" or null" if type(None) in members else "")
    if tp is bool:
        return "true or false"
    if tp is int:
        return "an integer" + _bounds(meta)
    if tp is float:
        return "a number" + _bounds(meta)
    if tp is str:
        if described:
            return f"an {described}" if described[0].lower() in "aeiou" else f"a {described}"
        return "a string"
    if tp is datetime:
        return "an ISO-8601 UTC instant such as 2026-03-04T10:00:00Z"
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        return "one of: " + ", ".join(str(m.value) for m in tp)
    if get_origin(tp) is Literal:
        return "one of: " + ", ".join(str(a) for a in get_args(tp))
    if _is_model(tp):
        return "a mapping with keys: " + ", ".join(_model_keys(tp))
    origin, args = get_origin(tp), get_args(tp)
    if origin is tuple and args and args[-1] is not Ellipsis:
        return "a list [" + ", ".join(describe(a) for a in args) + "]"
    if origin in (list, tuple) and args:
        return "a list, each item " + describe(args[0])
    if origin is dict and args:
        return f"a mapping from ({describe(args[0])}) to ({describe(args[1])})"
    return getattr(tp, "__name__", str(tp))


# ---------------------------------------------------------------- pydantic -> Problem

_TYPE_ERRORS = {
    "float_type", "float_parsing", "int_type", "int_parsing", "int_from_float", "bool_type",
    "bool_parsing", "string_type", "list_type", "tuple_type", "dict_type", "model_type",
    "model_attributes_type", "datetime_type", "datetime_parsing", "datetime_from_date_parsing",
    "date_type", "is_instance_of", "none_required",
}
_RANGE_ERRORS = {"greater_than", "greater_than_equal", "less_than", "less_than_equal"}
_MESSAGES = {
    "finite_number": "not a finite number",
    "enum": "not an allowed value",
    "literal_error": "not an allowed value",
    "string_pattern_mismatch": "invalid format",
    **{k: "out of range" for k in _RANGE_ERRORS},
    **{k: "wrong type" for k in _TYPE_ERRORS},
}


def _unquote(text: str) -> str:
    return text.strip().strip("'\"")


def _problem(err: dict[str, Any], root: type[BaseModel]) -> Problem:
    kind = err["type"]
    raw_loc = tuple(err["loc"])
    node, loc = _walk(root, raw_loc)
    ctx = err.get("ctx") or {}
    value = ctx.get("value", err.get("input", MISSING))
    allowed = describe(*node) if node is not None else ""

    if "field" in ctx:
        loc = (*loc, ctx["field"])
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        loc = (*loc, _unquote(ctx.get("discriminator", "kind")))
        tags = ", ".join(_unquote(t) for t in str(ctx.get("expected_tags", "")).split(","))
        if kind == "union_tag_not_found":
            return Problem(path=format_path(loc), message="required key is missing",
                           allowed=f"one of: {tags}" if tags else allowed)
        return Problem(path=format_path(loc), message="not an allowed value",
                       value=ctx.get("tag", value), allowed=f"one of: {tags}")
    path = format_path(loc)

    if kind == "missing":
        return Problem(path=path, message="required key is missing", allowed=allowed)
    if kind == "extra_forbidden":
        parent, _ = _walk(root, raw_loc[:-1])
        known: list[str] = []
        if parent is not None:
            ptp, _ = _unwrap(*parent)
            if _is_model(ptp):
                known = _model_keys(ptp)
        message = "unknown key"
        close = difflib.get_close_matches(str(raw_loc[-1]), known, n=1)
        if close:
            message += f" (did you mean {close[0]!r}?)"
        return Problem(path=path, message=message, value=value,
                       allowed="known keys: " + ", ".join(known) if known else "")
    if "allowed" in ctx:
        return Problem(path=path, message=err["msg"], value=value, allowed=str(ctx["allowed"]))
    if raw_loc and raw_loc[-1] == "[key]":
        mapping, _ = _walk(root, raw_loc[:-2])
        if mapping is not None:
            mtp, _ = _unwrap(*mapping)
            if get_origin(mtp) is dict:
                allowed = describe(get_args(mtp)[0])
        return Problem(path=path, message="not an allowed key", value=value, allowed=allowed)
    if kind in _MESSAGES:
        return Problem(path=path, message=_MESSAGES[kind], value=value, allowed=allowed)
    if kind in ("too_short", "too_long", "string_too_short", "string_too_long"):
        size = "at least" if "short" in kind else "at most"
        bound = ctx.get("min_length" if "short" in kind else "max_length")
        unit = "character" if kind.startswith("string") else "item"
        return Problem(path=path, message=f"needs {size} {bound} {unit}(s)", value=value,
                       allowed=allowed)
    message = err["msg"].removeprefix("Value error, ")
    return Problem(path=path, message=message, value=value, allowed=allowed)


def _is_echo(err: dict[str, Any], errors: list[dict[str, Any]]) -> bool:
    """A length error on a tuple whose items failed (pydantic reports both): drop it."""
    if err["type"] != "too_short":
        return False
    loc = tuple(err["loc"])
    return any(len(o["loc"]) > len(loc) and tuple(o["loc"][: len(loc)]) == loc for o in errors)


def problems_from_validation_error(exc: ValidationError, root: type[BaseModel]) -> list[Problem]:
    """One :class:`Problem` per pydantic error, with user-facing paths (union tags removed)."""
    errors = exc.errors(include_url=False)
    return [_problem(err, root) for err in errors if not _is_echo(err, errors)]
