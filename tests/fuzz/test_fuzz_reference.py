"""The fuzzer against the real reference server, in its own process, over a real socket.

- unmodified: thousands of generated requests, zero server errors, zero contract findings;
- with the quirk ``500-on-unknown-attribute``: the 500 is found, shrunk, and really reproduces.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from harness.fuzz import FuzzConfig, fuzz_target
from harness.http import Auth, Target
from harness.results import Outcome
from tests.fuzz.server_process import reference_server

TOKEN = "ref-fuzz-token-7d1e"
pytestmark = [pytest.mark.socket, pytest.mark.slow]


def _leftovers(url: str) -> int:
    """Users and groups the run's prefix still names (the fuzzer's prefixes start with fz-)."""
    headers = {"Authorization": f"Bearer {TOKEN}"}
    total = 0
    for endpoint, attr in (("/Users", "userName"), ("/Groups", "displayName")):
        body = httpx.get(f"{url}{endpoint}", params={"filter": f'{attr} sw "fz-"'}, headers=headers).json()
        total += body["totalResults"]
    return total


def test_unmodified_reference_server_survives_2000_requests(tmp_path: Path) -> None:
    with reference_server(tmp_path / "ref.db", TOKEN) as url:
        config = FuzzConfig(Target(url, Auth.bearer(TOKEN)), max_examples=500, time_limit=85, seed=2026,
                            max_requests=2100)
        result = fuzz_target(config)
        left = _leftovers(url)
    failed = [f"{r.id}: {r.message}" for r in result.results if r.outcome is not Outcome.PASS]
    assert failed == [], failed
    assert result.exit_code == 0, result.message
    assert result.options["requests"] >= 2000, result.message
    assert left == 0
    assert TOKEN not in json.dumps(result.to_dict())


def test_the_500_on_unknown_attribute_quirk_is_found_with_a_minimal_reproducer(tmp_path: Path) -> None:
    with reference_server(tmp_path / "ref.db", TOKEN, quirks=("500-on-unknown-attribute",)) as url:
        # Unknown members come from the fuzzing phase (random extra properties); a count bounds it.
        config = FuzzConfig(Target(url, Auth.bearer(TOKEN)), max_examples=50, time_limit=40, seed=99,
                            phases=("fuzzing", "stateful"), max_requests=300)
        result = fuzz_target(config)
        assert result.exit_code == 1
        exchanges = {ex.id: ex for ex in result.exchanges}
        server_errors = [r for r in result.results if r.outcome is Outcome.FAIL and r.id.startswith("fuzz.server-error:")]
        assert server_errors, [r.id for r in result.results]
        create = next((r for r in server_errors if r.id == "fuzz.server-error:POST /Users"), server_errors[0])
        reproducer = exchanges[create.exchange_ids[0]]
        assert reproducer.status == 500 and "reproduced;" in create.steps[0].name
        body = json.loads(reproducer.request_body or "{}")
        # Minimal: at most the unknown member plus what a create needs; nothing else survived shrinking.
        assert len(body) <= 3 and len(reproducer.request_body or "") <= 200, body
        unknown = set(body) - {"schemas", "userName", "displayName"}
        assert unknown, body  # the unknown attribute is what remains
        # It really reproduces, replayed by hand outside the harness.
        again = httpx.request(reproducer.method, reproducer.url, content=(reproducer.request_body or "").encode(),
                              headers={"Authorization": f"Bearer {TOKEN}", "Content-Type": "application/scim+json"})
        assert again.status_code == 500
        assert "Bearer $SCIM_TOKEN" in create.steps[0].message and TOKEN not in create.steps[0].message
        left = _leftovers(url)
    assert left == 0
    assert TOKEN not in json.dumps(result.to_dict())


@pytest.mark.parametrize("seed", [7, 4242, 31337])
def test_unmodified_reference_server_survives_other_seeds(tmp_path: Path, seed: int) -> None:
    """Other seeds reach other corners (a 30-digit startIndex once answered 500): a shorter run each."""
    with reference_server(tmp_path / "ref.db", TOKEN) as url:
        config = FuzzConfig(Target(url, Auth.bearer(TOKEN)), max_examples=100, time_limit=30, seed=seed,
                            max_requests=500)
        result = fuzz_target(config)
        left = _leftovers(url)
    failed = [f"{r.id}: {r.message}" for r in result.results if r.outcome is not Outcome.PASS]
    assert failed == [] and result.exit_code == 0, failed
    assert result.options["requests"] >= 400, result.message
    assert left == 0
