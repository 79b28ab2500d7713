"""``run`` and ``simulate`` cannot disagree: every readiness request is one its IdP's profile makes.

The test walks every readiness check against the reference server with the request builders
(harness/idp/requests.py) instrumented: each request a builder returns is logged with the
profile it was built for. Then every request the check sent *as the IdP* (it carries a profile's
User-Agent) must be, byte for byte on the wire (method, path, query, JSON body), one the builders
made for a profile the check declares (``scenarios.readiness.common.FORMS``); every other
request must be a harness fixture (GET, POST or DELETE: never a PATCH or PUT). The simulator's
flows build their requests with the same functions (tests/mock_idp).
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest

import scenarios  # noqa: F401 - registers the checks
from harness.checks import REGISTRY, CheckContext, check, run_check
from harness.discovery import discover
from harness.http import encode_query
from harness.idp import requests as build
from harness.idp.profile import Profile, load_profile, profile_names
from harness.idp.requests import Request
from harness.recorder import Exchange
from harness.results import Level, Outcome
from redaction import redact_json
from scenarios.readiness.common import ENTRA, FORMS, send
from tests.scenarios.support import inprocess, reference_app

READINESS = [s.id for s in REGISTRY.select(suites=("entra", "jumpcloud", "okta"))]
OAUTH_CLIENT = ("forms-client", "forms-client-secret")
AGENTS: dict[str, set[str]] = {}
for _name in profile_names():
    AGENTS.setdefault(load_profile(_name).user_agent, set()).add(_name)
BUILDERS = [n for n in build.__all__ if n[0].islower() and n not in {"endpoint", "patch_ops", "patch_body"}]
Wire = tuple[str, str, str, str]


def _query(query: str) -> str:
    # the Tenant URL's flag rides on every request (harness/http.py): not part of a form
    return "&".join(p for p in query.split("&") if p and p != ENTRA.tenant_url_query)


def _body(body: Any) -> str:
    return json.dumps(body, sort_keys=True) if body is not None else ""


def built_wire(request: Request) -> Wire:
    # as recorded: the recorder hides a password (Okta's create) the builder put in the body
    body = redact_json(request.json) if request.json is not None else None
    return request.method, request.path, _query(encode_query(request.params)), _body(body)


def sent_wire(ex: Exchange) -> Wire:
    parts = urlsplit(ex.url)
    body = json.loads(ex.request_body) if ex.request_body else None
    return ex.method, parts.path, _query(parts.query), _body(body)


def agent(ex: Exchange) -> str:
    return next((v for k, v in ex.request_headers if k.lower() == "user-agent"), "")


@pytest.fixture
def built(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[tuple[str | None, Wire]]]:
    """Every request the builders return while the fixture is active, with its profile's name."""
    log: list[tuple[str | None, Wire]] = []
    for name in BUILDERS:
        original = getattr(build, name)

        def logged(*args: Any, _original: Any = original, **kw: Any) -> Any:
            out = _original(*args, **kw)
            profile = next((a for a in args if isinstance(a, Profile)), None)
            for request in out if isinstance(out, list) else [out]:
                log.append((profile.name if profile else None, built_wire(request)))
            return out

        monkeypatch.setattr(build, name, logged)
    yield log


def stray_requests(exchanges: list[Exchange], log: list[tuple[str | None, Wire]], allowed: tuple[str, ...]) -> list[str]:
    """Requests sent as an IdP that no builder made for an allowed profile, and fixture PATCH/PUTs."""
    made = {wire for name, wire in log if name is None or name in allowed}
    stray = []
    for ex in exchanges:
        names = AGENTS.get(agent(ex))
        if names is None:
            if ex.method in {"PATCH", "PUT"}:
                stray.append(f"{ex.method} {ex.url} sent without an IdP's User-Agent")
        elif not names & set(allowed):
            stray.append(f"{ex.method} {ex.url} sent as {sorted(names)}, not as {allowed}")
        elif sent_wire(ex) not in made:
            stray.append(f"{ex.method} {ex.url} {ex.request_body or ''} is no form of {allowed}")
    return stray


@pytest.mark.parametrize("check_id", READINESS)
def test_every_idp_request_is_one_its_profile_makes(check_id: str, built: list[tuple[str | None, Wire]]) -> None:
    assert check_id in FORMS, f"{check_id} is not declared with idp_check(forms=...)"
    # The token-endpoint checks (tag oauth) run as an OAuth client; their token requests are
    # OAuth, not SCIM forms, so only their SCIM requests (if any) are held to the builders.
    oauth = "oauth" in REGISTRY.get(check_id).tags
    settings = {"oauth_clients": (OAUTH_CLIENT,), "token_ttl": 1} if oauth else {}
    with inprocess(reference_app(**settings), oauth=OAUTH_CLIENT if oauth else None) as client:
        discovery, _ = discover(client)
        result = run_check(REGISTRY.get(check_id), CheckContext(client, discovery, "sht-forms-"))
        exchanges = client.recorder.exchanges
    assert result.outcome is Outcome.PASS, result.message
    as_idp = [ex for ex in exchanges if agent(ex) in AGENTS]
    assert as_idp or oauth, f"{check_id} sent no request as the IdP"
    assert stray_requests(exchanges, built, FORMS[check_id]) == []


def test_a_hand_built_request_is_caught(built: list[tuple[str | None, Wire]]) -> None:
    """The walk can fail: a PATCH no builder made, and a profile's form sent for another IdP."""
    def hand_built(ctx: CheckContext) -> None:
        user = ctx.create_user()
        send(ctx, ENTRA, Request("PATCH", f"/Users/{user['id']}", json={
            "schemas": [build.PATCH_OP], "Operations": [{"op": "Add", "path": "manager", "value": [{"value": "x"}]}]}))
        send(ctx, ENTRA, build.set_active(ENTRA, user["id"], False))

    from harness.checks import Registry

    registry = Registry()
    check(id="forms.hand-built", title="t", area="t", level=Level.MUST, rests_on="t", fix="t", registry=registry)(hand_built)
    with inprocess(reference_app()) as client:
        discovery, _ = discover(client)
        run_check(registry.get("forms.hand-built"), CheckContext(client, discovery, "sht-forms-"))
        exchanges = client.recorder.exchanges
    stray = stray_requests(exchanges, built, ("entra",))
    assert len(stray) == 1 and '"manager"' in stray[0]
    assert len(stray_requests(exchanges, built, ("okta",))) == 2


def test_every_readiness_check_declares_profiles_of_its_suites() -> None:
    suites = {"entra": {"entra", "entra-legacy"}, "jumpcloud": {"jumpcloud"}, "okta": {"okta", "okta-aiw"}}
    for check_id in READINESS:
        spec = REGISTRY.get(check_id)
        allowed = set().union(*(suites[s] for s in spec.suites))
        assert set(FORMS[check_id]) <= allowed, f"{check_id} sends forms of {FORMS[check_id]}, suites {spec.suites}"
