"""The RFC 7643/7644 conformance suite: one module per area, each registering its checks.

Importing this package registers every check in :data:`harness.checks.REGISTRY`. The areas
below are imported explicitly; any further area module placed in this package (the query,
PATCH, ETag, bulk and group areas) is imported too, so adding a module is enough.
"""

from __future__ import annotations

import importlib
import pkgutil

from scenarios.conformance import (  # noqa: F401 - imported to register their checks
    attributes,
    auth,
    create,
    delete,
    discovery,
    errors,
    extensions,
    me,
    media,
    meta,
    read,
    replace,
    security,
)

_HELPERS = {"common"}
_named = {"attributes", "auth", "create", "delete", "discovery", "errors", "extensions", "me", "media", "meta",
          "read", "replace", "security"}

for _info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
    if _info.name not in _named | _HELPERS and not _info.name.startswith("_"):
        importlib.import_module(f"{__name__}.{_info.name}")
        _named.add(_info.name)

#: The area modules of the suite, by name.
MODULES: tuple[str, ...] = tuple(sorted(_named))

__all__ = ["MODULES"]
