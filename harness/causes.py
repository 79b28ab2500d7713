"""Root causes: one defect in the target is one finding, however many checks it trips.

Several checks can judge the same behaviour from different angles (an RFC check and an Entra
and an Okta readiness check all need ``userName eq`` to be case-insensitive). Each such check
names the behaviour's cause; the results, console, report and IdP verdicts group failed
checks by cause and count causes, not checks.

Example::

    USERNAME_CASE = cause("username-eq-case-sensitive", "userName eq is case-sensitive")

    @check(id="entra.username-lookup-case", ..., cause=USERNAME_CASE)
    def username_lookup_case(ctx): ...

A check without a declared cause is its own cause (its id). A check may also name a cause
when it fails (``ctx.fail(..., cause=...)``), for a check that can fail for several reasons.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

__all__ = ["Cause", "cause", "cause_title", "known_causes"]


@dataclass(frozen=True)
class Cause:
    id: str
    title: str  # what is wrong with the target, in a few words


_CAUSES: dict[str, Cause] = {}
_LOCK = threading.Lock()


def cause(id: str, title: str) -> str:
    """Register a cause (idempotent for the same title) and return its id."""
    if not id or not title:
        raise ValueError("a cause needs an id and a title")
    with _LOCK:
        known = _CAUSES.get(id)
        if known is not None and known.title != title:
            raise ValueError(f"cause {id!r} is already registered as {known.title!r}")
        _CAUSES[id] = Cause(id, title)
    return id


def cause_title(id: str) -> str:
    """The title of a registered cause; the id itself when none was registered."""
    known = _CAUSES.get(id)
    return known.title if known else id


def known_causes() -> list[Cause]:
    return list(_CAUSES.values())
