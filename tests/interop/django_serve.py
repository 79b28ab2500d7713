"""Serve one of the Django interop apps: ``python -m tests.interop.django_serve SETTINGS PORT DB``.

Run as a subprocess by tests/interop/servers.py: Django settings are per process. Creates the
SQLite tables in DB, then serves the project's WSGI app with uvicorn on 127.0.0.1:PORT. The bearer token comes from ``SCIM_TOKEN``.
"""

from __future__ import annotations

import os
import sys

import uvicorn


def main(settings: str, port: int, db: str) -> None:
    os.environ["DJANGO_SETTINGS_MODULE"] = settings
    os.environ["INTEROP_DB"] = db
    os.environ["INTEROP_NETLOC"] = f"127.0.0.1:{port}"
    import django
    from django.core.management import call_command
    from django.core.wsgi import get_wsgi_application

    django.setup()
    call_command("migrate", run_syncdb=True, verbosity=0, interactive=False)
    config = uvicorn.Config(get_wsgi_application(), host="127.0.0.1", port=port, interface="wsgi",
                            log_level="warning", lifespan="off")
    uvicorn.Server(config).run()


if __name__ == "__main__":
    main(sys.argv[1], int(sys.argv[2]), sys.argv[3])
