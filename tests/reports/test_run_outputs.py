"""`scim-harness run` against the reference server over a real socket, with a distinctive
token: report.html is written, stays under 2 MB for the whole suite, and no file the run
writes (nor its console output) holds the token."""

from __future__ import annotations

from html import unescape
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.cli import main
from reports.html import MAX_REPORT_BYTES
from tests.live import serve

pytestmark = pytest.mark.socket

TOKEN = "run-DISTINCTIVE-tok-0c4d2e91"


def test_run_writes_a_report_and_no_file_holds_the_token(tmp_path: Path) -> None:
    from reference_server.app import create_app
    from reference_server.settings import ServerSettings

    app = create_app(ServerSettings(db=str(tmp_path / "scim.db"), tokens=(TOKEN,)))
    out = tmp_path / "out"
    with serve(app) as base:
        result = CliRunner().invoke(main, ["run", "--target", base + "/", "--token", TOKEN, "--out", str(out),
                                           "--workers", "4"])
    assert result.exit_code in (0, 1), result.output
    assert TOKEN not in result.output
    report = out / "report.html"
    assert report.exists() and {"results.json", "junit.xml", "report.html"} <= {p.name for p in out.iterdir()}
    assert report.stat().st_size <= MAX_REPORT_BYTES  # the whole suite, every area
    for path in out.rglob("*"):
        if path.is_file():
            assert TOKEN.encode() not in path.read_bytes(), f"{path} holds the token"
    html = unescape(report.read_text(encoding="utf-8"))
    assert '-H "Authorization: Bearer $SCIM_TOKEN"' in html  # each curl line reads it from the env
    assert "Entra ID:" in html and "JumpCloud:" in html
