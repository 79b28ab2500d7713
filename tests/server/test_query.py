"""Lists, filters, sorting, paging, .search (RFC 7644 §3.4.2-§3.4.3; QRY/SORT/PAGE/SRCH)."""

from __future__ import annotations

import pytest

from tests.server.helpers import GROUP, LIST, USER, client, is_scim_error

SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"


@pytest.fixture
def five(c):
    ids = [c.user(f"user{i}", externalId=f"Ext{i}", title=("T" if i % 2 else None),
                  name={"familyName": "ZYXWV"[i]})["id"] for i in range(5)]
    return c, ids


def test_empty_filter_is_200_empty_list(c):
    r = c.get("/Users", params={"filter": 'userName eq "8c1b1e1e-0000-4000-8000-000000000000"'})
    assert r.status_code == 200
    assert r.json() == {"schemas": [LIST], "totalResults": 0, "startIndex": 1, "itemsPerPage": 0, "Resources": []}


def test_eq_on_indexed_attributes_with_case_rules(five):
    c, ids = five
    q = lambda f: c.get("/Users", params={"filter": f}).json()  # noqa: E731
    assert [r["id"] for r in q('USERNAME EQ "USER3"')["Resources"]] == [ids[3]]
    assert q('externalId eq "Ext2"')["totalResults"] == 1
    assert q('externalId eq "EXT2"')["totalResults"] == 0  # caseExact
    assert q(f'id eq "{ids[1]}"')["totalResults"] == 1
    assert q('userName eq "user1" and externalId eq "Ext2"')["totalResults"] == 0
    assert q('userName sw "user" and not (title pr)')["totalResults"] == 3
    assert q('userName eq "user1" or userName eq "user4"')["totalResults"] == 2


def test_bad_filters_are_400_invalid_filter(c):
    for f in ('userName regex "x"', '(userName eq "x"', 'userName eq', 'active gt true'):
        assert is_scim_error(c.get("/Users", params={"filter": f}), 400, "invalidFilter"), f


def test_paging_rules(five):
    c, ids = five
    page = c.get("/Users?startIndex=2&count=2").json()
    assert page["totalResults"] == 5 and page["startIndex"] == 2 and page["itemsPerPage"] == 2
    assert [r["id"] for r in page["Resources"]] == ids[1:3]
    for start in ("0", "-5"):
        assert c.get(f"/Users?startIndex={start}&count=1").json()["Resources"][0]["id"] == ids[0]
    zero = c.get("/Users?count=0").json()
    assert zero["totalResults"] == 5 and zero["Resources"] == []
    assert c.get("/Users?count=-3").json()["itemsPerPage"] == 0
    past = c.get("/Users?startIndex=100").json()
    assert past["totalResults"] == 5 and past["Resources"] == []
    assert is_scim_error(c.get("/Users?count=abc"), 400)
    assert is_scim_error(c.get("/Users?startIndex=x"), 400)


def test_default_page_is_capped_at_max_results():
    c = client(max_results=3)
    for i in range(5):
        c.user(f"u{i}")
    page = c.get("/Users").json()
    assert page["totalResults"] == 5 and page["itemsPerPage"] == 3
    assert c.get("/Users?count=50").json()["itemsPerPage"] == 3
    assert c.get('/Users?filter=userName sw "u"').json()["itemsPerPage"] == 3


def test_sorting(five):
    c, ids = five
    got = c.get("/Users?sortBy=name.familyName").json()["Resources"]
    assert [r["name"]["familyName"] for r in got] == ["V", "W", "X", "Y", "Z"]
    got = c.get("/Users?sortBy=name.familyName&sortOrder=descending&count=2").json()
    assert [r["name"]["familyName"] for r in got["Resources"]] == ["Z", "Y"] and got["totalResults"] == 5
    assert is_scim_error(c.get("/Users?sortBy=userName&sortOrder=sideways"), 400)


def test_projection_on_lists(five):
    c, _ = five
    r = c.get('/Users?filter=userName eq "user1"&attributes=userName').json()["Resources"][0]
    assert set(r) == {"schemas", "id", "userName"}
    r = c.get('/Users?filter=userName eq "user1"&excludedAttributes=name,id').json()["Resources"][0]
    assert "name" not in r and "id" in r
    assert is_scim_error(c.get("/Users?attributes=userName&excludedAttributes=name"), 400, "invalidSyntax")


def test_search_same_as_get_and_root(five):
    c, ids = five
    got = c.get("/Users", params={"filter": 'userName sw "user"', "count": "2", "attributes": "userName"}).json()
    r = c.post("/Users/.search", json={"schemas": [SEARCH], "filter": 'userName sw "user"', "count": 2,
                                       "attributes": ["userName"]})
    assert r.status_code == 200 and r.json() == got
    assert c.get("/Users").json()["totalResults"] == 5  # .search created nothing
    g = c.group("grp")
    root = c.post("/.search", json={"schemas": [SEARCH], "filter": 'meta.resourceType eq "Group"'}).json()
    assert [x["id"] for x in root["Resources"]] == [g["id"]]
    assert c.get("/", params={"filter": 'userName eq "user2" or displayName eq "grp"'}).json()["totalResults"] == 2
    assert is_scim_error(c.post("/Users/.search", json={"schemas": [SEARCH], "filter": "bad ("}), 400,
                         "invalidFilter")
    assert is_scim_error(c.post("/Users/.search", content=b"[1]", headers={"content-type": "application/json"}),
                         400, "invalidSyntax")


def test_groups_display_name_filter_excluding_members(c):
    u = c.user("m")
    g = c.group("Sales", [u["id"]])
    r = c.get("/Groups", params={"filter": 'displayName eq "sales"', "excludedAttributes": "members"}).json()
    assert r["totalResults"] == 1 and r["Resources"][0]["id"] == g["id"] and "members" not in r["Resources"][0]
    assert c.get("/Users", params={"filter": f'groups.value eq "{g["id"]}"'}).json()["totalResults"] == 1


def test_unindexed_filter_over_scan_limit_is_too_many():
    c = client(scan_limit=2)
    for i in range(3):
        c.user(f"s{i}")
    assert is_scim_error(c.get('/Users?filter=title pr'), 400, "tooMany")
    assert c.get('/Users?filter=userName eq "s1"').json()["totalResults"] == 1  # indexed: still fine


def test_injection_is_just_a_value(c):
    c.user("x")
    assert c.get("/Users", params={"filter": "userName eq \"x' OR 1=1 --\""}).json()["totalResults"] == 0


def test_group_endpoint_lists_only_groups(c):
    c.user("u")
    c.group("g")
    assert [r["schemas"] for r in c.get("/Groups").json()["Resources"]] == [[GROUP]]
    assert [r["schemas"] for r in c.get("/Users").json()["Resources"]] == [[USER]]
