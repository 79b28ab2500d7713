"""projection.py: attributes / excludedAttributes (RFC 7644 §3.4.2.5, §3.9; RFC 7643 §7 returned)."""

from __future__ import annotations

import pytest

from reference_server.errors import InvalidSyntax
from reference_server.projection import project, split_names
from reference_server.schema import ENTERPRISE_URN, USER_URN, user_model

STORED = {
    "schemas": [USER_URN, ENTERPRISE_URN],
    "id": "u1",
    "externalId": "e1",
    "userName": "bjensen",
    "password": "scrypt$hash",
    "name": {"givenName": "Barbara", "familyName": "Jensen"},
    "title": None,
    "nickName": "",
    "phoneNumbers": [],
    "emails": [{"type": "work", "value": "b@x.com", "primary": True}],
    "groups": [{"value": "g1", "display": "Sales", "type": "direct"}],
    "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00Z"},
    ENTERPRISE_URN: {"department": "Eng", "employeeNumber": "7", "manager": {"value": "m1", "displayName": "M"}},
    "internalOnly": "never shown",
}


def keys(d):
    return sorted(d)


def test_default_view(users):
    out = project(users, STORED)
    assert keys(out) == sorted(["schemas", "id", "externalId", "userName", "name", "emails", "groups", "meta",
                                "nickName", ENTERPRISE_URN])
    assert "password" not in out  # returned=never
    assert "title" not in out and "phoneNumbers" not in out  # unassigned are omitted, no nulls
    assert "internalOnly" not in out  # not in the model
    assert STORED["password"] == "scrypt$hash"  # input untouched


@pytest.mark.parametrize(("attributes", "expected"), [
    ("userName", ["schemas", "id", "userName"]),
    ("USERNAME", ["schemas", "id", "userName"]),
    (f"{USER_URN}:userName", ["schemas", "id", "userName"]),
    ("userName,meta", ["schemas", "id", "userName", "meta"]),
    (["userName", "emails"], ["schemas", "id", "userName", "emails"]),
    ("nosuch", ["schemas", "id"]),
    ("password", ["schemas", "id"]),
    ("id", ["schemas", "id"]),
    (f"{ENTERPRISE_URN}:department", ["schemas", "id", ENTERPRISE_URN]),
    (ENTERPRISE_URN, ["schemas", "id", ENTERPRISE_URN]),
    ("manager", ["schemas", "id", ENTERPRISE_URN]),
])
def test_attributes(users, attributes, expected):
    assert keys(project(users, STORED, attributes=attributes)) == sorted(expected)


def test_sub_attribute_path_returns_only_that_part(users):
    out = project(users, STORED, attributes="name.givenName,emails.value")
    assert out["name"] == {"givenName": "Barbara"}
    assert out["emails"] == [{"value": "b@x.com"}]


def test_extension_sub_attribute_and_whole_extension(users):
    out = project(users, STORED, attributes=f"{ENTERPRISE_URN}:department")
    assert out[ENTERPRISE_URN] == {"department": "Eng"}
    whole = project(users, STORED, attributes=ENTERPRISE_URN.upper())
    assert whole[ENTERPRISE_URN] == STORED[ENTERPRISE_URN]
    mgr = project(users, STORED, attributes="manager.value")
    assert mgr[ENTERPRISE_URN] == {"manager": {"value": "m1"}}


@pytest.mark.parametrize(("excluded", "gone", "kept"), [
    ("name", ["name"], ["id", "userName"]),
    ("id,name", ["name"], ["id"]),  # returned=always cannot be excluded
    ("schemas", [], ["schemas"]),
    ("meta", ["meta"], ["userName"]),
    ("EMAILS", ["emails"], ["name"]),
    (ENTERPRISE_URN, [ENTERPRISE_URN], ["userName"]),
    ("groups,nosuch", ["groups"], ["userName"]),
])
def test_excluded(users, excluded, gone, kept):
    out = project(users, STORED, excluded=excluded)
    for k in gone:
        assert k not in out
    for k in kept:
        assert k in out


def test_excluded_sub_attribute(users):
    out = project(users, STORED, excluded="emails.type,name.familyName")
    assert out["emails"] == [{"value": "b@x.com", "primary": True}]
    assert out["name"] == {"givenName": "Barbara"}
    ext = project(users, STORED, excluded=f"{ENTERPRISE_URN}:department")
    assert "department" not in ext[ENTERPRISE_URN] and ext[ENTERPRISE_URN]["employeeNumber"] == "7"


def test_both_parameters_is_invalid_syntax(users):
    with pytest.raises(InvalidSyntax):
        project(users, STORED, attributes="userName", excluded="name")
    # empty values do not count as "given"
    assert "userName" in project(users, STORED, attributes="", excluded=" , ")


def test_returned_request_only_when_named():
    ext = {"id": "urn:acme:2.0:User", "attributes": [
        {"name": "secretish", "returned": "request"}, {"name": "plain"},
        {"name": "box", "type": "complex", "subAttributes": [
            {"name": "a"}, {"name": "b", "returned": "request"}, {"name": "c", "returned": "always"}]}]}
    m = user_model(extensions=(ext,))
    res = {"schemas": [USER_URN, "urn:acme:2.0:User"], "id": "1", "userName": "u",
           "urn:acme:2.0:User": {"secretish": "s", "plain": "p", "box": {"a": 1, "b": 2, "c": 3}}}
    assert project(m, res)["urn:acme:2.0:User"] == {"plain": "p", "box": {"a": 1, "c": 3}}
    assert project(m, res, attributes="secretish")["urn:acme:2.0:User"] == {"secretish": "s"}
    assert project(m, res, attributes="box.a")["urn:acme:2.0:User"] == {"box": {"a": 1, "c": 3}}
    assert project(m, res, attributes="box")["urn:acme:2.0:User"] == {"box": {"a": 1, "b": 2, "c": 3}}


def test_split_names():
    assert split_names(None) == []
    assert split_names("a, b,,c ") == ["a", "b", "c"]
    assert split_names(["a,b", "c"]) == ["a", "b", "c"]
