"""``scim-harness fuzz``: a thin click layer over :func:`harness.fuzz.runner.fuzz_target`.

Declared as the entry point ``harness.fuzz.commands:fuzz`` (pyproject.toml). It parses, calls
the library, shows progress, writes ``results.json``, ``junit.xml`` and ``report.html``, and
exits 0 (nothing found), 1 (findings) or 2 (could not test).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
from pathlib import Path
from typing import Any, TextIO

import click

from harness.auth_options import chosen_token, oauth_settings, target_options
from harness.config import (DEFAULT_OUT, ConfigError, check_prefix, cleanup_command, make_target,
                            require_writable_dir)
from harness.console import counted, plain
from harness.fuzz.runner import FuzzConfig, Progress, fuzz_target
from harness.har import HAR_FILE, write_har
from harness.results import Outcome, RunResult

#: Beside ``run``'s default folder, never in it: both write results.json and report.html.
FUZZ_OUT = DEFAULT_OUT / "fuzz"

__all__ = ["fuzz", "write_json"]


def write_json(data: Any, path: Path) -> Path:
    """Write ``data`` as indented UTF-8 JSON, atomically (a reader never sees half a file)."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(json.dumps(data, ensure_ascii=False, indent=2) + "\n")
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path


class _ProgressLine:
    """One status line, redrawn in place on a terminal, printed every few seconds otherwise."""

    def __init__(self, stream: TextIO) -> None:
        self.stream = stream
        self.live = stream.isatty()
        self._last_print = -10.0

    def __call__(self, p: Progress) -> None:
        text = (f"fuzz [{p.stage}] {counted(p.requests, 'request')}, {p.elapsed:.0f}s, "
                f"{counted(p.failures, 'failing case')}"
                + (f" - {plain(p.operation, 60)}" if p.operation and p.stage == "fuzzing" else ""))
        if self.live:
            self.stream.write("\r\x1b[2K" + text)
            if p.stage == "done":
                self.stream.write("\n")
        elif p.stage != "fuzzing" or p.elapsed - self._last_print >= 5:
            self._last_print = p.elapsed
            self.stream.write(text + "\n")
        self.stream.flush()


def _print_summary(result: RunResult) -> None:
    click.echo(plain(result.message, 400))
    for check in result.results:
        if check.outcome is Outcome.PASS:
            continue
        click.echo(f"  FAIL {plain(check.id, 120)}: {plain(check.message, 200)}")
        for step in check.steps:
            click.echo(f"       {plain(step.name, 160)}")
            click.echo(f"       {plain(step.message, 600)}")


@click.command(name="fuzz", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@target_options
@click.option("--max-examples", type=click.IntRange(1, 100_000), default=50, show_default=True, metavar="N",
              help="Generated examples per operation and phase.")
@click.option("--time-limit", type=click.FloatRange(min=1), default=60.0, show_default=True, metavar="S",
              help="Seconds of generation (shrinking and cleanup come after).")
@click.option("--max-requests", type=click.IntRange(min=1), default=None, metavar="N",
              help="Stop generating after about N requests (a count bound beside the time limit).")
@click.option("--seed", type=click.IntRange(0, 2**31 - 1), default=None, metavar="S",
              help="Seed for a reproducible run (printed when not given).")
@click.option("--prefix", default=None, metavar="P", help="Prefix of every generated name (default: fz-<random>-).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=FUZZ_OUT, show_default=True,
              help="Where results.json, junit.xml and report.html go (not run's folder: a fuzz run must not "
                   "overwrite the conformance report).")
@click.option("--emit-openapi", type=click.Path(dir_okay=False, path_type=Path), default=None, metavar="FILE",
              help="Also write the OpenAPI description built from the target's discovery.")
def fuzz(target: str, token: str | None, basic: str | None, header: str | None, max_examples: int, time_limit: float,
         max_requests: int | None, seed: int | None,
         timeout: float, insecure: bool, prefix: str | None, out: Path, emit_openapi: Path | None) -> None:
    """Throw thousands of generated requests at a SCIM endpoint; report what crashes it or breaks the contract.

    The contract is an OpenAPI description built from the target's own /ResourceTypes, /Schemas and
    /ServiceProviderConfig. schemathesis generates valid and invalid requests (list, filter, get,
    create, replace, PATCH, .search, and create -> get/patch/put/delete sequences); each finding is
    shrunk to a minimal request, replayed to prove it, and given a curl line (token as $SCIM_TOKEN).

    \b
    Example:
      scim-harness fuzz --target http://127.0.0.1:8080 --token "$TOKEN" --time-limit 60 --seed 7 \\
        --emit-openapi scim-openapi.json

    \b
    Exit codes:
      0  nothing found
      1  findings (server errors or contract violations)
      2  could not test: unreachable, credentials refused, nothing advertised, or bad options

    Every user or group it creates is named with the run's prefix and deleted at the end.
    """
    try:
        the_target = make_target(target, token=chosen_token(token, basic, header), basic=basic, header=header, timeout=timeout, insecure=insecure,
                                 oauth=oauth_settings())
        extra: dict[str, Any] = {"seed": seed} if seed is not None else {}
        if prefix:
            extra["prefix"] = check_prefix(prefix)
        config = FuzzConfig(the_target, max_examples=max_examples, time_limit=time_limit, max_requests=max_requests,
                            **extra)
        require_writable_dir(out)  # before fuzzing, not after it
    except (ConfigError, ValueError) as exc:
        raise click.UsageError(str(exc)) from None
    click.echo(f"fuzzing {plain(target, 200)} (seed {config.seed}, prefix {config.prefix}, "
               f"{config.max_examples} examples per operation, {config.time_limit:g}s)", err=True)
    document: dict[str, Any] = {}
    try:
        result = fuzz_target(config, on_progress=_ProgressLine(sys.stderr), openapi_out=document)
    except KeyboardInterrupt:
        click.echo(f"interrupted; remove leftovers with: {cleanup_command(the_target, config.prefix)}", err=True)
        raise SystemExit(2) from None
    code = result.exit_code
    try:
        if emit_openapi is not None and document:
            click.echo(f"{'openapi:':<14}{write_json(document, emit_openapi)}")
        click.echo(f"{'results.json:':<14}{write_json(result.to_dict(), out / 'results.json')}")
        click.echo(f"{HAR_FILE + ':':<14}{write_har(result, out / HAR_FILE)}")
        for label, path in _write_reports(result, out):
            click.echo(f"{label + ':':<14}{path}")
    except OSError as exc:
        click.echo(f"error: could not write the results: {exc.strerror or exc}", err=True)
        code = 2
    _print_summary(result)
    raise SystemExit(code)


def _write_reports(result: RunResult, out: Path) -> list[tuple[str, Path]]:
    """junit.xml and report.html through the reports package (this module is a composition root)."""
    from reports.html import write_html
    from reports.junit import write_junit

    return [("junit.xml", write_junit(result, out / "junit.xml")), ("report.html", write_html(result, out / "report.html"))]
