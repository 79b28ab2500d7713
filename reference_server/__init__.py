"""reference_server: a strict RFC 7643/7644 SCIM 2.0 service provider on SQLite.

    from reference_server import ServerSettings, create_app
    app = create_app(ServerSettings(db="scim.db", tokens=("secret",)))  # an ASGI app

Names are loaded lazily so that importing one pure module (e.g. ``reference_server.filter_eval``)
does not pull in Starlette.
"""

from __future__ import annotations

from typing import Any

__all__ = ["QUIRKS", "ScimApp", "ServerSettings", "__version__", "create_app", "list_profiles"]
__version__ = "0.1.0"


def __getattr__(name: str) -> Any:
    if name in ("create_app", "ScimApp"):
        from reference_server import app
        return getattr(app, name)
    if name == "ServerSettings":
        from reference_server.settings import ServerSettings
        return ServerSettings
    if name == "QUIRKS":
        from reference_server.quirks import CATALOGUE
        return CATALOGUE
    if name == "list_profiles":
        from reference_server.profiles import list_profiles
        return list_profiles
    raise AttributeError(f"module 'reference_server' has no attribute {name!r}")
