"""``scim-harness load`` over real sockets: a Locust master and two worker processes against the
reference server, quirks that make the thresholds and the quarantine prediction fire, and
the ways a run ends (unreachable target, Ctrl-C). Every run is bounded by cycles or seconds.
"""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import httpx
import pytest
from starlette.testclient import TestClient

from harness.http import Auth, Target
from mock_idp.load import LoadConfig, run_load, shape_of, tenant_specs
from mock_idp.simulate import SimulationConfig, simulate
from reference_server.app import create_app
from reference_server.settings import ServerSettings
from tests.live import serve

pytestmark = [pytest.mark.socket, pytest.mark.slow]

TOKEN = "load-token"
ENTRA_UA = "Microsoft.Entra"


def _server(tmp_path: Path, *quirks: str) -> Any:
    return serve(create_app(ServerSettings(db=str(tmp_path / "ref.db"), tokens=(TOKEN,), quirks=quirks)))


def _recordings(url: str) -> list[dict[str, Any]]:
    """Every exchange the reference server recorded (its own recorder, read over HTTP)."""
    out: list[dict[str, Any]] = []
    after = 0
    with httpx.Client(headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as client:
        while True:
            page = client.get(f"{url}/_recordings", params={"after": after, "limit": 1000}).json()["Resources"]
            if not page:
                return out
            out.extend(page)
            after = page[-1]["id"]


def _agent(rec: dict[str, Any]) -> str:
    return next((v for k, v in rec["request_headers"] if k.lower() == "user-agent"), "")


def _simulated_shapes(seed: int, users: int, groups: int) -> tuple[list[str], int]:
    """What `simulate` sends for the same seed, by shape (a fresh in-process server of its own),
    and how many of those requests come before its first incremental cycle."""
    app = create_app(ServerSettings(db=":memory:", tokens=(TOKEN,)))
    config = SimulationConfig("entra", Target("http://testserver/", Auth.bearer(TOKEN)), users=users, groups=groups,
                              seed=seed, days=1)
    with TestClient(app, base_url="http://testserver", raise_server_exceptions=False) as http:
        result = simulate(config, http=http)
    cycles = (result.simulation or {}).get("cycles", [])
    first_incremental = next((c["started_at"] for c in cycles if c["kind"] == "incremental"), "9999")
    shapes, before = [], 0
    for ex in result.run.exchanges:
        before += ex.at < first_incremental
        parts = urlsplit(ex.url)
        params = [(k, v) for k, v in parse_qsl(parts.query) if k != "aadOptscim062020"]
        shapes.append(shape_of(ex.method, parts.path, params, json.loads(ex.request_body) if ex.request_body else None))
    return shapes, before


@pytest.mark.parametrize("bound", [{"cycles": 2, "pace": "fast"}, {"duration": 8.0, "pace": "1000x"}],
                         ids=["fast-2-cycles", "1000x-8-seconds"])
def test_master_and_two_workers_send_what_simulate_sends(tmp_path: Path, bound: dict[str, Any]) -> None:
    with _server(tmp_path) as url:
        config = LoadConfig(url + "/", tenants=4, users=12, groups=2, seed=11, spawn_rate=4, keep=True, **bound)
        outcome = run_load(config, Target(url + "/", Auth.bearer(TOKEN), timeout=30), tmp_path / "out", processes=2)
        recorded = _recordings(url)
    load = outcome.load
    assert outcome.exit_code == 0, outcome.run.message
    tenants = load["tenants"]
    assert len(tenants) == 4 and all(t["finished"] or bound.get("duration") for t in tenants)
    assert all(t["cycles"] >= 1 for t in tenants)  # past the initial cycle into incremental ones
    if bound["pace"] != "fast":  # paced: the initial cycle took IdP time at the profile's pace
        assert all(t["initial_seconds"] and t["documented_seconds"] for t in tenants)
    # both worker processes ran tenants and sent traffic
    by_worker: dict[str, int] = {}
    for t in tenants:
        by_worker[t["worker"]] = by_worker.get(t["worker"], 0) + t["requests"]
    assert len(by_worker) == 2 and all(n > 0 for n in by_worker.values()), by_worker
    # per tenant, the same shapes in the same order as simulate for the same seed: all of them on
    # the virtual clock; paced, up to the first incremental cycle (then the cycles start from real
    # time, and a change made within seconds of a cycle's start may fall into the next one)
    specs = {s.index: s for s in tenant_specs(config)}
    for t in tenants:
        spec = specs[t["index"]]
        expected, initial = _simulated_shapes(spec.seed, spec.users, spec.groups)
        n = len(t["shapes"]) if bound["pace"] == "fast" else min(len(t["shapes"]), initial)
        assert n > 2 and t["shapes"][:n] == expected[:n], t["index"]
        assert any(s.startswith("POST Users") for s in t["shapes"])
    # the report's totals are the server's own count of what the IdP jobs sent
    idp_requests = [r for r in recorded if _agent(r).startswith(ENTRA_UA)]
    assert load["total"]["requests"] == len(idp_requests) == sum(t["requests"] for t in tenants)
    assert sum(s["requests"] for s in load["shapes"]) == len(idp_requests)
    # every tenant's names carry its prefix
    posted = [json.loads(r["request_body"]) for r in idp_requests if r["method"] == "POST" and r["path"] == "/Users"]
    assert posted and all(any(p["userName"].startswith(s.prefix) for s in specs.values()) for p in posted)
    for written in (tmp_path / "out").iterdir():  # the credential is in no file the run wrote
        assert TOKEN not in written.read_text(encoding="utf-8"), written.name
    files = {p.name for p in (tmp_path / "out").iterdir()}
    assert {"results.json", "load-raw.json"} <= files
    data = json.loads((tmp_path / "out" / "results.json").read_text())
    assert data["kind"] == "load" and data["load"]["workers"] == sorted(by_worker)


@pytest.mark.parametrize("quirk, fail_on, broken", [
    ("rate-limit-429", "errors>1%,at_risk>0", {"errors>1%", "at_risk>0"}),
    ("slow-responses", "p95>200ms,at_risk>0", {"p95>200ms"}),
    (None, "p95>200ms,errors>1%,at_risk>0", set()),
])
def test_quirks_make_thresholds_and_the_quarantine_prediction_fire(tmp_path: Path, quirk: str | None, fail_on: str,
                                                                  broken: set[str]) -> None:
    with _server(tmp_path, *([quirk] if quirk else [])) as url:
        config = LoadConfig(url + "/", tenants=2, users=8, groups=1, cycles=1, pace="fast", thresholds=fail_on,
                            spawn_rate=2)
        outcome = run_load(config, Target(url + "/", Auth.bearer(TOKEN), timeout=30), tmp_path / "out")
    held = {t["term"] for t in outcome.load["thresholds"] if t["broken"]}
    assert held == broken, outcome.run.message
    assert outcome.exit_code == (1 if broken else 0)
    at_risk = [t for t in outcome.load["tenants"] if t["at_risk"]]
    if quirk == "rate-limit-429":
        assert at_risk and all("quarantine" in (t["predicted"] or t["quarantined"] or "") for t in at_risk)
        assert sum(t["throttled"] for t in outcome.load["tenants"]) > 0
        assert any(r.id.startswith("load.tenant.") for r in outcome.run.results)
    else:
        assert not at_risk
    assert outcome.load["cleanup"]["deleted"] > 0
    assert outcome.load["cleanup"]["failed"] == 0  # cleanup waits out the rate limiter's Retry-After


class InFlight:
    """ASGI middleware: the most requests inside the server at once (each held 50 ms, so requests
    a client really sends together overlap here)."""

    def __init__(self, app: Any) -> None:
        self.app, self.now, self.peak = app, 0, 0

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        self.now += 1  # one event loop: no lock needed
        self.peak = max(self.peak, self.now)
        try:
            await asyncio.sleep(0.05)
            await self.app(scope, receive, send)
        finally:
            self.now -= 1


def test_job_concurrency_is_that_many_requests_of_one_job_in_flight(tmp_path: Path) -> None:
    shapes: dict[int, list[str]] = {}
    for concurrency in (1, 4):
        server = InFlight(create_app(ServerSettings(db=str(tmp_path / f"ref{concurrency}.db"), tokens=(TOKEN,))))
        with serve(server) as url:
            config = LoadConfig(url + "/", tenants=1, users=12, groups=2, seed=11, cycles=1, pace="fast", keep=True,
                                job_concurrency=concurrency)
            outcome = run_load(config, Target(url + "/", Auth.bearer(TOKEN), timeout=30), tmp_path / str(concurrency))
            recorded = [r for r in _recordings(url) if _agent(r).startswith(ENTRA_UA)]
        assert outcome.exit_code == 0, outcome.run.message
        tenant = outcome.load["tenants"][0]
        assert tenant["finished"] and tenant["failed"] == 0
        assert server.peak == 1 if concurrency == 1 else 1 < server.peak <= concurrency, (concurrency, server.peak)
        # still in the IdP's order: every user is created before a group PATCH adds members
        writes = [(r["method"], r["path"].split("/")[1]) for r in recorded if r["method"] in ("POST", "PATCH")]
        initial_posts = [i for i, w in enumerate(writes) if w == ("POST", "Users")][:12]
        assert len(initial_posts) == 12 and max(initial_posts) < writes.index(("PATCH", "Groups"))
        shapes[concurrency] = tenant["shapes"]
    # the same changes as one at a time, only interleaved
    assert shapes[1] != shapes[4] and sorted(shapes[1]) == sorted(shapes[4])


def test_unreachable_target_is_exit_2_with_the_reason(tmp_path: Path) -> None:
    from tests.live import free_port

    url = f"http://127.0.0.1:{free_port()}/"
    outcome = run_load(LoadConfig(url, tenants=1, users=2, groups=0, cycles=1, pace="fast"),
                       Target(url, Auth.bearer(TOKEN), timeout=2), tmp_path / "out")
    assert outcome.exit_code == 2
    assert "cannot reach the target" in outcome.run.message


def test_ctrl_c_stops_cleanly_and_still_writes_results(tmp_path: Path) -> None:
    with _server(tmp_path) as url:
        out = tmp_path / "out"
        env = {**os.environ, "SCIM_TOKEN": TOKEN}
        proc = subprocess.Popen(
            [sys.executable, "-c", "from harness.cli import main; main()", "load", "--target", url + "/", "--tenants", "2", "--users", "20",
             "--groups", "2", "--duration", "120s", "--pace", "documented", "--out", str(out)],
            env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and _requests(url) < 5:  # the run is under way
            time.sleep(0.5)
        os.killpg(proc.pid, signal.SIGINT)
        stdout, stderr = proc.communicate(timeout=90)
    text = stdout.decode() + stderr.decode()
    assert "Traceback" not in text, text[-2000:]
    data = json.loads((out / "results.json").read_text())
    assert data["load"]["stopped_by"] == "interrupted"
    assert data["load"]["total"]["requests"] > 0
    assert (out / "report.html").exists() and proc.returncode in (0, 1)


def _requests(url: str) -> int:
    return len([r for r in _recordings(url) if _agent(r).startswith(ENTRA_UA)])


def test_a_target_that_stops_answering_ends_the_run_with_exit_2(tmp_path: Path) -> None:
    import threading

    from tests.live import free_port

    port = free_port()
    server = subprocess.Popen([sys.executable, "-m", "reference_server", "--db", str(tmp_path / "gone.db"), "--port",
                               str(port), "--token", TOKEN], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                httpx.get(url + "/Users", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=1)
                break
            except httpx.HTTPError:
                assert time.monotonic() < deadline, "the reference server did not start"
                time.sleep(0.1)

        def stop_when_busy() -> None:  # the server goes away in the middle of the initial cycles
            end = time.monotonic() + 60
            while time.monotonic() < end and _requests(url) < 30:
                time.sleep(0.2)
            server.kill()

        threading.Thread(target=stop_when_busy, daemon=True).start()
        config = LoadConfig(url + "/", tenants=2, users=400, groups=2, duration=60, pace="fast", spawn_rate=2)
        started = time.monotonic()
        outcome = run_load(config, Target(url + "/", Auth.bearer(TOKEN), timeout=5), tmp_path / "out")
    finally:
        server.kill()
        server.wait()
    assert outcome.exit_code == 2
    assert "stopped answering" in outcome.run.message
    assert outcome.load["stopped_by"] == "abort" and time.monotonic() - started < 60
    assert f"--prefix {config.run_prefix}" in outcome.load["cleanup"]["problems"][0]


def test_mixed_idps_each_run_their_own_profile(tmp_path: Path) -> None:
    with _server(tmp_path) as url:
        config = LoadConfig(url + "/", idps=("entra", "jumpcloud"), tenants=2, users=6, groups=1, cycles=1,
                            pace="fast", spawn_rate=2)
        outcome = run_load(config, Target(url + "/", Auth.bearer(TOKEN), timeout=30), tmp_path / "out")
        recorded = _recordings(url)
    assert outcome.exit_code == 0, outcome.run.message
    by_idp = {t["idp"]: t for t in outcome.load["tenants"]}
    assert set(by_idp) == {"entra", "jumpcloud"} and all(t["finished"] and t["requests"] for t in by_idp.values())
    assert by_idp["entra"]["shapes"][0] == "GET Users filter userName eq"  # Entra's probe
    assert by_idp["jumpcloud"]["shapes"] != by_idp["entra"]["shapes"]
    agents = {_agent(r) for r in recorded}
    assert any(a.startswith(ENTRA_UA) for a in agents) and any("JumpCloud" in a or "jumpcloud" in a.lower()
                                                               for a in agents), agents


def test_cli_master_and_a_worker_started_on_its_own(tmp_path: Path) -> None:
    """The two-machine setup on one machine: `--master` here, `--worker --master-host` there."""
    from tests.live import free_port

    port = free_port()
    cli = [sys.executable, "-c", "from harness.cli import main; main()", "load"]
    with _server(tmp_path) as url:
        env = {**os.environ, "SCIM_TOKEN": TOKEN}
        master = subprocess.Popen(cli + ["--target", url + "/", "--master", "--expect-workers", "1", "--master-port",
                                         str(port), "--master-bind-host", "127.0.0.1", "--tenants", "2", "--users", "5",
                                         "--groups", "1", "--cycles", "1", "--pace", "fast", "--out", str(tmp_path / "o")],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        worker = subprocess.Popen(cli + ["--target", url + "/", "--worker", "--master-host", "127.0.0.1",
                                         "--master-port", str(port)],
                                  env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        out, err = master.communicate(timeout=120)
        worker.communicate(timeout=60)
    assert master.returncode == 0, (out + err).decode()[-2000:]
    assert worker.returncode == 0
    data = json.loads((tmp_path / "o" / "results.json").read_text())
    assert len(data["load"]["workers"]) == 1 and data["load"]["workers"] != ["local"]
    assert all(t["finished"] and t["requests"] for t in data["load"]["tenants"])
    assert b"Traceback" not in out + err


def test_oauth_client_credentials_reach_every_locust_process(tmp_path: Path) -> None:
    from harness.oauth import OAuthSettings

    secret = "load-oauth-secret-42"
    app = create_app(ServerSettings(db=str(tmp_path / "ref.db"), tokens=(TOKEN,), oauth_clients=(("entra", secret),)))
    with serve(app) as url:
        auth = Auth.client_credentials(OAuthSettings(url + "/oauth2/token", "entra", secret))
        config = LoadConfig(url + "/", tenants=2, users=5, groups=1, cycles=1, pace="fast", spawn_rate=2)
        outcome = run_load(config, Target(url + "/", auth, timeout=30), tmp_path / "out", processes=1)
    assert outcome.exit_code == 0, outcome.run.message
    assert all(t["finished"] and t["requests"] and not t["errors"] for t in outcome.load["tenants"])
    for written in (tmp_path / "out").iterdir():
        assert secret not in written.read_text(encoding="utf-8"), written.name
