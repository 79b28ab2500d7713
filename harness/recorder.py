"""The one transcript of HTTP traffic: :class:`Exchange` records kept by a :class:`Recorder`.

Credentials (and the ``password`` members of bodies, redaction/body.py) are redacted and bodies
bounded *when an exchange is recorded*, so nothing
downstream (findings, reports, logs) can leak a token or explode on a 50 MB body.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from harness.clock import Clock, SystemClock, isoformat
from harness.redact import Redactor

__all__ = ["Exchange", "Recorder", "DEFAULT_RECORD_BODY_LIMIT", "bounded_text", "json_or_none"]

#: How much of each body is kept in the transcript (bytes). Judging may read more.
DEFAULT_RECORD_BODY_LIMIT = 64 * 1024

_SECOND = timedelta(seconds=1)
_NEVER = datetime.max.replace(tzinfo=timezone.utc)  # an empty stamp range: nothing is in [_NEVER, _NEVER)


def bounded_text(data: bytes, limit: int) -> tuple[str, bool]:
    """Decode ``data`` as UTF-8 (replacing bad bytes) and cut it at ``limit`` bytes."""
    truncated = len(data) > limit
    return data[:limit].decode("utf-8", errors="replace"), truncated


def json_or_none(text: str | None) -> Any:
    """A recorded body (text) read as JSON; ``None`` when it is empty or not JSON.

    The one reader of body text for replay, fuzzing and grading; a body from a target is
    untrusted, so nesting too deep to parse is "not JSON" too."""
    if not text:
        return None
    try:
        return json.loads(text)
    except (ValueError, RecursionError):
        return None


@dataclass(frozen=True)
class Exchange:
    """One request and its response (or the error that replaced the response).

    Every text field is already redacted and bounded. ``body`` is *not* part of the
    record: it is the response as read for judging (bounded by the client's read limit,
    unredacted) and is never serialised.
    """

    id: str
    at: str
    method: str
    url: str
    request_headers: list[tuple[str, str]]
    request_body: str | None
    status: int | None
    response_headers: list[tuple[str, str]]
    response_body: str | None
    elapsed_ms: float
    error: str | None = None
    request_truncated: bool = False
    response_truncated: bool = False
    body: bytes = field(default=b"", repr=False, compare=False)
    too_large: bool = False
    #: Why the request was sent twice (a reused keep-alive connection closed unanswered, harness/wire.py).
    retried: str | None = None

    # -- reading the response ------------------------------------------------------------
    def header(self, name: str) -> str | None:
        lname = name.lower()
        for key, value in self.response_headers:
            if key.lower() == lname:
                return value
        return None

    def json(self) -> Any:
        """The response body parsed as JSON. Raises ``ValueError`` if it is not JSON."""
        if self.too_large:
            raise ValueError("response body exceeded the read limit")
        return json.loads(self.body.decode("utf-8"))

    def json_or_none(self) -> Any:
        try:
            return self.json()
        except (ValueError, UnicodeDecodeError):
            return None

    @property
    def ok(self) -> bool:
        return self.error is None and self.status is not None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "at": self.at,
            "method": self.method,
            "url": self.url,
            "request": {
                "headers": [list(h) for h in self.request_headers],
                "body": self.request_body,
                "truncated": self.request_truncated,
            },
            "response": None
            if self.status is None
            else {
                "status": self.status,
                "headers": [list(h) for h in self.response_headers],
                "body": self.response_body,
                "truncated": self.response_truncated,
            },
            "elapsed_ms": round(self.elapsed_ms, 2),
            "error": self.error,
            **({"retried": self.retried} if self.retried else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Exchange":
        response = data.get("response") or {}
        return cls(
            id=data["id"],
            at=data["at"],
            method=data["method"],
            url=data["url"],
            request_headers=[tuple(h) for h in data["request"]["headers"]],
            request_body=data["request"].get("body"),
            request_truncated=data["request"].get("truncated", False),
            status=response.get("status"),
            response_headers=[tuple(h) for h in response.get("headers", [])],
            response_body=response.get("body"),
            response_truncated=response.get("truncated", False),
            elapsed_ms=data.get("elapsed_ms", 0.0),
            error=data.get("error"),
            retried=data.get("retried"),
        )


def _new_exchange(
    id: str, at: str, method: str, url: str, request_headers: list[tuple[str, str]], request_body: str | None,
    status: int | None, response_headers: list[tuple[str, str]], response_body: str | None, elapsed_ms: float,
    error: str | None, request_truncated: bool, response_truncated: bool, body: bytes, too_large: bool,
    retried: str | None = None,
) -> Exchange:
    """An :class:`Exchange` with every field set, without the frozen dataclass ``__init__``.

    The generated ``__init__`` of a frozen dataclass goes through ``object.__setattr__`` once
    per field; filling ``__dict__`` in one step gives the same object (same fields, equality,
    repr, immutability) for a fraction of the cost.
    """
    exchange = object.__new__(Exchange)
    exchange.__dict__.update(
        id=id, at=at, method=method, url=url, request_headers=request_headers, request_body=request_body,
        status=status, response_headers=response_headers, response_body=response_body, elapsed_ms=elapsed_ms,
        error=error, request_truncated=request_truncated, response_truncated=response_truncated, body=body,
        too_large=too_large, retried=retried,
    )
    return exchange


class Recorder:
    """Keeps exchanges in order, numbering them ``ex-0001``…; redacts at the door."""

    def __init__(
        self,
        redactor: Redactor | None = None,
        clock: Clock | None = None,
        body_limit: int = DEFAULT_RECORD_BODY_LIMIT,
        keep: bool = True,
    ) -> None:
        self.redactor = redactor or Redactor()
        self.clock = clock or SystemClock()
        self.body_limit = body_limit
        self.keep = keep  # False: number and redact, but hold nothing (benchmarks)
        self._exchanges: list[Exchange] = []
        self._counter = 0
        self._lock = threading.Lock()
        self._stamp_cache: tuple[datetime, datetime, str] = (_NEVER, _NEVER, "")  # [start, end) and its text

    def record(
        self,
        *,
        method: str,
        url: str,
        request_headers: list[tuple[str, str]],
        request_body: bytes | None,
        status: int | None,
        response_headers: list[tuple[str, str]],
        response_body: bytes,
        elapsed_ms: float,
        error: str | None = None,
        too_large: bool = False,
        retried: str | None = None,
    ) -> Exchange:
        red = self.redactor
        limit = self.body_limit
        # bounded_text inlined: this runs once per request (the simulator's hottest path)
        req_text, req_cut = (None, False)
        if request_body is not None:
            req_cut = len(request_body) > limit
            req_text = red.body(request_body[:limit].decode("utf-8", errors="replace"))
        resp_text, resp_cut = (None, False)
        if status is not None:
            resp_cut = len(response_body) > limit
            resp_text = red.body(response_body[:limit].decode("utf-8", errors="replace"))
        at = self._stamp(self.clock.now())
        with self._lock:
            self._counter += 1
            exchange_id = f"ex-{self._counter:04d}"
        fields = (
            exchange_id,
            at,
            method,
            red.url(url),
            red.headers(request_headers),
            req_text,
            status,
            red.headers(response_headers),
            resp_text,
            elapsed_ms,
            red.text(error) if error else None,
            req_cut,
            resp_cut or too_large,
        )
        exchange = _new_exchange(*fields, response_body, too_large, red.text(retried) if retried else None)
        if self.keep:
            # The transcript keeps the bounded text; a large raw body lives only as long as
            # the caller holds the exchange (a hostile target cannot pile up memory).
            kept = exchange if not resp_cut else _new_exchange(*fields, b"", too_large, exchange.retried)
            with self._lock:
                self._exchanges.append(kept)
                self._kept()
        return exchange

    def _kept(self) -> None:
        """Called under the lock after each exchange is appended (subclasses trim here)."""

    def _stamp(self, moment: datetime) -> str:
        """``isoformat(moment)``, formatting the date and second once per second of clock time.

        A simulation records thousands of exchanges per virtual second; ``strftime`` each time
        cost more than the rest of the record. The text is exactly ``isoformat``'s: the second
        is formatted by it, and only the milliseconds are added here.
        """
        if moment.tzinfo is not timezone.utc:
            return isoformat(moment)
        cached = self._stamp_cache  # one tuple: read atomically when threads share the recorder
        if not cached[0] <= moment < cached[1]:
            second = moment.replace(microsecond=0)
            if second.year == 9999:  # second + 1 s could overflow: format this one whole
                return isoformat(moment)
            cached = (second, second + _SECOND, isoformat(second)[:-4])  # "…T09:00:01." without "000Z"
            self._stamp_cache = cached
        return f"{cached[2]}{moment.microsecond // 1000:03d}Z"

    @property
    def exchanges(self) -> list[Exchange]:
        with self._lock:
            return list(self._exchanges)

    def get(self, exchange_id: str) -> Exchange | None:
        with self._lock:
            for ex in self._exchanges:
                if ex.id == exchange_id:
                    return ex
        return None
