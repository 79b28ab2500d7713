"""One request on the wire: send, read a bounded body, time it, never raise.

:func:`transfer` is what :class:`harness.http.TargetClient` calls for every request. It turns
every transport failure into an error string, reads at most ``limit`` bytes, undoes gzip/deflate
within that bound, and stops a body trickled slowly enough to dodge per-read timeouts.

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
from collections.abc import Iterator
from typing import Any, NamedTuple

import httpx

__all__ = ["Transfer", "transfer"]

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


class _Attempt(NamedTuple):
    transfer: Transfer
    dropped_reused: bool  # the keep-alive race: a reused connection closed before any answer


def transfer(http: httpx.Client, method: str, url: str, headers: list[tuple[str, str]], body: bytes | None,
             wait: float, limit: int) -> Transfer:
    """Send one request and read its answer (see the module docstring); never raises."""
    started = time.perf_counter()
    first = _attempt(http, method, url, headers, body, wait, limit, started)
    if not first.dropped_reused:
        return first.transfer
    again = _attempt(http, method, url, headers, body, wait, limit, time.perf_counter())
    note = (f"sent twice: the first attempt went on a reused keep-alive connection that the target had closed "
            f"({first.transfer.error})")
    # the time the harness waited, both attempts
    return again.transfer._replace(retried=note, elapsed_ms=(time.perf_counter() - started) * 1000)


def _attempt(http: httpx.Client, method: str, url: str, headers: list[tuple[str, str]], body: bytes | None,
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
        with http.stream(
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
            size = 0
            for chunk in _raw_chunks(response):
                size += len(chunk)
                if size > limit:
                    too_large = True
                    chunks.append(chunk[: max(0, limit - (size - len(chunk)))])
                    break
                chunks.append(chunk)
                if time.perf_counter() - started > wait * 3:
                    # A body trickled slowly enough to dodge per-read timeouts.
                    raise httpx.ReadTimeout("body took too long to arrive")
    except httpx.TimeoutException as exc:
        error = f"timeout after {wait:g}s ({type(exc).__name__})"
    except httpx.RemoteProtocolError as exc:
        error = f"{type(exc).__name__}: {exc}"
        # Reused: the transport traced this request (a real socket) and opened no connection for it.
        reused = bool(events) and not any(e.startswith("connection.") for e in events)
        dropped = status is None and reused and _NO_RESPONSE in str(exc)
    except httpx.HTTPError as exc:
        error = f"{type(exc).__name__}: {exc}"
    except Exception as exc:  # noqa: BLE001 - a hostile target must never crash a run
        error = f"{type(exc).__name__}: {exc}"
    elapsed = (time.perf_counter() - started) * 1000
    raw = b"".join(chunks)
    if error is not None:
        status = None
    else:
        raw = _decode_content(raw, response_headers, limit)
    return _Attempt(Transfer(status, response_headers, raw, elapsed, error, too_large), dropped)


def _raw_chunks(response: httpx.Response) -> Iterator[bytes]:
    """The body as it arrives; a response built in memory (MockTransport) is already read."""
    try:
        yield from response.iter_raw()
    except httpx.StreamConsumed:
        yield response.content


def _decode_content(raw: bytes, headers: list[tuple[str, str]], limit: int) -> bytes:
    """Undo gzip/deflate content-encoding, bounded (a decompression bomb stops at ``limit``)."""
    encoding = next((v.lower() for k, v in headers if k.lower() == "content-encoding"), "")
    if encoding not in {"gzip", "deflate"}:
        return raw
    wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
    try:
        return zlib.decompressobj(wbits).decompress(raw, limit)
    except zlib.error:
        return raw
