"""Bearer-token authentication: the part of a SCIM server django-scim2 leaves to the app."""

import hmac
import os


class ServiceClient:
    is_authenticated = True
    is_anonymous = False


class BearerTokenMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response
        self.expected = f"Bearer {os.environ.get('SCIM_TOKEN', '')}"

    def __call__(self, request):
        given = request.headers.get("Authorization", "")
        if os.environ.get("SCIM_TOKEN") and hmac.compare_digest(given, self.expected):
            request.user = ServiceClient()
        return self.get_response(request)
