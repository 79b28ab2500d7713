"""JumpCloud readiness: what JumpCloud's SCIM push sends (idp-behaviors.md §2, sources J1-J18).

Every request is built from the JumpCloud profile (harness/idp/profiles/jumpcloud.toml). Its
exact bodies are mostly [unconfirmed] (third-party fixtures J14, J15): checks resting on those
forms are SHOULD and their failures say "this form is unconfirmed".
"""

from __future__ import annotations

from typing import Any

from harness.checks import OMIT, CheckContext, CheckFailed
from scenarios.conformance.common import expect_deleted, group_with_members, unless_deleted
from scenarios.readiness.common import (
    JUMPCLOUD,
    Change,
    build,
    find,
    free_strings,
    group_path,
    idp_check,
    members,
    read_back,
    send,
    send_patch,
    user_declares,
    user_path,
)

AREA = "jumpcloud"
SUITE = ("jumpcloud",)
FORMS = (JUMPCLOUD,)
ACTIVATION = 'JumpCloud cannot activate the integration ("There was a problem activating identity management").'


def _attributes(email: str) -> dict[str, Any]:
    """A user as JumpCloud's default attribute set sends it (J2, J3, J7, J9, J13)."""
    return {"userName": email, "name.givenName": "Jo", "name.familyName": "Li", "displayName": "Jo Li",
            'emails[type eq "work"].value': email, "active": True, "userType": "Employee"}


@idp_check(id="jumpcloud.test-connection", title="Test connection: lookup, create user and group, delete both",
           area=AREA, suites=SUITE, requires=("groups",), tags=("test-connection",), forms=FORMS,
           knobs=("test_connection", "test_user_email", "delete_fallback_statuses"),
           rests_on="JumpCloud test connection (idp-behaviors §2, confirmed J1; request order unconfirmed)",
           fix="Support the whole cycle: userName lookup (empty 200 or 404), POST /Users 201, POST /Groups 201, DELETE both 204.",
           idp_impact=ACTIVATION)
def connection_test_writes_and_deletes(ctx: CheckContext) -> None:
    email = ctx.unique_email("jctest")  # the profile's fixed test email would collide between runs
    with ctx.step("lookup the test email"):
        find(ctx, JUMPCLOUD, "User", email, expect=None)
    with ctx.step("create the test user"):
        user = ctx.expect_resource(send(ctx, JUMPCLOUD, build.connection_user(JUMPCLOUD, email)), 201)
        ctx.created(user_path(ctx, user))
    with ctx.step("create the test group"):
        group = ctx.expect_resource(send(ctx, JUMPCLOUD, build.connection_group(JUMPCLOUD, ctx.unique("jc"))), 201)
        ctx.created(group_path(ctx, group))
    with ctx.step("delete the test group"):
        ctx.expect_status(send(ctx, JUMPCLOUD, build.delete("Group", group["id"])), 204)
        ctx.forget(group_path(ctx, group))
    with ctx.step("delete the test user"):
        ctx.expect_status(send(ctx, JUMPCLOUD, build.delete("User", user["id"])), 204)
        ctx.forget(user_path(ctx, user))
    with ctx.step("the test email is free again"):
        message = "the deleted test user is still found; the next test connection will fail"
        try:
            find(ctx, JUMPCLOUD, "User", email, expect=None, decoy=False, cause="", message=message)
        except CheckFailed:
            unless_deleted(ctx, user_path(ctx, user), message)  # deleted nothing at all: the shared cause
            raise


@idp_check(id="jumpcloud.lookup", title="The userName eq lookup finds the user, and only it; a miss is empty or 404",
           area=AREA, suites=SUITE, forms=FORMS, knobs=("user_probe_filter", "not_found_404_ok"),
           rests_on="JumpCloud lookup before every write (idp-behaviors §2, confirmed J1)",
           fix="Support userName eq; answer a miss with 200 and an empty list (404 is tolerated by JumpCloud).",
           idp_impact="JumpCloud cannot tell create from update: it re-creates existing users and gets 409s, "
                      "or, if the filter is ignored, overwrites another user.")
def lookup_check(ctx: CheckContext) -> None:
    user = ctx.create_user()
    find(ctx, JUMPCLOUD, "User", user["userName"], expect=user["id"])
    find(ctx, JUMPCLOUD, "User", ctx.unique_email("absent"), expect=None, decoy=False)


@idp_check(id="jumpcloud.create-user", title="JumpCloud's create body (computed displayName, primary email, userType) answers 201",
           area=AREA, suites=SUITE, forms=FORMS, knobs=("default_mapping",),
           rests_on="JumpCloud create (idp-behaviors §2, confirmed J1, J2, J3, J7, J9, J13)",
           fix="Accept the full core User with userType and a primary email; answer 201 with the id.",
           idp_impact="No user bound to the app in JumpCloud is ever created.")
def create_user(ctx: CheckContext) -> None:
    # A plain attribute the target does not declare is not in the vendor's JumpCloud mapping:
    # JumpCloud does not send it, and nothing is read back for it.
    attributes = {k: v for k, v in _attributes(ctx.unique_email("jc")).items()
                  if "." in k or "[" in k or user_declares(ctx, k)}
    ex = send(ctx, JUMPCLOUD, build.create_user(JUMPCLOUD, attributes))
    created = ctx.expect_resource(ex, 201)
    ctx.created(user_path(ctx, created))
    stored, got = read_back(ctx, user_path(ctx, created))
    wanted = {k: attributes[k] for k in ("userType", "displayName") if k in attributes}
    seen = {k: stored.get(k) for k in wanted}
    ctx.expect(seen == wanted, wanted, seen, got)


@idp_check(id="jumpcloud.pathed-replace", title="Updates: one lower-case pathed replace per attribute are applied",
           area=AREA, suites=SUITE, forms=FORMS, knobs=("update_form", "op_case"),
           rests_on="JumpCloud update (idp-behaviors §2, J14)",
           fix="Apply replace ops with paths (title, name.familyName).",
           idp_impact="Attribute changes in JumpCloud never reach the app.")
def pathed_replace(ctx: CheckContext) -> None:
    attr = free_strings(ctx, "title")[0]  # the same form on an attribute the target declares
    user = ctx.create_user(**{attr: OMIT})
    changes = [Change(attr, None, "Lead"), Change("name.familyName", "User", "Smith")]
    send_patch(ctx, JUMPCLOUD, build.update_user(JUMPCLOUD, user["id"], changes), what="JumpCloud's update PATCH")
    body, ex = read_back(ctx, user_path(ctx, user))
    ctx.expect((body.get(attr), (body.get("name") or {}).get("familyName")) == ("Lead", "Smith"),
               {attr: "Lead", "familyName": "Smith"}, [body.get(attr), (body.get("name") or {}).get("familyName")], ex)


@idp_check(id="jumpcloud.deprovision", title="Deprovision: replace path active false deactivates the user",
           area=AREA, suites=SUITE, tags=("deprovision",), forms=FORMS, knobs=("deactivate_form",),
           rests_on="JumpCloud user_deprovision (idp-behaviors §2, confirmed J1; body J14)",
           fix="Apply replace active false.",
           idp_impact="Suspended JumpCloud users (or users with an expired password) keep access to the app.")
def deprovision(ctx: CheckContext) -> None:
    user = ctx.create_user()
    send_patch(ctx, JUMPCLOUD, build.set_active(JUMPCLOUD, user["id"], False), what="replace active false")
    body, ex = read_back(ctx, user_path(ctx, user))
    ctx.expect(body.get("active") is False, False, body.get("active"), ex)


@idp_check(id="jumpcloud.group-create-then-members", title="A group is POSTed once it has a member, then its members are added",
           area=AREA, suites=SUITE, requires=("groups",), forms=FORMS,
           knobs=("create_empty_groups", "group_create_with_members"),
           rests_on="JumpCloud groups: never empty, created once they have a member (idp-behaviors §2, confirmed J2)",
           fix="Accept the group POST, then add path members with a value list.",
           idp_impact="Groups from JumpCloud arrive empty in the app; access by group fails.")
def group_create_then_members(ctx: CheckContext) -> None:
    user = ctx.create_user()
    ex = send(ctx, JUMPCLOUD, build.create_group(JUMPCLOUD, {"displayName": ctx.unique("jcg")}, [user["id"]]))
    group = ctx.expect_resource(ex, 201)
    ctx.created(group_path(ctx, group))
    if user["id"] not in members(group):  # the profile sends members after the POST, not in it
        for request in build.member_patches(JUMPCLOUD, group["id"], add=[user["id"]]):
            send_patch(ctx, JUMPCLOUD, request, what="add members")
    body, ex = read_back(ctx, group_path(ctx, group))
    ctx.expect(members(body) == {user["id"]}, [user["id"]], sorted(members(body)), ex)


@idp_check(id="jumpcloud.member-add", title="Member add: path members with a value list and no display",
           area=AREA, suites=SUITE, requires=("groups",), forms=FORMS, knobs=("member_display", "member_ref_null"),
           rests_on="JumpCloud membership (idp-behaviors §2, J14, J15)",
           fix="Accept member values without display; look the display up yourself if you need it.",
           idp_impact="New group members in JumpCloud never reach the app.")
def member_add(ctx: CheckContext) -> None:
    u1, u2 = ctx.create_user(), ctx.create_user()
    group = group_with_members(ctx, [u1])
    for request in build.member_patches(JUMPCLOUD, group["id"], add=[u2["id"]]):
        send_patch(ctx, JUMPCLOUD, request, what="add members")
    body, ex = read_back(ctx, group_path(ctx, group))
    ctx.expect(members(body) == {u1["id"], u2["id"]}, sorted([u1["id"], u2["id"]]), sorted(members(body)), ex)


@idp_check(id="jumpcloud.member-remove-value-list", title="Member remove: path members with a value list removes only those",
           area=AREA, suites=SUITE, requires=("groups",), forms=FORMS, knobs=("member_remove_form",),
           rests_on="JumpCloud membership (idp-behaviors §2, J14, J15)",
           fix="For remove path 'members' with a value list, remove only the listed members, never the whole group.",
           idp_impact="Removing one user from a JumpCloud group empties the group in the app.")
def member_remove(ctx: CheckContext) -> None:
    users = [ctx.create_user() for _ in range(3)]
    group = group_with_members(ctx, users)
    for request in build.member_patches(JUMPCLOUD, group["id"], remove=[users[0]["id"]]):
        send_patch(ctx, JUMPCLOUD, request, what="remove members with a value list")
    body, ex = read_back(ctx, group_path(ctx, group))
    ctx.expect(members(body) == {users[1]["id"], users[2]["id"]}, sorted([users[1]["id"], users[2]["id"]]),
               sorted(members(body)), ex, message="the remove did not remove exactly the listed member")


@idp_check(id="jumpcloud.group-lookup-and-rename", title="A group is found by displayName eq and renamed by replace displayName",
           area=AREA, suites=SUITE, requires=("groups",), forms=FORMS, knobs=("group_probe_filter", "group_rename_form"),
           rests_on="JumpCloud groups: same-name adoption and renames (idp-behaviors §2, confirmed J2)",
           fix="Support displayName eq on Groups and PATCH replace displayName.",
           idp_impact="JumpCloud creates a duplicate group instead of adopting the existing one, and renames are lost.")
def group_lookup_rename(ctx: CheckContext) -> None:
    group = ctx.create_group()
    find(ctx, JUMPCLOUD, "Group", group["displayName"], expect=group["id"])
    new = ctx.unique("renamed")
    send_patch(ctx, JUMPCLOUD, build.update_group(JUMPCLOUD, group["id"], [Change("displayName", group["displayName"], new)]),
               what="replace displayName")
    got, ex = read_back(ctx, group_path(ctx, group))
    ctx.expect(got.get("displayName") == new, new, got.get("displayName"), ex)


@idp_check(id="jumpcloud.user-delete", title="DELETE /Users/{id} answers 204 and the user is gone from lookups",
           area=AREA, suites=SUITE, tags=("deprovision",), forms=FORMS, knobs=("delete_user_on_hard_delete",),
           rests_on="JumpCloud user_delete_provision (idp-behaviors §2, confirmed J1); RFC 7644 §3.6",
           fix="Delete on DELETE: 204, then 404 on GET and no match in filters.",
           idp_impact="Users deleted in JumpCloud stay in the app and block re-creation.")
def user_delete(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = user_path(ctx, user)
    ctx.expect_status(send(ctx, JUMPCLOUD, build.delete("User", user["id"])), 204)
    ctx.forget(path)
    expect_deleted(ctx, path)
    find(ctx, JUMPCLOUD, "User", user["userName"], expect=None, cause="", message="the deleted user is still listed")
