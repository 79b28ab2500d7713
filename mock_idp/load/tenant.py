"""One tenant's provisioning job, driven by the same engine, flows and clock logic as ``simulate``.

:class:`TenantJob` builds what :func:`mock_idp.simulate.simulate` builds (profile, mapping,
seeded directory, day model, :class:`~mock_idp.engine.Engine`) and runs it on a clock chosen by
the pace: a :class:`VirtualClock` for ``fast`` (no waiting, the same virtual request cost as
``simulate``, so the same requests in the same order), or a :class:`RealTimeClock` that follows
the wall clock (``documented``) or runs N times faster (``Nx``). Two thin subclasses add what a
load run needs and nothing an IdP sends: :class:`MeteredClient` reports each request (by shape)
to a callback, :class:`PacedDriver` spreads an initial cycle at the profile's documented pace.
No Locust here: the Locust user in ``node.py`` calls :meth:`TenantJob.run`.
"""

from __future__ import annotations

import math
import random
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from harness.clock import EPOCH, VirtualClock
from harness.http import Target, TargetClient
from harness.idp.profile import Profile, load_profile
from harness.recorder import Exchange, Recorder
from harness.wire import Wire
from mock_idp.churn import day_model
from mock_idp.directory import make_directory
from mock_idp.driver import Driver
from mock_idp.engine import Engine, Job
from mock_idp.flows import Flow, FlowResult
from harness.idp.requests import Request
from mock_idp.logs import ProvisioningLog
from mock_idp.mapping import load_mapping
from mock_idp.load.config import TenantSpec
from mock_idp.load.shapes import shape_of

__all__ = ["TenantJob", "TenantReport", "RealTimeClock", "MeteredClient", "PacedDriver", "OnRequest", "Parallel",
           "WARM_UP", "SIMULATE_REQUEST_COST", "MAX_SHAPES", "cycle_span_minutes"]

#: simulate's default virtual cost of one request (SimulationConfig.request_cost_ms / 1000)
SIMULATE_REQUEST_COST = 0.05
#: The first requests of each tenant are kept by shape, to compare with what simulate sends.
MAX_SHAPES = 400
#: Statistics names of an already-synced tenant's catch-up requests start with this.
WARM_UP = "warm-up "
#: The span of directory time one "cycle" stands for when a profile has none (event-driven IdPs).
DEFAULT_CYCLE_MINUTES = 40.0

#: (method, name, response ms, response bytes, error or None)
OnRequest = Callable[[str, str, float, int, "str | None"], None]
#: Runs ``work`` for every item, up to ``concurrency`` at once; returns when all are done and
#: re-raises the first exception (node.py: a gevent pool)
Parallel = Callable[[Iterable[str], Callable[[str], None], int], None]


def cycle_span_minutes(profile: Profile) -> float:
    return profile.cycle_interval_minutes or DEFAULT_CYCLE_MINUTES


class RealTimeClock(VirtualClock):
    """IdP time that follows the wall clock, ``factor`` real seconds per IdP second (1.0: real time).

    Unlike :class:`~harness.clock.ScaledClock`, the time a request really takes passes on this
    clock too, so a 40-minute cycle interval is 40 minutes from start to start. Waits go through
    ``threading.Event`` (cooperative once gevent has patched it in a Locust process).
    """

    def __init__(self, factor: float, start: datetime = EPOCH) -> None:
        super().__init__(start)
        if factor <= 0:
            raise ValueError("factor must be > 0")
        self.factor = factor
        self._origin = time.monotonic()
        self._start_at = start

    def monotonic(self) -> float:
        return (time.monotonic() - self._origin) / self.factor

    def now(self) -> datetime:
        return self._start_at + timedelta(seconds=self.monotonic())

    def sleep(self, seconds: float) -> None:
        if seconds > 0:
            threading.Event().wait(seconds * self.factor)

    def advance(self, seconds: float) -> None:
        self.sleep(seconds)


class MeteredClient(TargetClient):
    """The harness client, reporting every request by its shape (and keeping the first shapes)."""

    def __init__(self, target: Target, on_request: OnRequest, *, warm_up: bool = False, **kw: Any) -> None:
        super().__init__(target, **kw)
        self.on_request = on_request
        self.warm_up = warm_up
        self.shapes: list[str] = []
        self.requests = self.errors = self.throttled = 0
        self.last_error: str | None = None

    def request(self, method: str, path: str, **kw: Any) -> Exchange:
        ex = super().request(method, path, **kw)
        shape = shape_of(method, path, kw.get("params"), kw.get("json"))
        if len(self.shapes) < MAX_SHAPES:
            self.shapes.append(shape)
        self.requests += 1
        error: str | None = None
        if ex.status is None:
            error = f"no answer: {ex.error}"
            self.last_error = error
        elif ex.status >= 400:
            error = f"HTTP {ex.status}"
            self.throttled += ex.status == 429
        self.errors += error is not None
        name = (WARM_UP + shape) if self.warm_up else shape
        self.on_request(method.upper(), name, ex.elapsed_ms, len(ex.body), error)
        return ex


def _objects(request: Request) -> int:
    """Members a request adds (each is an object in Entra's per-object pace)."""
    body = request.json
    if not isinstance(body, dict):
        return 0
    count = len(body["members"]) if isinstance(body.get("members"), list) else 0
    for op in body.get("Operations") or ():
        if isinstance(op, dict) and op.get("path") == "members" and isinstance(op.get("value"), list):
            count += len(op["value"])
    return count


def _tally(flow: Flow, counts: list[int]) -> Flow:
    """``flow`` unchanged, adding the objects each of its requests touches to ``counts[0]``."""
    try:
        request = next(flow)
    except StopIteration as stop:
        result: FlowResult = stop.value
        return result
    while True:
        counts[0] += _objects(request)
        ex = yield request
        try:
            request = flow.send(ex)
        except StopIteration as stop:
            done: FlowResult = stop.value
            return done


class PacedDriver(Driver):
    """The engine's driver, giving each change of an initial cycle the profile's time per object,
    with up to ``concurrency`` changes of the job in flight at once.

    ``per_object`` is (low, high) IdP seconds; each change draws its time from it (seeded) for
    every object it touches (the user or group, plus each member added) and waits out what the
    requests did not already use (unpaced when ``None``): with C changes in flight, an initial
    cycle takes about 1/C of the documented time. ``parallel`` runs a phase's changes C at a time
    (node.py: a gevent pool; required when C > 1); with C = 1, one after the other as in ``simulate``.
    """

    def __init__(self, client: MeteredClient, clock: VirtualClock, profile: Profile, request_cost: float,
                 per_object: tuple[float, float] | None, concurrency: int, rng: random.Random,
                 warm_up: bool = False, parallel: Parallel | None = None) -> None:
        super().__init__(client, clock, profile, request_cost)
        self.metered = client
        self.per_object = per_object
        self.warm_up = warm_up  # an already-synced tenant: its initial cycle is a catch-up, named apart
        self.concurrency = max(1, concurrency)
        if self.concurrency > 1 and parallel is None:
            raise ValueError("a job concurrency above 1 needs a parallel runner")
        self.parallel = parallel
        self.rng = rng
        self.job: Job | None = None

    def each(self, items: Iterable[str], work: Callable[[str], None]) -> None:
        if self.parallel is None or self.concurrency == 1:
            super().each(items, work)
        else:
            self.parallel(items, work, self.concurrency)

    def run(self, flow: Any) -> tuple[Any, list[str]]:
        started = self.clock.monotonic()
        objects = [0]
        cycle = self.job.cycles[-1] if self.job and self.job.cycles else None
        initial = cycle is not None and cycle.kind == "initial" and cycle.finished_at is None
        self.metered.warm_up = self.warm_up and initial
        result, ids = super().run(_tally(flow, objects))
        if initial and self.per_object and ids:
            low, high = self.per_object
            budget = self.rng.uniform(low, high) * (1 + objects[0])
            rest = budget - (self.clock.monotonic() - started)
            if rest > 0:
                self.clock.sleep(rest)
        return result, ids


@dataclass
class TenantReport:
    """What one tenant's job did, as the tenant table shows it."""

    index: int
    idp: str
    prefix: str
    initial: bool
    requests: int = 0
    errors: int = 0
    throttled: int = 0
    changes: int = 0
    failed: int = 0
    escrowed: int = 0
    cycles: int = 0
    objects: int = 0
    initial_seconds: float | None = None  # IdP time the initial cycle took (None: not finished)
    documented_seconds: tuple[float, float] | None = None  # the profile's range for this many objects
    quarantined: str | None = None
    predicted: str | None = None
    finished: bool = False
    error: str | None = None
    worker: str = ""
    shapes: list[str] = field(default_factory=list)

    @property
    def at_risk(self) -> bool:
        return bool(self.quarantined or self.predicted)

    def to_dict(self) -> dict[str, Any]:
        data = {k: getattr(self, k) for k in self.__dataclass_fields__}
        data["documented_seconds"] = list(self.documented_seconds) if self.documented_seconds else None
        data["at_risk"] = self.at_risk
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "TenantReport":
        data = {k: v for k, v in data.items() if k in cls.__dataclass_fields__}
        if data.get("documented_seconds"):
            data["documented_seconds"] = tuple(data["documented_seconds"])
        return cls(**data)


def predict_quarantine(profile: Profile, job: Job, hours: float) -> str | None:
    """The profile's own quarantine rules (E5) applied to the failure rate seen so far."""
    if job.quarantine_history:
        return None
    p = profile
    if not p.quarantine_min_failures or job.changes == 0 or job.failures == 0:
        return None
    ratio = job.failures / job.changes
    if ratio <= p.quarantine_failure_ratio:
        return None
    missing = max(0, p.quarantine_min_failures - job.failures)
    when = ""
    if hours > 0:
        per_hour = job.failures / hours
        when = f", in about {missing / per_hour:.1f} h of IdP time at {per_hour:.0f} failures/h"
    return (f"{ratio:.0%} of changes failed (rule: over {p.quarantine_failure_ratio:.0%} once "
            f"{p.quarantine_min_failures} have failed): quarantine after {missing} more failure(s){when}")


class TenantJob:
    """One tenant: build the engine from its seed, run test connection, cycles and churn."""

    def __init__(self, spec: TenantSpec, target: Target, on_request: OnRequest, *, factor: float | None,
                 cycles: int | None, duration: float | None, job_concurrency: int | None = None,
                 wire: Wire | None = None, parallel: Parallel | None = None,
                 pause: Callable[[], None] | None = None) -> None:
        self.spec = spec
        self.profile = load_profile(spec.idp)
        self.factor = factor
        self.report = TenantReport(spec.index, spec.idp, spec.prefix, spec.initial)
        paced = factor is not None and spec.initial
        self.clock: VirtualClock = RealTimeClock(factor) if factor is not None else VirtualClock(EPOCH)
        target = replace(target, base_url=self.profile.tenant_url(target.base_url))
        self.client = MeteredClient(target, on_request, recorder=Recorder(
            target.redactor(), self.clock, keep=False), wire=wire, clock=self.clock, user_agent=self.profile.user_agent)
        low, high = (float(x) * 60 for x in self.profile.initial_minutes_per_object)
        self.per_object = (low, high) if high > 0 else None
        concurrency = job_concurrency or self.profile.job_concurrency
        cost = 0.0 if factor is not None else SIMULATE_REQUEST_COST
        self.driver = PacedDriver(self.client, self.clock, self.profile, cost, self.per_object if paced else None,
                                  concurrency, random.Random(spec.seed + 3), warm_up=not spec.initial,
                                  parallel=parallel)
        span = cycle_span_minutes(self.profile)
        if cycles is not None:
            self.span = timedelta(minutes=span * cycles + span / 2)
        elif factor is not None and duration is not None:
            self.span = timedelta(seconds=duration / factor)
        else:
            self.span = timedelta(days=7)  # fast and bounded by real time: a week of directory life
        self.engine: Engine | None = None
        self._started: datetime | None = None
        self.pause = pause  # while drawing the directory (node.py: yield to the other tenants)

    def run(self) -> TenantReport:
        """Run the job to its bound; if stopped from outside (Locust), :meth:`finish` still reports."""
        spec, profile = self.spec, self.profile
        directory = make_directory(spec.users, spec.groups, spec.seed, "assigned", spec.prefix, self.pause)
        mapping = load_mapping(profile.default_mapping)
        log = ProvisioningLog(f"load.{spec.prefix}", profile.name, None, tail=1)
        days = max(1, math.ceil(self.span / timedelta(days=1)))
        events = day_model(EPOCH, days, spec.users, random.Random(spec.seed + 1), True,  # as simulate (cover)
                           roles=mapping.maps("User", "roles"))
        self.engine = engine = Engine(profile, mapping, directory, self.driver, self.clock, log, random.Random(spec.seed + 2))
        self.driver.job = engine.job
        self.report.objects = _initial_objects(directory, profile)
        if self.per_object:
            self.report.documented_seconds = (self.per_object[0] * self.report.objects,
                                              self.per_object[1] * self.report.objects)
        try:
            if not spec.initial and self.factor is not None:
                # A job synced long ago runs its cycles at its own moment: start it somewhere in the first
                # interval (seeded), so tenants do not all sync at the same minute.
                self.clock.sleep(random.Random(spec.seed + 4).uniform(0, cycle_span_minutes(profile) * 60))
            self._started = self.clock.now()
            until = self._started + self.span
            ok, why, _ = engine.run_connection_test()
            if not ok:
                self.report.error = why
            else:
                engine.run(events, until)
                self.report.finished = True
        finally:
            self.finish()
            self.client.close()
        return self.report

    @property
    def phase(self) -> str:
        """``starting``, ``test-connection``, ``initial``, ``warm-up``, ``cycle`` (running one) or ``waiting``."""
        engine = self.engine
        if engine is None or not engine.job.cycles:
            return "starting"
        cycle = engine.job.cycles[-1]
        if cycle.finished_at is not None:
            return "done" if self.report.finished else "waiting"
        if cycle.kind == "initial":
            return "warm-up" if not self.spec.initial else "initial"
        return "cycle" if cycle.kind != "test-connection" else "test-connection"

    def finish(self) -> TenantReport:
        """Fill the report from the job as it is now (also after being stopped mid-cycle)."""
        r, c = self.report, self.client
        r.requests, r.errors, r.throttled, r.shapes = c.requests, c.errors, c.throttled, list(c.shapes)
        if c.last_error and not r.error and c.errors == c.requests:
            r.error = c.last_error
        engine = self.engine
        if engine is None:
            return r
        job = engine.job
        r.changes, r.failed, r.escrowed = job.changes, job.failed_ever, len(job.escrow)
        r.cycles = sum(1 for cy in job.cycles if cy.kind in {"incremental", "event", "quarantine"})
        initial = next((cy for cy in job.cycles if cy.kind == "initial"), None)
        if initial is not None and initial.finished_at is not None and self.factor is not None and self.spec.initial:
            r.initial_seconds = (initial.finished_at - initial.started_at).total_seconds()
        if job.quarantine_history:
            r.quarantined = job.quarantine_history[-1].reason
        hours = (self.clock.now() - self._started).total_seconds() / 3600 if self._started else 0.0
        r.predicted = predict_quarantine(self.profile, job, hours)
        return r


def _initial_objects(directory: Any, profile: Profile) -> int:
    """Objects in an initial cycle as Entra counts them: users + groups + members, in scope."""
    users = sum(1 for u in directory.users.values() if directory.user_in_scope(u, profile.scope_model))
    groups = [g for g in directory.groups.values() if directory.group_in_scope(g, profile.scope_model)]
    members = sum(len(g.members) for g in groups) if profile.manage_groups else 0
    return users + (len(groups) if profile.manage_groups else 0) + members
