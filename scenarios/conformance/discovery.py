"""Discovery: /ServiceProviderConfig, /ResourceTypes and /Schemas (RFC 7644 §4, RFC 7643 §5-§7).

These endpoints are read afresh here (not from the runner's cached discovery) so the
evidence of each check is its own exchanges.
"""

from __future__ import annotations

from typing import Any

from harness.checks import CheckContext, check
from harness.discovery import resolve_endpoint
from harness.results import Level

from scenarios.conformance.common import (
    CORE_GROUP,
    CORE_USER,
    RESOURCE_TYPE_URN,
    SPC_URN,
    random_id,
    expect_error,
)
from scenarios.conformance.rfc_text import QUOTES

AREA = "discovery"
AUTH_TYPES = {"oauth", "oauth2", "oauthbearertoken", "httpbasic", "httpdigest"}
ATTR_TYPES = {"string", "boolean", "decimal", "integer", "dateTime", "reference", "complex", "binary"}
MUTABILITY = {"readOnly", "readWrite", "immutable", "writeOnly"}
RETURNED = {"always", "never", "default", "request"}
UNIQUENESS = {"none", "server", "global"}


def _is_bool(value: Any) -> bool:
    return isinstance(value, bool)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


@check(id="discovery.spc-object", quote=QUOTES["discovery.spc-object"], title="/ServiceProviderConfig returns one object with its schema",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §4; RFC 7643 §5", checklist=("DISC-01",),
       fix="Serve GET /ServiceProviderConfig as a single JSON object (not a ListResponse) whose "
           f"schemas is [\"{SPC_URN}\"].")
def spc_object(ctx: CheckContext) -> None:
    ex = ctx.get("/ServiceProviderConfig")
    body = ctx.expect_resource(ex, 200)
    schemas = body.get("schemas")
    ctx.expect(isinstance(schemas, list) and SPC_URN in schemas, f"schemas containing {SPC_URN}", schemas, ex)
    ctx.expect("Resources" not in body, "a bare object", "a ListResponse", ex,
               message="/ServiceProviderConfig is wrapped in a list")


@check(id="discovery.spc-members", quote=QUOTES["discovery.spc-members"], title="ServiceProviderConfig has every required member with JSON types",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §5", checklist=("DISC-02",),
       fix="Include patch, bulk (supported, maxOperations, maxPayloadSize), filter (supported, maxResults), "
           "changePassword, sort, etag and authenticationSchemes[] (type, name, description); "
           "booleans as true/false, limits as integers.",
       idp_impact="Clients that read capabilities (Entra's validator, scim2 clients) mis-detect support.")
def spc_members(ctx: CheckContext) -> None:
    ex = ctx.get("/ServiceProviderConfig")
    body = ctx.expect_resource(ex, 200)
    problems: list[str] = []
    needed = {
        "patch": {"supported": _is_bool},
        "bulk": {"supported": _is_bool, "maxOperations": _is_int, "maxPayloadSize": _is_int},
        "filter": {"supported": _is_bool, "maxResults": _is_int},
        "changePassword": {"supported": _is_bool},
        "sort": {"supported": _is_bool},
        "etag": {"supported": _is_bool},
    }
    for member, fields in needed.items():
        value = body.get(member)
        if not isinstance(value, dict):
            problems.append(f"{member} missing")
            continue
        for name, ok in fields.items():
            if not ok(value.get(name)):
                problems.append(f"{member}.{name} is {value.get(name)!r}")
    schemes = body.get("authenticationSchemes")
    if not isinstance(schemes, list) or not schemes:
        problems.append("authenticationSchemes missing or empty")
    else:
        for i, scheme in enumerate(schemes):
            for name in ("type", "name", "description"):
                if not isinstance(scheme, dict) or not isinstance(scheme.get(name), str):
                    problems.append(f"authenticationSchemes[{i}].{name} missing")
    ctx.expect(not problems, "every SPC member present and typed", problems, ex,
               message="ServiceProviderConfig is incomplete: " + "; ".join(problems[:5]))


@check(id="discovery.auth-scheme-type", quote=QUOTES["discovery.auth-scheme-type"], title="authenticationSchemes.type is a known type that matches the 401",
       area=AREA, level=Level.MAY, rests_on="RFC 7643 §5", checklist=("DISC-03",),
       fix="Set authenticationSchemes[].type to oauthbearertoken (or oauth2, httpbasic, ...) and make it match "
           "the scheme named in the WWW-Authenticate header of a 401.")
def auth_scheme_type(ctx: CheckContext) -> None:
    ex = ctx.get("/ServiceProviderConfig")
    body = ctx.expect_resource(ex, 200)
    schemes = [s for s in body.get("authenticationSchemes") or [] if isinstance(s, dict)]
    types = [str(s.get("type", "")) for s in schemes]
    ctx.expect(types and all(t.lower() in AUTH_TYPES for t in types), f"types from {sorted(AUTH_TYPES)}", types, ex,
               message=f"unknown authenticationSchemes type(s): {types}")
    denied = ctx.get(ctx.users, authenticate=False)
    challenge = (denied.header("WWW-Authenticate") or "").lower()
    if denied.status != 401 or not challenge:
        ctx.note("no 401 challenge to compare with (see auth checks)")
        return
    scheme = challenge.split()[0].rstrip(",")
    families = {"bearer": {"oauth", "oauth2", "oauthbearertoken"}, "basic": {"httpbasic"}, "digest": {"httpdigest"}}
    allowed = families.get(scheme)
    if allowed is not None:
        ctx.expect(any(t.lower() in allowed for t in types), f"a {scheme} scheme advertised", types, denied,
                   message=f"the 401 asks for {scheme} but the SPC advertises {types}")


@check(id="discovery.spc-readable-without-auth", quote=QUOTES["discovery.spc-readable-without-auth"], title="ServiceProviderConfig is readable without authentication",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7643 §5 (authenticationSchemes)", checklist=("DISC-04",),
       fix="Let GET /ServiceProviderConfig through without credentials so a client can learn how to authenticate.")
def spc_without_auth(ctx: CheckContext) -> None:
    ex = ctx.get("/ServiceProviderConfig", authenticate=False)
    ctx.expect_status(ex, 200, message=f"GET /ServiceProviderConfig without credentials answered {ex.status}")


@check(id="discovery.unsupported-capability-refused", quote=QUOTES["discovery.unsupported-capability-refused"],
       title="A capability advertised as unsupported is refused, not half-done",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §5; RFC 7644 §3.12", checklist=("DISC-05",),
       fix="Either advertise the capability as supported, or answer 501 Not Implemented (or 403/400) to it.",
       idp_impact="IdPs do not read the SPC: a half-working feature is used anyway and breaks silently.")
def unsupported_refused(ctx: CheckContext) -> None:
    probed = 0
    if ctx.discovery.supports("patch") is False:
        user = ctx.create_user()
        ex = ctx.patch_op(f"{ctx.users}/{user['id']}", {"op": "replace", "path": "displayName", "value": "x"})
        ctx.expect_answer(ex)
        ctx.expect(ex.status is not None and ex.status >= 400, "501, 403 or 400", ex.status, ex,
                   message=f"patch.supported is false but PATCH answered {ex.status}")
        probed += 1
    if ctx.discovery.supports("bulk") is False:
        ex = ctx.post("/Bulk", {"schemas": ["urn:ietf:params:scim:api:messages:2.0:BulkRequest"], "Operations": []})
        ctx.expect_answer(ex)
        ctx.expect(ex.status is not None and ex.status >= 400, "501, 403, 404 or 400", ex.status, ex,
                   message=f"bulk.supported is false but POST /Bulk answered {ex.status}")
        probed += 1
    if not probed:
        ctx.skip("the target advertises patch and bulk as supported; nothing unsupported to probe")


@check(id="discovery.resource-types", quote=QUOTES["discovery.resource-types"], title="/ResourceTypes lists User and Group with their members",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §4; RFC 7643 §6", checklist=("DISC-06",),
       fix="Answer GET /ResourceTypes with a ListResponse whose entries carry schemas "
           f"[\"{RESOURCE_TYPE_URN}\"], name, endpoint, schema and schemaExtensions[{{schema, required}}].")
def resource_types(ctx: CheckContext) -> None:
    ex = ctx.get("/ResourceTypes")
    body = ctx.expect_list_response(ex)
    items = [r for r in body.get("Resources") or [] if isinstance(r, dict)]
    names = {str(r.get("name")) for r in items}
    ctx.expect({"User", "Group"} <= names, "User and Group", sorted(names), ex)
    problems = []
    for rt in items:
        if RESOURCE_TYPE_URN not in (rt.get("schemas") or []):
            problems.append(f"{rt.get('name')}: schemas lacks {RESOURCE_TYPE_URN}")
        for name in ("name", "endpoint", "schema"):
            if not isinstance(rt.get(name), str):
                problems.append(f"{rt.get('name')}: {name} missing")
        for ext in rt.get("schemaExtensions") or []:
            if not isinstance(ext, dict) or not isinstance(ext.get("schema"), str) or not isinstance(ext.get("required"), bool):
                problems.append(f"{rt.get('name')}: bad schemaExtensions entry {ext!r}")
    ctx.expect(not problems, "complete ResourceType entries", problems, ex, message="; ".join(problems[:4]))


@check(id="discovery.resource-type-schemas-exist", quote=QUOTES["discovery.resource-type-schemas-exist"], title="Every ResourceType schema is served under /Schemas",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §6", checklist=("DISC-07", "DISC-10"),
       fix="List every schema and extension URN named by /ResourceTypes in GET /Schemas, with the same id.")
def resource_type_schemas_exist(ctx: CheckContext) -> None:
    rts = ctx.expect_list_response(ctx.get("/ResourceTypes"))
    ex = ctx.get("/Schemas")
    schemas = ctx.expect_list_response(ex)
    ids = {str(s.get("id")).lower() for s in schemas.get("Resources") or [] if isinstance(s, dict)}
    wanted = set()
    for rt in rts.get("Resources") or []:
        if isinstance(rt, dict):
            wanted.add(str(rt.get("schema")))
            wanted.update(str(e.get("schema")) for e in rt.get("schemaExtensions") or [] if isinstance(e, dict))
    missing = sorted(w for w in wanted if w.lower() not in ids)
    ctx.expect(not missing, "all ResourceType schemas under /Schemas", missing, ex,
               message=f"/Schemas lacks {missing}")
    for core in (CORE_USER, CORE_GROUP):
        ctx.expect(core.lower() in ids, core, sorted(ids), ex, message=f"/Schemas lacks {core}")


@check(id="discovery.resource-type-endpoints-live", quote=QUOTES["discovery.resource-type-endpoints-live"], title="Each ResourceType endpoint is the live endpoint",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §6", checklist=("DISC-08",),
       fix="Make ResourceType.endpoint the path (relative to the base URL) that serves that resource type.")
def endpoints_live(ctx: CheckContext) -> None:
    rts = ctx.expect_list_response(ctx.get("/ResourceTypes"))
    for rt in rts.get("Resources") or []:
        if not isinstance(rt, dict) or not isinstance(rt.get("endpoint"), str):
            continue
        endpoint = resolve_endpoint(ctx.client.target.base_url, rt["endpoint"]).path or rt["endpoint"]
        ex = ctx.get(endpoint, params={"count": 1})
        ctx.expect_status(ex, 200, message=f"GET {endpoint} (ResourceType {rt.get('name')}) answered {ex.status}")
        ctx.expect_list_response(ex)


@check(id="discovery.resource-type-by-name", quote=QUOTES["discovery.resource-type-by-name"], title="/ResourceTypes/User returns that one ResourceType",
       area=AREA, level=Level.MAY, rests_on="RFC 7644 §4", checklist=("DISC-09",),
       fix="Serve GET /ResourceTypes/{name} as the single ResourceType object.")
def resource_type_by_name(ctx: CheckContext) -> None:
    ex = ctx.expect_answer(ctx.get("/ResourceTypes/User"))
    if ex.status in (404, 501):  # the single-object form is optional (RFC 7644 §4): recorded
        ctx.note(f"GET /ResourceTypes/User answered {ex.status}: single ResourceTypes are not served")
        return
    body = ctx.expect_resource(ex, 200)
    ctx.expect(body.get("name") == "User", 'name "User"', body.get("name"), ex)


@check(id="discovery.resource-type-unknown-404", quote=QUOTES["discovery.resource-type-unknown-404"], title="An unknown ResourceType name answers 404",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §4, §3.12", checklist=("DISC-09",),
       fix="Answer GET /ResourceTypes/{unknown} with 404 and a SCIM error.")
def resource_type_unknown(ctx: CheckContext) -> None:
    expect_error(ctx, ctx.get(f"/ResourceTypes/Nope{random_id()[:8]}"), 404)


@check(id="discovery.schema-by-id", quote=QUOTES["discovery.schema-by-id"], title="/Schemas/{urn} returns that one Schema",
       area=AREA, level=Level.MAY, rests_on="RFC 7644 §4", checklist=("DISC-11",),
       fix="Serve GET /Schemas/{urn} as the single Schema object with that id.")
def schema_by_id(ctx: CheckContext) -> None:
    ex = ctx.expect_answer(ctx.get(f"/Schemas/{CORE_USER}"))
    if ex.status in (404, 501):  # the single-object form is optional (RFC 7644 §4): recorded
        ctx.note(f"GET /Schemas/{{urn}} answered {ex.status}: single Schemas are not served")
        return
    body = ctx.expect_resource(ex, 200)
    ctx.expect(body.get("id") == CORE_USER, CORE_USER, body.get("id"), ex)
    ctx.expect(isinstance(body.get("attributes"), list), "an attributes list", type(body.get("attributes")).__name__, ex)


@check(id="discovery.schema-unknown-404", quote=QUOTES["discovery.schema-unknown-404"], title="An unknown schema URN answers 404",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7644 §4, §3.12", checklist=("DISC-11",),
       fix="Answer GET /Schemas/{unknown-urn} with 404 and a SCIM error.")
def schema_unknown(ctx: CheckContext) -> None:
    expect_error(ctx, ctx.get(f"/Schemas/urn:example:nope:{random_id()[:8]}"), 404)


def _attribute_problems(attr: Any, where: str) -> list[str]:
    if not isinstance(attr, dict):
        return [f"{where}: not an object"]
    name = attr.get("name")
    here = f"{where}.{name}"
    out = []
    if not isinstance(name, str) or not name:
        out.append(f"{where}: attribute without a name")
    if attr.get("type") not in ATTR_TYPES:
        out.append(f"{here}: type {attr.get('type')!r}")
    for key, allowed in (("mutability", MUTABILITY), ("returned", RETURNED), ("uniqueness", UNIQUENESS)):
        if key in attr and attr[key] not in allowed:
            out.append(f"{here}: {key} {attr[key]!r}")
    for key in ("multiValued", "required", "caseExact"):
        if key in attr and not isinstance(attr[key], bool):
            out.append(f"{here}: {key} {attr[key]!r} is not a boolean")
    if "multiValued" not in attr:
        out.append(f"{here}: multiValued missing")
    if attr.get("type") == "complex":
        subs = attr.get("subAttributes")
        if not isinstance(subs, list) or not subs:
            out.append(f"{here}: complex without subAttributes")
        else:
            for sub in subs:
                out.extend(_attribute_problems(sub, here))
    if attr.get("type") == "reference" and not isinstance(attr.get("referenceTypes"), list):
        out.append(f"{here}: reference without referenceTypes")
    return out


@check(id="discovery.attribute-definitions", quote=QUOTES["discovery.attribute-definitions"], title="Every schema attribute definition is complete and uses RFC keywords",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §7, §2.2", checklist=("DISC-12", "ATTR-01"),
       fix="Give each attribute name, type and multiValued; use only the RFC 7643 §7 keywords for type, "
           "mutability, returned and uniqueness; give complex attributes subAttributes and references referenceTypes.")
def attribute_definitions(ctx: CheckContext) -> None:
    ex = ctx.get("/Schemas")
    body = ctx.expect_list_response(ex)
    problems: list[str] = []
    for schema in body.get("Resources") or []:
        if not isinstance(schema, dict):
            continue
        for attr in schema.get("attributes") or []:
            problems.extend(_attribute_problems(attr, str(schema.get("id"))))
    ctx.expect(not problems, "valid attribute definitions", problems, ex,
               message=f"{len(problems)} bad attribute definition(s): " + "; ".join(problems[:3]))


@check(id="discovery.no-message-schemas", quote=QUOTES["discovery.no-message-schemas"], title="/Schemas does not list message schemas",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.1, §4", checklist=("DISC-14",),
       fix="List only resource schemas under /Schemas; urn:ietf:params:scim:api:... message URNs do not belong there.")
def no_message_schemas(ctx: CheckContext) -> None:
    ex = ctx.get("/Schemas")
    body = ctx.expect_list_response(ex)
    ids = [str(s.get("id")) for s in body.get("Resources") or [] if isinstance(s, dict)]
    api = [i for i in ids if i.startswith("urn:ietf:params:scim:api:")]
    ctx.expect(not api, "no :api: URNs", api, ex)


@check(id="discovery.filter-ignored", quote=QUOTES["discovery.filter-ignored"], title="Discovery endpoints ignore or refuse a filter, never filter",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §4", checklist=("DISC-15",),
       fix="On /Schemas and /ResourceTypes ignore filter, sort and paging (or answer 403 to a filter); "
           "never return a filtered subset.")
def filter_ignored(ctx: CheckContext) -> None:
    for path, attr, keep in (("/ResourceTypes", "name", "User"), ("/Schemas", "id", CORE_USER)):
        full = ctx.expect_list_response(ctx.get(path))
        everything = len([r for r in full.get("Resources") or [] if isinstance(r, dict)])
        ex = ctx.get(path, params={"filter": f'{attr} eq "{keep}"'})
        ctx.expect_answer(ex)
        if ex.status == 403:
            continue
        body = ctx.expect_list_response(ex)
        seen = len([r for r in body.get("Resources") or [] if isinstance(r, dict)])
        ctx.expect(seen == everything, f"403 or all {everything} entries", f"{seen} entries", ex,
                   message=f"{path}?filter returned {seen} of {everything} entries: the filter was applied")
