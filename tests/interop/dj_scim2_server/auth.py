"""Bearer-token check for django-scim2-server's ``SCIM2_SERVER_AUTH_CHECK`` hook."""

import hmac
import os

from django.http import HttpRequest


def has_token(request: HttpRequest) -> bool:
    token = os.environ.get("SCIM_TOKEN", "")
    return bool(token) and hmac.compare_digest(request.headers.get("Authorization", ""), f"Bearer {token}")
