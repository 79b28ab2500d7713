"""``serve`` and ``recordings`` commands (click, in-process) and ``python -m reference_server``."""

from __future__ import annotations

import json
import subprocess
import sys

from click.testing import CliRunner

from reference_server.quirks import CATALOGUE
from reference_server.commands import recordings, serve
from reference_server.quirks import CATALOGUE
from tests.server.helpers import USER, client


def test_list_quirks_and_apps():
    r = CliRunner().invoke(serve, ["--list-quirks"])
    assert r.exit_code == 0 and "rate-limit-429" in r.output and len(r.output.splitlines()) == len(CATALOGUE)
    r = CliRunner().invoke(serve, ["--list-apps"])
    assert r.exit_code == 0 and "lens" in r.output and "toolkit" in r.output


def test_bad_input_exits_2_without_traceback():
    for args in (["--quirk", "nope"], ["--app", "nope"], ["--basic", "nocolon"], ["--port", "99999"]):
        r = CliRunner().invoke(serve, args)
        assert r.exit_code == 2 and "Traceback" not in r.output, args


def test_recordings_commands(tmp_path):
    db = str(tmp_path / "r.db")
    c = client(db=db)
    c.post("/Users", json={"schemas": [USER], "userName": "x"})
    c.get("/Users/nope")
    c.scim.close()
    r = CliRunner().invoke(recordings, ["list", "--db", db])
    assert r.exit_code == 0 and "POST   /Users  201" in r.output and "GET    /Users/nope  404" in r.output
    r = CliRunner().invoke(recordings, ["show", "1", "--db", db])
    assert r.exit_code == 0 and json.loads(r.output)["status"] == 201
    r = CliRunner().invoke(recordings, ["export", "--db", db, "--format", "jsonl"])
    assert [json.loads(line)["status"] for line in r.output.splitlines()] == [201, 404]
    r = CliRunner().invoke(recordings, ["export", "--db", db, "--format", "json"])
    assert len(json.loads(r.output)) == 2
    r = CliRunner().invoke(recordings, ["list", "--db", str(tmp_path / "missing.db")])
    assert r.exit_code != 0 and "no database" in r.output


def test_python_m_help():
    out = subprocess.run([sys.executable, "-m", "reference_server", "--help"], capture_output=True, text=True,
                         timeout=60)
    assert out.returncode == 0 and "--token" in out.stdout and "Example" in out.stdout


def test_seed_users_are_served(tmp_path):
    from datetime import datetime, timezone

    from reference_server.seed import seed_user_id, seed_user_name, seed_users
    c = client(db=str(tmp_path / "s.db"))
    assert seed_users(c.scim.store, 50, datetime(2026, 1, 1, tzinfo=timezone.utc)) == 50
    assert c.get("/Users?count=0").json()["totalResults"] == 50
    got = c.get("/Users", params={"filter": f'userName eq "{seed_user_name(7).upper()}"'}).json()["Resources"]
    assert [u["id"] for u in got] == [seed_user_id(7)]
    assert c.post("/Users", json={"schemas": [USER], "userName": seed_user_name(3)}).status_code == 409


def test_serve_on_a_busy_port_is_one_line_and_exit_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import socket

    from click.testing import CliRunner

    from reference_server.commands import serve

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        result = CliRunner().invoke(serve, ["--db", str(tmp_path / "x.db"), "--port", str(port), "--token", "T" * 20])
    assert result.exit_code == 2, result.output
    assert "port is in use" in result.output and "Traceback" not in result.output


def test_recordings_without_a_database_exit_2(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from click.testing import CliRunner

    from reference_server.commands import recordings

    result = CliRunner().invoke(recordings, ["list", "--db", str(tmp_path / "missing.db")])
    assert result.exit_code == 2 and "no database" in result.output
