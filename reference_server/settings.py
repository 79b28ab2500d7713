"""Settings of one reference-server instance (everything ``create_app`` needs).

The clock and the sleeper are injected so that nothing in the server's logic reads the system
time or blocks on its own (the default clock is real UTC time, the default sleeper asyncio.sleep).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from redaction import has_userinfo


def utc_now() -> datetime:
    """The default clock: real UTC time (the one place the server reads the wall clock)."""
    return datetime.now(timezone.utc)


@dataclass(frozen=True)
class ServerSettings:
    """Configuration of the reference server.

    db: SQLite file path, or ":memory:" (unit tests only).
    tokens: accepted bearer tokens (compared in constant time).
    oauth_clients: OAuth clients of ``POST /oauth2/token`` (client credentials); token_ttl their tokens' life.
    basic: accepted HTTP Basic (user, password), or None.
    app: app profile name (see ``profiles.list_profiles()``); "default" is plain RFC.
    quirks: names from ``quirks.CATALOGUE`` switched on.
    extensions: schema JSON files of custom User extensions (RFC 7643 §3.3).
    max_body_bytes: largest request body accepted (413 above it).
    public_url: base URL used in meta.location / Location; None = derived from each request.
    synchronous: SQLite ``PRAGMA synchronous`` in WAL mode. NORMAL keeps every acknowledged
        write across a crash or kill -9 of the server process; FULL also across power loss.
    record: keep every exchange in the recordings table.
    """

    db: str = ":memory:"
    tokens: tuple[str, ...] = ()
    basic: tuple[str, str] | None = None
    app: str = "default"
    quirks: tuple[str, ...] = ()
    extensions: tuple[str, ...] = ()
    max_body_bytes: int = 1_048_576
    public_url: str | None = None
    synchronous: str = "NORMAL"
    record: bool = True
    record_body_bytes: int = 65_536
    max_results: int = 200
    bulk_max_operations: int = 1000
    bulk_max_payload_bytes: int = 1_048_576
    scan_limit: int = 200_000
    cursor_timeout: int = 600  # seconds a cursor stays valid (RFC 9865 §4 cursorTimeout)
    seats: int | None = None  # overrides the profile's seat pool size (lens)
    oauth_clients: tuple[tuple[str, str], ...] = ()  # (client id, secret); an id twice = rotation
    token_ttl: int = 3600  # seconds an issued access token is accepted
    clock: Callable[[], datetime] = field(default=utc_now, repr=False, compare=False)
    sleep: Callable[[float], Awaitable[None]] = field(default=asyncio.sleep, repr=False, compare=False)

    def __post_init__(self) -> None:
        given: object = self.tokens  # callers may pass one token as a bare string
        if isinstance(given, str):
            object.__setattr__(self, "tokens", (given,))
        object.__setattr__(self, "tokens", tuple(self.tokens))
        object.__setattr__(self, "quirks", tuple(self.quirks))
        object.__setattr__(self, "extensions", tuple(str(e) for e in self.extensions))
        object.__setattr__(self, "oauth_clients", tuple(tuple(c) for c in self.oauth_clients))
        if self.token_ttl < 1:
            raise ValueError("token_ttl must be at least 1 second")
        if self.synchronous.upper() not in ("OFF", "NORMAL", "FULL", "EXTRA"):
            raise ValueError(f"bad synchronous setting {self.synchronous!r}")
        if self.public_url and has_userinfo(self.public_url):  # it would be in every meta.location
            raise ValueError("--public-url must not carry user:password@ (it is sent in every response)")

    def __repr__(self) -> str:  # never show credentials
        return (f"ServerSettings(db={self.db!r}, tokens=<{len(self.tokens)} redacted>, "
                f"basic={'<redacted>' if self.basic else None}, oauth_clients=<{len(self.oauth_clients)} redacted>, app={self.app!r}, quirks={self.quirks!r})")
