"""Auth, HTTP and error rules (RFC 7644 §2, §3.1, §3.8, §3.12, §3.13; AUTH/ERR/HTTP)."""

from __future__ import annotations

import base64

from tests.server.helpers import TOKEN, USER, client, is_scim_error


def test_missing_or_wrong_token_is_401_with_challenge(c):
    for headers in ({"Authorization": ""}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Basic {TOKEN}"},
                    {"Authorization": f"bearer {TOKEN}x"}):
        r = c.get("/Users", headers=headers)
        assert is_scim_error(r, 401) and r.headers["www-authenticate"].startswith("Bearer")
        assert TOKEN not in r.text
    assert c.get("/Users", headers={"Authorization": f"bearer {TOKEN}"}).status_code == 200


def test_several_tokens_and_basic():
    c = client(tokens=("one-token-aaaaaaaa", "two-token-bbbbbbbb"), basic=("admin", "pa:ss"))
    for auth in ("Bearer one-token-aaaaaaaa", "Bearer two-token-bbbbbbbb",
                 "Basic " + base64.b64encode(b"admin:pa:ss").decode()):
        assert c.get("/Users", headers={"Authorization": auth}).status_code == 200, auth
    r = c.get("/Users", headers={"Authorization": "Basic " + base64.b64encode(b"admin:nope").decode()})
    assert is_scim_error(r, 401) and "Basic" in r.headers["www-authenticate"]
    assert is_scim_error(c.get("/Users", headers={"Authorization": "Basic !!!"}), 401)


def test_unknown_path_404_wrong_method_405_and_versions(c):
    assert is_scim_error(c.get("/Nope"), 404)
    assert is_scim_error(c.delete("/ServiceProviderConfig"), 405)
    assert is_scim_error(c.put("/Users", json={}), 405)
    assert is_scim_error(c.get("/v3/Users"), 400, "invalidVers")
    assert c.get("/v2/Users").status_code == 200
    assert c.get("/Users/").status_code == 200


def test_bad_bodies_are_400_invalid_syntax(c):
    for content in (b"{bad", b"[]", b"", b"\xff\xfe", b"[" * 100_000):
        r = c.post("/Users", content=content, headers={"content-type": "application/scim+json"})
        assert is_scim_error(r, 400, "invalidSyntax"), content[:10]
    deep = '{"schemas": ["%s"], "userName": "d", "x": %s}' % (USER, "[" * 70 + "]" * 70)
    assert is_scim_error(c.post("/Users", content=deep, headers={"content-type": "application/json"}), 400,
                         "invalidSyntax")


def test_unknown_attribute_is_400_never_500(c):
    r = c.post("/Users", json={"schemas": [USER], "userName": "u", "favouriteColour": "red"})
    assert is_scim_error(r, 400, "invalidValue")
    assert is_scim_error(c.post("/Users", json={"schemas": ["urn:x:y"], "userName": "u"}), 400)


def test_content_types(c):
    body = '{"schemas": ["%s"], "userName": "%%s"}' % USER
    for i, ctype in enumerate(("application/scim+json", "application/json", "application/scim+json; charset=utf-8",
                               "application/json;charset=UTF-8")):
        r = c.post("/Users", content=body % f"ct{i}", headers={"content-type": ctype})
        assert r.status_code == 201, ctype
    assert is_scim_error(c.post("/Users", content=body % "x", headers={"content-type": "text/plain"}), 415)
    assert is_scim_error(c.post("/Users", content="userName=x",
                                headers={"content-type": "application/x-www-form-urlencoded"}), 415)
    for accept in ("application/scim+json", "application/json", "*/*"):
        assert c.get("/Users", headers={"accept": accept}).headers["content-type"] == "application/scim+json"


def test_body_too_large_is_413():
    c = client(max_body_bytes=1000)
    r = c.post("/Users", json={"schemas": [USER], "userName": "x" * 2000})
    assert is_scim_error(r, 413) and "1000" in r.json()["detail"]


def test_unicode_round_trip(c):
    u = c.user("zoë", name={"givenName": "Zoë 张 😀"})
    assert c.get(f"/Users/{u['id']}").json()["name"]["givenName"] == "Zoë 张 😀"


def test_unknown_query_parameters_are_ignored(c):
    assert c.get("/Users?foo=bar").status_code == 200


def test_internal_error_is_a_scim_500_without_stack_trace(c, monkeypatch):
    def boom(*a, **k):
        raise RuntimeError("secret internals at /srv/app.py line 12")
    monkeypatch.setattr(c.scim.service, "get", boom)
    r = c.get("/Users/x")
    assert is_scim_error(r, 500)
    assert "secret" not in r.text and "Traceback" not in r.text


def test_settings_repr_hides_credentials():
    from reference_server.settings import ServerSettings
    text = repr(ServerSettings(tokens=("hunter2-token",), basic=("u", "hunter2-pass")))
    assert "hunter2" not in text


def test_nan_and_infinity_are_not_json(c):
    r = c.post("/Users", content='{"schemas": ["%s"], "userName": "n", "x": NaN}' % USER,
               headers={"content-type": "application/json"})
    assert is_scim_error(r, 400, "invalidSyntax")
