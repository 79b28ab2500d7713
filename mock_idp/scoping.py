"""Entra scoping filters as data: a mapping file's ``scope`` section (E6 "scoping filters").

The Entra portal builds a scoping filter from clauses of *source attribute*, *operator* and
*value*; the clauses of one filter must all hold (AND), and several filters are alternatives
(OR). A user outside every filter is out of scope: never created, and deactivated if Entra had
provisioned it (idp-behaviors §5 "Deprovisioning, settled": failing a scoping filter sends
``active=false``). In a mapping file::

    "scope": [[{"attribute": "department", "operator": "EQUALS", "value": "Sales"},
               {"attribute": "accountEnabled", "operator": "IS TRUE"}]]

A single list of clauses is one filter. Comparisons of text are case-insensitive, as Entra's are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = ["Clause", "OPERATORS", "parse_scope", "in_scope", "ScopeError"]


class ScopeError(ValueError):
    """A scope section that is not a list of filters of clauses."""


def _text(value: Any) -> str:
    return "" if value is None else str(value).lower()


def _number(value: Any) -> float | None:
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _greater(seen: Any, wanted: Any) -> bool:
    a, b = _number(seen), _number(wanted)
    return a is not None and b is not None and a > b


def _less(seen: Any, wanted: Any) -> bool:
    a, b = _number(seen), _number(wanted)
    return a is not None and b is not None and a < b


#: The portal's operators (E6), each a test of (attribute value, clause value).
OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "EQUALS": lambda seen, wanted: _text(seen) == _text(wanted),
    "NOT EQUALS": lambda seen, wanted: _text(seen) != _text(wanted),
    "IS TRUE": lambda seen, _: seen is True or _text(seen) == "true",
    "IS FALSE": lambda seen, _: seen is False or _text(seen) == "false",
    "IS NULL": lambda seen, _: seen is None or seen == "",
    "IS NOT NULL": lambda seen, _: not (seen is None or seen == ""),
    "REGEX MATCH": lambda seen, wanted: seen is not None and re.fullmatch(str(wanted), str(seen), re.I) is not None,
    "NOT REGEX MATCH": lambda seen, wanted: seen is None or re.fullmatch(str(wanted), str(seen), re.I) is None,
    "INCLUDES": lambda seen, wanted: _text(seen) in {v.strip().lower() for v in str(wanted).split(",")},
    "NOT INCLUDES": lambda seen, wanted: _text(seen) not in {v.strip().lower() for v in str(wanted).split(",")},
    "GREATER_THAN": _greater,
    "LESS_THAN": _less,
}
_NEEDS_VALUE = {"EQUALS", "NOT EQUALS", "REGEX MATCH", "NOT REGEX MATCH", "INCLUDES", "NOT INCLUDES",
                "GREATER_THAN", "LESS_THAN"}


@dataclass(frozen=True)
class Clause:
    attribute: str
    operator: str
    value: Any = None

    def holds(self, attributes: Mapping[str, Any]) -> bool:
        return OPERATORS[self.operator](attributes.get(self.attribute), self.value)


def parse_scope(data: Any, where: str) -> tuple[tuple[Clause, ...], ...]:
    """``scope`` as filters of clauses; raises :class:`ScopeError` naming the bad clause."""
    if data is None:
        return ()
    if not isinstance(data, list):
        raise ScopeError(f"{where}: scope must be a list of clauses (or of lists of clauses)")
    filters = data if data and all(isinstance(f, list) for f in data) else [data]
    out: list[tuple[Clause, ...]] = []
    for n, clauses in enumerate(filters):
        parsed: list[Clause] = []
        for k, item in enumerate(clauses):
            at = f"{where} scope[{n}][{k}]"
            if not isinstance(item, dict) or not isinstance(item.get("attribute"), str):
                raise ScopeError(f"{at}: a clause is {{\"attribute\", \"operator\", \"value\"}}")
            operator = str(item.get("operator", "")).upper()
            if operator not in OPERATORS:
                raise ScopeError(f"{at}: operator {item.get('operator')!r}; choose one of {', '.join(OPERATORS)}")
            if operator in _NEEDS_VALUE and "value" not in item:
                raise ScopeError(f"{at}: operator {operator} needs a value")
            if operator.endswith("REGEX MATCH"):
                try:
                    re.compile(str(item["value"]))
                except re.error as exc:
                    raise ScopeError(f"{at}: bad regular expression: {exc}") from exc
            parsed.append(Clause(item["attribute"], operator, item.get("value")))
        if parsed:
            out.append(tuple(parsed))
    return tuple(out)


def in_scope(filters: tuple[tuple[Clause, ...], ...], attributes: Mapping[str, Any]) -> bool:
    """No filter: everyone; else some filter whose clauses all hold."""
    return not filters or any(all(c.holds(attributes) for c in clauses) for clauses in filters)
