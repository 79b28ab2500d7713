"""Users and Groups CRUD (RFC 7644 §3.3-§3.6; checklist CREATE/READ/PUT/PATCH/DEL/GRP/META)."""

from __future__ import annotations

from tests.server.helpers import ENTERPRISE, GROUP, USER, client, is_scim_error


def test_create_returns_201_location_etag_and_server_meta(c):
    r = c.post("/Users", json={"schemas": [USER], "userName": "alice", "id": "mine",
                               "meta": {"created": "1999-01-01T00:00:00Z", "resourceType": "Group"}})
    assert r.status_code == 201
    body = r.json()
    assert body["id"] != "mine" and "bulkId" not in body["id"]
    assert r.headers["location"] == body["meta"]["location"] == f"http://testserver/Users/{body['id']}"
    assert r.headers["etag"] == body["meta"]["version"] == 'W/"1"'
    assert body["meta"]["resourceType"] == "User"
    assert body["meta"]["created"] == body["meta"]["lastModified"] != "1999-01-01T00:00:00Z"
    assert c.get(r.headers["location"]).json()["id"] == body["id"]


def test_username_unique_case_insensitively_and_nfc(c):
    c.user("Zoë")
    assert is_scim_error(c.post("/Users", json={"schemas": [USER], "userName": "ZOË"}), 409, "uniqueness")
    assert is_scim_error(c.post("/Users", json={"schemas": [USER], "userName": "Zoe\u0308"}), 409, "uniqueness")


def test_missing_required_and_wrong_types_are_400_invalid_value(c):
    assert is_scim_error(c.post("/Users", json={"schemas": [USER]}), 400, "invalidValue")
    assert is_scim_error(c.post("/Groups", json={"schemas": [GROUP]}), 400, "invalidValue")
    assert is_scim_error(c.post("/Users", json={"schemas": [USER], "userName": "x", "active": "yes"}), 400,
                         "invalidValue")


def test_get_unknown_is_404(c):
    assert is_scim_error(c.get("/Users/nope"), 404)
    assert is_scim_error(c.get("/Groups/nope"), 404)


def test_put_replaces_and_never_creates(c):
    u = c.user("bob", title="Boss", emails=[{"value": "a@x.org"}, {"value": "b@x.org"}])
    r = c.put(f"/Users/{u['id']}", json={"schemas": [USER], "userName": "bob", "id": "other",
                                         "emails": [{"value": "c@x.org"}]})
    assert r.status_code == 200
    body = r.json()
    assert body["id"] == u["id"] and body["emails"] == [{"value": "c@x.org"}]
    assert "title" not in body  # our PUT choice: omitted readWrite attributes are cleared
    assert body["meta"]["created"] == u["meta"]["created"] and body["meta"]["lastModified"] > u["meta"]["created"]
    assert body["meta"]["version"] == 'W/"2"'
    assert is_scim_error(c.put("/Users/unknown", json={"schemas": [USER], "userName": "z"}), 404)
    assert is_scim_error(c.get("/Users/unknown"), 404)
    assert is_scim_error(c.put(f"/Users/{u['id']}", json={"schemas": [USER]}), 400, "invalidValue")


def test_put_to_taken_username_is_409(c):
    a, _ = c.user("a"), c.user("b")
    assert is_scim_error(c.put(f"/Users/{a['id']}", json={"schemas": [USER], "userName": "B"}), 409, "uniqueness")


def test_patch_returns_200_with_resource_and_projection(c):
    u = c.user("carol")
    r = c.patch_ops(f"/Users/{u['id']}", {"op": "replace", "path": "active", "value": False})
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["meta"]["version"] == 'W/"2"'
    r = c.patch_ops(f"/Users/{u['id']}?attributes=userName", {"op": "add", "path": "title", "value": "T"})
    assert r.status_code == 200 and set(r.json()) == {"schemas", "id", "userName"}
    assert is_scim_error(c.patch_ops("/Users/nope", {"op": "add", "path": "title", "value": "x"}), 404)


def test_noop_patch_keeps_version_and_last_modified(c):
    u = c.user("dave", title="T")
    r = c.patch_ops(f"/Users/{u['id']}", {"op": "replace", "path": "title", "value": "T"})
    assert r.status_code == 200
    assert r.json()["meta"]["version"] == u["meta"]["version"]
    assert r.json()["meta"]["lastModified"] == u["meta"]["lastModified"]


def test_patch_lenient_entra_forms(c):
    u = c.user("erin")
    r = c.patch_ops(f"/Users/{u['id']}", {"op": "Replace", "path": "active", "value": "False"})
    assert r.status_code == 200 and r.json()["active"] is False


def test_patch_is_atomic(c):
    u = c.user("fay", title="old")
    r = c.patch_ops(f"/Users/{u['id']}", {"op": "replace", "path": "title", "value": "new"},
                    {"op": "replace", "path": 'emails[type eq "fax"].value', "value": "x"})
    assert is_scim_error(r, 400, "noTarget")
    assert c.get(f"/Users/{u['id']}").json()["title"] == "old"


def test_delete_then_404_everywhere_and_name_freed(c):
    u = c.user("gus")
    g = c.group("G", [u["id"]])
    assert c.delete(f"/Users/{u['id']}").status_code == 204
    for r in (c.get(f"/Users/{u['id']}"), c.delete(f"/Users/{u['id']}"),
              c.put(f"/Users/{u['id']}", json={"schemas": [USER], "userName": "gus"}),
              c.patch_ops(f"/Users/{u['id']}", {"op": "add", "path": "title", "value": "x"})):
        assert is_scim_error(r, 404)
    assert c.get("/Users", params={"filter": 'userName eq "gus"'}).json()["totalResults"] == 0
    group = c.get(f"/Groups/{g['id']}").json()
    assert "members" not in group and group["meta"]["version"] == 'W/"2"'
    assert c.post("/Users", json={"schemas": [USER], "userName": "gus"}).status_code == 201


def test_group_members_and_derived_user_groups(c):
    u1, u2 = c.user("h1"), c.user("h2")
    g = c.group("Team", [u1["id"]])
    m = g["members"][0]
    assert m["value"] == u1["id"] and m["type"] == "User" and m["$ref"].endswith(f"/Users/{u1['id']}")
    assert m["display"] == "h1"
    groups = c.get(f"/Users/{u1['id']}").json()["groups"]
    assert groups == [{"value": g["id"], "$ref": f"http://testserver/Groups/{g['id']}", "display": "Team",
                       "type": "direct"}]
    c.patch_ops(f"/Groups/{g['id']}", {"op": "add", "path": "members", "value": [{"value": u2["id"]}]})
    assert c.get(f"/Users/{u2['id']}").json()["groups"][0]["value"] == g["id"]
    r = c.patch_ops(f"/Groups/{g['id']}", {"op": "remove", "path": f'members[value eq "{u1["id"]}"]'})
    assert [x["value"] for x in r.json()["members"]] == [u2["id"]]
    assert "groups" not in c.get(f"/Users/{u1['id']}").json()
    # Entra/JumpCloud legacy form removes only the listed member
    r = c.patch_ops(f"/Groups/{g['id']}", {"op": "Remove", "path": "members", "value": [{"value": u2["id"]}]})
    assert r.status_code == 200 and "members" not in r.json()


def test_unknown_member_is_400_invalid_value(c):
    assert is_scim_error(c.post("/Groups", json={"schemas": [GROUP], "displayName": "G",
                                                 "members": [{"value": "nope"}]}), 400, "invalidValue")
    g = c.group("G2")
    r = c.patch_ops(f"/Groups/{g['id']}", {"op": "add", "path": "members", "value": [{"value": "nope"}]})
    assert is_scim_error(r, 400, "invalidValue")


def test_groups_written_on_user_change_nothing(c):
    u = c.user("ivy", groups=[{"value": "whatever"}])
    assert "groups" not in u
    g = c.group("G")
    r = c.patch_ops(f"/Users/{u['id']}", {"op": "add", "path": "groups", "value": [{"value": g["id"]}]})
    assert r.status_code == 400
    assert "members" not in c.get(f"/Groups/{g['id']}").json()


def test_nested_group_member(c):
    inner = c.group("inner")
    outer = c.group("outer", [inner["id"]])
    assert outer["members"][0]["type"] == "Group" and outer["members"][0]["$ref"].endswith(f"/Groups/{inner['id']}")


def test_password_never_returned_and_hashed(c):
    u = c.user("pw", password="S3cret!pass")
    assert "password" not in u
    assert "password" not in c.get(f"/Users/{u['id']}?attributes=password").json()
    stored = c.scim.store.get("User", u["id"]).data["password"]
    assert stored.startswith("scrypt$") and "S3cret" not in stored


def test_enterprise_extension_round_trip_and_v2_prefix(c):
    u = c.user("jo", **{ENTERPRISE: {"department": "Eng", "employeeNumber": "7"}})
    assert u["schemas"] == [USER, ENTERPRISE]
    r = c.get(f"/v2/Users/{u['id']}")
    assert r.status_code == 200 and r.json()[ENTERPRISE]["department"] == "Eng"
    assert r.json()["meta"]["location"] == f"http://testserver/v2/Users/{u['id']}"


def test_public_url_is_used_for_locations():
    c = client(public_url="https://scim.example.com/scim/v2/")
    u = c.user("pub")
    assert u["meta"]["location"] == f"https://scim.example.com/scim/v2/Users/{u['id']}"


def test_me_is_501(c):
    assert is_scim_error(c.get("/Me"), 501)


def test_projection_fast_path_agrees_with_project(c):
    from reference_server.endpoints.common import project_resource
    from reference_server.projection import project
    u = c.user("fast", name={"givenName": "F"}, emails=[{"value": "f@x", "type": "work", "primary": True}],
               password="pw-long-enough", **{ENTERPRISE: {"manager": {"value": "m"}, "department": "D"}})
    g = c.group("fastg", [u["id"]])
    for rtype, rid in (("User", u["id"]), ("Group", g["id"])):
        row = c.scim.store.get(rtype, rid)
        rendered = c.scim.service.render(row, "http://testserver")
        model = c.scim.models[rtype]
        assert project_resource(model, rendered, None, None) == project(model, rendered)
    assert "password" not in project_resource(c.scim.models["User"], c.scim.service.render(
        c.scim.store.get("User", u["id"]), "http://t"), None, None)
