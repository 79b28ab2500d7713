"""Create: POST /Users and /Groups (RFC 7644 §3.3; RFC 7643 §3.1, §4)."""

from __future__ import annotations

from harness.checks import CheckContext, check
from harness.results import Level

from scenarios.conformance.common import expect_error, CORE_GROUP, CORE_USER, fetch, post_and_track
from scenarios.causes import DUPLICATE_NOT_409
from scenarios.conformance.rfc_text import QUOTES

AREA = "create"


@check(id="create.user-201", quote=QUOTES["create.user-201"], title="POST /Users creates the user and answers 201",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.3", checklist=("CREATE-01",),
       fix="Answer a successful POST with 201 Created (not 200) and the new resource.",
       idp_impact="Strict clients treat 200 to a POST as 'not created' and retry.")
def user_201(ctx: CheckContext) -> None:
    ex = post_and_track(ctx, ctx.users, ctx.user_body())
    body = ctx.expect_resource(ex, 201)
    ctx.expect(bool(body.get("id")), "an id", body.get("id"), ex)


@check(id="create.group-201", quote=QUOTES["create.group-201"], title="POST /Groups creates the group and answers 201",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.3; RFC 7643 §4.2", checklist=("CREATE-01",),
       fix="Answer a successful POST /Groups with 201 Created and the new group.", requires=("groups",))
def group_201(ctx: CheckContext) -> None:
    ex = post_and_track(ctx, ctx.groups, ctx.group_body())
    body = ctx.expect_resource(ex, 201)
    ctx.expect(bool(body.get("id")), "an id", body.get("id"), ex)


@check(id="create.location-header", quote=QUOTES["create.location-header"], title="The 201 carries a Location equal to meta.location",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.3, §3.1; RFC 7643 §3.1", checklist=("CREATE-02",),
       fix="Send 'Location: https://host/base/Users/{id}' on the 201, the same absolute URL as meta.location.")
def location_header(ctx: CheckContext) -> None:
    ex = post_and_track(ctx, ctx.users, ctx.user_body())
    body = ctx.expect_resource(ex, 201)
    location = ex.header("Location")
    ctx.expect(bool(location), "a Location header", location, ex, message="the 201 has no Location header")
    meta_location = (body.get("meta") or {}).get("location")
    ctx.expect(location == meta_location, f"Location == meta.location ({meta_location})", location, ex,
               message="the Location header differs from meta.location")
    ctx.expect(str(location).startswith(("http://", "https://")) and str(location).rstrip("/").endswith(f"/{body.get('id')}"),
               f"an absolute URL ending in /{body.get('id')}", location, ex)


@check(id="create.returns-resource", quote=QUOTES["create.returns-resource"], title="The 201 body is the stored representation",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.3", checklist=("CREATE-03",),
       fix="Return the created resource, as stored, with id, meta and the attributes sent.")
def returns_resource(ctx: CheckContext) -> None:
    sent = ctx.user_body()
    ex = post_and_track(ctx, ctx.users, sent)
    body = ctx.expect_resource(ex, 201)
    missing = [k for k in ("id", "meta", "userName") if not body.get(k)]
    ctx.expect(not missing, "id, meta and userName", f"missing {missing}", ex)
    ctx.expect(str(body.get("userName")).lower() == sent["userName"].lower(), sent["userName"], body.get("userName"), ex)


@check(id="create.readonly-ignored", quote=QUOTES["create.readonly-ignored"], title="Client-supplied id, meta.created and groups are ignored on create",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §3.1; RFC 7644 §3.3", checklist=("CREATE-04",),
       fix="Ignore readOnly input (id, meta, groups) on POST: assign the id and timestamps yourself.",
       idp_impact="Okta sends \"groups\": [] with every new user; a 400 for it blocks all provisioning.")
def readonly_ignored(ctx: CheckContext) -> None:
    mine = f"{ctx.prefix}client-chosen-id"
    # groups: [] is what Okta sends on every create; a readOnly attribute must be tolerated.
    ex = post_and_track(ctx, ctx.users, ctx.user_body(id=mine, meta={"created": "1999-01-01T00:00:00Z"}, groups=[]))
    body = ctx.expect_resource(ex, 201)
    ctx.expect(body.get("id") != mine, "a server-assigned id", body.get("id"), ex,
               message="the server kept the client-supplied id")
    created = (body.get("meta") or {}).get("created")
    ctx.expect(not str(created).startswith("1999"), "a server-set meta.created", created, ex,
               message="the server kept the client-supplied meta.created")


@check(id="create.duplicate-username-409", quote=QUOTES["create.duplicate-username-409"], cause=DUPLICATE_NOT_409, title="A duplicate userName answers 409 uniqueness",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.3, §3.12 Table 9; RFC 7643 §4.1.1", checklist=("CREATE-05", "DISC-13"),
       fix='Enforce userName uniqueness and answer 409 with scimType "uniqueness".',
       idp_impact="Entra and Okta rely on 409 to detect an existing user; without it they create duplicates.")
def duplicate_username(ctx: CheckContext) -> None:
    user = ctx.create_user()
    ex = post_and_track(ctx, ctx.users, ctx.user_body(userName=user["userName"]))
    expect_error(ctx, ex, 409, scim_type="uniqueness")


@check(id="create.duplicate-username-case-409", quote=QUOTES["create.duplicate-username-case-409"], title="userName uniqueness ignores case",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §4.1.1 (caseExact false), §7", checklist=("CREATE-05", "ATTR-03"),
       fix="Compare userName case-insensitively (store a case-folded key with a unique index).",
       idp_impact="IdPs match users case-insensitively; 'Ann@x' and 'ann@x' become two accounts.")
def duplicate_username_case(ctx: CheckContext) -> None:
    user = ctx.create_user()
    ex = post_and_track(ctx, ctx.users, ctx.user_body(userName=str(user["userName"]).upper()))
    expect_error(ctx, ex, 409, scim_type="uniqueness")


@check(id="create.missing-username-400", quote=QUOTES["create.missing-username-400"], title="A user without userName answers 400 invalidValue",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §4.1.1; RFC 7644 §3.12 Table 9", checklist=("CREATE-06",),
       fix='Reject a POST without the required userName with 400 and scimType "invalidValue".')
def missing_username(ctx: CheckContext) -> None:
    ex = post_and_track(ctx, ctx.users, {"schemas": [CORE_USER], "displayName": "No userName"})
    expect_error(ctx, ex, 400, scim_type="invalidValue")


@check(id="create.group-missing-displayname-400", quote=QUOTES["create.group-missing-displayname-400"], title="A group without displayName answers 400 invalidValue",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §4.2; RFC 7644 §3.12 Table 9", checklist=("CREATE-06",),
       fix='Reject a POST /Groups without displayName with 400 and scimType "invalidValue".', requires=("groups",))
def group_missing_displayname(ctx: CheckContext) -> None:
    ex = post_and_track(ctx, ctx.groups, {"schemas": [CORE_GROUP]})
    expect_error(ctx, ex, 400, scim_type="invalidValue")


@check(id="create.meta-resource-type", quote=QUOTES["create.meta-resource-type"], title="meta.resourceType is set from the endpoint",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.3.1; RFC 7643 §3.1", checklist=("CREATE-07",),
       fix='Set meta.resourceType to "User" for /Users and "Group" for /Groups.')
def meta_resource_type(ctx: CheckContext) -> None:
    ex = post_and_track(ctx, ctx.users, ctx.user_body())
    body = ctx.expect_resource(ex, 201)
    ctx.expect((body.get("meta") or {}).get("resourceType") == "User", '"User"', (body.get("meta") or {}).get("resourceType"), ex)
    if ctx.discovery.supports("groups"):
        ex = post_and_track(ctx, ctx.groups, ctx.group_body())
        body = ctx.expect_resource(ex, 201)
        ctx.expect((body.get("meta") or {}).get("resourceType") == "Group", '"Group"',
                   (body.get("meta") or {}).get("resourceType"), ex)


@check(id="create.null-and-empty-unassigned", quote=QUOTES["create.null-and-empty-unassigned"], title="null and [] on create mean 'no value'",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §2.5; RFC 7644 §3.3", checklist=("ATTR-10", "CREATE-08"),
       fix='Treat "nickName": null and "phoneNumbers": [] as unassigned: store nothing, return nothing '
           "(or null / []), never the string 'null' or an empty object.")
def null_and_empty(ctx: CheckContext) -> None:
    user = ctx.create_user(nickName=None, phoneNumbers=[])
    body, ex = fetch(ctx, ctx.users, user)
    ctx.expect(body.get("nickName") is None, "nickName unassigned", body.get("nickName"), ex,
               message=f"nickName sent as null came back as {body.get('nickName')!r}")
    ctx.expect(body.get("phoneNumbers") in (None, []), "phoneNumbers unassigned", body.get("phoneNumbers"), ex,
               message=f"phoneNumbers sent as [] came back as {body.get('phoneNumbers')!r}")


@check(id="create.ids-distinct-stable", quote=QUOTES["create.ids-distinct-stable"], title="Ids are server-assigned, distinct and stable",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §3.1", checklist=("CREATE-09", "READ-01"),
       fix="Assign each resource a unique, permanent id (e.g. a UUID) that never contains 'bulkId'.")
def ids_distinct(ctx: CheckContext) -> None:
    first, second = ctx.create_user(), ctx.create_user()
    ctx.expect(first["id"] != second["id"], "two distinct ids", [first["id"], second["id"]])
    for created in (first, second):
        ctx.expect("bulkid" not in str(created["id"]).lower(), "an id without 'bulkId'", created["id"])
        body, ex = fetch(ctx, ctx.users, created)
        ctx.expect(body.get("id") == created["id"] and body.get("userName") == created.get("userName"),
                   {"id": created["id"], "userName": created.get("userName")},
                   {"id": body.get("id"), "userName": body.get("userName")}, ex,
                   message="GET by id did not return the resource that POST created")
