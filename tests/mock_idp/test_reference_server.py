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
    """What the reference server's recorder saw (``GET /_recordings``, paged), minus our read-back."""
    seen: list[shapes.Seen] = []
    after = 0
    with TestClient(app, base_url="http://testserver") as http:
        for _ in range(1000):
            page = http.get(f"/_recordings?after={after}&limit=1000", headers={"Authorization": f"Bearer {TOKEN}"})
            assert page.status_code == 200, page.text[:200]
            items = page.json()["Resources"]
            if not items:
                break
            for item in items:
                url = item["path"] + (f"?{item['query']}" if item["query"] else "")
                body = json.loads(item["request_body"]) if item["request_body"] else None
                if "startIndex=" not in url and not item["path"].startswith("/_recordings"):
                    seen.append((item["method"], url, body))
            after = items[-1]["id"]
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


def _canonical_ids(text: str, ids: list[str]) -> str:
    """Replace the ids the server chose (random UUIDs) by their order of appearance."""
    for n, target_id in enumerate(ids):
        text = text.replace(target_id, f"<id-{n}>")
    return text


def _server_ids(log: str) -> list[str]:
    seen: dict[str, None] = {}
    for line in log.splitlines():
        target = json.loads(line)["targetIdentity"]["id"]
        if target:
            seen.setdefault(target, None)
    return list(seen)


@pytest.mark.slow
def test_same_seed_same_requests_and_same_log(tmp_path: Path) -> None:
    apps = [make_app(), make_app()]
    for n, app in enumerate(apps):
        run_inprocess(app, "entra", tmp_path / str(n), users=150, groups=15, days=2)
    logs = [(tmp_path / str(n) / "provisioning.jsonl").read_text() for n in (0, 1)]
    ids = [_server_ids(log) for log in logs]
    assert len(ids[0]) == len(ids[1]) > 150 and ids[0] != ids[1]  # the server picks random ids...
    # ...everything else is byte for byte the same
    assert _canonical_ids(logs[0], ids[0]) == _canonical_ids(logs[1], ids[1])
    first, second = (recorded(app) for app in apps)
    assert len(first) == len(second) > 300
    canon = [_canonical_ids(json.dumps(r), i) for r, i in zip((first, second), ids)]
    assert canon[0] == canon[1]


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
    assert failed and all("op must be" in e["statusInfo"]["reason"] for e in failed)  # every PATCH, nothing else
    assert not [e for e in failed if e["sourceIdentity"]["identityType"] == "User" and e["provisioningAction"] == "create"]
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


RESOURCES = Path(__file__).resolve().parents[2] / "reference_server" / "resources"


@pytest.mark.parametrize(("mapping", "extensions"), [
    ("seed-003-enterprise-toolkit.json", ("custom_extension_folders.json", "metadata.json")),
    ("seed-004-lambdatest.json", ("lambdatest_user.json",)),
])
def test_seed_mappings_provision_into_their_extensions(mapping: str, extensions: tuple[str, ...]) -> None:
    app = make_app(extensions=tuple(str(RESOURCES / e) for e in extensions))
    result = run_inprocess(app, "entra", mapping=mapping, users=30, groups=3, days=1, scenario=STORY, scope="all")
    assert result.exit_code == 0, (result.reason, [d.to_dict() for d in result.differences[:5]])
    posts = [b for m, u, b in recorded(app) if m == "POST" and u.startswith("/Users")]
    if mapping.startswith("seed-003"):
        folders = posts[0]["urn:ietf:params:scim:schemas:extension:2.0:CustomExtensionName"]["folders"]
        assert isinstance(folders, list) and folders
        assert all("CustomExtensionName" not in s for b in posts for s in b["schemas"])  # E6: URN not in schemas
    else:
        role = posts[0]["urn:ietf:params:scim:schemas:extension:LambdaTest:2.0:User"]["OrganizationRole"]
        assert role in {"Admin", "Guest", "User"}


@pytest.mark.parametrize(("quirk", "idp", "fine_idp"), [
    ("remove-members-empties-group", "entra-legacy", "entra"),  # E2, E10: legacy remove read literally
    ("ignore-member-remove-filter", "entra", "entra-legacy"),  # the flag's members[value eq ..] ignored
])
def test_member_remove_defects_show_as_membership_differences(quirk: str, idp: str, fine_idp: str) -> None:
    hit = run_inprocess(make_app(quirk), idp, scenario=STORY, scope="all", churn=False)
    assert hit.exit_code == 1
    assert [d for d in hit.differences if d.object_type == "Group" and d.attribute == "members"]
    spared = run_inprocess(make_app(quirk), fine_idp, scenario=STORY, scope="all", churn=False)
    assert spared.exit_code == 0, spared.reason


def test_429_is_escrowed_by_default_and_retried_when_the_profile_says_so() -> None:
    default = run_inprocess(make_app("rate-limit-429"), "entra", users=20, groups=2, churn=False, scope="all")
    assert default.exit_code == 1
    codes = {e["statusInfo"]["errorCode"] for e in default.simulation["log_tail"] if e["status"] == "failure"}
    assert codes == {"SystemForCrossDomainIdentityManagementThrottled"}
    patient = run_inprocess(make_app("rate-limit-429"), "entra", users=20, groups=2, churn=False, scope="all",
                            profile_overrides={"rate_limit_retries": 2})
    assert patient.exit_code == 0, patient.reason


@pytest.mark.socket
def test_test_connection_command_over_a_socket() -> None:
    from click.testing import CliRunner

    from mock_idp import commands

    app = make_app()
    with serve(app) as url:
        ok = CliRunner().invoke(commands.connection_test_command, ["--idp", "jumpcloud", "--target", url, "--token", TOKEN])
        bad_token = CliRunner().invoke(commands.connection_test_command, ["--idp", "entra", "--target", url, "--token", "nope"])
    assert ok.exit_code == 0 and "test connection passed" in ok.output, ok.output
    assert "POST" in ok.output and "DELETE" in ok.output
    with TestClient(app, base_url="http://testserver") as http:
        left = http.get("/Users", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert left["totalResults"] == 0  # JumpCloud's test user was deleted again
    assert bad_token.exit_code == 2 and "rejected the credentials" in bad_token.output and "nope" not in bad_token.output
    with serve(make_app("not-found-on-empty-filter")) as url:
        refused = CliRunner().invoke(commands.connection_test_command, ["--idp", "entra", "--target", url, "--token", TOKEN])
    assert refused.exit_code == 2 and "404" in refused.output
