"""The reference server in its own process (``python -m reference_server``), on a loopback port.

The fuzzer is CPU-bound (generation); a server in the same process would share its GIL and
halve both. A separate process is also the most realistic target. Only the process started
here is ever stopped (by its own handle).
"""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

from tests.live import free_port

ROOT = Path(__file__).resolve().parents[2]


@contextlib.contextmanager
def reference_server(db: Path, token: str, quirks: tuple[str, ...] = ()) -> Iterator[str]:
    """Yield the base URL of a reference server started for this block (token via env, not argv)."""
    port = free_port()
    args = [sys.executable, "-m", "reference_server", "--db", str(db), "--port", str(port)]
    for quirk in quirks:
        args += ["--quirk", quirk]
    env = {**os.environ, "SCIM_TOKEN": token}
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 20
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"the reference server exited: {proc.stderr.read().decode()[-500:]}")  # type: ignore[union-attr]
            try:
                httpx.get(f"{url}/ServiceProviderConfig", timeout=0.5)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the reference server did not start") from None
                time.sleep(0.05)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
