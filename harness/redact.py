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

    @property
    def secrets(self) -> tuple[str, ...]:
        return self._secrets

    def text(self, value: str) -> str:
        for secret in self._secrets:
            if secret in value:
                value = value.replace(secret, REDACTED)
        return value

    def headers(self, headers: Iterable[tuple[str, str]]) -> list[tuple[str, str]]:
        out: list[tuple[str, str]] = []
        for name, value in headers:
            if name.lower() in self._headers:
                scheme = value.split(" ", 1)[0] if " " in value else ""
                keep = scheme if scheme.lower() in {"bearer", "basic", "digest", "token"} else ""
                out.append((name, f"{keep} {REDACTED}".strip()))
            else:
                out.append((name, self.text(value)))
        return out

    def contains_secret(self, value: str) -> bool:
        return any(secret in value for secret in self._secrets)

    def with_secrets(self, more: Sequence[str]) -> "Redactor":
        return Redactor((*self._secrets, *more), self._headers - SENSITIVE_HEADERS)
