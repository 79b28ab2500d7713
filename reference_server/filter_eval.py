"""What a SCIM filter means: evaluation against a resource (RFC 7644 §3.4.2.2).

The text is parsed into ``Compare``/``And``/... nodes by ``parser.parse_filter``; this module
evaluates those nodes (``matches``), checks their types up front (``check_filter``) and finds the
indexed equality a store may use (``index_hint``).

Grammar (operators and attribute names case-insensitive; precedence ``not`` > ``and`` > ``or``)::

    FILTER    = attrExp / logExp / valuePath / "not" "(" FILTER ")" / "(" FILTER ")"
    valuePath = attrPath "[" valFilter "]" ["." subAttr compareOp compValue]   ; see below
    attrExp   = attrPath "pr" / attrPath compareOp compValue
    compValue = false / null / true / number / string (JSON)

Decisions (documented choices where the RFC leaves room):

* ``emails[type eq "work"].value eq "x"`` (sent by IdPs although the RFC grammar has no such form)
  is accepted and means ``emails[type eq "work" and value eq "x"]``: both tests on the same value.
* Unquoted bare words (``externalId eq jyoung``) are rejected: invalidFilter (RFC 7644 §3.4.2.2
  requires JSON string literals; rfc-checklist QRY-11).
* An attribute the resource type lacks has no value: ``eq``/``pr`` are false (QRY-14).
* ``ne`` is true when the attribute has no value or any value differs ("any value" rule for
  multi-valued attributes). ``eq null`` means "has no value", ``ne null`` means "present".
* A comparison on a complex attribute without a sub-attribute compares its ``value``
  sub-attribute (``emails co "@x"``); ``pr`` on a complex attribute is "has a non-empty value".
* ``gt``/``ge``/``lt``/``le`` on boolean or binary, ``co``/``sw``/``ew`` on boolean or numbers, and
  a literal of the wrong JSON type (``active eq "true"``) are invalidFilter.  ``check_filter``
  raises these up front, so an empty store still answers 400.
* Bounds: at most ``MAX_FILTER_LENGTH`` characters and ``MAX_DEPTH`` nested ``(``/``not``/``[``.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any

from reference_server.errors import InvalidFilter
from reference_server.parser import And, AttrPath, Compare, Filter, Not, Or, Present, ValuePath, get_ci
from reference_server.schema import Attribute, ResourceModel
from reference_server.store import INDEXED_COLUMNS

__all__ = ["INDEXED", "parse_datetime", "check_filter", "matches", "value_matches", "index_hint", "equalities"]

INDEXED = tuple(INDEXED_COLUMNS)  # what the store can look up directly


# --- evaluation -------------------------------------------------------------------------------------


def parse_datetime(value: Any) -> datetime | None:
    """An xsd:dateTime (RFC 7643 §2.3.5) as an aware instant; naive times are UTC; None if invalid."""
    if not isinstance(value, str) or not re.match(r"^\d{4}-\d{2}-\d{2}T", value):
        return None
    text = value.strip()
    if text[-1:] in "zZ":
        text = text[:-1] + "+00:00"
    m = re.match(r"^(.*T\d{2}:\d{2}:\d{2})(\.\d+)?(.*)$", text)
    if m and m.group(2) and len(m.group(2)) > 7:  # fromisoformat wants at most 6 fraction digits
        text = m.group(1) + m.group(2)[:7] + m.group(3)
    try:
        dt = datetime.fromisoformat(text)
    except ValueError:
        return None
    return dt if dt.tzinfo else dt.replace(tzinfo=timezone.utc)


def _effective(attr: Attribute, sub: Attribute | None) -> tuple[Attribute, Attribute | None]:
    """(definition compared, value sub-attribute used for a complex attribute without sub)."""
    if sub is not None:
        return sub, None
    if attr.type == "complex":
        value_sub = attr.sub("value")
        return (value_sub, value_sub) if value_sub is not None else (attr, None)
    return attr, None


def _check(defn: Attribute, op: str, expected: Any, path: AttrPath) -> None:
    """Raise InvalidFilter for operator/type combinations that make no sense (RFC 7644 Table 3)."""
    t = defn.type
    if t == "complex":
        raise InvalidFilter(f"{path.text!r} is complex; compare one of its sub-attributes")
    if expected is None:
        if op not in ("eq", "ne"):
            raise InvalidFilter(f"null can only be compared with eq or ne ({path.text!r})")
        return
    if op in ("gt", "ge", "lt", "le") and t in ("boolean", "binary"):
        raise InvalidFilter(f"{op} is not defined for {t} attribute {path.text!r}")
    if op in ("co", "sw", "ew") and t in ("boolean", "integer", "decimal"):
        raise InvalidFilter(f"{op} is not defined for {t} attribute {path.text!r}")
    ok = {
        "boolean": isinstance(expected, bool),
        "integer": isinstance(expected, (int, float)) and not isinstance(expected, bool),
        "decimal": isinstance(expected, (int, float)) and not isinstance(expected, bool),
    }.get(t, isinstance(expected, str))
    if not ok:
        raise InvalidFilter(f"value {expected!r} does not fit {t} attribute {path.text!r}")
    if t == "dateTime" and op not in ("co", "sw", "ew") and parse_datetime(expected) is None:
        raise InvalidFilter(f"{expected!r} is not a dateTime (RFC 3339) for {path.text!r}")


def check_filter(flt: Filter, model: ResourceModel) -> None:
    """Raise InvalidFilter for type errors in ``flt``; unknown attributes are fine (no value)."""
    for path, op, expected in _comparisons(flt, model, None):
        if path is not None:
            _check(path[0], op, expected, path[1])


def _comparisons(flt: Filter, model: ResourceModel,
                 scope: Attribute | None) -> Iterator[tuple[tuple[Attribute, AttrPath] | None, str, Any]]:
    """Every comparison in ``flt``: ((definition compared, its path) or None if unknown, op, value)."""
    if isinstance(flt, (And, Or)):
        for term in flt.terms:
            yield from _comparisons(term, model, scope)
    elif isinstance(flt, Not):
        yield from _comparisons(flt.inner, model, scope)
    elif isinstance(flt, ValuePath):
        r = _resolve(model, flt.path)
        if r is not None:
            yield from _comparisons(flt.filter, model, r[0])
    elif isinstance(flt, Compare):
        found = _resolve_in(model, flt.path, scope)
        yield ((_effective(*found)[0], flt.path) if found else None), flt.op, flt.value


def _resolve(model: ResourceModel, path: AttrPath) -> tuple[Attribute, Attribute | None, str | None] | None:
    try:
        r = model.resolve(path.text, InvalidFilter)
    except InvalidFilter:
        return None
    return r.attribute, r.sub_attribute, (r.urn if r.extension else None)


def _resolve_in(model: ResourceModel, path: AttrPath,
                scope: Attribute | None) -> tuple[Attribute, Attribute | None] | None:
    """Resolve a path at the top level, or as a sub-attribute of ``scope`` inside ``[...]``."""
    if scope is None:
        r = _resolve(model, path)
        return (r[0], r[1]) if r else None
    sub = scope.sub(path.attr) if path.sub is None and path.uri is None else None
    return (sub, None) if sub is not None else None


def _values(container: Any, attr: Attribute, sub: Attribute | None) -> list[Any]:
    raw = get_ci(container, attr.name)
    items = raw if isinstance(raw, list) else ([] if raw is None else [raw])
    if sub is None:
        return [v for v in items if v is not None]
    return [x for v in items if (x := get_ci(v, sub.name)) is not None]


def _compare_one(defn: Attribute, op: str, actual: Any, expected: Any) -> bool:
    t = defn.type
    # a, e: the two operands normalised to one comparable type per SCIM type (datetime, Decimal,
    # bool or str); which one depends on the branch, so they are typed Any.
    a: Any
    e: Any
    if t == "dateTime" and op not in ("co", "sw", "ew"):
        a, e = parse_datetime(actual), parse_datetime(expected)
        if a is None or e is None:
            return False
    elif t in ("integer", "decimal"):
        if isinstance(actual, bool) or not isinstance(actual, (int, float, str)):
            return False
        try:
            a, e = Decimal(str(actual)), Decimal(str(expected))
        except InvalidOperation:
            return False
    elif t == "boolean":
        if not isinstance(actual, bool):
            return False
        a, e = actual, expected
    else:
        if not isinstance(actual, str):
            return False
        a, e = (actual, expected) if defn.case_exact else (actual.casefold(), expected.casefold())
    if op == "eq":
        return bool(a == e)
    if op == "ne":
        return bool(a != e)
    if op == "co":
        return bool(e in a)
    if op == "sw":
        return bool(a.startswith(e))
    if op == "ew":
        return bool(a.endswith(e))
    return bool({"gt": a > e, "ge": a >= e, "lt": a < e, "le": a <= e}[op])


def _non_empty(v: Any) -> bool:
    if v is None or v == "" or v == [] or v == {}:
        return False
    if isinstance(v, dict):
        return any(_non_empty(x) for x in v.values())
    return True


def _eval(flt: Filter, data: Any, model: ResourceModel, scope: Attribute | None) -> bool:
    if isinstance(flt, And):
        return all(_eval(t, data, model, scope) for t in flt.terms)
    if isinstance(flt, Or):
        return any(_eval(t, data, model, scope) for t in flt.terms)
    if isinstance(flt, Not):
        return not _eval(flt.inner, data, model, scope)
    if isinstance(flt, ValuePath):
        r = _resolve(model, flt.path)
        if r is None or r[0].type != "complex":
            return False
        container = get_ci(data, r[2]) if r[2] else data
        return any(isinstance(v, dict) and _eval(flt.filter, v, model, r[0]) for v in _values(container, r[0], None))
    path = flt.path
    if scope is None:
        r = _resolve(model, path)
        if r is None or r[0].returned == "never" or (r[1] is not None and r[1].returned == "never"):
            values, defn, value_sub = [], None, None  # unknown or never-returned (password): no value
        else:
            container = get_ci(data, r[2]) if r[2] else data
            defn, value_sub = _effective(r[0], r[1])
            values = _values(container, r[0], r[1] or (value_sub if isinstance(flt, Compare) else None))
    else:
        sub = scope.sub(path.attr) if path.uri is None and path.sub is None else None
        defn, value_sub = sub, None
        values = [] if sub is None else _values(data, sub, None)
    if isinstance(flt, Present):
        return any(_non_empty(v) for v in values)
    if defn is not None:
        _check(defn, flt.op, flt.value, path)
    if flt.value is None:
        return (not values) if flt.op == "eq" else bool(values)
    if flt.op == "ne" and not values:
        return True
    return any(_compare_one(defn, flt.op, v, flt.value) for v in values) if defn else False


def matches(flt: Filter, resource: dict[str, Any], model: ResourceModel) -> bool:
    """Does ``resource`` (canonical SCIM JSON) satisfy ``flt``?  Type errors raise InvalidFilter."""
    return _eval(flt, resource, model, None)


def index_hint(flt: Filter) -> tuple[str, str] | None:
    """``(attribute, value)`` for a top-level ``eq`` on an :data:`INDEXED` attribute that the
    whole filter requires (the filter itself, or a conjunct of an ``and``).  The store may use it to
    fetch candidates; it must still evaluate the whole filter (case rules come from the schema)."""
    if isinstance(flt, Compare) and flt.op == "eq" and isinstance(flt.value, str) and flt.path.sub is None:
        uri = (flt.path.uri or "").lower()
        if uri and not uri.startswith("urn:ietf:params:scim:schemas:core:2.0:"):
            return None
        for name in INDEXED:
            if flt.path.attr.lower() == name.lower():
                return name, flt.value
        return None
    if isinstance(flt, And):
        for term in flt.terms:
            if (hint := index_hint(term)) is not None:
                return hint
    return None


def value_matches(flt: Filter, value: Any, model: ResourceModel, attr: Attribute) -> bool:
    """Does one value of multi-valued complex ``attr`` satisfy a ``[...]`` filter (PATCH paths)?"""
    return isinstance(value, dict) and _eval(flt, value, model, attr)


def equalities(flt: Filter) -> dict[str, Any] | None:
    """``{sub: value}`` when ``flt`` is only ``eq`` tests joined by ``and`` (``type eq "work"``),
    else None.  PATCH ``add`` uses it to create the value a value path names."""
    if isinstance(flt, Compare) and flt.op == "eq" and flt.path.uri is None and flt.path.sub is None:
        return {flt.path.attr: flt.value}
    if isinstance(flt, And):
        out: dict[str, Any] = {}
        for term in flt.terms:
            part = equalities(term)
            if part is None:
                return None
            out.update(part)
        return out
    return None


def check_filterable(f: Filter, allowed: tuple[str, ...] | None) -> None:
    """An app profile's filterable attributes (None: all): filtering on another one -> 400 invalidFilter."""
    if allowed is None:
        return
    low = {a.lower() for a in allowed}
    for path in _filter_paths(f):
        if path.attr.lower() not in low or path.sub is not None:
            raise InvalidFilter(f"filtering on {path} is not supported; "
                                f"supported: {', '.join(allowed)}")


def _filter_paths(f: Filter) -> Iterator[AttrPath]:
    if isinstance(f, (Compare, Present)):
        yield f.path
    elif isinstance(f, (And, Or)):
        for t in f.terms:
            yield from _filter_paths(t)
    elif isinstance(f, Not):
        yield from _filter_paths(f.inner)
    elif isinstance(f, ValuePath):
        yield f.path
