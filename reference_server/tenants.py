"""Tenants: many SCIM servers in one process, one per tenant, for a shared sandbox.

A tenant has a name, an app profile, quirks, bearer token(s) and its own database (data and
recorder), so isolation holds by construction: a tenant's requests reach only its own store.
The registry lives beside the tenants' data: in a directory, ``tenants.db`` and one SQLite file per
tenant; in PostgreSQL (a ``postgresql://`` location), a ``tenants`` table and one schema per tenant
(``tenant_<name>``), so every worker process of ``serve --workers N`` sees one registry.
The registry keeps each token as a SHA-256 digest only;
a token is shown once, when it is made (``create`` / ``rotate_token``).  Tokens are 32 random
bytes, so a fast digest is enough (there is nothing to brute-force).
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import secrets
import sqlite3
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path

from typing import Any

from reference_server.profiles import get_profile
from reference_server.quirks import QuirkSet
from reference_server.store import is_postgres

NAME = re.compile(r"^[a-z0-9][a-z0-9-]{0,62}$")
REGISTRY_FILE = "tenants.db"


def base_path(name: str) -> str:
    """Where a tenant's SCIM base URL lives on the server."""
    return f"/t/{name}/scim/v2"


def token_digest(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def new_token() -> str:
    return "scimt_" + secrets.token_urlsafe(32)


class TenantError(ValueError):
    """Bad input (unknown tenant, taken name, bad profile or quirk): one line for the user."""


@dataclass(frozen=True)
class Tenant:
    name: str
    app: str
    quirks: tuple[str, ...]
    created: str
    digests: tuple[str, ...]  # SHA-256 of each accepted token; never the tokens

    def accepts(self, token: str) -> bool:
        presented = token_digest(token)
        ok = False
        for digest in self.digests:  # no early exit: constant time over the list
            ok |= hmac.compare_digest(presented, digest)
        return ok

    def to_dict(self) -> dict[str, object]:
        """What list / the admin API show: no digests."""
        return {"name": self.name, "app": self.app, "quirks": list(self.quirks), "created": self.created,
                "tokens": len(self.digests), "basePath": base_path(self.name)}


def schema_of(name: str) -> str:
    """A tenant's PostgreSQL schema (tenant names have no '_', so the mapping is one to one)."""
    return "tenant_" + name.replace("-", "_")


class TenantRegistry:
    """The tenants of one location: a directory (``DIR/tenants.db`` + ``DIR/<name>.db`` per tenant)
    or a PostgreSQL URL (a ``tenants`` table + schema ``tenant_<name>`` per tenant)."""

    def __init__(self, location: str | Path) -> None:
        self.location = str(location)
        self.postgres = is_postgres(self.location)
        self._lock = threading.Lock()
        self._db: sqlite3.Connection
        self._pg: Any
        if self.postgres:
            from reference_server.pg_session import PgSession

            self._pg = PgSession(self.location)  # reconnects after a PostgreSQL restart
            self._unique: type[Exception] = __import__("psycopg").errors.UniqueViolation
        else:
            Path(location).mkdir(parents=True, exist_ok=True)
            self._db = sqlite3.connect(Path(location) / REGISTRY_FILE, check_same_thread=False, isolation_level=None)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._unique = sqlite3.IntegrityError
        self._sql("CREATE TABLE IF NOT EXISTS tenants (name TEXT PRIMARY KEY, app TEXT NOT NULL, "
                         "quirks TEXT NOT NULL, created TEXT NOT NULL, digests TEXT NOT NULL)")

    def __repr__(self) -> str:
        from reference_server.store import describe

        return describe(self.location)

    def _sql(self, query: str, params: tuple[Any, ...] = ()) -> Any:
        with self._lock:
            if self.postgres:  # every statement but INSERT is a read or idempotent: safe to re-send
                cur = self._pg.execute(query.replace("?", "%s"), params, rerun=not query.startswith("INSERT"))
            else:
                cur = self._db.execute(query, params)
            return cur.fetchall() if cur.description is not None else []

    def close(self) -> None:
        (self._pg if self.postgres else self._db).close()

    def data_location(self, name: str) -> str:
        """Where a tenant's data lives: its SQLite file, or its schema's PostgreSQL URL (made on first use)."""
        if not self.postgres:
            return str(Path(self.location) / f"{name}.db")
        from reference_server.store_postgres import create_schema, with_schema

        create_schema(self.location, schema_of(name))
        return with_schema(self.location, schema_of(name))

    def get(self, name: str) -> Tenant | None:
        if not NAME.match(name):
            return None
        rows = self._sql("SELECT name, app, quirks, created, digests FROM tenants WHERE name = ?", (name,))
        if not rows:
            return None
        row = rows[0]
        return Tenant(row[0], row[1], tuple(json.loads(row[2])), row[3], tuple(json.loads(row[4])))

    def list(self) -> list[Tenant]:
        names = [r[0] for r in self._sql("SELECT name FROM tenants ORDER BY name")]
        return [t for n in names if (t := self.get(n)) is not None]

    def create(self, name: str, app: str = "default", quirks: tuple[str, ...] = (),
               now: datetime | None = None) -> tuple[Tenant, str]:
        """A new tenant and its first token (the only time the token is seen)."""
        if not NAME.match(name):
            raise TenantError(f"bad tenant name {name!r}: lower-case letters, digits and '-', at most 63")
        try:
            profile = get_profile(app)
        except (KeyError, ValueError) as exc:
            raise TenantError(str(exc).strip("'\"")) from None
        if profile.auth == "basic":
            raise TenantError(f"the {app!r} app uses HTTP Basic; tenants authenticate with bearer tokens")
        try:
            QuirkSet(quirks)
        except ValueError as exc:
            raise TenantError(str(exc)) from None
        token = new_token()
        created = (now or datetime.now(timezone.utc)).strftime("%Y-%m-%dT%H:%M:%SZ")
        try:
            self._sql("INSERT INTO tenants VALUES (?, ?, ?, ?, ?)",
                      (name, app, json.dumps(list(quirks)), created, json.dumps([token_digest(token)])))
        except self._unique:
            raise TenantError(f"tenant {name!r} exists already") from None
        tenant = self.get(name)
        assert tenant is not None
        return tenant, token

    def rotate_token(self, name: str, keep_old: bool = False) -> str:
        """A new token for ``name``; the old ones stop working unless ``keep_old``."""
        tenant = self._require(name)
        token = new_token()
        digests = [*(tenant.digests if keep_old else ()), token_digest(token)]
        self._sql("UPDATE tenants SET digests = ? WHERE name = ?", (json.dumps(digests), name))
        return token

    def delete(self, name: str) -> None:
        """Forget the tenant and remove its data (its schema, or its file and SQLite's side files)."""
        self._require(name)
        self._sql("DELETE FROM tenants WHERE name = ?", (name,))
        if self.postgres:
            from reference_server.store_postgres import drop_schema

            drop_schema(self.location, schema_of(name))
            return
        data = Path(self.data_location(name))
        for path in (data, data.with_name(data.name + "-wal"), data.with_name(data.name + "-shm")):
            path.unlink(missing_ok=True)

    def _require(self, name: str) -> Tenant:
        tenant = self.get(name)
        if tenant is None:
            raise TenantError(f"no tenant {name!r}")
        return tenant
