"""Discovery (RFC 7644 §4, RFC 7643 §5-§7): DISC-01..15."""

from __future__ import annotations

from tests.server.helpers import ENTERPRISE, GROUP, LIST, USER, client, is_scim_error


def test_spc_is_public_and_advertises_what_is_implemented(c):
    c.headers.pop("Authorization")
    r = c.get("/ServiceProviderConfig")
    assert r.status_code == 200 and r.headers["content-type"] == "application/scim+json"
    spc = r.json()
    assert spc["schemas"] == ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"]
    assert spc["patch"]["supported"] is True and spc["bulk"]["supported"] is True
    assert spc["filter"] == {"supported": True, "maxResults": 200}
    assert spc["etag"]["supported"] is True and spc["sort"]["supported"] is True
    assert spc["changePassword"]["supported"] is False
    assert [s["type"] for s in spc["authenticationSchemes"]] == ["oauthbearertoken"]
    assert 'Bearer' in c.get("/Users").headers["www-authenticate"]


def test_resource_types_and_schemas_cross_reference(c):
    rts = c.get("/ResourceTypes").json()
    assert rts["schemas"] == [LIST] and rts["totalResults"] == 2
    by_name = {rt["name"]: rt for rt in rts["Resources"]}
    assert by_name["User"]["endpoint"] == "/Users" and by_name["User"]["schema"] == USER
    assert by_name["User"]["schemaExtensions"] == [{"schema": ENTERPRISE, "required": False}]
    schema_ids = {s["id"] for s in c.get("/Schemas").json()["Resources"]}
    assert schema_ids == {USER, GROUP, ENTERPRISE}
    assert c.get("/ResourceTypes/User").json()["name"] == "User"
    assert c.get(f"/Schemas/{USER}").json()["id"] == USER
    assert is_scim_error(c.get("/ResourceTypes/Nope"), 404)
    assert is_scim_error(c.get("/Schemas/urn:nope"), 404)


def test_filter_on_discovery_is_refused(c):
    assert is_scim_error(c.get('/Schemas?filter=id eq "x"'), 403)
    assert is_scim_error(c.get('/ResourceTypes?filter=name eq "User"'), 403)


def test_custom_extension_file_is_advertised_and_usable(tmp_path):
    ext = tmp_path / "ext.json"
    ext.write_text('{"id": "urn:example:params:scim:schemas:extension:acme:2.0:User", "name": "Acme",'
                   ' "attributes": [{"name": "badge", "type": "string"}]}')
    c = client(extensions=(str(ext),))
    urn = "urn:example:params:scim:schemas:extension:acme:2.0:User"
    assert urn in {s["id"] for s in c.get("/Schemas").json()["Resources"]}
    u = c.user("acme", **{urn: {"badge": "B-1"}})
    assert u[urn] == {"badge": "B-1"} and urn in u["schemas"]
    found = c.get("/Users", params={"filter": f'{urn}:badge eq "B-1"'}).json()
    assert found["totalResults"] == 1
