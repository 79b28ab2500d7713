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

from harness.discovery import Discovery
from harness.fixtures import OMIT, FixtureGate, group_body, user_body
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
    "OMIT",
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
#: The ``n`` of every name :meth:`CheckContext.unique` makes in this process. One sequence, not
#: one per check: each check has its own context, so a count per context left only six random hex
#: digits between two checks' names, and a target that keeps a deleted user's userName (soft
#: delete) answers 409 to a fixture whose name was drawn before in the run.
_NAME_SEQUENCE = itertools.count(1)



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
    def __init__(self, message: str, exchange: Exchange | None = None, cause: str = ""):
        super().__init__(message)
        self.message, self.exchange = message, exchange
        self.cause = cause  # the run finding that explains it (e.g. the fixture user was refused)


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


def _contains(expected: Any, seen: Any) -> bool:
    """Is ``expected`` still in ``seen``? (SCIM comparison: see :meth:`CheckContext.expect_kept`.)"""
    if isinstance(expected, dict):
        if not isinstance(seen, dict):
            return False
        lowered = {str(k).lower(): v for k, v in seen.items()}
        return all(_contains(v, lowered.get(str(k).lower())) for k, v in expected.items()
                   if v is not None and str(k).lower() not in ("$ref", "display"))
    if isinstance(expected, list):
        return isinstance(seen, list) and all(any(_contains(e, s) for s in seen) for e in expected)
    if isinstance(expected, str) and isinstance(seen, str):
        return expected.lower() == seen.lower()
    return bool(expected == seen)


class CheckContext(HttpVerbs):
    """What a check sees: the target client, discovery, unique names, created objects.

    Objects created through :meth:`create_user` / :meth:`create_group` (or registered with
    :meth:`created`) are deleted by :meth:`cleanup`, which the runner always calls.
    """

    def __init__(self, client: TargetClient, discovery: Discovery, prefix: str,
                 fixtures: FixtureGate | None = None) -> None:
        self.client = client
        self.discovery = discovery
        self.prefix = prefix
        self.fixtures = fixtures or FixtureGate()
        self.failed_on: Exchange | None = None  # the exchange a FAIL/ERROR was judged on (run_check sets it)
        self.exchange_ids: list[str] = []
        self.steps: list[Step] = []
        self.notes: list[str] = []
        self._created: list[str] = []  # resource paths, deleted in reverse order

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
        """A name no other run or check uses: ``<prefix><label>-<n>-<random>``. ``n`` never repeats
        in this process (:data:`_NAME_SEQUENCE`), so no two checks of a run share a name whatever
        the random part draws; the random part and the run's prefix keep other processes apart."""
        return f"{self.prefix}{label}-{next(_NAME_SEQUENCE)}-{uuid.uuid4().hex[:6]}"

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
        """A User the target's own /Schemas accepts (userName, name, work email, active, and
        whatever it marks required; harness/fixtures.py), with overrides: ``None`` sends JSON
        null, :data:`OMIT` leaves the attribute out."""
        user_name = attrs.pop("userName", None) or self.unique_email("u")
        return user_body(self.discovery, user_name, attrs)

    def group_body(self, **attrs: Any) -> dict[str, Any]:
        """A Group the target's own /Schemas accepts, with overrides (as :meth:`user_body`)."""
        display = attrs.pop("displayName", None) or self.unique("g")
        return group_body(self.discovery, display, attrs)

    def create_user(self, **attrs: Any) -> dict[str, Any]:
        """POST a user (precondition): ERROR, not FAIL, if the target cannot create it."""
        return self._create(self.users, self.user_body(**attrs), "user", plain=not attrs)

    def create_group(self, **attrs: Any) -> dict[str, Any]:
        return self._create(self.groups, self.group_body(**attrs), "group", plain=not attrs)

    def _create(self, endpoint: str, body: dict[str, Any], what: str, plain: bool = False) -> dict[str, Any]:
        from harness.run_findings import FIXTURE_GROUP_REFUSED, FIXTURE_USER_REFUSED  # late: it imports verdicts

        why = FIXTURE_USER_REFUSED if what == "user" else FIXTURE_GROUP_REFUSED
        refused = self.fixtures.refusal(what)
        if refused is not None:
            # One refusal of the schema-built fixture explains every check that needs one.
            raise CouldNotJudge(f"not judged: the target refused the test {what} built from its /Schemas "
                                f"(POST answered {refused.status}; see run.fixture-{what})", refused, why)
        ex = self.post(endpoint, body)
        if ex.error:
            raise CouldNotJudge(f"could not create the {what} this check needs: {ex.error}", ex)
        created = ex.json_or_none()
        if ex.status not in (200, 201) or not isinstance(created, dict) or not created.get("id"):
            if plain:
                self.fixtures.saw(what, ex)
            raise CouldNotJudge(
                f"could not create the {what} this check needs: {ex.method} {endpoint} answered {ex.status}",
                ex, why if plain and self.fixtures.refusal(what) is ex else "",
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

    def expect_kept(self, path: str, kept: dict[str, Any], *, changed: tuple[str, ...] | list[str] = (),
                    cause: str = "") -> dict[str, Any]:
        """Verify a write by reading back everything it should have kept.

        GET ``path`` and FAIL unless every attribute of ``kept`` (the resource as it was before
        the write, or the body that created it) is still there with its value, except the
        top-level attributes named in ``changed`` (the ones the write meant to change). This
        covers other attributes, extension attributes (``urn:…`` keys) and other members of a
        group. Compared as SCIM does: attribute names case-insensitively, strings
        case-insensitively, a multi-valued attribute as a set (order is not significant), and
        a complex value may gain sub-attributes (``display``, ``$ref``). ``meta``, ``id`` and
        attributes never returned (``password``) are not compared. Returns the resource read.

        Example::

            user = ctx.create_user()
            ctx.patch_op(path, {"op": "replace", "path": "displayName", "value": "New"})
            ctx.expect_kept(path, user, changed=["displayName"])
        """
        ex = self.get(path)
        body = self.expect_resource(ex, 200)
        skip = {"meta", "id", "password", *(c.lower() for c in changed)}
        for key, value in kept.items():
            if key.lower() in skip or value is None or value == [] or value == {}:
                continue
            seen = next((v for k, v in body.items() if k.lower() == key.lower()), None)
            self.expect(_contains(value, seen), f"{key} kept as {_show(value)}", seen, ex, cause=cause,
                        message=f"the write lost or changed {key}: it was {_show(value)}, now {_show(seen)}")
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
