"""HAR everywhere: run, simulate, test-connection, replay and the recorder's export write HAR 1.2.

Every file is checked against the HAR 1.2 fields (tests/replay/har_spec.py); pages group entries
per check or per cycle; headers are redacted and bodies bounded as the recorder bounds them.
(fuzz's exchanges.har is validated in tests/fuzz/test_fuzz_live.py.)
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import main
from harness.har import HarPage, build_har
from harness.recorder import Recorder
from harness.redact import Redactor
from mock_idp import commands as idp_commands
from reference_server.app import create_app
from reference_server.settings import ServerSettings
from tests.live import serve
from tests.replay.har_spec import validate

TOKEN = "har-secret-token-77"


def _load(path: Path) -> list[dict[str, object]]:
    text = path.read_text(encoding="utf-8")
    assert TOKEN not in text
    return validate(json.loads(text))


@pytest.mark.socket
def test_run_simulate_and_test_connection_write_valid_har(tmp_path: Path) -> None:
    app = create_app(ServerSettings(db=str(tmp_path / "s.db"), tokens=(TOKEN,)))
    runner = CliRunner()
    with serve(app) as url:
        run = runner.invoke(main, ["run", "--target", url, "--token", TOKEN, "--suite", "entra",
                                   "--out", str(tmp_path / "run")])
        sim = runner.invoke(idp_commands.simulate, ["--idp", "entra", "--target", url + "/", "--token", TOKEN,
                                                    "--users", "3", "--groups", "1", "--days", "0.1", "-q",
                                                    "--out", str(tmp_path / "sim")])
        tc = runner.invoke(idp_commands.connection_test_command, ["--idp", "jumpcloud", "--target", url + "/", "--token",
                                                          TOKEN, "--out", str(tmp_path / "tc")])
    app.close()
    assert run.exit_code == 0 and sim.exit_code == 0 and tc.exit_code == 0, (run.output, sim.output, tc.output)
    assert "exchanges.har" in run.output and "exchanges.har" in tc.output

    entries = _load(tmp_path / "run" / "exchanges.har")
    doc = json.loads((tmp_path / "run" / "exchanges.har").read_text())
    results = json.loads((tmp_path / "run" / "results.json").read_text())
    assert len(entries) == len(results["exchanges"])
    titles = [p["title"] for p in doc["log"]["pages"]]
    assert any(t.startswith("entra.test-connection-probe") for t in titles)  # a page per check
    assert all(e["request"]["headers"] for e in entries)
    auth = [h["value"] for e in entries for h in e["request"]["headers"] if h["name"].lower() == "authorization"]
    assert auth and set(auth) == {"Bearer [REDACTED]"}

    sim_doc = json.loads((tmp_path / "sim" / "exchanges.har").read_text())
    validate(sim_doc)
    pages = [(p["id"], p["title"]) for p in sim_doc["log"]["pages"]]
    assert pages[0][0] == "cycle-1" and "(test-connection)" in pages[0][1]  # a page per provisioning cycle
    assert pages[1][0] == "cycle-2" and "(initial)" in pages[1][1] and pages[-1][0] == "read-back"
    first = [e for e in sim_doc["log"]["entries"] if e["pageref"] == "cycle-1"]
    assert [e["request"]["method"] for e in first] == ["GET", "GET"]  # Entra's two probes
    assert any(e["request"]["method"] == "POST" and e["request"]["postData"]["text"] for e in sim_doc["log"]["entries"])

    tc_entries = _load(tmp_path / "tc" / "exchanges.har")
    assert [e["request"]["method"] for e in tc_entries] == ["GET", "POST", "POST", "DELETE", "DELETE"]


@pytest.mark.socket
def test_the_recorder_exports_har(tmp_path: Path) -> None:
    from reference_server.commands import recordings

    db = tmp_path / "s.db"
    app = create_app(ServerSettings(db=str(db), tokens=(TOKEN,)))
    with serve(app) as url:
        CliRunner().invoke(idp_commands.connection_test_command, ["--idp", "entra", "--target", url + "/", "--token", TOKEN])
    app.close()
    out = tmp_path / "r.har"
    res = CliRunner().invoke(recordings, ["export", "--db", str(db), "--format", "har", "--out", str(out)])
    assert res.exit_code == 0, res.output
    entries = _load(out)
    assert len(entries) == 2 and all(e["response"]["status"] == 200 for e in entries)


def test_headers_are_redacted_and_bodies_bounded_in_any_har() -> None:
    recorder = Recorder(Redactor([TOKEN]), body_limit=100)
    ex = recorder.record(method="POST", url=f"http://x/Users?access={TOKEN}",
                         request_headers=[("Authorization", f"Bearer {TOKEN}"), ("X-Trace", "t")],
                         request_body=b'{"userName": "' + b"a" * 500 + b'"}', status=201,
                         response_headers=[("Set-Cookie", "s=1"), ("Content-Type", "application/scim+json")],
                         response_body=b"b" * 5000, elapsed_ms=3.25)
    doc = build_har([ex], [HarPage("p1", "one check", (ex.id,))])
    [entry] = validate(doc)
    text = json.dumps(doc)
    assert TOKEN not in text and "s=1" not in text
    content = entry["response"]["content"]  # type: ignore[index]
    assert len(content["text"]) == 100 and entry["response"]["_truncated"] is True  # type: ignore[index]
    assert len(entry["request"]["postData"]["text"]) == 100  # type: ignore[index]
    assert entry["pageref"] == "p1" and entry["time"] == 3.25
