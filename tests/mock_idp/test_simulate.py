"""Whole simulations against an in-memory fake SCIM service (no reference server needed)."""

from __future__ import annotations

import json
from datetime import datetime
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from harness.http import Auth, Target
from mock_idp import commands
from mock_idp.directory import make_directory
from mock_idp.simulate import SimulationConfig, check_connection, simulate
from tests.mock_idp.fake_scim import FakeScim

TOKEN = "s3cret-token-value"
TARGET = Target("http://fake/scim", Auth.bearer(TOKEN))
SCENARIOS = Path(__file__).resolve().parents[2] / "mock_idp" / "scenarios"


def run(idp: str, fake: FakeScim, tmp: Path | None = None, **kw: object):  # noqa: ANN201
    config = SimulationConfig(idp, TARGET, **{"users": 60, "groups": 6, "days": 3, "seed": 11, "out": tmp, **kw})
    return simulate(config, http=fake.client())


@pytest.mark.parametrize("idp", ["entra", "entra-legacy", "jumpcloud"])
def test_converges_and_writes_the_contract_files(idp: str, tmp_path: Path) -> None:
    fake = FakeScim()
    result = run(idp, fake, tmp_path, scenario=SCENARIOS / "reorg.json")
    assert result.exit_code == 0, (result.reason, result.differences[:5])
    lines = (tmp_path / "provisioning.jsonl").read_text().splitlines()
    entry = json.loads(lines[1])
    for key in ("cycleId", "changeId", "jobId", "activityDateTime", "durationInMilliseconds", "provisioningAction",
                "status", "provisioningSteps", "modifiedProperties", "sourceIdentity", "targetIdentity", "exchangeIds"):
        assert key in entry
    results = json.loads((tmp_path / "results.json").read_text())
    sim = results["simulation"]
    assert results["kind"] == "simulation" and sim["idp"] == idp and sim["differences"] == []
    assert sim["cycles"][0]["kind"] == "test-connection" and sim["cycles"][1]["kind"] == "initial"
    assert [(r["id"], r["outcome"]) for r in results["results"]] == [("simulation.converged", "pass"),
                                                                     ("simulation.exercised", "pass")]
    assert TOKEN not in (tmp_path / "results.json").read_text()
    assert TOKEN not in (tmp_path / "provisioning.jsonl").read_text()
    actions = {json.loads(line)["provisioningAction"] for line in lines}
    assert {"create", "update", "disable", "delete"} <= actions  # the reorg hard-deletes a user in scope
    group_names = {g["displayName"] for g in fake.groups.values()}
    assert "Platform Engineering" in group_names and "Platform Team" not in group_names  # renamed, not recreated


def test_same_seed_same_requests_and_logs(tmp_path: Path) -> None:
    fakes = [FakeScim(), FakeScim()]
    for n, fake in enumerate(fakes):
        run("entra", fake, tmp_path / str(n), days=2)
    first, second = ((tmp_path / str(n) / "provisioning.jsonl").read_bytes() for n in (0, 1))
    assert first == second and len(first) > 10_000
    shapes = [[(r.method, str(r.url), r.content) for r in f.requests] for f in fakes]
    assert shapes[0] == shapes[1]
    other = FakeScim()
    run("entra", other, tmp_path / "2", days=2, seed=12)
    assert (tmp_path / "2" / "provisioning.jsonl").read_bytes() != first


def test_the_flag_rides_on_every_request() -> None:
    fake = FakeScim()
    run("entra", fake, days=1)
    assert all("aadOptscim062020" in str(r.url) for r in fake.requests)
    fake = FakeScim()
    run("entra-legacy", fake, days=1)
    assert not any("aadOptscim062020" in str(r.url) for r in fake.requests)


def test_legacy_against_a_server_rejecting_capitalised_ops_escrows_updates(tmp_path: Path) -> None:
    legacy = run("entra-legacy", FakeScim(strict_ops=True), tmp_path)
    assert legacy.exit_code == 1
    entries = [json.loads(x) for x in (tmp_path / "provisioning.jsonl").read_text().splitlines()]
    failed = [e for e in entries if e["status"] == "failure"]
    assert failed and all("next retry at" in e["statusInfo"]["reason"] for e in failed)
    assert legacy.simulation["escrow"] and all(e["attempts"] >= 1 for e in legacy.simulation["escrow"])
    assert any(r.area == "provisioning" for r in legacy.run.results)
    flag = run("entra", FakeScim(strict_ops=True))
    assert flag.exit_code == 0, flag.reason


def test_string_booleans_rejected_leave_users_active(tmp_path: Path) -> None:
    story = tmp_path / "leavers.json"
    story.write_text(json.dumps({"events": [{"at": "+1h", "kind": "disable", "user": 0},
                                            {"at": "+2h", "kind": "soft-delete", "user": 1}]}))
    result = run("entra-legacy", FakeScim(strict_booleans=True), churn=False, scope="all", scenario=story)
    assert result.exit_code == 1
    stuck = [d for d in result.differences if d.attribute == "active"]
    assert len(stuck) == 2 and all(d.expected is False and d.seen is True for d in stuck)
    ok = run("entra", FakeScim(strict_booleans=True), churn=False, scope="all", scenario=story)
    assert ok.exit_code == 0, ok.reason  # the flag sends JSON booleans


def test_probe_404_quarantines_when_test_connection_was_skipped() -> None:
    result = run("entra", FakeScim(probe_404=True), test_connection=False, days=3)
    assert result.exit_code == 1 and "quarantined" in result.reason
    quarantine = result.simulation["quarantine"]
    assert quarantine and "404" in quarantine["reason"]
    kinds = [c["kind"] for c in result.simulation["cycles"]]
    assert kinds[0] == "initial" and set(kinds[1:]) == {"quarantine"}
    assert len(kinds) <= 5  # daily, not every 40 minutes


def test_probe_404_fails_test_connection_with_exit_2() -> None:
    result = run("entra", FakeScim(probe_404=True))
    assert result.exit_code == 2 and "404" in result.reason and "empty ListResponse" in result.reason


def test_unreachable_target_is_exit_2() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("connection refused")

    config = SimulationConfig("entra", TARGET, users=5, groups=1, days=1)
    result = simulate(config, http=httpx.Client(transport=httpx.MockTransport(refuse)))
    assert result.exit_code == 2 and "could not reach" in result.reason


def test_escrow_retries_follow_6_12_24_then_daily() -> None:
    calls: list[str] = []
    fake = FakeScim()

    def flaky(request: httpx.Request) -> httpx.Response:
        if request.method == "POST" and request.url.path.endswith("/Users"):
            calls.append(str(request.url))
            return httpx.Response(500, stream=httpx.ByteStream(b'{"detail":"boom"}'))
        return fake.handle(request)

    config = SimulationConfig("entra", TARGET, users=1, groups=0, days=3, churn=False, scope="all")
    result = simulate(config, http=httpx.Client(transport=httpx.MockTransport(flaky)))
    assert result.exit_code == 1
    creates = [c for c in result.simulation["log_tail"] if c["status"] == "failure"]
    moments = [datetime.fromisoformat(c["activityDateTime"].replace("Z", "+00:00")) for c in creates]
    hours = [(m - moments[0]).total_seconds() / 3600 for m in moments[1:]]
    # retried in the first 40-minute cycle at or after 6 h, 12 h, 24 h, 48 h from the first failure (E5)
    assert len(hours) == 4
    for seen, due in zip(hours, [6, 12, 24, 48]):
        assert due <= seen <= due + 40 / 60
    assert result.simulation["escrow"][0]["attempts"] == len(creates)


def test_rate_limit_retries_when_the_profile_says_so() -> None:
    fake = FakeScim()
    seen = {"n": 0}

    def throttle(request: httpx.Request) -> httpx.Response:
        seen["n"] += 1
        if seen["n"] % 3 == 0:
            return httpx.Response(429, headers={"Retry-After": "2"}, stream=httpx.ByteStream(b""))
        return fake.handle(request)

    def go(retries: int) -> int:
        seen["n"] = 0
        fake.users.clear()
        fake.groups.clear()
        config = SimulationConfig("entra", TARGET, users=10, groups=2, days=1, churn=False,
                                  profile_overrides={"rate_limit_retries": retries})
        return simulate(config, http=httpx.Client(transport=httpx.MockTransport(throttle))).exit_code

    assert go(0) == 1  # the default: a 429 is escrowed (unconfirmed knob)
    assert go(3) == 0  # retried after Retry-After, converges


def _preexisting(fake: FakeScim, users: int, groups: int, seed: int) -> None:
    """Accounts the SP already had, in upper case (created by hand before provisioning)."""
    for user in make_directory(users, groups, seed).users.values():
        fake._create("Users", fake.users, {"userName": user.user_principal_name.upper(), "active": True})
    fake.requests.clear()


def test_preexisting_accounts_are_matched_by_a_case_insensitive_filter() -> None:
    fake = FakeScim()
    _preexisting(fake, 20, 2, 11)
    result = run("entra", fake, users=20, groups=2, churn=False, scope="all")
    assert result.exit_code == 0, result.reason
    assert len(fake.users) == 20  # linked and updated, no duplicates


def test_case_sensitive_filter_gives_409_escrow_instead_of_a_match() -> None:
    fake = FakeScim(case_sensitive_filter=True)
    _preexisting(fake, 20, 2, 11)
    result = run("entra", fake, users=20, groups=2, churn=False, scope="all")
    failures = [e for e in result.simulation["log_tail"] if e["status"] == "failure"]
    codes = {e["statusInfo"]["errorCode"] for e in failures}
    assert result.exit_code == 1 and codes == {"SystemForCrossDomainIdentityManagementEntryConflict"}
    assert len(result.simulation["escrow"]) == 20
    # the SP keeps its unlinked upper-case accounts: every mapped value differs
    assert {"userName", "title", "name.givenName"} <= {d.attribute for d in result.differences}


def test_on_demand_provisions_one_user_with_the_legacy_forms() -> None:
    import random

    from harness.clock import VirtualClock
    from harness.http import TargetClient
    from mock_idp.driver import Driver
    from mock_idp.engine import Engine
    from mock_idp.logs import ProvisioningLog
    from mock_idp.mapping import load_mapping
    from harness.idp.profile import load_profile

    fake = FakeScim()
    clock = VirtualClock()
    profile = load_profile("entra")
    directory = make_directory(3, 0, seed=3, scope="all")
    user = next(iter(directory.users.values()))
    client = TargetClient(TARGET, http=fake.client(), clock=clock)
    engine = Engine(profile, load_mapping("entra-default.json"), directory, Driver(client, clock, profile), clock,
                    ProvisioningLog("scim.test", "Microsoft Entra ID"), random.Random(1))
    assert engine.provision_on_demand("nobody@nowhere") is None
    created = engine.provision_on_demand(user.user_principal_name)
    assert created is not None and created.action == "create" and len(fake.users) == 1
    user.job_title = "Chief Tester"
    updated = engine.provision_on_demand(user.user_principal_name)
    assert updated is not None and updated.action == "update"
    ops = json.loads(fake.requests[-1].content)["Operations"]
    assert ops == [{"op": "Replace", "path": "title", "value": "Chief Tester"}]  # E2: on demand ignores the flag
    assert [c.kind for c in engine.job.cycles] == ["on-demand", "on-demand"]


def test_check_connection_jumpcloud_leaves_nothing_behind() -> None:
    fake = FakeScim()
    result = check_connection("jumpcloud", TARGET, http=fake.client())
    assert result.exit_code == 0 and fake.users == {} and fake.groups == {}
    assert [r.method for r in fake.requests] == ["GET", "POST", "POST", "DELETE", "DELETE"]


def test_cli_help_teaches_and_bad_input_is_exit_2(tmp_path: Path) -> None:
    runner = CliRunner()
    help_text = runner.invoke(commands.simulate, ["--help"]).output
    assert "Example" in help_text and "--idp entra" in help_text and "Exit codes" in help_text
    bad = runner.invoke(commands.simulate, ["--idp", "entra", "--target", "http://x", "--token", "t", "--basic", "u:p"])
    assert bad.exit_code == 2 and "one way to authenticate" in bad.output
    bad = runner.invoke(commands.simulate, ["--idp", "okta", "--target", "http://x", "--token", "t"])
    assert bad.exit_code == 2
    bad = runner.invoke(commands.simulate, ["--idp", "entra", "--target", "http://127.0.0.1:9/", "--token", "t",
                                           "--speed", "fast", "--out", str(tmp_path), "-q"])
    assert bad.exit_code == 2 and "--speed" in bad.output and "Traceback" not in bad.output
    assert "Example" in runner.invoke(commands.connection_test_command, ["--help"]).output


def test_cli_against_an_unreachable_target_says_so(tmp_path: Path) -> None:
    from tests.live import free_port

    url = f"http://127.0.0.1:{free_port()}/"
    result = CliRunner().invoke(commands.simulate, ["--idp", "entra", "--target", url, "--token", TOKEN, "--users", "3",
                                                   "--out", str(tmp_path), "--timeout", "2"])
    assert result.exit_code == 2 and "could not reach the target" in result.output and TOKEN not in result.output


def test_jumpcloud_with_group_management_off_sends_no_group_traffic() -> None:
    fake = FakeScim()
    result = run("jumpcloud", fake, manage_groups=False)
    assert result.exit_code == 0, result.reason
    assert fake.users and not fake.groups
    assert not [r for r in fake.requests if "/Groups" in r.url.path]  # seed 001


def test_scope_all_provisions_unassigned_people_too() -> None:
    assigned, everyone = FakeScim(), FakeScim()
    run("entra", assigned, churn=False, groups=0)
    run("entra", everyone, churn=False, groups=0, scope="all")
    assert 0 < len(assigned.users) < len(everyone.users) == 60  # seed 002: licence risk


def test_a_user_without_mail_is_skipped_with_no_request() -> None:
    import random

    from harness.clock import VirtualClock
    from harness.http import TargetClient
    from mock_idp.driver import Driver
    from mock_idp.engine import Engine
    from mock_idp.logs import ProvisioningLog
    from mock_idp.mapping import load_mapping
    from harness.idp.profile import load_profile

    fake = FakeScim()
    clock = VirtualClock()
    profile = load_profile("entra")
    directory = make_directory(5, 0, seed=3, scope="all")
    nomail = next(iter(directory.users.values()))
    nomail.mail = None
    client = TargetClient(TARGET, http=fake.client(), clock=clock)
    log = ProvisioningLog("scim.test", "Microsoft Entra ID")
    engine = Engine(profile, load_mapping("seed-003-enterprise-toolkit.json"), directory, Driver(client, clock, profile),
                    clock, log, random.Random(1))
    engine.run_cycle("initial")
    skipped = [e for e in log.tail if e["status"] == "skipped"]
    assert len(skipped) == 1 and skipped[0]["exchangeIds"] == []
    assert "emails" in skipped[0]["statusInfo"]["reason"]
    assert len(fake.users) == 4 and nomail.user_principal_name not in {u["userName"] for u in fake.users.values()}


def test_scaled_speed_really_waits_a_fraction(tmp_path: Path) -> None:
    import time

    started = time.perf_counter()
    result = run("entra", FakeScim(), users=5, groups=1, days=0.1, churn=False, speed="28800x")
    elapsed = time.perf_counter() - started
    assert result.exit_code == 0
    assert 0.2 < elapsed < 5  # 2.4 virtual hours at 28,800x is about 0.3 s of real waiting


def test_bad_mapping_or_scenario_cannot_start(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text('{"events": [{"at": "tomorrow", "kind": "hire"}]}')
    result = run("entra", FakeScim(), scenario=bad)
    assert result.exit_code == 2 and "'at' must be" in result.reason
    result = run("entra", FakeScim(), mapping=str(tmp_path / "missing.json"))
    assert result.exit_code == 2 and "cannot read mapping file" in result.reason
