"""Small helpers the RFC conformance checks share.

Nothing here judges on its own: helpers read, fetch and compare, and the checks decide.
Everything is written from RFC 7643/7644, never from any server's code.
"""

from __future__ import annotations

import re
import uuid
from datetime import datetime
from typing import Any

from harness.checks import ERROR_URN, CheckContext, CouldNotJudge
from harness.discovery import CORE_GROUP, CORE_USER, ENTERPRISE_USER
from harness.fixtures import declares, writable_strings
from harness.recorder import Exchange
from scenarios.causes import DELETED_STILL_READABLE, ERROR_STATUS_NOT_STRING, PAGING_IGNORED, PROJECTION_IGNORED

__all__ = [
    "CORE_USER",
    "CORE_GROUP",
    "ENTERPRISE_USER",
    "ERROR_URN",
    "SCIM_TYPES",
    "SPC_URN",
    "RESOURCE_TYPE_URN",
    "SCHEMA_URN",
    "random_id",
    "resource_path",
    "ids_of",
    "read_back",
    "fetch",
    "post_and_track",
    "parse_datetime",
    "is_scim_json",
    "find_key",
    "user_schema_urns",
    "expect_error",
    "judge_error_body",
    "skip_unless_user_groups",
    "free_strings",
    "user_declares",
    "expect_projected",
    "expect_page_size",
    "expect_deleted",
    "unless_deleted",
    "group_with_members",
    "MEMBERS_DROPPED",
]

SPC_URN = "urn:ietf:params:scim:schemas:core:2.0:ServiceProviderConfig"
RESOURCE_TYPE_URN = "urn:ietf:params:scim:schemas:core:2.0:ResourceType"
SCHEMA_URN = "urn:ietf:params:scim:schemas:core:2.0:Schema"

#: RFC 7644 §3.12 Table 9, plus "sensitive" (§7.5.2), with the HTTP status each goes with.
SCIM_TYPES: dict[str, int] = {
    "invalidFilter": 400,
    "tooMany": 400,
    "uniqueness": 409,
    "mutability": 400,
    "invalidSyntax": 400,
    "invalidPath": 400,
    "noTarget": 400,
    "invalidValue": 400,
    "invalidVers": 400,
    "sensitive": 403,
}

# xsd:dateTime (RFC 7643 §2.3.5): date, "T", time, optional fraction, optional zone.
_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$")


def random_id() -> str:
    """An id no target can have issued to us (a fresh UUID)."""
    return str(uuid.uuid4())


def resource_path(endpoint: str, resource: dict[str, Any]) -> str:
    """``/Users/{id}`` for a created resource."""
    return f"{endpoint}/{resource['id']}"


def ids_of(body: dict[str, Any] | None) -> list[str]:
    """The ids in a ListResponse, in order."""
    return [str(r.get("id")) for r in (body or {}).get("Resources") or [] if isinstance(r, dict)]


def read_back(ctx: CheckContext, path: str, **kw: Any) -> tuple[dict[str, Any], Exchange]:
    """GET one resource the check created; ERROR if it cannot be read at all."""
    ex = ctx.get(path, **kw)
    ctx.expect_answer(ex)
    if ex.status != 200:
        raise CouldNotJudge(f"could not read back {path}: GET answered {ex.status}", ex)
    body = ctx.expect_json(ex)
    if not isinstance(body, dict):
        raise CouldNotJudge(f"could not read back {path}: the body is not an object", ex)
    return body, ex


def fetch(ctx: CheckContext, endpoint: str, resource: dict[str, Any], **kw: Any) -> tuple[dict[str, Any], Exchange]:
    """GET a resource this check created; FAIL if the target does not answer 200 with an object."""
    ex = ctx.get(resource_path(endpoint, resource), **kw)
    return ctx.expect_resource(ex, 200), ex


def post_and_track(ctx: CheckContext, endpoint: str, body: Any = None, **kw: Any) -> Exchange:
    """POST ``body``; if the target created something (even wrongly), register it for cleanup."""
    ex = ctx.post(endpoint, body, **kw)
    created = ex.json_or_none()
    if ex.status in (200, 201) and isinstance(created, dict) and isinstance(created.get("id"), str) and created["id"]:
        ctx.created(f"{endpoint}/{created['id']}")
    return ex


def parse_datetime(value: Any) -> datetime | None:
    """An xsd:dateTime string as an aware datetime, or ``None`` when it is not one."""
    if not isinstance(value, str) or not _DATETIME.match(value):
        return None
    text = value[:-1] + "+00:00" if value.endswith("Z") else value
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else None


def is_scim_json(content_type: str | None) -> bool:
    """``application/scim+json`` with optional parameters such as ``charset=utf-8`` (RFC 7644 §8.1)."""
    if not content_type:
        return False
    return content_type.split(";")[0].strip().lower() == "application/scim+json"


def find_key(value: Any, key: str) -> bool:
    """Whether ``key`` (case-insensitive) appears as an object key anywhere in ``value``."""
    lowered = key.lower()
    if isinstance(value, dict):
        return any(str(k).lower() == lowered or find_key(v, key) for k, v in value.items())
    if isinstance(value, list):
        return any(find_key(v, key) for v in value)
    return False


def user_schema_urns(ctx: CheckContext) -> set[str]:
    """The URNs a User may list in ``schemas``: its base schema and declared extensions."""
    rt = ctx.discovery.resource_type("User") or {}
    base = rt.get("schema") if isinstance(rt.get("schema"), str) else CORE_USER
    return {str(base)} | {e["schema"] for e in ctx.discovery.extensions("User")}


def expect_error(ctx: CheckContext, ex: Exchange, *statuses: int, scim_type: str | None = None) -> dict[str, Any]:
    """Judge one behaviour by its status alone (one cause, one finding): the error-shape checks
    (errors.body-shape, errors.scim-type-vocabulary) judge the body. scimType is OPTIONAL
    (RFC 7644 §3.12), so a missing or other one is a note, never a failure here."""
    ctx.expect_error_status(ex, *statuses)
    body = ex.json_or_none()
    body = body if isinstance(body, dict) else {}
    if scim_type is not None and body.get("scimType") != scim_type:
        ctx.note(f"the {ex.status} carried scimType {body.get('scimType')!r}; Table 9 names {scim_type!r} for this")
    return body


def judge_error_body(ctx: CheckContext, ex: Exchange) -> dict[str, Any]:
    """The SCIM Error body of an error answer: the Error URN and ``status`` as a string.
    A numeric status is the shared cause ``error-status-not-string``."""
    body = ctx.expect_json(ex)
    if not isinstance(body, dict):
        ctx.fail(f"the {ex.status} error body is not a JSON object", "a SCIM Error object", body, ex)
    schemas = body.get("schemas")
    ctx.expect(isinstance(schemas, list) and ERROR_URN in schemas, f"schemas [{ERROR_URN}]", schemas, ex,
               message=f"the {ex.status} error body lacks the SCIM Error schema")
    status = body.get("status")
    ctx.expect(status == str(ex.status), f'"status": "{ex.status}" (a string)', status, ex,
               message=f"the {ex.status} error's status is {status!r}, not the string {str(ex.status)!r}",
               cause=ERROR_STATUS_NOT_STRING)
    return body


def skip_unless_user_groups(ctx: CheckContext) -> None:
    """SKIP a check of User.groups when the target's User schema does not offer it (or never
    returns it): RFC 7643 §4.1.2 binds the values a server returns, not that it returns them."""
    if ctx.discovery.schema(CORE_USER) is None:
        return  # no /Schemas to read: judge what comes back
    attribute = ctx.discovery.attribute(CORE_USER, "groups")
    if attribute is None or attribute.get("returned") == "never":
        ctx.skip("the target's User schema does not return groups")


def free_strings(ctx: CheckContext, *prefer: str, need: int = 1) -> list[str]:
    """Writable single-valued string attributes the target's User schema declares (``prefer``
    first; harness.fixtures.writable_strings): what a check that exercises "some writable string
    attribute" writes and reads back. SKIP, not applicable, when the schema declares fewer than
    ``need``: an attribute the target does not declare it may ignore (RFC 7644 §3.3)."""
    found = writable_strings(ctx.discovery, CORE_USER, prefer)
    if len(found) < need:
        ctx.skip(f"not applicable: the target's User schema declares {len(found)} writable single-valued string "
                 f"attribute(s) other than userName; this check needs {need}")
    return found


def user_declares(ctx: CheckContext, path: str) -> bool:
    """Whether the target's User schema declares ``path`` (True when it publishes none)."""
    return declares(ctx.discovery, CORE_USER, path)


def _projection_ignored(ctx: CheckContext) -> bool:
    """Whether the target ignores ``attributes`` and ``excludedAttributes`` altogether: a user of
    this check's own, read with ``attributes=userName`` and with ``excludedAttributes=emails``,
    comes back with its emails both times."""
    user = ctx.create_user()
    path = resource_path(ctx.users, user)
    only = ctx.get(path, params={"attributes": "userName"}).json_or_none()
    without = ctx.get(path, params={"excludedAttributes": "emails"}).json_or_none()
    return all(isinstance(b, dict) and find_key(b.get("emails"), "value") for b in (only, without))


def expect_projected(ctx: CheckContext, condition: Any, expected: Any, seen: Any, ex: Exchange, message: str,
                     *, refinement: bool = False) -> None:
    """Judge that a projection (attributes / excludedAttributes) was applied.

    When it was not and the target ignores both parameters altogether, that one behaviour is the
    shared cause ``projection-ignored`` (one finding however many checks see it). A check about
    a refinement of the projection (URN-qualified or differently cased names, sub-attributes)
    then cannot observe its own behaviour: ERROR, not judged, naming the cause."""
    if condition:
        return
    if _projection_ignored(ctx):
        why = "the target ignores attributes= and excludedAttributes= altogether"
        if refinement:
            raise CouldNotJudge(f"not observable: {why} ({message})", ex, PROJECTION_IGNORED)
        ctx.fail(f"{message}: {why}", expected, seen, ex, cause=PROJECTION_IGNORED)
    ctx.fail(message, expected, seen, ex)


def expect_page_size(ctx: CheckContext, body: dict[str, Any], ex: Exchange, count: int, *, subject: bool = True) -> None:
    """A page asked for with ``count`` holds at most ``max(count, 0)`` resources (RFC 7644
    §3.4.2.4). More means count is ignored: the shared cause ``paging-ignored``, a FAIL for a
    check whose subject is paging, else ERROR (the check's own behaviour is not observable)."""
    got = len(ids_of(body))
    if got <= max(count, 0):
        return
    message = f"count={count} returned {got} resources: count is ignored"
    if not subject:
        raise CouldNotJudge(f"not observable: {message}, so pages cannot be compared", ex, PAGING_IGNORED)
    ctx.fail(message, f"at most {max(count, 0)} resources", got, ex, cause=PAGING_IGNORED)


def expect_deleted(ctx: CheckContext, path: str, message: str = "GET after DELETE did not answer 404") -> None:
    """After a DELETE that answered 2xx, GET ``path`` answers 404 (RFC 7644 §3.6). A 200 means the
    resource was not deleted at all: the shared cause ``deleted-still-readable``, whichever check
    (RFC or IdP) sees it."""
    ex = ctx.get(path)
    if ex.status == 200:
        ctx.fail(f"{message}: the deleted resource is still readable (200)", "404", 200, ex, cause=DELETED_STILL_READABLE)
    ctx.expect_error_status(ex, 404, message=message)


def unless_deleted(ctx: CheckContext, path: str, message: str, *, subject: bool = True) -> None:
    """Called where a check saw the traces of a deleted resource (still listed, still a member,
    its name still taken): if GET ``path`` still answers 200 the DELETE deleted nothing, which is
    the shared cause ``deleted-still-readable``: a FAIL under it when the trace is what the check
    is about (``subject``), else ERROR, the check's own behaviour being not observable."""
    ex = ctx.get(path)
    if ex.status != 200:
        return
    why = f"{message}; the deleted resource is still readable (GET answers 200): DELETE does not delete"
    if not subject:
        raise CouldNotJudge(f"not observable: {why}", ex, DELETED_STILL_READABLE)
    ctx.fail(why, "404", 200, ex, cause=DELETED_STILL_READABLE)


#: The check that judges a group POST's members (a check's id is its own cause).
MEMBERS_DROPPED = "groups.members-round-trip"


def group_with_members(ctx: CheckContext, users: list[dict[str, Any]]) -> dict[str, Any]:
    """A group of this check's own, created with ``users`` as members and read back. ERROR (not
    judged) when the target does not list them: the members of a group POST are
    groups.members-round-trip's subject, and a check about changing members has nothing to change."""
    group = ctx.create_group(members=[{"value": u["id"]} for u in users])
    body, ex = read_back(ctx, resource_path(ctx.groups, group))
    listed = {str(m.get("value")) for m in body.get("members") or [] if isinstance(m, dict)}
    if not {str(u["id"]) for u in users} <= listed:
        raise CouldNotJudge(f"not judged: the group created with {len(users)} member(s) lists {len(listed)} of them "
                            f"(judged by {MEMBERS_DROPPED})", ex, MEMBERS_DROPPED)
    return group
