"""Security probes that can be run from outside (RFC 7644 §5, §7; RFC 7643 §4.1.1, §9)."""

from __future__ import annotations

import ipaddress
import json
import unicodedata
from urllib.parse import urlsplit

from harness.checks import CheckContext, check
from harness.results import Level

from scenarios.conformance._probes import expect_filter_applied, plant_decoy
from scenarios.conformance.common import expect_error, find_key, post_and_track
from scenarios.conformance.rfc_text import QUOTES

AREA = "security"
PASSWORD = "Harness-Pw-7f3!q"


#: Names that never reach a deployed endpoint (RFC 6761 special-use and local-only domains).
_LOCAL_SUFFIXES = (".localhost", ".test", ".invalid", ".local", ".internal", ".localdomain")


def _is_local(host: str) -> bool:
    """Loopback, a private or link-local address, a single-label name (``testserver``, a compose
    service) or a special-use domain: a test or in-cluster target, not a deployed endpoint."""
    name = host.lower().rstrip(".")
    if name == "localhost" or name.endswith(_LOCAL_SUFFIXES):
        return True
    try:
        address = ipaddress.ip_address(name.strip("[]"))
    except ValueError:
        return "." not in name
    return address.is_loopback or address.is_private or address.is_link_local


@check(id="security.tls", quote=QUOTES["security.tls"], title="The target is reached over TLS (local test hosts excepted)",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §7.2, §7.4", checklist=("SEC-01",),
       fix="Serve SCIM only over https (TLS 1.2 or later); bearer tokens must never travel in clear text.",
       idp_impact="Entra, Okta and JumpCloud require an https endpoint in production.")
def tls(ctx: CheckContext) -> None:
    # The RFC's MUST is judged on deployed endpoints; a local test target over http is recorded.
    parts = urlsplit(ctx.client.target.base_url)
    if parts.scheme == "https":
        return
    host = parts.hostname or ""
    if _is_local(host):
        ctx.note(f"plain http to the local host {host}: TLS is judged on deployed endpoints")
        return
    ctx.fail(f"the target {host} is reached over plain http: tokens travel in clear text",
             "https", f"http://{host}")


@check(id="security.password-never-returned", quote=QUOTES["security.password-never-returned"], title="A password is never returned in any response",
       area=AREA, level=Level.MUST, rests_on="RFC 7643 §4.1.1 (password returned never), §9.2", checklist=("SEC-03",),
       fix="Never serialise password (or its hash) in POST, GET, PUT, PATCH or list responses.",
       idp_impact="Okta sends passwords on create; echoing them leaks credentials into IdP logs.")
def password_never_returned(ctx: CheckContext) -> None:
    ex = post_and_track(ctx, ctx.users, ctx.user_body(password=PASSWORD))
    created = ctx.expect_resource(ex, 201)
    exchanges = [ex]
    path = f"{ctx.users}/{created['id']}"
    exchanges.append(ctx.get(path))
    exchanges.append(ctx.get(path, params={"attributes": "password,userName"}))
    exchanges.append(ctx.put(path, ctx.user_body(userName=created["userName"], password=PASSWORD)))
    if ctx.discovery.supports("filter") is not False:
        exchanges.append(ctx.get(ctx.users, params={"filter": f'userName eq "{created["userName"]}"'}))
    for seen in exchanges:
        ctx.expect_answer(seen)
        body = seen.json_or_none()
        leaked = find_key(body, "password") or PASSWORD in (seen.response_body or "")
        ctx.expect(not leaked, "no password in the response", "a password attribute or value", seen,
                   message=f"{seen.method} {seen.url.split('?')[0]} returned the password")


@check(id="security.username-precis", quote=QUOTES["security.username-precis"], title="userName uniqueness compares NFC and NFD forms as equal",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §7.8, §5; RFC 8265 (PRECIS UsernameCaseMapped)",
       checklist=("SEC-04",),
       fix="Normalise userName to NFC (PRECIS) before storing and before uniqueness checks.",
       idp_impact="The same person can be provisioned twice when directories send decomposed accents.")
def username_precis(ctx: CheckContext) -> None:
    nfc = unicodedata.normalize("NFC", f"{ctx.unique('nfc')}-zoë@example.com")
    nfd = unicodedata.normalize("NFD", nfc)
    assert nfc != nfd
    # The email stays ASCII: this check is about userName, and a server may refuse an
    # internationalised address (a refusal of the email is not a verdict on PRECIS).
    ctx.create_user(userName=nfc, emails=[{"value": ctx.unique_email("nfc"), "type": "work", "primary": True}])
    ex = post_and_track(ctx, ctx.users, ctx.user_body(
        userName=nfd, emails=[{"value": ctx.unique_email("nfd"), "type": "work", "primary": True}]))
    expect_error(ctx, ex, 409, scim_type="uniqueness")


@check(id="security.filter-injection", quote=QUOTES["security.filter-injection"], title="An injection-looking filter value matches nothing",
       area=AREA, level=Level.MUST, rests_on="RFC 7644 §7.5.2, §3.4.2.2; RFC 7643 §9.3", checklist=("SEC-05",),
       requires=("filter",),
       fix="Parse filters into a tree and bind values as parameters; never splice filter text into SQL/LDAP.")
def filter_injection(ctx: CheckContext) -> None:
    decoy = plant_decoy(ctx, ctx.users)
    for value in ("x' OR '1'='1", 'x\\" or \\"1\\"=\\"1', "*)(userName=*"):
        flt = f'userName eq "{value}"'
        ex = ctx.get(ctx.users, params={"filter": flt})
        ctx.expect_answer(ex)
        if ex.status == 400:
            continue  # refusing the filter is safe
        body = ctx.expect_list_response(ex)
        expect_filter_applied(ctx, flt, body, ex, decoy, ctx.users)
        ctx.expect(body.get("totalResults") == 0, "totalResults 0 (or 400)",
                   json.dumps({"totalResults": body.get("totalResults")}), ex,
                   message=f"filter userName eq {value!r} matched {body.get('totalResults')} users")

