"""Tenants over a real socket: the admin API, and isolation probed like a security property.

Every endpoint is probed with the other tenant's token (401, nothing of the other tenant in the
answer) and with the other tenant's ids under one's own token (404 / empty / own counts only);
the victim tenant's data must be unchanged afterwards, and one tenant's quirk never changes the
other's answers.
"""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest

from reference_server.settings import ServerSettings
from reference_server.tenant_app import TenantServer
from reference_server.tenants import TenantRegistry
from tests.live import serve

pytestmark = pytest.mark.socket
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
BULK = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
SEARCH = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
ADMIN = "admin-token-for-tests-0123456789"


@pytest.fixture
def sandbox(tmp_path: Path, store_db: str, request: pytest.FixtureRequest):
    """A multi-tenant server whose registry and tenants live in a directory or in PostgreSQL."""
    location = request.getfixturevalue("pg_cluster").database_dsn() if store_db == "postgresql" \
        else str(tmp_path / "tenants")
    server = TenantServer(TenantRegistry(location), ADMIN, ServerSettings())
    with serve(server) as url, httpx.Client(base_url=url, timeout=10) as http:
        yield server, http, location
    server.close()
    server.registry.close()


def _stored_registry(location: str) -> bytes:
    """Everything the registry keeps, as bytes (the file, or the table's rows)."""
    if not location.startswith("postgresql://"):
        return (Path(location) / "tenants.db").read_bytes()
    import psycopg

    with psycopg.connect(location) as conn:
        return repr(conn.execute("SELECT * FROM tenants").fetchall()).encode()


def _tenant_data_exists(location: str, name: str) -> bool:
    if not location.startswith("postgresql://"):
        return (Path(location) / f"{name}.db").exists()
    import psycopg

    with psycopg.connect(location) as conn:
        return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (f"tenant_{name}",)).fetchone() is not None


def _admin(http: httpx.Client, method: str, path: str, **kw) -> httpx.Response:
    return http.request(method, path, headers={"Authorization": f"Bearer {ADMIN}"}, **kw)


def _tenant(http: httpx.Client, name: str, **extra) -> tuple[str, str]:
    r = _admin(http, "POST", "/admin/tenants", json={"name": name, **extra})
    assert r.status_code == 201, r.text
    body = r.json()
    assert body["baseUrl"] == str(http.base_url).rstrip("/") + f"/t/{name}/scim/v2"
    return body["baseUrl"], body["token"]


def _seed(base: str, token: str, who: str) -> dict[str, str]:
    h = {"Authorization": f"Bearer {token}"}
    user = httpx.post(f"{base}/Users", headers=h, json={"schemas": [USER], "userName": f"{who}@{who}.org",
                                                       "externalId": f"ext-{who}"})
    assert user.status_code in (200, 201), user.text
    uid = user.json()["id"]
    group = httpx.post(f"{base}/Groups", headers=h, json={"schemas": [GROUP], "displayName": f"grp-{who}",
                                                         "members": [{"value": uid}]})
    assert group.status_code in (200, 201), group.text
    return {"user": uid, "group": group.json()["id"], "userName": f"{who}@{who}.org", "token": token}


def _probes(ids: dict[str, str]) -> list[tuple[str, str, dict | None, dict | None]]:
    """(method, path, params, json) for every endpoint, aimed at ``ids`` (the victim's)."""
    uid, gid, name = ids["user"], ids["group"], ids["userName"]
    patch = {"schemas": [PATCH], "Operations": [{"op": "replace", "path": "displayName", "value": "pwned"}]}
    return [
        ("GET", "/Users", None, None),
        ("GET", "/Users", {"filter": f'userName eq "{name}"'}, None),
        ("GET", "/Users", {"filter": f'id eq "{uid}"'}, None),
        ("GET", "/Users", {"filter": f'externalId eq "ext-{name.split("@")[0]}"'}, None),
        ("GET", "/Users", {"count": "0"}, None),
        ("GET", "/Users", {"cursor": "", "count": "1"}, None),
        ("GET", f"/Users/{uid}", None, None),
        ("PUT", f"/Users/{uid}", None, {"schemas": [USER], "userName": "pwned@x.org"}),
        ("PATCH", f"/Users/{uid}", None, patch),
        ("DELETE", f"/Users/{uid}", None, None),
        ("GET", "/Groups", None, None),
        ("GET", "/Groups", {"filter": f'members.value eq "{uid}"'}, None),
        ("GET", f"/Groups/{gid}", None, None),
        ("PUT", f"/Groups/{gid}", None, {"schemas": [GROUP], "displayName": "pwned"}),
        ("PATCH", f"/Groups/{gid}", None, patch),
        ("DELETE", f"/Groups/{gid}", None, None),
        ("POST", "/Users/.search", None, {"schemas": [SEARCH], "filter": f'userName eq "{name}"'}),
        ("POST", "/Groups/.search", None, {"schemas": [SEARCH], "filter": f'members.value eq "{uid}"'}),
        ("POST", "/.search", None, {"schemas": [SEARCH], "filter": f'id eq "{uid}"'}),
        ("GET", "/", {"filter": f'id eq "{gid}"'}, None),
        ("POST", "/Bulk", None, {"schemas": [BULK], "Operations": [
            {"method": "PATCH", "path": f"/Users/{uid}", "data": patch},
            {"method": "DELETE", "path": f"/Groups/{gid}"}]}),
        ("POST", "/Groups", None, {"schemas": [GROUP], "displayName": "steal", "members": [{"value": uid}]}),
        ("GET", "/Me", None, None),
        ("GET", "/_recordings", None, None),
        ("GET", "/_recordings/1", None, None),
    ]


def _secrets_of(ids: dict[str, str]) -> list[str]:
    return [ids["user"], ids["group"], ids["userName"], ids["token"], "grp-" + ids["userName"].split("@")[0]]


def _leaks(r: httpx.Response, victim: dict[str, str], sent: str = "") -> list[str]:
    """The victim's ids, names or token in the answer, other than echoes of what this client sent
    (``sent``: its earlier requests, which its own recorder shows back)."""
    text = r.text + json.dumps(dict(r.headers))
    asked = sent + str(r.request.url) + r.request.content.decode("utf-8", "replace")
    return [s for s in _secrets_of(victim) if s in text and s not in asked]


def _state(base: str, ids: dict[str, str]) -> tuple:
    h = {"Authorization": f"Bearer {ids['token']}"}
    u = httpx.get(f"{base}/Users/{ids['user']}", headers=h).json()
    g = httpx.get(f"{base}/Groups/{ids['group']}", headers=h).json()
    total = httpx.get(f"{base}/", headers=h).json()["totalResults"]
    return u["meta"]["version"], u["userName"], g["meta"]["version"], [m["value"] for m in g["members"]], total


def test_no_tenant_reads_writes_filters_bulks_or_counts_another(sandbox):
    _, http, _ = sandbox
    a_base, a_token = _tenant(http, "acme")
    b_base, b_token = _tenant(http, "bolt")
    a, b = _seed(a_base, a_token, "alice"), _seed(b_base, b_token, "bob")
    before = _state(a_base, a)
    leaks: list[str] = []
    probes = 0
    # 1. the other tenant's token (and no token) on the victim's base URL: 401, nothing shown
    for token in (b_token, None, a_token + "x"):
        h = {"Authorization": f"Bearer {token}"} if token else {}
        for method, path, params, body in _probes(a):
            r = httpx.request(method, a_base + path, params=params, json=body, headers=h)
            probes += 1
            if r.status_code != 401 or _leaks(r, a):
                leaks.append(f"{method} {path} {params} with {'B' if token == b_token else 'no/bad'} token: "
                             f"{r.status_code} {_leaks(r, a)}")
    # 2. one's own token and base URL, aimed at the victim's ids and names: 404, empty, own counts only
    hb = {"Authorization": f"Bearer {b_token}"}
    sent = ""
    for method, path, params, body in _probes(a):
        r = httpx.request(method, b_base + path, params=params, json=body, headers=hb)
        sent += str(r.request.url) + r.request.content.decode("utf-8", "replace")
        probes += 1
        if _leaks(r, a, sent):
            leaks.append(f"{method} {path} {params} in B: {_leaks(r, a, sent)}")
        data = r.json() if r.content and r.headers.get("content-type", "").endswith("json") else {}
        if path.split("/")[-1] in (a["user"], a["group"]) and r.status_code != 404:
            leaks.append(f"{method} {path} in B answered {r.status_code}, not 404")
        if "totalResults" in data and params and "filter" in params and data["totalResults"] != 0:
            leaks.append(f"{method} {path} {params} in B counts {data['totalResults']}")
        if method == "POST" and path == "/Bulk":
            statuses = [op.get("status") for op in data.get("Operations", [])]
            if statuses != ["404", "404"]:
                leaks.append(f"bulk in B on A's ids: {statuses}")
        if method == "POST" and path == "/Groups" and r.status_code < 400:
            leaks.append(f"B made a group with A's user as a member: {r.status_code}")
    counts = httpx.get(f"{b_base}/", headers=hb).json()["totalResults"]
    assert leaks == [], "\n".join(leaks)
    assert probes == 100
    assert counts == 2, "B counts only its own user and group"
    assert _state(a_base, a) == before, "A's data changed"
    assert not [s for s in _secrets_of(b) if s in httpx.get(f"{a_base}/_recordings", headers={
        "Authorization": f"Bearer {a_token}"}, params={"limit": "1000"}).text]


def test_one_tenants_quirk_never_touches_anothers_answers(sandbox):
    _, http, _ = sandbox
    a_base, a_token = _tenant(http, "quirky", quirks=["create-returns-200", "cursor-no-next"])
    b_base, b_token = _tenant(http, "plain")
    for base, token, status, next_seen in ((a_base, a_token, 200, False), (b_base, b_token, 201, True)):
        h = {"Authorization": f"Bearer {token}"}
        codes = [httpx.post(f"{base}/Users", headers=h, json={"schemas": [USER], "userName": f"u{k}@x.org"}
                            ).status_code for k in range(3)]
        page = httpx.get(f"{base}/Users", headers=h, params={"cursor": "", "count": "1"}).json()
        assert codes == [status] * 3 and ("nextCursor" in page) is next_seen


def test_a_cursor_of_one_tenant_is_refused_by_another(sandbox):
    _, http, _ = sandbox
    bases = {}
    for name in ("one", "two"):
        base, token = _tenant(http, name)
        bases[name] = (base, {"Authorization": f"Bearer {token}"})
        for k in range(3):
            httpx.post(f"{base}/Users", headers=bases[name][1], json={"schemas": [USER], "userName": f"{name}{k}@x.org"})
    cursor = httpx.get(f"{bases['one'][0]}/Users", headers=bases["one"][1], params={"cursor": "", "count": "1"}
                       ).json()["nextCursor"]
    r = httpx.get(f"{bases['two'][0]}/Users", headers=bases["two"][1], params={"cursor": cursor, "count": "1"})
    assert r.status_code == 400 and r.json()["scimType"] == "invalidCursor"


def test_admin_api_create_list_rotate_delete_and_its_guard(sandbox):
    server, http, directory = sandbox
    base, token = _tenant(http, "acme", app="default")
    assert _admin(http, "POST", "/admin/tenants", json={"name": "acme"}).status_code == 409
    assert _admin(http, "POST", "/admin/tenants", json={"name": "Bad Name"}).status_code == 400
    assert _admin(http, "POST", "/admin/tenants", json={"name": "x", "quirks": ["nope"]}).status_code == 400
    for h in ({}, {"Authorization": f"Bearer {token}"}, {"Authorization": f"Bearer {ADMIN}x"}):
        assert http.get("/admin/tenants", headers=h).status_code == 401
    listed = _admin(http, "GET", "/admin/tenants").json()["tenants"]
    assert [t["name"] for t in listed] == ["acme"] and token not in json.dumps(listed)
    assert token.encode() not in _stored_registry(directory)
    h = {"Authorization": f"Bearer {token}"}
    assert httpx.get(f"{base}/Users", headers=h).status_code == 200 and _tenant_data_exists(directory, "acme")
    assert httpx.get(f"{base}/ServiceProviderConfig").status_code == 200  # discovery needs no credentials
    new = _admin(http, "POST", "/admin/tenants/acme/rotate-token").json()["token"]
    assert httpx.get(f"{base}/Users", headers=h).status_code == 401
    assert httpx.get(f"{base}/Users", headers={"Authorization": f"Bearer {new}"}).status_code == 200
    assert _admin(http, "DELETE", "/admin/tenants/acme").status_code == 204
    assert httpx.get(f"{base}/Users", headers={"Authorization": f"Bearer {new}"}).status_code == 404
    assert not _tenant_data_exists(directory, "acme") and _admin(http, "DELETE", "/admin/tenants/acme").status_code == 404
    assert server.apps == {}
