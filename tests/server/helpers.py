"""Helpers for the reference-server service tests."""

from __future__ import annotations

import warnings
from datetime import datetime, timedelta, timezone
from typing import Any

from starlette.testclient import TestClient

from reference_server.app import ScimApp, create_app
from reference_server.settings import ServerSettings

warnings.filterwarnings("ignore", message=".*httpx2.*")

TOKEN = "test-token-0123456789abcdef"
AUTH = {"Authorization": f"Bearer {TOKEN}"}
USER = "urn:ietf:params:scim:schemas:core:2.0:User"
GROUP = "urn:ietf:params:scim:schemas:core:2.0:Group"
ENTERPRISE = "urn:ietf:params:scim:schemas:extension:enterprise:2.0:User"
PATCH_OP = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST = "urn:ietf:params:scim:api:messages:2.0:ListResponse"


class StepClock:
    """A clock that moves one second each time it is read (so lastModified visibly advances)."""

    def __init__(self) -> None:
        self.t = datetime(2026, 1, 1, tzinfo=timezone.utc)

    def __call__(self) -> datetime:
        self.t += timedelta(seconds=1)
        return self.t


class Client(TestClient):
    """TestClient with the test token; ``app`` is the ScimApp."""

    scim: ScimApp

    def user(self, user_name: str, /, **extra: Any) -> dict[str, Any]:
        r = self.post("/Users", json={"schemas": [USER], "userName": user_name, **extra})
        assert r.status_code == 201, r.text
        return r.json()

    def group(self, display_name: str, members: list[str] = (), /, **extra: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"schemas": [GROUP], "displayName": display_name, **extra}
        if members:
            body["members"] = [{"value": m} for m in members]
        r = self.post("/Groups", json=body)
        assert r.status_code == 201, r.text
        return r.json()

    def patch_ops(self, path: str, *ops: dict[str, Any], **kw: Any) -> Any:
        return self.patch(path, json={"schemas": [PATCH_OP], "Operations": list(ops)}, **kw)


def client(**settings: Any) -> Client:
    settings.setdefault("tokens", (TOKEN,))
    settings.setdefault("clock", StepClock())
    app = create_app(ServerSettings(**settings))
    c = Client(app, raise_server_exceptions=False)
    c.headers.update(AUTH)
    c.scim = app
    return c


def is_scim_error(r: Any, status: int, scim_type: str | None = None) -> bool:
    body = r.json()
    ok = (r.status_code == status and body.get("schemas") == [ERROR] and body.get("status") == str(status)
          and r.headers["content-type"].startswith("application/scim+json"))
    if scim_type is not None:
        ok = ok and body.get("scimType") == scim_type
    return ok
