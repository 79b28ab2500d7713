"""The server over a real loopback socket (uvicorn + httpx): every capability once, end to end."""

from __future__ import annotations

import asyncio
import base64

import httpx
import pytest

from reference_server.app import create_app
from reference_server.settings import ServerSettings
from tests.live import serve
from tests.server.helpers import AUTH, ERROR, GROUP, LIST, PATCH_OP, TOKEN, USER

pytestmark = pytest.mark.socket


@pytest.fixture
def live():
    app = create_app(ServerSettings(tokens=(TOKEN,)))
    with serve(app) as url, httpx.Client(base_url=url, headers=AUTH, timeout=10) as http:
        http.scim = app
        yield http


def test_curl_like_session(live):
    http = live
    assert http.get("/ServiceProviderConfig", headers={"Authorization": ""}).status_code == 200
    for path in ("/ResourceTypes", "/Schemas", f"/Schemas/{USER}", "/ResourceTypes/Group"):
        assert http.get(path).status_code == 200, path
    r = http.post("/Users", json={"schemas": [USER], "userName": "sock", "emails": [{"value": "s@x.org", "type": "work"}]},
                  headers={"content-type": "application/scim+json; charset=utf-8"})
    assert r.status_code == 201 and r.headers["content-type"] == "application/scim+json"
    user = r.json()
    assert r.headers["location"] == user["meta"]["location"] and r.headers["location"].startswith(str(http.base_url))
    assert http.get(r.headers["location"]).json()["userName"] == "sock"
    assert http.post("/Users", json={"schemas": [USER], "userName": "SOCK"}).json()["scimType"] == "uniqueness"
    found = http.get("/Users", params={"filter": 'userName eq "Sock"', "attributes": "userName"}).json()
    assert found["schemas"] == [LIST] and found["totalResults"] == 1 and set(found["Resources"][0]) == {
        "schemas", "id", "userName"}
    assert http.get("/Users", params={"filter": 'emails[type eq "work" and value co "@x.org"]'}).json()[
        "totalResults"] == 1
    g = http.post("/Groups", json={"schemas": [GROUP], "displayName": "SockGroup",
                                   "members": [{"value": user["id"]}]}).json()
    assert http.get(f"/Users/{user['id']}").json()["groups"][0]["value"] == g["id"]
    r = http.patch(f"/Users/{user['id']}", json={"schemas": [PATCH_OP], "Operations": [
        {"op": "replace", "path": "active", "value": False}]}, headers={"If-Match": user["meta"]["version"]})
    assert r.status_code == 200 and r.json()["active"] is False and r.headers["etag"] == 'W/"2"'
    assert http.get(f"/Users/{user['id']}", headers={"If-None-Match": 'W/"2"'}).status_code == 304
    assert http.put(f"/Users/{user['id']}", json={"schemas": [USER], "userName": "sock"},
                    headers={"If-Match": 'W/"1"'}).status_code == 412
    page = http.get("/Users?startIndex=1&count=1&sortBy=userName").json()
    assert page["itemsPerPage"] == 1 and page["totalResults"] == 1
    search = http.post("/Users/.search", json={"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"],
                                               "filter": 'userName sw "so"'})
    assert search.json()["totalResults"] == 1
    bulk = http.post("/Bulk", json={"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": [
        {"method": "POST", "path": "/Users", "bulkId": "b", "data": {"schemas": [USER], "userName": "bulky"}}]})
    assert bulk.json()["Operations"][0]["status"] == "201"
    assert http.delete(f"/Users/{user['id']}").status_code == 204
    assert http.get(f"/Users/{user['id']}").status_code == 404
    assert "members" not in http.get(f"/Groups/{g['id']}").json()
    me = http.get("/Me")
    assert me.status_code == 501 and me.json()["schemas"] == [ERROR]
    for bad in (http.get("/Users", headers={"Authorization": "Bearer nope"}), http.get("/Nope"),
                http.post("/Users", content=b"{bad", headers={"content-type": "application/json"}),
                http.get("/v3/Users"), http.delete("/Schemas")):
        assert bad.status_code in (400, 401, 404, 405) and bad.json()["schemas"] == [ERROR]
        assert isinstance(bad.json()["status"], str)
    live.scim.flush()
    recs = http.get("/_recordings", params={"limit": 1000}).json()["Resources"]
    assert recs[0]["path"] == "/ServiceProviderConfig" and TOKEN not in str(recs)


def test_quirk_and_profile_over_socket():
    app = create_app(ServerSettings(basic=("u", "p"), app="toolkit", quirks=("create-returns-200",)))
    with serve(app) as url, httpx.Client(base_url=url, auth=("u", "p"), timeout=10) as http:
        r = http.post("/Users", json={"schemas": [USER], "userName": "t@x", "name": {"givenName": "a", "familyName": "b"},
                                      "emails": [{"value": "t@x"}]})
        assert r.status_code == 200
        wrong = base64.b64encode(b"u:x").decode()
        r = httpx.get(f"{url}/Users", headers={"Authorization": f"Basic {wrong}"}, timeout=10)
        assert r.status_code == 401 and r.headers["www-authenticate"].startswith("Basic")


def test_fifty_concurrent_posts_of_one_username_give_one_201():
    app = create_app(ServerSettings(tokens=(TOKEN,)))

    async def storm(url: str) -> list[int]:
        limits = httpx.Limits(max_connections=50)
        async with httpx.AsyncClient(base_url=url, headers=AUTH, timeout=30, limits=limits) as http:
            body = {"schemas": [USER], "userName": "race@example.com"}
            rs = await asyncio.gather(*(http.post("/Users", json=body) for _ in range(50)))
            return [r.status_code for r in rs]

    with serve(app) as url:
        statuses = asyncio.run(storm(url))
        assert sorted(statuses) == [201] + [409] * 49
        with httpx.Client(base_url=url, headers=AUTH) as http:
            assert http.get("/Users", params={"filter": 'userName eq "race@example.com"'}).json()["totalResults"] == 1
