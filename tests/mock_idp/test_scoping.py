"""Entra scoping filters as data (a mapping file's ``scope`` section): out of scope is never
created, and a user who leaves scope is deactivated, not deleted (idp-behaviors §5)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from mock_idp.mapping import MAPPING_DIR, MappingError, load_mapping
from mock_idp.scoping import in_scope, parse_scope
from tests.mock_idp.test_reference_server import make_app, recorded, run_inprocess


def test_clauses_and_filters() -> None:
    flt = parse_scope([[{"attribute": "department", "operator": "EQUALS", "value": "sales"},
                        {"attribute": "accountEnabled", "operator": "IS TRUE"}],
                       [{"attribute": "jobTitle", "operator": "REGEX MATCH", "value": "Dir.*"}]], "m")
    assert in_scope(flt, {"department": "Sales", "accountEnabled": True})
    assert not in_scope(flt, {"department": "Sales", "accountEnabled": False})
    assert in_scope(flt, {"department": "HR", "jobTitle": "Director"})  # the second filter (OR)
    assert in_scope((), {})  # no filter: everyone
    one = parse_scope([{"attribute": "department", "operator": "includes", "value": "HR, Legal"}], "m")
    assert in_scope(one, {"department": "legal"}) and not in_scope(one, {"department": "Sales"})
    for bad in ([{"attribute": "x", "operator": "LIKE", "value": 1}], [{"attribute": "x", "operator": "EQUALS"}],
                [{"operator": "IS NULL"}], {"attribute": "x"}):
        with pytest.raises(ValueError):
            parse_scope(bad, "m")


def test_a_bad_scope_is_a_mapping_error_naming_the_file(tmp_path: Path) -> None:
    data = json.loads((MAPPING_DIR / "entra-default.json").read_text())
    data["scope"] = [{"attribute": "department", "operator": "SOUNDS LIKE", "value": "x"}]
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(data))
    with pytest.raises(MappingError, match="bad.json.*SOUNDS LIKE"):
        load_mapping(path)


def test_leaving_scope_deactivates_and_out_of_scope_is_never_created(tmp_path: Path) -> None:
    data = json.loads((MAPPING_DIR / "entra-default.json").read_text())
    data["scope"] = [{"attribute": "department", "operator": "NOT EQUALS", "value": "Compliance Office"}]
    mapping = tmp_path / "scoped.json"
    mapping.write_text(json.dumps(data))
    scenario = tmp_path / "move.json"
    scenario.write_text(json.dumps({"events": [
        {"at": "+2h", "kind": "move", "user": 0, "value": "Compliance Office", "title": "Counsel"}]}))
    app = make_app()
    result = run_inprocess(app, "entra", users=20, groups=2, days=1, churn=False, scope="all", mapping=str(mapping),
                           scenario=scenario)
    assert result.exit_code == 0, (result.reason, [d.to_dict() for d in result.differences[:3]])
    seen = recorded(app)
    offs = [b for m, u, b in seen if m == "PATCH" and b and
            {"op": "replace", "path": "active", "value": False} in b["Operations"]]
    assert len(offs) == 1  # the mover, deactivated once (E3)
    assert not [u for m, u, _ in seen if m == "DELETE" and u.startswith("/Users")]
    assert not [b for m, u, b in seen if m == "PATCH" and b and "Compliance Office" in json.dumps(b)]
