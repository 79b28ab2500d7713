"""A client's exchanges, judged by every rule, as a RunResult of kind ``client``."""

from __future__ import annotations

import time
from datetime import datetime, timezone

from harness.grade.resemble import resemble
from harness.grade.rules import RULES, Rule
from harness.grade.source import user_agent
from harness.recorder import Exchange
from harness.replay.session import Recorded
from harness.results import CheckResult, Level, Outcome, RunResult

MAX_EVIDENCE = 20  # exchanges named per rule


def _exchange(r: Recorded) -> Exchange:
    return Exchange(id=f"rec-{r.index}", at=r.at, method=r.method, url=r.path + (f"?{r.query}" if r.query else ""),
                    request_headers=list(r.request_headers), request_body=r.request_body, status=r.status,
                    response_headers=list(r.response_headers), response_body=r.response_body,
                    elapsed_ms=r.elapsed_ms, response_truncated=r.truncated)


def _judge(rule: Rule, exchanges: list[Recorded]) -> CheckResult:
    started = time.perf_counter()
    skip, findings = rule.judge(exchanges)
    failing = Outcome.FAIL if rule.level is Level.MUST else Outcome.WARN
    outcome = Outcome.SKIP if skip else failing if findings else Outcome.PASS
    message = skip or (findings[0][1] + (f" (and {len(findings) - 1} more)" if len(findings) > 1 else "")
                       if findings else "")
    return CheckResult(id=rule.id, title=rule.title, area="client", level=rule.level, outcome=outcome,
                       rests_on=rule.rests_on, fix=rule.fix, suites=["client"], message=message,
                       seen="; ".join(f[1] for f in findings[:3]),
                       exchange_ids=list(dict.fromkeys(f"rec-{r.index}" for r, _ in findings))[:MAX_EVIDENCE],
                       duration_ms=(time.perf_counter() - started) * 1000, cause=rule.id, quote=rule.quote)


def grade_exchanges(exchanges: list[Recorded], source: str, options: dict[str, object] | None = None) -> RunResult:
    """Judge ``exchanges`` (one client's) by every rule; exit 0 clean, 1 findings, 2 nothing to grade."""
    t0 = time.perf_counter()
    started = datetime.now(timezone.utc).isoformat().replace("+00:00", "Z")
    results = [_judge(rule, exchanges) for rule in RULES] if exchanges else []
    likeness = resemble(exchanges)
    failed = any(r.outcome in (Outcome.FAIL, Outcome.WARN) for r in results)
    exit_code = 2 if not exchanges else 1 if failed else 0
    message = "no recorded exchange matched the selection" if not exchanges else likeness.sentence
    evidence = {i for r in results for i in r.exchange_ids}
    return RunResult(kind="client", target=source, started_at=started,
                     finished_at=datetime.now(timezone.utc).isoformat().replace("+00:00", "Z"),
                     duration_ms=(time.perf_counter() - t0) * 1000, exit_code=exit_code, results=results,
                     exchanges=[_exchange(r) for r in exchanges if f"rec-{r.index}" in evidence],
                     suites=["client"], message=message, options=dict(options or {}),
                     discovery={"client": {"user_agent": user_agent(exchanges), "exchanges": len(exchanges),
                                           "resembles": likeness.to_dict()}})
