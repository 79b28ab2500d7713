"""pytest plugin (entry point ``pytest11``): the suite's checks as pytest items.

Usage::

    pytest --scim-target https://app.example.com/scim/v2 --scim-token "$TOKEN" \\
           [--scim-suite entra] [--scim-select query] [--html=report.html]
    SCIM_CLIENT_SECRET=... pytest --scim-target URL --scim-oauth-token-url URL/oauth2/token --scim-client-id ID

Every selected check becomes one item (``scim-harness::<check id>``; ``-k`` also matches its
area and tags). After them comes one item per finding the run makes itself
(``scim-harness::run.first-probe``, ``run.fixture-user``, ``run.latency``… harness/run_findings.py),
judged from everything the checks exchanged, as ``scim-harness run`` does: it passes when the run
did not make that finding. Discovery runs once per session, at the first item. An item passes, fails
(FAIL; WARN too with ``--scim-fail-on should``), is skipped (SKIP, with the reason) or fails
as "could not judge" (ERROR). A WARN that does not fail is reported as a pytest warning.
The failure text carries the evidence: expected vs seen, the fix, and the exchanges
(method, URL, status, bounded bodies, credentials already redacted at record time); with
pytest-html active the same evidence is attached as ``extras``.

When the target cannot be tested (unreachable, credentials refused, not a SCIM endpoint)
the session stops with exit code 2 and the reason.

With ``--scim-replay SESSION`` the items are the exchanges of a recorded session instead
(``scim-replay::replay.0001`` …), replayed in order with ids remapped and compared at
``--scim-compare`` (status, shape, strict); a deselected exchange is still sent when a later
item needs it, so ``-k`` never breaks the id remapping.

This module is loaded only when ``--scim-target`` is given: the ``pytest11`` entry point is
``scim_harness_pytest`` (options only, imports nothing), which registers this one.
"""

from __future__ import annotations

import threading
import warnings
from collections.abc import Generator, Iterable
from dataclasses import dataclass, field
from typing import Any

import pytest

from harness.checks import CheckSpec
from harness.console import counted
from harness.config import ConfigError, RunConfig, fails_run, token_from_env
from harness.oauth import OAuthSettings, secret_from_env
from harness.results import CheckResult, Outcome
from harness.run_findings import RUN_FINDINGS
from harness.runner import RunSession, load_checks

__all__ = ["ScimCheckItem", "ScimRunFindingItem", "ScimFinding", "ScimWarning"]

_STATE = pytest.StashKey["_ScimState"]()


class ScimWarning(UserWarning):
    """A SHOULD the target broke (WARN)."""


class ScimFinding(Exception):
    """Raised by an item whose check FAILed or could not be judged; carries the result."""

    def __init__(self, result: CheckResult, text: str) -> None:
        super().__init__(result.message)
        self.result, self.text = result, text


@dataclass
class _ScimState:
    """One run config and one lazily opened session (discovery once) for the pytest session."""

    config: RunConfig
    _session: RunSession | None = None
    _problem: str | None = None
    _findings: list[CheckResult] | None = None
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def session(self) -> RunSession:
        with self._lock:
            if self._session is None:
                self._session = RunSession(self.config)
                self._problem = self._session.open()
        if self._problem:
            pytest.exit(f"scim-harness could not test: {self._problem}", returncode=2)
        return self._session

    def run_findings(self) -> list[CheckResult]:
        """What the run found itself, judged once, at the first run-finding item (after the checks)."""
        session = self.session()
        with self._lock:
            if self._findings is None:
                self._findings = session.findings()
            return self._findings

    def close(self) -> None:
        if self._session is None:
            return
        try:
            if self._session.leftovers:  # a check could not delete what it created: sweep the prefix
                from harness.cleanup import cleanup

                cleanup(self._session.housekeeping_client(), self.config.prefix, discovery=self._session.discovery)
        finally:
            self._session.close()


def pytest_configure(config: pytest.Config) -> None:
    target = config.getoption("scim_target", None)
    if not target:
        return  # inert
    basic, header = config.getoption("scim_basic"), config.getoption("scim_header")
    try:
        oauth = _oauth(config)
        token = config.getoption("scim_token") or (None if basic or header or oauth else token_from_env())
        run_config = RunConfig.from_options(
            target=target, token=token, basic=basic, oauth=oauth,
            header=header, suites=config.getoption("scim_suite") or ("all",),
            select=config.getoption("scim_select"), exclude=config.getoption("scim_exclude"),
            timeout=config.getoption("scim_timeout"), insecure=config.getoption("scim_insecure"),
            fail_on=config.getoption("scim_fail_on"), flags=("--scim-token", "--scim-basic", "--scim-header"),
        )
    except (ConfigError, ValueError) as exc:
        raise pytest.UsageError(f"scim-harness: {exc}") from None
    session_spec = config.getoption("scim_replay", None)
    if session_spec:
        from scenarios.pytest_replay import configure_replay

        configure_replay(config, run_config.target, session_spec)
        return
    import scenarios  # fill the registry with the suite's checks

    for problem in load_checks(scenarios):
        warnings.warn(problem, ScimWarning, stacklevel=1)
    config.stash[_STATE] = _ScimState(run_config)
    config.addinivalue_line("markers", "scim: a scim-harness conformance check run as a pytest item")


def _oauth(config: pytest.Config) -> OAuthSettings | None:
    url = config.getoption("scim_oauth_token_url")
    if not url:
        if config.getoption("scim_client_id"):
            raise ConfigError("--scim-client-id needs --scim-oauth-token-url")
        return None
    secret = config.getoption("scim_client_secret") or secret_from_env()
    return OAuthSettings(url, config.getoption("scim_client_id") or "", secret or "",
                         scope=config.getoption("scim_oauth_scope"), audience=config.getoption("scim_audience"),
                         client_auth=config.getoption("scim_client_auth"),
                         expiry_wait=config.getoption("scim_oauth_expiry_wait"))


def pytest_unconfigure(config: pytest.Config) -> None:
    if config.getoption("scim_replay", None):
        from scenarios.pytest_replay import unconfigure_replay

        unconfigure_replay(config)
    state = config.stash.get(_STATE, None)
    if state is not None:
        state.close()


@pytest.hookimpl(tryfirst=True)  # before -k/-m deselection sees the items
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("scim_replay", None):
        from scenarios.pytest_replay import collect_replay

        items.extend(collect_replay(session, config))
        return
    state = config.stash.get(_STATE, None)
    if state is None:
        return
    from harness.checks import REGISTRY

    c = state.config
    suite = ScimSuite.from_parent(session, name="scim-harness", nodeid="scim-harness")
    suite.specs = REGISTRY.select(c.suites, c.select, c.exclude)
    suite.state = state
    items.extend(suite.collect())


def pytest_report_collectionfinish(config: pytest.Config, items: list[pytest.Item]) -> str | None:
    if config.getoption("scim_replay", None):
        from scenarios.pytest_replay import report_header

        return report_header(config, items)
    state = config.stash.get(_STATE, None)
    if state is None:
        return None
    count = sum(isinstance(item, ScimCheckItem) for item in items)
    run = sum(isinstance(item, ScimRunFindingItem) for item in items)
    also = f" + {counted(run, 'run-level check')}" if run else ""
    return (f"scim-harness: {counted(count, 'check')}{also} against {state.config.url} "
            f"(objects prefixed {state.config.prefix})")


class ScimSuite(pytest.Collector):
    """The collector that holds the check items (its parent is the session)."""

    specs: list[CheckSpec]
    state: _ScimState

    def collect(self) -> Iterable[pytest.Item]:
        # The run findings last: each is judged from what the checks before it exchanged.
        checks: list[pytest.Item] = [ScimCheckItem.from_parent(self, name=spec.id, spec=spec, state=self.state)
                                     for spec in self.specs]
        return checks + [ScimRunFindingItem.from_parent(self, name=finding_id, title=title, state=self.state)
                         for finding_id, title in RUN_FINDINGS.items()]


class _ScimItem(pytest.Item):
    """What check items and run-finding items share: a result turned into a pytest outcome."""

    def __init__(self, *, state: _ScimState, keywords: set[str], **kw: Any) -> None:
        super().__init__(**kw)
        self.state = state
        self.result: CheckResult | None = None
        self.add_marker(pytest.mark.scim)
        self.extra_keyword_matches.update(keywords)

    def judge(self, result: CheckResult) -> None:
        """Pass, skip, warn or raise :class:`ScimFinding`, as ``result`` and ``--scim-fail-on`` say."""
        self.result = result
        self.user_properties.extend([("scim_outcome", result.outcome.value), ("scim_level", result.level.value),
                                     ("scim_rests_on", result.rests_on)])
        if result.outcome is Outcome.SKIP:
            pytest.skip(f"{result.id}: {result.message or 'not applicable'}")
        if result.outcome is Outcome.PASS:
            return
        fails = fails_run(result.outcome, self.state.config.fail_on)
        text = self.evidence(result)
        if fails:
            raise ScimFinding(result, text)
        warnings.warn(ScimWarning(f"{result.id}: {result.message}"), stacklevel=1)

    def evidence(self, result: CheckResult) -> str:
        from reports.junit import finding_text  # the same evidence text as junit.xml

        recorder = self.state.session().recorder
        exchanges = {i: ex for i in result.exchange_ids if (ex := recorder.get(i)) is not None}
        head = {Outcome.FAIL: "FAIL", Outcome.WARN: "WARN", Outcome.ERROR: "ERROR (could not judge)"}
        return f"{head.get(result.outcome, result.outcome.value)} {result.id}: {finding_text(result, exchanges)}"

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException], style: Any = None) -> str:
        if isinstance(excinfo.value, ScimFinding):
            return excinfo.value.text
        return str(super().repr_failure(excinfo))


class ScimCheckItem(_ScimItem):
    """One check run against the target."""

    def __init__(self, *, spec: CheckSpec, state: _ScimState, **kw: Any) -> None:
        super().__init__(state=state, keywords={spec.area, *spec.tags, spec.level.value, *spec.checklist}, **kw)
        self.spec = spec

    def runtest(self) -> None:
        self.judge(self.state.session().run(self.spec))

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"scim: {self.spec.id} [{self.spec.level.value}] {self.spec.title}"


class ScimRunFindingItem(_ScimItem):
    """One finding the run makes itself (harness/run_findings.py): passes when it was not made."""

    def __init__(self, *, title: str, state: _ScimState, **kw: Any) -> None:
        super().__init__(state=state, keywords={"run", "run-finding"}, **kw)
        self.title = title

    def runtest(self) -> None:
        made = [r for r in self.state.run_findings() if r.id == self.name]
        if made:
            self.judge(made[0])  # one finding per id: a run finding is one cause

    def evidence(self, result: CheckResult) -> str:
        """The finding, and the check items whose failure was this same cause (one defect, one finding)."""
        claimed = [item.name for item in self.session.items
                   if isinstance(item, ScimCheckItem) and item.result is not None and result.cause
                   and item.result.cause == result.cause]
        also = f"\n(one cause: the failure of {', '.join(claimed)} is this finding)" if claimed else ""
        return super().evidence(result) + also

    def reportinfo(self) -> tuple[Any, int | None, str]:
        return self.path, None, f"scim: {self.name} [run] {self.title}"


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Generator[None, Any, None]:
    outcome = yield
    if not isinstance(item, _ScimItem) or call.when != "call" or item.result is None:
        return
    if not item.config.pluginmanager.hasplugin("html"):
        return
    try:
        import pytest_html
    except ImportError:
        return
    report = outcome.get_result()
    extras = list(getattr(report, "extras", []))
    result = item.result
    extras.append(pytest_html.extras.text(item.evidence(result), name=f"{result.id} evidence"))
    extras.append(pytest_html.extras.json(result.to_dict(), name=f"{result.id} result"))
    report.extras = extras
