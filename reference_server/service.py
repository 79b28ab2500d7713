"""The resource operations behind the HTTP endpoints and Bulk (RFC 7644 §3.3-§3.7).

``ScimService`` ties A's pure semantics (validate, patch, filters, sorting) to the store: it adds
id and meta, keeps userName unique, derives User.groups from Group members, versions resources
for ETags and applies the app profile's rules (seats, constraints, filterable attributes).
Rendering for the wire (projection, quirks) is the endpoints' job.
"""

from __future__ import annotations

import copy
import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, TypeVar

from reference_server import filter_eval, parser
from reference_server.errors import (
    Conflict, InvalidValue, NotFound, PreconditionFailed, TooMany, Uniqueness,
)
from reference_server.patch import apply_patch
from reference_server.profiles import Profile
from reference_server.schema import ResourceModel, apply_overrides
from reference_server.settings import ServerSettings
from reference_server.sorting import sort_mixed
from reference_server.store import IndexKeys, Row, Store, UniqueViolation, VersionConflict
from reference_server.validate import Leniency, normalize_for_uniqueness, prepare_create, prepare_replace, set_schemas

ENDPOINTS = {"User": "Users", "Group": "Groups"}

# The filter IdPs send on nearly every provisioning cycle (Entra, Okta: ``userName eq "..."``)
# in its one canonical spelling, with a plain string literal (no escapes, no control characters).
# It is answered without the general parser: the node is the parser's own node for a template with
# the literal swapped in (tests/server/test_speed_paths.py checks both give equal trees).
_T = TypeVar("_T")
_ATTEMPTS = 8  # read-modify-write attempts against writers in other processes (serve --workers)
_PLAIN_EQ = re.compile("(" + "|".join(filter_eval.INDEXED) + r') eq "([^"\\\x00-\x1f\x7f]*)"')
_EQ_TEMPLATES: dict[str, Any] = {name: parser.parse_filter(f'{name} eq "x"') for name in filter_eval.INDEXED}


def parse_filter_fast(text: str) -> parser.Filter:
    """``parser.parse_filter`` with a fast path for ``<indexed attribute> eq "<plain string>"``."""
    m = _PLAIN_EQ.fullmatch(text)
    if m is not None:
        template = _EQ_TEMPLATES[m.group(1)]
        return parser.Compare(path=template.path, op=template.op, value=m.group(2))
    return parser.parse_filter(text)


@dataclass(frozen=True)
class Behaviour:
    """Switches that quirks turn (the RFC behaviour is the default)."""

    leniency: Leniency = field(default_factory=Leniency)
    put_creates: bool = False
    list_deleted: bool = False
    case_sensitive_user_name_filter: bool = False
    ignore_member_filter_remove: bool = False
    put_ignores_members: bool = False


@dataclass
class Query:
    """A list request (RFC 7644 §3.4.2), already parsed from the URL or a SearchRequest."""

    filter: str | None = None
    sort_by: str | None = None
    sort_order: str | None = None
    start_index: int = 1
    count: int | None = None


@dataclass
class Page:
    total: int
    start_index: int
    resources: list[dict[str, Any]]
    model_of: list[ResourceModel]


def etag(version: int) -> str:
    """Weak entity tag (RFC 7232 §2.3) from the version counter."""
    return f'W/"{version}"'


def iso(dt: datetime) -> str:
    return dt.isoformat(timespec="microseconds").replace("+00:00", "Z")


class ScimService:
    def __init__(self, store: Store, profile: Profile, models: dict[str, ResourceModel],
                 settings: ServerSettings, behaviour: Behaviour) -> None:
        self.store, self.profile, self.models = store, profile, models
        self.settings, self.behaviour = settings, behaviour
        self.clock = settings.clock
        self.seat_limit = settings.seats if settings.seats is not None else (profile.seats.limit if profile.seats else 0)
        self._filter_models = dict(models)
        if behaviour.case_sensitive_user_name_filter:
            self._filter_models["User"] = apply_overrides(models["User"], {"userName": {"caseExact": True}})
        self._constraints = [(parser.parse_filter(c.filter), c.detail) for c in profile.constraints]

    # -- rendering ---------------------------------------------------------------------------

    def render(self, row: Row, base: str, groups: list[tuple[str, str]] | None = None) -> dict[str, Any]:
        """The full resource (before projection): id, meta.location, meta.version, derived groups."""
        data = row.data
        out: dict[str, Any] = {"schemas": data.get("schemas", []), "id": row.id}
        for k, v in data.items():
            if k not in ("schemas", "meta", "members"):
                out[k] = v
        if row.type == "Group" and data.get("members"):
            out["members"] = [{**m, "$ref": f"{base}/{ENDPOINTS.get(m.get('type', 'User'), 'Users')}/{m['value']}"}
                              for m in data["members"]]
        if row.type == "User":
            if groups is None:
                groups = self.store.groups_of([row.id]).get(row.id, [])
            if groups:
                out["groups"] = [{"value": gid, "$ref": f"{base}/Groups/{gid}", "display": name, "type": "direct"}
                                 for gid, name in groups]
        out["meta"] = {**data.get("meta", {}), "location": f"{base}/{ENDPOINTS[row.type]}/{row.id}",
                       "version": etag(row.version)}
        return out

    def render_many(self, rows: list[Row], base: str) -> list[dict[str, Any]]:
        users = [r.id for r in rows if r.type == "User"]
        groups = self.store.groups_of(users) if users else {}
        return [self.render(r, base, groups.get(r.id, [])) for r in rows]

    # -- helpers -----------------------------------------------------------------------------

    def _keys(self, rtype: str, data: dict[str, Any]) -> IndexKeys:
        user_name = data.get("userName") if rtype == "User" else None
        display = data.get("displayName")
        return IndexKeys(
            user_name=normalize_for_uniqueness(user_name) if isinstance(user_name, str) else None,
            external_id=data.get("externalId") if isinstance(data.get("externalId"), str) else None,
            display_name=normalize_for_uniqueness(display) if isinstance(display, str) else None)

    def _row(self, rtype: str, rid: str, *, lock: bool = False) -> Row:
        row = self.store.get(rtype, rid, for_update=lock)
        if row is None:
            raise NotFound(f"{rtype} {rid!r} not found")
        return row

    @staticmethod
    def check_if_match(row: Row, if_match: str | None) -> None:
        """RFC 7644 §3.14 / RFC 7232 §3.1: a stale If-Match -> 412 (weak comparison, ``*`` matches)."""
        if if_match is None:
            return
        tags = [t.strip() for t in if_match.split(",") if t.strip()]
        current = f'"{row.version}"'
        if "*" in tags or any(t.removeprefix("W/") == current for t in tags):
            return
        raise PreconditionFailed(f"If-Match {if_match!r} does not match the current version {etag(row.version)}")

    def _members(self, group_id: str, data: dict[str, Any]) -> list[str]:
        """Check Group.members (RFC 7643 §4.2): every value must name a live User or Group.

        Our choice (GRP-02): referential integrity is enforced, an unknown id -> 400 invalidValue.
        ``type`` is filled from the member's real type; ``$ref`` is computed on output."""
        members = data.get("members") or []
        ids = [m.get("value") for m in members]
        found = self.store.get_many([i for i in ids if isinstance(i, str)])
        for m in members:
            value = m.get("value")
            if value == group_id:
                raise InvalidValue("members: a group cannot be a member of itself")
            if value not in found:
                raise InvalidValue(f"members: no User or Group with id {value!r}")
            m.pop("$ref", None)
            m["type"] = found[value].type
            if "display" not in m:
                name = found[value].data.get("displayName") or found[value].data.get("userName")
                if name:
                    m["display"] = name
        return [m["value"] for m in members]

    def _profile_rules(self, rtype: str, data: dict[str, Any], previous: dict[str, Any] | None) -> None:
        if rtype != "User":
            return
        model = self.models["User"]
        for f, detail in self._constraints:
            if not filter_eval.matches(f, data, model):
                raise InvalidValue(detail)
        seats = self.profile.seats
        if seats is None:
            return
        had = bool((previous or {}).get(seats.schema, {}).get(seats.attribute))
        active = data.get("active", True) is not False
        data.pop(seats.schema, None)
        taken = had and active
        activated = previous is None or previous.get("active", True) is False
        if active and not had and activated:  # a seat is taken on create or on re-activation only
            taken = self._seats_used() < self.seat_limit
        if taken:
            data[seats.schema] = {seats.attribute: True}
        set_schemas(model, data)

    def _seats_used(self) -> int:
        seats = self.profile.seats
        assert seats is not None
        return self.store.count_flagged("User", seats.schema, seats.attribute)

    # -- operations --------------------------------------------------------------------------

    def create(self, rtype: str, body: Any, *, rid: str | None = None) -> Row:
        """POST (RFC 7644 §3.3): validate, assign id and meta, store; 409 on a taken userName."""
        model = self.models[rtype]
        data = prepare_create(model, body, lenient=self.behaviour.leniency)
        rid = rid or str(uuid.uuid4())
        now = iso(self.clock())
        with self.store.transaction():
            self._profile_rules(rtype, data, None)
            member_ids = self._members(rid, data) if rtype == "Group" else []
            data["meta"] = {"resourceType": rtype, "created": now, "lastModified": now}
            try:
                self.store.insert(rtype, rid, data, self._keys(rtype, data))
            except UniqueViolation:
                raise Uniqueness(f"userName {data.get('userName')!r} is already taken") from None
            if member_ids:
                self.store.set_members(rid, member_ids)
        return Row(0, rid, rtype, 1, data)

    def get(self, rtype: str, rid: str) -> Row:
        return self._row(rtype, rid)

    def _save(self, rtype: str, row: Row, new: dict[str, Any], changed: bool) -> Row:
        new.pop("id", None)
        if not changed:
            return row
        with self.store.transaction():
            self._profile_rules(rtype, new, row.data)
            member_ids = self._members(row.id, new) if rtype == "Group" else None
            new["meta"] = {**row.data.get("meta", {}), "lastModified": iso(self.clock())}
            try:
                version = self.store.update(rtype, row.id, new, self._keys(rtype, new), expected_version=row.version)
            except UniqueViolation:
                raise Uniqueness(f"userName {new.get('userName')!r} is already taken") from None
            if member_ids is not None:
                self.store.set_members(row.id, member_ids)
        return Row(row.seq, row.id, rtype, version, new)

    def _retrying(self, attempt: Callable[[], _T]) -> _T:
        """A read-modify-write in one transaction that other processes (``serve --workers``) cannot
        overtake: the read locks the row (PostgreSQL ``FOR UPDATE``; SQLite's writer lock), and the
        write is conditional on the version read besides, re-applied to the new state on a conflict
        (a stale If-Match then answers 412, as it would have)."""
        for _ in range(_ATTEMPTS):
            try:
                with self.store.transaction():
                    return attempt()
            except VersionConflict:
                continue
        raise Conflict("the resource kept changing while this request was applied; send it again")

    def replace(self, rtype: str, rid: str, body: Any, *, if_match: str | None = None) -> tuple[Row, bool]:
        """PUT (RFC 7644 §3.5.1); returns (row, created) - created only with the put-creates quirk."""
        return self._retrying(lambda: self._replace_once(rtype, rid, body, if_match))

    def _replace_once(self, rtype: str, rid: str, body: Any, if_match: str | None) -> tuple[Row, bool]:
        row = self.store.get(rtype, rid, for_update=True)
        if row is None:
            if self.behaviour.put_creates and self.store.get(rtype, rid, include_deleted=True) is None:
                return self.create(rtype, body, rid=rid), True
            raise NotFound(f"{rtype} {rid!r} not found")
        self.check_if_match(row, if_match)
        if self.behaviour.put_ignores_members and rtype == "Group" and isinstance(body, dict):
            body = {**body, "members": copy.deepcopy(row.data.get("members", []))}  # the held members win
        new = prepare_replace(self.models[rtype], {**copy.deepcopy(row.data), "id": row.id}, body,
                              lenient=self.behaviour.leniency)
        changed = _strip(new) != _strip(row.data)
        return self._save(rtype, row, new, changed), False

    def patch(self, rtype: str, rid: str, body: Any, *, if_match: str | None = None) -> Row:
        """PATCH (RFC 7644 §3.5.2): atomic; a no-op leaves version and lastModified alone."""
        return self._retrying(lambda: self._patch_once(rtype, rid, body, if_match))

    def _patch_once(self, rtype: str, rid: str, body: Any, if_match: str | None) -> Row:
        row = self._row(rtype, rid, lock=True)
        self.check_if_match(row, if_match)
        if self.behaviour.ignore_member_filter_remove and isinstance(body, dict) \
                and isinstance(body.get("Operations"), list):
            ops = [op for op in body["Operations"] if not _is_member_filter_remove(op)]
            if not ops:
                return row
            body = {**body, "Operations": ops}
        new, changed = apply_patch(self.models[rtype], {**row.data, "id": row.id}, body,
                                   lenient=self.behaviour.leniency)
        return self._save(rtype, row, new, changed)

    def delete(self, rtype: str, rid: str, *, if_match: str | None = None) -> None:
        """DELETE (RFC 7644 §3.6): the resource leaves every query and every group's members."""
        self._retrying(lambda: self._delete_once(rtype, rid, if_match))

    def _delete_once(self, rtype: str, rid: str, if_match: str | None) -> None:
        row = self._row(rtype, rid, lock=True)
        self.check_if_match(row, if_match)
        now = iso(self.clock())
        with self.store.transaction():
            for gid in self.store.groups_containing(rid):
                group = self.store.get("Group", gid, for_update=True)
                if group is None:
                    continue
                data = copy.deepcopy(group.data)
                data["members"] = [m for m in data.get("members", []) if m.get("value") != rid]
                if not data["members"]:
                    del data["members"]
                data["meta"] = {**data.get("meta", {}), "lastModified": now}
                self.store.update("Group", gid, data, self._keys("Group", data), expected_version=group.version)
                self.store.set_members(gid, [m["value"] for m in data.get("members", [])])
            self.store.delete(rtype, rid)

    # -- queries -----------------------------------------------------------------------------

    def _candidates(self, rtype: str, f: parser.Filter | None, base: str, need_all: bool) -> list[dict[str, Any]] | None:
        """Matching rendered resources, or None when a plain page from the store will do."""
        include_deleted = self.behaviour.list_deleted
        model = self._filter_models[rtype]
        if f is None and not need_all:
            return None
        hint = filter_eval.index_hint(f) if f is not None else None
        if hint is not None:
            name, value = hint
            if name == "id":
                row = self.store.get(rtype, value, include_deleted=include_deleted)
                rows = [row] if row else []
            else:
                key = value if name == "externalId" else normalize_for_uniqueness(value)
                rows = self.store.find(rtype, name, key, include_deleted=include_deleted)
            rendered = self.render_many(rows, base)
        else:
            if self.store.count(rtype, include_deleted=include_deleted) > self.settings.scan_limit:
                raise TooMany(f"this query needs a full scan of more than {self.settings.scan_limit} resources; "
                              f"filter with eq on {' or '.join(filter_eval.INDEXED)}")
            groups = self.store.all_groups_of() if rtype == "User" else {}
            rendered = [self.render(r, base, groups.get(r.id, []))
                        for r in self.store.scan(rtype, include_deleted=include_deleted)]
        if f is None:
            return rendered
        return [r for r in rendered if filter_eval.matches(f, r, model)]

    def query(self, rtypes: list[str], q: Query, base: str) -> Page:
        """A list or search (RFC 7644 §3.4.2-§3.4.3) over one or (root) several resource types."""
        f = None
        if q.filter is not None:
            f = parse_filter_fast(q.filter)
            filter_eval.check_filterable(f, self.profile.filterable)
            for rtype in rtypes:
                filter_eval.check_filter(f, self._filter_models[rtype])
        start = max(q.start_index, 1)
        count = self.settings.max_results if q.count is None else max(min(q.count, self.settings.max_results), 0)
        need_all = q.sort_by is not None or len(rtypes) > 1
        found: list[tuple[dict[str, Any], ResourceModel]] = []
        total = 0
        for rtype in rtypes:
            got = self._candidates(rtype, f, base, need_all)
            if got is None:  # unfiltered single-type list: page straight from the store
                include_deleted = self.behaviour.list_deleted
                total = self.store.count(rtype, include_deleted=include_deleted)
                rows = self.store.page(rtype, start - 1, count, include_deleted=include_deleted) if count else []
                return Page(total, start, self.render_many(rows, base), [self.models[rtype]] * len(rows))
            found.extend((r, self.models[rtype]) for r in got)
        if q.sort_by is not None:
            found = sort_mixed(found, q.sort_by, q.sort_order)
        total = len(found)
        window = found[start - 1:start - 1 + count]
        return Page(total, start, [r for r, _ in window], [m for _, m in window])


def _strip(data: dict[str, Any]) -> dict[str, Any]:
    """What decides whether a write changed anything: not id/meta, not members' computed $ref."""
    out = {k: v for k, v in data.items() if k not in ("meta", "id")}
    if isinstance(out.get("members"), list):
        out["members"] = [{k: v for k, v in m.items() if k != "$ref"} if isinstance(m, dict) else m
                          for m in out["members"]]
    return out


def _is_member_filter_remove(op: Any) -> bool:
    """``{"op": "remove", "path": "members[value eq ...]"}`` (for the ignore-member-remove-filter quirk)."""
    return (isinstance(op, dict) and str(op.get("op", "")).lower() == "remove"
            and str(op.get("path", "")).replace(" ", "").lower().startswith("members["))
