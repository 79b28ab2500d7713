"""App profiles (seeds 000-004): each rule has a test that fails if it breaks."""

from __future__ import annotations

import pytest

from reference_server.profiles import list_profiles
from tests.server.helpers import USER, client, is_scim_error

LENS = "urn:ietf:params:scim:schemas:extension:lens:2.0:User"
LT = "urn:ietf:params:scim:schemas:extension:LambdaTest:2.0:User"
FOLDERS = "urn:ietf:params:scim:schemas:extension:2.0:CustomExtensionName"
META = "urn:ietf:params:scim:schemas:extension:2.0:Metadata"


def test_profiles_listed():
    assert list(list_profiles()) == ["default", "keepnet", "lambdatest", "lens", "toolkit"]


def test_lens_seat_pool():
    c = client(app="lens", seats=2)
    a, b = c.user("a", active=True), c.user("b")
    third = c.user("c", active=True)
    assert a[LENS] == {"seatAssigned": True} and b[LENS] == {"seatAssigned": True} and LENS in a["schemas"]
    assert LENS not in third and LENS not in third["schemas"]  # no seat free
    r = c.patch_ops(f"/Users/{a['id']}", {"op": "replace", "path": "active", "value": False})
    assert LENS not in r.json()  # deactivating frees the seat
    r = c.patch_ops(f"/Users/{third['id']}", {"op": "replace", "path": "title", "value": "x"})
    assert LENS not in r.json()  # seats are taken on create/activation only
    d = c.user("d", active=True)
    assert d[LENS] == {"seatAssigned": True}
    r = c.patch_ops(f"/Users/{d['id']}", {"op": "add", "path": f"{LENS}:seatAssigned", "value": False})
    assert r.status_code == 400 or r.json()[LENS] == {"seatAssigned": True}  # read-only
    inactive = c.user("e", active=False)
    assert LENS not in inactive
    attr = c.get(f"/Schemas/{LENS}").json()["attributes"][0]
    assert attr["name"] == "seatAssigned" and attr["mutability"] == "readOnly"


def test_keepnet_requires_work_email():
    c = client(app="keepnet")
    r = c.post("/Users", json={"schemas": [USER], "userName": "k", "emails": [{"value": "k@x", "type": "home"}]})
    assert is_scim_error(r, 400, "invalidValue") and "work" in r.json()["detail"]
    u = c.user("k", emails=[{"value": "k@x", "type": "work"}])
    r = c.patch_ops(f"/Users/{u['id']}", {"op": "remove", "path": "emails"})
    assert is_scim_error(r, 400, "invalidValue")


def test_lambdatest_required_role_default_and_filter_limits():
    c = client(app="lambdatest")
    full = {"schemas": [USER], "userName": "l", "active": True, "name": {"givenName": "L", "familyName": "T"}}
    for missing in ("active", "name"):
        body = {k: v for k, v in full.items() if k != missing}
        assert is_scim_error(c.post("/Users", json=body), 400, "invalidValue"), missing
    assert is_scim_error(c.post("/Users", json={**full, "name": {"givenName": "L"}}), 400, "invalidValue")
    r = c.post("/Users", json=full)
    assert r.status_code == 201 and r.json()[LT] == {"OrganizationRole": "User"}
    assert is_scim_error(c.post("/Users", json={**full, "userName": "m", LT: {"OrganizationRole": "Boss"}}), 400)
    assert c.get('/Users?filter=userName eq "l"').json()["totalResults"] == 1
    for f in ('externalId eq "x"', 'userName eq "l" and active eq true', 'emails.value eq "x"'):
        assert is_scim_error(c.get("/Users", params={"filter": f}), 400, "invalidFilter"), f


def test_toolkit_basic_auth_and_attributes():
    with pytest.raises(ValueError, match="Basic"):
        client(app="toolkit")
    c = client(app="toolkit", basic=("acme", "pw-123"))
    assert is_scim_error(c.get("/Users"), 401)  # a bearer token is not accepted
    c.headers.pop("Authorization")
    c.auth = ("acme", "pw-123")
    spc = c.get("/ServiceProviderConfig").json()
    assert [s["type"] for s in spc["authenticationSchemes"]] == ["httpbasic"]
    base = {"schemas": [USER], "userName": "t@x.com", "name": {"givenName": "T", "familyName": "K"},
            "emails": [{"value": "t@x.com", "type": "work"}]}
    assert is_scim_error(c.post("/Users", json={**base, "userType": "Gold"}), 400, "invalidValue")
    assert is_scim_error(c.post("/Users", json={**base, "roles": [{"value": "Owner"}]}), 400, "invalidValue")
    assert is_scim_error(c.post("/Users", json={k: v for k, v in base.items() if k != "emails"}), 400)
    r = c.post("/Users", json={**base, "userType": "Premium", "roles": [{"value": "EnterpriseAdmin"}],
                               FOLDERS: {"folders": ["Folder 1", "Folder 2"]}, f"{META}:costCode": "C-9"})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body[FOLDERS]["folders"] == ["Folder 1", "Folder 2"] and body[META] == {"costCode": "C-9"}
    r = c.patch_ops(f"/Users/{body['id']}", {"op": "add", "path": f"{META}:region", "value": "EU"})
    assert r.json()[META] == {"costCode": "C-9", "region": "EU"}
