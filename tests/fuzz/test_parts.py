"""Unit tests of the fuzzer's parts: read-back comparison, shrinking, findings, curl."""

from __future__ import annotations

import json
import shlex
from collections.abc import Callable

import httpx
import pytest

from harness.curl import curl_command
from harness.fuzz.findings import Finding, category_of, to_results
from harness.fuzz.scim_checks import contains_sent
from harness.fuzz.shrink import Replay, Replayer, replay_from, shrink
from harness.http import Auth, Target, TargetClient
from harness.results import Outcome


@pytest.mark.parametrize(("sent", "read", "same"), [
    ({"userName": "a"}, {"userName": "a", "id": "1"}, True),
    ({"userName": "a"}, {"username": "a"}, True),  # attribute names are case-insensitive (RFC 7643 §2.1)
    ({"userName": "a"}, {"userName": "A"}, False),
    ({"emails": [{"value": "x"}]}, {"emails": [{"value": "x", "primary": False}]}, True),
    ({"emails": [{"value": "x"}]}, {"emails": []}, False),
    ({"title": None, "emails": []}, {}, True),  # null and [] are unassigned (RFC 7643 §2.5)
    ({"members": [{}], "manager": {"value": None}}, {}, True),  # so are containers of nothing
    ({"members": [{}, {"value": "1"}]}, {"members": []}, False),
    ({"active": True}, {"active": 1}, False),
    ({"n": 1}, {"n": 1.0}, True),
    ({"t": "2020-01-01T00:00:00Z"}, {"t": "2020-01-01T00:00:00+00:00"}, True),
])
def test_contains_sent(sent: object, read: object, same: bool) -> None:
    assert contains_sent(sent, read) is same


def _reply(status: int, body: object = None) -> httpx.Response:
    # A streamed body, as a socket gives: TargetClient reads responses with iter_raw().
    return httpx.Response(status, stream=httpx.ByteStream(json.dumps(body).encode() if body is not None else b""))


def _client(answer: Callable[[httpx.Request], httpx.Response]) -> TargetClient:
    http = httpx.Client(transport=httpx.MockTransport(answer))
    return TargetClient(Target("http://t.example", Auth.bearer("s3cret-token")), http=http)


def test_shrink_finds_the_one_member_that_crashes_and_proves_it() -> None:
    seen: list[dict] = []

    def answer(request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        seen.append(body)
        return _reply(500 if "bad" in body else 400)

    client = _client(answer)
    replayer = Replayer(client, "fz-abc123-", {}, lambda template: None)
    first = Replay("POST", "/Users", "/Users", body={"schemas": ["u"], "userName": "fz-abc123-00001-x",
                                                      "bad": {"deep": [1, 2, 3]}, "title": "long title"})
    minimal, exchange, reproduced = shrink(replayer, first, lambda ex: ex.status == 500, budget=40)
    assert reproduced and exchange is not None and exchange.status == 500
    assert minimal.body == {"bad": {}}
    assert json.loads(exchange.request_body or "") == {"bad": {}}  # the evidence is the minimal request
    assert replayer.sent <= 40


def test_shrink_reports_a_failure_that_does_not_reproduce() -> None:
    client = _client(lambda request: _reply(400))
    replayer = Replayer(client, "fz-abc123-", {}, lambda template: None)
    first = Replay("POST", "/Users", "/Users", body={"a": 1})
    minimal, exchange, reproduced = shrink(replayer, first, lambda ex: ex.status == 500)
    assert (minimal, exchange, reproduced) == (first, None, False)


def test_shrink_replaces_a_vanished_id_with_a_fresh_fixture() -> None:
    def answer(request: httpx.Request) -> httpx.Response:
        return _reply(500 if request.url.path == "/Users/fresh" else 404)

    replayer = Replayer(_client(answer), "fz-abc123-", {}, lambda template: "fresh")
    first = Replay("PUT", "/Users/{id}", "/Users/gone", body={"x": 1})
    minimal, exchange, reproduced = shrink(replayer, first, lambda ex: ex.status == 500)
    assert reproduced and minimal.path == "/Users/fresh" and minimal.body == {}


def test_unique_names_are_fresh_and_prefixed_on_every_replay() -> None:
    bodies: list[dict] = []

    def answer(request: httpx.Request) -> httpx.Response:
        bodies.append(json.loads(request.content))
        return _reply(201, {"id": f"id{len(bodies)}"})

    created: dict[str, str] = {}
    replayer = Replayer(_client(answer), "fz-abc123-", created, lambda template: None)
    for _ in range(2):
        replayer.send(Replay("POST", "/Users", "/Users", body={"userName": "fz-abc123-00007-bob"}))
    names = [b["userName"] for b in bodies]
    assert names[0] != names[1] and all(n.startswith("fz-abc123-") and n.endswith("-bob") for n in names)
    assert set(created) == {"/Users/id1", "/Users/id2"}  # tracked for cleanup


def test_replay_from_keeps_path_query_and_raw_bodies() -> None:
    replay = replay_from("post", "/Users", "http://h/scim/Users?count=2&filter=a%20b", "/scim", b"not json", None)
    assert replay.path == "/Users" and replay.query == (("count", "2"), ("filter", "a b"))
    assert replay.raw == b"not json" and replay.body is None


def test_the_fuzz_curl_line_uses_the_variable_and_never_the_token() -> None:
    client = _client(lambda request: _reply(500))
    ex = client.post("/Users", json={"userName": "it's"})
    line = curl_command(ex)
    assert "s3cret-token" not in line and '"Authorization: Bearer $SCIM_TOKEN"' in line
    words = shlex.split(line)  # a valid shell line; the body survives quoting
    assert words[words.index("--data-binary") + 1] == '{"userName": "it\'s"}'


def test_findings_become_fail_results_with_the_reproducer_and_clean_families_pass() -> None:
    client = _client(lambda request: _reply(500))
    ex = client.post("/Users", json={"x": 1})
    finding = Finding(category=category_of("status_code_conformance", 500), method="POST", template="/Users",
                      message="Server error", status=500, checks={"not_a_server_error"}, evidence=[ex],
                      reproduced=True, original_size=300, minimal_size=8)
    results = to_results([finding], requests=100)
    failed = [r for r in results if r.outcome is Outcome.FAIL]
    assert len(failed) == 1 and failed[0].id == "fuzz.server-error:POST /Users"
    assert failed[0].level.value == "MUST" and failed[0].area == "fuzz"
    assert failed[0].exchange_ids == [ex.id] and "$SCIM_TOKEN" in failed[0].steps[0].message
    assert "fuzz.server-error" not in {r.id for r in results if r.outcome is Outcome.PASS}
    assert len(results) == 1 + 6  # the six other families passed


def test_progress_line_counts_in_the_right_number() -> None:
    import io

    from harness.fuzz.commands import _ProgressLine
    from harness.fuzz.runner import Progress

    out = io.StringIO()
    line = _ProgressLine(out)
    line(Progress(requests=1, failures=1, stage="done"))
    assert "1 request, " in out.getvalue() and "1 failing case" in out.getvalue() and "requests" not in out.getvalue()
