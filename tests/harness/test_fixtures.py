"""Fixtures from the target's own schema (issue #11, item 6) and a write verified by reading back
what it should have kept (item 7).

A server whose /Schemas makes ``name.formatted`` required gave 124 "not judged": the fixture
user came from a fixed template. Now the fixture carries what the schema requires; and when a
target refuses even that, one finding says so and the checks that needed a user cite it.
"""

from __future__ import annotations

import io
from typing import Any

import pytest

import scenarios  # noqa: F401 - registers the checks
from harness.checks import OMIT, REGISTRY, CheckContext, Registry
from harness.discovery import CORE_USER, ENTERPRISE_USER, Discovery
from harness.fixtures import user_body
from harness.results import Outcome
from harness.runner import run_suite
from tests.harness.fakes import FakeScim
from tests.harness.support import TOKEN, add, config_for
from tests.live import serve


def discovery_with(attrs: list[dict[str, Any]], extensions: list[dict[str, Any]] = ()) -> Discovery:  # type: ignore[assignment]
    ext_schemas = [{"id": e["schema"], "attributes": [{"name": "employeeNumber", "type": "string", "required": True},
                                                      {"name": "costCenter", "type": "string"}]} for e in extensions]
    return Discovery(
        resource_types=[{"name": "User", "endpoint": "/Users", "schema": CORE_USER, "schemaExtensions": list(extensions)}],
        schemas=[{"id": CORE_USER, "attributes": attrs}, *ext_schemas])


NAME = {"name": "name", "type": "complex", "subAttributes": [
    {"name": "formatted", "type": "string", "required": True}, {"name": "givenName", "type": "string"},
    {"name": "familyName", "type": "string"}]}
EMAILS = {"name": "emails", "type": "complex", "multiValued": True, "subAttributes": [
    {"name": "value", "type": "string"}, {"name": "type", "type": "string", "canonicalValues": ["office", "home"]}]}


def test_the_fixture_carries_what_the_schema_requires() -> None:
    d = discovery_with([{"name": "userName", "type": "string", "required": True}, NAME, EMAILS,
                        {"name": "userType", "type": "string", "required": True, "canonicalValues": ["Staff", "Guest"]},
                        {"name": "id", "type": "string", "required": True, "mutability": "readOnly"},
                        {"name": "active", "type": "boolean"}],
                       [{"schema": ENTERPRISE_USER, "required": True}])
    body = user_body(d, "u@example.com")
    assert body["name"] == {"givenName": "Test", "familyName": "User", "formatted": "Test User"}
    assert body["userType"] == "Staff", "the first canonical value"
    assert body["emails"][0]["type"] == "office", "work is not among the canonical values"
    assert "id" not in body, "a readOnly attribute is never sent"
    assert body["displayName"] == "Test User", "what every IdP sends stays, even where /Schemas is incomplete"
    assert not any(v is None for v in body.values()), "nothing is sent as null unless a check asks"
    assert body[ENTERPRISE_USER] == {"employeeNumber": "1001"} and ENTERPRISE_USER in body["schemas"]
    left_out = user_body(d, "u@example.com", {ENTERPRISE_USER: OMIT, "active": OMIT, "nickName": None})
    assert ENTERPRISE_USER not in left_out and ENTERPRISE_USER not in left_out["schemas"]
    assert "active" not in left_out and left_out["nickName"] is None


def test_without_a_schema_the_template_is_sent_as_is() -> None:
    body = user_body(Discovery(), "u@example.com")
    assert set(body) == {"schemas", "userName", "name", "displayName", "emails", "active"}


@pytest.mark.socket
def test_a_required_name_formatted_no_longer_leaves_checks_unjudged() -> None:
    fake = FakeScim(token=TOKEN, required=("name.formatted",))
    with serve(fake.app) as url:
        run = run_suite(config_for(url, workers=4, suites=("all",)), registry=REGISTRY)
    # "Not observable" because of a behaviour of the fake that another check reports (it ignores
    # attributes=) is not what this test is about: no check is left unjudged for want of a user.
    judged_elsewhere = {r.cause for r in run.results if r.outcome in (Outcome.FAIL, Outcome.WARN)}
    unjudged = [f"{r.id}: {r.message}" for r in run.results
                if r.outcome is Outcome.ERROR and r.cause not in judged_elsewhere]
    assert unjudged == [], unjudged[:5]
    assert not any(r.id.startswith("run.fixture") for r in run.results)


@pytest.mark.socket
def test_a_refused_fixture_is_one_finding_not_a_hundred_not_judged() -> None:
    # The server requires nickName but its /Schemas does not say so: even the schema's fixture is refused.
    fake = FakeScim(token=TOKEN, required=("nickName",))
    with serve(fake.app) as url:
        run = run_suite(config_for(url, workers=4, suites=("all",)), registry=REGISTRY)
    (finding,) = [r for r in run.results if r.id == "run.fixture-user"]
    assert finding.outcome is Outcome.FAIL and "nickName is required" in finding.seen
    refused = [ex for ex in run.exchanges if ex.id in finding.exchange_ids]
    assert [(ex.method, ex.status) for ex in refused] == [("POST", 400)]
    unjudged = [r for r in run.results if r.outcome is Outcome.ERROR]
    assert len(unjudged) > 50 and all(r.cause == finding.cause for r in unjudged if "run.fixture-user" in r.message)
    cited = [r for r in unjudged if r.cause == finding.cause]
    assert len(cited) >= len(unjudged) - 8, [r.message for r in unjudged if r.cause != finding.cause][:8]
    same_refusal = [r for r in run.results if r.outcome is Outcome.FAIL and "nickName is required" in r.message]
    assert same_refusal and all(r.cause == finding.cause for r in same_refusal), "met the same refusal: one cause"
    from harness.console import ConsoleHandler
    from harness.events import RunFinished

    out = io.StringIO()
    ConsoleHandler(out, color=False, live=False).handle_event(RunFinished(at="t", result=run))
    assert "because the target refuses a user built from its own /Schemas" in out.getvalue()
    posts = sum(1 for m, p, _ in fake.calls if m == "POST" and p == "/Users")
    assert posts < 40, f"{posts} POSTs: the refusal is learnt once, not re-tried by every check"


@pytest.mark.socket
def test_expect_kept_finds_a_write_that_drops_what_it_should_keep() -> None:
    fake = FakeScim(token=TOKEN)
    registry = Registry()

    def put_keeps(ctx: CheckContext) -> None:
        user = ctx.create_user(title="Engineer")
        path = f"{ctx.users}/{user['id']}"
        ctx.put(path, {**user, "displayName": "Renamed"})
        ctx.expect_kept(path, user, changed=["displayName"])

    def put_drops(ctx: CheckContext) -> None:
        user = ctx.create_user(title="Engineer")
        path = f"{ctx.users}/{user['id']}"
        fake.store["Users"][user["id"]].pop("title")  # the server "loses" an attribute on the write
        ctx.expect_kept(path, user, changed=["displayName"])

    add(registry, "keeps", put_keeps)
    add(registry, "drops", put_drops)
    with serve(fake.app) as url:
        run = run_suite(config_for(url), registry=registry)
    by_id = {r.id: r for r in run.results}
    assert by_id["keeps"].outcome is Outcome.PASS, by_id["keeps"].message
    assert by_id["drops"].outcome is Outcome.FAIL and "title" in by_id["drops"].message


# -- "some writable string attribute": one the target declares (issue #11, artefacts) ----------
DJANGO_SCIM2_SERVER_USER = [  # what django-scim2-server 1.1.0 declares: no displayName, title, nickName, roles
    {"name": "userName", "type": "string", "required": True, "uniqueness": "server"},
    {"name": "name", "type": "complex", "subAttributes": [{"name": "givenName", "type": "string"},
                                                          {"name": "familyName", "type": "string"}]},
    {"name": "emails", "type": "complex", "multiValued": True},
    {"name": "active", "type": "boolean"},
    {"name": "externalId", "type": "string", "caseExact": True},
]


def test_writable_strings_offers_only_what_the_schema_declares() -> None:
    from harness.fixtures import declares, writable_strings

    bare = discovery_with(DJANGO_SCIM2_SERVER_USER)
    assert writable_strings(bare, CORE_USER, ("title", "nickName")) == ["externalId"]
    assert not declares(bare, CORE_USER, "roles") and declares(bare, CORE_USER, "name.givenName")
    full = discovery_with([*DJANGO_SCIM2_SERVER_USER, {"name": "displayName", "type": "string"},
                           {"name": "title", "type": "string"}, {"name": "nickName", "type": "string"},
                           {"name": "userType", "type": "string", "canonicalValues": ["Employee"]},
                           {"name": "timezone", "type": "string", "mutability": "readOnly"},
                           {"name": "locale", "type": "string", "returned": "never"}])
    # preferred names first, in that order; never userName (unique), a canonical, readOnly or unreturned one
    assert writable_strings(full, CORE_USER, ("nickName", "title")) == ["nickName", "title", "externalId", "displayName"]
    # no /Schemas at all: nothing says the attribute is missing, the check's own choice stands
    assert writable_strings(Discovery(), CORE_USER, ("title",)) == ["title"] and declares(Discovery(), CORE_USER, "roles")
