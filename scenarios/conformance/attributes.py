"""Attribute characteristics and data types (RFC 7643 §2, §7)."""

from __future__ import annotations

from typing import Any

from harness.checks import CheckContext, CouldNotJudge, check
from harness.recorder import Exchange
from harness.results import Level

from scenarios.conformance.common import MEMBERS_DROPPED, CORE_GROUP, CORE_USER, fetch, parse_datetime, user_declares
from scenarios.conformance.rfc_text import QUOTES

AREA = "attributes"


def _post(ctx: CheckContext, endpoint: str, body: dict[str, Any]) -> tuple[Exchange, dict[str, Any] | None]:
    ex = ctx.post(endpoint, body)
    created = ex.json_or_none()
    if ex.status in (200, 201) and isinstance(created, dict) and created.get("id"):
        ctx.created(f"{endpoint}/{created['id']}")
        return ex, created
    return ex, None


@check(id="attributes.names-case-insensitive", quote=QUOTES["attributes.names-case-insensitive"], title="Attribute names in input are case-insensitive",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §2.1", checklist=("ATTR-02",),
       fix='Match incoming attribute names without regard to case ("USERNAME" is userName) and answer in the '
           "schema's spelling.")
def names_case_insensitive(ctx: CheckContext) -> None:
    name = ctx.unique_email("case")
    ex, created = _post(ctx, ctx.users, {"schemas": [CORE_USER], "USERNAME": name, "DisplayName": "Case Test"})
    body = ctx.expect_resource(ex, 201)
    ctx.expect(str(body.get("userName", "")).lower() == name.lower(), f'"userName": "{name}"', sorted(body), ex,
               message="the response has no userName (schema spelling) for an input key USERNAME")
    if user_declares(ctx, "displayName"):  # an attribute it does not declare it may ignore (RFC 7644 §3.3)
        ctx.expect(body.get("displayName") == "Case Test", "displayName from DisplayName", body.get("displayName"), ex)


@check(id="attributes.case-exact-preserved", quote=QUOTES["attributes.case-exact-preserved"], title="caseExact values keep their case",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §7 (caseExact), §3.1 (externalId)", checklist=("ATTR-03", "META-05"),
       fix="Store externalId (caseExact) byte for byte; never lower-case or trim it.")
def case_exact_preserved(ctx: CheckContext) -> None:
    external = f"AbC-{ctx.unique('Ext')}-XyZ"
    user = ctx.create_user(externalId=external)
    body, ex = fetch(ctx, ctx.users, user)
    ctx.expect(body.get("externalId") == external, external, body.get("externalId"), ex,
               message="externalId did not keep its case")


@check(id="attributes.uniqueness-none-allowed", quote=QUOTES["attributes.uniqueness-none-allowed"], title="Attributes with uniqueness none accept duplicates",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §7 (uniqueness), §2.2", checklist=("ATTR-04",),
       fix="Enforce uniqueness only where the schema says server or global; duplicate externalId or "
           "group displayName are allowed when the schema says none.",
       idp_impact="Two departments with the same group name cannot both be provisioned.")
def uniqueness_none(ctx: CheckContext) -> None:
    probes = 0
    ext = ctx.discovery.attribute(CORE_USER, "externalId")
    if ext is None or ext.get("uniqueness") == "none":
        shared = ctx.unique("same-ext")
        ctx.create_user(externalId=shared)
        ex, _ = _post(ctx, ctx.users, ctx.user_body(externalId=shared))
        ctx.expect_status(ex, 201, message=f"a second user with the same externalId answered {ex.status}")
        probes += 1
    dn = ctx.discovery.attribute(CORE_GROUP, "displayName")
    if ctx.discovery.supports("groups") and (dn is None or dn.get("uniqueness") == "none"):
        shared = ctx.unique("same-group")
        ctx.create_group(displayName=shared)
        ex, _ = _post(ctx, ctx.groups, ctx.group_body(displayName=shared))
        ctx.expect_status(ex, 201, message=f"a second group with the same displayName answered {ex.status}")
        probes += 1
    if not probes:
        ctx.skip("the schemas make externalId and Group displayName unique")


@check(id="attributes.json-types", quote=QUOTES["attributes.json-types"], title="Values use their schema's JSON types",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §2.3", checklist=("ATTR-05",),
       fix="Emit booleans as true/false, ids as strings, dateTime as xsd:dateTime with date, time and zone.")
def json_types(ctx: CheckContext) -> None:
    user = ctx.create_user(active=True)
    body, ex = fetch(ctx, ctx.users, user)
    ctx.expect(body.get("active") is True, "active: true (a JSON boolean)", body.get("active"), ex)
    ctx.expect(isinstance(body.get("id"), str), "id as a string", type(body.get("id")).__name__, ex)
    meta = body.get("meta") or {}
    for key in ("created", "lastModified"):
        ctx.expect(parse_datetime(meta.get(key)) is not None, f"meta.{key} as an xsd:dateTime", meta.get(key), ex)
    emails = body.get("emails") or []
    primary = [e.get("primary") for e in emails if isinstance(e, dict) and "primary" in e]
    ctx.expect(all(isinstance(p, bool) for p in primary), "primary as a JSON boolean", primary, ex)


@check(id="attributes.nested-complex-refused", quote=QUOTES["attributes.nested-complex-refused"], title="A complex value nested in a complex attribute is refused or dropped",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §2.3.8", checklist=("ATTR-06",),
       fix="Reject (400 invalidValue) or drop sub-attributes that are themselves objects; complex attributes "
           "have one level of simple sub-attributes.")
def nested_complex(ctx: CheckContext) -> None:
    ex, created = _post(ctx, ctx.users, ctx.user_body(name={"givenName": {"nested": "object"}, "familyName": "User"}))
    ctx.expect_answer(ex)
    if created is None:
        ctx.expect(ex.status == 400, "400 or a stored value without the nesting", ex.status, ex)
        return
    body, ex = fetch(ctx, ctx.users, created)
    given = (body.get("name") or {}).get("givenName")
    ctx.expect(not isinstance(given, (dict, list)), "givenName dropped or simple", given, ex,
               message="the server stored a nested complex value in name.givenName")


@check(id="attributes.single-primary", quote=QUOTES["attributes.single-primary"], title="At most one value of a multi-valued attribute is primary",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §2.4", checklist=("ATTR-07",),
       fix="Reject two primary values with 400 invalidValue, or keep only one of them primary.")
def single_primary(ctx: CheckContext) -> None:
    emails = [{"value": ctx.unique_email("p1"), "type": "work", "primary": True},
              {"value": ctx.unique_email("p2"), "type": "home", "primary": True}]
    ex, created = _post(ctx, ctx.users, ctx.user_body(emails=emails))
    ctx.expect_answer(ex)
    if created is None:
        ctx.expect(ex.status == 400, "400, or one primary kept", ex.status, ex)
        return
    body, ex = fetch(ctx, ctx.users, created)
    primaries = [e.get("value") for e in body.get("emails") or [] if isinstance(e, dict) and e.get("primary") is True]
    ctx.expect(len(primaries) <= 1, "at most one primary email", primaries, ex,
               message=f"{len(primaries)} emails are primary")


@check(id="attributes.no-duplicate-values", quote=QUOTES["attributes.no-duplicate-values"], title="The same (type, value) pair is not returned twice",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7643 §2.4", checklist=("ATTR-08",),
       fix="Collapse duplicate (type, value) pairs in multi-valued attributes, or reject them with 400.")
def no_duplicate_values(ctx: CheckContext) -> None:
    email = ctx.unique_email("dup")
    same = [{"value": email, "type": "work"}, {"value": email, "type": "work"}]
    ex, created = _post(ctx, ctx.users, ctx.user_body(emails=same))
    ctx.expect_answer(ex)
    if created is None:
        ctx.expect(ex.status == 400, "400, or one value stored", ex.status, ex)
        return
    body, ex = fetch(ctx, ctx.users, created)
    pairs = [(e.get("type"), str(e.get("value")).lower()) for e in body.get("emails") or [] if isinstance(e, dict)]
    ctx.expect(len(pairs) == len(set(pairs)), "each (type, value) once", pairs, ex,
               message="the same email (type, value) is returned twice")


@check(id="attributes.canonical-values", quote=QUOTES["attributes.canonical-values"], title="A non-canonical emails.type is stored as sent or refused (recorded)",
       area=AREA, level=Level.MAY, rests_on="RFC 7643 §2.3.1, §7 (canonicalValues)", checklist=("ATTR-09",),
       fix="Either accept other type values and store them as sent, or refuse them with 400 invalidValue; "
           "never silently rewrite them.")
def canonical_values(ctx: CheckContext) -> None:
    ex, created = _post(ctx, ctx.users, ctx.user_body(emails=[{"value": ctx.unique_email("c"), "type": "custom"}]))
    ctx.expect_answer(ex)
    if created is None:
        ctx.expect(ex.status == 400, "201 or 400", ex.status, ex)
        ctx.note("the target restricts emails.type to its canonical values")
        return
    body, ex = fetch(ctx, ctx.users, created)
    types = [e.get("type") for e in body.get("emails") or [] if isinstance(e, dict)]
    ctx.expect(types == ["custom"], ["custom"], types, ex, message=f"emails.type 'custom' was stored as {types}")
    ctx.note("the target accepts non-canonical emails.type values")


@check(id="attributes.ref-resolves", quote=QUOTES["attributes.ref-resolves"], title="A member's $ref resolves to the member",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §2.3.7, §4.2", checklist=("ATTR-11",), requires=("groups",),
       fix="Fill members[].$ref with the member's URL (absolute, or relative to the base) and make it resolve.")
def ref_resolves(ctx: CheckContext) -> None:
    user = ctx.create_user()
    group = ctx.create_group(members=[{"value": user["id"]}])
    body, ex = fetch(ctx, ctx.groups, group)
    members = [m for m in body.get("members") or [] if isinstance(m, dict)]
    if not members:
        raise CouldNotJudge(f"not judged: the group created with one member lists none (judged by {MEMBERS_DROPPED})",
                            ex, MEMBERS_DROPPED)
    ref = members[0].get("$ref")
    if not ref:
        ctx.skip("the target does not return members[].$ref")
    target = ref if str(ref).startswith(("http://", "https://")) else "/" + str(ref).lstrip("/")
    ex = ctx.get(target)
    resolved = ctx.expect_resource(ex, 200)
    ctx.expect(resolved.get("id") == user["id"], user["id"], resolved.get("id"), ex,
               message=f"members[].$ref {ref} did not resolve to the member")
