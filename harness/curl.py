"""A ``curl`` command line that reproduces one recorded request.

The command is for a POSIX shell. Every value that came from a recording (URL, header values,
body) is single-quoted with :func:`shlex.quote`, so nothing in it is expanded or executed by
the shell. The credential is never in the recording (it was redacted at record time); the
command reads it from the ``SCIM_TOKEN`` environment variable instead::

    export SCIM_TOKEN='...'
    curl -sS --globoff -X GET 'https://sp.example/scim/Users?filter=...' \\
      -H "Authorization: Bearer $SCIM_TOKEN"

``--globoff`` matters: SCIM filter paths such as ``members[value eq "x"]`` contain brackets
that curl would otherwise treat as a URL glob.
"""

from __future__ import annotations

import re
import shlex

from harness.recorder import Exchange
from harness.redact import REDACTED, SENSITIVE_HEADERS

__all__ = ["curl_command", "TOKEN_VARIABLE", "OAUTH_TOKEN_RECIPE", "uses_oauth"]

#: The environment variable the command reads the credential from.
TOKEN_VARIABLE = "SCIM_TOKEN"

# Headers curl computes itself, or that only describe our client: leaving them out keeps the
# command short and correct (a stale Content-Length would break it).
_DROPPED = frozenset({"host", "content-length", "connection", "accept-encoding", "user-agent", "transfer-encoding"})
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")  # an RFC 9110 token


#: How to fill ``$SCIM_TOKEN`` when the run used OAuth 2.0 client credentials (the secret stays
#: in the environment; the token endpoint answers JSON whose ``access_token`` is the bearer).
OAUTH_TOKEN_RECIPE = (
    f'export {TOKEN_VARIABLE}="$(curl -sS -u "$SCIM_CLIENT_ID:$SCIM_CLIENT_SECRET" '
    '-d grant_type=client_credentials "$SCIM_TOKEN_URL" '
    "| python3 -c 'import json,sys; print(json.load(sys.stdin)[\"access_token\"])')\""
)


def uses_oauth(options: object) -> bool:
    """Whether a run's recorded options say it authenticated with OAuth client credentials."""
    return isinstance(options, dict) and str(options.get("auth", "")).startswith("OAuth")


def _credential_header(name: str, value: str) -> str:
    """``-H "Name: Scheme $SCIM_TOKEN"`` for a redacted credential header.

    The name is an HTTP token (checked), so it holds no quote, ``$`` or backslash; the
    scheme (``Bearer``, ``Basic``...) is kept when the recording kept it.
    """
    scheme = value.replace(REDACTED, "").strip()
    scheme = scheme if scheme.isalpha() else ""
    credential = f"{scheme} ${TOKEN_VARIABLE}".strip()
    return f'-H "{name}: {credential}"'


def curl_command(exchange: Exchange, body_limit: int | None = None) -> str:
    """A shell-safe ``curl`` line for ``exchange``'s request, credential as ``$SCIM_TOKEN``.

    A request body cut at record time cannot be replayed exactly: the command then ends
    with a shell comment saying so. A body longer than ``body_limit`` characters is read
    from a file (``--data-binary @request-body.json``) and a comment says where to find it.
    """
    parts = [f"curl -sS --globoff -X {shlex.quote(exchange.method)} {shlex.quote(exchange.url)}"]
    for name, value in exchange.request_headers:
        lname = name.lower()
        if lname in _DROPPED:
            continue
        if not _HEADER_NAME.match(name):
            continue  # not a header curl could send; never let it reach the shell unquoted
        if lname in SENSITIVE_HEADERS or REDACTED in value:
            parts.append(_credential_header(name, value))
        else:
            parts.append("-H " + shlex.quote(f"{name}: {value}"))
    too_long = body_limit is not None and exchange.request_body is not None and len(exchange.request_body) > body_limit
    if too_long:
        parts.append("--data-binary @request-body.json")
    elif exchange.request_body is not None:
        parts.append("--data-binary " + shlex.quote(exchange.request_body))
    line = " \\\n  ".join(parts)
    if too_long:
        safe_id = re.sub(r"[^A-Za-z0-9._-]", "", exchange.id)[:40]  # a comment must stay one line
        line += (f"\n# request-body.json: the request body of exchange {safe_id}"
                 " in results.json (too long to inline here)")
    if exchange.request_truncated:
        line += "\n# the request body was cut when recorded; the full body is not known"
    return line
