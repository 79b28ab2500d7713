"""Headless Chromium for the browser tests, driven by the ``playwright`` Python package.

We use Debian's ``chromium`` (``/usr/bin/chromium``) through ``executable_path``; no browser
is ever downloaded (no ``playwright install``). Why playwright rather than raw CDP: request
interception (``context.route``), console/CSP messages and screenshots are one call each,
and it speaks the same DevTools protocol to the same binary.

If Chromium or playwright is missing, browser tests skip with the reason, except in CI
(``CI`` set), where they fail: a CI run must not pass without having looked.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

CHROMIUM = os.environ.get("SCIM_HARNESS_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
FLAGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-dev-shm-usage",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def unavailable() -> str | None:
    """Why the browser tests cannot run here, or ``None``."""
    if not Path(CHROMIUM).exists():
        return f"chromium is not installed ({CHROMIUM}); `make browser` or `apt-get install chromium`"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright package is not installed (pip install playwright; it uses /usr/bin/chromium)"
    return None


def require_browser() -> None:
    """Skip (or, in CI, fail) when the browser cannot run."""
    reason = unavailable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"browser tests must run in CI: {reason}")
        pytest.skip(reason)


@dataclass
class PageWatch:
    """What a page did: every request it tried, console messages, page errors."""

    page: Any
    requests: list[str] = field(default_factory=list)
    console: list[str] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    failed: dict[str, str] = field(default_factory=dict)  # url -> why it failed ("csp", aborted...)


@contextlib.contextmanager
def browser() -> Iterator[Any]:
    """A headless Chromium with a fresh profile directory."""
    from playwright.sync_api import sync_playwright

    profile = tempfile.mkdtemp(prefix="sh-chromium-")
    try:
        with sync_playwright() as pw:
            context = pw.chromium.launch_persistent_context(
                profile,
                executable_path=CHROMIUM,
                headless=True,
                args=FLAGS,
                viewport={"width": 1280, "height": 900},
                offline=False,
            )
            try:
                yield context
            finally:
                context.close()
    finally:
        shutil.rmtree(profile, ignore_errors=True)


def open_page(context: Any, url: str, allow: tuple[str, ...] = ()) -> PageWatch:
    """Open ``url`` with every request recorded; only ``url`` and ``allow`` prefixes are served.

    Anything else is aborted *and* recorded, so a test can assert that nothing left the page.
    """
    page = context.new_page()
    watch = PageWatch(page)

    def route(route: Any) -> None:
        target = route.request.url
        watch.requests.append(target)
        if target == url or any(target.startswith(a) for a in allow):
            route.continue_()
        else:
            route.abort()

    page.route("**/*", route)
    page.on("request", lambda r: r.url not in watch.requests and watch.requests.append(r.url))
    page.on("console", lambda m: watch.console.append(f"{m.type}: {m.text}"))
    page.on("requestfailed", lambda r: watch.failed.__setitem__(r.url, str(r.failure)))
    page.on("pageerror", lambda e: watch.errors.append(str(e)))
    page.goto(url, wait_until="load")
    return watch
