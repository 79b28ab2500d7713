"""parser.parse_filter and filter_eval.py: the RFC 7644 §3.4.2.2 grammar, evaluation rules, bounds and index hints."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference_server.errors import InvalidFilter
from reference_server.filter_eval import check_filter, index_hint, matches, parse_datetime
from reference_server.parser import MAX_DEPTH, And, Compare, Not, Or, Present, ValuePath, parse_filter
from reference_server.schema import ENTERPRISE_URN, USER_URN

from .conftest import METADATA_URN

BJENSEN = {
    "schemas": [USER_URN, ENTERPRISE_URN],
    "id": "2819c223-7f76-453a-919d-413861904646",
    "externalId": "bjensen-EXT",
    "userName": "Bjensen@Example.com",
    "name": {"givenName": "Barbara", "familyName": "Jensen"},
    "title": "Tour Guide",
    "active": True,
    "emails": [{"type": "work", "value": "bjensen@example.com", "primary": True},
               {"type": "home", "value": "babs@jensen.org"}],
    "x509Certificates": [{"value": "TUlJRA=="}],
    "password": "scrypt$2048$8$1$c2FsdA==$aGFzaA==",
    "meta": {"resourceType": "User", "created": "2024-01-23T04:56:22Z",
             "lastModified": "2024-05-13T04:42:34.123456789Z", "version": 'W/"3"'},
    ENTERPRISE_URN: {"employeeNumber": "701984", "department": "Tour Operations", "manager": {"value": "m-1"}},
}


def ok(users, text, resource=BJENSEN):
    flt = parse_filter(text)
    check_filter(flt, users)
    return matches(flt, resource, users)


@pytest.mark.parametrize(("text", "expected"), [
    # every operator, on strings
    ('userName eq "bjensen@example.com"', True),  # caseExact=false
    ('userName eq "someone"', False),
    ('userName ne "someone"', True),
    ('userName ne "BJENSEN@example.com"', False),
    ('userName co "JENSEN"', True),
    ('userName co "xyz"', False),
    ('userName sw "bJ"', True),
    ('userName sw "jensen"', False),
    ('userName ew ".COM"', True),
    ('userName ew "org"', False),
    ('title gt "Tour"', True),
    ('title gt "Tour Guide"', False),
    ('title ge "Tour Guide"', True),
    ('title lt "Tourz"', True),
    ('title lt "Tour Guide"', False),
    ('title le "tour guide"', True),
    ('title pr', True),
    ('nickName pr', False),
    # caseExact attributes
    ('id eq "2819C223-7F76-453A-919D-413861904646"', False),
    ('id eq "2819c223-7f76-453a-919d-413861904646"', True),
    ('externalId eq "bjensen-ext"', False),
    ('externalId eq "bjensen-EXT"', True),
    # case-insensitive attribute names and operators
    ('USERNAME EQ "bjensen@example.com"', True),
    ('name.GIVENNAME Sw "bar"', True),
    # logical operators and precedence: not > and > or
    ('userName eq "x" or title pr and active eq false', False),  # x or (pr and false)
    ('(userName eq "x" or title pr) and active eq true', True),
    ('userName eq "x" or title pr and active eq true', True),
    ('title pr or userName eq "x" and active eq false', True),  # pr or (x and false)
    ('(title pr or userName eq "x") and active eq false', False),
    ('not (userName eq "x")', True),
    ('not(title pr)', False),
    ('not (not (title pr))', True),
    ('not (userName eq "x") and not (active eq false)', True),
    # multi-valued: any value
    ('emails.value eq "babs@jensen.org"', True),
    ('emails.type eq "home"', True),
    ('emails.value ew "@nowhere"', False),
    ('emails co "JENSEN.ORG"', True),  # complex without sub compares "value"
    ('emails pr', True),
    ('phoneNumbers pr', False),
    # value paths test both conditions on the same value
    ('emails[type eq "work" and value co "example.com"]', True),
    ('emails[type eq "work" and value co "jensen.org"]', False),
    ('emails[type eq "home" or primary eq true]', True),
    ('emails[not (type eq "work")]', True),
    ('emails[type eq "work"].value eq "BJENSEN@example.com"', True),
    ('emails[type eq "home"].value eq "bjensen@example.com"', False),
    ('emails[type eq "work"] and userName sw "b"', True),
    ('emails[type eq "fax"]', False),
    ('emails[nosuch eq "x"]', False),
    # booleans, null
    ('active eq true', True),
    ('active eq false', False),
    ('active ne false', True),
    ('nickName eq null', True),
    ('title eq null', False),
    ('title ne null', True),
    ('nickName ne "x"', True),  # documented choice: no value differs from any value
    ('nosuch ne "x"', True),
    # URN-qualified paths
    (f'{USER_URN}:userName eq "bjensen@example.com"', True),
    (f'{ENTERPRISE_URN}:employeeNumber eq "701984"', True),
    (f'{ENTERPRISE_URN}:manager.value eq "m-1"', True),
    ('manager.value eq "m-1"', True),
    ('department co "operations"', True),
    # schemas and meta
    (f'schemas eq "{ENTERPRISE_URN}"', True),
    (f'schemas eq "{ENTERPRISE_URN.upper()}"', True),
    ('schemas eq "urn:other"', False),
    ('meta.resourceType eq "User"', True),
    ('meta.resourceType eq "Group"', False),
    # dateTime compared as instants: Z, offsets and fractional seconds
    ('meta.created eq "2024-01-23T04:56:22Z"', True),
    ('meta.created eq "2024-01-23T06:56:22+02:00"', True),
    ('meta.created eq "2024-01-23T04:56:22.000Z"', True),
    ('meta.created gt "2024-01-23T05:56:21+01:00"', True),
    ('meta.created gt "2024-01-23T06:56:22+02:00"', False),
    ('meta.created ge "2024-01-23T06:56:22+02:00"', True),
    ('meta.created lt "2024-01-23T04:56:22.001Z"', True),
    ('meta.lastModified gt "2024-05-13T04:42:34.123Z"', True),  # 9 fraction digits in the data
    ('meta.lastModified le "2024-05-13T04:42:34.123Z"', False),
    # unknown attribute = no value; returned=never = no value
    ('nosuch eq "x"', False),
    ('nosuch pr', False),
    ('urn:unknown:2.0:x eq "y"', False),
    ('password pr', False),
    ('password co "scrypt"', False),
    # string escapes
    ('title eq "Tour\\u0020Guide"', True),
])
def test_evaluation(users, text, expected):
    assert ok(users, text) is expected


def test_integers_compare_numerically():
    from reference_server.schema import user_model
    ext = {"id": "urn:acme:2.0:User", "attributes": [{"name": "level", "type": "integer"},
                                                     {"name": "score", "type": "decimal"}]}
    m = user_model(extensions=(ext,))
    res = {"schemas": [USER_URN, "urn:acme:2.0:User"], "urn:acme:2.0:User": {"level": 10, "score": 2.5}}
    assert ok(m, "level gt 9", res) and not ok(m, "level gt 10", res)  # "10" > "9" would be false as text
    assert ok(m, "level eq 10.0", res) and ok(m, "score lt 3", res) and ok(m, "score ge 2.5", res)
    assert ok(m, "level ge -1e1", res)
    with pytest.raises(InvalidFilter):
        ok(m, 'level co "1"', res)
    with pytest.raises(InvalidFilter):
        ok(m, 'level eq "10"', res)


def test_escapes_in_strings(users):
    res = {"schemas": [USER_URN], "userName": 'quote"back\\slash'}
    assert ok(users, r'userName eq "quote\"back\\slash"', res)
    assert ok(users, 'userName eq "QUOTE\\"BACK\\\\SLASH"', res)
    assert not ok(users, r'userName eq "quote\"back"', res)


def test_unicode_values(users):
    res = {"schemas": [USER_URN], "userName": "Zoë"}
    assert ok(users, 'userName eq "zoë"', res)
    assert ok(users, 'userName eq "ZO\\u00cb"', res)


def test_parse_tree_shapes():
    assert parse_filter('a eq "1" or b eq "2" and c pr') == Or((
        Compare(parse_filter('a eq "1"').path, "eq", "1"),
        And((Compare(parse_filter('b eq "2"').path, "eq", "2"), Present(parse_filter("c pr").path)))))
    t = parse_filter('not (a pr)')
    assert isinstance(t, Not) and isinstance(t.inner, Present)
    vp = parse_filter('emails[type eq "work"].value eq "x"')
    assert isinstance(vp, ValuePath) and isinstance(vp.filter, And) and len(vp.filter.terms) == 2
    lit = parse_filter('x eq 12.5 and y eq -3 and z eq null and w eq FALSE')
    assert [term.value for term in lit.terms] == [12.5, -3, None, False]


ERRORS = [
    ('userName regex "x"', "unknown operator 'regex'"),
    ('userName eq', "expected a value"),
    ('userName', "expected an operator"),
    ('(userName eq "x"', "expected ')'"),
    ('userName eq "x")', "unexpected ')'"),
    ('emails[type eq "work"', "expected ']'"),
    ('emails[type eq "work"]]', "unexpected"),
    ('externalId eq jyoung', "must be a JSON string"),  # bare words are not accepted
    ('userName eq "unterminated', "unterminated"),
    ('userName eq "bad \\q escape"', "invalid string"),
    ('userName eq "x" and', "expected an expression"),
    ('and userName eq "x"', "unknown operator 'userName'"),
    ('userName eq "x" xor title pr', "unexpected 'xor'"),
    ('', "empty filter"),
    ('   ', "empty filter"),
    ('emails[type eq "w" and addresses[type eq "x"]]', "cannot be nested"),
    ('emails[urn:x:y eq "1"]', "sub-attributes only"),
    ('name.givenName[x eq "1"]', "multi-valued"),
    ('9userName eq "x"', "invalid attribute path"),
    ('emails[type eq "w"].a.b eq "x"', "invalid"),
    ('"userName" eq "x"', "expected an attribute path"),
    ('userName eq ("x")', "expected a value"),
    ('not userName eq "x"', "unknown operator"),
]


@pytest.mark.parametrize(("text", "detail"), ERRORS)
def test_syntax_errors(text, detail):
    with pytest.raises(InvalidFilter) as info:
        parse_filter(text)
    assert detail in info.value.detail
    assert info.value.status == 400 and info.value.scim_type == "invalidFilter"


def test_error_names_the_position():
    with pytest.raises(InvalidFilter, match="at position 9"):
        parse_filter('userName regex "x"')


@pytest.mark.parametrize(("text", "detail"), [
    ("active gt true", "gt is not defined for boolean"),
    ("active le false", "le is not defined for boolean"),
    ('x509Certificates.value gt "TUlJRA=="', "not defined for binary"),
    ('active co "t"', "co is not defined for boolean"),
    ('active eq "true"', "does not fit boolean"),
    ("userName eq 5", "does not fit string"),
    ('meta.created gt "yesterday"', "not a dateTime"),
    ("userName gt null", "null can only be compared"),
    ('name eq "x"', "is complex"),
    ('emails[primary gt true]', "not defined for boolean"),
])
def test_type_errors_are_invalid_filter(users, text, detail):
    flt = parse_filter(text)
    with pytest.raises(InvalidFilter, match=detail):
        check_filter(flt, users)  # up front: an empty store must still answer 400
    with pytest.raises(InvalidFilter):
        matches(flt, BJENSEN, users)


def test_nesting_is_bounded():
    ok_depth = "(" * MAX_DEPTH + 'userName pr' + ")" * MAX_DEPTH
    assert isinstance(parse_filter(ok_depth), Present)
    with pytest.raises(InvalidFilter, match="deeper"):
        parse_filter("(" * (MAX_DEPTH + 1) + 'userName pr' + ")" * (MAX_DEPTH + 1))
    with pytest.raises(InvalidFilter, match="deeper"):
        parse_filter("not (" * 1500 + "a pr" + ")" * 1500)  # under the length cap, far over the depth cap


def test_length_is_bounded():
    with pytest.raises(InvalidFilter, match="longer than"):
        parse_filter('userName eq "' + "x" * 10_000 + '"')


def test_long_flat_chain_is_fine(users):
    text = " or ".join(f'userName eq "u{i}"' for i in range(450))
    assert len(text) <= 10_000
    flt = parse_filter(text)
    assert isinstance(flt, Or) and len(flt.terms) == 450
    assert not matches(flt, BJENSEN, users)
    assert matches(parse_filter(text + ' or userName pr'), BJENSEN, users)


@pytest.mark.parametrize(("text", "hint"), [
    ('userName eq "bob"', ("userName", "bob")),
    ('USERNAME eq "bob"', ("userName", "bob")),
    ('externalId eq "e1"', ("externalId", "e1")),
    ('id eq "i1"', ("id", "i1")),
    ('displayName eq "Sales"', ("displayName", "Sales")),
    (f'{USER_URN}:userName eq "bob"', ("userName", "bob")),
    ('active eq true and userName eq "bob"', ("userName", "bob")),
    ('(title pr and (externalId eq "e"))', ("externalId", "e")),
    ('userName eq "a" or userName eq "b"', None),
    ('not (userName eq "bob")', None),
    ('userName co "bob"', None),
    ('userName ne "bob"', None),
    ('title eq "bob"', None),
    ('emails[value eq "bob"]', None),
    ('urn:acme:2.0:User:userName eq "bob"', None),
])
def test_index_hint(text, hint):
    assert index_hint(parse_filter(text)) == hint


@pytest.mark.parametrize(("text", "iso"), [
    ("2024-01-23T04:56:22Z", "2024-01-23T04:56:22+00:00"),
    ("2024-01-23T04:56:22.5+01:30", "2024-01-23T03:26:22.500000+00:00"),
    ("2024-01-23T04:56:22", "2024-01-23T04:56:22+00:00"),
    ("2024-01-23T04:56:22.123456789z", "2024-01-23T04:56:22.123456+00:00"),
    ("2024-01-23", None), ("yesterday", None), (5, None), ("2024-13-01T00:00:00Z", None),
])
def test_parse_datetime(text, iso):
    from datetime import timezone
    got = parse_datetime(text)
    assert (got.astimezone(timezone.utc).isoformat() if got else None) == iso


def test_metadata_open_extension_is_filterable(rich_users):
    res = {"schemas": [USER_URN, METADATA_URN], METADATA_URN: {"CostCode": "CC-1"}}
    assert ok(rich_users, f'{METADATA_URN}:costcode eq "cc-1"', res)
    assert not ok(rich_users, f'{METADATA_URN}:Other pr', res)


_ALPHABET = st.sampled_from(list('()[]"\\ .:$-_ aeqnotrpswcglAEQNOTR0129') + ["eq", "and", "or", "not", "pr",
                                                                             "userName", "emails", '"x"'])


@settings(max_examples=400, deadline=None)
@given(st.one_of(st.text(max_size=80), st.lists(_ALPHABET, max_size=40).map(" ".join),
                 st.lists(_ALPHABET, max_size=40).map("".join)))
def test_parser_only_ever_raises_invalid_filter(users, text):
    try:
        flt = parse_filter(text)
    except InvalidFilter:
        return
    try:
        check_filter(flt, users)
        matches(flt, BJENSEN, users)
        index_hint(flt)
    except InvalidFilter:
        pass
