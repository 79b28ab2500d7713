"""/Me (RFC 7644 §3.11): not supported, answered honestly with 501 and a SCIM error."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from reference_server.errors import NotImplemented as ScimNotImplemented


async def me(request: Request) -> Response:
    raise ScimNotImplemented("/Me is not supported: the server has no notion of the authenticated subject "
                             "(RFC 7644 §3.11)")
