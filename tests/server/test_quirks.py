"""Each quirk shows its defect (and the catalogue is exactly the team's list)."""

from __future__ import annotations

import pytest

from reference_server.quirks import CATALOGUE, QuirkSet
from tests.server.helpers import ERROR, GROUP, USER, client, is_scim_error

EXPECTED = {
    "not-found-on-empty-filter", "case-sensitive-username-filter", "reject-capitalized-ops", "reject-string-booleans",
    "create-returns-200", "no-location-header", "duplicate-username-accepted", "wrong-total-results",
    "ignore-member-remove-filter", "remove-members-empties-group", "ignore-excluded-attributes",
    "ignore-attributes-param", "no-meta", "500-on-unknown-attribute", "plain-errors", "status-as-integer",
    "static-etag", "slow-responses", "rate-limit-429", "put-creates", "patch-not-implemented", "no-pagination",
    "delete-returns-200", "deleted-still-listed", "put-ignores-members",
    "oauth-any-secret", "oauth-tokens-never-expire", "401-without-challenge", "roles-json-text-kept",
}
EXPECTED |= {"cursor-no-next", "cursor-stuck", "cursor-ignores-count", "cursor-error-500",
             "pagination-config-strings"}  # RFC 9865 (reference_server/quirks_cursor.py)


def q(*names, **kw):
    return client(quirks=names, **kw)


def test_catalogue_names_and_descriptions():
    assert set(CATALOGUE) == EXPECTED
    assert all(qk.description and "\n" not in qk.description for qk in CATALOGUE.values())
    with pytest.raises(ValueError, match="unknown quirk"):
        QuirkSet(["nope"])


def test_not_found_on_empty_filter():
    c = q("not-found-on-empty-filter")
    assert c.get('/Users?filter=userName eq "ghost"').status_code == 404
    assert c.get("/Users").status_code == 200


def test_case_sensitive_username_filter():
    c = q("case-sensitive-username-filter")
    c.user("Alice")
    assert c.get('/Users?filter=userName eq "alice"').json()["totalResults"] == 0
    assert c.get('/Users?filter=userName eq "Alice"').json()["totalResults"] == 1


def test_reject_capitalized_ops_and_string_booleans():
    c = q("reject-capitalized-ops")
    u = c.user("a")
    assert c.patch_ops(f"/Users/{u['id']}", {"op": "Replace", "path": "title", "value": "x"}).status_code == 400
    c = q("reject-string-booleans")
    u = c.user("a")
    assert c.patch_ops(f"/Users/{u['id']}", {"op": "replace", "path": "active", "value": "False"}).status_code == 400


def test_create_returns_200_and_no_location():
    c = q("create-returns-200")
    r = c.post("/Users", json={"schemas": [USER], "userName": "a"})
    assert r.status_code == 200
    c = q("no-location-header")
    r = c.post("/Users", json={"schemas": [USER], "userName": "a"})
    assert r.status_code == 201 and "location" not in r.headers


def test_duplicate_username_accepted():
    c = q("duplicate-username-accepted")
    c.user("dup")
    assert c.post("/Users", json={"schemas": [USER], "userName": "DUP"}).status_code == 201
    assert c.get('/Users?filter=userName eq "dup"').json()["totalResults"] == 2


def test_wrong_total_results_and_no_pagination():
    c = q("wrong-total-results")
    for i in range(3):
        c.user(f"u{i}")
    assert c.get("/Users?count=1").json()["totalResults"] == 1
    c = q("no-pagination")
    for i in range(3):
        c.user(f"u{i}")
    assert c.get("/Users?count=1&startIndex=2").json()["itemsPerPage"] == 3


def _group_of_two(c):
    a, b = c.user("a"), c.user("b")
    return a, b, c.group("g", [a["id"], b["id"]])


def test_ignore_member_remove_filter():
    c = q("ignore-member-remove-filter")
    a, _, g = _group_of_two(c)
    r = c.patch_ops(f"/Groups/{g['id']}", {"op": "remove", "path": f'members[value eq "{a["id"]}"]'})
    assert r.status_code == 200 and len(r.json()["members"]) == 2


def test_remove_members_empties_group():
    c = q("remove-members-empties-group")
    a, _, g = _group_of_two(c)
    r = c.patch_ops(f"/Groups/{g['id']}", {"op": "remove", "path": "members", "value": [{"value": a["id"]}]})
    assert r.status_code == 200 and "members" not in c.get(f"/Groups/{g['id']}").json()


def test_ignore_projection_params():
    c = q("ignore-excluded-attributes")
    u = c.user("a", title="t")
    assert "title" in c.get(f"/Users/{u['id']}?excludedAttributes=title").json()
    c = q("ignore-attributes-param")
    u = c.user("a", title="t")
    assert "title" in c.get(f"/Users/{u['id']}?attributes=userName").json()


def test_no_meta():
    c = q("no-meta")
    u = c.user("a")
    assert "meta" not in u and "meta" not in c.get("/Users").json()["Resources"][0]


def test_500_on_unknown_attribute():
    c = q("500-on-unknown-attribute")
    r = c.post("/Users", json={"schemas": [USER], "userName": "a", "shoeSize": 9})
    assert r.status_code == 500 and "schemas" not in r.text
    assert c.post("/Users", json={"schemas": [USER], "userName": "a"}).status_code == 201


def test_plain_errors_and_status_as_integer():
    c = q("plain-errors")
    r = c.get("/Users/nope")
    assert r.status_code == 404 and ERROR not in r.text
    c = q("status-as-integer")
    assert c.get("/Users/nope").json()["status"] == 404


def test_static_etag():
    c = q("static-etag")
    u = c.user("a")
    r = c.patch_ops(f"/Users/{u['id']}", {"op": "add", "path": "title", "value": "x"})
    assert r.headers["etag"] == 'W/"1"' and r.json()["meta"]["version"] == 'W/"1"'
    r = c.put(f"/Users/{u['id']}", json={"schemas": [USER], "userName": "a"}, headers={"If-Match": 'W/"0"'})
    assert r.status_code == 200  # precondition ignored


def test_slow_responses_use_the_injected_sleeper():
    delays = []

    async def sleeper(seconds):
        delays.append(seconds)
    c = q("slow-responses", sleep=sleeper)
    c.get("/Users")
    assert delays == [0.3]


def test_rate_limit_429():
    c = q("rate-limit-429")
    statuses = [c.get("/Users").status_code for _ in range(6)]
    assert statuses == [200, 200, 429, 200, 200, 429]
    r = [c.get("/Users") for _ in range(3)][-1]
    assert r.headers["retry-after"] == "1" and is_scim_error(r, 429)


def test_put_creates():
    c = q("put-creates")
    r = c.put("/Users/made-up-id", json={"schemas": [USER], "userName": "p"})
    assert r.status_code == 201 and r.json()["id"] == "made-up-id"


def test_patch_not_implemented():
    c = q("patch-not-implemented")
    u = c.user("a")
    assert c.patch_ops(f"/Users/{u['id']}", {"op": "add", "path": "title", "value": "x"}).status_code == 501
    assert c.get("/ServiceProviderConfig").json()["patch"]["supported"] is True


def test_put_ignores_members_keeps_the_held_members():
    for quirks, expected in (((), 0), (("put-ignores-members",), 1)):
        c = q(*quirks)
        u = c.user("a")
        g = c.post("/Groups", json={"schemas": [GROUP], "displayName": "g", "members": [{"value": u["id"]}]}).json()
        r = c.put(f"/Groups/{g['id']}", json={"schemas": [GROUP], "displayName": "g2", "members": []})
        assert r.status_code == 200 and r.json()["displayName"] == "g2"
        assert len(r.json().get("members", [])) == expected


def test_delete_returns_200_and_deleted_still_listed():
    c = q("delete-returns-200")
    u = c.user("a")
    assert c.delete(f"/Users/{u['id']}").status_code == 200
    c = q("deleted-still-listed")
    u = c.user("a")
    assert c.delete(f"/Users/{u['id']}").status_code == 204
    assert c.get("/Users").json()["totalResults"] == 1
    assert c.get('/Users?filter=userName eq "a"').json()["totalResults"] == 1
    assert c.get(f"/Users/{u['id']}").status_code == 404


def test_quirks_combine():
    c = q("create-returns-200", "no-location-header", "plain-errors")
    r = c.post("/Groups", json={"schemas": [GROUP], "displayName": "g"})
    assert r.status_code == 200 and "location" not in r.headers
