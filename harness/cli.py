"""``scim-harness``: the command line, a thin shell over library functions.

This module is the composition root: the harness's own commands live here, and every other
package contributes its commands through the ``scim_harness.commands`` entry points (see
pyproject.toml), so the harness never imports the reference server.
"""

from __future__ import annotations

import contextlib
import json
import signal
import sys
import threading
from collections.abc import Iterator
from importlib.metadata import entry_points
from pathlib import Path
from typing import Any, NoReturn, TextIO, cast

import click

from harness.auth_options import chosen_token, oauth_expiry_option, oauth_settings, target_options
from harness.checks import REGISTRY, SUITES
from harness.cleanup import cleanup as cleanup_prefix
from harness.config import (DEFAULT_OUT, FAIL_ON, ConfigError, RunConfig, check_prefix, make_target,
                            require_writable_dir)
from harness.console import ConsoleHandler, counted, plain
from harness.runner import load_checks, run_suite
from redaction import ScrubbedStream

__all__ = ["main"]


class _PluginGroup(click.Group):
    """A group that also lists the commands other packages declare as entry points."""

    def _plugins(self) -> dict[str, object]:
        return {ep.name: ep for ep in entry_points(group="scim_harness.commands")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        if command is not None:
            return command
        ep = self._plugins().get(name)
        if ep is None:
            return None
        try:
            loaded = ep.load()  # type: ignore[attr-defined]
        except Exception as exc:  # noqa: BLE001 - one broken plugin must not break the CLI
            message = f"the '{name}' command could not be loaded: {type(exc).__name__}: {exc}"

            @click.command(name=name, help=message)
            def broken() -> None:
                raise click.ClickException(message)

            return broken
        return loaded if isinstance(loaded, click.Command) else None


@click.group(cls=_PluginGroup, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(package_name="scim-harness")
def main() -> None:
    """Prove that a SCIM 2.0 endpoint works with Entra ID, JumpCloud and Okta.

    \b
    Start here:
      scim-harness demo                                   # everything, offline, in about a minute
      scim-harness serve --db scim.db --token T           # the reference SCIM server
      scim-harness run --target URL --token T             # the conformance suite
      scim-harness simulate --idp entra --target URL --token T --users 50 --days 1
    """


# -- the harness's own commands ---------------------------------------------------------------
def _load_registry() -> None:
    """Fill the registry with the suite's checks (scenarios/ imports its modules)."""
    import scenarios  # the composition root may wire the checks in

    for problem in load_checks(scenarios):
        click.echo(f"warning: {problem}", err=True)


def _usage(message: str) -> NoReturn:
    raise click.UsageError(message)


@contextlib.contextmanager
def _sigterm_as_interrupt() -> Iterator[None]:
    """CI cancels with SIGTERM: treat it as Ctrl-C so the run still cleans up (restored after)."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@main.command()
@target_options
@oauth_expiry_option
@click.option("--suite", "suites", multiple=True, type=click.Choice([*SUITES, "all"]), default=("all",),
              show_default=True, help="Which suite(s): the RFC checks or what an IdP relies on (repeatable).")
@click.option("--select", multiple=True, metavar="ID_OR_TAG",
              help="Only checks with this id, id prefix ('query.filter*'), tag, area or checklist id (repeatable).")
@click.option("--exclude", multiple=True, metavar="ID_OR_TAG", help="Leave these out (same forms as --select).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=DEFAULT_OUT, show_default=True,
              help="Where results.json, junit.xml and report.html go.")
@click.option("--fail-on", type=click.Choice(FAIL_ON), default="must", show_default=True,
              help="must: exit 1 on a broken MUST; should: also on a broken SHOULD (WARN).")
@click.option("--workers", type=click.IntRange(1, 32), default=1, show_default=True,
              help="Checks run in parallel (each creates only its own objects).")
@click.option("--run-timeout", type=click.FloatRange(min=0.1), default=1800.0, show_default=True, metavar="S",
              help="Stop starting checks after S seconds, so a slow target cannot hold a run for hours; "
                   "the rest are reported as ERROR.")
@click.option("--prefix", default=None, metavar="P",
              help="Name prefix of every object the run creates (default: sh-<random>-).")
def run(target: str, token: str | None, basic: str | None, header: str | None, timeout: float, insecure: bool,
        suites: tuple[str, ...], select: tuple[str, ...], exclude: tuple[str, ...], out: Path, fail_on: str,
        workers: int, run_timeout: float | None, prefix: str | None) -> None:
    """Run the conformance suite against a SCIM endpoint and say what would break.

    \b
    Example:
      scim-harness run --target https://app.example.com/scim/v2 --token "$TOKEN" --suite entra --workers 4
      SCIM_CLIENT_SECRET=... scim-harness run --target https://app.example.com/scim/v2 \\
        --oauth-token-url https://app.example.com/oauth2/token --client-id entra --suite entra

    \b
    Exit codes:
      0  nothing failed at the --fail-on level
      1  findings: a check FAILed (or WARNed with --fail-on should), or could not be judged (ERROR)
      2  could not test: unreachable, credentials refused, not a SCIM endpoint, or interrupted

    Writes results.json, junit.xml and report.html into --out, even when it could not test. Every object it
    creates is named with the run's prefix and removed afterwards, also on Ctrl-C.
    """
    try:
        config = RunConfig.from_options(target=target, token=chosen_token(token, basic, header), basic=basic,
                                         header=header, suites=suites,
                                         select=select, exclude=exclude, out=out, fail_on=fail_on, workers=workers,
                                         timeout=timeout, run_timeout=run_timeout, insecure=insecure, prefix=prefix,
                                         oauth=oauth_settings())
    except ConfigError as exc:
        _usage(str(exc))
    _load_registry()
    if not REGISTRY.select(config.suites, config.select, config.exclude):
        _usage("no check matches this --suite/--select/--exclude (see: scim-harness scenarios list)")
    try:
        require_writable_dir(config.out)  # before the run, not after it
    except ConfigError as exc:
        _usage(str(exc))
    writers = _writers(config.out)
    with _sigterm_as_interrupt():
        console = ConsoleHandler(cast(TextIO, ScrubbedStream(sys.stdout)))  # the console passes the last redaction too
        result = run_suite(config, handlers=[console, *writers])
    code = result.exit_code
    for writer in writers:
        if writer.error:
            click.echo(f"error: {writer.error}", err=True)
            code = 2  # a run whose results could not be written has not been reported
        elif writer.written:
            click.echo(f"{writer.written.name + ':':<14}{writer.written}")
    raise SystemExit(code)


class _Writer:
    """A file writer (an event handler with ``written``/``error``), with any failure kept as ``error``."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner
        self.error: str | None = None

    @property
    def written(self) -> Path | None:
        return getattr(self.inner, "written", None)

    def handle_event(self, event: Any) -> None:
        try:
            self.inner.handle_event(event)
        except Exception as exc:  # noqa: BLE001 - say which file is missing and why; never a traceback
            self.error = f"{getattr(self.inner, 'path', 'output')}: {type(exc).__name__}: {exc}"
        self.error = self.error or getattr(self.inner, "error", None)


def _writers(out: Path) -> list[_Writer]:
    """results.json (the source of truth), junit.xml, exchanges.har and report.html: peers, all event handlers."""
    from reports.json_writer import JsonWriter  # the runner knows no formats
    from reports.junit import JunitWriter
    from harness.har import HAR_FILE, HarWriter

    writers = [_Writer(JsonWriter(out / "results.json")), _Writer(JunitWriter(out / "junit.xml")),
               _Writer(HarWriter(out / HAR_FILE))]
    try:
        from reports.html import HtmlWriter
    except ImportError as exc:  # the HTML renderer is optional here; JSON is the source of truth
        click.echo(f"warning: no report.html ({exc})", err=True)
    else:
        writers.append(_Writer(HtmlWriter(out / "report.html")))
    return writers


@main.command(name="cleanup")
@target_options
@click.option("--prefix", required=True, metavar="P", help="Delete users and groups whose name starts with P.")
@click.option("--dry-run", is_flag=True, help="List what would be deleted; delete nothing.")
def cleanup_command(target: str, token: str | None, basic: str | None, header: str | None, timeout: float,
                    insecure: bool, prefix: str, dry_run: bool) -> None:
    """Remove the users and groups a run left behind (names starting with --prefix).

    \b
    Example:
      scim-harness cleanup --target https://app.example.com/scim/v2 --token "$TOKEN" --prefix sh-3f9a1c-

    Finds them with the filter 'userName sw' / 'displayName sw' (or by paging when the target has
    no filter), re-checks every name, and deletes only what starts with the prefix.
    Exit 0 when everything found was removed, 1 when something is left, 2 when nothing could be listed.
    """
    try:
        check_prefix(prefix)
        the_target = make_target(target, token=chosen_token(token, basic, header), basic=basic, header=header,
                                 timeout=timeout, insecure=insecure, oauth=oauth_settings())
    except ConfigError as exc:
        _usage(str(exc))
    result = cleanup_prefix(the_target, prefix, dry_run=dry_run)
    if dry_run:
        for path in result.found:
            click.echo(f"would delete {plain(path)}")
    else:
        for path in result.deleted:
            click.echo(f"deleted {plain(path)}")
        for path, why in result.failed:
            click.echo(f"not deleted {plain(path)}: {plain(why)}")
    click.echo(plain(result.summary(), 1000))
    raise SystemExit(result.exit_code)


@main.group(name="scenarios")
def scenarios_group() -> None:
    """The checks in the suite: what each one tests, at which level, and what it rests on.

    \b
    Example:
      scim-harness scenarios list --suite entra
    """


@scenarios_group.command(name="list")
@click.option("--suite", "suites", multiple=True, type=click.Choice([*SUITES, "all"]), default=("all",),
              show_default=True, help="Only checks of this suite (repeatable).")
@click.option("--select", multiple=True, metavar="ID_OR_TAG", help="Only checks matching an id, prefix*, tag or area.")
@click.option("--exclude", multiple=True, metavar="ID_OR_TAG", help="Leave these out.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON (one object per check) instead of a table.")
def list_scenarios(suites: tuple[str, ...], select: tuple[str, ...], exclude: tuple[str, ...], as_json: bool) -> None:
    """List the checks: id, level, area, suites and what each rests on.

    \b
    Example:
      scim-harness scenarios list --suite entra
      scim-harness scenarios list --select 'query.filter*' --json
    """
    _load_registry()
    specs = REGISTRY.select(suites, select, exclude)
    if as_json:
        rows = [{"id": s.id, "title": s.title, "level": s.level.value, "area": s.area, "suites": list(s.suites),
                 "tags": list(s.tags), "requires": list(s.requires), "rests_on": s.rests_on,
                 "checklist": list(s.checklist)} for s in specs]
        click.echo(json.dumps(rows, indent=2, ensure_ascii=False))
        return
    width = max([len("id"), *(len(s.id) for s in specs)])
    click.echo(f"{'id':<{width}}  {'level':<6}  {'area':<12}  {'suites':<22}  rests on")
    for s in specs:
        click.echo(f"{s.id:<{width}}  {s.level.value:<6}  {s.area:<12}  {','.join(s.suites):<22}  {s.rests_on}")
    click.echo(counted(len(specs), "check"))
