"""An acknowledged write survives ``kill -9`` of the server (real process, real socket), on both
stores: SQLite (WAL, a file) and PostgreSQL (the session's throwaway cluster, a fresh schema)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest

from tests.live import free_port
from tests.server.helpers import AUTH, TOKEN, USER

pytestmark = [pytest.mark.socket, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]


def _db(kind: str, tmp_path: Path, name: str, request: pytest.FixtureRequest) -> str:
    return str(tmp_path / name) if kind == "sqlite" else request.getfixturevalue("pg_cluster").schema_dsn()


def _start(db: str, port: int) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "reference_server", "--db", db, "--port", str(port),
                             "--token", TOKEN], cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)


def _wait_ready(url: str, proc: subprocess.Popen) -> None:
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise AssertionError(f"server exited: {proc.stdout.read().decode()[-2000:]}")
        try:
            if httpx.get(f"{url}/ServiceProviderConfig", timeout=1).status_code == 200:
                return
        except httpx.TransportError:
            time.sleep(0.05)
    raise AssertionError("server did not start")


def test_acknowledged_write_survives_kill_9(tmp_path, store_db, request):
    db = _db(store_db, tmp_path, "durable.db", request)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _start(db, port)
    try:
        _wait_ready(url, proc)
        r = httpx.post(f"{url}/Users", json={"schemas": [USER], "userName": "durable"}, headers=AUTH, timeout=5)
        assert r.status_code == 201
        user_id = r.json()["id"]
    finally:
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=10)
    assert proc.returncode == -signal.SIGKILL
    proc = _start(db, port)
    try:
        _wait_ready(url, proc)
        r = httpx.get(f"{url}/Users/{user_id}", headers=AUTH, timeout=5)
        assert r.status_code == 200 and r.json()["userName"] == "durable"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


def test_clean_shutdown_keeps_every_recording_in_order(tmp_path, store_db, request):
    """Recordings are buffered (≤ 200 or 0.25 s); a clean shutdown (SIGTERM) writes the buffer.

    Only a crash (kill -9) may lose the last buffered recordings; never an acknowledged write (above)."""
    from reference_server.store import open_store

    db = _db(store_db, tmp_path, "recorded.db", request)
    port = free_port()
    url = f"http://127.0.0.1:{port}"
    proc = _start(db, port)
    try:
        _wait_ready(url, proc)
        with httpx.Client(base_url=url, headers=AUTH, timeout=5) as h:
            for i in range(40):  # fewer than one batch, sent back to back: still buffered at SIGTERM
                assert h.get("/Users", params={"count": str(i)}).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=20)
    assert proc.returncode is not None and proc.returncode != -signal.SIGKILL
    store = open_store(db)
    try:
        recs = [r for r in store.recordings(limit=1000) if r["path"] == "/Users"]
    finally:
        store.close()
    assert [r["query"] for r in recs] == [f"count={i}" for i in range(40)]
