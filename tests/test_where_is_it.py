"""The "where is it" map in docs/architecture.md stays true (issue 16): every file it names
exists, every function, class, method or constant it names is defined there, and the README
links to it (so each behaviour is two hops from the README)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "architecture.md"
#: The behaviours issue 16 asks the map to cover (words that must appear in its first column).
REQUIRED = ("IdP request is built", "check's level", "verdict per IdP", "escrow", "quarantine",
            "filter's text", "store query", "redaction", "URL resolution")


def map_rows() -> list[tuple[str, str, list[str]]]:
    text = DOC.read_text(encoding="utf-8")
    section = text.split("\n## Where is it\n", 1)[1].split("\n## ", 1)[0]
    rows = []
    for line in section.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 3 or not cells[1].startswith("`"):
            continue
        behaviour, file_cell, names_cell = cells
        rows.append((behaviour, file_cell.strip("`"), re.findall(r"`([^`]+)`", names_cell)))
    return rows


def defined_names(path: Path) -> set[str]:
    """Top-level functions, classes and assignments, and ``Class.member`` for what classes define."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names: set[str] = set()
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            names.add(node.name)
        if isinstance(node, ast.ClassDef):
            for member in node.body:
                if isinstance(member, (ast.FunctionDef, ast.AsyncFunctionDef)):
                    names.add(f"{node.name}.{member.name}")
                elif isinstance(member, ast.AnnAssign) and isinstance(member.target, ast.Name):
                    names.add(f"{node.name}.{member.target.id}")
        elif isinstance(node, ast.Assign):
            names.update(t.id for t in node.targets if isinstance(t, ast.Name))
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


ROWS = map_rows()


def test_the_map_has_the_behaviours_contributors_look_for() -> None:
    behaviours = " ".join(row[0] for row in ROWS)
    missing = [word for word in REQUIRED if word.lower() not in behaviours.lower()]
    assert len(ROWS) >= 15 and not missing, missing


@pytest.mark.parametrize(("behaviour", "file", "names"), ROWS, ids=[row[0][:40] for row in ROWS])
def test_every_file_and_function_in_the_map_exists(behaviour: str, file: str, names: list[str]) -> None:
    path = ROOT / file
    assert path.is_file(), f"the map names {file} for '{behaviour}', which does not exist"
    assert names, f"the map names no function for '{behaviour}'"
    missing = [name for name in names if name not in defined_names(path)]
    assert not missing, f"{file} defines no {missing} (the map's row '{behaviour}')"


def test_the_readme_links_to_the_map() -> None:
    assert "docs/architecture.md#where-is-it" in (ROOT / "README.md").read_text(encoding="utf-8")


def test_the_checker_sees_a_wrong_row(tmp_path: Path) -> None:
    module = tmp_path / "m.py"
    module.write_text("class A:\n    x: int = 1\n    def f(self):\n        pass\n\ndef g():\n    pass\nK = 1\n")
    assert {"A", "A.f", "A.x", "g", "K"} <= defined_names(module)
    assert "A.h" not in defined_names(module) and "h" not in defined_names(module)
