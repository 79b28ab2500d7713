"""Helpers for tests that run checks against an ASGI app (in-process or over a socket)."""

from __future__ import annotations

from typing import Any

from starlette.testclient import TestClient

from harness.checks import REGISTRY, CheckContext, run_check
from harness.discovery import discover
from harness.http import Auth, Target, TargetClient
from harness.results import CheckResult


def inprocess_client(app: Any, token: str = "test-token", base: str = "http://testserver") -> TargetClient:
    """A TargetClient whose requests go straight into ``app`` (no socket)."""
    http = TestClient(app, base_url=base, raise_server_exceptions=False)
    return TargetClient(Target(base, Auth.bearer(token)), http=http)


def run_one(check_id: str, client: TargetClient, prefix: str = "sht-") -> CheckResult:
    """Discover the target, then run one registered check against it."""
    discovery, _ = discover(client)
    ctx = CheckContext(client, discovery, prefix)
    return run_check(REGISTRY.get(check_id), ctx, client.recorder.redactor.text)
