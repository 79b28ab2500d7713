"""A tiny in-memory SCIM service provider for the runner's tests (not a reference: just enough).

It answers discovery, lists Users/Groups with ``startIndex``/``count`` and the filters
``attr eq "v"`` / ``attr sw "v"`` (or, broken, ignores them), creates, reads, replaces and deletes, and requires
``Authorization: Bearer <token>``. ``filters=False`` makes every filter a 400 (to exercise
the cleanup's paging fallback). ``calls`` keeps (method, path, query) of every request.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import re
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
_FILTER = re.compile(r'^\s*(\w+)\s+(eq|sw)\s+"([^"]*)"\s*$', re.IGNORECASE)


def scim(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status, headers=headers, media_type="application/scim+json")


def error(status: int, detail: str, scim_type: str | None = None) -> Response:
    body: dict[str, Any] = {"schemas": [ERROR], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return scim(body, status)


class FakeScim:
    """The state and the ASGI app (``.app``)."""

    def __init__(self, token: str = "test-token", filters: bool = True, ignore_filters: bool = False,
                 delay: float = 0.0, endpoints: str = "relative", required: tuple[str, ...] = (),
                 count_error: bool = False) -> None:
        # endpoints: how /ResourceTypes writes them: "relative" ("/Users"), "absolute-url"
        # ("http://host/base/Users"), "absolute-path" ("/base/Users"), "wrong" ("/OldUsers", which
        # does not answer), "other-origin" ("https://elsewhere.example/Users")
        self.endpoints = endpoints
        # required: User attributes (dotted paths) /Schemas marks required and POST enforces
        self.required = required
        self.count_error = count_error  # GET /Users?count=1 answers 500 (a paging bug)
        self.token = token
        self.filters = filters
        self.ignore_filters = ignore_filters  # a broken target: answers a filter with everything
        self.store: dict[str, dict[str, dict[str, Any]]] = {"Users": {}, "Groups": {}}
        self.calls: list[tuple[str, str, str]] = []
        self._ids = itertools.count(1)
        routes = [
            Route("/ServiceProviderConfig", self.spc),
            Route("/ResourceTypes", self.resource_types),
            Route("/Schemas", self.schemas),
            Route("/{kind:str}", self.collection, methods=["GET", "POST"]),
            Route("/{kind:str}/{rid:str}", self.item, methods=["GET", "PUT", "PATCH", "DELETE"]),
        ]
        self.app = Starlette(routes=routes)
        if delay:  # a slow target: every answer waits ``delay`` seconds (without blocking the loop)
            inner = self.app

            async def slow(scope: Any, receive: Any, send: Any) -> None:
                if scope["type"] == "http":
                    await asyncio.sleep(delay)
                await inner(scope, receive, send)

            self.app = slow  # type: ignore[assignment]

    def seed(self, kind: str, root: str = "", **attrs: Any) -> dict[str, Any]:
        """``root``: the path the fake is mounted under, so meta.location is a correct reference."""
        rid = f"id{next(self._ids)}"
        resource = {"schemas": [USER if kind == "Users" else GROUP], "id": rid, **attrs,
                    "meta": {"resourceType": kind[:-1], "location": f"{root}/{kind}/{rid}"}}
        self.store[kind][rid] = resource
        return resource

    def _denied(self, request: Request) -> Response | None:
        self.calls.append((request.method, request.url.path, request.url.query))
        if request.headers.get("authorization") != f"Bearer {self.token}":
            return Response(json.dumps({"schemas": [ERROR], "status": "401", "detail": "no"}), 401,
                            headers={"WWW-Authenticate": "Bearer"}, media_type="application/scim+json")
        return None

    @staticmethod
    async def _body(request: Request) -> dict[str, Any] | None:
        try:
            body = json.loads(await request.body())
        except ValueError:
            return None
        return body if isinstance(body, dict) else None

    async def spc(self, request: Request) -> Response:
        return self._denied(request) or scim({
            "schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
            "patch": {"supported": False}, "bulk": {"supported": False, "maxOperations": 0, "maxPayloadSize": 0},
            "filter": {"supported": self.filters, "maxResults": 200}, "changePassword": {"supported": False},
            "sort": {"supported": False}, "etag": {"supported": False},
            "authenticationSchemes": [{"type": "oauthbearertoken", "name": "Bearer", "description": "token"}],
        })

    def _endpoint(self, request: Request, name: str) -> str:
        root = request.scope.get("root_path", "").rstrip("/")  # the Mount's path, e.g. /scim/v2
        return {"absolute-url": f"{request.url.scheme}://{request.url.netloc}{root}/{name}", "absolute-path": f"{root}/{name}", "wrong": f"/Old{name}",
                "other-origin": f"https://elsewhere.example/{name}"}.get(self.endpoints, f"/{name}")

    async def resource_types(self, request: Request) -> Response:
        types = [{"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": n, "name": n,
                  "endpoint": self._endpoint(request, f"{n}s"), "schema": s} for n, s in (("User", USER), ("Group", GROUP))]
        return self._denied(request) or scim({"schemas": [LIST], "totalResults": 2, "Resources": types})

    async def schemas(self, request: Request) -> Response:
        user_attrs: list[dict[str, Any]] = [{"name": "userName", "type": "string", "required": True}]
        if self.required:  # a fuller User schema, with the required attributes marked
            subs = [{"name": n, "type": "string", "required": f"name.{n}" in self.required}
                    for n in ("formatted", "givenName", "familyName")]
            user_attrs += [{"name": "name", "type": "complex", "subAttributes": subs, "required": "name" in self.required},
                           {"name": "displayName", "type": "string"}, {"name": "active", "type": "boolean"},
                           {"name": "emails", "type": "complex", "multiValued": True, "subAttributes": [
                               {"name": "value", "type": "string"}, {"name": "type", "type": "string"},
                               {"name": "primary", "type": "boolean"}]},
                           {"name": "title", "type": "string", "required": "title" in self.required}]
        return self._denied(request) or scim({"schemas": [LIST], "totalResults": 2, "Resources": [
            {"id": USER, "name": "User", "attributes": user_attrs},
            {"id": GROUP, "name": "Group", "attributes": [{"name": "displayName", "type": "string"}]},
        ]})

    async def collection(self, request: Request) -> Response:
        denied = self._denied(request)
        kind = request.path_params["kind"]
        if denied or kind not in self.store:
            return denied or error(404, "no such endpoint")
        if request.method == "POST":
            body = await self._body(request)
            if body is None:
                return error(400, "the body is not a JSON object", "invalidSyntax")
            for path in self.required if kind == "Users" else ():
                value: Any = body
                for part in path.split("."):
                    value = value.get(part) if isinstance(value, dict) else None
                if value in (None, ""):
                    return error(400, f"{path} is required", "invalidValue")
            return scim(self.seed(kind, request.scope.get("root_path", ""),
                                  **{k: v for k, v in body.items() if k not in {"id", "meta", "schemas", "root"}}), 201)
        items = list(self.store[kind].values())
        text = request.query_params.get("filter")
        if text and not self.ignore_filters:
            match = _FILTER.match(text)
            if not self.filters or not match:
                return error(400, "filter not supported", "invalidFilter")
            attr, op, value = match.group(1), match.group(2).lower(), match.group(3).lower()
            items = [r for r in items if isinstance(r.get(attr), str)
                     and (r[attr].lower() == value if op == "eq" else r[attr].lower().startswith(value))]
        if self.count_error and kind == "Users" and request.query_params.get("count") == "1":
            return Response("Internal Server Error", 500)
        try:
            start = max(1, int(request.query_params.get("startIndex", 1)))
            count = int(request.query_params.get("count", 100))
        except ValueError:  # an exception would reset the connection: answer like a server should
            return error(400, "startIndex and count are integers", "invalidValue")
        page = items[start - 1: start - 1 + count]
        return scim({"schemas": [LIST], "totalResults": len(items), "startIndex": start, "itemsPerPage": len(page),
                     "Resources": page})

    async def item(self, request: Request) -> Response:
        denied = self._denied(request)
        kind, rid = request.path_params["kind"], request.path_params["rid"]
        if denied or kind not in self.store:
            return denied or error(404, "no such endpoint")
        resource = self.store[kind].get(rid)
        if resource is None:
            return error(404, f"{rid} not found")
        if request.method == "DELETE":
            del self.store[kind][rid]
            return Response(status_code=204)
        if request.method == "PUT":
            body = await self._body(request)
            if body is None:
                return error(400, "the body is not a JSON object", "invalidSyntax")
            resource.update({k: v for k, v in body.items() if k not in {"id", "meta"}})
        if request.method == "PATCH":
            return error(501, "PATCH is not implemented")
        return scim(resource)
