"""/Me: the authenticated subject's own resource (RFC 7644 §3.11)."""

from __future__ import annotations

from harness.checks import CheckContext, check
from harness.results import Level
from scenarios.conformance.rfc_text import QUOTES

AREA = "me"


@check(id="me.unsupported-501", quote=QUOTES["me.unsupported-501"], title="A server without /Me answers 501",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.11", checklist=("ME-01",),
       fix="If /Me is not supported, answer GET /Me with 501 Not Implemented (not 404 or 500).")
def unsupported_501(ctx: CheckContext) -> None:
    ex = ctx.get("/Me")
    ctx.expect_answer(ex)
    if ex.status in (200, 308):
        ctx.skip(f"/Me is supported (GET answered {ex.status}); see me.supported-form")
    ctx.expect_status(ex, 501, message=f"GET /Me answered {ex.status}; a server without /Me should answer 501")


@check(id="me.supported-form", quote=QUOTES["me.supported-form"], title="A supported /Me redirects (308) or serves the subject with its Location",
       area=AREA, level=Level.MAY, rests_on="RFC 7644 §3.11", checklist=("ME-02",),
       fix="Answer GET /Me with 308 and Location: <the subject's resource URL>, or 200 with the resource and "
           "Location set to its permanent URL.")
def supported_form(ctx: CheckContext) -> None:
    ex = ctx.get("/Me")
    ctx.expect_answer(ex)
    if ex.status not in (200, 308):
        ctx.skip(f"/Me is not supported (GET answered {ex.status})")
    location = ex.header("Location")
    ctx.expect(bool(location), "a Location header", location, ex,
               message=f"GET /Me answered {ex.status} without a Location header")
    if ex.status == 200:
        body = ctx.expect_resource(ex, 200)
        ctx.expect(bool(body.get("id")) and str(location).rstrip("/").endswith(str(body.get("id"))),
                   f"Location ending in /{body.get('id')}", location, ex,
                   message="the Location of /Me is not the served resource's URL")
    else:
        ctx.note(f"/Me redirects to {location}")
