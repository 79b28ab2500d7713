"""``POST /Bulk`` (RFC 7644 §3.7).

* ``bulkId:x`` references (in data and in paths) are replaced with the id the POST with bulkId x
  created, whatever the order of the operations: an operation waits until the ones it refers to
  have run (§3.7.2).  References that can never resolve because they form a cycle -> 409 (§3.7.1);
  a reference to a bulkId that no POST defines, or whose POST failed -> 409 too.
* ``failOnErrors=N``: processing stops after N errors; the results so far are returned (§3.7).
* More than maxOperations operations, or a body over maxPayloadSize -> 413 naming the limit (§3.7.4).
* Results come in processing order; ``status`` is the HTTP code as a string; a failed operation
  carries the SCIM error in ``response`` and no ``location`` (§3.7.3).
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from reference_server.endpoints.common import ScimResponse, base_url, read_object
from reference_server.errors import Conflict, InvalidSyntax, InvalidValue, NotFound, PayloadTooLarge, ScimError
from reference_server.service import ENDPOINTS, ScimService, etag

BULK_REQUEST = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"
_TYPES = {v: k for k, v in ENDPOINTS.items()}


def _refs(value: Any, out: set[str]) -> set[str]:
    if isinstance(value, str) and value.startswith("bulkId:"):
        out.add(value[7:])
    elif isinstance(value, dict):
        for v in value.values():
            _refs(v, out)
    elif isinstance(value, list):
        for v in value:
            _refs(v, out)
    return out


def _resolve(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str) and value.startswith("bulkId:") and value[7:] in ids:
        return ids[value[7:]]
    if isinstance(value, dict):
        return {k: _resolve(v, ids) for k, v in value.items()}
    if isinstance(value, list):
        return [_resolve(v, ids) for v in value]
    return value


def _resolve_path(path: str, ids: dict[str, str]) -> str:
    parts = path.split("/")
    return "/".join(ids.get(p[7:], p) if p.startswith("bulkId:") else p for p in parts)


class _Bulk:
    def __init__(self, service: ScimService, base: str) -> None:
        self.service, self.base = service, base
        self.ids: dict[str, str] = {}

    def run_one(self, op: dict[str, Any]) -> dict[str, Any]:
        method = str(op.get("method", "")).upper()
        bulk_id = op.get("bulkId")
        result: dict[str, Any] = {"method": method or op.get("method")}
        if bulk_id is not None:
            result["bulkId"] = bulk_id
        try:
            status, row = self._execute(method, op, bulk_id)
        except ScimError as exc:
            result["status"] = str(exc.status)
            result["response"] = exc.to_body()
            return result
        if row is not None:
            result["location"] = f"{self.base}/{ENDPOINTS[row.type]}/{row.id}"
            result["version"] = etag(row.version)
        result["status"] = str(status)
        return result

    def _execute(self, method: str, op: dict[str, Any], bulk_id: Any) -> tuple[int, Any]:
        path = op.get("path")
        if not isinstance(path, str) or not path.startswith("/"):
            raise InvalidSyntax("each operation needs a path such as /Users or /Users/{id}")
        parts = [p for p in _resolve_path(path, self.ids).split("/") if p]
        rtype = _TYPES.get(parts[0]) if parts else None
        if rtype is None or len(parts) > 2:
            raise NotFound(f"no resource endpoint at {path}")
        data = _resolve(op.get("data"), self.ids)
        version = op.get("version")
        if method == "POST":
            if len(parts) != 1:
                raise InvalidSyntax("POST goes to the resource endpoint (/Users or /Groups)")
            if not isinstance(bulk_id, str) or not bulk_id:
                raise InvalidSyntax("a POST operation needs a bulkId (RFC 7644 §3.7)")
            row = self.service.create(rtype, data)
            self.ids[bulk_id] = row.id
            return 201, row
        if len(parts) != 2:
            raise InvalidSyntax(f"{method} needs a path with an id (/{parts[0]}/{{id}})")
        rid = parts[1]
        if method == "PUT":
            row, created = self.service.replace(rtype, rid, data, if_match=version)
            return (201 if created else 200), row
        if method == "PATCH":
            return 200, self.service.patch(rtype, rid, data, if_match=version)
        if method == "DELETE":
            self.service.delete(rtype, rid, if_match=version)
            return 204, None
        raise InvalidSyntax(f"unsupported bulk method {op.get('method')!r}")


async def post_bulk(request: Request) -> Response:
    settings = request.app.state.settings
    body = await read_object(request)
    schemas = body.get("schemas")
    if not isinstance(schemas, list) or BULK_REQUEST not in schemas:
        raise InvalidSyntax(f"a bulk request must have schemas [{BULK_REQUEST}]")
    ops = body.get("Operations")
    if not isinstance(ops, list) or not all(isinstance(o, dict) for o in ops):
        raise InvalidSyntax("'Operations' must be an array of objects")
    if len(ops) > settings.bulk_max_operations:
        raise PayloadTooLarge(f"{len(ops)} operations exceed maxOperations={settings.bulk_max_operations}")
    fail_on = body.get("failOnErrors")
    if fail_on is not None and (not isinstance(fail_on, int) or isinstance(fail_on, bool) or fail_on < 1):
        raise InvalidValue("failOnErrors must be a positive integer")
    bulk = _Bulk(request.app.state.service, base_url(request))
    defined = {o["bulkId"] for o in ops if str(o.get("method", "")).upper() == "POST" and isinstance(o.get("bulkId"), str)}
    pending = list(ops)
    results: list[dict[str, Any]] = []
    errors = 0

    def done(result: dict[str, Any]) -> bool:
        nonlocal errors
        results.append(result)
        if int(result["status"]) >= 400:
            errors += 1
        return fail_on is not None and errors >= fail_on

    while pending:
        progressed = False
        for op in list(pending):
            refs = _refs(op.get("data"), set()) | _refs(op.get("path"), set())
            waiting = {r for r in refs if r not in bulk.ids}
            if waiting and waiting <= defined and any(
                    p is not op and p.get("bulkId") in waiting for p in pending):
                continue  # its references are created by operations still to run
            pending.remove(op)
            progressed = True
            if waiting:
                err = Conflict(f"bulkId reference(s) {', '.join(sorted(waiting))} cannot be resolved")
                result = {"method": op.get("method"), "status": "409", "response": err.to_body()}
                if op.get("bulkId") is not None:
                    result["bulkId"] = op["bulkId"]
            else:
                result = bulk.run_one(op)
            if done(result):
                return _response(results)
        if not progressed:  # what is left refers only to itself: circular references (RFC 7644 §3.7.1)
            for op in pending:
                err = Conflict("circular bulkId references cannot be resolved")
                result = {"method": op.get("method"), "status": "409", "response": err.to_body()}
                if op.get("bulkId") is not None:
                    result["bulkId"] = op["bulkId"]
                if done(result):
                    return _response(results)
            break
    return _response(results)


def _response(results: list[dict[str, Any]]) -> ScimResponse:
    return ScimResponse({"schemas": [BULK_RESPONSE], "Operations": results})
