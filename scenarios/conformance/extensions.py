"""Schema extensions: the enterprise User and custom extensions (RFC 7643 §3.3, §4.3, §6)."""

from __future__ import annotations

from typing import Any

from harness.checks import OMIT, CheckContext, CouldNotJudge, check
from harness.results import Level

from scenarios.conformance.common import expect_error, expect_projected, CORE_USER, ENTERPRISE_USER, fetch, post_and_track
from scenarios.conformance._probes import patch_ok
from scenarios.conformance.rfc_text import QUOTES

AREA = "extensions"
ENTERPRISE_FIELDS = ("employeeNumber", "costCenter", "organization", "division", "department")


def _enterprise(ctx: CheckContext, manager_id: str | None = None) -> dict[str, Any]:
    data: dict[str, Any] = {name: f"{name}-{ctx.unique('e')}" for name in ENTERPRISE_FIELDS}
    if manager_id:
        data["manager"] = {"value": manager_id}
    return data


def _enterprise_user(ctx: CheckContext, data: dict[str, Any], **attrs: Any) -> dict[str, Any]:
    return ctx.create_user(schemas=[CORE_USER, ENTERPRISE_USER], **{ENTERPRISE_USER: data}, **attrs)


@check(id="extensions.enterprise-round-trip", quote=QUOTES["extensions.enterprise-round-trip"], title="Enterprise User attributes round-trip inside their URN object",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §3.3, §4.3", checklist=("EXT-01", "EXT-02", "SCH-02"),
       requires=("enterprise",),
       fix="Store employeeNumber, costCenter, organization, division, department and manager under the key "
           f"\"{ENTERPRISE_USER}\", return them there, and list that URN in schemas.",
       idp_impact="Entra maps department, employeeNumber and manager by default; they are lost silently.")
def enterprise_round_trip(ctx: CheckContext) -> None:
    manager = ctx.create_user()
    data = _enterprise(ctx, manager["id"])
    user = _enterprise_user(ctx, data)
    body, ex = fetch(ctx, ctx.users, user)
    ext = body.get(ENTERPRISE_USER)
    ctx.expect(isinstance(ext, dict), f"an object under {ENTERPRISE_USER}", sorted(body), ex,
               message="the enterprise extension data is not under its URN")
    assert isinstance(ext, dict)
    wrong = {k: ext.get(k) for k in ENTERPRISE_FIELDS if ext.get(k) != data[k]}
    ctx.expect(not wrong, {k: data[k] for k in wrong}, wrong, ex, message=f"enterprise attributes did not round-trip: {sorted(wrong)}")
    ctx.expect((ext.get("manager") or {}).get("value") == manager["id"], manager["id"], ext.get("manager"), ex,
               message="manager.value did not round-trip")
    top = [k for k in ENTERPRISE_FIELDS if k in body]
    ctx.expect(not top, "no extension attributes at the top level", top, ex)
    ctx.expect(ENTERPRISE_USER in (body.get("schemas") or []), ENTERPRISE_USER, body.get("schemas"), ex,
               message="schemas lacks the enterprise URN although the user has enterprise data")


@check(id="extensions.manager-display-name-readonly", quote=QUOTES["extensions.manager-display-name-readonly"], title="manager.displayName is readOnly",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §4.3 (manager.displayName readOnly), §2.2",
       checklist=("EXT-02",), requires=("enterprise",),
       fix="Ignore a client-supplied manager.displayName; fill it from the manager's own displayName, or omit it.")
def manager_display_name(ctx: CheckContext) -> None:
    manager = ctx.create_user(displayName="Real Manager")
    fake = f"Fake {ctx.unique('mgr')}"
    user = _enterprise_user(ctx, {"manager": {"value": manager["id"], "displayName": fake}})
    body, ex = fetch(ctx, ctx.users, user)
    shown = ((body.get(ENTERPRISE_USER) or {}).get("manager") or {}).get("displayName")
    ctx.expect(shown != fake, "the manager's own displayName, or none", shown, ex,
               message="the server stored the client's manager.displayName")


@check(id="extensions.urn-in-attributes", quote=QUOTES["extensions.urn-in-attributes"], title="attributes accepts an extension attribute under its URN",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.10, §3.9", checklist=("EXT-03", "READ-08"),
       requires=("enterprise",),
       fix=f"Resolve {ENTERPRISE_USER}:department in attributes= to the extension's department.")
def urn_in_attributes(ctx: CheckContext) -> None:
    data = _enterprise(ctx)
    user = _enterprise_user(ctx, data)
    body, ex = fetch(ctx, ctx.users, user, params={"attributes": f"{ENTERPRISE_USER}:department"})
    ext = body.get(ENTERPRISE_USER)
    if not (isinstance(ext, dict) and ext.get("department") == data["department"]):
        plain, got = fetch(ctx, ctx.users, user)
        if ((plain.get(ENTERPRISE_USER) or {}).get("department")) != data["department"]:
            raise CouldNotJudge("not judged: the user's enterprise department is not stored at all (judged by "
                                "extensions.enterprise-round-trip)", got, "extensions.enterprise-round-trip")
    ctx.expect(isinstance(ext, dict) and ext.get("department") == data["department"], data["department"], ext, ex,
               message="the URN-qualified department was not returned")
    assert isinstance(ext, dict)
    expect_projected(ctx, "employeeNumber" not in ext and "emails" not in body, "only department", sorted(body), ex,
                     "attributes=<urn>:department returned more than department", refinement=True)


@check(id="extensions.manager-by-patch", quote=QUOTES["extensions.manager-by-patch"], title="manager can be set by PATCH on its URN path",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §4.3; RFC 7644 §3.5.2, §3.10", checklist=("EXT-04", "EXT-03"),
       requires=("enterprise", "patch"),
       fix=f'Support {{"op":"replace","path":"{ENTERPRISE_USER}:manager","value":{{"value":"<id>"}}}}.',
       idp_impact="Entra sets the manager this way; the org chart never arrives.")
def manager_by_patch(ctx: CheckContext) -> None:
    manager, user = ctx.create_user(), ctx.create_user()
    patch_ok(ctx, f"{ctx.users}/{user['id']}",
             {"op": "replace", "path": f"{ENTERPRISE_USER}:manager", "value": {"value": manager["id"]}})
    body, ex = fetch(ctx, ctx.users, user)
    value = ((body.get(ENTERPRISE_USER) or {}).get("manager") or {}).get("value")
    ctx.expect(value == manager["id"], manager["id"], value, ex, message="manager.value was not set by PATCH")
    ctx.expect(ENTERPRISE_USER in (body.get("schemas") or []), ENTERPRISE_USER, body.get("schemas"), ex,
               message="PATCH added enterprise data but not its URN to schemas")


@check(id="extensions.required-extension", quote=QUOTES["extensions.required-extension"], title="A ResourceType's required extension is enforced",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §6 (schemaExtensions.required)", checklist=("EXT-05",),
       fix="Reject a resource without an extension its ResourceType declares required:true (400 invalidValue).")
def required_extension(ctx: CheckContext) -> None:
    required = [e["schema"] for e in ctx.discovery.extensions("User") if e.get("required") is True]
    if not required:
        ctx.skip("no User extension is declared required")
    ex = post_and_track(ctx, ctx.users, ctx.user_body(**{urn: OMIT for urn in required}))
    expect_error(ctx, ex, 400)


def _custom_extension(ctx: CheckContext) -> tuple[str, str] | None:
    """A non-enterprise User extension and one writable single-valued string attribute of it."""
    for ext in ctx.discovery.extensions("User"):
        urn = ext["schema"]
        if urn.lower() == ENTERPRISE_USER.lower():
            continue
        for attr in ctx.discovery.attributes_where(urn, type="string", multiValued=False, mutability="readWrite"):
            if attr["returned"] in ("default", "always"):
                return urn, str(attr["name"])
    return None


@check(id="extensions.custom-extension", quote=QUOTES["extensions.custom-extension"], title="A custom User extension round-trips like the enterprise one",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §3.3, §6", checklist=("EXT-06", "EXT-01"),
       fix="Store and return custom extension attributes under their URN, and list the URN in schemas.")
def custom_extension(ctx: CheckContext) -> None:
    found = _custom_extension(ctx)
    if found is None:
        ctx.skip("the User ResourceType declares no custom extension with a writable string attribute")
    assert found is not None
    urn, name = found
    value = ctx.unique("custom")
    user = ctx.create_user(schemas=[CORE_USER, urn], **{urn: {name: value}})
    body, ex = fetch(ctx, ctx.users, user)
    ctx.expect((body.get(urn) or {}).get(name) == value, value, body.get(urn), ex,
               message=f"{urn}:{name} did not round-trip")
    ctx.expect(urn in (body.get("schemas") or []), urn, body.get("schemas"), ex)
    ex = ctx.get(f"{ctx.users}/{user['id']}", params={"attributes": f"{urn}:{name}"})
    projected = ctx.expect_resource(ex, 200)
    ctx.expect((projected.get(urn) or {}).get(name) == value and "emails" not in projected,
               f"only {urn}:{name}", sorted(projected), ex, message="attributes=<custom urn>:attr was not honoured")
