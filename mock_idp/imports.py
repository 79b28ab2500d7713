"""Sans-IO import: how Okta reads an app's users and groups (idp-behaviors §3 "Import").

Okta pages with ``startIndex=1&count=100``, then 101, … until ``totalResults``, over /Users and
/Groups, and needs integer paging fields and a stable order [confirmed O1]. The flow checks what
an admin would notice: every object the IdP provisioned is seen exactly once.

Imports run manually (a scripted ``import`` scenario event) or on the admin's hourly, daily or
weekly schedule [confirmed O3]: the profile's ``import_schedule``, which
:func:`scheduled_imports` turns into moments on the engine's clock.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from harness.idp import requests as build
from harness.idp.requests import Change
from mock_idp.flows import Flow, FlowResult, list_resources

__all__ = ["import_all", "scheduled_imports", "SCHEDULES", "PAGE", "MAX_PAGES"]

PAGE = 100
#: Bounded: a target that never ends a list cannot keep the import going.
MAX_PAGES = 1000
#: ``import_schedule`` → time between scheduled imports (None: manual, only scripted events).
SCHEDULES: dict[str, timedelta | None] = {"manual": None, "hourly": timedelta(hours=1), "daily": timedelta(days=1),
                                          "weekly": timedelta(weeks=1)}


def scheduled_imports(schedule: str, start: datetime, until: datetime) -> list[datetime]:
    """When a scheduled import runs between ``start`` and ``until``: the schedule is saved as the
    job starts, at the whole minute (a schedule names no seconds), so the first run is one
    interval later, then every interval, up to ``until`` inclusive (3 days of "daily" are 3
    imports, each at the job's start time of day)."""
    every = SCHEDULES[schedule]
    if every is None:
        return []
    start = start.replace(second=0, microsecond=0)
    count = (until - start) // every
    return [start + every * k for k in range(1, count + 1)]


def import_all(known: dict[str, set[str]], groups: bool = True) -> Flow:
    """Page through /Users (and /Groups); ``known`` holds the target ids the IdP provisioned."""
    result = FlowResult("other", "success")
    for kind in ("User", "Group") if groups else ("User",):
        seen: list[str] = []
        start = 1
        for _ in range(MAX_PAGES):
            ex = yield build.page(kind, start, PAGE)
            body = ex.json_or_none()
            items = list_resources(ex) if ex.status == 200 else None
            fields = [body.get(k) for k in ("startIndex", "itemsPerPage", "totalResults")] if isinstance(body, dict) else []
            if items is None or not all(isinstance(v, int) and not isinstance(v, bool) for v in fields):
                return _failed(result, f"{kind} import: page at startIndex={start} is not a ListResponse with "
                                       f"integer startIndex, itemsPerPage and totalResults (HTTP {ex.status})")
            seen.extend(str(i.get("id", "")) for i in items)
            start += len(items)
            if not items or start > int(body["totalResults"]):
                break
        repeated = len(seen) - len(set(seen))
        missing = known.get(kind, set()) - set(seen)
        if repeated or missing:
            return _failed(result, f"{kind} import: {repeated} listed twice, {len(missing)} provisioned "
                                   f"{kind.lower()}(s) never listed; paging skipped or repeated objects")
        result.changes.append(Change(f"{kind.lower()}s imported", None, str(len(seen))))
        result.steps.append(("import", "import", "success", f"imported {len(seen)} {kind.lower()}(s)"))
    return result


def _failed(result: FlowResult, reason: str) -> FlowResult:
    result.status, result.reason, result.detail = "failure", reason, reason
    result.steps.append(("import", "import", "failure", reason))
    return result
