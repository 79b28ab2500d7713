"""The names the harness gives what it creates never repeat within a process (harness/context.py).

A target that keeps a deleted user's userName (django-scim2-server only deactivates on DELETE)
answers 409 to any userName already used in the run. Each check has its own context; with a
count per context, only six random hex digits kept two checks' fixtures apart. These tests take
the randomness away: the names must stay distinct on the count alone.
(The same on a real server: tests/interop/test_artefacts.py.)
"""

from __future__ import annotations

import uuid
from concurrent.futures import ThreadPoolExecutor

import pytest

from harness.checks import CheckContext
from harness.discovery import Discovery
from harness.http import Auth, Target, TargetClient


@pytest.fixture()
def no_randomness(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every uuid4 the same: what is left to tell names apart is the count."""
    monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=0))


def _context(prefix: str = "sht-names-") -> CheckContext:
    client = TargetClient(Target("http://127.0.0.1:9/scim/v2", Auth.bearer("t")))  # never sends here
    return CheckContext(client, Discovery(), prefix)


@pytest.mark.usefixtures("no_randomness")
def test_two_checks_never_draw_the_same_fixture() -> None:
    first, second = _context(), _context()  # two checks of one run: one context each, one prefix
    a, b = first.user_body(), second.user_body()
    assert a["userName"] != b["userName"]
    assert a["emails"][0]["value"] != b["emails"][0]["value"]
    assert first.unique("g") != second.unique("g")
    assert first.unique_email("u") != second.unique_email("u")


@pytest.mark.usefixtures("no_randomness")
def test_names_stay_distinct_across_worker_threads() -> None:
    def names(_: int) -> list[str]:
        ctx = _context()
        return [ctx.unique("u") for _ in range(5)]

    with ThreadPoolExecutor(max_workers=4) as pool:
        made = [name for batch in pool.map(names, range(200)) for name in batch]
    assert len(set(made)) == len(made) == 1000


def test_a_name_keeps_its_documented_shape() -> None:
    name = _context("sh-3f9a1c-").unique("u")
    head, _, random_part = name.rpartition("-")
    assert head.startswith("sh-3f9a1c-u-") and head.rsplit("-", 1)[1].isdigit()
    assert len(random_part) == 6 and int(random_part, 16) >= 0
