"""Reference server speed over a real socket (issue 4 §3).

For 1k, 10k, 100k and 1M users seeded straight into the database, measure p50/p99 latency and
requests/second of POST, GET by id, ``filter=userName eq``, PATCH replace ``active`` and a page of
100, each with a bounded number of requests.  Then print (a) the growth of the ``userName eq`` p50
from 1k to 1M (goal <= 1.5x), (b) throughput as a fraction of an empty-handler ceiling (a trivial
Starlette app returning fixed JSON on the same uvicorn stack; goal >= 60%), (c) the same
operations against the ``scim2-server`` package (in-memory storage, its ASGI app on uvicorn).

On a shared machine the before/after ceiling can be minutes away from the reference figures, so
(b) is also measured in adjacent pairs (a ceiling round, then a reference round, both servers up)
and the median of the per-pair ratios is reported.

Servers run in their own processes (one core for the server, one for the load generator); the
load generator is a minimal keep-alive HTTP/1.1 client on asyncio so that it costs less than the
server it measures.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TOKEN = "bench-token-0123456789abcdef0123"
SIZES = (1_000, 10_000, 100_000, 1_000_000)
CONCURRENCY = 8
USER_URN = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
N = {"POST": 1000, "GET by id": 2000, "userName eq": 2000, "PATCH active": 1000, "page of 100": 200}


# -- load generator ---------------------------------------------------------------------------

def http_request(method: str, path: str, body: object | None = None, token: str | None = TOKEN) -> bytes:
    data = b"" if body is None else json.dumps(body).encode()
    lines = [f"{method} {path} HTTP/1.1", "Host: 127.0.0.1", "Accept: application/scim+json"]
    if token:
        lines.append(f"Authorization: Bearer {token}")
    if body is not None:
        lines += ["Content-Type: application/scim+json", f"Content-Length: {len(data)}"]
    return ("\r\n".join(lines) + "\r\n\r\n").encode() + data


async def _worker(port: int, make: Callable[[int], bytes], counter: list[int], n: int,
                  latencies: list[float], statuses: list[int]) -> None:
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        while counter[0] < n:
            i = counter[0]
            counter[0] += 1
            started = time.perf_counter()
            writer.write(make(i))
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head[9:12])
            length, chunked = 0, False
            for line in head.split(b"\r\n"):
                low = line.lower()
                if low.startswith(b"content-length:"):
                    length = int(line[15:])
                elif low.startswith(b"transfer-encoding:") and b"chunked" in low:
                    chunked = True
            if chunked:  # scim2-server streams its bodies
                while True:
                    size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            elif length:
                await reader.readexactly(length)
            latencies.append(time.perf_counter() - started)
            statuses.append(status)
    finally:
        writer.close()


def measure(port: int, make: Callable[[int], bytes], n: int, concurrency: int = CONCURRENCY) -> dict:
    """Send ``n`` requests over ``concurrency`` keep-alive connections; latency and throughput."""
    latencies: list[float] = []
    statuses: list[int] = []
    counter = [0]

    async def run() -> float:
        started = time.perf_counter()
        await asyncio.wait_for(asyncio.gather(*(_worker(port, make, counter, n, latencies, statuses)
                                                for _ in range(concurrency))), timeout=300)
        return time.perf_counter() - started

    elapsed = asyncio.run(run())
    latencies.sort()
    return {"p50_ms": statistics.median(latencies) * 1000, "p99_ms": latencies[int(len(latencies) * 0.99) - 1] * 1000,
            "rps": len(latencies) / elapsed, "n": len(latencies),
            "errors": sum(1 for s in statuses if s >= 400)}


# -- servers ----------------------------------------------------------------------------------

def _free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(port: int, proc: subprocess.Popen, path: bytes = b"/ServiceProviderConfig") -> None:
    import socket
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited: {proc.stdout.read().decode()[-2000:] if proc.stdout else ''}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
                s.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n\r\n")
                if s.recv(12).startswith(b"HTTP/1.1"):
                    return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError("server did not start")


def start(kind: str, port: int, db: str = "") -> subprocess.Popen:
    if kind == "reference":
        cmd = [sys.executable, "-m", "reference_server", "--db", db, "--port", str(port), "--token", TOKEN]
    else:
        cmd = [sys.executable, "-m", "bench.bench_server", f"serve-{kind}", str(port)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    _wait(port, proc, b"/v2/ServiceProviderConfig" if kind == "scim2" else b"/ServiceProviderConfig")
    return proc


def stop(proc: subprocess.Popen) -> None:
    proc.terminate()
    try:
        proc.wait(timeout=20)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def serve_ceiling(port: int) -> None:
    """The empty-handler ceiling: fixed JSON, same Starlette + uvicorn stack."""
    import uvicorn
    from starlette.applications import Starlette
    from starlette.responses import Response
    from starlette.routing import Route

    body = json.dumps({"schemas": [USER_URN], "id": "x", "userName": "fixed"}).encode()

    async def fixed(request):  # noqa: ANN001, ANN202
        return Response(body, media_type="application/scim+json")

    app = Starlette(routes=[Route("/{path:path}", fixed, methods=["GET", "POST", "PATCH"])])
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


def serve_scim2(port: int) -> None:
    """scim2-server's ASGI app with its in-memory storage and default schemas, on uvicorn."""
    import secrets

    import uvicorn
    from scim2_models import ScimProvider
    from scim2_server.applications.asgi import ASGIApplication
    from scim2_server.memory import AsyncInMemoryStorage
    from scim2_server.service import ScimService
    from scim2_server.utils import (
        load_default_resource_types, load_default_schemas, load_default_service_provider_config,
    )

    provider = ScimProvider.from_discovery(load_default_schemas().values(), load_default_resource_types().values(),
                                           config=load_default_service_provider_config())
    try:
        service = ScimService(provider, secret=secrets.token_urlsafe(32))
    except (ModuleNotFoundError, TypeError):
        service = ScimService(provider)
    app = ASGIApplication(AsyncInMemoryStorage(), provider, service)
    uvicorn.run(app, host="127.0.0.1", port=port, log_level="warning", access_log=False)


# -- the benchmark ----------------------------------------------------------------------------

def operations(size: int, tag: str, ids: Callable[[int], str], names: Callable[[int], str],
               prefix: str = "", token: str | None = TOKEN) -> dict[str, Callable[[int], bytes]]:
    rnd = random.Random(size)
    pick = lambda: rnd.randrange(size)  # noqa: E731
    deepest = max(1, min(size, 10_000) - 100)
    return {
        "POST": lambda i: http_request("POST", f"{prefix}/Users", {"schemas": [USER_URN], "userName": f"{tag}-{i}@bench",
                                                                   "active": True}, token),
        "GET by id": lambda i: http_request("GET", f"{prefix}/Users/{ids(pick())}", None, token),
        "userName eq": lambda i: http_request(
            "GET", f"{prefix}/Users?filter=userName%20eq%20%22{names(pick())}%22", None, token),
        "PATCH active": lambda i: http_request("PATCH", f"{prefix}/Users/{ids(pick())}", {
            "schemas": [PATCH_URN], "Operations": [{"op": "replace", "path": "active", "value": i % 2 == 0}]}, token),
        "page of 100": lambda i: http_request(
            "GET", f"{prefix}/Users?startIndex={rnd.randrange(1, deepest + 1)}&count=100", None, token),
    }


ROUNDS = 2  # this machine is shared: each figure is the best of a few rounds, spread in time


def best_of(rounds: int, run: Callable[[int], dict]) -> dict:
    """The round with the highest throughput (on a loaded machine the others measure the neighbours)."""
    return max((run(r) for r in range(rounds)), key=lambda m: m["rps"])


def offset(make: Callable[[int], bytes], round_no: int) -> Callable[[int], bytes]:
    return lambda i: make(i + round_no * 100_000)


def warm_up(port: int, ops: dict[str, Callable[[int], bytes]]) -> None:
    """A few unmeasured requests of each kind first (caches, lazy imports, connection set-up)."""
    for make in ops.values():
        measure(port, lambda i, make=make: make(i + 900_000), 150)


def row(label: str, m: dict) -> str:
    return (f"  {label:14} p50 {m['p50_ms']:7.2f} ms   p99 {m['p99_ms']:7.2f} ms   {m['rps']:7.0f} req/s"
            f"   n={m['n']}{'   errors=' + str(m['errors']) if m['errors'] else ''}")


def bench_reference(workdir: Path) -> dict[int, dict[str, dict]]:
    sys.path.insert(0, str(ROOT))
    from reference_server.seed import seed_user_id, seed_user_name, seed_users
    from reference_server.store_sqlite import SqliteStore

    db = str(workdir / "bench.db")
    results: dict[int, dict[str, dict]] = {}
    seeded = 0
    for size in SIZES:
        started = time.perf_counter()
        store = SqliteStore(db)
        seed_users(store, size - seeded, datetime.now(timezone.utc), start=seeded)
        store.close()
        print(f"\n{size:,} users (seeded {size - seeded:,} in {time.perf_counter() - started:.1f} s)", flush=True)
        seeded = size
        port = _free_port()
        proc = start("reference", port, db)
        try:
            results[size] = {}
            ops = operations(size, f"s{size}", seed_user_id, seed_user_name)
            warm_up(port, ops)
            for name, make in ops.items():
                m = best_of(ROUNDS, lambda r, make=make: measure(port, offset(make, r), N[name]))
                results[size][name] = m
                print(row(name, m), flush=True)
            # one connection: latency without queueing behind the other 7 (what (a) compares)
            m = best_of(3, lambda r: measure(port, offset(ops["userName eq"], r), 500, concurrency=1))
            results[size]["userName eq 1c"] = m
            print(row("userName eq 1c", m), flush=True)
        finally:
            stop(proc)
        m = results[size]["userName eq in-process"] = lookup_in_process(db, size)
        print(f"  {'userName eq':14} in-process (service.query, no HTTP) p50 {m['p50_ms'] * 1000:6.1f} us", flush=True)
    return results


def lookup_in_process(db: str, size: int, n: int = 2000) -> dict:
    """The server's own cost of ``userName eq`` (service.query on the database, no HTTP), best of 3."""
    from reference_server.app import create_app
    from reference_server.seed import seed_user_name
    from reference_server.service import Query
    from reference_server.settings import ServerSettings

    app = create_app(ServerSettings(db=db, tokens=(TOKEN,), record=False))
    rnd = random.Random(size)
    best = None
    try:
        for _ in range(3):
            lat = []
            for _ in range(n):
                q = Query(filter=f'userName eq "{seed_user_name(rnd.randrange(size))}"')
                started = time.perf_counter()
                app.service.query(["User"], q, "http://bench")
                lat.append(time.perf_counter() - started)
            p50 = statistics.median(lat) * 1000
            best = p50 if best is None else min(best, p50)
    finally:
        app.close()
    return {"p50_ms": best}


def paired_ratios(workdir: Path, size: int = SIZES[0], pairs: int = 3) -> dict[str, list[float]]:
    """(b) measured in pairs: a ceiling round, then a reference round, minutes closer than the
    before/after ceiling of ``main``; on a shared machine the neighbours' load moves both alike.
    Both servers stay up (an idle one costs nothing); each ratio compares two adjacent rounds."""
    from reference_server.seed import seed_user_id, seed_user_name, seed_users
    from reference_server.store_sqlite import SqliteStore

    db = str(workdir / "pairs.db")
    store = SqliteStore(db)
    seed_users(store, size, datetime.now(timezone.utc))
    store.close()
    ceiling_port, ref_port = _free_port(), _free_port()
    ceiling, ref = start("ceiling", ceiling_port), None
    try:
        ref = start("reference", ref_port, db)
        ops = operations(size, "pair", seed_user_id, seed_user_name)
        fixed = lambda i: http_request("GET", "/Users/x")  # noqa: E731
        warm_up(ref_port, {k: ops[k] for k in ("GET by id", "userName eq")})
        measure(ceiling_port, fixed, 300)
        out: dict[str, list[float]] = {"GET by id": [], "userName eq": []}
        for r in range(pairs):
            for name in out:
                c = measure(ceiling_port, fixed, 2000)["rps"]
                m = measure(ref_port, offset(ops[name], r + 10), N[name])["rps"]
                out[name].append(m / c)
        return out
    finally:
        stop(ceiling)
        if ref is not None:
            stop(ref)


def bench_ceiling() -> dict:
    port = _free_port()
    proc = start("ceiling", port)
    try:
        make = lambda i: http_request("GET", "/Users/x")  # noqa: E731
        measure(port, make, 300)
        return best_of(ROUNDS + 1, lambda r: measure(port, make, 2000))
    finally:
        stop(proc)


def bench_scim2(size: int = 1000) -> dict[str, dict] | None:
    port = _free_port()
    try:
        proc = start("scim2", port)
    except RuntimeError as exc:
        print(f"  scim2-server could not start: {exc}")
        return None
    try:
        # seed over HTTP (its storage is in memory) and keep the ids it assigned
        import httpx
        ids: list[str] = []
        with httpx.Client(base_url=f"http://127.0.0.1:{port}/v2", timeout=30) as http:
            for i in range(size):
                r = http.post("/Users", json={"schemas": [USER_URN], "userName": f"user{i:07d}@example.com"})
                if r.status_code != 201:
                    print(f"  scim2-server refused a seed POST: {r.status_code} {r.text[:200]}")
                    return None
                ids.append(r.json()["id"])
        out = {}
        ops = operations(size, "p", lambda i: ids[i], lambda i: f"user{i:07d}@example.com", prefix="/v2", token=None)
        warm_up(port, ops)
        for name, make in ops.items():
            m = best_of(ROUNDS, lambda r, make=make: measure(port, offset(make, r), N[name]))
            out[name] = m
            print(row(name, m), flush=True)
        return out
    finally:
        stop(proc)


def main() -> None:
    total = time.perf_counter()
    ceiling_before = bench_ceiling()  # the ceiling is measured before and after; the faster is kept
    with tempfile.TemporaryDirectory(prefix="bench-server-") as tmp:
        print(f"reference server, {CONCURRENCY} keep-alive connections, {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f}; each figure is the best of {ROUNDS} rounds")
        ref = bench_reference(Path(tmp))
        print(f"\n(b) in pairs (ceiling round, then reference round; {SIZES[0]:,} users), reference/ceiling:",
              flush=True)
        pairs = paired_ratios(Path(tmp))
        for name, ratios in pairs.items():
            print(f"  {name:14} " + "  ".join(f"{x:.0%}" for x in ratios), flush=True)
    print(f"\nempty-handler ceiling (Starlette + uvicorn, fixed JSON), best of {ROUNDS + 1} rounds, before and after:")
    ceiling = max(ceiling_before, bench_ceiling(), key=lambda m: m["rps"])
    print(row("GET fixed", ceiling))
    print("\nscim2-server (in-memory storage, ASGI on uvicorn), 1,000 users:")
    peer = bench_scim2()

    small, big = ref[SIZES[0]], ref[SIZES[-1]]
    print("\n=== summary ===")
    for key, label in (("userName eq in-process", "in-process, no HTTP"), ("userName eq 1c", "1 connection"),
                       ("userName eq", f"{CONCURRENCY} connections")):
        growth = big[key]["p50_ms"] / small[key]["p50_ms"]
        print(f"(a) userName eq p50 ({label}): {small[key]['p50_ms']:.2f} ms at {SIZES[0]:,} -> "
              f"{big[key]['p50_ms']:.2f} ms at {SIZES[-1]:,} users: x{growth:.2f} (goal <= 1.5) "
              f"{'OK' if growth <= 1.5 else 'MISSED'}")
    for name in ("GET by id", "userName eq"):
        frac = small[name]["rps"] / ceiling["rps"]
        print(f"(b) {name} throughput at {SIZES[0]:,} users: {small[name]['rps']:.0f} req/s = {frac:.0%} of the "
              f"ceiling's {ceiling['rps']:.0f} req/s (goal >= 60%) {'OK' if frac >= 0.6 else 'MISSED'}")
    for name, ratios in pairs.items():
        med = statistics.median(ratios)
        print(f"(b) {name} in adjacent pairs (median of {len(ratios)}): {med:.0%} of the ceiling "
              f"(goal >= 60%) {'OK' if med >= 0.6 else 'MISSED'}")
    if peer:
        for name in N:
            print(f"(c) {name:13} reference {small[name]['rps']:7.0f} req/s vs scim2-server {peer[name]['rps']:7.0f} "
                  f"req/s: x{small[name]['rps'] / peer[name]['rps']:.1f}")
    else:
        print("(c) scim2-server: not measured (see above)")
    print(f"total bench time {time.perf_counter() - total:.0f} s; load average now {os.getloadavg()[0]:.1f} "
          "(this machine is shared: figures move with the neighbours' load)")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "serve-ceiling":
        serve_ceiling(int(sys.argv[2]))
    elif len(sys.argv) == 3 and sys.argv[1] == "serve-scim2":
        serve_scim2(int(sys.argv[2]))
    else:
        main()
