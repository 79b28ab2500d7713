"""``pytest --scim-target URL --scim-token T --scim-replay session.har``: a recorded session as items.

One item per replayed exchange (``scim-replay::replay.0007``), run in the session's order. An
item replays every exchange up to its own (a deselected create still runs, so ids are learned)
and passes when the target answered as recorded; a divergence fails it with both exchanges,
the IdP consequence and a curl line. A vendor keeps real tenant traffic as fixtures in its own
repository and runs them in CI without a tenant.

Loaded by ``scenarios.pytest_plugin`` only when ``--scim-replay`` is given.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

import pytest

from harness.console import counted
from harness.http import Target
from harness.replay.engine import ReplayOptions, Replayer
from harness.replay.session import Recorded, SessionError, load_session
from harness.results import CheckResult, Outcome

__all__ = ["ReplayItem", "configure_replay", "collect_replay", "unconfigure_replay", "report_header"]

_STATE = pytest.StashKey["_ReplayState"]()


@dataclass
class _ReplayState:
    replayer: Replayer
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def result_for(self, r: Recorded) -> CheckResult:
        """Replay up to ``r`` (in order) and return its result."""
        want = f"replay.{r.index:04d}"
        with self._lock:
            while not any(res.id == want for res in self.replayer.results) and not self.replayer.done:
                self.replayer.step()
            if self.replayer.problem:
                pytest.exit(f"scim-harness could not test: {self.replayer.problem}", returncode=2)
            return next(res for res in self.replayer.results if res.id == want)


def configure_replay(config: pytest.Config, target: Target, spec: str) -> None:
    try:
        session = load_session(spec)
        options = ReplayOptions(compare=config.getoption("scim_compare"), select=tuple(config.getoption("scim_select")))
    except (SessionError, ValueError) as exc:
        raise pytest.UsageError(f"scim-harness: {exc}") from None
    from harness.curl import curl_command

    replayer = Replayer(session, target, options, curl=lambda ex: curl_command(ex, body_limit=2000))
    config.stash[_STATE] = _ReplayState(replayer)
    config.addinivalue_line("markers", "scim_replay: an exchange of a recorded session replayed by scim-harness")


def unconfigure_replay(config: pytest.Config) -> None:
    state = config.stash.get(_STATE, None)
    if state is not None:
        state.replayer.client.close()


def collect_replay(session: pytest.Session, config: pytest.Config) -> list[pytest.Item]:
    state = config.stash.get(_STATE, None)
    if state is None:
        return []
    parent = ReplaySession.from_parent(session, name="scim-replay", nodeid="scim-replay")
    return [ReplayItem.from_parent(parent, name=f"replay.{r.index:04d}", recorded=r, state=state)
            for r in state.replayer.items]


def report_header(config: pytest.Config, items: list[pytest.Item]) -> str | None:
    state = config.stash.get(_STATE, None)
    if state is None:
        return None
    count = sum(isinstance(item, ReplayItem) for item in items)
    return (f"scim-harness: replaying {counted(count, 'exchange')} of {state.replayer.session.name} "
            f"against {state.replayer.target.base_url} (compare {state.replayer.options.compare})")


class ReplaySession(pytest.Collector):
    def collect(self) -> list[pytest.Item]:
        return []


class ReplayFinding(Exception):
    def __init__(self, text: str) -> None:
        super().__init__(text)
        self.text = text


class ReplayItem(pytest.Item):
    """One recorded exchange, replayed and compared."""

    def __init__(self, *, recorded: Recorded, state: _ReplayState, **kw: Any) -> None:
        super().__init__(**kw)
        self.recorded, self.state = recorded, state
        self.add_marker(pytest.mark.scim_replay)
        self.extra_keyword_matches.update({recorded.method, recorded.path.split("/")[1] if "/" in recorded.path else ""})

    def runtest(self) -> None:
        result = self.state.result_for(self.recorded)
        self.user_properties.append(("scim_outcome", result.outcome.value))
        if result.outcome is Outcome.PASS:
            return
        if result.outcome is Outcome.SKIP:
            pytest.skip(f"{result.id}: {result.message}")
        raise ReplayFinding(self.evidence(result))

    def evidence(self, result: CheckResult) -> str:
        from reports.junit import finding_text

        by_id = {e.id: e for e in self.state.replayer.exchanges}
        exchanges = {i: by_id[i] for i in result.exchange_ids if i in by_id}
        return f"{result.outcome.value.upper()} {result.id} {result.title}: {finding_text(result, exchanges)}"

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ReplayFinding):
            return excinfo.value.text
        return str(super().repr_failure(excinfo))

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"scim-replay: {self.recorded.label[:200]}"
