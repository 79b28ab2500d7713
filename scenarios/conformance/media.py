"""HTTP and media types: application/scim+json, Accept, UTF-8 (RFC 7644 §3.1, §3.8, §8.1)."""

from __future__ import annotations

import json

from harness.checks import CheckContext, check
from harness.results import Level

from scenarios.conformance.common import fetch, is_scim_json, post_and_track, random_id
from scenarios.conformance.rfc_text import QUOTES

AREA = "media"


@check(id="media.content-type-success", quote=QUOTES["media.content-type-success"], title="Successful JSON responses are application/scim+json",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.1, §8.1", checklist=("HTTP-01",),
       fix="Send Content-Type: application/scim+json (a charset parameter is fine) on every JSON response.")
def content_type_success(ctx: CheckContext) -> None:
    created = post_and_track(ctx, ctx.users, ctx.user_body())
    user = ctx.expect_resource(created, 201)
    for ex in (created, ctx.get(f"{ctx.users}/{user['id']}"), ctx.get(ctx.users, params={"count": 1})):
        ctx.expect_status(ex, 200, 201)
        ctype = ex.header("Content-Type")
        ctx.expect(is_scim_json(ctype), "application/scim+json", ctype, ex,
                   message=f"{ex.method} answered Content-Type {ctype!r}, expected application/scim+json")


@check(id="media.content-type-error", quote=QUOTES["media.content-type-error"], title="Error responses are application/scim+json",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.1, §3.12, §8.1", checklist=("HTTP-01",),
       fix="Send the SCIM Error body of 4xx answers as application/scim+json too.")
def content_type_error(ctx: CheckContext) -> None:
    ex = ctx.get(f"{ctx.users}/{random_id()}")
    ctx.expect_status(ex, 404)
    ctype = ex.header("Content-Type")
    ctx.expect(is_scim_json(ctype), "application/scim+json", ctype, ex,
               message=f"the 404 answered Content-Type {ctype!r}, expected application/scim+json")


def _post_as(ctx: CheckContext, content_type: str) -> None:
    body = ctx.user_body()
    ex = post_and_track(ctx, ctx.users, content=json.dumps(body), content_type=content_type)
    ctx.expect_status(ex, 201, message=f"POST with Content-Type {content_type!r} answered {ex.status}, expected 201")


@check(id="media.request-scim-json", quote=QUOTES["media.request-scim-json"], title="Request bodies are accepted as application/scim+json, with or without charset",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.8", checklist=("HTTP-02",),
       fix="Accept application/scim+json request bodies, ignoring a '; charset=utf-8' parameter.",
       idp_impact="Okta sends 'application/scim+json; charset=utf-8'; refusing it breaks every Okta push.")
def request_scim_json(ctx: CheckContext) -> None:
    for ctype in ("application/scim+json", "application/scim+json; charset=utf-8"):
        _post_as(ctx, ctype)


@check(id="media.request-application-json", quote=QUOTES["media.request-application-json"], title="Request bodies are accepted as application/json",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.8", checklist=("HTTP-02",),
       fix="Also accept application/json (with or without charset) as a request content type.",
       idp_impact="Some IdP clients and scripts send application/json.")
def request_application_json(ctx: CheckContext) -> None:
    for ctype in ("application/json", "application/json; charset=utf-8"):
        _post_as(ctx, ctype)


@check(id="media.accept-scim-json", quote=QUOTES["media.accept-scim-json"], title="Accept: application/scim+json, or no Accept, gets a SCIM JSON answer",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.8", checklist=("HTTP-03",),
       fix="Honour Accept: application/scim+json and default to application/scim+json when Accept is absent.")
def accept_scim_json(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = f"{ctx.users}/{user['id']}"
    # "*/*" stands for "no preference": HTTP clients send it when the caller names no type.
    for accept in ("application/scim+json", "*/*"):
        ex = ctx.get(path, headers=[("Accept", accept)])
        ctx.expect_status(ex, 200, message=f"GET with Accept {accept} answered {ex.status}")
        ctype = ex.header("Content-Type")
        ctx.expect(is_scim_json(ctype), "application/scim+json", ctype, ex,
                   message=f"GET with Accept {accept} answered Content-Type {ctype!r}")


@check(id="media.accept-json", quote=QUOTES["media.accept-json"], title="Accept: application/json is honoured",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.8", checklist=("HTTP-03",),
       fix="Answer Accept: application/json with the same JSON body (Content-Type application/json or scim+json).")
def accept_json(ctx: CheckContext) -> None:
    user = ctx.create_user()
    ex = ctx.get(f"{ctx.users}/{user['id']}", headers=[("Accept", "application/json")])
    body = ctx.expect_resource(ex, 200)
    ctx.expect(body.get("id") == user["id"], user["id"], body.get("id"), ex)


@check(id="media.utf8-round-trip", quote=QUOTES["media.utf8-round-trip"], title="Non-ASCII values round-trip unchanged as UTF-8",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.8", checklist=("HTTP-04",),
       fix="Decode request bodies as UTF-8 and store text without transliteration; encode responses as UTF-8.")
def utf8_round_trip(ctx: CheckContext) -> None:
    given, family = "Zoë 张", "Ñúñez 😀"
    user = ctx.create_user(name={"givenName": given, "familyName": family}, displayName=f"{given} {family}")
    body, ex = fetch(ctx, ctx.users, user)
    name = body.get("name") or {}
    ctx.expect(name.get("givenName") == given and name.get("familyName") == family,
               {"givenName": given, "familyName": family}, name, ex,
               message="non-ASCII name values did not round-trip unchanged")


@check(id="media.unknown-params-ignored", quote=QUOTES["media.unknown-params-ignored"], title="Unknown query parameters are ignored",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.4.2", checklist=("HTTP-05",),
       fix="Ignore query parameters you do not know instead of answering 400.",
       idp_impact="Entra appends ?aadOptscim062020 to every request.")
def unknown_params(ctx: CheckContext) -> None:
    user = ctx.create_user()
    ex = ctx.get(f"{ctx.users}/{user['id']}", params={"harnessUnknownParam": "1"})
    ctx.expect_status(ex, 200)
    ctx.expect_list_response(ctx.get(ctx.users, params={"count": 1, "harnessUnknownParam": "1"}))
