"""The server's edge (a pure ASGI middleware around the Starlette app).

In order, for every HTTP request: version prefix (``/v2`` served, other ``/vN`` -> 400
invalidVers, RFC 7644 §3.13), body size (413), quirk ``before`` hooks, authentication (bearer
tokens and/or HTTP Basic compared with ``hmac.compare_digest``; 401 + ``WWW-Authenticate`` + SCIM
error, RFC 7644 §2), content type (415 for a body that is not JSON, RFC 7644 §3.8), the app, quirk
``after`` hooks, then the request recorder.  Any exception becomes a SCIM error; an internal
error is a SCIM 500 whose body carries no stack trace.
"""

from __future__ import annotations

import base64
import hmac
import json
import logging
import re
import time
from collections.abc import Awaitable, Callable
from typing import Any

from reference_server.errors import InvalidVersion, PayloadTooLarge, ScimError, Unauthorized
from reference_server.oauth import TOKEN_PATH, TokenIssuer
from reference_server.quirks import Captured, Ctx, QuirkSet
from reference_server.recorder import Recorder

log = logging.getLogger("reference_server")
_VERSION = re.compile(r"^/v(\d+)(?=/|$)", re.IGNORECASE)
PUBLIC = ("/ServiceProviderConfig", "/ResourceTypes", "/Schemas")
JSON_TYPES = ("application/scim+json", "application/json")


def error_response(exc: ScimError, headers: list[tuple[str, str]] | None = None) -> Captured:
    body = json.dumps(exc.to_body(), ensure_ascii=False).encode("utf-8")
    return Captured(exc.status, [("content-type", "application/scim+json"), ("content-length", str(len(body))),
                                 *exc.headers, *(headers or [])], body)


def body_once(body: bytes) -> Callable[[], Awaitable[dict[str, Any]]]:
    """An ASGI ``receive`` that hands an app a body already read whole, then says the client left."""
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return receive


class InvalidToken(Unauthorized):
    """A bearer token was presented and refused: RFC 6750 §3.1 ``error="invalid_token"``."""


class Credentials:
    """Accepted credentials; never printed (repr hides them)."""

    def __init__(self, tokens: tuple[str, ...], basic: tuple[str, str] | None, basic_only: bool,
                 issuer: TokenIssuer | None = None) -> None:
        self._tokens: list[bytes] = [] if basic_only else [t.encode("utf-8") for t in tokens]
        self._basic = (f"{basic[0]}:{basic[1]}").encode("utf-8") if basic else None
        self.issuer = issuer if issuer is not None and issuer.enabled and not basic_only else None
        self.send_challenge = issuer is None or issuer.policy.challenge
        self.challenge = ", ".join(
            ([] if basic_only or not (tokens or self.issuer) else ['Bearer realm="scim"'])
            + (['Basic realm="scim", charset="UTF-8"'] if basic else [])) or 'Bearer realm="scim"'

    def __repr__(self) -> str:
        return "Credentials(<redacted>)"

    @property
    def enabled(self) -> bool:
        return bool(self._tokens or self._basic or self.issuer)

    def bearer_presented(self, header: str | None) -> bool:
        return header is not None and header.strip().partition(" ")[0].lower() == "bearer"

    def check(self, header: str | None) -> bool:
        if not header:
            return False
        scheme, _, value = header.strip().partition(" ")
        presented = value.strip().encode("utf-8", errors="replace")
        ok = False
        if scheme.lower() == "bearer":
            for token in self._tokens:  # no early exit: constant time over the list
                ok |= hmac.compare_digest(presented, token)
            if not ok and self.issuer is not None:
                ok = self.issuer.valid(presented)
        elif scheme.lower() == "basic" and self._basic is not None:
            try:
                decoded = base64.b64decode(presented, validate=True)
            except ValueError:
                return False
            ok = hmac.compare_digest(decoded, self._basic)
        return ok


class ScimEdge:
    def __init__(self, app: Any, *, credentials: Credentials, quirks: QuirkSet, recorder: Recorder | None,
                 max_body: int, models: dict[str, Any], sleep: Any, clock: Any, bulk_max_payload: int = 0,
                 fast: Callable[[dict[str, Any], bytes], Awaitable[Captured | None]] | None = None) -> None:
        self.app, self.credentials, self.quirks, self.recorder = app, credentials, quirks, recorder
        self.fast = fast  # (scope, body) -> Captured | None: direct dispatch of hot routes (app.FastRoutes)
        self.max_body, self.models, self.sleep, self.clock = max_body, models, sleep, clock
        self.bulk_max_payload = bulk_max_payload or max_body

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        scope = dict(scope)
        original_path, query = scope["path"], scope.get("query_string", b"")
        body = b""
        try:
            response, body = await self._handle(scope, receive)
        except Exception:  # the last line of defence: never a bare 500
            log.exception("internal error on %s %s", scope.get("method"), original_path)
            response = error_response(ScimError("internal server error; the request was not completed",
                                                status=500))
        # Stamped before the answer leaves: a client that reacts to it (advancing a shared
        # clock after a 429, say) must not move the time this exchange is recorded at.
        answered_at = self.clock()
        await send({"type": "http.response.start", "status": response.status,
                    "headers": response.encoded_headers()})
        await send({"type": "http.response.body", "body": response.body if scope["method"] != "HEAD" else b""})
        if self.recorder is not None and not original_path.startswith("/_recordings"):
            self.recorder.record(
                at=answered_at, method=scope["method"],
                path=original_path,
                query=query.decode("latin-1"), status=response.status,
                duration_ms=(time.perf_counter() - started) * 1000,
                request_headers=scope["headers"],
                request_body=body, response_headers=response.current_headers(), response_body=response.body)

    async def _handle(self, scope: dict[str, Any], receive: Any) -> tuple[Captured, bytes]:
        body = b""
        try:
            path = self._normalise_path(scope)
            body = await self._read_body(scope, receive, path)
            ctx = Ctx(scope, scope["method"], path, body, self.models, self.sleep, self.quirks.state)
            if self.quirks and (early := await self.quirks.before(ctx)) is not None:
                return early, body
            if path == TOKEN_PATH and self.credentials.issuer is not None:
                status, headers, answer = self.credentials.issuer.answer(scope["method"], scope["headers"], body)
                token_response = Captured(status, [*headers, ("content-length", str(len(answer)))], answer)
                if self.quirks.has_after:
                    self.quirks.after(ctx, token_response)
                return token_response, body
            self._authenticate(scope, path)
            self._check_content_type(scope, body)
        except ScimError as exc:
            return self._error(exc), body
        response = await self._call_app(scope, body)
        if self.quirks.has_after:
            self.quirks.after(ctx, response.as_text())
        return response, body

    def _error(self, exc: ScimError) -> Captured:
        challenge = self.credentials.challenge
        if isinstance(exc, InvalidToken):  # RFC 6750 §3.1: say why the token was refused
            challenge = challenge.replace('Bearer realm="scim"', 'Bearer realm="scim", error="invalid_token", '
                                          'error_description="the access token is invalid or has expired"')
        extra = [("www-authenticate", challenge)] if exc.status == 401 and self.credentials.send_challenge else []
        return error_response(exc, extra)

    @staticmethod
    def _normalise_path(scope: dict[str, Any]) -> str:
        path: str = scope["path"]
        m = _VERSION.match(path)
        if m:
            if m.group(1) != "2":
                raise InvalidVersion(f"SCIM protocol version {m.group(1)} is not supported; this server speaks "
                                     "version 2 at the base URL (RFC 7644 §3.13)")
            path = path[m.end():] or "/"
            scope["scim.prefix"] = m.group(0)
        if len(path) > 1 and path.endswith("/"):
            path = path.rstrip("/") or "/"
        scope["path"] = path
        scope["raw_path"] = path.encode("utf-8")
        return path

    async def _read_body(self, scope: dict[str, Any], receive: Any, path: str) -> bytes:
        limit = self.bulk_max_payload if path == "/Bulk" else self.max_body
        what = (f"maxPayloadSize={limit} bytes (RFC 7644 §3.7.4)" if path == "/Bulk"
                else f"the limit of {limit} bytes")
        for k, v in scope["headers"]:
            if k == b"content-length" and v.isdigit() and int(v) > limit:
                raise PayloadTooLarge(f"the request body is larger than {what}")
        chunks, size = [], 0
        while True:
            message = await receive()
            if message["type"] == "http.disconnect":
                break
            chunk = message.get("body", b"")
            size += len(chunk)
            if size > limit:
                raise PayloadTooLarge(f"the request body is larger than {what}")
            chunks.append(chunk)
            if not message.get("more_body"):
                break
        return b"".join(chunks)

    def _authenticate(self, scope: dict[str, Any], path: str) -> None:
        if not self.credentials.enabled:
            return
        if scope["method"] in ("GET", "HEAD") and path.startswith(PUBLIC):
            return  # discovery is public (RFC 7643 §5: authenticationSchemes must be discoverable)
        header = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"authorization"), None)
        if not self.credentials.check(header):
            if self.credentials.bearer_presented(header):
                raise InvalidToken("the bearer token is invalid or has expired")
            raise Unauthorized("missing or invalid credentials" if header else "authentication required")

    @staticmethod
    def _check_content_type(scope: dict[str, Any], body: bytes) -> None:
        if scope["method"] not in ("POST", "PUT", "PATCH") or not body:
            return
        ctype = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"content-type"), None)
        if ctype is None:
            return  # lenient: a JSON body without a Content-Type is still parsed
        media = ctype.split(";", 1)[0].strip().lower()
        if media not in JSON_TYPES:
            raise ScimError(f"Content-Type {media!r} is not supported; send application/scim+json "
                            "or application/json (RFC 7644 §3.8)", status=415)

    async def _call_app(self, scope: dict[str, Any], body: bytes) -> Captured:
        if self.fast is not None and (answer := await self.fast(scope, body)) is not None:
            return answer
        replay = body_once(body)
        status, headers, chunks = 500, [], []

        async def capture(message: dict[str, Any]) -> None:
            nonlocal status, headers
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, replay, capture)
        return Captured.from_raw(status, headers, b"".join(chunks))
