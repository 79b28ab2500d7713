"""PATCH path forms: value filters, sub-attributes, URNs, case, primary, and group members
(RFC 7644 §3.5.2 Figure 7, §3.5.2.1-3, §3.10; RFC 7643 §2.4, §4.1.2)."""

from __future__ import annotations

from typing import Any

from harness.checks import CheckContext, check
from harness.discovery import ENTERPRISE_USER
from harness.results import Level

from scenarios.conformance._probes import (emails_of, member_ids, not_observable_if_501, patch_ok, resource_path, read_back,
                                          values_of)
from scenarios.conformance.common import skip_unless_user_groups, expect_error, free_strings, CORE_USER
from scenarios.conformance.rfc_text import QUOTES

AREA = "patch"


def _two_emails(ctx: CheckContext) -> tuple[dict[str, Any], str, str]:
    work, home = ctx.unique_email("w"), ctx.unique_email("h")
    user = ctx.create_user(userName=work, emails=[{"value": work, "type": "work", "primary": True},
                                                  {"value": home, "type": "home"}])
    return user, work, home


@check(id="patch.value-path-sub-attribute", quote=QUOTES["patch.value-path-sub-attribute"], title='replace emails[type eq "work"].value changes only that value',
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.5.2.3", checklist=("PATCH-21",), requires=("patch",),
       fix="Support valuePath with a trailing sub-attribute: change that sub-attribute of every matching value.",
       idp_impact="Entra ID updates the work email with exactly this path.")
def value_path_sub(ctx: CheckContext) -> None:
    user, work, home = _two_emails(ctx)
    path = resource_path(ctx.users, user)
    new = ctx.unique_email("new")
    patch_ok(ctx, path, {"op": "replace", "path": 'emails[type eq "work"].value', "value": new})
    body, ex = read_back(ctx, path)
    by_type = {str(e.get("type")): e for e in emails_of(body)}
    ctx.expect(by_type.get("work", {}).get("value") == new and by_type.get("home", {}).get("value") == home,
               {"work": new, "home": home}, {t: e.get("value") for t, e in by_type.items()}, ex)
    ctx.expect(by_type["work"].get("primary") is True, "work email still primary", by_type["work"].get("primary"), ex,
               message="replacing .value dropped the other sub-attributes of the email")


@check(id="patch.value-path-no-match-400", quote=QUOTES["patch.value-path-no-match-400"], title="replace with a value filter that matches nothing answers 400 noTarget",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.5.2.3", checklist=("PATCH-22",), requires=("patch",),
       fix="When a valuePath selects no value, answer 400 with scimType noTarget.")
def value_path_no_match(ctx: CheckContext) -> None:
    user, work, _ = _two_emails(ctx)
    path = resource_path(ctx.users, user)
    ex = ctx.patch_op(path, {"op": "replace", "path": 'emails[type eq "fax"].value', "value": "f@example.com"})
    if ex.status == 501:  # refused for the miss, or because value filters are not implemented at all?
        matching = {"op": "replace", "path": 'emails[type eq "work"].value', "value": work}
        not_observable_if_501(ctx, ctx.patch_op(path, matching), matching)
    expect_error(ctx, ex, 400, scim_type="noTarget")


@check(id="patch.remove-value-path", quote=QUOTES["patch.remove-value-path"], title="remove with a value filter removes only the matching values",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.5.2.2", checklist=("PATCH-14",), requires=("patch", "groups"),
       fix='remove path members[value eq "id"] removes that member and keeps the others.',
       idp_impact="Entra ID (aadOptscim062020) and Okta remove members this way; a no-op leaves leavers in groups.")
def remove_value_path(ctx: CheckContext) -> None:
    u1, u2 = ctx.create_user(), ctx.create_user()
    group = ctx.create_group(members=[{"value": u1["id"]}, {"value": u2["id"]}])
    path = resource_path(ctx.groups, group)
    patch_ok(ctx, path, {"op": "remove", "path": f'members[value eq "{u1["id"]}"]'})
    body, ex = read_back(ctx, path)
    ctx.expect(member_ids(body) == {u2["id"]}, [u2["id"]], sorted(member_ids(body)), ex,
               message="remove members[value eq …] did not remove exactly that member")


@check(id="patch.remove-email-by-filter", quote=QUOTES["patch.remove-email-by-filter"], title="remove emails[type eq \"home\"] removes that email only",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.5.2.2", checklist=("PATCH-14",), requires=("patch",),
       fix="Apply remove value filters to every multi-valued attribute, not just members.")
def remove_email_by_filter(ctx: CheckContext) -> None:
    user, work, _ = _two_emails(ctx)
    path = resource_path(ctx.users, user)
    patch_ok(ctx, path, {"op": "remove", "path": 'emails[type eq "home"]'})
    body, ex = read_back(ctx, path)
    ctx.expect([e.get("value") for e in emails_of(body)] == [work], [work], [e.get("value") for e in emails_of(body)], ex)


@check(id="patch.remove-absent-member", quote=QUOTES["patch.remove-absent-member"], title="Removing a member that is not there succeeds without change",
       area=AREA, level=Level.MAY, rests_on="RFC 7644 §3.5.2.2", checklist=("PATCH-15",), requires=("patch", "groups"),
       fix="Treat removal of a non-member as a successful no-op (200/204).",
       idp_impact="IdPs that replay a removal get an error and escrow or retry it forever.")
def remove_absent(ctx: CheckContext) -> None:
    member, stranger = ctx.create_user(), ctx.create_user()
    group = ctx.create_group(members=[{"value": member["id"]}])
    path = resource_path(ctx.groups, group)
    op = {"op": "remove", "path": f'members[value eq "{stranger["id"]}"]'}
    ex = ctx.expect_answer(ctx.patch_op(path, op))
    not_observable_if_501(ctx, ex, op)  # the filtered remove itself is patch.remove-value-path's subject
    if ex.status == 400:  # RFC 7644 names no outcome for a remove filter that matches nothing: recorded
        ctx.note(f"removing a non-member is refused with 400 (scimType {(ex.json_or_none() or {}).get('scimType')!r})")
    else:
        ctx.expect_status(ex, 200, 204, message=f"removing a non-member answered {ex.status}")
    body, ex = read_back(ctx, path)
    ctx.expect(member_ids(body) == {member["id"]}, [member["id"]], sorted(member_ids(body)), ex)


@check(id="patch.add-existing-no-op", quote=QUOTES["patch.add-existing-no-op"], title="Adding a member that is already there changes nothing",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.5.2.1", checklist=("PATCH-10",), requires=("patch", "groups"),
       fix="Adding an existing value is a no-op: no duplicate, lastModified and version unchanged.")
def add_existing(ctx: CheckContext) -> None:
    user = ctx.create_user()
    group = ctx.create_group(members=[{"value": user["id"]}])
    path = resource_path(ctx.groups, group)
    before, _ = read_back(ctx, path)
    patch_ok(ctx, path, {"op": "add", "path": "members", "value": [{"value": user["id"]}]})
    after, ex = read_back(ctx, path)
    values = values_of(after, "members")
    ctx.expect(values == [user["id"]], [user["id"]], values, ex, message="the member is listed twice")
    meta_b, meta_a = before.get("meta") or {}, after.get("meta") or {}
    ctx.expect((meta_a.get("lastModified"), meta_a.get("version")) == (meta_b.get("lastModified"), meta_b.get("version")),
               {"lastModified": meta_b.get("lastModified"), "version": meta_b.get("version")},
               {"lastModified": meta_a.get("lastModified"), "version": meta_a.get("version")}, ex,
               message="a no-op add changed lastModified or version")


@check(id="patch.primary-exclusive", quote=QUOTES["patch.primary-exclusive"], title="Setting primary on one value clears it on the others",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.5.2; RFC 7643 §2.4", checklist=("PATCH-23",), requires=("patch",),
       fix="When a value becomes primary, set primary false on every other value of that attribute.")
def primary_exclusive(ctx: CheckContext) -> None:
    user, work, home = _two_emails(ctx)
    path = resource_path(ctx.users, user)
    patch_ok(ctx, path, {"op": "replace", "path": 'emails[type eq "home"].primary', "value": True})
    body, ex = read_back(ctx, path)
    primaries = [e.get("value") for e in emails_of(body) if e.get("primary") is True]
    ctx.expect(primaries == [home], [home], primaries, ex, message="more (or fewer) than one primary email")


@check(id="patch.malformed-path-400", quote=QUOTES["patch.malformed-path-400"], title="A malformed path answers 400 invalidPath (or invalidFilter)",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.5.2 Figure 7, §3.12 Table 9", checklist=("PATCH-24",),
       requires=("patch",), fix="Validate paths; a broken one is 400 invalidPath (invalidFilter inside brackets).")
def malformed_path(ctx: CheckContext) -> None:
    user = ctx.create_user()
    ex = ctx.patch_op(resource_path(ctx.users, user), {"op": "replace", "path": "emails[type eq", "value": "x"})
    body = expect_error(ctx, ex, 400)
    if body.get("scimType") not in ("invalidPath", "invalidFilter"):  # scimType is OPTIONAL: recorded
        ctx.note(f"the 400 carried scimType {body.get('scimType')!r}; Table 9 names invalidPath")


@check(id="patch.path-case-insensitive", quote=QUOTES["patch.path-case-insensitive"], title="Attribute names in a PATCH path are case-insensitive",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.10; RFC 7643 §2.1", checklist=("PATCH-25",), requires=("patch",),
       fix="Resolve PATCH paths case-insensitively; store under the schema's spelling.")
def path_case(ctx: CheckContext) -> None:
    attrs = free_strings(ctx, "displayName", "nickName")[:2]
    user = ctx.create_user()
    path = resource_path(ctx.users, user)
    sent = [attrs[0].upper(), *(a[:1].upper() + a[1:] for a in attrs[1:])]  # DISPLAYNAME, NickName
    ops: list[dict[str, Any]] = [{"op": "replace", "path": sent[0], "value": "Upper"}]
    ops += [{"op": "replace", "value": {sent[1]: "Mixed"}}] if len(sent) > 1 else []
    patch_ok(ctx, path, *ops)
    body, ex = read_back(ctx, path)
    wanted = dict(zip(attrs, ("Upper", "Mixed")))
    seen = {a: body.get(a) for a in attrs}
    ctx.expect(seen == wanted, wanted, seen, ex)
    ctx.expect(not any(s in body for s in sent if s not in attrs), "the schema's spelling", sorted(body), ex)


@check(id="patch.path-urn-core", quote=QUOTES["patch.path-urn-core"], title="A URN-qualified core path works in PATCH",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.10, §3.5.2", checklist=("PATCH-25",), requires=("patch",),
       fix="Accept '<schema URN>:<attribute>' paths for core attributes.")
def path_urn_core(ctx: CheckContext) -> None:
    attr = free_strings(ctx, "displayName")[0]
    user = ctx.create_user()
    path = resource_path(ctx.users, user)
    patch_ok(ctx, path, {"op": "replace", "path": f"{CORE_USER}:{attr}", "value": "ByUrn"})
    body, ex = read_back(ctx, path)
    ctx.expect(body.get(attr) == "ByUrn", f"{attr} ByUrn", body.get(attr), ex)


@check(id="patch.extension-urn-added", quote=QUOTES["patch.extension-urn-added"], title="Writing an extension attribute by URN path adds its URN to schemas",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.5.2; RFC 7643 §3.3", checklist=("PATCH-26", "PATCH-25"),
       requires=("patch", "enterprise"),
       fix="Store URN-path writes inside the extension object and list the extension URN in schemas.")
def extension_urn(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = resource_path(ctx.users, user)
    patch_ok(ctx, path, {"op": "add", "path": f"{ENTERPRISE_USER}:employeeNumber", "value": "E-42"})
    body, ex = read_back(ctx, path)
    ext = found if isinstance(found := body.get(ENTERPRISE_USER), dict) else {}
    ctx.expect(ext.get("employeeNumber") == "E-42", "employeeNumber E-42 in the extension object", ext, ex)
    ctx.expect(ENTERPRISE_USER in (body.get("schemas") or []), f"schemas with {ENTERPRISE_USER}", body.get("schemas"), ex)


@check(id="patch.groups-reflected", quote=QUOTES["patch.groups-reflected"], title="Member add and remove show up in the user's groups",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §4.1.2", checklist=("PATCH-29",), requires=("patch", "groups"),
       fix="Derive User.groups from group membership, updated on every member change.")
def groups_reflected(ctx: CheckContext) -> None:
    skip_unless_user_groups(ctx)
    user = ctx.create_user()
    group = ctx.create_group()
    gpath, upath = resource_path(ctx.groups, group), resource_path(ctx.users, user)
    patch_ok(ctx, gpath, {"op": "add", "path": "members", "value": [{"value": user["id"]}]})
    body, ex = read_back(ctx, upath)
    ctx.expect(group["id"] in values_of(body, "groups"), f"groups with {group['id']}", body.get("groups"), ex,
               message="the user's groups does not list the group after a member add")
    patch_ok(ctx, gpath, {"op": "remove", "path": f'members[value eq "{user["id"]}"]'})
    body, ex = read_back(ctx, upath)
    ctx.expect(group["id"] not in values_of(body, "groups"), "the group gone from groups", body.get("groups"), ex,
               message="the user's groups still lists the group after a member remove")
