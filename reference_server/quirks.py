"""A catalogue of named real-world SCIM defects, switched on with ``--quirk NAME``.

Each quirk is data: a description plus hooks at the edges of the server - a ``before`` hook that
may rewrite or answer a request, an ``after`` hook that rewrites the response, switches of the
service's ``Behaviour`` and of PATCH/validation ``Leniency``.  The server's core never tests a
quirk's name.  The harness uses them to prove that each of its checks can fail.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qsl, urlencode

from reference_server.errors import ERROR_URN
from reference_server.oauth import OAuthPolicy
from reference_server.service import Behaviour
from reference_server.validate import Leniency


@dataclass
class Captured:
    """A response as the edge holds it before sending (headers lower-case)."""

    status: int
    headers: list[tuple[str, str]]
    body: bytes
    # Headers still as the app sent them ((bytes, bytes), lower-case names), kept undecoded so the
    # common path (no after-hook) never converts them; ``headers`` is unused while this is set.
    raw_headers: list[tuple[bytes, bytes]] | None = None

    @classmethod
    def from_raw(cls, status: int, headers: list[tuple[bytes, bytes]], body: bytes) -> Captured:
        """A response whose headers are still ASGI (bytes, bytes) pairs."""
        return cls(status, [], body, raw_headers=headers)

    def as_text(self) -> Captured:
        """Headers as (str, str) with lower-case names (what hooks work on)."""
        if self.raw_headers is not None:
            self.headers = [(k.decode("latin-1").lower(), v.decode("latin-1")) for k, v in self.raw_headers]
            self.raw_headers = None
        return self

    def encoded_headers(self) -> list[tuple[bytes, bytes]]:
        if self.raw_headers is not None:
            return self.raw_headers
        return [(k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers]

    def current_headers(self) -> list[tuple[str, str]] | list[tuple[bytes, bytes]]:
        """The headers in whichever form they are held now (the recorder accepts both)."""
        return self.raw_headers if self.raw_headers is not None else self.headers

    def header(self, name: str) -> str | None:
        return next((v for k, v in self.headers if k == name), None)

    def set_header(self, name: str, value: str | None) -> None:
        self.headers = [(k, v) for k, v in self.headers if k != name]
        if value is not None:
            self.headers.append((name, value))

    def json(self) -> Any:
        try:
            return json.loads(self.body) if self.body else None
        except ValueError:
            return None

    def set_json(self, body: Any) -> None:
        self.body = json.dumps(body, ensure_ascii=False).encode("utf-8")
        self.set_header("content-length", str(len(self.body)))


@dataclass
class Ctx:
    """A request as the edge sees it (``scope`` may be rewritten by ``before`` hooks)."""

    scope: dict[str, Any]
    method: str
    path: str
    body: bytes
    models: dict[str, Any]
    sleep: Callable[[float], Awaitable[None]]
    state: dict[str, Any]

    def params(self) -> list[tuple[str, str]]:
        return parse_qsl(self.scope.get("query_string", b"").decode("latin-1"), keep_blank_values=True)

    def drop_params(self, *names: str) -> None:
        low = {n.lower() for n in names}
        kept = [(k, v) for k, v in self.params() if k.lower() not in low]
        self.scope["query_string"] = urlencode(kept).encode("latin-1")

    def drop_headers(self, *names: str) -> None:
        low = {n.lower().encode() for n in names}
        self.scope["headers"] = [(k, v) for k, v in self.scope["headers"] if k.lower() not in low]


Before = Callable[[Ctx], Awaitable["Captured | None"]]
After = Callable[[Ctx, Captured], None]


@dataclass(frozen=True)
class Quirk:
    name: str
    description: str
    before: Before | None = None
    after: After | None = None
    behaviour: dict[str, Any] = field(default_factory=dict)
    leniency: dict[str, Any] = field(default_factory=dict)
    unique_user_names: bool = True
    oauth: dict[str, Any] = field(default_factory=dict)  # OAuthPolicy switches of the token endpoint


def error(status: int, detail: str, headers: list[tuple[str, str]] | None = None) -> Captured:
    body = json.dumps({"schemas": [ERROR_URN], "status": str(status), "detail": detail}).encode()
    return Captured(status, [("content-type", "application/scim+json"), *(headers or [])], body)


def _is_resource_path(path: str) -> bool:
    parts = [p for p in path.split("/") if p]
    return bool(parts) and parts[0] in ("Users", "Groups")


def _each_resource(body: Any) -> list[dict[str, Any]]:
    if not isinstance(body, dict):
        return []
    if isinstance(body.get("Resources"), list):
        return [r for r in body["Resources"] if isinstance(r, dict)]
    return [body] if "id" in body or "meta" in body else []


# -- hooks ---------------------------------------------------------------------------------------

def _not_found_on_empty(ctx: Ctx, r: Captured) -> None:
    body = r.json()
    if ctx.method == "GET" and r.status == 200 and isinstance(body, dict) and body.get("totalResults") == 0 \
            and any(k.lower() == "filter" for k, _ in ctx.params()):
        r.status, r.body = 404, error(404, "no resource matches the filter").body
        r.set_header("content-length", str(len(r.body)))


def _create_200(ctx: Ctx, r: Captured) -> None:
    if ctx.method == "POST" and r.status == 201:
        r.status = 200


def _no_location(ctx: Ctx, r: Captured) -> None:
    r.set_header("location", None)


def _wrong_total(ctx: Ctx, r: Captured) -> None:
    body = r.json()
    if isinstance(body, dict) and "totalResults" in body:
        body["totalResults"] = len(body.get("Resources") or [])
        r.set_json(body)


def _no_meta(ctx: Ctx, r: Captured) -> None:
    body = r.json()
    items = _each_resource(body)
    if items:
        for item in items:
            item.pop("meta", None)
        r.set_json(body)


def _plain_errors(ctx: Ctx, r: Captured) -> None:
    body = r.json()
    if r.status >= 400 and isinstance(body, dict) and "schemas" in body:
        r.set_json({"error": body.get("detail") or "error", "code": r.status})
        r.set_header("content-type", "application/json")


def _status_int(ctx: Ctx, r: Captured) -> None:
    body = r.json()
    if r.status >= 400 and isinstance(body, dict) and isinstance(body.get("status"), str):
        body["status"] = int(body["status"])
        r.set_json(body)


async def _static_etag_before(ctx: Ctx) -> Captured | None:
    ctx.drop_headers("if-match", "if-none-match")
    return None


def _static_etag_after(ctx: Ctx, r: Captured) -> None:
    if r.header("etag") is not None:
        r.set_header("etag", 'W/"1"')
    body = r.json()
    items = _each_resource(body)
    if any(isinstance(i.get("meta"), dict) and "version" in i["meta"] for i in items):
        for i in items:
            if isinstance(i.get("meta"), dict) and "version" in i["meta"]:
                i["meta"]["version"] = 'W/"1"'
        r.set_json(body)


async def _slow(ctx: Ctx) -> Captured | None:
    await ctx.sleep(0.3)
    return None


async def _rate_limit(ctx: Ctx) -> Captured | None:
    n = ctx.state["requests"] = ctx.state.get("requests", 0) + 1
    if n % 3 == 0:
        return error(429, "too many requests; retry later", [("retry-after", "1")])
    return None


async def _patch_501(ctx: Ctx) -> Captured | None:
    if ctx.method == "PATCH":
        return error(501, "PATCH is not implemented")
    return None


async def _ignore_excluded(ctx: Ctx) -> Captured | None:
    ctx.drop_params("excludedAttributes")
    return None


async def _ignore_attributes(ctx: Ctx) -> Captured | None:
    ctx.drop_params("attributes")
    return None


async def _no_pagination(ctx: Ctx) -> Captured | None:
    ctx.drop_params("count", "startIndex")
    return None


def _delete_200(ctx: Ctx, r: Captured) -> None:
    if ctx.method == "DELETE" and r.status == 204:
        r.status = 200


async def _500_on_unknown(ctx: Ctx) -> Captured | None:
    if ctx.method not in ("POST", "PUT") or not _is_resource_path(ctx.path):
        return None
    try:
        body = json.loads(ctx.body)
    except ValueError:
        return None
    model = ctx.models.get("Group" if ctx.path.strip("/").startswith("Groups") else "User")
    if not isinstance(body, dict) or model is None:
        return None
    for key in body:
        if key.lower() in ("schemas", "id", "externalid", "meta") or model.schema(key) is not None:
            continue
        if model.core.attr(key) is None:
            return Captured(500, [("content-type", "text/plain")], b"Internal Server Error")
    return None


CATALOGUE: dict[str, Quirk] = {q.name: q for q in (
    Quirk("not-found-on-empty-filter", "A filtered list with no match answers 404 instead of an empty ListResponse.",
          after=_not_found_on_empty),
    Quirk("case-sensitive-username-filter", "userName in filters is compared case-sensitively.",
          behaviour={"case_sensitive_user_name_filter": True}),
    Quirk("reject-capitalized-ops", 'PATCH op names other than lower case ("Replace") are rejected with 400.',
          leniency={"op_case": False}),
    Quirk("reject-string-booleans", 'Booleans sent as strings ("False") are rejected with 400.',
          leniency={"string_booleans": False}),
    Quirk("create-returns-200", "POST answers 200 instead of 201 Created.", after=_create_200),
    Quirk("no-location-header", "No Location header on created (or any) resources.", after=_no_location),
    Quirk("duplicate-username-accepted", "A second user with a taken userName is created instead of 409.",
          unique_user_names=False),
    Quirk("wrong-total-results", "totalResults counts only the items on the page.", after=_wrong_total),
    Quirk("ignore-member-remove-filter", 'PATCH remove of members[value eq "..."] is a silent no-op.',
          behaviour={"ignore_member_filter_remove": True}),
    Quirk("remove-members-empties-group", "Legacy remove path=members with a value list empties the whole group.",
          leniency={"listed_value_remove": False}),
    Quirk("roles-json-text-kept", 'Entra legacy roles items {"value": "<JSON text>"} are stored as that text, not read.',
          leniency={"json_string_values": False}),
    Quirk("ignore-excluded-attributes", "The excludedAttributes query parameter is ignored.", before=_ignore_excluded),
    Quirk("ignore-attributes-param", "The attributes query parameter is ignored.", before=_ignore_attributes),
    Quirk("no-meta", "Resources are returned without meta.", after=_no_meta),
    Quirk("500-on-unknown-attribute", "POST/PUT with an attribute the server does not know answers a bare 500.",
          before=_500_on_unknown),
    Quirk("plain-errors", "Errors are plain JSON without the SCIM Error schema.", after=_plain_errors),
    Quirk("status-as-integer", "The error status is a JSON number instead of a string.", after=_status_int),
    Quirk("static-etag", 'The ETag never changes (always W/"1") and preconditions are ignored.',
          before=_static_etag_before, after=_static_etag_after),
    Quirk("slow-responses", "Every answer is delayed by about 0.3 seconds.", before=_slow),
    Quirk("rate-limit-429", "Every third request gets 429 Too Many Requests with Retry-After: 1.", before=_rate_limit),
    Quirk("put-creates", "PUT to an unknown id creates the resource (201) instead of 404.",
          behaviour={"put_creates": True}),
    Quirk("put-ignores-members", "PUT /Groups/{id} keeps the members the group held; the members sent are ignored.",
          behaviour={"put_ignores_members": True}),
    Quirk("patch-not-implemented", "PATCH answers 501 although the ServiceProviderConfig advertises it.",
          before=_patch_501),
    Quirk("no-pagination", "count and startIndex are ignored: every list returns the first page of maxResults.",
          before=_no_pagination),
    Quirk("delete-returns-200", "DELETE answers 200 instead of 204.", after=_delete_200),
    Quirk("deleted-still-listed", "Deleted users still appear in list and filter results.",
          behaviour={"list_deleted": True}),
    Quirk("oauth-any-secret", "The token endpoint issues a token to a known client id whatever secret it presents.",
          oauth={"check_secret": False}),
    Quirk("oauth-tokens-never-expire", "Issued access tokens are accepted after expires_in has passed.",
          oauth={"expire": False}),
    Quirk("401-without-challenge", "401 answers carry no WWW-Authenticate header.", oauth={"challenge": False}),
)}


# the cursor-pagination quirks live in their own module (it imports Quirk from this one)
from reference_server.quirks_cursor import CURSOR_QUIRKS  # noqa: E402

CATALOGUE.update({q.name: q for q in CURSOR_QUIRKS})


class QuirkSet:
    """The quirks switched on for one server."""

    def __init__(self, names: tuple[str, ...] | list[str] = ()) -> None:
        unknown = [n for n in names if n not in CATALOGUE]
        if unknown:
            raise ValueError(f"unknown quirk(s): {', '.join(unknown)}; see --list-quirks")
        self.quirks = [CATALOGUE[n] for n in dict.fromkeys(names)]
        self.state: dict[str, Any] = {}

    def __bool__(self) -> bool:
        return bool(self.quirks)

    @property
    def unique_user_names(self) -> bool:
        return all(q.unique_user_names for q in self.quirks)

    def behaviour(self) -> Behaviour:
        leniency: dict[str, Any] = {}
        flags: dict[str, Any] = {}
        for q in self.quirks:
            leniency.update(q.leniency)
            flags.update(q.behaviour)
        return Behaviour(leniency=replace(Leniency(), **leniency), **flags)

    def oauth_policy(self) -> OAuthPolicy:
        flags: dict[str, Any] = {}
        for q in self.quirks:
            flags.update(q.oauth)
        return OAuthPolicy(**flags)

    @property
    def has_after(self) -> bool:
        return any(q.after for q in self.quirks)

    async def before(self, ctx: Ctx) -> Captured | None:
        for q in self.quirks:
            if q.before is not None and (answer := await q.before(ctx)) is not None:
                return answer
        return None

    def after(self, ctx: Ctx, response: Captured) -> None:
        for q in self.quirks:
            if q.after is not None:
                q.after(ctx, response)
