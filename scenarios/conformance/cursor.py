"""Cursor-based pagination (RFC 9865), for servers that advertise it.

RFC 9865 §4 adds ``pagination`` to the ServiceProviderConfig; a server that does not say
``"cursor": true`` there is not expected to page by cursor, so these checks SKIP with the
reason.  The checks send ``cursor`` empty for the first page and then follow ``nextCursor``
(RFC 9865 §2), always with the same filter and count, as the RFC asks clients to.
"""

from __future__ import annotations

import re
from typing import Any

from harness.checks import CheckContext, check
from harness.recorder import Exchange
from harness.results import Level

from scenarios.conformance._probes import ids_of, listed
from scenarios.conformance.rfc_text import QUOTES

AREA = "pagination"
RFC = "RFC 9865"
MAX_PAGES = 10  # the walk over 5 users in pages of 2 needs 3; more means the cursor does not move on
UNRESERVED = re.compile(r"[A-Za-z0-9\-._~]*")  # RFC 3986 §2.3



def _pagination(ctx: CheckContext) -> dict[str, Any] | None:
    spc = ctx.discovery.spc
    member = spc.get("pagination") if isinstance(spc, dict) else None
    return member if isinstance(member, dict) else None


def _needs_cursor(ctx: CheckContext) -> None:
    member = _pagination(ctx)
    if member is None:
        ctx.skip("the ServiceProviderConfig has no pagination member, so cursor paging is not advertised "
                 "(RFC 9865 §4)")
    if member.get("cursor") is not True:
        ctx.skip("the ServiceProviderConfig does not advertise pagination.cursor: true (RFC 9865 §4)")


def _five(ctx: CheckContext) -> tuple[str, list[str]]:
    tag = ctx.unique("cur")
    ids = [ctx.create_user(userName=f"{tag}-{k}@example.com")["id"] for k in "abcde"]
    return tag, ids


def _page(ctx: CheckContext, tag: str, cursor: str, count: int = 2) -> tuple[dict[str, Any], Exchange]:
    return listed(ctx, f'userName sw "{tag}"', cursor=cursor, count=count)


@check(id="cursor.config-shape", title="The advertised pagination member says cursor and index as booleans",
       area=AREA, level=Level.MUST, rests_on=f"{RFC} §4",
       quote=QUOTES["cursor.config-shape"],
       fix='Advertise "pagination": {"cursor": true|false, "index": true|false, ...} with JSON booleans.',
       idp_impact="A client that reads the ServiceProviderConfig cannot tell whether it may page by cursor.")
def config_shape(ctx: CheckContext) -> None:
    member = _pagination(ctx)
    if member is None:
        ctx.skip("the ServiceProviderConfig has no pagination member (RFC 9865 §4 makes it OPTIONAL)")
    bad = {k: member.get(k) for k in ("cursor", "index") if not isinstance(member.get(k), bool)}
    ctx.expect(not bad, "pagination.cursor and pagination.index as JSON booleans", bad,
               message=f"pagination advertises {', '.join(f'{k}={v!r}' for k, v in bad.items())}, not booleans")


@check(id="cursor.count-limits", title="With a cursor, count=N returns at most N resources",
       area=AREA, level=Level.MUST, rests_on=f"{RFC} §2 (Table 1)",
       quote=QUOTES["cursor.count-limits"],
       fix="Honour count when paging by cursor: never more than count resources per page.")
def count_limits(ctx: CheckContext) -> None:
    _needs_cursor(ctx)
    tag, _ = _five(ctx)
    body, ex = _page(ctx, tag, "")
    got = len(ids_of(body))
    ctx.expect(got <= 2, "at most 2 resources", got, ex, message=f"cursor paging with count=2 returned {got} resources")


@check(id="cursor.next-cursor", title="A first cursor page that is not the last carries nextCursor",
       area=AREA, level=Level.MUST, rests_on=f"{RFC} §2 (Table 2)", quote=QUOTES["cursor.next-cursor"],
       fix="Return nextCursor on every cursor-paged answer but the last, using only RFC 3986 unreserved characters.")
def next_cursor(ctx: CheckContext) -> None:
    _needs_cursor(ctx)
    tag, _ = _five(ctx)
    body, ex = _page(ctx, tag, "")
    if len(ids_of(body)) >= 5:
        ctx.skip("the server returned all 5 matches in one page although count=2 was asked (cursor.count-limits "
                 "judges that)")
    nxt = body.get("nextCursor")
    ctx.expect(isinstance(nxt, str) and nxt != "", "a nextCursor string", nxt, ex,
               message="the first of several cursor pages has no nextCursor")
    ctx.expect(UNRESERVED.fullmatch(str(nxt)) is not None, "only unreserved characters (RFC 3986 §2.3)", nxt, ex,
               message="nextCursor holds characters outside the RFC 3986 unreserved set")


@check(id="cursor.walk-all", title="Following nextCursor returns every match exactly once, then stops",
       area=AREA, level=Level.MUST, rests_on=f"{RFC} §2", quote=QUOTES["cursor.walk-all"],
       fix="Make nextCursor open the page after this one, and omit it on the last page.")
def walk_all(ctx: CheckContext) -> None:
    _needs_cursor(ctx)
    tag, ids = _five(ctx)
    seen: list[str] = []
    cursor, ex = "", None
    for _ in range(MAX_PAGES):
        body, ex = _page(ctx, tag, cursor)
        seen.extend(ids_of(body))
        nxt = body.get("nextCursor")
        if not isinstance(nxt, str) or not nxt:
            break
        if len(seen) > len(ids):
            ctx.fail(f"the cursor walk repeats resources: {len(seen)} seen for {len(ids)} matches",
                     "the 5 users once each", seen, ex)
        cursor = nxt
    else:
        ctx.fail(f"nextCursor never ends: {MAX_PAGES} pages of count=2 for 5 matches", "a last page without "
                 "nextCursor", seen, ex)
    ctx.expect(sorted(seen) == sorted(ids), "the 5 users once each", seen, ex,
               message=f"walking the cursor pages returned {len(seen)} resources ({len(set(seen))} distinct) "
                       f"for {len(ids)} matches")


@check(id="cursor.invalid-cursor", title="A cursor the server never issued answers 400 invalidCursor",
       area=AREA, level=Level.SHOULD, rests_on=f"{RFC} §2.1 (Table 3)",
       quote=QUOTES["cursor.invalid-cursor"],
       fix='Answer an unknown cursor with 400 and scimType "invalidCursor" (an expired one with "expiredCursor").')
def invalid_cursor(ctx: CheckContext) -> None:
    _needs_cursor(ctx)
    ex = ctx.get(ctx.users, params={"cursor": "harness-never-issued-cursor", "count": 2})
    ctx.expect_error_status(ex, 400, message=f"an unknown cursor answered {ex.status}, expected 400")
    raw = ex.json_or_none()
    body = raw if isinstance(raw, dict) else {}
    ctx.expect(body.get("scimType") in ("invalidCursor", "expiredCursor"), 'scimType "invalidCursor"',
               body.get("scimType"), ex, message="the 400 for an unknown cursor has no invalidCursor scimType")
