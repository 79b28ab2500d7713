"""Run the selected checks against a target: :func:`run_suite` -> events -> :class:`RunResult`.

Contract:

- the registry is filled by whoever calls (the CLI imports ``scenarios``); the harness never
  imports the checks itself (tests/test_architecture.py);
- a probe (``GET /Users?count=1``) and discovery come first (RFC 7644 §4). The run *cannot
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
- exit code: 0 when nothing failed at the chosen level, 1 when a check FAILed (or WARNed
  with ``fail_on="should"``) or could not be judged (ERROR: the verdict is incomplete), 2 when
  the run could not test or was interrupted.

The runner knows no output formats: console, results.json and JUnit are event handlers.
"""

from __future__ import annotations

import importlib
import pkgutil
import threading
from collections.abc import Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ThreadPoolExecutor, wait
from dataclasses import dataclass, field
from types import ModuleType
from urllib.parse import urlsplit, urlunsplit
from typing import Any

import httpx

from harness.checks import REGISTRY, SUITES, CheckContext, CheckSpec, Registry, run_check
from harness.clock import Clock, SystemClock
from harness.config import RunConfig, cleanup_command, fails_run
from harness.discovery import Discovery, discover
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
from harness.http import TargetClient
from harness.recorder import Exchange, Recorder
from harness.results import CheckResult, Outcome, RunResult

__all__ = ["run_suite", "RunSession", "exit_code_for", "not_run_result", "load_checks", "STOPPED"]

#: The error of a request the runner refused to send because the run was stopping.
STOPPED = "not sent: the run is stopping (run timeout or interrupt)"


class _StoppableClient(TargetClient):
    """A TargetClient that, once ``stop`` is set, sends only DELETEs (cleanup) and records
    every other request as not sent, so that checks in flight wind down quickly."""

    def __init__(self, *args: Any, stop: threading.Event, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.stop = stop
        self.refused: set[str] = set()
        self._refused_lock = threading.Lock()

    def request(self, method: str, path: str, **kw: Any) -> Exchange:
        if self.stop.is_set() and method.upper() != "DELETE":
            try:
                url = self.url_for(path, kw.get("params"), kw.get("query"))
            except ValueError:
                url = path
            ex = self._record(method.upper(), url, [], None, None, [], b"", 0.0, STOPPED)
            with self._refused_lock:
                self.refused.add(ex.id)
            return ex
        return super().request(method, path, **kw)


#: Endpoint names (RFC 7644 §3.2) that people paste onto the end of a base URL by mistake.
_ENDPOINTS = ("users", "groups", "serviceproviderconfig", "serviceproviderconfigs", "resourcetypes", "schemas",
              "bulk", "me", ".search")


def base_url_hint(url: str) -> str:
    """``"; try --target https://host/scim/v2/"`` when ``url`` ends in an endpoint such as /Users."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    head, _, last = path.rpartition("/")
    if last.lower() not in _ENDPOINTS:
        return ""
    return f"; try --target {urlunsplit((parts.scheme, parts.netloc, head + '/', parts.query, ''))}"


@dataclass
class RunSession:
    """One target, one recorder, one discovery: what the runner and the pytest plugin share.

    ``open()`` probes and discovers, returning why the run cannot test (or ``None``);
    ``run(spec)`` runs one check in a fresh context. Thread-safe after ``open()``.
    """

    config: RunConfig
    http: httpx.Client | None = None
    clock: Clock = field(default_factory=SystemClock)
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        target = self.config.target
        self._own_http = self.http is None
        self.http = self.http or httpx.Client(verify=not target.insecure, follow_redirects=False, trust_env=False)
        # Never follow a redirect, whatever client was injected (Starlette's TestClient does by
        # default): a redirect would carry the credentials to wherever the target points.
        self.http.follow_redirects = False
        self.recorder = Recorder(target.redactor(), self.clock)
        self.client = _StoppableClient(target, recorder=self.recorder, http=self.http, clock=self.clock, stop=self.stop)
        self.discovery = Discovery()
        self.discovery_ids: list[str] = []
        self.leftovers = 0  # checks that could not remove what they created

    @property
    def redact(self) -> Any:
        return self.recorder.redactor.text

    def housekeeping_client(self) -> TargetClient:
        """A client on the same connection pool and transcript that ignores ``stop`` (cleanup)."""
        return TargetClient(self.config.target, recorder=self.recorder, http=self.http, clock=self.clock)

    def open(self) -> str | None:
        """Probe and discover; the one-line reason the run cannot test, or ``None``."""
        url = self.config.url
        probe = self.client.get("/Users", params={"count": 1})
        self.discovery_ids.append(probe.id)
        if probe.error:
            hint = "; for a lab certificate add --insecure" if "CERTIFICATE_VERIFY_FAILED" in probe.error else ""
            return f"cannot reach the target {url}: {probe.error}{hint}"
        if probe.status is not None and 300 <= probe.status < 400:
            where = probe.header("Location") or "nowhere"
            return (f"the target redirects GET /Users ({probe.status} to {where[:200]}) and redirects are never "
                    f"followed with credentials; use the final SCIM base URL (https?)")
        if probe.status in (401, 403):
            return (
                f"the target refused the credentials ({self.config.target.auth.describe()}): GET /Users answered "
                f"{probe.status}; check the credentials and that they may read and write users"
            )
        self.discovery, ids = discover(self.client)
        self.discovery_ids.extend(ids)
        discovered = self.discovery.spc is not None or bool(self.discovery.resource_types)
        probe_ok = probe.status == 200 and isinstance(probe.json_or_none(), dict)
        if not discovered and not probe_ok:
            seen = "; ".join([*self.discovery.problems[:3], f"GET /Users answered {probe.status}"])
            return (
                f"{url} does not look like a SCIM 2.0 endpoint ({seen}); the base URL should be where /Users "
                f"and /ServiceProviderConfig live, e.g. https://host/scim/v2" + base_url_hint(url)
            )
        return None

    def run(self, spec: CheckSpec) -> CheckResult:
        """Run one check in a fresh context; it cleans up what it created, whatever happens."""
        ctx = CheckContext(self.client, self.discovery, self.config.prefix)
        result = run_check(spec, ctx, self.redact)
        if any(note.startswith("could not remove") for note in ctx.notes):
            self.leftovers += 1  # the run sweeps its prefix at the end
        refused = set(result.exchange_ids) & self.client.refused
        if refused and result.outcome is not Outcome.PASS:
            # A verdict reached on requests the runner refused to send is about us, not the target.
            result.outcome = Outcome.ERROR
            result.message = f"stopped while running ({result.message})" if result.message else "stopped while running"
        return result

    def close(self) -> None:
        if self._own_http and self.http is not None:
            self.http.close()


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
                        prefix=config.prefix, options=options))
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
                bus.emit(CheckFinished(at=bus.now(), index=index, total=total, result=result))

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

