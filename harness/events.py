"""What a run reports while it happens: events, and the handlers that turn them into output.

The runner knows no output formats (design.md principle 4): it emits events, and the
console, results.json, JUnit and HTML writers are peers that handle them. Every event is
stamped by the run's clock (``at``, ISO 8601 UTC), so a run on a virtual clock gives
byte-stable output.

Order of one run::

    RunStarted -> Notice* -> DiscoveryFinished -> (CheckStarted, CheckFinished)* -> RunFinished

With ``--workers N`` several checks are in flight: CheckStarted/CheckFinished pairs
interleave, but ``index`` is always the check's place in registry order, and the
:class:`RunFinished` result lists checks in that order. If the run cannot test (target
unreachable, credentials refused, discovery unusable), DiscoveryFinished has
``usable=False`` and RunFinished follows directly (exit code 2).

Handlers are called one at a time (the dispatcher holds a lock), from the runner's threads
(CheckStarted from the worker running the check; the others from the main thread). A
handler that raises is reported on :attr:`EventBus.errors` (and in results.json as
``options.handler_errors`` when it happened before RunFinished) and never stops the run.

Writing a handler::

    class CountFailures:
        def __init__(self) -> None:
            self.failed = 0

        def handle_event(self, event: Event) -> None:
            if isinstance(event, CheckFinished) and event.result.outcome is Outcome.FAIL:
                self.failed += 1
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, Protocol, runtime_checkable

from harness.clock import Clock, isoformat
from harness.discovery import Discovery
from harness.recorder import Exchange
from harness.results import CheckResult, RunResult

__all__ = [
    "Event",
    "RunStarted",
    "Notice",
    "DiscoveryFinished",
    "CheckStarted",
    "CheckFinished",
    "RunFinished",
    "EventHandler",
    "EventBus",
]


@dataclass(frozen=True)
class Event:
    """Base of every event: ``at`` is the run clock's time when it was emitted."""

    at: str


@dataclass(frozen=True)
class RunStarted(Event):
    target: str  # the base URL, safe to print (no credentials)
    suites: tuple[str, ...]
    total: int  # checks selected (before discovery decides what applies)
    prefix: str  # every object this run creates starts with it
    options: dict[str, Any] = field(default_factory=dict)
    run_findings: int = 0  # findings the run judges itself after the checks (harness/run_findings.py)


@dataclass(frozen=True)
class Notice(Event):
    """Something the user should know that is not a check result (e.g. SEC-01: plain http)."""

    level: str  # "warning" | "info"
    text: str


@dataclass(frozen=True)
class DiscoveryFinished(Event):
    discovery: Discovery
    exchange_ids: tuple[str, ...]
    usable: bool  # False: the run cannot test; ``message`` says why
    message: str = ""


@dataclass(frozen=True)
class CheckStarted(Event):
    index: int  # 0-based, registry order
    total: int
    check_id: str
    title: str


@dataclass(frozen=True)
class CheckFinished(Event):
    index: int
    total: int
    result: CheckResult
    #: the check's exchanges (redacted), so a live view can tell an answer the check expected
    #: (a 501 from /Me when /Me is not supported) from one that went wrong
    exchanges: tuple[Exchange, ...] = ()


@dataclass(frozen=True)
class RunFinished(Event):
    result: RunResult
    interrupted: bool = False
    timed_out: bool = False


@runtime_checkable
class EventHandler(Protocol):
    def handle_event(self, event: Event) -> None:
        """React to one event. Must not block for long: the run waits for it."""


class EventBus:
    """Delivers events to handlers in order, one event at a time, stamped by ``clock``."""

    def __init__(self, handlers: Iterable[EventHandler], clock: Clock) -> None:
        self.handlers = list(handlers)
        self.clock = clock
        self.errors: list[str] = []  # "<handler>: <exception>" for each handler that raised
        self._lock = threading.Lock()

    def now(self) -> str:
        return isoformat(self.clock.now())

    def emit(self, event: Event) -> None:
        with self._lock:
            for handler in self.handlers:
                try:
                    handler.handle_event(event)
                except Exception as exc:  # noqa: BLE001 - an output problem must not stop the run
                    self.errors.append(f"{type(handler).__name__}: {type(exc).__name__}: {exc}")
