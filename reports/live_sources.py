"""Where the live page's events come from while the demo runs.

- :func:`watching_client`: an ``httpx.Client`` whose response hook publishes each request's
  method, path and status the moment its answer arrives. Both the suite and the simulator
  accept an injected client, so the page sees their traffic live without either knowing
  about the page. The URL is redacted with the run's secrets before it is published.
- :class:`CycleWatcher`: follows ``provisioning.jsonl`` as the simulator appends to it and
  publishes running per-cycle counts (creates, updates, deactivations, deletes, failures);
  the exact cycle records replace them when the simulation returns (:meth:`final`).
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from harness.redact import Redactor
from reports.live import LiveFeed

__all__ = ["watching_client", "CycleWatcher", "COUNTED"]

#: provisioningAction values counted per cycle; anything else counts as "other".
COUNTED = ("create", "update", "disable", "delete")


def watching_client(feed: LiveFeed, source: str, redactor: Redactor, timeout: float = 60.0) -> httpx.Client:
    """An httpx client like the harness's own (no redirects, no proxies from the environment)
    that publishes every answer to ``feed``. The caller closes it."""

    def on_response(response: httpx.Response) -> None:
        request = response.request
        parts = urlsplit(str(request.url))
        path = parts.path + ("?" + parts.query if parts.query else "")
        feed.publish("exchange", source=source, method=request.method, path=redactor.text(path)[:300],
                     status=response.status_code, error="", ms=None)

    return httpx.Client(follow_redirects=False, trust_env=False, timeout=timeout,
                        event_hooks={"response": [on_response]})


class CycleWatcher:
    """Follows a provisioning log (JSON lines) and publishes per-cycle counts to ``feed``."""

    def __init__(self, feed: LiveFeed, path: Path) -> None:
        self.feed = feed
        self.path = path
        self._offset = 0
        self._partial = b""
        self._cycles: dict[str, dict[str, Any]] = {}  # cycleId -> running record, in order
        self._lock = threading.Lock()

    def poll(self) -> None:
        """Read what was appended since the last poll; publish the cycles it changed."""
        with self._lock:
            try:
                with self.path.open("rb") as handle:
                    handle.seek(self._offset)
                    chunk = handle.read(4 * 1024 * 1024)
            except OSError:
                return
            self._offset += len(chunk)
            data = self._partial + chunk
            lines = data.split(b"\n")
            self._partial = lines.pop()  # an incomplete last line waits for the next poll
            changed: dict[str, dict[str, Any]] = {}
            for line in lines:
                entry = self._parse(line)
                if entry is None:
                    continue
                cycle = self._count(entry)
                changed[cycle["cycleId"]] = cycle
            for cycle in changed.values():
                self.feed.publish("cycle", **{**cycle, "counts": dict(cycle["counts"])})

    @staticmethod
    def _parse(line: bytes) -> dict[str, Any] | None:
        try:
            entry = json.loads(line)
        except ValueError:
            return None
        return entry if isinstance(entry, dict) else None

    def _count(self, entry: dict[str, Any]) -> dict[str, Any]:
        cycle_id = str(entry.get("cycleId", ""))[:80]
        cycle = self._cycles.get(cycle_id)
        if cycle is None:
            kind = "initial" if not self._cycles else "incremental"
            cycle = {"cycleId": cycle_id, "kind": kind, "escrowed": 0, "quarantined": False,
                     "counts": dict.fromkeys((*COUNTED, "other", "failure", "skipped"), 0)}
            self._cycles[cycle_id] = cycle
        status = str(entry.get("status", "")).lower()
        action = str(entry.get("provisioningAction", "")).lower()
        if status == "failure":
            cycle["counts"]["failure"] += 1
        elif status == "skipped":
            cycle["counts"]["skipped"] += 1
        else:
            cycle["counts"][action if action in COUNTED else "other"] += 1
        return cycle

    def final(self, cycles: Iterable[Any]) -> None:
        """Publish the simulator's own cycle records (exact kinds, escrow, quarantine)."""
        exact = [c for c in cycles if isinstance(c, dict)]
        self.feed.publish("cycles", cycles=exact)
