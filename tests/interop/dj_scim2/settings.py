"""A minimal Django project around ``django-scim2`` (PyPI), as its documentation sets one up.

Glue only: a user and a group model built from the library's mixins, a bearer-token check
(authentication is the application's job), the settings the library requires.
"""

import os

SECRET_KEY = "interop-only-not-a-secret"
DEBUG = False
ALLOWED_HOSTS = ["127.0.0.1", "localhost"]
INSTALLED_APPS = [
    "django.contrib.contenttypes",
    "django.contrib.auth",
    "django_scim",
    "tests.interop.dj_scim2",
]
MIDDLEWARE = [
    "tests.interop.dj_scim2.auth.BearerTokenMiddleware",
    "django_scim.middleware.SCIMAuthCheckMiddleware",
]
ROOT_URLCONF = "tests.interop.dj_scim2.urls"
DATABASES = {"default": {"ENGINE": "django.db.backends.sqlite3", "NAME": os.environ.get("INTEROP_DB", ":memory:")}}
DEFAULT_AUTO_FIELD = "django.db.models.AutoField"
AUTH_USER_MODEL = "dj_scim2.User"
USE_TZ = True
SCIM_SERVICE_PROVIDER = {
    "NETLOC": os.environ.get("INTEROP_NETLOC", "127.0.0.1"),
    "SCHEME": "http",
    "GROUP_MODEL": "tests.interop.dj_scim2.models.Group",
    # The library's default challenge is Basic; this app takes bearer tokens, so it says so.
    "WWW_AUTHENTICATE_HEADER": 'Bearer realm="django-scim2"',
    "AUTHENTICATION_SCHEMES": [
        {"type": "oauthbearertoken", "name": "OAuth Bearer Token", "description": "A bearer token"},
    ],
}
