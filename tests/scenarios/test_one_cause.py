"""One defect, one cause: each check judges its own behaviour (issue 11, item 4).

The suite runs in-process against the reference server with one behaviour broken (the RFC suite,
or every suite where the IdP checks judge the same behaviour); only the checks that judge that
behaviour may fail, and they all name one shared cause.
"""

from __future__ import annotations

import pytest

import scenarios  # noqa: F401 - registers the checks
from harness.checks import REGISTRY, CheckContext, run_check
from harness.discovery import discover
from harness.results import CheckResult, Outcome
from scenarios.causes import ERROR_STATUS_NOT_STRING, FILTER_IGNORED, USERNAME_EQ_CASE
from tests.scenarios import faults_verdicts as fv
from tests.scenarios.faults import Fault
from tests.scenarios.support import inprocess, reference_app

#: The checks whose behaviour is the error body's shape; no other check reads it.
ERROR_SHAPE_CHECKS = {"errors.body-shape", "auth.401-is-scim-error"}


def run_rfc_suite(fault: Fault, suites: tuple[str, ...] = ("rfc",)) -> dict[str, CheckResult]:
    out: dict[str, CheckResult] = {}
    with inprocess(reference_app(fault=fault)) as client:
        discovery, _ = discover(client)
        for spec in REGISTRY.select(suites):
            out[spec.id] = run_check(spec, CheckContext(client, discovery, "sht-cause-"))
    return out


def findings(results: dict[str, CheckResult]) -> dict[str, CheckResult]:
    return {i: r for i, r in results.items() if r.outcome in (Outcome.FAIL, Outcome.WARN, Outcome.ERROR)}


@pytest.fixture(scope="module")
def numeric_status() -> dict[str, CheckResult]:
    return run_rfc_suite(fv.numeric_error_status(), suites=("all",))  # the RFC and every IdP suite


def test_a_numeric_error_status_fails_the_error_shape_checks_only(numeric_status: dict[str, CheckResult]) -> None:
    found = findings(numeric_status)
    assert set(found) == ERROR_SHAPE_CHECKS, {i: r.message for i, r in found.items()}
    assert {r.cause for r in found.values()} == {ERROR_STATUS_NOT_STRING}


def test_behaviour_checks_pass_on_the_right_status_whatever_the_body(numeric_status: dict[str, CheckResult]) -> None:
    for check_id in ("create.duplicate-username-409", "read.unknown-id-404", "replace.username-conflict-409",
                     "patch.unknown-id-404", "errors.invalid-json-400", "query.unknown-operator-400"):
        assert numeric_status[check_id].outcome is Outcome.PASS, (check_id, numeric_status[check_id].message)


def test_a_case_sensitive_username_eq_is_one_cause() -> None:
    found = findings(run_rfc_suite(fv.case_sensitive_username_eq(), suites=("all",)))
    assert found, "the fault broke nothing: the proof proves nothing"
    assert {r.cause for r in found.values()} == {USERNAME_EQ_CASE}, {i: (r.cause, r.message) for i, r in found.items()}


def test_an_ignored_filter_is_named_as_such() -> None:
    """Every RFC check that relies on a filter sees the decoy and says filter-ignored, never PASS."""
    results = run_rfc_suite(fv.ignore_filter())
    # ``userName pr`` rightly matches every user: ignoring it changes nothing to judge.
    relying = {s.id for s in REGISTRY.select(("rfc",)) if "filter" in s.requires} - {"query.too-many-or-honest"}
    passed = sorted(i for i in relying if results[i].outcome is Outcome.PASS)
    assert passed == [], "a check that relies on a filter passed although the filter was ignored"
    # ...and every one of them names the one cause (an invalid filter answered 200 with the decoy too)
    other = {i: (results[i].cause, results[i].message) for i in relying if results[i].cause != FILTER_IGNORED}
    assert other == {}


def test_unknown_ids_not_404_are_one_cause() -> None:
    """GET, PUT and PATCH on an unknown id judge one behaviour: one cause, however many checks."""
    from scenarios.causes import UNKNOWN_ID_NOT_404
    from tests.scenarios import faults as f

    def hook(req: f.Req, resp: f.Resp) -> f.Resp:
        if resp.status == 404 and req.method in ("GET", "PUT", "PATCH") and req.path.count("/") == 2:
            resp.status = 400
        return resp

    found = findings(run_rfc_suite(f.on_response(hook, path=r"/(Users|Groups)/[^/]+")))
    unknown_id = {i for i, r in found.items() if r.cause == UNKNOWN_ID_NOT_404}
    assert unknown_id >= {"read.unknown-id-404", "replace.unknown-id-404", "patch.unknown-id-404"}, found


def test_a_refused_username_eq_is_the_shared_filter_refused_cause() -> None:
    from scenarios.causes import FILTER_REFUSED
    from tests.scenarios import faults_b as b

    refuse = b.answer_if(b.query_has("username eq"), 400, {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"],
                                                              "status": "400", "scimType": "invalidFilter"})
    results = run_rfc_suite(refuse)
    assert results["query.eq-username"].cause == FILTER_REFUSED, results["query.eq-username"].message
