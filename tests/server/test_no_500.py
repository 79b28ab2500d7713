"""No client mistake produces a 5xx (ERR-08): random bodies, filters and parameters, in-process."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests.server.helpers import PATCH_OP, USER, client

C = client()
UID = C.user("fuzz-base")["id"]
json_values = st.recursive(st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False, allow_infinity=False) | st.text(max_size=20),
                           lambda kids: st.lists(kids, max_size=4) | st.dictionaries(st.text(max_size=12), kids,
                                                                                       max_size=4), max_leaves=20)
names = st.sampled_from(["userName", "name", "emails", "active", "title", "groups", "id", "meta", "password",
                         "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User", "name.givenName", "x"])
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))


def _ok(r) -> bool:
    return r.status_code < 500 and r.headers["content-type"] == "application/scim+json"


@SETTINGS
@given(st.dictionaries(names, json_values, max_size=5))
def test_random_create_bodies(body):
    assert _ok(C.post("/Users", json={"schemas": [USER], **body}))


@SETTINGS
@given(st.lists(st.fixed_dictionaries({"op": st.sampled_from(["add", "remove", "replace", "Add", "move", 3]),
                                       "path": st.text(max_size=30) | names, "value": json_values}), max_size=3))
def test_random_patches(ops):
    assert _ok(C.patch(f"/Users/{UID}", json={"schemas": [PATCH_OP], "Operations": ops}))


@SETTINGS
@given(st.text(max_size=60), st.text(max_size=10), st.text(max_size=10), st.text(max_size=20))
def test_random_query_parameters(flt, start, count, sort):
    r = C.get("/Users", params={"filter": flt, "startIndex": start, "count": count, "sortBy": sort,
                                "attributes": sort})
    assert _ok(r)


# -- integer bounds: every numeric parameter, whatever its size (issue: a 30-digit startIndex was a 500) --
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
C.group("bounds-group")
BIG = 10**29  # thirty digits
INT_MAX = 2**63 - 1


def _list(endpoint: str, via_search: bool, **params: object):
    if via_search:
        return C.post(f"{endpoint.rstrip('/')}/.search", json={"schemas": [SEARCH], **params})
    return C.get(endpoint or "/", params={k: str(v) for k, v in params.items()})


@pytest.mark.parametrize("via_search", [False, True], ids=["GET", "POST .search"])
@pytest.mark.parametrize("endpoint", ["/Users", "/Groups", "/"])
def test_a_startindex_past_64_bits_is_a_400_invalid_value(endpoint: str, via_search: bool) -> None:
    r = _list(endpoint, via_search, startIndex=BIG)
    assert r.status_code == 400 and r.json()["scimType"] == "invalidValue", r.text
    assert _ok(r)


@pytest.mark.parametrize("via_search", [False, True], ids=["GET", "POST .search"])
@pytest.mark.parametrize("endpoint", ["/Users", "/Groups"])
def test_inside_the_bounds_the_rfc_rules_apply_at_any_size(endpoint: str, via_search: bool) -> None:
    total = _list(endpoint, via_search).json()["totalResults"]
    assert total >= 1
    last = _list(endpoint, via_search, startIndex=INT_MAX).json()  # past the end: empty page (PAGE-06)
    assert (last["startIndex"], last["itemsPerPage"], last["Resources"], last["totalResults"]) == (INT_MAX, 0, [], total)
    below = _list(endpoint, via_search, startIndex=-BIG).json()  # "less than 1 SHALL be interpreted as 1"
    assert below["startIndex"] == 1 and below["itemsPerPage"] == min(total, 100)
    none = _list(endpoint, via_search, count=-BIG).json()  # "A negative value SHALL be interpreted as 0"
    assert none["itemsPerPage"] == 0 and none["totalResults"] == total
    many = _list(endpoint, via_search, count=BIG).json()  # capped by maxResults
    assert many["itemsPerPage"] == total


def test_a_parameter_of_thousands_of_digits_is_judged_by_its_sign() -> None:
    assert C.get("/Users", params={"count": "-" + "9" * 5000}).json()["itemsPerPage"] == 0
    r = C.get("/Users", params={"startIndex": "9" * 5000})
    assert r.status_code == 400 and r.json()["scimType"] == "invalidValue"


def test_recordings_parameters_are_bounded_too() -> None:
    rc = client()
    rc.get("/Users")
    for params in ({"after": str(BIG)}, {"limit": str(BIG)}, {"after": str(-BIG)}):
        r = rc.get("/_recordings", params=params)
        assert r.status_code == 400 and r.json()["scimType"] == "invalidValue", (params, r.text)
    assert rc.get(f"/_recordings/{BIG}").status_code == 404
    assert rc.get("/_recordings", params={"limit": "0"}).status_code == 200


@SETTINGS
@given(st.sampled_from(["/Users", "/Groups", "/"]), st.booleans(),
       st.dictionaries(st.sampled_from(["startIndex", "count"]),
                       st.integers() | st.integers(min_value=-(10**40), max_value=10**40), max_size=2))
def test_any_integer_in_a_list_request(endpoint: str, via_search: bool, params: dict[str, int]) -> None:
    r = _list(endpoint, via_search, **params)
    assert _ok(r) and r.status_code in (200, 400), r.text
