"""Endpoints as the RFCs resolve them (issue #11, item 1).

A ResourceType ``endpoint`` that is an absolute URL of the target, or an absolute path that
already holds the base path, is a correct reference under RFC 3986 §5.2. The harness used to
glue it onto the base and send most of a run to ``…/scim/v2/http://…`` or
``…/scim/v2/scim/v2/…``. These tests run the whole suite over a real socket against small fake
servers mounted under ``/scim/v2`` and prove nothing goes there, that the verdicts equal those
on the same server advertising ``/Users``, and that the deviation is one finding of its own.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.routing import Mount

import scenarios  # noqa: F401 - registers the checks
from harness.checks import REGISTRY
from harness.endpoints import resolve_endpoint
from harness.results import Level, Outcome, RunResult
from harness.runner import run_suite
from scenarios.conformance.rfc_text import keyword_levels
from tests.harness.fakes import FakeScim
from tests.harness.support import TOKEN, config_for
from tests.live import serve

pytestmark = pytest.mark.socket
BASE = "http://h.example/scim/v2"


@pytest.mark.parametrize(
    ("endpoint", "path", "url", "form"),
    [
        ("/Users", "/Users", f"{BASE}/Users", "relative"),  # the RFC 7643 §6 example: relative to the base
        ("Users", "/Users", f"{BASE}/Users", "relative"),
        ("/scim/v2/Users", "/Users", f"{BASE}/Users", "absolute-path"),  # RFC 3986 §5.2: already has the base path
        (f"{BASE}/Users", "/Users", f"{BASE}/Users", "absolute-url"),
        ("HTTP://H.EXAMPLE/scim/v2/Users", "/Users", f"{BASE}/Users", "absolute-url"),  # scheme and host: no case
        ("http://h.example/other/Users", "http://h.example/other/Users", "http://h.example/other/Users", "absolute-url"),
        ("https://h.example/scim/v2/Users", "https://h.example/scim/v2/Users", "https://h.example/scim/v2/Users",
         "cross-origin"),  # another scheme is another origin
        ("http://evil.example/Users", "http://evil.example/Users", "http://evil.example/Users", "cross-origin"),
        ("", "", "", "invalid"),
    ],
)
def test_resolution(endpoint: str, path: str, url: str, form: str) -> None:
    resolved = resolve_endpoint(BASE + "?aadOptscim062020", endpoint)
    assert (resolved.path, resolved.url, resolved.form) == (path, url, form)
    assert resolved.deviates is (form != "relative")
    assert resolved.usable is (form not in ("cross-origin", "invalid"))


def test_resolution_without_a_base_path() -> None:
    assert resolve_endpoint("http://h.example", "/Users").path == "/Users"
    assert resolve_endpoint("http://h.example/", "http://h.example/Users").form == "absolute-url"


class Paths:
    """Every request path that reached the server, routed or not (a glued URL matches no route)."""

    def __init__(self, app: Any) -> None:
        self.app, self.seen = app, list[str]()

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] == "http":
            self.seen.append(scope["path"])
        await self.app(scope, receive, send)


def mounted(fake: FakeScim) -> Paths:
    return Paths(Starlette(routes=[Mount("/scim/v2", app=fake.app)]))


def run_against(endpoints: str, **kw: object) -> tuple[RunResult, list[str]]:
    fake = FakeScim(token=TOKEN, endpoints=endpoints)
    app = mounted(fake)
    with serve(app) as url:
        run = run_suite(config_for(url + "/scim/v2", workers=4, suites=("all",), **kw), registry=REGISTRY)
    return run, app.seen


@pytest.fixture(scope="module")
def relative_run() -> tuple[RunResult, list[str]]:
    return run_against("relative")


def verdicts(run: RunResult, other: RunResult) -> dict[str, Outcome]:
    """Outcome per check, leaving out the endpoint finding and checks either run could not judge
    (a connection reset under load says nothing about endpoints)."""
    unjudged = {r.id for r in [*run.results, *other.results] if r.outcome is Outcome.ERROR}
    return {r.id: r.outcome for r in run.results if not r.id.startswith("discovery.endpoint-") and r.id not in unjudged}


@pytest.mark.parametrize("style", ["absolute-url", "absolute-path"])
def test_a_run_sends_nothing_to_a_glued_url(style: str, relative_run: tuple[RunResult, list[str]]) -> None:
    run, paths = run_against(style)
    glued = [p for p in paths if p.startswith(("/scim/v2/http", "/scim/v2/scim/v2"))]
    assert glued == [], f"{len(glued)} requests went to a glued URL, e.g. {glued[:3]}"
    assert all(p.startswith("/scim/v2/") for p in paths) and len(paths) > 150
    # Same server, same behaviour: the verdicts equal those of the run where it advertises "/Users".
    assert verdicts(run, relative_run[0]) == verdicts(relative_run[0], run)
    assert len(verdicts(run, relative_run[0])) >= len(run.results) - 5
    found = [r for r in run.results if r.id == "discovery.endpoint-relative"]
    assert len(found) == 1 and found[0].outcome is Outcome.WARN, "one finding of its own, never a cascade"
    assert "RFC 3986" in found[0].message and found[0].quote.startswith("endpoint")
    # Levels as the RFC words them: the sentence defines "relative to" with no keyword, a MAY.
    assert keyword_levels(found[0].quote) == {"MAY"} and found[0].level is Level.MAY
    live = next(r for r in run.results if r.id == "discovery.resource-type-endpoints-live")
    assert live.outcome is Outcome.PASS, live.message
    assert not any(r.id == "discovery.endpoint-relative" for r in relative_run[0].results)


def test_an_endpoint_that_does_not_answer_is_said_in_discovery_and_not_used() -> None:
    run, paths = run_against("wrong")
    wrong = [p for p in paths if p.startswith("/scim/v2/Old")]
    assert 2 <= len(wrong) <= 3, "one probe per resource type (and the endpoint check), not a run to a wrong URL"
    assert any("/OldUsers" in problem and "{base}/Users" in problem for problem in run.discovery["problems"])
    assert any("/OldGroups" in problem and "{base}/Groups" in problem for problem in run.discovery["problems"])
    judged = [r.outcome for r in run.results if r.id.startswith("discovery.") and "endpoint" in r.id]
    assert judged == [Outcome.FAIL], "the RFC check judges it, once"
    # "Not observable" behind a behaviour of the fake another check reports (it ignores
    # attributes=) is not an endpoint matter.
    judged = {r.cause for r in run.results if r.outcome in (Outcome.FAIL, Outcome.WARN)}
    errors = [r for r in run.results if r.outcome is Outcome.ERROR and r.cause not in judged]
    assert errors == [], "the checks ran against {base}/Users, which answers"


def test_an_endpoint_on_another_origin_is_refused_before_credentials_are_sent() -> None:
    run, paths = run_against("other-origin")
    refused = [ex for ex in run.exchanges if "elsewhere.example" in ex.url]
    assert all(ex.status is None and "another origin" in (ex.error or "") for ex in refused)
    assert any("cross-origin" in problem for problem in run.discovery["problems"])
    assert [r.outcome for r in run.results if r.id == "discovery.endpoint-relative"] == [Outcome.WARN]
    assert sum(1 for p in paths if p.startswith("/scim/v2/Users")) > 20, "the checks used {base}/Users"


def test_the_first_probe_and_the_idp_endpoints_are_one_constant() -> None:
    from harness.context import CheckContext
    from harness.discovery import Discovery
    from harness.endpoints import IDP_USERS

    fake = FakeScim(token=TOKEN)
    with serve(mounted(fake)) as url:
        run_suite(config_for(url + "/scim/v2", select=("nothing-matches",)), registry=REGISTRY)
    method, path, query = fake.calls[0]
    assert (method, path, query) == ("GET", "/scim/v2" + IDP_USERS, "count=1")
    assert CheckContext.idp_users.fget(CheckContext.__new__(CheckContext)) == IDP_USERS  # type: ignore[attr-defined]
    assert Discovery().endpoint("User") == IDP_USERS


def test_the_client_takes_an_absolute_path_or_a_same_origin_url_and_refuses_another_origin() -> None:
    from harness.http import Auth, Target, TargetClient

    client = TargetClient(Target(BASE + "?aadOptscim062020", Auth.bearer(TOKEN)))
    assert client.url_for("/Users") == f"{BASE}/Users?aadOptscim062020"  # relative to the base
    assert client.url_for("/scim/v2/Users/7") == f"{BASE}/Users/7?aadOptscim062020"  # already holds it
    assert client.url_for(f"{BASE}/Users", {"count": 1}) == f"{BASE}/Users?aadOptscim062020&count=1"
    refused = client.request("GET", "http://evil.example/Users")
    assert refused.status is None and "another origin" in (refused.error or "")
    assert all(TOKEN not in value for _, value in refused.request_headers)
    client.close()
