"""A seeded fake tenant: Entra-shaped users and groups, app assignments and the scope rule.

The same seed always yields the same people (faker seeded per instance, plus one
``random.Random``), so simulations are reproducible byte for byte. The directory also keeps
the "watermark" bookkeeping an IdP needs: which objects changed since the last cycle.
"""

from __future__ import annotations

import random
import uuid
from dataclasses import dataclass, field
from typing import Any

from faker import Faker

__all__ = ["User", "Group", "Directory", "make_directory", "ROLES"]

DOMAIN = "contoso.example"
DEPARTMENTS = ("Sales", "Marketing", "Engineering", "Finance", "Support", "Legal", "Operations", "HR")
COMPANIES = ("Premium", "Standard")  # seed 003: userType from companyName
ROLES = ("User", "ReadOnly", "Admin", "EnterpriseAdmin")  # seed 003's app roles
TITLES = ("Engineer", "Analyst", "Manager", "Consultant", "Designer", "Specialist", "Director", "Associate")


@dataclass
class User:
    """An Entra user (the attributes the default mapping and the seeds read)."""

    object_id: str
    user_principal_name: str
    mail: str | None
    mail_nickname: str
    given_name: str
    surname: str
    display_name: str
    job_title: str
    department: str
    company_name: str
    employee_id: str
    manager_id: str | None = None
    account_enabled: bool = True
    soft_deleted: bool = False
    assigned: bool = False
    #: JumpCloud pushes a user whose password expired as inactive (idp-behaviors §2, confirmed J7)
    password_expired: bool = False
    extension: dict[str, str] = field(default_factory=dict)
    app_roles: list[str] = field(default_factory=list)

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


@dataclass
class Group:
    object_id: str
    display_name: str
    members: list[str] = field(default_factory=list)  # user object ids, in join order
    assigned: bool = False

    def source_attributes(self) -> dict[str, Any]:
        return {"objectId": self.object_id, "displayName": self.display_name, "mailNickname": self.display_name}


class Directory:
    """Users and groups of one tenant, with the app's assignments and its scope setting.

    ``scope`` is "assigned" (sync only assigned users and groups: assigned users plus
    direct members of assigned groups) or "all" (seed 002). ``model`` is the profile's
    ``scope_model``: "bound-groups" (JumpCloud) counts only members of bound groups.
    """

    def __init__(self, rng: random.Random, faker: Faker, scope: str = "assigned") -> None:
        if scope not in {"assigned", "all"}:
            raise ValueError("scope must be 'assigned' or 'all'")
        self.rng = rng
        self.faker = faker
        self.scope = scope
        self.users: dict[str, User] = {}
        self.groups: dict[str, Group] = {}
        self.hard_deleted_users: dict[str, User] = {}
        self.hard_deleted_groups: dict[str, Group] = {}
        #: assigned groups a hard-deleted user belonged to when deleted (its scope then)
        self.former_scope_groups: dict[str, list[str]] = {}
        self._groups_of: dict[str, dict[str, None]] = {}  # user id -> group ids (ordered), an index
        self.dirty_users: set[str] = set()
        self.dirty_groups: set[str] = set()
        self._used_upns: set[str] = set()
        self._clean_names: dict[str, str] = {}
        self._employee = 1000
        # Name pools drawn once from faker (seeded), then picked with the seeded rng: same
        # names, ten times faster than asking faker per person.
        self._given = [faker.first_name() for _ in range(300)]
        self._family = [faker.last_name() for _ in range(300)]

    # -- identifiers --------------------------------------------------------------------
    def new_id(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _unique_upn(self, given: str, surname: str) -> str:
        # the same as cleaning f"{given}.{surname}" character by character, but each pool name
        # (300 + 300 of them) is cleaned once
        base = f"{self._clean_name(given)}.{self._clean_name(surname)}"
        candidate, n = base, 1
        while candidate.lower() in self._used_upns:
            n += 1
            candidate = f"{base}{n}"
        self._used_upns.add(candidate.lower())
        return f"{candidate}@{DOMAIN}"

    def _clean_name(self, name: str) -> str:
        """``name`` with only letters, digits and dots (a UPN's local part)."""
        clean = self._clean_names.get(name)
        if clean is None:
            clean = self._clean_names[name] = "".join(c for c in name if c.isalnum() or c == ".")
        return clean

    # -- people --------------------------------------------------------------------------
    def new_user(self, assigned: bool = False) -> User:
        given, surname = self.rng.choice(self._given), self.rng.choice(self._family)
        upn = self._unique_upn(given, surname)
        self._employee += 1
        user = User(
            object_id=self.new_id(),
            user_principal_name=upn,
            mail=upn,
            mail_nickname=upn.split("@")[0],
            given_name=given,
            surname=surname,
            display_name=f"{given} {surname}",
            job_title=self.rng.choice(TITLES),
            department=self.rng.choice(DEPARTMENTS),
            company_name=self.rng.choice(COMPANIES),
            employee_id=str(self._employee),
            assigned=assigned,
            extension={"extensionAttribute1": f"CC-{self.rng.randint(100, 999)}"},
            app_roles=[self.rng.choice(ROLES)],
        )
        self.users[user.object_id] = user
        self.dirty_users.add(user.object_id)
        return user

    def new_group(self, name: str, assigned: bool = True) -> Group:
        group = Group(object_id=self.new_id(), display_name=name, assigned=assigned)
        self.groups[group.object_id] = group
        self.dirty_groups.add(group.object_id)
        return group

    def unique_group_name(self) -> str:
        taken = {g.display_name for g in self.groups.values()} | {g.display_name for g in self.hard_deleted_groups.values()}
        while True:
            name = f"{self.rng.choice(DEPARTMENTS)} {self.faker.word().capitalize()} {self.rng.randint(1, 99)}"
            if name not in taken:
                return name

    # -- scope ---------------------------------------------------------------------------
    def groups_of(self, user_id: str) -> list[Group]:
        return [self.groups[g] for g in self._groups_of.get(user_id, ()) if g in self.groups]

    def add_member(self, group: Group, user_id: str) -> bool:
        """Add a direct member (False if already one); marks the group changed."""
        if group.object_id in self._groups_of.get(user_id, {}):
            return False
        group.members.append(user_id)
        self._groups_of.setdefault(user_id, {})[group.object_id] = None
        self.dirty_groups.add(group.object_id)
        return True

    def remove_member(self, group: Group, user_id: str) -> bool:
        if group.object_id not in self._groups_of.get(user_id, {}):
            return False
        group.members.remove(user_id)
        del self._groups_of[user_id][group.object_id]
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


def make_directory(users: int, groups: int, seed: int, scope: str = "assigned") -> Directory:
    """A tenant of ``users`` people and ``groups`` groups, deterministic for ``seed``.

    Most people belong to one to three groups; most groups are assigned to the app; a
    tenth of the people are assigned directly; a manager chain is drawn per department.
    """
    rng = random.Random(seed)
    faker = Faker("en_US")
    faker.seed_instance(seed)
    directory = Directory(rng, faker, scope)
    people = [directory.new_user(assigned=rng.random() < 0.1) for _ in range(users)]
    for i in range(groups):
        # every group but a few is assigned; JumpCloud's bound groups are these
        directory.new_group(directory.unique_group_name(), assigned=(i % 10 != 9))
    group_list = list(directory.groups.values())
    assigned_groups = [g for g in group_list if g.assigned]
    for person in people:
        if not group_list:
            break
        picks = rng.sample(group_list, k=min(len(group_list), rng.randint(1, 3)))
        if assigned_groups and not any(g.assigned for g in picks):
            picks[0] = rng.choice(assigned_groups)
        for g in picks:
            directory.add_member(g, person.object_id)
    by_department: dict[str, list[User]] = {}
    for person in people:
        by_department.setdefault(person.department, []).append(person)
    for staff in by_department.values():
        head = staff[0]
        for person in staff[1:]:
            person.manager_id = head.object_id if rng.random() < 0.7 else None
    return directory
