"""Every server test runs on both stores: SQLite (``:memory:``) and PostgreSQL (a fresh schema).

The ``store_db`` fixture is parametrised for every module but the CLI ones (which start no store
of their own); on PostgreSQL, each app a test makes with the default ``db=":memory:"`` gets a
fresh schema of the session's throwaway cluster (``tests.pg``), so the test reads exactly as on
SQLite.  Tests that name a database file keep it (they are about files).
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.server.helpers import Client, client

_ONE_STORE = {"test_cli", "test_tenant_cli", "test_curl_tour", "test_workers",  # workers: PostgreSQL only
              "test_pg_restart"}  # PostgreSQL only, on a cluster of its own


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    if "store_db" in metafunc.fixturenames and metafunc.module.__name__.rsplit(".", 1)[-1] not in _ONE_STORE:
        metafunc.parametrize("store_db", ["sqlite", "postgresql"], indirect=True)


@pytest.fixture(autouse=True)
def store_db(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    kind = getattr(request, "param", "sqlite")
    opened: list[Any] = []
    if kind == "postgresql":
        import reference_server.app as app_module

        cluster = request.getfixturevalue("pg_cluster")
        real = app_module.open_store

        def open_store(db: str, **kw: Any) -> Any:
            store = real(cluster.schema_dsn() if db == ":memory:" else db, **kw)
            assert store.multi_process, "the PostgreSQL run must use the PostgreSQL store"
            opened.append(store)
            return store
        monkeypatch.setattr(app_module, "open_store", open_store)
    yield kind
    for store in opened:  # apps a test did not close must not hold their connection for the session
        store.close()


@pytest.fixture
def c() -> Client:
    return client()
