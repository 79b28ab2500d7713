"""One process's PostgreSQL connection for the store: transactions, and surviving a PostgreSQL restart.

The store holds one autocommit connection (psycopg 3); ``transaction()`` issues BEGIN and COMMIT
itself.  When PostgreSQL restarts, that connection dies.  ``PgSession`` notices (psycopg marks the
connection closed), opens a new one and re-runs the store call when that is safe (``reconnecting``).
While PostgreSQL stays down every call raises ``StoreUnavailable`` (503 + Retry-After).

One attempt, no backoff: the store is used from the event loop's thread, so any wait here holds every
request of the process (other tenants', ``/ServiceProviderConfig``, the recorder's flush).  A failed
attempt answers 503 and starts a ``DOWN_FOR`` window in which calls answer 503 at once, without
trying; the first call after it tries again (the client's Retry-After paces the retries).  What still
runs on the loop is that one attempt: refused at once when the host is up and PostgreSQL is not, up
to ``RECONNECT_TIMEOUT`` when the host does not answer.  A store first opened during an outage
(a tenant's, on first use) gets the same 503: ``connect`` raises ``Unreachable``.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from typing import Any, Concatenate, ParamSpec, TypeVar

import psycopg

from reference_server.store import NestedTransactions, StoreUnavailable, describe

log = logging.getLogger("reference_server")
_P = ParamSpec("_P")
_T = TypeVar("_T")
_S = TypeVar("_S", bound="PgSession")
DOWN_FOR = 2.0  # seconds after a failed reconnect in which calls answer 503 without trying
RETRY_AFTER = 2  # seconds, sent as Retry-After with the 503
RECONNECT_TIMEOUT = 2  # seconds a reconnect waits for a host that does not answer (libpq's minimum)
UNAVAILABLE = "the database is unavailable; try again shortly"


class Unreachable(StoreUnavailable, ValueError):
    """PostgreSQL refused or did not answer a new connection.  At start-up (``serve``, the CLI) it is
    a ValueError whose one line names the server (never a password); while serving (a tenant's store
    opened on first use) it is a 503 + Retry-After whose detail names no server."""

    def __init__(self, message: str) -> None:
        super().__init__(UNAVAILABLE, retry_after=RETRY_AFTER)
        self.args = (message,)


def connect(dsn: str, timeout: int = 10) -> psycopg.Connection[Any]:
    """An autocommit connection; ``Unreachable`` when the server cannot be reached, ValueError for a bad DSN."""
    try:
        return psycopg.connect(dsn, autocommit=True, connect_timeout=timeout)
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[-1]
        message = f"cannot connect to PostgreSQL at {describe(dsn)}: {first}"
        if isinstance(exc, psycopg.OperationalError):
            raise Unreachable(message) from None
        raise ValueError(message) from None


def _lost(conn: psycopg.Connection[Any], exc: BaseException) -> bool:
    """Whether ``exc`` means the connection is gone, not that a statement failed (a deadlock or a
    lock timeout is an OperationalError too, but leaves the connection open)."""
    return isinstance(exc, psycopg.OperationalError) and conn.closed


def _unavailable(detail: str) -> StoreUnavailable:
    return StoreUnavailable(detail, retry_after=RETRY_AFTER)


def reconnecting(method: Callable[Concatenate[_S, _P], _T]) -> Callable[Concatenate[_S, _P], _T]:
    """Run a store call; if the connection turns out lost, reconnect and run the call again, once.

    Re-running is safe because a call made outside an open transaction is a read, an idempotent
    autocommit write (``recorder_key``), or a write in its own ``transaction()`` that had not sent
    COMMIT when the connection broke: PostgreSQL rolls back the open transaction of a session that
    ends (and a restart keeps only committed work), so none of it was applied.  A lost COMMIT has an
    unknown outcome: ``transaction()`` raises StoreUnavailable for it, which is never re-run.  A call
    inside a caller's open transaction is not re-run alone (the statements before it died with the
    connection): it raises StoreUnavailable and the client sends its request again."""
    @functools.wraps(method)
    def run(session: _S, /, *args: _P.args, **kwargs: _P.kwargs) -> _T:
        if session._depth == 0:
            session._ensure_connected()
        try:
            return method(session, *args, **kwargs)
        except psycopg.OperationalError as exc:
            if not _lost(session.conn, exc):
                raise
            if session._depth:
                raise _unavailable("the database connection was lost during the request; send it again") from None
        session._reconnect()
        try:
            return method(session, *args, **kwargs)
        except psycopg.OperationalError as exc:
            if _lost(session.conn, exc):
                raise _unavailable("the database connection was lost again; send the request again") from None
            raise
    return run


class PgSession(NestedTransactions):
    """The connection, its transactions and its reconnects (``clock`` injected by tests)."""

    def __init__(self, dsn: str, *, clock: Callable[[], float] = time.monotonic) -> None:
        self.dsn = dsn
        self._clock = clock
        self._down_until = 0.0
        self._depth = 0
        self.conn = connect(dsn)

    def close(self) -> None:
        self.conn.close()

    def execute(self, query: str, params: tuple[Any, ...] = (), *, rerun: bool) -> psycopg.Cursor[Any]:
        """One autocommit statement (the tenant registry's), reconnecting as ``reconnecting`` does.

        ``rerun``: the statement is a read or idempotent, so re-sending it after a lost connection is
        safe.  Otherwise (an INSERT) a connection lost while it ran leaves its outcome unknown: 503."""
        self._ensure_connected()
        for attempt in range(2):
            try:
                return self.conn.execute(query, params)
            except psycopg.OperationalError as exc:
                if not _lost(self.conn, exc):
                    raise
                if attempt or not rerun:
                    break
            self._reconnect()
        raise _unavailable("the database connection was lost during the request; send it again")

    def _ensure_connected(self) -> None:
        """Reconnect first if the connection is known to be lost (only between transactions)."""
        if self.conn.closed:
            self._reconnect()

    def _reconnect(self) -> None:
        """A new connection, one attempt (see the module docstring); StoreUnavailable when it fails."""
        if self._clock() < self._down_until:
            raise _unavailable(UNAVAILABLE)
        self.conn.close()
        try:
            self.conn = connect(self.dsn, RECONNECT_TIMEOUT)
        except Unreachable:
            self._down_until = self._clock() + DOWN_FOR
            log.warning("PostgreSQL at %s is unreachable; answering 503 for now", describe(self.dsn))
            raise _unavailable(UNAVAILABLE) from None
        log.warning("reconnected to PostgreSQL at %s", describe(self.dsn))

    def _rollback(self) -> None:
        if not self.conn.closed:  # a lost connection's transaction is rolled back by the server
            self.conn.execute("ROLLBACK")

    def _commit(self) -> None:
        try:
            self.conn.execute("COMMIT")
        except psycopg.OperationalError as exc:
            if _lost(self.conn, exc):  # did the COMMIT land?  Unknowable: never re-run it, tell the client
                raise _unavailable("the database connection was lost while committing; the change may or "
                                   "may not be saved") from None
            raise

    def _begin(self) -> None:
        """BEGIN, on a new connection if the old one is lost (nothing of the transaction has run yet)."""
        self._ensure_connected()
        try:
            self.conn.execute("BEGIN")
            return
        except psycopg.OperationalError as exc:
            if not _lost(self.conn, exc):
                raise
        self._reconnect()
        try:
            self.conn.execute("BEGIN")
        except psycopg.OperationalError as exc:
            if _lost(self.conn, exc):
                raise _unavailable("the database connection was lost again; try again shortly") from None
            raise
