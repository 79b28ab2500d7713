"""Quirks of cursor pagination (RFC 9865) and its advertisement, joined to ``quirks.CATALOGUE``.

Real defects seen in cursor-paged APIs: no nextCursor, a nextCursor that never moves on,
count ignored once a cursor is sent, a crash on a cursor the server does not know, and a
ServiceProviderConfig that advertises the methods as strings.
"""

from __future__ import annotations

from reference_server.quirks import Captured, Ctx, Quirk


def _cursor_of(ctx: Ctx) -> str | None:
    return next((v for k, v in ctx.params() if k == "cursor"), None)


def _no_next(ctx: Ctx, r: Captured) -> None:
    body = r.json()
    if _cursor_of(ctx) is not None and isinstance(body, dict) and "nextCursor" in body:
        del body["nextCursor"]
        r.set_json(body)


def _stuck(ctx: Ctx, r: Captured) -> None:
    sent, body = _cursor_of(ctx), r.json()
    if sent and isinstance(body, dict) and "nextCursor" in body:
        body["nextCursor"] = sent  # the same page again, for ever
        r.set_json(body)


async def _ignore_count(ctx: Ctx) -> Captured | None:
    if _cursor_of(ctx) is not None:
        ctx.drop_params("count")
    return None


def _crash(ctx: Ctx, r: Captured) -> None:
    body = r.json()
    if r.status == 400 and isinstance(body, dict) and body.get("scimType") in ("invalidCursor", "expiredCursor"):
        r.status = 500
        r.body = b"Internal Server Error"
        r.set_header("content-type", "text/plain")
        r.set_header("content-length", str(len(r.body)))


def _strings(ctx: Ctx, r: Captured) -> None:
    body = r.json()
    if ctx.path.rstrip("/").endswith("/ServiceProviderConfig") and isinstance(body, dict) \
            and isinstance(body.get("pagination"), dict):
        for key in ("cursor", "index"):
            body["pagination"][key] = str(body["pagination"].get(key)).lower()
        r.set_json(body)


CURSOR_QUIRKS = (
    Quirk("cursor-no-next", "Cursor-paged lists never carry nextCursor, so only the first page can be read.",
          after=_no_next),
    Quirk("cursor-stuck", "After the first page, nextCursor is the cursor just sent: the same page for ever.",
          after=_stuck),
    Quirk("cursor-ignores-count", "count is ignored when paging by cursor (a page of maxPageSize).",
          before=_ignore_count),
    Quirk("cursor-error-500", "A cursor the server did not issue (or an expired one) answers a bare 500.",
          after=_crash),
    Quirk("pagination-config-strings", 'The ServiceProviderConfig advertises pagination.cursor/index as "true".',
          after=_strings),
)
