"""``serve --workers N``: N uvicorn worker processes sharing one PostgreSQL database.

uvicorn's own multi-process mode starts each worker from an import string (``factory``), so the
settings reach the workers through a file only the current user can read (mode 0600, removed when
the server stops): it holds the tokens, which must not go into the environment every child
process inherits.

What lives where, with several workers:
- shared, in the database: resources, memberships, live counts, ETag versions, recordings, the
  database key (credential fingerprints and the cursor signing key, so a cursor one worker issued
  is read by any other), the tenant registry and each tenant's data;
- per worker, in memory: quirk state (the ``rate-limit-429`` request counter counts the requests
  each worker saw) and the recorder's buffer (at most ``recorder.FLUSH_DELAY`` seconds).
OAuth access tokens live in the issuing process's memory, so ``--oauth-client`` is refused with
``--workers`` above 1 rather than answer 401 to a token another worker issued.

Each answer carries ``x-served-by: worker-<pid>`` when several workers serve, so a client (and
the tests) can see the load spread; a process id says nothing secret.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, fields
from typing import Any

from reference_server.settings import ServerSettings

SETTINGS_ENV = "SCIM_HARNESS_WORKER_SETTINGS"
_SERIALISED = [f.name for f in fields(ServerSettings) if f.name not in ("clock", "sleep")]


class WorkerTag:
    """ASGI wrapper adding ``x-served-by: worker-<pid>`` to every HTTP answer."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.tag = f"worker-{os.getpid()}".encode("ascii")

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def tagged(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                message = {**message, "headers": [*message.get("headers", []), (b"x-served-by", self.tag)]}
            await send(message)
        await self.app(scope, receive, tagged)


@contextmanager
def settings_file(payload: dict[str, Any]) -> Iterator[str]:
    """A 0600 JSON file holding ``payload`` while the workers run (its path is in SETTINGS_ENV)."""
    fd, path = tempfile.mkstemp(prefix="scim-workers-", suffix=".json")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            json.dump(payload, fh)
        os.environ[SETTINGS_ENV] = path
        yield path
    finally:
        os.environ.pop(SETTINGS_ENV, None)
        os.unlink(path)


def _payload() -> dict[str, Any]:
    with open(os.environ[SETTINGS_ENV], encoding="utf-8") as fh:
        data: dict[str, Any] = json.load(fh)
    return data


def _settings(raw: dict[str, Any]) -> ServerSettings:
    values: dict[str, Any] = {k: (tuple(v) if isinstance(v, list) else v) for k, v in raw.items() if k in _SERIALISED}
    if values.get("basic") is not None:
        values["basic"] = tuple(values["basic"])
    values["oauth_clients"] = tuple(tuple(c) for c in values.get("oauth_clients", ()))
    return ServerSettings(**values)


def scim_app() -> Any:
    """The uvicorn factory of one worker of the single-tenant server."""
    from reference_server.app import create_app

    return WorkerTag(create_app(_settings(_payload()["settings"])))


def tenant_app() -> Any:
    """The uvicorn factory of one worker of the multi-tenant server."""
    from reference_server.tenant_app import TenantServer
    from reference_server.tenants import TenantRegistry

    payload = _payload()
    return WorkerTag(TenantServer(TenantRegistry(payload["location"]), payload["admin_token"],
                                  _settings(payload["settings"])))


def run_workers(factory: str, payload: dict[str, Any], host: str, port: int, workers: int) -> None:
    """Serve ``factory`` ("scim_app" or "tenant_app") in ``workers`` processes until interrupted."""
    import uvicorn

    with settings_file(payload):
        uvicorn.run(f"reference_server.workers:{factory}", factory=True, host=host, port=port, workers=workers,
                    log_level="warning", access_log=False)


def serialise(settings: ServerSettings) -> dict[str, Any]:
    """The settings as JSON data (the clock and sleeper are the defaults in every worker)."""
    data = asdict(settings)
    return {k: data[k] for k in _SERIALISED}
