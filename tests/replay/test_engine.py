"""The replayer in-process: timing on an injected clock, stopping at a conflict, ids never learned."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from starlette.testclient import TestClient

from harness.clock import VirtualClock
from harness.http import Auth, Target
from harness.replay import ReplayOptions, Session, load_session, replay_session
from harness.results import Outcome
from reference_server.app import create_app
from reference_server.settings import ServerSettings

TOKEN = "engine-token"
TARGET = Target("http://testserver/", Auth.bearer(TOKEN))


@pytest.fixture
def http_for() -> Iterator[object]:
    clients: list[TestClient] = []

    def make(*quirks: str) -> TestClient:
        client = TestClient(create_app(ServerSettings(db=":memory:", tokens=(TOKEN,), quirks=quirks)),
                            base_url="http://testserver")
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()


def test_timing_keeps_the_recorded_gaps_on_the_injected_clock(http_for: object) -> None:
    session = load_session("jumpcloud")
    first = datetime.fromisoformat(session.exchanges[0].at.replace("Z", "+00:00"))
    last = datetime.fromisoformat(session.exchanges[-1].at.replace("Z", "+00:00"))
    for timing, factor in (("keep", 1), ("10x", 10)):
        start = datetime(2026, 1, 5, tzinfo=timezone.utc)
        clock = VirtualClock(start)
        run = replay_session(session, TARGET, ReplayOptions(timing=timing), http=http_for(), clock=clock)  # type: ignore[operator]
        assert run.exit_code == 0
        waited = clock.now() - start
        assert abs(waited - (last - first) / factor) < timedelta(milliseconds=5), (timing, waited)
    clock = VirtualClock(start)
    replay_session(session, TARGET, ReplayOptions(timing="none"), http=http_for(), clock=clock)  # type: ignore[operator]
    assert clock.now() == start
    with pytest.raises(ValueError, match="--timing"):
        ReplayOptions(timing="fast")


def test_on_conflict_stop_sends_nothing_after_the_first_divergence(http_for: object) -> None:
    run = replay_session(load_session("entra-legacy"), TARGET, ReplayOptions(on_conflict="stop"),
                         http=http_for("reject-string-booleans"))  # type: ignore[operator]
    outcomes = [r.outcome for r in run.results]
    first = outcomes.index(Outcome.FAIL)
    assert outcomes[:first] == [Outcome.PASS] * first
    assert outcomes[first + 1:] and set(outcomes[first + 1:]) == {Outcome.SKIP}
    assert run.replay and run.replay["sent"] == first + 1 and run.exit_code == 1


def test_a_request_naming_an_id_never_learned_is_reported_not_sent(http_for: object) -> None:
    full = load_session("entra-legacy")
    # the session without its creates: the later PATCHes and DELETE name ids nobody learned
    session = Session(full.name, full.source, full.form,
                      tuple(r for r in full.exchanges if not (r.method == "POST" or "filter=" in r.query)),
                      full.user_agent)
    run = replay_session(session, TARGET, ReplayOptions(), http=http_for())  # type: ignore[operator]
    unsent = [r for r in run.results if "never learned" in r.message]
    assert unsent and all(r.outcome is Outcome.ERROR and len(r.exchange_ids) == 1 for r in unsent)
    assert "Not sent" in unsent[0].idp_impact
    sent_paths = [e.url for e in run.exchanges if e.id.startswith("ex-")]
    recorded_ids = {r.path.rsplit("/", 1)[-1] for r in session.exchanges if r.path.count("/") == 2}
    assert not any(i in url for url in sent_paths for i in recorded_ids)  # no recorded id went out
    assert run.exit_code == 1


def test_after_a_failed_create_the_dependent_requests_are_skipped_with_the_cause(http_for: object) -> None:
    session = load_session("jumpcloud")
    # the group's create, replayed without its displayName, is refused (400 where 201 was recorded)
    create = next(r for r in session.exchanges if r.method == "POST" and r.path == "/Groups" and r.index > 5)
    broken = replace(create, request_body=json.dumps({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"]}))
    exchanges = tuple(broken if r is create else r for r in session.exchanges
                      if not (r.method == "GET" and r.path == "/Groups"))  # no lookup that could learn it either
    run = replay_session(Session("jc", "x", "recordings", exchanges, session.user_agent), TARGET, ReplayOptions(),
                         http=http_for())  # type: ignore[operator]
    failed = next(r for r in run.results if r.id == f"replay.{create.index:04d}")
    assert failed.outcome is Outcome.FAIL and "replayed 400" in failed.message
    unsent = [r for r in run.results if "never learned" in r.message]
    assert unsent and all(r.outcome is Outcome.SKIP and f"#{create.index}" in r.message for r in unsent)
    assert all(r.title.startswith(("PATCH /Groups/", "GET /Groups/")) for r in unsent)
    assert run.replay and run.replay["not_sent"] == len(unsent)


def test_refused_credentials_mean_could_not_test(http_for: object) -> None:
    run = replay_session(load_session("entra"), Target("http://testserver/", Auth.bearer("wrong-token")),
                         ReplayOptions(), http=http_for())  # type: ignore[operator]
    assert run.exit_code == 2 and "refused the credentials" in run.message
    assert run.replay and run.replay["sent"] == 1 and run.replay["divergences"] == 0
    assert "wrong-token" not in json.dumps(run.to_dict())


def test_a_replays_own_results_replay_again(http_for: object, tmp_path: object) -> None:
    from pathlib import Path

    first = replay_session(load_session("jumpcloud"), TARGET, ReplayOptions(), http=http_for())  # type: ignore[operator]
    path = Path(str(tmp_path)) / "results.json"
    path.write_text(json.dumps(first.to_dict()))
    again = load_session(path)
    assert again.form == "results" and len(again.exchanges) == len(load_session("jumpcloud").exchanges)
    second = replay_session(again, TARGET, ReplayOptions(compare="strict"), http=http_for())  # type: ignore[operator]
    assert second.exit_code == 0 and second.replay and second.replay["ids_unmapped"] == 0
