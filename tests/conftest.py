"""Shared fixtures. Servers started here listen on 127.0.0.1 only."""

from __future__ import annotations

import pytest

from harness.clock import VirtualClock


@pytest.fixture
def clock() -> VirtualClock:
    return VirtualClock()


pytest_plugins = ["tests.pg"]  # pg_cluster / pg_dsn: a throwaway PostgreSQL for the store tests
