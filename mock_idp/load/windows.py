"""Percentiles over windows of Locust's cumulative response-time histogram (pure: no gevent).

Locust keeps, per name, a histogram {rounded ms: count} that only grows. Workers add to the
master's every 3 s, so it grows in steps: the requests of a window are the difference of two
snapshots, and a window shorter than the report interval is often empty.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping

__all__ = ["percentile", "between", "Recent"]

#: The span of the console's "recent" figures: always several worker reports (every 3 s), and
#: the span Locust's own "current" percentiles use.
RECENT_SECONDS = 10.0


def percentile(hist: Mapping[int, int], q: float) -> float | None:
    """The ``q`` quantile (0–1) of a histogram, ``None`` for no requests."""
    total = sum(hist.values())
    if total <= 0:
        return None
    want, seen = q * total, 0
    for ms in sorted(hist):
        seen += hist[ms]
        if seen >= want:
            return float(ms)
    return float(max(hist))


def between(before: Mapping[int, int], after: Mapping[int, int]) -> dict[int, int]:
    """The requests counted in ``after`` but not yet in ``before``."""
    return {ms: n - before.get(ms, 0) for ms, n in after.items() if n - before.get(ms, 0) > 0}


class Recent:
    """The histogram of the last ``seconds``, from snapshots of the cumulative one."""

    def __init__(self, seconds: float = RECENT_SECONDS) -> None:
        self.seconds = seconds
        self._snapshots: deque[tuple[float, dict[int, int]]] = deque()

    def add(self, t: float, hist: Mapping[int, int]) -> None:
        self._snapshots.append((t, dict(hist)))
        # keep one snapshot at or before the window's start: the window's base
        while len(self._snapshots) > 2 and self._snapshots[1][0] <= t - self.seconds:
            self._snapshots.popleft()

    def percentile(self, q: float) -> float | None:
        if len(self._snapshots) < 2:
            return percentile(self._snapshots[-1][1], q) if self._snapshots else None
        return percentile(between(self._snapshots[0][1], self._snapshots[-1][1]), q)
