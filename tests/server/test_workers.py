"""``serve --workers N`` on PostgreSQL, over real sockets: the load spreads over the worker
processes, the duplicate race still gives one 201, a cursor one worker issued is read by another,
and (the issue's proof) two tenants served by 2 workers take an Entra and a JumpCloud simulation at
the same time, both converge, and neither tenant's recorder or data shows the other's traffic."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from reference_server.commands import serve as serve_cmd
from tests.live import free_port
from tests.server.helpers import AUTH, TOKEN, USER

pytestmark = [pytest.mark.socket, pytest.mark.slow]
ROOT = Path(__file__).resolve().parents[2]
ADMIN = "admin-token-for-workers-0123456789"


def _ppid(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


class Served:
    """A ``python -m reference_server ... --workers 2`` process on a free port."""

    def __init__(self, *args: str) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen([sys.executable, "-m", "reference_server", *args, "--port", str(self.port)],
                                     cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
        deadline = time.monotonic() + 60
        while True:
            if self.proc.poll() is not None:
                raise AssertionError(f"server exited: {self.proc.stdout.read().decode()[-2000:]}")  # type: ignore[union-attr]
            try:
                httpx.get(f"{self.url}/ServiceProviderConfig", timeout=2)  # any answer: it listens
                break
            except httpx.TransportError:
                pass
            assert time.monotonic() < deadline, "the server did not start"
            time.sleep(0.1)

    def stop(self) -> None:
        """SIGTERM: uvicorn stops its workers cleanly (each flushes its recorder)."""
        self.proc.terminate()
        self.proc.wait(timeout=60)


@pytest.fixture
def two_workers(pg_cluster: Any) -> Iterator[Served]:
    served = Served("--db", pg_cluster.schema_dsn(), "--workers", "2", "--token", TOKEN)
    yield served
    served.stop()


def _worker_of(url: str, path: str = "/Users", **kw: Any) -> tuple[httpx.Response, str]:
    r = httpx.get(f"{url}{path}", headers=AUTH, timeout=10, **kw)  # a new connection each time
    return r, r.headers["x-served-by"]


def test_sqlite_refuses_workers_with_one_line(tmp_path):
    result = CliRunner().invoke(serve_cmd, ["--db", str(tmp_path / "x.db"), "--workers", "2", "--port",
                                            str(free_port()), "--token", TOKEN])
    assert result.exit_code == 2 and "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1 and "postgresql://" in result.output


def test_requests_spread_over_both_worker_processes(two_workers):
    seen: set[str] = set()
    for _ in range(200):  # bounded: stops as soon as both workers have answered
        r, worker = _worker_of(two_workers.url)
        assert r.status_code == 200
        seen.add(worker)
        if len(seen) == 2:
            break
    assert len(seen) == 2, seen
    pids = {int(w.removeprefix("worker-")) for w in seen}
    assert two_workers.proc.pid not in pids and {_ppid(p) for p in pids} == {two_workers.proc.pid}


def test_fifty_concurrent_duplicates_over_two_workers_give_one_201(two_workers):
    async def storm(name: str) -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=50, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=two_workers.url, headers=AUTH, timeout=60, limits=limits) as http:
            body = {"schemas": [USER], "userName": name}
            return list(await asyncio.gather(*(http.post("/Users", json=body) for _ in range(50))))

    spread = False
    for round_ in range(5):  # bounded: until one storm reached both workers
        name = f"race{round_}@example.com"
        answers = asyncio.run(storm(name))
        assert sorted(r.status_code for r in answers) == [201] + [409] * 49
        r, _ = _worker_of(two_workers.url, params={"filter": f'userName eq "{name}"'})
        assert r.json()["totalResults"] == 1
        if len({r.headers["x-served-by"] for r in answers}) == 2:
            spread = True
            break
    assert spread, "no storm reached both workers"


def test_a_cursor_from_one_worker_is_read_by_the_other(two_workers):
    for i in range(6):
        assert httpx.post(f"{two_workers.url}/Users", json={"schemas": [USER], "userName": f"page{i}"},
                          headers=AUTH, timeout=10).status_code == 201
    crossed = False
    for _ in range(20):  # bounded: until a cursor was read by a worker that did not issue it
        names: list[str] = []
        r, issuer = _worker_of(two_workers.url, params={"cursor": "", "count": "2"})
        while True:
            assert r.status_code == 200, r.text
            names += [u["userName"] for u in r.json()["Resources"]]
            cursor = r.json().get("nextCursor")
            if not cursor:
                break
            r, reader = _worker_of(two_workers.url, params={"cursor": cursor, "count": "2"})
            crossed |= reader != issuer
            issuer = reader
        assert names == [f"page{i}" for i in range(6)]
        if crossed:
            break
    assert crossed


def test_proof_two_tenants_two_workers_entra_and_jumpcloud_at_once(pg_cluster, tmp_path):
    from harness.http import Auth, Target
    from mock_idp.simulate import SimulationConfig, simulate
    from reference_server.store import open_store
    from reference_server.tenants import TenantRegistry

    location = pg_cluster.database_dsn()
    registry = TenantRegistry(location)
    tokens = {name: registry.create(name)[1] for name in ("acme", "globex")}
    registry.close()
    served = Served("--tenants", location, "--workers", "2", "--admin-token", ADMIN)
    plan = {"acme": ("entra", 7), "globex": ("jumpcloud", 8)}
    results: dict[str, Any] = {}
    try:
        def run(tenant: str) -> None:
            idp, seed = plan[tenant]
            target = Target(f"{served.url}/t/{tenant}/scim/v2/", Auth.bearer(tokens[tenant]), timeout=60)
            results[tenant] = simulate(SimulationConfig(idp, target, users=12, groups=2, days=2, seed=seed,
                                                        out=tmp_path / tenant))
        threads = [threading.Thread(target=run, args=(t,)) for t in plan]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=600)
    finally:
        served.stop()  # every worker flushes its recorder on the way out
    for tenant, result in results.items():
        assert result.exit_code == 0, (tenant, result.reason)
    assert set(results) == set(plan)

    registry = TenantRegistry(location)
    seen: dict[str, dict[str, Any]] = {}
    for tenant in plan:
        store = open_store(registry.data_location(tenant))
        try:
            recs = store.recordings(limit=100_000)
            ids = {row.id for kind in ("User", "Group") for row in store.scan(kind)}
        finally:
            store.close()
        agents = {v for r in recs for k, v in r["request_headers"] if k.lower() == "user-agent"}
        created = {json.loads(r["response_body"])["id"] for r in recs
                   if r["method"] == "POST" and r["status"] == 201 and not r["truncated"]}
        seen[tenant] = {"agents": agents, "ids": ids, "created": created}
    registry.close()
    from harness.grade.source import load_exchanges  # recordings grade reads the same tenant schemas
    for tenant, agent in (("acme", "Microsoft*"), ("globex", "JumpCloud*")):
        graded = load_exchanges(location, tenant=tenant)
        assert graded and len(load_exchanges(location, tenant=tenant, client=agent)) == len(graded)
    acme, globex = seen["acme"], seen["globex"]
    assert acme["agents"] == {"Microsoft.Entra.Provisioning (scim-harness simulation)"}, acme["agents"]
    assert globex["agents"] == {"JumpCloud SCIM (scim-harness simulation)"}, globex["agents"]
    for s in (acme, globex):
        assert s["ids"] and s["ids"] <= s["created"]  # every resource a tenant holds came from its own traffic
    assert not (acme["created"] & globex["created"]) and not (acme["ids"] & globex["ids"])


def test_serve_tenants_refuses_the_flags_each_tenant_sets_itself(tmp_path):
    for flags in (["--db", "x.db"], ["--token", TOKEN], ["--quirk", "rate-limit-429"], ["--seed-users", "5"],
                  ["--app", "lambdatest"]):
        result = CliRunner().invoke(serve_cmd, ["--tenants", str(tmp_path / "t"), *flags, "--port", str(free_port())])
        assert result.exit_code == 2 and "Traceback" not in result.output, flags
        assert len(result.output.strip().splitlines()) == 1 and flags[0] in result.output, result.output


def test_tenants_cli_on_a_postgresql_location(pg_cluster):
    from reference_server.tenant_commands import tenants

    location = pg_cluster.database_dsn()
    created = CliRunner().invoke(tenants, ["create", "acme", "--dir", location])
    assert created.exit_code == 0 and "token (shown once" in created.output, created.output
    listed = CliRunner().invoke(tenants, ["list", "--dir", location, "--json"])
    assert [t["name"] for t in json.loads(listed.output)] == ["acme"]
    assert CliRunner().invoke(tenants, ["delete", "acme", "--dir", location]).exit_code == 0
    assert json.loads(CliRunner().invoke(tenants, ["list", "--dir", location, "--json"]).output) == []


def test_concurrent_patches_of_one_group_over_two_workers_lose_no_member(two_workers):
    """Each PATCH is read-modify-write; across processes a stale read must not overwrite another's add."""
    url = two_workers.url
    ids = [httpx.post(f"{url}/Users", json={"schemas": [USER], "userName": f"m{i}"}, headers=AUTH,
                      timeout=10).json()["id"] for i in range(30)]

    async def adds(group: str) -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=30, max_keepalive_connections=0)
        async with httpx.AsyncClient(base_url=url, headers=AUTH, timeout=60, limits=limits) as http:
            return list(await asyncio.gather(*(http.patch(f"/Groups/{group}", json={
                "schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                "Operations": [{"op": "add", "path": "members", "value": [{"value": m}]}]}) for m in ids)))

    spread = False
    for round_ in range(5):  # bounded: until one round's PATCHes reached both workers
        group = httpx.post(f"{url}/Groups", json={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"],
                                                  "displayName": f"g{round_}"}, headers=AUTH, timeout=10).json()["id"]
        answers = asyncio.run(adds(group))
        assert {r.status_code for r in answers} <= {200, 204}, [r.text for r in answers if r.status_code >= 300][:2]
        members = httpx.get(f"{url}/Groups/{group}", headers=AUTH, timeout=10).json().get("members", [])
        assert sorted(m["value"] for m in members) == sorted(ids)
        if len({r.headers["x-served-by"] for r in answers}) == 2:
            spread = True
            break
    assert spread, "no round reached both workers"
