"""``scim-harness tenants create|list|delete|rotate-token`` and ``serve --tenants DIR``.

The commands work on the registry file directly; a running multi-tenant server reads the
registry on every request, so a new, rotated or deleted tenant takes effect at once.
"""

from __future__ import annotations

import json
import secrets
from typing import Any

import click

from reference_server.settings import ServerSettings
from reference_server.tenants import TenantError, TenantRegistry, base_path

__all__ = ["tenants", "run_tenant_server"]

_DIR = click.option("--dir", "directory", default="tenants", show_default=True, envvar="SCIM_TENANTS_DIR",
                    help="Tenants directory (registry + one SQLite file per tenant) or a postgresql:// URL (registry "
                         "table + one schema per tenant); env SCIM_TENANTS_DIR.")
_URL = click.option("--url", default="http://127.0.0.1:8080", show_default=True,
                    help="Where the multi-tenant server is reached (to print the tenant's base URL).")


class InputError(click.ClickException):
    exit_code = 2


def _registry(directory: str) -> TenantRegistry:
    try:
        return TenantRegistry(directory)
    except ValueError as exc:
        raise InputError(str(exc)) from None
    except OSError as exc:
        raise InputError(f"cannot use tenants directory {directory}: {exc.strerror or exc}") from None


def _do(action: Any) -> Any:
    try:
        return action()
    except TenantError as exc:
        raise InputError(str(exc)) from None


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
def tenants() -> None:
    """Manage the tenants of a shared sandbox (serve --tenants DIR).

    \b
    Example:
      scim-harness tenants create acme --app default --quirk rate-limit-429
      scim-harness serve --tenants tenants --admin-token "$SCIM_ADMIN_TOKEN"
      scim-harness tenants rotate-token acme
    """


@tenants.command("create")
@click.argument("name")
@_DIR
@_URL
@click.option("--app", "app_name", default="default", show_default=True, help="App profile (serve --list-apps).")
@click.option("--quirk", "quirks", multiple=True, help="A named defect for this tenant only (repeatable).")
def create_cmd(name: str, directory: str, url: str, app_name: str, quirks: tuple[str, ...]) -> None:
    """Create a tenant; prints its base URL and token (shown this once only).

    \b
    Example:
      scim-harness tenants create acme --dir tenants --app default
    """
    tenant, token = _do(lambda: _registry(directory).create(name, app_name, quirks))
    click.echo(f"tenant {tenant.name} ({tenant.app}{', quirks: ' + ', '.join(tenant.quirks) if tenant.quirks else ''})")
    click.echo(f"base URL: {url.rstrip('/')}{base_path(tenant.name)}")
    click.echo(f"token (shown once, stored only as a digest): {token}")


@tenants.command("list")
@_DIR
@click.option("--json", "as_json", is_flag=True, help="One JSON document instead of a table.")
def list_cmd(directory: str, as_json: bool) -> None:
    """List the tenants (never their tokens).

    \b
    Example:
      scim-harness tenants list --dir tenants
    """
    rows = [t.to_dict() for t in _registry(directory).list()]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("no tenants")
    for r in rows:
        quirks = ",".join(r["quirks"]) or "-"  # type: ignore[arg-type]
        click.echo(f"{r['name']:20} {r['app']:12} tokens={r['tokens']} quirks={quirks} {r['basePath']} {r['created']}")


@tenants.command("delete")
@click.argument("name")
@_DIR
def delete_cmd(name: str, directory: str) -> None:
    """Delete a tenant and its data (its token stops working at once).

    \b
    Example:
      scim-harness tenants delete acme --dir tenants
    """
    _do(lambda: _registry(directory).delete(name))
    click.echo(f"deleted tenant {name}")


@tenants.command("rotate-token")
@click.argument("name")
@_DIR
@click.option("--keep-old", is_flag=True, help="Keep the old token(s) working too (for a switch-over).")
def rotate_cmd(name: str, directory: str, keep_old: bool) -> None:
    """Give a tenant a new token (printed once); the old one stops working unless --keep-old.

    \b
    Example:
      scim-harness tenants rotate-token acme --dir tenants
    """
    token = _do(lambda: _registry(directory).rotate_token(name, keep_old=keep_old))
    click.echo(f"new token for {name} (shown once): {token}")


def run_tenant_server(directory: str, admin_token: str | None, host: str, port: int, base: ServerSettings,
                      echo: Any = print, workers: int = 1) -> None:
    """Serve every tenant of ``directory`` (or of a postgresql:// URL) until interrupted."""
    import uvicorn

    from reference_server.tenant_app import TenantServer

    generated = None
    if not admin_token:
        admin_token = generated = secrets.token_urlsafe(24)
    server = TenantServer(_registry(directory), admin_token, base)
    url = f"http://{host}:{port}"
    count = len(server.registry.list())
    echo(f"SCIM sandbox with {count} tenant(s) on {url}/t/<tenant>/scim/v2  tenants: {server.registry!r}"
         + (f"  workers: {workers}" if workers > 1 else ""))
    echo(f"admin API: {url}/admin/tenants  admin token: "
         f"{generated + ' (generated for this run)' if generated else 'the one you gave'}")
    if workers > 1:
        from reference_server.workers import run_workers, serialise

        server.close()
        server.registry.close()
        run_workers("tenant_app", {"location": directory, "admin_token": admin_token, "settings": serialise(base)},
                    host, port, workers)
        return
    try:
        uvicorn.run(server, host=host, port=port, log_level="warning", access_log=False)
    finally:
        server.close()
