"""Honouring 429 Too Many Requests: wait what ``Retry-After`` says (bounded), then send again.

One reading of the header for every client of ours: the IdP engines' driver (with the
profile's own bounds) and the harness's housekeeping (``cleanup``). Waits go through the
injected :class:`~harness.clock.Clock`, never ``time.sleep``.
"""

from __future__ import annotations

from collections.abc import Callable

from harness.clock import Clock
from harness.recorder import Exchange

__all__ = ["retry_after_seconds", "send_honouring_429", "MAX_ATTEMPTS", "MAX_WAIT_SECONDS"]

#: Sends of one request at most (the first and its retries), and the longest single wait.
MAX_ATTEMPTS = 4
MAX_WAIT_SECONDS = 30.0


def retry_after_seconds(ex: Exchange, default: float = 1.0) -> float:
    """``Retry-After`` in seconds (delta-seconds form, RFC 9110 §10.2.3); ``default`` otherwise."""
    raw = ex.header("Retry-After")
    try:
        return max(0.0, float(raw)) if raw is not None else default
    except ValueError:
        return default


def send_honouring_429(send: Callable[[], Exchange], clock: Clock, *, attempts: int = MAX_ATTEMPTS,
                       max_wait: float = MAX_WAIT_SECONDS) -> Exchange:
    """``send()``; after a 429, wait ``Retry-After`` and send again, ``attempts`` sends in all.
    A 429 asking for more than ``max_wait`` seconds is the answer: sending again sooner than the
    target asked would not honour it. Returns the last answer (a 429 when every attempt was refused)."""
    for _ in range(max(1, attempts) - 1):
        ex = send()
        wait = retry_after_seconds(ex)
        if ex.status != 429 or wait > max_wait:
            return ex
        clock.sleep(wait)
    return send()
