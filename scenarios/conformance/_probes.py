"""Helpers shared by the query, sort, paging, search, PATCH, ETag, bulk and group checks.

Nothing here judges on its own: helpers seed objects, send requests and extract values; the
checks decide. Written from RFC 7643/7644 only.
"""

from __future__ import annotations

from typing import Any

from harness.checks import CheckContext
from harness.recorder import Exchange
from scenarios.conformance.common import ids_of, read_back, resource_path  # shared with the readiness suites

__all__ = [
    "seed_users",
    "listed",
    "ids_of",
    "patch_ok",
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


def listed(ctx: CheckContext, flt: str | None = None, endpoint: str | None = None,
           **params: Any) -> tuple[dict[str, Any], Exchange]:
    """GET a list with ``filter=flt`` and other parameters; FAIL unless it is a 200 ListResponse."""
    query: dict[str, Any] = {}
    if flt is not None:
        query["filter"] = flt
    query.update(params)
    ex = ctx.get(endpoint or ctx.users, params=query)
    return ctx.expect_list_response(ex), ex


def patch_ok(ctx: CheckContext, path: str, *operations: dict[str, Any], message: str = "") -> Exchange:
    """PATCH ``operations``; FAIL unless the answer is 200 or 204 (RFC 7644 §3.5.2)."""
    ex = ctx.patch_op(path, *operations)
    ctx.expect_status(ex, 200, 204, message=message)
    return ex


def values_of(resource: dict[str, Any], attribute: str, sub: str = "value") -> list[Any]:
    """``[v[sub] for v in resource[attribute]]`` for a multi-valued attribute (case-insensitive key)."""
    items = next((v for k, v in resource.items() if k.lower() == attribute.lower()), None) or []
    return [i.get(sub) for i in items if isinstance(i, dict)] if isinstance(items, list) else []


def member_ids(group: dict[str, Any]) -> set[str]:
    return {str(v) for v in values_of(group, "members")}


def emails_of(user: dict[str, Any]) -> list[dict[str, Any]]:
    items = user.get("emails") or []
    return [e for e in items if isinstance(e, dict)] if isinstance(items, list) else []
