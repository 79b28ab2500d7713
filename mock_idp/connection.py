"""The Test Connection flow of each profile (sans-IO, like every flow).

Entra ID reads: a userName probe with a random GUID and a group probe, and needs 200 with an
empty ListResponse (E1, E15). JumpCloud writes: looks up, creates a test user and group, then
deletes both, deactivating the user when the target cannot DELETE (J1).
"""

from __future__ import annotations

from collections.abc import Generator

from harness.idp import requests as build
from harness.idp.profile import Profile
from harness.idp.requests import Request
from harness.recorder import Exchange
from mock_idp.flows import answered, list_resources

__all__ = ["connection_test"]


def connection_test(profile: Profile, guid: str) -> Generator[Request, Exchange, tuple[bool, str, list[str]]]:
    """The profile's test connection: Entra reads (E1, E15); JumpCloud writes and deletes (J1).

    Returns ``(passed, one-line reason, step notes)``.
    """
    notes: list[str] = []
    user_id = group_id = None
    email = profile.test_user_email or f"{guid}@scim-harness.invalid"
    for step in profile.test_connection:
        if step in {"probe-user", "lookup-test-user"}:
            value = guid if step == "probe-user" else email
            ex = yield build.lookup(profile, "User", value)
            if not _probe_ok(profile, ex, notes, "user lookup"):
                return False, _reason(ex, "the user lookup"), notes
        elif step == "probe-group":
            ex = yield build.lookup(profile, "Group", guid)
            if not _probe_ok(profile, ex, notes, "group lookup"):
                return False, _reason(ex, "the group lookup"), notes
        elif step in {"page-users", "page-groups"}:
            kind = "User" if step == "page-users" else "Group"
            ex = yield build.page(kind, 1, profile.test_page_users if kind == "User" else profile.test_page_groups)
            if not _probe_ok(profile, ex, notes, f"{kind.lower()} page"):
                return False, _reason(ex, f"the {kind.lower()} page"), notes
        elif step == "create-test-user":
            ex = yield build.connection_user(profile, email)
            created = ex.json_or_none()
            if not (answered(ex, 200, 201) and isinstance(created, dict) and created.get("id")):
                return False, _reason(ex, "creating the test user"), notes
            user_id = str(created["id"])
            notes.append(f"created test user {email}")
        elif step == "create-test-group" and profile.manage_groups:
            ex = yield build.connection_group(profile, guid[:8])
            created = ex.json_or_none()
            if not (answered(ex, 200, 201) and isinstance(created, dict) and created.get("id")):
                return False, _reason(ex, "creating the test group"), notes
            group_id = str(created["id"])
            notes.append("created the test group")
        elif step == "delete-test-group" and group_id:
            ex = yield build.delete("Group", group_id)
            if not answered(ex, 200, 204):
                return False, _reason(ex, "deleting the test group"), notes
            notes.append("deleted the test group")
        elif step == "delete-test-user" and user_id:
            ex = yield build.delete("User", user_id)
            if not answered(ex, 200, 204):
                if ex.status not in profile.delete_fallback_statuses:
                    return False, _reason(ex, "deleting the test user"), notes
                ex = yield build.set_active(profile, user_id, False)
                if not answered(ex, 200, 204):
                    return False, _reason(ex, "deactivating the test user"), notes
                notes.append("the target cannot DELETE users: the test user was deactivated and left behind")
            else:
                notes.append("deleted the test user")
    return True, "test connection passed", notes


def _probe_ok(profile: Profile, ex: Exchange, notes: list[str], what: str) -> bool:
    if ex.status == 404 and profile.not_found_404_ok:
        notes.append(f"{what}: 404 read as not found")
        return True
    items = list_resources(ex) if ex.status == 200 else None
    if items is None:
        return False
    notes.append(f"{what}: 200 with {len(items)} result(s)")
    return True


def _reason(ex: Exchange, what: str) -> str:
    if ex.error is not None:
        return f"Test connection failed: {what} could not reach the target ({ex.error.split(':')[0]})."
    if ex.status in {401, 403}:
        return f"Test connection failed: the target rejected the credentials on {what} (HTTP {ex.status})."
    if ex.status == 404 and "lookup" in what:
        return f"Test connection failed: {what} got 404 where an empty ListResponse (200) is required."
    return f"Test connection failed: {what} got HTTP {ex.status}."
