"""OAuth 2.0 client credentials (RFC 6749 §4.4): the access token every request carries.

Entra ID's gallery apps authenticate this way: the admin gives Entra a token URL, a client id
and a secret; Entra posts the client-credentials grant, caches the access token and sends it as
a bearer until shortly before ``expires_in``, then fetches another.  The harness does the same:

- :class:`OAuthSettings` — what the user gave (``--oauth-token-url``, ``--client-id`` …); the
  secret never appears in ``repr``.
- :func:`token_exchange` — one POST to the token endpoint through the harness client, so it is
  bounded, timed out, never redirected and recorded with the secret and the issued tokens
  redacted. The request is encoded by Authlib (client auth per RFC 6749 §2.3.1, form body §4.4.2).
- :func:`read_token` — the response judged as RFC 6749 §5.1/§5.2 say, or :class:`TokenError`
  with one line that says why it is unusable.
- :class:`TokenSource` — one cache per set of settings, shared by every client of a target:
  fetched once, reused until shortly before it expires, fetched again on expiry and once after
  a 401. Expiry is read from the client's injected clock.
"""

from __future__ import annotations

import json
import os
import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, quote_plus, urlsplit

from authlib.oauth2.auth import ClientAuth
from authlib.oauth2.rfc6749.parameters import prepare_token_request

from harness.redact import Redactor

if TYPE_CHECKING:
    from harness.http import TargetClient
    from harness.recorder import Exchange

__all__ = ["OAuthSettings", "TokenError", "AccessToken", "TokenSource", "token_exchange", "read_token",
           "CLIENT_AUTH", "SECRET_ENV", "TOKEN_READ_LIMIT", "leeway", "secret_from_env"]

#: ``--client-auth``: HTTP Basic (``client_secret_basic``, which RFC 6749 §2.3.1 says servers MUST
#: support) or the form body (``client_secret_post``).
CLIENT_AUTH = {"basic": "client_secret_basic", "post": "client_secret_post"}
#: Where the client secret may come from when no --client-secret is given (keeps it out of history).
SECRET_ENV = ("SCIM_HARNESS_CLIENT_SECRET", "SCIM_CLIENT_SECRET")
#: A token response is a few hundred bytes; more than this is not a token endpoint.
TOKEN_READ_LIMIT = 64 * 1024
#: Response members that are credentials themselves (redacted wherever they appear).
_TOKEN_MEMBERS = ("access_token", "refresh_token", "id_token")


def secret_from_env(environ: Any = None) -> str | None:
    """The first non-empty client secret among :data:`SECRET_ENV`, or ``None``."""
    env = os.environ if environ is None else environ
    return next((env[name] for name in SECRET_ENV if env.get(name)), None)


def leeway(expires_in: float) -> float:
    """How long before ``expires_in`` a token counts as expired: a tenth of its life, at most 30 s.

    Entra renews about five minutes early on hour-long tokens; a fixed margin would make a lab
    token of a few seconds look expired from the start.
    """
    return min(30.0, expires_in / 10)


class TokenError(Exception):
    """The token endpoint gave no usable token; the message is one line saying why."""


@dataclass(frozen=True)
class OAuthSettings:
    """The client-credentials configuration of one target."""

    token_url: str
    client_id: str
    client_secret: str = field(repr=False)
    scope: str | None = None
    audience: str | None = None
    client_auth: str = "basic"
    #: How long the readiness check that an expired token is refused may wait for ``expires_in``.
    expiry_wait: float = 5.0

    def __post_init__(self) -> None:
        parts = urlsplit(self.token_url)
        if parts.scheme not in {"http", "https"} or not parts.netloc:
            raise ValueError(f"--oauth-token-url must be http(s)://host/path, got {self.token_url[:200]!r}")
        if "@" in parts.netloc:
            raise ValueError("put the client credentials in --client-id/--client-secret, not in --oauth-token-url")
        if not self.client_id or not self.client_secret:
            raise ValueError("OAuth needs --client-id and --client-secret (or $SCIM_CLIENT_SECRET)")
        if self.expiry_wait < 0:
            raise ValueError("--oauth-expiry-wait must be 0 or more seconds")
        if self.client_auth not in CLIENT_AUTH:
            raise ValueError(f"--client-auth must be one of {', '.join(CLIENT_AUTH)}, not {self.client_auth!r}")

    def secrets(self) -> tuple[str, ...]:
        """Every form the secret travels in: raw, percent- and form-encoded, and the Basic pair
        (whose base64 form the :class:`Redactor` adds)."""
        secret, client = self.client_secret, self.client_id
        return (secret, quote(secret, safe=""), quote_plus(secret), f"{client}:{secret}",
                f"{quote_plus(client)}:{quote_plus(secret)}")

    def describe(self) -> str:
        """Safe to print: the client id and where tokens come from, never the secret."""
        parts = urlsplit(self.token_url)
        return f"OAuth 2.0 client credentials as {self.client_id} from {parts.scheme}://{parts.netloc}{parts.path}"

    def token_request(self, *, grant_type: str = "client_credentials",
                      secret: str | None = None) -> tuple[list[tuple[str, str]], bytes]:
        """Headers and form body of a token request (RFC 6749 §4.4.2), client auth per §2.3.1.

        ``secret`` replaces the configured one (the readiness check that a wrong secret is refused).
        """
        extra: dict[str, Any] = {}
        if self.scope:
            extra["scope"] = self.scope
        if self.audience:
            extra["audience"] = self.audience  # not in RFC 6749; Auth0-style servers require it
        body = prepare_token_request(grant_type, **extra)
        headers = {"Content-Type": "application/x-www-form-urlencoded", "Accept": "application/json"}
        auth = ClientAuth(self.client_id, self.client_secret if secret is None else secret,
                          CLIENT_AUTH[self.client_auth])
        _, headers, body = auth.prepare("POST", self.token_url, headers, body)
        return list(headers.items()), body.encode("utf-8")


@dataclass(frozen=True)
class AccessToken:
    """An issued token and when it stops being used (client clock, monotonic seconds; None = no expiry)."""

    value: str = field(repr=False)
    expires_in: float | None
    fetched_at: float
    scope: str | None = None

    @property
    def use_until(self) -> float | None:
        if self.expires_in is None:
            return None
        return self.fetched_at + self.expires_in - leeway(self.expires_in)

    def usable(self, now: float) -> bool:
        until = self.use_until
        return until is None or now < until


def token_exchange(client: "TargetClient", settings: OAuthSettings, *, grant_type: str = "client_credentials",
                   secret: str | None = None) -> "Exchange":
    """POST one token request through ``client`` and return the recorded exchange.

    Any token in the answer is made known to the redactors before the exchange is recorded,
    so the transcript shows ``"access_token": "[REDACTED]"``.
    """
    headers, body = settings.token_request(grant_type=grant_type, secret=secret)
    return client.send_absolute("POST", settings.token_url, headers, body, max_read=TOKEN_READ_LIMIT,
                                reveal=_tokens_in)


def _tokens_in(raw: bytes) -> list[str]:
    try:
        data = json.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError, RecursionError):
        return []
    if not isinstance(data, dict):
        return []
    return [v for k in _TOKEN_MEMBERS if isinstance(v := data.get(k), str) and v]


def _printable(value: Any, limit: int = 120) -> str:
    """A value from the token endpoint, safe for one line: no control characters, bounded."""
    text = value if isinstance(value, str) else json.dumps(value)
    return "".join(ch if ch.isprintable() else "?" for ch in text)[:limit]


def read_token(ex: "Exchange", now: float) -> AccessToken:
    """Judge a token response (RFC 6749 §5.1, §5.2); :class:`TokenError` says why it is unusable."""
    where = ex.url.split("?", 1)[0][:200]
    if ex.status is None:
        raise TokenError(f"the token endpoint {where} is unreachable: {ex.error}")
    if 300 <= ex.status < 400:
        raise TokenError(f"the token endpoint {where} answered a redirect ({ex.status} to "
                         f"{_printable(ex.header('Location') or 'nowhere', 200)}); redirects are never followed "
                         f"with a client secret: give the final token URL")
    if ex.too_large:
        raise TokenError(f"the token endpoint {where} answered more than {TOKEN_READ_LIMIT // 1024} KiB "
                         f"(HTTP {ex.status}): not a token response")
    data = ex.json_or_none()
    if not isinstance(data, dict):
        kind = _printable((ex.header("Content-Type") or "no Content-Type").split(";", 1)[0], 60)
        raise TokenError(f"the token endpoint {where} answered HTTP {ex.status} ({kind}) that is not a JSON "
                         f"object: not a token response (RFC 6749 §5.1)")
    if "error" in data:
        detail = f" ({_printable(data['error_description'])})" if data.get("error_description") else ""
        hint = ("; check --client-id, --client-secret and --client-auth"
                if data["error"] in ("invalid_client", "unauthorized_client") else "")
        raise TokenError(f"the token endpoint refused the request: {_printable(data['error'], 60)}{detail} "
                         f"(HTTP {ex.status}){hint}")
    if ex.status != 200:
        raise TokenError(f"the token endpoint {where} answered HTTP {ex.status} without an OAuth error")
    token = data.get("access_token")
    if not isinstance(token, str) or not token:
        raise TokenError(f"the token endpoint {where} answered 200 without an access_token (RFC 6749 §5.1)")
    token_type = data.get("token_type")
    if not isinstance(token_type, str) or token_type.lower() != "bearer":
        raise TokenError(f"the token endpoint issued token_type {_printable(token_type, 40)!s}, not bearer: "
                         f"SCIM clients send Bearer tokens (RFC 6750)")
    expires_in = data.get("expires_in")
    life: float | None = None
    if isinstance(expires_in, (int, float)) and not isinstance(expires_in, bool) and expires_in > 0:
        life = float(expires_in)
    elif isinstance(expires_in, str) and expires_in.isdigit() and int(expires_in) > 0:
        life = float(expires_in)  # a string number: lenient, as Entra is
    scope = data.get("scope") if isinstance(data.get("scope"), str) else None
    return AccessToken(token, life, now, scope)


class TokenSource:
    """The access-token cache of one target: shared by all its clients, safe across threads."""

    def __init__(self, settings: OAuthSettings) -> None:
        self.settings = settings
        self._lock = threading.RLock()  # reentrant: a fetch reveals its token while holding it
        self._current: AccessToken | None = None
        self._issued: list[str] = []
        self._redactors: weakref.WeakSet[Redactor] = weakref.WeakSet()
        self.fetches = 0  # how many tokens were fetched (renewals show as fetches > 1)

    def watch(self, redactor: Redactor) -> None:
        """Make ``redactor`` redact the secret and every token this source has or will have issued."""
        with self._lock:
            self._redactors.add(redactor)
            redactor.add(*self.settings.secrets(), *self._issued)

    def issued(self) -> tuple[str, ...]:
        with self._lock:
            return tuple(self._issued)

    def reveal(self, tokens: Sequence[str]) -> None:
        """New credentials seen on the wire: every watched redactor hides them from now on."""
        fresh = [t for t in tokens if t]
        if not fresh:
            return
        with self._lock:
            self._issued.extend(t for t in fresh if t not in self._issued)
            redactors = list(self._redactors)
        for redactor in redactors:
            redactor.add(*fresh)

    def bearer(self, client: "TargetClient") -> str:
        """The current token, fetched first when there is none or it is about to expire."""
        with self._lock:
            current = self._current
            if current is not None and current.usable(client.clock.monotonic()):
                return current.value
            return self._fetch(client).value

    def renew(self, client: "TargetClient", refused: str) -> str:
        """After a 401 with ``refused``: a new token, unless another thread already renewed it."""
        with self._lock:
            current = self._current
            if current is not None and current.value != refused and current.usable(client.clock.monotonic()):
                return current.value
            return self._fetch(client).value

    def _fetch(self, client: "TargetClient") -> AccessToken:
        self._current = None
        ex = token_exchange(client, self.settings)
        token = read_token(ex, client.clock.monotonic())
        self._current = token
        self.fetches += 1
        return token
