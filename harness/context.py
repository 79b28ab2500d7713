"""The context a check runs in, and the outcomes it raises.

A check judges through ``ctx.expect*`` helpers, which raise :class:`CheckFailed` (FAIL, or
WARN for SHOULD/MAY checks), :class:`Skipped` (SKIP with the reason) or :class:`CouldNotJudge`
(ERROR: timeout, reset, unusable body, a precondition the target could not meet).
"""

from __future__ import annotations

import contextlib
import itertools
import json
import uuid
from collections.abc import Iterator
from typing import Any, NoReturn, Unpack

from harness.discovery import CORE_GROUP, CORE_USER, Discovery
from harness.http import HttpVerbs, RequestOptions, TargetClient
from harness.idp.requests import GROUPS as IDP_GROUPS
from harness.idp.requests import USERS as IDP_USERS
from harness.recorder import Exchange
from harness.results import Outcome, Step

__all__ = [
    "CheckContext",
    "CheckFailed",
    "Skipped",
    "CouldNotJudge",
    "ERROR_URN",
    "LIST_URN",
    "PATCH_URN",
    "SEARCH_URN",
    "BULK_REQUEST_URN",
    "BULK_RESPONSE_URN",
]

ERROR_URN = "urn:ietf:params:scim:api:messages:2.0:Error"
LIST_URN = "urn:ietf:params:scim:api:messages:2.0:ListResponse"
PATCH_URN = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
SEARCH_URN = "urn:ietf:params:scim:api:messages:2.0:SearchRequest"
BULK_REQUEST_URN = "urn:ietf:params:scim:api:messages:2.0:BulkRequest"
BULK_RESPONSE_URN = "urn:ietf:params:scim:api:messages:2.0:BulkResponse"

SEEN_LIMIT = 400  # characters of a seen value kept in a finding
TRANSIENT = (429, 503)  # statuses that mean "try later", not "wrong"



# -- outcomes as exceptions ---------------------------------------------------------------
class CheckFailed(Exception):
    def __init__(self, message: str, expected: str = "", seen: str = "", exchange: Exchange | None = None,
                 cause: str = ""):
        super().__init__(message)
        self.message, self.expected, self.seen, self.exchange = message, expected, seen, exchange
        self.cause = cause  # a harness.causes id; "" = the check's own cause


class Skipped(Exception):
    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


class CouldNotJudge(Exception):
    def __init__(self, message: str, exchange: Exchange | None = None):
        super().__init__(message)
        self.message, self.exchange = message, exchange


# -- the context a check runs in ------------------------------------------------------------
def _show(value: Any) -> str:
    if isinstance(value, str):
        text = value
    else:
        try:
            text = json.dumps(value, ensure_ascii=False, sort_keys=True)
        except (TypeError, ValueError):
            text = repr(value)
    return text if len(text) <= SEEN_LIMIT else text[:SEEN_LIMIT] + "…"


class CheckContext(HttpVerbs):
    """What a check sees: the target client, discovery, unique names, created objects.

    Objects created through :meth:`create_user` / :meth:`create_group` (or registered with
    :meth:`created`) are deleted by :meth:`cleanup`, which the runner always calls.
    """

    def __init__(self, client: TargetClient, discovery: Discovery, prefix: str) -> None:
        self.client = client
        self.discovery = discovery
        self.prefix = prefix
        self.exchange_ids: list[str] = []
        self.steps: list[Step] = []
        self.notes: list[str] = []
        self._created: list[str] = []  # resource paths, deleted in reverse order
        self._counter = itertools.count(1)

    # -- names and endpoints -------------------------------------------------------------
    @property
    def users(self) -> str:
        return self.discovery.endpoint("User", "/Users")

    @property
    def groups(self) -> str:
        return self.discovery.endpoint("Group", "/Groups")

    # The IdPs never read /ResourceTypes: they address {base}/Users and {base}/Groups.
    @property
    def idp_users(self) -> str:
        return IDP_USERS

    @property
    def idp_groups(self) -> str:
        return IDP_GROUPS

    def unique(self, label: str = "x") -> str:
        """A name no other run or check uses: ``<prefix><label>-<n>-<random>``."""
        return f"{self.prefix}{label}-{next(self._counter)}-{uuid.uuid4().hex[:6]}"

    def unique_email(self, label: str = "u") -> str:
        return f"{self.unique(label)}@example.com"

    # -- HTTP, with evidence collected ----------------------------------------------------
    def request(self, method: str, path: str, **kw: Unpack[RequestOptions]) -> Exchange:
        ex = self.client.request(method, path, **kw)
        self.exchange_ids.append(ex.id)
        if self.steps:
            self.steps[-1].exchange_ids.append(ex.id)
        return ex

    def patch_op(self, path: str, *operations: dict[str, Any], **kw: Any) -> Exchange:
        """PATCH with a well-formed PatchOp body holding ``operations``."""
        return self.patch(path, {"schemas": [PATCH_URN], "Operations": list(operations)}, **kw)

    # -- building and creating objects -----------------------------------------------------
    def user_body(self, **attrs: Any) -> dict[str, Any]:
        """A minimal valid User (userName, name, work email, active) with overrides."""
        user_name = attrs.pop("userName", None) or self.unique_email("u")
        body: dict[str, Any] = {
            "schemas": [CORE_USER],
            "userName": user_name,
            "name": {"givenName": "Test", "familyName": "User"},
            "displayName": "Test User",
            "emails": [{"value": user_name if "@" in user_name else f"{user_name}@example.com", "type": "work", "primary": True}],
            "active": True,
        }
        body.update(attrs)
        return body

    def group_body(self, **attrs: Any) -> dict[str, Any]:
        body: dict[str, Any] = {"schemas": [CORE_GROUP], "displayName": self.unique("g")}
        body.update(attrs)
        return body

    def create_user(self, **attrs: Any) -> dict[str, Any]:
        """POST a user (precondition): ERROR, not FAIL, if the target cannot create it."""
        return self._create(self.users, self.user_body(**attrs), "user")

    def create_group(self, **attrs: Any) -> dict[str, Any]:
        return self._create(self.groups, self.group_body(**attrs), "group")

    def _create(self, endpoint: str, body: dict[str, Any], what: str) -> dict[str, Any]:
        ex = self.post(endpoint, body)
        if ex.error:
            raise CouldNotJudge(f"could not create the {what} this check needs: {ex.error}", ex)
        created = ex.json_or_none()
        if ex.status not in (200, 201) or not isinstance(created, dict) or not created.get("id"):
            raise CouldNotJudge(
                f"could not create the {what} this check needs: {ex.method} {endpoint} answered {ex.status}",
                ex,
            )
        self.created(f"{endpoint}/{created['id']}")
        return created

    def created(self, path: str) -> None:
        """Register an object for cleanup (a resource path such as ``/Users/123``)."""
        self._created.append(path)

    def forget(self, path: str) -> None:
        """The check deleted ``path`` itself."""
        if path in self._created:
            self._created.remove(path)

    def cleanup(self) -> list[str]:
        """Delete what this check created, newest first; returns what could not be removed."""
        left: list[str] = []
        while self._created:
            path = self._created.pop()
            ex = self.client.request("DELETE", path)  # not evidence: housekeeping
            if ex.error or ex.status not in (200, 204, 404):
                left.append(path)
        return left

    # -- judging -----------------------------------------------------------------------------
    def fail(self, message: str, expected: Any = "", seen: Any = "", ex: Exchange | None = None,
             cause: str = "") -> NoReturn:
        raise CheckFailed(message, _show(expected), _show(seen), ex, cause)

    def skip(self, reason: str) -> NoReturn:
        raise Skipped(reason)

    def expect(self, condition: Any, expected: Any, seen: Any, ex: Exchange | None = None, message: str = "",
               cause: str = "") -> None:
        if not condition:
            self.fail(message or f"expected {_show(expected)}, saw {_show(seen)}", expected, seen, ex, cause)

    def expect_answer(self, ex: Exchange) -> Exchange:
        """ERROR (could not judge) if the request got no HTTP answer at all."""
        if ex.error or ex.status is None:
            raise CouldNotJudge(f"{ex.method} {ex.url}: {ex.error or 'no response'}", ex)
        return ex

    def expect_status(self, ex: Exchange, *statuses: int, message: str = "") -> Exchange:
        self.expect_answer(ex)
        if ex.status in TRANSIENT and ex.status not in statuses:
            # Rate limiting or a passing outage says nothing about conformance: not judged.
            retry = ex.header("Retry-After")
            raise CouldNotJudge(
                f"{ex.method} answered {ex.status}" + (f" (Retry-After: {retry})" if retry else "") + "; not judged",
                ex,
            )
        if ex.status not in statuses:
            want = " or ".join(str(s) for s in statuses)
            detail = ""
            body = ex.json_or_none()
            if isinstance(body, dict) and body.get("detail"):
                detail = f" ({_show(body.get('detail'))})"
            self.fail(
                message or f"{ex.method} answered {ex.status}{detail}, expected {want}",
                want,
                ex.status,
                ex,
            )
        return ex

    def expect_json(self, ex: Exchange) -> Any:
        """The parsed body; FAIL if a 2xx/4xx body is not JSON."""
        self.expect_answer(ex)
        if ex.too_large:
            raise CouldNotJudge(f"response body over {self.client.target.max_read} bytes", ex)
        try:
            return ex.json()
        except (ValueError, UnicodeDecodeError):
            self.fail("the response body is not JSON", "a JSON body", (ex.response_body or "")[:200], ex)
        raise AssertionError("unreachable")

    def expect_resource(self, ex: Exchange, *statuses: int) -> dict[str, Any]:
        self.expect_status(ex, *(statuses or (200,)))
        body = self.expect_json(ex)
        if not isinstance(body, dict):
            seen = type(body).__name__
            self.fail(f"expected a JSON object, saw {seen}", "a JSON object", seen, ex)
        return body

    def expect_list_response(self, ex: Exchange) -> dict[str, Any]:
        """200 with a ListResponse (RFC 7644 §3.4.2)."""
        body = self.expect_resource(ex, 200)
        schemas = body.get("schemas")
        self.expect(
            isinstance(schemas, list) and LIST_URN in schemas,
            f"schemas containing {LIST_URN}",
            schemas,
            ex,
        )
        return body

    def expect_error_status(self, ex: Exchange, *statuses: int, message: str = "") -> Exchange:
        """Judge only the status of an error answer. A check about a behaviour (409 on a
        duplicate, 404 on an unknown id) passes on the right status whatever the error body
        looks like: the error-shape checks judge the body, once (one cause, one finding)."""
        return self.expect_status(ex, *statuses, message=message)

    def expect_scim_error(self, ex: Exchange, status: int | tuple[int, ...], scim_type: str | None = None) -> dict[str, Any]:
        """An error answer with the SCIM Error schema, ``status`` as a string, and scimType."""
        statuses = status if isinstance(status, tuple) else (status,)
        self.expect_status(ex, *statuses)
        body = self.expect_json(ex)
        if not isinstance(body, dict):
            self.fail("the error body is not a JSON object", "a SCIM Error object", body, ex)
        schemas = body.get("schemas")
        self.expect(isinstance(schemas, list) and ERROR_URN in schemas, f"schemas [{ERROR_URN}]", schemas, ex,
                    message="the error body lacks the SCIM Error schema")
        self.expect(body.get("status") == str(ex.status), f'"status": "{ex.status}" (a string)', body.get("status"), ex,
                    message="the error's status is not the HTTP status as a string")
        if scim_type is not None:
            self.expect(body.get("scimType") == scim_type, f'scimType "{scim_type}"', body.get("scimType"), ex,
                        message=f"expected scimType {scim_type}, saw {_show(body.get('scimType'))}")
        return body

    # -- structure ------------------------------------------------------------------------
    @contextlib.contextmanager
    def step(self, name: str) -> Iterator[Step]:
        """Mark a scenario step; its exchanges and outcome are reported separately."""
        step = Step(name=name)
        self.steps.append(step)
        try:
            yield step
        except CheckFailed as exc:
            step.outcome, step.message = Outcome.FAIL, exc.message
            raise
        except Skipped as exc:
            step.outcome, step.message = Outcome.SKIP, exc.reason
            raise
        except Exception as exc:
            step.outcome, step.message = Outcome.ERROR, str(exc)
            raise

    def note(self, text: str) -> None:
        self.notes.append(text)
