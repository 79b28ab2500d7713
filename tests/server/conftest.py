from __future__ import annotations

import pytest

from tests.server.helpers import Client, client


@pytest.fixture
def c() -> Client:
    return client()
