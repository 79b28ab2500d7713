"""A throwaway PostgreSQL cluster for the tests (Debian's ``postgresql`` package; ``make test`` installs it).

One cluster per session: ``initdb`` in a temporary directory, ``postgres`` on a free loopback port
(its Unix socket in the same directory), stopped and removed at the end.  Each test that wants a
database gets a fresh schema in it (``pg_schema``): creating one costs a few milliseconds, a new
database from a template ~100 ms.  initdb refuses to run as root, so as root (CI) the cluster
runs as the ``postgres`` user (or ``nobody``) and its directory is theirs.  When PostgreSQL cannot
be started the tests that need it fail under ``CI=true`` and are skipped, with the reason, elsewhere.
"""

from __future__ import annotations

import glob
import itertools
import os
import pwd
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest

from tests.live import free_port

USER = "scim"
_counter = itertools.count(1)


def _bindir() -> Path | None:
    found = shutil.which("initdb")
    if found:
        return Path(found).parent
    dirs = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(dirs[-1]).parent if dirs else None


def _as_user() -> list[str]:
    """The command prefix that runs the server as an unprivileged user when we are root."""
    if os.geteuid() != 0:
        return []
    for name in ("postgres", "nobody"):
        try:
            pwd.getpwnam(name)
        except KeyError:
            continue
        return ["runuser", "-u", name, "--"]
    raise RuntimeError("running as root and neither a 'postgres' nor a 'nobody' user exists for initdb")


class Cluster:
    """A running throwaway cluster; ``dsn`` reaches its ``scim`` database (Unix socket; TCP on 127.0.0.1 too)."""

    def __init__(self) -> None:
        bindir = _bindir()
        if bindir is None:
            raise RuntimeError("PostgreSQL is not installed (initdb not found): apt-get install postgresql")
        self.bindir = bindir
        self.dir = Path(tempfile.mkdtemp(prefix="scim-pg-"))
        self.data = self.dir / "data"
        self.prefix = _as_user()
        if self.prefix:
            user = pwd.getpwnam(self.prefix[2])
            os.chown(self.dir, user.pw_uid, user.pw_gid)
        self.port = free_port()
        self._run("initdb", "-D", str(self.data), "-U", USER, "-A", "trust", "-E", "UTF8", "--locale=C",
                  "--no-sync")
        self.start_server()
        self.admin = f"postgresql://{USER}@127.0.0.1:{self.port}/postgres"
        import psycopg

        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {USER}")
        # the store's connections use the Unix socket (half the cost of loopback TCP per round trip)
        self.dsn = f"postgresql://{USER}@{quote(str(self.dir), safe='')}:{self.port}/{USER}"

    def start_server(self) -> None:
        """Start PostgreSQL (again) on the same port and socket directory."""
        # fsync off: a test cluster lives for one session; the server's own durability is what is tested
        self._run("pg_ctl", "-D", str(self.data), "-l", str(self.dir / "log"), "-w", "-t", "60", "start", "-o",
                  f"-p {self.port} -k {self.dir} -c listen_addresses=127.0.0.1 -c fsync=off "
                  "-c full_page_writes=off -c max_connections=200")

    def stop_server(self) -> None:
        """Stop PostgreSQL ("fast": it ends every session, as an operator's restart does); the data stays."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")

    def stop_server_smart(self) -> None:
        """Begin a "smart" shutdown and return: PostgreSQL refuses new sessions at once but serves the open
        ones until they end (an outage for whoever connects next; ``stop_server`` finishes it)."""
        self._run("pg_ctl", "-D", str(self.data), "-m", "smart", "-W", "stop")

    def restart(self) -> None:
        """An operator's restart: every open connection is cut, committed data survives."""
        self.stop_server()
        self.start_server()

    def _run(self, tool: str, *args: str) -> None:
        done = subprocess.run([*self.prefix, str(self.bindir / tool), *args], capture_output=True, text=True,
                              timeout=120, cwd=self.dir)
        if done.returncode != 0:
            log = self.dir / "log"
            tail = log.read_text(errors="replace")[-800:] if log.exists() else ""
            raise RuntimeError(f"{tool} failed: {(done.stderr or done.stdout).strip()[-800:]} {tail}")

    def schema_dsn(self) -> str:
        """A DSN whose search_path is a new, empty schema (a fresh database for one test)."""
        from reference_server.store_postgres import create_schema, with_schema

        schema = f"test_{os.getpid()}_{next(_counter)}"
        create_schema(self.dsn, schema)
        return with_schema(self.dsn, schema)

    def database_dsn(self) -> str:
        """A new, empty database (for what wants its own public schema, e.g. a tenant registry)."""
        import psycopg

        name = f"db_{os.getpid()}_{next(_counter)}"
        with psycopg.connect(self.admin, autocommit=True) as conn:
            conn.execute(f"CREATE DATABASE {name}")
        return self.dsn.rsplit("/", 1)[0] + f"/{name}"

    def stop(self) -> None:
        try:
            self._run("pg_ctl", "-D", str(self.data), "-m", "immediate", "-w", "stop")
        finally:
            shutil.rmtree(self.dir, ignore_errors=True)


def _unavailable(reason: str) -> None:
    if os.environ.get("CI", "").lower() in ("1", "true", "yes"):
        pytest.fail(f"PostgreSQL tests cannot run under CI: {reason}", pytrace=False)
    pytest.skip(f"PostgreSQL not available: {reason}")


def started_cluster() -> Iterator[Cluster]:
    """A new cluster for a fixture's lifetime (stopped and removed after); unavailable is said once."""
    try:
        cluster = Cluster()
    except (RuntimeError, OSError, subprocess.SubprocessError) as exc:
        _unavailable(str(exc))
        raise AssertionError("unreachable") from None
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def pg_cluster() -> Iterator[Cluster]:
    yield from started_cluster()


@pytest.fixture
def pg_dsn(pg_cluster: Cluster) -> str:
    """A fresh, empty schema of the session's cluster (its DSN)."""
    return pg_cluster.schema_dsn()
