"""Issue 17 §2: several attributes changed at once travel in ONE PATCH (Entra), and JumpCloud
pushes a user whose password expired as inactive (idp-behaviors §2, confirmed J7)."""

from __future__ import annotations

import json
from pathlib import Path

from harness.idp.requests import MANAGER
from tests.mock_idp.test_reference_server import make_app, recorded, run_inprocess

DEPARTMENT = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:department"


def _move(tmp_path: Path) -> Path:
    scenario = tmp_path / "move.json"
    scenario.write_text(json.dumps({"events": [
        {"at": "+2h", "kind": "move", "user": 0, "value": "Compliance Office", "title": "Counsel"}]}))
    return scenario


def test_legacy_sends_a_move_as_one_patch_of_pathed_ops(tmp_path: Path) -> None:
    app = make_app()
    result = run_inprocess(app, "entra-legacy", users=20, groups=2, days=1, churn=False, scope="all", scenario=_move(tmp_path))
    assert result.exit_code == 0, result.reason
    patches = [b for m, u, b in recorded(app) if m == "PATCH" and u.startswith("/Users/") and b]
    moves = [b["Operations"] for b in patches if any(op.get("path") == DEPARTMENT for op in b["Operations"])]
    assert len(moves) == 1
    ops = {op["path"]: op for op in moves[0]}
    assert {DEPARTMENT, "title", MANAGER} <= set(ops)  # one request, one pathed op per attribute (E2)
    assert all(op["op"] in {"Add", "Replace"} for op in ops.values())
    assert ops[DEPARTMENT]["value"] == "Compliance Office" and ops["title"]["value"] == "Counsel"


def test_flag_sends_a_move_as_one_pathless_replace(tmp_path: Path) -> None:
    app = make_app()
    result = run_inprocess(app, "entra", users=20, groups=2, days=1, churn=False, scope="all", scenario=_move(tmp_path))
    assert result.exit_code == 0, result.reason
    patches = [b["Operations"] for m, u, b in recorded(app) if m == "PATCH" and u.startswith("/Users/") and b]
    merged = [op["value"] for ops in patches for op in ops if "path" not in op and DEPARTMENT in op.get("value", {})]
    assert len(merged) == 1 and merged[0]["title"] == "Counsel" and merged[0][DEPARTMENT] == "Compliance Office"


def test_jumpcloud_pushes_an_expired_password_as_inactive_and_a_reset_as_active(tmp_path: Path) -> None:
    scenario = tmp_path / "expire.json"
    scenario.write_text(json.dumps({"events": [
        {"at": "+2h", "kind": "password-expire", "user": 0, "in_scope": True},
        {"at": "+5h", "kind": "password-reset", "user": 0, "in_scope": True}]}))
    app = make_app()
    result = run_inprocess(app, "jumpcloud", users=20, groups=2, days=1, churn=False, scenario=scenario)
    assert result.exit_code == 0, result.reason
    actives = [op["value"] for m, u, b in recorded(app) if m == "PATCH" and b
               for op in b["Operations"] if op.get("path") == "active"]
    assert actives == [False, True]
