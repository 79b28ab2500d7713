"""The load's wire: geventhttpclient, the C-parsed client Locust's ``FastHttpUser`` uses.

The tenant jobs send through the harness's ``TargetClient`` (URLs, credentials, redaction,
recording, shapes); only the bytes move here, without httpx's client and its request and response
models, which were two thirds of a request's CPU in the Locust processes (docs/load.md). The wire's
contract is harness/wire.py's, read through the same functions: a bounded body, gzip undone within
the bound, a trickled body stopped, every failure an error string.

Imports gevent: only ``node.py`` (after monkey-patching) and the benchmark's Locust users import
this module.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import SplitResult, urlsplit

import gevent
import gevent.ssl
from geventhttpclient import HTTPClient
from geventhttpclient.header import Headers

from harness.wire import Transfer, TooSlow, read_bounded, settle, timed_out

__all__ = ["GeventWire"]

CHUNK = 65536
_SET_BY_CLIENT = frozenset({"host", "content-length"})  # geventhttpclient writes these itself


class GeventWire:
    """One geventhttpclient connection pool per origin, of ``concurrency`` keep-alive connections.

    It keeps no cookies (an IdP's job sends its credentials on every request) and follows no
    redirect. geventhttpclient itself sends a GET, PUT or DELETE again when a kept-alive
    connection closed before any answer, and says nothing of it (docs/load.md).
    """

    def __init__(self, *, insecure: bool = False, concurrency: int = 1) -> None:
        self.insecure = insecure
        self.concurrency = concurrency
        self._clients: dict[tuple[str, str, int], HTTPClient] = {}

    def _client(self, url: SplitResult, wait: float) -> HTTPClient:
        host = url.hostname or ""
        port = url.port or (443 if url.scheme == "https" else 80)
        key = (url.scheme, host, port)
        client = self._clients.get(key)
        if client is None:
            client = HTTPClient(host, port, ssl=url.scheme == "https", insecure=self.insecure,
                                ssl_context_factory=_unverified if self.insecure else None,
                                connection_timeout=wait, network_timeout=wait, concurrency=self.concurrency)
            self._clients[key] = client
        return client

    def transfer(self, method: str, url: str, headers: list[tuple[str, str]], body: bytes | None,
                 wait: float, limit: int) -> Transfer:
        started = time.perf_counter()
        status: int | None = None
        response_headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []
        too_large = False
        error: str | None = None
        try:
            parts = urlsplit(url)
            client = self._client(parts, wait)
            head = Headers()
            for name, value in headers:
                if name.lower() not in _SET_BY_CLIENT:
                    head.add(name, value)
            uri = (parts.path or "/") + ("?" + parts.query if parts.query else "")
            # None, not b"", for no body: an empty body is a second send that waits on the peer's ACK
            response = client.request(method, uri, body=body or None, headers=head)
            try:
                status = response.status_code
                response_headers = [(name.lower(), _text(value)) for name, value in response.items()]
                # geventhttpclient's read waits for a whole chunk: the body's deadline is a gevent
                # timeout, so a body trickled a byte at a time still stops at wait * 3
                left = max(0.0, wait * 3 - (time.perf_counter() - started))
                with gevent.Timeout(left, TooSlow("body took too long to arrive")):
                    too_large = read_bounded(_chunks(response), chunks, limit, started, wait)
            finally:
                response.release()  # closes the connection unless the body was read whole
        except (TimeoutError, TooSlow):
            error = timed_out(wait, "ReadTimeout")
        except OSError as exc:
            error = f"ConnectError: {type(exc).__name__}: {exc}"
        except Exception as exc:  # noqa: BLE001 - a hostile target must never crash a run
            error = f"{type(exc).__name__}: {exc}"
        return settle(status, response_headers, chunks, started, error, too_large, limit)

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()


def _unverified(**_: Any) -> Any:
    """``--insecure``: no certificate check at all, as the httpx wire's ``verify=False``
    (geventhttpclient's own ``insecure`` only stops checking the host name)."""
    context = gevent.ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = gevent.ssl.CERT_NONE
    return context


def _chunks(response: Any) -> Iterator[bytes]:
    while True:
        chunk = response.read(CHUNK)
        if not chunk:
            return
        yield bytes(chunk)


def _text(value: str) -> str:
    """A header value as httpx would give it: geventhttpclient decodes the head as latin-1, so
    UTF-8 bytes come back as UTF-8 and anything else stays latin-1."""
    if value.isascii():
        return value
    raw = value.encode("latin-1", "replace")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        return value
