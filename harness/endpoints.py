"""Where a resource type lives: a ResourceType ``endpoint`` resolved against the base URL.

RFC 7643 §6 says the endpoint is "relative to the Base URL of the service provider, e.g.,
``/Users``": so ``Users`` and ``/Users`` both mean ``{base}/Users`` (the RFC's own example
starts with ``/``, which RFC 3986 alone would read as the origin's root). Servers we did not
write also advertise references RFC 3986 §5.2 resolves unambiguously:

- an absolute URL of the target's origin (``http://host/scim/v2/Users``);
- an absolute path that already holds the base path (``/scim/v2/Users`` when the base is
  ``http://host/scim/v2``).

Both are used as RFC 3986 resolves them, and both deviate from "relative to the base URL":
one finding of its own, never a cascade of requests to ``{base}/http://…`` or
``{base}/scim/v2/…``. An endpoint on another origin is refused (credentials are never sent
there). This is the one place the leading-``/`` rule lives.

The result's ``path`` is what :class:`harness.http.TargetClient` accepts: a path relative to
the base (``/Users``) when the endpoint lies under the base path, else the same-origin
absolute URL.
"""

from __future__ import annotations

from dataclasses import dataclass
from urllib.parse import urljoin, urlsplit, urlunsplit

from harness.idp.requests import GROUPS as IDP_GROUPS
from harness.idp.requests import USERS as IDP_USERS

__all__ = ["ResolvedEndpoint", "resolve_endpoint", "holds_base_path", "IDP_USERS", "IDP_GROUPS", "DEFAULT_ENDPOINTS"]

# Where the IdPs (Entra ID, JumpCloud, Okta) address users and groups, whatever /ResourceTypes
# says: {base}/Users and {base}/Groups (harness/idp, the one source of IdP facts). The run's
# first probe and the fallback for an advertised endpoint that does not answer use them too.
DEFAULT_ENDPOINTS = {"user": IDP_USERS, "group": IDP_GROUPS}

RELATIVE = "relative"  # "Users" or "/Users": as RFC 7643 §6 words it
ABSOLUTE_PATH = "absolute-path"  # "/scim/v2/Users": the base path included
ABSOLUTE_URL = "absolute-url"  # "http://host/scim/v2/Users", same origin
CROSS_ORIGIN = "cross-origin"  # another scheme, host or port: refused
INVALID = "invalid"  # empty or not a string


@dataclass(frozen=True)
class ResolvedEndpoint:
    advertised: str  # as /ResourceTypes wrote it
    path: str  # what the client is given: "/Users" (under the base) or a same-origin absolute URL
    url: str  # the absolute URL ("" when unknown: no base URL, or invalid)
    form: str  # RELATIVE | ABSOLUTE_PATH | ABSOLUTE_URL | CROSS_ORIGIN | INVALID

    @property
    def usable(self) -> bool:
        """May requests go there (same origin, a real reference)?"""
        return self.form not in (CROSS_ORIGIN, INVALID)

    @property
    def deviates(self) -> bool:
        """Not written relative to the base URL as RFC 7643 §6 says."""
        return self.form != RELATIVE


def holds_base_path(base_path: str, path: str) -> bool:
    """Is ``path`` an absolute path that already holds the base path (``/scim/v2/Users`` under
    ``/scim/v2``)? Then it is used as is (RFC 3986 §5.2), never appended to the base again.
    The client applies the same rule to every path it is given (e.g. a ``meta.location``
    written as an absolute path)."""
    base_path = base_path.rstrip("/")
    # Not ``path == base_path``: "/Users" under a base mistakenly ending in /Users stays relative.
    return bool(base_path) and path.startswith(base_path + "/")


def _origin(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return parts.scheme.lower(), parts.netloc.lower()


def resolve_endpoint(base_url: str, endpoint: object) -> ResolvedEndpoint:
    """Resolve ``endpoint`` (from /ResourceTypes) against ``base_url`` (see the module docstring).

    >>> resolve_endpoint("http://h/scim/v2", "/scim/v2/Users").path
    '/Users'
    >>> resolve_endpoint("http://h/scim/v2", "Users").url
    'http://h/scim/v2/Users'
    """
    if not isinstance(endpoint, str) or not endpoint.strip():
        return ResolvedEndpoint(str(endpoint or ""), "", "", INVALID)
    ep = endpoint.strip()
    base = urlsplit(base_url)
    base_path = base.path.rstrip("/")
    root = urlunsplit((base.scheme, base.netloc, base_path + "/", "", ""))  # no query: it is re-added per request
    ref = urlsplit(ep)
    if ref.scheme or ref.netloc:
        form = ABSOLUTE_URL
        url = urljoin(root, ep) if base.scheme else ep
        if base.scheme and _origin(url) != _origin(base_url):
            return ResolvedEndpoint(ep, url, url, CROSS_ORIGIN)
        if base.scheme:  # same origin: spelled as the base spells it (scheme and host have no case)
            parts = urlsplit(url)
            url = urlunsplit((base.scheme, base.netloc, parts.path, parts.query, parts.fragment))
    elif holds_base_path(base_path, ep):
        form, url = ABSOLUTE_PATH, urljoin(root, ep)
    else:
        form, url = RELATIVE, urljoin(root, ep.lstrip("/"))
    if not base.scheme:  # no base URL known (a Discovery built by hand): relative paths only
        return ResolvedEndpoint(ep, url if form == ABSOLUTE_URL else "/" + ep.lstrip("/"), "", form)
    parts = urlsplit(url)
    under = parts.path.startswith(base_path + "/") and not parts.query and not parts.fragment
    path = "/" + parts.path[len(base_path) + 1:] if under else url
    return ResolvedEndpoint(ep, path, url, form)
