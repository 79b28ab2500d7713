"""The redactor every output passes through, and the registry of secrets learnt at run time.

A :class:`Redactor` knows the literal secrets of one target (token, password, header value) and
hides them, their Basic (base64) and percent-encoded forms, credential headers, sensitive query
parameters and URL user-info. :func:`register_secret` adds a secret that appears only while the
process runs (an OAuth client secret, an access token from a token endpoint, a replayed HAR's
credentials): every redactor in the process hides it from then on, whichever output it feeds.
"""

from __future__ import annotations

import base64
import threading
from collections.abc import Iterable, Sequence
from typing import Any, TextIO
from urllib.parse import quote

from redaction.body import redact_body
from redaction.rules import REDACTED, SENSITIVE_HEADERS, mask_credential, redact_query, redact_userinfo

__all__ = ["Redactor", "register_secret", "registered_secrets", "scrub", "ScrubbedStream", "MIN_SECRET_LENGTH"]

#: Shorter values are not treated as secrets: replacing "a" everywhere would wreck every output.
MIN_SECRET_LENGTH = 3

_registry_lock = threading.Lock()
_registered: list[str] = []
_registry_version = 0  # bumped on each registration; redactors compare it to rebuild lazily

#: Distinct header lists remembered by :meth:`Redactor.headers` before the memo is cleared.
_HEADER_CACHE_SIZE = 256
#: Longer header lists (a hostile target's) are redacted without being remembered.
_HEADER_CACHE_WIDTH = 16


def register_secret(*values: str) -> None:
    """Hide ``values`` (and their encoded forms) in every output of this process from now on.

    For secrets known only at run time: ``register_secret(client_secret, access_token)``.
    """
    global _registry_version
    with _registry_lock:
        added = [v for v in values if v and len(v) >= MIN_SECRET_LENGTH and v not in _registered]
        if added:
            _registered.extend(added)
            _registry_version += 1


def registered_secrets() -> tuple[str, ...]:
    """The secrets :func:`register_secret` was given (for tests and diagnostics; never print them)."""
    with _registry_lock:
        return tuple(_registered)


def _forms(secrets: Iterable[str]) -> tuple[str, ...]:
    """Each secret and the forms it travels in, longest first (a secret containing another is
    replaced whole)."""
    found: set[str] = set()
    for secret in secrets:
        if not secret or len(secret) < MIN_SECRET_LENGTH:
            continue
        found.add(secret)
        if ":" in secret:  # Basic credentials travel base64-encoded
            found.add(base64.b64encode(secret.encode()).decode())
        encoded = quote(secret, safe="")
        if encoded != secret:  # a secret in a query string or a URL path
            found.add(encoded)
    return tuple(sorted(found, key=len, reverse=True))


class Redactor:
    """Replaces known secrets, credential headers, sensitive query values and URL user-info.

    ``secrets`` are the literal credentials the user gave; ``extra_headers`` names headers whose
    whole value is a credential (a ``--header 'X-Custom: …'``). :meth:`add` teaches this redactor
    more secrets; :func:`register_secret` teaches every redactor.
    """

    def __init__(self, secrets: Iterable[str] = (), extra_headers: Iterable[str] = ()) -> None:
        self._own: tuple[str, ...] = tuple(s for s in secrets if s)
        self._headers = SENSITIVE_HEADERS | {h.lower() for h in extra_headers}
        self._lock = threading.Lock()
        self._version = -1
        self._secrets: tuple[str, ...] = ()
        self._header_cache: dict[tuple[tuple[str, str], ...], list[tuple[str, str]]] = {}
        self._refresh()

    def _refresh(self) -> tuple[str, ...]:
        version = _registry_version
        if version != self._version:
            with self._lock:
                self._secrets = _forms((*self._own, *registered_secrets()))
                self._header_cache = {}
                self._version = version
        return self._secrets

    @property
    def secrets(self) -> tuple[str, ...]:
        """Every form of every secret this redactor hides (never print it)."""
        return self._refresh()

    def add(self, *secrets: str) -> None:
        """Hide these secrets too, in everything this redactor redacts from now on."""
        with self._lock:
            self._own = (*self._own, *(s for s in secrets if s))
            self._version = -1
        self._refresh()

    def text(self, value: str) -> str:
        """``value`` with every known secret (in every form it travels in) replaced.

        Runs on every recorded body, so it does only that; URL user-info and query values in
        bodies are caught by :func:`scrub`, the last pass on every document written.
        """
        secrets = self._secrets if self._version == _registry_version else self._refresh()
        # Longest secret first, each replaced everywhere before the next is looked for: the
        # ``in`` test is a C scan, so with one or two secrets this beats any regex.
        for secret in secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value

    def body(self, value: str) -> str:
        """A request or response body: :meth:`text`, and the secrets its members carry
        (``password`` anywhere, a PATCH to ``password``, a token request's form values)."""
        return redact_body(self.text(value))

    def url(self, value: str) -> str:
        """A URL (or any text quoting one) safe to show: known secrets, user-info and sensitive
        query values hidden."""
        return redact_query(redact_userinfo(self.text(value)))

    def headers(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Each header with a credential value masked (the scheme kept) and secrets redacted.

        A client sends the same few header lists thousands of times, so results are memoised
        per distinct list (bounded); the values are computed by :meth:`_headers_uncached` either way.
        """
        self._refresh()
        key = headers if isinstance(headers, tuple) else tuple(headers)
        if not key:
            return []
        if len(key) > _HEADER_CACHE_WIDTH:
            return self._headers_uncached(key)
        cache = self._header_cache
        try:
            cached = cache.get(key)
        except TypeError:  # pairs given as lists: not hashable, not memoised
            return self._headers_uncached(key)
        if cached is None:
            cached = self._headers_uncached(key)
            if len(cache) >= _HEADER_CACHE_SIZE:
                cache.clear()
            cache[key] = cached
        return list(cached)

    def _headers_uncached(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for name, value in headers:
            lname = name.lower()
            if lname in self._headers:
                out.append((name, mask_credential(value)))
            elif lname == "location" or lname == "content-location":
                out.append((name, self.url(value)))
            else:
                out.append((name, self.text(value)))
        return out

    def contains_secret(self, value: str) -> bool:
        return any(secret in value for secret in self._refresh())

    def with_secrets(self, more: Sequence[str]) -> "Redactor":
        """A new redactor hiding this one's secrets and ``more``."""
        return Redactor((*self._own, *more), self._headers - SENSITIVE_HEADERS)


_PROCESS = Redactor()  # no secrets of its own: the registered ones, URL user-info, sensitive query values


def scrub(text: str) -> str:
    """The last pass before text leaves the process (a file, the console): every registered
    secret, every URL user-info and every sensitive query value replaced.

    Writers call it on the whole document; it catches what no earlier step knew to redact.
    """
    return _PROCESS.url(text)


class ScrubbedStream:
    """A text stream whose every write passes :func:`scrub` (a console handler's ``sys.stdout``)."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream

    def write(self, text: str) -> int:
        return self._stream.write(scrub(text))

    def flush(self) -> None:
        self._stream.flush()

    def isatty(self) -> bool:
        return self._stream.isatty()

    def __getattr__(self, name: str) -> Any:  # encoding, errors, fileno...: the wrapped stream's
        return getattr(self._stream, name)
