"""Shared helpers of the endpoints: JSON in and out, the base URL, list parameters."""

from __future__ import annotations

import json
import re
import weakref
from typing import Any
from urllib.parse import parse_qsl

from starlette.requests import Request
from starlette.responses import Response

from reference_server.errors import BadRequest, InvalidSyntax, InvalidValue
from reference_server.projection import project
from reference_server.schema import COMMON_ATTRIBUTES, Attribute, ResourceModel
from reference_server.service import Page, Query

SCIM_JSON = "application/scim+json"
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
MAX_DEPTH = 64


class ScimResponse(Response):
    """JSON with ``Content-Type: application/scim+json`` (RFC 7644 §3.1, §8.1)."""

    media_type = SCIM_JSON

    def render(self, content: Any) -> bytes:
        if content is None:
            return b""
        return _ENCODE(content).encode("utf-8")


# one encoder for every response (json.dumps with options builds a new JSONEncoder per call)
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode


def base_url(request: Request) -> str:
    """The SCIM base URL for meta.location: the configured public URL, else from the request."""
    public: str | None = request.app.state.settings.public_url
    if public:
        return public.rstrip("/")
    scope = request.scope
    host = next((v.decode("latin-1") for k, v in scope["headers"] if k == b"host"), None)
    if not host:
        server = scope.get("server") or ("localhost", 80)
        host = f"{server[0]}:{server[1]}"
    return f"{scope.get('scheme', 'http')}://{host}{scope.get('root_path', '')}{scope.get('scim.prefix', '')}"


def _depth(value: Any, limit: int) -> int:
    stack = [(value, 1)]
    deepest = 0
    while stack:
        v, d = stack.pop()
        deepest = max(deepest, d)
        if deepest > limit:
            return deepest
        if isinstance(v, dict):
            stack.extend((x, d + 1) for x in v.values())
        elif isinstance(v, list):
            stack.extend((x, d + 1) for x in v)
    return deepest


def _no_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON (RFC 8259)")


_DECODE = json.JSONDecoder(parse_constant=_no_constant).decode


async def read_json(request: Request) -> Any:
    """The request body as JSON; not JSON, or nested deeper than MAX_DEPTH -> 400 invalidSyntax."""
    raw = await request.body()
    if not raw.strip():
        raise InvalidSyntax("the request body is empty; a JSON object is required")
    try:
        # what json.loads(raw, parse_constant=...) does, with one decoder built once
        body = _DECODE(raw.decode(json.detect_encoding(raw), "surrogatepass"))
    except (ValueError, RecursionError) as exc:
        raise InvalidSyntax(f"the request body is not valid JSON: {str(exc)[:200]}") from None
    # depth <= containers + 1, and every container opens with a bracket byte: a body with fewer
    # than MAX_DEPTH brackets (strings included, so this over-counts) cannot be too deep
    if raw.count(b"{") + raw.count(b"[") >= MAX_DEPTH and _depth(body, MAX_DEPTH) > MAX_DEPTH:
        raise InvalidSyntax(f"the request body is nested deeper than {MAX_DEPTH} levels")
    return body


async def read_object(request: Request) -> dict[str, Any]:
    body = await read_json(request)
    if not isinstance(body, dict):
        raise InvalidSyntax(f"the request body must be a JSON object, not {type(body).__name__}")
    return body


#: The bounds of every integer a client sends that reaches the store: a signed 64-bit integer,
#: what SQLite holds (a 30-digit startIndex once reached SQLite and became a 500).
INT_MIN, INT_MAX = -(2**63), 2**63 - 1
_INTEGER = re.compile(r"([+-]?)0*([0-9]+)", re.ASCII)


def int_param(name: str, raw: Any, *, lowest: int | None = INT_MIN, highest: int | None = INT_MAX) -> int | None:
    """``raw`` (a query string value or a JSON member) as an integer in [lowest, highest] (None: no
    bound); None when absent. Not an integer -> 400; out of bounds -> 400 invalidValue."""
    if raw is None or raw == "":
        return None
    if isinstance(raw, bool):
        raise BadRequest(f"{name} must be an integer")
    if isinstance(raw, int):
        value = raw
    else:
        text = str(raw).strip()
        digits = _INTEGER.fullmatch(text)
        if digits is None:
            raise BadRequest(f"{name} must be an integer, got {text[:50]!r}")
        # Past 20 digits only the sign matters (and int() refuses 4,300+ digits): keep it cheap.
        value = int(text) if len(digits.group(2)) <= 20 else int(f"{digits.group(1)}1{'0' * 20}")
    if lowest is not None and value < lowest:
        raise InvalidValue(f"{name} must be at least {lowest}")
    if highest is not None and value > highest:
        raise InvalidValue(f"{name} must be at most {highest}")
    return value


def _names(raw: Any, name: str) -> str | None:
    if raw is None:
        return None
    if isinstance(raw, list) and all(isinstance(x, str) for x in raw):
        return ",".join(raw)
    if isinstance(raw, str):
        return raw
    raise InvalidSyntax(f"{name} must be a string or an array of strings")


def url_params(request: Request) -> dict[str, str]:
    """The URL query parameters, the last value of a repeated name winning.

    What ``request.query_params`` gives for a lookup (the same parse: latin-1 query string,
    ``parse_qsl`` with blank values kept), without Starlette's multi-dict (~5 us per request)."""
    raw = request.scope.get("query_string")
    if not raw:
        return {}
    return dict(parse_qsl(raw.decode("latin-1"), keep_blank_values=True))


def query_from_params(params: Any) -> tuple[Query, str | None, str | None]:
    """(Query, attributes, excludedAttributes) from URL parameters (RFC 7644 §3.4.2)."""
    return _query({k: params.get(k) for k in ("filter", "sortBy", "sortOrder", "startIndex", "count",
                                                "attributes", "excludedAttributes")})


def query_from_search(body: dict[str, Any]) -> tuple[Query, str | None, str | None]:
    """The same from a SearchRequest body (RFC 7644 §3.4.3)."""
    schemas = body.get("schemas")
    if schemas is not None and (not isinstance(schemas, list) or SEARCH_URN not in schemas):
        raise InvalidSyntax(f"a search request must have schemas [{SEARCH_URN}]")
    known = ("schemas", "filter", "sortBy", "sortOrder", "startIndex", "count", "attributes", "excludedAttributes",
             "cursor")  # RFC 9865 §3
    unknown = [k for k in body if k not in known]
    if unknown:
        raise InvalidSyntax(f"unknown SearchRequest member(s): {', '.join(unknown[:5])}")
    for k in ("filter", "sortBy", "sortOrder"):
        if body.get(k) is not None and not isinstance(body[k], str):
            raise InvalidSyntax(f"{k} must be a string")
    return _query(body)


def _query(p: dict[str, Any]) -> tuple[Query, str | None, str | None]:
    # RFC 7644 §3.4.2.4 says what to do below the range (startIndex < 1 is 1, a negative count is
    # 0) and SPC maxResults caps count (service.query); only a startIndex past 2**63-1 is refused.
    start = int_param("startIndex", p.get("startIndex"), lowest=None)
    count = int_param("count", p.get("count"), lowest=None, highest=None)
    q = Query(filter=p.get("filter"), sort_by=p.get("sortBy") or None, sort_order=p.get("sortOrder") or None,
              start_index=1 if start is None or start < 1 else start,
              count=None if count is None else min(max(count, 0), INT_MAX))
    if q.sort_order is not None and q.sort_order.lower() not in ("ascending", "descending"):
        raise InvalidValue("sortOrder must be ascending or descending")
    return q, _names(p.get("attributes"), "attributes"), _names(p.get("excludedAttributes"), "excludedAttributes")


def list_body(page: Page, resources: list[dict[str, Any]]) -> dict[str, Any]:
    """A ListResponse (RFC 7644 §3.4.2) with the true totalResults."""
    body: dict[str, Any] = {"schemas": [LIST_URN], "totalResults": page.total, "startIndex": page.start_index,
                            "itemsPerPage": len(resources)}
    body["Resources"] = resources  # always present, also when empty (clients index it blindly)
    return body


def _shown_by_default(attr: Attribute) -> bool:
    return attr.returned in ("default", "always") and all(_shown_by_default(s) for s in attr.sub_attributes)


# Keyed by id(model) but checked by identity through a weak reference: a bare id() key could be
# reused by a later model (models are built per app) and hand it another model's key set.  The
# weakref callback drops the entry when its model dies, so the cache does not grow with every app.
# (Not a WeakKeyDictionary: a ResourceModel is a frozen dataclass whose hash is deep, ~20 us.)
_PLAIN: dict[int, tuple[weakref.ref[ResourceModel], frozenset[str]]] = {}


def _plain_keys(model: ResourceModel) -> frozenset[str]:
    """Top-level keys whose whole value is returned by default (no never/request parts)."""
    key = id(model)
    entry = _PLAIN.get(key)
    if entry is not None and entry[0]() is model:
        return entry[1]
    names = {"schemas"}
    names.update(a.name for a in COMMON_ATTRIBUTES if _shown_by_default(a))
    names.update(a.name for a in model.core.attributes if _shown_by_default(a))
    for ext in model.extensions:
        if all(_shown_by_default(a) for a in ext.attributes) and (
                ext.open_attribute is None or _shown_by_default(ext.open_attribute)):
            names.add(ext.id)
    plain = frozenset(names)

    def forget(ref: weakref.ref[ResourceModel], key: int = key) -> None:
        if (current := _PLAIN.get(key)) is not None and current[0] is ref:
            del _PLAIN[key]
    _PLAIN[key] = (weakref.ref(model, forget), plain)
    return plain


def project_resource(model: ResourceModel, resource: dict[str, Any], attributes: str | None,
                     excluded: str | None) -> dict[str, Any]:
    """``projection.project`` with a fast path: without parameters, a resource whose every key is
    returned by default is already its own projection (a test checks the two agree)."""
    if not attributes and not excluded:
        plain = _plain_keys(model)
        if all(k in plain and v is not None and v != [] and v != {} for k, v in resource.items()):
            return resource
    return project(model, resource, attributes, excluded)
