"""Run the selected checks against a target: :func:`run_suite` -> events -> :class:`RunResult`.

Contract:

- the registry is filled by whoever calls (the CLI imports ``scenarios``); the harness never
  imports the checks itself (tests/test_architecture.py);
- a probe (``GET {base}/Users?count=1``, where the IdPs look) and discovery come first (RFC 7644
  §4); ResourceType endpoints are resolved against the base (harness/endpoints.py) and an
  advertised endpoint that does not answer while ``{base}/Users`` does is not used. The run *cannot
  test* (exit 2, RunResult.message says why in one line) when the target is unreachable,
  refuses the credentials (401/403 on the probe), or does not look like a SCIM endpoint at
  all (neither discovery nor the probe gave a usable answer);
- each selected check then runs with a fresh :class:`CheckContext` and the run's unique
  prefix, on ``workers`` threads sharing one :class:`TargetClient`; results come back in
  registry order whatever the completion order;
- ``run_timeout`` stops scheduling new checks; checks in flight are told to wind down (their
  further requests, except DELETE for cleanup, are not sent) and get a grace period; every
  check that did not finish is ERROR. Ctrl-C does the same. After an interrupt, abandoned
  checks, or a check that could not delete what it created, the run sweeps its prefix
  (:func:`harness.cleanup.cleanup`);
- what no single check owns (the probe's answer, endpoints, a refused fixture, latency) becomes
  a run finding (harness/run_findings.py), listed before the checks' results;
- exit code: 0 when nothing failed at the chosen level, 1 when a check FAILed (or WARNed
  with ``fail_on="should"``) or could not be judged (ERROR: the verdict is incomplete), 2 when
  the run could not test or was interrupted.

The runner knows no output formats: console, results.json and JUnit are event handlers.
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass
from types import ModuleType

import httpx

from harness.checks import REGISTRY, SUITES, CheckSpec, Registry
from harness.clock import Clock, SystemClock
from harness.config import RunConfig, cleanup_command, fails_run
from harness.events import (
    CheckFinished,
    CheckStarted,
    DiscoveryFinished,
    EventBus,
    EventHandler,
    Notice,
    RunFinished,
    RunStarted,
)
from harness.results import CheckResult, Outcome, RunResult
from harness.run_findings import RUN_FINDINGS
from harness.session import STOPPED, RunSession, base_url_hint

__all__ = ["run_suite", "RunSession", "exit_code_for", "not_run_result", "load_checks", "STOPPED"]

def load_checks(package: ModuleType, skip: tuple[str, ...] = ("pytest_plugin",)) -> list[str]:
    """Import every module of ``package`` (e.g. ``scenarios``) so its checks register.

    The package's ``__init__`` normally imports its modules already; walking them too means
    a module not yet listed there still counts. Returns one line per module that failed to
    import (a broken module must be visible, never silently missing from the run).
    """
    problems: list[str] = []
    for info in pkgutil.walk_packages(getattr(package, "__path__", []), prefix=package.__name__ + "."):
        if info.name.rsplit(".", 1)[-1] in skip:
            continue
        try:
            importlib.import_module(info.name)
        except Exception as exc:  # noqa: BLE001 - report the module, keep the others
            problems.append(f"checks in {info.name} not loaded: {type(exc).__name__}: {exc}")
    return problems


def not_run_result(spec: CheckSpec, reason: str) -> CheckResult:
    """The ERROR result of a check the run never finished (timeout, interrupt)."""
    return CheckResult(
        id=spec.id, title=spec.title, area=spec.area, level=spec.level, outcome=Outcome.ERROR,
        rests_on=spec.rests_on, fix=spec.fix, suites=list(spec.suites), tags=list(spec.tags),
        message=reason, idp_impact=spec.idp_impact, checklist=list(spec.checklist),
    )


def exit_code_for(results: Sequence[CheckResult], fail_on: str = "must") -> int:
    """0 nothing failed at the chosen level; 1 otherwise (FAIL, WARN with ``should``, or ERROR)."""
    return 1 if any(fails_run(r.outcome, fail_on) for r in results) else 0


@dataclass
class _Progress:
    results: list[CheckResult | None]
    stop_reason: str = ""  # "" | "timeout" | "interrupt"
    abandoned: int = 0  # checks still running when the run stopped waiting for them


def run_suite(
    config: RunConfig,
    *,
    registry: Registry = REGISTRY,
    handlers: Sequence[EventHandler] = (),
    http: httpx.Client | None = None,
    clock: Clock | None = None,
) -> RunResult:
    """Run the checks ``config`` selects from ``registry`` against ``config.target``.

    ``http`` injects the transport (e.g. a Starlette ``TestClient`` for in-process tests);
    ``clock`` stamps events and measures the run timeout. Never raises for anything the
    target does; see the module docstring for the flow and the exit codes.
    """
    clock = clock or SystemClock()
    bus = EventBus(handlers, clock)
    specs = registry.select(config.suites, config.select, config.exclude)
    started_at, t0 = bus.now(), clock.monotonic()
    options = config.to_options()
    bus.emit(RunStarted(at=started_at, target=config.url, suites=config.suites, total=len(specs),
                        prefix=config.prefix, options=options, run_findings=len(RUN_FINDINGS)))
    notices = [text for text in (config.plain_http_warning(),) if text]
    if not specs:
        notices.append("no check matches the selection (see `scim-harness scenarios list`)")
    for text in notices:
        bus.emit(Notice(at=bus.now(), level="warning", text=text))
    session = RunSession(config, http=http, clock=clock)
    progress = _Progress(results=[None] * len(specs))
    problem: str | None = None
    try:
        try:
            problem = session.open()
        except KeyboardInterrupt:
            problem, progress.stop_reason = "interrupted during discovery", "interrupt"
        bus.emit(DiscoveryFinished(at=bus.now(), discovery=session.discovery, exchange_ids=tuple(session.discovery_ids),
                                   usable=problem is None, message=problem or ""))
        if problem is None:
            _execute(specs, session, bus, progress)
            if progress.stop_reason == "interrupt" or progress.abandoned or session.leftovers:
                _sweep(session, bus)
    finally:
        session.close()
    results = [r for r in progress.results if r is not None] if problem else _complete(specs, progress, bus)
    if not problem:
        results = session.findings() + results
    message = problem or _stop_message(config, progress, results)
    if problem or progress.stop_reason == "interrupt":
        code = 2
    else:
        code = exit_code_for(results, config.fail_on)
    run = RunResult(
        kind="conformance",
        target=config.url,
        started_at=started_at,
        finished_at=bus.now(),
        duration_ms=(clock.monotonic() - t0) * 1000,
        exit_code=code,
        results=results,
        exchanges=session.recorder.exchanges,
        suites=list(SUITES) if "all" in config.suites else list(config.suites),
        message=message,
        discovery=session.discovery.to_dict(),
        options={**options, "notices": notices, **({"handler_errors": list(bus.errors)} if bus.errors else {})},
    )
    bus.emit(RunFinished(at=run.finished_at, result=run, interrupted=progress.stop_reason == "interrupt",
                         timed_out=progress.stop_reason == "timeout"))
    return run


def _execute(specs: list[CheckSpec], session: RunSession, bus: EventBus, progress: _Progress) -> None:
    """Run ``specs`` on a thread pool, at most ``workers`` in flight, honouring the run timeout."""
    config, clock, total = session.config, session.clock, len(specs)
    deadline = None if config.run_timeout is None else clock.monotonic() + config.run_timeout
    grace = 3 * config.timeout + 1  # one trickled read (bounded at 3x timeout) plus a cleanup DELETE
    grace_ends: float | None = None

    def one(index: int) -> CheckResult:
        spec = specs[index]
        bus.emit(CheckStarted(at=bus.now(), index=index, total=total, check_id=spec.id, title=spec.title))
        return session.run(spec)

    pool = ThreadPoolExecutor(max_workers=config.workers, thread_name_prefix="scim-check")
    running: dict[Future[CheckResult], int] = {}
    next_index = 0

    def stop(reason: str) -> None:
        nonlocal grace_ends
        if not progress.stop_reason:
            progress.stop_reason = reason
            session.stop.set()
            grace_ends = clock.monotonic() + grace

    def loop() -> None:
        nonlocal next_index
        while next_index < total or running:
            while not progress.stop_reason and next_index < total and len(running) < config.workers:
                running[pool.submit(one, next_index)] = next_index
                next_index += 1
            if not running:
                return
            now = clock.monotonic()
            if deadline is not None and now >= deadline:
                stop("timeout")
            if grace_ends is not None:
                if now >= grace_ends:
                    progress.abandoned = len(running)
                    return  # checks still running are abandoned and reported as ERROR
                wait_for: float | None = grace_ends - now
            else:
                wait_for = None if deadline is None else deadline - now
            done, _ = wait(running, timeout=wait_for, return_when=FIRST_COMPLETED)
            for future in sorted(done, key=running.__getitem__):  # several at once: registry order
                index = running.pop(future)
                result = future.result()  # run_check never raises for anything a check does
                progress.results[index] = result
                bus.emit(CheckFinished(at=bus.now(), index=index, total=total, result=result,
                                       exchanges=session.exchanges_of(result)))

    try:
        while True:
            try:
                loop()
                return
            except KeyboardInterrupt:
                if progress.stop_reason == "interrupt":
                    progress.abandoned = len(running)
                    return  # a second Ctrl-C: stop waiting for the checks in flight
                stop("interrupt")  # then keep looping: checks in flight wind down and clean up
                progress.stop_reason = "interrupt"  # also when a run timeout stopped it first
    finally:
        pool.shutdown(wait=False, cancel_futures=True)


def _complete(specs: list[CheckSpec], progress: _Progress, bus: EventBus) -> list[CheckResult]:
    """Every selected check gets a result: the ones the run never finished become ERROR."""
    why = {
        "timeout": "not judged: the run timeout was reached before this check finished",
        "interrupt": "not judged: the run was interrupted before this check finished",
    }.get(progress.stop_reason, "not judged: the run stopped before this check finished")
    out: list[CheckResult] = []
    for index, spec in enumerate(specs):
        result = progress.results[index]
        if result is None:
            result = not_run_result(spec, why)
            progress.results[index] = result
            bus.emit(CheckFinished(at=bus.now(), index=index, total=len(specs), result=result))
        out.append(result)
    return out


def _sweep(session: RunSession, bus: EventBus) -> None:
    """After an interrupt, abandoned checks or a failed cleanup: delete whatever still carries
    the run's prefix (bounded; only names that really start with it)."""
    from harness.cleanup import cleanup  # local: cleanup is a peer module, used only here

    try:
        swept = cleanup(session.housekeeping_client(), session.config.prefix, discovery=session.discovery)
    except KeyboardInterrupt:
        bus.emit(Notice(at=bus.now(), level="warning",
                        text="cleanup skipped; remove leftovers with: "
                             + cleanup_command(session.config.target, session.config.prefix)))
        return
    bus.emit(Notice(at=bus.now(), level="warning" if swept.failed else "info", text=swept.summary()))


def _stop_message(config: RunConfig, progress: _Progress, results: list[CheckResult]) -> str:
    unjudged = sum(1 for r in results if r.outcome is Outcome.ERROR and r.message.startswith("not judged"))
    if progress.stop_reason == "timeout":
        return f"the run timeout ({config.run_timeout:g}s) was reached: {unjudged} check(s) not judged"
    if progress.stop_reason == "interrupt":
        return f"interrupted: {unjudged} check(s) not judged; objects created were removed where possible"
    return ""

