"""End to end: `scim-harness run` over a real socket against the reference server.

The reference server (tests may import it) is served by tests/live.py; the harness talks to it
over HTTP exactly as it would to a vendor's endpoint.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.checks import REGISTRY
from harness.cleanup import cleanup
from harness.cli import main
from harness.config import RunConfig
from harness.http import Auth, Target
from harness.results import Outcome
from harness.runner import run_suite
from tests.harness.support import TOKEN, out_files
from tests.live import serve

pytestmark = pytest.mark.socket
reference_app = pytest.importorskip("reference_server.app")
settings = pytest.importorskip("reference_server.settings")


@pytest.fixture(scope="module")
def reference_url() -> object:
    app = reference_app.create_app(settings.ServerSettings(db=":memory:", tokens=(TOKEN,)))
    with serve(app) as url:
        yield url


@pytest.mark.slow
def test_run_against_the_reference_server(reference_url: str, tmp_path: Path) -> None:
    res = CliRunner().invoke(main, ["run", "--target", reference_url, "--token", TOKEN, "--out", str(tmp_path),
                                    "--workers", "4", "--prefix", "sh-e2e001-"])
    data = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    assert res.exit_code == data["exit_code"] and res.exit_code in (0, 1), res.output
    assert data["options"]["run_timeout_s"] == 1800, "a slow target cannot hold a run for hours"
    assert "IdP verdicts" in res.output and "Entra ID: ready" in res.output
    assert [r["id"] for r in data["results"]] == [s.id for s in REGISTRY.select(("all",))]
    errors = [f"{r['id']}: {r['message']}" for r in data["results"] if r["outcome"] == "error"]
    assert errors == [], "the harness could judge every check against a healthy server"
    for path in out_files(tmp_path):
        assert TOKEN not in path.read_text(encoding="utf-8")
    assert TOKEN not in res.output
    leftovers = cleanup(Target(reference_url, Auth.bearer(TOKEN)), "sh-e2e001-", dry_run=True)
    assert leftovers.found == [] and leftovers.complete, "every object the run created was removed"


def test_the_reference_server_passes_every_applicable_check(reference_url: str) -> None:
    run = run_suite(RunConfig(target=Target(reference_url, Auth.bearer(TOKEN)), workers=2))
    broken = [f"{r.id} ({r.outcome.value}): {r.message}" for r in run.results
              if r.outcome not in (Outcome.PASS, Outcome.SKIP)]
    assert broken == [] and run.exit_code == 0
