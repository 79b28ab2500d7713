"""Root queries (RFC 7644 §3.4.2.1, §3.4.3): ``GET /?filter=`` and ``POST /.search`` over all types."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from reference_server.endpoints.common import base_url, query_from_params, query_from_search, read_object, url_params
from reference_server.endpoints.resources import page_response


async def root_search(request: Request) -> Response:
    q, attributes, excluded = query_from_search(await read_object(request))
    service = request.app.state.service
    page = service.query(list(service.models), q, base_url(request))
    return page_response(request, page, attributes, excluded)


async def root_list(request: Request) -> Response:
    q, attributes, excluded = query_from_params(url_params(request))
    service = request.app.state.service
    page = service.query(list(service.models), q, base_url(request))
    return page_response(request, page, attributes, excluded)
