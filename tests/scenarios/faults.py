"""Faulty apps for proofs: ASGI middleware that wraps a correct SCIM app and breaks one thing.

A *fault* is a function ``app -> app``. The building blocks:

- :func:`on_response` rewrites answers (status, headers, JSON body) of matching requests;
- :func:`on_request` rewrites requests before the app sees them, or answers them itself;
- small builders on top (:func:`drop_header`, :func:`set_status`, :func:`edit_json`, ...).

Matching is by method and a regular expression on the path (relative to the app's root).
Each builder is tiny on purpose: a proof should show in one line which defect it injects.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

ASGIApp = Callable[..., Awaitable[None]]
Fault = Callable[[ASGIApp], ASGIApp]
JSONEdit = Callable[[Any], Any]


@dataclass
class Req:
    method: str
    path: str
    query: str
    headers: list[tuple[str, str]]
    body: bytes

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


@dataclass
class Resp:
    status: int
    headers: list[tuple[str, str]] = field(default_factory=list)
    body: bytes = b""

    def json(self) -> Any:
        try:
            return json.loads(self.body.decode("utf-8"))
        except (ValueError, UnicodeDecodeError):
            return None

    def with_json(self, value: Any) -> "Resp":
        self.body = json.dumps(value).encode("utf-8")
        return self

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k.lower() == name.lower()), None)


RequestHook = Callable[[Req], "Req | Resp"]
ResponseHook = Callable[[Req, Resp], Resp]


def matches(req: Req, method: str | None, path: str | None) -> bool:
    return (method is None or req.method == method.upper()) and (path is None or re.fullmatch(path, req.path) is not None)


async def read_body(receive: Any) -> bytes:
    """The whole request body from an ASGI ``receive``."""
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


class FaultMiddleware:
    """Buffers one request and its response so hooks can rewrite either side."""

    def __init__(self, app: ASGIApp, request_hook: RequestHook | None = None, response_hook: ResponseHook | None = None):
        self.app, self.request_hook, self.response_hook = app, request_hook, response_hook

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        body = await read_body(receive)
        root = scope.get("root_path", "")
        req = Req(
            method=scope["method"],
            path=scope["path"][len(root):] if root and scope["path"].startswith(root) else scope["path"],
            query=scope.get("query_string", b"").decode("latin-1"),
            headers=[(k.decode("latin-1"), v.decode("latin-1")) for k, v in scope["headers"]],
            body=body,
        )
        result = self.request_hook(req) if self.request_hook else req
        if isinstance(result, Resp):
            await _send(send, self.response_hook(req, result) if self.response_hook else result)
            return
        req = result
        headers = [(k, v) for k, v in req.headers if k.lower() != "content-length"]
        headers.append(("content-length", str(len(req.body))))
        inner_scope = dict(scope)
        inner_scope.update(
            path=root + req.path,
            raw_path=(root + req.path).encode(),
            query_string=req.query.encode("latin-1"),
            headers=[(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
        )
        sent = False

        async def inner_receive() -> dict[str, Any]:
            nonlocal sent
            if not sent:
                sent = True
                return {"type": "http.request", "body": req.body, "more_body": False}
            return await receive()

        resp = Resp(status=500)
        body: list[bytes] = []

        async def inner_send(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                resp.status = message["status"]
                resp.headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, v in message.get("headers", [])]
            elif message["type"] == "http.response.body":
                body.append(message.get("body", b""))

        await self.app(inner_scope, inner_receive, inner_send)
        resp.body = b"".join(body)
        await _send(send, self.response_hook(req, resp) if self.response_hook else resp)


async def _send(send: Any, resp: Resp) -> None:
    headers = [(k, v) for k, v in resp.headers if k.lower() != "content-length"]
    if resp.status not in (204, 304) or resp.body:
        headers.append(("content-length", str(len(resp.body))))
    await send({
        "type": "http.response.start",
        "status": resp.status,
        "headers": [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in headers],
    })
    await send({"type": "http.response.body", "body": resp.body})


# -- generic builders ---------------------------------------------------------------------
def on_response(hook: ResponseHook, method: str | None = None, path: str | None = None) -> Fault:
    """Apply ``hook`` to the answers of matching requests."""

    def apply(req: Req, resp: Resp) -> Resp:
        return hook(req, resp) if matches(req, method, path) else resp

    return lambda app: FaultMiddleware(app, response_hook=apply)


def on_request(hook: RequestHook, method: str | None = None, path: str | None = None) -> Fault:
    """Apply ``hook`` to matching requests: it returns a changed request, or an answer of its own."""

    def apply(req: Req) -> Req | Resp:
        return hook(req) if matches(req, method, path) else req

    return lambda app: FaultMiddleware(app, request_hook=apply)


def chain(*faults: Fault) -> Fault:
    """Apply several faults; the first listed is the outermost."""

    def apply(app: ASGIApp) -> ASGIApp:
        for fault in reversed(faults):
            app = fault(app)
        return app

    return apply


# -- one-line faults ------------------------------------------------------------------------
def drop_header(name: str, method: str | None = None, path: str | None = None) -> Fault:
    def hook(req: Req, resp: Resp) -> Resp:
        resp.headers = [(k, v) for k, v in resp.headers if k.lower() != name.lower()]
        return resp

    return on_response(hook, method, path)


def set_header(name: str, value: str, method: str | None = None, path: str | None = None) -> Fault:
    def hook(req: Req, resp: Resp) -> Resp:
        resp.headers = [(k, v) for k, v in resp.headers if k.lower() != name.lower()] + [(name, value)]
        return resp

    return on_response(hook, method, path)


def set_status(status: int, method: str | None = None, path: str | None = None, when: int | None = None) -> Fault:
    """Answer ``status`` instead of the real one (only when the real one is ``when``, if given)."""

    def hook(req: Req, resp: Resp) -> Resp:
        if when is None or resp.status == when:
            resp.status = status
        return resp

    return on_response(hook, method, path)


def edit_json(edit: JSONEdit, method: str | None = None, path: str | None = None, status: int | None = None) -> Fault:
    """Rewrite the JSON body of matching answers: ``edit`` gets the parsed body and returns the new one."""

    def hook(req: Req, resp: Resp) -> Resp:
        body = resp.json()
        if body is None or (status is not None and resp.status != status):
            return resp
        return resp.with_json(edit(body))

    return on_response(hook, method, path)


def edit_request_json(edit: JSONEdit, method: str | None = None, path: str | None = None) -> Fault:
    """Rewrite the JSON body of matching requests before the app sees them."""

    def hook(req: Req) -> Req:
        body = req.json()
        if body is not None:
            req.body = json.dumps(edit(body)).encode("utf-8")
        return req

    return on_request(hook, method, path)


def answer(status: int, body: Any = None, headers: list[tuple[str, str]] | None = None,
           method: str | None = None, path: str | None = None) -> Fault:
    """Answer matching requests directly, without the app."""

    def hook(req: Req) -> Resp:
        resp = Resp(status, list(headers or [("content-type", "application/scim+json")]))
        return resp.with_json(body) if body is not None else resp

    return on_request(hook, method, path)


def drop_query_param(name: str, method: str | None = None, path: str | None = None) -> Fault:
    """Forget one query parameter, as a server that ignores it would."""

    def hook(req: Req) -> Req:
        req.query = "&".join(p for p in req.query.split("&") if p and p.split("=", 1)[0] != name)
        return req

    return on_request(hook, method, path)


def set_key(key: str, value: Any) -> JSONEdit:
    """A JSON edit that sets ``key`` at the top level of an object."""

    def edit(body: Any) -> Any:
        if isinstance(body, dict):
            body[key] = value
        return body

    return edit


def each_resource(edit: JSONEdit) -> JSONEdit:
    """Apply ``edit`` to a resource, or to each resource of a ListResponse."""

    def apply(body: Any) -> Any:
        if isinstance(body, dict) and isinstance(body.get("Resources"), list):
            body["Resources"] = [apply(r) for r in body["Resources"]]
            return body
        return edit(body)

    return apply


USERS = r"/Users"
USER = r"/Users/[^/]+"
GROUPS = r"/Groups"
GROUP = r"/Groups/[^/]+"
