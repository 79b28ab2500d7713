"""One defect, one finding, without hiding another (issue #11, interop artefacts).

A check whose own behaviour sits behind a defect another check judges says "not observable",
naming that defect's cause; it never says so when its own behaviour can be seen. Proven here on
the reference server: with the defect (quirk) the check is ERROR under the shared cause; with a
fault that breaks only the check's own behaviour it still FAILs or WARNs under its own cause.
"""

from __future__ import annotations

from typing import Any

import pytest

import scenarios  # noqa: F401 - registers the checks
from harness.results import CheckResult, Outcome
from tests.scenarios import faults_b as b
from tests.scenarios.faults import Fault, Req
from tests.scenarios.support import inprocess, reference_app
from tests.support import run_one


def _run(check_id: str, quirks: tuple[str, ...] = (), fault: Fault | None = None) -> CheckResult:
    with inprocess(reference_app(quirks=quirks, fault=fault)) as client:
        return run_one(check_id, client)


def _body(req: Req) -> dict[str, Any]:
    found = req.json()
    return found if isinstance(found, dict) else {}


@pytest.mark.parametrize("check_id", ["patch.missing-schema-400", "patch.missing-value-400",
                                      "patch.value-path-no-match-400", "patch.atomic"])
def test_behind_a_patch_form_that_answers_501_a_check_is_not_observable(check_id: str) -> None:
    result = _run(check_id, quirks=("patch-not-implemented",))
    assert (result.outcome, result.cause) == (Outcome.ERROR, "patch-form-501"), result.message
    assert result.message.startswith("not observable")


def test_the_501_is_judged_by_the_check_about_the_form_under_the_shared_cause() -> None:
    result = _run("patch.supported", quirks=("patch-not-implemented",))
    assert (result.outcome, result.cause) == (Outcome.WARN, "patch-form-501")


def test_a_501_only_to_the_malformed_patch_is_still_judged() -> None:
    refuse = b.answer_if(lambda req: "schemas" not in _body(req), 501, {"detail": "no"}, method="PATCH")
    result = _run("patch.missing-schema-400", fault=refuse)
    assert (result.outcome, result.cause) == (Outcome.WARN, "patch.missing-schema-400"), result.message


def test_a_refusal_with_501_passes_with_a_note_where_the_sentence_pins_no_status() -> None:
    result = _run("patch.readonly-400", quirks=("patch-not-implemented",))
    assert result.outcome is Outcome.PASS and "501" in result.message


@pytest.mark.parametrize("check_id", ["pagination.walk-all", "sort.stable-pages", "pagination.non-numeric-400"])
def test_paging_ignored_hides_page_comparisons(check_id: str) -> None:
    result = _run(check_id, quirks=("no-pagination",))
    assert (result.outcome, result.cause) == (Outcome.ERROR, "paging-ignored"), result.message


def test_paging_ignored_is_one_cause_for_the_paging_checks() -> None:
    result = _run("pagination.count-limits", quirks=("no-pagination",))
    assert (result.outcome, result.cause) == (Outcome.FAIL, "paging-ignored")


def test_projection_ignored_altogether_is_one_cause_and_hides_refinements() -> None:
    both = ("ignore-attributes-param", "ignore-excluded-attributes")
    assert _run("read.attributes-param", quirks=both).cause == "projection-ignored"
    refinement = _run("read.attribute-names-urn", quirks=both)
    assert (refinement.outcome, refinement.cause) == (Outcome.ERROR, "projection-ignored")
    # Only attributes= ignored: not "altogether", so the check's own cause.
    own = _run("read.attributes-param", quirks=("ignore-attributes-param",))
    assert (own.outcome, own.cause) == (Outcome.FAIL, "read.attributes-param")


def test_a_delete_that_deletes_nothing_is_one_cause() -> None:
    keep = b.answer_if(lambda req: True, 204, method="DELETE", path=r".*/Users/[^/]+")  # 204, and the user stays
    gone = _run("delete.gone-afterwards", fault=keep)
    assert (gone.outcome, gone.cause) == (Outcome.FAIL, "deleted-still-readable"), gone.message
    released = _run("delete.uniqueness-released", fault=keep)  # a 409 for a user that still exists is right
    assert (released.outcome, released.cause) == (Outcome.ERROR, "deleted-still-readable"), released.message
    # Deleted (GET 404) but still listed: the listing's own cause.
    listed = _run("delete.not-listed", quirks=("deleted-still-listed",))
    assert (listed.outcome, listed.cause) == (Outcome.FAIL, "delete.not-listed"), listed.message
