"""Sans-IO flows driven by hand with ``.send()``: the request shapes of each profile."""

from __future__ import annotations

import json
from typing import Any

from harness.recorder import Exchange, Recorder
from mock_idp.connection import connection_test
from harness.idp.requests import PATCH_OP, Request
from mock_idp.flows import WantGroup, WantUser, deactivate_user, provision_user
from mock_idp.groupflows import sync_group
from harness.idp.profile import load_profile

_REC = Recorder()
EMPTY = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0, "Resources": []}


def reply(status: int, body: Any = None, headers: list[tuple[str, str]] | None = None) -> Exchange:
    raw = json.dumps(body).encode() if body is not None else b""
    return _REC.record(method="GET", url="http://t/", request_headers=[], request_body=None, status=status,
                       response_headers=headers or [], response_body=raw, elapsed_ms=0.0)


def found(resource: dict[str, Any]) -> Exchange:
    return reply(200, {**EMPTY, "totalResults": 1, "Resources": [resource]})


WANT = WantUser(
    key="u1", display="Jo Li", match=(("userName", "jo@contoso.com"),),
    create={"userName": "jo@contoso.com", "active": True, "emails[type eq \"work\"].value": "jo@contoso.com",
            "name.givenName": "Jo", "name.familyName": "Li", "externalId": "jo",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "7"},
    update={"userName": "jo@contoso.com", "active": True, "emails[type eq \"work\"].value": "jo@contoso.com",
            "name.givenName": "Jo", "name.familyName": "Li", "externalId": "jo",
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "7"},
)
ON_TARGET = {"id": "42", "userName": "jo@contoso.com", "active": True, "externalId": "jo",
             "emails": [{"type": "work", "value": "old@contoso.com", "primary": True}],
             "name": {"givenName": "Joe", "familyName": "Li"}}


def test_entra_create_sequence() -> None:
    flow = provision_user(load_profile("entra"), WANT)
    lookup = next(flow)
    assert lookup == Request("GET", "/Users", (("filter", 'userName eq "jo@contoso.com"'),))
    post = flow.send(reply(200, EMPTY))
    assert (post.method, post.path) == ("POST", "/Users")
    assert post.json["emails"] == [{"primary": True, "type": "work", "value": "jo@contoso.com"}]
    assert post.json["active"] is True and post.json["meta"] == {"resourceType": "User"} and post.json["roles"] == []
    assert post.json["schemas"][1] == "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
    try:
        flow.send(reply(201, {"id": "99", "userName": "jo@contoso.com"}))
    except StopIteration as stop:
        assert stop.value.action == "create" and stop.value.target_id == "99"
    else:
        raise AssertionError("the flow should have finished")


def _update(profile_name: str) -> list[dict[str, Any]]:
    flow = provision_user(load_profile(profile_name), WANT)
    next(flow)
    patch = flow.send(found(ON_TARGET))
    assert (patch.method, patch.path) == ("PATCH", "/Users/42") and patch.json["schemas"] == [PATCH_OP]
    return patch.json["Operations"]


def test_flag_update_is_one_pathless_replace_with_dotted_keys() -> None:
    ops = _update("entra")
    assert ops == [
        {"op": "replace", "path": 'emails[type eq "work"].value', "value": "jo@contoso.com"},
        {"op": "replace", "value": {"name.givenName": "Jo",
                                    "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber": "7"}},
    ]


def test_legacy_update_is_capitalised_pathed_ops_with_add_when_absent() -> None:
    ops = _update("entra-legacy")
    assert {"op": "Replace", "path": "name.givenName", "value": "Jo"} in ops
    assert {"op": "Add", "path": "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:employeeNumber",
            "value": "7"} in ops
    assert all("path" in op for op in ops)


def test_no_difference_sends_nothing() -> None:
    same = {**ON_TARGET, "emails": [{"type": "work", "value": "jo@contoso.com"}], "name": {"givenName": "Jo", "familyName": "Li"},
            "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User": {"employeeNumber": "7"}}
    flow = provision_user(load_profile("entra"), WANT)
    next(flow)
    try:
        flow.send(found(same))
    except StopIteration as stop:
        assert stop.value.action == "other" and stop.value.status == "success"
    else:
        raise AssertionError("no request expected")


def test_deactivation_forms() -> None:
    for name, value, op in [("entra-legacy", "False", "Replace"), ("entra", False, "replace"), ("jumpcloud", False, "replace")]:
        flow = deactivate_user(load_profile(name), WANT)
        next(flow)
        patch = flow.send(found(ON_TARGET))
        assert patch.json["Operations"] == [{"op": op, "path": "active", "value": value}], name


def test_group_members_add_and_remove_forms() -> None:
    group = {"id": "g1", "displayName": "Sales"}
    want = WantGroup("g", "Sales", {"displayName": "Sales"}, add=("a", "b"), remove=("c",))
    expected = {
        "entra": ([{"op": "add", "path": "members", "value": [{"$ref": None, "value": "a"}, {"$ref": None, "value": "b"}]}],
                  [{"op": "remove", "path": 'members[value eq "c"]'}]),
        "entra-legacy": ([{"op": "Add", "path": "members", "value": [{"$ref": None, "value": "a"}, {"$ref": None, "value": "b"}]}],
                         [{"op": "Remove", "path": "members", "value": [{"value": "c"}]}]),
        "jumpcloud": ([{"op": "add", "path": "members", "value": [{"value": "a"}, {"value": "b"}]}],
                      [{"op": "remove", "path": "members", "value": [{"value": "c"}]}]),
    }
    for name, (add_ops, remove_ops) in expected.items():
        flow = sync_group(load_profile(name), want)
        lookup = next(flow)
        assert lookup.params[-1] == ("filter", 'displayName eq "Sales"')
        add = flow.send(found(group))
        assert add.json["Operations"] == add_ops, name
        remove = flow.send(reply(204))
        assert remove.json["Operations"] == remove_ops, name


def test_entra_group_probe_and_post_without_members() -> None:
    flow = sync_group(load_profile("entra"), WantGroup("g", "Sales", {"displayName": "Sales", "externalId": "g"}, add=("a",)))
    lookup = next(flow)
    assert lookup.params == (("excludedAttributes", "members"), ("filter", 'displayName eq "Sales"'))
    post = flow.send(reply(200, EMPTY))
    assert post.method == "POST" and "members" not in post.json
    assert post.json["schemas"][1] == "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"
    add = flow.send(reply(201, {"id": "g9", "displayName": "Sales"}))
    assert add.path == "/Groups/g9"


def test_jumpcloud_never_creates_an_empty_group() -> None:
    flow = sync_group(load_profile("jumpcloud"), WantGroup("g", "Empty", {"displayName": "Empty"}))
    next(flow)
    try:
        flow.send(reply(200, EMPTY))
    except StopIteration as stop:
        assert stop.value.status == "skipped"
    else:
        raise AssertionError("no POST expected")


def test_entra_probe_404_quarantines_and_jumpcloud_reads_it_as_a_miss() -> None:
    flow = provision_user(load_profile("entra"), WANT)
    next(flow)
    try:
        flow.send(reply(404, {"detail": "no"}))
    except StopIteration as stop:
        assert stop.value.status == "failure" and stop.value.quarantine
    flow = provision_user(load_profile("jumpcloud"), WANT)
    next(flow)
    assert flow.send(reply(404, {"detail": "no"})).method == "POST"


def test_409_escrows_for_entra_and_relooks_for_jumpcloud() -> None:
    flow = provision_user(load_profile("entra"), WANT)
    next(flow)
    flow.send(reply(200, EMPTY))
    try:
        flow.send(reply(409, {"detail": "exists"}))
    except StopIteration as stop:
        assert stop.value.escrow and "409" in stop.value.reason
    flow = provision_user(load_profile("jumpcloud"), WANT)
    next(flow)
    flow.send(reply(200, EMPTY))
    again = flow.send(reply(409, {"detail": "exists"}))
    assert again.method == "GET" and again.path == "/Users"
    assert flow.send(found(ON_TARGET)).method == "PATCH"


def test_jumpcloud_test_connection_writes_then_deletes() -> None:
    flow = connection_test(load_profile("jumpcloud"), "guid-1")
    seen = [next(flow)]
    answers = [reply(200, EMPTY), reply(201, {"id": "u"}), reply(201, {"id": "g"}), reply(204), reply(204)]
    try:
        for answer in answers:
            seen.append(flow.send(answer))
    except StopIteration as stop:
        assert stop.value[0] is True
    assert [(r.method, r.path) for r in seen] == [
        ("GET", "/Users"), ("POST", "/Users"), ("POST", "/Groups"), ("DELETE", "/Groups/g"), ("DELETE", "/Users/u")]


def test_jumpcloud_test_user_is_deactivated_when_delete_is_refused() -> None:
    flow = connection_test(load_profile("jumpcloud", manage_groups=False), "guid-1")
    next(flow)
    assert flow.send(reply(200, EMPTY)).method == "POST"
    assert flow.send(reply(201, {"id": "u"})).method == "DELETE"
    patch = flow.send(reply(405))
    assert patch.json["Operations"] == [{"op": "replace", "path": "active", "value": False}]
    try:
        flow.send(reply(200, {"id": "u"}))
    except StopIteration as stop:
        assert stop.value[0] is True and "left behind" in stop.value[2][-1]


def test_entra_test_connection_fails_on_404() -> None:
    flow = connection_test(load_profile("entra"), "guid-1")
    probe = next(flow)
    assert probe.params == (("filter", 'userName eq "guid-1"'),)
    try:
        flow.send(reply(404))
    except StopIteration as stop:
        ok, reason, _ = stop.value
        assert not ok and "404" in reason and "empty ListResponse" in reason


def test_legacy_roles_patch_sends_each_role_as_json_text() -> None:
    from harness.idp.requests import Change, patch_ops
    from harness.idp.roles import app_role_id, role_entries

    roles = role_entries(["Admin", "User"])
    legacy = patch_ops(load_profile("entra-legacy"), [Change("roles", None, roles)])
    # E6: {"op":"Add","path":"roles","value":[{"value":"{\"id\":…,\"value\":…,\"displayName\":…}"}]}, no type
    assert [(op["op"], op["path"]) for op in legacy] == [("Add", "roles")]
    assert [json.loads(item["value"]) for item in legacy[0]["value"]] == [
        {"id": app_role_id(r), "value": r, "displayName": r} for r in ("Admin", "User")]
    assert app_role_id("Admin") == app_role_id("Admin") != app_role_id("User")
    replaced = patch_ops(load_profile("entra-legacy"), [Change("roles", roles[:1], roles)])
    assert replaced[0]["op"] == "Replace"  # the target held roles: Replace (E2)
    flag = patch_ops(load_profile("entra"), [Change("roles", None, roles)])
    assert flag == [{"op": "replace", "value": {"roles": roles}}]  # the POST's form (E6, with the flag)
