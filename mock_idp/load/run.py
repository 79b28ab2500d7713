"""The load run from the command's side: check the target, start the Locust processes, judge.

This process never imports Locust or gevent: it starts ``python -m mock_idp.load.node`` as a
local runner, or as a master and ``processes`` workers, passes each its job in the environment
(credentials never on a command line), waits (Ctrl-C reaches the master, which stops the run
cleanly and still writes its statistics), removes the tenants' objects unless ``keep``, and
returns a :class:`LoadOutcome` for the writers.
"""

from __future__ import annotations

import importlib.util
import json
import math
import os
import signal
import socket
import subprocess
import sys
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any

from harness.cleanup import cleanup
from harness.config import cleanup_command
from harness.discovery import discover
from harness.http import Auth, Target, TargetClient
from harness.idp.requests import USERS
from harness.oauth import OAuthSettings
from harness.results import RunResult
from mock_idp.load.config import LoadConfig, tenant_specs
from mock_idp.load.outcome import judge

__all__ = ["LoadOutcome", "run_load", "run_worker", "preflight", "free_port", "RAW", "target_data", "target_from"]

RAW = "load-raw.json"
ENV = "SCIM_HARNESS_LOAD"


@dataclass
class LoadOutcome:
    exit_code: int
    run: RunResult
    load: dict[str, Any]

    def to_dict(self) -> dict[str, Any]:
        return {**self.run.to_dict(), "load": self.load}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def preflight(target: Target) -> str | None:
    """One read before any load: why the run cannot test (no Locust, unreachable, credentials refused), or None."""
    if importlib.util.find_spec("locust") is None:  # found without importing it (no gevent here)
        return "Locust is not installed: pip install 'scim-harness[load]'"
    with TargetClient(target) as client:
        ex = client.get(USERS, params={"count": "1"})  # where every IdP job will send
    if ex.status is None:
        return f"cannot reach the target {target.base_url}: {ex.error}"
    if ex.status in (401, 403):
        return f"the target refused the credentials ({target.auth.describe()}): GET /Users answered {ex.status}"
    return None


def target_data(target: Target) -> dict[str, Any]:
    """The target as JSON data for a Locust process (an OAuth token cache stays here: each
    process fetches its own token with the same settings)."""
    return asdict(replace(target, auth=replace(target.auth, source=None)))


def target_from(data: dict[str, Any]) -> Target:
    auth = dict(data["auth"])
    oauth = auth.pop("oauth", None)
    auth.pop("source", None)
    the_auth = Auth.client_credentials(OAuthSettings(**oauth)) if oauth else Auth(**auth)
    return Target(**{**data, "auth": the_auth})


def _job(role: str, target: Target, **extra: Any) -> dict[str, str]:
    env = dict(os.environ)
    env[ENV] = json.dumps({"role": role, "target": target_data(target), **extra})
    return env


def _spawn(role: str, target: Target, **extra: Any) -> subprocess.Popen[bytes]:
    return subprocess.Popen([sys.executable, "-m", "mock_idp.load.node"], env=_job(role, target, **extra))


def _wait(master: subprocess.Popen[bytes], workers: list[subprocess.Popen[bytes]]) -> int:
    """Wait for the run; Ctrl-C is the master's to handle (it stops cleanly), so we ignore it here."""
    previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
    try:
        code = master.wait()
        for w in workers:
            try:
                w.wait(timeout=20)
            except subprocess.TimeoutExpired:
                w.kill()
                w.wait()
        return code
    finally:
        signal.signal(signal.SIGINT, previous)


def run_load(config: LoadConfig, target: Target, out: Path, *, processes: int = 0, master: bool = False,
             expect_workers: int = 1, bind_host: str = "*", master_port: int = 5557,
             web_ui: tuple[str, int] | None = None, options: dict[str, Any] | None = None) -> LoadOutcome:
    """Run the load (see the module docstring); never raises for what the target does."""
    options = options or {}
    reason = preflight(target)
    raw: dict[str, Any] = {"config": config.to_dict(), "tenants": [], "total": {}}
    out.mkdir(parents=True, exist_ok=True)
    raw_path = out / RAW
    raw_path.unlink(missing_ok=True)
    if reason is None:
        job = {"config": config.to_dict(), "out": str(out), "web_ui": list(web_ui) if web_ui else None}
        workers: list[subprocess.Popen[bytes]] = []
        if processes or master:
            port = free_port() if processes else master_port
            head = _spawn("master", target, master_port=port, bind_host="127.0.0.1" if processes else bind_host,
                          expect_workers=processes or expect_workers, **job)
            workers = [_spawn("worker", target, master_host="127.0.0.1", master_port=port, ignore_sigint=True)
                       for _ in range(processes)]
        else:
            head = _spawn("local", target, **job)
        code = _wait(head, workers)
        if raw_path.exists():
            raw = json.loads(raw_path.read_text(encoding="utf-8"))
        else:
            reason = f"the Locust process ended without results (exit code {code})"
    if config.keep or reason and not raw.get("tenants"):
        clean = None
    elif raw.get("abort_reason"):  # a target that stopped answering is not asked again, tenant by tenant
        clean = {"prefix": config.run_prefix, "deleted": 0, "failed": 0,
                 "problems": [f"skipped: the target stopped answering; later: {cleanup_command(target, config.run_prefix)}"]}
    else:
        clean = _cleanup(target, config)
    run, section = judge(raw, config, options=options, cleanup=clean, reason=reason)
    outcome = LoadOutcome(run.exit_code, run, section)
    (out / "results.json").write_text(json.dumps(outcome.to_dict(), ensure_ascii=False, indent=1, default=str),
                                      encoding="utf-8")
    return outcome


def run_worker(target: Target, master_host: str, master_port: int = 5557) -> int:
    """A worker for a master elsewhere: runs the tenants it is given until the master ends the run."""
    proc = _spawn("worker", target, master_host=master_host, master_port=master_port)
    return _wait(proc, [])


def _cleanup(target: Target, config: LoadConfig) -> dict[str, Any]:
    """Delete every tenant's users and groups by its prefix, as ``scim-harness cleanup`` does."""
    deleted = failed = 0
    problems: list[str] = []
    pages = math.ceil(config.users * 1.5 / 100) + 2  # the tenant's people and its hires
    with TargetClient(target) as client:
        discovery, _ = discover(client)
        for spec in tenant_specs(config):
            result = cleanup(client, spec.prefix, discovery=discovery, page_size=100, max_pages=pages)
            deleted += len(result.deleted)
            failed += len(result.failed)
            problems.extend(result.problems[:1])
    return {"prefix": config.run_prefix, "deleted": deleted, "failed": failed, "problems": problems[:10]}
