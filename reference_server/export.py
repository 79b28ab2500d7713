"""Recordings out of the database: selected by client, time range or credential, as JSONL or HAR.

``recordings export`` turns what one IdP sent into a session ``scim-harness replay`` (or the
pytest plugin) can replay. A recorder that has seen several clients is narrowed down by:

- ``client``: a glob on the User-Agent (``'Microsoft*'``, ``'*JumpCloud*'``);
- ``since`` / ``until``: ISO 8601 times (``2026-01-05T09:00:00Z``, or a date);
- ``credential``: the exchanges made with one token, by its fingerprint: the recorder never
  keeps a credential, only a keyed hash of it (``credential_fingerprint``), so selecting by token
  compares hashes and nothing can print the token.

HAR 1.2 is built here, not borrowed from the harness: the reference server imports no other
package (docs/architecture.md). Its entries carry the same fields the harness's HAR writer
fills, so both load the same way (tests/replay prove a HAR export and a JSONL export replay alike).
"""

from __future__ import annotations

import fnmatch
from collections.abc import Iterable
from datetime import datetime, timezone
from typing import Any
from urllib.parse import parse_qsl

__all__ = ["select_recordings", "recordings_to_har", "parse_time"]

_STATUS_TEXT = {200: "OK", 201: "Created", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
                403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 409: "Conflict",
                412: "Precondition Failed", 413: "Payload Too Large", 415: "Unsupported Media Type",
                429: "Too Many Requests", 500: "Internal Server Error", 501: "Not Implemented"}


def parse_time(text: str) -> str:
    """An ISO 8601 time or date as the recorder writes times (``…Z``); ValueError if unreadable."""
    value = text.strip()
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).isoformat(timespec="microseconds").replace("+00:00", "Z")


def _header(rec: dict[str, Any], name: str, key: str = "request_headers") -> str:
    return next((v for k, v in rec.get(key) or [] if k.lower() == name), "")


def select_recordings(recs: Iterable[dict[str, Any]], *, client: str | None = None, since: str | None = None,
                      until: str | None = None, credential: str | None = None) -> list[dict[str, Any]]:
    """The recordings matching every given criterion (times as :func:`parse_time` gives them)."""
    out = []
    for rec in recs:
        if client and not fnmatch.fnmatchcase(_header(rec, "user-agent"), client):
            continue
        if since and rec["at"] < since:
            continue
        if until and rec["at"] >= until:
            continue
        if credential is not None and rec.get("credential") != credential:
            continue
        out.append(rec)
    return out


def _entry(rec: dict[str, Any]) -> dict[str, Any]:
    query = rec.get("query") or ""
    url = f"http://recorded.invalid{rec['path']}" + (f"?{query}" if query else "")
    req_body, resp_body = rec.get("request_body"), rec.get("response_body")
    request: dict[str, Any] = {
        "method": rec["method"], "url": url, "httpVersion": "HTTP/1.1", "cookies": [],
        "headers": [{"name": k, "value": v} for k, v in rec.get("request_headers") or []],
        "queryString": [{"name": k, "value": v} for k, v in parse_qsl(query, keep_blank_values=True)],
        "headersSize": -1, "bodySize": len(req_body.encode("utf-8")) if req_body is not None else -1,
    }
    if req_body is not None:
        request["postData"] = {"mimeType": _header(rec, "content-type") or "application/scim+json", "text": req_body}
    text = resp_body or ""
    content: dict[str, Any] = {"size": len(text.encode("utf-8")),
                               "mimeType": _header(rec, "content-type", "response_headers")}
    if resp_body is not None:
        content["text"] = resp_body
    duration = round(float(rec.get("duration_ms") or 0.0), 3)
    return {
        "startedDateTime": rec["at"], "time": duration, "request": request,
        "response": {"status": rec["status"], "statusText": _STATUS_TEXT.get(rec["status"], ""),
                     "httpVersion": "HTTP/1.1", "cookies": [],
                     "headers": [{"name": k, "value": v} for k, v in rec.get("response_headers") or []],
                     "content": content, "redirectURL": "", "headersSize": -1, "bodySize": content["size"],
                     **({"_truncated": True} if rec.get("truncated") else {})},
        "cache": {}, "timings": {"blocked": -1, "dns": -1, "connect": -1, "ssl": -1, "send": 0, "wait": duration,
                                 "receive": 0},
        "_id": f"rec-{rec['id']}",
    }


def recordings_to_har(recs: list[dict[str, Any]], comment: str = "") -> dict[str, Any]:
    """A HAR 1.2 document of recordings (one page: the session). Credentials were redacted at record time."""
    log: dict[str, Any] = {"version": "1.2", "creator": {"name": "scim-harness reference server", "version": "0.1.0"},
                           "pages": [], "entries": [_entry(r) for r in recs]}
    if recs:
        log["pages"] = [{"startedDateTime": recs[0]["at"], "id": "session", "title": comment or "recorded session",
                         "pageTimings": {"onContentLoad": -1, "onLoad": -1}}]
        for entry in log["entries"]:
            entry["pageref"] = "session"
    if comment:
        log["comment"] = comment
    return {"log": log}
