"""Replay speed, id-remapping cost, and what the pytest entry point costs where it is unused.

1. Exchanges replayed per second against the reference server, started as a subprocess on a
   loopback port: a recorded Entra session of 300 users (recorded in-process first), replayed
   over the socket at ``--compare shape``.
2. Remapping cost per exchange: the time the replayer spent translating ids (path, query, body)
   divided by the exchanges sent, and the same on its own with 5,000 learned ids.
3. pytest start-up (collect one trivial test) with the scim-harness entry point loaded and with
   it disabled (``-p no:scim_harness``), median of 9 alternating runs each; and the import cost of the
   options-only entry point against the full plugin it defers.
"""

from __future__ import annotations

import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx

from harness.http import Auth, Target
from harness.replay import IdMap, ReplayOptions, Replayer, parse_session

TOKEN = "bench-token"


def record_session(users: int = 300) -> list[dict[str, object]]:
    from starlette.testclient import TestClient

    from mock_idp.simulate import SimulationConfig, simulate
    from reference_server.app import create_app
    from reference_server.settings import ServerSettings

    app = create_app(ServerSettings(db=":memory:", tokens=(TOKEN,)))
    config = SimulationConfig("entra", Target("http://testserver/", Auth.bearer(TOKEN), timeout=30), users=users,
                              groups=10, days=0.5, seed=3)
    with TestClient(app, base_url="http://testserver") as http:
        simulate(config, http=http)
    app.flush()
    recs = app.store.recordings(limit=1_000_000)
    app.close()
    return recs


def _start_server(db: Path) -> tuple[subprocess.Popen[bytes], str]:
    from tests.live import free_port

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "reference_server", "--db", str(db), "--port", str(port),
                               "--token", TOKEN], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    base = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 30
    while True:
        try:
            if httpx.get(base + "ServiceProviderConfig", headers={"Authorization": f"Bearer {TOKEN}"},
                         timeout=1).status_code < 500:
                return server, base
        except httpx.HTTPError:
            pass
        if time.monotonic() > deadline or server.poll() is not None:
            server.kill()
            raise RuntimeError("the reference server did not start")
        time.sleep(0.2)  # bench edge: waiting for a subprocess


def replay_speed(recs: list[dict[str, object]]) -> None:
    session = parse_session(recs, "bench", "bench")
    with tempfile.TemporaryDirectory() as tmp:
        server, base = _start_server(Path(tmp) / "replay.db")
        try:
            replayer = Replayer(session, Target(base, Auth.bearer(TOKEN), timeout=30), ReplayOptions())
            started = time.perf_counter()
            run = replayer.run()
            elapsed = time.perf_counter() - started
        finally:
            server.terminate()
            server.wait(timeout=10)
    info = run.replay or {}
    print(f"replay over a real socket: {replayer.sent} exchanges in {elapsed:.2f} s = {replayer.sent / elapsed:,.0f} "
          f"exchanges/s ({info.get('divergences')} divergences, ids learned {info.get('ids_learned')}/"
          f"{info.get('session_ids')}, {info.get('replacements')} replacements)", flush=True)
    per = replayer.remap_seconds / max(1, replayer.sent) * 1e6
    share = replayer.remap_seconds / elapsed * 100
    print(f"remapping inside that replay: {per:.1f} us per exchange ({share:.2f}% of the replay's time)", flush=True)


def remap_alone(recs: list[dict[str, object]], learned: int = 5000) -> None:
    ids = IdMap()
    for n in range(learned):
        ids.learn({"id": f"{n:08d}-0000-4000-8000-{n:012d}"}, {"id": f"new-{n}"})
    session = parse_session(recs, "bench", "bench")
    requests = [(r.path, r.query, r.request_json()) for r in session.exchanges]
    ids.text("warm-up")
    started = time.perf_counter()
    rounds = 5
    for _ in range(rounds):
        for path, query, body in requests:
            ids.text(path)
            ids.text(query)
            ids.json(body)
    elapsed = time.perf_counter() - started
    print(f"remapping alone with {learned:,} learned ids: {elapsed / (rounds * len(requests)) * 1e6:.1f} us per "
          f"exchange (path, query and JSON body)", flush=True)


def _pytest_startups(variants: list[list[str]], folder: Path, rounds: int = 9) -> list[float]:
    """Median start-up of each variant; the variants alternate, so a load change on a shared
    machine hits them alike."""
    times: list[list[float]] = [[] for _ in variants]
    for _ in range(rounds):
        for n, args in enumerate(variants):
            started = time.perf_counter()
            subprocess.run([sys.executable, "-m", "pytest", "--co", "-q", "-p", "no:cacheprovider", *args,
                            str(folder)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                           cwd=folder, env={**os.environ, "PYTEST_ADDOPTS": ""})
            times[n].append(time.perf_counter() - started)
    return [statistics.median(t) for t in times]


def _import_time(module: str) -> float:
    """Seconds to import ``module`` once pytest itself is imported (pytest imports it anyway)."""
    code = f"import time, pytest; t = time.perf_counter(); import {module}; print(time.perf_counter() - t)"
    samples = [float(subprocess.run([sys.executable, "-c", code], check=True, capture_output=True, text=True).stdout)
               for _ in range(5)]
    return statistics.median(samples)


def pytest_cost() -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "test_one.py").write_text("def test_one():\n    assert True\n")
        with_plugin, without = _pytest_startups([[], ["-p", "no:scim_harness"]], folder)
    print(f"pytest start-up (collect one test): {with_plugin * 1000:.0f} ms with the scim-harness entry point, "
          f"{without * 1000:.0f} ms without it (ratio {with_plugin / without:.2f})", flush=True)
    light, full = _import_time("scim_harness_pytest"), _import_time("scenarios.pytest_plugin")
    print(f"import after pytest: the options-only entry point {light * 1000:.2f} ms; the full plugin, loaded only "
          f"with --scim-target, {full * 1000:.0f} ms (what every pytest start paid before)", flush=True)


def main() -> None:
    recs = record_session()
    print(f"recorded session: {len(recs)} exchanges ({len(json.dumps(recs)) // 1024} KiB)", flush=True)
    replay_speed(recs)
    remap_alone(recs)
    pytest_cost()


if __name__ == "__main__":
    main()
