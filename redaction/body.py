"""Secrets inside a body: a ``password`` (RFC 7643 §4.1.1) or a token endpoint's values anywhere.

:func:`redact_body` is applied to every body the harness records (``Redactor.body``, called by
``harness/recorder.py``), so each output built from recordings (results.json, HAR, HTML reports,
replay, simulate) shows ``[REDACTED]`` in their place; the reference server's recorder uses
:func:`redact_json` on what it keeps. Hidden, at any depth:

- the value of any JSON member named in :data:`SENSITIVE_BODY_KEYS` (any case: SCIM attribute
  names are case-insensitive, RFC 7643 §2.1);
- the ``value`` of a PATCH operation whose ``path`` names one (``{"op": "replace", "path":
  "password", "value": "…"}``, RFC 7644 §3.5.2);
- in a form body (a token request), the values of :data:`SENSITIVE_QUERY_PARAMS`.

A body cut at the record bound is no longer JSON: the same members are masked textually.
"""

from __future__ import annotations

import json
import re
from typing import Any

from redaction.rules import REDACTED, SENSITIVE_BODY_KEYS, redact_query

__all__ = ["redact_body", "redact_json", "HINTS"]

_KEYS = "|".join(sorted(map(re.escape, SENSITIVE_BODY_KEYS), key=len, reverse=True))
#: A cheap first look, run on every recorded body: a body that spells none of these (lower-cased)
#: holds no sensitive name and is returned untouched. Every name in SENSITIVE_BODY_KEYS contains
#: one (tests/test_body_redaction.py); substring scans cost ~1.5 us on a 500-byte body, a regex ~40.
HINTS = ("password", "token", "secret")
_STRING = r'"(?:[^"\\]|\\.)*(?:"|$)'  # a JSON string, or its start when the text was cut inside it
#: ``"password": "…"`` in text that does not parse (cut at the record bound).
_MEMBER = re.compile(r'("(?:' + _KEYS + r')"\s*:\s*)' + _STRING, re.IGNORECASE)
_PATCH_PATH = re.compile(r'"path"\s*:\s*"[^"]*(?:' + _KEYS + r')', re.IGNORECASE)
_VALUE = re.compile(r'("value"\s*:\s*)' + _STRING, re.IGNORECASE)


def _sensitive_path(path: str) -> bool:
    """Whether a PATCH path names a sensitive attribute (``password``, ``urn:…:User:password``)."""
    attribute = path.split("[", 1)[0].rsplit(":", 1)[-1]
    return any(part.lower() in SENSITIVE_BODY_KEYS for part in attribute.split("."))


def redact_json(value: Any) -> Any:
    """A copy of a parsed JSON value with every sensitive member's value (and every PATCH
    operation's ``value`` whose ``path`` names a sensitive attribute) replaced by ``[REDACTED]``."""
    if isinstance(value, dict):
        path = next((v for k, v in value.items() if k.lower() == "path" and isinstance(v, str)), None)
        hide_value = path is not None and _sensitive_path(path)
        return {k: REDACTED if k.lower() in SENSITIVE_BODY_KEYS or (hide_value and k.lower() == "value")
                else redact_json(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact_json(v) for v in value]
    return value


def redact_body(text: str) -> str:
    """``text`` (a request or response body) with the secrets it carries replaced."""
    if not text:
        return text
    low = text.lower()
    if not any(hint in low for hint in HINTS):
        return text
    if text.lstrip()[:1] not in ("{", "["):
        return redact_query(text) if "=" in text else text  # a form: client_secret=…&password=…
    try:
        data = json.loads(text)
    except (ValueError, RecursionError):
        masked = _MEMBER.sub(lambda m: m.group(1) + f'"{REDACTED}"', text)
        if _PATCH_PATH.search(masked):  # which operation a cut value belongs to is unknown: hide all values
            masked = _VALUE.sub(lambda m: m.group(1) + f'"{REDACTED}"', masked)
        return masked
    redacted = redact_json(data)
    return text if redacted == data else json.dumps(redacted, ensure_ascii=False)
