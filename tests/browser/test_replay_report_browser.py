"""A replay's HTML report in headless Chromium: each replayed exchange's evidence is the recorded
exchange and the replayed one side by side (two columns), and nothing runs but our own script.

The replay is real: a bundled Entra session replayed in-process against the reference server
with a quirk that makes it diverge, and a recorded answer carrying a script payload.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from starlette.testclient import TestClient

from harness.http import Auth, Target
from harness.replay import ReplayOptions, load_session, replay_session
from harness.results import Outcome, RunResult
from reference_server.app import create_app
from reference_server.settings import ServerSettings
from reports.html import write_html
from tests.browser.chromium import ARTIFACTS, browser, open_page, require_browser
from tests.browser.test_report_browser import DOM_PROBE

pytestmark = pytest.mark.browser

TOKEN = "replay-report-token"
PAYLOAD = '<img src=x onerror="window.__pwned=1"><script>window.__pwned=2</script>'


def _replayed(tmp_path: Path) -> RunResult:
    full = load_session("entra-legacy")
    first = full.exchanges[0]
    # a recorded answer a hostile recording could hold: shown as text, never run
    poisoned = replace(first, response_body=(first.response_body or "") + PAYLOAD)
    session = replace(full, exchanges=(poisoned, *full.exchanges[1:]))
    app = create_app(ServerSettings(db=str(tmp_path / "s.db"), tokens=(TOKEN,), quirks=("reject-string-booleans",)))
    with TestClient(app, base_url="http://testserver") as http:
        return replay_session(session, Target("http://testserver/", Auth.bearer(TOKEN)), ReplayOptions(), http=http)


def test_recorded_and_replayed_exchanges_are_side_by_side(tmp_path: Path) -> None:
    require_browser()
    run = _replayed(tmp_path)
    failed = [r for r in run.results if r.outcome is Outcome.FAIL]
    assert failed, "the quirk makes the replay diverge"
    path = write_html(run, tmp_path / "replay.html")
    with browser() as context:
        watch = open_page(context, path.as_uri())
        page = watch.page
        page.set_viewport_size({"width": 1280, "height": 900})
        page.click("#expand")
        page.wait_for_timeout(150)  # a late onerror payload gets its chance
        probe = page.evaluate(DOM_PROBE)
        assert probe["pwned"] is None and probe["ready"] == "1" and probe["scripts"] == 1
        assert probe["handlers"] == 0 and probe["foreign"] == 0
        assert PAYLOAD[:20] in probe["text"], "the payload is shown as text"
        layout = page.evaluate("""() => Array.from(document.querySelectorAll('.pair')).map(p => {
            const sides = Array.from(p.querySelectorAll(':scope > .side')).map(s => s.getBoundingClientRect());
            return {columns: getComputedStyle(p).gridTemplateColumns.split(' ').length,
                    sides: sides.length, labels: Array.from(p.querySelectorAll('h5')).map(h => h.innerText),
                    ids: Array.from(p.querySelectorAll('summary .muted:first-child')).map(s => s.innerText),
                    leftEnd: sides[0].right, rightStart: sides[1].left, sameTop: Math.abs(sides[0].top - sides[1].top) < 2};
        })""")
        page.locator(".pair").first.scroll_into_view_if_needed()
        page.screenshot(path=str(ARTIFACTS / "report-replay-side-by-side.png"))
        # narrow: one above the other
        page.set_viewport_size({"width": 600, "height": 900})
        narrow = page.evaluate("() => getComputedStyle(document.querySelector('.pair')).gridTemplateColumns.split(' ').length")
    checks_with_two = [r for r in run.results if len(r.exchange_ids) == 2]
    assert len(layout) == len(checks_with_two) > 0
    for pair in layout:
        assert pair["columns"] == 2 and pair["sides"] == 2 and pair["labels"] == ["Recorded", "Replayed"]
        assert pair["ids"][0].startswith("rec-") and pair["ids"][1].startswith("ex-")
        assert pair["leftEnd"] <= pair["rightStart"] and pair["sameTop"]
    assert narrow == 1
