"""Query with filter, continued: dates, literals, URN paths, errors, and filter with other
parameters (RFC 7644 §3.4.2, §3.4.2.1, §3.4.2.2, §3.10; RFC 7643 §2.3.5)."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone
from typing import Any

from harness.checks import CheckContext, check
from harness.discovery import ENTERPRISE_USER
from harness.results import Level

from scenarios.causes import FILTER_IGNORED
from scenarios.conformance._probes import expect_filter_applied, expect_filter_refused, ids_of, listed, plant_decoy, seed_users
from scenarios.conformance.common import expect_error, expect_page_size, expect_projected, CORE_USER, parse_datetime
from scenarios.conformance.rfc_text import QUOTES

AREA = "query"


def _one_hit(ctx: CheckContext, flt: str, wanted: str, **params: Any) -> dict[str, Any]:
    body, ex = listed(ctx, flt, **params)
    ctx.expect(ids_of(body) == [wanted], [wanted], ids_of(body), ex, message=f"filter {flt!r} did not select exactly the user")
    return body


def _created_at(ctx: CheckContext, user: dict[str, Any]) -> datetime:
    meta = found if isinstance(found := user.get("meta"), dict) else {}
    when = parse_datetime(meta.get("lastModified") or meta.get("created"))
    if when is None:
        ctx.skip("the created user has no meta.lastModified to compare against")
    return when


@check(id="query.datetime-compare", quote=QUOTES["query.datetime-compare"], title="gt/lt on meta.lastModified compare by time",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.2 Table 3; RFC 7643 §2.3.5", checklist=("QRY-10",),
       requires=("filter",), fix="Compare dateTime attributes as instants, not as strings.")
def datetime_compare(ctx: CheckContext) -> None:
    tag = ctx.unique("q")
    (user,) = seed_users(ctx, tag, "a")
    when = _created_at(ctx, user)
    before = (when - timedelta(hours=1)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    after = (when + timedelta(hours=1)).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
    _one_hit(ctx, f'userName sw "{tag}" and meta.lastModified gt "{before}"', user["id"])
    body, ex = listed(ctx, f'userName sw "{tag}" and meta.lastModified gt "{after}"')
    ctx.expect(ids_of(body) == [], "no match for a time after the change", ids_of(body), ex)
    _one_hit(ctx, f'userName sw "{tag}" and meta.lastModified lt "{after}"', user["id"])


@check(id="query.datetime-offset", quote=QUOTES["query.datetime-offset"], title="dateTime literals with an offset or fractional seconds are understood",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §2.3.5 (xsd:dateTime)", checklist=("QRY-16",),
       requires=("filter",), fix="Parse xsd:dateTime literals with any zone offset and optional fractions.")
def datetime_offset(ctx: CheckContext) -> None:
    tag = ctx.unique("q")
    (user,) = seed_users(ctx, tag, "a")
    when = _created_at(ctx, user)
    # One hour before the change, written in +02:00 (so the wall-clock reads one hour *after*
    # in UTC terms): a server comparing strings would get this wrong.
    plus2 = timezone(timedelta(hours=2))
    earlier = (when - timedelta(hours=1)).astimezone(plus2).strftime("%Y-%m-%dT%H:%M:%S.250+02:00")
    _one_hit(ctx, f'userName sw "{tag}" and meta.lastModified gt "{earlier}"', user["id"])
    later = (when + timedelta(minutes=30)).astimezone(timezone(timedelta(hours=-5))).strftime("%Y-%m-%dT%H:%M:%S-05:00")
    body, ex = listed(ctx, f'userName sw "{tag}" and meta.lastModified gt "{later}"')
    ctx.expect(ids_of(body) == [], "no match for a later instant written with -05:00", ids_of(body), ex)


@check(id="query.gt-on-boolean-400", quote=QUOTES["query.gt-on-boolean-400"], title="gt on a boolean answers 400 invalidFilter",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.2 Table 3", checklist=("QRY-10",), requires=("filter",),
       fix="Refuse gt/ge/lt/le on boolean and binary attributes with 400 invalidFilter.")
def gt_on_boolean(ctx: CheckContext) -> None:
    decoy = plant_decoy(ctx, ctx.users)
    expect_filter_refused(ctx, ctx.get(ctx.users, params={"filter": "active gt true"}), "active gt true", decoy)


@check(id="query.unknown-operator-400", quote=QUOTES["query.unknown-operator-400"], title="An unknown operator answers 400 invalidFilter",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.2, §3.12 Table 9", checklist=("QRY-11",),
       requires=("filter",), fix="Reject filters with unknown operators with 400 and scimType invalidFilter.")
def unknown_operator(ctx: CheckContext) -> None:
    decoy = plant_decoy(ctx, ctx.users)
    flt = 'userName regex "x"'
    expect_filter_refused(ctx, ctx.get(ctx.users, params={"filter": flt}), flt, decoy)


@check(id="query.syntax-error-400", quote=QUOTES["query.syntax-error-400"], title="Unbalanced parentheses and unquoted strings answer 400 invalidFilter",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §3.4.2.2, §3.12 Table 9", checklist=("QRY-11",),
       requires=("filter",), fix="Validate filter syntax; answer 400 invalidFilter with a detail, never 500 or 200.")
def syntax_error(ctx: CheckContext) -> None:
    decoy = plant_decoy(ctx, ctx.users)
    for bad in ('(userName eq "x"', 'userName eq "x")', "userName eq bareword", 'userName eq "unterminated'):
        expect_filter_refused(ctx, ctx.get(ctx.users, params={"filter": bad}), bad, decoy)


@check(id="query.string-escapes", quote=QUOTES["query.string-escapes"], title="Quoted literals with apostrophes and escaped quotes match",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.2 Figure 1 (JSON string literals)", checklist=("QRY-12",),
       requires=("filter",), fix="Parse compValue as a JSON string: handle \\\" and \\\\ escapes.")
def string_escapes(ctx: CheckContext) -> None:
    tag = ctx.unique("q")
    user = ctx.create_user(userName=f"{tag}-a@example.com", name={"givenName": 'Say "hi"', "familyName": "O'Malley"})
    _one_hit(ctx, f'userName sw "{tag}" and name.familyName eq "O\'Malley"', user["id"])
    _one_hit(ctx, f'userName sw "{tag}" and name.givenName eq "Say \\"hi\\""', user["id"])


@check(id="query.bare-literals", quote=QUOTES["query.bare-literals"], title="Bare true/false literals compare booleans",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.2 Figure 1", checklist=("QRY-12",), requires=("filter",),
       fix="Accept JSON literals true, false and null unquoted in filters.")
def bare_literals(ctx: CheckContext) -> None:
    tag = ctx.unique("q")
    on = ctx.create_user(userName=f"{tag}-a@example.com", active=True)
    off = ctx.create_user(userName=f"{tag}-b@example.com", active=False)
    _one_hit(ctx, f'userName sw "{tag}" and active eq true', on["id"])
    _one_hit(ctx, f'userName sw "{tag}" and active eq false', off["id"])


@check(id="query.urn-core-path", quote=QUOTES["query.urn-core-path"], title="A URN-qualified core attribute works in a filter",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.2, §3.10", checklist=("QRY-13",), requires=("filter",),
       fix="Accept fully qualified attribute names (schema URN + ':' + attribute) in filters.")
def urn_core(ctx: CheckContext) -> None:
    user = ctx.create_user()
    ctx.create_user()  # a decoy: a lookup that ignores the filter would return both
    _one_hit(ctx, f'{CORE_USER}:userName eq "{user["userName"]}"', user["id"])


@check(id="query.urn-extension-path", quote=QUOTES["query.urn-extension-path"], title="An enterprise extension attribute filters by its URN path",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.2, §3.10; RFC 7643 §4.3", checklist=("QRY-13",),
       requires=("filter", "enterprise"), fix="Accept '<extension URN>:<attribute>' paths in filters.")
def urn_extension(ctx: CheckContext) -> None:
    tag = ctx.unique("q")
    user = ctx.create_user(userName=f"{tag}-a@example.com", schemas=[CORE_USER, ENTERPRISE_USER],
                           **{ENTERPRISE_USER: {"employeeNumber": f"{tag}-77"}})
    ctx.create_user(userName=f"{tag}-b@example.com")
    _one_hit(ctx, f'{ENTERPRISE_USER}:employeeNumber eq "{tag}-77"', user["id"])


@check(id="query.unknown-attribute", quote=QUOTES["query.unknown-attribute"], title="A filter on an unknown attribute gives no match or 400, never 500",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.1, §3.4.2.2", checklist=("QRY-14",), requires=("filter",),
       fix="Treat an attribute the resource type lacks as unassigned (no match), or answer 400 invalidFilter.")
def unknown_attribute(ctx: CheckContext) -> None:
    flt = 'nosuchAttribute eq "x"'
    decoy = plant_decoy(ctx, ctx.users)
    ex = ctx.get(ctx.users, params={"filter": flt})
    ctx.expect_answer(ex)
    if ex.status == 400:
        expect_error(ctx, ex, 400, scim_type="invalidFilter")
        return
    body = ctx.expect_list_response(ex)
    expect_filter_applied(ctx, flt, body, ex, decoy, ctx.users)
    ctx.expect(body.get("totalResults") == 0, "totalResults 0", body.get("totalResults"), ex)


@check(id="query.schemas-eq-extension", quote=QUOTES["query.schemas-eq-extension"], title="schemas eq \"<extension URN>\" selects the users carrying it",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.2 Figure 2", checklist=("QRY-15",),
       requires=("filter", "enterprise"), fix="Support filtering on the schemas attribute.")
def schemas_eq(ctx: CheckContext) -> None:
    tag = ctx.unique("q")
    ext = ctx.create_user(userName=f"{tag}-a@example.com", schemas=[CORE_USER, ENTERPRISE_USER],
                          **{ENTERPRISE_USER: {"department": "Eng"}})
    ctx.create_user(userName=f"{tag}-b@example.com")
    _one_hit(ctx, f'userName sw "{tag}" and schemas eq "{ENTERPRISE_USER}"', ext["id"])


@check(id="query.too-many-or-honest", quote=QUOTES["query.too-many-or-honest"], title="A broad query is refused with tooMany or paged with a true totalResults",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.1, §3.4.2.4", checklist=("QRY-17",), requires=("filter",),
       fix="Never truncate silently: either answer 400 tooMany or return a page with totalResults counting all matches.")
def too_many(ctx: CheckContext) -> None:
    tag = ctx.unique("q")
    seed_users(ctx, tag, "a", "b", "c")
    ex = ctx.get(ctx.users, params={"filter": "userName pr", "count": 1})
    ctx.expect_answer(ex)
    if ex.status == 400:
        expect_error(ctx, ex, 400, scim_type="tooMany")
        return
    body = ctx.expect_list_response(ex)
    total = body.get("totalResults")
    ctx.expect(isinstance(total, int) and total >= 3, "totalResults >= 3 (all users, not the page)", total, ex,
               message=f"totalResults {total} counts the page, not every match")


@check(id="query.root-filter", quote=QUOTES["query.root-filter"], title="A filter at the service root searches all types, or is refused",
       area=AREA, level=Level.MAY, rests_on="RFC 7644 §3.4.2.1", checklist=("QRY-18",), requires=("filter",),
       fix="Either search every resource type at GET /?filter=…, or answer 4xx/501 with a SCIM error.")
def root_filter(ctx: CheckContext) -> None:
    user = ctx.create_user()
    flt = f'userName eq "{user["userName"]}"'
    decoy = plant_decoy(ctx, ctx.users)
    ex = ctx.get("/", params={"filter": flt})
    ctx.expect_answer(ex)
    if ex.status is not None and (400 <= ex.status < 500 or ex.status == 501):
        ctx.note(f"root search not supported ({ex.status})")
        return
    body = ctx.expect_list_response(ex)
    if decoy in ids_of(body):
        ctx.fail(f"the filter is ignored: {flt!r} at the root answered a decoy that cannot match it",
                 "only resources matching the filter", "the decoy among them", ex, cause=FILTER_IGNORED)
    ctx.expect(user["id"] in ids_of(body), "the user among the results", ids_of(body), ex)


@check(id="query.filter-with-attributes", quote=QUOTES["query.filter-with-attributes"], title="filter works together with attributes and count",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2, §3.4.2.5", checklist=("QRY-20",), requires=("filter",),
       fix="Apply attributes/excludedAttributes and paging to filtered results too.",
       idp_impact="IdPs that ask for userName only download whole objects.")
def with_attributes(ctx: CheckContext) -> None:
    tag = ctx.unique("q")
    a, _ = seed_users(ctx, tag, "a", "b", title="Engineer")
    body, ex = listed(ctx, f'userName sw "{tag}"', attributes="userName", count=1)
    resources = body.get("Resources") or []
    expect_page_size(ctx, body, ex, 1, subject=False)  # paging is the pagination checks' subject
    ctx.expect(len(resources) == 1, "one resource (count=1)", len(resources), ex)
    ctx.expect(body.get("totalResults") == 2, "totalResults 2", body.get("totalResults"), ex)
    first = resources[0] if isinstance(resources[0], dict) else {}
    expect_projected(ctx, "title" not in first and "emails" not in first, "only id and userName", sorted(first), ex,
                     "attributes=userName ignored on a filtered list")


@check(id="query.filter-with-excluded", quote=QUOTES["query.filter-with-excluded"], title="filter works together with excludedAttributes",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2, §3.4.2.5", checklist=("QRY-20",), requires=("filter",),
       fix="Apply excludedAttributes to filtered list results.")
def with_excluded(ctx: CheckContext) -> None:
    user = ctx.create_user(title="Engineer")
    body, ex = listed(ctx, f'userName eq "{user["userName"]}"', excludedAttributes="emails,title")
    first = (body.get("Resources") or [{}])[0]
    ctx.expect(isinstance(first, dict) and first.get("id") == user["id"], "the user", first, ex)
    expect_projected(ctx, "emails" not in first and "title" not in first, "no emails, no title", sorted(first), ex,
                     "excludedAttributes ignored on a filtered list")
