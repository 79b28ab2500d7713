"""What the IdP readiness checks share: the exact request forms the IdPs send.

Facts come from ``idp-behaviors.md`` (sources E*, J*, O*). A check resting on a fact marked
[unconfirmed] there is Level.SHOULD (a WARN) and says so in ``rests_on``.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from harness.checks import CheckContext
from harness.discovery import CORE_GROUP, CORE_USER, ENTERPRISE_USER
from harness.recorder import Exchange
from scenarios.conformance.common import ids_of, random_id, read_back  # one set of probes for both suites

__all__ = [
    "ENTRA_FLAG",
    "ENTRA_GROUP_URN",
    "CORE_USER",
    "CORE_GROUP",
    "ENTERPRISE_USER",
    "eq_query",
    "lookup",
    "lookup_ids",
    "expect_lookup_miss",
    "ids_of",
    "random_id",
    "read_back",
    "send_patch",
    "entra_user_body",
    "members",
]

#: The flag an admin types onto Entra's Tenant URL to get RFC-compliant PATCH (seed 004, E2).
ENTRA_FLAG = "aadOptscim062020"
#: The extra schema URN Entra ID puts on every group it POSTs (E1).
ENTRA_GROUP_URN = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"


def eq_query(attribute: str, value: str, safe: str = "@", extra: str = "", op: str = "eq") -> str:
    """``filter=<attr>%20eq%20%22<value>%22`` encoded the way the IdPs send it (%20, %22)."""
    text = f"filter={attribute}%20{op}%20%22{quote(value, safe=safe)}%22"
    return f"{text}&{extra}" if extra else text


def lookup(ctx: CheckContext, endpoint: str, query: str) -> tuple[Exchange, dict[str, Any] | None]:
    """GET ``endpoint?query`` (raw, pre-encoded); the parsed body when it is a JSON object."""
    ex = ctx.get(endpoint, query=query)
    ctx.expect_answer(ex)
    body = ex.json_or_none()
    return ex, body if isinstance(body, dict) else None


def expect_lookup_miss(ctx: CheckContext, ex: Exchange, body: dict[str, Any] | None) -> None:
    """A lookup that finds nothing: 200 with an empty list, or 404 (JumpCloud and Okta accept both)."""
    ctx.expect(ex.status == 404 or (ex.status == 200 and body is not None and not ids_of(body)), "200 empty or 404",
               ex.status, ex, message=f"a lookup miss answered {ex.status}")


def lookup_ids(ctx: CheckContext, endpoint: str, query: str) -> tuple[list[str], Exchange]:
    """A lookup that must answer a 200 ListResponse; the ids it found."""
    ex = ctx.get(endpoint, query=query)
    body = ctx.expect_list_response(ex)
    return ids_of(body), ex


def send_patch(ctx: CheckContext, path: str, *operations: dict[str, Any], what: str, **kw: Any) -> Exchange:
    """Send the IdP's PATCH; FAIL unless it answers 200 or 204."""
    ex = ctx.patch_op(path, *operations, **kw)
    ctx.expect_status(ex, 200, 204, message=f"{what} answered {ex.status}, expected 200 or 204")
    return ex


def entra_user_body(ctx: CheckContext, user_name: str | None = None) -> dict[str, Any]:
    """The create body Entra ID sends (E1), with the enterprise URN when the target has it."""
    name = user_name or f"{ctx.unique('entra')}@contoso.example"
    schemas = [CORE_USER]
    if ctx.discovery.has_extension("User", ENTERPRISE_USER):
        schemas.append(ENTERPRISE_USER)
    return {
        "schemas": schemas,
        "externalId": name.split("@")[0],
        "userName": name,
        "active": True,
        "meta": {"resourceType": "User"},
        "emails": [{"primary": True, "type": "work", "value": name}],
        "name": {"formatted": "Jo Li", "familyName": "Li", "givenName": "Jo"},
        "roles": [],
    }


def members(group: dict[str, Any]) -> set[str]:
    items = group.get("members") or []
    return {str(m.get("value")) for m in items if isinstance(m, dict)} if isinstance(items, list) else set()
