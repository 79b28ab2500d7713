"""The harness's OAuth 2.0 client credentials (harness/oauth.py): fetched once, cached until shortly
before expires_in, renewed on expiry and once after a 401, unusable answers in one line, every
secret and token redacted. In-process (httpx.MockTransport, a virtual clock)."""

from __future__ import annotations

import base64
import json
from urllib.parse import parse_qs

import httpx
import pytest

from harness.clock import VirtualClock
from harness.http import Auth, Target, TargetClient
from harness.oauth import OAuthSettings, leeway

SECRET = "client-secret-Zq9+/x"
TOKEN_URL = "https://login.example.com/oauth2/token"


class FakeWorld:
    """A token endpoint on another origin and a SCIM endpoint that accepts only issued tokens."""

    def __init__(self, expires_in: object = 60, token_answer: object = None) -> None:
        self.issued: list[str] = []
        self.token_requests: list[httpx.Request] = []
        self.scim_requests: list[httpx.Request] = []
        self.valid: set[str] = set()
        self.expires_in = expires_in
        self.token_answer = token_answer  # a callable(request) -> Response to misbehave
        self.refuse_all = False

    def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.url.host == "login.example.com":
            self.token_requests.append(request)
            if self.token_answer is not None:
                return self.token_answer(request)  # type: ignore[operator]
            token = f"issued-access-token-{len(self.issued) + 1:04d}"
            self.issued.append(token)
            self.valid.add(token)
            body = {"access_token": token, "token_type": "Bearer"}
            if self.expires_in is not None:
                body["expires_in"] = self.expires_in
            return httpx.Response(200, json=body)
        self.scim_requests.append(request)
        presented = request.headers.get("authorization", "").removeprefix("Bearer ")
        if self.refuse_all or presented not in self.valid:
            return httpx.Response(401, headers={"WWW-Authenticate": 'Bearer error="invalid_token"'},
                                  json={"detail": f"bad token {presented}"})
        return httpx.Response(200, json={"Resources": [], "totalResults": 0, "echo": presented})


def make(world: FakeWorld, client_auth: str = "basic", **kw: object) -> tuple[TargetClient, VirtualClock]:
    settings = OAuthSettings(TOKEN_URL, "entra-app", SECRET, scope="scim.all", client_auth=client_auth, **kw)  # type: ignore[arg-type]
    clock = VirtualClock()
    target = Target("https://scim.example.com/scim/v2", Auth.client_credentials(settings))
    return TargetClient(target, http=httpx.Client(transport=httpx.MockTransport(world)), clock=clock), clock


def test_token_fetched_once_and_sent_as_bearer_with_basic_client_auth() -> None:
    world = FakeWorld()
    client, _ = make(world)
    for _ in range(5):
        assert client.get("/Users").status == 200
    assert len(world.token_requests) == 1
    request = world.token_requests[0]
    user, _, password = base64.b64decode(request.headers["authorization"].split()[1]).decode().partition(":")
    assert (user, password) == ("entra-app", SECRET)
    assert parse_qs(request.content.decode()) == {"grant_type": ["client_credentials"], "scope": ["scim.all"]}
    assert all(r.headers["authorization"] == "Bearer issued-access-token-0001" for r in world.scim_requests)


def test_client_auth_post_puts_id_and_secret_in_the_form() -> None:
    world = FakeWorld()
    client, _ = make(world, client_auth="post", audience="api://scim")
    assert client.get("/Users").status == 200
    request = world.token_requests[0]
    form = parse_qs(request.content.decode())
    assert form["client_secret"] == [SECRET] and form["client_id"] == ["entra-app"] and form["audience"] == ["api://scim"]
    assert "authorization" not in request.headers


def test_renewed_shortly_before_expires_in_on_the_clock() -> None:
    world = FakeWorld(expires_in=600)
    client, clock = make(world)
    client.get("/Users")
    clock.advance(600 - leeway(600) - 1)
    client.get("/Users")
    assert len(world.token_requests) == 1  # still fresh
    clock.advance(2)
    client.get("/Users")
    assert len(world.token_requests) == 2 and world.scim_requests[-1].headers["authorization"].endswith("0002")


def test_no_expires_in_means_kept_until_a_401() -> None:
    world = FakeWorld(expires_in=None)
    client, clock = make(world)
    client.get("/Users")
    clock.advance(10 * 86400)
    client.get("/Users")
    assert len(world.token_requests) == 1


def test_a_401_fetches_once_more_and_retries_once_then_the_401_stands() -> None:
    world = FakeWorld(expires_in=3600)
    client, _ = make(world)
    client.get("/Users")
    world.valid.clear()  # the server forgot every token (a restart)
    ex = client.get("/Users")
    assert ex.status == 200 and len(world.token_requests) == 2
    world.refuse_all = True
    before_tokens, before_scim = len(world.token_requests), len(world.scim_requests)
    ex = client.get("/Users")
    assert ex.status == 401
    assert len(world.token_requests) == before_tokens + 1 and len(world.scim_requests) == before_scim + 2


def test_a_made_up_authorization_header_is_sent_as_is_and_never_retried() -> None:
    world = FakeWorld()
    client, _ = make(world)
    ex = client.get("/Users", headers=[("Authorization", "Bearer made-up")])
    assert ex.status == 401 and not world.token_requests and len(world.scim_requests) == 1


def _answer(status: int, body: bytes, content_type: str = "application/json", **headers: str):
    return lambda request: httpx.Response(status, content=body, headers={"content-type": content_type, **headers})


def _boom(request: httpx.Request) -> httpx.Response:
    raise httpx.ConnectError("connection refused")


@pytest.mark.parametrize("answer, words", [
    (_boom, "is unreachable"),
    (_answer(401, b'{"error": "invalid_client", "error_description": "bad secret\\u001b[2J"}'), "invalid_client"),
    (_answer(200, b"<html><body>Sign in</body></html>", "text/html"), "not a JSON object"),
    (_answer(200, b'{"token_type": "Bearer", "expires_in": 60}'), "without an access_token"),
    (_answer(200, b'{"access_token": "abc-def-ghi", "token_type": "mac"}'), "not bearer"),
    (_answer(302, b"", location="https://elsewhere.example/login"), "redirect"),
    (_answer(200, b'{"access_token": "' + b"x" * 200_000 + b'"}'), "more than 64 KiB"),
    (_answer(503, b'{"message": "down"}'), "HTTP 503 without an OAuth error"),
])
def test_an_unusable_token_endpoint_is_one_line_that_says_why(answer, words) -> None:
    world = FakeWorld(token_answer=answer)
    client, _ = make(world)
    problem = client.token_problem()
    assert problem is not None and words in problem and "\n" not in problem and "\x1b" not in problem
    assert SECRET not in problem
    ex = client.get("/Users")  # a request without a token is an exchange with an error, never an exception
    assert ex.status is None and ex.error and ex.error.startswith("no access token:") and not world.scim_requests


def test_secret_and_tokens_are_redacted_in_the_transcript_including_the_token_exchange() -> None:
    world = FakeWorld(expires_in=60)
    client, clock = make(world, client_auth="post")
    client.get("/Users")
    clock.advance(60)
    client.get("/Users")
    world.valid.clear()
    client.get("/Users")  # 401 (echoing the token in the body), renewal, retry
    assert len(world.issued) == 3
    dumped = json.dumps([ex.to_dict() for ex in client.recorder.exchanges])
    assert "[REDACTED]" in dumped
    for secret in (SECRET, "Zq9%2B%2Fx", *world.issued):
        assert secret not in dumped, secret
    token_exchanges = [ex for ex in client.recorder.exchanges if ex.url == TOKEN_URL]
    assert len(token_exchanges) == 3  # the renewals show in the transcript
    assert all(json.loads(ex.response_body or "{}")["access_token"] == "[REDACTED]" for ex in token_exchanges)
    assert "client_secret=[REDACTED]" in (token_exchanges[0].request_body or "")
    assert SECRET not in repr(client.target) and SECRET not in client.target.auth.describe()


def test_settings_refuse_incomplete_or_unsafe_values() -> None:
    with pytest.raises(ValueError, match="--client-id and --client-secret"):
        OAuthSettings(TOKEN_URL, "", SECRET)
    with pytest.raises(ValueError, match="not in --oauth-token-url"):
        OAuthSettings("https://id:pw@login.example.com/token", "a", SECRET)
    with pytest.raises(ValueError, match="http"):
        OAuthSettings("ftp://login.example.com/token", "a", SECRET)
    with pytest.raises(ValueError, match="--client-auth"):
        OAuthSettings(TOKEN_URL, "a", SECRET, client_auth="jwt")


def test_the_pytest_entry_point_offers_the_same_client_auth_choices() -> None:
    import scim_harness_pytest
    from harness.oauth import CLIENT_AUTH

    assert scim_harness_pytest.CLIENT_AUTH == tuple(CLIENT_AUTH)
