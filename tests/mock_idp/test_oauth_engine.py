"""The IdP engines and OAuth 2.0 client credentials (profile knob ``auth_methods``).

Entra ID gets a token from the app's token endpoint before its Test Connection and again when it
expires (on the simulation's virtual clock); a token endpoint that fails is a credentials failure:
Test Connection fails, and a job whose token requests fail goes into quarantine. JumpCloud has no
OAuth and Entra no Basic: the combination is refused in one line. In-process (TestClient).
"""

from __future__ import annotations

from typing import Any

from click.testing import CliRunner
from starlette.testclient import TestClient

from harness.http import Auth, Target
from harness.oauth import OAuthSettings
from mock_idp import commands
from harness.idp.profile import load_profile
from mock_idp.simulate import SimulationConfig, check_connection, simulate
from reference_server.app import create_app
from reference_server.settings import ServerSettings

BASE = "http://testserver/"
CLIENT = ("entra-gallery", "engine-secret-xyz")


def oauth_target(token_url: str = "http://testserver/oauth2/token") -> Target:
    return Target(BASE, Auth.client_credentials(OAuthSettings(token_url, *CLIENT)), timeout=30)


class TokenOutage:
    """The reference server, whose token endpoint answers 503 after ``good`` tokens."""

    def __init__(self, app: Any, good: int) -> None:
        self.app, self.good, self.asked = app, good, 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["path"] == "/oauth2/token":
            self.asked += 1
            if self.asked > self.good:
                body = b'{"error": "temporarily_unavailable"}'
                await send({"type": "http.response.start", "status": 503,
                            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
                await send({"type": "http.response.body", "body": body})
                return
        await self.app(scope, receive, send)


def app_with_oauth(ttl: int = 3600) -> Any:
    return create_app(ServerSettings(db=":memory:", oauth_clients=(CLIENT,), token_ttl=ttl))


def test_entra_fetches_a_token_before_test_connection_and_again_when_it_expires() -> None:
    server = TokenOutage(app_with_oauth(ttl=3600), good=1000)
    config = SimulationConfig("entra", oauth_target(), users=20, groups=2, days=0.5, seed=3)
    with TestClient(server, base_url="http://testserver", raise_server_exceptions=False) as http:
        result = simulate(config, http=http)
    assert result.exit_code == 0, result.reason
    # renewed during half a virtual day of hour-long tokens, but never once per request
    assert 2 <= server.asked < result.requests / 5, (server.asked, result.requests)
    token_times = [e.at for e in result.run.exchanges if e.url.endswith("/oauth2/token")]
    assert token_times and result.run.exchanges[0].url.endswith("/oauth2/token")  # before the Test Connection
    hours = [int(t[11:13]) * 60 + int(t[14:16]) for t in token_times]
    assert all(later - earlier >= 54 for earlier, later in zip(hours, hours[1:]))  # each lived ~an hour


def test_a_failing_token_endpoint_fails_test_connection_like_entra() -> None:
    server = TokenOutage(app_with_oauth(), good=0)
    with TestClient(server, base_url="http://testserver", raise_server_exceptions=False) as http:
        result = check_connection("entra", oauth_target(), http=http)
    assert result.exit_code == 2
    assert result.reason.startswith("Test connection failed: could not get an access token")
    assert "503" in result.reason and CLIENT[1] not in result.reason


def test_a_token_endpoint_outage_mid_run_quarantines_the_entra_job() -> None:
    server = TokenOutage(app_with_oauth(ttl=3600), good=1)  # the first token lives an hour, then no more
    config = SimulationConfig("entra", oauth_target(), users=20, groups=2, days=1, seed=3)
    with TestClient(server, base_url="http://testserver", raise_server_exceptions=False) as http:
        result = simulate(config, http=http)
    assert result.exit_code == 1
    quarantine = result.run.simulation["quarantine"]
    assert quarantine is not None and "access token" in quarantine["reason"]
    failures = [e for e in result.run.simulation["log_tail"] if e.get("status") == "failure"]
    assert failures and all(CLIENT[1] not in str(e) for e in result.run.simulation["log_tail"])


def test_unsupported_combinations_are_refused_in_one_line() -> None:
    for idp, auth, words in [
        ("jumpcloud", oauth_target().auth, "jumpcloud cannot authenticate with OAuth 2.0 client credentials"),
        ("entra", Auth.basic("admin:pw"), "entra cannot authenticate with HTTP Basic"),
        ("entra-legacy", Auth.basic("admin:pw"), "cannot authenticate with HTTP Basic"),
    ]:
        target = Target(BASE, auth)
        result = simulate(SimulationConfig(idp, target, users=1, days=0.1))
        assert result.exit_code == 2 and words in result.reason and "\n" not in result.reason
        assert check_connection(idp, target).exit_code == 2
    assert load_profile("jumpcloud").refuses("bearer") is None and load_profile("entra").refuses("oauth") is None


def test_cli_refuses_jumpcloud_with_oauth() -> None:
    result = CliRunner().invoke(commands.simulate, [
        "--idp", "jumpcloud", "--target", BASE, "--oauth-token-url", "http://testserver/oauth2/token",
        "--client-id", CLIENT[0], "--quiet", "--out", "unused"], env={"SCIM_CLIENT_SECRET": CLIENT[1], "SCIM_TOKEN": ""})
    assert result.exit_code == 2 and "jumpcloud cannot authenticate with OAuth 2.0 client credentials" in result.output
