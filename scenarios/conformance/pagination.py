"""Pagination: startIndex, count, totalResults, itemsPerPage (RFC 7644 §3.4.2.4)."""

from __future__ import annotations

from typing import Any

from harness.checks import CheckContext, check
from harness.recorder import Exchange
from harness.results import Level

from scenarios.conformance._probes import ids_of, listed
from scenarios.conformance.common import expect_error, expect_page_size
from scenarios.conformance.rfc_text import QUOTES

AREA = "pagination"
RFC = "RFC 7644 §3.4.2.4"


def _five(ctx: CheckContext) -> tuple[str, list[str]]:
    tag = ctx.unique("p")
    ids = [ctx.create_user(userName=f"{tag}-{k}@example.com")["id"] for k in "abcde"]
    return tag, ids


def _page(ctx: CheckContext, tag: str, **params: Any) -> tuple[dict[str, Any], Exchange]:
    return listed(ctx, f'userName sw "{tag}"', sortBy="userName", **params) if ctx.discovery.supports("sort") \
        else listed(ctx, f'userName sw "{tag}"', **params)


@check(id="pagination.count-limits", quote=QUOTES["pagination.count-limits"], title="count=N returns at most N resources",
       area=AREA, level=Level.MUST, rests_on=f"{RFC} Table 6", checklist=("PAGE-02",), requires=("filter",),
       fix="Return no more than count resources per page.",
       idp_impact="Okta's test connection asks for count=2 and large imports page with count=100.")
def count_limits(ctx: CheckContext) -> None:
    tag, _ = _five(ctx)
    body, ex = _page(ctx, tag, count=2)
    expect_page_size(ctx, body, ex, 2)


@check(id="pagination.total-results", quote=QUOTES["pagination.total-results"], title="totalResults counts every match, not the page",
       area=AREA, level=Level.MUST, rests_on=f"{RFC} Table 7", checklist=("PAGE-04",), requires=("filter",),
       fix="Set totalResults to the number of matches across all pages.")
def total_results(ctx: CheckContext) -> None:
    tag, _ = _five(ctx)
    body, ex = _page(ctx, tag, count=2)
    ctx.expect(body.get("totalResults") == 5, "totalResults 5", body.get("totalResults"), ex)


@check(id="pagination.count-zero", quote=QUOTES["pagination.count-zero"], title="count=0 (or negative) returns no resources but the true totalResults",
       area=AREA, level=Level.MUST, rests_on=f"{RFC} Table 6", checklist=("PAGE-03",), requires=("filter",),
       fix="Treat count=0 as 'how many?': no Resources, totalResults set. A negative count counts as 0.")
def count_zero(ctx: CheckContext) -> None:
    tag, _ = _five(ctx)
    body, ex = _page(ctx, tag, count=2)
    expect_page_size(ctx, body, ex, 2)  # count ignored altogether is one finding (paging-ignored)
    for count in (0, -3):
        body, ex = _page(ctx, tag, count=count)
        ctx.expect(ids_of(body) == [], "no resources", ids_of(body), ex, message=f"count={count} returned resources")
        ctx.expect(body.get("totalResults") == 5, "totalResults 5", body.get("totalResults"), ex)


@check(id="pagination.start-index-below-one", quote=QUOTES["pagination.start-index-below-one"], title="startIndex 0 or negative is treated as 1",
       area=AREA, level=Level.MUST, rests_on=f"{RFC} Table 6", checklist=("PAGE-01",), requires=("filter",),
       fix="Interpret startIndex < 1 as 1.")
def start_below_one(ctx: CheckContext) -> None:
    tag, _ = _five(ctx)
    first, _ = _page(ctx, tag, startIndex=1, count=2)
    for start in (0, -5):
        body, ex = _page(ctx, tag, startIndex=start, count=2)
        ctx.expect(ids_of(body) == ids_of(first), ids_of(first), ids_of(body), ex,
                   message=f"startIndex={start} differs from startIndex=1")


@check(id="pagination.page-metadata", quote=QUOTES["pagination.page-metadata"], title="A page carries its startIndex and itemsPerPage",
       area=AREA, level=Level.MUST, rests_on=f"{RFC}; RFC 7644 §3.4.2 Table 7", checklist=("PAGE-05",),
       requires=("filter",), fix="Include startIndex (effective) and itemsPerPage (items in this page) in paged answers.")
def page_metadata(ctx: CheckContext) -> None:
    tag, _ = _five(ctx)
    body, ex = _page(ctx, tag, startIndex=3, count=2)
    expect_page_size(ctx, body, ex, 2)
    ctx.expect(body.get("startIndex") == 3, "startIndex 3", body.get("startIndex"), ex)
    ctx.expect(body.get("itemsPerPage") == len(ids_of(body)) == 2, "itemsPerPage 2 (and 2 resources)",
               {"itemsPerPage": body.get("itemsPerPage"), "resources": len(ids_of(body))}, ex)


@check(id="pagination.walk-all", quote=QUOTES["pagination.walk-all"], title="Walking the pages returns every match exactly once",
       area=AREA, level=Level.MAY, rests_on=RFC, checklist=("PAGE-04", "PAGE-05"), requires=("filter",),
       fix="Make startIndex address the same ordered result set across requests.")
def walk_all(ctx: CheckContext) -> None:
    tag, ids = _five(ctx)
    seen: list[str] = []
    ex = None
    for start in (1, 3, 5):
        body, ex = _page(ctx, tag, startIndex=start, count=2)
        expect_page_size(ctx, body, ex, 2, subject=False)  # the pages' size is count-limits' subject
        seen.extend(ids_of(body))
    ctx.expect(sorted(seen) == sorted(ids), "the 5 users once each", seen, ex)


@check(id="pagination.past-end", quote=QUOTES["pagination.past-end"], title="A startIndex past the end gives an empty page with the true total",
       area=AREA, level=Level.MUST, rests_on=RFC, checklist=("PAGE-06",), requires=("filter",),
       fix="Answer startIndex beyond the results with 200, no Resources and the real totalResults.")
def past_end(ctx: CheckContext) -> None:
    tag, _ = _five(ctx)
    body, ex = _page(ctx, tag, startIndex=1000, count=2)
    expect_page_size(ctx, body, ex, 2)  # a page of every result: count is ignored with startIndex
    ctx.expect(ids_of(body) == [], "no resources", ids_of(body), ex)
    ctx.expect(body.get("totalResults") == 5, "totalResults 5", body.get("totalResults"), ex)


@check(id="pagination.non-numeric-400", quote=QUOTES["pagination.non-numeric-400"], title="A non-numeric count or startIndex answers 400, not 500",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.12", checklist=("PAGE-08",),
       fix="Validate startIndex and count; answer 400 (invalidValue or invalidSyntax) for non-integers.")
def non_numeric(ctx: CheckContext) -> None:
    for params in ({"count": "abc"}, {"startIndex": "x1"}):
        ex = ctx.get(ctx.users, params=params)
        if ex.status == 200:  # validation cannot be observed where paging parameters are not read at all
            ctx.create_user(), ctx.create_user()  # two, so a page of count=1 shows whether count is read
            page = ctx.get(ctx.users, params={"count": 1})
            listed_page = page.json_or_none()
            if page.status == 200 and isinstance(listed_page, dict):
                expect_page_size(ctx, listed_page, page, 1, subject=False)
        ctx.expect_status(ex, 400, message=f"{params} answered {ex.status}, expected 400")
        expect_error(ctx, ex, 400)


@check(id="pagination.max-results-cap", quote=QUOTES["pagination.max-results-cap"], title="Without count, a page holds at most filter.maxResults and totalResults stays true",
       area=AREA, level=Level.MUST, rests_on=f"{RFC}; RFC 7643 §5 (filter.maxResults)", checklist=("PAGE-07",),
       requires=("filter",), fix="Cap pages at the advertised filter.maxResults; keep totalResults the full count.")
def max_results_cap(ctx: CheckContext) -> None:
    cap = ctx.discovery.limit("filter", "maxResults")
    if cap is None:
        ctx.skip("the ServiceProviderConfig advertises no filter.maxResults")
    tag, _ = _five(ctx)
    body, ex = listed(ctx, f'userName sw "{tag}"')
    ctx.expect(len(ids_of(body)) <= cap, f"at most {cap} (filter.maxResults)", len(ids_of(body)), ex,
               message=f"a page without count holds {len(ids_of(body))} resources, over filter.maxResults {cap}")
    ctx.expect(body.get("totalResults") == 5, "totalResults 5", body.get("totalResults"), ex)
