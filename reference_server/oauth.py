"""The OAuth 2.0 token endpoint: ``POST /oauth2/token``, client-credentials grant (RFC 6749 §4.4).

Entra ID gallery apps must expose one: Entra is given a client id and secret, posts the grant,
and sends the access token as a bearer until it expires.  This endpoint:

- authenticates the client by HTTP Basic (RFC 6749 §2.3.1: form-urlencoded id and secret, then
  base64) or by ``client_id``/``client_secret`` in the form body, never both (§2.3);
- accepts any of a client's secrets (two at once while a secret is rotated), compared in
  constant time;
- answers §5.1 (``access_token``, ``token_type: Bearer``, ``expires_in``, ``Cache-Control:
  no-store``) or §5.2 errors (``invalid_request``, ``invalid_client`` with 401 and a Basic
  challenge, ``unsupported_grant_type``).

Issued tokens live in memory only, keyed by their SHA-256: a restart forgets them and clients
fetch new ones after the 401 (docs/reference-server.md says why).  Expiry reads the injected clock.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import secrets
import threading
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Callable
from urllib.parse import parse_qsl, unquote_plus

__all__ = ["TOKEN_PATH", "OAuthPolicy", "TokenIssuer", "parse_clients"]

TOKEN_PATH = "/oauth2/token"
FORM = "application/x-www-form-urlencoded"
#: Issued tokens kept at most (oldest expired ones are pruned first); bounds memory under load.
MAX_TOKENS = 100_000


@dataclass(frozen=True)
class OAuthPolicy:
    """Switches the quirks flip (``--quirk oauth-*``); the defaults are the RFC behaviour."""

    check_secret: bool = True
    expire: bool = True
    challenge: bool = True  # a 401 from the SCIM endpoints carries WWW-Authenticate (RFC 7235 §3.1)


def parse_clients(values: tuple[str, ...] | list[str]) -> tuple[tuple[str, str], ...]:
    """``ID:SECRET`` values; the same id twice is one client with two valid secrets (rotation)."""
    out = []
    for value in values:
        client_id, sep, secret = value.partition(":")
        if not sep or not client_id or not secret:
            raise ValueError("--oauth-client must look like ID:SECRET")
        out.append((client_id, secret))
    return tuple(out)


class TokenIssuer:
    """Issues and validates access tokens for the configured clients."""

    def __init__(self, clients: tuple[tuple[str, str], ...], ttl: int, clock: Callable[[], datetime],
                 policy: OAuthPolicy = OAuthPolicy()) -> None:
        self._clients: dict[str, list[bytes]] = {}
        for client_id, secret in clients:
            self._clients.setdefault(client_id, []).append(secret.encode("utf-8"))
        self.ttl, self.clock, self.policy = ttl, clock, policy
        self._tokens: dict[bytes, tuple[str, float]] = {}  # sha256(token) -> (client id, expires at)
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"TokenIssuer(<{len(self._clients)} clients redacted>, ttl={self.ttl})"

    @property
    def enabled(self) -> bool:
        return bool(self._clients)

    def _now(self) -> float:
        return self.clock().timestamp()

    # -- validation (the SCIM endpoints) ---------------------------------------------------------
    def valid(self, token: bytes) -> bool:
        """Whether ``token`` was issued here and has not expired."""
        digest = hashlib.sha256(token).digest()
        with self._lock:
            entry = self._tokens.get(digest)
        return entry is not None and (not self.policy.expire or self._now() < entry[1])

    # -- the token endpoint ------------------------------------------------------------------------
    def answer(self, method: str, headers: list[tuple[bytes, bytes]], body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
        """(status, headers, body) of the token endpoint for one request."""
        if method != "POST":
            return _error(405, "invalid_request", "the token endpoint accepts POST only (RFC 6749 §3.2)",
                          [("allow", "POST")])
        ctype = _header(headers, b"content-type")
        if ctype is None or ctype.split(";", 1)[0].strip().lower() != FORM:
            return _error(400, "invalid_request", f"send the grant as {FORM} (RFC 6749 §4.4.2)")
        try:
            pairs = parse_qsl(body.decode("utf-8"), keep_blank_values=True, strict_parsing=bool(body))
        except (UnicodeDecodeError, ValueError):
            return _error(400, "invalid_request", "the form body could not be parsed")
        form: dict[str, str] = {}
        for key, value in pairs:
            if key in form:  # RFC 6749 §3.2: parameters MUST NOT be included more than once
                return _error(400, "invalid_request", f"parameter {key} is repeated")
            form[key] = value
        client = self._authenticate(_header(headers, b"authorization"), form)
        if isinstance(client, tuple):
            return client
        grant = form.get("grant_type")
        if not grant:
            return _error(400, "invalid_request", "grant_type is missing")
        if grant != "client_credentials":
            return _error(400, "unsupported_grant_type", "only client_credentials is supported")
        return self._issue(client, form.get("scope"))

    def _authenticate(self, authorization: str | None, form: dict[str, str]) -> str | tuple[int, list[tuple[str, str]], bytes]:
        in_body = "client_id" in form or "client_secret" in form
        if authorization is not None:
            scheme, _, value = authorization.strip().partition(" ")
            if scheme.lower() != "basic":
                return _error(401, "invalid_client", "authenticate with HTTP Basic or the form body")
            if in_body:
                return _error(400, "invalid_request", "use one client authentication method, not two (RFC 6749 §2.3)")
            try:
                decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
            except (binascii.Error, ValueError):
                return _error(401, "invalid_client", "the Basic credentials are not base64 of id:secret")
            raw_id, sep, raw_secret = decoded.partition(":")
            if not sep:
                return _error(401, "invalid_client", "the Basic credentials are not id:secret")
            # §2.3.1 says form-encode id and secret before base64; many clients (Authlib among them)
            # do not, so both readings are tried: a '+' in a secret must work either way.
            pairs = [(raw_id, raw_secret), (unquote_plus(raw_id), unquote_plus(raw_secret))]
        else:
            pairs = [(form.get("client_id", ""), form.get("client_secret", ""))]
            if not pairs[0][0]:
                return _error(401, "invalid_client", "client authentication is missing")
        for client_id, secret in dict.fromkeys(pairs):
            known = self._clients.get(client_id)
            presented = secret.encode("utf-8")
            ok = False
            for candidate in known or [b"\0" * 32]:  # no early exit; an unknown id costs the same
                ok |= hmac.compare_digest(presented, candidate)
            if known is not None and (ok or not self.policy.check_secret):
                return client_id
        return _error(401, "invalid_client", "unknown client or wrong secret")

    def _issue(self, client_id: str, scope: str | None) -> tuple[int, list[tuple[str, str]], bytes]:
        token = secrets.token_urlsafe(32)
        now = self._now()
        with self._lock:
            if len(self._tokens) >= MAX_TOKENS:
                self._prune(now)
            self._tokens[hashlib.sha256(token.encode()).digest()] = (client_id, now + self.ttl)
        body: dict[str, Any] = {"access_token": token, "token_type": "Bearer", "expires_in": self.ttl}
        if scope:
            body["scope"] = scope
        return 200, _NO_STORE, json.dumps(body).encode()

    def _prune(self, now: float) -> None:
        """Drop expired tokens; if none has expired, the oldest half (under the lock)."""
        live = {k: v for k, v in self._tokens.items() if v[1] > now}
        if len(live) >= MAX_TOKENS:
            live = dict(sorted(live.items(), key=lambda kv: kv[1][1])[MAX_TOKENS // 2:])
        self._tokens = live


_NO_STORE = [("content-type", "application/json"), ("cache-control", "no-store"), ("pragma", "no-cache")]


def _header(headers: list[tuple[bytes, bytes]], name: bytes) -> str | None:
    return next((v.decode("latin-1") for k, v in headers if k.lower() == name), None)


def _error(status: int, code: str, description: str,
           extra: list[tuple[str, str]] | None = None) -> tuple[int, list[tuple[str, str]], bytes]:
    """An RFC 6749 §5.2 error; a 401 carries the Basic challenge (an HTTP 401 needs one)."""
    headers = [*_NO_STORE, *(extra or [])]
    if status == 401:
        headers.append(("www-authenticate", 'Basic realm="oauth2", charset="UTF-8"'))
    return status, headers, json.dumps({"error": code, "error_description": description}).encode()
