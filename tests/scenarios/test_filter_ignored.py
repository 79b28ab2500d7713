"""A server that says ``filter.supported: false`` and ignores ``filter=``: what the IdPs do anyway.

Entra ID, Okta and JumpCloud never read the ServiceProviderConfig: they look users up with
``userName eq`` before every write and take the first result as the match. The simulator shows
the consequence (users collapse into one), and every readiness suite must call it a blocker
(FAIL, cause ``filter-ignored``) instead of skipping its lookup checks.
"""

from __future__ import annotations

from typing import Any

import pytest
from starlette.testclient import TestClient

import scenarios  # noqa: F401 - registers the checks
from harness.checks import REGISTRY, CheckContext, run_check
from harness.discovery import discover
from harness.http import Auth, Target
from harness.results import Outcome
from mock_idp.simulate import SimulationConfig, simulate
from scenarios.causes import FILTER_IGNORED
from tests.scenarios import faults as f
from tests.scenarios import faults_b as b
from tests.scenarios.support import TOKEN, inprocess, reference_app


def _filter_off(body: Any) -> Any:
    if isinstance(body, dict):
        body["filter"] = {"supported": False, "maxResults": 0}
    return body


#: Says it has no filter, and lists everything whatever the filter asks.
IGNORES_FILTER = f.chain(f.edit_json(_filter_off, "GET", r"/ServiceProviderConfig"),
                         f.drop_query_param("filter", "GET", b.LISTS))


@pytest.mark.parametrize("idp", ["entra", "jumpcloud"])
def test_the_simulator_shows_users_collapsing_into_one(idp: str) -> None:
    app = reference_app(fault=IGNORES_FILTER)
    config = SimulationConfig(idp, Target("http://testserver/", Auth.bearer(TOKEN), timeout=30), users=30, groups=0,
                              days=0.05, seed=3, churn=False, scope="all")
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as http:
        result = simulate(config, http=http)
        listed = http.get("/Users?count=200", headers={"Authorization": f"Bearer {TOKEN}"}).json()
    assert listed["totalResults"] == 1, "every lookup matched the first user, which was overwritten again and again"
    assert result.exit_code == 1 and len(result.differences) >= 29


@pytest.mark.parametrize("suite", ["entra", "jumpcloud", "okta"])
def test_every_readiness_suite_calls_it_a_blocker(suite: str) -> None:
    results, filtering = [], set()
    with inprocess(reference_app(fault=IGNORES_FILTER)) as client:
        discovery, _ = discover(client)
        assert discovery.supports("filter") is False
        for spec in REGISTRY.select(suites=(suite,)):
            result = run_check(spec, CheckContext(client, discovery, "sht-nofilter-"))
            results.append(result)
            sent = {ex.id: ex.url for ex in client.recorder.exchanges}
            if any("filter=" in sent.get(i, "") for i in result.exchange_ids):
                filtering.add(result.id)
    # (the token-endpoint checks, tag oauth, skip only because this run gave no OAuth options)
    skipped = [r.id for r in results if r.outcome is Outcome.SKIP and "oauth" not in r.tags]
    assert skipped == [], "an IdP does not read the SPC: nothing may be skipped for what it says"
    blockers = [r for r in results if r.outcome is Outcome.FAIL and r.cause == FILTER_IGNORED]
    assert blockers, f"{suite}: no blocker for an ignored filter"
    assert all("collapse into one" in r.message or "wrong users" in r.message for r in blockers)
    # every check that relies on a filter notices that it is ignored (its decoy matched)
    missed = [r.id for r in results if r.id in filtering and r.cause != FILTER_IGNORED]
    assert filtering and missed == []
