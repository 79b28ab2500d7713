"""Sans-IO group flows: lookup by displayName, create, rename, members in batches, delete.

Entra (E1, E3): ``GET /Groups?excludedAttributes=members&filter=displayName eq "…"``, a POST
without members, then member PATCHes; JumpCloud (J2): never an empty group, one PATCH per
event. Member value and remove forms come from the profile (idp-behaviors.md §6).
"""

from __future__ import annotations

from harness.idp import requests as build
from harness.idp.profile import Profile
from harness.idp.requests import Change
from mock_idp.flows import Flow, FlowResult, WantGroup, answered, diff, failed, find_object

__all__ = ["sync_group", "delete_group"]


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
        ex = yield build.create_group(profile, want.attributes)  # members follow (Okta: members [] here)
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
            ex = yield build.update_group(profile, result.target_id, changes)
            if not answered(ex, 200, 204):
                return failed("update", ex, "update group", profile, result)
            result.action, result.changes = "update", changes
    if profile.group_update_form == "put":
        requests = [build.replace_group(profile, result.target_id, want.attributes, want.members, want.displays)] \
            if add or remove else []
    else:
        requests = build.member_patches(profile, result.target_id, add, remove, want.displays, want.display_name,
                                        now_empty=not want.members)
    for request in requests:
        ex = yield request
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
    ex = yield build.delete("Group", result.target_id)
    if not answered(ex, 200, 204):
        return failed("delete", ex, "delete group", profile, result)
    return result
