"""Hostile targets for the harness's robustness tests (served over real sockets).

- :func:`hostile` wraps the small working fake (tests/harness/fakes.py) so that discovery
  works and chosen requests misbehave: hang, 5xx with an HTML page, 429 with a huge
  ``Retry-After``, invalid JSON, a 50 MB body, a redirect to another host, or values full of
  HTML, script and terminal escapes with ``Location``/``meta.location`` pointing to another
  origin.
- :class:`Spy` is that other origin: it records every request it receives (it must receive
  none, and above all never a credential).
- :class:`ResettingServer` is a raw socket server that answers discovery and the probe, then
  resets (RST) the connection on every other request.
"""

from __future__ import annotations

import asyncio
import json
import socket
import struct
import threading
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, Self

from tests.harness.fakes import FakeScim

Scope = dict[str, Any]
ASGI = Callable[[Scope, Callable[[], Awaitable[dict[str, Any]]], Callable[[dict[str, Any]], Awaitable[None]]], Awaitable[None]]

HOSTILE_TEXT = '<script>alert("x")</script><img src=x onerror=alert(1)>\x1b[2J\x1b]0;owned\x07\x00 & ]]>'
FIFTY_MB = 50 * 1024 * 1024
BEHAVIOURS = ("hang", "5xx", "429", "invalid-json", "huge", "redirect", "script", "wrong-origin", "echo-credentials")


def _is_probe_or_discovery(scope: Scope) -> bool:
    path = scope["path"]
    if path in ("/ServiceProviderConfig", "/ResourceTypes", "/Schemas"):
        return True
    return scope["method"] == "GET" and path == "/Users" and scope.get("query_string", b"") == b"count=1"


async def _respond(send: Callable[[dict[str, Any]], Awaitable[None]], status: int, body: bytes,
                   headers: list[tuple[bytes, bytes]]) -> None:
    await send({"type": "http.response.start", "status": status,
                "headers": [*headers, (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


def hostile(behaviour: str, token: str, spy_url: str = "http://127.0.0.1:9") -> tuple[FakeScim, ASGI]:
    """A working fake (accepting ``token``), and an app around it that misbehaves as ``behaviour`` says."""
    if behaviour not in BEHAVIOURS:
        raise ValueError(behaviour)
    fake = FakeScim(token=token)

    async def app(scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or _is_probe_or_discovery(scope):
            return await fake.app(scope, receive, send)
        method, path = scope["method"], scope["path"]
        resource_read = method == "GET" and path.count("/") == 2
        if behaviour == "hang" and method in ("POST", "GET"):
            await asyncio.sleep(30)  # longer than any timeout the tests give the harness
        if behaviour == "5xx" and method != "DELETE":
            return await _respond(send, 503, b"<html><body><h1>Service Unavailable</h1></body></html>",
                                  [(b"content-type", b"text/html")])
        if behaviour == "429":
            return await _respond(send, 429, b'{"detail": "slow down"}',
                                  [(b"content-type", b"application/scim+json"), (b"retry-after", b"3600")])
        if behaviour == "invalid-json" and method in ("GET", "POST", "PUT", "PATCH"):
            return await _respond(send, 200 if method != "POST" else 201, b'{"schemas": ["urn:ietf:params:scim',
                                  [(b"content-type", b"application/scim+json")])
        if behaviour == "huge" and (resource_read or (method == "GET" and path == "/Users")):
            await send({"type": "http.response.start", "status": 200,
                        "headers": [(b"content-type", b"application/scim+json"), (b"content-length", str(FIFTY_MB).encode())]})
            chunk = b'{"pad": "' + b"x" * (1024 * 1024 - 9)
            for _ in range(50):
                await send({"type": "http.response.body", "body": chunk, "more_body": True})
            return await send({"type": "http.response.body", "body": b""})
        if behaviour == "redirect" and method == "GET":
            return await _respond(send, 302, b"", [(b"location", f"{spy_url}/stolen{path}".encode())])
        if behaviour in ("script", "wrong-origin", "echo-credentials"):
            return await _rewrite(fake.app, scope, receive, send, behaviour, spy_url)
        return await fake.app(scope, receive, send)

    return fake, app


async def _rewrite(inner: ASGI, scope: Scope, receive: Any, send: Any, behaviour: str, spy_url: str) -> None:
    """Run the fake, then poison its JSON answer (values, Location, meta.location)."""
    start: dict[str, Any] = {}
    chunks: list[bytes] = []

    async def capture(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            start.update(message)
        else:
            chunks.append(message.get("body", b""))

    await inner(scope, receive, capture)
    credential = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
    body, headers = b"".join(chunks), [h for h in start.get("headers", []) if h[0].lower() != b"content-length"]
    try:
        data = json.loads(body) if body else None
    except ValueError:
        data = None

    def poison(resource: dict[str, Any]) -> None:
        if behaviour == "script":
            for key in ("displayName", "userName", "title", "detail"):
                if key in resource:
                    resource[key] = HOSTILE_TEXT + str(resource[key])
            resource["nickName"] = HOSTILE_TEXT
        if behaviour == "echo-credentials":  # a target that repeats what it was sent, everywhere
            resource["detail"] = f"you sent {credential}"
            resource["displayName"] = credential.split(" ")[-1]
        if isinstance(resource.get("meta"), dict) and behaviour == "wrong-origin":
            resource["meta"]["location"] = f"{spy_url}/Users/{resource.get('id')}"

    if isinstance(data, dict):
        poison(data)
        for item in data.get("Resources", []) if isinstance(data.get("Resources"), list) else []:
            if isinstance(item, dict):
                poison(item)
        body = json.dumps(data, ensure_ascii=False).encode()
    if behaviour == "echo-credentials":
        headers = [*headers, (b"x-echo", credential.encode("latin-1")), (b"set-cookie", b"s=" + credential.encode())]
    if behaviour == "wrong-origin" and start.get("status") == 201:
        headers = [h for h in headers if h[0].lower() != b"location"] + [(b"location", f"{spy_url}/Users/x".encode())]
    await _respond(send, start.get("status", 500), body, headers)


class Spy:
    """Another origin: records (method, path, authorization) of every request it gets."""

    def __init__(self) -> None:
        self.hits: list[tuple[str, str, str]] = []

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        auth = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
        self.hits.append((scope["method"], scope["path"], auth))
        await _respond(send, 200, b'{"stolen": true}', [(b"content-type", b"application/json")])


class RawSocketServer:
    """Raw HTTP/1.1 on 127.0.0.1 (a free port): one thread accepts, one thread per connection runs
    ``_handle``, which a subclass writes; ``with`` starts and stops it."""

    backlog = 64

    def __init__(self, path: str = "") -> None:
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(self.backlog)
        self.sock.settimeout(0.2)
        self.url = f"http://127.0.0.1:{self.sock.getsockname()[1]}{path}"
        self.connections = 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._serve, daemon=True)

    def __enter__(self) -> Self:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(5)
        self.sock.close()

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                conn, _ = self.sock.accept()
            except (TimeoutError, OSError):
                continue
            self.connections += 1
            threading.Thread(target=self._handle, args=(conn,), daemon=True).start()

    def _handle(self, conn: socket.socket) -> None:
        raise NotImplementedError

    def requests_on(self, conn: socket.socket) -> Iterator[tuple[str, str, bytes]]:
        """Each request read from a keep-alive connection, as (method, target, body), until the
        client closes it or the server stops."""
        buffer = b""
        while not self._stop.is_set():
            while b"\r\n\r\n" not in buffer:
                data = conn.recv(65536)
                if not data:
                    return
                buffer += data
            head, buffer = buffer.split(b"\r\n\r\n", 1)
            lines = head.decode("latin-1").split("\r\n")
            method, target, _ = lines[0].split(" ", 2)
            length = next((int(v) for k, _, v in (line.partition(":") for line in lines[1:])
                           if k.strip().lower() == "content-length"), 0)
            while len(buffer) < length:
                buffer += conn.recv(65536)
            body, buffer = buffer[:length], buffer[length:]
            yield method, target, body


class ResettingServer(RawSocketServer):
    """Answers discovery and the probe, resets every other request."""

    def __init__(self) -> None:
        super().__init__()
        self.resets = 0
        self._fake = FakeScim(token="placeholder")

    def _handle(self, conn: socket.socket) -> None:
        conn.settimeout(5)
        try:
            for method, target, _ in self.requests_on(conn):
                path, _, query = target.partition("?")
                answer = self._answer(method, path, query)
                if answer is None:  # RST: SO_LINGER with a zero timeout, then close
                    self.resets += 1
                    conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                    return
                conn.sendall(answer)
        except OSError:
            return
        finally:
            conn.close()

    def _answer(self, method: str, path: str, query: str) -> bytes | None:
        if not _is_probe_or_discovery({"method": method, "path": path, "query_string": query.encode()}):
            return None
        if path == "/Users":
            body: Any = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0,
                         "Resources": []}
        elif path == "/ServiceProviderConfig":
            body = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
                    "patch": {"supported": True}, "filter": {"supported": True, "maxResults": 100}}
        else:
            body = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0, "Resources": []}
        data = json.dumps(body).encode()
        return (b"HTTP/1.1 200 OK\r\ncontent-type: application/scim+json\r\ncontent-length: "
                + str(len(data)).encode() + b"\r\n\r\n" + data)
