"""Delete: DELETE /{type}/{id} (RFC 7644 §3.6)."""

from __future__ import annotations

from typing import Any

from harness.checks import PATCH_URN, CheckContext, CouldNotJudge, check

from scenarios.conformance._probes import expect_filter_applied, plant_decoy
from scenarios.conformance.common import MEMBERS_DROPPED, expect_deleted, post_and_track, unless_deleted
from harness.results import Level
from scenarios.conformance.rfc_text import QUOTES

AREA = "delete"


def _delete(ctx: CheckContext, endpoint: str, resource: dict[str, Any]) -> Any:
    path = f"{endpoint}/{resource['id']}"
    ex = ctx.delete(path)
    if ex.status in (200, 204):
        ctx.forget(path)
    return ex


@check(id="delete.204-no-body", quote=QUOTES["delete.204-no-body"], title="A successful DELETE answers 204 with no body",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.6", checklist=("DEL-01",),
       fix="Answer a successful DELETE with 204 No Content and an empty body.",
       idp_impact="JumpCloud and Entra treat anything but 204 as a failed delete and retry.")
def delete_204(ctx: CheckContext) -> None:
    ex = _delete(ctx, ctx.users, ctx.create_user())
    ctx.expect_status(ex, 204)
    ctx.expect(not (ex.response_body or "").strip(), "an empty body", ex.response_body, ex)


@check(id="delete.gone-afterwards", quote=QUOTES["delete.gone-afterwards"], title="After DELETE, GET, PUT, PATCH and DELETE on the id answer 404",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.6", checklist=("DEL-02",),
       fix="Make a deleted resource unreachable: every operation on its id answers 404, even with soft delete.")
def gone_afterwards(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = f"{ctx.users}/{user['id']}"
    ctx.expect_status(_delete(ctx, ctx.users, user), 200, 204)
    expect_deleted(ctx, path)
    ctx.expect_status(ctx.put(path, ctx.user_body(userName=user["userName"])), 404,
                      message="PUT after DELETE did not answer 404")
    if ctx.discovery.supports("patch") is not False:
        ex = ctx.patch(path, {"schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": "displayName", "value": "x"}]})
        ctx.expect_status(ex, 404, message="PATCH after DELETE did not answer 404")
    ctx.expect_status(ctx.delete(path), 404, message="a second DELETE did not answer 404")


@check(id="delete.not-listed", quote=QUOTES["delete.not-listed"], title="A deleted user is left out of query results",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.6", checklist=("DEL-03",), requires=("filter",),
       fix="Exclude deleted (or soft-deleted) resources from every list and filter result.",
       idp_impact="An IdP that finds a deleted user by userName PATCHes it instead of creating it, and fails.")
def not_listed(ctx: CheckContext) -> None:
    user = ctx.create_user()
    ctx.expect_status(_delete(ctx, ctx.users, user), 200, 204)
    flt = f'userName eq "{user["userName"]}"'
    decoy = plant_decoy(ctx, ctx.users)
    ex = ctx.get(ctx.users, params={"filter": flt})
    body = ctx.expect_list_response(ex)
    expect_filter_applied(ctx, flt, body, ex, decoy, ctx.users)
    ids = [r.get("id") for r in body.get("Resources") or [] if isinstance(r, dict)]
    if user["id"] in ids:
        unless_deleted(ctx, f"{ctx.users}/{user['id']}", "the deleted user is still listed")
    ctx.expect(user["id"] not in ids and body.get("totalResults") == 0, "totalResults 0",
               {"totalResults": body.get("totalResults"), "ids": ids}, ex,
               message="the deleted user is still listed")


@check(id="delete.uniqueness-released", quote=QUOTES["delete.uniqueness-released"], title="A deleted user's userName can be used again",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.6", checklist=("DEL-04",),
       fix="Release unique values when a resource is deleted (exclude soft-deleted rows from unique indexes).",
       idp_impact="A re-hired employee can never be provisioned again.")
def uniqueness_released(ctx: CheckContext) -> None:
    user = ctx.create_user()
    ctx.expect_status(_delete(ctx, ctx.users, user), 200, 204)
    ex = post_and_track(ctx, ctx.users, ctx.user_body(userName=user["userName"]))
    if ex.status == 409:  # right for a user that still exists: was it deleted at all?
        unless_deleted(ctx, f"{ctx.users}/{user['id']}", "re-creating a deleted userName answered 409", subject=False)
    ctx.expect_status(ex, 201, message=f"re-creating a deleted userName answered {ex.status}")


@check(id="delete.user-leaves-groups", quote=QUOTES["delete.user-leaves-groups"], title="Deleting a user removes it from groups' members",
       area=AREA, level=Level.MAY, rests_on="RFC 7643 §2.3.7, §4.2", checklist=("DEL-05",), requires=("groups",),
       fix="On user delete, remove the user from every group's members (references must resolve).")
def user_leaves_groups(ctx: CheckContext) -> None:
    user = ctx.create_user()
    group = ctx.create_group(members=[{"value": user["id"]}])
    if user["id"] not in [m.get("value") for m in group.get("members") or [] if isinstance(m, dict)]:
        raise CouldNotJudge("not judged: the group created with the user as a member does not list it (judged by "
                            f"{MEMBERS_DROPPED})", cause=MEMBERS_DROPPED)
    ctx.expect_status(_delete(ctx, ctx.users, user), 200, 204)
    ex = ctx.get(f"{ctx.groups}/{group['id']}")
    body = ctx.expect_resource(ex, 200)
    values = [m.get("value") for m in body.get("members") or [] if isinstance(m, dict)]
    if user["id"] in values:  # a member that was never deleted is no dangling reference
        unless_deleted(ctx, f"{ctx.users}/{user['id']}", "the group still lists the deleted user", subject=False)
    ctx.expect(user["id"] not in values, "the deleted user no longer a member", values, ex,
               message="the group still lists the deleted user")
