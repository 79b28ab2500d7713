"""The curl line that reproduces a request: shell-safe, token from $SCIM_TOKEN, and it works."""

from __future__ import annotations

import shlex
import shutil
import subprocess

import pytest

from harness.clock import VirtualClock
from harness.curl import curl_command
from tests.reports.fixtures import HOSTILE, TOKEN, _recorder, record

NASTY = "'; touch /tmp/pwned-by-curl; echo '$(id)`id`\\n\"$SCIM_TOKEN\"\n" + HOSTILE[0]


def _exchange(body: str = NASTY, url_tail: str = "/Users?filter=userName%20eq%20%22a%27b%22"):
    rec = _recorder(VirtualClock())
    return record(rec, "POST", url_tail, 201, {"id": "1"}, request=body.encode(),
                  headers=[("Content-Type", "application/scim+json")])


def test_round_trips_hostile_values_through_shlex() -> None:
    ex = _exchange()
    argv = shlex.split(curl_command(ex))
    assert argv[0] == "curl" and "--globoff" in argv
    assert argv[argv.index("-X") + 1] == "POST"
    assert ex.url in argv
    assert argv[argv.index("--data-binary") + 1] == NASTY
    headers = [argv[i + 1] for i, a in enumerate(argv) if a == "-H"]
    assert "Authorization: Bearer $SCIM_TOKEN" in headers
    assert "Content-Type: application/scim+json" in headers
    assert not any(h.lower().startswith(("host:", "user-agent:", "content-length:")) for h in headers)


def test_token_never_in_the_line_and_read_from_the_environment() -> None:
    line = curl_command(_exchange())
    assert TOKEN not in line and "[REDACTED]" not in line
    assert '-H "Authorization: Bearer $SCIM_TOKEN"' in line


def test_a_real_shell_passes_exactly_our_arguments(tmp_path) -> None:  # type: ignore[no-untyped-def]
    """Run the line in sh with curl replaced by a function that prints its argv."""
    ex = _exchange()
    script = 'curl() { for a in "$@"; do printf "%s\\0" "$a"; done; }\n' + curl_command(ex) + "\n"
    out = subprocess.run(["sh", "-c", script], capture_output=True, env={"SCIM_TOKEN": "tok-from-env", "PATH": "/usr/bin:/bin"},
                         cwd=tmp_path, check=True, timeout=10).stdout.decode()
    argv = out.split("\0")[:-1]
    assert argv[argv.index("--data-binary") + 1] == NASTY  # nothing expanded or executed
    assert "Authorization: Bearer tok-from-env" in argv  # the token comes from the environment
    assert list(tmp_path.iterdir()) == []


def test_truncated_body_is_flagged() -> None:
    ex = _exchange()
    from dataclasses import replace

    line = curl_command(replace(ex, request_truncated=True))
    assert line.rstrip().endswith("the full body is not known")
    assert shlex.split(line, comments=True)[-1] == NASTY


@pytest.mark.socket
@pytest.mark.skipif(shutil.which("curl") is None, reason="curl is not installed")
def test_the_line_reproduces_the_request_against_a_live_server() -> None:
    """A real curl, a real socket: the reproduced request reaches the server with the token."""
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from harness.http import Auth, Target, TargetClient
    from tests.live import serve

    seen: list[tuple[str, str, str, bytes]] = []

    async def users(request: Request) -> JSONResponse:
        seen.append((request.method, request.url.query, request.headers.get("authorization", ""), await request.body()))
        return JSONResponse({"id": "1"}, status_code=201)

    app = Starlette(routes=[Route("/Users", users, methods=["POST"])])
    with serve(app) as base:
        with TargetClient(Target(base, Auth.bearer(TOKEN))) as client:
            ex = client.post("/Users", json={"userName": HOSTILE[1]}, params={"x": 'a"[b]'})
        line = curl_command(ex)
        result = subprocess.run(["sh", "-c", line], capture_output=True, timeout=20,
                                env={"SCIM_TOKEN": TOKEN, "PATH": "/usr/bin:/bin"})
    assert result.returncode == 0, result.stderr
    assert b'"id"' in result.stdout
    assert len(seen) == 2
    assert seen[0] == seen[1]  # curl sent what the harness sent: method, query, token, body
