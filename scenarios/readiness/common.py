"""What the IdP readiness checks share: the IdPs' own requests, built from their profiles.

Every request a readiness check sends *as the IdP* is built by :mod:`harness.idp.requests`
from the IdP's profile (``harness/idp/profiles/*.toml``), the same builders the simulator's
engine uses, so ``run`` and ``simulate`` cannot disagree (tests/scenarios/test_readiness_forms.py
proves it). Such requests go out with the profile's Content-Type and User-Agent; the objects a
check needs beforehand (``ctx.create_user``) are the harness's own fixtures.

:func:`idp_check` registers a readiness check with the profiles whose forms it sends and the
knobs those forms rest on: a form resting on an unconfirmed fact is a SHOULD check whose
failure says "this form is unconfirmed" (a WARN, never a blocker). The IdPs never read the
ServiceProviderConfig, so no readiness check is skipped for what it says about filter or PATCH.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import Any

from harness.checks import CheckContext, CheckFailed, check
from harness.discovery import CORE_GROUP, CORE_USER, ENTERPRISE_USER
from harness.idp import requests as build
from harness.idp.profile import Profile, load_profile
from harness.idp.requests import Change, Request
from harness.recorder import Exchange
from harness.results import Level
from scenarios.causes import FILTER_IGNORED, FILTER_REFUSED, LOOKUP_MISS_NOT_EMPTY, PATCH_NOT_IMPLEMENTED
from scenarios.conformance.common import (  # one set of probes for both suites
    free_strings,
    ids_of,
    random_id,
    read_back,
    user_declares,
)

__all__ = [
    "ENTRA", "LEGACY", "JUMPCLOUD", "OKTA", "OKTA_AIW", "FORMS", "ENTRA_FLAG", "CORE_USER", "CORE_GROUP", "ENTERPRISE_USER",
    "Change", "build", "idp_check", "send", "send_patch", "find", "user_path", "group_path", "ids_of", "random_id",
    "read_back", "members", "free_strings", "user_declares", "not_applicable_without",
]

ENTRA = load_profile("entra")  # the Tenant URL carries ?aadOptscim062020
LEGACY = load_profile("entra-legacy")  # the default: no flag
JUMPCLOUD = load_profile("jumpcloud")
OKTA = load_profile("okta")  # OIN: PATCH updates, path-less deactivation
OKTA_AIW = load_profile("okta-aiw")  # App Integration Wizard: GET then PUT of the whole user (O1)
#: The flag an admin types onto Entra's Tenant URL to get RFC-compliant PATCH (seed 004, E2).
ENTRA_FLAG = ENTRA.tenant_url_query
#: check id -> names of the profiles whose request forms it sends (read by the forms test).
FORMS: dict[str, tuple[str, ...]] = {}

_IDP_NAMES = {"entra": "Entra ID", "entra-legacy": "Entra ID", "jumpcloud": "JumpCloud", "okta": "Okta"}


def idp_name(profile: Profile) -> str:
    return _IDP_NAMES.get(profile.name, profile.name)


def idp_check(*, id: str, forms: tuple[Profile, ...], knobs: tuple[str, ...] = (), level: Level = Level.MUST,
              unconfirmed: str = "", rests_on: str, **kw: Any) -> Callable[[Callable[[CheckContext], None]], Callable[[CheckContext], None]]:
    """Register a readiness check that sends the request forms of ``forms``.

    ``knobs`` are the profile knobs those forms rest on; if any is unconfirmed in any of the
    profiles (or ``unconfirmed`` names a fact no knob holds), the check is SHOULD and a failure
    says "this form is unconfirmed".
    """
    doubtful = sorted({k for p in forms for k in knobs if not p.is_confirmed(k)})
    why = ", ".join(doubtful) or unconfirmed
    if why:
        level = Level.SHOULD
        rests_on = f"{rests_on}; this form is unconfirmed ({why})"
    FORMS[id] = tuple(p.name for p in forms)

    def decorate(func: Callable[[CheckContext], None]) -> Callable[[CheckContext], None]:
        @functools.wraps(func)
        def judged(ctx: CheckContext) -> None:
            try:
                func(ctx)
            except CheckFailed as exc:
                if why:
                    note = f" (this form is unconfirmed: {why})"
                    for step in ctx.steps:  # the failed step says it too
                        if step.message == exc.message:
                            step.message += note
                    exc.message += note
                raise

        check(id=id, level=level, rests_on=rests_on, **kw)(judged)
        return func

    return decorate


# -- sending as the IdP -----------------------------------------------------------------------
def send(ctx: CheckContext, profile: Profile, request: Request, **kw: Any) -> Exchange:
    """Send ``request`` as the IdP does: its Content-Type and User-Agent, to ``{base}/Users``
    and ``{base}/Groups`` whatever /ResourceTypes says (the builders' paths)."""
    kw.setdefault("content_type", profile.content_type)
    return ctx.request(request.method, request.path, params=request.params or None, json=request.json,
                       headers={"User-Agent": profile.user_agent, **dict(profile.headers())}, **kw)


def send_patch(ctx: CheckContext, profile: Profile, request: Request, what: str, **kw: Any) -> Exchange:
    """Send the IdP's PATCH (or PUT); FAIL unless it answers 200 or 204. A 501 is the shared
    cause ``patch-form-501``, whichever IdP form met it."""
    ex = send(ctx, profile, request, **kw)
    if ex.status == 501:
        ctx.fail(f"{what} answered 501 (Not Implemented): {idp_name(profile)} cannot send this change",
                 "200 or 204", 501, ex, cause=PATCH_NOT_IMPLEMENTED)
    ctx.expect_status(ex, 200, 204, message=f"{what} answered {ex.status}, expected 200 or 204")
    return ex


def not_applicable_without(ctx: CheckContext, path: str, idp: str) -> None:
    """SKIP when the IdP's form needs ``path`` itself and the target's User schema does not
    declare it: a vendor removes such an attribute from the IdP's attribute mapping, so the IdP
    never sends the form (a form on a declared attribute is still judged)."""
    if not user_declares(ctx, path):
        ctx.skip(f"not applicable: the target does not declare {path}, so it is not in {idp}'s attribute mapping")


def user_path(ctx: CheckContext, user: dict[str, Any]) -> str:
    return f"{ctx.idp_users}/{user['id']}"


def group_path(ctx: CheckContext, group: dict[str, Any]) -> str:
    return f"{ctx.idp_groups}/{group['id']}"


def find(ctx: CheckContext, profile: Profile, kind: str, value: str, *, expect: str | None, cause: str | None = None,
         decoy: bool = True, message: str = "", **kw: Any) -> tuple[dict[str, Any], Exchange]:
    """The IdP's lookup of ``value``, judged as the IdP reads it.

    A decoy (created first) must not match: a filter that is ignored returns it, and the IdP
    takes the first result as its match. A refused filter, an ignored one, and a miss that is
    not an empty list are blockers named by their shared cause. ``expect`` is the one id the
    lookup must return (None: a miss); ``cause`` and ``message`` name any other wrong result
    (by default a wrong miss is ``lookup-miss-not-empty-list``). Returns the ListResponse.
    """
    decoy_id = str((ctx.create_user() if kind == "User" else ctx.create_group())["id"]) if decoy else None
    ex = send(ctx, profile, build.lookup(profile, kind, value), **kw)
    ctx.expect_answer(ex)
    idp, what = idp_name(profile), kind.lower()
    if ex.status in (400, 501):
        ctx.fail(f"the {what} lookup's filter was refused ({ex.status}): {idp} cannot find existing {what}s, "
                 f"so it creates duplicates or fails every change", "200 with a ListResponse", ex.status, ex,
                 cause=FILTER_REFUSED if kind == "User" else "")
    if ex.status == 404 and (expect is not None or not profile.not_found_404_ok):
        if expect is None:
            ctx.fail(f"a lookup miss answered 404, expected 200 with an empty list ({idp} reads a 404 as a failure)",
                     "200 with an empty ListResponse", 404, ex, cause=LOOKUP_MISS_NOT_EMPTY)
        ctx.fail(f"the lookup of an existing {what} answered 404", "200 with the match", 404, ex)
    body: dict[str, Any] = {"Resources": []} if ex.status == 404 else ctx.expect_list_response(ex)
    found = ids_of(body)
    wanted = [expect] if expect is not None else []
    if decoy_id is not None and decoy_id in found:
        ctx.fail(f"the filter is ignored: the {what} lookup returned {len(found)} {what}(s) that do not all match it; "
                 f"{idp} takes the first as its match and overwrites it, so {what}s collapse into one",
                 wanted, found, ex, cause=FILTER_IGNORED)
    if cause is None:
        cause = LOOKUP_MISS_NOT_EMPTY if expect is None else ""
    ctx.expect(found == wanted, wanted, found, ex, message=message, cause=cause)
    return body, ex


def members(group: dict[str, Any]) -> set[str]:
    items = group.get("members") or []
    return {str(m.get("value")) for m in items if isinstance(m, dict)} if isinstance(items, list) else set()
