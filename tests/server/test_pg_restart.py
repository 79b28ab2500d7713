"""The PostgreSQL store survives a PostgreSQL restart: it reconnects, re-runs what is safe to re-run,
and answers 503 + Retry-After (not 500) while PostgreSQL is down.

These tests stop and restart PostgreSQL, so they run on a cluster of their own (module-scoped),
never the session's shared one, whose other users would lose their connections.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import httpx
import psycopg
import pytest

from reference_server.app import create_app
from reference_server import pg_session
from reference_server.pg_session import DOWN_FOR, RETRY_AFTER, Unreachable
from reference_server.settings import ServerSettings
from reference_server.store import IndexKeys, StoreUnavailable
from reference_server.store_postgres import PostgresStore
from reference_server.tenant_app import TenantServer
from reference_server.tenants import TenantRegistry
from tests.live import serve
from tests.pg import Cluster, started_cluster
from tests.server.helpers import AUTH, ERROR, TOKEN, USER

pytestmark = [pytest.mark.socket, pytest.mark.slow]
# (*) A store call that fails while PostgreSQL is down starts a window of 503s (pg_session.DOWN_FOR); the
# recorder's timed flush would land in a restart by chance, so the socket tests flush it first (GET
# /_recordings) and the first request after the restart must get through.
KEYS = IndexKeys(user_name="ada", external_id=None, display_name=None)


@pytest.fixture(scope="module")
def own_cluster() -> Iterator[Cluster]:
    yield from started_cluster()


class FakeTime:
    """The injected clock (monotonic seconds); tests move it."""

    def __init__(self) -> None:
        self.now: float = 1000.0

    def clock(self) -> float:
        return self.now


@pytest.fixture
def attempts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every connection attempt the store makes (its DSN), counted at psycopg.connect."""
    made: list[str] = []
    real = psycopg.connect

    def counting(dsn: str, **kwargs: object) -> psycopg.Connection[object]:
        made.append(dsn)
        return real(dsn, **kwargs)  # type: ignore[arg-type]
    monkeypatch.setattr(pg_session.psycopg, "connect", counting)
    return made


def _terminate_sessions(cluster: Cluster) -> None:
    """Cut every other session (what a restart does to them), without a restart."""
    with psycopg.connect(cluster.admin, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE pid <> pg_backend_pid() AND backend_type = 'client backend'")


def test_a_store_reads_and_writes_after_a_restart_without_being_reopened(own_cluster, attempts):
    t = FakeTime()
    store = PostgresStore(own_cluster.schema_dsn(), clock=t.clock)
    store.insert("User", "u1", {"userName": "ada"}, KEYS)
    own_cluster.restart()
    assert store.get("User", "u1") is not None  # a read: reconnected and re-run
    own_cluster.restart()
    store.insert("User", "u2", {"userName": "bob"}, IndexKeys("bob", None, None))  # a write: BEGIN re-run
    assert store.count("User") == 2
    assert attempts.count(store.dsn) == 3  # the open, then one attempt per restart: PostgreSQL was up again
    store.close()


def test_while_down_the_store_says_unavailable_after_one_attempt_and_tries_again_after_the_window(
        own_cluster, attempts):
    """No backoff round on the event loop: one attempt, then 503 at once until the window has passed."""
    t = FakeTime()
    store = PostgresStore(own_cluster.schema_dsn(), clock=t.clock)
    own_cluster.stop_server()
    try:
        with pytest.raises(StoreUnavailable) as raised:
            store.get("User", "u1")
        assert raised.value.status == 503 and ("retry-after", str(RETRY_AFTER)) in raised.value.headers
        assert attempts.count(store.dsn) == 2  # the open, then a single reconnect attempt: nothing to wait out
        for _ in range(3):  # a burst within the window: 503 at once, no attempt
            with pytest.raises(StoreUnavailable):
                store.count("User")
        assert attempts.count(store.dsn) == 2
        t.now += DOWN_FOR
        with pytest.raises(StoreUnavailable):
            store.count("User")  # the window has passed: one more attempt, still down
        assert attempts.count(store.dsn) == 3
    finally:
        own_cluster.start_server()
    with pytest.raises(StoreUnavailable):
        store.count("User")  # PostgreSQL is back, but the window has not passed on the injected clock
    t.now += DOWN_FOR
    assert store.count("User") == 0
    assert attempts.count(store.dsn) == 4
    store.close()


def test_a_store_opened_while_postgresql_is_down_is_a_503_for_a_request_and_one_line_for_the_cli(own_cluster):
    dsn = own_cluster.schema_dsn()
    own_cluster.stop_server()
    try:
        with pytest.raises(Unreachable) as raised:
            PostgresStore(dsn)
    finally:
        own_cluster.start_server()
    assert isinstance(raised.value, StoreUnavailable) and isinstance(raised.value, ValueError)
    assert raised.value.status == 503 and ("retry-after", str(RETRY_AFTER)) in raised.value.headers
    assert "cannot connect to PostgreSQL at" in str(raised.value) and "\n" not in str(raised.value)
    assert "PostgreSQL" not in raised.value.to_body()["detail"]  # the 503 names no server to the client


def test_a_connection_lost_inside_a_transaction_is_not_retried_alone_and_nothing_is_applied(own_cluster):
    store = PostgresStore(own_cluster.schema_dsn())
    store.insert("User", "u1", {"userName": "ada"}, KEYS)
    with pytest.raises(StoreUnavailable):
        with store.transaction():
            row = store.get("User", "u1", for_update=True)
            assert row is not None
            _terminate_sessions(own_cluster)  # the lock and the open transaction die with the session
            store.update("User", "u1", {"userName": "ada", "title": "x"}, KEYS, expected_version=row.version)
    row = store.get("User", "u1")  # the next call reconnects
    assert row is not None and row.version == 1 and "title" not in row.data
    store.close()


def _trap(store: PostgresStore, table: str) -> None:
    """The first INSERT into ``table`` kills its own session mid-transaction (after BEGIN, before
    COMMIT); later ones pass.  A sequence counts, because nextval survives the rollback."""
    store.conn.execute(f"""
        CREATE SEQUENCE trap_{table};
        CREATE FUNCTION trap_{table}() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF nextval('trap_{table}') = 1 THEN
                PERFORM pg_terminate_backend(pg_backend_pid());
                PERFORM pg_sleep(5);  -- the termination lands here
            END IF;
            RETURN NEW;
        END $$;
        CREATE TRIGGER trap_{table} BEFORE INSERT ON {table} FOR EACH ROW EXECUTE FUNCTION trap_{table}();""")


def test_a_write_lost_before_commit_is_re_run_and_applied_once(own_cluster):
    store = PostgresStore(own_cluster.schema_dsn())
    _trap(store, "resources")
    first = store.conn
    store.insert("User", "u1", {"userName": "ada"}, KEYS)
    assert store.conn is not first  # the first attempt's session died: a new connection re-ran it
    assert [r.id for r in store.find("User", "userName", "ada")] == ["u1"] and store.count("User") == 1
    store.close()


def test_a_re_run_write_given_a_one_shot_iterator_still_writes_every_item(own_cluster):
    store = PostgresStore(own_cluster.schema_dsn())
    _trap(store, "memberships")
    store.set_members("g1", iter(["u1", "u2"]))
    assert store.groups_containing("u1") == ["g1"] and store.groups_containing("u2") == ["g1"]
    store.close()


def test_a_statement_error_on_a_live_connection_is_not_mistaken_for_a_lost_one(own_cluster):
    dsn = own_cluster.schema_dsn()
    store = PostgresStore(dsn)
    store.insert("User", "u1", {"userName": "ada"}, KEYS)
    conn = store.conn
    conn.execute("SET lock_timeout = '50ms'")
    with psycopg.connect(dsn) as other:  # holds the row lock until it ends
        other.execute("SELECT 1 FROM resources WHERE id = 'u1' FOR UPDATE")
        with pytest.raises(psycopg.errors.LockNotAvailable):  # an OperationalError on a live connection
            with store.transaction():
                store.get("User", "u1", for_update=True)
    assert store.conn is conn and not conn.closed  # neither reconnected nor turned into a 503
    assert store.count("User") == 1
    store.close()


def test_over_a_socket_a_server_outlives_a_postgresql_restart_and_says_503_while_it_is_down(own_cluster):
    app = create_app(ServerSettings(db=own_cluster.schema_dsn(), tokens=(TOKEN,)))
    with serve(app) as url, httpx.Client(base_url=url, headers=AUTH, timeout=30) as client:
        r = client.post("/Users", json={"schemas": [USER], "userName": "ada"})
        assert r.status_code == 201, r.text
        ada = r.json()["id"]
        assert client.get("/_recordings").status_code == 200  # the recorder writes now, not mid-restart (*)
        own_cluster.restart()
        assert client.get(f"/Users/{ada}").status_code == 200
        r = client.post("/Users", json={"schemas": [USER], "userName": "bob"})
        assert r.status_code == 201, r.text
        own_cluster.stop_server()
        try:
            for call in (lambda: client.get(f"/Users/{ada}"), lambda: client.get("/Users"),
                         lambda: client.post("/Users", json={"schemas": [USER], "userName": "cy"})):
                r = call()
                assert r.status_code == 503, r.text
                assert r.headers["retry-after"] == str(RETRY_AFTER)
                assert r.headers["content-type"].startswith("application/scim+json")
                assert r.json()["schemas"] == [ERROR] and r.json()["status"] == "503"
        finally:
            own_cluster.start_server()
        # a client honouring Retry-After gets through, with no server restart (bounded: 15 tries)
        for _ in range(15):
            r = client.get("/Users", params={"filter": 'userName eq "bob"'})
            if r.status_code != 503:
                break
            time.sleep(int(r.headers["retry-after"]))
        assert r.status_code == 200 and r.json()["totalResults"] == 1, r.text
        assert client.post("/Users", json={"schemas": [USER], "userName": "cy"}).status_code == 201
        assert client.get("/Users").json()["totalResults"] == 3  # "cy" was not half-created during the outage


def test_over_a_socket_a_request_during_an_outage_costs_one_attempt_and_discovery_still_answers(own_cluster, attempts):
    """The store runs on the event loop, so a reconnect's waiting would hold every request of the process:
    there is none (one attempt, then 503); /ServiceProviderConfig needs no database and answers."""
    dsn = own_cluster.schema_dsn()
    app = create_app(ServerSettings(db=dsn, tokens=(TOKEN,), record=False))  # no recorder flush racing the count
    with serve(app) as url, httpx.Client(base_url=url, headers=AUTH, timeout=30) as client:
        assert client.get("/Users").status_code == 200
        own_cluster.stop_server()
        try:
            before = attempts.count(dsn)
            r = client.get("/Users")
            assert r.status_code == 503 and r.headers["retry-after"] == str(RETRY_AFTER), r.text
            assert attempts.count(dsn) - before == 1  # one attempt, no backoff round held on the loop
            r = client.get("/ServiceProviderConfig")
            assert r.status_code == 200 and r.json()["schemas"], r.text
        finally:
            own_cluster.start_server()
    app.close()

def test_the_tenant_registry_reads_after_a_restart_and_never_re_sends_an_insert(own_cluster):
    registry = TenantRegistry(own_cluster.database_dsn())
    registry.create("acme")
    own_cluster.restart()
    found = registry.get("acme")  # a read on the registry's own connection: reconnected and re-run
    assert found is not None and found.name == "acme"
    registry.rotate_token("acme")  # an UPDATE of the digests: idempotent, re-sent after a restart too
    _terminate_sessions(own_cluster)
    with pytest.raises(StoreUnavailable):  # an INSERT on a lost connection: its outcome unknown, 503
        registry.create("globex")
    assert registry.get("globex") is None  # the next read reconnects; the INSERT never reached the server
    registry.close()


def test_over_a_socket_a_tenant_server_outlives_a_restart_and_says_503_while_it_is_down(own_cluster):
    registry = TenantRegistry(own_cluster.database_dsn())
    _, token = registry.create("acme")
    auth = {"Authorization": f"Bearer {token}"}
    server = TenantServer(registry, "admin-token-for-restarts-0123456789", ServerSettings())
    with serve(server) as url, httpx.Client(base_url=f"{url}/t/acme/scim/v2", headers=auth, timeout=30) as client:
        assert client.post("/Users", json={"schemas": [USER], "userName": "ada"}).status_code == 201
        assert client.get("/_recordings").status_code == 200  # the recorder writes now, not mid-restart (*)
        own_cluster.restart()
        assert client.get("/Users").json()["totalResults"] == 1  # registry and tenant store both reconnected
        own_cluster.stop_server()
        try:
            r = client.get("/Users")
            assert r.status_code == 503 and r.headers["retry-after"] == str(RETRY_AFTER), r.text
            assert r.json()["schemas"] == [ERROR]
        finally:
            own_cluster.start_server()
        for _ in range(15):  # honouring Retry-After, bounded
            r = client.get("/Users")
            if r.status_code != 503:
                break
            time.sleep(int(r.headers["retry-after"]))
        assert r.status_code == 200 and r.json()["totalResults"] == 1, r.text
    server.close()
    registry.close()



def test_over_a_socket_a_tenant_first_opened_during_an_outage_says_503_then_works_when_it_is_back(own_cluster):
    """The registry's open session still reads while PostgreSQL refuses new ones (a smart shutdown), so the
    tenant's store is what fails to open; then PostgreSQL is fully down; then back."""
    registry = TenantRegistry(own_cluster.database_dsn())
    _, token = registry.create("fresh")  # never asked for before the outage: its store is not open
    auth = {"Authorization": f"Bearer {token}"}
    server = TenantServer(registry, "admin-token-for-restarts-0123456789", ServerSettings())
    with serve(server) as url, httpx.Client(base_url=f"{url}/t/fresh/scim/v2", headers=auth, timeout=30) as client:
        own_cluster.stop_server_smart()  # new sessions refused; the registry's open one still answers
        try:
            r = client.get("/Users")
            assert r.status_code == 503 and r.headers["retry-after"] == str(RETRY_AFTER), r.text
            assert r.headers["content-type"].startswith("application/scim+json")
            assert r.json()["schemas"] == [ERROR] and r.json()["status"] == "503"
            assert "fresh" not in server.apps  # nothing cached half-opened
        finally:
            own_cluster.stop_server()  # fully down (ends the registry's session)
        try:
            r = client.post("/Users", json={"schemas": [USER], "userName": "ada"})  # the registry's read: 503
            assert r.status_code == 503 and r.headers["retry-after"] == str(RETRY_AFTER), r.text
            assert r.json()["schemas"] == [ERROR]
        finally:
            own_cluster.start_server()
        for _ in range(15):  # honouring Retry-After, bounded
            r = client.post("/Users", json={"schemas": [USER], "userName": "ada"})
            if r.status_code != 503:
                break
            time.sleep(int(r.headers["retry-after"]))
        assert r.status_code == 201, r.text
        assert client.get("/Users").json()["totalResults"] == 1
    server.close()
    registry.close()
