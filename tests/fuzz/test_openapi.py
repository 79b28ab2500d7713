"""The OpenAPI description reflects discovery and is a document schemathesis accepts."""

from __future__ import annotations

from typing import Any

import schemathesis

from harness.discovery import Discovery
from harness.fuzz.openapi import ERROR_URN, SCIM_MEDIA_TYPE, build_openapi

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"


def fake_discovery(patch: bool = True, sort: bool = False) -> Discovery:
    user_schema = {"id": USER, "attributes": [
        {"name": "userName", "type": "string", "required": True, "uniqueness": "server"},
        {"name": "active", "type": "boolean"},
        {"name": "nickName", "type": "string", "returned": "request"},
        {"name": "id", "type": "string", "mutability": "readOnly"},
        {"name": "password", "type": "string", "mutability": "writeOnly", "returned": "never"},
        {"name": "emails", "type": "complex", "multiValued": True, "subAttributes": [
            {"name": "value", "type": "string"},
            {"name": "type", "type": "string", "canonicalValues": ["work", "home", "other"]},
            {"name": "primary", "type": "boolean"}]},
        {"name": "groups", "type": "complex", "multiValued": True, "mutability": "readOnly",
         "subAttributes": [{"name": "value", "type": "string"}]},
    ]}
    enterprise = {"id": ENTERPRISE, "attributes": [
        {"name": "employeeNumber", "type": "string", "required": True},
        {"name": "manager", "type": "complex", "subAttributes": [{"name": "value", "type": "string"}]}]}
    return Discovery(
        spc={"patch": {"supported": patch}, "filter": {"supported": True}, "sort": {"supported": sort}},
        resource_types=[{"name": "User", "endpoint": "/Users", "schema": USER,
                         "schemaExtensions": [{"schema": ENTERPRISE, "required": False}]}],
        schemas=[user_schema, enterprise],
    )


def schemas(doc: dict[str, Any]) -> dict[str, Any]:
    return doc["components"]["schemas"]


def test_request_schema_has_required_enums_and_no_read_only() -> None:
    request = schemas(build_openapi(fake_discovery()))["UserRequest"]
    props = request["properties"]
    assert "userName" in request["required"] and "schemas" in request["required"]
    assert "id" not in props and "groups" not in props  # readOnly never in a request body
    assert "password" in props  # writeOnly is sent
    assert props["emails"]["items"]["properties"]["type"]["enum"] == ["work", "home", "other"]
    assert props["active"] == {"type": "boolean"}
    # The extension lives under its URN, with its own required attributes.
    assert props[ENTERPRISE]["required"] == ["employeeNumber"]
    assert ENTERPRISE not in request["required"]  # the extension is optional on this resource type
    assert props["schemas"]["enum"] == [[USER], [USER, ENTERPRISE]]


def test_response_schema_marks_read_only_and_hides_write_only() -> None:
    response = schemas(build_openapi(fake_discovery()))["User"]
    props = response["properties"]
    assert props["groups"]["readOnly"] is True and props["id"]["readOnly"] is True
    assert "password" not in props  # returned: never
    assert props["nickName"]["x-scim-returned"] == "request"  # not expected back unless asked for
    assert set(response["required"]) == {"id", "schemas"}
    assert "enum" not in props["emails"]["items"]["properties"]["type"]  # canonical values only bind requests


def test_operations_errors_media_type_and_links() -> None:
    doc = build_openapi(fake_discovery(sort=True))
    paths = doc["paths"]
    assert set(paths) == {"/Users", "/Users/{id}", "/Users/.search"}
    assert set(paths["/Users"]) == {"get", "post"}
    assert set(paths["/Users/{id}"]) == {"parameters", "get", "put", "patch", "delete"}
    names = {p["name"] for p in paths["/Users"]["get"]["parameters"]}
    assert names == {"filter", "startIndex", "count", "attributes", "excludedAttributes", "sortBy", "sortOrder"}
    create = paths["/Users"]["post"]
    assert set(create["requestBody"]["content"]) == {SCIM_MEDIA_TYPE}
    assert create["responses"]["400"]["content"][SCIM_MEDIA_TYPE]["schema"]["$ref"] == "#/components/schemas/Error"
    assert set(create["responses"]["201"]["links"]) == {"Get", "Replace", "Patch", "Delete"}
    error = schemas(doc)["Error"]
    assert error["properties"]["status"]["type"] == "string"
    assert error["properties"]["schemas"]["contains"] == {"const": ERROR_URN}
    patch = schemas(doc)["UserPatch"]
    assert patch["properties"]["schemas"]["items"] == {"const": "urn:ietf:params:scim:api:messages:2.0:PatchOp"}


def test_no_patch_operation_when_not_advertised() -> None:
    doc = build_openapi(fake_discovery(patch=False))
    assert "patch" not in doc["paths"]["/Users/{id}"]
    assert "Patch" not in doc["paths"]["/Users"]["post"]["responses"]["201"]["links"]
    names = {p["name"] for p in doc["paths"]["/Users"]["get"]["parameters"]}
    assert "sortBy" not in names


def test_schemathesis_loads_it_and_sees_every_operation_and_link() -> None:
    schema = schemathesis.openapi.from_dict(build_openapi(fake_discovery(), base_url="http://127.0.0.1:9"))
    labels = {op.ok().label for op in schema.get_all_operations()}
    assert labels == {"GET /Users", "POST /Users", "GET /Users/{id}", "PUT /Users/{id}", "PATCH /Users/{id}",
                      "DELETE /Users/{id}", "POST /Users/.search"}
    assert schema.statistic.transitions.total == 4  # links: create -> get / replace / patch / delete
    schema.validate()  # raises on an invalid OpenAPI document
