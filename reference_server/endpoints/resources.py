"""Users and Groups endpoints (RFC 7644 §3.3-§3.6, §3.4.3, §3.14).

POST -> 201 + Location == meta.location + ETag; GET by id (If-None-Match -> 304); PUT; PATCH ->
200 with the resource; DELETE -> 204; GET list and POST .search -> ListResponse.  Every response
that carries a resource honours ``attributes`` / ``excludedAttributes`` (RFC 7644 §3.9).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reference_server.endpoints.common import (
    ScimResponse, base_url, project_resource, query_from_params, query_from_search, read_json,
    read_object, url_params,
)
from reference_server.endpoints.paging import cursor_param, paged_response
from reference_server.service import ENDPOINTS, ScimService
from reference_server.store import Row


def _service(request: Request) -> ScimService:
    service: ScimService = request.app.state.service
    return service


def _projection(request: Request) -> tuple[str | None, str | None]:
    q = url_params(request)
    return q.get("attributes"), q.get("excludedAttributes")


def resource_response(request: Request, row: Row, status: int = 200, *, location: bool = False) -> ScimResponse:
    """One resource: projected body, ETag (RFC 7644 §3.14), Location (RFC 7644 §3.3)."""
    service = _service(request)
    rendered = service.render(row, base_url(request))
    attributes, excluded = _projection(request)
    body = project_resource(service.models[row.type], rendered, attributes, excluded)
    headers = {"ETag": rendered["meta"]["version"]}
    if location:
        headers["Location"] = rendered["meta"]["location"]
    return ScimResponse(body, status_code=status, headers=headers)


def resource_endpoints(rtype: str) -> dict[str, Any]:
    """The handlers of one resource type, by role."""

    async def list_(request: Request) -> Response:
        params = url_params(request)
        q, attributes, excluded = query_from_params(params)
        return paged_response(request, [rtype], q, cursor_param(params.get("cursor")), attributes, excluded)

    async def search(request: Request) -> Response:
        body = await read_object(request)
        q, attributes, excluded = query_from_search(body)
        return paged_response(request, [rtype], q, cursor_param(body.get("cursor")), attributes, excluded)

    async def create(request: Request) -> Response:
        row = _service(request).create(rtype, await read_json(request))
        return resource_response(request, row, 201, location=True)

    async def get(request: Request) -> Response:
        row = _service(request).get(rtype, request.path_params["id"])
        inm = request.headers.get("if-none-match")
        if inm is not None:
            tags = [t.strip().removeprefix("W/") for t in inm.split(",")]
            if "*" in tags or f'"{row.version}"' in tags:
                return Response(status_code=304, headers={"ETag": f'W/"{row.version}"'})
        return resource_response(request, row, location=True)

    async def replace(request: Request) -> Response:
        row, created = _service(request).replace(rtype, request.path_params["id"], await read_json(request),
                                                 if_match=request.headers.get("if-match"))
        return resource_response(request, row, 201 if created else 200, location=created)

    async def patch(request: Request) -> Response:
        row = _service(request).patch(rtype, request.path_params["id"], await read_json(request),
                                      if_match=request.headers.get("if-match"))
        return resource_response(request, row)

    async def delete(request: Request) -> Response:
        _service(request).delete(rtype, request.path_params["id"], if_match=request.headers.get("if-match"))
        return Response(status_code=204)

    return {"list": list_, "search": search, "create": create, "get": get, "replace": replace, "patch": patch,
            "delete": delete, "endpoint": "/" + ENDPOINTS[rtype]}
