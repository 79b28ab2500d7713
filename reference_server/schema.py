"""SCIM schemas, resource types and resource models (RFC 7643 §2, §3, §6, §7).

``Attribute`` and ``Schema`` mirror the RFC 7643 §7 schema representation; ``ResourceType`` the
§6 one.  A ``ResourceModel`` is one resource type with its core and extension schemas plus the
common attributes (``id``, ``externalId``, ``meta``, RFC 7643 §3.1, and ``schemas``), and knows how
to ``resolve`` an attribute path.

Data format (for app profiles)
------------------------------
Schemas are RFC 7643 §7 JSON (``{"id", "name", "description", "attributes": [...]}``) with three
optional keys of ours, prefixed ``x-`` so they never leak into ``/Schemas`` output:

* on an attribute, ``"x-enforceCanonicalValues": true`` - values outside ``canonicalValues`` are
  rejected (RFC 7643 §2.3.1 makes canonical values advisory, so by default they are not);
* on an attribute, ``"x-default": <value>`` - applied on create when the client sent nothing
  (LambdaTest ``OrganizationRole`` = ``"User"``, seed 004);
* on a schema, ``"x-openAttributes": {<attribute without name>}`` - an *open* extension: any
  attribute name is accepted and has this definition (seed 003's
  ``urn:ietf:params:scim:schemas:extension:2.0:Metadata:<key>`` string attributes).

A model spec (``model_from_data``) is::

    {"base": "User" | "Group",                       # built-in resource type to start from
     "extensions": [{"schema": <urn | file path | schema dict>, "required": false}, ...],
                                                     # absent: User gets enterprise, Group none
     "overrides": {"emails": {"required": true},      # path (plain or URN-qualified) -> changes
                   "name.givenName": {"required": true},
                   "userType": {"canonicalValues": ["Premium", "Standard"],
                                "enforceCanonicalValues": true},
                   "urn:...:LambdaTest:2.0:User:OrganizationRole": {"default": "User"}}}

Extension URNs of the built-in schemas (enterprise, LambdaTest, CustomExtensionName, Metadata) may
be named by URN alone; other schemas by file path or inline dict.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

from reference_server.errors import InvalidPath, ScimError

RESOURCES = Path(__file__).parent / "resources"
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP_URN = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE_URN = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
SCHEMA_URN = "urn:ietf:params:scim:schemas:core:2.0:Schema"
RESOURCE_TYPE_URN = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"

TYPES = ("string", "boolean", "decimal", "integer", "dateTime", "binary", "reference", "complex")
MUTABILITIES = ("readOnly", "readWrite", "immutable", "writeOnly")
RETURNED = ("always", "never", "default", "request")
UNIQUENESS = ("none", "server", "global")


@dataclass(frozen=True)
class Attribute:
    """One attribute definition (RFC 7643 §7), with the §2.2 defaults."""

    name: str
    type: str = "string"
    multi_valued: bool = False
    required: bool = False
    case_exact: bool = False
    mutability: str = "readWrite"
    returned: str = "default"
    uniqueness: str = "none"
    canonical_values: tuple[str, ...] = ()
    reference_types: tuple[str, ...] = ()
    sub_attributes: tuple[Attribute, ...] = ()
    description: str = ""
    enforce_canonical: bool = False  # ours: reject values outside canonical_values
    default: Any = field(default=None, compare=False, hash=False)  # ours: value applied on create

    def sub(self, name: str) -> Attribute | None:
        """The sub-attribute called ``name`` (case-insensitive, RFC 7643 §2.1), or None."""
        low = name.lower()
        for s in self.sub_attributes:
            if s.name.lower() == low:
                return s
        return None

    def to_scim(self) -> dict[str, Any]:
        """The RFC 7643 §7 representation."""
        out: dict[str, Any] = {"name": self.name, "type": self.type, "multiValued": self.multi_valued,
                               "description": self.description, "required": self.required}
        if self.type != "complex":
            out["caseExact"] = self.case_exact
        if self.canonical_values:
            out["canonicalValues"] = list(self.canonical_values)
        if self.reference_types:
            out["referenceTypes"] = list(self.reference_types)
        out["mutability"] = self.mutability
        out["returned"] = self.returned
        out["uniqueness"] = self.uniqueness
        if self.type == "complex":
            out["subAttributes"] = [s.to_scim() for s in self.sub_attributes]
        return out


@dataclass(frozen=True)
class Schema:
    """A schema (RFC 7643 §7). ``open_attribute`` makes every name valid (our ``x-openAttributes``)."""

    id: str
    name: str = ""
    description: str = ""
    attributes: tuple[Attribute, ...] = ()
    open_attribute: Attribute | None = None

    def attr(self, name: str) -> Attribute | None:
        """The top-level attribute ``name`` (case-insensitive); an open schema invents it."""
        low = name.lower()
        for a in self.attributes:
            if a.name.lower() == low:
                return a
        if self.open_attribute is not None and name and _is_attr_name(name):
            return dataclasses.replace(self.open_attribute, name=name)
        return None

    def to_scim(self, base_url: str = "") -> dict[str, Any]:
        return {"schemas": [SCHEMA_URN], "id": self.id, "name": self.name, "description": self.description,
                "attributes": [a.to_scim() for a in self.attributes],
                "meta": {"resourceType": "Schema", "location": f"{base_url.rstrip('/')}/Schemas/{self.id}"}}


@dataclass(frozen=True)
class ResourceType:
    """A resource type (RFC 7643 §6)."""

    name: str
    endpoint: str
    schema: str
    description: str = ""
    extensions: tuple[tuple[str, bool], ...] = ()  # (schema urn, required)

    @property
    def id(self) -> str:
        return self.name

    def to_scim(self, base_url: str = "") -> dict[str, Any]:
        out: dict[str, Any] = {"schemas": [RESOURCE_TYPE_URN], "id": self.name, "name": self.name,
                               "endpoint": self.endpoint, "description": self.description, "schema": self.schema}
        if self.extensions:
            out["schemaExtensions"] = [{"schema": u, "required": r} for u, r in self.extensions]
        out["meta"] = {"resourceType": "ResourceType",
                       "location": f"{base_url.rstrip('/')}/ResourceTypes/{self.name}"}
        return out


# Common attributes (RFC 7643 §3.1) plus ``schemas`` (§3), all top level in every resource.
COMMON_ATTRIBUTES: tuple[Attribute, ...] = (
    Attribute("schemas", "reference", multi_valued=True, required=True, mutability="readWrite",
              returned="always", reference_types=("uri",), description="Schema URIs of the resource."),
    Attribute("id", required=True, case_exact=True, mutability="readOnly", returned="always", uniqueness="server",
              description="A unique identifier for a SCIM resource as defined by the service provider."),
    Attribute("externalId", case_exact=True,
              description="A String that is an identifier for the resource as defined by the provisioning client."),
    Attribute("meta", "complex", mutability="readOnly", description="Resource metadata.", sub_attributes=(
        Attribute("resourceType", case_exact=True, mutability="readOnly", description="The resource type name."),
        Attribute("created", "dateTime", mutability="readOnly", description="When the resource was added."),
        Attribute("lastModified", "dateTime", mutability="readOnly", description="When the resource was last updated."),
        Attribute("location", "reference", case_exact=True, mutability="readOnly", reference_types=("uri",),
                  description="The URI of the resource."),
        Attribute("version", case_exact=True, mutability="readOnly", description="The version (ETag) of the resource."),
    )),
)


class _ResolveError(ScimError):
    """Internal: a failed resolution, re-raised as the caller's error type."""


class Resolved(NamedTuple):
    """Where an attribute path points: schema URN, attribute, sub-attribute (or None).

    ``extension`` is True when the data lives under the URN key of the resource (RFC 7643 §3.3);
    core and common attributes live at the top level.
    """

    urn: str
    attribute: Attribute
    sub_attribute: Attribute | None
    extension: bool


@dataclass(frozen=True)
class ResourceModel:
    """One resource type with its core schema, extension schemas and common attributes."""

    resource_type: ResourceType
    core: Schema
    extensions: tuple[Schema, ...] = ()
    # resolve() results by path; bounded because paths come from clients (filters, PATCH, attributes)
    # (a str value is the cached error detail of a path that does not resolve)
    _resolved: dict[str, Resolved | str] = field(default_factory=dict, init=False, compare=False, hash=False,
                                                 repr=False)

    @property
    def schemas(self) -> tuple[Schema, ...]:
        return (self.core, *self.extensions)

    def schema(self, urn: str) -> Schema | None:
        """The core or extension schema with this URN (case-insensitive), or None."""
        low = urn.lower()
        for s in self.schemas:
            if s.id.lower() == low:
                return s
        return None

    def extension(self, urn: str) -> Schema | None:
        s = self.schema(urn)
        return s if s is not None and s is not self.core else None

    def required_extensions(self) -> tuple[str, ...]:
        return tuple(u for u, r in self.resource_type.extensions if r)

    def split_urn(self, path: str) -> tuple[Schema | None, str]:
        """Split a URN-qualified path into (schema, rest). ``rest`` is "" when the path is the URN.

        The longest matching schema URN wins, so ``...:enterprise:2.0:User:manager`` resolves to the
        enterprise extension and not to a schema whose URN is a prefix of it.
        """
        low = path.lower()
        if not low.startswith("urn:"):
            return None, path
        best: Schema | None = None
        for s in self.schemas:
            sid = s.id.lower()
            if (low == sid or low.startswith(sid + ":")) and (best is None or len(sid) > len(best.id)):
                best = s
        if best is None:
            return None, path
        return best, path[len(best.id) + 1:]

    def common(self, name: str) -> Attribute | None:
        low = name.lower()
        for a in COMMON_ATTRIBUTES:
            if a.name.lower() == low:
                return a
        return None

    def resolve(self, path: str, error: type[ScimError] = InvalidPath) -> Resolved:
        """Resolve ``attr``, ``attr.sub`` or ``urn:...:attr[.sub]`` (case-insensitive).

        A name without URN is looked up in the common attributes, then the core schema, then the
        extensions (when exactly one extension has it - e.g. Entra's bare ``manager``).  Raises
        ``error`` (InvalidPath by default; filters pass InvalidFilter) for unknown names.
        """
        hit = self._resolved.get(path)  # exact spelling: open schemas keep the client's names
        if hit is None:
            try:
                hit = self._resolve(path)
            except _ResolveError as exc:
                hit = exc.detail
            if len(self._resolved) >= 4096:
                self._resolved.clear()
            self._resolved[path] = hit
        if isinstance(hit, str):
            raise error(hit)
        return hit

    def _resolve(self, path: str) -> Resolved:
        error = _ResolveError
        schema, rest = self.split_urn(path)
        if path.lower().startswith("urn:") and schema is None:
            raise error(f"unknown schema in attribute path {path!r}")
        if not rest:
            raise error(f"attribute path {path!r} names no attribute")
        parts = rest.split(".")
        if len(parts) > 2 or not all(parts):
            raise error(f"invalid attribute path {path!r}")
        name, sub_name = parts[0], (parts[1] if len(parts) == 2 else None)
        if schema is not None:
            attr = schema.attr(name)
            if attr is None and schema is self.core:
                attr = self.common(name)
            owner = schema
        else:
            owner, attr = self._find_unqualified(name, error)
        if attr is None:
            raise error(f"unknown attribute {path!r} for resource type {self.resource_type.name}")
        sub = None
        if sub_name is not None:
            if attr.type != "complex":
                raise error(f"attribute {attr.name!r} has no sub-attributes (path {path!r})")
            sub = attr.sub(sub_name)
            if sub is None:
                raise error(f"unknown sub-attribute {path!r}")
        return Resolved(owner.id, attr, sub, owner is not self.core)

    def _find_unqualified(self, name: str, error: type[_ResolveError]) -> tuple[Schema, Attribute | None]:
        attr = self.common(name) or self.core.attr(name)
        if attr is not None:
            return self.core, attr
        hits = [(s, a) for s in self.extensions if s.open_attribute is None and (a := s.attr(name)) is not None]
        if len(hits) > 1:
            raise error(f"attribute {name!r} is ambiguous; qualify it with its schema URN")
        if hits:
            return hits[0]
        return self.core, None

    def attributes(self) -> Iterable[tuple[Schema, Attribute]]:
        """Every (schema, top-level attribute) of the model, common attributes under the core."""
        for a in COMMON_ATTRIBUTES:
            yield self.core, a
        for s in self.schemas:
            for a in s.attributes:
                yield s, a


# ---------------------------------------------------------------------------------------------
# Loading


def _is_attr_name(name: str) -> bool:
    # RFC 7643 §2.1 ATTRNAME = ALPHA *(nameChar), nameChar = "-" / "_" / DIGIT / ALPHA; plus "$ref".
    return name == "$ref" or (name[:1].isascii() and name[:1].isalpha()
                              and all(c.isascii() and (c.isalnum() or c in "-_") for c in name))


def attribute_from_dict(d: Mapping[str, Any]) -> Attribute:
    """Build an Attribute from its RFC 7643 §7 JSON (plus our ``x-`` keys); §2.2 defaults apply."""
    typ = d.get("type", "string")
    if typ not in TYPES:
        raise ValueError(f"attribute {d.get('name')!r}: unknown type {typ!r}")
    for key, allowed in (("mutability", MUTABILITIES), ("returned", RETURNED), ("uniqueness", UNIQUENESS)):
        if key in d and d[key] not in allowed:
            raise ValueError(f"attribute {d.get('name')!r}: bad {key} {d[key]!r}")
    return Attribute(
        name=str(d["name"]), type=typ, multi_valued=bool(d.get("multiValued", False)),
        required=bool(d.get("required", False)), case_exact=bool(d.get("caseExact", False)),
        mutability=d.get("mutability", "readWrite"), returned=d.get("returned", "default"),
        uniqueness=d.get("uniqueness", "none"),
        canonical_values=tuple(d.get("canonicalValues", ()) or ()),
        reference_types=tuple(d.get("referenceTypes", ()) or ()),
        sub_attributes=tuple(attribute_from_dict(s) for s in d.get("subAttributes", ()) or ()),
        description=str(d.get("description", "")),
        enforce_canonical=bool(d.get("x-enforceCanonicalValues", False)),
        default=d.get("x-default"),
    )


def load_schema(source: Mapping[str, Any] | str | Path) -> Schema:
    """A Schema from a dict or a JSON file (RFC 7643 §7 representation + our ``x-`` keys)."""
    data: Mapping[str, Any] = (json.loads(Path(source).read_text(encoding="utf-8"))
                               if isinstance(source, (str, Path)) else source)
    open_def = data.get("x-openAttributes")
    return Schema(
        id=str(data["id"]), name=str(data.get("name", "")), description=str(data.get("description", "")),
        attributes=tuple(attribute_from_dict(a) for a in data.get("attributes", ())),
        open_attribute=attribute_from_dict({"name": "*", **open_def}) if open_def else None,
    )


_BUILTIN_FILES = {
    USER_URN: "user.json", GROUP_URN: "group.json", ENTERPRISE_URN: "enterprise_user.json",
    "urn:ietf:params:scim:schemas:extension:LambdaTest:2.0:User": "lambdatest_user.json",
    "urn:ietf:params:scim:schemas:extension:2.0:CustomExtensionName": "custom_extension_folders.json",
    "urn:ietf:params:scim:schemas:extension:2.0:Metadata": "metadata.json",
}
_cache: dict[str, Schema] = {}


def builtin_schema(urn: str) -> Schema:
    """One of the schemas shipped in ``resources/`` (by URN, case-insensitive)."""
    for known, file in _BUILTIN_FILES.items():
        if known.lower() == urn.lower():
            if known not in _cache:
                _cache[known] = load_schema(RESOURCES / file)
            return _cache[known]
    raise KeyError(f"no built-in schema {urn!r}")


def builtin_schema_urns() -> tuple[str, ...]:
    return tuple(_BUILTIN_FILES)




def _as_schema(src: Any) -> Schema:
    if isinstance(src, Schema):
        return src
    if isinstance(src, str) and src.lower().startswith("urn:"):
        return builtin_schema(src)
    return load_schema(src)


def _extensions(extensions: Iterable[Any]) -> tuple[list[Schema], list[tuple[str, bool]]]:
    schemas, decl = [], []
    for e in extensions:
        required = False
        if isinstance(e, tuple):
            e, required = e
        elif isinstance(e, Mapping) and "schema" in e and "attributes" not in e:
            e, required = e["schema"], bool(e.get("required", False))
        s = _as_schema(e)
        schemas.append(s)
        decl.append((s.id, required))
    return schemas, decl


def user_model(extensions: Iterable[Any] = (ENTERPRISE_URN,),
               overrides: Mapping[str, Mapping[str, Any]] | None = None) -> ResourceModel:
    """The User resource type (RFC 7643 §4.1) with the given extensions (default: enterprise)."""
    ext, decl = _extensions(extensions)
    rt = ResourceType("User", "/Users", USER_URN, "User Account", tuple(decl))
    return apply_overrides(ResourceModel(rt, builtin_schema(USER_URN), tuple(ext)), overrides or {})


def group_model(extensions: Iterable[Any] = (),
                overrides: Mapping[str, Mapping[str, Any]] | None = None) -> ResourceModel:
    """The Group resource type (RFC 7643 §4.2)."""
    ext, decl = _extensions(extensions)
    rt = ResourceType("Group", "/Groups", GROUP_URN, "Group", tuple(decl))
    return apply_overrides(ResourceModel(rt, builtin_schema(GROUP_URN), tuple(ext)), overrides or {})


def model_from_data(spec: Mapping[str, Any], base_dir: str | Path | None = None) -> ResourceModel:
    """A ResourceModel from a model spec (see module docstring). Relative files resolve from base_dir."""
    base = spec.get("base", "User")
    builder = {"user": user_model, "group": group_model}.get(str(base).lower())
    if builder is None:
        raise ValueError(f"unknown base resource type {base!r}")
    if "extensions" not in spec:  # the built-in defaults (User: enterprise) unless the spec says
        return builder(overrides=spec.get("overrides") or {})
    exts = []
    for e in spec["extensions"]:
        if isinstance(e, Mapping) and isinstance(e.get("schema"), str) and base_dir is not None \
                and not e["schema"].lower().startswith("urn:"):
            e = {**e, "schema": Path(base_dir) / e["schema"]}
        exts.append(e)
    return builder(extensions=exts, overrides=spec.get("overrides") or {})


_OVERRIDE_KEYS = {"required": "required", "canonicalValues": "canonical_values", "caseExact": "case_exact",
                  "enforceCanonicalValues": "enforce_canonical", "default": "default",
                  "mutability": "mutability", "returned": "returned", "uniqueness": "uniqueness"}


def apply_overrides(model: ResourceModel, overrides: Mapping[str, Mapping[str, Any]]) -> ResourceModel:
    """Return a model whose attributes carry the given changes (path -> {field: value})."""
    for path, changes in overrides.items():
        kw: dict[str, Any] = {}
        for k, v in changes.items():
            if k not in _OVERRIDE_KEYS:
                raise ValueError(f"override for {path!r}: unknown key {k!r}")
            kw[_OVERRIDE_KEYS[k]] = tuple(v) if k == "canonicalValues" else v
        r = model.resolve(path, error=InvalidPath)
        if r.attribute in COMMON_ATTRIBUTES:
            raise ValueError(f"cannot override common attribute {path!r}")
        owner = model.schema(r.urn)
        assert owner is not None
        if r.sub_attribute is None:
            new_attr = dataclasses.replace(r.attribute, **kw)
        else:
            new_sub = dataclasses.replace(r.sub_attribute, **kw)
            new_attr = dataclasses.replace(r.attribute, sub_attributes=tuple(
                new_sub if s is r.sub_attribute else s for s in r.attribute.sub_attributes))
        new_schema = dataclasses.replace(owner, attributes=tuple(
            new_attr if a is r.attribute else a for a in owner.attributes))
        if owner is model.core:
            model = dataclasses.replace(model, core=new_schema)
        else:
            model = dataclasses.replace(model, extensions=tuple(
                new_schema if s is owner else s for s in model.extensions))
    return model
