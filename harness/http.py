"""The target client: every HTTP request the harness or the mock IdP sends goes through here.

- The base URL may carry a query string (Entra's ``?aadOptscim062020``); it survives every
  request, merged before the request's own parameters.
- Query strings are encoded the way IdPs do (``%20`` for spaces, ``%22`` for quotes).
- Timeouts per request, a read bound on bodies, no redirects followed, no retries.
- Transport errors never raise: they become an :class:`Exchange` with ``error`` set, so a
  hostile target can never crash a run.
- A path is relative to the base (``/Users``) unless it already holds the base path
  (``/scim/v2/Users``: an absolute path, used as is) or is a URL of the target's origin
  (harness/endpoints.py). URLs to another origin than the target's (e.g. a ``meta.location``
  pointing elsewhere) are refused before any credential is sent.
"""

from __future__ import annotations

import base64
import json as jsonlib
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict, Unpack
from functools import cached_property
from urllib.parse import SplitResult, quote, urlsplit, urlunsplit

import httpx

from harness.clock import Clock, SystemClock
from harness.endpoints import holds_base_path
from harness.oauth import OAuthSettings, TokenError, TokenSource
from harness.recorder import Exchange, Recorder
from harness.redact import Redactor
from redaction import URL_CREDENTIALS_REFUSED, has_userinfo

__all__ = [
    "Auth",
    "Target",
    "TargetClient",
    "HttpVerbs",
    "RequestOptions",
    "BodyOptions",
    "DEFAULT_MAX_READ",
    "encode_query",
    "SCIM_JSON",
    "USER_AGENT",
    "NO_TOKEN",
]

SCIM_JSON = "application/scim+json"
#: How the error of a request that was never sent for want of an OAuth access token begins.
NO_TOKEN = "no access token: "
USER_AGENT = "scim-harness/0.1"
#: Responses larger than this are not read further (bytes); the exchange says so.
DEFAULT_MAX_READ = 4 * 1024 * 1024

_ENCODER = jsonlib.JSONEncoder(ensure_ascii=False)  # one encoder, as json.dumps would build per call

QueryParams = Mapping[str, Any] | Sequence[tuple[str, Any]]


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


def encode_query(params: QueryParams | None) -> str:
    """Encode like an IdP: ``filter=userName%20eq%20%22x%22`` (never ``+`` for spaces)."""
    if not params:
        return ""
    items = params.items() if isinstance(params, Mapping) else params
    out = []
    for key, value in items:
        if value is None:
            continue
        if isinstance(value, bool):
            value = "true" if value else "false"
        out.append(f"{quote(str(key), safe='')}={quote(str(value), safe='')}")
    return "&".join(out)


class RequestOptions(TypedDict, total=False):
    """The keyword options of :meth:`TargetClient.request` (all optional), so wrappers that
    pass ``**kw`` through stay type-checked."""

    params: QueryParams | None
    query: str | None
    json: Any
    content: bytes | str | None
    headers: Sequence[tuple[str, str]] | Mapping[str, str]
    content_type: str
    authenticate: bool
    timeout: float | None


class BodyOptions(TypedDict, total=False):
    """:class:`RequestOptions` without ``json``, which the body verbs take positionally."""

    params: QueryParams | None
    query: str | None
    content: bytes | str | None
    headers: Sequence[tuple[str, str]] | Mapping[str, str]
    content_type: str
    authenticate: bool
    timeout: float | None


class HttpVerbs:
    """``get``/``post``/``put``/``patch``/``delete`` over a ``request(method, path, **kw)``."""

    def request(self, method: str, path: str, **kw: Unpack[RequestOptions]) -> Exchange:
        raise NotImplementedError

    def get(self, path: str, **kw: Unpack[RequestOptions]) -> Exchange:
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Unpack[BodyOptions]) -> Exchange:
        return self.request("POST", path, json=json, **kw)

    def put(self, path: str, json: Any = None, **kw: Unpack[BodyOptions]) -> Exchange:
        return self.request("PUT", path, json=json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Unpack[BodyOptions]) -> Exchange:
        return self.request("PATCH", path, json=json, **kw)

    def delete(self, path: str, **kw: Unpack[RequestOptions]) -> Exchange:
        return self.request("DELETE", path, **kw)


class TargetClient(HttpVerbs):
    """Sends requests to one target and records each exchange.

    ``http`` injects the world: a real ``httpx.Client`` (default), a Starlette
    ``TestClient`` for in-process tests, or a client over ``httpx.MockTransport``.
    """

    def __init__(
        self,
        target: Target,
        *,
        recorder: Recorder | None = None,
        http: httpx.Client | None = None,
        clock: Clock | None = None,
        headers: Sequence[tuple[str, str]] = (),
        user_agent: str = USER_AGENT,
    ) -> None:
        self.target = target
        self.clock = clock or SystemClock()
        self.recorder = recorder or Recorder(target.redactor(), self.clock)
        self._own_http = http is None
        self.http = http or httpx.Client(
            verify=not target.insecure,
            follow_redirects=False,
            trust_env=False,
        )
        self.default_headers: list[tuple[str, str]] = [
            ("User-Agent", user_agent),
            ("Accept", SCIM_JSON),
            *headers,
        ]
        if target.auth.source is not None:
            target.auth.source.watch(self.recorder.redactor)

    # -- context management -------------------------------------------------------------
    def close(self) -> None:
        if self._own_http:
            self.http.close()

    def __enter__(self) -> "TargetClient":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- URLs ----------------------------------------------------------------------------
    def url_for(self, path: str, params: QueryParams | None = None, query: str | None = None) -> str:
        """The absolute URL for ``path`` (relative to the base, or absolute on its origin)."""
        target = self.target
        if path.startswith(("http://", "https://")):
            parts = urlsplit(path)
            if (parts.scheme, parts.netloc.lower()) != target.origin:
                raise ValueError(f"refusing to send credentials to another origin: {path}")
            scheme, netloc, url_path, own_query = parts.scheme, parts.netloc, parts.path, parts.query
            # The base's own query (e.g. aadOptscim062020) rides along on every request.
            pieces = [target.base_query] if target.base_query and target.base_query not in own_query else []
            pieces.append(own_query)
        else:
            base = target._parts
            scheme, netloc = base.scheme, base.netloc
            # "/Users" is relative to the base (RFC 7643 §6); "/scim/v2/Users" already holds it.
            url_path = path if holds_base_path(target.base_path, path) else (
                target.base_path + ("/" + path.lstrip("/") if path else ""))
            pieces = [target.base_query]
        pieces.extend([encode_query(params), query or ""])
        full_query = "&".join(p for p in pieces if p)
        return urlunsplit((scheme, netloc, url_path or "/", full_query, ""))

    # -- credentials ---------------------------------------------------------------------
    def token_problem(self) -> str | None:
        """Fetch an OAuth access token now (a no-op for static credentials); the one line that
        says why none could be had, or ``None``. Commands call it before they start."""
        source = self.target.auth.source
        if source is None:
            return None
        try:
            source.bearer(self)
        except TokenError as exc:
            return str(exc)
        return None

    # -- sending -------------------------------------------------------------------------
    def request(
        self,
        method: str,
        path: str,
        *,
        params: QueryParams | None = None,
        query: str | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        headers: Sequence[tuple[str, str]] | Mapping[str, str] = (),
        content_type: str = SCIM_JSON,
        authenticate: bool = True,
        timeout: float | None = None,
    ) -> Exchange:
        """Send one request; always returns an :class:`Exchange` (``error`` set on failure)."""
        method = method.upper()
        extra = list(headers.items()) if isinstance(headers, Mapping) else list(headers)
        body: bytes | None = None
        if json is not None:
            body = _ENCODER.encode(json).encode("utf-8")
        elif content is not None:
            body = content.encode("utf-8") if isinstance(content, str) else content
        overridden = {name.lower() for name, _ in extra}
        source = self.target.auth.source if authenticate and "authorization" not in overridden else None
        all_headers: list[tuple[str, str]] = list(self.default_headers)
        if authenticate:
            all_headers.extend(self.target.auth.headers())
        if body is not None and content_type:
            all_headers.append(("Content-Type", content_type))
        all_headers = [h for h in all_headers if h[0].lower() not in overridden] + extra
        try:
            url = self.url_for(path, params, query)
        except ValueError as exc:
            return self._record(method, path, all_headers, body, None, [], b"", 0.0, str(exc))
        wait = timeout if timeout is not None else self.target.timeout
        if source is None:
            return self._record(method, url, all_headers, body, *self._transfer(method, url, all_headers, body, wait))
        try:
            token = source.bearer(self)
        except TokenError as exc:
            return self._record(method, url, all_headers, body, None, [], b"", 0.0, f"{NO_TOKEN}{exc}")
        sent = [*all_headers, ("Authorization", f"Bearer {token}")]
        ex = self._record(method, url, sent, body, *self._transfer(method, url, sent, body, wait))
        if ex.status != 401:
            return ex
        # RFC 6750 §3.1: the token may have been revoked or expired early; one fresh token, one
        # retry, and then the 401 stands.
        try:
            fresh = source.renew(self, token)
        except TokenError:
            return ex
        sent = [*all_headers, ("Authorization", f"Bearer {fresh}")]
        return self._record(method, url, sent, body, *self._transfer(method, url, sent, body, wait))

    def send_absolute(self, method: str, url: str, headers: Sequence[tuple[str, str]], body: bytes | None, *,
                      max_read: int | None = None,
                      reveal: Callable[[bytes], Sequence[str]] | None = None) -> Exchange:
        """Send exactly ``headers`` (no credentials added) to an absolute ``url`` on any origin.

        For the OAuth token endpoint, which usually lives elsewhere. ``reveal`` names the secrets
        in the response body (issued tokens); they are redacted before the exchange is recorded.
        """
        all_headers = [("User-Agent", self.default_headers[0][1]), *headers]
        transfer = self._transfer(method, url, all_headers, body, self.target.timeout, max_read)
        if reveal is not None and transfer[0] is not None:
            found = list(reveal(transfer[2]))
            if found:
                if self.target.auth.source is not None:
                    self.target.auth.source.reveal(found)
                self.recorder.redactor.add(*found)
        return self._record(method, url, all_headers, body, *transfer)

    def _transfer(self, method: str, url: str, headers: list[tuple[str, str]], body: bytes | None, wait: float,
                  max_read: int | None = None,
                  ) -> tuple[int | None, list[tuple[str, str]], bytes, float, str | None, bool]:
        """One request on the wire: (status, headers, body, ms, error, too_large); never raises."""
        limit = max_read or self.target.max_read
        started = time.perf_counter()
        status: int | None = None
        response_headers: list[tuple[str, str]] = []
        chunks: list[bytes] = []
        too_large = False
        error: str | None = None
        try:
            with self.http.stream(
                method,
                url,
                content=body,
                headers=headers,
                timeout=httpx.Timeout(wait),
                follow_redirects=False,  # even on injected clients (TestClient follows by default)
            ) as response:
                status = response.status_code
                response_headers = list(response.headers.multi_items())
                size = 0
                for chunk in _raw_chunks(response):
                    size += len(chunk)
                    if size > limit:
                        too_large = True
                        chunks.append(chunk[: max(0, limit - (size - len(chunk)))])
                        break
                    chunks.append(chunk)
                    if time.perf_counter() - started > wait * 3:
                        # A body trickled slowly enough to dodge per-read timeouts.
                        raise httpx.ReadTimeout("body took too long to arrive")
        except httpx.TimeoutException as exc:
            error = f"timeout after {wait:g}s ({type(exc).__name__})"
        except httpx.HTTPError as exc:
            error = f"{type(exc).__name__}: {exc}"
        except Exception as exc:  # noqa: BLE001 - a hostile target must never crash a run
            error = f"{type(exc).__name__}: {exc}"
        elapsed = (time.perf_counter() - started) * 1000
        raw = b"".join(chunks)
        if error is not None:
            status = None
        else:
            raw = _decode_content(raw, response_headers, limit)
        return status, response_headers, raw, elapsed, error, too_large

    def _record(
        self,
        method: str,
        url: str,
        headers: list[tuple[str, str]],
        body: bytes | None,
        status: int | None,
        response_headers: list[tuple[str, str]],
        raw: bytes,
        elapsed_ms: float,
        error: str | None,
        too_large: bool = False,
    ) -> Exchange:
        return self.recorder.record(
            method=method,
            url=url,
            request_headers=headers,
            request_body=body,
            status=status,
            response_headers=response_headers,
            response_body=raw,
            elapsed_ms=elapsed_ms,
            error=error,
            too_large=too_large,
        )


def _raw_chunks(response: httpx.Response) -> Iterator[bytes]:
    """The body as it arrives; a response built in memory (MockTransport) is already read."""
    try:
        yield from response.iter_raw()
    except httpx.StreamConsumed:
        yield response.content


def _decode_content(raw: bytes, headers: list[tuple[str, str]], limit: int) -> bytes:
    """Undo gzip/deflate content-encoding, bounded (a decompression bomb stops at ``limit``)."""
    encoding = next((v.lower() for k, v in headers if k.lower() == "content-encoding"), "")
    if encoding not in {"gzip", "deflate"}:
        return raw
    import zlib

    wbits = 16 + zlib.MAX_WBITS if encoding == "gzip" else zlib.MAX_WBITS
    try:
        return zlib.decompressobj(wbits).decompress(raw, limit)
    except zlib.error:
        return raw
