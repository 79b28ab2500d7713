"""run_suite: ordering, exit codes, selection, workers, the run timeout, could-not-test, events.

Fake checks live in a private Registry; the target is tests/harness/fakes.py in-process
(Starlette TestClient), except where a real socket is the point.
"""

from __future__ import annotations

import threading
import time
from pathlib import Path

import httpx
import pytest

from harness.checks import CheckContext, Registry
from harness.events import CheckFinished, CheckStarted, DiscoveryFinished, Notice, RunFinished, RunStarted
from harness.results import Level, Outcome
from harness.runner import exit_code_for, run_suite
from reports.json_writer import JsonWriter, load_results
from tests.harness.fakes import FakeScim
from tests.harness.support import TOKEN, Capture, add, config_for, creates_user, errors, fails, inprocess, passes, skips
from tests.live import free_port, serve


def run(registry: Registry, fake: FakeScim | None = None, **kw: object):  # type: ignore[no-untyped-def]
    fake = fake or FakeScim(token=TOKEN)
    capture = Capture()
    handlers = [capture, *kw.pop("handlers", [])]  # type: ignore[list-item]
    url = str(kw.pop("url", "http://localhost"))  # the TestClient answers for any host
    result = run_suite(config_for(url, **kw), registry=registry, handlers=handlers,
                       http=inprocess(fake.app))
    return result, capture


@pytest.mark.parametrize(
    ("funcs", "fail_on", "code"),
    [
        ([passes, passes], "must", 0),
        ([passes, fails], "must", 1),
        ([passes, errors], "must", 1),  # could not judge: the verdict is incomplete
        ([skips, passes], "must", 0),
        ([("warn", fails)], "must", 0),  # a broken SHOULD does not fail a "must" run
        ([("warn", fails)], "should", 1),
    ],
)
def test_exit_codes(funcs: list, fail_on: str, code: int) -> None:
    registry = Registry()
    for i, f in enumerate(funcs):
        level, func = (Level.SHOULD, f[1]) if isinstance(f, tuple) else (Level.MUST, f)
        add(registry, f"fake.c{i}", func, level=level)
    result, _ = run(registry, fail_on=fail_on)
    assert result.exit_code == code
    assert exit_code_for(result.results, fail_on) == code


def test_outcomes_carry_expected_and_seen() -> None:
    registry = Registry()
    add(registry, "fake.pass", passes)
    add(registry, "fake.fail", fails)
    add(registry, "fake.warn", fails, level=Level.SHOULD)
    add(registry, "fake.error", errors)
    add(registry, "fake.skip", skips)
    result, _ = run(registry)
    by_id = {r.id: r for r in result.results}
    assert [r.outcome for r in result.results] == [Outcome.PASS, Outcome.FAIL, Outcome.WARN, Outcome.ERROR, Outcome.SKIP]
    assert by_id["fake.fail"].expected == "299" and by_id["fake.fail"].seen == "200"
    assert by_id["fake.fail"].exchange_ids, "a finding points at its evidence"
    assert "RuntimeError" in by_id["fake.error"].message
    assert by_id["fake.skip"].message == "not applicable here"


def test_selection_by_suite_id_tag_and_exclude() -> None:
    registry = Registry()
    add(registry, "rfc.one", passes, tags=("filter",))
    add(registry, "rfc.two", passes, area="patch")
    add(registry, "entra.one", passes, suites=("entra",))
    assert [r.id for r in run(registry, suites=("entra",))[0].results] == ["entra.one"]
    assert [r.id for r in run(registry, suites=("rfc",), select=("filter",))[0].results] == ["rfc.one"]
    assert [r.id for r in run(registry, select=("rfc.*",), exclude=("patch",))[0].results] == ["rfc.one"]
    assert [r.id for r in run(registry)[0].results] == ["rfc.one", "rfc.two", "entra.one"]


def test_workers_run_in_parallel_and_results_keep_registry_order() -> None:
    registry = Registry()
    last_done = threading.Event()
    completed: list[str] = []  # the order the checks really finished in

    def first(ctx: CheckContext) -> None:  # finishes only after the last check has finished
        assert last_done.wait(30), "the checks did not run in parallel"
        completed.append("fake.first")

    def middle(ctx: CheckContext) -> None:
        passes(ctx)
        completed.append("fake.middle")

    def last(ctx: CheckContext) -> None:
        passes(ctx)
        completed.append("fake.last")
        last_done.set()

    add(registry, "fake.first", first)
    add(registry, "fake.middle", middle)
    add(registry, "fake.last", last)
    result, capture = run(registry, workers=3)
    assert completed.index("fake.last") < completed.index("fake.first"), "first finished after last"
    assert [r.id for r in result.results] == ["fake.first", "fake.middle", "fake.last"], "registry order"
    assert all(r.outcome is Outcome.PASS for r in result.results)
    assert sorted(e.index for e in capture.of(CheckFinished)) == [0, 1, 2]


def test_events_come_in_order_with_clock_stamps(clock) -> None:  # type: ignore[no-untyped-def]
    registry = Registry()
    add(registry, "fake.a", passes)
    add(registry, "fake.b", fails)
    fake = FakeScim(token=TOKEN)
    capture = Capture()
    result = run_suite(config_for("http://localhost"), registry=registry, handlers=[capture],
                       http=inprocess(fake.app), clock=clock)
    kinds = [type(e).__name__ for e in capture.events]
    assert kinds[0] == "RunStarted" and kinds[1] == "DiscoveryFinished" and kinds[-1] == "RunFinished"
    assert kinds.count("CheckStarted") == kinds.count("CheckFinished") == 2
    assert {e.at for e in capture.events} == {"2026-01-05T09:00:00.000Z"}  # the virtual clock, not the wall
    assert capture.of(RunStarted)[0].total == 2 and capture.of(DiscoveryFinished)[0].usable
    assert [e.index for e in capture.of(CheckStarted)] == [0, 1]
    assert capture.of(RunFinished)[0].result is result
    assert result.started_at == "2026-01-05T09:00:00.000Z" and result.exit_code == 1


def test_objects_are_removed_and_prefixed() -> None:
    registry = Registry()
    add(registry, "fake.creates", creates_user)
    add(registry, "fake.creates-then-fails", lambda ctx: (ctx.create_user(), fails(ctx)))
    fake = FakeScim(token=TOKEN)
    result, _ = run(registry, fake=fake, prefix="sh-test01-")
    assert [r.outcome for r in result.results] == [Outcome.PASS, Outcome.FAIL]
    posted = [ex for ex in result.exchanges if ex.method == "POST"]
    assert len(posted) == 2 and all('"userName": "sh-test01-' in (ex.request_body or "") for ex in posted)
    assert fake.store["Users"] == {}, "what a check created is deleted, even when it fails"


def test_run_timeout_stops_scheduling_and_marks_the_rest_error() -> None:
    registry = Registry()
    release = threading.Event()

    def hangs(ctx: CheckContext) -> None:  # a check that never returns on its own (bounded for the test)
        release.wait(10)

    add(registry, "fake.hangs", hangs)
    for i in range(5):
        add(registry, f"fake.later{i}", passes)
    started = time.monotonic()
    try:
        result, capture = run(registry, run_timeout=0.3, timeout=0.2)
    finally:
        release.set()
    elapsed = time.monotonic() - started
    assert elapsed < 4, f"the run timeout did not bound the run ({elapsed:.1f}s)"
    assert [r.outcome for r in result.results] == [Outcome.ERROR] * 6
    assert all("run timeout" in r.message for r in result.results)
    assert result.exit_code == 1 and "run timeout (0.3s)" in result.message
    assert capture.of(RunFinished)[0].timed_out
    assert len(capture.of(CheckFinished)) == 6, "every selected check is reported"


def test_checks_in_flight_wind_down_when_the_run_stops() -> None:
    registry = Registry()

    def busy(ctx: CheckContext) -> None:  # keeps asking until the runner refuses to send
        for _ in range(100_000):
            ex = ctx.get(ctx.users)
            if ex.error:
                ctx.fail("no answer", 200, ex.error, ex)

    add(registry, "fake.busy", busy)
    result, _ = run(registry, run_timeout=0.3, timeout=1.0)
    [busy_result] = result.results
    assert busy_result.outcome is Outcome.ERROR, "a verdict on unsent requests is never charged to the target"
    assert "stopped while running" in busy_result.message
    assert result.exchanges[-1].error and "not sent" in result.exchanges[-1].error


@pytest.mark.socket
def test_unreachable_target_exits_2_and_still_writes_results(tmp_path: Path) -> None:
    registry = Registry()
    add(registry, "fake.a", passes)
    url = f"http://127.0.0.1:{free_port()}"  # nothing listens here
    writer = JsonWriter(tmp_path / "results.json")
    result = run_suite(config_for(url, timeout=1.0), registry=registry, handlers=[writer])
    assert result.exit_code == 2 and result.message.startswith(f"cannot reach the target {url}")
    assert result.results == []
    loaded = load_results(tmp_path / "results.json")
    assert loaded.exit_code == 2 and loaded.message == result.message


def test_refused_credentials_exit_2() -> None:
    registry = Registry()
    add(registry, "fake.a", passes)
    result, capture = run(registry, fake=FakeScim(token="another-token"))
    assert result.exit_code == 2
    assert "refused the credentials (bearer token): GET /Users answered 401" in result.message
    assert not capture.of(DiscoveryFinished)[0].usable and not capture.of(CheckStarted)


def test_not_a_scim_endpoint_exits_2() -> None:
    from starlette.applications import Starlette
    from starlette.responses import HTMLResponse
    from starlette.routing import Route

    async def page(request):  # type: ignore[no-untyped-def]
        return HTMLResponse("<h1>Not found</h1>", 404)

    app = Starlette(routes=[Route("/{p:path}", page)])
    registry = Registry()
    add(registry, "fake.a", passes)
    result = run_suite(config_for("http://localhost"), registry=registry, http=inprocess(app))
    assert result.exit_code == 2 and "does not look like a SCIM 2.0 endpoint" in result.message
    assert "GET /Users answered 404" in result.message


def test_a_broken_handler_does_not_stop_the_run() -> None:
    class Broken:
        def handle_event(self, event: object) -> None:
            raise OSError("disk full")

    registry = Registry()
    add(registry, "fake.a", passes)
    result, capture = run(registry, handlers=[Broken()])
    assert result.exit_code == 0 and capture.of(RunFinished)
    assert "Broken: OSError: disk full" in result.options["handler_errors"][0]


def test_plain_http_to_another_host_is_a_notice() -> None:
    registry = Registry()
    add(registry, "fake.a", passes)
    result, capture = run(registry, url="http://testserver")  # plain http, not loopback
    [notice] = capture.of(Notice)
    assert "plain http://" in notice.text and result.options["notices"] == [notice.text]


@pytest.mark.socket
def test_interrupt_cleans_up_and_exits_2() -> None:
    """A real SIGINT while a check runs: the check winds down and deletes what it created,
    the rest are not judged, the prefix is swept, and the run says it was interrupted."""
    import os
    import signal

    registry = Registry()
    fake = FakeScim(token=TOKEN)

    def interrupted(ctx: CheckContext) -> None:
        ctx.create_user()
        os.kill(os.getpid(), signal.SIGINT)  # Ctrl-C, delivered to the main thread
        for _ in range(200):  # the runner must refuse further requests quickly
            if ctx.get(ctx.users).error:
                break
        ctx.expect_status(ctx.get(ctx.users), 200)

    add(registry, "fake.interrupted", interrupted)
    add(registry, "fake.never", creates_user)
    with serve(fake.app) as url:
        fake.seed("Users", userName="sh-intr01-leftover")  # a leftover of this run: the sweep removes it
        fake.seed("Users", userName="someone-else")
        capture = Capture()
        result = run_suite(config_for(url, prefix="sh-intr01-"), registry=registry, handlers=[capture])
    assert result.exit_code == 2 and result.message.startswith("interrupted")
    assert [r.outcome for r in result.results] == [Outcome.ERROR, Outcome.ERROR]
    assert "interrupted" in result.results[1].message
    assert [u["userName"] for u in fake.store["Users"].values()] == ["someone-else"]
    assert any("cleanup of prefix" in n.text for n in capture.of(Notice))
    assert capture.of(RunFinished)[0].interrupted


def test_the_shared_client_never_follows_redirects() -> None:
    # The runner builds its own httpx client when none is injected; make sure it is the safe kind.
    from harness.runner import RunSession

    session = RunSession(config_for("http://127.0.0.1:9"))
    try:
        assert isinstance(session.http, httpx.Client) and session.http.follow_redirects is False
    finally:
        session.close()


def test_a_failed_cleanup_is_swept_at_the_end_of_the_run() -> None:
    fake = FakeScim(token=TOKEN)
    refused = []

    async def first_delete_fails(scope, receive, send):  # type: ignore[no-untyped-def]
        if scope["type"] == "http" and scope["method"] == "DELETE" and not refused:
            refused.append(scope["path"])
            await send({"type": "http.response.start", "status": 503, "headers": []})
            return await send({"type": "http.response.body", "body": b""})
        return await fake.app(scope, receive, send)

    registry = Registry()
    add(registry, "fake.creates", creates_user)
    capture = Capture()
    result = run_suite(config_for("http://localhost", prefix="sh-sweep1-"), registry=registry, handlers=[capture],
                       http=inprocess(first_delete_fails))
    assert refused and "could not remove" in result.results[0].message
    assert fake.store["Users"] == {}, "the end-of-run sweep removed what the check could not"
    assert any("cleanup of prefix 'sh-sweep1-': found 1, deleted 1" in n.text for n in capture.of(Notice))


def test_a_redirecting_target_is_told_to_use_the_final_url() -> None:
    from starlette.applications import Starlette
    from starlette.responses import RedirectResponse
    from starlette.routing import Route

    async def login(request):  # type: ignore[no-untyped-def]
        return RedirectResponse("https://sso.example.com/login", 302)

    registry = Registry()
    add(registry, "fake.a", passes)
    app = Starlette(routes=[Route("/{p:path}", login)])
    from starlette.testclient import TestClient

    following = TestClient(app, base_url="http://testserver")  # follows redirects by default
    result = run_suite(config_for("http://localhost"), registry=registry, http=following)
    assert result.exit_code == 2
    assert "redirects GET /Users (302 to https://sso.example.com/login)" in result.message


def test_fake_checks_never_reach_the_global_registry() -> None:
    from harness.checks import REGISTRY

    registry = Registry()  # empty, hence falsy: it must still be the one registered into
    add(registry, "fake.private", passes)
    assert [s.id for s in registry.all()] == ["fake.private"]
    assert not [s.id for s in REGISTRY.all() if s.id.startswith("fake.")]


def test_load_checks_reports_a_broken_module(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import importlib

    from harness.runner import load_checks

    pkg = tmp_path / "somechecks"
    pkg.mkdir()
    (pkg / "__init__.py").write_text("")
    (pkg / "good.py").write_text("LOADED = True\n")
    (pkg / "broken.py").write_text("raise RuntimeError('typo in a check module')\n")
    (pkg / "pytest_plugin.py").write_text("raise AssertionError('never imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    problems = load_checks(importlib.import_module("somechecks"))
    assert problems == ["checks in somechecks.broken not loaded: RuntimeError: typo in a check module"]
    assert importlib.import_module("somechecks.good").LOADED
