"""The shape assertions themselves, run on what the in-memory fake received (and seen failing)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.http import Auth, Target
from mock_idp.simulate import SimulationConfig, simulate
from tests.mock_idp import shapes
from tests.mock_idp.fake_scim import FakeScim

STORY = Path(__file__).parent / "story.json"


def received(idp: str, **kw: object) -> list[shapes.Seen]:
    fake = FakeScim()
    config = SimulationConfig(idp, Target("http://fake/scim", Auth.bearer("t")), users=40, groups=4, days=1, seed=5,
                              scenario=STORY, scope="all", **kw)  # type: ignore[arg-type]
    assert simulate(config, http=fake.client()).exit_code == 0
    return [(r.method, str(r.url), json.loads(r.content) if r.content else None) for r in fake.requests
            if "startIndex" not in str(r.url)]  # the final read-back is ours, not the IdP's


def test_each_profile_sends_its_documented_shapes() -> None:
    shapes.expect_entra(received("entra"))
    shapes.expect_entra_legacy(received("entra-legacy"))
    shapes.expect_jumpcloud(received("jumpcloud"))
    shapes.expect_jumpcloud(received("jumpcloud", manage_groups=False), manage_groups=False)


def test_the_shape_checks_can_fail() -> None:
    with pytest.raises(AssertionError):
        shapes.expect_entra(received("entra-legacy"))
    with pytest.raises(AssertionError):
        shapes.expect_entra_legacy(received("entra"))
    with pytest.raises(AssertionError):
        shapes.expect_jumpcloud(received("entra"))
