"""Seed users straight into the database (``serve --seed-users N`` and the server benchmark)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from reference_server.schema import USER_URN
from reference_server.store import IndexKeys, Store

SEED_NAMESPACE = uuid.UUID("5c1b7e0e-8f7d-4d0b-9a51-2f1f3c4a9e01")


def seed_user_name(i: int, prefix: str = "user") -> str:
    return f"{prefix}{i:07d}@example.com"


def seed_user_id(i: int, prefix: str = "user") -> str:
    """The id ``seed_users`` gives user number ``i``."""
    return str(uuid.uuid5(SEED_NAMESPACE, seed_user_name(i, prefix)))


def seed_users(store: Store, count: int, now: datetime, *, start: int = 0, prefix: str = "user") -> int:
    """Insert ``count`` active users (deterministic ids and userNames) in one transaction."""
    stamp = now.isoformat(timespec="microseconds").replace("+00:00", "Z")

    def items() -> Iterator[tuple[str, dict[str, Any], IndexKeys]]:
        for i in range(start, start + count):
            name = seed_user_name(i, prefix)
            rid = seed_user_id(i, prefix)
            data = {"schemas": [USER_URN], "userName": name, "externalId": f"ext-{i}",
                    "name": {"givenName": "Seed", "familyName": f"User{i}"}, "displayName": f"Seed User{i}",
                    "active": True, "emails": [{"value": name, "type": "work", "primary": True}],
                    "meta": {"resourceType": "User", "created": stamp, "lastModified": stamp}}
            yield rid, data, IndexKeys(user_name=name, external_id=f"ext-{i}", display_name=f"seed user{i}")
    return store.insert_many("User", items())
