"""The mock IdP against the reference server: convergence, determinism, shapes, quirks.

In-process (Starlette TestClient) for speed; one run over a real socket (tests/live.py).
Tests may import the reference server; mock_idp itself never does.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from harness.http import Auth, Target
from mock_idp.simulate import SimulationConfig, SimulationResult, simulate
from reference_server.app import create_app
from reference_server.settings import ServerSettings
from tests.live import serve
from tests.mock_idp import shapes

TOKEN = "test-token"
STORY = Path(__file__).parent / "story.json"
LEAVERS = Path(__file__).parent / "leavers.json"
BASE = "http://testserver/"


def make_app(*quirks: str, extensions: tuple[str, ...] = ()) -> Any:
    return create_app(ServerSettings(db=":memory:", tokens=(TOKEN,), quirks=quirks, extensions=extensions))


def run_inprocess(app: Any, idp: str, out: Path | None = None, **kw: Any) -> SimulationResult:
    options: dict[str, Any] = {"users": 60, "groups": 6, "days": 2, "seed": 7, **kw}
    config = SimulationConfig(idp, Target(BASE, Auth.bearer(TOKEN), timeout=30), out=out, **options)
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as http:
        return simulate(config, http=http)


def recorded(app: Any) -> list[shapes.Seen]:
    """What the reference server's recorder saw, minus our final read-back (startIndex paging)."""
    with TestClient(app, base_url="http://testserver") as http:
        response = http.get("/_recordings", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 200, response.text[:200]
    data = response.json()
    items = data.get("recordings", data.get("Resources", data)) if isinstance(data, dict) else data
    seen: list[shapes.Seen] = []
    for item in items:
        request = item.get("request", item)
        method = request.get("method")
        url = request.get("url") or request.get("path", "")
        if request.get("query") and "?" not in url:
            url = f"{url}?{request['query']}"
        if "startIndex=" in url or "_recordings" in url:
            continue
        body = request.get("body")
        if isinstance(body, str):
            try:
                body = json.loads(body) if body else None
            except ValueError:
                pass
        seen.append((method, url, body))
    return seen


# -- convergence ----------------------------------------------------------------------------------
@pytest.mark.parametrize("idp", ["entra", "entra-legacy", "jumpcloud"])
def test_small_tenant_converges_and_matches_the_documented_shapes(idp: str, tmp_path: Path) -> None:
    app = make_app()
    result = run_inprocess(app, idp, tmp_path, scenario=STORY, scope="all", days=1)
    assert result.exit_code == 0, (result.reason, [d.to_dict() for d in result.differences[:5]])
    seen = recorded(app)
    {"entra": shapes.expect_entra, "entra-legacy": shapes.expect_entra_legacy,
     "jumpcloud": shapes.expect_jumpcloud}[idp](seen)


@pytest.mark.slow
@pytest.mark.parametrize("idp", ["entra", "entra-legacy", "jumpcloud"])
def test_500_users_50_groups_7_days_converge(idp: str, tmp_path: Path) -> None:
    result = run_inprocess(make_app(), idp, tmp_path, users=500, groups=50, days=7, seed=7)
    assert result.exit_code == 0, (result.reason, [d.to_dict() for d in result.differences[:5]])
    assert result.differences == []
    log = [json.loads(line) for line in (tmp_path / "provisioning.jsonl").read_text().splitlines()]
    actions = {e["provisioningAction"] for e in log}
    assert {"create", "update", "disable"} <= actions
    assert len([c for c in result.simulation["cycles"] if c["kind"] in {"incremental", "event"}]) > 20


@pytest.mark.slow
def test_same_seed_same_requests_and_same_log(tmp_path: Path) -> None:
    apps = [make_app(), make_app()]
    for n, app in enumerate(apps):
        run_inprocess(app, "entra", tmp_path / str(n), users=200, groups=20, days=3)
    logs = [(tmp_path / str(n) / "provisioning.jsonl").read_bytes() for n in (0, 1)]
    assert logs[0] == logs[1]
    first, second = (recorded(app) for app in apps)
    assert first == second and len(first) > 400


@pytest.mark.socket
def test_over_a_real_socket_with_the_cli(tmp_path: Path) -> None:
    from click.testing import CliRunner

    from mock_idp import commands

    with serve(make_app()) as url:
        result = CliRunner().invoke(commands.simulate, [
            "--idp", "entra", "--target", url + "/", "--token", TOKEN, "--users", "30", "--groups", "3",
            "--days", "1", "--seed", "3", "--out", str(tmp_path), "-q"])
    assert result.exit_code == 0, result.output
    assert "Converged" in result.output and TOKEN not in result.output
    results = json.loads((tmp_path / "results.json").read_text())
    assert results["simulation"]["differences"] == []
    assert all(e["url"].startswith("http://127.0.0.1:") for e in results["exchanges"])
    assert TOKEN not in (tmp_path / "results.json").read_text()


# -- quirks: what a real tenant would see -----------------------------------------------------------
def test_404_on_empty_filter_fails_test_connection_or_quarantines() -> None:
    app = make_app("not-found-on-empty-filter")
    refused = run_inprocess(app, "entra")
    assert refused.exit_code == 2 and "404" in refused.reason
    saved_before = run_inprocess(make_app("not-found-on-empty-filter"), "entra", test_connection=False, days=3)
    assert saved_before.exit_code == 1
    assert saved_before.simulation["quarantine"]["cleared_at"] is None
    kinds = [c["kind"] for c in saved_before.simulation["cycles"]]
    assert kinds[0] == "initial" and set(kinds[1:]) == {"quarantine"} and len(kinds) <= 5
    assert any(r.id.startswith("provisioning.quarantine") for r in saved_before.run.results)
    jumpcloud = run_inprocess(make_app("not-found-on-empty-filter"), "jumpcloud")
    assert jumpcloud.exit_code == 0, jumpcloud.reason  # JumpCloud reads a 404 as "not found"


def test_case_sensitive_filter_turns_existing_accounts_into_409_escrow() -> None:
    from mock_idp.directory import make_directory

    for quirks, expect_conflicts in [((), False), (("case-sensitive-username-filter",), True)]:
        app = make_app(*quirks)
        with TestClient(app, base_url="http://testserver") as http:
            for user in make_directory(20, 2, 7, "all").users.values():
                created = http.post("/Users", headers={"Authorization": f"Bearer {TOKEN}"}, json={
                    "schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"],
                    "userName": user.user_principal_name.upper(), "active": True})
                assert created.status_code == 201, created.text
        result = run_inprocess(app, "entra", users=20, groups=2, scope="all", churn=False)
        conflicts = [e for e in result.simulation["log_tail"]
                     if e["status"] == "failure" and "409" in e["statusInfo"]["reason"]]
        assert bool(conflicts) is expect_conflicts, result.reason
        assert (result.exit_code == 1) is expect_conflicts
        if expect_conflicts:
            assert len(result.simulation["escrow"]) == 20


def test_capitalised_ops_rejected_fail_legacy_but_not_the_flag() -> None:
    legacy = run_inprocess(make_app("reject-capitalized-ops"), "entra-legacy", scenario=STORY, scope="all")
    assert legacy.exit_code == 1
    failed = [e for e in legacy.simulation["log_tail"] if e["status"] == "failure"]
    assert failed and all(e["provisioningAction"] in {"update", "disable"} for e in failed)
    assert legacy.simulation["escrow"] and legacy.differences
    flag = run_inprocess(make_app("reject-capitalized-ops"), "entra", scenario=STORY, scope="all")
    assert flag.exit_code == 0, flag.reason


def test_string_booleans_rejected_leave_users_active() -> None:
    result = run_inprocess(make_app("reject-string-booleans"), "entra-legacy", scenario=LEAVERS, scope="all",
                           churn=False)
    assert result.exit_code == 1
    active = [d for d in result.differences if d.attribute == "active"]
    assert len(active) == 2 and all(d.expected is False and d.seen is True for d in active)
    assert any(e["provisioningAction"] == "disable" and e["status"] == "failure" for e in result.simulation["log_tail"])
