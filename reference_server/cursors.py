"""Cursor-based pagination (RFC 9865) beside index paging (RFC 7644 §3.4.2.4).

A cursor is opaque to clients (RFC 9865 §2) but not stored here: it carries the 1-based index of
the page it opens, the page size, the time it was issued and the query it belongs to, signed with a key only
this server instance knows.  So a cursor cannot be forged or moved to another query (or another
tenant, whose server has another key): it answers 400 ``invalidCursor``; one older than
``cursorTimeout`` answers 400 ``expiredCursor``, and one sent with another ``count`` than the
query that got it answers 400 ``invalidCount`` (RFC 9865 §2.1, Table 3).  Cursors use only the
unreserved characters of RFC 3986 §2.3 (base64url without padding, and ".").
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
from collections.abc import Callable, Iterable
from datetime import datetime

from reference_server.errors import ScimError

#: How long (seconds) a cursor stays valid; advertised as pagination.cursorTimeout (RFC 9865 §4).
DEFAULT_TIMEOUT = 600
_MAX_CURSOR = 512  # longer strings are not ours: refuse before decoding


class InvalidCursor(ScimError):
    status = 400
    scim_type = "invalidCursor"


class ExpiredCursor(ScimError):
    status = 400
    scim_type = "expiredCursor"


class InvalidCount(ScimError):
    status = 400
    scim_type = "invalidCount"


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def query_scope(rtypes: Iterable[str], filter_: str | None, sort_by: str | None, sort_order: str | None) -> str:
    """What a cursor is bound to: the endpoint's resource types and the query (not count)."""
    text = json.dumps([sorted(rtypes), filter_, (sort_by or "").lower(), (sort_order or "").lower()])
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


class Cursors:
    """Issues and reads the cursors of one server instance."""

    def __init__(self, clock: Callable[[], datetime], timeout: int = DEFAULT_TIMEOUT,
                 key: bytes | None = None) -> None:
        self.clock = clock
        self.timeout = timeout
        self._key = key if key is not None else secrets.token_bytes(32)

    def _sign(self, payload: str, scope: str) -> str:
        mac = hmac.new(self._key, f"{payload}|{scope}".encode("ascii"), hashlib.sha256).digest()
        return _b64(mac[:18])

    def issue(self, start_index: int, scope: str, count: int | None) -> str:
        payload = _b64(json.dumps([start_index, int(self.clock().timestamp()), count]).encode("ascii"))
        return f"{payload}.{self._sign(payload, scope)}"

    def read(self, cursor: str, scope: str, count: int | None) -> int:
        """The start index ``cursor`` opens; InvalidCursor / ExpiredCursor / InvalidCount when it cannot be used."""
        bad = InvalidCursor("the cursor is not one this server issued for this query; send an empty cursor "
                            "for the first page, then the nextCursor or previousCursor of a previous answer")
        if len(cursor) > _MAX_CURSOR or cursor.count(".") != 1:
            raise bad
        payload, mac = cursor.split(".")
        if not hmac.compare_digest(mac, self._sign(payload, scope)):
            raise bad
        try:
            start, issued, first_count = json.loads(_unb64(payload))
        except (ValueError, TypeError):
            raise bad from None
        if not isinstance(start, int) or not isinstance(issued, int) or start < 1:
            raise bad
        if self.clock().timestamp() - issued > self.timeout:
            raise ExpiredCursor(f"the cursor has expired: ask for the next page within {self.timeout} seconds "
                                "(pagination.cursorTimeout)")
        if first_count != count:
            raise InvalidCount(f"count must stay as in the query that got this cursor ({first_count}), "
                               f"not {count} (RFC 9865 §2.1)")
        return start
