"""The live page's server: events after a sequence number, bounded, escaped by construction."""

from __future__ import annotations

from html import unescape

import httpx
import pytest
from starlette.testclient import TestClient

from harness.clock import VirtualClock
from reports.live import FeedRecorder, LiveFeed, LiveServer, create_live_app
from tests.reports.fixtures import HOSTILE, TOKEN, record


def test_events_are_served_after_a_sequence_number(clock: VirtualClock) -> None:
    feed = LiveFeed(clock)
    client = TestClient(create_live_app(feed))
    feed.publish("phase", text="starting")
    feed.publish("check", id="a", title="A", outcome="pass")
    first = client.get("/events?after=0").json()
    assert [e["type"] for e in first["events"]] == ["phase", "check"] and first["next"] == 2 and not first["done"]
    feed.publish("done", text="bye")
    second = client.get(f"/events?after={first['next']}").json()
    assert [e["type"] for e in second["events"]] == ["done"] and second["done"]
    assert client.get("/events?after=x").status_code == 400


def test_the_feed_is_bounded(clock: VirtualClock) -> None:
    feed = LiveFeed(clock, keep=10)
    for i in range(25):
        feed.publish("phase", text=str(i))
    events = feed.after(0, limit=100)
    assert len(events) == 10 and events[0]["seq"] == 16


def test_feed_recorder_publishes_redacted_exchanges(clock: VirtualClock) -> None:
    from harness.redact import Redactor

    feed = LiveFeed(clock)
    rec = FeedRecorder(feed, "suite", Redactor([TOKEN]), clock)
    record(rec, "GET", "/Users?filter=" + TOKEN + HOSTILE[0], 200, {"x": TOKEN})
    (event,) = feed.after(0)
    assert event["type"] == "exchange" and event["method"] == "GET" and event["status"] == 200
    assert TOKEN not in str(event) and "[REDACTED]" in event["path"]
    assert "body" not in event  # bodies never reach the live page


def test_page_is_self_contained_with_a_strict_policy(clock: VirtualClock) -> None:
    client = TestClient(create_live_app(LiveFeed(clock)))
    page = client.get("/")
    assert page.status_code == 200
    html = unescape(page.text)
    assert "connect-src 'self'" in html and "default-src 'none'" in html and "unsafe" not in html
    assert "innerHTML" not in html and "http://" not in html.replace("http://www.w3.org/2000/svg", "")


@pytest.mark.socket
def test_live_server_listens_on_loopback(clock: VirtualClock) -> None:
    feed = LiveFeed(clock)
    feed.publish("phase", text="hello")
    with LiveServer(feed) as server:
        assert server.url.startswith("http://127.0.0.1:")
        answer = httpx.get(server.url + "events?after=0", timeout=5)
        assert answer.json()["events"][0]["text"] == "hello"


def test_cycle_watcher_follows_an_appended_log(tmp_path, clock: VirtualClock) -> None:  # type: ignore[no-untyped-def]
    import json as jsonlib

    from reports.live_sources import CycleWatcher

    log = tmp_path / "provisioning.jsonl"
    feed = LiveFeed(clock)
    watcher = CycleWatcher(feed, log)
    watcher.poll()  # no file yet: nothing, no error
    assert feed.after(0) == []

    def line(cycle: str, action: str, status: str = "success") -> str:
        return jsonlib.dumps({"cycleId": cycle, "provisioningAction": action, "status": status}) + "\n"

    with log.open("w") as handle:
        handle.write(line("c1", "create") * 3 + line("c1", "update", "failure"))
        handle.write(line("c2", "disable")[:10])  # half a line: not counted yet
        handle.flush()
        watcher.poll()
        events = feed.after(0)
        assert [(e["cycleId"], e["kind"], e["counts"]["create"], e["counts"]["failure"]) for e in events] == [("c1", "initial", 3, 1)]
        handle.write(line("c2", "disable")[10:] + line("c2", "other"))
        handle.flush()
        watcher.poll()
    later = feed.after(events[-1]["seq"])
    assert [(e["cycleId"], e["kind"], e["counts"]["disable"], e["counts"]["other"]) for e in later] == [("c2", "incremental", 1, 1)]
    assert events[0]["counts"]["create"] == 3  # published copies do not change afterwards
    watcher.final([{"cycleId": "c1", "kind": "initial"}, "junk"])
    assert feed.after(later[-1]["seq"])[0]["cycles"] == [{"cycleId": "c1", "kind": "initial"}]


@pytest.mark.socket
def test_watching_client_publishes_each_answer_redacted(clock: VirtualClock) -> None:
    from starlette.applications import Starlette
    from starlette.responses import JSONResponse
    from starlette.routing import Route

    from harness.redact import Redactor
    from reports.live_sources import watching_client
    from tests.live import serve

    async def users(request):  # type: ignore[no-untyped-def]
        return JSONResponse({"Resources": []}, status_code=404)

    feed = LiveFeed(clock)
    with serve(Starlette(routes=[Route("/Users", users)])) as base, \
            watching_client(feed, "idp", Redactor([TOKEN])) as client:
        client.get(f"{base}/Users", params={"filter": f'userName eq "{TOKEN}"'})
    (event,) = feed.after(0)
    assert event["source"] == "idp" and event["method"] == "GET" and event["status"] == 404
    assert TOKEN not in event["path"] and event["path"].startswith("/Users?filter=")


def test_the_demo_tells_the_page_which_error_answers_a_passing_check_expected() -> None:
    from harness.events import CheckFinished
    from harness.recorder import Recorder
    from harness.results import CheckResult, Level, Outcome
    from reports.demo import expected_answers

    rec = Recorder()
    me = rec.record(method="GET", url="http://t/scim/v2/Me", request_headers=[], request_body=None, status=501,
                    response_headers=[], response_body=b"", elapsed_ms=1.0, error=None)
    ok = rec.record(method="GET", url="http://t/scim/v2/Users?count=1", request_headers=[], request_body=None,
                    status=200, response_headers=[], response_body=b"", elapsed_ms=1.0, error=None)
    result = CheckResult(id="me", title="me", area="a", level=Level.MUST, outcome=Outcome.PASS, rests_on="r", fix="f")
    event = CheckFinished(at="t", index=0, total=1, result=result, exchanges=(me, ok))
    assert expected_answers(event) == [{"method": "GET", "path": "/scim/v2/Me", "status": 501}]
