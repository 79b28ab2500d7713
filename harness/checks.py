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

import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass

from harness.context import (  # re-exported: checks import everything from here
    BULK_REQUEST_URN,
    BULK_RESPONSE_URN,
    ERROR_URN,
    LIST_URN,
    OMIT,
    PATCH_URN,
    SEARCH_URN,
    CheckContext,
    CheckFailed,
    CouldNotJudge,
    Skipped,
)
from harness.discovery import Discovery
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
    "OMIT",
    "ERROR_URN",
    "LIST_URN",
    "PATCH_URN",
    "SEARCH_URN",
    "BULK_REQUEST_URN",
    "BULK_RESPONSE_URN",
]

SUITES = ("rfc", "entra", "jumpcloud", "okta")
_ID_RE = re.compile(r"^[a-z][a-z0-9]*(?:[.-][a-z0-9]+)*$")


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
    cause: str = ""  # a harness.causes id shared by checks that judge one behaviour
    quote: str = ""  # the RFC sentence (verbatim) whose keyword sets ``level``

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
    cause: str = "",
    quote: str = "",
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
                cause=cause,
                quote=quote,
            )
        )
        return func

    return decorate


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
    outcome, message, expected, seen, failure_cause = Outcome.PASS, "", "", "", ""
    reason = missing_requirement(spec, ctx.discovery)
    if reason:
        outcome, message = Outcome.SKIP, reason
    else:
        try:
            spec.func(ctx)
        except CheckFailed as exc:
            outcome = Outcome.FAIL if spec.level is Level.MUST else Outcome.WARN
            message, expected, seen = exc.message, exc.expected, exc.seen
            failure_cause = exc.cause or spec.cause or spec.id
            ctx.failed_on = exc.exchange
        except Skipped as exc:
            outcome, message = Outcome.SKIP, exc.reason
        except CouldNotJudge as exc:
            outcome, message, failure_cause = Outcome.ERROR, exc.message, exc.cause
            ctx.failed_on = exc.exchange
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
        cause=failure_cause,
        quote=spec.quote,
    )
