"""Every registered check is proven able to fail, for the right reason.

Parametrised over the whole registry: a check without a proof fails here. For each check the
same test runs it against the unmodified reference server (it must PASS there, so a proof
cannot succeed because the check always fails) and against the server with the proof's
quirks and/or fault (it must FAIL, or WARN for SHOULD/MAY checks, with the expected reason).
"""

from __future__ import annotations

import importlib

import pytest

import scenarios  # noqa: F401 - registers the checks
from harness.checks import REGISTRY
from harness.results import Level, Outcome
from tests.scenarios.proof import DEFAULT_BASE, Proof
from tests.scenarios.support import inprocess, reference_app
from tests.support import run_one


def load_proofs() -> dict[str, Proof]:
    """Merge the proof tables: ours, and those of the other suites when they exist."""
    merged: dict[str, Proof] = {}
    for name in ("proofs_rfc_a", "proofs_rfc_b", "proofs_idp", "proofs_oauth", "proofs_cursor"):
        try:
            module = importlib.import_module(f"tests.scenarios.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"tests.scenarios.{name}":
                raise
            continue
        overlap = set(merged) & set(module.PROOFS)
        assert not overlap, f"{name} proves checks already proven elsewhere: {sorted(overlap)}"
        merged.update(module.PROOFS)
    return merged


PROOFS = load_proofs()
CHECK_IDS = [spec.id for spec in REGISTRY.all()]


def test_every_proof_names_a_registered_check() -> None:
    assert sorted(set(PROOFS) - set(CHECK_IDS)) == []


@pytest.mark.parametrize("check_id", CHECK_IDS)
def test_check_passes_plain_and_fails_broken(check_id: str) -> None:
    proof = PROOFS.get(check_id)
    assert proof is not None, f"{check_id} has no proof: add one to a proofs table in tests/scenarios/"
    spec = REGISTRY.get(check_id)

    oauth = next(iter(proof.settings.get("oauth_clients", ())), None)  # authenticate as that OAuth client
    with inprocess(reference_app(fault=proof.baseline, **proof.settings), oauth=oauth) as client:
        good = run_one(check_id, client)
    assert good.outcome is Outcome.PASS, f"against the correct server: {good.outcome.value}: {good.message}"

    broken_app = reference_app(quirks=proof.quirks, fault=proof.fault, **proof.settings)
    with inprocess(broken_app, base=proof.base_url or DEFAULT_BASE, oauth=oauth) as client:
        bad = run_one(check_id, client)
    wanted = Outcome.FAIL if spec.level is Level.MUST else Outcome.WARN
    assert bad.outcome is wanted, f"against the broken server: {bad.outcome.value}: {bad.message}"
    said = f"{bad.message} {bad.seen}".lower()
    assert proof.expect.lower() in said, f"failed for another reason: {bad.message!r} (seen {bad.seen!r})"
