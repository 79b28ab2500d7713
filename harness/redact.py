"""Redaction of credentials, applied once, where exchanges are recorded.

Anything that leaves the harness (reports, logs, console) is built from recorded data,
so redacting at the recorder's door is enough to keep tokens out of every output.
"""

from __future__ import annotations

import base64
from collections.abc import Iterable, Sequence

__all__ = ["REDACTED", "SENSITIVE_HEADERS", "Redactor"]

REDACTED = "[REDACTED]"

#: Header names whose values are always credentials (lower case).
SENSITIVE_HEADERS = frozenset(
    {
        "authorization",
        "proxy-authorization",
        "cookie",
        "set-cookie",
        "x-api-key",
        "api-key",
        "x-auth-token",
        "x-scim-token",
    }
)


#: Distinct header lists remembered by :meth:`Redactor.headers` before the memo is cleared.
_HEADER_CACHE_SIZE = 256
#: Longer header lists (a hostile target's) are redacted without being remembered.
_HEADER_CACHE_WIDTH = 16


class Redactor:
    """Replaces known secrets and credential headers with :data:`REDACTED`.

    ``secrets`` are the literal credentials the user gave (token, password, custom header
    values); their base64 forms (as in HTTP Basic) are covered too.
    """

    def __init__(self, secrets: Iterable[str] = (), extra_headers: Iterable[str] = ()) -> None:
        found: set[str] = set()
        for secret in secrets:
            if secret and len(secret) >= 3:
                found.add(secret)
        # Basic credentials travel base64-encoded; cover "user:pass" forms.
        for secret in list(found):
            if ":" in secret:
                found.add(base64.b64encode(secret.encode()).decode())
        # Longest first so that a secret containing another is replaced whole.
        self._secrets: tuple[str, ...] = tuple(sorted(found, key=len, reverse=True))
        self._headers = SENSITIVE_HEADERS | {h.lower() for h in extra_headers}
        self._header_cache: dict[tuple[tuple[str, str], ...], list[tuple[str, str]]] = {}

    @property
    def secrets(self) -> tuple[str, ...]:
        return self._secrets

    def text(self, value: str) -> str:
        # Longest secret first, each replaced everywhere before the next is looked for: the
        # ``in`` test is a C scan, so with one or two secrets this beats any regex.
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value

    def headers(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        """Each header with a credential value masked (the scheme kept) and secrets redacted.

        A client sends the same few header lists thousands of times, so results are memoised
        per distinct list (bounded); the values are computed by :meth:`_headers_uncached` either way.
        """
        key = headers if isinstance(headers, tuple) else tuple(headers)
        if not key:
            return []
        if len(key) > _HEADER_CACHE_WIDTH:
            return self._headers_uncached(key)
        try:
            cached = self._header_cache.get(key)
        except TypeError:  # pairs given as lists: not hashable, not memoised
            return self._headers_uncached(key)
        if cached is None:
            cached = self._headers_uncached(key)
            if len(self._header_cache) >= _HEADER_CACHE_SIZE:
                self._header_cache.clear()
            self._header_cache[key] = cached
        return list(cached)

    def _headers_uncached(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for name, value in headers:
            if name.lower() in self._headers:
                scheme = value.split(" ", 1)[0] if " " in value else ""
                keep = scheme if scheme.lower() in {"bearer", "basic", "digest", "token"} else ""
                out.append((name, f"{keep} {REDACTED}".strip()))
            else:
                out.append((name, self.text(value)))
        return out

    def add(self, *secrets: str) -> None:
        """Redact these too from now on (credentials learnt during a run, e.g. OAuth access tokens)."""
        more = {s for s in secrets if s and len(s) >= 3} - set(self._secrets)
        more |= {base64.b64encode(s.encode()).decode() for s in more if ":" in s}
        if more:
            # One tuple assignment: a thread reading ``_secrets`` sees the old or the new set.
            self._secrets = tuple(sorted({*self._secrets, *more}, key=len, reverse=True))
            self._header_cache = {}

    def contains_secret(self, value: str) -> bool:
        return any(secret in value for secret in self._secrets)

    def with_secrets(self, more: Sequence[str]) -> "Redactor":
        return Redactor((*self._secrets, *more), self._headers - SENSITIVE_HEADERS)
