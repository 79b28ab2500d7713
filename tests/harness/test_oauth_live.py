"""OAuth 2.0 client credentials end to end, over real sockets: ``run``, ``simulate``, ``fuzz`` and
``cleanup`` against the reference server with OAuth only (no static token) and a token lifetime
short enough that the token is renewed during the run; the renewals show in the server's
recorder and in results.json; neither the secret nor any issued token is in any output file or
on the console. Hostile token endpoints (slow, huge, redirecting, HTML) give exit 2 in one line."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from harness.cli import main
from reference_server.app import create_app
from reference_server.settings import ServerSettings
from tests.live import serve

pytestmark = pytest.mark.socket

SECRET = "live-client-secret-7Hq2"
CLIENT = "entra-gallery-app"


class TokenTap:
    """The reference server, with every access token it issues noted (to grep outputs for them)."""

    def __init__(self, app: Any) -> None:
        self.app, self.issued = app, list[str]()

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        async def tap(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.body" and scope.get("path", "").endswith("/oauth2/token"):
                try:
                    self.issued.append(json.loads(message.get("body", b""))["access_token"])
                except (ValueError, KeyError):
                    pass
            await send(message)

        await self.app(scope, receive, tap)


@pytest.fixture
def oauth_server(tmp_path: Path):
    app = create_app(ServerSettings(db=str(tmp_path / "server.db"), oauth_clients=((CLIENT, SECRET),), token_ttl=1))
    tap = TokenTap(app)
    with serve(tap) as url:
        yield url, tap, app
    app.close()


def cli(*args: str) -> Any:
    return CliRunner().invoke(main, list(args), env={"SCIM_CLIENT_SECRET": SECRET, "SCIM_TOKEN": ""},
                              catch_exceptions=False)


def oauth_args(url: str) -> list[str]:
    return ["--oauth-token-url", f"{url}/oauth2/token", "--client-id", CLIENT]


def assert_no_credential_anywhere(out: Path, console: str, tap: TokenTap) -> None:
    assert len(tap.issued) >= 2, "the token was renewed during the run"
    files = [p for p in out.rglob("*") if p.is_file()]
    assert files
    for secret in (SECRET, *tap.issued):
        assert secret not in console
        for path in files:
            assert secret.encode() not in path.read_bytes(), f"{secret[:6]}… leaked into {path.name}"


def token_posts_recorded(app: Any) -> int:
    app.flush()
    return sum(1 for r in app.store.recordings(after=0, limit=100_000)
               if r["method"] == "POST" and r["path"] == "/oauth2/token")


def test_run_with_oauth_only_renews_the_token_and_leaks_nothing(oauth_server, tmp_path: Path) -> None:
    url, tap, app = oauth_server
    out = tmp_path / "run"
    result = cli("run", "--target", url, *oauth_args(url), "--out", str(out), "--workers", "2")
    assert result.exit_code == 0, result.output
    assert_no_credential_anywhere(out, result.output, tap)
    posts = token_posts_recorded(app)  # the renewals (and the readiness checks' grants), as the server saw them
    assert posts >= len(tap.issued) >= 2
    exchanges = json.loads((out / "results.json").read_text())["exchanges"]
    token_exchanges = [e for e in exchanges if e["url"].endswith("/oauth2/token")]
    assert len(token_exchanges) == posts  # the harness's own transcript shows each token request
    issued = [e for e in token_exchanges if e["response"]["status"] == 200]
    assert len(issued) == len(tap.issued)
    assert all(json.loads(e["response"]["body"])["access_token"] == "[REDACTED]" for e in issued)
    results = {r["id"]: r["outcome"] for r in json.loads((out / "results.json").read_text())["results"]}
    assert results["entra.oauth-token-issued"] == "pass" and results["entra.oauth-expired-token-refused"] == "pass"
    html = (out / "report.html").read_text()
    assert "SCIM_TOKEN_URL" in html  # curl lines say how to get a token


def test_simulation_with_oauth_only_renews_the_token(oauth_server, tmp_path: Path) -> None:
    url, tap, app = oauth_server
    out = tmp_path / "sim"
    result = cli("simulate", "--idp", "entra", "--target", url, *oauth_args(url), "--users", "6", "--groups", "1",
                 "--days", "0.05", "--quiet", "--out", str(out))
    assert result.exit_code == 0, result.output
    assert "Converged" in result.output
    assert_no_credential_anywhere(out, result.output, tap)
    assert token_posts_recorded(app) >= 2


def test_fuzz_and_cleanup_with_oauth_only(oauth_server, tmp_path: Path) -> None:
    url, tap, app = oauth_server
    out = tmp_path / "fuzz"
    result = cli("fuzz", "--target", url, *oauth_args(url), "--time-limit", "3", "--max-requests", "150",
                 "--max-examples", "5", "--seed", "3", "--out", str(out), "--prefix", "fz-oauth-")
    assert result.exit_code in (0, 1), result.output
    assert "refused the credentials" not in result.output
    cleaned = cli("cleanup", "--target", url, *oauth_args(url), "--prefix", "fz-oauth-")
    assert cleaned.exit_code == 0, cleaned.output
    assert_no_credential_anywhere(out, result.output + cleaned.output, tap)
    assert token_posts_recorded(app) >= 2
    statuses = [r["status"] for r in app.store.recordings(after=0, limit=100_000) if r["path"] != "/oauth2/token"]
    refused = statuses.count(401)
    assert len(statuses) > 20 and refused <= len(statuses) // 10, (refused, len(statuses))  # each request had a token


# -- hostile token endpoints ---------------------------------------------------------------------
async def _hostile_token_endpoint(kind: str, scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    async def respond(status: int, body: bytes, headers: list[tuple[bytes, bytes]]) -> None:
        await send({"type": "http.response.start", "status": status,
                    "headers": [*headers, (b"content-length", str(len(body)).encode())]})
        await send({"type": "http.response.body", "body": body})
    if kind == "slow":
        await asyncio.sleep(30)
    if kind == "huge":
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]})
        chunk = b'{"access_token": "' + b"x" * (1024 * 1024)
        for _ in range(50):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        return await send({"type": "http.response.body", "body": b""})
    if kind == "redirect":
        return await respond(302, b"", [(b"location", b"http://127.0.0.1:9/steal")])
    return await respond(200, b"<html><body><form>Sign in</form></body></html>", [(b"content-type", b"text/html")])


@pytest.mark.parametrize("kind, words", [("slow", "unreachable: timeout"), ("huge", "more than 64 KiB"),
                                         ("redirect", "redirect"), ("html", "not a JSON object")])
def test_hostile_token_endpoints_exit_2_in_one_line(kind: str, words: str, tmp_path: Path) -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await _hostile_token_endpoint(kind, scope, receive, send)

    with serve(app) as token_host:
        target = "http://127.0.0.1:9/scim/v2"  # never reached: no token, no SCIM request
        result = cli("run", "--target", target, "--oauth-token-url", f"{token_host}/token", "--client-id", CLIENT,
                     "--timeout", "1", "--out", str(tmp_path / "out"))
    assert result.exit_code == 2, result.output
    lines = [line for line in result.output.splitlines() if "access token" in line]
    assert len(lines) == 1 and words in lines[0] and SECRET not in result.output


@pytest.mark.parametrize("command", [["simulate", "--idp", "entra", "--quiet"], ["test-connection", "--idp", "entra"],
                                     ["fuzz", "--time-limit", "1"], ["cleanup", "--prefix", "sh-x-"]])
def test_every_command_says_why_there_is_no_token(command: list[str], tmp_path: Path) -> None:
    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        await _hostile_token_endpoint("html", scope, receive, send)

    with serve(app) as token_host:
        args = [*command, "--target", "http://127.0.0.1:9/scim/v2", "--oauth-token-url", f"{token_host}/token",
                "--client-id", CLIENT, "--timeout", "1"]
        if command[0] in ("simulate", "fuzz"):
            args += ["--out", str(tmp_path / "out")]
        result = cli(*args)
    assert result.exit_code == 2, result.output
    assert "access token" in result.output and "not a JSON object" in result.output and SECRET not in result.output


pytest_plugins = ["pytester"]


def test_the_pytest_plugin_authenticates_with_oauth(oauth_server, pytester: pytest.Pytester,
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    url, tap, _ = oauth_server
    monkeypatch.setenv("SCIM_CLIENT_SECRET", SECRET)
    monkeypatch.delenv("SCIM_TOKEN", raising=False)
    monkeypatch.delenv("SCIM_HARNESS_TOKEN", raising=False)
    result = pytester.runpytest("--scim-target", url, "--scim-oauth-token-url", f"{url}/oauth2/token",
                                "--scim-client-id", CLIENT, "--scim-select", "oauth", "--scim-oauth-expiry-wait", "3",
                                "-p", "no:cacheprovider")
    from harness.run_findings import RUN_FINDINGS

    result.assert_outcomes(passed=8 + len(RUN_FINDINGS))  # the checks, then the run-level items
    assert tap.issued and all(token not in result.stdout.str() for token in tap.issued)


@pytest.mark.parametrize("args, words", [
    (["--client-id", "x"], "need --oauth-token-url"),
    (["--oauth-token-url", "http://127.0.0.1:9/token"], "OAuth needs --client-id and --client-secret"),
    (["--oauth-token-url", "http://u:p@127.0.0.1:9/token", "--client-id", "x"], "not in --oauth-token-url"),
    (["--oauth-token-url", "http://127.0.0.1:9/token", "--client-id", "x", "--client-secret", "s", "--token", "t"],
     "not --token and --oauth-token-url"),
])
def test_bad_oauth_options_are_one_line_exit_2(args: list[str], words: str) -> None:
    result = CliRunner().invoke(main, ["run", "--target", "http://127.0.0.1:9", *args],
                                env={"SCIM_CLIENT_SECRET": "", "SCIM_HARNESS_CLIENT_SECRET": "", "SCIM_TOKEN": ""})
    assert result.exit_code == 2 and words in result.output and "Traceback" not in result.output
