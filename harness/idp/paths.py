"""SCIM attribute paths as Entra's mapping editor writes them (RFC 7644 §3.10, §3.5.2).

Forms: ``userName``, ``name.givenName``, ``emails[type eq "work"].value``,
``urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department`` (the attribute is
after the last colon), and ``urn:…:User:manager``. :func:`nest` turns a flat
``{path: value}`` into a resource body; :func:`read` reads one path out of a resource.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

__all__ = ["Path", "parse_path", "nest", "read", "ENTERPRISE", "CORE_USER", "CORE_GROUP"]

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"

_FILTERED = re.compile(r'^(?P<attr>[A-Za-z$][\w$-]*)\[(?P<key>\w+) eq "(?P<val>[^"]*)"\](?:\.(?P<sub>\w+))?$')


@dataclass(frozen=True)
class Path:
    text: str
    schema: str | None  # extension URN, or None for the core schema
    attr: str
    sub: str | None
    filter: tuple[str, str] | None  # (key, value) of [key eq "value"]

    @property
    def filtered(self) -> bool:
        return self.filter is not None


_CACHE: dict[str, Path] = {}


def parse_path(text: str) -> Path:
    cached = _CACHE.get(text)
    if cached is not None:
        return cached
    schema: str | None = None
    rest = text
    if text.lower().startswith("urn:"):
        schema, _, rest = text.rpartition(":")
    m = _FILTERED.match(rest)
    if m:
        path = Path(text, schema, m["attr"], m["sub"], (m["key"], m["val"]))
    else:
        attr, _, sub = rest.partition(".")
        path = Path(text, schema, attr, sub or None, None)
    _CACHE[text] = path
    return path


def _get(mapping: Any, key: str) -> Any:
    """Case-insensitive member lookup (RFC 7643 §2.1: attribute names are case-insensitive)."""
    if not isinstance(mapping, dict):
        return None
    if key in mapping:
        return mapping[key]
    low = key.lower()
    for k, v in mapping.items():
        if isinstance(k, str) and k.lower() == low:
            return v
    return None


def read(resource: dict[str, Any], text: str) -> Any:
    """The value at ``text`` in ``resource`` (None when absent). References yield their id."""
    path = parse_path(text)
    container = _get(resource, path.schema) if path.schema else resource
    value = _get(container, path.attr)
    if path.filter is not None:
        key, wanted = path.filter
        items = value if isinstance(value, list) else []
        match = next((i for i in items if isinstance(i, dict) and str(_get(i, key)) == wanted), None)
        return _get(match, path.sub) if (match is not None and path.sub) else match
    if path.sub:
        return _get(value, path.sub)
    if isinstance(value, dict) and "value" in value and path.attr.lower() == "manager":
        return value.get("value")
    return value


def nest(flat: dict[str, Any], primary_filtered: bool = True) -> dict[str, Any]:
    """A resource body from ``{path: value}``; filtered paths become list items.

    ``emails[type eq "work"].value`` → ``"emails": [{"primary": true, "type": "work",
    "value": …}]`` (Entra's create body, E1). Extension paths nest under their URN.
    """
    body: dict[str, Any] = {}
    for text, value in flat.items():
        if value is None:
            continue
        path = parse_path(text)
        container = body.setdefault(path.schema, {}) if path.schema else body
        if path.filter is not None:
            key, wanted = path.filter
            items = container.setdefault(path.attr, [])
            item = next((i for i in items if i.get(key) == wanted), None)
            if item is None:
                item = {"primary": True, key: wanted} if (primary_filtered and not items) else {key: wanted}
                items.append(item)
            if path.sub:
                item[path.sub] = value
        elif path.sub:
            container.setdefault(path.attr, {})[path.sub] = value
        else:
            container[path.attr] = value
    return body
