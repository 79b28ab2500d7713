"""The compact directory: the same people as before for the same seed, views on rows, edits."""

from __future__ import annotations

import hashlib
import json
import random

from mock_idp.churn import ChurnEvent, apply_event
from mock_idp.directory import PAUSE_EVERY, Directory, User, make_directory
from harness.clock import EPOCH

#: Digest of make_directory(3000, 12, 7, "assigned", "p-") as the object-per-person directory drew
#: it before people became columns (commit 2f377a1): the columns must draw exactly the same.
BEFORE_COLUMNS = "e333d2d0000df98d"


def _digest(d: Directory) -> str:
    data = [u.source_attributes() for u in d.users.values()] + [
        [g.object_id, g.display_name, g.assigned, g.members] for g in d.groups.values()]
    return hashlib.sha256(json.dumps(data, sort_keys=True).encode()).hexdigest()[:16]


def test_the_same_seed_draws_the_same_people_as_before_the_columns() -> None:
    pauses: list[int] = []
    d = make_directory(3000, 12, 7, "assigned", "p-", pause=lambda: pauses.append(1))
    assert _digest(d) == BEFORE_COLUMNS
    assert len(pauses) == 3000 // PAUSE_EVERY  # pausing draws nothing
    names = [u.user_principal_name.lower() for u in d.users.values()]
    assert len(set(names)) == 3000 and any(n.split("@")[0][-1].isdigit() for n in names)  # "Jo.Li2"
    assert _digest(make_directory(3000, 12, 8, "assigned", "p-")) != BEFORE_COLUMNS


def test_a_user_is_a_view_and_changes_are_edits_of_its_row() -> None:
    d = make_directory(20, 2, 3, "all")
    first = next(iter(d.users.values()))
    assert not hasattr(first, "__dict__") and first == d.users[first.object_id]
    upn = first.user_principal_name
    first.user_principal_name = upn.lower()
    first.job_title = "Chief Tester"
    again = d.users[first.object_id]
    assert (again.user_principal_name, again.job_title) == (upn.lower(), "Chief Tester")
    assert again.mail == upn and again.mail_nickname == upn.split("@")[0]  # mail keeps the drawn name
    assert list(d._edits) == [first.row]  # only what changed is held


def test_hard_deleted_users_leave_users_in_deletion_order() -> None:
    d = make_directory(30, 3, 5, "all")
    rng = random.Random(1)
    for _ in range(2):
        victim = next(u for u in d.users.values() if not u.soft_deleted)
        victim.soft_deleted = True
        apply_event(d, ChurnEvent(EPOCH, "hard-delete", user=victim.user_principal_name), rng)
    gone = list(d.hard_deleted_users)
    assert len(gone) == 2 and len(d.users) == 28 and not set(gone) & set(d.users)
    assert all(isinstance(d.hard_deleted_users[g], User) and not d.groups_of(g) for g in gone)
    assert all(u.manager_id not in gone for u in d.users.values())
