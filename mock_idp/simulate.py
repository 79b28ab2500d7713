"""The library entry point: ``simulate(config) -> SimulationResult``.

Builds the tenant, the profile and the mappings, runs the test connection and the engine on
a virtual (or scaled) clock, reads the target back, and writes ``provisioning.jsonl`` and
``results.json`` as /tmp/simulation-schema.md fixes them. Exit codes as ``run``: 0 converged
with no failed change, 1 differences or failed changes (quarantine included), 2 could not
start (test connection failed, target unreachable, bad input), each with a one-line reason.
"""

from __future__ import annotations

import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import httpx

from harness.clock import EPOCH, ScaledClock, VirtualClock, isoformat
from harness.har import HAR_FILE, write_har
from harness.http import Target, TargetClient
from harness.recorder import Recorder
from harness.results import CheckResult, Level, Outcome, RunResult
from mock_idp.churn import COVERED, ScenarioError, day_model, load_scenario
from mock_idp.convergence import Difference, compare, read_all
from mock_idp.directory import make_directory
from mock_idp.driver import Driver
from mock_idp.engine import Engine
from mock_idp.logs import LOG_FILE, ProvisioningLog
from mock_idp.mapping import MappingError, load_mapping
from harness.idp.profile import Profile, ProfileError, load_profile, profile_names

__all__ = ["SimulationConfig", "SimulationResult", "ConnectionResult", "simulate", "check_connection", "parse_speed", "MAX_EXCHANGES"]

MAX_EXCHANGES = 5000
#: Findings listed one by one in results (the rest are counted); differences kept in full up to 20,000.
MAX_FINDINGS = 1000
MAX_DIFFERENCES = 20_000


class _RecentRecorder(Recorder):
    """A recorder that holds only the most recent ``limit`` exchanges (and counts the rest)."""

    def __init__(self, *args: Any, limit: int = MAX_EXCHANGES, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.limit = limit
        self.dropped = 0

    def _kept(self) -> None:  # under the recorder's lock, after each append
        if len(self._exchanges) > self.limit * 2:  # trim in chunks: O(1) amortised
            cut = len(self._exchanges) - self.limit
            del self._exchanges[:cut]
            self.dropped += cut


@dataclass(frozen=True)
class SimulationConfig:
    idp: str
    target: Target
    users: int = 50
    groups: int = 5
    days: float = 1.0
    seed: int = 7
    mapping: str | None = None
    scope: str = "assigned"
    speed: str = "instant"
    out: Path | None = None
    scenario: Path | None = None
    churn: bool = True  # the seeded day model (scenario events are added to it)
    cover: bool = True  # the day model also exercises every kind of change in churn.COVERED
    test_connection: bool = True  # False: credentials were saved earlier (no Test Connection)
    manage_groups: bool | None = None  # None: the profile's default
    request_cost_ms: float = 50.0  # virtual time each request takes
    profile_overrides: dict[str, Any] = field(default_factory=dict)

    def options(self) -> dict[str, Any]:
        """The run's settings, safe to print (no credentials)."""
        return {"idp": self.idp, "users": self.users, "groups": self.groups, "days": self.days, "seed": self.seed,
                "mapping": self.mapping, "scope": self.scope, "speed": self.speed,
                "scenario": str(self.scenario) if self.scenario else None, "churn": self.churn, "cover": self.cover,
                "test_connection": self.test_connection, "manage_groups": self.manage_groups,
                "auth": self.target.auth.describe()}


@dataclass
class SimulationResult:
    exit_code: int
    reason: str
    run: RunResult
    differences: list[Difference]
    log_path: Path | None
    requests: int

    @property
    def simulation(self) -> dict[str, Any]:
        return self.run.simulation or {}


def parse_speed(speed: str) -> VirtualClock:
    """"instant" → a virtual clock; "60x" → a clock that plays 60 virtual seconds per real one."""
    if speed == "instant":
        return VirtualClock(EPOCH)
    if speed.endswith("x"):
        try:
            factor = float(speed[:-1])
        except ValueError:
            factor = 0
        if factor > 0:
            return ScaledClock(1 / factor, EPOCH)
    raise ValueError(f"--speed must be 'instant' or a factor like '60x', got {speed!r}")


def _job_id(idp: str, seed: int) -> str:
    digest = hashlib.sha256(f"{idp}:{seed}".encode()).hexdigest()
    prefix = "scim" if idp.startswith("entra") else idp
    return f"{prefix}.{digest[:32]}.{digest[32:48]}"


def simulate(
    config: SimulationConfig,
    *,
    http: httpx.Client | None = None,
    progress: Callable[[float], None] | None = None,
    on_demand: str | None = None,
) -> SimulationResult:
    """Run one simulation. ``http`` injects the transport (in-process tests, benchmarks)."""
    try:
        overrides = dict(config.profile_overrides)
        if config.manage_groups is not None:
            overrides["manage_groups"] = config.manage_groups
        profile = load_profile(config.idp, **overrides)
        _can_play(profile)
        mapping = load_mapping(config.mapping or profile.default_mapping)
        clock = parse_speed(config.speed)
        if config.users < 0 or config.groups < 0 or config.days <= 0:
            raise ValueError("--users and --groups must be >= 0 and --days > 0")
        days = int(config.days + 0.999)
        events = day_model(EPOCH, days, config.users, random.Random(config.seed + 1), config.cover,
                           roles=mapping.maps("User", "roles")) if config.churn else []
        if config.scenario is not None:
            events = sorted(events + load_scenario(config.scenario, EPOCH), key=lambda e: e.at)
    except (ProfileError, MappingError, ScenarioError, ValueError) as exc:
        return _cannot_start(config, f"Could not start: {exc}")
    refused = profile.refuses(config.target.auth.kind)
    if refused:
        return _cannot_start(config, f"Could not start: {refused}.")
    target = replace(config.target, base_url=profile.tenant_url(config.target.base_url))
    recorder = _RecentRecorder(target.redactor(), clock)
    client = TargetClient(target, recorder=recorder, http=http, clock=clock, user_agent=profile.user_agent,
                          headers=profile.headers())
    driver = Driver(client, clock, profile, config.request_cost_ms / 1000)
    log_path = (config.out / LOG_FILE) if config.out else None
    if config.out:
        config.out.mkdir(parents=True, exist_ok=True)
    job_id = _job_id(profile.name, config.seed)
    log = ProvisioningLog(job_id, "Microsoft Entra ID" if profile.trigger == "cycles" else profile.name, log_path,
                          task_template=profile.task_message_template)
    directory = make_directory(config.users, config.groups, config.seed, config.scope)
    engine = Engine(profile, mapping, directory, driver, clock, log, random.Random(config.seed + 2), progress)
    started = clock.now()
    until = started + timedelta(days=config.days)
    if events:
        step = timedelta(minutes=profile.cycle_interval_minutes or 1) + timedelta(seconds=profile.event_delay_seconds)
        until = max(until, events[-1].at + step)
    reason = ""
    differences: list[Difference] = []
    try:
        if config.test_connection:
            ok, why, _ = engine.run_connection_test()
            if not ok:
                reason = why
        if not reason:
            engine.run(events, until)
            if on_demand and engine.provision_on_demand(on_demand) is None:
                reason = f"Could not provision on demand: no user {on_demand!r} in the simulated tenant."
            if reason:
                pass
            elif recorder.exchanges and all(e.status is None for e in recorder.exchanges):
                reason = f"Could not start: the target at {target.base_url} is unreachable ({recorder.exchanges[-1].error})."
            else:
                users, err1 = read_all(driver, "User")
                groups, err2 = read_all(driver, "Group") if profile.manage_groups else ([], None)
                differences = compare(directory, mapping, profile, set(engine.job.user_links) |
                                      {u for u in directory.hard_deleted_users if u in engine.job.user_links},
                                      users, groups)
                for err in (err1, err2):
                    if err:
                        differences.append(Difference("User", "(read back)", "list", "200 with a ListResponse", err))
    finally:
        log.close()
        client.close()
    return _finish(config, profile, engine, clock, started, recorder, differences, reason, log_path, driver.requests)


def _can_play(profile: Profile) -> None:
    """Refuse, in one line, an IdP whose profile the engine cannot play yet (Okta)."""
    if not profile.simulated:
        playable = ", ".join(n for n in profile_names() if load_profile(n).simulated)
        raise ValueError(f"the simulator cannot play {profile.name} yet (its readiness suite can: "
                         f"scim-harness run --suite {profile.name.split('-')[0]}); simulated IdPs: {playable}")


def _cannot_start(config: SimulationConfig, reason: str) -> SimulationResult:
    now = isoformat(EPOCH)
    run = RunResult("simulation", config.target.base_url, now, now, 0.0, 2, message=reason, options=config.options(),
                    simulation={"idp": config.idp, "message": reason})
    return SimulationResult(2, reason, run, [], None, 0)


def _finish(config: SimulationConfig, profile: Any, engine: Engine, clock: VirtualClock, started: Any,
            recorder: _RecentRecorder, differences: list[Difference], reason: str, log_path: Path | None,
            requests: int) -> SimulationResult:
    job = engine.job
    results: list[CheckResult] = []
    for n, d in enumerate(differences[:MAX_FINDINGS], 1):
        results.append(CheckResult(
            id=f"convergence.{n:04d}", title=f"{d.object_type} {d.key}: {d.attribute} differs", area="convergence",
            level=Level.MUST, outcome=Outcome.FAIL, rests_on="idp-behaviors: convergence after provisioning",
            fix="Compare the target's handling of the requests in the log with RFC 7644 §3.5.2 (PATCH) and §3.3 (POST).",
            message=f"expected {d.expected!r}, seen {d.seen!r}", expected=json.dumps(d.expected, default=str),
            seen=json.dumps(d.seen, default=str), idp_impact=f"{profile.name} believes the target holds the expected value"))
    if len(differences) > MAX_FINDINGS:
        results.append(CheckResult(
            id="convergence.more", title=f"{len(differences) - MAX_FINDINGS} more difference(s) not listed",
            area="convergence", level=Level.MUST, outcome=Outcome.FAIL, rests_on="idp-behaviors: convergence",
            fix="See simulation.differences in results.json.", message=f"{len(differences)} differences in all"))
    for n, entry in enumerate(list(job.escrow.values())[:MAX_FINDINGS], 1):
        results.append(CheckResult(
            id=f"provisioning.escrow.{n:04d}", title=f"{entry.kind} {entry.display}: {entry.action} escrowed",
            area="provisioning", level=Level.MUST, outcome=Outcome.FAIL, rests_on="idp-behaviors §5: escrow (E3, E5)",
            fix="Fix the error the target returned; the IdP retries escrowed changes on its schedule.",
            message=entry.error, idp_impact=f"retried {entry.attempts} time(s); next retry {isoformat(entry.next_retry)}"))
    for n, task in enumerate(list(engine.tasks.values())[:MAX_FINDINGS], 1):
        results.append(CheckResult(
            id=f"provisioning.task.{n:04d}", title=f"{task['object']}: failed task waits for an admin", area="provisioning",
            level=Level.MUST, outcome=Outcome.FAIL, rests_on="idp-behaviors §3: failures become tasks (O8, O9)",
            fix="Fix the error the target returned, then retry the task in the IdP's admin console.",
            message=task["message"], idp_impact="the change stays undone until an admin retries it"))
    for n, q in enumerate(job.quarantine_history, 1):
        results.append(CheckResult(
            id=f"provisioning.quarantine.{n}", title="The provisioning job went into quarantine", area="provisioning",
            level=Level.MUST, outcome=Outcome.FAIL, rests_on="idp-behaviors §5: quarantine (E5)",
            fix="Answer unmatched filters with 200 and an empty ListResponse, and accept the configured token.",
            message=q.reason, idp_impact="cycles slow to once a day and the admin is emailed" + (
                f"; disabled after {profile.quarantine_disable_weeks:g} weeks" if profile.quarantine_disable_weeks else "")))
    if job.failed_ever and not job.escrow and not job.quarantine_history:
        results.append(CheckResult(
            id="provisioning.failed-changes", title=f"{job.failed_ever} change(s) failed during the simulation",
            area="provisioning", level=Level.MUST, outcome=Outcome.FAIL, rests_on="idp-behaviors §5: escrow",
            fix="See the failed entries in provisioning.jsonl.", message=f"{job.failed_ever} failed change(s)"))
    if reason:
        exit_code = 2
    elif differences or job.failed_ever or job.quarantine_history:
        exit_code = 1
        parts = []
        if differences:
            parts.append(f"{len(differences)} difference(s) between the directory and the target")
        if job.failed_ever:
            parts.append(f"{job.failed_ever} failed change(s)")
        if job.quarantine_history:
            parts.append("the job was quarantined: " + job.quarantine_history[-1].reason.rstrip("."))
        reason = "Not converged: " + "; ".join(parts) + "."
    else:
        exit_code = 0
        reason = (f"Converged: the target matches the directory after {len(job.cycles)} cycle(s) and {requests} request(s); "
                  f"changes exercised: {', '.join(sorted(engine.exercised)) or 'none'}.")
        results.append(CheckResult(
            id="simulation.converged", title="The target converged with the directory", area="convergence",
            level=Level.MUST, outcome=Outcome.PASS, rests_on="idp-behaviors: convergence after provisioning", fix=""))
    results.append(_exercised(config, profile, engine))
    exchanges = recorder.exchanges
    cut = max(0, len(exchanges) - MAX_EXCHANGES)
    dropped = recorder.dropped + cut
    finished = clock.now()
    simulation = {
        "idp": profile.name, "profile": profile.describe(), "seed": config.seed, "users": config.users,
        "groups": config.groups, "days": config.days, "scope": config.scope,
        "started_at": isoformat(started), "finished_at": isoformat(finished), "log_file": LOG_FILE,
        "job_id": engine.log.job_id, "requests": requests,
        "cycles": [c.to_dict() for c in job.cycles],
        "escrow": [e.to_dict() for e in job.escrow.values()],
        "quarantine": job.quarantine_history[-1].to_dict() if job.quarantine_history else None,
        "differences": [d.to_dict() for d in differences[:MAX_DIFFERENCES]],
        "differences_total": len(differences),
        "log_tail": list(engine.log.tail),
        "exercised": dict(sorted(engine.exercised.items())),
        "exchanges_dropped": dropped,
        "tasks": list(engine.tasks.values()),
        "rate_limit": (f"honour Retry-After ({profile.rate_limit_retries} retries, waits capped at "
                       f"{profile.rate_limit_max_wait_seconds:g} s)" if profile.rate_limit_retries
                       else f"no immediate retry: a 429 fails the change ({profile.on_failure})"),
        "throttled": engine.driver.throttled,
        "import_schedule": profile.import_schedule,  # O3: manual, or the scheduled imports the clock ran
        "imports": [isoformat(c.started_at) for c in job.cycles if c.kind == "import"],
    }
    run = RunResult("simulation", config.target.base_url, isoformat(started), isoformat(finished),
                    (finished - started).total_seconds() * 1000, exit_code, results=results,
                    exchanges=exchanges[cut:], message=reason, options=config.options(), simulation=simulation)
    if config.out:
        (config.out / "results.json").write_text(json.dumps(run.to_dict(), ensure_ascii=False, indent=1, default=str),
                                                 encoding="utf-8")
        write_har(run, config.out / HAR_FILE)  # pages per cycle
    return SimulationResult(exit_code, reason, run, differences, log_path, requests)


def expected_kinds(config: SimulationConfig, profile: Profile, engine: Engine) -> list[str]:
    """The kinds of change in churn.COVERED this IdP, mapping and tenant can send at all."""
    possible = {"disable": True, "rename": True, "delete": profile.delete_user_on_hard_delete,
                "member-removal": profile.manage_groups and config.groups > 0, "manager": engine.manages_managers,
                "move": engine.mapping.maps("User", "department"), "roles": engine.mapping.maps("User", "roles")}
    return [k for k in COVERED if possible[k]]


def _exercised(config: SimulationConfig, profile: Profile, engine: Engine) -> CheckResult:
    """Which kinds of change the run sent, so that "Converged" says what it covers."""
    done = sorted(engine.exercised)
    wanted = expected_kinds(config, profile, engine) if config.churn and config.cover and config.users else []
    missing = [k for k in wanted if k not in engine.exercised]
    message = f"exercised: {', '.join(done) or 'none'}" + (f"; not exercised: {', '.join(missing)}" if missing else "")
    return CheckResult(
        id="simulation.exercised", title="Every kind of change was exercised", area="convergence", level=Level.SHOULD,
        outcome=Outcome.WARN if missing else Outcome.PASS, rests_on="idp-behaviors: convergence after provisioning",
        fix="Run longer or with more users and groups; --no-cover turns the guaranteed changes off.", message=message)


@dataclass
class ConnectionResult:
    exit_code: int  # 0 passed, 2 failed
    reason: str
    notes: list[str]
    exchanges: list[Any]


def check_connection(idp: str, target: Target, *, http: httpx.Client | None = None, seed: int = 7) -> ConnectionResult:
    """Only the profile's Test Connection (Entra: two reads; JumpCloud: writes, then deletes)."""
    try:
        profile = load_profile(idp)
        _can_play(profile)
    except (ProfileError, ValueError) as exc:
        return ConnectionResult(2, f"Could not start: {exc}", [], [])
    refused = profile.refuses(target.auth.kind)
    if refused:
        return ConnectionResult(2, f"Could not start: {refused}.", [], [])
    target = replace(target, base_url=profile.tenant_url(target.base_url))
    clock = VirtualClock(EPOCH)
    recorder = Recorder(target.redactor(), clock)
    client = TargetClient(target, recorder=recorder, http=http, clock=clock, user_agent=profile.user_agent,
                          headers=profile.headers())
    engine = Engine(profile, load_mapping(profile.default_mapping), make_directory(0, 0, seed), Driver(client, clock, profile),
                    clock, ProvisioningLog(_job_id(profile.name, seed), profile.name), random.Random(seed + 2))
    try:
        ok, reason, notes = engine.run_connection_test()
    finally:
        client.close()
    return ConnectionResult(0 if ok else 2, reason, notes, recorder.exchanges)
