"""The SCIM service provider under test (:class:`Target`) and how to authenticate to it (:class:`Auth`).

What the user gave on the command line, checked once: a base URL of http(s) without user-info,
and credentials whose secrets never appear in ``repr`` and are all known to the target's
:meth:`Target.redactor`. :mod:`harness.http` sends requests to it.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from functools import cached_property
from urllib.parse import SplitResult, urlsplit

from harness.oauth import OAuthSettings, TokenSource
from harness.redact import Redactor
from redaction import URL_CREDENTIALS_REFUSED, has_userinfo

__all__ = ["Auth", "Target", "DEFAULT_MAX_READ"]

#: Responses larger than this are not read further (bytes); the exchange says so.
DEFAULT_MAX_READ = 4 * 1024 * 1024


@dataclass(frozen=True)
class Auth:
    """How to authenticate. Secrets never appear in ``repr``."""

    kind: str = "none"  # none | bearer | basic | header | oauth
    token: str = field(default="", repr=False)
    username: str = ""
    password: str = field(default="", repr=False)
    header_name: str = ""
    header_value: str = field(default="", repr=False)
    oauth: OAuthSettings | None = None
    #: The token cache of an ``oauth`` auth, shared by every client built from it.
    source: TokenSource | None = field(default=None, repr=False, compare=False)

    @classmethod
    def client_credentials(cls, settings: OAuthSettings) -> "Auth":
        """OAuth 2.0 client credentials: each request carries a bearer token fetched with ``settings``."""
        return cls(kind="oauth", oauth=settings, source=TokenSource(settings))

    @classmethod
    def bearer(cls, token: str) -> "Auth":
        return cls(kind="bearer", token=token)

    @classmethod
    def basic(cls, userpass: str) -> "Auth":
        """From ``USER:PASS``."""
        if ":" not in userpass:
            raise ValueError("basic credentials must look like USER:PASS")
        user, password = userpass.split(":", 1)
        return cls(kind="basic", username=user, password=password)

    @classmethod
    def header(cls, line: str) -> "Auth":
        """From ``'Name: value'``."""
        if ":" not in line:
            raise ValueError("a header must look like 'Name: value'")
        name, value = line.split(":", 1)
        return cls(kind="header", header_name=name.strip(), header_value=value.strip())

    def headers(self) -> list[tuple[str, str]]:
        if self.kind == "bearer":
            return [("Authorization", f"Bearer {self.token}")]
        if self.kind == "basic":
            raw = f"{self.username}:{self.password}".encode()
            return [("Authorization", "Basic " + base64.b64encode(raw).decode())]
        if self.kind == "header":
            return [(self.header_name, self.header_value)]
        return []  # oauth: the client asks ``source`` for a token per request

    def secrets(self) -> tuple[str, ...]:
        if self.kind == "bearer":
            return (self.token,)
        if self.kind == "basic":
            return (self.password, f"{self.username}:{self.password}")
        if self.kind == "header":
            # "Authorization: Bearer X" or "Token X": the credential alone is secret too.
            scheme, _, credential = self.header_value.partition(" ")
            return (self.header_value, credential.strip()) if credential.strip() else (self.header_value,)
        if self.oauth is not None and self.source is not None:
            return (*self.oauth.secrets(), *self.source.issued())
        return ()

    def extra_header_names(self) -> tuple[str, ...]:
        return (self.header_name,) if self.kind == "header" else ()

    def describe(self) -> str:
        """Safe to print: the scheme, never the secret."""
        return {
            "bearer": "bearer token",
            "basic": f"HTTP Basic as {self.username}",
            "header": f"header {self.header_name}",
            "oauth": self.oauth.describe() if self.oauth else "OAuth 2.0 client credentials",
        }.get(self.kind, "no authentication")


@dataclass(frozen=True)
class Target:
    """A SCIM service provider under test."""

    base_url: str
    auth: Auth = field(default_factory=Auth)
    timeout: float = 10.0
    insecure: bool = False
    max_read: int = DEFAULT_MAX_READ

    def __post_init__(self) -> None:
        parts = urlsplit(self.base_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError(f"target URL must be http(s)://host[:port]/path, got {self.base_url!r}")
        if has_userinfo(self.base_url):  # every command builds a Target: one refusal for all of them
            raise ValueError(URL_CREDENTIALS_REFUSED)

    def redactor(self) -> Redactor:
        return Redactor(self.auth.secrets(), self.auth.extra_header_names())

    @cached_property
    def _parts(self) -> SplitResult:
        return urlsplit(self.base_url)  # parsed once: url_for runs on every request

    @property
    def origin(self) -> tuple[str, str]:
        parts = self._parts
        return parts.scheme, parts.netloc.lower()

    @property
    def base_path(self) -> str:
        return self._parts.path.rstrip("/")

    @property
    def base_query(self) -> str:
        return self._parts.query
