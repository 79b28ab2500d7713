"""Replace: PUT /{type}/{id} and mutability (RFC 7644 §3.5.1; RFC 7643 §2.2, §3.1)."""

from __future__ import annotations

from typing import Any

from harness.checks import CheckContext, check
from harness.results import Level

from scenarios.conformance.common import expect_error, CORE_USER, fetch, free_strings, random_id
from scenarios.causes import DUPLICATE_NOT_409, UNKNOWN_ID_NOT_404
from scenarios.conformance.rfc_text import QUOTES

AREA = "replace"


def _put_body(ctx: CheckContext, user: dict[str, Any], **changes: Any) -> dict[str, Any]:
    """The user as a client would PUT it back: its userName plus ``changes``."""
    return ctx.user_body(userName=user["userName"], **changes)


@check(id="replace.put-200", quote=QUOTES["replace.put-200"], title="PUT replaces the attributes and answers 200 with the resource",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.5.1", checklist=("PUT-01",),
       fix="Answer a successful PUT with 200 and the whole updated resource, keeping the same id.",
       idp_impact="Okta (AIW apps) updates users only by PUT.")
def put_200(ctx: CheckContext) -> None:
    attr = free_strings(ctx, "displayName")[0]
    user = ctx.create_user()
    new_name = f"Replaced {ctx.unique('dn')}"
    ex = ctx.put(f"{ctx.users}/{user['id']}", _put_body(ctx, user, **{attr: new_name}))
    body = ctx.expect_resource(ex, 200)
    ctx.expect(body.get("id") == user["id"], user["id"], body.get("id"), ex, message="PUT changed the id")
    ctx.expect(body.get(attr) == new_name, f"{attr} {new_name}", body.get(attr), ex)
    stored, ex = fetch(ctx, ctx.users, user)
    ctx.expect(stored.get(attr) == new_name, f"{attr} {new_name}", stored.get(attr), ex,
               message=f"the PUT answered 200 but GET shows the old {attr}")


@check(id="replace.unknown-id-404", quote=QUOTES["replace.unknown-id-404"], cause=UNKNOWN_ID_NOT_404, title="PUT to an unknown id answers 404 and creates nothing",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.5.1, §3.2", checklist=("PUT-02",),
       fix="Answer PUT /Users/{unknown} with 404; create resources only with POST.")
def unknown_id(ctx: CheckContext) -> None:
    path = f"{ctx.users}/{random_id()}"
    ctx.created(path)  # in case the target wrongly creates it
    ex = ctx.put(path, ctx.user_body())
    expect_error(ctx, ex, 404)
    after = ctx.get(path)
    ctx.expect_status(after, 404, message=f"after a PUT to an unknown id, GET answered {after.status}: it was created")


@check(id="replace.readonly-ignored", quote=QUOTES["replace.readonly-ignored"], title="readOnly input to PUT (meta.created, id) is ignored",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.5.1; RFC 7643 §3.1", checklist=("PUT-03",),
       fix="On PUT, ignore readOnly attributes the client sends (id, meta, groups) without error.")
def readonly_ignored(ctx: CheckContext) -> None:
    user = ctx.create_user()
    created = (user.get("meta") or {}).get("created")
    body_in = _put_body(ctx, user, meta={"created": "1999-01-01T00:00:00Z", "resourceType": "Group"})
    ex = ctx.put(f"{ctx.users}/{user['id']}", body_in)
    body = ctx.expect_resource(ex, 200)
    meta = body.get("meta") or {}
    ctx.expect(meta.get("created") == created, created, meta.get("created"), ex,
               message="PUT changed meta.created to the client's value")
    ctx.expect(meta.get("resourceType") == "User", "User", meta.get("resourceType"), ex)


@check(id="replace.multivalued-replaced", quote=QUOTES["replace.multivalued-replaced"], title="PUT replaces multi-valued attributes instead of merging",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.5.1", checklist=("PUT-04",),
       fix="On PUT, replace the whole list of a multi-valued attribute with the list sent.")
def multivalued_replaced(ctx: CheckContext) -> None:
    two = [{"value": ctx.unique_email("a"), "type": "work", "primary": True},
           {"value": ctx.unique_email("b"), "type": "home"}]
    user = ctx.create_user(emails=two)
    one = [{"value": ctx.unique_email("c"), "type": "work", "primary": True}]
    ex = ctx.put(f"{ctx.users}/{user['id']}", _put_body(ctx, user, emails=one))
    ctx.expect_resource(ex, 200)
    stored, ex = fetch(ctx, ctx.users, user)
    values = [e.get("value") for e in stored.get("emails") or [] if isinstance(e, dict)]
    ctx.expect(values == [one[0]["value"]], [one[0]["value"]], values, ex,
               message=f"after PUT with 1 email the user has {len(values)}: the list was merged")


@check(id="replace.omitted-and-null", quote=QUOTES["replace.omitted-and-null"], title="PUT with title omitted is recorded; title null clears it",
       area=AREA, level=Level.MAY, rests_on="RFC 7644 §3.5.1; RFC 7643 §2.5", checklist=("PUT-05", "ATTR-10"),
       fix='Document what an omitted attribute means on PUT; "title": null must leave title unassigned.')
def omitted_and_null(ctx: CheckContext) -> None:
    user = ctx.create_user(title="Engineer")
    path = f"{ctx.users}/{user['id']}"
    ex = ctx.put(path, _put_body(ctx, user))
    body = ctx.expect_resource(ex, 200)
    ctx.note("an omitted title was " + ("kept" if body.get("title") == "Engineer" else "cleared"))
    ctx.expect_resource(ctx.put(path, _put_body(ctx, user, title="Engineer")), 200)
    ex = ctx.put(path, _put_body(ctx, user, title=None))
    ctx.expect_resource(ex, 200)
    stored, ex = fetch(ctx, ctx.users, user)
    ctx.expect(stored.get("title") is None, "title unassigned", stored.get("title"), ex,
               message=f'after PUT with "title": null the title is {stored.get("title")!r}')


def _immutable_candidate(ctx: CheckContext) -> str | None:
    for attr in ctx.discovery.attributes_where(CORE_USER, mutability="immutable"):
        if attr["type"] == "string" and not attr["multiValued"] and attr["name"] not in ("userName", "id"):
            return str(attr["name"])
    return None


@check(id="replace.immutable-change-400", quote=QUOTES["replace.immutable-change-400"], title="Changing a set immutable attribute answers 400 mutability",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.5.1; RFC 7643 §7 (immutable)", checklist=("PUT-06",),
       fix='Reject a PUT that changes an immutable attribute that already has a value with 400 scimType "mutability".')
def immutable_change(ctx: CheckContext) -> None:
    name = _immutable_candidate(ctx)
    if name is None:
        ctx.skip("the User schema marks no single-valued string attribute immutable")
    user = ctx.create_user(**{name: ctx.unique("imm")})
    ex = ctx.put(f"{ctx.users}/{user['id']}", _put_body(ctx, user, **{name: ctx.unique("changed")}))
    expect_error(ctx, ex, 400, scim_type="mutability")


@check(id="replace.missing-required-400", quote=QUOTES["replace.missing-required-400"], title="PUT without a required attribute answers 400",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.5.1; RFC 7643 §4.1.1", checklist=("PUT-07",),
       fix="Validate PUT bodies like POST bodies: a missing userName is an error (400), not 'clear it'.")
def missing_required(ctx: CheckContext) -> None:
    user = ctx.create_user()
    body = ctx.user_body()
    del body["userName"]
    ex = ctx.put(f"{ctx.users}/{user['id']}", body)
    expect_error(ctx, ex, 400)
    stored, ex = fetch(ctx, ctx.users, user)
    ctx.expect(stored.get("userName") == user["userName"], user["userName"], stored.get("userName"), ex)


@check(id="replace.body-id-ignored", quote=QUOTES["replace.body-id-ignored"], title="The URL decides which resource PUT changes",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.5.1; RFC 7643 §3.1", checklist=("PUT-08",),
       fix="Take the target id from the URL and ignore an id in the body.")
def body_id_ignored(ctx: CheckContext) -> None:
    a, b = ctx.create_user(), ctx.create_user()
    marker = f"Changed {ctx.unique('dn')}"
    ex = ctx.put(f"{ctx.users}/{a['id']}", _put_body(ctx, a, id=b["id"], displayName=marker))
    body = ctx.expect_resource(ex, 200)
    ctx.expect(body.get("id") == a["id"], a["id"], body.get("id"), ex, message="PUT answered with the body's id")
    stored_b, ex_b = fetch(ctx, ctx.users, b)
    ctx.expect(stored_b.get("displayName") != marker, "B unchanged", stored_b.get("displayName"), ex_b,
               message="PUT /Users/A with id B in the body changed B")


@check(id="replace.username-conflict-409", quote=QUOTES["replace.username-conflict-409"], cause=DUPLICATE_NOT_409, title="PUT to another user's userName answers 409",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.5.1, §3.12 Table 9", checklist=("PUT-09",),
       fix='Enforce userName uniqueness on PUT as on POST: 409 with scimType "uniqueness".')
def username_conflict(ctx: CheckContext) -> None:
    a, b = ctx.create_user(), ctx.create_user()
    ex = ctx.put(f"{ctx.users}/{a['id']}", ctx.user_body(userName=b["userName"]))
    expect_error(ctx, ex, 409, scim_type="uniqueness")
