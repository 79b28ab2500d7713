"""Findings the run itself makes, from exchanges no single check owns.

Nothing seen is thrown away: the first probe, discovery, the fixture users and the timing of
every answer can back a finding. Each is one :class:`CheckResult` (area ``discovery`` or
``run``), listed before the checks' results, judged once:

- ``discovery.endpoint-relative`` (WARN, a MAY: the sentence has no keyword): a ResourceType
  endpoint not written relative to the base URL (RFC 7643 §6); it was resolved per RFC 3986 and
  the checks used the resolved URL (an endpoint on another origin is not used: the checks use
  ``{base}/Users``);
- ``run.first-probe`` (FAIL): the run's first ``GET {base}/Users?count=1`` answered 5xx;
- ``run.fixture-user`` / ``run.fixture-group`` (FAIL): the target refused the test object built
  from its own /Schemas; the checks that needed one are "not judged" citing this cause;
- ``run.latency`` (FAIL/WARN): an answer slower than an IdP waits (``timeout_s`` per IdP, data in
  :data:`harness.verdicts.IDPS`), or slower than half of it.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from harness.causes import cause
from harness.discovery import Discovery
from harness.endpoints import DEFAULT_ENDPOINTS
from harness.recorder import Exchange
from harness.results import CheckResult, Level, Outcome
from harness.verdicts import IDPS, IdpInfo

__all__ = ["finding", "endpoint_findings", "first_probe_finding", "fixture_finding", "latency_finding",
           "FIXTURE_USER_REFUSED", "FIXTURE_GROUP_REFUSED", "RUN_FINDINGS"]

#: Every finding the run itself can make, by id, with what it judges: the console's header counts
#: them with the checks, and the pytest plugin collects one item for each (it passes when the run
#: did not make that finding).
RUN_FINDINGS = {
    "discovery.endpoint-relative": "ResourceType endpoints are relative to the base URL",
    "run.first-probe": f"GET {DEFAULT_ENDPOINTS['user']}?count=1 answers without a server error",
    "run.fixture-user": "A user built from the target's own /Schemas can be created",
    "run.fixture-group": "A group built from the target's own /Schemas can be created",
    "run.latency": "Answers come well within the time the IdPs wait",
}

FIXTURE_USER_REFUSED = cause("fixture-user-refused", "the target refuses a user built from its own /Schemas")
FIXTURE_GROUP_REFUSED = cause("fixture-group-refused", "the target refuses a group built from its own /Schemas")
ALL_IDPS = ("entra", "jumpcloud", "okta")


def finding(id: str, title: str, *, outcome: Outcome, level: Level, rests_on: str, fix: str, message: str,
            area: str = "run", quote: str = "", expected: str = "", seen: str = "", idp_impact: str = "",
            exchanges: Iterable[Exchange] = (), suites: Sequence[str] = ("rfc",), cause: str = "") -> CheckResult:
    """A result the run made itself (not a registered check)."""
    return CheckResult(
        id=id, title=title, area=area, level=level, outcome=outcome, rests_on=rests_on, fix=fix,
        suites=list(suites), tags=["run-finding"], message=message, expected=expected, seen=seen,
        idp_impact=idp_impact, exchange_ids=[ex.id for ex in exchanges],
        cause=(cause or id) if outcome in (Outcome.FAIL, Outcome.WARN) else cause, quote=quote,
    )


def endpoint_findings(discovery: Discovery, exchanges: Sequence[Exchange] = ()) -> list[CheckResult]:
    """One finding for every endpoint not written relative to the base URL (RFC 7643 §6).

    An endpoint that does not answer is not a finding here: discovery says so and the RFC check
    ``discovery.resource-type-endpoints-live`` judges it (one behaviour, one finding)."""
    deviating = []
    for rt in discovery.resource_types:
        name = str(rt.get("name", ""))
        resolved = discovery.resolved(name)
        if resolved is None or not resolved.deviates or resolved.form == "invalid":
            continue
        if resolved.usable:
            deviating.append(f"{name}: {resolved.advertised[:200]!r} resolved to {resolved.url[:200]}")
        else:
            deviating.append(f"{name}: {resolved.advertised[:200]!r} is on another origin, not used "
                             f"(credentials go only to the target's origin)")
    if not deviating:
        return []
    return [finding(
        "discovery.endpoint-relative", RUN_FINDINGS["discovery.endpoint-relative"],
        # The sentence has no RFC 2119 keyword ("relative to" is a definition): a MAY, a note that
        # never grades as a SHOULD or a MUST (levels as the RFC words them).
        area="discovery", outcome=Outcome.WARN, level=Level.MAY, rests_on="RFC 7643 §6; RFC 3986 §5.2",
        quote='endpoint The resource type\'s HTTP-addressable endpoint relative to the Base URL of the '
              'service provider, e.g., "/Users".',
        message="endpoint not written relative to the base URL (a note: RFC 7643 §6 defines the attribute so, "
                "without a keyword); resolved per RFC 3986 §5.2 and tested where it resolves: " + "; ".join(deviating),
        expected='an endpoint relative to the base URL, e.g. "/Users"', seen="; ".join(deviating),
        exchanges=exchanges,
        fix='Advertise "endpoint": "/Users" (relative to the base URL): a client that appends the endpoint to '
            "the base URL, as RFC 7643 §6 invites, reaches a wrong URL.")]


def first_probe_finding(probe: Exchange) -> CheckResult | None:
    """The run's first request answered 5xx: reported once, as what it is."""
    if probe.status is None or probe.status < 500 or probe.status in (503,):
        return None
    return finding(
        "run.first-probe", RUN_FINDINGS["run.first-probe"],
        outcome=Outcome.FAIL, level=Level.MUST, rests_on="RFC 7644 §3.4.2.4, §3.12",
        message=f"the run's first request, GET {DEFAULT_ENDPOINTS['user']}?count=1, answered {probe.status}",
        expected="200 with a ListResponse", seen=str(probe.status), exchanges=[probe],
        idp_impact="Okta tests credentials with GET /Users?startIndex=1&count=2 and imports in pages of "
                   "count=100 (idp-behaviors, confirmed O1, O2): a server error on count fails both",
        fix="Answer GET /Users?count=N with 200 and at most N resources (count is a page size).")


def fixture_finding(kind: str, refusal: Exchange) -> CheckResult:
    """The target refused the test user (or group) built from its own /Schemas."""
    detail = ""
    body = refusal.json_or_none()
    if isinstance(body, dict) and body.get("detail"):
        detail = f": {str(body.get('detail'))[:300]}"
    seen = f"{refusal.status}{detail}" if refusal.status is not None else str(refusal.error)
    return finding(
        f"run.fixture-{kind}", RUN_FINDINGS[f"run.fixture-{kind}"],
        outcome=Outcome.FAIL, level=Level.MUST, rests_on="RFC 7644 §3.3; RFC 7643 §2.2 (required attributes)",
        quote="When the service provider successfully creates the new resource, an HTTP response SHALL be returned "
              "with HTTP status code 201 (Created).",
        message=f"POST of a {kind} holding every attribute /Schemas marks required was refused ({seen}); "
                f"checks that need a test {kind} were not judged",
        expected=f"201 Created with the {kind}", seen=seen, exchanges=[refusal],
        cause=FIXTURE_USER_REFUSED if kind == "user" else FIXTURE_GROUP_REFUSED,
        idp_impact=f"Entra ID, JumpCloud and Okta create {kind}s with POST; a {kind} the schema allows is refused",
        fix=f"Accept a POST of a {kind} that carries every attribute your /Schemas marks required, or mark "
            f"required in /Schemas what you really require.")


def latency_finding(exchanges: Sequence[Exchange], idps: Sequence[IdpInfo] = IDPS) -> CheckResult | None:
    """The slowest answer against what each IdP waits (``IdpInfo.timeout_s``)."""
    answered = [ex for ex in exchanges if ex.status is not None and not ex.error]
    if not answered or not idps:
        return None
    slowest = max(answered, key=lambda ex: ex.elapsed_ms)
    seconds = slowest.elapsed_ms / 1000
    over = [i for i in idps if seconds > i.timeout_s]
    near = [i for i in idps if i.timeout_s / 2 < seconds <= i.timeout_s]
    if not over and not near:
        return None
    named = over or near
    waits = ", ".join(f"{i.name} {i.timeout_s:g} s" + ("" if i.timeout_confirmed else " (unconfirmed)") for i in named)
    where = f"{slowest.method} {slowest.url}"
    if over:
        message = f"the slowest answer took {seconds:.1f} s ({where}); longer than the IdP waits ({waits})"
        impact = f"{', '.join(i.name for i in over)} give up on a request after its timeout and count a failure"
    else:
        message = f"the slowest answer took {seconds:.1f} s ({where}); over half of what the IdP waits ({waits})"
        impact = f"{', '.join(i.name for i in near)} time out if the target slows further under load"
    return finding(
        "run.latency", RUN_FINDINGS["run.latency"],
        outcome=Outcome.FAIL if over else Outcome.WARN, level=Level.MUST if over else Level.SHOULD,
        rests_on="idp-behaviors: request timeouts (each IdP's timeout_seconds in harness/idp/profiles)",
        message=message, expected=f"answers within {min(i.timeout_s for i in named) / 2:g} s",
        seen=f"{seconds:.1f} s", exchanges=[slowest], suites=[i.key for i in named], idp_impact=impact,
        fix="Answer SCIM requests in a few seconds (index the attributes IdPs filter on; page large lists).")
