"""Okta readiness: what Okta's SCIM client sends (idp-behaviors.md §3, sources O1-O12), plus the
checks every IdP in this suite relies on (``idp.*``, shared by several suites)."""

from __future__ import annotations

from harness.checks import CheckContext, check
from harness.results import Level

from scenarios.readiness.common import CORE_GROUP, eq_query, expect_lookup_miss, random_id, lookup, lookup_ids, ids_of, members, read_back, send_patch

AREA = "okta"
SUITE = ("okta",)
OKTA_CONTENT_TYPE = "application/scim+json; charset=utf-8"


@check(id="okta.test-connection", title="Test connection: GET /Users?startIndex=1&count=2 answers a page of at most 2",
       area=AREA, level=Level.MUST, suites=SUITE, tags=("test-connection",),
       rests_on="Okta test connection (idp-behaviors §3/§6, confirmed O1, O5); RFC 7644 §3.4.2.4",
       fix="Support startIndex/count on GET /Users; answer a ListResponse with at most count resources.",
       idp_impact="Okta's 'Test API Credentials' fails and the app cannot be saved.")
def test_connection(ctx: CheckContext) -> None:
    for _ in range(3):
        ctx.create_user()
    ex = ctx.get(ctx.users, query="startIndex=1&count=2")
    body = ctx.expect_list_response(ex)
    ctx.expect(len(ids_of(body)) <= 2, "at most 2 resources", len(ids_of(body)), ex,
               message=f"count=2 returned {len(ids_of(body))} resources")
    ctx.expect(isinstance(body.get("totalResults"), int) and body["totalResults"] >= 3, "totalResults >= 3",
               body.get("totalResults"), ex)


@check(id="okta.groups-test-connection", title="GET /Groups?startIndex=1&count=100 answers a ListResponse",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("groups",), tags=("test-connection",),
       rests_on="Okta test connection and group import (idp-behaviors §6, O1)",
       fix="Serve GET /Groups with paging parameters.",
       idp_impact="Okta cannot import or push groups.")
def groups_test_connection(ctx: CheckContext) -> None:
    group = ctx.create_group()
    ex = ctx.get(ctx.groups, query="startIndex=1&count=100")
    body = ctx.expect_list_response(ex)
    ctx.expect(len(ids_of(body)) <= 100, "at most 100", len(ids_of(body)), ex)
    ctx.expect(body.get("totalResults", 0) >= 1, "totalResults >= 1", body.get("totalResults"), ex)
    ctx.note(f"group {group['id']} listed among {body.get('totalResults')}")


@check(id="okta.username-lookup", title="userName eq with &startIndex=1&count=100 finds the user; a miss is empty or 404",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("filter",),
       rests_on="Okta user matching (idp-behaviors §3/§6, confirmed O1, O5)",
       fix="Support userName eq combined with startIndex and count.",
       idp_impact="Okta cannot match existing app users on import or push and creates duplicates.")
def username_lookup(ctx: CheckContext) -> None:
    user = ctx.create_user()
    ctx.create_user()  # a decoy: a lookup that ignores the filter would return both
    found, ex = lookup_ids(ctx, ctx.users, eq_query("userName", user["userName"], safe="", extra="startIndex=1&count=100"))
    ctx.expect(found == [user["id"]], [user["id"]], found, ex)
    ex, body = lookup(ctx, ctx.users, eq_query("userName", ctx.unique_email("none"), safe="", extra="startIndex=1&count=100"))
    expect_lookup_miss(ctx, ex, body)


@check(id="okta.create-user", title="Okta's POST with groups:[] and a password answers 201 and never returns the password",
       area=AREA, level=Level.MUST, suites=SUITE,
       rests_on="Okta create (idp-behaviors §6 'always sent', confirmed O1, O5); RFC 7643 §4.1.1 (password returned never)",
       fix="Ignore the readOnly 'groups' on input, accept the writeOnly 'password', never echo it.",
       idp_impact="Every user assigned in Okta fails to provision.")
def create_user(ctx: CheckContext) -> None:
    email = ctx.unique_email("okta")
    body = ctx.user_body(userName=email, externalId=random_id(), locale="en-US", groups=[], password="Okta-Harness-Pw-1!")
    ex = ctx.post(ctx.users, body, content_type=OKTA_CONTENT_TYPE)
    created = ctx.expect_resource(ex, 201)
    ctx.created(f"{ctx.users}/{created['id']}")
    ctx.expect("password" not in created, "no password in the answer", sorted(created), ex,
               message="the answer returns the password")


@check(id="okta.duplicate-409", title="Re-POSTing an existing userName answers 409",
       area=AREA, level=Level.MUST, suites=SUITE,
       rests_on="Okta SCIM 2.0 spec test (idp-behaviors §3, O5); RFC 7644 §3.3",
       fix="Enforce userName uniqueness with 409 uniqueness.",
       idp_impact="Okta creates duplicate accounts instead of reporting the conflict.")
def duplicate(ctx: CheckContext) -> None:
    user = ctx.create_user()
    ex = ctx.post(ctx.users, ctx.user_body(userName=user["userName"]), content_type=OKTA_CONTENT_TYPE)
    again = ex.json_or_none()
    if isinstance(again, dict) and again.get("id") and ex.status in (200, 201):
        ctx.created(f"{ctx.users}/{again['id']}")
    ctx.expect_scim_error(ex, 409, "uniqueness")


@check(id="okta.mixed-case-username", title="A mixed-case userName is kept as sent and found by an upper-case filter",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("filter",),
       rests_on="Okta SCIM 2.0 spec test (idp-behaviors §3, O5); RFC 7643 §4.1.1",
       fix="Store userName as sent; compare it case-insensitively.",
       idp_impact="Okta's spec test fails, and users whose login case changes are duplicated.")
def mixed_case(ctx: CheckContext) -> None:
    name = f"{ctx.unique('Mixed')}@Example.COM"
    user = ctx.create_user(userName=name)
    ctx.create_user()  # a decoy: a lookup that ignores the filter would return both
    ctx.expect(user.get("userName") == name, name, user.get("userName"), None, message="the userName's case was changed")
    found, ex = lookup_ids(ctx, ctx.users, eq_query("userName", name.upper(), safe=""))
    ctx.expect(found == [user["id"]], [user["id"]], found, ex)


@check(id="okta.put-update", title="Profile update: GET the user, PUT it back changed, answers 200 with the change",
       area=AREA, level=Level.MUST, suites=SUITE, tags=("put",),
       rests_on="Okta AIW update: GET then PUT (idp-behaviors §6, confirmed O1)",
       fix="Accept a PUT of the resource as read (with id, meta, groups) and apply the changed values.",
       idp_impact="Profile changes made in Okta never reach the app.")
def put_update(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = f"{ctx.users}/{user['id']}"
    body, _ = read_back(ctx, path)
    body["name"] = {**(body.get("name") or {}), "givenName": "Changed"}
    ex = ctx.put(path, body, content_type=OKTA_CONTENT_TYPE)
    answered = ctx.expect_resource(ex, 200)
    ctx.expect((answered.get("name") or {}).get("givenName") == "Changed", "Changed", answered.get("name"), ex)


@check(id="okta.put-deactivate", title="Deactivation by PUT with active:false keeps the user, inactive",
       area=AREA, level=Level.MUST, suites=SUITE, tags=("put", "deprovision"),
       rests_on="Okta AIW deactivation (idp-behaviors §6, confirmed O1)",
       fix="Apply active:false from a PUT; keep the user readable.",
       idp_impact="Users deactivated or unassigned in Okta keep access to the app.")
def put_deactivate(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = f"{ctx.users}/{user['id']}"
    body, _ = read_back(ctx, path)
    body["active"] = False
    ctx.expect_status(ctx.put(path, body, content_type=OKTA_CONTENT_TYPE), 200)
    got, ex = read_back(ctx, path)
    ctx.expect(got.get("active") is False, False, got.get("active"), ex)


@check(id="okta.pathless-deactivate", title="Deactivation by PATCH {\"op\":\"replace\",\"value\":{\"active\":false}}",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("patch",), tags=("deprovision",),
       rests_on="Okta OIN deactivation (idp-behaviors §6, confirmed O1)",
       fix="Apply a path-less replace whose value holds active:false.",
       idp_impact="Users deactivated in Okta keep access to the app.")
def pathless_deactivate(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = f"{ctx.users}/{user['id']}"
    send_patch(ctx, path, {"op": "replace", "value": {"active": False}}, what="Okta's path-less deactivation",
               content_type=OKTA_CONTENT_TYPE)
    got, ex = read_back(ctx, path)
    ctx.expect(got.get("active") is False and got.get("userName") == user["userName"], "active false, userName kept",
               {"active": got.get("active"), "userName": got.get("userName")}, ex)


@check(id="okta.pathless-reactivate", title="Reactivation by PATCH {\"op\":\"replace\",\"value\":{\"active\":true}}",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("patch",),
       rests_on="Okta reactivation, sent like deactivation (idp-behaviors §3, confirmed O1, O5)",
       fix="Keep deactivated users addressable and apply a path-less replace with active:true.",
       idp_impact="Users reactivated in Okta stay locked out of the app.")
def pathless_reactivate(ctx: CheckContext) -> None:
    user = ctx.create_user(active=False)
    path = f"{ctx.users}/{user['id']}"
    send_patch(ctx, path, {"op": "replace", "value": {"active": True}}, what="Okta's path-less reactivation",
               content_type=OKTA_CONTENT_TYPE)
    got, ex = read_back(ctx, path)
    ctx.expect(got.get("active") is True, True, got.get("active"), ex, message="the user is still inactive")


@check(id="okta.group-create-empty-members", title="Group push: POST with members:[] answers 201",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("groups",),
       rests_on="Okta group push (idp-behaviors §6, confirmed O1)",
       fix="Accept an empty members list on group create.",
       idp_impact="Okta group push fails for every group.")
def group_create(ctx: CheckContext) -> None:
    ex = ctx.post(ctx.groups, {"schemas": [CORE_GROUP], "displayName": ctx.unique("okg"), "members": []},
                  content_type=OKTA_CONTENT_TYPE)
    group = ctx.expect_resource(ex, 201)
    ctx.created(f"{ctx.groups}/{group['id']}")


@check(id="okta.group-push-patch", title="Group push PATCH: replace displayName plus add members with display",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("groups", "patch"),
       rests_on="Okta group push (idp-behaviors §6, confirmed O1)",
       fix="Apply both ops of one PATCH; accept display on member values.",
       idp_impact="Group renames and new members pushed from Okta are lost.")
def group_push_patch(ctx: CheckContext) -> None:
    user = ctx.create_user()
    group = ctx.create_group()
    path = f"{ctx.groups}/{group['id']}"
    new = ctx.unique("okrenamed")
    send_patch(ctx, path, {"op": "replace", "value": {"id": group["id"], "displayName": new}},
               {"op": "add", "path": "members", "value": [{"value": user["id"], "display": user["userName"]}]},
               what="Okta's group push PATCH", content_type=OKTA_CONTENT_TYPE)
    body, ex = read_back(ctx, path)
    ctx.expect(body.get("displayName") == new and members(body) == {user["id"]},
               {"displayName": new, "members": [user["id"]]},
               {"displayName": body.get("displayName"), "members": sorted(members(body))}, ex)


# -- shared by several IdPs ---------------------------------------------------------------------
@check(id="idp.member-remove-filter", title='Member remove with path members[value eq "id"] removes only that member',
       area="idp", level=Level.MUST, suites=("entra", "okta"), requires=("groups", "patch"),
       rests_on="Entra ID aadOptscim062020 and Okta member removal (idp-behaviors §5, §6, confirmed E2, O1); RFC 7644 §3.5.2.2",
       fix='Support remove with a value filter on members.',
       idp_impact="People removed from groups in Entra ID or Okta keep their group access in the app.")
def member_remove_filter(ctx: CheckContext) -> None:
    u1, u2 = ctx.create_user(), ctx.create_user()
    group = ctx.create_group(members=[{"value": u1["id"]}, {"value": u2["id"]}])
    path = f"{ctx.groups}/{group['id']}"
    send_patch(ctx, path, {"op": "remove", "path": f'members[value eq "{u1["id"]}"]'}, what="remove members[value eq …]")
    body, ex = read_back(ctx, path)
    ctx.expect(members(body) == {u2["id"]}, [u2["id"]], sorted(members(body)), ex,
               message="the filtered remove did not remove exactly that member")


@check(id="idp.deactivated-user-visible", title="A deactivated user stays readable and findable, with active false",
       area="idp", level=Level.MUST, suites=("entra", "jumpcloud", "okta"), requires=("patch", "filter"),
       tags=("deprovision",),
       rests_on="Soft delete by active:false (idp-behaviors §5 'inactive users readable', confirmed E1; §6)",
       fix="Keep deactivated users: GET by id answers 200 and userName eq finds them, with active false.",
       idp_impact="After deactivating, the IdP's next lookup misses, it re-creates the user (409) and escrows it.")
def deactivated_visible(ctx: CheckContext) -> None:
    user = ctx.create_user()
    ctx.create_user()  # a decoy: a lookup that ignores the filter would return both
    path = f"{ctx.users}/{user['id']}"
    send_patch(ctx, path, {"op": "replace", "path": "active", "value": False}, what="replace active false")
    body, ex = read_back(ctx, path)
    ctx.expect(body.get("active") is False, False, body.get("active"), ex)
    found, ex = lookup_ids(ctx, ctx.users, eq_query("userName", user["userName"]))
    ctx.expect(found == [user["id"]], [user["id"]], found, ex, message="the deactivated user is no longer found by userName")


@check(id="idp.hard-delete", title="DELETE /Users/{id} answers 204 and the user is gone",
       area="idp", level=Level.MUST, suites=("entra",), tags=("deprovision",),
       rests_on="Entra ID hard delete (idp-behaviors §5, confirmed E1, E3); RFC 7644 §3.6",
       fix="Answer DELETE with 204 and make the id answer 404 afterwards.",
       idp_impact="Entra ID's delete after a hard delete fails and is escrowed; the user lingers in the app.")
def hard_delete(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = f"{ctx.users}/{user['id']}"
    ctx.expect_status(ctx.delete(path), 204)
    ctx.forget(path)
    ctx.expect_status(ctx.get(path), 404, message="GET after DELETE did not answer 404")


@check(id="idp.group-delete", title="DELETE /Groups/{id} answers 204 and the group is gone",
       area="idp", level=Level.MUST, suites=("entra", "jumpcloud", "okta"), requires=("groups",),
       rests_on="Group delete: JumpCloud (confirmed J2), Okta 'delete in target app' (confirmed O1), "
                "Entra ID (exists, E1; trigger unconfirmed) (idp-behaviors §2, §3, §5); RFC 7644 §3.6",
       fix="Delete groups on DELETE: 204, then 404.",
       idp_impact="Groups deleted in the IdP live on in the app with their access rights; the IdP logs a failure.")
def group_delete(ctx: CheckContext) -> None:
    group = ctx.create_group()
    path = f"{ctx.groups}/{group['id']}"
    ctx.expect_status(ctx.delete(path), 204)
    ctx.forget(path)
    ctx.expect_status(ctx.get(path), 404, message="GET after DELETE did not answer 404")


@check(id="okta.import-paging", title="Import: paging with startIndex/count visits every user once, with integer paging fields",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("filter",),
       rests_on="Okta import: startIndex=1&count=100, 101, … until totalResults, stable order (idp-behaviors §3, confirmed O1)",
       fix="Give list pages a stable order and integer startIndex, itemsPerPage and totalResults.",
       idp_impact="Okta's import skips or duplicates app users, so matching and reconciliation go wrong.")
def import_paging(ctx: CheckContext) -> None:
    # Okta pages with count=100; the check pages with count=2 over its own users (selected by a
    # filter so the target's other data does not matter) to exercise more than one page.
    tag = ctx.unique("imp")
    made = {ctx.create_user(userName=f"{tag}-{k}@example.com")["id"] for k in "abcde"}
    seen: list[str] = []
    start, total, ex = 1, None, None
    for _ in range(10):  # bounded: 5 users, 2 per page
        ex = ctx.get(ctx.users, query=eq_query("userName", tag, safe="", op="sw", extra=f"startIndex={start}&count=2"))
        body = ctx.expect_list_response(ex)
        for key in ("startIndex", "itemsPerPage", "totalResults"):
            value = body.get(key)
            ctx.expect(isinstance(value, int) and not isinstance(value, bool), f"{key} as an integer", value, ex)
        total = body["totalResults"]
        seen.extend(ids_of(body))
        start += 2
        if start > total:
            break
    ctx.expect(total == 5 and sorted(seen) == sorted(made), "each of the 5 users exactly once",
               {"totalResults": total, "seen": seen}, ex, message="paging repeated or skipped users")


@check(id="okta.spec-test-json", title="Okta's spec test POSTs as application/json and expects 201",
       area=AREA, level=Level.MUST, suites=SUITE,
       rests_on="Okta SCIM 2.0 spec test (idp-behaviors §3, confirmed O5); RFC 7644 §3.8",
       fix="Accept request bodies sent as application/json as well as application/scim+json.",
       idp_impact="Okta's spec test (required for an OIN listing) fails on user creation.")
def spec_test_json(ctx: CheckContext) -> None:
    ex = ctx.post(ctx.users, ctx.user_body(), content_type="application/json")
    created = ctx.expect_resource(ex, 201)
    ctx.created(f"{ctx.users}/{created['id']}")
