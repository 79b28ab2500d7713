"""Discovery endpoints (RFC 7644 §4; RFC 7643 §5-§7): /ServiceProviderConfig, /ResourceTypes, /Schemas.

They advertise exactly what the server does.  Filter, sort and paging parameters are ignored
except ``filter``, which gets 403 as RFC 7644 §4 suggests.  They are readable without
credentials (RFC 7643 §5 wants authenticationSchemes discoverable).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request

from reference_server.endpoints.common import LIST_URN, ScimResponse, base_url
from reference_server.errors import Forbidden, NotFound
from reference_server.oauth import TOKEN_PATH

SPC_URN = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"


def _no_filter(request: Request) -> None:
    if "filter" in request.query_params:
        raise Forbidden("filtering is not supported on discovery endpoints (RFC 7644 §4)")


def service_provider_config(settings: Any, profile: Any, base: str) -> dict[str, Any]:
    schemes = []
    if profile.auth == "basic":
        schemes.append({"type": "httpbasic", "name": "HTTP Basic",
                        "description": "HTTP Basic authentication with the configured user and password.",
                        "primary": True})
    else:
        if settings.oauth_clients:  # first: it is what an Entra gallery app is set up with
            schemes.append({"type": "oauthbearertoken", "name": "OAuth 2.0 client credentials",
                            "description": f"Bearer tokens issued by the token endpoint {base}{TOKEN_PATH} "
                                           "(grant_type=client_credentials, client authentication by HTTP Basic "
                                           "or form body).",
                            "specUri": "https://www.rfc-editor.org/info/rfc6749", "primary": True})
        if settings.tokens or not settings.oauth_clients:
            schemes.append({"type": "oauthbearertoken", "name": "OAuth Bearer Token",
                            "description": "Authentication with a bearer token (Authorization: Bearer <token>).",
                            "primary": not settings.oauth_clients})
        if settings.basic:
            schemes.append({"type": "httpbasic", "name": "HTTP Basic",
                            "description": "HTTP Basic authentication with the configured user and password."})
    return {
        "schemas": [SPC_URN],
        "documentationUri": "https://datatracker.ietf.org/doc/html/rfc7644",
        "patch": {"supported": True},
        "bulk": {"supported": True, "maxOperations": settings.bulk_max_operations,
                 "maxPayloadSize": settings.bulk_max_payload_bytes},
        "filter": {"supported": True, "maxResults": settings.max_results},
        "changePassword": {"supported": False},
        "sort": {"supported": True},
        # RFC 9865 §4: both methods; index stays the default so older clients see no change (§2.4)
        "pagination": {"cursor": True, "index": True, "defaultPaginationMethod": "index",
                       "defaultPageSize": settings.max_results, "maxPageSize": settings.max_results,
                       "cursorTimeout": settings.cursor_timeout},
        "etag": {"supported": True},
        "authenticationSchemes": schemes,
        "meta": {"resourceType": "ServiceProviderConfig", "location": f"{base}/ServiceProviderConfig"},
    }


async def get_spc(request: Request) -> ScimResponse:
    _no_filter(request)
    st = request.app.state
    return ScimResponse(service_provider_config(st.settings, st.profile, base_url(request)))


def _list(items: list[dict[str, Any]]) -> dict[str, Any]:
    return {"schemas": [LIST_URN], "totalResults": len(items), "startIndex": 1, "itemsPerPage": len(items),
            "Resources": items}


async def list_resource_types(request: Request) -> ScimResponse:
    _no_filter(request)
    base = base_url(request)
    return ScimResponse(_list([m.resource_type.to_scim(base) for m in request.app.state.models.values()]))


async def get_resource_type(request: Request) -> ScimResponse:
    name = request.path_params["name"]
    for m in request.app.state.models.values():
        if m.resource_type.name == name:
            return ScimResponse(m.resource_type.to_scim(base_url(request)))
    raise NotFound(f"no resource type {name!r}")


def _schemas(request: Request) -> list[Any]:
    seen: dict[str, Any] = {}
    for m in request.app.state.models.values():
        for s in m.schemas:
            seen.setdefault(s.id, s)
    return list(seen.values())


async def list_schemas(request: Request) -> ScimResponse:
    _no_filter(request)
    base = base_url(request)
    return ScimResponse(_list([s.to_scim(base) for s in _schemas(request)]))


async def get_schema(request: Request) -> ScimResponse:
    urn = request.path_params["urn"]
    for s in _schemas(request):
        if s.id == urn:
            return ScimResponse(s.to_scim(base_url(request)))
    raise NotFound(f"no schema {urn!r}")
