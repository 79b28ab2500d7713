"""Make a :class:`RunResult` safe to render, whatever results.json held.

``scim-harness report`` renders any results.json it is given, and a file may have been
edited, truncated or produced by a newer tool. ``RunResult.from_dict`` checks the shape, not
every type: a header that is not a pair, a status that is a string, a body that is a number
would crash a renderer. :func:`clean_run` returns a copy in which every field has its
declared type (strings stay strings; anything else becomes its JSON text; impossible values
become empty), so the report always renders and still shows what was there.
"""

from __future__ import annotations

import json
import math
from dataclasses import replace
from typing import Any

from harness.recorder import Exchange
from harness.results import CheckResult, Outcome, RunResult, Step

__all__ = ["clean_run", "text", "number"]


def text(value: Any) -> str:
    """``value`` as text: strings as they are, ``None`` empty, anything else as JSON."""
    if isinstance(value, str):
        return value
    if value is None:
        return ""
    try:
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    except (TypeError, ValueError):
        return repr(value)


def optional_text(value: Any) -> str | None:
    return None if value is None else text(value)


def number(value: Any) -> float:
    if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return 0.0


def texts(value: Any) -> list[str]:
    return [text(v) for v in value] if isinstance(value, (list, tuple)) else []


def headers(value: Any) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    if isinstance(value, (list, tuple)):
        for item in value:
            if isinstance(item, (list, tuple)) and len(item) == 2:
                out.append((text(item[0]), text(item[1])))
    return out


def status(value: Any) -> int | None:
    if isinstance(value, int) and not isinstance(value, bool) and 100 <= value <= 999:
        return value
    return None


def _outcome(value: Any) -> Outcome:
    return value if isinstance(value, Outcome) else Outcome.ERROR


def clean_exchange(ex: Exchange) -> Exchange:
    return replace(
        ex,
        id=text(ex.id),
        at=text(ex.at),
        method=text(ex.method),
        url=text(ex.url),
        request_headers=headers(ex.request_headers),
        request_body=optional_text(ex.request_body),
        status=status(ex.status),
        response_headers=headers(ex.response_headers),
        response_body=optional_text(ex.response_body),
        elapsed_ms=number(ex.elapsed_ms),
        error=optional_text(ex.error),
        request_truncated=bool(ex.request_truncated),
        response_truncated=bool(ex.response_truncated),
    )


def clean_step(step: Step) -> Step:
    return Step(text(step.name), _outcome(step.outcome), text(step.message), texts(step.exchange_ids))


def clean_result(result: CheckResult) -> CheckResult:
    return replace(
        result,
        id=text(result.id),
        title=text(result.title),
        area=text(result.area) or "other",
        outcome=_outcome(result.outcome),
        rests_on=text(result.rests_on),
        fix=text(result.fix),
        suites=texts(result.suites),
        tags=texts(result.tags),
        message=text(result.message),
        expected=text(result.expected),
        seen=text(result.seen),
        idp_impact=text(result.idp_impact),
        exchange_ids=texts(result.exchange_ids),
        steps=[clean_step(s) for s in result.steps if isinstance(s, Step)] if isinstance(result.steps, list) else [],
        duration_ms=number(result.duration_ms),
        checklist=texts(result.checklist),
    )


def clean_run(run: RunResult) -> RunResult:
    """A copy of ``run`` with every field of its declared type (see the module docstring)."""
    exit_code = run.exit_code if isinstance(run.exit_code, int) and not isinstance(run.exit_code, bool) else 2
    return replace(
        run,
        kind=text(run.kind),
        target=text(run.target),
        started_at=text(run.started_at),
        finished_at=text(run.finished_at),
        duration_ms=number(run.duration_ms),
        exit_code=exit_code,
        results=[clean_result(r) for r in run.results if isinstance(r, CheckResult)],
        exchanges=[clean_exchange(e) for e in run.exchanges if isinstance(e, Exchange)],
        suites=texts(run.suites),
        tool_version=text(run.tool_version),
        message=text(run.message),
        discovery=run.discovery if isinstance(run.discovery, dict) else {},
        options=run.options if isinstance(run.options, dict) else {},
        simulation=run.simulation if isinstance(run.simulation, dict) else None,
    )
