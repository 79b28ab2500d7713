"""ETags (RFC 7644 §3.14; ETAG-01..06)."""

from __future__ import annotations

from tests.server.helpers import USER, is_scim_error


def test_if_none_match_gives_304_empty(c):
    u = c.user("e")
    r = c.get(f"/Users/{u['id']}", headers={"If-None-Match": 'W/"1"'})
    assert r.status_code == 304 and r.content == b""
    assert c.get(f"/Users/{u['id']}", headers={"If-None-Match": 'W/"9"'}).status_code == 200


def test_stale_if_match_is_412_and_changes_nothing(c):
    u = c.user("e")
    assert c.patch_ops(f"/Users/{u['id']}", {"op": "add", "path": "title", "value": "a"},
                       headers={"If-Match": 'W/"1"'}).status_code == 200
    for r in (c.put(f"/Users/{u['id']}", json={"schemas": [USER], "userName": "e2"}, headers={"If-Match": 'W/"1"'}),
              c.patch_ops(f"/Users/{u['id']}", {"op": "add", "path": "title", "value": "b"},
                          headers={"If-Match": '"1"'}),
              c.delete(f"/Users/{u['id']}", headers={"If-Match": 'W/"1"'})):
        assert is_scim_error(r, 412)
    now = c.get(f"/Users/{u['id']}").json()
    assert now["userName"] == "e" and now["title"] == "a" and now["meta"]["version"] == 'W/"2"'


def test_current_or_star_if_match_succeeds(c):
    u = c.user("e")
    r = c.put(f"/Users/{u['id']}", json={"schemas": [USER], "userName": "e", "title": "x"},
              headers={"If-Match": '"1"'})
    assert r.status_code == 200 and r.headers["etag"] == 'W/"2"'
    assert c.delete(f"/Users/{u['id']}", headers={"If-Match": "*"}).status_code == 204


def test_membership_change_bumps_group_version(c):
    u = c.user("m")
    g = c.group("g")
    r = c.patch_ops(f"/Groups/{g['id']}", {"op": "add", "path": "members", "value": [{"value": u["id"]}]})
    assert r.headers["etag"] == 'W/"2"'
    r = c.patch_ops(f"/Groups/{g['id']}", {"op": "add", "path": "members", "value": [{"value": u["id"]}]})
    assert r.headers["etag"] == 'W/"2"'  # adding an existing member is a no-op


def test_identical_put_keeps_the_version(c):
    u = c.user("same")
    g = c.group("g", [u["id"]])
    body = {k: v for k, v in g.items() if k not in ("id", "meta")}  # members as returned, with $ref
    r = c.put(f"/Groups/{g['id']}", json=body)
    assert r.status_code == 200 and r.headers["etag"] == 'W/"1"'
    r = c.put(f"/Groups/{g['id']}", json={**body, "displayName": "g2"})
    assert r.headers["etag"] == 'W/"2"' and r.json()["members"] == g["members"]
