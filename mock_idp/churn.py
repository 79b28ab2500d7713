"""Directory life: a seeded model of working days, and scripted scenario files of timed events.

An event is *what happened in the directory* (a hire, a leaver, a rename, a group join);
the engine later decides what the IdP sends for it. Events whose target is ``None`` pick
it when applied, from the directory as it is then, with the seeded ``random.Random`` — so
a week replays identically for the same seed.

Scenario file (JSON)::

    {"events": [
      {"at": "+30m", "kind": "hire", "assign": true},
      {"at": "+2h", "kind": "title", "user": "Jo.Li@contoso.example", "value": "Director"},
      {"at": "day 2 10:15", "kind": "soft-delete", "user": 3},
      {"at": "2026-01-06T11:00:00Z", "kind": "join", "user": 5, "group": "Sales Team 1"},
      {"at": "+3h", "kind": "role", "user": 2, "assign": "Admin", "unassign": "User"}
    ]}

``at``: "+1h30m" after the start, "day N HH:MM" (day 1 is the first), or ISO 8601.
``user``/``group``: a userPrincipalName / displayName, or an index in creation order.
"""

from __future__ import annotations

import json
import random
import re
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from mock_idp.directory import DEPARTMENTS, ROLES, TITLES, Directory, Group, User

__all__ = ["ChurnEvent", "KINDS", "ROLE_KINDS", "COVERED", "day_model", "load_scenario", "apply_event", "ScenarioError"]

#: Every event kind and its weight in the day model (0: scripted only).
KINDS: dict[str, int] = {
    "hire": 14,
    "title": 14,
    "rename": 8,
    "department": 6,
    "manager": 8,
    "join": 12,
    "part": 10,
    "disable": 5,
    "enable": 3,
    "soft-delete": 5,
    "restore": 3,
    "hard-delete": 3,
    "unassign": 3,
    "assign": 3,
    "group-rename": 1,
    "upn-case": 0,
    "group-create": 0,
    "group-delete": 0,
    "group-unassign": 0,
    "move": 4,  # a move to another department: new department, title and manager at once (one PATCH)
    "password-expire": 0,  # the password expires (JumpCloud: pushed as inactive, J7)
    "password-reset": 0,
    "retry": 0,  # an admin retries every failed task (Okta's Tasks, O9); the engine handles it
    "import": 0,  # an admin runs an import from the app (Okta, O1, O3): pages /Users and /Groups
    "role": 6,  # an app role assigned or unassigned (drawn only when the mapping maps roles)
}

#: Kinds the day model draws only when the app's mapping sends what they change (so that a
#: tenant whose mapping has no roles replays exactly as before).
ROLE_KINDS = frozenset({"role"})


#: Kinds of change every simulation exercises, however small the tenant and short the run
#: (unless told not to), each with the directory events that bring it about, in order.
COVERED: dict[str, tuple[str, ...]] = {
    "disable": ("disable",),
    "delete": ("soft-delete", "hard-delete"),
    "member-removal": ("part",),
    "rename": ("rename",),
    "manager": ("manager",),
    "move": ("move",),  # department, title and manager in one change (one PATCH)
    "roles": ("role",),  # only when the mapping maps roles
}


class ScenarioError(ValueError):
    """A scenario file that cannot be replayed; the message names the event."""


@dataclass(frozen=True)
class ChurnEvent:
    at: datetime
    kind: str
    user: str | int | None = None
    group: str | int | None = None
    data: dict[str, Any] = field(default_factory=dict)


def day_model(start: datetime, days: int, users: int, rng: random.Random, cover: bool = False,
              roles: bool = False) -> list[ChurnEvent]:
    """Events for ``days`` working days: about 2 % of the headcount changes a weekday.

    Events fall between 30 minutes and 8 hours after each day's start (the first cycle of
    the day has already run); weekends are quiet (a fifth of a weekday). ``cover`` adds, on
    the first day, one event per kind in :data:`COVERED`, each on a user in the app's scope,
    so that even a small tenant over one day exercises deprovisioning. ``roles``: the app's
    mapping maps roles, so app roles are assigned and unassigned too.
    """
    kinds = [k for k, w in KINDS.items() if w and (roles or k not in ROLE_KINDS)]
    weights = [KINDS[k] for k in kinds]
    events: list[ChurnEvent] = []
    for day in range(days):
        day_start = start + timedelta(days=day)
        weekend = day_start.weekday() >= 5
        count = max(1, round(users * 0.02 * (0.2 if weekend else 1)))
        offsets = sorted(rng.uniform(1800, 8 * 3600) for _ in range(count))
        for offset in offsets:
            kind = rng.choices(kinds, weights)[0]
            events.append(ChurnEvent(day_start + timedelta(seconds=round(offset)), kind))
    if cover and users:
        at = 1800.0
        for steps in COVERED.values():
            for step in steps:
                if step in ROLE_KINDS and not roles:
                    continue
                at += rng.uniform(600, 1800)
                events.append(ChurnEvent(start + timedelta(seconds=round(at)), step, data={"in_scope": True}))
        events.sort(key=lambda e: e.at)
    return events


_RELATIVE = re.compile(r"^\+(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$")
_DAY = re.compile(r"^day (\d+) (\d{1,2}):(\d{2})$")


def _parse_at(text: str, start: datetime, where: str) -> datetime:
    text = str(text).strip()
    m = _RELATIVE.match(text)
    if m and any(m.groups()):
        d, h, mi, s = (int(x or 0) for x in m.groups())
        return start + timedelta(days=d, hours=h, minutes=mi, seconds=s)
    m = _DAY.match(text)
    if m:
        day, hour, minute = (int(x) for x in m.groups())
        if day < 1:
            raise ScenarioError(f"{where}: days count from 1")
        return start.replace(hour=hour, minute=minute, second=0, microsecond=0) + timedelta(days=day - 1)
    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise ScenarioError(f"{where}: 'at' must be '+1h30m', 'day 2 10:15' or ISO 8601, got {text!r}") from None
    if moment.tzinfo is None:
        raise ScenarioError(f"{where}: an ISO 'at' needs a timezone (e.g. Z)")
    return moment


def load_scenario(path: str | Path, start: datetime) -> list[ChurnEvent]:
    """Read a scenario file; raises :class:`ScenarioError` with the event's position."""
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise ScenarioError(f"cannot read scenario {path}: {exc.strerror}") from exc
    except json.JSONDecodeError as exc:
        raise ScenarioError(f"scenario {path}: not JSON ({exc.msg} at line {exc.lineno})") from exc
    items = data.get("events") if isinstance(data, dict) else None
    if not isinstance(items, list):
        raise ScenarioError(f"scenario {path}: expected {{\"events\": [...]}}")
    events = []
    for i, item in enumerate(items):
        where = f"scenario event {i + 1}"
        if not isinstance(item, dict) or "kind" not in item or "at" not in item:
            raise ScenarioError(f"{where}: needs 'at' and 'kind'")
        if item["kind"] not in KINDS:
            raise ScenarioError(f"{where}: unknown kind {item['kind']!r}; known: {', '.join(KINDS)}")
        extra = {k: v for k, v in item.items() if k not in {"at", "kind", "user", "group"}}
        events.append(ChurnEvent(_parse_at(item["at"], start, where), item["kind"], item.get("user"), item.get("group"), extra))
    return sorted(events, key=lambda e: e.at)


# -- applying ----------------------------------------------------------------------------------
def _pick_user(d: Directory, ref: str | int | None, rng: random.Random, want: str = "active",
               in_scope: bool = False) -> User | None:
    """The user ``ref`` names, else a seeded pick among those ``want`` describes (and, with
    ``in_scope``, in the app's scope under either scope model)."""
    if ref is not None:
        users = list(d.users.values())
        if isinstance(ref, int):
            return users[ref] if 0 <= ref < len(users) else None
        return next((u for u in users if u.user_principal_name.lower() == str(ref).lower()), None)
    if want == "soft-deleted":
        pool = [u for u in d.users.values() if u.soft_deleted]
    elif want == "disabled":
        pool = [u for u in d.users.values() if not u.account_enabled and not u.soft_deleted]
    elif want == "unassigned":
        pool = [u for u in d.users.values() if not u.assigned and not u.soft_deleted]
    elif want == "assigned":
        pool = [u for u in d.users.values() if u.assigned and not u.soft_deleted]
    else:
        pool = [u for u in d.users.values() if u.account_enabled and not u.soft_deleted]
    if in_scope:
        pool = [u for u in pool if d.user_in_scope(u, "bound-groups")]
        if want == "grouped":  # a member of an assigned group, to leave it
            pool = [u for u in pool if any(g.assigned for g in d.groups_of(u.object_id))]
    return rng.choice(pool) if pool else None


def _pick_group(d: Directory, ref: str | int | None, rng: random.Random) -> Group | None:
    groups = list(d.groups.values())
    if ref is not None:
        if isinstance(ref, int):
            return groups[ref] if 0 <= ref < len(groups) else None
        return next((g for g in groups if g.display_name == ref), None)
    pool = [g for g in groups if g.assigned]
    return rng.choice(pool) if pool else None


def apply_event(d: Directory, event: ChurnEvent, rng: random.Random) -> str:
    """Change the directory; returns a one-line note ("" when the event did not apply)."""
    kind, data = event.kind, event.data
    if kind == "hire":
        hired = d.new_user(assigned=bool(data.get("assign", rng.random() < 0.3)))
        group = _pick_group(d, event.group, rng)
        if group is not None:
            d.add_member(group, hired.object_id)
        return f"hired {hired.user_principal_name}"
    if kind.startswith("group-"):
        return _group_event(d, event, rng)
    want = {"restore": "soft-deleted", "hard-delete": "soft-deleted", "enable": "disabled",
            "assign": "unassigned", "unassign": "assigned", "part": "grouped"}.get(kind, "active")
    in_scope = bool(data.get("in_scope"))
    user = _pick_user(d, event.user, rng, want, in_scope)
    if user is None:
        return ""
    uid = user.object_id
    d.dirty_users.add(uid)
    if kind == "title":
        user.job_title = str(data.get("value") or rng.choice([t for t in TITLES if t != user.job_title]))
    elif kind == "move":
        user.department = str(data.get("value") or rng.choice([x for x in DEPARTMENTS if x != user.department]))
        user.job_title = str(data.get("title") or rng.choice([t for t in TITLES if t != user.job_title]))
        peers = [u for u in d.users.values() if u.object_id not in {uid, user.manager_id} and not u.soft_deleted]
        user.manager_id = rng.choice(peers).object_id if peers else user.manager_id
    elif kind == "role":
        _change_role(user, data, rng)
    elif kind == "password-expire":
        user.password_expired = True
    elif kind == "password-reset":
        user.password_expired = False
    elif kind == "department":
        user.department = str(data.get("value") or rng.choice([x for x in DEPARTMENTS if x != user.department]))
    elif kind == "rename":
        user.surname = str(data.get("value") or d.faker.last_name())
        user.display_name = f"{user.given_name} {user.surname}"
    elif kind == "upn-case":
        user.user_principal_name = str(data.get("value") or user.user_principal_name.lower())
    elif kind == "manager":
        peers = [u for u in d.users.values() if u.object_id != uid and not u.soft_deleted
                 and (not in_scope or d.user_in_scope(u, "bound-groups"))]
        user.manager_id = rng.choice(peers).object_id if peers else None
    elif kind in {"join", "part"}:
        group = _pick_group(d, event.group, rng)
        if group is None:
            return ""
        if kind == "join":
            d.add_member(group, uid)
        else:
            mine = [g for g in d.groups_of(uid) if (event.group is None or g is group) and (not in_scope or g.assigned)]
            if not mine:
                return ""
            group = mine[0] if event.group is not None else rng.choice(mine)
            d.remove_member(group, uid)
        return f"{user.user_principal_name} {'joined' if kind == 'join' else 'left'} {group.display_name}"
    elif kind == "disable":
        user.account_enabled = False
    elif kind == "enable":
        user.account_enabled = True
    elif kind == "soft-delete":
        user.soft_deleted = True
    elif kind == "restore":
        user.soft_deleted = False
    elif kind == "assign":
        user.assigned = True
    elif kind == "unassign":
        user.assigned = False
    elif kind == "hard-delete":
        _hard_delete(d, user, rng)
    return f"{kind} {user.user_principal_name}"


def _change_role(user: User, data: dict[str, Any], rng: random.Random) -> None:
    """Assign an app role, or unassign one of several (losing the last one is an "unassign")."""
    held = user.app_roles
    if data.get("assign") or data.get("unassign"):
        if data.get("assign") and data["assign"] not in held:
            held.append(str(data["assign"]))
        if data.get("unassign") in held and len(held) > 1:
            held.remove(str(data["unassign"]))
        return
    spare = [r for r in ROLES if r not in held]
    if len(held) > 1 and (not spare or rng.random() < 0.5):
        held.remove(rng.choice(held))
    elif spare:
        held.append(rng.choice(spare))


def _hard_delete(d: Directory, user: User, rng: random.Random) -> None:
    d.former_scope_groups[user.object_id] = [g.object_id for g in d.groups_of(user.object_id) if g.assigned]
    d.users.pop(user.object_id)
    for group in d.groups_of(user.object_id):
        d.remove_member(group, user.object_id)
    for other in d.users.values():
        if other.manager_id == user.object_id:
            other.manager_id = None
    d.hard_deleted_users[user.object_id] = user


def _group_event(d: Directory, event: ChurnEvent, rng: random.Random) -> str:
    if event.kind == "group-create":
        created = d.new_group(str(event.data.get("value") or d.unique_group_name()), assigned=True)
        return f"created group {created.display_name}"
    group = _pick_group(d, event.group, rng)
    if group is None:
        return ""
    if event.kind == "group-rename":
        old = group.display_name
        group.display_name = str(event.data.get("value") or d.unique_group_name())
        d.dirty_groups.add(group.object_id)
        return f"renamed group {old} to {group.display_name}"
    if event.kind == "group-unassign":
        group.assigned = False
        d.touch_group_members(group)
        return f"unassigned group {group.display_name}"
    d.groups.pop(group.object_id)
    d.hard_deleted_groups[group.object_id] = group
    d.dirty_groups.add(group.object_id)
    d.dirty_users.update(group.members)
    return f"deleted group {group.display_name}"
