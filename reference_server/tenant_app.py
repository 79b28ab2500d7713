"""The multi-tenant server: ``/t/{tenant}/scim/v2/...`` to that tenant's own SCIM app, and an
admin API under ``/admin/tenants`` guarded by its own token.

Each tenant is a full :class:`reference_server.app.ScimApp` (own SQLite file, recorder, app
profile and quirks), made on first use and remade when the tenant is recreated.  This layer
authenticates: a tenant's bearer tokens are checked against the registry's digests on every
request (a rotated or deleted token stops working at once, also when the CLI changed the
registry under a running server).  The discovery endpoints stay readable without credentials,
as on the single-tenant server (RFC 7643 §5).

Admin API (JSON; bearer admin token):
  GET    /admin/tenants                      -> {"tenants": [...]}
  POST   /admin/tenants {"name", "app", "quirks"} -> 201 {"tenant", "baseUrl", "token"} (token shown once)
  POST   /admin/tenants/{name}/rotate-token  -> {"baseUrl", "token"}
  DELETE /admin/tenants/{name}               -> 204
"""

from __future__ import annotations

import hmac
import json
import re
from dataclasses import replace
from typing import Any

from reference_server.app import ScimApp, create_app
from reference_server.errors import NotFound, ScimError, Unauthorized
from reference_server.middleware import PUBLIC, error_response
from reference_server.quirks import Captured
from reference_server.settings import ServerSettings
from reference_server.tenants import Tenant, TenantError, TenantRegistry, base_path

_TENANT_PATH = re.compile(r"^/t/([^/]+)/scim(/.*)?$")
_ADMIN_ONE = re.compile(r"^/admin/tenants/([^/]+)(/rotate-token)?$")
_MAX_ADMIN_BODY = 65_536
CHALLENGE = 'Bearer realm="scim"'


def _bearer(scope: dict[str, Any]) -> str | None:
    header = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"authorization"), None)
    if not header:
        return None
    scheme, _, value = header.strip().partition(" ")
    return value.strip() if scheme.lower() == "bearer" and value.strip() else None


def _origin(scope: dict[str, Any]) -> str:
    host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
    if not host:
        server = scope.get("server") or ("localhost", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}{scope.get('root_path', '')}"


def _json(status: int, body: Any) -> Captured:
    raw = json.dumps(body).encode("utf-8")
    return Captured(status, [("content-type", "application/json"), ("content-length", str(len(raw))),
                             ("cache-control", "no-store")], raw)


async def _send(send: Any, response: Captured) -> None:
    await send({"type": "http.response.start", "status": response.status, "headers": response.encoded_headers()})
    await send({"type": "http.response.body", "body": response.body})


class TenantServer:
    """The ASGI app of a shared sandbox (see the module docstring)."""

    def __init__(self, registry: TenantRegistry, admin_token: str, base: ServerSettings | None = None) -> None:
        if not admin_token:
            raise ValueError("a multi-tenant server needs an admin token")
        self.registry = registry
        self._admin = admin_token.encode("utf-8")
        self.base = base or ServerSettings()
        self.apps: dict[str, tuple[tuple[Any, ...], ScimApp]] = {}

    def __repr__(self) -> str:
        return f"TenantServer({self.registry!r}, <admin token redacted>)"

    # -- tenants' apps -------------------------------------------------------------------------
    def app_of(self, tenant: Tenant) -> ScimApp:
        key = (tenant.created, tenant.app, tenant.quirks)
        held = self.apps.get(tenant.name)
        if held is not None and held[0] == key:
            return held[1]
        if held is not None:
            held[1].close()
        settings = replace(self.base, db=self.registry.data_location(tenant.name), tokens=(), basic=None,
                           app=tenant.app, quirks=tenant.quirks, public_url=None)
        app = create_app(settings)
        self.apps[tenant.name] = (key, app)
        return app

    def drop(self, name: str) -> None:
        held = self.apps.pop(name, None)
        if held is not None:
            held[1].close()

    def flush(self) -> None:
        for _, app in self.apps.values():
            app.flush()

    def close(self) -> None:
        for name in list(self.apps):
            self.drop(name)

    # -- ASGI ----------------------------------------------------------------------------------
    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    self.close()
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        if scope["type"] != "http":
            return
        path: str = scope["path"]
        if path == "/admin/tenants" or path.startswith("/admin/tenants/"):
            await _send(send, await self._admin_api(scope, receive))
            return
        try:
            routed = self._route(scope)
        except ScimError as exc:  # the database is unavailable (the registry, or a tenant's first open): 503
            routed = error_response(exc)
        if isinstance(routed, Captured):
            await _send(send, routed)
            return
        app, sub = routed
        await app(sub, receive, send)

    def _route(self, scope: dict[str, Any]) -> tuple[ScimApp, dict[str, Any]] | Captured:
        """The tenant's app and the request as it sees it, or the answer (404, 401) when there is none."""
        path: str = scope["path"]
        m = _TENANT_PATH.match(path)
        tenant = self.registry.get(m.group(1)) if m else None
        if tenant is None or m is None:
            if m is not None:
                self.drop(m.group(1))
            return error_response(NotFound(f"no SCIM endpoint at {path[:200]}"))
        rest = m.group(2) or "/"
        public = scope["method"] in ("GET", "HEAD") and re.sub(r"^/v2(?=/|$)", "", rest).startswith(PUBLIC)
        token = _bearer(scope)
        if not public and (token is None or not tenant.accepts(token)):
            return error_response(Unauthorized("a valid bearer token of this tenant is required"),
                                  [("www-authenticate", CHALLENGE)])
        sub = dict(scope)
        sub["root_path"] = scope.get("root_path", "") + f"/t/{tenant.name}/scim"
        sub["path"] = rest
        sub["raw_path"] = rest.encode("latin-1", errors="replace")
        return self.app_of(tenant), sub  # opened on first use: while the database is down, StoreUnavailable

    # -- admin API -----------------------------------------------------------------------------
    async def _admin_api(self, scope: dict[str, Any], receive: Any) -> Captured:
        token = _bearer(scope)
        if token is None or not hmac.compare_digest(token.encode("utf-8"), self._admin):
            error = error_response(Unauthorized("the admin API needs the admin token"),
                                   [("www-authenticate", 'Bearer realm="scim-admin"')])
            return error
        try:
            return await self._admin_call(scope, receive)
        except TenantError as exc:
            text = str(exc)
            status = 404 if text.startswith("no tenant") else 409 if "exists already" in text else 400
            return _json(status, {"error": text})
        except ScimError as exc:
            return error_response(exc)

    async def _admin_call(self, scope: dict[str, Any], receive: Any) -> Captured:
        method, path, origin = scope["method"], scope["path"], _origin(scope)
        if path == "/admin/tenants" and method == "GET":
            return _json(200, {"tenants": [t.to_dict() for t in self.registry.list()]})
        if path == "/admin/tenants" and method == "POST":
            body = await self._body(receive)
            quirks = body.get("quirks") or []
            if not isinstance(body.get("name"), str) or not isinstance(quirks, list) \
                    or not all(isinstance(q, str) for q in quirks) or not isinstance(body.get("app", ""), str):
                raise TenantError('send {"name": "...", "app": "...", "quirks": ["..."]}')
            tenant, token = self.registry.create(body["name"], body.get("app") or "default", tuple(quirks),
                                                 now=self.base.clock())
            return _json(201, {"tenant": tenant.to_dict(), "baseUrl": origin + base_path(tenant.name),
                               "token": token})
        m = _ADMIN_ONE.match(path)
        if m and m.group(2) and method == "POST":
            token = self.registry.rotate_token(m.group(1))
            return _json(200, {"baseUrl": origin + base_path(m.group(1)), "token": token})
        if m and not m.group(2) and method == "DELETE":
            self.drop(m.group(1))
            self.registry.delete(m.group(1))
            return Captured(204, [("cache-control", "no-store")], b"")
        if m and not m.group(2) and method == "GET":
            found = self.registry.get(m.group(1))
            if found is None:
                raise TenantError(f"no tenant {m.group(1)!r}")
            return _json(200, found.to_dict())
        return _json(404 if not m and path != "/admin/tenants" else 405, {"error": f"no {method} at {path[:100]}"})

    @staticmethod
    async def _body(receive: Any) -> dict[str, Any]:
        raw = b""
        while True:
            message = await receive()
            raw += message.get("body", b"")
            if len(raw) > _MAX_ADMIN_BODY:
                raise TenantError("the request body is too large")
            if not message.get("more_body"):
                break
        try:
            body = json.loads(raw or b"{}")
        except ValueError:
            raise TenantError("the body is not JSON") from None
        if not isinstance(body, dict):
            raise TenantError("the body must be a JSON object")
        return body
