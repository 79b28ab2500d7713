"""The simulator reads the one source of IdP facts (harness/idp) and says what it exercised.

- a small tenant over one day still exercises disable, delete, member removal, rename and
  manager (unless ``--no-cover``), and results.json lists the kinds;
- an IdP the engine cannot play (Okta) is refused in one line, never pretended;
- the engine sends only what its mapping maps (JumpCloud maps no manager: no manager PATCH);
- "disabled after N weeks in quarantine" is the profile's knob;
- the builders make Okta's forms as the facts say (group push, path-less deactivation, PUT).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from harness.http import Auth, Target
from harness.idp import requests as build
from harness.idp.profile import PROFILE_DIR, load_profile
from harness.idp.requests import Change
from mock_idp import commands
from mock_idp.simulate import SimulationConfig, check_connection, simulate
from tests.mock_idp.fake_scim import FakeScim

TARGET = Target("http://fake/scim", Auth.bearer("t0ken-for-facts"))


def run(idp: str, fake: FakeScim, **kw: object):  # noqa: ANN201
    config = SimulationConfig(idp, TARGET, **{"users": 12, "groups": 2, "days": 1, "seed": 5, **kw})
    return simulate(config, http=fake.client())


@pytest.mark.parametrize("idp,kinds", [
    ("entra", {"disable", "delete", "member-removal", "rename", "manager"}),
    ("jumpcloud", {"disable", "delete", "member-removal", "rename"}),  # its mapping maps no manager
])
def test_a_small_tenant_over_one_day_exercises_every_kind_of_change(idp: str, kinds: set[str], tmp_path: Path) -> None:
    result = run(idp, FakeScim(), out=tmp_path)
    assert result.exit_code == 0, (result.reason, result.differences[:3])
    exercised = json.loads((tmp_path / "results.json").read_text())["simulation"]["exercised"]
    assert kinds <= set(exercised), exercised
    assert "changes exercised:" in result.reason and "delete" in result.reason
    check = next(r for r in result.run.results if r.id == "simulation.exercised")
    assert check.outcome.value == "pass" and "not exercised" not in check.message


def test_no_cover_leaves_the_day_to_chance_and_says_what_ran() -> None:
    covered = run("entra", FakeScim())
    bare = run("entra", FakeScim(), cover=False)
    assert set(bare.simulation["exercised"]) < set(covered.simulation["exercised"])
    assert next(r for r in bare.run.results if r.id == "simulation.exercised").outcome.value == "pass"


def test_the_engine_sends_only_what_its_mapping_maps() -> None:
    fake = FakeScim()
    result = run("jumpcloud", fake, users=30, days=3)
    assert result.exit_code == 0, result.reason
    bodies = [r.content.decode() for r in fake.requests if r.method == "PATCH"]
    assert bodies and not [b for b in bodies if "manager" in b]
    entra = FakeScim()
    run("entra", entra, users=30, days=3)
    assert [r for r in entra.requests if r.method == "PATCH" and b"manager" in r.content]


def test_a_profile_the_engine_cannot_play_is_refused_in_one_line_not_pretended(tmp_path: Path) -> None:
    text = (PROFILE_DIR / "okta.toml").read_text(encoding="utf-8").replace("simulated = true", "simulated = false")
    unplayable = tmp_path / "okta-unplayable.toml"
    unplayable.write_text(text.replace('name = "okta"', 'name = "okta-unplayable"'), encoding="utf-8")
    fake = FakeScim()
    result = run(str(unplayable), fake)
    assert result.exit_code == 2 and "cannot play okta-unplayable" in result.reason and fake.requests == []
    assert "\n" not in result.reason
    assert check_connection(str(unplayable), TARGET, http=fake.client()).exit_code == 2


def test_both_okta_engines_converge_and_are_listed_by_the_cli(tmp_path: Path) -> None:
    assert run("okta", FakeScim(), users=30, days=2).exit_code == 0  # the fake has no PUT: AIW runs in test_okta.py
    out = CliRunner().invoke(commands.simulate, ["--help"])
    assert "okta-aiw" in out.output and "okta" in out.output


def test_the_quarantine_deadline_comes_from_the_profile() -> None:
    short = run("entra", FakeScim(probe_404=True), test_connection=False, days=3,
                profile_overrides={"quarantine_disable_weeks": 0.25})
    assert "disabled after 0.25 weeks in quarantine" in short.reason
    never = run("entra", FakeScim(probe_404=True), test_connection=False, days=3,
                profile_overrides={"quarantine_disable_weeks": 0})
    assert "quarantined" in never.reason and "disabled after" not in never.reason


def test_okta_forms_as_the_facts_say() -> None:
    okta = load_profile("okta")
    lookup = build.lookup(okta, "User", "jo@example.com")
    assert lookup.params == (("filter", 'userName eq "jo@example.com"'), ("startIndex", "1"), ("count", "100"))
    off = build.set_active(okta, "42", False)
    assert off.json["Operations"] == [{"op": "replace", "value": {"active": False}}] and off.method == "PATCH"
    current = {"id": "42", "userName": "jo", "name": {"givenName": "Jo", "familyName": "Li"}, "active": True}
    assert build.set_active(okta, "42", False, current).json == off.json  # OIN: the same PATCH after a read
    put = build.set_active(load_profile("okta-aiw"), "42", False, current)
    assert put.method == "PUT" and put.json["active"] is False and put.json["name"]["familyName"] == "Li"
    push = build.member_patches(okta, "g1", add=["u1"], displays={"u1": "jo"}, display_name="Sales")
    assert [r.json["Operations"] for r in push] == [[{"op": "replace", "value": {"id": "g1", "displayName": "Sales"}},
                                                     {"op": "add", "path": "members", "value": [{"value": "u1", "display": "jo"}]}]]
    created = build.create_user(okta, {"userName": "jo"}, password="pw").json
    assert created["groups"] == [] and created["password"] == "pw"
    assert build.create_group(okta, {"displayName": "G"}).json["members"] == []
    assert build.page("User", 1, okta.test_page_users).params == (("startIndex", "1"), ("count", "2"))


def test_entra_manager_form_is_the_profiles_and_marked_unconfirmed() -> None:
    legacy = load_profile("entra-legacy")
    request = build.set_manager(legacy, "7", "9")
    assert request.json["Operations"] == [{"op": "Add", "path": build.MANAGER, "value": {"value": "9"}}]
    assert not legacy.is_confirmed("manager_value")
    rename = build.update_group(load_profile("jumpcloud"), "g", [Change("displayName", "a", "b")])
    assert rename.json["Operations"] == [{"op": "replace", "path": "displayName", "value": "b"}]
