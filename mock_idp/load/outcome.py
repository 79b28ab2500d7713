"""From what the Locust processes measured to a verdict: thresholds, at-risk tenants, exit code.

``judge(raw, config)`` reads ``load-raw.json`` (Locust's statistics, the timeline, each
tenant's report) and returns a :class:`~harness.results.RunResult` of kind ``load`` (one
result per ``--fail-on`` threshold and per tenant at risk of quarantine) plus the ``load``
section of results.json. Exit 0 every threshold held, 1 one broke, 2 the run could not test.
"""

from __future__ import annotations

from datetime import datetime, timezone
from typing import Any

from harness.clock import isoformat
from harness.results import CheckResult, Level, Outcome, RunResult
from mock_idp.load.config import LoadConfig, Threshold, parse_thresholds
from mock_idp.load.tenant import TenantReport

__all__ = ["judge", "metrics_of", "memory_of", "DEFAULT_FAIL_ON", "verdict_line"]

#: Without --fail-on, a run fails when a tenant's job would be quarantined.
DEFAULT_FAIL_ON = "at_risk>0"

_UNITS = {"p50": " ms", "p95": " ms", "p99": " ms", "avg": " ms", "max": " ms", "errors": " %", "rps": " req/s"}


def metrics_of(raw: dict[str, Any]) -> dict[str, float]:
    """The numbers thresholds are judged on (whole run)."""
    total = raw.get("total") or {}
    tenants = [TenantReport.from_dict(t) for t in raw.get("tenants", [])]
    requests = float(total.get("requests", 0))
    return {
        "p50": float(total.get("p50_ms", 0)), "p95": float(total.get("p95_ms", 0)),
        "p99": float(total.get("p99_ms", 0)), "avg": float(total.get("avg_ms", 0)),
        "max": float(total.get("max_ms", 0)),
        "errors": 100.0 * float(total.get("failures", 0)) / requests if requests else 0.0,
        "failures": float(total.get("failures", 0)),
        "rps": requests / float(raw.get("elapsed_s") or 1),
        "quarantined": float(sum(1 for t in tenants if t.quarantined)),
        "at_risk": float(sum(1 for t in tenants if t.at_risk)),
        "escrowed": float(sum(t.escrowed for t in tenants)),
        "requests": requests,
    }


def _threshold_result(t: Threshold, seen: float) -> CheckResult:
    unit = _UNITS.get(t.metric, "")
    broken = t.broken(seen)
    return CheckResult(
        id=f"load.threshold.{t.metric}{'.max' if t.op == '>' else '.min'}", title=f"--fail-on {t.text}",
        area="load", level=Level.MUST, outcome=Outcome.FAIL if broken else Outcome.PASS,
        rests_on="the --fail-on threshold given for this run", expected=f"not {t.metric} {t.op} {t.value:g}{unit}",
        seen=f"{seen:.4g}{unit}", message=f"{t.metric} was {seen:.4g}{unit} ({'broke' if broken else 'held'} {t.text})",
        fix="" if not broken else "See the request shapes and the timeline in report.html for where the time went.")


def _tenant_result(t: TenantReport) -> CheckResult:
    what = t.quarantined and f"quarantined: {t.quarantined}" or f"predicted: {t.predicted}"
    return CheckResult(
        id=f"load.tenant.{t.prefix.rstrip('-')}", title=f"Tenant {t.index} ({t.idp}) at risk of quarantine",
        area="load", level=Level.MUST, outcome=Outcome.FAIL, rests_on="idp-behaviors §5: quarantine (E5)",
        message=what, fix="Fix the failures the job saw (see errors per shape); a rate limit must not fail IdP changes.",
        idp_impact="cycles slow to once a day and the admin is emailed; disabled after 4 weeks")


def memory_of(raw: dict[str, Any]) -> dict[str, Any]:
    """Resident memory of each Locust process that ran tenants, and what one tenant costs."""
    nodes = raw.get("memory") or {}
    per_tenant = [(m["rss_max"] - m["rss_start"]) / m["tenants_max"] for m in nodes.values() if m.get("tenants_max")]
    return {"processes": nodes, "per_tenant_bytes": max(per_tenant) if per_tenant else None}


def verdict_line(raw: dict[str, Any], metrics: dict[str, float], broken: list[str], reason: str | None) -> str:
    tenants = raw.get("tenants", [])
    idps = sorted({t["idp"] for t in tenants}) or list((raw.get("config") or {}).get("idps", []))
    names = "/".join("Entra" if i.startswith("entra") else "JumpCloud" if i == "jumpcloud" else i for i in idps)
    n = len(tenants)
    at_risk = int(metrics["at_risk"])
    risk = "no tenant at risk of quarantine" if not at_risk else f"{at_risk} tenant(s) at risk of quarantine"
    numbers = f"p95 {metrics['p95']:.0f} ms, {int(metrics['failures'])} errors ({metrics['errors']:.2f} %), {risk}"
    if reason:
        return f"could not test: {reason}"
    if broken:
        return f"not sustained: {n} {names} tenant(s): {numbers}; broke {', '.join(broken)}"
    return f"sustained {n} {names} tenant(s): {numbers}"


def judge(raw: dict[str, Any], config: LoadConfig, *, options: dict[str, Any], cleanup: dict[str, Any] | None,
          reason: str | None = None) -> tuple[RunResult, dict[str, Any]]:
    """The run's verdict, results and the ``load`` section of results.json."""
    metrics = metrics_of(raw)
    thresholds = parse_thresholds(config.thresholds or DEFAULT_FAIL_ON)
    results = [_threshold_result(t, metrics[t.metric]) for t in thresholds]
    tenants = [TenantReport.from_dict(t) for t in raw.get("tenants", [])]
    results += [_tenant_result(t) for t in tenants if t.at_risk]
    if reason is None and raw.get("abort_reason"):
        reason = str(raw["abort_reason"])
    if reason is None and metrics["requests"] == 0:
        reason = "no request was sent" + (f" ({tenants[0].error})" if tenants and tenants[0].error else "")
    if reason is None and tenants and all(t.error for t in tenants) and not any(t.finished for t in tenants):
        reason = f"every tenant's Test Connection failed: {tenants[0].error}"
    broken = [r.title.removeprefix("--fail-on ") for r in results if r.outcome == Outcome.FAIL and r.area == "load"
              and r.id.startswith("load.threshold.")]
    exit_code = 2 if reason else 1 if broken else 0
    verdict = verdict_line(raw, metrics, broken, reason)
    started = datetime.fromtimestamp(float(raw.get("started_at") or 0), timezone.utc)
    finished = datetime.fromtimestamp(float(raw.get("finished_at") or 0), timezone.utc)
    run = RunResult("load", config.target_url, isoformat(started), isoformat(finished),
                    float(raw.get("elapsed_s") or 0) * 1000, exit_code, results=results, message=verdict, options=options)
    section = {
        "verdict": verdict, "metrics": metrics, "stopped_by": raw.get("stopped_by"), "workers": raw.get("workers", []),
        "thresholds": [{"term": t.text, "metric": t.metric, "seen": metrics[t.metric], "broken": t.broken(metrics[t.metric])}
                       for t in thresholds],
        "total": raw.get("total"), "shapes": raw.get("shapes", []), "errors": raw.get("errors", []),
        "timeline": raw.get("timeline", []), "tenants": raw.get("tenants", []), "cleanup": cleanup,
        "memory": memory_of(raw),
    }
    return run, section
