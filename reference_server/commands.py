"""``scim-harness serve`` and ``scim-harness recordings``: thin click layers over the server."""

from __future__ import annotations

import json
import secrets
import sys
from pathlib import Path
from typing import Any

import click
from click.core import ParameterSource

from reference_server.oauth import TOKEN_PATH, parse_clients
from reference_server.profiles import list_profiles
from reference_server.quirks import CATALOGUE
from reference_server.settings import ServerSettings
from redaction import Redactor, scrub

__all__ = ["serve", "recordings", "run_server", "read_recordings"]


class InputError(click.ClickException):
    """Bad input or an unusable environment (busy port, missing file): exit 2, one line."""

    exit_code = 2


def _port_free(host: str, port: int) -> bool:
    import socket

    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            sock.bind((host, port))
        return True
    except OSError:
        return False


def _hint(secret: str) -> str:
    return secret[:4] + "…" if len(secret) > 8 else "…"


def run_server(settings: ServerSettings, host: str, port: int, seed_users: int = 0, echo: Any = print,
               generated: str | None = None, workers: int = 1) -> None:
    """Create the app, seed it, print how to reach it and serve until interrupted."""
    import uvicorn

    from reference_server.app import create_app
    from reference_server.seed import seed_users as seed
    from reference_server.store import describe

    app = create_app(settings)  # also checks the settings and the database before any worker starts
    if seed_users:
        have = app.store.count("User")
        seed(app.store, seed_users, settings.clock(), start=have)
    url = f"http://{host}:{port}"
    echo(f"SCIM reference server ({settings.app}) on {url}/  database: {describe(settings.db)}"
         + (f"  workers: {workers}" if workers > 1 else ""))
    if settings.quirks:
        echo(f"quirks on: {', '.join(settings.quirks)}")
    if app.profile.auth == "basic":
        user = settings.basic[0] if settings.basic else "?"
        echo(f"auth: HTTP Basic as {user!r} (password: the one you gave, {_hint(settings.basic[1]) if settings.basic else ''})")
        echo(f"try:  curl -u '{user}:PASSWORD' {url}/Users")
    else:
        if generated:
            echo(f"token (generated for this run): {generated}")
        elif settings.tokens:
            echo(f"token: the one you gave ({_hint(settings.tokens[0])})")
        if settings.tokens:
            echo(f'try:  curl -H "Authorization: Bearer $SCIM_TOKEN" {url}/Users   (with SCIM_TOKEN set to the token)')
    if settings.oauth_clients:
        ids = ", ".join(dict.fromkeys(c for c, _ in settings.oauth_clients))
        echo(f"OAuth token endpoint: {url}{TOKEN_PATH}  clients: {ids}  token lifetime: {settings.token_ttl}s")
        echo(f"try:  curl -u 'CLIENT_ID:SECRET' -d grant_type=client_credentials {url}{TOKEN_PATH}")
    if workers > 1:
        from reference_server.workers import run_workers, serialise

        app.close()
        run_workers("scim_app", {"settings": serialise(settings)}, host, port, workers)
        return
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", access_log=False)
    finally:
        app.close()


def check_workers(workers: int, db: str, oauth: bool) -> None:
    """Refuse (one line, exit 2) what several worker processes cannot serve correctly."""
    from reference_server.store import is_postgres

    if workers > 1 and not is_postgres(db):
        raise InputError("--workers needs --db postgresql://…: a SQLite file has one writer at a time, so more "
                         "processes would only queue on its lock")
    if workers > 1 and oauth:
        raise InputError("--workers above 1 cannot serve --oauth-client: issued access tokens live in the "
                         "issuing process's memory")


@click.command(context_settings={"help_option_names": ["-h", "--help"]})
@click.option("--db", default="scim.db", show_default=True,
              help="SQLite file (created if missing) or a postgresql://USER@HOST:PORT/DB URL.")
@click.option("--workers", default=1, show_default=True, type=click.IntRange(1, 64),
              help="Worker processes (PostgreSQL only; shares one database, uses every core).")
@click.option("--host", default="127.0.0.1", show_default=True,
              help="Address to listen on; keep the loopback default unless others must reach it.")
@click.option("--port", default=8080, show_default=True, type=click.IntRange(1, 65535), help="TCP port to listen on.")
@click.option("--token", "tokens", multiple=True, envvar="SCIM_TOKEN",
              help="Accepted bearer token (repeatable; env SCIM_TOKEN). Generated when none is given.")
@click.option("--basic", default=None, metavar="USER:PASS", help="Also accept HTTP Basic with these credentials.")
@click.option("--oauth-client", "oauth_clients", multiple=True, metavar="ID:SECRET",
              help="Serve POST /oauth2/token (OAuth 2.0 client credentials) for this client (repeatable; the same "
                   "ID twice = two valid secrets while one is rotated). No token is generated when given.")
@click.option("--token-ttl", default=3600, show_default=True, type=click.IntRange(1, 366 * 86400), metavar="SECONDS",
              help="Lifetime of the access tokens the token endpoint issues (expires_in).")
@click.option("--app", "app_name", default="default", show_default=True, help="App profile (see --list-apps).")
@click.option("--quirk", "quirks", multiple=True, help="Switch on a named defect (repeatable; see --list-quirks).")
@click.option("--extension", "extensions", multiple=True, type=click.Path(exists=True, dir_okay=False),
              help="Custom User extension schema JSON file (repeatable).")
@click.option("--seed-users", default=0, type=click.IntRange(0, 10_000_000), help="Seed N users at start.")
@click.option("--public-url", default=None, help="Base URL to put in meta.location (behind a proxy).")
@click.option("--list-apps", is_flag=True, help="List the app profiles and exit.")
@click.option("--list-quirks", is_flag=True, help="List the quirks and exit.")
@click.option("--tenants", "tenants_dir", default=None, metavar="DIR",
              help="Serve every tenant of DIR at /t/<tenant>/scim/v2 instead (see scim-harness tenants).")
@click.option("--admin-token", default=None, envvar="SCIM_ADMIN_TOKEN",
              help="With --tenants: the admin API's bearer token (env SCIM_ADMIN_TOKEN; generated if none).")
def serve(db: str, workers: int, host: str, port: int, tokens: tuple[str, ...], basic: str | None, oauth_clients: tuple[str, ...],
          token_ttl: int, app_name: str, quirks: tuple[str, ...], extensions: tuple[str, ...], seed_users: int,
          public_url: str | None, list_apps: bool, list_quirks: bool, tenants_dir: str | None = None,
          admin_token: str | None = None) -> None:
    """Run the reference SCIM 2.0 server (strict RFC 7643/7644, SQLite or PostgreSQL).

    \b
    Example:
      scim-harness serve --db scim.db --port 8080 --token "$SCIM_TOKEN"
      curl -H "Authorization: Bearer $SCIM_TOKEN" http://127.0.0.1:8080/Users
      scim-harness serve --app lambdatest --quirk not-found-on-empty-filter
      scim-harness serve --oauth-client entra:"$CLIENT_SECRET" --token-ttl 3600
      scim-harness serve --tenants tenants --admin-token "$SCIM_ADMIN_TOKEN"
      scim-harness serve --db postgresql://scim@127.0.0.1:5432/scim --workers 2
      scim-harness serve --tenants postgresql://scim@127.0.0.1:5432/scim --workers 2
    """
    if list_apps:
        for p in list_profiles().values():
            click.echo(f"{p.name:12} {p.description}")
        return
    if list_quirks:
        for q in CATALOGUE.values():
            click.echo(f"{q.name:32} {q.description}")
        return
    if tenants_dir is not None:  # the shared sandbox: tenants bring their own app, quirks and tokens
        from reference_server.tenant_commands import run_tenant_server
        ctx = click.get_current_context()
        flags = {"db": "--db", "tokens": "--token", "basic": "--basic", "oauth_clients": "--oauth-client",
                 "app_name": "--app", "quirks": "--quirk", "extensions": "--extension",
                 "seed_users": "--seed-users", "public_url": "--public-url"}
        given = [flag for name, flag in flags.items() if ctx.get_parameter_source(name) is ParameterSource.COMMANDLINE]
        if given:  # a tenant's app, quirks and tokens are the registry's; its data is where --tenants says
            raise InputError(f"{', '.join(given)} cannot be used with --tenants: each tenant has its own "
                             "(scim-harness tenants create); give a directory or a postgresql:// URL as --tenants")
        check_workers(workers, tenants_dir, False)
        if not _port_free(host, port):
            raise InputError(f"port {port} on {host} is in use; pick another with --port")
        try:
            run_tenant_server(tenants_dir, admin_token, host, port, ServerSettings(), echo=click.echo,
                              workers=workers)
        except ValueError as exc:
            raise InputError(str(exc)) from None
        return
    check_workers(workers, db, bool(oauth_clients))
    unknown = [q for q in quirks if q not in CATALOGUE]
    if unknown:
        raise click.BadParameter(f"unknown quirk(s) {', '.join(unknown)}; see --list-quirks", param_hint="--quirk")
    if app_name not in list_profiles():
        raise click.BadParameter(f"unknown app {app_name!r}; known: {', '.join(list_profiles())}", param_hint="--app")
    creds = None
    if basic is not None:
        user, sep, password = basic.partition(":")
        if not sep or not user or not password:
            raise click.BadParameter("expected USER:PASS", param_hint="--basic")
        creds = (user, password)
    generated = None
    profile = list_profiles()[app_name]
    if profile.auth == "basic" and creds is None:
        generated = secrets.token_urlsafe(18)
        creds = ("scim", generated)
        click.echo(f"the {app_name} app uses HTTP Basic; generated password for user 'scim': {generated}")
        generated = None
    try:
        clients = parse_clients(oauth_clients)
    except ValueError as exc:
        raise click.BadParameter(str(exc), param_hint="--oauth-client") from None
    if clients and click.get_current_context().get_parameter_source("tokens") is ParameterSource.ENVIRONMENT:
        tokens = ()  # OAuth only, unless --token is given on the command line too
    if not tokens and profile.auth != "basic" and not clients:
        generated = secrets.token_urlsafe(24)
        tokens = (generated,)
    if not _port_free(host, port):
        raise InputError(f"cannot listen on {host}:{port}: the port is in use or the address is not this machine's")
    try:
        settings = ServerSettings(db=db, tokens=tokens, basic=creds, app=app_name, quirks=quirks,
                                  extensions=extensions, public_url=public_url, oauth_clients=clients,
                                  token_ttl=token_ttl)
        run_server(settings, host, port, seed_users, echo=click.echo, generated=generated, workers=workers)
    except (ValueError, KeyError, OSError) as exc:
        raise InputError(str(exc)) from None


def read_recordings(db: str, *, after: int = 0, limit: int = 1000) -> list[dict[str, Any]]:
    """Recordings from a server database (read-only use of the store)."""
    from reference_server.store import is_postgres, open_store, sqlite_path

    if not is_postgres(db) and sqlite_path(db) != ":memory:" and not Path(sqlite_path(db)).exists():
        raise FileNotFoundError(f"no database at {db}")
    store = open_store(db)
    try:
        return store.recordings(after=after, limit=limit)
    finally:
        store.close()


class _RecordingsGroup(click.Group):
    """Also lists the ``recordings`` subcommands other packages declare (entry points
    ``scim_harness.recordings``, e.g. ``grade``, an oracle that lives in the harness): the server
    imports no other package."""

    @staticmethod
    def _plugins() -> dict[str, Any]:
        from importlib.metadata import entry_points
        return {ep.name: ep for ep in entry_points(group="scim_harness.recordings")}

    def list_commands(self, ctx: click.Context) -> list[str]:
        return sorted(set(super().list_commands(ctx)) | set(self._plugins()))

    def get_command(self, ctx: click.Context, name: str) -> click.Command | None:
        command = super().get_command(ctx, name)
        ep = self._plugins().get(name) if command is None else None
        if ep is None:
            return command
        try:
            loaded = ep.load()
        except Exception as exc:  # noqa: BLE001 - a broken plugin must not break the group
            raise click.ClickException(f"the '{name}' command could not be loaded: {exc}") from None
        return loaded if isinstance(loaded, click.Command) else None


@click.group(cls=_RecordingsGroup, context_settings={"help_option_names": ["-h", "--help"]})
def recordings() -> None:
    """Read what clients sent the reference server (credentials are redacted).

    \b
    Example:
      scim-harness recordings list --db scim.db
      scim-harness recordings show 12 --db scim.db
      scim-harness recordings export --db scim.db --format jsonl > exchanges.jsonl
      scim-harness recordings grade --db scim.db --client 'Microsoft*'
    """


def _load(db: str, after: int = 0, limit: int = 1_000_000) -> list[dict[str, Any]]:
    try:
        return read_recordings(db, after=after, limit=limit)
    except FileNotFoundError as exc:
        raise InputError(f"{exc}; give the server's file with --db") from None


@recordings.command("list")
@click.option("--db", default="scim.db", show_default=True)
@click.option("--limit", default=50, show_default=True, type=click.IntRange(1, 100_000))
def list_cmd(db: str, limit: int) -> None:
    """One line per exchange: id, time, method, path, status, duration.

    \b
    Example:
      scim-harness recordings list --db scim.db --limit 20
    """
    recs = _load(db)
    if recs:
        click.echo(f"{'id':>6}  {'at':24}  {'method':6} {'path'}  status  duration")
    for r in recs[-limit:]:
        q = f"?{r['query']}" if r["query"] else ""
        click.echo(f"{r['id']:>6}  {r['at']}  {r['method']:6} {r['path']}{q[:80]}  {r['status']}  {r['duration_ms']:.1f} ms")
    if not recs:
        click.echo("no recordings yet")


@recordings.command("show")
@click.argument("rec_id", type=int)
@click.option("--db", default="scim.db", show_default=True)
def show_cmd(rec_id: int, db: str) -> None:
    """One exchange in full (headers redacted, bodies bounded).

    \b
    Example:
      scim-harness recordings show 12 --db scim.db
    """
    recs = [r for r in _load(db, after=rec_id - 1, limit=1) if r["id"] == rec_id]
    if not recs:
        raise InputError(f"no recording {rec_id} in {db}")
    click.echo(json.dumps(recs[0], indent=2, ensure_ascii=False))


def _fingerprint(db: str, token: str | None, basic: str | None) -> str:
    """The recorder's fingerprint of a credential, computed with this database's key."""
    import base64

    from reference_server.recorder import fingerprint
    from reference_server.store import open_store

    if token and basic:
        raise InputError("give --token or --basic, not both")
    _load(db, limit=1)  # a missing database is a clear error, not an empty file
    store = open_store(db)
    try:
        key = store.recorder_key()
    finally:
        store.close()
    value = f"Bearer {token}" if token else "Basic " + base64.b64encode((basic or "").encode()).decode()
    return fingerprint(key, value)


@recordings.command("export")
@click.option("--db", default="scim.db", show_default=True)
@click.option("--format", "fmt", type=click.Choice(["json", "jsonl", "har"]), default="jsonl", show_default=True,
              help="JSON (an array), JSON Lines (one exchange a line) or HAR 1.2 (devtools, replay).")
@click.option("--client", default=None, metavar="GLOB",
              help="Only exchanges whose User-Agent matches, e.g. 'Microsoft*' or '*JumpCloud*'.")
@click.option("--since", default=None, metavar="TIME", help="Only exchanges at or after TIME (ISO 8601, e.g. 2026-01-05T09:00Z).")
@click.option("--until", default=None, metavar="TIME", help="Only exchanges before TIME.")
@click.option("--token", default=None, metavar="T",
              help="Only exchanges made with this bearer token (matched by fingerprint; never printed).")
@click.option("--basic", default=None, metavar="USER:PASS", help="Only exchanges made with these Basic credentials.")
@click.option("--out", "out", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Write to this file instead of standard output.")
def export_cmd(db: str, fmt: str, client: str | None, since: str | None, until: str | None, token: str | None,
               basic: str | None, out: Path | None) -> None:
    """Exchanges as JSON, JSON Lines or HAR, for replay or inspection (credentials are redacted).

    Select one IdP's session from a recorder that has seen several clients by User-Agent, time
    range or the credential it used (the recorder keeps only a keyed fingerprint of each
    credential, so --token matches without the token ever being stored or printed); replay it
    with ``scim-harness replay FILE --target URL``.

    \b
    Example:
      scim-harness recordings export --db scim.db --format jsonl > exchanges.jsonl
      scim-harness recordings export --db scim.db --format har --client 'Microsoft*' \\
          --since 2026-01-05T09:00Z --out entra.har
    """
    from reference_server.export import parse_time, recordings_to_har, select_recordings

    try:
        start = parse_time(since) if since else None
        end = parse_time(until) if until else None
    except ValueError as exc:
        raise InputError(f"--since/--until: {exc}") from None
    credential = _fingerprint(db, token, basic) if token or basic else None
    recs = select_recordings(_load(db), client=client, since=start, until=end, credential=credential)
    if fmt == "json":
        text = json.dumps(recs, indent=2, ensure_ascii=False) + "\n"
    elif fmt == "har":
        text = json.dumps(recordings_to_har(recs, comment=f"recordings from {Path(db).name}"), indent=1,
                          ensure_ascii=False) + "\n"
    else:
        text = "".join(json.dumps(r, ensure_ascii=False) + "\n" for r in recs)
    # the redaction layer's last pass: the credentials given to select by, and what scrub hides
    text = scrub(Redactor([c for c in (token, basic) if c]).text(text))
    if out is None:
        sys.stdout.write(text)
        return
    try:
        out.write_text(text, encoding="utf-8")
    except OSError as exc:
        raise InputError(f"cannot write {out}: {exc.strerror or exc}") from None
    click.echo(f"{len(recs)} exchange(s) written to {out}", err=True)
