"""A recorded session, whatever file it came from: :func:`load_session`.

Accepted forms (detected from the content, not the file name):

- ``scim-harness recordings export`` as JSON (an array) or JSON Lines: the reference server's
  recordings, paths relative to the server root;
- a HAR 1.2 file (``log.entries``): the harness's own ``exchanges.har``, browser devtools,
  mitmproxy, a proxy log;
- a ``results.json`` of ``simulate`` or ``run`` (its ``exchanges``);
- the name of a bundled session (``entra``, ``entra-legacy``, ``jumpcloud``: see ``--list``).

Every form becomes a list of :class:`Recorded`, with the path made relative to the SCIM base
(everything before ``/Users``, ``/Groups``, ``/Schemas``… is the recorder's base, not the
target's), so a session recorded at ``https://idp-side/scim/v2`` replays against any base URL.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.recorder import json_or_none

__all__ = ["RECORDED", "Recorded", "Session", "SessionError", "load_session", "bundled_sessions", "parse_session",
           "BUNDLED_DIR"]

#: How the ids of recorded exchanges begin in a replay's results (``rec-0001``), apart from the
#: exchanges sent now (``ex-0001``).
RECORDED = "rec-"

#: Package folder holding the bundled sessions (``<profile>.jsonl``).
BUNDLED_DIR = "sessions"
#: Where a SCIM path starts inside a recorded URL path.
_SCIM_ROOT = re.compile(r"/(?:Users|Groups|ServiceProviderConfigs?|ResourceTypes|Schemas|Bulk|Me|\.search)(?=/|$)",
                        re.IGNORECASE)


class SessionError(ValueError):
    """A session that cannot be loaded; the message says why in one line."""


@dataclass(frozen=True)
class Recorded:
    """One recorded exchange, its path relative to the SCIM base."""

    index: int  # 1-based place in the session
    method: str
    path: str  # "/Users/2819c223…" (no query)
    query: str  # the raw query string, as sent
    request_headers: tuple[tuple[str, str], ...]
    request_body: str | None
    status: int | None
    response_headers: tuple[tuple[str, str], ...]
    response_body: str | None
    at: str = ""
    elapsed_ms: float = 0.0
    truncated: bool = False
    group: str = ""  # the page / check / cycle it belonged to, if the source said

    def header(self, name: str, response: bool = True) -> str:
        lname = name.lower()
        pairs = self.response_headers if response else self.request_headers
        return next((v for k, v in pairs if k.lower() == lname), "")

    def request_json(self) -> Any:
        return json_or_none(self.request_body)

    def response_json(self) -> Any:
        return json_or_none(self.response_body)

    @property
    def label(self) -> str:
        query = f"?{self.query}" if self.query else ""
        return f"{self.method} {self.path}{query}"


@dataclass(frozen=True)
class Session:
    name: str
    source: str  # file path or "bundled:<name>"
    form: str  # "recordings", "har", "results"
    exchanges: tuple[Recorded, ...]
    user_agent: str = ""
    notes: tuple[str, ...] = field(default=())


def split_scim_path(url_path: str) -> str:
    """``/scim/v2/Users/1`` → ``/Users/1``; a path with no SCIM endpoint in it is kept whole."""
    match = _SCIM_ROOT.search(url_path)
    return url_path[match.start():] if match else url_path


def _pairs(headers: Any) -> tuple[tuple[str, str], ...]:
    """Headers as [[name, value]…], [{"name","value"}…] or "name: value" lines."""
    if isinstance(headers, str):
        headers = [line.split(": ", 1) for line in headers.splitlines() if ": " in line]
    out: list[tuple[str, str]] = []
    for item in headers or []:
        if isinstance(item, dict):
            out.append((str(item.get("name", "")), str(item.get("value", ""))))
        elif isinstance(item, (list, tuple)) and len(item) == 2:
            out.append((str(item[0]), str(item[1])))
    return tuple(out)


def _from_recording(n: int, r: dict[str, Any]) -> Recorded:
    return Recorded(n, str(r["method"]).upper(), split_scim_path(str(r["path"])), str(r.get("query") or ""),
                    _pairs(r.get("request_headers")), r.get("request_body"), int(r["status"]),
                    _pairs(r.get("response_headers")), r.get("response_body"), str(r.get("at", "")),
                    float(r.get("duration_ms") or 0.0), bool(r.get("truncated")))


def _from_url(n: int, method: str, url: str, **kw: Any) -> Recorded:
    parts = urlsplit(url)
    return Recorded(n, method.upper(), split_scim_path(parts.path or "/"), parts.query, **kw)


def _from_har_entry(n: int, e: dict[str, Any], titles: dict[str, str]) -> Recorded:
    req, resp = e["request"], e.get("response") or {}
    post = req.get("postData") or {}
    content = resp.get("content") or {}
    status = int(resp.get("status") or 0)
    return _from_url(n, req["method"], req["url"], request_headers=_pairs(req.get("headers")),
                     request_body=post.get("text"), status=status or None,
                     response_headers=_pairs(resp.get("headers")), response_body=content.get("text"),
                     at=str(e.get("startedDateTime", "")), elapsed_ms=float(e.get("time") or 0.0),
                     truncated=bool(req.get("_truncated") or resp.get("_truncated")),
                     group=titles.get(str(e.get("pageref", "")), ""))


def _from_exchange(n: int, e: dict[str, Any], groups: dict[str, str]) -> Recorded:
    req, resp = e["request"], e.get("response") or {}
    return _from_url(n, e["method"], e["url"], request_headers=_pairs(req.get("headers")),
                     request_body=req.get("body"), status=resp.get("status"),
                     response_headers=_pairs(resp.get("headers")), response_body=resp.get("body"),
                     at=str(e.get("at", "")), elapsed_ms=float(e.get("elapsed_ms") or 0.0),
                     truncated=bool(req.get("truncated") or resp.get("truncated")), group=groups.get(e["id"], ""))


def parse_session(data: Any, name: str, source: str) -> Session:
    """A :class:`Session` from already-parsed JSON (an object, or a list of recordings)."""
    try:
        if isinstance(data, list):
            return _session(name, source, "recordings", [_from_recording(n, r) for n, r in enumerate(data, 1)])
        if isinstance(data, dict) and isinstance(data.get("log"), dict):
            log = data["log"]
            titles = {str(p.get("id")): str(p.get("title", "")) for p in log.get("pages") or []}
            # a browser or proxy HAR also holds pages, scripts and CORS preflights: only SCIM requests replay
            scim = [e for e in log.get("entries") or [] if _is_scim(e)]
            entries = [_from_har_entry(n, e, titles) for n, e in enumerate(scim, 1)]
            dropped = len(log.get("entries") or []) - len(scim)
            notes = (f"{dropped} non-SCIM entr{'y' if dropped == 1 else 'ies'} of the HAR left out",) if dropped else ()
            return _session(name, source, "har", entries, notes)
        if isinstance(data, dict) and "exchanges" in data and "kind" in data:
            groups = {i: r.get("id", "") for r in data.get("results") or [] for i in r.get("exchange_ids") or []}
            # a replay's results.json also holds the recorded exchanges (rec-…): the session is what it sent
            sent = [e for e in data["exchanges"] if not str(e.get("id", "")).startswith(RECORDED)]
            items = [_from_exchange(n, e, groups) for n, e in enumerate(sent, 1)]
            return _session(name, source, "results", [r for r in items if r.status is not None])
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise SessionError(f"{source}: not a usable recording ({type(exc).__name__}: {exc})") from None
    raise SessionError(f"{source}: not a recordings export, a HAR 1.2 file or a results.json")


def _is_scim(entry: dict[str, Any]) -> bool:
    request = entry.get("request") or {}
    method = str(request.get("method", "")).upper()
    return method != "OPTIONS" and bool(_SCIM_ROOT.search(urlsplit(str(request.get("url", ""))).path))


def _session(name: str, source: str, form: str, exchanges: Sequence[Recorded], notes: tuple[str, ...] = ()) -> Session:
    if not exchanges:
        raise SessionError(f"{source}: the recording holds no SCIM exchange")
    agents = [r.header("user-agent", response=False) for r in exchanges]
    agent = max(set(agents), key=agents.count) if agents else ""
    return Session(name, source, form, tuple(exchanges), agent, notes)


def _parse_text(text: str, source: str) -> Any:
    stripped = text.lstrip()
    if not stripped:
        raise SessionError(f"{source}: the file is empty")
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        pass
    rows = []
    for n, line in enumerate(text.splitlines(), 1):  # JSON Lines: one recording per line
        if line.strip():
            try:
                rows.append(json.loads(line))
            except json.JSONDecodeError as exc:
                raise SessionError(f"{source}: line {n} is not JSON ({exc.msg})") from None
    return rows


def bundled_sessions() -> dict[str, str]:
    """The bundled sessions: name → first line of their description."""
    folder = resources.files("harness.replay") / BUNDLED_DIR
    out: dict[str, str] = {}
    for item in sorted(folder.iterdir(), key=lambda p: p.name):
        if item.name.endswith(".jsonl"):
            name = item.name[: -len(".jsonl")]
            rows = [json.loads(line) for line in item.read_text(encoding="utf-8").splitlines() if line.strip()]
            out[name] = f"{len(rows)} exchanges recorded from the {name} simulator against the reference server"
    return out


def load_session(spec: str | Path) -> Session:
    """Load a session from a file, or a bundled one by name; :class:`SessionError` says why not."""
    path = Path(spec)
    if not path.exists() and isinstance(spec, str) and re.fullmatch(r"[a-z0-9-]+", spec):
        item = resources.files("harness.replay") / BUNDLED_DIR / f"{spec}.jsonl"
        if not item.is_file():
            known = ", ".join(bundled_sessions())
            raise SessionError(f"no file {spec!r} and no bundled session of that name (bundled: {known})")
        return parse_session(_parse_text(item.read_text(encoding="utf-8"), f"bundled:{spec}"), spec,
                             f"bundled:{spec}")
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SessionError(f"no such file: {path}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SessionError(f"cannot read {path}: {exc}") from None
    return parse_session(_parse_text(text, str(path)), path.stem, str(path))


def select(session: Session, patterns: Iterable[str]) -> list[Recorded]:
    """The exchanges matching any ``'METHOD /path glob'`` (or ``'/path glob'``); all without patterns."""
    from fnmatch import fnmatchcase

    pats = [p.strip() for p in patterns if p.strip()]
    if not pats:
        return list(session.exchanges)
    out = []
    for r in session.exchanges:
        for p in pats:
            method, _, glob = p.partition(" ") if " " in p else ("*", "", p)
            if fnmatchcase(r.method, method.upper()) and fnmatchcase(r.path, glob):
                out.append(r)
                break
    return out
