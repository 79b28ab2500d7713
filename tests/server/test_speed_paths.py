"""The speed paths give the answers of the general paths (issue 4 §3: faster, same behaviour).

- ``app.FastRoutes`` (hot resource routes dispatched without Starlette's router) answers every
  request exactly as Starlette does: same status, headers and body, for successes and errors.
- ``service.parse_filter_fast``'s ``attr eq "plain"`` shortcut builds the parser's own tree.
- The recorder's byte-level header formatting equals the text-level one (redaction included).
- ``read_json``'s bracket-count shortcut keeps the depth limit exact at the boundary.
"""

from __future__ import annotations

import itertools
import json
import uuid

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from reference_server import parser
from reference_server.errors import InvalidFilter
from reference_server.recorder import _header_lines
from reference_server.service import _PLAIN_EQ, parse_filter_fast
from tests.server.helpers import GROUP, PATCH_OP, USER, client


def _exchanges(c, ids):
    """A fixed tour of the resource routes: successes, errors, and routes the fast path leaves alone."""
    u = c.post("/Users", json={"schemas": [USER], "userName": "fast", "emails": [{"value": "f@x.org"}]})
    uid = u.json()["id"]
    g = c.post("/Groups", json={"schemas": [GROUP], "displayName": "g", "members": [{"value": uid}]})
    gid = g.json()["id"]
    out = [u, g]
    out += [
        c.get(f"/Users/{uid}"), c.get(f"/v2/Users/{uid}/"), c.get(f"/Groups/{gid}"),
        c.get(f"/Users/{uid}", params={"attributes": "userName"}),
        c.get(f"/Users/{uid}", headers={"If-None-Match": u.headers["etag"]}),
        c.get("/Users/no-such-id"), c.get(f"/Groups/{uid}"),
        c.get("/Users", params={"filter": 'userName eq "fast"'}),
        c.get("/Users", params={"filter": 'userName eq "FAST"'}),
        c.get("/Users", params={"filter": 'userName eq "x\\"y"'}),
        c.get("/Users", params={"filter": "userName eq"}),
        c.get("/Users", params={"startIndex": "1", "count": "5", "sortBy": "userName"}),
        c.get("/Groups"), c.get("/Users", params={"count": "x"}),
        c.patch(f"/Users/{uid}", json={"schemas": [PATCH_OP], "Operations": [{"op": "replace", "path": "active",
                                                                                 "value": False}]}),
        c.patch(f"/Users/{uid}", json={"schemas": [PATCH_OP], "Operations": [{"op": "bogus"}]}),
        c.patch(f"/Users/{uid}", json={"schemas": [PATCH_OP], "Operations": []}, headers={"If-Match": 'W/"99"'}),
        c.put(f"/Users/{uid}", json={"schemas": [USER], "userName": "fast2"}),
        c.put("/Users/no-such-id", json={"schemas": [USER], "userName": "n"}),
        c.post("/Users", content=b"{not json", headers={"content-type": "application/scim+json"}),
        c.post("/Users", json={"schemas": [USER], "userName": "FAST2"}),  # 409
        c.post("/Users", json=[1]),
        c.post("/Users/.search", json={"schemas": ["urn:ietf:params:scim:api:messages:2.0:SearchRequest"]}),
        c.get("/Users/.search"), c.post(f"/Users/{uid}", json={}), c.request("HEAD", f"/Users/{uid}"),
        c.put("/Users", json={}), c.get(f"/Users/{uid}/extra"), c.get("/users"),
        c.delete(f"/Groups/{gid}"), c.delete(f"/Users/{uid}"), c.delete(f"/Users/{uid}"), c.get(f"/Users/{uid}"),
    ]
    return [(r.status_code, sorted(r.headers.items()), r.content) for r in out]


def test_fast_routes_answer_exactly_as_starlette(monkeypatch):
    results = []
    for fast in (True, False):
        counter = itertools.count()
        monkeypatch.setattr(uuid, "uuid4", lambda: uuid.UUID(int=next(counter)))  # same ids in both runs
        c = client()
        used = []
        if fast:
            inner = c.scim.asgi.fast

            async def counting(scope, body):
                answer = await inner(scope, body)
                used.append(answer is not None)
                return answer
            c.scim.asgi.fast = counting
        else:
            c.scim.asgi.fast = None
        results.append(_exchanges(c, None))
        if fast:
            assert sum(used) >= 25 and not all(used)  # the fast path served most, and passed some on
    assert len(results[0]) == len(results[1])
    for i, (a, b) in enumerate(zip(*results)):
        assert a == b, f"exchange {i} differs"


def test_fast_routes_over_a_socket():
    """The same path under uvicorn (real scope from a real server)."""
    import httpx

    from reference_server.app import create_app
    from reference_server.settings import ServerSettings
    from tests.live import serve

    app = create_app(ServerSettings(tokens=("tok",)))
    with serve(app) as base, httpx.Client(base_url=base, headers={"Authorization": "Bearer tok"}, timeout=10) as h:
        r = h.post("/Users", json={"schemas": [USER], "userName": "sock"})
        assert r.status_code == 201 and r.headers["location"].startswith(base.rstrip("/") + "/Users/")
        got = h.get(f"/Users/{r.json()['id']}")
        assert got.status_code == 200 and got.json() == r.json() and got.headers["etag"] == r.headers["etag"]
        found = h.get("/Users", params={"filter": 'userName eq "sock"'}).json()
        assert [x["id"] for x in found["Resources"]] == [r.json()["id"]]
        assert h.head(f"/Users/{r.json()['id']}").status_code == 200


# everything the shortcut accepts: no quote, no backslash, no C0 control or DEL (C1 controls are in)
_PLAIN_CHARS = st.characters(blacklist_characters='"\\' + "".join(map(chr, range(32))) + "\x7f",
                             blacklist_categories=("Cs",))


@settings(max_examples=300, deadline=None)
@given(attr=st.sampled_from(["userName", "externalId", "displayName", "id"]), literal=st.text(_PLAIN_CHARS))
def test_eq_shortcut_builds_the_parsers_tree(attr, literal):
    text = f'{attr} eq "{literal}"'
    assert _PLAIN_EQ.fullmatch(text) is not None  # the shortcut is taken
    assert parse_filter_fast(text) == parser.parse_filter(text)


@settings(max_examples=300, deadline=None)
@given(st.text(st.sampled_from(list('userNameqidxtEQ "\\\x01 ()[]') + ["é"]), max_size=30))
def test_other_filters_go_through_the_parser(text):
    try:
        expected = parser.parse_filter(text)
    except InvalidFilter:
        with pytest.raises(InvalidFilter):
            parse_filter_fast(text)
        return
    assert parse_filter_fast(text) == expected


@settings(max_examples=200, deadline=None)
@given(st.lists(st.tuples(
    st.sampled_from(["host", "Authorization", "authorization", "proxy-authorization", "Cookie", "set-cookie",
                     "x-api-key", "X-Auth-Token", "content-type", "etag"]),
    st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=5000)), max_size=6))
def test_header_lines_from_bytes_equal_header_lines_from_text(headers):
    as_bytes = [(k.encode("latin-1"), v.encode("latin-1")) for k, v in headers]
    assert _header_lines(as_bytes) == _header_lines(headers)


@pytest.mark.parametrize("containers, too_deep", [(63, False), (64, True)])
def test_depth_limit_is_exact_at_the_boundary(containers, too_deep):
    c = client()
    value = "x"
    for _ in range(containers - 1):  # the body object itself is the first container
        value = [value]
    r = c.post("/Users", content=json.dumps({"schemas": [USER], "userName": "d", "title": value}),
               headers={"content-type": "application/scim+json"})
    assert r.status_code == 400
    assert ("nested deeper" in r.json()["detail"]) is too_deep


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=60) | st.text(st.sampled_from(list("ab=&;%+20E9C3x\u00e9")), max_size=40).map(
    lambda t: t.encode("latin-1", errors="replace")))
def test_url_params_match_starlette_query_params(raw):
    from starlette.datastructures import QueryParams
    from starlette.requests import Request

    from reference_server.endpoints.common import url_params

    mine = url_params(Request({"type": "http", "query_string": raw, "headers": []}))
    theirs = QueryParams(raw)
    assert set(mine) == set(theirs.keys())
    assert all(mine[k] == theirs.get(k) for k in mine)
