"""The demo end to end: the real reference server (a child process), the real suite, the
real simulator, the live page and the reports. Marked slow (about 10 s each); still in
`make test`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import main
from reports.demo import DemoConfig, run_demo

pytestmark = [pytest.mark.slow, pytest.mark.socket]

TOKEN = "demo-DISTINCTIVE-tok-5b1e9c77"
FAST = {"users": 12, "groups": 2, "speed": 40000.0, "linger": 0.1, "open_browser": False}


def test_demo_writes_every_report_and_never_the_token(tmp_path: Path) -> None:
    out = tmp_path / "out"
    lines: list[str] = []
    outcome = run_demo(DemoConfig(out=out, token=TOKEN, **FAST), echo=lines.append)  # type: ignore[arg-type]
    assert outcome.exit_code == 0, lines
    written = {str(p.relative_to(out)) for p in out.rglob("*") if p.is_file()}
    assert {"conformance/results.json", "conformance/junit.xml", "conformance/report.html",
            "simulation/results.json", "simulation/junit.xml", "simulation/report.html",
            "simulation/provisioning.jsonl"} <= written
    for path in out.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), f"{path} holds the token"
    assert not any(TOKEN in line for line in lines)
    assert any(line.startswith("Live page: http://127.0.0.1:") for line in lines)
    assert any("conformance/report.html" in line for line in lines)
    # the stories told: a conformance verdict per IdP, and the simulation played cycles
    assert outcome.conformance is not None and outcome.conformance.results
    assert any(h.startswith("Entra ID: ") for h in outcome.headlines)
    assert outcome.simulation is not None and len(outcome.simulation.simulation["cycles"]) > 1
    assert "Entra ID simulation" in (out / "simulation" / "report.html").read_text(encoding="utf-8")


def test_demo_cli_with_a_quirk_shows_the_broken_story(tmp_path: Path) -> None:
    out = tmp_path / "quirk"
    result = CliRunner().invoke(main, ["demo", "--quirk", "not-found-on-empty-filter", "--no-browser", "--out", str(out),
                                       "--users", "8", "--speed", "40000"], env={"CI": "1"})
    assert result.exit_code == 0, result.output
    assert "Entra ID: " in result.output and "blocker" in result.output, result.output
    html = (out / "conformance" / "report.html").read_text(encoding="utf-8")
    assert "not-found" in html or "404" in html
    assert "Live page: http://127.0.0.1:" in result.output


def test_demo_that_cannot_start_its_server_exits_2(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["demo", "--quirk", "no-such-quirk", "--no-browser", "--out", str(tmp_path)],
                                env={"CI": "1"})
    assert result.exit_code == 2, result.output
    assert "reference server did not start" in result.output and "Traceback" not in result.output


def test_demo_plays_okta(tmp_path: Path) -> None:
    out = tmp_path / "okta"
    result = CliRunner().invoke(main, ["demo", "--idp", "okta", "--no-browser", "--out", str(out),
                                       "--users", "8", "--speed", "40000"], env={"CI": "1"})
    assert result.exit_code == 0, result.output
    log = (out / "simulation" / "provisioning.jsonl").read_text(encoding="utf-8")
    assert '"provisioningAction":"create"' in log
    assert "Okta simulation" in (out / "simulation" / "report.html").read_text(encoding="utf-8")
