"""The live page during a real demo run, in headless Chromium: it shows the suite's checks,
the traffic and the simulator's cycles as they happen, then says where the reports are."""

from __future__ import annotations

import threading
from pathlib import Path

import pytest

from reports.demo import DemoConfig, DemoOutcome, run_demo
from tests.browser.chromium import ARTIFACTS, browser, open_page, require_browser

pytestmark = [pytest.mark.browser, pytest.mark.socket, pytest.mark.slow]


def test_live_page_during_a_real_demo(tmp_path: Path) -> None:
    require_browser()
    url_ready = threading.Event()
    lines: list[str] = []
    finished: list[DemoOutcome | BaseException] = []

    def echo(line: str) -> None:
        lines.append(line)
        if line.startswith("Live page: "):
            url_ready.set()

    def demo() -> None:
        try:
            # slow enough to watch a few cycles; linger so the page can fetch the last events
            finished.append(run_demo(DemoConfig(out=tmp_path / "out", open_browser=False, users=10, groups=2,
                                                speed=40000.0, linger=2.0), echo=echo))
        except BaseException as exc:  # noqa: BLE001 - reported by the assertion below
            finished.append(exc)
            url_ready.set()

    thread = threading.Thread(target=demo, daemon=True)
    thread.start()
    assert url_ready.wait(30), lines
    url = next(line.split(": ", 1)[1] for line in lines if line.startswith("Live page: "))
    with browser() as context:
        watch = open_page(context, url, allow=(url,))
        page = watch.page
        page.wait_for_selector("#done:not([hidden])", timeout=90_000)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "live-demo.png"), full_page=True)
        assert int(page.inner_text("#n-req")) > 50
        assert int(page.inner_text("#n-pass")) > 10
        assert int(page.inner_text("#n-cycles")) > 1
        assert "report.html" in page.inner_text("#done")
        assert all(r.startswith(url) for r in watch.requests), watch.requests
        assert not [m for m in watch.console if "Content Security Policy" in m]
    thread.join(60)
    assert finished and isinstance(finished[0], DemoOutcome), finished
