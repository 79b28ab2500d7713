"""The one transcript of HTTP traffic: :class:`Exchange` records kept by a :class:`Recorder`.

Credentials are redacted and bodies bounded *when an exchange is recorded*, so nothing
downstream (findings, reports, logs) can leak a token or explode on a 50 MB body.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from typing import Any

from harness.clock import Clock, SystemClock, isoformat
from harness.redact import Redactor

__all__ = ["Exchange", "Recorder", "DEFAULT_RECORD_BODY_LIMIT", "bounded_text"]

#: How much of each body is kept in the transcript (bytes). Judging may read more.
DEFAULT_RECORD_BODY_LIMIT = 64 * 1024


def bounded_text(data: bytes, limit: int) -> tuple[str, bool]:
    """Decode ``data`` as UTF-8 (replacing bad bytes) and cut it at ``limit`` bytes."""
    truncated = len(data) > limit
    return data[:limit].decode("utf-8", errors="replace"), truncated


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
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Exchange":
        response = data.get("response") or {}
        return cls(
            id=data["id"],
            at=data["at"],
            method=data["method"],
            url=data["url"],
            request_headers=[tuple(h) for h in data["request"]["headers"]],  # type: ignore[misc]
            request_body=data["request"].get("body"),
            request_truncated=data["request"].get("truncated", False),
            status=response.get("status"),
            response_headers=[tuple(h) for h in response.get("headers", [])],  # type: ignore[misc]
            response_body=response.get("body"),
            response_truncated=response.get("truncated", False),
            elapsed_ms=data.get("elapsed_ms", 0.0),
            error=data.get("error"),
        )


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
    ) -> Exchange:
        red = self.redactor
        req_text, req_cut = (None, False)
        if request_body is not None:
            req_text, req_cut = bounded_text(request_body, self.body_limit)
            req_text = red.text(req_text)
        resp_text, resp_cut = (None, False)
        if status is not None:
            resp_text, resp_cut = bounded_text(response_body, self.body_limit)
            resp_text = red.text(resp_text)
        with self._lock:
            self._counter += 1
            exchange_id = f"ex-{self._counter:04d}"
        exchange = Exchange(
            id=exchange_id,
            at=isoformat(self.clock.now()),
            method=method,
            url=red.text(url),
            request_headers=red.headers(request_headers),
            request_body=req_text,
            request_truncated=req_cut,
            status=status,
            response_headers=red.headers(response_headers),
            response_body=resp_text,
            response_truncated=resp_cut or too_large,
            elapsed_ms=elapsed_ms,
            error=red.text(error) if error else None,
            body=response_body,
            too_large=too_large,
        )
        if self.keep:
            with self._lock:
                self._exchanges.append(exchange)
        return exchange

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
