"""Microsoft Entra ID readiness: the requests Entra's provisioning service really sends.

Both request forms are covered: the legacy default (capitalised ops, string booleans, pathed
ops, value-list member removal) and the ``aadOptscim062020`` form (lower case, one path-less
replace with dotted/URN keys, filtered member removal). Facts: idp-behaviors.md §5 (E1-E15).
"""

from __future__ import annotations

import json
from typing import Any

from harness.checks import CheckContext, check
from harness.results import Level

from scenarios.readiness.common import (
    ENTERPRISE_USER,
    ENTRA_FLAG,
    ENTRA_GROUP_URN,
    CORE_GROUP,
    entra_user_body,
    eq_query,
    random_id,
    lookup_ids,
    members,
    read_back,
    send_patch,
)

AREA = "entra"
SUITE = ("entra",)
QUARANTINE = "Entra ID fails Test Connection, and a 404 to its probe can put the provisioning job in quarantine."


def _user_path(ctx: CheckContext, user: dict[str, Any]) -> str:
    return f"{ctx.users}/{user['id']}"


@check(id="entra.test-connection-probe", title="Test Connection: userName eq \"<random GUID>\" answers 200 with an empty list",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("filter",), tags=("test-connection",),
       rests_on="Entra ID test connection (idp-behaviors §5, confirmed E1, E15); RFC 7644 §3.4.2",
       fix="Answer a filter that matches nothing with 200 and {\"totalResults\":0,\"Resources\":[]}, never 404.",
       idp_impact=QUARANTINE)
def test_connection(ctx: CheckContext) -> None:
    ex = ctx.get(ctx.users, query=eq_query("userName", random_id()))
    body = ctx.expect_list_response(ex)
    ctx.expect(body.get("totalResults") == 0 and not body.get("Resources"), "totalResults 0, no Resources",
               {"totalResults": body.get("totalResults"), "Resources": body.get("Resources")}, ex)


@check(id="entra.group-probe", title="Group probe: excludedAttributes=members&filter=displayName eq \"<GUID>\" answers an empty list",
       area=AREA, level=Level.SHOULD, suites=SUITE, requires=("filter", "groups"), tags=("test-connection",),
       rests_on="Entra ID group probe (idp-behaviors §5; confirmed E1 that it exists, form unconfirmed)",
       fix="Answer the group lookup with 200 and an empty ListResponse when nothing matches.",
       idp_impact="Entra ID cannot check the group side of the connection; group provisioning fails (form unconfirmed).")
def group_probe(ctx: CheckContext) -> None:
    ex = ctx.get(ctx.groups, query="excludedAttributes=members&" + eq_query("displayName", random_id()))
    body = ctx.expect_list_response(ex)
    ctx.expect(body.get("totalResults") == 0, "totalResults 0", body.get("totalResults"), ex)


@check(id="entra.username-lookup", title="The userName eq lookup (%20/%22 encoded) finds the existing user",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("filter",),
       rests_on="Entra ID lookup before create (idp-behaviors §5, confirmed E1, E3, E6)",
       fix="Support userName eq with the value in double quotes, URL-encoded with %20 and %22.",
       idp_impact="Entra ID does not find the user it created, POSTs it again on every cycle and escrows the 409s.")
def username_lookup(ctx: CheckContext) -> None:
    user = ctx.create_user()
    ctx.create_user()  # a second user: a lookup that ignores the filter would return both
    found, ex = lookup_ids(ctx, ctx.users, eq_query("userName", user["userName"]))
    ctx.expect(found == [user["id"]], [user["id"]], found, ex)


@check(id="entra.username-lookup-case", title="The userName lookup matches whatever the case of the UPN",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("filter",),
       rests_on="RFC 7643 §4.1.1 (userName caseExact false); Entra ID lookup (idp-behaviors §5, E1)",
       fix="Compare userName case-insensitively in filters.",
       idp_impact="When a UPN's case changes in Entra ID, the lookup misses and Entra ID creates a duplicate user.")
def username_lookup_case(ctx: CheckContext) -> None:
    user = ctx.create_user()
    ctx.create_user()  # a decoy: a lookup that ignores the filter would return both
    found, ex = lookup_ids(ctx, ctx.users, eq_query("userName", user["userName"].upper()))
    ctx.expect(found == [user["id"]], [user["id"]], found, ex)


@check(id="entra.create-user", title="Entra's create body (meta, roles:[], externalId) answers 201 with an id",
       area=AREA, level=Level.MUST, suites=SUITE,
       rests_on="Entra ID create (idp-behaviors §5, confirmed E1, E4, E6); RFC 7644 §3.3",
       fix="Accept Entra's POST as sent: ignore client meta, accept an empty roles list, answer 201 with the id.",
       idp_impact="Every new user assigned in Entra ID fails to provision and is escrowed.")
def create_user(ctx: CheckContext) -> None:
    body = entra_user_body(ctx)
    ex = ctx.post(ctx.users, body)
    created = ctx.expect_resource(ex, 201)
    ctx.expect(bool(created.get("id")), "an id", created.get("id"), ex)
    ctx.created(f"{ctx.users}/{created['id']}")
    ctx.expect(created.get("userName") == body["userName"], body["userName"], created.get("userName"), ex)


@check(id="entra.duplicate-create-409", title="A second POST of the same userName answers 409",
       area=AREA, level=Level.MUST, suites=SUITE,
       rests_on="RFC 7644 §3.3 (uniqueness); Entra ID create/escrow (idp-behaviors §5, E3)",
       fix="Enforce userName uniqueness with 409 and scimType uniqueness.",
       idp_impact="Entra ID creates a duplicate user on every cycle whenever its lookup misses.")
def duplicate_create(ctx: CheckContext) -> None:
    body = entra_user_body(ctx)
    first = ctx.post(ctx.users, body)
    created = ctx.expect_resource(first, 201)
    ctx.created(f"{ctx.users}/{created['id']}")
    second = ctx.post(ctx.users, body)
    again = second.json_or_none()
    if isinstance(again, dict) and again.get("id") and second.status in (200, 201):
        ctx.created(f"{ctx.users}/{again['id']}")
    ctx.expect_scim_error(second, 409, "uniqueness")


@check(id="entra.legacy-replace", title="Legacy PATCH: capitalised \"Replace\" ops, one per attribute, are applied",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("patch",), tags=("legacy",),
       rests_on="Entra ID legacy update (idp-behaviors §5, confirmed E2)",
       fix="Match op names case-insensitively (\"Replace\" == \"replace\"), as Microsoft requires.",
       idp_impact="Without aadOptscim062020 every Entra ID update answers 400 and the user is escrowed.")
def legacy_replace(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = _user_path(ctx, user)
    new_mail = ctx.unique_email("mail")
    send_patch(ctx, path, {"op": "Replace", "path": 'emails[type eq "work"].value', "value": new_mail},
               {"op": "Replace", "path": "name.givenName", "value": "Jo"}, what='Entra\'s legacy "Replace" PATCH')
    body, ex = read_back(ctx, path)
    work = [e.get("value") for e in body.get("emails") or [] if isinstance(e, dict) and e.get("type") == "work"]
    ctx.expect(work == [new_mail] and (body.get("name") or {}).get("givenName") == "Jo",
               {"work email": new_mail, "givenName": "Jo"}, {"work email": work, "name": body.get("name")}, ex)


@check(id="entra.legacy-add", title="Legacy PATCH: \"Add\" on an attribute the user lacks sets it",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("patch",), tags=("legacy",),
       rests_on="Entra ID legacy update: Add where the user had none (idp-behaviors §5, confirmed E2)",
       fix="Accept \"Add\" (any case) and set the attribute.",
       idp_impact="Attributes filled in later in Entra ID (title, nickname) never reach the app.")
def legacy_add(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = _user_path(ctx, user)
    send_patch(ctx, path, {"op": "Add", "path": "title", "value": "Engineer"}, what='Entra\'s legacy "Add" PATCH')
    body, ex = read_back(ctx, path)
    ctx.expect(body.get("title") == "Engineer", "Engineer", body.get("title"), ex)


@check(id="entra.legacy-deactivate-string", title="Legacy deactivation: Replace active \"False\" (a string) deactivates",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("patch",), tags=("legacy", "deprovision"),
       rests_on="Entra ID legacy deactivate (idp-behaviors §5, confirmed E2, E9)",
       fix="Accept \"True\"/\"False\" strings (any case) for boolean attributes in PATCH.",
       idp_impact="Users unassigned or disabled in Entra ID stay active in the app; Entra ID retries for 28 days.")
def legacy_deactivate(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = _user_path(ctx, user)
    send_patch(ctx, path, {"op": "Replace", "path": "active", "value": "False"}, what='Replace active "False"')
    body, ex = read_back(ctx, path)
    ctx.expect(body.get("active") is False, False, body.get("active"), ex, message="the user is still active")


@check(id="entra.legacy-reactivate-string", title="Legacy reactivation: Replace active \"True\" reactivates",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("patch",), tags=("legacy",),
       rests_on="Entra ID reactivation (idp-behaviors §5, confirmed E2, E3)",
       fix="Accept \"True\" (a string) for active in PATCH.",
       idp_impact="Users re-enabled in Entra ID stay locked out of the app.")
def legacy_reactivate(ctx: CheckContext) -> None:
    user = ctx.create_user(active=False)
    path = _user_path(ctx, user)
    send_patch(ctx, path, {"op": "Replace", "path": "active", "value": "True"}, what='Replace active "True"')
    body, ex = read_back(ctx, path)
    ctx.expect(body.get("active") is True, True, body.get("active"), ex, message="the user is still inactive")


@check(id="entra.legacy-add-work-email", title="Legacy \"Add\" to emails[type eq \"work\"].value creates the work email",
       area=AREA, level=Level.SHOULD, suites=SUITE, requires=("patch",), tags=("legacy",),
       rests_on="Entra ID legacy update, Add where the user had none (idp-behaviors §5, E2; unconfirmed for filtered paths)",
       fix="Treat add to a value filter that matches nothing as adding a value with the filter's type.",
       idp_impact="A user created without a mail who later gets one never receives it (unconfirmed: Entra ID may send it so).")
def legacy_add_work_email(ctx: CheckContext) -> None:
    user = ctx.create_user(emails=[{"value": ctx.unique_email("home"), "type": "home"}])
    path = _user_path(ctx, user)
    mail = ctx.unique_email("work")
    send_patch(ctx, path, {"op": "Add", "path": 'emails[type eq "work"].value', "value": mail},
               what='Add emails[type eq "work"].value')
    body, ex = read_back(ctx, path)
    work = [e.get("value") for e in body.get("emails") or [] if isinstance(e, dict) and e.get("type") == "work"]
    ctx.expect(work == [mail], [mail], work, ex)


@check(id="entra.flag-pathless-dotted", title="aadOptscim062020: one path-less replace with dotted keys is applied",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("patch",), tags=("aadoptscim062020",),
       rests_on="Entra ID aadOptscim062020 update (idp-behaviors §5, confirmed E2)",
       fix='In a path-less replace, read keys like "name.givenName" as attribute paths, not literal names.',
       idp_impact="With aadOptscim062020 every name change fails or is silently dropped.")
def flag_dotted(ctx: CheckContext) -> None:
    user = ctx.create_user(name={"givenName": "Old", "familyName": "Kept"})
    path = _user_path(ctx, user)
    send_patch(ctx, path, {"op": "replace", "value": {"name.givenName": "Jo", "displayName": "Jo Kept"}},
               what="a path-less replace with dotted keys")
    body, ex = read_back(ctx, path)
    name = found if isinstance(found := body.get("name"), dict) else {}
    ctx.expect((name.get("givenName"), name.get("familyName"), body.get("displayName")) == ("Jo", "Kept", "Jo Kept"),
               {"givenName": "Jo", "familyName": "Kept", "displayName": "Jo Kept"},
               {"name": name, "displayName": body.get("displayName")}, ex)
    ctx.expect("name.givenName" not in body, "no literal 'name.givenName' key", sorted(body), ex)


@check(id="entra.flag-pathless-urn-key", title="aadOptscim062020: a URN key in a path-less replace sets the extension attribute",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("patch", "enterprise"), tags=("aadoptscim062020",),
       rests_on="Entra ID aadOptscim062020 update (idp-behaviors §5, confirmed E2)",
       fix="In a path-less replace, read 'urn:…:enterprise:2.0:User:employeeNumber' keys as extension paths.",
       idp_impact="Enterprise attributes (employeeNumber, department) never reach the app.")
def flag_urn_key(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = _user_path(ctx, user)
    send_patch(ctx, path, {"op": "replace", "value": {f"{ENTERPRISE_USER}:employeeNumber": "7"}},
               what="a path-less replace with a URN key")
    body, ex = read_back(ctx, path)
    ext = found if isinstance(found := body.get(ENTERPRISE_USER), dict) else {}
    ctx.expect(ext.get("employeeNumber") == "7", "employeeNumber 7", ext, ex)


@check(id="entra.flag-deactivate", title="aadOptscim062020 deactivation: replace active false (boolean)",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("patch",), tags=("aadoptscim062020", "deprovision"),
       rests_on="Entra ID deactivate (idp-behaviors §5, confirmed E2)",
       fix="Apply replace active false.",
       idp_impact="Users removed from the app in Entra ID keep access.")
def flag_deactivate(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = _user_path(ctx, user)
    send_patch(ctx, path, {"op": "replace", "path": "active", "value": False}, what="replace active false")
    body, ex = read_back(ctx, path)
    ctx.expect(body.get("active") is False, False, body.get("active"), ex)


@check(id="entra.manager-add", title="Manager: Add path \"manager\" with [{\"$ref\",\"value\"}] sets the manager",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("patch", "enterprise"),
       rests_on="Entra ID manager update (idp-behaviors §5, confirmed E1); RFC 7643 §4.3",
       fix="Accept path 'manager' (resolving to the enterprise extension) with a one-item list value.",
       idp_impact="Manager relationships from Entra ID are never set in the app.")
def manager_add(ctx: CheckContext) -> None:
    boss, user = ctx.create_user(), ctx.create_user()
    path = _user_path(ctx, user)
    send_patch(ctx, path, {"op": "Add", "path": "manager", "value": [{"$ref": f"../Users/{boss['id']}", "value": boss["id"]}]},
               what="Entra's manager Add")
    body, ex = read_back(ctx, path)
    ext = found if isinstance(found := body.get(ENTERPRISE_USER), dict) else {}
    manager = found if isinstance(found := ext.get("manager"), dict) else {}
    ctx.expect(manager.get("value") == boss["id"], boss["id"], ext.get("manager"), ex)


@check(id="entra.legacy-roles-string", title="Legacy roles PATCH with a JSON string value is accepted",
       area=AREA, level=Level.SHOULD, suites=SUITE, requires=("patch",), tags=("legacy",),
       rests_on="Entra ID roles mapping (idp-behaviors §5, confirmed E6 that the value is a JSON string; handling unconfirmed)",
       fix="Parse a string value for roles as JSON, or accept it as a role value; do not fail the whole update.",
       idp_impact="Apps using app roles: every role update is escrowed (unconfirmed how Entra ID reacts beyond that).")
def legacy_roles(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = _user_path(ctx, user)
    roles = json.dumps([{"primary": True, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}])
    send_patch(ctx, path, {"op": "Add", "path": "roles", "value": roles}, what="roles as a JSON string")
    body, ex = read_back(ctx, path)
    values = [r.get("value") for r in body.get("roles") or [] if isinstance(r, dict)]
    ctx.expect(values == ["Admin"], "one role with value Admin (the string parsed as JSON)", body.get("roles"), ex)


@check(id="entra.group-lookup", title="Group lookup: displayName eq with excludedAttributes=members finds it without members",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("filter", "groups"),
       rests_on="Entra ID group matching (idp-behaviors §5, confirmed E1, E3)",
       fix="Support displayName eq on Groups together with excludedAttributes=members.",
       idp_impact="Entra ID does not find existing groups and creates duplicates; large groups time out.")
def group_lookup(ctx: CheckContext) -> None:
    user = ctx.create_user()
    group = ctx.create_group(members=[{"value": user["id"]}])
    ctx.create_group()  # a decoy: a lookup that ignores the filter would return both
    ex = ctx.get(ctx.groups, query="excludedAttributes=members&" + eq_query("displayName", group["displayName"]))
    body = ctx.expect_list_response(ex)
    found = [r for r in body.get("Resources") or [] if isinstance(r, dict)]
    ctx.expect([r.get("id") for r in found] == [group["id"]], [group["id"]], [r.get("id") for r in found], ex)
    ctx.expect("members" not in found[0], "no members", sorted(found[0]), ex, message="excludedAttributes=members ignored")


def _entra_group(ctx: CheckContext) -> dict[str, Any]:
    body = {"schemas": [CORE_GROUP, ENTRA_GROUP_URN], "externalId": random_id(), "displayName": ctx.unique("g"),
            "meta": {"resourceType": "Group"}}
    ex = ctx.post(ctx.groups, body)
    group = ctx.expect_resource(ex, 201)
    ctx.created(f"{ctx.groups}/{group['id']}")
    return group


@check(id="entra.group-create-empty", title="Entra's group POST (ADSCIM schema URN, no members) answers 201",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("groups",),
       rests_on="Entra ID group create (idp-behaviors §5, confirmed E1, E3)",
       fix="Accept Entra's extra schema URN on groups (or ignore unknown URNs) and an empty group.",
       idp_impact="No group assigned in Entra ID is ever created in the app.")
def group_create(ctx: CheckContext) -> None:
    group = _entra_group(ctx)
    ctx.expect(bool(group.get("id")), "an id", group.get("id"))


@check(id="entra.group-add-members", title="Members arrive in one Add PATCH of several values",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("groups", "patch"),
       rests_on="Entra ID membership (idp-behaviors §5, confirmed E1, E3)",
       fix="Accept \"Add\" path members with a list of values; add them all.",
       idp_impact="Group memberships never reach the app; access by group fails.")
def group_add_members(ctx: CheckContext) -> None:
    users = [ctx.create_user() for _ in range(3)]
    group = ctx.create_group()  # created empty, as Entra does (its POST form is judged by entra.group-create-empty)
    path = f"{ctx.groups}/{group['id']}"
    send_patch(ctx, path, {"op": "Add", "path": "members", "value": [{"value": u["id"]} for u in users]},
               what="Add members")
    body, ex = read_back(ctx, path)
    ctx.expect(members(body) == {u["id"] for u in users}, sorted(u["id"] for u in users), sorted(members(body)), ex)


@check(id="entra.group-add-null-ref", title="Member Add with \"$ref\": null is accepted",
       area=AREA, level=Level.SHOULD, suites=SUITE, requires=("groups", "patch"),
       rests_on="Entra ID membership (idp-behaviors §5; $ref null unconfirmed, E11)",
       fix="Treat a null $ref as absent.",
       idp_impact="If Entra ID sends $ref null (unconfirmed), every membership add fails.")
def group_add_null_ref(ctx: CheckContext) -> None:
    user = ctx.create_user()
    group = ctx.create_group()
    path = f"{ctx.groups}/{group['id']}"
    send_patch(ctx, path, {"op": "Add", "path": "members", "value": [{"$ref": None, "value": user["id"]}]},
               what="Add members with $ref null")
    body, ex = read_back(ctx, path)
    ctx.expect(members(body) == {user["id"]}, [user["id"]], sorted(members(body)), ex)


@check(id="entra.legacy-member-remove", title="Legacy Remove path members with a value list removes only those members",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("groups", "patch"), tags=("legacy",),
       rests_on="Entra ID legacy member removal (idp-behaviors §5, confirmed E2, E10)",
       fix="For remove with path 'members' and a value list, remove only the listed members.",
       idp_impact="Removing one person from a group in Entra ID empties the whole group in the app.")
def legacy_member_remove(ctx: CheckContext) -> None:
    users = [ctx.create_user() for _ in range(3)]
    group = ctx.create_group(members=[{"value": u["id"]} for u in users])
    path = f"{ctx.groups}/{group['id']}"
    send_patch(ctx, path, {"op": "Remove", "path": "members", "value": [{"value": users[0]["id"]}]},
               what="legacy Remove members")
    body, ex = read_back(ctx, path)
    ctx.expect(members(body) == {users[1]["id"], users[2]["id"]}, sorted([users[1]["id"], users[2]["id"]]),
               sorted(members(body)), ex, message="the legacy remove did not remove exactly the listed member")


@check(id="entra.flag-query-tolerated", title="Requests carrying ?aadOptscim062020 are served normally",
       area=AREA, level=Level.MUST, suites=SUITE, requires=("filter",), tags=("aadoptscim062020",),
       rests_on="Entra ID Tenant URL with the flag (seed 004; idp-behaviors §5, E2)",
       fix="Ignore unknown query parameters (RFC 7644 §3.4.2 leaves them to the server); do not 400 on them.",
       idp_impact="An admin who follows Microsoft's advice and adds ?aadOptscim062020 breaks every request.")
def flag_query(ctx: CheckContext) -> None:
    user = ctx.create_user()
    ctx.create_user()  # a decoy: a lookup that ignores the filter would return both
    found, ex = lookup_ids(ctx, ctx.users, f"{ENTRA_FLAG}&" + eq_query("userName", user["userName"]))
    ctx.expect(found == [user["id"]], [user["id"]], found, ex)
    ex = ctx.get(_user_path(ctx, user), query=ENTRA_FLAG)
    ctx.expect_status(ex, 200, message=f"GET with ?{ENTRA_FLAG} answered {ex.status}")
