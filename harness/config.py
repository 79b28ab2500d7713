"""The settings of one conformance run: :class:`RunConfig`.

Built from command-line options by :meth:`RunConfig.from_options` (the CLI stays a thin
shell), or directly in code and tests. Credentials live only inside :class:`~harness.http.Auth`,
whose ``repr`` hides them, and :meth:`RunConfig.to_options` (what results.json records)
never includes them.

Example::

    config = RunConfig.from_options(target="https://app.example.com/scim/v2", token="s3cret",
                                    suites=("entra",), workers=4)
    result = run_suite(config)
"""

from __future__ import annotations

import ipaddress
import os
import re
import secrets
import shlex
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from harness.checks import SUITES
from harness.http import Auth, Target
from harness.oauth import OAuthSettings
from harness.redact import Redactor
from harness.results import Outcome
from redaction import URL_CREDENTIALS_REFUSED, has_userinfo, strip_userinfo

__all__ = ["RunConfig", "ConfigError", "FAIL_ON", "fails_run", "new_prefix", "check_prefix", "is_loopback", "public_url",
           "TOKEN_ENV", "token_from_env", "CLI_FLAGS", "cleanup_command",
           "require_writable_dir"]

#: ``--fail-on`` levels: ``must`` fails the run on FAIL only, ``should`` on FAIL or WARN.
FAIL_ON = ("must", "should")


def fails_run(outcome: Outcome, fail_on: str = "must") -> bool:
    """Whether a result fails the run at this ``--fail-on`` level (the one rule: exit codes, pytest).

    FAIL always does, and ERROR too (the verdict is incomplete); WARN only with ``should``.
    """
    return outcome in (Outcome.FAIL, Outcome.ERROR) or (outcome is Outcome.WARN and fail_on == "should")


_PREFIX_RE = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{2,39}")
DEFAULT_OUT = Path("scim-harness-out")
#: Where a bearer token may come from when no --token is given, first match wins. SCIM_TOKEN
#: is the name ``scim-harness serve``, ``simulate`` and every curl line in a report use, so a
#: user who exported it for one command is not told "give credentials" by the next.
TOKEN_ENV = ("SCIM_HARNESS_TOKEN", "SCIM_TOKEN")
#: How the three ways to authenticate are spelled on the command line (error messages name them).
CLI_FLAGS: tuple[str, str, str | None] = ("--token", "--basic", "--header")


def token_from_env(environ: Any = None) -> str | None:
    """The first non-empty token among :data:`TOKEN_ENV`, or ``None``."""
    env = os.environ if environ is None else environ
    return next((env[name] for name in TOKEN_ENV if env.get(name)), None)


class ConfigError(ValueError):
    """Bad run settings; the message says what to change (the CLI exits 2 with it)."""


def new_prefix() -> str:
    """A prefix unique to one run, e.g. ``sh-3f9a1c-``: every object the run creates starts with it."""
    return f"sh-{secrets.token_hex(3)}-"


def check_prefix(prefix: str) -> str:
    """Validate a prefix: 3-40 letters, digits, ``.``, ``_`` or ``-`` (it goes into names and filters)."""
    if not _PREFIX_RE.fullmatch(prefix or ""):  # fullmatch: "$" would accept a trailing newline
        raise ConfigError(
            f"prefix {prefix!r} must be 3-40 characters: letters, digits, '.', '_' or '-' (e.g. sh-3f9a1c-)"
        )
    return prefix


def is_loopback(url: str) -> bool:
    """Whether ``url``'s host is this machine (127.0.0.0/8, ::1 or ``localhost``)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def public_url(url: str, auth: Auth | None = None) -> str:
    """``url`` safe to print or record: no user-info, no sensitive query value, no credential."""
    redactor = Target("http://x", auth).redactor() if auth is not None else Redactor()
    return redactor.url(strip_userinfo(url))  # the redactor knows every form of the secret


def _split(values: Iterable[str]) -> tuple[str, ...]:
    """Repeatable options that also accept comma-separated lists: ``--suite entra,okta``."""
    out: list[str] = []
    for value in values:
        out.extend(v.strip() for v in str(value).split(",") if v.strip())
    return tuple(out)


@dataclass(frozen=True)
class RunConfig:
    """One run's settings. ``target`` carries the base URL, credentials, per-request timeout,
    TLS choice and read bound; the rest says what to run and how."""

    target: Target
    suites: tuple[str, ...] = ("all",)
    select: tuple[str, ...] = ()  # ids, id prefixes ending in '*', tags, areas, checklist ids
    exclude: tuple[str, ...] = ()
    out: Path = DEFAULT_OUT
    fail_on: str = "must"
    workers: int = 1
    run_timeout: float | None = None  # seconds; None = no limit
    prefix: str = field(default_factory=new_prefix)

    def __post_init__(self) -> None:
        unknown = set(self.suites) - set(SUITES) - {"all"}
        if not self.suites or unknown:
            raise ConfigError(f"unknown suite(s) {sorted(unknown)}: choose from {', '.join((*SUITES, 'all'))}")
        if self.fail_on not in FAIL_ON:
            raise ConfigError(f"--fail-on must be one of {', '.join(FAIL_ON)}, not {self.fail_on!r}")
        if not 1 <= self.workers <= 32:
            raise ConfigError(f"--workers must be between 1 and 32, not {self.workers}")
        if self.run_timeout is not None and self.run_timeout <= 0:
            raise ConfigError("--run-timeout must be a positive number of seconds")
        if self.target.timeout <= 0:
            raise ConfigError("--timeout must be a positive number of seconds")
        check_prefix(self.prefix)

    def __repr__(self) -> str:
        return (f"RunConfig(target={self.url!r}, auth={self.target.auth.describe()!r}, suites={self.suites!r}, "
                f"select={self.select!r}, exclude={self.exclude!r}, out={str(self.out)!r}, fail_on={self.fail_on!r}, "
                f"workers={self.workers}, timeout={self.timeout:g}, run_timeout={self.run_timeout!r}, "
                f"prefix={self.prefix!r})")

    # -- derived ----------------------------------------------------------------------------
    @property
    def timeout(self) -> float:
        """The per-request timeout (seconds)."""
        return self.target.timeout

    @property
    def url(self) -> str:
        """The target's base URL, safe to print and record."""
        return public_url(self.target.base_url, self.target.auth)

    def plain_http_warning(self) -> str | None:
        """SEC-01: credentials over plain HTTP to another machine can be read on the way."""
        if urlsplit(self.target.base_url).scheme == "http" and not is_loopback(self.target.base_url):
            return (
                "the target uses plain http:// on a non-loopback host: the credentials travel unencrypted "
                "(RFC 7644 §7.1 requires TLS); use https:// outside a lab"
            )
        oauth = self.target.auth.oauth
        if oauth is not None and urlsplit(oauth.token_url).scheme == "http" and not is_loopback(oauth.token_url):
            return ("the token endpoint uses plain http:// on a non-loopback host: the client secret travels "
                    "unencrypted (RFC 6749 §2.3.1 requires TLS); use https:// outside a lab")
        return None

    def to_options(self) -> dict[str, Any]:
        """The settings as results.json records them: no secrets, only the kind of auth."""
        return {
            "suites": list(self.suites),
            "select": list(self.select),
            "exclude": list(self.exclude),
            "fail_on": self.fail_on,
            "workers": self.workers,
            "timeout_s": self.target.timeout,
            "run_timeout_s": self.run_timeout,
            "insecure": self.target.insecure,
            "prefix": self.prefix,
            "auth": self.target.auth.describe(),
        }

    # -- from the command line -----------------------------------------------------------------
    @classmethod
    def from_options(
        cls,
        *,
        target: str,
        token: str | None = None,
        basic: str | None = None,
        header: str | None = None,
        suites: Iterable[str] = ("all",),
        select: Iterable[str] = (),
        exclude: Iterable[str] = (),
        out: str | Path = DEFAULT_OUT,
        fail_on: str = "must",
        workers: int = 1,
        timeout: float = 10.0,
        run_timeout: float | None = None,
        insecure: bool = False,
        prefix: str | None = None,
        max_read: int | None = None,
        flags: tuple[str, str, str | None] = CLI_FLAGS,
        oauth: OAuthSettings | None = None,
    ) -> "RunConfig":
        """Build a config from CLI-shaped values; :class:`ConfigError` says what is wrong.

        ``flags`` spell the token/basic/header options in messages (the pytest plugin's are
        ``--scim-token`` …), so an error names an option the user can actually type.
        """
        return cls(
            target=make_target(target, token=token, basic=basic, header=header, timeout=timeout,
                               insecure=insecure, max_read=max_read, flags=flags, oauth=oauth),
            suites=_split(suites) or ("all",),
            select=_split(select),
            exclude=_split(exclude),
            out=Path(out),
            fail_on=fail_on,
            workers=workers,
            run_timeout=run_timeout,
            prefix=check_prefix(prefix) if prefix else new_prefix(),
        )


def make_target(
    url: str,
    *,
    token: str | None = None,
    basic: str | None = None,
    header: str | None = None,
    timeout: float = 10.0,
    insecure: bool = False,
    max_read: int | None = None,
    require_auth: bool = True,
    flags: tuple[str, str, str | None] = CLI_FLAGS,
    oauth: OAuthSettings | None = None,
) -> Target:
    """A :class:`Target` from CLI values: exactly one of token, basic, header, OAuth client credentials.

    ``flags`` are the option names to put in messages (``None`` for a command without a header
    option); the third is ignored when it is ``None``.
    """
    if has_userinfo(url):  # first: the same refusal from every command, whatever else is wrong
        raise ConfigError(URL_CREDENTIALS_REFUSED)
    token_flag, basic_flag, header_flag = flags
    prefix = token_flag[: -len("token")] if token_flag.endswith("token") else "--"  # --scim-token -> --scim-
    given = [name for name, value in ((token_flag, token), (basic_flag, basic), (header_flag, header),
                                      (f"{prefix}oauth-token-url", oauth)) if value and name]
    if len(given) > 1:
        raise ConfigError(f"give one way to authenticate, not {' and '.join(given)}")
    if not given and require_auth:
        ways = [f"{token_flag} T", f"{basic_flag} USER:PASS"] + ([f"{header_flag} 'Name: value'"] if header_flag else [])
        env = " or ".join(f"${name}" for name in TOKEN_ENV)
        raise ConfigError(f"give credentials: {', '.join(ways[:-1])} or {ways[-1]} (or set {env}), or OAuth client "
                          f"credentials: {prefix}oauth-token-url URL {prefix}client-id ID {prefix}client-secret S")
    if timeout <= 0:
        raise ConfigError("--timeout must be a positive number of seconds")
    try:
        auth = (Auth.client_credentials(oauth) if oauth else Auth.bearer(token) if token else Auth.basic(basic)
                if basic else Auth.header(header) if header else Auth())
    except ValueError as exc:
        raise ConfigError(str(exc)) from None
    if auth.kind == "header" and (not auth.header_name or not auth.header_value):
        raise ConfigError("a header must look like 'Name: value'")
    try:
        extra: dict[str, Any] = {"max_read": max_read} if max_read else {}
        return Target(url.strip(), auth, timeout=timeout, insecure=insecure, **extra)
    except ValueError as exc:
        raise ConfigError(str(exc)) from None


def require_writable_dir(out: Path) -> None:
    """Create ``out`` and prove a file can be written there, or :class:`ConfigError` saying why.

    Commands call it before they start: a run whose results cannot be written is wasted.
    """
    try:
        out.mkdir(parents=True, exist_ok=True)
        probe = out / ".scim-harness-write-test"
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise ConfigError(f"cannot write into --out {out}: {exc.strerror or exc}") from None


def cleanup_command(target: Target, prefix: str) -> str:
    """The ``scim-harness cleanup`` line a user can paste to remove what a run left behind.

    Complete (target and credentials option), never with a secret in it: a bearer token is
    ``"$SCIM_TOKEN"``, Basic and header credentials are placeholders.
    """
    oauth = target.auth.oauth
    credentials = {"bearer": '--token "$SCIM_TOKEN"', "basic": "--basic USER:PASS",
                   "header": "--header 'NAME: VALUE'",
                   "oauth": _oauth_command_options(oauth) if oauth else "",
                   }.get(target.auth.kind, "")
    url = public_url(target.base_url, target.auth).replace("'", "%27")
    return " ".join(part for part in ("scim-harness cleanup", f"--target '{url}'", credentials,
                                      f"--prefix {prefix}") if part)


def _oauth_command_options(oauth: OAuthSettings) -> str:
    """The OAuth options of a pasteable command; the secret stays in ``$SCIM_CLIENT_SECRET``."""
    parts = [f"--oauth-token-url {shlex.quote(public_url(oauth.token_url))}",
             f"--client-id {shlex.quote(oauth.client_id)}", '--client-secret "$SCIM_CLIENT_SECRET"']
    parts += [f"--oauth-scope {shlex.quote(oauth.scope)}"] if oauth.scope else []
    parts += [f"--audience {shlex.quote(oauth.audience)}"] if oauth.audience else []
    parts += ["--client-auth post"] if oauth.client_auth == "post" else []
    return " ".join(parts)
