"""The pytest plugin: checks as pytest items against a live server, inert without --scim-target."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

import scenarios
from harness.checks import REGISTRY
from harness.results import Outcome
from harness.run_findings import RUN_FINDINGS
from harness.runner import RunSession, load_checks
from tests.harness.fakes import FakeScim
from tests.harness.support import TOKEN, config_for
from tests.live import serve

pytest_plugins = ["pytester"]
pytestmark = pytest.mark.socket
load_checks(scenarios)
RUN = len(RUN_FINDINGS)  # one item per finding the run makes itself, after the checks


@pytest.fixture(scope="module")
def live() -> Iterator[tuple[str, FakeScim]]:
    fake = FakeScim(token=TOKEN)
    with serve(fake.app) as url:
        yield url, fake


def one_of_each(url: str) -> dict[Outcome, str]:
    """A check id per outcome on this target, found by running them (the suite changes; this does not)."""
    session = RunSession(config_for(url))
    found: dict[Outcome, str] = {}
    try:
        assert session.open() is None
        for spec in REGISTRY.select(("all",)):
            outcome = session.run(spec).outcome
            found.setdefault(outcome, spec.id)
            if {Outcome.PASS, Outcome.FAIL, Outcome.SKIP, Outcome.WARN} <= set(found):
                break
    finally:
        session.close()
    return found


def test_checks_run_as_items_with_evidence(pytester: pytest.Pytester, live: tuple[str, FakeScim]) -> None:
    url, fake = live
    ids = one_of_each(url)
    select = [arg for o in (Outcome.PASS, Outcome.FAIL, Outcome.SKIP, Outcome.WARN) for arg in ("--scim-select", ids[o])]
    result = pytester.runpytest("--scim-target", url, "--scim-token", TOKEN, *select, "-rA", "-p", "no:cacheprovider")
    # WARN passes, as a warning; the run-level items pass (this target makes no run finding)
    result.assert_outcomes(passed=2 + RUN, failed=1, skipped=1, warnings=1)
    text = result.stdout.str()
    assert f"scim-harness::{ids[Outcome.FAIL]}" in text
    assert f"FAIL {ids[Outcome.FAIL]}" in text and "expected:" in text and "seen:" in text
    assert f" {url}/" in text and "->" in text  # the exchanges: method, URL and status
    assert TOKEN not in text
    assert fake.store["Users"] == {}, "items clean up what they create"


def test_should_level_fails_warnings(pytester: pytest.Pytester, live: tuple[str, FakeScim]) -> None:
    url, _ = live
    warn_id = one_of_each(url)[Outcome.WARN]
    result = pytester.runpytest("--scim-target", url, "--scim-token", TOKEN, "--scim-select", warn_id,
                                "--scim-fail-on", "should", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1, passed=RUN)
    assert f"WARN {warn_id}" in result.stdout.str()


def test_keywords_select_by_area(pytester: pytest.Pytester, live: tuple[str, FakeScim]) -> None:
    url, _ = live
    result = pytester.runpytest("--scim-target", url, "--scim-token", TOKEN, "--scim-suite", "rfc",
                                "-k", "auth", "--collect-only", "-q", "-p", "no:cacheprovider")
    lines = [line for line in result.stdout.lines if line.startswith("scim-harness::")]
    auth_ids = {s.id for s in REGISTRY.select(("rfc",), ("auth",))}
    assert lines and auth_ids <= {line.split("::", 1)[1] for line in lines}


def test_pytest_html_gets_the_evidence_as_extras(pytester: pytest.Pytester, live: tuple[str, FakeScim]) -> None:
    url, _ = live
    fail_id = one_of_each(url)[Outcome.FAIL]
    result = pytester.runpytest("--scim-target", url, "--scim-token", TOKEN, "--scim-select", fail_id,
                                "--html=report.html", "-p", "no:cacheprovider")
    result.assert_outcomes(failed=1, passed=RUN)
    html = (pytester.path / "report.html").read_text(encoding="utf-8")
    assert f"{fail_id} evidence" in html and TOKEN not in html


def test_unreachable_target_stops_the_session_with_exit_2(pytester: pytest.Pytester) -> None:
    from tests.live import free_port

    result = pytester.runpytest("--scim-target", f"http://127.0.0.1:{free_port()}", "--scim-token", TOKEN,
                                "--scim-select", "auth", "--scim-timeout", "1", "-p", "no:cacheprovider")
    assert result.ret == 2 and "could not test: cannot reach the target" in result.stdout.str()


def test_bad_options_are_a_usage_error(pytester: pytest.Pytester, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SCIM_HARNESS_TOKEN", raising=False)
    monkeypatch.delenv("SCIM_TOKEN", raising=False)
    result = pytester.runpytest("--scim-target", "http://127.0.0.1:9", "-p", "no:cacheprovider")
    assert result.ret == pytest.ExitCode.USAGE_ERROR and "give credentials" in result.stderr.str()
    # The message names the plugin's own options, not the CLI's --token (which pytest would reject).
    assert "--scim-token T" in result.stderr.str() and "--scim-basic USER:PASS" in result.stderr.str()
    assert " --token" not in result.stderr.str()


def test_inert_without_a_target(pytester: pytest.Pytester) -> None:
    pytester.makepyfile("def test_ordinary():\n    assert True\n")
    result = pytester.runpytest("-p", "no:cacheprovider")
    result.assert_outcomes(passed=1)
    assert "scim-harness::" not in result.stdout.str()


def test_the_token_can_come_from_the_environment(pytester: pytest.Pytester, live: tuple[str, FakeScim],
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    url, _ = live
    monkeypatch.setenv("SCIM_HARNESS_TOKEN", TOKEN)
    result = pytester.runpytest("--scim-target", url, "--scim-select", "auth.missing-credentials-401",
                                "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1 + RUN)


def test_the_token_can_come_from_scim_token_as_serve_suggests(pytester: pytest.Pytester, live: tuple[str, FakeScim],
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    url, _ = live
    monkeypatch.delenv("SCIM_HARNESS_TOKEN", raising=False)
    monkeypatch.setenv("SCIM_TOKEN", TOKEN)  # the name `scim-harness serve` and the curl lines use
    result = pytester.runpytest("--scim-target", url, "--scim-select", "auth.missing-credentials-401",
                                "-p", "no:cacheprovider")
    result.assert_outcomes(passed=1 + RUN)
    assert f"1 check + {RUN} run-level checks against" in result.stdout.str()  # singular, not "1 checks"


def test_run_findings_are_items_after_the_checks(pytester: pytest.Pytester) -> None:
    """A first probe answered 500 is ``run.first-probe``, failing as ``scim-harness run`` reports it."""
    fake = FakeScim(token=TOKEN, count_error=True)
    with serve(fake.app) as url:
        result = pytester.runpytest("--scim-target", url, "--scim-token", TOKEN, "--scim-select",
                                    "auth.missing-credentials-401", "--scim-select", "media.content-type-success",
                                    "-v", "-p", "no:cacheprovider")
    text = result.stdout.str()
    # the first check passes, the second meets the same 500; one run finding made, four not
    result.assert_outcomes(passed=1 + RUN - 1, failed=2)
    assert "FAIL run.first-probe:" in text and "answered 500" in text and "/Users?count=1" in text
    assert "(one cause: the failure of media.content-type-success is this finding)" in text
    assert TOKEN not in text
    order = [line.split("::", 1)[1].split(" ", 1)[0] for line in result.stdout.lines
             if line.startswith("scim-harness::") and ("PASSED" in line or "FAILED" in line)]
    assert order == ["auth.missing-credentials-401", "media.content-type-success", *RUN_FINDINGS]
    assert f"2 checks + {RUN} run-level checks against" in text
    assert result.ret == 1


def test_run_findings_can_be_selected_with_k(pytester: pytest.Pytester, live: tuple[str, FakeScim]) -> None:
    url, _ = live
    result = pytester.runpytest("--scim-target", url, "--scim-token", TOKEN, "-k", "run-finding",
                                "--collect-only", "-q", "-p", "no:cacheprovider")
    lines = [line.split("::", 1)[1] for line in result.stdout.lines if line.startswith("scim-harness::")]
    assert lines == list(RUN_FINDINGS)
