"""Bulk (RFC 7644 §3.7; BULK-01..07)."""

from __future__ import annotations

from tests.server.helpers import GROUP, PATCH_OP, USER, client, is_scim_error

REQ = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"


def bulk(c, *ops, **extra):
    return c.post("/Bulk", json={"schemas": [REQ], "Operations": list(ops), **extra})


def test_bulk_ids_resolve_in_any_order(c):
    r = bulk(c, {"method": "POST", "path": "/Groups", "bulkId": "g",
                 "data": {"schemas": [GROUP], "displayName": "G", "members": [{"value": "bulkId:u", "type": "User"}]}},
             {"method": "POST", "path": "/Users", "bulkId": "u", "data": {"schemas": [USER], "userName": "bu"}},
             {"method": "PATCH", "path": "/Users/bulkId:u",
              "data": {"schemas": [PATCH_OP], "Operations": [{"op": "add", "path": "title", "value": "T"}]}})
    assert r.status_code == 200
    ops = r.json()["Operations"]
    assert r.json()["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:BulkResponse"]
    by = {(o["method"], o.get("bulkId")): o for o in ops}
    user_loc = by[("POST", "u")]["location"]
    assert by[("POST", "u")]["status"] == "201" and by[("POST", "g")]["status"] == "201"
    assert by[("PATCH", None)]["status"] == "200" and by[("PATCH", None)]["version"] == 'W/"2"'
    group = c.get(by[("POST", "g")]["location"]).json()
    assert group["members"][0]["value"] == user_loc.rsplit("/", 1)[1]
    assert c.get(user_loc).json()["title"] == "T"


def test_circular_references_are_409(c):
    r = bulk(c, {"method": "POST", "path": "/Groups", "bulkId": "a",
                 "data": {"schemas": [GROUP], "displayName": "A", "members": [{"value": "bulkId:b"}]}},
             {"method": "POST", "path": "/Groups", "bulkId": "b",
              "data": {"schemas": [GROUP], "displayName": "B", "members": [{"value": "bulkId:a"}]}})
    assert [o["status"] for o in r.json()["Operations"]] == ["409", "409"]
    assert c.get("/Groups").json()["totalResults"] == 0


def test_errors_and_fail_on_errors(c):
    c.user("taken")
    ops = [{"method": "POST", "path": "/Users", "bulkId": f"b{i}", "data": {"schemas": [USER], "userName": "taken"}}
           for i in range(3)] + [{"method": "POST", "path": "/Users", "bulkId": "ok",
                                  "data": {"schemas": [USER], "userName": "fresh"}}]
    r = bulk(c, *ops, failOnErrors=1)
    results = r.json()["Operations"]
    assert len(results) == 1 and results[0]["status"] == "409"
    assert results[0]["response"]["scimType"] == "uniqueness" and "location" not in results[0]
    r = bulk(c, *ops)
    assert [o["status"] for o in r.json()["Operations"]] == ["409", "409", "409", "201"]
    assert bulk(c, {"method": "POST", "path": "/Users", "data": {"schemas": [USER], "userName": "nb"}}
                ).json()["Operations"][0]["status"] == "400"


def test_put_and_delete_ops(c):
    u = c.user("pd")
    r = bulk(c, {"method": "PUT", "path": f"/Users/{u['id']}", "version": 'W/"1"',
                 "data": {"schemas": [USER], "userName": "pd", "title": "x"}},
             {"method": "DELETE", "path": f"/Users/{u['id']}", "version": 'W/"1"'},
             {"method": "DELETE", "path": f"/Users/{u['id']}"},
             {"method": "DELETE", "path": "/Users/missing"})
    assert [o["status"] for o in r.json()["Operations"]] == ["200", "412", "204", "404"]


def test_limits_are_413_naming_the_limit():
    c = client(bulk_max_operations=2, bulk_max_payload_bytes=2000)
    op = {"method": "DELETE", "path": "/Users/x"}
    r = bulk(c, op, op, op)
    assert is_scim_error(r, 413) and "maxOperations" in r.json()["detail"]
    r = bulk(c, {"method": "POST", "path": "/Users", "bulkId": "x",
                 "data": {"schemas": [USER], "userName": "y" * 3000}})
    assert is_scim_error(r, 413) and "maxPayloadSize" in r.json()["detail"]


def test_bad_bulk_bodies(c):
    assert is_scim_error(c.post("/Bulk", json={"Operations": []}), 400, "invalidSyntax")
    assert is_scim_error(c.post("/Bulk", json={"schemas": [REQ], "Operations": "x"}), 400, "invalidSyntax")
