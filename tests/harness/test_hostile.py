"""A hostile target never crashes, hangs or leaks: the whole suite runs against each one over a
real socket, in bounded time, and reports FAIL/ERROR findings with the evidence.

Each run writes results.json and junit.xml and prints the console; all of them are searched
for the token, for raw terminal escapes, and parsed (JUnit must stay well-formed).
"""

from __future__ import annotations

import io
import json
import time
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

import scenarios
from harness.checks import REGISTRY
from harness.console import ConsoleHandler
from harness.results import Outcome, RunResult
from harness.runner import load_checks, run_suite
from reports.json_writer import JsonWriter
from reports.junit import JunitWriter
from tests.harness.hostile import HOSTILE_TEXT, ResettingServer, Spy, hostile
from tests.harness.support import TOKEN, config_for
from tests.live import serve

pytestmark = pytest.mark.socket
load_checks(scenarios)


def run_everything(url: str, out: Path, **kw: object) -> tuple[RunResult, str, float]:
    console = io.StringIO()
    handlers = [ConsoleHandler(console), JsonWriter(out / "results.json"), JunitWriter(out / "junit.xml")]
    started = time.monotonic()
    kw.setdefault("timeout", 2.0)
    kw.setdefault("workers", 4)
    result = run_suite(config_for(url, **kw), registry=REGISTRY, handlers=handlers)  # type: ignore[arg-type]
    elapsed = time.monotonic() - started
    text = console.getvalue()
    # never a token, never a raw escape, always parseable outputs
    for path in (out / "results.json", out / "junit.xml"):
        assert TOKEN not in path.read_text(encoding="utf-8"), f"the token leaked into {path.name}"
    assert TOKEN not in text and "\x1b" not in text and "\x07" not in text
    assert json.loads((out / "results.json").read_text())["exit_code"] == result.exit_code
    ET.parse(out / "junit.xml")
    selected = REGISTRY.select(("all",), kw.get("select", ()))  # type: ignore[arg-type]
    assert [r.id for r in result.results] == [s.id for s in selected], "every check has a verdict, in order"
    return result, text, elapsed


def outcomes(result: RunResult) -> set[Outcome]:
    return {r.outcome for r in result.results}


@pytest.mark.parametrize("behaviour", ["5xx", "429", "invalid-json"])
def test_errors_and_garbage_become_findings(behaviour: str, tmp_path: Path) -> None:
    _, app = hostile(behaviour, TOKEN)
    with serve(app) as url:
        result, text, elapsed = run_everything(url, tmp_path)
    assert elapsed < 30 and result.exit_code == 1
    assert Outcome.FAIL in outcomes(result) or Outcome.ERROR in outcomes(result)
    assert "FINDINGS" in text
    if behaviour == "429":  # no retry, no waiting out an hour-long Retry-After
        assert max(ex.elapsed_ms for ex in result.exchanges) < 2000


@pytest.mark.slow
def test_a_hanging_target_is_bounded_by_the_timeouts(tmp_path: Path) -> None:
    _, app = hostile("hang", TOKEN)
    with serve(app, timeout_graceful_shutdown=1) as url:
        result, _, elapsed = run_everything(url, tmp_path, timeout=0.3, run_timeout=3.0)
    # run timeout 3 s + grace (3 x 0.3 s + 1 s) + slack for a loaded machine; unbounded would be 30 s per request
    assert elapsed < 10, f"the run took {elapsed:.1f}s"
    timeouts = [ex for ex in result.exchanges if ex.error and "timeout" in ex.error]
    assert timeouts, "requests to a hanging target time out"
    assert Outcome.ERROR in outcomes(result) and result.exit_code == 1


def test_a_50_mb_body_is_not_read(tmp_path: Path) -> None:
    _, app = hostile("huge", TOKEN)
    with serve(app) as url:
        result, _, elapsed = run_everything(url, tmp_path, select=("read", "create"), timeout=5.0)
    assert elapsed < 30
    big = [ex for ex in result.exchanges if ex.response_truncated]
    assert big and all(len(ex.response_body or "") <= 64 * 1024 for ex in big)
    assert (tmp_path / "results.json").stat().st_size < 10 * 1024 * 1024
    assert Outcome.ERROR in outcomes(result) or Outcome.FAIL in outcomes(result)


def test_connection_resets(tmp_path: Path) -> None:
    with ResettingServer() as server:
        result, _, elapsed = run_everything(server.url, tmp_path, timeout=2.0)
    assert server.resets > 10 and elapsed < 30
    assert any(ex.error and ("Error" in ex.error) for ex in result.exchanges)
    assert result.exit_code == 1 and Outcome.ERROR in outcomes(result)


def test_a_redirect_to_another_host_is_never_followed(tmp_path: Path) -> None:
    spy = Spy()
    with serve(spy) as spy_url:
        _, app = hostile("redirect", TOKEN, spy_url)
        with serve(app) as url:
            result, _, _ = run_everything(url, tmp_path)
    assert spy.hits == [], "the harness followed a redirect to another host"
    assert any(ex.status == 302 for ex in result.exchanges) and result.exit_code == 1


def test_locations_on_another_origin_get_no_credentials(tmp_path: Path) -> None:
    spy = Spy()
    with serve(spy) as spy_url:
        fake, app = hostile("wrong-origin", TOKEN, spy_url)
        with serve(app) as url:
            result, _, _ = run_everything(url, tmp_path)
    assert [hit for hit in spy.hits if hit[2]] == [], "credentials were sent to another origin"
    assert spy.hits == []
    refused = [ex for ex in result.exchanges if ex.error and "another origin" in ex.error]
    assert refused, "a check tried meta.location and the client refused it"
    assert fake.store["Users"] == {}, "cleanup still used the target's own URLs"


def test_html_and_script_in_values_stay_text(tmp_path: Path) -> None:
    _, app = hostile("script", TOKEN)
    with serve(app) as url:
        result, text, _ = run_everything(url, tmp_path)
    junit = (tmp_path / "junit.xml").read_text(encoding="utf-8")
    assert "<script>" not in junit and "&lt;script&gt;" in junit
    assert "\x00" not in junit and "\x1b" not in junit
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    bodies = [ex["response"]["body"] for ex in data["exchanges"] if ex["response"] and ex["response"]["body"]]
    assert any('<script>alert(\\"x\\")</script>' in b for b in bodies), "the evidence is kept as text in results.json"
    assert "<script>" in text and "\x1b" not in text  # a terminal shows markup as text; escapes are removed
    assert result.exit_code in (0, 1)


def test_a_target_that_echoes_the_token_everywhere_never_gets_it_into_an_output(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from harness.cli import main

    _, app = hostile("echo-credentials", TOKEN)
    with serve(app) as url:
        res = CliRunner().invoke(main, ["run", "--target", url, "--token", TOKEN, "--out", str(tmp_path),
                                        "--workers", "4", "--timeout", "5"])
    assert res.exit_code in (0, 1), res.output
    files = sorted(p for p in tmp_path.iterdir() if p.is_file())
    assert {p.name for p in files} >= {"results.json", "junit.xml", "report.html"}
    for path in files:
        assert TOKEN not in path.read_text(encoding="utf-8"), f"the echoed token reached {path.name}"
    assert TOKEN not in res.output
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    echoed = [h for ex in data["exchanges"] if ex["response"] for h in ex["response"]["headers"]
              if h[0] == "x-echo" and h[1]]  # empty when the check sent no credential
    ours = [value for _, value in echoed if "wrong-token" not in value]  # auth checks send a deliberate wrong one
    assert ours and all(value == "Bearer [REDACTED]" for value in ours), "the echo is recorded, redacted"
