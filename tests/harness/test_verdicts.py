"""One cause, one finding; the verdict where people look (issue #11, items 4, 7 and 8).

Checks that judge one behaviour share a cause: the console, results.json and the report group
them, and an IdP verdict counts causes, not checks. The run's own exchanges (the first probe,
timing) back findings. The IdPs' timeouts are data that must equal the simulator's profiles.
"""

from __future__ import annotations

import io
import json
from pathlib import Path

import pytest

from harness.causes import cause
from harness.checks import CheckContext, Registry
from harness.console import ConsoleHandler
from harness.results import CheckResult, Level, Outcome, RunResult
from harness.run_findings import latency_finding
from harness.runner import run_suite
from harness.verdicts import IDPS, IdpInfo, group_by_cause, idp_verdicts
from reports.json_writer import load_results, write_results
from tests.harness.fakes import FakeScim
from tests.harness.support import TOKEN, add, config_for, passes
from tests.live import serve

CASE = cause("test-username-case", "userName eq compares case-sensitively")


def result(check_id: str, outcome: Outcome, suites: list[str], cause_id: str = "", impact: str = "") -> CheckResult:
    return CheckResult(id=check_id, title=f"title of {check_id}", area="a", level=Level.MUST, outcome=outcome,
                       rests_on="RFC", fix="fix", suites=suites, message=f"{check_id} failed",
                       cause=cause_id or (check_id if outcome in (Outcome.FAIL, Outcome.WARN) else ""),
                       idp_impact=impact)


def three_checks_one_cause() -> RunResult:
    results = [
        result("query.username-case", Outcome.FAIL, ["rfc"], CASE, impact="Entra ID and Okta match the wrong user"),
        result("entra.username-lookup-case", Outcome.FAIL, ["entra"], CASE),
        result("okta.username-lookup-case", Outcome.FAIL, ["okta"], CASE),
        result("entra.other", Outcome.FAIL, ["entra"]),
        result("entra.fine", Outcome.PASS, ["entra"]),
    ]
    return RunResult(kind="conformance", target="http://t", started_at="s", finished_at="f", duration_ms=1,
                     exit_code=1, results=results)


def test_checks_that_share_a_cause_are_one_finding() -> None:
    groups = group_by_cause(three_checks_one_cause().results)
    assert [g.line for g in groups] == ["3 checks, one cause: userName eq compares case-sensitively",
                                        "title of entra.other"]


def test_an_idp_verdict_counts_causes_not_checks() -> None:
    verdicts = {v.key: v for v in idp_verdicts(three_checks_one_cause())}
    assert verdicts["entra"].headline == "Entra ID: 2 blockers"  # 3 failed checks, 2 causes
    assert len(verdicts["entra"].blockers) == 3
    assert verdicts["okta"].headline == "Okta: 1 blocker"


def test_the_console_prints_causes_and_verdicts() -> None:
    out = io.StringIO()
    from harness.events import RunFinished

    ConsoleHandler(out, color=False, live=False).handle_event(RunFinished(at="t", result=three_checks_one_cause()))
    text = out.getvalue()
    assert "Findings (2 causes):" in text
    assert "FAIL  3 checks, one cause: userName eq compares case-sensitively" in text
    assert "  Entra ID: 2 blockers" in text and "  Okta: 1 blocker" in text and "JumpCloud: ready" not in text
    assert text.count("fix:") == 2, "one fix per cause"


def test_results_json_carries_the_verdicts_and_causes(tmp_path: Path) -> None:
    path = write_results(three_checks_one_cause(), tmp_path / "results.json")
    data = json.loads(path.read_text(encoding="utf-8"))
    entra = next(v for v in data["verdicts"] if v["idp"] == "entra")
    assert entra["headline"] == "Entra ID: 2 blockers"
    assert entra["blockers"][0] == {"cause": CASE, "title": "userName eq compares case-sensitively",
                                    "outcome": "fail", "checks": ["query.username-case", "entra.username-lookup-case"]}
    assert [c["checks"] for c in data["causes"]][0] == ["query.username-case", "entra.username-lookup-case",
                                                        "okta.username-lookup-case"]
    assert load_results(path).results[1].cause == CASE


def test_the_idp_timeouts_come_from_the_profiles() -> None:
    from harness.idp.profile import load_profile

    for info in IDPS:
        profile = load_profile(info.key)
        assert info.timeout_s == profile.timeout_seconds
        assert info.timeout_confirmed is profile.facts["timeout_seconds"].startswith("confirmed")
    assert {i.key: i.timeout_confirmed for i in IDPS} == {"entra": False, "jumpcloud": False, "okta": True}


@pytest.mark.socket
def test_a_server_error_on_the_first_probe_is_one_finding() -> None:
    registry = Registry()

    def pages_of_one(ctx: CheckContext) -> None:  # meets the same 500 again
        ctx.expect_status(ctx.get(ctx.users, params={"count": 1}), 200)

    add(registry, "lists", passes)
    add(registry, "pages", pages_of_one, suites=("okta",))
    fake = FakeScim(token=TOKEN, count_error=True)
    with serve(fake.app) as url:
        run = run_suite(config_for(url), registry=registry)
    (probe,) = [r for r in run.results if r.id == "run.first-probe"]
    assert probe.outcome is Outcome.FAIL and "500" in probe.message
    assert [ex.url for ex in run.exchanges if ex.id in probe.exchange_ids] == [f"{url}/Users?count=1"]
    pages = next(r for r in run.results if r.id == "pages")
    assert pages.outcome is Outcome.FAIL and pages.cause == probe.cause, "the same answer: one cause"
    assert [g.line for g in group_by_cause(run.results)] == [f"2 checks, one cause: {probe.title}"]
    assert {v.key: v.headline for v in idp_verdicts(run)}["okta"] == "Okta: 1 blocker"
    assert run.exit_code == 1


@pytest.mark.socket
def test_a_slow_target_is_judged_against_what_the_idps_wait() -> None:
    registry = Registry()

    def two_reads(ctx: CheckContext) -> None:
        ctx.expect_status(ctx.get(ctx.users), 200)

    add(registry, "reads", two_reads)
    fake = FakeScim(token=TOKEN, delay=0.3)
    with serve(fake.app) as url:
        run = run_suite(config_for(url), registry=registry)
    assert not any(r.id == "run.latency" for r in run.results), "0.3 s is far within 60 s"
    patient = [IdpInfo("okta", "Okta", ("okta",), timeout_s=2.0)]
    assert latency_finding(run.exchanges, patient) is None
    near = latency_finding(run.exchanges, [IdpInfo("okta", "Okta", ("okta",), timeout_s=0.5)])
    assert near is not None and near.outcome is Outcome.WARN and "Okta 0.5 s" in near.message
    over = latency_finding(run.exchanges, [IdpInfo("okta", "Okta", ("okta",), timeout_s=0.2, timeout_confirmed=True),
                                           IdpInfo("entra", "Entra ID", ("entra",), timeout_s=30)])
    assert over is not None and over.outcome is Outcome.FAIL and over.suites == ["okta"]
    assert "Okta" in over.idp_impact and "Entra" not in over.idp_impact


def test_the_report_groups_checks_that_share_a_cause() -> None:
    from reports.html import render_html

    html = render_html(three_checks_one_cause())
    banner = html[html.index('class="verdicts"'):html.index("</section>", html.index('class="verdicts"'))]
    # per box, the checks that IdP relies on: the RFC check (its impact names both) and its own
    assert banner.count("2 checks, one cause: userName eq compares case-sensitively") == 2  # Entra and Okta
    assert "Entra ID: 2 blockers" in banner
    causes = html[html.index('id="causes"'):]
    assert "One cause, several checks" in causes and "entra.username-lookup-case" in causes


@pytest.mark.socket
def test_the_console_counts_the_run_level_checks_with_the_checks() -> None:
    from harness.run_findings import RUN_FINDINGS

    registry = Registry()
    add(registry, "lists", passes)
    out = io.StringIO()
    fake = FakeScim(token=TOKEN, count_error=True)
    with serve(fake.app) as url:
        run = run_suite(config_for(url), registry=registry, handlers=[ConsoleHandler(out, color=False, live=False)])
    text = out.getvalue()
    assert f"testing {url} - 1 check + {len(RUN_FINDINGS)} run-level checks (" in text
    assert "Findings (1 cause):" in text and "FAIL  run.first-probe" in text
    assert [r.id for r in run.results if r.id in RUN_FINDINGS] == ["run.first-probe"]
