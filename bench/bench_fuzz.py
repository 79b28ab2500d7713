"""Fuzzer speed: requests per second schemathesis drives against the local reference server.

The reference server runs as its own process (``python -m reference_server``) on a loopback
port, so the fuzzer's generation and the server's work use separate interpreters. Two runs:
a fixed request budget (the figure to compare over time), and the whole pipeline with a
time limit (generation + shrinking + cleanup) against the ``500-on-unknown-attribute`` quirk.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from harness.fuzz import FuzzConfig, fuzz_target
from harness.http import Auth, Target

TOKEN = "bench-fuzz-token"
ROOT = Path(__file__).resolve().parent.parent


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextlib.contextmanager
def _server(db: Path, quirks: tuple[str, ...] = ()) -> Iterator[str]:
    port = _free_port()
    args = [sys.executable, "-m", "reference_server", "--db", str(db), "--port", str(port)]
    for quirk in quirks:
        args += ["--quirk", quirk]
    proc = subprocess.Popen(args, cwd=ROOT, env={**os.environ, "SCIM_TOKEN": TOKEN},
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            try:
                httpx.get(f"{url}/ServiceProviderConfig", timeout=0.5)
                break
            except httpx.HTTPError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError("the reference server did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def _run(quirks: tuple[str, ...], **options: object) -> None:
    with tempfile.TemporaryDirectory() as tmp, _server(Path(tmp) / "bench.db", quirks) as url:
        config = FuzzConfig(Target(url, Auth.bearer(TOKEN)), seed=1, **options)  # type: ignore[arg-type]
        started = time.perf_counter()
        result = fuzz_target(config)
        wall = time.perf_counter() - started
    opts = result.options
    label = ",".join(quirks) or "unmodified"
    print(f"reference server ({label}): {opts['requests']} generated requests in "
          f"{opts['requests'] / max(opts['requests_per_second'], 1e-9):.1f}s of generation = "
          f"{opts['requests_per_second']:.0f} requests/s; +{opts['replays']} replays while shrinking; "
          f"{len([r for r in result.results if r.outcome.value == 'fail'])} finding(s); whole run {wall:.1f}s",
          flush=True)


def main() -> None:
    _run((), max_examples=500, time_limit=120, max_requests=3000)
    _run(("500-on-unknown-attribute",), max_examples=50, time_limit=20)


if __name__ == "__main__":
    main()
