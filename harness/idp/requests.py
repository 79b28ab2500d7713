"""Pure request builders: an intent in, the request an IdP sends out, from its :class:`Profile`.

The one place that knows what Entra ID, JumpCloud and Okta put on the wire. The simulator's
sans-IO flows (``mock_idp``) and the readiness checks (``scenarios/readiness``) both build their
requests here, so ``run`` and ``simulate`` cannot disagree about an IdP. Nothing here does I/O;
a :class:`Request` is sent by whoever holds a client.

Example::

    profile = load_profile("entra-legacy")
    lookup(profile, "User", "jo@contoso.com")   # GET /Users?filter=userName eq "jo@contoso.com"
    set_active(profile, "42", False)            # PATCH Replace active "False"
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from harness.idp.paths import CORE_GROUP, CORE_USER, ENTERPRISE, nest, parse_path, read
from harness.idp.profile import Profile
from harness.idp.roles import legacy_role_items

__all__ = [
    "USERS", "GROUPS", "PATCH_OP", "MANAGER", "Request", "Change", "endpoint",
    "lookup", "get_by_id", "page", "create_user", "patch_ops", "patch_body", "update_user", "set_active",
    "set_manager", "delete", "create_group", "update_group", "replace_group", "member_patches", "connection_user", "connection_group",
]

#: The IdPs never read /ResourceTypes: they address {base}/Users and {base}/Groups (E1, J1, O1).
USERS = "/Users"
GROUPS = "/Groups"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
#: Where the default mappings put the manager reference (enterprise extension, RFC 7643 §4.3).
MANAGER = f"{ENTERPRISE}:manager"


@dataclass(frozen=True)
class Request:
    method: str
    path: str
    params: tuple[tuple[str, str], ...] = ()
    json: Any = None

    def __init__(self, method: str, path: str, params: tuple[tuple[str, str], ...] = (), json: Any = None) -> None:
        # The generated frozen __init__ calls object.__setattr__ per field; one is made per
        # request, so the fields go straight into the instance dict (same object, still frozen).
        fields = self.__dict__
        fields["method"], fields["path"], fields["params"], fields["json"] = method, path, params, json


@dataclass(frozen=True)
class Change:
    path: str
    old: Any
    new: Any

    def __init__(self, path: str, old: Any, new: Any) -> None:
        # As Request: a created user yields one Change per mapped attribute (hot).
        fields = self.__dict__
        fields["path"], fields["old"], fields["new"] = path, old, new


def endpoint(kind: str) -> str:
    """``/Users`` for "User", ``/Groups`` for "Group"."""
    return USERS if kind == "User" else GROUPS


# -- reads -------------------------------------------------------------------------------------
def _quoted(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"')


def lookup(profile: Profile, kind: str, value: str, attribute: str | None = None) -> Request:
    """The lookup before a write (and the test connection probe): ``attribute eq "value"``.

    ``attribute`` replaces userName for users matched on another attribute (E6).
    """
    if kind == "User":
        flt = profile.user_probe_filter
        if attribute and attribute != "userName":
            flt = flt.replace("userName", parse_path(attribute).attr, 1)
    else:
        flt = profile.group_probe_filter
    flt = flt.replace("{value}", _quoted(value))
    params: list[tuple[str, str]] = []
    if kind == "Group" and profile.group_probe_excluded_attributes:
        params.append(("excludedAttributes", profile.group_probe_excluded_attributes))
    params.append(("filter", flt))
    params.extend(_pair(p) for p in profile.lookup_extra_params)
    return Request("GET", endpoint(kind), tuple(params))


def _pair(text: str) -> tuple[str, str]:
    key, _, value = text.partition("=")
    return key, value


def get_by_id(profile: Profile, kind: str, object_id: str) -> Request:
    """A read by id (Entra's linked-object fallback, Okta's GET before PUT)."""
    params: tuple[tuple[str, str], ...] = ()
    if kind == "Group" and profile.group_probe_excluded_attributes:
        params = (("excludedAttributes", profile.group_probe_excluded_attributes),)
    return Request("GET", f"{endpoint(kind)}/{object_id}", params)


def page(kind: str, start: int, count: int, narrow: str | None = None) -> Request:
    """One page of a list (Okta's test connection and import; the read-back).

    ``narrow`` is a filter the *harness* adds to page over its own objects only.
    """
    params: list[tuple[str, str]] = [("filter", narrow)] if narrow else []
    params += [("startIndex", str(start)), ("count", str(count))]
    return Request("GET", endpoint(kind), tuple(params))


# -- users -------------------------------------------------------------------------------------
def create_user(profile: Profile, attributes: Mapping[str, Any], references: Iterable[str] = (),
                password: str = "") -> Request:
    """``POST /Users`` from mapped ``{path: value}`` attributes, with the profile's extras."""
    skip = set(references)
    body = nest({k: v for k, v in attributes.items() if k not in skip})
    extensions = [k for k in body if k.lower().startswith("urn:")]
    schemas = [CORE_USER] + ([ENTERPRISE] if ENTERPRISE in extensions else [])  # custom URNs stay out (E6)
    out: dict[str, Any] = {"schemas": schemas}
    out.update(body)
    if profile.user_create_meta:
        out["meta"] = {"resourceType": "User"}
    if profile.user_create_empty_roles and "roles" not in out:
        out["roles"] = []
    if profile.user_create_empty_groups and "groups" not in out:
        out["groups"] = []
    if profile.user_create_password and password:
        out["password"] = password
    return Request("POST", USERS, json=out)


def _patch_value(profile: Profile, path: str, value: Any) -> Any:
    if isinstance(value, bool):
        return profile.patch_bool(value)
    if path == "roles" and profile.roles_patch_as_json_string:
        return legacy_role_items(value)
    if parse_path(path).attr == "manager" and profile.manager_value == "object":
        return {"value": value}
    return value


def patch_ops(profile: Profile, changes: Iterable[Change]) -> list[dict[str, Any]]:
    """PATCH operations in the profile's form (E2): pathed ops, or one path-less replace.

    Filtered paths always keep their own pathed op; so does ``active``, unless the profile's
    ``pathless_active`` is "in-value" (then it rides in the path-less replace).
    """
    ops: list[dict[str, Any]] = []
    merged: dict[str, Any] = {}
    for c in changes:
        value = _patch_value(profile, c.path, c.new)
        own_op = c.path == "active" and profile.pathless_active == "own-op"
        pathed = profile.update_form != "pathless" or own_op or parse_path(c.path).filtered
        if pathed:
            # a filtered path the target has no value for is added, not replaced: replace on a
            # value path matching nothing is noTarget (RFC 7644 §3.5.2.3); legacy adds any absent value (E2)
            absent = c.old is None
            name = "add" if absent and (profile.add_when_absent or parse_path(c.path).filtered) else "replace"
            ops.append({"op": profile.op(name), "path": c.path, "value": value})
        else:
            merged[c.path] = value
    if merged:
        ops.append({"op": profile.op("replace"), "value": nest(merged) if profile.pathless_keys == "nested" else merged})
    return ops


def patch_body(ops: list[dict[str, Any]]) -> dict[str, Any]:
    return {"schemas": [PATCH_OP], "Operations": ops}


def update_user(profile: Profile, user_id: str, changes: list[Change], current: Mapping[str, Any] | None = None) -> Request:
    """An attribute update: PATCH in the profile's form, or (``update_form = "put"``) the
    resource as read with the changes merged in (Okta AIW: GET, then PUT; O1)."""
    if profile.update_form == "put":
        return Request("PUT", f"{USERS}/{user_id}", json=_merged(dict(current or {}), nest({c.path: c.new for c in changes})))
    return Request("PATCH", f"{USERS}/{user_id}", json=patch_body(patch_ops(profile, changes)))


def _merged(current: dict[str, Any], changed: dict[str, Any]) -> dict[str, Any]:
    """``current`` with ``changed`` laid over it; complex attributes keep their other sub-attributes."""
    out = dict(current)
    for key, value in changed.items():
        held = out.get(key)
        out[key] = _merged(held, value) if isinstance(held, dict) and isinstance(value, dict) else value
    return out


def set_active(profile: Profile, user_id: str, active: bool, current: Mapping[str, Any] | None = None) -> Request:
    """Deactivate (``active`` False) or reactivate: a pathed op (Entra, JumpCloud), a path-less
    replace ``{"active": …}`` (Okta OIN), or a PUT when the profile updates by PUT and the
    resource as read is given (Okta AIW)."""
    # what the target held decides Add or Replace in the legacy form (E2)
    change = Change("active", read(dict(current), "active") if current is not None else not active, active)
    if current is not None and profile.update_form == "put":
        return update_user(profile, user_id, [change], current)
    if profile.deactivate_form == "pathless":
        return Request("PATCH", f"{USERS}/{user_id}",
                       json=patch_body([{"op": profile.op("replace"), "value": {"active": profile.patch_bool(active)}}]))
    return Request("PATCH", f"{USERS}/{user_id}", json=patch_body(patch_ops(profile, [change])))


def set_manager(profile: Profile, user_id: str, manager_id: str, path: str = MANAGER) -> Request:
    """The manager reference, sent once every user exists (E3 referenceResolution)."""
    op = {"op": profile.op("add"), "path": path, "value": _patch_value(profile, path, manager_id)}
    return Request("PATCH", f"{USERS}/{user_id}", json=patch_body([op]))


def delete(kind: str, object_id: str) -> Request:
    return Request("DELETE", f"{endpoint(kind)}/{object_id}")


# -- groups ------------------------------------------------------------------------------------
def _member(profile: Profile, target_id: str, display: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"$ref": None, "value": target_id} if profile.member_ref_null else {"value": target_id}
    if profile.member_display and display:
        out["display"] = display
    return out


def create_group(profile: Profile, attributes: Mapping[str, Any], members: Iterable[str] = ()) -> Request:
    """``POST /Groups``: the profile's schemas and meta; members in the body only when the
    profile sends them there (Okta: ``members: []``), else they follow by PATCH."""
    body: dict[str, Any] = {"schemas": [CORE_GROUP, *profile.group_extra_schemas]}
    body.update(nest(dict(attributes)))
    if profile.group_create_with_members:
        body["members"] = [_member(profile, m) for m in members]
    if profile.group_create_meta:
        body["meta"] = {"resourceType": "Group"}
    return Request("POST", GROUPS, json=body)


def _rename_op(profile: Profile, group_id: str, display_name: str) -> dict[str, Any]:
    return {"op": profile.op("replace"), "value": {"id": group_id, "displayName": display_name}}


def update_group(profile: Profile, group_id: str, changes: list[Change]) -> Request:
    """A group attribute change (a rename): the user update form, or Okta's path-less
    ``replace {id, displayName}`` (O1)."""
    names = [c for c in changes if c.path == "displayName"]
    if profile.group_rename_form == "pathless-with-id" and names:
        others = [c for c in changes if c.path != "displayName"]
        ops = [_rename_op(profile, group_id, str(names[0].new)), *patch_ops(profile, others)]
    else:
        ops = patch_ops(profile, changes)
    return Request("PATCH", f"{GROUPS}/{group_id}", json=patch_body(ops))


def replace_group(profile: Profile, group_id: str, attributes: Mapping[str, Any], members: Iterable[str],
                  displays: Mapping[str, str] | None = None) -> Request:
    """A group pushed whole: ``PUT /Groups/{id}`` with displayName and every member (Okta AIW, O1)."""
    shown = displays or {}
    body: dict[str, Any] = {"schemas": [CORE_GROUP, *profile.group_extra_schemas], "id": group_id}
    body.update(nest(dict(attributes)))
    body["members"] = [_member(profile, m, shown.get(m)) for m in members]
    return Request("PUT", f"{GROUPS}/{group_id}", json=body)


def member_patches(profile: Profile, group_id: str, add: Iterable[str] = (), remove: Iterable[str] = (),
                   displays: Mapping[str, str] | None = None, display_name: str | None = None,
                   now_empty: bool = False) -> list[Request]:
    """Member PATCHes in batches (E1: several per PATCH; J2: one per event). Okta also sends
    the group's ``{id, displayName}`` with every membership PATCH when ``display_name`` is given,
    and pushes a group left empty as ``replace members []`` (O11) when ``now_empty``."""
    adds, removes, shown = tuple(add), tuple(remove), displays or {}
    size = profile.member_batch_size or max(1, len(adds) + len(removes))
    batches: list[list[dict[str, Any]]] = []
    if now_empty and removes and profile.empty_push_replace_members:
        adds, removes = (), ()
        batches.append([{"op": profile.op("replace"), "path": "members", "value": []}])
    for i in range(0, len(adds), size):
        chunk = adds[i: i + size]
        batches.append([{"op": profile.op("add"), "path": "members",
                         "value": [_member(profile, m, shown.get(m)) for m in chunk]}])
    for i in range(0, len(removes), size):
        chunk = removes[i: i + size]
        if profile.member_remove_form == "filter-path":
            batches.append([{"op": profile.op("remove"), "path": f'members[value eq "{m}"]'} for m in chunk])
        else:
            batches.append([{"op": profile.op("remove"), "path": "members", "value": [{"value": m} for m in chunk]}])
    if profile.group_rename_form == "pathless-with-id" and display_name is not None:
        batches = [[_rename_op(profile, group_id, display_name), *ops] for ops in batches]
    return [Request("PATCH", f"{GROUPS}/{group_id}", json=patch_body(ops)) for ops in batches]


# -- the test connection's own objects ---------------------------------------------------------
def connection_user(profile: Profile, email: str) -> Request:
    """The user a writing test connection creates (JumpCloud, J1)."""
    return create_user(profile, {"userName": email, "active": True, "name.givenName": "Test", "name.familyName": "User",
                                 "displayName": "Test User", 'emails[type eq "work"].value': email})


def connection_group(profile: Profile, label: str) -> Request:
    """The group a writing test connection creates (JumpCloud, J1)."""
    return create_group(profile, {"displayName": f"Test Group {label}"})
