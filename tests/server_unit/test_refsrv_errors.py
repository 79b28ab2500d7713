"""errors.py: RFC 7644 §3.12 error bodies and the status/scimType of every error type."""

from __future__ import annotations

import pytest

from reference_server import errors as e

TABLE = [
    (e.InvalidFilter, 400, "invalidFilter"), (e.TooMany, 400, "tooMany"), (e.Uniqueness, 409, "uniqueness"),
    (e.Mutability, 400, "mutability"), (e.InvalidSyntax, 400, "invalidSyntax"), (e.InvalidPath, 400, "invalidPath"),
    (e.NoTarget, 400, "noTarget"), (e.InvalidValue, 400, "invalidValue"), (e.InvalidVersion, 400, "invalidVers"),
    (e.Sensitive, 403, "sensitive"), (e.NotFound, 404, None), (e.Unauthorized, 401, None), (e.Forbidden, 403, None),
    (e.MethodNotAllowed, 405, None), (e.PreconditionFailed, 412, None), (e.PayloadTooLarge, 413, None),
    (e.UnsupportedMediaType, 415, None), (e.NotImplemented, 501, None), (e.TooManyRequests, 429, None),
    (e.BadRequest, 400, None), (e.Conflict, 409, None), (e.InternalError, 500, None),
]


@pytest.mark.parametrize(("cls", "status", "scim_type"), TABLE)
def test_status_and_scim_type(cls, status, scim_type):
    err = cls("what went wrong")
    assert isinstance(err, e.ScimError)
    assert (err.status, err.scim_type, err.detail) == (status, scim_type, "what went wrong")
    body = err.to_body()
    assert body["schemas"] == ["urn:ietf:params:scim:api:messages:2.0:Error"]
    assert body["status"] == str(status)  # a string, as RFC 7644 §3.12 shows it
    assert body["detail"] == "what went wrong"
    assert ("scimType" in body) == (scim_type is not None)
    if scim_type:
        assert body["scimType"] == scim_type


def test_overrides_per_instance():
    err = e.ScimError("x", status=418, scim_type="custom")
    assert err.to_body() == {"schemas": [e.ERROR_URN], "status": "418", "scimType": "custom", "detail": "x"}
    assert e.ScimError("y").scim_type is None and e.ScimError("y").status == 400


def test_repr_names_the_class_and_detail():
    assert repr(e.NotFound("no such user")) == "NotFound(status=404, scim_type=None, detail='no such user')"
