"""No credential reaches any output (issue 16): every input, every command, a real socket.

The reference server runs as ``scim-harness serve`` on a loopback port and accepts every
credential below. Each command that talks to a target (run, cleanup, fuzz, simulate,
test-connection, replay, the pytest plugin for checks and for replay, demo) runs as a real process, once per way a credential
can be given (URL user-info, ``--token``, ``--basic``, ``--header``, ``$SCIM_TOKEN``,
``$SCIM_HARNESS_TOKEN``, an OAuth client secret as ``--client-secret`` or ``$SCIM_CLIENT_SECRET``,
and in the token URL; for replay also the credentials inside the recorded session), each with
its own secret, in a fresh working directory. Then every
byte it wrote — stdout, stderr, every file under its directory — is searched for every secret
and the encoded forms they travel in. Last, the server's own outputs (its console, its
database files, ``GET /_recordings``, ``scim-harness recordings export``) are searched the same
way. Expected hits: 0.

A URL with user-info must be refused the same way by every command: one message, nothing sent.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import quote

import httpx
import pytest

from redaction import URL_CREDENTIALS_REFUSED
from tests.live import free_port

pytestmark = [pytest.mark.socket, pytest.mark.slow]

BIN = Path(sys.executable).parent
CLI = str(BIN / "scim-harness")
USER = "scim"
#: One distinct secret per input; every one is searched for in every output.
SECRET = {name: f"leak{name}-{secrets.token_hex(8)}"
          for name in ("url", "token", "basic", "header", "xheader", "env1", "env2", "session", "query",
                       "oauth", "oauthenv", "oauthurl")}
#: ``xheader`` is a credential in a header of the user's choosing, which the server does not accept
#: (the command is refused with 401, after it has sent and recorded the header).
INPUTS = ("url", "token", "basic", "header", "xheader", "env1", "env2", "oauth", "oauthenv", "oauthurl")
CLIENT = "leak-client"  # an OAuth client of the server, with two secrets (oauth, oauthenv)
CHECK = "discovery.spc-object"  # one quick check: the point is the outputs, not the verdicts


def forms(secret: str) -> set[bytes]:
    """The ways a secret can be written: as is, inside Basic (base64), percent-encoded."""
    out = {secret.encode(), quote(secret, safe="").encode()}
    for user in (USER, "user"):
        out.add(base64.b64encode(f"{user}:{secret}".encode()))
    return out


NEEDLES = {needle: name for name, secret in SECRET.items() for needle in forms(secret)}


def hits(data: bytes) -> list[str]:
    return sorted({f"{NEEDLES[n]} ({n[:12].decode(errors='replace')}…)" for n in NEEDLES if n in data})


def files_under(root: Path) -> Iterator[Path]:
    for path in root.rglob("*"):
        if path.is_file():
            yield path


INPUT_FILE = "session.har"  # what replay is given, not what it writes


def leaks_in(root: Path) -> dict[str, list[str]]:
    return {str(p.relative_to(root)): found for p in files_under(root)
            if p.name != INPUT_FILE and (found := hits(p.read_bytes()))}


@dataclass
class Server:
    url: str
    db: Path
    workdir: Path
    proc: subprocess.Popen[bytes]


def clean_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in {"SCIM_TOKEN", "SCIM_HARNESS_TOKEN"}}
    env.update({"NO_COLOR": "1", "CI": "1"}, **extra)
    return env


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    workdir = tmp_path_factory.mktemp("leak-server")
    db = workdir / "scim.db"
    port = free_port()
    # xheader's value is a token too, so the server's recorder knows it is secret; it arrives in a
    # header the server does not read for authentication, so the request is still refused
    tokens = [arg for name in ("token", "header", "xheader", "env1", "env2") for arg in ("--token", SECRET[name])]
    out = (workdir / "stdout").open("wb")
    err = (workdir / "stderr").open("wb")
    clients = [arg for name in ("oauth", "oauthenv") for arg in ("--oauth-client", f"{CLIENT}:{SECRET[name]}")]
    proc = subprocess.Popen([CLI, "serve", "--db", str(db), "--port", str(port), *tokens, *clients,
                             "--basic", f"{USER}:{SECRET['basic']}"],
                            cwd=workdir, env=clean_env(), stdout=out, stderr=err)
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(f"{url}/ServiceProviderConfig", timeout=1).status_code in (200, 401):
                break
        except httpx.TransportError:
            pass
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            pytest.fail(f"the reference server did not start: {(workdir / 'stderr').read_text()[-500:]}")
        time.sleep(0.1)
    try:
        yield Server(url, db, workdir, proc)
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        out.close()
        err.close()


def credentials(command: str, way: str, url: str) -> tuple[str, list[str], dict[str, str]]:
    """(target URL, credential arguments, extra environment) for one way of giving a secret."""
    plugin = command.startswith("pytest")
    flag = {"token": "--scim-token", "basic": "--scim-basic", "header": "--scim-header"} if plugin else {
        "token": "--token", "basic": "--basic", "header": "--header"}
    if way == "url":  # user-info with an otherwise valid token: only the URL is wrong
        return (url.replace("://", f"://{USER}:{SECRET['url']}@") + "/", [flag["token"], SECRET["token"]], {})
    if way == "token":
        return url + "/", [flag["token"], SECRET["token"]], {}
    if way == "basic":
        return url + "/", [flag["basic"], f"{USER}:{SECRET['basic']}"], {}
    if way == "header":
        return url + "/", [flag["header"], f"Authorization: Bearer {SECRET['header']}"], {}
    if way == "xheader":
        return url + "/", [flag["header"], f"X-Api-Secret: {SECRET['xheader']}"], {}
    if way.startswith("oauth"):
        o = "--scim-" if plugin else "--"
        token_url = f"{url}/oauth2/token"
        if way == "oauthurl":  # credentials in the token URL: refused like the target's
            token_url = token_url.replace("://", f"://{CLIENT}:{SECRET['oauthurl']}@")
        creds = [f"{o}oauth-token-url", token_url, f"{o}client-id", CLIENT]
        if way == "oauthenv":
            return url + "/", creds, {"SCIM_CLIENT_SECRET": SECRET["oauthenv"]}
        return url + "/", [*creds, f"{o}client-secret", SECRET["oauth"]], {}
    if way == "env1":
        return url + "/", [], {"SCIM_TOKEN": SECRET["env1"]}
    return url + "/", [], {"SCIM_HARNESS_TOKEN": SECRET["env2"]}


def argv(command: str, target: str, creds: list[str], out: Path, way: str = "token") -> list[str]:
    idp = "entra"
    if command == "run":
        return [CLI, "run", "--target", target, *creds, "--select", CHECK, "--out", str(out)]
    if command == "cleanup":
        return [CLI, "cleanup", "--target", target, *creds, "--prefix", "sh-leaktest-"]
    if command == "fuzz":
        return [CLI, "fuzz", "--target", target, *creds, "--max-examples", "1", "--time-limit", "2",
                "--max-requests", "15", "--seed", "1", "--out", str(out)]
    if command == "simulate":
        return [CLI, "simulate", "--idp", idp, "--target", target, *creds, "--users", "2", "--groups", "1",
                "--days", "0.01", "--no-churn", "--quiet", "--out", str(out)]
    if command == "replay":
        session = out.parent / INPUT_FILE
        session.write_text(json.dumps(SESSION), encoding="utf-8")
        return [CLI, "replay", str(session), "--target", target, *creds, "--out", str(out)]
    if command == "test-connection":
        return [CLI, "test-connection", "--idp", idp, "--target", target, *creds]
    assert command.startswith("pytest")
    if command == "pytest-replay":
        session = out.parent / INPUT_FILE
        session.write_text(json.dumps(SESSION), encoding="utf-8")
        what = ["--scim-replay", str(session)]
    else:
        what = ["--scim-select", CHECK]
    return [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "--rootdir", str(out.parent), "-q",
            "--scim-target", target, *creds, *what, f"--junitxml={out / 'junit.xml'}",
            "--html", str(out / "pytest-report.html")]


#: A recorded session (HAR) for replay, carrying the recording client's own credentials: in its
#: Authorization header and in an ``access_token`` query parameter. Neither may be sent or shown.
SESSION = {"log": {"version": "1.2", "creator": {"name": "a proxy", "version": "1"}, "entries": [{
    "startedDateTime": "2026-01-05T09:00:00.000Z", "time": 3,
    "request": {"method": "GET", "url": ("http://sp.example/scim/Users?filter=userName%20eq%20%22nobody%40x.example%22"
                                         f"&access_token={SECRET['query']}"),
                "httpVersion": "HTTP/1.1", "cookies": [], "queryString": [], "headersSize": -1, "bodySize": 0,
                "headers": [{"name": "Authorization", "value": f"Bearer {SECRET['session']}"},
                            {"name": "Accept", "value": "application/scim+json"}]},
    "response": {"status": 200, "statusText": "OK", "httpVersion": "HTTP/1.1", "cookies": [], "redirectURL": "",
                 "headersSize": -1, "bodySize": -1,
                 "headers": [{"name": "Content-Type", "value": "application/scim+json"}],
                 "content": {"size": 90, "mimeType": "application/scim+json", "text": json.dumps(
                     {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0,
                      "Resources": []})}},
    "cache": {}, "timings": {"send": 0, "wait": 3, "receive": 0}}]}}

#: The ways each command accepts a credential (simulate and test-connection have no --header).
WAYS = {
    "run": INPUTS, "cleanup": INPUTS, "fuzz": INPUTS, "pytest": INPUTS, "pytest-replay": INPUTS, "replay": INPUTS,
    "simulate": ("url", "token", "basic", "env1", "env2", "oauth", "oauthenv", "oauthurl"),
    "test-connection": ("url", "token", "basic", "env1", "env2", "oauth", "oauthenv", "oauthurl"),
}
CASES = [(command, way) for command, ways in WAYS.items() for way in ways]


@pytest.mark.parametrize(("command", "way"), CASES, ids=[f"{c}-{w}" for c, w in CASES])
def test_no_secret_in_anything_a_command_writes(server: Server, tmp_path: Path, command: str, way: str) -> None:
    target, creds, env = credentials(command, way, server.url)
    out = tmp_path / "out"
    out.mkdir()
    proc = subprocess.run(argv(command, target, creds, out, way), cwd=tmp_path, env=clean_env(**env),
                          capture_output=True, timeout=300)
    streams = proc.stdout + proc.stderr
    assert hits(proc.stdout) == [] and hits(proc.stderr) == [], streams.decode(errors="replace")[-2000:]
    assert leaks_in(tmp_path) == {}
    if way == "url":  # refused, one message, before anything is sent
        assert URL_CREDENTIALS_REFUSED in streams.decode(errors="replace"), streams.decode(errors="replace")[-800:]
        assert proc.returncode in (2, 4)  # 4: pytest's own code for a usage error
        assert not list(files_under(out))
    elif way == "basic" and command in ("simulate", "test-connection"):
        assert proc.returncode == 2  # no simulated IdP authenticates with Basic (harness/idp profiles)
    elif way == "oauthurl":  # refused before anything is sent, one line
        assert proc.returncode in (2, 4) and b"Traceback" not in streams, streams.decode(errors="replace")[-800:]
        assert not list(files_under(out))
    elif way == "xheader":  # sent, refused with 401: "could not test", said in one line
        assert proc.returncode != 0 and b"Traceback" not in streams, streams.decode(errors="replace")[-2000:]
    else:
        # the credential was used: the command reached the target and wrote its outputs
        assert proc.returncode in (0, 1), streams.decode(errors="replace")[-2000:]
        if command in ("run", "fuzz", "simulate", "replay"):
            assert (out / "results.json").exists() and (out / "report.html").exists()
        if command.startswith("pytest"):
            assert (out / "junit.xml").exists()


def test_no_secret_in_what_the_demo_writes(tmp_path: Path) -> None:
    """The demo takes no target; the credentials in the environment must not reach its outputs."""
    proc = subprocess.run([CLI, "demo", "--no-browser", "--users", "2", "--speed", "100000", "--out",
                           str(tmp_path / "demo")], cwd=tmp_path, capture_output=True, timeout=600,
                          env=clean_env(SCIM_TOKEN=SECRET["env1"], SCIM_HARNESS_TOKEN=SECRET["env2"]))
    assert proc.returncode in (0, 1), (proc.stdout + proc.stderr).decode(errors="replace")[-2000:]
    assert (tmp_path / "demo" / "conformance" / "report.html").exists()
    assert hits(proc.stdout + proc.stderr) == []
    assert leaks_in(tmp_path) == {}


def test_no_secret_in_what_the_server_recorded(server: Server) -> None:
    """Runs last: by now every command has sent its credential to the server (all but the URL's)."""
    answer = httpx.get(f"{server.url}/_recordings", params={"limit": 1000},
                       headers={"Authorization": f"Bearer {SECRET['token']}"}, timeout=30)
    assert answer.status_code == 200
    assert b"[REDACTED]" in answer.content  # the credentials were recorded, masked
    assert hits(answer.content) == []
    export = subprocess.run([CLI, "recordings", "export", "--db", str(server.db), "--format", "jsonl"],
                            cwd=server.workdir, env=clean_env(), capture_output=True, timeout=60)
    assert export.returncode == 0 and export.stdout.count(b"\n") > 3
    assert hits(export.stdout + export.stderr) == []
    server.proc.send_signal(signal.SIGTERM)
    server.proc.wait(timeout=30)
    assert leaks_in(server.workdir) == {}  # the database, its WAL, the server's console
