"""``scim-harness simulate`` and ``scim-harness test-connection``: thin click shells.

Parse, call :func:`mock_idp.simulate.simulate` / :func:`check_connection`, print one line,
exit 0 / 1 / 2 (style.md principle 1). Declared as entry points in pyproject.toml.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import click

from harness.auth_options import chosen_token, oauth_settings, target_options
from harness.config import ConfigError, make_target
from harness.har import HAR_FILE, HarPage, build_har
from harness.http import Target
from harness.idp.profile import profile_names
from mock_idp.simulate import SimulationConfig, check_connection
from mock_idp.simulate import simulate as run_simulation

__all__ = ["simulate", "connection_test_command"]

_IDPS = click.Choice(profile_names())


def _target(url: str, token: str | None, basic: str | None, header: str | None, timeout: float,
            insecure: bool) -> Target:
    """The target and its credentials from the shared options (the profile refuses what its IdP cannot send)."""
    try:
        return make_target(url, token=chosen_token(token, basic, header), basic=basic, header=header, timeout=timeout,
                           insecure=insecure, oauth=oauth_settings())
    except ConfigError as exc:
        raise click.UsageError(str(exc)) from None


@click.command("simulate")
@click.option("--idp", type=_IDPS, required=True, help="The IdP profile to replay.")
@target_options
@click.option("--users", default=50, show_default=True, type=click.IntRange(0, 100_000), help="People in the fake tenant.")
@click.option("--groups", default=5, show_default=True, type=click.IntRange(0, 10_000), help="Groups in the fake tenant.")
@click.option("--days", default=1.0, show_default=True, type=click.FloatRange(0.01, 60), help="Virtual days of directory life.")
@click.option("--seed", default=7, show_default=True, type=int, help="Same seed, same tenant, same requests, same logs.")
@click.option("--mapping", type=click.Path(dir_okay=False), help="Attribute-mapping JSON (default: the profile's).")
@click.option("--scope", type=click.Choice(["assigned", "all"]), default="assigned", show_default=True,
              help="Sync only assigned users and groups, or all of them.")
@click.option("--speed", default="instant", show_default=True, help="'instant' or a factor such as 60x (demos).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("simulation"), show_default=True,
              help="Where provisioning.jsonl and results.json go.")
@click.option("--scenario", type=click.Path(dir_okay=False, exists=True, path_type=Path),
              help="A JSON file of timed directory events (a customer story).")
@click.option("--no-churn", is_flag=True, help="No seeded day model: only the initial cycle and --scenario events.")
@click.option("--no-cover", is_flag=True,
              help="Do not add the day-1 changes (disable, delete, member removal, rename, manager) every run exercises.")
@click.option("--no-groups", is_flag=True, help="Group management off (JumpCloud seed 001).")
@click.option("--no-test-connection", is_flag=True, help="Skip Test Connection (credentials saved earlier).")
@click.option("--quiet", "-q", is_flag=True, help="No progress bar.")
@click.option("--on-demand", "on_demand", metavar="USER",
              help="After the run, provision this user (userPrincipalName) on demand, as Entra's 'Provision on demand'.")
@click.option("--rate-limit", "rate_limit", type=click.Choice(["profile", "honour", "escrow"]), default="profile",
              show_default=True, help="429 handling: the profile's default, honour Retry-After (3 retries), or fail "
                                      "the change and retry later (Entra's escrow; the next event for JumpCloud).")
@click.option("--import-schedule", "import_schedule", type=click.Choice(["profile", "manual", "hourly", "daily", "weekly"]),
              default="profile", show_default=True,
              help="Imports from the app (Okta, O3): the profile's default (manual: only scripted import events) "
                   "or an hourly, daily or weekly schedule on the simulation's clock.")
def simulate(target: str, token: str | None, basic: str | None, header: str | None, insecure: bool, idp: str, users: int, groups: int, days: float, seed: int,
             mapping: str | None, scope: str, speed: str, out: Path, scenario: Path | None, no_churn: bool,
             no_cover: bool, no_groups: bool, no_test_connection: bool, timeout: float, quiet: bool,
             on_demand: str | None = None, rate_limit: str = "profile", import_schedule: str = "profile") -> None:
    """Replay what an IdP's provisioning engine sends to a SCIM endpoint, on a virtual clock.

    Builds a seeded fake tenant, runs the IdP's Test Connection, its initial cycle and then
    a week (or --days) of directory churn, writes provisioning logs like the IdP's own, and
    finally reads the target back to check it holds what the directory says.

    \b
    Example: a week of Entra ID (with ?aadOptscim062020) against a local server:
      scim-harness simulate --idp entra --target http://127.0.0.1:8080/ --token T \\
          --users 500 --groups 50 --days 7 --seed 7 --out sim/
      scim-harness simulate --idp okta-aiw --target http://127.0.0.1:8080/ --token T --rate-limit escrow
      scim-harness simulate --idp entra --target URL --token T --on-demand Jo.Li@contoso.example
      scim-harness simulate --idp okta --target URL --token T --days 3 --import-schedule daily
    \b
    Exit codes: 0 converged with no failed change; 1 differences or failed changes
    (quarantine included); 2 could not start (test connection failed, target unreachable).
    """
    config = SimulationConfig(
        idp=idp, target=_target(target, token, basic, header, timeout, insecure), users=users, groups=groups, days=days, seed=seed,
        mapping=mapping, scope=scope, speed=speed, out=out, scenario=scenario, churn=not no_churn, cover=not no_cover,
        test_connection=not no_test_connection, manage_groups=False if no_groups else None,
        profile_overrides=_overrides(rate_limit, import_schedule),
    )
    if quiet:
        result = run_simulation(config, on_demand=on_demand)
    else:
        with click.progressbar(length=1000, label=f"{idp} simulation", file=sys.stderr) as bar:
            done = [0]

            def progress(fraction: float) -> None:
                step = int(fraction * 1000) - done[0]
                if step > 0:
                    bar.update(step)
                    done[0] += step

            result = run_simulation(config, progress=progress, on_demand=on_demand)
            progress(1.0)
    click.echo(result.reason)
    if result.log_path:
        click.echo(f"provisioning log: {result.log_path}   results: {out / 'results.json'}")
        click.echo(_write_report(result.run, out / "report.html"))
    raise SystemExit(result.exit_code)


def _overrides(rate_limit: str, import_schedule: str) -> dict[str, Any]:
    """The profile knobs the CLI options set ("profile": keep the profile's value)."""
    out: dict[str, Any] = {}
    if rate_limit != "profile":
        out["rate_limit_retries"] = 3 if rate_limit == "honour" else 0
    if import_schedule != "profile":
        out["import_schedule"] = import_schedule
    return out


def _write_report(run: object, path: Path) -> str:
    """The HTML report, if the reports package can render it (it is optional here)."""
    try:
        from reports.html import write_html

        write_html(run, path)  # type: ignore[arg-type]
    except Exception as exc:  # noqa: BLE001 - the simulation's own files are already written
        return f"report.html not written ({type(exc).__name__}); render it later with: scim-harness report {path.parent / 'results.json'}"
    return f"report: {path}"


@click.command("test-connection")
@click.option("--idp", type=_IDPS, required=True, help="The IdP profile whose Test Connection to run.")
@target_options
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Also write the exchanges as exchanges.har (HAR 1.2) into this folder.")
def connection_test_command(idp: str, target: str, token: str | None, basic: str | None, header: str | None,
                            timeout: float, insecure: bool, out: Path | None) -> None:
    """Run only the IdP's Test Connection against a SCIM endpoint.

    Entra ID reads (a userName probe with a random GUID, then a group probe) and needs 200
    with an empty ListResponse; JumpCloud creates a test user and group, then deletes both.

    \b
    Example:
      scim-harness test-connection --idp jumpcloud --target https://sp.example.com/scim/v2 --token T --out tc/
    \b
    Exit codes: 0 passed, 2 failed (with the reason an admin would see).
    """
    result = check_connection(idp, _target(target, token, basic, header, timeout, insecure))
    for note in result.notes:
        click.echo(f"  {note}")
    for ex in result.exchanges:
        click.echo(f"  {ex.method} {ex.url} -> {ex.status if ex.status is not None else ex.error}")
    click.echo(result.reason)
    if out is not None:
        try:
            click.echo(f"exchanges.har: {_write_har(idp, result.exchanges, out)}")
        except OSError as exc:
            click.echo(f"error: cannot write {out / HAR_FILE}: {exc.strerror or exc}", err=True)
            raise SystemExit(2) from None
    raise SystemExit(result.exit_code)


def _write_har(idp: str, exchanges: list[Any], out: Path) -> Path:
    """The Test Connection's exchanges as HAR 1.2: one page."""
    page = HarPage("test-connection", f"{idp} test connection", tuple(e.id for e in exchanges))
    doc = build_har(exchanges, [page], comment=f"scim-harness test-connection --idp {idp}")
    out.mkdir(parents=True, exist_ok=True)
    path = out / HAR_FILE
    path.write_text(json.dumps(doc, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return path
