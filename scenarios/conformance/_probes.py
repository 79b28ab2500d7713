"""Helpers shared by the query, sort, paging, search, PATCH, ETag, bulk and group checks.

Nothing here judges on its own: helpers seed objects, send requests and extract values; the
checks decide. Written from RFC 7643/7644 only.
"""

from __future__ import annotations

import json
import weakref
from typing import Any

from harness.checks import CheckContext, CouldNotJudge
from harness.recorder import Exchange
from scenarios.causes import FILTER_IGNORED, PATCH_NOT_IMPLEMENTED
from scenarios.conformance.common import expect_error, ids_of, read_back, resource_path  # shared with the readiness suites

__all__ = [
    "seed_users",
    "listed",
    "plant_decoy",
    "expect_filter_applied",
    "expect_filter_refused",
    "ids_of",
    "patch_ok",
    "not_observable_if_501",
    "accept_refusal",
    "read_back",
    "values_of",
    "member_ids",
    "resource_path",
    "emails_of",
]


def seed_users(ctx: CheckContext, tag: str, *suffixes: str, **common: Any) -> list[dict[str, Any]]:
    """Create one user per suffix with userName ``<tag>-<suffix>@example.com``.

    ``tag`` comes from ``ctx.unique()``, so ``userName sw "<tag>"`` selects exactly these users.
    """
    return [ctx.create_user(userName=f"{tag}-{s}@example.com", **common) for s in suffixes]


def listed(ctx: CheckContext, flt: str | None = None, endpoint: str | None = None, decoy: bool = True,
           **params: Any) -> tuple[dict[str, Any], Exchange]:
    """GET a list with ``filter=flt`` and other parameters; FAIL unless it is a 200 ListResponse.

    With a filter, a decoy that cannot match it is planted first, so a filter the target
    silently ignores is a ``filter-ignored`` finding, never a false PASS. ``decoy=False`` only
    for a filter that may rightly match every resource.
    """
    endpoint = endpoint or ctx.users
    planted = plant_decoy(ctx, endpoint) if flt is not None and decoy else None
    query: dict[str, Any] = {}
    if flt is not None:
        query["filter"] = flt
    query.update(params)
    ex = ctx.get(endpoint, params=query)
    body = ctx.expect_list_response(ex)
    if planted is not None and flt is not None:
        expect_filter_applied(ctx, flt, body, ex, planted, endpoint)
    return body, ex


#: One decoy per check and endpoint (a check's context lives as long as the check).
_DECOYS: "weakref.WeakKeyDictionary[CheckContext, dict[str, str]]" = weakref.WeakKeyDictionary()


def plant_decoy(ctx: CheckContext, endpoint: str) -> str:
    """The id of a resource at ``endpoint`` that no filter of these checks can match.

    Every filter the checks send names values of their own (a fresh tag, an exact userName);
    the decoy's names come from another fresh tag. It is removed with the check's other data.
    """
    planted = _DECOYS.setdefault(ctx, {})
    if endpoint not in planted:
        if endpoint == ctx.groups:
            resource = ctx.create_group(displayName=ctx.unique("decoy"))
        else:
            resource = ctx.create_user(userName=ctx.unique_email("decoy"))
        planted[endpoint] = str(resource["id"])
    return planted[endpoint]


def expect_filter_applied(ctx: CheckContext, flt: str, body: dict[str, Any], ex: Exchange, decoy_id: str,
                          endpoint: str) -> None:
    """FAIL (cause filter-ignored) if the answer to ``flt`` shows the filter was not applied:
    the decoy is listed, or the filtered total is the unfiltered total (the decoy on a later page)."""
    message = f"the filter is ignored: {flt!r} answered resources that cannot match it (a decoy)"
    if decoy_id in ids_of(body):
        ctx.fail(message, "only resources matching the filter", f"the decoy {decoy_id} among them", ex,
                 cause=FILTER_IGNORED)
    total = body.get("totalResults")
    if isinstance(total, int) and total > len(ids_of(body)):  # a partial page: compare with all
        every = ctx.get(endpoint, params={"count": 1}).json_or_none()
        everything = every.get("totalResults") if isinstance(every, dict) else None
        if isinstance(everything, int) and total >= everything:
            ctx.fail(message, f"fewer than all {everything} resources", f"totalResults {total}", ex,
                     cause=FILTER_IGNORED)


def patch_ok(ctx: CheckContext, path: str, *operations: dict[str, Any], message: str = "") -> Exchange:
    """PATCH ``operations``; FAIL unless the answer is 200 or 204 (RFC 7644 §3.5.2).

    A 501 is one behaviour however many checks meet it: the shared cause ``patch-form-501``."""
    ex = ctx.patch_op(path, *operations)
    if ex.status == 501:
        ctx.fail(message or f"PATCH answered 501 (Not Implemented): the target does not implement {_form(operations)}",
                 "200 or 204", 501, ex, cause=PATCH_NOT_IMPLEMENTED)
    ctx.expect_status(ex, 200, 204, message=message)
    return ex


def _form(operations: tuple[dict[str, Any], ...] | list[dict[str, Any]]) -> str:
    return json.dumps(list(operations))[:200]


def not_observable_if_501(ctx: CheckContext, ex: Exchange, *operations: dict[str, Any]) -> None:
    """ERROR (not judged), naming the shared cause ``patch-form-501``, when the target answers 501
    to the PATCH form a check needs: the check's own behaviour cannot be observed, and the 501 is
    judged by the checks whose subject that form is (one behaviour, one finding)."""
    if ex.status == 501:
        raise CouldNotJudge(f"not observable: the server answers 501 (Not Implemented) to this PATCH form "
                            f"({_form(operations)}), which the check needs", ex, PATCH_NOT_IMPLEMENTED)


def accept_refusal(ctx: CheckContext, ex: Exchange, *statuses: int, scim_type: str | None = None) -> None:
    """Judge a refusal whose sentence asks for an error without pinning its status: a 501 is
    such a refusal (RFC 7644 §3.12 Table 8: "Service provider does not support the request
    operation"), noted, not failed; any other answer is judged as :func:`expect_error` does."""
    if ex.status == 501:
        ctx.note("refused with 501 (Not Implemented) rather than " + " or ".join(map(str, statuses))
                 + ": the sentence asks for a refusal without naming its status (RFC 7644 §3.12 Table 8 gives 501 "
                   "for an operation the service provider does not support)")
        return
    expect_error(ctx, ex, *statuses, scim_type=scim_type)


def values_of(resource: dict[str, Any], attribute: str, sub: str = "value") -> list[Any]:
    """``[v[sub] for v in resource[attribute]]`` for a multi-valued attribute (case-insensitive key)."""
    items = next((v for k, v in resource.items() if k.lower() == attribute.lower()), None) or []
    return [i.get(sub) for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def member_ids(group: dict[str, Any]) -> set[str]:
    return {str(v) for v in values_of(group, "members")}


def emails_of(user: dict[str, Any]) -> list[dict[str, Any]]:
    items = user.get("emails") or []
    return [e for e in items if isinstance(e, dict)] if isinstance(items, list) else []


def expect_filter_refused(ctx: CheckContext, ex: Exchange, flt: str, decoy_id: str,
                          scim_type: str = "invalidFilter") -> dict[str, Any]:
    """An invalid filter is refused with 400. A 2xx list that holds the decoy means the target
    ignores filters altogether: that is the shared cause filter-ignored, not a parser finding."""
    ctx.expect_answer(ex)
    if ex.status is not None and 200 <= ex.status < 300:
        body = ex.json_or_none()
        if isinstance(body, dict) and decoy_id in ids_of(body):
            ctx.fail(f"the filter is ignored: the invalid filter {flt!r} answered {ex.status} with resources that "
                     "cannot match it (a decoy)", "400 invalidFilter", f"{ex.status} with the decoy", ex,
                     cause=FILTER_IGNORED)
    return expect_error(ctx, ex, 400, scim_type=scim_type)
