"""The RFC 7643/7644 conformance suite: one module per area, each registering its checks.

Importing this package registers every check in :data:`harness.checks.REGISTRY`: every module
in this folder is imported, so adding an area module is enough. Helper modules (``common``
and names starting with ``_``) hold no checks.
"""

from __future__ import annotations

import importlib
import pkgutil

_HELPERS = {"common"}

#: The area modules of the suite, by name.
MODULES: tuple[str, ...] = tuple(
    sorted(i.name for i in pkgutil.iter_modules(__path__) if i.name not in _HELPERS and not i.name.startswith("_"))
)
for _name in MODULES:
    importlib.import_module(f"{__name__}.{_name}")

__all__ = ["MODULES"]
