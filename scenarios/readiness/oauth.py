"""Entra ID readiness of an OAuth 2.0 token endpoint (client-credentials grant, RFC 6749 §4.4).

Microsoft requires new gallery provisioning apps to expose a token endpoint; Entra ID is given a
client id and secret, fetches an access token and sends it as a bearer (idp-behaviors §7). These
checks run when the run was given the OAuth options (``--oauth-token-url`` …); without them they
SKIP, saying so. Written from RFC 6749 §2.3, §5.1, §5.2 and RFC 6750 §3, §3.1.
"""

from __future__ import annotations

import secrets
from typing import Any

from harness.checks import CheckContext
from harness.oauth import OAuthSettings, TokenError, read_token, token_exchange
from harness.recorder import Exchange
from harness.results import Level
from scenarios.causes import CHALLENGE_MISSING
from scenarios.readiness.common import ENTRA, build, idp_check, random_id

AREA = "oauth"
SUITE = ("entra",)
TAGS = ("oauth",)
#: The profile whose Test Connection probe carries the token, and the knob these checks rest on.
FORMS = (ENTRA,)
KNOBS = ("auth_methods",)
RFC6749 = "https://www.rfc-editor.org/rfc/rfc6749"
#: What the admin meets when Entra ID cannot get or use a token.
CREDENTIALS_TEST_FAILS = ("Entra ID's Test Connection (the credentials test) fails, so the admin cannot save the "
                          "provisioning settings; when token requests fail in a running job, its cycles fail and a "
                          "lasting failure puts the job in quarantine.")


def _settings(ctx: CheckContext) -> OAuthSettings:
    settings = ctx.client.target.auth.oauth
    if settings is None:
        ctx.skip("no OAuth options given, so the token endpoint was not checked (new Entra gallery apps must offer "
                 "OAuth client credentials: give --oauth-token-url, --client-id and --client-secret)")
    return settings


def _post(ctx: CheckContext, settings: OAuthSettings, **kw: Any) -> Exchange:
    """One token request, kept as this check's evidence (secret and tokens redacted)."""
    ex = token_exchange(ctx.client, settings, **kw)
    ctx.exchange_ids.append(ex.id)
    if ctx.steps:
        ctx.steps[-1].exchange_ids.append(ex.id)
    return ex


def _grant(ctx: CheckContext, settings: OAuthSettings) -> tuple[dict[str, Any], Exchange]:
    """The token response to a correct grant, as a JSON object (FAIL when it is not one)."""
    ex = _post(ctx, settings)
    ctx.expect_answer(ex)
    body = ctx.expect_json(ex)
    ctx.expect(isinstance(body, dict), "a JSON object", body, ex, message="the token response is not a JSON object")
    return body, ex


def _probe_with(ctx: CheckContext, token: str) -> Exchange:
    """Entra ID's Test Connection probe (its userName lookup of a random GUID), sent as Entra
    with ``token`` as the bearer: the first SCIM request an OAuth-configured Entra makes."""
    request = build.lookup(ENTRA, "User", random_id())
    return ctx.request(request.method, request.path, params=request.params or None, content_type=ENTRA.content_type,
                       headers=[("User-Agent", ENTRA.user_agent), ("Authorization", f"Bearer {token}")])


def _fresh_token(ctx: CheckContext, settings: OAuthSettings) -> tuple[str, float | None]:
    """A token of this check's own (the run's shared token is left alone); ERROR when none comes."""
    body, ex = _grant(ctx, settings)
    try:
        token = read_token(ex, ctx.client.clock.monotonic())
    except TokenError as exc:
        ctx.skip(f"no token to judge with: {exc}")
    return token.value, token.expires_in


@idp_check(id="entra.oauth-token-issued", title="The client-credentials grant gets an access_token of token_type Bearer",
       area=AREA, level=Level.MUST, suites=SUITE, tags=TAGS, forms=FORMS, knobs=KNOBS,
       rests_on="RFC 6749 §4.4.3, §5.1; Entra ID OAuth2 client credentials (idp-behaviors §7)",
       quote="REQUIRED.  The access token issued by the authorization server.",
       fix='Answer the grant with 200 and {"access_token": "...", "token_type": "Bearer", "expires_in": 3600} '
           "as application/json, with Cache-Control: no-store.",
       idp_impact=CREDENTIALS_TEST_FAILS)
def token_issued(ctx: CheckContext) -> None:
    settings = _settings(ctx)
    body, ex = _grant(ctx, settings)
    ctx.expect(ex.status == 200, 200, ex.status, ex, message=f"the grant answered {ex.status}, expected 200"
               + (f" ({body.get('error')})" if isinstance(body.get("error"), str) else ""))
    token = body.get("access_token")
    ctx.expect(isinstance(token, str) and token, "an access_token string", "present" if token else token, ex,
               message="the token response has no access_token")
    token_type = body.get("token_type")
    ctx.expect(isinstance(token_type, str) and token_type.lower() == "bearer", "token_type Bearer", token_type, ex,
               message=f"token_type is {token_type!r}, not Bearer: Entra ID sends the token as a bearer")


@idp_check(id="entra.oauth-expires-in", title="The token response says how long the token lives (expires_in)",
       area=AREA, level=Level.SHOULD, suites=SUITE, tags=TAGS, forms=FORMS, knobs=KNOBS,
       rests_on="RFC 6749 §5.1 (expires_in); Entra ID renews its token before it expires",
       quote="RECOMMENDED.  The lifetime in seconds of the access token.",
       fix="Add expires_in (seconds, a positive integer) to the token response.",
       idp_impact="Without expires_in Entra ID cannot renew ahead of expiry: requests fail with 401 when the token "
                  "runs out, and each failure is a failed change in the provisioning log.")
def expires_in(ctx: CheckContext) -> None:
    settings = _settings(ctx)
    body, ex = _grant(ctx, settings)
    if ex.status != 200 or not body.get("access_token"):
        ctx.skip("no token was issued (see entra.oauth-token-issued)")
    life = body.get("expires_in")
    ctx.expect(isinstance(life, int) and not isinstance(life, bool) and life > 0, "a positive integer expires_in",
               life, ex, message="the token response has no positive integer expires_in")


@idp_check(id="entra.oauth-wrong-secret", title="A wrong client secret gets invalid_client and no token",
       area=AREA, level=Level.MUST, suites=SUITE, tags=TAGS, forms=FORMS, knobs=KNOBS,
       rests_on="RFC 6749 §3.2.1 (the authorization server MUST authenticate the client), §5.2 (invalid_client)",
       fix='Check the secret (constant-time compare) and answer 401 {"error": "invalid_client"} without a token.',
       idp_impact="A mistyped or rotated-out secret still passes Entra ID's Test Connection: a revoked secret keeps "
                  "provisioning into the app, and the admin is never told the credentials are wrong.")
def wrong_secret(ctx: CheckContext) -> None:
    settings = _settings(ctx)
    ex = _post(ctx, settings, secret="scim-harness-wrong-" + secrets.token_hex(8))
    ctx.expect_answer(ex)
    body = ex.json_or_none()
    issued = isinstance(body, dict) and bool(body.get("access_token"))
    ctx.expect(not issued, "no access_token", "an access_token was issued", ex,
               message=f"a wrong client secret got a token (HTTP {ex.status})")
    ctx.expect(ex.status in (400, 401), "400 or 401", ex.status, ex,
               message=f"a wrong client secret answered {ex.status}, expected 400 or 401")
    error = body.get("error") if isinstance(body, dict) else None
    ctx.expect(error == "invalid_client", "error invalid_client", error, ex,
               message=f"a wrong client secret answered error {error!r}, expected invalid_client")


@idp_check(id="entra.oauth-unsupported-grant", title="An unsupported grant_type gets unsupported_grant_type",
       area=AREA, level=Level.SHOULD, suites=SUITE, tags=TAGS, forms=FORMS, knobs=KNOBS,
       rests_on="RFC 6749 §5.2 (unsupported_grant_type; no keyword makes this code a MUST, so SHOULD)",
       fix='Answer a grant_type other than client_credentials with 400 {"error": "unsupported_grant_type"}.',
       idp_impact="Entra ID only sends client_credentials, so provisioning works either way; but a token endpoint "
                  "that answers other grants with a token or a vague error hides a misconfigured client in the "
                  "gallery review and in support cases.")
def unsupported_grant(ctx: CheckContext) -> None:
    settings = _settings(ctx)
    ex = _post(ctx, settings, grant_type="urn:scim-harness:unsupported-grant")
    ctx.expect_answer(ex)
    body = ex.json_or_none()
    error = body.get("error") if isinstance(body, dict) else None
    ctx.expect(not (isinstance(body, dict) and body.get("access_token")), "no access_token", "a token was issued", ex,
               message="an unsupported grant_type got a token")
    ctx.expect(ex.status == 400 and error == "unsupported_grant_type", "400 unsupported_grant_type",
               f"{ex.status} {error}", ex,
               message=f"an unsupported grant_type answered {ex.status} {error!r}, expected 400 unsupported_grant_type")


@idp_check(id="entra.oauth-token-accepted", title="The SCIM endpoints accept the issued token",
       area=AREA, level=Level.MUST, suites=SUITE, tags=TAGS, forms=FORMS, knobs=KNOBS,
       rests_on="RFC 6750 §2.1; Entra ID sends the access token as a bearer (idp-behaviors §7)",
       quote="Resource servers MUST support this method.",
       fix="Accept the tokens your token endpoint issues as 'Authorization: Bearer <token>' on every SCIM endpoint.",
       idp_impact=CREDENTIALS_TEST_FAILS)
def token_accepted(ctx: CheckContext) -> None:
    settings = _settings(ctx)
    token, _ = _fresh_token(ctx, settings)
    ex = _probe_with(ctx, token)
    ctx.expect_status(ex, 200, message=f"Entra's probe with the issued token answered {ex.status}, expected 200")


@idp_check(id="entra.oauth-made-up-token", title="A made-up bearer token gets 401 with a Bearer challenge",
       area=AREA, level=Level.MUST, suites=SUITE, tags=TAGS, forms=FORMS, knobs=KNOBS, cause=CHALLENGE_MISSING,
       rests_on="RFC 6750 §3; RFC 7235 §3.1",
       quote='If the protected resource request does not include authentication credentials or does not contain an '
             'access token that enables access to the protected resource, the resource server MUST include the HTTP '
             '"WWW-Authenticate" response header field',
       fix='Answer an unknown or expired token with 401 and WWW-Authenticate: Bearer realm="...", error="invalid_token".',
       idp_impact="A 401 with its Bearer challenge is how a client learns its token is no longer good and fetches "
                  "another; without it Entra ID's requests fail until its next token fetch, and failures that "
                  "last quarantine the job.")
def made_up_token(ctx: CheckContext) -> None:
    _settings(ctx)
    ex = _probe_with(ctx, f"scim-harness-made-up-{secrets.token_hex(12)}")
    ctx.expect_error_status(ex, 401, message=f"a made-up token answered {ex.status}, expected 401")
    challenge = ex.header("WWW-Authenticate") or ""
    ctx.expect(challenge.strip().lower().startswith("bearer"), 'WWW-Authenticate: Bearer ...', challenge or None, ex,
               message="the 401 to a made-up token has no Bearer WWW-Authenticate challenge")


@idp_check(id="entra.oauth-invalid-token-error", title='The challenge to a refused token says error="invalid_token"',
       area=AREA, level=Level.SHOULD, suites=SUITE, tags=TAGS, forms=FORMS, knobs=KNOBS,
       rests_on="RFC 6750 §3, §3.1 (invalid_token)",
       quote='If the protected resource request included an access token and failed authentication, the resource '
             'server SHOULD include the "error" attribute to provide the client with the reason why the access '
             'request was declined.',
       fix='Add error="invalid_token" to the Bearer challenge when the presented token is unknown or expired.',
       idp_impact="Logs (Entra's and the app's) cannot tell an expired token from missing credentials; support "
                  "cases take longer.")
def invalid_token_error(ctx: CheckContext) -> None:
    _settings(ctx)
    ex = _probe_with(ctx, f"scim-harness-made-up-{secrets.token_hex(12)}")
    ctx.expect_error_status(ex, 401)
    challenge = ex.header("WWW-Authenticate") or ""
    if not challenge.strip().lower().startswith("bearer"):
        ctx.skip("no Bearer challenge to read (see entra.oauth-made-up-token)")
    ctx.expect('error="invalid_token"' in challenge.replace(" ", ""), 'error="invalid_token"', challenge, ex,
               message='the Bearer challenge does not say error="invalid_token"')


@idp_check(id="entra.oauth-expired-token-refused", title="After expires_in the token is refused",
       area=AREA, level=Level.SHOULD, suites=SUITE, tags=TAGS, forms=FORMS, knobs=KNOBS,
       rests_on="RFC 6749 §5.1 (expires_in); RFC 6750 §3.1 (invalid_token: expired)",
       quote="The resource SHOULD respond with the HTTP 401 (Unauthorized) status code.",
       fix="Refuse a token once the expires_in it was issued with has passed (401, error=\"invalid_token\").",
       idp_impact="Entra ID renews before expiry, so provisioning works either way; but a token that outlives its "
                  "expires_in cannot be revoked by time: a leaked token keeps writing into every tenant's users.")
def expired_token_refused(ctx: CheckContext) -> None:
    settings = _settings(ctx)
    token, life = _fresh_token(ctx, settings)
    if life is None:
        ctx.skip("the token response has no expires_in: nothing to wait for")
    if life > settings.expiry_wait:
        ctx.skip(f"expires_in is {life:g} s, longer than this run waits ({settings.expiry_wait:g} s); "
                 f"give --oauth-expiry-wait {int(life) + 2} to check it")
    ctx.client.clock.sleep(life + 1.0)  # one second past: the server's clock may tick in whole seconds
    ex = _probe_with(ctx, token)
    ctx.expect_answer(ex)
    ctx.expect(ex.status == 401, 401, ex.status, ex,
               message=f"a token {life:g} s past its expires_in answered {ex.status}, expected 401")
