"""``scim-harness replay``: a thin click layer over :func:`harness.replay.replay_session`.

Declared as the entry point ``harness.replay.commands:replay`` (pyproject.toml). A composition
root: it writes results.json, junit.xml and report.html through the reports package, and
exchanges.har itself. It takes the same target and credential options as ``run`` (one shared
decorator, so an option added there, e.g. OAuth, is added here too).
"""

from __future__ import annotations

import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import click

from harness.auth_options import chosen_token, oauth_settings, target_options  # the one credential option set
from harness.config import DEFAULT_OUT, ConfigError, make_target, require_writable_dir
from harness.console import counted, counts_line, plain
from harness.har import HAR_FILE, write_har
from harness.replay.compare import LEVELS
from harness.replay.engine import ReplayOptions, replay_session
from harness.replay.session import RECORDED, bundled_sessions, load_session
from harness.replay.session import select as select_exchanges
from harness.results import Outcome, RunResult

__all__ = ["replay", "REPLAY_OUT"]

#: Beside run's folder, never in it: both write results.json and report.html.
REPLAY_OUT = DEFAULT_OUT / "replay"


def _progress(stream: Any) -> Any:
    live = bool(getattr(stream, "isatty", lambda: False)())

    def show(done: int, total: int) -> None:
        if live:
            stream.write(f"\r\x1b[2Kreplay {done}/{total}")
            if done == total:
                stream.write("\n")
        elif done == total or done % 500 == 0:
            stream.write(f"replay {done}/{total}\n")

    return show


def _write(result: RunResult, out: Path) -> list[tuple[str, Path]]:
    from reports.html import write_html
    from reports.json_writer import write_results
    from reports.junit import write_junit

    return [("results.json", write_results(result, out / "results.json")),
            ("junit.xml", write_junit(result, out / "junit.xml")),
            ("report.html", write_html(result, out / "report.html")),
            (HAR_FILE, write_har(on_the_wire(result), out / HAR_FILE))]


def on_the_wire(result: RunResult) -> RunResult:
    """The run with only the exchanges sent this time (the recorded ones are in results.json)."""
    return replace(result, exchanges=[e for e in result.exchanges if not e.id.startswith(RECORDED)])


def _print(result: RunResult) -> None:
    by_id = {e.id: e for e in result.exchanges}
    shown: set[str] = set()
    for r in result.results:
        if r.outcome in (Outcome.PASS, Outcome.SKIP) or r.cause in shown and r.cause:
            continue
        shown.add(r.cause)
        same = sum(1 for o in result.results if o.cause == r.cause and r.cause)
        more = f" (and {counted(same - 1, 'more exchange')} with the same divergence)" if same > 1 else ""
        click.echo(f"{r.outcome.value.upper()} {r.id} {plain(r.title, 140)}{more}")
        click.echo(f"  {plain(r.message, 400)}")
        if r.idp_impact:
            click.echo(f"  IdP: {plain(r.idp_impact, 400)}")
        replayed = by_id.get(r.exchange_ids[-1]) if r.exchange_ids else None
        if replayed is not None and replayed.id.startswith("ex-"):
            from harness.curl import curl_command

            click.echo(f"  reproduce: {curl_command(replayed, body_limit=2000)}")


def _list(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """--list: print the bundled sessions before --target is asked for."""
    if not value or ctx.resilient_parsing:
        return
    for name, about in bundled_sessions().items():
        click.echo(f"{name:14} {about}")
    ctx.exit(0)


@click.command("replay", context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.argument("session", required=False)
@target_options
@click.option("--select", multiple=True, metavar="'METHOD /path glob'",
              help="Replay only matching exchanges, e.g. 'PATCH /Users/*' or '/Groups*' (repeatable).")
@click.option("--timing", default="none", show_default=True, metavar="keep|none|Nx",
              help="Wait as recorded (keep), not at all (none), or N times faster (10x).")
@click.option("--compare", "level", type=click.Choice(LEVELS), default="shape", show_default=True,
              help="status: codes only; shape: status, media type, body kind, attributes read back, totals; "
                   "strict: also values (ignoring ids, meta, ETags, timestamps).")
@click.option("--on-conflict", type=click.Choice(["continue", "stop"]), default="continue", show_default=True,
              help="Go on after a divergence, or stop at the first one.")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=REPLAY_OUT, show_default=True,
              help="Where results.json, junit.xml, report.html and exchanges.har go.")
@click.option("--list", "list_sessions", is_flag=True, is_eager=True, expose_value=False, callback=_list,
              help="List the bundled sessions and exit.")
def replay(session: str | None, target: str, token: str | None, basic: str | None, header: str | None,
           timeout: float, insecure: bool, select: tuple[str, ...], timing: str, level: str, on_conflict: str,
           out: Path, **more_auth: Any) -> None:
    """Replay a recorded IdP session against a SCIM endpoint and report every divergence.

    SESSION is a file (a `recordings export` JSON/JSONL, a HAR 1.2 file from the harness, devtools
    or a proxy, or a simulate/run results.json) or the name of a bundled session (see --list).
    Ids are remapped: the target's own ids are learned from creates and lookups and used in later
    paths, filters and bodies; a request naming an id never learned is reported, not sent.

    \b
    Example:
      scim-harness replay --list
      scim-harness replay entra --target http://127.0.0.1:8080/ --token "$SCIM_TOKEN"
      scim-harness recordings export --db scim.db --format har --client 'Microsoft*' --out entra.har
      scim-harness replay entra.har --target https://app.example.com/scim/v2 --token "$TOKEN" --compare strict

    \b
    Exit codes:
      0  every replayed exchange answered as recorded
      1  divergences (each with both exchanges, the IdP consequence and a curl line)
      2  could not test: unreachable, credentials refused, unreadable session, bad options
    """
    if not session:
        raise click.UsageError("give a SESSION (a file or a bundled name; see --list)")
    try:
        the_target = make_target(target, token=chosen_token(token, basic, header), basic=basic, header=header,
                                 timeout=timeout, insecure=insecure, oauth=oauth_settings(), **more_auth)
        options = ReplayOptions(compare=level, select=select, timing=timing, on_conflict=on_conflict)
        loaded = load_session(session)
        if options.select and not select_exchanges(loaded, options.select):
            raise ConfigError(f"no exchange of {loaded.name} matches --select {' '.join(options.select)!r}")
        require_writable_dir(out)
    except (ConfigError, ValueError) as exc:  # SessionError is a ValueError
        raise click.UsageError(str(exc)) from None
    click.echo(f"replaying {loaded.name} ({counted(len(loaded.exchanges), 'exchange')}, {loaded.form}) "
               f"against {plain(the_target.base_url, 200)}, compare {level}", err=True)
    for note in loaded.notes:
        click.echo(f"note: {note}", err=True)
    from harness.curl import curl_command

    result = replay_session(loaded, the_target, options, curl=lambda ex: curl_command(ex, body_limit=2000),
                            progress=_progress(sys.stderr))
    _print(result)
    code = result.exit_code
    try:
        for label, path in _write(result, out):
            click.echo(f"{label + ':':<14}{path}")
    except OSError as exc:
        click.echo(f"error: could not write the results: {exc.strerror or exc}", err=True)
        code = 2
    info = result.replay or {}
    click.echo(f"{result.message}. {counts_line(result.summary)}; ids learned {info.get('ids_learned', 0)}"
               f"/{info.get('session_ids', 0)} (exit {code})")
    raise SystemExit(code)

