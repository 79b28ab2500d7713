"""ETags and conditional requests (RFC 7644 §3.14; RFC 7643 §3.1 meta.version).

Judged only when ServiceProviderConfig advertises etag.supported.
"""

from __future__ import annotations

import re

from harness.checks import CheckContext, check
from harness.results import Level

from scenarios.conformance._probes import resource_path, read_back
from scenarios.conformance.rfc_text import QUOTES

AREA = "etag"
RFC = "RFC 7644 §3.14"
_ETAG = re.compile(r'^(W/)?"[^"]*"$')


def _tag(ctx: CheckContext, path: str) -> str:
    body, ex = read_back(ctx, path)
    tag = ex.header("ETag")
    ctx.expect(bool(tag), "an ETag header", tag, ex, message="GET of a resource has no ETag header")
    return str(tag)


@check(id="etag.header-present", quote=QUOTES["etag.header-present"], title="Responses carrying a resource have an ETag equal to meta.version",
       area=AREA, level=Level.MUST, rests_on=f"{RFC}; RFC 7643 §3.1", checklist=("ETAG-01",), requires=("etag",),
       fix="Send an ETag header on every response that carries a resource (201, 200) and mirror it in meta.version.")
def header_present(ctx: CheckContext) -> None:
    ex = ctx.post(ctx.users, ctx.user_body())
    created = ctx.expect_resource(ex, 201)
    ctx.created(resource_path(ctx.users, created))
    ctx.expect(bool(ex.header("ETag")), "an ETag header on the 201", ex.header("ETag"), ex)
    body, got = read_back(ctx, resource_path(ctx.users, created))
    version = (body.get("meta") or {}).get("version")
    ctx.expect(got.header("ETag") and got.header("ETag") == version, version, got.header("ETag"), got,
               message="the ETag header differs from meta.version")


@check(id="etag.format", quote=QUOTES["etag.format"], title="ETags are quoted, weak ones marked W/",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §3.1; RFC 7232 §2.3", checklist=("ETAG-02",), requires=("etag",),
       fix='Format ETags as "opaque" or W/"opaque" (RFC 7232 entity-tag).')
def etag_format(ctx: CheckContext) -> None:
    user = ctx.create_user()
    tag = _tag(ctx, resource_path(ctx.users, user))
    ctx.expect(_ETAG.match(tag) is not None, 'W/"…" or "…"', tag, None, message=f"malformed ETag {tag!r}")


@check(id="etag.changes-on-update", quote=QUOTES["etag.changes-on-update"], title="A real change gives a new ETag",
       area=AREA, level=Level.SHOULD, rests_on=RFC, checklist=("ETAG-03",), requires=("etag", "patch"),
       fix="Change the version on every modification (PUT, PATCH, membership).")
def changes_on_update(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = resource_path(ctx.users, user)
    before = _tag(ctx, path)
    ctx.expect_status(ctx.patch_op(path, {"op": "replace", "path": "displayName", "value": "Changed"}), 200, 204)
    after = _tag(ctx, path)
    ctx.expect(after != before, "a new ETag", after, None, message="the ETag did not change after a PATCH")


@check(id="etag.stale-if-match-412", quote=QUOTES["etag.stale-if-match-412"], title="A stale If-Match answers 412 and changes nothing",
       area=AREA, level=Level.MUST, rests_on=f"{RFC}; RFC 7644 §3.12 Table 8", checklist=("ETAG-04",), requires=("etag",),
       fix="Compare If-Match with the current version; on mismatch answer 412 and do not apply the change.")
def stale_if_match(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = resource_path(ctx.users, user)
    old = _tag(ctx, path)
    ctx.expect_status(ctx.put(path, ctx.user_body(userName=user["userName"], displayName="First")), 200)
    ex = ctx.put(path, ctx.user_body(userName=user["userName"], displayName="Stale"), headers={"If-Match": old})
    ctx.expect_status(ex, 412, message=f"PUT with a stale If-Match answered {ex.status}, expected 412")
    body, got = read_back(ctx, path)
    ctx.expect(body.get("displayName") == "First", "First (unchanged)", body.get("displayName"), got)


@check(id="etag.current-if-match", quote=QUOTES["etag.current-if-match"], title="If-Match with the current ETag succeeds",
       area=AREA, level=Level.MUST, rests_on=RFC, checklist=("ETAG-05",), requires=("etag",),
       fix="Accept a request whose If-Match equals the current version (weak comparison) or is *.")
def current_if_match(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = resource_path(ctx.users, user)
    ex = ctx.put(path, ctx.user_body(userName=user["userName"], displayName="Fresh"), headers={"If-Match": _tag(ctx, path)})
    ctx.expect_status(ex, 200, message=f"PUT with the current If-Match answered {ex.status}")
    ex = ctx.put(path, ctx.user_body(userName=user["userName"], displayName="Star"), headers={"If-Match": "*"})
    ctx.expect_status(ex, 200, message=f"PUT with If-Match: * answered {ex.status}")


@check(id="etag.if-none-match-304", quote=QUOTES["etag.if-none-match-304"], title="GET with If-None-Match equal to the ETag answers 304",
       area=AREA, level=Level.MUST, rests_on=RFC, checklist=("ETAG-06",), requires=("etag",),
       fix="Answer a GET whose If-None-Match matches the current version with 304 and no body.")
def if_none_match(ctx: CheckContext) -> None:
    user = ctx.create_user()
    path = resource_path(ctx.users, user)
    ex = ctx.get(path, headers={"If-None-Match": _tag(ctx, path)})
    ctx.expect_status(ex, 304, message=f"GET with a matching If-None-Match answered {ex.status}")
    ctx.expect(not (ex.response_body or "").strip(), "an empty body", ex.response_body, ex)
    ex = ctx.get(path, headers={"If-None-Match": 'W/"not-the-version"'})
    ctx.expect_status(ex, 200, message=f"GET with a different If-None-Match answered {ex.status}")
