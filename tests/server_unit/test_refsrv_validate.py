"""validate.py: POST/PUT input rules (RFC 7643 §2, §3, §7; RFC 7644 §3.3, §3.5.1)."""

from __future__ import annotations

import pytest

from reference_server.errors import InvalidSyntax, InvalidValue, Mutability
from reference_server.schema import ENTERPRISE_URN, GROUP_URN, USER_URN, model_from_data
from reference_server.validate import (
    Leniency, hash_password, normalize_for_uniqueness, prepare_create, prepare_replace, verify_password,
)

from .conftest import FOLDERS_URN, LAMBDATEST_URN, METADATA_URN


def body(**attrs):
    return {"schemas": [USER_URN], "userName": "bjensen", **attrs}


def test_minimal_create(users):
    assert prepare_create(users, body()) == {"schemas": [USER_URN], "userName": "bjensen"}


def test_names_become_canonical(users):
    out = prepare_create(users, {"SCHEMAS": [USER_URN], "USERNAME": "b", "Name": {"GIVENNAME": "B"},
                                 "emails": [{"VALUE": "b@x", "Type": "work"}], "displayname": "B"})
    assert out == {"schemas": [USER_URN], "userName": "b", "name": {"givenName": "B"},
                   "emails": [{"value": "b@x", "type": "work"}], "displayName": "B"}


def test_entra_create_body(users):
    """The exact create body Entra sends (idp-behaviors 'Create')."""
    entra = {"schemas": [USER_URN, ENTERPRISE_URN], "externalId": "jo", "userName": "jo@contoso.com",
             "active": True, "meta": {"resourceType": "User"},
             "emails": [{"primary": True, "type": "work", "value": "jo@contoso.com"}],
             "name": {"formatted": "Jo Li", "familyName": "Li", "givenName": "Jo"}, "roles": []}
    out = prepare_create(users, entra)
    assert "meta" not in out and "roles" not in out  # readOnly dropped, [] is unassigned
    assert out["schemas"] == [USER_URN]  # no enterprise data, so no enterprise URN (RFC 7643 §3.3)
    assert out["name"]["givenName"] == "Jo" and out["active"] is True


def test_dotted_and_urn_keys(users):
    out = prepare_create(users, body(**{"name.givenName": "B", "name.familyName": "J",
                                        f"{ENTERPRISE_URN}:employeeNumber": "7",
                                        f"{ENTERPRISE_URN}:manager.value": "m1"}))
    assert out["name"] == {"givenName": "B", "familyName": "J"}
    assert out[ENTERPRISE_URN] == {"employeeNumber": "7", "manager": {"value": "m1"}}
    assert out["schemas"] == [USER_URN, ENTERPRISE_URN]


def test_nested_and_dotted_merge(users):
    out = prepare_create(users, body(name={"givenName": "B"}, **{"name.familyName": "J"}))
    assert out["name"] == {"givenName": "B", "familyName": "J"}


def test_extension_urn_added_from_data_and_removed_without(users):
    with_data = prepare_create(users, body(**{ENTERPRISE_URN: {"department": "Eng"}}))
    assert with_data["schemas"] == [USER_URN, ENTERPRISE_URN]
    listed_no_data = prepare_create(users, {"schemas": [USER_URN, ENTERPRISE_URN], "userName": "b",
                                            ENTERPRISE_URN: {}})
    assert listed_no_data["schemas"] == [USER_URN] and ENTERPRISE_URN not in listed_no_data
    unlisted_data = prepare_create(users, {"schemas": [USER_URN], "userName": "b", ENTERPRISE_URN.upper():
                                           {"Department": "Eng"}})
    assert unlisted_data[ENTERPRISE_URN] == {"department": "Eng"}  # Entra keeps custom URNs out of schemas


@pytest.mark.parametrize(("payload", "error", "detail"), [
    ([], InvalidSyntax, "JSON object"),
    ("text", InvalidSyntax, "JSON object"),
    ({"userName": "b"}, InvalidSyntax, "no 'schemas'"),
    ({"schemas": USER_URN, "userName": "b"}, InvalidSyntax, "array of strings"),
    ({"schemas": ["urn:other"], "userName": "b"}, InvalidValue, "must contain"),
    ({"schemas": [USER_URN]}, InvalidValue, "userName"),
    (body(userName=""), InvalidValue, "userName"),
    (body(userName=None), InvalidValue, "userName"),
    (body(userName=5), InvalidValue, "expected a string"),
    (body(active="maybe"), InvalidValue, "expected a boolean"),
    (body(active=1), InvalidValue, "expected a boolean"),
    (body(name="Barbara"), InvalidValue, "expected an object"),
    (body(name={"givenName": {"first": "B"}}), InvalidValue, "cannot nest"),
    (body(name={"nosuch": "x"}), InvalidValue, "unknown sub-attribute"),
    (body(emails={"value": "b@x"}), InvalidValue, "expected an array"),
    (body(emails=["b@x"]), InvalidValue, "expected an object"),
    (body(title=["a", "b"]), InvalidValue, "single value"),
    (body(emails=[{"value": "a", "primary": True}, {"value": "b", "primary": True}]), InvalidValue, "primary"),
    (body(nosuch="x"), InvalidValue, "unknown attribute"),
    (body(**{"urn:unknown:ext": {"a": 1}}), InvalidValue, "unknown schema"),
    ({"schemas": [USER_URN, "urn:unknown:ext"], "userName": "b", "urn:unknown:ext": {"a": 1}}, InvalidValue,
     "unknown schema"),
    (body(**{ENTERPRISE_URN: "Eng"}), InvalidValue, "must be an object"),
    (body(x509Certificates=[{"value": "not base64!"}]), InvalidValue, "base64"),
    (body(**{ENTERPRISE_URN: {"manager": {"$ref": "http://x"}}}), InvalidValue, "manager.value"),
    (body(**{"name.givenName.x": "B"}), InvalidValue, "unknown attribute"),
])
def test_errors(users, payload, error, detail):
    with pytest.raises(error, match=detail):
        prepare_create(users, payload)


def test_read_only_input_is_ignored(users):
    out = prepare_create(users, body(id="client-id", meta={"created": "x"}, groups=[{"value": "g"}],
                                     **{ENTERPRISE_URN: {"manager": {"value": "m", "displayName": "Boss"}}}))
    assert "id" not in out and "meta" not in out and "groups" not in out
    assert out[ENTERPRISE_URN]["manager"] == {"value": "m"}


def test_null_and_empty_are_unassigned(users):
    out = prepare_create(users, body(nickName=None, emails=[], name={"givenName": None}))
    assert out == {"schemas": [USER_URN], "userName": "bjensen"}


def test_duplicates_are_folded(users):
    out = prepare_create(users, body(emails=[{"type": "work", "value": "a@x"}, {"type": "WORK", "value": "A@x"},
                                             {"type": "home", "value": "a@x"}]))
    assert out["emails"] == [{"type": "work", "value": "a@x"}, {"type": "home", "value": "a@x"}]


@pytest.mark.parametrize(("given", "stored"), [("True", True), ("false", False), ("FALSE", False), (" true ", True)])
def test_lenient_string_booleans(users, given, stored):
    assert prepare_create(users, body(active=given))["active"] is stored
    with pytest.raises(InvalidValue):
        prepare_create(users, body(active=given), lenient=False)
    with pytest.raises(InvalidValue):
        prepare_create(users, body(active=given), lenient=Leniency(string_booleans=False))


def test_unknown_dataless_urn_in_schemas(groups):
    entra_group = {"schemas": [GROUP_URN, "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"],
                   "externalId": "oid", "displayName": "Sales", "meta": {"resourceType": "Group"}}
    assert prepare_create(groups, entra_group) == {"schemas": [GROUP_URN], "externalId": "oid",
                                                   "displayName": "Sales"}
    with pytest.raises(InvalidValue, match="unknown schema"):
        prepare_create(groups, entra_group, lenient=False)
    with pytest.raises(InvalidValue, match="unknown schema"):  # an unknown URN stays a 400 (SCH-04)
        prepare_create(groups, {**entra_group, "schemas": [GROUP_URN, "urn:x:y"]})


def test_schemas_order_does_not_matter(users):
    out = prepare_create(users, {"schemas": [ENTERPRISE_URN, USER_URN], "userName": "b",
                                 ENTERPRISE_URN: {"department": "D"}})
    assert out["schemas"] == [USER_URN, ENTERPRISE_URN]


def test_model_from_data_default_extensions():
    from reference_server.schema import model_from_data as build
    assert [s.id for s in build({"base": "User"}).extensions] == [ENTERPRISE_URN]
    assert build({"base": "User", "extensions": []}).extensions == ()
    assert build({"base": "Group"}).extensions == ()


@pytest.mark.parametrize(("attr", "value"), [
    ("x509Certificates", [{"value": "TUlJ"}]),
    ("profileUrl", "https://x/y"),
    ("photos", [{"value": "https://x/p.png", "type": "photo"}]),
    ("addresses", [{"streetAddress": "1 Main", "type": "work"}]),
    ("ims", [{"value": "b", "type": "skype"}]),
])
def test_types_accepted(users, attr, value):
    assert prepare_create(users, body(**{attr: value}))[attr] == value


def test_typed_extension():
    m = model_from_data({"extensions": [{"schema": {"id": "urn:acme:2.0:User", "attributes": [
        {"name": "level", "type": "integer"}, {"name": "score", "type": "decimal"},
        {"name": "since", "type": "dateTime"}]}}]})
    ok = prepare_create(m, body(**{"urn:acme:2.0:User": {"level": 3, "score": 2.5, "since": "2024-01-01T00:00:00Z"}}))
    assert ok["urn:acme:2.0:User"]["level"] == 3
    for bad in ({"level": 2.5}, {"level": True}, {"level": "3"}, {"score": "x"}, {"since": "yesterday"}):
        with pytest.raises(InvalidValue):
            prepare_create(m, body(**{"urn:acme:2.0:User": bad}))


def test_password_is_hashed_and_verifiable(users):
    out = prepare_create(users, body(password="s3cret!"))
    assert out["password"] != "s3cret!" and out["password"].startswith("scrypt$")
    assert "s3cret" not in out["password"]
    assert verify_password(out["password"], "s3cret!") and not verify_password(out["password"], "s3cret")
    assert hash_password("x") != hash_password("x")  # salted
    assert not verify_password("garbage", "x")


def test_username_nfc_and_uniqueness_key(users):
    decomposed = "Zo\u0065\u0308"  # e + combining diaeresis
    out = prepare_create(users, body(userName=decomposed))
    assert out["userName"] == "Zo\u00eb"
    assert normalize_for_uniqueness(decomposed) == normalize_for_uniqueness("ZO\u00cb") == "zo\u00eb"
    assert normalize_for_uniqueness("Straße") == normalize_for_uniqueness("STRASSE")


def test_app_profile_required_and_canonical_values():
    m = model_from_data({"overrides": {"emails": {"required": True}, "name.givenName": {"required": True},
                                       "userType": {"canonicalValues": ["Premium", "Standard"],
                                                    "enforceCanonicalValues": True}}})
    good = body(emails=[{"value": "a@x"}], name={"givenName": "A"}, userType="Premium")
    assert prepare_create(m, good)["userType"] == "Premium"
    with pytest.raises(InvalidValue, match="emails"):
        prepare_create(m, body(name={"givenName": "A"}))
    with pytest.raises(InvalidValue, match="givenName"):
        prepare_create(m, body(emails=[{"value": "a@x"}], name={"familyName": "A"}))
    with pytest.raises(InvalidValue, match="Premium"):
        prepare_create(m, {**good, "userType": "premium"})


def test_canonical_values_not_enforced_by_default(users):
    assert prepare_create(users, body(emails=[{"value": "a", "type": "pigeon"}]))["emails"][0]["type"] == "pigeon"


def test_lambdatest_default_role(rich_users):
    out = prepare_create(rich_users, body())
    assert out[LAMBDATEST_URN] == {"OrganizationRole": "User"} and LAMBDATEST_URN in out["schemas"]
    admin = prepare_create(rich_users, body(**{f"{LAMBDATEST_URN}:OrganizationRole": "Admin"}))
    assert admin[LAMBDATEST_URN]["OrganizationRole"] == "Admin"
    with pytest.raises(InvalidValue):
        prepare_create(rich_users, body(**{f"{LAMBDATEST_URN}:OrganizationRole": "Owner"}))


def test_folders_and_metadata(rich_users):
    out = prepare_create(rich_users, body(**{f"{FOLDERS_URN}:folders": ["F1", "F2", "F1"],
                                             f"{METADATA_URN}:CostCode": "CC1", METADATA_URN: {"Site": "Leeds"}}))
    assert out[FOLDERS_URN] == {"folders": ["F1", "F2"]}
    assert out[METADATA_URN] == {"CostCode": "CC1", "Site": "Leeds"}
    with pytest.raises(InvalidValue):
        prepare_create(rich_users, body(**{f"{METADATA_URN}:CostCode": {"nested": 1}}))


def test_required_extension():
    m = model_from_data({"extensions": [{"schema": ENTERPRISE_URN, "required": True}]})
    with pytest.raises(InvalidValue, match="required extension"):
        prepare_create(m, body())
    assert prepare_create(m, body(**{ENTERPRISE_URN: {"department": "x"}}))[ENTERPRISE_URN]


STORED = {"schemas": [USER_URN, ENTERPRISE_URN], "id": "u1", "userName": "old", "title": "T",
          "password": "scrypt$stored", "groups": [{"value": "g1"}], "emails": [{"value": "a@x"}, {"value": "b@x"}],
          "meta": {"resourceType": "User", "created": "2024-01-01T00:00:00Z"}, ENTERPRISE_URN: {"department": "D"}}


def test_replace_replaces_and_keeps_read_only(users):
    out = prepare_replace(users, STORED, body(userName="new", emails=[{"value": "c@x"}], id="hacked",
                                              meta={"created": "x"}))
    assert out["id"] == "u1" and out["meta"] == STORED["meta"] and out["groups"] == [{"value": "g1"}]
    assert out["userName"] == "new" and out["emails"] == [{"value": "c@x"}]  # replaced, not merged
    assert "title" not in out and ENTERPRISE_URN not in out and out["schemas"] == [USER_URN]
    assert out["password"] == "scrypt$stored"  # omitted password kept: clients cannot read it back


def test_replace_with_new_password(users):
    out = prepare_replace(users, STORED, body(password="n3w"))
    assert verify_password(out["password"], "n3w")


def test_replace_immutable():
    m = model_from_data({"base": "User", "overrides": {"nickName": {"mutability": "immutable"}}})
    stored = {"schemas": [USER_URN], "id": "u", "userName": "u", "nickName": "fixed"}
    assert prepare_replace(m, stored, body(nickName="fixed"))["nickName"] == "fixed"
    assert prepare_replace(m, stored, body())["nickName"] == "fixed"  # omitted: kept
    with pytest.raises(Mutability):
        prepare_replace(m, stored, body(nickName="changed"))
    unset = {"schemas": [USER_URN], "id": "u", "userName": "u"}
    assert prepare_replace(m, unset, body(nickName="first"))["nickName"] == "first"


def test_replace_validates_like_create(users):
    with pytest.raises(InvalidValue):
        prepare_replace(users, STORED, {"schemas": [USER_URN]})
    with pytest.raises(InvalidSyntax):
        prepare_replace(users, STORED, [])


@pytest.mark.parametrize("lenient", [True, False, Leniency.none()])
@pytest.mark.parametrize("schemas", [[], [ENTERPRISE_URN], ["http://schemas.microsoft.com/x"]])
def test_schemas_without_base_urn_is_rejected(users, lenient, schemas):
    """rfc-disagreements 'schemas.missing-base-400' (RFC 7643 §3, checklist SCH-04): a body whose
    `schemas` lacks the core URN is 400 invalidValue, whatever the leniency, on create and replace."""
    payload = {"schemas": schemas, "userName": "b"}
    with pytest.raises(InvalidValue, match="must contain"):
        prepare_create(users, payload, lenient=lenient)
    existing = prepare_create(users, body()) | {"id": "1"}
    with pytest.raises(InvalidValue, match="must contain"):
        prepare_replace(users, existing, payload, lenient=lenient)
