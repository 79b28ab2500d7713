"""``create_app(settings)``: the reference SCIM server as an ASGI app.

Routing is Starlette's; everything at the edge (auth, limits, content types, quirks, recording,
errors) is ``middleware.ScimEdge``; the resource logic is ``service.ScimService``.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from reference_server.endpoints import bulk, discovery, me, recordings, search
from reference_server.cursors import Cursors
from reference_server.endpoints.common import ScimResponse
from reference_server.endpoints.resources import resource_endpoints
from reference_server.errors import MethodNotAllowed, NotFound, ScimError
from reference_server.middleware import Credentials, ScimEdge, body_once
from reference_server.oauth import TokenIssuer
from reference_server.profiles import get_profile
from reference_server.quirks import Captured, QuirkSet
from reference_server.recorder import Recorder
from reference_server.service import ScimService
from reference_server.settings import ServerSettings
from reference_server.store import open_store

# an endpoint: what Starlette calls for one method of one route
Handler = Callable[[Request], Awaitable[Response]]


async def _scim_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ScimError)
    return ScimResponse(exc.to_body(), status_code=exc.status, headers=dict(exc.headers))


async def _http_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, HTTPException)
    if exc.status_code == 404:
        err: ScimError = NotFound(f"no SCIM endpoint at {request.url.path}")
    elif exc.status_code == 405:
        err = MethodNotAllowed(f"{request.method} is not supported on {request.url.path}")
        return ScimResponse(err.to_body(), status_code=405, headers=dict(exc.headers or {}))
    else:
        err = ScimError(str(exc.detail), status=exc.status_code)
    return ScimResponse(err.to_body(), status_code=err.status)


def _dispatch(handlers: Mapping[str, Handler]) -> Handler:
    """One endpoint per path that picks the handler by method (Starlette answers 405 for others)."""
    if len(handlers) == 1:
        return next(iter(handlers.values()))

    async def endpoint(request: Request) -> Response:
        return await handlers[request.method if request.method != "HEAD" else "GET"](request)
    return endpoint


def _resource_table() -> dict[str, dict[str, Any]]:
    """Path template -> {method: handler} of the resource endpoints (RFC 7644 §3.2)."""
    table: dict[str, dict[str, Any]] = {}
    for rtype in ("User", "Group"):
        h = resource_endpoints(rtype)
        ep = h["endpoint"]
        table[f"{ep}/{{id}}"] = {"GET": h["get"], "PUT": h["replace"], "PATCH": h["patch"], "DELETE": h["delete"]}
        table[ep] = {"GET": h["list"], "POST": h["create"]}
        table[f"{ep}/.search"] = {"POST": h["search"]}
    return table


def _routes(table: dict[str, dict[str, Any]]) -> list[Route]:
    """One route per path, the resource paths first (route matching is a linear scan)."""
    table = dict(table)
    table.update({
        "/ServiceProviderConfig": {"GET": discovery.get_spc},
        "/ResourceTypes": {"GET": discovery.list_resource_types},
        "/ResourceTypes/{name}": {"GET": discovery.get_resource_type},
        "/Schemas": {"GET": discovery.list_schemas},
        "/Schemas/{urn:path}": {"GET": discovery.get_schema},
        "/Bulk": {"POST": bulk.post_bulk},
        "/.search": {"POST": search.root_search},
        "/": {"GET": search.root_list},
        "/Me": {m: me.me for m in ("GET", "POST", "PUT", "PATCH", "DELETE")},
        "/_recordings": {"GET": recordings.list_recordings},
        "/_recordings/{rec_id:int}": {"GET": recordings.get_recording},
    })
    return [Route(path, _dispatch(handlers), methods=list(handlers)) for path, handlers in table.items()]


class FastRoutes:
    """Direct dispatch of the hot resource routes, skipping Starlette's router and middleware.

    ``/Users``, ``/Groups`` (GET, POST) and ``/Users/{id}``, ``/Groups/{id}`` (GET, PUT, PATCH,
    DELETE) are the first routes of the Starlette table and match nothing else, so calling their
    handler here gives the answer Starlette would give: same handler, same ``Request``, same
    ScimError handler.  Anything else (HEAD, ``.search``, a root path, other paths) answers None
    and goes through Starlette.  Any other exception propagates to the edge (a SCIM 500), as it
    does from Starlette."""

    def __init__(self, starlette: Starlette, table: dict[str, dict[str, Any]]) -> None:
        self.starlette = starlette
        self.collections: dict[str, dict[str, Any]] = {}
        self.items: dict[str, dict[str, Any]] = {}
        for path, handlers in table.items():
            parts = path.split("/")
            if len(parts) == 2:
                self.collections[parts[1]] = handlers
            elif parts[2:] == ["{id}"]:
                self.items[parts[1]] = handlers

    async def __call__(self, scope: dict[str, Any], body: bytes) -> Captured | None:
        if scope.get("root_path"):
            return None  # Starlette strips a root path before matching; leave that to it
        parts = scope["path"].split("/")
        if len(parts) == 2:
            handlers, params = self.collections.get(parts[1]), {}
        elif len(parts) == 3 and parts[2]:
            handlers, params = self.items.get(parts[1]), {"id": parts[2]}
        else:
            return None
        handler = handlers.get(scope["method"]) if handlers is not None else None
        if handler is None:
            return None
        scope["app"] = self.starlette
        scope["path_params"] = params
        request = Request(scope, body_once(body))
        try:
            response = await handler(request)
        except ScimError as exc:
            response = await _scim_error(request, exc)
        return Captured.from_raw(response.status_code, list(response.raw_headers), response.body)


class ScimApp:
    """The ASGI app (the edge around Starlette) plus handles tests and the CLI use."""

    def __init__(self, settings: ServerSettings) -> None:
        self.settings = settings
        self.profile = get_profile(settings.app)
        if self.profile.auth == "basic" and settings.basic is None:
            raise ValueError(f"the {self.profile.name!r} app uses HTTP Basic: give basic=(user, password)")
        self.quirks = QuirkSet(settings.quirks)
        self.models = self.profile.models(settings.extensions)
        self.store = open_store(settings.db, synchronous=settings.synchronous,
                                unique_user_names=self.quirks.unique_user_names)
        self.service = ScimService(self.store, self.profile, self.models, settings, self.quirks.behaviour())
        # the recorder hides the server's own credentials wherever a client puts them
        secrets = (*settings.tokens, *((settings.basic[1], ":".join(settings.basic)) if settings.basic else ()),
                   *(secret for _, secret in settings.oauth_clients))
        self.recorder = Recorder(self.store, settings.record_body_bytes, secrets) if settings.record else None
        if self.profile.auth == "basic" and settings.oauth_clients:
            raise ValueError(f"the {self.profile.name!r} app uses HTTP Basic only: no OAuth clients")
        self.issuer = TokenIssuer(settings.oauth_clients, settings.token_ttl, settings.clock,
                                  self.quirks.oauth_policy())
        self.credentials = Credentials(settings.tokens, settings.basic, basic_only=self.profile.auth == "basic",
                                       issuer=self.issuer)

        @contextlib.asynccontextmanager
        async def lifespan(app: Any) -> AsyncIterator[None]:
            yield
            self.flush()

        table = _resource_table()
        self.starlette = Starlette(routes=_routes(table), lifespan=lifespan, exception_handlers={
            ScimError: _scim_error, HTTPException: _http_error})
        st = self.starlette.state
        st.settings, st.profile, st.models, st.service = settings, self.profile, self.models, self.service
        st.store, st.recorder = self.store, self.recorder
        # the cursor key derives from the database's key, so every worker process reads every worker's cursors
        cursor_key = hmac.new(self.store.recorder_key(), b"cursors", hashlib.sha256).digest()
        st.cursors = Cursors(settings.clock, settings.cursor_timeout, key=cursor_key)
        self.asgi = ScimEdge(self.starlette, credentials=self.credentials, quirks=self.quirks,
                             recorder=self.recorder, max_body=settings.max_body_bytes, models=self.models,
                             sleep=settings.sleep, clock=settings.clock,
                             bulk_max_payload=settings.bulk_max_payload_bytes,
                             fast=FastRoutes(self.starlette, table))

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        await self.asgi(scope, receive, send)

    def flush(self) -> None:
        """Write buffered recordings now."""
        if self.recorder is not None:
            self.recorder.flush()

    def close(self) -> None:
        self.flush()
        self.store.close()


def create_app(settings: ServerSettings | None = None) -> ScimApp:
    """The reference SCIM server for ``settings`` (an ASGI app; see ServerSettings)."""
    return ScimApp(settings or ServerSettings())
