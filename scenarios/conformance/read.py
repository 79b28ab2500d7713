"""Read and attribute selection: GET by id, attributes, excludedAttributes (RFC 7644 §3.4.1, §3.9, §3.10)."""

from __future__ import annotations

from typing import Any

from harness.checks import CheckContext, check
from harness.results import Level

from scenarios.conformance.common import expect_error, expect_projected, CORE_USER, fetch, post_and_track, random_id
from scenarios.causes import UNKNOWN_ID_NOT_404
from scenarios.conformance.rfc_text import QUOTES

AREA = "read"


@check(id="read.by-id", quote=QUOTES["read.by-id"], title="GET /Users/{id} returns the bare resource",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.1", checklist=("READ-01",),
       fix="Answer GET /Users/{id} with 200 and the resource itself, not a ListResponse.")
def by_id(ctx: CheckContext) -> None:
    user = ctx.create_user()
    body, ex = fetch(ctx, ctx.users, user)
    ctx.expect("Resources" not in body, "a bare resource", "a ListResponse", ex,
               message="GET by id answered a ListResponse")
    ctx.expect(body.get("id") == user["id"], user["id"], body.get("id"), ex)


@check(id="read.unknown-id-404", quote=QUOTES["read.unknown-id-404"], cause=UNKNOWN_ID_NOT_404, title="An unknown id answers 404 with a SCIM error",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.12 Table 8", checklist=("READ-02",),
       fix="Answer GET /Users/{unknown} and /Groups/{unknown} with 404 and a SCIM error body.")
def unknown_id(ctx: CheckContext) -> None:
    expect_error(ctx, ctx.get(f"{ctx.users}/{random_id()}"), 404)
    if ctx.discovery.supports("groups"):
        expect_error(ctx, ctx.get(f"{ctx.groups}/{random_id()}"), 404)


@check(id="read.default-attribute-set", quote=QUOTES["read.default-attribute-set"], title="By default no returned=never or returned=request attribute appears",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4, §3.9; RFC 7643 §7", checklist=("READ-03",),
       fix="Build default responses from attributes whose 'returned' is always or default only.")
def default_attribute_set(ctx: CheckContext) -> None:
    hidden = [a["name"] for a in ctx.discovery.attributes_where(CORE_USER, returned="never")]
    hidden += [a["name"] for a in ctx.discovery.attributes_where(CORE_USER, returned="request")]
    if not hidden:
        ctx.skip("the User schema marks no attribute returned=never or returned=request")
    extra: dict[str, Any] = {}
    if "password" in hidden:
        extra["password"] = "S3cret-harness-Pw!"
    user = ctx.create_user(**extra)
    body, ex = fetch(ctx, ctx.users, user)
    shown = [name for name in hidden if any(k.lower() == name.lower() for k in body)]
    ctx.expect(not shown, f"none of {hidden}", shown, ex, message=f"returned by default although marked never/request: {shown}")


@check(id="read.attributes-param", quote=QUOTES["read.attributes-param"], title="attributes=userName returns userName plus the always-returned attributes",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.5, §3.9", checklist=("READ-04",),
       fix="Honour ?attributes=: return only the named attributes plus those with returned=always (id).",
       idp_impact="IdPs that ask for a few attributes download whole objects; large groups time out.")
def attributes_param(ctx: CheckContext) -> None:
    user = ctx.create_user()
    body, ex = fetch(ctx, ctx.users, user, params={"attributes": "userName"})
    ctx.expect(body.get("id") == user["id"], "id (returned=always)", body.get("id"), ex)
    ctx.expect("userName" in body, "userName", sorted(body), ex)
    extra = [k for k in ("name", "emails", "displayName", "active") if k in body]
    expect_projected(ctx, not extra, "only userName and always-returned attributes", sorted(body), ex,
                     f"attributes=userName still returned {extra}")


@check(id="read.excluded-attributes", quote=QUOTES["read.excluded-attributes"], title="excludedAttributes removes attributes but keeps returned=always ones",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.5, §3.9", checklist=("READ-05",),
       fix="Honour ?excludedAttributes=: drop the named attributes from the default set, but never id.",
       idp_impact="Entra reads groups with excludedAttributes=members; ignoring it sends every member each time.")
def excluded_attributes(ctx: CheckContext) -> None:
    user = ctx.create_user()
    body, ex = fetch(ctx, ctx.users, user, params={"excludedAttributes": "id,name,emails"})
    ctx.expect(body.get("id") == user["id"], "id kept (returned=always)", body.get("id"), ex,
               message="excludedAttributes removed id, which is returned=always")
    gone = [k for k in ("name", "emails") if k in body]
    expect_projected(ctx, not gone, "name and emails excluded", sorted(body), ex, f"excludedAttributes kept {gone}")
    ctx.expect("userName" in body, "userName still present", sorted(body), ex)


@check(id="read.projection-on-list", quote=QUOTES["read.projection-on-list"], title="attributes applies to list responses",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.9, §3.4.2", checklist=("READ-06",),
       fix="Apply attributes/excludedAttributes to every resource in a ListResponse.")
def projection_on_list(ctx: CheckContext) -> None:
    ctx.create_user()
    ex = ctx.get(ctx.users, params={"attributes": "userName", "count": 5})
    body = ctx.expect_list_response(ex)
    resources = [r for r in body.get("Resources") or [] if isinstance(r, dict)]
    ctx.expect(resources, "at least one resource", body.get("totalResults"), ex)
    leaked = [r.get("id") for r in resources if "name" in r or "emails" in r]
    expect_projected(ctx, not leaked, "no name/emails in any listed resource", leaked, ex,
                     "attributes=userName was not applied to the list")


@check(id="read.projection-on-post", quote=QUOTES["read.projection-on-post"], title="attributes applies to the POST response",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.9, §3.3", checklist=("READ-06",),
       fix="Apply ?attributes= to the resource returned by POST (and PUT/PATCH) as well as GET.")
def projection_on_post(ctx: CheckContext) -> None:
    ex = post_and_track(ctx, ctx.users, ctx.user_body(), params={"attributes": "userName"})
    body = ctx.expect_resource(ex, 201)
    expect_projected(ctx, not any(k in body for k in ("name", "emails")), "only userName and id", sorted(body), ex,
                     "POST ?attributes=userName returned the full resource")


@check(id="read.projection-on-put", quote=QUOTES["read.projection-on-put"], title="attributes applies to the PUT response",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.9, §3.5.1", checklist=("READ-06",),
       fix="Apply ?attributes= to the resource returned by PUT.")
def projection_on_put(ctx: CheckContext) -> None:
    user = ctx.create_user()
    ex = ctx.put(f"{ctx.users}/{user['id']}", ctx.user_body(userName=user["userName"]), params={"attributes": "userName"})
    body = ctx.expect_resource(ex, 200)
    expect_projected(ctx, not any(k in body for k in ("name", "emails")), "only userName and id", sorted(body), ex,
                     "PUT ?attributes=userName returned the full resource")


@check(id="read.sub-attribute", quote=QUOTES["read.sub-attribute"], title="attributes=name.givenName returns only that part of name",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.9, §3.10", checklist=("READ-07",),
       fix="Support dotted sub-attribute paths in attributes: return name with givenName only.")
def sub_attribute(ctx: CheckContext) -> None:
    user = ctx.create_user()
    body, ex = fetch(ctx, ctx.users, user, params={"attributes": "name.givenName"})
    name = body.get("name")
    ctx.expect(isinstance(name, dict) and name.get("givenName") == "Test", {"givenName": "Test"}, name, ex)
    expect_projected(ctx, isinstance(name, dict) and "familyName" not in name, "no familyName", name, ex,
                     "attributes=name.givenName returned the whole name", refinement=True)
    expect_projected(ctx, "emails" not in body, "no emails", sorted(body), ex,
                     "attributes=name.givenName returned emails", refinement=True)


@check(id="read.attribute-names-case-insensitive", quote=QUOTES["read.attribute-names-case-insensitive"], title="Names in attributes are case-insensitive",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.10; RFC 7643 §2.1", checklist=("READ-08",),
       fix="Match attribute names in attributes/excludedAttributes without regard to case.")
def attribute_names_case(ctx: CheckContext) -> None:
    user = ctx.create_user()
    body, ex = fetch(ctx, ctx.users, user, params={"attributes": "USERNAME"})
    ctx.expect("userName" in body, "userName (schema spelling)", sorted(body), ex,
               message="attributes=USERNAME did not return userName")
    expect_projected(ctx, "emails" not in body, "no emails", sorted(body), ex, "attributes=USERNAME was ignored",
                     refinement=True)


@check(id="read.attribute-names-urn", quote=QUOTES["read.attribute-names-urn"], title="Names in attributes may be URN-qualified",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.10", checklist=("READ-08",),
       fix=f"Accept fully qualified names such as {CORE_USER}:userName in attributes.")
def attribute_names_urn(ctx: CheckContext) -> None:
    user = ctx.create_user()
    body, ex = fetch(ctx, ctx.users, user, params={"attributes": f"{CORE_USER}:userName"})
    ctx.expect("userName" in body, "userName", sorted(body), ex, message="a URN-qualified attributes name was not honoured")
    expect_projected(ctx, "emails" not in body, "no emails", sorted(body), ex,
                     "a URN-qualified attributes name was ignored", refinement=True)


@check(id="read.never-even-when-asked", quote=QUOTES["read.never-even-when-asked"], title="returned=never attributes are absent even when asked for",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §7 (returned never), §4.1.1", checklist=("READ-09", "DISC-13"),
       fix="Never serialise returned=never attributes (password), even when named in attributes=.")
def never_even_when_asked(ctx: CheckContext) -> None:
    never = [a["name"] for a in ctx.discovery.attributes_where(CORE_USER, returned="never")]
    if not never:
        ctx.skip("the User schema marks no attribute returned=never")
    extra = {"password": "S3cret-harness-Pw!"} if "password" in never else {}
    user = ctx.create_user(**extra)
    body, ex = fetch(ctx, ctx.users, user, params={"attributes": ",".join(never + ["userName"])})
    shown = [n for n in never if any(k.lower() == n.lower() for k in body)]
    ctx.expect(not shown, f"none of {never}", shown, ex, message=f"returned=never attributes came back when asked: {shown}")


@check(id="read.returned-request", quote=QUOTES["read.returned-request"], title="returned=request attributes appear only when asked for",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §7 (returned request); RFC 7644 §3.9", checklist=("READ-10", "DISC-13"),
       fix="Leave returned=request attributes out of default responses; include them when named in attributes=.")
def returned_request(ctx: CheckContext) -> None:
    candidates = [a for a in ctx.discovery.attributes_where(CORE_USER, returned="request")
                  if a["type"] == "string" and not a["multiValued"] and a["mutability"] in ("readWrite", "immutable")]
    if not candidates:
        ctx.skip("the User schema marks no writable single-valued string attribute returned=request")
    name = candidates[0]["name"]
    value = ctx.unique("req")
    user = ctx.create_user(**{name: value})
    body, ex = fetch(ctx, ctx.users, user)
    ctx.expect(name not in body, f"{name} absent by default", body.get(name), ex,
               message=f"{name} (returned=request) came back without being asked for")
    body, ex = fetch(ctx, ctx.users, user, params={"attributes": name})
    ctx.expect(body.get(name) == value, value, body.get(name), ex, message=f"{name} did not come back when asked for")


@check(id="read.unassigned-omitted", quote=QUOTES["read.unassigned-omitted"], title="Unassigned attributes are omitted or null, never an invented empty string",
       area=AREA, level=Level.MAY, rests_on="RFC 7643 §2.5", checklist=("READ-11",),
       fix="Omit attributes that have no value instead of emitting null or empty values.")
def unassigned_omitted(ctx: CheckContext) -> None:
    user = ctx.create_user()
    body, ex = fetch(ctx, ctx.users, user)
    # null, [] and omission are the same "unassigned" state (RFC 7643 §2.5): recorded. An empty
    # string is a value the client never sent, not an unassigned attribute.
    unassigned = sorted(k for k, v in body.items() if v is None or v == [] or v == {})
    if unassigned:
        ctx.note(f"unassigned attributes sent as null or empty: {unassigned}")
    blank = sorted(k for k, v in body.items() if v == "")
    ctx.expect(not blank, "no empty-string values the client never sent", blank, ex,
               message=f"attributes the client never set came back as empty strings: {blank}")
