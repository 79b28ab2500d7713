"""The PostgreSQL store: the semantics of ``store_sqlite`` on a database many processes share.

Chosen by a ``postgresql://`` ``--db`` URL (see ``store.open_store``).  The tables mirror the
SQLite ones; the differences are what a shared server needs:

- Each process holds one connection (psycopg 3, autocommit; ``transaction()`` issues BEGIN and
  COMMIT itself; ``pg_session``).  The server's event loop uses the store from one thread, one
  statement at a time, exactly as with SQLite, so a pool would hold idle connections and buy nothing.
- userName uniqueness is the same partial UNIQUE index over live rows; PostgreSQL enforces it
  across connections, so 50 racing POSTs spread over every worker give one 201.
- The live count is one row per type, updated in the writing transaction (``live = live + 1``):
  the row lock orders concurrent writers, so the count stays exact.
- Every committed transaction is durable (``synchronous_commit`` on, PostgreSQL's default).
- A lost connection (PostgreSQL restarted) is re-opened and the call re-run when that is safe;
  while PostgreSQL stays down, calls raise ``StoreUnavailable`` (503 + Retry-After): ``pg_session``.
- Tables live in the connection's ``search_path`` schema, so tenants (and tests) can each have a
  schema of their own in one database (``with_schema``).  Creating them takes an advisory lock,
  so workers starting together do not race on ``CREATE TABLE IF NOT EXISTS``.
"""

from __future__ import annotations

import json
import re
import secrets
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any
from urllib.parse import parse_qsl, quote, urlencode, urlsplit, urlunsplit

import psycopg
from psycopg import sql
from psycopg.conninfo import conninfo_to_dict

from reference_server.pg_session import PgSession, connect, reconnecting
from reference_server.store import (
    INDEXED_COLUMNS, RECORDING_COLUMNS, IndexKeys, Row, UniqueViolation, VersionConflict, describe, recording_row,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    seq BIGSERIAL PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    user_name TEXT,
    external_id TEXT,
    display_name TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    deleted BOOLEAN NOT NULL DEFAULT FALSE,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_type_seq ON resources(type, deleted, seq);
CREATE INDEX IF NOT EXISTS ix_external_id ON resources(type, external_id) WHERE NOT deleted;
CREATE INDEX IF NOT EXISTS ix_display_name ON resources(type, display_name) WHERE NOT deleted;
CREATE TABLE IF NOT EXISTS counts (type TEXT PRIMARY KEY, live BIGINT NOT NULL);
CREATE TABLE IF NOT EXISTS memberships (
    group_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    PRIMARY KEY (group_id, member_id)
);
CREATE INDEX IF NOT EXISTS ix_member ON memberships(member_id);
CREATE TABLE IF NOT EXISTS recordings (
    id BIGSERIAL PRIMARY KEY,
    at TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    status INTEGER NOT NULL,
    duration_ms DOUBLE PRECISION NOT NULL,
    request_headers TEXT NOT NULL,
    request_body TEXT,
    response_headers TEXT NOT NULL,
    response_body TEXT,
    truncated INTEGER NOT NULL DEFAULT 0,
    credential TEXT
);
CREATE TABLE IF NOT EXISTS recorder_key (one BOOLEAN PRIMARY KEY DEFAULT TRUE, key BYTEA NOT NULL);
"""
_UNIQUE = ("CREATE UNIQUE INDEX IF NOT EXISTS ux_user_name ON resources(type, user_name) "
           "WHERE NOT deleted AND user_name IS NOT NULL")
_NOT_UNIQUE = ("CREATE INDEX IF NOT EXISTS ix_user_name_dup ON resources(type, user_name) "
               "WHERE NOT deleted AND user_name IS NOT NULL")
_SELECT = "SELECT seq, id, type, version, data, deleted FROM resources"
_INSERT_RECORDING = (f"INSERT INTO recordings({', '.join(RECORDING_COLUMNS)}) "
                     f"VALUES ({', '.join(['%s'] * len(RECORDING_COLUMNS))})")
SCHEMA_NAME = re.compile(r"^[a-z_][a-z0-9_]{0,62}$")  # plain identifiers only: they go into options
_SCHEMA_LOCK = 7_644_2025  # advisory lock id taken while creating the tables


def with_schema(dsn: str, schema: str) -> str:
    """The ``postgresql://`` URL ``dsn`` with ``schema`` first in its search_path (one tenant's or test's tables)."""
    if not SCHEMA_NAME.match(schema):
        raise ValueError(f"bad schema name {schema!r}")
    parts = urlsplit(dsn)
    query = [(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "options"]
    options = str(conninfo_to_dict(dsn).get("options") or "")
    query.append(("options", f"{options} -c search_path={schema}".strip()))
    return urlunsplit(parts._replace(query=urlencode(query, quote_via=quote)))


def _row(r: Sequence[Any]) -> Row:
    return Row(r[0], r[1], r[2], r[3], json.loads(r[4]), bool(r[5]))


class PostgresStore(PgSession):
    """The PostgreSQL store.  ``unique_user_names=False`` is only for the duplicate-username quirk.

    ``clock`` (injected by tests) times the window after a failed reconnect (``pg_session``)."""

    multi_process = True

    def __init__(self, dsn: str, *, unique_user_names: bool = True,
                 clock: Callable[[], float] = time.monotonic) -> None:
        super().__init__(dsn, clock=clock)
        schema = self.conn.execute("SELECT current_schemas(false)").fetchone()
        if schema is None or not schema[0]:
            self.conn.close()
            raise ValueError(f"no schema of the search_path exists in {describe(dsn)}")
        with self.conn.transaction():
            self.conn.execute("SELECT pg_advisory_xact_lock(%s)", (_SCHEMA_LOCK,))
            self.conn.execute(_SCHEMA)
            if unique_user_names:
                self.conn.execute("DROP INDEX IF EXISTS ix_user_name_dup")
                self.conn.execute(_UNIQUE)
            else:
                self.conn.execute("DROP INDEX IF EXISTS ux_user_name")
                self.conn.execute(_NOT_UNIQUE)

    # -- resources ---------------------------------------------------------------------------

    def _bump(self, rtype: str, delta: int) -> None:
        self.conn.execute("INSERT INTO counts(type, live) VALUES (%s, %s) "
                          "ON CONFLICT(type) DO UPDATE SET live = counts.live + excluded.live", (rtype, delta))

    @reconnecting
    def insert(self, rtype: str, rid: str, data: dict[str, Any], keys: IndexKeys) -> int:
        """Store a new resource at version 1; UniqueViolation if its userName is taken."""
        with self.transaction():
            try:
                self.conn.execute(
                    "INSERT INTO resources(id, type, user_name, external_id, display_name, version, data) "
                    "VALUES (%s, %s, %s, %s, %s, 1, %s)",
                    (rid, rtype, keys.user_name, keys.external_id, keys.display_name, json.dumps(data)))
            except psycopg.errors.UniqueViolation as exc:
                raise UniqueViolation(str(exc).splitlines()[0]) from None
            self._bump(rtype, 1)
        return 1

    def insert_many(self, rtype: str, items: Iterable[tuple[str, dict[str, Any], IndexKeys]]) -> int:
        """Seed many resources in one transaction, by COPY (bench and --seed-users).

        Never re-run after a lost connection (not ``reconnecting``): ``items`` may be a one-shot iterator."""
        self._ensure_connected()
        n = 0
        with self.transaction():
            with self.conn.cursor() as cur, cur.copy(
                    "COPY resources(id, type, user_name, external_id, display_name, version, data) FROM STDIN") as copy:
                for rid, data, k in items:
                    copy.write_row((rid, rtype, k.user_name, k.external_id, k.display_name, 1, json.dumps(data)))
                    n += 1
            self._bump(rtype, n)
        return n

    @reconnecting
    def get(self, rtype: str, rid: str, *, include_deleted: bool = False, for_update: bool = False) -> Row | None:
        """One row; ``for_update`` locks it until the transaction ends (a read-modify-write across workers)."""
        lock = " FOR UPDATE" if for_update else ""
        r = self.conn.execute(f"{_SELECT} WHERE id = %s AND type = %s{lock}", (rid, rtype)).fetchone()
        if r is None or (r[5] and not include_deleted):
            return None
        return _row(r)

    @reconnecting
    def get_any(self, rid: str) -> Row | None:
        """A live resource of any type (group members may be users or groups)."""
        r = self.conn.execute(f"{_SELECT} WHERE id = %s AND NOT deleted", (rid,)).fetchone()
        return _row(r) if r else None

    @reconnecting
    def get_many(self, ids: Sequence[str]) -> dict[str, Row]:
        rows = self.conn.execute(f"{_SELECT} WHERE NOT deleted AND id = ANY(%s)", (list(ids),))
        return {r[1]: _row(r) for r in rows}

    @reconnecting
    def update(self, rtype: str, rid: str, data: dict[str, Any], keys: IndexKeys, *,
               expected_version: int | None = None) -> int:
        """Replace the stored JSON and bump the version; returns the new version.

        With ``expected_version``, only if the row is still at that version (VersionConflict if not)."""
        check = "" if expected_version is None else " AND version = %s"
        params = () if expected_version is None else (expected_version,)
        with self.transaction():
            try:
                r = self.conn.execute(
                    "UPDATE resources SET data = %s, user_name = %s, external_id = %s, display_name = %s, "
                    "version = version + 1 WHERE id = %s AND type = %s AND NOT deleted" + check + " RETURNING version",
                    (json.dumps(data), keys.user_name, keys.external_id, keys.display_name, rid, rtype, *params)).fetchone()
            except psycopg.errors.UniqueViolation as exc:
                raise UniqueViolation(str(exc).splitlines()[0]) from None
        if r is None:
            if expected_version is not None and self.get(rtype, rid) is not None:
                raise VersionConflict(rid)
            raise KeyError(rid)
        return int(r[0])

    @reconnecting
    def delete(self, rtype: str, rid: str) -> bool:
        """Soft-delete: the row leaves every live query and frees its userName."""
        with self.transaction():
            cur = self.conn.execute("UPDATE resources SET deleted = TRUE, version = version + 1 "
                                    "WHERE id = %s AND type = %s AND NOT deleted", (rid, rtype))
            if cur.rowcount:
                self._bump(rtype, -1)
                self.conn.execute("DELETE FROM memberships WHERE group_id = %s", (rid,))
            return cur.rowcount > 0

    @reconnecting
    def find(self, rtype: str, attribute: str, value: str, *, include_deleted: bool = False) -> list[Row]:
        """Rows whose indexed column equals ``value`` (normalised by the caller)."""
        col = INDEXED_COLUMNS[attribute]
        live = "" if include_deleted else " AND NOT deleted"
        return [_row(r) for r in self.conn.execute(f"{_SELECT} WHERE type = %s AND {col} = %s{live} ORDER BY seq",
                                                   (rtype, value))]

    @reconnecting
    def count(self, rtype: str, *, include_deleted: bool = False) -> int:
        if include_deleted:
            r = self.conn.execute("SELECT COUNT(*) FROM resources WHERE type = %s", (rtype,)).fetchone()
        else:
            r = self.conn.execute("SELECT live FROM counts WHERE type = %s", (rtype,)).fetchone()
        return int(r[0]) if r else 0

    @reconnecting
    def count_flagged(self, rtype: str, schema: str, attribute: str) -> int:
        """Live rows whose ``data[schema][attribute]`` is true (the seat pool of a seat-counting app)."""
        r = self.conn.execute("SELECT COUNT(*) FROM resources WHERE type = %s AND NOT deleted "
                              "AND (data::jsonb -> %s -> %s) = 'true'::jsonb", (rtype, schema, attribute)).fetchone()
        return int(r[0]) if r else 0

    @reconnecting
    def page(self, rtype: str, offset: int, limit: int, *, include_deleted: bool = False) -> list[Row]:
        """Rows in creation order (a stable order, so pages never repeat or skip)."""
        live = "" if include_deleted else " AND NOT deleted"
        return [_row(r) for r in self.conn.execute(
            f"{_SELECT} WHERE type = %s{live} ORDER BY seq LIMIT %s OFFSET %s", (rtype, limit, offset))]

    @reconnecting
    def scan(self, rtype: str, *, include_deleted: bool = False) -> Iterator[Row]:
        live = "" if include_deleted else " AND NOT deleted"
        rows = self.conn.execute(f"{_SELECT} WHERE type = %s{live} ORDER BY seq", (rtype,)).fetchall()
        return (_row(r) for r in rows)  # fetched here, so a lost connection is met inside _reconnecting

    # -- memberships -------------------------------------------------------------------------

    def set_members(self, group_id: str, member_ids: Iterable[str]) -> None:
        self._set_members(group_id, [(group_id, m) for m in member_ids])  # a list: a re-run sees every id

    @reconnecting
    def _set_members(self, group_id: str, rows: list[tuple[str, str]]) -> None:
        with self.transaction():
            self.conn.execute("DELETE FROM memberships WHERE group_id = %s", (group_id,))
            if rows:
                with self.conn.cursor() as cur:
                    cur.executemany("INSERT INTO memberships(group_id, member_id) VALUES (%s, %s) "
                                    "ON CONFLICT DO NOTHING", rows)

    def _groups(self, where: str, params: tuple[Any, ...]) -> dict[str, list[tuple[str, str]]]:
        out: dict[str, list[tuple[str, str]]] = {}
        for member, gid, data in self.conn.execute(
                "SELECT m.member_id, r.id, r.data FROM memberships m JOIN resources r ON r.id = m.group_id "
                f"WHERE NOT r.deleted{where} ORDER BY r.seq", params):
            out.setdefault(member, []).append((gid, json.loads(data).get("displayName", "")))
        return out

    @reconnecting
    def groups_of(self, member_ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        """member id -> [(group id, group displayName)] for live groups, in group creation order."""
        return self._groups(" AND m.member_id = ANY(%s)", (list(member_ids),)) if member_ids else {}

    @reconnecting
    def all_groups_of(self) -> dict[str, list[tuple[str, str]]]:
        """groups_of for every member (used by scans that filter on User.groups)."""
        return self._groups("", ())

    @reconnecting
    def groups_containing(self, member_id: str) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT group_id FROM memberships WHERE member_id = %s ORDER BY group_id",
                                                (member_id,))]

    # -- recordings --------------------------------------------------------------------------

    @reconnecting
    def add_recordings(self, records: Sequence[dict[str, Any] | Sequence[Any]]) -> None:
        """Append recordings in one transaction: dicts by column name, or tuples in RECORDING_COLUMNS order."""
        if not records:
            return
        rows = [tuple(r[c] for c in RECORDING_COLUMNS) if isinstance(r, dict) else tuple(r) for r in records]
        with self.transaction(), self.conn.cursor() as cur:
            cur.executemany(_INSERT_RECORDING, rows)

    @reconnecting
    def recordings(self, *, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        cur = self.conn.execute("SELECT * FROM recordings WHERE id > %s ORDER BY id LIMIT %s", (after, limit))
        names = [d.name for d in cur.description or ()]
        return [recording_row(names, r) for r in cur.fetchall()]

    @reconnecting
    def recording(self, rec_id: int) -> dict[str, Any] | None:
        cur = self.conn.execute("SELECT * FROM recordings WHERE id = %s", (rec_id,))
        r = cur.fetchone()
        return recording_row([d.name for d in cur.description or ()], r) if r else None

    @reconnecting
    def recorder_key(self) -> bytes:
        """This database's random key (credential fingerprints, cursors); the first process to ask makes it."""
        self.conn.execute("INSERT INTO recorder_key(key) VALUES (%s) ON CONFLICT DO NOTHING",
                          (secrets.token_bytes(32),))
        row = self.conn.execute("SELECT key FROM recorder_key").fetchone()
        assert row is not None
        return bytes(row[0])


def create_schema(dsn: str, schema: str) -> None:
    """Make ``schema`` (a tenant's or a test's) if it does not exist."""
    with connect(dsn) as conn:
        conn.execute(sql.SQL("CREATE SCHEMA IF NOT EXISTS {}").format(sql.Identifier(schema)))


def drop_schema(dsn: str, schema: str) -> None:
    """Remove ``schema`` and everything in it."""
    with connect(dsn) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))
