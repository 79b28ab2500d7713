"""The ``Store`` seam directly, on both stores (``store_db``: SQLite in memory, PostgreSQL in a fresh
schema): the semantics the service relies on, one behaviour per test."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from reference_server.store import (
    IndexKeys, Store, UniqueViolation, VersionConflict, describe, open_store, sqlite_path,
)


@pytest.fixture
def store(store_db: str, request: pytest.FixtureRequest) -> Iterator[Store]:
    db = request.getfixturevalue("pg_cluster").schema_dsn() if store_db == "postgresql" else ":memory:"
    s = open_store(db)
    assert s.multi_process is (store_db == "postgresql")
    yield s
    s.close()


def _user(store: Store, rid: str, name: str, **data: Any) -> None:
    store.insert("User", rid, {"userName": name, **data}, IndexKeys(user_name=name.lower()))


def test_live_user_names_are_unique_and_a_delete_frees_the_name(store):
    _user(store, "u1", "ann")
    with pytest.raises(UniqueViolation):
        _user(store, "u2", "ANN")
    assert store.count("User") == 1
    assert store.delete("User", "u1") and not store.delete("User", "u1")
    _user(store, "u2", "ann")
    assert store.count("User") == 1 and store.count("User", include_deleted=True) == 2
    assert [r.id for r in store.find("User", "userName", "ann")] == ["u2"]
    assert [r.id for r in store.find("User", "userName", "ann", include_deleted=True)] == ["u1", "u2"]
    assert store.get("User", "u1") is None and store.get("User", "u1", include_deleted=True).deleted


def test_a_failed_insert_inside_a_transaction_rolls_the_whole_unit_back(store):
    _user(store, "u1", "ann")
    with pytest.raises(UniqueViolation), store.transaction():
        _user(store, "u2", "bob")
        _user(store, "u3", "ann")
    assert store.get("User", "u2") is None and store.count("User") == 1


def test_updates_bump_the_version_and_keep_uniqueness(store):
    _user(store, "u1", "ann")
    _user(store, "u2", "bob")
    assert store.update("User", "u1", {"userName": "cy"}, IndexKeys(user_name="cy")) == 2
    with pytest.raises(UniqueViolation):
        store.update("User", "u1", {"userName": "bob"}, IndexKeys(user_name="bob"))
    row = store.get("User", "u1")
    assert row is not None and row.version == 2 and row.data == {"userName": "cy"}
    with pytest.raises(KeyError):
        store.update("User", "nope", {}, IndexKeys())


def test_a_conditional_update_refuses_a_row_another_writer_changed(store):
    _user(store, "u1", "ann")
    assert store.update("User", "u1", {"userName": "ann", "x": 1}, IndexKeys(user_name="ann"), expected_version=1) == 2
    with pytest.raises(VersionConflict):  # read at version 1, written meanwhile: the stale write is refused
        store.update("User", "u1", {"userName": "ann", "x": 2}, IndexKeys(user_name="ann"), expected_version=1)
    assert store.get("User", "u1").data["x"] == 1
    store.delete("User", "u1")
    with pytest.raises(KeyError):
        store.update("User", "u1", {}, IndexKeys(), expected_version=3)


def test_pages_scans_and_get_many_follow_creation_order(store):
    n = store.insert_many("User", ((f"u{i}", {"userName": f"n{i}"}, IndexKeys(user_name=f"n{i}")) for i in range(7)))
    assert n == 7 and store.count("User") == 7
    assert [r.id for r in store.page("User", 2, 3)] == ["u2", "u3", "u4"]
    store.delete("User", "u3")
    assert [r.id for r in store.scan("User")] == ["u0", "u1", "u2", "u4", "u5", "u6"]
    assert set(store.get_many(["u1", "u3", "u6", "zz"])) == {"u1", "u6"}
    assert store.get_any("u1") is not None and store.get_any("u3") is None


def test_memberships_follow_live_groups(store):
    _user(store, "u1", "ann")
    store.insert("Group", "g1", {"displayName": "Ops"}, IndexKeys(display_name="ops"))
    store.insert("Group", "g2", {"displayName": "Dev"}, IndexKeys(display_name="dev"))
    store.set_members("g1", ["u1", "u1"])
    store.set_members("g2", ["u1"])
    assert store.groups_of(["u1"]) == {"u1": [("g1", "Ops"), ("g2", "Dev")]} == store.all_groups_of()
    assert sorted(store.groups_containing("u1")) == ["g1", "g2"]
    store.delete("Group", "g1")
    assert store.groups_of(["u1"]) == {"u1": [("g2", "Dev")]}
    store.set_members("g2", [])
    assert store.groups_of(["u1"]) == {} and store.groups_containing("u1") == []


def test_flagged_count_reads_the_json(store):
    for i, flag in enumerate((True, False, True)):
        _user(store, f"u{i}", f"n{i}", **{"urn:x:Seat": {"seated": flag}})
    assert store.count_flagged("User", "urn:x:Seat", "seated") == 2


def test_recordings_round_trip_and_the_key_is_stable(store):
    row = {"at": "2026-01-01T00:00:00Z", "method": "GET", "path": "/Users", "query": "", "status": 200,
           "duration_ms": 1.5, "request_headers": "user-agent: x\nauthorization: Bearer ***", "request_body": None,
           "response_headers": "content-type: application/scim+json", "response_body": "{}", "truncated": 0,
           "credential": "abc"}
    store.add_recordings([row, {**row, "path": "/Groups"}])
    recs = store.recordings(limit=10)
    assert [r["path"] for r in recs] == ["/Users", "/Groups"]
    assert recs[0]["request_headers"] == [["user-agent", "x"], ["authorization", "Bearer ***"]]
    assert recs[0]["truncated"] is False and store.recording(recs[1]["id"])["path"] == "/Groups"
    assert store.recordings(after=recs[0]["id"])[0]["path"] == "/Groups"
    key = store.recorder_key()
    assert len(key) == 32 and store.recorder_key() == key


def test_the_db_value_picks_the_store_and_messages_hide_passwords():
    assert sqlite_path("sqlite:///rel.db") == "rel.db" and sqlite_path("sqlite:////abs/x.db") == "/abs/x.db"
    assert sqlite_path("plain.db") == "plain.db" and sqlite_path("sqlite://") == ":memory:"
    assert describe("postgresql://u:s3cret@h:5/db?password=s3cret&sslmode=require") == \
        "postgresql://u@h:5/db?sslmode=require"
    with pytest.raises(ValueError, match="cannot connect to PostgreSQL") as info:
        open_store("postgresql://u:s3cret@127.0.0.1:1/db")
    assert "s3cret" not in str(info.value)


def test_two_stores_of_one_server_are_apart(store_db, request, tmp_path):
    """Tenants: two files on SQLite, two schemas of one database on PostgreSQL."""
    if store_db == "postgresql":
        cluster = request.getfixturevalue("pg_cluster")
        dbs = [cluster.schema_dsn(), cluster.schema_dsn()]
    else:
        dbs = [str(tmp_path / "a.db"), str(tmp_path / "b.db")]
    a, b = open_store(dbs[0]), open_store(dbs[1])
    try:
        _user(a, "u1", "ann")
        _user(b, "u1", "ann")  # the same id and name in the other store: no clash
        assert a.count("User") == b.count("User") == 1 and a.recorder_key() != b.recorder_key()
    finally:
        a.close()
        b.close()
