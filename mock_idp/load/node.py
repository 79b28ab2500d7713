"""One Locust process of a load run: ``python -m mock_idp.load.node`` (local, master or worker).

gevent patches the standard library first thing, so this module runs only as its own process
(started by :mod:`mock_idp.load.run`); nothing imports it, and the rest of the project never
imports Locust. The job description comes in the environment variable ``SCIM_HARNESS_LOAD``
(JSON: the run, the target with its credentials, the role); the master or local process writes
``load-raw.json`` (Locust's statistics, the timeline, every tenant's report) when the run ends.

Each Locust user is one tenant's provisioning job (:class:`~mock_idp.load.tenant.TenantJob`).
Tenants are numbered by the master: a worker's user asks for the next number ("claim") and
gets it with the run's settings; when it ends (or is stopped) it sends its report back.
"""

from gevent import monkey

monkey.patch_all()

import dataclasses  # noqa: E402
import json  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import sys  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable, Iterable  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gevent  # noqa: E402
from gevent.event import AsyncResult  # noqa: E402
from gevent.pool import Pool  # noqa: E402
from locust import User, constant, events, task  # noqa: E402
from locust.env import Environment  # noqa: E402
from locust.exception import StopUser  # noqa: E402
from locust.runners import STATE_STOPPED, MasterRunner, Runner, WorkerRunner  # noqa: E402


from harness.http import Target  # noqa: E402
from harness.idp.profile import load_profile  # noqa: E402
from mock_idp.load.config import LoadConfig, TenantSpec, tenant_specs  # noqa: E402
from mock_idp.load.gevent_wire import GeventWire  # noqa: E402
from mock_idp.load.run import target_from  # noqa: E402
from mock_idp.load.tenant import TenantJob, TenantReport  # noqa: E402
from mock_idp.load.windows import Recent, between, percentile  # noqa: E402

ENV = "SCIM_HARNESS_LOAD"
RAW = "load-raw.json"
#: No answer at all to this many requests in a row (in one process): the target stopped answering.
UNREACHABLE_AFTER = 20
SAMPLE_SECONDS = 2.0


class State:
    """What this process knows about the run (one per process)."""

    def __init__(self, job: dict[str, Any]) -> None:
        self.job = job
        self.role: str = job["role"]
        self.config: LoadConfig | None = LoadConfig.from_dict(job["config"]) if job.get("config") else None
        self.target = target_from(job["target"])
        self.env: Environment | None = None
        self.next_tenant = 0
        self.waiting: dict[str, AsyncResult] = {}
        self.reports: dict[int, dict[str, Any]] = {}
        self.phases: dict[int, str] = {}
        self.abort: str | None = None
        self.no_answer = 0
        self.asked = 0
        self.jobs: dict[int, TenantJob] = {}  # running in this process
        self.sent_phases: dict[int, str] = {}
        self.memory: dict[str, dict[str, int]] = {}  # node -> rss_start, rss_max, tenants_max

    # -- tenants (master or local) --------------------------------------------------------
    def claim_local(self) -> tuple[TenantSpec | None, LoadConfig]:
        assert self.config is not None
        specs = tenant_specs(self.config)
        index = self.next_tenant
        self.next_tenant += 1
        return (specs[index] if index < len(specs) else None), self.config

    def report(self, data: dict[str, Any]) -> None:
        self.reports[int(data["index"])] = data

    def usage_of(self, data: dict[str, Any]) -> None:
        """Keep each process's resident memory: at start, at its peak, and the most tenants it held."""
        seen = self.memory.setdefault(str(data["node"]), {"rss_start": data["rss"], "rss_max": 0, "tenants_max": 0})
        seen["rss_max"] = max(seen["rss_max"], data["rss"])
        seen["tenants_max"] = max(seen["tenants_max"], data["tenants"])

    def stop_with(self, reason: str) -> None:
        if self.abort is None:
            self.abort = reason


STATE: State


def _runner() -> Runner:
    assert STATE.env is not None and STATE.env.runner is not None
    return STATE.env.runner


def _claim() -> tuple[TenantSpec | None, LoadConfig]:
    """The next tenant for a user of this process (asks the master on a worker)."""
    runner = _runner()
    if not isinstance(runner, WorkerRunner):
        return STATE.claim_local()
    STATE.asked += 1
    ask = f"{runner.client_id}:{STATE.asked}"
    result: AsyncResult = AsyncResult()
    STATE.waiting[ask] = result
    runner.send_message("claim", {"ask": ask})
    data = result.get(timeout=60)
    config = LoadConfig.from_dict({**data["config"], "target_url": STATE.target.base_url})
    spec = TenantSpec(**data["spec"]) if data.get("spec") else None
    return spec, config


def _send(kind: str, data: dict[str, Any]) -> None:
    runner = _runner()
    if isinstance(runner, WorkerRunner):
        runner.send_message(kind, data)
    elif kind == "tenant_report":
        STATE.report(data)
    elif kind == "phase":
        STATE.phases[int(data["index"])] = str(data["phase"])
    elif kind == "usage":
        STATE.usage_of(data)
    elif kind == "abort":
        STATE.stop_with(str(data["reason"]))


def _on_request(method: str, name: str, ms: float, length: int, error: str | None) -> None:
    assert STATE.env is not None
    STATE.env.events.request.fire(request_type=method, name=name, response_time=ms, response_length=length,
                                  exception=Exception(error) if error else None,
                                  context={})  # type: ignore[no-untyped-call]
    if error and error.startswith("no answer"):
        STATE.no_answer += 1
        if STATE.no_answer == UNREACHABLE_AFTER:
            _send("abort", {"reason": f"the target stopped answering ({UNREACHABLE_AFTER} requests in a row "
                                      f"got no answer; last: {error})"})
    else:
        STATE.no_answer = 0


def _in_parallel(items: Iterable[str], work: Callable[[str], None], concurrency: int) -> None:
    """One phase of a job's changes, ``concurrency`` in flight at once (a gevent pool per phase).
    The first exception (the job went into quarantine) stops the others and goes on to the engine."""
    def guarded(item: str) -> Exception | None:
        try:
            work(item)
        except Exception as exc:  # noqa: BLE001 - handed to the caller, not lost in the hub's log
            return exc
        return None

    pool = Pool(concurrency)
    try:
        for failed in pool.imap_unordered(guarded, items):
            if failed is not None:
                raise failed
    finally:
        pool.kill()  # also when Locust stops this user mid-phase


class TenantUser(User):
    """One Locust user = one tenant's provisioning job, run once to its bound."""

    wait_time = constant(0)

    @task
    def provision(self) -> None:
        spec, config = _claim()
        if spec is None:
            raise StopUser()
        runner = _runner()
        worker = runner.client_id if isinstance(runner, WorkerRunner) else "local"
        # one connection per change in flight, through geventhttpclient (bench_load: near bare Locust's speed)
        concurrency = config.job_concurrency or load_profile(spec.idp).job_concurrency
        wire = GeventWire(insecure=STATE.target.insecure, concurrency=concurrency)
        job = TenantJob(spec, dataclasses.replace(STATE.target, base_url=config.target_url), _on_request,
                        factor=config.factor, cycles=config.cycles, duration=config.duration,
                        job_concurrency=concurrency, wire=wire, parallel=_in_parallel,
                        pause=lambda: gevent.sleep(0))  # let the other tenants send while this one is drawn
        STATE.jobs[spec.index] = job
        try:
            job.run()
        finally:
            STATE.jobs.pop(spec.index, None)
            wire.close()
            report = job.finish()
            report.worker = worker
            _send("tenant_report", report.to_dict())
        raise StopUser()


def _rss() -> int:
    with open("/proc/self/statm", encoding="ascii") as f:  # Linux; resident pages
        return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


def _watch_phases() -> None:
    """Tell the master when a tenant of this process changes phase, and this process's memory."""
    runner = _runner()
    node = runner.client_id if isinstance(runner, WorkerRunner) else "local"
    tick = 0
    while True:
        if tick % 5 == 0:
            _send("usage", {"node": node, "rss": _rss(), "tenants": len(STATE.jobs)})
        tick += 1
        for index, job in list(STATE.jobs.items()):
            phase = job.phase
            if STATE.sent_phases.get(index) != phase:
                STATE.sent_phases[index] = phase
                _send("phase", {"index": index, "phase": phase})
        for index in [i for i in STATE.sent_phases if i not in STATE.jobs]:
            del STATE.sent_phases[index]
            _send("phase", {"index": index, "phase": "done"})
        gevent.sleep(1.0)


# -- messages between master and workers ----------------------------------------------------------
def _on_claim(environment: Environment, msg: Any, **_: Any) -> None:
    spec, config = STATE.claim_local()
    data = {"ask": msg.data["ask"], "spec": spec.to_dict() if spec else None, "config": config.to_dict()}
    _runner().send_message("tenant", data, client_id=msg.node_id)


def _on_tenant(environment: Environment, msg: Any, **_: Any) -> None:
    waiting = STATE.waiting.pop(msg.data["ask"], None)
    if waiting is not None:
        waiting.set(msg.data)


def _on_report(environment: Environment, msg: Any, **_: Any) -> None:
    STATE.report(msg.data)


def _on_phase(environment: Environment, msg: Any, **_: Any) -> None:
    STATE.phases[int(msg.data["index"])] = str(msg.data["phase"])


def _on_usage(environment: Environment, msg: Any, **_: Any) -> None:
    STATE.usage_of(msg.data)


def _on_abort(environment: Environment, msg: Any, **_: Any) -> None:
    STATE.stop_with(str(msg.data["reason"]))


# -- statistics -----------------------------------------------------------------------------------
def _aborted() -> bool:
    """Set by a message handler while the main loop sleeps."""
    return STATE.abort is not None


class Sampler:
    """Throughput and p50/p95/p99 per window.

    Workers send their statistics to the master every few seconds, so the cumulative histogram
    grows in steps: a window's percentiles are those of the requests reported in it (``None``
    when no report came), and its requests/s are counted at the end (:meth:`finish`) from
    Locust's per-second counts, where each request sits in the second it was made.
    """

    def __init__(self, env: Environment) -> None:
        self.env = env
        self.t0 = time.monotonic()
        self.last_wall = time.time()
        self.last_hist: dict[int, int] = {}
        self.recent = Recent()  # the console's p95: a 2-s window often holds no worker report
        self.points: list[dict[str, Any]] = []
        self.windows: list[tuple[int, int]] = []  # the wall-clock seconds [from, to) of each point

    def sample(self) -> dict[str, Any]:
        total = self.env.stats.total
        now, wall = time.monotonic(), time.time()
        hist = dict(total.response_times)
        window = between(self.last_hist, hist)
        self.recent.add(now, hist)
        point = {"t": round(now - self.t0, 2), "rps": round(total.current_rps, 2),
                 "fail_rps": round(total.current_fail_per_sec, 2),
                 "p50": percentile(window, 0.5), "p95": percentile(window, 0.95),
                 "p99": percentile(window, 0.99), "users": _runner().user_count,
                 "initial": sum(1 for p in STATE.phases.values() if p == "initial")}
        self.points.append(point)
        self.windows.append((int(self.last_wall), int(wall)))
        self.last_hist, self.last_wall = hist, wall
        return point

    def finish(self) -> list[dict[str, Any]]:
        """The timeline, each window's requests/s and failures/s from the per-second counts."""
        total = self.env.stats.total
        for point, (start, end) in zip(self.points, self.windows):
            seconds = range(start, max(end, start + 1))
            point["rps"] = round(sum(total.num_reqs_per_sec.get(s, 0) for s in seconds) / len(seconds), 2)
            point["fail_rps"] = round(sum(total.num_fail_per_sec.get(s, 0) for s in seconds) / len(seconds), 2)
        return self.points


def _entry(e: Any) -> dict[str, Any]:
    return {"method": e.method, "name": e.name, "requests": e.num_requests, "failures": e.num_failures,
            "avg_ms": round(e.avg_response_time, 2), "min_ms": round(e.min_response_time or 0, 2),
            "max_ms": round(e.max_response_time, 2), "p50_ms": e.get_response_time_percentile(0.5) or 0,
            "p95_ms": e.get_response_time_percentile(0.95) or 0, "p99_ms": e.get_response_time_percentile(0.99) or 0,
            "rps": round(e.total_rps, 3), "avg_bytes": round(e.avg_content_length, 1)}


def _raw(env: Environment, sampler: Sampler, started: float, stopped_by: str, workers: list[str]) -> dict[str, Any]:
    stats = env.stats
    return {
        "config": STATE.config.to_dict() if STATE.config else None,
        "started_at": started, "finished_at": time.time(), "elapsed_s": round(time.time() - started, 3),
        "stopped_by": stopped_by, "abort_reason": STATE.abort, "workers": workers,
        "total": _entry(stats.total),
        "shapes": [_entry(e) for e in sorted(stats.entries.values(), key=lambda e: (e.name, e.method))],
        "errors": [{"method": e.method, "name": e.name, "error": str(e.error), "occurrences": e.occurrences}
                   for e in stats.errors.values()],
        "timeline": sampler.finish(),
        "tenants": [STATE.reports[i] for i in sorted(STATE.reports)],
        "claimed": STATE.next_tenant,
        "memory": STATE.memory,
    }


def _progress(point: dict[str, Any], recent_p95: float | None, done: int, total: int, errors: float) -> None:
    p95 = "     -" if recent_p95 is None else f"{recent_p95:6.0f}"  # no request reported yet
    sys.stderr.write(f"  {point['t']:7.0f}s  {point['rps']:8.1f} req/s  p95 (last 10 s) {p95} ms  "
                     f"errors {errors:5.1%}  tenants: {point['users']} running, {point['initial']} in initial cycle,"
                     f" {done}/{total} done\n")
    sys.stderr.flush()


def drive(env: Environment, config: LoadConfig, out: Path, expect_workers: int, web_ui: tuple[str, int] | None) -> int:
    runner = _runner()
    interrupted: list[bool] = []

    def on_interrupt(*_: Any) -> None:
        if interrupted:
            os._exit(130)  # a second Ctrl-C: stop at once
        interrupted.append(True)

    gevent.signal_handler(signal.SIGINT, on_interrupt)
    gevent.signal_handler(signal.SIGTERM, on_interrupt)
    if web_ui:
        ui = env.create_web_ui(web_ui[0], web_ui[1])
        port = getattr(ui.server, "server_port", web_ui[1]) if ui is not None else web_ui[1]
        sys.stderr.write(f"Locust's page: http://{web_ui[0]}:{port}/\n")
    if isinstance(runner, MasterRunner):
        deadline = time.monotonic() + 120
        while runner.worker_count < expect_workers and not interrupted:
            if time.monotonic() > deadline:
                STATE.stop_with(f"only {runner.worker_count} of {expect_workers} worker(s) connected within 120 s")
                break
            gevent.sleep(0.2)
    started = time.time()
    sampler = Sampler(env)
    stopped_by = "interrupted"
    if STATE.abort is None and not interrupted:
        # a master's start() returns only when every tenant is dispatched (the ramp-up): progress
        # goes on meanwhile, and the duration counts from the ramp's end, as before
        spawning = gevent.spawn(runner.start, config.tenants, config.rate)
        end: float | None = None
        next_sample = time.monotonic() + SAMPLE_SECONDS
        while True:
            gevent.sleep(0.1)
            if interrupted:
                break
            if _aborted():
                stopped_by = "abort"
                break
            if end is None and config.duration and spawning.ready():
                end = time.monotonic() + config.duration
            if end is not None and time.monotonic() >= end:
                stopped_by = "duration"
                break
            if len(STATE.reports) >= config.tenants:
                stopped_by = "cycles"
                break
            if time.monotonic() >= next_sample:
                next_sample += SAMPLE_SECONDS
                point = sampler.sample()
                total = env.stats.total
                _progress(point, sampler.recent.percentile(0.95), len(STATE.reports), config.tenants,
                          total.num_failures / max(1, total.num_requests))
        spawning.kill()  # stopped during the ramp-up: dispatch no more tenants
    else:
        stopped_by = "abort" if STATE.abort else "interrupted"
    runner.stop()
    deadline = time.monotonic() + 15  # stopped users send their reports; wait for them
    while len(STATE.reports) < min(STATE.next_tenant, config.tenants) and time.monotonic() < deadline:
        gevent.sleep(0.1)
    # the workers' last statistics: until Locust has counted every request the tenants report
    sent = sum(int(r.get("requests", 0)) for r in STATE.reports.values())
    deadline = time.monotonic() + 15
    while env.stats.total.num_requests < sent and time.monotonic() < deadline:
        gevent.sleep(0.1)
    sampler.sample()
    workers = sorted({str(r.get("worker")) for r in STATE.reports.values()})
    raw = _raw(env, sampler, started, stopped_by, workers)
    out.mkdir(parents=True, exist_ok=True)
    (out / RAW).write_text(json.dumps(raw, indent=1, default=str), encoding="utf-8")
    runner.quit()
    return 0


def main() -> int:
    global STATE
    job = json.loads(os.environ.pop(ENV))
    STATE = State(job)
    env = Environment(user_classes=[TenantUser], events=events, stop_timeout=None)
    STATE.env = env
    role = STATE.role
    if role == "worker":
        if job.get("ignore_sigint"):
            signal.signal(signal.SIGINT, signal.SIG_IGN)  # the master stops the run, then tells us
        worker = env.create_worker_runner(job["master_host"], int(job["master_port"]))
        worker.register_message("tenant", _on_tenant)
        gevent.spawn(_watch_phases)
        worker.greenlet.join()
        return 0
    assert STATE.config is not None
    if role == "master":
        runner = env.create_master_runner(job.get("bind_host", "*"), int(job["master_port"]))
        for kind, handler in (("claim", _on_claim), ("tenant_report", _on_report), ("phase", _on_phase),
                              ("abort", _on_abort), ("usage", _on_usage)):
            runner.register_message(kind, handler)
    else:
        env.create_local_runner()
        gevent.spawn(_watch_phases)
    web = job.get("web_ui")
    return drive(env, STATE.config, Path(job["out"]), int(job.get("expect_workers") or 0),
                 (str(web[0]), int(web[1])) if web else None)


if __name__ == "__main__":
    sys.exit(main())
