"""The harness: target client, recorder, check registry, runner and results."""

from harness.checks import REGISTRY, CheckContext, CheckSpec, check
from harness.clock import Clock, ScaledClock, SystemClock, VirtualClock
from harness.config import RunConfig
from harness.discovery import Discovery
from harness.events import EventHandler
from harness.http import Auth, Target, TargetClient
from harness.recorder import Exchange, Recorder
from harness.results import CheckResult, Level, Outcome, RunResult
from harness.runner import run_suite

__all__ = [
    "Auth",
    "CheckContext",
    "CheckResult",
    "CheckSpec",
    "Clock",
    "Discovery",
    "EventHandler",
    "Exchange",
    "Level",
    "Outcome",
    "REGISTRY",
    "Recorder",
    "RunConfig",
    "RunResult",
    "ScaledClock",
    "SystemClock",
    "Target",
    "TargetClient",
    "VirtualClock",
    "check",
    "run_suite",
]
