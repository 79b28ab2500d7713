"""Checks: plain functions registered with :func:`check`, run against a :class:`CheckContext`.

A check states what it rests on (RFC section or IdP fact), its level, and how to fix a
failure. It judges through ``ctx.expect*`` helpers, which raise:

- :class:`CheckFailed`  -> FAIL (WARN when the check's level is SHOULD or MAY)
- :class:`Skipped`      -> SKIP, with the reason
- :class:`CouldNotJudge`-> ERROR: timeout, reset, unusable body, a precondition the target
  could not meet (e.g. it cannot create the user this check needs). Never charged as FAIL.

Example::

    @check(id="query.no-match-empty-list", title="A filter with no match gives an empty list",
           area="query", level=Level.MUST, rests_on="RFC 7644 §3.4.2", checklist=("QRY-02",),
           fix="Answer 200 with totalResults 0 and no Resources.", requires=("filter",))
    def no_match(ctx: CheckContext) -> None:
        ex = ctx.get(ctx.users, params={"filter": f'userName eq "{ctx.unique()}"'})
        body = ctx.expect_list_response(ex)
        ctx.expect(body.get("totalResults") == 0, "totalResults 0", body.get("totalResults"), ex)
"""

from __future__ import annotations

import contextlib
import itertools
import json
import re
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from harness.discovery import CORE_GROUP, CORE_USER, Discovery
from harness.http import TargetClient
from harness.recorder import Exchange
from harness.results import CheckResult, Level, Outcome, Step

__all__ = [
    "check",
    "CheckSpec",
    "Registry",
    "REGISTRY",
    "CheckContext",
    "CheckFailed",
    "Skipped",
    "CouldNotJudge",
    "run_check",
    "ERROR_URN",
    "LIST_URN",
    "PATCH_URN",
]

ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
BULK_REQUEST_URN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE_URN = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"

SUITES = ("rfc", "entra", "jumpcloud", "okta")
_ID_RE = re.compile(r"^[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*$")
SEEN_LIMIT = 400  # characters of a seen value kept in a finding
TRANSIENT = (429, 503)  # statuses that mean "try later", not "wrong"


# -- outcomes as exceptions ---------------------------------------------------------------
class CheckFailed(Exception):
    def __init__(self, message: str, expected: str = "", seen: str = "", exchange: Exchange | None = None):
        super().__init__(message)
        self.message, self.expected, self.seen, self.exchange = message, expected, seen, exchange


class Skipped(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class CouldNotJudge(Exception):
    def __init__(self, message: str, exchange: Exchange | None = None):
        super().__init__(message)
        self.message, self.exchange = message, exchange


# -- registry -----------------------------------------------------------------------------
@dataclass(frozen=True)
class CheckSpec:
    id: str
    title: str
    area: str
    level: Level
    rests_on: str
    fix: str
    func: Callable[["CheckContext"], None]
    suites: tuple[str, ...] = ("rfc",)
    tags: tuple[str, ...] = ()
    requires: tuple[str, ...] = ()  # discovery features: patch, bulk, filter, sort, etag, groups, enterprise
    idp_impact: str = ""
    checklist: tuple[str, ...] = ()

    def matches(self, selector: str) -> bool:
        """``selector`` is an id, an id prefix ending in ``*``, a tag, an area or a checklist id."""
        s = selector.lower()
        if s.endswith("*"):
            return self.id.startswith(s[:-1])
        return (
            s == self.id
            or s in self.tags
            or s == self.area
            or s in (c.lower() for c in self.checklist)
        )


class Registry:
    """Checks by id, in registration order. Duplicate ids or bad declarations fail at import."""

    def __init__(self) -> None:
        self._specs: dict[str, CheckSpec] = {}
        self._lock = threading.Lock()

    def register(self, spec: CheckSpec) -> CheckSpec:
        if not _ID_RE.match(spec.id):
            raise ValueError(f"check id {spec.id!r} must be lower-case words joined by '.' or '-'")
        unknown = set(spec.suites) - set(SUITES)
        if unknown:
            raise ValueError(f"check {spec.id}: unknown suite(s) {sorted(unknown)}; known: {SUITES}")
        if not spec.rests_on or not spec.fix or not spec.title:
            raise ValueError(f"check {spec.id}: title, rests_on and fix are required")
        with self._lock:
            if spec.id in self._specs:
                raise ValueError(f"duplicate check id {spec.id!r}")
            self._specs[spec.id] = spec
        return spec

    def all(self) -> list[CheckSpec]:
        return list(self._specs.values())

    def get(self, check_id: str) -> CheckSpec:
        return self._specs[check_id]

    def select(
        self,
        suites: tuple[str, ...] | list[str] = ("rfc",),
        include: tuple[str, ...] | list[str] = (),
        exclude: tuple[str, ...] | list[str] = (),
    ) -> list[CheckSpec]:
        wanted = set(SUITES) if "all" in suites else set(suites)
        out = [s for s in self._specs.values() if wanted & set(s.suites)]
        if include:
            out = [s for s in out if any(s.matches(i) for i in include)]
        if exclude:
            out = [s for s in out if not any(s.matches(e) for e in exclude)]
        return out

    def __len__(self) -> int:
        return len(self._specs)


REGISTRY = Registry()


def check(
    *,
    id: str,
    title: str,
    area: str,
    level: Level,
    rests_on: str,
    fix: str,
    suites: tuple[str, ...] = ("rfc",),
    tags: tuple[str, ...] = (),
    requires: tuple[str, ...] = (),
    idp_impact: str = "",
    checklist: tuple[str, ...] = (),
    registry: Registry | None = None,
) -> Callable[[Callable[["CheckContext"], None]], Callable[["CheckContext"], None]]:
    """Register a check function. See the module docstring for an example."""

    def decorate(func: Callable[["CheckContext"], None]) -> Callable[["CheckContext"], None]:
        (registry if registry is not None else REGISTRY).register(  # an empty Registry is falsy
            CheckSpec(
                id=id,
                title=title,
                area=area,
                level=level,
                rests_on=rests_on,
                fix=fix,
                func=func,
                suites=tuple(suites),
                tags=tuple(t.lower() for t in tags),
                requires=tuple(requires),
                idp_impact=idp_impact,
                checklist=tuple(checklist),
            )
        )
        return func

    return decorate


# -- the context a check runs in ------------------------------------------------------------
def _show(value: Any) -> str:
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= SEEN_LIMIT else text[:SEEN_LIMIT] + "…"


class CheckContext:
    """What a check sees: the target client, discovery, unique names, created objects.

    Objects created through :meth:`create_user` / :meth:`create_group` (or registered with
    :meth:`created`) are deleted by :meth:`cleanup`, which the runner always calls.
    """

    def __init__(self, client: TargetClient, discovery: Discovery, prefix: str) -> None:
        self.client = client
        self.discovery = discovery
        self.prefix = prefix
        self.exchange_ids: list[str] = []
        self.steps: list[Step] = []
        self.notes: list[str] = []
        self._created: list[str] = []  # resource paths, deleted in reverse order
        self._counter = itertools.count(1)

    # -- names and endpoints -------------------------------------------------------------
    @property
    def users(self) -> str:
        return self.discovery.endpoint("User", "/Users")

    @property
    def groups(self) -> str:
        return self.discovery.endpoint("Group", "/Groups")

    def unique(self, label: str = "x") -> str:
        """A name no other run or check uses: ``<prefix><label>-<n>-<random>``."""
        return f"{self.prefix}{label}-{next(self._counter)}-{uuid.uuid4().hex[:6]}"

    def unique_email(self, label: str = "u") -> str:
        return f"{self.unique(label)}@example.com"

    # -- HTTP, with evidence collected ----------------------------------------------------
    def request(self, method: str, path: str, **kw: Any) -> Exchange:
        ex = self.client.request(method, path, **kw)
        self.exchange_ids.append(ex.id)
        if self.steps:
            self.steps[-1].exchange_ids.append(ex.id)
        return ex

    def get(self, path: str, **kw: Any) -> Exchange:
        return self.request("GET", path, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> Exchange:
        return self.request("POST", path, json=json, **kw)

    def put(self, path: str, json: Any = None, **kw: Any) -> Exchange:
        return self.request("PUT", path, json=json, **kw)

    def patch(self, path: str, json: Any = None, **kw: Any) -> Exchange:
        return self.request("PATCH", path, json=json, **kw)

    def delete(self, path: str, **kw: Any) -> Exchange:
        return self.request("DELETE", path, **kw)

    def patch_op(self, path: str, *operations: dict[str, Any], **kw: Any) -> Exchange:
        """PATCH with a well-formed PatchOp body holding ``operations``."""
        return self.patch(path, {"schemas": [PATCH_URN], "Operations": list(operations)}, **kw)

    # -- building and creating objects -----------------------------------------------------
    def user_body(self, **attrs: Any) -> dict[str, Any]:
        """A minimal valid User (userName, name, work email, active) with overrides."""
        user_name = attrs.pop("userName", None) or self.unique_email("u")
        body: dict[str, Any] = {
            "schemas": [CORE_USER],
            "userName": user_name,
            "name": {"givenName": "Test", "familyName": "User"},
            "displayName": "Test User",
            "emails": [{"value": user_name if "@" in user_name else f"{user_name}@example.com", "type": "work", "primary": True}],
            "active": True,
        }
        body.update(attrs)
        return body

    def group_body(self, **attrs: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"schemas": [CORE_GROUP], "displayName": self.unique("g")}
        body.update(attrs)
        return body

    def create_user(self, **attrs: Any) -> dict[str, Any]:
        """POST a user (precondition): ERROR, not FAIL, if the target cannot create it."""
        return self._create(self.users, self.user_body(**attrs), "user")

    def create_group(self, **attrs: Any) -> dict[str, Any]:
        return self._create(self.groups, self.group_body(**attrs), "group")

    def _create(self, endpoint: str, body: dict[str, Any], what: str) -> dict[str, Any]:
        ex = self.post(endpoint, body)
        if ex.error:
            raise CouldNotJudge(f"could not create the {what} this check needs: {ex.error}", ex)
        created = ex.json_or_none()
        if ex.status not in (200, 201) or not isinstance(created, dict) or not created.get("id"):
            raise CouldNotJudge(
                f"could not create the {what} this check needs: {ex.method} {endpoint} answered {ex.status}",
                ex,
            )
        self.created(f"{endpoint}/{created['id']}")
        return created

    def created(self, path: str) -> None:
        """Register an object for cleanup (a resource path such as ``/Users/123``)."""
        self._created.append(path)

    def forget(self, path: str) -> None:
        """The check deleted ``path`` itself."""
        if path in self._created:
            self._created.remove(path)

    def cleanup(self) -> list[str]:
        """Delete what this check created, newest first; returns what could not be removed."""
        left: list[str] = []
        while self._created:
            path = self._created.pop()
            ex = self.client.request("DELETE", path)  # not evidence: housekeeping
            if ex.error or ex.status not in (200, 204, 404):
                left.append(path)
        return left

    # -- judging -----------------------------------------------------------------------------
    def fail(self, message: str, expected: Any = "", seen: Any = "", ex: Exchange | None = None) -> None:
        raise CheckFailed(message, _show(expected), _show(seen), ex)

    def skip(self, reason: str) -> None:
        raise Skipped(reason)

    def expect(self, condition: Any, expected: Any, seen: Any, ex: Exchange | None = None, message: str = "") -> None:
        if not condition:
            self.fail(message or f"expected {_show(expected)}, saw {_show(seen)}", expected, seen, ex)

    def expect_answer(self, ex: Exchange) -> Exchange:
        """ERROR (could not judge) if the request got no HTTP answer at all."""
        if ex.error or ex.status is None:
            raise CouldNotJudge(f"{ex.method} {ex.url}: {ex.error or 'no response'}", ex)
        return ex

    def expect_status(self, ex: Exchange, *statuses: int, message: str = "") -> Exchange:
        self.expect_answer(ex)
        if ex.status in TRANSIENT and ex.status not in statuses:
            # Rate limiting or a passing outage says nothing about conformance: not judged.
            retry = ex.header("Retry-After")
            raise CouldNotJudge(
                f"{ex.method} answered {ex.status}" + (f" (Retry-After: {retry})" if retry else "") + "; not judged",
                ex,
            )
        if ex.status not in statuses:
            want = " or ".join(str(s) for s in statuses)
            detail = ""
            body = ex.json_or_none()
            if isinstance(body, dict) and body.get("detail"):
                detail = f" ({_show(body.get('detail'))})"
            self.fail(
                message or f"{ex.method} answered {ex.status}{detail}, expected {want}",
                want,
                ex.status,
                ex,
            )
        return ex

    def expect_json(self, ex: Exchange) -> Any:
        """The parsed body; FAIL if a 2xx/4xx body is not JSON."""
        self.expect_answer(ex)
        if ex.too_large:
            raise CouldNotJudge(f"response body over {self.client.target.max_read} bytes", ex)
        try:
            return ex.json()
        except (ValueError, UnicodeDecodeError):
            self.fail("the response body is not JSON", "a JSON body", (ex.response_body or "")[:200], ex)
        raise AssertionError("unreachable")

    def expect_resource(self, ex: Exchange, *statuses: int) -> dict[str, Any]:
        self.expect_status(ex, *(statuses or (200,)))
        body = self.expect_json(ex)
        self.expect(isinstance(body, dict), "a JSON object", type(body).__name__, ex)
        return body

    def expect_list_response(self, ex: Exchange) -> dict[str, Any]:
        """200 with a ListResponse (RFC 7644 §3.4.2)."""
        body = self.expect_resource(ex, 200)
        schemas = body.get("schemas")
        self.expect(
            isinstance(schemas, list) and LIST_URN in schemas,
            f"schemas containing {LIST_URN}",
            schemas,
            ex,
        )
        return body

    def expect_scim_error(self, ex: Exchange, status: int | tuple[int, ...], scim_type: str | None = None) -> dict[str, Any]:
        """An error answer with the SCIM Error schema, ``status`` as a string, and scimType."""
        statuses = status if isinstance(status, tuple) else (status,)
        self.expect_status(ex, *statuses)
        body = self.expect_json(ex)
        if not isinstance(body, dict):
            self.fail("the error body is not a JSON object", "a SCIM Error object", body, ex)
        schemas = body.get("schemas")
        self.expect(isinstance(schemas, list) and ERROR_URN in schemas, f"schemas [{ERROR_URN}]", schemas, ex,
                    message="the error body lacks the SCIM Error schema")
        self.expect(body.get("status") == str(ex.status), f'"status": "{ex.status}" (a string)', body.get("status"), ex,
                    message="the error's status is not the HTTP status as a string")
        if scim_type is not None:
            self.expect(body.get("scimType") == scim_type, f'scimType "{scim_type}"', body.get("scimType"), ex,
                        message=f"expected scimType {scim_type}, saw {_show(body.get('scimType'))}")
        return body

    # -- structure ------------------------------------------------------------------------
    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[Step]:
        """Mark a scenario step; its exchanges and outcome are reported separately."""
        step = Step(name=name)
        self.steps.append(step)
        try:
            yield step
        except CheckFailed as exc:
            step.outcome, step.message = Outcome.FAIL, exc.message
            raise
        except Skipped as exc:
            step.outcome, step.message = Outcome.SKIP, exc.reason
            raise
        except Exception as exc:
            step.outcome, step.message = Outcome.ERROR, str(exc)
            raise

    def note(self, text: str) -> None:
        self.notes.append(text)


# -- running one check ----------------------------------------------------------------------
def missing_requirement(spec: CheckSpec, discovery: Discovery) -> str | None:
    """The reason to SKIP ``spec`` on this target, or ``None`` if it applies."""
    for feature in spec.requires:
        if discovery.supports(feature) is False:
            return f"the target does not advertise {feature} support"
    return None


def run_check(spec: CheckSpec, ctx: CheckContext, redact: Callable[[str], str] = lambda s: s) -> CheckResult:
    """Run ``spec`` in ``ctx``, always clean up, and turn the outcome into a result."""
    started = time.perf_counter()
    outcome, message, expected, seen = Outcome.PASS, "", "", ""
    reason = missing_requirement(spec, ctx.discovery)
    if reason:
        outcome, message = Outcome.SKIP, reason
    else:
        try:
            spec.func(ctx)
        except CheckFailed as exc:
            outcome = Outcome.FAIL if spec.level is Level.MUST else Outcome.WARN
            message, expected, seen = exc.message, exc.expected, exc.seen
        except Skipped as exc:
            outcome, message = Outcome.SKIP, exc.reason
        except CouldNotJudge as exc:
            outcome, message = Outcome.ERROR, exc.message
        except Exception as exc:  # noqa: BLE001 - a bug in a check is an ERROR, never a crash
            outcome, message = Outcome.ERROR, f"harness error in check: {type(exc).__name__}: {exc}"
        finally:
            left = ctx.cleanup()
            if left:
                ctx.note("could not remove: " + ", ".join(left))
    if ctx.notes and outcome is Outcome.PASS:
        message = "; ".join(ctx.notes)
    return CheckResult(
        id=spec.id,
        title=spec.title,
        area=spec.area,
        level=spec.level,
        outcome=outcome,
        rests_on=spec.rests_on,
        fix=spec.fix,
        suites=list(spec.suites),
        tags=list(spec.tags),
        message=redact(message),
        expected=redact(expected),
        seen=redact(seen),
        idp_impact=spec.idp_impact,
        exchange_ids=list(ctx.exchange_ids),
        steps=[Step(s.name, s.outcome, redact(s.message), list(s.exchange_ids)) for s in ctx.steps],
        duration_ms=(time.perf_counter() - started) * 1000,
        checklist=list(spec.checklist),
    )
