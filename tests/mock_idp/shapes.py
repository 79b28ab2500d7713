"""The request shapes idp-behaviors.md describes, as assertions over what a server received.

Each ``expect_<profile>`` takes the requests in arrival order as ``(method, raw URL, parsed
JSON body or None)`` and fails with the first shape that differs from the brief.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

Seen = tuple[str, str, Any]


def _ops(requests: list[Seen]) -> list[dict[str, Any]]:
    return [op for m, _, b in requests if m == "PATCH" and isinstance(b, dict) for op in b.get("Operations", [])]


def _path(url: str) -> str:
    return urlsplit(url).path.rstrip("/")


def _common(requests: list[Seen]) -> None:
    assert requests, "the server saw no request"
    assert not [r for r in requests if r[0] == "PUT"], "no PUT expected"
    for method, url, body in requests:
        if method == "GET" and "filter=" in url:
            query = urlsplit(url).query
            assert "%20eq%20%22" in query and "+" not in query, f"filter not %20/%22-encoded: {url}"
    for method, url, body in requests:
        if method == "POST" and _path(url).endswith("/Groups"):
            assert "members" not in body or body["members"] == [], "groups are POSTed without members"


def expect_entra(requests: list[Seen]) -> None:
    _common(requests)
    assert all("aadOptscim062020" in url for _, url, _ in requests), "the flag rides on every request"
    method, url, _ = requests[0]
    assert method == "GET" and _path(url).endswith("/Users") and "filter=userName%20eq%20%22" in url
    method, url, _ = requests[1]
    assert method == "GET" and _path(url).endswith("/Groups")
    assert "excludedAttributes=members" in url and "filter=displayName%20eq%20%22" in url
    ops = _ops(requests)
    assert ops and all(op["op"] == op["op"].lower() for op in ops), "the flag sends lower-case ops"
    assert {"op": "replace", "path": "active", "value": False} in ops
    pathless = [op for op in ops if "path" not in op]
    assert pathless and all(op["op"] == "replace" and isinstance(op["value"], dict) for op in pathless)
    keys = {k for op in pathless for k in op["value"]}
    assert any("." in k or k.startswith("urn:") for k in keys), f"dotted/URN keys expected, got {sorted(keys)[:5]}"
    assert all(not isinstance(v, dict) or set(v) == {"value"} for op in pathless for v in op["value"].values()), \
        "path-less replace values are not nested (except a manager reference)"
    adds = [op for op in ops if op["op"] == "add" and op.get("path") == "members"]
    assert adds and all(v.get("$ref", "missing") is None and "value" in v for op in adds for v in op["value"])
    removes = [op for op in ops if op["op"] == "remove"]
    assert removes and all(op["path"].startswith('members[value eq "') and "value" not in op for op in removes)
    _no_string_booleans(ops)


def expect_entra_legacy(requests: list[Seen]) -> None:
    _common(requests)
    assert not any("aadOptscim062020" in url for _, url, _ in requests)
    ops = _ops(requests)
    assert ops and all(op["op"] in {"Add", "Replace", "Remove"} for op in ops), "legacy capitalises ops"
    assert all("path" in op for op in ops), "legacy sends one pathed op per attribute"
    actives = [op["value"] for op in ops if op.get("path") == "active"]
    assert "False" in actives and "True" in actives and all(isinstance(v, str) for v in actives)
    removes = [op for op in ops if op["op"] == "Remove"]
    assert removes and all(op["path"] == "members" and isinstance(op["value"], list) for op in removes)
    posts = [b for m, u, b in requests if m == "POST" and _path(u).endswith("/Users")]
    assert posts and all(b["active"] is True for b in posts), "POST sends a real boolean"


def expect_jumpcloud(requests: list[Seen], manage_groups: bool = True) -> None:
    _common(requests)
    kinds = [(m, _path(u).rsplit("/", 2)[-1] if m != "DELETE" else "DELETE") for m, u, _ in requests[:5]]
    expected = ["GET", "POST", "POST", "DELETE", "DELETE"] if manage_groups else ["GET", "POST", "DELETE"]
    assert [m for m, _ in kinds][: len(expected)] == expected, f"test connection writes, then deletes: {kinds}"
    for i, (method, url, _) in enumerate(requests):
        if method == "POST" and _path(url).endswith("/Users") and i > 1:
            before = requests[i - 1]
            assert before[0] == "GET" and "filter=userName%20eq%20%22" in before[1], "a lookup precedes every create"
    ops = _ops(requests)
    assert ops and all(op["op"] == op["op"].lower() and "path" in op for op in ops)
    members = [v for op in ops if op.get("path") == "members" for v in op["value"]]
    assert all(set(v) == {"value"} for v in members), "JumpCloud member values carry no display or $ref"
    if not manage_groups:
        assert not [u for _, u, _ in requests if "/Groups" in u], "no /Groups traffic with group management off"
    _no_string_booleans(ops)


def _no_string_booleans(ops: list[dict[str, Any]]) -> None:
    assert not [op for op in ops if op.get("value") in ("True", "False")], "JSON booleans expected"
