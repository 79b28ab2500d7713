"""Replay's parts in isolation: session forms, id remapping, comparison levels, consequences."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.har import HarPage, build_har
from harness.recorder import Exchange
from harness.replay import IdMap, SessionError, load_session, parse_session
from harness.replay.compare import Answer, compare
from harness.replay.consequence import consequence, idp_name
from harness.replay.session import Recorded, Session, select, split_scim_path

U1, U2, G1 = "2819c223-7f76-453a-919d-413861904646", "902c246b-6245-4190-8e05-00816be7344a", "e9e30dba-f08f-4109-8486-d5c6a331660a"
N1, N2, NG = "u-new-1", "u-new-2", "g-new-1"


def recording(n: int, method: str, path: str, status: int, req: object = None, resp: object = None,
              query: str = "") -> dict[str, object]:
    return {"id": n, "at": f"2026-01-05T09:00:0{n % 10}.000000Z", "method": method, "path": path, "query": query,
            "status": status, "duration_ms": 1.5,
            "request_headers": [["user-agent", "Microsoft.Entra.Provisioning"], ["authorization", "Bearer [REDACTED]"]],
            "request_body": None if req is None else json.dumps(req),
            "response_headers": [["content-type", "application/scim+json"]],
            "response_body": None if resp is None else json.dumps(resp), "truncated": False}


def test_scim_paths_are_made_relative_to_any_base() -> None:
    assert split_scim_path("/scim/v2/Users/1") == "/Users/1"
    assert split_scim_path("/tenant/Groups") == "/Groups"
    assert split_scim_path("/api/.search") == "/.search"
    assert split_scim_path("/UsersExtra/1") == "/UsersExtra/1"  # not an endpoint: kept whole


def test_every_form_loads_to_the_same_exchanges(tmp_path: Path) -> None:
    recs = [recording(1, "POST", "/Users", 201, {"userName": "a"}, {"id": U1, "userName": "a"}),
            recording(2, "GET", "/Users", 200, None, {"Resources": []}, "filter=userName%20eq%20%22a%22")]
    from_list = parse_session(recs, "s", "x")
    (tmp_path / "s.jsonl").write_text("".join(json.dumps(r) + "\n" for r in recs))
    (tmp_path / "s.json").write_text(json.dumps(recs))
    exchanges = [Exchange(f"ex-{n}", str(r["at"]), str(r["method"]), f"https://idp.example/scim/v2{r['path']}"
                          + (f"?{r['query']}" if r["query"] else ""), [("User-Agent", "Microsoft.Entra.Provisioning")],
                          r["request_body"], int(r["status"]), [("Content-Type", "application/scim+json")],  # type: ignore[arg-type]
                          r["response_body"], 1.5) for n, r in enumerate(recs, 1)]  # type: ignore[arg-type]
    (tmp_path / "s.har").write_text(json.dumps(build_har(exchanges, [HarPage("p", "page", ("ex-1",))])))
    results = {"schema_version": 1, "kind": "simulation", "target": "x", "started_at": "", "finished_at": "",
               "exchanges": [e.to_dict() for e in exchanges], "results": []}
    (tmp_path / "results.json").write_text(json.dumps(results))
    for name, form in (("s.jsonl", "recordings"), ("s.json", "recordings"), ("s.har", "har"),
                       ("results.json", "results")):
        session = load_session(tmp_path / name)
        assert session.form == form
        assert [(r.method, r.path, r.query, r.status, r.request_json(), r.response_json())
                for r in session.exchanges] == [(r.method, r.path, r.query, r.status, r.request_json(),
                                                 r.response_json()) for r in from_list.exchanges], name
        assert "Entra" in session.user_agent
    har = load_session(tmp_path / "s.har")
    assert har.exchanges[0].group == "page"


@pytest.mark.parametrize("text, why", [("", "empty"), ("{\"a\": 1}", "not a recordings export"),
                                       ("[]", "holds no SCIM exchange"), ("{\n", "line 1 is not JSON")])
def test_unusable_sessions_say_why(tmp_path: Path, text: str, why: str) -> None:
    path = tmp_path / "bad.json"
    path.write_text(text)
    with pytest.raises(SessionError, match=why):
        load_session(path)
    with pytest.raises(SessionError, match="no bundled session"):
        load_session("no-such-session")


def test_select_by_method_and_path_glob() -> None:
    recs = [recording(1, "POST", "/Users", 201), recording(2, "PATCH", "/Users/x", 200),
            recording(3, "PATCH", "/Groups/y", 200)]
    session = parse_session(recs, "s", "x")
    assert [r.index for r in select(session, ["PATCH /Users/*"])] == [2]
    assert [r.index for r in select(session, ["/Groups*", "post /Users"])] == [1, 3]
    assert len(select(session, [])) == 3


def test_ids_are_learned_from_creates_and_lookups_and_applied_everywhere() -> None:
    ids = IdMap()
    ids.scan([{"id": U1, "userName": "a"}, {"Resources": [{"id": U2, "userName": "b"}]}, {"id": G1}])
    assert ids.learn({"id": U1, "userName": "a"}, {"id": N1, "userName": "a"}) == 1
    # a lookup with several results pairs them by userName, whatever the order
    assert ids.learn({"Resources": [{"id": U2, "userName": "b"}, {"id": G1, "displayName": "g"}]},
                     {"Resources": [{"id": NG, "displayName": "g"}, {"id": N2, "userName": "b"}]}) == 2
    assert ids.text(f"/Users/{U1}") == f"/Users/{N1}"
    assert ids.text(f'filter=members[value eq "{U2}"]') == f'filter=members[value eq "{N2}"]'
    body = {"Operations": [{"op": "add", "path": "members", "value": [{"value": U1, "$ref": f"https://x/Users/{U1}"}]},
                           {"op": "replace", "value": {"urn:ietf:params:scim:schemas:extension:enterprise:2.0:User:manager":
                                                       {"value": U2}}}]}
    mapped = json.dumps(ids.json(body))
    assert U1 not in mapped and U2 not in mapped and mapped.count(N1) == 2 and N2 in mapped
    assert ids.text(f"x{U1}") == f"x{U1}" and ids.text(f"{U1}0") == f"{U1}0"  # whole tokens only
    assert ids.applied >= 5


def test_a_request_naming_an_unlearned_id_is_caught() -> None:
    ids = IdMap()
    ids.scan([{"id": U1}, {"id": U2}])
    ids.learn({"id": U1}, {"id": N1})
    assert ids.unresolved(f"/Users/{U1}") == []
    assert ids.unresolved(f"/Users/{U2}", None, json.dumps({"value": U2})) == [U2]
    assert ids.unresolved("/Users/made-up-id-that-must-404") == []  # never in a response: sent as is


def answer(status: int, body: object = None, ctype: str = "application/scim+json") -> Answer:
    return Answer(status, ctype, None if body is None else json.dumps(body))


def test_comparison_levels() -> None:
    user = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:User"], "id": U1, "userName": "a",
            "emails": [{"value": "a@x"}], "meta": {"version": "W/\"1\""}, "title": "Boss"}
    other = {**user, "id": N1, "meta": {"version": "W/\"9\""}, "title": "Intern"}
    assert compare(answer(200, user), answer(200, other), "shape") == []  # ids, meta ignored
    [d] = compare(answer(200, user), answer(200, other), "strict")
    assert (d.aspect, d.path) == ("value", "title")
    [d] = compare(answer(200, user), answer(400, {"status": "400"}), "status")
    assert (d.aspect, d.recorded, d.replayed) == ("status", "200", "400")
    missing = {k: v for k, v in other.items() if k != "emails"}
    [d] = compare(answer(200, user), answer(200, missing), "shape")
    assert (d.aspect, d.path) == ("attributes", "emails")
    assert compare(answer(200, user), answer(200, other, "application/json"), "shape") == []
    lst = {"schemas": ["urn:ietf:params:scim:api:messages:2.0:ListResponse"], "totalResults": 1, "Resources": [user]}
    [d] = compare(answer(200, lst), answer(200, {**lst, "totalResults": 0, "Resources": []}), "shape")
    assert (d.aspect, d.recorded, d.replayed) == ("totalResults", "1", "0")
    [d] = compare(answer(200, user), answer(200, "<html>", "text/html"), "shape")[:1]
    assert d.aspect == "media type"


def test_strict_values_follow_the_id_map() -> None:
    ids = IdMap()
    ids.learn({"id": U1}, {"id": N1})
    group = {"schemas": ["urn:ietf:params:scim:schemas:core:2.0:Group"], "id": G1, "displayName": "g",
             "members": [{"value": U1, "$ref": f"http://a/Users/{U1}"}]}
    replayed = {**group, "id": NG, "members": [{"value": N1, "$ref": f"http://b/Users/{N1}"}]}
    assert compare(answer(200, group), answer(200, replayed), "strict", ids) == []
    wrong = {**replayed, "members": [{"value": "someone-else"}]}
    assert [d.path for d in compare(answer(200, group), answer(200, wrong), "strict", ids)] == ["members[0].value"]


def test_consequences_come_from_the_data_per_idp() -> None:
    assert idp_name("Microsoft.Entra.Provisioning (x)") == "Entra ID" and idp_name("curl/8") == "the IdP"
    lookup = Recorded(1, "GET", "/Users", "filter=userName%20eq%20%22a%22", (), None, 200, (), None)
    [d] = compare(answer(200, {"Resources": [], "totalResults": 1}), answer(200, {"Resources": [], "totalResults": 0}),
                  "shape")
    key, text = consequence(lookup, d, "Okta")
    assert key == "lookup:totalResults:found->none" and "duplicate" in text and text.startswith("Okta")
    [d] = compare(answer(200, {"Resources": []}), answer(404, {"status": "404"}), "shape")
    key, text = consequence(lookup, d, "Entra ID")
    assert key == "lookup:status:2xx->4xx" and "Test Connection" in text
    key, text = consequence(lookup, d, "the IdP")
    assert "Test Connection" not in text and text.startswith("The IdP")
    assert isinstance(Session("s", "x", "har", ()), Session)


def test_a_browser_har_keeps_only_the_scim_requests(tmp_path: Path) -> None:
    def entry(method: str, url: str) -> dict[str, object]:
        return {"startedDateTime": "2026-01-05T09:00:00.000Z", "time": 1, "request": {"method": method, "url": url,
                "headers": []}, "response": {"status": 200, "headers": [], "content": {"text": "{}"}}}

    har = {"log": {"version": "1.2", "entries": [
        entry("GET", "https://admin.example/app/index.html"), entry("OPTIONS", "https://api.example/scim/Users"),
        entry("GET", "https://api.example/scim/Users?filter=x"), entry("GET", "https://cdn.example/app.js")]}}
    (tmp_path / "browser.har").write_text(json.dumps(har))
    session = load_session(tmp_path / "browser.har")
    assert [(r.method, r.path) for r in session.exchanges] == [("GET", "/Users")]
    assert session.notes == ("3 non-SCIM entries of the HAR left out",)


def test_the_idp_of_a_session_comes_from_its_profile() -> None:
    from harness.replay.consequence import identify

    for name, profile, hours in (("entra", "entra", "6 h, 12 h, 24 h"), ("entra-legacy", "entra-legacy", "6 h"),
                                 ("jumpcloud", "jumpcloud", None)):
        who = identify(load_session(name))
        assert who.profile is not None and who.profile.name == profile
        assert who.name == ("JumpCloud" if name == "jumpcloud" else "Entra ID")
        if hours:
            assert hours in who.fill("retries ({escrow})")
    unknown = identify(Session("s", "x", "har", (), "curl/8.0"))
    assert unknown.profile is None and unknown.fill("{idp} retries ({escrow})") == "The IdP retries (on its schedule)"
