"""A small in-memory SCIM service as an ``httpx.MockTransport`` handler (tests only).

Enough of RFC 7644 to test the mock IdP without the reference server: eq filters on
userName/displayName (case-insensitive), paging, POST with 409 on a duplicate userName,
GET/PATCH/DELETE by id, the PATCH forms Entra and JumpCloud send (pathed ops, path-less
replace with dotted keys, ``emails[type eq "work"].value``, ``members[value eq "id"]``,
remove ``members`` with a value list). ``strict_ops`` / ``strict_booleans`` make it reject
``"Replace"`` and ``"False"`` like the reference server's quirks do.
"""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx

LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"


class FakeScim:
    def __init__(self, strict_ops: bool = False, strict_booleans: bool = False, probe_404: bool = False,
                 case_sensitive_filter: bool = False) -> None:
        self.case_sensitive_filter = case_sensitive_filter
        self.users: dict[str, dict[str, Any]] = {}
        self.groups: dict[str, dict[str, Any]] = {}
        self.requests: list[httpx.Request] = []
        self.strict_ops = strict_ops
        self.strict_booleans = strict_booleans
        self.probe_404 = probe_404
        self._n = 0

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def client(self, base: str = "http://fake") -> httpx.Client:
        return httpx.Client(transport=self.transport(), base_url=base)

    def _id(self) -> str:
        self._n += 1
        return str(uuid.UUID(int=self._n))

    def handle(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        parts = [p for p in request.url.path.split("/") if p]
        while parts and parts[0] not in {"Users", "Groups"}:
            parts = parts[1:]  # the base path (e.g. /scim)
        kind = parts[0] if parts else ""
        store = self.users if kind == "Users" else self.groups if kind == "Groups" else None
        if store is None:
            return _error(404, "no such endpoint")
        body = json.loads(request.content) if request.content else None
        if len(parts) == 1:
            if request.method == "GET":
                return self._list(store, request)
            if request.method == "POST":
                return self._create(kind, store, body)
        elif len(parts) == 2:
            item = store.get(parts[1])
            if item is None:
                return _error(404, "not found")
            if request.method == "GET":
                return _json(200, item)
            if request.method == "DELETE":
                del store[parts[1]]
                if kind == "Users":
                    for g in self.groups.values():
                        g["members"] = [m for m in g.get("members", []) if m["value"] != parts[1]]
                return httpx.Response(204, stream=httpx.ByteStream(b""))
            if request.method == "PATCH":
                return self._patch(item, body)
        return _error(405, "method not allowed")

    def _list(self, store: dict[str, dict[str, Any]], request: httpx.Request) -> httpx.Response:
        items = list(store.values())
        flt = request.url.params.get("filter")
        if flt:
            m = re.match(r'^(\w+) eq "(.*)"$', flt)
            if not m:
                return _error(400, "bad filter", "invalidFilter")
            attr, value = m.group(1), m.group(2).replace('\\"', '"')
            if self.case_sensitive_filter:
                items = [i for i in items if str(i.get(attr, "")) == value]
            else:
                items = [i for i in items if str(i.get(attr, "")).lower() == value.lower()]
            if not items and self.probe_404:
                return _error(404, "no match")
        start = int(request.url.params.get("startIndex", 1))
        count = int(request.url.params.get("count", 100))
        page = items[start - 1 : start - 1 + count]
        if request.url.params.get("excludedAttributes") == "members":
            page = [{k: v for k, v in i.items() if k != "members"} for i in page]
        return _json(200, {"schemas": [LIST], "totalResults": len(items), "startIndex": start,
                           "itemsPerPage": len(page), "Resources": page})

    def _create(self, kind: str, store: dict[str, dict[str, Any]], body: Any) -> httpx.Response:
        key = "userName" if kind == "Users" else "displayName"
        if any(str(i.get(key, "")).lower() == str(body.get(key, "")).lower() for i in store.values()):
            return _error(409, f"{key} already exists", "uniqueness")
        item = {k: v for k, v in body.items() if k != "meta"}
        item["id"] = self._id()
        item["meta"] = {"resourceType": kind[:-1]}
        if kind == "Groups":
            item.setdefault("members", [])
        store[item["id"]] = item
        return _json(201, item)

    def _patch(self, item: dict[str, Any], body: Any) -> httpx.Response:
        for op in body.get("Operations", []):
            name = op.get("op", "")
            if self.strict_ops and name != name.lower():
                return _error(400, f"unknown op {name!r}", "invalidSyntax")
            value = op.get("value")
            if self.strict_booleans and isinstance(value, str) and value in {"True", "False"}:
                return _error(400, "active must be a boolean", "invalidValue")
            name = name.lower()
            path = op.get("path")
            if path is None:
                for key, v in value.items():
                    if isinstance(v, dict) and isinstance(item.get(key), dict):
                        item[key] = {**item[key], **v}  # unnamed sub-attributes are kept (RFC 7644 §3.5.2.3)
                    else:
                        _set(item, key, v)
                continue
            m = re.match(r'^members\[value eq "(.*)"\]$', path)
            if m:
                item["members"] = [x for x in item.get("members", []) if x["value"] != m.group(1)]
            elif path == "members":
                values = [{"value": v["value"]} for v in value]
                if name == "add":
                    have = {x["value"] for x in item.setdefault("members", [])}
                    item["members"].extend(v for v in values if v["value"] not in have)
                elif name == "remove":
                    drop = {v["value"] for v in values}
                    item["members"] = [x for x in item.get("members", []) if x["value"] not in drop]
                else:
                    item["members"] = values
            elif name == "remove":
                _set(item, path, None)
            else:
                _set(item, path, value)
        return _json(200, item)


def _set(item: dict[str, Any], path: str, value: Any) -> None:
    if isinstance(value, str) and value in {"True", "False"} and path == "active":
        value = value == "True"
    m = re.match(r'^(\w+)\[type eq "(\w+)"\]\.(\w+)$', path)
    if m:
        items = item.setdefault(m.group(1), [])
        entry = next((i for i in items if i.get("type") == m.group(2)), None)
        if entry is None:
            entry = {"type": m.group(2)}
            items.append(entry)
        entry[m.group(3)] = value
        return
    if path.lower().startswith("urn:"):
        schema, _, attr = path.rpartition(":")
        item.setdefault(schema, {})[attr] = value
        return
    head, _, sub = path.partition(".")
    if sub:
        item.setdefault(head, {})[sub] = value
    elif value is None:
        item.pop(head, None)
    else:
        item[head] = value


def _json(status: int, body: Any) -> httpx.Response:
    # a stream, not content=: the target client reads responses with iter_raw()
    data = json.dumps(body).encode()
    return httpx.Response(status, headers={"Content-Type": "application/scim+json"}, stream=httpx.ByteStream(data))


def _error(status: int, detail: str, scim_type: str | None = None) -> httpx.Response:
    body: dict[str, Any] = {"schemas": [ERROR], "status": str(status), "detail": detail}
    if scim_type:
        body["scimType"] = scim_type
    return _json(status, body)
