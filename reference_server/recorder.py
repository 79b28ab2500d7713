"""The request recorder: every exchange the server receives, kept in the database.

Credentials are redacted when the exchange is recorded, by the rules the harness uses too
(``redaction.rules``: credential headers, ``?access_token=``-style query values, ``password`` values in
JSON bodies, and the server's own tokens and Basic password wherever they appear), and bodies are
bounded, so nothing secret or unbounded ever reaches the table. What stays of the Authorization value
is a keyed fingerprint (``credential``), so ``recordings export --token T`` can select one client's
exchanges without the token being kept.  Records are written in small batches (at most
``FLUSH_EVERY`` records or ``FLUSH_DELAY`` seconds later, and on shutdown) so recording costs one INSERT per batch, not one
commit per request.  Reads (``GET /_recordings``, ``ScimApp.flush``) flush first, so what they
return is complete and in arrival order.  A clean shutdown (SIGTERM/SIGINT: the ASGI lifespan) writes
the buffer; a crash or ``kill -9`` may lose the recordings of the last ``FLUSH_DELAY`` seconds, but
never an acknowledged resource write (the service commits those before it answers).

Why not a writer thread: formatting and redaction are Python (they hold the GIL) and must happen
before anything is written; only SQLite's own work (~5 us of ~12 us per record) would leave the
event loop, for a second connection, lock contention with resource writes and a ``:memory:`` special case.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import json
import logging
from datetime import datetime
from typing import Any

from reference_server.store import Store, StoreUnavailable
from redaction import SENSITIVE_HEADERS, Redactor, mask_credential, mask_header, redact_json, redact_query
from redaction.body import HINTS as BODY_HINTS

log = logging.getLogger("reference_server")

FLUSH_EVERY = 200
FLUSH_DELAY = 0.25
KEEP_UNSAVED = 10 * FLUSH_EVERY  # rows held while the database is unavailable


# The first look the harness takes too (redaction.body.HINTS): a byte scan of the lower-cased body, so any
# spelling of a sensitive name (password, passWord: attribute names are case-insensitive) is parsed.
_HINTS = tuple(hint.encode() for hint in BODY_HINTS)


def _mentions_secret(raw: bytes) -> bool:
    low = raw.lower()
    return any(hint in low for hint in _HINTS)


def bounded_body(raw: bytes, limit: int) -> tuple[str | None, bool]:
    """(text, truncated): UTF-8 text of at most ``limit`` bytes with passwords redacted."""
    if not raw:
        return None, False
    if raw.lstrip()[:1] not in (b"{", b"[") and b"=" in raw:
        # a form (the token endpoint's client_secret=…): the query-parameter rules
        text = raw.decode("utf-8", errors="replace")
        redacted = redact_query(text)
        if redacted != text:
            raw = redacted.encode("utf-8")
    elif _mentions_secret(raw):
        try:
            raw = json.dumps(redact_json(json.loads(raw)), ensure_ascii=False).encode("utf-8")
        except (ValueError, RecursionError):
            raw = b"[unparsable body containing a credential field: not recorded]"
    truncated = len(raw) > limit
    return raw[:limit].decode("utf-8", errors="replace"), truncated


_SECRET_HEADER_BYTES = frozenset(h.encode("latin-1") for h in SENSITIVE_HEADERS)


def _header_lines(headers: Any) -> str:
    """``name: value`` lines (credentials masked); names and values may be bytes (ASGI) or str."""
    if not headers:
        return ""
    if isinstance(headers[0][0], bytes):
        # ASGI headers: latin-1 maps bytes to characters one to one, so byte slicing is exact;
        # one join and one decode per block (this runs for every recorded exchange)
        return b"\n".join([k + b": " + v[:4096] if k.lower() not in _SECRET_HEADER_BYTES
                           else k + b": " + mask_credential(v.decode("latin-1")).encode("latin-1")
                           for k, v in headers]).decode("latin-1")
    return "\n".join(f"{k}: {mask_header(k, v)[:4096]}" for k, v in headers)


def fingerprint(key: bytes, authorization: str) -> str:
    """A keyed hash of an Authorization value: which credential made a request, never the credential.

    The key is random per database, so the fingerprint cannot be checked against guesses without
    the database, and two databases give unrelated fingerprints for one token.
    """
    return hmac.new(key, authorization.strip().encode("utf-8"), hashlib.sha256).hexdigest()[:24]


def _authorization(headers: Any) -> str | None:
    for name, value in headers or ():
        if (name.lower() if isinstance(name, str) else name.lower().decode("latin-1")) == "authorization":
            return value if isinstance(value, str) else value.decode("latin-1")
    return None


def _timestamp(at: datetime | str) -> str:
    """The record time as ISO 8601 UTC with a ``Z`` (the edge passes the clock's datetime)."""
    if isinstance(at, str):
        return at
    return at.isoformat(timespec="microseconds").replace("+00:00", "Z")


class Recorder:
    """Buffers records and writes them to the store in batches.

    ``record`` only queues the raw exchange; redaction and formatting happen in ``flush``, which
    runs before anything is written, so no unredacted value ever reaches the database.
    """

    def __init__(self, store: Store, body_limit: int = 65_536, secrets: tuple[str, ...] = ()) -> None:
        self.store = store
        self.body_limit = body_limit
        self.redactor = Redactor(secrets)  # the server's own credentials, wherever a client put them
        self._key = store.recorder_key()
        self._fingerprints: dict[str, str] = {}  # a client sends one credential thousands of times
        self._pending: list[tuple[Any, ...]] = []
        self._unsaved: list[tuple[Any, ...]] = []  # formatted rows a flush could not write (database down)
        self._scheduled: asyncio.AbstractEventLoop | None = None

    def record(self, *, at: Any, method: str, path: str, query: str, status: int, duration_ms: float,
               request_headers: Any, request_body: bytes, response_headers: Any, response_body: bytes) -> None:
        self._pending.append((at, method, path, query, status, duration_ms, request_headers, request_body,
                              response_headers, response_body))
        if self._scheduled is not None and self._scheduled.is_closed():
            self._scheduled = None  # the loop that was to flush is gone (in-process test clients)
        if len(self._pending) >= FLUSH_EVERY:
            self.flush()
        elif self._scheduled is None:
            try:
                loop = asyncio.get_running_loop()
            except RuntimeError:
                self.flush()
                return
            self._scheduled = loop
            loop.call_later(FLUSH_DELAY, self.flush)

    def _format(self, item: tuple[Any, ...]) -> tuple[Any, ...]:
        """One row in ``store.RECORDING_COLUMNS`` order, redacted and bounded."""
        at, method, path, query, status, duration_ms, req_h, req_b, resp_h, resp_b = item
        req_text, t1 = bounded_body(req_b, self.body_limit)
        resp_text, t2 = bounded_body(resp_b, self.body_limit)
        authorization = _authorization(req_h)
        credential = None
        if authorization:
            credential = self._fingerprints.get(authorization)
            if credential is None:
                if len(self._fingerprints) >= 64:
                    self._fingerprints.clear()
                credential = self._fingerprints[authorization] = fingerprint(self._key, authorization)
        text = self.redactor.text
        return (_timestamp(at), method, text(path), text(redact_query(query))[:4096] if query else "", status,
                round(duration_ms, 3), text(_header_lines(req_h)), text(req_text) if req_text else req_text,
                text(_header_lines(resp_h)), text(resp_text) if resp_text else resp_text, int(t1 or t2), credential)

    def flush(self) -> None:
        self._scheduled = None
        pending, self._pending = self._pending, []
        rows = self._unsaved + [self._format(item) for item in pending]
        if not rows:
            return
        try:
            self.store.add_recordings(rows)
            self._unsaved = []
        except StoreUnavailable:  # kept for the next flush, up to a bound (oldest dropped first)
            self._unsaved = rows[-KEEP_UNSAVED:]
            if len(rows) > KEEP_UNSAVED:
                log.warning("recorder: %d recordings dropped while the database was unavailable",
                            len(rows) - KEEP_UNSAVED)
