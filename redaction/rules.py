"""What is sensitive, and how each kind of value is masked: the one list every output uses.

Read by the harness (``harness/recorder.py`` through :class:`redaction.Redactor`) and by the
reference server's request recorder (``reference_server/recorder.py``), so a header, query
parameter or URL part is hidden in both or in neither. Standard library only: this package is
a leaf that the import rule lets both sides use (docs/architecture.md).
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit, urlunsplit

__all__ = ["REDACTED", "SENSITIVE_HEADERS", "SENSITIVE_QUERY_PARAMS", "SENSITIVE_BODY_KEYS", "CREDENTIAL_SCHEMES",
           "URL_CREDENTIALS_REFUSED", "mask_header", "mask_credential", "redact_query", "redact_userinfo", "strip_userinfo",
           "has_userinfo"]

REDACTED = "[REDACTED]"

#: Header names whose values are always credentials (lower case).
SENSITIVE_HEADERS = frozenset({
    "authorization",
    "proxy-authorization",
    "cookie",
    "set-cookie",
    "x-api-key",
    "api-key",
    "x-auth-token",
    "x-scim-token",
})

#: Query parameters some clients put credentials in (``?access_token=``), lower case.
SENSITIVE_QUERY_PARAMS = frozenset({
    "access_token",
    "id_token",
    "refresh_token",
    "token",
    "api_key",
    "apikey",
    "password",
    "client_secret",
})

#: JSON members whose values are secrets in a body, lower case: a user's ``password`` (RFC 7643
#: §4.1.1) and what a token endpoint exchanges (RFC 6749 §4.4, §5.1).
SENSITIVE_BODY_KEYS = frozenset({"password", "access_token", "refresh_token", "id_token", "client_secret"})

#: Authorization schemes kept in front of a masked value, so a record still says how the client
#: authenticated (``Bearer [REDACTED]``).
CREDENTIAL_SCHEMES = frozenset({"bearer", "basic", "digest", "token"})

#: The one message every command gives for ``https://user:pass@host/`` (httpx would send the
#: user-info as Basic credentials, and URLs get printed and recorded).
URL_CREDENTIALS_REFUSED = "put credentials in --basic USER:PASS or --token, not in the target URL"


def mask_header(name: str, value: str) -> str:
    """``value`` with the credential masked when ``name`` is sensitive; the scheme word is kept."""
    return mask_credential(value) if name.lower() in SENSITIVE_HEADERS else value


def mask_credential(value: str) -> str:
    """A credential header's value masked: ``Bearer [REDACTED]`` (a known scheme kept), else ``[REDACTED]``."""
    scheme, _, rest = value.strip().partition(" ")
    if rest and scheme.lower() in CREDENTIAL_SCHEMES:
        return f"{scheme} {REDACTED}"
    return REDACTED


_QUERY_PARAM = re.compile(
    r"((?:^|[?&;])(?:" + "|".join(sorted(map(re.escape, SENSITIVE_QUERY_PARAMS), key=len, reverse=True))
    + r")=)[^&;#\s\"'<>\\]*",  # a value ends where a URL in a document (JSON, HTML, a log line) ends
    re.IGNORECASE,
)


_QUERY_HINTS = tuple(sorted(f"{name}=" for name in SENSITIVE_QUERY_PARAMS))


def redact_query(text: str) -> str:
    """Every sensitive parameter's value in a query string (or a whole URL) replaced."""
    if "=" not in text:
        return text
    low = text.lower()  # substring tests first: the regex runs only when a name is there (every URL passes here)
    if not any(hint in low for hint in _QUERY_HINTS):
        return text
    return _QUERY_PARAM.sub(lambda m: m.group(1) + REDACTED, text)


def has_userinfo(url: str) -> bool:
    """Whether ``url`` carries ``user[:password]@`` before its host."""
    try:
        return "@" in urlsplit(url.strip()).netloc
    except ValueError:
        return False


def strip_userinfo(url: str) -> str:
    """``url`` without ``user[:password]@`` (for a URL the user gave, printed back)."""
    if "@" not in url:
        return url
    try:
        parts = urlsplit(url)
    except ValueError:
        return url
    return urlunsplit((parts.scheme, parts.netloc.rsplit("@", 1)[-1], parts.path, parts.query, parts.fragment))


_USERINFO = re.compile(r"://[^/?#@\s\"'<>]*@")  # starts with a literal: a fast scan of long bodies


def redact_userinfo(text: str) -> str:
    """Every ``scheme://user:pass@`` in ``text`` (a URL, or a message quoting one) masked."""
    if "@" not in text or "://" not in text or _USERINFO.search(text) is None:
        return text
    return _USERINFO.sub("://" + REDACTED + "@", text)
