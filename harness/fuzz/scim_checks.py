"""SCIM-specific checks that schemathesis runs on every response, beside its own.

schemathesis keeps checks in one process-wide registry, so they are registered once, here,
and each run makes them active by registering a :class:`Session` for its schema object
(:func:`activate`). A check whose schema has no session does nothing (another run's schema).

- ``scim_error_body``: every 4xx/5xx body is a SCIM Error whose ``status`` is the HTTP status
  as a *string* (RFC 7644 §3.12);
- ``scim_created_readable``: what a 201 created can be read back (``GET {endpoint}/{id}``) and
  equals what was sent in every attribute the request carried (RFC 7644 §3.3, §3.4.1);
- ``scim_filter_finds_created``: ``filter=userName eq "<sent>"`` finds the created user
  (RFC 7644 §3.4.2.2).

The follow-up requests go through the session's :class:`~harness.http.TargetClient`, so they are
recorded (credentials redacted) and kept as evidence when a check fails.
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any
from urllib.parse import quote

import schemathesis

from harness.http import TargetClient
from harness.recorder import Exchange

__all__ = ["Session", "activate", "deactivate", "SCIM_CHECKS", "contains_sent"]

ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
SCIM_CHECKS = ("scim_error_body", "scim_created_readable", "scim_filter_finds_created")


@dataclass
class Session:
    """What the checks of one run need: a client, the resource endpoints, the attributes to compare."""

    client: TargetClient
    #: endpoint path ("/Users") -> names of top-level attributes a read returns (not writeOnly/never)
    readable: dict[str, set[str]]
    #: endpoint paths whose resources have a ``userName`` (the filter check applies)
    filterable: set[str]
    filter_supported: bool = True
    evidence: dict[str, Exchange] = field(default_factory=dict)  # exchange id -> exchange
    created: dict[str, str] = field(default_factory=dict)  # "/Users/<id>" -> name, for cleanup
    requests: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keep(self, *exchanges: Exchange) -> str:
        with self.lock:
            for ex in exchanges:
                self.evidence[ex.id] = ex
        return ", ".join(ex.id for ex in exchanges)


_SESSIONS: dict[int, Session] = {}
_LOCK = threading.Lock()


def activate(schema: Any, session: Session) -> None:
    with _LOCK:
        _SESSIONS[id(schema)] = session


def deactivate(schema: Any) -> None:
    with _LOCK:
        _SESSIONS.pop(id(schema), None)


def _session(case: Any) -> Session | None:
    with _LOCK:
        return _SESSIONS.get(id(case.operation.schema))


def _json(content: bytes) -> Any:
    try:
        return json.loads(content)
    except (ValueError, UnicodeDecodeError):
        return None


def _sent_body(response: Any) -> Any:
    body = getattr(response.request, "body", None)
    if isinstance(body, str):
        body = body.encode("utf-8")
    return _json(body) if isinstance(body, bytes) else None


def _instant(value: str) -> datetime | None:
    try:
        return datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None


def contains_sent(sent: Any, read: Any) -> bool:
    """Whether ``read`` holds everything ``sent`` said (RFC 7643 §2.5: null and [] are unassigned).

    Objects: every sent key matches (names case-insensitively, RFC 7643 §2.1); lists: every
    sent item is matched by some read item; date-times compare as instants; the rest exactly.
    """
    if sent is None or sent == [] or sent == {}:
        return True
    if isinstance(sent, dict):
        if not isinstance(read, dict):
            return False
        lowered = {str(k).lower(): v for k, v in read.items()}
        return all(contains_sent(v, lowered.get(str(k).lower())) for k, v in sent.items())
    if isinstance(sent, list):
        return isinstance(read, list) and all(any(contains_sent(s, r) for r in read) for s in sent)
    if isinstance(sent, bool) or isinstance(read, bool):
        return sent is read
    if isinstance(sent, (int, float)) and isinstance(read, (int, float)):
        return float(sent) == float(read)
    if isinstance(sent, str) and isinstance(read, str) and sent != read:
        a, b = _instant(sent), _instant(read)
        return a is not None and b is not None and a == b
    return bool(sent == read)


def _endpoint(case: Any) -> str:
    return str(case.operation.path)


@schemathesis.check
def scim_error_body(ctx: Any, response: Any, case: Any) -> None:
    """RFC 7644 §3.12: an error answer is a SCIM Error with ``status`` as a string."""
    if _session(case) is None or response.status_code < 400:
        return
    body = _json(response.content)
    if not isinstance(body, dict) or ERROR_URN not in (body.get("schemas") or []):
        raise AssertionError(f"a {response.status_code} answer is not a SCIM Error (schemas must list {ERROR_URN})")
    status = body.get("status")
    if not isinstance(status, str):
        raise AssertionError(f"the Error's status is {type(status).__name__} {status!r}; RFC 7644 §3.12 makes it a string")
    if status != str(response.status_code):
        raise AssertionError(f"the Error's status {status!r} is not the HTTP status {response.status_code}")


def _created(case: Any, response: Any) -> tuple[Session, dict[str, Any], dict[str, Any]] | None:
    session = _session(case)
    if session is None or case.method.upper() != "POST" or response.status_code != 201:
        return None
    if _endpoint(case) not in session.readable:
        return None
    sent, created = _sent_body(response), _json(response.content)
    if not isinstance(sent, dict) or not isinstance(created, dict) or not isinstance(created.get("id"), str):
        return None
    return session, sent, created


@schemathesis.check
def scim_created_readable(ctx: Any, response: Any, case: Any) -> None:
    """RFC 7644 §3.3/§3.4.1: a created resource reads back with what the create sent."""
    found = _created(case, response)
    if found is None:
        return
    session, sent, created = found
    path = f"{_endpoint(case)}/{quote(created['id'], safe='')}"
    ex = session.client.get(path)
    if ex.error or ex.status != 200:
        ids = session.keep(ex)
        raise AssertionError(f"GET {path} after the create answered {ex.status or ex.error} ({ids}); expected 200")
    read = ex.json_or_none()
    readable = {name.lower() for name in session.readable[_endpoint(case)]}
    differing = [k for k, v in sent.items()
                 if k.lower() in readable and k.lower() != "schemas" and not contains_sent(v, _get(read, k))]
    if differing:
        ids = session.keep(ex)
        raise AssertionError(f"GET {path} differs from what the create sent in: {', '.join(sorted(differing)[:5])} ({ids})")


def _get(body: Any, key: str) -> Any:
    if not isinstance(body, dict):
        return None
    return next((v for k, v in body.items() if k.lower() == key.lower()), None)


@schemathesis.check
def scim_filter_finds_created(ctx: Any, response: Any, case: Any) -> None:
    """RFC 7644 §3.4.2.2: ``userName eq "<what was created>"`` finds it (userName is caseExact=false)."""
    found = _created(case, response)
    if found is None:
        return
    session, sent, created = found
    endpoint = _endpoint(case)
    user_name = _get(sent, "userName")
    if not session.filter_supported or endpoint not in session.filterable or not isinstance(user_name, str):
        return
    # compValue is a JSON string (RFC 7644 §3.4.2.2 ABNF, RFC 7159 escaping).
    flt = "userName eq " + json.dumps(user_name, ensure_ascii=False)
    ex = session.client.get(endpoint, params={"filter": flt})
    body = ex.json_or_none()
    resources = body.get("Resources") if isinstance(body, dict) else None
    ids = [r.get("id") for r in resources if isinstance(r, dict)] if isinstance(resources, list) else []
    if ex.status != 200 or created["id"] not in ids:
        refs = session.keep(ex)
        seen = f"{ex.status or ex.error}, ids {ids[:3]}"
        raise AssertionError(f"filter {flt} did not find the created {created['id']} ({seen}; {refs})")
