"""The independent SCIM servers of the interop matrix, each started as its own process.

Every server is a package from PyPI or npm that we did not write, wrapped in thin glue (storage
and authentication, the parts each library leaves to the application) under tests/interop/.
:func:`serve` starts one on 127.0.0.1 on a free port, waits until it accepts connections, yields
its SCIM base URL, and stops exactly the process it started. The token reaches the server
through its environment, never its command line.

``scim2-server`` (the first peer, tests/scenarios/peer.py) is served in a thread as before.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

from tests.live import free_port

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
TOKEN = "interop-token-3b9c"
NODE_MODULES = HERE / "node_modules"


@dataclass(frozen=True)
class Server:
    key: str  # row name in the matrix and key in findings.json
    package: str  # what is installed, as its registry names it
    registry: str  # "PyPI" or "npm"
    version: str  # the version pinned in pyproject.toml / package-lock.json
    glue: str  # the folder (or module) holding the application glue
    module: str  # what proves it installed: the Python module, or the folder under node_modules
    command: Callable[[int, Path], list[str]] | None  # argv for a free port and a scratch dir

    def missing(self) -> str | None:
        """Why this server cannot be started on this machine (None when it can)."""
        if self.registry == "PyPI" and importlib.util.find_spec(self.module) is None:
            return f"{self.package} is not installed (make test installs the test extras)"
        if self.registry == "npm":
            if shutil.which("node") is None:
                return "node is not installed"
            if not (NODE_MODULES / self.module).is_dir():
                return f"{self.package} is not installed (make test runs npm ci in tests/interop)"
        return None


def _django(settings: str) -> Callable[[int, Path], list[str]]:
    def argv(port: int, scratch: Path) -> list[str]:
        return [sys.executable, "-m", "tests.interop.django_serve", settings, str(port), str(scratch / "db.sqlite3")]
    return argv


def _scimmy(port: int, scratch: Path) -> list[str]:
    return ["node", str(HERE / "scimmy" / "server.mjs"), str(port)]


SERVERS: tuple[Server, ...] = (
    Server("scim2-server", "scim2-server", "PyPI", "0.8.3", "tests/scenarios/peer.py", "scim2_server", None),
    Server("scimmy", "scimmy + scimmy-routers", "npm", "1.3.5 / 1.3.2", "tests/interop/scimmy/", "scimmy-routers",
           _scimmy),
    Server("django-scim2", "django-scim2", "PyPI", "0.23.0", "tests/interop/dj_scim2/", "django_scim",
           _django("tests.interop.dj_scim2.settings")),
    Server("django-scim2-server", "django-scim2-server", "PyPI", "1.1.0", "tests/interop/dj_scim2_server/",
           "django_scim2_server", _django("tests.interop.dj_scim2_server.settings")),
)
BY_KEY = {s.key: s for s in SERVERS}
BASE_PATH = "/scim/v2"  # where each glue mounts the library's SCIM API


def _wait_for_port(proc: subprocess.Popen[bytes], port: int, log: Path, deadline: float) -> None:
    while True:
        if proc.poll() is not None:
            err = log.read_text(encoding="utf-8", errors="replace")[-800:]
            raise RuntimeError(f"the server exited with {proc.returncode}: {err}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return
        if time.monotonic() > deadline:
            raise RuntimeError("the server did not start listening in time")
        time.sleep(0.05)


@contextlib.contextmanager
def serve(server: Server, scratch: Path) -> Iterator[str]:
    """Start ``server`` for this block; yield its SCIM base URL (``http://127.0.0.1:PORT/scim/v2``)."""
    if server.command is None:
        from tests.scenarios.peer import scim2_server_app
        from tests.live import serve as serve_in_thread

        with serve_in_thread(scim2_server_app(TOKEN), interface="wsgi") as url:
            yield f"{url}/v2"
        return
    port = free_port()
    env = {**os.environ, "SCIM_TOKEN": TOKEN}
    log = scratch / "server.log"  # a file, not a pipe: a chatty server must never block on it
    with log.open("wb") as sink:
        proc = subprocess.Popen(server.command(port, scratch), cwd=ROOT, env=env,
                                stdout=sink, stderr=subprocess.STDOUT)
    try:
        _wait_for_port(proc, port, log, time.monotonic() + 30)
        yield f"http://127.0.0.1:{port}{BASE_PATH}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)
