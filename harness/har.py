"""HAR 1.2 (HTTP Archive) of a run's exchanges: ``exchanges.har`` beside results.json.

HAR is what browser devtools, mitmproxy and most API tools read and write, so a run's traffic
can be opened anywhere and replayed with ``scim-harness replay``. Spec: the HAR 1.2 document
(w3c-webperf "HTTP Archive (HAR) format"). The fields every entry must carry are filled; what
HAR has no field for (a truncated body, a transport error) goes into ``_``-prefixed custom
fields, which the spec allows.

Pages group the entries: one page per check (``run``, ``fuzz``, ``replay``), per provisioning
cycle (``simulate``: by time window), or one page for a command without either.

Nothing here can leak a credential: exchanges were redacted when they were recorded
(harness/recorder.py), and every header passes the redactor again on the way out, so a HAR
built from another source (a recording, a hand-made Exchange) is masked too.
"""

from __future__ import annotations

import json
import os
import secrets
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from harness.recorder import Exchange
from harness.redact import Redactor
from redaction import scrub
from harness.results import RunResult

__all__ = ["HAR_FILE", "HarPage", "HarWriter", "build_har", "pages_for", "write_har", "STATUS_TEXT"]

HAR_FILE = "exchanges.har"
_VERSION = "0.1.0"

#: Reason phrases for the statuses SCIM servers send (HAR requires ``statusText``).
STATUS_TEXT = {
    200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 301: "Moved Permanently", 302: "Found",
    304: "Not Modified", 307: "Temporary Redirect", 308: "Permanent Redirect", 400: "Bad Request",
    401: "Unauthorized", 403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable",
    409: "Conflict", 412: "Precondition Failed", 413: "Payload Too Large", 415: "Unsupported Media Type",
    422: "Unprocessable Entity", 429: "Too Many Requests", 500: "Internal Server Error", 501: "Not Implemented",
    502: "Bad Gateway", 503: "Service Unavailable", 504: "Gateway Timeout",
}


@dataclass(frozen=True)
class HarPage:
    """One HAR page: a title and the exchanges (by id) that belong to it."""

    id: str
    title: str
    exchange_ids: tuple[str, ...]


def _header(headers: Sequence[tuple[str, str]], name: str) -> str:
    lname = name.lower()
    return next((v for k, v in headers if k.lower() == lname), "")


def _stamp(at: str) -> str:
    """HAR wants ISO 8601 with a zone; the recorder's ``…Z`` form is accepted as it is."""
    try:
        datetime.fromisoformat(at.replace("Z", "+00:00"))
    except ValueError:
        return "1970-01-01T00:00:00.000Z"
    return at


def _entry(ex: Exchange, page: str | None, redactor: Redactor) -> dict[str, Any]:
    req_headers = redactor.headers(ex.request_headers)
    resp_headers = redactor.headers(ex.response_headers)
    url = redactor.url(ex.url)
    query = urlsplit(url).query
    request: dict[str, Any] = {
        "method": ex.method, "url": url, "httpVersion": "HTTP/1.1", "cookies": [],
        "headers": [{"name": k, "value": v} for k, v in req_headers],
        "queryString": [{"name": k, "value": v} for k, v in parse_qsl(query, keep_blank_values=True)],
        "headersSize": -1, "bodySize": -1 if ex.request_body is None else len(ex.request_body.encode("utf-8")),
    }
    if ex.request_body is not None:
        request["postData"] = {"mimeType": _header(req_headers, "content-type") or "application/scim+json",
                               "text": redactor.body(ex.request_body)}
    if ex.request_truncated:
        request["_truncated"] = True
    body = redactor.body(ex.response_body or "")
    content: dict[str, Any] = {"size": len(body.encode("utf-8")), "mimeType": _header(resp_headers, "content-type")}
    if ex.response_body is not None:
        content["text"] = body
    response: dict[str, Any] = {
        "status": ex.status or 0, "statusText": STATUS_TEXT.get(ex.status or 0, ""), "httpVersion": "HTTP/1.1",
        "cookies": [], "headers": [{"name": k, "value": v} for k, v in resp_headers], "content": content,
        "redirectURL": _header(resp_headers, "location") if (ex.status or 0) // 100 == 3 else "",
        "headersSize": -1, "bodySize": -1 if ex.status is None else content["size"],
    }
    if ex.response_truncated:
        response["_truncated"] = True
    if ex.error:
        response["_error"] = redactor.text(ex.error)
    elapsed = max(0.0, round(ex.elapsed_ms, 3))
    entry: dict[str, Any] = {
        "startedDateTime": _stamp(ex.at), "time": elapsed, "request": request, "response": response,
        "cache": {}, "timings": {"blocked": -1, "dns": -1, "connect": -1, "ssl": -1, "send": 0, "wait": elapsed,
                                 "receive": 0},
        "_id": ex.id,
    }
    if ex.retried:
        entry["_retried"] = redactor.text(ex.retried)
    if page is not None:
        entry["pageref"] = page
    return entry


def build_har(exchanges: Sequence[Exchange], pages: Sequence[HarPage] = (), *, comment: str = "",
              redactor: Redactor | None = None) -> dict[str, Any]:
    """A HAR 1.2 document (a dict ready for ``json.dumps``) of ``exchanges`` grouped into ``pages``.

    Exchanges no page names go into an "other exchanges" page when there are pages, so every
    entry has a ``pageref`` a viewer can group by.
    """
    red = redactor or Redactor()
    page_of: dict[str, str] = {}
    for page in pages:
        for ex_id in page.exchange_ids:
            page_of.setdefault(ex_id, page.id)
    by_id = {ex.id: ex for ex in exchanges}
    har_pages: list[dict[str, Any]] = []
    for page in pages:
        first = next((by_id[i] for i in page.exchange_ids if i in by_id), None)
        if first is None:
            continue
        har_pages.append({"startedDateTime": _stamp(first.at), "id": page.id, "title": red.text(page.title),
                          "pageTimings": {"onContentLoad": -1, "onLoad": -1}})
    loose = [ex for ex in exchanges if ex.id not in page_of]
    if har_pages and loose:
        har_pages.append({"startedDateTime": _stamp(loose[0].at), "id": "other", "title": "other exchanges",
                          "pageTimings": {"onContentLoad": -1, "onLoad": -1}})
    kept = {p["id"] for p in har_pages}
    entries = [_entry(ex, page_of.get(ex.id, "other") if har_pages else None, red) for ex in exchanges]
    for entry in entries:
        if entry.get("pageref") not in kept:
            entry.pop("pageref", None)
    log: dict[str, Any] = {"version": "1.2", "creator": {"name": "scim-harness", "version": _VERSION},
                           "pages": har_pages, "entries": entries}
    if comment:
        log["comment"] = comment
    return {"log": log}


def pages_for(run: RunResult) -> list[HarPage]:
    """Pages for a run: per check (results that name exchanges), else per simulation cycle."""
    pages = [HarPage(f"page-{n}", f"{r.id}: {r.title}", tuple(r.exchange_ids))
             for n, r in enumerate(run.results, 1) if r.exchange_ids]
    if pages or not run.simulation:
        return pages
    return _cycle_pages(run.exchanges, run.simulation.get("cycles") or [])


def _cycle_pages(exchanges: Iterable[Exchange], cycles: list[dict[str, Any]]) -> list[HarPage]:
    """Each exchange goes to the cycle whose [started_at, finished_at] holds its time (the IdP's
    Test Connection is a cycle of its own); the rest to "before the first cycle" or "read-back"."""
    windows = [(str(c.get("started_at", "")), str(c.get("finished_at", "")), str(c.get("cycleId", n)),
                str(c.get("kind", "cycle"))) for n, c in enumerate(cycles, 1)]
    groups: dict[str, list[str]] = {}
    titles: dict[str, str] = {}
    for ex in exchanges:
        key, title = "read-back", "read-back and other requests"
        if windows and ex.at < windows[0][0]:
            key, title = "test-connection", "test connection"
        # [start, end) first: a request stamped at one cycle's end and the next one's start is the next one's
        hit = next((n for n, w in enumerate(windows, 1) if w[0] <= ex.at < w[1]), None) or next(
            (n for n, w in enumerate(windows, 1) if w[0] <= ex.at <= w[1]), None)
        if hit is not None:
            _, _, cycle_id, kind = windows[hit - 1]
            key, title = f"cycle-{hit}", f"cycle {hit} ({kind}) {cycle_id}"
        groups.setdefault(key, []).append(ex.id)
        titles[key] = title
    return [HarPage(key, titles[key], tuple(ids)) for key, ids in groups.items()]


def write_har(run: RunResult, path: str | os.PathLike[str], redactor: Redactor | None = None) -> Path:
    """Write the run's exchanges as HAR 1.2 to ``path`` (atomically) and return it."""
    doc = build_har(run.exchanges, pages_for(run), comment=f"scim-harness {run.kind} of {run.target}",
                    redactor=redactor)
    text = json.dumps(doc, ensure_ascii=False, indent=1) + "\n"
    return _atomic_write(Path(path), scrub(text))  # the redaction layer's last pass, as every writer


def _atomic_write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    try:
        tmp.write_bytes(text.encode("utf-8", "backslashreplace"))
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return path


class HarWriter:
    """Event handler: writes ``exchanges.har`` when the run finishes (as the other file writers)."""

    def __init__(self, path: str | os.PathLike[str]) -> None:
        self.path = Path(path)
        self.written: Path | None = None
        self.error: str | None = None

    def handle_event(self, event: object) -> None:
        from harness.events import RunFinished  # events imports results; keep this module light

        if isinstance(event, RunFinished):
            try:
                self.written = write_har(event.result, self.path)
            except OSError as exc:
                self.error = f"cannot write {self.path}: {exc.strerror or exc}"
