"""The storage seam: what the service, the recorder and the CLI need from a database.

Two stores implement it with the same semantics (``Store``): SQLite (``store_sqlite``, the
embedded default: one process, one file) and PostgreSQL (``store_postgres``: many worker
processes on one database).  ``open_store(db)`` picks one by the ``--db`` value: a file path,
``:memory:`` or ``sqlite:///path`` is SQLite; ``postgresql://…`` is PostgreSQL.

Shared semantics: every resource is one row of JSON with indexed columns for what the server
looks up directly (RFC 7644 §3.4.2.2 filters IdPs send: userName, externalId, id, displayName)
and a per-type live count; userName uniqueness (RFC 7643 §4.1.1, case-insensitive,
PRECIS-normalised by the caller) is a partial UNIQUE index over live rows, so two racing POSTs
cannot both win, whichever process they reach; deletes are soft; every write the service
acknowledges is committed first.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from typing import Any, Protocol

from reference_server.errors import ServiceUnavailable


class UniqueViolation(Exception):
    """A live resource of that type already has this userName."""


class StoreUnavailable(ServiceUnavailable):
    """The database cannot be reached (PostgreSQL restarting, say): 503 with Retry-After, not 500."""


class VersionConflict(Exception):
    """The row changed since it was read (another process wrote it): read again and re-apply."""


@dataclass
class Row:
    """One stored resource: ``data`` is the stored JSON (no id/meta.location/meta.version)."""

    seq: int
    id: str
    type: str
    version: int
    data: dict[str, Any]
    deleted: bool = False


@dataclass(frozen=True)
class IndexKeys:
    """The indexed columns of one resource (already normalised by the caller)."""

    user_name: str | None = None
    external_id: str | None = None
    display_name: str | None = None


#: The attributes the store indexes, and their columns: the one list (filter_eval.index_hint and the
#: service's ``eq`` fast path read it).
INDEXED_COLUMNS = {"userName": "user_name", "externalId": "external_id", "displayName": "display_name", "id": "id"}
RECORDING_COLUMNS = ("at", "method", "path", "query", "status", "duration_ms", "request_headers", "request_body",
                     "response_headers", "response_body", "truncated", "credential")


class NestedTransactions:
    """``transaction()`` for both stores: nested calls join the outermost one, which alone begins,
    commits or rolls back (through each store's ``_begin``/``_commit``/``_rollback``)."""

    _depth = 0

    def _begin(self) -> None:
        raise NotImplementedError

    def _commit(self) -> None:
        raise NotImplementedError

    def _rollback(self) -> None:
        raise NotImplementedError

    @contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic unit (nested calls join the outer one)."""
        if self._depth:
            self._depth += 1
            try:
                yield
            finally:
                self._depth -= 1
            return
        self._begin()
        self._depth = 1
        try:
            yield
        except BaseException:
            self._depth = 0
            self._rollback()
            raise
        self._depth = 0
        self._commit()


class Store(Protocol):
    """What the service, recorder and CLI need from storage (SqliteStore, PostgresStore)."""

    #: True when several processes may share the database (``serve --workers N``)
    multi_process: bool

    def close(self) -> None: ...
    def transaction(self) -> AbstractContextManager[None]: ...
    def insert(self, rtype: str, rid: str, data: dict[str, Any], keys: IndexKeys) -> int: ...
    def insert_many(self, rtype: str, items: Iterable[tuple[str, dict[str, Any], IndexKeys]]) -> int: ...
    def get(self, rtype: str, rid: str, *, include_deleted: bool = False, for_update: bool = False) -> Row | None: ...
    def get_any(self, rid: str) -> Row | None: ...
    def get_many(self, ids: Sequence[str]) -> dict[str, Row]: ...
    def update(self, rtype: str, rid: str, data: dict[str, Any], keys: IndexKeys, *,
               expected_version: int | None = None) -> int: ...
    def delete(self, rtype: str, rid: str) -> bool: ...
    def find(self, rtype: str, attribute: str, value: str, *, include_deleted: bool = False) -> list[Row]: ...
    def count(self, rtype: str, *, include_deleted: bool = False) -> int: ...
    def count_flagged(self, rtype: str, schema: str, attribute: str) -> int: ...
    def page(self, rtype: str, offset: int, limit: int, *, include_deleted: bool = False) -> list[Row]: ...
    def scan(self, rtype: str, *, include_deleted: bool = False) -> Iterator[Row]: ...
    def set_members(self, group_id: str, member_ids: Iterable[str]) -> None: ...
    def groups_of(self, member_ids: Sequence[str]) -> dict[str, list[tuple[str, str]]]: ...
    def all_groups_of(self) -> dict[str, list[tuple[str, str]]]: ...
    def groups_containing(self, member_id: str) -> list[str]: ...
    def add_recordings(self, records: Sequence[dict[str, Any] | Sequence[Any]]) -> None: ...
    def recordings(self, *, after: int = 0, limit: int = 100) -> list[dict[str, Any]]: ...
    def recording(self, rec_id: int) -> dict[str, Any] | None: ...
    def recorder_key(self) -> bytes: ...


def is_postgres(db: str) -> bool:
    """True when ``db`` names a PostgreSQL database (``postgresql://…`` or ``postgres://…``)."""
    return db.startswith(("postgresql://", "postgres://"))


def sqlite_path(db: str) -> str:
    """The SQLite file of ``db``: a path as is, ``sqlite:///rel`` / ``sqlite:////abs`` as SQLAlchemy spells them."""
    if db.startswith("sqlite://"):
        return db[len("sqlite:///"):] or ":memory:" if db.startswith("sqlite:///") else ":memory:"
    return db


def describe(db: str) -> str:
    """``db`` for messages: a PostgreSQL URL without its password (user-info or ``?password=``)."""
    if not is_postgres(db):
        return db
    from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

    parts = urlsplit(db)
    user, at, host = parts.netloc.rpartition("@")
    query = urlencode([(k, v) for k, v in parse_qsl(parts.query, keep_blank_values=True) if k != "password"])
    return urlunsplit(parts._replace(netloc=f"{user.split(':', 1)[0]}{at}{host}", query=query))


def open_store(db: str, *, synchronous: str = "NORMAL", unique_user_names: bool = True) -> Store:
    """The store ``db`` names (see the module docstring); ValueError (one line) when it cannot be opened."""
    if is_postgres(db):
        from reference_server.store_postgres import PostgresStore

        return PostgresStore(db, unique_user_names=unique_user_names)
    from reference_server.store_sqlite import SqliteStore

    return SqliteStore(sqlite_path(db), synchronous=synchronous, unique_user_names=unique_user_names)


def header_pairs(text: str) -> list[list[str]]:
    """Recorded headers are stored as ``name: value`` lines (already redacted)."""
    return [line.split(": ", 1) if ": " in line else [line, ""] for line in text.split("\n") if line]


def recording_row(names: Sequence[str], r: Sequence[Any]) -> dict[str, Any]:
    """One recordings row as the dict the API and CLI show."""
    rec = dict(zip(names, r))
    rec["request_headers"] = header_pairs(rec["request_headers"])
    rec["response_headers"] = header_pairs(rec["response_headers"])
    rec["truncated"] = bool(rec["truncated"])
    return rec

__all__ = ["INDEXED_COLUMNS", "RECORDING_COLUMNS", "IndexKeys", "Row", "Store", "UniqueViolation", "VersionConflict",
           "describe", "is_postgres", "open_store", "recording_row", "sqlite_path"]
