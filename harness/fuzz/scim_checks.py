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

__all__ = ["Session", "activate", "deactivate", "SCIM_CHECKS", "CREATE_VERIFIERS", "contains_sent",
           "readback_problem", "filter_problem", "error_body_problem"]

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
    #: query parameters of the base URL (Entra's ``aadOptscim062020``) that ride on every request
    base_query: tuple[tuple[str, str], ...] = ()
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


@schemathesis.hook
def before_call(context: Any, case: Any, kwargs: dict[str, Any]) -> None:
    """Keep the base URL's own query (e.g. ``?aadOptscim062020``) on every request, as the harness
    client does; schemathesis takes only the path from a base URL."""
    session = _session(case)
    if session is not None and session.base_query:
        case.query = {**dict(session.base_query), **(case.query or {})}


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


def _unassigned(value: Any) -> bool:
    """null, [], {} - and containers holding only those - carry no value (RFC 7643 §2.5)."""
    if value is None or value == [] or value == {}:
        return True
    if isinstance(value, dict):
        return all(_unassigned(v) for v in value.values())
    if isinstance(value, list):
        return all(_unassigned(v) for v in value)
    return False


def contains_sent(sent: Any, read: Any) -> bool:
    """Whether ``read`` holds everything ``sent`` said (RFC 7643 §2.5: null and [] are unassigned).

    Objects: every sent key matches (names case-insensitively, RFC 7643 §2.1); lists: every
    sent item is matched by some read item; date-times compare as instants; the rest exactly.
    """
    if _unassigned(sent):
        return True
    if isinstance(sent, dict):
        if not isinstance(read, dict):
            return False
        lowered = {str(k).lower(): v for k, v in read.items()}
        return all(contains_sent(v, lowered.get(str(k).lower())) for k, v in sent.items())
    if isinstance(sent, list):
        items = [s for s in sent if not _unassigned(s)]
        return isinstance(read, list) and all(any(contains_sent(s, r) for r in read) for s in items)
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


def error_body_problem(status: int, content: bytes) -> str | None:
    """Why an error answer is not a SCIM Error with ``status`` as a string, or ``None``."""
    if status < 400:
        return None
    body = _json(content)
    if not isinstance(body, dict) or ERROR_URN not in (body.get("schemas") or []):
        return f"a {status} answer is not a SCIM Error (schemas must list {ERROR_URN})"
    value = body.get("status")
    if not isinstance(value, str):
        return f"the Error's status is {type(value).__name__} {value!r}; RFC 7644 §3.12 makes it a string"
    if value != str(status):
        return f"the Error's status {value!r} is not the HTTP status {status}"
    return None


@schemathesis.check
def scim_error_body(ctx: Any, response: Any, case: Any) -> None:
    """RFC 7644 §3.12: an error answer is a SCIM Error with ``status`` as a string."""
    problem = error_body_problem(response.status_code, response.content) if _session(case) is not None else None
    if problem:
        raise AssertionError(problem)


def _created(case: Any, response: Any) -> tuple[Session, str, dict[str, Any], dict[str, Any]] | None:
    session = _session(case)
    if session is None or case.method.upper() != "POST" or response.status_code != 201:
        return None
    if _endpoint(case) not in session.readable:
        return None
    sent, created = _sent_body(response), _json(response.content)
    if not isinstance(sent, dict) or not isinstance(created, dict) or not isinstance(created.get("id"), str):
        return None
    return session, _endpoint(case), sent, created


def readback_problem(session: Session, endpoint: str, sent: dict[str, Any], created: dict[str, Any]) -> str | None:
    """Why ``GET {endpoint}/{id}`` does not give back what the create sent, or ``None``."""
    path = f"{endpoint}/{quote(str(created['id']), safe='')}"
    ex = session.client.get(path)
    if ex.error or ex.status != 200:
        return f"GET {path} after the create answered {ex.status or ex.error} ({session.keep(ex)}); expected 200"
    read = ex.json_or_none()
    readable = {name.lower() for name in session.readable.get(endpoint, set())}
    differing = [k for k, v in sent.items()
                 if k.lower() in readable and k.lower() != "schemas" and not contains_sent(v, _get(read, k))]
    if differing:
        names = ", ".join(sorted(differing)[:5])
        return f"GET {path} differs from what the create sent in: {names} ({session.keep(ex)})"
    return None


def filter_problem(session: Session, endpoint: str, sent: dict[str, Any], created: dict[str, Any]) -> str | None:
    """Why ``filter=userName eq "<sent>"`` does not find the created resource, or ``None``."""
    user_name = _get(sent, "userName")
    if not session.filter_supported or endpoint not in session.filterable or not isinstance(user_name, str):
        return None
    # compValue is a JSON string (RFC 7644 §3.4.2.2 ABNF, RFC 7159 escaping).
    flt = "userName eq " + json.dumps(user_name, ensure_ascii=False)
    ex = session.client.get(endpoint, params={"filter": flt})
    body = ex.json_or_none()
    resources = body.get("Resources") if isinstance(body, dict) else None
    ids = [r.get("id") for r in resources if isinstance(r, dict)] if isinstance(resources, list) else []
    if ex.status != 200 or created["id"] not in ids:
        return f"filter {flt} did not find the created {created['id']} ({ex.status or ex.error}; {session.keep(ex)})"
    return None


#: Follow-up verifications of a create, by check name (also used to re-prove a finding on replay).
CREATE_VERIFIERS = {"scim_created_readable": readback_problem, "scim_filter_finds_created": filter_problem}


@schemathesis.check
def scim_created_readable(ctx: Any, response: Any, case: Any) -> None:
    """RFC 7644 §3.3/§3.4.1: a created resource reads back with what the create sent."""
    found = _created(case, response)
    problem = readback_problem(*found) if found is not None else None
    if problem:
        raise AssertionError(problem)


@schemathesis.check
def scim_filter_finds_created(ctx: Any, response: Any, case: Any) -> None:
    """RFC 7644 §3.4.2.2: ``userName eq "<what was created>"`` finds it (userName is caseExact=false)."""
    found = _created(case, response)
    problem = filter_problem(*found) if found is not None else None
    if problem:
        raise AssertionError(problem)


def _get(body: Any, key: str) -> Any:
    if not isinstance(body, dict):
        return None
    return next((v for k, v in body.items() if k.lower() == key.lower()), None)
