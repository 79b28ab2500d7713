"""Okta readiness: what Okta's SCIM client sends (idp-behaviors.md §3, sources O1-O12), plus the
checks every IdP in this suite relies on (``idp.*``, shared by several suites).

Every request is built from the Okta profile (harness/idp/profiles/okta.toml); the simulator
cannot play Okta yet, but the forms are the profile's all the same.
"""

from __future__ import annotations

from typing import Any

from harness.checks import CheckContext
from scenarios.causes import DUPLICATE_NOT_409, FILTER_IGNORED, USERNAME_EQ_CASE
from scenarios.conformance.common import expect_deleted, expect_page_size
from scenarios.readiness.common import (
    ENTRA,
    JUMPCLOUD,
    OKTA,
    OKTA_AIW,
    Change,
    build,
    find,
    group_path,
    ids_of,
    idp_check,
    members,
    random_id,
    read_back,
    send,
    send_patch,
    user_path,
)

AREA = "okta"
SUITE = ("okta",)
FORMS = (OKTA,)
AIW = (OKTA_AIW,)  # the PUT checks send the App Integration Wizard's forms


def _attributes(ctx: CheckContext, user_name: str | None = None) -> dict[str, Any]:
    """What Okta always sends on create (O1): userName, name, work email, displayName, locale, externalId."""
    name = user_name or ctx.unique_email("okta")
    return {"userName": name, "name.givenName": "Jo", "name.familyName": "Li", 'emails[type eq "work"].value': name,
            "displayName": "Jo Li", "active": True, "locale": "en-US", "externalId": "00u" + random_id()[:17]}


def _read(ctx: CheckContext, user: dict[str, Any]) -> dict[str, Any]:
    """Okta's GET /Users/{id} before a PUT (O1)."""
    ex = send(ctx, OKTA_AIW, build.get_by_id(OKTA_AIW, "User", user["id"]))
    return ctx.expect_resource(ex, 200)


@idp_check(id="okta.test-connection", title="Test connection: GET /Users?startIndex=1&count=2 answers a page of at most 2",
           area=AREA, suites=SUITE, tags=("test-connection",), forms=FORMS, knobs=("test_connection", "test_page_users"),
           rests_on="Okta test connection (idp-behaviors §3/§6, confirmed O1, O2); RFC 7644 §3.4.2.4",
           fix="Support startIndex/count on GET /Users; answer a ListResponse with at most count resources.",
           idp_impact="Okta's 'Test API Credentials' fails and the app cannot be saved.")
def users_page_of_two(ctx: CheckContext) -> None:
    for _ in range(3):
        ctx.create_user()
    ex = send(ctx, OKTA, build.page("User", 1, OKTA.test_page_users))
    body = ctx.expect_list_response(ex)
    expect_page_size(ctx, body, ex, OKTA.test_page_users)
    ctx.expect(isinstance(body.get("totalResults"), int) and body["totalResults"] >= 3, "totalResults >= 3",
               body.get("totalResults"), ex)


@idp_check(id="okta.groups-test-connection", title="GET /Groups?startIndex=1&count=100 answers a ListResponse",
           area=AREA, suites=SUITE, requires=("groups",), tags=("test-connection",), forms=FORMS,
           knobs=("test_connection", "test_page_groups"),
           rests_on="Okta test connection and group import (idp-behaviors §3/§6, O1, O2)",
           fix="Serve GET /Groups with paging parameters.",
           idp_impact="Okta cannot import or push groups.")
def groups_test_connection(ctx: CheckContext) -> None:
    group = ctx.create_group()
    ex = send(ctx, OKTA, build.page("Group", 1, OKTA.test_page_groups))
    body = ctx.expect_list_response(ex)
    ctx.expect(len(ids_of(body)) <= 100, "at most 100", len(ids_of(body)), ex)
    ctx.expect(body.get("totalResults", 0) >= 1, "totalResults >= 1", body.get("totalResults"), ex)
    ctx.note(f"group {group['id']} listed among {body.get('totalResults')}")


@idp_check(id="okta.username-lookup", title="userName eq with &startIndex=1&count=100 finds the user, and only it; a miss is empty or 404",
           area=AREA, suites=SUITE, forms=FORMS, knobs=("user_probe_filter", "lookup_extra_params", "not_found_404_ok"),
           rests_on="Okta user matching (idp-behaviors §3/§6, confirmed O1, O5)",
           fix="Support userName eq combined with startIndex and count.",
           idp_impact="Okta cannot match existing app users on import or push and creates duplicates; "
                      "if the filter is ignored it links the wrong user.")
def username_lookup(ctx: CheckContext) -> None:
    user = ctx.create_user()
    find(ctx, OKTA, "User", user["userName"], expect=user["id"])
    find(ctx, OKTA, "User", ctx.unique_email("none"), expect=None, decoy=False)


@idp_check(id="okta.create-user", title="Okta's POST with groups:[] and a password answers 201 and never returns the password",
           area=AREA, suites=SUITE, forms=FORMS, knobs=("user_create_empty_groups", "user_create_password"),
           rests_on="Okta create (idp-behaviors §6 'always sent', confirmed O1, O5); RFC 7643 §4.1.1 (password returned never)",
           fix="Ignore the readOnly 'groups' on input, accept the writeOnly 'password', never echo it.",
           idp_impact="Every user assigned in Okta fails to provision.")
def create_user(ctx: CheckContext) -> None:
    ex = send(ctx, OKTA, build.create_user(OKTA, _attributes(ctx), password="Okta-Harness-Pw-1!"))
    created = ctx.expect_resource(ex, 201)
    ctx.created(user_path(ctx, created))
    ctx.expect("password" not in created, "no password in the answer", sorted(created), ex,
               message="the answer returns the password")


@idp_check(id="okta.duplicate-409", title="Re-POSTing an existing userName answers 409",
           area=AREA, suites=SUITE, forms=FORMS, cause=DUPLICATE_NOT_409,
           rests_on="Okta SCIM 2.0 spec test (idp-behaviors §3, O5); RFC 7644 §3.3",
           fix="Enforce userName uniqueness with 409.",
           idp_impact="Okta creates duplicate accounts instead of reporting the conflict.")
def duplicate(ctx: CheckContext) -> None:
    user = ctx.create_user()
    ex = send(ctx, OKTA, build.create_user(OKTA, _attributes(ctx, user["userName"]), password="Okta-Harness-Pw-1!"))
    again = ex.json_or_none()
    if isinstance(again, dict) and again.get("id") and ex.status in (200, 201):
        ctx.created(user_path(ctx, again))
    ctx.expect_error_status(ex, 409)  # the error body is judged once, by the error-shape checks


@idp_check(id="okta.mixed-case-username", title="A mixed-case userName is kept as sent and found by an upper-case filter",
           area=AREA, suites=SUITE, forms=FORMS, knobs=("user_probe_filter",), cause=USERNAME_EQ_CASE,
           rests_on="Okta SCIM 2.0 spec test (idp-behaviors §3, O5); RFC 7643 §4.1.1",
           fix="Store userName as sent; compare it case-insensitively.",
           idp_impact="Okta's spec test fails, and users whose login case changes are duplicated.")
def mixed_case(ctx: CheckContext) -> None:
    name = f"{ctx.unique('Mixed')}@Example.COM"
    user = ctx.create_user(userName=name)
    ctx.expect(user.get("userName") == name, name, user.get("userName"), None, message="the userName's case was changed",
               cause="")
    find(ctx, OKTA, "User", name.upper(), expect=user["id"], cause=USERNAME_EQ_CASE)


@idp_check(id="okta.put-update", title="Profile update: GET the user, PUT it back changed, answers 200 with the change",
           area=AREA, suites=SUITE, tags=("put",), forms=AIW, knobs=("update_form",),
           rests_on="Okta AIW update: GET then PUT (idp-behaviors §6, confirmed O1)",
           fix="Accept a PUT of the resource as read (with id, meta, groups) and apply the changed values.",
           idp_impact="Profile changes made in Okta never reach the app.")
def put_update(ctx: CheckContext) -> None:
    user = ctx.create_user()
    current = _read(ctx, user)
    old = (current.get("name") or {}).get("givenName")
    ex = send(ctx, OKTA_AIW, build.update_user(OKTA_AIW, user["id"], [Change("name.givenName", old, "Changed")], current))
    answered = ctx.expect_resource(ex, 200)
    ctx.expect((answered.get("name") or {}).get("givenName") == "Changed", "Changed", answered.get("name"), ex)


@idp_check(id="okta.put-deactivate", title="Deactivation by PUT with active:false keeps the user, inactive",
           area=AREA, suites=SUITE, tags=("put", "deprovision"), forms=AIW, knobs=("update_form",),
           rests_on="Okta AIW deactivation (idp-behaviors §6, confirmed O1)",
           fix="Apply active:false from a PUT; keep the user readable.",
           idp_impact="Users deactivated or unassigned in Okta keep access to the app.")
def put_deactivate(ctx: CheckContext) -> None:
    user = ctx.create_user()
    ctx.expect_status(send(ctx, OKTA_AIW, build.set_active(OKTA_AIW, user["id"], False, _read(ctx, user))), 200)
    got, ex = read_back(ctx, user_path(ctx, user))
    ctx.expect(got.get("active") is False, False, got.get("active"), ex)


@idp_check(id="okta.pathless-deactivate", title="Deactivation by PATCH {\"op\":\"replace\",\"value\":{\"active\":false}}",
           area=AREA, suites=SUITE, tags=("deprovision",), forms=FORMS, knobs=("deactivate_form",),
           rests_on="Okta OIN deactivation (idp-behaviors §6, confirmed O1)",
           fix="Apply a path-less replace whose value holds active:false.",
           idp_impact="Users deactivated in Okta keep access to the app.")
def pathless_deactivate(ctx: CheckContext) -> None:
    user = ctx.create_user()
    send_patch(ctx, OKTA, build.set_active(OKTA, user["id"], False), what="Okta's path-less deactivation")
    got, ex = read_back(ctx, user_path(ctx, user))
    ctx.expect(got.get("active") is False and got.get("userName") == user["userName"], "active false, userName kept",
               {"active": got.get("active"), "userName": got.get("userName")}, ex)


@idp_check(id="okta.pathless-reactivate", title="Reactivation by PATCH {\"op\":\"replace\",\"value\":{\"active\":true}}",
           area=AREA, suites=SUITE, forms=FORMS, knobs=("deactivate_form",),
           rests_on="Okta reactivation, sent like deactivation (idp-behaviors §3, confirmed O1, O5)",
           fix="Keep deactivated users addressable and apply a path-less replace with active:true.",
           idp_impact="Users reactivated in Okta stay locked out of the app.")
def pathless_reactivate(ctx: CheckContext) -> None:
    user = ctx.create_user(active=False)
    send_patch(ctx, OKTA, build.set_active(OKTA, user["id"], True), what="Okta's path-less reactivation")
    got, ex = read_back(ctx, user_path(ctx, user))
    ctx.expect(got.get("active") is True, True, got.get("active"), ex, message="the user is still inactive")


@idp_check(id="okta.group-create-empty-members", title="Group push: POST with members:[] answers 201",
           area=AREA, suites=SUITE, requires=("groups",), forms=FORMS,
           knobs=("create_empty_groups", "group_create_with_members"),
           rests_on="Okta group push (idp-behaviors §6, confirmed O1)",
           fix="Accept an empty members list on group create.",
           idp_impact="Okta group push fails for every group.")
def group_create(ctx: CheckContext) -> None:
    ex = send(ctx, OKTA, build.create_group(OKTA, {"displayName": ctx.unique("okg")}))
    group = ctx.expect_resource(ex, 201)
    ctx.created(group_path(ctx, group))


@idp_check(id="okta.group-push-patch", title="Group push PATCH: replace {id, displayName} plus add members with display",
           area=AREA, suites=SUITE, requires=("groups",), forms=FORMS, knobs=("group_rename_form", "member_display"),
           rests_on="Okta group push (idp-behaviors §6, confirmed O1)",
           fix="Apply both ops of one PATCH; accept display on member values.",
           idp_impact="Group renames and new members pushed from Okta are lost.")
def group_push_patch(ctx: CheckContext) -> None:
    user = ctx.create_user()
    group = ctx.create_group()
    new = ctx.unique("okrenamed")
    for request in build.member_patches(OKTA, group["id"], add=[user["id"]], displays={user["id"]: user["userName"]},
                                        display_name=new):
        send_patch(ctx, OKTA, request, what="Okta's group push PATCH")
    body, ex = read_back(ctx, group_path(ctx, group))
    ctx.expect(body.get("displayName") == new and members(body) == {user["id"]},
               {"displayName": new, "members": [user["id"]]},
               {"displayName": body.get("displayName"), "members": sorted(members(body))}, ex)


@idp_check(id="okta.pathless-update", title="OIN profile update: PATCH with one path-less replace changes only what it names",
           area=AREA, suites=SUITE, forms=FORMS, knobs=("update_form", "pathless_keys"),
           rests_on="Okta OIN updates by PATCH (idp-behaviors §3, O3, O12); RFC 7644 §3.5.2.3",
           fix="Apply a path-less replace: each attribute in value is replaced, unnamed sub-attributes are kept.",
           idp_impact="Profile changes pushed by Okta fail as tasks, or wipe the attributes they do not name.")
def pathless_update(ctx: CheckContext) -> None:
    user = ctx.create_user()
    old = (user.get("name") or {}).get("givenName")
    send_patch(ctx, OKTA, build.update_user(OKTA, user["id"], [Change("name.givenName", old, "Changed")]),
               what="Okta's path-less profile update")
    got, ex = read_back(ctx, user_path(ctx, user))
    name = got.get("name") or {}
    ctx.expect(name.get("givenName") == "Changed" and name.get("familyName") == (user.get("name") or {}).get("familyName"),
               "givenName Changed, familyName kept", name, ex)


@idp_check(id="okta.group-put-members", title="AIW group push: PUT /Groups/{id} with every member sets exactly those members",
           area=AREA, suites=SUITE, requires=("groups",), forms=AIW, knobs=("group_update_form", "member_display"),
           rests_on="Okta AIW group push by PUT with displayName and members (idp-behaviors §3, confirmed O1, O6); RFC 7644 §3.5.1",
           fix="Replace a group's members with the members of a PUT.",
           idp_impact="Memberships pushed by an Okta AIW app are lost: people keep or never get group access.")
def group_put_members(ctx: CheckContext) -> None:
    u1, u2 = ctx.create_user(), ctx.create_user()
    group = ctx.create_group(members=[{"value": u1["id"]}])
    request = build.replace_group(OKTA_AIW, group["id"], {"displayName": group["displayName"]}, [u2["id"]],
                                  {u2["id"]: u2["userName"]})
    send_patch(ctx, OKTA_AIW, request, what="Okta's group PUT")
    body, ex = read_back(ctx, group_path(ctx, group))
    ctx.expect(members(body) == {u2["id"]}, [u2["id"]], sorted(members(body)), ex,
               message="the PUT's members were not applied")


@idp_check(id="okta.import-paging", title="Import: paging with startIndex/count visits every user once, with integer paging fields",
           area=AREA, suites=SUITE, forms=FORMS,
           rests_on="Okta import: startIndex=1&count=100, 101, … until totalResults, stable order (idp-behaviors §3, confirmed O1)",
           fix="Give list pages a stable order and integer startIndex, itemsPerPage and totalResults.",
           idp_impact="Okta's import skips or duplicates app users, so matching and reconciliation go wrong.")
def import_paging(ctx: CheckContext) -> None:
    # Okta pages with count=100; the check pages with count=2 over its own users (narrowed by a
    # filter so the target's other data does not matter) to exercise more than one page.
    tag = ctx.unique("imp")
    made = {ctx.create_user(userName=f"{tag}-{k}@example.com")["id"] for k in "abcde"}
    ctx.create_user()  # a decoy: a page that ignores the filter would list it
    seen: list[str] = []
    start, total, ex = 1, None, None
    for _ in range(10):  # bounded: 5 users, 2 per page
        ex = send(ctx, OKTA, build.page("User", start, 2, narrow=f'userName sw "{tag}"'))
        body = ctx.expect_list_response(ex)
        for key in ("startIndex", "itemsPerPage", "totalResults"):
            value = body.get(key)
            ctx.expect(isinstance(value, int) and not isinstance(value, bool), f"{key} as an integer", value, ex)
        total = body["totalResults"]
        page_ids = ids_of(body)
        expect_page_size(ctx, body, ex, 2)
        ctx.expect(set(page_ids) <= made, "only this check's users", page_ids, ex, cause=FILTER_IGNORED,
                   message="the filter is ignored: the page lists users that do not match it; "
                           "Okta's import would match the wrong users")
        seen.extend(page_ids)
        start += 2
        if start > total:
            break
    ctx.expect(total == 5 and sorted(seen) == sorted(made), "each of the 5 users exactly once",
               {"totalResults": total, "seen": seen}, ex, message="paging repeated or skipped users")


@idp_check(id="okta.spec-test-json", title="Okta's spec test POSTs as application/json and expects 201",
           area=AREA, suites=SUITE, forms=FORMS, knobs=("user_create_password",),
           rests_on="Okta SCIM 2.0 spec test (idp-behaviors §3, confirmed O5); RFC 7644 §3.8",
           fix="Accept request bodies sent as application/json as well as application/scim+json.",
           idp_impact="Okta's spec test (required for an OIN listing) fails on user creation.")
def spec_test_json(ctx: CheckContext) -> None:
    ex = send(ctx, OKTA, build.create_user(OKTA, _attributes(ctx), password="Okta-Harness-Pw-1!"),
              content_type="application/json")  # the spec test's Content-Type (O5), not the client's
    created = ctx.expect_resource(ex, 201)
    ctx.created(user_path(ctx, created))


# -- shared by several IdPs ---------------------------------------------------------------------
@idp_check(id="idp.member-remove-filter", title='Member remove with path members[value eq "id"] removes only that member',
           area="idp", suites=("entra", "okta"), requires=("groups",), forms=(ENTRA, OKTA), knobs=("member_remove_form",),
           rests_on="Entra ID aadOptscim062020 and Okta member removal (idp-behaviors §5, §6, confirmed E2, O1); RFC 7644 §3.5.2.2",
           fix='Support remove with a value filter on members.',
           idp_impact="People removed from groups in Entra ID or Okta keep their group access in the app.")
def member_remove_filter(ctx: CheckContext) -> None:
    u1, u2 = ctx.create_user(), ctx.create_user()
    group = ctx.create_group(members=[{"value": u1["id"]}, {"value": u2["id"]}])
    for request in build.member_patches(ENTRA, group["id"], remove=[u1["id"]]):
        send_patch(ctx, ENTRA, request, what="remove members[value eq …]")
    body, ex = read_back(ctx, group_path(ctx, group))
    ctx.expect(members(body) == {u2["id"]}, [u2["id"]], sorted(members(body)), ex,
               message="the filtered remove did not remove exactly that member")


@idp_check(id="idp.deactivated-user-visible", title="A deactivated user stays readable and findable, with active false",
           area="idp", suites=("entra", "jumpcloud", "okta"), tags=("deprovision",), forms=(ENTRA,),
           knobs=("deactivate_form", "user_probe_filter"),
           rests_on="Soft delete by active:false (idp-behaviors §5 'inactive users readable', confirmed E1; §6)",
           fix="Keep deactivated users: GET by id answers 200 and userName eq finds them, with active false.",
           idp_impact="After deactivating, the IdP's next lookup misses, it re-creates the user (409) and escrows it.")
def deactivated_visible(ctx: CheckContext) -> None:
    user = ctx.create_user()
    send_patch(ctx, ENTRA, build.set_active(ENTRA, user["id"], False), what="replace active false")
    body, ex = read_back(ctx, user_path(ctx, user))
    ctx.expect(body.get("active") is False, False, body.get("active"), ex)
    find(ctx, ENTRA, "User", user["userName"], expect=user["id"], cause="",
         message="the deactivated user is no longer found by userName")


@idp_check(id="idp.hard-delete", title="DELETE /Users/{id} answers 204 and the user is gone",
           area="idp", suites=("entra",), tags=("deprovision",), forms=(ENTRA,), knobs=("delete_user_on_hard_delete",),
           rests_on="Entra ID hard delete (idp-behaviors §5, confirmed E1, E3); RFC 7644 §3.6",
           fix="Answer DELETE with 204 and make the id answer 404 afterwards.",
           idp_impact="Entra ID's delete after a hard delete fails and is escrowed; the user lingers in the app.")
def hard_delete(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = user_path(ctx, user)
    ctx.expect_status(send(ctx, ENTRA, build.delete("User", user["id"])), 204)
    ctx.forget(path)
    expect_deleted(ctx, path)


@idp_check(id="idp.group-delete", title="DELETE /Groups/{id} answers 204 and the group is gone",
           area="idp", suites=("jumpcloud", "okta"), requires=("groups",), forms=(JUMPCLOUD, OKTA),
           knobs=("delete_group_on_delete",),
           rests_on="Group delete: JumpCloud (confirmed J2), Okta 'delete in target app' (confirmed O1) "
                    "(idp-behaviors §2, §3; Entra ID's trigger is unconfirmed, E1); RFC 7644 §3.6",
           fix="Delete groups on DELETE: 204, then 404.",
           idp_impact="Groups deleted in the IdP live on in the app with their access rights; the IdP logs a failure.")
def group_delete(ctx: CheckContext) -> None:
    group = ctx.create_group()
    path = group_path(ctx, group)
    ctx.expect_status(send(ctx, JUMPCLOUD, build.delete("Group", group["id"])), 204)
    ctx.forget(path)
    ctx.expect_error_status(ctx.get(path), 404, message="GET after DELETE did not answer 404")
