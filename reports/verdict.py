"""The verdict per identity provider: "Entra ID: 3 blockers".

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

IdP names and the words that identify them in ``idp_impact`` are data (:data:`IDPS`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

from harness.results import CheckResult, Outcome, RunResult

__all__ = ["IdpInfo", "IdpVerdict", "IDPS", "relies_on", "idp_verdicts", "BLOCKER_RULE"]

BLOCKER_RULE = (
    "A blocker is a FAIL of a check in that IdP's suite, or of an RFC check whose IdP impact "
    "names that IdP. Warnings are SHOULD-level findings; 'not judged' means the harness could "
    "not tell (timeouts, unusable answers), which is never charged to the target."
)


@dataclass(frozen=True)
class IdpInfo:
    key: str  # the suite name, e.g. "entra"
    name: str  # shown to people, e.g. "Entra ID"
    words: tuple[str, ...]  # lower-case words that name it in an idp_impact text
    headline: bool = True  # shown even when nothing in the run relied on it


IDPS: tuple[IdpInfo, ...] = (
    IdpInfo("entra", "Entra ID", ("entra", "azure ad", "aad")),
    IdpInfo("jumpcloud", "JumpCloud", ("jumpcloud",)),
    IdpInfo("okta", "Okta", ("okta",), headline=False),
)

#: Simulation profile names (mock_idp) to the IdP they play.
SIMULATED = {"entra": "entra", "entra-legacy": "entra", "jumpcloud": "jumpcloud", "okta": "okta", "okta-aiw": "okta"}


@dataclass
class IdpVerdict:
    key: str
    name: str
    state: str  # "ready" | "blocked" | "warnings" | "not-tested"
    blockers: list[CheckResult] = field(default_factory=list)
    warnings: list[CheckResult] = field(default_factory=list)
    not_judged: list[CheckResult] = field(default_factory=list)
    relied: int = 0  # checks that relied on this IdP and were run (not skipped)
    note: str = ""
    could_not_start: bool = False  # a simulation that never got going (e.g. Test Connection failed)

    @property
    def headline(self) -> str:
        if self.could_not_start:
            return f"{self.name}: could not start"
        if self.state == "not-tested":
            return f"{self.name}: not tested"
        if self.blockers:
            n = len(self.blockers)
            return f"{self.name}: {n} blocker{'s' if n != 1 else ''}"
        if self.warnings:
            n = len(self.warnings)
            return f"{self.name}: ready, {n} warning{'s' if n != 1 else ''}"
        return f"{self.name}: ready"


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
