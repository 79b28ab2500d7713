"""The harness: target client, recorder, check registry, runner and results."""

from harness.checks import REGISTRY, CheckContext, CheckSpec, check
from harness.clock import Clock, ScaledClock, SystemClock, VirtualClock
from harness.discovery import Discovery
from harness.http import Auth, Target, TargetClient
from harness.recorder import Exchange, Recorder
from harness.results import CheckResult, Level, Outcome, RunResult

__all__ = [
    "Auth",
    "CheckContext",
    "CheckResult",
    "CheckSpec",
    "Clock",
    "Discovery",
    "Exchange",
    "Level",
    "Outcome",
    "REGISTRY",
    "Recorder",
    "RunResult",
    "ScaledClock",
    "SystemClock",
    "Target",
    "TargetClient",
    "VirtualClock",
    "check",
]
