"""Hand-made results for the report tests: a passing run, a failing run, a hostile run
(values a malicious target could return) and a simulation. Built from the public result
types only, the same way the runner and the mock IdP build theirs."""

from __future__ import annotations

import json
from typing import Any

from harness.clock import VirtualClock, isoformat
from harness.recorder import Exchange, Recorder
from harness.redact import Redactor
from harness.results import CheckResult, Level, Outcome, RunResult, Step

TOKEN = "tok-SECRET-4242-do-not-leak"
BASE = "https://sp.example.test/scim"

#: Payloads a hostile target puts into values. Each would set window.__pwned if it ran.
HOSTILE = (
    '<script>window.__pwned=1</script>',
    '"><img src=x onerror="window.__pwned=2">',
    "javascript:window.__pwned=3",
    "</textarea><script>window.__pwned=4</script>",
    "{{ 7*7 }}{% raw %}x{% endraw %}",
    "</pre></details><svg onload=\"window.__pwned=5\"></svg>",
    "<a href=\"javascript:window.__pwned=6\">click</a>",
    "<style>body{background:url(https://evil.example/x.png)}</style>",
    "<link rel=stylesheet href=https://evil.example/x.css>",
    "<iframe src=\"https://evil.example/\"></iframe>",
    "</script><script>window.__pwned=7</script>",
    "<meta http-equiv=\"refresh\" content=\"0;url=https://evil.example/\">",
    "'; window.__pwned=8; '",
)


def _recorder(clock: VirtualClock) -> Recorder:
    return Recorder(Redactor([TOKEN]), clock)


def record(rec: Recorder, method: str, path: str, status: int | None, body: Any = None,
           request: Any = None, headers: list[tuple[str, str]] | None = None,
           error: str | None = None) -> Exchange:
    """Record one exchange the way the client would (with the real token: it must vanish)."""
    raw = b"" if body is None else (body if isinstance(body, bytes) else json.dumps(body).encode())
    req = None if request is None else (request if isinstance(request, bytes) else json.dumps(request).encode())
    req_headers = [("Host", "sp.example.test"), ("User-Agent", "scim-harness/0.1"), ("Accept", "application/scim+json"),
                   ("Authorization", f"Bearer {TOKEN}")]
    if req is not None:
        req_headers.append(("Content-Type", "application/scim+json"))
    return rec.record(method=method, url=BASE + path, request_headers=req_headers, request_body=req,
                      status=status, response_headers=headers or [("Content-Type", "application/scim+json")],
                      response_body=raw, elapsed_ms=12.5, error=error)


def _check(id: str, outcome: Outcome, area: str, exchanges: list[Exchange], level: Level = Level.MUST,
           suites: tuple[str, ...] = ("rfc",), **kw: Any) -> CheckResult:
    return CheckResult(
        id=id, title=kw.pop("title", id.replace(".", " ").replace("-", " ").capitalize()), area=area,
        level=level, outcome=outcome, rests_on=kw.pop("rests_on", "RFC 7644 §3.4.2"),
        fix=kw.pop("fix", "Answer as the RFC says."), suites=list(suites),
        exchange_ids=[e.id for e in exchanges], duration_ms=3.2, **kw)


def passing_run() -> RunResult:
    clock = VirtualClock()
    rec = _recorder(clock)
    results = []
    for i, area in enumerate(["discovery", "create", "query", "patch"]):
        for j in range(3):
            ex = record(rec, "GET", f"/Users?filter=userName%20eq%20%22u{i}{j}%22", 200,
                        {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 0, "Resources": []})
            results.append(_check(f"{area}.check-{j}", Outcome.PASS, area, [ex], checklist=[f"QRY-0{j}"]))
    results.append(_check("bulk.post", Outcome.SKIP, "bulk", [], message="the target does not advertise bulk support"))
    results.append(_check("entra.probe", Outcome.PASS, "entra", [], suites=("entra",),
                          rests_on="idp-behaviors: Entra test connection"))
    results.append(_check("jumpcloud.test-connection", Outcome.PASS, "jumpcloud", [], suites=("jumpcloud",),
                          rests_on="idp-behaviors: JumpCloud test connection"))
    return RunResult(kind="conformance", target=BASE, started_at=isoformat(clock.now()), finished_at=isoformat(clock.now()),
                     duration_ms=1234.0, exit_code=0, results=results, exchanges=rec.exchanges,
                     suites=["rfc", "entra", "jumpcloud"])


def failing_run() -> RunResult:
    clock = VirtualClock()
    rec = _recorder(clock)
    probe = record(rec, "GET", '/Users?filter=userName%20eq%20%2200000000-aaaa%22', 404,
                   {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "404", "detail": "no such user"})
    create = record(rec, "POST", "/Users", 200, {"id": "1", "userName": "a@example.com"},
                    request={"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "userName": "a@example.com"})
    patch = record(rec, "PATCH", "/Users/1", 400, {"detail": "op Replace is not supported"},
                   request={"Operations": [{"op": "Replace", "path": "active", "value": "False"}]})
    timeout = record(rec, "GET", "/Groups", None, error="timeout after 10s (ReadTimeout)")
    results = [
        _check("query.no-match-empty-list", Outcome.FAIL, "query", [probe], checklist=["QRY-02"],
               message="GET answered 404, expected 200", expected="200", seen="404",
               idp_impact="Entra ID fails Test Connection and quarantines the job on a 404 probe.",
               fix="Answer 200 with totalResults 0 and no Resources."),
        _check("create.returns-201", Outcome.FAIL, "create", [create], rests_on="RFC 7644 §3.3",
               message="POST answered 200, expected 201", expected="201", seen="200",
               steps=[Step("create a user", Outcome.FAIL, "answered 200", [create.id])]),
        _check("entra.legacy-capitalized-ops", Outcome.FAIL, "entra", [patch], suites=("entra",),
               rests_on="idp-behaviors: Entra legacy op casing", message="PATCH with op Replace answered 400",
               expected="204 or 200", seen="400", idp_impact="Entra ID (legacy) cannot deactivate anyone."),
        _check("meta.location", Outcome.WARN, "meta", [create], level=Level.SHOULD, message="no Location header",
               rests_on="RFC 7644 §3.1"),
        _check("groups.list", Outcome.ERROR, "groups", [timeout], message="GET /Groups: timeout after 10s"),
        _check("query.eq-username", Outcome.PASS, "query", [probe]),
        _check("jumpcloud.test-connection", Outcome.PASS, "jumpcloud", [], suites=("jumpcloud",)),
    ]
    return RunResult(kind="conformance", target=BASE, started_at=isoformat(clock.now()), finished_at=isoformat(clock.now()),
                     duration_ms=2500.0, exit_code=1, results=results, exchanges=rec.exchanges,
                     suites=["rfc", "entra", "jumpcloud"], options={"profile": "entra"})


def hostile_run() -> RunResult:
    """Every field a target can influence carries every payload."""
    clock = VirtualClock()
    rec = _recorder(clock)
    payload = " | ".join(HOSTILE)
    body = {"schemas": HOSTILE, "userName": payload, "detail": payload, HOSTILE[1]: HOSTILE[0],
            "meta": {"location": "javascript:window.__pwned=9"}}
    ex1 = record(rec, "GET", "/Users?filter=" + HOSTILE[0], 200, body,
                 headers=[("Content-Type", "text/html"), ("X-Evil", HOSTILE[1]), ("Location", HOSTILE[2]),
                          (HOSTILE[0], HOSTILE[3])])
    ex2 = record(rec, "POST", "/Users", 500, HOSTILE[0].encode() + b"\xff\xfe" + HOSTILE[3].encode(),
                 request={"userName": HOSTILE[1]})
    ex3 = record(rec, "GET", "/Users/x", None, error=HOSTILE[1])
    results = [
        _check("hostile." + str(i), outcome, HOSTILE[i % len(HOSTILE)], [ex1, ex2, ex3],
               title=HOSTILE[i % len(HOSTILE)], message=payload, expected=HOSTILE[2], seen=payload,
               rests_on=HOSTILE[3], fix=HOSTILE[4], idp_impact="Entra ID " + HOSTILE[5],
               checklist=[HOSTILE[6]], steps=[Step(HOSTILE[7], Outcome.FAIL, HOSTILE[8], [ex1.id, HOSTILE[0]])])
        for i, outcome in enumerate([Outcome.FAIL, Outcome.PASS, Outcome.WARN, Outcome.ERROR])
    ]
    # A result naming an exchange id that is itself hostile (from a tampered results.json).
    results[0].exchange_ids.append(HOSTILE[1])
    run = RunResult(kind="conformance", target=BASE + "/" + HOSTILE[0], started_at=HOSTILE[1],
                    finished_at=HOSTILE[2], duration_ms=1.0, exit_code=1, results=results,
                    exchanges=rec.exchanges, suites=["rfc", HOSTILE[9]], message=payload,
                    tool_version=HOSTILE[10], options={"x": payload})
    return run


def simulation_run(cycles: int = 12, hostile: bool = False) -> RunResult:
    clock = VirtualClock()
    rec = _recorder(clock)
    word = HOSTILE[0] if hostile else "Ada Lovelace"
    cyc, log = [], []
    change = 0
    for c in range(cycles):
        start = isoformat(clock.now())
        kind = "initial" if c == 0 else "quarantine" if c in (7, 8) else "incremental"
        counts = {"create": 40 if c == 0 else c % 3, "update": 0 if c == 0 else c % 4, "disable": 1 if c % 5 == 4 else 0,
                  "delete": 0, "other": 1, "failure": 2 if c in (6, 7) else 0, "skipped": 0}
        for action, n in counts.items():
            for _ in range(min(n, 3)):
                change += 1
                failed = action == "failure"
                ex = record(rec, "PATCH" if failed else "POST", "/Users", 400 if failed else 201,
                            {"detail": word} if failed else {"id": str(change)})
                entry = {"cycleId": f"cycle-{c}", "changeId": f"ch-{change}", "jobId": "scim.job",
                         "activityDateTime": isoformat(clock.now()), "durationInMilliseconds": 12,
                         "provisioningAction": "update" if failed else action,
                         "status": "failure" if failed else "success", "provisioningSteps": [],
                         "modifiedProperties": [{"displayName": "active", "oldValue": "True", "newValue": "False"}],
                         "sourceIdentity": {"id": f"src-{change}", "displayName": word, "identityType": "User"},
                         "targetIdentity": {"id": str(change), "displayName": word, "identityType": "User"},
                         "exchangeIds": [ex.id]}
                if failed:
                    entry["statusInfo"] = {"errorCode": "SystemForCrossDomainIdentityManagementBadRequest",
                                           "reason": f"The SCIM endpoint answered 400: {word}", "status": "failure",
                                           "recommendedAction": "fix it"}
                log.append(entry)
        clock.advance(40 * 60)
        cyc.append({"cycleId": f"cycle-{c}", "kind": kind, "started_at": start, "finished_at": isoformat(clock.now()),
                    "counts": counts, "escrowed": 2 if c in (6, 7) else 0, "quarantined": kind == "quarantine"})
    failed_ids = [e["exchangeIds"][0] for e in log if e["status"] == "failure"]
    results = [
        _check("provisioning.escrow", Outcome.FAIL, "provisioning", [], suites=("entra",), rests_on="idp-behaviors: Entra escrow",
               message=f"2 changes escrowed: {word}", title="Failed changes were escrowed"),
        _check("convergence.user-active", Outcome.FAIL, "convergence", [], suites=("entra",), rests_on="idp-behaviors: Entra deactivation",
               message="user u1 is active on the target but disabled in the directory", expected="false", seen="true"),
    ]
    results[0].exchange_ids = failed_ids
    simulation = {
        "idp": "entra-legacy", "profile": {"name": "entra-legacy", "description": "Entra ID without the flag", "confirmed": [], "knobs": {}},
        "seed": 7, "users": 40, "groups": 4, "days": 1, "scope": "assigned",
        "started_at": cyc[0]["started_at"] if cyc else "", "finished_at": isoformat(clock.now()),
        "log_file": "provisioning.jsonl", "cycles": cyc,
        "escrow": [{"object": word, "action": "disable", "attempts": 2, "next_retry": isoformat(clock.now()), "error": "400 " + word}],
        "quarantine": {"entered_at": cyc[7]["started_at"], "reason": "over 40% of events failed", "cleared_at": cyc[8]["finished_at"]} if cycles > 8 else None,
        "differences": [{"object_type": "User", "key": word, "attribute": "active", "expected": False, "seen": True}],
        "log_tail": log, "exchanges_dropped": 0,
    }
    return RunResult(kind="simulation", target=BASE, started_at=simulation["started_at"], finished_at=simulation["finished_at"],
                     duration_ms=900.0, exit_code=1, results=results, exchanges=rec.exchanges, suites=["entra"],
                     simulation=simulation)


def large_run(checks: int = 220, exchanges_per_check: int = 5, fail_every: int = 9) -> RunResult:
    """A run shaped like the full suite against a real endpoint: users, list pages, errors."""
    clock = VirtualClock()
    rec = _recorder(clock)
    user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": "2819c223-7f76-453a-919d-413861904646",
            "userName": "bjensen@example.com", "name": {"givenName": "Barbara", "familyName": "Jensen", "formatted": "Ms. Barbara J Jensen III"},
            "emails": [{"value": "bjensen@example.com", "type": "work", "primary": True}], "active": True,
            "meta": {"resourceType": "User", "created": "2026-01-05T09:00:00Z", "lastModified": "2026-01-05T09:00:00Z",
                     "location": BASE + "/Users/2819c223-7f76-453a-919d-413861904646", "version": 'W/"3694e05e9dff590"'}}
    page = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 250, "startIndex": 1,
            "itemsPerPage": 100, "Resources": [user] * 100}
    results = []
    areas = ["discovery", "auth", "create", "read", "replace", "patch", "delete", "query", "sort", "pagination",
             "search", "bulk", "etag", "attributes", "meta", "extensions", "groups", "entra", "jumpcloud"]
    for i in range(checks):
        exs = []
        for j in range(exchanges_per_check):
            if j == 0:
                exs.append(record(rec, "POST", "/Users", 201, user, request=user))
            elif i % 10 == 3 and j == 1:
                exs.append(record(rec, "GET", "/Users?startIndex=1&count=100", 200, page))
            elif j == exchanges_per_check - 1:
                exs.append(record(rec, "DELETE", "/Users/" + user["id"], 204, None))
            else:
                exs.append(record(rec, "PATCH", "/Users/" + user["id"], 200, user,
                                  request={"schemas": ["urn:ietf:params:scim:api:messages:2.0:PatchOp"],
                                           "Operations": [{"op": "replace", "path": "active", "value": False}]}))
        outcome = Outcome.FAIL if i % fail_every == 0 else Outcome.SKIP if i % 17 == 0 else Outcome.PASS
        area = areas[i % len(areas)]
        suites = (area,) if area in ("entra", "jumpcloud") else ("rfc",)
        results.append(_check(f"{area}.check-{i}", outcome, area, exs, suites=suites, checklist=[f"QRY-{i % 30:02d}"],
                              message="expected 201, saw 200" if outcome is Outcome.FAIL else "",
                              steps=[Step("create", Outcome.PASS, "", [exs[0].id]), Step("check", outcome, "", [e.id for e in exs[1:]])]))
    return RunResult(kind="conformance", target=BASE, started_at=isoformat(clock.now()), finished_at=isoformat(clock.now()),
                     duration_ms=30000.0, exit_code=1, results=results, exchanges=rec.exchanges,
                     suites=["rfc", "entra", "jumpcloud"])


def real_run(quirks: tuple[str, ...] = (), suites: tuple[str, ...] = ("all",)) -> RunResult:
    """The real suite against the reference server, in-process (no socket): real evidence."""
    from starlette.testclient import TestClient

    import scenarios  # noqa: F401 - registers the checks
    from harness.config import RunConfig
    from harness.http import Auth, Target
    from harness.runner import run_suite
    from reference_server.app import create_app
    from reference_server.settings import ServerSettings

    app = create_app(ServerSettings(db=":memory:", tokens=(TOKEN,), quirks=quirks))
    http = TestClient(app, base_url="http://testserver", raise_server_exceptions=False)
    config = RunConfig(target=Target("http://testserver/", Auth.bearer(TOKEN)), suites=suites, workers=1)
    return run_suite(config, http=http)
