"""``scim-harness recordings grade``: judge a SCIM client from the reference server's recorder.

Declared as the entry point ``harness.grade.commands:grade`` (group ``scim_harness.recordings``).
A composition root: it writes results.json, junit.xml and report.html through ``reports``.
"""

from __future__ import annotations

from pathlib import Path

import click

from harness.config import DEFAULT_OUT, ConfigError, require_writable_dir
from harness.console import plain
from harness.grade.grade import grade_exchanges
from harness.grade.source import GradeInputError, database_of, load_exchanges
from harness.results import Outcome, RunResult

__all__ = ["grade", "GRADE_OUT"]

GRADE_OUT = DEFAULT_OUT / "client"


def _parse_since(text: str | None) -> str | None:
    if text is None:
        return None
    from datetime import datetime, timezone

    try:
        moment = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        raise _input_error(f"--since {text!r} is not an ISO 8601 time (e.g. 2026-01-05T09:00Z)") from None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def write_outputs(result: RunResult, out: Path) -> list[Path]:
    from reports.html import write_html
    from reports.json_writer import write_results
    from reports.junit import write_junit

    return [write_results(result, out / "results.json"), write_junit(result, out / "junit.xml"),
            write_html(result, out / "report.html")]


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", required=True, help="Recorder database (serve --db: a file or postgresql:// URL), or the tenants directory "
                   "(or postgresql:// URL) with --tenant.")
@click.option("--tenant", default=None, help="Grade this tenant of a sandbox (serve --tenants DIR; --db DIR).")
@click.option("--client", default=None, metavar="GLOB", help="Only requests whose User-Agent matches ('Microsoft*').")
@click.option("--since", default=None, metavar="TIME", help="Only exchanges at or after TIME (ISO 8601).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=GRADE_OUT, show_default=True,
              help="Folder for results.json, junit.xml and report.html.")
def grade(db: str, tenant: str | None, client: str | None, since: str | None, out: Path) -> None:
    """Judge what a SCIM client sent (RFC 7644 client rules) and name the IdP profile it resembles.

    Exit 0: clean; 1: findings; 2: nothing to grade or bad input.

    \b
    Example:
      scim-harness serve --db scim.db --quirk rate-limit-429     # point your client at it, then:
      scim-harness recordings grade --db scim.db --client 'Microsoft*' --since 2026-01-05T09:00Z
      scim-harness recordings grade --db tenants --tenant acme
    """
    try:
        exchanges = load_exchanges(db, tenant=tenant, client=client, since=_parse_since(since))
        require_writable_dir(out)
    except (GradeInputError, ConfigError) as exc:
        raise _input_error(str(exc)) from None
    source = str(database_of(db, tenant))
    result = grade_exchanges(exchanges, source, {"tenant": tenant, "client": client, "since": since})
    for r in result.results:
        if r.outcome in (Outcome.FAIL, Outcome.WARN):
            click.echo(f"{r.outcome.value.upper()} {r.id} {plain(r.title, 120)}")
            click.echo(f"  {plain(r.message, 300)}")
    s = result.summary
    click.echo(f"{plain(result.message, 300)}")
    click.echo(f"{len(exchanges)} exchanges; {s.total} rules: {s.passed} passed, {s.failed} failed, "
               f"{s.warned} warnings, {s.skipped} not applicable (exit {result.exit_code})")
    for path in write_outputs(result, out):
        click.echo(f"wrote {path}")
    raise SystemExit(result.exit_code)


class _InputError(click.ClickException):
    exit_code = 2  # bad input or nothing to read: "could not test"


def _input_error(message: str) -> click.ClickException:
    return _InputError(message)
