"""Microsoft Entra ID readiness: the requests Entra's provisioning service really sends.

Both request forms are covered: the legacy default (``LEGACY``: capitalised ops, string
booleans, pathed ops, value-list member removal) and the ``aadOptscim062020`` form (``ENTRA``:
lower case, one path-less replace with dotted/URN keys, filtered member removal). Every request
is built from those profiles (harness/idp). Facts: idp-behaviors.md §5 (E1-E15).
"""

from __future__ import annotations

from typing import Any

from harness.checks import OMIT, CheckContext
from harness.idp.requests import MANAGER
from scenarios.causes import DUPLICATE_NOT_409, USERNAME_EQ_CASE
from scenarios.readiness.common import (
    ENTERPRISE_USER,
    ENTRA,
    ENTRA_FLAG,
    LEGACY,
    Change,
    build,
    find,
    free_strings,
    group_path,
    idp_check,
    members,
    not_applicable_without,
    random_id,
    read_back,
    send,
    send_patch,
    user_declares,
    user_path,
)
from scenarios.conformance.common import expect_projected, group_with_members

AREA = "entra"
SUITE = ("entra",)
BOTH = (ENTRA, LEGACY)
QUARANTINE = "Entra ID fails Test Connection, and a 404 to its probe can put the provisioning job in quarantine."
WORK_MAIL = 'emails[type eq "work"].value'


def _attributes(ctx: CheckContext) -> dict[str, Any]:
    """A user as Entra's default mapping sends it (E1), the enterprise field when the target has it."""
    name = f"{ctx.unique('entra')}@contoso.example"
    out: dict[str, Any] = {"userName": name, "active": True, "displayName": "Jo Li", WORK_MAIL: name,
                           "name.givenName": "Jo", "name.familyName": "Li", "externalId": name.split("@")[0]}
    if ctx.discovery.has_extension("User", ENTERPRISE_USER):
        out[f"{ENTERPRISE_USER}:employeeNumber"] = "1"
    return out


@idp_check(id="entra.test-connection-probe", title="Test Connection: userName eq \"<random GUID>\" answers 200 with an empty list",
           area=AREA, suites=SUITE, tags=("test-connection",), forms=BOTH,
           knobs=("test_connection", "user_probe_filter", "not_found_404_ok"),
           rests_on="Entra ID test connection (idp-behaviors §5, confirmed E1, E15); RFC 7644 §3.4.2",
           fix="Answer a filter that matches nothing with 200 and {\"totalResults\":0,\"Resources\":[]}, never 404.",
           idp_impact=QUARANTINE)
def guid_probe_answers_empty_list(ctx: CheckContext) -> None:
    body, ex = find(ctx, ENTRA, "User", random_id(), expect=None)
    ctx.expect(body.get("totalResults", 0) == 0, "totalResults 0", body.get("totalResults"), ex)


@idp_check(id="entra.group-probe", title="Group probe: excludedAttributes=members&filter=displayName eq \"<GUID>\" answers an empty list",
           area=AREA, suites=SUITE, requires=("groups",), tags=("test-connection",), forms=BOTH,
           knobs=("group_probe_filter", "group_probe_excluded_attributes"),
           unconfirmed="the group probe's form (E1 confirms only that it exists)",
           rests_on="Entra ID group probe (idp-behaviors §5; confirmed E1 that it exists)",
           fix="Answer the group lookup with 200 and an empty ListResponse when nothing matches.",
           idp_impact="Entra ID cannot check the group side of the connection; group provisioning fails.")
def group_probe(ctx: CheckContext) -> None:
    find(ctx, ENTRA, "Group", random_id(), expect=None)


@idp_check(id="entra.username-lookup", title="The userName eq lookup (%20/%22 encoded) finds the existing user, and only it",
           area=AREA, suites=SUITE, forms=BOTH, knobs=("user_probe_filter",),
           rests_on="Entra ID lookup before create (idp-behaviors §5, confirmed E1, E3, E6)",
           fix="Support userName eq with the value in double quotes, URL-encoded with %20 and %22.",
           idp_impact="Entra ID does not find the user it created, POSTs it again on every cycle and escrows the 409s; "
                      "if the filter is ignored it overwrites another user.")
def username_lookup(ctx: CheckContext) -> None:
    user = ctx.create_user()
    find(ctx, ENTRA, "User", user["userName"], expect=user["id"])


@idp_check(id="entra.username-lookup-case", title="The userName lookup matches whatever the case of the UPN",
           area=AREA, suites=SUITE, forms=BOTH, knobs=("user_probe_filter",), cause=USERNAME_EQ_CASE,
           rests_on="RFC 7643 §4.1.1 (userName caseExact false); Entra ID lookup (idp-behaviors §5, E1)",
           fix="Compare userName case-insensitively in filters.",
           idp_impact="When a UPN's case changes in Entra ID, the lookup misses and Entra ID creates a duplicate user.")
def username_lookup_case(ctx: CheckContext) -> None:
    user = ctx.create_user()
    find(ctx, ENTRA, "User", user["userName"].upper(), expect=user["id"], cause=USERNAME_EQ_CASE)


@idp_check(id="entra.create-user", title="Entra's create body (meta, roles:[], externalId) answers 201 with an id",
           area=AREA, suites=SUITE, forms=BOTH, knobs=("user_create_meta", "user_create_empty_roles"),
           rests_on="Entra ID create (idp-behaviors §5, confirmed E1, E4, E6); RFC 7644 §3.3",
           fix="Accept Entra's POST as sent: ignore client meta, accept an empty roles list, answer 201 with the id.",
           idp_impact="Every new user assigned in Entra ID fails to provision and is escrowed.")
def create_user(ctx: CheckContext) -> None:
    attributes = _attributes(ctx)
    ex = send(ctx, ENTRA, build.create_user(ENTRA, attributes))
    created = ctx.expect_resource(ex, 201)
    ctx.expect(bool(created.get("id")), "an id", created.get("id"), ex)
    ctx.created(f"{ctx.idp_users}/{created['id']}")
    ctx.expect(created.get("userName") == attributes["userName"], attributes["userName"], created.get("userName"), ex)


@idp_check(id="entra.duplicate-create-409", title="A second POST of the same userName answers 409",
           area=AREA, suites=SUITE, forms=BOTH, cause=DUPLICATE_NOT_409,
           rests_on="RFC 7644 §3.3 (uniqueness); Entra ID create/escrow (idp-behaviors §5, E3)",
           fix="Enforce userName uniqueness with 409.",
           idp_impact="Entra ID creates a duplicate user on every cycle whenever its lookup misses.")
def duplicate_create(ctx: CheckContext) -> None:
    request = build.create_user(ENTRA, _attributes(ctx))
    created = ctx.expect_resource(send(ctx, ENTRA, request), 201)
    ctx.created(f"{ctx.idp_users}/{created['id']}")
    second = send(ctx, ENTRA, request)
    again = second.json_or_none()
    if isinstance(again, dict) and again.get("id") and second.status in (200, 201):
        ctx.created(f"{ctx.idp_users}/{again['id']}")
    ctx.expect_error_status(second, 409)  # the error body is judged once, by the error-shape checks


@idp_check(id="entra.legacy-replace", title="Legacy PATCH: capitalised \"Replace\" ops, one per attribute, are applied",
           area=AREA, suites=SUITE, tags=("legacy",), forms=(LEGACY,), knobs=("op_case", "update_form"),
           rests_on="Entra ID legacy update (idp-behaviors §5, confirmed E2)",
           fix="Match op names case-insensitively (\"Replace\" == \"replace\"), as Microsoft requires.",
           idp_impact="Without aadOptscim062020 every Entra ID update answers 400 and the user is escrowed.")
def legacy_replace(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = user_path(ctx, user)
    new_mail = ctx.unique_email("mail")
    # The same form on what the target declares: a vendor whose emails have no type maps the
    # mail elsewhere, so Entra ID sends no work-email path to it.
    typed = user_declares(ctx, "emails.type")
    changes = [Change(WORK_MAIL, user["userName"], new_mail)] if typed else [Change("name.familyName", "User", "Li")]
    changes.append(Change("name.givenName", "Test", "Jo"))
    send_patch(ctx, LEGACY, build.update_user(LEGACY, user["id"], changes), what='Entra\'s legacy "Replace" PATCH')
    body, ex = read_back(ctx, path)
    name = found if isinstance(found := body.get("name"), dict) else {}
    if typed:
        work = [e.get("value") for e in body.get("emails") or [] if isinstance(e, dict) and e.get("type") == "work"]
        ctx.expect(work == [new_mail] and name.get("givenName") == "Jo",
                   {"work email": new_mail, "givenName": "Jo"}, {"work email": work, "name": body.get("name")}, ex)
    else:
        ctx.expect((name.get("givenName"), name.get("familyName")) == ("Jo", "Li"),
                   {"givenName": "Jo", "familyName": "Li"}, name, ex)


@idp_check(id="entra.legacy-add", title="Legacy PATCH: \"Add\" on an attribute the user lacks sets it",
           area=AREA, suites=SUITE, tags=("legacy",), forms=(LEGACY,), knobs=("op_case", "add_when_absent"),
           rests_on="Entra ID legacy update: Add where the user had none (idp-behaviors §5, confirmed E2)",
           fix="Accept \"Add\" (any case) and set the attribute.",
           idp_impact="Attributes filled in later in Entra ID (title, nickname) never reach the app.")
def legacy_add(ctx: CheckContext) -> None:
    attr = free_strings(ctx, "title")[0]  # the same form on an attribute the target declares
    user = ctx.create_user(**{attr: OMIT})
    send_patch(ctx, LEGACY, build.update_user(LEGACY, user["id"], [Change(attr, None, "Engineer")]),
               what='Entra\'s legacy "Add" PATCH')
    body, ex = read_back(ctx, user_path(ctx, user))
    ctx.expect(body.get(attr) == "Engineer", f"{attr} Engineer", body.get(attr), ex)


@idp_check(id="entra.legacy-deactivate-string", title="Legacy deactivation: Replace active \"False\" (a string) deactivates",
           area=AREA, suites=SUITE, tags=("legacy", "deprovision"), forms=(LEGACY,), knobs=("deactivate_form",),
           rests_on="Entra ID legacy deactivate (idp-behaviors §5, confirmed E2, E9)",
           fix="Accept \"True\"/\"False\" strings (any case) for boolean attributes in PATCH.",
           idp_impact="Users unassigned or disabled in Entra ID stay active in the app; Entra ID retries for 28 days.")
def legacy_deactivate(ctx: CheckContext) -> None:
    user = ctx.create_user()
    send_patch(ctx, LEGACY, build.set_active(LEGACY, user["id"], False), what='Replace active "False"')
    body, ex = read_back(ctx, user_path(ctx, user))
    ctx.expect(body.get("active") is False, False, body.get("active"), ex, message="the user is still active")


@idp_check(id="entra.legacy-reactivate-string", title="Legacy reactivation: Replace active \"True\" reactivates",
           area=AREA, suites=SUITE, tags=("legacy",), forms=(LEGACY,), knobs=("deactivate_form",),
           rests_on="Entra ID reactivation (idp-behaviors §5, confirmed E2, E3)",
           fix="Accept \"True\" (a string) for active in PATCH.",
           idp_impact="Users re-enabled in Entra ID stay locked out of the app.")
def legacy_reactivate(ctx: CheckContext) -> None:
    user = ctx.create_user(active=False)
    send_patch(ctx, LEGACY, build.set_active(LEGACY, user["id"], True), what='Replace active "True"')
    body, ex = read_back(ctx, user_path(ctx, user))
    ctx.expect(body.get("active") is True, True, body.get("active"), ex, message="the user is still inactive")


@idp_check(id="entra.legacy-add-work-email", title="Legacy \"Add\" to emails[type eq \"work\"].value creates the work email",
           area=AREA, suites=SUITE, tags=("legacy",), forms=(LEGACY,), knobs=("add_when_absent",),
           unconfirmed="Add on a filtered path the user has no value for (E2 shows it for plain attributes)",
           rests_on="Entra ID legacy update, Add where the user had none (idp-behaviors §5, E2)",
           fix="Treat add to a value filter that matches nothing as adding a value with the filter's type.",
           idp_impact="A user created without a mail who later gets one never receives it.")
def legacy_add_work_email(ctx: CheckContext) -> None:
    user = ctx.create_user(emails=[{"value": ctx.unique_email("home"), "type": "home"}])
    mail = ctx.unique_email("work")
    send_patch(ctx, LEGACY, build.update_user(LEGACY, user["id"], [Change(WORK_MAIL, None, mail)]),
               what='Add emails[type eq "work"].value')
    body, ex = read_back(ctx, user_path(ctx, user))
    work = [e.get("value") for e in body.get("emails") or [] if isinstance(e, dict) and e.get("type") == "work"]
    ctx.expect(work == [mail], [mail], work, ex)


@idp_check(id="entra.flag-pathless-dotted", title="aadOptscim062020: one path-less replace with dotted keys is applied",
           area=AREA, suites=SUITE, tags=("aadoptscim062020",), forms=(ENTRA,), knobs=("update_form", "op_case"),
           rests_on="Entra ID aadOptscim062020 update (idp-behaviors §5, confirmed E2)",
           fix='In a path-less replace, read keys like "name.givenName" as attribute paths, not literal names.',
           idp_impact="With aadOptscim062020 every name change fails or is silently dropped.")
def flag_dotted(ctx: CheckContext) -> None:
    user = ctx.create_user(name={"givenName": "Old", "familyName": "Kept"})
    changes = [Change("name.givenName", "Old", "Jo")]
    if user_declares(ctx, "displayName"):  # else not in the mapping: the dotted key is the form judged
        changes.append(Change("displayName", "Test User", "Jo Kept"))
    send_patch(ctx, ENTRA, build.update_user(ENTRA, user["id"], changes), what="a path-less replace with dotted keys")
    body, ex = read_back(ctx, user_path(ctx, user))
    name = found if isinstance(found := body.get("name"), dict) else {}
    wanted = {"givenName": "Jo", "familyName": "Kept", **{c.path: c.new for c in changes[1:]}}
    seen = {"givenName": name.get("givenName"), "familyName": name.get("familyName"),
            **{c.path: body.get(c.path) for c in changes[1:]}}
    ctx.expect(seen == wanted, wanted, seen, ex)
    ctx.expect("name.givenName" not in body, "no literal 'name.givenName' key", sorted(body), ex)


@idp_check(id="entra.flag-pathless-urn-key", title="aadOptscim062020: a URN key in a path-less replace sets the extension attribute",
           area=AREA, suites=SUITE, requires=("enterprise",), tags=("aadoptscim062020",), forms=(ENTRA,),
           knobs=("update_form",),
           rests_on="Entra ID aadOptscim062020 update (idp-behaviors §5, confirmed E2)",
           fix="In a path-less replace, read 'urn:…:enterprise:2.0:User:employeeNumber' keys as extension paths.",
           idp_impact="Enterprise attributes (employeeNumber, department) never reach the app.")
def flag_urn_key(ctx: CheckContext) -> None:
    user = ctx.create_user()
    change = Change(f"{ENTERPRISE_USER}:employeeNumber", "6", "7")
    send_patch(ctx, ENTRA, build.update_user(ENTRA, user["id"], [change]), what="a path-less replace with a URN key")
    body, ex = read_back(ctx, user_path(ctx, user))
    ext = found if isinstance(found := body.get(ENTERPRISE_USER), dict) else {}
    ctx.expect(ext.get("employeeNumber") == "7", "employeeNumber 7", ext, ex)


@idp_check(id="entra.flag-deactivate", title="aadOptscim062020 deactivation: replace active false (boolean)",
           area=AREA, suites=SUITE, tags=("aadoptscim062020", "deprovision"), forms=(ENTRA,),
           knobs=("deactivate_form", "patch_booleans_as_strings"),
           rests_on="Entra ID deactivate (idp-behaviors §5, confirmed E2)",
           fix="Apply replace active false.",
           idp_impact="Users removed from the app in Entra ID keep access.")
def flag_deactivate(ctx: CheckContext) -> None:
    user = ctx.create_user()
    send_patch(ctx, ENTRA, build.set_active(ENTRA, user["id"], False), what="replace active false")
    body, ex = read_back(ctx, user_path(ctx, user))
    ctx.expect(body.get("active") is False, False, body.get("active"), ex)


@idp_check(id="entra.manager-add", title="Manager: the profile's manager PATCH (add, enterprise manager path) sets the manager",
           area=AREA, suites=SUITE, requires=("enterprise",), forms=BOTH, knobs=("manager_value",),
           rests_on="Entra ID manager update, sent once every user exists (idp-behaviors §5, E1, E3); RFC 7643 §4.3",
           fix="Accept add at urn:…:enterprise:2.0:User:manager with a {\"value\": id} value.",
           idp_impact="Manager relationships from Entra ID are never set in the app.")
def manager_add(ctx: CheckContext) -> None:
    boss, user = ctx.create_user(), ctx.create_user()
    send_patch(ctx, LEGACY, build.set_manager(LEGACY, user["id"], boss["id"], MANAGER), what="Entra's manager PATCH")
    body, ex = read_back(ctx, user_path(ctx, user))
    ext = found if isinstance(found := body.get(ENTERPRISE_USER), dict) else {}
    manager = found if isinstance(found := ext.get("manager"), dict) else {}
    ctx.expect(manager.get("value") == boss["id"], boss["id"], ext.get("manager"), ex)


@idp_check(id="entra.legacy-roles-string", title="Legacy roles PATCH with a JSON string value is accepted",
           area=AREA, suites=SUITE, tags=("legacy",), forms=(LEGACY,), knobs=("roles_patch_as_json_string",),
           unconfirmed="how Entra ID reacts when the target refuses it",
           rests_on="Entra ID roles mapping (idp-behaviors §5, confirmed E6 that the value is a JSON string)",
           fix="Parse a string value for roles as JSON, or accept it as a role value; do not fail the whole update.",
           idp_impact="Apps using app roles: every role update is escrowed.")
def legacy_roles(ctx: CheckContext) -> None:
    not_applicable_without(ctx, "roles", "Entra ID")
    user = ctx.create_user()
    roles = [{"primary": True, "type": "WindowsAzureActiveDirectoryRole", "value": "Admin"}]
    send_patch(ctx, LEGACY, build.update_user(LEGACY, user["id"], [Change("roles", None, roles)]),
               what="roles as a JSON string")
    body, ex = read_back(ctx, user_path(ctx, user))
    values = [r.get("value") for r in body.get("roles") or [] if isinstance(r, dict)]
    ctx.expect(values == ["Admin"], "one role with value Admin (the string parsed as JSON)", body.get("roles"), ex)


@idp_check(id="entra.group-lookup", title="Group lookup: displayName eq with excludedAttributes=members finds it without members",
           area=AREA, suites=SUITE, requires=("groups",), forms=BOTH,
           knobs=("group_probe_filter", "group_probe_excluded_attributes"),
           rests_on="Entra ID group matching (idp-behaviors §5, confirmed E1, E3)",
           fix="Support displayName eq on Groups together with excludedAttributes=members.",
           idp_impact="Entra ID does not find existing groups and creates duplicates; large groups time out.")
def group_lookup(ctx: CheckContext) -> None:
    user = ctx.create_user()
    group = ctx.create_group(members=[{"value": user["id"]}])
    body, ex = find(ctx, ENTRA, "Group", group["displayName"], expect=group["id"])
    found = [r for r in body.get("Resources") or [] if isinstance(r, dict)]
    expect_projected(ctx, "members" not in found[0], "no members", sorted(found[0]), ex,
                     "excludedAttributes=members ignored")


@idp_check(id="entra.group-create-empty", title="Entra's group POST (ADSCIM schema URN, no members) answers 201",
           area=AREA, suites=SUITE, requires=("groups",), forms=BOTH,
           knobs=("group_extra_schemas", "group_create_meta", "create_empty_groups", "group_create_with_members"),
           rests_on="Entra ID group create (idp-behaviors §5, confirmed E1, E3)",
           fix="Accept Entra's extra schema URN on groups (or ignore unknown URNs) and an empty group.",
           idp_impact="No group assigned in Entra ID is ever created in the app.")
def group_create(ctx: CheckContext) -> None:
    ex = send(ctx, ENTRA, build.create_group(ENTRA, {"displayName": ctx.unique("g"), "externalId": random_id()}))
    group = ctx.expect_resource(ex, 201)
    ctx.created(group_path(ctx, group))
    ctx.expect(bool(group.get("id")), "an id", group.get("id"), ex)


@idp_check(id="entra.group-add-members", title="Members arrive in one Add PATCH of several values (\"$ref\": null)",
           area=AREA, suites=SUITE, requires=("groups",), forms=(LEGACY,),
           knobs=("op_case", "member_ref_null", "member_batch_size"),
           rests_on="Entra ID membership (idp-behaviors §5, confirmed E1, E3; value form E11)",
           fix="Accept \"Add\" path members with a list of values (a null $ref is absent); add them all.",
           idp_impact="Group memberships never reach the app; access by group fails.")
def group_add_members(ctx: CheckContext) -> None:
    users = [ctx.create_user() for _ in range(3)]
    group = ctx.create_group()  # created empty, as Entra does (its POST form is judged by entra.group-create-empty)
    for request in build.member_patches(LEGACY, group["id"], add=[u["id"] for u in users]):
        send_patch(ctx, LEGACY, request, what="Add members")
    body, ex = read_back(ctx, group_path(ctx, group))
    ctx.expect(members(body) == {u["id"] for u in users}, sorted(u["id"] for u in users), sorted(members(body)), ex)


@idp_check(id="entra.legacy-member-remove", title="Legacy Remove path members with a value list removes only those members",
           area=AREA, suites=SUITE, requires=("groups",), tags=("legacy",), forms=(LEGACY,),
           knobs=("member_remove_form", "op_case"),
           rests_on="Entra ID legacy member removal (idp-behaviors §5, confirmed E2, E10)",
           fix="For remove with path 'members' and a value list, remove only the listed members.",
           idp_impact="Removing one person from a group in Entra ID empties the whole group in the app.")
def legacy_member_remove(ctx: CheckContext) -> None:
    users = [ctx.create_user() for _ in range(3)]
    group = group_with_members(ctx, users)
    for request in build.member_patches(LEGACY, group["id"], remove=[users[0]["id"]]):
        send_patch(ctx, LEGACY, request, what="legacy Remove members")
    body, ex = read_back(ctx, group_path(ctx, group))
    ctx.expect(members(body) == {users[1]["id"], users[2]["id"]}, sorted([users[1]["id"], users[2]["id"]]),
               sorted(members(body)), ex, message="the legacy remove did not remove exactly the listed member")


@idp_check(id="entra.flag-query-tolerated", title="Requests carrying ?aadOptscim062020 are served normally",
           area=AREA, suites=SUITE, tags=("aadoptscim062020",), forms=(ENTRA,), knobs=("tenant_url_query",),
           rests_on="Entra ID Tenant URL with the flag (seed 004; idp-behaviors §5, E2)",
           fix="Ignore unknown query parameters (RFC 7644 §3.4.2 leaves them to the server); do not 400 on them.",
           idp_impact="An admin who follows Microsoft's advice and adds ?aadOptscim062020 breaks every request.")
def flag_query(ctx: CheckContext) -> None:
    user = ctx.create_user()
    ex = send(ctx, ENTRA, build.get_by_id(ENTRA, "User", user["id"]), query=ENTRA_FLAG)
    ctx.expect_status(ex, 200, message=f"GET with ?{ENTRA_FLAG} answered {ex.status}")
    find(ctx, ENTRA, "User", user["userName"], expect=user["id"], query=ENTRA_FLAG)
