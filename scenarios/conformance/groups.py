"""Groups and members (RFC 7643 §4.2, §4.1.2; RFC 7644 §3.5.2, §3.4.2.5)."""

from __future__ import annotations

from harness.checks import CheckContext, check
from harness.results import Level

from scenarios.conformance._probes import accept_refusal, member_ids, patch_ok, resource_path, read_back, values_of
from scenarios.conformance.common import skip_unless_user_groups, expect_error, expect_projected, group_with_members, random_id
from scenarios.conformance.rfc_text import QUOTES

AREA = "groups"


@check(id="groups.members-round-trip", quote=QUOTES["groups.members-round-trip"], title="A group created with members lists them with value, type and $ref",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §4.2", checklist=("GRP-01",), requires=("groups",),
       fix="Store members (value = member id) and return them with value, type and $ref (display accepted).")
def members_round_trip(ctx: CheckContext) -> None:
    u1, u2 = ctx.create_user(), ctx.create_user()
    group = ctx.create_group(members=[{"value": u1["id"], "type": "User", "display": "One"},
                                      {"value": u2["id"], "type": "User"}])
    body, ex = read_back(ctx, resource_path(ctx.groups, group))
    ctx.expect(member_ids(body) == {u1["id"], u2["id"]}, sorted([u1["id"], u2["id"]]), sorted(member_ids(body)), ex)
    ctx.expect(body.get("displayName") == group["displayName"], group["displayName"], body.get("displayName"), ex)


@check(id="groups.unknown-member", quote=QUOTES["groups.unknown-member"], title="An unknown member id is refused with 400 invalidValue or accepted, never 5xx",
       area=AREA, level=Level.MAY, rests_on="RFC 7643 §2.3.7, §4.2", checklist=("GRP-02",), requires=("groups", "patch"),
       fix="Either enforce referential integrity (400 invalidValue) or accept the id; never fail with 5xx.")
def unknown_member(ctx: CheckContext) -> None:
    group = ctx.create_group()
    ex = ctx.patch_op(resource_path(ctx.groups, group), {"op": "add", "path": "members", "value": [{"value": random_id()}]})
    ctx.expect_answer(ex)
    if ex.status == 400:
        expect_error(ctx, ex, 400, scim_type="invalidValue")
        ctx.note("the target enforces referential integrity on members")
        return
    ctx.expect_status(ex, 200, 204, message=f"adding an unknown member answered {ex.status}")
    ctx.note("the target accepts unknown member ids")


@check(id="groups.member-value-immutable", quote=QUOTES["groups.member-value-immutable"], title="A member's value cannot be edited in place",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §4.2, §8.7.1 (members.value immutable)", checklist=("GRP-03",),
       requires=("groups", "patch"),
       fix="Refuse replace on members[...].value with 400 mutability; members are added and removed.")
def member_immutable(ctx: CheckContext) -> None:
    u1, u2 = ctx.create_user(), ctx.create_user()
    group = group_with_members(ctx, [u1])  # else not judged: nothing to edit
    path = resource_path(ctx.groups, group)
    ex = ctx.patch_op(path, {"op": "replace", "path": f'members[value eq "{u1["id"]}"].value', "value": u2["id"]})
    accept_refusal(ctx, ex, 400, scim_type="mutability")
    body, got = read_back(ctx, path)
    ctx.expect(member_ids(body) == {u1["id"]}, [u1["id"]], sorted(member_ids(body)), got)


@check(id="groups.user-groups-readonly", quote=QUOTES["groups.user-groups-readonly"], title="Writing User.groups changes no membership",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §4.1.2 (groups readOnly)", checklist=("GRP-04",),
       requires=("groups", "patch"),
       fix="Ignore or refuse (400 mutability) writes to User.groups; membership changes go through the Group.")
def user_groups_readonly(ctx: CheckContext) -> None:
    user, group = ctx.create_user(), ctx.create_group()
    ex = ctx.patch_op(resource_path(ctx.users, user), {"op": "add", "path": "groups", "value": [{"value": group["id"]}]})
    ctx.expect_answer(ex)
    if ex.status in (400, 501):
        accept_refusal(ctx, ex, 400, scim_type="mutability")
    else:
        ctx.expect_status(ex, 200, 204)
    body, got = read_back(ctx, resource_path(ctx.groups, group))
    ctx.expect(user["id"] not in member_ids(body), "the group without the user", sorted(member_ids(body)), got,
               message="writing User.groups made the user a member")


@check(id="groups.user-groups-derived", quote=QUOTES["groups.user-groups-derived"], title="A user's groups lists the groups it was created into",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §4.1.2", checklist=("GRP-04",), requires=("groups",),
       fix="Derive User.groups (value, display, type direct) from group membership.")
def user_groups_derived(ctx: CheckContext) -> None:
    skip_unless_user_groups(ctx)
    user = ctx.create_user()
    group = group_with_members(ctx, [user])  # else not judged: the user belongs to no group
    body, ex = read_back(ctx, resource_path(ctx.users, user))
    ctx.expect(group["id"] in values_of(body, "groups"), f"groups with {group['id']}", body.get("groups"), ex)


@check(id="groups.excluded-members", quote=QUOTES["groups.excluded-members"], title="excludedAttributes=members leaves members out of group answers",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.5", checklist=("GRP-06",), requires=("groups",),
       fix="Honour excludedAttributes=members on GET /Groups and /Groups/{id}.",
       idp_impact="Entra ID reads groups with excludedAttributes=members; large groups then time out.")
def excluded_members(ctx: CheckContext) -> None:
    user = ctx.create_user()
    group = ctx.create_group(members=[{"value": user["id"]}])
    body, ex = read_back(ctx, resource_path(ctx.groups, group), params={"excludedAttributes": "members"})
    expect_projected(ctx, "members" not in body, "no members", sorted(body), ex, "GET /Groups/{id} still returned members")
    ctx.expect(body.get("displayName") == group["displayName"], group["displayName"], body.get("displayName"), ex)


@check(id="groups.patch-member-batch", quote=QUOTES["groups.patch-member-batch"], title="One PATCH adds several members; another removes one",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.5.2.1, §3.5.2.2", checklist=("GRP-06", "PATCH-08"),
       requires=("groups", "patch"), fix="Change group membership incrementally with PATCH, without a full PUT.",
       idp_impact="Entra ID adds many members per PATCH (17 at once in one SP's guide).")
def member_batch(ctx: CheckContext) -> None:
    users = [ctx.create_user() for _ in range(3)]
    group = ctx.create_group()
    path = resource_path(ctx.groups, group)
    patch_ok(ctx, path, {"op": "add", "path": "members", "value": [{"value": u["id"]} for u in users]})
    body, ex = read_back(ctx, path)
    ctx.expect(member_ids(body) == {u["id"] for u in users}, sorted(u["id"] for u in users), sorted(member_ids(body)), ex)


@check(id="groups.rename", quote=QUOTES["groups.rename"], title="PATCH replace displayName renames the group and keeps its members",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.5.2.3", checklist=("GRP-01",), requires=("groups", "patch"),
       fix="Apply replace displayName on groups without touching members.")
def rename(ctx: CheckContext) -> None:
    user = ctx.create_user()
    group = ctx.create_group(members=[{"value": user["id"]}])
    path = resource_path(ctx.groups, group)
    new = ctx.unique("renamed")
    patch_ok(ctx, path, {"op": "replace", "path": "displayName", "value": new})
    body, ex = read_back(ctx, path)
    ctx.expect(body.get("displayName") == new and member_ids(body) == {user["id"]},
               {"displayName": new, "members": [user["id"]]},
               {"displayName": body.get("displayName"), "members": sorted(member_ids(body))}, ex)
