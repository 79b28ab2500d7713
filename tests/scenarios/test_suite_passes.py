"""The whole registered suite against the unmodified reference server, over a real socket.

Every applicable check must PASS; a SKIP must say why. Nothing else is allowed: a FAIL or
WARN here is either a server defect (see /tmp/rfc-disagreements.md) or a check bug.
"""

from __future__ import annotations

from pathlib import Path

import pytest

import scenarios  # noqa: F401 - registers the checks
from harness.checks import REGISTRY, CheckContext, run_check
from harness.discovery import discover
from harness.http import Auth, Target, TargetClient
from harness.results import CheckResult, Outcome
from tests.live import serve
from tests.scenarios.support import TOKEN, reference_app


@pytest.fixture(scope="module")
def results() -> dict[str, CheckResult]:
    out: dict[str, CheckResult] = {}
    with serve(reference_app()) as base:
        with TargetClient(Target(base, Auth.bearer(TOKEN), timeout=10)) as client:
            discovery, _ = discover(client)
            assert not discovery.problems, discovery.problems
            for spec in REGISTRY.all():
                ctx = CheckContext(client, discovery, "sht-suite-")
                out[spec.id] = run_check(spec, ctx, client.recorder.redactor.text)
    return out


def test_every_applicable_check_passes(results: dict[str, CheckResult]) -> None:
    bad = {i: f"{r.outcome.value}: {r.message}" for i, r in results.items() if r.outcome not in (Outcome.PASS, Outcome.SKIP)}
    assert bad == {}


def test_every_skip_carries_a_reason(results: dict[str, CheckResult]) -> None:
    silent = [i for i, r in results.items() if r.outcome is Outcome.SKIP and not r.message.strip()]
    assert silent == []


def test_the_suite_is_large_enough(results: dict[str, CheckResult]) -> None:
    rfc = [r for r in results.values() if "rfc" in r.suites]
    assert len(rfc) >= 120  # issue 5: the RFC suite has at least 120 checks


def test_custom_extension_checks_pass_with_an_extension_loaded() -> None:
    """With a custom User extension loaded, the check that skips above applies and passes."""
    extension = str(Path(__file__).with_name("custom_extension.json"))
    with serve(reference_app(extensions=(extension,))) as base:
        with TargetClient(Target(base, Auth.bearer(TOKEN), timeout=10)) as client:
            discovery, _ = discover(client)
            for spec in REGISTRY.select(("rfc",), include=("extensions",)):
                result = run_check(spec, CheckContext(client, discovery, "sht-ext-"))
                assert result.outcome in (Outcome.PASS, Outcome.SKIP), (spec.id, result.message)
                if spec.id == "extensions.custom-extension":
                    assert result.outcome is Outcome.PASS, result.message
