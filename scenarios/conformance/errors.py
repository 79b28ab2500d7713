"""Errors: the SCIM Error body, its status and scimType (RFC 7644 §3.12)."""

from __future__ import annotations

from typing import Any

from harness.checks import CheckContext, CouldNotJudge, check
from harness.recorder import Exchange
from harness.results import Level

from scenarios.conformance.common import expect_error, judge_error_body, ERROR_URN, SCIM_TYPES, post_and_track, random_id
from scenarios.conformance.rfc_text import QUOTES

AREA = "errors"
_LEAKS = ("traceback (most recent call last)", 'file "/', "sqlite3.", "sqlalchemy", "exception:", " at line ")


def _provoke(ctx: CheckContext) -> list[Exchange]:
    """A 404, a 400 (missing userName) and a 409 (duplicate userName) from this target."""
    user = ctx.create_user()
    return [
        ctx.get(f"{ctx.users}/{random_id()}"),
        post_and_track(ctx, ctx.users, {"schemas": ctx.user_body()["schemas"], "displayName": "no userName"}),
        post_and_track(ctx, ctx.users, ctx.user_body(userName=user["userName"])),
    ]


@check(id="errors.body-shape", quote=QUOTES["errors.body-shape"], title="Error bodies carry the Error schema and status as a string",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.12", checklist=("ERR-01", "ERR-02"),
       fix='Answer every 4xx/5xx with {"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],'
           '"status":"<code as a string>","scimType":...,"detail":...}.',
       idp_impact="Entra and Okta log the detail of a SCIM error; without it the admin sees only a code.")
def body_shape(ctx: CheckContext) -> None:
    errors = [ex for ex in _provoke(ctx) if (status := ctx.expect_answer(ex).status) is not None and status >= 400]
    if not errors:  # wrong statuses are judged by the create/read checks
        raise CouldNotJudge("none of a 404, a 400 and a 409 probe produced an error answer to inspect")
    for ex in errors:
        judge_error_body(ctx, ex)


@check(id="errors.scim-type-vocabulary", quote=QUOTES["errors.scim-type-vocabulary"], title="scimType values come from the RFC list and match the status",
       area=AREA, level=Level.MAY, rests_on="RFC 7644 §3.12 Table 9, §7.5.2", checklist=("ERR-03",),
       fix="Use only invalidFilter, tooMany, uniqueness, mutability, invalidSyntax, invalidPath, noTarget, "
           "invalidValue, invalidVers or sensitive; uniqueness goes with 409, sensitive with 403, the rest with 400.")
def scim_type_vocabulary(ctx: CheckContext) -> None:
    exchanges = _provoke(ctx) + [ctx.post(ctx.users, content="{not json")]
    for ex in exchanges:
        body = ex.json_or_none()
        if not isinstance(body, dict) or "scimType" not in body:
            continue
        scim_type = body.get("scimType")
        if not isinstance(scim_type, str) or scim_type not in SCIM_TYPES:  # a str key, or FAIL
            ctx.fail(f"scimType {scim_type!r} is not defined by RFC 7644", f"one of {sorted(SCIM_TYPES)}", scim_type, ex)
        ctx.expect(SCIM_TYPES[scim_type] == ex.status, f"status {SCIM_TYPES[scim_type]} with {scim_type}", ex.status, ex,
                   message=f"scimType {scim_type} came with HTTP {ex.status}, expected {SCIM_TYPES[scim_type]}")


@check(id="errors.detail-useful", quote=QUOTES["errors.detail-useful"], title="An error's detail explains the problem without internals",
       area=AREA, level=Level.MAY, rests_on="RFC 7644 §3.12", checklist=("ERR-04",),
       fix="Put a human-readable reason in detail (e.g. 'userName is required'); never a stack trace, SQL or secret.")
def detail_useful(ctx: CheckContext) -> None:
    ex = post_and_track(ctx, ctx.users, {"schemas": ctx.user_body()["schemas"], "displayName": "no userName"})
    body = expect_error(ctx, ex, 400)
    detail = body.get("detail")
    ctx.expect(isinstance(detail, str) and detail.strip(), "a non-empty detail", detail, ex,
               message="the 400 error has no detail")
    lowered = str(detail).lower()
    leaked = [marker for marker in _LEAKS if marker in lowered]
    ctx.expect(not leaked, "no stack trace or internals", detail, ex, message=f"the detail exposes internals: {leaked}")


@check(id="errors.invalid-json-400", quote=QUOTES["errors.invalid-json-400"], title="A body that is not JSON answers 400 invalidSyntax",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.12 Table 9", checklist=("ERR-05",),
       fix="Catch JSON parse errors and answer 400 with scimType invalidSyntax instead of 500.")
def invalid_json(ctx: CheckContext) -> None:
    expect_error(ctx, ctx.post(ctx.users, content='{"schemas": [bad'), 400, scim_type="invalidSyntax")


@check(id="errors.wrong-shape-400", quote=QUOTES["errors.wrong-shape-400"], title="A JSON array instead of an object answers 400 invalidSyntax",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.12 Table 9", checklist=("ERR-05",),
       fix="Validate that the body is a JSON object of the request schema; answer 400 invalidSyntax otherwise.")
def wrong_shape(ctx: CheckContext) -> None:
    expect_error(ctx, ctx.post(ctx.users, content="[]"), 400, scim_type="invalidSyntax")


@check(id="errors.wrong-type-boolean", quote=QUOTES["errors.wrong-type-boolean"], title="A non-boolean for a boolean attribute answers 400 invalidValue",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7643 §2.3.2; RFC 7644 §3.12 Table 9", checklist=("ERR-06",),
       fix='Validate attribute types: "active":"yes" is not a boolean; answer 400 invalidValue.')
def wrong_type_boolean(ctx: CheckContext) -> None:
    ex = post_and_track(ctx, ctx.users, ctx.user_body(active="yes"))
    expect_error(ctx, ex, 400, scim_type="invalidValue")


@check(id="errors.wrong-type-multivalued", quote=QUOTES["errors.wrong-type-multivalued"], title="A string for a multi-valued complex attribute answers 400 invalidValue",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7643 §2.3.8, §2.4; RFC 7644 §3.12 Table 9", checklist=("ERR-06",),
       fix='Validate attribute shapes: "emails":"x" is not a list of complex values; answer 400 invalidValue.')
def wrong_type_multivalued(ctx: CheckContext) -> None:
    ex = post_and_track(ctx, ctx.users, ctx.user_body(emails="not-a-list@example.com"))
    expect_error(ctx, ex, 400, scim_type="invalidValue")


@check(id="errors.unknown-endpoint-404", quote=QUOTES["errors.unknown-endpoint-404"], title="An unknown endpoint answers 404",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.12 Table 8", checklist=("ERR-07",),
       fix="Route unknown paths to a 404 SCIM error (application/scim+json), not an HTML page or a 500.")
def unknown_endpoint(ctx: CheckContext) -> None:
    expect_error(ctx, ctx.get(f"/Nope{random_id()[:8]}"), 404)


@check(id="errors.method-not-allowed", quote=QUOTES["errors.method-not-allowed"], title="A method an endpoint lacks is refused (4xx or 501), never done",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.12 Table 8", checklist=("ERR-07",),
       fix="Answer DELETE /ServiceProviderConfig (and other unsupported methods) with 405 or 501, never 2xx or 500.")
def method_not_allowed(ctx: CheckContext) -> None:
    # No RFC text names 405 (Table 8 has 501 for an unsupported operation; a 404 or 403 refuses it
    # too): the defect is doing it (2xx) or crashing (5xx other than 501).
    ex = ctx.expect_answer(ctx.delete("/ServiceProviderConfig"))
    status = ex.status or 0
    ctx.expect(400 <= status < 500 or status == 501, "a 4xx or 501 refusal", status, ex,
               message=f"DELETE /ServiceProviderConfig answered {status}, expected a refusal (4xx or 501)")
    if status not in (405, 501):
        ctx.note(f"DELETE /ServiceProviderConfig refused with {status}")


@check(id="errors.unknown-version", quote=QUOTES["errors.unknown-version"], title="A request for an unsupported protocol version is not served as v2",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.13, §3.12 Table 9 (invalidVers)", checklist=("ERR-09",),
       fix="Answer /v3/... (or any version you do not implement) with 400 invalidVers or 404.")
def unknown_version(ctx: CheckContext) -> None:
    ex = ctx.get(f"/v3{ctx.users}", params={"count": 1})
    ctx.expect_status(ex, 400, 404, message=f"GET /v3{ctx.users} answered {ex.status}: an unknown version was served")
    body = ex.json_or_none()
    if ex.status == 400 and isinstance(body, dict) and body.get("scimType") != "invalidVers":
        ctx.note(f"the 400 carried scimType {body.get('scimType')!r}; Table 9 names invalidVers")


def _bad_inputs(ctx: CheckContext, user_path: str) -> list[tuple[str, dict[str, Any]]]:
    deep: Any = "x"
    for _ in range(64):
        deep = {"a": deep}
    return [
        ("POST", {"json": ctx.user_body(nosuchAttribute="x")}),
        ("POST", {"json": ctx.user_body(name=deep)}),
        ("POST", {"json": {**ctx.user_body(), "schemas": "not-a-list"}}),
        ("POST", {"json": ctx.user_body(emails=[{"value": 42}])}),
        ("POST", {"content": "null"}),
        ("GET", {"params": {"attributes": "nosuch.attribute,,[]"}}),
        ("GET", {"params": {"excludedAttributes": "urn:nope:nope:nosuch"}}),
        ("PUT", {"json": {"schemas": ["urn:x"], "userName": 7}, "path": user_path}),
    ]


@check(id="errors.no-5xx-on-client-mistakes", quote=QUOTES["errors.no-5xx-on-client-mistakes"], title="Client mistakes never produce a 5xx",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.12 Table 8", checklist=("ERR-08",),
       fix="Validate input and answer 400 (invalidSyntax/invalidValue) to malformed bodies and parameters; "
           "a 500 means an unhandled exception.")
def no_5xx(ctx: CheckContext) -> None:
    user = ctx.create_user()
    user_path = f"{ctx.users}/{user['id']}"
    for method, kw in _bad_inputs(ctx, user_path):
        path = kw.pop("path", ctx.users if method == "POST" else user_path)
        ex = ctx.request(method, path, **kw)
        ctx.expect_answer(ex)
        if method == "POST" and ex.status in (200, 201):
            body = ex.json_or_none()
            if isinstance(body, dict) and body.get("id"):
                ctx.created(f"{ctx.users}/{body['id']}")
        ctx.expect(ex.status is not None and ex.status < 500, "a 2xx or 4xx", ex.status, ex,
                   message=f"{method} {path} with a malformed input answered {ex.status}")
