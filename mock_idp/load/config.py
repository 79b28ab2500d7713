"""What one load run is: tenants, pace, bound and thresholds, parsed from the command line.

Pure data and parsing (no Locust, no gevent): the CLI process, the Locust processes and the
tests all read it. The whole config travels to local worker processes as JSON; a remote worker
gets it from the master without the credentials, which it brings itself.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import asdict, dataclass, field
from typing import Any

from harness.config import check_prefix

__all__ = ["LoadConfig", "TenantSpec", "Threshold", "LoadError", "parse_pace", "parse_duration", "parse_thresholds",
           "tenant_specs", "new_run_prefix"]


class LoadError(ValueError):
    """Bad input for a load run (exit 2, one line)."""


@dataclass(frozen=True)
class Threshold:
    """One ``--fail-on`` term: ``p95>1000ms``, ``errors>1%``, ``quarantined>0``, ``rps<50``."""

    metric: str
    op: str
    value: float
    text: str

    def broken(self, seen: float) -> bool:
        return seen > self.value if self.op == ">" else seen < self.value


#: metric -> unit words it accepts (the value is stored in ms, %, count or requests/s)
_METRICS = {"p50": "ms", "p95": "ms", "p99": "ms", "avg": "ms", "max": "ms", "errors": "%", "failures": "count",
            "quarantined": "count", "at_risk": "count", "escrowed": "count", "rps": "rps"}
_TERM = re.compile(r"\s*([a-z_0-9]+)\s*([<>])\s*([0-9]+(?:\.[0-9]+)?)\s*(ms|s|%)?\s*")


def parse_thresholds(text: str) -> tuple[Threshold, ...]:
    """``'p95>1000ms,errors>1%,quarantined>0'`` → thresholds; :class:`LoadError` names the bad term."""
    out: list[Threshold] = []
    for term in (t for t in text.split(",") if t.strip()):
        m = _TERM.fullmatch(term)
        if not m or m.group(1) not in _METRICS:
            raise LoadError(f"--fail-on term {term.strip()!r}: use METRIC>VALUE with METRIC one of "
                            f"{', '.join(_METRICS)} (e.g. 'p95>1000ms,errors>1%,quarantined>0')")
        metric, op, value, unit = m.group(1), m.group(2), float(m.group(3)), m.group(4)
        kind = _METRICS[metric]
        if kind == "ms":
            value = value * 1000 if unit == "s" else value
            if unit not in (None, "ms", "s"):
                raise LoadError(f"--fail-on term {term.strip()!r}: {metric} is a time (ms or s)")
        elif kind == "%" and unit not in (None, "%"):
            raise LoadError(f"--fail-on term {term.strip()!r}: errors is a percentage")
        elif kind in {"count", "rps"} and unit is not None:
            raise LoadError(f"--fail-on term {term.strip()!r}: {metric} takes a plain number")
        out.append(Threshold(metric, op, value, term.strip()))
    return tuple(out)


def parse_pace(text: str) -> float | None:
    """``documented`` → 1.0, ``Nx`` → 1/N (real seconds per IdP second), ``fast`` → None (no pacing)."""
    text = text.strip().lower()
    if text == "documented":
        return 1.0
    if text == "fast":
        return None
    if text.endswith("x"):
        try:
            factor = float(text[:-1])
        except ValueError:
            factor = 0
        if factor > 0:
            return 1 / factor
    raise LoadError(f"--pace must be documented, fast or a speed-up like 60x, not {text!r}")


def parse_duration(text: str) -> float:
    """``90s``, ``30m``, ``2h`` or plain seconds → seconds."""
    m = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?)\s*(s|m|h)?\s*", text or "")
    if not m or float(m.group(1)) <= 0:
        raise LoadError(f"--duration must look like 90s, 30m or 2h, not {text!r}")
    return float(m.group(1)) * {"s": 1, "m": 60, "h": 3600, None: 1}[m.group(2)]


def new_run_prefix() -> str:
    """A prefix for one run (``lt3f9a1c-``); each tenant adds ``t0007-`` to it."""
    return f"lt{secrets.token_hex(3)}-"


@dataclass(frozen=True)
class TenantSpec:
    index: int
    idp: str
    seed: int
    prefix: str
    users: int
    groups: int
    #: True: this tenant's initial cycle is part of the run; False: it was synced before (its
    #: objects are created first, unpaced, as a warm-up whose requests are named apart).
    initial: bool

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class LoadConfig:
    target_url: str
    idps: tuple[str, ...] = ("entra",)
    tenants: int = 10
    users: int = 100
    groups: int = 10
    initial_share: float = 1.0
    duration: float | None = None  # real seconds
    cycles: int | None = None  # incremental cycles (or the same span of directory time)
    pace: str = "documented"
    job_concurrency: int | None = None  # None: the profile's
    seed: int = 7
    run_prefix: str = field(default_factory=new_run_prefix)
    timeout: float = 10.0
    insecure: bool = False
    spawn_rate: float = 0.0  # tenants started per second; 0: all within about ten seconds
    thresholds: str = ""
    keep: bool = False

    def __post_init__(self) -> None:
        if self.duration is None and self.cycles is None:
            raise LoadError("give a bound: --duration 30m or --cycles K")
        if self.tenants < 1 or self.users < 0 or self.groups < 0:
            raise LoadError("--tenants must be >= 1, --users and --groups >= 0")
        if not 0 <= self.initial_share <= 1:
            raise LoadError("--initial-share must be between 0 and 1")
        if self.job_concurrency is not None and self.job_concurrency < 1:
            raise LoadError("--job-concurrency must be >= 1")
        parse_pace(self.pace)
        parse_thresholds(self.thresholds)
        check_prefix(self.run_prefix)

    @property
    def factor(self) -> float | None:
        return parse_pace(self.pace)

    @property
    def rate(self) -> float:
        return self.spawn_rate or max(1.0, self.tenants / 10)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["idps"] = list(self.idps)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "LoadConfig":
        data = dict(data)
        data["idps"] = tuple(data.get("idps", ("entra",)))
        return cls(**data)


def _tenant_seed(seed: int, index: int) -> int:
    digest = hashlib.sha256(f"{seed}:{index}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def tenant_specs(config: LoadConfig) -> list[TenantSpec]:
    """Tenant i: IdP ``idps[i % len]``, its own seed and prefix; the first share run their initial cycle."""
    initial = round(config.initial_share * config.tenants)
    return [TenantSpec(i, config.idps[i % len(config.idps)], _tenant_seed(config.seed, i),
                       f"{config.run_prefix}t{i:04d}-", config.users, config.groups, i < initial)
            for i in range(config.tenants)]
