"""One target, one recorder, one discovery: what the runner and the pytest plugin share.

:class:`RunSession` probes (``GET {base}/Users?count=1``, where the IdPs look), discovers,
checks that the advertised endpoints answer (an endpoint that does not, while ``{base}/Users``
does, is said in discovery and not used), runs one check at a time in a fresh
:class:`CheckContext`, and turns what no single check owns into run findings
(harness/run_findings.py).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import httpx

from harness.checks import CheckContext, CheckSpec, run_check
from harness.clock import Clock, SystemClock
from harness.config import RunConfig
from harness.discovery import Discovery, discover
from harness.endpoints import DEFAULT_ENDPOINTS, IDP_USERS
from harness.fixtures import FixtureGate
from harness.http import TargetClient
from harness.recorder import Exchange, Recorder
from harness.results import CheckResult, Outcome
from harness.run_findings import endpoint_findings, first_probe_finding, fixture_finding, latency_finding

__all__ = ["RunSession", "STOPPED", "base_url_hint"]


#: The error of a request the runner refused to send because the run was stopping.
STOPPED = "not sent: the run is stopping (run timeout or interrupt)"


class _StoppableClient(TargetClient):
    """A TargetClient that, once ``stop`` is set, sends only DELETEs (cleanup) and records
    every other request as not sent, so that checks in flight wind down quickly."""

    def __init__(self, *args: Any, stop: threading.Event, **kw: Any) -> None:
        super().__init__(*args, **kw)
        self.stop = stop
        self.refused: set[str] = set()
        self._refused_lock = threading.Lock()

    def request(self, method: str, path: str, **kw: Any) -> Exchange:
        if self.stop.is_set() and method.upper() != "DELETE":
            try:
                url = self.url_for(path, kw.get("params"), kw.get("query"))
            except ValueError:
                url = path
            ex = self._record(method.upper(), url, [], None, None, [], b"", 0.0, STOPPED)
            with self._refused_lock:
                self.refused.add(ex.id)
            return ex
        return super().request(method, path, **kw)


#: Endpoint names (RFC 7644 §3.2) that people paste onto the end of a base URL by mistake.
_ENDPOINTS = ("users", "groups", "serviceproviderconfig", "serviceproviderconfigs", "resourcetypes", "schemas",
              "bulk", "me", ".search")


def base_url_hint(url: str) -> str:
    """``"; try --target https://host/scim/v2/"`` when ``url`` ends in an endpoint such as /Users."""
    parts = urlsplit(url)
    path = parts.path.rstrip("/")
    head, _, last = path.rpartition("/")
    if last.lower() not in _ENDPOINTS:
        return ""
    return f"; try --target {urlunsplit((parts.scheme, parts.netloc, head + '/', parts.query, ''))}"


@dataclass
class RunSession:
    """One target, one recorder, one discovery: what the runner and the pytest plugin share.

    ``open()`` probes and discovers, returning why the run cannot test (or ``None``);
    ``run(spec)`` runs one check in a fresh context. Thread-safe after ``open()``.
    """

    config: RunConfig
    http: httpx.Client | None = None
    clock: Clock = field(default_factory=SystemClock)
    stop: threading.Event = field(default_factory=threading.Event)

    def __post_init__(self) -> None:
        target = self.config.target
        self._own_http = self.http is None
        self.http = self.http or httpx.Client(verify=not target.insecure, follow_redirects=False, trust_env=False)
        # Never follow a redirect, whatever client was injected (Starlette's TestClient does by
        # default): a redirect would carry the credentials to wherever the target points.
        self.http.follow_redirects = False
        self.recorder = Recorder(target.redactor(), self.clock)
        self.client = _StoppableClient(target, recorder=self.recorder, http=self.http, clock=self.clock, stop=self.stop)
        self.discovery = Discovery()
        self.discovery_ids: list[str] = []
        self.leftovers = 0  # checks that could not remove what they created
        self.fixtures = FixtureGate()
        self.probe: Exchange | None = None
        self.endpoint_probes: list[Exchange] = []
        self._failed_on: list[tuple[CheckResult, CheckSpec, Exchange]] = []  # for attribute_causes()
        self._failed_lock = threading.Lock()

    @property
    def redact(self) -> Any:
        return self.recorder.redactor.text

    def housekeeping_client(self) -> TargetClient:
        """A client on the same connection pool and transcript that ignores ``stop`` (cleanup)."""
        return TargetClient(self.config.target, recorder=self.recorder, http=self.http, clock=self.clock)

    def open(self) -> str | None:
        """Probe and discover; the one-line reason the run cannot test, or ``None``."""
        url = self.config.url
        no_token = self.client.token_problem()  # OAuth: a token first; a no-op for static credentials
        if no_token:
            return f"could not get an access token: {no_token}"
        probe = self.client.get(IDP_USERS, params={"count": 1})
        self.probe = probe
        self.discovery_ids.append(probe.id)
        if probe.error:
            hint = "; for a lab certificate add --insecure" if "CERTIFICATE_VERIFY_FAILED" in probe.error else ""
            return f"cannot reach the target {url}: {probe.error}{hint}"
        if probe.status is not None and 300 <= probe.status < 400:
            where = probe.header("Location") or "nowhere"
            return (f"the target redirects GET {IDP_USERS} ({probe.status} to {where[:200]}) and redirects are never "
                    f"followed with credentials; use the final SCIM base URL (https?)")
        if probe.status in (401, 403):
            return (
                f"the target refused the credentials ({self.config.target.auth.describe()}): GET {IDP_USERS} answered "
                f"{probe.status}; check the credentials and that they may read and write users"
            )
        self.discovery, ids = discover(self.client)
        self.discovery_ids.extend(ids)
        discovered = self.discovery.spc is not None or bool(self.discovery.resource_types)
        probe_ok = _lists(probe)
        if not discovered and not probe_ok:
            seen = "; ".join([*self.discovery.problems[:3], f"GET {IDP_USERS} answered {probe.status}"])
            return (
                f"{url} does not look like a SCIM 2.0 endpoint ({seen}); the base URL should be where /Users "
                f"and /ServiceProviderConfig live, e.g. https://host/scim/v2" + base_url_hint(url)
            )
        self._check_endpoints(probe_ok)
        return None

    def _check_endpoints(self, probe_ok: bool) -> None:
        """Use an advertised endpoint only if it answers where ``{base}/Users`` does (one probe
        each); else say so in discovery and test ``{base}/Users`` / ``{base}/Groups``."""
        for name in ("User", "Group"):
            resolved = self.discovery.resolved(name)
            default = DEFAULT_ENDPOINTS[name.lower()]
            if resolved is None:
                continue
            if not resolved.usable:
                self.discovery.fallbacks[name.lower()] = default
                self.discovery.problems.append(
                    f"ResourceType {name} endpoint {resolved.advertised[:200]!r} is {resolved.form}: "
                    f"not used (credentials go only to the target's origin); testing {{base}}{default}")
                continue
            if resolved.path == default:
                continue
            ex = self.client.get(resolved.path, params={"count": 1})
            self.endpoint_probes.append(ex)
            self.discovery_ids.append(ex.id)
            if _lists(ex):
                continue
            fallback = self.probe if name == "User" else self.client.get(default, params={"count": 1})
            if fallback is not None and fallback is not self.probe:
                self.endpoint_probes.append(fallback)
                self.discovery_ids.append(fallback.id)
            if fallback is not None and _lists(fallback) and (name == "Group" or probe_ok):
                self.discovery.fallbacks[name.lower()] = default
                self.discovery.problems.append(
                    f"ResourceType {name} endpoint {resolved.advertised[:200]!r} ({resolved.url[:200]}) answered "
                    f"{ex.status or ex.error}, while {{base}}{default} answers 200: testing {{base}}{default}")

    def exchanges_of(self, result: CheckResult) -> tuple[Exchange, ...]:
        ids = set(result.exchange_ids)
        return tuple(ex for ex in self.recorder.exchanges if ex.id in ids)

    def findings(self) -> list[CheckResult]:
        """What the run itself found (harness/run_findings.py), redacted like check results.

        A check whose failure rests on the very answer a run finding reports (the refused
        fixture's POST, the first probe's 500 met again) is charged to that finding's cause:
        one defect, one finding, however many checks met it."""
        found = endpoint_findings(self.discovery, self.endpoint_probes)
        seen_as: dict[tuple[str, str, int | None, str | None], str] = {}
        if self.probe is not None and (probe := first_probe_finding(self.probe)):
            found.append(probe)
            seen_as[_signature(self.probe)] = probe.cause
        for kind, ex in sorted(self.fixtures.refused.items()):
            fixture = fixture_finding(kind, ex)
            found.append(fixture)
            seen_as[_signature(ex)] = fixture.cause
        for result, spec, ex in self._failed_on:
            cause = seen_as.get(_signature(ex))
            # The same answer as the finding's: charged to it, also over the check's declared cause
            # (a duplicate check whose first POST is refused did not meet a duplicate at all).
            own = result.cause in ("", spec.id, spec.cause)  # not a cause named at failure time
            if cause and own:
                result.cause = cause
        if latency := latency_finding(self.recorder.exchanges):
            found.append(latency)
        redact = self.redact
        for r in found:
            r.message, r.seen = redact(r.message), redact(r.seen)
        return found

    def run(self, spec: CheckSpec) -> CheckResult:
        """Run one check in a fresh context; it cleans up what it created, whatever happens."""
        ctx = CheckContext(self.client, self.discovery, self.config.prefix, self.fixtures)
        result = run_check(spec, ctx, self.redact)
        if ctx.failed_on is not None and result.outcome in (Outcome.FAIL, Outcome.WARN, Outcome.ERROR):
            with self._failed_lock:
                self._failed_on.append((result, spec, ctx.failed_on))
        if any(note.startswith("could not remove") for note in ctx.notes):
            self.leftovers += 1  # the run sweeps its prefix at the end
        refused = set(result.exchange_ids) & self.client.refused
        if refused and result.outcome is not Outcome.PASS:
            # A verdict reached on requests the runner refused to send is about us, not the target.
            result.outcome = Outcome.ERROR
            result.message = f"stopped while running ({result.message})" if result.message else "stopped while running"
        return result

    def close(self) -> None:
        if self._own_http and self.http is not None:
            self.http.close()


def _signature(ex: Exchange) -> tuple[str, str, int | None, str | None]:
    """Two exchanges are "the same answer" when request line, status and body agree (a write's
    query string, e.g. ``?attributes=``, does not change whether its body is accepted)."""
    url = ex.url if ex.method in ("GET", "DELETE") else ex.url.split("?", 1)[0]
    return ex.method, url, ex.status, ex.response_body


def _lists(ex: Exchange) -> bool:
    """Did ``ex`` answer like a SCIM list endpoint (200 with a JSON object)?"""
    return ex.status == 200 and isinstance(ex.json_or_none(), dict)
