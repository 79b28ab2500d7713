"""The live page in headless Chromium: it follows events as they are published, shows a
hostile path as text, and polls only its own server."""

from __future__ import annotations

import pytest

from harness.clock import VirtualClock
from reports.live import FeedRecorder, LiveFeed, LiveServer
from tests.browser.chromium import ARTIFACTS, browser, open_page, require_browser
from tests.reports.fixtures import HOSTILE, record

pytestmark = [pytest.mark.browser, pytest.mark.socket]


def test_live_page_follows_the_demo() -> None:
    require_browser()
    clock = VirtualClock()
    feed = LiveFeed(clock)
    with LiveServer(feed) as server, browser() as context:
        watch = open_page(context, server.url, allow=(server.url,))
        page = watch.page
        feed.publish("phase", text="running the conformance suite")
        rec = FeedRecorder(feed, "suite", clock=clock)
        for i in range(30):
            record(rec, "GET" if i % 3 else "POST", f"/Users?n={i}" + (HOSTILE[1] if i == 7 else ""), 200 if i % 5 else 404)
        for i, outcome in enumerate(["pass"] * 8 + ["fail", "warn", "error"]):
            feed.publish("check", id=f"c{i}", title=f"check {i} " + (HOSTILE[0] if i == 8 else ""), outcome=outcome)
        for c in range(10):
            feed.publish("cycle", cycleId=f"cy{c}", kind="initial" if c == 0 else "incremental",
                         counts={"create": 40 if c == 0 else c % 3, "update": c % 4, "disable": c % 2, "delete": 0, "failure": 1 if c == 6 else 0},
                         escrowed=1 if c == 6 else 0, quarantined=c in (7, 8))
        page.wait_for_function("() => Number(document.documentElement.dataset.seq || 0) >= 52", timeout=10000)
        assert page.inner_text("#n-req") == "30"
        assert page.inner_text("#n-cycles") == "10"
        assert page.inner_text("#n-fail") == "1"
        assert HOSTILE[1] in page.inner_text("#traffic")  # shown as text
        assert HOSTILE[0] in page.inner_text("#checks")
        assert page.evaluate("() => window.__pwned === undefined")
        assert page.evaluate("() => document.querySelectorAll('img, script').length") == 1
        feed.publish("done", text="Report: /tmp/demo/report.html")
        page.wait_for_selector("#done:not([hidden])", timeout=10000)
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "live-page.png"), full_page=True)
        assert not [m for m in watch.console if "Content Security Policy" in m], watch.console
        assert all(r.startswith(server.url) for r in watch.requests), watch.requests
        page.close()


def test_an_error_a_check_expected_is_not_counted_as_gone_wrong() -> None:
    """A correct /Me -> 501 (the server does not support /Me, and the check wants exactly that)
    must not show as a red 5xx in front of a prospect; a 500 nobody asked for still does."""
    require_browser()
    feed = LiveFeed(VirtualClock())
    with LiveServer(feed) as server, browser() as context:
        page = open_page(context, server.url, allow=(server.url,)).page
        feed.publish("exchange", source="suite", method="GET", path="/Me", status=501, error="", ms=None)
        feed.publish("exchange", source="suite", method="GET", path="/Users/abc", status=500, error="", ms=None)
        feed.publish("exchange", source="suite", method="GET", path="/Users/nope", status=404, error="", ms=None)
        feed.publish("check", id="me.not-supported", title="/Me", outcome="pass",
                     expected=[{"method": "GET", "path": "/Me", "status": 501}])
        feed.publish("check", id="x.broken", title="broken", outcome="fail", expected=[])
        page.wait_for_function("() => Number(document.documentElement.dataset.seq || 0) >= 5", timeout=10000)
        assert page.inner_text("#n-5xx") == "1", "only the 500 nobody expected"
        assert page.inner_text("#n-4xx") == "1"
        assert page.inner_text("#n-exp") == "1"
        assert "501 expected" in page.inner_text("#traffic tr.expected")
        page.close()
