"""Locust users for bench_load: the same GET through bare Locust and through our tenant stack.

Run by ``locust -f bench/load_users.py`` only (gevent patches this process), never imported.
"""

from __future__ import annotations

import os
import time
from typing import Any

from locust import FastHttpUser, User, constant, events, task

from harness.http import Auth, Target
from harness.recorder import Recorder
from mock_idp.load.tenant import MeteredClient

PATH = "/Users"
PARAMS = (("filter", 'userName eq "nobody@contoso.example"'),)
TOKEN = os.environ.get("BENCH_TOKEN", "bench-token")
_CPU: list[float] = []


@events.test_start.add_listener
def _cpu_at_start(**_: Any) -> None:
    _CPU.append(time.process_time())


@events.test_stop.add_listener
def _cpu_at_stop(**_: Any) -> None:
    """This process's CPU seconds from the start of the test to its end (imports and start-up left
    out), for bench_load's CPU per request: a figure the machine's other work moves less than req/s."""
    path = os.environ.get("BENCH_CPU_FILE")
    if path and _CPU:
        with open(path, "w", encoding="ascii") as f:
            f.write(str(time.process_time() - _CPU[0]))


class BareGet(FastHttpUser):
    wait_time = constant(0)

    @task
    def get(self) -> None:
        self.client.get(PATH + '?filter=userName%20eq%20%22nobody%40contoso.example%22',
                        headers={"Authorization": f"Bearer {TOKEN}"}, name="GET Users filter userName eq")


class HarnessGet(User):
    """Our per-request path: TargetClient (its wire, redaction, bounds) + shape naming + Locust event."""

    wait_time = constant(0)

    def on_start(self) -> None:
        target = Target(self.host or "", Auth.bearer(TOKEN), timeout=30)
        fire = events.request.fire

        def report(method: str, name: str, ms: float, size: int, error: str | None) -> None:
            fire(request_type=method, name=name, response_time=ms, response_length=size,
                 exception=Exception(error) if error else None, context={})

        wire = None
        if os.environ.get("BENCH_TRANSPORT") == "gevent":
            from mock_idp.load.gevent_wire import GeventWire

            wire = GeventWire()  # what the tenant jobs send through (node.py)
        self.metered = MeteredClient(target, report, recorder=Recorder(target.redactor(), keep=False), wire=wire)

    @task
    def get(self) -> None:
        self.metered.get(PATH, params=PARAMS)
