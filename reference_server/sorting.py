"""Sorting of query results (RFC 7644 §3.4.2.3).

* ``sortBy`` is an attribute path (sub-attributes in dot notation, URN-qualified allowed,
  case-insensitive).  An unknown or never-returned attribute gives every resource "no value", so
  the order is left unchanged (our choice; RFC 7644 §3.4.2.3 names no error for it).
* caseExact=false strings compare casefolded; caseExact=true strings by code point (no locale).
* A multi-valued attribute sorts by its ``primary`` value, else by its first value.
* Resources without a value go last when ascending and first when descending.
* The sort is stable, so ties keep the store's order (our SORT-06 rule: pages are stable).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from decimal import Decimal
from typing import Any

from reference_server.errors import InvalidPath, InvalidValue
from reference_server.filter_eval import parse_datetime
from reference_server.parser import get_ci
from reference_server.schema import Attribute, ResourceModel


def _pick(values: Any) -> Any:
    if not isinstance(values, list):
        return values
    items = [v for v in values if v is not None]
    for v in items:
        if isinstance(v, dict) and v.get("primary") is True:
            return v
    return items[0] if items else None


def _normal(defn: Attribute, v: Any) -> Any:
    """A comparable key for one value of ``defn``, or None when it has none of the right type."""
    t = defn.type
    if t == "boolean":
        return int(v) if isinstance(v, bool) else None
    if t in ("integer", "decimal"):
        return Decimal(str(v)) if isinstance(v, (int, float)) and not isinstance(v, bool) else None
    if t == "dateTime":
        return parse_datetime(v)
    if isinstance(v, str):
        return v if defn.case_exact else v.casefold()
    return None


def sort_key(model: ResourceModel, sort_by: str) -> Callable[[dict[str, Any]], Any]:
    """A function giving the sort value of a resource (None when it has none)."""
    try:
        r = model.resolve(sort_by, InvalidPath)
    except InvalidPath:
        return lambda resource: None
    attr, sub = r.attribute, r.sub_attribute
    if attr.returned == "never" or (sub is not None and sub.returned == "never"):
        return lambda resource: None
    if sub is None and attr.type == "complex":
        sub = attr.sub("value")
        if sub is None:
            return lambda resource: None
    defn = sub or attr

    def key(resource: dict[str, Any]) -> Any:
        holder = get_ci(resource, r.urn) if r.extension else resource
        value = _pick(get_ci(holder, attr.name))
        if sub is not None:
            value = get_ci(value, sub.name)
        if value is None:
            return None
        return _normal(defn, value)

    return key


def sort_resources(model: ResourceModel, resources: Iterable[dict[str, Any]], sort_by: str | None,
                   order: str | None = None) -> list[dict[str, Any]]:
    """``resources`` ordered by ``sort_by``; ``order`` is ascending (default) or descending
    (case-insensitive; anything else -> invalidValue)."""
    items = list(resources)
    direction = (order or "ascending").lower()
    if direction not in ("ascending", "descending"):
        raise InvalidValue(f"sortOrder must be ascending or descending, not {str(order)[:50]!r}")
    if not sort_by:
        return items
    key = sort_key(model, sort_by)
    keyed = [(key(res), i, res) for i, res in enumerate(items)]
    present = [k for k in keyed if k[0] is not None]
    missing = [k for k in keyed if k[0] is None]
    present.sort(key=lambda k: k[0], reverse=direction == "descending")
    if direction == "descending":
        # reverse=True keeps ties in original order (sort is stable in either direction)
        return [k[2] for k in missing] + [k[2] for k in present]
    return [k[2] for k in present] + [k[2] for k in missing]


def sort_mixed(found: list[tuple[dict[str, Any], ResourceModel]], sort_by: str,
            order: str | None) -> list[tuple[dict[str, Any], ResourceModel]]:
    """RFC 7644 §3.4.2.3 sorting where each resource is keyed with its own type's model.

    One type: exactly ``sorting.sort_resources``.  A root query mixes Users and Groups; sortBy then
    resolves against each resource's model (``members`` means something only on a Group), and the
    resources without a value go last (first when descending), as ``sort_resources`` orders them."""
    direction = (order or "ascending").lower()
    if direction not in ("ascending", "descending"):
        raise InvalidValue(f"sortOrder must be ascending or descending, not {str(order)[:50]!r}")
    models = list({id(m): m for _, m in found}.values())
    if len(models) == 1:
        resources = sort_resources(models[0], [r for r, _ in found], sort_by, order)
        return [(r, models[0]) for r in resources]
    if not models:
        return found
    keys = {id(m): sort_key(m, sort_by) for m in models}
    keyed = [(keys[id(m)](r), i, (r, m)) for i, (r, m) in enumerate(found)]
    present = [k for k in keyed if k[0] is not None]
    missing = [k for k in keyed if k[0] is None]
    try:
        present.sort(key=lambda k: k[0], reverse=direction == "descending")
    except TypeError:  # one attribute name with different types in two models: group by type first
        present.sort(key=lambda k: (type(k[0]).__name__, k[0]), reverse=direction == "descending")
    if direction == "descending":
        return [k[2] for k in missing] + [k[2] for k in present]
    return [k[2] for k in present] + [k[2] for k in missing]
