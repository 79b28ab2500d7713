"""A tiny, strict, in-memory SCIM service provider for the fuzzer's own tests (Users only).

Not a reference: just enough to answer every generated request inside the contract, so a
fuzz run against it finds nothing, and ``crash_on_unknown=True`` makes it answer 500 when a
body carries an attribute the schema does not define (the defect the fuzzer must find).
"""

from __future__ import annotations

import itertools
import json
import re
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

USER = "urn:ietf:params:scim:schemas:core:2.0:User"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
PATCH = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
# compValue is a JSON string (RFC 7644 §3.4.2.2), escapes included.
_FILTER = re.compile(r'^\s*(userName|displayName)\s+(eq|sw)\s+("(?:[^"\\]|\\.)*")\s*$', re.IGNORECASE | re.DOTALL)
WRITABLE = {"userName": str, "displayName": str, "active": bool, "title": str}

USER_SCHEMA = {
    "id": USER, "name": "User",
    "attributes": [
        {"name": "userName", "type": "string", "required": True, "mutability": "readWrite", "uniqueness": "server"},
        {"name": "displayName", "type": "string"},
        {"name": "active", "type": "boolean"},
        {"name": "title", "type": "string"},
        {"name": "password", "type": "string", "mutability": "writeOnly", "returned": "never"},
        {"name": "id", "type": "string", "mutability": "readOnly"},
    ],
}


def scim(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    return Response(json.dumps(body), status, headers=headers, media_type="application/scim+json")


def error(status: int, detail: str, scim_type: str | None = None, as_integer: bool = False) -> Response:
    body: dict[str, Any] = {"schemas": [ERROR], "status": status if as_integer else str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return scim(body, status)


class FakeScim:
    """State plus the ASGI app (``.app``). ``requests`` counts what it answered."""

    def __init__(self, token: str = "test-token", crash_on_unknown: bool = False,
                 crash_on_empty_filter: bool = False, faults: tuple[str, ...] = ()) -> None:
        self.token = token
        # Contract defects, one per check: "status-as-integer", "drops-title", "filter-misses",
        # "text-plain-lists" (wrong media type), "delete-202" (a status SCIM does not give DELETE).
        self.faults = set(faults)
        self.crash_on_unknown = crash_on_unknown
        self.crash_on_empty_filter = crash_on_empty_filter  # 500 on GET /Users?filter= (empty)
        self.users: dict[str, dict[str, Any]] = {}
        self.requests = 0
        self.flagged = 0  # requests that carried ?aadOptscim062020 (Entra's flag)
        self._ids = itertools.count(1)
        self.app = Starlette(routes=[
            Route("/ServiceProviderConfig", self.spc),
            Route("/ResourceTypes", self.resource_types),
            Route("/Schemas", self.schemas),
            Route("/Users", self.collection, methods=["GET", "POST"]),
            Route("/Users/.search", self.search, methods=["POST"]),
            Route("/Users/{rid:str}", self.item, methods=["GET", "PUT", "PATCH", "DELETE"]),
        ], exception_handlers={HTTPException: self.http_error})

    async def http_error(self, request: Request, exc: Exception) -> Response:
        """Routing errors (404, 405) are SCIM Errors too (RFC 7644 §3.12)."""
        status = exc.status_code if isinstance(exc, HTTPException) else 500
        return error(status, "not here")

    # -- discovery ----------------------------------------------------------------------
    async def spc(self, request: Request) -> Response:
        return scim({"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"],
                     "patch": {"supported": True}, "filter": {"supported": True, "maxResults": 200},
                     "sort": {"supported": False}, "bulk": {"supported": False}, "etag": {"supported": False}})

    async def resource_types(self, request: Request) -> Response:
        rt = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:ResourceType"], "id": "User", "name": "User",
              "endpoint": "/Users", "schema": USER}
        return scim({"schemas": [LIST], "totalResults": 1, "Resources": [rt]})

    async def schemas(self, request: Request) -> Response:
        return scim({"schemas": [LIST], "totalResults": 1, "Resources": [USER_SCHEMA]})

    # -- helpers ------------------------------------------------------------------------
    def _authorized(self, request: Request) -> bool:
        self.requests += 1
        self.flagged += "aadOptscim062020" in request.query_params
        return request.headers.get("authorization") == f"Bearer {self.token}"

    def _out(self, user: dict[str, Any]) -> dict[str, Any]:
        return {k: v for k, v in user.items() if k != "password"}

    async def _body(self, request: Request) -> Any:
        try:
            return json.loads(await request.body())
        except (ValueError, UnicodeDecodeError):
            return None

    def _validate(self, body: Any, rid: str | None) -> dict[str, Any] | Response:
        if not isinstance(body, dict) or not isinstance(body.get("schemas"), list) or USER not in body["schemas"]:
            return error(400, "body must be a User with schemas", "invalidSyntax")
        unknown = set(body) - set(WRITABLE) - {"schemas", "password", "id", "meta"}
        if unknown and self.crash_on_unknown:
            return Response("Internal Server Error", 500, media_type="text/plain")
        user: dict[str, Any] = {}
        for name, kind in WRITABLE.items():
            if name in body:
                if not isinstance(body[name], kind) or (kind is int and isinstance(body[name], bool)):
                    return error(400, f"{name} has the wrong type", "invalidValue")
                user[name] = body[name]
        if not isinstance(body.get("userName"), str) or not body["userName"]:
            return error(400, "userName is required", "invalidValue")
        clash = [u for u in self.users.values() if u["userName"].lower() == body["userName"].lower() and u["id"] != rid]
        if clash:
            return error(409, "userName is taken", "uniqueness")
        return user

    # -- endpoints ----------------------------------------------------------------------
    def _list(self, flt: Any, start: Any, count: Any) -> Response:
        found = list(self.users.values())
        if flt is not None:
            match = _FILTER.match(str(flt))
            if not match:
                return error(400, "unsupported filter", "invalidFilter", as_integer="status-as-integer" in self.faults)
            attr, op, literal = match.groups()
            try:
                value = json.loads(literal)
            except ValueError:
                return error(400, "bad string in the filter", "invalidFilter")
            attr = "userName" if attr.lower() == "username" else "displayName"
            if "filter-misses" in self.faults:
                found = []
            found = [u for u in found if isinstance(u.get(attr), str) and (
                u[attr].lower() == value.lower() if op.lower() == "eq" else u[attr].lower().startswith(value.lower()))]
        try:
            first = max(1, int(start)) if start is not None else 1
            size = max(0, int(count)) if count is not None else 100
        except (TypeError, ValueError):
            return error(400, "startIndex and count must be integers", "invalidValue")
        page = found[first - 1: first - 1 + size]
        if "text-plain-lists" in self.faults:
            return Response(json.dumps({"schemas": [LIST], "totalResults": len(found), "Resources": []}),
                            media_type="text/plain")
        return scim({"schemas": [LIST], "totalResults": len(found), "startIndex": first,
                     "itemsPerPage": len(page), "Resources": [self._out(u) for u in page]})

    async def collection(self, request: Request) -> Response:
        if not self._authorized(request):
            return error(401, "unauthorized")
        if request.method == "GET":
            q = request.query_params
            if self.crash_on_empty_filter and q.get("filter") == "":
                return Response("Internal Server Error", 500, media_type="text/plain")
            return self._list(q.get("filter"), q.get("startIndex"), q.get("count"))
        checked = self._validate(await self._body(request), None)
        if isinstance(checked, Response):
            return checked
        rid = f"u{next(self._ids)}"
        if "drops-title" in self.faults:
            checked.pop("title", None)
        user = {"schemas": [USER], "id": rid, **checked, "meta": {"resourceType": "User"}}
        self.users[rid] = user
        return scim(self._out(user), 201, headers={"Location": f"http://testserver/Users/{rid}"})

    async def search(self, request: Request) -> Response:
        if not self._authorized(request):
            return error(401, "unauthorized")
        body = await self._body(request)
        if not isinstance(body, dict):
            return error(400, "a SearchRequest is an object", "invalidSyntax")
        return self._list(body.get("filter"), body.get("startIndex"), body.get("count"))

    async def item(self, request: Request) -> Response:
        if not self._authorized(request):
            return error(401, "unauthorized")
        rid = request.path_params["rid"]
        user = self.users.get(rid)
        if user is None:
            return error(404, "no such user")
        if request.method == "GET":
            return scim(self._out(user))
        if request.method == "DELETE":
            del self.users[rid]
            return Response(status_code=202 if "delete-202" in self.faults else 204)
        body = await self._body(request)
        if request.method == "PATCH":
            body = self._patched(user, body)
            if isinstance(body, Response):
                return body
        checked = self._validate(body, rid)
        if isinstance(checked, Response):
            return checked
        self.users[rid] = {"schemas": [USER], "id": rid, **checked, "meta": user["meta"]}
        return scim(self._out(self.users[rid]))

    def _patched(self, user: dict[str, Any], body: Any) -> dict[str, Any] | Response:
        if not isinstance(body, dict) or body.get("schemas") != [PATCH] or not isinstance(body.get("Operations"), list):
            return error(400, "not a PatchOp", "invalidSyntax")
        out = dict(user)
        for op in body["Operations"]:
            if not isinstance(op, dict) or str(op.get("op", "")).lower() not in {"add", "replace", "remove"}:
                return error(400, "bad operation", "invalidSyntax")
            path, value = op.get("path"), op.get("value")
            if str(op["op"]).lower() == "remove":
                if not isinstance(path, str) or path not in WRITABLE:
                    return error(400, "bad remove path", "noTarget")
                out.pop(path, None)
            elif path is None:
                if not isinstance(value, dict):
                    return error(400, "value must be an object", "invalidValue")
                out.update(value)
            elif isinstance(path, str) and path in WRITABLE:
                out[path] = value
            else:
                return error(400, "bad path", "invalidPath")
        return out
