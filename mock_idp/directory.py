"""A seeded fake tenant: Entra-shaped users and groups, app assignments and the scope rule.

The same seed always yields the same people (faker seeded per instance, plus one
``random.Random``), so simulations are reproducible byte for byte. The directory also keeps
the "watermark" bookkeeping an IdP needs: which objects changed since the last cycle.

People are held as compact columns, not objects: a person is a row, and what was drawn for it
is a few small integers in ``array``s (indexes into the name pools and value tuples); every
string but the object id is built when read. What churn changes later is kept as edits per
row. A :class:`User` is a view on its row, so a load worker holds hundreds of tenants of
thousands of people (docs/load.md, "Measured").
"""

from __future__ import annotations

import random
import uuid
from array import array
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from faker import Faker

__all__ = ["User", "Group", "Directory", "make_directory", "ROLES"]

DOMAIN = "contoso.example"
DEPARTMENTS = ("Sales", "Marketing", "Engineering", "Finance", "Support", "Legal", "Operations", "HR")
COMPANIES = ("Premium", "Standard")  # seed 003: userType from companyName
ROLES = ("User", "ReadOnly", "Admin", "EnterpriseAdmin")  # seed 003's app roles
TITLES = ("Engineer", "Analyst", "Manager", "Consultant", "Designer", "Specialist", "Director", "Associate")
POOL = 300  # first and last names drawn from faker once per directory
EMPLOYEE_BASE = 1001  # the first person's employeeId
PAUSE_EVERY = 250  # people drawn between two calls of make_directory's ``pause``

T = TypeVar("T")


class _Field(Generic[T]):
    """A user attribute: the row's edit when churn changed it, else what was drawn for the row."""

    def __init__(self, drawn: Callable[["Directory", int], T]) -> None:
        self.drawn = drawn
        self.name = ""

    def __set_name__(self, owner: type, name: str) -> None:
        self.name = name

    def __get__(self, user: "User", owner: type | None = None) -> T:
        edits = user.directory._edits.get(user.row)
        if edits is not None and self.name in edits:
            value: T = edits[self.name]
            return value
        return self.drawn(user.directory, user.row)

    def __set__(self, user: "User", value: T) -> None:
        user.directory._edits.setdefault(user.row, {})[self.name] = value


class User:
    """An Entra user (the attributes the default mapping and the seeds read): a view on one row."""

    __slots__ = ("directory", "row")

    def __init__(self, directory: "Directory", row: int) -> None:
        self.directory = directory
        self.row = row

    @property
    def object_id(self) -> str:
        return self.directory._ids[self.row]

    user_principal_name: _Field[str] = _Field(lambda d, r: d._drawn_upn(r))
    mail: _Field[str | None] = _Field(lambda d, r: d._drawn_upn(r))
    mail_nickname: _Field[str] = _Field(lambda d, r: d._drawn_upn(r).split("@")[0])
    given_name: _Field[str] = _Field(lambda d, r: d._given[d._col_given[r]])
    surname: _Field[str] = _Field(lambda d, r: d._family[d._col_family[r]])
    display_name: _Field[str] = _Field(lambda d, r: f"{d._given[d._col_given[r]]} {d._family[d._col_family[r]]}")
    job_title: _Field[str] = _Field(lambda d, r: TITLES[d._col_title[r]])
    department: _Field[str] = _Field(lambda d, r: DEPARTMENTS[d._col_department[r]])
    company_name: _Field[str] = _Field(lambda d, r: COMPANIES[d._col_company[r]])
    employee_id: _Field[str] = _Field(lambda d, r: str(EMPLOYEE_BASE + r))
    manager_id: _Field[str | None] = _Field(lambda d, r: d._ids[d._col_manager[r]] if d._col_manager[r] >= 0 else None)
    account_enabled: _Field[bool] = _Field(lambda d, r: True)
    soft_deleted: _Field[bool] = _Field(lambda d, r: False)
    assigned: _Field[bool] = _Field(lambda d, r: bool(d._col_assigned[r]))
    #: JumpCloud pushes a user whose password expired as inactive (idp-behaviors §2, confirmed J7)
    password_expired: _Field[bool] = _Field(lambda d, r: False)
    extension: _Field[dict[str, str]] = _Field(lambda d, r: {"extensionAttribute1": f"CC-{d._col_cc[r]}"})
    #: a tuple: a view's value is built when read, so a change is an assignment, never an append
    app_roles: _Field[tuple[str, ...]] = _Field(lambda d, r: (ROLES[d._col_role[r]],))

    def __eq__(self, other: object) -> bool:
        return isinstance(other, User) and other.directory is self.directory and other.row == self.row

    def __hash__(self) -> int:
        return hash((id(self.directory), self.row))

    def __repr__(self) -> str:
        return f"User({self.user_principal_name!r})"

    def source_attributes(self) -> dict[str, Any]:
        """Attributes by their Entra source names, as mapping expressions read them."""
        return {
            "objectId": self.object_id,
            "userPrincipalName": self.user_principal_name,
            "mail": self.mail,
            "mailNickname": self.mail_nickname,
            "givenName": self.given_name,
            "surname": self.surname,
            "displayName": self.display_name,
            "jobTitle": self.job_title,
            "department": self.department,
            "companyName": self.company_name,
            "employeeId": self.employee_id,
            "manager": self.manager_id,
            "accountEnabled": self.account_enabled,
            "IsSoftDeleted": self.soft_deleted or not self.account_enabled,
            "passwordExpired": self.password_expired,
            "appRoleAssignments": [{"value": r, "displayName": r} for r in self.app_roles],
            # JumpCloud's 24-hex user id (a mapping may send it as externalId; J-knob, default omitted)
            "jumpcloudId": self.object_id.replace("-", "")[:24],
            # Okta's 20-character user id, 00u + 17 characters (O1: sent as externalId)
            "oktaId": "00u" + self.object_id.replace("-", "")[:17],
            **self.extension,
        }


@dataclass(slots=True)
class Group:
    object_id: str
    display_name: str
    members: list[str] = field(default_factory=list)  # user object ids, in join order
    assigned: bool = False

    def source_attributes(self) -> dict[str, Any]:
        return {"objectId": self.object_id, "displayName": self.display_name, "mailNickname": self.display_name}


class _Users(Mapping[str, User]):
    """Users by object id, in creation order: the present ones, or (``gone``) the hard-deleted
    ones in deletion order. Views are made on access."""

    def __init__(self, directory: "Directory", gone: bool) -> None:
        self._d = directory
        self._gone = gone

    def __getitem__(self, uid: str) -> User:
        d = self._d
        if (uid in d._gone) != self._gone:
            raise KeyError(uid)
        return User(d, d._rows[uid])

    def __contains__(self, uid: object) -> bool:
        return uid in self._d._rows and (uid in self._d._gone) == self._gone

    def __iter__(self) -> Iterator[str]:
        d = self._d
        if self._gone:
            return iter(list(d._gone))
        return (uid for uid in d._rows if uid not in d._gone)

    def __len__(self) -> int:
        return len(self._d._gone) if self._gone else len(self._d._rows) - len(self._d._gone)


class Directory:
    """Users and groups of one tenant, with the app's assignments and its scope setting.

    ``scope`` is "assigned" (sync only assigned users and groups: assigned users plus
    direct members of assigned groups) or "all" (seed 002). ``model`` is the profile's
    ``scope_model``: "bound-groups" (JumpCloud) counts only members of bound groups.
    """

    def __init__(self, rng: random.Random, faker: Faker, scope: str = "assigned", prefix: str = "") -> None:
        if scope not in {"assigned", "all"}:
            raise ValueError("scope must be 'assigned' or 'all'")
        self.rng = rng
        self.faker = faker
        self.scope = scope
        #: Put before every userPrincipalName (so userName, mail, externalId) and group name:
        #: tenants of one load run never collide on a target, and cleanup finds them by prefix.
        self.prefix = prefix
        # Name pools drawn once from faker (seeded), then picked with the seeded rng: same
        # names, ten times faster than asking faker per person.
        self._given: list[str] = [faker.first_name() for _ in range(POOL)]
        self._family: list[str] = [faker.last_name() for _ in range(POOL)]
        self._clean_given: list[str] = [_clean(n) for n in self._given]
        self._clean_family: list[str] = [_clean(n) for n in self._family]
        # The same userPrincipalName base (case-insensitively) gets the same code.
        first: dict[str, int] = {}
        self._canon_given = [first.setdefault(n.lower(), i) for i, n in enumerate(self._clean_given)]
        last: dict[str, int] = {}
        self._canon_family = [last.setdefault(n.lower(), i) for i, n in enumerate(self._clean_family)]
        # -- one entry per person ever created (a row), in creation order ---------------------
        self._ids: list[str] = []
        self._rows: dict[str, int] = {}  # object id -> row
        self._gone: dict[str, None] = {}  # hard-deleted object ids, in deletion order
        self._col_given: array[int] = array("H")
        self._col_family: array[int] = array("H")
        self._col_base: array[int] = array("I")  # which userPrincipalName base (see _canon_*)
        self._col_upn_n: array[int] = array("I")  # 1: the base as is; n: the base + n (the nth person so named)
        self._col_title: array[int] = array("B")
        self._col_department: array[int] = array("B")
        self._col_company: array[int] = array("B")
        self._col_role: array[int] = array("B")
        self._col_assigned: array[int] = array("B")
        self._col_cc: array[int] = array("H")
        self._col_manager: array[int] = array("i")  # row of the manager drawn at creation, -1: none
        self._member_of: list[tuple[str, ...]] = []  # group ids, in join order (an index)
        self._edits: dict[int, dict[str, Any]] = {}  # row -> attributes churn changed
        self.users: Mapping[str, User] = _Users(self, gone=False)
        self.hard_deleted_users: Mapping[str, User] = _Users(self, gone=True)
        self.groups: dict[str, Group] = {}
        self.hard_deleted_groups: dict[str, Group] = {}
        #: assigned groups a hard-deleted user belonged to when deleted (its scope then)
        self.former_scope_groups: dict[str, list[str]] = {}
        self.dirty_users: set[str] = set()
        self.dirty_groups: set[str] = set()

    # -- identifiers --------------------------------------------------------------------
    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _drawn_upn(self, row: int) -> str:
        """The userPrincipalName drawn for ``row`` (mail and mailNickname keep it after a change)."""
        n = self._col_upn_n[row]
        local = f"{self.prefix}{self._clean_given[self._col_given[row]]}.{self._clean_family[self._col_family[row]]}"
        return f"{local}{n if n > 1 else ''}@{DOMAIN}"

    # -- people --------------------------------------------------------------------------
    def new_user(self, assigned: bool = False) -> User:
        rng = self.rng
        given, family = rng.choice(range(POOL)), rng.choice(range(POOL))
        # unique case-insensitively, as "Given.Surname", "Given.Surname2", ...: the nth so named
        base = self._canon_given[given] * POOL + self._canon_family[family]
        n = self._col_base.count(base) + 1
        object_id = self.new_id()
        row = len(self._ids)
        self._ids.append(object_id)
        self._rows[object_id] = row
        self._col_given.append(given)
        self._col_family.append(family)
        self._col_base.append(base)
        self._col_upn_n.append(n)
        self._col_title.append(rng.choice(range(len(TITLES))))
        self._col_department.append(rng.choice(range(len(DEPARTMENTS))))
        self._col_company.append(rng.choice(range(len(COMPANIES))))
        self._col_cc.append(rng.randint(100, 999))
        self._col_role.append(rng.choice(range(len(ROLES))))
        self._col_assigned.append(int(assigned))
        self._col_manager.append(-1)
        self._member_of.append(())
        self.dirty_users.add(object_id)
        return User(self, row)

    def mark_hard_deleted(self, user_id: str) -> None:
        """The user leaves :attr:`users` for :attr:`hard_deleted_users` (its row stays)."""
        if user_id in self._rows:
            self._gone[user_id] = None

    def new_group(self, name: str, assigned: bool = True) -> Group:
        group = Group(object_id=self.new_id(), display_name=name, assigned=assigned)
        self.groups[group.object_id] = group
        self.dirty_groups.add(group.object_id)
        return group

    def unique_group_name(self) -> str:
        taken = {g.display_name for g in self.groups.values()} | {g.display_name for g in self.hard_deleted_groups.values()}
        while True:
            name = f"{self.prefix}{self.rng.choice(DEPARTMENTS)} {self.faker.word().capitalize()} {self.rng.randint(1, 99)}"
            if name not in taken:
                return name

    # -- scope ---------------------------------------------------------------------------
    def groups_of(self, user_id: str) -> list[Group]:
        row = self._rows.get(user_id)
        return [] if row is None else [self.groups[g] for g in self._member_of[row] if g in self.groups]

    def add_member(self, group: Group, user_id: str) -> bool:
        """Add a direct member (False if already one); marks the group changed."""
        row = self._rows[user_id]
        if group.object_id in self._member_of[row]:
            return False
        group.members.append(user_id)
        self._member_of[row] += (group.object_id,)
        self.dirty_groups.add(group.object_id)
        return True

    def remove_member(self, group: Group, user_id: str) -> bool:
        row = self._rows[user_id]
        if group.object_id not in self._member_of[row]:
            return False
        group.members.remove(user_id)
        self._member_of[row] = tuple(g for g in self._member_of[row] if g != group.object_id)
        self.dirty_groups.add(group.object_id)
        return True

    def group_in_scope(self, group: Group, model: str = "assignments") -> bool:
        return self.scope == "all" or group.assigned

    def user_in_scope(self, user: User, model: str = "assignments") -> bool:
        """In the app's scope (enabled or not: disabled users in scope get active=false)."""
        if self.scope == "all":
            return True
        if model == "assignments" and user.assigned:
            return True
        return any(g.assigned for g in self.groups_of(user.object_id))

    def in_scope_when_deleted(self, user_id: str, model: str = "assignments") -> bool:
        """Was this hard-deleted user in scope when it was deleted?"""
        user = self.hard_deleted_users[user_id]
        if self.scope == "all" or (model == "assignments" and user.assigned):
            return True
        return bool(self.former_scope_groups.get(user_id))

    def should_be_active(self, user: User) -> bool:
        return user.account_enabled and not user.soft_deleted

    # -- watermark -----------------------------------------------------------------------
    def take_changes(self) -> tuple[list[str], list[str]]:
        """Objects changed since the last call, in a stable order; clears the marks."""
        users, groups = sorted(self.dirty_users), sorted(self.dirty_groups)
        self.dirty_users.clear()
        self.dirty_groups.clear()
        return users, groups

    def touch_group_members(self, group: Group) -> None:
        """A group's assignment changed: every member's scope may have changed."""
        self.dirty_groups.add(group.object_id)
        self.dirty_users.update(group.members)


def _clean(name: str) -> str:
    """``name`` with only letters, digits and dots (a UPN's local part)."""
    return "".join(c for c in name if c.isalnum() or c == ".")


def make_directory(users: int, groups: int, seed: int, scope: str = "assigned", prefix: str = "",
                   pause: Callable[[], None] | None = None) -> Directory:
    """A tenant of ``users`` people and ``groups`` groups, deterministic for ``seed``.

    ``prefix`` goes before every user principal name and group name (load: one per tenant);
    the same seed draws the same people with or without it. ``pause`` is called every few
    hundred people (load: lets the worker's other tenants send meanwhile); it draws nothing.

    Most people belong to one to three groups; most groups are assigned to the app; a
    tenth of the people are assigned directly; a manager chain is drawn per department.
    """
    rng = random.Random(seed)
    faker = Faker("en_US")
    faker.seed_instance(seed)
    directory = Directory(rng, faker, scope, prefix)
    people: list[int] = []
    for n in range(users):
        people.append(directory.new_user(assigned=rng.random() < 0.1).row)
        if pause is not None and n % PAUSE_EVERY == PAUSE_EVERY - 1:
            pause()
    for i in range(groups):
        # every group but a few is assigned; JumpCloud's bound groups are these
        directory.new_group(directory.unique_group_name(), assigned=(i % 10 != 9))
    group_list = list(directory.groups.values())
    assigned_groups = [g for g in group_list if g.assigned]
    for row in people:
        if not group_list:
            break
        picks = rng.sample(group_list, k=min(len(group_list), rng.randint(1, 3)))
        if assigned_groups and not any(g.assigned for g in picks):
            picks[0] = rng.choice(assigned_groups)
        for g in picks:
            directory.add_member(g, directory._ids[row])
    by_department: dict[int, list[int]] = {}
    for row in people:
        by_department.setdefault(directory._col_department[row], []).append(row)
    for staff in by_department.values():
        head = staff[0]
        for row in staff[1:]:
            # drawn, not an edit: written into the column
            directory._col_manager[row] = head if rng.random() < 0.7 else -1
    return directory
