"""The artefacts of the harness that docs/interop.md listed, reproduced on the servers that showed
them (issue #11: each artefact first as a failing test, then the check fixed, not the test).

- django-scim2-server declares only userName, name, emails, active and externalId: a check that
  exercises "some writable string attribute" uses one it declares, and an IdP form that needs
  an undeclared attribute itself (roles) is not applicable; the forms on declared attributes are
  still judged.
- django-scim2 answers 501 to PATCH forms it does not implement: that is one finding (cause
  ``patch-form-501``); a refusal whose sentence pins no status passes with a note, and a check
  whose own behaviour the 501 hides says "not observable", naming that cause.
- SCIMMY ignores startIndex/count on GET: one cause, ``paging-ignored``.
- django-scim2-server keeps a deleted user's userName (DELETE deactivates), so a name drawn twice
  in one run is a 409 to a fresh fixture: names never repeat in a run, whatever the random part
  draws (tests/harness/test_unique_names.py).

Each test starts the real server (tests/interop/servers.py) and runs only the checks concerned.
"""

from __future__ import annotations

import json
import os
import uuid
from pathlib import Path

import pytest

import scenarios  # noqa: F401 - registers the checks
from harness.config import RunConfig
from harness.http import Auth, Target
from harness.results import CheckResult, Outcome, RunResult
from harness.runner import run_suite
from tests.interop.matrix import findings, pinned
from tests.interop.servers import BY_KEY, TOKEN, serve

pytestmark = [pytest.mark.socket, pytest.mark.slow]

UNDECLARED = ("displayName", "nickName", "title", "userType", "roles")


def _run(key: str, select: tuple[str, ...], scratch: Path) -> RunResult:
    server = BY_KEY[key]
    why = server.missing()
    if why:
        if os.environ.get("CI"):
            pytest.fail(f"{key}: {why}")
        pytest.skip(f"{key}: {why}")
    with serve(server, scratch) as base:
        config = RunConfig(target=Target(base, Auth.bearer(TOKEN), timeout=15), out=scratch / "out",
                           select=select, workers=1, prefix="sh-artefact-")
        return run_suite(config)


def _by_id(run: RunResult) -> dict[str, CheckResult]:
    return {r.id: r for r in run.results}


# Each FAILed or WARNed on django-scim2-server (main at 2f377a1) on an attribute it does not declare.
NOW_PASS = ("patch.add-single-valued", "patch.ops-in-order", "patch.replace-unset-adds", "patch.replace-without-path",
            "patch.supported", "query.op-pr", "query.precedence",
            "replace.put-200", "entra.flag-pathless-dotted", "entra.legacy-add", "entra.legacy-replace",
            "jumpcloud.create-user", "jumpcloud.pathed-replace")


def test_checks_write_and_read_back_only_attributes_the_target_declares(tmp_path: Path) -> None:
    run = _run("django-scim2-server", (*NOW_PASS, "entra.legacy-roles-string", "patch.add-without-path",
                                       "patch.atomic", "patch.missing-value-400", "patch.attributes-param-200",
                                       "patch.path-case-insensitive", "patch.path-urn-core"), tmp_path)
    results = _by_id(run)
    wrong = {i: (results[i].outcome.value, results[i].message) for i in NOW_PASS if results[i].outcome is not Outcome.PASS}
    assert wrong == {}, wrong
    roles = results["entra.legacy-roles-string"]
    assert roles.outcome is Outcome.SKIP and "does not declare roles" in roles.message
    # Whatever else they find, no check sends a write that names an undeclared attribute.
    for ex in run.exchanges:
        if ex.method in ("PATCH", "PUT") and ex.request_body:
            body = json.loads(ex.request_body)
            ops = body.get("Operations") or [] if isinstance(body, dict) else []
            named = {str(op.get("path", "")).split(":")[-1].split(".")[0].lower() for op in ops if isinstance(op, dict)}
            named |= {str(k).lower() for op in ops if isinstance(op, dict) and isinstance(op.get("value"), dict)
                      for k in op["value"]}
            assert not named & {a.lower() for a in UNDECLARED}, (ex.method, ex.url, ex.request_body[:300])
    # The findings that remain are the server's own (judged in docs/interop.md), never an own-cause
    # FAIL on an attribute it may ignore.
    atomic = results["patch.atomic"]
    assert atomic.outcome in (Outcome.PASS, Outcome.ERROR) and (atomic.outcome is Outcome.PASS
                                                               or atomic.cause == "patch.value-path-no-match-400")


def test_a_501_to_a_patch_form_is_one_finding(tmp_path: Path) -> None:
    refusals = ("groups.user-groups-readonly", "patch.readonly-400", "patch.remove-required-400")
    hidden = ("patch.missing-schema-400", "patch.missing-value-400", "patch.value-path-no-match-400",
              "patch.remove-absent-member")
    forms = ("patch.supported", "patch.value-path-sub-attribute", "entra.legacy-add", "okta.group-push-patch")
    run = _run("django-scim2", (*refusals, *hidden, *forms, "groups.member-value-immutable"), tmp_path)
    results = _by_id(run)
    for check_id in refusals:  # the refusal the sentence asks for, with a status it does not pin
        r = results[check_id]
        assert r.outcome is Outcome.PASS and "501" in r.message, (check_id, r.outcome, r.message)
    for check_id in hidden:  # the check's own behaviour cannot be seen behind the form's 501
        r = results[check_id]
        assert (r.outcome, r.cause) == (Outcome.ERROR, "patch-form-501") and "not observable" in r.message, \
            (check_id, r.outcome, r.cause, r.message)
    for check_id in forms:  # the checks about the forms judge the 501, under one cause
        r = results[check_id]
        assert r.outcome in (Outcome.FAIL, Outcome.WARN) and r.cause == "patch-form-501", (check_id, r.cause, r.message)
    immutable = results["groups.member-value-immutable"]  # the group lost its members at creation
    assert (immutable.outcome, immutable.cause) == (Outcome.ERROR, "groups.members-round-trip"), immutable.message


def test_paging_ignored_on_get_is_one_cause(tmp_path: Path) -> None:
    paging = ("pagination.count-limits", "pagination.count-zero", "pagination.page-metadata", "pagination.past-end",
              "okta.test-connection", "okta.import-paging")
    needing = ("pagination.walk-all", "sort.stable-pages", "search.same-as-get", "query.filter-with-attributes",
               "pagination.non-numeric-400")
    run = _run("scimmy", (*paging, *needing), tmp_path)
    results = _by_id(run)
    assert {i: results[i].cause for i in paging} == dict.fromkeys(paging, "paging-ignored")
    assert all(results[i].outcome is Outcome.FAIL for i in paging)
    assert {i: (results[i].outcome, results[i].cause) for i in needing} == \
        dict.fromkeys(needing, (Outcome.ERROR, "paging-ignored"))


def test_a_run_never_posts_a_name_twice_on_a_server_that_keeps_deleted_names(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=0))  # no randomness: only the count tells names apart
    run = _run("django-scim2-server", ("create.*", "delete.*"), tmp_path)
    ran = {r.id for r in run.results}
    assert len(ran) > 10 and not any(i.startswith("run.") for i in ran)  # no run finding (run.fixture-user)
    names = [json.loads(ex.request_body).get("userName") for ex in run.exchanges
             if ex.method == "POST" and ex.url.endswith("/Users") and ex.request_body]
    assert len(names) > 10
    # Every check's findings are the ones pinned for the whole suite (tests/interop/findings.json).
    expected = {(f["check"], f["outcome"], f["cause"]) for f in pinned()["django-scim2-server"] if f["check"] in ran}
    assert {(f["check"], f["outcome"], f["cause"]) for f in findings(run)} == expected
