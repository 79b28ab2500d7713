"""Sorting: sortBy and sortOrder (RFC 7644 §3.4.2.3). Judged only when sort.supported."""

from __future__ import annotations

from typing import Any

from harness.checks import CheckContext, check
from harness.results import Level

from scenarios.conformance._probes import ids_of, listed
from scenarios.conformance.common import expect_page_size
from scenarios.conformance.rfc_text import QUOTES

AREA = "sort"
RFC = "RFC 7644 §3.4.2.3"


def _expect_order(ctx: CheckContext, tag: str, names: dict[str, str], wanted: list[str], **params: Any) -> None:
    body, ex = listed(ctx, f'userName sw "{tag}"', **params)
    got = [names.get(i, i) for i in ids_of(body)]
    shown = "&".join(f"{k}={v}" for k, v in params.items())
    ctx.expect(got == wanted, wanted, got, ex, message=f"{shown} ordered {got}, expected {wanted}")


@check(id="sort.ascending-default", quote=QUOTES["sort.ascending-default"], title="sortBy orders ascending by default",
       area=AREA, level=Level.MUST, rests_on=RFC, checklist=("SORT-02",), requires=("sort", "filter"),
       fix="Order by sortBy; with no sortOrder, ascending.")
def ascending(ctx: CheckContext) -> None:
    tag = ctx.unique("s")
    users = {ctx.create_user(userName=f"{tag}-{k}@example.com")["id"]: k for k in ("b", "c", "a")}
    _expect_order(ctx, tag, users, ["a", "b", "c"], sortBy="userName")


@check(id="sort.descending", quote=QUOTES["sort.descending"], title="sortOrder=descending reverses the order",
       area=AREA, level=Level.MUST, rests_on=RFC, checklist=("SORT-02",), requires=("sort", "filter"),
       fix="Honour sortOrder=descending.")
def descending(ctx: CheckContext) -> None:
    tag = ctx.unique("s")
    users = {ctx.create_user(userName=f"{tag}-{k}@example.com")["id"]: k for k in ("b", "a", "c")}
    _expect_order(ctx, tag, users, ["c", "b", "a"], sortBy="userName", sortOrder="descending")


@check(id="sort.sub-attribute", quote=QUOTES["sort.sub-attribute"], title="sortBy name.familyName sorts by the sub-attribute",
       area=AREA, level=Level.MUST, rests_on=RFC, checklist=("SORT-02",), requires=("sort", "filter"),
       fix="Accept dotted sub-attribute paths in sortBy.")
def sub_attribute(ctx: CheckContext) -> None:
    tag = ctx.unique("s")
    family = {"a": "Zed", "b": "Adams", "c": "Miller"}
    users = {ctx.create_user(userName=f"{tag}-{k}@example.com", name={"givenName": "T", "familyName": f})["id"]: f
             for k, f in family.items()}
    _expect_order(ctx, tag, users, ["Adams", "Miller", "Zed"], sortBy="name.familyName")


@check(id="sort.missing-values", quote=QUOTES["sort.missing-values"], title="Resources without the sort value go last ascending and first descending",
       area=AREA, level=Level.MUST, rests_on=RFC, checklist=("SORT-04",), requires=("sort", "filter"),
       fix="Sort unassigned values after all others (ascending) and before them (descending).")
def missing_values(ctx: CheckContext) -> None:
    tag = ctx.unique("s")
    users = {ctx.create_user(userName=f"{tag}-a@example.com")["id"]: "none",
             ctx.create_user(userName=f"{tag}-b@example.com", title="Beta")["id"]: "Beta",
             ctx.create_user(userName=f"{tag}-c@example.com", title="Alpha")["id"]: "Alpha"}
    _expect_order(ctx, tag, users, ["Alpha", "Beta", "none"], sortBy="title")
    _expect_order(ctx, tag, users, ["none", "Beta", "Alpha"], sortBy="title", sortOrder="descending")


@check(id="sort.case-insensitive", quote=QUOTES["sort.case-insensitive"], title="caseExact=false values sort without regard to case",
       area=AREA, level=Level.MUST, rests_on=f"{RFC}; RFC 7643 §2.2", checklist=("SORT-05",), requires=("sort", "filter"),
       fix="Sort caseExact=false strings case-insensitively (b, A, C -> A, b, C).")
def case_insensitive(ctx: CheckContext) -> None:
    tag = ctx.unique("s")
    # b, A, C: case-insensitive gives A, b, C; a byte-wise sort would give A, C, b
    users = {ctx.create_user(userName=f"{tag}-{k}@example.com", title=k)["id"]: k for k in ("b", "A", "C")}
    _expect_order(ctx, tag, users, ["A", "b", "C"], sortBy="title")


@check(id="sort.multi-valued-primary", quote=QUOTES["sort.multi-valued-primary"], title="sortBy emails.value sorts by the primary email",
       area=AREA, level=Level.MUST, rests_on=RFC, checklist=("SORT-03",), requires=("sort", "filter"),
       fix="For a multi-valued sort key use the primary value, else the first.")
def multi_valued_primary(ctx: CheckContext) -> None:
    tag = ctx.unique("s")
    users = {}
    # the non-primary value would reverse the order if it were used
    for key, primary, other in (("x", "a", "z"), ("y", "b", "y"), ("z", "c", "a")):
        u = ctx.create_user(userName=f"{tag}-{key}@example.com", emails=[
            {"value": f"{other}-{tag}@other.example", "type": "home"},
            {"value": f"{primary}-{tag}@example.com", "type": "work", "primary": True}])
        users[u["id"]] = primary
    _expect_order(ctx, tag, users, ["a", "b", "c"], sortBy="emails.value")


@check(id="sort.stable-pages", quote=QUOTES["sort.stable-pages"], title="Paging without sortBy neither repeats nor skips resources",
       area=AREA, level=Level.MAY, rests_on="RFC 7644 §3.4.2.4", checklist=("SORT-06",), requires=("filter",),
       fix="Give unsorted lists a stable order (e.g. by id or creation) so pages do not overlap.")
def stable_pages(ctx: CheckContext) -> None:
    tag = ctx.unique("s")
    made = {ctx.create_user(userName=f"{tag}-{k}@example.com")["id"] for k in "abcde"}
    seen: list[str] = []
    last = None
    for start in (1, 3, 5):
        body, last = listed(ctx, f'userName sw "{tag}"', startIndex=start, count=2)
        expect_page_size(ctx, body, last, 2, subject=False)  # the pages' size is count-limits' subject
        seen.extend(ids_of(body))
    ctx.expect(sorted(seen) == sorted(made) and len(seen) == len(set(seen)), "each of the 5 users once",
               seen, last, message="pages repeated or skipped users")
