"""The harness's door to the one redaction layer (the :mod:`redaction` package).

Everything the harness writes or prints is built from exchanges redacted when recorded
(:mod:`harness.recorder`) or passes a :class:`Redactor` on its way out; the lists of sensitive
headers, query parameters and URL parts are :mod:`redaction.rules`, shared with the reference
server. Import from here or from :mod:`redaction`: they are the same objects.
"""

from __future__ import annotations

from redaction import (
    REDACTED,
    SENSITIVE_HEADERS,
    SENSITIVE_QUERY_PARAMS,
    Redactor,
    register_secret,
    strip_userinfo,
)

__all__ = ["REDACTED", "SENSITIVE_HEADERS", "SENSITIVE_QUERY_PARAMS", "Redactor", "register_secret", "strip_userinfo"]
