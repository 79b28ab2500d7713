"""The target client: every HTTP request the harness or the mock IdP sends goes through here.

- The base URL may carry a query string (Entra's ``?aadOptscim062020``); it survives every
  request, merged before the request's own parameters.
- Query strings are encoded the way IdPs do (``%20`` for spaces, ``%22`` for quotes).
- Timeouts per request, a read bound on bodies, no redirects followed, no retries but one: a
  reused keep-alive connection the target closed before answering (harness/wire.py).
- Transport errors never raise: they become an :class:`Exchange` with ``error`` set, so a
  hostile target can never crash a run.
- A path is relative to the base (``/Users``) unless it already holds the base path
  (``/scim/v2/Users``: an absolute path, used as is) or is a URL of the target's origin
  (harness/endpoints.py). URLs to another origin than the target's (e.g. a ``meta.location``
  pointing elsewhere) are refused before any credential is sent.
"""

from __future__ import annotations

import json as jsonlib
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypedDict, Unpack
from urllib.parse import quote, urlsplit, urlunsplit

import httpx

from harness.clock import Clock, SystemClock
from harness.endpoints import holds_base_path
from harness.oauth import TokenError
from harness.recorder import Exchange, Recorder
from harness.target import DEFAULT_MAX_READ, Auth, Target  # part of this module's interface: callers import them here
from harness.wire import HttpxWire, Transfer, Wire

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

_ENCODER = jsonlib.JSONEncoder(ensure_ascii=False)  # one encoder, as json.dumps would build per call

QueryParams = Mapping[str, Any] | Sequence[tuple[str, Any]]


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
    ``TestClient`` for in-process tests, or a client over ``httpx.MockTransport``. ``wire``
    replaces httpx altogether (harness/wire.py): the load's Locust processes send through
    geventhttpclient (mock_idp/load/gevent_wire.py).
    """

    def __init__(
        self,
        target: Target,
        *,
        recorder: Recorder | None = None,
        http: httpx.Client | None = None,
        wire: Wire | None = None,
        clock: Clock | None = None,
        headers: Sequence[tuple[str, str]] = (),
        user_agent: str = USER_AGENT,
    ) -> None:
        self.target = target
        self.clock = clock or SystemClock()
        self.recorder = recorder or Recorder(target.redactor(), self.clock)
        if wire is not None and http is not None:
            raise ValueError("give an httpx client or a wire, not both")
        self._own_wire = wire is None  # an injected wire (or httpx client) is closed by whoever made it
        self.wire: Wire = wire or HttpxWire(http, insecure=target.insecure)
        self.default_headers: list[tuple[str, str]] = [
            ("User-Agent", user_agent),
            ("Accept", SCIM_JSON),
            *headers,
        ]
        if target.auth.source is not None:
            target.auth.source.watch(self.recorder.redactor)

    # -- context management -------------------------------------------------------------
    def close(self) -> None:
        if self._own_wire:
            self.wire.close()

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
        answer = self._transfer(method, url, all_headers, body, self.target.timeout, max_read)
        if reveal is not None and answer.status is not None:
            found = list(reveal(answer.body))
            if found:
                if self.target.auth.source is not None:
                    self.target.auth.source.reveal(found)
                self.recorder.redactor.add(*found)
        return self._record(method, url, all_headers, body, *answer)

    def _transfer(self, method: str, url: str, headers: list[tuple[str, str]], body: bytes | None, wait: float,
                  max_read: int | None = None) -> Transfer:
        """One request on the wire (harness/wire.py); never raises."""
        return self.wire.transfer(method, url, headers, body, wait, max_read or self.target.max_read)

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
        retried: str | None = None,
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
            retried=retried,
        )
