"""``scim-harness tenants ...`` (click, in-process) and ``serve --tenants`` as a real process."""

from __future__ import annotations

import re
import subprocess
import sys
import time

import httpx
from click.testing import CliRunner

from reference_server.tenant_commands import tenants
from tests.live import free_port

TOKEN = re.compile(r"(scimt_[A-Za-z0-9_-]+)")


def _run(*args: str):
    return CliRunner().invoke(tenants, list(args))


def test_create_prints_the_base_url_and_token_once_and_list_never_shows_it(tmp_path):
    d = str(tmp_path / "t")
    r = _run("create", "acme", "--dir", d, "--url", "http://sandbox.example:9000", "--quirk", "rate-limit-429")
    assert r.exit_code == 0 and "base URL: http://sandbox.example:9000/t/acme/scim/v2" in r.output
    token = TOKEN.search(r.output).group(1)
    listed = _run("list", "--dir", d)
    assert listed.exit_code == 0 and "acme" in listed.output and "rate-limit-429" in listed.output
    assert token not in listed.output and token not in _run("list", "--dir", d, "--json").output
    rotated = _run("rotate-token", "acme", "--dir", d)
    assert rotated.exit_code == 0 and TOKEN.search(rotated.output).group(1) != token
    assert _run("delete", "acme", "--dir", d).exit_code == 0 and "no tenants" in _run("list", "--dir", d).output


def test_bad_input_is_one_line_and_exit_2(tmp_path):
    d = str(tmp_path / "t")
    assert _run("create", "ok", "--dir", d).exit_code == 0
    for args in (["create", "Bad Name", "--dir", d], ["create", "ok", "--dir", d], ["delete", "nope", "--dir", d],
                 ["create", "x", "--dir", d, "--quirk", "nope"], ["create", "y", "--dir", d, "--app", "nope"],
                 ["rotate-token", "nope", "--dir", d]):
        r = _run(*args)
        assert r.exit_code == 2 and "Traceback" not in r.output and len(r.output.strip().splitlines()) == 1, args


def test_serve_tenants_picks_up_a_tenant_the_cli_creates_while_it_runs(tmp_path):
    d, port = str(tmp_path / "t"), free_port()
    proc = subprocess.Popen([sys.executable, "-m", "reference_server", "--tenants", d, "--port", str(port),
                             "--admin-token", "admin-0123456789abcdef"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        url = f"http://127.0.0.1:{port}"
        for _ in range(200):  # bounded wait for the port (the process prints before it listens)
            try:
                httpx.get(f"{url}/admin/tenants", timeout=1)
                break
            except httpx.TransportError:
                time.sleep(0.05)
        out = _run("create", "live", "--dir", d, "--url", url).output
        base, token = re.search(r"base URL: (\S+)", out).group(1), TOKEN.search(out).group(1)
        h = {"Authorization": f"Bearer {token}"}
        r = httpx.post(f"{base}/Users", headers=h,
                       json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a@x.org"})
        assert r.status_code == 201 and r.headers["location"].startswith(f"{base}/Users/")
        assert httpx.get(f"{url}/admin/tenants", headers={"Authorization": "Bearer admin-0123456789abcdef"}
                         ).json()["tenants"][0]["name"] == "live"
        _run("rotate-token", "live", "--dir", d)
        assert httpx.get(f"{base}/Users", headers=h).status_code == 401
    finally:
        proc.terminate()
        proc.wait(timeout=10)
