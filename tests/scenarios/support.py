"""Building reference apps (plain, quirked, or wrapped in a fault) and running checks on them."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from typing import Any

from starlette.testclient import TestClient

from harness.http import Auth, Target, TargetClient
from harness.oauth import OAuthSettings
from tests.scenarios.faults import Fault
from tests.scenarios.proof import DEFAULT_BASE

TOKEN = "test-token"


def reference_app(quirks: tuple[str, ...] = (), fault: Fault | None = None, **settings: Any) -> Any:
    """The reference server (in-memory), with quirks switched on and wrapped in ``fault``."""
    from reference_server.app import create_app
    from reference_server.settings import ServerSettings

    app = create_app(ServerSettings(db=":memory:", tokens=(TOKEN,), quirks=tuple(quirks), **settings))
    return fault(app) if fault else app


@contextlib.contextmanager
def inprocess(app: Any, base: str = DEFAULT_BASE, oauth: tuple[str, str] | None = None) -> Iterator[TargetClient]:
    """A TargetClient whose requests go straight into ``app``, lifespan included.

    Redirects are not followed, as the harness's own client never follows them. With ``oauth``
    (client id, secret) it authenticates with tokens from the app's ``/oauth2/token``.
    """
    auth = Auth.bearer(TOKEN)
    if oauth is not None:
        auth = Auth.client_credentials(OAuthSettings(f"{base}/oauth2/token", *oauth, expiry_wait=3.0))
    with TestClient(app, base_url=base, raise_server_exceptions=False, follow_redirects=False) as http:
        client = TargetClient(Target(base, auth), http=http)
        yield client
