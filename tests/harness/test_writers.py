"""results.json and junit.xml: round trip, outcome mapping, hostile text, could-not-test runs."""

from __future__ import annotations

import io
import json
from pathlib import Path
from xml.etree import ElementTree as ET

import pytest

from harness.console import ConsoleHandler, plain
from harness.events import CheckFinished, CheckStarted, RunFinished, RunStarted
from harness.recorder import Recorder
from harness.results import CheckResult, Level, Outcome, RunResult
from reports.json_writer import JsonWriter, ResultsFileError, load_results
from reports.junit import JunitWriter, render_junit

HOSTILE = 'x</failure>]]><script>alert(1)</script>\x00\x07\x1b[2J\x1b]0;pwned\x07 \ud800 & "q" \ufffe end'


def result(outcome: Outcome, rid: str = "c.one", text: str = "why", **kw: object) -> CheckResult:
    return CheckResult(id=rid, title=f"title {rid}", area=str(kw.pop("area", "filter")), level=Level.MUST,
                       outcome=outcome, rests_on="RFC 7644 §3.4.2.2", fix="do it", message=text,
                       expected="200", seen=text, **kw)  # type: ignore[arg-type]


def a_run(results: list[CheckResult], message: str = "", exit_code: int = 1) -> RunResult:
    recorder = Recorder()
    ex = recorder.record(method="GET", url="http://t/Users?filter=" + HOSTILE, request_headers=[("Accept", "x")],
                         request_body=None, status=200, response_headers=[("Content-Type", "text/html")],
                         response_body=HOSTILE.encode("utf-8", "surrogatepass"), elapsed_ms=1.0)
    for r in results:
        r.exchange_ids = [ex.id]
    return RunResult(kind="conformance", target="http://t", started_at="2026-01-05T09:00:00.000Z",
                     finished_at="2026-01-05T09:00:01.000Z", duration_ms=1000, exit_code=exit_code,
                     results=results, exchanges=recorder.exchanges, suites=["rfc"], message=message)


def all_outcomes() -> list[CheckResult]:
    return [result(Outcome.PASS, "c.pass"), result(Outcome.FAIL, "c.fail", HOSTILE),
            result(Outcome.WARN, "c.warn", area="patch"), result(Outcome.ERROR, "c.error", HOSTILE),
            result(Outcome.SKIP, "c.skip", "not advertised")]


def test_json_round_trip(tmp_path: Path) -> None:
    run = a_run(all_outcomes())
    writer = JsonWriter(tmp_path / "out" / "results.json")
    writer.handle_event(RunFinished(at="t", result=run))
    assert writer.written == tmp_path / "out" / "results.json" and writer.error is None
    data = json.loads(writer.written.read_text(encoding="utf-8"))
    assert data["schema_version"] == 2 and data["summary"]["failed"] == 1
    assert [c["checks"] for c in data["causes"]] == [["c.fail"], ["c.warn"]]
    assert {v["idp"] for v in data["verdicts"]} >= {"entra", "jumpcloud"}
    loaded = load_results(writer.written)
    assert [r.outcome for r in loaded.results] == [r.outcome for r in run.results]
    assert loaded.exchanges[0].response_body == run.exchanges[0].response_body


def test_a_version_1_results_file_still_reads(tmp_path: Path) -> None:
    """Version 1 had no verdicts or causes: they are derived, so `report` recomputes them."""
    data = a_run(all_outcomes()).to_dict()
    del data["verdicts"], data["causes"]
    path = tmp_path / "results.json"
    path.write_text(json.dumps({**data, "schema_version": 1}), encoding="utf-8")
    loaded = load_results(path)
    assert [r.id for r in loaded.results] == [r.id for r in a_run(all_outcomes()).results]
    assert loaded.to_dict()["schema_version"] == 2 and loaded.to_dict()["causes"]


@pytest.mark.parametrize(
    ("content", "message"),
    [("{", "is not JSON"), ("[]", "does not hold a results object"), ('{"schema_version": 99}', "schema_version 99"),
     ('{"schema_version": 1}', "missing field")],
)
def test_load_results_refuses_unusable_files(tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "results.json"
    path.write_text(content)
    with pytest.raises(ResultsFileError, match=message):
        load_results(path)
    with pytest.raises(ResultsFileError, match="cannot read"):
        load_results(tmp_path / "missing.json")


def test_json_writer_reports_a_write_error(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    writer = JsonWriter(blocker / "results.json")  # a directory that is a file
    writer.handle_event(RunFinished(at="t", result=a_run([])))
    assert writer.written is None and writer.error and "cannot write" in writer.error


def test_junit_maps_outcomes_and_survives_hostile_text(tmp_path: Path) -> None:
    writer = JunitWriter(tmp_path / "junit.xml")
    writer.handle_event(RunFinished(at="t", result=a_run(all_outcomes())))
    root = ET.parse(writer.written).getroot()  # well-formed, or this raises
    assert root.tag == "testsuites" and root.get("tests") == "5" and root.get("failures") == "1"
    assert root.get("errors") == "1" and root.get("skipped") == "1"
    cases = {c.get("name"): c for c in root.iter("testcase")}
    assert set(cases) == {"c.pass", "c.fail", "c.warn", "c.error", "c.skip"}
    assert list(cases["c.pass"]) == []
    fail = cases["c.fail"].find("failure")
    assert fail is not None and "<script>alert(1)</script>" in fail.text  # text, escaped in the file
    assert "expected: 200" in fail.text and "fix: do it" in fail.text and "GET http://t/Users" in fail.text
    assert cases["c.error"].find("error") is not None
    assert cases["c.skip"].find("skipped").get("message") == "not advertised"
    assert cases["c.warn"].find("system-out").text.startswith("WARN ")
    assert cases["c.fail"].get("classname") == "scim.filter"
    raw = writer.written.read_text(encoding="utf-8")
    assert "<script>" not in raw and "\x00" not in raw and "\x1b" not in raw


def test_junit_of_a_run_that_could_not_test() -> None:
    root = ET.fromstring(render_junit(a_run([], message="cannot reach the target http://t: " + HOSTILE, exit_code=2)))
    [case] = root.iter("testcase")
    assert case.get("name") == "scim-harness.run" and root.get("errors") == "1"
    assert case.find("error").get("message").startswith("cannot reach the target")


def test_console_without_a_tty_has_no_colour_and_strips_control_characters() -> None:
    stream = io.StringIO()
    console = ConsoleHandler(stream)
    run = a_run(all_outcomes())
    console.handle_event(RunStarted(at="t", target="http://t", suites=("rfc",), total=5, prefix="sh-x-"))
    for i, r in enumerate(run.results):
        console.handle_event(CheckStarted(at="t", index=i, total=5, check_id=r.id, title=r.title))
        console.handle_event(CheckFinished(at="t", index=i, total=5, result=r))
    console.handle_event(RunFinished(at="t", result=run))
    out = stream.getvalue()
    assert "\x1b" not in out and "\r" not in out and "\x00" not in out and "\x07" not in out
    assert "FAIL  c.fail" in out and "ERROR c.error" in out and "WARN  c.warn" in out
    assert "filter" in out and "patch" in out  # the table by area
    assert "FINDINGS: 5 checks, 1 passed, 1 failed, 1 warning, 1 error, 1 skipped" in out
    assert "expected: 200" in out and "fix:      do it" in out


def test_console_on_a_tty_has_a_live_line_and_colour() -> None:
    class Tty(io.StringIO):
        def isatty(self) -> bool:
            return True

    stream = Tty()
    console = ConsoleHandler(stream, color=True)
    run = a_run([result(Outcome.PASS, "c.a"), result(Outcome.FAIL, "c.b")])
    console.handle_event(RunStarted(at="t", target="http://t", suites=("rfc",), total=2, prefix="sh-x-"))
    console.handle_event(CheckStarted(at="t", index=0, total=2, check_id="c.a", title="a"))
    out = stream.getvalue()
    assert "\r\x1b[2K[0/2]" in out and "c.a" in out
    console.handle_event(CheckFinished(at="t", index=0, total=2, result=run.results[0]))
    console.handle_event(CheckFinished(at="t", index=1, total=2, result=run.results[1]))
    console.handle_event(RunFinished(at="t", result=run))
    assert "\x1b[31m" in stream.getvalue()  # red for the failure


def test_plain_bounds_and_cleans() -> None:
    assert plain("a\x1b[31mb\nc\x00d", 100) == "a b c d"
    assert len(plain("x" * 1000, 50)) == 50


def test_many_errors_with_one_reason_are_collapsed() -> None:
    # An interrupt leaves every unfinished check as ERROR with the same message: 3 are shown, the
    # rest are one line (live and in the findings), while other findings are all listed.
    stream = io.StringIO()
    console = ConsoleHandler(stream)
    stopped = "not judged: the run was interrupted before this check finished"
    results = [result(Outcome.ERROR, f"c.stopped{i}", stopped) for i in range(40)]
    results += [result(Outcome.ERROR, "c.timeout", "timed out"), result(Outcome.FAIL, "c.fail", "broken")]
    run = a_run(results, exit_code=2)
    console.handle_event(RunStarted(at="t", target="http://t", suites=("rfc",), total=len(results), prefix="sh-x-"))
    for i, r in enumerate(results):
        console.handle_event(CheckFinished(at="t", index=i, total=len(results), result=r))
    console.handle_event(RunFinished(at="t", result=run))
    out = stream.getvalue()
    # 3 live lines + "... and 37 more"; 3 findings (message and seen: the fixture sets both) + "... and 37 more".
    assert out.count(stopped) == 3 + 1 + 3 * 2 + 1
    assert "ERROR ... and 37 more: " + stopped in out
    assert "... and 37 more checks not judged for the same reason: " + stopped in out
    assert "c.stopped2" in out and "c.stopped3" not in out  # the 4th and later are only counted
    assert "ERROR c.timeout: timed out" in out and "FAIL  c.fail: broken" in out
