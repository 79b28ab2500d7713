"""The exchanges a client sent, read from a reference-server recorder database.

The recorder's ``recordings`` table is read as data (SQLite read-only, or PostgreSQL for a
``postgresql://`` ``--db``, with psycopg from the ``postgres`` extra): the harness never imports the
reference server.  Credentials in it are already redacted by the recorder.
"""

from __future__ import annotations

import fnmatch
import json
import re
import sqlite3
from pathlib import Path
from typing import Any

from harness.replay.session import Recorded, split_scim_path

MAX_EXCHANGES = 200_000  # a bound on what one grade reads


class GradeInputError(ValueError):
    """A database that cannot be graded (missing, not a recorder, bad selector): one line."""


def _pairs(raw: str | None) -> tuple[tuple[str, str], ...]:
    """The recorder keeps headers as "name: value" lines (older files: a JSON list of pairs)."""
    text = raw or ""
    if text.startswith("["):
        try:
            items = json.loads(text)
            return tuple((str(i[0]), str(i[1])) for i in items if isinstance(i, list) and len(i) == 2)
        except ValueError:
            pass
    return tuple((k, v) for k, _, v in (line.partition(": ") for line in text.splitlines()) if k)


def database_of(db: str | Path, tenant: str | None = None) -> Path:
    """The recorder file: ``db`` itself, or ``db/<tenant>.db`` for a tenant of a sandbox directory."""
    path = Path(db)
    if tenant is not None:
        path = path / f"{tenant}.db"
    if not path.is_file():
        raise GradeInputError(f"no recorder database at {path}" + (" (is --db the tenants directory?)" if tenant else ""))
    return path


_SELECT = ("SELECT at, method, path, query, status, duration_ms, request_headers, request_body, "
           "response_headers, response_body, truncated FROM recordings ORDER BY id LIMIT %s")


def _postgres_rows(url: str, tenant: str | None) -> list[Any]:
    """The recordings of a PostgreSQL-backed server (a tenant's are in its schema ``tenant_<name>``)."""
    try:
        import psycopg
    except ImportError:
        raise GradeInputError("reading a PostgreSQL recorder needs the postgres extra (pip install "
                              "'scim-harness[postgres]')") from None
    if tenant is not None and not re.fullmatch(r"[a-z0-9][a-z0-9-]{0,62}", tenant):
        raise GradeInputError(f"bad tenant name {tenant!r}")
    try:
        if tenant is not None:  # the tenant's schema (tenant_<name>, as the reference server names it)
            url = psycopg.conninfo.make_conninfo(url, options=f"-c search_path=tenant_{tenant.replace('-', '_')}")
        with psycopg.connect(url, connect_timeout=10) as con:
            return con.execute(_SELECT, (MAX_EXCHANGES,)).fetchall()
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise GradeInputError(f"cannot read recordings from PostgreSQL: {first}") from None


def load_exchanges(db: str | Path, *, tenant: str | None = None, client: str | None = None,
                   since: str | None = None) -> list[Recorded]:
    """The recorded exchanges in order, those of User-Agent ``client`` (a glob) at or after ``since``."""
    if str(db).startswith(("postgresql://", "postgres://")):
        rows = _postgres_rows(str(db), tenant)
    else:
        path = database_of(db, tenant)
        try:
            con = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
            try:
                rows = con.execute(_SELECT.replace("%s", "?"), (MAX_EXCHANGES,)).fetchall()
            finally:
                con.close()
        except sqlite3.Error as exc:
            raise GradeInputError(f"{path} is not a reference-server recorder database ({exc})") from None
    out: list[Recorded] = []
    for row in rows:
        at, method, url_path, query, status, ms, rq_h, rq_b, rs_h, rs_b, truncated = row
        if str(url_path).startswith("/_recordings") or (since and str(at) < since):
            continue
        headers = _pairs(rq_h)
        agent = next((v for k, v in headers if k.lower() == "user-agent"), "")
        if client and not fnmatch.fnmatchcase(agent.lower(), client.lower()):
            continue
        out.append(Recorded(len(out) + 1, str(method).upper(), split_scim_path(str(url_path)), str(query or ""),
                            headers, rq_b, int(status), _pairs(rs_h), rs_b, str(at), float(ms or 0.0),
                            bool(truncated)))
    return out


def user_agent(exchanges: list[Recorded]) -> str:
    """The most common User-Agent of the exchanges."""
    counts: dict[str, int] = {}
    for r in exchanges:
        agent = r.header("user-agent", response=False)
        counts[agent] = counts.get(agent, 0) + 1
    return max(counts, key=lambda a: counts[a]) if counts else ""
