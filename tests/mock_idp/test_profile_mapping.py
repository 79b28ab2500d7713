"""Profiles (IdP behaviour as data) and attribute mappings (the seeds' examples)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mock_idp.directory import make_directory
from mock_idp.mapping import MappingError, load_mapping, mapping_names
from harness.idp.profile import PROFILE_DIR, ProfileError, load_profile, profile_names

FOLDERS = "urn:ietf:params:scim:schemas:extension:2.0:CustomExtensionName:folders"


def test_five_profiles_load_and_differ_only_in_data() -> None:
    assert profile_names() == ["entra", "entra-legacy", "jumpcloud", "okta", "okta-aiw"]
    entra, legacy, jc, okta, aiw = (load_profile(n) for n in profile_names())
    assert (entra.op("replace"), legacy.op("replace"), jc.op("replace")) == ("replace", "Replace", "replace")
    assert legacy.patch_bool(False) == "False" and entra.patch_bool(False) is False
    assert entra.update_form == "pathless" and legacy.update_form == "pathed"
    assert entra.tenant_url_query == "aadOptscim062020" and legacy.tenant_url_query == ""
    assert jc.trigger == "events" and entra.cycle_interval_minutes == 40
    assert "create-test-user" in jc.test_connection and "create-test-user" not in entra.test_connection
    assert okta.test_connection == ("page-users", "page-groups") and okta.deactivate_form == "pathless"
    assert okta.simulated and aiw.simulated and entra.simulated and jc.simulated
    assert (okta.update_form, aiw.update_form) == ("pathless", "put")  # OIN PATCH (u), AIW GET+PUT (O1)
    assert (okta.group_update_form, aiw.group_update_form) == ("patch", "put")
    assert not okta.delete_user_on_hard_delete and not aiw.delete_user_on_hard_delete  # never a user DELETE (O1, O3)


def test_the_quarantine_deadline_is_a_knob_with_its_fact() -> None:
    entra, jc = load_profile("entra"), load_profile("jumpcloud")
    assert entra.quarantine_disable_weeks == 4 and entra.is_confirmed("quarantine_disable_weeks")
    assert "E5" in entra.facts["quarantine_disable_weeks"]
    assert jc.quarantine_disable_weeks == 0 and not jc.is_confirmed("quarantine_disable_weeks")


def test_every_knob_says_confirmed_or_not() -> None:
    for name in profile_names():
        profile = load_profile(name)
        described = profile.describe()
        assert set(described["confirmed"]) | set(described["unconfirmed"]) == set(described["knobs"])
        assert "on_conflict" in profile.unconfirmed  # E14 is third-party: a knob with a default
        assert all(profile.is_confirmed(k) for k in profile.confirmed)


def test_unknown_key_lists_the_valid_keys(tmp_path: Path) -> None:
    text = (PROFILE_DIR / "entra.toml").read_text().replace("op_case =", "op_casing =", 1)
    bad = tmp_path / "bad.toml"
    bad.write_text(text)
    with pytest.raises(ProfileError) as info:
        load_profile(bad)
    assert "unknown key(s) op_casing" in str(info.value) and "valid keys:" in str(info.value)
    assert "update_form" in str(info.value)


def test_bad_choice_and_type_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ProfileError, match="choose one of capitalized, lower"):
        load_profile("entra", op_case="Shouting")
    with pytest.raises(ProfileError, match="must be true or false"):
        load_profile("entra", manage_groups="yes")
    with pytest.raises(ProfileError, match="unknown IdP profile 'onelogin'"):
        load_profile("onelogin")


def test_a_knob_without_a_fact_is_refused(tmp_path: Path) -> None:
    text = (PROFILE_DIR / "jumpcloud.toml").read_text()
    lines = [line for line in text.splitlines() if not line.startswith("on_conflict = \"unconfirmed")]
    bad = tmp_path / "nofact.toml"
    bad.write_text("\n".join(lines))
    with pytest.raises(ProfileError, match="without a \\[facts\\] entry: on_conflict"):
        load_profile(bad)


def test_every_shipped_mapping_loads_and_evaluates() -> None:
    directory = make_directory(5, 1, seed=1)
    user = next(iter(directory.users.values()))
    for name in mapping_names():
        mapping = load_mapping(name)
        values, missing = mapping.apply("User", user.source_attributes(), on_create=True)
        assert values["userName"] and not missing, name


def test_seed_003_mapping() -> None:
    mapping = load_mapping("seed-003-enterprise-toolkit.json")
    attrs = {"userPrincipalName": "jo@x", "mail": "jo@x", "givenName": "Jo", "surname": "Li", "companyName": None,
             "jobTitle": "Folder 1, Folder 2", "IsSoftDeleted": False, "extensionAttribute1": 42,
             "appRoleAssignments": [{"value": "EnterpriseAdmin"}]}
    created, _ = mapping.apply("User", attrs, on_create=True)
    updated, _ = mapping.apply("User", attrs, on_create=False)
    assert created["userType"] == "Premium"  # default if null, on create
    assert "userType" not in updated  # ...and only on create (E6)
    assert created[FOLDERS] == ["Folder 1", " Folder 2"]
    assert created["urn:ietf:params:scim:schemas:extension:2.0:Metadata:costCenter"] == 42
    assert created["roles"][0]["value"] == "EnterpriseAdmin"
    assert created["active"] is True  # the Switch form yields "True", converted to the Boolean target
    _, missing = mapping.apply("User", {**attrs, "mail": None}, on_create=True)
    assert missing == ['emails[type eq "work"].value']  # seed 002: mail is mandatory


def test_seed_004_lambdatest_role() -> None:
    mapping = load_mapping("seed-004-lambdatest.json")
    role = "urn:ietf:params:scim:schemas:extension:LambdaTest:2.0:User:OrganizationRole"
    base = {"userPrincipalName": "a@x", "givenName": "A", "surname": "B", "IsSoftDeleted": False}
    for assigned, expected in [("Admin", "Admin"), ("ReadOnly", "Guest"), ("User", "User"), (None, "User")]:
        roles = [{"value": assigned}] if assigned else []
        values, _ = mapping.apply("User", {**base, "appRoleAssignments": roles}, on_create=True)
        assert values[role] == expected
    assert [m.target for m in mapping.matching("User")] == ["userName"]


def test_mapping_errors_name_the_mapping(tmp_path: Path) -> None:
    bad = tmp_path / "m.json"
    bad.write_text(json.dumps({"user": [{"target": "userName", "source": "mail", "matching": True},
                                        {"target": "title", "type": "expression", "expression": 'Join(" " [a])'}]}))
    with pytest.raises(MappingError) as info:
        load_mapping(bad)
    assert "user[1] (title)" in str(info.value) and "position 9" in str(info.value)
    bad.write_text(json.dumps({"user": [{"target": "userName", "source": "mail", "matchng": True}]}))
    with pytest.raises(MappingError, match="unknown key\\(s\\) matchng; valid keys"):
        load_mapping(bad)
