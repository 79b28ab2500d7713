"""Simulator speed: its own overhead per change, and a 10,000-user initial cycle over a socket.

1. Overhead with a null transport: every request is built, serialised, recorded (redacted) and
   logged, but answered by canned responses instead of being sent. Two figures: through the
   real ``TargetClient`` over ``httpx.MockTransport``, and through a null client that skips
   httpx entirely (the simulator's own cost). Goal: >= 20,000 changes per second. A third
   figure repeats the null-client run while writing provisioning.jsonl and results.json, as
   a real run does.
2. An initial Entra cycle of 10,000 users (and 100 groups) against the reference server
   started as a subprocess on a loopback port, with its wall time.
"""

from __future__ import annotations

import itertools
import json
import json as jsonlib  # NullClient.request has a parameter named json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

from harness.clock import EPOCH, VirtualClock
from harness.http import Auth, Target, TargetClient, encode_query
from harness.recorder import Exchange, Recorder
from mock_idp.directory import make_directory
from mock_idp.simulate import SimulationConfig, simulate

TOKEN = "bench-token"
EMPTY = json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0,
                    "Resources": []}).encode()


def canned(request: httpx.Request, ids: itertools.count = itertools.count(1)) -> httpx.Response:
    """A target that never stores anything: misses every lookup, accepts every write."""
    if request.method == "POST":
        body = json.dumps({"id": f"id-{next(ids)}"}).encode()
        return httpx.Response(201, stream=httpx.ByteStream(body))
    if request.method == "GET":
        return httpx.Response(200, stream=httpx.ByteStream(EMPTY))
    return httpx.Response(204, stream=httpx.ByteStream(b""))


class NullClient(TargetClient):
    """Builds and records each request like TargetClient, but answers without any HTTP stack."""

    def request(self, method: str, path: str, *, params: Any = None, json: Any = None, **_: Any) -> Exchange:  # type: ignore[override]
        # the client's side, as TargetClient.request does it: URL, body, headers, record
        url = self.url_for(path, params)
        body = jsonlib.dumps(json, ensure_ascii=False).encode() if json is not None else None
        if method == "POST":
            # the canned target's side (not simulator overhead): json.dumps({"id": …})'s bytes
            status, raw = 201, b'{"id": "id-%d"}' % self.recorder._counter
        elif method == "GET":
            status, raw = 200, EMPTY
        else:
            status, raw = 204, b""
        headers = [*self.default_headers, *self.target.auth.headers()]
        return self.recorder.record(method=method, url=url, request_headers=headers, request_body=body, status=status,
                                    response_headers=[], response_body=raw, elapsed_ms=0.0)


def overhead(users: int, null_http: bool, out: Path | None = None, idp: str = "entra") -> tuple[int, float, float]:
    """``(changes, total seconds, seconds spent building the fake tenant)``.

    ``out``: also write provisioning.jsonl and results.json there, as a real run does.
    """
    target = Target("http://bench.invalid/scim", Auth.bearer(TOKEN))
    config = SimulationConfig(idp, target, users=users, groups=users // 50, days=0.5, churn=False,
                              test_connection=False, scope="all", out=out)
    started = time.perf_counter()
    if null_http:
        sim = sys.modules["mock_idp.simulate"]  # the module (the package exports the function)
        original = sim.TargetClient
        sim.TargetClient = NullClient  # type: ignore[misc]  # the bench swaps the edge, not the logic
        try:
            result = simulate(config)
        finally:
            sim.TargetClient = original  # type: ignore[misc]
    else:
        result = simulate(config, http=httpx.Client(transport=httpx.MockTransport(canned)))
    elapsed = time.perf_counter() - started
    changes = sum(sum(c["counts"].values()) for c in result.simulation["cycles"])
    build = time.perf_counter()
    make_directory(config.users, config.groups, config.seed, config.scope)
    return changes, elapsed, time.perf_counter() - build


def initial_cycle_over_socket(users: int = 10_000, groups: int = 100) -> None:
    from tests.live import free_port

    port = free_port()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        server = subprocess.Popen(
            [sys.executable, "-m", "reference_server", "--db", str(db), "--port", str(port), "--token", TOKEN],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, env={**os.environ, "PYTHONUNBUFFERED": "1"},
        )
        try:
            base = f"http://127.0.0.1:{port}/"
            deadline = time.monotonic() + 30
            while True:
                try:
                    if httpx.get(base + "ServiceProviderConfig", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=1).status_code < 500:
                        break
                except httpx.HTTPError:
                    pass
                if time.monotonic() > deadline or server.poll() is not None:
                    err = server.stderr.read().decode()[-500:] if server.stderr else ""
                    raise RuntimeError(f"the reference server did not start: {err}")
                time.sleep(0.2)  # bench harness edge: waiting for a subprocess, not simulation logic
            target = Target(base, Auth.bearer(TOKEN), timeout=30)
            config = SimulationConfig("entra", target, users=users, groups=groups, days=0.02, churn=False, scope="all")
            started = time.perf_counter()
            result = simulate(config)
            elapsed = time.perf_counter() - started
            initial = result.simulation["cycles"][1]
            print(f"initial cycle, {users} users + {groups} groups over a real socket: {elapsed:.1f} s wall "
                  f"({result.requests} requests, {result.requests / elapsed:.0f} req/s; "
                  f"creates={initial['counts']['create']}, exit {result.exit_code}: {result.reason[:90]})", flush=True)
        finally:
            server.terminate()
            try:
                server.wait(timeout=10)
            except subprocess.TimeoutExpired:
                server.kill()


def main() -> None:
    for null_http, label in [(True, "null client (no HTTP stack)"), (False, "TargetClient + httpx.MockTransport")]:
        changes, elapsed, build = overhead(20_000 if null_http else 5_000, null_http)
        print(f"simulator overhead, {label}: {changes} changes in {elapsed:.2f} s = {changes / elapsed:,.0f} changes/s "
              f"end to end; {changes / (elapsed - build):,.0f} changes/s without the {build:.2f} s tenant build "
              f"(goal >= 20,000/s)", flush=True)
    with tempfile.TemporaryDirectory() as tmp:  # the same run, also writing what a real run writes
        changes, elapsed, build = overhead(20_000, True, Path(tmp))
        print(f"simulator overhead, null client, provisioning.jsonl + results.json written: {changes} changes in "
              f"{elapsed:.2f} s = {changes / elapsed:,.0f} changes/s end to end; "
              f"{changes / (elapsed - build):,.0f} changes/s without the tenant build", flush=True)
    initial_cycle_over_socket()


if __name__ == "__main__":
    main()
