"""One request on the wire: send, read a bounded body, time it, never raise.

:class:`harness.http.TargetClient` hands every request to a :class:`Wire`. Whatever moves the
bytes, a wire keeps one contract: every transport failure becomes an error string, at most
``limit`` bytes are read, gzip/deflate is undone within that bound, and a body trickled slowly
enough to dodge per-read timeouts is stopped (:func:`read_bounded`, :func:`settle`).
:class:`HttpxWire` (httpx, every command) is the wire; the load's Locust processes use
``mock_idp.load.gevent_wire`` (geventhttpclient, the client Locust's ``FastHttpUser`` uses), which
reads through the same two functions.

One failure is not the target's answer: a server may close an idle keep-alive connection at any
moment, and when its close crosses our next request on that connection, httpx reads
end-of-stream before any response and raises ``RemoteProtocolError: Server disconnected without
sending a response``. The target never answered that request, so it is sent once more (any
method) and the exchange says so (``retried``). Only that error, and only on a reused
connection: the same error on a connection opened for the request is the target's doing and
stands, as does any failure after the head of an answer arrived.
"""

from __future__ import annotations

import time
import zlib
from collections.abc import Iterable, Iterator
from typing import Any, NamedTuple, Protocol

import httpx

__all__ = ["Transfer", "Wire", "HttpxWire", "TooSlow", "read_bounded", "settle", "timed_out"]

#: What httpcore says when the peer closed before the head of any answer.
_NO_RESPONSE = "Server disconnected without sending a response"


class Transfer(NamedTuple):
    """What came back: ``status`` is ``None`` when ``error`` is set."""

    status: int | None
    headers: list[tuple[str, str]]
    body: bytes
    elapsed_ms: float
    error: str | None
    too_large: bool
    retried: str | None = None


class Wire(Protocol):
    """Moves one request and its answer (see the module docstring); never raises."""

    def transfer(self, method: str, url: str, headers: list[tuple[str, str]], body: bytes | None,
                 wait: float, limit: int) -> Transfer: ...

    def close(self) -> None: ...


class TooSlow(Exception):
    """The body kept trickling in after three times the request's timeout."""


def read_bounded(chunks: Iterable[bytes], kept: list[bytes], limit: int, started: float, wait: float) -> bool:
    """Append the body from ``chunks`` to ``kept``, at most ``limit`` bytes; whether it was cut
    there. Raises :class:`TooSlow` once ``wait * 3`` seconds have passed since ``started`` (what
    arrived stays in ``kept``)."""
    size = 0
    for chunk in chunks:
        size += len(chunk)
        if size > limit:
            kept.append(chunk[: max(0, limit - (size - len(chunk)))])
            return True
        kept.append(chunk)
        if time.perf_counter() - started > wait * 3:
            raise TooSlow("body took too long to arrive")
    return False


def decode_content(raw: bytes, headers: list[tuple[str, str]], limit: int) -> bytes:
    """Undo gzip/deflate content-encoding, bounded (a decompression bomb stops at ``limit``)."""
    encoding = next((v.lower() for k, v in headers if k.lower() == "content-encoding"), "")
    if encoding not in {"gzip", "deflate"}:
        return raw
    wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
    try:
        return zlib.decompressobj(wbits).decompress(raw, limit)
    except zlib.error:
        return raw


def settle(status: int | None, headers: list[tuple[str, str]], chunks: list[bytes], started: float,
           error: str | None, too_large: bool, limit: int) -> Transfer:
    """One attempt's :class:`Transfer`: no status when it failed (what arrived is kept), else the
    body with its content-encoding undone within the bound."""
    elapsed = (time.perf_counter() - started) * 1000
    raw = b"".join(chunks)
    if error is not None:
        return Transfer(None, headers, raw, elapsed, error, too_large)
    return Transfer(status, headers, decode_content(raw, headers, limit), elapsed, None, too_large)


def timed_out(wait: float, what: str) -> str:
    """The error of a request that ran out of time, worded alike by every wire."""
    return f"timeout after {wait:g}s ({what})"


class _Attempt(NamedTuple):
    transfer: Transfer
    dropped_reused: bool  # the keep-alive race: a reused connection closed before any answer


class HttpxWire:
    """The wire over an ``httpx.Client``: a real one, a Starlette ``TestClient`` or a client over
    ``httpx.MockTransport``. Closes the client only if it built it."""

    def __init__(self, http: httpx.Client | None = None, *, insecure: bool = False) -> None:
        self._own = http is None
        self.http = http or httpx.Client(verify=not insecure, follow_redirects=False, trust_env=False)

    def close(self) -> None:
        if self._own:
            self.http.close()

    def transfer(self, method: str, url: str, headers: list[tuple[str, str]], body: bytes | None,
                 wait: float, limit: int) -> Transfer:
        started = time.perf_counter()
        first = self._attempt(method, url, headers, body, wait, limit, started)
        if not first.dropped_reused:
            return first.transfer
        again = self._attempt(method, url, headers, body, wait, limit, time.perf_counter())
        note = (f"sent twice: the first attempt went on a reused keep-alive connection that the target had "
                f"closed ({first.transfer.error})")
        # the time the harness waited, both attempts
        return again.transfer._replace(retried=note, elapsed_ms=(time.perf_counter() - started) * 1000)

    def _attempt(self, method: str, url: str, headers: list[tuple[str, str]], body: bytes | None,
                 wait: float, limit: int, started: float) -> _Attempt:
        status: int | None = None
        response_headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []
        too_large = False
        error: str | None = None
        events: list[str] = []  # httpcore's trace: a connection.* event means a connection was opened

        def trace(name: str, info: dict[str, Any]) -> None:
            events.append(name)

        dropped = False
        try:
            with self.http.stream(
                method,
                url,
                content=body,
                headers=headers,
                timeout=httpx.Timeout(wait),
                follow_redirects=False,  # even on injected clients (TestClient follows by default)
                extensions={"trace": trace},
            ) as response:
                status = response.status_code
                response_headers = list(response.headers.multi_items())
                too_large = read_bounded(_raw_chunks(response), chunks, limit, started, wait)
        except (httpx.TimeoutException, TooSlow) as exc:
            error = timed_out(wait, "ReadTimeout" if isinstance(exc, TooSlow) else type(exc).__name__)
        except httpx.RemoteProtocolError as exc:
            error = f"{type(exc).__name__}: {exc}"
            # Reused: the transport traced this request (a real socket) and opened no connection for it.
            reused = bool(events) and not any(e.startswith("connection.") for e in events)
            dropped = status is None and reused and _NO_RESPONSE in str(exc)
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # noqa: BLE001 - a hostile target must never crash a run
            error = f"{type(exc).__name__}: {exc}"
        return _Attempt(settle(status, response_headers, chunks, started, error, too_large, limit), dropped)


def _raw_chunks(response: httpx.Response) -> Iterator[bytes]:
    """The body as it arrives; a response built in memory (MockTransport) is already read."""
    try:
        yield from response.iter_raw()
    except httpx.StreamConsumed:
        yield response.content
