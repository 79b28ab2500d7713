"""Cursor pagination (RFC 9865) on the reference server, over a real socket, and the suite's
cursor checks against it: PASS when advertised, SKIP with the reason when not."""

from __future__ import annotations

from datetime import timedelta

import httpx
import pytest

import scenarios  # noqa: F401 - registers the checks
from harness.clock import VirtualClock
from harness.http import Auth, Target, TargetClient
from harness.results import Outcome
from reference_server.app import create_app
from reference_server.settings import ServerSettings
from tests.live import serve
from tests.scenarios import faults as f
from tests.server.helpers import AUTH, TOKEN, USER
from tests.support import run_one

pytestmark = pytest.mark.socket
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
CURSOR_CHECKS = ("cursor.config-shape", "cursor.count-limits", "cursor.next-cursor", "cursor.walk-all",
                 "cursor.invalid-cursor")


@pytest.fixture
def live(clock: VirtualClock):
    app = create_app(ServerSettings(tokens=(TOKEN,), clock=clock.now, cursor_timeout=60))
    with serve(app) as url, httpx.Client(base_url=url, headers=AUTH, timeout=10) as http:
        for k in range(7):
            assert http.post("/Users", json={"schemas": [USER], "userName": f"cur{k}@x.org"}).status_code == 201
        yield http


def _walk(http: httpx.Client, count: int, **extra: str) -> tuple[list[str], list[dict]]:
    seen: list[str] = []
    pages: list[dict] = []
    params = {"filter": 'userName sw "cur"', "count": str(count), "cursor": "", **extra}
    for _ in range(20):
        page = http.get("/Users", params=params).json()
        pages.append(page)
        seen += [r["id"] for r in page["Resources"]]
        if "nextCursor" not in page:
            return seen, pages
        params["cursor"] = page["nextCursor"]
    raise AssertionError("the cursor walk did not end")


def test_the_spc_advertises_both_methods_with_index_the_default(live):
    pagination = live.get("/ServiceProviderConfig").json()["pagination"]
    assert pagination == {"cursor": True, "index": True, "defaultPaginationMethod": "index",
                          "defaultPageSize": 200, "maxPageSize": 200, "cursorTimeout": 60}


def test_a_cursor_walk_returns_every_match_once_and_the_last_page_has_no_next_cursor(live):
    seen, pages = _walk(live, 3)
    assert len(seen) == len(set(seen)) == 7 and [len(p["Resources"]) for p in pages] == [3, 3, 1]
    assert all("startIndex" not in p and p["totalResults"] == 7 for p in pages)
    assert "previousCursor" not in pages[0] and all("previousCursor" in p for p in pages[1:])
    back = live.get("/Users", params={"filter": 'userName sw "cur"', "count": "3",
                                      "cursor": pages[2]["previousCursor"]}).json()
    assert [r["id"] for r in back["Resources"]] == seen[3:6]


def test_index_paging_is_unchanged_and_is_the_default(live):
    page = live.get("/Users", params={"filter": 'userName sw "cur"', "count": "3", "startIndex": "4"}).json()
    assert page["startIndex"] == 4 and page["itemsPerPage"] == 3 and "nextCursor" not in page


def test_search_and_root_queries_page_by_cursor_too(live):
    body = {"schemas": [SEARCH], "filter": 'userName sw "cur"', "count": 5, "cursor": ""}
    first = live.post("/Users/.search", json=body).json()
    second = live.post("/Users/.search", json={**body, "cursor": first["nextCursor"]}).json()
    assert len(first["Resources"]) == 5 and len(second["Resources"]) == 2 and "nextCursor" not in second
    root = live.get("/", params={"filter": 'userName sw "cur"', "count": "4", "cursor": ""}).json()
    assert len(root["Resources"]) == 4 and root["nextCursor"]


@pytest.mark.parametrize("cursor", ["made-up", "a.b", "x" * 600, "WzIsIDBd.AAAA"])
def test_a_cursor_the_server_never_issued_is_400_invalid_cursor(live, cursor):
    r = live.get("/Users", params={"cursor": cursor, "count": "2"})
    assert r.status_code == 400 and r.json()["scimType"] == "invalidCursor"


def test_a_cursor_is_bound_to_its_query_and_expires(live, clock):
    _, pages = _walk(live, 3)
    moved = live.get("/Users", params={"filter": 'userName sw "cu"', "count": "3", "cursor": pages[0]["nextCursor"]})
    assert moved.status_code == 400 and moved.json()["scimType"] == "invalidCursor"
    clock.advance(timedelta(seconds=61).total_seconds())
    late = live.get("/Users", params={"filter": 'userName sw "cur"', "count": "3", "cursor": pages[0]["nextCursor"]})
    assert late.status_code == 400 and late.json()["scimType"] == "expiredCursor"


def test_count_zero_gives_the_total_only_and_a_changed_count_is_400_invalid_count(live):
    for count in ("0", "-4"):
        page = live.get("/Users", params={"cursor": "", "count": count}).json()
        assert page["Resources"] == [] and page["totalResults"] == 7 and "nextCursor" not in page
    _, pages = _walk(live, 3)
    r = live.get("/Users", params={"filter": 'userName sw "cur"', "count": "4", "cursor": pages[0]["nextCursor"]})
    assert r.status_code == 400 and r.json()["scimType"] == "invalidCount"


def _client(url: str) -> TargetClient:
    return TargetClient(Target(url, Auth.bearer(TOKEN)))


def test_the_cursor_checks_pass_over_a_socket():
    with serve(create_app(ServerSettings(tokens=(TOKEN,)))) as url:
        client = _client(url)
        results = {c: run_one(c, client) for c in CURSOR_CHECKS}
    assert {c: r.outcome for c, r in results.items()} == {c: Outcome.PASS for c in CURSOR_CHECKS}


def _without_pagination(body):
    body.pop("pagination", None)
    return body


def _cursor_false(body):
    body["pagination"]["cursor"] = False
    return body


@pytest.mark.parametrize("edit, reason", [(_without_pagination, "no pagination member"),
                                          (_cursor_false, "does not advertise pagination.cursor: true")])
def test_the_cursor_checks_skip_with_the_reason_when_not_advertised(edit, reason):
    app = f.edit_json(edit, "GET", r"/ServiceProviderConfig")(create_app(ServerSettings(tokens=(TOKEN,))))
    with serve(app) as url:
        client = _client(url)
        results = [run_one(c, client) for c in CURSOR_CHECKS if c != "cursor.config-shape"]
    assert all(r.outcome is Outcome.SKIP and reason in r.message for r in results), [r.message for r in results]
