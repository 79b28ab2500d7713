"""The report's view model: a :class:`RunResult` arranged for the HTML template.

Nothing here escapes HTML: the template does (jinja2 autoescape). This module only bounds,
orders and pretty-prints, so the template stays declarative. Everything taken from the
results is treated as untrusted text: it is never used as a URL, attribute name or markup.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from harness.recorder import Exchange
from harness.replay.session import RECORDED
from harness.results import CheckResult, Outcome, RunResult, Step
from harness.curl import curl_command
from reports.coerce import clean_run
from reports.timeline import Timeline, build_timeline
from harness.verdicts import BLOCKER_RULE, CauseGroup, IdpVerdict, group_by_cause, idp_verdicts

__all__ = ["ReportView", "CheckView", "ExchangeView", "AreaSummary", "build_view", "Limits", "LEVELS", "pretty_body"]

OUTCOME_ORDER = (Outcome.FAIL, Outcome.ERROR, Outcome.WARN, Outcome.PASS, Outcome.SKIP)
_RANK = {o: i for i, o in enumerate(OUTCOME_ORDER)}


@dataclass(frozen=True)
class Limits:
    """Bounds that keep a full-suite report small (under 2 MB) and quick to open."""

    body_chars: int = 6000  # per body shown for a check that did not pass
    passing_body_chars: int = 1500  # per body shown for a passing or skipped check
    exchanges_per_check: int = 16
    log_rows: int = 2000
    simulation_exchanges: int = 150  # exchanges of failed log entries shown in a simulation report
    value_chars: int = 2000  # any other single value (expected, seen, messages)
    compact_passing: bool = False  # passing checks list their exchanges as one line each
    passing_headers: bool = True  # passing checks show headers (False: bodies and curl only)
    curl_body_chars: int = 16000  # a longer request body is referenced, not inlined, in curl


#: Ever tighter limits, tried in turn until the page fits its size bound (see reports.html).
LEVELS: tuple[Limits, ...] = (
    Limits(),
    Limits(passing_body_chars=600, passing_headers=False, log_rows=1500),
    Limits(passing_body_chars=250, passing_headers=False, log_rows=1500),
    Limits(passing_body_chars=300, compact_passing=True, log_rows=1500),
    Limits(body_chars=3000, compact_passing=True, log_rows=1000, curl_body_chars=4000),
    Limits(body_chars=1500, compact_passing=True, exchanges_per_check=8, log_rows=500,
           simulation_exchanges=60, value_chars=1000, curl_body_chars=2000),
    Limits(body_chars=600, compact_passing=True, exchanges_per_check=4, log_rows=200,
           simulation_exchanges=20, value_chars=500, curl_body_chars=800),
)


def pretty_body(body: str | None, truncated: bool, limit: int) -> tuple[str | None, str]:
    """``(text, note)``: JSON pretty-printed, then cut at ``limit`` characters."""
    if body is None:
        return None, ""
    text = body
    if not truncated:
        try:
            text = json.dumps(json.loads(body), indent=2, ensure_ascii=False)
        except ValueError:
            pass
    notes = []
    if truncated:
        notes.append("cut when recorded")
    if len(text) > limit:
        notes.append(f"{len(text) - limit:,} more characters in results.json")
        text = text[:limit]
    return text, "; ".join(notes)


@dataclass
class ExchangeView:
    exchange: Exchange
    anchor: str
    request_body: str | None
    request_note: str
    response_body: str | None
    response_note: str
    curl: str
    compact: bool = False  # one summary line, no headers or bodies
    headers: bool = True  # show the request and response headers

    @property
    def status_class(self) -> str:
        status = self.exchange.status
        if status is None:
            return "err"
        return "ok" if status < 400 else "bad"


def exchange_view(exchange: Exchange, anchor: str, limit: int, limits: Limits, compact: bool = False,
                  headers: bool = True) -> ExchangeView:
    if compact:
        return ExchangeView(exchange, anchor, None, "", None, "", "", compact=True)
    req, req_note = pretty_body(exchange.request_body, exchange.request_truncated, limit)
    resp, resp_note = pretty_body(exchange.response_body, exchange.response_truncated, limit)
    curl = curl_command(exchange, body_limit=limits.curl_body_chars)
    return ExchangeView(exchange, anchor, req, req_note, resp, resp_note, curl, headers=headers)


@dataclass
class StepView:
    step: Step
    anchors: list[tuple[str, str]]  # (exchange id, anchor of its evidence in this check)


@dataclass
class CheckView:
    result: CheckResult
    anchor: str
    exchanges: list[ExchangeView]
    steps: list[StepView]
    exchanges_left_out: int
    missing_exchanges: int  # ids the results name but results.json does not hold
    blocks: list[str]  # names of the IdPs this failure blocks

    @property
    def pair(self) -> tuple[ExchangeView, ExchangeView] | None:
        """A replayed exchange's evidence, (recorded, replayed): shown side by side."""
        if len(self.exchanges) != 2 or self.exchanges[0].compact:
            return None
        recorded, replayed = self.exchanges
        if recorded.exchange.id.startswith(RECORDED) and not replayed.exchange.id.startswith(RECORDED):
            return recorded, replayed
        return None

    @property
    def open(self) -> bool:
        return self.result.outcome in (Outcome.FAIL, Outcome.WARN, Outcome.ERROR)


@dataclass
class AreaSummary:
    area: str
    counts: dict[str, int]
    total: int
    checks: list[CheckView] = field(default_factory=list)

    @property
    def worst(self) -> str:
        for outcome in OUTCOME_ORDER:
            if self.counts.get(outcome.value):
                return outcome.value
        return "skip"


def _text(value: Any, limit: int) -> str:
    text = "" if value is None else str(value)
    return text if len(text) <= limit else text[:limit] + "…"


def _dict(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


_STATUSES = {"success", "failure", "skipped", "warning"}


def _cycle_label(cycle_id: Any, numbers: dict[str, int]) -> str:
    """The cycle's number on the timeline (``#3``), or the start of its id if unknown."""
    key = _text(cycle_id, 80)
    return f"#{numbers[key]}" if key in numbers else key[:8]


@dataclass(frozen=True)
class LogRow:
    """One provisioning-log entry (simulation.log_tail), flattened to bounded text."""

    at: str
    cycle: str
    action: str
    status: str  # one of _STATUSES or "other": it becomes a CSS class
    source: str
    source_type: str
    target: str
    changed: str
    reason: str
    exchanges: str

    @classmethod
    def of(cls, entry: dict[str, Any], cycle_numbers: dict[str, int] | None = None) -> "LogRow":
        status = str(entry.get("status", "")).lower()
        source, target, info = _dict(entry.get("sourceIdentity")), _dict(entry.get("targetIdentity")), _dict(entry.get("statusInfo"))
        props = [_text(_dict(p).get("displayName"), 80) for p in _list(entry.get("modifiedProperties"))]
        ids = [_text(i, 20) for i in _list(entry.get("exchangeIds"))]
        return cls(
            at=_text(entry.get("activityDateTime"), 40),
            cycle=_cycle_label(entry.get("cycleId"), cycle_numbers or {}),
            action=_text(entry.get("provisioningAction"), 20),
            status=status if status in _STATUSES else "other",
            source=_text(source.get("displayName") or source.get("id"), 120),
            source_type=_text(source.get("identityType"), 20),
            target=_text(target.get("id"), 80),
            changed=", ".join(props[:8]) + (f" +{len(props) - 8}" if len(props) > 8 else ""),
            reason=_text(info.get("reason") or info.get("errorCode"), 400),
            exchanges=" ".join(ids[:6]) + (" …" if len(ids) > 6 else ""),
        )


@dataclass
class SimulationView:
    data: dict[str, Any]
    timeline: Timeline
    log_rows: list[LogRow]
    log_left_out: int
    differences: list[dict[str, Any]]
    escrow: list[dict[str, Any]]
    quarantine: dict[str, Any] | None
    exchanges: list[ExchangeView]
    exchanges_left_out: int


@dataclass
class ReportView:
    run: RunResult
    title: str
    verdicts: list[IdpVerdict]
    blocker_rule: str
    areas: list[AreaSummary]
    totals: dict[str, int]
    levels: list[str]
    simulation: SimulationView | None
    exchanges_total: int
    limits: Limits
    anchors: dict[int, str] = field(default_factory=dict)  # id(result) -> its element id
    shared_causes: list[CauseGroup] = field(default_factory=list)  # causes behind more than one check

    def anchor_of(self, result: CheckResult) -> str:
        return self.anchors.get(id(result), "checks")


def _check_view(index: int, result: CheckResult, exchanges: dict[str, Exchange], limits: Limits,
                verdicts: list[IdpVerdict]) -> CheckView:
    anchor = f"c{index}"
    failing = result.outcome in (Outcome.FAIL, Outcome.WARN, Outcome.ERROR)
    limit = limits.body_chars if failing else limits.passing_body_chars
    compact = limits.compact_passing and not failing
    ids = list(dict.fromkeys(result.exchange_ids + [i for s in result.steps for i in s.exchange_ids]))
    known = [i for i in ids if i in exchanges]
    shown = known[: limits.exchanges_per_check]
    headers = failing or limits.passing_headers
    views = [exchange_view(exchanges[i], f"{anchor}-{i}", limit, limits, compact, headers) for i in shown]
    shown_set = set(shown)
    steps = [
        StepView(s, [(i, f"{anchor}-{i}") for i in s.exchange_ids if i in shown_set]) for s in result.steps
    ]
    blocks = [v.name for v in verdicts if any(b is result for b in v.blockers)]
    return CheckView(result, anchor, views, steps, len(known) - len(shown), len(ids) - len(known), blocks)


def _simulation_view(run: RunResult, exchanges: dict[str, Exchange], limits: Limits) -> SimulationView:
    data = run.simulation or {}
    log = [e for e in _list(data.get("log_tail")) if isinstance(e, dict)]
    rows = log[-limits.log_rows:]
    cycles = [c for c in _list(data.get("cycles")) if isinstance(c, dict)]
    numbers = {_text(c.get("cycleId"), 80): i for i, c in enumerate(cycles, 1)}
    wanted: list[str] = []
    for entry in rows:
        if str(entry.get("status", "")).lower() == "failure":
            wanted.extend(str(i) for i in entry.get("exchangeIds") or [])
    for result in run.results:
        if result.outcome is not Outcome.PASS:
            wanted.extend(result.exchange_ids)
    wanted = [i for i in dict.fromkeys(wanted) if i in exchanges]
    shown = wanted[: limits.simulation_exchanges]
    return SimulationView(
        data=data,
        timeline=build_timeline(cycles),
        log_rows=[LogRow.of(e, numbers) for e in rows],
        log_left_out=len(log) - len(rows),
        differences=[d for d in _list(data.get("differences")) if isinstance(d, dict)],
        escrow=[e for e in _list(data.get("escrow")) if isinstance(e, dict)],
        quarantine=data.get("quarantine") if isinstance(data.get("quarantine"), dict) else None,
        exchanges=[exchange_view(exchanges[i], f"sim-{i}", limits.body_chars, limits) for i in shown],
        exchanges_left_out=len(wanted) - len(shown),
    )


def build_view(run: RunResult, limits: Limits = Limits()) -> ReportView:
    """Arrange ``run`` for the template: verdicts, areas (worst first within), evidence."""
    run = clean_run(run)
    exchanges = {e.id: e for e in run.exchanges}
    verdicts = idp_verdicts(run)
    areas: dict[str, AreaSummary] = {}
    ordered = sorted(enumerate(run.results), key=lambda p: (_RANK.get(p[1].outcome, 9), p[0]))
    for area in dict.fromkeys(r.area for r in run.results):  # first-seen order
        counts = Counter(r.outcome.value for r in run.results if r.area == area)
        areas[area] = AreaSummary(area, dict(counts), sum(counts.values()))
    for index, result in ordered:
        areas[result.area].checks.append(_check_view(index, result, exchanges, limits, verdicts))
    anchors = {id(c.result): c.anchor for a in areas.values() for c in a.checks}
    totals = Counter(r.outcome.value for r in run.results)
    kind = {"conformance": "Conformance report", "simulation": "Provisioning simulation", "fuzz": "Fuzz report",
            "replay": "Replay of a recorded session", "client": "SCIM client grade"}
    return ReportView(
        run=run,
        title=kind.get(run.kind, "Report"),
        verdicts=verdicts,
        blocker_rule=BLOCKER_RULE,
        areas=list(areas.values()),
        totals={o.value: totals.get(o.value, 0) for o in OUTCOME_ORDER},
        levels=sorted({r.level.value for r in run.results}),
        simulation=_simulation_view(run, exchanges, limits) if run.kind == "simulation" else None,
        exchanges_total=len(run.exchanges),
        limits=limits,
        anchors=anchors,
        shared_causes=[g for g in group_by_cause(run.results) if len(g.results) > 1],
    )
