"""The results model: what a run found. ``results.json`` is this model, serialised.

It is the source of truth: the console, JUnit, HTML and the pytest plugin render from it.
Schema documented in ``docs/results-schema.md``; bump :data:`SCHEMA_VERSION` on any
incompatible change.
"""

from __future__ import annotations

import enum
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.recorder import Exchange

__all__ = [
    "SCHEMA_VERSION",
    "READABLE_VERSIONS",
    "Outcome",
    "Level",
    "CheckResult",
    "Step",
    "RunResult",
    "Summary",
]

SCHEMA_VERSION = 2
#: Versions :meth:`RunResult.from_dict` reads: version 1 lacks ``verdicts`` and ``causes``, which
#: are derived from ``results`` and recomputed on reading (docs/results-schema.md).
READABLE_VERSIONS = (1, 2)


class Outcome(str, enum.Enum):
    PASS = "pass"
    FAIL = "fail"  # a MUST broken (target wrong)
    WARN = "warn"  # a SHOULD/MAY broken
    ERROR = "error"  # the harness could not judge (timeout, reset, unparseable, blocked)
    SKIP = "skip"  # not applicable, with the reason


class Level(str, enum.Enum):
    MUST = "MUST"
    SHOULD = "SHOULD"
    MAY = "MAY"


@dataclass
class Step:
    name: str
    outcome: Outcome = Outcome.PASS
    message: str = ""
    exchange_ids: list[str] = field(default_factory=list)


@dataclass
class CheckResult:
    """The verdict on one check or scenario, with its evidence."""

    id: str
    title: str
    area: str
    level: Level
    outcome: Outcome
    rests_on: str  # "RFC 7644 §3.4.2" or "idp-behaviors: Entra test connection"
    fix: str  # remediation text
    suites: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    message: str = ""  # one line: why it failed / was skipped
    expected: str = ""
    seen: str = ""
    idp_impact: str = ""  # e.g. "Entra ID will create duplicates on every cycle"
    exchange_ids: list[str] = field(default_factory=list)
    steps: list[Step] = field(default_factory=list)
    duration_ms: float = 0.0
    checklist: list[str] = field(default_factory=list)  # rfc-checklist ids, e.g. ["QRY-02"]
    cause: str = ""  # FAIL/WARN/ERROR: the root cause (harness.causes id); checks sharing one are one finding
    quote: str = ""  # the RFC sentence whose keyword (MUST/SHOULD/MAY) sets the level

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["level"] = self.level.value
        data["outcome"] = self.outcome.value
        for step in data["steps"]:
            step["outcome"] = step["outcome"].value if isinstance(step["outcome"], Outcome) else step["outcome"]
        data["duration_ms"] = round(self.duration_ms, 2)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "CheckResult":
        data = dict(data)
        data["level"] = Level(data["level"])
        data["outcome"] = Outcome(data["outcome"])
        data["steps"] = [
            Step(**{**s, "outcome": Outcome(s.get("outcome", "pass"))}) for s in data.get("steps", [])
        ]
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class Summary:
    total: int = 0
    passed: int = 0
    failed: int = 0
    warned: int = 0
    errored: int = 0
    skipped: int = 0

    @classmethod
    def of(cls, results: list[CheckResult]) -> "Summary":
        s = cls(total=len(results))
        for r in results:
            if r.outcome is Outcome.PASS:
                s.passed += 1
            elif r.outcome is Outcome.FAIL:
                s.failed += 1
            elif r.outcome is Outcome.WARN:
                s.warned += 1
            elif r.outcome is Outcome.ERROR:
                s.errored += 1
            else:
                s.skipped += 1
        return s


@dataclass
class RunResult:
    """A whole run (``kind`` = "conformance", "simulation", "fuzz" or "replay")."""

    kind: str
    target: str  # base URL, credentials never included
    started_at: str
    finished_at: str
    duration_ms: float
    exit_code: int
    results: list[CheckResult] = field(default_factory=list)
    exchanges: list[Exchange] = field(default_factory=list)
    suites: list[str] = field(default_factory=list)
    tool_version: str = "0.1.0"
    message: str = ""  # e.g. why the run could not test (exit 2)
    discovery: dict[str, Any] = field(default_factory=dict)  # what the target advertised
    options: dict[str, Any] = field(default_factory=dict)  # the run's settings, no secrets
    simulation: dict[str, Any] | None = None  # cycles, log file, differences (mock IdP)
    replay: dict[str, Any] | None = None  # session, counts, ids learned and remapped (scim-harness replay)

    @property
    def summary(self) -> Summary:
        return Summary.of(self.results)

    def to_dict(self) -> dict[str, Any]:
        from harness.verdicts import causes_dict, verdicts_dict  # verdicts read this model: imported late

        return {
            "schema_version": SCHEMA_VERSION,
            "kind": self.kind,
            "tool_version": self.tool_version,
            "target": self.target,
            "suites": self.suites,
            "started_at": self.started_at,
            "finished_at": self.finished_at,
            "duration_ms": round(self.duration_ms, 2),
            "exit_code": self.exit_code,
            "message": self.message,
            "options": self.options,
            "discovery": self.discovery,
            "summary": asdict(self.summary),
            "verdicts": verdicts_dict(self),
            "causes": causes_dict(self),
            "results": [r.to_dict() for r in self.results],
            "exchanges": [e.to_dict() for e in self.exchanges],
            "simulation": self.simulation,
            **({"replay": self.replay} if self.replay is not None else {}),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "RunResult":
        version = data.get("schema_version")
        if version not in READABLE_VERSIONS:
            raise ValueError(f"results.json schema_version {version!r} is not supported (this version reads "
                             f"{', '.join(map(str, READABLE_VERSIONS))})")
        return cls(
            kind=data["kind"],
            target=data["target"],
            started_at=data["started_at"],
            finished_at=data["finished_at"],
            duration_ms=data.get("duration_ms", 0.0),
            exit_code=data.get("exit_code", 0),
            results=[CheckResult.from_dict(r) for r in data.get("results", [])],
            exchanges=[Exchange.from_dict(e) for e in data.get("exchanges", [])],
            suites=data.get("suites", []),
            tool_version=data.get("tool_version", ""),
            message=data.get("message", ""),
            discovery=data.get("discovery", {}),
            options=data.get("options", {}),
            simulation=data.get("simulation"),
            replay=data.get("replay"),
        )
