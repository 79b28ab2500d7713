"""Load engine figures: memory per tenant, our per-request overhead against bare Locust, scaling.

1. Memory: (a) tenants of 5,000 users (and 50 groups), each a real TenantJob run through its
   whole initial cycle against an in-process sink (every create answered with a new id), kept
   alive with everything the engine holds; resident memory per synced tenant. (b) A real Locust
   worker running 300 such tenants at the documented pace (goal: under 1.5 GB in one worker).
2. Requests/s of one Locust process issuing the same GET (a userName lookup) through bare Locust
   (``FastHttpUser``) and through our stack (``TargetClient`` over the geventhttpclient wire the
   tenant jobs use + shape + Locust event; also over the httpx wire every other command uses), against a
   trivial ASGI endpoint (the ceiling) and the reference server, and the Locust process's CPU per
   request (less moved by the machine's other work). Goal: ours >= 0.5 of bare.
   ``python -m bench.bench_load overhead`` runs only this part.
3. ``scim-harness load --pace fast`` for a few seconds with 1, then 2 worker processes, against
   the trivial endpoint (the ceiling) and the reference server, with the CPU the target used
   (``python -m bench.bench_load scaling`` runs only this part).
Every target runs in its own process on a loopback port; every run is bounded in time.
"""

from __future__ import annotations

import json
import os
import re
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"
SECONDS = 8
TENANTS_MEASURED = 6
WORKER_TENANTS = 300

MEMORY = """
import gc, json, uuid
import httpx
from harness.http import Auth, Target
from harness.wire import HttpxWire
from mock_idp.load.config import LoadConfig, tenant_specs
from mock_idp.load.tenant import TenantJob
LIST = b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[]}'
def sink(request):
    if request.method == "POST":
        body = json.loads(request.content); body["id"] = str(uuid.uuid4())
        return httpx.Response(201, headers={"content-type": "application/scim+json"}, content=json.dumps(body).encode())
    if request.method == "GET":
        return httpx.Response(200, headers={"content-type": "application/scim+json"}, content=LIST)
    return httpx.Response(204)
def rss(): return int(open('/proc/self/statm').read().split()[1]) * 4096
def job(n, users, prefix):
    spec = tenant_specs(LoadConfig("http://sink/", tenants=n, users=users, groups=50, cycles=0, pace="fast",
                                   run_prefix=prefix))
    return [TenantJob(s, Target("http://sink/", Auth.bearer("t")), lambda *a: None, factor=None, cycles=0,
                      duration=None, wire=HttpxWire(httpx.Client(transport=httpx.MockTransport(sink)))) for s in spec]
job(1, 50, "lt000001-")[0].run()  # imports, profile and mapping caches
gc.collect(); base = rss(); keep = []
for j in job(%(n)d, 5000, "lt000000-"):
    report = j.run()
    assert report.error is None and len(j.engine.job.user_links) > 4000
    keep.append(j)
gc.collect()
print((rss() - base) / %(n)d)
"""

TRIVIAL = """
import uvicorn
BODY = b'{"schemas":["urn:ietf:params:scim:api:messages:2.0:ListResponse"],"totalResults":0,"Resources":[]}'
async def app(scope, receive, send):
    if scope["type"] != "http": return
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/scim+json")]})
    await send({"type": "http.response.body", "body": BODY})
uvicorn.run(app, host="127.0.0.1", port=%(port)d, log_level="warning")
"""


def _port() -> int:
    from mock_idp.load.run import free_port

    return free_port()


def _wait_up(url: str) -> None:
    import httpx

    for _ in range(100):
        try:
            httpx.get(url + "/Users", headers={"Authorization": f"Bearer {TOKEN}"}, timeout=1)
            return
        except httpx.HTTPError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not start")


def _server(kind: str, db: Path) -> tuple[subprocess.Popen[bytes], str]:
    port = _port()
    if kind == "trivial":
        cmd = [sys.executable, "-c", TRIVIAL % {"port": port}]
    else:
        cmd = [sys.executable, "-m", "reference_server", "--db", str(db), "--port", str(port), "--token", TOKEN]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=ROOT)
    url = f"http://127.0.0.1:{port}"
    _wait_up(url)
    return proc, url


def _locust_rps(user: str, url: str, tmp: Path, transport: str = "gevent") -> tuple[float, float]:
    """Requests/s of one headless Locust process of 20 ``user``s, and its CPU microseconds per request."""
    out = tmp / f"{user}-{transport}.json"
    cpu = tmp / f"{user}-{transport}.cpu"
    cmd = [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "load_users.py"), user, "--headless", "-u", "20",
           "-r", "20", "-t", f"{SECONDS}s", "--host", url, "--only-summary", "--json-file", str(out.with_suffix(""))]
    env = {**os.environ, "BENCH_TOKEN": TOKEN, "BENCH_TRANSPORT": transport, "BENCH_CPU_FILE": str(cpu)}
    subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, timeout=120)
    stats = json.loads(out.read_text())
    requests = sum(s["num_requests"] for s in stats)
    failures = sum(s["num_failures"] for s in stats)
    if failures:  # a stack that fails fast would look fast
        raise RuntimeError(f"{user} over {transport}: {failures} of {requests} requests failed")
    first = min(s["start_time"] for s in stats)
    last = max(s["last_request_timestamp"] for s in stats)
    return requests / max(1e-6, last - first), float(cpu.read_text()) / max(1, requests) * 1e6


def overhead(tmp: Path, kinds: tuple[str, ...] = ("trivial", "reference")) -> None:
    """Bare ``FastHttpUser`` against our stack, same GET, each target in its own process."""
    for kind in kinds:
        proc, url = _server(kind, tmp / f"{kind}.db")
        try:
            # interleaved, best of two: other work on the machine shifts single runs a lot
            runs = [(_locust_rps("BareGet", url, tmp), _locust_rps("HarnessGet", url, tmp),
                     _locust_rps("HarnessGet", url, tmp, "httpx")) for _ in range(2)]
            bare, ours, plain = (max(r[i][0] for r in runs) for i in range(3))
            bare_cpu, ours_cpu, plain_cpu = (min(r[i][1] for r in runs) for i in range(3))
        finally:
            proc.terminate()
            proc.wait()
        print(f"{kind:9} target: bare FastHttpUser {bare:7.0f} req/s, our stack {ours:7.0f} req/s, "
              f"ratio {ours / bare if bare else 0:.2f} (goal >= 0.5); over the httpx wire {plain:.0f} req/s")
        print(f"{'':9}   CPU per request in the Locust process: bare {bare_cpu:.0f} us, ours {ours_cpu:.0f} us "
              f"(bare/ours {bare_cpu / ours_cpu if ours_cpu else 0:.2f}), over the httpx wire {plain_cpu:.0f} us")


def _cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")  # utime + stime


def _idle_seconds() -> float:
    """Seconds every core of this machine spent idle since boot (/proc/stat: idle + iowait)."""
    fields = Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]
    return (int(fields[3]) + int(fields[4])) / os.sysconf("SC_CLK_TCK")


def _load_rps(url: str, processes: int, tmp: Path, target_pid: int) -> dict[str, float]:
    """A ``--pace fast`` run with more work than the run's duration (80 tenants' initial cycles of
    ~1,000 objects each, ~170,000 requests: 40 tenants were done in 13 s once a request cost what
    bare Locust's does, and left no steady window to measure):
    requests/s (the median 2-second window, from Locust's per-second counts, ramp-up and tail left out) and, over the run, the cores the target used, the cores
    our Locust processes used, and the share of the machine left idle."""
    out = tmp / f"load{processes}-{target_pid}"
    cmd = [sys.executable, "-c", "from harness.cli import main; main()", "load", "--target", url + "/", "--token", TOKEN,
           "--tenants", "80", "--users", "1000", "--groups", "20", "--pace", "fast", "--duration", f"{SECONDS * 2}s",
           "--spawn-rate", "100", "--processes", str(processes), "--keep", "--out", str(out)]
    target, idle, ours = _cpu_seconds(target_pid), _idle_seconds(), resource.getrusage(resource.RUSAGE_CHILDREN)
    wall = time.monotonic()
    subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=180)
    wall = time.monotonic() - wall
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    data = json.loads((out / "results.json").read_text())
    windows = sorted(p["rps"] for p in data["load"]["timeline"][1:-1])
    return {"rps": windows[len(windows) // 2] if windows else 0.0,
            "target": (_cpu_seconds(target_pid) - target) / wall,
            "ours": (after.ru_utime + after.ru_stime - ours.ru_utime - ours.ru_stime) / wall,
            "idle": (_idle_seconds() - idle) / wall / (os.cpu_count() or 1)}


def _worker_memory(url: str, tmp: Path) -> dict[str, object]:
    """A real run: 300 tenants of 5,000 users at the documented pace in one process (each tenant's
    directory takes about 0.3 s of CPU to draw, so spawning all 300 takes a minute or two)."""
    out = tmp / "memory"
    cmd = [sys.executable, "-c", "from harness.cli import main; main()", "load", "--target", url + "/", "--token", TOKEN,
           "--tenants", str(WORKER_TENANTS), "--users", "5000", "--groups", "50", "--pace", "documented",
           "--duration", "200s", "--spawn-rate", "10", "--keep", "--out", str(out)]
    subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=600)
    memory: dict[str, object] = json.loads((out / "results.json").read_text())["load"]["memory"]
    return memory


def main() -> None:
    per_tenant = float(subprocess.run([sys.executable, "-c", MEMORY % {"n": TENANTS_MEASURED}], cwd=ROOT,
                                      capture_output=True, text=True, timeout=600).stdout.strip() or 0)
    print(f"memory: {per_tenant / 1e6:.2f} MB per tenant of 5,000 users (+50 groups) with its links; "
          f"300 tenants ~ {per_tenant * 300 / 1e9:.2f} GB (goal < 1.5 GB)")
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        overhead(tmp)
        proc, url = _server("reference", tmp / "memory.db")
        try:
            memory = _worker_memory(url, tmp)
        finally:
            proc.terminate()
            proc.wait()
        per = float(memory.get("per_tenant_bytes") or 0)  # type: ignore[arg-type]
        for node, m in (memory.get("processes") or {}).items():  # type: ignore[attr-defined]
            print(f"a real worker ({node}): {m['rss_start'] / 1e6:.0f} MB at start, {m['rss_max'] / 1e6:.0f} MB "
                  f"with {m['tenants_max']} tenants of 5,000 users running ({per / 1e6:.2f} MB per tenant)")
        scaling(tmp)


def scaling(tmp: Path) -> None:
    """1 and 2 worker processes against each target (one run each), with where the CPU went."""
    for kind in ("trivial", "reference"):
        proc, url = _server(kind, tmp / f"scale-{kind}.db")
        try:
            one, two = _load_rps(url, 1, tmp, proc.pid), _load_rps(url, 2, tmp, proc.pid)
        finally:
            proc.terminate()
            proc.wait()
        for n, r in ((1, one), (2, two)):
            print(f"load --pace fast vs the {kind} target, {n} worker(s): {r['rps']:.0f} req/s; cores used: target "
                  f"{r['target']:.2f}, our Locust processes {r['ours']:.2f}; machine idle {r['idle']:.0%}")
        print(f"  1 -> 2 workers: x{two['rps'] / one['rps'] if one['rps'] else 0:.2f}")


if __name__ == "__main__":
    # python -m bench.bench_load overhead | scaling: only the ratio to bare Locust, or only 1 -> 2 workers
    part = {"overhead": overhead, "scaling": scaling}.get(sys.argv[1] if sys.argv[1:] else "")
    if part is not None:
        with tempfile.TemporaryDirectory() as tmpdir:
            part(Path(tmpdir))
    else:
        main()
