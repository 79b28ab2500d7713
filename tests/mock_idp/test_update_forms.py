"""Issue 17 §2 over a real socket: Entra's update forms as the reference server's recorder saw them.

- Legacy Entra sends several attributes changed in one cycle in ONE PATCH, one pathed op per
  attribute, ``Add`` where the target had no value and ``Replace`` otherwise, mixed in one
  request; the ``aadOptscim062020`` form sends one path-less ``replace`` for the same change.
- App roles change in the day model (when the mapping maps roles): legacy PATCHes each role as
  ``{"value": "<JSON text of {id, value, displayName}>"}`` (E6), the flag the POST's form; the
  reference server stores them, the tenant converges, the same seed sends the same bytes; a
  server that keeps the JSON text fails both the engine and the readiness check.
- The day model's multi-attribute changes (a move: department, title and manager; a rename)
  show on the wire as one PATCH with several ops.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

import httpx
import pytest

import scenarios  # noqa: F401 - registers the checks
from harness.checks import REGISTRY, CheckContext, run_check
from harness.discovery import discover
from harness.http import Auth, Target
from harness.idp.requests import MANAGER, PATCH_OP
from harness.idp.roles import ROLE_TYPE, app_role_id
from harness.results import Outcome
from mock_idp.simulate import SimulationConfig, SimulationResult, simulate
from tests.live import serve
from tests.mock_idp.test_reference_server import RESOURCES, TOKEN, make_app
from tests.scenarios.support import inprocess, reference_app

ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
DEPARTMENT = f"{ENTERPRISE}:department"
TOOLKIT = "seed-003-enterprise-toolkit.json"
TOOLKIT_EXTENSIONS = tuple(str(RESOURCES / e) for e in ("custom_extension_folders.json", "metadata.json"))
Seen = dict[str, Any]

pytestmark = pytest.mark.socket


def _recordings(base: str) -> list[Seen]:
    """Every request the reference server recorded, read over its socket (``GET /_recordings``)."""
    out: list[Seen] = []
    after = 0
    with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http:
        for _ in range(1000):
            items = http.get("/_recordings", params={"after": after, "limit": 1000}).json()["Resources"]
            if not items:
                break
            for item in items:
                body = json.loads(item["request_body"]) if item["request_body"] else None
                out.append({"method": item["method"], "path": item["path"], "query": item["query"], "body": body})
            after = items[-1]["id"]
    return [r for r in out if not r["path"].startswith("/_recordings")]


def _live(idp: str, tmp_path: Path, *quirks: str, extensions: tuple[str, ...] = (),
          **kw: Any) -> tuple[SimulationResult, list[Seen], dict[str, Seen]]:
    """Simulate ``idp`` against the reference server on a real socket; returns the result, what
    the server recorded, and every user as the server holds it afterwards (by id)."""
    app = make_app(*quirks, extensions=extensions)
    options: dict[str, Any] = {"users": 30, "groups": 3, "days": 2, "seed": 17, "scope": "all", **kw}
    with serve(app) as base:
        config = SimulationConfig(idp, Target(f"{base}/", Auth.bearer(TOKEN), timeout=30), out=tmp_path, **options)
        result = simulate(config)
        seen = _recordings(base)
        with httpx.Client(base_url=base, headers={"Authorization": f"Bearer {TOKEN}"}, timeout=30) as http:
            listed = http.get("/Users", params={"count": 1000}).json()["Resources"]
    return result, seen, {u["id"]: u for u in listed}


def _user_patches(seen: list[Seen]) -> list[Seen]:
    return [r for r in seen if r["method"] == "PATCH" and r["path"].startswith("/Users/") and r["body"]]


def _move(tmp_path: Path) -> Path:
    scenario = tmp_path / "move.json"
    scenario.write_text(json.dumps({"events": [
        {"at": "+2h", "kind": "move", "user": 0, "value": "Compliance Office", "title": "Counsel"}]}))
    return scenario


# -- 1. several attributes in one cycle: one PATCH, Add and Replace mixed (legacy) -----------------
def test_legacy_mixes_add_and_replace_in_one_patch_and_the_flag_sends_its_own_form(tmp_path: Path) -> None:
    legacy, seen, _ = _live("entra-legacy", tmp_path / "legacy", churn=False, scenario=_move(tmp_path))
    assert legacy.exit_code == 0, (legacy.reason, legacy.differences[:3])
    moves = [r for r in _user_patches(seen) if any(op.get("path") == DEPARTMENT for op in r["body"]["Operations"])]
    assert len(moves) == 1  # the whole change travels in ONE request (E2)
    target = moves[0]["path"]
    ops = {op["path"]: op for op in moves[0]["body"]["Operations"]}
    assert set(ops) == {DEPARTMENT, "title", MANAGER}  # one pathed op per attribute
    # the user was created without a manager and no PATCH set one before: Entra believes it has none
    before = seen[:seen.index(moves[0])]
    assert not [r for r in before if r["path"] == target and "manager" in json.dumps(r["body"])]
    assert ops[MANAGER]["op"] == "Add" and ops[DEPARTMENT]["op"] == ops["title"]["op"] == "Replace"
    assert ops[DEPARTMENT]["value"] == "Compliance Office" and ops["title"]["value"] == "Counsel"

    flag, seen, held = _live("entra", tmp_path / "flag", churn=False, scenario=_move(tmp_path))
    assert flag.exit_code == 0, (flag.reason, flag.differences[:3])
    moves = [r for r in _user_patches(seen)
             if any(DEPARTMENT in (op.get("value") or {}) for op in r["body"]["Operations"] if "path" not in op)]
    assert len(moves) == 1
    (op,) = moves[0]["body"]["Operations"]  # one path-less replace, dotted/URN keys, not nested (E2)
    assert op["op"] == "replace" and set(op["value"]) == {DEPARTMENT, "title", MANAGER}
    stored = held[moves[0]["path"].rsplit("/", 1)[1]]
    assert stored[ENTERPRISE]["department"] == "Compliance Office" and stored["title"] == "Counsel"


# -- 2. roles in the day model, in §5's forms ---------------------------------------------------------
def _role_ops(seen: list[Seen]) -> list[tuple[str, dict[str, Any]]]:
    """(user path, op) for every op that changes roles, pathed or inside a path-less replace."""
    out = []
    for r in _user_patches(seen):
        for op in r["body"]["Operations"]:
            if op.get("path") == "roles" or (isinstance(op.get("value"), dict) and "roles" in op["value"]):
                out.append((r["path"], op))
    return out


def test_role_changes_travel_in_the_legacy_form_and_converge(tmp_path: Path) -> None:
    result, seen, held = _live("entra-legacy", tmp_path, mapping=TOOLKIT, extensions=TOOLKIT_EXTENSIONS)
    assert result.exit_code == 0, (result.reason, result.differences[:3])
    assert "roles" in result.simulation["exercised"]
    check = next(r for r in result.run.results if r.id == "simulation.exercised")
    assert check.outcome is Outcome.PASS and "not exercised" not in check.message
    ops = _role_ops(seen)
    assert ops
    for path, op in ops:
        assert op["op"] in {"Add", "Replace"} and op["path"] == "roles"
        for item in op["value"]:
            assert set(item) == {"value"}  # no type in the PATCH (E6)
            role = json.loads(item["value"])  # a JSON text, not an object
            assert role == {"id": app_role_id(role["value"]), "value": role["value"], "displayName": role["value"]}
    # the reference server stored the roles themselves, and the tenant converged on them
    path, op = ops[-1]
    stored = held[path.rsplit("/", 1)[1]]
    assert sorted(r["value"] for r in stored["roles"]) == sorted(json.loads(i["value"])["value"] for i in op["value"])
    posts = [r["body"] for r in seen if r["method"] == "POST" and r["path"] == "/Users"]
    assert all(role == {"primary": False, "type": ROLE_TYPE, "display": role["value"], "value": role["value"]}
               for body in posts for role in body["roles"])  # the POST's form (E6)


def test_role_changes_travel_in_the_flag_form_and_converge(tmp_path: Path) -> None:
    result, seen, _ = _live("entra", tmp_path, mapping=TOOLKIT, extensions=TOOLKIT_EXTENSIONS)
    assert result.exit_code == 0, (result.reason, result.differences[:3])
    ops = _role_ops(seen)
    assert ops and all(op["op"] == "replace" and "path" not in op for _, op in ops)
    assert all(role["type"] == ROLE_TYPE and role["primary"] is False for _, op in ops for role in op["value"]["roles"])


def test_no_role_changes_where_the_mapping_has_no_roles(tmp_path: Path) -> None:
    result, seen, _ = _live("entra-legacy", tmp_path)
    assert result.exit_code == 0, result.reason
    assert "roles" not in result.simulation["exercised"] and not _role_ops(seen)
    check = next(r for r in result.run.results if r.id == "simulation.exercised")
    assert check.outcome is Outcome.PASS, check.message  # roles are not expected of this mapping


def _canonical(seen: list[Seen]) -> str:
    """The server picks random ids: number them by first appearance."""
    ids: dict[str, str] = {}
    return re.sub(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}",
                  lambda m: ids.setdefault(m.group(0), f"<id-{len(ids)}>"), json.dumps(seen))


def test_same_seed_same_role_bytes(tmp_path: Path) -> None:
    runs = [_live("entra-legacy", tmp_path / str(n), mapping=TOOLKIT, extensions=TOOLKIT_EXTENSIONS, days=1)
            for n in (0, 1)]
    assert _role_ops(runs[0][1])
    assert _canonical(runs[0][1]) == _canonical(runs[1][1])


def _shape(op: dict[str, Any]) -> tuple[Any, ...]:
    """An op's form without its values: op, path, item keys and the keys of each item's JSON text."""
    items = op["value"]
    return op["op"], op["path"], tuple((tuple(sorted(i)), tuple(sorted(json.loads(i["value"])))) for i in items[:1])


def test_a_server_that_keeps_the_json_text_fails_the_engine_and_the_readiness_check(tmp_path: Path) -> None:
    kept, seen, _ = _live("entra-legacy", tmp_path / "legacy", "roles-json-text-kept", mapping=TOOLKIT,
                          extensions=TOOLKIT_EXTENSIONS)
    assert kept.exit_code == 1
    assert {d.attribute for d in kept.differences} == {"roles"}
    engine_forms = {_shape(op) for _, op in _role_ops(seen)}
    flag, _, _ = _live("entra", tmp_path / "flag", "roles-json-text-kept", mapping=TOOLKIT, extensions=TOOLKIT_EXTENSIONS)
    assert flag.exit_code == 0, flag.reason  # the flag sends the POST's form: nothing to parse
    outcomes = {}
    for quirks in ((), ("roles-json-text-kept",)):
        with inprocess(reference_app(quirks)) as client:
            discovery, _ = discover(client)
            result = run_check(REGISTRY.get("entra.legacy-roles-string"), CheckContext(client, discovery, "sht-roles-"))
            sent = [json.loads(ex.request_body or "{}") for ex in client.recorder.exchanges if ex.method == "PATCH"]
        outcomes[quirks] = result.outcome
        # the check sends the engine's form (one builder, one role shape): Add on a user without roles
        check_forms = {_shape(op) for body in sent for op in body["Operations"]}
        assert check_forms and {f[2][0] for f in check_forms} == {f[2][0] for f in engine_forms}
        assert {f[1] for f in check_forms} == {"roles"} and {f[0] for f in check_forms} <= {"Add", "Replace"}
    assert outcomes[()] is Outcome.PASS and outcomes[("roles-json-text-kept",)] is not Outcome.PASS


# -- 3. the day model's multi-attribute changes, as tenants see them --------------------------------
@pytest.mark.parametrize("idp", ["entra-legacy", "entra"])
def test_the_day_model_moves_and_renames_in_one_patch_each(idp: str, tmp_path: Path) -> None:
    result, seen, _ = _live(idp, tmp_path)
    assert result.exit_code == 0, (result.reason, result.differences[:3])
    assert {"move", "rename"} <= set(result.simulation["exercised"])
    changed = []
    for r in _user_patches(seen):
        assert r["body"]["schemas"] == [PATCH_OP]
        keys: set[str] = set()
        for op in r["body"]["Operations"]:
            keys |= {op["path"]} if "path" in op else set(op["value"])
        changed.append(keys)
    assert any({DEPARTMENT, "title"} <= keys for keys in changed)  # a move, one request
    assert any({"name.familyName", "displayName"} <= keys for keys in changed)  # a rename, one request
