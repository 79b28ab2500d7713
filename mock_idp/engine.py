"""The provisioning engine: cycles (Entra) or events (JumpCloud) on the injected clock.

The :class:`Job` is what an IdP remembers between cycles: links (directory id → target id),
the members it has sent per group, the escrow of failed changes and the quarantine state.
The :class:`Engine` turns directory changes into flows, runs them through the driver, logs
every change and applies the profile's error policy (idp-behaviors.md §5 "Errors, escrow,
quarantine"; §2 "Errors"). No ``if idp == ...``: every difference is a profile knob.
"""

from __future__ import annotations

import hashlib
import random
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from harness.clock import VirtualClock, isoformat
from harness.idp.paths import parse_path
from mock_idp.churn import ChurnEvent, apply_event
from mock_idp.directory import Directory, Group, User
from mock_idp.driver import Driver
from mock_idp.connection import connection_test
from mock_idp.imports import import_all, scheduled_imports
from mock_idp.flows import Flow, FlowResult, WantGroup, WantUser, deactivate_user, delete_user, provision_user, set_manager
from mock_idp.groupflows import delete_group, sync_group
from mock_idp.logs import ProvisioningLog, Source
from mock_idp.mapping import MappingSet
from harness.idp.profile import Profile, load_profile

__all__ = ["Engine", "Job", "EscrowEntry", "CycleRecord", "Quarantine"]

_NS = uuid.UUID("0b8d3f3e-8e34-4b53-8d0b-3cf0e3f55a21")


@dataclass
class EscrowEntry:
    kind: str
    key: str
    display: str
    action: str
    attempts: int
    first_failed: datetime
    next_retry: datetime
    error: str

    def to_dict(self) -> dict[str, Any]:
        return {"object": f"{self.kind} {self.display}", "action": self.action, "attempts": self.attempts,
                "next_retry": isoformat(self.next_retry), "error": self.error}


@dataclass
class Quarantine:
    entered_at: datetime
    reason: str
    cleared_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"entered_at": isoformat(self.entered_at), "reason": self.reason,
                "cleared_at": isoformat(self.cleared_at) if self.cleared_at else None}


@dataclass
class CycleRecord:
    cycle_id: str
    kind: str
    started_at: datetime
    finished_at: datetime | None = None
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(
        ("create", "update", "disable", "delete", "other", "failure", "skipped"), 0))
    escrowed: int = 0
    quarantined: bool = False

    def to_dict(self) -> dict[str, Any]:
        return {"cycleId": self.cycle_id, "kind": self.kind, "started_at": isoformat(self.started_at),
                "finished_at": isoformat(self.finished_at or self.started_at), "counts": dict(self.counts),
                "escrowed": self.escrowed, "quarantined": self.quarantined}


@dataclass
class Job:
    """What the IdP remembers between cycles."""

    user_links: dict[str, str] = field(default_factory=dict)
    group_links: dict[str, str] = field(default_factory=dict)
    group_members: dict[str, set[str]] = field(default_factory=dict)
    escrow: dict[tuple[str, str], EscrowEntry] = field(default_factory=dict)
    quarantine: Quarantine | None = None
    quarantine_history: list[Quarantine] = field(default_factory=list)
    pending_users: dict[str, None] = field(default_factory=dict)  # ordered set
    pending_groups: dict[str, None] = field(default_factory=dict)
    failures: int = 0
    changes: int = 0
    failed_ever: int = 0
    cycles: list[CycleRecord] = field(default_factory=list)


class _Abort(Exception):
    """The job went into quarantine: stop the cycle at once."""


class Engine:
    def __init__(
        self,
        profile: Profile,
        mapping: MappingSet,
        directory: Directory,
        driver: Driver,
        clock: VirtualClock,
        log: ProvisioningLog,
        rng: random.Random,
        progress: Callable[[float], None] | None = None,
    ) -> None:
        self.profile, self.mapping, self.directory = profile, mapping, directory
        self.driver, self.clock, self.log, self.rng = driver, clock, log, rng
        self.job = Job()
        self.progress = progress
        self._cycle: CycleRecord | None = None
        #: kinds of change the target was sent and accepted (create, disable, delete, rename, ...)
        self.exercised: Counter[str] = Counter()
        #: target id -> the userName sent (Okta's member ``display``; only when the profile sends it)
        self.user_names: dict[str, str] = {}
        #: failed changes waiting for an admin's retry (on_failure = "admin-retry", Okta's Tasks)
        self.tasks: dict[tuple[str, str], dict[str, Any]] = {}
        self._refs = mapping.references("User")
        # The engine sends only what its mapping maps: no manager reference, no manager PATCH.
        self._manager_path = next((r for r in sorted(self._refs) if parse_path(r).attr == "manager"), None)

    @property
    def manages_managers(self) -> bool:
        """True when the mapping maps a manager reference (the engine sends only what it maps)."""
        return self._manager_path is not None

    # -- wants ---------------------------------------------------------------------------
    def want_user(self, user: User) -> WantUser:
        attrs = user.source_attributes()
        create, update, missing = self.mapping.apply_both("User", attrs)
        for ref in self._refs:
            update.pop(ref, None)
        match = tuple((m.target, str(create[m.target])) for m in self.mapping.matching("User") if m.target in create)
        manager = self.job.user_links.get(user.manager_id or "") if self._manager_path else None
        return WantUser(user.object_id, user.display_name, match, create, update, manager, tuple(missing),
                        self.job.user_links.get(user.object_id), self.profile.trigger == "cycles", self._manager_path,
                        self._password(user.object_id), self.profile.linked_read == "by-id")

    def _password(self, uid: str) -> str:
        """Okta sends a random password in every POST (O1): a throwaway derived from the job and
        the user, so the same seed sends the same bytes; it is no one's credential."""
        if not self.profile.user_create_password:
            return ""
        return "Sim-" + hashlib.sha256(f"{self.log.job_id}:{uid}".encode()).hexdigest()[:16] + "!"

    def want_group(self, group: Group) -> WantGroup:
        attrs, _ = self.mapping.apply("Group", group.source_attributes(), on_create=True)
        now = [self.job.user_links[u] for u in group.members if u in self.job.user_links and u in self.directory.users]
        sent = self.job.group_members.get(group.object_id, set())
        current = set(now)
        add = tuple(t for t in now if t not in sent)
        remove = tuple(sorted(sent - current))
        shown = {t: self.user_names.get(t, t) for t in now} if self.profile.member_display else {}
        return WantGroup(group.object_id, str(attrs.get("displayName", group.display_name)), attrs, add, remove,
                         self.job.group_links.get(group.object_id), tuple(now), shown)

    # -- one change ----------------------------------------------------------------------
    def _run(self, flow: Flow, source: Source) -> FlowResult:
        at, started = self.clock.now(), self.clock.monotonic()
        result, ids = self.driver.run(flow)
        duration = round((self.clock.monotonic() - started) * 1000)
        key = (source.kind, source.object_id)
        entry = self.job.escrow.get(key)
        cycle = self._cycle
        self.job.changes += 1
        next_retry = None
        if result.status == "failure":
            self.job.failures += 1
            self.job.failed_ever += 1
            if result.escrow:
                entry = self._escrow(key, source, result, entry)
                next_retry = entry.next_retry
            elif self.profile.on_failure == "next-event":
                (self.job.pending_users if source.kind == "User" else self.job.pending_groups)[source.object_id] = None
            elif self.profile.on_failure == "admin-retry":
                self.tasks[key] = {"object": f"{source.kind} {source.display}", "action": result.action,
                                   "failed_at": isoformat(at), "message": self.log.task_text(result, source)}
        else:
            if entry is not None:
                del self.job.escrow[key]
            self.tasks.pop(key, None)
        if cycle is not None:
            bucket = "failure" if result.status == "failure" else "skipped" if result.status == "skipped" else result.action
            cycle.counts[bucket] = cycle.counts.get(bucket, 0) + 1
        self.log.record(cycle.cycle_id if cycle else "", at, duration, result, source, ids, next_retry)
        if result.status in {"success", "warning"} and ids:
            self.exercised.update(_kinds_of_change(source.kind, result))
        self._apply_quarantine_rules(result, sent=bool(ids))
        return result

    def _escrow(self, key: tuple[str, str], source: Source, result: FlowResult, entry: EscrowEntry | None) -> EscrowEntry:
        now = self.clock.now()
        if entry is None:
            entry = EscrowEntry(source.kind, source.object_id, source.display, result.action, 0, now, now, "")
            self.job.escrow[key] = entry
        entry.attempts += 1
        entry.action, entry.error = result.action, result.reason or result.error_code or ""
        schedule = self.profile.escrow_retry_hours
        hours = schedule[entry.attempts - 1] if entry.attempts <= len(schedule) else (
            (schedule[-1] if schedule else 0) + self.profile.escrow_then_every_hours * (entry.attempts - len(schedule)))
        entry.next_retry = entry.first_failed + timedelta(hours=hours)
        if (entry.next_retry - entry.first_failed) > timedelta(days=self.profile.escrow_max_days):
            del self.job.escrow[key]  # dropped after 28 days (E5)
        return entry

    def _apply_quarantine_rules(self, result: FlowResult, sent: bool) -> None:
        """Quarantine rules (E5): a success clears it; bad credentials or a probe 404 enter it
        at once, else the failure thresholds do; entering it aborts the cycle."""
        job, p = self.job, self.profile
        if job.quarantine is not None and result.status == "success" and sent:
            job.quarantine.cleared_at = self.clock.now()  # a success clears it
            job.quarantine = None
            job.failures = job.changes = 0
        if result.quarantine and job.quarantine is None:
            self._enter_quarantine(result.quarantine)
        elif p.quarantine_min_failures and job.quarantine is None and job.failures >= p.quarantine_min_failures and (
            job.failures / max(1, job.changes) > p.quarantine_failure_ratio
            or job.failures > p.quarantine_max_failures
            or job.failures >= p.quarantine_total_failures
        ):
            self._enter_quarantine(f"{job.failures} of {job.changes} changes failed")
        if result.quarantine and self.job.quarantine is not None:
            raise _Abort()

    def _disabled_in_quarantine(self, moment: datetime) -> bool:
        """After ``quarantine_disable_weeks`` in quarantine the job is disabled (E5: 4 weeks)."""
        q, weeks = self.job.quarantine, self.profile.quarantine_disable_weeks
        if q is None or not weeks or moment - q.entered_at < timedelta(weeks=weeks):
            return False
        q.reason += f" The job was disabled after {weeks:g} weeks in quarantine."
        return True

    def _enter_quarantine(self, reason: str) -> None:
        q = Quarantine(self.clock.now(), reason)
        self.job.quarantine = q
        self.job.quarantine_history.append(q)
        if self._cycle is not None:
            self._cycle.quarantined = True

    # -- intents -------------------------------------------------------------------------
    def process_user(self, uid: str, deferred: list[str]) -> None:
        d, p, job = self.directory, self.profile, self.job
        user = d.users.get(uid)
        if user is None:
            gone = d.hard_deleted_users.get(uid)
            if gone is None or uid not in job.user_links:
                return
            if not p.delete_user_on_hard_delete:  # never DELETEs (Okta): deleting deactivates first (O1)
                self._run(deactivate_user(p, self.want_user(gone)), Source(uid, gone.display_name, "User"))
                return
            if not p.delete_after_unassign and not d.in_scope_when_deleted(uid, p.scope_model):
                return  # after unassignment a later delete sends nothing (E3)
            result = self._run(delete_user(p, self.want_user(gone), job.user_links[uid]), Source(uid, gone.display_name, "User"))
            if result.status != "failure":
                target = job.user_links.pop(uid)
                for members in job.group_members.values():
                    members.discard(target)
            return
        source = Source(uid, user.display_name, "User")
        want = self.want_user(user)
        if d.user_in_scope(user, p.scope_model) and (
                not self.mapping.scope or self.mapping.user_in_scope(user.source_attributes())):
            if not want.match:
                self._log_skip(source, "no value for the matching attribute: never created (E6)")
                return
            result = self._run(provision_user(p, want, self._refs), source)
            if result.target_id and result.status != "failure":
                job.user_links[uid] = result.target_id
                if self.profile.member_display:  # kept only where members carry it (a load tenant holds thousands)
                    self.user_names[result.target_id] = str(want.create.get("userName", ""))
                if self._manager_path and user.manager_id and (result.action == "create" or want.manager is None):
                    deferred.append(uid)
                if result.action == "create":
                    for group in d.groups_of(uid):  # an escrowed create that now succeeds needs its groups
                        if group.object_id in job.group_links:
                            job.pending_groups[group.object_id] = None
        elif uid in job.user_links:
            self._run(deactivate_user(p, want), source)

    def _log_skip(self, source: Source, reason: str) -> None:
        result = FlowResult("other", "skipped", reason=reason)
        result.steps.append(("scoping", "scoping", "skipped", reason))
        self._run(_empty_flow(result), source)

    def resolve_managers(self, deferred: list[str]) -> None:
        self.driver.each(list(deferred), self._resolve_manager)

    def _resolve_manager(self, uid: str) -> None:
        user = self.directory.users.get(uid)
        if user is None or uid not in self.job.user_links:
            return
        manager = self.job.user_links.get(user.manager_id or "")
        if manager:  # only the reference is needed, not the whole mapped user
            want = WantUser(uid, user.display_name, (), {}, {}, manager, manager_path=self._manager_path)
            self._run(set_manager(self.profile, want, self.job.user_links[uid]), Source(uid, user.display_name, "User"))

    def process_group(self, gid: str) -> None:
        d, p, job = self.directory, self.profile, self.job
        if not p.manage_groups:
            return
        group = d.groups.get(gid)
        if group is None:
            gone = d.hard_deleted_groups.get(gid)
            if gone is not None and gid in job.group_links and p.delete_group_on_delete:
                result = self._run(delete_group(p, self.want_group(gone)), Source(gid, gone.display_name, "Group"))
                if result.status != "failure":
                    job.group_links.pop(gid, None)
                    job.group_members.pop(gid, None)
            return
        if not d.group_in_scope(group, p.scope_model):
            return
        want = self.want_group(group)
        result = self._run(sync_group(p, want), Source(gid, group.display_name, "Group"))
        if result.target_id and result.status != "failure":
            job.group_links[gid] = result.target_id
            job.group_members[gid] = set(want.add) | (job.group_members.get(gid, set()) - set(want.remove))
            self.exercised.update(["member-add"] * bool(want.add) + ["member-removal"] * bool(want.remove))

    # -- cycles --------------------------------------------------------------------------
    def _new_cycle(self, kind: str) -> CycleRecord:
        n = len(self.job.cycles) + 1
        record = CycleRecord(str(uuid.uuid5(_NS, f"{self.log.job_id}:{n}")), kind, self.clock.now())
        self.job.cycles.append(record)
        return record

    def run_cycle(self, kind: str) -> CycleRecord:
        """One cycle: pending and changed users, manager references, then groups (E3)."""
        job, d = self.job, self.directory
        if job.quarantine is not None:
            kind = "quarantine"
        cycle = self._cycle = self._new_cycle(kind)
        users, groups = d.take_changes()
        if kind == "initial":
            users = list(d.users)  # every object in scope, in directory order
            groups = list(d.groups)
        for uid in users:
            job.pending_users[uid] = None
        for gid in groups:
            job.pending_groups[gid] = None
        now = self.clock.now()
        for entry in list(job.escrow.values()):
            if entry.next_retry <= now:
                (job.pending_users if entry.kind == "User" else job.pending_groups)[entry.key] = None
        try:
            deferred: list[str] = []

            def user(uid: str) -> None:
                job.pending_users.pop(uid, None)
                self.process_user(uid, deferred)

            def group(gid: str) -> None:
                job.pending_groups.pop(gid, None)
                self.process_group(gid)

            # users, then their manager references, then groups: each phase ends before the next
            self.driver.each(list(job.pending_users), user)
            self.resolve_managers(deferred)
            self.driver.each(list(job.pending_groups), group)
        except _Abort:
            pass
        cycle.finished_at = self.clock.now()
        cycle.escrowed = len(job.escrow)
        cycle.quarantined = job.quarantine is not None
        self._cycle = None
        return cycle

    def run(self, events: list[ChurnEvent], until: datetime) -> None:
        """The initial cycle now, then cycles or events until ``until``; the profile's import
        schedule adds an ``import`` event at each scheduled moment (after events at the same time)."""
        start = self.clock.now()
        total = max(1.0, (until - start).total_seconds())
        self.run_cycle("initial")
        p = self.profile
        imports = [ChurnEvent(at, "import") for at in scheduled_imports(p.import_schedule, start, until)]
        pending = sorted(events + imports, key=lambda e: e.at)
        index = 0
        last_cycle = start
        while True:
            if p.trigger == "cycles":
                hours = p.quarantine_interval_hours if self.job.quarantine is not None else p.cycle_interval_minutes / 60
                next_at = max(last_cycle + timedelta(hours=hours), self.clock.now())
            else:
                next_at = pending[index].at + timedelta(seconds=p.event_delay_seconds) if index < len(pending) else until
            while index < len(pending) and pending[index].at <= min(next_at, until):
                self._wait_until(pending[index].at)
                if pending[index].kind == "retry":
                    self.retry_tasks()
                elif pending[index].kind == "import":
                    self.run_import()
                else:
                    apply_event(self.directory, pending[index], self.rng)
                index += 1
            if next_at > until:
                break
            if self._disabled_in_quarantine(next_at):
                break
            self._wait_until(next_at)
            last_cycle = self.clock.now()
            if p.trigger == "cycles" or self.directory.dirty_users or self.directory.dirty_groups \
                    or self.job.pending_users or self.job.pending_groups:
                self.run_cycle("incremental" if p.trigger == "cycles" else "event")
            if self.progress:
                self.progress(min(1.0, (self.clock.now() - start).total_seconds() / total))
            if p.trigger != "cycles" and index >= len(pending):
                break
        self._wait_until(until)

    def run_import(self) -> FlowResult:
        """An import from the app (Okta: manual or scheduled, O3): pages through /Users and
        /Groups; a page that repeats or skips what the IdP provisioned fails the import."""
        self._cycle = self._new_cycle("import")
        known = {"User": set(self.job.user_links.values()), "Group": set(self.job.group_links.values())}
        result = self._run(import_all(known, self.profile.manage_groups), Source("import", "Import", "Import"))
        self._cycle.finished_at = self.clock.now()
        self._cycle = None
        return result

    def retry_tasks(self) -> int:
        """An admin's "Retry selected" on every failed task: they run again with the next push."""
        for kind, key in self.tasks:
            if kind == "Import":
                continue  # an import is run again by the next import event, not by retry
            (self.job.pending_users if kind == "User" else self.job.pending_groups)[key] = None
        return len(self.tasks)

    def _wait_until(self, moment: datetime) -> None:
        """Let virtual time pass (a real, shortened wait on a ScaledClock: demos)."""
        delta = (moment - self.clock.now()).total_seconds()
        if delta > 0:
            self.clock.sleep(delta)

    def run_connection_test(self) -> tuple[bool, str, list[str]]:
        """The IdP's Test Connection, logged as its own cycle; ``(passed, reason, notes)``."""
        guid = str(uuid.UUID(int=self.rng.getrandbits(128), version=4))
        cycle = self._cycle = self._new_cycle("test-connection")
        at, started = self.clock.now(), self.clock.monotonic()
        # OAuth: the IdP gets its token first; no token, no credentials (a no-op for a static one).
        no_token = self.driver.client.token_problem()
        if no_token:
            ok, reason, notes = False, f"Test connection failed: could not get an access token: {no_token}.", list[str]()
            ids = [ex.id for ex in self.driver.client.recorder.exchanges[-1:]]
        else:
            (ok, reason, notes), ids = self.driver.run(connection_test(self.profile, guid))
        cycle.finished_at = self.clock.now()
        cycle.counts["failure" if not ok else "other"] += 1
        result = FlowResult("other", "success" if ok else "failure", reason=None if ok else reason)
        result.steps.extend(("testConnection", "processing", "success", n) for n in notes)
        duration = round((self.clock.monotonic() - started) * 1000)
        self.log.record(cycle.cycle_id, at, duration, result, Source(guid, "Test connection", "User"), ids)
        self._cycle = None
        return ok, reason, notes

    def provision_on_demand(self, user_principal_name: str) -> FlowResult | None:
        """Provision one user now (Entra "Provision on demand"), outside the cycle schedule."""
        user = next((u for u in self.directory.users.values()
                     if u.user_principal_name.lower() == user_principal_name.lower()), None)
        if user is None:
            return None
        self._cycle = self._new_cycle("on-demand")
        forms = load_profile(self.profile.on_demand_profile) if self.profile.on_demand_profile else self.profile
        result = self._run(provision_user(forms, self.want_user(user), self._refs),
                           Source(user.object_id, user.display_name, "User"))
        if result.target_id and result.status != "failure":
            self.job.user_links[user.object_id] = result.target_id
        self._cycle.finished_at = self.clock.now()
        self._cycle = None
        return result


_NAMES = {"displayName", "name.givenName", "name.familyName"}


def _kinds_of_change(kind: str, result: FlowResult) -> list[str]:
    """What one successful change was, in the words of ``churn.COVERED`` (and a few more)."""
    paths = {c.path for c in result.changes}
    if kind == "Group":
        named = {"create": "group-create", "delete": "group-delete"}.get(result.action)
        return [named] if named else (["group-rename"] if "displayName" in paths else [])
    if result.action in {"create", "disable", "delete"}:
        return [result.action]
    out = ["rename"] if paths & _NAMES else []
    attrs = {parse_path(p).attr for p in paths}
    if "manager" in attrs:
        out.append("manager")
    if "department" in attrs and len(paths) > 1:
        out.append("move")  # a move: the department with its title (and manager) in one change
    if "roles" in attrs:
        out.append("roles")
    if result.action == "update" and not out:
        out.append("update")
    return out


def _empty_flow(result: FlowResult) -> Flow:
    """A flow that sends nothing (a skip decided before any request)."""
    yield from ()  # makes this a generator that yields no request
    return result
