"""SCIM error types (RFC 7644 §3.12).

Every failure the reference server reports is a :class:`ScimError`.  The HTTP layer turns it into
an error response with :meth:`ScimError.to_body`; the ``status`` is a string in the body as
RFC 7644 §3.12 shows it, ``scimType`` appears only for the 400/409/413 detail codes of Table 9.
"""

from __future__ import annotations

from typing import Any

ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"


class ScimError(Exception):
    """A SCIM protocol error: HTTP ``status``, optional ``scim_type`` keyword, human ``detail``."""

    status: int = 400
    scim_type: str | None = None
    headers: tuple[tuple[str, str], ...] = ()  # extra response headers (Retry-After on a 503)

    def __init__(self, detail: str = "", *, status: int | None = None, scim_type: str | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        if status is not None:
            self.status = status
        if scim_type is not None:
            self.scim_type = scim_type

    def to_body(self) -> dict[str, Any]:
        """The RFC 7644 §3.12 error body (``status`` as a string)."""
        body: dict[str, Any] = {"schemas": [ERROR_URN], "status": str(self.status)}
        if self.scim_type:
            body["scimType"] = self.scim_type
        body["detail"] = self.detail
        return body

    def __repr__(self) -> str:
        return f"{type(self).__name__}(status={self.status}, scim_type={self.scim_type!r}, detail={self.detail!r})"


# --- 400 family with a scimType keyword (RFC 7644 §3.12 Table 9) ---------------------------------
class InvalidFilter(ScimError):
    scim_type = "invalidFilter"


class TooMany(ScimError):
    scim_type = "tooMany"


class Uniqueness(ScimError):
    status = 409
    scim_type = "uniqueness"


class Mutability(ScimError):
    scim_type = "mutability"


class InvalidSyntax(ScimError):
    scim_type = "invalidSyntax"


class InvalidPath(ScimError):
    scim_type = "invalidPath"


class NoTarget(ScimError):
    scim_type = "noTarget"


class InvalidValue(ScimError):
    scim_type = "invalidValue"


class InvalidVersion(ScimError):
    scim_type = "invalidVers"


class Sensitive(ScimError):
    status = 403
    scim_type = "sensitive"


# --- plain HTTP statuses (RFC 7644 §3.12 Table 8) -------------------------------------------------
class BadRequest(ScimError):
    status = 400


class Unauthorized(ScimError):
    status = 401


class Forbidden(ScimError):
    status = 403


class NotFound(ScimError):
    status = 404


class MethodNotAllowed(ScimError):
    status = 405


class Conflict(ScimError):
    status = 409


class PreconditionFailed(ScimError):
    status = 412


class PayloadTooLarge(ScimError):
    status = 413


class UnsupportedMediaType(ScimError):
    status = 415


class TooManyRequests(ScimError):
    status = 429


class InternalError(ScimError):
    status = 500


class ServiceUnavailable(ScimError):
    """503 (RFC 7644 §3.12): try again after ``retry_after`` seconds (sent as ``Retry-After``)."""

    status = 503

    def __init__(self, detail: str = "", *, retry_after: int = 1) -> None:
        super().__init__(detail)
        self.headers = (("retry-after", str(retry_after)),)


class NotImplemented(ScimError):  # noqa: A001 - the RFC name; shadows the builtin only in this module
    status = 501
