"""patch.py: RFC 7644 §3.5.2 PATCH, every path form, and each named IdP leniency."""

from __future__ import annotations

import copy

import pytest

from reference_server.errors import InvalidPath, InvalidSyntax, InvalidValue, Mutability, NoTarget, ScimError
from reference_server.patch import PATCH_URN, apply_patch
from reference_server.schema import ENTERPRISE_URN, GROUP_URN, USER_URN, model_from_data
from reference_server.validate import Leniency, verify_password

from .conftest import FOLDERS_URN, LAMBDATEST_URN, METADATA_URN

USER = {
    "schemas": [USER_URN],
    "id": "u1",
    "userName": "bjensen",
    "name": {"givenName": "Barbara", "familyName": "Jensen"},
    "title": "Guide",
    "active": True,
    "emails": [{"type": "work", "value": "b@work.com", "primary": True}, {"type": "home", "value": "b@home.org"}],
    "groups": [{"value": "g1"}],
    "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00Z"},
}
GROUP = {"schemas": [GROUP_URN], "id": "g1", "displayName": "Sales",
         "members": [{"value": "u1", "type": "User"}, {"value": "u2"}, {"value": "u3"}]}


def ops(*operations):
    return {"schemas": [PATCH_URN], "Operations": list(operations)}


def patch(model, resource, *operations, lenient=True):
    before = copy.deepcopy(resource)
    out, changed = apply_patch(model, resource, ops(*operations), lenient=lenient)
    assert resource == before  # the input is never modified
    return out, changed


# --- envelope ---------------------------------------------------------------------------------------

@pytest.mark.parametrize(("payload", "detail"), [
    ([], "JSON object"),
    ({"Operations": [{"op": "add", "path": "title", "value": "x"}]}, "schemas"),
    ({"schemas": ["urn:other"], "Operations": [{"op": "add", "path": "title", "value": "x"}]}, "schemas"),
    ({"schemas": [PATCH_URN]}, "non-empty"),
    ({"schemas": [PATCH_URN], "Operations": []}, "non-empty"),
    ({"schemas": [PATCH_URN], "Operations": {"op": "add"}}, "non-empty"),
    (ops("add"), "must be an object"),
    (ops({"op": "move", "path": "title", "from": "x"}), "add, remove or replace"),
    (ops({"op": "copy", "path": "title"}), "add, remove or replace"),
    (ops({"op": "test", "path": "title", "value": "x"}), "add, remove or replace"),
    (ops({"path": "title", "value": "x"}), "add, remove or replace"),
    (ops({"op": "replace", "path": "title"}), "'value' is required"),
    (ops({"op": "add", "path": "title"}), "'value' is required"),
])
def test_envelope_errors_are_invalid_syntax(users, payload, detail):
    with pytest.raises(InvalidSyntax, match=detail):
        apply_patch(users, USER, payload)


@pytest.mark.parametrize("path", ["/emails/0", "emails[0]", "emails[ 1 ]", "emails[type eq", "emails]x[",
                                  "title.sub", "nosuch", "name.nosuch", "emails[type eq \"w\"].nosuch",
                                  "emails[type eq \"w\"]x", "title[value eq \"x\"]", "urn:unknown:1:title"])
def test_bad_paths_are_invalid_path(users, path):
    with pytest.raises((InvalidPath, ScimError)) as info:
        apply_patch(users, USER, ops({"op": "replace", "path": path, "value": "x"}))
    assert info.value.scim_type in ("invalidPath", "invalidFilter")


def test_bad_filter_inside_brackets_is_invalid_filter(users):
    with pytest.raises(ScimError) as info:
        apply_patch(users, USER, ops({"op": "replace", "path": 'emails[type regex "x"].value', "value": "x"}))
    assert info.value.scim_type == "invalidFilter"


# --- add ----------------------------------------------------------------------------------------------

def test_add_single_valued_sets(users):
    out, changed = patch(users, USER, {"op": "add", "path": "nickName", "value": "Babs"})
    assert out["nickName"] == "Babs" and changed
    out, _ = patch(users, USER, {"op": "add", "path": "title", "value": "Boss"})
    assert out["title"] == "Boss"


def test_add_multi_valued_appends(users):
    out, changed = patch(users, USER, {"op": "add", "path": "emails", "value": [{"type": "other", "value": "o@x"}]})
    assert [e["value"] for e in out["emails"]] == ["b@work.com", "b@home.org", "o@x"] and changed


def test_add_identical_value_is_a_no_op(users, groups):
    out, changed = patch(users, USER, {"op": "add", "path": "emails", "value": [{"type": "work", "value": "B@WORK.com"}]})
    assert out == USER and changed is False
    _, changed = patch(groups, GROUP, {"op": "add", "path": "members", "value": [{"value": "u2"}]})
    assert changed is False
    _, changed = patch(users, USER, {"op": "replace", "path": "title", "value": "Guide"})
    assert changed is False


def test_add_complex_merges(users):
    out, _ = patch(users, USER, {"op": "add", "path": "name", "value": {"middleName": "Q"}})
    assert out["name"] == {"givenName": "Barbara", "familyName": "Jensen", "middleName": "Q"}


def test_add_without_path_merges_object(users):
    out, _ = patch(users, USER, {"op": "add", "value": {"nickName": "B", "emails": [{"value": "n@x"}]}})
    assert out["nickName"] == "B" and len(out["emails"]) == 3


def test_add_single_object_to_multi_valued(users):
    out, _ = patch(users, USER, {"op": "add", "path": "emails", "value": {"value": "one@x"}})
    assert out["emails"][-1] == {"value": "one@x"}


def test_add_value_path_creates_missing_value(users):
    """Entra legacy sends Add for emails[type eq "work"].value when the user has none."""
    base = {**USER, "emails": [{"type": "home", "value": "h@x"}]}
    out, changed = patch(users, base, {"op": "Add", "path": 'emails[type eq "work"].value', "value": "w@x"})
    assert out["emails"] == [{"type": "home", "value": "h@x"}, {"type": "work", "value": "w@x"}] and changed


def test_add_value_path_sets_existing(users):
    out, _ = patch(users, USER, {"op": "add", "path": 'emails[type eq "work"].value', "value": "new@x"})
    assert out["emails"][0] == {"type": "work", "value": "new@x", "primary": True}


def test_add_value_path_without_equalities_is_no_target(users):
    with pytest.raises(NoTarget):
        patch(users, USER, {"op": "add", "path": 'emails[value co "zzz"].display', "value": "x"})


# --- replace ------------------------------------------------------------------------------------------

def test_replace_single(users):
    out, _ = patch(users, USER, {"op": "replace", "path": "title", "value": "Boss"})
    assert out["title"] == "Boss"


def test_replace_unset_acts_as_add(users):
    out, _ = patch(users, USER, {"op": "replace", "path": "nickName", "value": "B"})
    assert out["nickName"] == "B"


def test_replace_multi_valued_without_filter_replaces_list(users):
    out, _ = patch(users, USER, {"op": "replace", "path": "emails", "value": [{"value": "only@x"}]})
    assert out["emails"] == [{"value": "only@x"}]


def test_replace_complex_merges_sub_attributes(users):
    out, _ = patch(users, USER, {"op": "replace", "path": "name", "value": {"givenName": "Babs"}})
    assert out["name"] == {"givenName": "Babs", "familyName": "Jensen"}


def test_replace_without_path(users):
    out, _ = patch(users, USER, {"op": "replace", "value": {"displayName": "BJ", "active": False}})
    assert out["displayName"] == "BJ" and out["active"] is False and out["userName"] == "bjensen"


def test_replace_sub_attribute_path(users):
    out, _ = patch(users, USER, {"op": "replace", "path": "name.familyName", "value": "Jones"})
    assert out["name"] == {"givenName": "Barbara", "familyName": "Jones"}


def test_replace_value_path_sub_attribute(users):
    out, _ = patch(users, USER, {"op": "replace", "path": 'emails[type eq "work"].value', "value": "w2@x"})
    assert out["emails"][0] == {"type": "work", "value": "w2@x", "primary": True}
    assert out["emails"][1] == USER["emails"][1]


def test_replace_value_path_whole_value(users):
    out, _ = patch(users, USER, {"op": "replace", "path": 'emails[type eq "home"]',
                                 "value": {"type": "home", "value": "new@home"}})
    assert out["emails"][1] == {"type": "home", "value": "new@home"}


def test_replace_value_path_matching_nothing_is_no_target(users):
    with pytest.raises(NoTarget):
        patch(users, USER, {"op": "replace", "path": 'emails[type eq "fax"].value', "value": "x"})


def test_replace_every_match(users):
    two_work = {**USER, "emails": [{"type": "work", "value": "a@x"}, {"type": "work", "value": "b@x"}]}
    out, _ = patch(users, two_work, {"op": "replace", "path": 'emails[type eq "work"].display', "value": "W"})
    assert [e["display"] for e in out["emails"]] == ["W", "W"]


def test_primary_true_clears_the_others(users):
    out, _ = patch(users, USER, {"op": "replace", "path": 'emails[type eq "home"].primary', "value": True})
    assert [e.get("primary") for e in out["emails"]] == [False, True]
    out, _ = patch(users, USER, {"op": "add", "path": "emails", "value": [{"value": "n@x", "primary": True}]})
    assert [e.get("primary") for e in out["emails"]] == [False, None, True]


# --- remove -------------------------------------------------------------------------------------------

def test_remove_without_path_is_no_target(users):
    with pytest.raises(NoTarget):
        patch(users, USER, {"op": "remove"})


@pytest.mark.parametrize("path", ["title", "emails", "name", "TITLE"])
def test_remove_unassigns(users, path):
    out, changed = patch(users, USER, {"op": "remove", "path": path})
    assert path.lower() not in {k.lower() for k in out} and changed


def test_remove_sub_attribute(users):
    out, _ = patch(users, USER, {"op": "remove", "path": "name.familyName"})
    assert out["name"] == {"givenName": "Barbara"}


def test_remove_value_path_removes_matches_only(users, groups):
    out, _ = patch(users, USER, {"op": "remove", "path": 'emails[type eq "home"]'})
    assert out["emails"] == [USER["emails"][0]]
    out, _ = patch(groups, GROUP, {"op": "remove", "path": 'members[value eq "u2"]'})
    assert [m["value"] for m in out["members"]] == ["u1", "u3"]
    gone, _ = patch(groups, {**GROUP, "members": [{"value": "u1"}]}, {"op": "remove", "path": 'members[value eq "u1"]'})
    assert "members" not in gone  # none left: unassigned


def test_remove_absent_is_a_no_op(users, groups):
    _, changed = patch(groups, GROUP, {"op": "remove", "path": 'members[value eq "nobody"]'})
    assert changed is False
    _, changed = patch(users, USER, {"op": "remove", "path": "nickName"})
    assert changed is False


@pytest.mark.parametrize(("path", "model"), [("userName", "users"), ("id", "users"), ("meta", "users"),
                                             ("groups", "users"), ("meta.created", "users"),
                                             ("displayName", "groups")])
def test_remove_required_or_read_only_is_mutability(request, path, model):
    m = request.getfixturevalue(model)
    with pytest.raises(Mutability):
        patch(m, USER if model == "users" else GROUP, {"op": "remove", "path": path})


def test_remove_value_path_sub_attribute(users):
    out, _ = patch(users, USER, {"op": "remove", "path": 'emails[type eq "work"].primary'})
    assert out["emails"][0] == {"type": "work", "value": "b@work.com"}


# --- mutability and types -----------------------------------------------------------------------------

@pytest.mark.parametrize("operation", [
    {"op": "replace", "path": "id", "value": "x"},
    {"op": "replace", "path": "meta.created", "value": "2020-01-01T00:00:00Z"},
    {"op": "add", "path": "groups", "value": [{"value": "g9"}]},
    {"op": "replace", "value": {"id": "other"}},
    {"op": "add", "path": f"{ENTERPRISE_URN}:manager.displayName", "value": "Boss"},
])
def test_read_only_targets(users, operation):
    with pytest.raises(Mutability):
        patch(users, USER, operation)


def test_echoing_unchanged_read_only_value_is_harmless(users):
    out, _ = patch(users, USER, {"op": "replace", "value": {"id": "u1", "active": False}})
    assert out["active"] is False


@pytest.mark.parametrize("operation", [
    {"op": "replace", "path": 'members[value eq "u1"].value', "value": "u9"},
    {"op": "replace", "path": 'members[value eq "u1"].type', "value": "Group"},
    {"op": "remove", "path": 'members[value eq "u1"].value'},
    {"op": "replace", "path": 'members[value eq "u1"]', "value": {"value": "u9"}},
    {"op": "replace", "path": "members.value", "value": "u9"},
])
def test_group_member_sub_attributes_are_immutable(groups, operation):
    with pytest.raises(Mutability):
        patch(groups, GROUP, operation)


def test_immutable_single_valued_can_be_set_once():
    m = model_from_data({"overrides": {"nickName": {"mutability": "immutable"}}})
    out, _ = patch(m, USER, {"op": "add", "path": "nickName", "value": "once"})
    with pytest.raises(Mutability):
        patch(m, out, {"op": "replace", "path": "nickName", "value": "twice"})


@pytest.mark.parametrize("operation", [
    {"op": "replace", "path": "active", "value": "maybe"},
    {"op": "replace", "path": "active", "value": 0},
    {"op": "replace", "path": "title", "value": ["a"]},
    {"op": "replace", "path": "title", "value": {"a": 1}},
    {"op": "replace", "path": "name", "value": "Barbara"},
    {"op": "add", "path": "emails", "value": ["plain"]},
    {"op": "replace", "path": "name.givenName", "value": 5},
    {"op": "replace", "path": 'emails[type eq "work"].primary', "value": "yes"},
    {"op": "replace", "value": "not an object"},
    {"op": "replace", "value": {"nosuch": 1}},
    {"op": "replace", "path": "emails", "value": [{"value": "a", "primary": True}, {"value": "b", "primary": True}]},
])
def test_wrong_types_are_invalid_value(users, operation):
    with pytest.raises(InvalidValue):
        patch(users, USER, operation)


def test_atomic_and_in_order(users):
    with pytest.raises(NoTarget):
        apply_patch(users, USER, ops({"op": "replace", "path": "title", "value": "A"},
                                     {"op": "replace", "path": 'emails[type eq "fax"].value', "value": "x"}))
    assert USER["title"] == "Guide"
    out, _ = patch(users, USER, {"op": "replace", "path": "title", "value": "A"},
                   {"op": "replace", "path": "title", "value": "B"})
    assert out["title"] == "B"


def test_required_check_after_all_operations():
    m = model_from_data({"overrides": {"emails": {"required": True}}})
    with pytest.raises(InvalidValue, match="emails"):
        patch(m, USER, {"op": "replace", "path": "emails", "value": []})


def test_password_patch_is_hashed(users):
    out, changed = patch(users, USER, {"op": "replace", "path": "password", "value": "n3w!"})
    assert verify_password(out["password"], "n3w!") and changed


# --- extensions ---------------------------------------------------------------------------------------

def test_urn_qualified_path_adds_schema(users):
    out, _ = patch(users, USER, {"op": "add", "path": f"{ENTERPRISE_URN}:employeeNumber", "value": "7"})
    assert out[ENTERPRISE_URN] == {"employeeNumber": "7"} and out["schemas"] == [USER_URN, ENTERPRISE_URN]
    back, _ = patch(users, out, {"op": "remove", "path": f"{ENTERPRISE_URN}:employeeNumber"})
    assert ENTERPRISE_URN not in back and back["schemas"] == [USER_URN]


def test_bare_extension_urn_path(users):
    out, _ = patch(users, USER, {"op": "add", "path": ENTERPRISE_URN, "value": {"department": "Eng"}})
    assert out[ENTERPRISE_URN] == {"department": "Eng"}
    gone, _ = patch(users, out, {"op": "remove", "path": ENTERPRISE_URN})
    assert ENTERPRISE_URN not in gone


def test_pathless_nested_extension_object(users):
    out, _ = patch(users, USER, {"op": "replace", "value": {ENTERPRISE_URN: {"department": "Eng",
                                                                            "manager": {"value": "m1"}}}})
    assert out[ENTERPRISE_URN] == {"department": "Eng", "manager": {"value": "m1"}}


def test_entra_aadoptscim062020_pathless_dotted_keys(users):
    out, changed = patch(users, USER, {"op": "replace", "value": {
        "name.givenName": "Jo", f"{ENTERPRISE_URN}:employeeNumber": "7", "active": False}})
    assert out["name"] == {"givenName": "Jo", "familyName": "Jensen"}
    assert out[ENTERPRISE_URN] == {"employeeNumber": "7"} and ENTERPRISE_URN in out["schemas"]
    assert out["active"] is False and changed


def test_bare_manager_resolves_to_enterprise(users):
    out, _ = patch(users, USER, {"op": "replace", "path": "manager", "value": {"value": "m2"}})
    assert out[ENTERPRISE_URN] == {"manager": {"value": "m2"}}
    out, _ = patch(users, out, {"op": "replace", "path": "manager.value", "value": "m3"})
    assert out[ENTERPRISE_URN]["manager"] == {"value": "m3"}


def test_custom_extensions(rich_users):
    out, _ = patch(rich_users, USER, {"op": "add", "path": f"{FOLDERS_URN}:folders", "value": ["F1", "F2"]},
                   {"op": "add", "path": f"{METADATA_URN}:CostCode", "value": "CC1"},
                   {"op": "replace", "path": f"{LAMBDATEST_URN}:OrganizationRole", "value": "Admin"})
    assert out[FOLDERS_URN] == {"folders": ["F1", "F2"]}
    assert out[METADATA_URN] == {"CostCode": "CC1"}
    assert out[LAMBDATEST_URN] == {"OrganizationRole": "Admin"}
    again, _ = patch(rich_users, out, {"op": "replace", "path": f"{METADATA_URN}:costcode", "value": "CC2"})
    assert again[METADATA_URN] == {"CostCode": "CC2"}  # case-insensitive, keeps the stored spelling
    with pytest.raises(InvalidValue):
        patch(rich_users, USER, {"op": "replace", "path": f"{LAMBDATEST_URN}:OrganizationRole", "value": "Owner"})


# --- leniencies ----------------------------------------------------------------------------------------

def test_capitalised_ops(users):
    out, _ = patch(users, USER, {"op": "Replace", "path": "title", "value": "X"})
    assert out["title"] == "X"
    with pytest.raises(InvalidSyntax):
        patch(users, USER, {"op": "Replace", "path": "title", "value": "X"}, lenient=False)
    with pytest.raises(InvalidSyntax):
        patch(users, USER, {"op": "Replace", "path": "title", "value": "X"}, lenient=Leniency(op_case=False))


@pytest.mark.parametrize(("value", "stored"), [("False", False), ("True", True), ("false", False)])
def test_string_booleans(users, value, stored):
    out, _ = patch(users, USER, {"op": "Replace", "path": "active", "value": value})
    assert out["active"] is stored
    with pytest.raises(InvalidValue):
        patch(users, USER, {"op": "replace", "path": "active", "value": value}, lenient=False)


def test_listed_member_remove(groups):
    """Entra legacy / JumpCloud: Remove path members with a value list removes only those."""
    op = {"op": "Remove", "path": "members", "value": [{"value": "u2"}, {"value": "u3"}]}
    out, _ = patch(groups, GROUP, op)
    assert out["members"] == [{"value": "u1", "type": "User"}]
    literal, _ = patch(groups, GROUP, {**op, "op": "remove"}, lenient=False)
    assert "members" not in literal  # read literally, the whole attribute goes


def test_entra_manager_as_one_element_list(users):
    op = {"op": "Add", "path": "manager", "value": [{"$ref": "https://sp/Users/m1", "value": "m1"}]}
    out, _ = patch(users, USER, op)
    assert out[ENTERPRISE_URN] == {"manager": {"$ref": "https://sp/Users/m1", "value": "m1"}}
    with pytest.raises(InvalidValue):
        patch(users, USER, {**op, "op": "add"}, lenient=False)


def test_entra_legacy_roles_json_string(users):
    op = {"op": "Add", "path": "roles",
          "value": '[{"primary":true,"type":"WindowsAzureActiveDirectoryRole","value":"Admin"}]'}
    out, _ = patch(users, USER, op)
    assert out["roles"] == [{"primary": True, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}]
    with pytest.raises(InvalidValue):
        patch(users, USER, {**op, "op": "add"}, lenient=False)


def test_okta_membership_patch(groups):
    out, changed = patch(groups, GROUP, {"op": "remove", "path": 'members[value eq "u1"]'},
                         {"op": "add", "path": "members", "value": [{"value": "u9", "display": "nine"}]},
                         {"op": "replace", "value": {"displayName": "Sales EU"}})
    assert [m["value"] for m in out["members"]] == ["u2", "u3", "u9"] and out["displayName"] == "Sales EU"
    assert changed


def test_replace_members_empty(groups):
    out, _ = patch(groups, GROUP, {"op": "replace", "path": "members", "value": []})
    assert "members" not in out


def test_id_and_meta_are_left_for_the_store(users):
    out, _ = patch(users, USER, {"op": "replace", "path": "title", "value": "New"})
    assert out["id"] == "u1" and out["meta"] == USER["meta"]


def test_extension_key_spelling_is_made_canonical(users):
    odd = {**USER, "schemas": [USER_URN, ENTERPRISE_URN], ENTERPRISE_URN.upper(): {"department": "D"}}
    out, _ = patch(users, odd, {"op": "add", "path": f"{ENTERPRISE_URN}:employeeNumber", "value": "7"})
    assert out[ENTERPRISE_URN] == {"department": "D", "employeeNumber": "7"}
    assert ENTERPRISE_URN.upper() not in out


def test_entra_add_creates_address_by_type(users):
    """Complex values without a "value" sub-attribute (addresses) are created from the filter too."""
    out, _ = patch(users, USER, {"op": "Add", "path": 'addresses[type eq "work"].streetAddress', "value": "1 Main"},
                   {"op": "Add", "path": 'addresses[type eq "work"].locality', "value": "Leeds"})
    assert out["addresses"] == [{"type": "work", "streetAddress": "1 Main", "locality": "Leeds"}]
