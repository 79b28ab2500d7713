"""The SQLite store (the embedded default; see ``store`` for the seam and the shared semantics).

One ``resources`` table holds every resource as JSON, with indexed columns for what the server
looks up directly (RFC 7644 §3.4.2.2 filters that IdPs send: userName, externalId, id,
displayName) and a per-type live count, so ``userName eq`` and a page of 100 stay O(log n) at
millions of rows.  userName uniqueness (RFC 7643 §4.1.1, case-insensitive, PRECIS-normalised) is a
partial UNIQUE index over live rows, so two racing POSTs cannot both win.  Deletes are soft (a
``deleted`` flag) so a quirk can show the defect of listing deleted users; live queries never see
them and the index frees the userName.

The database runs in WAL mode; ``synchronous=NORMAL`` makes every committed (acknowledged) write
survive a crash or ``kill -9`` of the process.  All access goes through one connection owned by
the event loop thread (the server is single-process), so there is no lock contention.
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import Any

from reference_server.store import (
    INDEXED_COLUMNS, RECORDING_COLUMNS, IndexKeys, NestedTransactions, Row, UniqueViolation, VersionConflict,
    recording_row,
)

_SCHEMA = """
CREATE TABLE IF NOT EXISTS resources (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    type TEXT NOT NULL,
    user_name TEXT,
    external_id TEXT,
    display_name TEXT,
    version INTEGER NOT NULL DEFAULT 1,
    deleted INTEGER NOT NULL DEFAULT 0,
    data TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS ix_type_seq ON resources(type, deleted, seq);
CREATE INDEX IF NOT EXISTS ix_external_id ON resources(type, external_id) WHERE deleted = 0;
CREATE INDEX IF NOT EXISTS ix_display_name ON resources(type, display_name) WHERE deleted = 0;
CREATE TABLE IF NOT EXISTS counts (type TEXT PRIMARY KEY, live INTEGER NOT NULL);
CREATE TABLE IF NOT EXISTS memberships (
    group_id TEXT NOT NULL,
    member_id TEXT NOT NULL,
    PRIMARY KEY (group_id, member_id)
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS ix_member ON memberships(member_id);
CREATE TABLE IF NOT EXISTS recordings (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at TEXT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    status INTEGER NOT NULL,
    duration_ms REAL NOT NULL,
    request_headers TEXT NOT NULL,
    request_body TEXT,
    response_headers TEXT NOT NULL,
    response_body TEXT,
    truncated INTEGER NOT NULL DEFAULT 0,
    credential TEXT
);
CREATE TABLE IF NOT EXISTS recorder_key (key BLOB NOT NULL);
"""
_UNIQUE = ("CREATE UNIQUE INDEX IF NOT EXISTS ux_user_name ON resources(type, user_name) "
           "WHERE deleted = 0 AND user_name IS NOT NULL")
_NOT_UNIQUE = ("CREATE INDEX IF NOT EXISTS ix_user_name_dup ON resources(type, user_name) "
               "WHERE deleted = 0 AND user_name IS NOT NULL")
_SELECT = "SELECT seq, id, type, version, data, deleted FROM resources"
_INSERT_RECORDING = (f"INSERT INTO recordings({', '.join(RECORDING_COLUMNS)}) "
                     f"VALUES ({', '.join('?' * len(RECORDING_COLUMNS))})")


def _row(r: Sequence[Any]) -> Row:
    return Row(r[0], r[1], r[2], r[3], json.loads(r[4]), bool(r[5]))


class SqliteStore(NestedTransactions):
    """The SQLite store.  ``unique_user_names=False`` is only for the duplicate-username quirk."""

    multi_process = False  # one connection in one process: serve --workers is refused on SQLite

    def __init__(self, path: str = ":memory:", *, synchronous: str = "NORMAL", unique_user_names: bool = True) -> None:
        self.path = path
        self.conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False)
        self.conn.execute("PRAGMA journal_mode=WAL")
        self.conn.execute(f"PRAGMA synchronous={synchronous.upper()}")
        self.conn.execute("PRAGMA busy_timeout=5000")
        self.conn.execute("PRAGMA cache_size=-65536")
        self.conn.executescript(_SCHEMA)
        columns = {r[1] for r in self.conn.execute("PRAGMA table_info(recordings)")}
        if "credential" not in columns:  # a database from before credential fingerprints
            self.conn.execute("ALTER TABLE recordings ADD COLUMN credential TEXT")
        if unique_user_names:
            self.conn.execute("DROP INDEX IF EXISTS ix_user_name_dup")
            self.conn.execute(_UNIQUE)
        else:
            self.conn.execute("DROP INDEX IF EXISTS ux_user_name")
            self.conn.execute(_NOT_UNIQUE)
        self._depth = 0
        # False only while no membership was ever stored: lets User reads skip the groups query
        self._any_memberships = self.conn.execute("SELECT EXISTS(SELECT 1 FROM memberships)").fetchone()[0] == 1

    def close(self) -> None:
        self.conn.close()

    def _begin(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def _commit(self) -> None:
        self.conn.execute("COMMIT")

    def _rollback(self) -> None:
        self.conn.execute("ROLLBACK")

    # -- resources ---------------------------------------------------------------------------

    def _bump(self, rtype: str, delta: int) -> None:
        self.conn.execute("INSERT INTO counts(type, live) VALUES (?, ?) "
                          "ON CONFLICT(type) DO UPDATE SET live = live + excluded.live", (rtype, delta))

    def insert(self, rtype: str, rid: str, data: dict[str, Any], keys: IndexKeys) -> int:
        """Store a new resource at version 1; UniqueViolation if its userName is taken."""
        with self.transaction():
            try:
                self.conn.execute(
                    "INSERT INTO resources(id, type, user_name, external_id, display_name, version, data) "
                    "VALUES (?, ?, ?, ?, ?, 1, ?)",
                    (rid, rtype, keys.user_name, keys.external_id, keys.display_name, json.dumps(data)))
            except sqlite3.IntegrityError as exc:
                raise UniqueViolation(str(exc)) from None
            self._bump(rtype, 1)
        return 1

    def insert_many(self, rtype: str, items: Iterable[tuple[str, dict[str, Any], IndexKeys]]) -> int:
        """Seed many resources in one transaction (bench and --seed-users)."""
        n = 0

        def rows() -> Iterator[tuple[str, str, str | None, str | None, str | None, str]]:
            nonlocal n
            for rid, data, k in items:
                n += 1
                yield rid, rtype, k.user_name, k.external_id, k.display_name, json.dumps(data)
        with self.transaction():
            self.conn.executemany(
                "INSERT INTO resources(id, type, user_name, external_id, display_name, version, data) "
                "VALUES (?, ?, ?, ?, ?, 1, ?)", rows())
            self._bump(rtype, n)
        return n

    def get(self, rtype: str, rid: str, *, include_deleted: bool = False, for_update: bool = False) -> Row | None:
        """One row; ``for_update`` needs nothing here (a transaction holds SQLite's one writer lock)."""
        r = self.conn.execute(f"{_SELECT} WHERE id = ? AND type = ?", (rid, rtype)).fetchone()
        if r is None or (r[5] and not include_deleted):
            return None
        return _row(r)

    def get_any(self, rid: str) -> Row | None:
        """A live resource of any type (group members may be users or groups)."""
        r = self.conn.execute(f"{_SELECT} WHERE id = ? AND deleted = 0", (rid,)).fetchone()
        return _row(r) if r else None

    def get_many(self, ids: Sequence[str]) -> dict[str, Row]:
        out: dict[str, Row] = {}
        for start in range(0, len(ids), 500):
            chunk = list(ids[start:start + 500])
            marks = ",".join("?" * len(chunk))
            for r in self.conn.execute(f"{_SELECT} WHERE deleted = 0 AND id IN ({marks})", chunk):
                out[r[1]] = _row(r)
        return out

    def update(self, rtype: str, rid: str, data: dict[str, Any], keys: IndexKeys, *,
               expected_version: int | None = None) -> int:
        """Replace the stored JSON and bump the version; returns the new version.

        With ``expected_version``, only if the row is still at that version (VersionConflict if not)."""
        check = "" if expected_version is None else " AND version = ?"
        params = () if expected_version is None else (expected_version,)
        with self.transaction():
            try:
                cur = self.conn.execute(
                    "UPDATE resources SET data = ?, user_name = ?, external_id = ?, display_name = ?, "
                    "version = version + 1 WHERE id = ? AND type = ? AND deleted = 0" + check + " RETURNING version",
                    (json.dumps(data), keys.user_name, keys.external_id, keys.display_name, rid, rtype, *params))
            except sqlite3.IntegrityError as exc:
                raise UniqueViolation(str(exc)) from None
            r = cur.fetchone()
        if r is None:
            if expected_version is not None and self.get(rtype, rid) is not None:
                raise VersionConflict(rid)
            raise KeyError(rid)
        return int(r[0])

    def delete(self, rtype: str, rid: str) -> bool:
        """Soft-delete: the row leaves every live query and frees its userName."""
        with self.transaction():
            cur = self.conn.execute("UPDATE resources SET deleted = 1, version = version + 1 "
                                    "WHERE id = ? AND type = ? AND deleted = 0", (rid, rtype))
            if cur.rowcount:
                self._bump(rtype, -1)
                self.conn.execute("DELETE FROM memberships WHERE group_id = ?", (rid,))
            return cur.rowcount > 0

    def find(self, rtype: str, attribute: str, value: str, *, include_deleted: bool = False) -> list[Row]:
        """Rows whose indexed column equals ``value`` (normalised by the caller)."""
        col = INDEXED_COLUMNS[attribute]
        live = "" if include_deleted else " AND deleted = 0"
        return [_row(r) for r in self.conn.execute(f"{_SELECT} WHERE type = ? AND {col} = ?{live} ORDER BY seq",
                                                   (rtype, value))]

    def count(self, rtype: str, *, include_deleted: bool = False) -> int:
        if include_deleted:
            return int(self.conn.execute("SELECT COUNT(*) FROM resources WHERE type = ?", (rtype,)).fetchone()[0])
        r = self.conn.execute("SELECT live FROM counts WHERE type = ?", (rtype,)).fetchone()
        return int(r[0]) if r else 0

    def count_flagged(self, rtype: str, schema: str, attribute: str) -> int:
        """Live rows whose ``data[schema][attribute]`` is true (the seat pool of a seat-counting app)."""
        path = f'$."{schema}".{attribute}'
        return int(self.conn.execute(f"SELECT COUNT(*) FROM resources WHERE type = ? AND deleted = 0 "
                                     f"AND json_extract(data, ?) = 1", (rtype, path)).fetchone()[0])

    def page(self, rtype: str, offset: int, limit: int, *, include_deleted: bool = False) -> list[Row]:
        """Rows in creation order (a stable order, so pages never repeat or skip)."""
        live = "" if include_deleted else " AND deleted = 0"
        return [_row(r) for r in self.conn.execute(
            f"{_SELECT} WHERE type = ?{live} ORDER BY seq LIMIT ? OFFSET ?", (rtype, limit, offset))]

    def scan(self, rtype: str, *, include_deleted: bool = False) -> Iterator[Row]:
        live = "" if include_deleted else " AND deleted = 0"
        for r in self.conn.execute(f"{_SELECT} WHERE type = ?{live} ORDER BY seq", (rtype,)):
            yield _row(r)

    # -- memberships -------------------------------------------------------------------------

    def set_members(self, group_id: str, member_ids: Iterable[str]) -> None:
        member_ids = list(member_ids)
        if member_ids:
            self._any_memberships = True
        with self.transaction():
            self.conn.execute("DELETE FROM memberships WHERE group_id = ?", (group_id,))
            self.conn.executemany("INSERT OR IGNORE INTO memberships(group_id, member_id) VALUES (?, ?)",
                                  [(group_id, m) for m in member_ids])

    def groups_of(self, member_ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]:
        """member id -> [(group id, group displayName)] for live groups, in group creation order."""
        out: dict[str, list[tuple[str, str]]] = {}
        if not self._any_memberships:
            return out
        for start in range(0, len(member_ids), 500):
            chunk = list(member_ids[start:start + 500])
            marks = ",".join("?" * len(chunk))
            for member, gid, data in self.conn.execute(
                    "SELECT m.member_id, r.id, r.data FROM memberships m JOIN resources r ON r.id = m.group_id "
                    f"WHERE r.deleted = 0 AND m.member_id IN ({marks}) ORDER BY r.seq", chunk):
                out.setdefault(member, []).append((gid, json.loads(data).get("displayName", "")))
        return out

    def all_groups_of(self) -> dict[str, list[tuple[str, str]]]:
        """groups_of for every member (used by scans that filter on User.groups)."""
        out: dict[str, list[tuple[str, str]]] = {}
        for member, gid, data in self.conn.execute(
                "SELECT m.member_id, r.id, r.data FROM memberships m JOIN resources r ON r.id = m.group_id "
                "WHERE r.deleted = 0 ORDER BY r.seq"):
            out.setdefault(member, []).append((gid, json.loads(data).get("displayName", "")))
        return out

    def groups_containing(self, member_id: str) -> list[str]:
        return [r[0] for r in self.conn.execute("SELECT group_id FROM memberships WHERE member_id = ? ORDER BY group_id",
                                                (member_id,))]

    # -- recordings --------------------------------------------------------------------------

    def add_recordings(self, records: Sequence[dict[str, Any] | Sequence[Any]]) -> None:
        """Append recordings in one transaction: dicts by column name, or tuples in RECORDING_COLUMNS order."""
        if not records:
            return
        rows = [tuple(r[c] for c in RECORDING_COLUMNS) if isinstance(r, dict) else r for r in records]
        with self.transaction():
            self.conn.executemany(_INSERT_RECORDING, rows)

    def recordings(self, *, after: int = 0, limit: int = 100) -> list[dict[str, Any]]:
        cur = self.conn.execute("SELECT * FROM recordings WHERE id > ? ORDER BY id LIMIT ?", (after, limit))
        names = [d[0] for d in cur.description]
        return [recording_row(names, r) for r in cur]

    def recorder_key(self) -> bytes:
        """This database's random key for credential fingerprints (created on first use)."""
        row = self.conn.execute("SELECT key FROM recorder_key").fetchone()
        if row is None:
            import secrets

            key = secrets.token_bytes(32)
            with self.transaction():
                self.conn.execute("INSERT INTO recorder_key(key) VALUES (?)", (key,))
            return key
        return bytes(row[0])

    def recording(self, rec_id: int) -> dict[str, Any] | None:
        cur = self.conn.execute("SELECT * FROM recordings WHERE id = ?", (rec_id,))
        r = cur.fetchone()
        return recording_row([d[0] for d in cur.description], r) if r else None


