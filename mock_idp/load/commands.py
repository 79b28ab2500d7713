"""``scim-harness load``: many tenants' provisioning jobs at once, on Locust (a thin click shell).

Composition root: parses, calls :func:`mock_idp.load.run.run_load`, writes junit.xml and
report.html with the reports package, prints the verdict, exits 0 / 1 / 2.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from harness.auth_options import chosen_token, oauth_settings, target_options  # the one credential option set
from harness.config import ConfigError, make_target, require_writable_dir
from mock_idp.load.config import LoadConfig, LoadError, new_run_prefix, parse_duration
from mock_idp.load.outcome import DEFAULT_FAIL_ON
from mock_idp.load.run import run_load, run_worker
from harness.idp.profile import load_profile, profile_names

__all__ = ["load"]


def _idps(text: str) -> tuple[str, ...]:
    names = tuple(n.strip() for n in text.split(",") if n.strip())
    known = [n for n in profile_names() if load_profile(n).simulated]  # the engine plays these
    bad = [n for n in names if n not in known]
    if not names or bad:
        raise click.UsageError(f"--idp: unknown {', '.join(bad) or 'empty'}; choose from {', '.join(known)}")
    return names


@click.command("load")
@target_options
@click.option("--idp", "idp", default="entra", show_default=True, metavar="IDP[,IDP]",
              help="IdP profile(s) of the tenants, spread round-robin: entra, entra-legacy, jumpcloud.")
@click.option("--tenants", default=10, show_default=True, type=click.IntRange(1, 100_000), help="Tenants (one job each).")
@click.option("--users", default=100, show_default=True, type=click.IntRange(0, 1_000_000), help="People per tenant.")
@click.option("--groups", default=10, show_default=True, type=click.IntRange(0, 100_000), help="Groups per tenant.")
@click.option("--initial-share", default=1.0, show_default=True, type=click.FloatRange(0, 1),
              help="Share of tenants whose initial cycle is part of the run; the others were synced before "
                   "(their objects are created first, unpaced, as 'warm-up' requests).")
@click.option("--duration", metavar="30m", help="Stop after this much real time (90s, 30m, 2h).")
@click.option("--cycles", type=click.IntRange(1, 10_000), help="Stop each tenant after K incremental cycles "
              "(event-driven IdPs: the same span, K x 40 minutes, of directory time).")
@click.option("--pace", default="documented", show_default=True,
              help="documented (the IdP's own pace: Entra 0.01-0.08 min per object, cycles every 40 min), "
                   "fast (no pacing) or a speed-up such as 60x.")
@click.option("--job-concurrency", type=click.IntRange(1, 64), help="Changes one job has in flight at once, "
              "each its own requests (default: the profile's, 1; unconfirmed).")
@click.option("--seed", default=7, show_default=True, type=int, help="Same seed, same tenants, same requests.")
@click.option("--processes", default=0, show_default=True, type=click.IntRange(0, 256),
              help="Start a Locust master and this many local worker processes (0: one process).")
@click.option("--master", "is_master", is_flag=True, help="Be the master of workers on other machines.")
@click.option("--expect-workers", default=1, show_default=True, type=click.IntRange(1, 10_000),
              help="With --master: start when this many workers are connected.")
@click.option("--master-bind-host", default="*", show_default=True, help="With --master: address to listen on.")
@click.option("--master-port", default=5557, show_default=True, type=click.IntRange(1, 65535),
              help="With --master or --worker: the master's port.")
@click.option("--worker", "is_worker", is_flag=True, help="Be a worker of the master at --master-host.")
@click.option("--master-host", metavar="HOST", help="With --worker: where the master runs.")
@click.option("--fail-on", "fail_on", default=DEFAULT_FAIL_ON, show_default=True, metavar="TERMS",
              help="Thresholds, e.g. 'p95>1000ms,errors>1%,quarantined>0' (p50 p95 p99 avg max errors failures "
                   "quarantined at_risk escrowed rps).")
@click.option("--out", type=click.Path(file_okay=False, path_type=Path), default=Path("load-out"), show_default=True,
              help="Where results.json, junit.xml and report.html go.")
@click.option("--web-ui", is_flag=True, help="Also serve Locust's own page (printed at start).")
@click.option("--web-port", default=8089, show_default=True, type=click.IntRange(1, 65535), help="Port of --web-ui.")
@click.option("--spawn-rate", default=0.0, type=click.FloatRange(0), help="Tenants started per second "
              "(default: all within about ten seconds).")
@click.option("--keep", is_flag=True, help="Leave the tenants' users and groups on the target (default: remove them).")
def load(target: str, token: str | None, basic: str | None, header: str | None, timeout: float, insecure: bool,
         idp: str, tenants: int, users: int, groups: int, initial_share: float, duration: str | None,
         cycles: int | None, pace: str, job_concurrency: int | None, seed: int, processes: int, is_master: bool,
         expect_workers: int, master_bind_host: str, master_port: int, is_worker: bool, master_host: str | None,
         fail_on: str, out: Path, web_ui: bool, web_port: int, spawn_rate: float, keep: bool) -> None:
    """Load a SCIM endpoint as many tenants' IdP provisioning jobs at once, on Locust.

    Each tenant is one provisioning job of its IdP profile, driven by the same engine as
    `simulate`: Test Connection, the initial cycle, then incremental cycles (Entra) or events
    (JumpCloud) from the seeded churn model, in real time at the IdP's documented pace.
    Names carry a per-tenant prefix; objects are removed afterwards unless --keep.

    \b
    Example: 50 Entra tenants of 2,000 users for 30 minutes, on every core:
      scim-harness load --target https://sp.example.com/scim --token T --idp entra \\
          --tenants 50 --users 2000 --groups 50 --duration 30m --processes 2 \\
          --fail-on 'p95>1000ms,errors>1%,quarantined>0' --out load/
    \b
    Two machines: `--master --expect-workers 1` on one, `--worker --master-host HOST
    --target URL --token T` on the other (docs/load.md).
    \b
    Exit codes: 0 every threshold held; 1 a threshold broke; 2 could not test (unreachable
    target, refused credentials, the target stopped answering, bad options).
    """
    try:
        the_target = make_target(target, token=chosen_token(token, basic, header), basic=basic, header=header,
                                 timeout=timeout, insecure=insecure, oauth=oauth_settings())
        if is_worker:
            if not master_host:
                raise click.UsageError("--worker needs --master-host HOST")
            raise SystemExit(run_worker(the_target, master_host, master_port))
        if duration is None and cycles is None:
            raise click.UsageError("give a bound: --duration 30m or --cycles K")
        config = LoadConfig(target_url=the_target.base_url, idps=_idps(idp), tenants=tenants, users=users,
                            groups=groups, initial_share=initial_share,
                            duration=parse_duration(duration) if duration else None, cycles=cycles, pace=pace,
                            job_concurrency=job_concurrency, seed=seed, run_prefix=new_run_prefix(), timeout=timeout,
                            insecure=insecure, spawn_rate=spawn_rate, thresholds=fail_on, keep=keep)
        require_writable_dir(out)
    except (ConfigError, LoadError) as exc:
        raise click.UsageError(str(exc)) from None
    options: dict[str, Any] = {**{k: v for k, v in config.to_dict().items() if k != "target_url"},
                               "auth": the_target.auth.describe(), "processes": processes, "master": is_master}
    click.echo(f"scim-harness load: {tenants} tenant(s) of {users} users, {groups} groups ({idp}) against "
               f"{the_target.base_url}; pace {pace}; " + (f"{duration}" if duration else f"{cycles} cycle(s)") +
               f"; names prefixed {config.run_prefix}", err=True)
    outcome = run_load(config, the_target, out, processes=processes, master=is_master, expect_workers=expect_workers,
                       bind_host=master_bind_host, master_port=master_port,
                       web_ui=("127.0.0.1", web_port) if web_ui else None, options=options)
    from reports.junit import write_junit
    from reports.load_report import write_load_html

    write_junit(outcome.run, out / "junit.xml")
    write_load_html(outcome.to_dict(), out / "report.html")
    clean = outcome.load.get("cleanup")
    if clean:
        click.echo(f"cleanup: {clean['deleted']} object(s) removed, {clean['failed']} failed"
                   + "".join(f"; {p}" for p in clean["problems"][:1]), err=True)
    prefix = {0: "OK", 1: "FINDINGS", 2: "Cannot test"}[outcome.exit_code]
    click.echo(f"{prefix}: {outcome.run.message} (exit {outcome.exit_code})")
    for name in ("results.json", "junit.xml", "report.html"):
        click.echo(f"{name + ':':13} {out / name}")
    raise SystemExit(outcome.exit_code)
