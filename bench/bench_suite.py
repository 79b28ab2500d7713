"""The whole conformance suite against the local reference server over a real socket.

Goal (issue 5): well under 15 seconds. The server runs as its own process
(``python -m reference_server --db TMP --port P --token T``, 127.0.0.1) so that it does not share
this process's interpreter; the suite runs here through :func:`harness.runner.run_suite`,
``--workers 1`` then ``--workers 4``, each a few times on a fresh database. Prints wall times,
the check counts and the verdicts.
"""

from __future__ import annotations

import contextlib
import secrets
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

import scenarios
from harness.checks import REGISTRY
from harness.config import RunConfig
from harness.http import Auth, Target
from harness.runner import load_checks, run_suite

REPEATS = 3
GOAL_S = 15.0


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def reference_server(token: str) -> Iterator[str]:
    """The reference server as a child process on a fresh database; yields its base URL."""
    with tempfile.TemporaryDirectory(prefix="scim-bench-") as tmp:
        port = _free_port()
        proc = subprocess.Popen(
            [sys.executable, "-m", "reference_server", "--db", str(Path(tmp) / "bench.db"), "--port", str(port),
             "--token", token],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.monotonic() + 20
            while True:  # bounded wait for the server to listen
                try:
                    httpx.get(url + "/ServiceProviderConfig", timeout=0.5)
                    break
                except httpx.HTTPError:
                    if proc.poll() is not None or time.monotonic() > deadline:
                        err = proc.stderr.read().decode(errors="replace")[-500:] if proc.stderr else ""
                        raise RuntimeError(f"the reference server did not start: {err}") from None
                    threading.Event().wait(0.05)  # polling the child process: the edge, not logic
            yield url
        finally:
            proc.terminate()
            try:
                proc.wait(10)
            except subprocess.TimeoutExpired:
                proc.kill()


def main() -> None:
    problems = load_checks(scenarios)
    for problem in problems:
        print(f"warning: {problem}")
    total = len(REGISTRY.select(("all",)))
    print(f"suite: {total} checks (all suites); {REPEATS} runs per setting, fresh server each run")
    for workers in (1, 4):
        times: list[float] = []
        summary = ""
        for _ in range(REPEATS):
            token = "bench-" + secrets.token_hex(8)
            with reference_server(token) as url:
                config = RunConfig(target=Target(url, Auth.bearer(token), timeout=10.0), workers=workers,
                                   out=Path(tempfile.gettempdir()) / "scim-bench-out")
                started = time.perf_counter()
                run = run_suite(config)
                times.append(time.perf_counter() - started)
            s = run.summary
            summary = (f"{s.total} checks: {s.passed} pass, {s.failed} fail, {s.warned} warn, {s.errored} error, "
                       f"{s.skipped} skip; {len(run.exchanges)} exchanges; exit {run.exit_code}")
        median = statistics.median(times)
        verdict = "OK" if median < GOAL_S else "OVER GOAL"
        print(f"--workers {workers}: median {median:.2f}s (min {min(times):.2f}s, max {max(times):.2f}s) "
              f"goal < {GOAL_S:.0f}s {verdict}; {summary}")


if __name__ == "__main__":
    main()
