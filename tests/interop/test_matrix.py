"""The interop matrix: the whole suite against independent SCIM servers, findings pinned.

Each server (tests/interop/servers.py) runs once per test session, as its own process on a
loopback port; every assertion below reads that one run. A test fails when a finding appears or
disappears (tests/interop/findings.json), when a pinned finding has no justification in
docs/interop.md, or when the matrix published there is not the one this run produces.
Regenerate with ``python -m tests.interop.matrix --write``, then justify by hand.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from harness.results import RunResult
from tests.interop.matrix import doc_matrix, findings, justified, matrix_markdown, pinned, run_server
from tests.interop.servers import SERVERS, TOKEN, Server

pytestmark = [pytest.mark.socket, pytest.mark.slow]
KEYS = [s.key for s in SERVERS]


@pytest.fixture(scope="session")
def interop_run(tmp_path_factory: pytest.TempPathFactory) -> Callable[[Server], RunResult]:
    """The run of a server, made on first use and shared by every test of the session."""
    runs: dict[str, RunResult] = {}

    def get(server: Server) -> RunResult:
        if server.key not in runs:
            why = server.missing()
            if why:
                if os.environ.get("CI"):
                    pytest.fail(f"{server.key}: {why}")
                pytest.skip(f"{server.key}: {why}")
            runs[server.key] = run_server(server, tmp_path_factory.mktemp(server.key))
        return runs[server.key]

    return get


def _server(key: str) -> Server:
    return next(s for s in SERVERS if s.key == key)


@pytest.mark.parametrize("key", KEYS)
def test_the_suite_can_test_the_server(key: str, interop_run: Callable[[Server], RunResult]) -> None:
    run = interop_run(_server(key))
    assert run.exit_code in (0, 1), run.message
    assert TOKEN not in str(run.to_dict())


@pytest.mark.parametrize("key", KEYS)
def test_findings_are_the_pinned_ones(key: str, interop_run: Callable[[Server], RunResult]) -> None:
    seen = {(f["check"], f["outcome"], f["cause"]) for f in findings(interop_run(_server(key)))}
    expected = {(f["check"], f["outcome"], f["cause"]) for f in pinned().get(key, [])}
    assert seen == expected, {"appeared": sorted(seen - expected), "disappeared": sorted(expected - seen)}


@pytest.mark.parametrize("key", KEYS)
def test_every_pinned_cause_is_justified_in_the_docs(key: str) -> None:
    causes = {f["cause"] for f in pinned().get(key, [])}
    documented = justified(key)
    assert causes == documented, {"not justified": sorted(causes - documented),
                                  "documented, not pinned": sorted(documented - causes)}


def test_the_published_matrix_is_the_one_these_runs_give(interop_run: Callable[[Server], RunResult]) -> None:
    runs = {s.key: interop_run(s) for s in SERVERS}
    assert doc_matrix() == matrix_markdown(runs), "run: python -m tests.interop.matrix --write"


def test_every_glue_file_named_exists() -> None:
    root = Path(__file__).resolve().parents[2]
    assert all((root / s.glue).exists() for s in SERVERS)
