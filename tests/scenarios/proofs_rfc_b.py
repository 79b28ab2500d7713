"""Proofs for the second half of the RFC suite: query, sort, paging, .search, PATCH, ETags,
bulk and groups. Each entry: the defect (a reference-server quirk or a fault) and the words
the failure must contain. C2's tests/scenarios/test_proofs.py runs them.
"""

from __future__ import annotations

import json
import re
from typing import Any

from tests.scenarios import faults as f
from tests.scenarios import faults_b as b
from tests.scenarios.faults import Req
from tests.scenarios.proof import Proof

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_PATHS = r"/(Users|Groups)/[^/]+"


def _title(r: dict[str, Any]) -> str:
    return str(r.get("title", ""))


def _first_email(r: dict[str, Any]) -> str:
    return str(((r.get("emails") or [{}])[0]).get("value", ""))


def _drop_key(key: str):
    def edit(body: Any) -> Any:
        if isinstance(body, dict):
            body.pop(key, None)
        return body
    return edit


def _all_primary(body: Any) -> Any:
    for e in body.get("emails") or [] if isinstance(body, dict) else []:
        e["primary"] = True
    return body


def _drop_schema(urn: str):
    def edit(body: Any) -> Any:
        if isinstance(body, dict) and isinstance(body.get("schemas"), list):
            body["schemas"] = [s for s in body["schemas"] if s != urn]
        return body
    return edit


def _drop_last_member(body: Any) -> Any:
    if isinstance(body, dict) and body.get("members"):
        body["members"] = body["members"][:-1]
    return body


def _bulk_results(edit):
    def apply(body: Any) -> Any:
        for r in body.get("Operations") or [] if isinstance(body, dict) else []:
            edit(r)
        return body
    return apply


def _items_per_page_total(body: Any) -> Any:
    if isinstance(body, dict) and "Resources" in body:
        body["itemsPerPage"] = body.get("totalResults")
    return body


def _empty_page_zero_total(body: Any) -> Any:
    if isinstance(body, dict) and not body.get("Resources"):
        body["totalResults"] = 0
    return body


def _op_value_missing(op: dict) -> bool:
    return str(op.get("op", "")).lower() in ("add", "replace") and "value" not in op


def _with_value(op: dict) -> dict:
    return {**op, "value": "filled-in"} if _op_value_missing(op) else op


def _no_ops(req: Req) -> bool:
    body = req.json()
    return isinstance(body, dict) and not body.get("Operations")


def _bulk_keep_first(body: Any) -> Any:
    if isinstance(body, dict) and isinstance(body.get("Operations"), list):
        body["Operations"] = body["Operations"][:1]
    return body


def _bulk_point_elsewhere(body: Any) -> Any:
    text = re.sub(r"bulkId:usr", "00000000-0000-0000-0000-000000000000", json.dumps(body))
    return json.loads(text)


def _strip_header(name: str) -> f.Fault:
    def hook(req: Req) -> Req:
        req.headers = [(k, v) for k, v in req.headers if k.lower() != name.lower()]
        return req
    return f.on_request(hook)


def _only_first_member(op: dict) -> dict:
    if op_path(op) == "members" and str(op.get("op")).lower() == "add" and isinstance(op.get("value"), list):
        return {**op, "value": op["value"][:1]}
    return op


def op_path(op: dict) -> str:
    return str(op.get("path", "")).lower()


def _spc_max_results(limit: int):
    def edit(body: Any) -> Any:
        if isinstance(body, dict) and isinstance(body.get("filter"), dict):
            body["filter"]["maxResults"] = limit
        return body
    return edit


def _name_every_op(body: Any) -> Any:
    for i, op in enumerate(body.get("Operations") or [] if isinstance(body, dict) else []):
        op.setdefault("bulkId", f"injected{i}")
    return body


def _break_circle(body: Any) -> Any:
    text = json.dumps(body).replace("bulkId:gb", "00000000-0000-0000-0000-000000000000")
    return json.loads(text)


PROOFS: dict[str, Proof] = {
    # -- query ------------------------------------------------------------------------------
    "query.no-match-empty-list": Proof(quirks=("not-found-on-empty-filter",), expect="404"),
    "query.list-response-shape": Proof(fault=b.edit_body(_drop_key("Resources"), "GET", r"/Users"), expect="Resources"),
    "query.eq-username": Proof(fault=b.eq_becomes_pr("userName"), expect="filter is ignored"),
    "query.eq-external-id": Proof(fault=b.eq_becomes_pr("externalId"), expect="selected"),
    "query.eq-id": Proof(fault=b.eq_becomes_pr("id"), expect="filter is ignored"),
    "query.eq-emails-value": Proof(fault=b.eq_becomes_pr("emails.value"), expect="filter is ignored"),
    "query.eq-group-displayname": Proof(fault=b.eq_becomes_pr("displayName"), expect="filter is ignored"),
    "query.op-ne": Proof(fault=b.sub_filter(r" ne ", " eq "), expect="selected"),
    "query.op-co": Proof(fault=b.sub_filter(r" co ", " eq "), expect="selected"),
    "query.op-sw": Proof(fault=b.sub_filter(r' sw "([^"]*)-g"', r' ew "\1-g"'), expect="selected"),
    "query.op-ew": Proof(fault=b.sub_filter(r" ew ", " sw "), expect="selected"),
    "query.op-gt": Proof(fault=b.sub_filter(r" gt ", " ge "), expect="selected"),
    "query.op-ge": Proof(fault=b.sub_filter(r" ge ", " gt "), expect="selected"),
    "query.op-lt": Proof(fault=b.sub_filter(r" lt ", " le "), expect="selected"),
    "query.op-le": Proof(fault=b.sub_filter(r" le ", " lt "), expect="selected"),
    "query.op-pr": Proof(fault=b.sub_filter(r"title pr", "userName pr"), expect="selected"),
    "query.case-insensitive-names": Proof(fault=b.refuse(b.query_has("USERNAME EQ"), 400, "invalidFilter", "GET"),
                                          expect="400"),
    "query.case-insensitive-username-value": Proof(quirks=("case-sensitive-username-filter",), expect="selected"),
    "query.case-exact-external-id": Proof(fault=b.casefold_external_id(), expect="selected"),
    "query.precedence": Proof(fault=b.sub_filter(r'^(userName eq "[^"]*" or userName eq "[^"]*") and', r"(\1) and"),
                              expect="selected"),
    "query.not": Proof(fault=b.sub_filter(r"not \(", "("), expect="selected"),
    "query.multi-valued-any": Proof(fault=b.sub_filter(r"emails co", "userName co"), expect="selected"),
    "query.value-path-same-value": Proof(
        fault=b.sub_filter(r'emails\[type eq "work" and value co "([^"]*)"\]', r'emails.type eq "work" and emails.value co "\1"'),
        expect="selected"),
    "query.datetime-compare": Proof(fault=b.sub_filter(r"lastModified gt", "lastModified lt"), expect="did not select"),
    "query.datetime-offset": Proof(fault=b.sub_filter(r'(T\d\d:\d\d:\d\d(\.\d+)?)[+-]\d\d:\d\d"', r'\1Z"'),
                                   expect="did not select"),
    "query.gt-on-boolean-400": Proof(fault=b.sub_filter(r"active gt true", "active eq true"), expect="200"),
    "query.unknown-operator-400": Proof(fault=b.sub_filter(r" regex ", " eq "), expect="200"),
    "query.syntax-error-400": Proof(fault=b.sub_filter(r'^\(userName eq "x"$', 'userName eq "x"'), expect="200"),
    "query.string-escapes": Proof(fault=b.sub_filter(r"O'Malley", "OMalley"), expect="did not select"),
    "query.bare-literals": Proof(fault=b.sub_filter(r"active eq true", "active eq false"), expect="did not select"),
    "query.urn-core-path": Proof(fault=b.refuse(b.query_has("filter=urn:"), 400, "invalidFilter", "GET"), expect="400"),
    "query.urn-extension-path": Proof(fault=b.refuse(b.query_has(f"filter={ENTERPRISE}"), 400, "invalidFilter", "GET"),
                                      expect="400"),
    "query.unknown-attribute": Proof(fault=b.answer_if(b.query_has("nosuchAttribute"), 500, {"detail": "boom"}, "GET"),
                                     expect="500"),
    "query.schemas-eq-extension": Proof(fault=b.sub_filter(r'schemas eq "[^"]*"', "schemas pr"), expect="did not select"),
    "query.too-many-or-honest": Proof(quirks=("wrong-total-results",), expect="counts the page"),
    "query.root-filter": Proof(fault=f.answer(500, {"detail": "boom"}, method="GET", path=r"/?"), expect="500"),
    "query.filter-with-attributes": Proof(quirks=("ignore-attributes-param",), expect="attributes=userName ignored"),
    "query.filter-with-excluded": Proof(quirks=("ignore-excluded-attributes",), expect="excludedAttributes ignored"),
    # -- sort -------------------------------------------------------------------------------
    "sort.ascending-default": Proof(fault=b.edit_resources(lambda rs, req: rs[::-1], when=b.query_has("sortBy")),
                                    expect="ordered"),
    "sort.descending": Proof(fault=b.edit_params(b.set_param("sortOrder", None)), expect="ordered"),
    "sort.sub-attribute": Proof(fault=b.sort_resources(lambda r: str(r.get("userName"))), expect="ordered"),
    "sort.missing-values": Proof(fault=b.sort_resources(lambda r: (bool(_title(r)), _title(r))), expect="ordered"),
    "sort.case-insensitive": Proof(fault=b.sort_resources(_title), expect="ordered"),
    "sort.multi-valued-primary": Proof(fault=b.sort_resources(_first_email), expect="ordered"),
    "sort.stable-pages": Proof(fault=b.edit_params(b.set_param("startIndex", None)), expect="repeated or skipped"),
    # -- pagination -------------------------------------------------------------------------
    "pagination.count-limits": Proof(quirks=("no-pagination",), expect="count=2 returned"),
    "pagination.total-results": Proof(quirks=("wrong-total-results",), expect="totalResults 5"),
    "pagination.count-zero": Proof(fault=b.edit_params(lambda ps: [(k, v) for k, v in ps if (k, v) != ("count", "0")]),
                                   expect="returned resources"),
    "pagination.start-index-below-one": Proof(
        fault=b.edit_params(lambda ps: [(k, "2" if k == "startIndex" and v in ("0", "-5") else v) for k, v in ps]),
        expect="differs from startIndex=1"),
    "pagination.page-metadata": Proof(fault=b.edit_body(_items_per_page_total, "GET", r"/Users"), expect="itemsPerPage"),
    "pagination.walk-all": Proof(fault=b.edit_params(b.set_param("startIndex", None)), expect="the 5 users once each"),
    "pagination.past-end": Proof(fault=b.edit_body(_empty_page_zero_total, "GET", r"/Users"), expect="totalResults 5"),
    "pagination.max-results-cap": Proof(fault=b.edit_body(_spc_max_results(2), "GET", r"/ServiceProviderConfig"),
                                        expect="over filter.maxResults"),
    "pagination.non-numeric-400": Proof(fault=b.answer_if(b.query_has("count=abc"), 500, {"detail": "boom"}, "GET"),
                                        expect="500"),
    # -- .search ----------------------------------------------------------------------------
    "search.supported-or-refused": Proof(fault=f.answer(201, {"id": "x"}, method="POST", path=r"/Users/\.search"),
                                         expect="201"),
    "search.same-as-get": Proof(fault=f.edit_request_json(_drop_key("attributes"), "POST", r"/Users/\.search"),
                                expect="attributes were ignored"),
    "search.bad-filter-400": Proof(fault=f.edit_request_json(_drop_key("filter"), "POST", r"/Users/\.search"),
                                   expect="200"),
    "search.root": Proof(fault=f.answer(500, {"detail": "boom"}, method="POST", path=r"/\.search"), expect="500"),
    # -- PATCH ------------------------------------------------------------------------------
    "patch.supported": Proof(quirks=("patch-not-implemented",), expect="501"),
    "patch.missing-schema-400": Proof(
        fault=f.edit_request_json(lambda body: {**body, "schemas": [b.PATCH_URN]}, "PATCH"), expect="200"),
    "patch.empty-operations-400": Proof(fault=b.answer_if(_no_ops, 204, method="PATCH"), expect="204"),
    "patch.unknown-op-400": Proof(fault=b.map_ops(lambda op: {"op": "add", "path": "nickName", "value": "moved"}
                                                  if op.get("op") == "move" else op), expect="op 'move' answered 200"),
    "patch.json-pointer-path-400": Proof(fault=b.map_ops(lambda op: {**op, "path": 'emails[type eq "work"].value'}
                                                         if str(op.get("path", "")).startswith("/") else op), expect="200"),
    "patch.ops-in-order": Proof(fault=b.edit_ops(lambda ops: ops[::-1]), expect="Second"),
    "patch.atomic": Proof(fault=b.non_atomic_patch(), expect="first op was applied"),
    "patch.attributes-param-200": Proof(quirks=("ignore-attributes-param",), expect="not projected"),
    "patch.add-single-valued": Proof(fault=b.map_ops(lambda op: None if b.op_is(op, "add", "title") else op),
                                     expect="New"),
    "patch.add-multi-valued-appends": Proof(fault=b.map_ops(lambda op: {**op, "op": "replace"}
                                                            if b.op_is(op, "add", "emails") else op), expect="did not append"),
    "patch.add-without-path": Proof(fault=b.map_ops(lambda op: {**op, "op": "replace"}
                                                    if b.op_is(op, "add") and "path" not in op else op), expect="both emails"),
    "patch.missing-value-400": Proof(fault=b.map_ops(_with_value), expect="without value answered 200"),
    "patch.remove-without-path-400": Proof(fault=b.answer_if(b.patch_has(lambda op: b.op_is(op, "remove") and "path" not in op),
                                                             204, method="PATCH"), expect="204"),
    "patch.remove-attribute": Proof(fault=b.map_ops(lambda op: {**op, "path": 'phoneNumbers[type eq "home"]'}
                                                    if b.op_is(op, "remove", "phoneNumbers") else op), expect="phoneNumbers"),
    "patch.remove-required-400": Proof(fault=b.map_ops(lambda op: {**op, "path": "nickName"}
                                                       if b.op_is(op, "remove", "userName") else op), expect="200"),
    "patch.replace-multi-valued": Proof(fault=b.map_ops(lambda op: {**op, "op": "add"}
                                                        if b.op_is(op, "replace", "emails") else op), expect="merged"),
    "patch.replace-without-path": Proof(fault=b.map_ops(lambda op: {**op, "value": {k: v for k, v in op["value"].items() if k != "active"}}
                                                        if b.op_is(op, "replace") and isinstance(op.get("value"), dict) else op),
                                        expect="False"),
    "patch.replace-unset-adds": Proof(fault=b.refuse(b.patch_has(lambda op: b.op_is(op, "replace", "nickName")), 400, "noTarget",
                                                     "PATCH"), expect="400"),
    "patch.replace-complex-merges": Proof(fault=b.map_ops(lambda op: [{"op": "remove", "path": "name"}, {**op, "op": "add"}]
                                                          if b.op_is(op, "replace", "name") else op),
                                          expect="dropped the sub-attributes"),
    "patch.readonly-400": Proof(fault=b.map_ops(lambda op: {**op, "path": "nickName"} if b.op_is(op, "replace", "id") else op),
                                expect="200"),
    "patch.wrong-type-400": Proof(fault=b.map_ops(lambda op: {**op, "value": False} if op.get("value") == "maybe" else op),
                                  expect="200"),
    "patch.unknown-id-404": Proof(fault=f.set_status(200, "PATCH", f.USER, when=404), expect="200"),
    "patch.value-path-sub-attribute": Proof(
        fault=b.map_ops(lambda op: {"op": "replace", "path": "emails", "value": [{"value": op["value"], "type": "work"}]}
                        if b.op_is(op, "replace", 'emails[type eq "work"].value') else op), expect="home"),
    "patch.value-path-no-match-400": Proof(fault=b.map_ops(lambda op: {**op, "path": "nickName"}
                                                           if "fax" in str(op.get("path")) else op), expect="200"),
    "patch.remove-value-path": Proof(quirks=("ignore-member-remove-filter",), expect="did not remove exactly"),
    "patch.remove-email-by-filter": Proof(fault=b.map_ops(lambda op: {**op, "path": "emails"}
                                                          if b.op_is(op, "remove", 'emails[type eq "home"]') else op),
                                          expect="@example.com"),
    # MAY: success and 400 noTarget are both recorded; a crash is the finding
    "patch.remove-absent-member": Proof(fault=b.refuse(b.patch_has(lambda op: b.op_is(op, "remove", path_re=r"^members\[")),
                                                       500, None, "PATCH"), expect="answered 500"),
    "patch.add-existing-no-op": Proof(fault=b.map_ops(lambda op: [op, {"op": "replace", "path": "externalId", "value": "touched"}]
                                                      if b.op_is(op, "add", "members") else op),
                                      expect="changed lastModified or version"),
    "patch.primary-exclusive": Proof(fault=b.edit_body(_all_primary, "GET", f.USER), expect="primary"),
    "patch.malformed-path-400": Proof(fault=b.map_ops(lambda op: {**op, "path": "nickName"}
                                                      if op.get("path") == "emails[type eq" else op), expect="200"),
    "patch.path-case-insensitive": Proof(fault=b.refuse(b.patch_has(lambda op: op.get("path") == "DISPLAYNAME"), 400,
                                                        "invalidPath", "PATCH"), expect="400"),
    "patch.path-urn-core": Proof(fault=b.refuse(b.patch_has(lambda op: str(op.get("path", "")).startswith("urn:")), 400,
                                                "invalidPath", "PATCH"), expect="400"),
    "patch.extension-urn-added": Proof(fault=b.edit_body(_drop_schema(ENTERPRISE), "GET", f.USER), expect=ENTERPRISE),
    "patch.groups-reflected": Proof(quirks=("ignore-member-remove-filter",), expect="still lists the group"),
    # -- ETags ------------------------------------------------------------------------------
    "etag.header-present": Proof(fault=f.drop_header("ETag", "POST", f.USERS), expect="ETag"),
    "etag.format": Proof(fault=f.set_header("ETag", "v1-unquoted", "GET", f.USER), expect="malformed ETag"),
    "etag.changes-on-update": Proof(quirks=("static-etag",), expect="did not change"),
    "etag.stale-if-match-412": Proof(fault=_strip_header("If-Match"), expect="stale If-Match answered 200"),
    "etag.current-if-match": Proof(fault=b.answer_if(lambda req: req.header("If-Match") is not None, 412, method="PUT"),
                                   expect="412"),
    "etag.if-none-match-304": Proof(fault=_strip_header("If-None-Match"), expect="answered 200"),
    # -- bulk -------------------------------------------------------------------------------
    "bulk.posts": Proof(fault=b.edit_body(_bulk_results(lambda r: r.pop("location", None)), "POST", r"/Bulk"),
                        expect="201 with a location"),
    "bulk.bulkid-reference": Proof(fault=f.edit_request_json(_bulk_point_elsewhere, "POST", r"/Bulk"), expect="both 201"),
    "bulk.fail-on-errors": Proof(fault=f.edit_request_json(_drop_key("failOnErrors"), "POST", r"/Bulk"),
                                 expect="processing stopped"),
    "bulk.failed-op-error": Proof(fault=b.edit_body(_bulk_results(lambda r: r.pop("response", None)), "POST", r"/Bulk"),
                                  expect="no error response"),
    "bulk.post-without-bulkid": Proof(fault=f.edit_request_json(_name_every_op, "POST", r"/Bulk"), expect="not refused"),
    "bulk.circular-references": Proof(fault=f.edit_request_json(_break_circle, "POST", r"/Bulk"), expect="both 201"),
    "bulk.max-operations-413": Proof(fault=f.edit_request_json(_bulk_keep_first, "POST", r"/Bulk"), expect="413"),
    # -- groups -----------------------------------------------------------------------------
    "groups.members-round-trip": Proof(fault=b.edit_body(_drop_last_member, "GET", f.GROUP), expect="-"),
    "groups.unknown-member": Proof(fault=f.answer(500, {"detail": "boom"}, method="PATCH", path=f.GROUP), expect="500"),
    "groups.member-value-immutable": Proof(
        fault=b.map_ops(lambda op: [{"op": "remove", "path": op["path"].rsplit(".", 1)[0]},
                                    {"op": "add", "path": "members", "value": [{"value": op["value"]}]}]
                        if b.op_is(op, "replace", path_re=r"^members\[.*\]\.value$") else op), expect="200"),
    "groups.user-groups-readonly": Proof(fault=b.writable_user_groups(), expect="made the user a member"),
    "groups.user-groups-derived": Proof(fault=b.edit_body(_drop_key("groups"), "GET", f.USER), expect="groups with"),
    "groups.excluded-members": Proof(quirks=("ignore-excluded-attributes",), expect="still returned members"),
    "groups.patch-member-batch": Proof(fault=b.map_ops(_only_first_member), expect="-"),
    "groups.rename": Proof(fault=b.map_ops(lambda op: [op, {"op": "remove", "path": "members"}]
                                           if b.op_is(op, "replace", "displayName") else op, path=f.GROUP), expect="members"),
}
