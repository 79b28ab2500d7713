"""POST /.search: queries in a request body (RFC 7644 §3.4.3).

The RFC makes .search optional (MAY); a target that answers 404 or 501 does not support it,
and the checks that need it SKIP with that reason.
"""

from __future__ import annotations

from typing import Any

from harness.checks import SEARCH_URN, CheckContext, check
from harness.recorder import Exchange
from harness.results import Level

from scenarios.causes import FILTER_IGNORED
from scenarios.conformance._probes import expect_filter_applied, expect_filter_refused, ids_of, listed, plant_decoy, seed_users
from scenarios.conformance.common import expect_page_size
from scenarios.conformance.rfc_text import QUOTES

AREA = "search"
RFC = "RFC 7644 §3.4.3"


def _search(ctx: CheckContext, endpoint: str, **members: Any) -> Exchange:
    return ctx.post(f"{endpoint.rstrip('/')}/.search", {"schemas": [SEARCH_URN], **members})


def _supported(ctx: CheckContext, ex: Exchange) -> None:
    ctx.expect_answer(ex)
    if ex.status in (404, 501):
        ctx.skip(f"the target does not support POST .search ({ex.status})")


@check(id="search.supported-or-refused", quote=QUOTES["search.supported-or-refused"], title="POST /Users/.search answers a ListResponse, or 404/501",
       area=AREA, level=Level.MAY, rests_on=RFC, checklist=("SRCH-01",), requires=("filter",),
       fix="Either implement POST .search or answer 404/501; never create a resource from a SearchRequest.")
def supported_or_refused(ctx: CheckContext) -> None:
    user = ctx.create_user()
    flt = f'userName eq "{user["userName"]}"'
    decoy = plant_decoy(ctx, ctx.users)
    ex = _search(ctx, ctx.users, filter=flt)
    ctx.expect_answer(ex)
    if ex.status in (404, 501):
        ctx.note(f"POST .search not supported ({ex.status})")
        return
    body = ctx.expect_list_response(ex)
    expect_filter_applied(ctx, flt, body, ex, decoy, ctx.users)
    ctx.expect(ids_of(body) == [user["id"]], [user["id"]], ids_of(body), ex)


@check(id="search.same-as-get", quote=QUOTES["search.same-as-get"], title="POST .search gives the same result as the same GET query",
       area=AREA, level=Level.MUST, rests_on=RFC, checklist=("SRCH-02",), requires=("filter",),
       fix="Run the SearchRequest members (filter, attributes, startIndex, count, sortBy) exactly as their GET parameters.")
def same_as_get(ctx: CheckContext) -> None:
    tag = ctx.unique("r")
    seed_users(ctx, tag, "a", "b", "c")
    flt = f'userName sw "{tag}"'
    decoy = plant_decoy(ctx, ctx.users)
    got_ex = _search(ctx, ctx.users, filter=flt, startIndex=1, count=2, attributes=["userName"])
    _supported(ctx, got_ex)
    posted = ctx.expect_list_response(got_ex)
    expect_filter_applied(ctx, flt, posted, got_ex, decoy, ctx.users)
    by_get, ex = listed(ctx, flt, startIndex=1, count=2, attributes="userName")
    expect_page_size(ctx, by_get, ex, 2, subject=False)  # GET paging is count-limits' subject
    ctx.expect(posted.get("totalResults") == by_get.get("totalResults") == 3, "totalResults 3 both ways",
               {"post": posted.get("totalResults"), "get": by_get.get("totalResults")}, got_ex)
    ctx.expect(len(ids_of(posted)) == len(ids_of(by_get)) <= 2, "the same page size (<= 2)",
               {"post": len(ids_of(posted)), "get": len(ids_of(by_get))}, got_ex)
    extra = [sorted(r) for r in posted.get("Resources") or [] if isinstance(r, dict) and "emails" in r]
    ctx.expect(not extra, "attributes [userName] applied", extra, got_ex, message="the SearchRequest's attributes were ignored")


@check(id="search.bad-filter-400", quote=QUOTES["search.bad-filter-400"], title="A bad filter in a SearchRequest answers 400 invalidFilter",
       area=AREA, level=Level.SHOULD, rests_on=f"{RFC}; RFC 7644 §3.12 Table 9", checklist=("SRCH-03",),
       requires=("filter",), fix="Validate the SearchRequest's filter exactly as a GET filter.")
def bad_filter(ctx: CheckContext) -> None:
    probe = _search(ctx, ctx.users, filter='userName eq "x"')
    _supported(ctx, probe)
    decoy = plant_decoy(ctx, ctx.users)
    flt = 'userName eq "x" and ('
    expect_filter_refused(ctx, _search(ctx, ctx.users, filter=flt), flt, decoy)


@check(id="search.root", quote=QUOTES["search.root"], title="POST /.search at the root searches, or is refused with 404/501",
       area=AREA, level=Level.MAY, rests_on=RFC, checklist=("SRCH-01",), requires=("filter",),
       fix="Either implement POST /.search across resource types or answer 404/501.")
def root_search(ctx: CheckContext) -> None:
    user = ctx.create_user()
    flt = f'userName eq "{user["userName"]}"'
    decoy = plant_decoy(ctx, ctx.users)
    ex = _search(ctx, "", filter=flt)
    ctx.expect_answer(ex)
    if ex.status in (404, 501, 400, 403):
        ctx.note(f"root .search not supported ({ex.status})")
        return
    body = ctx.expect_list_response(ex)
    if decoy in ids_of(body):
        ctx.fail(f"the filter is ignored: {flt!r} at the root answered a decoy that cannot match it",
                 "only resources matching the filter", "the decoy among them", ex, cause=FILTER_IGNORED)
    ctx.expect(user["id"] in ids_of(body), "the user among the results", ids_of(body), ex)
