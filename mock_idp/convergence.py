"""Convergence: read the target back and compare it with what directory + mappings say.

Expectations (idp-behaviors.md §5 "Deprovisioning, settled"; §2):
- an enabled user in scope is present once, with every "apply always" mapped value;
- a user in scope but disabled or soft-deleted, or one the IdP provisioned and that then
  left scope, is inactive if present;
- a user hard-deleted while in scope is absent when the profile DELETEs on hard delete;
- a managed group in scope is present with its mapped values and exactly the members that
  are present on the target; a deleted group is absent when the profile DELETEs groups.
Every difference is a finding. Reads page through ``/Users`` and ``/Groups`` (RFC 7644
§3.4.2.4), bounded in pages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from mock_idp.directory import Directory
from mock_idp.driver import Driver
from harness.idp import requests as build
from mock_idp.flows import normalize
from mock_idp.mapping import MappingSet
from harness.idp.paths import ENTERPRISE, read
from harness.idp.profile import Profile

__all__ = ["Difference", "read_all", "compare"]

PAGE = 100
MAX_PAGES = 500


@dataclass(frozen=True)
class Difference:
    object_type: str  # User | Group
    key: str
    attribute: str
    expected: Any
    seen: Any

    def to_dict(self) -> dict[str, Any]:
        return {"object_type": self.object_type, "key": self.key, "attribute": self.attribute,
                "expected": self.expected, "seen": self.seen}


def read_all(driver: Driver, kind: str) -> tuple[list[dict[str, Any]], str | None]:
    """Every resource of ``kind`` (User/Group) by paging; ``(items, error or None)``."""
    items: list[dict[str, Any]] = []
    start = 1
    for _ in range(MAX_PAGES):
        ex = driver.send(build.page(kind, start, PAGE))
        body = ex.json_or_none()
        if ex.status != 200 or not isinstance(body, dict):
            return items, f"reading {build.endpoint(kind)} back failed: HTTP {ex.status or ex.error}"
        page = [r for r in body.get("Resources", []) or [] if isinstance(r, dict)]
        items.extend(page)
        total = body.get("totalResults")
        if not page or (isinstance(total, int) and start - 1 + len(page) >= total):
            break
        start += len(page)
    return items, None


def compare(
    directory: Directory,
    mapping: MappingSet,
    profile: Profile,
    provisioned: set[str],
    users: list[dict[str, Any]],
    groups: list[dict[str, Any]],
) -> list[Difference]:
    diffs: list[Difference] = []
    model = profile.scope_model
    refs = mapping.references("User")
    match = mapping.matching("User")[0].target if mapping.matching("User") else "userName"
    by_name: dict[str, list[dict[str, Any]]] = {}
    for resource in users:
        name = str(read(resource, match) or "").lower()
        by_name.setdefault(name, []).append(resource)

    def key_of(attrs: dict[str, Any]) -> str:
        return str(attrs.get(match) or "")

    present: dict[str, str] = {}  # directory id -> target id
    for user in directory.users.values():
        expected, _ = mapping.apply("User", user.source_attributes(), on_create=False)
        for ref in refs:
            expected.pop(ref, None)
        key = key_of(expected)
        found = by_name.get(key.lower(), [])
        if len(found) > 1:
            diffs.append(Difference("User", key, match, "exactly one user", f"{len(found)} users"))
        in_scope = directory.user_in_scope(user, model) and (
            not mapping.scope or mapping.user_in_scope(user.source_attributes()))
        active = directory.should_be_active(user)
        if not found:
            if in_scope and active:
                diffs.append(Difference("User", key, "(exists)", True, False))
            continue
        resource = found[0]
        present[user.object_id] = str(resource.get("id", ""))
        if not in_scope:
            if user.object_id in provisioned and normalize(read(resource, "active")) is not False:
                diffs.append(Difference("User", key, "active", False, read(resource, "active")))
            continue
        for path, value in expected.items():
            seen = read(resource, path)
            if normalize(seen) != normalize(value):
                diffs.append(Difference("User", key, path, value, seen))
    if refs:
        by_id = {str(r.get("id")): r for r in users}
        for user in directory.users.values():
            manager = user.manager_id
            if user.object_id in present and manager in present and directory.user_in_scope(user, model) and (
                    not mapping.scope or mapping.user_in_scope(user.source_attributes())):
                seen = read(by_id.get(present[user.object_id], {}), f"{ENTERPRISE}:manager")
                if normalize(seen) != present[manager]:
                    key = user.user_principal_name
                    diffs.append(Difference("User", key, "manager", present[manager], normalize(seen)))
    for uid, gone in directory.hard_deleted_users.items():
        if uid not in provisioned:
            continue
        expected, _ = mapping.apply("User", gone.source_attributes(), on_create=False)
        key = key_of(expected)
        found = by_name.get(key.lower(), [])
        deletes = profile.delete_user_on_hard_delete and (
            profile.delete_after_unassign or directory.in_scope_when_deleted(uid, model))
        if deletes and found:
            diffs.append(Difference("User", key, "(exists)", False, True))
        elif found and normalize(read(found[0], "active")) is not False:
            diffs.append(Difference("User", key, "active", False, read(found[0], "active")))
    if profile.manage_groups:
        diffs.extend(_compare_groups(directory, mapping, profile, present, groups, users))
    return diffs


def _compare_groups(
    directory: Directory,
    mapping: MappingSet,
    profile: Profile,
    present: dict[str, str],
    groups: list[dict[str, Any]],
    users: list[dict[str, Any]],
) -> list[Difference]:
    diffs: list[Difference] = []
    by_name: dict[str, list[dict[str, Any]]] = {}
    for resource in groups:
        by_name.setdefault(str(resource.get("displayName", "")), []).append(resource)
    names = {str(r.get("id")): str(r.get("userName", r.get("id"))) for r in users}
    for group in directory.groups.values():
        if not directory.group_in_scope(group, profile.scope_model):
            continue
        expected, _ = mapping.apply("Group", group.source_attributes(), on_create=False)
        key = str(expected.get("displayName", group.display_name))
        members = {present[m] for m in group.members if m in present}
        found = by_name.get(key, [])
        if len(found) > 1:
            diffs.append(Difference("Group", key, "displayName", "exactly one group", f"{len(found)} groups"))
        if not found:
            if members or profile.create_empty_groups:
                diffs.append(Difference("Group", key, "(exists)", True, False))
            continue
        resource = found[0]
        for path, value in expected.items():
            seen = read(resource, path)
            if normalize(seen) != normalize(value):
                diffs.append(Difference("Group", key, path, value, seen))
        raw = resource.get("members") or []
        seen_members = {str(m.get("value")) for m in raw if isinstance(m, dict)}
        missing = sorted(names.get(m, m) for m in members - seen_members)
        extra = sorted(names.get(m, m) for m in seen_members - members)
        if missing or extra:
            diffs.append(Difference("Group", key, "members", {"missing": missing}, {"unexpected": extra}))
    if profile.delete_group_on_delete:
        for group in directory.hard_deleted_groups.values():
            if by_name.get(group.display_name):
                diffs.append(Difference("Group", group.display_name, "(exists)", False, True))
    return diffs
