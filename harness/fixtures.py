"""Test users and groups built from the target's own /Schemas, and what to do when it refuses them.

:func:`user_body` starts from what every IdP sends (userName, name, displayName, a work email,
active) and adds every attribute the target's schema marks ``required`` that is still missing
(also required sub-attributes, also inside a check's overrides), with a plausible value for
its type (the first ``canonicalValues`` entry where given), and every extension that
/ResourceTypes marks ``required`` with its required attributes. The template is not trimmed to
the attributes /Schemas lists: an incomplete /Schemas would otherwise make users too bare to
show a defect (a projection that is ignored looks applied on a user with only a userName).
Nothing is sent as ``null`` unless a check asks for it: attributes not wanted are omitted
(:data:`OMIT`).

:class:`FixtureGate` remembers that a target refused the plain fixture (a 4xx other than 429):
later checks that need one are "not judged" citing that one cause instead of each trying again.
"""

from __future__ import annotations

import threading
from typing import Any

from harness.discovery import ATTRIBUTE_DEFAULTS, CORE_GROUP, CORE_USER, Discovery
from harness.recorder import Exchange

__all__ = ["OMIT", "user_body", "group_body", "FixtureGate", "plausible_value", "writable_strings", "declares"]


class _Omit:
    def __repr__(self) -> str:
        return "OMIT"


#: An override value meaning "leave this attribute out" (``None`` sends JSON null on purpose).
OMIT: Any = _Omit()

_SAMPLES = {  # a plausible value for a required attribute, by (sub-)attribute name
    "formatted": "Test User", "givenname": "Test", "familyname": "User", "displayname": "Test User",
    "value": "test-value", "type": "work", "country": "US", "locale": "en-US", "preferredlanguage": "en-US",
    "timezone": "America/Los_Angeles", "employeenumber": "1001", "usertype": "Employee",
}


def plausible_value(attr: dict[str, Any], email: str = "test@example.com") -> Any:
    """A value the definition ``attr`` allows: canonical value, else by type and name."""
    canonical = attr.get("canonicalValues")
    name = str(attr.get("name", "")).lower()
    kind = str(attr.get("type", "string")).lower()
    if isinstance(canonical, list) and canonical:
        single: Any = canonical[0]
    elif kind == "complex":
        subs = [s for s in attr.get("subAttributes") or [] if isinstance(s, dict) and _writable(s)]
        wanted = [s for s in subs if s.get("required") is True] or [s for s in subs if str(s.get("name")) == "value"]
        single = {str(s["name"]): plausible_value(s, email) for s in wanted}
    elif kind == "boolean":
        single = True
    elif kind == "integer":
        single = 1
    elif kind == "decimal":
        single = 1.5
    elif kind == "datetime":
        single = "2024-01-01T00:00:00Z"
    elif kind == "binary":
        single = "dGVzdA=="
    elif kind == "reference":
        single = "https://example.com/test"
    elif "email" in name or name == "username":
        single = email
    else:
        single = _SAMPLES.get(name, "test")
    return [single] if attr.get("multiValued") is True else single


def _writable(attr: dict[str, Any]) -> bool:
    return attr.get("mutability", "readWrite") not in ("readOnly",) and str(attr.get("name", "")).lower() != "id"


def _attrs(discovery: Discovery, urn: str) -> list[dict[str, Any]] | None:
    schema = discovery.schema(urn)
    attrs = schema.get("attributes") if schema else None
    return [a for a in attrs if isinstance(a, dict) and isinstance(a.get("name"), str)] if isinstance(attrs, list) else None


def _require(body: dict[str, Any], attrs: list[dict[str, Any]] | None, email: str, omitted: set[str]) -> None:
    """Add what the schema requires and is missing (also required sub-attributes of values
    present), except what a check deliberately left out."""
    for attr in attrs or []:
        if not _writable(attr):
            continue
        name = str(attr["name"])
        present = next((k for k in body if k.lower() == name.lower()), None)
        if present is None:
            if attr.get("required") is True and name.lower() not in omitted:
                body[name] = plausible_value(attr, email)
            continue
        subs = [s for s in attr.get("subAttributes") or [] if isinstance(s, dict) and _writable(s)]
        values = body[present] if isinstance(body[present], list) else [body[present]]
        for value in values:
            if isinstance(value, dict):
                for sub in subs:
                    if sub.get("required") is True and not any(k.lower() == str(sub["name"]).lower() for k in value):
                        value[str(sub["name"])] = plausible_value(sub, email)


def _extensions(body: dict[str, Any], discovery: Discovery, resource: str, email: str) -> None:
    for ext in discovery.extensions(resource):
        if ext.get("required") is not True:
            continue
        urn = ext["schema"]
        part = {str(a["name"]): plausible_value(a, email) for a in _attrs(discovery, urn) or []
                if a.get("required") is True and _writable(a)}
        body["schemas"].append(urn)
        body[urn] = part


def _apply(body: dict[str, Any], overrides: dict[str, Any]) -> set[str]:
    """Apply a check's overrides; returns the (lower-case) names it left out."""
    for key, value in overrides.items():
        if value is OMIT:
            body.pop(key, None)
            if key.startswith("urn:"):  # an extension left out is not listed in schemas either
                body["schemas"] = [s for s in body["schemas"] if s.lower() != key.lower()]
        else:
            body[key] = value
    return {k.lower() for k, v in overrides.items() if v is OMIT}


def user_body(discovery: Discovery, user_name: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """A User the target's own schema accepts (see the module docstring), with overrides."""
    email = user_name if "@" in user_name else f"{user_name}@example.com"
    body: dict[str, Any] = {
        "schemas": [CORE_USER],
        "userName": user_name,
        "name": {"givenName": "Test", "familyName": "User"},
        "displayName": "Test User",
        "emails": [{"value": email, "type": "work", "primary": True}],
        "active": True,
    }
    attrs = _attrs(discovery, CORE_USER)
    email_type = (discovery.attribute(CORE_USER, "emails.type") or {}).get("canonicalValues")
    if isinstance(email_type, list) and email_type and "work" not in email_type and isinstance(body.get("emails"), list):
        for item in body["emails"]:
            item["type"] = email_type[0]
    _extensions(body, discovery, "User", email)
    _require(body, attrs, email, _apply(body, overrides or {}))
    return body


def group_body(discovery: Discovery, display_name: str, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    """A Group the target's own schema accepts, with overrides."""
    body: dict[str, Any] = {"schemas": [CORE_GROUP], "displayName": display_name}
    attrs = _attrs(discovery, CORE_GROUP)
    _extensions(body, discovery, "Group", "test@example.com")
    _require(body, attrs, "test@example.com", _apply(body, overrides or {}))
    return body


#: Never chosen as "some writable string": identity and uniqueness have checks of their own.
_NOT_FREE = {"id", "username", "password"}


def writable_strings(discovery: Discovery, urn: str, prefer: tuple[str, ...] = ()) -> list[str]:
    """Top-level attributes of schema ``urn`` a check may freely write and read back: single-valued
    strings, readWrite, returned by default, not required, not unique, with no canonicalValues
    (any string is a valid value), as the target's /Schemas declares them. The names in ``prefer``
    come first (in that order, if declared), then the others in schema order.

    A check that exercises "some writable string attribute" uses these, so it never judges an
    attribute the target does not declare (RFC 7644 §3.3 lets it ignore those). Without a schema
    for ``urn`` there is nothing to go by: ``prefer`` as given, and what comes back is judged.

    Example: ``writable_strings(d, CORE_USER, ("title", "nickName"))`` -> ``["title", "nickName",
    "displayName", ...]`` on a full core schema, ``["externalId"]`` on one that declares only
    userName, name, emails, active and externalId.
    """
    attrs = _attrs(discovery, urn)
    if attrs is None:
        return list(prefer)
    free = []
    for attr in attrs:
        full = {**ATTRIBUTE_DEFAULTS, **attr}
        if (str(full["type"]).lower() == "string" and full["multiValued"] is False and full["required"] is False
                and full["mutability"] == "readWrite" and full["returned"] in ("default", "always")
                and full["uniqueness"] == "none" and not full.get("canonicalValues")
                and str(full["name"]).lower() not in _NOT_FREE):
            free.append(str(full["name"]))
    lowered = {name.lower(): name for name in free}
    first = [lowered[p.lower()] for p in prefer if p.lower() in lowered]
    return first + [name for name in free if name not in first]


def declares(discovery: Discovery, urn: str, path: str) -> bool:
    """Whether /Schemas declares ``path`` (``name`` or ``name.sub``) in ``urn``; True when the
    target publishes no schema for ``urn`` (nothing says it lacks the attribute)."""
    return discovery.schema(urn) is None or discovery.attribute(urn, path) is not None


class FixtureGate:
    """Shared by every check of a run: the first refusal of the plain fixture, per kind."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.refused: dict[str, Exchange] = {}  # "user" | "group" -> the refusing exchange

    def refusal(self, kind: str) -> Exchange | None:
        return self.refused.get(kind)

    def saw(self, kind: str, ex: Exchange) -> None:
        """Record ``ex`` (the POST of a plain fixture) if it is a refusal that will not change."""
        if ex.status is not None and 400 <= ex.status < 500 and ex.status not in (401, 403, 408, 429):
            with self._lock:
                self.refused.setdefault(kind, ex)
