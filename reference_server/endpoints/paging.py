"""One list answer, paged by index (RFC 7644 §3.4.2.4) or by cursor (RFC 9865 §2).

A request that carries ``cursor`` (empty for the first page, RFC 9865 §2) is cursor-paged: the
answer carries ``nextCursor`` unless it is the last page, ``previousCursor`` unless it is the
first, and no ``startIndex``.  Any other request is index-paged, the default pagination method
this server advertises (RFC 9865 §2.4), so clients that predate RFC 9865 see no change (§2.4).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from reference_server.cursors import Cursors, InvalidCursor, query_scope
from reference_server.endpoints.common import base_url, list_body, project_resource
from reference_server.endpoints.common import ScimResponse
from reference_server.service import Query


def cursor_param(raw: Any) -> str | None:
    """The cursor of a URL or SearchRequest, or None when the request is index-paged."""
    if raw is None:
        return None
    if not isinstance(raw, str):
        raise InvalidCursor("cursor must be a string")
    return raw.strip()


def paged_response(request: Request, rtypes: list[str], q: Query, cursor: str | None,
                   attributes: str | None, excluded: str | None) -> ScimResponse:
    st = request.app.state
    scope = query_scope(rtypes, q.filter, q.sort_by, q.sort_order)
    if cursor is not None:  # count=0 (a negative count is 0) asks for totalResults only, as with index paging
        cursors: Cursors = st.cursors
        q.start_index = 1 if cursor == "" else cursors.read(cursor, scope, q.count)
    page = st.service.query(rtypes, q, base_url(request))
    items = [project_resource(m, r, attributes, excluded) for r, m in zip(page.resources, page.model_of)]
    body = list_body(page, items)
    if cursor is None:
        return ScimResponse(body)
    del body["startIndex"]
    size = st.settings.max_results if q.count is None else min(q.count, st.settings.max_results)
    following = page.start_index + len(items)
    if items and following <= page.total:
        body["nextCursor"] = st.cursors.issue(following, scope, q.count)
    if page.start_index > 1:  # never on the first page (RFC 9865 §2, Table 2)
        body["previousCursor"] = st.cursors.issue(max(1, page.start_index - size), scope, q.count)
    return ScimResponse(body)
