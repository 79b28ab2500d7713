"""Levels as the RFC words them (issue 11, item 5).

Every RFC check carries the RFC sentence its level comes from (``quote``), and its level is that
sentence's RFC 2119 keyword: MUST/SHALL/REQUIRED -> MUST, SHOULD/RECOMMENDED -> SHOULD,
MAY/OPTIONAL, or a definition with no keyword -> MAY (never a FAIL). The behaviours the RFC leaves
open pass with a note; the proofs in test_proofs.py show each MAY check still WARNs on a behaviour
outside every option the RFC allows.
"""

from __future__ import annotations

import pytest

import scenarios  # noqa: F401 - registers the checks
from harness.checks import REGISTRY
from harness.results import Level, Outcome
from scenarios.conformance.rfc_text import QUOTES, keyword_levels
from tests.scenarios import faults as f
from tests.scenarios import faults_b as b
from tests.scenarios.support import inprocess, reference_app
from tests.support import run_one

RFC_CHECKS = REGISTRY.select(("rfc",))


def test_every_rfc_check_has_a_quote_from_the_table() -> None:
    assert sorted(QUOTES) == sorted(s.id for s in RFC_CHECKS)
    for spec in RFC_CHECKS:
        assert spec.quote.strip(), spec.id
        assert spec.quote == QUOTES[spec.id], spec.id


@pytest.mark.parametrize("check_id", [s.id for s in RFC_CHECKS])
def test_level_is_the_keyword_of_the_quoted_sentence(check_id: str) -> None:
    spec = REGISTRY.get(check_id)
    assert spec.level.value in keyword_levels(spec.quote), f"{check_id}: {spec.level.value} vs {spec.quote!r}"


def test_keyword_levels() -> None:
    assert keyword_levels("the server SHALL return 201") == {"MUST"}
    assert keyword_levels("MUST be an HTTP header and SHOULD be in meta.version") == {"MUST", "SHOULD"}
    assert keyword_levels("scimType  A SCIM detail error keyword. See Table 9. OPTIONAL.") == {"MAY"}
    assert keyword_levels("Attribute names are case insensitive") == {"MAY"}  # no keyword: not obliged
    assert keyword_levels("the value must be the same") == {"MAY"}  # lower case is not RFC 2119


def _run(check_id: str, fault: f.Fault) -> tuple[Outcome, str]:
    with inprocess(reference_app(fault=fault)) as client:
        result = run_one(check_id, client)
    return result.outcome, result.message


def _drop_scim_type(body: object) -> object:
    if isinstance(body, dict):
        body.pop("scimType", None)
    return body


@pytest.mark.parametrize("check_id", ["create.duplicate-username-409", "errors.invalid-json-400",
                                      "query.unknown-operator-400", "patch.readonly-400",
                                      "patch.value-path-no-match-400", "errors.scim-type-vocabulary"])
def test_an_absent_optional_scim_type_is_never_a_failure(check_id: str) -> None:
    def hook(req: f.Req, resp: f.Resp) -> f.Resp:
        return resp.with_json(_drop_scim_type(resp.json())) if resp.status >= 400 and resp.json() else resp

    outcome, message = _run(check_id, f.on_response(hook))
    assert outcome is Outcome.PASS, message


def test_a_404_to_a_method_the_endpoint_lacks_passes_with_a_note() -> None:
    fault = f.answer(404, {"schemas": ["urn:ietf:params:scim:api:messages:2.0:Error"], "status": "404"},
                     method="DELETE", path=r"/ServiceProviderConfig")
    outcome, message = _run("errors.method-not-allowed", fault)
    assert outcome is Outcome.PASS and "404" in message


@pytest.mark.parametrize(("check_id", "fault", "note"), [
    ("patch.remove-absent-member",
     b.refuse(b.patch_has(lambda op: b.op_is(op, "remove", path_re=r"^members\[")), 400, "noTarget", "PATCH"),
     "refused with 400"),
    ("discovery.resource-type-by-name", f.answer(404, {"status": "404"}, method="GET", path=r"/ResourceTypes/User"),
     "not served"),
    ("discovery.schema-by-id", f.answer(404, {"status": "404"}, method="GET", path=r"/Schemas/urn:.*"), "not served"),
    ("read.unassigned-omitted", f.edit_json(f.set_key("title", None), "GET", f.USER), "null"),
])
def test_a_may_option_the_target_takes_is_recorded_not_failed(check_id: str, fault: f.Fault, note: str) -> None:
    assert REGISTRY.get(check_id).level is Level.MAY
    outcome, message = _run(check_id, fault)
    assert outcome is Outcome.PASS and note in message, message


def _without_user_groups(body: object) -> object:
    schemas = body.get("Resources") if isinstance(body, dict) and "Resources" in body else [body]
    for schema in schemas or []:
        if isinstance(schema, dict) and str(schema.get("id", "")).endswith("core:2.0:User"):
            schema["attributes"] = [a for a in schema.get("attributes") or [] if a.get("name") != "groups"]
    return body


@pytest.mark.parametrize("check_id", ["groups.user-groups-derived", "patch.groups-reflected"])
def test_user_groups_checks_skip_when_the_schema_offers_no_groups(check_id: str) -> None:
    outcome, message = _run(check_id, f.edit_json(_without_user_groups, "GET", r"/Schemas.*"))
    assert outcome is Outcome.SKIP and "groups" in message, message


@pytest.mark.parametrize(("base", "outcome"), [("http://127.0.0.1", Outcome.PASS), ("http://testserver", Outcome.PASS),
                                               ("http://10.1.2.3", Outcome.PASS), ("http://scim.test", Outcome.PASS),
                                               ("http://scim.vendor.io", Outcome.FAIL)])
def test_tls_is_a_must_on_deployed_endpoints_only(base: str, outcome: Outcome) -> None:
    with inprocess(reference_app(), base=base) as client:
        result = run_one("security.tls", client)
    assert result.outcome is outcome, result.message
