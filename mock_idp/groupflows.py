"""Sans-IO group flows: lookup by displayName, create, rename, members in batches, delete.

Entra (E1, E3): ``GET /Groups?excludedAttributes=members&filter=displayName eq "…"``, a POST
without members, then member PATCHes; JumpCloud (J2): never an empty group, one PATCH per
event. Member value and remove forms come from the profile (idp-behaviors.md §6).
"""

from __future__ import annotations

from typing import Any

from mock_idp.flows import (
    Change, Flow, FlowResult, Request, WantGroup, failed, find_object, answered, patch_body, diff, patch_ops,
)
from mock_idp.paths import CORE_GROUP, nest
from mock_idp.profile import Profile

__all__ = ["sync_group", "delete_group"]


# -- group flows -------------------------------------------------------------------------------
def _member(profile: Profile, target_id: str) -> dict[str, Any]:
    return {"$ref": None, "value": target_id} if profile.member_ref_null else {"value": target_id}


def _member_ops(profile: Profile, add: tuple[str, ...], remove: tuple[str, ...]) -> list[list[dict[str, Any]]]:
    """Member PATCH bodies in batches (E1: several per PATCH; J2: one per event)."""
    size = profile.member_batch_size or max(1, len(add) + len(remove))
    batches: list[list[dict[str, Any]]] = []
    for i in range(0, len(add), size):
        chunk = add[i : i + size]
        batches.append([{"op": profile.op("add"), "path": "members", "value": [_member(profile, m) for m in chunk]}])
    for i in range(0, len(remove), size):
        chunk = remove[i : i + size]
        if profile.member_remove_form == "filter-path":
            batches.append([{"op": profile.op("remove"), "path": f'members[value eq "{m}"]'} for m in chunk])
        else:
            batches.append([{"op": profile.op("remove"), "path": "members", "value": [{"value": m} for m in chunk]}])
    return batches


def sync_group(profile: Profile, want: WantGroup) -> Flow:
    """Lookup by displayName, POST without members on a miss, then member PATCHes (E1, J2)."""
    result = FlowResult("other", "success")
    match = (("displayName", want.display_name),)
    current, bad = yield from find_object(profile, "Group", match, want.linked_id, result)
    if bad is not None:
        return failed("other", bad, "lookup", profile, result)
    add, remove = want.add, want.remove
    if current is None:
        if not add and not profile.create_empty_groups:
            result.status, result.reason = "skipped", "empty groups are not created (J2)"
            return result
        body: dict[str, Any] = {"schemas": [CORE_GROUP, *profile.group_extra_schemas]}
        body.update(nest(want.attributes))
        if profile.group_create_with_members:
            body["members"] = [_member(profile, m) for m in add]
            add = ()
        if profile.group_create_meta:
            body["meta"] = {"resourceType": "Group"}
        ex = yield Request("POST", "/Groups", json=body)
        created = ex.json_or_none()
        if not (answered(ex, 200, 201) and isinstance(created, dict) and created.get("id")):
            return failed("create", ex, "create group", profile, result)
        result.action, result.target_id = "create", str(created["id"])
        result.changes = [Change(k, None, v) for k, v in want.attributes.items()]
        remove = ()
    else:
        result.target_id = str(current.get("id", ""))
        changes = diff(want.attributes, current)
        if changes:
            ex = yield Request("PATCH", f"/Groups/{result.target_id}", json=patch_body(patch_ops(profile, changes)))
            if not answered(ex, 200, 204):
                return failed("update", ex, "update group", profile, result)
            result.action, result.changes = "update", changes
    for ops in _member_ops(profile, add, remove):
        ex = yield Request("PATCH", f"/Groups/{result.target_id}", json=patch_body(ops))
        if not answered(ex, 200, 204):
            return failed("update" if result.action == "other" else result.action, ex, "group members", profile, result)
    if add or remove:
        result.action = "update" if result.action == "other" else result.action
        result.changes.append(Change("members", None, f"added {len(add)}, removed {len(remove)}"))
    result.steps.append(("export", "export", "success", f"group {want.display_name}: +{len(add)} -{len(remove)} members"))
    return result


def delete_group(profile: Profile, want: WantGroup) -> Flow:
    result = FlowResult("delete", "success")
    current, bad = yield from find_object(profile, "Group", (("displayName", want.display_name),), want.linked_id, result)
    if bad is not None:
        return failed("delete", bad, "lookup", profile, result)
    if current is None:
        result.action, result.status, result.reason = "other", "skipped", "not on the target: nothing to delete"
        return result
    result.target_id = str(current.get("id", ""))
    ex = yield Request("DELETE", f"/Groups/{result.target_id}")
    if not answered(ex, 200, 204):
        return failed("delete", ex, "delete group", profile, result)
    return result
