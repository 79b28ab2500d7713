"""Query with filter: GET /{type}?filter=… (RFC 7644 §3.4.2, §3.4.2.2).

Each check seeds its own users, all sharing a fresh tag in userName, and scopes every query
with ``userName sw "<tag>"`` (or an exact value) so other data on the target cannot interfere.
Operator semantics follow RFC 7644 §3.4.2.2 Table 3; caseExact follows RFC 7643 §2.2/§3.1.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any

from harness.checks import OMIT, CheckContext, check
from harness.results import Level

from scenarios.causes import FILTER_REFUSED, LOOKUP_MISS_NOT_EMPTY, USERNAME_EQ_CASE
from scenarios.conformance._probes import ids_of, listed, seed_users
from scenarios.conformance.common import expect_error, free_strings, random_id
from scenarios.conformance.rfc_text import QUOTES

AREA = "query"
T3 = "RFC 7644 §3.4.2.2 Table 3"


def _hits(ctx: CheckContext, flt: str, **params: Any) -> set[str]:
    body, _ = listed(ctx, flt, **params)
    return set(ids_of(body))


def _expect_hits(ctx: CheckContext, flt: str, wanted: set[str], names: dict[str, str]) -> None:
    """FAIL unless ``flt`` selects exactly ``wanted`` (ids), shown by name in the finding."""
    body, ex = listed(ctx, flt)
    got = set(ids_of(body))

    def show(ids: Iterable[str]) -> list[str]:
        return sorted(names.get(i, i) for i in ids)

    ctx.expect(got == wanted, show(wanted), show(got), ex, message=f"filter {flt!r} selected {show(got)}, expected {show(wanted)}")


def _names(*users: dict[str, Any]) -> dict[str, str]:
    return {u["id"]: u["userName"] for u in users}


@check(id="query.no-match-empty-list", quote=QUOTES["query.no-match-empty-list"], cause=LOOKUP_MISS_NOT_EMPTY, title="A filter with no match answers 200 with an empty ListResponse",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2", checklist=("QRY-02",), requires=("filter",),
       fix="Answer a query without matches with 200, totalResults 0 and no (or empty) Resources; never 404.",
       idp_impact="Entra ID's Test Connection fails and a 404 to its lookup can quarantine the provisioning job.")
def no_match(ctx: CheckContext) -> None:
    body, ex = listed(ctx, f'userName eq "{random_id()}"')
    ctx.expect(body.get("totalResults") == 0, "totalResults 0", body.get("totalResults"), ex)
    ctx.expect(not body.get("Resources"), "no Resources", body.get("Resources"), ex)


@check(id="query.list-response-shape", quote=QUOTES["query.list-response-shape"], title="A list answer is a ListResponse with totalResults and Resources",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2", checklist=("QRY-01",), requires=("filter",),
       fix="Answer lists with schemas [ListResponse URN], an integer totalResults, and Resources when totalResults > 0.")
def list_shape(ctx: CheckContext) -> None:
    user = ctx.create_user()
    body, ex = listed(ctx, f'userName eq "{user["userName"]}"')
    total = body.get("totalResults")
    ctx.expect(isinstance(total, int) and not isinstance(total, bool), "an integer totalResults", total, ex)
    ctx.expect(isinstance(body.get("Resources"), list) and len(body["Resources"]) >= 1,
               "a Resources array with the user", body.get("Resources"), ex,
               message="totalResults > 0 but no Resources array")


@check(id="query.eq-username", quote=QUOTES["query.eq-username"], title="userName eq finds exactly the user",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.2", checklist=("QRY-03",), requires=("filter",),
       fix="Support eq on userName: it is how every IdP finds an existing user.",
       idp_impact="Entra ID, Okta and JumpCloud cannot match existing users and create duplicates.")
def eq_username(ctx: CheckContext) -> None:
    tag = ctx.unique("q")
    a, b = seed_users(ctx, tag, "a", "b")
    flt = f'userName eq "{a["userName"]}"'
    probe = ctx.expect_answer(ctx.get(ctx.users, params={"filter": flt}))
    if probe.status is not None and 400 <= probe.status < 600 and probe.status not in (429, 503):
        ctx.fail(f"filter {flt!r} answered {probe.status}: the userName eq lookup is refused", "200 with the user",
                 probe.status, probe, cause=FILTER_REFUSED)
    _expect_hits(ctx, flt, {a["id"]}, _names(a, b))


@check(id="query.eq-external-id", quote=QUOTES["query.eq-external-id"], title="externalId eq finds exactly the user",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.2", checklist=("QRY-03",), requires=("filter",),
       fix="Support eq on externalId (caseExact).")
def eq_external_id(ctx: CheckContext) -> None:
    tag = ctx.unique("q")
    a = ctx.create_user(userName=f"{tag}-a@example.com", externalId=f"{tag}-ext-a")
    b = ctx.create_user(userName=f"{tag}-b@example.com", externalId=f"{tag}-ext-b")
    _expect_hits(ctx, f'externalId eq "{tag}-ext-a"', {a["id"]}, _names(a, b))


@check(id="query.eq-id", quote=QUOTES["query.eq-id"], title="id eq finds exactly the resource",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.2", checklist=("QRY-03",), requires=("filter",),
       fix="Support eq on id.")
def eq_id(ctx: CheckContext) -> None:
    tag = ctx.unique("q")
    a, b = seed_users(ctx, tag, "a", "b")
    _expect_hits(ctx, f'id eq "{a["id"]}"', {a["id"]}, _names(a, b))


@check(id="query.eq-emails-value", quote=QUOTES["query.eq-emails-value"], title="emails.value eq finds the user by any email",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.2", checklist=("QRY-03",), requires=("filter",),
       fix="Support eq on the multi-valued sub-attribute emails.value.")
def eq_email(ctx: CheckContext) -> None:
    tag = ctx.unique("q")
    a, b = seed_users(ctx, tag, "a", "b")
    _expect_hits(ctx, f'emails.value eq "{a["userName"]}"', {a["id"]}, _names(a, b))


@check(id="query.eq-group-displayname", quote=QUOTES["query.eq-group-displayname"], title="Group displayName eq finds exactly the group",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.2", checklist=("QRY-03",), requires=("filter", "groups"),
       fix="Support eq on Group displayName.",
       idp_impact="Entra ID and JumpCloud look groups up by name; without it they create duplicates.")
def eq_group_name(ctx: CheckContext) -> None:
    g1, g2 = ctx.create_group(), ctx.create_group()
    body, ex = listed(ctx, f'displayName eq "{g1["displayName"]}"', endpoint=ctx.groups)
    ctx.expect(ids_of(body) == [g1["id"]], [g1["id"]], ids_of(body), ex)
    ctx.expect(g2["id"] not in ids_of(body), "not the other group", ids_of(body), ex)


#: Builds the filter of an operator probe from the tag and the seeded users by suffix.
FilterMaker = Callable[[str, dict[str, dict[str, Any]]], str]


def _operator_check(cid: str, op: str, make_filter: FilterMaker, pick: tuple[str, ...], title: str) -> None:
    """Register one Table 3 operator probe over users ``<tag>-alpha``, ``-beta``, ``-gamma``."""

    @check(id=cid, quote=QUOTES[cid], title=title, area=AREA, level=Level.MUST, rests_on=T3, checklist=("QRY-04",),
           requires=("filter",), fix=f"Implement the '{op}' operator as RFC 7644 Table 3 defines it.")
    def probe(ctx: CheckContext) -> None:
        tag = ctx.unique("q")
        users = seed_users(ctx, tag, "alpha", "beta", "gamma")
        by = {u["userName"].split("@")[0].rsplit("-", 1)[1]: u for u in users}
        wanted = {by[k]["id"] for k in pick}
        _expect_hits(ctx, make_filter(tag, by), wanted, _names(*users))

    probe.__name__ = cid.replace(".", "_").replace("-", "_")


_operator_check("query.op-ne", "ne", lambda t, by: f'userName sw "{t}" and userName ne "{by["beta"]["userName"]}"',
                ("alpha", "gamma"), "ne excludes exactly the equal value")
_operator_check("query.op-co", "co", lambda t, by: f'userName co "{t[-6:]}-bet"', ("beta",),
                "co matches a substring")
_operator_check("query.op-sw", "sw", lambda t, by: f'userName sw "{t}-g"', ("gamma",), "sw matches a prefix")
_operator_check("query.op-ew", "ew", lambda t, by: f'userName ew "{t[-6:]}-alpha@example.com"', ("alpha",),
                "ew matches a suffix")
_operator_check("query.op-gt", "gt", lambda t, by: f'userName sw "{t}" and userName gt "{by["beta"]["userName"]}"',
                ("gamma",), "gt compares strings lexically, excluding equality")
_operator_check("query.op-ge", "ge", lambda t, by: f'userName sw "{t}" and userName ge "{by["beta"]["userName"]}"',
                ("beta", "gamma"), "ge compares strings lexically, including equality")
_operator_check("query.op-lt", "lt", lambda t, by: f'userName sw "{t}" and userName lt "{by["beta"]["userName"]}"',
                ("alpha",), "lt compares strings lexically, excluding equality")
_operator_check("query.op-le", "le", lambda t, by: f'userName sw "{t}" and userName le "{by["beta"]["userName"]}"',
                ("alpha", "beta"), "le compares strings lexically, including equality")


@check(id="query.op-pr", quote=QUOTES["query.op-pr"], title="pr matches only resources with a non-empty value",
       area=AREA, level=Level.MUST, rests_on=T3, checklist=("QRY-04",), requires=("filter",),
       fix="Implement 'pr' (present): true when the attribute has a non-empty, non-null value.")
def op_pr(ctx: CheckContext) -> None:
    attr = free_strings(ctx, "title")[0]
    tag = ctx.unique("q")
    with_title = ctx.create_user(userName=f"{tag}-a@example.com", **{attr: "Engineer"})
    without = ctx.create_user(userName=f"{tag}-b@example.com", **{attr: OMIT})
    _expect_hits(ctx, f'userName sw "{tag}" and {attr} pr', {with_title["id"]}, _names(with_title, without))


@check(id="query.case-insensitive-names", quote=QUOTES["query.case-insensitive-names"], title="Attribute names and operators in a filter are case-insensitive",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.2", checklist=("QRY-05",), requires=("filter",),
       fix="Match attribute names and operator keywords without regard to case.")
def names_case(ctx: CheckContext) -> None:
    tag = ctx.unique("q")
    a, b = seed_users(ctx, tag, "a", "b")
    _expect_hits(ctx, f'USERNAME EQ "{a["userName"]}"', {a["id"]}, _names(a, b))


@check(id="query.case-insensitive-username-value", quote=QUOTES["query.case-insensitive-username-value"], title="userName eq matches regardless of the value's case",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.2; RFC 7643 §4.1.1 (caseExact false)",
       checklist=("QRY-06",), requires=("filter",),
       fix="Compare caseExact=false attributes (userName, emails.value, displayName) case-insensitively.",
       idp_impact="Entra ID sends the UPN as typed in the directory; a case mismatch makes it POST a duplicate.",
       cause=USERNAME_EQ_CASE)
def username_value_case(ctx: CheckContext) -> None:
    tag = ctx.unique("q")
    a, b = seed_users(ctx, tag, "a", "b")
    _expect_hits(ctx, f'userName eq "{a["userName"].upper()}"', {a["id"]}, _names(a, b))


@check(id="query.case-exact-external-id", quote=QUOTES["query.case-exact-external-id"], title="externalId eq compares case-exactly",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.2; RFC 7643 §3.1 (externalId caseExact)",
       checklist=("QRY-06",), requires=("filter",),
       fix="Compare caseExact=true attributes (id, externalId) exactly, as stored.")
def external_id_case(ctx: CheckContext) -> None:
    tag = ctx.unique("q")
    a = ctx.create_user(userName=f"{tag}-a@example.com", externalId=f"{tag}-AbC")
    _expect_hits(ctx, f'externalId eq "{tag}-abc"', set(), _names(a))
    _expect_hits(ctx, f'externalId eq "{tag}-AbC"', {a["id"]}, _names(a))


@check(id="query.precedence", quote=QUOTES["query.precedence"], title="and binds tighter than or, and parentheses group",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.2 (precedence)", checklist=("QRY-07",), requires=("filter",),
       fix="Parse filters with precedence: grouping, then not, then and, then or.")
def precedence(ctx: CheckContext) -> None:
    attr = free_strings(ctx, "title")[0]
    tag = ctx.unique("q")
    a = ctx.create_user(userName=f"{tag}-a@example.com", **{attr: "x"})
    b = ctx.create_user(userName=f"{tag}-b@example.com", **{attr: "y"})
    names = _names(a, b)
    ua, ub = a["userName"], b["userName"]
    # a OR (b AND title "y") -> a and b; read left to right, (a OR b) AND "y" -> b only
    _expect_hits(ctx, f'userName eq "{ua}" or userName eq "{ub}" and {attr} eq "y"', {a["id"], b["id"]}, names)
    # (a OR b) AND title eq "y" -> b only
    _expect_hits(ctx, f'(userName eq "{ua}" or userName eq "{ub}") and {attr} eq "y"', {b["id"]}, names)


@check(id="query.not", quote=QUOTES["query.not"], title="not( ) negates the grouped expression",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.2", checklist=("QRY-07",), requires=("filter",),
       fix="Implement not(filter) as logical negation.")
def op_not(ctx: CheckContext) -> None:
    tag = ctx.unique("q")
    a, b, c = seed_users(ctx, tag, "a", "b", "c")
    _expect_hits(ctx, f'userName sw "{tag}" and not (userName eq "{b["userName"]}")', {a["id"], c["id"]}, _names(a, b, c))


@check(id="query.multi-valued-any", quote=QUOTES["query.multi-valued-any"], title="A filter on a multi-valued attribute matches on any value",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.2", checklist=("QRY-08",), requires=("filter",),
       fix="Evaluate a filter on a multi-valued attribute against every value; one match is enough.")
def multi_valued_any(ctx: CheckContext) -> None:
    tag = ctx.unique("q")
    second = f"{tag}-second@example.org"
    a = ctx.create_user(userName=f"{tag}-a@example.com", emails=[
        {"value": f"{tag}-a@example.com", "type": "work", "primary": True},
        {"value": second, "type": "home"}])
    b = ctx.create_user(userName=f"{tag}-b@example.com")
    _expect_hits(ctx, f'userName sw "{tag}" and emails co "-second@example.org"', {a["id"]}, _names(a, b))


@check(id="query.value-path-same-value", quote=QUOTES["query.value-path-same-value"], title="emails[type eq … and value co …] tests both parts on one value",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.4.2.2 Table 5 (valuePath)", checklist=("QRY-09",),
       requires=("filter",),
       fix="Evaluate a valuePath filter per value, or refuse it with 400 invalidFilter.")
def value_path_same_value(ctx: CheckContext) -> None:
    tag = ctx.unique("q")
    a = ctx.create_user(userName=f"{tag}-a@example.com", emails=[
        {"value": f"{tag}-a@work.example", "type": "work", "primary": True},
        {"value": f"{tag}-a@home.example", "type": "home"}])
    miss = f'emails[type eq "work" and value co "@home.example"] and userName sw "{tag}"'
    ex = ctx.get(ctx.users, params={"filter": miss})
    if ex.status == 400:
        expect_error(ctx, ex, 400, scim_type="invalidFilter")
        ctx.note("valuePath filters are refused with 400 invalidFilter (allowed)")
        return
    _expect_hits(ctx, miss, set(), _names(a))
    _expect_hits(ctx, f'emails[type eq "work" and value co "@work.example"] and userName sw "{tag}"', {a["id"]}, _names(a))
