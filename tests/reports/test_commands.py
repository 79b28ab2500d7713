"""``scim-harness report``: re-renders from results.json; bad input is exit 2, no traceback."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from harness.cli import main
from tests.reports.fixtures import TOKEN, failing_run


def _results(tmp_path: Path) -> Path:
    path = tmp_path / "results.json"
    path.write_text(json.dumps(failing_run().to_dict()), encoding="utf-8")
    return path


def test_report_renders_beside_the_json(tmp_path: Path) -> None:
    result = CliRunner().invoke(main, ["report", str(_results(tmp_path))])
    assert result.exit_code == 0, result.output
    html = (tmp_path / "report.html").read_text(encoding="utf-8")
    assert "Entra ID: 2 blockers" in html and TOKEN not in html
    assert "(7 checks, 2 passed, 3 failed, 1 warning, 1 error, 0 skipped)" in result.output


def test_report_to_a_chosen_file(tmp_path: Path) -> None:
    out = tmp_path / "deep" / "r.html"
    result = CliRunner().invoke(main, ["report", str(_results(tmp_path)), "-o", str(out)])
    assert result.exit_code == 0, result.output
    assert out.exists() and str(out) in result.output


def test_bad_input_is_exit_2_with_a_reason(tmp_path: Path) -> None:
    runner = CliRunner()
    cases = {
        "not json": ("{nope", "is not JSON"),
        "a list": ("[1, 2]", "does not hold a results object"),
        "unknown schema": (json.dumps({**failing_run().to_dict(), "schema_version": 99}), "schema_version 99"),
        "missing field": (json.dumps({"schema_version": 1, "kind": "conformance"}), "missing field"),
    }
    for name, (text, expected) in cases.items():
        path = tmp_path / f"{name}.json"
        path.write_text(text, encoding="utf-8")
        result = runner.invoke(main, ["report", str(path)])
        assert result.exit_code == 2, (name, result.output)
        assert expected in result.output, (name, result.output)
        assert "Traceback" not in result.output
    missing = runner.invoke(main, ["report", str(tmp_path / "absent.json")])
    assert missing.exit_code == 2 and "does not exist" in missing.output


def test_help_teaches_with_an_example() -> None:
    for command in ("report", "demo"):
        result = CliRunner().invoke(main, [command, "--help"])
        assert result.exit_code == 0 and "Example" in result.output, result.output


def test_report_reads_a_version_1_results_file(tmp_path: Path) -> None:
    """Version 1 had no verdicts or causes; they are derived, so the report recomputes them."""
    data = failing_run().to_dict()
    del data["verdicts"], data["causes"]
    path = tmp_path / "results.json"
    path.write_text(json.dumps({**data, "schema_version": 1}), encoding="utf-8")
    result = CliRunner().invoke(main, ["report", str(path)])
    assert result.exit_code == 0, result.output
    assert "Entra ID: 2 blockers" in (tmp_path / "report.html").read_text(encoding="utf-8")
