"""Attribute mappings as data (Entra's "Attribute Mapping" blade, E6).

A mapping file (``mappings/*.json``) holds ``user`` and ``group`` lists of mappings:
``{"target": path, "type": "direct"|"constant"|"expression", "source"|"value"|"expression",
"default": value-if-null, "apply": "always"|"create", "matching": bool, "precedence": n,
"required": bool, "reference": bool}``. "Default if null" applies on create only (E6);
"required" skips the object with a log entry when the value is null (seed 002: ``mail``);
"reference" marks ``manager``: its value is a directory id the engine resolves to a target id.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path as FilePath
from typing import Any

from mock_idp.expressions import Expression, ExpressionError, parse
from mock_idp.scoping import Clause, ScopeError, in_scope, parse_scope
from harness.idp.paths import parse_path

__all__ = ["Mapping", "MappingSet", "MappingError", "load_mapping", "MAPPING_DIR", "mapping_names"]

MAPPING_DIR = FilePath(__file__).parent / "mappings"

_KEYS = {
    "target", "type", "source", "value", "expression", "default", "apply", "matching",
    "precedence", "required", "reference", "note",
}
#: Target attributes of SCIM type boolean (RFC 7643 §4.1.1).
BOOLEAN_TARGETS = {"active", "emails[type eq \"work\"].primary"}
_FILE_KEYS = {"name", "description", "notes", "user", "group", "tenant_url_example", "scope"}


class MappingError(ValueError):
    """A mapping file that cannot be used; the message names the file and the mapping."""


@dataclass(frozen=True)
class Mapping:
    target: str
    type: str = "direct"
    source: str | None = None
    value: Any = None
    expression: Expression | None = None
    default: Any = None
    apply: str = "always"
    matching: bool = False
    precedence: int = 0
    required: bool = False
    reference: bool = False

    def __post_init__(self) -> None:
        # The source name when evaluating is a plain lookup (a direct mapping to a non-boolean
        # target), so the hot loops in MappingSet can skip evaluate(); None otherwise.
        plain = self.type == "direct" and self.target not in BOOLEAN_TARGETS
        object.__setattr__(self, "_plain_source", (self.source or "") if plain else None)

    def evaluate(self, attributes: dict[str, Any], on_create: bool) -> Any:
        if self.type == "constant":
            value = self.value
        elif self.type == "expression":
            assert self.expression is not None
            value = self.expression.evaluate(attributes)
        else:
            value = attributes.get(self.source or "")
        if (value is None or value == "" or value == []) and on_create and self.default is not None:
            value = self.default  # "Default value if null" applies on create only (E6)
        if self.target in BOOLEAN_TARGETS and isinstance(value, str) and value.lower() in {"true", "false"}:
            # Entra converts an expression's "True"/"False" to the target's Boolean type (E1, E6);
            # how a PATCH then writes it is the profile's business (patch_booleans_as_strings)
            value = value.lower() == "true"
        return None if value == "" or value == [] else value


@dataclass(frozen=True)
class MappingSet:
    name: str
    description: str
    user: tuple[Mapping, ...]
    group: tuple[Mapping, ...]
    notes: tuple[str, ...] = field(default_factory=tuple)
    #: Entra scoping filters on users (mock_idp/scoping.py): OR of ANDed clauses; () = everyone.
    scope: tuple[tuple[Clause, ...], ...] = ()

    def user_in_scope(self, attributes: dict[str, Any]) -> bool:
        """True when the user passes the scoping filters (source attributes, E6)."""
        return in_scope(self.scope, attributes)

    def matching(self, kind: str) -> list[Mapping]:
        """Matching mappings in precedence order (E6: one attribute per query, first hit wins)."""
        return list(self._matching_user if kind == "User" else self._matching_group)

    @cached_property
    def _matching_user(self) -> tuple[Mapping, ...]:
        return tuple(sorted((m for m in self.user if m.matching), key=lambda m: m.precedence))

    @cached_property
    def _matching_group(self) -> tuple[Mapping, ...]:
        return tuple(sorted((m for m in self.group if m.matching), key=lambda m: m.precedence))

    def apply(self, kind: str, attributes: dict[str, Any], on_create: bool) -> tuple[dict[str, Any], list[str]]:
        """``({target path: value}, [missing required targets])``; nulls are never included."""
        out: dict[str, Any] = {}
        missing: list[str] = []
        for m in self.user if kind == "User" else self.group:
            if m.apply == "create" and not on_create:
                continue
            source = m._plain_source  # type: ignore[attr-defined]
            if source is not None and not (on_create and m.default is not None):
                value = attributes.get(source)  # evaluate() for a plain lookup, inlined
                if value == "" or value == []:
                    value = None
            else:
                value = m.evaluate(attributes, on_create)
            if value is None:
                if m.required:
                    missing.append(m.target)
                continue
            out[m.target] = value
        return out, missing

    def apply_both(self, kind: str, attributes: dict[str, Any]) -> tuple[dict[str, Any], dict[str, Any], list[str]]:
        """``(create values, update values, missing required)`` in one pass over the mappings.

        Update values leave out "create only" mappings and never use "default if null" (E6).
        """
        create: dict[str, Any] = {}
        update: dict[str, Any] = {}
        missing: list[str] = []
        for m in self.user if kind == "User" else self.group:
            source = m._plain_source  # type: ignore[attr-defined]
            if source is not None:
                value = attributes.get(source)  # evaluate(on_create=False) for a plain lookup, inlined
                if value == "" or value == []:
                    value = None
            else:
                value = m.evaluate(attributes, on_create=False)
            if value is not None:
                create[m.target] = value
                if m.apply == "always":
                    update[m.target] = value
                continue
            if m.default is not None and m.default != "":
                create[m.target] = m.default
            elif m.required:
                missing.append(m.target)
        return create, update, missing

    def references(self, kind: str) -> set[str]:
        return {m.target for m in (self.user if kind == "User" else self.group) if m.reference}

    def maps(self, kind: str, attribute: str) -> bool:
        """True when a mapping targets ``attribute`` (its name, whatever schema or filter)."""
        return any(parse_path(m.target).attr == attribute for m in (self.user if kind == "User" else self.group))

    def create_only(self, kind: str) -> set[str]:
        return {m.target for m in (self.user if kind == "User" else self.group) if m.apply == "create"}


def mapping_names() -> list[str]:
    return sorted(p.name for p in MAPPING_DIR.glob("*.json"))


def load_mapping(name_or_path: str | FilePath) -> MappingSet:
    """Load a mapping file (a path, or a name in mock_idp/mappings/). Raises MappingError."""
    path = FilePath(name_or_path)
    if not path.exists() and (MAPPING_DIR / str(name_or_path)).exists():
        path = MAPPING_DIR / str(name_or_path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise MappingError(f"cannot read mapping file {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise MappingError(f"{path.name}: not JSON ({exc.msg} at line {exc.lineno})") from exc
    if not isinstance(data, dict):
        raise MappingError(f"{path.name}: expected a JSON object with 'user' and 'group' lists")
    unknown = sorted(set(data) - _FILE_KEYS)
    if unknown:
        raise MappingError(f"{path.name}: unknown key(s) {', '.join(unknown)}; valid keys: {', '.join(sorted(_FILE_KEYS))}")
    users = tuple(_mapping(item, f"{path.name} user[{i}]") for i, item in enumerate(data.get("user", [])))
    groups = tuple(_mapping(item, f"{path.name} group[{i}]") for i, item in enumerate(data.get("group", [])))
    try:
        scope = parse_scope(data.get("scope"), path.name)
    except ScopeError as exc:
        raise MappingError(str(exc)) from exc
    if users and not any(m.matching for m in users):
        raise MappingError(f"{path.name}: no user mapping is marked \"matching\": true (Entra needs one)")
    return MappingSet(
        name=str(data.get("name", path.stem)),
        description=str(data.get("description", "")),
        user=users,
        group=groups,
        notes=tuple(data.get("notes", [])),
        scope=scope,
    )


def _mapping(item: Any, where: str) -> Mapping:
    if not isinstance(item, dict):
        raise MappingError(f"{where}: a mapping must be an object")
    unknown = sorted(set(item) - _KEYS)
    if unknown:
        raise MappingError(f"{where}: unknown key(s) {', '.join(unknown)}; valid keys: {', '.join(sorted(_KEYS))}")
    kind = item.get("type", "direct")
    target = item.get("target")
    if not isinstance(target, str) or not target:
        raise MappingError(f"{where}: 'target' (the SCIM attribute path) is required")
    try:
        parse_path(target)
    except Exception as exc:  # noqa: BLE001
        raise MappingError(f"{where}: bad target path {target!r}: {exc}") from exc
    expression = None
    if kind == "direct":
        if not item.get("source"):
            raise MappingError(f"{where} ({target}): a direct mapping needs 'source'")
    elif kind == "constant":
        if "value" not in item:
            raise MappingError(f"{where} ({target}): a constant mapping needs 'value'")
    elif kind == "expression":
        try:
            expression = parse(str(item.get("expression", "")))
        except ExpressionError as exc:
            raise MappingError(f"{where} ({target}): {exc}") from exc
    else:
        raise MappingError(f"{where} ({target}): type {kind!r}; choose direct, constant or expression")
    apply = item.get("apply", "always")
    if apply not in {"always", "create"}:
        raise MappingError(f"{where} ({target}): apply {apply!r}; choose always or create")
    return Mapping(
        target=target,
        type=kind,
        source=item.get("source"),
        value=item.get("value"),
        expression=expression,
        default=item.get("default"),
        apply=apply,
        matching=bool(item.get("matching", False)),
        precedence=int(item.get("precedence", 1 if item.get("matching") else 0)),
        required=bool(item.get("required", False)),
        reference=bool(item.get("reference", False)),
    )
