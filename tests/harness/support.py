"""Shared helpers for the runner's tests: fake checks in a private registry, configs, event capture."""

from __future__ import annotations

import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from starlette.testclient import TestClient

from harness.checks import CheckContext, Registry, check
from harness.config import RunConfig
from harness.events import Event
from harness.http import Auth, Target
from harness.results import Level

TOKEN = "tok-Distinctive-7c41e9aa5d"  # grep for it in every output: it must never appear


def config_for(url: str, token: str = TOKEN, **kw: Any) -> RunConfig:
    timeout = kw.pop("timeout", 2.0)
    return RunConfig(target=Target(url, Auth.bearer(token), timeout=timeout), **kw)


def inprocess(app: Any) -> TestClient:
    # follow_redirects=False like the real client: TestClient follows redirects by default
    return TestClient(app, base_url="http://testserver", raise_server_exceptions=False, follow_redirects=False)


class Capture:
    """An event handler that keeps every event."""

    def __init__(self) -> None:
        self.events: list[Event] = []
        self._lock = threading.Lock()

    def handle_event(self, event: Event) -> None:
        with self._lock:
            self.events.append(event)

    def of(self, kind: type) -> list[Any]:
        return [e for e in self.events if isinstance(e, kind)]


def add(registry: Registry, check_id: str, func: Callable[[CheckContext], None], *, level: Level = Level.MUST,
        suites: tuple[str, ...] = ("rfc",), tags: tuple[str, ...] = (), area: str = "fake",
        requires: tuple[str, ...] = ()) -> None:
    """Register ``func`` as a check in ``registry`` (never the global one)."""
    check(id=check_id, title=f"fake check {check_id}", area=area, level=level, rests_on="test", fix="fix it",
          suites=suites, tags=tags, requires=requires, registry=registry)(func)


def passes(ctx: CheckContext) -> None:
    ctx.expect_status(ctx.get(ctx.users), 200)


def fails(ctx: CheckContext) -> None:
    ex = ctx.get(ctx.users)
    ctx.expect(ex.status == 299, 299, ex.status, ex, message="wanted 299")


def errors(ctx: CheckContext) -> None:
    raise RuntimeError("a bug in the check")


def skips(ctx: CheckContext) -> None:
    ctx.skip("not applicable here")


def creates_user(ctx: CheckContext) -> None:
    ctx.create_user()
    ctx.expect_status(ctx.get(ctx.users), 200)


def out_files(out: Path) -> list[Path]:
    return sorted(p for p in out.rglob("*") if p.is_file())
