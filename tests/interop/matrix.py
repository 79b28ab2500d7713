"""Run the whole suite against each interop server; pin and publish what it finds.

- :func:`run_server` runs every suite (``scim-harness run``'s default, one worker so the order of
  writes is the same every time) and returns the :class:`RunResult`;
- :func:`findings` reduces a run to what is pinned: each FAIL, WARN and ERROR as
  ``check/outcome/cause``;
- :func:`matrix_markdown` renders servers × areas and servers × IdP verdicts, the tables
  docs/interop.md publishes between its ``matrix`` markers.

``python -m tests.interop.matrix [SERVER ...]`` prints the findings and the matrix; ``--write``
also rewrites tests/interop/findings.json and the matrix in docs/interop.md; ``--draft`` prints,
for each cause the document does not justify yet, a section with the evidence (rule, what was
seen) to start from. The judgement (defect of the server, or artefact of the harness, and why)
is written by a person who read the exchanges; a draft is never pasted as it is.
"""

from __future__ import annotations

import json
import re
import sys
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import scenarios  # noqa: F401 - registers the checks
from harness.config import RunConfig
from harness.http import Auth, Target
from harness.results import Outcome, RunResult
from harness.runner import run_suite
from harness.verdicts import idp_verdicts
from tests.interop.servers import SERVERS, TOKEN, Server, serve

HERE = Path(__file__).resolve().parent
PINNED = HERE / "findings.json"
DOC = HERE.parents[1] / "docs" / "interop.md"
BEGIN, END = "<!-- matrix:begin (python -m tests.interop.matrix --write) -->", "<!-- matrix:end -->"
FLAGGED = (Outcome.FAIL, Outcome.WARN, Outcome.ERROR)


def run_server(server: Server, scratch: Path) -> RunResult:
    with serve(server, scratch) as base:
        config = RunConfig(target=Target(base, Auth.bearer(TOKEN), timeout=15), out=scratch / "out",
                           workers=1, prefix="sh-interop-")
        return run_suite(config)


def findings(run: RunResult) -> list[dict[str, str]]:
    """The run's flagged results, sorted: what findings.json pins for a server."""
    rows = [{"check": r.id, "outcome": r.outcome.value, "cause": r.cause or r.id}
            for r in run.results if r.outcome in FLAGGED]
    return sorted(rows, key=lambda row: (row["check"], row["outcome"]))


def pinned() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(PINNED.read_text(encoding="utf-8"))
    return data


def _cell(counts: Counter[str]) -> str:
    parts = [f"{counts[o.value]} {o.value.upper()}" for o in FLAGGED if counts[o.value]]
    return " · ".join(parts) if parts else "✓"


def matrix_markdown(runs: dict[str, RunResult]) -> str:
    """Two tables: flagged checks per area and server (✓ = nothing flagged), then the verdicts."""
    areas = sorted({r.area for run in runs.values() for r in run.results})
    keys = list(runs)
    lines = ["| area | " + " | ".join(keys) + " |", "|---|" + "---|" * len(keys)]
    for area in areas:
        cells = [_cell(Counter(r.outcome.value for r in runs[k].results if r.area == area)) for k in keys]
        lines.append(f"| {area} | " + " | ".join(cells) + " |")
    verdicts = {key: idp_verdicts(run) for key, run in runs.items()}
    idps = [v.name for v in next(iter(verdicts.values()))] if verdicts else []
    lines += ["", "| server | causes (FAIL/WARN) | not judged | " + " | ".join(idps) + " |",
              "|---|---|---|" + "---|" * len(idps)]
    for key, run in runs.items():
        flagged = [r for r in run.results if r.outcome in (Outcome.FAIL, Outcome.WARN)]
        causes = len({r.cause or r.id for r in flagged})
        errors = sum(r.outcome is Outcome.ERROR for r in run.results)
        heads = {v.name: v.headline.split(": ", 1)[1] for v in verdicts[key]}
        lines.append(f"| {key} | {causes} ({len(flagged)} checks) | {errors} | "
                     + " | ".join(heads.get(name, "—") for name in idps) + " |")
    return "\n".join(lines)


def write_doc_matrix(table: str) -> None:
    text = DOC.read_text(encoding="utf-8")
    head, rest = text.split(BEGIN, 1)
    _, tail = rest.split(END, 1)
    DOC.write_text(f"{head}{BEGIN}\n{table}\n{END}{tail}", encoding="utf-8")


def doc_matrix() -> str:
    text = DOC.read_text(encoding="utf-8")
    return text.split(BEGIN, 1)[1].split(END, 1)[0].strip()


def justified(key: str) -> set[str]:
    """Cause ids headed ``#### `cause` ...`` in the server's ``### key`` section of docs/interop.md."""
    text = DOC.read_text(encoding="utf-8")
    section = re.split(r"^### ", text, flags=re.M)
    body = next((s for s in section if s.split("\n", 1)[0].strip().strip("`") == key), "")
    return set(re.findall(r"^#### `([A-Za-z0-9._:-]+)`", body, re.M))


def draft(key: str, run: RunResult, justified: set[str]) -> str:
    """Markdown sections for the run's causes that ``justified`` lacks (see the module docstring)."""
    by_cause: dict[str, list[Any]] = {}
    for r in run.results:
        if r.outcome in FLAGGED:
            by_cause.setdefault(r.cause or r.id, []).append(r)
    out = []
    for cause, results in sorted(by_cause.items()):
        if cause in justified:
            continue
        first = results[0]
        checks = ", ".join(f"`{r.id}` ({r.outcome.value.upper()}, {r.level.value})" for r in results)
        out += [f"#### `{cause}` — {first.title}", "", f"- Checks: {checks}.",
                f"- Rule: {first.rests_on}" + (f': "{first.quote}"' if first.quote else "") + ".",
                f"- Seen: {first.message}", "- Judgement: TODO", ""]
    return "\n".join(out)


def main(argv: list[str]) -> int:
    write = "--write" in argv
    chosen = [s for s in SERVERS if not [a for a in argv if not a.startswith("--")] or s.key in argv]
    runs: dict[str, RunResult] = {}
    for server in chosen:
        with tempfile.TemporaryDirectory() as scratch:
            runs[server.key] = run_server(server, Path(scratch))
        rows = findings(runs[server.key])
        print(f"## {server.key}: exit {runs[server.key].exit_code}, {len(rows)} flagged, "
              f"{runs[server.key].duration_ms / 1000:.1f}s")
        for row in rows:
            print(f"  {row['outcome']:5} {row['check']:45} cause={row['cause']}")
    if "--draft" in argv:
        for key, run in runs.items():
            print(f"\n### {key}\n\n{draft(key, run, justified(key))}")
        return 0
    table = matrix_markdown(runs)
    print(table)
    if write:
        data = pinned() if PINNED.exists() else {}
        data.update({key: findings(run) for key, run in runs.items()})
        PINNED.write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")
        if len(runs) == len(SERVERS):
            write_doc_matrix(table)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
