"""The checks: the RFC conformance suite and the IdP readiness suites.

Importing ``scenarios`` registers every check in :data:`harness.checks.REGISTRY`.
"""

from __future__ import annotations

import importlib

from scenarios import conformance

__version__ = "0.1.0"
__all__: list[str] = ["__version__", "conformance"]

try:  # the IdP readiness suites live in their own package, which may not exist yet
    readiness = importlib.import_module("scenarios.readiness")
    __all__.append("readiness")
except ModuleNotFoundError as exc:
    if exc.name != "scenarios.readiness":
        raise
