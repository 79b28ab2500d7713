"""An OpenAPI 3 description of a SCIM target, built from what the target says about itself.

Input: a :class:`~harness.discovery.Discovery` (``/ServiceProviderConfig``, ``/ResourceTypes``,
``/Schemas``; RFC 7644 §4, RFC 7643 §5-§7). Output: a plain ``dict`` (OpenAPI 3.1) that
schemathesis loads and a person can read (``scim-harness fuzz --emit-openapi FILE``).

What it says, per advertised resource type (RFC 7643 §6) at its endpoint:

- ``GET {endpoint}`` list with ``filter``, ``startIndex``, ``count``, ``attributes``,
  ``excludedAttributes`` (and ``sortBy``/``sortOrder`` when sorting is advertised), RFC 7644 §3.4.2;
- ``POST {endpoint}`` create (§3.3), ``GET``/``PUT``/``DELETE {endpoint}/{id}`` (§3.4.1, §3.5.1,
  §3.6), ``PATCH {endpoint}/{id}`` with the PatchOp message when PATCH is advertised (§3.5.2),
  ``POST {endpoint}/.search`` when filtering is advertised (§3.4.3);
- attributes with their SCIM types (RFC 7643 §2.3), ``required``, mutability (``readOnly``
  attributes never appear in request bodies; ``writeOnly`` ones never in responses, §2.2),
  canonical values as enums in requests, extension attributes under their URN key (§3.3);
- every error as the SCIM Error message with ``status`` as a string (RFC 7644 §3.12);
- media type ``application/scim+json`` both ways (RFC 7644 §3.1, §8.1);
- OpenAPI links from a create to get/put/patch/delete of the returned ``id``, which drive
  schemathesis's stateful phase.
"""

from __future__ import annotations

import re
from typing import Any

from harness.discovery import ATTRIBUTE_DEFAULTS, Discovery

__all__ = ["build_openapi", "ERROR_URN", "LIST_URN", "PATCH_URN", "SEARCH_URN", "SCIM_MEDIA_TYPE"]

SCIM_MEDIA_TYPE = "application/scim+json"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"

#: Error statuses RFC 7644 §3.12 names for any operation (plus 429, which real services send).
ERROR_STATUSES = ("400", "401", "403", "404", "409", "412", "413", "429", "501")

#: Bounds on generated request values: big enough to matter, small enough to generate fast.
MAX_STRING = 64
MAX_ITEMS = 3

#: RFC 7643 §2.3 data types -> JSON Schema.
_TYPES: dict[str, dict[str, Any]] = {
    "string": {"type": "string"},
    "boolean": {"type": "boolean"},
    "decimal": {"type": "number"},
    "integer": {"type": "integer"},
    "dateTime": {"type": "string", "format": "date-time"},
    "binary": {"type": "string"},
    "reference": {"type": "string"},
}


def _component(name: str) -> str:
    """A component name OpenAPI accepts (``^[a-zA-Z0-9._-]+$``)."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", name) or "Resource"


def _ref(name: str) -> dict[str, str]:
    return {"$ref": f"#/components/schemas/{name}"}


def _attribute_schema(attr: dict[str, Any], *, request: bool) -> dict[str, Any] | None:
    """The JSON Schema of one attribute, or ``None`` when it has no place in this direction.

    Requests leave out ``readOnly`` attributes; responses leave out ``writeOnly`` ones and
    those ``returned: never`` (RFC 7643 §2.2, §7).
    """
    full = {**ATTRIBUTE_DEFAULTS, **attr}
    mutability, returned = full.get("mutability"), full.get("returned")
    if request and mutability == "readOnly":
        return None
    if not request and (mutability == "writeOnly" or returned == "never"):
        return None
    if full.get("type") == "complex":
        item: dict[str, Any] = _object_schema(full.get("subAttributes") or [], request=request)
    else:
        item = dict(_TYPES.get(str(full.get("type")), {}))
        canonical = full.get("canonicalValues")
        # Canonical values are suggestions (RFC 7643 §7), so only requests are held to them.
        if request and isinstance(canonical, list) and canonical and all(isinstance(v, str) for v in canonical):
            item["enum"] = list(canonical)
    if request and item.get("type") == "string" and "enum" not in item:
        item["maxLength"] = MAX_STRING  # long strings add time, not coverage
    schema: dict[str, Any] = {"type": "array", "items": item} if full.get("multiValued") else item
    if request and full.get("multiValued"):
        schema["maxItems"] = MAX_ITEMS
    if not request and mutability == "readOnly":
        schema = {**schema, "readOnly": True}
    if not request and returned == "request":
        schema = {**schema, "x-scim-returned": "request"}  # only when asked for (RFC 7643 §7)
    description = full.get("description")
    if isinstance(description, str) and description:
        schema = {**schema, "description": description[:300]}
    return schema


def _object_schema(attrs: list[Any], *, request: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {}
    required: list[str] = []
    for attr in attrs:
        if not isinstance(attr, dict) or not isinstance(attr.get("name"), str):
            continue
        schema = _attribute_schema(attr, request=request)
        if schema is None:
            continue
        properties[attr["name"]] = schema
        if request and attr.get("required") is True:
            required.append(attr["name"])
    out: dict[str, Any] = {"type": "object", "properties": properties}
    if required:
        out["required"] = required
    return out


def _resource_schema(discovery: Discovery, rt: dict[str, Any], *, request: bool) -> dict[str, Any]:
    """A resource of type ``rt``: core attributes at the top, each extension under its URN."""
    core_urn = str(rt.get("schema", ""))
    core = discovery.schema(core_urn) or {}
    body = _object_schema(core.get("attributes") or [], request=request)
    properties = body["properties"]
    urns = [core_urn]
    required_extensions: list[str] = []
    for ext in discovery.extensions(str(rt.get("name", ""))):
        urn = ext["schema"]
        ext_schema = discovery.schema(urn)
        if ext_schema is None:
            continue
        properties[urn] = _object_schema(ext_schema.get("attributes") or [], request=request)
        urns.append(urn)
        if request and ext.get("required") is True:
            required_extensions.append(urn)
    # RFC 7643 §3: "schemas" lists the core schema and the extensions the resource carries.
    properties["schemas"] = {"type": "array", "items": {"type": "string", "enum": urns}, "minItems": 1}
    if request:
        # An enum of whole lists (core first) generates far faster than "contains".
        properties["schemas"] = {"enum": [[core_urn], urns] if len(urns) > 1 else [[core_urn]]}
        body["required"] = ["schemas", *body.get("required", []), *required_extensions]
    else:
        # The common attributes (RFC 7643 §3.1) every response carries.
        properties["id"] = {"type": "string", "readOnly": True}
        properties["meta"] = {"type": "object", "readOnly": True}
        body["required"] = ["id", "schemas"]
    return body


def _error_schema() -> dict[str, Any]:
    return {
        "type": "object",
        "description": "SCIM Error (RFC 7644 §3.12)",
        "required": ["schemas", "status"],
        "properties": {
            "schemas": {"type": "array", "items": {"type": "string"}, "contains": {"const": ERROR_URN}},
            "status": {"type": "string", "pattern": "^[1-5][0-9][0-9]$"},
            "scimType": {"type": "string"},
            "detail": {"type": "string"},
        },
    }


def _list_schema(item: str) -> dict[str, Any]:
    return {
        "type": "object",
        "description": "ListResponse (RFC 7644 §3.4.2)",
        "required": ["schemas", "totalResults"],
        "properties": {
            "schemas": {"type": "array", "items": {"type": "string"}, "contains": {"const": LIST_URN}},
            "totalResults": {"type": "integer", "minimum": 0},
            "startIndex": {"type": "integer"},
            "itemsPerPage": {"type": "integer", "minimum": 0},
            "Resources": {"type": "array", "items": _ref(item)},
        },
    }


def _patch_schema(request_schema: dict[str, Any]) -> dict[str, Any]:
    """PatchOp (RFC 7644 §3.5.2) whose operations target the attributes the resource has.

    ``anyOf`` (not ``oneOf``) keeps generation fast; each branch is a plausible operation, so
    many generated PATCH requests are valid and reach the server's logic, not only its parser.
    """
    branches: list[dict[str, Any]] = []
    removable: list[str] = []
    required = set(request_schema.get("required", []))
    for name, schema in request_schema["properties"].items():
        if name == "schemas":
            continue
        branches.append({
            "type": "object", "required": ["op", "path", "value"],
            "properties": {"op": {"enum": ["add", "replace"]}, "path": {"const": name}, "value": schema},
        })
        if name not in required:
            removable.append(name)
    if removable:
        branches.append({"type": "object", "required": ["op", "path"],
                         "properties": {"op": {"const": "remove"}, "path": {"enum": removable}}})
    without_schemas = {k: v for k, v in request_schema["properties"].items() if k != "schemas"}
    branches.append({
        "type": "object", "required": ["op", "value"],
        "properties": {"op": {"enum": ["add", "replace"]},
                       "value": {"type": "object", "properties": without_schemas, "minProperties": 1}},
    })
    return {
        "type": "object",
        "description": "PatchOp (RFC 7644 §3.5.2)",
        "required": ["schemas", "Operations"],
        "properties": {
            "schemas": {"type": "array", "items": {"const": PATCH_URN}, "minItems": 1, "maxItems": 1},
            "Operations": {"type": "array", "minItems": 1, "maxItems": 4, "items": {"anyOf": branches}},
        },
    }


def _search_schema(sortable: bool) -> dict[str, Any]:
    properties: dict[str, Any] = {
        "schemas": {"type": "array", "items": {"const": SEARCH_URN}, "minItems": 1, "maxItems": 1},
        "filter": {"type": "string"},
        "startIndex": {"type": "integer"},
        "count": {"type": "integer"},
        "attributes": {"type": "array", "items": {"type": "string"}},
        "excludedAttributes": {"type": "array", "items": {"type": "string"}},
    }
    if sortable:
        properties["sortBy"] = {"type": "string"}
        properties["sortOrder"] = {"enum": ["ascending", "descending"]}
    return {"type": "object", "description": "SearchRequest (RFC 7644 §3.4.3)", "required": ["schemas"],
            "properties": properties}


def _content(ref: str) -> dict[str, Any]:
    return {SCIM_MEDIA_TYPE: {"schema": _ref(ref)}}


def _responses(success: dict[str, Any]) -> dict[str, Any]:
    out = dict(success)
    for status in ERROR_STATUSES:
        out.setdefault(status, {"description": "SCIM Error (RFC 7644 §3.12)", "content": _content("Error")})
    return out


def _query(name: str, schema: dict[str, Any], description: str) -> dict[str, Any]:
    return {"name": name, "in": "query", "required": False, "schema": schema, "description": description}


def _projection_params() -> list[dict[str, Any]]:
    return [
        _query("attributes", {"type": "string"}, "RFC 7644 §3.9"),
        _query("excludedAttributes", {"type": "string"}, "RFC 7644 §3.9"),
    ]


def build_openapi(discovery: Discovery, *, base_url: str = "/", title: str = "SCIM service provider") -> dict[str, Any]:
    """The OpenAPI 3.1 document for ``discovery`` (see the module docstring)."""
    patch_ok = discovery.supports("patch") is True
    filter_ok = discovery.supports("filter") is not False
    sort_ok = discovery.supports("sort") is True
    schemas: dict[str, Any] = {"Error": _error_schema()}
    paths: dict[str, Any] = {}
    id_param = {"name": "id", "in": "path", "required": True, "schema": {"type": "string", "minLength": 1}}
    for rt in discovery.resource_types:
        name = rt.get("name")
        if not isinstance(name, str) or not name or not isinstance(rt.get("schema"), str):
            continue
        comp = _component(name)
        endpoint = discovery.endpoint(name)
        schemas[comp] = _resource_schema(discovery, rt, request=False)
        schemas[f"{comp}Request"] = _resource_schema(discovery, rt, request=True)
        schemas[f"{comp}List"] = _list_schema(comp)
        list_params = [
            _query("filter", {"type": "string"}, "RFC 7644 §3.4.2.2"),
            _query("startIndex", {"type": "integer"}, "RFC 7644 §3.4.2.4 (values below 1 mean 1)"),
            _query("count", {"type": "integer"}, "RFC 7644 §3.4.2.4 (negative means 0)"),
            *_projection_params(),
        ]
        if sort_ok:
            list_params += [_query("sortBy", {"type": "string"}, "RFC 7644 §3.4.2.3"),
                            _query("sortOrder", {"enum": ["ascending", "descending"]}, "RFC 7644 §3.4.2.3")]
        by_id = {
            "operationId": f"get{comp}", "responses": {}, "parameters": _projection_params()}
        links = {
            "Get": {"operationId": f"get{comp}", "parameters": {"id": "$response.body#/id"}},
            "Replace": {"operationId": f"replace{comp}", "parameters": {"id": "$response.body#/id"}},
            "Delete": {"operationId": f"delete{comp}", "parameters": {"id": "$response.body#/id"}},
        }
        if patch_ok:
            links["Patch"] = {"operationId": f"patch{comp}", "parameters": {"id": "$response.body#/id"}}
        paths[endpoint] = {
            "get": {"operationId": f"list{comp}", "summary": f"List or filter {name} (RFC 7644 §3.4.2)",
                    "parameters": list_params,
                    "responses": _responses({"200": {"description": "ListResponse", "content": _content(f"{comp}List")}})},
            "post": {"operationId": f"create{comp}", "summary": f"Create a {name} (RFC 7644 §3.3)",
                     "requestBody": {"required": True, "content": _content(f"{comp}Request")},
                     "responses": _responses({"201": {"description": "Created", "content": _content(comp),
                                                      "links": links}})},
        }
        by_id["summary"] = f"Get a {name} (RFC 7644 §3.4.1)"
        by_id["responses"] = _responses({"200": {"description": "The resource", "content": _content(comp)}})
        item: dict[str, Any] = {
            "parameters": [id_param],
            "get": by_id,
            "put": {"operationId": f"replace{comp}", "summary": f"Replace a {name} (RFC 7644 §3.5.1)",
                    "requestBody": {"required": True, "content": _content(f"{comp}Request")},
                    "responses": _responses({"200": {"description": "Replaced", "content": _content(comp)}})},
            "delete": {"operationId": f"delete{comp}", "summary": f"Delete a {name} (RFC 7644 §3.6)",
                       "responses": _responses({"204": {"description": "Deleted"}})},
        }
        if patch_ok:
            schemas[f"{comp}Patch"] = _patch_schema(schemas[f"{comp}Request"])
            item["patch"] = {
                "operationId": f"patch{comp}", "summary": f"Modify a {name} (RFC 7644 §3.5.2)",
                "requestBody": {"required": True, "content": _content(f"{comp}Patch")},
                "responses": _responses({"200": {"description": "Modified", "content": _content(comp)},
                                         "204": {"description": "Modified, no body"}}),
            }
        paths[f"{endpoint}/{{id}}"] = item
        if filter_ok:
            schemas.setdefault("SearchRequest", _search_schema(sort_ok))
            paths[f"{endpoint}/.search"] = {"post": {
                "operationId": f"search{comp}", "summary": f"Search {name} with POST (RFC 7644 §3.4.3)",
                "requestBody": {"required": True, "content": _content("SearchRequest")},
                "responses": _responses({"200": {"description": "ListResponse", "content": _content(f"{comp}List")}}),
            }}
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": "scim-2.0",
                 "description": "Generated by scim-harness from the target's own discovery (RFC 7644 §4)."},
        "servers": [{"url": base_url}],
        "paths": paths,
        "components": {
            "schemas": schemas,
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer"}},
        },
        "security": [{"bearer": []}],
    }
