"""The RFC suite against an independent server, the ``scim2-server`` package, over a real socket.

The suite must flag only real defects there. Every check that FAILs or WARNs against it must be
listed, with the RFC text that makes it a defect, in docs/scim2-server-findings.md; anything
else it flags is a false alarm, i.e. a bug in the check. ERROR (could not judge) is never
acceptable against a working server.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

import scenarios  # noqa: F401 - registers the checks
from harness.checks import REGISTRY, CheckContext, run_check
from harness.discovery import discover
from harness.http import Auth, Target, TargetClient
from harness.results import CheckResult, Outcome
from tests.scenarios.peer import TOKEN, serve_peer

pytestmark = pytest.mark.slow  # about ten seconds: the whole RFC suite over WSGI threads

FINDINGS = Path(__file__).resolve().parents[2] / "docs" / "scim2-server-findings.md"


def documented() -> set[str]:
    """Check ids named in the findings document's level-3 headings (``### `check.id` ...``)."""
    return set(re.findall(r"^### `([a-z0-9.-]+)`", FINDINGS.read_text(encoding="utf-8"), re.M))


@pytest.fixture(scope="module")
def results() -> dict[str, CheckResult]:
    out: dict[str, CheckResult] = {}
    with serve_peer() as base:
        with TargetClient(Target(base, Auth.bearer(TOKEN), timeout=10)) as client:
            discovery, _ = discover(client)
            assert not discovery.problems, discovery.problems
            for spec in REGISTRY.select(("rfc",)):
                out[spec.id] = run_check(spec, CheckContext(client, discovery, "sht-peer-"), client.recorder.redactor.text)
    return out


def test_no_check_errors_against_the_peer(results: dict[str, CheckResult]) -> None:
    errors = {i: r.message for i, r in results.items() if r.outcome is Outcome.ERROR}
    assert errors == {}


def test_every_finding_is_documented_and_every_documented_finding_is_seen(results: dict[str, CheckResult]) -> None:
    flagged = {i for i, r in results.items() if r.outcome in (Outcome.FAIL, Outcome.WARN)}
    assert flagged == documented(), {
        "flagged but not documented": sorted(flagged - documented()),
        "documented but not flagged": sorted(documented() - flagged),
        "messages": {i: results[i].message for i in sorted(flagged ^ documented()) if i in results},
    }
