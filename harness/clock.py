"""Time as an injected dependency.

Logic never calls ``time.sleep`` or reads the wall clock: it asks a :class:`Clock`.
``VirtualClock`` jumps instantly (tests, CI, reproducible runs), ``ScaledClock`` really
waits a fraction of the simulated time (demos), ``SystemClock`` is the real world (edges).
"""

from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Protocol

__all__ = ["Clock", "SystemClock", "VirtualClock", "ScaledClock", "EPOCH", "isoformat"]

#: Default start of virtual time: fixed so that seeded runs are byte-for-byte stable.
EPOCH = datetime(2026, 1, 5, 9, 0, 0, tzinfo=timezone.utc)


def isoformat(moment: datetime) -> str:
    """ISO 8601 in UTC with millisecond precision and a ``Z`` suffix."""
    moment = moment.astimezone(timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


class Clock(Protocol):
    def now(self) -> datetime:
        """The current moment, timezone-aware (UTC)."""

    def monotonic(self) -> float:
        """Seconds on a monotonic scale, for durations."""

    def sleep(self, seconds: float) -> None:
        """Let ``seconds`` of this clock's time pass."""


class SystemClock:
    """The real clock. Used only at the edges (CLI, live servers)."""

    def now(self) -> datetime:
        return datetime.now(timezone.utc)

    def monotonic(self) -> float:
        return time.monotonic()

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            threading.Event().wait(seconds)


class VirtualClock:
    """Simulated time that only moves when someone sleeps or advances it. Thread-safe."""

    def __init__(self, start: datetime = EPOCH) -> None:
        if start.tzinfo is None:
            raise ValueError("VirtualClock needs a timezone-aware start")
        self._start = start
        self._elapsed = 0.0
        self._lock = threading.Lock()

    # Reads need no lock: reading one float attribute is atomic; writers serialise below.
    def now(self) -> datetime:
        return self._start + timedelta(seconds=self._elapsed)

    def monotonic(self) -> float:
        return self._elapsed

    def sleep(self, seconds: float) -> None:
        self.advance(seconds)

    def advance(self, seconds: float) -> None:
        if seconds < 0:
            raise ValueError("time does not run backwards")
        with self._lock:
            self._elapsed += seconds

    def advance_to(self, moment: datetime) -> None:
        """Jump forward to ``moment`` (no-op if it is already past)."""
        delta = (moment - self.now()).total_seconds()
        if delta > 0:
            self.advance(delta)


class ScaledClock(VirtualClock):
    """Virtual time that also waits for real: ``factor`` real seconds per simulated second.

    ``ScaledClock(factor=1/60)`` plays a 40-minute cycle gap in 40 seconds.
    """

    def __init__(self, factor: float, start: datetime = EPOCH, max_real_wait: float = 5.0) -> None:
        super().__init__(start)
        if factor < 0:
            raise ValueError("factor must be >= 0")
        self.factor = factor
        self.max_real_wait = max_real_wait
        self._waiter = threading.Event()

    def sleep(self, seconds: float) -> None:
        real = min(seconds * self.factor, self.max_real_wait)
        if real > 0:
            self._waiter.wait(real)  # the one real wait; the edge of simulated time
        super().sleep(seconds)
