"""JumpCloud readiness: what JumpCloud's SCIM push sends (idp-behaviors.md §2, sources J1-J18).

JumpCloud's exact request bodies are mostly [unconfirmed] (third-party fixtures J14, J15);
checks resting on them are SHOULD and say so.
"""

from __future__ import annotations

from typing import Any

from harness.checks import CheckContext, check
from harness.recorder import Exchange
from harness.results import Level

from scenarios.readiness.common import CORE_GROUP, CORE_USER, eq_query, expect_lookup_miss, lookup, ids_of, members, read_back, send_patch

AREA = "jumpcloud"
SUITE = ("jumpcloud",)
ACTIVATION = 'JumpCloud cannot activate the integration ("There was a problem activating identity management").'


def _lookup_email(ctx: CheckContext, email: str) -> tuple[Exchange, dict[str, Any] | None]:
    return lookup(ctx, ctx.users, eq_query("userName", email, safe=""))


@check(id="jumpcloud.test-connection", title="Test connection: lookup, create user and group, delete both",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("groups",), tags=("test-connection",),
       rests_on="JumpCloud test connection (idp-behaviors §2, confirmed J1; request order unconfirmed)",
       fix="Support the whole cycle: userName lookup (empty 200 or 404), POST /Users 201, POST /Groups 201, DELETE both 204.",
       idp_impact=ACTIVATION)
def test_connection(ctx: CheckContext) -> None:
    email = ctx.unique_email("jctest")
    with ctx.step("lookup the test email"):
        ex, body = _lookup_email(ctx, email)
        expect_lookup_miss(ctx, ex, body)
    with ctx.step("create the test user"):
        ex = ctx.post(ctx.users, ctx.user_body(userName=email))
        user = ctx.expect_resource(ex, 201)
        ctx.created(f"{ctx.users}/{user['id']}")
    with ctx.step("create the test group"):
        ex = ctx.post(ctx.groups, {"schemas": [CORE_GROUP], "displayName": ctx.unique("jcgroup"),
                                   "members": [{"value": user["id"]}]})
        group = ctx.expect_resource(ex, 201)
        ctx.created(f"{ctx.groups}/{group['id']}")
    with ctx.step("delete the test group"):
        ctx.expect_status(ctx.delete(f"{ctx.groups}/{group['id']}"), 204)
        ctx.forget(f"{ctx.groups}/{group['id']}")
    with ctx.step("delete the test user"):
        ctx.expect_status(ctx.delete(f"{ctx.users}/{user['id']}"), 204)
        ctx.forget(f"{ctx.users}/{user['id']}")
    with ctx.step("the test email is free again"):
        ex, body = _lookup_email(ctx, email)
        ctx.expect(ex.status == 404 or (ex.status == 200 and not ids_of(body)), "no user left", ids_of(body), ex,
                   message="the deleted test user is still found; the next test connection will fail")


@check(id="jumpcloud.lookup", title="The userName eq lookup (fully percent-encoded) finds the user, and a miss is empty or 404",
       area=AREA, level=Level.SHOULD, suites=SUITE, requires=("filter",),
       rests_on="JumpCloud lookup before every write (idp-behaviors §2, confirmed J1; filter form unconfirmed)",
       fix="Support userName eq; answer a miss with 200 and an empty list (404 is tolerated by JumpCloud).",
       idp_impact="JumpCloud cannot tell create from update: it re-creates existing users and gets 409s (filter form unconfirmed).")
def lookup_check(ctx: CheckContext) -> None:
    user = ctx.create_user()
    ctx.create_user()  # a second user: a lookup that ignores the filter would return both
    ex, body = _lookup_email(ctx, user["userName"])
    ctx.expect(ex.status == 200 and ids_of(body) == [user["id"]], [user["id"]], ids_of(body) if body else ex.status, ex)
    ex, body = _lookup_email(ctx, ctx.unique_email("absent"))
    expect_lookup_miss(ctx, ex, body)


@check(id="jumpcloud.create-user", title="JumpCloud's create body (computed displayName, primary email, userType) answers 201",
       area=AREA, level=Level.MUST, suites=SUITE,
       rests_on="JumpCloud create (idp-behaviors §2, confirmed J1, J2, J3, J7, J9, J13)",
       fix="Accept the full core User with userType and a primary email; answer 201 with the id.",
       idp_impact="No user bound to the app in JumpCloud is ever created.")
def create_user(ctx: CheckContext) -> None:
    email = ctx.unique_email("jc")
    body = {"schemas": [CORE_USER], "userName": email, "displayName": "Jo Li", "active": True, "userType": "Employee",
            "name": {"givenName": "Jo", "familyName": "Li"}, "emails": [{"value": email, "type": "work", "primary": True}]}
    ex = ctx.post(ctx.users, body)
    created = ctx.expect_resource(ex, 201)
    ctx.created(f"{ctx.users}/{created['id']}")
    stored, got = read_back(ctx, f"{ctx.users}/{created['id']}")
    ctx.expect(stored.get("userType") == "Employee" and stored.get("displayName") == "Jo Li",
               {"userType": "Employee", "displayName": "Jo Li"},
               {"userType": stored.get("userType"), "displayName": stored.get("displayName")}, got)


@check(id="jumpcloud.pathed-replace", title="Updates: one lower-case pathed replace per attribute are applied",
       area=AREA, level=Level.SHOULD, suites=SUITE, requires=("patch",),
       rests_on="JumpCloud update (idp-behaviors §2; body unconfirmed, J14)",
       fix="Apply replace ops with paths (title, name.familyName).",
       idp_impact="Attribute changes in JumpCloud never reach the app (body form unconfirmed).")
def pathed_replace(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = f"{ctx.users}/{user['id']}"
    send_patch(ctx, path, {"op": "replace", "path": "title", "value": "Lead"},
               {"op": "replace", "path": "name.familyName", "value": "Smith"}, what="JumpCloud's update PATCH")
    body, ex = read_back(ctx, path)
    ctx.expect((body.get("title"), (body.get("name") or {}).get("familyName")) == ("Lead", "Smith"), ["Lead", "Smith"],
               [body.get("title"), (body.get("name") or {}).get("familyName")], ex)


@check(id="jumpcloud.deprovision", title="Deprovision: replace path active false deactivates the user",
       area=AREA, level=Level.SHOULD, suites=SUITE, requires=("patch",), tags=("deprovision",),
       rests_on="JumpCloud user_deprovision (idp-behaviors §2, confirmed J1; body unconfirmed, J14)",
       fix="Apply replace active false.",
       idp_impact="Suspended JumpCloud users (or users with an expired password) keep access to the app.")
def deprovision(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = f"{ctx.users}/{user['id']}"
    send_patch(ctx, path, {"op": "replace", "path": "active", "value": False}, what="replace active false")
    body, ex = read_back(ctx, path)
    ctx.expect(body.get("active") is False, False, body.get("active"), ex)


@check(id="jumpcloud.group-create-with-members", title="A group arrives with its members in the POST",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("groups",),
       rests_on="JumpCloud groups: never empty, POSTed once it has a member (idp-behaviors §2, confirmed J2)",
       fix="Accept members in the group POST and store them.",
       idp_impact="Groups from JumpCloud arrive empty in the app; access by group fails.")
def group_create(ctx: CheckContext) -> None:
    user = ctx.create_user()
    group = ctx.create_group(members=[{"value": user["id"]}])
    body, ex = read_back(ctx, f"{ctx.groups}/{group['id']}")
    ctx.expect(members(body) == {user["id"]}, [user["id"]], sorted(members(body)), ex)


@check(id="jumpcloud.member-add", title="Member add: path members with a value list and no display",
       area=AREA, level=Level.SHOULD, suites=SUITE, requires=("groups", "patch"),
       rests_on="JumpCloud membership (idp-behaviors §2; body unconfirmed, J14, J15)",
       fix="Accept member values without display; look the display up yourself if you need it.",
       idp_impact="New group members in JumpCloud never reach the app (body form unconfirmed).")
def member_add(ctx: CheckContext) -> None:
    u1, u2 = ctx.create_user(), ctx.create_user()
    group = ctx.create_group(members=[{"value": u1["id"]}])
    path = f"{ctx.groups}/{group['id']}"
    send_patch(ctx, path, {"op": "add", "path": "members", "value": [{"value": u2["id"]}]}, what="add members")
    body, ex = read_back(ctx, path)
    ctx.expect(members(body) == {u1["id"], u2["id"]}, sorted([u1["id"], u2["id"]]), sorted(members(body)), ex)


@check(id="jumpcloud.member-remove-value-list", title="Member remove: path members with a value list removes only those",
       area=AREA, level=Level.SHOULD, suites=SUITE, requires=("groups", "patch"),
       rests_on="JumpCloud membership (idp-behaviors §2; body unconfirmed, J14, J15)",
       fix="For remove path 'members' with a value list, remove only the listed members, never the whole group.",
       idp_impact="Removing one user from a JumpCloud group empties the group in the app (body form unconfirmed).")
def member_remove(ctx: CheckContext) -> None:
    users = [ctx.create_user() for _ in range(3)]
    group = ctx.create_group(members=[{"value": u["id"]} for u in users])
    path = f"{ctx.groups}/{group['id']}"
    send_patch(ctx, path, {"op": "remove", "path": "members", "value": [{"value": users[0]["id"]}]},
               what="remove members with a value list")
    body, ex = read_back(ctx, path)
    ctx.expect(members(body) == {users[1]["id"], users[2]["id"]}, sorted([users[1]["id"], users[2]["id"]]),
               sorted(members(body)), ex, message="the remove did not remove exactly the listed member")


@check(id="jumpcloud.group-lookup-and-rename", title="A group is found by displayName eq and renamed by replace displayName",
       area=AREA, level=Level.SHOULD, suites=SUITE, requires=("groups", "filter", "patch"),
       rests_on="JumpCloud groups: same-name adoption and renames (idp-behaviors §2, confirmed J2; forms unconfirmed)",
       fix="Support displayName eq on Groups and PATCH replace displayName.",
       idp_impact="JumpCloud creates a duplicate group instead of adopting the existing one, and renames are lost.")
def group_lookup_rename(ctx: CheckContext) -> None:
    group = ctx.create_group()
    ctx.create_group()  # a second group: a lookup that ignores the filter would return both
    ex, body = lookup(ctx, ctx.groups, eq_query("displayName", group["displayName"], safe=""))
    ctx.expect(ex.status == 200 and ids_of(body) == [group["id"]], [group["id"]], ids_of(body) if body else ex.status, ex)
    path = f"{ctx.groups}/{group['id']}"
    new = ctx.unique("renamed")
    send_patch(ctx, path, {"op": "replace", "path": "displayName", "value": new}, what="replace displayName")
    got, ex = read_back(ctx, path)
    ctx.expect(got.get("displayName") == new, new, got.get("displayName"), ex)


@check(id="jumpcloud.user-delete", title="DELETE /Users/{id} answers 204 and the user is gone from lookups",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("filter",), tags=("deprovision",),
       rests_on="JumpCloud user_delete_provision (idp-behaviors §2, confirmed J1); RFC 7644 §3.6",
       fix="Delete on DELETE: 204, then 404 on GET and no match in filters.",
       idp_impact="Users deleted in JumpCloud stay in the app and block re-creation.")
def user_delete(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = f"{ctx.users}/{user['id']}"
    ctx.expect_status(ctx.delete(path), 204)
    ctx.forget(path)
    ctx.expect_status(ctx.get(path), 404, message="GET after DELETE did not answer 404")
    ex, body = _lookup_email(ctx, user["userName"])
    ctx.expect(ex.status == 404 or not ids_of(body), "no match", ids_of(body), ex, message="the deleted user is still listed")
