"""Bulk operations (RFC 7644 §3.7). Judged only when ServiceProviderConfig advertises bulk."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from harness.checks import BULK_REQUEST_URN, BULK_RESPONSE_URN, CheckContext, check
from harness.recorder import Exchange
from harness.results import Level

from scenarios.conformance._probes import member_ids, read_back
from scenarios.conformance.common import expect_error
from scenarios.conformance.rfc_text import QUOTES

AREA = "bulk"
RFC = "RFC 7644 §3.7"


def _bulk(ctx: CheckContext, operations: list[dict[str, Any]], **extra: Any) -> Exchange:
    return ctx.post("/Bulk", {"schemas": [BULK_REQUEST_URN], "Operations": operations, **extra})


def _status(result: dict[str, Any]) -> str:
    """An op's status: a string, or {"code": …} as in RFC 7644 §3.7.2 prose (both accepted)."""
    status = result.get("status")
    if isinstance(status, dict):
        status = status.get("code")
    return str(status)


def _results(ctx: CheckContext, ex: Exchange) -> list[dict[str, Any]]:
    body = ctx.expect_resource(ex, 200)
    ctx.expect(BULK_RESPONSE_URN in (body.get("schemas") or []), f"schemas [{BULK_RESPONSE_URN}]", body.get("schemas"), ex)
    results = body.get("Operations")
    ctx.expect(isinstance(results, list), "an Operations array", results, ex)
    ops = [r for r in results or [] if isinstance(r, dict)]  # a list here: expect() raised otherwise
    for r in ops:  # register whatever was created, for cleanup
        location = r.get("location")
        if isinstance(location, str) and _status(r).startswith("2") and r.get("method", "").upper() == "POST":
            ctx.created(_local(location))
    return ops


def _local(location: str) -> str:
    """``/Users/{id}`` from an absolute location (cleanup goes through the target client)."""
    path = urlsplit(location).path
    for marker in ("/Users/", "/Groups/"):
        if marker in path:
            return marker.rstrip("/") + "/" + path.split(marker, 1)[1]
    return location


def _user_op(ctx: CheckContext, bulk_id: str | None, user_name: str | None = None) -> dict[str, Any]:
    op: dict[str, Any] = {"method": "POST", "path": "/Users", "data": ctx.user_body(userName=user_name)}
    if bulk_id:
        op["bulkId"] = bulk_id
    return op


@check(id="bulk.posts", quote=QUOTES["bulk.posts"], title="A BulkRequest of two POSTs answers a BulkResponse with one result each",
       area=AREA, level=Level.MUST, rests_on=f"{RFC}, §3.7.3", checklist=("BULK-01", "BULK-02"), requires=("bulk",),
       fix="Process each operation and answer 200 with a BulkResponse listing method, bulkId, location and status.")
def posts(ctx: CheckContext) -> None:
    ex = _bulk(ctx, [_user_op(ctx, "one"), _user_op(ctx, "two")])
    results = _results(ctx, ex)
    ctx.expect(len(results) == 2, "2 results", len(results), ex)
    by_id = {r.get("bulkId"): r for r in results}
    for key in ("one", "two"):
        r = by_id.get(key) or {}
        ctx.expect(_status(r) == "201" and isinstance(r.get("location"), str), f"bulkId {key}: 201 with a location",
                   r, ex)


@check(id="bulk.bulkid-reference", quote=QUOTES["bulk.bulkid-reference"], title="bulkId references in data resolve to the new ids",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.7.2", checklist=("BULK-03",), requires=("bulk", "groups"),
       fix='Replace "bulkId:<id>" values with the created resource id, whatever the operation order.')
def bulkid_reference(ctx: CheckContext) -> None:
    group_op = {"method": "POST", "path": "/Groups", "bulkId": "grp",
                "data": ctx.group_body(members=[{"type": "User", "value": "bulkId:usr"}])}
    ex = _bulk(ctx, [group_op, _user_op(ctx, "usr")])  # the reference comes first on purpose
    results = {r.get("bulkId"): r for r in _results(ctx, ex)}
    ctx.expect(_status(results.get("grp", {})) == "201" and _status(results.get("usr", {})) == "201",
               "both 201", {k: _status(v) for k, v in results.items()}, ex)
    user_id = _local(results["usr"]["location"]).rsplit("/", 1)[-1]
    group, got = read_back(ctx, _local(results["grp"]["location"]))
    ctx.expect(member_ids(group) == {user_id}, [user_id], sorted(member_ids(group)), got,
               message="the group's member is not the user created by bulkId")


@check(id="bulk.fail-on-errors", quote=QUOTES["bulk.fail-on-errors"], title="failOnErrors stops processing after that many errors",
       area=AREA, level=Level.MUST, rests_on=RFC, checklist=("BULK-05",), requires=("bulk",),
       fix="Count failed operations; stop once failOnErrors is reached and return the results so far.")
def fail_on_errors(ctx: CheckContext) -> None:
    taken = ctx.create_user()
    bad = [_user_op(ctx, f"bad{i}", user_name=taken["userName"]) for i in range(2)]
    ex = _bulk(ctx, [*bad, _user_op(ctx, "good")], failOnErrors=1)
    results = _results(ctx, ex)
    ctx.expect("good" not in {r.get("bulkId") for r in results}, "processing stopped after the first error",
               [r.get("bulkId") for r in results], ex)


@check(id="bulk.failed-op-error", quote=QUOTES["bulk.failed-op-error"], title="A failed operation carries its status and a SCIM error, and no location",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.7.3", checklist=("BULK-06",), requires=("bulk",),
       fix="For a failed op, set status to the HTTP code and response to a SCIM Error; omit location.")
def failed_op(ctx: CheckContext) -> None:
    taken = ctx.create_user()
    ex = _bulk(ctx, [_user_op(ctx, "dup", user_name=taken["userName"])])
    results = _results(ctx, ex)
    r = results[0] if results else {}
    ctx.expect(_status(r) == "409", "status 409", _status(r), ex)
    response = found if isinstance(found := r.get("response"), dict) else {}
    ctx.expect(bool(response), "a response holding the SCIM error", r.get("response"), ex,
               message="the failed operation carries no error response")
    if response.get("scimType") != "uniqueness":  # scimType is OPTIONAL (RFC 7644 §3.12): recorded
        ctx.note(f"the failed operation's scimType is {response.get('scimType')!r}; Table 9 names uniqueness")
    ctx.expect(not r.get("location"), "no location", r.get("location"), ex)


@check(id="bulk.max-operations-413", quote=QUOTES["bulk.max-operations-413"], title="More than maxOperations answers 413",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.7.4", checklist=("BULK-07",), requires=("bulk",),
       fix="Refuse a BulkRequest over maxOperations with 413 and the limit in detail.")
def max_operations(ctx: CheckContext) -> None:
    limit = ctx.discovery.limit("bulk", "maxOperations")
    if limit is None or limit > 5000:
        ctx.skip(f"bulk.maxOperations is {limit}; too large to probe")
    ops = [{"method": "DELETE", "path": f"/Users/{ctx.unique('none')}", "bulkId": f"d{i}"} for i in range(limit + 1)]
    ex = _bulk(ctx, ops)
    expect_error(ctx, ex, 413)


@check(id="bulk.post-without-bulkid", quote=QUOTES["bulk.post-without-bulkid"], title="A POST operation without bulkId fails; the others still run",
       area=AREA, level=Level.MUST, rests_on=RFC, checklist=("BULK-02",), requires=("bulk",),
       fix="Reject (4xx status in its result) a bulk POST that carries no bulkId; process the other operations.")
def post_without_bulkid(ctx: CheckContext) -> None:
    ex = _bulk(ctx, [_user_op(ctx, None), _user_op(ctx, "kept")])
    results = _results(ctx, ex)
    by_id = {r.get("bulkId"): r for r in results}
    ctx.expect(_status(by_id.get("kept", {})) == "201", "the op with a bulkId: 201", _status(by_id.get("kept", {})), ex)
    unnamed = [r for r in results if not r.get("bulkId")]
    ctx.expect(len(unnamed) == 1 and _status(unnamed[0]).startswith("4"), "the op without bulkId: a 4xx status",
               [_status(r) for r in unnamed], ex, message="a POST without bulkId was not refused")


@check(id="bulk.circular-references", quote=QUOTES["bulk.circular-references"], title="Groups referring to each other by bulkId are resolved, or fail with 409",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §3.7.1", checklist=("BULK-04",), requires=("bulk", "groups"),
       fix="Resolve circular bulkId references (create, then patch members), or fail those ops with 409.")
def circular(ctx: CheckContext) -> None:
    ops = [{"method": "POST", "path": "/Groups", "bulkId": "ga",
            "data": ctx.group_body(members=[{"type": "Group", "value": "bulkId:gb"}])},
           {"method": "POST", "path": "/Groups", "bulkId": "gb",
            "data": ctx.group_body(members=[{"type": "Group", "value": "bulkId:ga"}])}]
    ex = _bulk(ctx, ops)
    results = {r.get("bulkId"): r for r in _results(ctx, ex)}
    statuses = {k: _status(results.get(k, {})) for k in ("ga", "gb")}
    if set(statuses.values()) == {"409"}:
        ctx.note("circular references refused with 409 (allowed)")
        return
    ctx.expect(set(statuses.values()) == {"201"}, "both 201 (resolved) or both 409", statuses, ex)
    ga_id = _local(results["ga"]["location"]).rsplit("/", 1)[-1]
    gb_id = _local(results["gb"]["location"]).rsplit("/", 1)[-1]
    ga, got = read_back(ctx, _local(results["ga"]["location"]))
    ctx.expect(member_ids(ga) == {gb_id}, [gb_id], sorted(member_ids(ga)), got, message="bulkId:gb was not resolved")
    gb, got = read_back(ctx, _local(results["gb"]["location"]))
    ctx.expect(member_ids(gb) == {ga_id}, [ga_id], sorted(member_ids(gb)), got, message="bulkId:ga was not resolved")
