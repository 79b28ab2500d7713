"""Sans-IO provisioning flows: generators that yield requests and are sent responses.

A flow plans what an IdP sends for one intent (provision a user, deactivate it, sync a
group, test the connection); it never touches the network or the clock (style.md
principle 7). The driver sends each yielded :class:`Request` and ``.send()``s back the
recorded ``Exchange``; the flow returns a :class:`FlowResult` that becomes a log entry.
Every shape comes from the :class:`~harness.idp.profile.Profile` (idp-behaviors.md §2, §5).
User flows and the shared pieces live here; group flows in ``groupflows.py``, the Test
Connection in ``connection.py``.
"""

from __future__ import annotations

from collections.abc import Generator
from dataclasses import dataclass, field
from typing import Any

from harness.http import NO_TOKEN
from harness.idp import requests as build
from harness.idp.paths import read
from harness.idp.profile import Profile
from harness.idp.requests import Change, Request
from harness.recorder import Exchange

__all__ = [
    "FlowResult", "WantUser", "WantGroup", "Flow",
    "provision_user", "deactivate_user", "delete_user", "set_manager",
    "diff", "normalize", "failed", "find_object", "answered", "list_resources",
]


@dataclass
class FlowResult:
    """What one flow did: the raw material of a provisioning-log entry."""

    action: str  # create | update | disable | delete | other
    status: str  # success | failure | skipped | warning
    target_id: str | None = None
    changes: list[Change] = field(default_factory=list)
    steps: list[tuple[str, str, str, str]] = field(default_factory=list)  # name, type, status, description
    error_code: str | None = None
    reason: str | None = None
    http_status: int | None = None
    quarantine: str | None = None  # why this failure quarantines the job at once
    escrow: bool = False
    detail: str = ""  # the target's own words about a failure (bounded)


@dataclass(frozen=True)
class WantUser:
    """A user as the directory and mappings say the target should hold it."""

    key: str  # directory object id
    display: str
    match: tuple[tuple[str, str], ...]  # (target path, value) in precedence order
    create: dict[str, Any]  # attributes for a POST (defaults applied)
    update: dict[str, Any]  # attributes compared and PATCHed ("apply always")
    manager: str | None = None  # resolved target id of the manager
    missing: tuple[str, ...] = ()  # required attributes without a value
    linked_id: str | None = None
    fallback_to_link: bool = True
    manager_path: str | None = None  # the mapping's manager reference target; None: it maps no manager
    password: str = ""  # a random password for the POST (Okta, O1); "" = none
    by_id: bool = False  # a linked user is read by GET /Users/{id}, not looked up (Okta)


@dataclass(frozen=True)
class WantGroup:
    key: str
    display_name: str
    attributes: dict[str, Any]
    add: tuple[str, ...] = ()  # target ids of members to add
    remove: tuple[str, ...] = ()
    linked_id: str | None = None
    members: tuple[str, ...] = ()  # target ids of every member the group should hold
    displays: dict[str, str] = field(default_factory=dict)  # target id -> userName (Okta's display)


Flow = Generator[Request, Exchange, FlowResult]

_CODES = {
    400: "SystemForCrossDomainIdentityManagementBadRequest",
    401: "SystemForCrossDomainIdentityManagementCredentialValidationUnavailable",
    403: "SystemForCrossDomainIdentityManagementForbidden",
    404: "SystemForCrossDomainIdentityManagementNotFound",
    409: "SystemForCrossDomainIdentityManagementEntryConflict",
    429: "SystemForCrossDomainIdentityManagementThrottled",
    500: "SystemForCrossDomainIdentityManagementServiceFailure",
    501: "SystemForCrossDomainIdentityManagementNotImplemented",
}


def failed(action: str, ex: Exchange, what: str, profile: Profile, result: FlowResult | None = None) -> FlowResult:
    """A failed change, with the SP's own words (bounded) as Entra echoes them (E13)."""
    if ex.error is not None and ex.error.startswith(NO_TOKEN):  # the token endpoint failed: a credentials failure
        code, detail = _CODES[401], ex.error
    elif ex.error is not None:
        code, detail = "HttpRequestException", ex.error
    else:
        code = _CODES.get(ex.status or 0, f"SystemForCrossDomainIdentityManagementHttp{ex.status}")
        body = ex.json_or_none()
        detail = str(body.get("detail") or "") if isinstance(body, dict) else ""
        detail = detail or (ex.response_body or "")[:200]
    out = result or FlowResult(action, "failure")
    out.action, out.status = action, "failure"
    out.error_code = code
    out.http_status = ex.status
    out.detail = detail
    out.reason = f"{what} failed: HTTP {ex.status}" + (f": {detail}" if detail else "") if ex.status else f"{what} failed: {detail}"
    out.escrow = profile.on_failure == "escrow"
    if ex.status in {401, 403} and profile.quarantine_on_auth_failure:
        out.quarantine = "The target rejected the credentials (HTTP %s)." % ex.status
    elif code == _CODES[401] and profile.quarantine_on_auth_failure:
        out.quarantine = f"The credentials could not be used: {ex.error}."[:300]
    out.steps.append((what, "export", "failure", out.reason))
    return out


def list_resources(ex: Exchange) -> list[dict[str, Any]] | None:
    body = ex.json_or_none()
    if not isinstance(body, dict):
        return None
    items = body.get("Resources", [])
    if not isinstance(items, list):
        return None
    return [i for i in items if isinstance(i, dict)]


def find_object(profile: Profile, kind: str, match: tuple[tuple[str, str], ...], linked: str | None, result: FlowResult,
          fallback: bool = True) -> Generator[Request, Exchange, tuple[dict[str, Any] | None, Exchange | None]]:
    """Lookup by each matching attribute (first hit wins, E6), then by the linked id.

    Returns ``(resource or None, failing exchange or None)``.
    """
    for path, value in match:
        ex = yield build.lookup(profile, kind, value, path if kind == "User" else None)
        if ex.status == 200:
            items = list_resources(ex)
            if items is None:
                return None, ex
            if items:
                result.steps.append(("matching", "matching", "success", f"found {kind} by {path} eq {value!r}"))
                return items[0], None
            continue
        if ex.status == 404 and profile.not_found_404_ok:
            continue
        if ex.status == 404 and profile.quarantine_on_probe_404:
            result.quarantine = f"The target answered 404 to a {kind} lookup instead of an empty list."
        return None, ex
    if linked and fallback:
        ex = yield build.get_by_id(profile, kind, linked)
        if ex.status == 200 and isinstance(ex.json_or_none(), dict):
            result.steps.append(("matching", "matching", "success", f"found {kind} by its linked id"))
            return ex.json(), None
        if ex.status not in {404, 410}:
            return None, ex
    result.steps.append(("matching", "matching", "success", f"no {kind} matched; it will be created"))
    return None, None


# -- comparing and PATCH bodies ----------------------------------------------------------------
def normalize(value: Any) -> Any:
    """Compare like an IdP: "True"/"False" strings as booleans, references by their id, roles by value."""
    if isinstance(value, str) and value.lower() in {"true", "false"}:
        return value.lower() == "true"
    if isinstance(value, dict) and "value" in value and set(value) <= {"value", "$ref", "displayName", "display"}:
        return value.get("value")  # a reference (manager): compare ids
    if isinstance(value, list) and value and all(isinstance(v, dict) and "value" in v for v in value):
        return sorted(str(v["value"]) for v in value)  # multi-valued complex (roles): compare the values held
    return value


def diff(want: dict[str, Any], current: dict[str, Any]) -> list[Change]:
    """Attributes whose wanted value differs from what the target holds (no nulls sent, E1)."""
    changes = []
    for path, new in want.items():
        old = read(current, path)
        if normalize(old) != normalize(new):
            changes.append(Change(path, old, new))
    return changes


def answered(ex: Exchange, *statuses: int) -> bool:
    return ex.error is None and ex.status in statuses


# -- user flows --------------------------------------------------------------------------------
def _match(want: WantUser) -> tuple[tuple[str, str], ...]:
    """The lookups before a write: none for a linked user the IdP reads by id (Okta, O1)."""
    return () if want.by_id and want.linked_id else want.match


def provision_user(profile: Profile, want: WantUser, references: set[str] = frozenset()) -> Flow:  # type: ignore[assignment]
    """Lookup, then POST on a miss or PATCH what differs on a hit (E1, E3; J1)."""
    result = FlowResult("other", "success")
    if want.missing:
        result.status = "skipped"
        result.reason = f"required attribute(s) without a value: {', '.join(want.missing)}; nothing was sent"
        result.steps.append(("scoping", "scoping", "skipped", result.reason))
        return result
    current, bad = yield from find_object(profile, "User", _match(want), want.linked_id, result,
                                          want.fallback_to_link or want.by_id)
    if bad is not None:
        return failed("other", bad, "lookup", profile, result)
    if current is None:
        if want.create.get("active") is False:
            result.status = "skipped"
            result.reason = "not created: the user is disabled or soft-deleted (E6)"
            return result
        ex = yield build.create_user(profile, want.create, references, want.password)
        body = ex.json_or_none()
        if answered(ex, 200, 201) and isinstance(body, dict) and body.get("id"):
            result.action, result.target_id = "create", str(body["id"])
            result.changes = [Change(k, None, v) for k, v in want.create.items() if k not in references]
            result.steps.append(("export", "export", "success", f"created user {want.display}"))
            return result
        if ex.status == 409 and profile.on_conflict == "lookup-update":
            result.steps.append(("export", "export", "warning", "409 on create: looking it up again"))
            current, bad = yield from find_object(profile, "User", want.match, None, result)
            if current is None:
                return failed("create", bad or ex, "create", profile, result)
        else:
            return failed("create", ex, "create", profile, result)
    result.target_id = str(current.get("id", ""))
    wanted = dict(want.update)
    if want.manager and want.manager_path:
        wanted[want.manager_path] = want.manager
    changes = diff(wanted, current)
    if not changes:
        result.steps.append(("processing", "processing", "success", "no change: the target already matches"))
        return result
    only_active = [c.path for c in changes] == ["active"]
    action = "disable" if only_active and normalize(changes[0].new) is False else "update"
    # a change of ``active`` alone is a (re)activation, in the profile's deactivation form (O1: path-less)
    ex = yield (build.set_active(profile, result.target_id, bool(normalize(changes[0].new)), current) if only_active
                else build.update_user(profile, result.target_id, changes, current))
    if not answered(ex, 200, 204):
        return failed(action, ex, "update", profile, result)
    result.action, result.changes = action, changes
    result.steps.append(("export", "export", "success", f"{action}d user {want.display}"))
    return result


def deactivate_user(profile: Profile, want: WantUser) -> Flow:
    """Out of scope, unassigned, disabled or soft-deleted: PATCH ``active`` false only (E3)."""
    result = FlowResult("disable", "success")
    current, bad = yield from find_object(profile, "User", _match(want), want.linked_id, result,
                                          want.fallback_to_link or want.by_id)
    if bad is not None:
        return failed("disable", bad, "lookup", profile, result)
    if current is None:
        result.action, result.status = "other", "skipped"
        result.reason = "not on the target: nothing to deactivate"
        return result
    result.target_id = str(current.get("id", ""))
    if normalize(read(current, "active")) is False:
        result.action = "other"
        result.steps.append(("processing", "processing", "success", "already inactive on the target"))
        return result
    change = Change("active", read(current, "active"), False)
    ex = yield build.set_active(profile, result.target_id, False, current)
    if not answered(ex, 200, 204):
        return failed("disable", ex, "deactivate", profile, result)
    result.changes = [change]
    result.steps.append(("export", "export", "success", f"deactivated user {want.display}"))
    return result


def delete_user(profile: Profile, want: WantUser, target_id: str | None = None) -> Flow:
    """Hard delete: ``DELETE /Users/{id}``; on a fallback status, deactivate instead (J1)."""
    result = FlowResult("delete", "success")
    if target_id is None:
        current, bad = yield from find_object(profile, "User", want.match, want.linked_id, result, want.fallback_to_link)
        if bad is not None:
            return failed("delete", bad, "lookup", profile, result)
        if current is None:
            result.action, result.status, result.reason = "other", "skipped", "not on the target: nothing to delete"
            return result
        target_id = str(current.get("id", ""))
    result.target_id = target_id
    ex = yield build.delete("User", target_id)
    if answered(ex, 200, 204):
        result.steps.append(("export", "export", "success", f"deleted user {want.display}"))
        return result
    if ex.status in profile.delete_fallback_statuses:
        change = Change("active", True, False)
        ex2 = yield build.set_active(profile, target_id, False)
        if answered(ex2, 200, 204):
            result.action, result.changes = "disable", [change]
            result.status = "warning"
            result.reason = f"DELETE answered {ex.status}: the user was deactivated instead and left behind"
            return result
        return failed("disable", ex2, "deactivate", profile, result)
    return failed("delete", ex, "delete", profile, result)


def set_manager(profile: Profile, want: WantUser, target_id: str) -> Flow:
    """The manager reference, after every user exists (E3 referenceResolution)."""
    result = FlowResult("update", "success", target_id=target_id)
    ex = yield build.set_manager(profile, target_id, str(want.manager), want.manager_path or build.MANAGER)
    if not answered(ex, 200, 204):
        return failed("update", ex, "manager reference", profile, result)
    result.changes = [Change("manager", None, want.manager)]
    result.steps.append(("referenceResolution", "referenceResolution", "success", "manager reference set"))
    return result
