"""More fault builders for the proofs of the second RFC half and the IdP suites.

Built on :mod:`tests.scenarios.faults`. Each builder injects one defect a real SCIM server
could have: a filter operator evaluated wrongly, a PATCH op ignored, a header dropped. The
:class:`Around` middleware can call the wrapped app several times, for defects that change
behaviour rather than bytes (a non-atomic PATCH, a case-insensitive externalId match).
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, quote

from reference_server.middleware import body_once
from tests.scenarios import faults as f
from tests.scenarios.faults import Req, Resp, read_body

ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
LISTS = r"/(Users|Groups)"
ANY_USERS = r"/Users(/.*)?"
ANY_GROUPS = r"/Groups(/.*)?"
Ops = list[dict[str, Any]]


# -- answers ------------------------------------------------------------------------------------
def scim_error(status: int, scim_type: str | None = None, detail: str = "injected fault") -> Resp:
    body: dict[str, Any] = {"schemas": [ERROR_URN], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return Resp(status, [("content-type", "application/scim+json")]).with_json(body)


def refuse(pred: Callable[[Req], bool], status: int = 400, scim_type: str | None = "invalidValue",
           method: str | None = None, path: str | None = None) -> f.Fault:
    """Answer matching requests (``pred``) with a SCIM error, as a server lacking a feature would."""

    def hook(req: Req) -> Req | Resp:
        return scim_error(status, scim_type) if pred(req) else req

    return f.on_request(hook, method, path)


def answer_if(pred: Callable[[Req], bool], status: int, body: Any = None,
              method: str | None = None, path: str | None = None) -> f.Fault:
    def hook(req: Req) -> Req | Resp:
        if not pred(req):
            return req
        resp = Resp(status, [("content-type", "application/scim+json")])
        return resp.with_json(body) if body is not None else resp

    return f.on_request(hook, method, path)


# -- query string -------------------------------------------------------------------------------
def params_of(req: Req) -> list[tuple[str, str]]:
    return parse_qsl(req.query, keep_blank_values=True)


def encode(params: list[tuple[str, str]]) -> str:
    return "&".join(f"{quote(k, safe='')}={quote(v, safe='')}" for k, v in params)


def edit_params(edit: Callable[[list[tuple[str, str]]], list[tuple[str, str]]],
                method: str | None = "GET", path: str | None = LISTS) -> f.Fault:
    """Rewrite the decoded query parameters of matching requests."""

    def hook(req: Req) -> Req:
        req.query = encode(edit(params_of(req)))
        return req

    return f.on_request(hook, method, path)


def edit_filter(edit: Callable[[str], str], method: str | None = "GET", path: str | None = LISTS) -> f.Fault:
    """Rewrite the ``filter`` parameter before the server reads it."""
    return edit_params(lambda ps: [(k, edit(v) if k == "filter" else v) for k, v in ps], method, path)


def sub_filter(pattern: str, repl: str, path: str | None = LISTS) -> f.Fault:
    """``re.sub`` on the filter: the server evaluates another expression than the one sent."""
    return edit_filter(lambda v: re.sub(pattern, repl, v), path=path)


def eq_becomes_pr(attribute: str, path: str | None = LISTS) -> f.Fault:
    """The server cannot filter on ``attribute``: ``attr eq "v"`` behaves like ``attr pr``."""
    return sub_filter(rf'(?i)\b{re.escape(attribute)} eq "[^"]*"', f"{attribute} pr", path)


def query_has(text: str) -> Callable[[Req], bool]:
    return lambda req: text.lower() in " ".join(f"{k}={v}" for k, v in params_of(req)).lower()


def set_param(name: str, value: str | None) -> Callable[[list[tuple[str, str]]], list[tuple[str, str]]]:
    """A parameter edit: set ``name`` (drop it when ``value`` is None)."""

    def edit(ps: list[tuple[str, str]]) -> list[tuple[str, str]]:
        kept = [(k, v) for k, v in ps if k != name]
        return kept if value is None else kept + [(name, value)]

    return edit


# -- list answers -------------------------------------------------------------------------------
def edit_resources(edit: Callable[[list[Any], Req], list[Any]], when: Callable[[Req], bool] = lambda r: True,
                   method: str | None = "GET", path: str | None = LISTS) -> f.Fault:
    """Rewrite the Resources of list answers (e.g. re-order them)."""

    def hook(req: Req, resp: Resp) -> Resp:
        body = resp.json()
        if when(req) and isinstance(body, dict) and isinstance(body.get("Resources"), list):
            body["Resources"] = edit(body["Resources"], req)
            resp.with_json(body)
        return resp

    return f.on_response(hook, method, path)


def sort_resources(key: Callable[[dict[str, Any]], Any], reverse: bool = False) -> f.Fault:
    """The server orders sorted lists by ``key`` instead of what sortBy asked."""
    return edit_resources(lambda rs, req: sorted(rs, key=key, reverse=reverse), when=query_has("sortBy"))


def edit_body(edit: Callable[[Any], Any], method: str | None = None, path: str | None = None) -> f.Fault:
    return f.edit_json(edit, method, path)


# -- PATCH requests -----------------------------------------------------------------------------
def edit_ops(edit: Callable[[Ops], Ops], path: str | None = None) -> f.Fault:
    """Rewrite a PATCH's Operations before the server reads them."""

    def apply(body: Any) -> Any:
        if isinstance(body, dict) and isinstance(body.get("Operations"), list):
            body["Operations"] = edit([dict(o) for o in body["Operations"] if isinstance(o, dict)])
        return body

    return f.edit_request_json(apply, "PATCH", path)


def map_ops(edit: Callable[[dict[str, Any]], dict[str, Any] | list[dict[str, Any]] | None], path: str | None = None) -> f.Fault:
    """Rewrite each op: return a new op, several ops, or None to drop it."""

    def apply(ops: Ops) -> Ops:
        out: Ops = []
        for op in ops:
            new = edit(op)
            if isinstance(new, list):
                out.extend(new)
            elif new is not None:
                out.append(new)
        return out

    return edit_ops(apply, path)


def op_is(op: dict[str, Any], name: str | None = None, path: str | None = None, path_re: str | None = None) -> bool:
    if name is not None and str(op.get("op", "")).lower() != name:
        return False
    if path is not None and op.get("path") != path:
        return False
    if path_re is not None and not re.search(path_re, str(op.get("path", ""))):
        return False
    return True


def patch_has(pred: Callable[[dict[str, Any]], bool]) -> Callable[[Req], bool]:
    """A request predicate: a PATCH with an op matching ``pred``."""

    def test(req: Req) -> bool:
        body = req.json()
        ops = body.get("Operations") if isinstance(body, dict) else None
        return isinstance(ops, list) and any(isinstance(o, dict) and pred(o) for o in ops)

    return test


# -- a middleware that can call the app several times -------------------------------------------
Call = Callable[[str, str, str, Any], Awaitable[Resp]]
Handler = Callable[[Req, Call], Awaitable["Resp | None"]]


class Around:
    """Lets a handler answer a request by calling the wrapped app any number of times.

    ``handler(req, call)`` returns a :class:`Resp`, or None to pass the request through.
    ``call(method, path, query, json_body)`` sends one request to the app (with the original
    request's headers, so authentication is kept) and returns its answer.
    """

    def __init__(self, app: Any, handler: Handler) -> None:
        self.app, self.handler = app, handler

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]]
        req = Req(scope["method"], scope["path"], scope.get("query_string", b"").decode("latin-1"), headers, body)

        async def call(method: str, path: str, query: str, body: Any) -> Resp:
            raw = json.dumps(body).encode() if body is not None else b""
            hs = [(k, v) for k, v in headers if k.lower() not in ("content-length", "if-match", "if-none-match")]
            hs.append(("content-length", str(len(raw))))
            inner = dict(scope, method=method, path=path, raw_path=path.encode(), query_string=query.encode("latin-1"),
                         headers=[(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in hs])
            return await _capture(self.app, inner, raw)

        resp = await self.handler(req, call)
        if resp is None:
            resp = await _capture(self.app, dict(scope), req.body)
        await f._send(send, resp)


async def _capture(app: Any, scope: dict[str, Any], body: bytes) -> Resp:
    resp = Resp(500)
    parts: list[bytes] = []

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            resp.status = message["status"]
            resp.headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])]
        elif message["type"] == "http.response.body":
            parts.append(message.get("body", b""))

    await app(scope, body_once(body), send)
    resp.body = b"".join(parts)
    return resp


def around(handler: Handler) -> f.Fault:
    return lambda app: Around(app, handler)


# -- behavioural faults -------------------------------------------------------------------------
def non_atomic_patch() -> f.Fault:
    """Apply a PATCH op by op, keeping what succeeded before a failing op (RFC 7644 §3.5.2 broken)."""

    async def handler(req: Req, call: Call) -> Resp | None:
        body = req.json()
        if req.method != "PATCH" or not isinstance(body, dict) or len(body.get("Operations") or []) < 2:
            return None
        last: Resp | None = None
        for op in body["Operations"]:
            last = await call("PATCH", req.path, req.query, {"schemas": [PATCH_URN], "Operations": [op]})
            if last.status >= 400:
                return last
        return last

    return around(handler)


def casefold_external_id() -> f.Fault:
    """Compare externalId case-insensitively (it is caseExact, RFC 7643 §3.1)."""
    pattern = re.compile(r'^externalId eq "([^"]*)"$', re.I)

    async def handler(req: Req, call: Call) -> Resp | None:
        flt = dict(params_of(req)).get("filter", "")
        m = pattern.match(flt)
        if req.method != "GET" or req.path != "/Users" or not m:
            return None
        resp = await call("GET", "/Users", encode([("filter", "externalId pr"), ("count", "1000")]), None)
        body = resp.json() or {}
        hits = [r for r in body.get("Resources") or [] if str(r.get("externalId", "")).lower() == m.group(1).lower()]
        return Resp(200, [("content-type", "application/scim+json")]).with_json(
            {"schemas": [LIST_URN], "totalResults": len(hits), "startIndex": 1, "itemsPerPage": len(hits), "Resources": hits})

    return around(handler)


def writable_user_groups() -> f.Fault:
    """Treat a write to User.groups as a membership change (groups is readOnly, RFC 7643 §4.1.2)."""

    async def handler(req: Req, call: Call) -> Resp | None:
        body = req.json()
        if req.method != "PATCH" or not req.path.startswith("/Users/") or not isinstance(body, dict):
            return None
        user_id = req.path.rsplit("/", 1)[-1]
        for op in body.get("Operations") or []:
            if isinstance(op, dict) and str(op.get("path", "")).lower() == "groups":
                for g in op.get("value") or []:
                    await call("PATCH", f"/Groups/{g['value']}", "", {"schemas": [PATCH_URN], "Operations": [
                        {"op": "add", "path": "members", "value": [{"value": user_id}]}]})
                return Resp(204)
        return None

    return around(handler)
