"""The reference server's OAuth 2.0 token endpoint (RFC 6749 §4.4, §5) and the tokens it issues."""

from __future__ import annotations

import base64
from datetime import datetime, timedelta, timezone

import httpx
import pytest

from reference_server.app import create_app
from reference_server.settings import ServerSettings
from tests.live import serve
from tests.server.helpers import client

SECRET = "s3cret-Entra+rotation/1"
NEW_SECRET = "n3w-secret-after-rotation"
FORM = {"content-type": "application/x-www-form-urlencoded"}


class Clock:
    def __init__(self) -> None:
        self.t = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        return self.t


def basic(client_id: str, secret: str) -> dict[str, str]:
    return {"Authorization": "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode(), **FORM}


def oauth_client(**kw):
    kw.setdefault("tokens", ())
    kw.setdefault("oauth_clients", (("entra", SECRET), ("entra", NEW_SECRET)))
    c = client(**kw)
    c.headers.pop("Authorization", None)
    return c


def grant(c, secret=SECRET, body="grant_type=client_credentials", client_id="entra"):
    return c.post("/oauth2/token", content=body, headers=basic(client_id, secret))


def test_client_credentials_grant_with_basic_and_form_body():
    c = oauth_client()
    r = grant(c)
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    body = r.json()
    assert body["token_type"] == "Bearer" and body["expires_in"] == 3600 and len(body["access_token"]) > 30
    assert c.get("/Users", headers={"Authorization": f"Bearer {body['access_token']}"}).status_code == 200
    form = f"grant_type=client_credentials&client_id=entra&client_secret={SECRET.replace('+', '%2B').replace('/', '%2F')}"
    r2 = c.post("/oauth2/token", content=form, headers=FORM)
    assert r2.status_code == 200 and r2.json()["access_token"] != body["access_token"]


def test_rotation_two_secrets_valid_at_once():
    c = oauth_client()
    assert grant(c, SECRET).status_code == 200 and grant(c, NEW_SECRET).status_code == 200
    assert grant(c, "old-and-gone").status_code == 401


@pytest.mark.parametrize("secret, body, client_id, status, error", [
    ("wrong", "grant_type=client_credentials", "entra", 401, "invalid_client"),
    (SECRET, "grant_type=client_credentials", "nobody", 401, "invalid_client"),
    (SECRET, "grant_type=password&username=a&password=b", "entra", 400, "unsupported_grant_type"),
    (SECRET, "scope=x", "entra", 400, "invalid_request"),
    (SECRET, "grant_type=client_credentials&grant_type=client_credentials", "entra", 400, "invalid_request"),
])
def test_token_errors_rfc6749_5_2(secret, body, client_id, status, error):
    r = grant(oauth_client(), secret, body, client_id)
    assert r.status_code == status and r.json()["error"] == error and "access_token" not in r.json()
    if status == 401:
        assert r.headers["www-authenticate"].startswith("Basic")


def test_two_client_authentication_methods_refused_and_json_body_refused():
    c = oauth_client()
    r = c.post("/oauth2/token", content=f"grant_type=client_credentials&client_id=entra&client_secret=x",
               headers=basic("entra", SECRET))
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    r = c.post("/oauth2/token", json={"grant_type": "client_credentials"}, headers={"Authorization": basic("entra", SECRET)["Authorization"]})
    assert r.status_code == 400 and r.json()["error"] == "invalid_request"
    assert c.get("/oauth2/token").status_code == 405


def test_tokens_expire_and_a_refused_token_gets_invalid_token_challenge():
    clock = Clock()
    c = oauth_client(clock=clock, token_ttl=60)
    token = grant(c).json()["access_token"]
    auth = {"Authorization": f"Bearer {token}"}
    assert c.get("/Users", headers=auth).status_code == 200
    clock.t += timedelta(seconds=61)
    r = c.get("/Users", headers=auth)
    assert r.status_code == 401 and 'error="invalid_token"' in r.headers["www-authenticate"]
    assert 'error="invalid_token"' not in c.get("/Users").headers["www-authenticate"]  # no token: no error code


def test_static_token_keeps_working_beside_oauth_and_spc_lists_the_token_endpoint():
    c = oauth_client(tokens=("static-token-123",))
    assert c.get("/Users", headers={"Authorization": "Bearer static-token-123"}).status_code == 200
    schemes = c.get("/ServiceProviderConfig").json()["authenticationSchemes"]
    assert [s["type"] for s in schemes] == ["oauthbearertoken", "oauthbearertoken"]
    assert "/oauth2/token" in schemes[0]["description"] and schemes[0]["primary"] is True


def test_quirks_any_secret_never_expire_no_challenge():
    clock = Clock()
    c = oauth_client(clock=clock, token_ttl=5,
                     quirks=("oauth-any-secret", "oauth-tokens-never-expire", "401-without-challenge"))
    token = grant(c, "anything-at-all").json()["access_token"]
    clock.t += timedelta(days=1)
    assert c.get("/Users", headers={"Authorization": f"Bearer {token}"}).status_code == 200
    r = c.get("/Users", headers={"Authorization": "Bearer made-up"})
    assert r.status_code == 401 and "www-authenticate" not in r.headers


def test_recordings_redact_secret_and_tokens():
    c = oauth_client()
    form = f"grant_type=client_credentials&client_id=entra&client_secret=plainsecretvalue"
    c2 = oauth_client(oauth_clients=(("entra", "plainsecretvalue"),))
    token = c2.post("/oauth2/token", content=form, headers=FORM).json()["access_token"]
    c2.get("/Users", headers={"Authorization": f"Bearer {token}"})
    c2.scim.flush()
    text = str(c2.scim.store.recordings(after=0, limit=100))
    assert "/oauth2/token" in text and "plainsecretvalue" not in text and token not in text
    del c


@pytest.mark.socket
def test_token_endpoint_over_a_real_socket():
    app = create_app(ServerSettings(oauth_clients=(("entra", SECRET),), token_ttl=30))
    with serve(app) as url, httpx.Client(base_url=url, timeout=10) as http:
        r = http.post("/oauth2/token", data={"grant_type": "client_credentials"}, auth=("entra", SECRET))
        assert r.status_code == 200 and r.json()["expires_in"] == 30
        token = r.json()["access_token"]
        assert http.get("/Users", headers={"Authorization": f"Bearer {token}"}).status_code == 200
        assert http.get("/Users", headers={"Authorization": "Bearer nope"}).status_code == 401
    app.close()
