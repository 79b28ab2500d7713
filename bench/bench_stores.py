"""SQLite vs PostgreSQL stores over a real socket (issue 15 §2).

At 1k and 1M users (seeded straight into each database: ``executemany`` on SQLite, COPY on
PostgreSQL; never over HTTP), measure ``userName eq`` lookups and POST throughput for three
servers: SQLite in 1 process, PostgreSQL in 1 worker and PostgreSQL in 2 workers
(``serve --workers 2``), and print each as a ratio to SQLite's figure of the same run.

PostgreSQL is a throwaway cluster of Debian's package (``tests/pg.py``: initdb in a temporary
directory, a free loopback port, removed afterwards), with ``fsync=off`` as in the tests, so the
figures compare the stores' query paths, not the disks. The load generator is bench_server's
(8 keep-alive connections from one asyncio process). On this 2-core machine the generator, the
workers and PostgreSQL share the cores, so the 2-worker figure is a floor of what more cores give.

``python -m bench stores``            1k and 1M users
``python -m bench.bench_stores --quick``  1k users only (a minute; for CI or a smoke run)
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from bench.bench_server import (
    CONCURRENCY, ROOT, TOKEN, _free_port, _wait, best_of, measure, offset, operations, row, stop, warm_up,
)

SIZES = (1_000, 1_000_000)
N = {"userName eq": 2000, "POST": 1000}
ROUNDS = 2


def _serve(db: str, workers: int) -> tuple[subprocess.Popen[bytes], int]:
    port = _free_port()
    cmd = [sys.executable, "-m", "reference_server", "--db", db, "--port", str(port), "--token", TOKEN,
           "--workers", str(workers)]
    proc = subprocess.Popen(cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    _wait(port, proc)
    return proc, port


def _seed(db: str, have: int, size: int) -> float:
    from reference_server.seed import seed_users
    from reference_server.store import open_store

    started = time.perf_counter()
    store = open_store(db)
    try:
        seed_users(store, size - have, datetime.now(timezone.utc), start=have)
    finally:
        store.close()
    return time.perf_counter() - started


def _measure(db: str, workers: int, size: int, tag: str) -> dict[str, dict[str, Any]]:
    from reference_server.seed import seed_user_id, seed_user_name

    proc, port = _serve(db, workers)
    try:
        ops = operations(size, tag, seed_user_id, seed_user_name)
        chosen: dict[str, Callable[[int], bytes]] = {name: ops[name] for name in N}
        warm_up(port, chosen)
        out = {}
        for name, make in chosen.items():
            out[name] = best_of(ROUNDS, lambda r, make=make, name=name: measure(port, offset(make, r), N[name]))
            print(row(name, out[name]), flush=True)
        return out
    finally:
        stop(proc)


def main(sizes: tuple[int, ...] = SIZES) -> dict[int, dict[str, dict[str, dict[str, Any]]]]:
    sys.path.insert(0, str(ROOT))
    import tempfile

    from tests.pg import Cluster

    print(f"{CONCURRENCY} keep-alive connections, {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}; "
          f"each figure is the best of {ROUNDS} rounds", flush=True)
    cluster = Cluster()
    results: dict[int, dict[str, dict[str, dict[str, Any]]]] = {}
    try:
        with tempfile.TemporaryDirectory(prefix="bench-stores-") as tmp:
            sqlite_db, pg_db = str(Path(tmp) / "bench.db"), cluster.schema_dsn()
            have = 0
            for size in sizes:
                t_sqlite, t_pg = _seed(sqlite_db, have, size), _seed(pg_db, have, size)
                have = size
                print(f"\n{size:,} users (seeded {size:,}: SQLite {t_sqlite:.1f} s, PostgreSQL COPY {t_pg:.1f} s)",
                      flush=True)
                results[size] = {}
                for label, db, workers in (("SQLite, 1 process", sqlite_db, 1), ("PostgreSQL, 1 worker", pg_db, 1),
                                           ("PostgreSQL, 2 workers", pg_db, 2)):
                    print(f" {label}", flush=True)
                    results[size][label] = _measure(db, workers, size, f"s{size}w{workers}{'pg' if db == pg_db else ''}")
    finally:
        cluster.stop()
    print("\n=== summary (req/s, and the ratio to SQLite in 1 process) ===")
    for size, by_server in results.items():
        base = by_server["SQLite, 1 process"]
        for name in N:
            cells = "   ".join(f"{label}: {m[name]['rps']:6.0f} (x{m[name]['rps'] / base[name]['rps']:.2f})"
                               for label, m in by_server.items())
            print(f"{size:>9,} users  {name:12} {cells}")
    print(f"load average now {os.getloadavg()[0]:.1f} (this machine is shared: figures move with the neighbours' load)")
    return results


if __name__ == "__main__":
    main((SIZES[0],) if "--quick" in sys.argv else SIZES)
