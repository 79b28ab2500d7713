"""A minimal Django project around ``django-scim2-server`` (PyPI), as its README sets one up.

Glue only: Django's own user and group models (the library's defaults) and a bearer-token
check for the library's ``SCIM2_SERVER_AUTH_CHECK`` hook (authentication is the app's job).
"""

import os

SECRET_KEY = "interop-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_scim2_server",
]
MIDDLEWARE: list[str] = []
ROOT_URLCONF = "tests.interop.dj_scim2_server.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("INTEROP_DB", ":memory:")}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
USE_TZ = True
SCIM2_SERVER_AUTH_CHECK = "tests.interop.dj_scim2_server.auth.has_token"
