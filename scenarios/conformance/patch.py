"""Modify with PATCH: the request, its ops and their semantics (RFC 7644 §3.5.2, §3.5.2.1-3).

Path forms (value filters, URNs, sub-attributes) are in :mod:`patch_paths`. Every check here
works on a user (or group) it created itself and reads the result back.
"""

from __future__ import annotations

from harness.checks import PATCH_URN, CheckContext, CouldNotJudge, check
from harness.fixtures import OMIT
from harness.results import Level

from scenarios.conformance._probes import accept_refusal, emails_of, not_observable_if_501, patch_ok, resource_path, read_back
from scenarios.conformance.common import expect_error, expect_projected, free_strings, random_id
from scenarios.causes import PATCH_NOT_IMPLEMENTED, UNKNOWN_ID_NOT_404
from scenarios.conformance.rfc_text import QUOTES

AREA = "patch"
RFC = "RFC 7644 §3.5.2"


@check(id="patch.supported", quote=QUOTES["patch.supported"], title="PATCH replace works (or is refused with 501 when not advertised)",
       area=AREA, level=Level.SHOULD, rests_on=f"{RFC}; RFC 7644 §3.12 Table 8", checklist=("PATCH-01",), requires=("patch",),
       fix="Implement PATCH; it is advertised in ServiceProviderConfig.patch.supported.",
       idp_impact="Entra ID, Okta (OIN) and JumpCloud update users only with PATCH; every update fails.")
def supported(ctx: CheckContext) -> None:
    attr = free_strings(ctx, "displayName")[0]
    user = ctx.create_user()
    path = resource_path(ctx.users, user)
    patch_ok(ctx, path, {"op": "replace", "path": attr, "value": "Patched Name"})
    body, ex = read_back(ctx, path)
    ctx.expect(body.get(attr) == "Patched Name", f"{attr} Patched Name", body.get(attr), ex)


@check(id="patch.missing-schema-400", quote=QUOTES["patch.missing-schema-400"], title="A PATCH body without the PatchOp URN answers 400 invalidSyntax",
       area=AREA, level=Level.SHOULD, rests_on=RFC, checklist=("PATCH-02",), requires=("patch",),
       fix="Require schemas [\"urn:ietf:params:scim:api:messages:2.0:PatchOp\"] in PATCH bodies.")
def missing_schema(ctx: CheckContext) -> None:
    op = {"op": "replace", "path": (free_strings(ctx, "displayName", need=0) or ["displayName"])[0], "value": "x"}
    user = ctx.create_user()
    path = resource_path(ctx.users, user)
    ex = ctx.patch(path, {"Operations": [op]})
    if ex.status == 501:  # refused: for the missing URN, or because the form itself is not implemented?
        not_observable_if_501(ctx, ctx.patch_op(path, op), op)
    expect_error(ctx, ex, 400, scim_type="invalidSyntax")


@check(id="patch.empty-operations-400", quote=QUOTES["patch.empty-operations-400"], title="A PATCH with no Operations answers 400",
       area=AREA, level=Level.SHOULD, rests_on=RFC, checklist=("PATCH-02",), requires=("patch",),
       fix="Reject a PatchOp whose Operations is missing or empty with 400 (scimType invalidSyntax).")
def empty_operations(ctx: CheckContext) -> None:
    # §3.5.2 requires "an array of one or more PATCH operations" but names no scimType for the
    # violation; Table 9 fits invalidSyntax (structure) and invalidValue (a required value
    # missing) alike, so either is accepted. Accepting the request is the defect.
    user = ctx.create_user()
    for body in ({"schemas": [PATCH_URN], "Operations": []}, {"schemas": [PATCH_URN]}):
        expect_error(ctx, ctx.patch(resource_path(ctx.users, user), body), 400)


@check(id="patch.unknown-op-400", quote=QUOTES["patch.unknown-op-400"], title="An op other than add/remove/replace answers 400",
       area=AREA, level=Level.SHOULD, rests_on=RFC, checklist=("PATCH-03",), requires=("patch",),
       fix="Accept only add, remove and replace (JSON Patch's move/copy/test do not exist in SCIM).")
def unknown_op(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = resource_path(ctx.users, user)
    ex = ctx.patch_op(path, {"op": "move", "from": "displayName", "path": "nickName"})
    ctx.expect_status(ex, 400, message=f"op 'move' answered {ex.status}, expected 400")
    expect_error(ctx, ex, 400)


@check(id="patch.json-pointer-path-400", quote=QUOTES["patch.json-pointer-path-400"], title="A JSON-Pointer style path answers 400 invalidPath",
       area=AREA, level=Level.SHOULD, rests_on=f"{RFC} Figure 7", checklist=("PATCH-03", "PATCH-24"), requires=("patch",),
       fix="Parse paths with the SCIM grammar (attrPath / valuePath), not JSON Pointer.")
def json_pointer(ctx: CheckContext) -> None:
    user = ctx.create_user()
    ex = ctx.patch_op(resource_path(ctx.users, user), {"op": "replace", "path": "/emails/0/value", "value": "x@example.com"})
    expect_error(ctx, ex, 400, scim_type="invalidPath")


@check(id="patch.ops-in-order", quote=QUOTES["patch.ops-in-order"], title="Operations apply in order, each on the result of the last",
       area=AREA, level=Level.MUST, rests_on=RFC, checklist=("PATCH-04",), requires=("patch",),
       fix="Apply Operations sequentially in array order.")
def ops_in_order(ctx: CheckContext) -> None:
    first, *more = free_strings(ctx, "title", "nickName")
    user = ctx.create_user()
    path = resource_path(ctx.users, user)
    ops = [{"op": "replace", "path": first, "value": "First"}, {"op": "replace", "path": first, "value": "Second"}]
    if more:  # a second attribute: added, then removed by the op after it
        ops += [{"op": "add", "path": more[0], "value": "nick"}, {"op": "remove", "path": more[0]}]
    patch_ok(ctx, path, *ops)
    body, ex = read_back(ctx, path)
    ctx.expect(body.get(first) == "Second", f"{first} Second", body.get(first), ex)
    if more:
        ctx.expect(not body.get(more[0]), f"{more[0]} removed by the later op", body.get(more[0]), ex)


@check(id="patch.atomic", quote=QUOTES["patch.atomic"], title="If one operation fails, none is applied",
       area=AREA, level=Level.MUST, rests_on=RFC, checklist=("PATCH-05",), requires=("patch",),
       fix="Apply a PATCH transactionally: validate/apply all ops on a copy, store only if all succeed.",
       idp_impact="A half-applied update leaves the user out of sync; the IdP retries and never converges.")
def atomic(ctx: CheckContext) -> None:
    attr = free_strings(ctx, "title")[0]
    user = ctx.create_user(**{attr: "Before"})
    path = resource_path(ctx.users, user)
    ops = ({"op": "replace", "path": attr, "value": "After"},
           {"op": "replace", "path": 'emails[type eq "nosuchtype"].value', "value": "x@example.com"})
    ex = ctx.patch_op(path, *ops)
    not_observable_if_501(ctx, ex, *ops)
    if ex.status is not None and 200 <= ex.status < 300:
        # The second op did not fail here: that is patch.value-path-no-match-400's finding, and
        # with no failing op there is no atomicity to observe.
        raise CouldNotJudge("not observable: a value filter matching nothing is not an error on this server "
                            f"(PATCH answered {ex.status}), so no op failed", ex, "patch.value-path-no-match-400")
    ctx.expect_status(ex, 400, message=f"a PATCH with a failing op answered {ex.status}, expected 400")
    body, ex2 = read_back(ctx, path)
    ctx.expect(body.get(attr) == "Before", f"{attr} unchanged (Before)", body.get(attr), ex2,
               message="the first op was applied although the request failed")


@check(id="patch.attributes-param-200", quote=QUOTES["patch.attributes-param-200"], title="PATCH with ?attributes= answers 200 with the projected resource",
       area=AREA, level=Level.MUST, rests_on=f"{RFC}; RFC 7644 §3.9", checklist=("PATCH-06",), requires=("patch",),
       fix="When attributes= is on a PATCH URL, answer 200 with the resource projected to those attributes.")
def attributes_param(ctx: CheckContext) -> None:
    attr, *more = free_strings(ctx, "displayName", "title")
    user = ctx.create_user(**({more[0]: "T"} if more else {}))
    op = {"op": "replace", "path": attr, "value": "Proj"}
    ex = ctx.patch_op(resource_path(ctx.users, user), op, params={"attributes": attr})
    if ex.status == 501:
        ctx.fail(f"PATCH answered 501 (Not Implemented): the target does not implement {op}", "200", 501, ex,
                 cause=PATCH_NOT_IMPLEMENTED)
    body = ctx.expect_resource(ex, 200)
    ctx.expect(body.get(attr) == "Proj", f"{attr} Proj", body.get(attr), ex)
    others = [k for k in (*more[:1], "emails") if k in body]
    expect_projected(ctx, not others, f"only id and {attr}", sorted(body), ex,
                     f"the PATCH answer was not projected to attributes={attr}")


@check(id="patch.add-single-valued", quote=QUOTES["patch.add-single-valued"], title="add on a single-valued attribute sets it",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.5.2.1", checklist=("PATCH-07",), requires=("patch",),
       fix="add with a path to a single-valued attribute sets (or replaces) the value.")
def add_single(ctx: CheckContext) -> None:
    attrs = free_strings(ctx, "nickName", "title")[:2]  # nickName unset, title set before
    user = ctx.create_user(**({attrs[1]: "Old"} if len(attrs) > 1 else {}))
    path = resource_path(ctx.users, user)
    wanted = dict(zip(attrs, ("Nick", "New")))
    patch_ok(ctx, path, *({"op": "add", "path": a, "value": v} for a, v in wanted.items()))
    body, ex = read_back(ctx, path)
    seen = {a: body.get(a) for a in wanted}
    ctx.expect(seen == wanted, wanted, seen, ex)


@check(id="patch.add-multi-valued-appends", quote=QUOTES["patch.add-multi-valued-appends"], title="add on a multi-valued attribute appends",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.5.2.1", checklist=("PATCH-08",), requires=("patch",),
       fix="add to a multi-valued attribute adds the new values to the existing ones.")
def add_multi(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = resource_path(ctx.users, user)
    extra = ctx.unique_email("home")
    patch_ok(ctx, path, {"op": "add", "path": "emails", "value": [{"value": extra, "type": "home"}]})
    body, ex = read_back(ctx, path)
    values = sorted(str(e.get("value")).lower() for e in emails_of(body))
    ctx.expect(values == sorted([user["userName"].lower(), extra.lower()]), "both emails", values, ex,
               message="add on emails did not append")


@check(id="patch.add-without-path", quote=QUOTES["patch.add-without-path"], title="add without a path merges the value object into the resource",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.5.2.1", checklist=("PATCH-09",), requires=("patch",),
       fix="A path-less add takes value as a set of attributes to add.")
def add_without_path(ctx: CheckContext) -> None:
    attr = free_strings(ctx, "nickName")[0]
    user = ctx.create_user()
    path = resource_path(ctx.users, user)
    extra = ctx.unique_email("other")
    patch_ok(ctx, path, {"op": "add", "value": {attr: "Merged", "emails": [{"value": extra, "type": "other"}]}})
    body, ex = read_back(ctx, path)
    values = [str(e.get("value")).lower() for e in emails_of(body)]
    ctx.expect(body.get(attr) == "Merged" and extra.lower() in values and user["userName"].lower() in values,
               f"{attr} Merged and both emails", {attr: body.get(attr), "emails": values}, ex)
    ctx.expect(body.get("userName") == user["userName"], user["userName"], body.get("userName"), ex)


@check(id="patch.missing-value-400", quote=QUOTES["patch.missing-value-400"], title="add or replace without a value answers 400",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.5.2.1, §3.5.2.3", checklist=("PATCH-11",), requires=("patch",),
       fix="Reject add/replace operations that carry no value with 400 (invalidSyntax or invalidValue).")
def missing_value(ctx: CheckContext) -> None:
    attr = free_strings(ctx, "title")[0]
    user = ctx.create_user(**{attr: "Keep"})
    path = resource_path(ctx.users, user)
    for op in ("replace", "add"):
        ex = ctx.patch_op(path, {"op": op, "path": attr})
        if ex.status == 501:  # refused: for the missing value, or because the form is not implemented?
            form = {"op": op, "path": attr, "value": "Keep"}
            not_observable_if_501(ctx, ctx.patch_op(path, form), form)
        ctx.expect_status(ex, 400, message=f"{op} without value answered {ex.status}, expected 400")
        expect_error(ctx, ex, 400)


@check(id="patch.remove-without-path-400", quote=QUOTES["patch.remove-without-path-400"], title="remove without a path answers 400 noTarget",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.5.2.2", checklist=("PATCH-12",), requires=("patch",),
       fix="Reject remove without path with 400 and scimType noTarget.")
def remove_without_path(ctx: CheckContext) -> None:
    user = ctx.create_user()
    expect_error(ctx, ctx.patch_op(resource_path(ctx.users, user), {"op": "remove"}), 400, scim_type="noTarget")


@check(id="patch.remove-attribute", quote=QUOTES["patch.remove-attribute"], title="remove unassigns a single-valued and a whole multi-valued attribute",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.5.2.2", checklist=("PATCH-13",), requires=("patch",),
       fix="remove with an attribute path deletes that attribute (all values of a multi-valued one).")
def remove_attribute(ctx: CheckContext) -> None:
    attr = free_strings(ctx, "title")[0]
    user = ctx.create_user(**{attr: "Gone"}, phoneNumbers=[{"value": "+1 555 0100", "type": "work"},
                                                          {"value": "+1 555 0101", "type": "home"}])
    path = resource_path(ctx.users, user)
    patch_ok(ctx, path, {"op": "remove", "path": attr}, {"op": "remove", "path": "phoneNumbers"})
    body, ex = read_back(ctx, path)
    ctx.expect(not body.get(attr) and not body.get("phoneNumbers"), f"no {attr}, no phoneNumbers",
               {attr: body.get(attr), "phoneNumbers": body.get("phoneNumbers")}, ex)


@check(id="patch.remove-required-400", quote=QUOTES["patch.remove-required-400"], title="Removing a required or readOnly attribute answers 400 mutability",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.5.2.2", checklist=("PATCH-16",), requires=("patch",),
       fix="Refuse to remove required (userName) or readOnly (id) attributes: 400 with scimType mutability.")
def remove_required(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = resource_path(ctx.users, user)
    accept_refusal(ctx, ctx.patch_op(path, {"op": "remove", "path": "userName"}), 400, scim_type="mutability")
    body, ex = read_back(ctx, path)
    ctx.expect(body.get("userName") == user["userName"], user["userName"], body.get("userName"), ex)


@check(id="patch.replace-multi-valued", quote=QUOTES["patch.replace-multi-valued"], title="replace on a multi-valued attribute replaces the whole list",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.5.2.3", checklist=("PATCH-17",), requires=("patch",),
       fix="replace with a path and no filter replaces all values of a multi-valued attribute.")
def replace_multi(ctx: CheckContext) -> None:
    user = ctx.create_user(emails=OMIT)  # omitted, not null: a server may refuse null for a list
    path = resource_path(ctx.users, user)
    patch_ok(ctx, path, {"op": "add", "path": "emails", "value": [{"value": ctx.unique_email("a"), "type": "home"}]})
    only = ctx.unique_email("only")
    patch_ok(ctx, path, {"op": "replace", "path": "emails", "value": [{"value": only, "type": "work"}]})
    body, ex = read_back(ctx, path)
    values = [e.get("value") for e in emails_of(body)]
    ctx.expect(values == [only], [only], values, ex, message="replace on emails merged instead of replacing")


@check(id="patch.replace-without-path", quote=QUOTES["patch.replace-without-path"], title="replace without a path changes only the attributes named",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.5.2.3", checklist=("PATCH-18",), requires=("patch",),
       fix="A path-less replace sets each attribute in value and leaves the others alone.",
       idp_impact="Okta deactivates with {\"op\":\"replace\",\"value\":{\"active\":false}}.")
def replace_without_path(ctx: CheckContext) -> None:
    attr, *more = free_strings(ctx, "displayName", "title")
    user = ctx.create_user(**({more[0]: "Stay"} if more else {}))
    path = resource_path(ctx.users, user)
    patch_ok(ctx, path, {"op": "replace", "value": {attr: "Renamed", "active": False}})
    body, ex = read_back(ctx, path)
    ctx.expect((body.get(attr), body.get("active")) == ("Renamed", False), [f"{attr} Renamed", False],
               [body.get(attr), body.get("active")], ex)
    kept = {"userName": user["userName"], **({more[0]: "Stay"} if more else {})}
    seen = {k: body.get(k) for k in kept}
    ctx.expect(seen == kept, kept, seen, ex, message="a path-less replace changed other attributes")


@check(id="patch.replace-unset-adds", quote=QUOTES["patch.replace-unset-adds"], title="replace on an unset attribute adds it",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.5.2.3", checklist=("PATCH-19",), requires=("patch",),
       fix="Treat replace of an attribute with no value as add.")
def replace_unset(ctx: CheckContext) -> None:
    attr = free_strings(ctx, "nickName")[0]
    user = ctx.create_user(**{attr: OMIT})
    path = resource_path(ctx.users, user)
    patch_ok(ctx, path, {"op": "replace", "path": attr, "value": "Fresh"})
    body, ex = read_back(ctx, path)
    ctx.expect(body.get(attr) == "Fresh", f"{attr} Fresh", body.get(attr), ex)


@check(id="patch.replace-complex-merges", quote=QUOTES["patch.replace-complex-merges"], title="replace on a complex attribute keeps sub-attributes not given",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.5.2.3", checklist=("PATCH-20",), requires=("patch",),
       fix="replace of a complex attribute sets the given sub-attributes and leaves the others unchanged.")
def replace_complex(ctx: CheckContext) -> None:
    user = ctx.create_user(name={"givenName": "Old", "familyName": "Kept"})
    path = resource_path(ctx.users, user)
    patch_ok(ctx, path, {"op": "replace", "path": "name", "value": {"givenName": "New"}})
    body, ex = read_back(ctx, path)
    name = found if isinstance(found := body.get("name"), dict) else {}
    ctx.expect((name.get("givenName"), name.get("familyName")) == ("New", "Kept"), {"givenName": "New", "familyName": "Kept"},
               name, ex, message="replace on name dropped the sub-attributes it did not name")


@check(id="patch.readonly-400", quote=QUOTES["patch.readonly-400"], title="Changing a readOnly attribute answers 400 mutability",
       area=AREA, level=Level.MUST, rests_on=f"{RFC}; RFC 7644 §3.12 Table 9", checklist=("PATCH-27",), requires=("patch",),
       fix="Refuse PATCH operations on readOnly attributes (id, meta) with 400 mutability.")
def readonly(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = resource_path(ctx.users, user)
    accept_refusal(ctx, ctx.patch_op(path, {"op": "replace", "path": "id", "value": random_id()}), 400,
                   scim_type="mutability")
    body, ex = read_back(ctx, path)
    ctx.expect(body.get("id") == user["id"], user["id"], body.get("id"), ex)


@check(id="patch.wrong-type-400", quote=QUOTES["patch.wrong-type-400"], title="A value of the wrong type answers 400 invalidValue",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.12 Table 9; RFC 7643 §2.3", checklist=("PATCH-28",),
       requires=("patch",), fix="Validate PATCH values against the schema type; 'maybe' is not a boolean.")
def wrong_type(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = resource_path(ctx.users, user)
    expect_error(ctx, ctx.patch_op(path, {"op": "replace", "path": "active", "value": "maybe"}), 400, scim_type="invalidValue")
    body, ex = read_back(ctx, path)
    ctx.expect(body.get("active") is True, True, body.get("active"), ex)


@check(id="patch.unknown-id-404", quote=QUOTES["patch.unknown-id-404"], cause=UNKNOWN_ID_NOT_404, title="PATCH on an unknown id answers 404",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.12 Table 8", checklist=("PATCH-30",), requires=("patch",),
       fix="Answer PATCH to a missing resource with 404 and a SCIM error; never create it.")
def unknown_id(ctx: CheckContext) -> None:
    ex = ctx.patch_op(f"{ctx.users}/{random_id()}", {"op": "replace", "path": "displayName", "value": "x"})
    expect_error(ctx, ex, 404)
