"""Bounds the harness keeps against a target: transient statuses are not judged, raw bodies are not hoarded."""

from __future__ import annotations

import httpx

from harness.checks import CheckContext, CheckSpec, Registry, check, run_check
from harness.discovery import Discovery
from harness.http import Auth, Target, TargetClient
from harness.results import Level, Outcome


def _client(status: int) -> TargetClient:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, headers={"Retry-After": "7"}, json={"detail": "slow down"})

    http = httpx.Client(transport=httpx.MockTransport(answer))
    return TargetClient(Target("http://t.example", Auth.bearer("tok-123456")), http=http)


def _spec() -> CheckSpec:
    registry = Registry()

    @check(id="t.list", title="list", area="t", level=Level.MUST, rests_on="RFC 7644 §3.4.2", fix="f", registry=registry)
    def listing(ctx: CheckContext) -> None:
        ctx.expect_status(ctx.get("/Users"), 200)

    return registry.get("t.list")


def test_429_is_not_judged_and_names_retry_after() -> None:
    client = _client(429)
    result = run_check(_spec(), CheckContext(client, Discovery(), "p-"))
    assert result.outcome is Outcome.ERROR
    assert "429" in result.message and "Retry-After: 7" in result.message


def test_a_real_wrong_status_still_fails() -> None:
    client = _client(404)
    result = run_check(_spec(), CheckContext(client, Discovery(), "p-"))
    assert result.outcome is Outcome.FAIL
    assert "404" in result.message


def test_the_transcript_does_not_hold_large_raw_bodies() -> None:
    from harness.recorder import Recorder

    recorder = Recorder(body_limit=1024)
    big = b"x" * 100_000
    ex = recorder.record(method="GET", url="http://t/Users", request_headers=[], request_body=None, status=200,
                         response_headers=[], response_body=big, elapsed_ms=1.0)
    assert ex.body == big  # the caller can still judge the whole body it read
    kept = recorder.get(ex.id)
    assert kept is not None and kept.body == b"" and kept.response_truncated
    assert kept.response_body is not None and len(kept.response_body) == 1024
