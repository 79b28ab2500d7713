"""The faults behind tests/scenarios/proofs_rfc_a.py: schema edits, stateful defects, small rewrites.

Each builder models one real-world defect by wrapping the unmodified reference app
(tests/scenarios/faults.py); baselines model a *correct* server that makes a check applicable.
"""

from __future__ import annotations

import unicodedata
import uuid
from pathlib import Path
from typing import Any
from urllib.parse import unquote

from tests.scenarios import faults as f
from tests.scenarios.faults import Req, Resp

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
            resp.with_json(f.each_resource(lambda r: {k: v for k, v in r.items() if k != name} if isinstance(r, dict) else r)(body))
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


def echo_without_username(req: Req) -> Req | Resp:
    body = req.json()
    if isinstance(body, dict) and "userName" not in body:
        return Resp(200, [("content-type", "application/scim+json")]).with_json({**body, "id": _id_of(req.path)})
    return req


def filter_only_user(req: Req, resp: Resp) -> Resp:
    body = resp.json()
    if "filter" in req.query and isinstance(body, dict):
        body["Resources"] = [r for r in body.get("Resources") or [] if r.get("name") == "User"]
        body["totalResults"] = len(body["Resources"])
        resp.with_json(body)
    return resp


def set_nested(path: str, value: Any) -> Any:
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


def rewrite_query(old: str, new: str) -> f.Fault:
    def hook(req: Req) -> Req:
        req.query = req.query.replace(old, new)
        return req

    return f.on_request(hook, "GET", f.USER)


def drop_param_when(name: str, needle: str) -> f.Fault:
    def hook(req: Req) -> Req:
        if needle.lower() in query_of(req).lower():
            req.query = "&".join(p for p in req.query.split("&") if p.split("=", 1)[0] != name)
        return req

    return f.on_request(hook, "GET", f.USER)


def nested_stored() -> f.Fault:
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


def two_primaries_kept() -> f.Fault:
    def accept(body: Any) -> Any:
        emails = body.get("emails") or []
        if isinstance(emails, list) and sum(1 for e in emails if isinstance(e, dict) and e.get("primary")) > 1:
            for e in emails[1:]:
                e["primary"] = False
        return body

    def all_primary(emails: list[Any]) -> list[Any]:
        return [{**e, "primary": True} for e in emails] if len(emails) > 1 else emails

    return f.chain(f.edit_json(_edit_emails(all_primary), "GET", f.USER), f.edit_request_json(accept, "POST", f.USERS))


def duplicates_kept() -> f.Fault:
    def dedupe(body: Any) -> Any:
        emails = body.get("emails")
        if isinstance(emails, list) and len(emails) == 2 and emails[0] == emails[1]:
            body["emails"] = emails[:1]
        return body

    return f.chain(f.edit_json(_edit_emails(lambda es: es + es[:1]), "GET", f.USER),
                   f.edit_request_json(dedupe, "POST", f.USERS))


def rewrite_custom_type() -> f.Fault:
    def edit(emails: list[Any]) -> list[Any]:
        return [{**e, "type": "other"} if e.get("type") == "custom" else e for e in emails]

    return f.edit_json(_edit_emails(edit), "GET", f.USER)


def ref_to_nowhere(body: Any) -> Any:
    if isinstance(body, dict):
        for m in body.get("members") or []:
            m["$ref"] = f"http://127.0.0.1/Users/nowhere-{m.get('value')}"
    return body


def copy_client_meta(req: Req, resp: Resp) -> Resp:
    body, sent = resp.json(), req.json() or {}
    if isinstance(body, dict) and isinstance(sent.get("meta"), dict):
        body.setdefault("meta", {}).update(sent["meta"])
        resp.with_json(body)
    return resp


def copy_client_id(req: Req, resp: Resp) -> Resp:
    body, sent = resp.json(), req.json() or {}
    if isinstance(body, dict) and sent.get("id"):
        body["id"] = sent["id"]
        resp.with_json(body)
    return resp


def answer_with_body_id(req: Req, resp: Resp) -> Resp:
    """A server that echoes the id of the PUT body instead of the URL's."""
    body, sent = resp.json(), req.json() or {}
    if isinstance(body, dict) and sent.get("id"):
        body["id"] = sent["id"]
        resp.with_json(body)
    return resp


def nfd_username_suffixed(body: Any) -> Any:
    name = body.get("userName")
    if isinstance(name, str) and not unicodedata.is_normalized("NFC", name):
        body["userName"] = name + "-nfd"
    return body


def inject_username(body: Any) -> Any:
    """A server that makes up a userName when the client sent none."""
    if isinstance(body, dict) and "userName" not in body:
        body["userName"] = f"injected-{uuid.uuid4().hex[:8]}"
    return body


def upper_username_suffixed(body: Any) -> Any:
    name = body.get("userName")
    if isinstance(name, str) and name != name.lower():
        body["userName"] = name + "-cs"
    return body


def drop_filter_with_quotes(req: Req) -> Req:
    if "'" in query_of(req) or "*)" in query_of(req) or '\\"' in query_of(req):
        req.query = "&".join(p for p in req.query.split("&") if not p.startswith("filter="))
    return req


def header_less(status: int) -> Any:
    def hook(req: Req, resp: Resp) -> Resp:
        if req.header("authorization") is None:
            resp.status = status
        return resp

    return hook


def accept_any_token(req: Req) -> Req:
    req.headers = [(k, "Bearer test-token" if k.lower() == "authorization" else v) for k, v in req.headers]
    return req


def authorize_posts(req: Req) -> Req:
    """A server that checks credentials on GET only: POSTs go through as if authenticated."""
    if req.header("authorization") is None:
        req.headers = req.headers + [("authorization", "Bearer test-token")]
    return req


def refuse_content_type(needle: str) -> f.Fault:
    def hook(req: Req) -> Req | Resp:
        ctype = (req.header("content-type") or "").lower()
        return scim_error(415, detail="unsupported media type") if needle in ctype else req

    return f.on_request(hook, "POST", f.USERS)


def refuse_accept(accept: str) -> f.Fault:
    return f.on_request(lambda r: Resp(406) if (r.header("accept") or "") == accept else r, "GET", f.USER)


def html_404(req: Req, resp: Resp) -> Resp:
    return Resp(404, [("content-type", "text/html")], b"<html><h1>Not Found</h1></html>")


def strip_v3(req: Req) -> Req:
    req.path = req.path[len("/v3"):]
    return req


def fake_externalid(body: Any) -> Any:
    if isinstance(body, dict):
        body.setdefault("externalId", "invented-by-server")
    return body


def schema_added(urn: str) -> Any:
    def edit(body: Any) -> Any:
        if isinstance(body, dict):
            body["schemas"] = list(body.get("schemas") or []) + [urn]
        return body

    return edit


def wrap_in_list(body: Any) -> Any:
    return {"schemas": [LIST_URN], "totalResults": 1, "Resources": [body]}


def drop_schema(urn: str) -> Any:
    def edit(body: Any) -> Any:
        body["Resources"] = [s for s in body.get("Resources") or [] if s.get("id") != urn]
        return body

    return edit
