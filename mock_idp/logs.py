"""Provisioning-log records, one JSON object per change (Entra's provisioning logs, E8).

Field names follow Graph's ``provisioningObjectSummary`` as /tmp/simulation-schema.md fixes
them; every timestamp comes from the injected clock and every id from seeded counters, so the
same seed writes the same ``provisioning.jsonl`` byte for byte.
"""

from __future__ import annotations

import json
import uuid
from collections import deque
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import IO, Any, NamedTuple

from harness.clock import isoformat
from mock_idp.flows import FlowResult

__all__ = ["ProvisioningLog", "Source", "LOG_FILE"]

LOG_FILE = "provisioning.jsonl"
_NAMESPACE = uuid.UUID("6f2b9f0e-3c7d-4d8e-9a51-5c1c2b7e0a11")

#: ``json.dumps(entry, ensure_ascii=False, separators=(",", ":"))`` without a new encoder per line.
_ENCODE = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode

_RECOMMENDED = {
    400: "Check the attribute values and PATCH forms the target rejects; the change will be retried.",
    401: "Check the Secret Token in the admin credentials, then restart provisioning.",
    403: "Check the Secret Token's permissions, then restart provisioning.",
    404: "The target must answer an unmatched filter with 200 and an empty ListResponse.",
    409: "An object with the same unique value already exists on the target: match or remove it.",
    429: "The target is throttling; the change will be retried.",
}


class Source(NamedTuple):
    """The directory object a change is about (``sourceIdentity``)."""

    object_id: str
    display: str
    kind: str  # User | Group


#: What Okta's Tasks say about a failed change, before the SP's own message (O8).
_TASK_ACTIONS = {
    ("User", "create"): "Automatic provisioning of user failed: Error while creating user",
    ("User", "update"): "Automatic profile push of user failed: Error while trying to push profile update for",
    ("User", "disable"): "Automatic deactivation of user failed: Error while deactivating user",
    ("User", "other"): "Automatic provisioning of user failed: Error while looking up user",
    ("Group", "create"): "Push group failed: Error while creating group",
    ("Group", "update"): "Push group failed: Error while pushing group",
    ("Group", "delete"): "Push group failed: Error while deleting group",
    ("Group", "other"): "Push group failed: Error while looking up group",
    ("Import", "other"): "Import failed: Error while importing from the app",
}


class ProvisioningLog:
    """Writes log entries to ``provisioning.jsonl`` and keeps the last ``tail`` in memory.

    ``task_template`` (a profile's ``task_message_template``) adds the admin-facing task text
    to every failed entry (Okta's Tasks: "<Okta message>: <SP message>").
    """

    def __init__(self, job_id: str, source_system: str, path: Path | None = None, tail: int = 2000,
                 task_template: str = "") -> None:
        self.task_template = task_template
        self.job_id = job_id
        self.source_system = source_system
        self.path = path
        self.tail: deque[dict[str, Any]] = deque(maxlen=tail)
        self.count = 0
        self._file: IO[str] | None = path.open("w", encoding="utf-8", newline="\n") if path else None
        # changeIds: a UUID per job, then counted (cheaper than hashing each one; still stable)
        self._base = uuid.uuid5(_NAMESPACE, job_id).int & ~((1 << 64) - 1)
        # the last second stamped, [start, end), and its text; empty until the first stamp
        self._second = self._next_second = datetime.max.replace(tzinfo=timezone.utc)
        self._prefix = ""

    def close(self) -> None:
        if self._file is not None:
            self._file.close()
            self._file = None

    def record(
        self,
        cycle_id: str,
        at: datetime,
        duration_ms: int,
        result: FlowResult,
        source: Source,
        exchange_ids: list[str],
        next_retry: datetime | None = None,
    ) -> dict[str, Any]:
        self.count += 1
        object_id, display, kind = source
        steps = [
            {"name": "import", "provisioningStepType": "import", "status": "success",
             "description": f"Received {kind} '{display}' from {self.source_system}", "details": {}},
            {"name": "scoping", "provisioningStepType": "scoping", "status": "success",
             "description": f"{kind} '{display}' is in scope or was provisioned before", "details": {}},
        ]
        for n, t, s, d in result.steps:
            steps.append({"name": n, "provisioningStepType": t, "status": s, "description": d, "details": {}})
        # str(uuid.UUID(int=…)) spelled out: the same 8-4-4-4-12 hex text without a UUID object
        h = f"{self._base | self.count:032x}"
        entry: dict[str, Any] = {
            "cycleId": cycle_id,
            "changeId": f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:]}",
            "jobId": self.job_id,
            "activityDateTime": self._stamp(at),
            "durationInMilliseconds": duration_ms,
            "provisioningAction": result.action,
            "status": result.status,
            "provisioningSteps": steps,
            "modifiedProperties": [  # None and strings (most values) need no conversion: skip the call
                {"displayName": c.path, "oldValue": c.old if c.old is None or type(c.old) is str else _text(c.old),
                 "newValue": c.new if c.new is None or type(c.new) is str else _text(c.new)} for c in result.changes
            ],
            "sourceIdentity": {"id": object_id, "displayName": display, "identityType": kind},
            "targetIdentity": {"id": result.target_id or "", "displayName": display, "identityType": kind},
            "exchangeIds": exchange_ids,
        }
        if result.status in {"failure", "skipped", "warning"} and (result.reason or result.error_code):
            reason = result.reason or ""
            if next_retry is not None:
                reason += f" The change is escrowed; next retry at {isoformat(next_retry)}."
            entry["statusInfo"] = {
                "errorCode": result.error_code or "",
                "reason": reason,
                "recommendedAction": _RECOMMENDED.get(result.http_status or 0, ""),
                "status": result.status,
            }
        if self.task_template and result.status == "failure":
            entry["task"] = self.task_text(result, source)
        if self._file is not None:
            self._file.write(_ENCODE(entry) + "\n")
        self.tail.append(entry)
        return entry

    def task_text(self, result: FlowResult, source: Source) -> str:
        """The task an admin sees for a failed change ("" when the IdP has no tasks)."""
        if not self.task_template:
            return ""
        action = _TASK_ACTIONS.get((source.kind, result.action), f"{source.kind} {result.action} failed")
        sp = result.detail or result.reason or result.error_code or ""
        return self.task_template.format(action=action, display=source.display, sp=sp)

    def _stamp(self, moment: datetime) -> str:
        """``isoformat(moment)``; the date and second are formatted once per second of clock time."""
        if moment.tzinfo is not timezone.utc:
            return isoformat(moment)
        if not self._second <= moment < self._next_second:
            second = moment.replace(microsecond=0)
            if second.year == 9999:  # second + 1 s could overflow: format this one whole
                return isoformat(moment)
            self._second, self._next_second = second, second + timedelta(seconds=1)
            self._prefix = isoformat(second)[:-4]  # "…T09:00:01." without "000Z"
        return f"{self._prefix}{moment.microsecond // 1000:03d}Z"


def _text(value: Any) -> str | None:
    if value is None:
        return None
    if isinstance(value, str):
        return value
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return str(value)
    return json.dumps(value, ensure_ascii=False, sort_keys=True)
