"""The proof over real sockets: record Entra, export, replay; quirks found and named; no credential anywhere.

Reference servers run on 127.0.0.1 (uvicorn, SQLite files); every command runs through the CLI.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timezone
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from harness.cli import main
from harness.http import Auth, Target
from mock_idp.simulate import SimulationConfig, simulate
from reference_server.app import create_app
from reference_server.commands import recordings
from reference_server.settings import ServerSettings
from tests.live import serve
from tests.replay.har_spec import validate

pytestmark = pytest.mark.socket

TOKEN = "proof-secret-Zq8vX1-token"
STORY = Path(__file__).parent / "session-story.json"


def _server(db: Path, *quirks: str) -> Any:
    return create_app(ServerSettings(db=str(db), tokens=(TOKEN,), quirks=quirks))


@pytest.fixture(scope="module")
def recorded(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """One reference server records Entra with ?aadOptscim062020, JumpCloud, then Entra without the flag
    (legacy, Entra's default); each Entra session is exported alone (by client and time), as JSONL
    and as HAR. The legacy session was recorded on a server that already held the others' users, so
    its final full listings count them: only the first session can replay clean on an empty server."""
    root = tmp_path_factory.mktemp("recorded")
    db = root / "idp.db"
    app = _server(db)
    marks: list[str] = []
    with serve(app) as url:
        for idp, seed in (("entra", 7), ("jumpcloud", 6), ("entra-legacy", 5)):
            config = SimulationConfig(idp, Target(url + "/", Auth.bearer(TOKEN), timeout=30), users=4, groups=1,
                                      days=0.01, seed=seed, churn=False, scenario=STORY, out=root / f"sim-{idp}")
            assert simulate(config).exit_code == 0
            marks.append(datetime.now(timezone.utc).isoformat())
    app.close()
    runner = CliRunner()
    files: dict[str, Path] = {}
    for idp, window in (("entra", ["--until", marks[0]]), ("entra-legacy", ["--since", marks[1]])):
        for fmt in ("jsonl", "har"):
            out = root / f"{idp}.{fmt}"
            args = ["export", "--db", str(db), "--format", fmt, "--client", "Microsoft*", *window, "--out", str(out)]
            result = runner.invoke(recordings, args)
            assert result.exit_code == 0, result.output
            files[f"{idp}.{fmt}"] = out
    files["har-by-harness"] = root / "sim-entra-legacy" / "exchanges.har"
    files["root"] = root
    return files


def replay(session: Path | str, out: Path, *quirks: str, compare: str = "shape") -> dict[str, Any]:
    app = _server(out.parent / f"{out.name}.db", *quirks)
    with serve(app) as url:
        result = CliRunner().invoke(main, ["replay", str(session), "--target", url + "/", "--token", TOKEN,
                                           "--out", str(out), "--compare", compare])
    app.close()
    assert result.exit_code in (0, 1), result.output
    assert TOKEN not in result.output
    data: dict[str, Any] = json.loads((out / "results.json").read_text())
    data["_output"] = result.output
    return data


def findings(data: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in data["results"] if r["outcome"] in ("fail", "warn", "error")]


def test_a_recorded_session_replays_clean_on_a_fresh_server(recorded: dict[str, Path], tmp_path: Path) -> None:
    data = replay(recorded["entra.jsonl"], tmp_path / "out", compare="strict")
    assert data["kind"] == "replay" and data["exit_code"] == 0 and findings(data) == []
    info = data["replay"]
    assert info["sent"] == info["recorded"] > 20 and info["divergences"] == 0
    assert info["ids_learned"] == info["session_ids"] == 5 and info["ids_unmapped"] == 0  # 4 users, 1 group
    assert info["replacements"] > 0 and info["idp"] == "Entra ID"
    validate(json.loads((tmp_path / "out" / "exchanges.har").read_text()))


# quirk -> the session whose IdP behaviour trips it, the divergence, words the consequence must hold
QUIRKS = {
    "not-found-on-empty-filter": ("entra", "status: recorded 200, replayed 404", "Test Connection fails"),
    "remove-members-empties-group": ("entra-legacy", "members", "does not resend"),
    "reject-string-booleans": ("entra-legacy", "status: recorded 200, replayed 400", "disabled user stays active"),
    "deleted-still-listed": ("entra", "totalResults: recorded 3, replayed 4", "deleted ones still listed"),
}


@pytest.mark.parametrize("quirk", QUIRKS)
def test_each_quirk_is_found_and_named_with_its_idp_consequence(recorded: dict[str, Path], tmp_path: Path,
                                                                quirk: str) -> None:
    idp, divergence, consequence = QUIRKS[quirk]
    data = replay(recorded[f"{idp}.jsonl"], tmp_path / "out", quirk)
    assert data["exit_code"] == 1
    found = findings(data)
    assert found, f"{quirk}: no divergence found"
    first = found[0]
    assert divergence in first["message"], first["message"]
    assert consequence in first["idp_impact"], first["idp_impact"]
    assert first["cause"].startswith("replay:") and len(first["exchange_ids"]) == 2  # recorded and replayed
    assert "reproduce: curl" in data["_output"] and "Reproduce: curl" in first["fix"]
    by_id = {e["id"]: e for e in data["exchanges"]}
    rec, rep = (by_id[i] for i in first["exchange_ids"])
    assert rec["method"] == rep["method"] and rec["id"].startswith("rec-") and rep["id"].startswith("ex-")


def test_har_replay_gives_the_jsonl_result(recorded: dict[str, Path], tmp_path: Path) -> None:
    def outcomes(data: dict[str, Any]) -> list[tuple[str, str, str]]:
        return [(r["title"].split("?")[0][:6], r["outcome"], r["message"]) for r in data["results"]]

    quirk = "reject-string-booleans"
    jsonl = replay(recorded["entra-legacy.jsonl"], tmp_path / "a", quirk)
    har = replay(recorded["entra-legacy.har"], tmp_path / "b", quirk)
    harness_har = replay(recorded["har-by-harness"], tmp_path / "c", quirk)
    assert outcomes(jsonl) == outcomes(har) == outcomes(harness_har)
    assert {k: v for k, v in jsonl["replay"].items() if k not in ("source", "form")} == \
        {k: v for k, v in har["replay"].items() if k not in ("source", "form")}
    for path in (recorded["entra-legacy.har"], recorded["har-by-harness"]):
        validate(json.loads(path.read_text()))


def test_no_credential_in_any_output(recorded: dict[str, Path], tmp_path: Path) -> None:
    replay(recorded["entra.har"], tmp_path / "out", "not-found-on-empty-filter")
    outputs = [p for folder in (recorded["root"], tmp_path) for p in folder.rglob("*")
               if p.is_file() and not p.name.endswith((".db", ".db-wal", ".db-shm"))]
    assert len(outputs) >= 10
    for path in outputs:
        text = path.read_text(encoding="utf-8", errors="replace")
        assert TOKEN not in text, path
        for credential in re.findall(r"\b(?:Bearer|Basic) +([^\s\"'\\,}&]+)", text):
            assert credential.startswith(("[REDACTED]", "$SCIM_TOKEN", "realm=")), (path, credential)


def iter_recordings(path: Path) -> Iterator[dict[str, Any]]:
    for line in path.read_text().splitlines():
        yield json.loads(line)


def test_export_selects_by_client_and_time(recorded: dict[str, Path]) -> None:
    db = recorded["root"] / "idp.db"
    runner = CliRunner()
    every = [json.loads(x) for x in runner.invoke(recordings, ["export", "--db", str(db)]).output.splitlines()]
    assert len(every) > 40
    jumpcloud = runner.invoke(recordings, ["export", "--db", str(db), "--client", "JumpCloud*"]).output.splitlines()
    microsoft = runner.invoke(recordings, ["export", "--db", str(db), "--client", "Microsoft*"]).output.splitlines()
    assert jumpcloud and microsoft and len(jumpcloud) + len(microsoft) == len(every)
    assert all("JumpCloud" in json.dumps(json.loads(x)["request_headers"]) for x in jumpcloud)
    none = runner.invoke(recordings, ["export", "--db", str(db), "--client", "Okta*"])
    assert none.exit_code == 0 and none.output == ""
    middle = every[len(every) // 2]["at"]
    later = runner.invoke(recordings, ["export", "--db", str(db), "--since", middle]).output.splitlines()
    earlier = runner.invoke(recordings, ["export", "--db", str(db), "--until", middle]).output.splitlines()
    assert len(later) + len(earlier) == len(every) and later and earlier
    assert all(json.loads(x)["at"] >= middle for x in later)
    bad = runner.invoke(recordings, ["export", "--db", str(db), "--since", "yesterday"])
    assert bad.exit_code == 2 and "--since" in bad.output


def test_export_selects_by_the_token_without_keeping_or_printing_it(tmp_path: Path) -> None:
    db = tmp_path / "two.db"
    app = create_app(ServerSettings(db=str(db), tokens=(TOKEN, "other-token-Jx92")))
    with serve(app) as url:
        for token, idp in ((TOKEN, "entra"), ("other-token-Jx92", "jumpcloud")):
            from mock_idp.simulate import check_connection

            assert check_connection(idp, Target(url + "/", Auth.bearer(token))).exit_code == 0
    app.close()
    runner = CliRunner()
    mine = runner.invoke(recordings, ["export", "--db", str(db), "--token", TOKEN])
    other = runner.invoke(recordings, ["export", "--db", str(db), "--token", "other-token-Jx92", "--format", "har"])
    nobody = runner.invoke(recordings, ["export", "--db", str(db), "--token", "never-used"])
    assert mine.exit_code == other.exit_code == nobody.exit_code == 0
    assert [json.loads(x)["method"] for x in mine.output.splitlines()] == ["GET", "GET"]  # Entra's probes
    assert len(json.loads(other.output)["log"]["entries"]) == 5 and nobody.output == ""
    for text in (mine.output, other.output, db.read_bytes().decode("latin-1")):
        assert TOKEN not in text and "other-token-Jx92" not in text


def test_the_command_line_lists_sessions_and_refuses_bad_input(tmp_path: Path) -> None:
    runner = CliRunner()
    listed = runner.invoke(main, ["replay", "--list"])
    assert listed.exit_code == 0 and {"entra", "entra-legacy", "jumpcloud"} <= {
        line.split()[0] for line in listed.output.splitlines()}
    for args, why in ((["nope"], "no bundled session"), (["entra", "--compare", "loose"], "loose"),
                      (["entra", "--timing", "slow"], "--timing"), (["entra", "--select", "PUT /Nothing"], "no exchange"),
                      ([], "give a SESSION")):
        result = runner.invoke(main, ["replay", *args, "--target", "http://127.0.0.1:9/", "--token", TOKEN,
                                      "--out", str(tmp_path)])
        assert result.exit_code == 2 and why in result.output and "Traceback" not in result.output, result.output
    assert "Example" in runner.invoke(main, ["replay", "--help"]).output
