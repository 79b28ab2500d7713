"""Proofs for the RFC 9865 cursor-pagination checks: each defect is a reference-server quirk."""

from __future__ import annotations

from tests.scenarios.proof import Proof

PROOFS: dict[str, Proof] = {
    "cursor.config-shape": Proof(quirks=("pagination-config-strings",), expect="not booleans"),
    "cursor.count-limits": Proof(quirks=("cursor-ignores-count",), expect="count=2 returned 5"),
    "cursor.next-cursor": Proof(quirks=("cursor-no-next",), expect="has no nextCursor"),
    "cursor.walk-all": Proof(quirks=("cursor-stuck",), expect="repeats resources"),
    "cursor.invalid-cursor": Proof(quirks=("cursor-error-500",), expect="answered 500"),
}
