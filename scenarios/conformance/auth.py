"""Authentication (RFC 7644 §2, §3.12 Table 8).

AUTH-03 (a read-only client gets 403) and AUTH-04 (tenant isolation) need a second
credential the harness is not given, so they are not probed here rather than faked.
"""

from __future__ import annotations

from harness.checks import CheckContext, check
from harness.results import Level
from scenarios.causes import CHALLENGE_MISSING
from scenarios.conformance.common import judge_error_body
from scenarios.conformance.rfc_text import QUOTES

AREA = "auth"


@check(id="auth.missing-credentials-401", quote=QUOTES["auth.missing-credentials-401"], title="A request without credentials answers 401",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §2; RFC 6750 §3.1", checklist=("AUTH-01",),
       fix="Refuse every SCIM resource request that has no Authorization header with 401 Unauthorized "
           "(not 403, 200 or 500).",
       idp_impact="An endpoint that serves data without credentials exposes the whole directory.")
def missing_credentials(ctx: CheckContext) -> None:
    ex = ctx.get(ctx.users, authenticate=False)
    ctx.expect_status(ex, 401, message=f"GET {ctx.users} without credentials answered {ex.status}, expected 401")


@check(id="auth.wrong-credentials-401", quote=QUOTES["auth.wrong-credentials-401"], title="A request with a wrong bearer token answers 401",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.12 Table 8; RFC 6750 §3.1", checklist=("AUTH-01",),
       fix="Compare the presented token with the issued ones (constant time) and answer 401 when none matches; "
           "checking only that a token is present is not authentication.",
       idp_impact="Entra's 'Test connection' with a wrong secret succeeds, hiding misconfiguration.")
def wrong_credentials(ctx: CheckContext) -> None:
    ex = ctx.get(ctx.users, authenticate=False, headers=[("Authorization", "Bearer scim-harness-wrong-token")])
    ctx.expect_status(ex, 401, message=f"GET {ctx.users} with a wrong bearer token answered {ex.status}, expected 401")


@check(id="auth.www-authenticate", quote=QUOTES["auth.www-authenticate"], title="A 401 names the scheme in WWW-Authenticate",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §2; RFC 7235 §3.1", checklist=("AUTH-02",),
       fix='Send "WWW-Authenticate: Bearer realm=..." (or Basic) with every 401.')
def www_authenticate(ctx: CheckContext) -> None:
    ex = ctx.get(ctx.users, authenticate=False)
    ctx.expect_status(ex, 401)
    challenge = ex.header("WWW-Authenticate")
    ctx.expect(bool(challenge and challenge.strip()), "a WWW-Authenticate header naming a scheme", challenge, ex,
               message="the 401 has no WWW-Authenticate header", cause=CHALLENGE_MISSING)


@check(id="auth.401-is-scim-error", quote=QUOTES["auth.401-is-scim-error"], title="A 401 body is a SCIM error",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.12", checklist=("ERR-01",),
       fix='Answer 401 with {"schemas":["urn:ietf:params:scim:api:messages:2.0:Error"],"status":"401",...} '
           "as application/scim+json.")
def unauthorized_body(ctx: CheckContext) -> None:
    ex = ctx.expect_error_status(ctx.get(ctx.users, authenticate=False), 401)
    judge_error_body(ctx, ex)


@check(id="auth.write-without-credentials-401", quote=QUOTES["auth.write-without-credentials-401"], title="A write without credentials answers 401 and creates nothing",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §2; RFC 6750 §3.1", checklist=("AUTH-01",),
       fix="Authenticate every method, not only GET: a POST without credentials gets 401 before any write.",
       idp_impact="Anyone who can reach the endpoint can create accounts.")
def write_without_credentials(ctx: CheckContext) -> None:
    body = ctx.user_body()
    ex = ctx.post(ctx.users, body, authenticate=False)
    created = ex.json_or_none()
    if ex.status in (200, 201) and isinstance(created, dict) and isinstance(created.get("id"), str):
        ctx.created(f"{ctx.users}/{created['id']}")
    ctx.expect_status(ex, 401, message=f"POST {ctx.users} without credentials answered {ex.status}, expected 401")
