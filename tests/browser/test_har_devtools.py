"""The HAR files the harness writes load in Chromium's own DevTools HAR importer.

Debian's Chromium ships the DevTools front end (``devtools://devtools/bundled/``); its
``models/har`` module is the code behind "Import HAR file" in the Network panel. Each HAR is
parsed with ``HARFormat.HARRoot`` and turned into network requests by
``Importer.requestsFromHARLog``, exactly what the panel does with a dropped file.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from starlette.testclient import TestClient

from harness.har import write_har
from harness.http import Auth, Target
from harness.replay import ReplayOptions, load_session, replay_session
from harness.replay.commands import on_the_wire
from reference_server.app import create_app
from reference_server.export import recordings_to_har
from reference_server.settings import ServerSettings
from tests.browser.chromium import CHROMIUM, FLAGS, require_browser

pytestmark = pytest.mark.browser

IMPORT = """async (har) => {
  try {
    const m = await import('./models/har/har.js');
    const root = new m.HARFormat.HARRoot(har);
    const requests = m.Importer.Importer.requestsFromHARLog(root.log);
    return {ok: true, requests: requests.map(r => [r.requestMethod, r.url(), r.statusCode, r.requestHeaders().length,
                                                 r.mimeType, r.resourceSize])};
  } catch (e) { return {ok: false, error: String(e)}; }
}"""


def import_in_devtools(docs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    require_browser()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=FLAGS)
        try:
            page = browser.new_page()
            page.goto("devtools://devtools/bundled/devtools_app.html", timeout=30_000)
            return [page.evaluate(IMPORT, doc) for doc in docs]
        finally:
            browser.close()


def test_harness_and_recorder_har_files_load_in_the_devtools_importer(tmp_path: Path) -> None:
    app = create_app(ServerSettings(db=":memory:", tokens=("devtools-token",), quirks=("reject-string-booleans",)))
    with TestClient(app, base_url="http://testserver") as http:
        run = replay_session(load_session("entra-legacy"), Target("http://testserver/", Auth.bearer("devtools-token")),
                             ReplayOptions(), http=http)
    app.flush()
    recorded = recordings_to_har(app.store.recordings(limit=1000), comment="devtools test")
    app.close()
    sent = on_the_wire(run).exchanges
    har = json.loads(write_har(on_the_wire(run), tmp_path / "x.har").read_text())
    broken = json.loads(json.dumps(har))
    del broken["log"]["entries"][0]["request"]
    ours, theirs, bad = import_in_devtools([har, recorded, broken])
    assert ours["ok"] and theirs["ok"], (ours, theirs)
    assert len(ours["requests"]) == len(sent) == 24 and len(theirs["requests"]) == 24
    method, url, status, headers, mime, size = ours["requests"][15]
    assert (method, status, mime) == ("PATCH", 400, "application/scim+json") and url.startswith("http://testserver/Users/")
    assert headers >= 3 and size > 0
    assert not bad["ok"]  # the importer is a real check: a HAR without a request is refused
