"""HAR 1.2 as the spec fixes it: the required fields of every object and their types.

Written from the HAR 1.2 document (w3c-webperf, "HTTP Archive (HAR) format", Jan Odvarko):
log {version, creator, pages?, entries}; page {startedDateTime, id, title, pageTimings};
entry {pageref?, startedDateTime, time, request, response, cache, timings};
request {method, url, httpVersion, cookies, headers, queryString, postData?, headersSize, bodySize};
response {status, statusText, httpVersion, cookies, headers, content, redirectURL, headersSize, bodySize};
content {size, mimeType, text?}; postData {mimeType, text|params}; timings {send, wait, receive
required, blocked/dns/connect/ssl optional, -1 when not applicable}; entry.time = the sum of the
timings that apply. Custom fields must start with "_".
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

NUM = (int, float)


def _iso(value: Any, where: str) -> None:
    assert isinstance(value, str), where
    moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    assert moment.tzinfo is not None, f"{where}: no time zone in {value}"


def _fields(obj: dict[str, Any], allowed: set[str], where: str) -> None:
    extra = {k for k in obj if k not in allowed and not k.startswith("_") and k != "comment"}
    assert not extra, f"{where}: fields HAR 1.2 does not define (custom ones must start with _): {extra}"


def _pairs(items: Any, where: str) -> None:
    assert isinstance(items, list), where
    for item in items:
        assert isinstance(item["name"], str) and isinstance(item["value"], str), where


def validate(doc: dict[str, Any]) -> list[dict[str, Any]]:
    """Assert ``doc`` is a valid HAR 1.2 document; return its entries."""
    log = doc["log"]
    _fields(log, {"version", "creator", "browser", "pages", "entries"}, "log")
    assert log["version"] == "1.2"
    assert isinstance(log["creator"]["name"], str) and isinstance(log["creator"]["version"], str)
    page_ids = set()
    for page in log.get("pages", []):
        _fields(page, {"startedDateTime", "id", "title", "pageTimings"}, "page")
        _iso(page["startedDateTime"], "page.startedDateTime")
        assert isinstance(page["id"], str) and page["id"] not in page_ids, "page ids are unique"
        page_ids.add(page["id"])
        assert isinstance(page["title"], str) and isinstance(page["pageTimings"], dict)
    for n, e in enumerate(log["entries"]):
        where = f"entries[{n}]"
        _fields(e, {"pageref", "startedDateTime", "time", "request", "response", "cache", "timings",
                    "serverIPAddress", "connection"}, where)
        if "pageref" in e:
            assert e["pageref"] in page_ids, f"{where}: pageref names no page"
        _iso(e["startedDateTime"], f"{where}.startedDateTime")
        assert isinstance(e["time"], NUM) and e["time"] >= 0
        req, resp = e["request"], e["response"]
        _fields(req, {"method", "url", "httpVersion", "cookies", "headers", "queryString", "postData",
                      "headersSize", "bodySize"}, f"{where}.request")
        assert isinstance(req["method"], str) and req["url"].startswith(("http://", "https://"))
        assert isinstance(req["httpVersion"], str) and isinstance(req["cookies"], list)
        _pairs(req["headers"], f"{where}.request.headers")
        _pairs(req["queryString"], f"{where}.request.queryString")
        assert isinstance(req["headersSize"], int) and isinstance(req["bodySize"], int)
        if "postData" in req:
            assert isinstance(req["postData"]["mimeType"], str)
            assert "text" in req["postData"] or "params" in req["postData"]
        _fields(resp, {"status", "statusText", "httpVersion", "cookies", "headers", "content", "redirectURL",
                       "headersSize", "bodySize"}, f"{where}.response")
        assert isinstance(resp["status"], int) and isinstance(resp["statusText"], str)
        assert isinstance(resp["httpVersion"], str) and isinstance(resp["cookies"], list)
        _pairs(resp["headers"], f"{where}.response.headers")
        content = resp["content"]
        _fields(content, {"size", "compression", "mimeType", "text", "encoding"}, f"{where}.content")
        assert isinstance(content["size"], int) and isinstance(content["mimeType"], str)
        assert isinstance(resp["redirectURL"], str)
        assert isinstance(resp["headersSize"], int) and isinstance(resp["bodySize"], int)
        assert isinstance(e["cache"], dict)
        t = e["timings"]
        _fields(t, {"blocked", "dns", "connect", "send", "wait", "receive", "ssl"}, f"{where}.timings")
        for key in ("send", "wait", "receive"):
            assert isinstance(t[key], NUM) and t[key] >= 0, f"{where}.timings.{key}"
        for key in ("blocked", "dns", "connect", "ssl"):
            assert t.get(key, -1) == -1 or t[key] >= 0
        spent = sum(t[k] for k in ("blocked", "dns", "connect", "send", "wait", "receive") if t.get(k, -1) >= 0)
        assert abs(spent - e["time"]) < 0.01, f"{where}: time is not the sum of the timings"
    return list(log["entries"])
