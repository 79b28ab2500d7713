"""Property-based fuzzing of a SCIM target with schemathesis (``scim-harness fuzz``).

``build_openapi`` describes a target from its own discovery; ``fuzz_target`` drives
schemathesis against it and returns a ``RunResult(kind="fuzz")`` whose findings carry a
minimal reproducing request and its ``curl`` line.
"""

from harness.fuzz.findings import Finding
from harness.fuzz.openapi import build_openapi
from harness.fuzz.runner import FuzzConfig, Progress, fuzz_target

__all__ = ["Finding", "FuzzConfig", "Progress", "build_openapi", "fuzz_target"]
