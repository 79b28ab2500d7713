"""The driver: runs sans-IO flows over the harness's ``TargetClient`` (no second HTTP layer).

It owns I/O, virtual time and the 429 back-off the profile asks for (style.md principle 7):
each request costs ``request_cost`` virtual seconds (so log durations and timestamps are
reproducible), and a 429 is retried ``profile.rate_limit_retries`` times after its
``Retry-After`` (capped), waiting on the injected clock.
"""

from __future__ import annotations

from collections.abc import Callable, Generator, Iterable
from typing import Any, TypeVar

from harness.clock import Clock
from harness.http import TargetClient
from harness.recorder import Exchange
from harness.idp.requests import Request
from harness.idp.profile import Profile
from harness.retry import retry_after_seconds

__all__ = ["Driver", "retry_after_seconds"]  # retry_after_seconds: harness.retry's, re-exported

T = TypeVar("T")


class Driver:
    def __init__(self, client: TargetClient, clock: Clock, profile: Profile, request_cost: float = 0.05) -> None:
        self.client = client
        self.clock = clock
        self.profile = profile
        self.request_cost = request_cost
        self.requests = 0
        self.throttled = 0

    def send(self, request: Request, ids: list[str] | None = None) -> Exchange:
        """Send one request, honouring the profile's 429 retries; appends exchange ids to ``ids``."""
        attempts = 0
        while True:
            ex = self.client.request(
                request.method,
                request.path,
                params=request.params or None,
                json=request.json,
                content_type=self.profile.content_type,
                timeout=self.profile.timeout_seconds,
            )
            self.requests += 1
            if ids is not None:
                ids.append(ex.id)
            self.clock.sleep(self.request_cost)
            if ex.status != 429 or attempts >= self.profile.rate_limit_retries:
                return ex
            attempts += 1
            self.throttled += 1
            self.clock.sleep(min(retry_after_seconds(ex), self.profile.rate_limit_max_wait_seconds))

    def each(self, items: Iterable[str], work: Callable[[str], None]) -> None:
        """Do ``work`` for each of a cycle's independent changes (one object each). Here one after
        the other, in order (simulate: the same bytes for the same seed); a load job's driver may
        have several in flight at once. The engine starts the next phase (managers after users,
        groups after managers) only when this returns, so a user exists before its group sends it."""
        for item in items:
            work(item)

    def run(self, flow: Generator[Request, Exchange, T]) -> tuple[T, list[str]]:
        """Drive ``flow`` to completion; returns its result and the exchange ids it caused."""
        ids: list[str] = []
        try:
            request = next(flow)
            while True:
                ex = self.send(request, ids)
                request = flow.send(ex)
        except StopIteration as stop:
            result: Any = stop.value
            return result, ids
