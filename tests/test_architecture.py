"""The import direction between the top-level packages (docs/architecture.md).

- redaction (what is secret and how outputs hide it) is a leaf: the standard library only; every
  package may import it, so the harness and the reference server share one list;
- reference_server imports none of the other packages (redaction aside);
- harness never imports reference_server, mock_idp, reports or scenarios, except the CLI
  composition root (harness/cli.py), which may import scenarios to load the checks;
- scenarios -> harness; mock_idp -> harness; reports -> harness;
- composition roots (named below) may also wire scenarios and mock_idp, but no package
  module other than tests imports reference_server: it is reached over HTTP or as a process;
- the IdP facts layer (harness/idp: profiles and pure request builders) imports only the
  standard library and itself, and is where every IdP request is built: the simulator
  (mock_idp) and the readiness checks (scenarios/readiness) construct no request themselves.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("reference_server", "harness", "scenarios", "mock_idp", "reports", "redaction")

ALLOWED: dict[str, set[str]] = {
    "redaction": set(),
    "reference_server": {"redaction"},
    "harness": {"redaction"},
    "scenarios": {"harness", "redaction"},
    "mock_idp": {"harness", "redaction"},
    "reports": {"harness", "redaction"},
}

# Composition roots: thin modules that wire packages together. Never reference_server.
ROOTS: dict[str, set[str]] = {
    "harness/cli.py": {"scenarios", "reports"},
    "reports/demo.py": {"harness", "scenarios", "mock_idp"},
    "reports/commands.py": {"harness", "scenarios", "mock_idp"},
    "scenarios/pytest_plugin.py": {"harness", "reports"},
    "scenarios/pytest_replay.py": {"harness", "reports"},
    "harness/replay/commands.py": {"reports"},
    "harness/grade/commands.py": {"reports"},
    "mock_idp/commands.py": {"harness", "reports"},
    "harness/fuzz/commands.py": {"reports"},
    "mock_idp/load/commands.py": {"harness", "reports"},
}


def imported_packages(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            found.add(node.module.split(".")[0])
        elif isinstance(node, ast.Call) and getattr(node.func, "attr", getattr(node.func, "id", "")) in {
            "import_module",
            "__import__",
        }:
            if node.args and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str):
                found.add(node.args[0].value.split(".")[0])
    return found & set(PACKAGES)


def modules() -> list[Path]:
    return sorted(p for pkg in PACKAGES for p in (ROOT / pkg).rglob("*.py"))


@pytest.mark.parametrize("path", modules(), ids=lambda p: str(p.relative_to(ROOT)))
def test_import_direction(path: Path) -> None:
    rel = str(path.relative_to(ROOT))
    package = rel.split("/")[0]
    allowed = {package} | ALLOWED[package] | ROOTS.get(rel, set())
    wrong = imported_packages(path) - allowed
    assert not wrong, f"{rel} imports {sorted(wrong)}; allowed: {sorted(allowed - {package})}"


def test_nothing_imports_reference_server() -> None:
    offenders = [
        str(p.relative_to(ROOT))
        for p in modules()
        if not str(p.relative_to(ROOT)).startswith("reference_server/")
        and "reference_server" in imported_packages(p)
    ]
    assert offenders == []


IDP_LAYER = ROOT / "harness" / "idp"


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    out: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            out.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            out.add(node.module)
    return out


@pytest.mark.parametrize("path", sorted(IDP_LAYER.rglob("*.py")), ids=lambda p: p.name)
def test_the_idp_layer_is_pure_stdlib(path: Path) -> None:
    import sys

    outside = {m for m in _imports(path) if not m.startswith("harness.idp")
               and m.split(".")[0] not in sys.stdlib_module_names and m != "__future__"}
    assert outside == set(), f"{path.name} imports {sorted(outside)}: harness/idp is data and pure functions"


@pytest.mark.parametrize("folder", ["mock_idp", "scenarios/readiness"])
def test_idp_requests_are_built_only_by_the_builders(folder: str) -> None:
    """No ``Request(...)`` nor a literal ``"/Users"`` path outside harness/idp/requests.py."""
    offenders = []
    for path in sorted((ROOT / folder).rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and getattr(node.func, "id", getattr(node.func, "attr", "")) == "Request":
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} Request(...)")
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value.startswith(("/Users", "/Groups")):
                offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} {node.value!r}")
    assert offenders == []


def test_checker_sees_a_wrong_edge(tmp_path: Path) -> None:
    bad = tmp_path / "bad.py"
    bad.write_text("import reference_server.app\nfrom harness import check\n")
    assert imported_packages(bad) == {"reference_server", "harness"}


def test_packages_export_curated_all() -> None:
    import importlib

    for pkg in PACKAGES:
        module = importlib.import_module(pkg)
        exported = getattr(module, "__all__", None)
        assert isinstance(exported, list) and exported, f"{pkg}/__init__.py needs a curated __all__"
        for name in exported:
            assert hasattr(module, name), f"{pkg}.__all__ names {name}, which it does not define"


def test_redaction_is_a_standard_library_leaf() -> None:
    """Both sides import it, so it may import nothing but the standard library."""
    import sys

    for path in sorted((ROOT / "redaction").rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        names = {alias.name.split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.Import)
                 for alias in node.names}
        names |= {node.module.split(".")[0] for node in ast.walk(tree)
                  if isinstance(node, ast.ImportFrom) and node.module and node.level == 0}
        outside = {n for n in names if n not in sys.stdlib_module_names and n not in {"redaction", "__future__"}}
        assert not outside, f"{path.relative_to(ROOT)} imports {sorted(outside)}"
