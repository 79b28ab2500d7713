"""Common attributes: id, meta, externalId and the schemas array (RFC 7643 §3, §3.1, §3.3)."""

from __future__ import annotations

from urllib.parse import urljoin

from harness.checks import CheckContext, check
from harness.results import Level

from scenarios.conformance.common import expect_error, CORE_USER, ENTERPRISE_USER, fetch, parse_datetime, post_and_track, user_schema_urns
from scenarios.conformance.rfc_text import QUOTES

AREA = "meta"


@check(id="meta.present", quote=QUOTES["meta.present"], title="Every resource has an id and a server-set meta",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §3.1", checklist=("META-01",),
       fix="Return meta with resourceType, created, lastModified, location (and version when ETags are supported).",
       idp_impact="Clients use meta.location and meta.version to address and guard updates.")
def meta_present(ctx: CheckContext) -> None:
    user = ctx.create_user()
    body, ex = fetch(ctx, ctx.users, user)
    ctx.expect(isinstance(body.get("id"), str) and body["id"], "a non-empty id", body.get("id"), ex)
    meta = body.get("meta")
    ctx.expect(isinstance(meta, dict), "a meta object", meta, ex, message="the resource has no meta")
    assert isinstance(meta, dict)
    wanted = ["resourceType", "created", "lastModified", "location"]
    if ctx.discovery.supports("etag"):
        wanted.append("version")
    missing = [k for k in wanted if not meta.get(k)]
    ctx.expect(not missing, f"meta with {wanted}", meta, ex, message=f"meta lacks {missing}")


@check(id="meta.last-modified", quote=QUOTES["meta.last-modified"], title="lastModified equals created at first and moves forward on change",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §3.1", checklist=("META-02",),
       fix="Set lastModified = created on create, and to the time of the change on every modification.")
def last_modified(ctx: CheckContext) -> None:
    user = ctx.create_user()
    meta = user.get("meta") or {}
    created, modified = parse_datetime(meta.get("created")), parse_datetime(meta.get("lastModified"))
    ctx.expect(created is not None and created == modified, "lastModified == created after create",
               {"created": meta.get("created"), "lastModified": meta.get("lastModified")})
    assert created is not None
    ex = ctx.put(f"{ctx.users}/{user['id']}", ctx.user_body(userName=user["userName"], displayName="Changed"))
    ctx.expect_resource(ex, 200)
    body, ex = fetch(ctx, ctx.users, user)
    after = body.get("meta") or {}
    later = parse_datetime(after.get("lastModified"))
    ctx.expect(later is not None and later >= created, f"lastModified >= created ({meta.get('created')})",
               after.get("lastModified"), ex, message="lastModified went backwards after a change")
    ctx.expect(after.get("created") == meta.get("created"), meta.get("created"), after.get("created"), ex,
               message="meta.created changed on update")
    # With microsecond timestamps a real change is always strictly later; coarser clocks may tie.
    if _fraction_digits(meta.get("lastModified")) >= 6 and modified is not None and later is not None:
        ctx.expect(later > modified, f"lastModified later than {meta.get('lastModified')}", after.get("lastModified"), ex,
                   message="lastModified did not move forward after a change")


def _fraction_digits(value: object) -> int:
    text = str(value)
    if "." not in text:
        return 0
    return len(text.split(".", 1)[1].rstrip("Z").split("+")[0].split("-")[0])


@check(id="meta.location-resolves", quote=QUOTES["meta.location-resolves"], title="meta.location is the resource's own URL",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §3.1; RFC 7644 §3.3", checklist=("META-03",),
       fix="Set meta.location to the absolute URL of the resource (base URL + /Users/{id}).")
def location_resolves(ctx: CheckContext) -> None:
    user = ctx.create_user()
    location = (user.get("meta") or {}).get("location")
    ctx.expect(isinstance(location, str) and location.strip() != "", "a URI", location)
    # A reference is "an absolute or relative URI" (RFC 7643 §2.3.7): a relative one is
    # resolved (RFC 3986 §5.2) against the URL the representation came from, the POST's.
    resolved = urljoin(ctx.client.url_for(ctx.users), str(location))
    ex = ctx.get(resolved)
    if ex.error and "another origin" in ex.error:
        ctx.fail("meta.location points at another origin than the target", ctx.client.url_for(f"{ctx.users}/{user['id']}"),
                 location, ex)
    body = ctx.expect_resource(ex, 200)
    ctx.expect(body.get("id") == user["id"], user["id"], body.get("id"), ex,
               message="GET meta.location returned another resource")


@check(id="meta.client-meta-ignored", quote=QUOTES["meta.client-meta-ignored"], title="meta sent by the client is ignored",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §3.1", checklist=("META-04",),
       fix="Ignore client-supplied meta: resourceType comes from the endpoint, timestamps from the server.")
def client_meta_ignored(ctx: CheckContext) -> None:
    user = ctx.create_user(meta={"resourceType": "Group", "location": "https://elsewhere.example/x"})
    meta = user.get("meta") or {}
    ctx.expect(meta.get("resourceType") == "User", "User", meta.get("resourceType"),
               message="client meta.resourceType was kept")
    ctx.expect("elsewhere.example" not in str(meta.get("location")), "a server-set location", meta.get("location"),
               message="client meta.location was kept")


@check(id="meta.external-id-not-invented", quote=QUOTES["meta.external-id-not-invented"], title="The server never invents an externalId",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §3.1 (externalId)", checklist=("META-05",),
       fix="externalId belongs to the client: leave it unassigned when the client did not send one.")
def external_id_not_invented(ctx: CheckContext) -> None:
    user = ctx.create_user()
    body, ex = fetch(ctx, ctx.users, user)
    ctx.expect(body.get("externalId") in (None, ""), "no externalId", body.get("externalId"), ex)


@check(id="schemas.resource-schemas", quote=QUOTES["schemas.resource-schemas"], title="schemas is a non-empty list of the type's own URNs, without duplicates",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §3", checklist=("SCH-01", "SCH-02"),
       fix="Return schemas with the base URN first and only extensions of that ResourceType, each once.")
def resource_schemas(ctx: CheckContext) -> None:
    user = ctx.create_user()
    body, ex = fetch(ctx, ctx.users, user)
    schemas = body.get("schemas")
    ctx.expect(isinstance(schemas, list) and schemas, "a non-empty list", schemas, ex)
    assert isinstance(schemas, list)
    ctx.expect(len(schemas) == len(set(schemas)), "no duplicates", schemas, ex, message="schemas lists a URN twice")
    ctx.expect(CORE_USER in schemas, CORE_USER, schemas, ex, message="schemas lacks the base User URN")
    foreign = [s for s in schemas if s not in user_schema_urns(ctx)]
    ctx.expect(not foreign, "only User and its extensions", foreign, ex, message=f"schemas lists foreign URNs {foreign}")


@check(id="schemas.extension-only-with-data", quote=QUOTES["schemas.extension-only-with-data"], title="An extension URN is listed only when its data is present",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §3, §3.3", checklist=("SCH-02",),
       fix="Add an extension URN to schemas only when the resource holds attributes of that extension.")
def extension_only_with_data(ctx: CheckContext) -> None:
    user = ctx.create_user()
    body, ex = fetch(ctx, ctx.users, user)
    extensions = {e["schema"] for e in ctx.discovery.extensions("User")} | {ENTERPRISE_USER}
    listed = [s for s in body.get("schemas") or [] if s in extensions and s not in body]
    ctx.expect(not listed, "no extension URN without extension data", listed, ex,
               message=f"schemas lists {listed} but the user has no data for it")


@check(id="schemas.unknown-urn-400", quote=QUOTES["schemas.unknown-urn-400"], title="A request with an unknown schema URN answers 400",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7643 §3; RFC 7644 §3.12", checklist=("SCH-04",),
       fix='Reject schemas values you do not serve with 400 (scimType "invalidSyntax" or "invalidValue").')
def unknown_urn(ctx: CheckContext) -> None:
    body = ctx.user_body()
    body["schemas"] = [CORE_USER, "urn:example:params:scim:schemas:nope:1.0:Thing"]
    ex = post_and_track(ctx, ctx.users, body)
    expect_error(ctx, ex, 400)


@check(id="schemas.missing-base-400", quote=QUOTES["schemas.missing-base-400"], title="A request without the base schema URN answers 400",
       area=AREA, level=Level.SHOULD, rests_on="RFC 7643 §3; RFC 7644 §3.12", checklist=("SCH-04",),
       fix='Require the resource type\'s base URN in schemas; answer 400 ("invalidSyntax" or "invalidValue").')
def missing_base(ctx: CheckContext) -> None:
    body = ctx.user_body()
    body["schemas"] = []
    ex = post_and_track(ctx, ctx.users, body)
    expect_error(ctx, ex, 400)
