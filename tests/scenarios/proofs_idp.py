"""Proofs for the IdP readiness suites (Entra ID, JumpCloud, Okta, shared ``idp.*``).

Each defect is one a real SCIM endpoint has shown against these IdPs: a 404 for no match, a
400 for "Replace" or "False", a value-list remove read as "empty the group", and so on.
"""

from __future__ import annotations

from typing import Any

from tests.scenarios import faults as f
from tests.scenarios import faults_b as b
from tests.scenarios.faults import Req
from tests.scenarios.proof import Proof


def _roles_as_json_text(op: dict[str, Any]) -> bool:
    """Entra's legacy roles op: items whose value is JSON text (E6)."""
    items = op.get("value") if op.get("path") == "roles" else None
    return isinstance(items, list) and any(isinstance(i, dict) and str(i.get("value", "")).startswith("{") for i in items)


ENTRA_GROUP_URN = "http://schemas.microsoft.com/2006/11/ResourceManagement/ADSCIM/2.0/Group"


def _body_has(pred) -> Any:
    def test(req: Req) -> bool:
        body = req.json()
        return isinstance(body, dict) and bool(pred(body))
    return test


def _drop_dotted_keys(op: dict) -> dict:
    if b.op_is(op, "replace") and "path" not in op and isinstance(op.get("value"), dict):
        return {**op, "value": {k: v for k, v in op["value"].items() if "." not in k}}
    return op


def _drop_urn_keys(op: dict) -> dict:
    if b.op_is(op, "replace") and "path" not in op and isinstance(op.get("value"), dict):
        return {**op, "value": {k: v for k, v in op["value"].items() if not k.startswith("urn:")}}
    return op


def _member_values(pred) -> Any:
    """A PATCH predicate on member values: an add to members with a value matching ``pred``."""
    return b.patch_has(lambda op: b.op_is(op, "add", "members") and isinstance(op.get("value"), list)
                       and any(isinstance(v, dict) and pred(v) for v in op["value"]))


def _hide_inactive(resources: list, req: Req) -> list:
    return [r for r in resources if r.get("active") is not False]


def _force_active(body: Any) -> Any:
    if isinstance(body, dict) and "active" in body:
        body["active"] = True
    return body


PROOFS: dict[str, Proof] = {
    # -- Entra ID ---------------------------------------------------------------------------
    "entra.test-connection-probe": Proof(quirks=("not-found-on-empty-filter",), expect="404"),
    "entra.group-probe": Proof(fault=b.refuse(b.query_has("displayName eq"), 404, None, "GET", r"/Groups"), expect="404"),
    "entra.username-lookup": Proof(fault=b.eq_becomes_pr("userName"), expect="the filter is ignored"),
    "entra.username-lookup-case": Proof(quirks=("case-sensitive-username-filter",), expect="expected ["),
    "entra.create-user": Proof(quirks=("create-returns-200",), expect="200"),
    "entra.duplicate-create-409": Proof(quirks=("duplicate-username-accepted",), expect="201"),
    "entra.legacy-replace": Proof(quirks=("reject-capitalized-ops",), expect='"Replace" PATCH answered 400'),
    "entra.legacy-add": Proof(quirks=("reject-capitalized-ops",), expect='"Add" PATCH answered 400'),
    "entra.legacy-deactivate-string": Proof(quirks=("reject-string-booleans",), expect='"False" answered 400'),
    "entra.legacy-reactivate-string": Proof(quirks=("reject-string-booleans",), expect='"True" answered 400'),
    "entra.legacy-add-work-email": Proof(fault=b.refuse(b.patch_has(lambda op: b.op_is(op, "add", path_re=r"^emails\[")),
                                                        400, "noTarget", "PATCH"), expect="answered 400"),
    "entra.flag-pathless-dotted": Proof(fault=b.map_ops(_drop_dotted_keys), expect="givenName"),
    "entra.flag-pathless-urn-key": Proof(fault=b.map_ops(_drop_urn_keys), expect="employeeNumber 7"),
    "entra.flag-deactivate": Proof(fault=b.map_ops(lambda op: {**op, "value": True} if b.op_is(op, "replace", "active") else op),
                                   expect="true"),
    "entra.manager-add": Proof(fault=b.refuse(b.patch_has(lambda op: str(op.get("path", "")).endswith(":manager")), 400,
                                              "invalidPath", "PATCH"), expect="manager PATCH answered 400"),
    "entra.legacy-roles-string": Proof(fault=b.refuse(b.patch_has(_roles_as_json_text), 400, "invalidValue", "PATCH"),
                                       expect="JSON string answered 400"),
    "entra.group-lookup": Proof(quirks=("ignore-excluded-attributes",), expect="excludedAttributes=members ignored"),
    "entra.group-create-empty": Proof(fault=b.refuse(_body_has(lambda body: ENTRA_GROUP_URN in (body.get("schemas") or [])),
                                                     400, "invalidSyntax", "POST", r"/Groups"), expect="400"),
    "entra.group-add-members": Proof(quirks=("reject-capitalized-ops",), expect="Add members answered 400"),
    "entra.legacy-member-remove": Proof(quirks=("remove-members-empties-group",), expect="did not remove exactly"),
    "entra.flag-query-tolerated": Proof(fault=b.refuse(b.query_has("aadOptscim062020"), 400, "invalidSyntax"), expect="400"),
    # -- JumpCloud --------------------------------------------------------------------------
    "jumpcloud.test-connection": Proof(quirks=("delete-returns-200",), expect="200"),
    "jumpcloud.lookup": Proof(fault=b.eq_becomes_pr("userName"), expect="the filter is ignored"),
    "jumpcloud.create-user": Proof(fault=f.edit_request_json(lambda body: {k: v for k, v in body.items() if k != "userType"},
                                                             "POST", f.USERS), expect="userType"),
    "jumpcloud.pathed-replace": Proof(fault=b.map_ops(lambda op: None if b.op_is(op, "replace", "name.familyName") else op),
                                      expect="Smith"),
    "jumpcloud.deprovision": Proof(fault=b.map_ops(lambda op: {**op, "value": True} if b.op_is(op, "replace", "active") else op),
                                   expect="true"),
    "jumpcloud.group-create-then-members": Proof(
        fault=b.refuse(b.patch_has(lambda op: b.op_is(op, "add", "members")), 400, "invalidValue", "PATCH"),
        expect="add members answered 400"),
    "jumpcloud.member-add": Proof(fault=b.refuse(_member_values(lambda v: "display" not in v), 400, "invalidValue", "PATCH"),
                                  expect="add members answered 400"),
    "jumpcloud.member-remove-value-list": Proof(quirks=("remove-members-empties-group",), expect="did not remove exactly"),
    "jumpcloud.group-lookup-and-rename": Proof(fault=b.eq_becomes_pr("displayName"), expect="the filter is ignored"),
    "jumpcloud.user-delete": Proof(quirks=("deleted-still-listed",), expect="still listed"),
    # -- Okta -------------------------------------------------------------------------------
    "okta.test-connection": Proof(quirks=("no-pagination",), expect="count=2 returned"),
    "okta.groups-test-connection": Proof(fault=b.refuse(b.query_has("startIndex"), 400, "invalidValue", "GET", r"/Groups"),
                                         expect="400"),
    "okta.username-lookup": Proof(fault=b.refuse(lambda req: b.query_has("filter")(req) and b.query_has("startIndex")(req),
                                                 400, "invalidFilter", "GET", r"/Users"), expect="400"),
    "okta.create-user": Proof(fault=b.refuse(_body_has(lambda body: "groups" in body), 400, "mutability", "POST", f.USERS),
                              expect="400"),
    "okta.duplicate-409": Proof(quirks=("duplicate-username-accepted",), expect="201"),
    "okta.mixed-case-username": Proof(quirks=("case-sensitive-username-filter",), expect="expected ["),
    "okta.put-update": Proof(fault=b.refuse(_body_has(lambda body: "meta" in body), 400, "mutability", "PUT", f.USER),
                             expect="400"),
    "okta.put-deactivate": Proof(fault=f.edit_request_json(_force_active, "PUT", f.USER), expect="true"),
    "okta.pathless-deactivate": Proof(fault=b.refuse(b.patch_has(lambda op: "path" not in op), 400, "noTarget", "PATCH"),
                                      expect="path-less deactivation answered 400"),
    "okta.pathless-reactivate": Proof(fault=b.map_ops(lambda op: {**op, "value": {"active": False}}
                                                      if op.get("value") == {"active": True} else op), expect="still inactive"),
    "okta.group-create-empty-members": Proof(fault=b.refuse(_body_has(lambda body: body.get("members") == []), 400,
                                                            "invalidValue", "POST", f.GROUPS), expect="400"),
    "okta.group-push-patch": Proof(fault=b.map_ops(lambda op: None if b.op_is(op, "replace") and "path" not in op else op),
                                   expect="displayName"),
    # -- shared -----------------------------------------------------------------------------
    "idp.member-remove-filter": Proof(quirks=("ignore-member-remove-filter",), expect="did not remove exactly"),
    "idp.deactivated-user-visible": Proof(fault=b.edit_resources(_hide_inactive, path=r"/Users"),
                                          expect="no longer found"),
    "idp.group-delete": Proof(fault=f.set_status(200, "DELETE", f.GROUP, when=204), expect="200"),
    "okta.pathless-update": Proof(quirks=("patch-not-implemented",), expect="501"),
    "okta.group-put-members": Proof(quirks=("put-ignores-members",), expect="were not applied"),
    "okta.import-paging": Proof(fault=b.edit_params(b.set_param("startIndex", None)), expect="repeated or skipped"),
    "okta.spec-test-json": Proof(fault=b.refuse(lambda req: (req.header("content-type") or "").startswith("application/json"),
                                                415, None, "POST", f.USERS), expect="415"),
    "idp.hard-delete": Proof(quirks=("delete-returns-200",), expect="200"),
}
