"""Fuzz a SCIM target with schemathesis: :func:`fuzz_target` -> ``RunResult(kind="fuzz")``.

Flow:

1. discovery (RFC 7644 §4) through the harness client; the run *cannot test* (exit 2) when the
   target is unreachable, refuses the credentials, or advertises no usable resource type;
2. an OpenAPI description of the target from that discovery (:mod:`harness.fuzz.openapi`);
3. schemathesis's engine (coverage, fuzzing and stateful phases; positive and negative data)
   against the live target with the credentials, its checks plus the SCIM ones
   (:mod:`harness.fuzz.scim_checks`), bounded by ``max_examples`` per operation and
   ``time_limit`` seconds, seeded;
4. failures grouped into distinct findings, each replayed through the harness client and
   shrunk to a minimal reproducer (:mod:`harness.fuzz.shrink`);
5. cleanup: every object the run created (tracked by id) and anything carrying its prefix is
   deleted, whatever happened.

Every generated ``userName``/``displayName`` starts with the run's prefix (``fz-xxxxxx-``).
"""

from __future__ import annotations

import copy
import math
import secrets
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl, quote

import httpx
import requests
import schemathesis
from schemathesis.engine import events, from_schema

from harness.cleanup import cleanup
from harness.clock import Clock, SystemClock, isoformat
from harness.config import check_prefix, public_url
from harness.console import counted
from harness.discovery import Discovery, discover
from harness.fuzz import scim_checks
from harness.fuzz.findings import Finding, RawFailure, group_failures, to_results
from harness.fuzz.openapi import build_openapi
from harness.fuzz.shrink import UNIQUE_NAMES, Replay, Replayer, replay_from, shrink
from harness.http import Target, TargetClient
from harness.recorder import Exchange, Recorder, json_or_none
from harness.results import RunResult

__all__ = ["FuzzConfig", "Progress", "fuzz_target", "SCHEMATHESIS_CHECKS"]

#: schemathesis's own checks the fuzzer runs (others assume REST conventions SCIM does not share).
SCHEMATHESIS_CHECKS = ("not_a_server_error", "status_code_conformance", "content_type_conformance",
                       "response_schema_conformance")


#: Replays (real requests) spent shrinking, over all findings of one run.
MAX_REPLAYS = 1500


def _new_prefix() -> str:
    return f"fz-{secrets.token_hex(3)}-"


@dataclass(frozen=True)
class FuzzConfig:
    """One fuzz run's settings. Credentials live only in ``target.auth`` (never in repr/options)."""

    target: Target
    max_examples: int = 50  # per operation and phase
    time_limit: float = 60.0  # seconds for the generation phases (shrinking and cleanup come after)
    seed: int = field(default_factory=lambda: secrets.randbelow(2**31))
    prefix: str = field(default_factory=_new_prefix)
    phases: tuple[str, ...] = ("coverage", "fuzzing", "stateful")
    shrink_budget: int = 60  # replays per finding
    max_requests: int | None = None  # stop generating after this many requests (None: time and examples bound it)

    def __post_init__(self) -> None:
        check_prefix(self.prefix)
        if self.max_examples < 1:
            raise ValueError("max_examples must be at least 1")
        if self.time_limit <= 0:
            raise ValueError("time_limit must be a positive number of seconds")
        if self.max_requests is not None and self.max_requests < 1:
            raise ValueError("max_requests must be at least 1")

    def to_options(self) -> dict[str, Any]:
        return {"max_examples": self.max_examples, "time_limit_s": self.time_limit, "max_requests": self.max_requests,
                "seed": self.seed,
                "prefix": self.prefix, "phases": list(self.phases), "auth": self.target.auth.describe(),
                "timeout_s": self.target.timeout, "schemathesis": schemathesis.__version__}


@dataclass
class Progress:
    """What a progress display shows; passed to ``on_progress`` as the run goes."""

    requests: int = 0
    elapsed: float = 0.0
    failures: int = 0
    phase: str = ""
    operation: str = ""
    stage: str = "discovery"  # discovery | fuzzing | shrinking | cleanup | done


def _could_not_test(client: TargetClient, discovery: Discovery) -> str | None:
    names = [rt.get("name") for rt in discovery.resource_types if isinstance(rt.get("schema"), str)]
    probe = client.get(discovery.endpoint("User") if discovery.resource_type("User") or not names
                       else discovery.endpoint(str(names[0])), params={"count": 1})
    url = public_url(client.target.base_url, client.target.auth)
    if probe.error:
        return f"could not reach {url}: {probe.error}"
    if probe.status in (401, 403):
        return (f"{url} refused the credentials ({client.target.auth.describe()}, {probe.status}); "
                f"check them and that they may read and write users")
    if not names:
        seen = "; ".join(discovery.problems[:3]) or "no resource types"
        return f"{url} advertises no resource type to fuzz ({seen}); /ResourceTypes and /Schemas are needed"
    return None


def _schemathesis_config(config: FuzzConfig) -> Any:
    st = schemathesis.Config()
    st.update(seed=config.seed, max_time=max(1, math.ceil(config.time_limit)), max_failures=None)
    project = st.projects.override
    base = config.target.base_url.split("?", 1)[0]
    project.update(base_url=base, headers=dict(config.target.auth.headers()),
                   request_timeout=config.target.timeout, tls_verify=not config.target.insecure)
    project.checks.update(included_check_names=[*SCHEMATHESIS_CHECKS, *scim_checks.SCIM_CHECKS])
    # database "none": no .hypothesis directory in the cwd, and a seed alone decides the run.
    project.generation.update(max_examples=config.max_examples, with_security_parameters=False, database="none")
    project.phases.update(phases=list(config.phases))
    return st


def _readable(doc: dict[str, Any]) -> dict[str, set[str]]:
    """Endpoint -> attributes a read returns, from the response schemas of the create operations."""
    out: dict[str, set[str]] = {}
    schemas = doc["components"]["schemas"]
    for path, item in doc["paths"].items():
        post = item.get("post", {})
        if post.get("operationId", "").startswith("create"):
            ref = post["responses"]["201"]["content"]["application/scim+json"]["schema"]["$ref"]
            properties = schemas[ref.rsplit("/", 1)[-1]]["properties"]
            out[path] = {name for name, prop in properties.items() if prop.get("x-scim-returned") != "request"}
    return out


def _fixture_factory(replayer: Replayer, doc: dict[str, Any]) -> Callable[[str], str | None]:
    """Creates a minimal valid resource for a path template ``/X/{id}`` and returns its id."""
    schemas = doc["components"]["schemas"]

    def make(template: str) -> str | None:
        collection = template.rsplit("/", 1)[0]
        post = doc["paths"].get(collection, {}).get("post")
        if not post:
            return None
        ref = post["requestBody"]["content"]["application/scim+json"]["schema"]["$ref"]
        schema = schemas[ref.rsplit("/", 1)[-1]]
        body: dict[str, Any] = {"schemas": schema["properties"]["schemas"]["enum"][0]}
        for name in schema.get("required", []):
            if name != "schemas" and schema["properties"].get(name, {}).get("type") == "string":
                body[name] = "fixture"
        if not any(k in body for k in UNIQUE_NAMES):
            body["displayName" if "displayName" in schema["properties"] else "userName"] = "fixture"
        ex = replayer.send(Replay("POST", collection, collection, body=body))  # tracked for cleanup
        created = ex.json_or_none()
        if ex.status == 201 and isinstance(created, dict) and isinstance(created.get("id"), str):
            return str(created["id"])
        return None

    return make


def fuzz_target(
    config: FuzzConfig,
    *,
    http: httpx.Client | None = None,
    clock: Clock | None = None,
    on_progress: Callable[[Progress], None] | None = None,
    openapi_out: dict[str, Any] | None = None,
) -> RunResult:
    """Fuzz ``config.target`` (see the module docstring). Never raises for what the target does.

    ``http`` injects the harness client's transport (schemathesis itself always uses a real
    socket); ``openapi_out``, when given, receives the generated OpenAPI document.
    """
    clock = clock or SystemClock()
    t0, started_at = clock.monotonic(), clock.now()
    recorder = Recorder(config.target.redactor(), clock, keep=False)  # evidence is kept by hand
    client = TargetClient(config.target, recorder=recorder, http=http, clock=clock)
    progress = Progress()
    notify = on_progress or (lambda p: None)

    def finish(code: int, message: str, results: list[Any], evidence: list[Exchange], discovery: Discovery,
               extra: dict[str, Any]) -> RunResult:
        progress.stage = "done"
        notify(progress)
        return RunResult(kind="fuzz", target=public_url(config.target.base_url, config.target.auth),
                         started_at=isoformat(started_at), finished_at=isoformat(clock.now()),
                         duration_ms=(clock.monotonic() - t0) * 1000, exit_code=code, results=results,
                         exchanges=sorted(evidence, key=lambda e: e.id), suites=["fuzz"], message=message,
                         discovery=discovery.to_dict(), options={**config.to_options(), **extra})

    discovery = Discovery()
    session: scim_checks.Session | None = None
    replayer: Replayer | None = None
    findings: list[Finding] = []
    requests, errors = 0, list[str]()
    try:
        no_token = client.token_problem()
        if no_token:
            return finish(2, f"could not get an access token: {no_token}", [], [], discovery, {})
        discovery, _ = discover(client)
        problem = _could_not_test(client, discovery)
        if problem:
            return finish(2, problem, [], [], discovery, {})
        doc = build_openapi(discovery, base_url=config.target.base_url.split("?", 1)[0])
        if openapi_out is not None:
            openapi_out.update(doc)
        session = scim_checks.Session(
            client=client, readable=_readable(doc),
            filterable={discovery.endpoint(str(rt.get("name"))) for rt in discovery.resource_types
                        if discovery.attribute(str(rt.get("schema")), "userName")},
            filter_supported=discovery.supports("filter") is not False,
            base_query=tuple(parse_qsl(config.target.base_query, keep_blank_values=True)))
        try:
            raws, requests, errors = _run_engine(config, doc, session, progress, notify, clock, t0)
        except Exception as exc:  # noqa: BLE001 - schemathesis refusing our document is "could not test"
            message = client.target.redactor().text(f"schemathesis could not run: {type(exc).__name__}: {exc}")
            return finish(2, message[:500], [], [], discovery, {})
        progress.stage = "shrinking"
        notify(progress)
        replayer = Replayer(client, config.prefix, session.created, lambda template: None)
        replayer.fixture = _fixture_factory(replayer, doc)
        findings = _minimise(group_failures(raws, client.target.redactor().text), replayer, config, session)
    finally:
        swept: dict[str, Any] = {}
        if session is not None:  # something may have been created: remove it, whatever happened
            progress.stage = "cleanup"
            notify(progress)
            swept = _cleanup(client, config.prefix, session, discovery)
        client.close()
    evidence = [ex for f in findings for ex in f.evidence]
    replays = replayer.sent if replayer is not None else 0
    results = to_results(findings, requests + replays, errors)
    code = 1 if findings or errors else 0
    extra = {"requests": requests, "replays": replays, "engine_errors": errors[:20],
             "requests_per_second": round(requests / max(progress.elapsed, 1e-9), 1), "cleanup": swept}
    message = (f"{counted(requests, 'generated request')} in {progress.elapsed:.1f}s; "
               f"{counted(len(findings), 'finding')}")
    if errors:
        message += f"; {len(errors)} engine error(s): {errors[0]}"
    return finish(code, message, results, evidence, discovery, extra)


def _run_engine(config: FuzzConfig, doc: dict[str, Any], session: scim_checks.Session, progress: Progress,
                notify: Callable[[Progress], None], clock: Clock, t0: float) -> tuple[list[RawFailure], int, list[str]]:
    # A copy: schemathesis adds the links it infers to the document it is given.
    schema = schemathesis.openapi.from_dict(copy.deepcopy(doc), config=_schemathesis_config(config))
    counter = {"n": 0}
    redact = config.target.redactor().text
    _bearer_per_request(schema, session.client)

    @schema.hook("map_body")
    def prefix_names(context: Any, body: Any) -> Any:
        # Every name the fuzzer sends carries the run's prefix and a counter (unique, cleanable).
        if isinstance(body, dict):
            body = dict(body)
            for key in UNIQUE_NAMES:
                if isinstance(body.get(key), str):
                    counter["n"] += 1
                    body[key] = f"{config.prefix}{counter['n']:05d}-{body[key]}"
        return body

    @schema.hook("after_call")
    def track(context: Any, case: Any, response: Any) -> None:
        session.requests += 1
        if case.method.upper() == "POST" and response.status_code == 201:
            try:
                body = response.json()
            except Exception:  # noqa: BLE001 - a non-JSON 201 is judged by the checks, not here
                return
            if isinstance(body, dict) and isinstance(body.get("id"), str):
                name = str(body.get("userName") or body.get("displayName") or "")
                with session.lock:
                    session.created[f"{case.operation.path}/{quote(body['id'], safe='')}"] = name

    raws: list[RawFailure] = []
    errors: list[str] = []
    scim_checks.activate(schema, session)
    progress.stage = "fuzzing"
    try:
        stream = from_schema(schema).execute()
        for event in stream:
            if config.max_requests is not None and session.requests >= config.max_requests:
                stream.stop()  # the engine finishes the scenario in flight, then ends
            if isinstance(event, events.ScenarioFinished):
                raws.extend(_failures_of(event))
                progress.requests = session.requests
                progress.failures = len(raws)
                progress.phase = str(event.phase.value if hasattr(event.phase, "value") else event.phase)
                progress.operation = event.recorder.label
                progress.elapsed = clock.monotonic() - t0
                notify(progress)
            elif isinstance(event, events.NonFatalError):
                errors.append(redact(f"{event.label}: {getattr(event.info, 'message', event.value)}")[:300])
            elif isinstance(event, events.FatalError):
                errors.append(redact(f"fatal: {type(event.exception).__name__}: {event.exception}")[:300])
    finally:
        scim_checks.deactivate(schema)
    progress.requests = session.requests
    progress.elapsed = clock.monotonic() - t0
    return raws, session.requests, errors


def _bearer_per_request(schema: Any, client: TargetClient) -> None:
    """OAuth: every generated request asks the shared token source as it is sent (cached, renewed
    before expiry). A requests auth runs at send time; a schemathesis auth provider would stamp
    the token when the case is generated, which can be long before it is sent (coverage phase)."""
    source = client.target.auth.source
    if source is None:
        return  # static credentials ride in the project's headers
    tokens = source

    class Bearer(requests.auth.AuthBase):
        def __call__(self, request: Any) -> Any:
            request.headers["Authorization"] = f"Bearer {tokens.bearer(client)}"
            return request

    schema.auth.set_from_requests(Bearer())


def _failures_of(event: Any) -> list[RawFailure]:
    out = []
    recorder = event.recorder
    for case_id, nodes in recorder.checks.items():
        for node in nodes:
            if node.failure_info is None:
                continue
            case = recorder.cases[case_id].value
            interaction = recorder.interactions.get(case_id)
            request = interaction.request if interaction else None
            response = interaction.response if interaction else None
            failure = node.failure_info.failure
            content_type = None
            if request is not None:
                content_type = next((v[0] if isinstance(v, list) else v for k, v in request.headers.items()
                                     if k.lower() == "content-type"), None)
            out.append(RawFailure(
                check=node.name,
                message=f"HTTP {response.status_code if response is not None else '-'} - {failure.title}"
                        + (f": {failure.message}" if failure.message else ""),
                method=case.method.upper(), template=str(case.operation.path),
                status=response.status_code if response is not None else None,
                url=request.uri if request else "", body=request.body if request else None,
                content_type=content_type,
            ))
    return out


def _minimise(groups: list[tuple[Finding, list[RawFailure]]], replayer: Replayer, config: FuzzConfig,
              session: scim_checks.Session) -> list[Finding]:
    base_path = config.target.base_path
    out = []
    for finding, members in groups:
        smallest = members[0]
        first = replay_from(smallest.method, smallest.template, smallest.url, base_path, smallest.body,
                            smallest.content_type)
        still = _StillFails(finding.category, smallest.status, first.template, session)
        # Every replay is a real request: a per-finding budget, and a total one across findings.
        budget = max(1, min(config.shrink_budget, MAX_REPLAYS - replayer.sent))
        minimal, exchange, reproduced = shrink(replayer, first, still, budget)
        finding.reproduced = reproduced
        finding.original_size, finding.minimal_size = first.size(), minimal.size()
        if exchange is None:  # not reproduced: still show what the replay got
            exchange = replayer.send(first)
        # Follow-up exchanges a SCIM check made (the GET that read back wrong), named in its message.
        followups = [ex for i, ex in sorted(session.evidence.items()) if i in finding.message or i in still.last]
        finding.evidence = [exchange, *followups]
        out.append(finding)
    return out


class _StillFails:
    """Does a replay fail the way the finding did? ``last`` keeps the latest problem text."""

    def __init__(self, category: str, status: int | None, template: str, session: scim_checks.Session) -> None:
        self.category, self.status, self.template, self.session = category, status, template, session
        self.last = ""

    def __call__(self, ex: Exchange) -> bool:
        if ex.status is None:
            return False
        if self.category == "server-error":
            return ex.status >= 500
        if self.category == "scim_error_body":
            return self._seen(scim_checks.error_body_problem(ex.status, ex.body))
        verify = scim_checks.CREATE_VERIFIERS.get(self.category)
        if verify is not None:
            sent, created = json_or_none(ex.request_body), ex.json_or_none()
            if ex.status != 201 or not isinstance(sent, dict) or not isinstance(created, dict) or "id" not in created:
                return False
            return self._seen(verify(self.session, self.template, sent, created))
        return ex.status == self.status  # schemathesis's contract checks: the same answer again

    def _seen(self, problem: str | None) -> bool:
        if problem:
            self.last = problem  # only a failing replay's text: it names the evidence to keep
        return bool(problem)


def _cleanup(client: TargetClient, prefix: str, session: scim_checks.Session | None,
             discovery: Discovery | None) -> dict[str, Any]:
    """Delete what the run created (by id), then sweep the prefix. Bounded; never raises."""
    deleted, failed = 0, 0
    for path in list(session.created) if session is not None else []:
        ex = client.delete(path)
        if ex.status in (200, 204, 404):
            deleted += 1
        else:
            failed += 1
    try:
        swept = cleanup(client, prefix, discovery=discovery)
        return {"deleted_by_id": deleted, "failed_by_id": failed, "sweep": swept.summary()}
    except Exception as exc:  # noqa: BLE001 - cleanup must never hide the run's result
        return {"deleted_by_id": deleted, "failed_by_id": failed, "sweep": f"failed: {type(exc).__name__}"}
