"""parser.py: attribute paths and PATCH paths (RFC 7644 §3.5.2 Figure 7), case-insensitive access."""

from __future__ import annotations

import pytest

from reference_server.errors import InvalidFilter, InvalidPath
from reference_server.parser import AttrPath, Compare, get_ci, key_ci, parse_attr_path, parse_patch_path
from reference_server.schema import ENTERPRISE_URN


@pytest.mark.parametrize(("text", "uri", "attr", "sub"), [
    ("userName", None, "userName", None),
    ("name.givenName", None, "name", "givenName"),
    ("members.$ref", None, "members", "$ref"),
    (f"{ENTERPRISE_URN}:manager.value", ENTERPRISE_URN, "manager", "value"),
    ("urn:ietf:params:scim:schemas:core:2.0:User:userName", "urn:ietf:params:scim:schemas:core:2.0:User", "userName",
     None),
    ("x-y_z9", None, "x-y_z9", None),
])
def test_attr_paths(text, uri, attr, sub):
    p = parse_attr_path(text)
    assert (p.uri, p.attr, p.sub) == (uri, attr, sub) and p.text == text


@pytest.mark.parametrize("text", ["", "9abc", "a.b.c", "a b", "a[", ".a", "a.", "urn:", "a..b", "ab$"])
def test_bad_attr_paths(text):
    with pytest.raises(InvalidPath):
        parse_attr_path(text)
    with pytest.raises(InvalidFilter):
        parse_attr_path(text, InvalidFilter)


def test_patch_path_forms():
    plain = parse_patch_path("title")
    assert plain.attr == AttrPath(None, "title") and plain.filter is None and plain.sub is None
    dotted = parse_patch_path("name.givenName")
    assert dotted.attr == AttrPath(None, "name", "givenName")
    vp = parse_patch_path('emails[type eq "work"]')
    assert vp.attr == AttrPath(None, "emails") and isinstance(vp.filter, Compare) and vp.sub is None
    vps = parse_patch_path('members[value eq "a]b"].display')
    assert vps.filter.value == "a]b" and vps.sub == "display"
    urn = parse_patch_path(f"{ENTERPRISE_URN}:manager")
    assert urn.attr.uri == ENTERPRISE_URN and urn.attr.attr == "manager"


@pytest.mark.parametrize("text", ["/emails/0", "emails[0]", "emails[-1]", "", "  ", "emails[type eq \"w\"]x",
                                  "name.givenName[type eq \"w\"]", "emails]", "a" * 2001])
def test_bad_patch_paths(text):
    with pytest.raises(InvalidPath):
        parse_patch_path(text)


def test_bad_filter_in_patch_path_is_invalid_filter():
    with pytest.raises(InvalidFilter):
        parse_patch_path("emails[type zz \"w\"]")


def test_case_insensitive_access():
    obj = {"userName": "a", "Name": {"x": 1}}
    assert key_ci(obj, "USERNAME") == "userName" and key_ci(obj, "nope") is None
    assert get_ci(obj, "name") == {"x": 1} and get_ci(obj, "nope", 5) == 5 and get_ci("not a dict", "a") is None
    assert key_ci({"a": 1, "A": 2}, "A") == "A"  # exact spelling preferred
