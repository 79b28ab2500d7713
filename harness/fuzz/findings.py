"""Fuzz findings -> the results model every report reads (``RunResult(kind="fuzz")``).

One :class:`Finding` per distinct defect: schemathesis failures are grouped by what went
wrong and where (a 5xx on ``POST /Users`` is one finding however many generated requests hit
it, and whichever checks saw it). Each becomes a FAIL :class:`~harness.results.CheckResult`
in area ``fuzz``, level MUST, whose evidence is the minimal reproducing exchange (recorded
through :mod:`harness.recorder`, so the credential is already redacted) and a ``curl`` line
(:func:`harness.curl.curl_command`) that reads the credential from ``$SCIM_TOKEN``. Every check family that found nothing
becomes one PASS result, so a clean run still says what was verified.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from harness.curl import curl_command
from harness.recorder import Exchange
from harness.results import CheckResult, Level, Outcome, Step

__all__ = ["Finding", "FAMILIES", "RawFailure", "to_results", "category_of", "group_failures"]

#: Check family -> (title, what it rests on, how to fix). Keys are the categories of findings.
FAMILIES: dict[str, tuple[str, str, str]] = {
    "server-error": (
        "No request makes the server fail (5xx)",
        "RFC 7644 §3.12 (a malformed request is answered with a 4xx SCIM Error)",
        "Validate the request and answer 400 with a SCIM Error (scimType invalidSyntax/invalidValue) "
        "instead of failing; the reproducer below shows the smallest input that triggers the failure.",
    ),
    "status_code_conformance": (
        "Status codes are the ones SCIM defines for the operation",
        "RFC 7644 §3.3-§3.6, §3.12",
        "Answer with the status RFC 7644 gives this operation (201 create, 200 read/replace/modify, "
        "204 delete, 4xx SCIM Errors).",
    ),
    "content_type_conformance": (
        "Responses are application/scim+json",
        "RFC 7644 §3.1, §8.1",
        "Send Content-Type: application/scim+json (application/json is tolerated by clients).",
    ),
    "response_schema_conformance": (
        "Response bodies match the target's own schemas",
        "RFC 7643 §2-§8 and the target's /Schemas (RFC 7644 §4)",
        "Return resources, ListResponses and Errors in the shape /Schemas advertises "
        "(types, required id/schemas, error status as a string).",
    ),
    "scim_error_body": (
        "Every error body is a SCIM Error with status as a string",
        "RFC 7644 §3.12",
        'Answer errors with {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], '
        '"status": "400", "detail": "..."} - status is a JSON string equal to the HTTP status.',
    ),
    "scim_created_readable": (
        "A created resource reads back with what was sent",
        "RFC 7644 §3.3, §3.4.1",
        "Store every attribute the create carried and return it on GET /{endpoint}/{id}.",
    ),
    "scim_filter_finds_created": (
        "A userName eq filter finds what was created",
        "RFC 7644 §3.4.2.2",
        'Support filter=userName eq "..." (compValue is a JSON string; userName is caseExact=false).',
    ),
}


def category_of(check: str, status: int | None) -> str:
    """The family a failure belongs to: any 5xx is a server error, whichever check saw it."""
    if status is not None and status >= 500:
        return "server-error"
    return check if check in FAMILIES else "server-error" if check == "not_a_server_error" else check


@dataclass
class Finding:
    """One distinct defect, with its minimal reproducer."""

    category: str
    method: str
    template: str  # the operation's path template, e.g. "/Users/{id}"
    message: str  # what went wrong (bounded, redacted)
    status: int | None
    checks: set[str] = field(default_factory=set)
    occurrences: int = 1
    evidence: list[Exchange] = field(default_factory=list)  # first: the minimal reproducer; then follow-ups
    reproduced: bool = False
    original_size: int = 0
    minimal_size: int = 0

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.category, self.method, self.template)


@dataclass
class RawFailure:
    """One failing check on one generated request, as schemathesis reported it."""

    check: str
    message: str
    method: str
    template: str
    status: int | None
    url: str
    body: bytes | None
    content_type: str | None


def group_failures(raws: list[RawFailure], redact: Callable[[str], str]) -> list[tuple[Finding, list[RawFailure]]]:
    """Distinct findings: one per (category, method, path template), smallest request first."""
    groups: dict[tuple[str, str, str], tuple[Finding, list[RawFailure]]] = {}
    for raw in raws:
        category = category_of(raw.check, raw.status)
        key = (category, raw.method, raw.template)
        if key not in groups:
            groups[key] = (Finding(category=category, method=raw.method, template=raw.template,
                                   message=redact(raw.message)[:500], status=raw.status, occurrences=0), [])
        finding, members = groups[key]
        finding.occurrences += 1
        finding.checks.add(raw.check)
        members.append(raw)
    for finding, members in groups.values():
        members.sort(key=lambda r: (len(r.body or b""), len(r.url)))
    return list(groups.values())


def _result_id(finding: Finding) -> str:
    return f"fuzz.{finding.category}:{finding.method} {finding.template}"


def to_results(findings: list[Finding], requests: int, errors: list[str] | tuple[str, ...] = ()) -> list[CheckResult]:
    """PASS per clean family, FAIL per finding (sorted, so output is stable for a seed), and one
    ERROR when schemathesis itself hit errors (the verdict is then incomplete)."""
    out: list[CheckResult] = []
    if errors:
        out.append(CheckResult(
            id="fuzz.engine", title="The fuzzer ran every operation", area="fuzz", level=Level.MUST,
            outcome=Outcome.ERROR, rests_on="scim-harness", tags=["fuzz"],
            fix="Not a finding about the target: the operations named were not (fully) tested.",
            message=f"{len(errors)} error(s) while generating or sending: {errors[0]}"[:500],
        ))
    found = {f.category for f in findings}
    for category, (title, rests_on, fix) in FAMILIES.items():
        if category not in found:
            out.append(CheckResult(
                id=f"fuzz.{category}", title=title, area="fuzz", level=Level.MUST, outcome=Outcome.PASS,
                rests_on=rests_on, fix=fix, tags=["fuzz"],
                message=f"nothing found in {requests} generated requests",
            ))
    for finding in sorted(findings, key=lambda f: f.key):
        title, rests_on, fix = FAMILIES.get(finding.category, (finding.category, "the target's OpenAPI contract", ""))
        reproducer = finding.evidence[0] if finding.evidence else None
        steps = []
        if reproducer is not None:
            verdict = "reproduced" if finding.reproduced else "did NOT reproduce on replay (flaky or state-dependent)"
            steps.append(Step(
                name=f"minimal reproducer ({verdict}; body {finding.original_size} -> {finding.minimal_size} bytes)",
                outcome=Outcome.FAIL if finding.reproduced else Outcome.WARN,
                message=curl_command(reproducer), exchange_ids=[reproducer.id],
            ))
        out.append(CheckResult(
            id=_result_id(finding), title=f"{title}: {finding.method} {finding.template}", area="fuzz",
            level=Level.MUST, outcome=Outcome.FAIL, rests_on=rests_on, fix=fix, tags=["fuzz", *sorted(finding.checks)],
            message=finding.message[:500],
            expected=title,
            seen=(f"HTTP {reproducer.status}" if reproducer is not None and reproducer.status is not None
                  else f"HTTP {finding.status}") + f" ({finding.occurrences} generated request(s) failed this way)",
            exchange_ids=[ex.id for ex in finding.evidence], steps=steps,
        ))
    return out
