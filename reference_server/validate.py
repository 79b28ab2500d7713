"""Input validation for POST and PUT (RFC 7643 §2, §3, §7; RFC 7644 §3.3, §3.5.1).

``prepare_create`` / ``prepare_replace`` turn a client body into the canonical stored form:

* names matched without regard to case and rewritten in the schema's spelling (RFC 7643 §2.1);
  dotted keys (``"name.givenName"``) and URN-qualified keys are accepted in objects;
* extension data under its URN key; ``schemas`` recomputed from data presence (RFC 7643 §3.3);
* types checked (string, boolean, integer, decimal, dateTime, reference, binary, complex,
  multi-valued arrays) -> invalidValue; nested complex values -> invalidValue (RFC 7643 §2.3.8);
* ``null`` and ``[]`` mean unassigned (RFC 7643 §2.5); duplicate values are folded; more than one
  ``primary: true`` -> invalidValue (RFC 7643 §2.4);
* readOnly input (``id``, ``meta``, ``groups``) is ignored; an immutable value that is set cannot
  change (mutability); ``password`` (writeOnly) is stored only as a salted scrypt hash;
* required attributes -> invalidValue when missing; canonical values are enforced only where the
  model says so (``Attribute.enforce_canonical``); ``Attribute.default`` is applied when absent;
* unknown attributes and unknown extension URNs -> invalidValue; body not an object or without
  ``schemas`` -> invalidSyntax; ``schemas`` without the core URN -> invalidValue.

Leniency (``lenient=True``, the server default) is limited to named IdP behaviours:

* ``"True"``/``"False"`` strings (any case) for boolean attributes become booleans (Entra legacy);
* schema URIs in ``schemas`` that are not URNs, unknown, and carry no data are dropped (Entra
  sends ``http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group`` on group
  create, idp-behaviors "Groups" step 2).  An unknown ``urn:`` stays a 400 (rfc-checklist SCH-04).
"""

from __future__ import annotations

import base64
import binascii
import copy
import hashlib
import hmac
import os
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass, fields
from typing import Any, NamedTuple

from reference_server.errors import InvalidSyntax, InvalidValue, Mutability
from reference_server.filter_eval import parse_datetime
from reference_server.parser import get_ci, key_ci
from reference_server.schema import Attribute, ResourceModel, Resolved, Schema

@dataclass(frozen=True)
class Leniency:
    """Which named IdP leniencies are on.  ``lenient=True`` everywhere means ``Leniency()`` (all on),
    ``False`` means ``Leniency.none()``; pass an instance to switch single behaviours (quirks)."""

    string_booleans: bool = True  # "True"/"False" for booleans (Entra legacy)
    unknown_schema_urns: bool = True  # unknown data-less URNs in `schemas` dropped (Entra groups)
    op_case: bool = True  # PATCH "Add"/"Replace"/"Remove" (Entra legacy)
    listed_value_remove: bool = True  # PATCH remove path=members value=[...] removes only those
    one_element_list: bool = True  # PATCH [{"value": id}] for single-valued complex (Entra manager)
    json_string_values: bool = True  # PATCH value "[...]" JSON text for multi-valued (Entra roles)

    @classmethod
    def none(cls) -> Leniency:
        return cls(**{f.name: False for f in fields(cls)})

    @classmethod
    def of(cls, lenient: bool | Leniency) -> Leniency:
        if isinstance(lenient, Leniency):
            return lenient
        return cls() if lenient else cls.none()


# scrypt cost: modest so a 500-user simulation stays fast; the reference server is a test tool.
_SCRYPT_N, _SCRYPT_R, _SCRYPT_P = 2**11, 8, 1


def normalize_for_uniqueness(value: str) -> str:
    """The key under which userName (and other caseExact=false unique values) is compared:
    Unicode NFC (PRECIS, RFC 8264/8265) then casefold."""
    return unicodedata.normalize("NFC", value).casefold()


def hash_password(clear: str) -> str:
    """``scrypt$N$r$p$salt$hash`` (base64) of ``clear`` with a random salt."""
    salt = os.urandom(16)
    digest = hashlib.scrypt(clear.encode("utf-8"), salt=salt, n=_SCRYPT_N, r=_SCRYPT_R, p=_SCRYPT_P, dklen=32)
    return f"scrypt${_SCRYPT_N}${_SCRYPT_R}${_SCRYPT_P}${_b64(salt)}${_b64(digest)}"


def _b64(b: bytes) -> str:
    return base64.b64encode(b).decode("ascii")


def verify_password(stored: str, clear: str) -> bool:
    """Constant-time check of ``clear`` against a ``hash_password`` value."""
    try:
        kind, n, r, p, salt, digest = stored.split("$")
        if kind != "scrypt":
            return False
        got = hashlib.scrypt(clear.encode("utf-8"), salt=base64.b64decode(salt), n=int(n), r=int(r), p=int(p),
                             dklen=32)
    except (ValueError, binascii.Error):
        return False
    return hmac.compare_digest(got, base64.b64decode(digest))


# --- single values ----------------------------------------------------------------------------------


def _bad(path: str, why: str) -> InvalidValue:
    return InvalidValue(f"{path}: {why}")


def coerce_scalar(attr: Attribute, value: Any, *, lenient: bool | Leniency, path: str) -> Any:
    """Check one simple value against ``attr.type`` (RFC 7643 §2.3); return the stored form."""
    t = attr.type
    if isinstance(value, (dict, list)):
        raise _bad(path, f"expected a single {t} value, got {type(value).__name__}")
    if t == "boolean":
        if isinstance(value, bool):
            return value
        if Leniency.of(lenient).string_booleans and isinstance(value, str) \
                and value.strip().lower() in ("true", "false"):
            return value.strip().lower() == "true"
        raise _bad(path, f"expected a boolean, got {value!r}"[:200])
    if t == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value
        raise _bad(path, f"expected an integer, got {value!r}"[:200])
    if t == "decimal":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value
        raise _bad(path, f"expected a decimal number, got {value!r}"[:200])
    if not isinstance(value, str):
        raise _bad(path, f"expected a {t} string, got {value!r}"[:200])
    if t == "dateTime" and parse_datetime(value) is None:
        raise _bad(path, f"{value!r} is not an xsd:dateTime"[:200])
    if t == "binary":
        try:
            base64.b64decode(value, validate=True)
        except (binascii.Error, ValueError):
            raise _bad(path, "binary values must be base64") from None
    if attr.enforce_canonical and attr.canonical_values and value not in attr.canonical_values:
        raise _bad(path, f"{value!r} is not one of {', '.join(attr.canonical_values)}"[:300])
    return value


def _coerce_complex(attr: Attribute, value: Any, *, lenient: bool | Leniency, path: str,
                    input_mode: bool) -> dict[str, Any] | None:
    if not isinstance(value, dict):
        raise _bad(path, f"expected an object for complex attribute {attr.name}")
    out: dict[str, Any] = {}
    for key, sub_value in value.items():
        sub = attr.sub(key) if isinstance(key, str) else None
        if sub is None:
            raise _bad(path, f"unknown sub-attribute {str(key)[:100]!r}")
        if input_mode and sub.mutability == "readOnly":
            continue  # RFC 7644 §3.5.1: readOnly input is ignored
        if sub_value is None or sub_value == []:
            continue
        if isinstance(sub_value, dict):
            raise _bad(f"{path}.{sub.name}", "complex attributes cannot nest (RFC 7643 §2.3.8)")
        if sub.multi_valued:
            if not isinstance(sub_value, list):
                raise _bad(f"{path}.{sub.name}", "expected an array")
            out[sub.name] = [coerce_scalar(sub, v, lenient=lenient, path=f"{path}.{sub.name}") for v in sub_value]
        else:
            out[sub.name] = coerce_scalar(sub, sub_value, lenient=lenient, path=f"{path}.{sub.name}")
    return out or None


def coerce_single(attr: Attribute, value: Any, *, lenient: bool | Leniency, path: str, input_mode: bool = True) -> Any:
    """One value of ``attr`` (an element, for multi-valued attributes) in stored form, or None."""
    if value is None:
        return None
    if attr.type == "complex":
        return _coerce_complex(attr, value, lenient=lenient, path=path, input_mode=input_mode)
    return coerce_scalar(attr, value, lenient=lenient, path=path)


def _dedup_key(attr: Attribute, v: Any) -> Any:
    def norm(sub: Attribute | None, x: Any) -> Any:
        return x.casefold() if isinstance(x, str) and sub is not None and not sub.case_exact else x
    if attr.type != "complex":
        return norm(attr, v)
    if not isinstance(v, dict) or "value" not in v:
        return id(v)  # values without a "value" (addresses) are never folded
    return norm(attr.sub("type"), v.get("type")), norm(attr.sub("value"), v.get("value"))


def normalize_multi(attr: Attribute, values: list[Any], path: str) -> list[Any]:
    """Fold duplicate values (same type and value) and enforce at most one primary (RFC 7643 §2.4)."""
    out, seen = [], set()
    for v in values:
        k = _dedup_key(attr, v)
        if k in seen:
            continue
        seen.add(k)
        out.append(v)
    if sum(1 for v in out if isinstance(v, dict) and v.get("primary") is True) > 1:
        raise _bad(path, "more than one value has primary=true")
    return out


def coerce_value(attr: Attribute, value: Any, *, lenient: bool | Leniency, path: str, input_mode: bool = True) -> Any:
    """A whole attribute value in stored form; None means unassigned."""
    if value is None:
        return None
    if attr.multi_valued:
        if not isinstance(value, list):
            raise _bad(path, "expected an array for a multi-valued attribute")
        items = [c for v in value if (c := coerce_single(attr, v, lenient=lenient, path=path,
                                                          input_mode=input_mode)) is not None]
        return normalize_multi(attr, items, path) or None
    if isinstance(value, list):
        raise _bad(path, "expected a single value, got an array")
    return coerce_single(attr, value, lenient=lenient, path=path, input_mode=input_mode)


# --- walking an input object ------------------------------------------------------------------------


class Assignment(NamedTuple):
    """One attribute (or sub-attribute) value named in an input object."""

    target: Resolved
    value: Any
    key: str  # as the client wrote it, for error messages


def iter_assignments(model: ResourceModel, obj: dict[str, Any], *,
                     lenient: bool | Leniency) -> Iterator[Assignment]:
    """Split an input object into assignments.  Keys: ``attr``, ``attr.sub``, ``urn:...:attr[.sub]``
    and ``<extension urn>: {...}`` (whose keys may again be ``attr`` or ``attr.sub``).  Unknown names
    raise invalidValue; unknown URNs too (``schemas`` is not an assignment)."""
    for key, value in obj.items():
        if not isinstance(key, str):
            raise InvalidValue("attribute names must be strings")
        if key.lower() == "schemas":
            continue
        ext = model.extension(key)
        if ext is not None:
            if value is None:
                continue
            if not isinstance(value, dict):
                raise _bad(key, "extension data must be an object (RFC 7643 §3.3)")
            for sub_key, sub_value in value.items():
                yield Assignment(_resolve_in_schema(model, ext, str(sub_key)), sub_value, f"{key}:{sub_key}")
            continue
        schema, rest = model.split_urn(key)
        if schema is None and key.lower().startswith("urn:"):
            raise _bad(key[:200], "unknown schema URN")
        yield Assignment(_resolve_in_schema(model, schema or model.core, rest), value, key)


def _resolve_in_schema(model: ResourceModel, schema: Schema, name: str) -> Resolved:
    try:
        r = model.resolve(f"{schema.id}:{name}", InvalidValue)
    except InvalidValue:
        raise InvalidValue(f"unknown attribute {name[:200]!r} in {schema.id}") from None
    return r


def container_of(resource: dict[str, Any], target: Resolved, *, create: bool) -> dict[str, Any] | None:
    """The dict that holds ``target``'s attribute: the resource, or its extension object."""
    if not target.extension:
        return resource
    k = key_ci(resource, target.urn)
    if k is None:
        if not create:
            return None
        resource[target.urn] = {}
        k = target.urn
    elif k != target.urn:
        resource[target.urn] = resource.pop(k)
        k = target.urn
    if not isinstance(resource[k], dict):
        resource[k] = {}
    container: dict[str, Any] = resource[k]
    return container


def set_schemas(model: ResourceModel, resource: dict[str, Any]) -> None:
    """``schemas`` = core URN + each extension that holds data; empty extension objects removed."""
    urns = [model.core.id]
    for ext in model.extensions:
        k = key_ci(resource, ext.id)
        if k is None:
            continue
        if resource[k]:
            urns.append(ext.id)
        else:
            del resource[k]
    rest = {k: v for k, v in resource.items() if k != "schemas"}
    resource.clear()
    resource["schemas"] = urns  # first, for readable output
    resource.update(rest)


# --- create / replace -------------------------------------------------------------------------------


def _check_schemas(model: ResourceModel, body: dict[str, Any], lenient: bool | Leniency) -> None:
    schemas = get_ci(body, "schemas")
    if schemas is None:
        raise InvalidSyntax("the request body has no 'schemas' (RFC 7643 §3)")
    if not isinstance(schemas, list) or not all(isinstance(s, str) for s in schemas):
        raise InvalidSyntax("'schemas' must be an array of strings")
    if not any(s.lower() == model.core.id.lower() for s in schemas):
        raise InvalidValue(f"'schemas' must contain {model.core.id}")
    for s in schemas:
        if model.schema(s) is None:
            if Leniency.of(lenient).unknown_schema_urns and not s.lower().startswith("urn:") \
                    and key_ci(body, s) is None:
                continue  # named leniency: Entra's data-less http://schemas.microsoft.com/... URI
            raise InvalidValue(f"unknown schema {s[:200]!r} in 'schemas'")


def _build(model: ResourceModel, body: Any, lenient: bool | Leniency) -> dict[str, Any]:
    if not isinstance(body, dict):
        raise InvalidSyntax("the request body must be a JSON object")
    _check_schemas(model, body, lenient)
    out: dict[str, Any] = {}
    for a in iter_assignments(model, body, lenient=lenient):
        attr, sub = a.target.attribute, a.target.sub_attribute
        if attr.mutability == "readOnly" or (sub is not None and sub.mutability == "readOnly"):
            continue
        holder = container_of(out, a.target, create=True)
        assert holder is not None
        if sub is None:
            v = coerce_value(attr, a.value, lenient=lenient, path=a.key)
            if v is None:
                holder.pop(attr.name, None)
            elif attr.type == "complex" and not attr.multi_valued and isinstance(holder.get(attr.name), dict):
                holder[attr.name].update(v)  # "name" and "name.givenName" in one body merge
            else:
                holder[attr.name] = v
        else:
            if attr.multi_valued:
                raise _bad(a.key, "a multi-valued attribute's sub-attribute cannot be set directly")
            v = coerce_value(sub, a.value, lenient=lenient, path=a.key)
            parent = holder.setdefault(attr.name, {})
            if v is None:
                parent.pop(sub.name, None)
                if not parent:
                    del holder[attr.name]
            else:
                parent[sub.name] = v
    if "password" in out and isinstance(out["password"], str):
        out["password"] = hash_password(out["password"])
    if isinstance(out.get("userName"), str):
        out["userName"] = unicodedata.normalize("NFC", out["userName"])
    return out


def apply_defaults(model: ResourceModel, resource: dict[str, Any]) -> None:
    """Set ``Attribute.default`` values for attributes that have no value."""
    for schema in model.schemas:
        for attr in schema.attributes:
            if attr.default is None:
                continue
            target = Resolved(schema.id, attr, None, schema is not model.core)
            holder = container_of(resource, target, create=True)
            assert holder is not None
            if holder.get(attr.name) in (None, [], ""):
                holder[attr.name] = copy.deepcopy(attr.default)


def check_required(model: ResourceModel, resource: dict[str, Any]) -> None:
    """Raise invalidValue for a missing required attribute, sub-attribute or extension."""
    def missing(v: Any) -> bool:
        return v is None or v == "" or v == [] or v == {}
    for urn in model.required_extensions():
        if missing(get_ci(resource, urn)):
            raise InvalidValue(f"the required extension {urn} is missing")
    for schema in model.schemas:
        holder = resource if schema is model.core else get_ci(resource, schema.id)
        if schema is not model.core and holder is None:
            continue
        for attr in schema.attributes:
            value = get_ci(holder, attr.name)
            if attr.required and attr.mutability != "readOnly" and missing(value):
                raise InvalidValue(f"required attribute {attr.name!r} is missing")
            for sub in attr.sub_attributes if attr.type == "complex" else ():
                if not sub.required or sub.mutability == "readOnly":
                    continue
                items = value if isinstance(value, list) else ([value] if isinstance(value, dict) else [])
                if any(missing(get_ci(item, sub.name)) for item in items):
                    raise InvalidValue(f"required sub-attribute {attr.name}.{sub.name} is missing")


def prepare_create(model: ResourceModel, body: Any, *, lenient: bool | Leniency = True) -> dict[str, Any]:
    """POST body -> stored representation without ``id``/``meta`` (the store adds them)."""
    out = _build(model, body, lenient)
    apply_defaults(model, out)
    check_required(model, out)
    set_schemas(model, out)
    return out


def _immutables(model: ResourceModel) -> Iterator[tuple[Schema, Attribute]]:
    for schema in model.schemas:
        for attr in schema.attributes:
            if attr.mutability == "immutable":
                yield schema, attr


def prepare_replace(model: ResourceModel, existing: dict[str, Any], body: Any, *,
                    lenient: bool | Leniency = True) -> dict[str, Any]:
    """PUT body -> new stored representation (RFC 7644 §3.5.1).  readOnly values (id, meta, groups)
    come from ``existing``; omitted readWrite attributes are cleared (our documented PUT-05 choice)
    but an omitted password is kept (clients cannot read it back); a set immutable attribute must
    keep its value (mutability); defaults (``Attribute.default``) apply again."""
    out = _build(model, body, lenient)
    for schema, attr in _immutables(model):
        target = Resolved(schema.id, attr, None, schema is not model.core)
        old_holder = container_of(copy.deepcopy(existing), target, create=False)
        old = get_ci(old_holder, attr.name) if old_holder is not None else None
        if old in (None, []):
            continue
        new_holder = container_of(out, target, create=True)
        assert new_holder is not None
        if attr.name not in new_holder:
            new_holder[attr.name] = copy.deepcopy(old)
        elif new_holder[attr.name] != old:
            raise Mutability(f"{attr.name!r} is immutable and already set")
    for attr in model.core.attributes:
        if attr.mutability == "readOnly" and (k := key_ci(existing, attr.name)) is not None:
            out[attr.name] = copy.deepcopy(existing[k])
    for name in ("id", "meta"):
        if (k := key_ci(existing, name)) is not None:
            out[name] = copy.deepcopy(existing[k])
    if "password" not in out and (k := key_ci(existing, "password")) is not None:
        out["password"] = existing[k]
    apply_defaults(model, out)
    check_required(model, out)
    set_schemas(model, out)
    return out


__all__ = ["normalize_for_uniqueness", "hash_password", "verify_password", "prepare_create",
           "prepare_replace", "coerce_value", "coerce_single", "coerce_scalar", "iter_assignments",
           "container_of", "set_schemas", "check_required", "apply_defaults", "normalize_multi",
           "Assignment", "Leniency"]
