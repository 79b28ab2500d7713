"""The load report in headless Chromium: the style is allowed by its hash, both plots draw,
target text stays text, and the page loads nothing else."""

from __future__ import annotations

from pathlib import Path

import pytest

from mock_idp.load import LoadConfig
from mock_idp.load.outcome import judge
from mock_idp.load.tenant import TenantReport
from reports.load_report import write_load_html
from tests.browser.chromium import ARTIFACTS, browser, open_page, require_browser

pytestmark = pytest.mark.browser

PAYLOAD = '<img src=x onerror="window.__pwned=1">'


def test_load_report_renders_in_chromium(tmp_path: Path) -> None:
    require_browser()
    tenants = [TenantReport(i, "entra", f"lt1-t{i:04d}-", True, requests=50, predicted="soon" if i == 1 else None,
                            initial_seconds=300.0, documented_seconds=(60.0, 480.0)).to_dict() for i in range(3)]
    raw = {"total": {"requests": 150, "failures": 3, "p95_ms": 40}, "tenants": tenants, "elapsed_s": 10,
           "started_at": 0, "finished_at": 10, "errors": [{"method": "GET", "name": "GET Users", "error": PAYLOAD,
                                                            "occurrences": 3}],
           "timeline": [{"t": t, "rps": 10 + t, "fail_rps": 0, "p50": 2, "p95": 5 + t, "p99": 9 + t} for t in (2, 4, 6)],
           "shapes": [{"name": "GET Users filter userName eq", "method": "GET", "requests": 150}]}
    run, load = judge(raw, LoadConfig("http://x/", cycles=1), options={"pace": "fast", "tenants": 3}, cleanup=None)
    url = write_load_html({**run.to_dict(), "load": load}, tmp_path / "report.html").as_uri()
    with browser() as context:
        watch = open_page(context, url)
        page = watch.page
        probe = page.evaluate("""() => ({pwned: window.__pwned || null, text: document.body.innerText,
            lines: document.querySelectorAll('svg polyline').length,
            color: getComputedStyle(document.querySelector('.verdict')).backgroundColor,
            risk: document.querySelectorAll('tr.risk').length})""")
        page.screenshot(path=str(ARTIFACTS / "load-report.png"), full_page=True)
    assert probe["pwned"] is None and PAYLOAD in probe["text"]
    assert probe["lines"] == 5 and probe["risk"] >= 1
    assert probe["color"] != "rgba(0, 0, 0, 0)", "the stylesheet was blocked (CSP hash wrong?)"
    assert "1 tenant(s) at risk of quarantine" in probe["text"]
    assert not [m for m in watch.console if "Content Security Policy" in m], watch.console
    assert [r for r in watch.requests if r != url and not r.startswith("data:")] == []
