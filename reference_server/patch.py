"""PATCH (RFC 7644 §3.5.2): apply a PatchOp body to a stored resource.

``apply_patch(model, resource, body, lenient=True) -> (new_resource, changed)``.  Operations apply
in order to a copy, so a failing operation changes nothing (atomic, §3.5.2).  Paths: ``attr``,
``attr.sub``, ``attr[filter]``, ``attr[filter].sub``, URN-qualified forms, a bare extension URN,
and no path (``value`` is an object whose keys may be nested, dotted or URN-qualified).  A bare
name that only an extension defines (Entra's ``manager``) resolves to that extension.

RFC rules: add appends to multi-valued attributes (an identical value is a no-op), sets
single-valued ones and merges complex ones; replace sets (a multi-valued attribute without filter
gets the new list; a complex one merges the given sub-attributes; a value path matching nothing is
noTarget); remove without path is noTarget, of a required or readOnly attribute is mutability, and
with a value path removes the matching values only.  readOnly targets and set immutable values
(Group ``members`` sub-attributes) are mutability; wrong types invalidValue; ``primary: true`` on one
value clears it on the others.  ``add`` with ``emails[type eq "work"].value`` matching nothing
creates ``{"type": "work", "value": ...}`` (RFC §3.5.2.1: a target that does not exist is added).

Leniencies (``lenient=True``, or a ``validate.Leniency`` to pick single ones), each an IdP behaviour
from idp-behaviors.md:

* op names in any case (Entra legacy ``Add``/``Replace``/``Remove``);
* ``"True"``/``"False"`` strings for booleans (Entra legacy deactivation);
* ``remove`` on a multi-valued path *with* a ``value`` list removes only the listed values (Entra
  legacy and JumpCloud member removal; read literally it would empty the group);
* a one-element list for a single-valued complex attribute (Entra ``manager``);
* a JSON string holding an array or object as the value of a multi-valued attribute, and an
  item whose ``value`` is the JSON text of ``{"value": ..., "displayName": ...}`` (Entra's legacy
  roles PATCH, E6: ``[{"value": "{\"id\":...,\"value\":\"Admin\",\"displayName\":\"Admin\"}"}]``).
"""

from __future__ import annotations

import copy
import json
from typing import Any

from reference_server.errors import InvalidPath, InvalidSyntax, InvalidValue, Mutability, NoTarget
from reference_server.filter_eval import equalities, value_matches
from reference_server.parser import PatchPath, key_ci, parse_patch_path
from reference_server.schema import Attribute, ResourceModel, Resolved
from reference_server.validate import (
    Leniency, check_required, coerce_single, coerce_value, container_of, hash_password, iter_assignments,
    normalize_multi, set_schemas,
)

PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
OPS = ("add", "remove", "replace")
MAX_OPERATIONS = 1_000
_MISSING = object()


def apply_patch(model: ResourceModel, resource: dict[str, Any], body: Any, *,
                lenient: bool | Leniency = True) -> tuple[dict[str, Any], bool]:
    """Apply ``body`` to ``resource``; return ``(new_resource, changed)``.  ``resource`` is untouched."""
    if not isinstance(body, dict):
        raise InvalidSyntax("the PATCH body must be a JSON object")
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or not any(isinstance(s, str) and s.lower() == PATCH_URN.lower() for s in schemas):
        raise InvalidSyntax(f"the PATCH body must have schemas [{PATCH_URN}]")
    ops = body.get("Operations")
    if not isinstance(ops, list) or not ops:
        raise InvalidSyntax("'Operations' must be a non-empty array")
    if len(ops) > MAX_OPERATIONS:
        raise InvalidSyntax(f"at most {MAX_OPERATIONS} operations per request")
    work = copy.deepcopy(resource)
    for n, op in enumerate(ops, 1):
        _Op(model, work, op, n, lenient).run()
    set_schemas(model, work)
    check_required(model, work)
    return work, _strip(work) != _strip(resource)


def _strip(resource: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in resource.items() if k != "schemas"} | {"schemas": sorted(resource.get("schemas") or [])}


class _Op:
    def __init__(self, model: ResourceModel, work: dict[str, Any], op: Any, n: int,
                 lenient: bool | Leniency) -> None:
        if not isinstance(op, dict):
            raise InvalidSyntax(f"operation {n} must be an object")
        name = op.get("op")
        self.leniency = Leniency.of(lenient)
        if not isinstance(name, str) or (name.lower() if self.leniency.op_case else name) not in OPS:
            raise InvalidSyntax(f"operation {n}: op must be add, remove or replace, not {str(name)[:40]!r}")
        self.model, self.work, self.n, self.lenient = model, work, n, lenient
        self.name = name.lower()
        self.path = op.get("path")
        self.has_value = "value" in op
        self.value = op.get("value")
        if self.path is not None and not isinstance(self.path, str):
            raise InvalidPath(f"operation {n}: path must be a string")

    def fail(self, cls: type[Exception], why: str) -> Exception:
        return cls(f"operation {self.n} ({self.name}): {why}")

    # --- dispatch ---------------------------------------------------------------------------------
    def run(self) -> None:
        if self.name != "remove" and not self.has_value:
            raise self.fail(InvalidSyntax, "'value' is required")
        if self.path is None or self.path == "":
            if self.name == "remove":
                raise self.fail(NoTarget, "remove needs a path (RFC 7644 §3.5.2.2)")
            return self.pathless(self.value)
        if self.model.extension(self.path.strip()) is not None:
            return self.whole_extension(self.path.strip())
        pp = parse_patch_path(self.path)
        if pp.urn_only is not None:
            return self.whole_extension(pp.urn_only)
        assert pp.attr is not None
        r = self.model.resolve(pp.attr.text, InvalidPath)
        if pp.filter is not None:
            return self.value_path(r, pp)
        self.check_writable(r)
        if r.sub_attribute is not None:
            return self.sub_path(r)
        return self.attr_path(r, self.value)

    def pathless(self, value: Any) -> None:
        if not isinstance(value, dict):
            raise self.fail(InvalidValue, "without a path, 'value' must be an object of attributes")
        for a in iter_assignments(self.model, value, lenient=self.lenient):
            r = a.target
            if "readOnly" in (r.attribute.mutability, getattr(r.sub_attribute, "mutability", None)):
                if self.current(r) == a.value:
                    continue  # echoing an unchanged readOnly value (e.g. "id") is harmless
                raise self.fail(Mutability, f"{a.key!r} is readOnly")
            self.check_writable(r)
            if r.sub_attribute is not None:
                self.sub_path(r, a.value)
            else:
                self.attr_path(r, a.value)

    def whole_extension(self, urn: str) -> None:
        ext = self.model.extension(urn)
        if ext is None:
            raise self.fail(InvalidPath, f"unknown schema {urn[:200]!r}")
        if self.name == "remove":
            if ext.id in self.model.required_extensions():
                raise self.fail(Mutability, f"the extension {ext.id} is required")
            k = key_ci(self.work, ext.id)
            if k is not None:
                del self.work[k]
            return
        self.pathless({ext.id: self.value})

    # --- helpers ----------------------------------------------------------------------------------
    def holder(self, r: Resolved, create: bool) -> dict[str, Any] | None:
        return container_of(self.work, r, create=create)

    def current(self, r: Resolved) -> Any:
        holder = self.holder(r, create=False)
        if holder is None:
            return None
        k = key_ci(holder, r.attribute.name)
        value = holder.get(k) if k else None
        if r.sub_attribute is not None and isinstance(value, dict):
            return value.get(key_ci(value, r.sub_attribute.name) or "")
        return value

    def put(self, r: Resolved, value: Any) -> None:
        holder = self.holder(r, create=value is not None)
        if holder is None:
            return
        k = key_ci(holder, r.attribute.name)
        schema = self.model.schema(r.urn)
        name = k if k is not None and schema is not None and schema.open_attribute is not None else r.attribute.name
        assigned = value is not None and value != [] and value != {}
        if k is not None and not (assigned and k == name):
            del holder[k]
        if assigned:
            holder[name] = value  # same key: keeps its position (open schemas keep the stored spelling)

    def check_writable(self, r: Resolved) -> None:
        for a in (r.attribute, r.sub_attribute):
            if a is None:
                continue
            if a.mutability == "readOnly":
                raise self.fail(Mutability, f"{a.name!r} is readOnly")
        target = r.sub_attribute or r.attribute
        if target.mutability == "immutable" and self.current(r) not in (None, [], {}):
            if not (self.name == "add" and r.attribute.multi_valued and r.sub_attribute is None):
                raise self.fail(Mutability, f"{target.name!r} is immutable and already set")
        if self.name == "remove" or (self.name == "replace" and self.value is None):
            listed = (self.leniency.listed_value_remove and r.sub_attribute is None and r.attribute.multi_valued
                      and self.value is not None)
            if target.required and not listed:
                raise self.fail(Mutability, f"{target.name!r} is required and cannot be removed")

    def coerce(self, attr: Attribute, value: Any) -> Any:
        """Coerce a whole value of ``attr``, with the named list/string leniencies."""
        if self.leniency.json_string_values and attr.multi_valued and isinstance(value, str) \
                and value.strip()[:1] in ("[", "{"):
            try:
                value = json.loads(value)  # Entra legacy roles: a JSON string holding the array
            except ValueError:
                pass
        if attr.multi_valued and value is not None and not isinstance(value, list):
            value = [value]
        if self.leniency.json_string_values and attr.multi_valued and attr.type == "complex" and isinstance(value, list):
            value = [_unpack_json_item(item) for item in value]
        if self.leniency.one_element_list and not attr.multi_valued and attr.type == "complex" \
                and isinstance(value, list) \
                and len(value) == 1:
            value = value[0]  # Entra manager: [{"value": id}]
        v = coerce_value(attr, value, lenient=self.lenient, path=f"operation {self.n}: {attr.name}")
        if attr.name == "password" and isinstance(v, str):
            v = hash_password(v)
        return v

    # --- attr / attr.sub --------------------------------------------------------------------------
    def attr_path(self, r: Resolved, value: Any) -> None:
        attr = r.attribute
        old = self.current(r)
        if self.name == "remove":
            if attr.multi_valued and self.value is not None and self.leniency.listed_value_remove:
                return self.remove_listed(r, old)
            return self.put(r, None)
        if value is None:
            if self.name == "replace":
                self.put(r, None)
            return
        new = self.coerce(attr, value)
        if attr.multi_valued:
            if self.name == "replace" or not isinstance(old, list):
                merged, written = list(new or []), list(new or [])
            else:
                merged, written = list(old), []
                for item in new or []:
                    same = [o for o in merged if _same(attr, item, o)]
                    if not same:
                        merged.append(item)
                        written.append(item)
                    for o in same:  # an existing value: merge the other sub-attributes (no-op if equal)
                        if isinstance(o, dict) and isinstance(item, dict):
                            o.update({k: v for k, v in item.items() if k not in o or k not in ("value", "type")})
                            written.append(o)
            _clear_other_primaries(merged, written)
            self.put(r, normalize_multi(attr, merged, attr.name) if merged else None)
        elif attr.type == "complex" and isinstance(old, dict) and isinstance(new, dict):
            self.put(r, {**old, **new})
        else:
            self.put(r, new)

    def remove_listed(self, r: Resolved, old: Any) -> None:
        listed = self.coerce(r.attribute, self.value) or []
        if isinstance(old, list):
            self.put(r, [o for o in old if not any(_same(r.attribute, item, o) for item in listed)] or None)

    def sub_path(self, r: Resolved, value: Any = _MISSING) -> None:
        attr, sub = r.attribute, r.sub_attribute
        assert sub is not None
        value = self.value if value is _MISSING else value
        new = None if self.name == "remove" or value is None else coerce_value(
            sub, value, lenient=self.lenient, path=f"operation {self.n}: {attr.name}.{sub.name}")
        holder = self.holder(r, create=new is not None)
        if holder is None:
            return
        k = key_ci(holder, attr.name)
        old = holder.get(k) if k else None
        if attr.multi_valued:  # emails.value without a filter: every value
            if not isinstance(old, list) or not old:
                if self.name == "remove":
                    return
                raise self.fail(NoTarget, f"{attr.name!r} has no values to set {sub.name!r} on")
            items = [self.set_sub(dict(o), sub, new) for o in old if isinstance(o, dict)]
            return self.put(r, [i for i in items if i] or None)
        obj = dict(old) if isinstance(old, dict) else {}
        self.put(r, self.set_sub(obj, sub, new) or None)

    def set_sub(self, obj: dict[str, Any], sub: Attribute, new: Any) -> dict[str, Any]:
        k = key_ci(obj, sub.name)
        if k is not None and not (new is not None and k == sub.name):
            del obj[k]
        if new is not None:
            obj[sub.name] = new
        return obj

    # --- attr[filter] and attr[filter].sub --------------------------------------------------------
    def value_path(self, r: Resolved, pp: PatchPath) -> None:
        attr = r.attribute
        if r.sub_attribute is not None or not attr.multi_valued or attr.type != "complex":
            raise self.fail(InvalidPath, f"a value filter needs a multi-valued complex attribute, not {attr.name!r}")
        if attr.mutability == "readOnly":
            raise self.fail(Mutability, f"{attr.name!r} is readOnly")
        sub = attr.sub(pp.sub) if pp.sub else None
        if pp.sub and sub is None:
            raise self.fail(InvalidPath, f"unknown sub-attribute {attr.name}.{pp.sub}")
        assert pp.filter is not None
        old = self.current(r)
        items = [dict(o) if isinstance(o, dict) else o for o in (old if isinstance(old, list) else [])]
        hits = [i for i, o in enumerate(items) if value_matches(pp.filter, o, self.model, attr)]
        if self.name == "remove":
            if sub is None:
                return self.put(r, [o for i, o in enumerate(items) if i not in hits] or None)
            if hits and (sub.required or sub.mutability in ("immutable", "readOnly")):
                raise self.fail(Mutability, f"{attr.name}.{sub.name} cannot be removed")
            for i in hits:
                self.set_sub(items[i], sub, None)
            return self.put(r, [o for o in items if o] or None)
        if sub is not None and sub.mutability == "readOnly":
            raise self.fail(Mutability, f"{attr.name}.{sub.name} is readOnly")
        if self.value is None:
            raise self.fail(InvalidValue, "'value' must not be null here")
        if sub is not None:
            new = coerce_value(sub, self.value, lenient=self.lenient,
                               path=f"operation {self.n}: {attr.name}.{sub.name}")
        else:
            value = self.value[0] if self.leniency.one_element_list and isinstance(self.value, list) \
                and len(self.value) == 1 else self.value
            new = coerce_single(attr, value, lenient=self.lenient, path=f"operation {self.n}: {attr.name}")
        if not hits:
            if self.name == "replace":
                raise self.fail(NoTarget, f"no value of {attr.name!r} matches the filter (RFC 7644 §3.5.2.3)")
            seed = equalities(pp.filter)
            if seed is None:
                raise self.fail(NoTarget, f"no value of {attr.name!r} matches, and the filter does not name one to add")
            created = coerce_single(attr, seed, lenient=self.lenient, path=f"operation {self.n}: {attr.name}") or {}
            created = self.set_sub(created, sub, new) if sub is not None else {**created, **(new or {})}
            items.append(created)
            written = [created]
        else:
            written = []
            for i in hits:
                if sub is not None:
                    if sub.mutability == "immutable" and items[i].get(sub.name) not in (None, new):
                        raise self.fail(Mutability, f"{attr.name}.{sub.name} is immutable")
                    items[i] = self.set_sub(items[i], sub, new)
                else:
                    replacement = {**items[i], **(new or {})} if self.name == "add" else dict(new or {})
                    if _changes_immutable(attr, items[i], replacement):
                        raise self.fail(Mutability, f"{attr.name} has immutable sub-attributes")
                    items[i] = replacement
                written.append(items[i])
        _clear_other_primaries(items, written)
        self.put(r, normalize_multi(attr, [o for o in items if o], attr.name) or None)


def _same(attr: Attribute, a: Any, b: Any) -> bool:
    """Same multi-valued entry: equal ``value`` (per caseExact) and equal ``type`` when both have one;
    simple values compare directly; complex values without ``value`` compare whole."""
    if attr.type != "complex" or not isinstance(a, dict) or not isinstance(b, dict):
        if isinstance(a, str) and isinstance(b, str) and not attr.case_exact:
            return a.casefold() == b.casefold()
        return bool(a == b)
    vsub, tsub = attr.sub("value"), attr.sub("type")
    if vsub is None or "value" not in a or "value" not in b:
        return a == b

    def eq(sub: Attribute | None, x: Any, y: Any) -> bool:
        if isinstance(x, str) and isinstance(y, str) and sub is not None and not sub.case_exact:
            return x.casefold() == y.casefold()
        return bool(x == y)
    if not eq(vsub, a.get("value"), b.get("value")):
        return False
    ta, tb = a.get("type"), b.get("type")
    return ta is None or tb is None or eq(tsub, ta, tb)


def _changes_immutable(attr: Attribute, old: dict[str, Any], new: dict[str, Any]) -> bool:
    """Would replacing ``old`` by ``new`` change or drop a set immutable sub-attribute?"""
    return any(s.mutability == "immutable" and old.get(s.name) is not None and new.get(s.name) != old[s.name]
               for s in attr.sub_attributes)


def _clear_other_primaries(items: list[Any], written: list[Any]) -> None:
    """RFC 7643 §2.4: primary=true on a written value turns it off on the others."""
    chosen = [w for w in written if isinstance(w, dict) and w.get("primary") is True]
    if not chosen:
        return
    keep = chosen[-1]
    for o in items:
        if isinstance(o, dict) and o is not keep and o.get("primary") is True:
            o["primary"] = False


def _unpack_json_item(item: Any) -> Any:
    """``{"value": "<JSON text of {value, displayName}>"}`` as the item it describes (Entra legacy roles)."""
    text = item.get("value") if isinstance(item, dict) else None
    if not isinstance(text, str) or not text.strip().startswith("{"):
        return item
    try:
        inner = json.loads(text)
    except ValueError:
        return item
    if not isinstance(inner, dict) or "value" not in inner:
        return item
    out = {k: v for k, v in item.items() if k != "value"}
    out["value"] = inner["value"]
    if inner.get("displayName") is not None:
        out.setdefault("display", inner["displayName"])
    return out
