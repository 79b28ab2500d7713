"""Load engine figures: memory per tenant, our per-request overhead against bare Locust, scaling.

1. Memory: tenants of 5,000 users (and 50 groups) built from their seeds in one process, with
   the links a job holds after its initial cycle; resident memory per tenant, extrapolated to
   300 tenants (goal: under 1.5 GB in one worker).
2. Requests/s of one Locust process issuing the same GET (a userName lookup) through bare Locust
   (``FastHttpUser``) and through our stack (``TargetClient`` over the geventhttpclient transport
   the tenant jobs use + shape + Locust event; also over httpx's own transport), against a
   trivial ASGI endpoint (the ceiling) and the reference server. Goal: ours >= 0.5 of bare.
3. ``scim-harness load --pace fast`` for a few seconds with 1, then 2 worker processes.
Every target runs in its own process on a loopback port; every run is bounded in time.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TOKEN = "bench-token"
SECONDS = 8
TENANTS_MEASURED = 20

MEMORY = """
import resource, sys, uuid
from mock_idp.directory import make_directory
from mock_idp.engine import Job
def rss(): return int(open('/proc/self/statm').read().split()[1]) * 4096
base = rss(); keep = []
for i in range(%(n)d):
    d = make_directory(5000, 50, 1000 + i, "assigned", f"lt000000-t{i:04d}-")
    job = Job(); job.user_links = {u: str(uuid.uuid4()) for u in d.users}
    for g in d.groups.values():
        job.group_links[g.object_id] = str(uuid.uuid4()); job.group_members[g.object_id] = {job.user_links[m] for m in g.members}
    keep.append((d, job))
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


def _locust_rps(user: str, url: str, tmp: Path, transport: str = "gevent") -> float:
    out = tmp / f"{user}-{transport}.json"
    cmd = [sys.executable, "-m", "locust", "-f", str(ROOT / "bench" / "load_users.py"), user, "--headless", "-u", "20",
           "-r", "20", "-t", f"{SECONDS}s", "--host", url, "--only-summary", "--json-file", str(out.with_suffix(""))]
    subprocess.run(cmd, cwd=ROOT, env={**os.environ, "BENCH_TOKEN": TOKEN, "BENCH_TRANSPORT": transport}, capture_output=True, timeout=120)
    stats = json.loads(out.read_text())
    requests = sum(s["num_requests"] for s in stats)
    first = min(s["start_time"] for s in stats)
    last = max(s["last_request_timestamp"] for s in stats)
    return requests / max(1e-6, last - first)


def _load_rps(url: str, processes: int, tmp: Path) -> float:
    out = tmp / f"load{processes}"
    cmd = [sys.executable, "-c", "from harness.cli import main; main()", "load", "--target", url + "/", "--token", TOKEN,
           "--tenants", "8", "--users", "300", "--groups", "10", "--pace", "fast", "--duration", f"{SECONDS}s",
           "--spawn-rate", "100", "--processes", str(processes), "--keep", "--out", str(out)]
    subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=180)
    data = json.loads((out / "results.json").read_text())
    timeline = [p for p in data["load"]["timeline"] if p["rps"] > 0]
    return sum(p["rps"] for p in timeline) / max(1, len(timeline))


def _worker_memory(url: str, tmp: Path) -> dict[str, object]:
    """A real run: 20 tenants of 5,000 users at the documented pace in one process, for 20 s."""
    out = tmp / "memory"
    cmd = [sys.executable, "-c", "from harness.cli import main; main()", "load", "--target", url + "/", "--token", TOKEN,
           "--tenants", "20", "--users", "5000", "--groups", "50", "--pace", "documented", "--duration", "20s",
           "--spawn-rate", "20", "--out", str(out)]
    subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=300)
    memory: dict[str, object] = json.loads((out / "results.json").read_text())["load"]["memory"]
    return memory


def main() -> None:
    per_tenant = float(subprocess.run([sys.executable, "-c", MEMORY % {"n": TENANTS_MEASURED}], cwd=ROOT,
                                      capture_output=True, text=True, timeout=600).stdout.strip() or 0)
    print(f"memory: {per_tenant / 1e6:.2f} MB per tenant of 5,000 users (+50 groups) with its links; "
          f"300 tenants ~ {per_tenant * 300 / 1e9:.2f} GB (goal < 1.5 GB)")
    with tempfile.TemporaryDirectory() as tmpdir:
        tmp = Path(tmpdir)
        for kind in ("trivial", "reference"):
            proc, url = _server(kind, tmp / f"{kind}.db")
            try:
                # interleaved, best of two: other work on the machine shifts single runs a lot
                runs = [(_locust_rps("BareGet", url, tmp), _locust_rps("HarnessGet", url, tmp),
                         _locust_rps("HarnessGet", url, tmp, "httpx")) for _ in range(2)]
                bare, ours, plain = (max(r[i] for r in runs) for i in range(3))
            finally:
                proc.terminate()
                proc.wait()
            print(f"{kind:9} target: bare FastHttpUser {bare:7.0f} req/s, our stack {ours:7.0f} req/s, "
                  f"ratio {ours / bare if bare else 0:.2f} (goal >= 0.5); with httpx's own transport {plain:.0f} req/s")
        proc, url = _server("reference", tmp / "scale.db")
        try:
            memory = _worker_memory(url, tmp)
            per = memory.get("per_tenant_bytes")
            for node, m in (memory.get("processes") or {}).items():  # type: ignore[attr-defined]
                print(f"a real worker ({node}): {m['rss_start'] / 1e6:.0f} MB at start, {m['rss_max'] / 1e6:.0f} MB "
                      f"with {m['tenants_max']} tenants of 5,000 users running; "
                      f"{(per or 0) / 1e6:.1f} MB per tenant, 300 tenants ~ {(per or 0) * 300 / 1e9:.2f} GB")
            one = _load_rps(url, 1, tmp)
            two = _load_rps(url, 2, tmp)
        finally:
            proc.terminate()
            proc.wait()
        print(f"load --pace fast vs the reference server: 1 worker {one:.0f} req/s, 2 workers {two:.0f} req/s "
              f"(x{two / one if one else 0:.2f})")


if __name__ == "__main__":
    main()
