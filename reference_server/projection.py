"""Attribute projection: ``attributes`` and ``excludedAttributes`` (RFC 7644 §3.4.2.5, §3.9;
RFC 7643 §7 ``returned``).

Rules:

* ``returned: always`` (``id``, ``schemas``) is always kept, ``never`` (``password``) never shown,
  ``request`` only when named in ``attributes``, ``default`` unless excluded or not named when
  ``attributes`` is given.
* ``meta`` is ``returned: default`` (our decision: RFC 7643 §3.1 gives it no ``returned`` value and
  §7 only requires ``id`` to be always returned), so ``attributes=userName`` yields ``schemas``,
  ``id`` and ``userName``.
* Names are case-insensitive and may be URN-qualified; ``name.givenName`` keeps only that
  sub-attribute of ``name`` (plus sub-attributes marked ``always``); naming an extension URN alone
  keeps the whole extension object.
* Giving both parameters is invalidSyntax (our documented choice; RFC 7644 §3.4.2.5 says the two
  are mutually exclusive without saying how to answer).  Unknown names are ignored.
* Unassigned values (``null``, ``[]``, ``{}``) are omitted (RFC 7643 §2.5).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from reference_server.errors import InvalidPath, InvalidSyntax
from reference_server.schema import Attribute, ResourceModel, Schema

_Key = tuple[str, str | None, str | None]  # (schema urn lower, attr lower | None, sub lower | None)


def split_names(names: str | Iterable[str] | None) -> list[str]:
    """``"a, b"`` or ``["a", "b,c"]`` -> ``["a", "b", "c"]`` (empty parts dropped)."""
    if names is None:
        return []
    if isinstance(names, str):
        names = [names]
    return [p.strip() for n in names for p in str(n).split(",") if p.strip()]


def _keys(model: ResourceModel, names: list[str]) -> set[_Key]:
    out: set[_Key] = set()
    for name in names:
        schema = model.schema(name)
        if schema is not None:
            out.add((schema.id.lower(), None, None))
            continue
        try:
            r = model.resolve(name, InvalidPath)
        except InvalidPath:
            continue  # unknown names are ignored
        out.add((r.urn.lower(), r.attribute.name.lower(), r.sub_attribute.name.lower() if r.sub_attribute else None))
    return out


def _assigned(v: Any) -> bool:
    return v is not None and v != [] and v != {}


def project(model: ResourceModel, resource: dict[str, Any], attributes: str | Iterable[str] | None = None,
            excluded: str | Iterable[str] | None = None) -> dict[str, Any]:
    """Return the representation of ``resource`` to send (a new dict; the input is not changed)."""
    wanted, unwanted = split_names(attributes), split_names(excluded)
    if wanted and unwanted:
        raise InvalidSyntax("attributes and excludedAttributes cannot be used together (RFC 7644 §3.4.2.5)")
    include = _keys(model, wanted) if wanted else None
    exclude = _keys(model, unwanted)
    out: dict[str, Any] = {}
    for key, value in resource.items():
        if key == "schemas":
            out[key] = value
            continue
        ext = model.extension(key)
        if ext is not None:
            if isinstance(value, dict):
                part = _project_object(ext, value, ext.id.lower(), include, exclude, model)
                if part:
                    out[key] = part
            continue
        attr = model.common(key) or model.core.attr(key)
        if attr is None:
            continue
        kept = _project_attr(attr, value, model.core.id.lower(), include, exclude)
        if kept is not None:
            out[key] = kept
    return out


def _project_object(schema: Schema, obj: dict[str, Any], urn: str, include: set[_Key] | None, exclude: set[_Key],
                    model: ResourceModel) -> dict[str, Any]:
    whole = (urn, None, None)
    if whole in exclude:
        return {}
    inc = None if include is None or whole in include else include
    out = {}
    for key, value in obj.items():
        attr = schema.attr(key)
        if attr is None:
            continue
        kept = _project_attr(attr, value, urn, inc, exclude)
        if kept is not None:
            out[key] = kept
    return out


def _project_attr(attr: Attribute, value: Any, urn: str, include: set[_Key] | None, exclude: set[_Key]) -> Any:
    """The value to emit for ``attr`` or None to leave it out."""
    if not _assigned(value) or attr.returned == "never":
        return None
    name = attr.name.lower()
    if attr.returned == "always":
        return value
    if include is not None:
        if (urn, name, None) in include:
            return _drop_never_subs(attr, value)
        subs = {s for (u, a, s) in include if u == urn and a == name and s}
        if not subs:
            return None
        return _filter_subs(attr, value, lambda s: s.returned == "always" or s.name.lower() in subs)
    if attr.returned == "request" or (urn, name, None) in exclude:
        return None
    gone = {s for (u, a, s) in exclude if u == urn and a == name and s}
    return _filter_subs(attr, value, lambda s: s.returned == "always" or
                        (s.name.lower() not in gone and s.returned in ("default", "always")))


def _drop_never_subs(attr: Attribute, value: Any) -> Any:
    return _filter_subs(attr, value, lambda s: s.returned != "never")


def _filter_subs(attr: Attribute, value: Any, keep: Callable[[Attribute], bool]) -> Any:
    if attr.type != "complex":
        return value

    def one(v: Any) -> Any:
        if not isinstance(v, dict):
            return v
        res = {}
        for k, x in v.items():
            s = attr.sub(k)
            if s is not None and keep(s) and _assigned(x):
                res[k] = x
        return res or None

    if isinstance(value, list):
        items = [r for v in value if (r := one(v)) is not None]
        return items or None
    return one(value)
