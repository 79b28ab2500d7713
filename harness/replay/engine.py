"""Replaying a recorded session against a target: :class:`Replayer` and :func:`replay_session`.

Each recorded exchange is sent again, in order, with its ids remapped (harness/replay/remap.py),
through the same :class:`~harness.http.TargetClient` every other command uses (timeouts, body
bounds, redaction at the recorder's door). The answer is compared with the recorded one
(harness/replay/compare.py) and becomes one :class:`~harness.results.CheckResult`: PASS, FAIL
with both exchanges side by side, the IdP consequence and a curl line, SKIP/ERROR for a request
that names an id never learned (reported, not sent). The results make a ``RunResult`` of kind
``replay``, written like ``run``'s.

:class:`Replayer` goes one exchange at a time (:meth:`Replayer.step`), so the pytest plugin can
make each exchange an item; :func:`replay_session` runs them all.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import parse_qsl

import httpx

from harness.causes import cause
from harness.clock import Clock, SystemClock, isoformat
from harness.config import public_url
from harness.http import USER_AGENT, Target, TargetClient
from harness.recorder import Exchange, Recorder
from harness.redact import Redactor
from redaction import SENSITIVE_QUERY_PARAMS
from harness.replay.compare import LEVELS, Answer, Divergence, compare
from harness.replay.consequence import consequence, identify, request_kind
from harness.replay.remap import IdMap
from harness.replay.session import RECORDED, Recorded, Session, select
from harness.results import CheckResult, Level, Outcome, RunResult

__all__ = ["ReplayOptions", "Replayer", "replay_session", "parse_timing"]

#: Request headers never copied from a recording: the client sets them, or they would be stale.
_DROP = frozenset({"host", "content-length", "connection", "accept-encoding", "transfer-encoding", "user-agent",
                   "if-match", "if-none-match", "expect", "keep-alive", "te", "upgrade"})
_REST_ON = "the recorded exchange: what the IdP got from a server it worked with"


def parse_timing(timing: str) -> float | None:
    """``none`` → None (no waiting), ``keep`` → 1.0, ``4x`` → 4.0 (four times faster)."""
    if timing == "none":
        return None
    if timing == "keep":
        return 1.0
    if timing.endswith("x"):
        try:
            factor = float(timing[:-1])
        except ValueError:
            factor = 0.0
        if factor > 0:
            return factor
    raise ValueError(f"--timing must be keep, none or a speed-up such as 10x, not {timing!r}")


@dataclass(frozen=True)
class ReplayOptions:
    compare: str = "shape"
    select: tuple[str, ...] = ()
    timing: str = "none"
    on_conflict: str = "continue"  # continue | stop (at the first divergence)

    def __post_init__(self) -> None:
        if self.compare not in LEVELS:
            raise ValueError(f"--compare must be one of {', '.join(LEVELS)}, not {self.compare!r}")
        if self.on_conflict not in {"continue", "stop"}:
            raise ValueError(f"--on-conflict must be continue or stop, not {self.on_conflict!r}")
        parse_timing(self.timing)


def _when(at: str) -> float | None:
    try:
        return datetime.fromisoformat(at.replace("Z", "+00:00")).timestamp()
    except ValueError:
        return None


def _content_type(r: Recorded, response: bool) -> str:
    return r.header("content-type", response=response)


class Replayer:
    """Replays one session against one target, one exchange per :meth:`step`."""

    def __init__(self, session: Session, target: Target, options: ReplayOptions = ReplayOptions(), *,
                 http: httpx.Client | None = None, clock: Clock | None = None,
                 curl: Callable[[Exchange], str] | None = None) -> None:
        self.session, self.target, self.options = session, target, options
        self.clock = clock or SystemClock()
        self.curl = curl
        self.items = select(session, options.select)
        self.idp = identify(session)
        self.ids = IdMap()
        self.ids.scan(r.response_json() for r in session.exchanges)
        self._redactor = target.redactor()
        self.recorder = Recorder(self._redactor, self.clock)
        self.client = TargetClient(target, recorder=self.recorder, http=http, clock=self.clock,
                                   user_agent=session.user_agent or USER_AGENT)
        self.results: list[CheckResult] = []
        self.exchanges: list[Exchange] = []
        self.position = 0
        self.sent = 0
        self.problem = ""  # why the target could not be tested (exit 2)
        self._stopped_at: int | None = None
        self._first_failure: int | None = None
        self._base_params = {k for k, _ in parse_qsl(target.base_query, keep_blank_values=True)}
        self._last_at: float | None = None
        self._started = self.clock.now()
        self._t0 = time.perf_counter()
        self.remap_seconds = 0.0  # time spent translating ids (the benchmark reads it)

    # -- one exchange ----------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return self.position >= len(self.items)

    def step(self) -> CheckResult | None:
        """Replay the next exchange; returns its result (None when all are done)."""
        if self.done:
            return None
        r = self.items[self.position]
        self.position += 1
        if self._stopped_at is not None or self.problem:
            why = self.problem or f"not replayed: --on-conflict stop after the divergence at #{self._stopped_at}"
            return self._add(self._result(r, Outcome.SKIP, why, None, None))
        self._wait(r)
        result = self._replay(r)
        if result.outcome in (Outcome.FAIL, Outcome.ERROR, Outcome.WARN):
            if self._first_failure is None and result.outcome is not Outcome.ERROR:
                self._first_failure = r.index  # a divergence: what depends on it is skipped, not blamed again
            if self.options.on_conflict == "stop" and self._stopped_at is None:
                self._stopped_at = r.index
        return self._add(result)

    def _add(self, result: CheckResult) -> CheckResult:
        self.results.append(result)
        return result

    def _wait(self, r: Recorded) -> None:
        speed = parse_timing(self.options.timing)
        at = _when(r.at)
        if speed is not None and at is not None and self._last_at is not None and at > self._last_at:
            self.clock.sleep((at - self._last_at) / speed)
        self._last_at = at if at is not None else self._last_at

    def _replay(self, r: Recorded) -> CheckResult:
        rec_ex = self._recorded_exchange(r)
        missing = self.ids.unresolved(r.path, r.query, r.request_body)
        if missing:
            after = self._first_failure
            why = (f"not sent: it names {len(missing)} id(s) never learned ({', '.join(missing[:3])})"
                   + (f"; their create or lookup diverged earlier (first divergence at #{after})" if after else
                      "; the recording does not hold the create or lookup that made them"))
            outcome = Outcome.SKIP if after else Outcome.ERROR
            return self._result(r, outcome, why, rec_ex, None, impact=consequence(r, None, self.idp, True))
        started = time.perf_counter()
        path = self.ids.text(r.path)
        # the target's own base query (?aadOptscim062020) is added by the client: not twice; the
        # recording client's credentials (?access_token=) are dropped like its Authorization header
        query = self.ids.text("&".join(p for p in r.query.split("&")
                                       if p and p.partition("=")[0] not in self._base_params
                                       and p.partition("=")[0].lower() not in SENSITIVE_QUERY_PARAMS))
        body: bytes | None = None
        if r.request_body is not None:
            doc = r.request_json()
            body = (json.dumps(self.ids.json(doc), ensure_ascii=False) if doc is not None
                    else self.ids.text(r.request_body)).encode("utf-8")
        self.remap_seconds += time.perf_counter() - started
        headers = [(k, v) for k, v in r.request_headers
                   if k.lower() not in _DROP and k.lower() != "content-type"
                   and k.lower() not in self._redactor_headers() and "[REDACTED]" not in v]
        ex = self.client.request(r.method, path, query=query, content=body, headers=headers,
                                 content_type=_content_type(r, response=False) or "application/scim+json")
        self.sent += 1
        if self.sent == 1 and ex.status is None:
            self.problem = f"cannot reach the target {public_url(self.target.base_url)}: {ex.error}"
        elif self.sent == 1 and ex.status in (401, 403) and (r.status or 0) < 400:
            self.problem = (f"the target refused the credentials ({self.target.auth.describe()}): "
                            f"{r.method} {r.path} answered {ex.status}")
        if self.problem:  # not a divergence: the target could not be tested at all
            return self._result(r, Outcome.ERROR, f"could not test: {self.problem}", rec_ex, ex)
        if ex.status is not None and (ex.status // 100 == 2) and (r.status or 0) // 100 == 2:
            self.ids.learn(r.response_json(), ex.json_or_none())
        recorded = Answer(r.status, _content_type(r, True), r.response_body)
        replayed = Answer(ex.status, ex.header("content-type") or "", ex.response_body, ex.error)
        divergences = compare(recorded, replayed, self.options.compare, self.ids)
        if not divergences:
            return self._result(r, Outcome.PASS, "", rec_ex, ex)
        first = divergences[0]
        outcome = Outcome.WARN if all(d.aspect == "media type" for d in divergences) else Outcome.FAIL
        message = "; ".join(d.describe() for d in divergences[:5])
        return self._result(r, outcome, message, rec_ex, ex, divergences, consequence(r, first, self.idp))

    def _redactor_headers(self) -> frozenset[str]:
        from harness.redact import SENSITIVE_HEADERS

        return SENSITIVE_HEADERS | {h.lower() for h in self.target.auth.extra_header_names()}

    def _recorded_exchange(self, r: Recorded) -> Exchange:
        """The recorded exchange as an :class:`Exchange` (``rec-NNNN``) for the reports, redacted."""
        red = Redactor()
        query = f"?{r.query}" if r.query else ""
        ex = Exchange(id=f"{RECORDED}{r.index:04d}", at=r.at or isoformat(self._started), method=r.method,
                      url=red.url(f"{r.path}{query}"), request_headers=red.headers(r.request_headers),
                      request_body=None if r.request_body is None else red.body(r.request_body), status=r.status,
                      response_headers=red.headers(r.response_headers),
                      response_body=None if r.response_body is None else red.body(r.response_body),
                      elapsed_ms=r.elapsed_ms, request_truncated=r.truncated)
        self.exchanges.append(ex)
        return ex

    def _result(self, r: Recorded, outcome: Outcome, message: str, rec_ex: Exchange | None, ex: Exchange | None,
                divergences: list[Divergence] | None = None, impact: tuple[str, str] = ("", "")) -> CheckResult:
        if ex is not None:
            self.exchanges.append(ex)
        ids = [e.id for e in (rec_ex, ex) if e is not None]
        fix = ""
        if outcome in (Outcome.FAIL, Outcome.WARN):
            fix = ("Make the target answer as the recorded server did (the evidence shows the recorded "
                   "exchange and the replayed one, side by side in report.html); the recorded answer is what the "
                   "IdP worked with.")
            if ex is not None and self.curl is not None:
                fix += f" Reproduce: {self.curl(ex)}"
        rec_status = "no answer" if r.status is None else str(r.status)
        seen = "" if ex is None else (str(ex.status) if ex.status is not None else f"no answer ({ex.error})")
        return CheckResult(
            id=f"replay.{r.index:04d}", title=self._redactor.url(r.label)[:300], area="replay", level=Level.MUST,
            outcome=outcome, rests_on=f"{_REST_ON} (#{r.index} of {self.session.name})", fix=fix,
            suites=[], tags=[request_kind(r)], message=message,
            expected=f"{rec_status} {r.header('content-type')}".strip() if divergences else "",
            seen=seen if divergences else "", idp_impact=impact[1], exchange_ids=ids,
            cause=cause(f"replay:{impact[0]}", f"the target diverges from the recording ({impact[0]})")
            if impact[0] and outcome is not Outcome.PASS else "",
            duration_ms=ex.elapsed_ms if ex is not None else 0.0,
        )

    # -- the whole session -------------------------------------------------------------------
    def run(self, progress: Callable[[int, int], None] | None = None) -> RunResult:
        while not self.done:
            self.step()
            if progress is not None:
                progress(self.position, len(self.items))
        return self.finish()

    def finish(self) -> RunResult:
        self.client.close()
        finished = self.clock.now()
        failed = [r for r in self.results if r.outcome in (Outcome.FAIL, Outcome.ERROR)]
        exit_code = 2 if self.problem else 1 if failed else 0
        not_sent = sum(1 for r in self.results if r.outcome in (Outcome.SKIP, Outcome.ERROR) and len(r.exchange_ids) < 2)
        divergences = sum(1 for r in self.results if r.outcome in (Outcome.FAIL, Outcome.WARN))
        if self.problem:
            message = f"Cannot test: {self.problem}"
        elif failed:
            message = f"{divergences} divergence(s) from the recording, {not_sent} exchange(s) not sent"
        else:
            message = f"the target answered all {self.sent} replayed exchanges as recorded"
        used = sorted(self.ids.session_ids & self.ids.mapping.keys())
        return RunResult(
            kind="replay", target=public_url(self.target.base_url, self.target.auth),
            started_at=isoformat(self._started), finished_at=isoformat(finished),
            duration_ms=(time.perf_counter() - self._t0) * 1000, exit_code=exit_code, results=self.results,
            exchanges=self.exchanges, message=message,
            options={"session": self.session.name, "compare": self.options.compare,
                     "select": list(self.options.select), "timing": self.options.timing,
                     "on_conflict": self.options.on_conflict, "auth": self.target.auth.describe()},
            replay={"session": self.session.name, "source": self.session.source, "form": self.session.form,
                    "idp": self.idp.name, "profile": self.idp.profile.name if self.idp.profile else None,
                    "recorded": len(self.session.exchanges), "selected": len(self.items),
                    "sent": self.sent, "not_sent": not_sent, "divergences": divergences,
                    "session_ids": len(self.ids.session_ids), "ids_learned": len(used),
                    "ids_unmapped": len(self.ids.session_ids - self.ids.mapping.keys()),
                    "replacements": self.ids.applied},
        )


def replay_session(session: Session, target: Target, options: ReplayOptions = ReplayOptions(), *,
                   http: httpx.Client | None = None, clock: Clock | None = None,
                   curl: Callable[[Exchange], str] | None = None,
                   progress: Callable[[int, int], None] | None = None) -> RunResult:
    """Replay every selected exchange of ``session`` against ``target``; the run's result."""
    return Replayer(session, target, options, http=http, clock=clock, curl=curl).run(progress)
