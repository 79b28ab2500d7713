"""An httpx transport over geventhttpclient, for the Locust processes only.

The tenant jobs keep sending through the harness's ``TargetClient`` (bounded reads, redaction,
timeouts, no redirects); only the bytes move through geventhttpclient, the C-parsed client
Locust's ``FastHttpUser`` uses, instead of httpx's pure-Python HTTP/1.1. Imports gevent: only
``node.py`` (after monkey-patching) and the benchmark's Locust users import this module.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
from geventhttpclient import HTTPClient
from geventhttpclient.header import Headers

__all__ = ["GeventTransport", "load_http"]

CHUNK = 65536
_SET_BY_CLIENT = frozenset({"host", "content-length"})  # geventhttpclient writes these itself


class _Body(httpx.SyncByteStream):
    """The response body read as it arrives (the client's byte bound stops the reading)."""

    def __init__(self, response: Any) -> None:
        self.response = response

    def __iter__(self) -> Iterator[bytes]:
        while True:
            chunk = self.response.read(CHUNK)
            if not chunk:
                return
            yield bytes(chunk)

    def close(self) -> None:
        self.response.release()


class GeventTransport(httpx.BaseTransport):
    def __init__(self, *, insecure: bool = False, timeout: float = 60.0, concurrency: int = 1) -> None:
        self.insecure = insecure
        self.timeout = timeout
        self.concurrency = concurrency
        self._clients: dict[tuple[str, str, int], HTTPClient] = {}

    def _client(self, url: httpx.URL, timeout: float) -> HTTPClient:
        port = url.port or (443 if url.scheme == "https" else 80)
        key = (url.scheme, url.host, port)
        client = self._clients.get(key)
        if client is None:
            client = HTTPClient(url.host, port, ssl=url.scheme == "https", insecure=self.insecure,
                                connection_timeout=timeout, network_timeout=timeout, concurrency=self.concurrency)
            self._clients[key] = client
        return client

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        wait = (request.extensions.get("timeout") or {}).get("read") or self.timeout
        client = self._client(request.url, float(wait))
        headers = Headers()
        for name, value in request.headers.multi_items():
            if name.lower() not in _SET_BY_CLIENT:
                headers.add(name, value)
        try:
            # None, not b"", for no body: an empty body is a second send that waits on the peer's ACK
            response = client.request(request.method, request.url.raw_path.decode("ascii"),
                                      body=request.read() or None, headers=headers)
        except TimeoutError as exc:
            raise httpx.ReadTimeout(str(exc) or "timed out", request=request) from exc
        except OSError as exc:
            raise httpx.ConnectError(f"{type(exc).__name__}: {exc}", request=request) from exc
        # geventhttpclient decodes the head as latin-1; its bytes again, as httpcore hands them over
        # (a str that is not ASCII would make httpx raise)
        raw = [(name.encode("latin-1"), value.encode("latin-1")) for name, value in response.items()]
        return httpx.Response(response.status_code, headers=raw, stream=_Body(response), request=request)

    def close(self) -> None:
        for client in self._clients.values():
            client.close()
        self._clients.clear()


class _NoCookies(httpx.Cookies):
    """A jar that stays empty: it keeps nothing, so nothing is ever sent back."""

    def extract_cookies(self, response: httpx.Response) -> None:
        pass  # httpx would rebuild each response as a urllib request/response pair only to find no cookie


class _CookielessClient(httpx.Client):
    """``httpx.Client`` whose cookie jar stays empty, for the tenant jobs: an IdP's provisioning job
    sends its credentials on every request and keeps no session cookie, and parsing every response
    for ``Set-Cookie`` was a sixth of a request's CPU here."""

    @property
    def cookies(self) -> httpx.Cookies:
        return _NO_COOKIES

    @cookies.setter
    def cookies(self, cookies: Any) -> None:
        if cookies:
            raise ValueError("the load's client keeps no cookies")


_NO_COOKIES = _NoCookies()


def load_http(*, insecure: bool = False, concurrency: int = 1) -> httpx.Client:
    """The ``httpx.Client`` a tenant job's ``TargetClient`` sends through: geventhttpclient
    underneath, no redirects, no proxy from the environment, no cookies."""
    return _CookielessClient(transport=GeventTransport(insecure=insecure, concurrency=concurrency),
                             follow_redirects=False, trust_env=False)
