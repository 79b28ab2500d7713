"""The Okta engines (``okta``: OIN, ``okta-aiw``: App Integration Wizard) against the reference server.

- Over a real socket, what the engine sends is captured at the server and checked against every
  confirmed fact of idp-behaviors §3: request shapes, order and headers.
- A larger tenant over a week converges; the same seed sends the same bytes.
- Okta quirks have the consequences a tenant sees (failed tasks, lost memberships), and a failed
  task stays failed until the admin's ``retry`` event.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote

import pytest
from starlette.testclient import TestClient

from harness.http import Auth, Target
from harness.idp.profile import load_profile
from mock_idp.simulate import SimulationConfig, simulate
from reference_server.middleware import body_once
from tests.live import serve
from tests.scenarios.faults import read_body
from tests.mock_idp.test_reference_server import TOKEN, make_app, run_inprocess

PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"


class Capture:
    """ASGI middleware that keeps every request as the server received it: method, path,
    query pairs, headers and JSON body."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.seen: list[dict[str, Any]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        raw = await read_body(receive)
        self.seen.append({
            "method": scope["method"], "path": scope["path"],
            "raw_query": scope.get("query_string", b"").decode("latin-1"),
            "query": dict(parse_qsl(scope.get("query_string", b"").decode("latin-1"))),
            "headers": {k.decode().lower(): v.decode() for k, v in scope["headers"]},
            "body": json.loads(raw) if raw else None,
        })
        await self.app(scope, body_once(raw), send)


def _over_socket(idp: str, tmp_path: Path, **kw: Any) -> tuple[Any, list[dict[str, Any]]]:
    capture = Capture(make_app())
    with serve(capture) as base:
        config = SimulationConfig(idp, Target(f"{base}/", Auth.bearer(TOKEN), timeout=30), users=40, groups=5,
                                  days=2, seed=11, out=tmp_path, **kw)
        result = simulate(config)
    return result, capture.seen


def _ops(request: dict[str, Any]) -> list[dict[str, Any]]:
    return list(request["body"]["Operations"])


def _check_common_facts(seen: list[dict[str, Any]], idp: str) -> None:
    profile = load_profile(idp)
    # test credentials: the two constant page reads, first (O2)
    assert [(r["method"], r["path"], r["query"]) for r in seen[:2]] == [
        ("GET", "/Users", {"startIndex": "1", "count": "2"}), ("GET", "/Groups", {"startIndex": "1", "count": "100"})]
    for r in seen:
        h = r["headers"]
        assert h["user-agent"].startswith("Okta SCIM Client 1.0.0")  # O1
        assert h["authorization"] == f"Bearer {TOKEN}" and h["accept"] == "application/scim+json"
        assert h["accept-charset"] == "utf-8"
        if r["body"] is not None:
            assert h["content-type"] == "application/scim+json; charset=utf-8"  # O7
    assert profile.timeout_seconds == 60  # O3; the driver passes it to every request
    # never a user DELETE, never discovery, /Me, Bulk or .search (O1, O3)
    assert not [r for r in seen if r["method"] == "DELETE" and r["path"].startswith("/Users")]
    assert not [r for r in seen if r["path"].rstrip("/").split("/")[-1] in
                {"ServiceProviderConfig", "Schemas", "ResourceTypes", "Me", "Bulk", ".search"}]
    # lookups: userName eq, %20-encoded, startIndex=1&count=100 (O1)
    lookups = [r for r in seen if r["method"] == "GET" and r["path"] == "/Users" and "filter" in r["query"]]
    assert lookups
    for r in lookups:
        assert re.fullmatch(r'userName eq "[^"]+"', r["query"]["filter"])
        assert r["query"]["startIndex"] == "1" and r["query"]["count"] == "100"
        assert "%20eq%20%22" in r["raw_query"] and "+" not in r["raw_query"]
    # every create: looked up just before; the body of O1
    posts = [i for i, r in enumerate(seen) if r["method"] == "POST" and r["path"] == "/Users"]
    assert len(posts) >= 40
    for i in posts:
        body = seen[i]["body"]
        before = seen[i - 1]
        assert before["path"] == "/Users" and unquote(before["query"]["filter"]) == f'userName eq "{body["userName"]}"'
        assert body["active"] is True and body["locale"] == "en-US" and body["groups"] == []
        assert body["emails"] == [{"primary": True, "type": "work", "value": body["emails"][0]["value"]}]
        assert set(body["name"]) == {"givenName", "familyName"} and body["displayName"]
        assert re.fullmatch(r"00u[0-9a-f]{17}", body["externalId"])  # the Okta user id
        assert isinstance(body["password"], str) and len(body["password"]) >= 12
    # group push: POST {schemas, displayName, members: []} (O1)
    group_posts = [r["body"] for r in seen if r["method"] == "POST" and r["path"] == "/Groups"]
    assert group_posts and all(set(b) == {"schemas", "displayName", "members"} and b["members"] == [] for b in group_posts)


def test_okta_oin_sends_what_section_3_confirms_over_a_socket(tmp_path: Path) -> None:
    result, seen = _over_socket("okta", tmp_path)
    assert result.exit_code == 0, (result.reason, [d.to_dict() for d in result.differences[:5]])
    _check_common_facts(seen, "okta")
    assert not [r for r in seen if r["method"] == "PUT"]
    # deactivation: PATCH with one path-less replace {active: false} (O1)
    offs = [r for r in seen if r["method"] == "PATCH" and r["path"].startswith("/Users/")
            and _ops(r) == [{"op": "replace", "value": {"active": False}}]]
    assert offs and all(r["body"]["schemas"] == [PATCH_OP] for r in offs)
    # a linked user is read by id before its update (knob linked_read)
    for i, r in enumerate(seen):
        if r["method"] == "PATCH" and r["path"].startswith("/Users/"):
            assert (seen[i - 1]["method"], seen[i - 1]["path"]) == ("GET", r["path"])
    # membership: one PATCH with the rename op {id, displayName} + add (with display) / remove filter (O1)
    pushes = [r for r in seen if r["method"] == "PATCH" and r["path"].startswith("/Groups/")]
    assert pushes
    for r in pushes:
        ops = _ops(r)
        gid = r["path"].split("/")[-1]
        assert ops[0]["op"] == "replace" and "path" not in ops[0] and set(ops[0]["value"]) == {"id", "displayName"}
        assert ops[0]["value"]["id"] == gid
        for op in ops[1:]:
            if op["op"] == "add":
                assert op["path"] == "members" and all(set(m) == {"value", "display"} for m in op["value"])
            elif op["op"] == "remove":
                assert re.fullmatch(r'members\[value eq "[^"]+"\]', op["path"]) and "value" not in op
            else:
                assert op == {"op": "replace", "path": "members", "value": []}  # an empty push (O11)
    assert [op for r in pushes for op in _ops(r) if op["op"] == "remove"]


def test_okta_aiw_gets_then_puts_the_whole_object_over_a_socket(tmp_path: Path) -> None:
    result, seen = _over_socket("okta-aiw", tmp_path)
    assert result.exit_code == 0, (result.reason, [d.to_dict() for d in result.differences[:5]])
    _check_common_facts(seen, "okta-aiw")
    assert not [r for r in seen if r["method"] == "PATCH"]
    puts = [i for i, r in enumerate(seen) if r["method"] == "PUT" and r["path"].startswith("/Users/")]
    assert puts
    for i in puts:
        body = seen[i]["body"]
        assert (seen[i - 1]["method"], seen[i - 1]["path"]) == ("GET", seen[i]["path"])  # GET, then PUT (O1)
        assert {"id", "userName", "name", "emails", "active", "externalId"} <= set(body)  # the whole object
    assert [i for i in puts if seen[i]["body"]["active"] is False]  # deactivation by PUT (O1, O6)
    group_puts = [r["body"] for r in seen if r["method"] == "PUT" and r["path"].startswith("/Groups/")]
    assert group_puts and all({"displayName", "members"} <= set(b) for b in group_puts)  # O1, O6


@pytest.mark.slow
@pytest.mark.parametrize("idp", ["okta", "okta-aiw"])
def test_300_users_30_groups_7_days_converge(idp: str, tmp_path: Path) -> None:
    result = run_inprocess(make_app(), idp, tmp_path, users=300, groups=30, days=7, seed=7)
    assert result.exit_code == 0, (result.reason, [d.to_dict() for d in result.differences[:5]])
    log = [json.loads(line) for line in (tmp_path / "provisioning.jsonl").read_text().splitlines()]
    assert {"create", "update", "disable"} <= {e["provisioningAction"] for e in log}
    assert "delete" not in {e["provisioningAction"] for e in log if e["sourceIdentity"]["identityType"] == "User"}
    assert len([c for c in result.simulation["cycles"] if c["kind"] == "event"]) > 20


def _canonical(text: str) -> str:
    """The server picks random ids: number them by first appearance."""
    ids: dict[str, str] = {}
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                  lambda m: ids.setdefault(m.group(0), f"<id-{len(ids)}>"), text)


@pytest.mark.parametrize("idp", ["okta", "okta-aiw"])
def test_same_seed_same_bytes(idp: str, tmp_path: Path) -> None:
    logs = []
    for n in (0, 1):
        run_inprocess(make_app(), idp, tmp_path / str(n), users=60, groups=6, days=2)
        logs.append((tmp_path / str(n) / "provisioning.jsonl").read_text())
    assert logs[0].count("\n") > 60
    assert _canonical(logs[0]) == _canonical(logs[1])


# -- quirks with consequences ---------------------------------------------------------------------
def test_patch_501_fails_deactivation_tasks_and_okta_never_falls_back_to_put(tmp_path: Path) -> None:
    capture = Capture(make_app("patch-not-implemented"))
    config = SimulationConfig("okta", Target("http://testserver/", Auth.bearer(TOKEN), timeout=30), users=40, groups=4,
                              days=2, seed=11, out=tmp_path)
    with TestClient(capture, base_url="http://testserver") as http:
        result = simulate(config, http=http)
    assert result.exit_code == 1
    assert not [r for r in capture.seen if r["method"] == "PUT"]  # no PUT fallback (O7)
    tasks = result.simulation["tasks"]
    assert [t for t in tasks if t["action"] == "disable"]
    assert all(t["message"].endswith(": PATCH is not implemented") for t in tasks)  # "<Okta msg>: <SP msg>" (O8)
    assert all(t["message"].startswith("Automatic deactivation of user failed: Error while deactivating user")
               for t in tasks if t["action"] == "disable")
    failed = [json.loads(line) for line in (tmp_path / "provisioning.jsonl").read_text().splitlines()
              if '"failure"' in line]
    assert failed and all(e["task"].endswith(": PATCH is not implemented") for e in failed)
    assert any(r.id.startswith("provisioning.task.") for r in result.run.results)


def test_put_ignoring_members_loses_aiw_memberships(tmp_path: Path) -> None:
    result = run_inprocess(make_app("put-ignores-members"), "okta-aiw", tmp_path, users=40, groups=4)
    assert result.exit_code == 1
    assert [d for d in result.differences if d.object_type == "Group" and d.attribute == "members"]
    assert run_inprocess(make_app("put-ignores-members"), "okta", users=40, groups=4).exit_code == 0  # OIN PATCHes


class FailFirstPatches:
    """Answers the first ``n`` user PATCHes with 500 (a passing outage)."""

    def __init__(self, app: Any, n: int) -> None:
        self.app, self.left = app, n

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "http" and scope["method"] == "PATCH" and scope["path"].startswith("/Users/") and self.left:
            self.left -= 1
            body = json.dumps({"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "500",
                               "detail": "temporarily unavailable"}).encode()
            await send({"type": "http.response.start", "status": 500,
                        "headers": [(b"content-type", b"application/scim+json")]})
            await send({"type": "http.response.body", "body": body})
            return
        await self.app(scope, receive, send)


def test_failed_tasks_stay_failed_until_the_admin_retries(tmp_path: Path) -> None:
    retry = tmp_path / "retry.json"
    retry.write_text(json.dumps({"events": [{"at": "day 2 09:00", "kind": "retry"}]}))
    waiting = run_inprocess(FailFirstPatches(make_app(), 3), "okta", users=40, groups=4, days=3)
    assert waiting.exit_code == 1 and len(waiting.simulation["tasks"]) >= 1
    retried = run_inprocess(FailFirstPatches(make_app(), 3), "okta", users=40, groups=4, days=3, scenario=retry)
    assert retried.exit_code == 1  # the changes failed once: the run says so...
    assert retried.simulation["tasks"] == [] and retried.differences == []  # ...but the retry converged them


@pytest.mark.parametrize("idp", ["okta", "okta-aiw"])
def test_test_connection_cli_sends_the_two_constant_reads(idp: str) -> None:
    from click.testing import CliRunner

    from mock_idp import commands
    capture = Capture(make_app())
    with serve(capture) as base:
        out = CliRunner().invoke(commands.connection_test_command, ["--idp", idp, "--target", f"{base}/", "--token", TOKEN])
    assert out.exit_code == 0, out.output
    assert [(r["method"], r["path"], r["query"]) for r in capture.seen] == [
        ("GET", "/Users", {"startIndex": "1", "count": "2"}), ("GET", "/Groups", {"startIndex": "1", "count": "100"})]
