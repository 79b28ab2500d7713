"""A proof that one check can fail: what to break, and what the failure must say."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from tests.scenarios.faults import Fault

#: Base URL of in-process runs. Loopback, so only the TLS check's proof sees a remote host.
DEFAULT_BASE = "http://127.0.0.1"


@dataclass(frozen=True)
class Proof:
    """How to make a check fail against the reference server, and the reason it must give.

    - ``quirks``: reference-server quirks to switch on (``ServerSettings(quirks=...)``);
    - ``fault``: an ASGI wrapper (tests/scenarios/faults.py) that injects the defect;
    - ``expect``: a substring (case-insensitive) of the failure's message or seen value;
    - ``baseline``: a wrapper that makes a check *applicable* on an otherwise correct server,
      for checks that skip against the plain reference server (e.g. nothing is returned=request
      there). The passing run uses the baseline; the failing run uses quirks + fault alone;
    - ``base_url``: where the faulty run believes the target is (the TLS check);
    - ``settings``: extra ``ServerSettings`` arguments for both runs.
    """

    expect: str
    quirks: tuple[str, ...] = ()
    fault: Fault | None = None
    baseline: Fault | None = None
    base_url: str = DEFAULT_BASE
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.quirks and self.fault is None and self.base_url == DEFAULT_BASE:
            raise ValueError("a proof needs a quirk, a fault or a base_url that breaks the check")
        if not self.expect:
            raise ValueError("a proof must say what the failure message contains")
