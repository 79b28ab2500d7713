"""The one-command demo: reference server, conformance suite, IdP simulation, live page, reports.

A composition root (tests/test_architecture.py allows it to wire harness, scenarios and
mock_idp). It never imports the reference server: it starts it as a process,
``python -m reference_server --db TMP --port P [--quirk Q]`` with the token in its
environment (``SCIM_TOKEN``, never on a command line), on 127.0.0.1 with a temporary
database, and talks to it over HTTP like any IdP would.

Flow (issue 7, "The demo"):

1. the live page starts (127.0.0.1, a free port); its URL is printed, and opened in a browser
   only when there is a display, ``CI`` is not set and ``--no-browser`` was not given;
2. the reference server starts with a fresh random token (never printed or written);
3. the conformance suite runs (entra and jumpcloud suites included); every exchange appears on
   the live page as it happens;
4. the IdP simulation runs at demo speed (a scaled clock: ``speed`` simulated seconds per real
   second), its cycles appearing on the live page;
5. results.json, junit.xml and report.html for each part are written under ``out``; the
   command says where, with the verdict per IdP.

Exit code: 0 when the demo ran to the end (findings are the story it tells, with ``--quirk``
they are expected); 2 when it could not run (a :class:`DemoError` says why).
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import webbrowser
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx

from harness.clock import SystemClock
from harness.console import counts_line
from harness.http import Auth, Target
from harness.redact import Redactor
from harness.results import RunResult
from reports.html import write_html
from reports.json_writer import write_results
from reports.junit import write_junit
from reports.live import LiveFeed, LiveServer
from reports.live_sources import CycleWatcher, watching_client
from harness.verdicts import idp_verdicts

__all__ = ["DemoConfig", "DemoOutcome", "DemoError", "run_demo", "ReferenceServer", "should_open_browser"]

Echo = Callable[[str], None]


class DemoError(Exception):
    """The demo could not run (the server would not start, the output is not writable...)."""


@dataclass(frozen=True)
class DemoConfig:
    quirks: tuple[str, ...] = ()
    idp: str = "entra"  # a simulated IdP profile: entra | entra-legacy | jumpcloud | okta | okta-aiw
    out: Path = Path("scim-out/demo")
    open_browser: bool = True
    users: int = 40
    groups: int = 4
    speed: float = 3600.0  # simulated seconds per real second: a 40-min cycle every 0.7 s
    days: float = 1.0  # simulated directory life (Entra: an initial cycle, then one every 40 min)
    seed: int = 7
    #: A customer story from mock_idp/scenarios/ played on top of the seeded churn, so the
    #: cycles show more than the quiet 2 % a day: group created and renamed, joins, a
    #: departure (deactivation, then hard delete), an unassignment, a hire. None: churn only.
    scenario: str | None = "reorg"
    linger: float = 1.5  # seconds the live page stays up after "done", so it can show it
    python: str = sys.executable
    server_timeout: float = 30.0
    token: str | None = field(default=None, repr=False)  # None: a fresh random one (tests fix it to grep for it)


@dataclass
class DemoOutcome:
    exit_code: int
    out: Path
    live_url: str
    conformance: RunResult | None = None
    simulation: RunResult | None = None
    files: list[Path] = field(default_factory=list)
    headlines: list[str] = field(default_factory=list)


def should_open_browser(config: DemoConfig, environ: dict[str, str] | os._Environ[str] = os.environ) -> bool:
    """Open a browser only for a person at a desktop: never in CI or without a display."""
    if not config.open_browser or environ.get("CI"):
        return False
    if sys.platform in ("darwin", "win32"):
        return True
    return bool(environ.get("DISPLAY") or environ.get("WAYLAND_DISPLAY"))


def free_port() -> int:
    """A port on 127.0.0.1 that is free right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


class ReferenceServer:
    """The reference server as a child process on 127.0.0.1 (never imported)."""

    def __init__(self, config: DemoConfig, workdir: Path, token: str) -> None:
        self.config = config
        self.workdir = workdir
        self.token = token
        self.log_path = workdir / "server.log"
        self.process: subprocess.Popen[bytes] | None = None
        self.base_url = ""

    def _command(self, port: int) -> list[str]:
        # The token travels in the environment (SCIM_TOKEN, which the server reads like
        # --token), not on the command line, where any local user could read it in `ps`.
        command = [self.config.python, "-m", "reference_server", "--db", str(self.workdir / "scim.db"),
                   "--port", str(port)]
        for quirk in self.config.quirks:
            command += ["--quirk", quirk]
        return command

    def start(self) -> str:
        """Start and wait until ``/ServiceProviderConfig`` answers; the base URL.

        A free port is picked, then bound by the child: another process may take it in
        between, so a child that says its address is in use is retried on a new port
        (three times in all).
        """
        for _ in range(3):
            port = free_port()
            with self.log_path.open("ab") as log:
                self.process = subprocess.Popen(
                    self._command(port), stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT,
                    cwd=self.workdir, start_new_session=True, env={**os.environ, "SCIM_TOKEN": self.token},
                )
            self.base_url = f"http://127.0.0.1:{port}"
            if self._wait_ready():
                return self.base_url
            if "in use" not in self.log_tail().lower():
                break  # it failed for another reason than the port: retrying will not help
        self.stop()
        tail = self.log_tail()
        raise DemoError("the reference server did not start" + (f":\n{tail}" if tail else ""))

    def _wait_ready(self) -> bool:
        clock = SystemClock()  # the edge: real time, bounded
        deadline = clock.monotonic() + self.config.server_timeout
        with httpx.Client(timeout=2.0, trust_env=False) as client:
            while clock.monotonic() < deadline:
                if self.process is None or self.process.poll() is not None:
                    return False
                try:
                    answer = client.get(f"{self.base_url}/ServiceProviderConfig",
                                        headers={"Authorization": f"Bearer {self.token}"})
                    if answer.status_code in (401, 403):
                        raise DemoError("the reference server refused the demo's token (SCIM_TOKEN not applied?)")
                    if answer.status_code < 500:
                        return True
                except httpx.HTTPError:
                    pass
                clock.sleep(0.1)
        return False

    def log_tail(self, lines: int = 15) -> str:
        """The end of the server's output, with the token redacted (for error messages)."""
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        tail = "\n".join(text.strip().splitlines()[-lines:])
        return Redactor([self.token]).text(tail)

    def stop(self) -> None:
        process, self.process = self.process, None
        if process is None or process.poll() is not None:
            return
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=5)


# -- the parts ------------------------------------------------------------------------------
def write_run(run: RunResult, directory: Path) -> list[Path]:
    """results.json (the source of truth), junit.xml and report.html for one run."""
    try:
        files = [
            write_results(run, directory / "results.json"),
            write_junit(run, directory / "junit.xml"),
            write_html(run, directory / "report.html"),
        ]
    except OSError as exc:
        raise DemoError(f"cannot write the reports into {directory}: {exc.strerror or exc}") from None
    log = directory / "provisioning.jsonl"
    if log.exists():
        files.append(log)
    return [Path(f) for f in files]


class _LiveChecks:
    """An event handler (harness.events) that shows each finished check on the live page."""

    def __init__(self, feed: LiveFeed) -> None:
        self.feed = feed

    def handle_event(self, event: object) -> None:
        from harness.events import CheckFinished, CheckStarted

        if isinstance(event, CheckStarted):
            self.feed.publish("phase", text=f"conformance suite: check {event.index + 1} of {event.total}")
        elif isinstance(event, CheckFinished):
            r = event.result
            self.feed.publish("check", id=r.id, title=r.title, outcome=r.outcome.value,
                              expected=expected_answers(event) if r.outcome.value in ("pass", "skip") else [])


def expected_answers(event: Any) -> list[dict[str, Any]]:
    """The error answers of a check that passed or found itself not applicable on them (``/Me`` →
    501 where /Me is not supported): the live page shows them as expected, not among the
    4xx/5xx that went wrong."""
    out = []
    for ex in event.exchanges:
        if ex.status is not None and ex.status >= 400:
            parts = urlsplit(ex.url)
            out.append({"method": ex.method, "path": (parts.path + ("?" + parts.query if parts.query else ""))[:300],
                        "status": ex.status})
    return out[:50]


def run_conformance(base: str, token: str, feed: LiveFeed, workers: int = 4) -> RunResult:
    """Every suite (RFC, Entra ID, JumpCloud, Okta) against the server; live on the page."""
    import scenarios  # noqa: F401 - importing registers every check
    from harness.config import RunConfig
    from harness.runner import run_suite

    config = RunConfig(target=Target(base + "/", Auth.bearer(token), timeout=10.0), suites=("all",), workers=workers)
    with watching_client(feed, "suite", config.target.redactor(), timeout=10.0) as http:
        return run_suite(config, handlers=[_LiveChecks(feed)], http=http)


def run_simulation(base: str, token: str, feed: LiveFeed, config: DemoConfig, out: Path) -> RunResult:
    """The IdP simulation at demo speed; its traffic and cycles go to the live page as they happen."""
    import mock_idp
    from mock_idp.simulate import SimulationConfig, simulate

    story = Path(mock_idp.__file__).parent / "scenarios" / f"{config.scenario}.json" if config.scenario else None
    target = Target(base + "/", Auth.bearer(token), timeout=30.0)
    out.mkdir(parents=True, exist_ok=True)
    watcher = CycleWatcher(feed, out / "provisioning.jsonl")
    stop = threading.Event()

    def follow() -> None:
        while not stop.wait(0.25):  # the edge: real time, only to refresh the live page
            watcher.poll()

    def progress(fraction: float) -> None:
        watcher.poll()
        feed.publish("phase", text=f"simulating {config.idp} provisioning: {fraction:.0%} of the simulated time")

    follower = threading.Thread(target=follow, name="cycle-watcher", daemon=True)
    follower.start()
    try:
        with watching_client(feed, config.idp, target.redactor()) as http:
            result = simulate(
                SimulationConfig(idp=config.idp, target=target, users=config.users, groups=config.groups,
                                 days=config.days, seed=config.seed, speed=f"{config.speed:g}x", out=out,
                                 scenario=story if story is not None and story.exists() else None),
                http=http, progress=progress,
            )
    finally:
        stop.set()
        follower.join(timeout=5)
    watcher.poll()
    watcher.final((result.run.simulation or {}).get("cycles") or [])
    if result.exit_code == 2:
        feed.publish("phase", text=result.reason)
    return result.run


# -- the story ------------------------------------------------------------------------------
def _open_browser(url: str) -> None:
    # In a thread: some browsers' launchers block until the window closes.
    threading.Thread(target=webbrowser.open, args=(url,), name="open-browser", daemon=True).start()


@contextlib.contextmanager
def _live_page(feed: LiveFeed, config: DemoConfig, echo: Echo) -> Iterator[str]:
    server = LiveServer(feed, title="scim-harness demo")
    url = server.start()
    echo(f"Live page: {url}")
    if should_open_browser(config):
        _open_browser(url)
    else:
        echo("  (open it in a browser to watch; nothing waits for it)")
    try:
        yield url
    finally:
        SystemClock().sleep(config.linger)  # let an open page fetch the last events
        server.stop()


def _summarise(run: RunResult, label: str, echo: Echo) -> list[str]:
    s = run.summary
    echo(f"{label}: {counts_line(s, errors=('not judged', 'not judged'))}")
    if run.message:
        echo(f"  {run.message}")
    lines = [v.headline for v in idp_verdicts(run)]
    for line in lines:
        echo(f"  {line}")
    return lines


def run_demo(config: DemoConfig, echo: Echo = print) -> DemoOutcome:
    """Run the whole demo (see the module docstring); never waits for input."""
    try:
        config.out.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise DemoError(f"cannot create {config.out}: {exc.strerror}") from None
    token = config.token or "demo-" + secrets.token_urlsafe(24)  # never printed or written
    feed = LiveFeed(SystemClock())
    workdir = Path(tempfile.mkdtemp(prefix="scim-demo-"))
    server = ReferenceServer(config, workdir, token)
    outcome = DemoOutcome(exit_code=0, out=config.out, live_url="")
    try:
        with _live_page(feed, config, echo) as url:
            outcome.live_url = url
            story = f" with quirk {', '.join(config.quirks)}" if config.quirks else ""
            feed.publish("phase", text=f"starting the reference server{story}")
            base = server.start()
            echo(f"Reference server: {base} (temporary database{story})")

            feed.publish("phase", text="running the conformance suite (RFC 7643/7644, Entra ID, JumpCloud)")
            echo("Running the conformance suite…")
            outcome.conformance = run_conformance(base, token, feed)
            outcome.files += write_run(outcome.conformance, config.out / "conformance")
            outcome.headlines += _summarise(outcome.conformance, "Conformance", echo)

            feed.publish("phase", text=f"simulating {config.idp} provisioning at {config.speed:g}x speed")
            echo(f"Simulating {config.idp} provisioning ({config.users} users, {config.days:g} day(s) at {config.speed:g}x)…")
            outcome.simulation = run_simulation(base, token, feed, config, config.out / "simulation")
            outcome.files += write_run(outcome.simulation, config.out / "simulation")
            outcome.headlines += _summarise(outcome.simulation, "Simulation", echo)

            reports = [f for f in outcome.files if f.name == "report.html"]
            done = "Finished. Reports:\n" + "\n".join(str(p.resolve()) for p in reports)
            feed.publish("done", text=done + "\n" + "\n".join(outcome.headlines))
            echo(done)
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
    return outcome


def conformance_run_for_bench(quirks: tuple[str, ...] = ()) -> RunResult | None:
    """The whole suite against a fresh reference server (bench/bench_report.py measures its
    report); ``None`` when the server cannot start here."""
    token = "bench-" + secrets.token_urlsafe(16)
    workdir = Path(tempfile.mkdtemp(prefix="scim-bench-"))
    server = ReferenceServer(DemoConfig(quirks=quirks), workdir, token)
    try:
        base = server.start()
        return run_conformance(base, token, LiveFeed(SystemClock(), keep=1))
    except DemoError:
        return None
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)
