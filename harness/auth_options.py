"""The OAuth 2.0 client-credentials options, one set for every command that talks to a target.

Every command that talks to a target with credentials (``run``, ``cleanup``, ``fuzz``, ``replay``,
``simulate``, ``test-connection``, ``load``) takes :func:`target_options` (``--target``, one way to
authenticate, ``--timeout``, ``--insecure``, and the OAuth options) and picks the token with
:func:`chosen_token`; an IdP profile refuses a credential its IdP cannot send. The OAuth values are collected into the click context (the commands' own signatures do not
grow) and :func:`oauth_settings` turns them into :class:`OAuthSettings`.

Example::

    scim-harness run --target https://app.example.com/scim/v2 \\
        --oauth-token-url https://app.example.com/oauth2/token --client-id entra --client-secret "$SECRET"
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

import click

from harness.config import TOKEN_ENV
from harness.oauth import CLIENT_AUTH, SECRET_ENV, OAuthSettings

__all__ = ["oauth_options", "oauth_expiry_option", "oauth_settings", "OAUTH_FLAG", "explicit", "target_options",
           "chosen_token"]

F = TypeVar("F", bound=Callable[..., Any])
_KEY = "scim_harness.oauth"
#: The option that switches OAuth on (error messages name it).
OAUTH_FLAG = "--oauth-token-url"


def _keep(ctx: click.Context, param: click.Parameter, value: Any) -> Any:
    ctx.meta.setdefault(_KEY, {})[param.name] = value
    return value


def oauth_options(func: F) -> F:
    """Add ``--oauth-token-url``, ``--client-id``, ``--client-secret``, ``--oauth-scope``,
    ``--audience`` and ``--client-auth`` to a click command."""
    options = [
        click.option("--oauth-token-url", metavar="URL", expose_value=False, callback=_keep,
                     help="OAuth 2.0 token endpoint: fetch a bearer token with the client-credentials grant "
                          "(as Entra ID gallery apps do) instead of --token."),
        click.option("--client-id", metavar="ID", expose_value=False, callback=_keep,
                     help="OAuth client id (with --oauth-token-url)."),
        click.option("--client-secret", metavar="S", envvar=list(SECRET_ENV), expose_value=False, callback=_keep,
                     help="OAuth client secret (or set SCIM_CLIENT_SECRET, which keeps it out of shell history)."),
        click.option("--oauth-scope", metavar="X", expose_value=False, callback=_keep,
                     help="Scope to request with the token (space-separated)."),
        click.option("--audience", metavar="A", expose_value=False, callback=_keep,
                     help="'audience' form parameter, for token servers that require one."),
        click.option("--client-auth", type=click.Choice(list(CLIENT_AUTH)), default="basic", show_default=True,
                     expose_value=False, callback=_keep,
                     help="How the client authenticates to the token endpoint: HTTP Basic or the form body."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def oauth_expiry_option(func: F) -> F:
    """``--oauth-expiry-wait``, for the command that runs the readiness checks."""
    option = click.option(
        "--oauth-expiry-wait", type=click.FloatRange(min=0), default=5.0, show_default=True, metavar="S",
        expose_value=False, callback=_keep,
        help="How long the check 'an expired token is refused' may wait for expires_in to pass (with OAuth).")
    return option(func)


def oauth_settings(ctx: click.Context | None = None) -> OAuthSettings | None:
    """The OAuth settings given on the command line, or ``None``; ``click.UsageError`` if incomplete."""
    ctx = ctx or click.get_current_context()
    given = ctx.meta.get(_KEY, {})
    url = given.get("oauth_token_url")
    if not url:
        if given.get("client_id") or explicit(ctx, "client_secret"):
            raise click.UsageError(f"--client-id and --client-secret need {OAUTH_FLAG} URL")
        return None
    try:
        return OAuthSettings(url.strip(), given.get("client_id") or "", given.get("client_secret") or "",
                             scope=given.get("oauth_scope"), audience=given.get("audience"),
                             client_auth=given.get("client_auth") or "basic",
                             expiry_wait=float(given.get("oauth_expiry_wait", 5.0)))
    except ValueError as exc:
        raise click.UsageError(str(exc)) from None


def explicit(ctx: click.Context, name: str) -> bool:
    """Whether option ``name`` was typed on the command line (not an environment default)."""
    source = ctx.get_parameter_source(name)
    return source is not None and source is not click.core.ParameterSource.ENVIRONMENT and \
        source is not click.core.ParameterSource.DEFAULT


def target_options(func: F) -> F:
    """``--target`` and one way to authenticate (``--token``, ``--basic``, ``--header`` or the
    OAuth options), ``--timeout`` and ``--insecure``: the set every command that talks to a
    target with the harness's credentials shares."""
    options = [
        click.option("--target", required=True, metavar="URL",
                     help="The SCIM base URL, where /Users lives (a query string such as ?aadOptscim062020 is kept)."),
        click.option("--token", envvar=list(TOKEN_ENV), metavar="T",
                     help="Bearer token (or set SCIM_HARNESS_TOKEN or SCIM_TOKEN, which keeps it out of shell "
                          "history)."),
        click.option("--basic", metavar="USER:PASS", help="HTTP Basic credentials instead of a token."),
        click.option("--header", "header", metavar="'NAME: VALUE'", help="A custom credential header instead of a token."),
        click.option("--timeout", type=click.FloatRange(min=0.05), default=10.0, show_default=True, metavar="S",
                     help="Seconds to wait for each response."),
        click.option("--insecure", is_flag=True, help="Do not verify the target's TLS certificate (lab use only)."),
    ]
    func = oauth_options(func)  # listed after --header in --help
    for option in reversed(options):
        func = option(func)
    return func


def chosen_token(token: str | None, basic: str | None, header: str | None) -> str | None:
    """The token, unless it only came from $SCIM_HARNESS_TOKEN/$SCIM_TOKEN while --basic, --header
    or OAuth was given (an exported token does not compete with explicit credentials)."""
    ctx = click.get_current_context()
    if (basic or header or oauth_settings(ctx)) and ctx.get_parameter_source("token") is click.core.ParameterSource.ENVIRONMENT:
        return None
    return token
