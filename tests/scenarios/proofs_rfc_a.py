"""Proofs for the first half of the RFC suite: each check, the defect that breaks it, and the reason.

Quirks are the reference server's named defects; everything else is a small fault from
tests/scenarios/faults.py wrapped around the unmodified reference app.
"""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from tests.scenarios import faults as f
from tests.scenarios.faults import Req, Resp
from tests.scenarios.proof import Proof

CORE_USER = "urn:ietf:params:scim:schemas:core:2.0:User"
CORE_GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
CUSTOM = "urn:example:params:scim:schemas:extension:harness:2.0:User"
CUSTOM_FILE = str(Path(__file__).with_name("custom_extension.json"))
SPC = r"/ServiceProviderConfig"
SCHEMAS = r"/Schemas(/.*)?"
RTYPES = r"/ResourceTypes(/.*)?"


def scim_error(status: int, scim_type: str | None = None, detail: str = "injected") -> Resp:
    body: dict[str, Any] = {"schemas": [ERROR_URN], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return Resp(status, [("content-type", "application/scim+json")]).with_json(body)


def query_of(req: Req) -> str:
    return unquote(req.query)


def _id_of(path: str) -> str:
    return path.rstrip("/").rsplit("/", 1)[-1]


# -- schema edits (used as faults, and with enforcement as baselines) ------------------------
def mark_user_attribute(name: str, **characteristics: Any) -> f.Fault:
    """Advertise different characteristics for one core User attribute in /Schemas."""

    def edit_schema(schema: Any) -> Any:
        if isinstance(schema, dict) and schema.get("id") == CORE_USER:
            for attr in schema.get("attributes") or []:
                if attr.get("name") == name:
                    attr.update(characteristics)
        return schema

    return f.edit_json(f.each_resource(edit_schema), "GET", SCHEMAS)


def hide_unless_requested(name: str) -> f.Fault:
    """Enforce returned=request for ``name``: drop it unless attributes= names it."""

    def hook(req: Req, resp: Resp) -> Resp:
        if name.lower() in query_of(req).lower():
            return resp
        body = resp.json()
        if isinstance(body, dict):
            f.each_resource(lambda r: {k: v for k, v in r.items() if k != name} if isinstance(r, dict) else r)(body)
            resp.with_json(body)
        return resp

    return f.on_response(hook, None, r"/Users.*")


class ImmutableNickName:
    """Enforce immutable nickName: a PUT changing a set nickName gets 400 mutability."""

    def __init__(self) -> None:
        self.stored: dict[str, str] = {}

    def fault(self) -> f.Fault:
        def remember(req: Req, resp: Resp) -> Resp:
            body = resp.json()
            if resp.status == 201 and isinstance(body, dict) and body.get("nickName"):
                self.stored[str(body["id"])] = body["nickName"]
            return resp

        def guard(req: Req) -> Req | Resp:
            old, new = self.stored.get(_id_of(req.path)), (req.json() or {}).get("nickName")
            if old is not None and new != old:
                return scim_error(400, "mutability")
            return req

        return f.chain(f.on_request(guard, "PUT", f.USER), f.on_response(remember, "POST", f.USERS))


def require_enterprise_on_create() -> f.Fault:
    def guard(req: Req) -> Req | Resp:
        body = req.json()
        return req if isinstance(body, dict) and ENTERPRISE in body else scim_error(400, "invalidValue")

    return f.on_request(guard, "POST", f.USERS)


def enterprise_required(flag: bool = True) -> f.Fault:
    def edit(rt: Any) -> Any:
        if isinstance(rt, dict) and rt.get("name") == "User":
            for ext in rt.get("schemaExtensions") or []:
                if ext.get("schema") == ENTERPRISE:
                    ext["required"] = flag
        return rt

    return f.edit_json(f.each_resource(edit), "GET", RTYPES)


def spc_patch_unsupported() -> f.Fault:
    return f.edit_json(lambda b: {**b, "patch": {"supported": False}}, "GET", SPC)


# -- stateful faults -----------------------------------------------------------------------
class Tombstones:
    """Remembers what was created and deleted, to model servers that forget deletions."""

    def __init__(self) -> None:
        self.names: dict[str, str] = {}
        self.deleted: list[str] = []

    def track(self) -> f.Fault:
        def on_create(req: Req, resp: Resp) -> Resp:
            body = resp.json()
            if resp.status == 201 and isinstance(body, dict):
                self.names[str(body.get("id"))] = str(body.get("userName"))
            return resp

        def on_delete(req: Req, resp: Resp) -> Resp:
            if resp.status == 204:
                self.deleted.append(_id_of(req.path))
            return resp

        return f.chain(f.on_response(on_create, "POST", f.USERS), f.on_response(on_delete, "DELETE", f.USER))

    def block_reused_names(self) -> f.Fault:
        def guard(req: Req) -> Req | Resp:
            name = (req.json() or {}).get("userName")
            if name in {self.names.get(i) for i in self.deleted}:
                return scim_error(409, "uniqueness")
            return req

        return f.chain(f.on_request(guard, "POST", f.USERS), self.track())

    def keep_in_groups(self) -> f.Fault:
        def edit(body: Any) -> Any:
            if isinstance(body, dict):
                body["members"] = list(body.get("members") or []) + [{"value": i} for i in self.deleted]
            return body

        return f.chain(f.edit_json(edit, "GET", f.GROUP), self.track())


def duplicate_external_id_refused() -> f.Fault:
    seen: set[str] = set()

    def guard(req: Req) -> Req | Resp:
        ext = (req.json() or {}).get("externalId")
        if ext in seen:
            return scim_error(409, "uniqueness")
        if ext:
            seen.add(ext)
        return req

    return f.on_request(guard, "POST", f.USERS)


def fake_manager_display_kept() -> f.Fault:
    remembered: dict[str, str] = {}

    def on_create(req: Req, resp: Resp) -> Resp:
        body, sent = resp.json(), req.json() or {}
        display = ((sent.get(ENTERPRISE) or {}).get("manager") or {}).get("displayName")
        if resp.status == 201 and isinstance(body, dict) and display:
            remembered[str(body["id"])] = display
        return resp

    def on_get(req: Req, resp: Resp) -> Resp:
        body, display = resp.json(), remembered.get(_id_of(req.path))
        if isinstance(body, dict) and display and isinstance(body.get(ENTERPRISE), dict):
            body[ENTERPRISE].setdefault("manager", {})["displayName"] = display
            resp.with_json(body)
        return resp

    return f.chain(f.on_response(on_create, "POST", f.USERS), f.on_response(on_get, "GET", f.USER))


# -- small request/response rewrites --------------------------------------------------------
def when_body(predicate: Any, then: Resp) -> f.Fault:
    """Answer ``then`` to POST /Users whose raw body satisfies ``predicate``."""
    return f.on_request(lambda r: then if predicate(r.body) else r, "POST", f.USERS)


def _echo_without_username(req: Req) -> Req | Resp:
    body = req.json()
    if isinstance(body, dict) and "userName" not in body:
        return Resp(200, [("content-type", "application/scim+json")]).with_json({**body, "id": _id_of(req.path)})
    return req


def _filter_only_user(req: Req, resp: Resp) -> Resp:
    body = resp.json()
    if "filter" in req.query and isinstance(body, dict):
        body["Resources"] = [r for r in body.get("Resources") or [] if r.get("name") == "User"]
        body["totalResults"] = len(body["Resources"])
        resp.with_json(body)
    return resp


def _set_nested(path: str, value: Any) -> Any:
    first, second = path.split(".")

    def edit(body: Any) -> Any:
        if isinstance(body, dict) and isinstance(body.get(first), dict):
            body[first][second] = value
        return body

    return edit


def _edit_emails(edit: Any) -> Any:
    def apply(body: Any) -> Any:
        if isinstance(body, dict) and isinstance(body.get("emails"), list) and body["emails"]:
            body["emails"] = edit(body["emails"])
        return body

    return apply


def _rewrite_query(old: str, new: str) -> f.Fault:
    def hook(req: Req) -> Req:
        req.query = req.query.replace(old, new)
        return req

    return f.on_request(hook, "GET", f.USER)


def _drop_param_when(name: str, needle: str) -> f.Fault:
    def hook(req: Req) -> Req:
        if needle.lower() in query_of(req).lower():
            req.query = "&".join(p for p in req.query.split("&") if p.split("=", 1)[0] != name)
        return req

    return f.on_request(hook, "GET", f.USER)


def _nested_stored() -> f.Fault:
    marker = "__nested__"

    def flatten(body: Any) -> Any:
        if isinstance((body.get("name") or {}).get("givenName"), dict):
            body["name"]["givenName"] = marker
        return body

    def restore(body: Any) -> Any:
        if isinstance(body, dict) and (body.get("name") or {}).get("givenName") == marker:
            body["name"]["givenName"] = {"nested": "object"}
        return body

    return f.chain(f.edit_json(restore, "GET", f.USER), f.edit_request_json(flatten, "POST", f.USERS))


def _two_primaries_kept() -> f.Fault:
    def accept(body: Any) -> Any:
        emails = body.get("emails") or []
        if isinstance(emails, list) and sum(1 for e in emails if isinstance(e, dict) and e.get("primary")) > 1:
            for e in emails[1:]:
                e["primary"] = False
        return body

    def all_primary(emails: list[Any]) -> list[Any]:
        return [{**e, "primary": True} for e in emails] if len(emails) > 1 else emails

    return f.chain(f.edit_json(_edit_emails(all_primary), "GET", f.USER), f.edit_request_json(accept, "POST", f.USERS))


def _duplicates_kept() -> f.Fault:
    def dedupe(body: Any) -> Any:
        emails = body.get("emails")
        if isinstance(emails, list) and len(emails) == 2 and emails[0] == emails[1]:
            body["emails"] = emails[:1]
        return body

    return f.chain(f.edit_json(_edit_emails(lambda es: es + es[:1]), "GET", f.USER),
                   f.edit_request_json(dedupe, "POST", f.USERS))


def _rewrite_custom_type() -> f.Fault:
    def edit(emails: list[Any]) -> list[Any]:
        return [{**e, "type": "other"} if e.get("type") == "custom" else e for e in emails]

    return f.edit_json(_edit_emails(edit), "GET", f.USER)


def _ref_to_nowhere(body: Any) -> Any:
    if isinstance(body, dict):
        for m in body.get("members") or []:
            m["$ref"] = f"http://127.0.0.1/Users/nowhere-{m.get('value')}"
    return body


def _copy_client_meta(req: Req, resp: Resp) -> Resp:
    body, sent = resp.json(), req.json() or {}
    if isinstance(body, dict) and isinstance(sent.get("meta"), dict):
        body.setdefault("meta", {}).update(sent["meta"])
        resp.with_json(body)
    return resp


def _copy_client_id(req: Req, resp: Resp) -> Resp:
    body, sent = resp.json(), req.json() or {}
    if isinstance(body, dict) and sent.get("id"):
        body["id"] = sent["id"]
        resp.with_json(body)
    return resp


def _put_follows_body_id(req: Req) -> Req:
    body = req.json() or {}
    if body.get("id") and body["id"] != _id_of(req.path):
        req.path = f"/Users/{body['id']}"
    return req


def _nfd_username_suffixed(body: Any) -> Any:
    name = body.get("userName")
    if isinstance(name, str) and not unicodedata.is_normalized("NFC", name):
        body["userName"] = name + "-nfd"
    return body


def _upper_username_suffixed(body: Any) -> Any:
    name = body.get("userName")
    if isinstance(name, str) and name != name.lower():
        body["userName"] = name + "-cs"
    return body


def _drop_filter_with_quotes(req: Req) -> Req:
    if "'" in query_of(req) or "*)" in query_of(req) or '\\"' in query_of(req):
        req.query = "&".join(p for p in req.query.split("&") if not p.startswith("filter="))
    return req


def _header_less(status: int) -> Any:
    def hook(req: Req, resp: Resp) -> Resp:
        if req.header("authorization") is None:
            resp.status = status
        return resp

    return hook


def _accept_any_token(req: Req) -> Req:
    req.headers = [(k, "Bearer test-token" if k.lower() == "authorization" else v) for k, v in req.headers]
    return req


def _authorize_posts(req: Req) -> Req:
    """A server that checks credentials on GET only: POSTs go through as if authenticated."""
    if req.header("authorization") is None:
        req.headers = req.headers + [("authorization", "Bearer test-token")]
    return req


def _refuse_content_type(needle: str) -> f.Fault:
    def hook(req: Req) -> Req | Resp:
        ctype = (req.header("content-type") or "").lower()
        return scim_error(415, detail="unsupported media type") if needle in ctype else req

    return f.on_request(hook, "POST", f.USERS)


def _refuse_accept(accept: str) -> f.Fault:
    return f.on_request(lambda r: Resp(406) if (r.header("accept") or "") == accept else r, "GET", f.USER)


def _html_404(req: Req, resp: Resp) -> Resp:
    return Resp(404, [("content-type", "text/html")], b"<html><h1>Not Found</h1></html>")


def _strip_v3(req: Req) -> Req:
    req.path = req.path[len("/v3"):]
    return req


def _fake_externalid(body: Any) -> Any:
    if isinstance(body, dict):
        body.setdefault("externalId", "invented-by-server")
    return body


def _schema_added(urn: str) -> Any:
    def edit(body: Any) -> Any:
        if isinstance(body, dict):
            body["schemas"] = list(body.get("schemas") or []) + [urn]
        return body

    return edit


def _wrap_in_list(body: Any) -> Any:
    return {"schemas": [LIST_URN], "totalResults": 1, "Resources": [body]}


def _drop_schema(urn: str) -> Any:
    def edit(body: Any) -> Any:
        body["Resources"] = [s for s in body.get("Resources") or [] if s.get("id") != urn]
        return body

    return edit


PROOFS: dict[str, Proof] = {
    # discovery
    "discovery.spc-object": Proof("ServiceProviderConfig", fault=f.edit_json(_wrap_in_list, "GET", SPC)),
    "discovery.spc-members": Proof("bulk missing", fault=f.edit_json(lambda b: {k: v for k, v in b.items() if k != "bulk"}, "GET", SPC)),
    "discovery.auth-scheme-type": Proof("unknown authenticationSchemes type",
                                        fault=f.edit_json(lambda b: {**b, "authenticationSchemes": [{"type": "magic", "name": "m", "description": "d"}]}, "GET", SPC)),
    "discovery.spc-readable-without-auth": Proof("without credentials answered 401", fault=f.on_response(_header_less(401), "GET", SPC)),
    "discovery.unsupported-capability-refused": Proof("patch.supported is false but PATCH answered 20",
                                                      fault=spc_patch_unsupported(),
                                                      baseline=f.chain(spc_patch_unsupported(), f.answer(501, {"schemas": [ERROR_URN], "status": "501"}, method="PATCH"))),
    "discovery.resource-types": Proof("schemas lacks", fault=f.edit_json(f.each_resource(lambda r: {k: v for k, v in r.items() if k != "schemas"}) , "GET", RTYPES)),
    "discovery.resource-type-schemas-exist": Proof("/Schemas lacks", fault=f.edit_json(_drop_schema(CORE_GROUP), "GET", r"/Schemas")),
    "discovery.resource-type-endpoints-live": Proof("answered 404",
                                                    fault=f.edit_json(f.each_resource(lambda r: {**r, "endpoint": "/Teams"} if r.get("name") == "Group" else r), "GET", RTYPES)),
    "discovery.resource-type-by-name": Proof("answered 404", fault=f.answer(404, {"schemas": [ERROR_URN], "status": "404"}, method="GET", path=r"/ResourceTypes/User")),
    "discovery.resource-type-unknown-404": Proof("answered 200", fault=f.set_status(200, "GET", r"/ResourceTypes/Nope.*")),
    "discovery.schema-by-id": Proof("core:2.0:User", fault=f.edit_json(_wrap_in_list, "GET", r"/Schemas/urn:.*")),
    "discovery.schema-unknown-404": Proof("answered 200", fault=f.set_status(200, "GET", r"/Schemas/urn:example:.*")),
    "discovery.attribute-definitions": Proof("type 'text'", fault=mark_user_attribute("nickName", type="text")),
    "discovery.no-message-schemas": Proof("api:messages",
                                          fault=f.edit_json(lambda b: {**b, "Resources": b["Resources"] + [{"id": LIST_URN, "attributes": []}]}, "GET", r"/Schemas")),
    "discovery.filter-ignored": Proof("the filter was applied", fault=f.on_response(_filter_only_user, "GET", r"/ResourceTypes")),
    # auth
    "auth.missing-credentials-401": Proof("answered 403", fault=f.on_response(_header_less(403), "GET", f.USERS)),
    "auth.wrong-credentials-401": Proof("answered 200", fault=f.on_request(_accept_any_token)),
    "auth.write-without-credentials-401": Proof("answered 201", fault=f.on_request(_authorize_posts, "POST", f.USERS)),
    "auth.www-authenticate": Proof("no WWW-Authenticate", fault=f.drop_header("WWW-Authenticate")),
    "auth.401-is-scim-error": Proof("lacks the SCIM Error schema",
                                    fault=f.on_response(lambda q, r: r.with_json({"error": "unauthorized"}) if r.status == 401 else r)),
    # errors
    "errors.body-shape": Proof("not the string", quirks=("status-as-integer",)),
    "errors.scim-type-vocabulary": Proof("not defined by RFC 7644", fault=f.edit_json(f.set_key("scimType", "duplicate"), "POST", f.USERS, status=409)),
    "errors.detail-useful": Proof("exposes internals",
                                  fault=f.edit_json(f.set_key("detail", 'Traceback (most recent call last): File "/srv/app.py"'), "POST", f.USERS, status=400)),
    "errors.invalid-json-400": Proof("answered 500", fault=when_body(lambda b: b.startswith(b'{"schemas": [bad'), scim_error(500))),
    "errors.wrong-shape-400": Proof("answered 500", fault=when_body(lambda b: b == b"[]", scim_error(500))),
    "errors.wrong-type-boolean": Proof("answered 201", fault=f.edit_request_json(lambda b: {**b, "active": True} if b.get("active") == "yes" else b, "POST", f.USERS)),
    "errors.wrong-type-multivalued": Proof("answered 201",
                                           fault=f.edit_request_json(lambda b: {**b, "emails": [{"value": b["emails"]}]} if isinstance(b.get("emails"), str) else b, "POST", f.USERS)),
    "errors.unknown-endpoint-404": Proof("not JSON", fault=f.on_response(_html_404, "GET", r"/Nope.*")),
    "errors.method-not-allowed": Proof("answered 500", fault=f.answer(500, {"schemas": [ERROR_URN], "status": "500"}, method="DELETE", path=SPC)),
    "errors.unknown-version": Proof("unknown version was served", fault=f.on_request(_strip_v3, "GET", r"/v3/.*")),
    "errors.no-5xx-on-client-mistakes": Proof("answered 500", fault=when_body(lambda b: b"nosuchAttribute" in b, scim_error(500))),
    # media
    "media.content-type-success": Proof("application/json", fault=f.set_header("Content-Type", "application/json", "GET", f.USER)),
    "media.content-type-error": Proof("the 404 answered Content-Type", fault=f.on_response(lambda q, r: Resp(404, [("content-type", "application/json")], r.body) if r.status == 404 else r)),
    "media.request-scim-json": Proof("charset=utf-8", fault=_refuse_content_type("application/scim+json; charset")),
    "media.request-application-json": Proof("application/json", fault=_refuse_content_type("application/json")),
    "media.accept-scim-json": Proof("Accept */*", fault=_refuse_accept("*/*")),
    "media.accept-json": Proof("answered 406", fault=_refuse_accept("application/json")),
    "media.utf8-round-trip": Proof("did not round-trip", fault=f.edit_json(_set_nested("name.givenName", "Zoe ?"), "GET", f.USER)),
    "media.unknown-params-ignored": Proof("answered 400", fault=f.on_request(lambda r: scim_error(400, "invalidSyntax") if "harnessUnknownParam" in r.query else r)),
    # create
    "create.user-201": Proof("answered 200", quirks=("create-returns-200",)),
    "create.group-201": Proof("answered 200", fault=f.set_status(200, "POST", f.GROUPS, when=201)),
    "create.location-header": Proof("no Location header", quirks=("no-location-header",)),
    "create.returns-resource": Proof("missing", fault=f.edit_json(lambda b: {"schemas": b.get("schemas"), "id": b.get("id")}, "POST", f.USERS, status=201)),
    "create.readonly-ignored": Proof("kept the client-supplied id", fault=f.on_response(_copy_client_id, "POST", f.USERS)),
    "create.duplicate-username-409": Proof("answered 201", quirks=("duplicate-username-accepted",)),
    "create.duplicate-username-case-409": Proof("answered 201", fault=f.edit_request_json(_upper_username_suffixed, "POST", f.USERS)),
    "create.missing-username-400": Proof("answered 201",
                                         fault=f.edit_request_json(lambda b: {**b, "userName": "injected-" + json.dumps(b)[-12:-2]} if "userName" not in b else b, "POST", f.USERS)),
    "create.group-missing-displayname-400": Proof("answered 201", fault=f.edit_request_json(lambda b: {**b, "displayName": "injected"} if "displayName" not in b else b, "POST", f.GROUPS)),
    "create.meta-resource-type": Proof('"User"', fault=f.edit_json(_set_nested("meta.resourceType", "user"), "POST", f.USERS)),
    "create.null-and-empty-unassigned": Proof("nickName sent as null",
                                              fault=f.edit_request_json(lambda b: {**b, "nickName": "null"} if "nickName" in b and b["nickName"] is None else b, "POST", f.USERS)),
    "create.ids-distinct-stable": Proof("GET by id did not return", fault=f.edit_json(f.set_key("userName", "someone-else"), "GET", f.USER)),
    # read
    "read.by-id": Proof("answered a ListResponse", fault=f.edit_json(_wrap_in_list, "GET", f.USER)),
    "read.unknown-id-404": Proof("answered 400", fault=f.set_status(400, "GET", f.USER, when=404)),
    "read.default-attribute-set": Proof("returned by default", fault=f.edit_json(f.set_key("password", "x"), "GET", f.USER)),
    "read.attributes-param": Proof("still returned", quirks=("ignore-attributes-param",)),
    "read.excluded-attributes": Proof("excludedAttributes kept", quirks=("ignore-excluded-attributes",)),
    "read.projection-on-list": Proof("not applied to the list", fault=f.drop_query_param("attributes", "GET", f.USERS)),
    "read.projection-on-post": Proof("returned the full resource", fault=f.drop_query_param("attributes", "POST", f.USERS)),
    "read.projection-on-put": Proof("returned the full resource", fault=f.drop_query_param("attributes", "PUT", f.USER)),
    "read.sub-attribute": Proof("returned the whole name", fault=_rewrite_query("name.givenName", "name")),
    "read.attribute-names-case-insensitive": Proof("attributes=USERNAME", fault=_drop_param_when("attributes", "USERNAME")),
    "read.attribute-names-urn": Proof("URN-qualified", fault=_drop_param_when("attributes", "urn:")),
    "read.never-even-when-asked": Proof("returned=never", fault=f.edit_json(f.set_key("password", "x"), "GET", f.USER)),
    "read.returned-request": Proof("without being asked for", fault=mark_user_attribute("nickName", returned="request"),
                                   baseline=f.chain(mark_user_attribute("nickName", returned="request"), hide_unless_requested("nickName"))),
    "read.unassigned-omitted": Proof("sent as null", fault=f.edit_json(f.set_key("title", None), "GET", f.USER)),
    # replace
    "replace.put-200": Proof("answered 201", fault=f.set_status(201, "PUT", f.USER)),
    "replace.unknown-id-404": Proof("expected 404", quirks=("put-creates",)),
    "replace.readonly-ignored": Proof("changed meta.created", fault=f.edit_json(_set_nested("meta.created", "1999-01-01T00:00:00Z"), "PUT", f.USER)),
    "replace.multivalued-replaced": Proof("was merged",
                                          fault=f.edit_request_json(lambda b: {**b, "emails": [{"value": "merged@example.com", "type": "home"}] + list(b.get("emails") or [])}, "PUT", f.USER)),
    "replace.omitted-and-null": Proof('"title": null', fault=f.edit_request_json(lambda b: {**b, "title": "null"} if "title" in b and b["title"] is None else b, "PUT", f.USER)),
    "replace.immutable-change-400": Proof("answered 200", fault=mark_user_attribute("nickName", mutability="immutable"),
                                          baseline=f.chain(mark_user_attribute("nickName", mutability="immutable"), ImmutableNickName().fault())),
    "replace.missing-required-400": Proof("answered 200", fault=f.on_request(_echo_without_username, "PUT", f.USER)),
    "replace.body-id-ignored": Proof("body's id", fault=f.on_request(_put_follows_body_id, "PUT", f.USER)),
    "replace.username-conflict-409": Proof("answered 200", fault=f.set_status(200, "PUT", f.USER, when=409)),
    # delete
    "delete.204-no-body": Proof("answered 200", quirks=("delete-returns-200",)),
    "delete.gone-afterwards": Proof("second DELETE", fault=f.set_status(204, "DELETE", f.USER, when=404)),
    "delete.not-listed": Proof("still listed", quirks=("deleted-still-listed",)),
    "delete.uniqueness-released": Proof("answered 409", fault=Tombstones().block_reused_names()),
    "delete.user-leaves-groups": Proof("still lists the deleted user", fault=Tombstones().keep_in_groups()),
    # attributes
    "attributes.names-case-insensitive": Proof("expected 201",
                                               fault=f.on_request(lambda r: scim_error(400, "invalidValue") if b'"USERNAME"' in r.body else r, "POST", f.USERS)),
    "attributes.case-exact-preserved": Proof("did not keep its case",
                                             fault=f.edit_json(lambda b: {**b, "externalId": str(b["externalId"]).lower()} if b.get("externalId") else b, "GET", f.USER)),
    "attributes.uniqueness-none-allowed": Proof("same externalId", fault=duplicate_external_id_refused()),
    "attributes.json-types": Proof("JSON boolean", fault=f.edit_json(f.set_key("active", "true"), "GET", f.USER)),
    "attributes.nested-complex-refused": Proof("nested complex", fault=_nested_stored()),
    "attributes.single-primary": Proof("are primary", fault=_two_primaries_kept()),
    "attributes.no-duplicate-values": Proof("returned twice", fault=_duplicates_kept()),
    "attributes.canonical-values": Proof("custom", fault=_rewrite_custom_type()),
    "attributes.ref-resolves": Proof("404", fault=f.edit_json(_ref_to_nowhere, "GET", f.GROUP)),
    # meta and schemas
    "meta.present": Proof("no meta", quirks=("no-meta",)),
    "meta.last-modified": Proof("went backwards", fault=f.edit_json(_set_nested("meta.lastModified", "1999-01-01T00:00:00Z"), "GET", f.USER)),
    "meta.location-resolves": Proof("404", fault=f.edit_json(_set_nested("meta.location", "http://127.0.0.1/Users/nowhere"), "POST", f.USERS)),
    "meta.client-meta-ignored": Proof("resourceType was kept", fault=f.on_response(_copy_client_meta, "POST", f.USERS)),
    "meta.external-id-not-invented": Proof("no externalId", fault=f.edit_json(_fake_externalid, "GET", f.USER)),
    "schemas.resource-schemas": Proof("foreign URNs", fault=f.edit_json(_schema_added(CORE_GROUP), "GET", f.USER)),
    "schemas.extension-only-with-data": Proof("has no data", fault=f.edit_json(_schema_added(ENTERPRISE), "GET", f.USER)),
    "schemas.unknown-urn-400": Proof("answered 201",
                                     fault=f.edit_request_json(lambda b: {**b, "schemas": [s for s in b.get("schemas", []) if not s.startswith("urn:example")]}, "POST", f.USERS)),
    "schemas.missing-base-400": Proof("answered 201", fault=f.edit_request_json(lambda b: {**b, "schemas": b.get("schemas") or [CORE_USER]}, "POST", f.USERS)),
    # extensions
    "extensions.enterprise-round-trip": Proof("round-trip",
                                              fault=f.edit_json(lambda b: {**b, ENTERPRISE: {**b[ENTERPRISE], "department": "lost"}} if isinstance(b.get(ENTERPRISE), dict) else b, "GET", f.USER)),
    "extensions.manager-display-name-readonly": Proof("stored the client's manager.displayName", fault=fake_manager_display_kept()),
    "extensions.urn-in-attributes": Proof("more than department", fault=_drop_param_when("attributes", "enterprise")),
    "extensions.manager-by-patch": Proof("not set by PATCH", fault=f.on_request(lambda r: Resp(204) if b":manager" in r.body else r, "PATCH", f.USER)),
    "extensions.required-extension": Proof("answered 201", fault=enterprise_required(),
                                           baseline=f.chain(enterprise_required(), require_enterprise_on_create())),
    "extensions.custom-extension": Proof("did not round-trip", settings={"extensions": (CUSTOM_FILE,)},
                                         fault=f.edit_json(lambda b: {k: v for k, v in b.items() if k != CUSTOM}, "GET", f.USER)),
    # /Me
    "me.unsupported-501": Proof("answered 404", fault=f.answer(404, {"schemas": [ERROR_URN], "status": "404"}, method="GET", path=r"/Me")),
    "me.supported-form": Proof("without a Location header", fault=f.answer(200, {"id": "me"}, method="GET", path=r"/Me"),
                               baseline=f.answer(308, None, [("location", "http://127.0.0.1/Users/me")], method="GET", path=r"/Me")),
    # security
    "security.tls": Proof("plain http", base_url="http://scim.example.com"),
    "security.password-never-returned": Proof("returned the password", fault=f.edit_json(f.set_key("password", "x"), "GET", f.USER)),
    "security.username-precis": Proof("answered 201", fault=f.edit_request_json(_nfd_username_suffixed, "POST", f.USERS)),
    "security.filter-injection": Proof("matched", fault=f.on_request(_drop_filter_with_quotes, "GET", f.USERS)),
}
