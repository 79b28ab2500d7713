"""Remove what test runs left behind: users and groups whose name starts with a prefix.

``cleanup(target, prefix)`` lists users (``userName``, ``displayName``) and groups
(``displayName``) with the filter ``sw`` (RFC 7644 §3.4.2.2); when the target does not support that filter it pages
through the whole list instead (§3.4.2.4). Only objects whose name *really* starts with the
prefix are deleted: the match is re-checked here, so a target that ignores the filter can
never make us delete someone else's data. Ids are URL-quoted (an id is untrusted text).

Bounded: at most ``max_pages`` pages of ``page_size`` per resource type; every request has
the target's timeout. A 429 is honoured: the request is sent again after ``Retry-After``
(:data:`~harness.retry.MAX_ATTEMPTS` sends at most; a wait longer than
:data:`~harness.retry.MAX_WAIT_SECONDS` is not waited, the 429 stands), on the client's clock. Returns a :class:`CleanupResult`; never raises for what the target does.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote

import httpx

from harness.clock import Clock
from harness.config import check_prefix
from harness.discovery import Discovery, discover
from harness.http import Target, TargetClient
from harness.retry import send_honouring_429

__all__ = ["cleanup", "CleanupResult", "NAME_ATTRIBUTES"]

#: Which attributes carry the prefix, per resource type (the harness names objects this way).
NAME_ATTRIBUTES: dict[str, tuple[str, ...]] = {"User": ("userName", "displayName"), "Group": ("displayName",)}


@dataclass
class CleanupResult:
    prefix: str
    found: list[str] = field(default_factory=list)  # resource paths, e.g. /Users/123
    deleted: list[str] = field(default_factory=list)
    failed: list[tuple[str, str]] = field(default_factory=list)  # (path, why)
    methods: dict[str, str] = field(default_factory=dict)  # resource type -> "filter" | "paging"
    problems: list[str] = field(default_factory=list)  # listings that did not work
    dry_run: bool = False
    no_token: bool = False  # OAuth: no access token could be had, so nothing was tried

    @property
    def complete(self) -> bool:
        """Everything found was removed and every listing worked."""
        return not self.failed and not self.problems

    @property
    def exit_code(self) -> int:
        """0 all removed; 1 some left (or a listing failed); 2 nothing could be listed."""
        if self.no_token or (self.problems and len(self.problems) >= len(NAME_ATTRIBUTES) and not self.found):
            return 2
        return 0 if self.complete else 1

    def summary(self) -> str:
        verb = "would delete" if self.dry_run else "deleted"
        done = len(self.found) if self.dry_run else len(self.deleted)
        text = f"cleanup of prefix {self.prefix!r}: found {len(self.found)}, {verb} {done}"
        if self.failed:
            text += f", could not delete {len(self.failed)} ({self.failed[0][0]}: {self.failed[0][1]}"
            text += ", …)" if len(self.failed) > 1 else ")"
        if self.problems:
            text += "; " + "; ".join(self.problems)
        return text


def _matches(resource: dict[str, Any], prefix: str, attrs: tuple[str, ...]) -> bool:
    lowered = prefix.casefold()
    return any(isinstance(resource.get(a), str) and resource[a].casefold().startswith(lowered) for a in attrs)


def _list(
    client: TargetClient, endpoint: str, prefix: str, attrs: tuple[str, ...], page_size: int, max_pages: int
) -> tuple[dict[str, str], str, str | None]:
    """``{id: name}`` of matching resources, the method used, and a problem (or None)."""
    found: dict[str, str] = {}

    def page(params: dict[str, Any]) -> tuple[list[dict[str, Any]] | None, int | None, str]:
        ex = send_honouring_429(lambda: client.get(endpoint, params=params), client.clock)
        if ex.error:
            return None, None, f"GET {endpoint}: {ex.error}"
        if ex.status in (401, 403):
            return None, None, (f"GET {endpoint} answered {ex.status}: the target refused the credentials "
                                f"({client.target.auth.describe()})")
        body = ex.json_or_none()
        if ex.status != 200 or not isinstance(body, dict) or not isinstance(body.get("Resources", []), list):
            return None, None, f"GET {endpoint} answered {ex.status}"
        total = body.get("totalResults")
        items = [r for r in body.get("Resources", []) if isinstance(r, dict)]
        return items, total if isinstance(total, int) and not isinstance(total, bool) else None, ""

    def walk(base: dict[str, Any]) -> str | None:
        start, seen = 1, set[str]()
        for _ in range(max_pages):
            items, total, problem = page({**base, "startIndex": start, "count": page_size})
            if items is None:
                return problem
            ids = {str(item.get("id")) for item in items}
            if not items or ids <= seen:
                return None  # the end; or a target that ignores startIndex and repeats a page
            seen |= ids
            for item in items:
                rid = item.get("id")
                if isinstance(rid, str) and rid and _matches(item, prefix, attrs):
                    found[rid] = next(str(item[a]) for a in attrs if isinstance(item.get(a), str))
            start += len(items)
            if total is not None and start > total:
                return None
        return None

    problem = None
    for attr in attrs:  # one filter per naming attribute: userName sw "p", then displayName sw "p"
        problem = walk({"filter": f'{attr} sw "{prefix}"'})
        if problem is not None:
            break
    if problem is None:
        return found, "filter", None
    if "refused the credentials" in problem:
        return found, "filter", problem  # paging would be refused the same way
    problem = walk({})  # no usable filter: read every page and match here
    return found, "paging", problem


def cleanup(
    target: Target | TargetClient,
    prefix: str,
    *,
    http: httpx.Client | None = None,
    clock: Clock | None = None,
    discovery: Discovery | None = None,
    dry_run: bool = False,
    page_size: int = 100,
    max_pages: int = 50,
) -> CleanupResult:
    """Delete users and groups whose name starts with ``prefix`` (see the module docstring)."""
    check_prefix(prefix)
    own = not isinstance(target, TargetClient)
    client = TargetClient(target, http=http, clock=clock) if isinstance(target, Target) else target
    result = CleanupResult(prefix=prefix, dry_run=dry_run)
    try:
        no_token = client.token_problem()
        if no_token:
            result.problems.append(f"could not get an access token: {no_token}")
            result.no_token = True
            return result
        if discovery is None:
            discovery, _ = discover(client)
        # Groups first: deleting a group never touches its members, and it frees them.
        for name in ("Group", "User"):
            endpoint = discovery.endpoint(name)
            found, method, problem = _list(client, endpoint, prefix, NAME_ATTRIBUTES[name], page_size, max_pages)
            result.methods[name] = method
            if problem:
                result.problems.append(f"could not list {endpoint}: {problem}")
            for rid in found:
                path = f"{endpoint}/{quote(rid, safe='')}"
                result.found.append(path)
                if dry_run:
                    continue
                ex = send_honouring_429(lambda: client.delete(path), client.clock)
                if ex.error:
                    result.failed.append((path, ex.error))
                elif ex.status in (200, 204, 404):  # 404: already gone, which is what we want
                    result.deleted.append(path)
                else:
                    result.failed.append((path, f"DELETE answered {ex.status}"))
    finally:
        if own:
            client.close()
    return result
