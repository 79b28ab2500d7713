"""Root queries (RFC 7644 §3.4.2.1, §3.4.3): ``GET /?filter=`` and ``POST /.search`` over all types."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from reference_server.endpoints.common import query_from_params, query_from_search, read_object, url_params
from reference_server.endpoints.paging import cursor_param, paged_response


async def root_search(request: Request) -> Response:
    body = await read_object(request)
    q, attributes, excluded = query_from_search(body)
    rtypes = list(request.app.state.service.models)
    return paged_response(request, rtypes, q, cursor_param(body.get("cursor")), attributes, excluded)


async def root_list(request: Request) -> Response:
    params = url_params(request)
    q, attributes, excluded = query_from_params(params)
    rtypes = list(request.app.state.service.models)
    return paged_response(request, rtypes, q, cursor_param(params.get("cursor")), attributes, excluded)
