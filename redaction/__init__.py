"""One redaction layer for every output: recordings, results.json, JUnit, HTML, console, logs,
curl lines and HAR files.

A leaf package (standard library only) that both ``harness`` and ``reference_server`` import,
so the sensitive headers, query parameters and URL parts are listed once (:mod:`redaction.rules`).

    from redaction import Redactor, register_secret
    register_secret(client_secret, access_token)   # learnt at run time: hidden everywhere
    red = Redactor(["s3cret"])                      # a target's own credentials
    red.text(message); red.headers(pairs); red.url(url); red.body(body)
    path.write_text(scrub(document))                # every writer's last pass
"""

from redaction.body import redact_body, redact_json
from redaction.redactor import MIN_SECRET_LENGTH, Redactor, ScrubbedStream, register_secret, registered_secrets, scrub
from redaction.rules import (
    CREDENTIAL_SCHEMES,
    REDACTED,
    SENSITIVE_BODY_KEYS,
    SENSITIVE_HEADERS,
    SENSITIVE_QUERY_PARAMS,
    URL_CREDENTIALS_REFUSED,
    has_userinfo,
    mask_credential,
    mask_header,
    redact_query,
    redact_userinfo,
    strip_userinfo,
)

__all__ = [
    "CREDENTIAL_SCHEMES",
    "MIN_SECRET_LENGTH",
    "REDACTED",
    "Redactor",
    "ScrubbedStream",
    "SENSITIVE_BODY_KEYS",
    "SENSITIVE_HEADERS",
    "SENSITIVE_QUERY_PARAMS",
    "URL_CREDENTIALS_REFUSED",
    "has_userinfo",
    "mask_credential",
    "mask_header",
    "redact_body",
    "redact_json",
    "redact_query",
    "redact_userinfo",
    "register_secret",
    "registered_secrets",
    "scrub",
    "strip_userinfo",
]
