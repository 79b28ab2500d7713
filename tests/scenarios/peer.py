"""The independent peer: the ``scim2-server`` package's SCIM app, built as its CLI builds it.

Served as WSGI over a real loopback socket (uvicorn ``interface="wsgi"``); its SCIM API lives
under ``/v2``.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from tests.live import serve

TOKEN = "peer-token"


def scim2_server_app(token: str = TOKEN) -> Any:
    from scim2_models import ScimProvider
    from scim2_server.memory import InMemoryStorage
    from scim2_server.service import ScimService
    from scim2_server.testserver.application import BEARER_TOKEN_SCHEME, BearerTokenApplication
    from scim2_server.utils import (
        load_default_resource_types,
        load_default_schemas,
        load_default_service_provider_config,
    )

    config = load_default_service_provider_config()
    config.authentication_schemes = [*(config.authentication_schemes or []), BEARER_TOKEN_SCHEME]
    provider = ScimProvider.from_discovery(
        load_default_schemas().values(), load_default_resource_types().values(), config=config
    )
    service = ScimService(provider, secret="scim-harness-peer-secret-0123456789abcdef")
    return BearerTokenApplication(InMemoryStorage(), provider, service=service, bearer_tokens=[token])


@contextlib.contextmanager
def serve_peer() -> Iterator[str]:
    """Serve scim2-server on 127.0.0.1; yields its SCIM base URL (``.../v2``)."""
    with serve(scim2_server_app(), interface="wsgi") as url:
        yield f"{url}/v2"
