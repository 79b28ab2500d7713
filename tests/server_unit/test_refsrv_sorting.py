"""sorting.py: RFC 7644 §3.4.2.3 ordering rules."""

from __future__ import annotations

import pytest

from reference_server.errors import InvalidValue
from reference_server.schema import ENTERPRISE_URN, user_model
from reference_server.sorting import sort_key, sort_resources

PEOPLE = [
    {"id": "1", "userName": "b", "title": "Zed", "meta": {"created": "2024-01-01T10:00:00+02:00"}},
    {"id": "2", "userName": "A", "meta": {"created": "2024-01-01T09:00:00Z"},
     "emails": [{"value": "z@x"}, {"value": "a@x", "primary": True}]},
    {"id": "3", "userName": "c", "title": "alpha", "emails": [{"value": "m@x"}, {"value": "b@x"}],
     ENTERPRISE_URN: {"employeeNumber": "10"}},
    {"id": "4", "userName": "C", "name": {"familyName": "Ng"}, ENTERPRISE_URN: {"employeeNumber": "9"}},
]


def order(users, by, direction=None):
    return [r["id"] for r in sort_resources(users, PEOPLE, by, direction)]


@pytest.mark.parametrize(("by", "direction", "expected"), [
    ("userName", None, ["2", "1", "3", "4"]),  # caseExact=false: A b c C (ties keep input order)
    ("userName", "descending", ["3", "4", "1", "2"]),
    ("USERNAME", "Ascending", ["2", "1", "3", "4"]),
    ("id", "descending", ["4", "3", "2", "1"]),
    ("title", None, ["3", "1", "2", "4"]),  # missing values last when ascending
    ("title", "descending", ["2", "4", "1", "3"]),  # and first when descending
    ("emails.value", None, ["2", "3", "1", "4"]),  # primary value a@x, else first value m@x
    ("emails", None, ["2", "3", "1", "4"]),
    ("name.familyName", None, ["4", "1", "2", "3"]),
    (f"{ENTERPRISE_URN}:employeeNumber", None, ["3", "4", "1", "2"]),  # strings: "10" < "9"
    ("meta.created", None, ["1", "2", "3", "4"]),  # instants: 08:00Z before 09:00Z
    ("nosuch", None, ["1", "2", "3", "4"]),
    ("password", "descending", ["1", "2", "3", "4"]),
    (None, None, ["1", "2", "3", "4"]),
])
def test_orders(users, by, direction, expected):
    assert order(users, by, direction) == expected


def test_case_exact_strings_sort_by_code_point(users):
    rows = [{"id": "b"}, {"id": "B"}, {"id": "a"}]
    assert [r["id"] for r in sort_resources(users, rows, "id")] == ["B", "a", "b"]


def test_integers_sort_numerically():
    m = user_model(extensions=({"id": "urn:acme:2.0:User", "attributes": [{"name": "level", "type": "integer"}]},))
    rows = [{"id": str(n), "urn:acme:2.0:User": {"level": n}} for n in (10, 9, 100)]
    assert [r["id"] for r in sort_resources(m, rows, "level")] == ["9", "10", "100"]


def test_bad_sort_order(users):
    with pytest.raises(InvalidValue):
        sort_resources(users, PEOPLE, "userName", "sideways")


def test_sort_key_gives_none_for_missing(users):
    key = sort_key(users, "title")
    assert key(PEOPLE[1]) is None and key(PEOPLE[0]) == "zed"
