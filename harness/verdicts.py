"""The verdict per identity provider: "Entra ID: 2 blockers", and findings grouped by cause.

The console, results.json and the HTML report all take their verdicts from here (the reports
only render them). One defect is one finding: FAIL/WARN results that share a root cause
(:mod:`harness.causes`) form one :class:`CauseGroup` ("3 checks, one cause: userName eq
compares case-sensitively"), and a verdict counts causes, not checks.

What counts as a blocker (the rule the report prints under its banners):

- a check **relies on** an IdP when the check belongs to that IdP's suite (``suites`` holds
  ``entra``), is tagged with it, or its ``idp_impact`` names the IdP (an RFC MUST that the
  IdP's provisioning engine depends on, e.g. "Entra ID quarantines the job on a 404");
- a **blocker** for an IdP is a FAIL of a check that relies on it: the target breaks
  something the IdP needs, so provisioning will not work as the customer expects;
- a WARN of such a check is a **warning** (a SHOULD the IdP prefers);
- an ERROR is **not judged** (the harness could not tell), never charged as a blocker.

For a simulation, the simulated IdP's blockers are the FAIL results of the run itself
(convergence differences, failed or escrowed changes, quarantine). A fuzz run gets a banner
only for an IdP that one of its results relies on (usually none).

IdP names and the words that identify them in ``idp_impact`` are data (:data:`IDPS`); how
long each waits for an answer (``timeout_s``) is read from its profile (harness/idp).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from typing import Any

from harness.causes import cause_title
from harness.idp.profile import load_profile
from harness.results import CheckResult, Outcome, RunResult

__all__ = ["IdpInfo", "IdpVerdict", "IDPS", "relies_on", "idp_verdicts", "BLOCKER_RULE", "CauseGroup",
           "group_by_cause", "verdicts_dict", "causes_dict"]

BLOCKER_RULE = (
    "A blocker is a root cause behind a FAIL of a check in that IdP's suite, or of an RFC check "
    "whose IdP impact names that IdP; checks that fail for one cause count once. Warnings are "
    "SHOULD-level findings; 'not judged' means the harness could not tell (timeouts, unusable "
    "answers), which is never charged to the target."
)


@dataclass(frozen=True)
class IdpInfo:
    key: str  # the suite name, e.g. "entra"
    name: str  # shown to people, e.g. "Entra ID"
    words: tuple[str, ...]  # lower-case words that name it in an idp_impact text
    headline: bool = True  # shown even when nothing in the run relied on it
    timeout_s: float = 60.0  # how long it waits for an answer before it counts a failure
    timeout_confirmed: bool = False


def _waits(profile: str) -> dict[str, Any]:
    """How long the IdP waits for an answer, from its profile (harness/idp): the one source."""
    known = load_profile(profile)
    return {"timeout_s": known.timeout_seconds,
            "timeout_confirmed": known.facts.get("timeout_seconds", "").startswith("confirmed")}


IDPS: tuple[IdpInfo, ...] = (
    IdpInfo("entra", "Entra ID", ("entra", "azure ad", "aad"), **_waits("entra")),
    IdpInfo("jumpcloud", "JumpCloud", ("jumpcloud",), **_waits("jumpcloud")),
    IdpInfo("okta", "Okta", ("okta",), headline=False, **_waits("okta")),
)


@dataclass
class CauseGroup:
    """FAIL/WARN results that share one root cause: one finding."""

    cause: str
    title: str
    results: list[CheckResult] = field(default_factory=list)

    @property
    def outcome(self) -> Outcome:
        return Outcome.FAIL if any(r.outcome is Outcome.FAIL for r in self.results) else Outcome.WARN

    @property
    def line(self) -> str:
        """``"3 checks, one cause: userName eq compares case-sensitively"`` (or the one check's title)."""
        n = len(self.results)
        return f"{n} checks, one cause: {self.title}" if n > 1 else self.title

    def to_dict(self) -> dict[str, Any]:
        return {"cause": self.cause, "title": self.title, "outcome": self.outcome.value,
                "checks": [r.id for r in self.results]}


def _cause_of(result: CheckResult) -> str:
    return str(result.cause or result.id)  # str(): a results.json read back may hold anything


def group_by_cause(results: list[CheckResult]) -> list[CauseGroup]:
    """FAIL and WARN results grouped by root cause, in first-seen order."""
    groups: dict[str, CauseGroup] = {}
    for r in results:
        if r.outcome not in (Outcome.FAIL, Outcome.WARN):
            continue
        key = _cause_of(r)
        title = cause_title(key) if cause_title(key) != key else str(r.title)
        groups.setdefault(key, CauseGroup(key, title)).results.append(r)
    return list(groups.values())

#: Simulation profile names (mock_idp) to the IdP they play.
SIMULATED = {"entra": "entra", "entra-legacy": "entra", "jumpcloud": "jumpcloud", "okta": "okta", "okta-aiw": "okta"}


@dataclass
class IdpVerdict:
    key: str
    name: str
    state: str  # "ready" | "blocked" | "warnings" | "not-tested"
    blockers: list[CheckResult] = field(default_factory=list)  # the failed checks (for per-check labels)
    warnings: list[CheckResult] = field(default_factory=list)
    not_judged: list[CheckResult] = field(default_factory=list)
    relied: int = 0  # checks that relied on this IdP and were run (not skipped)
    note: str = ""
    could_not_start: bool = False  # a simulation that never got going (e.g. Test Connection failed)

    @property
    def blocker_causes(self) -> list[CauseGroup]:
        """The blockers, one per root cause: what the headline counts."""
        return group_by_cause(self.blockers)

    @property
    def warning_causes(self) -> list[CauseGroup]:
        return group_by_cause(self.warnings)

    @property
    def headline(self) -> str:
        if self.could_not_start:
            return f"{self.name}: could not start"
        if self.state == "not-tested":
            return f"{self.name}: not tested"
        if self.blockers:
            n = len(self.blocker_causes)
            return f"{self.name}: {n} blocker{'s' if n != 1 else ''}"
        if self.warnings:
            n = len(self.warning_causes)
            return f"{self.name}: ready, {n} warning{'s' if n != 1 else ''}"
        return f"{self.name}: ready"

    def to_dict(self) -> dict[str, Any]:
        return {
            "idp": self.key, "name": self.name, "state": self.state, "headline": self.headline,
            "blockers": [g.to_dict() for g in self.blocker_causes],
            "warnings": [g.to_dict() for g in self.warning_causes],
            "not_judged": [r.id for r in self.not_judged], "judged": self.relied, "note": self.note,
        }


def relies_on(result: CheckResult, idp: IdpInfo) -> bool:
    """Does ``result``'s check matter to ``idp``? (See the module docstring.)"""
    if idp.key in result.suites or idp.key in result.tags:
        return True
    impact = result.idp_impact.lower()
    return any(word in impact for word in idp.words)


def _judge(idp: IdpInfo, results: list[CheckResult]) -> IdpVerdict:
    verdict = IdpVerdict(idp.key, idp.name, "not-tested")
    for result in results:
        if result.outcome is Outcome.SKIP:
            continue
        verdict.relied += 1
        if result.outcome is Outcome.FAIL:
            verdict.blockers.append(result)
        elif result.outcome is Outcome.WARN:
            verdict.warnings.append(result)
        elif result.outcome is Outcome.ERROR:
            verdict.not_judged.append(result)
    if verdict.relied:
        verdict.state = "blocked" if verdict.blockers else "warnings" if verdict.warnings else "ready"
    return verdict


def idp_verdicts(run: RunResult) -> list[IdpVerdict]:
    """One verdict per IdP worth showing for ``run``, headline IdPs first."""
    if run.kind == "simulation" and run.simulation:
        played = str(run.simulation.get("idp", ""))
        key = SIMULATED.get(played, played)
        info = next((i for i in IDPS if i.key == key), IdpInfo(key, played or "IdP", (key,)))
        verdict = _judge(info, run.results)
        verdict.name = f"{info.name} simulation" + (f" ({played})" if played != key else "")
        if run.exit_code == 2:
            # The IdP could not even begin (its Test Connection failed, the target was
            # unreachable): for a customer that blocks everything.
            verdict.state, verdict.could_not_start, verdict.note = "blocked", True, run.message
            return [verdict]
        if verdict.state == "not-tested" and run.simulation.get("cycles"):
            verdict.state = "ready"
        verdict.note = "blockers are failed provisioning changes, quarantine and convergence differences"
        return [verdict]
    verdicts = []
    for info in IDPS:
        verdict = _judge(info, [r for r in run.results if relies_on(r, info)])
        # A fuzz run judges the contract, not an IdP's needs: "Entra ID: not tested (try --suite
        # entra)" on its page is noise, so only an IdP one of its findings names gets a banner.
        headline = info.headline and run.kind != "fuzz"
        if headline or verdict.relied:
            if verdict.state == "not-tested":
                verdict.note = (
                    f"the run could not test: {run.message}" if run.exit_code == 2 and run.message
                    else f"no check that {info.name} relies on ran (try --suite {info.key})"
                )
            verdicts.append(verdict)
    return verdicts


def verdicts_dict(run: RunResult) -> list[dict[str, Any]]:
    """The per-IdP verdicts as results.json carries them (docs/results-schema.md)."""
    return [v.to_dict() for v in idp_verdicts(run)]


def causes_dict(run: RunResult) -> list[dict[str, Any]]:
    """The run's findings, one per root cause, as results.json carries them."""
    return [g.to_dict() for g in group_by_cause(run.results)]
