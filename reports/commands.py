"""CLI commands contributed by reports/: ``report`` and ``demo`` (entry points in pyproject).

Thin click layers: parse, call one library function, print, exit. Bad input is a clear
message and exit code 2, never a traceback.
"""

from __future__ import annotations

from pathlib import Path

import click

from harness.console import counts_line
from harness.idp.profile import load_profile, profile_names
from harness.results import RunResult
from reports.html import write_html
from reports.json_writer import ResultsFileError, load_results

__all__ = ["report", "demo", "load_run"]


def load_run(path: Path) -> RunResult:
    """Read ``results.json``; ``click.UsageError`` (exit 2) with the reason if it is unusable."""
    try:
        return load_results(path)
    except ResultsFileError as exc:
        raise click.UsageError(str(exc)) from None


@click.command(name="report")
@click.argument("results", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Where to write the HTML (default: report.html beside RESULTS).")
def report(results: Path, output: Path | None) -> None:
    """Render the HTML report from a results.json (the source of truth).

    \b
    Example:
      scim-harness report scim-out/results.json -o scim-out/report.html

    The page is one self-contained file: open it offline, attach it to a ticket, keep it as
    a CI artifact. It loads nothing and sends nothing.
    """
    run = load_run(results)
    target = output or results.with_name("report.html")
    try:
        written = write_html(run, target)
    except OSError as exc:
        raise click.UsageError(f"cannot write {target}: {exc.strerror}") from None
    summary = run.summary
    click.echo(f"{written}  ({counts_line(summary)})")


@click.command(name="demo")
@click.option("--quirk", "quirks", multiple=True, metavar="NAME",
              help="Break the reference server in a named, real-world way (repeatable), e.g. not-found-on-empty-filter.")
@click.option("--idp", type=click.Choice([n for n in profile_names() if load_profile(n).simulated]), default="entra",
              show_default=True,
              help="Which IdP the provisioning simulation plays.")
@click.option("--out", "out", type=click.Path(file_okay=False, path_type=Path), default=Path("scim-out/demo"),
              show_default=True, help="Where the reports go.")
@click.option("--no-browser", is_flag=True, help="Print the live page's URL; do not open a browser.")
@click.option("--users", type=click.IntRange(1, 2000), default=40, show_default=True, help="People in the simulated directory.")
@click.option("--speed", type=click.FloatRange(min=1.0), default=3600.0, show_default=True,
              help="Simulated seconds per real second (3600: a 40-minute Entra cycle every 0.7 s).")
def demo(quirks: tuple[str, ...], idp: str, out: Path, no_browser: bool, users: int, speed: float) -> None:
    """Everything at once, offline, in about a minute: the reference server, the conformance
    suite, an IdP provisioning simulation with a live page, then the reports.

    \b
    Examples:
      scim-harness demo                                    # a healthy endpoint
      scim-harness demo --quirk not-found-on-empty-filter  # what Entra ID does to a broken one
      scim-harness demo --idp jumpcloud --no-browser

    It never waits for input: with no display (or CI set) it prints the live page URL and
    carries on.
    """
    from reports.demo import DemoConfig, DemoError, run_demo  # the composition root

    try:
        outcome = run_demo(DemoConfig(quirks=quirks, idp=idp, out=out, open_browser=not no_browser,
                                      users=users, speed=speed), echo=click.echo)
    except DemoError as exc:  # could not run the demo at all: say why, exit 2 ("could not test")
        click.echo(f"Error: {exc}", err=True)
        raise SystemExit(2) from None
    raise SystemExit(outcome.exit_code)
