"""schema.py: attribute definitions, path resolution, loaders and the model data format."""

from __future__ import annotations

import json

import pytest

from reference_server.errors import InvalidFilter, InvalidPath
from reference_server.schema import (
    ENTERPRISE_URN, GROUP_URN, USER_URN, Attribute, builtin_schema, builtin_schema_urns, load_schema,
    model_from_data, user_model,
)

from .conftest import FOLDERS_URN, LAMBDATEST_URN, METADATA_URN

DEFAULTS = {"type": "string", "multi_valued": False, "required": False, "case_exact": False,
            "mutability": "readWrite", "returned": "default", "uniqueness": "none"}


def test_attribute_defaults_follow_rfc7643_2_2():
    a = load_schema({"id": "urn:x", "attributes": [{"name": "n"}]}).attributes[0]
    assert {k: getattr(a, k) for k in DEFAULTS} == DEFAULTS


@pytest.mark.parametrize(("path", "urn", "attr", "sub", "ext"), [
    ("userName", USER_URN, "userName", None, False),
    ("USERNAME", USER_URN, "userName", None, False),
    ("name.givenName", USER_URN, "name", "givenName", False),
    ("NAME.GIVENNAME", USER_URN, "name", "givenName", False),
    ("emails.value", USER_URN, "emails", "value", False),
    (f"{USER_URN}:userName", USER_URN, "userName", None, False),
    (f"{USER_URN.upper()}:userName", USER_URN, "userName", None, False),
    (f"{ENTERPRISE_URN}:manager.value", ENTERPRISE_URN, "manager", "value", True),
    (f"{ENTERPRISE_URN}:employeeNumber", ENTERPRISE_URN, "employeeNumber", None, True),
    ("manager", ENTERPRISE_URN, "manager", None, True),  # bare name only the extension has
    ("id", USER_URN, "id", None, False),
    ("externalId", USER_URN, "externalId", None, False),
    ("meta.lastModified", USER_URN, "meta", "lastModified", False),
    (f"{USER_URN}:meta.created", USER_URN, "meta", "created", False),
    ("schemas", USER_URN, "schemas", None, False),
    ("members.$ref", None, None, None, None),  # users have no members
])
def test_resolve(users, path, urn, attr, sub, ext):
    if urn is None:
        with pytest.raises(InvalidPath):
            users.resolve(path)
        return
    r = users.resolve(path)
    assert (r.urn, r.attribute.name, r.sub_attribute.name if r.sub_attribute else None, r.extension) == (
        urn, attr, sub, ext)


@pytest.mark.parametrize("bad", ["nosuch", "name.nosuch", "userName.sub", "name.givenName.x", "",
                                 "urn:unknown:schema:attr", ENTERPRISE_URN, "a..b"])
def test_resolve_errors_use_the_callers_error_type(users, bad):
    with pytest.raises(InvalidPath):
        users.resolve(bad)
    with pytest.raises(InvalidFilter):
        users.resolve(bad, InvalidFilter)


def test_ambiguous_bare_name_needs_its_urn():
    a = {"id": "urn:a:1", "attributes": [{"name": "code"}]}
    b = {"id": "urn:b:1", "attributes": [{"name": "code"}]}
    m = user_model(extensions=(a, b))
    with pytest.raises(InvalidPath, match="ambiguous"):
        m.resolve("code")
    assert m.resolve("urn:b:1:code").urn == "urn:b:1"


def test_longest_urn_prefix_wins():
    short = {"id": "urn:x:2.0:User", "attributes": [{"name": "a"}]}
    long = {"id": "urn:x:2.0:User:Ext", "attributes": [{"name": "b"}]}
    m = user_model(extensions=(short, long))
    assert m.resolve("urn:x:2.0:User:Ext:b").urn == "urn:x:2.0:User:Ext"
    assert m.resolve("urn:x:2.0:User:a").urn == "urn:x:2.0:User"


def test_case_exact_per_rfc(users):
    assert users.resolve("id").attribute.case_exact is True
    assert users.resolve("externalId").attribute.case_exact is True
    assert users.resolve("userName").attribute.case_exact is False
    assert users.resolve("emails.value").sub_attribute.case_exact is False


def test_core_schemas_shape():
    user, group = builtin_schema(USER_URN), builtin_schema(GROUP_URN)
    names = {a.name for a in user.attributes}
    assert {"userName", "name", "emails", "groups", "password", "x509Certificates", "addresses"} <= names
    assert user.attr("password").returned == "never" and user.attr("password").mutability == "writeOnly"
    assert user.attr("groups").mutability == "readOnly"
    assert user.attr("userName").uniqueness == "server" and user.attr("userName").required
    assert {s.mutability for s in group.attr("members").sub_attributes} == {"immutable"}
    assert group.attr("displayName").required


def test_to_scim_has_every_rfc7643_7_keyword():
    doc = builtin_schema(USER_URN).to_scim("http://h/")
    assert doc["meta"] == {"resourceType": "Schema", "location": f"http://h/Schemas/{USER_URN}"}

    def walk(attrs):
        for a in attrs:
            for k in ("name", "type", "multiValued", "required", "mutability", "returned", "uniqueness",
                      "description"):
                assert k in a, (a["name"], k)
            if a["type"] == "complex":
                walk(a["subAttributes"])
            else:
                assert "caseExact" in a
            if a["type"] == "reference":
                assert a["referenceTypes"]
    walk(doc["attributes"])
    assert "x-default" not in json.dumps(builtin_schema(LAMBDATEST_URN).to_scim())


def test_round_trip_through_to_scim():
    s = builtin_schema(USER_URN)
    again = load_schema(s.to_scim())
    assert again.attributes == s.attributes


def test_resource_type_to_scim(users):
    doc = users.resource_type.to_scim("http://h")
    assert doc["endpoint"] == "/Users" and doc["schema"] == USER_URN
    assert doc["schemaExtensions"] == [{"schema": ENTERPRISE_URN, "required": False}]
    assert doc["meta"]["location"] == "http://h/ResourceTypes/User"


def test_every_builtin_schema_loads():
    for urn in builtin_schema_urns():
        assert builtin_schema(urn).id == urn


def test_lambdatest_and_folders_and_metadata(rich_users):
    role = rich_users.resolve("OrganizationRole").attribute
    assert role.canonical_values == ("Admin", "Guest", "User") and role.enforce_canonical and role.default == "User"
    folders = rich_users.resolve(f"{FOLDERS_URN}:folders").attribute
    assert folders.multi_valued and folders.type == "string"
    free = rich_users.resolve(f"{METADATA_URN}:CostCentre")
    assert (free.attribute.name, free.attribute.type, free.extension) == ("CostCentre", "string", True)
    with pytest.raises(InvalidPath):  # open attributes still need a valid ATTRNAME
        rich_users.resolve(f"{METADATA_URN}:9bad")


def test_model_from_data_overrides_and_files(tmp_path):
    ext = {"id": "urn:acme:2.0:User", "name": "Acme", "attributes": [
        {"name": "tier", "type": "string", "canonicalValues": ["gold", "silver"], "x-enforceCanonicalValues": True}]}
    (tmp_path / "acme.json").write_text(json.dumps(ext))
    m = model_from_data({
        "base": "User",
        "extensions": [{"schema": ENTERPRISE_URN}, {"schema": "acme.json", "required": True}],
        "overrides": {"emails": {"required": True}, "name.givenName": {"required": True},
                      "userType": {"canonicalValues": ["Premium", "Standard"], "enforceCanonicalValues": True}},
    }, base_dir=tmp_path)
    assert m.resolve("emails").attribute.required
    assert m.resolve("name.givenName").sub_attribute.required
    assert not m.resolve("name.familyName").sub_attribute.required
    ut = m.resolve("userType").attribute
    assert ut.enforce_canonical and ut.canonical_values == ("Premium", "Standard")
    assert m.required_extensions() == ("urn:acme:2.0:User",)
    assert m.resolve("tier").attribute.enforce_canonical
    # the shipped model is untouched (frozen dataclasses, overrides make copies)
    assert not user_model().resolve("emails").attribute.required


@pytest.mark.parametrize("spec", [
    {"base": "Printer"},
    {"overrides": {"nosuch": {"required": True}}},
    {"overrides": {"userName": {"colour": "red"}}},
    {"overrides": {"id": {"required": False}}},
])
def test_model_from_data_rejects_bad_specs(spec):
    with pytest.raises((ValueError, InvalidPath)):
        model_from_data(spec)


def test_bad_attribute_keyword_is_rejected():
    with pytest.raises(ValueError):
        load_schema({"id": "urn:x", "attributes": [{"name": "n", "type": "text"}]})
    with pytest.raises(ValueError):
        load_schema({"id": "urn:x", "attributes": [{"name": "n", "mutability": "sometimes"}]})


def test_attribute_sub_is_case_insensitive():
    a = Attribute("c", "complex", sub_attributes=(Attribute("value"),))
    assert a.sub("VALUE") is a.sub_attributes[0] and a.sub("nope") is None


def test_resolution_cache_is_bounded_and_keeps_error_types():
    m = user_model()
    for i in range(5000):
        with pytest.raises(InvalidPath):
            m.resolve(f"nosuch{i}")
    assert len(m._resolved) <= 4096
    with pytest.raises(InvalidFilter):  # a cached failure is raised as the caller's type
        m.resolve("nosuch4999", InvalidFilter)
    assert m.resolve("userName") is m.resolve("userName")
