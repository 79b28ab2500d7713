"""Rules that used to be written several times now live in one place (issue 16).

Each test feeds the one rule's answer to its users and proves they agree, so a second copy
that drifts would fail here.
"""

from __future__ import annotations

import itertools

import pytest

from harness.config import FAIL_ON, fails_run
from harness.results import CheckResult, Level, Outcome
from harness.runner import exit_code_for


@pytest.mark.parametrize(("outcome", "fail_on"), list(itertools.product(list(Outcome), FAIL_ON)))
def test_fail_on_is_one_rule_for_exit_codes(outcome: Outcome, fail_on: str) -> None:
    result = CheckResult(id="x.y", title="t", area="x", level=Level.MUST, outcome=outcome, rests_on="", fix="")
    assert exit_code_for([result], fail_on) == int(fails_run(outcome, fail_on))


def test_fails_run_table() -> None:
    table = {(o, f): fails_run(o, f) for o in Outcome for f in FAIL_ON}
    assert table[(Outcome.FAIL, "must")] and table[(Outcome.ERROR, "must")]
    assert not table[(Outcome.WARN, "must")] and table[(Outcome.WARN, "should")]
    assert not any(table[(o, f)] for o in (Outcome.PASS, Outcome.SKIP) for f in FAIL_ON)


def test_indexed_attributes_are_the_stores_list() -> None:
    from reference_server import filter_eval, parser, service
    from reference_server.store import INDEXED_COLUMNS

    assert filter_eval.INDEXED == tuple(INDEXED_COLUMNS)
    for name in INDEXED_COLUMNS:
        # the index hint and the service's eq fast path both know every indexed attribute
        assert filter_eval.index_hint(parser.parse_filter(f'{name} eq "v"')) == (name, "v")
        assert service._PLAIN_EQ.fullmatch(f'{name} eq "v"')
    assert service._PLAIN_EQ.fullmatch('title eq "v"') is None


def test_recorded_body_text_is_read_as_json_by_one_function() -> None:
    """Replay, fuzzing and grading read a recorded body with harness.recorder.json_or_none (there were three copies)."""
    from harness.recorder import json_or_none

    assert json_or_none('{"a": [1]}') == {"a": [1]}
    assert json_or_none("") is None and json_or_none(None) is None and json_or_none("<html>") is None
    assert json_or_none("[" * 100_000) is None  # a hostile target's nesting is "not JSON", not a crash
    import importlib

    users = ("harness.replay.compare", "harness.replay.session", "harness.fuzz.runner", "harness.grade.rules",
             "harness.grade.resemble")
    assert all(importlib.import_module(name).json_or_none is json_or_none for name in users)
